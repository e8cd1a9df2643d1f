//! The `conntrack` layer: connection tracking and NAT bindings, modelled on
//! Linux 6.x `net/netfilter/nf_conntrack_*.c` and `nf_nat_*.c`.
//!
//! # What it holds
//!
//! - [`Config`]: the `net.netfilter.nf_conntrack_*` sysctls with kernel defaults.
//! - [`Tuple`]: `struct nf_conntrack_tuple` (addresses, protocol, ports or
//!   ICMP id/type/code); an entry has an original and a reply tuple.
//! - [`ConntrackTable`]: a slab of 128-byte entries (at most
//!   `nf_conntrack_max`; TCP state, NAT data, counters beside them), a
//!   lookup index (open addressing over a fast hash of the whole tuple)
//!   and a chained index that keeps the kernel's `nf_conntrack_hash`
//!   buckets (`nf_conntrack_buckets`) exact, both over both tuples of
//!   every *confirmed* entry. Memory follows the entries held, not the
//!   settings; it grows by doubling, so a table that has reached its
//!   working size allocates nothing per packet.
//! - TCP with the kernel's state table and window tracking ([`TcpState`]),
//!   UDP / UDP-Lite (unreplied and stream timeouts), ICMP / ICMPv6 (echo-like
//!   "connections", errors RELATED through the embedded tuple, neighbour
//!   discovery untracked), SCTP ([`SctpState`]), GRE, and every other
//!   protocol (DCCP included, as in Linux 6.18) as the generic tracker.
//! - NAT bindings ([`NatRange`], [`ConntrackTable::setup_nat`],
//!   [`ConntrackTable::nat_packet`]) as `nf_nat_core.c` / `nf_nat_proto.c`.
//!
//! # Files
//!
//! `mod.rs` the types and `nf_conntrack_in` ([`ConntrackTable::process`]),
//! `table.rs` the slab, the side slabs, the kernel-bucket index, eviction
//! and confirm, `fast.rs` the lookup index, one tracker
//! per protocol (`tcp.rs`, `udp.rs`, `icmp.rs`, `sctp.rs`, `gre.rs`; the
//! generic tracker is one line of `mod.rs`), `helper.rs` the helpers
//! (ftp, tftp) and expectations, `nat.rs` NAT bindings and
//! packet rewriting, `tuple.rs`, `config.rs` (the sysctls), `proc.rs` the
//! `/proc/net/nf_conntrack` lines. Packets are read through `wire`
//! (`PacketMeta`, views, checksums).
//!
//! # Invariants
//!
//! - Sans-IO: every call that depends on time takes `now`; expiry is lazy
//!   (an entry whose deadline is not after `now` is treated as gone and its
//!   slot reclaimed when met), randomness comes from a caller's [`NatRng`].
//! - An entry is created *unconfirmed* by [`ConntrackTable::process`] and is
//!   visible to lookups and the `/proc` listing only after
//!   [`ConntrackTable::confirm`]; a dropped packet's entry goes away with
//!   [`ConntrackTable::discard_unconfirmed`].
//! - Handles ([`CtHandle`]) carry a generation: a stale handle is detected
//!   and every accessor returns `None` / `false` for it; nothing panics.
//!
//! # Known limits
//!
//! - Helpers: `ftp` and `tftp` only, attached by a `-j CT` template
//!   ([`CtSlot::Template`]), with their expectations (`helper.rs`);
//!   `nf_nat_ftp` for IPv4 (`ftpnat.rs`: the command rewritten, sequence
//!   adjustment, `nf_nat_follow_master` through
//!   [`ConntrackTable::follow_master`], which a caller of
//!   [`ConntrackTable::process_tmpl`] must call right after it) and
//!   `nf_nat_tftp` for IPv4 (the expectation follows the master); IPv6
//!   `nf_nat_ftp` and `nf_nat_tftp`, and the random port search after a clash
//!   are reported unsupported per packet ([`HelpVerdict::Unsupported`]). GRE keys come without the PPTP
//!   helper's key map. Zones (`-j CT --zone`, `--zone-orig`,
//!   `--zone-reply`, a number or `mark`): kept beside the entries
//!   (`helper.rs`) with their directions and compared as
//!   `nf_ct_key_equal` does (`nf_ct_zone_id` of the node's direction) in
//!   every lookup, hashed into the kernel bucket, in the NAT source
//!   search, the expectations and connlimit's key.
//!   Timeout policies (`-j CT --timeout`, `timeout.rs`): tcp, udp, icmp
//!   and icmpv6 ones, read by the trackers and `set_closing`.
//!   Sequence adjustment (`nf_ct_seq_adjust`) is modelled for the ftp NAT
//!   rewrite only (`ftpnat.rs`), the one helper nfsim runs that changes a
//!   packet's length.
//! - The kernel's GC worker is approximated: expired entries vanish from
//!   lookups and listings exactly at their deadline, and when the table is
//!   full all expired entries are reclaimed (at most once per simulated
//!   second) before `early_drop` runs. Between sweeps an expired entry is
//!   reclaimed when met: by a lookup of one of its own tuples, by the
//!   bucket walks of a new connection's lookup, confirm and the NAT port
//!   search, and by `early_drop`; the lookup of an established flow reads
//!   the lookup index, not its kernel bucket, so it does not reclaim the
//!   expired entries sharing that bucket as `__nf_conntrack_find_get`
//!   would (this changes only which free slot a later entry takes). The hash seed is not the kernel's
//!   random one, so *which* unassured entries `early_drop` evicts can differ.
//! - Confirm clashes (same tuple inserted twice) always drop; the kernel's
//!   UDP clash resolution needs parallel CPUs and cannot arise here.
//! - Jiffies are not modelled: times are nanoseconds, so remaining
//!   lifetimes can differ from `/proc` by one tick (4 ms at HZ=250).
//!
//! # Packet path (how the host drives it)
//!
//! 1. PREROUTING / OUTPUT (after the raw table): [`ConntrackTable::process`]
//!    gives a [`CtResult`] (drop, or a [`CtSlot`] for the packet). A packet
//!    that already has a slot (generated by netfilter and attached with
//!    [`CtSlot::attach_reply`], looped back, or set to
//!    [`CtSlot::Untracked`] by `NOTRACK` / `CT --notrack` in raw) is not
//!    processed again, as `nf_conntrack_in` does.
//! 2. nat hooks: [`ConntrackTable::nat_action`] says whether to walk the nat
//!    chain (only for NEW / RELATED packets whose binding for that manip is not
//!    set up yet); SNAT/DNAT/MASQUERADE/... targets call
//!    [`ConntrackTable::setup_nat`]; when the walk ends without a binding call
//!    [`ConntrackTable::alloc_null_binding`]; then
//!    [`ConntrackTable::nat_packet`] rewrites the packet (it also performs the
//!    ICMP error translation `nf_nat_icmp_reply_translation`).
//! 3. INPUT / POSTROUTING end: [`ConntrackTable::confirm`]; a packet dropped
//!    anywhere: [`ConntrackTable::discard_unconfirmed`], *after* any packet
//!    attached to the same entry (a `REJECT` reply) has gone through its
//!    own hooks: that reply still needs the entry's NAT bindings.
//! 4. Matches and targets read and write entries through the handle:
//!    [`ConntrackTable::state_bits`] (`--ctstate`, with SNAT/DNAT),
//!    [`CtSlot::state_bits`] (`-m state`), [`ConntrackTable::status`]
//!    (`--ctstatus`), [`ConntrackTable::tuple`] (`--ctorigsrc` ...,
//!    `--ctproto`), [`CtInfo::dir`] (`--ctdir`),
//!    [`ConntrackTable::remaining_secs`] (`--ctexpire`),
//!    [`ConntrackTable::mark`] / [`ConntrackTable::set_mark`] (`connmark`,
//!    `CONNMARK`, `--ctmark`).
//! 5. Trace output: [`ConntrackTable::entries`] with
//!    [`ConntrackTable::proc_entry`] and [`ConntrackTable::remaining_secs`].

mod config;
mod fast;
mod fast_tcp;
mod ftpnat;
mod gre;
mod helper;
mod icmp;
mod nat;
mod pages;
mod proc;
mod sctp;
mod table;
mod tcp;
mod timeout;
mod tuple;
mod udp;

pub use crate::nf::{CtStates, Hook};
use crate::time::{Duration, Instant};
use crate::wire::checksum::nf_checksum_ok;
use crate::wire::meta::PacketMeta;
use crate::wire::{get_u16, IpProtocol};
use bitflags::bitflags;
use icmp::IcmpPre;
use tcp::{TcpCt, TcpCtx, TcpVerdict};

pub use config::{Config, ConfigError, MAX_BUCKETS};
pub use helper::{CtTemplate, HelpVerdict, HelperKind, UNMODELLED};
/// Where [`ConntrackTable::help`] sees a packet (`nf_confirm`).
#[derive(Debug)]
pub struct HelpAt<'a> {
    /// The packet is CHECKSUM_PARTIAL; set when `nf_nat_ftp` mangles a
    /// packet that leaves the host (`nf_nat_csum_recalc`).
    pub csum_partial: &'a mut bool,
    /// Routed to the host (INPUT, `RTCF_LOCAL`).
    pub local: bool,
    /// On a loopback device (`nf_is_loopback_packet`).
    pub loopback: bool,
}

pub(crate) use nat::{nat_rewrite, nat_rewrite_v4, NatFast, NatStep};
pub use nat::{ManipType, NatAction, NatRange, NatRangeFlags, NatRng, SplitMix64};
pub use proc::ProcEntry;
pub use sctp::SctpState;
pub use tcp::TcpState;
pub use timeout::TimeoutPolicy;
pub use tuple::{proto, Dir, Family, Tuple};

bitflags! {
    /// Entry status bits (`enum ip_conntrack_status`, `IPS_*`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CtStatus: u32 {
        /// `IPS_EXPECTED`.
        const EXPECTED = 1 << 0;
        /// `IPS_SEEN_REPLY`.
        const SEEN_REPLY = 1 << 1;
        /// `IPS_ASSURED`.
        const ASSURED = 1 << 2;
        /// `IPS_CONFIRMED`.
        const CONFIRMED = 1 << 3;
        /// `IPS_SRC_NAT`.
        const SRC_NAT = 1 << 4;
        /// `IPS_DST_NAT`.
        const DST_NAT = 1 << 5;
        /// `IPS_SEQ_ADJUST`.
        const SEQ_ADJUST = 1 << 6;
        /// `IPS_SRC_NAT_DONE`.
        const SRC_NAT_DONE = 1 << 7;
        /// `IPS_DST_NAT_DONE`.
        const DST_NAT_DONE = 1 << 8;
        /// `IPS_DYING`.
        const DYING = 1 << 9;
        /// `IPS_FIXED_TIMEOUT`.
        const FIXED_TIMEOUT = 1 << 10;
        /// `IPS_TEMPLATE`.
        const TEMPLATE = 1 << 11;
        /// `IPS_NAT_CLASH`.
        const NAT_CLASH = 1 << 12;
        /// `IPS_HELPER`.
        const HELPER = 1 << 13;
        /// `IPS_OFFLOAD`.
        const OFFLOAD = 1 << 14;
        /// `IPS_HW_OFFLOAD`.
        const HW_OFFLOAD = 1 << 15;
    }
}

/// `enum ip_conntrack_info` for a packet with an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtInfo {
    /// `IP_CT_ESTABLISHED`.
    Established,
    /// `IP_CT_RELATED`.
    Related,
    /// `IP_CT_NEW`.
    New,
    /// `IP_CT_ESTABLISHED_REPLY`.
    EstablishedReply,
    /// `IP_CT_RELATED_REPLY`.
    RelatedReply,
}

impl CtInfo {
    /// The ctinfo of a packet found in direction `dir` of an entry with
    /// `status` (`resolve_normal_ct`, nf_conntrack_core.c).
    #[inline]
    pub(crate) fn of(status: CtStatus, dir: Dir) -> CtInfo {
        if dir == Dir::Reply {
            CtInfo::EstablishedReply
        } else if status.contains(CtStatus::SEEN_REPLY) {
            CtInfo::Established
        } else if status.contains(CtStatus::EXPECTED) {
            CtInfo::Related
        } else {
            CtInfo::New
        }
    }

    /// `CTINFO2DIR`.
    pub fn dir(self) -> Dir {
        match self {
            CtInfo::EstablishedReply | CtInfo::RelatedReply => Dir::Reply,
            _ => Dir::Original,
        }
    }
}

/// Names one entry of a [`ConntrackTable`]; stale handles are detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CtHandle {
    idx: u32,
    gen: u32,
}

/// The conntrack attachment of a packet (`skb->_nfct`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtSlot {
    /// No entry: the packet is INVALID for `-m state`/`-m conntrack`.
    Invalid,
    /// `IP_CT_UNTRACKED` (the `NOTRACK`/`CT --notrack` target, ICMPv6
    /// neighbour discovery and MLD).
    Untracked,
    /// A template from `-j CT` in the raw table (`nf_ct_tmpl_alloc`): no
    /// entry yet; `nf_conntrack_in` gives the new connection the
    /// template's helper. The rules after the CT rule see it as NEW
    /// (`nf_ct_get` returns the template with `IP_CT_NEW`).
    Template(CtTemplate),
    /// An entry and the packet's relation to it.
    Entry {
        /// The entry.
        handle: CtHandle,
        /// Its ctinfo.
        info: CtInfo,
    },
}

impl CtSlot {
    /// The slot a packet generated in answer to this one gets
    /// (`nf_conntrack_attach`): same entry, RELATED in the other direction.
    /// Packets without an entry give packets without one.
    ///
    /// # Examples
    ///
    /// ```
    /// use nfsim::conntrack::CtSlot;
    /// assert_eq!(CtSlot::Invalid.attach_reply(), CtSlot::Invalid);
    /// ```
    pub fn attach_reply(self) -> CtSlot {
        match self {
            CtSlot::Entry { handle, info } => CtSlot::Entry {
                handle,
                info: if info.dir() == Dir::Original {
                    CtInfo::RelatedReply
                } else {
                    CtInfo::Related
                },
            },
            other => other,
        }
    }

    /// The entry handle, if any.
    pub fn handle(self) -> Option<CtHandle> {
        match self {
            CtSlot::Entry { handle, .. } => Some(handle),
            _ => None,
        }
    }

    /// The ctinfo, if any.
    pub fn info(self) -> Option<CtInfo> {
        match self {
            CtSlot::Entry { info, .. } => Some(info),
            _ => None,
        }
    }

    /// State bits without SNAT/DNAT (what `-m state` tests); see
    /// [`ConntrackTable::state_bits`] for `-m conntrack --ctstate`.
    pub fn state_bits(self) -> CtStates {
        match self {
            CtSlot::Invalid => CtStates::INVALID,
            CtSlot::Untracked => CtStates::UNTRACKED,
            CtSlot::Template(_) => CtStates::NEW,
            CtSlot::Entry { info, .. } => match info {
                CtInfo::Established | CtInfo::EstablishedReply => CtStates::ESTABLISHED,
                CtInfo::Related | CtInfo::RelatedReply => CtStates::RELATED,
                CtInfo::New => CtStates::NEW,
            },
        }
    }
}

/// Verdict of a conntrack step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtVerdict {
    /// Continue.
    Accept,
    /// `NF_DROP`.
    Drop,
}

/// Result of [`ConntrackTable::process`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CtResult {
    /// Drop (table full, confirm clash...) or continue.
    pub verdict: CtVerdict,
    /// The packet's conntrack attachment (`Invalid` when dropped).
    pub slot: CtSlot,
}

#[derive(Debug, Clone, Copy)]
enum L4State {
    /// The TCP state lives in the side slab `ConntrackTable::tcp`.
    Tcp(u32),
    Udp {
        stream_ts: Instant,
    },
    Icmp,
    /// The SCTP state lives in the side slab `ConntrackTable::sctp`.
    Sctp(u32),
    /// The GRE timeouts (`ct->proto.gre`: timeout, stream_timeout) live in
    /// the side slab `ConntrackTable::gre`.
    Gre(u32),
    Generic,
}

/// The hot part of an entry: 128 bytes, two cache lines. The first holds
/// everything an established packet reads or writes but the reply tuple
/// and the counters: the original tuple, the status, the deadline, the
/// tracker's state (`l4k`, `l4v`); the second the reply tuple and the
/// counters' low halves (updated only under `nf_conntrack_acct`, as the
/// kernel adds its accounting extension only then). A packet of a flow
/// without NAT reads one line in either direction: its reply tuple is the
/// original's with addresses and ports swapped, which the lookup index
/// says in its node ([`fast::INV`]), so that the reply's lookup compares
/// against the first line. What only some entries or only some paths use
/// lives beside it: the kernel-bucket links, the mark and the NAT index
/// in `ConntrackTable::cold` (by slot), the counters' high halves in
/// `ConntrackTable::acct_hi` (by slot, under `nf_conntrack_acct`), TCP
/// state, SCTP state and GRE timeouts in `ConntrackTable::tcp`, `sctp`,
/// `gre`, and NAT data in `ConntrackTable::nat` (side slabs indexed from
/// here). Aligned to 128 bytes: the two lines are one aligned pair, which
/// the CPU's adjacent-line prefetcher fetches together.
#[derive(Debug, Clone)]
#[repr(C, align(128))]
struct Entry {
    /// The original tuple.
    t0: Tuple,
    live: bool,
    /// Which [`L4State`] the entry has (`L4K_*`); its payload is `l4v`.
    l4k: u8,
    status: CtStatus,
    gen: u32,
    /// Unconfirmed: relative timeout in ns; confirmed: deadline in ns.
    timeout: u64,
    /// [`L4State`]'s payload: the side-slab index of TCP, SCTP and GRE
    /// entries, UDP's `stream_ts` in ns ([`Entry::l4`]).
    l4v: u64,
    /// The reply tuple (the second line).
    t1: Tuple,
    /// Low 32 bits of each direction's packets and bytes
    /// (`nf_conntrack_acct`; the high halves in `Cold::acct_hi`).
    acct0: [u32; 2],
    acct1: [u32; 2],
}

/// The high 32 bits of each direction's packets and bytes
/// ([`ConntrackTable`]'s `acct_hi`).
type AcctHi = [[u32; 2]; 2];

/// [`Entry::l4k`] values, one per [`L4State`] variant.
const L4K_TCP: u8 = 0;
const L4K_UDP: u8 = 1;
const L4K_ICMP: u8 = 2;
const L4K_SCTP: u8 = 3;
const L4K_GRE: u8 = 4;
const L4K_GENERIC: u8 = 5;

impl Entry {
    /// The tracker's state (`l4k` and `l4v` decoded).
    #[inline(always)]
    fn l4(&self) -> L4State {
        match self.l4k {
            L4K_TCP => L4State::Tcp(self.l4v as u32),
            L4K_UDP => L4State::Udp {
                stream_ts: Instant::from_nanos(self.l4v),
            },
            L4K_ICMP => L4State::Icmp,
            L4K_SCTP => L4State::Sctp(self.l4v as u32),
            L4K_GRE => L4State::Gre(self.l4v as u32),
            _ => L4State::Generic,
        }
    }

    /// Sets the tracker's state (`l4k` and `l4v` encoded).
    #[inline(always)]
    fn set_l4(&mut self, s: L4State) {
        (self.l4k, self.l4v) = match s {
            L4State::Tcp(i) => (L4K_TCP, u64::from(i)),
            L4State::Udp { stream_ts } => (L4K_UDP, stream_ts.as_nanos()),
            L4State::Icmp => (L4K_ICMP, 0),
            L4State::Sctp(i) => (L4K_SCTP, u64::from(i)),
            L4State::Gre(i) => (L4K_GRE, u64::from(i)),
            L4State::Generic => (L4K_GENERIC, 0),
        };
    }

    /// Whether the reply tuple is the original's with addresses and ports
    /// swapped (no NAT changed it): then comparing a tuple with the reply
    /// tuple is comparing it with the original swapped.
    /// (Every field compared, without branches.)
    #[inline]
    fn reply_is_swapped(&self) -> bool {
        let (a, b) = (&self.t0, &self.t1);
        let w = |x: [u8; 16]| u128::from_le_bytes(x);
        let addrs = (w(a.src) ^ w(b.dst)) | (w(a.dst) ^ w(b.src));
        let rest = (a.src_u ^ b.dst_u) | (a.dst_u ^ b.src_u) | u16::from(a.proto ^ b.proto);
        (addrs == 0) & (rest == 0) & (a.family == b.family)
    }

    /// Whether the entry's tuples are in the hash (`nf_conntrack_hash`):
    /// confirmed and not dying (`nf_ct_delete` unhashes it when it marks
    /// it dying). Slots not `live` are checked by the caller.
    #[inline]
    fn hashed(&self) -> bool {
        self.status.contains(CtStatus::CONFIRMED) && !self.status.contains(CtStatus::DYING)
    }

    /// The tuple of direction `d` (0 original, 1 reply), borrowed.
    #[inline]
    fn tuple_ref(&self, d: usize) -> &Tuple {
        if d == 0 {
            &self.t0
        } else {
            &self.t1
        }
    }

    /// The tuple of direction `d` (0 original, 1 reply).
    #[inline]
    fn tuple(&self, d: usize) -> Tuple {
        if d == 0 {
            self.t0
        } else {
            self.t1
        }
    }
}

/// [`ConntrackTable`]'s `miss_tag`: scratch with no meaning between
/// packets, left out of the table's `Debug` text (which the lockstep
/// tests compare: a table the general path alone handled never writes it).
#[derive(Clone, Copy, Default)]
struct MissTag(u32);

impl std::fmt::Debug for MissTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

/// What the kernel-bucket index, the mark and
/// the NAT index keep per slot (not read by an established packet).
#[derive(Debug, Clone, Copy)]
struct Cold {
    /// Kernel-bucket chain links, one per direction (node = idx * 2 + dir).
    next: [u32; 2],
    /// While hashed: the kernel bucket of each tuple (`hash_bucket` over
    /// `nf_conntrack_buckets`), which also says which chain holds it.
    kb: [u32; 2],
    /// While hashed: each tuple's tag in the lookup index (`fast_hash`),
    /// kept so that unhashing (a reclaimed or deleted entry) need not
    /// hash both tuples again.
    tag: [u32; 2],
    /// The `ctmark`.
    mark: u32,
    /// Index in `ConntrackTable::nat`, `NIL` when the entry has no NAT data.
    nat: u32,
}

/// NAT data of an entry (`nf_conn_nat` and the bysource link), only for
/// entries that have a NAT binding.
#[derive(Debug, Clone, Copy)]
struct NatExt {
    /// The entry's slot.
    owner: u32,
    /// bysource chain link (a NAT slab item), `NIL` when not linked.
    src_next: u32,
    /// While in bysource: the hash of the original source (its chain).
    src_hash: u32,
    in_bysource: bool,
    /// `nf_conn_nat.masq_index`: output interface of a MASQUERADE binding.
    masq_index: u32,
}

impl NatExt {
    const NONE: NatExt = NatExt {
        owner: table::NIL,
        src_next: table::NIL,
        src_hash: 0,
        in_bysource: false,
        masq_index: 0,
    };
}

/// The connection tracking table of one network namespace.
///
/// # Memory
///
/// Memory follows the entries held, not the settings: the kernel allocates
/// an entry when a connection comes (`nf_conntrack_alloc`, a slab cache)
/// up to `nf_conntrack_max`, so `nf_conntrack_max = 2147483647` costs
/// nothing until connections arrive. Entries live in a slab (a `Vec`) that
/// grows by doubling: a hot part of [`Self::ENTRY_HOT_BYTES`] (128, two
/// cache lines: the original tuple, status, deadline, the protocol state of
/// UDP, ICMP and generic entries or an index for the others in the first;
/// the reply tuple and the low halves of the counters, kept only under
/// `nf_conntrack_acct`, in the second), with
/// per slot the kernel-bucket links and tags, the mark and the NAT index
/// beside it (32 bytes) and, only under `nf_conntrack_acct`, the counters'
/// high halves (16 bytes), TCP state (52 bytes), SCTP
/// state (16), GRE timeouts (16) and NAT data (16 bytes) in side slabs
/// only for the entries that have them. An established packet reads and
/// writes only the hot part (and the side part when a counter's low half
/// wraps); of a flow without NAT and without accounting, only the first
/// line, in either direction (the lookup index flags the reply nodes of
/// such flows, whose reply tuple is the original swapped). Established
/// packets find their entry through
/// the lookup index: open addressing (linear probing, at most 3/8 full,
/// backward-shift deletion) over `(tag, node)` words, `tag` a fast hash of
/// the whole tuple, grown in step with the slab (8 bytes a slot, 2 nodes
/// an entry). On Linux the slab, its side slabs and both indexes, once
/// 4 MiB or more, grow into allocations advised for transparent huge
/// pages (`madvise(MADV_HUGEPAGE)`): a 1M-entry table then spans about
/// 100 pages instead of 50,000, so a lookup rarely misses the TLB (58 ->
/// 37 ns on the bench); the advice changes no result, and a process that sets
/// `prctl(PR_SET_THP_DISABLE)` turns it off. The kernel-bucket index has as many chains as held entries
/// (a power of two, doubled when the entries outnumber it), at most
/// `nf_conntrack_buckets` (rounded up to a power of two), and is walked
/// where the kernel's buckets show: a new connection's lookup, confirm,
/// the NAT port search (`nf_conntrack_tuple_taken`), `early_drop`. The
/// kernel's buckets stay exact: each hashed tuple records its kernel bucket
/// (`hash_bucket`, a `reciprocal_scale` of its hash over
/// `nf_conntrack_buckets`), chain `b & (chains - 1)` holds all of bucket
/// `b` in the kernel's order (newest first), and every walk that the
/// kernel makes over one bucket (lookup, `early_drop`, reclaiming expired
/// entries met on the way) skips the other buckets sharing its chain. A
/// table that stops growing allocates nothing more: growth is amortised
/// (doubling) and happens only when the table holds more entries than
/// ever before. A growth the allocator refuses drops the packet, as the
/// kernel drops it when `nf_conntrack_alloc` fails (`-ENOMEM` in
/// `init_conntrack`, `NF_DROP` in `nf_conntrack_in`).
///
/// # Examples
///
/// ```
/// use nfsim::conntrack::*;
/// use nfsim::time::Instant;
/// // A UDP datagram 192.0.2.10:52000 -> 203.0.113.53:53 (from a trace).
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 10].into(), [203, 0, 113, 53].into())
///     .udp(52000, 53)
///     .payload(b"q")
///     .build();
/// let meta = nfsim::wire::meta::PacketMeta::parse(&pkt).unwrap();
/// let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
/// let now = Instant::from_millis(0);
/// let r = ct.process(&pkt, &meta, Hook::PreRouting, now);
/// assert_eq!(r.slot.state_bits(), CtStates::NEW);
/// let h = r.slot.handle().unwrap();
/// assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
/// assert_eq!(ct.proc_entry(h).unwrap().to_string(),
///     "ipv4 udp src=192.0.2.10 dst=203.0.113.53 sport=52000 dport=53 [UNREPLIED] \
///      src=203.0.113.53 dst=192.0.2.10 sport=53 dport=52000 mark=0");
/// assert_eq!(ct.remaining_secs(h, now), Some(30));
/// ```
#[derive(Debug)]
pub struct ConntrackTable {
    cfg: Config,
    entries: Vec<Entry>,
    /// Per slot, beside `entries`: kernel-bucket links and counters.
    cold: Vec<Cold>,
    /// Per slot, under `nf_conntrack_acct` only (empty otherwise): the high
    /// 32 bits of each direction's packets and bytes (the low halves in the
    /// entry's second line; a packet updates these only when a low half
    /// wraps).
    acct_hi: Vec<AcctHi>,
    /// Free slots; its capacity is kept at least `entries.len()`, so
    /// freeing never allocates.
    free: Vec<u32>,
    /// TCP state of TCP entries (`L4State::Tcp`).
    tcp: table::Side<TcpCt>,
    /// SCTP state of SCTP entries (`L4State::Sctp`).
    sctp: table::Side<sctp::SctpCt>,
    /// GRE timeouts of GRE entries (`L4State::Gre`).
    gre: table::Side<(Duration, Duration)>,
    /// NAT data of entries with a binding (`Entry::nat`).
    nat: table::Side<NatExt>,
    /// The lookup index over both tuples of every confirmed entry (see
    /// "Memory").
    fast: fast::FastIndex,
    /// Chains of the kernel-bucket index (a power of two; see "Memory").
    heads: Vec<u32>,
    /// Chains of the bysource index (a power of two), by source hash.
    src_heads: Vec<u32>,
    /// Most chains either index grows to.
    max_chains: usize,
    /// Entries in the hash index / in the bysource index.
    hashed: u32,
    in_src: u32,
    /// Killed entries still referenced by the packet being processed;
    /// reclaimed at the next `process` (capacity kept like `free`'s).
    dying: Vec<u32>,
    count: u32,
    last_sweep: Option<Instant>,
    /// Bumped whenever the kernel-bucket index or the deadline of a
    /// confirmed entry may change: equal epochs and times mean equal
    /// outcomes of a bucket walk.
    epoch: u64,
    /// The new entry `process` made last, after walking its original
    /// tuple's bucket (the handle, its time and the epoch then): confirm
    /// need not walk that bucket again while nothing changed.
    walked: Option<(CtHandle, Instant, u64)>,
    /// Scratch: the [`fast::fast_hash`] of the tuple last looked up in the
    /// lookup index (`find`, or an established path that found it absent):
    /// `process_general`'s new entry keeps it for `hash_insert`.
    miss_tag: MissTag,
    /// `cfg.hash_seed` as [`Tuple::ct_hash`] uses it.
    ct_seed: tuple::CtSeed,
    /// Helpers attached to entries, masters, expectations (`helper.rs`).
    helpers: helper::Helpers,
    /// Timeout policies and the entries that use one (`timeout.rs`).
    timeouts: timeout::Timeouts,
}

impl ConntrackTable {
    /// Bytes of an entry's hot part (the slab's element: two cache lines).
    ///
    /// ```
    /// assert_eq!(nfsim::conntrack::ConntrackTable::ENTRY_HOT_BYTES, 128);
    /// ```
    pub const ENTRY_HOT_BYTES: usize = core::mem::size_of::<Entry>();

    /// `nf_ct_refresh_acct`: the new deadline, and the packet counted
    /// when the table counts (`hi`, the entry's high halves, is there only
    /// under `nf_conntrack_acct`).
    #[inline(always)]
    fn refresh(
        hi: Option<&mut AcctHi>,
        e: &mut Entry,
        extra: Duration,
        now: Instant,
        dir: Dir,
        len: usize,
    ) {
        Self::set_deadline(e, extra, now);
        Self::acct(hi, e, dir, len);
    }

    /// `nf_ct_refresh`'s new deadline (`__nf_ct_refresh_acct`): `extra`
    /// from now for a confirmed entry, `extra` itself (a relative timeout)
    /// for an unconfirmed one, unchanged under `IPS_FIXED_TIMEOUT`.
    #[inline(always)]
    fn set_deadline(e: &mut Entry, extra: Duration, now: Instant) {
        if !e.status.contains(CtStatus::FIXED_TIMEOUT) {
            e.timeout = if e.status.contains(CtStatus::CONFIRMED) {
                now.as_nanos().saturating_add(extra.as_nanos())
            } else {
                extra.as_nanos()
            };
        }
    }

    /// Counts a packet of `len` bytes (`nf_ct_acct_update`): 64-bit
    /// counters, the low halves in the entry, carries into `hi`; nothing
    /// without `hi`, which the table keeps only under `nf_conntrack_acct`
    /// (the kernel adds the accounting extension at `init_conntrack` only
    /// then; the setting is the table's for its life).
    #[inline(always)]
    fn acct(hi: Option<&mut AcctHi>, e: &mut Entry, dir: Dir, len: usize) {
        let Some(hi) = hi else {
            return;
        };
        let lo = if dir.idx() == 0 {
            &mut e.acct0
        } else {
            &mut e.acct1
        };
        let pkts = u64::from(lo[0]) + 1;
        let bytes = u64::from(lo[1]) + len as u64;
        lo[0] = pkts as u32;
        lo[1] = bytes as u32;
        // The high halves, another cache line, only for a carry.
        if (pkts | bytes) >> 32 != 0 {
            let hi = &mut hi[dir.idx()];
            hi[0] = hi[0].wrapping_add((pkts >> 32) as u32);
            hi[1] = hi[1].wrapping_add((bytes >> 32) as u32);
        }
    }

    /// The 64-bit counters of direction `d` (packets, bytes).
    fn acct_of(e: &Entry, hi: &AcctHi, d: usize) -> (u64, u64) {
        let lo = if d == 0 { e.acct0 } else { e.acct1 };
        let hi = hi[d];
        (
            (u64::from(hi[0]) << 32) | u64::from(lo[0]),
            (u64::from(hi[1]) << 32) | u64::from(lo[1]),
        )
    }

    // ---- nf_conntrack_in ----

    /// Runs a packet through connection tracking (`nf_conntrack_in`).
    ///
    /// `pkt` is the whole L3 packet (trimmed to the IP length) and `meta`
    /// the host's one parse of it ([`PacketMeta::parse`]: protocol,
    /// transport offset, fragment offset; the addresses are read from
    /// `pkt`). `hook` is where this runs: `nf_conntrack_in` runs in
    /// [`Hook::PreRouting`] and [`Hook::LocalOut`]; checksums are verified
    /// only in PREROUTING, if `nf_conntrack_checksum` (any other hook is
    /// taken as OUTPUT). A new entry is created unconfirmed; the
    /// caller must later [`confirm`](Self::confirm) or
    /// [`discard_unconfirmed`](Self::discard_unconfirmed) it.
    ///
    /// The verdict is `Drop` only when the table is full and `early_drop`
    /// finds nothing to evict; INVALID packets are accepted with
    /// [`CtSlot::Invalid`], as the kernel does.
    #[inline]
    pub fn process(&mut self, pkt: &[u8], meta: &PacketMeta, hook: Hook, now: Instant) -> CtResult {
        self.process_tmpl(pkt, meta, hook, now, None)
    }

    /// [`Self::process`] for a packet carrying a `-j CT` template
    /// ([`CtSlot::Template`]): a new connection gets its helper
    /// (`init_conntrack`, `__nf_ct_try_assign_helper`) unless an
    /// expectation claims it.
    #[inline(always)]
    pub fn process_tmpl(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
        tmpl: Option<CtTemplate>,
    ) -> CtResult {
        // An established UDP flow's packet in the default zone (fast.rs),
        // or TCP (fast_tcp.rs), same outcome.
        let absent = if tmpl.is_none() {
            let fast = if meta.protocol.0 == proto::TCP {
                self.established_tcp(pkt, meta, hook, now)
            } else {
                self.established_udp(pkt, meta, hook, now)
            };
            match fast {
                Ok(r) => return r,
                // A tuple the lookup index does not hold: a new
                // connection (`new_conn4`).
                Err(true) => return self.new_conn4(pkt, meta, hook, now),
                Err(absent) => absent,
            }
        } else {
            false
        };
        self.process_general(pkt, meta, hook, now, tmpl, absent)
    }

    /// A new IPv4 UDP or TCP connection (`resolve_normal_ct`'s miss,
    /// `init_conntrack`, the tracker's first packet: net/netfilter/
    /// nf_conntrack_core.c, nf_conntrack_proto_udp.c's
    /// `nf_conntrack_udp_packet`, nf_conntrack_proto_tcp.c's
    /// `nf_conntrack_tcp_packet`) in the usual table: no template, no
    /// zone, no timeout policy, no expectation, no dying entry, below
    /// `nf_conntrack_max`, a tuple the lookup index does not hold
    /// (`absent`, from the established path; for UDP, a packet
    /// `udp_error` accepts). The same steps as [`Self::process_general`]
    /// takes for it, in its order (the bucket walk, reclaiming; the entry;
    /// the tracker), with none of its other cases; for any other packet
    /// or table, having changed nothing, the general path. The tests
    /// `new_udp4_agrees_with_the_general_path` (table, and NAT lockstep)
    /// run both on the same packets and compare verdicts and tables.
    /// One function a protocol (`new_udp4`, `new_tcp4`): the UDP one
    /// without the TCP tracker's code.
    #[inline(always)]
    fn new_conn4(&mut self, pkt: &[u8], meta: &PacketMeta, hook: Hook, now: Instant) -> CtResult {
        if meta.protocol.0 == proto::TCP {
            self.new_tcp4(pkt, meta, hook, now)
        } else {
            self.new_udp4(pkt, meta, hook, now)
        }
    }

    /// [`Self::new_conn4`] of a UDP packet.
    #[inline(never)]
    fn new_udp4(&mut self, pkt: &[u8], meta: &PacketMeta, hook: Hook, now: Instant) -> CtResult {
        match self.new_conn4_or_none::<true>(pkt, meta, hook, now) {
            Some(r) => r,
            None => self.process_general(pkt, meta, hook, now, None, true),
        }
    }

    /// [`Self::new_conn4`] of a TCP packet.
    #[inline(never)]
    fn new_tcp4(&mut self, pkt: &[u8], meta: &PacketMeta, hook: Hook, now: Instant) -> CtResult {
        match self.new_conn4_or_none::<false>(pkt, meta, hook, now) {
            Some(r) => r,
            None => self.process_general(pkt, meta, hook, now, None, true),
        }
    }

    /// [`Self::new_conn4`] (`UDP`: of a UDP packet, else TCP), `None` for
    /// the general path.
    #[inline(always)]
    fn new_conn4_or_none<const UDP: bool>(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
    ) -> Option<CtResult> {
        #[cfg(test)]
        if table::NO_NEW_FAST.with(|w| w.get()) {
            return None;
        }
        let p = if UDP { proto::UDP } else { proto::TCP };
        // What the general path would do otherwise: reap a dying entry,
        // look an expectation up, give the entry a zone or a policy
        // (`init_helper`), make room (the walk below only frees slots).
        // (Tests without side effects, or'ed without branches.)
        if (meta.fragoff != 0)
            | (meta.family != Family::Ipv4)
            | (meta.protocol.0 != p)
            | !self.dying.is_empty()
            | self.helpers.has_zones()
            | !self.timeouts.is_empty()
            | !self.helpers.exps.is_empty()
            | self.full()
        {
            return None;
        }
        let l4 = pkt.get(meta.thoff..)?;
        let (Some(&[p0, p1, p2, p3]), Some(Ok(a))) =
            (l4.get(..4), pkt.get(12..20).map(<[u8; 8]>::try_from))
        else {
            return None;
        };
        let le = u64::from_le_bytes(a);
        let udp = UDP;
        // udp_error (`udp::error_udp`, as the established path checks it):
        // an INVALID packet takes the general path (which allocates the
        // entry and frees it again). TCP's `tcp_error` runs in the
        // tracker, below, as on the general path.
        let verify = hook == Hook::PreRouting && self.cfg.checksum;
        if udp && udp::error_udp(l4, (le >> 32) + (le & 0xffff_ffff), verify) {
            return None;
        }
        let t = Tuple {
            family: Family::Ipv4,
            src: u128::from(le as u32).to_le_bytes(),
            dst: u128::from((le >> 32) as u32).to_le_bytes(),
            proto: p,
            src_u: u16::from_be_bytes([p0, p1]),
            dst_u: u16::from_be_bytes([p2, p3]),
        };
        debug_assert_eq!(Some(t), packet_tuple_at(pkt, meta, p, l4));
        let reply = Tuple {
            src: t.dst,
            dst: t.src,
            src_u: t.dst_u,
            dst_u: t.src_u,
            ..t
        };
        let zone = helper::Zone::default();
        // The bucket walk (`find_kb`, or nothing to walk: `walk_free`).
        // It cannot find the tuple: every hashed node is in the lookup
        // index, which does not hold it (`absent`); it reclaims
        // (`reclaim_kb`). The reply tuple's bucket, which confirm needs,
        // is hashed beside the original's (two independent jhash chains
        // side by side); NAT makes it unknown again if it alters the
        // reply tuple before confirm.
        let kbs = if self.walk_free(zone, now) {
            [table::KB_UNKNOWN; 2]
        } else {
            let kbs = [self.kbucket(&t, 0), self.kbucket(&reply, 0)];
            self.reclaim_kb(kbs[0], now);
            // Walked again, it reclaims nothing more and finds nothing.
            debug_assert!(self.find_kb(&t, kbs[0], zone, now).is_none());
            kbs
        };
        let l4s = if udp {
            L4State::Udp {
                stream_ts: now + udp::STREAM_AFTER,
            }
        } else {
            L4State::Tcp(table::NIL)
        };
        let Some(idx) = self.alloc([t, reply], kbs, l4s) else {
            return Some(CtResult {
                verdict: CtVerdict::Drop,
                slot: CtSlot::Invalid,
            });
        };
        let handle = self.handle_of(idx);
        self.walked = Some((handle, now, self.epoch));
        // `init_helper` has nothing to do (no template, zone, policy or
        // expectation); the entry's status is empty: NEW.
        let entry = CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Entry {
                handle,
                info: CtInfo::New,
            },
        };
        if udp {
            // nf_conntrack_udp_packet's first packet: stream_ts 2 s on
            // (set above), the unreplied timeout (relative until
            // confirm: `refresh` of an unconfirmed entry), the counters.
            let e = &mut self.entries[idx as usize];
            debug_assert!(e.status.is_empty());
            e.timeout = self.cfg.udp_timeout.as_nanos();
            Self::acct(
                self.acct_hi.get_mut(idx as usize),
                e,
                Dir::Original,
                pkt.len(),
            );
            return Some(entry);
        }
        // The tracker as the general path runs it, and its outcome.
        let prerouting = hook == Hook::PreRouting;
        let res = self.l4_packet(
            idx,
            Dir::Original,
            l4,
            meta,
            &t.src,
            &t.dst,
            prerouting,
            now,
            pkt.len(),
        );
        Some(match res {
            L4Res::Ok => entry,
            L4Res::Invalid => {
                self.delete(idx, false);
                CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Invalid,
                }
            }
            L4Res::Repeat => {
                // The general path's second try.
                self.delete(idx, false);
                self.process_from(pkt, meta, hook, now, None, false, true)
            }
            L4Res::Kill => {
                self.delete(idx, true);
                entry
            }
        })
    }

    /// [`Self::process_tmpl`] for any packet (the general path). `absent`:
    /// the lookup index is known not to hold the packet's tuple (whose
    /// `fast_hash` the established path left in `miss_tag`).
    #[inline(always)]
    fn process_general(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
        tmpl: Option<CtTemplate>,
        absent: bool,
    ) -> CtResult {
        self.process_from(pkt, meta, hook, now, tmpl, absent, false)
    }

    /// [`Self::process_general`]; `repeated`: a first try of the packet
    /// got `-NF_REPEAT` (`nf_conntrack_in` tries once more, then drops).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn process_from(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
        tmpl: Option<CtTemplate>,
        mut absent: bool,
        mut repeated: bool,
    ) -> CtResult {
        self.reap_dying();
        // nf_ct_zone_tmpl: the template's zone (both directions), else the
        // default zone.
        let zone = tmpl.map_or(helper::Zone::default(), |t| t.zone());
        let invalid = CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Invalid,
        };
        // get_l4proto: non-first fragments, and IPv6 packets whose
        // extension header chain ends in "no next header", get no conntrack.
        if meta.fragoff != 0 || (meta.family == Family::Ipv6 && meta.protocol == IpProtocol::NONE) {
            return invalid;
        }
        let Some(l4) = pkt.get(meta.thoff..) else {
            return invalid;
        };
        let prerouting = hook == Hook::PreRouting;
        let p = meta.protocol.0;
        let icmp_of_family = icmp::is_icmp_of(meta.family, p);
        if matches!(
            (meta.family, p),
            (Family::Ipv4, proto::ICMPV6) | (Family::Ipv6, proto::ICMP)
        ) {
            // nf_conntrack_icmp_packet / icmpv6: wrong family -> -NF_ACCEPT.
            return invalid;
        }

        // nf_conntrack_handle_icmp
        if icmp_of_family {
            let (src, dst) = meta.addrs(pkt);
            match self.icmp_error(l4, meta, &src, &dst, prerouting, now, zone) {
                IcmpPre::Invalid => return invalid,
                IcmpPre::Untracked => {
                    return CtResult {
                        verdict: CtVerdict::Accept,
                        slot: CtSlot::Untracked,
                    }
                }
                IcmpPre::Related(slot) => {
                    return CtResult {
                        verdict: CtVerdict::Accept,
                        slot,
                    }
                }
                IcmpPre::NotError => {}
            }
        }

        // nf_ct_get_tuple
        let Some(tuple) = packet_tuple_at(pkt, meta, p, l4) else {
            return invalid;
        };
        let (src, dst) = (&tuple.src, &tuple.dst);

        loop {
            // resolve_normal_ct: the lookup index first; a tuple it does
            // not hold is a new connection, whose kernel bucket
            // (hash_conntrack_raw: one jhash2 for the bucket walk,
            // early_drop and, kept in the entry, confirm) is walked as
            // __nf_conntrack_find_get walks it, reclaiming expired entries
            // (in a small slab with nothing to reclaim, `walk_free`, the
            // jhash waits for confirm or make_room; a dropped packet's
            // entry never needs it).
            let hit = if absent {
                absent = false;
                None
            } else {
                self.find(&tuple, zone, now)
            };
            let found = match hit {
                Some(f) => Ok(f),
                // The bucket walk would find nothing (the lookup index,
                // which holds every hashed node, does not hold the tuple)
                // and reclaim nothing (`walk_free`): the bucket is needed
                // only at confirm, or by `make_room`.
                None if self.walk_free(zone, now) => Err((0, table::KB_UNKNOWN)),
                None => {
                    let hash = self.hash_z(&tuple, zone.id_for(0));
                    let kb = table::reciprocal_scale(hash, self.cfg.buckets);
                    self.find_kb(&tuple, kb, zone, now).ok_or((hash, kb))
                }
            };
            let (idx, dir, created) = match found {
                Ok((idx, dir)) => (idx, dir, false),
                Err((hash, kb)) => {
                    // nf_ct_invert_tuple: a TCP or UDP tuple's swaps its
                    // addresses and ports (written here, not through
                    // `Tuple::invert`'s protocol cases).
                    let reply = if p == proto::TCP || p == proto::UDP {
                        Tuple {
                            family: tuple.family,
                            src: tuple.dst,
                            dst: tuple.src,
                            proto: p,
                            src_u: tuple.dst_u,
                            dst_u: tuple.src_u,
                        }
                    } else {
                        let Some(reply) = tuple.invert() else {
                            return invalid;
                        };
                        reply
                    };
                    debug_assert_eq!(Some(reply), tuple.invert());
                    // Below the limit (the usual case): nothing to reclaim
                    // or evict first.
                    if self.full() && self.make_room(hash, kb, &tuple, zone, now) {
                        return CtResult {
                            verdict: CtVerdict::Drop,
                            slot: CtSlot::Invalid,
                        };
                    }
                    let l4s = match p {
                        proto::TCP => L4State::Tcp(table::NIL),
                        proto::UDP | proto::UDPLITE => L4State::Udp {
                            stream_ts: now + udp::STREAM_AFTER,
                        },
                        _ if icmp_of_family => L4State::Icmp,
                        proto::SCTP => L4State::Sctp(table::NIL),
                        proto::GRE => L4State::Gre(table::NIL),
                        _ => L4State::Generic,
                    };
                    // nf_conntrack_alloc failing (-ENOMEM): NF_DROP.
                    // The reply tuple's bucket, which confirm needs, hashed
                    // beside the original's when that was (as `new_conn4`
                    // does), in the default zone (a zone is set below, by
                    // `init_helper`: confirm reads it then).
                    let kb1 = if kb == table::KB_UNKNOWN || zone != helper::Zone::default() {
                        table::KB_UNKNOWN
                    } else {
                        self.kbucket(&reply, 0)
                    };
                    let Some(idx) = self.alloc([tuple, reply], [kb, kb1], l4s) else {
                        return CtResult {
                            verdict: CtVerdict::Drop,
                            slot: CtSlot::Invalid,
                        };
                    };
                    // Its bucket was walked above (find_kb), with nothing
                    // hashed or refreshed since.
                    self.walked = Some((self.handle_of(idx), now, self.epoch));
                    self.init_helper(idx, &tuple, tmpl, now);
                    (idx, Dir::Original, true)
                }
            };
            let handle = self.handle_of(idx);
            let info = CtInfo::of(self.entries[idx as usize].status, dir);

            // nf_conntrack_handle_packet
            let res = self.l4_packet(idx, dir, l4, meta, src, dst, prerouting, now, pkt.len());
            match res {
                L4Res::Invalid => {
                    if created {
                        self.delete(idx, false);
                    }
                    return invalid;
                }
                L4Res::Repeat if !repeated => {
                    repeated = true;
                    self.delete(idx, false);
                    continue;
                }
                L4Res::Repeat => {
                    return CtResult {
                        verdict: CtVerdict::Drop,
                        slot: CtSlot::Invalid,
                    }
                }
                L4Res::Ok => {}
                L4Res::Kill => {
                    if info == CtInfo::EstablishedReply {
                        self.entries[idx as usize]
                            .status
                            .insert(CtStatus::SEEN_REPLY);
                    }
                    self.delete(idx, true);
                    return CtResult {
                        verdict: CtVerdict::Accept,
                        slot: CtSlot::Entry { handle, info },
                    };
                }
            }
            if info == CtInfo::EstablishedReply {
                self.entries[idx as usize]
                    .status
                    .insert(CtStatus::SEEN_REPLY);
            }
            return CtResult {
                verdict: CtVerdict::Accept,
                slot: CtSlot::Entry { handle, info },
            };
        }
    }

    /// A new connection while the table is full: every expired entry
    /// reclaimed (the GC), then `early_drop`; `true` when the table is
    /// still full (the packet is dropped).
    #[cold]
    #[inline(never)]
    fn make_room(
        &mut self,
        hash: u32,
        kb: u32,
        tuple: &Tuple,
        zone: helper::Zone,
        now: Instant,
    ) -> bool {
        // The hash `process` did not need (`walk_free`).
        let hash = if kb == table::KB_UNKNOWN {
            self.hash_z(tuple, zone.id_for(0))
        } else {
            hash
        };
        self.sweep_expired(now);
        if self.full() && self.cfg.max != 0 && !self.early_drop(hash, now) {
            return true;
        }
        self.full()
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn l4_packet(
        &mut self,
        idx: u32,
        dir: Dir,
        l4: &[u8],
        meta: &PacketMeta,
        src: &[u8; 16],
        dst: &[u8; 16],
        prerouting: bool,
        now: Instant,
        len: usize,
    ) -> L4Res {
        // nf_ct_timeout_lookup: the entry's policy, else the namespace's
        // timeouts.
        let gen = self.entries.get(idx as usize).map_or(0, |e| e.gen);
        let cfg = self.timeouts.of(idx, gen).unwrap_or(&self.cfg);
        let Some(e) = self.entries.get_mut(idx as usize) else {
            return L4Res::Invalid;
        };
        // The counters' high halves, under `nf_conntrack_acct` (the
        // namespace's: a policy sets timeouts only).
        let hi = self.acct_hi.get_mut(idx as usize);
        let confirmed = e.status.contains(CtStatus::CONFIRMED);
        if confirmed {
            // A confirmed entry's deadline may change below.
            self.epoch = self.epoch.wrapping_add(1);
        }
        let verify = prerouting && cfg.checksum;
        let verdict = match e.l4() {
            L4State::Tcp(ti) => {
                let Some(st) = self.tcp.get_mut(ti) else {
                    return L4Res::Invalid;
                };
                let seqadj = if e.status.contains(CtStatus::SEQ_ADJUST) {
                    self.helpers.seqadj(CtHandle { idx, gen: e.gen })
                } else {
                    None
                };
                let ctx = TcpCtx {
                    cfg,
                    family: meta.family,
                    src,
                    dst,
                    prerouting,
                    seqadj,
                };
                let out = tcp::packet(st, &mut e.status, dir, l4, &ctx);
                return Self::tcp_outcome(hi, e, out, now, dir, len);
            }
            L4State::Udp { mut stream_ts } => {
                let l4 = udp::Seg {
                    l4,
                    proto: meta.protocol.0,
                    family: meta.family,
                    src,
                    dst,
                };
                let v = udp::packet(&mut stream_ts, e.status, confirmed, &l4, verify, cfg, now);
                e.set_l4(L4State::Udp { stream_ts });
                v
            }
            L4State::Icmp => icmp::packet(meta.family, e.t0.icmp_type(), confirmed, cfg),
            L4State::Sctp(si) => {
                let Some(st) = self.sctp.get_mut(si) else {
                    return L4Res::Invalid;
                };
                sctp::packet(st, confirmed, dir, l4, cfg, verify)
            }
            L4State::Gre(gi) => {
                let Some(&(timeout, stream_timeout)) = self.gre.get(gi) else {
                    return L4Res::Invalid;
                };
                gre::packet(timeout, stream_timeout, e.status)
            }
            L4State::Generic => L4Verdict::Refresh(cfg.generic_timeout),
        };
        match verdict {
            L4Verdict::Invalid => L4Res::Invalid,
            L4Verdict::Accept => L4Res::Ok,
            L4Verdict::Refresh(t) => {
                Self::refresh(hi, e, t, now, dir, len);
                L4Res::Ok
            }
            L4Verdict::RefreshAssured(t) => {
                e.status.insert(CtStatus::ASSURED);
                Self::refresh(hi, e, t, now, dir, len);
                L4Res::Ok
            }
        }
    }

    /// What `nf_conntrack_tcp_packet`'s outcome does to the entry
    /// (`nf_ct_refresh_acct`, `nf_ct_kill_acct`'s accounting,
    /// `nf_tcp_handle_invalid`'s shortened timeout), as the general path
    /// and the established TCP path (`fast_tcp.rs`) apply it.
    #[inline(always)]
    fn tcp_outcome(
        hi: Option<&mut AcctHi>,
        e: &mut Entry,
        out: tcp::TcpOutcome,
        now: Instant,
        dir: Dir,
        len: usize,
    ) -> L4Res {
        match out.verdict {
            TcpVerdict::Refresh(t) => {
                Self::refresh(hi, e, t, now, dir, len);
                L4Res::Ok
            }
            TcpVerdict::Accept => L4Res::Ok,
            TcpVerdict::Kill => {
                Self::acct(hi, e, dir, len);
                L4Res::Kill
            }
            TcpVerdict::Repeat => L4Res::Repeat,
            TcpVerdict::Invalid => {
                if let Some(unack) = out.shrink_to {
                    // nf_tcp_handle_invalid: only when more than
                    // 120 s remain and more than the unack timeout.
                    if e.status.contains(CtStatus::CONFIRMED) {
                        let rem = e.timeout.saturating_sub(now.as_nanos());
                        if rem >= Duration::from_secs(120).as_nanos() && rem > unack.as_nanos() {
                            e.timeout = now.as_nanos().saturating_add(unack.as_nanos());
                        }
                    }
                }
                L4Res::Invalid
            }
        }
    }

    // ---- helpers and expectations ----

    /// Whether an expectation's master is still there (`nf_ct_remove_expectations`
    /// unlinks a dying master's expectations).
    fn master_alive(&self, m: CtHandle, now: Instant) -> bool {
        self.get(m)
            .is_some_and(|e| !e.status.contains(CtStatus::DYING) && !Self::is_expired(e, now))
    }

    /// `init_conntrack`: an expectation for the new entry's tuple
    /// (`nf_ct_find_expectation`) makes it `IPS_EXPECTED` with the
    /// master's mark; else the template's helper is attached
    /// (`__nf_ct_try_assign_helper`, which also sets `IPS_HELPER`).
    fn init_helper(&mut self, idx: u32, t: &Tuple, tmpl: Option<CtTemplate>, now: Instant) {
        let h = self.handle_of(idx);
        let zone = tmpl.map_or(helper::Zone::default(), |t| t.zone());
        // __nf_conntrack_alloc: ct->zone from the template.
        self.helpers.set_zone(h, zone);
        // init_conntrack: nf_ct_timeout_ext_add with the template's policy.
        self.timeouts.set(h, tmpl.and_then(|t| t.timeout));
        let mut exp = None;
        if !self.helpers.exps.is_empty() {
            let mut helpers = core::mem::take(&mut self.helpers);
            helpers.purge(now, |m| self.master_alive(m, now));
            exp = helpers.take(t, zone.id, |m| {
                self.get(m)
                    .is_some_and(|e| e.status.contains(CtStatus::CONFIRMED))
            });
            self.helpers = helpers;
        }
        if let Some(x) = exp {
            let mark = self
                .get(x.master)
                .map_or(0, |_| self.cold[x.master.idx as usize].mark);
            self.entries[idx as usize].status.insert(CtStatus::EXPECTED);
            self.cold[idx as usize].mark = mark;
            self.helpers.attach(h, None, Some((x.master, x.helper)));
            if let Some((dir, port)) = x.follow {
                self.helpers.follow = Some((h, x.master, dir, port));
            }
        } else if let Some(k) = tmpl.and_then(|t| t.helper) {
            self.entries[idx as usize].status.insert(CtStatus::HELPER);
            self.helpers.attach(h, Some(k), None);
        }
    }

    /// The helper step of `nf_confirm` (net/netfilter/nf_conntrack_proto.c),
    /// run at the end of INPUT and POSTROUTING before
    /// [`confirm`](Self::confirm): the entry's helper (`helper->help`) looks
    /// at every packet but `IP_CT_RELATED_REPLY` ones and may register an
    /// expectation (`nf_ct_expect_related`) or drop the packet. Nothing is
    /// allocated unless an expectation is registered.
    ///
    /// On a NATed ftp connection, `nf_nat_ftp` rewrites the command in
    /// `pkt` (which may grow; `meta` is parsed again) and an entry with
    /// `IPS_SEQ_ADJUST` has its seq/ack shifted after the helper
    /// (`nf_ct_seq_adjust`); `at` says where the packet is (see [`HelpAt`]).
    pub fn help(
        &mut self,
        slot: CtSlot,
        pkt: &mut Vec<u8>,
        meta: &mut PacketMeta,
        mut at: HelpAt<'_>,
        now: Instant,
    ) -> HelpVerdict {
        let CtSlot::Entry { handle, info } = slot else {
            return HelpVerdict::Accept;
        };
        if info == CtInfo::RelatedReply {
            return HelpVerdict::Accept;
        }
        let v = self.help_inner(handle, info, pkt, meta, &mut at, now);
        if v != HelpVerdict::Accept {
            return v;
        }
        // nf_confirm: nf_ct_seq_adjust when IPS_SEQ_ADJUST.
        // (not for a packet on a loopback device: nf_is_loopback_packet).
        if !at.loopback
            && self
                .get(handle)
                .is_some_and(|e| e.status.contains(CtStatus::SEQ_ADJUST))
        {
            if let Some(adj) = self.helpers.seqadj(handle) {
                let d = info.dir().idx();
                let partial = *at.csum_partial;
                if !ftpnat::seq_adjust(pkt, meta.thoff, &adj[d], &adj[1 - d], partial) {
                    return HelpVerdict::Unsupported(
                        "nf_ct_seq_adjust: a partial TCP option (NF_DROP without a log line)",
                    );
                }
            }
        }
        HelpVerdict::Accept
    }

    fn help_inner(
        &mut self,
        handle: CtHandle,
        info: CtInfo,
        pkt: &mut Vec<u8>,
        meta: &mut PacketMeta,
        at: &mut HelpAt<'_>,
        now: Instant,
    ) -> HelpVerdict {
        let Some(kind) = self.helpers.helper(handle) else {
            return HelpVerdict::Accept;
        };
        let (Some(e), Some(l4)) = (self.get(handle), pkt.get(meta.thoff..)) else {
            return HelpVerdict::Accept;
        };
        let tuples = [e.t0, e.t1];
        let nat = e.status.intersects(CtStatus::SRC_NAT | CtStatus::DST_NAT);
        let mut mangle = None;
        let tuple = match kind {
            HelperKind::Ftp => {
                let established = matches!(info, CtInfo::Established | CtInfo::EstablishedReply);
                match helper::ftp_help(
                    &mut self.helpers,
                    handle,
                    info.dir(),
                    established,
                    tuples,
                    l4,
                ) {
                    Err(why) => return HelpVerdict::Drop(kind, why),
                    Ok(None) => return HelpVerdict::Accept,
                    Ok(Some(x)) => {
                        mangle = Some((x.matchoff, x.matchlen, x.ftptype));
                        x.tuple
                    }
                }
            }
            HelperKind::Tftp => match helper::tftp_help(tuples, l4) {
                None => return HelpVerdict::Accept,
                Some(t) => t,
            },
            HelperKind::Unmodelled(name) => {
                let why = UNMODELLED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("conntrack helper not modelled", |(_, w)| w);
                return HelpVerdict::Unsupported(why);
            }
        };
        if nat {
            // nf_nat_ftp / nf_nat_tftp (ct->status & IPS_NAT_MASK).
            let why = match (kind, tuple.family) {
                (HelperKind::Ftp, Family::Ipv4) if *at.csum_partial || at.loopback => Some(
                    "ftp helper on a NATed connection: nf_nat_ftp on a locally sent or looped packet",
                ),
                (HelperKind::Ftp, Family::Ipv4) => None,
                (HelperKind::Ftp, _) => Some("ftp helper on a NATed IPv6 connection (nf_nat_ftp)"),
                (HelperKind::Tftp, Family::Ipv6) => {
                    Some("tftp helper on a NATed IPv6 connection (nf_nat_tftp)")
                }
                // nf_nat_tftp.c help: no payload to rewrite, only the
                // expectation's NAT (below).
                _ => None,
            };
            if let Some(why) = why {
                return HelpVerdict::Unsupported(why);
            }
        }
        let zone = self.zone_of(handle.idx).id;
        let mut helpers = core::mem::take(&mut self.helpers);
        helpers.purge(now, |m| self.master_alive(m, now));
        let ok = helpers.expect_related(
            helper::Expect {
                master: handle,
                helper: kind,
                tuple,
                src_addr_mask: true,
                src_port_mask: 0,
                deadline: 0,
                zone,
                // nf_nat_ftp: exp->dir = !dir, saved_proto = the port the
                // command named; nf_nat_tftp: exp->dir = IP_CT_DIR_REPLY,
                // saved_proto = the original tuple's source port; both
                // expectfn = nf_nat_follow_master.
                follow: nat.then_some(if kind == HelperKind::Tftp {
                    (1, tuples[0].src_u)
                } else {
                    (1 - info.dir().idx(), tuple.dst_u)
                }),
            },
            helper::expect_max(self.cfg.buckets),
            now,
        );
        self.helpers = helpers;
        match (ok, nat) {
            (Ok(()), false) => HelpVerdict::Accept,
            (Err(_), false) => HelpVerdict::Drop(kind, "cannot add expectation"),
            // nf_nat_tftp: nf_ct_expect_related or NF_DROP, nothing mangled.
            (Ok(()), true) if kind == HelperKind::Tftp => HelpVerdict::Accept,
            (Err(_), true) if kind == HelperKind::Tftp => {
                HelpVerdict::Drop(kind, "cannot add expectation")
            }
            // nf_nat_exp_find_port: after -EBUSY, random ports.
            (Err(true), true) => HelpVerdict::Unsupported(
                "nf_nat_ftp: the expected port is taken (random port search not modelled)",
            ),
            (Err(false), true) => HelpVerdict::Drop(kind, "all ports in use"),
            (Ok(()), true) => {
                let v =
                    self.nat_ftp_mangle(handle, info, pkt, meta, (mangle, tuple.dst_u), at.local);
                if v == HelpVerdict::Accept && !at.local {
                    *at.csum_partial = true;
                }
                v
            }
        }
    }

    /// The end of `nf_nat_ftp`: the command text with the address the
    /// packet goes to (`ct->tuplehash[!dir].tuple.dst.u3`) and the port
    /// (`nf_nat_ftp_fmt_cmd`), `nf_nat_mangle_tcp_packet`.
    fn nat_ftp_mangle(
        &mut self,
        handle: CtHandle,
        info: CtInfo,
        pkt: &mut Vec<u8>,
        meta: &mut PacketMeta,
        (mangle, port): (Option<(usize, usize, u8)>, u16),
        local: bool,
    ) -> HelpVerdict {
        let (Some(e), Some((off, len, ty))) = (self.get(handle), mangle) else {
            return HelpVerdict::Accept;
        };
        let d = info.dir().idx();
        let t = if d == 0 { e.t1 } else { e.t0 };
        let a = [t.dst[0], t.dst[1], t.dst[2], t.dst[3]];
        let mut buf = [0u8; 48];
        let n = ftpnat::fmt_cmd(ty, a, port, &mut buf);
        let Some(seq) = pkt
            .get(meta.thoff + 4..meta.thoff + 8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return HelpVerdict::Accept;
        };
        if n == 0 || !ftpnat::mangle_v4(pkt, meta.thoff, (off, len), &buf[..n], local) {
            // "cannot mangle packet": nf_ct_unexpect_related.
            self.helpers
                .exps
                .retain(|x| !(x.master == handle && x.tuple.dst_u == port));
            return HelpVerdict::Drop(HelperKind::Ftp, "cannot mangle packet");
        }
        if let Ok(m) = PacketMeta::parse(pkt) {
            *meta = m;
        }
        if n != len {
            self.entries[handle.idx as usize]
                .status
                .insert(CtStatus::SEQ_ADJUST);
            self.helpers
                .seqadj_set(handle, d, seq, n as i32 - len as i32);
        }
        HelpVerdict::Accept
    }

    /// `nf_nat_follow_master` (nf_nat_helper.c), the `expectfn` of an
    /// expectation `nf_nat_ftp` registered, for the entry just created
    /// from it: source to where the master sends to, destination to the
    /// master's peer with the port the command named. Cheap when there
    /// is nothing to do (every packet).
    pub fn follow_master(&mut self, h: CtHandle, rng: &mut dyn NatRng, now: Instant) -> CtVerdict {
        match self.helpers.follow {
            Some((e, _, _, _)) if e == h => {}
            _ => return CtVerdict::Accept,
        }
        let Some((_, master, dir, port)) = self.helpers.follow.take() else {
            return CtVerdict::Accept;
        };
        let Some(m) = self.get(master) else {
            return CtVerdict::Drop;
        };
        let t = if dir == 0 { m.t1 } else { m.t0 };
        let src = tuple::bytes_addr(t.family, &t.dst);
        let dst = tuple::bytes_addr(t.family, &t.src);
        let r = NatRange::to(src, src, None);
        if self.setup_nat(h, ManipType::Src, &r, rng, now) == CtVerdict::Drop {
            return CtVerdict::Drop;
        }
        let r = NatRange::to(dst, dst, Some((port, port)));
        self.setup_nat(h, ManipType::Dst, &r, rng, now)
    }

    /// The zone of the entry in slot `idx` (`nf_ct_zone(ct)`).
    #[inline]
    fn zone_of(&self, idx: u32) -> helper::Zone {
        match self.entries.get(idx as usize) {
            Some(e) => self.helpers.zone_of(idx, e.gen),
            None => helper::Zone::default(),
        }
    }

    /// `hash_conntrack_raw` of a tuple in a zone (the default zone hashes
    /// as [`Self::hash`]).
    #[inline]
    pub(super) fn hash_z(&self, t: &Tuple, zone: u16) -> u32 {
        t.ct_hash(&self.ct_seed, zone)
    }

    /// The entry's conntrack zone id (`--zone` of the `-j CT` template
    /// that created it; 0, the default zone, otherwise).
    pub fn zone(&self, h: CtHandle) -> Option<u16> {
        self.get(h)?;
        Some(self.zone_of(h.idx).id)
    }

    /// The helper attached to an entry (`nfct_help(ct)->helper`).
    pub fn helper(&self, h: CtHandle) -> Option<HelperKind> {
        self.get(h)?;
        self.helpers.helper(h)
    }

    /// The helper of an entry's master (what `-m helper` compares), `None`
    /// for an entry without a master.
    pub fn master_helper(&self, h: CtHandle) -> Option<HelperKind> {
        self.get(h)?;
        self.helpers.master_helper(h)
    }

    /// Expectations registered and not yet fulfilled, expired or gone with
    /// their master (`/proc/net/nf_conntrack_expect` would list them).
    pub fn expectation_count(&self, now: Instant) -> usize {
        let t = now.as_nanos();
        self.helpers
            .exps
            .iter()
            .filter(|e| e.deadline > t && self.master_alive(e.master, now))
            .count()
    }

    // ---- accessors ----

    /// Status bits of an entry.
    pub fn status(&self, h: CtHandle) -> Option<CtStatus> {
        self.get(h).map(|e| e.status)
    }

    /// Sets status bits (e.g. `EXPECTED` in tests, `FIXED_TIMEOUT`).
    pub fn insert_status(&mut self, h: CtHandle, bits: CtStatus) -> bool {
        self.get_mut(h).map(|e| e.status.insert(bits)).is_some()
    }

    /// The `ctmark` (`connmark`, `-m conntrack --ctmark`... ).
    pub fn mark(&self, h: CtHandle) -> Option<u32> {
        self.get(h)?;
        self.cold.get(h.idx as usize).map(|c| c.mark)
    }

    /// Sets the `ctmark`. Returns false for a stale handle.
    pub fn set_mark(&mut self, h: CtHandle, mark: u32) -> bool {
        if self.get(h).is_none() {
            return false;
        }
        self.cold
            .get_mut(h.idx as usize)
            .map(|c| c.mark = mark)
            .is_some()
    }

    /// One of the entry's tuples (`--ctorigsrc`, `--ctrepldst`, ...).
    pub fn tuple(&self, h: CtHandle, dir: Dir) -> Option<Tuple> {
        self.get(h).map(|e| e.tuple(dir.idx()))
    }

    /// TCP state of a TCP entry.
    pub fn tcp_state(&self, h: CtHandle) -> Option<TcpState> {
        match self.get(h)?.l4() {
            L4State::Tcp(t) => self.tcp.get(t).map(|t| t.state),
            _ => None,
        }
    }

    /// Adds a timeout policy (`nfct add timeout`) and returns its id for
    /// [`CtTemplate::timeout`]; `None` when a policy of that name exists
    /// (`cttimeout_new_timeout`: EBUSY) or the table holds 65536.
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, TimeoutPolicy};
    /// let mut ct = ConntrackTable::new(Config::default()).unwrap();
    /// let p = TimeoutPolicy::parse("u inet udp unreplied 5", &Config::default()).unwrap();
    /// assert_eq!(ct.add_timeout_policy(p.clone()), Some(0));
    /// assert_eq!(ct.add_timeout_policy(p), None);
    /// assert_eq!(ct.timeout_policy(b"u"), Some(0));
    /// ```
    pub fn add_timeout_policy(&mut self, p: TimeoutPolicy) -> Option<u16> {
        let ps = &mut self.timeouts.policies;
        if ps.iter().any(|q| q.name == p.name) || ps.len() > usize::from(u16::MAX) {
            return None;
        }
        ps.push(p);
        Some((ps.len() - 1) as u16)
    }

    /// The id of the timeout policy named `name` (`timeout_find_get`).
    #[inline]
    pub fn timeout_policy(&self, name: &[u8]) -> Option<u16> {
        self.timeouts
            .policies
            .iter()
            .position(|p| p.name == name)
            .map(|k| k as u16)
    }

    /// `nf_conntrack_tcp_set_closing()` (net/netfilter/nf_conntrack_proto_tcp.c),
    /// called by `nf_send_reset` / `nf_send_reset6` after REJECT
    /// `--reject-with tcp-reset` built its reset (`nf_ct_set_closing` on the
    /// original's entry): a confirmed TCP entry goes to CLOSE and, unless it
    /// already was CLOSE or has a fixed timeout, gets the CLOSE timeout from
    /// `now`. Other entries are left alone. Returns false for a stale handle.
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable};
    /// let ct = ConntrackTable::new(Config::default()).unwrap();
    /// assert_eq!(ct.count(), 0);
    /// ```
    pub fn set_closing(&mut self, h: CtHandle, now: Instant) -> bool {
        // nf_ct_timeout_lookup, else the namespace's timeouts.
        let close = self
            .timeouts
            .of(h.idx, h.gen)
            .unwrap_or(&self.cfg)
            .tcp_timeouts[TcpState::Close as usize];
        let Some(e) = self
            .entries
            .get_mut(h.idx as usize)
            .filter(|e| e.live && e.gen == h.gen)
        else {
            return false;
        };
        if !e.status.contains(CtStatus::CONFIRMED) {
            return true;
        }
        self.epoch = self.epoch.wrapping_add(1);
        if let Some(t) = match e.l4() {
            L4State::Tcp(ti) => self.tcp.get_mut(ti),
            _ => None,
        } {
            let old = t.state;
            t.state = TcpState::Close;
            if old != TcpState::Close && !e.status.contains(CtStatus::FIXED_TIMEOUT) {
                e.timeout = now.as_nanos().saturating_add(close.as_nanos());
            }
        }
        true
    }

    /// SCTP state of an SCTP entry.
    pub fn sctp_state(&self, h: CtHandle) -> Option<SctpState> {
        match self.get(h)?.l4() {
            L4State::Sctp(s) => self.sctp.get(s).map(|s| s.state),
            _ => None,
        }
    }

    /// Packets and bytes seen in one direction (`nf_conntrack_acct`);
    /// `None` when the table does not count (`nf_conntrack_acct` 0: the
    /// kernel's entry then has no accounting extension, and
    /// `nf_conn_acct_find` returns `NULL`).
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, Dir, Hook};
    /// use nfsim::time::Instant;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [198, 51, 100, 1].into())
    ///     .udp(5000, 53)
    ///     .build();
    /// let meta = nfsim::wire::meta::PacketMeta::parse(&pkt).unwrap();
    /// for acct in [false, true] {
    ///     let mut cfg = Config::with_max(16);
    ///     cfg.acct = acct;
    ///     let mut ct = ConntrackTable::new(cfg).unwrap();
    ///     let r = ct.process(&pkt, &meta, Hook::PreRouting, Instant::ZERO);
    ///     let h = r.slot.handle().unwrap();
    ///     let want = acct.then_some((1, pkt.len() as u64));
    ///     assert_eq!(ct.counters(h, Dir::Original), want);
    /// }
    /// ```
    pub fn counters(&self, h: CtHandle, dir: Dir) -> Option<(u64, u64)> {
        let e = self.get(h)?;
        // The high halves exist only under `nf_conntrack_acct`.
        self.acct_hi
            .get(h.idx as usize)
            .map(|hi| Self::acct_of(e, hi, dir.idx()))
    }

    /// Remaining lifetime in whole seconds as `/proc` and `--ctexpire` see
    /// it (`nf_ct_expires(ct) / HZ`, truncating). For an unconfirmed entry
    /// it is 0: until `__nf_conntrack_confirm` adds `nfct_time_stamp`,
    /// `ct->timeout` holds the relative timeout (`__nf_ct_refresh_acct`,
    /// net/netfilter/nf_conntrack_core.c), and `nf_ct_expires`
    /// (include/net/netfilter/nf_conntrack.h) returns
    /// `max(ct->timeout - nfct_time_stamp, 0)` with the 32-bit jiffies as
    /// time stamp, which exceeds any relative timeout once the host has been
    /// up longer than that timeout plus 5 minutes (jiffies start at
    /// -300 s) and for the next ~99 days (HZ 250; the s32 difference then
    /// wraps). nfsim models that usual case. Kernel-confirmed by the
    /// generated trace gen-00043 (`--ctexpire 0` matches the first packet of
    /// a connection in nat POSTROUTING).
    pub fn remaining_secs(&self, h: CtHandle, now: Instant) -> Option<u64> {
        let e = self.get(h)?;
        let ns = if e.status.contains(CtStatus::CONFIRMED) {
            e.timeout.saturating_sub(now.as_nanos())
        } else {
            0
        };
        Some(ns / 1_000_000_000)
    }

    /// State bits for `-m conntrack --ctstate` (adds SNAT/DNAT from the
    /// entry's status, as `conntrack_mt`).
    #[inline]
    pub fn state_bits(&self, slot: CtSlot) -> CtStates {
        // IPS_SRC_NAT and IPS_DST_NAT (status bits 4, 5) moved as one to
        // XT_CONNTRACK_STATE_SNAT and _DNAT (bits 6, 7), as
        // `conntrack_mt` (xt_conntrack.c) adds them one by one.
        const NAT: u32 = CtStatus::SRC_NAT.bits() | CtStatus::DST_NAT.bits();
        const _: () = assert!(
            CtStatus::SRC_NAT.bits() << 2 == CtStates::SNAT.0
                && CtStatus::DST_NAT.bits() << 2 == CtStates::DNAT.0
        );
        let nat = slot
            .handle()
            .and_then(|h| self.get(h))
            .map_or(0, |e| (e.status.bits() & NAT) << 2);
        CtStates(slot.state_bits().0 | nat)
    }

    /// Handles of the entries `/proc/net/nf_conntrack` would list at `now`
    /// (confirmed, not dying, not expired), in slot order.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = CtHandle> + '_ {
        self.entries.iter().enumerate().filter_map(move |(i, e)| {
            (e.live
                && e.status.contains(CtStatus::CONFIRMED)
                && !e.status.contains(CtStatus::DYING)
                && !Self::is_expired(e, now))
            .then_some(CtHandle {
                idx: i as u32,
                gen: e.gen,
            })
        })
    }

    /// The `/proc/net/nf_conntrack` line of an entry in the trace format's
    /// form: without the numeric family/protocol columns, timeout, `zone=`
    /// and `use=`; single spaces; no trailing space.
    pub fn proc_entry(&self, h: CtHandle) -> Option<ProcEntry<'_>> {
        self.get(h).map(|e| ProcEntry {
            e,
            tcp: match e.l4() {
                L4State::Tcp(ti) => self.tcp.get(ti).map(|t| t.state),
                _ => None,
            },
            sctp: match e.l4() {
                L4State::Sctp(si) => self.sctp.get(si).map(|s| s.state),
                _ => None,
            },
            gre: match e.l4() {
                L4State::Gre(gi) => self.gre.get(gi).copied(),
                _ => None,
            },
            mark: self.cold[h.idx as usize].mark,
            acct: self
                .acct_hi
                .get(h.idx as usize)
                .map(|hi| [Self::acct_of(e, hi, 0), Self::acct_of(e, hi, 1)]),
            zone: self.zone_of(h.idx),
        })
    }
}

/// What the packet function of a tracker decided
/// (`nf_conntrack_*_packet`: its return and its `nf_ct_refresh_acct`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum L4Verdict {
    /// INVALID (`-NF_ACCEPT`): the packet gets no conntrack.
    Invalid,
    /// Accepted without refreshing the timeout.
    Accept,
    /// Accepted, timeout refreshed to this.
    Refresh(Duration),
    /// Accepted, `IPS_ASSURED` set, timeout refreshed to this.
    RefreshAssured(Duration),
}

/// `nf_ct_get_tuplepr` (net/netfilter/nf_conntrack_core.c): the original
/// tuple of a packet as `nf_conntrack_in` would build it (`get_l4proto`,
/// then `nf_ct_get_tuple`), for a packet without an entry: connlimit's
/// `get_ct_or_tuple_from_skb` (net/netfilter/nf_conncount.c). `None` when
/// the kernel's fails: a non-first fragment, an IPv6 chain ending in "no
/// next header", a header cut short, a GREv1 packet that is not PPP.
/// Recorded: trace connlimit-sctp-gre.
pub fn packet_tuple(pkt: &[u8], meta: &PacketMeta) -> Option<Tuple> {
    if meta.fragoff != 0
        || meta.thoff == 0
        || (meta.family == Family::Ipv6 && meta.protocol == IpProtocol::NONE)
    {
        return None;
    }
    let l4 = pkt.get(meta.thoff..)?;
    packet_tuple_at(pkt, meta, meta.protocol.0, l4)
}

/// The tuple of a packet (`nf_ct_get_tuple`), built in place: addresses
/// from `pkt` (as [`PacketMeta::addrs`]), the protocol part from `l4`
/// ([`l4_tuple_part`]).
#[inline]
fn packet_tuple_at(pkt: &[u8], meta: &PacketMeta, p: u8, l4: &[u8]) -> Option<Tuple> {
    let (src_u, dst_u) = l4_tuple_part(meta.family, p, l4)?;
    let mut t = Tuple {
        family: meta.family,
        src: [0; 16],
        dst: [0; 16],
        proto: p,
        src_u,
        dst_u,
    };
    // Zero when cut short, as `PacketMeta::addrs` reads them; fixed-size
    // copies (no `memcpy` call).
    match meta.family {
        Family::Ipv4 => {
            if let Some(&[a, b, c, d]) = pkt.get(12..16) {
                t.src[..4].copy_from_slice(&[a, b, c, d]);
            }
            if let Some(&[a, b, c, d]) = pkt.get(16..20) {
                t.dst[..4].copy_from_slice(&[a, b, c, d]);
            }
        }
        Family::Ipv6 => {
            if let Some(a) = pkt.get(8..24).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
                t.src = a;
            }
            if let Some(a) = pkt.get(24..40).and_then(|a| <[u8; 16]>::try_from(a).ok()) {
                t.dst = a;
            }
        }
    }
    Some(t)
}

/// The protocol part of a tuple (`nf_ct_get_tuple`: the `pkt_to_tuple` of
/// each tracker; the ports, ICMP id and type/code, GRE keys), `None` when
/// the kernel cannot build it (too short, a GREv1 packet that is not PPP).
fn l4_tuple_part(family: Family, p: u8, l4: &[u8]) -> Option<(u16, u16)> {
    Some(match p {
        proto::TCP | proto::UDP | proto::UDPLITE | proto::SCTP => {
            (get_u16(l4, 0)?, get_u16(l4, 2)?)
        }
        _ if icmp::is_icmp_of(family, p) => {
            if l4.len() < 8 {
                return None;
            }
            (get_u16(l4, 4)?, get_u16(l4, 0)?)
        }
        proto::GRE => gre::keys(l4)?,
        _ => (0, 0),
    })
}

enum L4Res {
    Ok,
    Invalid,
    Kill,
    Repeat,
}

/// `nf_checksum` over a tuple's address bytes: the same sum as
/// [`nf_checksum_ok`] (one unfolded one's-complement sum of the
/// pseudo-header and the segment as 32-bit big-endian words, folded once;
/// ICMP over IPv4 without a pseudo-header), read 64 bits at a time from
/// the fixed-size address arrays: the established packet's path verifies
/// a UDP or TCP checksum in PREROUTING for every packet
/// (`udp_error` / `tcp_error` on a `CHECKSUM_NONE` skb, which is what
/// nfsim's packets are), so this is on the hot path.
#[inline(always)]
pub(crate) fn csum_ok(family: Family, src: &[u8; 16], dst: &[u8; 16], p: u8, l4: &[u8]) -> bool {
    #[inline]
    fn w64(b: &[u8; 16], i: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let v = u64::from_be_bytes(w);
        (v >> 32) + (v & 0xffff_ffff)
    }
    let addrs = match family {
        Family::Ipv4 => {
            if p == proto::ICMP {
                return nf_checksum_ok(family, &src[..4], &dst[..4], IpProtocol(p), l4);
            }
            let a = |b: &[u8; 16]| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            a(src) + a(dst)
        }
        Family::Ipv6 => w64(src, 0) + w64(src, 8) + w64(dst, 0) + w64(dst, 8),
    };
    csum_rest(addrs, p, l4)
}

/// The rest of [`csum_ok`] once the pseudo-header's address words are
/// summed (`addrs`: the sum of the addresses as 32-bit big-endian words):
/// the length and protocol of the pseudo-header, the segment, the fold.
#[inline(always)]
pub(crate) fn csum_rest(addrs: u64, p: u8, l4: &[u8]) -> bool {
    let len = u32::try_from(l4.len()).unwrap_or(u32::MAX);
    let mut acc = addrs + u64::from(len >> 16) + u64::from(len & 0xffff) + u64::from(p);
    let mut words = l4.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let v = u64::from_be_bytes(b);
        acc += (v >> 32) + (v & 0xffff_ffff);
    }
    let mut r = words.remainder();
    if let [a, b, c, d, rest @ ..] = r {
        acc += u64::from(u32::from_be_bytes([*a, *b, *c, *d]));
        r = rest;
    }
    if let [a, b, rest @ ..] = r {
        acc += u64::from(u16::from_be_bytes([*a, *b]));
        r = rest;
    }
    if let [a] = r {
        acc += u64::from(*a) << 8;
    }
    // The end-around-carry fold of `wire::checksum` gives 0xffff exactly
    // for a non-zero multiple of 0xffff (`fast::fold_ok`).
    fast::fold_ok(acc)
}

#[cfg(test)]
mod tests;
