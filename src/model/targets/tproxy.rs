//! `-j TPROXY` (extensions/libxt_TPROXY.c revision 1; kernel
//! net/netfilter/xt_TPROXY.c: table mangle, hook PREROUTING, `-p tcp|udp`).

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::names::SERVICES;
use crate::model::opt::{bad_id, require_table, require_target_hooks, strtoui, MarkMask};
use crate::model::text::addr::ipv6_ntop;
use crate::model::{Family, Hook, TableKind};

/// `-j TPROXY --on-port P [--on-ip A] [--tproxy-mark V[/M]]`.
///
/// ```
/// use nfsim::model::targets::tproxy::Tproxy;
/// let t = Tproxy { port: 3128, addr: [0, 0, 0, 0].into(), mark_value: 1, mark_mask: 1 };
/// assert_eq!(t.port, 3128);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tproxy {
    /// Local port to redirect to.
    pub port: u16,
    /// Local address (unspecified = the incoming interface's address).
    pub addr: IpAddr,
    /// Mark value (`skb->mark = (mark & !mask) ^ value`).
    pub mark_value: u32,
    /// Mark mask.
    pub mark_mask: u32,
}

ids!(PORT, ADDR, MARK);

options!(OPTS = PORT "on-port" arg mand, ADDR "on-ip" arg, MARK "tproxy-mark" arg);

impl Blank for Tproxy {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Tproxy {
            port: 0,
            addr: match ctx.family {
                Family::Ipv4 => Ipv4Addr::UNSPECIFIED.into(),
                Family::Ipv6 => Ipv6Addr::UNSPECIFIED.into(),
            },
            mark_value: 0,
            mark_mask: 0,
        }
    }
}

impl Extension for Tproxy {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            PORT => {
                // XTTYPE_PORT: a service name (any protocol) or 0..=65535.
                let s = args.required("TPROXY", "on-port")?;
                self.port = match SERVICES.iter().find(|(n, _, _)| *n == s) {
                    Some((_, p, _)) => *p,
                    None => strtoui(s, 0, 65535).ok_or_else(|| {
                        "TPROXY: bad value for option \"--on-port\", or out of range (0-65535)."
                            .to_string()
                    })? as u16,
                };
            }
            ADDR => {
                let s = args.required("TPROXY", "on-ip")?;
                let a = match args.ctx.family {
                    Family::Ipv4 => s.parse::<Ipv4Addr>().ok().map(IpAddr::from),
                    Family::Ipv6 => s.parse::<Ipv6Addr>().ok().map(IpAddr::from),
                };
                self.addr =
                    a.ok_or_else(|| "getaddrinfo: Name or service not known\n".to_string())?;
            }
            MARK => {
                (self.mark_value, self.mark_mask) = MarkMask::parse(
                    args.required("TPROXY", "tproxy-mark")?,
                    "TPROXY",
                    "tproxy-mark",
                )
                .map(|m| (m.value, m.mask))?;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_table(ctx, TableKind::Mangle, "TPROXY")?;
        require_target_hooks(ctx, Hook::PreRouting.bit(), "TPROXY")?;
        // tproxy_tg4_check / tproxy_tg6_check
        if !matches!(ctx.proto, 6 | 17) || ctx.proto_inv {
            return Err("x_tables: TPROXY: Can be used only with -p tcp or -p udp".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --on-port {}", self.port)?;
        match self.addr {
            IpAddr::V4(a) => write!(f, " --on-ip {a}")?,
            IpAddr::V6(a) => write!(f, " --on-ip {}", ipv6_ntop(&a.octets()))?,
        }
        write!(
            f,
            " --tproxy-mark {:#x}/{:#x}",
            self.mark_value, self.mark_mask
        )
    }
}
