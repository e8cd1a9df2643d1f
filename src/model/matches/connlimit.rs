//! `-m connlimit` (net/netfilter/xt_connlimit.c, extensions/libxt_connlimit.c,
//! revision 1). The kernel's `connlimit_mt_check` takes a conntrack
//! reference and allocates the count tree: no table or hook restriction.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{prefix_mask, Args, Blank, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, parse_plen, uint};

/// `-m connlimit`: compares the number of connections of the packet's
/// address group (address under `mask`) with `limit`.
///
/// ```
/// use nfsim::model::matches::connlimit::Connlimit;
/// let c = Connlimit { limit: 3, upto: false, mask_len: 24, daddr: false };
/// assert!(!c.upto);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connlimit {
    /// The limit.
    pub limit: u32,
    /// `XT_CONNLIMIT_INVERT`: match when count <= limit (`--connlimit-upto`,
    /// or `! --connlimit-above`); otherwise match when count > limit.
    pub upto: bool,
    /// Prefix length of the grouping mask (`--connlimit-mask`).
    pub mask_len: u8,
    /// `XT_CONNLIMIT_DADDR`: group by destination address.
    pub daddr: bool,
}

ids!(UPTO, ABOVE, MASK, SADDR, DADDR);

options! {
    OPTS =
    UPTO "connlimit-upto" arg inv, ABOVE "connlimit-above" arg inv, MASK "connlimit-mask" arg,
    SADDR "connlimit-saddr" flag, DADDR "connlimit-daddr" flag,
}

impl Connlimit {
    /// The grouping mask bytes.
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p tcp -m connlimit --connlimit-above 10 --connlimit-mask 24\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
    /// assert!(matches!(&r.matches[0], Match::Connlimit(c) if c.mask()[..4] == [255, 255, 255, 0]));
    /// ```
    pub fn mask(&self) -> [u8; 16] {
        prefix_mask(self.mask_len)
    }
}

impl Blank for Connlimit {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        // connlimit_init: all-ones mask.
        Connlimit {
            limit: 0,
            upto: false,
            mask_len: ctx.family.max_prefix(),
            daddr: false,
        }
    }
}

impl Extension for Connlimit {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        match args.id {
            UPTO => {
                self.limit = uint("connlimit", "connlimit-upto", arg, 0, u32::MAX.into())? as u32;
                self.upto = !args.invert;
            }
            ABOVE => {
                self.limit = uint("connlimit", "connlimit-above", arg, 0, u32::MAX.into())? as u32;
                self.upto = args.invert;
            }
            MASK => {
                // XTTYPE_PLENMASK; a non-contiguous mask leaves the full
                // mask in iptables 1.8.9 (checked against it).
                self.mask_len = parse_plen(arg, args.ctx.family, "connlimit", "connlimit-mask")?
                    .unwrap_or(args.ctx.family.max_prefix());
            }
            SADDR => self.daddr = false,
            DADDR => self.daddr = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen & (1 << UPTO | 1 << ABOVE) == 0 {
            return Err("You must specify \"--connlimit-above\" or \"--connlimit-upto\".".into());
        }
        exclusive(
            "connlimit",
            seen,
            (UPTO, "connlimit-upto"),
            (ABOVE, "connlimit-above"),
        )?;
        exclusive(
            "connlimit",
            seen,
            (SADDR, "connlimit-saddr"),
            (DADDR, "connlimit-daddr"),
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.upto {
            write!(f, " --connlimit-upto {}", self.limit)?;
        } else {
            write!(f, " --connlimit-above {}", self.limit)?;
        }
        write!(f, " --connlimit-mask {}", self.mask_len)?;
        f.write_str(if self.daddr {
            " --connlimit-daddr"
        } else {
            " --connlimit-saddr"
        })
    }
}
