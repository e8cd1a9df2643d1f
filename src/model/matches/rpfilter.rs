//! `-m rpfilter` (net/ipv4/netfilter/ipt_rpfilter.c,
//! net/ipv6/netfilter/ip6t_rpfilter.c, extensions/libxt_rpfilter.c):
//! reverse-path filter by a route lookup of the source address.
//!
//! Evaluated by `engine::eval::route::rpfilter_mt` with the host's routing
//! table (both families).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::bad_id;
use crate::model::{Hook, TableKind};

/// `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]`.
///
/// ```
/// use nfsim::model::matches::rpfilter::Rpfilter;
/// assert!(!Rpfilter::default().invert);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rpfilter {
    /// `--loose` (`XT_RPFILTER_LOOSE`).
    pub loose: bool,
    /// `--validmark` (`XT_RPFILTER_VALID_MARK`).
    pub validmark: bool,
    /// `--accept-local` (`XT_RPFILTER_ACCEPT_LOCAL`).
    pub accept_local: bool,
    /// `--invert` (`XT_RPFILTER_INVERT`).
    pub invert: bool,
}

options!(OPTS = 0 "loose" flag, 1 "validmark" flag, 2 "accept-local" flag, 3 "invert" flag);

impl Extension for Rpfilter {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => self.loose = true,
            1 => self.validmark = true,
            2 => self.accept_local = true,
            3 => self.invert = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ipt_rpfilter.c rpfilter_check: table must be raw or mangle;
        // registration .hooks = 1 << NF_INET_PRE_ROUTING.
        if !matches!(ctx.table, TableKind::Raw | TableKind::Mangle) {
            return Err(format!(
                "rpfilter: only valid in 'raw' or 'mangle' table, not '{}'",
                ctx.table
            ));
        }
        if ctx.hooks & !Hook::PreRouting.bit() != 0 {
            return Err(format!(
                "x_tables: rpfilter match: used from hooks {:#x}, but only usable from PREROUTING",
                ctx.hooks
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        for (on, name) in [
            (self.loose, " --loose"),
            (self.validmark, " --validmark"),
            (self.accept_local, " --accept-local"),
            (self.invert, " --invert"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        Ok(())
    }
}
