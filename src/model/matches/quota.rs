//! `-m quota` (net/netfilter/xt_quota.c, extensions/libxt_quota.c): a byte
//! budget counted down by matching packets.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{uint, write_inv};

/// `-m quota [!] --quota BYTES`.
///
/// ```
/// use nfsim::model::matches::quota::Quota;
/// assert_eq!(Quota::default().quota, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Quota {
    /// The initial quota in bytes.
    pub quota: u64,
    /// `!` (`XT_QUOTA_INVERT`): match once the quota is exhausted.
    pub invert: bool,
}

options!(OPTS = 0 "quota" arg inv mand);

impl Extension for Quota {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // XTTYPE_UINT64, XTOPT_MAND | XTOPT_INVERT.
        self.quota = uint(
            "quota",
            "quota",
            args.required("quota", "quota")?,
            0,
            u64::MAX,
        )?;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        write!(f, " --quota {}", self.quota)
    }
}
