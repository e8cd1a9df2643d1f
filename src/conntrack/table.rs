//! The table itself (`nf_conntrack_core.c`): the slab of entries, the
//! hash index over both tuples of every confirmed entry with the kernel's
//! buckets (`hash_bucket`, `__nf_conntrack_find_get`,
//! `nf_conntrack_tuple_taken`), allocation and deletion, the eviction of
//! `early_drop` and the GC's reclaiming of expired entries, and
//! `__nf_conntrack_confirm`. See [`ConntrackTable`]'s "Memory".

use super::config::{Config, ConfigError, MAX_BUCKETS};
use super::fast::{self, fast_hash, FastIndex, EMPTY};
use super::helper::Zone;
use super::sctp::SctpCt;
use super::tcp::TcpCt;
use super::tuple::{Dir, Tuple};
use super::{Cold, ConntrackTable, CtHandle, CtSlot, CtStatus, CtVerdict, Entry, L4State, NatExt};
use crate::time::{Duration, Instant};

pub(super) const NIL: u32 = u32::MAX;
/// `NF_CT_EVICTION_RANGE`.
pub(super) const EVICTION_RANGE: u32 = 8;
/// The most entries a table can index: 2^30 - 1, below the kernel's
/// `INT_MAX` (`nf_conntrack_max` is an `int`), so that node numbers
/// `idx * 2 + dir` leave bit 31 free for the lookup index's
/// [`fast::INV`] flag and stay below [`NIL`]. (2^30 entries would hold
/// 128 GiB of hot entries alone.)
pub(super) const SLOT_LIMIT: u32 = (1 << 30) - 1;
/// Chains a table starts with (fewer when `nf_conntrack_buckets` is smaller).
pub(super) const INITIAL_CHAINS: usize = 256;
/// Slabs of at most this many slots answer a kernel-bucket walk that can
/// reclaim nothing from the slab itself, without the tuple's jhash (see
/// [`ConntrackTable::walk_free`]).
pub(super) const SMALL_SLAB: usize = 8;
/// `cfg.buckets` can never be a kernel bucket (below [`MAX_BUCKETS`]):
/// an unconfirmed entry whose original tuple's bucket was not needed yet.
pub(super) const KB_UNKNOWN: u32 = u32::MAX;
const _: () = assert!(MAX_BUCKETS < KB_UNKNOWN);

#[cfg(test)]
thread_local! {
    /// Tests: every kernel-bucket walk taken the general way (the small
    /// slab's shortcut off), to compare the two.
    pub(super) static ALWAYS_WALK: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    /// Tests: new connections take the general path (`new_udp4` off).
    pub(super) static NO_NEW_FAST: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

impl Clone for ConntrackTable {
    /// A copy whose `free` and `dying` lists keep room for every slot, as
    /// the original's do (a derived clone would shrink them to their length
    /// and let deleting allocate).
    fn clone(&self) -> Self {
        ConntrackTable {
            cfg: self.cfg.clone(),
            entries: self.entries.clone(),
            cold: self.cold.clone(),
            acct_hi: self.acct_hi.clone(),
            free: with_room(&self.free, self.entries.len()),
            tcp: self.tcp.clone(),
            sctp: self.sctp.clone(),
            gre: self.gre.clone(),
            nat: self.nat.clone(),
            fast: self.fast.clone(),
            heads: self.heads.clone(),
            src_heads: self.src_heads.clone(),
            max_chains: self.max_chains,
            hashed: self.hashed,
            in_src: self.in_src,
            dying: with_room(&self.dying, self.entries.len()),
            count: self.count,
            last_sweep: self.last_sweep,
            epoch: self.epoch,
            walked: self.walked,
            miss_tag: self.miss_tag,
            ct_seed: self.ct_seed,
            helpers: self.helpers.clone(),
            timeouts: self.timeouts.clone(),
        }
    }
}

/// Whether `count` entries reach the limit of `max` (0: no limit but
/// [`SLOT_LIMIT`]), `count >= min(max or SLOT_LIMIT, SLOT_LIMIT)`, without
/// branches: `max - 1` wraps to `u32::MAX` for 0.
#[inline(always)]
fn full(count: u32, max: u32) -> bool {
    count > max.wrapping_sub(1).min(SLOT_LIMIT - 1)
}

/// A copy of `v` with capacity for at least `room` items.
fn with_room(v: &[u32], room: usize) -> Vec<u32> {
    let mut c = Vec::with_capacity(room.max(v.len()));
    c.extend_from_slice(v);
    c
}

/// A side slab (TCP state, NAT data): items indexed from the entries that
/// use them, a free list whose capacity follows the slab's, so that
/// releasing never allocates.
#[derive(Debug)]
pub(super) struct Side<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Side<T> {
    fn default() -> Self {
        Side {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Clone> Clone for Side<T> {
    fn clone(&self) -> Self {
        Side {
            items: self.items.clone(),
            free: with_room(&self.free, self.items.len()),
        }
    }
}

impl<T> Side<T> {
    /// A new item, `None` when the allocator refuses to grow the slab.
    pub(super) fn alloc(&mut self, v: T) -> Option<u32> {
        if let Some(i) = self.free.pop() {
            self.items[i as usize] = v;
            return Some(i);
        }
        let len = self.items.len();
        if len >= SLOT_LIMIT as usize {
            return None;
        }
        if len == self.items.capacity() {
            // Doubling, into huge pages when large (`pages.rs`).
            super::pages::grow(&mut self.items, len.saturating_mul(2).max(4)).ok()?;
            let cap = self.items.capacity();
            self.free.try_reserve_exact(cap - self.free.len()).ok()?;
        }
        self.items.push(v);
        Some(len as u32)
    }

    /// Gives item `i` back (never allocates).
    pub(super) fn release(&mut self, i: u32) {
        if (i as usize) < self.items.len() {
            self.free.push(i);
        }
    }

    pub(super) fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize)
    }

    pub(super) fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        self.items.get_mut(i as usize)
    }

    pub(super) fn items_mut(&mut self) -> &mut [T] {
        &mut self.items
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.items.capacity() * core::mem::size_of::<T>()
            + self.free.capacity() * core::mem::size_of::<u32>()
    }
}

pub(super) fn reciprocal_scale(val: u32, ep_ro: u32) -> u32 {
    ((u64::from(val) * u64::from(ep_ro)) >> 32) as u32
}

/// The links of a chained index: the kernel-bucket index (node
/// `idx * 2 + dir` in `[Cold]`, keyed by kernel bucket) and NAT bysource
/// (node = NAT slab item, keyed by source hash).
pub(super) trait Links {
    /// (next node, key) of a node.
    fn link(&self, n: u32) -> (u32, u32);
    fn set_next(&mut self, n: u32, v: u32);
}

impl Links for [Cold] {
    fn link(&self, n: u32) -> (u32, u32) {
        let c = &self[(n / 2) as usize];
        (c.next[(n % 2) as usize], c.kb[(n % 2) as usize])
    }
    fn set_next(&mut self, n: u32, v: u32) {
        self[(n / 2) as usize].next[(n % 2) as usize] = v;
    }
}

impl Links for [NatExt] {
    fn link(&self, n: u32) -> (u32, u32) {
        let x = &self[n as usize];
        (x.src_next, x.src_hash)
    }
    fn set_next(&mut self, n: u32, v: u32) {
        self[n as usize].src_next = v;
    }
}

/// Splits every chain of `heads` into two by the next bit of the key,
/// keeping each chain's order: the index doubles. `None` if the
/// allocator refuses (the caller keeps the old, longer chains: slower,
/// still exact).
pub(super) fn split<L: Links + ?Sized>(heads: &[u32], links: &mut L) -> Option<Vec<u32>> {
    let p = heads.len();
    let mut new = super::pages::with_capacity(p * 2).ok()?;
    new.resize(p * 2, NIL);
    let mask = (p * 2 - 1) as u32;
    for (c, &head) in heads.iter().enumerate() {
        let mut tails = [NIL; 2];
        let mut cur = head;
        while cur != NIL {
            let (next, key) = links.link(cur);
            let chain = (key & mask) as usize;
            let side = usize::from(chain != c);
            links.set_next(cur, NIL);
            if tails[side] == NIL {
                new[chain] = cur;
            } else {
                links.set_next(tails[side], cur);
            }
            tails[side] = cur;
            cur = next;
        }
    }
    Some(new)
}

impl ConntrackTable {
    /// An empty table for `cfg`. Nothing is reserved for `cfg.max` or
    /// `cfg.buckets`: the table grows with the entries it holds.
    /// `cfg.max` 0 means no limit, as in the kernel (the index still stops
    /// at 2^30 - 1 entries, 128 GiB of hot entries).
    ///
    /// # Errors
    ///
    /// [`ConfigError::BadValue`] when `buckets` is 0 (the kernel refuses
    /// it: `nf_conntrack_hash_resize` returns `-EINVAL`), and
    /// [`ConfigError::NoMemory`] when it is above
    /// [`MAX_BUCKETS`], a hash table the kernel refuses to
    /// allocate (`nf_ct_alloc_hashtable`).
    pub fn new(cfg: Config) -> Result<Self, ConfigError> {
        if cfg.buckets == 0 {
            return Err(ConfigError::BadValue);
        }
        if cfg.buckets > MAX_BUCKETS {
            return Err(ConfigError::NoMemory);
        }
        let max_chains = (cfg.buckets as usize).next_power_of_two();
        let chains = max_chains.min(INITIAL_CHAINS);
        Ok(ConntrackTable {
            entries: Vec::new(),
            cold: Vec::new(),
            acct_hi: Vec::new(),
            free: Vec::new(),
            tcp: Side::default(),
            sctp: Side::default(),
            gre: Side::default(),
            nat: Side::default(),
            fast: FastIndex::default(),
            heads: vec![NIL; chains],
            src_heads: vec![NIL; chains],
            max_chains,
            hashed: 0,
            in_src: 0,
            dying: Vec::new(),
            count: 0,
            last_sweep: None,
            epoch: 0,
            walked: None,
            miss_tag: super::MissTag::default(),
            ct_seed: super::tuple::CtSeed::new(cfg.hash_seed),
            helpers: Default::default(),
            timeouts: Default::default(),
            cfg,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Number of entries held (confirmed, unconfirmed and dying:
    /// `nf_conntrack_count`).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Bytes of heap the table holds now (slab, free lists and both hash
    /// indexes, by capacity): what grows with the entries.
    pub fn heap_bytes(&self) -> usize {
        use core::mem::size_of;
        self.entries.capacity() * size_of::<Entry>()
            + self.cold.capacity() * size_of::<Cold>()
            + self.acct_hi.capacity() * size_of::<super::AcctHi>()
            + self.tcp.heap_bytes()
            + self.sctp.heap_bytes()
            + self.gre.heap_bytes()
            + self.nat.heap_bytes()
            + (self.free.capacity()
                + self.dying.capacity()
                + self.heads.capacity()
                + self.src_heads.capacity())
                * size_of::<u32>()
            + self.fast.heap_bytes()
    }

    /// `nf_conntrack_max` reached (0: no limit but the index's).
    pub(crate) fn full(&self) -> bool {
        full(self.count, self.cfg.max)
    }

    /// The kernel's bucket of a tuple (`hash_bucket`).
    #[inline(always)]
    pub(super) fn kbucket(&self, t: &Tuple, zone: u16) -> u32 {
        reciprocal_scale(self.hash_z(t, zone), self.cfg.buckets)
    }

    /// The chain holding kernel bucket `kb`.
    pub(super) fn chain(&self, kb: u32) -> usize {
        kb as usize & (self.heads.len() - 1)
    }

    pub(super) fn get(&self, h: CtHandle) -> Option<&Entry> {
        self.entries
            .get(h.idx as usize)
            .filter(|e| e.live && e.gen == h.gen)
    }

    pub(super) fn get_mut(&mut self, h: CtHandle) -> Option<&mut Entry> {
        self.entries
            .get_mut(h.idx as usize)
            .filter(|e| e.live && e.gen == h.gen)
    }

    pub(super) fn handle_of(&self, idx: u32) -> CtHandle {
        let gen = self.entries.get(idx as usize).map_or(0, |e| e.gen);
        CtHandle { idx, gen }
    }

    pub(super) fn is_expired(e: &Entry, now: Instant) -> bool {
        // nf_ct_is_expired: (s32)(timeout - now) <= 0
        e.status.contains(CtStatus::CONFIRMED) && e.timeout <= now.as_nanos()
    }

    // ---- hash index ----

    /// Doubles the hash index (amortised: only when it holds more entries
    /// than chains, up to `nf_conntrack_buckets` chains).
    pub(super) fn grow_chains(&mut self) {
        if let Some(new) = split(&self.heads, &mut self.cold[..]) {
            self.heads = new;
        }
    }

    /// Links both tuples of entry `idx` into the index; `kbs` are their
    /// kernel buckets (computed by the caller, which needed them already).
    pub(super) fn hash_insert(&mut self, idx: u32, kbs: [u32; 2]) {
        if self.hashed as usize >= self.heads.len() && self.heads.len() < self.max_chains {
            self.grow_chains();
        }
        self.hashed += 1;
        self.epoch = self.epoch.wrapping_add(1);
        for (dir, kb) in kbs.into_iter().enumerate() {
            let c = self.chain(kb);
            let node = idx * 2 + dir as u32;
            // The original tuple's tag, kept by `alloc` (the original
            // tuple never changes); the reply's, which NAT may have
            // altered before confirm, computed now.
            let tag = if dir == 0 {
                self.cold[idx as usize].tag[0]
            } else {
                fast_hash(self.entries[idx as usize].tuple_ref(dir))
            };
            debug_assert_eq!(tag, fast_hash(self.entries[idx as usize].tuple_ref(dir)));
            let ix_node = node | self.inv_flag(idx, dir);
            let cold = &mut self.cold[idx as usize];
            cold.kb[dir] = kb;
            cold.tag[dir] = tag;
            cold.next[dir] = self.heads[c];
            self.heads[c] = node;
            self.fast.insert(tag, ix_node);
        }
    }

    /// The lookup index's flag for node `idx * 2 + dir`: [`fast::INV`] on
    /// the reply node of an entry whose reply tuple is its original
    /// swapped ([`Entry::reply_is_swapped`]), which a lookup then compares
    /// against the original tuple, in the entry's first line. The tuples do
    /// not change while hashed (NAT alters the reply only before confirm);
    /// removing a node finds it whatever its flag.
    #[inline]
    fn inv_flag(&self, idx: u32, dir: usize) -> u32 {
        let swapped = dir == 1 && self.entries[idx as usize].reply_is_swapped();
        if swapped {
            fast::INV
        } else {
            0
        }
    }

    pub(super) fn hash_remove(&mut self, idx: u32) {
        self.hashed = self.hashed.saturating_sub(1);
        self.epoch = self.epoch.wrapping_add(1);
        for dir in 0..2 {
            let c = self.chain(self.cold[idx as usize].kb[dir]);
            let node = idx * 2 + dir as u32;
            // The tag `hash_insert` kept: the tuples have not changed since
            // (NAT alters the reply only before confirm).
            let tag = self.cold[idx as usize].tag[dir];
            debug_assert_eq!(tag, fast_hash(self.entries[idx as usize].tuple_ref(dir)));
            self.fast.remove(tag, node);
            let next = self.cold[idx as usize].next[dir];
            if self.heads[c] == node {
                self.heads[c] = next;
            } else {
                let mut cur = self.heads[c];
                while cur != NIL {
                    let (ci, cd) = ((cur / 2) as usize, (cur % 2) as usize);
                    let cn = self.cold[ci].next[cd];
                    if cn == node {
                        self.cold[ci].next[cd] = next;
                        break;
                    }
                    cur = cn;
                }
            }
            self.cold[idx as usize].next[dir] = NIL;
        }
    }

    /// Finds the confirmed, unexpired entry having `t` as one of its tuples
    /// (`__nf_conntrack_find_get`), reclaiming expired entries of its
    /// bucket met on the way.
    ///
    /// Reads the lookup index: the entries reclaimed on the way are those
    /// having `t` itself (a new connection's lookup walks its kernel
    /// bucket with [`Self::find_kb`]).
    pub(super) fn find(&mut self, t: &Tuple, zone: Zone, now: Instant) -> Option<(u32, Dir)> {
        let tag = fast_hash(t);
        // For a new entry `process_general` makes of `t` (`alloc`).
        self.miss_tag.0 = tag;
        'restart: loop {
            let slots = self.fast.slots();
            if slots.is_empty() {
                return None;
            }
            let m = slots.len() - 1;
            let mut i = tag as usize & m;
            loop {
                let s = slots[i];
                if s == EMPTY {
                    return None;
                }
                if (s >> 32) as u32 == tag {
                    let (ci, cd) = fast::node_of(s);
                    let e = &self.entries[ci as usize];
                    if self.key_equal(e, ci, cd, t, zone) {
                        if Self::is_expired(e, now) {
                            self.delete(ci, false);
                            continue 'restart;
                        }
                        return Some((ci, if cd == 0 { Dir::Original } else { Dir::Reply }));
                    }
                }
                i = (i + 1) & m;
            }
        }
    }

    /// `nf_ct_key_equal` without its expiry test: node `cd` of entry `ci`
    /// (`e`) holds tuple `t` in the zone `zone` gives that direction.
    #[inline]
    fn key_equal(&self, e: &Entry, ci: u32, cd: usize, t: &Tuple, zone: Zone) -> bool {
        *(if cd == 0 { &e.t0 } else { &e.t1 }) == *t
            && self.helpers.zone_of(ci, e.gen).id_for(cd) == zone.id_for(cd)
    }

    /// [`Self::find_kb`] of a tuple no hashed entry holds (the lookup
    /// index does not): the walk of bucket `kb` finds nothing and
    /// reclaims every expired entry met (`____nf_conntrack_find`,
    /// `nf_ct_gc_expired`), without comparing tuples.
    #[inline(always)]
    pub(super) fn reclaim_kb(&mut self, kb: u32, now: Instant) {
        self.walk_kb(kb, now, |_, _, _, _| false);
    }

    /// [`Self::find`] with the tuple's kernel bucket `kb` already known.
    #[inline(always)]
    pub(super) fn find_kb(
        &mut self,
        t: &Tuple,
        kb: u32,
        zone: Zone,
        now: Instant,
    ) -> Option<(u32, Dir)> {
        self.walk_kb(kb, now, |s, e, ci, cd| s.key_equal(e, ci, cd, t, zone))
    }

    /// [`Self::find_kb`] of tuple `d` of entry `own`, compared where it is
    /// (not copied): `own` is unconfirmed, in no chain, never reclaimed by
    /// the walk.
    #[inline(always)]
    fn find_kb_own(
        &mut self,
        own: u32,
        d: usize,
        kb: u32,
        zone: Zone,
        now: Instant,
    ) -> Option<(u32, Dir)> {
        self.walk_kb(kb, now, |s, e, ci, cd| {
            s.key_equal(e, ci, cd, s.entries[own as usize].tuple_ref(d), zone)
        })
    }

    /// The walk of kernel bucket `kb` (`____nf_conntrack_find`): the
    /// first unexpired node `eq` accepts (given the table, the entry, its
    /// index and the node's direction); an expired entry met on the way is
    /// reclaimed (`nf_ct_gc_expired`) and the walk goes on past it.
    #[inline(always)]
    fn walk_kb(
        &mut self,
        kb: u32,
        now: Instant,
        eq: impl Fn(&Self, &Entry, u32, usize) -> bool,
    ) -> Option<(u32, Dir)> {
        let mut cur = self.heads[self.chain(kb)];
        while cur != NIL {
            let (ci, cd) = (cur / 2, (cur % 2) as usize);
            let (Some(e), Some(c)) = (self.entries.get(ci as usize), self.cold.get(ci as usize))
            else {
                return None;
            };
            let next = c.next[cd];
            if c.kb[cd] != kb {
                cur = next;
                continue;
            }
            if Self::is_expired(e, now) {
                // Deleting unlinks both of the entry's nodes: when the
                // next node is its other one, the walk resumes after that.
                let other = c.next[1 - cd];
                self.reclaim(ci);
                cur = if next / 2 == ci && next != NIL {
                    other
                } else {
                    next
                };
                continue;
            }
            if eq(self, e, ci, cd) {
                return Some((ci, if cd == 0 { Dir::Original } else { Dir::Reply }));
            }
            cur = next;
        }
        None
    }

    /// The confirmed, unexpired entry having `t` as its original or reply
    /// tuple, and which of the two it is: the hash lookup of
    /// `__nf_conntrack_find_get` without its side effects (expired entries
    /// met on the way are skipped, not reclaimed). For inspection and
    /// invariant checks; the packet path uses the reclaiming lookup.
    ///
    /// # Examples
    ///
    /// ```
    /// use nfsim::conntrack::{ConntrackTable, Config, Dir, Family, Tuple};
    /// use nfsim::time::Instant;
    /// let ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    /// let t = Tuple { family: Family::Ipv4, src: [0; 16], dst: [0; 16], proto: 17, src_u: 1, dst_u: 2 };
    /// assert_eq!(ct.lookup(&t, Instant::ZERO), None);
    /// ```
    pub fn lookup(&self, t: &Tuple, now: Instant) -> Option<(CtHandle, Dir)> {
        let tag = fast_hash(t);
        let slots = self.fast.slots();
        let m = slots.len().checked_sub(1)?;
        let mut i = tag as usize & m;
        loop {
            let s = slots[i];
            if s == EMPTY {
                return None;
            }
            if (s >> 32) as u32 == tag {
                let (ci, cd) = fast::node_of(s);
                let e = self.entries.get(ci as usize)?;
                if !Self::is_expired(e, now) && e.tuple(cd) == *t {
                    let dir = if cd == 0 { Dir::Original } else { Dir::Reply };
                    return Some((self.handle_of(ci), dir));
                }
            }
            i = (i + 1) & m;
        }
    }

    /// Whether every kernel-bucket walk at `now` in the default zone
    /// (`____nf_conntrack_find`, `nf_conntrack_tuple_taken`) is known to
    /// reclaim nothing without its bucket: a slab of at most
    /// [`SMALL_SLAB`] slots, every entry in the default zone (equal tuples,
    /// equal hashes: a hashed node holding the tuple is in the tuple's
    /// bucket), and no confirmed entry expired (the hashed ones are
    /// confirmed, `is_expired`). The walk then finds exactly the hashed
    /// entries holding the tuple, and the slab says which they are.
    /// `zone`: the walk's (the default zone only).
    #[inline(always)]
    pub(super) fn walk_free(&self, zone: Zone, now: Instant) -> bool {
        self.entries.len() <= SMALL_SLAB && zone == Zone::default() && self.walk_free_small(now)
    }

    /// [`Self::walk_free`] of a small slab (out of line: a large table's
    /// walks pay one comparison).
    #[inline(never)]
    fn walk_free_small(&self, now: Instant) -> bool {
        #[cfg(test)]
        if ALWAYS_WALK.with(|w| w.get()) {
            return false;
        }
        !self.helpers.has_zones()
            && !self
                .entries
                .iter()
                .any(|e| e.live && Self::is_expired(e, now))
    }

    /// Tests: the table's `Debug`, the kernel buckets of entries not
    /// hashed (unconfirmed or free slots: read by nothing) left out, so
    /// that a table whose new entries did not need theirs yet
    /// ([`KB_UNKNOWN`]) compares equal to one whose did.
    #[cfg(test)]
    pub(super) fn debug_hashed_buckets(&self) -> String {
        let mut c = self.clone();
        for (e, k) in c.entries.iter().zip(c.cold.iter_mut()) {
            if !(e.live && e.hashed()) {
                k.kb = [0; 2];
            }
        }
        format!("{c:?}")
    }

    /// `nf_conntrack_tuple_taken` (hashed entries other than `ignored`).
    pub(crate) fn tuple_taken(&mut self, t: &Tuple, ignored: u32, now: Instant) -> bool {
        if self.walk_free(Zone::default(), now) {
            // The walk below without the jhash (see `walk_free`): it would
            // reclaim nothing and meet, among the hashed entries
            // (`Entry::hashed`), those holding `t`.
            return self.entries.iter().enumerate().any(|(ci, e)| {
                ci as u32 != ignored
                    && e.live
                    && e.hashed()
                    && (e.t0 == *t || e.t1 == *t)
                    // Read only on a match (rare), as the walk does.
                    && !self
                        .entries
                        .get(ignored as usize)
                        .is_some_and(|g| g.t0 == e.t0)
            });
        }
        let zone = self.zone_of(ignored);
        let kb = self.kbucket(t, zone.id_for(1));
        'restart: loop {
            let mut cur = self.heads[self.chain(kb)];
            while cur != NIL {
                let (ci, cd) = (cur / 2, (cur % 2) as usize);
                let e = &self.entries[ci as usize];
                let next = self.cold[ci as usize].next[cd];
                if ci == ignored || self.cold[ci as usize].kb[cd] != kb {
                    cur = next;
                    continue;
                }
                if Self::is_expired(e, now) {
                    self.delete(ci, false);
                    continue 'restart;
                }
                if self.key_equal(e, ci, cd, t, zone) {
                    // The same original tuple as `ignored`: the same flow
                    // (read only here, on a match: rare).
                    if self
                        .entries
                        .get(ignored as usize)
                        .is_some_and(|g| g.t0 == e.t0)
                    {
                        cur = next;
                        continue;
                    }
                    return true;
                }
                cur = next;
            }
            return false;
        }
    }

    // ---- slab ----

    /// A new entry, or `None` when the allocator refuses to grow the slab
    /// (or the index is at [`SLOT_LIMIT`]).
    /// `kbs` are the kernel buckets of the tuples (kept for confirm), or
    /// [`KB_UNKNOWN`] (confirm computes them; NAT makes the reply's
    /// unknown when it alters the reply tuple).
    /// The original tuple's [`fast_hash`] is taken from `miss_tag` (the
    /// caller, `process_general`, looked that tuple up last: `find`, or
    /// the established path that found it absent) and kept for confirm's
    /// `hash_insert` (the original tuple never changes).
    #[inline(always)]
    pub(super) fn alloc(&mut self, tuples: [Tuple; 2], kbs: [u32; 2], l4: L4State) -> Option<u32> {
        let tag0 = self.miss_tag.0;
        debug_assert_eq!(tag0, fast_hash(&tuples[0]));
        // Room in the lookup index for both tuples of every entry held.
        if !self.fast.reserve((self.count as usize + 1) * 2) {
            return None;
        }
        let len = self.entries.len();
        if self.free.is_empty() {
            if len >= SLOT_LIMIT as usize {
                return None;
            }
            if len == self.entries.capacity() {
                // Doubling (amortised), into huge pages when large
                // (`pages.rs`: each established packet reads a random
                // entry); `cold`, `free` and `dying` follow so that
                // deleting never allocates.
                super::pages::grow(&mut self.entries, len.saturating_mul(2).max(4)).ok()?;
                let cap = self.entries.capacity();
                super::pages::grow(&mut self.cold, cap).ok()?;
                if self.cfg.acct {
                    super::pages::grow(&mut self.acct_hi, cap).ok()?;
                }
                self.free.try_reserve_exact(cap - self.free.len()).ok()?;
                self.dying.try_reserve_exact(cap - self.dying.len()).ok()?;
                // The lookup index grows with the slab, not at its own
                // thresholds: a table whose slab stopped growing
                // allocates nothing more.
                if !self.fast.reserve(cap * 2) {
                    return None;
                }
            }
        }
        let l4 = match l4 {
            L4State::Tcp(_) => L4State::Tcp(self.tcp.alloc(TcpCt::default())?),
            L4State::Sctp(_) => L4State::Sctp(self.sctp.alloc(SctpCt::default())?),
            L4State::Gre(_) => L4State::Gre(
                self.gre
                    .alloc((self.cfg.gre_timeout, self.cfg.gre_timeout_stream))?,
            ),
            other => other,
        };
        let [t0, t1] = tuples;
        let mut e = Entry {
            t0,
            live: true,
            l4k: 0,
            status: CtStatus::empty(),
            gen: 0,
            timeout: 0,
            l4v: 0,
            t1,
            acct0: [0; 2],
            acct1: [0; 2],
        };
        e.set_l4(l4);
        let c = Cold {
            next: [NIL; 2],
            kb: kbs,
            tag: [tag0, 0],
            mark: 0,
            nat: NIL,
        };
        self.count += 1;
        if let Some(idx) = self.free.pop() {
            let slot = &mut self.entries[idx as usize];
            let gen = slot.gen.wrapping_add(1);
            *slot = Entry { gen, ..e };
            self.cold[idx as usize] = c;
            if let Some(hi) = self.acct_hi.get_mut(idx as usize) {
                *hi = [[0; 2]; 2];
            }
            return Some(idx);
        }
        self.entries.push(e);
        self.cold.push(c);
        if self.cfg.acct {
            self.acct_hi.push([[0; 2]; 2]);
        }
        Some(len as u32)
    }

    /// Frees slot `idx` and the side data it holds (never allocates).
    #[inline(always)]
    fn free_slot(&mut self, idx: u32) {
        let e = &mut self.entries[idx as usize];
        e.live = false;
        e.status = CtStatus::empty();
        let l4 = e.l4();
        e.set_l4(L4State::Generic);
        let nat = core::mem::replace(&mut self.cold[idx as usize].nat, NIL);
        match l4 {
            L4State::Tcp(ti) => self.tcp.release(ti),
            L4State::Sctp(si) => self.sctp.release(si),
            L4State::Gre(gi) => self.gre.release(gi),
            _ => {}
        }
        if nat != NIL {
            self.nat.release(nat);
        }
        self.count = self.count.saturating_sub(1);
        self.free.push(idx);
    }

    /// [`Self::delete`] of an expired entry a bucket walk met (it is live
    /// and hashed: the chains hold only hashed entries), without its tests.
    #[inline(never)]
    fn reclaim(&mut self, idx: u32) {
        debug_assert!(self.entries[idx as usize].live && self.entries[idx as usize].hashed());
        self.hash_remove(idx);
        let nat = self.cold[idx as usize].nat;
        if nat != NIL && self.nat.get(nat).is_some_and(|x| x.in_bysource) {
            self.bysource_remove(nat);
        }
        self.free_slot(idx);
    }

    /// Deletes an entry: unhash it (if confirmed) and free its slot, or,
    /// when `keep_for_packet`, mark it dying and free it at the next `process`.
    pub(super) fn delete(&mut self, idx: u32, keep_for_packet: bool) {
        let Some(e) = self.entries.get(idx as usize) else {
            return;
        };
        if !e.live {
            return;
        }
        if e.hashed() {
            self.hash_remove(idx);
        }
        let nat = self.cold[idx as usize].nat;
        if self.nat.get(nat).is_some_and(|x| x.in_bysource) {
            self.bysource_remove(nat);
        }
        if keep_for_packet {
            let e = &mut self.entries[idx as usize];
            if !e.status.contains(CtStatus::DYING) {
                e.status.insert(CtStatus::DYING);
                self.dying.push(idx);
            }
        } else {
            self.free_slot(idx);
        }
    }

    pub(super) fn reap_dying(&mut self) {
        while let Some(idx) = self.dying.pop() {
            if let Some(e) = self.entries.get_mut(idx as usize) {
                if e.live && e.status.contains(CtStatus::DYING) {
                    self.free_slot(idx);
                }
            }
        }
    }

    /// Reclaims every expired entry (what the kernel's GC worker does in the
    /// background); run at most once per simulated second, when the table
    /// is full.
    pub(super) fn sweep_expired(&mut self, now: Instant) {
        if let Some(last) = self.last_sweep {
            if now.saturating_since(last) < Duration::from_secs(1) {
                return;
            }
        }
        self.last_sweep = Some(now);
        for idx in 0..self.entries.len() as u32 {
            let e = &self.entries[idx as usize];
            if e.live && !e.status.contains(CtStatus::DYING) && Self::is_expired(e, now) {
                self.delete(idx, false);
            }
        }
    }

    /// `early_drop`: scan `NF_CT_EVICTION_RANGE` chains from the new tuple's
    /// bucket, deleting every confirmed non-ASSURED entry of the first chain
    /// that has one.
    pub(super) fn early_drop(&mut self, hash: u32, now: Instant) -> bool {
        let hsize = self.cfg.buckets;
        let mut bucket = reciprocal_scale(hash, hsize);
        for i in 0..EVICTION_RANGE {
            if i > 0 {
                bucket = (bucket + 1) % hsize;
            }
            let mut drops = 0;
            'restart: loop {
                let mut cur = self.heads[self.chain(bucket)];
                while cur != NIL {
                    let (ci, cd) = (cur / 2, (cur % 2) as usize);
                    let e = &self.entries[ci as usize];
                    let next = self.cold[ci as usize].next[cd];
                    if self.cold[ci as usize].kb[cd] != bucket {
                        cur = next;
                        continue;
                    }
                    if Self::is_expired(e, now) {
                        self.delete(ci, false);
                        continue 'restart;
                    }
                    if e.status.contains(CtStatus::ASSURED) || e.status.contains(CtStatus::DYING) {
                        cur = next;
                        continue;
                    }
                    if e.status.contains(CtStatus::CONFIRMED) {
                        self.delete(ci, false);
                        drops += 1;
                        continue 'restart;
                    }
                    cur = next;
                }
                break;
            }
            if drops > 0 {
                return true;
            }
        }
        false
    }

    // ---- confirm / discard ----

    /// `__nf_conntrack_confirm`: inserts the packet's unconfirmed entry
    /// into the table; its timeout starts now. Does nothing for confirmed
    /// entries, packets without an entry, or reply-direction packets.
    ///
    /// Returns `Drop` (and frees the entry) when the entry is dying or one
    /// of its tuples is already in the table: the kernel's clash resolution
    /// for parallel identical UDP flows (`nf_ct_resolve_clash`) cannot arise
    /// in a sequential simulation, so every clash drops.
    pub fn confirm(&mut self, slot: CtSlot, now: Instant) -> CtVerdict {
        let CtSlot::Entry { handle, info } = slot else {
            return CtVerdict::Accept;
        };
        let Some(e) = self.get(handle) else {
            return CtVerdict::Accept;
        };
        if e.status.contains(CtStatus::CONFIRMED) || info.dir() != Dir::Original {
            return CtVerdict::Accept;
        }
        if e.status.contains(CtStatus::DYING) {
            return CtVerdict::Drop;
        }
        let idx = handle.idx as usize;
        // The original tuple's bucket was computed by `process` (the
        // original tuple never changes; NAT alters only the reply).
        let zone = self.zone_of(handle.idx);
        let kb0 = match self.cold[idx].kb[0] {
            // `process` did not need it (`walk_free`).
            KB_UNKNOWN => self.kbucket(&e.t0, zone.id_for(0)),
            kb => kb,
        };
        let kb1 = match self.cold[idx].kb[1] {
            // `new_conn4` hashed it beside the original tuple.
            KB_UNKNOWN => self.kbucket(&e.t1, zone.id_for(1)),
            kb => kb,
        };
        let kbs = [kb0, kb1];
        // The original tuple's bucket, unless `process` just walked it for
        // this entry and nothing changed since (the walk would reclaim
        // nothing and find nothing). The walks compare the entry's tuples
        // where they are (they may reclaim entries, not this one:
        // unconfirmed, it is in no chain).
        let walked = self.walked.take() == Some((handle, now, self.epoch));
        let clash = (!walked && self.find_kb_own(handle.idx, 0, kbs[0], zone, now).is_some())
            || self.find_kb_own(handle.idx, 1, kbs[1], zone, now).is_some();
        if clash {
            self.delete(handle.idx, false);
            return CtVerdict::Drop;
        }
        let e = &mut self.entries[handle.idx as usize];
        e.timeout = now.as_nanos().saturating_add(e.timeout);
        e.status.insert(CtStatus::CONFIRMED);
        self.hash_insert(handle.idx, kbs);
        CtVerdict::Accept
    }

    /// Frees the entry of a dropped packet if it was never confirmed (the
    /// kernel frees it with the skb). Confirmed entries are untouched.
    /// Call it only once packets attached to the same entry
    /// ([`CtSlot::attach_reply`]) have been handled: they keep using it.
    pub fn discard_unconfirmed(&mut self, handle: CtHandle) {
        let Some(e) = self.get(handle) else {
            return;
        };
        if e.status.intersects(CtStatus::CONFIRMED | CtStatus::DYING) {
            return;
        }
        // `delete` of an entry never hashed (the index takes entries at
        // confirm only), as the kernel frees an unconfirmed conntrack
        // without touching the hash (destroy_conntrack, then
        // nf_conntrack_free, nf_conntrack_core.c): the bysource link a
        // source NAT binding made removed (nf_nat_cleanup_conntrack,
        // nf_nat_core.c), then the slot freed.
        let nat = self.cold[handle.idx as usize].nat;
        if nat != NIL && self.nat.get(nat).is_some_and(|x| x.in_bysource) {
            self.bysource_remove(nat);
        }
        self.free_slot(handle.idx);
    }

    /// Deletes an entry now (`conntrack -D`, `nf_ct_kill`). A confirmed
    /// entry leaves the table; the handle becomes stale.
    pub fn remove(&mut self, h: CtHandle) -> bool {
        if self.get(h).is_some() {
            self.delete(h.idx, false);
            true
        } else {
            false
        }
    }

    /// Deletes every entry (`conntrack -F`). Handles become stale.
    pub fn flush(&mut self) {
        for idx in 0..self.entries.len() as u32 {
            if self.entries[idx as usize].live {
                self.delete(idx, false);
            }
        }
        self.dying.clear();
    }
}

#[cfg(test)]
mod full_tests {
    use super::{full, SLOT_LIMIT};

    /// The branch-free limit test against its definition, at every edge.
    #[test]
    fn full_is_count_at_the_limit() {
        let edges = [
            0,
            1,
            2,
            3,
            1000,
            SLOT_LIMIT - 2,
            SLOT_LIMIT - 1,
            SLOT_LIMIT,
            SLOT_LIMIT + 1,
            u32::MAX - 1,
            u32::MAX,
        ];
        for &max in &edges {
            for &count in &edges {
                let limit = if max == 0 {
                    SLOT_LIMIT
                } else {
                    max.min(SLOT_LIMIT)
                };
                assert_eq!(full(count, max), count >= limit, "count {count} max {max}");
            }
        }
    }
}
