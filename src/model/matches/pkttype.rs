//! `-m pkttype` (net/netfilter/xt_pkttype.c, extensions/libxt_pkttype.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::write_inv;

/// An skb packet type (`PACKET_*`, include/uapi/linux/if_packet.h) as
/// `--pkt-type` names it.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m pkttype --pkt-type broadcast\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::pkttype::PacketType;
/// assert!(matches!(&r.matches[0], Match::PktType(p) if p.pkttype == PacketType::Broadcast));
/// assert_eq!(PacketType::Multicast as u8, 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum PacketType {
    /// `PACKET_HOST` (0): to us.
    #[default]
    Unicast = 0,
    /// `PACKET_BROADCAST` (1).
    Broadcast = 1,
    /// `PACKET_MULTICAST` (2).
    Multicast = 2,
    /// `PACKET_OTHERHOST` (3): to someone else.
    OtherHost = 3,
}

/// `supported_types` (libxt_pkttype.c): name and type, aliases last.
const TYPES: [(&str, PacketType); 7] = [
    ("unicast", PacketType::Unicast),
    ("broadcast", PacketType::Broadcast),
    ("multicast", PacketType::Multicast),
    ("otherhost", PacketType::OtherHost),
    ("bcast", PacketType::Broadcast),
    ("mcast", PacketType::Multicast),
    ("host", PacketType::Unicast),
];

/// `-m pkttype`: the skb's packet type (`struct xt_pkttype_info`). The
/// kernel (xt_pkttype.c `pkttype_mt`) compares `skb->pkt_type`, except that
/// a `PACKET_LOOPBACK` skb counts as `PACKET_MULTICAST` for IPv6 and for an
/// IPv4 multicast destination, else as `PACKET_BROADCAST`.
///
/// ```
/// use nfsim::model::matches::pkttype::{PacketType, PktType};
/// let p = PktType { pkttype: PacketType::Broadcast, invert: false };
/// assert_eq!(p.pkttype as u8, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PktType {
    /// Packet type.
    pub pkttype: PacketType,
    /// `! --pkt-type`
    pub invert: bool,
}

options!(OPTS = 0 "pkt-type" arg inv mand);

/// The name `print_pkttype` (libxt_pkttype.c) prints for a type.
pub(crate) fn type_name(t: PacketType) -> &'static str {
    TYPES
        .iter()
        .find(|(_, v)| *v == t)
        .map_or("unicast", |(n, _)| n)
}

impl Extension for PktType {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let s = args.required("pkttype", "pkt-type")?;
        self.pkttype = TYPES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("Bad packet type '{s}'"))?;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write_inv(f, self.invert)?;
        f.write_str(" --pkt-type ")?;
        f.write_str(type_name(self.pkttype))
    }
}
