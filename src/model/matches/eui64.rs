//! `-m eui64` (net/ipv6/netfilter/ip6t_eui64.c, extensions/libip6t_eui64.c).

use core::fmt;

use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_hooks};
use crate::model::Hook;

/// `-m eui64`: the IPv6 source address's interface identifier is the
/// EUI-64 of the Ethernet source address. No options.
///
/// ```
/// use nfsim::model::matches::eui64::Eui64;
/// assert_eq!(Eui64, Eui64::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eui64;

impl Extension for Eui64 {
    fn options(_: crate::model::Family) -> &'static [OptSpec] {
        &[]
    }
    fn parse(&mut self, _: &mut Args<'_>) -> Result<(), String> {
        bad_id()
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ip6t_eui64.c: .hooks = PRE_ROUTING | LOCAL_IN | FORWARD.
        require_hooks(
            ctx,
            Hook::PreRouting.bit() | Hook::LocalIn.bit() | Hook::Forward.bit(),
            "eui64",
        )
    }
    fn save(&self, _: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        Ok(())
    }
}
