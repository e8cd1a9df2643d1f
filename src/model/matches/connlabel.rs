//! `-m connlabel` (net/netfilter/xt_connlabel.c, extensions/libxt_connlabel.c):
//! tests (and optionally sets) a bit of the connection's 128-bit label.
//!
//! Label names come from `/etc/xtables/connlabel.conf`; nfsim reads no host
//! files and behaves as iptables does without that file (the oracle machine
//! has none): only numeric labels are accepted and they print numerically,
//! quoted.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoumax, write_inv};

/// Number of label bits the kernel supports (`NF_CT_LABELS_MAX_SIZE * 8`).
pub const LABEL_BITS: u16 = 128;

/// `-m connlabel [!] --label BIT [--set]`.
///
/// ```
/// use nfsim::model::matches::connlabel::Connlabel;
/// assert!(!Connlabel::default().set);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connlabel {
    /// The label bit.
    pub bit: u16,
    /// `!` (`XT_CONNLABEL_OP_INVERT`).
    pub invert: bool,
    /// `--set` (`XT_CONNLABEL_OP_SET`): set the bit on the connection.
    pub set: bool,
}

options!(OPTS = 0 "label" arg inv mand, 1 "set" flag);

impl Extension for Connlabel {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                let s = args.required("connlabel", "label")?;
                if s.is_empty() {
                    return Err("Argument must have a minimum length of 1 characters".into());
                }
                // connlabel_value_parse: strtoul, whole string; the result
                // goes through an `int` (negative = not found) into a u16.
                let v = match strtoumax(s) {
                    Some((v, "")) => (v as u32) as i32,
                    _ => -1,
                };
                if v < 0 {
                    return Err(format!("label '{s}' not found or invalid value"));
                }
                self.bit = v as u16;
                self.invert = args.invert;
            }
            1 => self.set = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_connlabel.c connlabel_mt_check -> nf_connlabels_get: -ERANGE.
        if self.bit >= LABEL_BITS {
            return Err(format!("xt_connlabel: label bit {} out of range", self.bit));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        write!(f, " --label \"{}\"", self.bit)?;
        if self.set {
            f.write_str(" --set")?;
        }
        Ok(())
    }
}
