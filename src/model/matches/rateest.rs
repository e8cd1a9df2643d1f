//! `-m rateest` (net/netfilter/xt_rateest.c, extensions/libxt_rateest.c):
//! compares the rate measured by a `RATEEST` target's estimator with a fixed
//! rate (absolute mode) or with another estimator (relative mode).
//!
//! The kernel's checkentry also looks the estimator names up
//! (`xt_rateest_lookup`) and fails when no `RATEEST` target created them
//! earlier. A match's `Extension::check` sees only its own rule, so nfsim
//! accepts any name here; resolving the names against the ruleset's
//! `RATEEST` targets is the engine's job when it compiles the ruleset.
//! (Consequence for iptables' `libxt_rateest.t`, whose `%iptables -j
//! RATEEST` setup lines the harness skips: its rules are accepted, as the
//! test expects with the setup done.)
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui};

/// Comparison (`XT_RATEEST_MATCH_EQ/LT/GT`).
///
/// ```
/// use nfsim::model::matches::rateest::Cmp;
/// assert_ne!(Cmp::Lt, Cmp::Gt);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `--rateest-eq`
    Eq,
    /// `--rateest-lt`
    Lt,
    /// `--rateest-gt`
    Gt,
}

/// `-m rateest`: `struct xt_rateest_match_info` with typed fields.
///
/// ```
/// use nfsim::model::matches::rateest::Rateest;
/// assert!(Rateest::default().name1.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rateest {
    /// `--rateest` / `--rateest1` (at most 15 bytes).
    pub name1: crate::model::ByteStr,
    /// `--rateest2`: present in relative mode (`XT_RATEEST_MATCH_REL`).
    pub name2: Option<crate::model::ByteStr>,
    /// `--rateest-delta` (`XT_RATEEST_MATCH_DELTA`).
    pub delta: bool,
    /// A bps option was given (`XT_RATEEST_MATCH_BPS`).
    pub bps: bool,
    /// A pps option was given (`XT_RATEEST_MATCH_PPS`).
    pub pps: bool,
    /// Rate 1 in bytes per second.
    pub bps1: u32,
    /// Rate 2 in bytes per second (the absolute-mode rate).
    pub bps2: u32,
    /// Packets per second 1.
    pub pps1: u32,
    /// Packets per second 2 (the absolute-mode rate).
    pub pps2: u32,
    /// The comparison (`None` = `XT_RATEEST_MATCH_NONE`, rejected by the kernel).
    pub mode: Option<Cmp>,
    /// `!` before the comparison (`XT_RATEEST_MATCH_INVERT`).
    pub invert: bool,
}

ids!(R1, R2, BPS1, PPS1, BPS2, PPS2, DELTA, LT, GT, EQ);

// Old-style `struct option` table: every option may carry `!` as far as
// getopt is concerned (rateest_parse rejects it itself); a repeated option
// is rejected by the framework (rateest_parse: "can't specify ... twice").
options! {
    OPTS =
    R1 "rateest1" arg inv, R1 "rateest" arg inv, R2 "rateest2" arg inv,
    BPS1 "rateest-bps1" flag inv, PPS1 "rateest-pps1" flag inv, BPS2 "rateest-bps2" flag inv,
    PPS2 "rateest-pps2" flag inv, BPS2 "rateest-bps" flag inv, PPS2 "rateest-pps" flag inv,
    DELTA "rateest-delta" flag inv, LT "rateest-lt" flag inv, GT "rateest-gt" flag inv,
    EQ "rateest-eq" flag inv,
}

/// iproute's rate suffixes as libxt_rateest.c copies them (scale in bits).
const SUFFIXES: [(&str, f64); 18] = [
    ("bit", 1.),
    ("Kibit", 1024.),
    ("kbit", 1000.),
    ("Mibit", 1024. * 1024.),
    ("mbit", 1_000_000.),
    ("Gibit", 1024. * 1024. * 1024.),
    ("gbit", 1_000_000_000.),
    ("Tibit", 1024. * 1024. * 1024. * 1024.),
    ("tbit", 1_000_000_000_000.),
    ("Bps", 8.),
    ("KiBps", 8. * 1024.),
    ("KBps", 8000.),
    ("MiBps", 8. * 1024. * 1024.),
    ("MBps", 8_000_000.),
    ("GiBps", 8. * 1024. * 1024. * 1024.),
    ("GBps", 8_000_000_000.),
    ("TiBps", 8. * 1024. * 1024. * 1024. * 1024.),
    ("TBps", 8_000_000_000_000.),
];

/// The decimal prefix `strtod` would read (sign, digits, fraction,
/// exponent); hexadecimal floats, `inf` and `nan` are not supported.
fn strtod_prefix(s: &str) -> Option<(f64, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut ndig = i - digits_start;
    if b.get(i) == Some(&b'.') {
        let j = i + 1;
        let mut k = j;
        while b.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        ndig += k - j;
        if ndig > 0 {
            i = k;
        }
    }
    if ndig == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut k = i + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let ds = k;
        while b.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        if k > ds {
            i = k;
        }
    }
    Some((s[..i].parse().ok()?, &s[i..]))
}

/// libxt_rateest.c `rateest_get_rate`: a number with an optional iproute
/// suffix (case-insensitive), converted to bytes per second.
///
/// ```
/// use nfsim::model::matches::rateest::parse_rate;
/// assert_eq!(parse_rate("5kbit"), Some(625));
/// assert_eq!(parse_rate("8"), Some(1));
/// assert_eq!(parse_rate("x"), None);
/// ```
pub fn parse_rate(s: &str) -> Option<u32> {
    let (v, rest) = strtod_prefix(s)?;
    let scale = if rest.is_empty() {
        1.
    } else {
        SUFFIXES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(rest))?
            .1
    };
    // C's double -> uint32_t conversion; `as` saturates where C is undefined.
    Some((v * scale / 8.) as u32)
}

/// libxt_rateest.c `rateest_print_rate` (non-numeric).
fn write_rate(f: &mut dyn fmt::Write, rate: u32) -> fmt::Result {
    let tmp = f64::from(rate) * 8.;
    if tmp >= 1000. * 1_000_000. {
        write!(f, " {:.0}Mbit", tmp / 1_000_000.)
    } else if tmp >= 1000. * 1000. {
        write!(f, " {:.0}Kbit", tmp / 1000.)
    } else {
        write!(f, " {tmp:.0}bit")
    }
}

impl Rateest {
    fn write_mode(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        f.write_str(match self.mode {
            Some(Cmp::Eq) => " --rateest-eq",
            Some(Cmp::Lt) => " --rateest-lt",
            Some(Cmp::Gt) => " --rateest-gt",
            // iptables calls exit(1) here; the kernel never accepts it.
            None => " --rateest-?",
        })
    }
    fn write_rates(
        &self,
        f: &mut dyn fmt::Write,
        name: &str,
        r1: u32,
        r2: u32,
        numeric: bool,
    ) -> fmt::Result {
        let rate = |f: &mut dyn fmt::Write, r: u32| {
            if numeric {
                write!(f, " {r}")
            } else {
                write_rate(f, r)
            }
        };
        if self.delta {
            write!(f, " --rateest-{name}1")?;
            rate(f, r1)?;
            self.write_mode(f)?;
            write!(f, " --rateest-{name}2")?;
        } else {
            self.write_mode(f)?;
            write!(f, " --rateest-{name}")?;
        }
        // XT_RATEEST_MATCH_ABS is set exactly when there is no --rateest2.
        if self.name2.is_none() || self.delta {
            rate(f, r2)?;
        }
        Ok(())
    }
}

impl Extension for Rateest {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let what = match args.id {
            R1 | R2 => "rateest",
            BPS1 | BPS2 => "rateest-bps",
            PPS1 | PPS2 => "rateest-pps",
            DELTA => "rateest-delta",
            _ => "",
        };
        if args.invert && !what.is_empty() {
            return Err(format!("rateest: {what} can't be inverted"));
        }
        let name = |a: &Args<'_>| -> Result<crate::model::ByteStr, String> {
            let s = a.required_bytes("rateest", "rateest")?;
            // strncpy into char[IFNAMSIZ] leaving the last byte 0.
            Ok(crate::model::opt::cut_c(s, 15).into())
        };
        match args.id {
            R1 => {
                if !self.name1.is_empty() {
                    return Err("rateest: can't specify --rateest1 twice".into());
                }
                self.name1 = name(args)?;
            }
            R2 => {
                if self.name2.is_some() {
                    return Err("rateest: can't specify --rateest2 twice".into());
                }
                self.name2 = Some(name(args)?);
            }
            BPS1 | BPS2 => {
                self.bps = true;
                if let Some(w) = args.next_word() {
                    let r = parse_rate(&w)
                        .ok_or_else(|| format!("rateest: could not parse rate `{w}'"))?;
                    if args.id == BPS1 {
                        self.bps1 = r;
                    } else {
                        self.bps2 = r;
                    }
                }
            }
            PPS1 | PPS2 => {
                self.pps = true;
                if let Some(w) = args.next_word() {
                    let r = strtoui(&w, 0, u32::MAX.into())
                        .ok_or_else(|| format!("rateest: could not parse pps `{w}'"))?
                        as u32;
                    if args.id == PPS1 {
                        self.pps1 = r;
                    } else {
                        self.pps2 = r;
                    }
                }
            }
            DELTA => self.delta = true,
            LT | GT | EQ => {
                self.mode = Some(match args.id {
                    LT => Cmp::Lt,
                    GT => Cmp::Gt,
                    _ => Cmp::Eq,
                });
                if args.invert {
                    self.invert = true;
                }
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_rateest.c xt_rateest_mt_checkentry (estimator lookup: see the
        // module documentation).
        if !self.bps && !self.pps {
            return Err("xt_rateest: neither bps nor pps given".into());
        }
        if self.mode.is_none() {
            return Err("xt_rateest: no comparison (--rateest-lt/gt/eq) given".into());
        }
        if self.name1.is_empty() {
            return Err("xt_rateest: estimator `' not found".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_rateest.c rateest_save
        if self.delta {
            f.write_str(" --rateest-delta")?;
        }
        let rates = |f: &mut crate::model::ext::SaveBuf| -> fmt::Result {
            if self.bps {
                self.write_rates(f, "bps", self.bps1, self.bps2, false)?;
            }
            if self.pps {
                self.write_rates(f, "pps", self.pps1, self.pps2, true)?;
            }
            Ok(())
        };
        match &self.name2 {
            Some(n2) => {
                f.write_str(" --rateest1 ")?;
                f.write_bytes(&self.name1);
                rates(f)?;
                f.write_str(" --rateest2 ")?;
                f.write_bytes(n2);
                Ok(())
            }
            None => {
                f.write_str(" --rateest ")?;
                f.write_bytes(&self.name1);
                rates(f)
            }
        }
    }
}
