//! `-m ttl` (net/netfilter/xt_hl.c `ttl_mt`, extensions/libipt_ttl.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::uint;

/// How a TTL / hop limit is compared (`IPT_TTL_*`, `IP6T_HL_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m ttl --ttl-lt 5\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::ttl::HlMode;
/// assert!(matches!(&r.matches[0], Match::Ttl(t) if t.mode == HlMode::Lt));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HlMode {
    /// `==` (`--ttl-eq`)
    #[default]
    Eq,
    /// `!=` (`! --ttl-eq`)
    Ne,
    /// `<` (`--ttl-lt`)
    Lt,
    /// `>` (`--ttl-gt`)
    Gt,
}

impl HlMode {
    /// Whether a packet's TTL / hop limit `v` matches `value` (xt_hl.c).
    ///
    /// ```
    /// use nfsim::model::matches::ttl::HlMode;
    /// assert!(HlMode::Lt.test(3, 4) && !HlMode::Gt.test(3, 4));
    /// ```
    #[inline]
    pub fn test(self, v: u8, value: u8) -> bool {
        match self {
            HlMode::Eq => v == value,
            HlMode::Ne => v != value,
            HlMode::Lt => v < value,
            HlMode::Gt => v > value,
        }
    }
}

pub(crate) const O_EQ: u8 = 0;
pub(crate) const O_LT: u8 = 1;
pub(crate) const O_GT: u8 = 2;

/// Shared parse for `ttl` and `hl`: the three options exclude each other
/// (`.excl = F_ANY`).
pub(crate) fn parse_hl(
    ext: &str,
    opts: &[OptSpec],
    id: u8,
    invert: bool,
    args: &Args<'_>,
) -> Result<(HlMode, u8), String> {
    let name = opts.iter().find(|o| o.id == id).map_or("", |o| o.name);
    let v = uint(ext, name, args.required(ext, name)?, 0, 255)? as u8;
    let mode = match id {
        O_EQ if invert => HlMode::Ne,
        O_EQ => HlMode::Eq,
        O_LT => HlMode::Lt,
        O_GT => HlMode::Gt,
        _ => return Err("internal error: unknown option id".into()),
    };
    Ok((mode, v))
}

/// Shared final check for `ttl` and `hl`.
pub(crate) fn finish_hl(
    seen: u64,
    ext: &str,
    opts: &[OptSpec],
    missing: &str,
) -> Result<(), String> {
    let given: Vec<&OptSpec> = [O_LT, O_GT, O_EQ]
        .iter()
        .filter(|id| seen & (1 << **id) != 0)
        .filter_map(|id| opts.iter().find(|o| o.id == *id))
        .collect();
    match given.as_slice() {
        [] => Err(missing.to_string()),
        [_] => Ok(()),
        [a, b, ..] => Err(format!(
            "{ext}: option \"--{}\" cannot be used together with \"--{}\".",
            a.name, b.name
        )),
    }
}

/// Shared printer for `ttl` and `hl` (`PREFIX` is the option prefix).
pub(crate) fn save_hl(f: &mut dyn fmt::Write, prefix: &str, mode: HlMode, v: u8) -> fmt::Result {
    let (bang, op) = match mode {
        HlMode::Eq => ("", "eq"),
        HlMode::Ne => ("! ", "eq"),
        HlMode::Lt => ("", "lt"),
        HlMode::Gt => ("", "gt"),
    };
    write!(f, " {bang}--{prefix}-{op} {v}")
}

/// `-m ttl`: compares the IPv4 TTL (`struct ipt_ttl_info`).
///
/// ```
/// use nfsim::model::matches::ttl::{HlMode, Ttl};
/// let t = Ttl { mode: HlMode::Gt, ttl: 64 };
/// assert!(t.mode.test(65, t.ttl));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ttl {
    /// Comparison.
    pub mode: HlMode,
    /// Value compared with.
    pub ttl: u8,
}

options!(OPTS = O_LT "ttl-lt" arg, O_GT "ttl-gt" arg, O_EQ "ttl-eq" arg inv, O_EQ "ttl" arg);

impl Extension for Ttl {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        (self.mode, self.ttl) = parse_hl("ttl", &OPTS, args.id, args.invert, args)?;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        finish_hl(
            seen,
            "ttl",
            &OPTS,
            "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_hl(f, "ttl", self.mode, self.ttl)
    }
}
