//! `-m time` (net/netfilter/xt_time.c, extensions/libxt_time.c): time of
//! day, week days, month days and a date range of the packet's arrival.
//!
//! Dates are stored as `struct xt_time_info` does: seconds since the epoch
//! in a `u32` (`--datestop` defaults to `INT_MAX`, which iptables 1.8 then
//! prints as `--datestop 2038-01-19T03:14:07`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive};

/// `XT_TIME_MAX_DAYTIME`: 23:59:59 in seconds.
pub const MAX_DAYTIME: u32 = 24 * 60 * 60 - 1;
/// `XT_TIME_ALL_MONTHDAYS`: bits 1..=31.
pub const ALL_MONTHDAYS: u32 = 0xffff_fffe;
/// `XT_TIME_ALL_WEEKDAYS`: bits 1..=7 (Monday = 1).
pub const ALL_WEEKDAYS: u8 = 0xfe;

pub(crate) const WEEK_DAYS: [&str; 8] = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `-m time`: `struct xt_time_info` with typed fields.
///
/// ```
/// use nfsim::model::matches::time::Time;
/// assert_eq!(Time::default().date_stop, i32::MAX as u32);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    /// `--datestart` (seconds since the epoch, UTC).
    pub date_start: u32,
    /// `--datestop`.
    pub date_stop: u32,
    /// `--timestart` (seconds since midnight).
    pub daytime_start: u32,
    /// `--timestop`.
    pub daytime_stop: u32,
    /// `--monthdays` (bit n = day n; `!` already applied).
    pub monthdays: u32,
    /// `--weekdays` (bit n = weekday n, Monday = 1; `!` already applied).
    pub weekdays: u8,
    /// `--kerneltz` / `--localtz` (`XT_TIME_LOCAL_TZ`).
    pub local_tz: bool,
    /// `--contiguous` (`XT_TIME_CONTIGUOUS`).
    pub contiguous: bool,
}

impl Default for Time {
    fn default() -> Self {
        // libxt_time.c time_init
        Time {
            date_start: 0,
            date_stop: i32::MAX as u32,
            daytime_start: 0,
            daytime_stop: MAX_DAYTIME,
            monthdays: ALL_MONTHDAYS,
            weekdays: ALL_WEEKDAYS,
            local_tz: false,
            contiguous: false,
        }
    }
}

ids! {
    DATE_START, DATE_STOP, TIME_START, TIME_STOP, CONTIGUOUS, MONTHDAYS, WEEKDAYS, LOCAL_TZ, UTC,
    KERNEL_TZ,
}

options! {
    OPTS =
    DATE_START "datestart" arg, DATE_STOP "datestop" arg, TIME_START "timestart" arg,
    TIME_STOP "timestop" arg, CONTIGUOUS "contiguous" flag, WEEKDAYS "weekdays" arg inv,
    MONTHDAYS "monthdays" arg inv, LOCAL_TZ "localtz" flag, UTC "utc" flag,
    KERNEL_TZ "kerneltz" flag,
}

/// C `strtoul(s, &end, base)` with `base` 0 or 10: whitespace, sign (a
/// `-` negates modulo 2^64), saturation on overflow; no digits gives
/// `(0, s)`.
fn c_strtoul(s: &str, base0: bool) -> (u64, &str) {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if base0 {
        match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(h) if h.starts_with(|c: char| c.is_ascii_hexdigit()) => (16, h),
            Some(_) => return (0, &t[1..]),
            None if t.starts_with('0') => (8, t),
            None => (10, t),
        }
    } else {
        (10, t)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return (0, s);
    }
    let v = u64::from_str_radix(&digits[..end], radix).unwrap_or(u64::MAX);
    (if neg { v.wrapping_neg() } else { v }, &digits[end..])
}

/// Days from 1970-01-01 to a proleptic Gregorian date (any month value is
/// normalised as `mktime` does).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `gmtime`: (year, month, day, hour, minute, second).
pub(crate) fn civil_from_secs(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}

/// libxt_time.c `time_parse_date`: `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` in UTC,
/// normalised as `mktime` does (month or day 0 step back).
pub(crate) fn parse_date(s: &str) -> Result<u32, String> {
    let invalid =
        || format!("Invalid date \"{s}\" specified. Should be YYYY[-MM[-DD[Thh[:mm[:ss]]]]]");
    // (separator that may follow, maximum) for month .. second; year first.
    let fields: [(u8, u64); 5] = [(b'-', 12), (b'T', 31), (b':', 23), (b':', 59), (0, 59)];
    let mut vals: [u64; 6] = [0, 1, 1, 0, 0, 0];
    let (year, mut rest) = c_strtoul(s, false);
    let year = year as u32;
    if !(rest.is_empty() || rest.starts_with('-')) || !(1970..=2038).contains(&year) {
        return Err(invalid());
    }
    vals[0] = u64::from(year);
    for (i, (sep, max)) in fields.iter().enumerate() {
        if rest.is_empty() {
            break;
        }
        let (v, r) = c_strtoul(&rest[1..], false);
        let v = u64::from(v as u32);
        let ok_end = r.is_empty() || (*sep != 0 && r.as_bytes()[0] == *sep);
        if !ok_end || v > *max {
            return Err(invalid());
        }
        vals[i + 1] = v;
        rest = r;
    }
    let [y, mo, d, h, mi, se] = vals.map(|v| v as i64);
    // mktime normalises tm_mon = month - 1 (may be -1).
    let m0 = mo - 1;
    let (y, m0) = (y + m0.div_euclid(12), m0.rem_euclid(12));
    let t = (days_from_civil(y, m0 + 1, 1) + d - 1) * 86_400 + h * 3600 + mi * 60 + se;
    if t < 0 {
        return Err("mktime returned an error".into());
    }
    Ok(t as u32)
}

/// libxt_time.c `time_parse_minutes`: `hh:mm[:ss]` to seconds.
pub(crate) fn parse_daytime(s: &str) -> Result<u32, String> {
    let bad = |at: &str| {
        format!("invalid time \"{at}\" specified, should be hh:mm[:ss] format and within the boundaries")
    };
    let (hour, r) = c_strtoul(s, false);
    if !r.starts_with(':') || hour > 23 {
        return Err(bad(s));
    }
    let s2 = &r[1..];
    let (minute, r) = c_strtoul(s2, false);
    if !(r.is_empty() || r.starts_with(':')) || minute > 59 {
        return Err(bad(s2));
    }
    let mut second = 0;
    if !r.is_empty() {
        let s3 = &r[1..];
        let (v, r) = c_strtoul(s3, false);
        if !r.is_empty() || v > 59 {
            return Err(bad(s3));
        }
        second = v;
    }
    Ok((hour * 3600 + minute * 60 + second) as u32)
}

/// libxt_time.c `my_strseg`: comma-separated segments, each truncated to
/// `keep` bytes as the fixed `snprintf` buffer does; iteration stops at an
/// empty remainder.
fn segments(arg: &str, keep: usize) -> impl Iterator<Item = &str> {
    let mut rest = Some(arg);
    core::iter::from_fn(move || {
        let a = rest.filter(|a| !a.is_empty())?;
        let (seg, next) = match a.split_once(',') {
            Some((s, n)) => (s, Some(n)),
            None => (a, None),
        };
        rest = next;
        let mut k = seg.len().min(keep);
        while !seg.is_char_boundary(k) {
            k -= 1;
        }
        Some(&seg[..k])
    })
}

fn parse_monthdays(arg: &str) -> Result<u32, String> {
    let mut ret = 0u32;
    for day in segments(arg, 2) {
        let (i, err) = c_strtoul(day, true);
        let i = i as u32;
        if !err.is_empty() || i > 31 {
            return Err(format!("{day} is not a valid day for --monthdays"));
        }
        ret |= 1 << i;
    }
    Ok(ret)
}

fn parse_weekdays(arg: &str) -> Result<u8, String> {
    let mut ret = 0u32;
    for day in segments(arg, 3) {
        let (i, err) = c_strtoul(day, true);
        if err.is_empty() {
            let i = i as u32;
            if i == 0 {
                return Err("No, the week does NOT begin with Sunday.".into());
            }
            // `1 << i` in C on x86: the shift count is taken modulo 32.
            ret |= 1u32.wrapping_shl(i);
            continue;
        }
        let mut valid = false;
        for (n, name) in WEEK_DAYS.iter().enumerate().skip(1) {
            // strncmp(day, name, 2)
            let a = day
                .as_bytes()
                .iter()
                .copied()
                .chain(core::iter::repeat(0))
                .take(2);
            if a.eq(name.bytes().take(2)) {
                ret |= 1 << n;
                valid = true;
            }
        }
        if !valid {
            return Err(format!("{day} is not a valid day specifier"));
        }
    }
    // weekdays_match is a u8.
    Ok(ret as u8)
}

fn write_date(f: &mut dyn fmt::Write, date: u32, opt: &str) -> fmt::Result {
    if date == 0 {
        return Ok(());
    }
    let (y, mo, d, h, mi, s) = civil_from_secs(i64::from(date));
    write!(f, " --{opt} {y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

impl Extension for Time {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        match args.id {
            DATE_START => self.date_start = parse_date(args.required("time", name)?)?,
            DATE_STOP => self.date_stop = parse_date(args.required("time", name)?)?,
            TIME_START => self.daytime_start = parse_daytime(args.required("time", name)?)?,
            TIME_STOP => self.daytime_stop = parse_daytime(args.required("time", name)?)?,
            CONTIGUOUS => self.contiguous = true,
            LOCAL_TZ | KERNEL_TZ => self.local_tz = true,
            UTC => {}
            MONTHDAYS => {
                self.monthdays = parse_monthdays(args.required("time", name)?)?;
                if args.invert {
                    self.monthdays ^= ALL_MONTHDAYS;
                }
            }
            WEEKDAYS => {
                self.weekdays = parse_weekdays(args.required("time", name)?)?;
                if args.invert {
                    self.weekdays ^= ALL_WEEKDAYS;
                }
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        exclusive("time", seen, (LOCAL_TZ, "localtz"), (UTC, "utc"))?;
        exclusive("time", seen, (UTC, "utc"), (KERNEL_TZ, "kerneltz"))?;
        if seen & (1 << CONTIGUOUS) != 0 && self.daytime_start < self.daytime_stop {
            return Err(
                "time: --contiguous only makes sense when stoptime is smaller than starttime"
                    .into(),
            );
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_time.c time_mt_check
        if self.daytime_start > MAX_DAYTIME || self.daytime_stop > MAX_DAYTIME {
            return Err(
                "xt_time: invalid argument - start or stop time greater than 23:59:59".into(),
            );
        }
        if self.contiguous && self.daytime_start < self.daytime_stop {
            return Err("xt_time: --contiguous needs stop time before start time".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_time.c time_save
        if self.daytime_start != 0 || self.daytime_stop != MAX_DAYTIME {
            for (opt, t) in [
                ("timestart", self.daytime_start),
                ("timestop", self.daytime_stop),
            ] {
                write!(
                    f,
                    " --{opt} {:02}:{:02}:{:02}",
                    t / 3600,
                    t / 60 % 60,
                    t % 60
                )?;
            }
        }
        if self.monthdays != ALL_MONTHDAYS {
            f.write_str(" --monthdays ")?;
            let mut first = true;
            for i in 1..=31 {
                if self.monthdays & (1 << i) != 0 {
                    if !first {
                        f.write_str(",")?;
                    }
                    first = false;
                    write!(f, "{i}")?;
                }
            }
        }
        if self.weekdays != ALL_WEEKDAYS {
            f.write_str(" --weekdays ")?;
            let mut first = true;
            for (i, name) in WEEK_DAYS.iter().enumerate().skip(1) {
                if self.weekdays & (1 << i) != 0 {
                    if !first {
                        f.write_str(",")?;
                    }
                    first = false;
                    f.write_str(name)?;
                }
            }
        }
        write_date(f, self.date_start, "datestart")?;
        write_date(f, self.date_stop, "datestop")?;
        if self.local_tz {
            f.write_str(" --kerneltz")?;
        }
        if self.contiguous {
            f.write_str(" --contiguous")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_date_example() {
        use crate::model::matches::time::parse_date;
        assert_eq!(parse_date("1970-01-01T02:00:00"), Ok(7200));
        assert_eq!(parse_date("2001-02-03T04:05:06"), Ok(981173106));
        assert!(parse_date("1969").is_err());
    }
}
