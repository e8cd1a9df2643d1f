//! IPv4 header view ([`Packet`]), header builder ([`Repr`]), the receive
//! checks of `ip_rcv_core()` ([`rcv_check`]) and IPv4 options
//! ([`OptionsIter`], [`options_compile`]).
//!
//! Invariants of [`Packet`] after `new_checked`: the buffer holds at least
//! the 20-byte fixed header, IHL is at least 5 and the buffer holds the
//! whole `IHL * 4`-byte header (options included). `total_len` is **not**
//! required to fit: views over the truncated IPv4 header quoted inside an
//! ICMP error must work. [`Packet::payload`] is therefore bounded by both
//! `total_len` and the buffer. The version field is not checked here (it
//! is [`rcv_check`]'s job, as in the kernel).

use core::net::Ipv4Addr;

use super::{
    checksum, rd_arr, rd_u16, rd_u8, sub, sub_mut, wr_bytes, wr_u16, wr_u8, Error, IpProtocol,
    Result,
};

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
}

/// Length of the IPv4 header without options.
pub const HEADER_LEN: usize = 20;
/// Longest IPv4 header (IHL 15).
pub const MAX_HEADER_LEN: usize = 60;
/// The DF ("don't fragment") bit of the flags/fragment-offset word.
pub const IP_DF: u16 = 0x4000;
/// The MF ("more fragments") bit.
pub const IP_MF: u16 = 0x2000;
/// The fragment offset mask (`IP_OFFSET`), in units of 8 bytes.
pub const IP_OFFSET: u16 = 0x1fff;

view_struct! {
    /// A read (and, with `T: AsMut<[u8]>`, write) view of an IPv4 header and
    /// the bytes after it.
    ///
    /// ```
    /// use nfsim::wire::{ipv4, IpProtocol, PacketBuilder};
    /// let bytes = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
    ///     .icmp_echo_request(3, 1)
    ///     .build();
    /// let p = ipv4::Packet::new_checked(&bytes[..]).unwrap();
    /// assert_eq!(p.protocol(), IpProtocol::ICMP);
    /// assert_eq!(p.src().octets(), [192, 0, 2, 20]);
    /// assert!(p.verify_checksum());
    /// assert_eq!(p.payload().len(), 8);
    /// ```
    errors: "[`Error::Truncated`] if the buffer is shorter than 20 bytes or than the IHL says; [`Error::Malformed`] if IHL is below 5."
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the invariants listed in the module documentation.
    ///
    /// # Errors
    ///
    /// As [`new_checked`](Self::new_checked).
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let hl = usize::from(rd_u8(b, field::VER_IHL) & 0x0f) * 4;
        if hl < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if b.len() < hl {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The whole underlying buffer.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The version field (4 for IPv4).
    pub fn version(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::VER_IHL) >> 4
    }

    /// The IHL field (header length in 32-bit words).
    pub fn ihl(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::VER_IHL) & 0x0f
    }

    /// Header length in bytes (`ip_hdrlen()`), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.ihl()) * 4
    }

    /// The whole TOS byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::TOS)
    }

    /// The DSCP (upper six bits of TOS).
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }

    /// The ECN codepoint (lower two bits of TOS).
    pub fn ecn(&self) -> u8 {
        self.tos() & 0x03
    }

    /// The total length field.
    pub fn total_len(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// The flags + fragment offset word (`frag_off` in host order).
    pub fn frag_word(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::FLG_OFF)
    }

    /// The DF flag.
    pub fn dont_frag(&self) -> bool {
        self.frag_word() & IP_DF != 0
    }

    /// The MF flag.
    pub fn more_frags(&self) -> bool {
        self.frag_word() & IP_MF != 0
    }

    /// The fragment offset in units of 8 bytes (`frag_off & IP_OFFSET`),
    /// which is what `ipt_do_table` stores in `acpar.fragoff`.
    pub fn frag_offset(&self) -> u16 {
        self.frag_word() & IP_OFFSET
    }

    /// True for any fragment (MF set or a nonzero offset), like the
    /// kernel's `ip_is_fragment()`.
    pub fn is_fragment(&self) -> bool {
        self.frag_word() & (IP_MF | IP_OFFSET) != 0
    }

    /// The TTL.
    pub fn ttl(&self) -> u8 {
        rd_u8(self.buffer.as_ref(), field::TTL)
    }

    /// The protocol field.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(rd_u8(self.buffer.as_ref(), field::PROTOCOL))
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        rd_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The source address.
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd_arr::<4>(self.buffer.as_ref(), field::SRC))
    }

    /// The destination address.
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(rd_arr::<4>(self.buffer.as_ref(), field::DST))
    }

    /// The header bytes, options included.
    pub fn header(&self) -> &[u8] {
        sub(self.buffer.as_ref(), 0, self.header_len())
    }

    /// The raw option bytes (what `LOG --log-ip-options` prints as `OPT (..)`).
    pub fn options(&self) -> &[u8] {
        sub(self.buffer.as_ref(), HEADER_LEN, self.header_len())
    }

    /// An iterator over the options.
    pub fn options_iter(&self) -> OptionsIter<'_> {
        OptionsIter::new(self.options())
    }

    /// The bytes after the header, up to `total_len` or the end of the
    /// buffer, whichever comes first (empty if `total_len` is below the
    /// header length).
    pub fn payload(&self) -> &[u8] {
        let end = usize::from(self.total_len());
        sub(self.buffer.as_ref(), self.header_len(), end)
    }

    /// True when the header checksum is correct (`ip_fast_csum() == 0`).
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(self.header())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the TOS byte (checksum not updated).
    pub fn set_tos(&mut self, v: u8) {
        wr_u8(self.buffer.as_mut(), field::TOS, v);
    }

    /// Sets the TTL (checksum not updated).
    pub fn set_ttl(&mut self, v: u8) {
        wr_u8(self.buffer.as_mut(), field::TTL, v);
    }

    /// Sets the identification (checksum not updated).
    pub fn set_ident(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::IDENT, v);
    }

    /// Sets the total length (checksum not updated).
    pub fn set_total_len(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::LENGTH, v);
    }

    /// Sets the flags + fragment offset word (checksum not updated).
    pub fn set_frag_word(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::FLG_OFF, v);
    }

    /// Sets the protocol (checksum not updated).
    pub fn set_protocol(&mut self, v: IpProtocol) {
        wr_u8(self.buffer.as_mut(), field::PROTOCOL, v.0);
    }

    /// Sets the source address (checksum not updated).
    pub fn set_src(&mut self, v: Ipv4Addr) {
        wr_bytes(self.buffer.as_mut(), field::SRC, &v.octets());
    }

    /// Sets the destination address (checksum not updated).
    pub fn set_dst(&mut self, v: Ipv4Addr) {
        wr_bytes(self.buffer.as_mut(), field::DST, &v.octets());
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        wr_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }

    /// Recomputes the header checksum (`ip_send_check()`).
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::ipv4_header(self.header());
        self.set_checksum(c);
    }

    /// Decrements the TTL and updates the checksum incrementally, exactly
    /// like `ip_decrease_ttl()` (include/net/ip.h) does on forwarding.
    #[inline]
    pub fn decrease_ttl(&mut self) {
        decrease_ttl(self.buffer.as_mut());
    }

    /// The bytes after the header (bounded like [`Packet::payload`]), mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let hl = self.header_len();
        let end = usize::from(self.total_len());
        sub_mut(self.buffer.as_mut(), hl, end)
    }
}

/// `ip_decrease_ttl()` (include/net/ip.h) on the IPv4 header at the start
/// of `header`: the TTL goes down by one and the checksum up by
/// `htons(0x0100)` with its end-around carry, the kernel's arithmetic as
/// an x86 (little-endian) host does it (the checksum loaded as a
/// little-endian word: `htons(0x0100)` is 1 there). It equals
/// [`checksum::replace2`] of the TTL/protocol word for every checksum
/// (tested over all of them). A header shorter than 12 bytes is left
/// alone.
#[inline]
pub fn decrease_ttl(header: &mut [u8]) {
    let Some(h) = header.get_mut(..12) else {
        return;
    };
    h[field::TTL] = h[field::TTL].wrapping_sub(1);
    // u32 check = iph->check; check += htons(0x0100);
    // iph->check = check + (check >= 0xFFFF);
    let c = u32::from(u16::from_le_bytes([
        h[field::CHECKSUM],
        h[field::CHECKSUM + 1],
    ])) + 1;
    let c = c + u32::from(c >= 0xffff);
    let [a, b] = (c as u16).to_le_bytes();
    h[field::CHECKSUM] = a;
    h[field::CHECKSUM + 1] = b;
}

/// A high-level description of an option-less IPv4 header, for building
/// packets (`REJECT` replies, tests).
///
/// ```
/// use nfsim::wire::{ipv4, IpProtocol};
/// use core::net::Ipv4Addr;
/// let r = ipv4::Repr { src: Ipv4Addr::new(192, 0, 2, 1), dst: Ipv4Addr::new(192, 0, 2, 20),
///     protocol: IpProtocol::TCP, payload_len: 20, ttl: 64, tos: 0, ident: 0, dont_frag: true };
/// let mut buf = [0u8; 20];
/// assert_eq!(r.emit(&mut buf), Ok(20));
/// assert_eq!(&buf[..12], &[0x45, 0, 0, 0x28, 0, 0, 0x40, 0, 0x40, 6, 0xb6, 0xba]);
/// assert_eq!(ipv4::Repr::parse(&ipv4::Packet::new_checked(&buf[..]).unwrap()), r);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol.
    pub protocol: IpProtocol,
    /// Length of what follows the header.
    pub payload_len: u16,
    /// TTL.
    pub ttl: u8,
    /// TOS byte.
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// DF bit.
    pub dont_frag: bool,
}

impl Repr {
    /// Reads the fields of a header (options and fragment offset ignored;
    /// `payload_len` is `total_len - header_len`, saturating).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            payload_len: p.total_len().saturating_sub(p.ihl() as u16 * 4),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
        }
    }

    /// Bytes [`emit`](Self::emit) writes: 20.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 20-byte header with its checksum into the start of `buf`
    /// and returns 20.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] if `buf` is shorter than 20 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let h = buf.get_mut(..HEADER_LEN).ok_or(Error::BufferTooSmall)?;
        wr_u8(h, field::VER_IHL, 0x45);
        wr_u8(h, field::TOS, self.tos);
        wr_u16(
            h,
            field::LENGTH,
            self.payload_len.saturating_add(HEADER_LEN as u16),
        );
        wr_u16(h, field::IDENT, self.ident);
        wr_u16(h, field::FLG_OFF, if self.dont_frag { IP_DF } else { 0 });
        wr_u8(h, field::TTL, self.ttl);
        wr_u8(h, field::PROTOCOL, self.protocol.0);
        wr_u16(h, field::CHECKSUM, 0);
        wr_bytes(h, field::SRC, &self.src.octets());
        wr_bytes(h, field::DST, &self.dst.octets());
        let c = checksum::ipv4_header(h);
        wr_u16(h, field::CHECKSUM, c);
        Ok(HEADER_LEN)
    }
}

/// Why `ip_rcv_core()` (net/ipv4/ip_input.c) drops a packet before the
/// PREROUTING hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RcvDrop {
    /// Fewer than 20 bytes (`pskb_may_pull(skb, sizeof(struct iphdr))`
    /// fails; counted as `InHdrErrors`).
    TooShort,
    /// `iph->ihl < 5 || iph->version != 4` (`InHdrErrors`).
    BadVersionOrIhl,
    /// The buffer is shorter than `ihl * 4` (`InHdrErrors`).
    HeaderTruncated,
    /// `ip_fast_csum()` fails (`InHdrErrors`; RFC 1122 3.2.1.2).
    BadChecksum,
    /// `skb->len < tot_len` (`InTruncatedPkts`).
    Truncated,
    /// `tot_len < ihl * 4` (`InHdrErrors`).
    BadTotalLength,
}

/// Reproduces the checks of `ip_rcv_core()` (net/ipv4/ip_input.c) on a
/// received frame's IPv4 bytes (link-layer padding allowed) and returns the
/// length the kernel trims the packet to (`pskb_trim_rcsum(skb, tot_len)`).
///
/// Not modelled here: `PACKET_OTHERHOST` frames (the host decides what it
/// receives) and GSO packets with `tot_len == 0` (BIG TCP; never received
/// from a wire, so a zero `tot_len` is [`RcvDrop::BadTotalLength`]).
///
/// # Errors
///
/// The [`RcvDrop`] reason, in the order the kernel checks.
///
/// ```
/// use nfsim::wire::ipv4::{rcv_check, RcvDrop};
/// use nfsim::wire::PacketBuilder;
/// let mut p = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .icmp_echo_request(3, 1)
///     .build();
/// p.extend_from_slice(&[0; 18]); // Ethernet padding
/// assert_eq!(rcv_check(&p), Ok(28));
/// assert_eq!(rcv_check(&p[..27]), Err(RcvDrop::Truncated));
/// p[11] ^= 1;
/// assert_eq!(rcv_check(&p), Err(RcvDrop::BadChecksum));
/// ```
pub fn rcv_check(bytes: &[u8]) -> core::result::Result<usize, RcvDrop> {
    rcv_check_hl(bytes).map(|(len, _)| len)
}

/// [`rcv_check`] with the header's length: `(tot_len, ihl * 4)`, with
/// `20 <= ihl * 4 <= tot_len <= bytes.len()` when it passes (what
/// [`PacketMeta::ipv4_received`](super::meta::PacketMeta::ipv4_received)
/// builds on, without reading the header again).
#[inline(always)]
pub(crate) fn rcv_check_hl(bytes: &[u8]) -> core::result::Result<(usize, usize), RcvDrop> {
    if bytes.len() < HEADER_LEN {
        return Err(RcvDrop::TooShort);
    }
    let vi = rd_u8(bytes, field::VER_IHL);
    let ihl = usize::from(vi & 0x0f);
    if ihl < 5 || vi >> 4 != 4 {
        return Err(RcvDrop::BadVersionOrIhl);
    }
    let hl = ihl * 4;
    let header = bytes.get(..hl).ok_or(RcvDrop::HeaderTruncated)?;
    // ip_fast_csum: a header without options is five 32-bit words
    // (the same sum as `checksum::verify`, folded 32 bits at a time). As
    // ip_fast_csum, the words are summed in the machine's byte order: the
    // ones'-complement sum commutes with swapping bytes (RFC 1071 2(B)),
    // and the all-ones sum that passes is the same in either order.
    let ok = match *header {
        [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3, e0, e1, e2, e3] => {
            let w = |b: [u8; 4]| u64::from(u32::from_ne_bytes(b));
            let s = w([a0, a1, a2, a3])
                + w([b0, b1, b2, b3])
                + w([c0, c1, c2, c3])
                + w([d0, d1, d2, d3])
                + w([e0, e1, e2, e3]);
            // The folded sum is 0xffff exactly when `s` is a non-zero
            // multiple of 0xffff: folding keeps the value modulo 0xffff
            // (2^16 = 1 there) and ends in 1..=0xffff for a non-zero `s`,
            // and `s` is not zero (the version nibble is 4). One remainder
            // instead of four folds.
            s % 0xffff == 0
        }
        _ => checksum::verify(header),
    };
    if !ok {
        return Err(RcvDrop::BadChecksum);
    }
    let len = usize::from(rd_u16(bytes, field::LENGTH));
    if bytes.len() < len {
        return Err(RcvDrop::Truncated);
    } else if len < hl {
        return Err(RcvDrop::BadTotalLength);
    }
    Ok((len, hl))
}

/// IPv4 option type numbers (`IPOPT_*`, include/uapi/linux/ip.h).
pub mod opt {
    /// End of option list.
    pub const END: u8 = 0;
    /// No operation.
    pub const NOOP: u8 = 1;
    /// Record route.
    pub const RR: u8 = 7;
    /// Timestamp.
    pub const TIMESTAMP: u8 = 68;
    /// Security (RFC 1108).
    pub const SEC: u8 = 130;
    /// Loose source and record route.
    pub const LSRR: u8 = 131;
    /// Commercial IP security option.
    pub const CIPSO: u8 = 134;
    /// Stream id.
    pub const SID: u8 = 136;
    /// Strict source and record route.
    pub const SSRR: u8 = 137;
    /// Router alert.
    pub const RA: u8 = 148;
}

/// One IPv4 option as found by [`OptionsIter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Option<'a> {
    /// Offset of the option's first byte from the start of the options.
    pub offset: usize,
    /// The option type byte.
    pub kind: u8,
    /// The whole option: type, length and data (one byte for NOOP).
    pub bytes: &'a [u8],
}

/// Walks IPv4 options: END stops, NOOP is one byte, every other option is
/// type-length-value. A length below 2 or past the end yields one
/// `Err(Error::Malformed)` and stops (the same condition on which
/// `ip_options_compile` reports a parameter problem).
#[derive(Debug, Clone)]
pub struct OptionsIter<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> OptionsIter<'a> {
    /// Walks `options` (the bytes after the fixed header).
    pub fn new(options: &'a [u8]) -> Self {
        OptionsIter {
            data: options,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for OptionsIter<'a> {
    type Item = Result<Ipv4Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let kind = match self.data.get(self.pos) {
            Some(&k) => k,
            None => {
                self.done = true;
                return None;
            }
        };
        let at = self.pos;
        match kind {
            opt::END => {
                self.done = true;
                None
            }
            opt::NOOP => {
                self.pos += 1;
                Some(Ok(Ipv4Option {
                    offset: at,
                    kind,
                    bytes: sub(self.data, at, at + 1),
                }))
            }
            _ => {
                let len = usize::from(rd_u8(self.data, at + 1));
                let left = self.data.len() - at;
                if left < 2 || len < 2 || len > left {
                    self.done = true;
                    return Some(Err(Error::Malformed));
                }
                self.pos += len;
                Some(Ok(Ipv4Option {
                    offset: at,
                    kind,
                    bytes: sub(self.data, at, at + len),
                }))
            }
        }
    }
}

/// What `ip_options_compile()` recorded about a valid option list
/// (offsets are from the start of the IP header, as in `struct ip_options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompiledOptions {
    /// Offset of a LSRR/SSRR option (`opt->srr`).
    pub srr: Option<u8>,
    /// The source route is strict (SSRR).
    pub is_strictroute: bool,
    /// Offset of a record-route option (`opt->rr`).
    pub rr: Option<u8>,
    /// The record-route option has room: the kernel writes an address into
    /// it (`rr_needaddr`).
    pub rr_needaddr: bool,
    /// Offset of a timestamp option (`opt->ts`).
    pub ts: Option<u8>,
    /// The kernel writes a timestamp into the packet (`ts_needtime`).
    pub ts_needtime: bool,
    /// The kernel writes an address into the timestamp option (`ts_needaddr`).
    pub ts_needaddr: bool,
    /// Offset of a router-alert option with value 0 (`opt->router_alert`).
    pub router_alert: Option<u8>,
    /// The kernel rewrites bytes of the packet while compiling (bytes after
    /// an END replaced by END, RR/TS fields filled, TS overflow counter
    /// bumped). nfsim does not reproduce these rewrites: the host must treat
    /// such a packet as unsupported rather than let later hooks see
    /// different bytes than the kernel's.
    pub changes_packet: bool,
}

/// `ip_options_compile()` failed: the kernel sends an ICMP parameter problem
/// (type 12, code 0) pointing at `pointer` (offset from the IP header start)
/// and drops the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct OptionsError {
    /// The parameter-problem pointer (`pp_ptr - iph`).
    pub pointer: u8,
}

impl core::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ip_options_compile: bad IPv4 option (parameter problem at byte {})",
            self.pointer
        )
    }
}

impl std::error::Error for OptionsError {}

/// Validates the options of a received header like `ip_options_compile()`
/// (net/ipv4/ip_options.c) called with an skb from `ip_rcv_options()`.
///
/// When the kernel runs it: in `ip_rcv_finish_core()`, i.e. **after** the
/// PREROUTING hook and the routing decision, for every packet with IHL > 5
/// (forwarded or local). A failure drops the packet there (counted as
/// `InHdrErrors`) and sends an ICMP parameter problem. The host then also
/// drops source-routed packets (`opt->srr`) unless `accept_source_route`
/// is set on the device; that policy is the host's.
///
/// CIPSO (type 134) is modelled as on a kernel with `CONFIG_NETLABEL` and no
/// CIPSO DOI configured (the default): `cipso_v4_validate()` fails at the
/// DOI lookup, pointer = option + 2 (option + 1 if its length is below 8).
/// The timestamp "prespecified" flag's local-address test is assumed false
/// (the kernel would write a timestamp: `changes_packet`).
///
/// `header` is the whole IP header (`ihl * 4` bytes).
///
/// # Errors
///
/// [`OptionsError`] with the parameter-problem pointer.
///
/// ```
/// use nfsim::wire::ipv4::options_compile;
/// let mut h = [0u8; 24];
/// h[0] = 0x46;
/// h[20..24].copy_from_slice(&[148, 4, 0, 0]); // router alert
/// assert_eq!(options_compile(&h).unwrap().router_alert, Some(20));
/// h[21] = 1; // bad length
/// assert_eq!(options_compile(&h).unwrap_err().pointer, 20);
/// ```
pub fn options_compile(header: &[u8]) -> core::result::Result<CompiledOptions, OptionsError> {
    let mut out = CompiledOptions::default();
    let mut pos = HEADER_LEN; // offset from iph
    let end = header.len();
    let err = |p: usize| OptionsError {
        pointer: u8::try_from(p).unwrap_or(u8::MAX),
    };
    while pos < end {
        let l = end - pos;
        let kind = rd_u8(header, pos);
        match kind {
            opt::END => {
                // The kernel overwrites anything after END with END.
                if header
                    .get(pos..end)
                    .is_some_and(|r| r.iter().any(|&b| b != opt::END))
                {
                    out.changes_packet = true;
                }
                return Ok(out);
            }
            opt::NOOP => {
                pos += 1;
                continue;
            }
            _ => {}
        }
        // Modern kernels check `l < 2` first; older ones read one byte past
        // the options. Either way the result is this error.
        if l < 2 {
            return Err(err(pos));
        }
        let optlen = usize::from(rd_u8(header, pos + 1));
        if optlen < 2 || optlen > l {
            return Err(err(pos));
        }
        let o2 = usize::from(rd_u8(header, pos + 2));
        let o3 = rd_u8(header, pos + 3);
        let here = u8::try_from(pos).unwrap_or(u8::MAX);
        match kind {
            opt::SSRR | opt::LSRR => {
                if optlen < 3 {
                    return Err(err(pos + 1));
                }
                if o2 < 4 {
                    return Err(err(pos + 2));
                }
                if out.srr.is_some() {
                    return Err(err(pos));
                }
                out.is_strictroute = kind == opt::SSRR;
                out.srr = Some(here);
            }
            opt::RR => {
                if out.rr.is_some() {
                    return Err(err(pos));
                }
                if optlen < 3 {
                    return Err(err(pos + 1));
                }
                if o2 < 4 {
                    return Err(err(pos + 2));
                }
                if o2 <= optlen {
                    if o2 + 3 > optlen {
                        return Err(err(pos + 2));
                    }
                    out.rr_needaddr = true;
                    out.changes_packet = true;
                }
                out.rr = Some(here);
            }
            opt::TIMESTAMP => {
                if out.ts.is_some() {
                    return Err(err(pos));
                }
                if optlen < 4 {
                    return Err(err(pos + 1));
                }
                if o2 < 5 {
                    return Err(err(pos + 2));
                }
                if o2 <= optlen {
                    if o2 + 3 > optlen {
                        return Err(err(pos + 2));
                    }
                    match o3 & 0x0f {
                        0 => {
                            // IPOPT_TS_TSONLY
                            out.ts = Some(here);
                            out.ts_needtime = true;
                            out.changes_packet = true;
                        }
                        1 | 3 => {
                            // IPOPT_TS_TSANDADDR, IPOPT_TS_PRESPEC
                            if o2 + 7 > optlen {
                                return Err(err(pos + 2));
                            }
                            out.ts = Some(here);
                            out.ts_needtime = true;
                            out.ts_needaddr = o3 & 0x0f == 1;
                            out.changes_packet = true;
                        }
                        _ => {
                            // Unknown flag with an skb: accepted, nothing
                            // recorded (the kernel leaves opt->ts unset).
                        }
                    }
                } else {
                    if o3 >> 4 == 15 {
                        return Err(err(pos + 3));
                    }
                    out.ts = Some(here);
                    out.changes_packet = true; // overflow counter + 1
                }
            }
            opt::RA => {
                if optlen < 4 {
                    return Err(err(pos + 1));
                }
                if o2 == 0 && o3 == 0 {
                    out.router_alert = Some(here);
                }
            }
            opt::CIPSO => {
                // cipso_v4_validate() (net/ipv4/cipso_ipv4.c), no DOI.
                return Err(err(if optlen < 8 { pos + 1 } else { pos + 2 }));
            }
            _ => {
                // IPOPT_SEC, IPOPT_SID and unknown options: accepted on
                // received packets.
            }
        }
        pos += optlen;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::*;
    use proptest::prelude::*;

    #[test]
    fn trace_packet_fields() {
        let b = hex(V4_TCP_SYN);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.ihl(), 5);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.tos(), 0);
        assert_eq!(p.dscp(), 0);
        assert_eq!(p.ecn(), 0);
        assert_eq!(p.total_len(), 40);
        assert_eq!(p.ident(), 1);
        assert!(!p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert!(!p.is_fragment());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), IpProtocol::TCP);
        assert_eq!(p.checksum(), 0xf6b9);
        assert_eq!(p.src(), Ipv4Addr::new(192, 0, 2, 20));
        assert_eq!(p.dst(), Ipv4Addr::new(192, 0, 2, 1));
        assert!(p.options().is_empty());
        assert_eq!(p.payload().len(), 20);
        assert!(p.verify_checksum());
        assert_eq!(rcv_check(&b), Ok(40));
    }

    #[test]
    fn setters_and_fill() {
        let mut b = hex(V4_TCP_SYN);
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.set_tos(0x10);
        p.set_ttl(3);
        p.set_ident(0x1234);
        p.set_src(Ipv4Addr::new(10, 0, 0, 1));
        p.set_dst(Ipv4Addr::new(10, 0, 0, 2));
        assert!(!p.verify_checksum());
        p.fill_checksum();
        assert!(p.verify_checksum());
        assert_eq!((p.tos(), p.ttl(), p.ident()), (0x10, 3, 0x1234));
        assert_eq!(p.dst(), Ipv4Addr::new(10, 0, 0, 2));
        p.decrease_ttl();
        assert_eq!(p.ttl(), 2);
        assert!(p.verify_checksum());
    }

    #[test]
    fn decrease_ttl_is_replace2_for_every_checksum() {
        // ip_decrease_ttl's arithmetic and RFC 1624's incremental update
        // agree on every stored checksum (the TTL/protocol word goes down
        // by 0x0100 whatever the TTL and protocol).
        for check in 0..=u16::MAX {
            for (ttl, proto) in [(64u8, 6u8), (2, 17), (255, 1), (128, 0)] {
                let mut h = [0u8; 20];
                h[0] = 0x45;
                h[8] = ttl;
                h[9] = proto;
                h[10..12].copy_from_slice(&check.to_be_bytes());
                decrease_ttl(&mut h);
                let old = u16::from_be_bytes([ttl, proto]);
                let new = u16::from_be_bytes([ttl - 1, proto]);
                let want = checksum::replace2(check, old, new);
                assert_eq!((h[8], u16::from_be_bytes([h[10], h[11]])), (ttl - 1, want));
            }
        }
    }

    #[test]
    fn forwarded_ttl_matches_kernel() {
        // nat-gateway.json #5 is not NATed... use #3's reply direction:
        // the checksum after TTL decrement alone is checked by
        // checksum::tests; here: decrease_ttl keeps the header valid and
        // equals a recomputation.
        let mut b = hex(V4_UDP);
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        p.decrease_ttl();
        let inc = p.checksum();
        p.fill_checksum();
        assert_eq!(inc, p.checksum());
    }

    #[test]
    fn truncated_and_malformed() {
        let b = hex(V4_TCP_SYN);
        assert_eq!(Packet::new_checked(&b[..19]).unwrap_err(), Error::Truncated);
        let mut m = b.clone();
        m[0] = 0x44;
        assert_eq!(Packet::new_checked(&m[..]).unwrap_err(), Error::Malformed);
        m[0] = 0x46;
        assert_eq!(Packet::new_checked(&m[..22]).unwrap_err(), Error::Truncated);
        // total_len beyond the buffer: payload clamped.
        let p = Packet::new_checked(&b[..30]).unwrap();
        assert_eq!(p.payload().len(), 10);
        // total_len below header length: empty payload.
        let mut s = b.clone();
        s[3] = 10;
        assert!(Packet::new_checked(&s[..]).unwrap().payload().is_empty());
    }

    #[test]
    fn rcv_check_order() {
        let b = hex(V4_TCP_SYN);
        assert_eq!(rcv_check(&b[..19]), Err(RcvDrop::TooShort));
        let mut m = b.clone();
        m[0] = 0x65;
        assert_eq!(rcv_check(&m), Err(RcvDrop::BadVersionOrIhl));
        m[0] = 0x44;
        assert_eq!(rcv_check(&m), Err(RcvDrop::BadVersionOrIhl));
        m[0] = 0x4f;
        assert_eq!(rcv_check(&m), Err(RcvDrop::HeaderTruncated));
        let mut c = b.clone();
        c[8] = 63;
        assert_eq!(rcv_check(&c), Err(RcvDrop::BadChecksum));
        assert_eq!(rcv_check(&b[..39]), Err(RcvDrop::Truncated));
        let mut t = b.clone();
        t[3] = 16;
        let mut p = Packet::new_checked(&mut t[..]).unwrap();
        p.fill_checksum();
        assert_eq!(rcv_check(&t), Err(RcvDrop::BadTotalLength));
        let mut padded = b.clone();
        padded.extend_from_slice(&[0xaa; 6]);
        assert_eq!(rcv_check(&padded), Ok(40));
    }

    proptest! {
        /// rcv_check's five-word sum of an option-less header says what
        /// `checksum::verify` says (headers with the version/IHL byte and
        /// length fixed, any other bytes, and ones made to verify).
        #[test]
        fn rcv_check_five_words_agree(mut h in proptest::collection::vec(any::<u8>(), 20), fix in any::<bool>()) {
            h[0] = 0x45;
            h[2] = 0;
            h[3] = 20;
            if fix {
                h[10] = 0;
                h[11] = 0;
                let c = !checksum::sum(&h);
                h[10..12].copy_from_slice(&c.to_be_bytes());
            }
            let want = if checksum::verify(&h) { Ok(20) } else { Err(RcvDrop::BadChecksum) };
            prop_assert_eq!(rcv_check(&h), want);
        }
    }

    /// `rcv_check`'s remainder test against `checksum::verify` for every
    /// value of the checksum word, on headers whose other words sum to
    /// each residue class's edges (all zero but the version, all ones,
    /// random).
    #[test]
    fn rcv_check_every_checksum_word() {
        let mut heads = vec![[0u8; 20], [0xffu8; 20]];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..6 {
            let mut h = [0u8; 20];
            for b in &mut h {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            heads.push(h);
        }
        for mut h in heads {
            h[0] = 0x45;
            h[2] = 0;
            h[3] = 20;
            for c in 0..=u16::MAX {
                h[10..12].copy_from_slice(&c.to_be_bytes());
                let want = if checksum::verify(&h) {
                    Ok(20)
                } else {
                    Err(RcvDrop::BadChecksum)
                };
                assert_eq!(rcv_check(&h), want, "{h:02x?}");
            }
        }
    }

    #[test]
    fn repr_emit_matches_reject_reply_header() {
        let want = hex(V4_TCP_RST_REPLY);
        let r = Repr {
            src: Ipv4Addr::new(192, 0, 2, 1),
            dst: Ipv4Addr::new(192, 0, 2, 20),
            protocol: IpProtocol::TCP,
            payload_len: 20,
            ttl: 64,
            tos: 0,
            ident: 0,
            dont_frag: true,
        };
        let mut buf = [0u8; 20];
        assert_eq!(r.emit(&mut buf), Ok(20));
        assert_eq!(&buf[..], &want[..20]);
        assert_eq!(r.emit(&mut buf[..19]), Err(Error::BufferTooSmall));
    }

    #[test]
    fn options_walk() {
        let o = [
            opt::NOOP,
            opt::RA,
            4,
            0,
            0,
            opt::RR,
            7,
            4,
            0,
            0,
            0,
            0,
            opt::END,
            9,
        ];
        let v: Vec<_> = OptionsIter::new(&o).collect();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].unwrap().kind, opt::NOOP);
        assert_eq!(v[1].unwrap().bytes, &[opt::RA, 4, 0, 0]);
        assert_eq!(v[2].unwrap().offset, 5);
        let bad = [opt::RA, 9, 0, 0];
        let v: Vec<_> = OptionsIter::new(&bad).collect();
        assert_eq!(v, vec![Err(Error::Malformed)]);
        let lone = [opt::NOOP, opt::RA];
        assert_eq!(OptionsIter::new(&lone).nth(1), Some(Err(Error::Malformed)));
    }

    fn hdr(opts: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 20];
        h.extend_from_slice(opts);
        while h.len() % 4 != 0 {
            h.push(0);
        }
        h[0] = 0x40 | (h.len() / 4) as u8;
        h
    }

    #[test]
    fn options_compile_cases() {
        // Empty / padding.
        assert_eq!(
            options_compile(&hdr(&[1, 1, 1, 0])),
            Ok(CompiledOptions::default())
        );
        // Junk after END is rewritten by the kernel.
        assert!(options_compile(&hdr(&[0, 5, 0, 0])).unwrap().changes_packet);
        // Length below 2 / beyond the options.
        assert_eq!(
            options_compile(&hdr(&[130, 1, 0, 0])),
            Err(OptionsError { pointer: 20 })
        );
        assert_eq!(
            options_compile(&hdr(&[1, 130, 9, 0])),
            Err(OptionsError { pointer: 21 })
        );
        // Lone type byte at the end.
        assert_eq!(
            options_compile(&hdr(&[1, 1, 1, 130])),
            Err(OptionsError { pointer: 23 })
        );
        // LSRR with pointer < 4.
        assert_eq!(
            options_compile(&hdr(&[131, 7, 3, 1, 2, 3, 4, 0])),
            Err(OptionsError { pointer: 22 })
        );
        let ok = options_compile(&hdr(&[137, 7, 4, 1, 2, 3, 4, 0])).unwrap();
        assert_eq!((ok.srr, ok.is_strictroute), (Some(20), true));
        // Two source routes.
        assert_eq!(
            options_compile(&hdr(&[131, 3, 4, 131, 3, 4, 0, 0])),
            Err(OptionsError { pointer: 23 })
        );
        // RR with room.
        let rr = options_compile(&hdr(&[7, 7, 4, 0, 0, 0, 0, 0])).unwrap();
        assert!(rr.rr_needaddr && rr.changes_packet);
        // RR full (pointer past length): fine, nothing written.
        let rr = options_compile(&hdr(&[7, 7, 8, 0, 0, 0, 0, 0])).unwrap();
        assert_eq!((rr.rr, rr.rr_needaddr), (Some(20), false));
        // RR pointer inside but no room for 4 bytes.
        assert_eq!(
            options_compile(&hdr(&[7, 7, 5, 0, 0, 0, 0, 0])),
            Err(OptionsError { pointer: 22 })
        );
        // Timestamp overflow 15.
        assert_eq!(
            options_compile(&hdr(&[68, 4, 5, 0xf0])),
            Err(OptionsError { pointer: 23 })
        );
        // Timestamp only, with room.
        let ts = options_compile(&hdr(&[68, 8, 5, 0, 0, 0, 0, 0])).unwrap();
        assert!(ts.ts_needtime && !ts.ts_needaddr);
        // Timestamp + address needs 8 bytes.
        assert_eq!(
            options_compile(&hdr(&[68, 8, 5, 1, 0, 0, 0, 0])),
            Err(OptionsError { pointer: 22 })
        );
        // Router alert too short.
        assert_eq!(
            options_compile(&hdr(&[148, 3, 0, 0])),
            Err(OptionsError { pointer: 21 })
        );
        // CIPSO always fails without a DOI.
        assert_eq!(
            options_compile(&hdr(&[134, 8, 0, 0, 0, 1, 0, 0])),
            Err(OptionsError { pointer: 22 })
        );
        assert_eq!(
            options_compile(&hdr(&[134, 4, 0, 0])),
            Err(OptionsError { pointer: 21 })
        );
        // Unknown option accepted.
        assert!(options_compile(&hdr(&[99, 4, 1, 2])).is_ok());
    }

    /// Which option lists Linux 6.18 delivered to INPUT (lab: raw IPv4
    /// packets over veth, counters in raw PREROUTING and filter INPUT; all
    /// were counted in PREROUTING). LSRR compiles but is dropped by the
    /// `accept_source_route = 0` policy, which is the host's.
    #[test]
    fn options_compile_agrees_with_kernel_lab() {
        let cases: &[(&[u8], bool)] = &[
            (&[], true),
            (&[148, 4, 0, 0], true),
            (&[130, 9, 0, 0], false),
            (&[134, 8, 0, 0, 0, 1, 0, 0], false),
            (&[134, 4, 0, 0], false),
            (&[99, 4, 1, 2], true),
            (&[68, 4, 5, 0xf0], false),
            (&[7, 7, 8, 0, 0, 0, 0, 0], true),
            (&[7, 7, 5, 0, 0, 0, 0, 0], false),
            (&[1, 1, 1, 130], false),
            (&[0, 5, 0, 0], true),
            (&[148, 3, 0, 0], false),
            (&[68, 8, 5, 2, 0, 0, 0, 0], true),
            (&[130, 4, 0, 0], true),
            (&[7, 3, 4, 7, 3, 4, 0, 0], false),
        ];
        for (opts, accepted) in cases {
            assert_eq!(options_compile(&hdr(opts)).is_ok(), *accepted, "{opts:?}");
        }
        let lsrr = options_compile(&hdr(&[131, 7, 4, 192, 0, 2, 1, 0])).unwrap();
        assert_eq!(lsrr.srr, Some(20));
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = rcv_check(&data);
            if let Ok(p) = Packet::new_checked(&data[..]) {
                let _ = (p.payload(), p.options(), p.verify_checksum(), p.src(), p.frag_offset());
                for o in p.options_iter() { let _ = o; }
                let _ = options_compile(p.header());
                let _ = Repr::parse(&p);
            }
            let mut d = data.clone();
            if let Ok(mut p) = Packet::new_checked(&mut d[..]) {
                p.decrease_ttl();
                p.fill_checksum();
                let _ = p.payload_mut();
            }
        }
    }
}
