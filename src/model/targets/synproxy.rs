//! `-j SYNPROXY` (extensions/libxt_SYNPROXY.c; kernel
//! net/netfilter/xt_SYNPROXY.c: hooks INPUT, FORWARD, proto tcp; no table).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_target_hooks, uint};
use crate::model::Hook;

bitflags::bitflags! {
    /// `XT_SYNPROXY_OPT_*`.
    ///
    /// ```
    /// use nfsim::model::targets::synproxy::SynproxyOpts;
    /// let o = SynproxyOpts::MSS | SynproxyOpts::SACK_PERM;
    /// assert!(o.contains(SynproxyOpts::MSS) && !o.contains(SynproxyOpts::WSCALE));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SynproxyOpts: u8 {
        /// `--mss`
        const MSS = 0x01;
        /// `--wscale`
        const WSCALE = 0x02;
        /// `--sack-perm`
        const SACK_PERM = 0x04;
        /// `--timestamp`
        const TIMESTAMP = 0x08;
        /// `--ecn`
        const ECN = 0x10;
    }
}

/// `-j SYNPROXY` (`struct xt_synproxy_info`).
///
/// ```
/// use nfsim::model::targets::synproxy::{Synproxy, SynproxyOpts};
/// let s = Synproxy { options: SynproxyOpts::MSS, wscale: 0, mss: 1460 };
/// assert_eq!(s.mss, 1460);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synproxy {
    /// Options announced.
    pub options: SynproxyOpts,
    /// Window scale (the u32 argument truncated to the u8 field).
    pub wscale: u8,
    /// MSS (the u32 argument truncated to the u16 field).
    pub mss: u16,
}

options!(OPTS = 0 "sack-perm" flag, 1 "timestamp" flag, 2 "wscale" arg, 3 "mss" arg, 4 "ecn" flag);

impl Default for Synproxy {
    fn default() -> Self {
        Synproxy {
            options: SynproxyOpts::empty(),
            wscale: 0,
            mss: 0,
        }
    }
}

impl Extension for Synproxy {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => self.options |= SynproxyOpts::SACK_PERM,
            1 => self.options |= SynproxyOpts::TIMESTAMP,
            2 => {
                let v = uint(
                    "SYNPROXY",
                    "wscale",
                    args.required("SYNPROXY", "wscale")?,
                    0,
                    u32::MAX as u64,
                )?;
                self.options |= SynproxyOpts::WSCALE;
                self.wscale = v as u8;
            }
            3 => {
                let v = uint(
                    "SYNPROXY",
                    "mss",
                    args.required("SYNPROXY", "mss")?,
                    0,
                    u32::MAX as u64,
                )?;
                self.options |= SynproxyOpts::MSS;
                self.mss = v as u16;
            }
            4 => self.options |= SynproxyOpts::ECN,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_target_hooks(ctx, Hook::LocalIn.bit() | Hook::Forward.bit(), "SYNPROXY")?;
        // synproxy_tg4_check / synproxy_tg6_check
        if ctx.proto != 6 || ctx.proto_inv {
            return Err("x_tables: SYNPROXY: only valid for -p tcp".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.options.contains(SynproxyOpts::SACK_PERM) {
            f.write_str(" --sack-perm")?;
        }
        if self.options.contains(SynproxyOpts::TIMESTAMP) {
            f.write_str(" --timestamp")?;
        }
        if self.options.contains(SynproxyOpts::WSCALE) {
            write!(f, " --wscale {}", self.wscale)?;
        }
        if self.options.contains(SynproxyOpts::MSS) {
            write!(f, " --mss {}", self.mss)?;
        }
        if self.options.contains(SynproxyOpts::ECN) {
            f.write_str(" --ecn")?;
        }
        Ok(())
    }
}
