//! Time as plain integers. Nothing in nfsim reads a clock: every entry point
//! takes the current [`Instant`] as an argument, which is what makes a replay
//! deterministic.

use core::ops::{Add, Sub};

/// A point in simulated time, in nanoseconds since an arbitrary epoch.
///
/// ```
/// use nfsim::time::{Instant, Duration};
/// let t = Instant::from_millis(1500);
/// assert_eq!(t + Duration::from_secs(1), Instant::from_millis(2500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

/// A span of simulated time, in nanoseconds.
///
/// ```
/// use nfsim::time::Duration;
/// assert_eq!(Duration::from_millis(2).as_nanos(), 2_000_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant(0);
    /// The latest instant nfsim supports: 2^63 ns, about 292 years after
    /// the epoch. Arithmetic on instants saturates at `u64::MAX` instead of
    /// wrapping; below this bound no deadline nfsim computes (the longest
    /// is `recent --seconds` at 2^32 − 1 s, 136 years) can saturate, so
    /// every timer keeps its meaning. Trace files refuse later times.
    pub const MAX_SUPPORTED: Instant = Instant(1 << 63);
    /// From nanoseconds since the epoch.
    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }
    /// From microseconds since the epoch.
    pub const fn from_micros(us: u64) -> Self {
        Instant(us * 1_000)
    }
    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms * 1_000_000)
    }
    /// From fractional milliseconds (as trace files give `at_ms`), rounded to the nanosecond.
    pub fn from_millis_f64(ms: f64) -> Self {
        Instant((ms * 1_000_000.0).round().max(0.0) as u64)
    }
    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// Zero length.
    pub const ZERO: Duration = Duration(0);
    /// From nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    /// From milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000_000)
    }
    /// From seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000_000)
    }
    /// Length in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Length in whole seconds, rounded down.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1_000_000_000
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}
