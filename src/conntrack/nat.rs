//! NAT bindings and packet rewriting, following Linux 6.x
//! `net/netfilter/nf_nat_core.c` (`nf_nat_setup_info`, `get_unique_tuple`,
//! `find_appropriate_src`, `find_best_ips_proto`,
//! `nf_nat_l4proto_unique_tuple`, `nf_nat_packet`, `nf_nat_manip_pkt`,
//! `nf_nat_alloc_null_binding`, `nf_nat_inet_fn`) and `nf_nat_proto.c`
//! (`nf_nat_ipv4_manip_pkt`, `nf_nat_ipv6_manip_pkt`, `l4proto_manip_pkt`,
//! `nf_nat_icmp_reply_translation`, `nf_nat_icmpv6_reply_translation`).
//!
//! Not modelled: sequence adjustment for helpers, zones, the
//! `CONFIG_NF_NAT_TRY_NEXT_RULE` vendor option. The "oif changed" kill of
//! MASQUERADE entries is a query ([`ConntrackTable::nat_oif_changed`]) the
//! host acts on, since it knows the interfaces.

use core::net::{IpAddr, Ipv4Addr};

use bitflags::bitflags;

use super::table::{self, reciprocal_scale, NIL};
use super::tuple::{addr_bytes, proto, Dir, Family, Tuple};
use super::TcpState;
use super::{csum_ok, ConntrackTable, CtInfo, CtSlot, CtStatus, CtVerdict, NatExt};
use crate::nf::Hook;
use crate::time::Instant;
use crate::wire::checksum::{icmpv4, icmpv6, inet_proto_replace as csum_replace};
use crate::wire::meta::PacketMeta;
use crate::wire::{get_u16, ipv6, wr_u16, IpProtocol};

/// `jhash2` of `include/linux/jhash.h` (Bob Jenkins' lookup3). Inlined:
/// with the tuple's fixed nine words the loop unrolls and the bounds
/// checks go.
#[inline]
pub(crate) fn jhash2(k: &[u32], initval: u32) -> u32 {
    let mut a = 0xdead_beefu32
        .wrapping_add((k.len() as u32) << 2)
        .wrapping_add(initval);
    let mut b = a;
    let mut c = a;
    let mut k = k;
    while k.len() > 3 {
        a = a.wrapping_add(k[0]);
        b = b.wrapping_add(k[1]);
        c = c.wrapping_add(k[2]);
        (a, b, c) = jhash_mix(a, b, c);
        k = &k[3..];
    }
    if k.is_empty() {
        return c;
    }
    if k.len() == 3 {
        c = c.wrapping_add(k[2]);
    }
    if k.len() >= 2 {
        b = b.wrapping_add(k[1]);
    }
    a = a.wrapping_add(k[0]);
    jhash_final(a, b, c)
}

/// `__jhash_mix` (`include/linux/jhash.h`): one round over three words,
/// shared by [`jhash2`] and the tuple hash's unrolled nine-word form.
#[inline(always)]
pub(crate) fn jhash_mix(mut a: u32, b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(4);
    c = c.wrapping_add(b);
    jhash_mix_rest(a, b, c)
}

/// [`jhash_mix`] after its first three steps (`a -= c; a ^= rol32(c, 4);
/// c += b`): the tuple hash's first round, whose three steps depend on the
/// seed alone for an IPv4 tuple, starts here (`CtSeed`).
#[inline(always)]
pub(crate) fn jhash_mix_rest(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(6);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(8);
    b = b.wrapping_add(a);
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(16);
    c = c.wrapping_add(b);
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(19);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(4);
    b = b.wrapping_add(a);
    (a, b, c)
}

/// `__jhash_final` (`include/linux/jhash.h`): the final mix of the last
/// words, giving `c`.
#[inline(always)]
pub(crate) fn jhash_final(mut a: u32, mut b: u32, mut c: u32) -> u32 {
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

/// Which side of a tuple a binding rewrites (`enum nf_nat_manip_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ManipType {
    /// Source NAT (`NF_NAT_MANIP_SRC`).
    Src,
    /// Destination NAT (`NF_NAT_MANIP_DST`).
    Dst,
}

impl ManipType {
    fn other(self) -> ManipType {
        match self {
            ManipType::Src => ManipType::Dst,
            ManipType::Dst => ManipType::Src,
        }
    }
    fn nat_bit(self) -> CtStatus {
        match self {
            ManipType::Src => CtStatus::SRC_NAT,
            ManipType::Dst => CtStatus::DST_NAT,
        }
    }
    fn done_bit(self) -> CtStatus {
        match self {
            ManipType::Src => CtStatus::SRC_NAT_DONE,
            ManipType::Dst => CtStatus::DST_NAT_DONE,
        }
    }
}

impl ManipType {
    /// `HOOK2MANIP`: source NAT in POSTROUTING and INPUT, destination NAT
    /// in the other hooks (nat runs in PREROUTING and OUTPUT for those).
    pub fn of_hook(hook: Hook) -> ManipType {
        match hook {
            Hook::PostRouting | Hook::LocalIn => ManipType::Src,
            Hook::PreRouting | Hook::Forward | Hook::LocalOut => ManipType::Dst,
        }
    }
}

bitflags! {
    /// `NF_NAT_RANGE_*` flags of `struct nf_nat_range2`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct NatRangeFlags: u32 {
        /// `NF_NAT_RANGE_MAP_IPS`: rewrite the address into `min_addr..=max_addr`.
        const MAP_IPS = 1 << 0;
        /// `NF_NAT_RANGE_PROTO_SPECIFIED`: ports/ids into `min_proto..=max_proto`.
        const PROTO_SPECIFIED = 1 << 1;
        /// `NF_NAT_RANGE_PROTO_RANDOM` (`--random`).
        const PROTO_RANDOM = 1 << 2;
        /// `NF_NAT_RANGE_PERSISTENT` (`--persistent`).
        const PERSISTENT = 1 << 3;
        /// `NF_NAT_RANGE_PROTO_RANDOM_FULLY` (`--random-fully`).
        const PROTO_RANDOM_FULLY = 1 << 4;
        /// `NF_NAT_RANGE_PROTO_OFFSET` (port shifting, `base_proto`).
        const PROTO_OFFSET = 1 << 5;
        /// `NF_NAT_RANGE_NETMAP`.
        const NETMAP = 1 << 6;
    }
}

impl NatRangeFlags {
    /// `NF_NAT_RANGE_PROTO_RANDOM_ALL`.
    pub const PROTO_RANDOM_ALL: NatRangeFlags =
        NatRangeFlags::PROTO_RANDOM.union(NatRangeFlags::PROTO_RANDOM_FULLY);
}

/// A NAT range (`struct nf_nat_range2`): addresses and ports/ids to map into.
///
/// # Examples
///
/// ```
/// use nfsim::conntrack::{NatRange, NatRangeFlags};
/// // --to-destination 192.0.2.10:22
/// let r = NatRange::to("192.0.2.10".parse().unwrap(), "192.0.2.10".parse().unwrap(), Some((22, 22)));
/// assert!(r.flags.contains(NatRangeFlags::MAP_IPS | NatRangeFlags::PROTO_SPECIFIED));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatRange {
    /// Flags.
    pub flags: NatRangeFlags,
    /// Lowest address (used with `MAP_IPS`).
    pub min_addr: IpAddr,
    /// Highest address (used with `MAP_IPS`).
    pub max_addr: IpAddr,
    /// Lowest port / ICMP id (with `PROTO_SPECIFIED`).
    pub min_proto: u16,
    /// Highest port / ICMP id (with `PROTO_SPECIFIED`).
    pub max_proto: u16,
    /// Base port for `PROTO_OFFSET`.
    pub base_proto: u16,
}

impl Default for NatRange {
    fn default() -> Self {
        NatRange {
            flags: NatRangeFlags::empty(),
            min_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            max_addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            min_proto: 0,
            max_proto: 0,
            base_proto: 0,
        }
    }
}

impl NatRange {
    /// An address range with optional port range (what `--to-source` /
    /// `--to-destination` parse into).
    pub fn to(min: IpAddr, max: IpAddr, ports: Option<(u16, u16)>) -> NatRange {
        let mut r = NatRange {
            flags: NatRangeFlags::MAP_IPS,
            min_addr: min,
            max_addr: max,
            ..NatRange::default()
        };
        if let Some((lo, hi)) = ports {
            r.flags |= NatRangeFlags::PROTO_SPECIFIED;
            r.min_proto = lo;
            r.max_proto = hi;
        }
        r
    }

    /// MASQUERADE (`nf_nat_masquerade_ipv4` / `_ipv6`): the range of the
    /// target with the address the host selected for the output interface
    /// (`inet_select_addr` / `ipv6_dev_get_saddr`: the host's job).
    pub fn masquerade(target: &NatRange, addr: IpAddr) -> NatRange {
        NatRange {
            flags: target.flags | NatRangeFlags::MAP_IPS,
            min_addr: addr,
            max_addr: addr,
            min_proto: target.min_proto,
            max_proto: target.max_proto,
            base_proto: 0,
        }
    }

    /// REDIRECT (`nf_nat_redirect_ipv4` / `_ipv6`): destination becomes
    /// `addr` (the host picks the incoming interface's primary address in
    /// PREROUTING, loopback in OUTPUT).
    pub fn redirect(target: &NatRange, addr: IpAddr) -> NatRange {
        NatRange {
            flags: target.flags | NatRangeFlags::MAP_IPS,
            min_addr: addr,
            max_addr: addr,
            min_proto: target.min_proto,
            max_proto: target.max_proto,
            base_proto: 0,
        }
    }

    /// NETMAP (`netmap_tg4` / `netmap_tg6` of `xt_NETMAP.c`): keeps the host
    /// part of `pkt_addr` (the packet's destination in PREROUTING/OUTPUT,
    /// its source otherwise) and takes the network part from the target's
    /// `min_addr`; `None` if the families differ.
    pub fn netmap(target: &NatRange, pkt_addr: IpAddr) -> Option<NatRange> {
        let (f1, min) = addr_bytes(target.min_addr);
        let (f2, max) = addr_bytes(target.max_addr);
        let (f3, a) = addr_bytes(pkt_addr);
        if f1 != f2 || f1 != f3 {
            return None;
        }
        let mut new = [0u8; 16];
        for i in 0..16 {
            let netmask = !(min[i] ^ max[i]);
            new[i] = (a[i] & !netmask) | (min[i] & netmask);
        }
        let addr = super::tuple::bytes_addr(f1, &new);
        Some(NatRange {
            flags: target.flags | NatRangeFlags::MAP_IPS,
            min_addr: addr,
            max_addr: addr,
            min_proto: target.min_proto,
            max_proto: target.max_proto,
            base_proto: 0,
        })
    }
}

/// Randomness for port selection (`get_random_u16()` in
/// `nf_nat_l4proto_unique_tuple`): supplied by the caller, seeded.
pub trait NatRng {
    /// The next random 16-bit value.
    fn next_u16(&mut self) -> u16;
}

/// A small deterministic generator (SplitMix64) implementing [`NatRng`].
///
/// # Examples
///
/// ```
/// use nfsim::conntrack::{NatRng, SplitMix64};
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u16(), b.next_u16());
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
}

impl NatRng for SplitMix64 {
    fn next_u16(&mut self) -> u16 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u16
    }
}

/// What the nat table needs for a packet at a nat hook (`nf_nat_inet_fn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatAction {
    /// No conntrack entry: NAT does nothing, the nat table is not consulted.
    Skip,
    /// Walk the nat chain of this hook; after it, if no target set up a
    /// binding, call [`ConntrackTable::alloc_null_binding`]; then
    /// [`ConntrackTable::nat_packet`].
    WalkRules,
    /// Do not consult the nat table; just call [`ConntrackTable::nat_packet`].
    Apply,
}

/// What [`ConntrackTable::nat_step`] did at a nat hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NatStep {
    /// [`NatAction::Skip`].
    Skip,
    /// [`NatAction::WalkRules`]: nothing done yet.
    Walk,
    /// [`NatAction::Apply`], and what `nf_nat_packet` answered.
    Applied(CtVerdict),
}

/// What [`ConntrackTable::nat_fast`] found at a nat hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NatFast<'a> {
    /// No entry ([`NatStep::Skip`]).
    Skip,
    /// An established packet whose entry has no NAT for this manip and
    /// direction: nothing to rewrite (`NatStep::Applied(Accept)`).
    Done,
    /// An established packet to rewrite with [`nat_rewrite`] to the
    /// inverse of this tuple, for this manip.
    Rewrite(&'a Tuple, ManipType),
    /// A NEW packet whose binding for this manip is not set up
    /// (`nf_nat_initialized`): the nat table's walk ([`NatStep::Walk`]).
    Walk,
    /// A NEW packet with its binding, or a RELATED one:
    /// [`ConntrackTable::nat_step`].
    NewRelated,
}

/// `NF_NAT_MAX_ATTEMPTS`.
const NF_NAT_MAX_ATTEMPTS: u32 = 128;
/// `NF_NAT_HARDER_THRESH`.
const NF_NAT_HARDER_THRESH: u32 = NF_NAT_MAX_ATTEMPTS / 4;

const NAT_MASK: CtStatus = CtStatus::SRC_NAT.union(CtStatus::DST_NAT);
const NAT_DONE_MASK: CtStatus = CtStatus::SRC_NAT_DONE.union(CtStatus::DST_NAT_DONE);

fn addr_in_range(family: Family, a: &[u8; 16], min: &[u8; 16], max: &[u8; 16]) -> bool {
    let n = if family == Family::Ipv4 { 4 } else { 16 };
    a[..n] >= min[..n] && a[..n] <= max[..n]
}

/// `l4proto_in_range`.
fn l4proto_in_range(t: &Tuple, m: ManipType, min: u16, max: u16) -> bool {
    match t.proto {
        proto::ICMP | proto::ICMPV6 => t.src_u >= min && t.src_u <= max,
        proto::GRE | proto::TCP | proto::UDP | proto::UDPLITE | proto::SCTP => {
            let port = if m == ManipType::Src {
                t.src_u
            } else {
                t.dst_u
            };
            port >= min && port <= max
        }
        _ => true,
    }
}

struct RangeB {
    flags: NatRangeFlags,
    min: [u8; 16],
    max: [u8; 16],
    min_proto: u16,
    max_proto: u16,
    base_proto: u16,
}

/// `nf_in_range` (source manip).
fn in_range(t: &Tuple, r: &RangeB) -> bool {
    if r.flags.contains(NatRangeFlags::MAP_IPS) && !addr_in_range(t.family, &t.src, &r.min, &r.max)
    {
        return false;
    }
    if !r.flags.contains(NatRangeFlags::PROTO_SPECIFIED) {
        return true;
    }
    l4proto_in_range(t, ManipType::Src, r.min_proto, r.max_proto)
}

fn raw_word(b: &[u8; 16], i: usize) -> u32 {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}
fn be_word(b: &[u8; 16], i: usize) -> u32 {
    u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// `find_best_ips_proto`.
fn find_best_ips(t: &mut Tuple, r: &RangeB, m: ManipType) {
    if !r.flags.contains(NatRangeFlags::MAP_IPS) {
        return;
    }
    if r.min == r.max {
        match m {
            ManipType::Src => t.src = r.min,
            ManipType::Dst => t.dst = r.min,
        }
        return;
    }
    let max = if t.family == Family::Ipv4 { 0 } else { 3 };
    let persistent = r.flags.contains(NatRangeFlags::PERSISTENT);
    let src_words = [
        raw_word(&t.src, 0),
        raw_word(&t.src, 1),
        raw_word(&t.src, 2),
        raw_word(&t.src, 3),
    ];
    let mut j = jhash2(
        &src_words,
        if persistent { 0 } else { raw_word(&t.dst, max) },
    );
    let mut full_range = false;
    for i in 0..=max {
        let (minip, dist) = if !full_range {
            let minip = be_word(&r.min, i);
            let maxip = be_word(&r.max, i);
            (minip, maxip.wrapping_sub(minip).wrapping_add(1))
        } else {
            (0, u32::MAX)
        };
        let v = minip.wrapping_add(reciprocal_scale(j, dist)).to_be_bytes();
        let var = match m {
            ManipType::Src => &mut t.src,
            ManipType::Dst => &mut t.dst,
        };
        var[4 * i..4 * i + 4].copy_from_slice(&v);
        if raw_word(var, i) != raw_word(&r.max, i) {
            full_range = true;
        }
        if !persistent {
            j ^= raw_word(&t.dst, i);
        }
    }
}

impl ConntrackTable {
    fn nat_used_tuple(&mut self, t: &Tuple, ignored: u32, now: Instant) -> bool {
        match t.invert() {
            Some(reply) => self.tuple_taken(&reply, ignored, now),
            None => true,
        }
    }

    /// Hash of an original tuple's source for the bysource index
    /// (`hash_by_src` keys on the source address, port and protocol).
    /// The number of chains changes nothing observable: every entry that
    /// `find_appropriate_src` can accept has the same key, so they share a
    /// chain, newest first, whatever the index's size.
    fn src_hash(&self, t: &Tuple) -> u32 {
        let w = t.hash_words();
        let key = [
            w[0],
            w[1],
            w[2],
            w[3],
            u32::from(t.src_u) ^ (u32::from(t.proto) << 16),
        ];
        jhash2(&key, self.cfg.hash_seed ^ 0x5a5a_5a5a)
    }

    fn src_chain(&self, h: u32) -> usize {
        h as usize & (self.src_heads.len() - 1)
    }

    /// The entry's NAT data, allocated on first use; `None` when the
    /// allocator refuses.
    fn nat_ext(&mut self, idx: u32) -> Option<u32> {
        let cur = self.cold.get(idx as usize)?.nat;
        if cur != NIL {
            return Some(cur);
        }
        let n = self.nat.alloc(NatExt {
            owner: idx,
            ..NatExt::NONE
        })?;
        self.cold[idx as usize].nat = n;
        Some(n)
    }

    /// Links entry `idx` into bysource; false when its NAT data cannot be
    /// allocated.
    fn bysource_insert(&mut self, idx: u32) -> bool {
        let Some(n) = self.nat_ext(idx) else {
            return false;
        };
        // Doubling (amortised), as the hash index.
        if self.in_src as usize >= self.src_heads.len() && self.src_heads.len() < self.max_chains {
            if let Some(new) = table::split(&self.src_heads, self.nat.items_mut()) {
                self.src_heads = new;
            }
        }
        self.in_src += 1;
        let t = self.entries[idx as usize].t0;
        let h = self.src_hash(&t);
        let b = self.src_chain(h);
        let head = self.src_heads[b];
        if let Some(x) = self.nat.get_mut(n) {
            x.src_hash = h;
            x.src_next = head;
            x.in_bysource = true;
        }
        self.src_heads[b] = n;
        true
    }

    /// Unlinks NAT item `n` from bysource.
    pub(super) fn bysource_remove(&mut self, n: u32) {
        let Some(&x) = self.nat.get(n) else {
            return;
        };
        self.in_src = self.in_src.saturating_sub(1);
        let b = self.src_chain(x.src_hash);
        let next = x.src_next;
        if self.src_heads[b] == n {
            self.src_heads[b] = next;
        } else {
            let mut cur = self.src_heads[b];
            while let Some(c) = self.nat.get_mut(cur) {
                let cn = c.src_next;
                if cn == n {
                    c.src_next = next;
                    break;
                }
                cur = cn;
            }
        }
        if let Some(x) = self.nat.get_mut(n) {
            x.src_next = NIL;
            x.in_bysource = false;
        }
    }

    /// `find_appropriate_src`: an existing source mapping of the same
    /// source address/port/protocol, if it fits the range.
    fn find_appropriate_src(&self, t: &Tuple, zone: u16, r: &RangeB) -> Option<Tuple> {
        // zone: the original direction's id (nf_ct_zone_equal(ct, zone,
        // IP_CT_DIR_ORIGINAL)).
        let mut cur = self.src_heads[self.src_chain(self.src_hash(t))];
        while let Some(x) = self.nat.get(cur) {
            let e = &self.entries[x.owner as usize];
            let o = &e.t0;
            // same_src and nf_ct_zone_equal(ct, zone, IP_CT_DIR_ORIGINAL)
            if o.family == t.family
                && o.proto == t.proto
                && o.src == t.src
                && o.src_u == t.src_u
                && self.helpers.zone_of(x.owner, e.gen).id_for(0) == zone
            {
                if let Some(mut res) = e.t1.invert() {
                    res.dst = t.dst;
                    res.dst_u = t.dst_u;
                    if in_range(&res, r) {
                        return Some(res);
                    }
                }
            }
            cur = x.src_next;
        }
        None
    }

    /// `get_unique_tuple`.
    fn get_unique_tuple(
        &mut self,
        orig: &Tuple,
        r: &RangeB,
        idx: u32,
        m: ManipType,
        rng: &mut dyn NatRng,
        now: Instant,
    ) -> Tuple {
        let random_all = r.flags.intersects(NatRangeFlags::PROTO_RANDOM_ALL);
        if m == ManipType::Src && !random_all {
            if in_range(orig, r) {
                if !self.nat_used_tuple(orig, idx, now) {
                    return *orig;
                }
            } else if let Some(t) = self.find_appropriate_src(orig, self.zone_of(idx).id_for(0), r)
            {
                if !self.nat_used_tuple(&t, idx, now) {
                    return t;
                }
            }
        }
        let mut t = *orig;
        find_best_ips(&mut t, r, m);
        if !random_all {
            if r.flags.contains(NatRangeFlags::PROTO_SPECIFIED) {
                if !r.flags.contains(NatRangeFlags::PROTO_OFFSET)
                    && l4proto_in_range(&t, m, r.min_proto, r.max_proto)
                    && (r.min_proto == r.max_proto || !self.nat_used_tuple(&t, idx, now))
                {
                    return t;
                }
            } else if !self.nat_used_tuple(&t, idx, now) {
                return t;
            }
        }
        self.l4proto_unique_tuple(&mut t, r, m, idx, rng, now);
        t
    }

    /// `nf_nat_l4proto_unique_tuple`.
    fn l4proto_unique_tuple(
        &mut self,
        t: &mut Tuple,
        r: &RangeB,
        m: ManipType,
        idx: u32,
        rng: &mut dyn NatRng,
        now: Instant,
    ) {
        let specified = r.flags.contains(NatRangeFlags::PROTO_SPECIFIED);
        let (min, range_size): (u32, u32);
        let key_is_src;
        match t.proto {
            proto::ICMP | proto::ICMPV6 if t.is_icmp() => {
                key_is_src = true;
                if !specified {
                    min = 0;
                    range_size = 65536;
                } else {
                    min = u32::from(r.min_proto);
                    range_size = u32::from(r.max_proto)
                        .wrapping_sub(u32::from(r.min_proto))
                        .wrapping_add(1);
                }
            }
            proto::UDP | proto::UDPLITE | proto::TCP | proto::SCTP => {
                key_is_src = m == ManipType::Src;
                let key = if key_is_src { t.src_u } else { t.dst_u };
                if !specified {
                    if m == ManipType::Dst {
                        return;
                    }
                    if key < 1024 {
                        if key < 512 {
                            min = 1;
                            range_size = 511;
                        } else {
                            min = 600;
                            range_size = 1023 - 600 + 1;
                        }
                    } else {
                        min = 1024;
                        range_size = 65535 - 1024 + 1;
                    }
                } else {
                    let (mut lo, mut hi) = (u32::from(r.min_proto), u32::from(r.max_proto));
                    if hi < lo {
                        core::mem::swap(&mut lo, &mut hi);
                    }
                    min = lo;
                    range_size = hi - lo + 1;
                }
            }
            // GRE: only with a PPTP master connection (no helpers here).
            _ => return,
        }
        let key = |t: &Tuple| if key_is_src { t.src_u } else { t.dst_u };
        let mut off: u16 = if r.flags.contains(NatRangeFlags::PROTO_OFFSET) {
            key(t).wrapping_sub(r.base_proto)
        } else {
            rng.next_u16()
        };
        // A zero range size (ICMP ids 0..=65535 via PROTO_SPECIFIED wraps
        // in u16 arithmetic upstream too) would divide by zero: use 65536.
        let range_size = if range_size == 0 { 65536 } else { range_size };
        let mut attempts = range_size.min(NF_NAT_MAX_ATTEMPTS);
        loop {
            for i in 0..attempts {
                let v = (min + u32::from(off) % range_size) as u16;
                if key_is_src {
                    t.src_u = v;
                } else {
                    t.dst_u = v;
                }
                if !self.nat_used_tuple_harder(t, idx, attempts - i, now) {
                    return;
                }
                off = off.wrapping_add(1);
            }
            if attempts >= range_size || attempts < 16 {
                return;
            }
            attempts /= 2;
            off = rng.next_u16();
        }
    }

    /// `nf_nat_used_tuple_harder`: during the last attempts for a TCP
    /// SYN_SENT entry, evict a colliding source-NATed entry in TIME_WAIT or
    /// later whose sequence numbers the new connection has passed.
    fn nat_used_tuple_harder(
        &mut self,
        t: &Tuple,
        idx: u32,
        attempts_left: u32,
        now: Instant,
    ) -> bool {
        let Some(reply) = t.invert() else {
            return true;
        };
        let ours = match self.entries.get(idx as usize).map(|e| e.l4()) {
            Some(super::L4State::Tcp(ti)) => self.tcp.get(ti).copied(),
            _ => None,
        };
        let ours = match ours {
            Some(st)
                if attempts_left <= NF_NAT_HARDER_THRESH
                    && t.proto == proto::TCP
                    && st.state == TcpState::SynSent =>
            {
                st
            }
            _ => return self.tuple_taken(&reply, idx, now),
        };
        let Some((ci, dir)) = self.find(&reply, self.zone_of(idx), now) else {
            return false;
        };
        if dir == Dir::Original || ci == idx {
            return true;
        }
        let e = &self.entries[ci as usize];
        let super::L4State::Tcp(oi) = e.l4() else {
            return true;
        };
        let Some(&old) = self.tcp.get(oi) else {
            return true;
        };
        // nf_nat_may_kill
        if (old.state as u8) < TcpState::TimeWait as u8
            || e.status
                .intersects(CtStatus::FIXED_TIMEOUT | CtStatus::DYING)
            || !e.status.contains(CtStatus::SRC_NAT)
        {
            return true;
        }
        // nf_seq_has_advanced
        if (ours.orig_td_end().wrapping_sub(old.orig_td_end()) as i32) <= 0 {
            return true;
        }
        self.delete(ci, false);
        false
    }

    /// Whether the binding for `manip` is set up (`nf_nat_initialized`).
    pub fn nat_initialized(&self, h: super::CtHandle, manip: ManipType) -> bool {
        self.get(h)
            .is_some_and(|e| e.status.contains(manip.done_bit()))
    }

    /// `nf_nat_setup_info`: choose the NAT mapping for `manip` of an
    /// unconfirmed entry within `range` (`get_unique_tuple`), update its
    /// reply tuple and set `SRC_NAT`/`DST_NAT` when it changes, and mark the
    /// manip done. Ports are searched with randomness from `rng` as the
    /// kernel does. Confirmed entries are left alone (`Accept`).
    ///
    /// Returns `Drop` for a stale handle, a second setup of the same manip,
    /// or a range of the wrong address family.
    pub fn setup_nat(
        &mut self,
        h: super::CtHandle,
        manip: ManipType,
        range: &NatRange,
        rng: &mut dyn NatRng,
        now: Instant,
    ) -> CtVerdict {
        let Some(e) = self.get(h) else {
            return CtVerdict::Drop;
        };
        if e.status.contains(CtStatus::CONFIRMED) {
            return CtVerdict::Accept;
        }
        if e.status.contains(manip.done_bit()) {
            return CtVerdict::Drop;
        }
        let family = e.t0.family;
        let (f1, min) = addr_bytes(range.min_addr);
        let (f2, max) = addr_bytes(range.max_addr);
        if range.flags.contains(NatRangeFlags::MAP_IPS) && (f1 != family || f2 != family) {
            return CtVerdict::Drop;
        }
        let r = RangeB {
            flags: range.flags,
            min,
            max,
            min_proto: range.min_proto,
            max_proto: range.max_proto,
            base_proto: range.base_proto,
        };
        let Some(curr) = e.t1.invert() else {
            return CtVerdict::Drop;
        };
        let new = self.get_unique_tuple(&curr, &r, h.idx, manip, rng, now);
        if new != curr {
            let Some(reply) = new.invert() else {
                return CtVerdict::Drop;
            };
            let e = &mut self.entries[h.idx as usize];
            e.t1 = reply;
            e.status.insert(manip.nat_bit());
            // The reply's bucket `new_conn4` may have kept is the old
            // tuple's: confirm computes the new one.
            self.cold[h.idx as usize].kb[1] = table::KB_UNKNOWN;
        }
        self.setup_done(h.idx, manip)
    }

    /// The end of `nf_nat_setup_info`: a source manip's bysource link
    /// (`nf_ct_nat_ext_add`, `hlist_add_head_rcu`), then the manip marked
    /// done.
    #[inline]
    fn setup_done(&mut self, idx: u32, manip: ManipType) -> CtVerdict {
        if manip == ManipType::Dst {
            self.entries[idx as usize]
                .status
                .insert(CtStatus::DST_NAT_DONE);
            return CtVerdict::Accept;
        }
        self.setup_done_src(idx)
    }

    /// [`Self::setup_done`] of a source manip.
    #[inline(never)]
    fn setup_done_src(&mut self, idx: u32) -> CtVerdict {
        let manip = ManipType::Src;
        let nat = self.cold[idx as usize].nat;
        if !self.nat.get(nat).is_some_and(|x| x.in_bysource) && !self.bysource_insert(idx) {
            // nf_ct_nat_ext_add failing: the kernel's nf_nat_setup_info
            // goes on without the bysource link; nfsim drops instead of
            // approximating.
            return CtVerdict::Drop;
        }
        self.entries[idx as usize].status.insert(manip.done_bit());
        CtVerdict::Accept
    }

    /// `nf_nat_alloc_null_binding`: the binding when no nat rule matched;
    /// it fixes the tuple (a source port may still change if taken).
    pub fn alloc_null_binding(
        &mut self,
        h: super::CtHandle,
        hook: Hook,
        rng: &mut dyn NatRng,
        now: Instant,
    ) -> CtVerdict {
        let manip = ManipType::of_hook(hook);
        let Some(e) = self.get(h) else {
            return CtVerdict::Drop;
        };
        // nf_nat_setup_info's first checks, as `setup_nat`.
        if e.status.contains(CtStatus::CONFIRMED) {
            return CtVerdict::Accept;
        }
        if e.status.contains(manip.done_bit()) {
            return CtVerdict::Drop;
        }
        // The range is the one address the entry already has, and no
        // ports: get_unique_tuple keeps the current tuple (`curr`, the
        // inverse of the reply) whenever nf_nat_used_tuple finds it free.
        // A source manip takes step 1 (`nf_in_range` holds for `curr`:
        // its source is the range's address), a destination manip step 3
        // (find_best_ips_proto writes the address `curr` already has).
        // That one lookup decides it; only a taken tuple goes the general
        // way below, whose lookup of the same tuple then finds the same
        // entry and reclaims nothing more (the entries before it in the
        // chain are live: this lookup reclaimed the expired ones).
        // Tested against the general path in conntrack/tests/nat.rs
        // (`lockstep`).
        let t1 = e.t1;
        let canonical = e.t0.family == t1.family
            && (t1.family == Family::Ipv6
                || (manip == ManipType::Src && t1.dst[4..] == [0; 12])
                || (manip == ManipType::Dst && t1.src[4..] == [0; 12]));
        if canonical {
            // nf_nat_used_tuple(curr): the reply of `curr`, which is `t1`
            // itself for a protocol with ports (inverting swaps back).
            let reply = if t1.has_ports() {
                Some(t1)
            } else {
                t1.invert().and_then(|c| c.invert())
            };
            if let Some(reply) = reply {
                if !self.tuple_taken(&reply, h.idx, now) {
                    return self.setup_done(h.idx, manip);
                }
            }
        }
        let Some(e) = self.get(h) else {
            return CtVerdict::Drop;
        };
        let r = &e.t1;
        let ip = if manip == ManipType::Src {
            r.dst_addr()
        } else {
            r.src_addr()
        };
        let range = NatRange {
            flags: NatRangeFlags::MAP_IPS,
            min_addr: ip,
            max_addr: ip,
            ..NatRange::default()
        };
        self.setup_nat(h, manip, &range, rng, now)
    }

    /// Records the output interface of a MASQUERADE binding
    /// (`nat->masq_index = out->ifindex` in `nf_nat_masquerade_ipv4`);
    /// `ifindex` must not be 0.
    pub fn set_masq_index(&mut self, h: super::CtHandle, ifindex: u32) -> bool {
        if self.get(h).is_none() {
            return false;
        }
        match self.nat_ext(h.idx).and_then(|n| self.nat.get_mut(n)) {
            Some(x) => {
                x.masq_index = ifindex;
                true
            }
            None => false,
        }
    }

    /// `nf_nat_oif_changed`: a MASQUERADEd connection whose original
    /// direction now leaves through another interface. The kernel then
    /// kills the entry and drops the packet: the host calls
    /// [`ConntrackTable::remove`] and drops. Only meaningful in POSTROUTING
    /// for packets that did not walk the nat chain.
    pub fn nat_oif_changed(&self, slot: CtSlot, hook: Hook, out_ifindex: u32) -> bool {
        let CtSlot::Entry { handle, info } = slot else {
            return false;
        };
        let masq = self
            .get(handle)
            .and_then(|_| self.nat.get(self.cold.get(handle.idx as usize)?.nat))
            .map_or(0, |x| x.masq_index);
        masq != 0 && hook == Hook::PostRouting && info.dir() == Dir::Original && masq != out_ifindex
    }

    /// What to do at a nat hook for a packet with this slot (the dispatch of
    /// `nf_nat_ipv4_fn` / `nf_nat_ipv6_fn` / `nf_nat_inet_fn`).
    pub fn nat_action(&self, slot: CtSlot, hook: Hook, meta: &PacketMeta) -> NatAction {
        let CtSlot::Entry { handle, info } = slot else {
            return NatAction::Skip;
        };
        if self.get(handle).is_none() {
            return NatAction::Skip;
        }
        let icmp = super::icmp::is_icmp_of(meta.family, meta.protocol.0);
        match info {
            CtInfo::Related | CtInfo::RelatedReply if icmp => NatAction::Apply,
            CtInfo::Related | CtInfo::RelatedReply | CtInfo::New => {
                if self.nat_initialized(handle, ManipType::of_hook(hook)) {
                    NatAction::Apply
                } else {
                    NatAction::WalkRules
                }
            }
            _ => NatAction::Apply,
        }
    }

    /// Rewrites a packet for its entry's NAT bindings at `hook`
    /// (`nf_nat_packet` / `nf_nat_manip_pkt`; for RELATED ICMP/ICMPv6
    /// packets `nf_nat_icmp_reply_translation`, which also rewrites the
    /// embedded header). Checksums are updated incrementally like the
    /// kernel's `inet_proto_csum_replace*`.
    ///
    /// Returns `Drop` where the kernel drops (truncated headers, a bad ICMP
    /// checksum in the translation, redirects of NATed connections).
    pub fn nat_packet(
        &self,
        slot: CtSlot,
        hook: Hook,
        pkt: &mut [u8],
        meta: &PacketMeta,
    ) -> CtVerdict {
        self.nat_packet_csum(slot, hook, pkt, meta, false)
    }

    /// [`nat_packet`](Self::nat_packet) for a packet whose
    /// `skb->ip_summed` may be `CHECKSUM_PARTIAL` (`csum_partial`: the
    /// transport checksum field holds the folded pseudo-header sum, as in
    /// an IPv4 REJECT tcp-reset built by `nf_reject_ip_tcphdr_put`).
    /// `inet_proto_csum_replace4` (net/core/utils.c) then moves the
    /// pseudo-header value the other way (`~csum_fold(unfold(sum) - from +
    /// to)`) and `inet_proto_csum_replace2` of the ports (not part of the
    /// pseudo header) leaves the field alone.
    pub fn nat_packet_csum(
        &self,
        slot: CtSlot,
        hook: Hook,
        pkt: &mut [u8],
        meta: &PacketMeta,
        csum_partial: bool,
    ) -> CtVerdict {
        let CtSlot::Entry { handle, info } = slot else {
            return CtVerdict::Accept;
        };
        let Some(e) = self.get(handle) else {
            return CtVerdict::Accept;
        };
        self.nat_entry(e, info, ManipType::of_hook(hook), pkt, meta, csum_partial)
    }

    /// The nat hook for a packet with this slot in one lookup of its
    /// entry: [`nat_action`](Self::nat_action), then, unless the nat table
    /// is to be walked, [`nat_packet_csum`](Self::nat_packet_csum). For an
    /// entry without the NAT bit of this direction and manip (no NAT, or
    /// the other manip) and a packet that is not a RELATED ICMP error,
    /// nothing to rewrite (`nf_nat_packet`'s `ct->status & statusbit`).
    /// The host asks [`nat_fast`](Self::nat_fast) first and this for NEW
    /// and RELATED packets. Tested in lockstep against the two (and
    /// against `nat_fast`) in conntrack/tests/nat.rs.
    #[inline]
    pub(crate) fn nat_step(
        &self,
        slot: CtSlot,
        hook: Hook,
        pkt: &mut [u8],
        meta: &PacketMeta,
        csum_partial: bool,
    ) -> NatStep {
        let CtSlot::Entry { handle, info } = slot else {
            return NatStep::Skip;
        };
        let Some(e) = self
            .entries
            .get(handle.idx as usize)
            .filter(|e| e.live && e.gen == handle.gen)
        else {
            return NatStep::Skip;
        };
        let manip = ManipType::of_hook(hook);
        let related = matches!(info, CtInfo::Related | CtInfo::RelatedReply);
        if related && super::icmp::is_icmp_of(meta.family, meta.protocol.0) {
            return NatStep::Applied(self.nat_entry(e, info, manip, pkt, meta, csum_partial));
        }
        if (related || info == CtInfo::New) && !e.status.contains(manip.done_bit()) {
            return NatStep::Walk;
        }
        let mut statusbit = manip.nat_bit();
        if info.dir() == Dir::Reply {
            statusbit = NAT_MASK.difference(statusbit);
        }
        if !e.status.contains(statusbit) {
            return NatStep::Applied(CtVerdict::Accept);
        }
        NatStep::Applied(self.nat_entry(e, info, manip, pkt, meta, csum_partial))
    }

    /// The nat hook's dispatch for an established packet, without the
    /// packet (`nf_nat_inet_fn`, net/netfilter/nf_nat_core.c: `switch
    /// (ctinfo)`, whose `default` case, IP_CT_ESTABLISHED and
    /// IP_CT_ESTABLISHED_REPLY, goes straight to `nf_nat_packet`; there
    /// `statusbit` is IPS_SRC_NAT for a source manip and IPS_DST_NAT for
    /// a destination one, the other of the two for a reply, and an entry
    /// without it leaves the packet alone); a NEW packet without its
    /// binding is walked (`NatFast::Walk`). The other NEW and the RELATED
    /// packets are left to [`nat_step`](Self::nat_step)
    /// (`NatFast::NewRelated`).
    /// The established part of `nat_step`, on the same entry.
    #[inline(always)]
    pub(crate) fn nat_fast(&self, slot: CtSlot, hook: Hook) -> NatFast<'_> {
        let CtSlot::Entry { handle, info } = slot else {
            return NatFast::Skip;
        };
        // `get`, inline (calling it costs 5 to 9 instructions a packet
        // on nat-gateway and docker-bridge: measured).
        let Some(e) = self
            .entries
            .get(handle.idx as usize)
            .filter(|e| e.live && e.gen == handle.gen)
        else {
            return NatFast::Skip;
        };
        let manip = ManipType::of_hook(hook);
        let reply = match info {
            CtInfo::Established => false,
            CtInfo::EstablishedReply => true,
            // IP_CT_NEW without the binding: the walk.
            CtInfo::New if !e.status.contains(manip.done_bit()) => return NatFast::Walk,
            _ => return NatFast::NewRelated,
        };
        let statusbit = if reply {
            manip.other().nat_bit()
        } else {
            manip.nat_bit()
        };
        if !e.status.contains(statusbit) {
            return NatFast::Done;
        }
        // nf_nat_manip_pkt to the inverse of the other direction's tuple.
        NatFast::Rewrite(if reply { &e.t0 } else { &e.t1 }, manip)
    }

    /// `nf_nat_packet` (net/netfilter/nf_nat_core.c) without the packet,
    /// for any packet that is not RELATED (those may be ICMP errors to
    /// translate: `NatFast::NewRelated`, for
    /// [`nat_packet_csum`](Self::nat_packet_csum)): `statusbit` as in
    /// [`nat_fast`](Self::nat_fast), nothing to do without it
    /// (`NatFast::Done`), else the rewrite to the inverse of the other
    /// direction's tuple. The host's `nf_nat_packet` after the nat table's
    /// walk and the null binding.
    #[inline]
    pub(crate) fn nat_packet_fast(&self, slot: CtSlot, hook: Hook) -> NatFast<'_> {
        let CtSlot::Entry { handle, info } = slot else {
            return NatFast::Skip;
        };
        let Some(e) = self
            .entries
            .get(handle.idx as usize)
            .filter(|e| e.live && e.gen == handle.gen)
        else {
            return NatFast::Skip;
        };
        if matches!(info, CtInfo::Related | CtInfo::RelatedReply) {
            return NatFast::NewRelated;
        }
        let manip = ManipType::of_hook(hook);
        let reply = info.dir() == Dir::Reply;
        let statusbit = if reply {
            manip.other().nat_bit()
        } else {
            manip.nat_bit()
        };
        if !e.status.contains(statusbit) {
            return NatFast::Done;
        }
        NatFast::Rewrite(if reply { &e.t0 } else { &e.t1 }, manip)
    }

    /// [`nat_packet_csum`](Self::nat_packet_csum) on the entry found.
    fn nat_entry(
        &self,
        e: &super::Entry,
        info: CtInfo,
        manip: ManipType,
        pkt: &mut [u8],
        meta: &PacketMeta,
        csum_partial: bool,
    ) -> CtVerdict {
        let dir = info.dir();
        let mut statusbit = manip.nat_bit();
        if dir == Dir::Reply {
            statusbit = NAT_MASK.difference(statusbit);
        }
        let icmp = super::icmp::is_icmp_of(meta.family, meta.protocol.0);
        if icmp && matches!(info, CtInfo::Related | CtInfo::RelatedReply) {
            return self.icmp_reply_translation(e, dir, manip, statusbit, pkt, meta);
        }
        if !e.status.contains(statusbit) {
            return CtVerdict::Accept;
        }
        let other = e.tuple_ref(dir.other().idx());
        nat_rewrite(other, manip, pkt, meta.family, csum_partial)
    }

    #[inline(never)]
    fn icmp_reply_translation(
        &self,
        e: &super::Entry,
        dir: Dir,
        manip: ManipType,
        statusbit: CtStatus,
        pkt: &mut [u8],
        meta: &PacketMeta,
    ) -> CtVerdict {
        let hdrlen = meta.thoff;
        let inner_iplen = if meta.family == Family::Ipv4 { 20 } else { 40 };
        if pkt.len() < hdrlen + 8 + inner_iplen {
            return CtVerdict::Drop;
        }
        let (src, dst) = meta.addrs(pkt);
        if !csum_ok(meta.family, &src, &dst, meta.protocol.0, &pkt[hdrlen..]) {
            return CtVerdict::Drop;
        }
        let ty = pkt[hdrlen];
        let redirect = if meta.family == Family::Ipv4 { 5 } else { 137 };
        if ty == redirect {
            if !e.status.contains(NAT_DONE_MASK) {
                return CtVerdict::Drop;
            }
            if e.status.intersects(NAT_MASK) {
                return CtVerdict::Drop;
            }
        }
        if !e.status.contains(statusbit) {
            return CtVerdict::Accept;
        }
        let other = e.tuple(dir.other().idx());
        if !manip_pkt(pkt, hdrlen + 8, meta.family, &other, manip.other(), false) {
            return CtVerdict::Drop;
        }
        // Recompute the ICMP checksum over the whole message.
        wr_u16(pkt, hdrlen + 2, 0);
        let c = match meta.family {
            Family::Ipv4 => icmpv4(&pkt[hdrlen..]),
            Family::Ipv6 => icmpv6(&src.into(), &dst.into(), &pkt[hdrlen..]),
        };
        wr_u16(pkt, hdrlen + 2, c);
        let Some(mut target) = other.invert() else {
            return CtVerdict::Drop;
        };
        target.proto = meta.protocol.0;
        if manip_pkt(pkt, 0, meta.family, &target, manip, false) {
            CtVerdict::Accept
        } else {
            CtVerdict::Drop
        }
    }
}

/// `nf_nat_manip_pkt` (net/netfilter/nf_nat_proto.c) of a packet to the
/// inverse of `other`, the tuple of the other direction (what
/// `nf_nat_packet` does once `statusbit` is set): the IPv4 TCP/UDP
/// rewrite on words (`manip_v4_l4`) when it applies, else the general
/// `manip_pkt`, out of line.
#[inline(always)]
pub(crate) fn nat_rewrite(
    other: &Tuple,
    manip: ManipType,
    pkt: &mut [u8],
    family: Family,
    csum_partial: bool,
) -> CtVerdict {
    if family == Family::Ipv4 && !csum_partial {
        if let Some(ok) = manip_v4_l4(pkt, other, manip) {
            return if ok {
                CtVerdict::Accept
            } else {
                CtVerdict::Drop
            };
        }
    }
    nat_manip_general(other, manip, pkt, family, csum_partial)
}

/// [`nat_rewrite`] of an IPv4 packet without `CHECKSUM_PARTIAL`, when
/// `manip_v4_l4` applies to it (TCP with its 20-byte header, UDP with its
/// 8-byte one): true when rewritten, false when the packet is untouched and
/// needs [`nat_rewrite`].
#[inline(always)]
pub(crate) fn nat_rewrite_v4(other: &Tuple, manip: ManipType, pkt: &mut [u8]) -> bool {
    manip_v4_l4(pkt, other, manip) == Some(true)
}

/// The end of [`ConntrackTable::nat_entry`] for a packet other than an
/// IPv4 TCP/UDP one without `CHECKSUM_PARTIAL` (`manip_v4_l4`): the
/// general `manip_pkt`, out of line so that the common rewrite keeps a
/// small frame.
#[inline(never)]
fn nat_manip_general(
    other: &Tuple,
    manip: ManipType,
    pkt: &mut [u8],
    family: Family,
    csum_partial: bool,
) -> CtVerdict {
    let Some(target) = other.invert() else {
        return CtVerdict::Drop;
    };
    if manip_pkt(pkt, 0, family, &target, manip, csum_partial) {
        CtVerdict::Accept
    } else {
        CtVerdict::Drop
    }
}

fn addr_off(family: Family, m: ManipType) -> (usize, usize) {
    match (family, m) {
        (Family::Ipv4, ManipType::Src) => (12, 4),
        (Family::Ipv4, ManipType::Dst) => (16, 4),
        (Family::Ipv6, ManipType::Src) => (8, 16),
        (Family::Ipv6, ManipType::Dst) => (24, 16),
    }
}

/// `nf_csum_update`: pseudo-header part of an L4 checksum for the address
/// about to change.
fn csum_update_addr(
    pkt: &mut [u8],
    family: Family,
    iphdroff: usize,
    check_off: usize,
    t: &Tuple,
    m: ManipType,
    partial: bool,
) {
    let (off, len) = addr_off(family, m);
    let new: &[u8] = match m {
        ManipType::Src => &t.src[..len],
        ManipType::Dst => &t.dst[..len],
    };
    let Some(old) = pkt.get(iphdroff + off..iphdroff + off + len) else {
        return;
    };
    let mut oldb = [0u8; 16];
    oldb[..len].copy_from_slice(old);
    if let Some(c) = get_u16(pkt, check_off) {
        let c = if partial {
            // CHECKSUM_PARTIAL: the field is the un-complemented pseudo sum.
            csum_replace(c, new, &oldb[..len])
        } else {
            csum_replace(c, &oldb[..len], new)
        };
        wr_u16(pkt, check_off, c);
    }
}

fn replace_port(pkt: &mut [u8], check_off: usize, old: u16, new: u16, partial: bool) {
    if partial {
        // inet_proto_csum_replace2(.., pseudohdr = false) on CHECKSUM_PARTIAL.
        return;
    }
    if let Some(c) = get_u16(pkt, check_off) {
        wr_u16(
            pkt,
            check_off,
            csum_replace(c, &old.to_be_bytes(), &new.to_be_bytes()),
        );
    }
}

/// `l4proto_manip_pkt`.
fn l4_manip(
    pkt: &mut [u8],
    family: Family,
    iphdroff: usize,
    hdroff: usize,
    t: &Tuple,
    m: ManipType,
    partial: bool,
) -> bool {
    match t.proto {
        proto::TCP => {
            let hdrsize = if pkt.len() >= hdroff + 20 { 20 } else { 8 };
            if pkt.len() < hdroff + hdrsize {
                return false;
            }
            let (new, poff) = match m {
                ManipType::Src => (t.src_u, hdroff),
                ManipType::Dst => (t.dst_u, hdroff + 2),
            };
            let Some(old) = get_u16(pkt, poff) else {
                return false;
            };
            wr_u16(pkt, poff, new);
            if hdrsize < 20 {
                return true;
            }
            csum_update_addr(pkt, family, iphdroff, hdroff + 16, t, m, partial);
            replace_port(pkt, hdroff + 16, old, new, partial);
            true
        }
        proto::UDP | proto::UDPLITE => {
            if pkt.len() < hdroff + 8 {
                return false;
            }
            let (new, poff) = match m {
                ManipType::Src => (t.src_u, hdroff),
                ManipType::Dst => (t.dst_u, hdroff + 2),
            };
            let Some(old) = get_u16(pkt, poff) else {
                return false;
            };
            let check_off = hdroff + 6;
            let do_csum =
                partial || t.proto == proto::UDPLITE || get_u16(pkt, check_off) != Some(0);
            if do_csum {
                csum_update_addr(pkt, family, iphdroff, check_off, t, m, partial);
                replace_port(pkt, check_off, old, new, partial);
                if get_u16(pkt, check_off) == Some(0) {
                    wr_u16(pkt, check_off, 0xffff); // CSUM_MANGLED_0
                }
            }
            wr_u16(pkt, poff, new);
            true
        }
        proto::ICMP => {
            if pkt.len() < hdroff + 8 {
                return false;
            }
            if !matches!(pkt[hdroff], 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18) {
                return true;
            }
            let Some(old) = get_u16(pkt, hdroff + 4) else {
                return false;
            };
            replace_port(pkt, hdroff + 2, old, t.src_u, false);
            wr_u16(pkt, hdroff + 4, t.src_u);
            true
        }
        proto::SCTP => {
            // sctp_manip_pkt: ports, then the CRC32c over the rest of the
            // packet (not for an inner header of fewer than 12 bytes).
            let hdrsize = if pkt.len() >= hdroff + 12 { 12 } else { 8 };
            if pkt.len() < hdroff + hdrsize {
                return false;
            }
            let (new, poff) = match m {
                ManipType::Src => (t.src_u, hdroff),
                ManipType::Dst => (t.dst_u, hdroff + 2),
            };
            wr_u16(pkt, poff, new);
            if hdrsize == 12 {
                let c = super::sctp::sctp_cksum(&pkt[hdroff..]);
                pkt[hdroff + 8..hdroff + 12].copy_from_slice(&c);
            }
            true
        }
        proto::GRE => {
            // gre_manip_pkt: only the destination key (PPTP call id) of
            // GREv1 is rewritten; GREv0 is left alone.
            if pkt.len() < hdroff + 8 {
                return false;
            }
            if m != ManipType::Dst {
                return true;
            }
            match pkt[hdroff + 1] & 0x07 {
                0 => true,
                1 => {
                    // In bounds: the length was checked above.
                    wr_u16(pkt, hdroff + 6, t.dst_u);
                    true
                }
                _ => false,
            }
        }
        proto::ICMPV6 => {
            if pkt.len() < hdroff + 8 {
                return false;
            }
            csum_update_addr(pkt, family, iphdroff, hdroff + 2, t, m, false);
            if matches!(pkt[hdroff], 128 | 129) {
                let Some(old) = get_u16(pkt, hdroff + 4) else {
                    return false;
                };
                replace_port(pkt, hdroff + 2, old, t.src_u, false);
                wr_u16(pkt, hdroff + 4, t.src_u);
            }
            true
        }
        _ => true,
    }
}

/// [`manip_pkt`] at offset 0 of an IPv4 packet whose whole TCP (20 bytes)
/// or UDP (8 bytes) header is there, not `CHECKSUM_PARTIAL`, to the
/// inverse of `other` (the tuple `nf_nat_packet` inverts): the same steps
/// (`nf_nat_ipv4_manip_pkt` -> `tcp_manip_pkt` / `udp_manip_pkt`, then
/// `csum_replace4` of the IP header) and the same
/// `inet_proto_csum_replace4` / `inet_proto_csum_replace2` arithmetic, on
/// words instead of byte slices. `None`: another case, for [`manip_pkt`].
#[inline(always)]
fn manip_v4_l4(pkt: &mut [u8], other: &Tuple, m: ManipType) -> Option<bool> {
    if other.family != Family::Ipv4 {
        return None;
    }
    // A header without options (the usual one): the same rewrite on
    // fixed offsets (`manip_v4_l4_20`); with options, out of line.
    if pkt.first().is_some_and(|b| b & 0x0f == 5) {
        return manip_v4_l4_20(pkt, other, m);
    }
    manip_v4_l4_opts(pkt, other, m)
}

/// [`manip_v4_l4`] of a header with options (or too short).
#[inline(never)]
fn manip_v4_l4_opts(pkt: &mut [u8], other: &Tuple, m: ManipType) -> Option<bool> {
    /// `inet_proto_replace` of one 32-bit or 16-bit word.
    fn replace(check: u16, old: u32, new: u32) -> u16 {
        let add = |a: u32, b: u32| {
            let (r, c) = a.overflowing_add(b);
            r.wrapping_add(u32::from(c))
        };
        // At most 32 bits: two folds leave at most 16.
        let acc = add(add(!u32::from(check), !old), new);
        let acc = (acc & 0xffff) + (acc >> 16);
        let acc = (acc & 0xffff) + (acc >> 16);
        !(acc as u16)
    }
    /// `replace` of the address, then of the port (`tcp_manip_pkt` /
    /// `udp_manip_pkt`: `inet_proto_csum_replace4`, then
    /// `inet_proto_csum_replace2`), folded once: the same 16 bits. Both
    /// are one's complement sums of the same words; the port's
    /// complemented 32-bit word is never zero, so neither is the +0 of an
    /// all-zero sum, and a non-zero one's complement sum has one 16-bit
    /// form (tested against `manip_pkt`, extreme values included).
    fn replace_addr_port(check: u16, old: u32, new: u32, old_port: u16, new_port: u16) -> u16 {
        let acc = u64::from(!u32::from(check))
            + u64::from(!old)
            + u64::from(new)
            + u64::from(!u32::from(old_port))
            + u64::from(new_port);
        // At most 35 bits: three folds leave at most 16.
        let acc = (acc & 0xffff) + (acc >> 16);
        let acc = (acc & 0xffff) + (acc >> 16);
        let acc = (acc & 0xffff) + (acc >> 16);
        !(acc as u16)
    }
    let rd16 = |p: &[u8], at: usize| u16::from_be_bytes([p[at], p[at + 1]]);
    let rd32 = |p: &[u8], at: usize| u32::from_be_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
    if pkt.len() < 20 || other.family != Family::Ipv4 {
        return None;
    }
    let hdroff = usize::from(pkt[0] & 0x0f) * 4;
    // The inverse of `other`: its destination is the new source.
    let (new_addr, new_port, aoff, poff) = match m {
        ManipType::Src => (&other.dst, other.dst_u, 12, hdroff),
        ManipType::Dst => (&other.src, other.src_u, 16, hdroff + 2),
    };
    let new_addr = u32::from_be_bytes([new_addr[0], new_addr[1], new_addr[2], new_addr[3]]);
    let old_addr = rd32(pkt, aoff);
    match other.proto {
        proto::TCP if hdroff >= 20 && pkt.len() >= hdroff + 20 => {
            let old_port = rd16(pkt, poff);
            pkt[poff..poff + 2].copy_from_slice(&new_port.to_be_bytes());
            let c = rd16(pkt, hdroff + 16);
            let c = replace_addr_port(c, old_addr, new_addr, old_port, new_port);
            pkt[hdroff + 16..hdroff + 18].copy_from_slice(&c.to_be_bytes());
        }
        proto::UDP if hdroff >= 20 && pkt.len() >= hdroff + 8 => {
            let old_port = rd16(pkt, poff);
            let c = rd16(pkt, hdroff + 6);
            if c != 0 {
                let c = replace_addr_port(c, old_addr, new_addr, old_port, new_port);
                // CSUM_MANGLED_0
                let c = if c == 0 { 0xffff } else { c };
                pkt[hdroff + 6..hdroff + 8].copy_from_slice(&c.to_be_bytes());
            }
            pkt[poff..poff + 2].copy_from_slice(&new_port.to_be_bytes());
        }
        _ => return None,
    }
    let ic = replace(rd16(pkt, 10), old_addr, new_addr);
    pkt[10..12].copy_from_slice(&ic.to_be_bytes());
    pkt[aoff..aoff + 4].copy_from_slice(&new_addr.to_be_bytes());
    Some(true)
}

/// [`manip_v4_l4`] of a packet whose IPv4 header has no options (`ihl`
/// 5): the transport header at 20, every offset a constant (no bounds
/// test after the one of the packet's length). The same sums: the
/// address's `~old + new` is added once into both checksums' one's
/// complement sums (`inet_proto_csum_replace4` of the TCP/UDP checksum
/// with the port's `inet_proto_csum_replace2`, and `csum_replace4` of the
/// IP header's); each sum is non-zero (its complemented 16-bit checksum
/// word has its high 16 bits set), so its folded 16 bits are the ones the
/// word-by-word end-around-carry additions give.
#[inline(always)]
fn manip_v4_l4_20(pkt: &mut [u8], other: &Tuple, m: ManipType) -> Option<bool> {
    let (new_addr, new_port) = match m {
        ManipType::Src => (&other.dst, other.dst_u),
        ManipType::Dst => (&other.src, other.src_u),
    };
    let new_addr = u32::from_be_bytes([new_addr[0], new_addr[1], new_addr[2], new_addr[3]]);
    match (other.proto, m) {
        (proto::TCP, ManipType::Src) => {
            rewrite_20::<40, 36, 12, 20>(pkt.first_chunk_mut()?, false, new_addr, new_port)
        }
        (proto::TCP, ManipType::Dst) => {
            rewrite_20::<40, 36, 16, 22>(pkt.first_chunk_mut()?, false, new_addr, new_port)
        }
        (proto::UDP, ManipType::Src) => {
            rewrite_20::<28, 26, 12, 20>(pkt.first_chunk_mut()?, true, new_addr, new_port)
        }
        (proto::UDP, ManipType::Dst) => {
            rewrite_20::<28, 26, 16, 22>(pkt.first_chunk_mut()?, true, new_addr, new_port)
        }
        _ => return None,
    }
    Some(true)
}

/// [`manip_v4_l4_20`]'s rewrite of the first `N` bytes: address at `A`,
/// port at `P`, transport checksum at `CK` (UDP's 0, no checksum, kept;
/// a result of 0 written as `CSUM_MANGLED_0`).
#[inline(always)]
fn rewrite_20<const N: usize, const CK: usize, const A: usize, const P: usize>(
    h: &mut [u8; N],
    udp: bool,
    new_addr: u32,
    new_port: u16,
) {
    // The one's complement sum of `acc`'s 16-bit words (acc < 2^35).
    let fold = |acc: u64| {
        let acc = (acc & 0xffff) + (acc >> 16);
        let acc = (acc & 0xffff) + (acc >> 16);
        let acc = (acc & 0xffff) + (acc >> 16);
        acc as u16
    };
    let old_addr = u32::from_be_bytes([h[A], h[A + 1], h[A + 2], h[A + 3]]);
    let old_port = u16::from_be_bytes([h[P], h[P + 1]]);
    let addr = u64::from(!old_addr) + u64::from(new_addr);
    let c = u16::from_be_bytes([h[CK], h[CK + 1]]);
    if !(udp && c == 0) {
        let c = !fold(
            addr + u64::from(!u32::from(c)) + u64::from(!u32::from(old_port)) + u64::from(new_port),
        );
        let c = if udp && c == 0 { 0xffff } else { c };
        h[CK..CK + 2].copy_from_slice(&c.to_be_bytes());
    }
    h[P..P + 2].copy_from_slice(&new_port.to_be_bytes());
    let ic = u16::from_be_bytes([h[10], h[11]]);
    let ic = !fold(addr + u64::from(!u32::from(ic)));
    h[10..12].copy_from_slice(&ic.to_be_bytes());
    h[A..A + 4].copy_from_slice(&new_addr.to_be_bytes());
}

/// `nf_nat_ipv4_manip_pkt` / `nf_nat_ipv6_manip_pkt` at `iphdroff`.
/// `partial`: the packet is `CHECKSUM_PARTIAL` (see
/// [`ConntrackTable::nat_packet_csum`]).
fn manip_pkt(
    pkt: &mut [u8],
    iphdroff: usize,
    family: Family,
    t: &Tuple,
    m: ManipType,
    partial: bool,
) -> bool {
    let (off, len) = addr_off(family, m);
    let new: [u8; 16] = match m {
        ManipType::Src => t.src,
        ManipType::Dst => t.dst,
    };
    match family {
        Family::Ipv4 => {
            if pkt.len() < iphdroff + 20 {
                return false;
            }
            let hdroff = iphdroff + usize::from(pkt[iphdroff] & 0x0f) * 4;
            if !l4_manip(pkt, family, iphdroff, hdroff, t, m, partial) {
                return false;
            }
            let mut old = [0u8; 4];
            old.copy_from_slice(&pkt[iphdroff + off..iphdroff + off + 4]);
            if let Some(c) = get_u16(pkt, iphdroff + 10) {
                wr_u16(pkt, iphdroff + 10, csum_replace(c, &old, &new[..4]));
            }
            pkt[iphdroff + off..iphdroff + off + 4].copy_from_slice(&new[..4]);
            true
        }
        Family::Ipv6 => {
            if pkt.len() < iphdroff + 40 {
                return false;
            }
            let nh = IpProtocol(pkt[iphdroff + 6]);
            if let Some(s) = ipv6::skip_exthdr(pkt, iphdroff + 40, nh) {
                if s.frag_off & !0x7 == 0
                    && !l4_manip(pkt, family, iphdroff, s.offset, t, m, partial)
                {
                    return false;
                }
            }
            pkt[iphdroff + off..iphdroff + off + len].copy_from_slice(&new[..len]);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::pseudo_header;

    /// A CHECKSUM_PARTIAL TCP segment (field = folded pseudo-header sum)
    /// keeps a field equal to the pseudo-header sum of its new addresses
    /// after SNAT, whatever happens to the ports.
    #[test]
    fn partial_checksum_follows_the_pseudo_header() {
        let mut pkt =
            crate::wire::PacketBuilder::ipv4([192, 168, 1, 31].into(), [203, 0, 113, 10].into())
                .tcp(8082, 50001)
                .flags(crate::wire::tcp::TcpFlags::RST | crate::wire::tcp::TcpFlags::ACK)
                .build();
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum (set below).
        let b16 = |a: [u8; 4]| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&a);
            b
        };
        let dst = b16([203, 0, 113, 10]);
        let before = pseudo_header(&[192, 168, 1, 31], &dst[..4], IpProtocol::TCP, 20);
        pkt[36..38].copy_from_slice(&before.to_be_bytes());
        let t = Tuple {
            family: Family::Ipv4,
            src: b16([198, 51, 100, 1]),
            dst,
            proto: 6,
            src_u: 8080,
            dst_u: 50001,
        };
        assert!(manip_pkt(
            &mut pkt,
            0,
            Family::Ipv4,
            &t,
            ManipType::Src,
            true
        ));
        let want = pseudo_header(&t.src[..4], &dst[..4], IpProtocol::TCP, 20);
        assert_eq!(get_u16(&pkt, 36), Some(want));
        assert_eq!(get_u16(&pkt, 20), Some(8080));
    }

    /// The word-wise IPv4 TCP/UDP rewrite does what `manip_pkt` does to
    /// the inverted tuple, byte for byte (checksums of every value,
    /// including UDP's 0 and results that fold to 0).
    #[test]
    fn manip_v4_l4_agrees_with_manip_pkt() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..4000 {
            let r = next();
            let udp = i % 2 == 0;
            let b = |k: u32| (r >> k) as u8;
            let mut pkt = if udp {
                crate::wire::PacketBuilder::ipv4(
                    [b(0), b(8), 2, 1].into(),
                    [b(16), 0, 113, b(24)].into(),
                )
                .udp((r >> 32) as u16, (r >> 48) as u16)
                .build()
            } else {
                crate::wire::PacketBuilder::ipv4(
                    [b(0), b(8), 2, 1].into(),
                    [b(16), 0, 113, b(24)].into(),
                )
                .tcp((r >> 32) as u16, (r >> 48) as u16)
                .build()
            };
            let r2 = next();
            // Arbitrary checksum fields, sometimes 0 or 0xffff.
            let ck = match r2 % 5 {
                0 => 0,
                1 => 0xffff,
                _ => (r2 >> 8) as u16,
            };
            // Every fourth packet with 4 bytes of IP options (NOPs and
            // EOL, `ihl` 6): `manip_v4_l4_opts` rather than the fixed
            // offsets of `manip_v4_l4_20`.
            let hl = if i % 4 == 1 {
                pkt.splice(20..20, [1, 1, 1, 0]);
                pkt[0] = 0x46;
                let len = pkt.len() as u16;
                pkt[2..4].copy_from_slice(&len.to_be_bytes());
                24
            } else {
                20
            };
            let at = if udp { hl + 6 } else { hl + 16 };
            pkt[at..at + 2].copy_from_slice(&ck.to_be_bytes());
            pkt[10..12].copy_from_slice(&((r2 >> 24) as u16).to_be_bytes());
            let mut other = Tuple {
                family: Family::Ipv4,
                src: [0; 16],
                dst: [0; 16],
                proto: if udp { 17 } else { 6 },
                src_u: (r2 >> 40) as u16,
                dst_u: (r2 >> 48) as u16,
            };
            let r3 = next();
            other.src[..4].copy_from_slice(&(r3 as u32).to_be_bytes());
            other.dst[..4].copy_from_slice(&((r3 >> 32) as u32).to_be_bytes());
            // Extreme words: all-zero and all-ones addresses, ports and
            // checksums, where a one's complement sum could come to +0.
            if i % 3 == 0 {
                let pick = |k: u32| if (r3 >> k) & 1 == 0 { 0u8 } else { 0xff };
                other.src[..4].fill(pick(0));
                other.dst[..4].fill(pick(1));
                other.src_u = u16::from_ne_bytes([pick(2); 2]);
                other.dst_u = u16::from_ne_bytes([pick(3); 2]);
                for (at, k) in [(12, 4), (16, 5), (hl, 6), (hl + 2, 7)] {
                    let w = if at < 20 { 4 } else { 2 };
                    pkt[at..at + w].fill(pick(k));
                }
                pkt[at..at + 2].fill(pick(8));
                pkt[10..12].fill(pick(9));
            }
            for m in [ManipType::Src, ManipType::Dst] {
                let (mut a, mut b) = (pkt.clone(), pkt.clone());
                let fast = manip_v4_l4(&mut a, &other, m);
                let slow = manip_pkt(&mut b, 0, Family::Ipv4, &other.invert().unwrap(), m, false);
                assert_eq!(fast, Some(slow));
                assert_eq!(a, b, "{m:?} {other:?}");
            }
        }
    }

    #[test]
    fn jhash_known_values() {
        // jhash2 of an empty key is the initial value.
        assert_eq!(jhash2(&[], 0), 0xdead_beef);
        // Deterministic and sensitive to every word.
        let a = jhash2(&[1, 2, 3, 4], 0);
        assert_ne!(a, jhash2(&[1, 2, 3, 5], 0));
        assert_ne!(a, jhash2(&[1, 2, 3, 4], 1));
    }

    #[test]
    fn netmap_keeps_host_part() {
        let t = NatRange::to(
            "10.1.0.0".parse().unwrap(),
            "10.1.255.255".parse().unwrap(),
            None,
        );
        let r = NatRange::netmap(&t, "192.168.7.9".parse().unwrap()).unwrap();
        assert_eq!(r.min_addr, "10.1.7.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn best_ips_single_and_range() {
        let mut t = Tuple::new(
            "192.0.2.2".parse().unwrap(),
            "198.51.100.9".parse().unwrap(),
            6,
            1,
            2,
        )
        .unwrap();
        let (_, min) = addr_bytes("203.0.113.1".parse().unwrap());
        let (_, max) = addr_bytes("203.0.113.4".parse().unwrap());
        let r = RangeB {
            flags: NatRangeFlags::MAP_IPS,
            min,
            max,
            min_proto: 0,
            max_proto: 0,
            base_proto: 0,
        };
        let orig = t;
        find_best_ips(&mut t, &r, ManipType::Src);
        assert!(addr_in_range(Family::Ipv4, &t.src, &min, &max));
        let mut t2 = orig;
        find_best_ips(&mut t2, &r, ManipType::Src);
        assert_eq!(t.src, t2.src, "consistent choice");
    }

    /// Address choices recorded from Linux 6.18 (`-j SNAT --to-source
    /// 192.0.2.100-192.0.2.150` in POSTROUTING and `-j DNAT --to-destination
    /// 198.51.100.10-198.51.100.20` in OUTPUT, flows 192.0.2.1 -> 192.0.2.d):
    /// `find_best_ips_proto` with `jhash2` is reproduced exactly.
    #[test]
    fn kernel_checked_address_choice() {
        let snat = [120u8, 106, 122, 129, 147, 124, 111, 119, 141, 131];
        let dnat = [14u8, 11, 14, 16, 20, 15, 12, 14, 19, 16];
        for d in 2..12u8 {
            for (m, lo, hi, want) in [
                (
                    ManipType::Src,
                    "192.0.2.100",
                    "192.0.2.150",
                    snat[usize::from(d - 2)],
                ),
                (
                    ManipType::Dst,
                    "198.51.100.10",
                    "198.51.100.20",
                    dnat[usize::from(d - 2)],
                ),
            ] {
                let mut t = Tuple::new(
                    "192.0.2.1".parse().unwrap(),
                    IpAddr::from([192, 0, 2, d]),
                    17,
                    7000,
                    53,
                )
                .unwrap();
                let (_, min) = addr_bytes(lo.parse().unwrap());
                let (_, max) = addr_bytes(hi.parse().unwrap());
                let r = RangeB {
                    flags: NatRangeFlags::MAP_IPS,
                    min,
                    max,
                    min_proto: 0,
                    max_proto: 0,
                    base_proto: 0,
                };
                find_best_ips(&mut t, &r, m);
                let got = if m == ManipType::Src {
                    t.src[3]
                } else {
                    t.dst[3]
                };
                assert_eq!(got, want, "{m:?} dst .{d}");
            }
        }
    }
}
