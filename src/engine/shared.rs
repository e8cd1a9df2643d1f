//! State of stateful matches that does not fit in a rule's
//! [`MatchState`](super::state::MatchState) integers: the per-rule
//! connection lists of `connlimit` (`nf_conncount`) and the named address
//! lists of `recent` (shared by every rule naming them, IPv4 and IPv6
//! alike, as `recent_net` is per network namespace). The host owns one
//! [`SharedTables`] and reaches it through [`Env`](super::Env) methods.
//!
//! Growing these tables allocates (the kernel allocates too:
//! `kmem_cache_alloc` of a list node per counted connection); packets that
//! do not add a connection allocate nothing.

use crate::conntrack::{proto, Tuple};
use crate::model::Family;
use crate::wire::meta::PacketMeta;

/// `CONNCOUNT_GC_MAX_NODES` (net/netfilter/nf_conncount.c).
const GC_MAX_NODES: u32 = 8;

/// What `get_ct_or_tuple_from_skb` (net/netfilter/nf_conncount.c) found
/// for the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkbConn {
    /// The packet's tuple (the entry's original tuple, or the packet's own
    /// when it has no entry) and whether that entry is confirmed (an entry
    /// found by tuple lookup always is). `confirmed: false` also covers
    /// "no entry and none found by tuple".
    Tuple {
        /// `ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple` or `nf_ct_get_tuplepr`.
        tuple: Tuple,
        /// `nf_ct_is_confirmed(ct)`.
        confirmed: bool,
    },
    /// No entry and `nf_ct_get_tuplepr` failed (truncated header, non-first
    /// fragment).
    NoTuple,
}

/// The conntrack lookups `nf_conncount` makes.
pub trait ConnLookup {
    /// `nf_conntrack_find_get` of a tuple (either direction, confirmed,
    /// live entries): `None` when not found, else whether the entry is
    /// `already_closed` (TCP in TIME_WAIT or CLOSE).
    fn find_closed(&mut self, t: &Tuple) -> Option<bool>;
}

#[derive(Debug, Clone)]
struct CountList {
    /// `nf_conncount_tuple`s: tuple and `jiffies32` at insertion.
    conns: Vec<(Tuple, u32)>,
    /// `list->last_gc`.
    last_gc: u32,
}

#[derive(Debug, Clone, Default)]
struct CountData {
    /// The rbtree nodes (`nf_conncount_rb`): key and list.
    nodes: Vec<([u32; 5], CountList)>,
}

/// The host's tables for stateful matches (one `nf_conncount_data` per
/// `connlimit` rule, created on the rule's first packet).
#[derive(Debug, Clone, Default)]
pub struct SharedTables {
    conncount: Vec<CountData>,
    recent: Vec<RecentTable>,
}

/// `ip_list_tot` (xt_recent module parameter, default 100): entries per
/// table; the least recently updated one is evicted for a new one.
pub const RECENT_LIST_TOT: usize = 100;
/// `ip_pkt_list_tot` (default 20): the timestamps a rule may need.
pub const RECENT_PKT_LIST_TOT: u32 = 20;
/// `XT_RECENT_MAX_NSTAMPS`.
pub const RECENT_MAX_NSTAMPS: u32 = 256;

/// What a `recent` rule does (`XT_RECENT_SET` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentCheck {
    /// `--set`
    Set,
    /// `--rcheck`
    Rcheck,
    /// `--update`
    Update,
    /// `--remove`
    Remove,
}

/// The per-rule parameters of `recent_mt` (`struct xt_recent_mtinfo_v1`
/// without the table part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentRule {
    /// The operation.
    pub check: RecentCheck,
    /// `!`
    pub invert: bool,
    /// `--seconds` (0: any age).
    pub seconds: u32,
    /// `--reap`
    pub reap: bool,
    /// `--hitcount` (0: one is enough).
    pub hit_count: u32,
    /// `--rttl`
    pub rttl: bool,
}

#[derive(Debug, Clone)]
struct RecentEntry {
    addr: [u8; 16],
    v6: bool,
    ttl: u8,
    /// Insertion order (`iphash` bucket lists are appended to and never
    /// reordered, so a lookup returns the earliest inserted match).
    seq: u64,
    stamps: Vec<u64>,
    index: u32,
    nstamps: u32,
}

#[derive(Debug, Clone)]
struct RecentTable {
    name: String,
    mask: [u8; 16],
    nstamps_max_mask: u32,
    /// LRU order: the head is the least recently updated.
    lru: Vec<RecentEntry>,
    seq: u64,
}

/// `time_after(a, b)` on `unsigned long` jiffies.
fn time_after(a: u64, b: u64) -> bool {
    (b.wrapping_sub(a) as i64) < 0
}

impl SharedTables {
    /// `recent_mt_check`'s table part, to be called for each `recent` rule
    /// in the order the kernel checks them (rule order, tables in load
    /// order): finds the table `name` or creates it with this rule's mask;
    /// a rule needing more timestamps than the table keeps flushes it and
    /// widens it. Returns the table id, or `None` for a `--hitcount` above
    /// 255 (EINVAL).
    ///
    /// ```
    /// use nfsim::engine::shared::SharedTables;
    /// let mut t = SharedTables::default();
    /// let a = t.recent_register("ssh", [0xff; 16], 0).unwrap();
    /// assert_eq!(t.recent_register("ssh", [0; 16], 4), Some(a));
    /// assert_eq!(t.recent_register("ssh", [0; 16], 256), None);
    /// ```
    pub fn recent_register(&mut self, name: &str, mask: [u8; 16], hit_count: u32) -> Option<u64> {
        if hit_count > RECENT_MAX_NSTAMPS - 1 {
            return None;
        }
        let nstamp_mask = if hit_count < RECENT_PKT_LIST_TOT {
            RECENT_PKT_LIST_TOT.next_power_of_two() - 1
        } else {
            hit_count.next_power_of_two() - 1
        };
        if let Some(i) = self.recent.iter().position(|t| t.name == name) {
            let t = &mut self.recent[i];
            if nstamp_mask > t.nstamps_max_mask {
                t.lru.clear(); // recent_table_flush
                t.nstamps_max_mask = nstamp_mask;
            }
            return Some(i as u64);
        }
        self.recent.push(RecentTable {
            name: name.into(),
            mask,
            nstamps_max_mask: nstamp_mask,
            lru: Vec::new(),
            seq: 0,
        });
        Some((self.recent.len() - 1) as u64)
    }

    /// `recent_mt` (net/netfilter/xt_recent.c) on table `id` for the
    /// packet's address (source or destination as the rule says, unmasked:
    /// the table's mask is applied here) and TTL / hop limit (already
    /// incremented by the caller when the kernel does: a packet with an
    /// output device and no socket). `jiffies` is now; `hz` the tick rate.
    ///
    /// Not found: `--set` creates the entry (evicting the least recently
    /// updated one when the table holds [`RECENT_LIST_TOT`]) and matches,
    /// the others answer `invert`. Found: `--set` matches, `--remove`
    /// removes it and matches, `--rcheck`/`--update` match when at least
    /// `--hitcount` (or one) of its timestamps are within `--seconds`;
    /// `--reap` then removes the table's oldest entry if its newest stamp
    /// is out of the window (unless it is this entry about to be updated);
    /// `--set`, and `--update` when the answer (after inversion) is true,
    /// add a timestamp and record the TTL.
    #[allow(clippy::too_many_arguments)]
    pub fn recent_mt(
        &mut self,
        id: u64,
        r: &RecentRule,
        v6: bool,
        addr: &[u8; 16],
        ttl: u8,
        jiffies: u64,
        hz: u32,
    ) -> bool {
        let Some(t) = usize::try_from(id)
            .ok()
            .and_then(|i| self.recent.get_mut(i))
        else {
            return r.invert;
        };
        let mut key = [0u8; 16];
        for (k, (a, m)) in key.iter_mut().zip(addr.iter().zip(t.mask.iter())) {
            *k = a & m;
        }
        let mut ret = r.invert;
        let want_ttl = if r.rttl { ttl } else { 0 };
        // recent_entry_lookup: earliest inserted match.
        let found = t
            .lru
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.v6 == v6 && e.addr == key && (want_ttl == e.ttl || want_ttl == 0 || e.ttl == 0)
            })
            .min_by_key(|(_, e)| e.seq)
            .map(|(i, _)| i);
        let Some(mut ei) = found else {
            if r.check != RecentCheck::Set {
                return ret;
            }
            // recent_entry_init
            if t.lru.len() >= RECENT_LIST_TOT {
                t.lru.remove(0);
            }
            let mut stamps = vec![0u64; t.nstamps_max_mask as usize + 1];
            stamps[0] = jiffies;
            t.seq += 1;
            t.lru.push(RecentEntry {
                addr: key,
                v6,
                ttl,
                seq: t.seq,
                stamps,
                index: 1,
                nstamps: 1,
            });
            return !ret;
        };
        match r.check {
            RecentCheck::Set => ret = !ret,
            RecentCheck::Remove => {
                t.lru.remove(ei);
                return !ret;
            }
            RecentCheck::Rcheck | RecentCheck::Update => {
                let time = jiffies.wrapping_sub(u64::from(r.seconds.wrapping_mul(hz)));
                let e = &t.lru[ei];
                let mut hits = 0u32;
                for &stamp in e.stamps.iter().take(e.nstamps as usize) {
                    if r.seconds != 0 && time_after(time, stamp) {
                        continue;
                    }
                    hits += 1;
                    if r.hit_count == 0 || hits >= r.hit_count {
                        ret = !ret;
                        break;
                    }
                }
                if r.reap {
                    // recent_entry_reap: the LRU head.
                    let update = r.check == RecentCheck::Update && ret;
                    if !(ei == 0 && update) {
                        let head = &t.lru[0];
                        let last = head
                            .stamps
                            .get((head.index as usize).wrapping_sub(1))
                            .copied()
                            .unwrap_or(0);
                        if time_after(time, last) {
                            t.lru.remove(0);
                            if ei == 0 {
                                // The working entry itself was reaped.
                                return ret;
                            }
                            ei -= 1;
                        }
                    }
                }
            }
        }
        if r.check == RecentCheck::Set || (r.check == RecentCheck::Update && ret) {
            // recent_entry_update
            let mask = t.nstamps_max_mask;
            let mut e = t.lru.remove(ei);
            e.index &= mask;
            if let Some(s) = e.stamps.get_mut(e.index as usize) {
                *s = jiffies;
            }
            e.index += 1;
            if e.index > e.nstamps {
                e.nstamps = e.index;
            }
            e.ttl = ttl;
            t.lru.push(e);
        }
        ret
    }
}

/// How an add ended (`__nf_conncount_add`'s return).
enum Add {
    /// 0: added, or already present.
    Ok,
    /// -EEXIST: the packet's entry is confirmed, nothing added.
    Exists,
    /// -ENOENT: no tuple.
    NoEnt,
}

impl SharedTables {
    /// Allocates the `nf_conncount_data` of a new `connlimit` rule
    /// (`connlimit_mt_check` → `nf_conncount_init`); returns its id.
    ///
    /// ```
    /// use nfsim::engine::shared::SharedTables;
    /// let mut t = SharedTables::default();
    /// assert_eq!(t.conncount_new(), 0);
    /// assert_eq!(t.conncount_new(), 1);
    /// ```
    pub fn conncount_new(&mut self) -> u64 {
        self.conncount.push(CountData::default());
        (self.conncount.len() - 1) as u64
    }

    /// `nf_conncount_count_skb` → `count_tree` / `insert_tree`
    /// (net/netfilter/nf_conncount.c, Linux 6.18.y: the sk_buff API of
    /// commit be102eb6a0e7 with the -EEXIST fix): the number of
    /// connections counted under `key` after accounting for this packet; 0
    /// means "drop the packet" to the caller (`connlimit_mt` hotdrops).
    ///
    /// Modelled as one CPU (`find_or_evict` always evicts an entry it cannot
    /// find, as the adding CPU does), and without the opportunistic garbage
    /// collection of *other* keys' lists along the rbtree path and the gc
    /// worker: which nodes lie on that path depends on `conncount_rnd`, a
    /// random hash seed. A list therefore lives as long as the rule; a key
    /// whose list was emptied keeps its node (the kernel frees it only in
    /// that gc), so a confirmed connection arriving there counts 0 and is
    /// dropped, as in the kernel when the node survives.
    pub fn conncount_count<L: ConnLookup>(
        &mut self,
        id: u64,
        key: [u32; 5],
        skb: SkbConn,
        jiffies: u32,
        ct: &mut L,
    ) -> u32 {
        let Some(data) = usize::try_from(id)
            .ok()
            .and_then(|i| self.conncount.get_mut(i))
        else {
            return 0;
        };
        if let Some((_, list)) = data.nodes.iter_mut().find(|(k, _)| *k == key) {
            if !list.conns.is_empty() {
                // count_tree: same key, non-empty list.
                return match add(list, skb, jiffies, ct) {
                    Add::NoEnt => 0,
                    Add::Exists => {
                        gc_list(list, jiffies, ct);
                        list.conns.len() as u32
                    }
                    Add::Ok => list.conns.len() as u32,
                };
            }
            // insert_tree finds the (empty) node again.
            return match add(list, skb, jiffies, ct) {
                Add::NoEnt => 0,
                Add::Exists | Add::Ok => list.conns.len() as u32,
            };
        }
        // insert_tree: a new node holding this packet's tuple.
        let SkbConn::Tuple { tuple, .. } = skb else {
            return 0;
        };
        let mut conns = Vec::with_capacity(4);
        conns.push((tuple, jiffies));
        data.nodes.push((
            key,
            CountList {
                conns,
                last_gc: jiffies,
            },
        ));
        1
    }
}

/// `nf_ct_get_tuplepr` (net/netfilter/nf_conntrack_core.c) for a packet
/// without a conntrack entry, in nfsim's tuple encoding (ports for TCP, UDP
/// and UDP-Lite; ICMP/ICMPv6 id, type and code; nothing for other
/// protocols, as nfsim's conntrack keys them). `None` for a non-first
/// fragment or a header cut short (the kernel's `get_l4proto` /
/// `skb_header_pointer` failures).
pub fn skb_tuple(family: Family, data: &[u8], meta: &PacketMeta) -> Option<Tuple> {
    if meta.fragoff != 0 || meta.thoff == 0 {
        return None;
    }
    let p = u8::from(meta.protocol);
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    match family {
        Family::Ipv4 => {
            src[..4].copy_from_slice(data.get(12..16)?);
            dst[..4].copy_from_slice(data.get(16..20)?);
        }
        Family::Ipv6 => {
            src.copy_from_slice(data.get(8..24)?);
            dst.copy_from_slice(data.get(24..40)?);
        }
    }
    let l4 = meta.l4(data);
    let be16 = |at: usize| l4.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let icmp = matches!(
        (family, p),
        (Family::Ipv4, proto::ICMP) | (Family::Ipv6, proto::ICMPV6)
    );
    let (src_u, dst_u) = match p {
        proto::TCP | proto::UDP | proto::UDPLITE => (be16(0)?, be16(2)?),
        _ if icmp => {
            if l4.len() < 8 {
                return None;
            }
            (be16(4)?, be16(0)?)
        }
        _ => (0, 0),
    };
    Some(Tuple {
        family: match family {
            Family::Ipv4 => crate::conntrack::Family::Ipv4,
            Family::Ipv6 => crate::conntrack::Family::Ipv6,
        },
        src,
        dst,
        proto: p,
        src_u,
        dst_u,
    })
}

/// `__nf_conncount_add`.
fn add<L: ConnLookup>(list: &mut CountList, skb: SkbConn, jiffies: u32, ct: &mut L) -> Add {
    let SkbConn::Tuple { tuple, confirmed } = skb else {
        return Add::NoEnt;
    };
    if confirmed {
        return Add::Exists;
    }
    if jiffies != list.last_gc {
        let mut collect = 0u32;
        let mut i = 0;
        while i < list.conns.len() {
            if collect > GC_MAX_NODES {
                break;
            }
            let t = list.conns[i].0;
            match ct.find_closed(&t) {
                None => {
                    // find_or_evict: not found, added by this CPU: evicted.
                    list.conns.remove(i);
                    collect += 1;
                    continue;
                }
                Some(_) if t == tuple => return Add::Ok, // already counted
                Some(true) => {
                    list.conns.remove(i);
                    collect += 1;
                    continue;
                }
                Some(false) => {}
            }
            i += 1;
        }
    }
    list.conns.push((tuple, jiffies));
    list.last_gc = jiffies;
    Add::Ok
}

/// `nf_conncount_gc_list`.
fn gc_list<L: ConnLookup>(list: &mut CountList, jiffies: u32, ct: &mut L) {
    if jiffies == list.last_gc {
        return;
    }
    let mut collected = 0u32;
    let mut i = 0;
    while i < list.conns.len() {
        let t = list.conns[i].0;
        match ct.find_closed(&t) {
            None | Some(true) => {
                list.conns.remove(i);
                collected += 1;
                continue;
            }
            Some(false) => {}
        }
        i += 1;
        if collected > GC_MAX_NODES {
            break;
        }
    }
    list.last_gc = jiffies;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conntrack::Family;

    struct Fake {
        live: Vec<(Tuple, bool)>,
    }
    impl ConnLookup for Fake {
        fn find_closed(&mut self, t: &Tuple) -> Option<bool> {
            self.live.iter().find(|(x, _)| x == t).map(|(_, c)| *c)
        }
    }

    fn tup(port: u16) -> Tuple {
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[192, 0, 2, 20]);
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&[192, 0, 2, 1]);
        Tuple {
            family: Family::Ipv4,
            src,
            dst,
            proto: 6,
            src_u: port,
            dst_u: 22,
        }
    }

    fn rule(check: RecentCheck) -> RecentRule {
        RecentRule {
            check,
            invert: false,
            seconds: 0,
            reap: false,
            hit_count: 0,
            rttl: false,
        }
    }

    fn a4(last: u8) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[192, 0, 2, last]);
        a
    }

    #[test]
    fn recent_set_check_update_remove() {
        let mut t = SharedTables::default();
        let mut mask = [0u8; 16];
        mask[..4].copy_from_slice(&[255, 255, 255, 0]);
        let id = t.recent_register("x", mask, 0).unwrap();
        let hz = 250;
        let check = RecentRule {
            seconds: 60,
            hit_count: 3,
            ..rule(RecentCheck::Rcheck)
        };
        let update = RecentRule {
            check: RecentCheck::Update,
            ..check
        };
        assert!(!t.recent_mt(id, &check, false, &a4(1), 64, 0, hz));
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(1), 64, 0, hz));
        // The /24 mask of the table groups .1 and .2.
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(2), 64, 100, hz));
        assert!(!t.recent_mt(id, &check, false, &a4(3), 64, 200, hz));
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(3), 64, 300, hz));
        assert!(t.recent_mt(id, &check, false, &a4(9), 64, 400, hz));
        // 60 s later the first stamps are out of the window.
        assert!(!t.recent_mt(id, &check, false, &a4(9), 64, 60 * 250 + 150, hz));
        // --update only refreshes when it matches (after inversion).
        let inv_update = RecentRule {
            invert: true,
            ..update
        };
        assert!(t.recent_mt(id, &inv_update, false, &a4(9), 64, 60 * 250 + 150, hz));
        assert!(!t.recent_mt(id, &check, false, &a4(9), 64, 60 * 250 + 151, hz));
        // --rttl: a different TTL is another entry.
        let rttl = RecentRule {
            rttl: true,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(!t.recent_mt(id, &rttl, false, &a4(9), 63, 16_000, hz));
        assert!(t.recent_mt(id, &rttl, false, &a4(9), 64, 16_000, hz));
        // IPv6 entries are separate.
        assert!(!t.recent_mt(id, &rule(RecentCheck::Rcheck), true, &a4(9), 64, 16_000, hz));
        assert!(t.recent_mt(
            id,
            &rule(RecentCheck::Remove),
            false,
            &a4(9),
            64,
            16_001,
            hz
        ));
        assert!(!t.recent_mt(
            id,
            &rule(RecentCheck::Remove),
            false,
            &a4(9),
            64,
            16_002,
            hz
        ));
    }

    #[test]
    fn recent_list_limits_and_reap() {
        let mut t = SharedTables::default();
        let id = t.recent_register("y", [0xff; 16], 0).unwrap();
        let set = rule(RecentCheck::Set);
        for i in 0..=RECENT_LIST_TOT as u32 {
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&i.to_be_bytes());
            assert!(t.recent_mt(id, &set, false, &a, 64, u64::from(i), 250));
        }
        // The first address was evicted, the second is still there.
        let rc = rule(RecentCheck::Rcheck);
        assert!(!t.recent_mt(id, &rc, false, &[0; 16], 64, 500, 250));
        let mut a1 = [0u8; 16];
        a1[3] = 1;
        assert!(t.recent_mt(id, &rc, false, &a1, 64, 500, 250));
        // Timestamps wrap at the table's 32 slots: 40 sets, hitcount 20
        // still counts only what is kept.
        let id2 = t.recent_register("z", [0xff; 16], 20).unwrap();
        for j in 0..40 {
            t.recent_mt(id2, &set, false, &a1, 64, j, 250);
        }
        let hc = |n| RecentRule {
            hit_count: n,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(t.recent_mt(id2, &hc(20), false, &a1, 64, 41, 250));
        // --reap removes the oldest entry when its last stamp is too old.
        let id3 = t.recent_register("r", [0xff; 16], 0).unwrap();
        let mut b = [0u8; 16];
        b[0] = 1;
        t.recent_mt(id3, &set, false, &b, 64, 0, 250);
        t.recent_mt(id3, &set, false, &a1, 64, 1000, 250);
        let reap = RecentRule {
            seconds: 1,
            reap: true,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(t.recent_mt(id3, &reap, false, &a1, 64, 1100, 250));
        assert!(!t.recent_mt(id3, &rc, false, &b, 64, 1101, 250));
        // Widening the timestamps flushes the table.
        assert_eq!(t.recent_register("r", [0; 16], 100), Some(id3));
        assert!(!t.recent_mt(id3, &rc, false, &a1, 64, 1102, 250));
    }

    #[test]
    fn counts_evicts_and_skips_confirmed() {
        let mut t = SharedTables::default();
        let id = t.conncount_new();
        let key = [1, 0, 0, 0, 0];
        let mut ct = Fake { live: vec![] };
        let new = |p| SkbConn::Tuple {
            tuple: tup(p),
            confirmed: false,
        };
        let est = |p| SkbConn::Tuple {
            tuple: tup(p),
            confirmed: true,
        };
        assert_eq!(t.conncount_count(id, key, new(1), 10, &mut ct), 1);
        ct.live.push((tup(1), false));
        // Confirmed packets add nothing.
        assert_eq!(t.conncount_count(id, key, est(1), 11, &mut ct), 1);
        assert_eq!(t.conncount_count(id, key, new(2), 12, &mut ct), 2);
        // Connection 2 was never confirmed (dropped): evicted at the next
        // add in a later jiffy...
        assert_eq!(t.conncount_count(id, key, new(3), 13, &mut ct), 2);
        // ...but not within the same jiffy (no gc then).
        assert_eq!(t.conncount_count(id, key, new(4), 13, &mut ct), 3);
        // Closed connections are evicted by gc.
        ct.live = vec![(tup(1), true)];
        assert_eq!(t.conncount_count(id, key, est(1), 14, &mut ct), 0);
        // An empty list's node stays: a confirmed packet then counts 0.
        assert_eq!(t.conncount_count(id, key, est(1), 15, &mut ct), 0);
        assert_eq!(t.conncount_count(id, key, new(5), 16, &mut ct), 1);
        assert_eq!(t.conncount_count(id, key, SkbConn::NoTuple, 17, &mut ct), 0);
        // Another key starts its own list, confirmed or not.
        assert_eq!(
            t.conncount_count(id, [2, 0, 0, 0, 0], est(9), 17, &mut ct),
            1
        );
        assert_eq!(t.conncount_count(7, key, new(1), 17, &mut ct), 0);
    }
}
