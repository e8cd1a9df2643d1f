//! `-m cgroup` (net/netfilter/xt_cgroup.c, extensions/libxt_cgroup.c,
//! revision 2): the cgroup (v1 net_cls classid or v2 path) of the local
//! socket that sent the packet.
//!
//! nfsim models a host whose only cgroup2 directory is the root: `--path`
//! naming anything else is rejected at commit as the kernel rejects a path
//! that does not exist.
//!
//! Evaluation not supported: the engine reports an error when such a rule
//! is compiled (the simulator has no processes or cgroups).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string, save_string, uint, write_inv};
use crate::model::Hook;

/// `XT_CGROUP_PATH_MAX`: size of the path buffer in `xt_cgroup_info_v2`.
pub const PATH_MAX: usize = 512;

/// `-m cgroup [!] --path PATH | [!] --cgroup CLASSID`.
///
/// ```
/// use nfsim::model::matches::cgroup::Cgroup;
/// assert!(Cgroup::default().path.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cgroup {
    /// `--path`: a cgroup2 path (truncated to 511 bytes as iptables does).
    pub path: Option<crate::model::ByteStr>,
    /// `! --path`
    pub invert_path: bool,
    /// `--cgroup`: a net_cls class id.
    pub classid: Option<u32>,
    /// `! --cgroup`
    pub invert_classid: bool,
}

options!(OPTS = 0 "path" arg inv, 1 "cgroup" arg inv);

impl Extension for Cgroup {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                let s = args.required_bytes("cgroup", "path")?;
                self.path = Some(put_string(s, 0, 0, PATH_MAX)?);
                self.invert_path = args.invert;
            }
            1 => {
                let s = args.required("cgroup", "cgroup")?;
                let v = uint("cgroup", "cgroup", s, 0, u32::MAX.into())?;
                self.classid = Some(u32::try_from(v).map_err(|e| e.to_string())?);
                self.invert_classid = args.invert;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_cgroup.c cgroup_mt_check_v2: exactly one of path / classid.
        if self.path.is_some() && self.classid.is_some() {
            return Err("xt_cgroup: both path and classid specified".into());
        }
        if self.path.is_none() && self.classid.is_none() {
            return Err("xt_cgroup: no path or classid specified".into());
        }
        // cgroup_get_from_path: the path must name an existing cgroup2
        // directory. nfsim models a host whose only cgroup is the root.
        if let Some(p) = &self.path {
            if !p.iter().all(|b| *b == b'/') {
                return Err(format!(
                    "xt_cgroup: invalid path, errno=-2 (`{p}': nfsim models only the root cgroup)"
                ));
            }
        }
        // Registration: .hooks = LOCAL_OUT | POST_ROUTING | LOCAL_IN.
        let allowed = Hook::LocalOut.bit() | Hook::PostRouting.bit() | Hook::LocalIn.bit();
        if ctx.hooks & !allowed != 0 {
            return Err(format!(
                "x_tables: cgroup match: used from hooks {:#x}, but only usable from INPUT/OUTPUT/POSTROUTING",
                ctx.hooks
            ));
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_cgroup.c cgroup_save_v2
        if let Some(p) = &self.path {
            write_inv(f, self.invert_path)?;
            f.write_str(" --path")?;
            save_string(f, p)?;
        }
        if let Some(c) = self.classid {
            write_inv(f, self.invert_classid)?;
            write!(f, " --cgroup {c}")?;
        }
        Ok(())
    }
}
