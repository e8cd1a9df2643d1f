//! `-j TTL` (IPv4) and `-j HL` (IPv6) (extensions/libipt_TTL.c,
//! libip6t_HL.c; kernel net/netfilter/xt_HL.c `ttl_tg_check`,
//! `hl_tg6_check`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, given_any, require_table, uint};
use crate::model::TableKind;

/// What TTL / HL does with the value.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*mangle\n-A PREROUTING -j TTL --ttl-dec 1\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Mangle).unwrap().chain("PREROUTING").unwrap().rules[0];
/// use nfsim::model::targets::ttl::HlMode;
/// assert!(matches!(&r.verdict, Verdict::Ext(Target::Ttl(t)) if t.mode == HlMode::Dec));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HlMode {
    /// Set to the value.
    Set,
    /// Increment by the value (saturating at 255).
    Inc,
    /// Decrement by the value (saturating at 0).
    Dec,
}

impl HlMode {
    /// The field after the target (xt_HL.c `ttl_tg` / `hl_tg6`).
    ///
    /// ```
    /// use nfsim::model::targets::ttl::HlMode;
    /// assert_eq!(HlMode::Inc.apply(250, 10), 255);
    /// assert_eq!(HlMode::Dec.apply(3, 1), 2);
    /// assert_eq!(HlMode::Set.apply(3, 64), 64);
    /// ```
    #[inline]
    pub fn apply(self, field: u8, value: u8) -> u8 {
        match self {
            HlMode::Set => value,
            HlMode::Inc => field.saturating_add(value),
            HlMode::Dec => field.saturating_sub(value),
        }
    }
}

ids!(SET, INC, DEC);
const ANY: u64 = 0b111;

fn parse_hl(ext: &str, pfx: &str, id: u8, args: &Args<'_>) -> Result<(HlMode, u8), String> {
    let (mode, name, min) = match id {
        SET => (HlMode::Set, "set", 0),
        INC => (HlMode::Inc, "inc", 1),
        DEC => (HlMode::Dec, "dec", 1),
        _ => {
            bad_id()?;
            return Err(String::new());
        }
    };
    let opt = format!("{pfx}-{name}");
    let v = uint(ext, &opt, args.required(ext, &opt)?, min, 255)? as u8;
    Ok((mode, v))
}

fn write_hl(f: &mut dyn fmt::Write, pfx: &str, mode: HlMode, v: u8) -> fmt::Result {
    let name = match mode {
        HlMode::Set => "set",
        HlMode::Inc => "inc",
        HlMode::Dec => "dec",
    };
    write!(f, " --{pfx}-{name} {v}")
}

/// The kernel check shared by TTL and HL: table mangle, and a zero
/// increment/decrement is invalid.
fn check_hl(ctx: &CheckCtx, name: &str, mode: HlMode, v: u8) -> Result<(), String> {
    require_table(ctx, TableKind::Mangle, name)?;
    if mode != HlMode::Set && v == 0 {
        return Err(format!("x_tables: {name}: increment/decrement by 0"));
    }
    Ok(())
}

/// `-j TTL --ttl-set|--ttl-inc|--ttl-dec N` (IPv4).
///
/// ```
/// use nfsim::model::targets::ttl::{HlMode, Ttl};
/// let t = Ttl { mode: HlMode::Dec, ttl: 1 };
/// assert_eq!(t.mode.apply(64, t.ttl), 63);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttl {
    /// Operation.
    pub mode: HlMode,
    /// Operand.
    pub ttl: u8,
}

options! {
    TTL_OPTS =
    SET "ttl-set" arg excl(ANY), DEC "ttl-dec" arg excl(ANY), INC "ttl-inc" arg excl(ANY),
}

impl Default for Ttl {
    fn default() -> Self {
        Ttl {
            mode: HlMode::Set,
            ttl: 0,
        }
    }
}

impl Extension for Ttl {
    const OPTIONS: &'static [OptSpec] = &TTL_OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        (self.mode, self.ttl) = parse_hl("TTL", "ttl", args.id, args)?;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen & ANY, "TTL: You must specify an action")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        check_hl(ctx, "TTL", self.mode, self.ttl)
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_hl(f, "ttl", self.mode, self.ttl)
    }
}

/// `-j HL --hl-set|--hl-inc|--hl-dec N` (IPv6 hop limit).
///
/// ```
/// use nfsim::model::targets::ttl::{Hl, HlMode};
/// let h = Hl { mode: HlMode::Inc, hop_limit: 200 };
/// assert_eq!(h.mode.apply(100, h.hop_limit), 255);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hl {
    /// Operation.
    pub mode: HlMode,
    /// Operand.
    pub hop_limit: u8,
}

options! {
    HL_OPTS =
    SET "hl-set" arg excl(ANY), DEC "hl-dec" arg excl(ANY), INC "hl-inc" arg excl(ANY),
}

impl Default for Hl {
    fn default() -> Self {
        Hl {
            mode: HlMode::Set,
            hop_limit: 0,
        }
    }
}

impl Extension for Hl {
    const OPTIONS: &'static [OptSpec] = &HL_OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        (self.mode, self.hop_limit) = parse_hl("HL", "hl", args.id, args)?;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen & ANY, "HL: You must specify an action")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        check_hl(ctx, "HL", self.mode, self.hop_limit)
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_hl(f, "hl", self.mode, self.hop_limit)
    }
}
