//! The parts of the host's own IP stack that show in a netfilter trace:
//! what it answers to packets it receives through `lo` (where the
//! reference recorder's XFRM block does not apply, because `lo` has
//! `disable_policy=1`), and ICMP errors it sends while forwarding. The host
//! has no listening sockets: every TCP port is closed, every UDP port
//! unreachable.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[cfg(test)]
use super::route::Fib;
use super::route::RouteKind;
use super::txq::JobKind;
use super::{StackConf, StackCtx, StackIo};
use crate::conntrack::CtSlot;
use crate::model::Family;
use crate::time::Instant;
use crate::wire::reject::{
    icmp_error_v4, icmpv6_error, tcp_reset_v4, tcp_reset_v6, TcpResetChecksum,
};
use crate::wire::{icmp::IcmpType, icmpv6::Icmpv6Type, rd_u8};

/// `sysctl_ip_default_ttl` / IPv6 default hop limit.
const DEFAULT_TTL: u8 = 64;

fn push_tx(stack: &mut StackCtx, data: &[u8], slot: Option<CtSlot>) {
    stack.io.queue.push(data, JobKind::Tx, slot, 0);
}

/// The slot of an ICMP error about a packet in `slot` (`icmp_glue_bits` /
/// `nf_ct_attach`): the original's entry, RELATED in the other direction;
/// none for a packet without an entry.
pub(crate) fn attached(slot: Option<CtSlot>) -> Option<CtSlot> {
    slot.filter(|s| s.handle().is_some())
        .map(CtSlot::attach_reply)
}

impl StackIo {
    /// The ICMP error rate limit toward `to` (`icmpv4_xrlim_allow`,
    /// `icmpv6_xrlim_allow`): no limit toward our own addresses
    /// (loopback), else [`IcmpLimiter::xrlim_allow`] over the family's FIB.
    pub(crate) fn icmp_allowed(
        &mut self,
        conf: &StackConf,
        family: Family,
        now: Instant,
        to: IpAddr,
    ) -> bool {
        // `Fib::lookup` of the family's FIB through the compiled one
        // (`StackConf::route`, tested equal to it); an address of the other
        // family has no route there.
        let same_family = matches!(
            (family, to),
            (Family::Ipv4, IpAddr::V4(_)) | (Family::Ipv6, IpAddr::V6(_))
        );
        let routed = same_family && !matches!(conf.route(to), Some(RouteKind::Local) | None);
        self.icmp_limit.xrlim_allow_routed(routed, conf.hz, now, to)
    }
}

/// The stack's answer to a packet delivered through `lo`: `tcp_v4_send_reset`
/// for TCP without RST, `icmp_send` port unreachable for UDP, an echo reply
/// (`icmp_echo`) for an echo request, protocol unreachable for protocols
/// without a handler; the IPv6 twins. `limit`: the packet came through a
/// device, not `lo`, so ICMP errors pass the rate limits
/// (`icmpv4_xrlim_allow` / `icmpv6_xrlim_allow`, which exempt only
/// loopback) at that instant.
pub(crate) fn answer(
    stack: &mut StackCtx,
    family: Family,
    pkt: &[u8],
    slot: Option<CtSlot>,
    limit: Option<crate::time::Instant>,
) {
    // A TCP reset (40 or 60 bytes: the builders write only those) is built
    // in `small`; the other answers in `big`, up to the minimum MTU, zeroed
    // only for them (zeroing 1280 bytes cost more than building a reset).
    let mut small = [0u8; 64];
    let mut big;
    // icmp_glue_bits attaches ICMP errors to the original's entry; the
    // TCP reset and the echo reply are tracked on their own.
    let attached = attached(slot);
    let mut is_error = false;
    let (out, n): (&[u8], Option<usize>) = match family {
        Family::Ipv4 => {
            let ihl = (rd_u8(pkt, 0) & 0x0f) as usize * 4;
            let proto = rd_u8(pkt, 9);
            let dst = Ipv4Addr::new(
                rd_u8(pkt, 16),
                rd_u8(pkt, 17),
                rd_u8(pkt, 18),
                rd_u8(pkt, 19),
            );
            match proto {
                6 => {
                    if rd_u8(pkt, ihl + 13) & 0x04 != 0 {
                        return;
                    }
                    let out = &mut small;
                    let Ok(n) =
                        tcp_reset_v4(pkt, DEFAULT_TTL, false, TcpResetChecksum::Complete, out)
                    else {
                        return;
                    };
                    // tcp_v4_send_reset (net/ipv4/tcp_ipv4.c): the reply
                    // takes the segment's TOS without its ECN bits
                    // (`arg.tos = ip_hdr(skb)->tos & ~INET_ECN_MASK`), which
                    // ip_send_unicast_reply writes into the header; REJECT's
                    // nf_reject_iphdr_put writes 0 instead. Recorded: trace
                    // stack-rst-tos-lo.
                    out[1] = rd_u8(pkt, 1) & !0x03;
                    out[10] = 0;
                    out[11] = 0;
                    let c = crate::wire::checksum::ipv4_header(&out[..20]);
                    out[10..12].copy_from_slice(&c.to_be_bytes());
                    (&small[..], Some(n))
                }
                1 => {
                    if rd_u8(pkt, ihl) != 8 {
                        return;
                    }
                    big = [0u8; 1280];
                    let n = echo_reply_v4(pkt, ihl, &mut big);
                    (&big[..], n)
                }
                255 => return,
                _ => {
                    // Port unreachable for UDP, protocol unreachable for
                    // the others.
                    is_error = true;
                    let code = if proto == 17 { 3 } else { 2 };
                    big = [0u8; 1280];
                    let n = icmp_error_v4(
                        pkt,
                        IcmpType::DEST_UNREACH,
                        code,
                        0,
                        dst,
                        DEFAULT_TTL,
                        0,
                        &mut big,
                    )
                    .ok();
                    (&big[..], n)
                }
            }
        }
        Family::Ipv6 => {
            let meta = crate::wire::meta::PacketMeta::parse(pkt).ok();
            let Some(meta) = meta else { return };
            let mut d = [0u8; 16];
            if let Some(s) = pkt.get(24..40) {
                d.copy_from_slice(s);
            }
            let dst = Ipv6Addr::from(d);
            match meta.protocol.0 {
                6 => {
                    if rd_u8(pkt, meta.thoff + 13) & 0x04 != 0 {
                        return;
                    }
                    let n = tcp_reset_v6(pkt, DEFAULT_TTL, false, &mut small).ok();
                    (&small[..], n)
                }
                17 => {
                    is_error = true;
                    big = [0u8; 1280];
                    let n = icmpv6_error(
                        pkt,
                        Icmpv6Type::DEST_UNREACH,
                        4,
                        0,
                        &dst,
                        DEFAULT_TTL,
                        &mut big,
                    )
                    .ok();
                    (&big[..], n)
                }
                58 => {
                    if rd_u8(pkt, meta.thoff) != 128 {
                        return;
                    }
                    big = [0u8; 1280];
                    let n = echo_reply_v6(pkt, meta.thoff, &mut big);
                    (&big[..], n)
                }
                _ => return,
            }
        }
    };
    if let Some(n) = n {
        if let (true, Some(now)) = (is_error, limit) {
            let to = source_of(family, pkt);
            if !stack.io.icmp_allowed(&stack.conf, family, now, to) {
                return;
            }
        }
        push_tx(stack, &out[..n], if is_error { attached } else { None });
    }
}

fn echo_reply_v4(pkt: &[u8], ihl: usize, out: &mut [u8]) -> Option<usize> {
    let n = pkt.len();
    if n > out.len() || n < ihl + 8 {
        return None;
    }
    out[..n].copy_from_slice(pkt);
    out[..20].copy_from_slice(&pkt[..20]);
    // icmp_reply: a fresh header without options, TTL 64, swapped addresses.
    let body = &pkt[ihl..];
    let total = 20 + body.len();
    out[0] = 0x45;
    out[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    out[4..6].copy_from_slice(&[0, 0]);
    out[6..8].copy_from_slice(&[0, 0]);
    out[8] = DEFAULT_TTL;
    out[12..16].copy_from_slice(&pkt[16..20]);
    out[16..20].copy_from_slice(&pkt[12..16]);
    out[20..total].copy_from_slice(body);
    out[20] = 0;
    out[22..24].copy_from_slice(&[0, 0]);
    let c = crate::wire::checksum::icmpv4(&out[20..total]);
    out[22..24].copy_from_slice(&c.to_be_bytes());
    if let Ok(mut p) = crate::wire::ipv4::Packet::new_checked(&mut out[..total]) {
        p.fill_checksum();
    }
    Some(total)
}

fn echo_reply_v6(pkt: &[u8], thoff: usize, out: &mut [u8]) -> Option<usize> {
    let body = pkt.get(thoff..)?;
    let total = 40 + body.len();
    if total > out.len() {
        return None;
    }
    out[..40].copy_from_slice(pkt.get(..40)?);
    out[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
    out[4..6].copy_from_slice(&(body.len() as u16).to_be_bytes());
    out[6] = 58;
    out[7] = DEFAULT_TTL;
    out[8..24].copy_from_slice(&pkt[24..40]);
    out[24..40].copy_from_slice(&pkt[8..24]);
    out[40..total].copy_from_slice(body);
    out[40] = 129;
    out[42..44].copy_from_slice(&[0, 0]);
    let mut s = [0u8; 16];
    let mut d = [0u8; 16];
    s.copy_from_slice(&out[8..24]);
    d.copy_from_slice(&out[24..40]);
    let c = crate::wire::checksum::transport_v6(
        &Ipv6Addr::from(s),
        &Ipv6Addr::from(d),
        crate::wire::IpProtocol::ICMPV6,
        &out[40..total],
    );
    out[42..44].copy_from_slice(&c.to_be_bytes());
    Some(total)
}

/// The original's source address.
fn source_of(family: Family, pkt: &[u8]) -> IpAddr {
    super::route::packet_addrs(family, pkt).0
}

/// `icmp_send` / `icmpv6_send` for an error about a packet the host is
/// routing (not one addressed to it): sourced from the address of the
/// device the route back uses, attached to the original's conntrack entry
/// (`icmp_glue_bits` -> `nf_ct_attach`), rate limited per destination.
fn icmp_error(
    stack: &mut StackCtx,
    family: Family,
    pkt: &[u8],
    v4: (IcmpType, u8),
    v6: (Icmpv6Type, u8),
    slot: Option<CtSlot>,
    now: crate::time::Instant,
) {
    let attached = attached(slot);
    let src = source_of(family, pkt);
    let fib = stack.conf.fib(family);
    let Some(super::route::RouteKind::Unicast { dev, .. }) = fib.lookup(src) else {
        return;
    };
    let mut out = [0u8; 1280];
    let built = match (family, fib.source_on(dev, family == Family::Ipv6)) {
        (Family::Ipv4, Some(IpAddr::V4(me))) => {
            icmp_error_v4(pkt, v4.0, v4.1, 0, me, DEFAULT_TTL, 0, &mut out)
        }
        (Family::Ipv6, Some(IpAddr::V6(me))) => {
            icmpv6_error(pkt, v6.0, v6.1, 0, &me, DEFAULT_TTL, &mut out)
        }
        _ => return,
    };
    if let Ok(n) = built {
        if stack.io.icmp_allowed(&stack.conf, family, now, src) {
            push_tx(stack, &out[..n], attached);
        }
    }
}

/// `icmp_send(ICMP_TIME_EXCEEDED)` / `icmpv6_send(ICMPV6_TIME_EXCEED)` from
/// the forwarding path (`ip_forward`, `ip6_forward`).
pub(crate) fn time_exceeded(
    stack: &mut StackCtx,
    family: Family,
    pkt: &[u8],
    slot: Option<CtSlot>,
    now: crate::time::Instant,
) {
    icmp_error(
        stack,
        family,
        pkt,
        (IcmpType::TIME_EXCEEDED, 0),
        (Icmpv6Type::TIME_EXCEED, 0),
        slot,
        now,
    );
}

/// ICMP "destination unreachable, no route" for a received packet whose
/// destination has no route: IPv4 `ip_route_input_slow` `no_route` ->
/// `ip_error` (net/ipv4/route.c: only when the input device forwards,
/// `ICMP_NET_UNREACH` for `-ENETUNREACH`, after its own per-source limit,
/// [`IcmpLimiter::rt_error_allow`]); IPv6 `ip6_pkt_discard` ->
/// `ip6_pkt_drop` (net/ipv6/route.c: `ICMPV6_NOROUTE`, forwarding or
/// not). Sourced like [`time_exceeded`]: from the device of the route back.
pub(crate) fn no_route(
    stack: &mut StackCtx,
    family: Family,
    pkt: &[u8],
    slot: Option<CtSlot>,
    now: crate::time::Instant,
) {
    if family == Family::Ipv4 {
        let hz = u64::from(stack.conf.hz.max(1));
        let jiffies = now.as_nanos() / (1_000_000_000 / hz);
        if !stack
            .io
            .icmp_limit
            .rt_error_allow(source_of(family, pkt), jiffies, hz)
        {
            return;
        }
    }
    icmp_error(
        stack,
        family,
        pkt,
        (IcmpType::DEST_UNREACH, 0),
        (Icmpv6Type::DEST_UNREACH, 0),
        slot,
        now,
    );
}

/// The kernel's ICMP error rate limits for one host: per destination
/// (`inet_peer_xrlim_allow`, a token bucket in jiffies with a burst of
/// `XRLIM_BURST_FACTOR` = 6 periods) for the types in the rate mask.
/// Loopback destinations are not limited (`icmpv4_xrlim_allow`).
/// Each entry is one `struct inet_peer` (include/net/inetpeer.h):
/// `rate_tokens`, `rate_last` and `n_redirects`. `rate_last` is shared
/// with `ip_rt_send_redirect` (net/ipv4/route.c), which sets it to the
/// time of each redirect and clears `rate_tokens` after a silence: an ICMP
/// error to a host that was just sent a redirect finds an empty bucket.
/// Sized once (1024 peers, the oldest forgotten first).
///
/// ```
/// use nfsim::host::stack::IcmpLimiter;
/// let mut l = IcmpLimiter::default();
/// let dst = "192.0.2.9".parse().unwrap();
/// // A burst of six, then one per period.
/// assert_eq!((0..7).filter(|_| l.allow(dst, 100_000, 250)).count(), 6);
/// ```
#[derive(Debug, Clone)]
pub struct IcmpLimiter {
    peers: Vec<(std::net::IpAddr, u64, u64, u32)>,
    /// `net.ipv4.icmp_ratelimit` in ms (default 1000).
    pub(crate) v4_ms: u32,
    /// `net.ipv6.icmp.ratelimit` in ms (default 100 since 6.18-stable).
    pub(crate) v6_ms: u32,
}

impl Default for IcmpLimiter {
    fn default() -> Self {
        IcmpLimiter {
            peers: Vec::with_capacity(1024),
            v4_ms: 1000,
            v6_ms: 100,
        }
    }
}

impl IcmpLimiter {
    /// The ICMP error rate limit toward `to` (`icmpv4_xrlim_allow` with
    /// `net.ipv4.icmp_ratelimit`, default 1000 ms; `icmpv6_xrlim_allow` with
    /// `net.ipv6.icmp.ratelimit`): no limit toward our own addresses
    /// (`fib` says which are local) or where there is no route.
    /// (The host decides `routed` through its compiled FIBs,
    /// [`StackIo::icmp_allowed`]; this spelling is the tests'.)
    #[cfg(test)]
    pub(crate) fn xrlim_allow(&mut self, fib: &Fib, hz: u32, now: Instant, to: IpAddr) -> bool {
        let routed = !matches!(fib.lookup(to), Some(RouteKind::Local) | None);
        self.xrlim_allow_routed(routed, hz, now, to)
    }

    /// [`IcmpLimiter::xrlim_allow`] with the routing decision made: `routed`
    /// is false for our own addresses and where there is no route.
    pub(crate) fn xrlim_allow_routed(
        &mut self,
        routed: bool,
        hz: u32,
        now: Instant,
        to: IpAddr,
    ) -> bool {
        let jiffies = now.as_nanos() / (1_000_000_000 / u64::from(hz.max(1)));
        // The sysctls are read with proc_dointvec_ms_jiffies: msecs_to_jiffies
        // rounds up. IPv6: `icmpv6_xrlim_allow` (net/ipv6/icmp.c) as of
        // 6.18-stable (upstream 0201eedb69b2 "ipv6: icmp: remove the tmo
        // adjustment"): the per-host period is `net.ipv6.icmp.ratelimit`, whose
        // default became 100 ms (HZ / 10), with no scaling by the route's prefix
        // length. Checked on 6.18.44: 8 errors in a burst then one per 25
        // jiffies at HZ=250 (tests/traces/ipv6-router-hairpin-limits).
        let hz64 = u64::from(hz.max(1));
        let ms_to_jiffies = |ms: u32| (u64::from(ms) * hz64).div_ceil(1000);
        let period = match to {
            IpAddr::V4(_) => ms_to_jiffies(self.v4_ms),
            IpAddr::V6(_) => ms_to_jiffies(self.v6_ms).max(1),
        };
        if !routed {
            return true;
        }
        self.allow(to, jiffies, period)
    }

    /// The inet_peer of `dst`, created as `inet_getpeer` does:
    /// rate_tokens = 0, rate_last = jiffies - 60*HZ (here far in the
    /// past, so the first refill reaches the cap), n_redirects = 0.
    fn peer(&mut self, dst: std::net::IpAddr, now_jiffies: u64) -> usize {
        match self.peers.iter().position(|p| p.0 == dst) {
            Some(i) => i,
            None => {
                if self.peers.len() >= 1024 {
                    self.peers.remove(0);
                }
                self.peers
                    .push((dst, 0, now_jiffies.wrapping_sub(1 << 40), 0));
                self.peers.len() - 1
            }
        }
    }

    /// Whether an ICMP error to `dst` may be sent now (`inet_peer_xrlim_allow`:
    /// a burst of `XRLIM_BURST_FACTOR` = 6 periods); `period` is the limit's
    /// period in jiffies.
    ///
    /// ```
    /// use nfsim::host::stack::IcmpLimiter;
    /// let mut l = IcmpLimiter::default();
    /// let dst = "192.0.2.9".parse().unwrap();
    /// assert!(l.allow(dst, 100_000, 250));
    /// ```
    pub fn allow(&mut self, dst: std::net::IpAddr, now_jiffies: u64, period: u64) -> bool {
        self.take(dst, now_jiffies, 6 * period, period)
    }

    /// `ip_error`'s own limit (net/ipv4/route.c) on the same inet_peer
    /// tokens: refill up to `ip_rt_error_burst` (5 * HZ), take
    /// `ip_rt_error_cost` (HZ). The ICMP error it then sends goes through
    /// [`allow`](Self::allow) too, so both take from one bucket.
    ///
    /// ```
    /// use nfsim::host::stack::IcmpLimiter;
    /// let mut l = IcmpLimiter::default();
    /// assert!(l.rt_error_allow("192.0.2.9".parse().unwrap(), 100_000, 250));
    /// ```
    pub fn rt_error_allow(&mut self, dst: std::net::IpAddr, now_jiffies: u64, hz: u64) -> bool {
        self.take(dst, now_jiffies, 5 * hz, hz)
    }

    fn take(&mut self, dst: std::net::IpAddr, now_jiffies: u64, cap: u64, period: u64) -> bool {
        let idx = self.peer(dst, now_jiffies);
        let (_, tokens, last, _) = &mut self.peers[idx];
        let mut token = tokens.saturating_add(now_jiffies.wrapping_sub(*last).min(1 << 40));
        *last = now_jiffies;
        if token > cap {
            token = cap;
        }
        let ok = token >= period;
        if ok {
            token -= period;
        }
        *tokens = token;
        ok
    }
}

/// `ip_rt_send_redirect`: at most `ip_rt_redirect_number` (9) redirects,
/// spaced by `ip_rt_redirect_load << n` jiffies (HZ/50), the count reset
/// after `ip_rt_redirect_silence` ((HZ/50) << 10) without redirects.
pub(crate) fn redirect(
    stack: &mut StackCtx,
    pkt: &[u8],
    to: IpAddr,
    gw: Ipv4Addr,
    dev: usize,
    slot: Option<CtSlot>,
    now: crate::time::Instant,
) {
    let hz = u64::from(stack.conf.hz.max(1));
    let jiffies = now.as_nanos() / (1_000_000_000 / hz);
    let load = hz / 50;
    let silence = load << 10;
    // The same inet_peer as the ICMP error limit (inet_getpeer_v4 on
    // net->ipv4.peers in both): rate_last is shared.
    let lim = &mut stack.io.icmp_limit;
    let i = lim.peer(to, jiffies);
    let (_, tokens, rate_last, n) = &mut lim.peers[i];
    if jiffies > rate_last.wrapping_add(silence) && jiffies.wrapping_sub(*rate_last) < (1 << 41) {
        *tokens = 0;
        *n = 0;
    }
    if *n >= 9 {
        *rate_last = jiffies;
        return;
    }
    if *n != 0 && jiffies <= rate_last.wrapping_add(load << *n) {
        return;
    }
    *rate_last = jiffies;
    *n += 1;
    let IpAddr::V4(_) = to else { return };
    // The gateway is the next hop: the destination itself when on-link.
    let gw = if gw.is_unspecified() {
        Ipv4Addr::new(
            rd_u8(pkt, 16),
            rd_u8(pkt, 17),
            rd_u8(pkt, 18),
            rd_u8(pkt, 19),
        )
    } else {
        gw
    };
    let Some(IpAddr::V4(me)) = stack.conf.fib4.source_on(dev, false) else {
        return;
    };
    let attached = attached(slot);
    let mut out = [0u8; 1280];
    if let Ok(n) = icmp_error_v4(
        pkt,
        IcmpType(5),
        1,
        u32::from(gw),
        me,
        DEFAULT_TTL,
        0,
        &mut out,
    ) {
        push_tx(stack, &out[..n], attached);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Host, HostConfig, InterfaceConfig};
    use crate::model::Ruleset;

    fn host(sysctls: &[(&str, i64)]) -> Result<Host, crate::host::HostError> {
        let cfg = HostConfig {
            interfaces: vec![InterfaceConfig {
                name: "docker0".into(),
                mac: [2, 0x42, 0xac, 0x11, 0, 1],
                addrs: vec!["172.17.0.1/16".parse().unwrap()],
                peer_mac: [2, 0x42, 0xac, 0x11, 0, 2],
            }],
            sysctls: sysctls.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            hz: 1000,
            ..HostConfig::default()
        };
        Host::new(
            &cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
    }

    #[test]
    fn fresh_peer_has_a_burst_of_six() {
        let mut l = IcmpLimiter::default();
        let to: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..6 {
            assert!(l.allow(to, 5000, 1000));
        }
        assert!(!l.allow(to, 5000, 1000));
        assert!(l.allow(to, 6000, 1000));
    }

    #[test]
    fn redirect_empties_the_error_bucket_of_its_peer() {
        let mut h = host(&[("net.ipv4.ip_forward", 1)]).unwrap();
        // 172.17.0.3 -> 172.17.0.2, TCP, 20-byte header.
        let pkt = crate::wire::PacketBuilder::ipv4([172, 17, 0, 3].into(), [172, 17, 0, 2].into())
            .ident(1)
            .tcp(40000, 80)
            .build();
        let to: IpAddr = "172.17.0.3".parse().unwrap();
        let now = crate::time::Instant::from_nanos(10_000_000_000);
        redirect(&mut h.stack, &pkt, to, Ipv4Addr::UNSPECIFIED, 1, None, now);
        // ip_rt_send_redirect set rate_last = now on the shared inet_peer:
        // no tokens for an ICMP error 10 ms later, one after a second.
        assert!(!h.stack.io.icmp_limit.allow(to, 10_010, 1000));
        assert!(h.stack.io.icmp_limit.allow(to, 11_100, 1000));
        // Another peer is untouched.
        assert!(h
            .stack
            .io
            .icmp_limit
            .allow("172.17.0.4".parse().unwrap(), 10_010, 1000));
    }

    #[test]
    fn route_localnet_sysctl() {
        assert!(host(&[("net.ipv4.conf.docker0.route_localnet", 1)]).is_ok());
        assert!(host(&[("net.ipv4.conf.all.route_localnet", 1)]).is_ok());
        let h = host(&[("net.ipv4.conf.all.route_localnet", 1)]).unwrap();
        assert!(h.stack.conf.route_localnet.iter().all(|b| *b));
        assert!(host(&[("net.ipv4.conf.eth9.route_localnet", 1)]).is_err());
        assert!(host(&[("net.ipv4.conf.default.route_localnet", 1)]).is_err());
    }

    /// ip_error's limit and icmp_send's share one inet_peer bucket: from a
    /// fresh peer (tokens capped at 5 * HZ) two "no route" errors go out,
    /// then none until the bucket holds 2 * HZ again.
    #[test]
    fn rt_error_and_icmp_share_the_peer_bucket() {
        let hz = 250;
        let mut l = IcmpLimiter::default();
        let a: IpAddr = "10.1.0.5".parse().unwrap();
        let mut sent = 0;
        for j in [1000u64, 1001, 1002, 1003] {
            if l.rt_error_allow(a, j, hz) && l.allow(a, j, hz) {
                sent += 1;
            }
        }
        assert_eq!(sent, 2);
        // 1.1 s later: ip_error passes (1.1 * HZ), the ICMP limit does not.
        assert!(l.rt_error_allow(a, 1003 + 275, hz));
        assert!(!l.allow(a, 1003 + 275, hz));
        // IPv6 (6.18-stable): period HZ / 10 whatever the route's prefix:
        // 8 errors 35 ms apart, the 9th refused, the 10th allowed.
        let mut fib = super::super::route::Fib::default();
        fib.routes.push(super::super::route::Route {
            dst: "2001:db8:a::/64".parse().unwrap(),
            via: None,
            dev: 1,
        });
        let v6: IpAddr = "2001:db8:a::5".parse().unwrap();
        let mut lim = IcmpLimiter::default();
        let got: Vec<bool> = (0..10u64)
            .map(|i| {
                let now = crate::time::Instant::from_millis(1000 + 35 * i);
                lim.xrlim_allow(&fib, 250, now, v6)
            })
            .collect();
        assert_eq!(
            got,
            [true, true, true, true, true, true, true, true, false, true]
        );
        // Another source has its own bucket.
        let b: IpAddr = "10.1.0.6".parse().unwrap();
        assert!(l.rt_error_allow(b, 1004, hz) && l.allow(b, 1004, hz));
    }
}
