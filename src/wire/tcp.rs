//! TCP header view ([`Packet`]), flags ([`TcpFlags`]), options
//! ([`OptionsIter`], [`find_option`]) and wrapping sequence numbers
//! ([`SeqNumber`]).
//!
//! Invariant of [`Packet`] after `new_checked`: the buffer holds the 20-byte
//! fixed header: ports, sequence numbers, flags, window, checksum and urgent
//! pointer never fail. The data offset is *not* validated there, because the
//! kernel's `tcp` match reads ports and flags of segments whose data offset
//! is nonsense; [`Packet::check_header_len`] is the stricter test
//! conntrack's `tcp_error()` applies. [`Packet::options`] and
//! [`Packet::payload`] are clamped to the buffer (empty when the data offset
//! is below 5).
//!
//! Two option walks exist in the kernel, and both are here:
//!
//! * [`OptionsIter`] follows `tcp_parse_options()` (net/ipv4/tcp_input.c)
//!   and conntrack's `tcp_options()`/`tcp_sack()`
//!   (net/netfilter/nf_conntrack_proto_tcp.c): EOL ends the walk, NOP is one
//!   byte, any other option needs a length byte; a length below 2 ("silly
//!   option") or beyond the remaining bytes ("partial option") **ends the
//!   walk**. Known kinds with the wrong length are yielded as
//!   [`TcpOption::Unknown`] (the kernel skips them).
//! * [`find_option`] follows `tcp_find_option()` in
//!   net/netfilter/xt_tcpudp.c (`--tcp-option N`): it compares every kind
//!   byte it steps on with N, *before* looking at lengths, does not stop at
//!   EOL (kind 0 is one byte, like NOP), treats a zero length as 1, and
//!   never fails on a length beyond the end (the loop simply ends). So
//!   `--tcp-option` can find kinds after an EOL or inside a malformed list
//!   where `tcp_parse_options` would have stopped.

use core::cmp::Ordering;
use core::fmt;
use core::ops;

use super::{
    checksum, rd_u16, rd_u32, rd_u8, sub, sub_mut, wr_u16, wr_u32, wr_u8, Error, IpProtocol, Result,
};
use core::net::{Ipv4Addr, Ipv6Addr};

mod field {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ_NUM: usize = 4;
    pub const ACK_NUM: usize = 8;
    pub const DOFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
}

/// Length of the TCP header without options (`sizeof(struct tcphdr)`).
pub const HEADER_LEN: usize = 20;

bitflags::bitflags! {
    /// The eight flag bits of byte 13 of the TCP header (what the `tcp`
    /// match's `--tcp-flags` compares). Make from wire data with
    /// `from_bits_retain`.
    ///
    /// ```
    /// use nfsim::wire::tcp::TcpFlags;
    /// let f = TcpFlags::from_bits_retain(0x12);
    /// assert_eq!(f, TcpFlags::SYN | TcpFlags::ACK);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct TcpFlags: u8 {
        /// FIN.
        const FIN = 0x01;
        /// SYN.
        const SYN = 0x02;
        /// RST.
        const RST = 0x04;
        /// PSH.
        const PSH = 0x08;
        /// ACK.
        const ACK = 0x10;
        /// URG.
        const URG = 0x20;
        /// ECE.
        const ECE = 0x40;
        /// CWR.
        const CWR = 0x80;
    }
}

/// A TCP sequence number with wrapping comparison (RFC 1982 style, like the
/// kernel's `before()`/`after()` in include/net/tcp.h).
///
/// ```
/// use nfsim::wire::tcp::SeqNumber;
/// let a = SeqNumber(0xffff_fff0);
/// let b = a + 0x20;
/// assert_eq!(b, SeqNumber(0x10));
/// assert!(a.before(b) && b.after(a));
/// assert!(a < b);
/// assert_eq!(b - a, 0x20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// `before(self, other)`: `(s32)(self - other) < 0`.
    pub const fn before(self, other: SeqNumber) -> bool {
        (self.0.wrapping_sub(other.0) as i32) < 0
    }

    /// `after(self, other)`: `before(other, self)`.
    pub const fn after(self, other: SeqNumber) -> bool {
        other.before(self)
    }

    /// The later of two numbers in wrapping order.
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self.after(other) {
            self
        } else {
            other
        }
    }

    /// The earlier of two numbers in wrapping order.
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self.before(other) {
            self
        } else {
            other
        }
    }
}

impl ops::Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs))
    }
}

impl ops::Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs))
    }
}

impl ops::AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, rhs: u32) {
        self.0 = self.0.wrapping_add(rhs);
    }
}

impl ops::Sub for SeqNumber {
    type Output = u32;
    /// The wrapping distance `self - rhs`.
    fn sub(self, rhs: SeqNumber) -> u32 {
        self.0.wrapping_sub(rhs.0)
    }
}

impl PartialOrd for SeqNumber {
    /// Wrapping order: not transitive over more than half the sequence
    /// space, like the kernel's `before`/`after`.
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(if self.0 == other.0 {
            Ordering::Equal
        } else if self.before(*other) {
            Ordering::Less
        } else {
            Ordering::Greater
        })
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

view_struct! {
    /// A view of a TCP header and its segment.
    ///
    /// ```
    /// use nfsim::wire::tcp::{Packet, TcpFlags};
    /// let seg = [0xc3, 0x50, 0x00, 0x16, 0, 0, 0, 0x0a, 0, 0, 0, 0,
    ///            0x50, 0x02, 0xfa, 0xf0, 0x6d, 0x6b, 0, 0];
    /// let t = Packet::new_checked(&seg[..]).unwrap();
    /// assert_eq!((t.src_port(), t.dst_port()), (50000, 22));
    /// assert_eq!(t.flags(), TcpFlags::SYN);
    /// assert_eq!(t.header_len(), 20);
    /// ```
    errors: "[`Error::Truncated`] when shorter than 20 bytes."
}

impl<T: AsRef<[u8]>> Packet<T> {
    check_fixed_len!(
        /// Checks that the 20-byte fixed header is present (what
        /// `skb_header_pointer(.., sizeof(struct tcphdr))` requires).
    );

    /// The conntrack test (`tcp_error()`, nf_conntrack_proto_tcp.c): data
    /// offset at least 5 and not beyond the segment.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for a data offset below 5,
    /// [`Error::Truncated`] if the options run past the segment.
    pub fn check_header_len(&self) -> Result<()> {
        let hl = self.header_len();
        if hl < HEADER_LEN {
            Err(Error::Malformed)
        } else if hl > self.buffer.as_ref().len() {
            Err(Error::Truncated)
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

    /// The sequence number.
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(rd_u32(self.buffer.as_ref(), field::SEQ_NUM))
    }

    /// The acknowledgement number.
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(rd_u32(self.buffer.as_ref(), field::ACK_NUM))
    }

    /// The data offset field (header length in 32-bit words; `th->doff`).
    pub fn data_offset(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::DOFF) >> 4
    }

    /// Header length in bytes, `doff * 4` (may be below 20 or beyond the
    /// segment on malformed input).
    pub fn header_len(&self) -> usize {
        usize::from(self.data_offset()) * 4
    }

    /// Byte 12 in full (data offset, reserved bits, AE/NS bit).
    pub fn doff_byte(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::DOFF)
    }

    /// The flag byte (byte 13).
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits_retain(rd_u8(self.buffer.as_ref(), field::FLAGS))
    }

    /// The window.
    pub fn window_len(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::WIN_SIZE)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::URGENT)
    }

    /// The option bytes (`20..doff*4`, clamped to the buffer).
    pub fn options(&self) -> &[u8] {
        sub(self.buffer.as_ref(), HEADER_LEN, self.header_len())
    }

    /// Iterates over the options the way `tcp_parse_options()` does.
    pub fn options_iter(&self) -> OptionsIter<'_> {
        OptionsIter::new(self.options())
    }

    /// The bytes after the header (empty if `doff * 4` is below 20 or
    /// beyond the segment).
    pub fn payload(&self) -> &[u8] {
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return &[];
        }
        let b = self.buffer.as_ref();
        sub(b, hl, b.len())
    }

    /// Verifies the checksum over IPv4 (the whole buffer is the segment).
    pub fn verify_checksum_v4(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        checksum::verify_transport_v4(src, dst, IpProtocol::TCP, self.buffer.as_ref())
    }

    /// Verifies the checksum over IPv6.
    pub fn verify_checksum_v6(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        checksum::verify_transport_v6(src, dst, IpProtocol::TCP, self.buffer.as_ref())
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

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, v: SeqNumber) {
        wr_u32(self.buffer.as_mut(), field::SEQ_NUM, v.0);
    }

    /// Sets the acknowledgement number.
    pub fn set_ack_number(&mut self, v: SeqNumber) {
        wr_u32(self.buffer.as_mut(), field::ACK_NUM, v.0);
    }

    /// Sets byte 12 (data offset in the high nibble).
    pub fn set_doff_byte(&mut self, v: u8) {
        wr_u8(self.buffer.as_mut(), field::DOFF, v);
    }

    /// Sets the flag byte.
    pub fn set_flags(&mut self, f: TcpFlags) {
        wr_u8(self.buffer.as_mut(), field::FLAGS, f.bits());
    }

    /// Sets the window.
    pub fn set_window_len(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::WIN_SIZE, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Sets the urgent pointer.
    pub fn set_urgent_at(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::URGENT, v);
    }

    /// Recomputes the checksum over IPv4 (the whole buffer is the segment).
    pub fn fill_checksum_v4(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let c = checksum::transport_v4(src, dst, IpProtocol::TCP, self.buffer.as_ref());
        self.set_checksum(c);
    }

    /// Recomputes the checksum over IPv6.
    pub fn fill_checksum_v6(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let c = checksum::transport_v6(src, dst, IpProtocol::TCP, self.buffer.as_ref());
        self.set_checksum(c);
    }

    /// The option bytes, mutable (TCPMSS, TCPOPTSTRIP).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        sub_mut(self.buffer.as_mut(), HEADER_LEN, hl)
    }
}

/// TCP option kinds (`TCPOPT_*`).
pub mod kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size.
    pub const MSS: u8 = 2;
    /// Window scale.
    pub const WINDOW: u8 = 3;
    /// SACK permitted.
    pub const SACK_PERM: u8 = 4;
    /// SACK blocks.
    pub const SACK: u8 = 5;
    /// Timestamps.
    pub const TIMESTAMP: u8 = 8;
}

/// One TCP option as `tcp_parse_options()` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// NOP (kind 1).
    Nop,
    /// MSS (kind 2, length 4).
    Mss(u16),
    /// Window scale (kind 3, length 3): the raw shift count (conntrack caps
    /// it at 14, `TCP_MAX_WSCALE`).
    WindowScale(u8),
    /// SACK permitted (kind 4, length 2).
    SackPermitted,
    /// SACK blocks (kind 5): the raw block bytes (length - 2 bytes; the
    /// kernel requires `(len - 2) % 8 == 0` to use them).
    Sack(&'a [u8]),
    /// Timestamps (kind 8, length 10): value and echo reply.
    Timestamp {
        /// TSval.
        tsval: u32,
        /// TSecr.
        tsecr: u32,
    },
    /// Any other kind, or a known kind with a length the kernel does not
    /// accept for it: the data after kind and length.
    Unknown {
        /// The kind byte.
        kind: u8,
        /// The option data (length - 2 bytes).
        data: &'a [u8],
    },
}

/// The `tcp_parse_options()` walk (see the module documentation). EOL and
/// the malformed-length cases end it silently, as in the kernel.
#[derive(Debug, Clone)]
pub struct OptionsIter<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> OptionsIter<'a> {
    /// Walks `options` (the bytes between the fixed header and `doff * 4`).
    pub fn new(options: &'a [u8]) -> Self {
        OptionsIter {
            data: options,
            pos: 0,
        }
    }
}

impl<'a> Iterator for OptionsIter<'a> {
    type Item = TcpOption<'a>;

    fn next(&mut self) -> Option<TcpOption<'a>> {
        let at = self.pos;
        let opcode = *self.data.get(at)?;
        let length = self.data.len() - at;
        match opcode {
            kind::EOL => {
                self.pos = self.data.len();
                None
            }
            kind::NOP => {
                self.pos += 1;
                Some(TcpOption::Nop)
            }
            _ => {
                if length < 2 {
                    self.pos = self.data.len();
                    return None;
                }
                let opsize = usize::from(rd_u8(self.data, at + 1));
                if opsize < 2 || opsize > length {
                    // "silly options" / "don't parse partial options"
                    self.pos = self.data.len();
                    return None;
                }
                self.pos += opsize;
                let body = sub(self.data, at + 2, at + opsize);
                Some(match (opcode, opsize) {
                    (kind::MSS, 4) => TcpOption::Mss(rd_u16(body, 0)),
                    (kind::WINDOW, 3) => TcpOption::WindowScale(rd_u8(body, 0)),
                    (kind::SACK_PERM, 2) => TcpOption::SackPermitted,
                    (kind::SACK, _) => TcpOption::Sack(body),
                    (kind::TIMESTAMP, 10) => TcpOption::Timestamp {
                        tsval: rd_u32(body, 0),
                        tsecr: rd_u32(body, 4),
                    },
                    _ => TcpOption::Unknown {
                        kind: opcode,
                        data: body,
                    },
                })
            }
        }
    }
}

/// `tcp_find_option()` (net/netfilter/xt_tcpudp.c): is an option of kind
/// `option` present, by the `--tcp-option` walk (see the module docs)?
///
/// `options` is `doff * 4 - 20` bytes from after the fixed header; the
/// caller must first apply the match's own checks: `doff * 4 < 20` hot-drops,
/// and options missing from the packet (`skb_header_pointer` failing) hot-drop
/// too. Where the kernel would read the length byte just past the end
/// (kind >= 2 as the last byte), it reads an unrelated byte and the loop
/// ends either way; here the walk ends.
///
/// ```
/// use nfsim::wire::tcp::find_option;
/// assert!(find_option(&[1, 1, 2, 4, 5, 0xb4], 2));
/// assert!(find_option(&[0, 8, 10], 8));    // kind 0 does not stop the walk
/// assert!(!find_option(&[3, 0, 8], 4));    // zero length counts as 1
/// assert!(find_option(&[3, 0, 8], 0));
/// ```
pub fn find_option(options: &[u8], option: u8) -> bool {
    let mut i = 0usize;
    while let Some(&k) = options.get(i) {
        if k == option {
            return true;
        }
        if k < 2 {
            i += 1;
        } else {
            match options.get(i + 1) {
                Some(&0) => i += 1,
                Some(&l) => i += usize::from(l),
                None => return false,
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_segment_fields() {
        let b = hex(V4_TCP_SYN);
        let t = Packet::new_checked(&b[20..]).unwrap();
        assert_eq!(t.src_port(), 50000);
        assert_eq!(t.dst_port(), 22);
        assert_eq!(t.seq_number(), SeqNumber(10));
        assert_eq!(t.ack_number(), SeqNumber(0));
        assert_eq!(t.data_offset(), 5);
        assert_eq!(t.flags(), TcpFlags::SYN);
        assert_eq!(t.window_len(), 64240);
        assert_eq!(t.checksum(), 0x6d6b);
        assert_eq!(t.urgent_at(), 0);
        assert!(t.options().is_empty());
        assert!(t.payload().is_empty());
        assert_eq!(t.check_header_len(), Ok(()));
        assert!(t.verify_checksum_v4(Ipv4Addr::new(192, 0, 2, 20), Ipv4Addr::new(192, 0, 2, 1)));
        let b6 = hex(V6_TCP_SYN);
        let t6 = Packet::new_checked(&b6[40..]).unwrap();
        let s: Ipv6Addr = "2001:db8::20".parse().unwrap();
        let d: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(t6.verify_checksum_v6(&s, &d));
    }

    #[test]
    fn setters_and_checksum() {
        let mut b = hex(V4_TCP_SYN);
        let (s, d) = (Ipv4Addr::new(192, 0, 2, 20), Ipv4Addr::new(192, 0, 2, 1));
        let mut t = Packet::new_checked(&mut b[20..]).unwrap();
        t.set_src_port(1);
        t.set_dst_port(2);
        t.set_seq_number(SeqNumber(3));
        t.set_ack_number(SeqNumber(4));
        t.set_flags(TcpFlags::RST | TcpFlags::ACK);
        t.set_window_len(5);
        t.set_urgent_at(6);
        t.fill_checksum_v4(s, d);
        assert!(t.verify_checksum_v4(s, d));
        assert_eq!(
            (t.src_port(), t.dst_port(), t.window_len(), t.urgent_at()),
            (1, 2, 5, 6)
        );
        assert_eq!(t.flags().bits(), 0x14);
    }

    #[test]
    fn malformed_doff() {
        let mut b = hex(V4_TCP_SYN)[20..].to_vec();
        b[12] = 0x40;
        let t = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(t.check_header_len(), Err(Error::Malformed));
        assert!(t.options().is_empty() && t.payload().is_empty());
        b[12] = 0xf0;
        let t = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(t.check_header_len(), Err(Error::Truncated));
        assert!(t.payload().is_empty());
        assert!(Packet::new_checked(&b[..19]).is_err());
    }

    #[test]
    fn options_like_tcp_parse_options() {
        // A typical Linux SYN: MSS, SACK_PERM, TS, NOP, WSCALE.
        let o = [
            2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let v: Vec<_> = OptionsIter::new(&o).collect();
        assert_eq!(
            v,
            vec![
                TcpOption::Mss(1460),
                TcpOption::SackPermitted,
                TcpOption::Timestamp { tsval: 1, tsecr: 0 },
                TcpOption::Nop,
                TcpOption::WindowScale(7)
            ]
        );
        // EOL stops; silly and partial options stop.
        assert_eq!(OptionsIter::new(&[1, 0, 2, 4, 0, 0]).count(), 1);
        assert_eq!(OptionsIter::new(&[2, 1, 2, 4, 0, 0]).count(), 0);
        assert_eq!(OptionsIter::new(&[1, 2, 5, 0, 0]).count(), 1);
        assert_eq!(OptionsIter::new(&[1, 2]).count(), 1);
        // Wrong length for a known kind: Unknown.
        assert_eq!(
            OptionsIter::new(&[2, 3, 9]).next(),
            Some(TcpOption::Unknown {
                kind: 2,
                data: &[9]
            })
        );
        assert_eq!(
            OptionsIter::new(&[5, 10, 0, 0, 0, 1, 0, 0, 0, 2])
                .next()
                .map(|o| matches!(o, TcpOption::Sack(s) if s.len() == 8)),
            Some(true)
        );
    }

    #[test]
    fn find_option_differs_from_parse() {
        // After EOL: tcp_parse_options stops, tcp_find_option goes on.
        let o = [0, 4, 2];
        assert_eq!(OptionsIter::new(&o).count(), 0);
        assert!(find_option(&o, 4));
        // Kind at the last byte.
        assert!(find_option(&[1, 9], 9));
        assert!(!find_option(&[9], 8));
        // A length beyond the end just ends the walk.
        assert!(!find_option(&[9, 200, 8], 8));
    }

    /// `-p tcp --tcp-option 8 -j DROP` on Linux 6.18 (lab: raw SYNs over
    /// veth): which option lists it dropped.
    #[test]
    fn find_option_agrees_with_kernel_lab() {
        let cases: &[(&[u8], bool)] = &[
            (&[1, 1, 1, 0], false),
            (&[1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0], true),
            (&[0, 8, 10, 0], true),
            (&[3, 0, 8, 0], true),
            (&[9, 1, 8, 0], true),
            (&[9, 200, 8, 0], false),
        ];
        for (o, found) in cases {
            assert_eq!(find_option(o, 8), *found, "{o:?}");
        }
        // tcp_parse_options sees no timestamp in any but the second.
        let ts = |o: &[u8]| OptionsIter::new(o).any(|x| matches!(x, TcpOption::Timestamp { .. }));
        assert!(ts(cases[1].0));
        assert!(cases.iter().enumerate().all(|(i, c)| i == 1 || !ts(c.0)));
    }

    #[test]
    fn seq_wrapping() {
        let a = SeqNumber(u32::MAX);
        let b = a + 1;
        assert_eq!(b, SeqNumber(0));
        assert!(a.before(b));
        assert!(b.after(a));
        assert_eq!(a.max(b), b);
        assert_eq!(a.min(b), a);
        assert_eq!(b - a, 1);
        assert!(SeqNumber(5) > SeqNumber(3));
        assert_eq!(SeqNumber(5) - 6, SeqNumber(u32::MAX));
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..80), k in any::<u8>()) {
            if let Ok(t) = Packet::new_checked(&data[..]) {
                let _ = (t.options(), t.payload(), t.check_header_len(), t.flags());
                for o in t.options_iter() { let _ = o; }
                let _ = find_option(t.options(), k);
            }
            for o in OptionsIter::new(&data) { let _ = o; }
            let _ = find_option(&data, k);
            let mut d = data.clone();
            if let Ok(mut t) = Packet::new_checked(&mut d[..]) {
                let _ = t.options_mut();
                t.fill_checksum_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST);
            }
        }
    }
}
