//! `-j CONNSECMARK --save|--restore` (extensions/libxt_CONNSECMARK.c;
//! kernel net/netfilter/xt_CONNSECMARK.c: tables mangle and security).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck};
use crate::model::TableKind;

/// `-j CONNSECMARK`: copies the security mark between packet and connection.
///
/// ```
/// use nfsim::model::targets::connsecmark::Connsecmark;
/// assert!(Connsecmark { save: true }.save);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connsecmark {
    /// `--save` (packet to connection); `false` is `--restore`.
    pub save: bool,
}

options!(OPTS = 0 "save" flag, 1 "restore" flag);

impl Default for Connsecmark {
    fn default() -> Self {
        Connsecmark { save: true }
    }
}

impl Extension for Connsecmark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => self.save = true,
            1 => self.save = false,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err("CONNSECMARK target: parameter required".into());
        }
        fcheck(
            "CONNSECMARK",
            seen,
            &[(0, "save", 0b10, 0, false), (1, "restore", 0b01, 0, false)],
        )
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // connsecmark_tg_check
        if !matches!(ctx.table, TableKind::Mangle | TableKind::Security) {
            return Err(format!(
                "x_tables: CONNSECMARK: only valid in 'mangle' or 'security' table, not '{}'",
                ctx.table.name()
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(if self.save { " --save" } else { " --restore" })
    }
}
