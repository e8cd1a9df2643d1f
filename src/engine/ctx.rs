//! What the engine sees of a packet and of the world while it walks a
//! table, and the sinks it reports to.

use crate::conntrack::{ConntrackTable, CtHandle, CtSlot, Dir, Tuple};
use crate::model::{Family, Hook, TableKind};
use crate::nf::CtStates;
use crate::time::Instant;
use crate::wire::meta::PacketMeta;

/// How a TRACE record names the rule (`trace_packet`,
/// `get_chainname_rulenum` in net/ipv4/netfilter/ip_tables.c).
///
/// ```
/// # use nfsim::prelude::*;
/// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
/// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
/// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// use nfsim::engine::{TraceKind, TraceSink};
/// #[derive(Default)]
/// struct Kinds(Vec<TraceKind>);
/// impl TraceSink for Kinds {
///     fn trace(&mut self, _: TableKind, _: &[u8], kind: TraceKind, _: u32) {
///         self.0.push(kind);
///     }
/// }
/// let mut k = Kinds::default();
/// host.receive(1, &pkt, Instant::ZERO, &mut Outcome::default(), &mut k);
/// assert_eq!(k.0, [TraceKind::Policy]);
/// ```
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
    ///
    /// ```
    /// use nfsim::engine::TraceKind;
    /// assert_eq!(TraceKind::Return.as_str(), "return");
    /// ```
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
    ///
    /// ```
    /// use nfsim::engine::Mismatch;
    /// assert_eq!(Mismatch::InIface.flag(), Some("-i"));
    /// ```
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
///
/// ```
/// # use nfsim::prelude::*;
/// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
/// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
/// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// use nfsim::engine::{Mismatch, TraceSink};
/// /// Counts the rules met and why each failed.
/// #[derive(Default)]
/// struct Why { failed: Vec<(u32, Option<&'static str>)> }
/// impl TraceSink for Why {
///     const WANTS_EXPLAIN: bool = true;
///     fn mismatch(&mut self, _: TableKind, _: &[u8], num: u32, part: Mismatch) {
///         self.failed.push((num, part.flag()));
///     }
/// }
/// let mut why = Why::default();
/// host.receive(1, &pkt, Instant::ZERO, &mut Outcome::default(), &mut why);
/// assert_eq!(why.failed, [(1, Some("-p")), (2, Some("-s"))]);
/// ```
pub trait TraceSink {
    /// Whether [`TraceSink::no_match`] wants calls (explain mode); when false
    /// the engine does not even compute them.
    const WANTS_EXPLAIN: bool = false;
    /// Whether [`TraceSink::trace`] wants calls; when false (as for
    /// [`NoTrace`]) the engine does not look up what they would say.
    const WANTS_TRACE: bool = true;
    /// A TRACE record: a rule matched and its target is about to run
    /// (`chain`: the chain name's bytes, as the kernel prints them).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
    /// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// use nfsim::engine::{TraceKind, TraceSink};
    /// struct Print(Vec<String>);
    /// impl TraceSink for Print {
    ///     fn trace(&mut self, t: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
    ///         self.0.push(format!("{t}:{}:{}:{num}", String::from_utf8_lossy(chain), kind.as_str()));
    ///     }
    /// }
    /// let mut p = Print(Vec::new());
    /// let ssh = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).tcp(1, 22).build();
    /// host.receive(1, &ssh, Instant::ZERO, &mut Outcome::default(), &mut p);
    /// assert_eq!(p.0, ["filter:INPUT:rule:1"]);
    /// ```
    #[inline]
    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        let _ = (table, chain, kind, num);
    }
    /// (Explain) a rule was tested and its match number `failed` did not match
    /// (`None`: the generic part failed).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
    /// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// use nfsim::engine::TraceSink;
    /// struct Failed(Vec<(u32, Option<usize>)>);
    /// impl TraceSink for Failed {
    ///     const WANTS_EXPLAIN: bool = true;
    ///     fn no_match(&mut self, _: TableKind, _: &[u8], num: u32, failed: Option<usize>) {
    ///         self.0.push((num, failed));
    ///     }
    /// }
    /// let mut f = Failed(Vec::new());
    /// host.receive(1, &pkt, Instant::ZERO, &mut Outcome::default(), &mut f);
    /// // Rule 1: `-p tcp` (generic part) failed; rule 2: `-s` (generic part).
    /// assert_eq!(f.0, [(1, None), (2, None)]);
    /// ```
    #[inline]
    fn no_match(&mut self, table: TableKind, chain: &[u8], num: u32, failed: Option<usize>) {
        let _ = (table, chain, num, failed);
    }
    /// (Explain) a rule was tested and `part` of it did not match. Called
    /// only when [`TraceSink::WANTS_EXPLAIN`]; the default passes it on to
    /// [`TraceSink::no_match`].
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
    /// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// use nfsim::engine::{Mismatch, TraceSink};
    /// struct Parts(Vec<Mismatch>);
    /// impl TraceSink for Parts {
    ///     const WANTS_EXPLAIN: bool = true;
    ///     fn mismatch(&mut self, _: TableKind, _: &[u8], _: u32, part: Mismatch) {
    ///         self.0.push(part);
    ///     }
    /// }
    /// let mut p = Parts(Vec::new());
    /// let other = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).tcp(1, 80).build();
    /// host.receive(1, &other, Instant::ZERO, &mut Outcome::default(), &mut p);
    /// assert_eq!(p.0[0], Mismatch::Match { index: 0, option: Some("--dport") });
    /// ```
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
///
/// ```
/// # use nfsim::prelude::*;
/// # let rules = parse_restore("*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 198.51.100.0/24 -j DROP\nCOMMIT\n",
/// #     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// # let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
/// # let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// # let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let mut out = Outcome::default();
/// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
/// assert!(out.local);
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;

impl TraceSink for NoTrace {
    const WANTS_TRACE: bool = false;
}

/// The packet's conntrack reference (`skb->_nfct`, what `nf_ct_get`
/// returns) as matches read it: facts are read from the host's conntrack
/// table when a match asks ([`Env::ct`]), never copied, so a target that
/// changes the entry (CONNMARK, CT `--notrack`) is seen by the next rule
/// of the same walk, as `connmark_mt` / `conntrack_mt` read `ct->mark`
/// each time.
///
/// ```
/// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
/// use nfsim::engine::CtRef;
/// use nfsim::nf::CtStates;
/// use nfsim::time::Instant;
/// let table = ConntrackTable::new(Config::default()).unwrap();
/// let untracked = CtRef::new(&table, Some(CtSlot::Untracked), Instant::ZERO);
/// assert_eq!(untracked.state(), CtStates::UNTRACKED);
/// assert!(untracked.entry().is_none());
/// // No conntrack reference at all (`nf_ct_get` NULL): INVALID.
/// assert_eq!(CtRef::new(&table, None, Instant::ZERO).state(), CtStates::INVALID);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CtRef<'a> {
    table: &'a ConntrackTable,
    slot: Option<CtSlot>,
    now: Instant,
}

impl<'a> CtRef<'a> {
    /// The packet's slot in `table` (`None`: no conntrack reference) at `now`.
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
    /// use nfsim::engine::CtRef;
    /// use nfsim::time::Instant;
    /// let table = ConntrackTable::new(Config::default()).unwrap();
    /// assert!(CtRef::new(&table, Some(CtSlot::Invalid), Instant::ZERO).entry().is_none());
    /// ```
    #[inline]
    pub fn new(table: &'a ConntrackTable, slot: Option<CtSlot>, now: Instant) -> Self {
        CtRef { table, slot, now }
    }

    /// The `XT_CONNTRACK_STATE_*` bits of the packet (xt_conntrack.h):
    /// INVALID, ESTABLISHED, RELATED, NEW, UNTRACKED, and SNAT / DNAT from
    /// the entry's status ([`ConntrackTable::state_bits`]).
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
    /// use nfsim::engine::CtRef;
    /// use nfsim::nf::CtStates;
    /// use nfsim::time::Instant;
    /// let table = ConntrackTable::new(Config::default()).unwrap();
    /// assert_eq!(CtRef::new(&table, Some(CtSlot::Invalid), Instant::ZERO).state(), CtStates::INVALID);
    /// ```
    #[inline]
    pub fn state(&self) -> CtStates {
        match self.slot {
            Some(slot) => self.table.state_bits(slot),
            None => CtStates::INVALID,
        }
    }

    /// [`CtRef::state`] without the SNAT/DNAT bits (no entry read: the
    /// slot's ctinfo alone, `INVALID` without a slot).
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
    /// use nfsim::engine::CtRef;
    /// use nfsim::nf::CtStates;
    /// use nfsim::time::Instant;
    /// let t = ConntrackTable::new(Config::default()).unwrap();
    /// assert_eq!(CtRef::new(&t, None, Instant::ZERO).slot_state(), CtStates::INVALID);
    /// assert_eq!(CtRef::new(&t, Some(CtSlot::Untracked), Instant::ZERO).slot_state(), CtStates::UNTRACKED);
    /// ```
    #[inline]
    pub fn slot_state(&self) -> CtStates {
        match self.slot {
            Some(slot) => slot.state_bits(),
            None => CtStates::INVALID,
        }
    }

    /// The entry (`nf_ct_get` with a conntrack, not INVALID or UNTRACKED).
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
    /// use nfsim::engine::CtRef;
    /// use nfsim::time::Instant;
    /// let table = ConntrackTable::new(Config::default()).unwrap();
    /// assert!(CtRef::new(&table, None, Instant::ZERO).entry().is_none());
    /// ```
    #[inline]
    pub fn entry(&self) -> Option<CtEntry<'a>> {
        let slot = self.slot?;
        Some(CtEntry {
            table: self.table,
            handle: slot.handle()?,
            reply_dir: slot.info().is_some_and(|i| i.dir() == Dir::Reply),
            now: self.now,
        })
    }
}

/// The packet's conntrack entry, read on demand (see [`CtRef::entry`]).
/// A stale handle reads as zeros.
///
/// ```
/// use nfsim::conntrack::{Config, ConntrackTable, CtSlot};
/// use nfsim::engine::CtRef;
/// use nfsim::time::Instant;
/// let table = ConntrackTable::new(Config::default()).unwrap();
/// let r = CtRef::new(&table, Some(CtSlot::Untracked), Instant::ZERO);
/// assert!(r.entry().map(|e| e.mark()).is_none());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CtEntry<'a> {
    table: &'a ConntrackTable,
    handle: CtHandle,
    reply_dir: bool,
    now: Instant,
}

impl CtEntry<'_> {
    /// `IPS_*` status bits (`ct->status`).
    #[inline]
    pub fn status(&self) -> u32 {
        self.table.status(self.handle).map_or(0, |s| s.bits())
    }
    /// The entry's mark (`ct->mark`).
    #[inline]
    pub fn mark(&self) -> u32 {
        self.table.mark(self.handle).unwrap_or(0)
    }
    /// The packet's direction: false = original, true = reply
    /// (`CTINFO2DIR`).
    #[inline]
    pub fn reply_dir(&self) -> bool {
        self.reply_dir
    }
    /// Remaining lifetime in seconds (`--ctexpire`,
    /// [`ConntrackTable::remaining_secs`]).
    #[inline]
    pub fn expires_secs(&self) -> u32 {
        self.table
            .remaining_secs(self.handle, self.now)
            .unwrap_or(0) as u32
    }
    /// One of the entry's tuples (`ct->tuplehash[dir].tuple`).
    #[inline]
    pub fn tuple(&self, dir: Dir) -> Option<Tuple> {
        self.table.tuple(self.handle, dir)
    }
    /// The entry's conntrack zone id (`nf_ct_zone(ct)->id`).
    #[inline]
    pub fn zone(&self) -> u16 {
        self.table.zone(self.handle).unwrap_or(0)
    }
    /// The helper of the entry's master (`nfct_help(ct->master)->helper`),
    /// what `-m helper` compares; `None` without a master.
    #[inline]
    pub fn master_helper(&self) -> Option<&'static str> {
        self.table.master_helper(self.handle).map(|h| h.name())
    }
    /// Accounting (`nf_conn_acct_find`): packets and bytes of the original
    /// and reply directions.
    #[inline]
    pub fn counters(&self) -> Option<[(u64, u64); 2]> {
        Some([
            self.table.counters(self.handle, Dir::Original)?,
            self.table.counters(self.handle, Dir::Reply)?,
        ])
    }
}

/// The packet being filtered and its metadata (a slice of `sk_buff`):
/// matches read it, targets may change it.
///
/// ```
/// # use nfsim::engine::*;
/// # use nfsim::model::{Family, Hook, TableKind, Target};
/// # use nfsim::time::Instant;
/// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
/// /// A world with no local addresses and no extension targets.
/// struct Bare;
/// impl Env for Bare {
///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
/// }
/// # let rs = nfsim::syntax::parse_restore("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
/// #     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// # let prog = Program::compile(&rs).unwrap();
/// # let table = prog.table(TableKind::Filter).unwrap();
/// # let mut state = table.new_state();
/// # let mut data = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 9].into()).tcp(40000, 22).build();
/// # let meta = PacketMeta::parse(&data).unwrap();
/// let mut pkt = PacketCtx {
///     family: Family::Ipv4, data: &mut data, meta, hook: Hook::LocalOut, in_dev: "", out_dev: "eth0",
///     mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 4,
///     src_mac: None, sk_owner: None, csum_partial: false,
/// };
/// assert_eq!(run_table(table, &mut state, Hook::LocalOut, &mut pkt, &mut Bare, &mut NoTrace), Verdict::Accept);
/// assert_eq!(pkt.mark, 0);
/// ```
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
///
/// ```
/// use nfsim::engine::*;
/// use nfsim::model::{Family, Hook, TableKind, Target};
/// use nfsim::time::Instant;
/// use nfsim::wire::{meta::PacketMeta, PacketBuilder};
/// /// A world where 192.0.2.1 is local and targets do nothing.
/// struct Lab;
/// impl Env for Lab {
///     fn addr_type(&self, _: Family, addr: &[u8], _: Option<&str>) -> u16 {
///         if addr[..4] == [192, 0, 2, 1] { 2 } else { 1 } // RTN_LOCAL, RTN_UNICAST
///     }
///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
/// }
/// let rs = nfsim::syntax::parse_restore("*filter\n-A OUTPUT -m addrtype --dst-type LOCAL -j DROP\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let prog = Program::compile(&rs).unwrap();
/// let table = prog.table(TableKind::Filter).unwrap();
/// let mut state = table.new_state();
/// let mut data = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 1].into()).udp(1, 2).build();
/// let meta = PacketMeta::parse(&data).unwrap();
/// let mut pkt = PacketCtx {
///     family: Family::Ipv4, data: &mut data, meta, hook: Hook::LocalOut, in_dev: "", out_dev: "lo",
///     mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 4,
///     src_mac: None, sk_owner: None, csum_partial: false,
/// };
/// assert_eq!(run_table(table, &mut state, Hook::LocalOut, &mut pkt, &mut Lab, &mut NoTrace), Verdict::Drop);
/// ```
pub trait Env {
    /// The type of `addr` as xt_addrtype asks it, restricted to device `dev`
    /// when given: for IPv4 the `RTN_*` number `inet_dev_addr_type` returns
    /// (UNSPEC=0, UNICAST=1, LOCAL=2, BROADCAST=3, ANYCAST=4, MULTICAST=5,
    /// BLACKHOLE=6, UNREACHABLE=7...; addrtype_mt tests `1 << type`), for
    /// IPv6 the `XT_ADDRTYPE_*` bit set `match_lookup_rt6` builds
    /// (UNSPEC=1, UNICAST=2, LOCAL=4, ... MULTICAST=32, UNREACHABLE=128).
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert_eq!(Bare.addr_type(Family::Ipv4, &[192, 0, 2, 1], None), 1);
    /// ```
    fn addr_type(&self, family: Family, addr: &[u8], dev: Option<&str>) -> u16;
    /// `-m rpfilter`: the route `fib_lookup` finds to `addr` (a reversed
    /// source): `None` without one, else its `RTN_*` type number
    /// (UNICAST=1, LOCAL=2, BROADCAST=3) and whether its next hop uses
    /// device `dev` (`fib_info_nh_uses_dev`). The default has no routes.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert_eq!(Bare.route_to(Family::Ipv4, &[192, 0, 2, 1], "eth0"), None);
    /// ```
    fn route_to(&self, family: Family, addr: &[u8], dev: &str) -> Option<(u16, bool)> {
        let _ = (family, addr, dev);
        None
    }
    /// `connlimit`: `nf_conncount_count_skb` for this rule's connection
    /// lists (created on first use, its id kept in `st.a` with `st.init`),
    /// grouping key `key` (masked address words and zone): the number of
    /// connections counted, 0 meaning "hotdrop" (the host's
    /// `SharedTables::conncount_count`).
    ///
    /// The default (an environment without connection tracking tables,
    /// e.g. a unit test) answers 0.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// # let rs = nfsim::syntax::parse_restore("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    /// #     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// # let prog = Program::compile(&rs).unwrap();
    /// # let table = prog.table(TableKind::Filter).unwrap();
    /// # let mut state = table.new_state();
    /// # let mut data = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 9].into()).tcp(40000, 22).build();
    /// # let meta = PacketMeta::parse(&data).unwrap();
    /// let mut pkt = PacketCtx {
    ///     family: Family::Ipv4, data: &mut data, meta, hook: Hook::LocalOut, in_dev: "", out_dev: "eth0",
    ///     mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 4,
    ///     src_mac: None, sk_owner: None, csum_partial: false,
    /// };
    /// let mut st = state::MatchState::default();
    /// assert_eq!(Bare.conncount(&mut st, [0; 5], &pkt), 0);
    /// ```
    fn conncount(
        &mut self,
        st: &mut super::state::MatchState,
        key: [u32; 5],
        pkt: &PacketCtx<'_>,
    ) -> u32 {
        let _ = (st, key, pkt);
        0
    }
    /// The packet's conntrack reference, read on demand by `state`,
    /// `conntrack`, `connmark`, `connbytes`. `None`: an environment
    /// without connection tracking (e.g. a unit test), where every
    /// conntrack match sees no state bits and no entry. The host answers
    /// from its conntrack table ([`CtRef::new`]).
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert!(Bare.ct().is_none());
    /// ```
    #[inline]
    fn ct(&self) -> Option<CtRef<'_>> {
        None
    }
    /// `-m physdev`: the packet's bridge netfilter information
    /// (`skb->nf_bridge`, set by br_netfilter on frames received on a
    /// bridge port while `bridge-nf-call-iptables` / `-ip6tables` is on):
    /// `None` without it, else the names of the port it came in on and the
    /// port it goes out of (`""`: not known, as for a frame delivered to the
    /// host or routed). The default is `None`, a host without bridges.
    fn physdev(&self) -> Option<(&str, &str)> {
        None
    }
    /// The kernel's tick rate (`HZ`).
    /// The default is 250, [`HostConfig`](crate::host::HostConfig)'s.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert_eq!(Bare.hz(), 250);
    /// ```
    fn hz(&self) -> u32 {
        250
    }
    /// `jiffies` now: the packet time in ticks (`now * HZ`, truncated;
    /// the kernel's boot offset only shifts the phase).
    /// The default is 0.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert_eq!(Bare.jiffies(), 0);
    /// ```
    fn jiffies(&self) -> u64 {
        0
    }
    /// `get_random_u32()` from the host's seeded generator.
    /// The default is 0.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert_eq!(Bare.random_u32(), 0);
    /// ```
    fn random_u32(&mut self) -> u32 {
        0
    }
    /// The host's tables of stateful matches (`recent` lists); the default
    /// has none.
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// assert!(Bare.shared_tables().is_none());
    /// ```
    fn shared_tables(&mut self) -> Option<&mut super::shared::SharedTables> {
        None
    }
    /// Runs an extension target on the packet and returns its verdict
    /// (`None` = `XT_CONTINUE`).
    ///
    /// ```
    /// # use nfsim::engine::*;
    /// # use nfsim::model::{Family, Hook, TableKind, Target};
    /// # use nfsim::time::Instant;
    /// # use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// /// A world with no local addresses and no extension targets.
    /// struct Bare;
    /// impl Env for Bare {
    ///     fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 { 1 } // RTN_UNICAST
    ///     fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> { None }
    /// }
    /// # let rs = nfsim::syntax::parse_restore("*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    /// #     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// # let prog = Program::compile(&rs).unwrap();
    /// # let table = prog.table(TableKind::Filter).unwrap();
    /// # let mut state = table.new_state();
    /// # let mut data = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 9].into()).tcp(40000, 22).build();
    /// # let meta = PacketMeta::parse(&data).unwrap();
    /// let mut pkt = PacketCtx {
    ///     family: Family::Ipv4, data: &mut data, meta, hook: Hook::LocalOut, in_dev: "", out_dev: "eth0",
    ///     mark: 0, now: Instant::ZERO, nf_trace: false, pkt_type: 4,
    ///     src_mac: None, sk_owner: None, csum_partial: false,
    /// };
    /// let t = Target::Trace(Default::default());
    /// assert_eq!(Bare.run_target(TableKind::Filter, &t, &mut pkt), None);
    /// ```
    fn run_target(
        &mut self,
        table: crate::model::TableKind,
        target: &crate::model::Target,
        pkt: &mut PacketCtx<'_>,
    ) -> Option<Verdict>;
}

/// A match's answer.
///
/// ```
/// use nfsim::engine::MatchResult;
/// assert_eq!(MatchResult::from(true), MatchResult::Match);
/// assert_eq!(MatchResult::from(false), MatchResult::NoMatch);
/// ```
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
///
/// ```
/// use nfsim::engine::Verdict;
/// let q = Verdict::Queue { num: 3, bypass: true };
/// assert_ne!(q, Verdict::Drop);
/// ```
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
