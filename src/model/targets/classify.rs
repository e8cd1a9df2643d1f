//! `-j CLASSIFY --set-class MAJ:MIN` (extensions/libxt_CLASSIFY.c; kernel
//! net/netfilter/xt_CLASSIFY.c: hooks OUTPUT, FORWARD, POSTROUTING; any
//! table).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::require_target_hooks;
use crate::model::Hook;

/// `-j CLASSIFY`: sets `skb->priority` to a tc class handle.
///
/// ```
/// use nfsim::model::targets::classify::Classify;
/// assert_eq!(Classify { priority: 0x0001_0002 }.priority >> 16, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Classify {
    /// `TC_H_MAKE(major << 16, minor)`.
    pub priority: u32,
}

/// `sscanf("%x")`: optional whitespace, sign and `0x`, hex digits; the
/// value wraps as C's conversion to unsigned int does.
fn scan_hex(s: &str) -> Option<(u32, &str)> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t2 = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_hexdigit()))
        .unwrap_or(t);
    let end = t2
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(t2.len());
    if end == 0 {
        return None;
    }
    let mut v: u32 = 0;
    for c in t2[..end].chars() {
        v = v.wrapping_mul(16).wrapping_add(c.to_digit(16).unwrap_or(0));
    }
    Some((if neg { v.wrapping_neg() } else { v }, &t2[end..]))
}

options!(OPTS = 0 "set-class" arg mand);

impl Extension for Classify {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("CLASSIFY", "set-class")?;
        // CLASSIFY_string_to_priority: sscanf(s, "%x:%x")
        let bad = || format!("Bad class value \"{s}\"");
        let (maj, rest) = scan_hex(s).ok_or_else(bad)?;
        let rest = rest.strip_prefix(':').ok_or_else(bad)?;
        let (min, _) = scan_hex(rest).ok_or_else(bad)?;
        self.priority = ((maj << 16) & 0xffff_0000) | (min & 0xffff);
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        require_target_hooks(
            ctx,
            Hook::LocalOut.bit() | Hook::Forward.bit() | Hook::PostRouting.bit(),
            "CLASSIFY",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(
            f,
            " --set-class {:04x}:{:04x}",
            self.priority >> 16,
            self.priority & 0xffff
        )
    }
}
