//! UDP header view.
//!
//! Invariant after `new_checked`: the 8-byte header is present. The length
//! field is not validated (conntrack's `udp_error()` does that: see
//! [`Packet::check_udp_len`]); [`Packet::payload`] is bounded by both the
//! length field and the buffer.
//!
//! Checksums: over IPv4 a zero checksum means "none" and verifies
//! ([`Packet::verify_checksum_v4`]); over IPv6 zero is invalid. A computed
//! zero is sent as `0xffff` ([`checksum::CSUM_MANGLED_0`]).

use core::net::{Ipv4Addr, Ipv6Addr};

use super::{checksum, rd_u16, sub, wr_u16, Error, IpProtocol, Result};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

view_struct! {
    /// A view of a UDP datagram.
    ///
    /// ```
    /// use nfsim::wire::udp::Packet;
    /// let d = [0xc3, 0x52, 0x00, 0x89, 0x00, 0x09, 0x46, 0xea, 0x71];
    /// let u = Packet::new_checked(&d[..]).unwrap();
    /// assert_eq!((u.src_port(), u.dst_port(), u.len()), (50002, 137, 9));
    /// assert_eq!(u.payload(), &[0x71]);
    /// ```
    errors: "[`Error::Truncated`] when shorter than 8 bytes."
}

impl<T: AsRef<[u8]>> Packet<T> {
    check_fixed_len!(
        /// Checks that the 8-byte header is present.
    );

    /// conntrack's `udp_error()` length test (nf_conntrack_proto_udp.c):
    /// `ntohs(hdr->len) <= buffer length` and `>= 8`.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] (length field beyond the datagram) or
    /// [`Error::Malformed`] (below 8).
    pub fn check_udp_len(&self) -> Result<()> {
        let l = usize::from(self.len());
        if l > self.buffer.as_ref().len() {
            Err(Error::Truncated)
        } else if l < HEADER_LEN {
            Err(Error::Malformed)
        } else {
            Ok(())
        }
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::SRC_PORT)
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// The length field.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The data after the header, bounded by the length field and buffer.
    pub fn payload(&self) -> &[u8] {
        sub(self.buffer.as_ref(), HEADER_LEN, usize::from(self.len()))
    }

    /// Verifies the checksum over IPv4: true for a zero ("no") checksum,
    /// otherwise pseudo-header + whole buffer must sum to `0xffff`.
    pub fn verify_checksum_v4(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.checksum() == 0
            || checksum::verify_transport_v4(src, dst, IpProtocol::UDP, self.buffer.as_ref())
    }

    /// Verifies the checksum over IPv6 (zero is not accepted).
    pub fn verify_checksum_v6(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        checksum::verify_transport_v6(src, dst, IpProtocol::UDP, self.buffer.as_ref())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }

    /// Sets the length field.
    pub fn set_len(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Recomputes the checksum over IPv4 (whole buffer; `CSUM_MANGLED_0`).
    pub fn fill_checksum_v4(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let c = checksum::udp_v4(src, dst, self.buffer.as_ref());
        self.set_checksum(c);
    }

    /// Recomputes the checksum over IPv6 (whole buffer; `CSUM_MANGLED_0`).
    pub fn fill_checksum_v6(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let c = checksum::udp_v6(src, dst, self.buffer.as_ref());
        self.set_checksum(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_datagram() {
        let b = hex(V4_UDP);
        let u = Packet::new_checked(&b[20..]).unwrap();
        assert_eq!(u.src_port(), 50002);
        assert_eq!(u.dst_port(), 137);
        assert_eq!(u.len(), 9);
        assert_eq!(u.checksum(), 0x46ea);
        assert_eq!(u.check_udp_len(), Ok(()));
        let (s, d) = (Ipv4Addr::new(192, 0, 2, 20), Ipv4Addr::new(192, 0, 2, 1));
        assert!(u.verify_checksum_v4(s, d));
        let mut c = b[20..].to_vec();
        let mut w = Packet::new_checked(&mut c[..]).unwrap();
        w.set_checksum(0);
        assert!(w.verify_checksum_v4(s, d));
        w.fill_checksum_v4(s, d);
        assert_eq!(w.checksum(), 0x46ea);
        w.set_src_port(1);
        w.set_dst_port(2);
        w.set_len(8);
        assert!(w.payload().is_empty());
    }

    #[test]
    fn v6_zero_checksum_invalid() {
        let b = hex(V6_UDP);
        let s: Ipv6Addr = "2001:db8::20".parse().unwrap();
        let d: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let mut c = b[40..].to_vec();
        let mut u = Packet::new_checked(&mut c[..]).unwrap();
        assert!(u.verify_checksum_v6(&s, &d));
        u.set_checksum(0);
        assert!(!u.verify_checksum_v6(&s, &d));
        u.fill_checksum_v6(&s, &d);
        assert_eq!(u.checksum(), 0x6435);
    }

    #[test]
    fn bad_lengths() {
        let b = hex(V4_UDP);
        assert!(Packet::new_checked(&b[20..27]).is_err());
        let mut c = b[20..].to_vec();
        c[5] = 10;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap().check_udp_len(),
            Err(Error::Truncated)
        );
        c[5] = 7;
        assert_eq!(
            Packet::new_checked(&c[..]).unwrap().check_udp_len(),
            Err(Error::Malformed)
        );
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(u) = Packet::new_checked(&data[..]) {
                let _ = (u.payload(), u.check_udp_len(), u.verify_checksum_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST));
            }
        }
    }
}
