//! `-m pkttype` (net/netfilter/xt_pkttype.c, extensions/libxt_pkttype.c).

use core::fmt;

use super::tcp::unreachable_option;
use super::xtargs::{mand, write_inv};
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};

/// `supported_types` (libxt_pkttype.c): name and `PACKET_*` value, aliases last.
const TYPES: [(&str, u8); 7] = [
    ("unicast", 0),
    ("broadcast", 1),
    ("multicast", 2),
    ("otherhost", 3),
    ("bcast", 1),
    ("mcast", 2),
    ("host", 0),
];

/// `-m pkttype`: the skb's packet type (`struct xt_pkttype_info`; values are
/// `PACKET_HOST` 0, `PACKET_BROADCAST` 1, `PACKET_MULTICAST` 2,
/// `PACKET_OTHERHOST` 3).
///
/// ```
/// use nfsim::model::matches::pkttype::PktType;
/// assert_eq!(PktType { pkttype: 1, invert: false }.pkttype, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PktType {
    /// `PACKET_*` value.
    pub pkttype: u8,
    /// `! --pkt-type`
    pub invert: bool,
}

static OPTS: [OptSpec; 1] = [OptSpec::arg("pkt-type", 0).inv()];

impl Extension for PktType {
    fn options(_: crate::model::Family) -> &'static [OptSpec] {
        &OPTS
    }
    fn new(_: &ExtCtx<'_>) -> Self {
        PktType::default()
    }
    fn parse(
        &mut self,
        id: u8,
        invert: bool,
        args: &mut Args<'_>,
        _: &ExtCtx<'_>,
    ) -> Result<(), String> {
        if id != 0 {
            return unreachable_option();
        }
        let s = args.required("pkttype", "pkt-type")?;
        self.pkttype = TYPES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("Bad packet type '{s}'"))?;
        self.invert = invert;
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        mand(seen, 0, "pkttype", "pkt-type")
    }
    fn save(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --pkt-type ")?;
        match TYPES.iter().find(|(_, v)| *v == self.pkttype) {
            Some((n, _)) => f.write_str(n),
            None => write!(f, "{}", self.pkttype),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::xtargs::testutil::rt4;

    #[test]
    fn round_trip() {
        assert_eq!(
            rt4("-m pkttype --pkt-type BCAST").unwrap(),
            "-A INPUT -m pkttype --pkt-type broadcast"
        );
        assert_eq!(
            rt4("-m pkttype ! --pkt-type host").unwrap(),
            "-A INPUT -m pkttype ! --pkt-type unicast"
        );
        assert!(rt4("-m pkttype --pkt-type wrong").is_err());
        assert!(rt4("-m pkttype").is_err());
    }
}
