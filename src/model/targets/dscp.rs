//! `-j DSCP` (extensions/libxt_DSCP.c, dscp_helper.c; kernel
//! net/netfilter/xt_DSCP.c `dscp_tg_check`).

use core::fmt;

use super::util::{bad_id, fcheck, parse_uint, require_table, Constraint};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::TableKind;

/// Largest DSCP value (`XT_DSCP_MAX`).
pub const DSCP_MAX: u8 = 0x3f;

/// `-j DSCP`: sets the 6-bit DSCP field.
///
/// ```
/// use nfsim::model::targets::dscp::Dscp;
/// assert_eq!(Dscp { dscp: 0x2e }.dscp << 2, 0xb8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dscp {
    /// The codepoint 0..=0x3f.
    pub dscp: u8,
}

const DS_CLASSES: [(&str, u8); 22] = [
    ("CS0", 0x00),
    ("CS1", 0x08),
    ("CS2", 0x10),
    ("CS3", 0x18),
    ("CS4", 0x20),
    ("CS5", 0x28),
    ("CS6", 0x30),
    ("CS7", 0x38),
    ("BE", 0x00),
    ("AF11", 0x0a),
    ("AF12", 0x0c),
    ("AF13", 0x0e),
    ("AF21", 0x12),
    ("AF22", 0x14),
    ("AF23", 0x16),
    ("AF31", 0x1a),
    ("AF32", 0x1c),
    ("AF33", 0x1e),
    ("AF41", 0x22),
    ("AF42", 0x24),
    ("AF43", 0x26),
    ("EF", 0x2e),
];

/// `class_to_dscp` (dscp_helper.c): the first class name that `name`
/// starts with, case-insensitively.
///
/// ```
/// use nfsim::model::targets::dscp::class_to_dscp;
/// assert_eq!(class_to_dscp("ef"), Ok(0x2e));
/// assert!(class_to_dscp("AF5").is_err());
/// ```
pub fn class_to_dscp(name: &str) -> Result<u8, String> {
    DS_CLASSES
        .iter()
        .find(|(c, _)| {
            name.len() >= c.len() && name.as_bytes()[..c.len()].eq_ignore_ascii_case(c.as_bytes())
        })
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("Invalid DSCP value `{name}'"))
}

const SET: u8 = 0;
const CLASS: u8 = 1;

static OPTS: [OptSpec; 2] = [
    OptSpec::arg("set-dscp", SET),
    OptSpec::arg("set-dscp-class", CLASS),
];

const CONSTRAINTS: [Constraint; 2] = [
    (SET, "set-dscp", 1 << CLASS, 0, false),
    (CLASS, "set-dscp-class", 1 << SET, 0, false),
];

impl Extension for Dscp {
    fn options(_: crate::model::Family) -> &'static [OptSpec] {
        &OPTS
    }
    fn new(_: &ExtCtx<'_>) -> Self {
        Dscp::default()
    }
    fn parse(
        &mut self,
        id: u8,
        _: bool,
        args: &mut Args<'_>,
        _: &ExtCtx<'_>,
    ) -> Result<(), String> {
        match id {
            SET => {
                self.dscp = parse_uint(
                    args.required("DSCP", "set-dscp")?,
                    "DSCP",
                    "set-dscp",
                    0,
                    DSCP_MAX as u64,
                )? as u8
            }
            CLASS => self.dscp = class_to_dscp(args.required("DSCP", "set-dscp-class")?)?,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err("DSCP target: Parameter --set-dscp is required".into());
        }
        fcheck("DSCP", seen, &CONSTRAINTS)
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_DSCP.c: .table = "mangle"; dscp_tg_check: dscp <= XT_DSCP_MAX.
        require_table(ctx, TableKind::Mangle, "DSCP")?;
        if self.dscp > DSCP_MAX {
            return Err(format!("x_tables: DSCP: dscp {:x} out of range", self.dscp));
        }
        Ok(())
    }
    fn save(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        write!(f, " --set-dscp {:#04x}", self.dscp)
    }
}

#[cfg(test)]
mod tests {
    use super::super::util::tests::roundtrip;
    use crate::model::Family;

    #[test]
    fn dscp_roundtrip() {
        let r = |s: &str| roundtrip(Family::Ipv4, "mangle", "FORWARD", s);
        assert_eq!(
            r("-j DSCP --set-dscp 0x00").unwrap(),
            "-j DSCP --set-dscp 0x00"
        );
        assert_eq!(
            r("-j DSCP --set-dscp 63").unwrap(),
            "-j DSCP --set-dscp 0x3f"
        );
        assert_eq!(
            r("-j DSCP --set-dscp-class EF").unwrap(),
            "-j DSCP --set-dscp 0x2e"
        );
        assert!(r("-j DSCP --set-dscp 0x40").is_err());
        assert!(r("-j DSCP --set-dscp 1 --set-dscp-class CS0").is_err());
        assert!(r("-j DSCP").is_err());
    }
}
