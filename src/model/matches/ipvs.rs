//! `-m ipvs` (net/netfilter/xt_ipvs.c, extensions/libxt_ipvs.c): properties
//! of the IPVS connection a packet belongs to.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (the simulator has no IPVS).

use core::fmt;
use std::net::Ipv4Addr;

use super::ports::service_port;
use crate::model::ext::{ids, options};
use crate::model::ext::{prefix_mask, Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui, write_inv};
use crate::model::text::addr::{ipv6_ntop, parse_ipv6};
use crate::model::text::parse_protocol;
use crate::model::Family;

ids!(IPVS, VPROTO, VADDR, VPORT, VDIR, VMETHOD, VPORTCTL);

/// `XT_IPVS_ONCE_MASK`: every property bit except `XT_IPVS_IPVS_PROPERTY`.
const ONCE_MASK: u8 = 0x7e;

/// IPVS forwarding method (`IP_VS_CONN_F_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m ipvs --vmethod GATE\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::ipvs::Method;
/// assert!(matches!(&r.matches[0], Match::Ipvs(m) if m.method == Some(Method::Gate)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `MASQ` (`IP_VS_CONN_F_MASQ` = 0).
    Masq,
    /// `IPIP` (`IP_VS_CONN_F_TUNNEL` = 2).
    Ipip,
    /// `GATE` (`IP_VS_CONN_F_DROUTE` = 3).
    Gate,
}

/// An address with a mask as `XTTYPE_HOSTMASK` stores it (the option
/// toolkit's [`HostMask`](crate::model::matches::xtopt::HostMask)).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m ipvs --vaddr 192.0.2.0/24\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Ipvs(m) if m.vaddr.is_some_and(|h| h.addr[..4] == [192, 0, 2, 0] && h.mask[..4] == [255, 255, 255, 0])));
/// ```
pub use crate::model::opt::HostMask;

/// `xtopt_parse_hostmask` for a numeric host (nfsim does not resolve names).
pub(crate) fn parse_hostmask(
    s: &str,
    family: Family,
    ext: &str,
    opt: &str,
) -> Result<HostMask, String> {
    let (host, mask) = match s.split_once('/') {
        Some((h, m)) => (h, Some(m)),
        None => (s, None),
    };
    let bits = family.max_prefix();
    let mut addr = [0u8; 16];
    match family {
        Family::Ipv4 => {
            let a: Ipv4Addr = host
                .parse()
                .map_err(|_| "getaddrinfo: Name or service not known".to_string())?;
            addr[..4].copy_from_slice(&a.octets());
        }
        Family::Ipv6 => {
            addr = parse_ipv6(host).ok_or("getaddrinfo: Name or service not known")?;
        }
    }
    let mask = match mask {
        None => prefix_mask(bits),
        Some(m) => {
            if let Some(p) = strtoui(m, 0, u64::from(bits)) {
                prefix_mask(p as u8)
            } else {
                let full = match family {
                    Family::Ipv4 => m.parse::<Ipv4Addr>().ok().map(|a| {
                        let mut x = [0u8; 16];
                        x[..4].copy_from_slice(&a.octets());
                        x
                    }),
                    Family::Ipv6 => parse_ipv6(m),
                };
                full.ok_or_else(|| {
                    format!(
                        "{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{bits})."
                    )
                })?
            }
        }
    };
    Ok(HostMask { family, addr, mask })
}

/// Writes `ADDR` plus `xtables_ipmask_to_numeric` / `xtables_ip6mask_to_numeric`
/// (nothing for a full mask, `/N` for a prefix, `/MASK` otherwise).
pub(crate) fn write_hostmask(f: &mut dyn fmt::Write, h: &HostMask, family: Family) -> fmt::Result {
    let n = family.addr_len();
    let mut cidr = Some(0u32);
    let mut ended = false;
    for &b in &h.mask[..n] {
        if ended && b != 0 || (!ended && b != 0xff && b.leading_ones() + b.trailing_zeros() != 8) {
            cidr = None;
            break;
        }
        if b != 0xff {
            ended = true;
        }
        cidr = cidr.map(|c| c + b.leading_ones());
    }
    match family {
        Family::Ipv4 => {
            let a = Ipv4Addr::new(h.addr[0], h.addr[1], h.addr[2], h.addr[3]);
            write!(f, "{a}")?;
            match cidr {
                Some(32) => Ok(()),
                Some(c) => write!(f, "/{c}"),
                None => write!(
                    f,
                    "/{}",
                    Ipv4Addr::new(h.mask[0], h.mask[1], h.mask[2], h.mask[3])
                ),
            }
        }
        Family::Ipv6 => {
            f.write_str(&ipv6_ntop(&h.addr))?;
            match cidr {
                Some(128) => Ok(()),
                Some(c) => write!(f, "/{c}"),
                None => write!(f, "/{}", ipv6_ntop(&h.mask)),
            }
        }
    }
}

/// `-m ipvs`: `struct xt_ipvs_mtinfo` with typed fields. `bitmask` /
/// `invert` have bit `n` for option id `n` (`XT_IPVS_IPVS_PROPERTY` = bit 0,
/// ... `XT_IPVS_VPORTCTL` = bit 6), as the kernel reads them.
///
/// ```
/// use nfsim::model::matches::ipvs::Ipvs;
/// assert_eq!(Ipvs::default().bitmask, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipvs {
    /// Which properties are tested.
    pub bitmask: u8,
    /// Which tests are inverted (`--vdir REPLY` sets the `XT_IPVS_DIR` bit).
    pub invert: u8,
    /// `--vproto`
    pub l4proto: u8,
    /// `--vaddr`
    pub vaddr: Option<HostMask>,
    /// `--vport`
    pub vport: u16,
    /// `--vportctl`
    pub vportctl: u16,
    /// `--vmethod`
    pub method: Option<Method>,
    /// The family, for printing `--vaddr`.
    pub family: Option<Family>,
}

options! {
    OPTS =
    IPVS "ipvs" flag inv, VPROTO "vproto" arg inv, VADDR "vaddr" arg inv, VPORT "vport" arg inv,
    VDIR "vdir" arg, VMETHOD "vmethod" arg inv, VPORTCTL "vportctl" arg inv,
}

/// `XTTYPE_PORT` (`xtables_getportbyname`: a decimal number or a service name).
fn parse_xt_port(s: &str) -> Result<u16, String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = s.parse::<u16>() {
            return Ok(v);
        }
    }
    service_port(s, "tcp")
        .or_else(|| service_port(s, "udp"))
        .ok_or_else(|| format!("Port \"{s}\" does not resolve to anything."))
}

impl Extension for Ipvs {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn new_as(_: &str, ctx: &ExtCtx<'_>) -> Self {
        Ipvs {
            family: Some(ctx.family),
            ..Ipvs::default()
        }
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let bad = |opt: &str, s: &str| format!("ipvs: Bad value for \"--{opt}\" option: \"{s}\"");
        match args.id {
            IPVS => {}
            VPROTO => self.l4proto = parse_protocol(args.required("ipvs", "vproto")?)?,
            VADDR => {
                let s = args.required("ipvs", "vaddr")?;
                self.vaddr = Some(parse_hostmask(s, args.ctx.family, "ipvs", "vaddr")?);
            }
            VPORT => self.vport = parse_xt_port(args.required("ipvs", "vport")?)?,
            VPORTCTL => self.vportctl = parse_xt_port(args.required("ipvs", "vportctl")?)?,
            VDIR => {
                let s = args.required("ipvs", "vdir")?;
                if s.eq_ignore_ascii_case("ORIGINAL") {
                    self.invert &= !(1 << VDIR);
                } else if s.eq_ignore_ascii_case("REPLY") {
                    self.invert |= 1 << VDIR;
                } else {
                    return Err(bad("vdir", s));
                }
            }
            VMETHOD => {
                let s = args.required("ipvs", "vmethod")?;
                self.method = Some(if s.eq_ignore_ascii_case("GATE") {
                    Method::Gate
                } else if s.eq_ignore_ascii_case("IPIP") {
                    Method::Ipip
                } else if s.eq_ignore_ascii_case("MASQ") {
                    Method::Masq
                } else {
                    return Err(bad("vmethod", s));
                });
            }
            _ => bad_id()?,
        }
        self.bitmask |= 1 << args.id;
        if args.invert {
            self.invert |= 1 << args.id;
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // libxt_ipvs.c ipvs_mt_check
        if seen == 0 {
            return Err("IPVS: At least one option is required".into());
        }
        if self.bitmask & ONCE_MASK != 0 {
            if self.invert & 1 != 0 {
                return Err("! --ipvs cannot be together with other options".into());
            }
            self.bitmask |= 1;
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_ipvs.c ipvs_mt_dump with prefix "--"
        let on = |id: u8| self.bitmask & (1 << id) != 0;
        let inv = |id: u8| self.invert & (1 << id) != 0;
        if self.bitmask == 1 {
            write_inv(f, inv(IPVS))?;
            f.write_str(" --ipvs")?;
        }
        if on(VPROTO) {
            write_inv(f, inv(VPROTO))?;
            write!(f, " --vproto {}", self.l4proto)?;
        }
        if on(VADDR) {
            write_inv(f, inv(VADDR))?;
            f.write_str(" --vaddr ")?;
            let h = self.vaddr.unwrap_or(HostMask {
                family: self.family.unwrap_or(Family::Ipv4),
                addr: [0; 16],
                mask: [0; 16],
            });
            write_hostmask(f, &h, self.family.unwrap_or(Family::Ipv4))?;
        }
        if on(VPORT) {
            write_inv(f, inv(VPORT))?;
            write!(f, " --vport {}", self.vport)?;
        }
        if on(VDIR) {
            f.write_str(if inv(VDIR) {
                " --vdir REPLY"
            } else {
                " --vdir ORIGINAL"
            })?;
        }
        if on(VMETHOD) {
            write_inv(f, inv(VMETHOD))?;
            f.write_str(match self.method {
                Some(Method::Gate) => " --vmethod GATE",
                Some(Method::Ipip) => " --vmethod IPIP",
                Some(Method::Masq) => " --vmethod MASQ",
                None => " --vmethod UNKNOWN",
            })?;
        }
        if on(VPORTCTL) {
            write_inv(f, inv(VPORTCTL))?;
            write!(f, " --vportctl {}", self.vportctl)?;
        }
        Ok(())
    }
}
