//! The protocol and conntrack matches: tcp, udp, icmp, icmp6, multiport,
//! conntrack, state, comment.

use crate::conntrack::{Dir, Tuple};
use crate::engine::ctx::{CtRef, MatchResult, PacketCtx};
use crate::model::matches::conntrack::{Conntrack, CtDir};
use crate::model::matches::icmp::{Icmp, Icmp6};
use crate::model::matches::multiport::{Multiport, MultiportDir};
use crate::model::matches::{state::State, tcp::Tcp, udp::Udp};
use crate::model::Family;
use crate::wire::{rd_u16, rd_u8};

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
    if pkt.meta.fragoff != 0 {
        if pkt.meta.fragoff == 1 {
            return MatchResult::HotDrop;
        }
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
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
    let l4 = match first_fragment_l4(pkt, 8) {
        Ok(l4) => l4,
        Err(r) => return r,
    };
    (port_in(rd_u16(l4, 0), u.sports, u.sports_inv)
        && port_in(rd_u16(l4, 2), u.dports, u.dports_inv))
    .into()
}

/// `conntrack_mt` (net/netfilter/xt_conntrack.c), revision 3: the facts
/// are read from the packet's conntrack reference as each option asks
/// (`ct`: `None` without connection tracking, no state bits).
pub(crate) fn conntrack_mt(c: &Conntrack, family: Family, ct: Option<CtRef<'_>>) -> bool {
    let entry = ct.and_then(|r| r.entry());
    if let Some(s) = c.state {
        let state = ct.map_or(0, |r| r.state().0);
        let mut bit = state & 0x10f;
        if entry.is_some() {
            bit |= state & 0xc0;
        }
        if (s.value.0 & bit != 0) == s.invert {
            return false;
        }
    }
    let Some(e) = entry else {
        return c.state.is_some();
    };
    if let Some(d) = c.dir {
        if (d == CtDir::Reply) != e.reply_dir() {
            return false;
        }
    }
    // The tuples are read only for the options that test them (a stale
    // handle reads as zeros).
    let zero = Tuple {
        family,
        src: [0; 16],
        dst: [0; 16],
        proto: 0,
        src_u: 0,
        dst_u: 0,
    };
    let read = |dir, wanted: bool| {
        if wanted {
            e.tuple(dir).unwrap_or(zero)
        } else {
            zero
        }
    };
    let orig = read(
        Dir::Original,
        c.proto.is_some()
            || c.orig_src.is_some()
            || c.orig_dst.is_some()
            || c.orig_src_port.is_some()
            || c.orig_dst_port.is_some(),
    );
    let repl = read(
        Dir::Reply,
        c.repl_src.is_some()
            || c.repl_dst.is_some()
            || c.repl_src_port.is_some()
            || c.repl_dst_port.is_some(),
    );
    // conntrack_mt_origsrc & co.: masked compare over the family's length.
    let addrs = [
        (&c.orig_src, &orig.src),
        (&c.orig_dst, &orig.dst),
        (&c.repl_src, &repl.src),
        (&c.repl_dst, &repl.dst),
    ];
    let n = if family == Family::Ipv4 { 4 } else { 16 };
    for (want, have) in addrs {
        if let Some(w) = want {
            let hit =
                (0..n).all(|i| (have[i] & w.value.mask[i]) == (w.value.addr[i] & w.value.mask[i]));
            if hit == w.invert {
                return false;
            }
        }
    }
    if let Some(p) = c.proto {
        if (orig.proto == p.value) == p.invert {
            return false;
        }
    }
    let ports = [
        (c.orig_src_port, orig.src_u),
        (c.orig_dst_port, orig.dst_u),
        (c.repl_src_port, repl.src_u),
        (c.repl_dst_port, repl.dst_u),
    ];
    for (want, have) in ports {
        if let Some(w) = want {
            if (have >= w.value.0 && have <= w.value.1) == w.invert {
                return false;
            }
        }
    }
    if let Some(s) = c.status {
        if (s.value.0 & e.status() != 0) == s.invert {
            return false;
        }
    }
    if let Some(x) = c.expire {
        let secs = e.expires_secs();
        if (secs >= x.value.0 && secs <= x.value.1) == x.invert {
            return false;
        }
    }
    true
}

/// `state_mt` (net/netfilter/xt_state.c): the same bits without SNAT/DNAT.
pub(crate) fn state_mt(s: &State, ct: Option<CtRef<'_>>) -> bool {
    let bit = ct.map_or(0, |r| r.state().0) & 0x10f;
    (s.states.0 & bit != 0) ^ s.invert
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
