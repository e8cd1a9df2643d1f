//! Packets from fields: a builder in the manner of smoltcp's
//! `Ipv4Repr`/`TcpRepr::emit` and etherparse's `PacketBuilder`.
//!
//! Start from [`PacketBuilder::ipv4`] or [`PacketBuilder::ipv6`], set the IP
//! fields, choose the transport ([`tcp`](Ipv4Builder::tcp),
//! [`udp`](Ipv4Builder::udp), an ICMP/ICMPv6 message, or a bare
//! [`protocol`](Ipv4Builder::protocol) number), set its fields and the
//! payload, then write the packet:
//!
//! * [`emit`](TransportBuilder::emit) into a caller's `&mut [u8]` (no
//!   allocation; [`buffer_len`](TransportBuilder::buffer_len) says how much
//!   room it needs),
//! * [`emit_into`](TransportBuilder::emit_into) a `Vec<u8>` whose capacity
//!   is reused (no allocation once it is large enough),
//! * or [`build`](TransportBuilder::build) a fresh `Vec<u8>`.
//!
//! Every packet starts at the IP header (no link-layer header), like the
//! packets [`crate::host::Host::receive`] takes. Checksums (IPv4 header,
//! TCP/UDP/ICMPv6 with their pseudo-header, ICMP) are computed; a UDP sum
//! of zero is sent as `0xffff` (`CSUM_MANGLED_0`). On request
//! ([`bad_checksum`](TransportBuilder::bad_checksum),
//! [`bad_ip_checksum`](Ipv4Builder::bad_ip_checksum)) the right value
//! XOR `0x5a5a` is written instead.
//!
//! The defaults and the byte layout are those of the reference recorder's
//! packet builder (`build_packet` in tools/kernel-oracle/record.py): TTL /
//! hop limit 64, IPv4 identification 1, TCP window 64240, everything else
//! zero; TCP options padded with zero bytes to a multiple of four; IPv6
//! option headers padded with Pad1/PadN. tests/wire_build.rs compares the
//! builder with that script byte for byte.
//!
//! ```
//! use nfsim::wire::build::PacketBuilder;
//! use nfsim::wire::tcp::TcpFlags;
//!
//! let syn = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
//!     .ttl(64)
//!     .dont_frag()
//!     .tcp(40000, 22)
//!     .flags(TcpFlags::SYN)
//!     .seq(1000)
//!     .mss(1460)
//!     .sack_permitted()
//!     .window_scale(7)
//!     .build();
//! assert_eq!(syn.len(), 20 + 20 + 12);
//! let ip = nfsim::wire::ipv4::Packet::new_checked(&syn[..]).unwrap();
//! assert!(ip.verify_checksum());
//! let tcp = nfsim::wire::tcp::Packet::new_checked(ip.payload()).unwrap();
//! assert!(tcp.verify_checksum_v4(ip.src(), ip.dst()));
//! assert_eq!(tcp.dst_port(), 22);
//! ```

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use super::tcp::TcpFlags;
use super::IpProtocol;

/// Why a described packet cannot be written.
///
/// ```
/// use nfsim::wire::build::{BuildError, PacketBuilder};
/// let r = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .udp(1, 2)
///     .emit(&mut [0u8; 10]);
/// assert_eq!(r, Err(BuildError::BufferTooSmall));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildError {
    /// The output buffer is shorter than [`TransportBuilder::buffer_len`].
    BufferTooSmall,
    /// IPv4 options longer than 40 bytes, or TCP options longer than 40.
    OptionsTooLong,
    /// More IPv6 extension headers than [`MAX_EXT_HEADERS`].
    TooManyExtHeaders,
    /// An IPv6 extension header longer than its length byte can say
    /// (2048 bytes).
    ExtHeaderTooLong,
    /// The packet would exceed 65535 bytes (IPv4 total length, IPv6
    /// payload length).
    TooLong,
    /// [`pad_to_len`](TransportBuilder::pad_to_len) is smaller than the
    /// packet without padding.
    LengthTooSmall,
    /// A fragment offset that is not a multiple of 8 bytes.
    FragmentOffset,
    /// A fragment that is not the last one carries a number of bytes that
    /// is not a multiple of 8.
    FragmentLength,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::BufferTooSmall => "output buffer too small for the packet",
            BuildError::OptionsTooLong => "options longer than 40 bytes",
            BuildError::TooManyExtHeaders => "too many IPv6 extension headers",
            BuildError::ExtHeaderTooLong => "IPv6 extension header longer than 2048 bytes",
            BuildError::TooLong => "packet longer than 65535 bytes",
            BuildError::LengthTooSmall => "requested length too small for the packet",
            BuildError::FragmentOffset => "fragment offset is not a multiple of 8",
            BuildError::FragmentLength => {
                "a fragment that is not the last must carry a multiple of 8 bytes"
            }
        })
    }
}

impl std::error::Error for BuildError {}

/// How many IPv6 extension headers one builder holds.
pub const MAX_EXT_HEADERS: usize = 8;

/// An IPv6 extension header for [`Ipv6Builder::ext`].
///
/// ```
/// use nfsim::wire::build::{Ipv6Ext, PacketBuilder};
/// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
///     .ext(Ipv6Ext::HopByHop(&[]))
///     .ext(Ipv6Ext::Routing { routing_type: 0, segments_left: 0, data: &[0; 4] })
///     .udp(40000, 53)
///     .build();
/// assert_eq!(p[6], 0); // next header: hop-by-hop
/// assert_eq!(p.len(), 40 + 8 + 8 + 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ipv6Ext<'a> {
    /// Hop-by-hop options (0): the option bytes, padded with Pad1/PadN to
    /// a multiple of 8 with the two header bytes.
    HopByHop(&'a [u8]),
    /// Destination options (60): as [`Ipv6Ext::HopByHop`].
    DestOpts(&'a [u8]),
    /// Routing header (43): type, segments left, then `data`, padded with
    /// zero bytes.
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
        /// The bytes after the first four.
        data: &'a [u8],
    },
    /// Fragment header (44), written as given (to cut a datagram into
    /// fragments use [`TransportBuilder::fragment`] instead).
    Fragment {
        /// Offset in bytes (a multiple of 8).
        offset: u16,
        /// M flag.
        more: bool,
        /// Identification.
        ident: u32,
    },
}

impl Ipv6Ext<'_> {
    fn code(&self) -> u8 {
        match self {
            Ipv6Ext::HopByHop(_) => 0,
            Ipv6Ext::DestOpts(_) => 60,
            Ipv6Ext::Routing { .. } => 43,
            Ipv6Ext::Fragment { .. } => 44,
        }
    }

    fn len(&self) -> usize {
        match self {
            Ipv6Ext::HopByHop(o) | Ipv6Ext::DestOpts(o) => (o.len() + 2).div_ceil(8) * 8,
            Ipv6Ext::Routing { data, .. } => (data.len() + 4).div_ceil(8) * 8,
            Ipv6Ext::Fragment { .. } => 8,
        }
    }

    /// Writes the header with next header `nxt` into `out` (exactly
    /// `self.len()` bytes).
    fn write(&self, nxt: u8, out: &mut [u8]) -> Result<(), BuildError> {
        let len = out.len();
        let hdrlen = u8::try_from(len / 8 - 1).map_err(|_| BuildError::ExtHeaderTooLong)?;
        out.fill(0);
        out[0] = nxt;
        match *self {
            Ipv6Ext::HopByHop(o) | Ipv6Ext::DestOpts(o) => {
                out[1] = hdrlen;
                out[2..2 + o.len()].copy_from_slice(o);
                let pad = len - 2 - o.len();
                if pad > 1 {
                    // PadN (RFC 8200 4.2); Pad1 is the zero byte already there.
                    out[2 + o.len()] = 1;
                    out[3 + o.len()] = (pad - 2) as u8;
                }
            }
            Ipv6Ext::Routing {
                routing_type,
                segments_left,
                data,
            } => {
                out[1] = hdrlen;
                out[2] = routing_type;
                out[3] = segments_left;
                out[4..4 + data.len()].copy_from_slice(data);
            }
            Ipv6Ext::Fragment {
                offset,
                more,
                ident,
            } => {
                if offset % 8 != 0 {
                    return Err(BuildError::FragmentOffset);
                }
                out[2..4].copy_from_slice(&(offset | u16::from(more)).to_be_bytes());
                out[4..8].copy_from_slice(&ident.to_be_bytes());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct V4<'a> {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    tos: u8,
    ident: u16,
    ttl: u8,
    df: bool,
    mf: bool,
    frag_offset: u16,
    options: &'a [u8],
    bad_checksum: bool,
}

#[derive(Debug, Clone, Copy)]
struct V6<'a> {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    tc: u8,
    flow: u32,
    hlim: u8,
    ext: [Ipv6Ext<'a>; MAX_EXT_HEADERS],
    n_ext: usize,
    too_many: bool,
    frag_ident: u32,
}

impl<'a> V6<'a> {
    fn exts(&self) -> &[Ipv6Ext<'a>] {
        &self.ext[..self.n_ext]
    }
}

// Kept inline (no Box): building a packet allocates nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy)]
enum Ip<'a> {
    V4(V4<'a>),
    V6(V6<'a>),
}

/// The entry point: [`PacketBuilder::ipv4`] or [`PacketBuilder::ipv6`].
///
/// ```
/// use nfsim::wire::build::PacketBuilder;
/// let ping = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
///     .hop_limit(64)
///     .icmp_echo_request(1, 1)
///     .payload(b"ping")
///     .build();
/// assert_eq!(ping[40], 128); // ICMPv6 echo request
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PacketBuilder;

impl PacketBuilder {
    /// An IPv4 packet from `src` to `dst` (TTL 64, identification 1, no
    /// options, not a fragment).
    ///
    /// ```
    /// use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).udp(1, 2).build();
    /// assert_eq!(&p[..4], &[0x45, 0, 0, 28]);
    /// ```
    pub fn ipv4<'a>(src: Ipv4Addr, dst: Ipv4Addr) -> Ipv4Builder<'a> {
        Ipv4Builder(V4 {
            src,
            dst,
            tos: 0,
            ident: 1,
            ttl: 64,
            df: false,
            mf: false,
            frag_offset: 0,
            options: &[],
            bad_checksum: false,
        })
    }

    /// An IPv6 packet from `src` to `dst` (hop limit 64, traffic class and
    /// flow label 0, no extension headers).
    ///
    /// ```
    /// use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .udp(1, 2)
    ///     .build();
    /// assert_eq!(p.len(), 48);
    /// ```
    pub fn ipv6<'a>(src: Ipv6Addr, dst: Ipv6Addr) -> Ipv6Builder<'a> {
        Ipv6Builder(V6 {
            src,
            dst,
            tc: 0,
            flow: 0,
            hlim: 64,
            ext: [Ipv6Ext::HopByHop(&[]); MAX_EXT_HEADERS],
            n_ext: 0,
            too_many: false,
            frag_ident: 1,
        })
    }
}

/// IPv4 header fields; made by [`PacketBuilder::ipv4`].
///
/// ```
/// use nfsim::wire::build::PacketBuilder;
/// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .ident(7).ttl(1).dscp(46).ecn(1).dont_frag()
///     .options(&[0x94, 0x04, 0, 0]) // router alert
///     .udp(1, 2)
///     .build();
/// let ip = nfsim::wire::ipv4::Packet::new_checked(&p[..]).unwrap();
/// assert_eq!((ip.ident(), ip.ttl(), ip.dscp(), ip.ecn()), (7, 1, 46, 1));
/// assert!(ip.dont_frag() && ip.header_len() == 24 && ip.verify_checksum());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Builder<'a>(V4<'a>);

/// IPv6 header fields and extension headers; made by
/// [`PacketBuilder::ipv6`].
///
/// ```
/// use nfsim::wire::build::PacketBuilder;
/// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
///     .traffic_class(0xb8).flow_label(0x12345).hop_limit(1)
///     .udp(1, 2)
///     .build();
/// let ip = nfsim::wire::ipv6::Packet::new_checked(&p[..]).unwrap();
/// assert_eq!((ip.traffic_class(), ip.flow_label(), ip.hop_limit()), (0xb8, 0x12345, 1));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Builder<'a>(V6<'a>);

impl<'a> Ipv4Builder<'a> {
    /// The TOS byte (DSCP and ECN together).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tos(0x10).udp(1, 2).build();
    /// assert_eq!(p[1], 0x10);
    /// ```
    pub fn tos(mut self, tos: u8) -> Self {
        self.0.tos = tos;
        self
    }

    /// The DSCP (upper six bits of TOS); ECN is kept.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).dscp(46).udp(1, 2).build();
    /// assert_eq!(p[1], 46 << 2);
    /// ```
    pub fn dscp(mut self, dscp: u8) -> Self {
        self.0.tos = (dscp << 2) | (self.0.tos & 3);
        self
    }

    /// The ECN field (lower two bits of TOS); DSCP is kept.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).ecn(3).udp(1, 2).build();
    /// assert_eq!(p[1], 3);
    /// ```
    pub fn ecn(mut self, ecn: u8) -> Self {
        self.0.tos = (self.0.tos & !3) | (ecn & 3);
        self
    }

    /// The identification field (default 1).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).ident(0x1234).udp(1, 2).build();
    /// assert_eq!(&p[4..6], &[0x12, 0x34]);
    /// ```
    pub fn ident(mut self, ident: u16) -> Self {
        self.0.ident = ident;
        self
    }

    /// The TTL (default 64).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).ttl(1).udp(1, 2).build();
    /// assert_eq!(p[8], 1);
    /// ```
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.0.ttl = ttl;
        self
    }

    /// Sets DF.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).dont_frag().udp(1, 2).build();
    /// assert_eq!(p[6], 0x40);
    /// ```
    pub fn dont_frag(mut self) -> Self {
        self.0.df = true;
        self
    }

    /// Sets MF, for a fragment described by hand (see also
    /// [`TransportBuilder::fragment`], which sets it itself).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).more_frags().udp(1, 2).build();
    /// assert_eq!(p[6], 0x20);
    /// ```
    pub fn more_frags(mut self) -> Self {
        self.0.mf = true;
        self
    }

    /// The fragment offset in bytes (a multiple of 8), for a fragment
    /// described by hand: the header then carries it while what follows is
    /// written from offset 0 of the transport segment.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .frag_offset(1480).protocol(nfsim::wire::IpProtocol::UDP).payload(&[0; 8]).build();
    /// assert_eq!(&p[6..8], &[0, 185]);
    /// ```
    pub fn frag_offset(mut self, offset_bytes: u16) -> Self {
        self.0.frag_offset = offset_bytes;
        self
    }

    /// IPv4 options, padded with zero bytes (EOL) to a multiple of 4; at
    /// most 40 bytes.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .options(&[1, 1, 1]).udp(1, 2).build();
    /// assert_eq!(p[0], 0x46);
    /// assert_eq!(&p[20..24], &[1, 1, 1, 0]);
    /// ```
    pub fn options(mut self, options: &'a [u8]) -> Self {
        self.0.options = options;
        self
    }

    /// Writes a wrong IPv4 header checksum (the right one XOR `0x5a5a`).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .bad_ip_checksum().udp(1, 2).build();
    /// assert!(!nfsim::wire::ipv4::Packet::new_checked(&p[..]).unwrap().verify_checksum());
    /// ```
    pub fn bad_ip_checksum(mut self) -> Self {
        self.0.bad_checksum = true;
        self
    }

    fn ip(self) -> Ip<'a> {
        Ip::V4(self.0)
    }
}

impl<'a> Ipv6Builder<'a> {
    /// The traffic class (DSCP and ECN together).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .traffic_class(0xff).udp(1, 2).build();
    /// assert_eq!(&p[..2], &[0x6f, 0xf0]);
    /// ```
    pub fn traffic_class(mut self, tc: u8) -> Self {
        self.0.tc = tc;
        self
    }

    /// The DSCP (upper six bits of the traffic class); ECN is kept.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .dscp(46).udp(1, 2).build();
    /// assert_eq!(nfsim::wire::ipv6::Packet::new_checked(&p[..]).unwrap().traffic_class(), 46 << 2);
    /// ```
    pub fn dscp(mut self, dscp: u8) -> Self {
        self.0.tc = (dscp << 2) | (self.0.tc & 3);
        self
    }

    /// The ECN field (lower two bits of the traffic class); DSCP is kept.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .ecn(2).udp(1, 2).build();
    /// assert_eq!(nfsim::wire::ipv6::Packet::new_checked(&p[..]).unwrap().traffic_class(), 2);
    /// ```
    pub fn ecn(mut self, ecn: u8) -> Self {
        self.0.tc = (self.0.tc & !3) | (ecn & 3);
        self
    }

    /// The flow label (20 bits; higher bits are dropped).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .flow_label(0xabcde).udp(1, 2).build();
    /// assert_eq!(&p[1..4], &[0x0a, 0xbc, 0xde]);
    /// ```
    pub fn flow_label(mut self, label: u32) -> Self {
        self.0.flow = label & 0x000f_ffff;
        self
    }

    /// The hop limit (default 64).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .hop_limit(255).udp(1, 2).build();
    /// assert_eq!(p[7], 255);
    /// ```
    pub fn hop_limit(mut self, hop_limit: u8) -> Self {
        self.0.hlim = hop_limit;
        self
    }

    /// Appends an extension header (in order; at most
    /// [`MAX_EXT_HEADERS`]). The next-header chain is filled in.
    ///
    /// ```
    /// # use nfsim::wire::build::{Ipv6Ext, PacketBuilder};
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .ext(Ipv6Ext::DestOpts(&[]))
    ///     .ext(Ipv6Ext::Fragment { offset: 0, more: false, ident: 9 })
    ///     .udp(1, 2).build();
    /// assert_eq!((p[6], p[40], p[48]), (60, 44, 17));
    /// ```
    pub fn ext(mut self, ext: Ipv6Ext<'a>) -> Self {
        match self.0.ext.get_mut(self.0.n_ext) {
            Some(slot) => {
                *slot = ext;
                self.0.n_ext += 1;
            }
            None => self.0.too_many = true,
        }
        self
    }

    /// The identification of the fragment header that
    /// [`TransportBuilder::fragment`] inserts (default 1).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::20".parse().unwrap(), "2001:db8::1".parse().unwrap())
    ///     .frag_ident(200).udp(1, 2).payload(&[0; 32]).fragment(0, 16).build();
    /// assert_eq!(&p[44..48], &200u32.to_be_bytes());
    /// ```
    pub fn frag_ident(mut self, ident: u32) -> Self {
        self.0.frag_ident = ident;
        self
    }

    fn ip(self) -> Ip<'a> {
        Ip::V6(self.0)
    }
}

macro_rules! transports {
    ($t:ident) => {
        impl<'a> $t<'a> {
            /// A TCP segment from `sport` to `dport` (no flags, sequence
            /// and acknowledgment 0, window 64240).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(40000, 80).build();
            /// assert_eq!(p.len(), 40);
            /// ```
            pub fn tcp(self, sport: u16, dport: u16) -> TcpBuilder<'a> {
                TransportBuilder::new(
                    self.ip(),
                    Tcp {
                        sport,
                        dport,
                        seq: 0,
                        ack: 0,
                        flags: TcpFlags::empty(),
                        window: 64240,
                        urgent: 0,
                        doff: None,
                        options: [0; 40],
                        opt_len: 0,
                        opt_overflow: false,
                    },
                )
            }

            /// A UDP datagram from `sport` to `dport`.
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            ///     .udp(40000, 53).payload(b"q").build();
            /// assert_eq!(&p[20..26], &[0x9c, 0x40, 0, 53, 0, 9]);
            /// ```
            pub fn udp(self, sport: u16, dport: u16) -> UdpBuilder<'a> {
                TransportBuilder::new(
                    self.ip(),
                    Udp {
                        sport,
                        dport,
                        len: None,
                    },
                )
            }

            /// An ICMP (IPv4) or ICMPv6 (IPv6) message of any type and code,
            /// the four bytes after the checksum set with
            /// [`rest`](TransportBuilder::rest).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            ///     .icmp(13, 0).build(); // timestamp request
            /// assert_eq!(p[20], 13);
            /// ```
            pub fn icmp(self, icmp_type: u8, code: u8) -> IcmpBuilder<'a> {
                TransportBuilder::new(
                    self.ip(),
                    Icmp {
                        icmp_type,
                        code,
                        rest: [0; 4],
                    },
                )
            }

            /// An echo request (ICMP type 8, ICMPv6 type 128).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            ///     .icmp_echo_request(77, 1).build();
            /// assert_eq!(&p[20..22], &[8, 0]);
            /// assert_eq!(&p[24..28], &[0, 77, 0, 1]);
            /// ```
            pub fn icmp_echo_request(self, ident: u16, seq: u16) -> IcmpBuilder<'a> {
                let t = if self.is_v4() { 8 } else { 128 };
                self.icmp(t, 0).echo(ident, seq)
            }

            /// An echo reply (ICMP type 0, ICMPv6 type 129).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv6("2001:db8::1".parse().unwrap(), "2001:db8::20".parse().unwrap())
            ///     .icmp_echo_reply(77, 1).build();
            /// assert_eq!(p[40], 129);
            /// ```
            pub fn icmp_echo_reply(self, ident: u16, seq: u16) -> IcmpBuilder<'a> {
                let t = if self.is_v4() { 0 } else { 129 };
                self.icmp(t, 0).echo(ident, seq)
            }

            /// An ICMP/ICMPv6 error of `icmp_type`/`code` quoting `quoted`
            /// (the invoking packet from its IP header on, cut as the
            /// sender would cut it).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let inner = PacketBuilder::ipv4([192, 0, 2, 1].into(), [203, 0, 113, 53].into())
            ///     .udp(45001, 53).build();
            /// let err = PacketBuilder::ipv4([203, 0, 113, 53].into(), [192, 0, 2, 1].into())
            ///     .icmp_error(3, 3, &inner) // port unreachable
            ///     .build();
            /// assert_eq!(&err[28..], &inner[..]);
            /// ```
            pub fn icmp_error(self, icmp_type: u8, code: u8, quoted: &'a [u8]) -> IcmpBuilder<'a> {
                self.icmp(icmp_type, code).quote(quoted)
            }

            /// "Packet too big": ICMP destination unreachable, fragmentation
            /// needed (3/4) with the next-hop MTU in its low 16 bits, or
            /// ICMPv6 packet too big (2/0) with the 32-bit MTU; quoting
            /// `quoted`.
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// let p = PacketBuilder::ipv4([198, 51, 100, 254].into(), [198, 51, 100, 1].into())
            ///     .icmp_packet_too_big(1280, &[]).build();
            /// assert_eq!(&p[20..28], &[3, 4, p[22], p[23], 0, 0, 5, 0]);
            /// ```
            pub fn icmp_packet_too_big(self, mtu: u32, quoted: &'a [u8]) -> IcmpBuilder<'a> {
                if self.is_v4() {
                    self.icmp(3, 4).rest(mtu & 0xffff).quote(quoted)
                } else {
                    self.icmp(2, 0).rest(mtu).quote(quoted)
                }
            }

            /// No transport header: protocol number `protocol`, then the
            /// payload as given (no checksum is computed).
            ///
            /// ```
            /// # use nfsim::wire::build::PacketBuilder;
            /// use nfsim::wire::IpProtocol;
            /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            ///     .protocol(IpProtocol::GRE).payload(&[0; 4]).build();
            /// assert_eq!((p[9], p.len()), (47, 24));
            /// ```
            pub fn protocol(self, protocol: IpProtocol) -> RawBuilder<'a> {
                TransportBuilder::new(self.ip(), Raw(protocol))
            }
        }
    };
}

impl Ipv4Builder<'_> {
    fn is_v4(&self) -> bool {
        true
    }
}

impl Ipv6Builder<'_> {
    fn is_v4(&self) -> bool {
        false
    }
}

transports!(Ipv4Builder);
transports!(Ipv6Builder);

mod sealed {
    pub trait Sealed {}
}

/// A transport header kind a [`TransportBuilder`] can carry: [`Tcp`],
/// [`Udp`], [`Icmp`] or [`Raw`]. Sealed.
///
/// ```
/// use nfsim::wire::build::{PacketBuilder, Transport};
/// fn len<T: Transport>(b: &nfsim::wire::build::TransportBuilder<'_, T>) -> usize {
///     b.buffer_len().unwrap()
/// }
/// assert_eq!(len(&PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).udp(1, 2)), 28);
/// ```
pub trait Transport: sealed::Sealed + Copy {
    #[doc(hidden)]
    fn protocol(&self, v4: bool) -> IpProtocol;
    /// Writes the header (checksum field zero) and returns its length and
    /// the offset of its checksum field.
    #[doc(hidden)]
    fn header(&self, out: &mut [u8; 60]) -> Result<(usize, Option<usize>), BuildError>;
    /// Fixes length fields once the segment length is known.
    #[doc(hidden)]
    fn fix(&self, _hdr: &mut [u8], _seg_len: usize) {}
}

/// TCP header fields (see [`TcpBuilder`]).
///
/// ```
/// # use nfsim::wire::build::PacketBuilder;
/// let _tcp: nfsim::wire::build::TcpBuilder<'_> =
///     PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Tcp {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    window: u16,
    urgent: u16,
    doff: Option<u8>,
    options: [u8; 40],
    opt_len: usize,
    opt_overflow: bool,
}

/// UDP header fields (see [`UdpBuilder`]).
///
/// ```
/// # use nfsim::wire::build::PacketBuilder;
/// let _udp: nfsim::wire::build::UdpBuilder<'_> =
///     PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).udp(1, 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Udp {
    sport: u16,
    dport: u16,
    len: Option<u16>,
}

/// ICMP / ICMPv6 header fields (see [`IcmpBuilder`]).
///
/// ```
/// # use nfsim::wire::build::PacketBuilder;
/// let _icmp: nfsim::wire::build::IcmpBuilder<'_> =
///     PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).icmp(8, 0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Icmp {
    icmp_type: u8,
    code: u8,
    rest: [u8; 4],
}

/// A bare protocol number, no transport header (see [`RawBuilder`]).
///
/// ```
/// # use nfsim::wire::build::PacketBuilder;
/// let _raw: nfsim::wire::build::RawBuilder<'_> = PacketBuilder::ipv4([192, 0, 2, 20].into(),
///     [192, 0, 2, 1].into()).protocol(nfsim::wire::IpProtocol::ESP);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Raw(IpProtocol);

impl sealed::Sealed for Tcp {}
impl sealed::Sealed for Udp {}
impl sealed::Sealed for Icmp {}
impl sealed::Sealed for Raw {}

impl Transport for Tcp {
    fn protocol(&self, _v4: bool) -> IpProtocol {
        IpProtocol::TCP
    }
    fn header(&self, out: &mut [u8; 60]) -> Result<(usize, Option<usize>), BuildError> {
        if self.opt_overflow {
            return Err(BuildError::OptionsTooLong);
        }
        let olen = self.opt_len.div_ceil(4) * 4;
        let len = 20 + olen;
        out[0..2].copy_from_slice(&self.sport.to_be_bytes());
        out[2..4].copy_from_slice(&self.dport.to_be_bytes());
        out[4..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..12].copy_from_slice(&self.ack.to_be_bytes());
        out[12] = self.doff.unwrap_or((len / 4) as u8) << 4;
        out[13] = self.flags.bits();
        out[14..16].copy_from_slice(&self.window.to_be_bytes());
        out[16..18].copy_from_slice(&[0, 0]);
        out[18..20].copy_from_slice(&self.urgent.to_be_bytes());
        out[20..20 + olen].fill(0);
        out[20..20 + self.opt_len].copy_from_slice(&self.options[..self.opt_len]);
        Ok((len, Some(16)))
    }
}

impl Transport for Udp {
    fn protocol(&self, _v4: bool) -> IpProtocol {
        IpProtocol::UDP
    }
    fn header(&self, out: &mut [u8; 60]) -> Result<(usize, Option<usize>), BuildError> {
        out[0..2].copy_from_slice(&self.sport.to_be_bytes());
        out[2..4].copy_from_slice(&self.dport.to_be_bytes());
        out[4..8].fill(0);
        Ok((8, Some(6)))
    }
    fn fix(&self, hdr: &mut [u8], seg_len: usize) {
        let len = self.len.unwrap_or(seg_len as u16);
        hdr[4..6].copy_from_slice(&len.to_be_bytes());
    }
}

impl Transport for Icmp {
    fn protocol(&self, v4: bool) -> IpProtocol {
        if v4 {
            IpProtocol::ICMP
        } else {
            IpProtocol::ICMPV6
        }
    }
    fn header(&self, out: &mut [u8; 60]) -> Result<(usize, Option<usize>), BuildError> {
        out[0] = self.icmp_type;
        out[1] = self.code;
        out[2..4].fill(0);
        out[4..8].copy_from_slice(&self.rest);
        Ok((8, Some(2)))
    }
}

impl Transport for Raw {
    fn protocol(&self, _v4: bool) -> IpProtocol {
        self.0
    }
    fn header(&self, _out: &mut [u8; 60]) -> Result<(usize, Option<usize>), BuildError> {
        Ok((0, None))
    }
}

/// A whole packet description: IP fields, a transport header `T`, payload.
/// Written with [`emit`](Self::emit), [`emit_into`](Self::emit_into) or
/// [`build`](Self::build).
///
/// ```
/// use nfsim::wire::build::PacketBuilder;
/// let b = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .udp(40000, 53)
///     .payload(b"query");
/// let mut buf = [0u8; 64];
/// let n = b.emit(&mut buf).unwrap();
/// assert_eq!(&buf[..n], &b.build()[..]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TransportBuilder<'a, T: Transport> {
    ip: Ip<'a>,
    l4: T,
    quoted: &'a [u8],
    payload: &'a [u8],
    pad_to: Option<usize>,
    bad_checksum: bool,
    fragment: Option<(usize, usize)>,
}

/// A TCP packet description.
pub type TcpBuilder<'a> = TransportBuilder<'a, Tcp>;
/// A UDP packet description.
pub type UdpBuilder<'a> = TransportBuilder<'a, Udp>;
/// An ICMP / ICMPv6 packet description.
pub type IcmpBuilder<'a> = TransportBuilder<'a, Icmp>;
/// A packet description without a transport header.
pub type RawBuilder<'a> = TransportBuilder<'a, Raw>;

impl TransportBuilder<'_, Tcp> {
    fn push_opt(mut self, bytes: &[u8]) -> Self {
        let at = self.l4.opt_len;
        match self.l4.options.get_mut(at..at + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.l4.opt_len += bytes.len();
            }
            None => self.l4.opt_overflow = true,
        }
        self
    }

    /// The flags.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// use nfsim::wire::tcp::TcpFlags;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).flags(TcpFlags::SYN | TcpFlags::ACK).build();
    /// assert_eq!(p[33], 0x12);
    /// ```
    pub fn flags(mut self, flags: TcpFlags) -> Self {
        self.l4.flags = flags;
        self
    }

    /// The sequence number.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).seq(5).build();
    /// assert_eq!(&p[24..28], &[0, 0, 0, 5]);
    /// ```
    pub fn seq(mut self, seq: u32) -> Self {
        self.l4.seq = seq;
        self
    }

    /// The acknowledgment number (set the ACK flag with
    /// [`flags`](Self::flags)).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).ack(6).build();
    /// assert_eq!(&p[28..32], &[0, 0, 0, 6]);
    /// ```
    pub fn ack(mut self, ack: u32) -> Self {
        self.l4.ack = ack;
        self
    }

    /// The window (default 64240).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).window(0).build();
    /// assert_eq!(&p[34..36], &[0, 0]);
    /// ```
    pub fn window(mut self, window: u16) -> Self {
        self.l4.window = window;
        self
    }

    /// The urgent pointer.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).urgent(3).build();
    /// assert_eq!(&p[38..40], &[0, 3]);
    /// ```
    pub fn urgent(mut self, urgent: u16) -> Self {
        self.l4.urgent = urgent;
        self
    }

    /// Writes `doff` (in 32-bit words, 0..=15) as the data offset instead
    /// of the header's real length (a malformed segment on purpose).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).data_offset(4).build();
    /// assert_eq!(p[32], 0x40);
    /// ```
    pub fn data_offset(mut self, doff: u8) -> Self {
        self.l4.doff = Some(doff & 0xf);
        self
    }

    /// Appends an MSS option (kind 2).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).mss(1460).build();
    /// assert_eq!(&p[40..44], &[2, 4, 0x05, 0xb4]);
    /// ```
    pub fn mss(self, mss: u16) -> Self {
        let m = mss.to_be_bytes();
        self.push_opt(&[2, 4, m[0], m[1]])
    }

    /// Appends a window scale option (kind 3).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).window_scale(7).build();
    /// assert_eq!(&p[40..44], &[3, 3, 7, 0]);
    /// ```
    pub fn window_scale(self, shift: u8) -> Self {
        self.push_opt(&[3, 3, shift])
    }

    /// Appends a SACK-permitted option (kind 4).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).sack_permitted().build();
    /// assert_eq!(&p[40..44], &[4, 2, 0, 0]);
    /// ```
    pub fn sack_permitted(self) -> Self {
        self.push_opt(&[4, 2])
    }

    /// Appends a SACK option (kind 5) with the given (left, right) edges.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).sack(&[(100, 200)]).build();
    /// assert_eq!(&p[40..44], &[5, 10, 0, 0]);
    /// ```
    pub fn sack(mut self, blocks: &[(u32, u32)]) -> Self {
        if blocks.len() > 4 {
            self.l4.opt_overflow = true;
            return self;
        }
        self = self.push_opt(&[5, 2 + 8 * blocks.len() as u8]);
        for (l, r) in blocks {
            self = self.push_opt(&l.to_be_bytes()).push_opt(&r.to_be_bytes());
        }
        self
    }

    /// Appends a timestamps option (kind 8): value and echo reply.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).timestamps(1, 0).build();
    /// assert_eq!(&p[40..46], &[8, 10, 0, 0, 0, 1]);
    /// ```
    pub fn timestamps(self, tsval: u32, tsecr: u32) -> Self {
        let a = tsval.to_be_bytes();
        let b = tsecr.to_be_bytes();
        self.push_opt(&[8, 10, a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]])
    }

    /// Appends a NOP (kind 1).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).nop().build();
    /// assert_eq!(&p[40..44], &[1, 0, 0, 0]);
    /// ```
    pub fn nop(self) -> Self {
        self.push_opt(&[1])
    }

    /// Appends an end-of-options byte (kind 0).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).eol().build();
    /// assert_eq!(p.len(), 44);
    /// ```
    pub fn eol(self) -> Self {
        self.push_opt(&[0])
    }

    /// Appends raw option bytes as given (kind, length and data, or
    /// anything malformed on purpose). All options together are padded
    /// with zero bytes to a multiple of 4, at most 40 bytes.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).option_bytes(&[0xfe, 4, 0xab, 0xcd]).build();
    /// assert_eq!(&p[40..44], &[0xfe, 4, 0xab, 0xcd]);
    /// ```
    pub fn option_bytes(self, bytes: &[u8]) -> Self {
        self.push_opt(bytes)
    }
}

impl TransportBuilder<'_, Udp> {
    /// Writes `len` as the UDP length field instead of the datagram's real
    /// length (the checksum still covers the real datagram).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .udp(1, 2).udp_len(100).build();
    /// assert_eq!(&p[24..26], &[0, 100]);
    /// ```
    pub fn udp_len(mut self, len: u16) -> Self {
        self.l4.len = Some(len);
        self
    }
}

impl<'a> TransportBuilder<'a, Icmp> {
    /// The four bytes after the checksum (the "rest of header").
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv6("2001:db8::1".parse().unwrap(), "2001:db8::20".parse().unwrap())
    ///     .icmp(4, 0).rest(6).build(); // parameter problem, pointer 6
    /// assert_eq!(&p[44..48], &[0, 0, 0, 6]);
    /// ```
    pub fn rest(mut self, rest: u32) -> Self {
        self.l4.rest = rest.to_be_bytes();
        self
    }

    /// Echo identifier and sequence number as the rest of header.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .icmp(8, 0).echo(1, 2).build();
    /// assert_eq!(&p[24..28], &[0, 1, 0, 2]);
    /// ```
    pub fn echo(self, ident: u16, seq: u16) -> Self {
        self.rest((u32::from(ident) << 16) | u32::from(seq))
    }

    /// The quoted invoking packet of an error (written before the
    /// [`payload`](TransportBuilder::payload)).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .icmp(11, 0).quote(&[0x45; 28]).build();
    /// assert_eq!(p.len(), 20 + 8 + 28);
    /// ```
    pub fn quote(mut self, quoted: &'a [u8]) -> Self {
        self.quoted = quoted;
        self
    }
}

/// Streaming one's-complement sum over pieces of any length.
struct Acc {
    acc: u64,
    odd: bool,
}

impl Acc {
    fn add(&mut self, mut data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if self.odd {
            if let Some((&b, rest)) = data.split_first() {
                self.acc += u64::from(b);
                data = rest;
                self.odd = false;
            }
        }
        self.acc += u64::from(super::checksum::sum(data));
        self.odd = data.len() % 2 == 1;
    }

    fn add16(&mut self, v: u16) {
        // Only called at even positions (pseudo-headers).
        self.acc += u64::from(v);
    }

    fn fold(&self) -> u16 {
        let mut a = self.acc;
        while a > 0xffff {
            a = (a & 0xffff) + (a >> 16);
        }
        a as u16
    }
}

impl<'a, T: Transport> TransportBuilder<'a, T> {
    fn new(ip: Ip<'a>, l4: T) -> Self {
        TransportBuilder {
            ip,
            l4,
            quoted: &[],
            payload: &[],
            pad_to: None,
            bad_checksum: false,
            fragment: None,
        }
    }

    /// The payload after the transport header (after the quoted packet of
    /// an ICMP error).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .udp(1, 2).payload(b"hello").build();
    /// assert_eq!(&p[28..], b"hello");
    /// ```
    pub fn payload(mut self, payload: &'a [u8]) -> Self {
        self.payload = payload;
        self
    }

    /// Pads the payload with zero bytes so that the whole packet (from the
    /// IP header on, extension headers included, before any
    /// [`fragment`](Self::fragment) cut) is `total` bytes long.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .udp(1, 2).pad_to_len(100).build();
    /// assert_eq!(p.len(), 100);
    /// ```
    pub fn pad_to_len(mut self, total: usize) -> Self {
        self.pad_to = Some(total);
        self
    }

    /// Writes a wrong transport checksum (TCP, UDP, ICMP, ICMPv6): the
    /// right one XOR `0x5a5a`.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .tcp(1, 2).bad_checksum().build();
    /// let tcp = nfsim::wire::tcp::Packet::new_checked(&p[20..]).unwrap();
    /// assert!(!tcp.verify_checksum_v4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()));
    /// ```
    pub fn bad_checksum(mut self) -> Self {
        self.bad_checksum = true;
        self
    }

    /// Writes only one fragment of the datagram: bytes
    /// `[offset, offset + len)` of what follows the IP header (IPv6: of the
    /// fragmentable part, after the extension headers given with
    /// [`Ipv6Builder::ext`], which stay in front of the inserted fragment
    /// header). The transport checksum covers the whole datagram. MF is
    /// set unless the fragment reaches the end; `offset` must be a
    /// multiple of 8, and so must `len` unless it reaches the end.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let b = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .ident(100).udp(40000, 53).payload(&[7; 40]);
    /// let first = b.fragment(0, 24).build();
    /// let last = b.fragment(24, 100).build();
    /// assert_eq!((&first[6..8], first.len()), (&[0x20, 0][..], 44));
    /// assert_eq!((&last[6..8], last.len()), (&[0, 3][..], 44));
    /// ```
    pub fn fragment(mut self, offset: usize, len: usize) -> Self {
        self.fragment = Some((offset, len));
        self
    }

    fn v4(&self) -> bool {
        matches!(self.ip, Ip::V4(_))
    }

    /// Length of the IP header with options / extension headers (without an
    /// inserted fragment header).
    fn ip_header_len(&self) -> Result<usize, BuildError> {
        match &self.ip {
            Ip::V4(v) => {
                if v.options.len() > 40 {
                    return Err(BuildError::OptionsTooLong);
                }
                Ok(20 + v.options.len().div_ceil(4) * 4)
            }
            Ip::V6(v) => {
                if v.too_many {
                    return Err(BuildError::TooManyExtHeaders);
                }
                let mut n = 40;
                for e in v.exts() {
                    let l = e.len();
                    if l > 2048 {
                        return Err(BuildError::ExtHeaderTooLong);
                    }
                    n += l;
                }
                Ok(n)
            }
        }
    }

    /// Everything needed to write: transport header, segment length, zero
    /// padding, the fragment window and the total length.
    fn layout(&self) -> Result<Layout, BuildError> {
        let mut hdr = [0u8; 60];
        let (hlen, csum_at) = self.l4.header(&mut hdr)?;
        let ip_len = self.ip_header_len()?;
        let unpadded = hlen + self.quoted.len() + self.payload.len();
        let zeros = match self.pad_to {
            Some(total) => total
                .checked_sub(ip_len + unpadded)
                .ok_or(BuildError::LengthTooSmall)?,
            None => 0,
        };
        let seg_len = unpadded + zeros;
        self.l4.fix(&mut hdr[..hlen], seg_len);
        let (win_start, win_len, more) = match self.fragment {
            None => (0, seg_len, None),
            Some((off, len)) => {
                if off % 8 != 0 {
                    return Err(BuildError::FragmentOffset);
                }
                let start = off.min(seg_len);
                let end = off.saturating_add(len).min(seg_len);
                let more = end < seg_len;
                if more && (end - start) % 8 != 0 {
                    return Err(BuildError::FragmentLength);
                }
                (start, end - start, Some(more))
            }
        };
        let frag_hdr = if more.is_some() && !self.v4() { 8 } else { 0 };
        let total = ip_len + frag_hdr + win_len;
        let limit = if self.v4() { 65535 } else { 65535 + 40 };
        if total > limit || seg_len + ip_len > limit {
            return Err(BuildError::TooLong);
        }
        Ok(Layout {
            hdr,
            hlen,
            csum_at,
            ip_len,
            zeros,
            seg_len,
            win_start,
            win_len,
            more,
            total,
        })
    }

    /// How many bytes [`emit`](Self::emit) writes.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] when the description cannot be encoded.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let b = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).tcp(1, 2).mss(1460);
    /// assert_eq!(b.buffer_len(), Ok(44));
    /// ```
    pub fn buffer_len(&self) -> Result<usize, BuildError> {
        Ok(self.layout()?.total)
    }

    /// Writes the packet into the start of `buf` and returns its length.
    /// Allocates nothing.
    ///
    /// # Errors
    ///
    /// [`BuildError::BufferTooSmall`] when `buf` is shorter than
    /// [`buffer_len`](Self::buffer_len), or another [`BuildError`] when
    /// the description cannot be encoded. `buf` may be partly written then.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let mut buf = [0u8; 1500];
    /// let n = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .udp(40000, 53).payload(b"q").emit(&mut buf).unwrap();
    /// assert_eq!(n, 29);
    /// ```
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, BuildError> {
        let mut l = self.layout()?;
        let out = buf.get_mut(..l.total).ok_or(BuildError::BufferTooSmall)?;
        let v4 = self.v4();
        let proto = self.l4.protocol(v4);

        // Transport checksum over the whole segment.
        if let Some(at) = l.csum_at {
            let mut acc = Acc { acc: 0, odd: false };
            let seg_len = l.seg_len as u32;
            match &self.ip {
                Ip::V4(v) => {
                    if proto != IpProtocol::ICMP {
                        acc.add(&v.src.octets());
                        acc.add(&v.dst.octets());
                        acc.add16(u16::from(proto.0));
                        acc.add16((seg_len >> 16) as u16);
                        acc.add16(seg_len as u16);
                    }
                }
                Ip::V6(v) => {
                    acc.add(&v.src.octets());
                    acc.add(&v.dst.octets());
                    acc.add16((seg_len >> 16) as u16);
                    acc.add16(seg_len as u16);
                    acc.add16(u16::from(proto.0));
                }
            }
            acc.add(&l.hdr[..l.hlen]);
            acc.add(self.quoted);
            acc.add(self.payload);
            let mut c = !acc.fold();
            if proto == IpProtocol::UDP && c == 0 {
                c = super::checksum::CSUM_MANGLED_0;
            }
            if self.bad_checksum {
                c ^= 0x5a5a;
            }
            l.hdr[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }

        // IP header.
        let mut at = match &self.ip {
            Ip::V4(v) => {
                let h = &mut out[..l.ip_len];
                h.fill(0);
                h[0] = 0x40 | (l.ip_len / 4) as u8;
                h[1] = v.tos;
                h[2..4].copy_from_slice(&(l.total as u16).to_be_bytes());
                h[4..6].copy_from_slice(&v.ident.to_be_bytes());
                let word = match l.more {
                    None => {
                        if v.frag_offset % 8 != 0 {
                            return Err(BuildError::FragmentOffset);
                        }
                        (if v.df { 0x4000 } else { 0 })
                            | (if v.mf { 0x2000 } else { 0 })
                            | ((v.frag_offset / 8) & 0x1fff)
                    }
                    Some(more) => {
                        (if v.df { 0x4000 } else { 0 })
                            | (if more { 0x2000 } else { 0 })
                            | ((l.win_start / 8) as u16 & 0x1fff)
                    }
                };
                h[6..8].copy_from_slice(&word.to_be_bytes());
                h[8] = v.ttl;
                h[9] = proto.0;
                h[12..16].copy_from_slice(&v.src.octets());
                h[16..20].copy_from_slice(&v.dst.octets());
                h[20..20 + v.options.len()].copy_from_slice(v.options);
                let mut c = super::checksum::ipv4_header(h);
                if v.bad_checksum {
                    c ^= 0x5a5a;
                }
                h[10..12].copy_from_slice(&c.to_be_bytes());
                l.ip_len
            }
            Ip::V6(v) => {
                let w = (6u32 << 28) | (u32::from(v.tc) << 20) | v.flow;
                out[0..4].copy_from_slice(&w.to_be_bytes());
                out[4..6].copy_from_slice(&((l.total - 40) as u16).to_be_bytes());
                let exts = v.exts();
                let first = exts.first().map_or(proto.0, |e| e.code());
                let first = if exts.is_empty() && l.more.is_some() {
                    44
                } else {
                    first
                };
                out[6] = first;
                out[7] = v.hlim;
                out[8..24].copy_from_slice(&v.src.octets());
                out[24..40].copy_from_slice(&v.dst.octets());
                let mut at = 40;
                for (i, e) in exts.iter().enumerate() {
                    let nxt = match exts.get(i + 1) {
                        Some(n) => n.code(),
                        None if l.more.is_some() => 44,
                        None => proto.0,
                    };
                    let len = e.len();
                    e.write(nxt, &mut out[at..at + len])?;
                    at += len;
                }
                if let Some(more) = l.more {
                    out[at] = proto.0;
                    out[at + 1] = 0;
                    let word = (l.win_start as u16 & 0xfff8) | u16::from(more);
                    out[at + 2..at + 4].copy_from_slice(&word.to_be_bytes());
                    out[at + 4..at + 8].copy_from_slice(&v.frag_ident.to_be_bytes());
                    at += 8;
                }
                at
            }
        };

        // The segment window [win_start, win_start + win_len).
        let pieces: [&[u8]; 3] = [&l.hdr[..l.hlen], self.quoted, self.payload];
        let mut pos = 0usize; // position of the current piece in the segment
        let win_end = l.win_start + l.win_len;
        for piece in pieces {
            let (s, e) = (pos, pos + piece.len());
            let from = s.max(l.win_start);
            let to = e.min(win_end);
            if from < to {
                let n = to - from;
                out[at..at + n].copy_from_slice(&piece[from - s..to - s]);
                at += n;
            }
            pos = e;
        }
        // Zero padding.
        let (s, e) = (pos, pos + l.zeros);
        let from = s.max(l.win_start);
        let to = e.min(win_end);
        if from < to {
            out[at..at + (to - from)].fill(0);
            at += to - from;
        }
        debug_assert_eq!(at, l.total);
        Ok(l.total)
    }

    /// Writes the packet into `out`, replacing its contents and reusing its
    /// capacity (no allocation when the capacity suffices). Returns the
    /// length.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] when the description cannot be encoded (`out` is
    /// then left empty).
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let mut v = Vec::with_capacity(1500);
    /// for port in [22, 80, 443] {
    ///     PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///         .tcp(40000, port).emit_into(&mut v).unwrap();
    ///     assert_eq!(v.len(), 40);
    /// }
    /// assert_eq!(v.capacity(), 1500);
    /// ```
    pub fn emit_into(&self, out: &mut Vec<u8>) -> Result<usize, BuildError> {
        out.clear();
        let n = self.buffer_len()?;
        out.resize(n, 0);
        match self.emit(out) {
            Ok(n) => Ok(n),
            Err(e) => {
                out.clear();
                Err(e)
            }
        }
    }

    /// The packet in a new `Vec<u8>`.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] when the description cannot be encoded.
    ///
    /// ```
    /// # use nfsim::wire::build::{BuildError, PacketBuilder};
    /// let r = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .udp(1, 2).pad_to_len(10).try_build();
    /// assert_eq!(r, Err(BuildError::LengthTooSmall));
    /// ```
    pub fn try_build(&self) -> Result<Vec<u8>, BuildError> {
        let mut v = Vec::new();
        self.emit_into(&mut v)?;
        Ok(v)
    }

    /// The packet in a new `Vec<u8>`.
    ///
    /// # Panics
    ///
    /// When the description cannot be encoded (options over 40 bytes, a
    /// fragment offset not a multiple of 8, more than 65535 bytes, ...):
    /// a mistake in the program that builds it, like an index out of
    /// bounds. Use [`try_build`](Self::try_build) or [`emit`](Self::emit)
    /// for descriptions that come from input.
    ///
    /// ```
    /// # use nfsim::wire::build::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).udp(1, 2).build();
    /// assert_eq!(p.len(), 28);
    /// ```
    pub fn build(&self) -> Vec<u8> {
        match self.try_build() {
            Ok(v) => v,
            Err(e) => panic!("wire::build: {e}"),
        }
    }
}

struct Layout {
    hdr: [u8; 60],
    hlen: usize,
    csum_at: Option<usize>,
    ip_len: usize,
    zeros: usize,
    seg_len: usize,
    win_start: usize,
    win_len: usize,
    more: Option<bool>,
    total: usize,
}
