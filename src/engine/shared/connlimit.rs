//! `connlimit` (net/netfilter/nf_conncount.c): the per-rule lists of
//! counted connections.

use super::SharedTables;
use crate::conntrack::Tuple;

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
    /// No entry and `nf_ct_get_tuplepr` failed
    /// ([`crate::conntrack::packet_tuple`]: truncated header, non-first
    /// fragment, GREv1 that is not PPP).
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
pub(super) struct CountList {
    /// `nf_conncount_tuple`s: tuple and `jiffies32` at insertion.
    conns: Vec<(Tuple, u32)>,
    /// `list->last_gc`.
    last_gc: u32,
}

#[derive(Debug, Clone, Default)]
pub(super) struct CountData {
    /// The rbtree nodes (`nf_conncount_rb`): key and list.
    nodes: Vec<([u32; 5], CountList)>,
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
    use crate::model::Family;

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
