//! `-m recent` (net/netfilter/xt_recent.c, extensions/libxt_recent.c,
//! revision 1 with `--mask`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{prefix_mask, Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, parse_host, truncate_c, uint, write_addr, Constraint};
use crate::model::Family;

/// The list operation of `-m recent`.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m recent --rcheck --seconds 60\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::recent::RecentOp;
/// assert!(matches!(&r.matches[0], Match::Recent(m) if m.op == Some(RecentOp::Rcheck) && m.seconds == 60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentOp {
    /// `--set`: add or refresh the address; always matches.
    Set,
    /// `--rcheck`: whether the address is in the list.
    Rcheck,
    /// `--update`: like rcheck, and refresh the entry's timestamp.
    Update,
    /// `--remove`: remove the address if present (matches if it was).
    Remove,
}

/// `XT_RECENT_NAME_LEN`: the kernel field size of the list name.
pub const RECENT_NAME_LEN: usize = 200;
/// `XT_RECENT_MAX_NSTAMPS`: hit counts must be below this.
pub const RECENT_MAX_NSTAMPS: u32 = 65536;

/// `-m recent`.
///
/// ```
/// use nfsim::model::matches::recent::{Recent, RecentOp};
/// let r = Recent::default_for(nfsim::model::Family::Ipv4);
/// assert_eq!(r.name, "DEFAULT");
/// assert_eq!(r.op, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    /// The operation (always `Some` once parsed).
    pub op: Option<RecentOp>,
    /// `!` before the operation.
    pub invert: bool,
    /// `--seconds` (0 = not given).
    pub seconds: u32,
    /// `--reap` (needs `--seconds`).
    pub reap: bool,
    /// `--hitcount` (0 = not given).
    pub hit_count: u32,
    /// `--rttl`: the TTL must also match the recorded one.
    pub rttl: bool,
    /// `--name`, at most 199 bytes.
    pub name: crate::model::ByteStr,
    /// `--rdest` (true) or `--rsource` (false, the default).
    pub rdest: bool,
    /// Family of the mask.
    pub family: Family,
    /// `--mask`: applied to the address before it is stored or looked up.
    pub mask: [u8; 16],
}

impl Recent {
    /// The state `recent_init` leaves: list `DEFAULT`, source side, full mask.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::model::matches::recent::Recent;
    /// let r = Recent::default_for(Family::Ipv4);
    /// assert_eq!((r.name.as_bytes(), r.rdest), (&b"DEFAULT"[..], false));
    /// ```
    pub fn default_for(family: Family) -> Self {
        Recent {
            op: None,
            invert: false,
            seconds: 0,
            reap: false,
            hit_count: 0,
            rttl: false,
            name: "DEFAULT".into(),
            rdest: false,
            family,
            mask: prefix_mask(family.max_prefix()),
        }
    }
}

ids!(SET, RCHECK, UPDATE, REMOVE, SECONDS, REAP, HITCOUNT, RTTL, NAME, RSOURCE, RDEST, MASK);

options! {
    OPTS =
    SET "set" flag inv, RCHECK "rcheck" flag inv, UPDATE "update" flag inv,
    REMOVE "remove" flag inv, SECONDS "seconds" arg, REAP "reap" flag, HITCOUNT "hitcount" arg,
    RTTL "rttl" flag, NAME "name" arg, RSOURCE "rsource" flag, RDEST "rdest" flag, MASK "mask" arg,
}

const ANY_OP: u64 = 0b1111;
static FCHECK: [Constraint; 12] = [
    (SET, "set", ANY_OP, 0, false),
    (RCHECK, "rcheck", ANY_OP, 0, false),
    (UPDATE, "update", ANY_OP, 0, false),
    (REMOVE, "remove", ANY_OP, 0, false),
    (SECONDS, "seconds", 0, 0, false),
    (REAP, "reap", 0, 1 << SECONDS, false),
    (HITCOUNT, "hitcount", 0, 0, false),
    (RTTL, "rttl", 1 << SET | 1 << REMOVE, 0, false),
    (NAME, "name", 0, 0, false),
    (RSOURCE, "rsource", 0, 0, false),
    (RDEST, "rdest", 0, 0, false),
    (MASK, "mask", 0, 0, false),
];

impl Blank for Recent {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Recent::default_for(ctx.family)
    }
}

impl Extension for Recent {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        let mut op = |o| {
            self.op = Some(o);
            if args.invert {
                self.invert = true;
            }
        };
        match args.id {
            SET => op(RecentOp::Set),
            RCHECK => op(RecentOp::Rcheck),
            UPDATE => op(RecentOp::Update),
            REMOVE => op(RecentOp::Remove),
            SECONDS => self.seconds = uint("recent", "seconds", arg, 1, u32::MAX.into())? as u32,
            REAP => self.reap = true,
            HITCOUNT => {
                self.hit_count = uint("recent", "hitcount", arg, 0, u32::MAX.into())? as u32
            }
            RTTL => self.rttl = true,
            NAME => self.name = truncate_c(args.raw.unwrap_or(b""), RECENT_NAME_LEN),
            RSOURCE => self.rdest = false,
            RDEST => self.rdest = true,
            MASK => self.mask = parse_host(arg, args.ctx.family)?,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen & ANY_OP == 0 {
            return Err(
                "recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'"
                    .into(),
            );
        }
        fcheck("recent", seen, &FCHECK)
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_recent.c recent_mt_check.
        if matches!(self.op, Some(RecentOp::Set | RecentOp::Remove))
            && (self.seconds != 0 || self.hit_count != 0 || self.rttl || self.reap)
        {
            return Err(
                "xt_recent: --set/--remove take no --seconds, --hitcount, --rttl or --reap".into(),
            );
        }
        if self.reap && self.seconds == 0 {
            return Err("xt_recent: --reap needs --seconds".into());
        }
        if self.hit_count >= RECENT_MAX_NSTAMPS {
            return Err(format!(
                "xt_recent: hitcount ({}) is larger than allowed maximum ({})",
                self.hit_count,
                RECENT_MAX_NSTAMPS - 1
            ));
        }
        if self.name.is_empty()
            || self.name == "."
            || self.name == ".."
            || self.name.contains(&b'/')
        {
            return Err(format!("xt_recent: invalid list name `{}'", self.name));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        f.write_str(match self.op {
            Some(RecentOp::Set) => " --set",
            Some(RecentOp::Rcheck) => " --rcheck",
            Some(RecentOp::Update) => " --update",
            Some(RecentOp::Remove) => " --remove",
            None => "",
        })?;
        if self.seconds != 0 {
            write!(f, " --seconds {}", self.seconds)?;
        }
        if self.reap {
            f.write_str(" --reap")?;
        }
        if self.hit_count != 0 {
            write!(f, " --hitcount {}", self.hit_count)?;
        }
        if self.rttl {
            f.write_str(" --rttl")?;
        }
        f.write_str(" --name ")?;
        f.write_bytes(&self.name);
        f.write_str(" --mask ")?;
        write_addr(f, self.family, &self.mask)?;
        f.write_str(if self.rdest { " --rdest" } else { " --rsource" })
    }
}
