//! `-m statistic` (net/netfilter/xt_statistic.c, extensions/libxt_statistic.c).
//! The kernel's `statistic_mt_check` only validates the mode and flags and
//! allocates the shared nth counter.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, mandatory, strtod, uint, Constraint};

/// The statistic mode with its parameters, as the kernel stores them.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m statistic --mode nth --every 3 --packet 1\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::statistic::StatisticMode;
/// assert!(matches!(&r.matches[0], Match::Statistic(s) if matches!(s.mode, StatisticMode::Nth { every: 2, packet: 1, .. })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatisticMode {
    /// `--mode random --probability P`: matches when
    /// `(get_random_u32() & 0x7FFFFFFF) < probability`.
    Random {
        /// `lround(0x80000000 * P)`.
        probability: u32,
    },
    /// `--mode nth --every N --packet P`: a shared counter counts
    /// `0..=every`, the packet matches when it wraps to `packet`.
    Nth {
        /// N - 1.
        every: u32,
        /// P (`0 <= P <= N - 1`).
        packet: u32,
        /// Initial counter value (`every - packet`).
        count: u32,
    },
}

/// `-m statistic`.
///
/// ```
/// use nfsim::model::matches::statistic::{Statistic, StatisticMode};
/// let s = Statistic { mode: StatisticMode::Random { probability: 0x4000_0000 }, invert: false };
/// assert!(matches!(s.mode, StatisticMode::Random { .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statistic {
    /// Mode and parameters.
    pub mode: StatisticMode,
    /// `XT_STATISTIC_INVERT` (`!` before any option).
    pub invert: bool,
}

ids!(MODE, PROBABILITY, EVERY, PACKET);

options! {
    OPTS =
    MODE "mode" arg, PROBABILITY "probability" arg inv, EVERY "every" arg inv, PACKET "packet" arg,
}

static FCHECK: [Constraint; 4] = [
    (MODE, "mode", 0, 0, false),
    (
        PROBABILITY,
        "probability",
        1 << EVERY | 1 << PACKET,
        0,
        false,
    ),
    (EVERY, "every", 1 << PROBABILITY, 1 << PACKET, false),
    (PACKET, "packet", 1 << PROBABILITY, 1 << EVERY, false),
];

impl Default for Statistic {
    fn default() -> Self {
        Statistic {
            mode: StatisticMode::Random { probability: 0 },
            invert: false,
        }
    }
}

impl Extension for Statistic {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // libxt_statistic.c statistic_parse: the mode and the values share a
        // union; the last --mode decides how they are read.
        if args.invert {
            self.invert = true;
        }
        let arg = args.optarg.unwrap_or("");
        let (mut every, mut packet, mut prob) = match self.mode {
            StatisticMode::Random { probability } => (0, 0, probability),
            StatisticMode::Nth { every, packet, .. } => (every, packet, every),
        };
        let mut nth = matches!(self.mode, StatisticMode::Nth { .. });
        match args.id {
            MODE => match arg {
                "random" => nth = false,
                "nth" => nth = true,
                _ => return Err(format!("Bad mode \"{arg}\"")),
            },
            PROBABILITY => {
                // xtopt_parse_float: NaN passes the range test; lround(NaN)
                // stores 0 (as iptables 1.8.9 shows).
                let p = strtod(arg)
                    .filter(|p| p.is_nan() || (0.0..=1.0).contains(p))
                    .ok_or(
                        "statistic: bad value for option \"--probability\", or out of range (0-1).",
                    )?;
                prob = (0x8000_0000u64 as f64 * p).round() as u32;
                every = prob;
            }
            EVERY => {
                every = uint("statistic", "every", arg, 1, u32::MAX.into())? as u32 - 1;
                prob = every;
            }
            PACKET => packet = uint("statistic", "packet", arg, 0, u32::MAX.into())? as u32,
            _ => bad_id()?,
        }
        self.mode = if nth {
            StatisticMode::Nth {
                every,
                packet,
                count: 0,
            }
        } else {
            StatisticMode::Random { probability: prob }
        };
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        match self.mode {
            StatisticMode::Random { .. } if seen & (1 << PROBABILITY) == 0 => {
                return Err("--probability must be specified when using random mode".into())
            }
            StatisticMode::Nth { .. } if seen & (1 << EVERY | 1 << PACKET) == 0 => {
                return Err("--every and --packet must be specified when using nth mode".into())
            }
            StatisticMode::Nth {
                every,
                packet,
                ref mut count,
            } => {
                if packet > every {
                    return Err("the --packet p must be 0 <= p <= n-1".into());
                }
                *count = every - packet;
            }
            _ => {}
        }
        fcheck("statistic", seen, &FCHECK)?;
        mandatory("statistic", seen, &[(MODE, "mode")])
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        let inv = if self.invert { " !" } else { "" };
        match self.mode {
            StatisticMode::Random { probability } => write!(
                f,
                " --mode random{inv} --probability {:.11}",
                probability as f64 / 2147483648.0
            ),
            StatisticMode::Nth { every, packet, .. } => write!(
                f,
                " --mode nth{inv} --every {} --packet {packet}",
                every as u64 + 1
            ),
        }
    }
}
