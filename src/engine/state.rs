//! Per-rule mutable state of stateful matches (the kernel keeps it in the
//! match's private data: `limit`'s credit, `statistic`'s nth counter,
//! `quota`'s bytes left, ...). Allocated once when a program's state is
//! created; a match uses the fields as its comment documents.

use crate::model::Match;

/// The state one match instance keeps between packets: a few integers whose
/// meaning belongs to the match (see the match's evaluation function).
///
/// ```
/// use nfsim::engine::state::MatchState;
/// let s = MatchState::default();
/// assert!(!s.init && s.a == 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchState {
    /// Whether the match initialised its state (`checkentry` time values).
    pub init: bool,
    /// First integer (e.g. `limit`: time of the last refill in ns).
    pub a: u64,
    /// Second integer (e.g. `limit`: credit).
    pub b: u64,
    /// Third integer.
    pub c: u64,
}

impl MatchState {
    /// The initial state for a match.
    ///
    /// ```
    /// use nfsim::engine::state::MatchState;
    /// use nfsim::model::{Match, matches::comment::Comment};
    /// assert_eq!(MatchState::for_match(&Match::Comment(Comment::default())), MatchState::default());
    /// ```
    pub fn for_match(m: &Match) -> MatchState {
        let _ = m;
        MatchState::default()
    }
}
