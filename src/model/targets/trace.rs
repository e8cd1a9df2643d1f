//! `-j TRACE` (net/netfilter/xt_TRACE.c): marks the packet for tracing.

use core::fmt;

use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::TableKind;

/// `-j TRACE`: no options; only valid in the raw table.
///
/// ```
/// use nfsim::model::targets::trace::Trace;
/// let _ = Trace;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trace;

impl Extension for Trace {
    fn options(_: crate::model::Family) -> &'static [OptSpec] {
        &[]
    }
    fn parse(&mut self, _: &mut Args<'_>) -> Result<(), String> {
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_TRACE.c registers the target with .table = "raw".
        if ctx.table != TableKind::Raw {
            return Err("x_tables: TRACE target: only valid in raw table".into());
        }
        Ok(())
    }
    fn save(&self, _: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        Ok(())
    }
}
