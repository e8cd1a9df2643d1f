//! `-m socket` (net/netfilter/xt_socket.c, extensions/libxt_socket.c,
//! revision 3 as iptables 1.8 uses it on a current kernel): whether a local
//! socket matches the packet.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (the simulator has no socket table).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::bad_id;
use crate::model::Hook;

/// `-m socket [--transparent] [--nowildcard] [--restore-skmark]`.
///
/// ```
/// use nfsim::model::matches::socket::Socket;
/// assert!(!Socket::default().transparent);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Socket {
    /// `--transparent` (`XT_SOCKET_TRANSPARENT`).
    pub transparent: bool,
    /// `--nowildcard` (`XT_SOCKET_NOWILDCARD`).
    pub nowildcard: bool,
    /// `--restore-skmark` (`XT_SOCKET_RESTORESKMARK`).
    pub restore_skmark: bool,
}

options!(OPTS = 0 "transparent" flag, 1 "nowildcard" flag, 2 "restore-skmark" flag);

impl Extension for Socket {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => self.transparent = true,
            1 => self.nowildcard = true,
            2 => self.restore_skmark = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_socket.c socket_mt_reg: every revision has
        // .hooks = PRE_ROUTING | LOCAL_IN (xt_check_match rejects others).
        let allowed = Hook::PreRouting.bit() | Hook::LocalIn.bit();
        if ctx.hooks & !allowed != 0 {
            return Err(format!(
                "x_tables: socket match: used from hooks {:#x}, but only usable from PREROUTING/INPUT",
                ctx.hooks
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_socket.c socket_mt_save_v3
        if self.transparent {
            f.write_str(" --transparent")?;
        }
        if self.nowildcard {
            f.write_str(" --nowildcard")?;
        }
        if self.restore_skmark {
            f.write_str(" --restore-skmark")?;
        }
        Ok(())
    }
}
