//! `-m tos` revision 1 (net/netfilter/xt_dscp.c `tos_mt`,
//! extensions/libxt_tos.c, libxtables `XTTYPE_TOSMASK`).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{strtoumax, write_inv};

/// `tos_symbol_names` (libxtables/xtoptions.c).
const TOS_NAMES: [(&str, u8); 5] = [
    ("Minimize-Delay", 0x10),
    ("Maximize-Throughput", 0x08),
    ("Maximize-Reliability", 0x04),
    ("Minimize-Cost", 0x02),
    ("Normal-Service", 0x00),
];

/// `xtopt_parse_tosmask` with `max` as the mask a symbolic name gets
/// (0x3f for revision 1): `VALUE[/MASK]` (each 0..=255) or a name.
pub(crate) fn parse_tos_mask(s: &str, name_mask: u8) -> Result<(u8, u8), String> {
    let illegal = || format!("Illegal value: \"{s}\"");
    if let Some((v, rest)) = strtoumax(s).filter(|(v, _)| *v <= 0xff) {
        // tos_parse_numeric
        if rest.is_empty() {
            return Ok((v as u8, 0xff));
        }
        let m = rest.strip_prefix('/').ok_or_else(illegal)?;
        let (m, rest) = strtoumax(m)
            .filter(|(m, _)| *m <= 0xff)
            .ok_or_else(illegal)?;
        if !rest.is_empty() {
            return Err(illegal());
        }
        return Ok((v as u8, m as u8));
    }
    TOS_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, v)| (*v, name_mask))
        .ok_or_else(|| format!("Symbolic name \"{s}\" is unknown"))
}

/// `-m tos`: `(tos & mask) == value` (`struct xt_tos_match_info`).
///
/// ```
/// use nfsim::model::matches::tos::Tos;
/// let t = Tos { value: 0x10, mask: 0x3f, invert: false };
/// assert_eq!(t.value & t.mask, 0x10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tos {
    /// Value compared after masking.
    pub value: u8,
    /// Mask applied to the TOS / traffic class byte.
    pub mask: u8,
    /// `! --tos`
    pub invert: bool,
}

options!(OPTS = 0 "tos" arg inv mand);

impl Extension for Tos {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let (v, m) = parse_tos_mask(args.required("tos", "tos")?, 0x3f)?;
        self.value = v;
        self.mask = m;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // tos_mt_save
        write_inv(f, self.invert)?;
        write!(f, " --tos 0x{:02x}/0x{:02x}", self.value, self.mask)
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_tos_mask_example() {
        use crate::model::matches::tos::parse_tos_mask;
        assert_eq!(parse_tos_mask("Minimize-Cost", 0x3f), Ok((0x02, 0x3f)));
        assert_eq!(parse_tos_mask("0x0f", 0x3f), Ok((0x0f, 0xff)));
        assert_eq!(parse_tos_mask("4/0x0c", 0x3f), Ok((4, 0x0c)));
    }
}
