//! IP-header matches: length, ttl, hl, tos, dscp, ecn, pkttype, mac, iprange; the header readers the others share.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::engine::ctx::PacketCtx;
use crate::model::matches::dscp::Dscp;
use crate::model::matches::ecn::Ecn;
use crate::model::matches::hl::Hl;
use crate::model::matches::iprange::Iprange;
use crate::model::matches::length::Length;
use crate::model::matches::mac::Mac;
use crate::model::matches::pkttype::PktType;
use crate::model::matches::tos::Tos;
use crate::model::matches::ttl::Ttl;
use crate::model::Family;
use crate::wire::rd_u16;
use crate::wire::rd_u8;

/// `skb_header_pointer`: `len` bytes at `off`, if all present.
#[inline]
pub(super) fn hdr(data: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    data.get(off..off.checked_add(len)?)
}

/// The bytes from `par->thoff` on (see the module documentation).
#[inline]
pub(super) fn at_thoff<'a>(pkt: &'a PacketCtx<'_>) -> &'a [u8] {
    pkt.data.get(pkt.meta.thoff..).unwrap_or(&[])
}

#[inline]
pub(super) fn in_range<T: PartialOrd>(v: T, lo: T, hi: T) -> bool {
    v >= lo && v <= hi
}

/// `ipv6_get_dsfield`: the traffic class byte.
#[inline]
fn ipv6_dsfield(data: &[u8]) -> u8 {
    (rd_u16(data, 0) >> 4) as u8
}

/// `length_mt` / `length_mt6` (net/netfilter/xt_length.c): IPv4 compares
/// `tot_len` (`skb_ip_totlen`); IPv6 `payload_len + 40` computed in a
/// `u16`, so it wraps (a payload length of 65535 counts as 39).
pub(crate) fn length_mt(l: &Length, pkt: &PacketCtx<'_>) -> bool {
    let len = match pkt.family {
        Family::Ipv4 => rd_u16(pkt.data, 2),
        Family::Ipv6 => rd_u16(pkt.data, 4).wrapping_add(40),
    };
    in_range(len, l.min, l.max) ^ l.invert
}

/// `ttl_mt` (net/netfilter/xt_hl.c).
pub(crate) fn ttl_mt(t: &Ttl, pkt: &PacketCtx<'_>) -> bool {
    t.mode.test(rd_u8(pkt.data, 8), t.ttl)
}

/// `hl_mt6` (net/netfilter/xt_hl.c).
pub(crate) fn hl_mt6(h: &Hl, pkt: &PacketCtx<'_>) -> bool {
    h.mode.test(rd_u8(pkt.data, 7), h.hop_limit)
}

/// `tos_mt` (net/netfilter/xt_dscp.c): IPv4 `tos`, IPv6 the traffic class
/// (`ipv6_get_dsfield`), masked.
pub(crate) fn tos_mt(t: &Tos, pkt: &PacketCtx<'_>) -> bool {
    let tos = match pkt.family {
        Family::Ipv4 => rd_u8(pkt.data, 1),
        Family::Ipv6 => ipv6_dsfield(pkt.data),
    };
    ((tos & t.mask) == t.value) ^ t.invert
}

/// `dscp_mt` / `dscp_mt6` (net/netfilter/xt_dscp.c): the DS field >> 2.
pub(crate) fn dscp_mt(d: &Dscp, pkt: &PacketCtx<'_>) -> bool {
    let ds = match pkt.family {
        Family::Ipv4 => rd_u8(pkt.data, 1),
        Family::Ipv6 => ipv6_dsfield(pkt.data),
    };
    ((ds >> 2) == d.dscp) ^ d.invert
}

/// `ecn_mt4` / `ecn_mt6` with `match_ip` / `match_ipv6` / `match_tcp`
/// (net/netfilter/xt_ecn.c). The TCP bits are read at `thoff` whatever the
/// fragment offset (the kernel does not look at it); a TCP header cut short
/// is a plain "no match" (no hotdrop).
pub(crate) fn ecn_mt(e: &Ecn, pkt: &PacketCtx<'_>) -> bool {
    if let Some((ect, inv)) = e.ip_ect {
        let field = match pkt.family {
            Family::Ipv4 => rd_u8(pkt.data, 1) & 3,
            // (flow_lbl[0] >> 4) & XT_ECN_IP_MASK
            Family::Ipv6 => (rd_u8(pkt.data, 1) >> 4) & 3,
        };
        if (field == ect) == inv {
            return false;
        }
    }
    if e.ece.is_some() || e.cwr.is_some() {
        let Some(th) = hdr(at_thoff(pkt), 0, 20) else {
            return false;
        };
        let flags = th[13];
        for (want, bit) in [(e.ece, 0x40u8), (e.cwr, 0x80u8)] {
            if let Some(inv) = want {
                if (flags & bit != 0) == inv {
                    return false;
                }
            }
        }
    }
    true
}

/// `pkttype_mt` (net/netfilter/xt_pkttype.c): `skb->pkt_type`, except
/// that a `PACKET_LOOPBACK` skb counts as `PACKET_MULTICAST` for IPv4
/// multicast destinations and for all IPv6, else as `PACKET_BROADCAST`.
pub(crate) fn pkttype_mt(p: &PktType, pkt: &PacketCtx<'_>) -> bool {
    const PACKET_BROADCAST: u8 = 1;
    const PACKET_MULTICAST: u8 = 2;
    const PACKET_LOOPBACK: u8 = 5;
    let ty = if pkt.pkt_type != PACKET_LOOPBACK {
        pkt.pkt_type
    } else {
        match pkt.family {
            // ipv4_is_multicast(ip_hdr(skb)->daddr)
            Family::Ipv4 if rd_u8(pkt.data, 16) & 0xf0 == 0xe0 => PACKET_MULTICAST,
            Family::Ipv4 => PACKET_BROADCAST,
            Family::Ipv6 => PACKET_MULTICAST,
        }
    };
    (ty == p.pkttype as u8) ^ p.invert
}

/// `mac_mt` (net/netfilter/xt_mac.c): false (inverted or not) unless
/// `skb->dev` is an Ethernet device with a MAC header. The simulated host's
/// only non-Ethernet device is `lo` (`ARPHRD_LOOPBACK`); locally generated
/// packets have no MAC header (`src_mac` is `None`). The hooks are limited
/// to PREROUTING, INPUT and FORWARD at rule check time, where `skb->dev` is
/// the input device.
pub(crate) fn mac_mt(m: &Mac, pkt: &PacketCtx<'_>) -> bool {
    if pkt.in_dev == "lo" {
        return false;
    }
    match pkt.src_mac {
        Some(src) => (src == m.src) ^ m.invert,
        None => false,
    }
}

/// `iprange_mt4` / `iprange_mt6` (net/netfilter/xt_iprange.c, revision 1):
/// each given range must contain the address (xor its invert flag).
pub(crate) fn iprange_mt(r: &Iprange, pkt: &PacketCtx<'_>) -> bool {
    let (s, d) = match pkt.family {
        Family::Ipv4 => (pkt.data.get(12..16), pkt.data.get(16..20)),
        Family::Ipv6 => (pkt.data.get(8..24), pkt.data.get(24..40)),
    };
    let (Some(s), Some(d)) = (s, d) else {
        return false;
    };
    for (t, a) in [(&r.src, s), (&r.dst, d)] {
        if let Some(t) = t {
            if t.value.contains(pkt.family, a) == t.invert {
                return false;
            }
        }
    }
    true
}
