//! Transport-header matches: tcp, udp, multiport, icmp, icmp6, sctp, dccp, tcpmss.
//! Each follows the kernel function named in its comment (Linux 6.18).

use super::ip::{at_thoff, hdr, in_range};
use crate::engine::ctx::MatchResult;
use crate::engine::ctx::PacketCtx;
use crate::model::matches::dccp::Dccp;
use crate::model::matches::icmp::Icmp;
use crate::model::matches::icmp::Icmp6;
use crate::model::matches::multiport::Multiport;
use crate::model::matches::multiport::MultiportDir;
use crate::model::matches::sctp::ChunkMatch;
use crate::model::matches::sctp::Sctp;
use crate::model::matches::tcp::Tcp;
use crate::model::matches::tcpmss::TcpMss;
use crate::model::matches::udp::Udp;
use crate::wire::meta::PacketMeta;
use crate::wire::rd_u16;
use crate::wire::rd_u8;

#[inline]
pub(crate) fn port_in(p: u16, r: (u16, u16), inv: bool) -> bool {
    (p >= r.0 && p <= r.1) ^ inv
}

/// The transport header of a first fragment with at least `len` bytes:
/// a non-first fragment does not match, a header cut short hot-drops
/// (`skb_header_pointer` failing in `udp_mt`, `icmp_match`,
/// `icmp6_match`, `multiport_mt`).
#[inline]
fn first_fragment_l4<'a>(pkt: &'a PacketCtx<'_>, len: usize) -> Result<&'a [u8], MatchResult> {
    if pkt.meta.fragoff != 0 {
        return Err(MatchResult::NoMatch);
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < len {
        return Err(MatchResult::HotDrop);
    }
    Ok(l4)
}

/// `tcp_mt` (net/netfilter/xt_tcpudp.c): non-first fragments never match
/// (fragment offset 1 is dropped); a TCP header cut short, a data offset
/// below 5 words or options cut short drop the packet (hotdrop).
pub(crate) fn tcp_mt(t: &Tcp, pkt: &PacketCtx<'_>) -> MatchResult {
    tcp_on(t, &pkt.meta, pkt.data)
}

/// [`tcp_mt`] on the packet's bytes and their `PacketMeta` (all it reads),
/// for the walk's scan before a packet context (`walk::run_scan`).
pub(crate) fn tcp_mt_on(t: &Tcp, meta: &PacketMeta, data: &[u8]) -> MatchResult {
    tcp_on(t, meta, data)
}

/// The body of [`tcp_mt`] and [`tcp_mt_on`].
#[inline(always)]
fn tcp_on(t: &Tcp, meta: &PacketMeta, data: &[u8]) -> MatchResult {
    if meta.fragoff != 0 {
        if meta.fragoff == 1 {
            return MatchResult::HotDrop;
        }
        return MatchResult::NoMatch;
    }
    let l4 = meta.l4(data);
    if l4.len() < 20 {
        return MatchResult::HotDrop;
    }
    if !port_in(rd_u16(l4, 0), t.sports, t.sports_inv)
        || !port_in(rd_u16(l4, 2), t.dports, t.dports_inv)
    {
        return MatchResult::NoMatch;
    }
    let flags = rd_u8(l4, 13);
    if ((flags & t.flg_mask) == t.flg_cmp) == t.flags_inv {
        return MatchResult::NoMatch;
    }
    if t.option != 0 {
        let doff = (rd_u8(l4, 12) >> 4) as usize * 4;
        if doff < 20 {
            return MatchResult::HotDrop;
        }
        // tcp_find_option: no options at all answers `invert`.
        if doff == 20 {
            return t.option_inv.into();
        }
        let Some(opts) = l4.get(20..doff) else {
            return MatchResult::HotDrop;
        };
        let mut i = 0;
        let mut found = false;
        while i < opts.len() {
            if opts[i] == t.option {
                found = true;
                break;
            }
            if opts[i] < 2 {
                i += 1;
            } else {
                i += opts.get(i + 1).copied().filter(|l| *l != 0).unwrap_or(1) as usize;
            }
        }
        if found == t.option_inv {
            return MatchResult::NoMatch;
        }
    }
    MatchResult::Match
}

/// `udp_mt` (net/netfilter/xt_tcpudp.c).
pub(crate) fn udp_mt(u: &Udp, pkt: &PacketCtx<'_>) -> MatchResult {
    udp_on(u, &pkt.meta, pkt.data)
}

/// [`udp_mt`] on the packet's bytes and their `PacketMeta` (see
/// [`tcp_mt_on`]).
pub(crate) fn udp_mt_on(u: &Udp, meta: &PacketMeta, data: &[u8]) -> MatchResult {
    udp_on(u, meta, data)
}

/// The body of [`udp_mt`] and [`udp_mt_on`].
#[inline(always)]
fn udp_on(u: &Udp, meta: &PacketMeta, data: &[u8]) -> MatchResult {
    if meta.fragoff != 0 {
        return MatchResult::NoMatch;
    }
    let l4 = meta.l4(data);
    if l4.len() < 8 {
        return MatchResult::HotDrop;
    }
    (port_in(rd_u16(l4, 0), u.sports, u.sports_inv)
        && port_in(rd_u16(l4, 2), u.dports, u.dports_inv))
    .into()
}

/// `multiport_mt` / `ports_match_v1` (net/netfilter/xt_multiport.c).
pub(crate) fn multiport_mt(m: &Multiport, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = match first_fragment_l4(pkt, 4) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    let (s, d) = (rd_u16(l4, 0), rd_u16(l4, 2));
    for &(lo, hi) in &m.ports {
        let hit = match m.dir {
            MultiportDir::Source => s >= lo && s <= hi,
            MultiportDir::Destination => d >= lo && d <= hi,
            MultiportDir::Either => (s >= lo && s <= hi) || (d >= lo && d <= hi),
        };
        if hit {
            return (!m.invert).into();
        }
    }
    m.invert.into()
}

/// `icmp_match` (net/ipv4/netfilter/ip_tables.c).
pub(crate) fn icmp_mt(i: &Icmp, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = match first_fragment_l4(pkt, 8) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    let (t, c) = (l4[0], l4[1]);
    let hit = i.icmp_type == 0xff || (t == i.icmp_type && c >= i.codes.0 && c <= i.codes.1);
    (hit ^ i.invert).into()
}

/// `icmp6_match` (net/ipv6/netfilter/ip6_tables.c).
pub(crate) fn icmp6_mt(i: &Icmp6, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = match first_fragment_l4(pkt, 8) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    let (t, c) = (l4[0], l4[1]);
    ((t == i.icmp_type && c >= i.codes.0 && c <= i.codes.1) ^ i.invert).into()
}

/// `tcpmss_mt` (net/netfilter/xt_tcpmss.c): the first MSS option (kind 2,
/// length 4, wholly inside the options) decides; no MSS option answers
/// `invert`. A TCP header cut short, a data offset below 5 or options cut
/// short hot-drop. The fragment offset is not looked at (`-p tcp` is
/// required, so `thoff` is the transport offset; see the module docs for
/// IPv6 non-first fragments).
pub(crate) fn tcpmss_mt(t: &TcpMss, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = at_thoff(pkt);
    let Some(th) = hdr(l4, 0, 20) else {
        return MatchResult::HotDrop;
    };
    let doff = usize::from(th[12] >> 4) * 4;
    if doff < 20 {
        return MatchResult::HotDrop;
    }
    let optlen = doff - 20;
    if optlen == 0 {
        return t.invert.into();
    }
    let Some(op) = hdr(l4, 20, optlen) else {
        return MatchResult::HotDrop;
    };
    let mut i = 0;
    while i < optlen {
        if op[i] == 2 && optlen - i >= 4 && op.get(i + 1) == Some(&4) {
            let mss = rd_u16(op, i + 2);
            return (in_range(mss, t.mss_min, t.mss_max) ^ t.invert).into();
        }
        if op[i] < 2 {
            i += 1;
        } else {
            // `op[i+1] ?: 1`: for a kind in the last option byte the kernel
            // reads the byte after the options; any step ends the walk
            // then, so nfsim steps by 1.
            i += usize::from(op.get(i + 1).copied().filter(|l| *l != 0).unwrap_or(1));
        }
    }
    t.invert.into()
}

/// The start of `sctp_mt` and `dccp_mt`: a non-first fragment does not
/// match, fewer than 12 header bytes hot-drop, then the source and
/// destination port ranges (`None`: any). The bytes from the transport
/// header on (at least 12) when the ports match.
fn header_and_ports<'a>(
    pkt: &'a PacketCtx<'_>,
    sports: Option<((u16, u16), bool)>,
    dports: Option<((u16, u16), bool)>,
) -> Result<&'a [u8], MatchResult> {
    if pkt.meta.fragoff != 0 {
        return Err(MatchResult::NoMatch);
    }
    let l4 = at_thoff(pkt);
    let Some(h) = hdr(l4, 0, 12) else {
        return Err(MatchResult::HotDrop);
    };
    let port_ok = |p: Option<((u16, u16), bool)>, v: u16| {
        p.is_none_or(|((lo, hi), inv)| in_range(v, lo, hi) ^ inv)
    };
    if !port_ok(sports, rd_u16(h, 0)) || !port_ok(dports, rd_u16(h, 2)) {
        return Err(MatchResult::NoMatch);
    }
    Ok(l4)
}

/// `sctp_mt` / `match_packet` (net/netfilter/xt_sctp.c): non-first
/// fragments do not match; fewer than 12 header bytes hot-drop; then ports,
/// then the chunk walk (`any` / `all` / `only`, with per-chunk flag tests);
/// a chunk header cut short or of length 0 hot-drops.
///
/// With `! --chunk-types` a hot-dropping walk makes the match *true* while
/// the packet is still dropped after the rule's target; the engine cannot
/// express that, so `Sctp::evaluable` refuses inverted chunk tests.
pub(crate) fn sctp_mt(s: &Sctp, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = match header_and_ports(pkt, s.sports, s.dports) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    let Some(c) = &s.chunks else {
        return MatchResult::Match;
    };
    // match_flags: the first flag test for this chunk type decides.
    let flags_ok = |ty: u8, fl: u8| {
        c.flags
            .iter()
            .find(|f| f.chunktype == ty)
            .is_none_or(|f| fl & f.flag_mask == f.flag)
    };
    let mut left = c.map;
    let skb_len = l4.len();
    let mut off = 12usize;
    let r = loop {
        let Some(ch) = hdr(l4, off, 4) else {
            return MatchResult::HotDrop;
        };
        let (ty, fl, len) = (ch[0], ch[1], rd_u16(ch, 2));
        if len == 0 {
            return MatchResult::HotDrop;
        }
        off += (usize::from(len) + 3) & !3;
        if c.has(ty) {
            match c.match_type {
                ChunkMatch::Any => {
                    if flags_ok(ty, fl) {
                        break true;
                    }
                }
                ChunkMatch::All => {
                    if flags_ok(ty, fl) {
                        left[usize::from(ty / 32)] &= !(1 << (ty % 32));
                    }
                }
                ChunkMatch::Only => {
                    if !flags_ok(ty, fl) {
                        break false;
                    }
                }
            }
        } else if c.match_type == ChunkMatch::Only {
            break false;
        }
        if off >= skb_len {
            break match c.match_type {
                ChunkMatch::All => left.iter().all(|w| *w == 0),
                ChunkMatch::Any => false,
                ChunkMatch::Only => true,
            };
        }
    };
    (r ^ c.invert).into()
}

/// `dccp_mt` / `dccp_find_option` (net/netfilter/xt_dccp.c): non-first
/// fragments do not match; fewer than 12 header bytes hot-drop; ports,
/// packet type (bit per `dccph_type`), then the option search over
/// `doff * 4 - __dccp_hdr_len` bytes after the type-specific header
/// (a data offset below that header, or options cut short, hot-drop).
///
/// With `! --dccp-option` a hot-drop makes the match *true* while the
/// packet is still dropped; `Dccp::evaluable` refuses that case.
pub(crate) fn dccp_mt(d: &Dccp, pkt: &PacketCtx<'_>) -> MatchResult {
    let l4 = match header_and_ports(pkt, d.sports, d.dports) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    let dh = &l4[..12];
    // Byte 8: reserved(3) type(4) x(1), x the lowest bit.
    let ty = (dh[8] >> 1) & 0xf;
    let x = dh[8] & 1 != 0;
    if let Some((mask, inv)) = d.types {
        if (mask & (1u16 << ty) != 0) == inv {
            return MatchResult::NoMatch;
        }
    }
    let Some((option, inv)) = d.option else {
        return MatchResult::Match;
    };
    // __dccp_hdr_len (include/linux/dccp.h): 12, + 4 with extended
    // sequence numbers, + 4 for a Request (service code), + 12 for a
    // Response (ack bits and service code).
    let hlen = 12
        + if x { 4 } else { 0 }
        + match ty {
            0 => 4,
            1 => 12,
            _ => 0,
        };
    let doff = usize::from(dh[4]) * 4;
    if doff < hlen {
        return MatchResult::HotDrop;
    }
    let optlen = doff - hlen;
    let found = if optlen == 0 {
        false
    } else {
        let Some(op) = hdr(l4, hlen, optlen) else {
            return MatchResult::HotDrop;
        };
        let mut i = 0;
        let mut found = false;
        while i < optlen {
            if op[i] == option {
                found = true;
                break;
            }
            if op[i] < 2 {
                i += 1;
            } else {
                i += usize::from(op.get(i + 1).copied().filter(|l| *l != 0).unwrap_or(1));
            }
        }
        found
    };
    (found ^ inv).into()
}
