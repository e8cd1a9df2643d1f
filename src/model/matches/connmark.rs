//! `-m connmark` (net/netfilter/xt_connmark.c `connmark_mt`, extensions/libxt_connmark.c,
//! revision 1). The kernel's `connmark_mt_check` only takes a conntrack
//! reference: any table and hook.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::MarkMask;

/// `-m connmark [!] --mark VALUE[/MASK]`: `(ct->mark & mask) == value`.
///
/// ```
/// use nfsim::model::matches::connmark::Connmark;
/// use nfsim::model::matches::xtopt::MarkMask;
/// let m = Connmark { mark: MarkMask { value: 1, mask: 0xff }, invert: false };
/// assert!(m.mark.matches(0x101));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connmark {
    /// Value and mask.
    pub mark: MarkMask,
    /// `! --mark`
    pub invert: bool,
}

options!(OPTS = 0 "mark" arg inv mand);

impl Default for Connmark {
    fn default() -> Self {
        Connmark {
            mark: MarkMask { value: 0, mask: 0 },
            invert: false,
        }
    }
}

impl Extension for Connmark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.mark = MarkMask::parse(args.optarg.unwrap_or(""), "connmark", "mark")?;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        write!(f, " --mark{}", self.mark)
    }
}
