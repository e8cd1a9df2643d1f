//! libxtables option-type helpers shared by the rarer matches: number
//! parsing with libxtables' range checks and messages (`xtopt_parse_int`,
//! `xtopt_parse_mint` in libxtables/xtoptions.c), mandatory-option checks
//! (`xtables_options_fcheck`) and `xtables_save_string` quoting.

use core::fmt;

/// `strtoumax(s, &end, 0)` as libxtables' `xtables_strtoul_base` uses it:
/// leading whitespace and `+` skipped, `-` rejected, `0x` hex and leading-`0`
/// octal; `None` when no digit was read or on overflow (`ERANGE`).
pub fn strtoumax(s: &str) -> Option<(u64, &str)> {
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

/// `xtables_strtoul_base(s, NULL, ...)`: the whole string is a number in `[min, max]`.
pub fn strtoul_full(s: &str, min: u64, max: u64) -> Option<u64> {
    match strtoumax(s) {
        Some((v, "")) if v >= min && v <= max => Some(v),
        _ => None,
    }
}

/// `xtopt_parse_int`: an `XTTYPE_UINT*` argument in `[min, max]`, with
/// libxtables' message.
pub(crate) fn parse_uint(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, String> {
    strtoul_full(s, min, max).ok_or_else(|| {
        format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).")
    })
}

/// `xtopt_parse_mint` for a two-component `XTTYPE_UINT*RC` range `a[:b]`:
/// empty components default to `min` / `max`; the second must not be below
/// the first. Returns `(lo, hi, number_of_components)`.
pub(crate) fn parse_range(
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
            let bad = || {
                format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{arg}\", or out of range ({lmin}-{max})."
                )
            };
            let (v, end) = strtoumax(arg).ok_or_else(bad)?;
            if v < lmin || v > max {
                return Err(bad());
            }
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

/// `XTOPT_MAND` (`xtables_options_fcheck`): the first mandatory option
/// missing from `seen`, as libxtables reports it.
pub(crate) fn mandatory(ext: &str, seen: u64, opts: &[(u8, &str)]) -> Result<(), String> {
    for (id, name) in opts {
        if seen & (1 << id) == 0 {
            return Err(format!("{ext}: option \"--{name}\" must be specified"));
        }
    }
    Ok(())
}

/// `XTOPT_EXCL` (`xtables_option_fcheck2`): options `a` and `b` both given.
pub(crate) fn exclusive(ext: &str, seen: u64, a: (u8, &str), b: (u8, &str)) -> Result<(), String> {
    if seen & (1 << a.0) != 0 && seen & (1 << b.0) != 0 {
        return Err(format!(
            "{ext}: option \"--{}\" cannot be used together with \"--{}\".",
            a.1, b.1
        ));
    }
    Ok(())
}

/// `xtopt_parse_string`: length limits (`min`, `max`, 0 = none) and the
/// silent truncation to `size - 1` bytes of an `XTOPT_PUT` buffer.
pub(crate) fn parse_string(
    s: &[u8],
    min: usize,
    max: usize,
    size: usize,
) -> Result<crate::model::ByteStr, String> {
    if min != 0 && s.len() < min {
        return Err(format!(
            "Argument must have a minimum length of {min} characters"
        ));
    }
    if max != 0 && s.len() > max {
        return Err(format!(
            "Argument must have a maximum length of {max} characters"
        ));
    }
    Ok(super::xtopt::truncate_c(s, size))
}

pub use crate::model::ext::save_string;

/// Writes ` !` when `inv`.
pub fn bang(f: &mut dyn fmt::Write, inv: bool) -> fmt::Result {
    if inv {
        f.write_str(" !")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(strtoumax("010"), Some((8, "")));
        assert_eq!(strtoumax("0"), Some((0, "")));
        assert_eq!(strtoumax("-1"), None);
        assert_eq!(strtoumax("18446744073709551615"), Some((u64::MAX, "")));
        assert_eq!(parse_range("x", "o", ":", 0, 9), Ok((0, 9, 2)));
        assert_eq!(parse_range("x", "o", "", 0, 9), Ok((0, 0, 1)));
        assert!(parse_range("x", "o", "1:2:3", 0, 9).is_err());
        assert!(parse_range("x", "o", "1x", 0, 9).is_err());
    }

    #[test]
    fn strings() {
        let mut s = crate::model::ext::SaveBuf::default();
        save_string(&mut s, b"ab-_9").unwrap();
        save_string(&mut s, b"").unwrap();
        assert_eq!(s.as_bytes(), b" ab-_9 \"\"");
        assert_eq!(parse_string(b"abcdef", 1, 0, 4), Ok("abc".into()));
        assert!(parse_string(b"", 1, 0, 4).is_err());
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_uint_example() {
        use crate::model::matches::xtnum::parse_uint;
        assert_eq!(parse_uint("cpu", "cpu", "7", 0, u32::MAX.into()), Ok(7));
        assert!(parse_uint("cpu", "cpu", "4294967296", 0, u32::MAX.into()).is_err());
    }
    #[test]
    fn parse_range_example() {
        use crate::model::matches::xtnum::parse_range;
        assert_eq!(parse_range("x", "o", ":4", 0, 9), Ok((0, 4, 2)));
        assert_eq!(parse_range("x", "o", "4", 0, 9), Ok((4, 4, 1)));
        assert!(parse_range("x", "o", "4:3", 0, 9).is_err());
    }
    #[test]
    fn strtoumax_example() {
        use crate::model::matches::xtnum::strtoumax;
        assert_eq!(strtoumax("0x10:5"), Some((16, ":5")));
        assert_eq!(strtoumax("18446744073709551616"), None);
        assert_eq!(strtoumax(":"), None);
    }
}
