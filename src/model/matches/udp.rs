//! `-m udp` (net/netfilter/xt_tcpudp.c, extensions/libxt_udp.c).

use core::fmt;

use super::ports::{parse_port_range, plain_port_range, save_range_buf};
use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_proto};

/// `-m udp`: port ranges.
///
/// ```
/// use nfsim::model::matches::udp::Udp;
/// assert_eq!(Udp::default().dports, (0, 65535));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udp {
    /// Source port range.
    pub sports: (u16, u16),
    /// Destination port range.
    pub dports: (u16, u16),
    /// `! --sport`
    pub sports_inv: bool,
    /// `! --dport`
    pub dports_inv: bool,
}

impl Default for Udp {
    fn default() -> Self {
        Udp {
            sports: (0, 0xffff),
            dports: (0, 0xffff),
            sports_inv: false,
            dports_inv: false,
        }
    }
}

options! {
    OPTS =
    0 "source-port" arg inv, 0 "sport" arg inv, 1 "destination-port" arg inv, 1 "dport" arg inv,
}

impl Udp {
    /// [`Extension::parse`] of `--sport` (id 0) or `--dport` (id 1) with a
    /// plain decimal port or range ([`plain_port_range`]), the restore fast
    /// path's case: `false`, with nothing changed, for anything else, which
    /// `parse` reads or refuses.
    #[inline]
    pub(crate) fn parse_plain(&mut self, id: u8, invert: bool, arg: Option<&[u8]>) -> bool {
        let Some(r) = arg.and_then(plain_port_range) else {
            return false;
        };
        match id {
            0 => {
                self.sports = r;
                self.sports_inv = invert;
            }
            1 => {
                self.dports = r;
                self.dports_inv = invert;
            }
            _ => return false,
        }
        true
    }
}

impl Extension for Udp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                self.sports = parse_port_range(args.required("udp", "sport")?, "udp")?;
                self.sports_inv = args.invert;
            }
            1 => {
                self.dports = parse_port_range(args.required("udp", "dport")?, "udp")?;
                self.dports_inv = args.invert;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_proto(ctx, 17, "udp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_range_buf(f, " --sport ", self.sports, self.sports_inv)?;
        save_range_buf(f, " --dport ", self.dports, self.dports_inv)
    }
}
