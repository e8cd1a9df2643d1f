//! The lookup index (`ConntrackTable::fast`): an open-addressing table of
//! `(tag, node)` words over both tuples of every confirmed entry, keyed by
//! a fast hash of the whole tuple ([`fast_hash`]). One probe usually reads
//! one cache line of the index and then the entry's tuple. The kernel's
//! buckets (`hash_bucket`, `nf_conntrack_hash`) live in the chained index
//! of `table.rs`, walked only where they show: a new connection's lookup
//! (reclaiming the expired entries of its bucket), confirm's clash check,
//! the NAT port search (`nf_conntrack_tuple_taken`) and `early_drop`.

use super::tuple::{proto, Dir, Family, Tuple};
use super::{udp, ConntrackTable, CtHandle, CtInfo, CtResult, CtSlot, CtStatus, CtVerdict};
use super::{Hook, L4State, L4Verdict};
use crate::time::Instant;
use crate::wire::meta::PacketMeta;
use core::hint::black_box;

/// An empty slot.
pub(super) const EMPTY: u64 = u64::MAX;

/// Bit 31 of a node in the index (`idx * 2 + dir` below it, see
/// `table::SLOT_LIMIT`): set on the reply node of an entry whose reply
/// tuple is its original tuple with addresses and ports swapped
/// (`Entry::reply_is_swapped`: no NAT changed it), so that the lookup
/// compares a reply against the original tuple, in the entry's first line,
/// which holds everything else an established packet reads: a flow without
/// NAT reads one line of its entry in either direction.
pub(super) const INV: u32 = 1 << 31;

/// The entry and direction (0 original, 1 reply) of an index slot.
#[inline(always)]
pub(super) fn node_of(slot: u64) -> (u32, usize) {
    let node = slot as u32;
    ((node & !INV) / 2, (node & 1) as usize)
}

/// `(a * b)` folded to 64 bits (the multiply-fold of wyhash / foldhash).
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline]
fn word(b: &[u8; 16], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// The index's hash of a whole tuple; its low bits choose the home slot,
/// all 32 are compared before the entry is read. An IPv4 tuple's address
/// bytes past the fourth are zero (`union nf_inet_addr`): one multiply
/// covers its addresses, three an IPv6 tuple's. (Equality is always
/// checked on the whole tuple; the hash only spreads.)
#[inline]
pub(super) fn fast_hash(t: &Tuple) -> u32 {
    let k = u64::from(t.src_u) | (u64::from(t.dst_u) << 16) | (u64::from(t.proto) << 32);
    let h = match t.family {
        Family::Ipv4 => {
            let w = |b: &[u8; 16]| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            return hash_v4(w(&t.src) | (w(&t.dst) << 32), k);
        }
        Family::Ipv6 => {
            let a = fold(
                word(&t.src, 0) ^ 0x243f_6a88_85a3_08d3,
                word(&t.dst, 0) ^ 0x1319_8a2e_0370_7344,
            );
            let b = fold(
                word(&t.src, 8) ^ 0xa409_3822_299f_31d0,
                word(&t.dst, 8) ^ 0x082e_fa98_ec4e_6c89,
            );
            fold(
                a ^ k ^ (6 << 40) ^ 0x4528_21e6_38d0_1377,
                b ^ 0xbe54_66cf_34e9_0c6c,
            )
        }
    };
    (h ^ (h >> 32)) as u32
}

/// [`fast_hash`] of an IPv4 tuple: `addrs` its address bytes as one
/// little-endian word (the source's four, then the destination's: the
/// packet's bytes 12..20), `k` its ports and protocol as [`fast_hash`]
/// packs them.
#[inline]
pub(super) fn hash_v4(addrs: u64, k: u64) -> u32 {
    let h = fold(
        addrs ^ 0x243f_6a88_85a3_08d3,
        k ^ (4 << 40) ^ 0x4528_21e6_38d0_1377,
    );
    (h ^ (h >> 32)) as u32
}

/// `nf_checksum` of a TCP or UDP segment (`csum_rest`'s outcome: true
/// when it verifies) with its pseudo-header's addresses summed from
/// little-endian words (`addrs`: any sum of the address bytes read as
/// little-endian 32-bit words, e.g. the packet's bytes 12..20 as one
/// little-endian `u64`, its halves added). The Internet checksum is
/// independent of byte order (RFC 1071 2.(B)): summed in little-endian
/// 16-bit words it is the byte swap of the big-endian sum, and a sum is
/// `0xffff` (or, before folding, a non-zero multiple of `0xffff`) in
/// both orders or in neither. So no word is byte-swapped, and the
/// segment is summed in 64-bit words with end-around carries (`add`,
/// `adc`: `2^64 - 1` is a multiple of `0xffff`). The pseudo-header's
/// length (32 bits, as IPv6 has it; an IPv4 length's upper half is zero)
/// and protocol are its big-endian words byte-swapped.
///
/// The first `N` bytes (8: a UDP header; 16: most of a TCP header) are
/// summed inline, with no loop, and so are up to 7 more (the rest of a
/// TCP header without options, a short datagram); a longer rest out of
/// line ([`sum_rest`]); a segment shorter than `N` by [`csum_le_short`].
#[inline(always)]
pub(super) fn csum_le<const N: usize>(addrs: u64, p: u8, l4: &[u8]) -> bool {
    // A segment of 4 GiB or more (the pseudo-header's length clamped,
    // as `csum_rest` has it) also takes the byte-pair loop: one test
    // here, no clamp.
    let (Some((head, _)), Ok(len)) = (l4.split_first_chunk::<N>(), u32::try_from(l4.len())) else {
        return csum_le_short(addrs, p, l4);
    };
    // Below 2^35: no carry.
    let mut acc = addrs + u64::from(len.swap_bytes()) + (u64::from(p) << 8);
    for w in head.chunks_exact(8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        acc = add_carry(acc, u64::from_le_bytes(b));
    }
    let len = l4.len();
    if len >= N + 8 {
        acc = sum_rest(acc, l4, N);
    } else if len > N {
        // 1 to 7 bytes past the head: the high bytes of the segment's
        // last 8, shifted down (as `sum_rest` ends).
        if let Some(Ok(last)) = l4.get(len - 8..).map(<[u8; 8]>::try_from) {
            acc = add_carry(acc, u64::from_le_bytes(last) >> (64 - 8 * (len - N)));
        }
    }
    // Never zero: the start is (its length, at least `N`, is not zero
    // byte-swapped), and a sum with end-around carry of a non-zero term
    // is non-zero (`2^64` wraps to 1).
    debug_assert_ne!(acc, 0);
    fold_ok_nz(acc)
}

/// `a + b` with the end-around carry (ones' complement, 64 bits).
#[inline(always)]
fn add_carry(a: u64, b: u64) -> u64 {
    let (s, c) = a.overflowing_add(b);
    s + u64::from(c)
}

/// `csum_rest`'s fold and test (`csum_fold(sum) == 0`: the folded sum is
/// `0xffff`) without folding: a 64-bit ones' complement sum folds to
/// `0xffff` exactly when it is a non-zero multiple of `0xffff` (each fold
/// step keeps the value modulo `0xffff`, `2^16 = 1 mod 0xffff`, and a
/// non-zero value non-zero; the only 16-bit values that are multiples are
/// 0 and `0xffff`). The divisibility test is a multiplication by the
/// inverse of `0xffff` modulo `2^64` and a comparison (no division):
/// `fold_ok_by_folding` (tests) is the fold it replaces, proven equal by test.
#[inline(always)]
pub(super) fn fold_ok(acc: u64) -> bool {
    (acc != 0) & fold_ok_nz(acc)
}

/// [`fold_ok`] of a sum known not to be zero: a multiple of `0xffff`.
#[inline(always)]
fn fold_ok_nz(acc: u64) -> bool {
    acc % 0xffff == 0
}

/// The four-step fold [`fold_ok`] stands for (to below 2^33, then to 16
/// bits three times: at most 0x2fffe, 0x10001, 0xffff), kept as its
/// reference in tests.
#[cfg(test)]
fn fold_ok_by_folding(acc: u64) -> bool {
    let mut acc = (acc & 0xffff_ffff) + (acc >> 32);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    acc == 0xffff
}

/// [`csum_le`]'s sum of the segment's bytes from `from` (a multiple of 8,
/// at least 8, at most `l4.len() - 8`) on, added to `acc`: whole words, then
/// the last 0 to 7 bytes as the high bytes of the segment's last 8 (an
/// even offset: the same little-endian 16-bit words, a last odd byte the
/// low byte of its word, as the big-endian sum pads it).
#[inline(never)]
fn sum_rest(mut acc: u64, l4: &[u8], from: usize) -> u64 {
    let Some(rest) = l4.get(from..) else {
        return acc;
    };
    let mut words = rest.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        acc = add_carry(acc, u64::from_le_bytes(b));
    }
    let r = words.remainder().len();
    if r != 0 {
        if let Some(Ok(last)) = l4
            .len()
            .checked_sub(8)
            .map(|i| <[u8; 8]>::try_from(&l4[i..]))
        {
            acc = add_carry(acc, u64::from_le_bytes(last) >> (64 - 8 * r));
        }
    }
    acc
}

/// [`csum_le`] of a segment shorter than its `N` (a truncated header,
/// which the callers reject before: kept exact all the same) or of 4 GiB
/// or more: any segment, in 16-bit little-endian words.
#[cold]
#[inline(never)]
fn csum_le_short(addrs: u64, p: u8, l4: &[u8]) -> bool {
    let len = u32::try_from(l4.len()).unwrap_or(u32::MAX);
    let mut acc = addrs + u64::from(len.swap_bytes()) + (u64::from(p) << 8);
    let mut r = l4;
    while let [a, b, tail @ ..] = r {
        acc += u64::from(u16::from_le_bytes([*a, *b]));
        r = tail;
    }
    if let [a] = r {
        acc += u64::from(*a);
    }
    fold_ok(acc)
}

/// Linear probing, at most 3/8 full, deletion by backward shift (no
/// tombstones): a node's slot depends only on the nodes present, so the
/// index is deterministic. At most 3/8 rather than the usual 3/4: at a
/// load of 1/2 (a 1M-entry table just before the index doubles) a lookup
/// probed 1.47 slots and its home slot's tag test was mispredicted 0.51
/// times; at 1/4 `conntrack/established_lookup_1M` went 33 -> 29.6 ns and
/// `new_connection` 120 -> 100-107 ns (fewer shifts), for 8 more bytes a
/// node (heap bytes per entry at 1M: 220 -> 252).
#[derive(Debug, Clone, Default)]
pub(super) struct FastIndex {
    slots: Vec<u64>,
}

impl FastIndex {
    /// Makes room for `nodes` nodes (doubling); `false` when the allocator
    /// refuses (the caller drops the packet, as for the slab).
    #[inline]
    pub(super) fn reserve(&mut self, nodes: usize) -> bool {
        nodes.saturating_mul(8) <= self.slots.len().saturating_mul(3) || self.grow(nodes)
    }

    /// [`Self::reserve`] when the index must grow.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, nodes: usize) -> bool {
        let mut cap = self.slots.len().max(16);
        while nodes.saturating_mul(8) > cap.saturating_mul(3) {
            cap *= 2;
        }
        // Slots are chosen by the 32-bit tag.
        if cap > 1 << 32 {
            return false;
        }
        // Into huge pages when large (`pages.rs`): each lookup reads a
        // random slot.
        let Ok(mut new) = super::pages::with_capacity(cap) else {
            return false;
        };
        new.resize(cap, EMPTY);
        let m = cap - 1;
        for &s in &self.slots {
            if s != EMPTY {
                let mut i = (s >> 32) as usize & m;
                while new[i] != EMPTY {
                    i = (i + 1) & m;
                }
                new[i] = s;
            }
        }
        self.slots = new;
        true
    }

    /// The slots, for probing: start at `tag & (len - 1)`, stop at [`EMPTY`].
    #[inline]
    pub(super) fn slots(&self) -> &[u64] {
        &self.slots
    }

    /// Inserts a node (room reserved by [`Self::reserve`]).
    pub(super) fn insert(&mut self, tag: u32, node: u32) {
        let m = self.slots.len() - 1;
        let mut i = tag as usize & m;
        while self.slots[i] != EMPTY {
            i = (i + 1) & m;
        }
        self.slots[i] = (u64::from(tag) << 32) | u64::from(node);
    }

    /// Removes a node, whatever its [`INV`] flag (a node is in the index
    /// once: `node` without the flag names it), shifting back the nodes of
    /// its probe run.
    pub(super) fn remove(&mut self, tag: u32, node: u32) {
        if self.slots.is_empty() {
            return;
        }
        let key = (u64::from(tag) << 32) | u64::from(node & !INV);
        let m = self.slots.len() - 1;
        let mut i = tag as usize & m;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return;
            }
            if s & !u64::from(INV) == key {
                break;
            }
            i = (i + 1) & m;
        }
        let mut j = i;
        loop {
            j = (j + 1) & m;
            let s = self.slots[j];
            if s == EMPTY {
                break;
            }
            let home = (s >> 32) as usize & m;
            // `s` may move to the hole at `i` unless its home lies
            // cyclically in (i, j].
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if !stays {
                self.slots[i] = s;
                i = j;
            }
        }
        self.slots[i] = EMPTY;
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.slots.capacity() * core::mem::size_of::<u64>()
    }
}

/// What [`ConntrackTable::find_live`] found.
pub(super) enum Probe {
    /// The entry and the tuple's direction in it.
    Live(u32, Dir),
    /// The entry, expired.
    Expired,
    /// No entry has the tuple.
    Absent,
}

/// Tuples equal (`nf_ct_tuple_equal`), the ports and protocol first: on
/// a tag match they are what usually differs, and they are one word.
#[inline]
fn tuple_eq(a: &Tuple, b: &Tuple) -> bool {
    a.src_u == b.src_u
        && a.dst_u == b.dst_u
        && a.proto == b.proto
        && a.family == b.family
        && a.src == b.src
        && a.dst == b.dst
}

impl ConntrackTable {
    /// Reads the memory that [`Self::process`] of this packet will read
    /// first, and changes nothing: the lookup index's home slot of the
    /// packet's tuple and the next, and the entry the first of them with
    /// the tuple's tag names (the lines its lookup reads). For an IPv4 TCP or UDP packet
    /// (others: nothing). Its only
    /// effect is on the caches: the loads are issued now, so that the
    /// misses of several packets overlap ([`Self::process_burst`])
    /// instead of each packet's waiting for the previous one's update. A
    /// slot or entry that turns out not to be the packet's costs a
    /// useless load, never a wrong result: `process` looks everything up
    /// again.
    ///
    /// Plain reads kept alive with [`core::hint::black_box`]
    /// (`_mm_prefetch` needs `unsafe` on this toolchain).
    #[inline]
    pub fn prefetch(&self, pkt: &[u8], meta: &PacketMeta) {
        let p = meta.protocol.0;
        if meta.family == Family::Ipv4 && meta.fragoff == 0 && (p == proto::UDP || p == proto::TCP)
        {
            if let Some(tag) = Self::tag4(pkt, meta.thoff, p) {
                self.touch(tag);
            }
        }
    }

    /// The [`hash_v4`] of an IPv4 packet with ports (protocol `p`), read
    /// from its bytes as [`Self::established_udp4`] reads them; `None` when
    /// it is too short for them.
    #[inline(always)]
    fn tag4(pkt: &[u8], thoff: usize, p: u8) -> Option<u32> {
        let (Some(&[p0, p1, p2, p3]), Some(Ok(a))) = (
            pkt.get(thoff..thoff.wrapping_add(4)),
            pkt.get(12..20).map(<[u8; 8]>::try_from),
        ) else {
            return None;
        };
        let k = u64::from(u16::from_be_bytes([p0, p1]))
            | (u64::from(u16::from_be_bytes([p2, p3])) << 16)
            | (u64::from(p) << 32);
        Some(hash_v4(u64::from_le_bytes(a), k))
    }

    /// [`Self::prefetch`]'s reads for the tuple whose [`fast_hash`] is
    /// `tag`: its home slot and the next, then the entry of the first of
    /// the two that carries the tag, if one does (no branch on the loaded
    /// slots: a mispredicted branch would throw away the loads issued
    /// after it).
    #[inline(always)]
    fn touch(&self, tag: u32) {
        let slots = self.fast.slots();
        let m = slots.len().wrapping_sub(1);
        let i = tag as usize & m;
        let s0 = slots.get(i).copied().unwrap_or(EMPTY);
        let s1 = slots.get((i + 1) & m).copied().unwrap_or(EMPTY);
        let s = if (s0 >> 32) as u32 == tag {
            s0
        } else if (s1 >> 32) as u32 == tag {
            s1
        } else {
            // No entry: `SLOT_LIMIT`, past every slab.
            EMPTY
        };
        let (idx, d) = node_of(s);
        if let Some(e) = self.entries.get(idx as usize) {
            // The lines the lookup reads: the first, and the reply tuple's
            // for a reply the index does not flag `INV`.
            let x = if d == 1 && (s as u32) & INV == 0 {
                &e.t1
            } else {
                &e.t0
            };
            black_box((e.timeout, x.src_u));
        }
    }

    /// [`Self::process`] of each packet of `burst` in order, all at `now`
    /// in `hook`, the results in `out`; returns how many it processed
    /// (the shorter of the two lengths). The same results and the same
    /// table as that many calls of `process`. Up to 32 packets at a time,
    /// it first reads, for each packet, what its lookup will read
    /// ([`Self::prefetch`]: reads only), so that the packets' memory
    /// misses overlap, keeping the index's hash of each established-UDP
    /// candidate (a function of the packet's bytes alone); then it
    /// processes them one by one, each as `process` does (the same
    /// checks, in the same order, on the table as the packets before it
    /// left it), the hash taken from the first step.
    ///
    /// # Examples
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable, CtResult, CtSlot, CtVerdict, Hook};
    /// use nfsim::time::Instant;
    /// use nfsim::wire::meta::PacketMeta;
    /// use nfsim::wire::PacketBuilder;
    /// let udp = |sport: u16| {
    ///     let mut p = [0u8; 28];
    ///     PacketBuilder::ipv4([192, 0, 2, 7].into(), [198, 51, 100, 1].into())
    ///         .udp(sport, 53)
    ///         .emit(&mut p)
    ///         .unwrap();
    ///     let m = PacketMeta::parse(&p).unwrap();
    ///     (p, m)
    /// };
    /// let burst = [udp(5000), udp(5001), udp(5000)];
    /// let now = Instant::from_millis(0);
    /// let mut a = ConntrackTable::new(Config::with_max(16)).unwrap();
    /// let mut b = a.clone();
    /// let none = CtResult { verdict: CtVerdict::Accept, slot: CtSlot::Invalid };
    /// let mut out = [none; 3];
    /// assert_eq!(a.process_burst(&burst, Hook::LocalOut, now, &mut out), 3);
    /// for ((p, m), r) in burst.iter().zip(&out) {
    ///     b.prefetch(p, m); // reads only
    ///     assert_eq!(b.process(p, m, Hook::LocalOut, now), *r);
    /// }
    /// assert_eq!(format!("{a:?}"), format!("{b:?}"));
    /// ```
    pub fn process_burst<P: AsRef<[u8]>>(
        &mut self,
        burst: &[(P, PacketMeta)],
        hook: Hook,
        now: Instant,
        out: &mut [CtResult],
    ) -> usize {
        const CHUNK: usize = 32;
        let n = burst.len().min(out.len());
        for (burst, out) in burst[..n].chunks(CHUNK).zip(out[..n].chunks_mut(CHUNK)) {
            // `u64::MAX`: not a candidate of `established_udp4`.
            let mut tags = [u64::MAX; CHUNK];
            for ((p, m), t) in burst.iter().zip(tags.iter_mut()) {
                let p = p.as_ref();
                let proto = m.protocol.0;
                if m.family != Family::Ipv4 || m.fragoff != 0 {
                    continue;
                }
                if proto == proto::UDP {
                    if let Some(tag) = Self::tag4(p, m.thoff, proto) {
                        *t = u64::from(tag);
                        self.touch(tag);
                    }
                } else if proto == proto::TCP {
                    self.prefetch(p, m);
                }
            }
            for (((p, m), r), &t) in burst.iter().zip(out.iter_mut()).zip(tags.iter()) {
                let p = p.as_ref();
                // `process_tmpl` without a template, `established_udp`
                // for an IPv4 UDP packet that is not a fragment.
                *r = if t != u64::MAX
                    && self.dying.is_empty()
                    && !self.helpers.has_zones()
                    && self.timeouts.is_empty()
                {
                    match self.established_udp4_tag(p, m.thoff, hook, now, Some(t as u32)) {
                        Ok(r) => r,
                        Err(absent) => self.process_general(p, m, hook, now, None, absent),
                    }
                } else {
                    self.process(p, m, hook, now)
                };
            }
        }
        n
    }

    /// The lookup of `ConntrackTable::find` without its side effect: the
    /// confirmed entry having `t` as one of its tuples, and which, when it
    /// has not expired; [`Probe::Expired`] when it has (the caller then
    /// takes the path that reclaims it), [`Probe::Absent`] when the index
    /// holds no such entry (`find` would return `None` and change nothing).
    /// `tag` is the [`fast_hash`] of `t` (the caller keeps it for the
    /// general path).
    #[inline]
    pub(super) fn find_live(&self, t: &Tuple, tag: u32, now: Instant) -> Probe {
        debug_assert_eq!(tag, fast_hash(t));
        self.probe(tag, now, |x| tuple_eq(x, t))
    }

    /// The probe (as [`Self::probe`]) of an IPv4 packet's tuple, on its
    /// fields: `tag` its [`hash_v4`], `k` its ports (the source's in the
    /// low half) and protocol as `hash_v4` packs them, `le` its address
    /// bytes (12..20) as a little-endian word. The entry and whether the
    /// packet's tuple is its reply tuple, whether or not the entry expired;
    /// `None` when the index does not hold the tuple. A reply node flagged
    /// [`INV`] is compared against the original tuple swapped (the entry's
    /// first line: the only line a flow without NAT reads), any other
    /// node against its own tuple.
    #[inline(always)]
    pub(super) fn probe4(&self, tag: u32, k: u64, le: u64) -> Option<(u32, bool)> {
        // An IPv4 tuple's address bytes past the fourth are zero.
        let (s, d) = (u128::from(le as u32), u128::from((le >> 32) as u32));
        // The ports exchanged, for the comparison with a swapped tuple.
        let ksw = (k & !0xffff_ffff) | u64::from((k as u32).rotate_left(16));
        let slots = self.fast.slots();
        let m = slots.len().wrapping_sub(1);
        let mut i = tag as usize & m;
        loop {
            // `None` also when there is no index yet.
            let &sl = slots.get(i)?;
            if sl == EMPTY {
                return None;
            }
            if (sl >> 32) as u32 == tag {
                let (idx, dir) = node_of(sl);
                let (reply, inv) = (dir == 1, sl as u32 & INV != 0);
                if let Some(e) = self.entries.get(idx as usize) {
                    let x = if reply & !inv { &e.t1 } else { &e.t0 };
                    let (kx, sx, dx) = if inv { (ksw, d, s) } else { (k, s, d) };
                    // The whole tuple: its ports and protocol as one word,
                    // its addresses as one.
                    let xk = u64::from(x.src_u)
                        | (u64::from(x.dst_u) << 16)
                        | (u64::from(x.proto) << 32);
                    let xa = (u128::from_le_bytes(x.src) ^ sx) | (u128::from_le_bytes(x.dst) ^ dx);
                    if (xk == kx) & (x.family == Family::Ipv4) & (xa == 0) {
                        return Some((idx, reply));
                    }
                }
            }
            i = (i + 1) & m;
        }
    }

    /// [`Self::find_live`] for the tuple whose [`fast_hash`] is `tag` and
    /// which `eq` recognises (the whole tuple compared).
    #[inline(always)]
    fn probe(&self, tag: u32, now: Instant, eq: impl Fn(&Tuple) -> bool) -> Probe {
        let slots = self.fast.slots();
        let Some(m) = slots.len().checked_sub(1) else {
            return Probe::Absent;
        };
        let mut i = tag as usize & m;
        loop {
            let Some(&s) = slots.get(i) else {
                return Probe::Absent;
            };
            if s == EMPTY {
                return Probe::Absent;
            }
            if (s >> 32) as u32 == tag {
                let (idx, d) = node_of(s);
                if let Some(e) = self.entries.get(idx as usize) {
                    let reply = d == 1;
                    if eq(if reply { &e.t1 } else { &e.t0 }) {
                        if Self::is_expired(e, now) {
                            return Probe::Expired;
                        }
                        let dir = if reply { Dir::Reply } else { Dir::Original };
                        return Probe::Live(idx, dir);
                    }
                }
            }
            i = (i + 1) & m;
        }
    }

    /// `nf_conntrack_in` for a UDP packet of a confirmed, unexpired entry,
    /// the packet every established flow sends: the same steps as
    /// [`ConntrackTable::process`]'s general path (`resolve_normal_ct`'s
    /// lookup, the ctinfo, `nf_conntrack_udp_packet` with `udp_error`'s
    /// checks and checksum, `nf_ct_refresh_acct`, `IPS_SEEN_REPLY`) with
    /// the same outcome, in fewer instructions: the tuple is built in
    /// place, the lookup does not reclaim (an expired entry goes to the
    /// general path, which reclaims it), and only the one tracker runs.
    /// For any other packet, having changed nothing but `miss_tag`:
    /// `Err(true)` when it is a UDP packet whose tuple the lookup index
    /// does not hold, its [`fast_hash`] left in `miss_tag` (the general
    /// path need not probe it again, nor confirm hash it again),
    /// `Err(false)` otherwise.
    ///
    /// An IPv4 packet while no entry has a zone or a timeout policy (the
    /// common case) takes [`Self::established_udp4`]; any other
    /// [`Self::established_udp_any`].
    #[inline(always)]
    pub(super) fn established_udp(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        if meta.fragoff != 0 || meta.protocol.0 != proto::UDP || !self.dying.is_empty() {
            return Err(false);
        }
        if meta.family == Family::Ipv4 && !self.helpers.has_zones() && self.timeouts.is_empty() {
            return self.established_udp4(pkt, meta.thoff, hook, now);
        }
        self.established_udp_any(pkt, meta, hook, now)
    }

    /// [`Self::established_udp`] for an IPv4 packet while no entry has a
    /// zone (every entry is in the default zone, the packet's own) or a
    /// timeout policy (the namespace's timeouts and checksum setting
    /// apply): the same outcome as [`Self::established_udp_any`] in as
    /// few steps as possible after the entry is read, since those wait
    /// for it (the checksum, read from the packet alone, does not).
    /// The probe and the update in one: one slot of the lookup index,
    /// then the entry read and written (its first line alone for a flow
    /// without NAT under no `nf_conntrack_acct`), no intermediate
    /// result.
    #[inline(never)]
    fn established_udp4(
        &mut self,
        pkt: &[u8],
        thoff: usize,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        self.established_udp4_tag(pkt, thoff, hook, now, None)
    }

    /// [`Self::established_udp4`], `tag` the packet's [`hash_v4`] when the
    /// caller has it (a pure function of the packet's bytes: the same
    /// value as computed here), else `None`.
    #[inline(always)]
    fn established_udp4_tag(
        &mut self,
        pkt: &[u8],
        thoff: usize,
        hook: Hook,
        now: Instant,
        tag: Option<u32>,
    ) -> Result<CtResult, bool> {
        let Some(l4) = pkt.get(thoff..) else {
            return Err(false);
        };
        // A whole UDP header (shorter: `udp_error` finds the packet
        // INVALID, on the general path), and the addresses.
        let (Some(&[p0, p1, p2, p3, ..]), Some(Ok(a))) = (
            l4.first_chunk::<8>(),
            pkt.get(12..20).map(<[u8; 8]>::try_from),
        ) else {
            return Err(false);
        };
        // The ports in host order, the source's in the low half: one
        // load, one byte swap, one rotation.
        let ports = u32::from_be_bytes([p0, p1, p2, p3]).rotate_left(16);
        let le = u64::from_le_bytes(a);
        let k = u64::from(ports) | (u64::from(proto::UDP) << 32);
        let tag = tag.unwrap_or_else(|| hash_v4(le, k));
        let Some((idx, reply)) = self.probe4(tag, k, le) else {
            self.miss_tag.0 = tag;
            return Err(true);
        };
        // udp_error (udp::error_udp) from the packet alone, the sum of the
        // pseudo-header's addresses from the same word: it does not wait
        // for the entry (a miss, a new connection, returns before it).
        let verify = hook == Hook::PreRouting && self.cfg.checksum;
        let bad = udp::error_udp(l4, (le >> 32) + (le & 0xffff_ffff), verify);
        let Some(e) = self.entries.get_mut(idx as usize) else {
            return Err(false);
        };
        // An entry the lookup index holds is confirmed (`hash_insert` at
        // confirm, `hash_remove` before its status is cleared): expired
        // is past its deadline (`is_expired`).
        debug_assert!(e.status.contains(CtStatus::CONFIRMED));
        if e.timeout <= now.as_nanos() {
            return Err(false);
        }
        // (`udp::track` of a confirmed entry leaves `stream_ts` as it is.)
        let L4State::Udp { mut stream_ts } = e.l4() else {
            return Err(false);
        };
        // From here on, what `process` and `l4_packet` do for it.
        let dir = if reply { Dir::Reply } else { Dir::Original };
        let info = CtInfo::of(e.status, dir);
        // A confirmed entry's deadline may change.
        self.epoch = self.epoch.wrapping_add(1);
        if bad {
            return Ok(CtResult {
                verdict: CtVerdict::Accept,
                slot: CtSlot::Invalid,
            });
        }
        let cfg = &self.cfg;
        let extra = match udp::track(&mut stream_ts, e.status, true, cfg, now) {
            L4Verdict::Invalid => {
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Invalid,
                })
            }
            L4Verdict::Accept => None,
            L4Verdict::Refresh(to) => Some(to),
            L4Verdict::RefreshAssured(to) => {
                e.status.insert(CtStatus::ASSURED);
                Some(to)
            }
        };
        if let Some(to) = extra {
            // nf_ct_refresh_acct (`ConntrackTable::refresh`), with the
            // high halves reached only for a carry; the entry is confirmed
            // (`set_deadline`).
            if !e.status.contains(CtStatus::FIXED_TIMEOUT) {
                e.timeout = now.as_nanos().saturating_add(to.as_nanos());
            }
            // The counters (the second line), under `nf_conntrack_acct`.
            Self::acct(self.acct_hi.get_mut(idx as usize), e, dir, pkt.len());
        }
        if reply {
            e.status.insert(CtStatus::SEEN_REPLY);
        }
        Ok(CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Entry {
                handle: CtHandle { idx, gen: e.gen },
                info,
            },
        })
    }

    /// [`Self::established_udp`] for any UDP packet (IPv6, zones, timeout
    /// policies).
    #[inline(never)]
    fn established_udp_any(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        let Some(l4) = pkt.get(meta.thoff..) else {
            return Err(false);
        };
        let Some(&[p0, p1, p2, p3]) = l4.get(..4) else {
            return Err(false);
        };
        let (sport, dport) = (u16::from_be_bytes([p0, p1]), u16::from_be_bytes([p2, p3]));
        // The lookup (the index's hash and the whole tuple compared, as
        // `find_live` does) and the sum of the pseudo-header's addresses
        // for the checksum, read from the packet: an IPv4 tuple is not
        // built.
        let (probe, tag, addrs) = match meta.family {
            Family::Ipv4 => {
                let Some(Ok(a)) = pkt.get(12..20).map(<[u8; 8]>::try_from) else {
                    return Err(false);
                };
                let le = u64::from_le_bytes(a);
                let k = u64::from(sport) | (u64::from(dport) << 16) | (u64::from(proto::UDP) << 32);
                // An IPv4 tuple's address bytes past the fourth are zero.
                let (s, d) = (u128::from(le as u32), u128::from((le >> 32) as u32));
                let tag = hash_v4(le, k);
                let probe = self.probe(tag, now, |x| {
                    x.src_u == sport
                        && x.dst_u == dport
                        && x.proto == proto::UDP
                        && x.family == Family::Ipv4
                        && u128::from_le_bytes(x.src) == s
                        && u128::from_le_bytes(x.dst) == d
                });
                (probe, tag, (le >> 32) + (le & 0xffff_ffff))
            }
            Family::Ipv6 => {
                let Some(Ok(a)) = pkt.get(8..40).map(<[u8; 32]>::try_from) else {
                    return Err(false);
                };
                let mut t = Tuple {
                    family: Family::Ipv6,
                    src: [0; 16],
                    dst: [0; 16],
                    proto: proto::UDP,
                    src_u: sport,
                    dst_u: dport,
                };
                t.src.copy_from_slice(&a[..16]);
                t.dst.copy_from_slice(&a[16..]);
                let addrs = a.chunks_exact(8).fold(0u64, |acc, w| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(w);
                    let v = u64::from_le_bytes(b);
                    acc + (v >> 32) + (v & 0xffff_ffff)
                });
                let tag = fast_hash(&t);
                (self.find_live(&t, tag, now), tag, addrs)
            }
        };
        let (idx, dir) = match probe {
            Probe::Live(idx, dir) => (idx, dir),
            Probe::Expired => return Err(false),
            Probe::Absent => {
                self.miss_tag.0 = tag;
                return Err(true);
            }
        };
        let Some(gen) = self.entries.get(idx as usize).map(|e| e.gen) else {
            return Err(false);
        };
        // A packet without a template is in the default zone: an entry of
        // another zone in this direction is not its own (nf_ct_key_equal);
        // the general path looks further.
        if self.helpers.has_zones() && self.helpers.zone_of(idx, gen).id_for(dir as usize) != 0 {
            return Err(false);
        }
        // nf_ct_timeout_lookup: the entry's timeout policy, else the
        // namespace's timeouts.
        let cfg = self.timeouts.of(idx, gen).unwrap_or(&self.cfg);
        let Some(e) = self.entries.get_mut(idx as usize) else {
            return Err(false);
        };
        // The counters' high halves, under `nf_conntrack_acct`.
        let hi = self.acct_hi.get_mut(idx as usize);
        // (`udp::track` of a confirmed entry leaves `stream_ts` as it is.)
        let L4State::Udp { mut stream_ts } = e.l4() else {
            return Err(false);
        };
        // From here on, what `process` and `l4_packet` do for it.
        let info = CtInfo::of(e.status, dir);
        // A confirmed entry's deadline may change.
        self.epoch = self.epoch.wrapping_add(1);
        // udp_error, then nf_conntrack_udp_packet (udp::packet).
        let verify = hook == Hook::PreRouting && cfg.checksum;
        if udp::error_udp(l4, addrs, verify) {
            return Ok(CtResult {
                verdict: CtVerdict::Accept,
                slot: CtSlot::Invalid,
            });
        }
        match udp::track(&mut stream_ts, e.status, true, cfg, now) {
            L4Verdict::Invalid => {
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Invalid,
                })
            }
            L4Verdict::Accept => {}
            L4Verdict::Refresh(to) => Self::refresh(hi, e, to, now, dir, pkt.len()),
            L4Verdict::RefreshAssured(to) => {
                e.status.insert(CtStatus::ASSURED);
                Self::refresh(hi, e, to, now, dir, pkt.len());
            }
        }
        if info == CtInfo::EstablishedReply {
            e.status.insert(CtStatus::SEEN_REPLY);
        }
        Ok(CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Entry {
                handle: CtHandle { idx, gen: e.gen },
                info,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::{combine, pseudo_header, sum};
    use crate::wire::IpProtocol;
    use proptest::prelude::*;

    proptest! {
        /// `csum_le` (little-endian words, carries) has `csum_rest`'s
        /// outcome (big-endian words) on both families, any protocol, any
        /// length (every remainder mod 8), any content, and on segments
        /// made to verify.
        #[test]
        fn csum_le_is_csum_rest(
            v6 in any::<bool>(),
            p in prop_oneof![Just(6u8), Just(17), any::<u8>()],
            src in any::<[u8; 16]>(),
            dst in any::<[u8; 16]>(),
            mut l4 in proptest::collection::vec(any::<u8>(), 0..200),
            fix in any::<bool>(),
            ones in any::<bool>(),
        ) {
            let n = if v6 { 16 } else { 4 };
            if ones {
                // Sums near the folds' edges.
                l4.iter_mut().for_each(|b| *b = 0xff);
            }
            if fix && l4.len() >= 8 {
                l4[6] = 0;
                l4[7] = 0;
                let len = u32::try_from(l4.len()).unwrap();
                let c = !combine(&[pseudo_header(&src[..n], &dst[..n], IpProtocol(p), len), sum(&l4)]);
                l4[6] = (c >> 8) as u8;
                l4[7] = c as u8;
            }
            let (mut be, mut le) = (0u64, 0u64);
            for w in src[..n].chunks_exact(4).chain(dst[..n].chunks_exact(4)) {
                let w: [u8; 4] = w.try_into().unwrap();
                be += u64::from(u32::from_be_bytes(w));
                le += u64::from(u32::from_le_bytes(w));
            }
            let want = super::super::csum_rest(be, p, &l4);
            prop_assert!(want || !(fix && l4.len() >= 8));
            prop_assert_eq!(csum_le::<8>(le, p, &l4), want);
            prop_assert_eq!(csum_le::<16>(le, p, &l4), want);
            // The byte-pair loop alone, on any length.
            prop_assert_eq!(csum_le_short(le, p, &l4), want);
        }
    }

    proptest! {
        /// `fold_ok`'s divisibility test is the four-step fold, on any
        /// 64-bit sum and on multiples of `0xffff` and their neighbours.
        #[test]
        fn fold_ok_is_the_fold(x in any::<u64>(), k in any::<u64>(), d in -2i64..=2) {
            prop_assert_eq!(fold_ok(x), fold_ok_by_folding(x));
            let m = (k % (u64::MAX / 0xffff + 1)).wrapping_mul(0xffff).wrapping_add_signed(d);
            prop_assert_eq!(fold_ok(m), fold_ok_by_folding(m));
        }
    }

    /// `fold_ok` at the edges: every value below 2^20, and around every
    /// power of two and the top of the range.
    #[test]
    fn fold_ok_edges() {
        for x in 0..1u64 << 20 {
            assert_eq!(fold_ok(x), fold_ok_by_folding(x), "{x:#x}");
        }
        for b in 0..64 {
            for d in -70_000i64..=70_000 {
                let x = (1u64 << b).wrapping_add_signed(d);
                assert_eq!(fold_ok(x), fold_ok_by_folding(x), "{x:#x}");
                let y = u64::MAX.wrapping_add_signed(d);
                assert_eq!(fold_ok(y), fold_ok_by_folding(y), "{y:#x}");
            }
        }
    }

    /// Random inserts and removes: every node present is reached from its
    /// home slot before an empty one, removed nodes are gone, and the
    /// slots depend only on the nodes present and the order of operations.
    /// Odd nodes are inserted flagged [`INV`] and removed by their number
    /// alone.
    #[test]
    fn backward_shift_keeps_every_probe_run() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut ix = FastIndex::default();
        let mut present: Vec<(u32, u32)> = Vec::new();
        for step in 0..20_000u32 {
            let r = next();
            if present.is_empty() || r % 3 != 0 {
                // Few distinct tags: long runs that wrap around the end.
                let tag = (r >> 8) as u32 % 64 * 0x0101_0101;
                assert!(ix.reserve(present.len() + 1));
                let node = if step % 2 == 1 { step | INV } else { step };
                ix.insert(tag, node);
                present.push((tag, node));
            } else {
                let (tag, node) = present.swap_remove((r >> 8) as usize % present.len());
                ix.remove(tag, node & !INV);
            }
            if step % 97 == 0 {
                let slots = ix.slots();
                let m = slots.len() - 1;
                assert_eq!(slots.iter().filter(|&&s| s != EMPTY).count(), present.len());
                for &(tag, node) in &present {
                    let key = (u64::from(tag) << 32) | u64::from(node);
                    let mut i = tag as usize & m;
                    while slots[i] != key {
                        assert_ne!(slots[i], EMPTY, "node {node} unreachable");
                        i = (i + 1) & m;
                    }
                }
            }
        }
    }

    #[test]
    fn hash_separates_directions_and_fields() {
        let t = Tuple::new(
            "192.0.2.1".parse().unwrap(),
            "198.51.100.2".parse().unwrap(),
            6,
            1000,
            80,
        )
        .unwrap();
        let r = t.invert().unwrap();
        assert_ne!(fast_hash(&t), fast_hash(&r));
        let mut u = t;
        u.proto = 17;
        assert_ne!(fast_hash(&t), fast_hash(&u));
    }
}
