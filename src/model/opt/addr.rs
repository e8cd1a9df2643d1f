//! Addresses as libxtables reads and writes them: `XTTYPE_HOST`,
//! `XTTYPE_PLEN`, `XTTYPE_HOSTMASK` (libxtables/xtoptions.c) and
//! `xtables_ipaddr_to_numeric`, `xtables_ipmask_to_numeric`
//! (libxtables/xtables.c).
//!
//! Host names are never resolved: nfsim has no resolver, so a name where
//! iptables would call `getaddrinfo` is an explicit error.

use core::fmt;

use super::num::{strtoui, strtoumax};
use crate::model::ext::prefix_mask;
use crate::model::text::addr::{ipv6_ntop, parse_ipv6};
use crate::model::Family;

/// `inet_aton`: `a`, `a.b`, `a.b.c`, `a.b.c.d` with base-0 parts (the last
/// part fills the remaining bytes), as glibc's `getaddrinfo` accepts a
/// numeric IPv4 host.
pub(crate) fn inet_aton(s: &str) -> Option<[u8; 4]> {
    let mut parts = [0u64; 4];
    let mut n = 0;
    for p in s.split('.') {
        if n == 4 || p.is_empty() || !p.as_bytes()[0].is_ascii_digit() {
            return None;
        }
        let (v, rest) = strtoumax(p)?;
        if !rest.is_empty() {
            return None;
        }
        parts[n] = v;
        n += 1;
    }
    let v: u64 = match n {
        1 => parts[0],
        2 if parts[0] <= 0xff && parts[1] <= 0xff_ffff => parts[0] << 24 | parts[1],
        3 if parts[0] <= 0xff && parts[1] <= 0xff && parts[2] <= 0xffff => {
            parts[0] << 24 | parts[1] << 16 | parts[2]
        }
        4 if parts.iter().all(|p| *p <= 0xff) => {
            parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
        }
        _ => return None,
    };
    if v > u32::MAX as u64 {
        return None;
    }
    Some((v as u32).to_be_bytes())
}

/// `XTTYPE_HOST` (`xtopt_parse_host`): one numeric address of the family.
pub(crate) fn parse_host(s: &str, family: Family) -> Result<[u8; 16], String> {
    let mut out = [0u8; 16];
    match family {
        Family::Ipv4 => match inet_aton(s) {
            Some(a) => out[..4].copy_from_slice(&a),
            None if parse_ipv6(s).is_some() => {
                return Err("getaddrinfo: Address family for hostname not supported".into())
            }
            None => {
                return Err(format!(
                    "nfsim: host name lookup is not supported (`{s}' is not a numeric address)"
                ))
            }
        },
        Family::Ipv6 => match parse_ipv6(s) {
            Some(a) => out = a,
            None if inet_aton(s).is_some() => {
                return Err("getaddrinfo: Address family for hostname not supported".into())
            }
            None => {
                return Err(format!(
                    "nfsim: host name lookup is not supported (`{s}' is not a numeric address)"
                ))
            }
        },
    }
    Ok(out)
}

/// A numeric mask for the family (`xtopt_parse_mask`: `getaddrinfo` with
/// `AI_NUMERICHOST`).
fn parse_mask_addr(s: &str, family: Family) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    match family {
        Family::Ipv4 => out[..4].copy_from_slice(&inet_aton(s)?),
        Family::Ipv6 => out = parse_ipv6(s)?,
    }
    Some(out)
}

/// Prefix length of a mask if it is contiguous (`xtables_ipmask_to_cidr`).
pub(crate) fn mask_to_cidr(mask: &[u8; 16], family: Family) -> Option<u8> {
    let n = family.addr_len();
    let mut bits = 0u8;
    let mut ended = false;
    for &b in &mask[..n] {
        if ended {
            if b != 0 {
                return None;
            }
            continue;
        }
        let ones = b.leading_ones() as u8;
        if b != 0xff && b << ones != 0 {
            return None;
        }
        bits += ones;
        ended = b != 0xff;
    }
    Some(bits)
}

/// `XTTYPE_PLEN` (`xtopt_parse_plen`): a prefix length `0..=32|128`, or a
/// mask in address form. Returns the length, `None` for a valid but
/// non-contiguous mask (libxtables' `(uint8_t)-1`).
pub(crate) fn parse_plen(
    s: &str,
    family: Family,
    ext: &str,
    opt: &str,
) -> Result<Option<u8>, String> {
    let max = family.max_prefix();
    if let Some(v) = strtoui(s, 0, max as u64) {
        return Ok(Some(v as u8));
    }
    match parse_mask_addr(s, family) {
        Some(m) => Ok(mask_to_cidr(&m, family)),
        None => Err(format!(
            "{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max})."
        )),
    }
}

/// An address with a mask as `XTTYPE_HOSTMASK` stores it: the address is
/// kept as given (not masked), and compared under the mask
/// (xt_conntrack.c `conntrack_addrcmp`).
///
/// ```
/// use nfsim::model::matches::xtopt::HostMask;
/// use nfsim::model::Family;
/// let mut h = HostMask::host(Family::Ipv4, [192, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
/// h.mask[3] = 0; // 192.0.2.7/24
/// assert_eq!(h.to_string(), "192.0.2.7/24");
/// assert!(h.matches(&[192, 0, 2, 200]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostMask {
    /// Family.
    pub family: Family,
    /// Address bytes as given (first 4 used for IPv4).
    pub addr: [u8; 16],
    /// Mask bytes.
    pub mask: [u8; 16],
}

impl HostMask {
    /// `xtopt_parse_hostmask`: `HOST[/PLEN|/MASK]`. As iptables 1.8.9 does
    /// (checked against it), a mask in address form that is not contiguous
    /// (or a number beyond the prefix range that reads as such an IPv4
    /// mask) leaves the full mask.
    pub(crate) fn parse(s: &str, family: Family, ext: &str, opt: &str) -> Result<Self, String> {
        let full = prefix_mask(family.max_prefix());
        let mut full4 = full;
        if family == Family::Ipv4 {
            full4[4..].fill(0);
        }
        let (host, mask) = match s.split_once('/') {
            None => (s, None),
            Some((h, m)) => (h, Some(m)),
        };
        let addr = parse_host(host, family)?;
        let mask = match mask {
            None => full4,
            Some(m) => match parse_plen(m, family, ext, opt)? {
                Some(p) => {
                    let mut x = prefix_mask(p);
                    if family == Family::Ipv4 {
                        x[4..].fill(0);
                    }
                    x
                }
                None => full4,
            },
        };
        Ok(HostMask { family, addr, mask })
    }
    /// A host with the full mask.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::model::matches::xtopt::HostMask;
    /// let h = HostMask::host(Family::Ipv4, [192, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    /// assert_eq!(h.to_string(), "192.0.2.7");
    /// ```
    pub fn host(family: Family, addr: [u8; 16]) -> Self {
        let mut mask = prefix_mask(family.max_prefix());
        if family == Family::Ipv4 {
            mask[4..].fill(0);
        }
        HostMask { family, addr, mask }
    }
    /// Whether `a` equals the address under the mask.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::model::matches::xtopt::HostMask;
    /// let h = HostMask::host(Family::Ipv4, [192, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    /// assert!(h.matches(&[192, 0, 2, 7]) && !h.matches(&[192, 0, 2, 8]));
    /// ```
    #[inline]
    pub fn matches(&self, a: &[u8]) -> bool {
        let n = self.family.addr_len();
        a.len() >= n && (0..n).all(|i| (a[i] ^ self.addr[i]) & self.mask[i] == 0)
    }
}

/// Writes an address of the family as `xtables_ipaddr_to_numeric` /
/// `xtables_ip6addr_to_numeric` do.
pub(crate) fn write_addr(f: &mut dyn fmt::Write, family: Family, a: &[u8; 16]) -> fmt::Result {
    match family {
        Family::Ipv4 => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        Family::Ipv6 => f.write_str(&ipv6_ntop(a)),
    }
}

/// Writes a mask suffix as `xtables_ipmask_to_numeric` does: nothing for a
/// full mask, `/N` for a contiguous one, `/MASK` otherwise.
pub(crate) fn write_mask_suffix(
    f: &mut dyn fmt::Write,
    family: Family,
    m: &[u8; 16],
) -> fmt::Result {
    match mask_to_cidr(m, family) {
        Some(p) if p == family.max_prefix() => Ok(()),
        Some(p) => write!(f, "/{p}"),
        None => {
            f.write_str("/")?;
            write_addr(f, family, m)
        }
    }
}

impl fmt::Display for HostMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_addr(f, self.family, &self.addr)?;
        write_mask_suffix(f, self.family, &self.mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostmask() {
        let p = |s| HostMask::parse(s, Family::Ipv4, "c", "o").map(|h| h.to_string());
        assert_eq!(p("1.2.3.4/255.255.0.0").unwrap(), "1.2.3.4/16");
        assert_eq!(p("1.2.3.4/255.0.255.0").unwrap(), "1.2.3.4");
        assert_eq!(p("1.2.3.4/100").unwrap(), "1.2.3.4");
        assert_eq!(p("1.2.3.4/0x10").unwrap(), "1.2.3.4/16");
        assert_eq!(p("10.1").unwrap(), "10.0.0.1");
        assert!(p("1.2.3.4/").is_err());
        assert!(p("foo").is_err());
        let p6 = |s| HostMask::parse(s, Family::Ipv6, "c", "o").map(|h| h.to_string());
        assert_eq!(p6("2001:db8::1/ffff:ffff::").unwrap(), "2001:db8::1/32");
        assert!(p6("2001:db8::1/129").is_err());
        assert!(p6("1.2.3.4").is_err());
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(inet_aton("10.1"), Some([10, 0, 0, 1]));
        assert_eq!(inet_aton("0x7f.1"), Some([127, 0, 0, 1]));
        assert_eq!(inet_aton("1.2.3.256"), None);
    }
}
