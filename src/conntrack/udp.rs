//! UDP and UDP-Lite connection tracking, following
//! `net/netfilter/nf_conntrack_proto_udp.c` (Linux 6.x: `udp_error`,
//! `udplite_error`, `nf_conntrack_udp_packet`).

use super::config::Config;
use super::tuple::{proto, Family};
use super::{csum_ok, CtStatus, L4Verdict};
use crate::time::{Duration, Instant};
use crate::wire::checksum::{combine, pseudo_header, sum};
use crate::wire::{get_u16, IpProtocol};

/// A UDP / UDP-Lite segment and what its checksum covers.
pub(super) struct Seg<'a> {
    /// The segment (`thoff..`).
    pub l4: &'a [u8],
    /// `UDP` or `UDPLITE`.
    pub proto: u8,
    /// The packet's family.
    pub family: Family,
    /// Source address bytes (`union nf_inet_addr`).
    pub src: &'a [u8; 16],
    /// Destination address bytes.
    pub dst: &'a [u8; 16],
}

/// How long after its first packet a connection that saw replies counts
/// as a stream (`nf_conntrack_udp_packet`: `ct->proto.udp.stream_ts =
/// 2 * HZ` past the first packet).
pub(super) const STREAM_AFTER: Duration = Duration::from_secs(2);

/// `udp_error` / `udplite_error`. True: INVALID. `verify`: checksums are
/// verified (PREROUTING with `nf_conntrack_checksum`).
#[inline(always)]
fn error(seg: &Seg<'_>, verify: bool) -> bool {
    let l4 = seg.l4;
    let udplen = l4.len();
    let (Some(len), Some(check)) = (get_u16(l4, 4), get_u16(l4, 6)) else {
        return true;
    };
    let len = usize::from(len);
    if seg.proto == proto::UDPLITE {
        let cscov = if len == 0 { udplen } else { len };
        if cscov < 8 || cscov > udplen {
            return true;
        }
        if check == 0 {
            return true;
        }
        if verify {
            let n = seg.family.addr_len();
            let len = u32::try_from(udplen).unwrap_or(u32::MAX);
            let acc = pseudo_header(&seg.src[..n], &seg.dst[..n], IpProtocol(seg.proto), len);
            let Some(cov) = l4.get(..cscov) else {
                return true;
            };
            return combine(&[acc, sum(cov)]) != 0xffff;
        }
        return false;
    }
    if len > udplen || len < 8 {
        return true;
    }
    if check == 0 {
        return false;
    }
    verify && !csum_ok(seg.family, seg.src, seg.dst, seg.proto, l4)
}

/// `udp_error` then `nf_conntrack_udp_packet`: the unreplied timeout
/// until a reply is seen, then the stream timeout (and ASSURED) once
/// replies go on past `stream_ts`.
#[inline(always)]
pub(super) fn packet(
    stream_ts: &mut Instant,
    status: CtStatus,
    confirmed: bool,
    seg: &Seg<'_>,
    verify: bool,
    cfg: &Config,
    now: Instant,
) -> L4Verdict {
    if error(seg, verify) {
        return L4Verdict::Invalid;
    }
    track(stream_ts, status, confirmed, cfg, now)
}

/// `udp_error` for a UDP (not UDP-Lite) segment whose pseudo-header
/// addresses are already summed (`addrs`, as `fast::csum_le` takes them:
/// little-endian words):
/// the same checks and outcome as [`error`] for it. True: INVALID.
#[inline(always)]
pub(super) fn error_udp(l4: &[u8], addrs: u64, verify: bool) -> bool {
    let udplen = l4.len();
    let (Some(len), Some(check)) = (get_u16(l4, 4), get_u16(l4, 6)) else {
        return true;
    };
    // `len > udplen || len < 8` in one comparison: `udplen` is at least
    // 8 here (the check field was read), and below 8 `len - 8` wraps
    // above any length.
    if usize::from(len).wrapping_sub(8) > udplen - 8 {
        return true;
    }
    if check == 0 {
        return false;
    }
    verify && !super::fast::csum_le::<8>(addrs, proto::UDP, l4)
}

/// `nf_conntrack_udp_packet` past `udp_error`.
#[inline(always)]
pub(super) fn track(
    stream_ts: &mut Instant,
    status: CtStatus,
    confirmed: bool,
    cfg: &Config,
    now: Instant,
) -> L4Verdict {
    if !confirmed {
        *stream_ts = now + STREAM_AFTER;
    }
    if !status.contains(CtStatus::SEEN_REPLY) {
        return L4Verdict::Refresh(cfg.udp_timeout);
    }
    if now > *stream_ts {
        let stream = !status.contains(CtStatus::ASSURED);
        if stream && !status.contains(CtStatus::NAT_CLASH) {
            return L4Verdict::RefreshAssured(cfg.udp_timeout_stream);
        }
        return L4Verdict::Refresh(cfg.udp_timeout_stream);
    }
    L4Verdict::Refresh(cfg.udp_timeout)
}

#[cfg(test)]
mod tests {
    use super::super::csum_ok;
    use super::*;
    use crate::wire::checksum::nf_checksum_ok;
    use proptest::prelude::*;

    proptest! {
        /// `csum_ok` (the hot path's checksum) agrees with
        /// `wire::checksum::nf_checksum_ok` on every family, protocol,
        /// length (all remainders mod 8) and content, and on segments
        /// whose checksum field was made to verify.
        #[test]
        fn csum_ok_is_nf_checksum_ok(
            v6 in any::<bool>(),
            p in prop_oneof![Just(1u8), Just(6), Just(17), Just(58), Just(132), Just(136), any::<u8>()],
            src in any::<[u8; 16]>(),
            dst in any::<[u8; 16]>(),
            mut l4 in proptest::collection::vec(any::<u8>(), 0..200),
            fix in any::<bool>(),
        ) {
            let family = if v6 { Family::Ipv6 } else { Family::Ipv4 };
            let n = family.addr_len();
            let (mut s, mut d) = (src, dst);
            if !v6 {
                s[4..].fill(0);
                d[4..].fill(0);
            }
            if fix && l4.len() >= 8 {
                // Make the segment verify through bytes 6..8.
                l4[6] = 0;
                l4[7] = 0;
                let acc = if family == Family::Ipv4 && p == proto::ICMP {
                    crate::wire::checksum::sum(&l4)
                } else {
                    let len = u32::try_from(l4.len()).unwrap();
                    combine(&[pseudo_header(&s[..n], &d[..n], IpProtocol(p), len), sum(&l4)])
                };
                let c = !acc;
                l4[6] = (c >> 8) as u8;
                l4[7] = c as u8;
            }
            let want = nf_checksum_ok(family, &s[..n], &d[..n], IpProtocol(p), &l4);
            prop_assert!(want || !(fix && l4.len() >= 8));
            prop_assert_eq!(csum_ok(family, &s, &d, p, &l4), want);
        }
    }
}
