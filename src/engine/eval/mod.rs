//! Evaluation of match extensions, each following the kernel's `match`
//! function named in its comment, grouped in files by kind. The dispatch
//! below has one line per extension. [`match_supported`] (each extension's
//! [`Match::caps`]) is checked when a
//! program is compiled, so a ruleset with a match nfsim cannot evaluate is
//! refused, never approximated.
//!
//! A match function has the shape
//! `fn(m: &T, pkt: &PacketCtx<'_>, st: &mut MatchState, env: &mut E) -> MatchResult`
//! (or a subset of those arguments): `st` is this rule's private state
//! (allocated once with the program state), `env` the host.

pub mod basic;
pub mod misc;
pub mod pkt;

use super::ctx::{Env, MatchResult, PacketCtx};
use super::state::MatchState;
use crate::model::Match;

/// Whether the engine can evaluate this match: [`Match::caps`], where each
/// extension declares it once.
pub fn match_supported(m: &Match) -> bool {
    m.caps().evaluable
}

/// Explain mode: which option of a match that did not match failed, for
/// the extensions whose options are told apart (tcp, udp, state,
/// conntrack `--ctstate`); `None` otherwise. Follows the order in which
/// each `*_mt` function tests its options.
pub(crate) fn failed_option<E: Env>(
    m: &Match,
    pkt: &PacketCtx<'_>,
    env: &E,
) -> Option<&'static str> {
    use crate::wire::{rd_u16, rd_u8};
    let ports = |l4: &[u8], s: ((u16, u16), bool), d: ((u16, u16), bool)| {
        if !basic::port_in(rd_u16(l4, 0), s.0, s.1) {
            Some("--sport")
        } else if !basic::port_in(rd_u16(l4, 2), d.0, d.1) {
            Some("--dport")
        } else {
            None
        }
    };
    match m {
        Match::Tcp(t) => {
            if pkt.meta.fragoff != 0 {
                return Some("(not the first fragment)");
            }
            let l4 = pkt.meta.l4(pkt.data);
            ports(l4, (t.sports, t.sports_inv), (t.dports, t.dports_inv)).or_else(|| {
                let flags = rd_u8(l4, 13);
                if ((flags & t.flg_mask) == t.flg_cmp) == t.flags_inv {
                    Some("--tcp-flags")
                } else {
                    Some("--tcp-option")
                }
            })
        }
        Match::Udp(u) => {
            if pkt.meta.fragoff != 0 {
                return Some("(not the first fragment)");
            }
            ports(
                pkt.meta.l4(pkt.data),
                (u.sports, u.sports_inv),
                (u.dports, u.dports_inv),
            )
        }
        Match::State(_) => Some("--state"),
        Match::Conntrack(c) => {
            let only_state = crate::model::matches::conntrack::Conntrack {
                state: c.state,
                ..Default::default()
            };
            (c.state.is_some() && !basic::conntrack_mt(&only_state, pkt.family, env.ct()))
                .then_some("--ctstate")
        }
        _ => None,
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
        Match::Conntrack(x) => basic::conntrack_mt(x, pkt.family, env.ct()).into(),
        Match::State(x) => basic::state_mt(x, env.ct()).into(),
        Match::Comment(_) => MatchResult::Match,
        Match::Multiport(x) => basic::multiport_mt(x, pkt),
        Match::Icmp(x) => basic::icmp_mt(x, pkt),
        Match::Icmp6(x) => basic::icmp6_mt(x, pkt),
        Match::Length(x) => pkt::length_mt(x, pkt).into(),
        Match::Ttl(x) => pkt::ttl_mt(x, pkt).into(),
        Match::Hl(x) => pkt::hl_mt6(x, pkt).into(),
        Match::Tos(x) => pkt::tos_mt(x, pkt).into(),
        Match::Dscp(x) => pkt::dscp_mt(x, pkt).into(),
        Match::PktType(x) => pkt::pkttype_mt(x, pkt).into(),
        Match::Mac(x) => pkt::mac_mt(x, pkt).into(),
        Match::Iprange(x) => pkt::iprange_mt(x, pkt).into(),
        Match::Frag(x) => pkt::frag_mt6(x, pkt),
        Match::Ipv6Header(x) => pkt::ipv6header_mt6(x, pkt),
        Match::Rt(x) => pkt::rt_mt6(x, pkt),
        Match::Hbh(x) => pkt::hbh_mt6(x, pkt),
        Match::Dst(x) => pkt::hbh_mt6(x, pkt),
        Match::Ah(x) => pkt::ah_mt(x, pkt),
        Match::Esp(x) => pkt::esp_mt(x, pkt),
        Match::Ecn(x) => pkt::ecn_mt(x, pkt).into(),
        Match::TcpMss(x) => pkt::tcpmss_mt(x, pkt),
        Match::Mh(x) => pkt::mh_mt6(x, pkt),
        Match::Eui64(x) => pkt::eui64_mt6(x, pkt),
        Match::Srh(x) => pkt::srh_mt6(x, pkt),
        Match::Sctp(x) => pkt::sctp_mt(x, pkt),
        Match::Dccp(x) => pkt::dccp_mt(x, pkt),
        Match::Mark(x) => misc::mark_mt(x, pkt).into(),
        Match::Connmark(x) => misc::connmark_mt(x, env).into(),
        Match::Addrtype(x) => misc::addrtype_mt(x, pkt, env).into(),
        Match::Quota(x) => misc::quota_mt(x, pkt, st).into(),
        Match::StringMatch(x) => misc::string_mt(x, pkt).into(),
        Match::U32(x) => misc::u32_mt(x, pkt).into(),
        Match::Helper(x) => misc::helper_mt(x).into(),
        Match::Connlimit(x) => misc::connlimit_mt(x, pkt, st, env),
        Match::Connbytes(x) => misc::connbytes_mt(x, env).into(),
        Match::Limit(x) => misc::limit_mt(x.avg, x.burst, env.hz(), env.jiffies(), st).into(),
        Match::Statistic(x) => misc::statistic_mt(x, st, env).into(),
        Match::Owner(x) => misc::owner_mt(
            x.uid.map(|i| (i.value, i.invert)),
            x.gid.map(|i| (i.value, i.invert)),
            x.socket_exists,
            pkt.sk_owner,
        )
        .into(),
        Match::Recent(x) => misc::recent_mt(x, pkt, st, env).into(),
        Match::Hashlimit(x) => misc::hashlimit_mt(x, pkt, st, env),
        Match::Rpfilter(x) => misc::rpfilter_mt(x, pkt, env).into(),
        Match::Nfacct(_) => misc::nfacct_mt(pkt, st, env).into(),
        Match::Set(x) => crate::engine::shared::set_mt(x, pkt, st, env).into(),
        // policy_mt (net/netfilter/xt_policy.c): match_policy_in finds no
        // sec_path and match_policy_out no dst->xfrm bundle on a host
        // without IPsec states (nfsim models none: the reference recorder's
        // inbound `block` policies are policies, not states), so both
        // return -1 and the match is `--pol none`, whatever the elements
        // and --strict say. A host with IPsec would need the decapsulated
        // packet's sec_path and the output route's xfrm bundle.
        Match::Policy(x) => x.none.into(),
        // physdev_mt (xt_physdev.c): a packet without nf_bridge info (an
        // nfsim host has no bridge ports, so every packet) matches exactly
        // when every option given is inverted. Trace `physdev-no-bridge`.
        Match::Physdev(x) => [
            x.physin.as_ref().map(|(_, inv)| *inv),
            x.physout.as_ref().map(|(_, inv)| *inv),
            x.is_in,
            x.is_out,
            x.is_bridged,
        ]
        .into_iter()
        .flatten()
        .all(|inv| inv)
        .into(),
        // Not evaluable (`Match::caps`): refused when the program is
        // compiled, so never reached. Listed so that a new variant does not
        // compile until it is either evaluated here or declared parse-only.
        Match::Bpf(_)
        | Match::Osf(_)
        | Match::Rateest(_)
        | Match::Time(_)
        | Match::Ipvs(_)
        | Match::Cgroup(_)
        | Match::Cluster(_)
        | Match::Connlabel(_)
        | Match::Cpu(_)
        | Match::Devgroup(_)
        | Match::Ipcomp(_)
        | Match::Realm(_)
        | Match::Socket(_) => MatchResult::NoMatch,
    }
}
