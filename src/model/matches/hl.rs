//! `-m hl` (net/netfilter/xt_hl.c `hl_mt6`, extensions/libip6t_hl.c).

use core::fmt;

use super::ttl::{finish_hl, parse_hl, save_hl, HlMode, O_EQ, O_GT, O_LT};
use crate::model::ext::options;
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};

/// `-m hl`: compares the IPv6 hop limit (`struct ip6t_hl_info`).
///
/// ```
/// use nfsim::model::matches::{hl::Hl, ttl::HlMode};
/// let h = Hl { mode: HlMode::Eq, hop_limit: 255 };
/// assert!(h.mode.test(255, h.hop_limit));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hl {
    /// Comparison.
    pub mode: HlMode,
    /// Value compared with.
    pub hop_limit: u8,
}

options!(OPTS = O_LT "hl-lt" arg, O_GT "hl-gt" arg, O_EQ "hl-eq" arg inv, O_EQ "hl" arg);

impl Extension for Hl {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        (self.mode, self.hop_limit) = parse_hl("hl", &OPTS, args.id, args.invert, args)?;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        finish_hl(
            seen,
            "hl",
            &OPTS,
            "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_hl(f, "hl", self.mode, self.hop_limit)
    }
}
