//! `-m tcpmss` (net/netfilter/xt_tcpmss.c, extensions/libxt_tcpmss.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{range, require_proto, write_inv, write_range};

/// `-m tcpmss`: inclusive range of the TCP MSS option value
/// (`struct xt_tcpmss_match_info`).
///
/// ```
/// use nfsim::model::matches::tcpmss::TcpMss;
/// assert_eq!(TcpMss::default().mss_max, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TcpMss {
    /// Minimum MSS.
    pub mss_min: u16,
    /// Maximum MSS.
    pub mss_max: u16,
    /// `! --mss`
    pub invert: bool,
}

options!(OPTS = 0 "mss" arg inv mand);

impl Extension for TcpMss {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // XTTYPE_UINT16RC (tcpmss_parse)
        let (lo, hi, _) = range("tcpmss", "mss", args.required("tcpmss", "mss")?, 0, 0xffff)?;
        self.mss_min = lo as u16;
        self.mss_max = hi as u16;
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_tcpmss.c: tcpmss_mt_reg has .proto = IPPROTO_TCP.
        require_proto(ctx, 6, "tcpmss match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --mss ")?;
        write_range(f, self.mss_min.into(), self.mss_max.into())
    }
}
