//! `-j NETMAP --to ADDR[/MASK]` (extensions/libipt_NETMAP.c,
//! libip6t_NETMAP.c; kernel net/netfilter/xt_NETMAP.c).

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::ext::options;
use crate::model::ext::{prefix_mask, AddrMask, Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_table, require_target_hooks, strtoui};
use crate::model::text::addr::ipv6_ntop;
use crate::model::{Family, Hook, TableKind};

/// `-j NETMAP`: maps the address onto `net` keeping the host bits
/// (`min_addr = addr & mask`, `max_addr = min_addr | !mask`).
///
/// ```
/// use nfsim::model::targets::netmap::Netmap;
/// use nfsim::model::AddrMask;
/// let n = Netmap { net: AddrMask::v4([192, 0, 2, 0].into(), 24) };
/// assert_eq!(n.net.prefix_len(), Some(24));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netmap {
    /// The target network (address already masked).
    pub net: AddrMask,
}

/// `XTTYPE_HOSTMASK` (libxtables/xtoptions.c `xtopt_parse_hostmask`): a
/// numeric host (no resolver in nfsim) and an optional prefix length or
/// mask.
pub(crate) fn parse_hostmask(
    s: &str,
    family: Family,
    ext: &str,
    opt: &str,
) -> Result<AddrMask, String> {
    let (host, mask) = match s.find('/') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let mut addr = [0u8; 16];
    let bad_host = || format!("getaddrinfo: Name or service not known (`{host}')\n");
    match family {
        Family::Ipv4 => {
            addr[..4].copy_from_slice(&host.parse::<Ipv4Addr>().map_err(|_| bad_host())?.octets())
        }
        Family::Ipv6 => addr = host.parse::<Ipv6Addr>().map_err(|_| bad_host())?.octets(),
    }
    let max = family.max_prefix();
    let m = match mask {
        None => prefix_mask(max),
        Some(m) => match strtoui(m, 0, max as u64) {
            Some(bits) => prefix_mask(bits as u8),
            None => {
                let mut out = [0u8; 16];
                let parsed = match family {
                    Family::Ipv4 => m
                        .parse::<Ipv4Addr>()
                        .ok()
                        .map(|a| out[..4].copy_from_slice(&a.octets())),
                    Family::Ipv6 => m.parse::<Ipv6Addr>().ok().map(|a| out = a.octets()),
                };
                if parsed.is_none() {
                    return Err(format!(
                        "{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max})."
                    ));
                }
                out
            }
        },
    };
    Ok(AddrMask::with_mask(family, addr, m))
}

/// Writes `ADDR/BITS`, or `ADDR/MASK` for a non-contiguous mask, with
/// glibc's `inet_ntop` spelling.
pub fn write_addr_mask(f: &mut dyn fmt::Write, a: &AddrMask) -> fmt::Result {
    let show = |b: &[u8; 16]| match a.family {
        Family::Ipv4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        Family::Ipv6 => ipv6_ntop(b),
    };
    write!(f, "{}", show(&a.addr))?;
    match a.prefix_len() {
        Some(p) => write!(f, "/{p}"),
        None => write!(f, "/{}", show(&a.mask)),
    }
}

options!(OPTS = 0 "to" arg mand);

impl Blank for Netmap {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Netmap {
            net: AddrMask::with_mask(ctx.family, [0; 16], [0; 16]),
        }
    }
}

impl Extension for Netmap {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                self.net = parse_hostmask(
                    args.required("NETMAP", "to")?,
                    args.ctx.family,
                    "NETMAP",
                    "to",
                )?
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_NETMAP.c: .table = "nat", hooks PREROUTING, POSTROUTING,
        // OUTPUT, INPUT.
        require_table(ctx, TableKind::Nat, "NETMAP")?;
        require_target_hooks(
            ctx,
            Hook::PreRouting.bit()
                | Hook::PostRouting.bit()
                | Hook::LocalOut.bit()
                | Hook::LocalIn.bit(),
            "NETMAP",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(" --to ")?;
        write_addr_mask(f, &self.net)
    }
}
