//! Matches that ask the routing tables: rpfilter, addrtype.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::engine::ctx::Env;
use crate::engine::ctx::PacketCtx;
use crate::model::matches::addrtype::Addrtype;
use crate::model::matches::rpfilter::Rpfilter;
use crate::model::Family;

/// `XT_ADDRTYPE_*` bits (include/uapi/linux/netfilter/xt_addrtype.h),
/// `1 << RTN_*`.
#[allow(dead_code)] // the kernel's whole set, including bits no route here has
pub mod rtn {
    /// `XT_ADDRTYPE_UNSPEC`
    pub const UNSPEC: u16 = 1 << 0;
    /// `XT_ADDRTYPE_UNICAST`
    pub const UNICAST: u16 = 1 << 1;
    /// `XT_ADDRTYPE_LOCAL`
    pub const LOCAL: u16 = 1 << 2;
    /// `XT_ADDRTYPE_BROADCAST`
    pub const BROADCAST: u16 = 1 << 3;
    /// `XT_ADDRTYPE_ANYCAST`
    pub const ANYCAST: u16 = 1 << 4;
    /// `XT_ADDRTYPE_MULTICAST`
    pub const MULTICAST: u16 = 1 << 5;
    /// `XT_ADDRTYPE_BLACKHOLE`
    pub const BLACKHOLE: u16 = 1 << 6;
    /// `XT_ADDRTYPE_UNREACHABLE`
    pub const UNREACHABLE: u16 = 1 << 7;
}

/// `rpfilter_mt` (net/ipv4/netfilter/ipt_rpfilter.c): loopback input
/// (`skb->pkt_type == PACKET_LOOPBACK` or the input device is `lo`)
/// matches; a zero-net source to the limited broadcast or a link-local
/// group (224.0.0.0/24) matches; otherwise `rpfilter_lookup_reverse`: the
/// route to the source must be unicast (or local with `--accept-local`)
/// and use the input device, or `--loose`. All of it XOR `--invert`.
/// `--validmark` only matters with policy routing, which nfsim has not.
///
/// IPv6 (`rpfilter_mt` / `rpfilter_lookup_reverse6`,
/// net/ipv6/netfilter/ip6t_rpfilter.c): loopback input matches, an
/// unspecified source matches; else the route to the source (restricted to
/// the input device for a link-local source) must not be anycast or
/// missing; a local route passes only with `--accept-local` (whatever its
/// device); a unicast route must use the input device unless `--loose`.
/// The host answers the lookup through [`Env::route_to`].
pub(crate) fn rpfilter_mt<E: Env>(r: &Rpfilter, pkt: &PacketCtx<'_>, env: &E) -> bool {
    const PACKET_LOOPBACK: u8 = 5;
    if pkt.pkt_type == PACKET_LOOPBACK || pkt.in_dev == "lo" {
        return !r.invert;
    }
    if pkt.family == Family::Ipv6 {
        let Some(src) = pkt.data.get(8..24) else {
            return false;
        };
        if src.iter().all(|b| *b == 0) {
            return !r.invert;
        }
        let ok = match env.route_to(Family::Ipv6, src, pkt.in_dev) {
            Some((1, uses_dev)) => uses_dev || r.loose,
            Some((2, _)) => r.accept_local,
            _ => false,
        };
        return ok ^ r.invert;
    }
    let (Some(src), Some(dst)) = (pkt.data.get(12..16), pkt.data.get(16..20)) else {
        return false;
    };
    if src.first() == Some(&0) {
        let lbcast = dst.iter().all(|b| *b == 0xff);
        let local_mc = dst.get(..3) == Some(&[224, 0, 0][..]);
        if lbcast || local_mc {
            return !r.invert;
        }
    }
    let ok = match env.route_to(Family::Ipv4, src, pkt.in_dev) {
        None => false,
        Some((t, uses_dev)) => {
            // RTN_UNICAST = 1, RTN_LOCAL = 2.
            (t == 1 || (t == 2 && r.accept_local)) && (uses_dev || r.loose)
        }
    };
    ok ^ r.invert
}

/// `addrtype_mt_v1` (net/netfilter/xt_addrtype.c). The device is the input
/// device with `--limit-iface-in`, the output device with
/// `--limit-iface-out` (none when the hook has no such device).
///
/// IPv4: `match_type` = `mask & (1 << inet_dev_addr_type(net, dev, addr))`,
/// source first, destination only if the source test passed.
/// IPv6 (`addrtype_mt6`, same order): `match_type6`: MULTICAST / UNICAST /
/// UNSPEC in the mask require that address class (`ipv6_addr_type`); then,
/// when the mask has LOCAL, ANYCAST or UNREACHABLE, the answer is `mask &
/// match_lookup_rt6(net, dev, addr, mask)`, whose only bits are LOCAL,
/// ANYCAST and UNREACHABLE (the host answers the lookup through
/// [`Env::addr_type`]: `crate::host::targets::match_lookup_rt6`), so in a
/// list such as `LOCAL,UNICAST` the UNICAST part only requires a unicast
/// address and LOCAL decides; otherwise the class tests decide alone.
pub(crate) fn addrtype_mt<E: Env>(a: &Addrtype, pkt: &PacketCtx<'_>, env: &E) -> bool {
    let dev = if a.limit_in {
        Some(pkt.in_dev).filter(|d| !d.is_empty())
    } else if a.limit_out {
        Some(pkt.out_dev).filter(|d| !d.is_empty())
    } else {
        None
    };
    let data: &[u8] = pkt.data;
    let (src, dst) = match pkt.family {
        Family::Ipv4 => (data.get(12..16), data.get(16..20)),
        Family::Ipv6 => (data.get(8..24), data.get(24..40)),
    };
    // The IP header was validated before the hooks; a short buffer is no
    // packet at all: never matches.
    let (Some(src), Some(dst)) = (src, dst) else {
        return false;
    };
    let test = |addr: &[u8], mask: u16| -> bool {
        match pkt.family {
            Family::Ipv4 => mask & (1u16 << env.addr_type(Family::Ipv4, addr, dev)) != 0,
            Family::Ipv6 => match_type6(addr, mask, dev, env),
        }
    };
    let mut ret = true;
    if a.src != 0 {
        ret &= test(src, a.src) ^ a.src_inv;
    }
    if ret && a.dst != 0 {
        ret &= test(dst, a.dst) ^ a.dst_inv;
    }
    ret
}

/// `match_type6` (net/netfilter/xt_addrtype.c) with `ipv6_addr_type`
/// (net/ipv6/addrconf_core.c) reduced to the three classes it tests:
/// multicast `ff00::/8`, unspecified `::`, and unicast (everything else but
/// the reserved `::/8` forms other than `::1`, v4-compatible and v4-mapped,
/// which `__ipv6_addr_type` classifies as reserved, not unicast).
fn match_type6<E: Env>(addr: &[u8], mask: u16, dev: Option<&str>, env: &E) -> bool {
    let multicast = addr.first() == Some(&0xff);
    let any = addr.iter().all(|b| *b == 0);
    let unicast = !multicast && ipv6_is_unicast(addr);
    if mask & rtn::MULTICAST != 0 && !multicast {
        return false;
    }
    if mask & rtn::UNICAST != 0 && !unicast {
        return false;
    }
    if mask & rtn::UNSPEC != 0 && !any {
        return false;
    }
    if mask & (rtn::LOCAL | rtn::ANYCAST | rtn::UNREACHABLE) != 0 {
        return mask & env.addr_type(Family::Ipv6, addr, dev) != 0;
    }
    true
}

/// `__ipv6_addr_type` (net/ipv6/addrconf_core.c): whether the type has
/// `IPV6_ADDR_UNICAST`. Every address outside `ff00::/8` is unicast except
/// `::` (`IPV6_ADDR_ANY`) and `::ffff:0:0/96` (`IPV6_ADDR_MAPPED` alone).
pub(crate) fn ipv6_is_unicast(addr: &[u8]) -> bool {
    let Some(a) = addr.get(..16) else {
        return false;
    };
    if a[0] == 0xff || a.iter().all(|b| *b == 0) {
        return false;
    }
    let mapped = a[..10].iter().all(|b| *b == 0) && a[10..12] == [0xff, 0xff];
    !mapped
}
