//! `-m mark` (net/netfilter/xt_mark.c `mark_mt`, extensions/libxt_mark.c,
//! revision 1). The kernel match has no checkentry: any table and hook.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::MarkMask;

/// `-m mark [!] --mark VALUE[/MASK]`: `(skb->mark & mask) == value`.
///
/// ```
/// use nfsim::model::matches::mark::Mark;
/// use nfsim::model::matches::xtopt::MarkMask;
/// let m = Mark { mark: MarkMask { value: 1, mask: 0xff }, invert: false };
/// assert!(m.mark.matches(0x101));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Value and mask.
    pub mark: MarkMask,
    /// `! --mark`
    pub invert: bool,
}

options!(OPTS = 0 "mark" arg inv mand);

impl Default for Mark {
    fn default() -> Self {
        Mark {
            mark: MarkMask { value: 0, mask: 0 },
            invert: false,
        }
    }
}

impl Extension for Mark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.mark = MarkMask::parse(args.optarg.unwrap_or(""), "mark", "mark")?;
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
