//! `-m connbytes` (net/netfilter/xt_connbytes.c, extensions/libxt_connbytes.c):
//! packet / byte / average-packet-size counters of the connection.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, mandatory, range};

/// Which counter (`XT_CONNBYTES_PKTS` ...).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m connbytes --connbytes 1000: --connbytes-dir both --connbytes-mode bytes\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::connbytes::{Direction, What};
/// assert!(matches!(&r.matches[0], Match::Connbytes(c) if c.what == What::Bytes && c.direction == Direction::Both));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// `packets`
    Packets,
    /// `bytes`
    Bytes,
    /// `avgpkt`: bytes / packets.
    AvgPkt,
}

/// Which direction's counters (`XT_CONNBYTES_DIR_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m connbytes --connbytes 10 --connbytes-dir reply --connbytes-mode packets\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::connbytes::{Direction, What};
/// assert!(matches!(&r.matches[0], Match::Connbytes(c) if c.what == What::Packets && c.direction == Direction::Reply));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `original`
    Original,
    /// `reply`
    Reply,
    /// `both`
    Both,
}

/// `-m connbytes [!] --connbytes FROM[:TO] --connbytes-dir D --connbytes-mode M`.
///
/// As in `struct xt_connbytes_info`, `!` is stored by swapping `from` and
/// `to`; the kernel matches `from <= v <= to` when `to >= from`, else
/// `v < to || v > from`.
///
/// ```
/// use nfsim::model::matches::connbytes::Connbytes;
/// assert_eq!(Connbytes::default().to, u64::MAX);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connbytes {
    /// Lower bound (upper bound when inverted).
    pub from: u64,
    /// Upper bound (lower bound when inverted).
    pub to: u64,
    /// The counter.
    pub what: What,
    /// The direction.
    pub direction: Direction,
}

impl Default for Connbytes {
    fn default() -> Self {
        Connbytes {
            from: 0,
            to: u64::MAX,
            what: What::Packets,
            direction: Direction::Original,
        }
    }
}

options!(OPTS = 0 "connbytes" arg inv, 1 "connbytes-dir" arg, 2 "connbytes-mode" arg);

impl Extension for Connbytes {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                // XTTYPE_UINT64RC; a single value means "from N upwards".
                let s = args.required("connbytes", "connbytes")?;
                let (lo, hi, n) = range("connbytes", "connbytes", s, 0, u64::MAX)?;
                self.from = lo;
                self.to = if n == 2 { hi } else { u64::MAX };
                if args.invert {
                    core::mem::swap(&mut self.from, &mut self.to);
                }
            }
            1 => {
                let s = args.required("connbytes", "connbytes-dir")?;
                self.direction = match s {
                    "original" => Direction::Original,
                    "reply" => Direction::Reply,
                    "both" => Direction::Both,
                    _ => return Err(format!("Unknown --connbytes-dir `{s}'")),
                };
            }
            2 => {
                let s = args.required("connbytes", "connbytes-mode")?;
                self.what = match s {
                    "packets" => What::Packets,
                    "bytes" => What::Bytes,
                    "avgpkt" => What::AvgPkt,
                    _ => return Err(format!("Unknown --connbytes-mode `{s}'")),
                };
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        mandatory(
            "connbytes",
            seen,
            &[
                (0, "connbytes"),
                (1, "connbytes-dir"),
                (2, "connbytes-mode"),
            ],
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_connbytes.c print_from_to, print_mode, print_direction.
        let (from, to) = if self.from > self.to {
            f.write_str(" !")?;
            (self.to, self.from)
        } else {
            (self.from, self.to)
        };
        write!(f, " --connbytes {from}")?;
        if to != 0 && to < u64::MAX {
            write!(f, ":{to}")?;
        }
        f.write_str(match self.what {
            What::Packets => " --connbytes-mode packets",
            What::Bytes => " --connbytes-mode bytes",
            What::AvgPkt => " --connbytes-mode avgpkt",
        })?;
        f.write_str(match self.direction {
            Direction::Original => " --connbytes-dir original",
            Direction::Reply => " --connbytes-dir reply",
            Direction::Both => " --connbytes-dir both",
        })
    }
}
