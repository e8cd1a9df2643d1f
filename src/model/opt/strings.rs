//! Strings and the small printing idioms of the extensions:
//! `XTTYPE_STRING` with `XTOPT_PUT` (`xtopt_parse_string`,
//! libxtables/xtoptions.c), `xtables_save_string`, and the ` !` and
//! `lo[:hi]` of every `*_save`.

use core::fmt;

use crate::model::ByteStr;

pub(crate) use crate::model::ext::save_string;

/// `xtopt_parse_string` with `XTOPT_PUT`: length limits (`min`, `max`, 0 =
/// none) checked with libxtables' messages, then the silent cut to `size -
/// 1` bytes of the kernel's fixed-size field (see [`truncate_c`]).
pub(crate) fn put_string(s: &[u8], min: usize, max: usize, size: usize) -> Result<ByteStr, String> {
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
    Ok(truncate_c(s, size))
}

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

/// A comma-separated list of words, each a case-insensitive prefix of the
/// name of an entry of `table` (the first in table order wins), as
/// libxt_conntrack.c `conntrack_ps_states` and libxt_addrtype.c
/// `parse_types` read them: `found` gets each word's entry index. At the
/// first word no entry takes, `Err` holds the unread rest and whether a
/// word follows it (the callers word their own messages).
pub(crate) fn parse_name_list<'a, T>(
    arg: &'a str,
    table: &[T],
    name: impl Fn(&T) -> &str,
    mut found: impl FnMut(usize),
) -> Result<(), (&'a str, bool)> {
    let mut rest = arg;
    loop {
        let (word, next) = match rest.split_once(',') {
            Some((w, n)) => (w, Some(n)),
            None => (rest, None),
        };
        match table
            .iter()
            .position(|e| !word.is_empty() && is_prefix_nocase(word, name(e)))
        {
            Some(i) => found(i),
            None => return Err((rest, next.is_some())),
        }
        match next {
            Some(n) => rest = n,
            None => return Ok(()),
        }
    }
}

/// Writes ` !` when `inv`.
pub(crate) fn write_inv(f: &mut dyn fmt::Write, inv: bool) -> fmt::Result {
    if inv {
        f.write_str(" !")?;
    }
    Ok(())
}

/// Writes `lo` or `lo:hi` (the `*_save` range idiom).
pub(crate) fn write_range(f: &mut dyn fmt::Write, lo: u64, hi: u64) -> fmt::Result {
    if lo == hi {
        write!(f, "{lo}")
    } else {
        write!(f, "{lo}:{hi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        let s = |v: &[u8]| {
            let mut o = crate::model::ext::SaveBuf::default();
            save_string(&mut o, v).unwrap();
            o.into_bytes()
        };
        assert_eq!(s(b"ab-_9"), b" ab-_9");
        assert_eq!(s(b""), b" \"\"");
        assert_eq!(s(b"a'b\\"), b" \"a\\'b\\\\\"");
        assert_eq!(put_string(b"abcdef", 1, 0, 4), Ok("abc".into()));
        assert!(put_string(b"", 1, 0, 4).is_err());
        assert_eq!(truncate_c("abc\u{e9}".as_bytes(), 5), &b"abc\xc3"[..]);
        assert_eq!(truncate_c("ab\u{e9}".as_bytes(), 5), "ab\u{e9}");
        assert_eq!(cut_c("ab\u{e9}".as_bytes(), 3), b"ab\xc3");
        assert!(is_prefix_nocase("est", "ESTABLISHED"));
        assert!(!is_prefix_nocase("newx", "NEW"));
    }
}
