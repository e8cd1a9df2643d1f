//! Option value parsers and printers shared by match extensions, as
//! libxtables implements them (libxtables/xtoptions.c `xtopt_parse_*`,
//! libxtables/xtables.c `xtables_parse_val_mask`, `xtables_save_string`,
//! `xtables_ipmask_to_numeric`).
//!
//! Host names are never resolved: nfsim has no resolver, so a name where
//! iptables would call `getaddrinfo` is an explicit error.

use core::fmt;

use crate::model::ext::{prefix_mask, strtoul_prefix};
use crate::model::text::addr::{ipv6_ntop, parse_ipv6};
use crate::model::{ByteStr, Family};

/// A 32-bit value with a mask (`XTTYPE_MARKMASK32`: `value[/mask]`), as
/// `--mark` of `-m mark` / `-m connmark` takes it. The value is kept as
/// given (the kernel compares `(mark & mask) == value`).
///
/// ```
/// use nfsim::model::matches::xtopt::MarkMask;
/// let m = MarkMask { value: 0x10, mask: 0xf0 };
/// assert!(m.matches(0x1f) && !m.matches(0x20));
/// assert_eq!(m.to_string(), " 0x10/0xf0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MarkMask {
    /// The value compared with the masked mark.
    pub value: u32,
    /// The mask (`0xffffffff` when not given).
    pub mask: u32,
}

impl MarkMask {
    /// `xtables_parse_val_mask` without a name map.
    pub(crate) fn parse(s: &str, ext: &str, opt: &str) -> Result<Self, String> {
        let bad = || format!("{ext}: bad integer value for option \"--{opt}\", or out of range.");
        let garbage = || format!("{ext}: trailing garbage after value for option \"--{opt}\".");
        let (value, rest) = strtoui_end(s, u32::MAX as u64).ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(MarkMask {
                value: value as u32,
                mask: u32::MAX,
            });
        }
        let Some(m) = rest.strip_prefix('/') else {
            return Err(garbage());
        };
        let (mask, rest) = strtoui_end(m, u32::MAX as u64).ok_or_else(bad)?;
        if !rest.is_empty() {
            return Err(garbage());
        }
        Ok(MarkMask {
            value: value as u32,
            mask: mask as u32,
        })
    }
    /// Whether a mark matches (xt_mark.c `mark_mt`: `(mark & mask) == value`).
    ///
    /// ```
    /// use nfsim::model::matches::xtopt::MarkMask;
    /// let m = MarkMask { value: 0x1, mask: 0xf };
    /// assert!(m.matches(0x31) && !m.matches(0x32));
    /// ```
    #[inline]
    pub fn matches(&self, mark: u32) -> bool {
        mark & self.mask == self.value
    }
}

impl fmt::Display for MarkMask {
    /// `xtables_print_val_mask`: ` 0xV/0xM`, or ` 0xV` for a full mask.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask != u32::MAX {
            write!(f, " 0x{:x}/0x{:x}", self.value, self.mask)
        } else {
            write!(f, " 0x{:x}", self.value)
        }
    }
}

/// `xtables_strtoul` with an end pointer: the value (in `0..=max`) and the
/// unparsed rest. `None` when no digit was read or the value is out of range.
pub(crate) fn strtoui_end(s: &str, max: u64) -> Option<(u64, &str)> {
    let (v, rest) = strtoul_prefix(s)?;
    if rest.len() == s.len() || v > max {
        return None;
    }
    Some((v, rest))
}

/// `atoi`/`atoll`: optional whitespace and sign, then decimal digits; 0 when
/// there are none. Saturates instead of overflowing.
pub(crate) fn atoll(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in t.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// `XTTYPE_UINT*RC` (`xtopt_parse_mint`): `a`, `a:b`, `a:`, `:b` with values
/// in `min..=max`; a missing first bound is `min`, a missing second bound is
/// `max`; the second bound may not be below the first. Returns the bounds
/// and how many components were given (1 or 2).
pub(crate) fn parse_uint_range(
    s: &str,
    min: u64,
    max: u64,
    ext: &str,
    opt: &str,
) -> Result<((u64, u64), u8), String> {
    let mut vals = [min, max];
    let mut n = 0u8;
    let mut lmin = min;
    let mut arg = s;
    loop {
        if n == 2 {
            return Err(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)"
            ));
        }
        let value;
        let rest;
        if arg.is_empty() || arg.starts_with(':') {
            value = if n == 1 { max } else { lmin };
            rest = arg;
        } else {
            let Some((v, r)) = strtoul_prefix(arg)
                .filter(|(v, r)| r.len() != arg.len() && *v >= lmin && *v <= max)
            else {
                return Err(format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{arg}\", or out of range ({lmin}-{max})."
                ));
            };
            if !r.is_empty() && !r.starts_with(':') {
                return Err(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{r}\"."
                ));
            }
            value = v;
            lmin = v;
            rest = r;
        }
        vals[n as usize] = value;
        n += 1;
        match rest.strip_prefix(':') {
            Some(r) => arg = r,
            None => break,
        }
    }
    if n == 1 {
        vals[1] = vals[0];
    }
    Ok(((vals[0], vals[1]), n))
}

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
        let (v, rest) = strtoul_prefix(p)?;
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
    if let Some(v) = crate::model::ext::strtoui(s, 0, max as u64) {
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

pub(crate) use crate::model::ext::save_string;

/// `strncasecmp(input, name, strlen(input)) == 0`: the input is a
/// case-insensitive prefix of `name` (an empty input matches anything).
pub(crate) fn is_prefix_nocase(input: &str, name: &str) -> bool {
    input.len() <= name.len()
        && name.as_bytes()[..input.len()].eq_ignore_ascii_case(input.as_bytes())
}

/// The first `max` bytes of `s`, as C cuts a string into a fixed-size
/// field (`strncpy`, `xtopt_parse_string`): bytes, so a cut inside a UTF-8
/// sequence keeps its first bytes, as iptables stores them.
pub(crate) fn cut_c(s: &[u8], max: usize) -> &[u8] {
    &s[..s.len().min(max)]
}

/// A string stored in a fixed-size kernel field with `XTOPT_PUT`
/// (`xtopt_parse_string`): cut to `size - 1` bytes (see [`cut_c`]).
pub(crate) fn truncate_c(s: &[u8], size: usize) -> ByteStr {
    ByteStr::from(cut_c(s, size.saturating_sub(1)))
}

/// Checks an excluded pair at final-check time (`xtables_option_fcheck2`):
/// both `a` and `b` (option ids) seen.
pub(crate) fn excl(
    seen: u64,
    a: u8,
    b: u8,
    ext: &str,
    aname: &str,
    bname: &str,
) -> Result<(), String> {
    if seen & (1 << a) != 0 && seen & (1 << b) != 0 {
        return Err(format!(
            "{ext}: option \"--{aname}\" cannot be used together with \"--{bname}\"."
        ));
    }
    Ok(())
}

/// One entry of an option table for [`fcheck`]: id, long name, the ids it
/// excludes (`.excl`) and the ids it requires (`.also`), as bit masks.
pub(crate) type FcheckEntry = (u8, &'static str, u64, u64);

/// `xtables_options_fcheck` (without `XTOPT_MAND`): for every given option in
/// table order, each other option id in turn: "also requires" and "cannot
/// be used together" errors, with iptables' wording.
pub(crate) fn fcheck(ext: &str, seen: u64, table: &[FcheckEntry]) -> Result<(), String> {
    for &(id, name, ex, also) in table {
        if seen & (1 << id) == 0 {
            continue;
        }
        for i in 0..32u8 {
            if i == id {
                continue;
            }
            let Some(&(oid, oname, _, _)) = table.iter().find(|e| e.0 == i) else {
                continue;
            };
            let of = 1u64 << oid;
            if also & of != 0 && seen & of == 0 {
                return Err(format!(
                    "{ext}: option \"--{name}\" also requires \"--{oname}\"."
                ));
            }
            if ex & of != 0 && seen & of != 0 {
                return Err(format!(
                    "{ext}: option \"--{name}\" cannot be used together with \"--{oname}\"."
                ));
            }
        }
    }
    Ok(())
}

/// `XTOPT_MAND` at final-check time.
pub(crate) fn mandatory(seen: u64, id: u8, ext: &str, name: &str) -> Result<(), String> {
    if seen & (1 << id) == 0 {
        return Err(format!("{ext}: option \"--{name}\" must be specified"));
    }
    Ok(())
}

/// `strtod` over the whole string (as `xtopt_parse_float` requires): leading
/// blanks, a sign, decimal or hexadecimal (`0x1p-1`) forms, `inf`,
/// `infinity` and `nan` (any case).
pub(crate) fn strtod(s: &str) -> Option<f64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" || (lower.starts_with("nan(") && lower.ends_with(')')) {
        f64::NAN
    } else if let Some(h) = lower.strip_prefix("0x") {
        let (mant, exp) = match h.split_once('p') {
            Some((m, e)) => (m, Some(e)),
            None => (h, None),
        };
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for c in ip.chars() {
            v = v * 16.0 + c.to_digit(16)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in fp.chars() {
            v += c.to_digit(16)? as f64 * scale;
            scale /= 16.0;
        }
        if let Some(e) = exp {
            let e: i32 = e.parse().ok()?;
            v *= 2f64.powi(e);
        }
        v
    } else {
        let ok = !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            && t.as_bytes()[0] != b'+'
            && t.as_bytes()[0] != b'-';
        if !ok {
            return None;
        }
        t.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `XTTYPE_UINT32` (`xtopt_parse_int`) with the entry's `min`/`max`.
pub(crate) fn parse_u32(s: &str, min: u32, max: u32, ext: &str, opt: &str) -> Result<u32, String> {
    crate::model::ext::strtoui(s, min as u64, max as u64)
        .map(|v| v as u32)
        .ok_or_else(|| {
            format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markmask() {
        assert_eq!(
            MarkMask::parse("0xffffffff", "m", "mark").unwrap().mask,
            u32::MAX
        );
        assert!(MarkMask::parse("-1", "m", "mark").is_err());
        assert!(MarkMask::parse("0xfffffffff", "m", "mark").is_err());
        assert!(MarkMask::parse("1/", "m", "mark").is_err());
        assert!(MarkMask::parse("1x", "m", "mark").is_err());
        assert_eq!(
            MarkMask::parse("0/0xffffffff", "m", "mark")
                .unwrap()
                .to_string(),
            " 0x0"
        );
    }

    #[test]
    fn ranges() {
        let r = |s| parse_uint_range(s, 0, u32::MAX as u64, "x", "o");
        assert_eq!(r(":"), Ok(((0, u32::MAX as u64), 2)));
        assert_eq!(r(":5"), Ok(((0, 5), 2)));
        assert!(r("1:2:3").is_err());
        assert!(r("-1").is_err());
        assert!(r("42949672956").is_err());
    }

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
    fn strings() {
        let s = |v: &str| {
            let mut o = crate::model::ext::SaveBuf::default();
            save_string(&mut o, v.as_bytes()).unwrap();
            String::from_utf8(o.into_bytes()).unwrap()
        };
        assert_eq!(s("foo"), " foo");
        assert_eq!(s(""), " \"\"");
        assert_eq!(s("a'b\\"), " \"a\\'b\\\\\"");
        assert_eq!(truncate_c(b"abcdef", 4), "abc");
        assert_eq!(truncate_c("abc\u{e9}".as_bytes(), 5), &b"abc\xc3"[..]);
        assert_eq!(truncate_c("ab\u{e9}".as_bytes(), 5), "ab\u{e9}");
        assert!(is_prefix_nocase("est", "ESTABLISHED"));
        assert!(!is_prefix_nocase("newx", "NEW"));
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn cut_c_example() {
        use crate::model::matches::xtopt::cut_c;
        assert_eq!(cut_c(b"abcdef", 3), b"abc");
        assert_eq!(cut_c("ab\u{e9}".as_bytes(), 3), b"ab\xc3");
    }
    #[test]
    fn inet_aton_example() {
        use crate::model::matches::xtopt::inet_aton;
        assert_eq!(inet_aton("10.1"), Some([10, 0, 0, 1]));
        assert_eq!(inet_aton("0x7f.1"), Some([127, 0, 0, 1]));
        assert_eq!(inet_aton("1.2.3.256"), None);
    }
    #[test]
    fn parse_uint_range_example() {
        use crate::model::matches::xtopt::parse_uint_range;
        assert_eq!(parse_uint_range("3:", 0, 9, "x", "o"), Ok(((3, 9), 2)));
        assert_eq!(parse_uint_range("4", 0, 9, "x", "o"), Ok(((4, 4), 1)));
        assert!(parse_uint_range("4:3", 0, 9, "x", "o").is_err());
    }
    #[test]
    fn strtod_example() {
        use crate::model::matches::xtopt::strtod;
        assert_eq!(strtod(" .5"), Some(0.5));
        assert_eq!(strtod("0X1P-1"), Some(0.5));
        assert_eq!(strtod("0.5 "), None);
    }
}
