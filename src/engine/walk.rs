//! The table walk: `ipt_do_table` (net/ipv4/netfilter/ip_tables.c) and
//! `ip6t_do_table` (net/ipv6/netfilter/ip6_tables.c).

use super::classify::{skip, Cursor, Fields};
use super::ctx::{Env, MatchResult, Mismatch, PacketCtx, TraceSink, Verdict};
use super::eval::eval_match;
use super::program::{
    Action, CRule, EndHow, Generic, Hdr, RuleId, TableProgram, TableState, WalkEnd,
};
use crate::model::{Family, Hook};

/// `ip_packet_match` / `ip6_packet_match`: the generic part of a rule.
/// Returns `None` for a hotdrop (IPv6: no upper-layer header found in a
/// first fragment while `-p` is given).
#[inline(always)]
fn generic_match(g: &Generic, pkt: &PacketCtx<'_>) -> Option<bool> {
    let (src, dst) = match pkt.family {
        Family::Ipv4 => (pkt.data.get(12..16), pkt.data.get(16..20)),
        Family::Ipv6 => (pkt.data.get(8..24), pkt.data.get(24..40)),
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return Some(false);
    };
    if addr_in(&g.src.0, src) == g.src.1 || addr_in(&g.dst.0, dst) == g.dst.1 {
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

/// [`AddrMask::contains`](crate::model::AddrMask::contains) for the
/// packet's address `a` (4 or 16 bytes, as `generic_match` reads them):
/// one masked compare of the whole address.
#[inline(always)]
fn addr_in(m: &crate::model::AddrMask, a: &[u8]) -> bool {
    match (m.family, a.len()) {
        (Family::Ipv4, 4) => {
            let w = |b: &[u8]| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            w(a) & w(&m.mask) == w(&m.addr)
        }
        (Family::Ipv6, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(a);
            u128::from_ne_bytes(b) & u128::from_ne_bytes(m.mask) == u128::from_ne_bytes(m.addr)
        }
        _ => m.contains(a),
    }
}

/// Explain mode: which part of the generic part failed, in the order
/// `ip_packet_match` / `ip6_packet_match` test them (called only after
/// [`generic_match`] said no).
fn generic_mismatch(g: &Generic, pkt: &PacketCtx<'_>) -> Mismatch {
    let (src, dst) = match pkt.family {
        Family::Ipv4 => (pkt.data.get(12..16), pkt.data.get(16..20)),
        Family::Ipv6 => (pkt.data.get(8..24), pkt.data.get(24..40)),
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return Mismatch::Src;
    };
    if g.src.0.contains(src) == g.src.1 {
        return Mismatch::Src;
    }
    if g.dst.0.contains(dst) == g.dst.1 {
        return Mismatch::Dst;
    }
    if let Some((i, inv)) = &g.in_iface {
        if i.matches(pkt.in_dev) == *inv {
            return Mismatch::InIface;
        }
    }
    if let Some((o, inv)) = &g.out_iface {
        if o.matches(pkt.out_dev) == *inv {
            return Mismatch::OutIface;
        }
    }
    if pkt.family == Family::Ipv4
        && g.proto != 0
        && (pkt.data.get(9).copied() == Some(g.proto)) == g.proto_inv
    {
        return Mismatch::Proto;
    }
    if pkt.family == Family::Ipv4 && g.frag.is_some() {
        return Mismatch::Frag;
    }
    Mismatch::Proto
}

/// Walks `prog` from the entry of `hook` as the kernel does, and returns the
/// verdict. Counters and match state live in `state`; TRACE records go to
/// `sink` when `pkt.nf_trace` is set (the caller sets it for every packet
/// when it reproduces the reference recorder's `-j TRACE` rule).
///
/// A hook without a chain in this table accepts.
///
/// ```
/// use nfsim::engine::*;
/// use nfsim::model::{Family, Hook, TableKind, Target};
/// use nfsim::time::Instant;
/// use nfsim::wire::{meta::PacketMeta, PacketBuilder};
/// struct Bare;
/// impl Env for Bare {
///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 }
///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
/// }
/// let rs = nfsim::syntax::parse_restore("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let mut state = table.new_state();
/// let mut data = PacketBuilder::ipv4([192, 0, 2, 9].into(), [198, 51, 100, 9].into()).udp(1, 2).build();
/// let meta = PacketMeta::parse(&data).unwrap();
/// let mut walk = |in_dev, out_dev| {
///     let mut pkt = PacketCtx {
///         family: Family::Ipv4, data: &mut data, meta, hook: Hook::Forward, in_dev, out_dev,
///         mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 0,
///         src_mac: None, sk_owner: None, csum_partial: false,
///     };
///     run_table(table, &mut state, Hook::Forward, &mut pkt, &mut Bare, &mut NoTrace)
/// };
/// assert_eq!(walk("eth0", "eth1"), Verdict::Accept);
/// assert_eq!(walk("eth1", "eth0"), Verdict::Drop); // the policy
/// ```
///
/// IPv4 tables skip the entries that cannot match without testing them
/// (`engine::classify`: compiled pre-tests and per-chain indexes), except in
/// explain mode ([`TraceSink::WANTS_EXPLAIN`]), which wants every entry
/// tested, and in tables where it cannot pay (fewer than 8 entries with
/// an address, protocol or port to skip on: `TableProgram::classify`).
/// Counters, match state, TRACE records and the verdict are those of
/// [`run_table_linear`], the reference.
pub fn run_table<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
) -> Verdict {
    if let Some(v) = run_policy_only(prog, state, hook, pkt.data.len(), pkt.nf_trace, sink) {
        return v;
    }
    run_walk(prog, state, hook, pkt, env, sink)
}

/// [`run_table`] for a hook the caller already knows is not policy-only
/// ([`run_policy_only`] said `None`): the walk, without asking again.
#[inline]
pub(crate) fn run_walk<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
) -> Verdict {
    walk(
        prog,
        state,
        hook,
        pkt,
        env,
        sink,
        !S::WANTS_EXPLAIN,
        false,
        None,
    )
}

/// [`run_walk`] for a caller that asked [`run_ct_head`] already (with the
/// packet's length and the slot state `Env::ct` gives) and got `None`: the
/// walk goes on at the entry after the head without asking again
/// (`conntrack_mt` has no side effect, the answer is the same); or, with
/// `from`, where [`run_scan`] stopped (`Scan::From`): at entry `from`,
/// with the jump stack the scan left in `state`.
#[inline]
pub(crate) fn run_walk_from<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
    from: Option<RuleId>,
) -> Verdict {
    walk(
        prog,
        state,
        hook,
        pkt,
        env,
        sink,
        !S::WANTS_EXPLAIN,
        true,
        from,
    )
}

/// What [`run_scan`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The walk's verdict, ACCEPT (no more: the scan takes no other
    /// verdict, and the caller reads one byte): counters, TRACE records
    /// and the walk's end written.
    Accept,
    /// The walk's verdict, DROP.
    Drop,
    /// The walk goes on at this entry ([`run_walk_from`]), the entries
    /// before it taken (their counters and TRACE records written, the jump
    /// stack in the state).
    From(RuleId),
}

/// What [`run_scan`] reads of a packet: its bytes and `PacketMeta`, the
/// names of its devices as `-i` and `-o` test them, its conntrack
/// reference.
pub(crate) struct ScanPkt<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) meta: &'a crate::wire::meta::PacketMeta,
    /// The input and the output device's names as words
    /// ([`super::program::iface_words`]: input, then output; zero for no
    /// device); `None` when a name has no such form (the scan then stops
    /// at the first entry that tests a device: [`ScanPkt::devs_of`]).
    pub(crate) devs: Option<[u64; 4]>,
    /// `Env::ct`.
    pub(crate) ct: Option<super::ctx::CtRef<'a>>,
}

#[cfg(test)]
impl ScanPkt<'_> {
    /// [`ScanPkt::devs`] of the devices named `in_dev` and `out_dev`.
    pub(crate) fn devs_of(in_dev: &str, out_dev: &str) -> Option<[u64; 4]> {
        let (i, o) = (
            super::program::iface_words(in_dev.as_bytes())?,
            super::program::iface_words(out_dev.as_bytes())?,
        );
        Some([i[0], i[1], o[0], o[1]])
    }
}

/// Whether [`run_scan`] takes `prog`'s walks at `hook`: an IPv4 table
/// walked entry by entry (`TableProgram::hdr`) whose walk there the scan
/// does not give up at once (`TableProgram::scan_hook`).
#[inline(always)]
pub(crate) fn scans(prog: &TableProgram, hook: Hook) -> bool {
    prog.scan_hook[hook as usize]
}

/// A match [`run_scan`] evaluates (besides a leading `--ctstate`-only
/// one): pure, from the packet's bytes alone.
pub(crate) fn scan_takes(m: &crate::model::Match) -> bool {
    use crate::model::Match;
    matches!(m, Match::Comment(_) | Match::Tcp(_) | Match::Udp(_))
}

/// The walk of an IPv4 table walked entry by entry ([`scans`]), before
/// any packet context is made, from the hook's entry: `ipt_do_table` for
/// the entries whose generic part ([`Hdr`]) fails, and, when it passes,
/// whose matches are `comment`, `tcp`, `udp` (pure: `tcp_mt_on`,
/// `udp_mt_on`) or a leading `--ctstate`-only conntrack match
/// (`CRule::ct_first`), and whose target is ACCEPT, DROP, none, RETURN, a
/// jump or a goto. At the first entry it cannot take that way (another
/// match, a hotdrop, an extension target, a jump past the stack, a packet
/// shorter than its IPv4 header) it stops before anything of that entry
/// is done, and the walk goes on there ([`run_walk_from`]). Not for
/// explain mode (the caller walks). After [`run_policy_only`] and
/// [`run_ct_head`] said `None`. Counters, TRACE records, the walk's
/// end and the verdict are the walk's (the walk's unit tests hold them
/// equal). In the caller's line (`Host::table_hooked`): the packet's
/// fields stay in registers, no `ScanPkt` in memory.
#[inline(always)]
pub(crate) fn run_scan<S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &ScanPkt<'_>,
    nf_trace: bool,
    sink: &mut S,
) -> Scan {
    let (Some(entry), Some(underflow)) = (
        prog.hook_entry[hook as usize],
        prog.underflow[hook as usize],
    ) else {
        // A hook without a chain: the walk accepts.
        return Scan::Accept;
    };
    state.stack.clear();
    let data = pkt.data;
    let (Some(h4), false, true) = (
        data.get(..20),
        S::WANTS_EXPLAIN,
        prog.hdr.len() == prog.rules.len(),
    ) else {
        return Scan::From(entry);
    };
    let n = prog.hdr.len();
    let (hdr, rules, Some(counters)) =
        (&prog.hdr[..], &prog.rules[..n], state.counters.get_mut(..n))
    else {
        return Scan::From(entry);
    };
    let len = data.len() as u64;
    let w = |o: usize| u64::from(u32::from_ne_bytes([h4[o], h4[o + 1], h4[o + 2], h4[o + 3]]));
    let (sd, proto) = (w(12) | w(16) << 32, h4[9]);
    let hook_chain = rules[entry.0 as usize].chain;
    let mut e = entry.0;
    if let Some(pre) = prog.prefix[hook as usize].as_deref() {
        // The entries every packet passes the same way (`Prefix`), as the
        // walk takes them.
        for &p in pre.passed.iter() {
            let c = &mut counters[p.0 as usize];
            c.0 += 1;
            c.1 += len;
            if S::WANTS_TRACE && nf_trace {
                trace_entry(prog, &rules[p.0 as usize], hook_chain, sink);
            }
        }
        state.stack.extend_from_slice(&pre.stack);
        e = pre.resume.0;
    } else if prog.ct_head[hook as usize].is_some() {
        // After a `ctstate` head, which [`run_ct_head`] found not to
        // match (or did not test: a packet cut short, stopped at above).
        e += 1;
    }
    loop {
        let (Some(h), Some(r)) = (hdr.get(e as usize), rules.get(e as usize)) else {
            return Scan::From(RuleId(e));
        };
        if (sd & h.mask != h.addr) | ((h.proto != 0) & (h.proto != proto)) {
            e += 1;
            continue;
        }
        if h.flags != 0 {
            match scan_entry(h, r, h4, pkt) {
                Some(true) => {}
                Some(false) => {
                    e += 1;
                    continue;
                }
                None => return Scan::From(RuleId(e)),
            }
        }
        // Matched: ACCEPT and DROP end the walk, the others (none,
        // RETURN, a jump, a goto) move it.
        if h.act != Hdr::OTHER {
            let c = &mut counters[e as usize];
            c.0 += 1;
            c.1 += len;
            if S::WANTS_TRACE && nf_trace {
                trace_entry(prog, r, hook_chain, sink);
            }
            state.end = WalkEnd {
                rule: RuleId(e),
                how: EndHow::Verdict,
            };
            return if h.act == Hdr::ACCEPT {
                Scan::Accept
            } else {
                Scan::Drop
            };
        }
        let next = match &r.action {
            Action::Continue => e + 1,
            Action::Return => match state.stack.pop() {
                None => underflow.0,
                Some(from) => from.0 + 1,
            },
            // The walk's overflow test: left to the walk.
            Action::Jump(to) if state.stack.len() <= prog.stack_size => {
                state.stack.push(RuleId(e));
                to.0
            }
            Action::Goto(to) => to.0,
            _ => return Scan::From(RuleId(e)),
        };
        let c = &mut counters[e as usize];
        c.0 += 1;
        c.1 += len;
        if S::WANTS_TRACE && nf_trace {
            trace_entry(prog, r, hook_chain, sink);
        }
        e = next;
    }
}

/// [`run_scan`] on entry `r` whose addresses and protocol passed (when not
/// inverted): the rest of its generic part, then its matches. `None`: the
/// scan stops here (a match it does not evaluate, a hotdrop, a device
/// name the words cannot hold).
#[inline(always)]
fn scan_entry(h: &Hdr, r: &CRule, h4: &[u8], pkt: &ScanPkt<'_>) -> Option<bool> {
    let f = h.flags;
    if f & Hdr::STOP != 0 {
        return None;
    }
    if f & Hdr::SLOW != 0 && !scan_slow(r, h4, pkt)? {
        return Some(false);
    }
    if f & Hdr::IFACE != 0 {
        // ip_packet_match: ifname_compare_aligned under the masks
        // xtables_parse_interface built (`Iface::matches`).
        let d = pkt.devs?;
        let (n, m) = (&h.ifn, &h.ifm);
        if f & Hdr::IN != 0
            && (((d[0] ^ n[0]) & m[0]) | ((d[1] ^ n[1]) & m[1]) == 0) == (f & Hdr::IN_INV != 0)
        {
            return Some(false);
        }
        if f & Hdr::OUT != 0
            && (((d[2] ^ n[2]) & m[2]) | ((d[3] ^ n[3]) & m[3]) == 0) == (f & Hdr::OUT_INV != 0)
        {
            return Some(false);
        }
    }
    if f & Hdr::CT != 0 && !scan_ct(h, pkt) {
        return Some(false);
    }
    if f & Hdr::PORTS != 0 && !scan_ports(h, pkt)? {
        return Some(false);
    }
    if f & Hdr::MATCHES != 0 {
        return scan_matches(r, f & Hdr::CT != 0, pkt);
    }
    Some(true)
}

/// [`scan_entry`]'s leading `--ctstate`-only match (`Hdr::CT`). Out of
/// the scan's line (as [`scan_ports`]): what it reads is not loaded for
/// every scan.
#[inline(never)]
fn scan_ct(h: &Hdr, pkt: &ScanPkt<'_>) -> bool {
    let inv = h.flags & Hdr::CT_INV != 0;
    super::eval::ct::state_nat_only_mt(crate::nf::CtStates(h.ct), inv, pkt.ct)
}

/// [`scan_entry`]'s `tcp` or `udp` match of ports alone (`Hdr::PORTS`):
/// `tcp_mt` / `udp_mt` (net/netfilter/xt_tcpudp.c) as `eval::l4`'s
/// `tcp_on` / `udp_on` do them without flags or option. `None`: a
/// hotdrop (the scan stops, the walk drops).
#[inline(never)]
fn scan_ports(h: &Hdr, pkt: &ScanPkt<'_>) -> Option<bool> {
    let f = h.flags;
    let meta = pkt.meta;
    let tcp = f & Hdr::TCP != 0;
    if meta.fragoff != 0 {
        // tcp_mt: offset 1 is dropped (hotdrop).
        return if tcp && meta.fragoff == 1 {
            None
        } else {
            Some(false)
        };
    }
    let l4 = meta.l4(pkt.data);
    let (Some(&[s0, s1, d0, d1]), true) = (l4.get(..4), l4.len() >= if tcp { 20 } else { 8 })
    else {
        // A header cut short: hotdrop.
        return None;
    };
    let (sp, dp, p) = (
        u16::from_be_bytes([s0, s1]),
        u16::from_be_bytes([d0, d1]),
        &h.ports,
    );
    use super::eval::l4::port_in;
    let s = port_in(sp, (p[0], p[1]), f & Hdr::SPORT_INV != 0);
    let d = port_in(dp, (p[2], p[3]), f & Hdr::DPORT_INV != 0);
    Some(s & d)
}

/// [`scan_entry`]'s generic part of an entry with an inverted address or
/// protocol, `-f`, or an address not of IPv4 (`Hdr::SLOW`):
/// `generic_match` for IPv4 but the interfaces.
#[inline(never)]
fn scan_slow(r: &CRule, h4: &[u8], pkt: &ScanPkt<'_>) -> Option<bool> {
    let g = &r.generic;
    if g.src.0.family != Family::Ipv4 || g.dst.0.family != Family::Ipv4 {
        return None;
    }
    Some(
        !(addr_in(&g.src.0, &h4[12..16]) == g.src.1
            || addr_in(&g.dst.0, &h4[16..20]) == g.dst.1
            || (g.proto != 0 && (h4[9] == g.proto) == g.proto_inv)
            || g.frag.is_some_and(|inv| (pkt.meta.fragoff != 0) == inv)),
    )
}

/// [`scan_entry`]'s matches one by one (`Hdr::MATCHES`), after the
/// leading `--ctstate` one when `ct_first`.
#[inline(never)]
fn scan_matches(r: &CRule, ct_first: bool, pkt: &ScanPkt<'_>) -> Option<bool> {
    use super::eval::l4::{tcp_mt_on, udp_mt_on};
    use crate::model::Match;
    for m in r.matches.iter().skip(usize::from(ct_first)) {
        let res = match m {
            Match::Comment(_) => MatchResult::Match,
            Match::Tcp(t) => tcp_mt_on(t, pkt.meta, pkt.data),
            Match::Udp(u) => udp_mt_on(u, pkt.meta, pkt.data),
            _ => return None,
        };
        match res {
            MatchResult::Match => {}
            MatchResult::NoMatch => return Some(false),
            MatchResult::HotDrop => return None,
        }
    }
    Some(true)
}

/// The walk of a hook whose chain holds only its policy entry (no rule;
/// `TableProgram::policy_only`), without a packet context: what [`walk`]
/// does on that entry (its generic part matches every packet whose
/// addresses can be read, `len` bytes being at least the fixed network
/// header): the counter, the TRACE `policy` record, the walk's end and the
/// policy's verdict. `None`: the hook needs the walk.
#[inline]
pub(crate) fn run_policy_only<S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    len: usize,
    nf_trace: bool,
    sink: &mut S,
) -> Option<Verdict> {
    if !prog.policy_only[hook as usize] {
        return None;
    }
    let fixed = prog.fixed;
    if len < fixed {
        return None;
    }
    decide_at(
        prog,
        state,
        hook,
        prog.underflow[hook as usize]?,
        len,
        nf_trace,
        sink,
    )
}

/// The walk of a hook whose first entry tests the packet's conntrack state
/// alone (`TableProgram::ct_head`: no generic part, one `-m conntrack
/// --ctstate` match, ACCEPT or DROP), for a packet whose slot state bits
/// (`CtRef::slot_state`, what `conntrack_mt` reads for such a match) are
/// `slot_state()` (asked only for such a hook) and `len` bytes long: when the entry matches, what [`walk`]
/// does on it (the counter, the TRACE record, the walk's end and the
/// verdict; the generic part passes every packet of at least the fixed
/// network header, `Generic::passes_all`). `None`: the entry does not
/// match (or the packet is shorter): the caller walks, and the walk asks
/// again and goes on at the next entry (`conntrack_mt` has no side
/// effect). Not for explain mode, which records every entry tested.
#[inline]
pub(crate) fn run_ct_head<S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    len: usize,
    slot_state: impl FnOnce() -> crate::nf::CtStates,
    nf_trace: bool,
    sink: &mut S,
) -> Option<Verdict> {
    let (value, invert) = prog.ct_head[hook as usize]?;
    let fixed = prog.fixed;
    if S::WANTS_EXPLAIN
        || len < fixed
        || !super::eval::ct::state_only_mt(value, invert, slot_state())
    {
        return None;
    }
    decide_at(
        prog,
        state,
        hook,
        prog.hook_entry[hook as usize]?,
        len,
        nf_trace,
        sink,
    )
}

/// What the walk does on a hook's entry `e` whose generic part and matches
/// passed and whose target is ACCEPT or DROP (a policy or a `--ctstate`
/// head): its counter, its TRACE record (`rule` or `policy` in the hook's
/// own chain, as the walk names it), the walk's end and the verdict
/// (`ipt_do_table`). Shared by [`run_policy_only`] and [`run_ct_head`].
#[inline(always)]
fn decide_at<S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    e: RuleId,
    len: usize,
    nf_trace: bool,
    sink: &mut S,
) -> Option<Verdict> {
    let c = state.counters.get_mut(e.0 as usize)?;
    c.0 += 1;
    c.1 += len as u64;
    if S::WANTS_TRACE && nf_trace {
        let r = prog.rules.get(e.0 as usize)?;
        let kind = match r.trace_kind {
            super::ctx::TraceKind::Rule => super::ctx::TraceKind::Rule,
            _ => super::ctx::TraceKind::Policy,
        };
        sink.trace(
            prog.kind,
            &prog.chains[r.chain.0 as usize].name,
            kind,
            r.num,
        );
    }
    state.end = WalkEnd {
        rule: e,
        how: EndHow::Verdict,
    };
    // The entry's target, read when the program was compiled
    // (`TableProgram::head_accept`).
    Some(if prog.head_accept[hook as usize] {
        Verdict::Accept
    } else {
        Verdict::Drop
    })
}

/// [`run_table`] testing every entry in turn, as `ipt_do_table` does: the
/// reference the classified walk is tested against (`tests/classify.rs`),
/// and the walk of explain mode.
///
/// ```
/// use nfsim::engine::*;
/// use nfsim::model::{Family, Hook, TableKind, Target};
/// use nfsim::time::Instant;
/// use nfsim::wire::{meta::PacketMeta, PacketBuilder};
/// struct Bare;
/// impl Env for Bare {
///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 }
///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
/// }
/// let rs = nfsim::syntax::parse_restore("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let mut state = table.new_state();
/// let mut data = PacketBuilder::ipv4([192, 0, 2, 9].into(), [198, 51, 100, 9].into()).udp(1, 53).build();
/// let meta = PacketMeta::parse(&data).unwrap();
/// let mut pkt = PacketCtx {
///     family: Family::Ipv4, data: &mut data, meta, hook: Hook::LocalOut, in_dev: "", out_dev: "eth0",
///     mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 4,
///     src_mac: None, sk_owner: None, csum_partial: false,
/// };
/// let v = run_table_linear(table, &mut state, Hook::LocalOut, &mut pkt, &mut Bare, &mut NoTrace);
/// assert_eq!(v, Verdict::Accept);
/// // The rule's counter: one packet of 28 bytes.
/// let rule = table.hook_entry[Hook::LocalOut as usize].unwrap();
/// assert_eq!(state.counters[rule.0 as usize], (1, 28));
/// ```
pub fn run_table_linear<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
) -> Verdict {
    walk(prog, state, hook, pkt, env, sink, false, false, None)
}

/// The walk; `classify`: skip the entries the compiled pre-tests and chain
/// indexes rule out (IPv4 only); `head_asked`: [`run_ct_head`] said `None`
/// for this packet already ([`run_walk_from`]); `from`: go on at
/// this entry with the jump stack in `state` ([`run_walk_from`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn walk<E: Env, S: TraceSink>(
    prog: &TableProgram,
    state: &mut TableState,
    hook: Hook,
    pkt: &mut PacketCtx<'_>,
    env: &mut E,
    sink: &mut S,
    classify: bool,
    head_asked: bool,
    from: Option<RuleId>,
) -> Verdict {
    let (Some(entry), Some(underflow)) = (
        prog.hook_entry[hook as usize],
        prog.underflow[hook as usize],
    ) else {
        return Verdict::Accept;
    };
    let hook_chain = prog.rules[entry.0 as usize].chain;
    // The bytes `generic_match` reads the addresses from.
    let fixed = match pkt.family {
        Family::Ipv4 => 20,
        Family::Ipv6 => 40,
    };
    // (`any_packet` says so for packets of the table's family.)
    let any_ok = pkt.family == prog.family;
    let mut e = entry;
    if let Some(f) = from {
        e = f;
    } else {
        state.stack.clear();
    }
    // The entries every packet passes the same way (`Prefix`): their
    // counters and TRACE records, then on from where they lead.
    if from.is_none() && classify && any_ok && pkt.data.len() >= fixed {
        if let Some(pre) = prog.prefix[hook as usize].as_deref() {
            let len = pkt.data.len() as u64;
            for &p in pre.passed.iter() {
                let c = &mut state.counters[p.0 as usize];
                c.0 += 1;
                c.1 += len;
                if S::WANTS_TRACE && pkt.nf_trace {
                    trace_entry(prog, &prog.rules[p.0 as usize], hook_chain, sink);
                }
            }
            state.stack.extend_from_slice(&pre.stack);
            e = pre.resume;
        } else if prog.ct_head[hook as usize].is_some() {
            // The `ctstate` head (`run_ct_head`): decided, or not matched
            // (no side effect) and the walk goes on at the next entry.
            let slot_state = || env.ct().map_or(crate::nf::CtStates(0), |r| r.slot_state());
            if !head_asked {
                if let Some(v) = run_ct_head(
                    prog,
                    state,
                    hook,
                    pkt.data.len(),
                    slot_state,
                    pkt.nf_trace,
                    sink,
                ) {
                    return v;
                }
            }
            e = RuleId(entry.0 + 1);
        }
    }
    // The packet's fields, read again after a target that lets the walk
    // go on (it may have rewritten the packet); `None`: every entry is
    // tested.
    let classify = classify
        && prog.classify
        && pkt.family == Family::Ipv4
        && prog.pre.len() == prog.rules.len();
    let mut fields = if classify { Fields::read(pkt) } else { None };
    // The candidates of the chain being walked; made again whenever the
    // walk moves other than to the next entry (`moved`).
    let mut cursor: Option<Cursor<'_>> = None;
    let mut moved = true;
    loop {
        if let Some(f) = &fields {
            if moved && prog.indexed {
                moved = false;
                cursor = prog
                    .rules
                    .get(e.0 as usize)
                    .and_then(|r| prog.index.get(r.chain.0 as usize))
                    .and_then(|i| i.as_deref())
                    .and_then(|i| Cursor::new(i, f));
            }
            match &mut cursor {
                Some(c) => loop {
                    e = RuleId(c.next(e.0));
                    if prog.pre.get(e.0 as usize).is_none_or(|p| p.passes(f)) {
                        break;
                    }
                    e = RuleId(e.0 + 1);
                },
                None => e = RuleId(skip(&prog.pre, e.0, f)),
            }
        }
        let Some(r) = prog.rules.get(e.0 as usize) else {
            state.end = WalkEnd {
                rule: e,
                how: EndHow::NoEntry,
            };
            return Verdict::Drop;
        };
        let r: &CRule = r;
        // A generic part that tests nothing: decided by the length alone
        // (`Generic::passes_all`).
        let generic = if any_ok && r.any_packet {
            Some(pkt.data.len() >= fixed)
        } else {
            generic_match(&r.generic, pkt)
        };
        match generic {
            None => {
                state.end = WalkEnd {
                    rule: e,
                    how: EndHow::HotDrop,
                };
                return Verdict::Drop;
            }
            Some(false) => {
                if S::WANTS_EXPLAIN {
                    sink.mismatch(
                        prog.kind,
                        &prog.chains[r.chain.0 as usize].name,
                        r.num,
                        generic_mismatch(&r.generic, pkt),
                    );
                }
                e = RuleId(e.0 + 1);
                continue;
            }
            Some(true) => {}
        }
        // A leading `--ctstate`-only conntrack match (`CRule::ct_first`):
        // `conntrack_mt` on the slot's state bits, as `eval_match` would
        // (explain mode asks `eval_match`, for its mismatch record).
        let mut first = 0;
        if !S::WANTS_EXPLAIN {
            if let Some((value, invert)) = r.ct_first {
                if !super::eval::ct::state_nat_only_mt(value, invert, env.ct()) {
                    e = RuleId(e.0 + 1);
                    continue;
                }
                first = 1;
            }
        }
        let mut matched = true;
        for (k, m) in r.matches.iter().enumerate().skip(first) {
            let slot = &mut state.match_state[r.state_base as usize + k];
            match eval_match(m, pkt, slot, env) {
                MatchResult::Match => {}
                MatchResult::NoMatch => {
                    if S::WANTS_EXPLAIN {
                        sink.mismatch(
                            prog.kind,
                            &prog.chains[r.chain.0 as usize].name,
                            r.num,
                            Mismatch::Match {
                                index: k,
                                option: super::eval::failed_option(m, pkt, env),
                            },
                        );
                    }
                    matched = false;
                    break;
                }
                MatchResult::HotDrop => {
                    state.end = WalkEnd {
                        rule: e,
                        how: EndHow::HotDrop,
                    };
                    return Verdict::Drop;
                }
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
        if S::WANTS_TRACE && pkt.nf_trace {
            trace_entry(prog, r, hook_chain, sink);
        }
        // Where a verdict given below comes from (one store per walk end).
        let end = WalkEnd {
            rule: e,
            how: EndHow::Verdict,
        };
        match &r.action {
            Action::Continue => e = RuleId(e.0 + 1),
            Action::Accept => {
                state.end = end;
                return Verdict::Accept;
            }
            Action::Drop => {
                state.end = end;
                return Verdict::Drop;
            }
            Action::Queue => {
                state.end = end;
                return Verdict::Queue {
                    num: 0,
                    bypass: false,
                };
            }
            Action::Return => {
                e = match state.stack.pop() {
                    None => underflow,
                    Some(from) => RuleId(from.0 + 1),
                };
                moved = true;
            }
            Action::Jump(to) => {
                if state.stack.len() > prog.stack_size {
                    state.end = WalkEnd {
                        rule: e,
                        how: EndHow::StackOverflow,
                    };
                    return Verdict::Drop;
                }
                state.stack.push(e);
                e = *to;
                moved = true;
            }
            Action::Goto(to) => {
                e = *to;
                moved = true;
            }
            Action::Ext(t) => match env.run_target(prog.kind, t, pkt) {
                None => {
                    e = RuleId(e.0 + 1);
                    if fields.is_some() {
                        fields = Fields::read(pkt);
                        moved = true;
                    }
                }
                Some(v) => {
                    state.end = end;
                    return v;
                }
            },
        }
    }
}

/// The TRACE record of a matched entry `r` in a walk from `hook_chain`.
#[inline]
fn trace_entry<S: TraceSink>(
    prog: &TableProgram,
    r: &CRule,
    hook_chain: super::program::ChainId,
    sink: &mut S,
) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ctx::TraceSink;
    use crate::engine::program::Program;
    use crate::model::{TableKind, Target};
    use crate::syntax::{parse_restore, RestoreOptions};
    use crate::time::Instant;
    use crate::wire::meta::PacketMeta;
    use proptest::prelude::*;

    struct NullEnv;
    impl Env for NullEnv {
        fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
            0
        }
        fn run_target(
            &mut self,
            _: TableKind,
            _: &Target,
            _: &mut PacketCtx<'_>,
        ) -> Option<Verdict> {
            None
        }
    }

    /// Explain mode: turns classification off (every entry is tested one
    /// by one), so walks with it and with `NoTrace` must agree.
    struct Explain(u32);
    impl TraceSink for Explain {
        const WANTS_EXPLAIN: bool = true;
        fn no_match(&mut self, _: TableKind, _: &[u8], _: u32, _: Option<usize>) {
            self.0 += 1;
        }
    }

    const NETS: [&str; 6] = [
        "10.0.0.0/8",
        "10.1.2.3/32",
        "192.0.2.0/24",
        "192.0.2.1/32",
        "0.0.0.0/0",
        "198.51.100.0/25",
    ];
    const ADDRS: [[u8; 4]; 5] = [
        [10, 1, 2, 3],
        [10, 9, 9, 9],
        [192, 0, 2, 1],
        [192, 0, 2, 200],
        [198, 51, 100, 7],
    ];

    fn rule(sel: &[u8; 6]) -> String {
        rule_x(sel, 0, false)
    }

    /// [`rule`] with more: `x` picks `tcp` / `udp` port matches (ranges,
    /// `!`, flags, two of them, with `comment`) and, for FORWARD (`fwd`),
    /// `-i` / `-o` names (exact, `+` wildcards, 15 bytes, `!`).
    fn rule_x(sel: &[u8; 6], x: u8, fwd: bool) -> String {
        let mut r = String::from("-A ");
        r.push_str(if sel[5] % 4 == 0 { "USER " } else { "OUTPUT " });
        if sel[0] % 3 != 0 {
            r.push_str(if sel[0] & 0x10 != 0 { "! -s " } else { "-s " });
            r.push_str(NETS[usize::from(sel[0]) % NETS.len()]);
            r.push(' ');
        }
        if sel[1] % 3 != 0 {
            r.push_str(if sel[1] & 0x10 != 0 { "! -d " } else { "-d " });
            r.push_str(NETS[usize::from(sel[1]) % NETS.len()]);
            r.push(' ');
        }
        match (sel[2] % 4, x % 8) {
            (0, 0) => r.push_str("-p tcp -m tcp --dport 80 "),
            (0, 1) => r.push_str("-p tcp -m tcp --sport 1:100 "),
            (0, 2) => r.push_str("-p tcp -m tcp ! --dport 80 "),
            (0, 3) => r.push_str("-p tcp -m tcp --dport 80 --syn "),
            (0, 4) => r.push_str("-p tcp -m tcp ! --sport 0:65535 ! --dport 1:79 "),
            (0, 5) => r.push_str("-p tcp -m comment --comment c -m tcp --dport 80 "),
            (0, 6) => r.push_str("-p tcp -m tcp --dport 80 -m tcp --sport 1 "),
            (0, _) => r.push_str("-p tcp -m tcp --tcp-option 2 "),
            (1, 0 | 7) => r.push_str("-p udp "),
            (1, 1) => r.push_str("-p udp -m udp --dport 80 "),
            (1, 2) => r.push_str("-p udp -m udp ! --sport 1 "),
            (1, 3) => r.push_str("-p udp -m udp --dport 80 -m udp --sport 1 "),
            (1, 4) => r.push_str("-p udp -m udp --dport 79:81 -m comment --comment c "),
            (1, 5) => r.push_str("-p udp -m udp --sport 40000:65535 --dport 79 "),
            (1, _) => r.push_str("-m comment --comment c "),
            _ => {}
        }
        match (sel[3] % 6, fwd, (x >> 3) % 8) {
            (0, _, _) => r.push_str("-o eth1 "),
            (3, _, _) => r.push_str("! -o eth+ "),
            (_, false, _) | (_, true, 0) => {}
            (_, true, 1) => r.push_str("-i eth0 "),
            (_, true, 2) => r.push_str("! -i eth+ "),
            (_, true, 3) => r.push_str("-i e+ "),
            (_, true, 4) => r.push_str("-i + "),
            (_, true, 5) => r.push_str("-i eth1 -o eth1 "),
            (_, true, 6) => r.push_str("-i abcdefghijklmno "),
            (_, true, _) => r.push_str("! -o eth1 ! -i eth1 "),
        }
        r.push_str(match sel[4] % 6 {
            0 => "-j ACCEPT",
            1 => "-j DROP",
            2 if sel[5] % 4 != 0 => "-j USER",
            3 => "-j RETURN",
            _ => "",
        });
        r.push('\n');
        r
    }

    /// `Generic::passes_all` (the walk's `any_packet` shortcut) against
    /// `generic_match` on every entry of random rulesets, IPv4 and IPv6,
    /// for packets of every length around the fixed header.
    fn any_packet_agrees(text: &str, family: Family) {
        let rs = parse_restore(text, &RestoreOptions::new(family)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(TableKind::Filter).unwrap();
        let full = match family {
            Family::Ipv4 => {
                crate::wire::PacketBuilder::ipv4([10, 1, 2, 3].into(), [192, 0, 2, 1].into())
                    .udp(1, 2)
                    .build()
            }
            Family::Ipv6 => crate::wire::PacketBuilder::ipv6(
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
            )
            .udp(1, 2)
            .build(),
        };
        let meta = PacketMeta::parse(&full).unwrap();
        let fixed = if family == Family::Ipv4 { 20 } else { 40 };
        for len in 0..full.len() {
            let mut d = full[..len].to_vec();
            let pkt = PacketCtx {
                family,
                data: &mut d,
                meta,
                hook: Hook::LocalOut,
                in_dev: "eth0",
                out_dev: "eth1",
                mark: 0,
                now: Instant::ZERO,
                nf_trace: false,
                pkt_type: 4,
                src_mac: None,
                sk_owner: None,
                csum_partial: false,
            };
            for r in &t.rules {
                if r.any_packet {
                    assert_eq!(generic_match(&r.generic, &pkt), Some(len >= fixed), "{r:?}");
                }
            }
        }
        // Tails always test nothing.
        assert!(t
            .chains
            .iter()
            .all(|c| t.rules[c.tail.0 as usize].any_packet));
    }

    #[test]
    fn any_packet_is_generic_match_ipv6() {
        any_packet_agrees(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n:U - [0:0]\n\
             -A OUTPUT -j U\n-A OUTPUT -s ::/0 -j ACCEPT\n-A OUTPUT ! -s ::/0 -j ACCEPT\n\
             -A OUTPUT -p all -j ACCEPT\n-A OUTPUT ! -p tcp -j ACCEPT\n-A OUTPUT -o eth1 -j DROP\n\
             -A FORWARD -i + -j DROP\n-A U -d 2001:db8::/32 -j RETURN\n-A U -m comment --comment x\nCOMMIT\n",
            Family::Ipv6,
        );
    }

    /// A conntrack reference with a fixed slot (`None`: no conntrack).
    struct CtEnv(
        crate::conntrack::ConntrackTable,
        Option<Option<crate::conntrack::CtSlot>>,
    );
    impl Env for CtEnv {
        fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
            0
        }
        fn run_target(
            &mut self,
            _: TableKind,
            _: &Target,
            _: &mut PacketCtx<'_>,
        ) -> Option<Verdict> {
            None
        }
        fn ct(&self) -> Option<super::super::ctx::CtRef<'_>> {
            self.1
                .map(|slot| super::super::ctx::CtRef::new(&self.0, slot, Instant::ZERO))
        }
    }

    /// [`Records`] in explain mode: every match through `eval_match`.
    #[derive(Default)]
    struct ExplainRecords(Records);
    impl TraceSink for ExplainRecords {
        const WANTS_EXPLAIN: bool = true;
        fn trace(
            &mut self,
            t: TableKind,
            chain: &[u8],
            kind: super::super::ctx::TraceKind,
            num: u32,
        ) {
            self.0.trace(t, chain, kind, num);
        }
    }

    /// Every TRACE record.
    #[derive(Default)]
    struct Records(Vec<(TableKind, Vec<u8>, super::super::ctx::TraceKind, u32)>);
    impl TraceSink for Records {
        fn trace(
            &mut self,
            t: TableKind,
            chain: &[u8],
            kind: super::super::ctx::TraceKind,
            num: u32,
        ) {
            self.0.push((t, chain.to_vec(), kind, num));
        }
    }

    /// What `Host::table_hooked` does for a table `run_scan` takes:
    /// `run_policy_only`, `run_ct_head`, `run_scan`, then the walk where
    /// the scan stopped.
    fn scanned(
        t: &TableProgram,
        st: &mut TableState,
        hook: Hook,
        mut pkt: PacketCtx<'_>,
        env: &mut CtEnv,
        sink: &mut Records,
    ) -> Verdict {
        let len = pkt.data.len();
        if let Some(v) = run_policy_only(t, st, hook, len, true, sink) {
            return v;
        }
        let slot_state = || env.ct().map_or(crate::nf::CtStates(0), |r| r.slot_state());
        if let Some(v) = run_ct_head(t, st, hook, len, slot_state, true, sink) {
            return v;
        }
        let scan = ScanPkt {
            data: pkt.data,
            meta: &pkt.meta,
            devs: ScanPkt::devs_of(pkt.in_dev, pkt.out_dev),
            ct: env.ct(),
        };
        match run_scan(t, st, hook, &scan, true, sink) {
            Scan::Accept => Verdict::Accept,
            Scan::Drop => Verdict::Drop,
            Scan::From(e) => run_walk_from(t, st, hook, &mut pkt, env, sink, Some(e)),
        }
    }

    proptest! {
        /// `run_table` (the `ctstate` head, `TableProgram::ct_head`, and the
        /// packet-independent prefix, `Prefix`) against the linear walk, and
        /// both against explain mode (every match through `eval_match`:
        /// `CRule::ct_first`):
        /// verdict, counters, TRACE records and the walk's end, on random
        /// rulesets with unconditional jumps, returns and a leading
        /// `--ctstate` rule, for each kind of conntrack reference and for
        /// packets cut short.
        #[test]
        fn ct_head_and_prefix_are_the_linear_walk(
            rules in proptest::collection::vec((any::<[u8; 6]>(), any::<u8>()), 0..24),
            head in 0usize..9, slot in 0usize..7, cut in any::<bool>(), out1 in any::<bool>(),
            fwd in any::<bool>(), in_dev in 0usize..5, pk in 0usize..6,
        ) {
            const HEADS: [&str; 9] = [
                "",
                "-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n",
                "-A OUTPUT -m conntrack --ctstate INVALID -j DROP\n",
                "-A OUTPUT -m conntrack ! --ctstate UNTRACKED -j ACCEPT\n",
                "-A OUTPUT -m conntrack --ctstate INVALID,UNTRACKED -j ACCEPT\n",
                "-A OUTPUT -j USER\n-A OUTPUT -j USER\n",
                "-A OUTPUT -m comment --comment x -j USER\n-A USER -m comment --comment y\n",
                // `ct_first` with the entry's NAT status.
                "-A OUTPUT -m conntrack --ctstate DNAT -j ACCEPT\n",
                "-A OUTPUT -m conntrack ! --ctstate SNAT,NEW -m comment --comment z -j DROP\n",
            ];
            let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n:USER - [0:0]\n");
            text.push_str(HEADS[head]);
            for (i, (r, x)) in rules.iter().enumerate() {
                text.push_str(&rule_x(r, *x, fwd));
                // `--ctstate` rules further on (`CRule::ct_first`).
                if r[4] % 6 == 5 {
                    text.push_str(HEADS[[1, 2, 3, 4, 7, 8][(i + usize::from(r[3])) % 6]]);
                }
            }
            text.push_str("COMMIT\n");
            // FORWARD (`-i` tested) or OUTPUT.
            let (hook, text) = if fwd {
                (Hook::Forward, text.replace("-A OUTPUT ", "-A FORWARD "))
            } else {
                (Hook::LocalOut, text)
            };
            let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap();
            let prog = Program::compile(&rs).unwrap();
            let t = prog.table(TableKind::Filter).unwrap();
            // The host's way (`Host::table_hooked`): `run_scan` (on every
            // table here, classified or not) and the walk where it stops.
            let mut scan_t = t.clone();
            scan_t.hdr = scan_t.rules.iter().map(Hdr::of).collect();
            let in_dev = if fwd {
                ["eth0", "eth1", "e", "abcdefghijklmno", "eth10"][in_dev]
            } else {
                ""
            };
            let b = || crate::wire::PacketBuilder::ipv4(ADDRS[0].into(), ADDRS[2].into());
            // UDP or TCP, a TCP header cut short, first fragments or not.
            let full = match pk {
                0 => b().udp(1, 80).build(),
                1 => b().tcp(1, 80).build(),
                2 => b().udp(40000, 79).build(),
                3 => b().protocol(crate::wire::IpProtocol::TCP).payload(&[0, 1, 0, 80, 0, 0, 0, 0]).build(),
                4 => b().frag_offset(8).tcp(1, 80).build(),
                _ => b().more_frags().frag_offset(16).udp(1, 80).build(),
            };
            let mut data = full.clone();
            if cut {
                data.truncate(12);
            }
            let meta = PacketMeta::parse(&full).unwrap();
            // Slots 4-6: an entry for the packet, NEW, with no NAT, with
            // DNAT, with SNAT (`ctstate` SNAT/DNAT read from its status).
            let table = || {
                use crate::conntrack::{ConntrackTable, Config, ManipType, NatRange, SplitMix64};
                let mut ct = ConntrackTable::new(Config::default()).unwrap();
                if slot < 4 {
                    return (ct, None);
                }
                let full = crate::wire::PacketBuilder::ipv4(ADDRS[0].into(), ADDRS[2].into()).udp(1, 80).build();
                let m = PacketMeta::parse(&full).unwrap();
                let r = ct.process(&full, &m, Hook::LocalOut, Instant::ZERO);
                let h = r.slot.handle().unwrap();
                let to = std::net::IpAddr::from(ADDRS[4]);
                let manip = if slot == 5 { ManipType::Dst } else { ManipType::Src };
                if slot > 4 {
                    let v = ct.setup_nat(h, manip, &NatRange::to(to, to, None), &mut SplitMix64::new(1), Instant::ZERO);
                    assert_eq!(v, crate::conntrack::CtVerdict::Accept);
                }
                (ct, Some(r.slot))
            };
            let slot = match slot {
                0 => None,
                1 => Some(None),
                2 => Some(Some(crate::conntrack::CtSlot::Invalid)),
                3 => Some(Some(crate::conntrack::CtSlot::Untracked)),
                _ => Some(table().1),
            };
            let run = |mode: u8| {
                let mut st = t.new_state();
                let mut d = data.clone();
                let mut env = CtEnv(table().0, slot);
                let mut rec = Records::default();
                let mut explain = ExplainRecords::default();
                let mut out = Vec::new();
                for _ in 0..2 {
                    let mut pkt = PacketCtx {
                        family: Family::Ipv4, data: &mut d, meta, hook,
                        in_dev, out_dev: if out1 { "eth1" } else { "eth0" }, mark: 0,
                        now: Instant::ZERO, nf_trace: true, pkt_type: 4,
                        src_mac: None, sk_owner: None, csum_partial: false,
                    };
                    let v = match mode {
                        0 => run_table(t, &mut st, hook, &mut pkt, &mut env, &mut rec),
                        1 => run_table_linear(t, &mut st, hook, &mut pkt, &mut env, &mut rec),
                        2 => run_table(t, &mut st, hook, &mut pkt, &mut env, &mut explain),
                        _ => scanned(&scan_t, &mut st, hook, pkt, &mut env, &mut rec),
                    };
                    out.push((v, st.end));
                }
                rec.0.extend(explain.0 .0);
                (out, st.counters, rec.0)
            };
            let classified = run(0);
            prop_assert_eq!(&classified, &run(1));
            prop_assert_eq!(&classified, &run(2));
            prop_assert_eq!(&classified, &run(3));
        }

        #[test]
        fn any_packet_is_generic_match_ipv4(rules in proptest::collection::vec(any::<[u8; 6]>(), 0..20)) {
            let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n:USER - [0:0]\n");
            for r in &rules {
                text.push_str(&rule(r));
            }
            text.push_str("-A OUTPUT -s 0.0.0.0/0 -j ACCEPT\n-A OUTPUT ! -s 0.0.0.0/0 -j ACCEPT\n-A OUTPUT -p all -j ACCEPT\n");
            text.push_str("-A OUTPUT -f -j ACCEPT\n-A OUTPUT ! -f -j ACCEPT\n-A FORWARD -i + -j ACCEPT\n-A OUTPUT ! -p udp -j ACCEPT\nCOMMIT\n");
            any_packet_agrees(&text, Family::Ipv4);
        }

        #[test]
        fn address_prescan_changes_nothing(
            rules in proptest::collection::vec(any::<[u8; 6]>(), 0..40),
            src in 0usize..5, dst in 0usize..5, udp in any::<bool>(), out1 in any::<bool>(),
        ) {
            let mut text = String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n:USER - [0:0]\n");
            for r in &rules {
                text.push_str(&rule(r));
            }
            text.push_str("COMMIT\n");
            let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap();
            let prog = Program::compile(&rs).unwrap();
            let t = prog.table(TableKind::Filter).unwrap();
            // 20 bytes of a TCP SYN header 40000 -> 80 after the IP header
            // (as UDP too: only ports are read).
            let l4 = [0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xfa, 0xf0, 0, 0, 0, 0];
            let proto = if udp { crate::wire::IpProtocol::UDP } else { crate::wire::IpProtocol::TCP };
            let data = crate::wire::PacketBuilder::ipv4(ADDRS[src].into(), ADDRS[dst].into())
                .protocol(proto).payload(&l4).build();
            let meta = PacketMeta::parse(&data).unwrap();
            let run = |explain: bool| {
                let mut st = t.new_state();
                let mut d = data.to_vec();
                let mut pkt = PacketCtx {
                    family: Family::Ipv4, data: &mut d, meta, hook: Hook::LocalOut,
                    in_dev: "", out_dev: if out1 { "eth1" } else { "eth0" }, mark: 0,
                    now: Instant::ZERO, nf_trace: false, pkt_type: 4,
                    src_mac: None, sk_owner: None, csum_partial: false,
                };
                let v = if explain {
                    run_table(t, &mut st, Hook::LocalOut, &mut pkt, &mut NullEnv, &mut Explain(0))
                } else {
                    run_table(t, &mut st, Hook::LocalOut, &mut pkt, &mut NullEnv, &mut crate::engine::NoTrace)
                };
                (v, st.counters)
            };
            prop_assert_eq!(run(false), run(true));
        }
    }
}
