//! `-m iprange` (net/netfilter/xt_iprange.c, extensions/libxt_iprange.c,
//! revision 1). No checkentry in the kernel.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Blank, ExtCtx, Extension, OptSpec};
use crate::model::opt::Inv;
use crate::model::opt::{bad_id, given_any, write_addr};
use crate::model::text::addr::{numeric_to_ipaddr, parse_ipv6};
use crate::model::Family;

/// An inclusive address range (address bytes in network order; the first
/// 4 bytes for IPv4). A reversed range is accepted and never matches.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m iprange --src-range 192.0.2.10-192.0.2.20\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Iprange(i)
///     if i.src.is_some_and(|s| s.value.min[..4] == [192, 0, 2, 10] && s.value.max[..4] == [192, 0, 2, 20])));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrRange {
    /// Lowest address.
    pub min: [u8; 16],
    /// Highest address.
    pub max: [u8; 16],
}

impl AddrRange {
    /// Whether `a` lies in the range (xt_iprange.c: `ntohl` compare for
    /// IPv4, `iprange_ipv6_lt` for IPv6: both are byte-wise big-endian).
    #[inline]
    pub fn contains(&self, family: Family, a: &[u8]) -> bool {
        let n = family.addr_len();
        match a.get(..n) {
            Some(a) => a >= &self.min[..n] && a <= &self.max[..n],
            None => false,
        }
    }
}

/// `-m iprange [!] --src-range A-B [!] --dst-range A-B`.
///
/// ```
/// use nfsim::model::matches::iprange::{AddrRange, Iprange};
/// use nfsim::model::Family;
/// let mut r = AddrRange { min: [0; 16], max: [0; 16] };
/// r.min[..4].copy_from_slice(&[10, 0, 0, 1]);
/// r.max[..4].copy_from_slice(&[10, 0, 0, 9]);
/// assert!(r.contains(Family::Ipv4, &[10, 0, 0, 5]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iprange {
    /// Family of the addresses.
    pub family: Family,
    /// `--src-range`
    pub src: Option<Inv<AddrRange>>,
    /// `--dst-range`
    pub dst: Option<Inv<AddrRange>>,
}

options!(OPTS = 0 "src-range" arg inv, 1 "dst-range" arg inv);

/// `iprange_parse_range`: `A-B` or a single `A` (`A-A`).
fn parse_range(arg: &str, family: Family, opt: &str) -> Result<AddrRange, String> {
    let (a, b) = arg.split_once('-').unwrap_or((arg, arg));
    let one = |s: &str| -> Result<[u8; 16], String> {
        let mut out = [0u8; 16];
        let ok = match family {
            Family::Ipv4 => numeric_to_ipaddr(s, false).map(|v| out[..4].copy_from_slice(&v)),
            Family::Ipv6 => parse_ipv6(s).map(|v| out = v),
        };
        ok.ok_or_else(|| format!("iprange: Bad value for \"{opt}\" option: \"{s}\""))?;
        Ok(out)
    };
    Ok(AddrRange {
        min: one(a)?,
        max: one(b)?,
    })
}

impl Blank for Iprange {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Iprange {
            family: ctx.family,
            src: None,
            dst: None,
        }
    }
}

impl Extension for Iprange {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        match args.id {
            0 => {
                self.src = Some(Inv {
                    value: parse_range(arg, args.ctx.family, "--src-range")?,
                    invert: args.invert,
                })
            }
            1 => {
                self.dst = Some(Inv {
                    value: parse_range(arg, args.ctx.family, "--dst-range")?,
                    invert: args.invert,
                })
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(
            seen,
            "iprange match: You must specify `--src-range' or `--dst-range'",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        for (name, r) in [("src-range", &self.src), ("dst-range", &self.dst)] {
            if let Some(r) = r {
                if r.invert {
                    f.write_str(" !")?;
                }
                write!(f, " --{name} ")?;
                write_addr(f, self.family, &r.value.min)?;
                f.write_str("-")?;
                write_addr(f, self.family, &r.value.max)?;
            }
        }
        Ok(())
    }
}
