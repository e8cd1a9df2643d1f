//! `-m tcp` (net/netfilter/xt_tcpudp.c, extensions/libxt_tcp.c).

use core::fmt;

use super::ports::{parse_port_range, plain_port_range, save_range_buf};
use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_proto, strtoui};

/// `-m tcp`: ports, flags and option presence.
///
/// ```
/// use nfsim::model::matches::tcp::Tcp;
/// let t = Tcp { dports: (22, 22), ..Tcp::default() };
/// assert!(t.dports.0 == 22);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// Source port range (inclusive).
    pub sports: (u16, u16),
    /// Destination port range (inclusive).
    pub dports: (u16, u16),
    /// `!` before `--sport`.
    pub sports_inv: bool,
    /// `!` before `--dport`.
    pub dports_inv: bool,
    /// TCP option kind that must be present (0 = none).
    pub option: u8,
    /// `!` before `--tcp-option`.
    pub option_inv: bool,
    /// Flag mask (`--tcp-flags MASK COMP`, `--syn`).
    pub flg_mask: u8,
    /// Flag value under the mask.
    pub flg_cmp: u8,
    /// `!` before `--tcp-flags` / `--syn`.
    pub flags_inv: bool,
}

impl Default for Tcp {
    fn default() -> Self {
        Tcp {
            sports: (0, 0xffff),
            dports: (0, 0xffff),
            sports_inv: false,
            dports_inv: false,
            option: 0,
            option_inv: false,
            flg_mask: 0,
            flg_cmp: 0,
            flags_inv: false,
        }
    }
}

const TCP_FLAG_NAMES: [(&str, u8); 8] = [
    ("FIN", 0x01),
    ("SYN", 0x02),
    ("RST", 0x04),
    ("PSH", 0x08),
    ("ACK", 0x10),
    ("URG", 0x20),
    ("ALL", 0x3f),
    ("NONE", 0),
];

/// `parse_tcp_flag`: comma-separated names, case-insensitive.
pub(crate) fn parse_tcp_flags(s: &str) -> Result<u8, String> {
    let mut v = 0;
    for name in s.split(',').filter(|n| !n.is_empty()) {
        match TCP_FLAG_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, f)) => v |= f,
            None => return Err(format!("Unknown TCP flag `{name}'")),
        }
    }
    Ok(v)
}

/// `print_tcpf`: names in bit order, `NONE` for zero.
pub(crate) fn write_tcp_flags(f: &mut dyn fmt::Write, mut flags: u8) -> fmt::Result {
    if flags == 0 {
        return f.write_str("NONE");
    }
    let mut first = true;
    while flags != 0 {
        let (name, bit) = TCP_FLAG_NAMES
            .iter()
            .find(|(_, b)| flags & b != 0)
            .copied()
            .unwrap_or(("NONE", flags));
        if !first {
            f.write_str(",")?;
        }
        f.write_str(name)?;
        first = false;
        flags &= !bit;
    }
    Ok(())
}

ids!(SPORT, DPORT, SYN, FLAGS, OPTION);

options! {
    OPTS =
    SPORT "source-port" arg inv multi, SPORT "sport" arg inv multi,
    DPORT "destination-port" arg inv multi, DPORT "dport" arg inv multi, SYN "syn" flag inv multi,
    FLAGS "tcp-flags" arg inv multi, OPTION "tcp-option" arg inv multi,
}

impl Tcp {
    /// [`Extension::parse`] of `--sport`/`--dport` (option `id`, `!`
    /// before it when `invert`) with a plain decimal port or range
    /// ([`plain_port_range`]), the restore fast path's case: `false`, with
    /// nothing changed, for anything else (another option, a service name,
    /// an option given twice), which `parse` reads or refuses.
    #[inline]
    pub(crate) fn parse_plain(&mut self, id: u8, invert: bool, arg: Option<&[u8]>) -> bool {
        let Some(r) = arg.and_then(plain_port_range) else {
            return false;
        };
        match id {
            SPORT if self.sports == (0, 0xffff) && !self.sports_inv => {
                self.sports = r;
                self.sports_inv = invert;
            }
            DPORT if self.dports == (0, 0xffff) && !self.dports_inv => {
                self.dports = r;
                self.dports_inv = invert;
            }
            _ => return false,
        }
        true
    }
}

impl Extension for Tcp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // libxt_tcp.c tcp_parse: old-style parser with its own "only one" checks.
        match args.id {
            SPORT => {
                if self.sports != (0, 0xffff) || self.sports_inv {
                    return Err("Only one `--source-port' allowed".into());
                }
                self.sports = parse_port_range(args.required("tcp", "sport")?, "tcp")?;
                self.sports_inv = args.invert;
            }
            DPORT => {
                if self.dports != (0, 0xffff) || self.dports_inv {
                    return Err("Only one `--destination-port' allowed".into());
                }
                self.dports = parse_port_range(args.required("tcp", "dport")?, "tcp")?;
                self.dports_inv = args.invert;
            }
            SYN | FLAGS => {
                if self.flg_mask != 0 || self.flg_cmp != 0 || self.flags_inv {
                    return Err("Only one of `--syn' or `--tcp-flags'  allowed".into());
                }
                if args.id == SYN {
                    self.flg_mask = 0x17;
                    self.flg_cmp = 0x02;
                } else {
                    let mask = args.required("tcp", "tcp-flags")?;
                    let cmp = args.next_word().ok_or("--tcp-flags requires two args.")?;
                    self.flg_mask = parse_tcp_flags(mask)?;
                    self.flg_cmp = parse_tcp_flags(&cmp)?;
                }
                self.flags_inv = args.invert;
            }
            OPTION => {
                if self.option != 0 || self.option_inv {
                    return Err("Only one `--tcp-option' allowed".into());
                }
                let s = args.required("tcp", "tcp-option")?;
                self.option =
                    strtoui(s, 1, 255).ok_or_else(|| format!("Bad TCP option \"{s}\""))? as u8;
                self.option_inv = args.invert;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_tcpudp.c: the match is registered with .proto = IPPROTO_TCP, so
        // xt_check_match requires `-p tcp` without `!`.
        require_proto(ctx, 6, "tcp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_range_buf(f, " --sport ", self.sports, self.sports_inv)?;
        save_range_buf(f, " --dport ", self.dports, self.dports_inv)?;
        if self.option != 0 || self.option_inv {
            if self.option_inv {
                f.write_str(" !")?;
            }
            write!(f, " --tcp-option {}", self.option)?;
        }
        if self.flg_mask != 0 || self.flags_inv {
            if self.flags_inv {
                f.write_str(" !")?;
            }
            f.write_str(" --tcp-flags ")?;
            write_tcp_flags(f, self.flg_mask)?;
            f.write_str(" ")?;
            write_tcp_flags(f, self.flg_cmp)?;
        }
        Ok(())
    }
}
