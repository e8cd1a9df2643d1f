//! Shared option-argument helpers for match extensions: the libxtables
//! option types (libxtables/xtoptions.c) that many extensions use
//! (`XTTYPE_UINT*`, `XTTYPE_UINT*RC`), the final-check rules
//! (`XTOPT_MAND`, `.excl`) and the kernel's hook check.

use core::fmt;

use crate::model::ext::{strtoul_prefix, CheckCtx};
use crate::model::{Hook, HookMask};

/// `xtopt_parse_int`: a whole number in `[min, max]`, with xtables' message.
pub(crate) fn uint(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, String> {
    match strtoul_prefix(s) {
        Some((v, "")) if v >= min && v <= max => Ok(v),
        _ => Err(format!(
            "{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max})."
        )),
    }
}

/// `xtopt_parse_mint` for a two-element range (`XTTYPE_UINT*RC`): `a`,
/// `a:b`, `a:`, `:b`, `:`. Returns `(lo, hi, nvals)`; `hi` is `lo` when only
/// one value was given (what every user of these types does with
/// `nvals == 1`). The second value must not be below the first.
pub(crate) fn mint(
    ext: &str,
    opt: &str,
    s: &str,
    min: u64,
    max: u64,
) -> Result<(u64, u64, usize), String> {
    let mut vals = [0u64; 2];
    let mut nvals = 0usize;
    let mut lmin = min;
    let mut arg = s;
    loop {
        if nvals == 2 {
            return Err(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)"
            ));
        }
        let (value, end) = if arg.is_empty() || arg.starts_with(':') {
            (if nvals == 1 { max } else { lmin }, arg)
        } else {
            let parsed = strtoul_prefix(arg).filter(|(v, _)| *v >= lmin && *v <= max);
            let Some((v, end)) = parsed else {
                return Err(format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{arg}\", or out of range ({lmin}-{max})."
                ));
            };
            if !end.is_empty() && !end.starts_with(':') {
                return Err(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{end}\"."
                ));
            }
            lmin = v;
            (v, end)
        };
        vals[nvals] = value;
        nvals += 1;
        match end.strip_prefix(':') {
            Some(rest) => arg = rest,
            None => break,
        }
    }
    if nvals == 1 {
        vals[1] = vals[0];
    }
    Ok((vals[0], vals[1], nvals))
}

/// `XTOPT_MAND` in `xtables_options_fcheck`.
pub(crate) fn mand(seen: u64, id: u8, ext: &str, opt: &str) -> Result<(), String> {
    if seen & (1 << id) == 0 {
        return Err(format!("{ext}: option \"--{opt}\" must be specified"));
    }
    Ok(())
}

/// `.excl` in `xtables_option_fcheck2`: options `a` and `b` both given.
pub(crate) fn excl(seen: u64, a: u8, b: u8, ext: &str, an: &str, bn: &str) -> Result<(), String> {
    if seen & (1 << a) != 0 && seen & (1 << b) != 0 {
        return Err(format!(
            "{ext}: option \"--{an}\" cannot be used together with \"--{bn}\"."
        ));
    }
    Ok(())
}

/// `xt_check_match`'s hook check (net/netfilter/x_tables.c): the chain must
/// only be reachable from hooks in `allowed` (the `.hooks` of the
/// extension's `xt_match` registration).
pub(crate) fn require_hooks(ctx: &CheckCtx, allowed: HookMask, name: &str) -> Result<(), String> {
    if ctx.hooks & !allowed != 0 {
        let list = |m: HookMask| {
            Hook::ALL
                .iter()
                .filter(|h| m & h.bit() != 0)
                .map(|h| h.chain_name())
                .collect::<Vec<_>>()
                .join("/")
        };
        return Err(format!(
            "x_tables: {name} match: used from hooks {}, but only valid from {}",
            list(ctx.hooks),
            list(allowed)
        ));
    }
    Ok(())
}

/// Writes ` !` when `inv`.
pub fn write_inv(f: &mut dyn fmt::Write, inv: bool) -> fmt::Result {
    if inv {
        f.write_str(" !")?;
    }
    Ok(())
}

/// Writes `lo` or `lo:hi` (the `*_save` range idiom).
pub fn write_range(f: &mut dyn fmt::Write, lo: u64, hi: u64) -> fmt::Result {
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
    fn mint_forms() {
        let m = |s| mint("x", "o", s, 0, 0xffff_ffff);
        assert_eq!(m(":3"), Ok((0, 3, 2)));
        assert_eq!(m("3:3"), Ok((3, 3, 2)));
        assert_eq!(m("0:4294967295"), Ok((0, 0xffff_ffff, 2)));
        assert!(m("4294967296").is_err());
        assert!(m("-1").is_err());
        assert!(m("0:invalid").is_err());
        assert!(m("1:2:3").is_err());
        assert!(m("1x").is_err());
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn mint_example() {
        use crate::model::matches::xtargs::mint;
        assert_eq!(mint("length", "length", "4:", 0, 65535), Ok((4, 65535, 2)));
        assert_eq!(mint("length", "length", ":", 0, 65535), Ok((0, 65535, 2)));
        assert_eq!(mint("length", "length", "7", 0, 65535), Ok((7, 7, 1)));
        assert!(mint("length", "length", "4:3", 0, 65535).is_err());
    }
    #[test]
    fn uint_example() {
        use crate::model::matches::xtargs::uint;
        assert_eq!(uint("ttl", "ttl-eq", "0x10", 0, 255), Ok(16));
        assert!(uint("ttl", "ttl-eq", "256", 0, 255).is_err());
    }
}
