//! `-m rt` (net/ipv6/netfilter/ip6t_rt.c, extensions/libip6t_rt.c).

use core::fmt;
use std::net::Ipv6Addr;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{bad_id, range, uint, write_inv, write_range};
use crate::model::text::addr::{ipv6_ntop, parse_ipv6};

/// Most addresses `--rt-0-addrs` takes (`IP6T_RT_HOPS`).
pub const RT_HOPS: usize = 16;

/// `-m rt`: IPv6 routing header fields (`struct ip6t_rt`).
///
/// ```
/// use nfsim::model::matches::rt::Rt;
/// assert_eq!(Rt::default().segsleft, (0, u32::MAX));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rt {
    /// `--rt-type N` with its invert flag.
    pub rt_type: Option<(u32, bool)>,
    /// Segments-left range (inclusive).
    pub segsleft: (u32, u32),
    /// `! --rt-segsleft`
    pub segsleft_inv: bool,
    /// `--rt-len N` with its invert flag.
    pub hdrlen: Option<(u32, bool)>,
    /// `--rt-0-res`: reserved field must be zero (type 0 only).
    pub res: bool,
    /// `--rt-0-addrs A,B,...` (type 0 only), at most [`RT_HOPS`].
    pub addrs: Option<Vec<Ipv6Addr>>,
    /// `--rt-0-not-strict`: the addresses need not be the first ones.
    pub not_strict: bool,
}

impl Default for Rt {
    fn default() -> Self {
        Rt {
            rt_type: None,
            segsleft: (0, u32::MAX),
            segsleft_inv: false,
            hdrlen: None,
            res: false,
            addrs: None,
            not_strict: false,
        }
    }
}

ids!(O_TYPE, O_SEGSLEFT, O_LEN, O_RES, O_ADDRS, O_NSTRICT);

options! {
    OPTS =
    O_TYPE "rt-type" arg inv, O_SEGSLEFT "rt-segsleft" arg inv, O_LEN "rt-len" arg inv,
    O_RES "rt-0-res" flag, O_ADDRS "rt-0-addrs" arg, O_NSTRICT "rt-0-not-strict" flag,
}

impl Rt {
    /// Whether `--rt-type 0` (not inverted) was given (rt_parse's condition
    /// for the `--rt-0-*` options, also ip6t_rt.c `rt_mt6_check`).
    fn is_type0(&self) -> bool {
        self.rt_type == Some((0, false))
    }
}

impl Extension for Rt {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            O_TYPE => {
                let s = args.required("rt", "rt-type")?;
                self.rt_type = Some((
                    uint("rt", "rt-type", s, 0, u32::MAX.into())? as u32,
                    args.invert,
                ));
            }
            O_SEGSLEFT => {
                let s = args.required("rt", "rt-segsleft")?;
                let (lo, hi, _) = range("rt", "rt-segsleft", s, 0, u32::MAX.into())?;
                self.segsleft = (lo as u32, hi as u32);
                if args.invert {
                    self.segsleft_inv = true;
                }
            }
            O_LEN => {
                let s = args.required("rt", "rt-len")?;
                self.hdrlen = Some((
                    uint("rt", "rt-len", s, 0, u32::MAX.into())? as u32,
                    args.invert,
                ));
            }
            O_RES => {
                if !self.is_type0() {
                    return Err("`--rt-type 0' required before `--rt-0-res'".into());
                }
                self.res = true;
            }
            O_ADDRS => {
                if !self.is_type0() {
                    return Err("`--rt-type 0' required before `--rt-0-addrs'".into());
                }
                let s = args.required("rt", "rt-0-addrs")?;
                let mut v = Vec::new();
                for a in s.split(',') {
                    if v.len() == RT_HOPS {
                        return Err("too many addresses specified".into());
                    }
                    let b = parse_ipv6(a).ok_or_else(|| format!("bad address: {a}"))?;
                    v.push(Ipv6Addr::from(b));
                }
                self.addrs = Some(v);
            }
            O_NSTRICT => {
                if self.addrs.is_none() {
                    return Err("`--rt-0-addr ...' required before `--rt-0-not-strict'".into());
                }
                self.not_strict = true;
            }
            _ => return bad_id(),
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libip6t_rt.c rt_save
        if let Some((t, inv)) = self.rt_type {
            write_inv(f, inv)?;
            write!(f, " --rt-type {t}")?;
        }
        if self.segsleft != (0, u32::MAX) || self.segsleft_inv {
            write_inv(f, self.segsleft_inv)?;
            f.write_str(" --rt-segsleft ")?;
            write_range(f, self.segsleft.0.into(), self.segsleft.1.into())?;
        }
        if let Some((l, inv)) = self.hdrlen {
            write_inv(f, inv)?;
            write!(f, " --rt-len {l}")?;
        }
        if self.res {
            f.write_str(" --rt-0-res")?;
        }
        if let Some(addrs) = &self.addrs {
            f.write_str(" --rt-0-addrs")?;
            for (i, a) in addrs.iter().enumerate() {
                f.write_str(if i == 0 { " " } else { "," })?;
                f.write_str(&ipv6_ntop(&a.octets()))?;
            }
        }
        if self.not_strict {
            f.write_str(" --rt-0-not-strict")?;
        }
        Ok(())
    }
}
