//! `-m physdev` (net/netfilter/xt_physdev.c, extensions/libxt_physdev.c):
//! bridge port tests for bridged traffic passed to iptables by br_netfilter.
//!
//! Evaluated (`engine::eval::meta::physdev_mt`) on the bridge ports
//! br_netfilter attaches to frames received on a bridge port
//! (`host::BridgeConfig`, traces `bridge-physdev-*`); a packet without them
//! (routed, host-sent, or any packet while `bridge-nf-call-iptables` is off)
//! matches exactly when every option given is inverted (trace
//! `physdev-no-bridge`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, Iface, OptSpec};
use crate::model::opt::{bad_id, given_any};
use crate::model::Hook;

/// `-m physdev`. Each test is `None` when not given, else `Some(invert)`
/// (or the name and its `!`).
///
/// ```
/// use nfsim::model::matches::physdev::Physdev;
/// let p = Physdev::default();
/// assert!(p.is_bridged.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Physdev {
    /// `--physdev-in NAME` and its `!`.
    pub physin: Option<(Iface, bool)>,
    /// `--physdev-out NAME` and its `!`.
    pub physout: Option<(Iface, bool)>,
    /// `--physdev-is-in`
    pub is_in: Option<bool>,
    /// `--physdev-is-out`
    pub is_out: Option<bool>,
    /// `--physdev-is-bridged`
    pub is_bridged: Option<bool>,
}

ids!(IN, OUT, IS_IN, IS_OUT, BRIDGED);

options! {
    OPTS =
    IN "physdev-in" arg inv, OUT "physdev-out" arg inv, IS_IN "physdev-is-in" flag inv,
    IS_OUT "physdev-is-out" flag inv, BRIDGED "physdev-is-bridged" flag inv,
}

impl Extension for Physdev {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.raw.unwrap_or(b"");
        match args.id {
            IN => self.physin = Some((Iface::new(arg)?, args.invert)),
            OUT => self.physout = Some((Iface::new(arg)?, args.invert)),
            IS_IN => self.is_in = Some(args.invert),
            IS_OUT => self.is_out = Some(args.invert),
            BRIDGED => self.is_bridged = Some(args.invert),
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        given_any(seen, "PHYSDEV: no physdev option specified")
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_physdev.c physdev_mt_check: an output-port test that is not
        // restricted to bridged traffic cannot be used in OUTPUT.
        let out_test = self.physout.is_some() || self.is_out.is_some();
        let bridged_only = self.is_bridged == Some(false);
        if out_test && !bridged_only && ctx.hooks & Hook::LocalOut.bit() != 0 {
            return Err("xt_physdev: --physdev-out and --physdev-is-out only supported in the FORWARD and POSTROUTING chains with bridged traffic".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        let inv = |i: bool| if i { " !" } else { "" };
        if let Some(i) = self.is_in {
            write!(f, "{} --physdev-is-in", inv(i))?;
        }
        if let Some((n, i)) = &self.physin {
            write!(f, "{} --physdev-in ", inv(*i))?;
            f.write_bytes(n.as_bytes());
        }
        if let Some(i) = self.is_out {
            write!(f, "{} --physdev-is-out", inv(i))?;
        }
        if let Some((n, i)) = &self.physout {
            write!(f, "{} --physdev-out ", inv(*i))?;
            f.write_bytes(n.as_bytes());
        }
        if let Some(i) = self.is_bridged {
            write!(f, "{} --physdev-is-bridged", inv(i))?;
        }
        Ok(())
    }
}
