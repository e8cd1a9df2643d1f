//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Conventions (the kernel's, `include/net/checksum.h`):
//!
//! * [`sum`] returns the *folded one's-complement sum* of some bytes, not
//!   complemented (the kernel's `csum_fold(csum_partial(..))` before its
//!   final `~`). Sums of several pieces are added with [`combine`].
//! * The value stored in a header is the complement of the sum over the
//!   header (or pseudo-header + segment) with the checksum field zero:
//!   [`ipv4_header`], [`transport_v4`], [`transport_v6`], [`icmpv4`].
//! * A received header verifies when the sum over it, checksum field
//!   included, is `0xffff` ([`verify`]).
//! * Incremental updates ([`replace2`], [`replace4`], [`replace16`]) follow
//!   RFC 1624 equation 3, `HC' = ~(~HC + ~m + m')`, exactly like the
//!   kernel's `csum_replace2`/`csum_replace4` and
//!   `inet_proto_csum_replace4/16` for a packet whose checksum is complete
//!   (not `CHECKSUM_PARTIAL`; packets in nfsim always carry full checksums).
//! * UDP: a transmitted checksum of zero means "no checksum" (IPv4 only;
//!   RFC 768). When the kernel computes or rewrites a UDP checksum and the
//!   result is 0, it stores `0xffff` instead (`CSUM_MANGLED_0`): see
//!   [`udp_mangled_0`], [`udp_v4`], [`udp_v6`], and NAT's
//!   `__udp_manip_pkt` (net/netfilter/nf_nat_proto.c), which leaves a zero
//!   IPv4 UDP checksum untouched ([`udp_replace4`]).
//!
//! Nothing here allocates or panics.

use core::net::{Ipv4Addr, Ipv6Addr};

use super::{Family, IpProtocol};

/// The kernel's `CSUM_MANGLED_0`: what a computed UDP checksum of zero is
/// sent as.
pub const CSUM_MANGLED_0: u16 = 0xffff;

/// Folds a 32/64-bit accumulator of 16-bit words into 16 bits with
/// end-around carry.
#[inline]
const fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Folded one's-complement sum of `data` taken as big-endian 16-bit words;
/// an odd last byte is padded with a zero byte.
///
/// ```
/// use nfsim::wire::checksum;
/// assert_eq!(checksum::sum(&[0x00, 0x01, 0xf2, 0x03]), 0xf204);
/// assert_eq!(checksum::sum(&[0xff]), 0xff00);
/// ```
pub fn sum(data: &[u8]) -> u16 {
    // The unfolded sum 64 bits at a time, folded once (`wide_sum`).
    fold(wide_sum(data))
}

/// One's-complement sum of already folded partial sums.
///
/// ```
/// use nfsim::wire::checksum;
/// let a = [1u8, 2, 3, 4, 5, 6];
/// assert_eq!(checksum::combine(&[checksum::sum(&a[..2]), checksum::sum(&a[2..])]),
///            checksum::sum(&a));
/// ```
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// True when `data`, its checksum field included, sums to `0xffff`.
pub fn verify(data: &[u8]) -> bool {
    // `sum` taken 32 bits at a time (`fold(wide_sum(d)) == sum(d)`).
    fold(wide_sum(data)) == 0xffff
}

/// Sum of the pseudo-header of either family (`csum_tcpudp_nofold` /
/// `csum_ipv6_magic`): the address bytes as given (4 or 16 each), the
/// protocol and the transport length.
///
/// ```
/// use nfsim::wire::{checksum, IpProtocol};
/// let (s, d) = ([192, 0, 2, 1], [192, 0, 2, 20]);
/// assert_eq!(checksum::pseudo_header(&s, &d, IpProtocol::TCP, 20),
///            checksum::pseudo_header_v4(s.into(), d.into(), IpProtocol::TCP, 20));
/// ```
pub fn pseudo_header(src: &[u8], dst: &[u8], proto: IpProtocol, len: u32) -> u16 {
    fold(pseudo_wide(src, dst, proto, len))
}

/// [`pseudo_header`] unfolded: the same one's-complement sum as `combine`
/// of the folded parts (every part is congruent modulo 0xffff to its fold,
/// and the sum is zero only when every part is).
#[inline]
fn pseudo_wide(src: &[u8], dst: &[u8], proto: IpProtocol, len: u32) -> u64 {
    wide_sum(src)
        + wide_sum(dst)
        + u64::from(len >> 16)
        + u64::from(len & 0xffff)
        + u64::from(proto.0)
}

/// Sum of the IPv4 pseudo-header (RFC 793/768): addresses, protocol and
/// the transport length.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: IpProtocol, len: u32) -> u16 {
    pseudo_header(&src.octets(), &dst.octets(), proto, len)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 section 8.1): addresses, the
/// upper-layer length (32 bits) and the next header value.
pub fn pseudo_header_v6(src: &Ipv6Addr, dst: &Ipv6Addr, proto: IpProtocol, len: u32) -> u16 {
    pseudo_header(&src.octets(), &dst.octets(), proto, len)
}

/// The checksum to store in an IPv4 header (`ip_send_check`): the header
/// must have its checksum field set to zero.
///
/// ```
/// use nfsim::wire::checksum;
/// // The TCP RST of basic-server.json, checksum field zeroed: stored b6ba.
/// let h = [0x45, 0, 0, 0x28, 0, 0, 0x40, 0, 0x40, 6, 0, 0,
///          192, 0, 2, 1, 192, 0, 2, 20];
/// assert_eq!(checksum::ipv4_header(&h), 0xb6ba);
/// ```
pub fn ipv4_header(header: &[u8]) -> u16 {
    !sum(header)
}

/// The checksum to store in an ICMPv4 message (no pseudo-header): the
/// message must have its checksum field set to zero.
pub fn icmpv4(message: &[u8]) -> u16 {
    !sum(message)
}

/// The checksum to store in a TCP/UDP/other segment over IPv4: pseudo-header
/// plus `segment` (whose checksum field must be zero). For UDP use
/// [`udp_v4`], which applies `CSUM_MANGLED_0`.
pub fn transport_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: IpProtocol, segment: &[u8]) -> u16 {
    let len = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    !fold(pseudo_wide(&src.octets(), &dst.octets(), proto, len) + wide_sum(segment))
}

/// The checksum to store in a TCP/UDP/ICMPv6 segment over IPv6.
pub fn transport_v6(src: &Ipv6Addr, dst: &Ipv6Addr, proto: IpProtocol, segment: &[u8]) -> u16 {
    let len = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    !fold(pseudo_wide(&src.octets(), &dst.octets(), proto, len) + wide_sum(segment))
}

/// The checksum to store in an ICMPv6 message: [`transport_v6`] with next
/// header 58 (the message's checksum field must be zero).
pub fn icmpv6(src: &Ipv6Addr, dst: &Ipv6Addr, message: &[u8]) -> u16 {
    transport_v6(src, dst, IpProtocol::ICMPV6, message)
}

/// True when a received segment's checksum over IPv4 is correct
/// (pseudo-header + segment sums to `0xffff`).
pub fn verify_transport_v4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: IpProtocol,
    segment: &[u8],
) -> bool {
    let len = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    fold(pseudo_wide(&src.octets(), &dst.octets(), proto, len) + wide_sum(segment)) == 0xffff
}

/// True when a received segment's checksum over IPv6 is correct.
pub fn verify_transport_v6(
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    proto: IpProtocol,
    segment: &[u8],
) -> bool {
    let len = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    fold(pseudo_wide(&src.octets(), &dst.octets(), proto, len) + wide_sum(segment)) == 0xffff
}

/// `nf_checksum()` / `nf_ip_checksum()` / `nf_ip6_checksum()`
/// (net/netfilter/utils.c) on a `CHECKSUM_NONE` skb: whether the
/// transport checksum of `l4` verifies, over the pseudo-header of `src` and
/// `dst` (address bytes, 4 or 16 each), except for ICMP over IPv4, which
/// has none. Conntrack's `tcp_error`, `udp_error` and the ICMP error
/// handlers, and the transport's own checks, ask this.
///
/// ```
/// use nfsim::wire::{checksum, Family, IpProtocol};
/// // An ICMP echo request with its checksum: no pseudo-header over IPv4.
/// let echo = [8, 0, 0xf7, 0xfe, 0, 1, 0, 0];
/// assert!(checksum::nf_checksum_ok(Family::Ipv4, &[0; 4], &[0; 4], IpProtocol::ICMP, &echo));
/// ```
pub fn nf_checksum_ok(
    family: Family,
    src: &[u8],
    dst: &[u8],
    proto: IpProtocol,
    l4: &[u8],
) -> bool {
    if family == Family::Ipv4 && proto == IpProtocol::ICMP {
        return verify(l4);
    }
    let len = u32::try_from(l4.len()).unwrap_or(u32::MAX);
    // One unfolded sum of the pseudo-header and the segment, folded once:
    // the same one's-complement sum as `combine` of the folded parts.
    let acc = wide_sum(src) + wide_sum(dst) + wide_sum(l4);
    fold(acc + u64::from(len >> 16) + u64::from(len & 0xffff) + u64::from(proto.0)) == 0xffff
}

/// The unfolded one's-complement sum of `data` as big-endian 16-bit words
/// (an odd last byte padded with zero), taken as the two 32-bit halves of
/// 64-bit words: congruent modulo 0xffff to the sum of the 16-bit words
/// (2^16 is 1 modulo 0xffff), and zero only when every byte is, so
/// `fold(wide_sum(d))` is that sum folded (tested against the 16-bit
/// definition, `sixteen_bit_sum`).
#[inline]
fn wide_sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut quads = data.chunks_exact(8);
    for q in &mut quads {
        let w = u64::from_be_bytes([q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]]);
        acc += (w >> 32) + (w & 0xffff_ffff);
    }
    let mut words = quads.remainder().chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    match *words.remainder() {
        [a, b, c] => acc += u64::from(u16::from_be_bytes([a, b])) + (u64::from(c) << 8),
        [a, b] => acc += u64::from(u16::from_be_bytes([a, b])),
        [a] => acc += u64::from(a) << 8,
        _ => {}
    }
    acc
}

/// `CSUM_MANGLED_0`: a UDP checksum that came out as zero is stored as
/// `0xffff` (zero would mean "no checksum").
#[inline]
pub const fn udp_mangled_0(check: u16) -> u16 {
    if check == 0 {
        CSUM_MANGLED_0
    } else {
        check
    }
}

/// UDP checksum over IPv4 as the kernel stores it (`udp_set_csum`/
/// `udp4_hwcsum` and friends): [`transport_v4`] with `CSUM_MANGLED_0`.
pub fn udp_v4(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> u16 {
    udp_mangled_0(transport_v4(src, dst, IpProtocol::UDP, segment))
}

/// UDP checksum over IPv6 as stored (`udp6_set_csum`): with `CSUM_MANGLED_0`.
pub fn udp_v6(src: &Ipv6Addr, dst: &Ipv6Addr, segment: &[u8]) -> u16 {
    udp_mangled_0(transport_v6(src, dst, IpProtocol::UDP, segment))
}

/// `csum_replace2()` (include/net/checksum.h): the stored checksum `check`
/// after the 16-bit word `old` of the covered data became `new`.
///
/// ```
/// use nfsim::wire::checksum;
/// // Decrementing the TTL of the first nat-gateway.json packet (64 -> 63,
/// // protocol TCP): 147c becomes 157c, as the kernel forwarded it.
/// assert_eq!(checksum::replace2(0x147c, 0x4006, 0x3f06), 0x157c);
/// ```
pub fn replace2(check: u16, old: u16, new: u16) -> u16 {
    // HC' = ~(~HC + ~m + m')   (RFC 1624, eqn. 3)
    !fold(u64::from(!check) + u64::from(!old) + u64::from(new))
}

/// `csum_replace4()` / `inet_proto_csum_replace4(.., pseudohdr)` for a
/// complete checksum: a 32-bit field (an IPv4 address) changed.
pub fn replace4(check: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    let o = u32::from_be_bytes(old);
    let n = u32::from_be_bytes(new);
    let acc = u64::from(!check)
        + u64::from(!(o >> 16) & 0xffff)
        + u64::from(!o & 0xffff)
        + u64::from(n >> 16)
        + u64::from(n & 0xffff);
    !fold(acc)
}

/// `inet_proto_csum_replace16()` for a complete checksum: a 128-bit field
/// (an IPv6 address) changed.
pub fn replace16(check: u16, old: &[u8; 16], new: &[u8; 16]) -> u16 {
    let mut acc = u64::from(!check);
    for (o, n) in old.chunks_exact(2).zip(new.chunks_exact(2)) {
        acc += u64::from(!u16::from_be_bytes([o[0], o[1]]));
        acc += u64::from(u16::from_be_bytes([n[0], n[1]]));
    }
    !fold(acc)
}

/// The kernel's 32-bit checksum update for a field of 2, 4 or 16 bytes
/// changing from `old` to `new` (same length), as NAT does it:
/// `inet_proto_csum_replace2/4/16` (net/core/utils.c) and `csum_replace4`
/// for a non-offloaded skb, `csum_fold(csum_add(csum_sub(~csum_unfold(sum),
/// from), to))` in 32-bit `__wsum` arithmetic. It differs from the 16-bit
/// [`replace2`] (`csum_replace2`) and from [`replace4`] / [`replace16`] in
/// one corner: a stored `0xffff` whose covered field goes from all ones
/// to all zeros gives `0x0000` here, as in the kernel's 32-bit sums.
///
/// ```
/// use nfsim::wire::checksum;
/// assert_eq!(checksum::inet_proto_replace(0x147c, &[198, 51, 100, 1], &[198, 51, 100, 1]), 0x147c);
/// assert_eq!(checksum::inet_proto_replace(0xffff, &[0xff, 0xff], &[0, 0]), 0);
/// assert_eq!(checksum::replace2(0xffff, 0xffff, 0), 0xffff);
/// ```
pub fn inet_proto_replace(check: u16, old: &[u8], new: &[u8]) -> u16 {
    /// `csum_add`: 32-bit addition with end-around carry.
    fn csum_add(a: u32, b: u32) -> u32 {
        let (r, c) = a.overflowing_add(b);
        r.wrapping_add(u32::from(c))
    }
    let word = |c: &[u8]| -> u32 {
        match *c {
            [a, b, c, d] => u32::from_be_bytes([a, b, c, d]),
            [a, b] => u32::from(u16::from_be_bytes([a, b])),
            _ => 0,
        }
    };
    let mut acc = !u32::from(check);
    for c in old.chunks(4) {
        acc = csum_add(acc, !word(c));
    }
    for c in new.chunks(4) {
        acc = csum_add(acc, word(c));
    }
    // csum_fold: fold to 16 bits and complement.
    !fold(u64::from(acc))
}

/// `inet_proto_csum_replace4(.., pseudohdr = true)` on a `CHECKSUM_PARTIAL`
/// skb, whose checksum field holds the folded (uncomplemented) pseudo-header
/// sum (e.g. a TCP reset from `nf_reject_ip_tcphdr_put` being NATed):
/// `~csum_fold(csum_add(csum_sub(csum_unfold(sum), from), to))`.
pub fn replace4_partial(check: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    !replace4(!check, old, new)
}

/// A UDP checksum after a 16-bit change, the way NAT does it
/// (`__udp_manip_pkt`, net/netfilter/nf_nat_proto.c): a zero checksum
/// (none, IPv4) stays zero; otherwise it is updated and a result of zero is
/// stored as `CSUM_MANGLED_0`.
///
/// For a combined address + port rewrite apply [`replace4`]/[`replace16`]
/// and [`replace2`] on a nonzero checksum and [`udp_mangled_0`] once at the
/// end, as the kernel does.
pub fn udp_replace2(check: u16, old: u16, new: u16) -> u16 {
    if check == 0 {
        0
    } else {
        udp_mangled_0(replace2(check, old, new))
    }
}

/// UDP counterpart of [`replace4`]: zero stays zero, zero results become
/// `0xffff` (see [`udp_replace2`]).
pub fn udp_replace4(check: u16, old: [u8; 4], new: [u8; 4]) -> u16 {
    if check == 0 {
        0
    } else {
        udp_mangled_0(replace4(check, old, new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `nf_checksum_ok`'s single fold agrees with the pseudo-header and
    /// segment sums combined, on segments that verify and on ones that do not.
    #[test]
    fn nf_checksum_ok_as_combined_sums() {
        let (s4, d4) = ([192u8, 0, 2, 1], [198u8, 51, 100, 7]);
        let (s6, d6) = ([0x20u8; 16], [0x01u8; 16]);
        for n in 8..80usize {
            let mut seg: Vec<u8> = (0..n).map(|i| (i * 31 + n) as u8).collect();
            for (fam, src, dst) in [
                (Family::Ipv4, &s4[..], &d4[..]),
                (Family::Ipv6, &s6[..], &d6[..]),
            ] {
                seg[6] = 0;
                seg[7] = 0;
                let len = n as u32;
                let c = !combine(&[pseudo_header(src, dst, IpProtocol::UDP, len), sum(&seg)]);
                for (check, want) in [(c, true), (c ^ 0x0101, false)] {
                    seg[6..8].copy_from_slice(&check.to_be_bytes());
                    let old = combine(&[pseudo_header(src, dst, IpProtocol::UDP, len), sum(&seg)])
                        == 0xffff;
                    assert_eq!(old, want);
                    assert_eq!(
                        nf_checksum_ok(fam, src, dst, IpProtocol::UDP, &seg),
                        old,
                        "{n}"
                    );
                }
            }
        }
    }

    /// RFC 1071's definition: 16-bit big-endian words (an odd last byte
    /// padded), added with end-around carry.
    fn sixteen_bit_sum(data: &[u8]) -> u16 {
        let mut acc: u64 = 0;
        for w in data.chunks(2) {
            acc += u64::from(u16::from_be_bytes([w[0], w.get(1).copied().unwrap_or(0)]));
        }
        fold(acc)
    }

    #[test]
    fn wide_sum_folds_to_sum() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 97 + 13) as u8).collect();
        for n in 0..data.len() {
            assert_eq!(
                fold(wide_sum(&data[..n])),
                sixteen_bit_sum(&data[..n]),
                "{n}"
            );
            assert_eq!(sum(&data[..n]), sixteen_bit_sum(&data[..n]), "{n}");
            for off in 1..8.min(n + 1) {
                assert_eq!(
                    sum(&data[off..n]),
                    sixteen_bit_sum(&data[off..n]),
                    "{off} {n}"
                );
            }
        }
        for b in [0x00, 0x01, 0x80, 0xfe, 0xff] {
            for n in 0..80 {
                let d = vec![b; n];
                assert_eq!(sum(&d), sixteen_bit_sum(&d), "{b} {n}");
            }
        }
    }

    proptest! {
        /// The pseudo-header and transport sums over unfolded parts are
        /// `combine` of the folded parts, as they were defined.
        #[test]
        fn unfolded_pseudo_header_is_combine(
            src in any::<[u8; 16]>(),
            dst in any::<[u8; 16]>(),
            shape in 0..3usize,
            seg in proptest::collection::vec(any::<u8>(), 0..70),
            proto in any::<u8>(),
            len in any::<u32>(),
            zeros in any::<bool>(),
        ) {
            // IPv4 and IPv6 addresses, and an odd length for `pseudo_header`.
            let n = [4, 16, 3][shape];
            let (src, dst) = (src[..n].to_vec(), dst[..n].to_vec());
            let z = |v: &Vec<u8>| if zeros { vec![0; v.len()] } else { v.clone() };
            let (src, dst, seg) = (z(&src), z(&dst), z(&seg));
            let p = IpProtocol(if zeros { 0 } else { proto });
            let len = if zeros { 0 } else { len };
            let by_parts = combine(&[
                sixteen_bit_sum(&src),
                sixteen_bit_sum(&dst),
                fold(u64::from(len >> 16) + u64::from(len & 0xffff) + u64::from(p.0)),
            ]);
            prop_assert_eq!(pseudo_header(&src, &dst, p, len), by_parts);
            let seg_len = u32::try_from(seg.len()).unwrap();
            let ph = combine(&[sixteen_bit_sum(&src), sixteen_bit_sum(&dst),
                fold(u64::from(seg_len) + u64::from(p.0))]);
            let whole = combine(&[ph, sixteen_bit_sum(&seg)]);
            if let (Ok(s4), Ok(d4)) = (<[u8; 4]>::try_from(&src[..]), <[u8; 4]>::try_from(&dst[..])) {
                let (s4, d4) = (Ipv4Addr::from(s4), Ipv4Addr::from(d4));
                prop_assert_eq!(transport_v4(s4, d4, p, &seg), !whole);
                prop_assert_eq!(verify_transport_v4(s4, d4, p, &seg), whole == 0xffff);
            }
            if let (Ok(s6), Ok(d6)) = (<[u8; 16]>::try_from(&src[..]), <[u8; 16]>::try_from(&dst[..])) {
                let (s6, d6) = (Ipv6Addr::from(s6), Ipv6Addr::from(d6));
                prop_assert_eq!(transport_v6(&s6, &d6, p, &seg), !whole);
                prop_assert_eq!(verify_transport_v6(&s6, &d6, p, &seg), whole == 0xffff);
            }
        }
    }

    #[test]
    fn sum_odd_and_even() {
        assert_eq!(sum(&[]), 0);
        assert_eq!(sum(&[0x12]), 0x1200);
        assert_eq!(sum(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
        assert_eq!(sum(&[0xff, 0xff, 0x00, 0x01]), 0x0001);
    }

    #[test]
    fn ipv4_header_of_trace_packet() {
        // basic-server.json packet 0.
        let h = hex("45000028000100004006f6b9c0000214c0000201");
        assert!(verify(&h));
        let mut z = h.clone();
        z[10] = 0;
        z[11] = 0;
        assert_eq!(ipv4_header(&z), 0xf6b9);
    }

    #[test]
    fn tcp_checksum_of_trace_packet() {
        let p =
            hex("45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000");
        let src = Ipv4Addr::new(192, 0, 2, 20);
        let dst = Ipv4Addr::new(192, 0, 2, 1);
        assert!(verify_transport_v4(src, dst, IpProtocol::TCP, &p[20..]));
        let mut seg = p[20..].to_vec();
        seg[16] = 0;
        seg[17] = 0;
        assert_eq!(transport_v4(src, dst, IpProtocol::TCP, &seg), 0x6d6b);
    }

    #[test]
    fn udp_v6_checksum_of_trace_packet() {
        // ipv6-basic.json packet 5: UDP 0xcf0a -> 9, checksum 0x6435.
        let p = hex("600000000009114020010db800000000000000000000002020010db8000000000000000000000001cf0a00090009643571");
        let src = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).unwrap());
        let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap());
        assert!(verify_transport_v6(&src, &dst, IpProtocol::UDP, &p[40..]));
        let mut seg = p[40..].to_vec();
        seg[6] = 0;
        seg[7] = 0;
        assert_eq!(udp_v6(&src, &dst, &seg), 0x6435);
    }

    #[test]
    fn nat_rewrite_matches_kernel() {
        // nat-gateway.json packet 0 (in eth1) and its forwarded form after
        // DNAT 198.51.100.1:2222 -> 192.0.2.10:22 and TTL 64 -> 63.
        let inp =
            hex("45000028000100004006147ccb00711ec6336401c73808ae00000064000000005002faf07e530000");
        let out =
            hex("45000028000100003f067da6cb00711ec000020ac738001600000064000000005002faf0ef150000");
        let old_dst = [198, 51, 100, 1];
        let new_dst = [192, 0, 2, 10];
        // IP header: daddr then TTL.
        let c = replace4(0x147c, old_dst, new_dst);
        let c = replace2(c, 0x4006, 0x3f06);
        assert_eq!(c, u16::from_be_bytes([out[10], out[11]]));
        // TCP: address in pseudo-header, then port.
        let t = u16::from_be_bytes([inp[36], inp[37]]);
        let t = replace4(t, old_dst, new_dst);
        let t = replace2(t, 0x08ae, 0x0016);
        assert_eq!(t, u16::from_be_bytes([out[36], out[37]]));
    }

    #[test]
    fn nat_udp_rewrite_matches_kernel() {
        // nat-gateway.json packet 3: SNAT 192.0.2.10 -> 198.51.100.1, TTL 63.
        let inp = hex("4500001d0001000040117c8fc000020acb007135cb2000350009c54571");
        let out = hex("4500001d000100003f111565c6336401cb007135cb20003500095d1b71");
        let c = udp_replace4(
            u16::from_be_bytes([inp[26], inp[27]]),
            [192, 0, 2, 10],
            [198, 51, 100, 1],
        );
        assert_eq!(c, u16::from_be_bytes([out[26], out[27]]));
        assert_eq!(udp_replace4(0, [1, 2, 3, 4], [5, 6, 7, 8]), 0);
    }

    #[test]
    fn mangled_zero() {
        assert_eq!(udp_mangled_0(0), 0xffff);
        assert_eq!(udp_mangled_0(7), 7);
        // A replacement whose result is 0 is stored as 0xffff.
        // check = ~(~HC + ~m + m'): choose HC so that the result is 0.
        let r = replace2(0x0001, 0x0000, 0x0001);
        assert_eq!(r, 0x0000);
        assert_eq!(udp_replace2(0x0001, 0x0000, 0x0001), 0xffff);
    }

    #[test]
    fn replace16_equals_recompute() {
        let mut seg = [0u8; 20];
        seg[0] = 0x12;
        seg[13] = 0x02;
        let a = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
        let b = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 2);
        let d = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
        let c1 = transport_v6(&a, &d, IpProtocol::TCP, &seg);
        let c2 = transport_v6(&b, &d, IpProtocol::TCP, &seg);
        assert_eq!(replace16(c1, &a.octets(), &b.octets()), c2);
    }

    proptest! {
        #[test]
        fn incremental_equals_recompute(data in proptest::collection::vec(any::<u8>(), 2..64),
                                        word in 0usize..32, new in any::<u16>()) {
            let mut data = data;
            if data.len() % 2 == 1 { data.push(0); }
            let i = (word % (data.len() / 2)) * 2;
            let before = !sum(&data);
            let old = u16::from_be_bytes([data[i], data[i + 1]]);
            data[i..i + 2].copy_from_slice(&new.to_be_bytes());
            let after = !sum(&data);
            let inc = replace2(before, old, new);
            // Equal as one's-complement numbers (0x0000 and 0xffff both zero).
            prop_assert!(inc == after || (inc | after) == 0xffff && (inc & after) == 0);
            // And the data verifies with the incremental value stored.
            let mut d2 = data.clone();
            d2.extend_from_slice(&inc.to_be_bytes());
            prop_assert!(verify(&d2));
        }

        #[test]
        fn sum_split_anywhere_even(data in proptest::collection::vec(any::<u8>(), 0..80), at in 0usize..40) {
            let at = (at * 2).min(data.len() & !1);
            prop_assert_eq!(combine(&[sum(&data[..at]), sum(&data[at..])]), sum(&data));
        }
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        crate::wire::fixtures::hex(s)
    }
}
