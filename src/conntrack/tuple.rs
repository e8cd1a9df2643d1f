//! Connection tuples, as the kernel's `struct nf_conntrack_tuple`
//! (`include/net/netfilter/nf_conntrack_tuple.h`).

use super::nat::{jhash_final, jhash_mix, jhash_mix_rest};
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IANA protocol numbers the tracker knows by name.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// DCCP (tracked as generic: Linux 6.18 has no DCCP tracker either).
    pub const DCCP: u8 = 33;
    /// GRE (`nf_conntrack_proto_gre.c`: keys from PPTP call ids).
    pub const GRE: u8 = 47;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// SCTP (`nf_conntrack_proto_sctp.c`).
    pub const SCTP: u8 = 132;
    /// UDP-Lite.
    pub const UDPLITE: u8 = 136;
}

/// Layer-3 family of a connection (one type for every layer).
pub use crate::nf::Family;

/// Which direction of a connection a tuple or packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// `IP_CT_DIR_ORIGINAL`: the direction of the first packet.
    Original = 0,
    /// `IP_CT_DIR_REPLY`.
    Reply = 1,
}

impl Dir {
    /// The other direction.
    pub fn other(self) -> Dir {
        match self {
            Dir::Original => Dir::Reply,
            Dir::Reply => Dir::Original,
        }
    }
    pub(crate) fn idx(self) -> usize {
        self as usize
    }
}

/// A connection tuple: addresses, protocol and the protocol-specific part.
///
/// `src_u` / `dst_u` hold what the kernel's `src.u` / `dst.u` unions hold:
/// ports for TCP/UDP/UDP-Lite/SCTP; for ICMP/ICMPv6 `src_u` is the identifier and
/// `dst_u` is `type << 8 | code`; GRE keys (`dst_u` the PPTP call id of a
/// GREv1 packet, `src_u` 0 without the PPTP helper); zero for generic
/// protocols.
/// Addresses are 16 bytes; IPv4 uses the first 4 (the rest zero), as the
/// kernel's `union nf_inet_addr`.
///
/// # Examples
///
/// ```
/// use nfsim::conntrack::{Tuple, proto};
/// let t = Tuple::new("192.0.2.2".parse().unwrap(), "192.0.2.1".parse().unwrap(), proto::TCP, 40000, 22).unwrap();
/// let r = t.invert().unwrap();
/// assert_eq!((r.src_u, r.dst_u), (22, 40000));
/// assert_eq!(r.invert().unwrap(), t);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tuple {
    /// Address family.
    pub family: Family,
    /// Source address bytes.
    pub src: [u8; 16],
    /// Destination address bytes.
    pub dst: [u8; 16],
    /// L4 protocol number.
    pub proto: u8,
    /// Source port / ICMP id.
    pub src_u: u16,
    /// Destination port / ICMP type and code.
    pub dst_u: u16,
}

/// Address bytes of an `IpAddr` as the kernel's `union nf_inet_addr`.
pub(crate) fn addr_bytes(a: IpAddr) -> (Family, [u8; 16]) {
    match a {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&v4.octets());
            (Family::Ipv4, b)
        }
        IpAddr::V6(v6) => (Family::Ipv6, v6.octets()),
    }
}

pub(crate) fn bytes_addr(family: Family, b: &[u8; 16]) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(*b)),
    }
}

impl Tuple {
    /// A tuple from two addresses of the same family; `None` if they differ.
    pub fn new(src: IpAddr, dst: IpAddr, proto: u8, src_u: u16, dst_u: u16) -> Option<Tuple> {
        let (f1, s) = addr_bytes(src);
        let (f2, d) = addr_bytes(dst);
        if f1 != f2 {
            return None;
        }
        Some(Tuple {
            family: f1,
            src: s,
            dst: d,
            proto,
            src_u,
            dst_u,
        })
    }

    /// Source address.
    pub fn src_addr(&self) -> IpAddr {
        bytes_addr(self.family, &self.src)
    }

    /// Destination address.
    pub fn dst_addr(&self) -> IpAddr {
        bytes_addr(self.family, &self.dst)
    }

    /// Whether this is an ICMP/ICMPv6 tuple of the right family.
    pub fn is_icmp(&self) -> bool {
        matches!(
            (self.family, self.proto),
            (Family::Ipv4, proto::ICMP) | (Family::Ipv6, proto::ICMPV6)
        )
    }

    /// Whether the protocol part holds ports.
    pub fn has_ports(&self) -> bool {
        matches!(
            self.proto,
            proto::TCP | proto::UDP | proto::UDPLITE | proto::SCTP
        )
    }

    /// ICMP type (meaningful for ICMP tuples only).
    pub fn icmp_type(&self) -> u8 {
        (self.dst_u >> 8) as u8
    }

    /// ICMP code (meaningful for ICMP tuples only).
    pub fn icmp_code(&self) -> u8 {
        self.dst_u as u8
    }

    /// The tuple of the other direction (`nf_ct_invert_tuple`). `None` for
    /// ICMP types that have no reply type (`icmp_invert_tuple` in
    /// `nf_conntrack_proto_icmp.c`, `icmpv6_invert_tuple` in
    /// `nf_conntrack_proto_icmpv6.c`), which makes such a packet INVALID.
    pub fn invert(&self) -> Option<Tuple> {
        let mut r = Tuple {
            family: self.family,
            src: self.dst,
            dst: self.src,
            proto: self.proto,
            src_u: self.dst_u,
            dst_u: self.src_u,
        };
        if self.is_icmp() {
            let t = self.icmp_type();
            let inv: u8 = match self.family {
                // icmp_invert_tuple: invmap[]
                Family::Ipv4 => match t {
                    8 => 0,
                    0 => 8,
                    13 => 14,
                    14 => 13,
                    15 => 16,
                    16 => 15,
                    17 => 18,
                    18 => 17,
                    _ => return None,
                },
                // icmpv6_invert_tuple: invmap[] over types 128..
                Family::Ipv6 => match t {
                    128 => 129,
                    129 => 128,
                    139 => 140,
                    140 => 139,
                    _ => return None,
                },
            };
            r.src_u = self.src_u;
            r.dst_u = (u16::from(inv) << 8) | u16::from(self.icmp_code());
        } else if !self.has_ports() && self.proto != proto::GRE {
            r.src_u = 0;
            r.dst_u = 0;
        }
        Some(r)
    }

    /// `hash_conntrack_raw` of the tuple in zone `zone` (0: the default
    /// zone) with the table's seed `s`: `jhash2` of its nine
    /// [words](Self::hash_words), the zone id xored into word 7. The same
    /// value as `nat::jhash2` of those words (tested below); an IPv4
    /// tuple's address words 1-3 and 5-6 are zero (the rest of
    /// `union nf_inet_addr`), so its first mix starts from constants of
    /// the seed ([`CtSeed`]).
    #[inline(always)]
    pub(crate) fn ct_hash(&self, s: &CtSeed, zone: u16) -> u32 {
        match self.family {
            Family::Ipv4 => {
                let w = |b: &[u8; 16]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                // jhash2's first round, words (src, 0, 0): a = init + src,
                // b = c = init, then __jhash_mix, whose first three steps
                // give a = src ^ rol(init, 4) and c = init + init.
                let (mut a, mut b, mut c) = jhash_mix_rest(w(&self.src) ^ s.rol4, s.init, s.twice);
                // Second round, words (0, dst, 0).
                b = b.wrapping_add(w(&self.dst));
                (a, b, c) = jhash_mix(a, b, c);
                // The last three words (0, zone, word 8).
                c = c.wrapping_add(self.hash_word8());
                b = b.wrapping_add(u32::from(zone));
                jhash_final(a, b, c)
            }
            Family::Ipv6 => {
                let mut w = self.hash_words();
                w[7] ^= u32::from(zone);
                jhash9(w, s.init)
            }
        }
    }

    /// The last hash word: ports, protocol and family.
    #[inline(always)]
    fn hash_word8(&self) -> u32 {
        (u32::from(self.src_u) << 16)
            ^ u32::from(self.dst_u)
            ^ (u32::from(self.proto) << 8)
            ^ match self.family {
                Family::Ipv4 => 2,
                Family::Ipv6 => 10,
            }
    }

    /// Words for hashing, in the kernel's memory order.
    pub(crate) fn hash_words(&self) -> [u32; 9] {
        let w = |b: &[u8; 16], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        [
            w(&self.src, 0),
            w(&self.src, 4),
            w(&self.src, 8),
            w(&self.src, 12),
            w(&self.dst, 0),
            w(&self.dst, 4),
            w(&self.dst, 8),
            w(&self.dst, 12),
            self.hash_word8(),
        ]
    }
}

/// The table's hash seed (`nf_conntrack_hash_rnd`) as [`Tuple::ct_hash`]
/// uses it, computed once: jhash2's initial value for nine words, and
/// the two values an IPv4 tuple's first mix derives from it alone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CtSeed {
    /// `JHASH_INITVAL + (9 << 2) + seed`.
    init: u32,
    /// `rol32(init, 4)`.
    rol4: u32,
    /// `init + init`.
    twice: u32,
}

impl CtSeed {
    pub(crate) fn new(seed: u32) -> Self {
        let init = 0xdead_beefu32.wrapping_add(9 << 2).wrapping_add(seed);
        CtSeed {
            init,
            rol4: init.rotate_left(4),
            twice: init.wrapping_add(init),
        }
    }
}

/// `jhash2` (`include/linux/jhash.h`) of exactly nine words, unrolled: the
/// loop of `nat::jhash2` over a tuple's words with the words as values, so
/// that constant ones fold.
/// `init`: [`CtSeed::init`].
#[inline(always)]
fn jhash9(k: [u32; 9], init: u32) -> u32 {
    let (mut a, mut b, mut c) = (init, init, init);
    for r in [[k[0], k[1], k[2]], [k[3], k[4], k[5]]] {
        a = a.wrapping_add(r[0]);
        b = b.wrapping_add(r[1]);
        c = c.wrapping_add(r[2]);
        (a, b, c) = jhash_mix(a, b, c);
    }
    c = c.wrapping_add(k[8]);
    b = b.wrapping_add(k[7]);
    a = a.wrapping_add(k[6]);
    jhash_final(a, b, c)
}

/// Writes an address as `%pI4` / `%pI6` print it (IPv6 fully expanded,
/// lower case, every group four digits).
pub(crate) fn write_addr(f: &mut impl fmt::Write, family: Family, b: &[u8; 16]) -> fmt::Result {
    match family {
        Family::Ipv4 => write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3]),
        Family::Ipv6 => {
            for i in 0..8 {
                if i > 0 {
                    f.write_char(':')?;
                }
                write!(f, "{:02x}{:02x}", b[2 * i], b[2 * i + 1])?;
            }
            Ok(())
        }
    }
}

/// `print_tuple` of `nf_conntrack_standalone.c` with the per-protocol part
/// (`tcp_print_tuple` etc.): `src=.. dst=.. sport=.. dport=..` (no trailing space).
impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("src=")?;
        write_addr(f, self.family, &self.src)?;
        f.write_str(" dst=")?;
        write_addr(f, self.family, &self.dst)?;
        if self.is_icmp() {
            write!(
                f,
                " type={} code={} id={}",
                self.icmp_type(),
                self.icmp_code(),
                self.src_u
            )
        } else if self.has_ports() {
            write!(f, " sport={} dport={}", self.src_u, self.dst_u)
        } else if self.proto == proto::GRE {
            // gre_print_tuple
            write!(f, " srckey=0x{:x} dstkey=0x{:x}", self.src_u, self.dst_u)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_hash_is_jhash2_of_the_words() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..2000 {
            let (a, b) = (next(), next());
            let mut src = [0u8; 16];
            let mut dst = [0u8; 16];
            src[..8].copy_from_slice(&a.to_le_bytes());
            src[8..].copy_from_slice(&b.to_le_bytes());
            dst[..8].copy_from_slice(&b.rotate_left(9).to_le_bytes());
            dst[8..].copy_from_slice(&a.rotate_left(3).to_le_bytes());
            let family = if i % 2 == 0 {
                Family::Ipv4
            } else {
                Family::Ipv6
            };
            if family == Family::Ipv4 {
                src[4..].fill(0);
                dst[4..].fill(0);
            }
            let r = next();
            let t = Tuple {
                family,
                src,
                dst,
                proto: r as u8,
                src_u: (r >> 8) as u16,
                dst_u: (r >> 24) as u16,
            };
            let (seed, zone) = (
                (r >> 32) as u32,
                if i % 3 == 0 { 0 } else { (r >> 40) as u16 },
            );
            let mut w = t.hash_words();
            w[7] ^= u32::from(zone);
            assert_eq!(
                t.ct_hash(&CtSeed::new(seed), zone),
                super::super::nat::jhash2(&w, seed)
            );
        }
    }

    #[test]
    fn icmp_invert() {
        let t = Tuple::new(
            "192.0.2.20".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
            proto::ICMP,
            3,
            8 << 8,
        )
        .unwrap();
        let r = t.invert().unwrap();
        assert_eq!(
            r.to_string(),
            "src=192.0.2.1 dst=192.0.2.20 type=0 code=0 id=3"
        );
        let bad = Tuple { dst_u: 3 << 8, ..t };
        assert!(bad.invert().is_none());
    }

    #[test]
    fn ipv6_display_expanded() {
        let t = Tuple::new(
            "2001:db8::20".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
            proto::TCP,
            53000,
            443,
        )
        .unwrap();
        assert_eq!(
            t.to_string(),
            "src=2001:0db8:0000:0000:0000:0000:0000:0020 dst=2001:0db8:0000:0000:0000:0000:0000:0001 sport=53000 dport=443"
        );
    }

    #[test]
    fn generic_has_no_ports() {
        let t = Tuple::new(
            "192.0.2.2".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
            253,
            0,
            0,
        )
        .unwrap();
        assert_eq!(t.to_string(), "src=192.0.2.2 dst=192.0.2.1");
        assert!(Tuple::new(
            "192.0.2.2".parse().unwrap(),
            "::1".parse().unwrap(),
            6,
            0,
            0
        )
        .is_none());
    }
}
