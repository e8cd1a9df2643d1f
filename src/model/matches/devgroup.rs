//! `-m devgroup` (net/netfilter/xt_devgroup.c, extensions/libxt_devgroup.c):
//! the device group of the input / output interface.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (the simulated hosts have no device groups yet).

use core::fmt;

use super::realm::{parse_val_mask, save_val_mask};
use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, write_inv};
use crate::model::Hook;

/// `/etc/iproute2/group` as iproute2 ships it: only `0 default` (nfsim does
/// not read host files).
pub const GROUP_NAMES: &[(u32, &str)] = &[(0, "default")];

/// A device group value under a mask.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m devgroup --src-group 0x2/0xf\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Devgroup(d) if d.src.is_some_and(|g| (g.group, g.mask) == (2, 15))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMatch {
    /// Group value.
    pub group: u32,
    /// Mask.
    pub mask: u32,
    /// `!`
    pub invert: bool,
}

/// `-m devgroup [[!] --src-group G[/M]] [[!] --dst-group G[/M]]`.
///
/// ```
/// use nfsim::model::matches::devgroup::Devgroup;
/// assert!(Devgroup::default().src.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Devgroup {
    /// `--src-group` (input device).
    pub src: Option<GroupMatch>,
    /// `--dst-group` (output device).
    pub dst: Option<GroupMatch>,
}

options!(OPTS = 0 "src-group" arg inv, 1 "dst-group" arg inv);

impl Extension for Devgroup {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = match args.id {
            0 => "src-group",
            1 => "dst-group",
            _ => return bad_id(),
        };
        let (group, mask) = parse_val_mask(
            "devgroup",
            name,
            args.required("devgroup", name)?,
            GROUP_NAMES,
        )?;
        let m = Some(GroupMatch {
            group,
            mask,
            invert: args.invert,
        });
        if args.id == 0 {
            self.src = m;
        } else {
            self.dst = m;
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if seen == 0 {
            return Err(
                "devgroup match: You must specify either '--src-group' or '--dst-group'".into(),
            );
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_devgroup.c devgroup_mt_checkentry: a source group needs an
        // input device (PRE_ROUTING, LOCAL_IN, FORWARD), a destination
        // group an output device (FORWARD, LOCAL_OUT, POST_ROUTING).
        let in_hooks = Hook::PreRouting.bit() | Hook::LocalIn.bit() | Hook::Forward.bit();
        let out_hooks = Hook::Forward.bit() | Hook::LocalOut.bit() | Hook::PostRouting.bit();
        if self.src.is_some() && ctx.hooks & !in_hooks != 0 {
            return Err("devgroup: --src-group needs an input device".into());
        }
        if self.dst.is_some() && ctx.hooks & !out_hooks != 0 {
            return Err("devgroup: --dst-group needs an output device".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        for (g, name) in [(&self.src, "src-group"), (&self.dst, "dst-group")] {
            if let Some(g) = g {
                write_inv(f, g.invert)?;
                write!(f, " --{name}")?;
                save_val_mask(f, g.group, g.mask, GROUP_NAMES)?;
            }
        }
        Ok(())
    }
}
