//! `-j TEE --gateway ADDR [--oif IFACE]` (extensions/libxt_TEE.c; kernel
//! net/netfilter/xt_TEE.c `tee_tg_check`).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::ext::options;
use crate::model::ext::{Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string};
use crate::model::text::addr::ipv6_ntop;
use crate::model::Family;

/// `-j TEE`: clones the packet to a gateway.
///
/// ```
/// use nfsim::model::targets::tee::Tee;
/// let t = Tee { gateway: [192, 0, 2, 1].into(), oif: nfsim::model::ByteStr::new() };
/// assert!(t.gateway.is_ipv4());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tee {
    /// Next hop.
    pub gateway: IpAddr,
    /// Output interface (at most 15 bytes), empty for any.
    pub oif: crate::model::ByteStr,
}

options!(OPTS = 0 "gateway" arg mand, 1 "oif" arg);

impl Blank for Tee {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Tee {
            gateway: match ctx.family {
                Family::Ipv4 => Ipv4Addr::UNSPECIFIED.into(),
                Family::Ipv6 => Ipv6Addr::UNSPECIFIED.into(),
            },
            oif: crate::model::ByteStr::new(),
        }
    }
}

impl Extension for Tee {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                // XTTYPE_HOST: numeric only (nfsim has no resolver).
                let s = args.required("TEE", "gateway")?;
                let a = match args.ctx.family {
                    Family::Ipv4 => s.parse::<Ipv4Addr>().ok().map(IpAddr::from),
                    Family::Ipv6 => s.parse::<Ipv6Addr>().ok().map(IpAddr::from),
                };
                self.gateway =
                    a.ok_or_else(|| "getaddrinfo: Name or service not known\n".to_string())?;
            }
            1 => self.oif = put_string(args.required_bytes("TEE", "oif")?, 0, 0, 16)?,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // tee_tg_check: the gateway must not be all zeroes.
        if self.gateway.is_unspecified() {
            return Err("x_tables: TEE: gateway must be set".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        match self.gateway {
            IpAddr::V4(a) => write!(f, " --gateway {a}")?,
            IpAddr::V6(a) => write!(f, " --gateway {}", ipv6_ntop(&a.octets()))?,
        }
        if !self.oif.is_empty() {
            f.write_str(" --oif ")?;
            f.write_bytes(&self.oif);
        }
        Ok(())
    }
}
