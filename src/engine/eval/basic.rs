//! The protocol and conntrack matches: tcp, udp, icmp, icmp6, multiport,
//! conntrack, state, comment.

use crate::engine::ctx::{MatchResult, PacketCtx};
use crate::model::matches::conntrack::{Conntrack, CtDir};
use crate::model::matches::icmp::{Icmp, Icmp6};
use crate::model::matches::multiport::{Multiport, MultiportDir};
use crate::model::matches::{state::State, tcp::Tcp, udp::Udp};
use crate::wire::{rd_u16, rd_u8};

#[inline]
pub(crate) fn port_in(p: u16, r: (u16, u16), inv: bool) -> bool {
    (p >= r.0 && p <= r.1) ^ inv
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
    if pkt.meta.fragoff != 0 {
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < 8 {
        return MatchResult::HotDrop;
    }
    (port_in(rd_u16(l4, 0), u.sports, u.sports_inv)
        && port_in(rd_u16(l4, 2), u.dports, u.dports_inv))
    .into()
}

/// `conntrack_mt` (net/netfilter/xt_conntrack.c), revision 3.
pub(crate) fn conntrack_mt(c: &Conntrack, pkt: &PacketCtx<'_>) -> bool {
    let ct = &pkt.ct;
    if let Some(s) = c.state {
        let mut bit = ct.state.0 & 0x10f;
        if ct.has_entry {
            bit |= ct.state.0 & 0xc0;
        }
        if (s.value.0 & bit != 0) == s.invert {
            return false;
        }
    }
    if !ct.has_entry {
        return c.state.is_some();
    }
    if let Some(d) = c.dir {
        if (d == CtDir::Reply) != ct.reply_dir {
            return false;
        }
    }
    // conntrack_mt_origsrc & co.: masked compare over the family's length.
    let addrs = [
        (&c.orig_src, &ct.orig_src),
        (&c.orig_dst, &ct.orig_dst),
        (&c.repl_src, &ct.repl_src),
        (&c.repl_dst, &ct.repl_dst),
    ];
    let n = if pkt.family == crate::model::Family::Ipv4 {
        4
    } else {
        16
    };
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
        if (ct.l4proto == p.value) == p.invert {
            return false;
        }
    }
    let ports = [
        (c.orig_src_port, ct.orig_sport),
        (c.orig_dst_port, ct.orig_dport),
        (c.repl_src_port, ct.repl_sport),
        (c.repl_dst_port, ct.repl_dport),
    ];
    for (want, have) in ports {
        if let Some(w) = want {
            if (have >= w.value.0 && have <= w.value.1) == w.invert {
                return false;
            }
        }
    }
    if let Some(s) = c.status {
        if (s.value.0 & ct.status != 0) == s.invert {
            return false;
        }
    }
    if let Some(e) = c.expire {
        if (ct.expires_secs >= e.value.0 && ct.expires_secs <= e.value.1) == e.invert {
            return false;
        }
    }
    true
}

/// `state_mt` (net/netfilter/xt_state.c): the same bits without SNAT/DNAT.
pub(crate) fn state_mt(s: &State, pkt: &PacketCtx<'_>) -> bool {
    let bit = pkt.ct.state.0 & 0x10f;
    (s.states.0 & bit != 0) ^ s.invert
}

/// `multiport_mt` / `ports_match_v1` (net/netfilter/xt_multiport.c).
pub(crate) fn multiport_mt(m: &Multiport, pkt: &PacketCtx<'_>) -> MatchResult {
    if pkt.meta.fragoff != 0 {
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < 4 {
        return MatchResult::HotDrop;
    }
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
    if pkt.meta.fragoff != 0 {
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < 8 {
        return MatchResult::HotDrop;
    }
    let (t, c) = (l4[0], l4[1]);
    let hit = i.icmp_type == 0xff || (t == i.icmp_type && c >= i.codes.0 && c <= i.codes.1);
    (hit ^ i.invert).into()
}

/// `icmp6_match` (net/ipv6/netfilter/ip6_tables.c).
pub(crate) fn icmp6_mt(i: &Icmp6, pkt: &PacketCtx<'_>) -> MatchResult {
    if pkt.meta.fragoff != 0 {
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < 8 {
        return MatchResult::HotDrop;
    }
    let (t, c) = (l4[0], l4[1]);
    ((t == i.icmp_type && c >= i.codes.0 && c <= i.codes.1) ^ i.invert).into()
}
