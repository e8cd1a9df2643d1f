//! Evaluation of match extensions: one arm per extension the engine can
//! evaluate. [`match_supported`] is checked at compile time, so a ruleset
//! with a match nfsim cannot evaluate is refused, never approximated.

use super::ctx::{MatchResult, PacketCtx};
use super::state::MatchState;
use crate::model::matches::{tcp::Tcp, udp::Udp};
use crate::model::Match;
use crate::wire::{rd_u16, rd_u8};

/// Whether the engine can evaluate this match.
pub fn match_supported(m: &Match) -> bool {
    matches!(m, Match::Tcp(_) | Match::Udp(_))
}

/// Evaluates one match.
#[inline]
pub fn eval_match(m: &Match, pkt: &PacketCtx<'_>, st: &mut MatchState) -> MatchResult {
    let _ = st;
    match m {
        Match::Tcp(t) => tcp_mt(t, pkt),
        Match::Udp(u) => udp_mt(u, pkt),
        #[allow(unreachable_patterns)]
        _ => MatchResult::NoMatch,
    }
}

#[inline]
fn port_in(p: u16, r: (u16, u16), inv: bool) -> bool {
    (p >= r.0 && p <= r.1) ^ inv
}

/// `tcp_mt` (net/netfilter/xt_tcpudp.c): non-first fragments never match;
/// a first fragment whose TCP header is cut short is dropped (hotdrop); a
/// data offset below 5 words, or options that are cut short, hotdrop too.
fn tcp_mt(t: &Tcp, pkt: &PacketCtx<'_>) -> MatchResult {
    if pkt.meta.fragoff != 0 {
        // "To quote Alan: Don't allow a fragment of TCP 8 bytes in." The
        // kernel drops fragoff == 1 with the TCP flags check.
        if pkt.meta.fragoff == 1 {
            return MatchResult::HotDrop;
        }
        return MatchResult::NoMatch;
    }
    let l4 = pkt.meta.l4(pkt.data);
    if l4.len() < 20 {
        return MatchResult::HotDrop;
    }
    let sport = rd_u16(l4, 0);
    let dport = rd_u16(l4, 2);
    if !port_in(sport, t.sports, t.sports_inv) || !port_in(dport, t.dports, t.dports_inv) {
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
        // tcp_find_option: kind 0/1 advance by one byte, others by their length (min 1).
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
                let l = opts.get(i + 1).copied().unwrap_or(1).max(1) as usize;
                i += l;
            }
        }
        if found == t.option_inv {
            return MatchResult::NoMatch;
        }
    }
    MatchResult::Match
}

/// `udp_mt` (net/netfilter/xt_tcpudp.c).
fn udp_mt(u: &Udp, pkt: &PacketCtx<'_>) -> MatchResult {
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
