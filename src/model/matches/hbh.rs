//! `-m hbh` and `-m dst` (net/ipv6/netfilter/ip6t_hbh.c,
//! extensions/libip6t_hbh.c, extensions/libip6t_dst.c): the hop-by-hop and
//! destination options headers share one kernel module and one layout.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoumax, uint, write_inv};

/// Most options `--hbh-opts` / `--dst-opts` take (`IP6T_OPTS_OPTSNR`).
pub const OPTS_NR: usize = 16;

/// One option to look for: type and length; length `0xFF` means any length
/// (the kernel's `(opts & 0x00FF) != 0x00FF` test, so an explicit length
/// 255 is the same as none).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m hbh --hbh-opts 1:0,5\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv6)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::hbh::OptTl;
/// assert!(matches!(&r.matches[0], Match::Hbh(h) if h.opts.as_deref().is_some_and(|o| o[0] == OptTl { kind: 1, len: 0 })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptTl {
    /// Option type.
    pub kind: u8,
    /// Option data length, or 0xFF for any.
    pub len: u8,
}

/// `-m hbh` (`DST = false`) or `-m dst` (`DST = true`): header length and
/// options (`struct ip6t_opts`).
///
/// ```
/// use nfsim::model::matches::hbh::Hbh;
/// assert!(Hbh::default().opts.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtHdrOpts<const DST: bool> {
    /// `--hbh-len N` / `--dst-len N` with its invert flag.
    pub hdrlen: Option<(u32, bool)>,
    /// `--hbh-opts` / `--dst-opts`, in order (at most [`OPTS_NR`]).
    pub opts: Option<Vec<OptTl>>,
}

/// `-m hbh`.
pub type Hbh = ExtHdrOpts<false>;
/// `-m dst`.
pub type Dst = ExtHdrOpts<true>;

options!(HBH_OPTS = 0 "hbh-len" arg inv, 1 "hbh-opts" arg);
options!(DST_OPTS = 0 "dst-len" arg inv, 1 "dst-opts" arg);

/// `parse_opts_num`: `strtoul(s, &end, 0)` (a `-` sign wraps, as in C),
/// the whole string consumed.
fn opts_num(ext: &str, s: &str, what: &str) -> Result<u64, String> {
    let t = s.trim_start_matches([' ', '\t', '\n']);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let Some((v, rest)) = strtoumax(t) else {
        return Err(format!("{ext}: no valid digits in {what} `{s}'"));
    };
    if v == u64::MAX {
        return Err(format!("{what} `{s}' specified too big: would overflow"));
    }
    if !rest.is_empty() {
        return Err(format!("{ext}: error parsing {what} `{s}'"));
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// `parse_options` (libip6t_hbh.c): `TYPE[:LEN][,TYPE[:LEN]...]`.
fn parse_opts(ext: &str, s: &str) -> Result<Vec<OptTl>, String> {
    let mut out = Vec::new();
    for item in s.split(',') {
        if out.len() == OPTS_NR {
            return Err("too many addresses specified".into());
        }
        let (k, l) = match item.split_once(':') {
            Some((k, l)) => {
                if out.len() == OPTS_NR - 1 {
                    return Err("too many ports specified".into());
                }
                (k, Some(l))
            }
            None => (item, None),
        };
        let kind = (opts_num(ext, k, "opt")? & 0xff) as u8;
        let len = match l {
            Some(l) => {
                if kind == 0 {
                    return Err("PAD0 has not got length".into());
                }
                (opts_num(ext, l, "length")? & 0xff) as u8
            }
            None => 0xff,
        };
        out.push(OptTl { kind, len });
    }
    Ok(out)
}

impl<const DST: bool> ExtHdrOpts<DST> {
    const fn name() -> &'static str {
        if DST {
            "dst"
        } else {
            "hbh"
        }
    }
}

impl<const DST: bool> Extension for ExtHdrOpts<DST> {
    fn options(_: crate::model::Family) -> &'static [OptSpec] {
        if DST {
            &DST_OPTS
        } else {
            &HBH_OPTS
        }
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let ext = Self::name();
        let opt = args.opt;
        match args.id {
            0 => {
                let v = uint(ext, opt, args.required(ext, opt)?, 0, u32::MAX.into())?;
                self.hdrlen = Some((v as u32, args.invert));
            }
            1 => self.opts = Some(parse_opts(ext, args.required(ext, opt)?)?),
            _ => return bad_id(),
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        let ext = Self::name();
        if let Some((l, inv)) = self.hdrlen {
            write_inv(f, inv)?;
            write!(f, " --{ext}-len {l}")?;
        }
        if let Some(opts) = &self.opts {
            write!(f, " --{ext}-opts")?;
            for (i, o) in opts.iter().enumerate() {
                f.write_str(if i == 0 { " " } else { "," })?;
                write!(f, "{}", o.kind)?;
                if o.len != 0xff {
                    write!(f, ":{}", o.len)?;
                }
            }
        }
        Ok(())
    }
}
