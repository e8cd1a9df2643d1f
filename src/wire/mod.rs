//! The `wire` layer: zero-copy views over packet bytes, and checksums.
//!
//! Everything above this layer (the rule evaluator, conntrack, `LOG`,
//! `REJECT`) reads packets through the types here. The layer follows the
//! smoltcp model:
//!
//! * A *view* (`ipv4::Packet<T>`, `tcp::Packet<T>`, ...) wraps any
//!   `T: AsRef<[u8]>`. It is made with `new_checked`, which runs
//!   `check_len`: after that succeeds **no getter panics** and every getter
//!   reads exactly the bytes it names, on demand (nothing is decoded up
//!   front: a rule that tests only the destination port reads two bytes).
//!   Setters exist when `T: AsMut<[u8]>`.
//! * Byte offsets live as constants in a private `mod field` in each file.
//! * Wire numbers are open newtypes with associated constants
//!   ([`IpProtocol`], [`icmp::IcmpType`], ...): any value can be
//!   represented, known ones have names.
//! * Errors ([`Error`]) are small and `Copy`.
//! * Nothing in this layer allocates, reads a clock or panics, whatever the
//!   input bytes: all reads of packet bytes are bounds-checked (`get`), and
//!   a read that would fall outside the buffer after `check_len` is
//!   impossible; the fallback value is never observed.
//!
//! Beyond plain views, the layer reproduces the few places where the kernel
//! looks at packet bytes *before* or *around* netfilter, so that the
//! simulator drops or walks exactly what the kernel does:
//!
//! * [`ipv4::rcv_check`] (`ip_rcv_core`), [`ipv4::options_compile`]
//!   (`ip_options_compile`, run by `ip_rcv_finish` after PREROUTING),
//! * [`ipv6::rcv_check`] (`ip6_rcv_core` + `ipv6_parse_hopopts`),
//! * [`ipv6::find_hdr`] / [`ipv6::skip_exthdr`] (`ipv6_find_hdr`,
//!   `ipv6_skip_exthdr`),
//! * [`meta::PacketMeta`]: what `ipt_do_table` / `ip6_packet_match` compute
//!   once per packet (`fragoff`, `thoff`),
//! * [`reject`]: the exact bytes of `REJECT` replies.
//!
//! Packet slices handed to these functions always start at the IPv4/IPv6
//! header (no link-layer header), like the `hex` fields of reference traces.
//!
//! Where the kernel's behaviour was confirmed beyond reading its source, the
//! tests say so: REJECT replies are compared byte for byte with replies from
//! the example traces and from captures made on Linux 6.18 over veth, and
//! `ip_options_compile` / hop-by-hop option handling with which packets the
//! kernel let through (tests named `*_kernel_*`).
//!
//! Not modelled (explicit errors or documented host decisions, never silent):
//! the in-place rewrites `ip_options_compile` makes to RR/timestamp options
//! ([`ipv4::CompiledOptions::changes_packet`]), IPv6 jumbograms
//! ([`ipv6::RcvDrop::JumboUnsupported`]), configured CIPSO/CALIPSO DOIs and
//! IOAM (default host assumed), echoing IPv4 options in ICMP errors
//! ([`reject::Skip::IpOptionsUnsupported`]), ICMP rate limits and source
//! address selection (the host's).

/// The struct of a view and the items every view shares, as smoltcp
/// writes them: `Packet<T>` over a buffer, `new_checked` (wraps after the
/// view's own `check_len`) and `into_inner`. `$errors` is the `# Errors`
/// text of `new_checked`; `$header` the doc of the struct.
macro_rules! view_struct {
    ($(#[$doc:meta])* errors: $errors:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Packet<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> Packet<T> {
            /// Wraps `buffer` after [`check_len`](Self::check_len).
            ///
            /// # Errors
            ///
            #[doc = $errors]
            pub fn new_checked(buffer: T) -> Result<Self> {
                let p = Packet { buffer };
                p.check_len()?;
                Ok(p)
            }

            /// The wrapped buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }
        }
    };
}

/// `check_len` of a view whose one invariant is its fixed header
/// (`HEADER_LEN` bytes present), with the doc given.
macro_rules! check_fixed_len {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        ///
        /// # Errors
        ///
        /// [`Error::Truncated`].
        pub fn check_len(&self) -> Result<()> {
            if self.buffer.as_ref().len() < HEADER_LEN {
                Err(Error::Truncated)
            } else {
                Ok(())
            }
        }
    };
}

/// The accessors ICMP and ICMPv6 share (`struct icmphdr` and `struct
/// icmp6hdr` have the same 8-byte layout): type, code, checksum, echo
/// identifier and sequence, the 4 bytes after the checksum, the data after
/// the header, and their setters. `$ty` is the type-number newtype.
macro_rules! icmp_common {
    ($ty:ident, is_error: $is_error:literal, rest: $rest:literal) => {
        impl<T: AsRef<[u8]>> Packet<T> {
            check_fixed_len!(
                /// Checks that the 8-byte header is present.
            );

            /// The type.
            pub fn msg_type(&self) -> $ty {
                $ty(rd_u8(self.buffer.as_ref(), field::TYPE))
            }

            /// The code.
            pub fn code(&self) -> u8 {
                rd_u8(self.buffer.as_ref(), field::CODE)
            }

            /// The checksum field.
            pub fn checksum(&self) -> u16 {
                rd_u16(self.buffer.as_ref(), field::CHECKSUM)
            }

            /// Echo messages: identifier.
            pub fn echo_ident(&self) -> u16 {
                rd_u16(self.buffer.as_ref(), field::ECHO_IDENT)
            }

            /// Echo messages: sequence number.
            pub fn echo_seq_no(&self) -> u16 {
                rd_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
            }

            #[doc = $rest]
            pub fn rest_of_header(&self) -> u32 {
                rd_u32(self.buffer.as_ref(), field::REST)
            }

            #[doc = $is_error]
            pub fn is_error(&self) -> bool {
                self.msg_type().is_error()
            }

            /// The bytes after the 8-byte header: echo data, or for errors
            /// the quoted original packet.
            pub fn data(&self) -> &[u8] {
                let b = self.buffer.as_ref();
                sub(b, HEADER_LEN, b.len())
            }

            /// For errors: the quoted IP header and data of the packet that
            /// caused it (same bytes as [`data`](Self::data)).
            pub fn invoking_packet(&self) -> &[u8] {
                self.data()
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
            /// Sets the type.
            pub fn set_msg_type(&mut self, t: $ty) {
                wr_u8(self.buffer.as_mut(), field::TYPE, t.0);
            }

            /// Sets the code.
            pub fn set_code(&mut self, c: u8) {
                wr_u8(self.buffer.as_mut(), field::CODE, c);
            }

            /// Sets the checksum field.
            pub fn set_checksum(&mut self, v: u16) {
                wr_u16(self.buffer.as_mut(), field::CHECKSUM, v);
            }

            /// Sets the echo identifier.
            pub fn set_echo_ident(&mut self, v: u16) {
                wr_u16(self.buffer.as_mut(), field::ECHO_IDENT, v);
            }

            /// Sets the echo sequence number.
            pub fn set_echo_seq_no(&mut self, v: u16) {
                wr_u16(self.buffer.as_mut(), field::ECHO_SEQNO, v);
            }

            /// Sets the 4-byte rest of header.
            pub fn set_rest_of_header(&mut self, v: u32) {
                wr_u32(self.buffer.as_mut(), field::REST, v);
            }
        }
    };
}

pub mod build;
pub mod checksum;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod meta;
pub mod reject;
pub mod tcp;
pub mod udp;

#[cfg(test)]
mod fixtures;

pub use build::PacketBuilder;

use core::fmt;

/// Why a view could not be made over some bytes.
///
/// Small and `Copy` so that it costs nothing on the packet path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The buffer is shorter than the header (or field) being read.
    Truncated,
    /// A length or version field contradicts the header format (e.g. an
    /// IPv4 IHL below 5, a TCP data offset below 5).
    Malformed,
    /// An output buffer is too small for what was to be written into it.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated packet",
            Error::Malformed => "malformed packet",
            Error::BufferTooSmall => "output buffer too small",
        })
    }
}

impl std::error::Error for Error {}

/// Result type of this layer.
pub type Result<T> = core::result::Result<T, Error>;

/// An IP protocol number (IPv4 `protocol`, IPv6 `next header`).
///
/// An open number: every `u8` is a valid value; known ones have constants.
///
/// ```
/// use nfsim::wire::IpProtocol;
/// assert_eq!(IpProtocol::TCP, IpProtocol(6));
/// assert!(IpProtocol::HOPOPTS.is_ipv6_ext_hdr());
/// assert!(!IpProtocol::ESP.is_ipv6_ext_hdr());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 hop-by-hop options (0). Also `-p all` in iptables.
    pub const HOPOPTS: IpProtocol = IpProtocol(0);
    /// ICMP (1).
    pub const ICMP: IpProtocol = IpProtocol(1);
    /// IGMP (2).
    pub const IGMP: IpProtocol = IpProtocol(2);
    /// IP in IP (4).
    pub const IPIP: IpProtocol = IpProtocol(4);
    /// TCP (6).
    pub const TCP: IpProtocol = IpProtocol(6);
    /// UDP (17).
    pub const UDP: IpProtocol = IpProtocol(17);
    /// DCCP (33).
    pub const DCCP: IpProtocol = IpProtocol(33);
    /// IPv6 encapsulation (41).
    pub const IPV6: IpProtocol = IpProtocol(41);
    /// IPv6 routing header (43).
    pub const ROUTING: IpProtocol = IpProtocol(43);
    /// IPv6 fragment header (44).
    pub const FRAGMENT: IpProtocol = IpProtocol(44);
    /// GRE (47).
    pub const GRE: IpProtocol = IpProtocol(47);
    /// ESP (50).
    pub const ESP: IpProtocol = IpProtocol(50);
    /// Authentication header (51).
    pub const AH: IpProtocol = IpProtocol(51);
    /// ICMPv6 (58).
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    /// IPv6 "no next header" (59).
    pub const NONE: IpProtocol = IpProtocol(59);
    /// IPv6 destination options (60).
    pub const DSTOPTS: IpProtocol = IpProtocol(60);
    /// SCTP (132).
    pub const SCTP: IpProtocol = IpProtocol(132);
    /// UDP-Lite (136).
    pub const UDPLITE: IpProtocol = IpProtocol(136);

    /// `ipv6_ext_hdr()` (net/ipv6/exthdrs_core.c): hop-by-hop, routing,
    /// fragment, AH, none and destination options. ESP is *not* one.
    pub const fn is_ipv6_ext_hdr(self) -> bool {
        matches!(self.0, 0 | 43 | 44 | 51 | 59 | 60)
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u8> for IpProtocol {
    fn from(v: u8) -> Self {
        IpProtocol(v)
    }
}

impl From<IpProtocol> for u8 {
    fn from(v: IpProtocol) -> Self {
        v.0
    }
}

/// The family (IP version) of a packet: one type for every layer.
pub use crate::nf::Family;

// ---- bounds-checked big-endian accessors used by every view ----

#[inline]
/// Reads a byte, 0 when out of bounds.
pub fn rd_u8(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

#[inline]
/// Reads a big-endian u16, 0 when out of bounds.
pub fn rd_u16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at.wrapping_add(2)) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

#[inline]
/// Reads a big-endian u32, 0 when out of bounds.
pub fn rd_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.wrapping_add(4)) {
        Some(&[a, c, d, e]) => u32::from_be_bytes([a, c, d, e]),
        _ => 0,
    }
}

#[inline]
/// Reads a big-endian u16, `None` when out of bounds (what
/// `skb_header_pointer` failing is to the kernel).
///
/// ```
/// assert_eq!(nfsim::wire::get_u16(&[1, 2, 3], 1), Some(0x0203));
/// assert_eq!(nfsim::wire::get_u16(&[1, 2, 3], 2), None);
/// assert_eq!(nfsim::wire::get_u16(&[1, 2, 3], usize::MAX), None);
/// ```
pub fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    match b.get(at..at.checked_add(2)?) {
        Some(&[x, y]) => Some(u16::from_be_bytes([x, y])),
        _ => None,
    }
}

#[inline]
/// Reads a big-endian u32, `None` when out of bounds.
pub fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    match b.get(at..at.checked_add(4)?) {
        Some(&[a, c, d, e]) => Some(u32::from_be_bytes([a, c, d, e])),
        _ => None,
    }
}

#[inline]
pub(crate) fn rd_arr<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(s) = b.get(at..at.wrapping_add(N)) {
        out.copy_from_slice(s);
    }
    out
}

#[inline]
pub(crate) fn wr_u8(b: &mut [u8], at: usize, v: u8) {
    if let Some(x) = b.get_mut(at) {
        *x = v;
    }
}

#[inline]
pub(crate) fn wr_u16(b: &mut [u8], at: usize, v: u16) {
    wr_bytes(b, at, &v.to_be_bytes());
}

#[inline]
pub(crate) fn wr_u32(b: &mut [u8], at: usize, v: u32) {
    wr_bytes(b, at, &v.to_be_bytes());
}

#[inline]
pub(crate) fn wr_bytes(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(s) = b.get_mut(at..at.wrapping_add(v.len())) {
        s.copy_from_slice(v);
    }
}

/// `b[from..to]` clamped to the buffer: never panics, empty when out of range.
#[inline]
pub(crate) fn sub(b: &[u8], from: usize, to: usize) -> &[u8] {
    let to = to.min(b.len());
    b.get(from..to).unwrap_or(&[])
}

/// Mutable counterpart of [`sub`].
#[inline]
pub(crate) fn sub_mut(b: &mut [u8], from: usize, to: usize) -> &mut [u8] {
    let to = to.min(b.len());
    if from <= to {
        b.get_mut(from..to).unwrap_or(&mut [])
    } else {
        &mut []
    }
}
