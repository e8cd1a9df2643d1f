//! The final checks of libxtables (`xtables_options_fcheck`,
//! libxtables/xtoptions.c: `XTOPT_MAND`, `.also`, `.excl`) and the
//! kernel's `xt_check_match` / `xt_check_target` checks of tables, hooks and
//! protocol (net/netfilter/x_tables.c), with their messages.

use crate::model::ext::CheckCtx;
use crate::model::{Hook, HookMask, TableKind};

/// `XTOPT_MAND`: the first of `opts` (id, long name) missing from `seen`,
/// as libxtables reports it.
pub(crate) fn mandatory(ext: &str, seen: u64, opts: &[(u8, &str)]) -> Result<(), String> {
    match opts.iter().find(|(id, _)| seen & (1 << id) == 0) {
        Some((_, name)) => Err(format!("{ext}: option \"--{name}\" must be specified")),
        None => Ok(()),
    }
}

/// An extension's own check that at least one of its options (`seen`,
/// the bits of the options it counts) was given, with its message.
pub(crate) fn given_any(seen: u64, message: &str) -> Result<(), String> {
    if seen == 0 {
        return Err(message.into());
    }
    Ok(())
}

/// `.excl` of one pair: options `a` and `b` (id, long name) both given.
pub(crate) fn exclusive(ext: &str, seen: u64, a: (u8, &str), b: (u8, &str)) -> Result<(), String> {
    if seen & (1 << a.0) != 0 && seen & (1 << b.0) != 0 {
        return Err(format!(
            "{ext}: option \"--{}\" cannot be used together with \"--{}\".",
            a.1, b.1
        ));
    }
    Ok(())
}

/// One option's constraints for [`fcheck`]: id, long name, `excl` bits,
/// `also` bits, `XTOPT_MAND`.
pub type Constraint = (u8, &'static str, u64, u64, bool);

/// `xtables_options_fcheck`: for each option of the table in order, a
/// missing mandatory one, then each other option of the table in order:
/// a missing `also` and a given `excl`, with libxtables' messages. (Tables
/// are in id order, as libxtables walks its options.)
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

/// The error for an option id an extension does not declare (the
/// framework only passes declared ids).
pub(crate) fn bad_id() -> Result<(), String> {
    Err("internal error: unknown option id".into())
}

/// The `.proto` check of `xt_check_match` / `xt_check_target`: an extension
/// registered for one protocol needs `-p PROTO` without `!`. `what` is
/// `"NAME match"` or `"NAME target"`.
pub(crate) fn require_proto(ctx: &CheckCtx, proto: u8, what: &str) -> Result<(), String> {
    if ctx.proto != proto || ctx.proto_inv {
        return Err(format!("x_tables: {what}: only valid for protocol {proto}"));
    }
    Ok(())
}

/// `xt_check_match`'s hook check: the chain must only be reachable from
/// hooks in `allowed` (the `.hooks` of the extension's `xt_match`).
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

/// `xt_check_target`'s hook check: every hook the rule is reachable from
/// must be in `allowed` (bit per [`Hook`]).
pub(crate) fn require_target_hooks(
    ctx: &CheckCtx,
    allowed: HookMask,
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

/// `xt_check_target`'s table check (`.table`).
pub(crate) fn require_table(ctx: &CheckCtx, table: TableKind, name: &str) -> Result<(), String> {
    if ctx.table != table {
        return Err(format!(
            "x_tables: {name} target: only valid in {} table, not {}",
            table.name(),
            ctx.table.name()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            mandatory("cpu", 0b1, &[(0, "cpu"), (1, "x")]),
            Err("cpu: option \"--x\" must be specified".into())
        );
        assert!(exclusive("e", 0b11, (0, "a"), (1, "b")).is_err());
        assert!(exclusive("e", 0b01, (0, "a"), (1, "b")).is_ok());
    }
}
