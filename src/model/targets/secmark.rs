//! `-j SECMARK --selctx CONTEXT` (extensions/libxt_SECMARK.c revision 1;
//! kernel net/netfilter/xt_SECMARK.c: tables mangle and security).
//!
//! The kernel resolves the context through the LSM; nfsim has no LSM and
//! accepts any context (as a kernel with SELinux and that context would).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::put_string;
use crate::model::TableKind;

/// `-j SECMARK`.
///
/// ```
/// use nfsim::model::targets::secmark::Secmark;
/// assert!(Secmark { selctx: "system_u:object_r:x:s0".into() }.selctx.ends_with(b":s0"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secmark {
    /// The security context (at most 255 bytes).
    pub selctx: crate::model::ByteStr,
}

options!(OPTS = 0 "selctx" arg mand);

impl Default for Secmark {
    fn default() -> Self {
        Secmark {
            selctx: crate::model::ByteStr::new(),
        }
    }
}

impl Extension for Secmark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.selctx = put_string(args.required_bytes("SECMARK", "selctx")?, 0, 0, 256)?;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // secmark_tg_check / checkentry_lsm: an empty context is invalid.
        if self.selctx.is_empty() {
            return Err("x_tables: SECMARK: invalid security context".into());
        }
        if !matches!(ctx.table, TableKind::Mangle | TableKind::Security) {
            return Err(format!(
                "x_tables: SECMARK: only valid in 'mangle' or 'security' table, not '{}'",
                ctx.table.name()
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(" --selctx ")?;
        f.write_bytes(&self.selctx);
        Ok(())
    }
}
