//! `-m ipv6header` (net/ipv6/netfilter/ip6t_ipv6header.c,
//! extensions/libip6t_ipv6header.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::names::PROTOCOLS;
use crate::model::opt::bad_id;

/// `chain_protos` of libip6t_ipv6header.c (names and numbers it accepts).
const CHAIN_PROTOS: [(&str, u8); 18] = [
    ("hop-by-hop", 0),
    ("protocol", 255),
    ("hop", 0),
    ("dst", 60),
    ("route", 43),
    ("frag", 44),
    ("auth", 51),
    ("esp", 50),
    ("none", 59),
    ("prot", 255),
    ("0", 0),
    ("60", 60),
    ("43", 43),
    ("44", 44),
    ("51", 51),
    ("50", 50),
    ("59", 59),
    ("255", 255),
];

/// `chain_flags`: header number and its bit in the match mask
/// (`MASK_HOPOPTS` .. `MASK_PROTO`, include/linux/netfilter_ipv6/ip6t_ipv6header.h).
pub const HEADER_FLAGS: [(u8, u8); 8] = [
    (0, 0x80),
    (60, 0x40),
    (43, 0x20),
    (44, 0x10),
    (51, 0x08),
    (50, 0x04),
    (59, 0x02),
    (255, 0x01),
];

/// `name_to_proto`: `getprotobyname`, then the local table.
fn name_to_proto(s: &str) -> Result<u8, String> {
    if let Some((_, n, _)) = PROTOCOLS
        .iter()
        .find(|(name, _, al)| *name == s || al.contains(&s))
    {
        return Ok(*n);
    }
    CHAIN_PROTOS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("unknown header `{s}' specified"))
}

/// `proto_to_name(proto, 0)`: `getprotobynumber` for non-zero, else the
/// local table.
fn proto_to_name(p: u8) -> &'static str {
    if p != 0 {
        if let Some((n, _, _)) = PROTOCOLS.iter().find(|(_, n, _)| *n == p) {
            return n;
        }
    }
    CHAIN_PROTOS
        .iter()
        .find(|(_, v)| *v == p)
        .map_or("", |(n, _)| n)
}

/// `-m ipv6header`: which extension headers the packet has
/// (`struct ip6t_ipv6header_info`).
///
/// ```
/// use nfsim::model::matches::ipv6header::Ipv6Header;
/// let h = Ipv6Header { matchflags: 0x80, invert: false, soft: true };
/// assert!(h.soft);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipv6Header {
    /// Header bits ([`HEADER_FLAGS`]).
    pub matchflags: u8,
    /// `! --header` (the kernel's `invflags` 0xFF).
    pub invert: bool,
    /// `--soft`: match if any of the headers is present (`modeflag`).
    pub soft: bool,
}

ids!(O_HEADER, O_SOFT);

options!(OPTS = O_HEADER "header" arg inv, O_SOFT "soft" flag);

impl Extension for Ipv6Header {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_HEADER => {
                let s = args.required("ipv6header", "header")?;
                let mut flags = 0u8;
                for name in s.split(',').filter(|n| !n.is_empty()) {
                    let p = name_to_proto(name)?;
                    let bit = HEADER_FLAGS
                        .iter()
                        .find(|(n, _)| *n == p)
                        .map(|(_, b)| *b)
                        .ok_or_else(|| format!("unknown header `{p}' specified"))?;
                    flags |= bit;
                }
                if flags == 0 {
                    return Err("ip6t_ipv6header: cannot parse header names".into());
                }
                self.matchflags = flags;
                if args.invert {
                    self.invert = true;
                }
            }
            O_SOFT => self.soft = true,
            _ => return bad_id(),
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        crate::model::opt::mandatory("ipv6header", seen, &[(O_HEADER, "header")])
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        crate::model::opt::write_inv(f, self.invert)?;
        f.write_str(" --header ")?;
        let mut first = true;
        for (p, bit) in HEADER_FLAGS {
            if self.matchflags & bit != 0 {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(proto_to_name(p))?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        if self.soft {
            f.write_str(" --soft")?;
        }
        Ok(())
    }
}
