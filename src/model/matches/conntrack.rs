//! `-m conntrack` (net/netfilter/xt_conntrack.c, extensions/libxt_conntrack.c).
//!
//! The kernel has revision 3 (`xt_conntrack_mtinfo3`), so iptables uses the
//! revision 3 options and printer: port options take ranges. The kernel's
//! `conntrack_mt_check` only takes a conntrack reference: no table, hook or
//! protocol restriction.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, parse_name_list, range, HostMask};
use crate::model::text::parse_protocol;

/// A set of conntrack states, defined once for every layer
/// ([`crate::nf::CtStates`]); the parser and printer live here.
///
/// ```
/// use nfsim::model::matches::conntrack::CtStates;
/// let s: CtStates = "new,est".parse().unwrap();
/// assert_eq!(s, CtStates::NEW | CtStates::ESTABLISHED);
/// assert!(s.contains(CtStates::NEW) && !s.contains(CtStates::INVALID));
/// ```
pub use crate::nf::CtStates;

impl CtStates {
    /// Names in the order the parsers try them (libxt_conntrack.c
    /// `conntrack_ps_state`): a name matches when the word is a
    /// case-insensitive prefix of it.
    const PARSE_ORDER: [(&'static str, CtStates); 7] = [
        ("INVALID", Self::INVALID),
        ("NEW", Self::NEW),
        ("ESTABLISHED", Self::ESTABLISHED),
        ("RELATED", Self::RELATED),
        ("UNTRACKED", Self::UNTRACKED),
        ("SNAT", Self::SNAT),
        ("DNAT", Self::DNAT),
    ];
    /// Names in print order (`print_state`).
    const PRINT_ORDER: [(&'static str, CtStates); 7] = [
        ("INVALID", Self::INVALID),
        ("NEW", Self::NEW),
        ("RELATED", Self::RELATED),
        ("ESTABLISHED", Self::ESTABLISHED),
        ("UNTRACKED", Self::UNTRACKED),
        ("SNAT", Self::SNAT),
        ("DNAT", Self::DNAT),
    ];

    /// `conntrack_ps_states`: a comma-separated list (`--ctstate`).
    pub(crate) fn parse_list(arg: &str, opt: &str) -> Result<CtStates, String> {
        let mut m = 0;
        parse_name_list(
            arg,
            &Self::PARSE_ORDER,
            |e| e.0,
            |i| m |= Self::PARSE_ORDER[i].1 .0,
        )
        .map_err(|(rest, _)| format!("Bad {opt} \"{rest}\""))?;
        Ok(CtStates(m))
    }

    /// `print_state`: ` A,B,...` in kernel bit order.
    pub(crate) fn write(self, f: &mut dyn fmt::Write) -> fmt::Result {
        let mut sep = " ";
        for (n, b) in Self::PRINT_ORDER {
            if self.contains(b) {
                write!(f, "{sep}{n}")?;
                sep = ",";
            }
        }
        Ok(())
    }
}

impl core::str::FromStr for CtStates {
    type Err = crate::model::Error;
    /// `--ctstate` text: names separated by commas, each a case-insensitive
    /// prefix of `INVALID`, `NEW`, `ESTABLISHED`, `RELATED`, `UNTRACKED`,
    /// `SNAT`, `DNAT` (libxt_conntrack.c `conntrack_ps_states`).
    ///
    /// ```
    /// use nfsim::model::matches::conntrack::CtStates;
    /// assert_eq!("RELATED,ESTABLISHED".parse::<CtStates>().unwrap(), CtStates::RELATED | CtStates::ESTABLISHED);
    /// assert_eq!("NEWISH".parse::<CtStates>().unwrap_err().to_string(), "Bad ctstate \"NEWISH\"");
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CtStates::parse_list(s, "ctstate")
            .map_err(|m| crate::model::Error::new(crate::model::ErrorKind::Value, m))
    }
}

/// Conntrack status bits (`IPS_*` of `status_mask`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m conntrack --ctstatus ASSURED,CONFIRMED\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::conntrack::CtStatus;
/// assert!(matches!(&r.matches[0], Match::Conntrack(c)
///     if c.status.map(|s| s.value) == Some(CtStatus(CtStatus::ASSURED | CtStatus::CONFIRMED))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CtStatus(pub u32);

impl CtStatus {
    /// `IPS_EXPECTED`
    pub const EXPECTED: u32 = 1 << 0;
    /// `IPS_SEEN_REPLY`
    pub const SEEN_REPLY: u32 = 1 << 1;
    /// `IPS_ASSURED`
    pub const ASSURED: u32 = 1 << 2;
    /// `IPS_CONFIRMED`
    pub const CONFIRMED: u32 = 1 << 3;

    const PARSE_ORDER: [(&'static str, u32); 5] = [
        ("NONE", 0),
        ("EXPECTED", Self::EXPECTED),
        ("SEEN_REPLY", Self::SEEN_REPLY),
        ("ASSURED", Self::ASSURED),
        ("CONFIRMED", Self::CONFIRMED),
    ];

    /// `conntrack_ps_statuses`.
    pub(crate) fn parse_list(arg: &str) -> Result<CtStatus, String> {
        let mut m = 0;
        parse_name_list(
            arg,
            &Self::PARSE_ORDER,
            |e| e.0,
            |i| m |= Self::PARSE_ORDER[i].1,
        )
        .map_err(|(rest, _)| format!("Bad ctstatus \"{rest}\""))?;
        Ok(CtStatus(m))
    }

    /// `print_status`.
    pub(crate) fn write(self, f: &mut dyn fmt::Write) -> fmt::Result {
        let mut sep = " ";
        for (n, b) in &Self::PARSE_ORDER[1..] {
            if self.0 & b != 0 {
                write!(f, "{sep}{n}")?;
                sep = ",";
            }
        }
        if self.0 == 0 {
            write!(f, "{sep}NONE")?;
        }
        Ok(())
    }
}

/// A tested value with its `!` (the option toolkit's, shared by the
/// matches).
pub use crate::model::opt::Inv;

/// Packet direction relative to the connection (`--ctdir`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m conntrack --ctdir REPLY\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::conntrack::CtDir;
/// assert!(matches!(&r.matches[0], Match::Conntrack(c) if c.dir == Some(CtDir::Reply)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtDir {
    /// `ORIGINAL`
    Original,
    /// `REPLY`
    Reply,
}

/// `-m conntrack` (revision 3): every test is optional; all given tests
/// must hold.
///
/// ```
/// use nfsim::model::matches::conntrack::{Conntrack, CtStates};
/// let c = Conntrack::default();
/// assert!(c.state.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conntrack {
    /// `--ctstate`
    pub state: Option<Inv<CtStates>>,
    /// `--ctproto` (never 0)
    pub proto: Option<Inv<u8>>,
    /// `--ctorigsrc`
    pub orig_src: Option<Inv<HostMask>>,
    /// `--ctorigdst`
    pub orig_dst: Option<Inv<HostMask>>,
    /// `--ctreplsrc`
    pub repl_src: Option<Inv<HostMask>>,
    /// `--ctrepldst`
    pub repl_dst: Option<Inv<HostMask>>,
    /// `--ctorigsrcport` (inclusive range)
    pub orig_src_port: Option<Inv<(u16, u16)>>,
    /// `--ctorigdstport`
    pub orig_dst_port: Option<Inv<(u16, u16)>>,
    /// `--ctreplsrcport`
    pub repl_src_port: Option<Inv<(u16, u16)>>,
    /// `--ctrepldstport`
    pub repl_dst_port: Option<Inv<(u16, u16)>>,
    /// `--ctstatus`
    pub status: Option<Inv<CtStatus>>,
    /// `--ctexpire` (seconds, inclusive range)
    pub expire: Option<Inv<(u32, u32)>>,
    /// `--ctdir`
    pub dir: Option<CtDir>,
}

ids! {
    CTSTATE, CTPROTO, ORIGSRC, ORIGDST, REPLSRC, REPLDST, ORIGSRCPORT, ORIGDSTPORT, REPLSRCPORT,
    REPLDSTPORT, CTSTATUS, CTEXPIRE, CTDIR,
}

options! {
    OPTS =
    CTSTATE "ctstate" arg inv, CTPROTO "ctproto" arg inv, ORIGSRC "ctorigsrc" arg inv,
    ORIGDST "ctorigdst" arg inv, REPLSRC "ctreplsrc" arg inv, REPLDST "ctrepldst" arg inv,
    CTSTATUS "ctstatus" arg inv, CTEXPIRE "ctexpire" arg inv, ORIGSRCPORT "ctorigsrcport" arg inv,
    ORIGDSTPORT "ctorigdstport" arg inv, REPLSRCPORT "ctreplsrcport" arg inv,
    REPLDSTPORT "ctrepldstport" arg inv, CTDIR "ctdir" arg,
}

/// `XTTYPE_PORTRC` (`xtopt_parse_mport`): `P`, `P:Q`, `:Q`, `P:`, `:`;
/// service names are looked up for any protocol (`getaddrinfo` without a
/// socket type), numbers `0..=65535`.
pub(crate) fn parse_port_rc(s: &str) -> Result<(u16, u16), String> {
    let mut r = [0u16, u16::MAX];
    let mut n = 0usize;
    let mut prev = 0u16;
    for part in s.split(':') {
        if n == 2 {
            return Err(format!(
                "conntrack: Too many components for option \"{s}\" (max: 2)"
            ));
        }
        if part.is_empty() {
            n += 1;
            continue;
        }
        let v = port_by_name(part)
            .ok_or_else(|| format!("Port \"{part}\" does not resolve to anything."))?;
        if v < prev {
            return Err(format!("Port range {prev}-{v} is negative."));
        }
        prev = v;
        r[n] = v;
        n += 1;
    }
    if n == 1 {
        r[1] = r[0];
    }
    Ok((r[0], r[1]))
}

/// `xtables_getportbyname`: `getaddrinfo(NULL, s)` reads a numeric service
/// with `strtoul(s, &end, 10)` (leading blanks and `+` allowed, no `-`) and
/// keeps the low 16 bits (`70000` is port 4464, as iptables 1.8.9 shows);
/// otherwise a service name of any protocol.
fn port_by_name(s: &str) -> Option<u16> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let t = t.strip_prefix('+').unwrap_or(t);
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().ok().map(|v| v as u16);
    }
    crate::model::names::SERVICES
        .iter()
        .find(|(n, _, _)| *n == s)
        .map(|(_, p, _)| *p)
}

impl Extension for Conntrack {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // libxt_conntrack.c conntrack_mt_parse (revision 3).
        let arg = args.optarg.unwrap_or("");
        let fam = args.ctx.family;
        let host = |opt: &str| -> Result<Option<Inv<HostMask>>, String> {
            Ok(Some(Inv {
                value: HostMask::parse(arg, fam, "conntrack", opt)?,
                invert: args.invert,
            }))
        };
        let port = || -> Result<Option<Inv<(u16, u16)>>, String> {
            Ok(Some(Inv {
                value: parse_port_rc(arg)?,
                invert: args.invert,
            }))
        };
        match args.id {
            CTSTATE => {
                self.state = Some(Inv {
                    value: CtStates::parse_list(arg, "ctstate")?,
                    invert: args.invert,
                })
            }
            CTPROTO => {
                let p = parse_protocol(arg)?;
                if p == 0 {
                    return Err(if args.invert {
                        "conntrack: condition would always match protocol".into()
                    } else {
                        "conntrack: rule would never match protocol".into()
                    });
                }
                self.proto = Some(Inv {
                    value: p,
                    invert: args.invert,
                });
            }
            ORIGSRC => self.orig_src = host("ctorigsrc")?,
            ORIGDST => self.orig_dst = host("ctorigdst")?,
            REPLSRC => self.repl_src = host("ctreplsrc")?,
            REPLDST => self.repl_dst = host("ctrepldst")?,
            ORIGSRCPORT => self.orig_src_port = port()?,
            ORIGDSTPORT => self.orig_dst_port = port()?,
            REPLSRCPORT => self.repl_src_port = port()?,
            REPLDSTPORT => self.repl_dst_port = port()?,
            CTSTATUS => {
                self.status = Some(Inv {
                    value: CtStatus::parse_list(arg)?,
                    invert: args.invert,
                })
            }
            CTEXPIRE => {
                let (lo, hi, _) = range("conntrack", "ctexpire", arg, 0, u32::MAX as u64)?;
                self.expire = Some(Inv {
                    value: (lo as u32, hi as u32),
                    invert: args.invert,
                });
            }
            CTDIR => {
                self.dir = Some(if arg.eq_ignore_ascii_case("ORIGINAL") {
                    CtDir::Original
                } else if arg.eq_ignore_ascii_case("REPLY") {
                    CtDir::Reply
                } else {
                    return Err(format!(
                        "conntrack: Bad value for \"--ctdir\" option: \"{arg}\""
                    ));
                })
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "conntrack: At least one option is required")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_conntrack.c conntrack_dump with prefix "--", numeric, v3.
        let inv = |f: &mut dyn fmt::Write, i: bool| if i { f.write_str(" !") } else { Ok(()) };
        if let Some(s) = &self.state {
            inv(f, s.invert)?;
            f.write_str(" --ctstate")?;
            s.value.write(f)?;
        }
        if let Some(p) = &self.proto {
            inv(f, p.invert)?;
            write!(f, " --ctproto {}", p.value)?;
        }
        for (name, a) in [
            ("ctorigsrc", &self.orig_src),
            ("ctorigdst", &self.orig_dst),
            ("ctreplsrc", &self.repl_src),
            ("ctrepldst", &self.repl_dst),
        ] {
            if let Some(a) = a {
                inv(f, a.invert)?;
                write!(f, " --{name} {}", a.value)?;
            }
        }
        for (name, p) in [
            ("ctorigsrcport", &self.orig_src_port),
            ("ctorigdstport", &self.orig_dst_port),
            ("ctreplsrcport", &self.repl_src_port),
            ("ctrepldstport", &self.repl_dst_port),
        ] {
            if let Some(p) = p {
                inv(f, p.invert)?;
                let (lo, hi) = p.value;
                // conntrack_dump_ports: a high port of 0 prints as a single port.
                if hi == 0 || lo == hi {
                    write!(f, " --{name} {lo}")?;
                } else {
                    write!(f, " --{name} {lo}:{hi}")?;
                }
            }
        }
        if let Some(s) = &self.status {
            inv(f, s.invert)?;
            f.write_str(" --ctstatus")?;
            s.value.write(f)?;
        }
        if let Some(e) = &self.expire {
            inv(f, e.invert)?;
            let (lo, hi) = e.value;
            if lo == hi {
                write!(f, " --ctexpire {lo}")?;
            } else {
                write!(f, " --ctexpire {lo}:{hi}")?;
            }
        }
        match self.dir {
            Some(CtDir::Reply) => f.write_str(" --ctdir REPLY")?,
            Some(CtDir::Original) => f.write_str(" --ctdir ORIGINAL")?,
            None => {}
        }
        Ok(())
    }
}
