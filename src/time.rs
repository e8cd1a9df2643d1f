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
    ///
    /// ```
    /// use nfsim::time::Instant;
    /// assert_eq!(Instant::from_nanos(1_500_000), Instant::from_micros(1_500));
    /// ```
    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }
    /// From microseconds since the epoch.
    ///
    /// ```
    /// use nfsim::time::Instant;
    /// assert_eq!(Instant::from_micros(2).as_nanos(), 2_000);
    /// ```
    pub const fn from_micros(us: u64) -> Self {
        Instant(us * 1_000)
    }
    /// From milliseconds since the epoch.
    ///
    /// ```
    /// use nfsim::time::Instant;
    /// assert_eq!(Instant::from_millis(3).as_nanos(), 3_000_000);
    /// ```
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms * 1_000_000)
    }
    /// From fractional milliseconds (as trace files give `at_ms`), rounded to the nanosecond.
    ///
    /// ```
    /// use nfsim::time::Instant;
    /// assert_eq!(Instant::from_millis_f64(1.5), Instant::from_micros(1_500));
    /// assert_eq!(Instant::from_millis_f64(-1.0), Instant::ZERO);
    /// ```
    pub fn from_millis_f64(ms: f64) -> Self {
        Instant((ms * 1_000_000.0).round().max(0.0) as u64)
    }
    /// Nanoseconds since the epoch.
    ///
    /// ```
    /// use nfsim::time::Instant;
    /// assert_eq!(Instant::ZERO.as_nanos(), 0);
    /// ```
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    ///
    /// ```
    /// use nfsim::time::{Duration, Instant};
    /// let (a, b) = (Instant::from_millis(5), Instant::from_millis(8));
    /// assert_eq!(b.saturating_since(a), Duration::from_millis(3));
    /// assert_eq!(a.saturating_since(b), Duration::ZERO);
    /// ```
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// Zero length.
    pub const ZERO: Duration = Duration(0);
    /// From nanoseconds.
    ///
    /// ```
    /// use nfsim::time::Duration;
    /// assert_eq!(Duration::from_nanos(2_000_000_000), Duration::from_secs(2));
    /// ```
    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }
    /// From milliseconds.
    ///
    /// ```
    /// use nfsim::time::Duration;
    /// assert_eq!(Duration::from_millis(1_500).as_secs(), 1);
    /// ```
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms * 1_000_000)
    }
    /// From seconds.
    ///
    /// ```
    /// use nfsim::time::{Duration, Instant};
    /// assert_eq!(Instant::ZERO + Duration::from_secs(1), Instant::from_millis(1_000));
    /// ```
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1_000_000_000)
    }
    /// Length in nanoseconds.
    ///
    /// ```
    /// use nfsim::time::Duration;
    /// assert_eq!(Duration::from_millis(1).as_nanos(), 1_000_000);
    /// ```
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Length in whole seconds, rounded down.
    ///
    /// ```
    /// use nfsim::time::Duration;
    /// assert_eq!(Duration::from_millis(2_999).as_secs(), 2);
    /// ```
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
