//! `-m comment` (net/netfilter/xt_comment.c: always matches, no checkentry;
//! extensions/libxt_comment.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{save_string, truncate_c};

/// `XT_MAX_COMMENT_LEN`: the kernel field size (255 bytes and a NUL).
pub const MAX_COMMENT_LEN: usize = 256;

/// `-m comment --comment TEXT`: no effect on matching.
///
/// ```
/// use nfsim::model::matches::comment::Comment;
/// let c = Comment { text: "allow ssh".into() };
/// assert_eq!(c.text.len(), 9);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comment {
    /// The text, at most 255 bytes (iptables cuts longer text, as
    /// `xtopt_parse_string` does with `XTOPT_PUT`; checked against 1.8.9).
    pub text: crate::model::ByteStr,
}

options!(OPTS = 0 "comment" arg mand);

impl Comment {
    /// [`Extension::parse`] of `--comment` (its only option) given its
    /// argument's bytes, without the option cursor: the restore fast
    /// path's case. `false` without an argument.
    #[inline]
    pub(crate) fn parse_plain(&mut self, arg: Option<&[u8]>) -> bool {
        match arg {
            Some(a) => {
                self.text = truncate_c(a, MAX_COMMENT_LEN);
                true
            }
            None => false,
        }
    }
}

impl Extension for Comment {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.text = truncate_c(args.raw.unwrap_or(b""), MAX_COMMENT_LEN);
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        f.write_str(" --comment")?;
        save_string(f, &self.text)
    }
}
