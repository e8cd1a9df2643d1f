//! Evaluation of match extensions, each following the kernel's `match`
//! function named in its comment, grouped in files by kind. The dispatch
//! below has one line per extension. [`match_supported`] is checked when a
//! program is compiled, so a ruleset with a match nfsim cannot evaluate is
//! refused, never approximated.
//!
//! A match function has the shape
//! `fn(m: &T, pkt: &PacketCtx<'_>, st: &mut MatchState, env: &mut E) -> MatchResult`
//! (or a subset of those arguments): `st` is this rule's private state
//! (allocated once with the program state), `env` the host.

pub mod basic;
pub mod misc;

use super::ctx::{Env, MatchResult, PacketCtx};
use super::state::MatchState;
use crate::model::Match;

/// Whether the engine can evaluate this match.
pub fn match_supported(m: &Match) -> bool {
    match m {
        Match::Tcp(_) => true,
        Match::Udp(_) => true,
        Match::State(_) => true,
        Match::Comment(_) => true,
        Match::Multiport(_) => true,
        Match::Icmp(_) => true,
        Match::Icmp6(_) => true,
        Match::Mark(_) => true,
        Match::Connmark(_) => true,
        Match::Addrtype(_) => true, // IPv6 forms: see misc::family_supported
        Match::Quota(_) => true,
        Match::StringMatch(s) => misc::string_supported(s),
        Match::U32(u) => misc::u32_supported(u),
        Match::Helper(_) => true,
        Match::Connlimit(_) => true,
        Match::Connbytes(_) => true,
        Match::Conntrack(c) => {
            c.orig_src.is_none()
                && c.orig_dst.is_none()
                && c.repl_src.is_none()
                && c.repl_dst.is_none()
        }
        _ => false,
    }
}

/// Evaluates one match.
#[inline]
pub fn eval_match<E: Env>(
    m: &Match,
    pkt: &PacketCtx<'_>,
    st: &mut MatchState,
    env: &mut E,
) -> MatchResult {
    let _ = (&st, &env);
    match m {
        Match::Tcp(x) => basic::tcp_mt(x, pkt),
        Match::Udp(x) => basic::udp_mt(x, pkt),
        Match::Conntrack(x) => basic::conntrack_mt(x, pkt).into(),
        Match::State(x) => basic::state_mt(x, pkt).into(),
        Match::Comment(_) => MatchResult::Match,
        Match::Multiport(x) => basic::multiport_mt(x, pkt),
        Match::Icmp(x) => basic::icmp_mt(x, pkt),
        Match::Icmp6(x) => basic::icmp6_mt(x, pkt),
        Match::Mark(x) => misc::mark_mt(x, pkt).into(),
        Match::Connmark(x) => misc::connmark_mt(x, pkt).into(),
        Match::Addrtype(x) => misc::addrtype_mt(x, pkt, env).into(),
        Match::Quota(x) => misc::quota_mt(x, pkt, st).into(),
        Match::StringMatch(x) => misc::string_mt(x, pkt).into(),
        Match::U32(x) => misc::u32_mt(x, pkt).into(),
        Match::Helper(x) => misc::helper_mt(x).into(),
        Match::Connlimit(x) => misc::connlimit_mt(x, pkt, st, env),
        Match::Connbytes(x) => misc::connbytes_mt(x, env).into(),
        _ => MatchResult::NoMatch,
    }
}
