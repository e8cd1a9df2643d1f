//! `-m ipcomp` (net/netfilter/xt_ipcomp.c, extensions/libxt_ipcomp.c): the
//! CPI of an IPComp header (protocol 108).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, range, require_proto, write_inv};

/// `-m ipcomp [!] --ipcompspi SPI[:SPI] [--compres]`.
///
/// ```
/// use nfsim::model::matches::ipcomp::Ipcomp;
/// assert_eq!(Ipcomp::default().spis, (0, u32::MAX));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipcomp {
    /// CPI range (inclusive); the kernel compares the 16-bit CPI widened.
    pub spis: (u32, u32),
    /// `! --ipcompspi` (`XT_IPCOMP_INV_SPI`).
    pub invert: bool,
    /// `--compres` (`hdrres`; ignored by the kernel's match function).
    pub hdrres: bool,
}

impl Default for Ipcomp {
    fn default() -> Self {
        Ipcomp {
            spis: (0, u32::MAX),
            invert: false,
            hdrres: false,
        }
    }
}

options!(OPTS = 0 "ipcompspi" arg inv, 1 "compres" flag);

impl Extension for Ipcomp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                // XTTYPE_UINT32RC
                let s = args.required("ipcomp", "ipcompspi")?;
                let (lo, hi, _) = range("ipcomp", "ipcompspi", s, 0, u32::MAX.into())?;
                self.spis = (lo as u32, hi as u32);
                self.invert = args.invert;
            }
            1 => self.hdrres = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_ipcomp.c comp_mt_reg: .proto = IPPROTO_COMP.
        require_proto(ctx, 108, "ipcomp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_ipcomp.c comp_save
        if self.spis != (0, u32::MAX) || self.invert {
            write_inv(f, self.invert)?;
            if self.spis.0 != self.spis.1 {
                write!(f, " --ipcompspi {}:{}", self.spis.0, self.spis.1)?;
            } else {
                write!(f, " --ipcompspi {}", self.spis.0)?;
            }
        }
        if self.hdrres {
            f.write_str(" --compres")?;
        }
        Ok(())
    }
}
