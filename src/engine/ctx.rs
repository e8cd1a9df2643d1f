//! What the engine sees of a packet and of the world while it walks a
//! table, and the sinks it reports to.

use crate::model::{Family, Hook, TableKind};
use crate::nf::CtStates;
use crate::time::Instant;
use crate::wire::meta::PacketMeta;

/// How a TRACE record names the rule (`trace_packet`,
/// `get_chainname_rulenum` in net/ipv4/netfilter/ip_tables.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// `rule:N`
    Rule,
    /// `return:N` (tail of a user chain, or an unconditional standard verdict in one).
    Return,
    /// `policy:N` (tail of a built-in chain, or an unconditional standard verdict in one).
    Policy,
}

impl TraceKind {
    /// The word the kernel prints.
    pub const fn as_str(self) -> &'static str {
        match self {
            TraceKind::Rule => "rule",
            TraceKind::Return => "return",
            TraceKind::Policy => "policy",
        }
    }
}

/// Which part of a rule did not match the packet (explain mode: see
/// [`TraceSink::mismatch`]).
///
/// ```
/// use nfsim::engine::Mismatch;
/// assert_eq!(Mismatch::Src.flag(), Some("-s"));
/// assert_eq!(Mismatch::Match { index: 0, option: Some("--dport") }.flag(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mismatch {
    /// `-s`
    Src,
    /// `-d`
    Dst,
    /// `-i`
    InIface,
    /// `-o`
    OutIface,
    /// `-p`
    Proto,
    /// `-f`
    Frag,
    /// The rule's match number `index` (0-based, in the rule's order);
    /// `option` names the option that failed (`--dport`, `--ctstate`) when
    /// the engine tells them apart for that extension, else `None`.
    Match {
        /// Index among the rule's matches.
        index: usize,
        /// The option that failed, when known.
        option: Option<&'static str>,
    },
}

impl Mismatch {
    /// The generic option that failed (`-s`, `-d`, `-i`, `-o`, `-p`, `-f`),
    /// `None` for a match extension.
    pub const fn flag(&self) -> Option<&'static str> {
        match self {
            Mismatch::Src => Some("-s"),
            Mismatch::Dst => Some("-d"),
            Mismatch::InIface => Some("-i"),
            Mismatch::OutIface => Some("-o"),
            Mismatch::Proto => Some("-p"),
            Mismatch::Frag => Some("-f"),
            Mismatch::Match { .. } => None,
        }
    }
}

/// Receives what the engine does. The default methods do nothing, so a
/// no-op sink costs nothing once inlined.
pub trait TraceSink {
    /// Whether [`TraceSink::no_match`] wants calls (explain mode); when false
    /// the engine does not even compute them.
    const WANTS_EXPLAIN: bool = false;
    /// A TRACE record: a rule matched and its target is about to run
    /// (`chain`: the chain name's bytes, as the kernel prints them).
    #[inline]
    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        let _ = (table, chain, kind, num);
    }
    /// (Explain) a rule was tested and its match number `failed` did not match
    /// (`None`: the generic part failed).
    #[inline]
    fn no_match(&mut self, table: TableKind, chain: &[u8], num: u32, failed: Option<usize>) {
        let _ = (table, chain, num, failed);
    }
    /// (Explain) a rule was tested and `part` of it did not match. Called
    /// only when [`TraceSink::WANTS_EXPLAIN`]; the default passes it on to
    /// [`TraceSink::no_match`].
    #[inline]
    fn mismatch(&mut self, table: TableKind, chain: &[u8], num: u32, part: Mismatch) {
        let failed = match part {
            Mismatch::Match { index, .. } => Some(index),
            _ => None,
        };
        self.no_match(table, chain, num, failed);
    }
}

/// The sink that records nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl TraceSink for NoTrace {}

/// The connection tracking state of the packet as matches see it
/// (`nf_ct_get` + `ctinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CtView {
    /// The `XT_CONNTRACK_STATE_*` bits of the packet (xt_conntrack.h):
    /// INVALID, ESTABLISHED, RELATED, NEW, UNTRACKED, and SNAT / DNAT from
    /// the entry's status.
    pub state: CtStates,
    /// `IPS_*` status bits of the entry (0 when none).
    pub status: u32,
    /// The entry's mark (`ct->mark`).
    pub mark: u32,
    /// Direction: false = original, true = reply.
    pub reply_dir: bool,
    /// Whether there is an entry (not INVALID / UNTRACKED).
    pub has_entry: bool,
    /// Remaining lifetime in seconds (for `--ctexpire`).
    pub expires_secs: u32,
    /// Layer 4 protocol of the entry.
    pub l4proto: u8,
    /// Original tuple: src, dst addresses (first 4 bytes for IPv4), ports/ids.
    pub orig_src: [u8; 16],
    /// Original destination address.
    pub orig_dst: [u8; 16],
    /// Original source port / ICMP id.
    pub orig_sport: u16,
    /// Original destination port / ICMP type-code.
    pub orig_dport: u16,
    /// Reply source address.
    pub repl_src: [u8; 16],
    /// Reply destination address.
    pub repl_dst: [u8; 16],
    /// Reply source port.
    pub repl_sport: u16,
    /// Reply destination port.
    pub repl_dport: u16,
}

/// The packet being filtered and its metadata (a slice of `sk_buff`):
/// matches read it, targets may change it.
#[derive(Debug)]
pub struct PacketCtx<'a> {
    /// Family.
    pub family: Family,
    /// The packet from its network header on (exactly the packet's length).
    pub data: &'a mut Vec<u8>,
    /// Offsets and protocol found once per packet.
    pub meta: PacketMeta,
    /// The hook being traversed.
    pub hook: Hook,
    /// Input device name (empty on OUTPUT / POSTROUTING of local packets).
    pub in_dev: &'a str,
    /// Output device name (empty before routing).
    pub out_dev: &'a str,
    /// `skb->mark`.
    pub mark: u32,
    /// Conntrack state.
    pub ct: CtView,
    /// Now.
    pub now: Instant,
    /// Set by the TRACE target (`skb->nf_trace`).
    pub nf_trace: bool,
    /// `skb->pkt_type` (PACKET_HOST=0, BROADCAST=1, MULTICAST=2,
    /// OTHERHOST=3, OUTGOING=4, LOOPBACK=5).
    pub pkt_type: u8,
    /// The Ethernet source address of a received frame (`eth_hdr(skb)->h_source`),
    /// `None` for locally generated packets.
    pub src_mac: Option<[u8; 6]>,
    /// The owner of the sending socket (`skb->sk`: uid, gid) for locally
    /// generated packets that have one.
    pub sk_owner: Option<(u32, u32)>,
    /// `skb->ip_summed == CHECKSUM_PARTIAL`: the transport checksum field
    /// holds only the folded pseudo-header sum (the device is to finish
    /// it); `CHECKSUM --checksum-fill` completes it.
    pub csum_partial: bool,
}

/// What the host provides to matches and targets that need more than the
/// packet: local addresses (`addrtype`), and the effects of targets (LOG
/// lines, REJECT replies, marks on the conntrack entry, NAT bindings).
pub trait Env {
    /// `inet_addr_type_dev_table` / `ipv6_chk_addr`-style classification
    /// (`RTN_*` bit set as xt_addrtype uses: UNSPEC=1, UNICAST=2, LOCAL=4,
    /// BROADCAST=8, ANYCAST=16, MULTICAST=32, BLACKHOLE=64, UNREACHABLE=128,
    /// PROHIBIT=256, THROW=512, NAT=1024, XRESOLVE=2048) of `addr`,
    /// restricted to device `dev` when given.
    fn addr_type(&self, family: Family, addr: &[u8], dev: Option<&str>) -> u16;
    /// `-m rpfilter`: the route `fib_lookup` finds to `addr` (a reversed
    /// source): `None` without one, else its `RTN_*` type number
    /// (UNICAST=1, LOCAL=2, BROADCAST=3) and whether its next hop uses
    /// device `dev` (`fib_info_nh_uses_dev`). The default has no routes.
    fn route_to(&self, family: Family, addr: &[u8], dev: &str) -> Option<(u16, bool)> {
        let _ = (family, addr, dev);
        None
    }
    /// `connlimit`: `nf_conncount_count_skb` for this rule's connection
    /// lists (created on first use, its id kept in `st.a` with `st.init`),
    /// grouping key `key` (masked address words and zone): the number of
    /// connections counted, 0 meaning "hotdrop" (see
    /// [`SharedTables::conncount_count`](super::shared::SharedTables::conncount_count)).
    ///
    /// The default (an environment without connection tracking tables,
    /// e.g. a unit test) answers 0.
    fn conncount(
        &mut self,
        st: &mut super::state::MatchState,
        key: [u32; 5],
        pkt: &PacketCtx<'_>,
    ) -> u32 {
        let _ = (st, key, pkt);
        0
    }
    /// The packet's conntrack entry accounting (`nf_conn_acct_find`):
    /// packets and bytes of the original and reply directions; `None`
    /// without an entry or without accounting.
    /// The default has no accounting.
    fn ct_acct(&self) -> Option<[(u64, u64); 2]> {
        None
    }
    /// The kernel's tick rate (`HZ`).
    /// The default is 250, [`HostConfig`](crate::host::HostConfig)'s.
    fn hz(&self) -> u32 {
        250
    }
    /// `jiffies` now: the packet time in ticks (`now * HZ`, truncated;
    /// the kernel's boot offset only shifts the phase).
    /// The default is 0.
    fn jiffies(&self) -> u64 {
        0
    }
    /// `get_random_u32()` from the host's seeded generator.
    /// The default is 0.
    fn random_u32(&mut self) -> u32 {
        0
    }
    /// The host's tables of stateful matches (`recent` lists); the default
    /// has none.
    fn shared_tables(&mut self) -> Option<&mut super::shared::SharedTables> {
        None
    }
    /// Runs an extension target on the packet and returns its verdict
    /// (`None` = `XT_CONTINUE`).
    fn run_target(
        &mut self,
        table: crate::model::TableKind,
        target: &crate::model::Target,
        pkt: &mut PacketCtx<'_>,
    ) -> Option<Verdict>;
}

/// A match's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchResult {
    /// It matched.
    Match,
    /// It did not match.
    NoMatch,
    /// It did not match and the packet must be dropped (`par->hotdrop`).
    HotDrop,
}

impl From<bool> for MatchResult {
    #[inline]
    fn from(b: bool) -> Self {
        if b {
            MatchResult::Match
        } else {
            MatchResult::NoMatch
        }
    }
}

/// The verdict of a table walk (`NF_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `NF_ACCEPT`: on to the next hook function.
    Accept,
    /// `NF_DROP`
    Drop,
    /// `NF_QUEUE` to a queue number; `bypass`: accept when nobody listens.
    Queue {
        /// Queue number.
        num: u16,
        /// `--queue-bypass`.
        bypass: bool,
    },
    /// `NF_STOLEN`: a target consumed the packet (e.g. REJECT sent a reply and dropped it: that is `Drop`).
    Stolen,
}
