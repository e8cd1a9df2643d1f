//! `-m esp` (net/netfilter/xt_esp.c, extensions/libxt_esp.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{range, require_proto, write_inv, write_range};

/// `-m esp`: SPI range (`struct xt_esp`).
///
/// ```
/// use nfsim::model::matches::esp::Esp;
/// assert_eq!(Esp::default().spis, (0, u32::MAX));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Esp {
    /// SPI range (inclusive).
    pub spis: (u32, u32),
    /// `! --espspi`
    pub invert: bool,
}

impl Default for Esp {
    fn default() -> Self {
        Esp {
            spis: (0, u32::MAX),
            invert: false,
        }
    }
}

options!(OPTS = 0 "espspi" arg inv);

impl Extension for Esp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("esp", "espspi")?;
        let (lo, hi, _) = range("esp", "espspi", s, 0, u32::MAX.into())?;
        self.spis = (lo as u32, hi as u32);
        if args.invert {
            self.invert = true;
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_esp.c: both registrations have .proto = IPPROTO_ESP.
        require_proto(ctx, 50, "esp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.spis != (0, u32::MAX) || self.invert {
            write_inv(f, self.invert)?;
            f.write_str(" --espspi ")?;
            write_range(f, self.spis.0.into(), self.spis.1.into())?;
        }
        Ok(())
    }
}
