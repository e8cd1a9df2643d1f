//! The table walk: `ipt_do_table` (net/ipv4/netfilter/ip_tables.c) and
//! `ip6t_do_table` (net/ipv6/netfilter/ip6_tables.c).

use super::ctx::{Env, MatchResult, PacketCtx, TraceSink, Verdict};
use super::eval::eval_match;
use super::program::{Action, CRule, Generic, RuleId, TableProgram, TableState};
use crate::model::{Family, Hook};

/// `ip_packet_match` / `ip6_packet_match`: the generic part of a rule.
/// Returns `None` for a hotdrop (IPv6: no upper-layer header found in a
/// first fragment while `-p` is given).
#[inline]
fn generic_match(g: &Generic, pkt: &PacketCtx<'_>) -> Option<bool> {
    let (src, dst) = match pkt.family {
        Family::Ipv4 => (pkt.data.get(12..16), pkt.data.get(16..20)),
        Family::Ipv6 => (pkt.data.get(8..24), pkt.data.get(24..40)),
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return Some(false);
    };
    if g.src.0.contains(src) == g.src.1 || g.dst.0.contains(dst) == g.dst.1 {
        return Some(false);
    }
    if let Some((i, inv)) = &g.in_iface {
        if i.matches(pkt.in_dev) == *inv {
            return Some(false);
        }
    }
    if let Some((o, inv)) = &g.out_iface {
        if o.matches(pkt.out_dev) == *inv {
            return Some(false);
        }
    }
    match pkt.family {
        Family::Ipv4 => {
            if g.proto != 0 && (pkt.data.get(9).copied() == Some(g.proto)) == g.proto_inv {
                return Some(false);
            }
            // -f: only non-first fragments; ! -f: only unfragmented/first.
            if let Some(inv) = g.frag {
                if (pkt.meta.fragoff != 0) == inv {
                    return Some(false);
                }
            }
            Some(true)
        }
        Family::Ipv6 => {
            if g.proto_given {
                if pkt.meta.find_hdr_error.is_some() {
                    if pkt.meta.fragoff == 0 {
                        return None;
                    }
                    return Some(false);
                }
                let p = pkt.meta.protocol.0;
                if p == g.proto {
                    return Some(!g.proto_inv);
                }
                if g.proto != 0 && !g.proto_inv {
                    return Some(false);
                }
            }
            Some(true)
        }
    }
}

/// Walks `prog` from the entry of `hook` as the kernel does, and returns the
/// verdict. Counters and match state live in `state`; TRACE records go to
/// `sink` when `pkt.nf_trace` is set (the caller sets it for every packet
/// when it reproduces the reference recorder's `-j TRACE` rule).
///
/// A hook without a chain in this table accepts.
pub fn run_table<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
) -> Verdict {
    let (Some(entry), Some(underflow)) = (
        prog.hook_entry[hook as usize],
        prog.underflow[hook as usize],
    ) else {
        return Verdict::Accept;
    };
    let hook_chain = prog.rules[entry.0 as usize].chain;
    state.stack.clear();
    let mut e = entry;
    loop {
        let Some(r) = prog.rules.get(e.0 as usize) else {
            return Verdict::Drop;
        };
        let r: &CRule = r;
        match generic_match(&r.generic, pkt) {
            None => return Verdict::Drop,
            Some(false) => {
                if S::WANTS_EXPLAIN {
                    sink.no_match(
                        prog.kind,
                        &prog.chains[r.chain.0 as usize].name,
                        r.num,
                        None,
                    );
                }
                e = RuleId(e.0 + 1);
                continue;
            }
            Some(true) => {}
        }
        let mut matched = true;
        for (k, m) in r.matches.iter().enumerate() {
            let slot = &mut state.match_state[r.state_base as usize + k];
            match eval_match(m, pkt, slot, env) {
                MatchResult::Match => {}
                MatchResult::NoMatch => {
                    if S::WANTS_EXPLAIN {
                        sink.no_match(
                            prog.kind,
                            &prog.chains[r.chain.0 as usize].name,
                            r.num,
                            Some(k),
                        );
                    }
                    matched = false;
                    break;
                }
                MatchResult::HotDrop => return Verdict::Drop,
            }
        }
        if !matched {
            e = RuleId(e.0 + 1);
            continue;
        }
        // ADD_COUNTER(*counter, skb->len, 1): the current length (a target
        // earlier in the walk may have changed it).
        let c = &mut state.counters[e.0 as usize];
        c.0 += 1;
        c.1 += pkt.data.len() as u64;
        if pkt.nf_trace {
            // get_chainname_rulenum: a rule of the hook's own chain with the
            // tail-like shape prints "policy", of a user chain "return".
            let chain = &prog.chains[r.chain.0 as usize];
            let kind = match r.trace_kind {
                super::ctx::TraceKind::Rule => super::ctx::TraceKind::Rule,
                _ if r.chain == hook_chain => super::ctx::TraceKind::Policy,
                _ => super::ctx::TraceKind::Return,
            };
            sink.trace(prog.kind, &chain.name, kind, r.num);
        }
        match &r.action {
            Action::Continue => e = RuleId(e.0 + 1),
            Action::Accept => return Verdict::Accept,
            Action::Drop => return Verdict::Drop,
            Action::Queue => {
                return Verdict::Queue {
                    num: 0,
                    bypass: false,
                }
            }
            Action::Return => {
                e = match state.stack.pop() {
                    None => underflow,
                    Some(from) => RuleId(from.0 + 1),
                };
            }
            Action::Jump(to) => {
                if state.stack.len() > prog.stack_size {
                    return Verdict::Drop;
                }
                state.stack.push(e);
                e = *to;
            }
            Action::Goto(to) => e = *to,
            Action::Ext(t) => match env.run_target(prog.kind, t, pkt) {
                None => e = RuleId(e.0 + 1),
                Some(v) => return v,
            },
        }
    }
}
