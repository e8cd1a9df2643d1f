//! `-m realm` (net/netfilter/xt_realm.c, extensions/libipt_realm.c): the
//! routing realm (`dst->tclassid`) of the packet's route. IPv4 only.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (routes carry no realms in the simulator).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{strtoumax, write_inv};
use crate::model::Hook;

/// `/etc/iproute2/rt_realms` as iproute2 ships it (the file iptables reads
/// for names): only `0 cosmos`. nfsim does not read host files; this is the
/// default content, which is what the oracle machine has.
pub const REALM_NAMES: &[(u32, &str)] = &[(0, "cosmos")];

/// `xtables_parse_val_mask` (libxtables/xtables.c): `value[/mask]` with
/// numbers in C notation, or a name from `names`. Returns `(value, mask)`.
pub(crate) fn parse_val_mask(
    ext: &str,
    opt: &str,
    s: &str,
    names: &[(u32, &str)],
) -> Result<(u32, u32), String> {
    let bad = || format!("{ext}: bad integer value for option \"--{opt}\", or out of range.");
    let by_name = || {
        names
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(v, _)| (*v, u32::MAX))
            .ok_or_else(|| {
                format!("{ext}: could not map name {s} to an integer value for option \"--{opt}\".")
            })
    };
    let Some((val, rest)) = strtoumax(s).filter(|(v, _)| *v <= u64::from(u32::MAX)) else {
        return by_name();
    };
    let val = val as u32;
    if rest.is_empty() {
        return Ok((val, u32::MAX));
    }
    let Some(m) = rest.strip_prefix('/') else {
        return by_name();
    };
    match strtoumax(m) {
        Some((mask, "")) if mask <= u64::from(u32::MAX) => Ok((val, mask as u32)),
        Some((mask, _)) if mask <= u64::from(u32::MAX) => Err(format!(
            "{ext}: trailing garbage after value for option \"--{opt}\"."
        )),
        _ => Err(bad()),
    }
}

/// `xtables_print_val_mask`: ` 0xV/0xM`, or ` NAME` / ` 0xV` for a full mask.
pub(crate) fn save_val_mask(
    f: &mut dyn fmt::Write,
    val: u32,
    mask: u32,
    names: &[(u32, &str)],
) -> fmt::Result {
    if mask != u32::MAX {
        return write!(f, " {val:#x}/{mask:#x}");
    }
    match names.iter().find(|(v, _)| *v == val) {
        Some((_, n)) => write!(f, " {n}"),
        None => write!(f, " {val:#x}"),
    }
}

/// `-m realm [!] --realm value[/mask]`.
///
/// ```
/// use nfsim::model::matches::realm::Realm;
/// assert_eq!(Realm::default().mask, u32::MAX);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm {
    /// Realm id.
    pub id: u32,
    /// Mask applied to the route's realm before comparing.
    pub mask: u32,
    /// `!`
    pub invert: bool,
}

impl Default for Realm {
    fn default() -> Self {
        Realm {
            id: 0,
            mask: u32::MAX,
            invert: false,
        }
    }
}

options!(OPTS = 0 "realm" arg inv mand);

impl Extension for Realm {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let (v, m) = parse_val_mask(
            "realm",
            "realm",
            args.required("realm", "realm")?,
            REALM_NAMES,
        )?;
        self.id = v;
        self.mask = m;
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_realm.c realm_mt_reg: .hooks = POST_ROUTING | FORWARD |
        // LOCAL_OUT | LOCAL_IN (no PREROUTING: no route yet).
        if ctx.hooks & Hook::PreRouting.bit() != 0 {
            return Err(format!(
                "x_tables: realm match: used from hooks {:#x}, but only usable from INPUT/FORWARD/OUTPUT/POSTROUTING",
                ctx.hooks
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --realm")?;
        save_val_mask(f, self.id, self.mask, REALM_NAMES)
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_val_mask_example() {
        use crate::model::matches::realm::{parse_val_mask, REALM_NAMES};
        assert_eq!(
            parse_val_mask("realm", "realm", "0x1/0x2a", REALM_NAMES),
            Ok((1, 0x2a))
        );
        assert_eq!(
            parse_val_mask("realm", "realm", "cosmos", REALM_NAMES),
            Ok((0, !0))
        );
    }
}
