//! `-j SET` (extensions/libxt_SET.c revision 3, net/netfilter/xt_set.c
//! `set_target_v3`): adds the packet to a set, deletes it from one, or
//! maps a set element's `skbinfo` onto the packet.
//!
//! As for `-m set`, iptables asks the kernel for each set while parsing
//! (`parse_target` → libxt_set.h `get_set_byname`), so the sets must be
//! declared ([`RestoreOptions::ipset`](crate::syntax::RestoreOptions::ipset)).

use core::fmt;

use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::matches::set::IPSET_MAXNAMELEN;

/// One `--add-set` / `--del-set` / `--map-set NAME FLAGS`.
///
/// ```
/// use nfsim::model::targets::set::SetRef;
/// let r = SetRef { name: "ban".into(), dirs: vec![true] };
/// assert_eq!(r.dirs, [true]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetRef {
    /// The set name.
    pub name: crate::model::ByteStr,
    /// One flag per dimension: `true` = `src`.
    pub dirs: Vec<bool>,
}

/// `-j SET` (`struct xt_set_info_target_v3`).
///
/// ```
/// use nfsim::model::targets::set::SetTarget;
/// let t = SetTarget::default();
/// assert!(t.add.is_none() && t.timeout.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetTarget {
    /// `--add-set`
    pub add: Option<SetRef>,
    /// `--del-set`
    pub del: Option<SetRef>,
    /// `--map-set`
    pub map: Option<SetRef>,
    /// `--exist` (`IPSET_FLAG_EXIST`)
    pub exist: bool,
    /// `--timeout N` (0 to 4294967294)
    pub timeout: Option<u32>,
    /// `--map-mark` (`IPSET_FLAG_MAP_SKBMARK`)
    pub map_mark: bool,
    /// `--map-prio` (`IPSET_FLAG_MAP_SKBPRIO`)
    pub map_prio: bool,
    /// `--map-queue` (`IPSET_FLAG_MAP_SKBQUEUE`)
    pub map_queue: bool,
}

const ADD: u8 = 1;
const DEL: u8 = 2;
const EXIST: u8 = 3;
const TIMEOUT: u8 = 4;
const MAP: u8 = 5;
const MAP_MARK: u8 = 6;
const MAP_PRIO: u8 = 7;
const MAP_QUEUE: u8 = 8;

// `set_target_opts_v3`: an old-style parser (no `!`, repeats checked by
// `parse_target`).
static OPTS: [OptSpec; 8] = [
    OptSpec::arg("add-set", ADD).multi(),
    OptSpec::arg("del-set", DEL).multi(),
    OptSpec::flag("exist", EXIST).multi(),
    OptSpec::arg("timeout", TIMEOUT).multi(),
    OptSpec::arg("map-set", MAP).multi(),
    OptSpec::flag("map-mark", MAP_MARK).multi(),
    OptSpec::flag("map-prio", MAP_PRIO).multi(),
    OptSpec::flag("map-queue", MAP_QUEUE).multi(),
];

/// libxt_SET.c `parse_target`.
fn parse_target(
    slot: &mut Option<SetRef>,
    what: &str,
    args: &mut Args<'_>,
    ctx: &ExtCtx<'_>,
) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("--{what} can be specified only once"));
    }
    let dirs = args
        .next_word()
        .ok_or_else(|| format!("--{what} requires two args."))?;
    let name = args.raw.unwrap_or(b"");
    if name.len() > IPSET_MAXNAMELEN - 1 {
        return Err(format!(
            "setname `{}' too long, max {} characters.",
            crate::model::bytestr::Escaped(name),
            IPSET_MAXNAMELEN - 1
        ));
    }
    crate::model::matches::set::get_set_byname(name, ctx)?;
    let dirs = crate::model::matches::set::parse_dirs(&dirs)?;
    *slot = Some(SetRef {
        name: name.into(),
        dirs,
    });
    Ok(())
}

impl SetTarget {
    /// libxt_SET.c `set_target_print_v3` / `set_target_save_v3`: the
    /// options, each name after `prefix` (`--` for iptables-save, nothing
    /// for `iptables -L`).
    ///
    /// ```
    /// use nfsim::model::targets::set::{SetRef, SetTarget};
    /// let t = SetTarget {
    ///     add: Some(SetRef { name: "bl".into(), dirs: vec![true] }),
    ///     exist: true,
    ///     ..SetTarget::default()
    /// };
    /// let mut f = nfsim::model::ext::SaveBuf::default();
    /// t.write_options(&mut f, "").unwrap();
    /// assert_eq!(f.as_bytes(), b" add-set bl src exist");
    /// ```
    pub fn write_options(&self, f: &mut crate::model::ext::SaveBuf, prefix: &str) -> fmt::Result {
        let target = |f: &mut crate::model::ext::SaveBuf, opt: &str, r: &Option<SetRef>| {
            if let Some(r) = r {
                write!(f, " {prefix}{opt} ")?;
                f.write_bytes(&r.name);
                crate::model::matches::set::write_dirs(f, &r.dirs)?;
            }
            Ok(())
        };
        target(f, "add-set", &self.add)?;
        if self.exist {
            write!(f, " {prefix}exist")?;
        }
        if let Some(t) = self.timeout {
            write!(f, " {prefix}timeout {t}")?;
        }
        target(f, "del-set", &self.del)?;
        target(f, "map-set", &self.map)?;
        for (on, w) in [
            (self.map_mark, "map-mark"),
            (self.map_prio, "map-prio"),
            (self.map_queue, "map-queue"),
        ] {
            if on {
                write!(f, " {prefix}{w}")?;
            }
        }
        Ok(())
    }
}

impl Extension for SetTarget {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let ctx = args.ctx;
        match args.id {
            ADD => parse_target(&mut self.add, "add-set", args, ctx)?,
            DEL => parse_target(&mut self.del, "del-set", args, ctx)?,
            MAP => parse_target(&mut self.map, "map-set", args, ctx)?,
            EXIST => self.exist = true,
            TIMEOUT => {
                let a = args.optarg.unwrap_or("");
                match crate::model::opt::strtoui_end(a, 0, u64::from(u32::MAX - 1)) {
                    Some((v, "")) => self.timeout = Some(v as u32),
                    _ => {
                        return Err(format!(
                            "Invalid value for option --timeout or out of range 0-{}",
                            u32::MAX - 1
                        ))
                    }
                }
            }
            MAP_MARK => self.map_mark = true,
            MAP_PRIO => self.map_prio = true,
            MAP_QUEUE => self.map_queue = true,
            _ => return crate::model::opt::bad_id(),
        }
        Ok(())
    }
    /// `set_target_check_v3`.
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        let has = |id: u8| seen & (1 << id) != 0;
        if !(has(ADD) || has(DEL) || has(MAP)) {
            return Err("You must specify either `--add-set' or `--del-set' or `--map-set'".into());
        }
        if !has(ADD) {
            if has(EXIST) {
                return Err("Flag `--exist' can be used with `--add-set' only".into());
            }
            if has(TIMEOUT) {
                return Err("Option `--timeout' can be used with `--add-set' only".into());
            }
        }
        if !has(MAP) {
            for (id, w) in [
                (MAP_MARK, "map-mark"),
                (MAP_PRIO, "map-prio"),
                (MAP_QUEUE, "map-queue"),
            ] {
                if has(id) {
                    return Err(format!("Flag `--{w}' can be used with `--map-set' only"));
                }
            }
        }
        if has(MAP) && !(has(MAP_MARK) || has(MAP_PRIO) || has(MAP_QUEUE)) {
            return Err(
                "You must specify flags `--map-mark' or '--map-prio` or `--map-queue'".into(),
            );
        }
        Ok(())
    }
    /// `set_target_v3_checkentry` (xt_set.c): `--map-set` only in mangle,
    /// and with `--map-prio` / `--map-queue` only from FORWARD, OUTPUT and
    /// POSTROUTING (the kernel logs these lines and fails with -EINVAL).
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        if self.map.is_some() {
            if ctx.table != crate::model::TableKind::Mangle {
                return Err("xt_set: --map-set only usable from mangle table".into());
            }
            let allowed: crate::model::HookMask = (1 << 2) | (1 << 3) | (1 << 4);
            if (self.map_prio || self.map_queue) && ctx.hooks & !allowed != 0 {
                return Err("xt_set: mapping of prio or/and queue is allowed only from OUTPUT/FORWARD/POSTROUTING chains".into());
            }
        }
        Ok(())
    }
    /// `set_target_save_v3`.
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        self.write_options(f, "--")
    }
}
