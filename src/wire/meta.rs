//! Per-packet facts the rule evaluator needs, computed once in one pass:
//! [`PacketMeta`].
//!
//! These are what the kernel's table walkers compute before the first rule:
//!
//! * IPv4, `ipt_do_table()` (net/ipv4/netfilter/ip_tables.c):
//!   `acpar.fragoff = ntohs(ip->frag_off) & IP_OFFSET` (in **8-byte units**)
//!   and `acpar.thoff = ip_hdrlen(skb)`, once per packet. `-f` in
//!   `ip_packet_match` matches when that offset is nonzero (non-first
//!   fragments only).
//! * IPv6, `ip6t_do_table()` (net/ipv6/netfilter/ip6_tables.c): per *rule*,
//!   `acpar.thoff = 0`; then `ip6_packet_match` calls `ipv6_find_hdr(skb,
//!   &thoff, -1, &_frag_off, NULL)` **only for rules with `-p`** and then
//!   sets `acpar.fragoff = _frag_off` (in **bytes**, a multiple of 8). On
//!   failure it returns "no match" and hot-drops the packet when
//!   `_frag_off == 0` (always the case on failure, see
//!   [`ipv6::find_hdr`]). `ipv6_find_hdr` depends
//!   only on the packet, so it is computed here once
//!   ([`PacketMeta::find_hdr_error`]); the engine applies it to `-p` rules.
//!
//! Truncated transport headers: the `tcp` and `udp` matches
//! (net/netfilter/xt_tcpudp.c, `tcp_mt`/`udp_mt`) first return "no match"
//! for any nonzero `fragoff` (and `tcp_mt` **hot-drops** when `fragoff == 1`,
//! an IPv4 fragment at byte offset 8, "evil TCP offset=1 frag"; with IPv6's
//! byte offsets 1 never occurs). For `fragoff == 0` they read
//! `sizeof(struct tcphdr)` = 20 / `sizeof(struct udphdr)` = 8 bytes at
//! `thoff` with `skb_header_pointer`; if those bytes are not all in the
//! packet they **hot-drop** ("Dropping evil TCP offset=0 tinygram") — the
//! packet is dropped at once, whatever the rule's target. The same holds for
//! `icmp`/`icmp6` (8 bytes). [`PacketMeta::header_complete`] answers exactly
//! that question, so the engine can reproduce it. `tcp_mt` with
//! `--tcp-option` also hot-drops when `doff * 4 < 20` or when the option
//! bytes are missing.

use super::{ipv4, ipv6, rd_arr, rd_u8, Error, Family, IpProtocol, Result};

/// Bytes of transport header the kernel's matches (and conntrack) read with
/// `skb_header_pointer` for protocol `p`: TCP 20, UDP/UDP-Lite 8, ICMP 8,
/// ICMPv6 8, SCTP 12, DCCP 12, ESP 8, AH 12 (IPv4 `struct ip_auth_hdr`).
/// `None` for other protocols (nothing to read).
///
/// ```
/// use nfsim::wire::{meta::min_header_len, IpProtocol};
/// assert_eq!(min_header_len(IpProtocol::TCP), Some(20));
/// assert_eq!(min_header_len(IpProtocol::GRE), None);
/// ```
pub const fn min_header_len(p: IpProtocol) -> Option<usize> {
    match p.0 {
        6 => Some(20),
        17 | 136 => Some(8),
        1 | 58 => Some(8),
        132 | 33 => Some(12),
        50 => Some(8),
        51 => Some(12),
        _ => None,
    }
}

/// What the table walkers know about a packet before the first rule.
///
/// ```
/// use nfsim::wire::{meta::PacketMeta, Family, IpProtocol};
/// use nfsim::wire::{tcp::TcpFlags, PacketBuilder};
/// let syn = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .tcp(50000, 22).flags(TcpFlags::SYN).seq(10).build();
/// let m = PacketMeta::parse(&syn).unwrap();
/// assert_eq!((m.family, m.protocol, m.thoff, m.fragoff), (Family::Ipv4, IpProtocol::TCP, 20, 0));
/// assert!(m.header_complete());
/// let m = PacketMeta::parse(&syn[..30]).unwrap();
/// assert!(!m.header_complete()); // a tcp match would hot-drop this packet
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    /// IPv4 or IPv6.
    pub family: Family,
    /// Length of the network header: IPv4 `ihl * 4`, IPv6 40 (fixed header).
    pub l3_len: usize,
    /// The transport protocol: IPv4 `protocol`; IPv6 what `ipv6_find_hdr`
    /// returns without target (upper-layer protocol, ESP, NONE, or for a
    /// non-first fragment the fragment header's next header). For IPv6 when
    /// `find_hdr_error` is set: the fixed header's next header.
    pub protocol: IpProtocol,
    /// Offset of the transport header (`acpar.thoff`). IPv6: 0 when
    /// `ipv6_find_hdr` did not set it (error, or non-first fragment).
    pub thoff: usize,
    /// `acpar.fragoff`: IPv4 in 8-byte units, IPv6 in bytes. Nonzero only
    /// for non-first fragments.
    pub fragoff: u16,
    /// Any fragment: IPv4 MF or offset set; IPv6 a fragment header in the
    /// extension chain.
    pub is_fragment: bool,
    /// Bytes from `thoff` to the end of the packet (0 when `thoff` is 0 or
    /// beyond the packet).
    pub l4_len: usize,
    /// IPv6 only: `ipv6_find_hdr` failed. Rules with `-p` then do not match
    /// and hot-drop the packet.
    pub find_hdr_error: Option<ipv6::FindHdrError>,
}

impl PacketMeta {
    /// Computes the meta data of an L3 packet (trimmed to its real length,
    /// as after [`ipv4::rcv_check`] / [`ipv6::rcv_check`]).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`]/[`Error::Malformed`] if the network header
    /// itself cannot be read, or the version is neither 4 nor 6.
    pub fn parse(packet: &[u8]) -> Result<PacketMeta> {
        match rd_u8(packet, 0) >> 4 {
            4 => {
                let p = ipv4::Packet::new_checked(packet)?;
                let hl = p.header_len();
                Ok(PacketMeta {
                    family: Family::Ipv4,
                    l3_len: hl,
                    protocol: p.protocol(),
                    thoff: hl,
                    fragoff: p.frag_offset(),
                    is_fragment: p.is_fragment(),
                    l4_len: packet.len().saturating_sub(hl),
                    find_hdr_error: None,
                })
            }
            6 => {
                // No extension header (the fixed header's next header is
                // an upper-layer protocol or ESP): `ipv6_find_hdr` stops
                // at once at offset 40, nothing is a fragment. Tested equal
                // to the general walk below.
                let nh = IpProtocol(rd_u8(packet, 6));
                if packet.len() >= ipv6::HEADER_LEN && !nh.is_ipv6_ext_hdr() {
                    return Ok(PacketMeta {
                        family: Family::Ipv6,
                        l3_len: ipv6::HEADER_LEN,
                        protocol: nh,
                        thoff: ipv6::HEADER_LEN,
                        fragoff: 0,
                        is_fragment: false,
                        l4_len: packet.len() - ipv6::HEADER_LEN,
                        find_hdr_error: None,
                    });
                }
                Self::parse_ipv6_walk(packet)
            }
            _ => Err(Error::Malformed),
        }
    }

    /// [`PacketMeta::parse`] of an IPv6 packet through the extension
    /// header walk (`ipv6_find_hdr`).
    fn parse_ipv6_walk(packet: &[u8]) -> Result<PacketMeta> {
        let p = ipv6::Packet::new_checked(packet)?;
        let is_fragment = p
            .ext_headers()
            .any(|h| matches!(h, Ok(h) if h.kind == IpProtocol::FRAGMENT));
        let (protocol, thoff, fragoff, err) = match ipv6::find_hdr(packet, None) {
            Ok(f) => (f.protocol, f.offset.unwrap_or(0), f.fragoff, None),
            Err(e) => (p.next_header(), 0, 0, Some(e)),
        };
        let l4_len = if thoff == 0 {
            0
        } else {
            packet.len().saturating_sub(thoff)
        };
        Ok(PacketMeta {
            family: Family::Ipv6,
            l3_len: ipv6::HEADER_LEN,
            protocol,
            thoff,
            fragoff,
            is_fragment,
            l4_len,
            find_hdr_error: err,
        })
    }

    /// [`ipv4::rcv_check`] and [`PacketMeta::parse`] in one reading of
    /// the header: the length the packet is trimmed to and the meta data
    /// of the trimmed packet (`parse` cannot fail on a header that passed
    /// `ip_rcv_core`'s checks, and reads the same fields). Tested equal to
    /// the two calls.
    ///
    /// # Errors
    ///
    /// [`ipv4::rcv_check`]'s.
    #[inline]
    pub(crate) fn ipv4_received(
        packet: &[u8],
    ) -> core::result::Result<(usize, PacketMeta), ipv4::RcvDrop> {
        let (len, hl) = ipv4::rcv_check_hl(packet)?;
        // (rcv_check_hl read bytes 0..hl, hl >= 20: the fields below are there.)
        let frag = u16::from_be_bytes([rd_u8(packet, 6), rd_u8(packet, 7)]);
        Ok((
            len,
            PacketMeta {
                family: Family::Ipv4,
                l3_len: hl,
                protocol: IpProtocol(rd_u8(packet, 9)),
                thoff: hl,
                fragoff: frag & ipv4::IP_OFFSET,
                is_fragment: frag & (ipv4::IP_MF | ipv4::IP_OFFSET) != 0,
                l4_len: len - hl,
                find_hdr_error: None,
            },
        ))
    }

    /// True unless this is a non-first fragment (`fragoff == 0`).
    pub fn is_first_or_unfragmented(&self) -> bool {
        self.fragoff == 0
    }

    /// True when the transport header bytes the kernel reads for
    /// [`protocol`](Self::protocol) ([`min_header_len`]) are all present at
    /// `thoff`. Always true for protocols nothing reads, false when `thoff`
    /// is unknown (0). Only meaningful when `fragoff == 0`: matches never
    /// read headers of non-first fragments.
    pub fn header_complete(&self) -> bool {
        if self.thoff == 0 {
            return false;
        }
        match min_header_len(self.protocol) {
            Some(n) => self.l4_len >= n,
            None => true,
        }
    }

    /// Source and destination addresses, read from the header on demand, as
    /// the kernel's `union nf_inet_addr` holds them (IPv4 in the first 4
    /// bytes, the rest zero): what conntrack tuples and checksums take.
    ///
    /// ```
    /// use nfsim::wire::{meta::PacketMeta, PacketBuilder};
    /// let p = PacketBuilder::ipv4([192, 0, 2, 10].into(), [203, 0, 113, 53].into()).udp(1, 53).build();
    /// let (s, d) = PacketMeta::parse(&p).unwrap().addrs(&p);
    /// assert_eq!((&s[..5], &d[..4]), (&[192, 0, 2, 10, 0][..], &[203, 0, 113, 53][..]));
    /// ```
    pub fn addrs(&self, packet: &[u8]) -> ([u8; 16], [u8; 16]) {
        let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
        match self.family {
            Family::Ipv4 => {
                s[..4].copy_from_slice(&rd_arr::<4>(packet, 12));
                d[..4].copy_from_slice(&rd_arr::<4>(packet, 16));
            }
            Family::Ipv6 => {
                s = rd_arr(packet, 8);
                d = rd_arr(packet, 24);
            }
        }
        (s, d)
    }

    /// The transport bytes (`thoff..`), empty if unknown.
    pub fn l4<'a>(&self, packet: &'a [u8]) -> &'a [u8] {
        if self.thoff == 0 {
            return &[];
        }
        packet.get(self.thoff..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_packets() {
        for (h, proto, thoff) in [
            (V4_TCP_SYN, IpProtocol::TCP, 20),
            (V4_UDP, IpProtocol::UDP, 20),
            (V4_ICMP_ECHO, IpProtocol::ICMP, 20),
            (V6_TCP_SYN, IpProtocol::TCP, 40),
            (V6_UDP, IpProtocol::UDP, 40),
            (V6_ICMP_ECHO, IpProtocol::ICMPV6, 40),
        ] {
            let b = hex(h);
            let m = PacketMeta::parse(&b).unwrap();
            assert_eq!(
                (m.protocol, m.thoff, m.fragoff, m.is_fragment),
                (proto, thoff, 0, false)
            );
            assert!(m.header_complete());
            assert_eq!(m.l4(&b).len(), b.len() - thoff);
        }
    }

    #[test]
    fn v4_fragments_and_truncation() {
        let mut b = hex(V4_TCP_SYN);
        b[6] = 0x00;
        b[7] = 0x01; // offset 1 (8 bytes): the "evil" fragment
        let m = PacketMeta::parse(&b).unwrap();
        assert_eq!(
            (m.fragoff, m.is_fragment, m.is_first_or_unfragmented()),
            (1, true, false)
        );
        b[6] = 0x20;
        b[7] = 0; // MF, first fragment
        let m = PacketMeta::parse(&b).unwrap();
        assert_eq!((m.fragoff, m.is_fragment), (0, true));
        let m = PacketMeta::parse(&b[..39]).unwrap();
        assert!(!m.header_complete());
        let u = hex(V4_UDP);
        assert!(PacketMeta::parse(&u[..28]).unwrap().header_complete());
        assert!(!PacketMeta::parse(&u[..27]).unwrap().header_complete());
        assert_eq!(PacketMeta::parse(&u[..10]), Err(Error::Truncated));
        assert_eq!(PacketMeta::parse(&[0x55; 40]), Err(Error::Malformed));
    }

    #[test]
    fn v6_fragments_and_errors() {
        let syn = hex(V6_TCP_SYN);
        // Insert a first-fragment header.
        let mut p = syn[..40].to_vec();
        p[6] = 44;
        p.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 9]);
        p.extend_from_slice(&syn[40..]);
        p[5] = 28;
        let m = PacketMeta::parse(&p).unwrap();
        assert_eq!(
            (m.protocol, m.thoff, m.fragoff, m.is_fragment),
            (IpProtocol::TCP, 48, 0, true)
        );
        assert!(m.header_complete());
        // Non-first fragment: offset 8 bytes.
        p[42] = 0;
        p[43] = 8;
        let m = PacketMeta::parse(&p).unwrap();
        assert_eq!((m.protocol, m.thoff, m.fragoff), (IpProtocol::TCP, 0, 8));
        assert!(!m.is_first_or_unfragmented());
        // Truncated chain.
        let mut t = syn[..40].to_vec();
        t[6] = 60;
        let m = PacketMeta::parse(&t).unwrap();
        assert_eq!(m.find_hdr_error, Some(ipv6::FindHdrError::BadMsg));
        assert!(!m.header_complete());
    }

    /// Hot-drop decisions checked against Linux 6.18 (lab: raw packets over
    /// veth; a rule in raw PREROUTING, a counter in mangle PREROUTING):
    /// IPv6 `-A PREROUTING -p tcp`, IPv4 `-A PREROUTING -p tcp --dport 80`.
    #[test]
    fn hotdrops_agree_with_kernel_lab() {
        // What the engine does with PacketMeta for these two rules.
        let v6_proto_rule_hotdrops =
            |p: &[u8]| PacketMeta::parse(p).unwrap().find_hdr_error.is_some();
        let v4_tcp_match_hotdrops = |p: &[u8]| {
            let m = PacketMeta::parse(p).unwrap();
            m.protocol == IpProtocol::TCP
                && (m.fragoff == 1 || (m.fragoff == 0 && !m.header_complete()))
        };
        let tcp = hex(V4_TCP_SYN)[20..].to_vec();
        let v6 = |first: u8, ext: &[u8]| {
            let mut p = hex(V6_TCP_SYN)[..40].to_vec();
            p[6] = first;
            p[4..6].copy_from_slice(&(ext.len() as u16).to_be_bytes());
            p.extend_from_slice(ext);
            p
        };
        assert!(!v6_proto_rule_hotdrops(&v6(6, &tcp)));
        assert!(!v6_proto_rule_hotdrops(&v6(17, &[0; 8])));
        assert!(v6_proto_rule_hotdrops(&v6(60, &[])));
        assert!(v6_proto_rule_hotdrops(&v6(
            44,
            &[60, 0, 0, 8, 0, 0, 0, 1, 6, 0, 1, 4, 0, 0, 0, 0]
        )));
        assert!(!v6_proto_rule_hotdrops(&v6(
            44,
            &[6, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]
        )));
        assert!(!v6_proto_rule_hotdrops(&v6(6, &tcp[..10])));
        let v4 = |proto: u8, l4: &[u8], frag: u16| {
            let mut p = hex(V4_TCP_SYN)[..20].to_vec();
            p[9] = proto;
            p[6..8].copy_from_slice(&frag.to_be_bytes());
            p[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
            p.extend_from_slice(l4);
            p
        };
        assert!(!v4_tcp_match_hotdrops(&v4(6, &tcp, 0)));
        assert!(v4_tcp_match_hotdrops(&v4(6, &tcp[..10], 0)));
        assert!(v4_tcp_match_hotdrops(&v4(6, &tcp[..8], 1)));
        assert!(!v4_tcp_match_hotdrops(&v4(6, &tcp[..8], 2)));
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..100), v6 in any::<bool>()) {
            let mut d = data;
            if let Some(b) = d.first_mut() { *b = (*b & 0x0f) | if v6 { 0x60 } else { 0x40 }; }
            if let Ok(m) = PacketMeta::parse(&d) {
                let _ = (m.header_complete(), m.l4(&d));
                prop_assert!(m.thoff <= d.len().max(m.thoff));
            }
        }

        /// `parse`'s IPv6 shortcut (no extension header) agrees with the
        /// extension header walk: random packets, the next header drawn
        /// from every value (extension headers included).
        #[test]
        fn ipv6_shortcut_is_the_walk(
            data in proptest::collection::vec(any::<u8>(), 0..100),
            nh in prop_oneof![Just(0u8), Just(6), Just(17), Just(43), Just(44), Just(50),
                Just(51), Just(58), Just(59), Just(60), any::<u8>()],
        ) {
            let mut d = data;
            if let Some(b) = d.first_mut() { *b = (*b & 0x0f) | 0x60; }
            if let Some(b) = d.get_mut(6) { *b = nh; }
            if d.len() >= 40 {
                prop_assert_eq!(PacketMeta::parse(&d), PacketMeta::parse_ipv6_walk(&d));
            } else {
                prop_assert!(PacketMeta::parse(&d).is_err());
                prop_assert!(PacketMeta::parse_ipv6_walk(&d).is_err());
            }
        }

        /// `ipv4_received` is `rcv_check`, then `parse` of the trimmed
        /// packet: random headers (every IHL, total length and fragment
        /// word), the checksum fixed or not, padding or a cut.
        #[test]
        fn ipv4_received_is_rcv_check_then_parse(
            data in proptest::collection::vec(any::<u8>(), 0..90),
            fix in any::<bool>(),
            len_near in any::<bool>(),
        ) {
            let mut d = data;
            if let Some(b) = d.first_mut() { *b = (*b & 0x0f) | 0x40; }
            if len_near && d.len() >= 4 {
                // A total length around the buffer's, so that some pass.
                let l = d.len().saturating_sub(usize::from(d[3] % 8)) as u16;
                d[2..4].copy_from_slice(&l.to_be_bytes());
            }
            let hl = usize::from(d.first().map_or(0, |b| b & 0x0f)) * 4;
            if fix && hl >= 20 && d.len() >= hl {
                d[10] = 0;
                d[11] = 0;
                let c = crate::wire::checksum::ipv4_header(&d[..hl]);
                d[10..12].copy_from_slice(&c.to_be_bytes());
            }
            let two = ipv4::rcv_check(&d).map(|len| (len, PacketMeta::parse(&d[..len]).unwrap()));
            prop_assert_eq!(PacketMeta::ipv4_received(&d), two);
        }
    }
}
