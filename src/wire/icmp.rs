//! ICMPv4 message view.
//!
//! Invariant after `new_checked`: the 8-byte ICMP header (`struct icmphdr`:
//! type, code, checksum and 4 more bytes) is present; this is what the
//! `icmp` match and conntrack's `icmp_error()` read with
//! `skb_header_pointer(.., sizeof(struct icmphdr))`. For error messages the
//! bytes after those 8 are the quoted original packet
//! ([`Packet::invoking_packet`]).

use super::{checksum, ipv4, rd_u16, rd_u32, rd_u8, sub, wr_u16, wr_u32, wr_u8, Error, Result};

mod field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const ECHO_IDENT: usize = 4;
    pub const ECHO_SEQNO: usize = 6;
    pub const REST: usize = 4;
}

/// Length of the ICMP header (`struct icmphdr`).
pub const HEADER_LEN: usize = 8;

/// An ICMPv4 type number (open: any value is valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IcmpType(pub u8);

impl IcmpType {
    /// Echo reply (0).
    pub const ECHO_REPLY: IcmpType = IcmpType(0);
    /// Destination unreachable (3).
    pub const DEST_UNREACH: IcmpType = IcmpType(3);
    /// Source quench (4).
    pub const SOURCE_QUENCH: IcmpType = IcmpType(4);
    /// Redirect (5).
    pub const REDIRECT: IcmpType = IcmpType(5);
    /// Echo request (8).
    pub const ECHO: IcmpType = IcmpType(8);
    /// Router advertisement (9).
    pub const ROUTER_ADVERT: IcmpType = IcmpType(9);
    /// Router solicitation (10).
    pub const ROUTER_SOLICIT: IcmpType = IcmpType(10);
    /// Time exceeded (11).
    pub const TIME_EXCEEDED: IcmpType = IcmpType(11);
    /// Parameter problem (12).
    pub const PARAMETERPROB: IcmpType = IcmpType(12);
    /// Timestamp request (13).
    pub const TIMESTAMP: IcmpType = IcmpType(13);
    /// Timestamp reply (14).
    pub const TIMESTAMPREPLY: IcmpType = IcmpType(14);
    /// Information request (15).
    pub const INFO_REQUEST: IcmpType = IcmpType(15);
    /// Information reply (16).
    pub const INFO_REPLY: IcmpType = IcmpType(16);
    /// Address mask request (17).
    pub const ADDRESS: IcmpType = IcmpType(17);
    /// Address mask reply (18).
    pub const ADDRESSREPLY: IcmpType = IcmpType(18);

    /// `icmp_is_err()` (include/linux/icmp.h): destination unreachable,
    /// source quench, redirect, time exceeded, parameter problem.
    ///
    /// ```
    /// use nfsim::wire::icmp::IcmpType;
    /// assert!(IcmpType::DEST_UNREACH.is_error());
    /// assert!(!IcmpType::ECHO.is_error());
    /// ```
    pub const fn is_error(self) -> bool {
        matches!(self.0, 3 | 4 | 5 | 11 | 12)
    }
}

/// Destination-unreachable codes used by `REJECT --reject-with`.
pub mod unreach {
    /// Network unreachable.
    pub const NET: u8 = 0;
    /// Host unreachable.
    pub const HOST: u8 = 1;
    /// Protocol unreachable.
    pub const PROT: u8 = 2;
    /// Port unreachable.
    pub const PORT: u8 = 3;
    /// Fragmentation needed.
    pub const FRAG_NEEDED: u8 = 4;
    /// Network administratively prohibited.
    pub const NET_ANO: u8 = 9;
    /// Host administratively prohibited.
    pub const HOST_ANO: u8 = 10;
    /// Communication administratively prohibited.
    pub const PKT_FILTERED: u8 = 13;
}

view_struct! {
    /// A view of an ICMPv4 message.
    ///
    /// ```
    /// use nfsim::wire::icmp::{Packet, IcmpType};
    /// let m = [8, 0, 0xf7, 0xfb, 0, 3, 0, 1];
    /// let p = Packet::new_checked(&m[..]).unwrap();
    /// assert_eq!(p.msg_type(), IcmpType::ECHO);
    /// assert_eq!((p.echo_ident(), p.echo_seq_no()), (3, 1));
    /// assert!(p.verify_checksum());
    /// ```
    errors: "[`Error::Truncated`] when shorter than 8 bytes."
}

icmp_common!(IcmpType, is_error: " True for error messages (`icmp_is_err()`).", rest: " The 4 bytes after the checksum as one word (`un`: gateway of a redirect, pointer of a parameter problem, MTU of frag-needed).");

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of the quoted IPv4 header (conntrack reads the inner tuple
    /// from it: `icmp_error_message()`, nf_conntrack_proto_icmp.c).
    ///
    /// # Errors
    ///
    /// As [`ipv4::Packet::new_checked`] on the quoted bytes.
    pub fn embedded_ipv4(&self) -> Result<ipv4::Packet<&[u8]>> {
        ipv4::Packet::new_checked(self.data())
    }

    /// True when the message checksum is correct (no pseudo-header).
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(self.buffer.as_ref())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Recomputes the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::icmpv4(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_echo() {
        let b = hex(V4_ICMP_ECHO);
        let p = Packet::new_checked(&b[20..]).unwrap();
        assert_eq!(p.msg_type(), IcmpType::ECHO);
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0xf7fb);
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (3, 1));
        assert!(!p.is_error());
        assert!(p.verify_checksum());
        assert!(p.data().is_empty());
        let r = hex(V4_ICMP_ECHO_REPLY);
        let mut m = r[20..].to_vec();
        let mut q = Packet::new_checked(&mut m[..]).unwrap();
        assert_eq!(q.msg_type(), IcmpType::ECHO_REPLY);
        q.set_msg_type(IcmpType::ECHO);
        q.fill_checksum();
        assert_eq!(q.checksum(), 0xf7fb);
    }

    #[test]
    fn error_embeds_ip() {
        let orig = hex(V4_TCP_SYN_REJECTED);
        let mut m = vec![3, 3, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&orig[..28]);
        let mut p = Packet::new_checked(&mut m[..]).unwrap();
        p.fill_checksum();
        assert!(p.is_error());
        assert!(p.verify_checksum());
        let e = p.embedded_ipv4().unwrap();
        assert_eq!(e.total_len(), 40);
        assert_eq!(e.payload().len(), 8);
        assert!(Packet::new_checked(&m[..7]).is_err());
        assert!(Packet::new_checked(&m[..20])
            .unwrap()
            .embedded_ipv4()
            .is_err());
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..60)) {
            if let Ok(p) = Packet::new_checked(&data[..]) {
                let _ = (p.data(), p.is_error(), p.rest_of_header(), p.verify_checksum());
                if let Ok(e) = p.embedded_ipv4() { let _ = e.payload(); }
            }
        }
    }
}
