//! Per-rule mutable state of stateful matches (the kernel keeps it in the
//! match's private data: `limit`'s credit, `statistic`'s nth counter, ...).
//! Allocated once when a program's state is created.

use crate::model::Match;

/// The state one match instance keeps between packets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MatchState {
    /// Stateless match.
    #[default]
    None,
    /// A token bucket in jiffies (`xt_limit`): last refill time and credit.
    Limit {
        /// `prev` in nanoseconds of simulated time.
        prev_ns: u64,
        /// Current credit.
        credit: u32,
        /// Whether initialised.
        init: bool,
    },
    /// A packet counter (`statistic --mode nth`, `quota`).
    Counter(u64),
}

impl MatchState {
    /// The initial state for a match.
    pub fn for_match(m: &Match) -> MatchState {
        let _ = m;
        MatchState::None
    }
}
