//! Numbers as libxtables reads them: `xtables_strtoul_base` (libxtables/
//! xtables.c), `xtopt_parse_int` and `xtopt_parse_mint`
//! (libxtables/xtoptions.c), `xtables_parse_val_mask`, and the C library's
//! `atoll` and `strtod` where an extension calls them itself.

use core::fmt;

/// `strtoumax(s, &end, 0)` as `xtables_strtoul_base` uses it: leading
/// white space (C's `isspace`) and `+` skipped, `-` rejected, `0x` hex and
/// leading-`0` octal; `None` when no digit was read or on overflow
/// (`ERANGE`).
pub(crate) fn strtoumax(s: &str) -> Option<(u64, &str)> {
    // The common case, a decimal number without sign, space or leading
    // zero, read directly (the general path below gives the same result).
    let b = s.as_bytes();
    if b.first().is_some_and(|c| (b'1'..=b'9').contains(c)) {
        let end = b
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(b.len());
        let v = b[..end].iter().try_fold(0u64, |v, &c| {
            v.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        })?;
        return Some((v, &s[end..]));
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.starts_with('-') {
        return None;
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    let (radix, digits) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) if h.starts_with(|c: char| c.is_ascii_hexdigit()) => (16, h),
        Some(_) => return Some((0, &t[1..])),
        None if t.starts_with('0') => (8, t),
        None => (10, t),
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for c in digits[..end].chars() {
        let d = u64::from(c.to_digit(radix)?);
        v = v.checked_mul(u64::from(radix))?.checked_add(d)?;
    }
    Some((v, &digits[end..]))
}

/// Number parsing as libxtables does it (`xtables_strtoui`: `strtoul` with
/// base 0, so `0x` hex and leading-`0` octal are accepted; the whole string
/// must be consumed; value in `[min, max]`).
///
/// ```
/// use nfsim::model::ext::strtoui;
/// assert_eq!(strtoui("0x10", 0, 255), Some(16));
/// assert_eq!(strtoui("010", 0, 255), Some(8));
/// assert_eq!(strtoui("300", 0, 255), None);
/// ```
pub fn strtoui(s: &str, min: u64, max: u64) -> Option<u64> {
    match strtoui_end(s, min, max) {
        Some((v, "")) => Some(v),
        _ => None,
    }
}

/// `xtables_strtoui(s, &end, ...)`: a number prefix in `[min, max]` and the
/// unparsed rest; `None` when there are no digits or the value is out of
/// range.
pub(crate) fn strtoui_end(s: &str, min: u64, max: u64) -> Option<(u64, &str)> {
    strtoumax(s).filter(|(v, _)| (min..=max).contains(v))
}

/// `xtopt_parse_int`: an `XTTYPE_UINT*` argument in `[min, max]`, with
/// libxtables' message.
pub(crate) fn uint(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, String> {
    strtoui(s, min, max).ok_or_else(|| {
        format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).")
    })
}

/// `xtopt_parse_mint` for a two-component `XTTYPE_UINT*RC` range: `a`,
/// `a:b`, `a:`, `:b`, `:`. An empty first component is `min`, an empty
/// second `max`; the second must not be below the first. Returns `(lo, hi,
/// number_of_components)`; `hi` is `lo` when one value was given.
pub(crate) fn range(
    ext: &str,
    opt: &str,
    s: &str,
    min: u64,
    max: u64,
) -> Result<(u64, u64, u8), String> {
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
        let (value, end) = if arg.is_empty() || arg.starts_with(':') {
            (if n == 1 { max } else { lmin }, arg)
        } else {
            let (v, end) = strtoui_end(arg, lmin, max).ok_or_else(|| {
                format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{arg}\", or out of range ({lmin}-{max})."
                )
            })?;
            if !end.is_empty() && !end.starts_with(':') {
                return Err(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{end}\"."
                ));
            }
            lmin = v;
            (v, end)
        };
        vals[usize::from(n)] = value;
        n += 1;
        match end.strip_prefix(':') {
            Some(rest) => arg = rest,
            None => break,
        }
    }
    if n == 1 {
        vals[1] = vals[0];
    }
    Ok((vals[0], vals[1], n))
}

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
        let (value, rest) = strtoui_end(s, 0, u32::MAX.into()).ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(MarkMask {
                value: value as u32,
                mask: u32::MAX,
            });
        }
        let Some(m) = rest.strip_prefix('/') else {
            return Err(garbage());
        };
        let (mask, rest) = strtoui_end(m, 0, u32::MAX.into()).ok_or_else(bad)?;
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

/// The operations of `-j MARK`, `-j CONNMARK` and `-j TOS` on a value
/// (libxt_MARK.c `mark_tg_parse`, libxt_CONNMARK.c `connmark_tg_parse_v2`,
/// libxt_TOS.c `tos_tg_parse`), each kept as the kernel's pair `(value,
/// mask)`: new = `(old & !mask) ^ value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XorOp {
    /// `--set-xmark V[/M]`: the pair as given.
    SetX,
    /// `--set-mark V[/M]`: `(V, V | M)`.
    Set,
    /// `--and-mark V`: `(0, !V)`.
    And,
    /// `--or-mark V`: `(V, V)`.
    Or,
    /// `--xor-mark V`: `(V, 0)`.
    Xor,
}

impl XorOp {
    /// The operation of option `id` in an extension's `(id, operation)`
    /// table.
    pub(crate) fn of(id: u8, table: &[(u8, XorOp)]) -> Option<XorOp> {
        table.iter().find(|(i, _)| *i == id).map(|(_, op)| *op)
    }
    /// The kernel's pair for the operation on `VALUE` and `MASK` (the mask
    /// only read by `SetX` and `Set`).
    pub(crate) fn pair(self, (v, m): (u32, u32)) -> (u32, u32) {
        match self {
            XorOp::SetX => (v, m),
            XorOp::Set => (v, v | m),
            XorOp::And => (0, !v),
            XorOp::Or => (v, v),
            XorOp::Xor => (v, 0),
        }
    }
    /// MARK's and CONNMARK's argument: `VALUE[/MASK]` (`xtables_parse_val_mask`)
    /// for the two set forms, a 32-bit `VALUE` otherwise; the kernel's pair.
    pub(crate) fn parse_mark(self, ext: &str, opt: &str, arg: &str) -> Result<(u32, u32), String> {
        let vm = match self {
            XorOp::SetX | XorOp::Set => {
                MarkMask::parse(arg, ext, opt).map(|m| (m.value, m.mask))?
            }
            _ => (uint(ext, opt, arg, 0, u32::MAX.into())? as u32, 0),
        };
        Ok(self.pair(vm))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(strtoumax("010"), Some((8, "")));
        assert_eq!(strtoumax("0"), Some((0, "")));
        assert_eq!(strtoumax("-1"), None);
        assert_eq!(strtoumax("0x10:5"), Some((16, ":5")));
        assert_eq!(strtoumax(":"), None);
        assert_eq!(strtoumax("18446744073709551615"), Some((u64::MAX, "")));
        assert_eq!(strtoumax("18446744073709551616"), None);
        assert_eq!(uint("ttl", "ttl-eq", "0x10", 0, 255), Ok(16));
        assert!(uint("ttl", "ttl-eq", "256", 0, 255).is_err());
    }

    #[test]
    fn ranges() {
        let r = |s| range("x", "o", s, 0, u32::MAX.into());
        assert_eq!(r(":"), Ok((0, u32::MAX.into(), 2)));
        assert_eq!(r(":3"), Ok((0, 3, 2)));
        assert_eq!(r("3:"), Ok((3, u32::MAX.into(), 2)));
        assert_eq!(r("3:3"), Ok((3, 3, 2)));
        assert_eq!(r("7"), Ok((7, 7, 1)));
        assert_eq!(range("x", "o", "", 0, 9), Ok((0, 0, 1)));
        assert!(r("4:3").is_err());
        assert!(r("1:2:3").is_err());
        assert!(r("1x").is_err());
        assert!(r("-1").is_err());
        assert!(r("0:invalid").is_err());
        assert!(r("4294967296").is_err());
    }

    #[test]
    fn markmask() {
        let p = |s| MarkMask::parse(s, "m", "mark").map(|m| (m.value, m.mask));
        assert_eq!(p("5"), Ok((5, u32::MAX)));
        assert_eq!(p("0x5/0xf"), Ok((5, 15)));
        assert_eq!(p("0xffffffff"), Ok((u32::MAX, u32::MAX)));
        for bad in ["-1", "0xfffffffff", "4294967296", "1/", "1x"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert_eq!(
            p("0/0xffffffff").map(|(v, m)| MarkMask { value: v, mask: m }.to_string()),
            Ok(" 0x0".into())
        );
    }

    #[test]
    fn floats() {
        assert_eq!(strtod(" .5"), Some(0.5));
        assert_eq!(strtod("0X1P-1"), Some(0.5));
        assert_eq!(strtod("0.5 "), None);
    }
}
