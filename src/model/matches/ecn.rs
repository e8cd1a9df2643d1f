//! `-m ecn` (net/netfilter/xt_ecn.c, extensions/libxt_ecn.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, uint, write_inv};

/// `-m ecn`: TCP ECE/CWR flags and the IP ECN field (`struct xt_ecn_info`).
/// Each test is `Some(invert)` when requested.
///
/// ```
/// use nfsim::model::matches::ecn::Ecn;
/// let e = Ecn { ip_ect: Some((2, false)), ..Ecn::default() };
/// assert!(e.cwr.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ecn {
    /// `--ecn-tcp-cwr`: TCP CWR flag set (`Some(true)`: inverted).
    pub cwr: Option<bool>,
    /// `--ecn-tcp-ece`: TCP ECE flag set.
    pub ece: Option<bool>,
    /// `--ecn-ip-ect N`: the IP ECN bits equal N (0..=3), with the invert flag.
    pub ip_ect: Option<(u8, bool)>,
}

ids!(O_CWR, O_ECE, O_ECT);

options! {
    OPTS =
    O_CWR "ecn-tcp-cwr" flag inv, O_ECE "ecn-tcp-ece" flag inv, O_ECT "ecn-ip-ect" arg inv,
}

impl Extension for Ecn {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_CWR => self.cwr = Some(args.invert),
            O_ECE => self.ece = Some(args.invert),
            O_ECT => {
                let v = uint(
                    "ecn",
                    "ecn-ip-ect",
                    args.required("ecn", "ecn-ip-ect")?,
                    0,
                    3,
                )?;
                self.ip_ect = Some((v as u8, args.invert));
            }
            _ => return bad_id(),
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "ECN match: some option required")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_ecn.c ecn_mt_check4 / ecn_mt_check6: TCP bits need `-p tcp`
        // without `!`.
        if (self.cwr.is_some() || self.ece.is_some()) && (ctx.proto != 6 || ctx.proto_inv) {
            return Err("xt_ecn: cannot match TCP bits in rule for non-tcp packets".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if let Some(inv) = self.ece {
            write_inv(f, inv)?;
            f.write_str(" --ecn-tcp-ece")?;
        }
        if let Some(inv) = self.cwr {
            write_inv(f, inv)?;
            f.write_str(" --ecn-tcp-cwr")?;
        }
        if let Some((v, inv)) = self.ip_ect {
            write_inv(f, inv)?;
            write!(f, " --ecn-ip-ect {v}")?;
        }
        Ok(())
    }
}
