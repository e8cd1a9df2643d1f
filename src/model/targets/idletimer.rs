//! `-j IDLETIMER` (extensions/libxt_IDLETIMER.c revision 1; kernel
//! net/netfilter/xt_IDLETIMER.c `idletimer_tg_checkentry_v1`).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, put_string, uint};

/// `-j IDLETIMER --timeout SECS --label NAME [--alarm] [--send_nl_msg]`.
///
/// ```
/// use nfsim::model::targets::idletimer::Idletimer;
/// let t = Idletimer { timeout: 42, label: "foo".into(), alarm: false, send_nl_msg: false };
/// assert_eq!(t.timeout, 42);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idletimer {
    /// Seconds.
    pub timeout: u32,
    /// Timer name (at most 27 bytes).
    pub label: crate::model::ByteStr,
    /// `XT_IDLETIMER_ALARM` timer type.
    pub alarm: bool,
    /// Send a netlink message on expiry.
    pub send_nl_msg: bool,
}

options!(OPTS = 0 "timeout" arg, 1 "label" arg, 2 "alarm" flag, 3 "send_nl_msg" flag);

impl Default for Idletimer {
    fn default() -> Self {
        Idletimer {
            timeout: 0,
            label: crate::model::ByteStr::new(),
            alarm: false,
            send_nl_msg: false,
        }
    }
}

impl Extension for Idletimer {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                self.timeout = uint(
                    "IDLETIMER",
                    "timeout",
                    args.required("IDLETIMER", "timeout")?,
                    0,
                    u32::MAX as u64,
                )? as u32
            }
            1 => self.label = put_string(args.required_bytes("IDLETIMER", "label")?, 0, 0, 28)?,
            2 => self.alarm = true,
            3 => self.send_nl_msg = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        fcheck(
            "IDLETIMER",
            seen,
            &[(0, "timeout", 0, 0, true), (1, "label", 0, 0, true)],
        )
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // idletimer_tg_helper
        if self.timeout == 0 || self.timeout >= (i32::MAX as u32) / 1000 {
            return Err(format!(
                "x_tables: IDLETIMER: timeout value is invalid: {}",
                self.timeout
            ));
        }
        if self.label.is_empty() {
            return Err("x_tables: IDLETIMER: label is empty or not nul-terminated".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --timeout {} --label ", self.timeout)?;
        f.write_bytes(&self.label);
        if self.alarm {
            f.write_str(" --alarm")?;
        }
        if self.send_nl_msg {
            f.write_str(" --send_nl_msg")?;
        }
        Ok(())
    }
}
