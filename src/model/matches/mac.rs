//! `-m mac` (net/netfilter/xt_mac.c, extensions/libxt_mac.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{require_hooks, write_inv};
use crate::model::Hook;

/// `xtopt_parse_ethermac` (libxtables/xtoptions.c): six `strtoul(.., 16)`
/// fields of at most two characters separated by `:` (an empty field is 0,
/// as strtoul leaves it).
pub(crate) fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || "Invalid MAC address specified.".to_string();
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in out.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        *b = mac_field(p).ok_or_else(bad)?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(out)
}

/// One field as `strtoul(p, &end, 16)` must consume it whole, `end - p <= 2`.
fn mac_field(p: &str) -> Option<u8> {
    if p.is_empty() {
        return Some(0);
    }
    if p.len() > 2 {
        return None;
    }
    let t = p.trim_start_matches([' ', '\t', '\n']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return None;
    }
    let v = u8::from_str_radix(digits, 16).ok()?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `-m mac`: the Ethernet source address (`struct xt_mac_info`).
///
/// ```
/// use nfsim::model::matches::mac::Mac;
/// assert_eq!(Mac::default().src, [0; 6]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mac {
    /// Source MAC address.
    pub src: [u8; 6],
    /// `! --mac-source`
    pub invert: bool,
}

options!(OPTS = 0 "mac-source" arg inv mand);

impl Extension for Mac {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.src = parse_mac(args.required("mac", "mac-source")?)?;
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_mac.c: mac_mt_reg .hooks = PRE_ROUTING | LOCAL_IN | FORWARD.
        require_hooks(
            ctx,
            Hook::PreRouting.bit() | Hook::LocalIn.bit() | Hook::Forward.bit(),
            "mac",
        )
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        let m = &self.src;
        write!(
            f,
            " --mac-source {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_mac_example() {
        use crate::model::matches::mac::parse_mac;
        assert_eq!(parse_mac("42:1:02:03:04:ff"), Ok([0x42, 1, 2, 3, 4, 0xff]));
        assert!(parse_mac("42:01:02:03:04").is_err());
    }
}
