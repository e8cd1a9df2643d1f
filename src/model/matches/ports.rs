//! Port and port-range helpers shared by `tcp`, `udp`, `multiport`, ...

use crate::model::names::SERVICES;
use crate::model::opt::{strtoui, write_inv, write_range};

/// `getservbyname(name, proto)`.
pub fn service_port(name: &str, proto: &str) -> Option<u16> {
    SERVICES
        .iter()
        .find(|(n, _, p)| *n == name && *p == proto)
        .map(|(_, port, _)| *port)
}

/// `xtables_parse_port` (libxtables/xtables.c): a number 0..=65535
/// (`xtables_strtoui`, base 0) first, else a service name for `proto`.
pub(crate) fn parse_port(s: &str, proto: &str) -> Result<u16, String> {
    // The usual plain decimal (no sign, no leading zero: what every base
    // of `strtoul` reads the same) without the general number reader.
    let b = s.as_bytes();
    if !b.is_empty()
        && b.len() <= 5
        && (b[0] != b'0' || b.len() == 1)
        && b.iter().all(u8::is_ascii_digit)
    {
        let v = b.iter().fold(0u32, |v, &c| v * 10 + u32::from(c - b'0'));
        if let Ok(p) = u16::try_from(v) {
            return Ok(p);
        }
    }
    if let Some(v) = strtoui(s, 0, 65535) {
        return Ok(v as u16);
    }
    service_port(s, proto).ok_or_else(|| format!("invalid port/service `{s}' specified"))
}

/// `parse_tcp_ports` / `parse_udp_ports` (libxt_tcp.c): `P`, `P:`, `:P`, `P:Q`.
pub(crate) fn parse_port_range(s: &str, proto: &str) -> Result<(u16, u16), String> {
    match s.split_once(':') {
        None => {
            let p = parse_port(s, proto)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let lo = if a.is_empty() {
                0
            } else {
                parse_port(a, proto)?
            };
            let hi = if b.is_empty() {
                0xffff
            } else {
                parse_port(b, proto)?
            };
            if lo > hi {
                return Err("invalid portrange (min > max)".to_string());
            }
            Ok((lo, hi))
        }
    }
}

/// [`parse_port_range`] for ports in plain decimal (no sign, no leading
/// zero, at most 65535: what every base of `strtoul` reads the same, so no
/// service name comes into it): `None` for anything else, an inverted
/// range included, which [`parse_port_range`] reads (or refuses).
#[inline]
pub(crate) fn plain_port_range(s: &[u8]) -> Option<(u16, u16)> {
    // The number before a `:` (or the whole), then the one after it.
    let (lo, n) = plain_port_digits(s)?;
    let (lo, hi) = match s.get(n) {
        None if n == 0 => return None,
        None => (lo, lo),
        Some(b':') => {
            let rest = &s[n + 1..];
            let (hi, m) = plain_port_digits(rest)?;
            if m != rest.len() {
                return None;
            }
            (lo, if m == 0 { 0xffff } else { hi })
        }
        Some(_) => return None,
    };
    (lo <= hi).then_some((lo as u16, hi as u16))
}

/// The decimal number `s` starts with and how many digits it has (`0, 0`
/// for none); `None` for a digit after a leading zero or past 65535.
#[inline(always)]
fn plain_port_digits(s: &[u8]) -> Option<(u32, usize)> {
    let (mut v, mut i) = (0u32, 0);
    while let Some(&c) = s.get(i) {
        let d = u32::from(c.wrapping_sub(b'0'));
        if d > 9 {
            break;
        }
        if i > 0 && v == 0 {
            return None;
        }
        v = v * 10 + d;
        i += 1;
        if v > 0xffff {
            return None;
        }
    }
    Some((v, i))
}

/// Prints ` [!] --NAME lo[:hi]` (`name` is ` --NAME `, spaces included)
/// unless the range is `0:65535` uninverted
/// (libxt_tcp.c `tcp_save`), numbers without `core::fmt`.
#[inline]
pub(crate) fn save_range_buf(
    f: &mut crate::model::ext::SaveBuf,
    name: &str,
    (lo, hi): (u16, u16),
    inv: bool,
) -> core::fmt::Result {
    if (lo, hi) == (0, 0xffff) && !inv {
        return Ok(());
    }
    if inv {
        f.write_bytes(b" !");
    }
    f.write_bytes(name.as_bytes());
    f.write_dec(lo.into());
    if lo != hi {
        f.write_bytes(b":");
        f.write_dec(hi.into());
    }
    Ok(())
}

/// Prints ` [!] --NAME lo[:hi]` when the option was given, even as
/// `0:65535` (libxt_dccp.c `dccp_save`, libxt_sctp.c `sctp_save`).
pub(crate) fn save_given_range(
    f: &mut dyn core::fmt::Write,
    name: &str,
    p: Option<((u16, u16), bool)>,
) -> core::fmt::Result {
    let Some(((lo, hi), inv)) = p else {
        return Ok(());
    };
    write_inv(f, inv)?;
    write!(f, " --{name} ")?;
    write_range(f, lo.into(), hi.into())
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_port_example() {
        use crate::model::matches::ports::parse_port;
        assert_eq!(parse_port("ssh", "tcp"), Ok(22));
        assert_eq!(parse_port("0x50", "tcp"), Ok(80));
        assert!(parse_port("70000", "tcp").is_err());
        for t in [
            "0", "1", "80", "65535", "65536", "99999", "00", "080", "0x50", "+1", " 1", "1 ",
        ] {
            if let Some(r) = super::plain_port_range(t.as_bytes()) {
                assert_eq!(super::parse_port_range(t, "tcp"), Ok(r), "{t}");
            }
            assert_eq!(
                parse_port(t, "tcp").ok(),
                crate::model::opt::strtoui(t, 0, 65535).map(|v| v as u16),
                "{t}"
            );
        }
    }

    #[test]
    fn plain_port_range_is_parse_port_range() {
        use super::{parse_port_range, plain_port_range};
        for t in [
            "0", "22", "65535", "65536", "022", "1:2", ":2", "2:", ":", "3:2", "1:2:3", "a", "",
            "0:0", "00:1", "1:65535", "1:65536", "http", "0x10", "1-2",
        ] {
            if let Some(r) = plain_port_range(t.as_bytes()) {
                assert_eq!(parse_port_range(t, "tcp"), Ok(r), "{t}");
            }
        }
        assert_eq!(plain_port_range(b"1:2"), Some((1, 2)));
        assert_eq!(plain_port_range(b":"), Some((0, 0xffff)));
        assert_eq!(plain_port_range(b"3:2"), None);
        assert_eq!(plain_port_range(b"http"), None);
    }
}
