//! `-m addrtype` (net/netfilter/xt_addrtype.c revision 1,
//! extensions/libxt_addrtype.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, parse_name_list};
use crate::model::{Family, Hook};

/// Route types in `rtn_names` order: bit `1 << i` of a type mask.
pub const RTN_NAMES: [&str; 12] = [
    "UNSPEC",
    "UNICAST",
    "LOCAL",
    "BROADCAST",
    "ANYCAST",
    "MULTICAST",
    "BLACKHOLE",
    "UNREACHABLE",
    "PROHIBIT",
    "THROW",
    "NAT",
    "XRESOLVE",
];

/// `-m addrtype`: route type masks of the source and destination.
///
/// ```
/// use nfsim::model::matches::addrtype::Addrtype;
/// let a = Addrtype { dst: 1 << 2, ..Addrtype::default() };
/// assert_eq!(a.dst, 4); // LOCAL
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Addrtype {
    /// `--src-type` mask (0 = not tested).
    pub src: u16,
    /// `--dst-type` mask (0 = not tested).
    pub dst: u16,
    /// `! --src-type`
    pub src_inv: bool,
    /// `! --dst-type`
    pub dst_inv: bool,
    /// `--limit-iface-in`: look up routes on the input device.
    pub limit_in: bool,
    /// `--limit-iface-out`: look up routes on the output device.
    pub limit_out: bool,
}

ids!(SRC, DST, LIN, LOUT);

options! {
    OPTS =
    SRC "src-type" arg inv, DST "dst-type" arg inv, LIN "limit-iface-in" flag,
    LOUT "limit-iface-out" flag,
}

/// `parse_types`: comma-separated, each a case-insensitive prefix of a name
/// (the first name in table order wins).
fn parse_types(arg: &str) -> Result<u16, String> {
    let mut mask = 0u16;
    parse_name_list(arg, &RTN_NAMES, |n| n, |i| mask |= 1 << i).map_err(|e| match e {
        (rest, true) => format!("addrtype: bad type `{rest}'"),
        (rest, false) => format!("addrtype: bad type \"{rest}\""),
    })?;
    Ok(mask)
}

/// `print_types` (libxt_addrtype.c): names joined by `,`.
pub(crate) fn write_types(f: &mut dyn fmt::Write, mask: u16) -> fmt::Result {
    let mut sep = "";
    for (i, n) in RTN_NAMES.iter().enumerate() {
        if mask & (1 << i) != 0 {
            write!(f, "{sep}{n}")?;
            sep = ",";
        }
    }
    Ok(())
}

impl Extension for Addrtype {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        match args.id {
            SRC => {
                self.src |= parse_types(arg)?;
                self.src_inv |= args.invert;
            }
            DST => {
                self.dst |= parse_types(arg)?;
                self.dst_inv |= args.invert;
            }
            LIN => self.limit_in = true,
            LOUT => self.limit_out = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen & (1 << SRC | 1 << DST) == 0 {
            return Err("addrtype: you must specify --src-type or --dst-type".into());
        }
        exclusive(
            "addrtype",
            seen,
            (LIN, "limit-iface-in"),
            (LOUT, "limit-iface-out"),
        )
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_addrtype.c addrtype_mt_checkentry_v1.
        if self.limit_in && self.limit_out {
            return Err(
                "xt_addrtype: both incoming and outgoing interface limitation cannot be selected"
                    .into(),
            );
        }
        if ctx.hooks & (Hook::PreRouting.bit() | Hook::LocalIn.bit()) != 0 && self.limit_out {
            return Err(
                "xt_addrtype: output interface limitation not valid in PREROUTING and INPUT".into(),
            );
        }
        if ctx.hooks & (Hook::PostRouting.bit() | Hook::LocalOut.bit()) != 0 && self.limit_in {
            return Err(
                "xt_addrtype: input interface limitation not valid in POSTROUTING and OUTPUT"
                    .into(),
            );
        }
        if ctx.family == Family::Ipv6 {
            let all = self.src | self.dst;
            if all & (1 << 6) != 0 {
                return Err("xt_addrtype: ipv6 BLACKHOLE matching not supported".into());
            }
            if all >= 1 << 8 {
                return Err(
                    "xt_addrtype: ipv6 PROHIBIT (THROW, NAT ..) matching not supported".into(),
                );
            }
            if all & (1 << 3) != 0 {
                return Err("xt_addrtype: ipv6 does not support BROADCAST matching".into());
            }
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.src != 0 {
            if self.src_inv {
                f.write_str(" !")?;
            }
            f.write_str(" --src-type ")?;
            write_types(f, self.src)?;
        }
        if self.dst != 0 {
            if self.dst_inv {
                f.write_str(" !")?;
            }
            f.write_str(" --dst-type ")?;
            write_types(f, self.dst)?;
        }
        if self.limit_in {
            f.write_str(" --limit-iface-in")?;
        }
        if self.limit_out {
            f.write_str(" --limit-iface-out")?;
        }
        Ok(())
    }
}
