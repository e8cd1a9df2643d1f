//! `-m dccp` (net/netfilter/xt_dccp.c, extensions/libxt_dccp.c).

use core::fmt;

use super::ports::save_given_range;
use super::ports::service_port;
use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::names::SERVICES;
use crate::model::opt::{bad_id, require_proto, uint, write_inv};

/// `dccp_pkt_types` (libxt_dccp.c), indexed by `DCCP_PKT_*`.
pub const DCCP_TYPES: [&str; 11] = [
    "REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE", "RESET", "SYNC",
    "SYNCACK", "INVALID",
];

/// `DCCP_PKT_INVALID`.
const PKT_INVALID: usize = 10;
/// Types above the known ones, matched with `INVALID`.
const INVALID_OTHER_TYPE_MASK: u16 = 0xf800;

/// `xtables_getportbyname` (libxtables/xtoptions.c): glibc `getaddrinfo`
/// with a service: a decimal number (`strtoul`, truncated to 16 bits as
/// `htons` does) or a service name of any protocol.
fn getportbyname(s: &str) -> Option<u16> {
    let t = s.trim_start_matches([' ', '\t', '\n']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        // strtoul(.., 10); ERANGE saturates.
        let v = t.parse::<u64>().unwrap_or(u64::MAX);
        return Some(v as u16);
    }
    if let Some(p) = service_port(s, "tcp").or_else(|| service_port(s, "udp")) {
        return Some(p);
    }
    SERVICES
        .iter()
        .find(|(n, _, _)| *n == s)
        .map(|(_, p, _)| *p)
}

/// `xtopt_parse_mport` (`XTTYPE_PORTRC`): `P`, `P:`, `:P`, `P:Q`, `:`.
fn parse_mport(ext: &str, opt: &str, s: &str) -> Result<(u16, u16), String> {
    let mut r = [0u16, u16::MAX];
    let mut nvals = 0usize;
    let mut prev = 0u16;
    for part in s.split(':') {
        if nvals == 2 {
            return Err(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)"
            ));
        }
        if part.is_empty() {
            nvals += 1;
            continue;
        }
        let v = getportbyname(part)
            .ok_or_else(|| format!("Port \"{part}\" does not resolve to anything."))?;
        if v < prev {
            return Err(format!("Port range {prev}-{v} is negative."));
        }
        prev = v;
        r[nvals] = v;
        nvals += 1;
    }
    if nvals == 1 {
        r[1] = r[0];
    }
    Ok((r[0], r[1]))
}

/// `-m dccp`: ports, packet types, option (`struct xt_dccp_info`).
///
/// ```
/// use nfsim::model::matches::dccp::Dccp;
/// assert!(Dccp::default().types.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dccp {
    /// `--sport` range and invert flag.
    pub sports: Option<((u16, u16), bool)>,
    /// `--dport` range and invert flag.
    pub dports: Option<((u16, u16), bool)>,
    /// `--dccp-types`: bit per `DCCP_PKT_*` (INVALID also sets 11..=15),
    /// with the invert flag.
    pub types: Option<(u16, bool)>,
    /// `--dccp-option N` (1..=255) with the invert flag.
    pub option: Option<(u8, bool)>,
}

ids!(O_SPORT, O_DPORT, O_TYPES, O_OPTION);

options! {
    OPTS =
    O_SPORT "source-port" arg inv, O_SPORT "sport" arg inv, O_DPORT "destination-port" arg inv,
    O_DPORT "dport" arg inv, O_TYPES "dccp-types" arg inv, O_OPTION "dccp-option" arg inv,
}

/// `parse_dccp_types`.
fn parse_types(s: &str) -> Result<u16, String> {
    let mut mask = 0u16;
    for name in s.split(',').filter(|n| !n.is_empty()) {
        let i = DCCP_TYPES
            .iter()
            .position(|t| t.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("Unknown DCCP type `{name}'"))?;
        mask |= 1 << i;
    }
    if mask & (1 << PKT_INVALID) != 0 {
        mask |= INVALID_OTHER_TYPE_MASK;
    }
    Ok(mask)
}

impl Dccp {
    /// Whether the engine's `dccp_mt` models this rule exactly: with
    /// `! --dccp-option` a hot-drop makes the match *true* while the packet
    /// is still dropped, which the engine cannot express.
    pub(crate) fn evaluable(&self) -> bool {
        self.option.is_none_or(|(_, inv)| !inv)
    }
}

impl Extension for Dccp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_SPORT => {
                let s = args.required("dccp", "sport")?;
                self.sports = Some((parse_mport("dccp", "sport", s)?, args.invert));
            }
            O_DPORT => {
                let s = args.required("dccp", "dport")?;
                self.dports = Some((parse_mport("dccp", "dport", s)?, args.invert));
            }
            O_TYPES => {
                let s = args.required("dccp", "dccp-types")?;
                self.types = Some((parse_types(s)?, args.invert));
            }
            O_OPTION => {
                let s = args.required("dccp", "dccp-option")?;
                self.option = Some((uint("dccp", "dccp-option", s, 1, 255)? as u8, args.invert));
            }
            _ => return bad_id(),
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_dccp.c: dccp_mt_reg has .proto = IPPROTO_DCCP.
        require_proto(ctx, 33, "dccp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_given_range(f, "sport", self.sports)?;
        save_given_range(f, "dport", self.dports)?;
        if let Some((mut types, inv)) = self.types {
            write_inv(f, inv)?;
            f.write_str(" --dccp-types ")?;
            // print_types: names in bit order, stopping after INVALID.
            let mut first = true;
            while types != 0 {
                let i = types.trailing_zeros() as usize;
                if !first {
                    f.write_str(",")?;
                }
                first = false;
                f.write_str(DCCP_TYPES.get(i).copied().unwrap_or("INVALID"))?;
                if i >= PKT_INVALID {
                    break;
                }
                types &= !(1 << i);
            }
        }
        if let Some((o, inv)) = self.option {
            write_inv(f, inv)?;
            write!(f, " --dccp-option {o}")?;
        }
        Ok(())
    }
}
