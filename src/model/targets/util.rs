//! Helpers shared by the target extensions: libxtables' typed option
//! parsers (`XTTYPE_UINT*`, `XTTYPE_MARKMASK32`, ...), its final check of
//! `excl` / `also` / `XTOPT_MAND` constraints, and `xtables_save_string`.

use crate::model::ext::strtoul_prefix;

/// `xtopt_parse_int` (libxtables/xtoptions.c): a base-0 number in
/// `[min, max]`, whole string consumed, with libxtables' message.
pub(crate) fn parse_uint(s: &str, ext: &str, opt: &str, min: u64, max: u64) -> Result<u64, String> {
    crate::model::ext::strtoui(s, min, max).ok_or_else(|| {
        format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).")
    })
}

/// `xtables_strtoui(s, &end, ...)`: a base-0 number prefix in `[min, max]`
/// and the unparsed rest; `None` when there are no digits or the value is
/// out of range.
pub fn strtoui_end(s: &str, min: u64, max: u64) -> Option<(u64, &str)> {
    let (v, rest) = strtoul_prefix(s)?;
    if v < min || v > max {
        return None;
    }
    Some((v, rest))
}

/// `xtables_parse_mark_mask` (libxtables/xtables.c): `VALUE[/MASK]`, both
/// 32-bit base-0 numbers; the mask defaults to `0xffffffff`.
pub(crate) fn parse_mark_mask(s: &str, ext: &str, opt: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{ext}: bad integer value for option \"--{opt}\", or out of range.");
    let garbage = || format!("{ext}: trailing garbage after value for option \"--{opt}\".");
    let (v, rest) = strtoui_end(s, 0, u32::MAX as u64).ok_or_else(bad)?;
    if rest.is_empty() {
        return Ok((v as u32, u32::MAX));
    }
    let Some(m) = rest.strip_prefix('/') else {
        return Err(garbage());
    };
    let (mask, rest) = strtoui_end(m, 0, u32::MAX as u64).ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(garbage());
    }
    Ok((v as u32, mask as u32))
}

/// One option's constraints for [`fcheck`]: id, long name, `excl` bits,
/// `also` bits, `XTOPT_MAND`.
pub type Constraint = (u8, &'static str, u64, u64, bool);

/// `xtables_options_fcheck` (libxtables/xtoptions.c): mandatory options,
/// `also` requirements and `excl` conflicts, in table order, with
/// libxtables' messages.
pub(crate) fn fcheck(ext: &str, seen: u64, table: &[Constraint]) -> Result<(), String> {
    for &(id, name, excl, also, mand) in table {
        let ef = 1u64 << id;
        if mand && seen & ef == 0 {
            return Err(format!("{ext}: option \"--{name}\" must be specified"));
        }
        if seen & ef == 0 {
            continue;
        }
        for &(oid, oname, _, _, _) in table {
            if oid == id {
                continue;
            }
            let of = 1u64 << oid;
            if also & of != 0 && seen & of == 0 {
                return Err(format!(
                    "{ext}: option \"--{name}\" also requires \"--{oname}\"."
                ));
            }
            if excl & of != 0 && seen & of != 0 {
                return Err(format!(
                    "{ext}: option \"--{name}\" cannot be used together with \"--{oname}\"."
                ));
            }
        }
    }
    Ok(())
}

pub use crate::model::ext::save_string;

/// `XTTYPE_STRING` with `XTOPT_PUT`: length limits (`min`, `max`, 0 = none)
/// checked with libxtables' messages, then truncated to `size - 1` bytes
/// (bytes, as `strncpy` cuts them).
pub(crate) fn put_string(
    s: &[u8],
    min: usize,
    max: usize,
    size: usize,
) -> Result<crate::model::ByteStr, String> {
    if min != 0 && s.len() < min {
        return Err(format!(
            "Argument must have a minimum length of {min} characters\n"
        ));
    }
    if max != 0 && s.len() > max {
        return Err(format!(
            "Argument must have a maximum length of {max} characters\n"
        ));
    }
    Ok(crate::model::matches::xtopt::truncate_c(s, size))
}

/// The kernel's `xt_check_target` table restriction
/// (net/netfilter/x_tables.c).
pub(crate) fn require_table(
    ctx: &crate::model::ext::CheckCtx,
    table: crate::model::TableKind,
    name: &str,
) -> Result<(), String> {
    if ctx.table != table {
        return Err(format!(
            "x_tables: {name} target: only valid in {} table, not {}",
            table.name(),
            ctx.table.name()
        ));
    }
    Ok(())
}

/// The kernel's `xt_check_target` hook restriction: every hook the rule is
/// reachable from must be in `allowed` (bit per [`crate::model::Hook`]).
pub(crate) fn require_hooks(
    ctx: &crate::model::ext::CheckCtx,
    allowed: crate::model::HookMask,
    name: &str,
) -> Result<(), String> {
    if ctx.hooks & !allowed != 0 {
        return Err(format!(
            "x_tables: {name} target: used from hooks {:#x}, but only usable from {allowed:#x}",
            ctx.hooks
        ));
    }
    Ok(())
}

/// The kernel's `xt_check_target` protocol restriction (`.proto`): `-p
/// PROTO` without `!`.
pub(crate) fn require_proto(
    ctx: &crate::model::ext::CheckCtx,
    proto: u8,
    name: &str,
) -> Result<(), String> {
    if ctx.proto != proto || ctx.proto_inv {
        return Err(format!(
            "x_tables: {name} target: only valid for protocol {proto}"
        ));
    }
    Ok(())
}

/// The error for an option id an extension does not declare.
pub(crate) fn bad_id() -> Result<(), String> {
    Err("internal error: unknown option id".into())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn mark_mask_and_strings() {
        assert_eq!(parse_mark_mask("1/2", "M", "x"), Ok((1, 2)));
        assert!(parse_mark_mask("1/", "M", "x").is_err());
        assert!(parse_mark_mask("1x", "M", "x").is_err());
        assert!(parse_mark_mask("-1", "M", "x").is_err());
        let mut s = crate::model::ext::SaveBuf::default();
        save_string(&mut s, b"").unwrap();
        assert_eq!(s.as_bytes(), b" \"\"");
        assert_eq!(put_string(b"abcdef", 1, 0, 4), Ok("abc".into()));
        assert!(put_string(b"", 1, 0, 4).is_err());
    }

    #[test]
    fn fcheck_rules() {
        let t: &[Constraint] = &[
            (0, "a", 0b10, 0, false),
            (1, "b", 0, 0, false),
            (2, "c", 0, 0b1, true),
        ];
        assert!(fcheck("X", 0b100, t).unwrap_err().contains("also requires"));
        assert!(fcheck("X", 0b111, t)
            .unwrap_err()
            .contains("cannot be used together"));
        assert!(fcheck("X", 0, t).unwrap_err().contains("must be specified"));
        assert!(fcheck("X", 0b101, t).is_ok());
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_mark_mask_example() {
        use crate::model::targets::util::parse_mark_mask;
        assert_eq!(parse_mark_mask("5", "MARK", "set-xmark"), Ok((5, u32::MAX)));
        assert_eq!(parse_mark_mask("0x5/0xf", "MARK", "set-xmark"), Ok((5, 15)));
        assert!(parse_mark_mask("4294967296", "MARK", "set-xmark").is_err());
    }
    #[test]
    fn parse_uint_example() {
        use crate::model::targets::util::parse_uint;
        assert_eq!(parse_uint("0x10", "X", "opt", 0, 255), Ok(16));
        assert!(parse_uint("256", "X", "opt", 0, 255).is_err());
    }
}
