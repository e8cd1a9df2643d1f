//! `-m osf` (net/netfilter/xt_osf.c, extensions/libxt_osf.c): passive OS
//! fingerprinting of TCP SYN packets. IPv4 only.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (nfsim loads no fingerprint database).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string, require_proto, uint, write_inv};
use crate::model::Hook;

/// `MAXGENRELEN`: size of the genre buffer.
pub const MAX_GENRE: usize = 32;

/// `-m osf [!] --genre NAME [--ttl 0|1|2] [--log 0|1|2]`.
///
/// ```
/// use nfsim::model::matches::osf::Osf;
/// assert!(Osf::default().ttl.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Osf {
    /// The genre (at most 31 bytes).
    pub genre: crate::model::ByteStr,
    /// `!` (`XT_OSF_INVERT`).
    pub invert: bool,
    /// `--ttl` (`XT_OSF_TTL`): TTL check level 0..=2.
    pub ttl: Option<u32>,
    /// `--log` (`XT_OSF_LOG`): log level 0..=2.
    pub log: Option<u32>,
}

options!(OPTS = 0 "genre" arg inv mand, 1 "ttl" arg, 2 "log" arg);

impl Extension for Osf {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                self.genre = put_string(args.required_bytes("osf", "genre")?, 0, 0, MAX_GENRE)?;
                self.invert = args.invert;
            }
            1 => self.ttl = Some(uint("osf", "ttl", args.required("osf", "ttl")?, 0, 2)? as u32),
            2 => self.log = Some(uint("osf", "log", args.required("osf", "log")?, 0, 2)? as u32),
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_osf.c xt_osf_match: .proto = IPPROTO_TCP, .hooks =
        // PRE_ROUTING | LOCAL_IN | FORWARD.
        require_proto(ctx, 6, "osf match")?;
        let allowed = Hook::PreRouting.bit() | Hook::LocalIn.bit() | Hook::Forward.bit();
        if ctx.hooks & !allowed != 0 {
            return Err(format!(
                "x_tables: osf match: used from hooks {:#x}, but only usable from PREROUTING/INPUT/FORWARD",
                ctx.hooks
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --genre ")?;
        f.write_bytes(&self.genre);
        if let Some(t) = self.ttl {
            write!(f, " --ttl {t}")?;
        }
        if let Some(l) = self.log {
            write!(f, " --log {l}")?;
        }
        Ok(())
    }
}
