//! `-j CHECKSUM --checksum-fill` (extensions/libxt_CHECKSUM.c; kernel
//! net/netfilter/xt_CHECKSUM.c: table mangle).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::require_table;
use crate::model::TableKind;

/// `-j CHECKSUM --checksum-fill`: computes a missing checksum.
///
/// ```
/// use nfsim::model::targets::checksum::Checksum;
/// assert!(Checksum { fill: true }.fill);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checksum {
    /// `XT_CHECKSUM_OP_FILL`.
    pub fill: bool,
}

options!(OPTS = 0 "checksum-fill" flag mand);

impl Extension for Checksum {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, _args: &mut Args<'_>) -> Result<(), String> {
        self.fill = true;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_table(ctx, TableKind::Mangle, "CHECKSUM")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.fill {
            f.write_str(" --checksum-fill")?;
        }
        Ok(())
    }
}
