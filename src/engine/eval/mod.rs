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
//!
//! The files, by what a match reads: [`ip`] (the IP header), [`exthdr`]
//! (IPv6 extension and IPsec headers), [`l4`] (transport headers), [`ct`]
//! (conntrack), [`route`] (the routing tables), [`meta`] (marks, the
//! sending socket), [`rate`] (matches with state or side effects),
//! [`payload`] (bytes past the headers).
//!
//! Deliberately unsupported (the rule is refused at compile time):
//! `time` (needs wall-clock time: the host has no epoch, and `--kerneltz`
//! would need the kernel's timezone), `string --algo fsm` (ts_fsm takes a
//! token program, not a string), `u32` shifts over 31 bits (the kernel
//! refuses them), `owner --suppl-groups` (nfsim's sockets carry no
//! supplementary groups).

pub mod ct;
pub mod exthdr;
pub mod ip;
pub mod l4;
pub mod meta;
pub mod payload;
pub mod rate;
pub mod route;

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
        if !l4::port_in(rd_u16(l4, 0), s.0, s.1) {
            Some("--sport")
        } else if !l4::port_in(rd_u16(l4, 2), d.0, d.1) {
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
            (c.state.is_some() && !ct::conntrack_mt(&only_state, pkt.family, env.ct()))
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
        Match::Tcp(x) => l4::tcp_mt(x, pkt),
        Match::Udp(x) => l4::udp_mt(x, pkt),
        Match::Conntrack(x) => ct::conntrack_mt(x, pkt.family, env.ct()).into(),
        Match::State(x) => ct::state_mt(x, env.ct()).into(),
        Match::Comment(_) => MatchResult::Match,
        Match::Multiport(x) => l4::multiport_mt(x, pkt),
        Match::Icmp(x) => l4::icmp_mt(x, pkt),
        Match::Icmp6(x) => l4::icmp6_mt(x, pkt),
        Match::Length(x) => ip::length_mt(x, pkt).into(),
        Match::Ttl(x) => ip::ttl_mt(x, pkt).into(),
        Match::Hl(x) => ip::hl_mt6(x, pkt).into(),
        Match::Tos(x) => ip::tos_mt(x, pkt).into(),
        Match::Dscp(x) => ip::dscp_mt(x, pkt).into(),
        Match::PktType(x) => ip::pkttype_mt(x, pkt).into(),
        Match::Mac(x) => ip::mac_mt(x, pkt).into(),
        Match::Iprange(x) => ip::iprange_mt(x, pkt).into(),
        Match::Frag(x) => exthdr::frag_mt6(x, pkt),
        Match::Ipv6Header(x) => exthdr::ipv6header_mt6(x, pkt),
        Match::Rt(x) => exthdr::rt_mt6(x, pkt),
        Match::Hbh(x) => exthdr::hbh_mt6(x, pkt),
        Match::Dst(x) => exthdr::hbh_mt6(x, pkt),
        Match::Ah(x) => exthdr::ah_mt(x, pkt),
        Match::Esp(x) => exthdr::esp_mt(x, pkt),
        Match::Ecn(x) => ip::ecn_mt(x, pkt).into(),
        Match::TcpMss(x) => l4::tcpmss_mt(x, pkt),
        Match::Mh(x) => exthdr::mh_mt6(x, pkt),
        Match::Eui64(x) => exthdr::eui64_mt6(x, pkt),
        Match::Srh(x) => exthdr::srh_mt6(x, pkt),
        Match::Sctp(x) => l4::sctp_mt(x, pkt),
        Match::Dccp(x) => l4::dccp_mt(x, pkt),
        Match::Mark(x) => meta::mark_mt(x, pkt).into(),
        Match::Connmark(x) => ct::connmark_mt(x, env).into(),
        Match::Addrtype(x) => route::addrtype_mt(x, pkt, env).into(),
        Match::Quota(x) => rate::quota_mt(x, pkt, st).into(),
        Match::StringMatch(x) => payload::string_mt(x, pkt).into(),
        Match::U32(x) => payload::u32_mt(x, pkt).into(),
        Match::Helper(x) => ct::helper_mt(x, env.ct()).into(),
        Match::Connlimit(x) => ct::connlimit_mt(x, pkt, st, env),
        Match::Connbytes(x) => ct::connbytes_mt(x, env).into(),
        Match::Limit(x) => rate::limit_mt(x.avg, x.burst, env.hz(), env.jiffies(), st).into(),
        Match::Statistic(x) => rate::statistic_mt(x, st, env).into(),
        Match::Owner(x) => meta::owner_mt(
            x.uid.map(|i| (i.value, i.invert)),
            x.gid.map(|i| (i.value, i.invert)),
            x.socket_exists,
            pkt.sk_owner,
        )
        .into(),
        Match::Recent(x) => rate::recent_mt(x, pkt, st, env).into(),
        Match::Hashlimit(x) => rate::hashlimit_mt(x, pkt, st, env),
        Match::Rpfilter(x) => route::rpfilter_mt(x, pkt, env).into(),
        Match::Nfacct(_) => rate::nfacct_mt(pkt, st, env).into(),
        Match::Set(x) => crate::engine::shared::set_mt(x, pkt, st, env).into(),
        // policy_mt (net/netfilter/xt_policy.c): match_policy_in finds no
        // sec_path and match_policy_out no dst->xfrm bundle on a host
        // without IPsec states (nfsim models none: the reference recorder's
        // inbound `block` policies are policies, not states), so both
        // return -1 and the match is `--pol none`, whatever the elements
        // and --strict say. A host with IPsec would need the decapsulated
        // packet's sec_path and the output route's xfrm bundle.
        Match::Policy(x) => x.none.into(),
        // physdev_mt (xt_physdev.c) on the packet's bridge ports
        // (traces physdev-no-bridge, bridge-physdev-forward).
        Match::Physdev(x) => meta::physdev_mt(x, env.physdev()).into(),
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
