//! `-j NFQUEUE` (extensions/libxt_NFQUEUE.c revision 3; kernel
//! net/netfilter/xt_NFQUEUE.c `nfqueue_tg_check`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui_end, uint};

bitflags::bitflags! {
    /// `NFQ_FLAG_*` (include/uapi/linux/netfilter/xt_NFQUEUE.h).
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
    /// use nfsim::model::targets::nfqueue::NfqFlags;
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Nfqueue(q)) if q.flags.contains(NfqFlags::BYPASS)));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct NfqFlags: u16 {
        /// `--queue-bypass`: accept when no program listens.
        const BYPASS = 0x01;
        /// `--queue-cpu-fanout`: pick the queue by CPU.
        const CPU_FANOUT = 0x02;
    }
}

/// `-j NFQUEUE` (`struct xt_NFQ_info_v3`): queues `queuenum ..
/// queuenum + queues_total - 1`.
///
/// ```
/// use nfsim::model::targets::nfqueue::{Nfqueue, NfqFlags};
/// let q = Nfqueue { queuenum: 3, queues_total: 2, flags: NfqFlags::BYPASS };
/// assert_eq!(q.queuenum + q.queues_total - 1, 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nfqueue {
    /// First queue number.
    pub queuenum: u16,
    /// Number of queues balanced over (1 = no balancing).
    pub queues_total: u16,
    /// Flags.
    pub flags: NfqFlags,
}

ids!(NUM, BALANCE, BYPASS, FANOUT);

options! {
    OPTS =
    NUM "queue-num" arg excl(1 << BALANCE), BALANCE "queue-balance" arg excl(1 << NUM),
    BYPASS "queue-bypass" flag, FANOUT "queue-cpu-fanout" flag also(1 << BALANCE),
}

/// `xtopt_parse_mint` for `XTTYPE_UINT16RC` with `.max = 65534`: `A:B`,
/// either side may be empty (0 and 65534); the second must not be below
/// the first. Returns the values given (one or two).
fn parse_range(s: &str) -> Result<Vec<u16>, String> {
    const LMAX: u64 = 65534;
    let mut vals = Vec::with_capacity(2);
    let mut lmin = 0u64;
    let mut rest = s;
    loop {
        if vals.len() == 2 {
            return Err(
                "NFQUEUE: Too many components for option \"--queue-balance\" (max: 2)\n"
                    .to_string(),
            );
        }
        let (v, end) = if rest.is_empty() || rest.starts_with(':') {
            (if vals.len() == 1 { LMAX } else { lmin }, rest)
        } else {
            let (v, end) = strtoui_end(rest, lmin, LMAX).ok_or_else(|| {
                format!(
                    "NFQUEUE: bad value for option \"--queue-balance\" near \"{rest}\", or out of range ({lmin}-{LMAX}).\n"
                )
            })?;
            if !end.is_empty() && !end.starts_with(':') {
                return Err(format!(
                    "NFQUEUE: Argument to \"--queue-balance\" has unexpected characters near \"{end}\".\n"
                ));
            }
            lmin = v;
            (v, end)
        };
        vals.push(v as u16);
        match end.strip_prefix(':') {
            Some(r) => rest = r,
            None => break,
        }
    }
    Ok(vals)
}

impl Default for Nfqueue {
    fn default() -> Self {
        // NFQUEUE_init_v1
        Nfqueue {
            queuenum: 0,
            queues_total: 1,
            flags: NfqFlags::empty(),
        }
    }
}

impl Extension for Nfqueue {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // NFQUEUE_parse_v3
        match args.id {
            NUM => {
                self.queuenum = uint(
                    "NFQUEUE",
                    "queue-num",
                    args.required("NFQUEUE", "queue-num")?,
                    0,
                    65535,
                )? as u16
            }
            BALANCE => {
                let s = args.required("NFQUEUE", "queue-balance")?;
                let r = parse_range(s)?;
                let [a, b] = r[..] else {
                    return Err(format!("Bad range \"{s}\""));
                };
                if a >= b {
                    return Err(format!("{a} should be less than {b}"));
                }
                self.queuenum = a;
                self.queues_total = b - a + 1;
            }
            BYPASS => self.flags |= NfqFlags::BYPASS,
            FANOUT => self.flags |= NfqFlags::CPU_FANOUT,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, _seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // nfqueue_tg_check
        let maxid = u32::from(self.queues_total) + u32::from(self.queuenum);
        if self.queues_total == 0 || maxid - 1 > 0xffff {
            return Err("x_tables: NFQUEUE: number of queues too big".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // NFQUEUE_save_v3
        if self.queues_total > 1 {
            let last = self.queues_total as u32 + self.queuenum as u32 - 1;
            write!(f, " --queue-balance {}:{last}", self.queuenum)?;
        } else {
            write!(f, " --queue-num {}", self.queuenum)?;
        }
        if self.flags.contains(NfqFlags::BYPASS) {
            f.write_str(" --queue-bypass")?;
        }
        if self.flags.contains(NfqFlags::CPU_FANOUT) {
            f.write_str(" --queue-cpu-fanout")?;
        }
        Ok(())
    }
}
