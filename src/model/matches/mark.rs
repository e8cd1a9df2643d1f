//! `-m mark` (net/netfilter/xt_mark.c `mark_mt`, extensions/libxt_mark.c,
//! revision 1; the kernel match has no checkentry: any table and hook) and
//! `-m connmark` (net/netfilter/xt_connmark.c `connmark_mt`,
//! extensions/libxt_connmark.c revision 1; `connmark_mt_check` only takes a
//! conntrack reference): one option, one printer.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::MarkMask;

/// `-m mark [!] --mark VALUE[/MASK]` (`CT = false`: `(skb->mark & mask) ==
/// value`) or `-m connmark [!] --mark VALUE[/MASK]` (`CT = true`:
/// `(ct->mark & mask) == value`).
///
/// ```
/// use nfsim::model::matches::mark::Mark;
/// use nfsim::model::matches::xtopt::MarkMask;
/// let m = Mark { mark: MarkMask { value: 1, mask: 0xff }, invert: false };
/// assert!(m.mark.matches(0x101));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkMatch<const CT: bool> {
    /// Value and mask.
    pub mark: MarkMask,
    /// `! --mark`
    pub invert: bool,
}

/// `-m mark`.
pub type Mark = MarkMatch<false>;

options!(OPTS = 0 "mark" arg inv mand);

impl<const CT: bool> Default for MarkMatch<CT> {
    fn default() -> Self {
        MarkMatch {
            mark: MarkMask { value: 0, mask: 0 },
            invert: false,
        }
    }
}

impl<const CT: bool> Extension for MarkMatch<CT> {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let ext = if CT { "connmark" } else { "mark" };
        self.mark = MarkMask::parse(args.optarg.unwrap_or(""), ext, "mark")?;
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
