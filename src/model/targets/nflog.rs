//! `-j NFLOG` (extensions/libxt_NFLOG.c; kernel net/netfilter/xt_NFLOG.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string, save_string, uint};

/// Default `--nflog-threshold` (`XT_NFLOG_DEFAULT_THRESHOLD`).
pub const NFLOG_DEFAULT_THRESHOLD: u16 = 0;

/// `-j NFLOG` (`struct xt_nflog_info`).
///
/// ```
/// use nfsim::model::targets::nflog::Nflog;
/// let n = Nflog { group: 2, len: 0, copy_len: false, threshold: 0, prefix: nfsim::model::ByteStr::new() };
/// assert_eq!(n.group, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nflog {
    /// Netlink group.
    pub group: u16,
    /// Copy length (`--nflog-size`, or the legacy `--nflog-range`).
    pub len: u32,
    /// `XT_NFLOG_F_COPY_LEN`: `len` came from `--nflog-size` and is honoured.
    pub copy_len: bool,
    /// Queue threshold.
    pub threshold: u16,
    /// Prefix (at most 63 bytes).
    pub prefix: crate::model::ByteStr,
}

ids!(GROUP, PREFIX, RANGE, SIZE, THRESHOLD);

options! {
    OPTS =
    GROUP "nflog-group" arg, PREFIX "nflog-prefix" arg, RANGE "nflog-range" arg excl(1 << SIZE),
    SIZE "nflog-size" arg excl(1 << RANGE), THRESHOLD "nflog-threshold" arg,
}

impl Default for Nflog {
    fn default() -> Self {
        Nflog {
            group: 0,
            len: 0,
            copy_len: false,
            threshold: NFLOG_DEFAULT_THRESHOLD,
            prefix: crate::model::ByteStr::new(),
        }
    }
}

impl Extension for Nflog {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("NFLOG", name)?;
        match args.id {
            GROUP => self.group = uint("NFLOG", name, s, 0, 65535)? as u16,
            THRESHOLD => self.threshold = uint("NFLOG", name, s, 0, 65535)? as u16,
            RANGE | SIZE => self.len = uint("NFLOG", name, s, 0, u32::MAX as u64)? as u32,
            PREFIX => {
                // XTTYPE_STRING, .min = 1, stored into char prefix[64].
                let s = args.required_bytes("NFLOG", name)?;
                let p = put_string(s, 1, 0, 64)?;
                if s.contains(&b'\n') {
                    return Err("Newlines not allowed in --log-prefix".into());
                }
                self.prefix = p;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // NFLOG_check
        if seen & (1 << SIZE) != 0 {
            self.copy_len = true;
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // nflog_print
        if !self.prefix.is_empty() {
            f.write_str(" --nflog-prefix")?;
            save_string(f, &self.prefix)?;
        }
        if self.group != 0 {
            write!(f, " --nflog-group {}", self.group)?;
        }
        if self.copy_len {
            write!(f, " --nflog-size {}", self.len)?;
        } else if self.len != 0 {
            write!(f, " --nflog-range {}", self.len)?;
        }
        if self.threshold != NFLOG_DEFAULT_THRESHOLD {
            write!(f, " --nflog-threshold {}", self.threshold)?;
        }
        Ok(())
    }
}
