//! ICMP and ICMPv6 connection tracking, following
//! `net/netfilter/nf_conntrack_proto_icmp.c` and
//! `nf_conntrack_proto_icmpv6.c` (Linux 6.x: `nf_conntrack_icmpv4_error`,
//! `nf_conntrack_icmpv6_error`, `nf_conntrack_inet_error`,
//! `nf_conntrack_icmp_packet`, `nf_conntrack_icmpv6_packet`): echo-like
//! exchanges are "connections", errors are RELATED to the connection of the
//! packet they carry, neighbour discovery and MLD are untracked.

use super::config::Config;
use super::tuple::{proto, Dir, Family, Tuple};
use super::{csum_ok, l4_tuple_part, ConntrackTable, CtInfo, CtSlot, L4Verdict};
use crate::time::Instant;
use crate::wire::meta::PacketMeta;
use crate::wire::{get_u16, ipv6, rd_arr, IpProtocol};

/// Whether `p` is the ICMP of `family` (ICMP over IPv4, ICMPv6 over IPv6).
pub(super) fn is_icmp_of(family: Family, p: u8) -> bool {
    matches!(
        (family, p),
        (Family::Ipv4, proto::ICMP) | (Family::Ipv6, proto::ICMPV6)
    )
}

/// What the error handler decided before the packet is tracked
/// (`nf_conntrack_handle_icmp`).
pub(super) enum IcmpPre {
    /// INVALID.
    Invalid,
    /// `IP_CT_UNTRACKED` (neighbour discovery, MLD).
    Untracked,
    /// An error RELATED to this entry.
    Related(CtSlot),
    /// Not an error: tracked as an ICMP "connection".
    NotError,
}

impl ConntrackTable {
    /// `nf_conntrack_icmpv4_error` / `nf_conntrack_icmpv6_error`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn icmp_error(
        &mut self,
        l4: &[u8],
        meta: &PacketMeta,
        src: &[u8; 16],
        dst: &[u8; 16],
        prerouting: bool,
        now: Instant,
        zone: super::helper::Zone,
    ) -> IcmpPre {
        if l4.len() < 8 {
            return IcmpPre::Invalid;
        }
        let p = meta.protocol.0;
        if self.cfg.checksum && prerouting && !csum_ok(meta.family, src, dst, p, l4) {
            return IcmpPre::Invalid;
        }
        let ty = l4[0];
        match meta.family {
            Family::Ipv4 => {
                if ty > 18 {
                    return IcmpPre::Invalid;
                }
                // icmp_is_err
                if !matches!(ty, 3 | 4 | 5 | 11 | 12) {
                    return IcmpPre::NotError;
                }
            }
            Family::Ipv6 => {
                // noct_valid_new[]: MLD and neighbour discovery
                if matches!(ty, 130 | 131 | 132 | 133 | 134 | 135 | 136 | 143) {
                    return IcmpPre::Untracked;
                }
                if ty >= 128 {
                    return IcmpPre::NotError;
                }
            }
        }
        // nf_conntrack_inet_error
        let inner = &l4[8..];
        let Some(orig) = inner_tuple(meta.family, inner) else {
            return IcmpPre::Invalid;
        };
        let Some(inv) = orig.invert() else {
            return IcmpPre::Invalid;
        };
        // In the packet's zone (nf_conntrack_inet_error: nf_ct_zone_tmpl).
        let Some((idx, dir)) = self.find(&inv, zone, now) else {
            return IcmpPre::Invalid;
        };
        let e = &self.entries[idx as usize];
        if e.tuple(dir.idx()).dst != *dst {
            return IcmpPre::Invalid;
        }
        let info = if dir == Dir::Reply {
            CtInfo::RelatedReply
        } else {
            CtInfo::Related
        };
        IcmpPre::Related(CtSlot::Entry {
            handle: self.handle_of(idx),
            info,
        })
    }
}

/// `nf_conntrack_icmp_packet` / `nf_conntrack_icmpv6_packet` for an entry
/// whose original tuple has ICMP type `ty`: a new entry only for a request
/// type (`valid_new[]`; ICMPv6 checks unconfirmed entries only).
pub(super) fn packet(family: Family, ty: u8, confirmed: bool, cfg: &Config) -> L4Verdict {
    let (ok, timeout) = match family {
        Family::Ipv4 => (matches!(ty, 8 | 13 | 15 | 17), cfg.icmp_timeout),
        Family::Ipv6 => (confirmed || matches!(ty, 128 | 139), cfg.icmpv6_timeout),
    };
    if ok {
        L4Verdict::Refresh(timeout)
    } else {
        L4Verdict::Invalid
    }
}

/// The tuple of the packet embedded in an ICMP error (`nf_ct_get_tuplepr`
/// on the inner header).
fn inner_tuple(family: Family, inner: &[u8]) -> Option<Tuple> {
    let (src, dst, p, l4off) = match family {
        Family::Ipv4 => {
            if inner.len() < 20 {
                return None;
            }
            // get_l4proto: non-first fragments and bogus lengths fail.
            if get_u16(inner, 6)? & 0x1fff != 0 {
                return None;
            }
            let off = usize::from(inner[0] & 0x0f) * 4;
            if off > inner.len() {
                return None;
            }
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s[..4].copy_from_slice(&rd_arr::<4>(inner, 12));
            d[..4].copy_from_slice(&rd_arr::<4>(inner, 16));
            (s, d, inner[9], off)
        }
        Family::Ipv6 => {
            if inner.len() < 40 {
                return None;
            }
            let s = ipv6::skip_exthdr(inner, 40, IpProtocol(inner[6]))?;
            if s.frag_off & !0x7 != 0 {
                return None;
            }
            (rd_arr(inner, 8), rd_arr(inner, 24), s.nexthdr.0, s.offset)
        }
    };
    let l4 = inner.get(l4off..)?;
    let (src_u, dst_u) = l4_tuple_part(family, p, l4)?;
    Some(Tuple {
        family,
        src,
        dst,
        proto: p,
        src_u,
        dst_u,
    })
}
