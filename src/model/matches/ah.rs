//! `-m ah` (IPv4: net/ipv4/netfilter/ipt_ah.c, extensions/libipt_ah.c;
//! IPv6: net/ipv6/netfilter/ip6t_ah.c, extensions/libip6t_ah.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, range, require_proto, uint, write_inv, write_range};
use crate::model::Family;

/// `-m ah`: SPI range, and for IPv6 also the header length and reserved
/// field (`struct ipt_ah` / `struct ip6t_ah`).
///
/// ```
/// use nfsim::model::matches::ah::Ah;
/// assert_eq!(Ah::default().spis, (0, u32::MAX));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ah {
    /// SPI range (inclusive).
    pub spis: (u32, u32),
    /// `! --ahspi`
    pub spis_inv: bool,
    /// IPv6 `--ahlen`: header length to match; 0 is not tested, inverted or
    /// not (ip6t_ah.c `ah_mt6`: `!ahinfo->hdrlen || ...`).
    pub hdrlen: u32,
    /// IPv6 `! --ahlen`
    pub hdrlen_inv: bool,
    /// IPv6 `--ahres`: reserved field must be zero.
    pub hdrres: bool,
}

impl Default for Ah {
    fn default() -> Self {
        Ah {
            spis: (0, u32::MAX),
            spis_inv: false,
            hdrlen: 0,
            hdrlen_inv: false,
            hdrres: false,
        }
    }
}

ids!(O_SPI, O_LEN, O_RES);

options!(OPTS4 = O_SPI "ahspi" arg inv);
options!(OPTS6 = O_SPI "ahspi" arg inv, O_LEN "ahlen" arg inv, O_RES "ahres" flag);

impl Extension for Ah {
    fn options(family: Family) -> &'static [OptSpec] {
        match family {
            Family::Ipv4 => &OPTS4,
            Family::Ipv6 => &OPTS6,
        }
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_SPI => {
                let s = args.required("ah", "ahspi")?;
                let (lo, hi, _) = range("ah", "ahspi", s, 0, u32::MAX.into())?;
                self.spis = (lo as u32, hi as u32);
                if args.invert {
                    self.spis_inv = true;
                }
            }
            O_LEN => {
                let s = args.required("ah", "ahlen")?;
                self.hdrlen = uint("ah", "ahlen", s, 0, u32::MAX.into())? as u32;
                if args.invert {
                    self.hdrlen_inv = true;
                }
            }
            O_RES => self.hdrres = true,
            _ => return bad_id(),
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ipt_ah.c: ah_mt_reg has .proto = IPPROTO_AH; ip6t_ah.c has no
        // .proto (it walks the extension headers itself).
        match ctx.family {
            Family::Ipv4 => require_proto(ctx, 51, "ah match"),
            Family::Ipv6 => Ok(()),
        }
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.spis != (0, u32::MAX) || self.spis_inv {
            write_inv(f, self.spis_inv)?;
            f.write_str(" --ahspi ")?;
            write_range(f, self.spis.0.into(), self.spis.1.into())?;
        }
        if self.hdrlen != 0 || self.hdrlen_inv {
            write_inv(f, self.hdrlen_inv)?;
            write!(f, " --ahlen {}", self.hdrlen)?;
        }
        if self.hdrres {
            f.write_str(" --ahres")?;
        }
        Ok(())
    }
}
