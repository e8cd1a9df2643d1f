//! ICMPv6 message view.
//!
//! Invariant after `new_checked`: the 8-byte header (`struct icmp6hdr`) is
//! present, as `icmp6_match` (net/ipv6/netfilter/ip6_tables.c) and
//! conntrack's `icmpv6_error()` require. The checksum covers the IPv6
//! pseudo-header (next header 58).

use core::net::Ipv6Addr;

use super::{
    checksum, ipv6, rd_u16, rd_u32, rd_u8, sub, wr_u16, wr_u32, wr_u8, Error, IpProtocol, Result,
};

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQNO: usize = 6;
    pub const REST: usize = 4;
}

/// Length of the ICMPv6 header (`struct icmp6hdr`).
pub const HEADER_LEN: usize = 8;

/// An ICMPv6 type number (open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Icmpv6Type(pub u8);

impl Icmpv6Type {
    /// Destination unreachable (1).
    pub const DEST_UNREACH: Icmpv6Type = Icmpv6Type(1);
    /// Packet too big (2).
    pub const PKT_TOOBIG: Icmpv6Type = Icmpv6Type(2);
    /// Time exceeded (3).
    pub const TIME_EXCEED: Icmpv6Type = Icmpv6Type(3);
    /// Parameter problem (4).
    pub const PARAMPROB: Icmpv6Type = Icmpv6Type(4);
    /// Echo request (128).
    pub const ECHO_REQUEST: Icmpv6Type = Icmpv6Type(128);
    /// Echo reply (129).
    pub const ECHO_REPLY: Icmpv6Type = Icmpv6Type(129);
    /// Multicast listener query (130).
    pub const MGM_QUERY: Icmpv6Type = Icmpv6Type(130);
    /// Router solicitation (133).
    pub const ROUTER_SOLICITATION: Icmpv6Type = Icmpv6Type(133);
    /// Router advertisement (134).
    pub const ROUTER_ADVERTISEMENT: Icmpv6Type = Icmpv6Type(134);
    /// Neighbour solicitation (135).
    pub const NEIGHBOUR_SOLICITATION: Icmpv6Type = Icmpv6Type(135);
    /// Neighbour advertisement (136).
    pub const NEIGHBOUR_ADVERTISEMENT: Icmpv6Type = Icmpv6Type(136);
    /// Redirect (137).
    pub const REDIRECT: Icmpv6Type = Icmpv6Type(137);

    /// `icmpv6_is_err()` (include/linux/icmpv6.h): types below 128 are
    /// errors (`!(type & ICMPV6_INFOMSG_MASK)`).
    ///
    /// ```
    /// use nfsim::wire::icmpv6::Icmpv6Type;
    /// assert!(Icmpv6Type::DEST_UNREACH.is_error());
    /// assert!(Icmpv6Type(127).is_error());
    /// assert!(!Icmpv6Type::ECHO_REQUEST.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        self.0 & 0x80 == 0
    }
}

/// Destination-unreachable codes used by `REJECT --reject-with`.
pub mod unreach {
    /// No route (`icmp6-no-route`).
    pub const NOROUTE: u8 = 0;
    /// Administratively prohibited (`icmp6-adm-prohibited`).
    pub const ADM_PROHIBITED: u8 = 1;
    /// Address unreachable (`icmp6-addr-unreachable`).
    pub const ADDR_UNREACH: u8 = 3;
    /// Port unreachable (`icmp6-port-unreachable`).
    pub const PORT_UNREACH: u8 = 4;
    /// Source address failed policy (`icmp6-policy-fail`).
    pub const POLICY_FAIL: u8 = 5;
    /// Reject route (`icmp6-reject-route`).
    pub const REJECT_ROUTE: u8 = 6;
}

view_struct! {
    /// A view of an ICMPv6 message.
    ///
    /// ```
    /// use nfsim::wire::icmpv6::{Packet, Icmpv6Type};
    /// let m = [128, 0, 0x24, 0x25, 0, 4, 0, 1];
    /// let p = Packet::new_checked(&m[..]).unwrap();
    /// assert_eq!(p.msg_type(), Icmpv6Type::ECHO_REQUEST);
    /// assert_eq!((p.echo_ident(), p.echo_seq_no()), (4, 1));
    /// ```
    errors: "[`Error::Truncated`] when shorter than 8 bytes."
}

icmp_common!(Icmpv6Type, is_error: " True for error messages (`icmpv6_is_err()`).", rest: " The 4 bytes after the checksum (MTU, pointer, unused).");

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of the quoted IPv6 header.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] if fewer than 40 bytes are quoted.
    pub fn embedded_ipv6(&self) -> Result<ipv6::Packet<&[u8]>> {
        ipv6::Packet::new_checked(self.data())
    }

    /// Verifies the checksum with the IPv6 pseudo-header.
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        checksum::verify_transport_v6(src, dst, IpProtocol::ICMPV6, self.buffer.as_ref())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Recomputes the checksum (pseudo-header + whole buffer).
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let c = checksum::transport_v6(src, dst, IpProtocol::ICMPV6, self.buffer.as_ref());
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_echo_and_error() {
        let b = hex(V6_ICMP_ECHO);
        let s: Ipv6Addr = "2001:db8::20".parse().unwrap();
        let d: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let p = Packet::new_checked(&b[40..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Type::ECHO_REQUEST);
        assert!(!p.is_error());
        assert!(p.verify_checksum(&s, &d));
        let e = hex(V6_ICMP_PORT_UNREACH);
        let q = Packet::new_checked(&e[40..]).unwrap();
        assert_eq!(
            (q.msg_type(), q.code()),
            (Icmpv6Type::DEST_UNREACH, unreach::PORT_UNREACH)
        );
        assert!(q.is_error());
        assert!(q.verify_checksum(&d, &s));
        let inner = q.embedded_ipv6().unwrap();
        assert_eq!(inner.src(), s);
        assert_eq!(inner.next_header(), IpProtocol::UDP);
        let mut m = e[40..].to_vec();
        let mut w = Packet::new_checked(&mut m[..]).unwrap();
        w.set_checksum(0);
        w.fill_checksum(&d, &s);
        assert_eq!(w.checksum(), 0x31c6);
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..60)) {
            if let Ok(p) = Packet::new_checked(&data[..]) {
                let _ = (p.data(), p.is_error(), p.rest_of_header(), p.embedded_ipv6().is_ok());
            }
        }
    }
}
