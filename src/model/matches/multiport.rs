//! `-m multiport` (net/netfilter/xt_multiport.c, extensions/libxt_multiport.c,
//! revision 1: ranges and `!`).

use core::fmt;

use super::ports::parse_port;
use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::bad_id;

/// Which ports `-m multiport` compares.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p tcp -m multiport --dports 80,443\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::multiport::MultiportDir;
/// assert!(matches!(&r.matches[0], Match::Multiport(m) if m.dir == MultiportDir::Destination));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiportDir {
    /// `--sports` (`XT_MULTIPORT_SOURCE`)
    Source,
    /// `--dports` (`XT_MULTIPORT_DESTINATION`)
    Destination,
    /// `--ports`: source or destination (`XT_MULTIPORT_EITHER`)
    Either,
}

/// `XT_MULTI_PORTS`: port slots in the kernel structure (a range takes two).
pub const MULTI_PORTS: usize = 15;

/// `-m multiport [!] --sports|--dports|--ports LIST`.
///
/// ```
/// use nfsim::model::matches::multiport::{Multiport, MultiportDir};
/// let m = Multiport { dir: MultiportDir::Destination, ports: vec![(22, 22), (1024, 65535)], invert: false };
/// assert!(m.ports.iter().any(|(lo, hi)| (*lo..=*hi).contains(&2000)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multiport {
    /// Which ports are compared.
    pub dir: MultiportDir,
    /// Ports and inclusive ranges (a single port is `(p, p)`; a range has
    /// `lo < hi`), at most [`MULTI_PORTS`] slots in all.
    pub ports: Vec<(u16, u16)>,
    /// `!`
    pub invert: bool,
}

options! {
    OPTS =
    0 "source-ports" arg inv, 0 "sports" arg inv, 1 "destination-ports" arg inv,
    1 "dports" arg inv, 2 "ports" arg inv,
}

fn proto_name(p: u8) -> Option<&'static str> {
    Some(match p {
        6 => "tcp",
        17 => "udp",
        136 => "udplite",
        132 => "sctp",
        33 => "dccp",
        _ => return None,
    })
}

/// libxt_multiport.c `check_proto`.
fn check_proto(proto: u8, inv: bool) -> Result<&'static str, String> {
    const ONLY: &str = "multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP";
    if inv {
        return Err(ONLY.into());
    }
    match proto_name(proto) {
        Some(n) => Ok(n),
        None if proto == 0 => {
            Err("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'".into())
        }
        None => Err(ONLY.into()),
    }
}

/// `parse_multi_ports_v1`.
fn parse_ports(s: &str, proto: &str) -> Result<Vec<(u16, u16)>, String> {
    let mut out = Vec::new();
    let mut slots = 0usize;
    let mut rest = Some(s);
    while let Some(cur) = rest {
        if slots >= MULTI_PORTS {
            return Err("too many ports specified".into());
        }
        let (item, next) = match cur.split_once(',') {
            Some((a, b)) => (a, Some(b)),
            None => (cur, None),
        };
        rest = next;
        match item.split_once(':') {
            Some((a, b)) => {
                if slots == MULTI_PORTS - 1 {
                    return Err("too many ports specified".into());
                }
                let lo = parse_port(a, proto)?;
                let hi = parse_port(b, proto)?;
                if lo >= hi {
                    return Err("invalid portrange specified".into());
                }
                out.push((lo, hi));
                slots += 2;
            }
            None => {
                let p = parse_port(item, proto)?;
                out.push((p, p));
                slots += 1;
            }
        }
    }
    Ok(out)
}

impl Default for Multiport {
    fn default() -> Self {
        Multiport {
            dir: MultiportDir::Source,
            ports: Vec::new(),
            invert: false,
        }
    }
}

impl Extension for Multiport {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let proto = check_proto(args.ctx.proto, args.ctx.proto_inv)?;
        self.dir = match args.id {
            0 => MultiportDir::Source,
            1 => MultiportDir::Destination,
            2 => MultiportDir::Either,
            _ => return bad_id(),
        };
        self.ports = parse_ports(args.optarg.unwrap_or(""), proto)?;
        if args.invert {
            self.invert = true;
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err("no ports specified".into());
        }
        // The options exclude each other (xtables_option_fcheck2, table order).
        const NAMES: [&str; 3] = ["source-ports", "destination-ports", "ports"];
        for a in 0..3u8 {
            for b in 0..3u8 {
                if a != b && seen & (1 << a) != 0 && seen & (1 << b) != 0 {
                    return Err(format!(
                        "multiport: option \"--{}\" cannot be used together with \"--{}\".",
                        NAMES[a as usize], NAMES[b as usize]
                    ));
                }
            }
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_multiport.c multiport_mt_check / check(): supported protocol,
        // not inverted, at most XT_MULTI_PORTS slots.
        if proto_name(ctx.proto).is_none() || ctx.proto_inv {
            return Err("x_tables: multiport match: invalid protocol".into());
        }
        let slots: usize = self
            .ports
            .iter()
            .map(|(lo, hi)| if lo == hi { 1 } else { 2 })
            .sum();
        if slots > MULTI_PORTS {
            return Err("x_tables: multiport match: too many ports".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        f.write_str(match self.dir {
            MultiportDir::Source => " --sports ",
            MultiportDir::Destination => " --dports ",
            MultiportDir::Either => " --ports ",
        })?;
        for (i, (lo, hi)) in self.ports.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}:{hi}")?;
            }
        }
        Ok(())
    }
}
