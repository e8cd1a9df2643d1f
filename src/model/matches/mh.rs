//! `-m mh` (net/ipv6/netfilter/ip6t_mh.c, extensions/libip6t_mh.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{require_proto, strtoui, write_inv};

/// `mh_names` (libip6t_mh.c), aliases after each name.
const MH_NAMES: [(&str, u8); 16] = [
    ("binding-refresh-request", 0),
    ("brr", 0),
    ("home-test-init", 1),
    ("hoti", 1),
    ("careof-test-init", 2),
    ("coti", 2),
    ("home-test", 3),
    ("hot", 3),
    ("careof-test", 4),
    ("cot", 4),
    ("binding-update", 5),
    ("bu", 5),
    ("binding-acknowledgement", 6),
    ("ba", 6),
    ("binding-error", 7),
    ("be", 7),
];

/// `name_to_type`: the first name the argument is a (case-insensitive)
/// prefix of, unless a later one matches exactly; else a number 0..=255.
fn name_to_type(s: &str) -> Result<u8, String> {
    let mut found: Option<(usize, u8)> = None;
    for (n, t) in MH_NAMES {
        let is_prefix =
            n.len() >= s.len() && n.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes());
        if is_prefix && (found.is_none() || n.len() == s.len()) {
            found = Some((n.len(), t));
        }
    }
    if let Some((_, t)) = found {
        return Ok(t);
    }
    strtoui(s, 0, 255)
        .map(|v| v as u8)
        .ok_or_else(|| format!("Invalid MH type `{s}'"))
}

/// `-m mh`: mobility header type range (`struct ip6t_mh`).
///
/// ```
/// use nfsim::model::matches::mh::Mh;
/// assert_eq!(Mh::default().types, (0, 255));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mh {
    /// Type range (inclusive).
    pub types: (u8, u8),
    /// `! --mh-type`
    pub invert: bool,
}

impl Default for Mh {
    fn default() -> Self {
        Mh {
            types: (0, 0xff),
            invert: false,
        }
    }
}

options!(OPTS = 0 "mh-type" arg inv);

impl Extension for Mh {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // parse_mh_types
        let s = args.required("mh", "mh-type")?;
        self.types = match s.split_once(':') {
            None => {
                let t = name_to_type(s)?;
                (t, t)
            }
            Some((a, b)) => {
                let lo = if a.is_empty() { 0 } else { name_to_type(a)? };
                let hi = if b.is_empty() { 0xff } else { name_to_type(b)? };
                if lo > hi {
                    return Err("Invalid MH type range (min > max)".into());
                }
                (lo, hi)
            }
        };
        if args.invert {
            self.invert = true;
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ip6t_mh.c: mh_mt6_reg has .proto = IPPROTO_MH.
        require_proto(ctx, 135, "mh match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.types == (0, 0xff) && !self.invert {
            return Ok(());
        }
        write_inv(f, self.invert)?;
        if self.types.0 != self.types.1 {
            write!(f, " --mh-type {}:{}", self.types.0, self.types.1)
        } else {
            write!(f, " --mh-type {}", self.types.0)
        }
    }
}
