//! `-j TCPOPTSTRIP [--strip-options LIST]` (extensions/libxt_TCPOPTSTRIP.c;
//! kernel net/netfilter/xt_TCPOPTSTRIP.c: table mangle, proto tcp).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{require_proto, require_table, strtoui};
use crate::model::TableKind;

/// `-j TCPOPTSTRIP`: removes the listed TCP option kinds.
///
/// ```
/// use nfsim::model::targets::tcpoptstrip::Tcpoptstrip;
/// let mut t = Tcpoptstrip { strip: [0; 8] };
/// t.strip[0] |= 1 << 8; // timestamp
/// assert!(t.strips(8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tcpoptstrip {
    /// Bitmap of option kinds (bit `k % 32` of word `k / 32`).
    pub strip: [u32; 8],
}

impl Tcpoptstrip {
    /// Whether option kind `k` is stripped.
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -p tcp -j TCPOPTSTRIP --strip-options mss,sack-permitted\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Tcpoptstrip(t)) if t.strips(2) && t.strips(4) && !t.strips(3)));
    /// ```
    #[inline]
    pub fn strips(&self, k: u8) -> bool {
        self.strip[(k / 32) as usize] & (1 << (k % 32)) != 0
    }
}

const OPTION_NAMES: [(&str, u8); 6] = [
    ("wscale", 3),
    ("mss", 2),
    ("sack-permitted", 4),
    ("sack", 5),
    ("timestamp", 8),
    ("md5", 19),
];

options!(OPTS = 0 "strip-options" arg);

impl Extension for Tcpoptstrip {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // parse_list
        for item in args.required("TCPOPTSTRIP", "strip-options")?.split(',') {
            let k = match OPTION_NAMES.iter().find(|(n, _)| *n == item) {
                Some((_, k)) => *k,
                None => strtoui(item, 0, 255)
                    .ok_or_else(|| format!("Bad TCP option value \"{item}\""))?
                    as u8,
            };
            if k < 2 {
                return Err("Option value may not be 0 or 1".into());
            }
            if self.strips(k) {
                return Err(format!("Option \"{item}\" already specified"));
            }
            self.strip[(k / 32) as usize] |= 1 << (k % 32);
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_table(ctx, TableKind::Mangle, "TCPOPTSTRIP")?;
        require_proto(ctx, 6, "TCPOPTSTRIP target")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.strip == [0; 8] {
            return Ok(());
        }
        f.write_str(" --strip-options ")?;
        let mut first = true;
        for k in 0..=255u8 {
            if self.strips(k) {
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                write!(f, "{k}")?;
            }
        }
        Ok(())
    }
}
