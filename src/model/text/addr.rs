//! Address and mask parsing as libxtables does it
//! (`xtables_ipparse_multiple`, `xtables_ip6parse_multiple`,
//! `__numeric_to_ipaddr` in libxtables/xtables.c). Host names are not
//! resolved: nfsim has no resolver, so a name is an error, as it is for
//! iptables when the name does not resolve.

use std::net::Ipv6Addr;

use crate::model::ext::{prefix_mask, AddrMask};
use crate::model::opt::strtoui;
use crate::model::{Error, ErrorKind, Family};

/// `__numeric_to_ipaddr`: dotted quad with base-0 octets; fewer than four
/// parts are completed with zeros (`10.1` is `10.1.0.0`) unless `is_mask`.
pub fn numeric_to_ipaddr(s: &str, is_mask: bool) -> Option<[u8; 4]> {
    // iptables copies into a 20-byte buffer first. A cut inside a
    // multi-byte character leaves a byte strtoul rejects in the last part
    // read (or an extra part): no address either way.
    let s = if s.len() > 19 { s.get(..19)? } else { s };
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for (i, slot) in out.iter_mut().enumerate() {
        match parts.next() {
            Some(p) => *slot = strtoui(p, 0, 255)? as u8,
            None => {
                if is_mask || i == 0 {
                    return None;
                }
                return Some(out);
            }
        }
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// `inet_pton(AF_INET6, ...)`.
pub fn parse_ipv6(s: &str) -> Option<[u8; 16]> {
    s.parse::<Ipv6Addr>().ok().map(|a| a.octets())
}

/// Parses a comma-separated list of `ADDR[/MASK]` for `-s`/`-d` into
/// masked addresses, dropping duplicates as iptables does.
///
/// # Errors
/// [`ErrorKind::Address`] with iptables' message.
pub fn parse_multiple(s: &str, family: Family) -> Result<Vec<AddrMask>, Error> {
    let mut out: Vec<AddrMask> = Vec::new();
    for item in s.split(',') {
        let a = parse_one(item, family)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

/// One `ADDR[/MASK]`, numeric.
///
/// # Errors
/// [`ErrorKind::Address`] with iptables' message.
pub fn parse_one(item: &str, family: Family) -> Result<AddrMask, Error> {
    parse_one_text(item, family).map_err(|m| Error::new(ErrorKind::Address, m))
}

fn parse_one_text(item: &str, family: Family) -> Result<AddrMask, String> {
    let (host, mask) = match item.rfind('/') {
        Some(p) => (&item[..p], Some(&item[p + 1..])),
        None => (item, None),
    };
    match family {
        Family::Ipv4 => {
            let mask = match mask {
                None => prefix_mask(32),
                Some(m) if m.contains('.') => {
                    let b = numeric_to_ipaddr(m, true)
                        .ok_or_else(|| format!("invalid mask `{m}' specified"))?;
                    let mut x = [0u8; 16];
                    x[..4].copy_from_slice(&b);
                    x
                }
                Some(m) => {
                    let bits =
                        strtoui(m, 0, 32).ok_or_else(|| format!("invalid mask `{m}' specified"))?;
                    prefix_mask(bits as u8)
                }
            };
            let addr = numeric_to_ipaddr(host, false)
                .ok_or_else(|| format!("host/network `{host}' not found"))?;
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&addr);
            Ok(AddrMask::with_mask(Family::Ipv4, a, mask))
        }
        Family::Ipv6 => {
            let mask = match mask {
                None => prefix_mask(128),
                Some(m) if m.contains(':') => {
                    parse_ipv6(m).ok_or_else(|| format!("invalid mask `{m}' specified"))?
                }
                Some(m) => {
                    let bits = strtoui(m, 0, 128)
                        .ok_or_else(|| format!("invalid mask `{m}' specified"))?;
                    prefix_mask(bits as u8)
                }
            };
            let addr =
                parse_ipv6(host).ok_or_else(|| format!("host/network `{host}' not found"))?;
            Ok(AddrMask::with_mask(Family::Ipv6, addr, mask))
        }
    }
}

/// Formats an IPv6 address as glibc's `inet_ntop` does (which differs from
/// Rust's `Display` for IPv4-compatible addresses such as `::1.2.3.4`).
pub fn ipv6_ntop(b: &[u8; 16]) -> String {
    let a = Ipv6Addr::from(*b);
    let w = a.segments();
    // glibc inet_ntop6: find the longest run of zero words (first one wins).
    let (mut best_base, mut best_len) = (usize::MAX, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let s = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - s > best_len {
                best_base = s;
                best_len = i - s;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = usize::MAX;
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if i == best_base {
            out.push(':');
            i += best_len;
            if i == 8 {
                out.push(':');
            }
            continue;
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            out.push_str(&format!("{}.{}.{}.{}", b[12], b[13], b[14], b[15]));
            break;
        }
        out.push_str(&format!("{:x}", w[i]));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    /// Found by the `restore` fuzz target: `-d` with a non-ASCII character
    /// across byte 19 (the 20-byte buffer cut) panicked on slicing.
    #[test]
    fn fuzz_restore_multibyte_char_across_cut() {
        use super::numeric_to_ipaddr;
        let s = "10.0.0.1000000000\u{fffd}";
        assert_eq!(s.len(), 20);
        assert!(!s.is_char_boundary(19));
        assert_eq!(numeric_to_ipaddr(s, false), None);
        assert_eq!(
            numeric_to_ipaddr("1.2.3.4\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{fffd}", true),
            None
        );
        assert!(super::parse_multiple(
            "1.1.1.11\u{fffd}\u{fffd}\u{fffd}\u{fffd}",
            crate::model::Family::Ipv4
        )
        .is_err());
    }

    use super::*;

    #[test]
    fn v4_masks() {
        assert_eq!(
            parse_one("10.1.2.3/255.255.0.0", Family::Ipv4)
                .unwrap()
                .to_string(),
            "10.1.0.0/16"
        );
        assert_eq!(
            parse_one("10.1.2.3/255.0.255.0", Family::Ipv4)
                .unwrap()
                .to_string(),
            "10.0.2.0/255.0.255.0"
        );
        assert_eq!(
            parse_one("0/0", Family::Ipv4).unwrap().to_string(),
            "0.0.0.0/0"
        );
        assert!(parse_one("10.0.0.1/33", Family::Ipv4).is_err());
        assert!(parse_one("example.com", Family::Ipv4).is_err());
        assert!(parse_one("1.2.3.4.5", Family::Ipv4).is_err());
    }

    #[test]
    fn v6_forms() {
        assert_eq!(
            parse_one("2001:db8::1/64", Family::Ipv6)
                .unwrap()
                .to_string(),
            "2001:db8::/64"
        );
        assert_eq!(ipv6_ntop(&parse_ipv6("::1.2.3.4").unwrap()), "::1.2.3.4");
        assert_eq!(
            ipv6_ntop(&parse_ipv6("::ffff:1.2.3.4").unwrap()),
            "::ffff:1.2.3.4"
        );
        assert_eq!(ipv6_ntop(&parse_ipv6("::2").unwrap()), "::2");
        assert_eq!(ipv6_ntop(&parse_ipv6("1:0:0:2::3").unwrap()), "1:0:0:2::3");
        assert_eq!(ipv6_ntop(&parse_ipv6("::").unwrap()), "::");
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn numeric_to_ipaddr_example() {
        use crate::model::text::addr::numeric_to_ipaddr;
        assert_eq!(numeric_to_ipaddr("10.1", false), Some([10, 1, 0, 0]));
        assert_eq!(numeric_to_ipaddr("010.0.0.1", false), Some([8, 0, 0, 1]));
        assert_eq!(numeric_to_ipaddr("10.1", true), None);
    }
    #[test]
    fn parse_multiple_example() {
        use crate::model::text::addr::parse_multiple;
        use crate::model::Family;
        let v = parse_multiple("192.0.2.7/24,198.51.100.1", Family::Ipv4).unwrap();
        assert_eq!(v[0].to_string(), "192.0.2.0/24");
        assert_eq!(v[1].to_string(), "198.51.100.1/32");
    }
    #[test]
    fn parse_one_example() {
        use crate::model::text::addr::parse_one;
        use crate::model::Family;
        assert_eq!(
            parse_one("2001:db8::1/64", Family::Ipv6)
                .unwrap()
                .to_string(),
            "2001:db8::/64"
        );
        assert_eq!(
            parse_one("2001:db8::1", Family::Ipv4)
                .unwrap_err()
                .to_string(),
            "host/network `2001:db8::1' not found"
        );
    }
}
