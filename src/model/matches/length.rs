//! `-m length` (net/netfilter/xt_length.c, extensions/libxt_length.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{range, write_inv, write_range};

/// `-m length`: inclusive range of the packet length (`struct xt_length_info`;
/// the kernel compares the IPv4 total length, or for IPv6 the payload length
/// plus the 40-byte header: xt_length.c `length_mt`, `length_mt6`).
///
/// ```
/// use nfsim::model::matches::length::Length;
/// let l = Length { min: 0, max: 1500, invert: false };
/// assert!(l.max == 1500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Length {
    /// Minimum length.
    pub min: u16,
    /// Maximum length.
    pub max: u16,
    /// `! --length`
    pub invert: bool,
}

options!(OPTS = 0 "length" arg inv mand);

impl Extension for Length {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // XTTYPE_UINT16RC
        let (lo, hi, _) = range(
            "length",
            "length",
            args.required("length", "length")?,
            0,
            0xffff,
        )?;
        self.min = lo as u16;
        self.max = hi as u16;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --length ")?;
        write_range(f, self.min.into(), self.max.into())
    }
}
