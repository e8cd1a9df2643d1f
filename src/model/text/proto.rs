//! Protocol names as libxtables reads and prints them
//! (`xtables_parse_protocol`, `proto_to_name`, `xtables_chain_protos`),
//! for `-p` and for the extensions that take a protocol.

use crate::model::names::PROTOCOLS;
use crate::model::opt::strtoui;
use crate::model::{Error, ErrorKind};

/// The `xtables_chain_protos` names, which take precedence when printing.
pub const CHAIN_PROTOS: &[(&str, u8)] = &[
    ("tcp", 6),
    ("sctp", 132),
    ("udp", 17),
    ("udplite", 136),
    ("icmp", 1),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("esp", 50),
    ("ah", 51),
    ("mobility-header", 135),
    ("ipv6-mh", 135),
    ("mh", 135),
    ("dccp", 33),
    ("ipcomp", 108),
    ("all", 0),
];

/// `xtables_parse_protocol`: number, `all`, `/etc/protocols` name, or a
/// `xtables_chain_protos` name (as `-p` takes it, after lowering its case).
///
/// # Errors
/// [`ErrorKind::Protocol`](crate::model::ErrorKind::Protocol) with
/// iptables' message.
///
/// ```
/// use nfsim::syntax::parse_protocol;
/// assert_eq!(parse_protocol("tcp").unwrap(), 6);
/// assert_eq!(parse_protocol("ipv6-icmp").unwrap(), 58);
/// assert_eq!(parse_protocol("all").unwrap(), 0);
/// assert_eq!(parse_protocol("tpc").unwrap_err().to_string(), "unknown protocol \"tpc\" specified");
/// ```
pub fn parse_protocol(s: &str) -> Result<u8, Error> {
    parse_protocol_text(s).ok_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            format!("unknown protocol \"{s}\" specified"),
        )
    })
}

fn parse_protocol_text(s: &str) -> Option<u8> {
    if let Some(v) = strtoui(s, 0, 255) {
        return Some(v as u8);
    }
    if s == "all" {
        return Some(0);
    }
    if let Some((_, n, _)) = PROTOCOLS
        .iter()
        .find(|(name, _, al)| *name == s || al.contains(&s))
    {
        return Some(*n);
    }
    if let Some((_, n)) = CHAIN_PROTOS.iter().find(|(name, _)| *name == s) {
        return Some(*n);
    }
    None
}

/// `proto_to_name` as iptables 1.8.9 save uses it: `xtables_chain_protos`
/// first, then `getprotobynumber`.
///
/// ```
/// use nfsim::syntax::proto_name;
/// assert_eq!((proto_name(6), proto_name(58), proto_name(253)), (Some("tcp"), Some("ipv6-icmp"), None));
/// ```
pub fn proto_name(p: u8) -> Option<&'static str> {
    if let Some((n, _)) = CHAIN_PROTOS.iter().find(|(_, n)| *n == p) {
        return Some(n);
    }
    PROTOCOLS
        .iter()
        .find(|(_, n, _)| *n == p)
        .map(|(name, _, _)| *name)
}
