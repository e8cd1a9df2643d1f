//! `-j MARK` (extensions/libxt_MARK.c revision 2; kernel
//! net/netfilter/xt_mark.c `mark_tg`: `skb->mark = (skb->mark & ~mask) ^ mark`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, XorOp};

/// `-j MARK`: every form (`--set-mark`, `--and-mark`, ...) is stored as the
/// kernel's revision-2 pair: new mark = `(mark & !mask) ^ value`.
///
/// ```
/// use nfsim::model::targets::mark::Mark;
/// let m = Mark { value: 0x5, mask: 0xffff_ffff };
/// assert_eq!(m.apply(0x1234), 0x5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    /// Bits XORed in after masking.
    pub value: u32,
    /// Bits cleared first.
    pub mask: u32,
}

impl Mark {
    /// The packet mark after this target (xt_mark.c `mark_tg`).
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -j MARK --or-mark 0x4\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Mark(m)) if m.apply(0x1) == 0x5));
    /// ```
    #[inline]
    pub fn apply(&self, mark: u32) -> u32 {
        (mark & !self.mask) ^ self.value
    }
}

ids!(SET_MARK, AND_MARK, OR_MARK, XOR_MARK, SET_XMARK);
const ANY: u64 = 0b11111;

options! {
    OPTS =
    SET_XMARK "set-xmark" arg excl(ANY), SET_MARK "set-mark" arg excl(ANY),
    AND_MARK "and-mark" arg excl(ANY), OR_MARK "or-mark" arg excl(ANY),
    XOR_MARK "xor-mark" arg excl(ANY),
}

const XOPS: [(u8, XorOp); 5] = [
    (SET_XMARK, XorOp::SetX),
    (SET_MARK, XorOp::Set),
    (AND_MARK, XorOp::And),
    (OR_MARK, XorOp::Or),
    (XOR_MARK, XorOp::Xor),
];

impl Extension for Mark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // mark_tg_parse
        let Some(op) = XorOp::of(args.id, &XOPS) else {
            return bad_id();
        };
        (self.value, self.mask) =
            op.parse_mark("MARK", args.opt, args.required("MARK", args.opt)?)?;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err(
                "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required".into(),
            );
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --set-xmark {:#x}/{:#x}", self.value, self.mask)
    }
}
