//! `-j TOS` (extensions/libxt_TOS.c revision 1; kernel
//! net/netfilter/xt_DSCP.c `tos_tg`: `tos = (tos & !mask) ^ value`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, require_table, strtoui_end, uint, XorOp};
use crate::model::TableKind;

/// `-j TOS`: new TOS byte = `(tos & !mask) ^ value`.
///
/// ```
/// use nfsim::model::targets::tos::Tos;
/// let t = Tos { value: 0x10, mask: 0x3f };
/// assert_eq!(t.apply(0xff), 0xd0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tos {
    /// Bits XORed in.
    pub value: u8,
    /// Bits cleared first.
    pub mask: u8,
}

impl Tos {
    /// The TOS byte after this target.
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -j TOS --set-tos 0x10\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Tos(t)) if t.apply(0x08) == 0x10));
    /// ```
    #[inline]
    pub fn apply(&self, tos: u8) -> u8 {
        (tos & !self.mask) ^ self.value
    }
}

ids!(SET, AND, OR, XOR);
const ANY: u64 = 0b1111;

options! {
    OPTS =
    SET "set-tos" arg excl(ANY), AND "and-tos" arg excl(ANY), OR "or-tos" arg excl(ANY),
    XOR "xor-tos" arg excl(ANY),
}

const XOPS: [(u8, XorOp); 4] = [
    (SET, XorOp::SetX),
    (AND, XorOp::And),
    (OR, XorOp::Or),
    (XOR, XorOp::Xor),
];

const TOS_NAMES: [(&str, u8); 5] = [
    ("Minimize-Delay", 0x10),
    ("Maximize-Throughput", 0x08),
    ("Maximize-Reliability", 0x04),
    ("Minimize-Cost", 0x02),
    ("Normal-Service", 0x00),
];

/// `xtopt_parse_tosmask` (libxtables/xtoptions.c): `VALUE[/MASK]` (mask
/// defaults to 0xff) or a symbolic name (mask `name_mask`).
pub(crate) fn parse_tos_mask(s: &str, name_mask: u8) -> Result<(u8, u8), String> {
    if let Some((v, end)) = strtoui_end(s, 0, 255) {
        // tos_parse_numeric
        let illegal = || format!("Illegal value: \"{s}\"");
        let mut mask = 0xff;
        let mut end = end;
        if let Some(m) = end.strip_prefix('/') {
            let (mv, e) = strtoui_end(m, 0, 255).ok_or_else(illegal)?;
            mask = mv as u8;
            end = e;
        }
        if !end.is_empty() {
            return Err(illegal());
        }
        return Ok((v as u8, mask));
    }
    TOS_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, v)| (*v, name_mask))
        .ok_or_else(|| format!("Symbolic name \"{s}\" is unknown"))
}

impl Extension for Tos {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("TOS", name)?;
        // tos_tg_parse
        let Some(op) = XorOp::of(args.id, &XOPS) else {
            return bad_id();
        };
        let vm = match op {
            XorOp::SetX => parse_tos_mask(s, 0x3f)?,
            _ => (uint("TOS", name, s, 0, 255)? as u8, 0),
        };
        let (v, m) = op.pair((vm.0.into(), vm.1.into()));
        (self.value, self.mask) = (v as u8, m as u8);
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen & ANY, "TOS: An action is required")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_DSCP.c: TOS revision 1 has .table = "mangle".
        require_table(ctx, TableKind::Mangle, "TOS")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --set-tos {:#04x}/{:#04x}", self.value, self.mask)
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_tos_mask_example() {
        use crate::model::targets::tos::parse_tos_mask;
        assert_eq!(parse_tos_mask("0x1f", 0x3f), Ok((0x1f, 0xff)));
        assert_eq!(parse_tos_mask("minimize-delay", 0x3f), Ok((0x10, 0x3f)));
    }
}
