//! `-j RATEEST` (extensions/libxt_RATEEST.c; kernel
//! net/netfilter/xt_RATEEST.c `xt_rateest_tg_checkentry`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, put_string, Constraint};

const UNITS_PER_SEC: u64 = 1_000_000;

/// `-j RATEEST` (`struct xt_rateest_target_info`).
///
/// ```
/// use nfsim::model::targets::rateest::Rateest;
/// let r = Rateest::with("RE1", -2, 1);
/// assert_eq!(r.interval_us(), 250_000);
/// ```
#[derive(Debug, Clone, Eq)]
pub struct Rateest {
    /// Estimator name (at most 15 bytes).
    pub name: crate::model::ByteStr,
    /// Interval exponent: `(1s << (interval + 2)) / 4`, -2..=3.
    pub interval: i8,
    /// EWMA log.
    pub ewma_log: u8,
    /// Interval as given (µs), kept only until the final check.
    #[doc(hidden)]
    pub(crate) given: (u32, u32),
}

impl PartialEq for Rateest {
    /// Compares what the kernel stores (the given times are parse state).
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name && self.interval == o.interval && self.ewma_log == o.ewma_log
    }
}

impl Rateest {
    /// An estimator from its kernel parameters.
    ///
    /// ```
    /// use nfsim::model::targets::rateest::Rateest;
    /// let r = Rateest::with("wan", 0, 2);
    /// assert_eq!(r.interval_us(), 1_000_000); // interval 0: one second
    /// ```
    pub fn with(name: &str, interval: i8, ewma_log: u8) -> Self {
        Rateest {
            name: crate::model::ByteStr::from(name),
            interval,
            ewma_log,
            given: (0, 0),
        }
    }
    /// The interval in microseconds.
    ///
    /// ```
    /// use nfsim::model::targets::rateest::Rateest;
    /// assert_eq!(Rateest::with("x", -2, 1).interval_us(), 250_000); // -2: 250 ms
    /// ```
    pub fn interval_us(&self) -> u32 {
        let shift = (i32::from(self.interval) + 2).clamp(0, 31) as u32;
        ((UNITS_PER_SEC << shift) / 4) as u32
    }
}

/// `strtod` prefix (decimal forms only): the value and the rest.
fn strtod_prefix(s: &str) -> Option<(f64, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    s[start..i].parse::<f64>().ok().map(|v| (v, &s[i..]))
}

/// `RATEEST_get_time`: a number with an optional `s`/`ms`/`us` unit, in µs.
fn get_time(s: &str) -> Option<u32> {
    let (mut t, rest) = strtod_prefix(s)?;
    if !rest.is_empty() {
        let r = rest.to_ascii_lowercase();
        t *= match r.as_str() {
            "s" | "sec" | "secs" => 1e6,
            "ms" | "msec" | "msecs" => 1e3,
            "us" | "usec" | "usecs" => 1.0,
            _ => return None,
        };
    }
    // C's double to unsigned int conversion (saturating here; C leaves
    // out-of-range values undefined).
    Some(t as u32)
}

/// `RATEEST_print_time` with `%.1f` rounding done exactly (ties to even).
pub(crate) fn write_time(f: &mut dyn fmt::Write, t: u64) -> fmt::Result {
    let tenths = |unit: u64| {
        let n = t * 10;
        let (q, r) = (n / unit, n % unit);
        if 2 * r > unit || (2 * r == unit && q % 2 == 1) {
            q + 1
        } else {
            q
        }
    };
    if t >= UNITS_PER_SEC {
        let q = tenths(UNITS_PER_SEC);
        write!(f, " {}.{}s", q / 10, q % 10)
    } else if t >= UNITS_PER_SEC / 1000 {
        let q = tenths(UNITS_PER_SEC / 1000);
        write!(f, " {}.{}ms", q / 10, q % 10)
    } else {
        write!(f, " {t}us")
    }
}

ids!(NAME, INTERVAL, EWMALOG);

options! {
    OPTS =
    NAME "rateest-name" arg, INTERVAL "rateest-interval" arg, EWMALOG "rateest-ewmalog" arg,
}

const CONSTRAINTS: [Constraint; 3] = [
    (NAME, "rateest-name", 0, 0, true),
    (INTERVAL, "rateest-interval", 0, 0, true),
    (EWMALOG, "rateest-ewmalog", 0, 0, true),
];

impl Default for Rateest {
    fn default() -> Self {
        Rateest {
            name: crate::model::ByteStr::new(),
            interval: 0,
            ewma_log: 0,
            given: (0, 0),
        }
    }
}

impl Extension for Rateest {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("RATEEST", name)?;
        match args.id {
            NAME => self.name = put_string(args.required_bytes("RATEEST", name)?, 0, 0, 16)?,
            INTERVAL => {
                self.given.0 =
                    get_time(s).ok_or_else(|| format!("RATEEST: bad interval value \"{s}\""))?
            }
            EWMALOG => {
                self.given.1 =
                    get_time(s).ok_or_else(|| format!("RATEEST: bad ewmalog value \"{s}\""))?
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // RATEEST_final_check, then the XTOPT_MAND checks.
        let (iv, ewma) = (u64::from(self.given.0), f64::from(self.given.1));
        let mut i = 0i32;
        while i <= 5 {
            if iv <= (1u64 << i) * (UNITS_PER_SEC / 4) {
                break;
            }
            i += 1;
        }
        if i > 5 {
            return Err("RATEEST: interval value is too large".into());
        }
        self.interval = (i - 2) as i8;
        let mut e = 1u32;
        while e < 32 {
            let w = 1.0 - 1.0 / f64::from(1u32 << e);
            if iv as f64 / (-w.ln()) > ewma {
                break;
            }
            e += 1;
        }
        e -= 1;
        if e == 0 || e >= 31 {
            return Err("RATEEST: ewmalog value is out of range".into());
        }
        self.ewma_log = e as u8;
        fcheck("RATEEST", seen, &CONSTRAINTS)
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_rateest_tg_checkentry (via gen_new_estimator's limits).
        if !(-2..=3).contains(&self.interval) || self.ewma_log >= 32 {
            return Err("x_tables: RATEEST: invalid estimator parameters".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        let iv = u64::from(self.interval_us());
        let ewma = u64::from((iv as u32).wrapping_mul(1u32 << (self.ewma_log % 32)));
        f.write_str(" --rateest-name ")?;
        f.write_bytes(&self.name);
        f.write_str(" --rateest-interval")?;
        write_time(f, iv)?;
        f.write_str(" --rateest-ewmalog")?;
        write_time(f, ewma)
    }
}
