//! `-m dscp` (net/netfilter/xt_dscp.c `dscp_mt`, extensions/libxt_dscp.c,
//! extensions/dscp_helper.c).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, uint, write_inv};

/// `ds_classes` (dscp_helper.c), in lookup order.
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

/// `class_to_dscp` (dscp_helper.c): the first class whose name starts the
/// argument (case-insensitive).
pub(crate) fn class_to_dscp(name: &str) -> Result<u8, String> {
    DS_CLASSES
        .iter()
        .find(|(c, _)| {
            name.len() >= c.len() && name.as_bytes()[..c.len()].eq_ignore_ascii_case(c.as_bytes())
        })
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("Invalid DSCP value `{name}'"))
}

/// The largest DSCP value (`XT_DSCP_MAX`).
pub const DSCP_MAX: u8 = 0x3f;

/// `-m dscp`: the 6-bit DSCP field equals `dscp` (`struct xt_dscp_info`).
///
/// ```
/// use nfsim::model::matches::dscp::Dscp;
/// assert_eq!(Dscp { dscp: 0x2e, invert: false }.dscp << 2, 0xb8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dscp {
    /// DSCP codepoint (0..=63).
    pub dscp: u8,
    /// `! --dscp` / `! --dscp-class`
    pub invert: bool,
}

ids!(O_DSCP, O_CLASS);

options!(OPTS = O_DSCP "dscp" arg inv, O_CLASS "dscp-class" arg inv);

impl Extension for Dscp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_DSCP => {
                let s = args.required("dscp", "dscp")?;
                self.dscp = uint("dscp", "dscp", s, 0, DSCP_MAX.into())? as u8;
            }
            O_CLASS => self.dscp = class_to_dscp(args.required("dscp", "dscp-class")?)?,
            _ => return bad_id(),
        }
        if args.invert {
            self.invert = true;
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        exclusive("dscp", seen, (O_DSCP, "dscp"), (O_CLASS, "dscp-class"))?;
        if seen == 0 {
            return Err("DSCP match: Parameter --dscp is required".into());
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_dscp.c dscp_mt_check: dscp > XT_DSCP_MAX is -EDOM.
        if self.dscp > DSCP_MAX {
            return Err(format!("x_tables: dscp {:x} out of range", self.dscp));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        write!(f, " --dscp 0x{:02x}", self.dscp)
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn class_to_dscp_example() {
        use crate::model::matches::dscp::class_to_dscp;
        assert_eq!(class_to_dscp("ef"), Ok(0x2e));
        assert!(class_to_dscp("AF1").is_err());
    }
}
