//! Small private byte readers and Internet checksum helpers.
//!
//! TODO(wire): switch to crate::wire views and checksum helpers once the
//! wire layer lands; these exist only so conntrack can be built standalone.

use super::tuple::{proto, Family};

/// Big-endian u16 at `off`, `None` when out of bounds.
// TODO(wire): switch to crate::wire views
pub(crate) fn be16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Big-endian u32 at `off`, `None` when out of bounds.
// TODO(wire): switch to crate::wire views
pub(crate) fn be32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn put16(b: &mut [u8], off: usize, v: u16) -> Option<()> {
    let s = b.get_mut(off..off.checked_add(2)?)?;
    s.copy_from_slice(&v.to_be_bytes());
    Some(())
}

/// One's complement sum of `data` (big-endian 16-bit words, odd byte padded),
/// added to `acc`, not folded.
pub(crate) fn sum_bytes(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

pub(crate) fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Pseudo-header sum (`csum_tcpudp_nofold` / `csum_ipv6_magic`).
pub(crate) fn pseudo_sum(
    family: Family,
    src: &[u8; 16],
    dst: &[u8; 16],
    l4proto: u8,
    len: usize,
) -> u64 {
    let alen = match family {
        Family::Ipv4 => 4,
        Family::Ipv6 => 16,
    };
    let mut acc = sum_bytes(0, &src[..alen]);
    acc = sum_bytes(acc, &dst[..alen]);
    acc + u64::from(l4proto) + (len as u64 & 0xffff_ffff)
}

/// Whether the L4 checksum of `l4` verifies (`nf_checksum` on a
/// `CHECKSUM_NONE` skb: ICMP without pseudo header, everything else with).
pub(crate) fn l4_checksum_ok(
    family: Family,
    src: &[u8; 16],
    dst: &[u8; 16],
    l4proto: u8,
    l4: &[u8],
) -> bool {
    let start = if family == Family::Ipv4 && l4proto == proto::ICMP {
        0
    } else {
        pseudo_sum(family, src, dst, l4proto, l4.len())
    };
    fold(sum_bytes(start, l4)) == 0xffff
}

/// The kernel's 32-bit `csum_add` (end-around carry).
fn csum_add(a: u32, b: u32) -> u32 {
    let (r, c) = a.overflowing_add(b);
    r.wrapping_add(u32::from(c))
}

/// The kernel's `csum_fold`: fold to 16 bits and complement.
fn csum_fold(s: u32) -> u16 {
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

/// Incremental checksum update for a field changing from `old` to `new`
/// (same length, a multiple of 2): `inet_proto_csum_replace4` /
/// `inet_proto_csum_replace16` / `csum_replace4` for a non-offloaded skb
/// (RFC 1624 eqn. 3 in 32-bit arithmetic, as `include/net/checksum.h`).
pub(crate) fn csum_replace(check: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut acc = !u32::from(check);
    let word = |c: &[u8]| -> u32 {
        match c.len() {
            4 => u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
            2 => u32::from(u16::from_be_bytes([c[0], c[1]])),
            _ => 0,
        }
    };
    for c in old.chunks(4) {
        acc = csum_add(acc, !word(c));
    }
    for c in new.chunks(4) {
        acc = csum_add(acc, word(c));
    }
    csum_fold(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_bounds() {
        let b = [1u8, 2, 3];
        assert_eq!(be16(&b, 1), Some(0x0203));
        assert_eq!(be16(&b, 2), None);
        assert_eq!(be32(&b, 0), None);
        assert_eq!(be16(&b, usize::MAX), None);
    }

    #[test]
    fn replace_matches_recompute() {
        // IPv4 header of a trace packet; change the destination address.
        let mut h = [
            0x45u8, 0, 0, 0x28, 0, 1, 0, 0, 0x40, 6, 0x14, 0x7c, 203, 0, 113, 30, 198, 51, 100, 1,
        ];
        assert_eq!(fold(sum_bytes(0, &h)), 0xffff);
        let old = [198u8, 51, 100, 1];
        let new = [192u8, 0, 2, 10];
        let c = csum_replace(0x147c, &old, &new);
        h[16..20].copy_from_slice(&new);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(fold(sum_bytes(0, &h)), 0xffff);
    }
}
