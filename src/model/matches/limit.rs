//! `-m limit` (net/netfilter/xt_limit.c, extensions/libxt_limit.c).
//!
//! iptables converts the rate to the kernel's `avg` (the interval between
//! packets in 1/10000 s) and prints it back from `avg`, so the printed rate
//! can differ from the one given (`print_rate`).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{atoll, bad_id, is_prefix_nocase, uint};

/// `XT_LIMIT_SCALE`: `avg` is in 1/10000 s.
pub const LIMIT_SCALE: u32 = 10000;
/// The kernel's `HZ` this model assumes (`CONFIG_HZ=250` on the reference
/// machine); it only affects which rate/burst pairs the kernel rejects as
/// overflowing.
pub const HZ: u64 = 250;

/// `-m limit`: token bucket with `avg` and `burst`.
///
/// ```
/// use nfsim::model::{Family, Match, TableKind};
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// let rs = parse_restore("*filter\n-A INPUT -m limit --limit 3/hour -j ACCEPT\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// let rule = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// // 3/hour: one packet per 1200 s, in 1/10000 s; the default burst is 5.
/// assert!(matches!(&rule.matches[0], Match::Limit(l) if l.avg == 12_000_000 && l.burst == 5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Average interval between packets, in 1/[`LIMIT_SCALE`] s.
    pub avg: u32,
    /// Bucket size in packets.
    pub burst: u32,
}

options!(OPTS = 0 "limit" arg, 1 "limit-burst" arg);

/// The unit part of `parse_rate` (libxt_limit.c, libxt_hashlimit.c): the
/// seconds per unit of `N[/second|minute|hour|day]` (a unit may be cut to
/// any prefix, case-insensitive; no unit is seconds), `None` for a bad unit.
pub(crate) fn rate_unit_secs(rate: &str) -> Option<u64> {
    let Some((_, unit)) = rate.split_once('/') else {
        return Some(1);
    };
    if unit.is_empty() {
        return None;
    }
    [
        ("second", 1),
        ("minute", 60),
        ("hour", 3600),
        ("day", 86400),
    ]
    .into_iter()
    .find(|(n, _)| is_prefix_nocase(unit, n))
    .map(|(_, m)| m)
}

impl Limit {
    /// libxt_limit.c `parse_rate` (`atoi` of the number, so `1x/sec` is 1/sec).
    pub(crate) fn parse_rate(rate: &str) -> Result<u32, String> {
        let bad = || format!("bad rate \"{rate}\"'");
        let mult = rate_unit_secs(rate).ok_or_else(bad)?;
        let r = atoll(rate) as i32 as u32; // atoi, then stored in a uint32_t
        if r == 0 {
            return Err(bad());
        }
        let v = ((LIMIT_SCALE as u64 * mult) as u32) / r;
        if v == 0 {
            return Err(format!("Rate too fast \"{rate}\""));
        }
        Ok(v)
    }

    /// The rate as iptables prints it (`print_rate`): the largest unit for
    /// which the conversion is exact enough.
    pub(crate) fn write_rate(f: &mut dyn fmt::Write, period: u32) -> fmt::Result {
        const RATES: [(&str, u32); 4] = [
            ("day", LIMIT_SCALE * 24 * 60 * 60),
            ("hour", LIMIT_SCALE * 60 * 60),
            ("min", LIMIT_SCALE * 60),
            ("sec", LIMIT_SCALE),
        ];
        if period == 0 {
            return f.write_str(" inf");
        }
        let mut i = 1;
        while i < RATES.len() {
            let m = RATES[i].1;
            if period > m || m / period < m % period {
                break;
            }
            i += 1;
        }
        write!(f, " {}/{}", RATES[i - 1].1 / period, RATES[i - 1].0)
    }
}

/// xt_limit.c `user2credits` with `CREDITS_PER_JIFFY` for [`HZ`].
fn user2credits(user: u32) -> u32 {
    let max_cpj = 0xFFFF_FFFFu64 / (HZ * 60 * 60 * 24);
    let cpj = if max_cpj == 0 {
        0
    } else {
        1u64 << (63 - max_cpj.leading_zeros())
    };
    let user = user as u64;
    if user > 0xFFFF_FFFF / (HZ * cpj) {
        ((user / LIMIT_SCALE as u64) * HZ * cpj) as u32
    } else {
        ((user * HZ * cpj) / LIMIT_SCALE as u64) as u32
    }
}

impl Default for Limit {
    fn default() -> Self {
        // limit_init: 3/hour, burst 5.
        Limit {
            avg: LIMIT_SCALE * 3600 / 3,
            burst: 5,
        }
    }
}

impl Extension for Limit {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        match args.id {
            0 => self.avg = Limit::parse_rate(arg)?,
            1 => self.burst = uint("limit", "limit-burst", arg, 0, 10000)? as u32,
            _ => bad_id()?,
        }
        if args.invert {
            return Err("limit does not support args.invert".into());
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_limit.c limit_mt_check (the product wraps as the u32 it is).
        if self.burst == 0
            || user2credits(self.avg.wrapping_mul(self.burst)) < user2credits(self.avg)
        {
            return Err(format!(
                "xt_limit: Overflow, try lower: {}/{}",
                self.avg, self.burst
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(" --limit")?;
        Limit::write_rate(f, self.avg)?;
        if self.burst != 5 {
            write!(f, " --limit-burst {}", self.burst)?;
        }
        Ok(())
    }
}
