//! `-m owner` (net/netfilter/xt_owner.c revision 1, extensions/libxt_owner.c).
//!
//! The kernel registers the match for `LOCAL_OUT` and `POST_ROUTING` only.
//! User and group names: nfsim has no user database; only numbers and
//! `root` (0) are accepted, another name is an explicit error.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::Inv;
use crate::model::opt::{bad_id, strtoumax};
use crate::model::Hook;

/// `-m owner`: tests on the socket of a locally generated packet.
///
/// ```
/// use nfsim::model::matches::owner::Owner;
/// let o = Owner::default();
/// assert!(o.uid.is_none() && !o.suppl_groups);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner {
    /// `--uid-owner` inclusive range.
    pub uid: Option<Inv<(u32, u32)>>,
    /// `--gid-owner` inclusive range.
    pub gid: Option<Inv<(u32, u32)>>,
    /// `--socket-exists` (with its `!`).
    pub socket_exists: Option<bool>,
    /// `--suppl-groups`: the gid test also looks at supplementary groups.
    pub suppl_groups: bool,
}

ids!(USER, GROUP, SOCK, SUPPL);

options! {
    OPTS =
    USER "uid-owner" arg inv, GROUP "gid-owner" arg inv, SOCK "socket-exists" flag inv,
    SUPPL "suppl-groups" flag,
}

/// `owner_parse_range`: `N`, `N-M` or `N:M`, each `0..=4294967294`; or the
/// name `root`.
fn parse_id_range(s: &str, opt: &str, what: &str) -> Result<(u32, u32), String> {
    if s == "root" {
        return Ok((0, 0));
    }
    let bad = || format!("owner: Bad value for \"{opt}\" option: \"{s}\"");
    let max = u32::MAX as u64 - 1;
    let (from, rest) = strtoumax(s)
        .filter(|(v, r)| r.len() != s.len() && *v <= max)
        .ok_or_else(|| {
            if s.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            {
                format!("nfsim: {what} lookup not supported (`{s}'); use a number")
            } else {
                bad()
            }
        })?;
    let mut to = from;
    let mut rest = rest;
    if let Some(r) = rest.strip_prefix(['-', ':']) {
        let (v, r2) = strtoumax(r)
            .filter(|(v, r2)| r2.len() != r.len() && *v <= max)
            .ok_or_else(bad)?;
        to = v;
        rest = r2;
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok((from as u32, to as u32))
}

impl Extension for Owner {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        match args.id {
            USER => {
                self.uid = Some(Inv {
                    value: parse_id_range(arg, "--uid-owner", "user")?,
                    invert: args.invert,
                })
            }
            GROUP => {
                self.gid = Some(Inv {
                    value: parse_id_range(arg, "--gid-owner", "group")?,
                    invert: args.invert,
                })
            }
            SOCK => self.socket_exists = Some(args.invert),
            SUPPL => {
                if self.gid.is_none() {
                    return Err("owner: Bad value for \"--suppl-groups\" option: \"you need to use --gid-owner first\"".into());
                }
                self.suppl_groups = true;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err(
                "owner: At least one of --uid-owner, --gid-owner or --socket-exists is required"
                    .into(),
            );
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_owner.c: .hooks = LOCAL_OUT | POST_ROUTING (xt_check_match).
        let allowed = Hook::LocalOut.bit() | Hook::PostRouting.bit();
        if ctx.hooks & !allowed != 0 {
            return Err(format!(
                "x_tables: owner match: used from hooks {}, but only valid from OUTPUT/POSTROUTING",
                hook_names(ctx.hooks)
            ));
        }
        // owner_check: valid ids (not (u32)-1) and min <= max.
        for r in [&self.uid, &self.gid].into_iter().flatten() {
            let (lo, hi) = r.value;
            if hi < lo || hi == u32::MAX {
                return Err(format!("xt_owner: invalid id range {lo}-{hi}"));
            }
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if let Some(inv) = self.socket_exists {
            if inv {
                f.write_str(" !")?;
            }
            f.write_str(" --socket-exists")?;
        }
        for (name, r) in [("uid-owner", &self.uid), ("gid-owner", &self.gid)] {
            if let Some(r) = r {
                if r.invert {
                    f.write_str(" !")?;
                }
                let (lo, hi) = r.value;
                if lo != hi {
                    write!(f, " --{name} {lo}-{hi}")?;
                } else {
                    write!(f, " --{name} {lo}")?;
                }
            }
        }
        if self.suppl_groups {
            f.write_str(" --suppl-groups")?;
        }
        Ok(())
    }
}

/// Chain names of the hooks in a mask, `/`-separated (for messages).
pub(crate) fn hook_names(mask: u8) -> String {
    Hook::ALL
        .iter()
        .filter(|h| mask & h.bit() != 0)
        .map(|h| h.chain_name())
        .collect::<Vec<_>>()
        .join("/")
}
