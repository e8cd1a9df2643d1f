//! State of stateful matches that does not fit in a rule's
//! [`MatchState`](super::state::MatchState) integers, one file per table:
//! the token buckets of `hashlimit` (`hashlimit.rs`, xt_hashlimit.c), the
//! named address lists of `recent` (`recent.rs`, xt_recent.c: shared by
//! every rule naming them, IPv4 and IPv6 alike, as `recent_net` is per
//! network namespace) and the per-rule connection lists of `connlimit`
//! (`connlimit.rs`, nf_conncount.c). The host owns one [`SharedTables`]
//! and reaches it through [`Env`](super::Env) methods.
//!
//! Growing these tables allocates (the kernel allocates too:
//! `kmem_cache_alloc` of a list node per counted connection); packets that
//! do not add a connection allocate nothing.

mod connlimit;
mod hashlimit;
mod ipset;
mod nfacct;
mod recent;

pub use connlimit::{ConnLookup, SkbConn};
pub use hashlimit::HashlimitCfg;
pub(crate) use ipset::{ipset_register, set_mt, set_tg};
pub use recent::{RecentCheck, RecentRule};

use connlimit::CountData;
use hashlimit::HashTable;
use recent::RecentTable;

/// The host's tables for stateful matches (one `nf_conncount_data` per
/// `connlimit` rule, created on the rule's first packet).
#[derive(Debug, Clone, Default)]
pub struct SharedTables {
    conncount: Vec<CountData>,
    recent: Vec<RecentTable>,
    hashlimit: Vec<HashTable>,
    /// The namespace's nfacct objects (`-m nfacct`).
    pub(crate) nfacct: nfacct::AcctList,
    /// The namespace's ip sets (`-m set`, `SET`).
    pub(crate) ipset: crate::ipset::Ipsets,
}

impl SharedTables {
    /// Creates the namespace's nfacct objects (`nfacct add NAME`, in
    /// order), counters at zero.
    pub(crate) fn nfacct_add(&mut self, name: crate::model::ByteStr) {
        self.nfacct.objects.push(nfacct::NfAcct {
            name,
            pkts: 0,
            bytes: 0,
        });
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn conncount_new_example() {
        use crate::engine::shared::SharedTables;
        let mut t = SharedTables::default();
        assert_eq!(t.conncount_new(), 0);
        assert_eq!(t.conncount_new(), 1);
    }
    #[test]
    fn hashlimit_register_example() {
        use crate::engine::shared::hashlimit::hl_mode;
        use crate::engine::shared::{HashlimitCfg, SharedTables};
        let cfg = HashlimitCfg {
            mode: hl_mode::HASH_SIP,
            avg: 200_000,
            burst: 5,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 10_000,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        };
        let mut t = SharedTables::default();
        assert!(t.hashlimit_register("x", false, &cfg, 250).is_some());
    }
    #[test]
    fn recent_register_example() {
        use crate::engine::shared::SharedTables;
        let mut t = SharedTables::default();
        let a = t.recent_register("ssh", [0xff; 16], 0).unwrap();
        assert_eq!(t.recent_register("ssh", [0; 16], 4), Some(a));
        assert_eq!(t.recent_register("big", [0xff; 16], 65535), Some(a + 1));
        assert_eq!(t.recent_register("ssh", [0; 16], 65536), None);
    }
}
