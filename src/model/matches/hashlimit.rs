//! `-m hashlimit` (net/netfilter/xt_hashlimit.c, extensions/libxt_hashlimit.c),
//! revision 3 (`xt_hashlimit_mtinfo3`), the one iptables uses with this
//! kernel.
//!
//! As for `-m limit`, iptables stores converted values (`avg` in
//! 1/1000000 s per packet, or a byte cost) and prints them back from what is
//! stored, so `1/min` with `--hashlimit-rate-match` prints as `1/sec`, and
//! byte rates print in the largest exact unit.

use core::fmt;

use super::limit::{rate_unit_secs, HZ};
use crate::model::ext::options;
use crate::model::ext::{Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{
    atoll, bad_id, exclusive, mandatory, parse_plen, strtoumax, truncate_c, uint,
};
use crate::model::Family;

/// `XT_HASHLIMIT_SCALE_v2`: `avg` is in 1/1000000 s (revisions 2 and 3).
pub const SCALE: u64 = 1_000_000;
/// `XT_HASHLIMIT_BYTE_SHIFT`.
pub const BYTE_SHIFT: u32 = 4;
/// `XT_HASHLIMIT_BURST_MAX`.
pub const BURST_MAX: u64 = 1_000_000;
/// Default `--hashlimit-htable-gcinterval` (ms).
pub const GCINTERVAL: u32 = 1000;
/// `NAME_MAX`: size of the name field in revision 3.
pub const NAME_SIZE: usize = 255;

/// Mode bits (`XT_HASHLIMIT_*`).
pub mod mode {
    /// `dstip`
    pub const HASH_DIP: u32 = 1 << 0;
    /// `dstport`
    pub const HASH_DPT: u32 = 1 << 1;
    /// `srcip`
    pub const HASH_SIP: u32 = 1 << 2;
    /// `srcport`
    pub const HASH_SPT: u32 = 1 << 3;
    /// above (match when over the rate)
    pub const INVERT: u32 = 1 << 4;
    /// byte-based rate
    pub const BYTES: u32 = 1 << 5;
    /// `--hashlimit-rate-match`
    pub const RATE_MATCH: u32 = 1 << 6;
}

/// The mode bits that choose what is hashed (`XT_HASHLIMIT_HASH_*`).
pub(crate) const HASH_MODES: u32 =
    mode::HASH_SIP | mode::HASH_SPT | mode::HASH_DIP | mode::HASH_DPT;

/// `-m hashlimit` with the kernel's `hashlimit_cfg3` values.
///
/// ```
/// use nfsim::model::matches::hashlimit::{Hashlimit, mode};
/// let h = Hashlimit::default_for(nfsim::model::Family::Ipv4);
/// assert_eq!(h.burst, 5);
/// assert_eq!(h.mode & mode::INVERT, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashlimit {
    /// The table name (1 to 254 bytes).
    pub name: crate::model::ByteStr,
    /// Mode bits ([`mode`]).
    pub mode: u32,
    /// Average interval per packet in 1/[`SCALE`] s, or byte cost in byte mode.
    pub avg: u64,
    /// Bucket size (packets; in byte mode, multiples of the cost unit).
    pub burst: u64,
    /// `--hashlimit-htable-size` (0 = kernel default).
    pub size: u32,
    /// `--hashlimit-htable-max` (0 = kernel default).
    pub max: u32,
    /// `--hashlimit-htable-gcinterval` (ms).
    pub gc_interval: u32,
    /// `--hashlimit-htable-expire` (ms).
    pub expire: u32,
    /// `--hashlimit-srcmask` prefix length.
    pub srcmask: u8,
    /// `--hashlimit-dstmask` prefix length.
    pub dstmask: u8,
    /// `--hashlimit-rate-interval` (s).
    pub interval: u32,
    /// The family's full prefix (32 or 128), the masks' default.
    pub family: Family,
    /// The rate unit in seconds of the last rate given (15 in byte mode:
    /// `XT_HASHLIMIT_BYTE_EXPIRE`), used by the final check, then cleared.
    mult: u32,
}

impl Hashlimit {
    /// `hashlimit_mt4_init` / `hashlimit_mt6_init`.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::model::matches::hashlimit::Hashlimit;
    /// let h = Hashlimit::default_for(Family::Ipv4);
    /// assert_eq!(h.burst, 5);
    /// ```
    pub fn default_for(family: Family) -> Self {
        Hashlimit {
            name: crate::model::ByteStr::new(),
            mode: 0,
            avg: 0,
            burst: 5,
            size: 0,
            max: 0,
            gc_interval: GCINTERVAL,
            expire: 0,
            srcmask: family.max_prefix(),
            dstmask: family.max_prefix(),
            interval: 0,
            family,
            mult: 1,
        }
    }
}

const UPTO: u8 = 0;
const ABOVE: u8 = 1;
const MODE: u8 = 3;
const SRCMASK: u8 = 4;
const DSTMASK: u8 = 5;
const NAME: u8 = 6;
const BURST: u8 = 7;
const HSIZE: u8 = 8;
const HMAX: u8 = 9;
const GCINT: u8 = 10;
const EXPIRE: u8 = 11;
const RATEMATCH: u8 = 12;
const INTERVAL: u8 = 13;

// (O_LIMIT, id 2, has no option in revision 3.)
options! {
    OPTS =
    UPTO "hashlimit-upto" arg inv, ABOVE "hashlimit-above" arg inv, UPTO "hashlimit" arg inv,
    SRCMASK "hashlimit-srcmask" arg, DSTMASK "hashlimit-dstmask" arg, BURST "hashlimit-burst" arg,
    HSIZE "hashlimit-htable-size" arg, HMAX "hashlimit-htable-max" arg,
    GCINT "hashlimit-htable-gcinterval" arg, EXPIRE "hashlimit-htable-expire" arg,
    MODE "hashlimit-mode" arg, NAME "hashlimit-name" arg, RATEMATCH "hashlimit-rate-match" flag,
    INTERVAL "hashlimit-rate-interval" arg,
}

/// `cost_to_bytes`.
pub(crate) fn cost_to_bytes(cost: u64) -> u64 {
    let r = (u32::MAX as u64)
        .checked_div(cost)
        .unwrap_or(u32::MAX as u64);
    r.wrapping_sub(1) << BYTE_SHIFT
}

/// `bytes_to_cost` (the shifted value is cut to 32 bits, as in C).
pub(crate) fn bytes_to_cost(bytes: u64) -> u64 {
    let r = (bytes >> BYTE_SHIFT) as u32 as u64;
    u32::MAX as u64 / (r + 1)
}

fn factor(c: Option<u8>) -> u64 {
    match c {
        Some(b'm') => 1024 * 1024,
        Some(b'k') => 1024,
        _ => 1,
    }
}

fn bad(opt: &str, arg: &str) -> String {
    format!("hashlimit: Bad value for \"{opt}\" option: \"{arg}\"")
}

impl Hashlimit {
    /// `parse_bytes` then `parse_rate` (revision 3) for `--hashlimit-upto/above`.
    fn parse_rate(&mut self, rate: &str, opt: &str) -> Result<(), String> {
        // parse_bytes: "Nb/s", "Nkb/s", "Nmb/s".
        if let Some(pos) = rate.find("b/s").filter(|p| *p > 0) {
            let r = atoll(rate) as u64;
            if r != 0 {
                let tmp = r.wrapping_mul(factor(rate.as_bytes().get(pos - 1).copied()));
                let cost = bytes_to_cost(tmp);
                if cost == 0 {
                    return Err(format!("Rate too high \"{rate}\""));
                }
                self.mult = 15;
                self.avg = cost;
                self.mode |= mode::BYTES;
                return Ok(());
            }
        }
        let mult = rate_unit_secs(rate).ok_or_else(|| bad(opt, rate))?;
        self.mult = mult as u32;
        let r = atoll(rate) as u64;
        if r == 0 {
            return Err(bad(opt, rate));
        }
        let v = SCALE * mult / r;
        if v == 0 {
            return Err(format!("Rate too fast \"{rate}\""));
        }
        self.avg = v;
        Ok(())
    }

    /// The hash mode names, joined by `sep` (libxt_hashlimit.c
    /// `print_mode`: `,` when saved, `-` in `iptables -L`).
    pub(crate) fn write_mode(f: &mut dyn fmt::Write, m: u32, sep: &str) -> fmt::Result {
        let mut s = "";
        for (bit, name) in [
            (mode::HASH_SIP, "srcip"),
            (mode::HASH_SPT, "srcport"),
            (mode::HASH_DIP, "dstip"),
            (mode::HASH_DPT, "dstport"),
        ] {
            if m & bit != 0 {
                write!(f, "{s}{name}")?;
                s = sep;
            }
        }
        Ok(())
    }

    /// `print_rate` (revision 3); returns the quantum in ms.
    pub(crate) fn write_rate(f: &mut dyn fmt::Write, period: u64) -> Result<u32, fmt::Error> {
        const RATES: [(&str, u64); 4] = [
            ("day", SCALE * 86400),
            ("hour", SCALE * 3600),
            ("min", SCALE * 60),
            ("sec", SCALE),
        ];
        if period == 0 {
            f.write_str(" inf")?;
            return Ok(0);
        }
        let mut i = 1;
        while i < RATES.len() {
            let m = RATES[i].1;
            if period > m || m / period < m % period {
                break;
            }
            i += 1;
        }
        write!(f, " {}/{}", RATES[i - 1].1 / period, RATES[i - 1].0)?;
        Ok((RATES[i - 1].1 / SCALE * 1000) as u32)
    }

    /// `print_bytes` (the burst after ` PREFIX`); returns the quantum in ms.
    pub(crate) fn write_bytes(
        f: &mut dyn fmt::Write,
        avg: u64,
        burst: u64,
        prefix: &str,
    ) -> Result<u32, fmt::Error> {
        const UNITS: [(&str, u64); 3] = [("m", 1024 * 1024), ("k", 1024), ("", 1)];
        let mut r = cost_to_bytes(avg);
        let mut i = 0;
        while i < UNITS.len() - 1 {
            let t = UNITS[i].1;
            // `~(thresh - 1)` is a 32-bit value in C: it also clears bits 32..63.
            let mask = !((t - 1) as u32) as u64;
            if r >= t && bytes_to_cost(r & mask) == avg {
                break;
            }
            i += 1;
        }
        write!(f, " {}{}b/s", r / UNITS[i].1, UNITS[i].0)?;
        if burst == 0 {
            return Ok(15 * 1000);
        }
        r = r.wrapping_mul(burst);
        write!(f, " {prefix}")?;
        let mut i = 0;
        while i < UNITS.len() - 1 {
            if r >= UNITS[i].1 {
                break;
            }
            i += 1;
        }
        write!(f, "burst {}{}b", r / UNITS[i].1, UNITS[i].0)?;
        Ok(60 * 1000)
    }
}

/// `parse_mode`: `srcip`, `srcport`, `dstip`, `dstport` separated by `,` or `|`.
fn parse_mode(arg: &str) -> Result<u32, String> {
    let mut m = 0;
    for tok in arg.split([',', '|']).filter(|t| !t.is_empty()) {
        m |= match tok {
            "dstip" => mode::HASH_DIP,
            "srcip" => mode::HASH_SIP,
            "srcport" => mode::HASH_SPT,
            "dstport" => mode::HASH_DPT,
            _ => return Err(bad("--hashlimit-mode", arg)),
        };
    }
    Ok(m)
}

/// `parse_burst` (revision 3): a number `1..`, `N` up to 1000000, or with a
/// `k`/`m` suffix (bytes).
fn parse_burst(s: &str) -> Result<u64, String> {
    let err =
        || format!("bad value for option \"--hashlimit-burst\", or out of range (1-{BURST_MAX}).");
    let (v, rest) = strtoumax(s)
        .filter(|(v, r)| r.len() != s.len() && *v >= 1)
        .ok_or_else(err)?;
    if rest.is_empty() && v > BURST_MAX {
        return Err(err());
    }
    v.checked_mul(factor(rest.as_bytes().first().copied()))
        .ok_or_else(|| {
            format!(
                "bad value for option \"--hashlimit-burst\", value \"{s}\" too large (max {}mb).",
                u64::MAX / 1024 / 1024
            )
        })
}

/// `user2credits` (revision 3) with `CREDITS_PER_JIFFY` for [`HZ`]; the
/// multiplication wraps as the kernel's u64 does.
fn user2credits(user: u64) -> u64 {
    let max_cpj = u64::MAX / (HZ * 60 * 60 * 24);
    let cpj = 1u64 << (63 - max_cpj.leading_zeros());
    if SCALE >= HZ * cpj {
        user / (SCALE / (HZ * cpj))
    } else {
        user.wrapping_mul((HZ * cpj) / SCALE)
    }
}

/// `user2credits_byte` (its argument is a `u32`: the u64 `avg` is cut).
fn user2credits_byte(user: u64) -> u32 {
    let max_cpj = 0xFFFF_FFFFu64 / HZ;
    let cpj = 1u64 << (63 - max_cpj.leading_zeros());
    ((user as u32 as u64).wrapping_mul(HZ * cpj) >> 32) as u32
}

/// `HASHLIMIT_MAX_SIZE`: the kernel caps `size` and `max` to this.
pub const MAX_SIZE: u32 = 1_048_576;

impl Blank for Hashlimit {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Hashlimit::default_for(ctx.family)
    }
}

impl Extension for Hashlimit {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // libxt_hashlimit.c hashlimit_mt_parse.
        let arg = args.optarg.unwrap_or("");
        match args.id {
            BURST => self.burst = parse_burst(arg)?,
            UPTO => {
                if args.invert {
                    self.mode |= mode::INVERT;
                }
                self.parse_rate(arg, "--hashlimit-upto")?;
            }
            ABOVE => {
                if !args.invert {
                    self.mode |= mode::INVERT;
                }
                self.parse_rate(arg, "--hashlimit-above")?;
            }
            MODE => self.mode |= parse_mode(arg)?,
            SRCMASK => {
                self.srcmask = parse_plen(arg, args.ctx.family, "hashlimit", "hashlimit-srcmask")?
                    .unwrap_or(255)
            }
            DSTMASK => {
                self.dstmask = parse_plen(arg, args.ctx.family, "hashlimit", "hashlimit-dstmask")?
                    .unwrap_or(255)
            }
            NAME => {
                if arg.is_empty() {
                    return Err("Argument must have a minimum length of 1 characters".into());
                }
                self.name = truncate_c(args.raw.unwrap_or(b""), NAME_SIZE);
            }
            HSIZE => {
                self.size = uint(
                    "hashlimit",
                    "hashlimit-htable-size",
                    arg,
                    0,
                    u32::MAX.into(),
                )? as u32
            }
            HMAX => {
                self.max =
                    uint("hashlimit", "hashlimit-htable-max", arg, 0, u32::MAX.into())? as u32
            }
            GCINT => {
                self.gc_interval = uint(
                    "hashlimit",
                    "hashlimit-htable-gcinterval",
                    arg,
                    0,
                    u32::MAX.into(),
                )? as u32
            }
            EXPIRE => {
                self.expire = uint(
                    "hashlimit",
                    "hashlimit-htable-expire",
                    arg,
                    0,
                    u32::MAX.into(),
                )? as u32
            }
            RATEMATCH => self.mode |= mode::RATE_MATCH,
            INTERVAL => {
                let r = atoll(arg);
                if r <= 0 || r > i32::MAX as i64 {
                    return Err(bad("--hashlimit-rate-interval", arg));
                }
                self.interval = r as u32;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // hashlimit_mt_check, then the option table's constraints.
        if seen & (1 << UPTO | 1 << ABOVE) == 0 {
            return Err("You have to specify --hashlimit".into());
        }
        if seen & (1 << EXPIRE) == 0 {
            self.expire = self.mult.wrapping_mul(1000);
        }
        if self.mode & mode::BYTES != 0 {
            let mut burst = 0u64;
            if seen & (1 << BURST) != 0 {
                let unit = cost_to_bytes(self.avg);
                if unit == 0 {
                    // A rate below 16b/s has a byte unit of 0: iptables
                    // divides by it and dies with SIGFPE (checked on 1.8.9).
                    return Err("nfsim: --hashlimit-burst with a rate below 16b/s makes iptables divide by zero".into());
                }
                if self.burst < unit {
                    return Err(format!("burst cannot be smaller than {unit}b"));
                }
                // burst is a uint32_t in hashlimit_mt_check.
                let mut b = (self.burst as u32) as u64 / unit.max(1);
                if self.burst % unit.max(1) != 0 {
                    b += 1;
                }
                burst = b as u32 as u64;
                if seen & (1 << EXPIRE) == 0 {
                    self.expire = 60 * 1000;
                }
            }
            self.burst = burst;
        } else if self.burst > BURST_MAX {
            return Err(format!(
                "bad value for option \"--hashlimit-burst\", or out of range (1-{BURST_MAX})."
            ));
        }
        if seen & (1 << RATEMATCH) != 0 {
            if self.mode & mode::BYTES == 0 {
                self.avg /= self.mult.max(1) as u64;
            }
            if self.interval == 0 {
                self.interval = if self.mode & mode::BYTES != 0 {
                    1
                } else {
                    self.mult
                };
            }
        }
        // hashlimit_mt_check_common caps size and max in the kernel's copy
        // of the match, which is what iptables-save prints back. (Done here
        // because `check` cannot change the rule.)
        self.size = self.size.min(MAX_SIZE);
        self.max = self.max.min(MAX_SIZE);
        // The unit is parser state (`hashlimit_mt_udata`), not kernel data:
        // clear it so that equal kernel data compares equal (`-D`, `-C`).
        self.mult = 0;
        exclusive(
            "hashlimit",
            seen,
            (UPTO, "hashlimit-upto"),
            (ABOVE, "hashlimit-above"),
        )?;
        mandatory("hashlimit", seen, &[(NAME, "hashlimit-name")])
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_hashlimit.c hashlimit_mt_check_common (revision 3); the table
        // also gets a /proc/net/ipt_hashlimit entry, which these names cannot be.
        if self.name == "." || self.name == ".." || self.name.contains(&b'/') {
            return Err(format!("xt_hashlimit: invalid name `{}'", self.name));
        }
        if self.gc_interval == 0 || self.expire == 0 {
            return Err("xt_hashlimit: gcinterval and expire must be non-zero".into());
        }
        let maxp = ctx.family.max_prefix();
        if self.srcmask > maxp || self.dstmask > maxp {
            return Err("xt_hashlimit: invalid mask".into());
        }
        if self.mode & mode::RATE_MATCH != 0 {
            if self.avg == 0 || self.avg > u32::MAX as u64 {
                return Err("xt_hashlimit: invalid rate".into());
            }
            if self.interval == 0 {
                return Err("xt_hashlimit: invalid interval".into());
            }
        } else if self.mode & mode::BYTES != 0 {
            if user2credits_byte(self.avg) == 0 {
                return Err(format!(
                    "xt_hashlimit: overflow, rate too high: {}",
                    self.avg
                ));
            }
        } else if self.burst == 0
            || user2credits(self.avg.wrapping_mul(self.burst)) < user2credits(self.avg)
        {
            return Err(format!(
                "xt_hashlimit: overflow, try lower: {}/{}",
                self.avg, self.burst
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // hashlimit_mt_save, revision 3.
        f.write_str(if self.mode & mode::INVERT != 0 {
            " --hashlimit-above"
        } else {
            " --hashlimit-upto"
        })?;
        let quantum = if self.mode & mode::BYTES != 0 {
            Hashlimit::write_bytes(f, self.avg, self.burst, "--hashlimit-")?
        } else {
            let q = Hashlimit::write_rate(f, self.avg)?;
            write!(f, " --hashlimit-burst {}", self.burst)?;
            q
        };
        if self.mode & HASH_MODES != 0 {
            f.write_str(" --hashlimit-mode ")?;
            Hashlimit::write_mode(f, self.mode, ",")?;
        }
        f.write_str(" --hashlimit-name ")?;
        f.write_bytes(&self.name);
        if self.size != 0 {
            write!(f, " --hashlimit-htable-size {}", self.size)?;
        }
        if self.max != 0 {
            write!(f, " --hashlimit-htable-max {}", self.max)?;
        }
        if self.gc_interval != GCINTERVAL {
            write!(f, " --hashlimit-htable-gcinterval {}", self.gc_interval)?;
        }
        if self.expire != quantum {
            write!(f, " --hashlimit-htable-expire {}", self.expire)?;
        }
        let d = self.family.max_prefix();
        if self.srcmask != d {
            write!(f, " --hashlimit-srcmask {}", self.srcmask)?;
        }
        if self.dstmask != d {
            write!(f, " --hashlimit-dstmask {}", self.dstmask)?;
        }
        if self.mode & mode::RATE_MATCH != 0 {
            f.write_str(" --hashlimit-rate-match")?;
            if self.interval != 1 {
                write!(f, " --hashlimit-rate-interval {}", self.interval)?;
            }
        }
        Ok(())
    }
}
