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
mod recent;

pub use connlimit::{skb_tuple, ConnLookup, SkbConn};
pub use hashlimit::{hl_mode, HashlimitCfg, HASHLIMIT_MAX_SIZE};
pub use recent::{
    RecentCheck, RecentRule, RECENT_LIST_TOT, RECENT_MAX_NSTAMPS, RECENT_PKT_LIST_TOT,
};

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
}
