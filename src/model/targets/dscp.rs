//! `-j DSCP` (extensions/libxt_DSCP.c, dscp_helper.c; kernel
//! net/netfilter/xt_DSCP.c `dscp_tg_check`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, require_table, uint};
use crate::model::TableKind;

/// Largest DSCP value (`XT_DSCP_MAX`).
pub const DSCP_MAX: u8 = 0x3f;

/// `-j DSCP`: sets the 6-bit DSCP field.
///
/// ```
/// use nfsim::model::targets::dscp::Dscp;
/// assert_eq!(Dscp { dscp: 0x2e }.dscp << 2, 0xb8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dscp {
    /// The codepoint 0..=0x3f.
    pub dscp: u8,
}

/// `class_to_dscp` (dscp_helper.c), shared with `-m dscp`.
pub(crate) use crate::model::matches::dscp::class_to_dscp;

ids!(SET, CLASS);

options!(OPTS = SET "set-dscp" arg excl(1 << CLASS), CLASS "set-dscp-class" arg excl(1 << SET));

impl Extension for Dscp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            SET => {
                self.dscp = uint(
                    "DSCP",
                    "set-dscp",
                    args.required("DSCP", "set-dscp")?,
                    0,
                    DSCP_MAX as u64,
                )? as u8
            }
            CLASS => self.dscp = class_to_dscp(args.required("DSCP", "set-dscp-class")?)?,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "DSCP target: Parameter --set-dscp is required")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_DSCP.c: .table = "mangle"; dscp_tg_check: dscp <= XT_DSCP_MAX.
        require_table(ctx, TableKind::Mangle, "DSCP")?;
        if self.dscp > DSCP_MAX {
            return Err(format!("x_tables: DSCP: dscp {:x} out of range", self.dscp));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --set-dscp {:#04x}", self.dscp)
    }
}
