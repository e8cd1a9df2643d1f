//! `-m icmp` (net/ipv4/netfilter/ip_tables.c `icmp_match`,
//! extensions/libipt_icmp.c) and `-m icmp6` (net/ipv6/netfilter/ip6_tables.c
//! `icmp6_match`, extensions/libip6t_icmp6.c), with the type name tables of
//! extensions/libxt_icmp.h.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{require_proto, strtoumax};

/// One named ICMP type: name, type, code range.
type IcmpName = (&'static str, u8, u8, u8);

/// `icmp_codes` (libxt_icmp.h), in table order (aliases included).
pub const ICMP_NAMES: &[IcmpName] = &[
    ("any", 0xff, 0, 0xff),
    ("echo-reply", 0, 0, 0xff),
    ("pong", 0, 0, 0xff),
    ("destination-unreachable", 3, 0, 0xff),
    ("network-unreachable", 3, 0, 0),
    ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2),
    ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4),
    ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6),
    ("host-unknown", 3, 7, 7),
    ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10),
    ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12),
    ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14),
    ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 0xff),
    ("redirect", 5, 0, 0xff),
    ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1),
    ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3),
    ("echo-request", 8, 0, 0xff),
    ("ping", 8, 0, 0xff),
    ("router-advertisement", 9, 0, 0xff),
    ("router-solicitation", 10, 0, 0xff),
    ("time-exceeded", 11, 0, 0xff),
    ("ttl-exceeded", 11, 0, 0xff),
    ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1),
    ("parameter-problem", 12, 0, 0xff),
    ("ip-header-bad", 12, 0, 0),
    ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 0xff),
    ("timestamp-reply", 14, 0, 0xff),
    ("address-mask-request", 17, 0, 0xff),
    ("address-mask-reply", 18, 0, 0xff),
];

/// `icmpv6_codes` (libxt_icmp.h), in table order (aliases included).
pub const ICMPV6_NAMES: &[IcmpName] = &[
    ("destination-unreachable", 1, 0, 0xff),
    ("no-route", 1, 0, 0),
    ("communication-prohibited", 1, 1, 1),
    ("beyond-scope", 1, 2, 2),
    ("address-unreachable", 1, 3, 3),
    ("port-unreachable", 1, 4, 4),
    ("failed-policy", 1, 5, 5),
    ("reject-route", 1, 6, 6),
    ("packet-too-big", 2, 0, 0xff),
    ("time-exceeded", 3, 0, 0xff),
    ("ttl-exceeded", 3, 0, 0xff),
    ("ttl-zero-during-transit", 3, 0, 0),
    ("ttl-zero-during-reassembly", 3, 1, 1),
    ("parameter-problem", 4, 0, 0xff),
    ("bad-header", 4, 0, 0),
    ("unknown-header-type", 4, 1, 1),
    ("unknown-option", 4, 2, 2),
    ("echo-request", 128, 0, 0xff),
    ("ping", 128, 0, 0xff),
    ("echo-reply", 129, 0, 0xff),
    ("pong", 129, 0, 0xff),
    ("mld-listener-query", 130, 0, 0xff),
    ("mld-listener-report", 131, 0, 0xff),
    ("mld-listener-done", 132, 0, 0xff),
    ("mld-listener-reduction", 132, 0, 0xff),
    ("router-solicitation", 133, 0, 0xff),
    ("router-advertisement", 134, 0, 0xff),
    ("neighbour-solicitation", 135, 0, 0xff),
    ("neighbor-solicitation", 135, 0, 0xff),
    ("neighbour-advertisement", 136, 0, 0xff),
    ("neighbor-advertisement", 136, 0, 0xff),
    ("redirect", 137, 0, 0xff),
];

/// `parse_range` of libxt_icmp.h: `N` or `N:M`, each 0..=255; returns the
/// range and the unparsed rest.
fn parse_range(s: &str) -> Option<((u8, u8), &str)> {
    let (a, rest) = strtoumax(s).filter(|(v, _)| *v <= 255)?;
    match rest.strip_prefix(':') {
        Some(r) => {
            let (b, rest) = strtoumax(r).filter(|(v, _)| *v <= 255)?;
            Some(((a as u8, b as u8), rest))
        }
        None => Some(((a as u8, a as u8), rest)),
    }
}

/// `__ipt_parse_icmp` (libxt_icmp.h): a name (case-insensitive prefix,
/// ambiguity is an error), or `TYPE[/CODE[:CODE]]`. Returns the type and
/// code range.
pub(crate) fn parse_icmp_type(
    table: &[IcmpName],
    what: &str,
    s: &str,
) -> Result<(u8, u8, u8), String> {
    let mut found: Option<&IcmpName> = None;
    for e in table {
        let is_prefix =
            e.0.len() >= s.len() && e.0.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes());
        if !is_prefix {
            continue;
        }
        if let Some(prev) = found {
            return Err(format!(
                "Ambiguous {what} type `{s}': `{}' or `{}'?",
                prev.0, e.0
            ));
        }
        found = Some(e);
    }
    if let Some(e) = found {
        return Ok((e.1, e.2, e.3));
    }
    let ((t0, t1), rest) = parse_range(s).ok_or_else(|| format!("Unknown {what} type `{s}'"))?;
    let codes = if rest.is_empty() {
        (0, 255)
    } else if let Some(c) = rest.strip_prefix('/') {
        let (codes, rest) = parse_range(c).ok_or_else(|| format!("Unknown {what} code `{s}'"))?;
        if let Some(ch) = rest.chars().next() {
            return Err(format!("unknown character {ch}"));
        }
        codes
    } else {
        let ch = rest.chars().next().unwrap_or('?');
        return Err(format!("unknown character {ch}"));
    };
    if t0 != t1 {
        return Err(format!("{what} type range not supported"));
    }
    Ok((t0, codes.0, codes.1))
}

/// `-m icmp`: ICMP type and code range (`struct ipt_icmp`).
///
/// ```
/// use nfsim::model::matches::icmp::Icmp;
/// let any = Icmp::default();
/// assert_eq!((any.icmp_type, any.codes), (0xff, (0, 0xff)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp {
    /// ICMP type; 0xff matches any type whatever the codes (ip_tables.c
    /// `icmp_type_code_match`: `test_type == 0xFF ||` type and code in range).
    pub icmp_type: u8,
    /// Inclusive code range.
    pub codes: (u8, u8),
    /// `! --icmp-type`
    pub invert: bool,
}

impl Default for Icmp {
    fn default() -> Self {
        // icmp_init: type 0xFF, code[1] = 0xFF.
        Icmp {
            icmp_type: 0xff,
            codes: (0, 0xff),
            invert: false,
        }
    }
}

options!(ICMP_OPTS = 0 "icmp-type" arg inv mand);

impl Extension for Icmp {
    const OPTIONS: &'static [OptSpec] = &ICMP_OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("icmp", "icmp-type")?;
        let (t, lo, hi) = parse_icmp_type(ICMP_NAMES, "ICMP", s)?;
        self.icmp_type = t;
        self.codes = (lo, hi);
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ip_tables.c: icmp_mt_reg has .proto = IPPROTO_ICMP.
        require_proto(ctx, 1, "icmp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libipt_icmp.c icmp_save
        if self.invert {
            f.write_str(" !")?;
        }
        if self.icmp_type == 0xff && self.codes == (0, 0xff) {
            return f.write_str(" --icmp-type any");
        }
        write!(f, " --icmp-type {}", self.icmp_type)?;
        if self.codes != (0, 0xff) {
            write!(f, "/{}", self.codes.0)?;
        }
        Ok(())
    }
}

/// `-m icmp6`: ICMPv6 type and code range (`struct ip6t_icmp`).
///
/// ```
/// use nfsim::model::matches::icmp::Icmp6;
/// assert_eq!(Icmp6::default().codes, (0, 0xff));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp6 {
    /// ICMPv6 type (no "any" value: the option is mandatory).
    pub icmp_type: u8,
    /// Inclusive code range.
    pub codes: (u8, u8),
    /// `! --icmpv6-type`
    pub invert: bool,
}

impl Default for Icmp6 {
    fn default() -> Self {
        // icmp6_init: code[1] = 0xFF.
        Icmp6 {
            icmp_type: 0,
            codes: (0, 0xff),
            invert: false,
        }
    }
}

options!(ICMP6_OPTS = 0 "icmpv6-type" arg inv mand);

impl Extension for Icmp6 {
    const OPTIONS: &'static [OptSpec] = &ICMP6_OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("icmp6", "icmpv6-type")?;
        let (t, lo, hi) = parse_icmp_type(ICMPV6_NAMES, "ICMPv6", s)?;
        self.icmp_type = t;
        self.codes = (lo, hi);
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ip6_tables.c: icmp6_matchstruct has .proto = IPPROTO_ICMPV6.
        require_proto(ctx, 58, "icmp6 match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libip6t_icmp6.c icmp6_save
        if self.invert {
            f.write_str(" !")?;
        }
        write!(f, " --icmpv6-type {}", self.icmp_type)?;
        if self.codes != (0, 0xff) {
            write!(f, "/{}", self.codes.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_icmp_type_example() {
        use crate::model::matches::icmp::{parse_icmp_type, ICMP_NAMES};
        assert_eq!(
            parse_icmp_type(ICMP_NAMES, "ICMP", "echo-req"),
            Ok((8, 0, 255))
        );
        assert_eq!(parse_icmp_type(ICMP_NAMES, "ICMP", "3/1:4"), Ok((3, 1, 4)));
        assert!(parse_icmp_type(ICMP_NAMES, "ICMP", "echo").is_err());
    }
}
