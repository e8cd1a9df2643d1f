//! `-m policy` (net/netfilter/xt_policy.c, extensions/libxt_policy.c): the
//! IPsec policy used for decapsulation (`--dir in`) or to be used for
//! encapsulation (`--dir out`).
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (the simulator has no IPsec; a future version could treat
//! `--pol none` as always true).

use core::fmt;

use super::ipvs::{parse_hostmask, write_hostmask, HostMask};
use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::names::PROTOCOLS;
use crate::model::opt::{bad_id, uint, write_inv};
use crate::model::text::parse_protocol;
use crate::model::{Family, Hook};

/// `XT_POLICY_MAX_ELEM`.
pub const MAX_ELEM: usize = 4;

/// IPsec mode (`XT_POLICY_MODE_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m policy --dir in --pol ipsec --mode tunnel\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::policy::Mode;
/// assert!(matches!(&r.matches[0], Match::Policy(p) if p.elems[0].mode == Some((Mode::Tunnel, false))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `transport` (0, also the value of an element without `--mode`).
    #[default]
    Transport,
    /// `tunnel` (1).
    Tunnel,
}

/// One policy element; each test is `(value, inverted)`.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m policy --dir in --pol ipsec --strict --reqid 1 --next --spi 0x10\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Policy(p)
///     if p.elems.len() == 2 && p.elems[0].reqid == Some((1, false)) && p.elems[1].spi == Some((16, false))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Elem {
    /// `--reqid`
    pub reqid: Option<(u32, bool)>,
    /// `--spi`
    pub spi: Option<(u32, bool)>,
    /// `--proto` (50 ESP, 51 AH, 108 IPComp)
    pub proto: Option<(u8, bool)>,
    /// `--mode`
    pub mode: Option<(Mode, bool)>,
    /// `--tunnel-src` (address not masked, as iptables stores it)
    pub saddr: Option<(HostMask, bool)>,
    /// `--tunnel-dst`
    pub daddr: Option<(HostMask, bool)>,
}

impl Elem {
    fn is_empty(&self) -> bool {
        *self == Elem::default()
    }
}

/// `-m policy --dir in|out --pol none|ipsec [--strict] ELEMENT [--next ELEMENT]...`.
///
/// ```
/// use nfsim::model::matches::policy::Policy;
/// assert!(Policy::default().elems.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// `--dir`: `Some(true)` = in (`XT_POLICY_MATCH_IN`), `Some(false)` = out.
    pub dir_in: Option<bool>,
    /// `--pol none` (`XT_POLICY_MATCH_NONE`); `false` = `ipsec`.
    pub none: bool,
    /// `--strict`
    pub strict: bool,
    /// The elements (the last one is open while parsing).
    pub elems: Vec<Elem>,
    /// The family, for printing addresses.
    pub family: Option<Family>,
}

ids!(DIR, POL, STRICT, REQID, SPI, PROTO, MODE, TSRC, TDST, NEXT);

options! {
    OPTS =
    DIR "dir" arg, POL "pol" arg, STRICT "strict" flag, REQID "reqid" arg inv multi,
    SPI "spi" arg inv multi, TSRC "tunnel-src" arg inv multi, TDST "tunnel-dst" arg inv multi,
    PROTO "proto" arg inv multi, MODE "mode" arg inv multi, NEXT "next" flag multi,
}

fn set<T>(slot: &mut Option<(T, bool)>, v: T, inv: bool, name: &str) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("policy match: double --{name} option"));
    }
    *slot = Some((v, inv));
    Ok(())
}

impl Extension for Policy {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn new_as(_: &str, ctx: &ExtCtx<'_>) -> Self {
        Policy {
            elems: vec![Elem::default()],
            family: Some(ctx.family),
            ..Policy::default()
        }
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        if self.elems.is_empty() {
            self.elems.push(Elem::default());
        }
        let last = self.elems.len() - 1;
        let e = &mut self.elems[last];
        match args.id {
            DIR => {
                let s = args.required("policy", "dir")?;
                self.dir_in = Some(match s {
                    "in" => true,
                    "out" => false,
                    _ => return Err(format!("policy_match: invalid dir \"{s}\"")),
                });
            }
            POL => {
                let s = args.required("policy", "pol")?;
                self.none = match s {
                    "none" => true,
                    "ipsec" => false,
                    _ => return Err(format!("policy match: invalid policy \"{s}\"")),
                };
            }
            STRICT => self.strict = true,
            REQID | SPI => {
                let name = if args.id == REQID { "reqid" } else { "spi" };
                let v = uint(
                    "policy",
                    name,
                    args.required("policy", name)?,
                    0,
                    u32::MAX.into(),
                )? as u32;
                set(
                    if args.id == REQID {
                        &mut e.reqid
                    } else {
                        &mut e.spi
                    },
                    v,
                    args.invert,
                    name,
                )?;
            }
            TSRC | TDST => {
                let name = if args.id == TSRC {
                    "tunnel-src"
                } else {
                    "tunnel-dst"
                };
                let h = parse_hostmask(
                    args.required("policy", name)?,
                    args.ctx.family,
                    "policy",
                    name,
                )?;
                set(
                    if args.id == TSRC {
                        &mut e.saddr
                    } else {
                        &mut e.daddr
                    },
                    h,
                    args.invert,
                    name,
                )?;
            }
            PROTO => {
                if e.proto.is_some() {
                    return Err("policy match: double --proto option".into());
                }
                let p = parse_protocol(args.required("policy", "proto")?)?;
                if !matches!(p, 50 | 51 | 108) {
                    return Err("policy match: protocol must be ah/esp/ipcomp".into());
                }
                e.proto = Some((p, args.invert));
            }
            MODE => {
                if e.mode.is_some() {
                    return Err("policy match: double --mode option".into());
                }
                let s = args.required("policy", "mode")?;
                let m = match s {
                    "transport" => Mode::Transport,
                    "tunnel" => Mode::Tunnel,
                    _ => return Err(format!("policy match: invalid mode \"{s}\"")),
                };
                e.mode = Some((m, args.invert));
            }
            NEXT => {
                if self.elems.len() == MAX_ELEM {
                    return Err("policy match: maximum policy depth reached".into());
                }
                self.elems.push(Elem::default());
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // xtables_options_fcheck: --next has .also = F_STRICT.
        if seen & (1 << NEXT) != 0 && seen & (1 << STRICT) == 0 {
            return Err("policy: option \"--next\" also requires \"--strict\".".into());
        }
        // libxt_policy.c policy_check
        if self.dir_in.is_none() {
            return Err("policy match: neither --dir in nor --dir out specified".into());
        }
        if self.none {
            if self.strict {
                return Err("policy match: policy none but --strict given".into());
            }
            // "info->len != 0": any --next given.
            if self.elems.len() > 1 {
                return Err("policy match: policy none but policy given".into());
            }
            // len stays 0: the (possibly filled) first element is ignored.
            self.elems.clear();
        }
        for (i, e) in self.elems.iter().enumerate() {
            if self.strict && e.is_empty() {
                return Err(format!("policy match: empty policy element {i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required."));
            }
            let (mode, inv) = e.mode.unwrap_or((Mode::Transport, false));
            if (e.saddr.is_some() || e.daddr.is_some())
                && ((mode == Mode::Tunnel && inv) || (mode == Mode::Transport && !inv))
            {
                return Err(
                    "policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode".into(),
                );
            }
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_policy.c policy_mt_check
        let dir_in = self
            .dir_in
            .ok_or("xt_policy: neither incoming nor outgoing policy selected")?;
        let in_hooks = Hook::PreRouting.bit() | Hook::LocalIn.bit();
        let out_hooks = Hook::PostRouting.bit() | Hook::LocalOut.bit();
        if !dir_in && ctx.hooks & in_hooks != 0 {
            return Err("xt_policy: output policy not valid in PREROUTING and INPUT".into());
        }
        if dir_in && ctx.hooks & out_hooks != 0 {
            return Err("xt_policy: input policy not valid in POSTROUTING and OUTPUT".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_policy.c print_flags, print_entry
        f.write_str(if self.dir_in == Some(true) {
            " --dir in"
        } else {
            " --dir out"
        })?;
        f.write_str(if self.none {
            " --pol none"
        } else {
            " --pol ipsec"
        })?;
        if self.strict {
            f.write_str(" --strict")?;
        }
        let family = self.family.unwrap_or(Family::Ipv4);
        for (i, e) in self.elems.iter().enumerate() {
            if let Some((v, inv)) = e.reqid {
                write_inv(f, inv)?;
                write!(f, " --reqid {v}")?;
            }
            if let Some((v, inv)) = e.spi {
                write_inv(f, inv)?;
                write!(f, " --spi {v:#x}")?;
            }
            if let Some((p, inv)) = e.proto {
                write_inv(f, inv)?;
                match PROTOCOLS.iter().find(|(_, n, _)| *n == p) {
                    Some((name, _, _)) => write!(f, " --proto {name}")?,
                    None => write!(f, " --proto {p}")?,
                }
            }
            if let Some((m, inv)) = e.mode {
                write_inv(f, inv)?;
                f.write_str(match m {
                    Mode::Transport => " --mode transport",
                    Mode::Tunnel => " --mode tunnel",
                })?;
            }
            for (a, name) in [(&e.daddr, "tunnel-dst"), (&e.saddr, "tunnel-src")] {
                if let Some((h, inv)) = a {
                    write_inv(f, *inv)?;
                    write!(f, " --{name} ")?;
                    write_hostmask(f, h, family)?;
                }
            }
            if i + 1 < self.elems.len() {
                f.write_str(" --next")?;
            }
        }
        Ok(())
    }
}
