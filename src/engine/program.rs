//! A table compiled into a flat program laid out as the kernel lays out an
//! `ipt_replace` blob: each chain's rules followed by its tail entry (the
//! policy of a built-in chain, an unconditional RETURN for a user chain),
//! jumps resolved to rule indices.

use super::ctx::TraceKind;
use super::state::MatchState;
use crate::model::ext::AddrMask;
use crate::model::{
    Family, Hook, Iface, Match, Policy, Rule, Ruleset, Table, TableKind, Target,
    Verdict as MVerdict,
};

/// Index of a rule in a [`TableProgram`].
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let input = table.hook_entry[Hook::LocalIn as usize].unwrap();
/// assert_eq!(input, RuleId(0));
/// assert_eq!(table.rules[input.0 as usize].num, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RuleId(pub u32);

/// Index of a chain in a [`TableProgram`].
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let user = table.rules.iter().find(|r| r.generic.src.0.prefix_len() == Some(24)).unwrap();
/// assert_eq!(table.chains[user.chain.0 as usize].name, "USER");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainId(pub u32);

/// What a compiled rule does once it matched.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// assert_eq!(table.rules[0].action, Action::Accept);
/// assert!(matches!(table.rules[1].action, Action::Jump(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// No target: fall through to the next rule.
    Continue,
    /// `ACCEPT`
    Accept,
    /// `DROP`
    Drop,
    /// `QUEUE` (legacy, queue 0).
    Queue,
    /// `RETURN` (also every user chain's tail).
    Return,
    /// `-j CHAIN`: push and go to the chain's first entry.
    Jump(RuleId),
    /// `-g CHAIN`: go without pushing.
    Goto(RuleId),
    /// An extension target.
    Ext(Target),
}

/// The generic part of a rule, pre-digested (`struct ipt_ip`).
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let g = &table.rules[0].generic;
/// assert_eq!((g.proto, g.proto_inv), (6, false));
/// assert!(g.src.0.is_any() && g.in_iface.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Generic {
    /// Source address and mask (mask 0 = any), inverted.
    pub src: (AddrMask, bool),
    /// Destination.
    pub dst: (AddrMask, bool),
    /// Input interface, inverted.
    pub in_iface: Option<(Iface, bool)>,
    /// Output interface, inverted.
    pub out_iface: Option<(Iface, bool)>,
    /// Protocol (0 = any), inverted.
    pub proto: u8,
    /// `! -p`
    pub proto_inv: bool,
    /// IPv6 `IP6T_F_PROTO`.
    pub proto_given: bool,
    /// `-f` / `! -f`.
    pub frag: Option<bool>,
}

impl Generic {
    /// Whether this generic part tests nothing (no address, interface,
    /// protocol or fragment test, its addresses `0/0` of the table's
    /// `family`): `ip_packet_match` / `ip6_packet_match` then pass every
    /// packet, and the walk's `generic_match` says yes to every packet whose
    /// addresses it can read (20 bytes for IPv4, 40 for IPv6) and no to any
    /// other; the walk decides it by the length alone.
    pub(crate) fn passes_all(&self, family: Family) -> bool {
        let any = |(m, inv): &(AddrMask, bool)| {
            !*inv && m.family == family && m.mask == [0; 16] && m.addr == [0; 16]
        };
        any(&self.src)
            && any(&self.dst)
            && self.in_iface.is_none()
            && self.out_iface.is_none()
            && match family {
                Family::Ipv4 => self.proto == 0 && self.frag.is_none(),
                Family::Ipv6 => !self.proto_given,
            }
    }
}

/// One entry of the flat program.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let r = &table.rules[0];
/// assert_eq!((r.num, r.trace_kind, r.matches.len()), (1, TraceKind::Rule, 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CRule {
    /// The chain holding it.
    pub chain: ChainId,
    /// Its 1-based number in the chain (tail = number of rules + 1).
    pub num: u32,
    /// How TRACE names it.
    pub trace_kind: TraceKind,
    /// Generic part.
    pub generic: Generic,
    /// The matches.
    pub matches: Box<[Match]>,
    /// First slot of this rule's match states in [`TableState`].
    pub state_base: u32,
    /// What to do.
    pub action: Action,
    /// [`Generic::passes_all`] of `generic`, for the walk: the generic part
    /// is decided by the packet's length alone.
    pub(crate) any_packet: bool,
    /// The first match is a `conntrack` match with `--ctstate` alone
    /// ([`super::eval::ct::state_nat_only`]): its states and `!`, which the
    /// walk tests on the slot's state bits (and the entry's NAT status
    /// when SNAT or DNAT is asked) without `eval_match`.
    pub(crate) ct_first: Option<(crate::nf::CtStates, bool)>,
}

/// A chain of the program.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let input = table.chains.iter().find(|c| c.name == "INPUT").unwrap();
/// assert_eq!(input.hook, Some(Hook::LocalIn));
/// assert_eq!(table.rules[input.tail.0 as usize].trace_kind, TraceKind::Policy);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CChain {
    /// Name (bytes, as the kernel keeps it).
    pub name: crate::model::ByteStr,
    /// Hook of a built-in chain.
    pub hook: Option<Hook>,
    /// First entry.
    pub start: RuleId,
    /// Tail entry (policy / return).
    pub tail: RuleId,
    /// The name's first [`crate::model::CHAIN_NAME_MAX`] bytes, zero
    /// padded, and their number: what `host::ChainLabel` keeps, copied
    /// whole when a packet's disposition names the chain (no `memcpy` of
    /// the name's length per packet).
    pub(crate) label: ([u8; crate::model::CHAIN_NAME_MAX], u8),
}

/// One compiled table.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// assert_eq!((table.kind, table.family, table.chains.len()), (TableKind::Filter, Family::Ipv4, 4));
/// assert!(table.hook_entry[Hook::PreRouting as usize].is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableProgram {
    /// Which table.
    pub kind: TableKind,
    /// Family.
    pub family: Family,
    /// Entries.
    pub rules: Vec<CRule>,
    /// Chains.
    pub chains: Vec<CChain>,
    /// Entry point per hook (index = hook number).
    pub hook_entry: [Option<RuleId>; 5],
    /// Underflow (policy entry) per hook.
    pub underflow: [Option<RuleId>; 5],
    /// Number of match-state slots.
    pub state_slots: u32,
    /// Deepest jump nesting possible (number of user chains), the jump stack size.
    pub stack_size: usize,
    /// IPv4 tables: every entry's leading side-effect-free predicates
    /// (`classify::Pre`), in step with `rules` (empty for IPv6: the walk
    /// then tests every entry).
    pub(crate) pre: Vec<super::classify::Pre>,
    /// IPv4 tables: per chain, in step with `chains`, the index of a long
    /// chain (`classify::ChainIndex`; `None`: the chain is scanned).
    pub(crate) index: Vec<Option<Box<super::classify::ChainIndex>>>,
    /// Per hook: the hook's chain holds no rule, only its policy entry,
    /// which accepts or drops every packet with a readable network header
    /// (no generic part, no match): [`super::walk::run_policy_only`]
    /// decides it without a walk.
    pub(crate) policy_only: [bool; 5],
    /// Per hook: the hook's first entry tests nothing but the packet's
    /// conntrack state (no generic part, one `-m conntrack --ctstate`
    /// match that [`super::eval::ct::state_only`] accepts) and accepts or
    /// drops (`-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`):
    /// [`super::walk::run_ct_head`] decides a packet that matches it
    /// without a walk. The states and the `!`.
    pub(crate) ct_head: [Option<(crate::nf::CtStates, bool)>; 5],
    /// Per hook: whether the entry [`super::walk::run_policy_only`] or
    /// [`super::walk::run_ct_head`] decides at (the policy or the head)
    /// accepts (else it drops; `false` when neither applies).
    pub(crate) head_accept: [bool; 5],
    /// The fixed network header's length for `family` (20 or 40 bytes):
    /// a shorter packet is walked ([`super::walk::run_policy_only`]).
    pub(crate) fixed: usize,
    /// Per hook: the entries every packet passes the same way at the start
    /// of the walk (`Prefix`), `None` when the hook's first entry is not
    /// one of them.
    pub(crate) prefix: [Option<Box<Prefix>>; 5],
    /// The walk uses `pre` and `index` (`run_table`): an IPv4 table with at
    /// least [`CLASSIFY_MIN_ENTRIES`] entries that have a pre-test (an
    /// address, a protocol or a leading port; a chain of 32 such entries
    /// or more is what gets an index). Another is walked entry by entry as
    /// `run_table_linear` does: reading the packet's fields and scanning
    /// the pre-tests at every step costs more than the few entries they
    /// could skip. Both walks give the same result (`tests/classify.rs`).
    pub(crate) classify: bool,
    /// Some chain has an index (`index`): the walk looks for one each time
    /// it enters a chain.
    pub(crate) indexed: bool,
    /// IPv4 tables walked entry by entry (not `classify`): every entry's
    /// generic part as [`Hdr`], in step with `rules`, for the scan before a
    /// packet context (`walk::run_scan`); empty otherwise.
    pub(crate) hdr: Vec<Hdr>,
    /// Per hook: `walk::run_scan` takes the hook's walks (`hdr` is there,
    /// and the entry the scan starts at does not stop it for every
    /// packet, as `-m addrtype ... -j DOCKER` first would).
    pub(crate) scan_hook: [bool; 5],
}

/// An IPv4 entry as the scan before a packet context reads it
/// (`walk::run_scan`): its generic part flat (`struct ipt_ip`, as
/// `ip_packet_match` in net/ipv4/netfilter/ip_tables.c tests it:
/// addresses, protocol, and the interface names as `ifname_compare_aligned`
/// compares them, two words each under the mask `xtables_parse_interface`
/// builds) and what else to look at when that passes: a leading
/// `--ctstate`-only match, and a `tcp` or `udp` match of ports alone
/// (`tcp_mt` / `udp_mt` in net/netfilter/xt_tcpudp.c) read from the
/// bytes. 96 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hdr {
    /// Source and destination masks as the words of their bytes, source
    /// in the low half (0 when an address is inverted: [`Hdr::SLOW`]).
    pub(crate) mask: u64,
    /// The addresses (as `AddrMask` keeps them: the walk's `addr_in`
    /// compares the masked packet address with them).
    pub(crate) addr: u64,
    /// `-i` and `-o` ([`Hdr::IFACE`]): the names' 16 bytes, zero padded,
    /// as words ([`iface_words`]: input, then output).
    pub(crate) ifn: [u64; 4],
    /// Their masks: `xtables_parse_interface`'s `iniface_mask` /
    /// `outiface_mask` (the name and its terminating NUL, or the bytes
    /// before a trailing `+`; none for an interface not given).
    pub(crate) ifm: [u64; 4],
    /// The states of a leading `--ctstate`-only match ([`Hdr::CT`]).
    pub(crate) ct: u32,
    /// [`Hdr::PORTS`]: source port range, then destination port range.
    pub(crate) ports: [u16; 4],
    /// `-p` when not inverted, else 0 (any).
    pub(crate) proto: u8,
    pub(crate) flags: u16,
    /// [`Hdr::ACCEPT`], [`Hdr::DROP`] or [`Hdr::OTHER`].
    pub(crate) act: u8,
}

impl Hdr {
    /// An inverted address or protocol, `-f`, or an address not of IPv4:
    /// the generic part is tested from `CRule::generic`.
    pub(crate) const SLOW: u16 = 1;
    /// `-i` or `-o` given (in `ifn` and `ifm`).
    pub(crate) const IFACE: u16 = 2;
    /// `CRule::ct_first`: its states in `ct`.
    pub(crate) const CT: u16 = 4;
    /// `!` of `CT`.
    pub(crate) const CT_INV: u16 = 8;
    /// Matches other than the `CT` one, `comment` and the `PORTS` one:
    /// evaluated one by one (`scan_takes`).
    pub(crate) const MATCHES: u16 = 16;
    /// `! -i`.
    pub(crate) const IN_INV: u16 = 32;
    /// `! -o`.
    pub(crate) const OUT_INV: u16 = 64;
    /// The matches (after the `CT` one) are `comment`s and one `tcp` or
    /// `udp` match that tests ports alone: the ranges in `ports`.
    pub(crate) const PORTS: u16 = 128;
    /// `PORTS` of a `tcp` match (else `udp`).
    pub(crate) const TCP: u16 = 256;
    /// `! --sport`.
    pub(crate) const SPORT_INV: u16 = 512;
    /// `! --dport`.
    pub(crate) const DPORT_INV: u16 = 1024;
    /// An interface name the words cannot hold (a NUL byte in it): the
    /// scan stops at the entry when its addresses and protocol pass.
    pub(crate) const STOP: u16 = 2048;
    /// `-i` given (with [`Hdr::IFACE`]).
    pub(crate) const IN: u16 = 4096;
    /// `-o` given (with [`Hdr::IFACE`]).
    pub(crate) const OUT: u16 = 8192;
    pub(crate) const ACCEPT: u8 = 0;
    pub(crate) const DROP: u8 = 1;
    pub(crate) const OTHER: u8 = 2;

    /// `r` flat.
    pub(crate) fn of(r: &CRule) -> Hdr {
        let g = &r.generic;
        let w = |b: &[u8; 16]| u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        let slow = g.src.1
            || g.dst.1
            || g.proto_inv
            || g.frag.is_some()
            || g.src.0.family != Family::Ipv4
            || g.dst.0.family != Family::Ipv4;
        let mut flags = 0;
        let mut set = |on: bool, f: u16| {
            if on {
                flags |= f;
            }
        };
        set(slow, Hdr::SLOW);
        set(g.in_iface.is_some() || g.out_iface.is_some(), Hdr::IFACE);
        set(g.in_iface.is_some(), Hdr::IN);
        set(g.out_iface.is_some(), Hdr::OUT);
        set(g.in_iface.as_ref().is_some_and(|i| i.1), Hdr::IN_INV);
        set(g.out_iface.as_ref().is_some_and(|i| i.1), Hdr::OUT_INV);
        let (mut ifn, mut ifm) = ([0; 4], [0; 4]);
        for (k, i) in [&g.in_iface, &g.out_iface].into_iter().enumerate() {
            if let Some((i, _)) = i {
                match iface_mask(i) {
                    Some((n, m)) => {
                        ifn[2 * k..2 * k + 2].copy_from_slice(&n);
                        ifm[2 * k..2 * k + 2].copy_from_slice(&m);
                    }
                    None => set(true, Hdr::STOP),
                }
            }
        }
        set(r.ct_first.is_some(), Hdr::CT);
        set(r.ct_first.is_some_and(|c| c.1), Hdr::CT_INV);
        // The matches after the `CT` one: `comment`s (always match) and
        // at most one `tcp` / `udp` of ports alone go in `ports`.
        let rest = &r.matches[usize::from(r.ct_first.is_some())..];
        let mut ports = [0, u16::MAX, 0, u16::MAX];
        let mut l4 = None;
        let mut other = false;
        for m in rest {
            let this = match m {
                Match::Comment(_) => continue,
                Match::Tcp(t)
                    if t.flg_mask == 0 && t.flg_cmp == 0 && !t.flags_inv && t.option == 0 =>
                {
                    Some((Hdr::TCP, t.sports, t.dports, t.sports_inv, t.dports_inv))
                }
                Match::Udp(u) => Some((0, u.sports, u.dports, u.sports_inv, u.dports_inv)),
                _ => None,
            };
            match this {
                Some(p) if l4.is_none() => l4 = Some(p),
                _ => other = true,
            }
        }
        if other {
            set(!rest.is_empty(), Hdr::MATCHES);
        } else if let Some((tcp, s, d, si, di)) = l4 {
            ports = [s.0, s.1, d.0, d.1];
            set(true, Hdr::PORTS | tcp);
            set(si, Hdr::SPORT_INV);
            set(di, Hdr::DPORT_INV);
        }
        let (mask, addr) = if slow {
            (0, 0)
        } else {
            let mask = w(&g.src.0.mask) | w(&g.dst.0.mask) << 32;
            (mask, w(&g.src.0.addr) | w(&g.dst.0.addr) << 32)
        };
        Hdr {
            mask,
            addr,
            ifn,
            ifm,
            ct: r.ct_first.map_or(0, |c| c.0 .0),
            ports,
            proto: if slow { 0 } else { g.proto },
            flags,
            act: match r.action {
                Action::Accept => Hdr::ACCEPT,
                Action::Drop => Hdr::DROP,
                _ => Hdr::OTHER,
            },
        }
    }
}

/// A device name (`IFNAMSIZ` bytes, zero padded, as `net_device::name`
/// holds it) as two words, as `ifname_compare_aligned`
/// (net/ipv4/netfilter/ip_tables.c) reads it; `None` for a name longer
/// than 15 bytes or with a NUL byte, which no kernel device has (the scan
/// leaves a packet with such a device name to the walk, `Iface::matches`).
pub(crate) fn iface_words(name: &[u8]) -> Option<[u64; 2]> {
    if name.len() > 15 || name.contains(&0) {
        return None;
    }
    let mut b = [0u8; 16];
    b[..name.len()].copy_from_slice(name);
    Some(iface_words_raw(&b))
}

/// `-i` / `-o` as `xtables_parse_interface` stores it: the name's words
/// ([`iface_words`]) and the mask, 0xff over the name and its NUL, or
/// over the bytes before a trailing `+` (none for `+` alone or an empty
/// name: every device). A device name `d` ([`iface_words`]) then matches
/// when `(d ^ name) & mask` is zero in both words, as [`Iface::matches`]
/// says. `None`: a name with a NUL byte.
pub(crate) fn iface_mask(i: &Iface) -> Option<([u64; 2], [u64; 2])> {
    let n = i.as_bytes();
    let name = iface_words(n)?;
    let len = match n {
        [] => 0,
        [p @ .., b'+'] => p.len(),
        _ => n.len() + 1,
    };
    let mut m = [0u8; 16];
    m[..len].fill(0xff);
    let mask = iface_words_raw(&m);
    Some(([name[0] & mask[0], name[1] & mask[1]], mask))
}

/// 16 bytes as two little-endian words (as [`iface_words`]).
fn iface_words_raw(b: &[u8; 16]) -> [u64; 2] {
    let w = |s: &[u8]| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]);
    [w(&b[..8]), w(&b[8..])]
}

/// The start of a hook's walk that does not depend on the packet: the
/// entries from the hook's entry on whose generic part tests nothing
/// (`CRule::any_packet`), with no match but `comment` (xt_comment's
/// `comment_mt` always matches, kube-proxy's `-A PREROUTING -m comment
/// --comment "kubernetes service portals" -j KUBE-SERVICES`), and whose
/// target is a jump, a
/// goto, a RETURN or none (`-j DOCKER-USER`, then `-A DOCKER-USER -j
/// RETURN`). `ipt_do_table` takes them the same way for every packet with
/// a readable network header: each one's counter, its TRACE record, its
/// move. The walk then goes on at `resume` with `stack` as its jump stack
/// (`walk::walk`, for packets of at least the fixed network header, not in
/// explain mode, not in the linear reference walk).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prefix {
    /// The entries passed, in order.
    pub(crate) passed: Box<[RuleId]>,
    /// Where the walk goes on.
    pub(crate) resume: RuleId,
    /// The jump stack there (within `stack_size`).
    pub(crate) stack: Box<[RuleId]>,
}

/// [`Prefix`] of the walk from `entry` (`underflow`: the hook's policy).
fn prefix(prog: &TableProgram, entry: RuleId, underflow: RuleId) -> Option<Box<Prefix>> {
    let mut e = entry;
    let mut stack = Vec::new();
    let mut passed = Vec::new();
    while let Some(r) = prog.rules.get(e.0 as usize) {
        // `comment_mt` does not exist: xt_comment's match always matches.
        let no_match = r.matches.iter().all(|m| matches!(m, Match::Comment(_)));
        if !r.any_packet || !no_match || passed.len() > prog.rules.len() {
            break;
        }
        let next = match r.action {
            Action::Continue => RuleId(e.0 + 1),
            // The walk's overflow test: left to the walk.
            Action::Jump(_) if stack.len() > prog.stack_size => break,
            Action::Jump(to) => {
                stack.push(e);
                to
            }
            Action::Goto(to) => to,
            Action::Return => match stack.pop() {
                None => underflow,
                Some(from) => RuleId(from.0 + 1),
            },
            _ => break,
        };
        passed.push(e);
        e = next;
    }
    (!passed.is_empty()).then(|| {
        Box::new(Prefix {
            passed: passed.into_boxed_slice(),
            resume: e,
            stack: stack.into_boxed_slice(),
        })
    })
}

/// See [`TableProgram::classify`]: the walk benches' smallest chain
/// (`walk/match/10`, ten `-p tcp --dport` rules) stays classified.
pub(crate) const CLASSIFY_MIN_ENTRIES: usize = 8;

/// The mutable side of a table: counters and match state.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let state = table.new_state();
/// assert_eq!(state.counters.len(), table.rules.len());
/// assert!(state.counters.iter().all(|c| *c == (0, 0)));
/// ```
#[derive(Debug, Clone)]
pub struct TableState {
    /// Per entry: packets, bytes.
    pub counters: Vec<(u64, u64)>,
    /// Per match slot.
    pub match_state: Vec<MatchState>,
    /// The jump stack (`jumpstack`), sized once.
    pub stack: Vec<RuleId>,
    /// Where the last walk ([`super::run_table`]) ended with a verdict: the
    /// entry whose target (or hot-dropping match) gave it. Written once per
    /// walk, read by the host to say where a packet was dropped.
    pub end: WalkEnd,
}

/// Where a table walk ended (see [`TableState::end`]).
///
/// ```
/// use nfsim::engine::program::{EndHow, RuleId, WalkEnd};
/// let e = WalkEnd::default();
/// assert_eq!((e.rule, e.how), (RuleId(0), EndHow::Verdict));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkEnd {
    /// The entry.
    pub rule: RuleId,
    /// How the verdict came.
    pub how: EndHow,
}

/// How a table walk ended (see [`WalkEnd`]).
///
/// ```
/// use nfsim::engine::program::EndHow;
/// assert_ne!(EndHow::Verdict, EndHow::HotDrop);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EndHow {
    /// The entry's target (standard verdict, policy or extension).
    #[default]
    Verdict,
    /// A match of the entry set `hotdrop` (or, IPv6, `ip6_packet_match`
    /// found no upper-layer header while `-p` is given).
    HotDrop,
    /// A jump past the jump stack's size (`ipt_do_table`: `stackidx >=
    /// private->stacksize`, NF_DROP).
    StackOverflow,
    /// The walk ran off the entries (cannot happen with a compiled program).
    NoEntry,
}

impl TableProgram {
    /// How many chains the walk looks up in an index instead of testing
    /// entry after entry (IPv4 chains of 32 entries or more that a source
    /// or destination prefix, or a protocol and destination port, narrows
    /// down; see [`super::run_table`]).
    ///
    /// ```
    /// # use nfsim::engine::Program;
    /// # use nfsim::model::{Family, TableKind};
    /// let mut text = String::from("*filter\n");
    /// for i in 0..100 {
    ///     text += &format!("-A INPUT -s 198.51.100.{i} -j DROP\n");
    /// }
    /// text += "COMMIT\n";
    /// let rs = nfsim::syntax::parse_restore(&text, &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let prog = Program::compile(&rs).unwrap();
    /// assert_eq!(prog.table(TableKind::Filter).unwrap().indexed_chains(), 1);
    /// ```
    pub fn indexed_chains(&self) -> usize {
        self.index.iter().flatten().count()
    }
    /// A fresh state for this program (all counters zero).
    ///
    /// ```
    /// # use nfsim::engine::program::*;
    /// # use nfsim::engine::{Program, TraceKind};
    /// # use nfsim::model::{Family, Hook, TableKind};
    /// let rs = nfsim::syntax::parse_restore(
    ///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let prog = Program::compile(&rs).unwrap();
    /// let table = prog.table(TableKind::Filter).unwrap();
    /// assert_eq!(table.new_state().match_state.len(), table.state_slots as usize);
    /// ```
    pub fn new_state(&self) -> TableState {
        let mut match_state = Vec::with_capacity(self.state_slots as usize);
        for r in &self.rules {
            for m in r.matches.iter() {
                match_state.push(MatchState::for_match(m));
            }
        }
        TableState {
            counters: vec![(0, 0); self.rules.len()],
            match_state,
            stack: Vec::with_capacity(self.stack_size + 1),
            end: WalkEnd::default(),
        }
    }
}

/// Why a ruleset cannot be compiled for evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileError {
    /// Table.
    pub table: TableKind,
    /// Chain.
    pub chain: String,
    /// 1-based rule number.
    pub rule: usize,
    /// Message.
    pub message: String,
}

impl core::fmt::Display for CompileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.table, self.chain, self.rule, self.message
        )
    }
}

impl std::error::Error for CompileError {}

fn any_addr(family: Family) -> AddrMask {
    AddrMask::with_mask(family, [0; 16], [0; 16])
}

/// Whether a rule has no conditions and a standard verdict below zero
/// (ACCEPT, DROP, QUEUE, RETURN): TRACE prints such a rule as a chain tail.
fn is_tail_like(r: &Rule) -> bool {
    r.is_unconditional()
        && matches!(
            r.verdict,
            MVerdict::Accept | MVerdict::Drop | MVerdict::Queue | MVerdict::Return
        )
}

/// Compiles one table.
///
/// # Errors
/// A match or target nfsim cannot evaluate, named with its rule.
///
/// ```
/// use nfsim::engine::compile_table;
/// use nfsim::model::{Family, Rule, Table, TableKind};
/// let mut t = Table::new(TableKind::Filter, Family::Ipv4);
/// t.chain_mut("INPUT").unwrap().rules.push(Rule::tcp().dport(22).accept());
/// let p = compile_table(&t).unwrap();
/// assert_eq!(p.rules.len(), 4); // the rule and three policies
/// ```
pub fn compile_table(t: &Table) -> Result<TableProgram, CompileError> {
    let family = t.family;
    // First pass: positions.
    let mut starts = Vec::with_capacity(t.chains.len());
    let mut pos = 0u32;
    for c in &t.chains {
        starts.push(pos);
        pos += c.rules.len() as u32 + 1;
    }
    // Chains by name, so that resolving a jump is O(1) whatever the
    // number of chains.
    let by_name: std::collections::HashMap<&[u8], usize> = t
        .chains
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_bytes(), i))
        .collect();
    let chain_start =
        |name: &[u8]| -> Option<RuleId> { by_name.get(name).map(|&i| RuleId(starts[i])) };
    let mut rules = Vec::with_capacity(pos as usize);
    let mut chains = Vec::with_capacity(t.chains.len());
    let mut hook_entry = [None; 5];
    let mut underflow = [None; 5];
    let mut slots = 0u32;
    for (ci, c) in t.chains.iter().enumerate() {
        let builtin = c.hook.is_some();
        for (ri, r) in c.rules.iter().enumerate() {
            let err = |m: String| CompileError {
                table: t.kind,
                chain: c.name.to_string(),
                rule: ri + 1,
                message: m,
            };
            for m in &r.matches {
                if !super::eval::match_supported(m) {
                    return Err(err(format!(
                        "match `{}' cannot be evaluated by nfsim (yet)",
                        m.name()
                    )));
                }
            }
            let action = match &r.verdict {
                MVerdict::Continue => Action::Continue,
                MVerdict::Accept => Action::Accept,
                MVerdict::Drop => Action::Drop,
                MVerdict::Queue => Action::Queue,
                MVerdict::Return => Action::Return,
                MVerdict::Jump(n) => Action::Jump(
                    chain_start(n.as_bytes()).ok_or_else(|| err(format!("no chain {n}")))?,
                ),
                MVerdict::Goto(n) => Action::Goto(
                    chain_start(n.as_bytes()).ok_or_else(|| err(format!("no chain {n}")))?,
                ),
                MVerdict::Ext(tg) => Action::Ext(tg.clone()),
            };
            let trace_kind = if is_tail_like(r) {
                if builtin {
                    TraceKind::Policy
                } else {
                    TraceKind::Return
                }
            } else {
                TraceKind::Rule
            };
            rules.push(CRule {
                chain: ChainId(ci as u32),
                num: ri as u32 + 1,
                trace_kind,
                generic: Generic {
                    src: (r.src.unwrap_or_else(|| any_addr(family)), r.src_inv),
                    dst: (r.dst.unwrap_or_else(|| any_addr(family)), r.dst_inv),
                    in_iface: r
                        .in_iface
                        .clone()
                        .filter(|i| !i.as_bytes().is_empty())
                        .map(|i| (i, r.in_inv)),
                    out_iface: r
                        .out_iface
                        .clone()
                        .filter(|i| !i.as_bytes().is_empty())
                        .map(|i| (i, r.out_inv)),
                    proto: r.proto,
                    proto_inv: r.proto_inv,
                    // ip6tables sets IP6T_F_PROTO whenever `-p` is given,
                    // so a protocol (or its `!`) implies it, also in a rule
                    // built in code that left the flag unset.
                    proto_given: r.proto_given || r.proto != 0 || r.proto_inv,
                    frag: r.fragment,
                },
                matches: r.matches.clone().into_boxed_slice(),
                state_base: slots,
                action,
                any_packet: false,
                ct_first: None,
            });
            slots += r.matches.len() as u32;
        }
        let tail_id = RuleId(rules.len() as u32);
        let tail_action = match c.policy {
            Some(Policy::Accept) => Action::Accept,
            Some(Policy::Drop) => Action::Drop,
            None => Action::Return,
        };
        rules.push(CRule {
            chain: ChainId(ci as u32),
            num: c.rules.len() as u32 + 1,
            trace_kind: if builtin {
                TraceKind::Policy
            } else {
                TraceKind::Return
            },
            generic: Generic {
                src: (any_addr(family), false),
                dst: (any_addr(family), false),
                in_iface: None,
                out_iface: None,
                proto: 0,
                proto_inv: false,
                proto_given: false,
                frag: None,
            },
            matches: Box::new([]),
            state_base: slots,
            action: tail_action,
            any_packet: false,
            ct_first: None,
        });
        if let Some(h) = c.hook {
            hook_entry[h as usize] = Some(RuleId(starts[ci]));
            underflow[h as usize] = Some(tail_id);
        }
        let label = {
            let name = c.name.as_byte_str().as_ref();
            let n = name.len().min(crate::model::CHAIN_NAME_MAX);
            let mut bytes = [0u8; crate::model::CHAIN_NAME_MAX];
            bytes[..n].copy_from_slice(&name[..n]);
            (bytes, n as u8)
        };
        chains.push(CChain {
            label,
            name: c.name.as_byte_str().clone(),
            hook: c.hook,
            start: RuleId(starts[ci]),
            tail: tail_id,
        });
    }
    let stack_size = t.chains.iter().filter(|c| !c.is_builtin()).count();
    let mut prog = TableProgram {
        kind: t.kind,
        family,
        rules,
        chains,
        hook_entry,
        underflow,
        state_slots: slots,
        stack_size,
        pre: Vec::new(),
        index: Vec::new(),
        policy_only: [false; 5],
        ct_head: [None; 5],
        head_accept: [false; 5],
        fixed: match family {
            Family::Ipv4 => 20,
            Family::Ipv6 => 40,
        },
        prefix: [None, None, None, None, None],
        classify: false,
        indexed: false,
        hdr: Vec::new(),
        scan_hook: [false; 5],
    };
    for r in &mut prog.rules {
        r.any_packet = r.generic.passes_all(family);
        r.ct_first = match r.matches.first() {
            Some(Match::Conntrack(c)) => super::eval::ct::state_nat_only(c),
            _ => None,
        };
    }
    if family == Family::Ipv4 {
        (prog.pre, prog.index) = super::classify::build(&prog);
        prog.classify = prog
            .pre
            .iter()
            .filter(|p| **p != super::classify::Pre::ALWAYS)
            .count()
            >= CLASSIFY_MIN_ENTRIES;
        prog.indexed = prog.index.iter().any(Option::is_some);
        if !prog.classify {
            prog.hdr = prog.rules.iter().map(Hdr::of).collect();
        }
    }
    for h in 0..5 {
        prog.policy_only[h] = match (prog.hook_entry[h], prog.underflow[h]) {
            (Some(e), Some(u)) if e == u => prog.rules.get(u.0 as usize).is_some_and(|r| {
                r.matches.is_empty()
                    && matches!(r.action, Action::Accept | Action::Drop)
                    && r.generic.src.0.is_any()
                    && !r.generic.src.1
                    && r.generic.dst.0.is_any()
                    && !r.generic.dst.1
                    && r.generic.in_iface.is_none()
                    && r.generic.out_iface.is_none()
                    && r.generic.proto == 0
                    && !r.generic.proto_inv
                    && !r.generic.proto_given
                    && r.generic.frag.is_none()
            }),
            _ => false,
        };
        prog.ct_head[h] = prog.hook_entry[h].and_then(|e| {
            let r = prog.rules.get(e.0 as usize)?;
            let [Match::Conntrack(c)] = &*r.matches else {
                return None;
            };
            if !r.any_packet || !matches!(r.action, Action::Accept | Action::Drop) {
                return None;
            }
            super::eval::ct::state_only(c)
        });
        let head = if prog.policy_only[h] {
            prog.underflow[h]
        } else {
            prog.hook_entry[h].filter(|_| prog.ct_head[h].is_some())
        };
        prog.head_accept[h] = head
            .and_then(|e| prog.rules.get(e.0 as usize))
            .is_some_and(|r| matches!(r.action, Action::Accept));
        if let (Some(e), Some(u)) = (prog.hook_entry[h], prog.underflow[h]) {
            prog.prefix[h] = prefix(&prog, e, u);
            // Where `run_scan` starts: after the prefix or a `ctstate` head.
            let start = match (&prog.prefix[h], prog.ct_head[h]) {
                (Some(p), _) => p.resume,
                (None, Some(_)) => RuleId(e.0 + 1),
                (None, None) => e,
            };
            prog.scan_hook[h] = !prog.hdr.is_empty()
                && prog.rules.get(start.0 as usize).is_some_and(|r| {
                    // An entry every packet gets to the matches of, whose
                    // first match the scan does not evaluate (or without
                    // matches, whose target it does not take), stops it.
                    let stops = match r.matches.first() {
                        Some(m) => r.ct_first.is_none() && !super::walk::scan_takes(m),
                        None => matches!(r.action, Action::Ext(_) | Action::Queue),
                    };
                    !(r.any_packet && stops)
                });
        }
    }
    Ok(prog)
}

/// A whole ruleset compiled: one program per existing table.
///
/// ```
/// # use nfsim::engine::program::*;
/// # use nfsim::engine::{Program, TraceKind};
/// # use nfsim::model::{Family, Hook, TableKind};
/// let rs = nfsim::syntax::parse_restore(
///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// assert_eq!(prog.family, Family::Ipv4);
/// assert_eq!(prog.tables.iter().flatten().count(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Family.
    pub family: Family,
    /// Programs by [`TableKind`] order (raw, mangle, nat, filter, security).
    pub tables: [Option<TableProgram>; 5],
}

impl Program {
    /// Compiles every table of a ruleset.
    ///
    /// ```
    /// use nfsim::engine::Program;
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// use nfsim::model::{Family, TableKind};
    /// let rs = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n", &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let p = Program::compile(&rs).unwrap();
    /// assert!(p.table(TableKind::Filter).is_some());
    /// ```
    pub fn compile(rs: &Ruleset) -> Result<Program, CompileError> {
        let mut tables: [Option<TableProgram>; 5] = Default::default();
        for t in &rs.tables {
            tables[t.kind as usize] = Some(compile_table(t)?);
        }
        Ok(Program {
            family: rs.family,
            tables,
        })
    }
    /// The program of a table, if the table exists.
    ///
    /// ```
    /// # use nfsim::engine::program::*;
    /// # use nfsim::engine::{Program, TraceKind};
    /// # use nfsim::model::{Family, Hook, TableKind};
    /// let rs = nfsim::syntax::parse_restore(
    ///     "*filter\n:USER - [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j USER\n-A USER -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let prog = Program::compile(&rs).unwrap();
    /// let table = prog.table(TableKind::Filter).unwrap();
    /// assert!(prog.table(TableKind::Filter).is_some() && prog.table(TableKind::Nat).is_none());
    /// ```
    pub fn table(&self, kind: TableKind) -> Option<&TableProgram> {
        self.tables[kind as usize].as_ref()
    }
}
