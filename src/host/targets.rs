//! Extension targets as the host runs them (the [`Env`] implementation):
//! targets change the packet, its conntrack entry or the host's output.
//! Each follows the kernel function named in its comment.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::conntrack::{
    ConntrackTable, CtSlot, CtTemplate, CtVerdict, HelperKind, ManipType, NatRange as CtRange,
    NatRangeFlags,
};
use crate::engine::{CtRef, Env, PacketCtx, Verdict};
use crate::model::targets::connmark::{Connmark, ConnmarkMode, ShiftDir};
use crate::model::targets::ct::CtFlags;
use crate::model::targets::nat::NatRange;
use crate::model::targets::reject::RejectWith;
use crate::model::targets::ttl::HlMode;
use crate::model::{Family, Hook, TableKind, Target};
use crate::time::Instant;
use crate::wire::reject::{
    icmp_unreach_v4_opts, icmpv6_unreach, tcp_reset_v4, tcp_reset_v6, TcpResetChecksum,
};

use super::route::{Fib, RouteKind};
use super::txq::JobKind;
use super::{Outcome, StackConf, StackIo};

/// Whether the host can run this target.
pub fn target_supported(t: &Target) -> bool {
    t.caps().evaluable
}

/// What matches and targets may read and touch while a table is walked:
/// the host around netfilter, the conntrack table (read by matches through
/// [`Env::ct`], changed by targets here only), the stateful match tables,
/// the packet's conntrack slot and the outcome; and where the walk is.
pub(crate) struct HostEnv<'a> {
    pub(crate) conf: &'a StackConf,
    pub(crate) io: &'a mut StackIo,
    pub(crate) ct: &'a mut ConntrackTable,
    pub(crate) shared: &'a mut crate::engine::shared::SharedTables,
    pub(crate) slot: &'a mut Option<CtSlot>,
    pub(crate) out: &'a mut Outcome,
    pub(crate) now: Instant,
    pub(crate) hook: Hook,
    pub(crate) family: Family,
    pub(crate) in_dev_idx: usize,
    pub(crate) received: bool,
    /// br_netfilter's information on a frame from a bridge port.
    pub(crate) br: Option<super::path::bridge::BrInfo>,
}

fn to_ct_range(r: &NatRange) -> CtRange {
    CtRange {
        flags: NatRangeFlags::from_bits_truncate(r.flags.bits()),
        min_addr: r.min_addr,
        max_addr: r.max_addr,
        min_proto: r.min_port,
        max_proto: r.max_port,
        base_proto: r.base_port,
    }
}

fn dst_of(family: Family, data: &[u8]) -> Option<IpAddr> {
    super::route::addr_of(family, data, true)
}

fn src_of(family: Family, data: &[u8]) -> Option<IpAddr> {
    super::route::addr_of(family, data, false)
}

impl HostEnv<'_> {
    /// The FIB of the walk's family.
    #[inline]
    fn fib(&self) -> &Fib {
        self.conf.fib(self.family)
    }

    fn push_generated(&mut self, data: &[u8], slot: Option<CtSlot>) {
        self.io.queue.push(data, JobKind::Tx, slot, 0);
    }

    /// `nf_nat_setup_info` with a range computed by a target.
    fn setup(&mut self, range: &CtRange) -> Option<Verdict> {
        let Some(h) = self.slot.and_then(|s| s.handle()) else {
            return Some(Verdict::Drop);
        };
        match self.ct.setup_nat(
            h,
            ManipType::of_hook(self.hook),
            range,
            &mut self.io.rng,
            self.now,
        ) {
            CtVerdict::Accept => Some(Verdict::Accept),
            CtVerdict::Drop => Some(Verdict::Drop),
        }
    }

    /// `inet_select_addr(dev, nexthop, RT_SCOPE_UNIVERSE)`: an address of the
    /// device in the next hop's subnet, else its first address.
    fn select_addr(&self, dev: usize, near: Option<IpAddr>) -> Option<IpAddr> {
        let v6 = self.family == Family::Ipv6;
        if let Some(n) = near {
            if let Some((net, _)) = self
                .fib()
                .connected
                .iter()
                .find(|(net, d)| *d == dev && net.contains(&n))
            {
                if let Some((a, _)) = self
                    .fib()
                    .local
                    .iter()
                    .find(|(a, d)| *d == dev && net.contains(a))
                {
                    return Some(*a);
                }
            }
        }
        self.fib().source_on(dev, v6)
    }

    /// The ICMP error rate limit toward `to` (`icmpv4_xrlim_allow`,
    /// `icmpv6_xrlim_allow`): no limit toward our own addresses (loopback).
    fn icmp_allowed(&mut self, to: IpAddr) -> bool {
        self.io.icmp_allowed(self.conf, self.family, self.now, to)
    }

    /// The source of an ICMP error about a packet from `orig_src` to `dst`
    /// (`__icmp_send` / `icmp6_send`): the original destination when it was
    /// ours, else the address the route back prefers (an address of ours
    /// when the route back is local).
    fn icmp_source(&self, dst: IpAddr, orig_src: IpAddr) -> Option<IpAddr> {
        if self.fib().is_local(dst) {
            return Some(dst);
        }
        // icmp6_send (net/ipv6/icmp.c): without a route prefsrc, "select a
        // more meaningful saddr from input if": ipv6_dev_get_saddr on the
        // arrival device, whose addresses win (rule 5, prefer the outgoing
        // interface) among those of the destination's scope, the longest
        // prefix shared with it first (rule 8). Recorded: generated trace
        // gen-00322 (in on eth1, the error out of eth0 with eth1's address).
        if let (IpAddr::V6(to), true) = (orig_src, self.received && self.in_dev_idx != 0) {
            let link_local = |a: &std::net::Ipv6Addr| a.segments()[0] & 0xffc0 == 0xfe80;
            let common = |a: &std::net::Ipv6Addr| (u128::from(*a) ^ u128::from(to)).leading_zeros();
            let best = self
                .fib()
                .local
                .iter()
                .filter(|(_, d)| *d == self.in_dev_idx)
                .filter_map(|(a, _)| match a {
                    IpAddr::V6(a) if link_local(a) == link_local(&to) => Some(*a),
                    _ => None,
                })
                .max_by_key(|a| common(a));
            if let Some(a) = best {
                return Some(IpAddr::V6(a));
            }
        }
        match self.fib().lookup(orig_src) {
            Some(RouteKind::Unicast { dev, via }) => self.select_addr(dev, via),
            Some(RouteKind::Local) => Some(orig_src),
            _ => None,
        }
    }

    /// `nf_ct_set_closing(skb_nfct(oldskb))` in `nf_send_reset` /
    /// `nf_send_reset6` (net/ipv4/netfilter/nf_reject_ipv4.c,
    /// net/ipv6/netfilter/nf_reject_ipv6.c): once the reset is built, the
    /// original's TCP entry goes to CLOSE.
    fn set_closing(&mut self) {
        if let Some(h) = self.slot.and_then(|s| s.handle()) {
            self.ct.set_closing(h, self.now);
        }
    }

    /// `reject_tg` / `reject_tg6`: send the reply, drop the packet.
    fn reject(&mut self, with: RejectWith, pkt: &PacketCtx<'_>) -> Verdict {
        let mut out = [0u8; 1280];
        let data: &[u8] = pkt.data;
        // nf_ct_attach (nf_send_reset, and icmp_glue_bits for ICMP errors):
        // the reply shares the original's entry; without one it is tracked
        // on its own at OUTPUT.
        let attached = super::stack::attached(*self.slot);
        let n = match (self.family, with) {
            // nf_send_reset: no reset when the original's route is
            // RTCF_BROADCAST | RTCF_MULTICAST (checked on Linux 6.18).
            (Family::Ipv4, RejectWith::TcpReset)
                if dst_of(Family::Ipv4, data).is_some_and(|d| {
                    self.fib().is_broadcast(d) || matches!(d, IpAddr::V4(a) if a.is_multicast())
                }) =>
            {
                None
            }
            (Family::Ipv4, RejectWith::TcpReset) => {
                // nf_send_reset: attached to the original's conntrack entry.
                match tcp_reset_v4(
                    data,
                    64,
                    // nf_reject_ip_tcphdr_get -> nf_ip_checksum: a
                    // received or raw-socket skb is CHECKSUM_NONE, verified
                    // in every hook (FORWARD included: a first fragment
                    // gets no reset, checked on Linux 6.18). The only TCP
                    // nfsim generates itself (CHECKSUM_PARTIAL) are RSTs,
                    // which get no reset anyway.
                    true,
                    TcpResetChecksum::Partial,
                    &mut out,
                ) {
                    Ok(n) => {
                        self.set_closing();
                        Some((n, attached))
                    }
                    Err(_) => None,
                }
            }
            (Family::Ipv6, RejectWith::TcpReset) => match tcp_reset_v6(data, 64, true, &mut out) {
                Ok(n) => {
                    self.set_closing();
                    Some((n, attached))
                }
                Err(_) => None,
            },
            (family, w) => {
                let code = match (family, w) {
                    (Family::Ipv4, RejectWith::IcmpNetUnreachable) => 0,
                    (Family::Ipv4, RejectWith::IcmpHostUnreachable) => 1,
                    (Family::Ipv4, RejectWith::IcmpProtoUnreachable) => 2,
                    (Family::Ipv4, RejectWith::IcmpPortUnreachable) => 3,
                    (Family::Ipv4, RejectWith::IcmpNetProhibited) => 9,
                    (Family::Ipv4, RejectWith::IcmpHostProhibited) => 10,
                    (Family::Ipv4, RejectWith::IcmpAdminProhibited) => 13,
                    (Family::Ipv6, RejectWith::Icmp6NoRoute) => 0,
                    (Family::Ipv6, RejectWith::Icmp6AdmProhibited) => 1,
                    (Family::Ipv6, RejectWith::Icmp6AddrUnreachable) => 3,
                    (Family::Ipv6, RejectWith::Icmp6PortUnreachable) => 4,
                    (Family::Ipv6, RejectWith::Icmp6PolicyFail) => 5,
                    (Family::Ipv6, RejectWith::Icmp6RejectRoute) => 6,
                    _ => return Verdict::Drop,
                };
                let (Some(dst), Some(to)) = (dst_of(family, data), src_of(family, data)) else {
                    return Verdict::Drop;
                };
                let Some(src) = self.icmp_source(dst, to) else {
                    return Verdict::Drop;
                };
                // __icmp_send: no error about a broadcast or multicast packet
                // (icmpv6_send leaves that to the builder); then the rate limit.
                if self.fib().is_broadcast(dst) || matches!(dst, IpAddr::V4(d) if d.is_multicast())
                {
                    return Verdict::Drop;
                }
                // icmp6_send (net/ipv6/icmp.c): a link-local original source
                // needs a scope: the lookup is bound to the arrival device
                // (fl6.flowi6_oif = icmp6_iif, strict for link-local:
                // rt6_need_strict); with no route there ip6_dst_lookup
                // fails and nothing is sent (checked on Linux 6.18: the
                // default route via another device is not used).
                if let IpAddr::V6(t) = to {
                    if self.received
                        && t.segments()[0] & 0xffc0 == 0xfe80
                        && !self
                            .fib()
                            .routes
                            .iter()
                            .any(|r| r.dev == self.in_dev_idx && r.dst.contains(&to))
                    {
                        return Verdict::Drop;
                    }
                }
                let built = match (src, family) {
                    (IpAddr::V4(s4), Family::Ipv4) => {
                        // REJECT in OUTPUT: no compiled options to echo.
                        icmp_unreach_v4_opts(
                            data,
                            code,
                            s4,
                            64,
                            0,
                            true,
                            self.hook == Hook::LocalOut,
                            &mut out,
                        )
                    }
                    (IpAddr::V6(s6), Family::Ipv6) => {
                        icmpv6_unreach(data, code, &s6, 64, true, &mut out)
                    }
                    _ => return Verdict::Drop,
                };
                match built {
                    Ok(n) if self.icmp_allowed(to) => Some((n, attached)),
                    _ => None,
                }
            }
        };
        // nf_send_reset / nf_send_reset6 (CONFIG_BRIDGE_NETFILTER): a reset
        // for a packet with nf_bridge information is given the original
        // frame's MACs and sent straight out of the port it came in on
        // (dev_queue_xmit: no OUTPUT, no POSTROUTING; trace bridge-reject).
        let physin = self.br.filter(|b| b.nf).map(|b| b.physin);
        if let (Some((n, _)), RejectWith::TcpReset, Some(port)) = (n, with, physin) {
            self.out.push_emitted(port, &out[..n]);
            return Verdict::Drop;
        }
        if let Some((n, slot)) = n {
            self.push_generated(&out[..n], slot);
            // nf_reject_ip_tcphdr_put (net/ipv4/netfilter/nf_reject_ipv4.c)
            // leaves the IPv4 reset CHECKSUM_PARTIAL; the IPv6 one is
            // summed in full (nf_reject_ip6_tcphdr_put).
            if (self.family, with) == (Family::Ipv4, RejectWith::TcpReset) {
                if let Some(j) = self.io.queue.back_mut() {
                    j.csum_partial = true;
                }
            }
        }
        Verdict::Drop
    }
}

/// The bridge ports of `skb->nf_bridge` by name (`""`: none), `None`
/// without it.
fn phys_names(conf: &StackConf, br: Option<super::path::bridge::BrInfo>) -> Option<(&str, &str)> {
    let b = br.filter(|b| b.nf)?;
    let name = |d: usize| {
        if d == 0 {
            ""
        } else {
            conf.devs[d].name.as_str()
        }
    };
    Some((name(b.physin), name(b.physout)))
}

impl Env for HostEnv<'_> {
    /// `nf_bridge_get_physindev` / `nf_bridge_get_physoutdev`.
    fn physdev(&self) -> Option<(&str, &str)> {
        phys_names(self.conf, self.br)
    }
    /// IPv4: `__inet_dev_addr_type` (net/ipv4/fib_frontend.c): 0.0.0.0 and
    /// 255.255.255.255 are BROADCAST (`ipv4_is_zeronet` is `addr == 0` in
    /// current kernels: 0.1.2.3 is UNICAST on Linux 6.18, checked in a
    /// netns), 224.0.0.0/4 MULTICAST; otherwise the
    /// local table decides (LOCAL for the host's addresses and 127.0.0.0/8,
    /// BROADCAST for the directed broadcast of each connected subnet shorter
    /// than /31 and 127.255.255.255), and only if its route's device is
    /// `dev` when one is given; anything else is UNICAST. Linux 6.18's local
    /// table (checked with `ip route show table local` in a netns) has no
    /// route for a subnet's network address.
    ///
    /// IPv6: the bits of `match_lookup_rt6` (net/netfilter/xt_addrtype.c):
    /// LOCAL, ANYCAST, UNREACHABLE, see [`match_lookup_rt6`].
    fn addr_type(&self, family: Family, addr: &[u8], dev: Option<&str>) -> u16 {
        host_addr_type(self.fib(), &self.conf.devs, family, addr, dev)
    }

    /// IPv4: [`Fib::lookup`] (local, broadcast, longest prefix); a local
    /// route's next hop is the device holding the address (`lo` for
    /// 127.0.0.0/8). IPv6: a joined anycast address answers RTN_ANYCAST (4);
    /// a link-local address only routes through a route of `dev`
    /// (`RT6_LOOKUP_F_IFACE`); otherwise [`Fib::lookup`].
    fn route_to(&self, family: Family, addr: &[u8], dev: &str) -> Option<(u16, bool)> {
        use super::route::RouteKind;
        let di = self.conf.devs.iter().position(|x| x.name == dev);
        if family == Family::Ipv6 {
            let a: [u8; 16] = addr.get(..16)?.try_into().ok()?;
            let ip = IpAddr::V6(Ipv6Addr::from(a));
            if self.fib().anycast.contains(&ip) {
                return Some((4, false));
            }
            if a[0] == 0xfe && a[1] & 0xc0 == 0x80 {
                let on_dev = self
                    .fib()
                    .routes
                    .iter()
                    .any(|r| Some(r.dev) == di && r.dst.contains(&ip));
                return on_dev.then_some((1, true));
            }
            return match self.fib().lookup(ip)? {
                RouteKind::Local => Some((2, true)),
                RouteKind::Broadcast => Some((3, false)),
                RouteKind::Unicast { dev: o, .. } => Some((1, Some(o) == di)),
            };
        }
        let Some(&[a, b, c, d]) = addr.get(..4) else {
            return None;
        };
        let ip = IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        match self.fib().lookup(ip)? {
            RouteKind::Local => {
                let owner = if Ipv4Addr::new(a, b, c, d).is_loopback() {
                    Some(0)
                } else {
                    self.fib()
                        .local
                        .iter()
                        .find(|(x, _)| *x == ip)
                        .map(|(_, i)| *i)
                };
                Some((2, owner.is_some() && owner == di))
            }
            RouteKind::Broadcast => Some((3, false)),
            RouteKind::Unicast { dev: o, .. } => Some((1, Some(o) == di)),
        }
    }

    fn hz(&self) -> u32 {
        self.conf.hz
    }

    fn jiffies(&self) -> u64 {
        (u128::from(self.now.as_nanos()) * u128::from(self.conf.hz) / 1_000_000_000) as u64
    }

    fn random_u32(&mut self) -> u32 {
        use crate::conntrack::NatRng;
        (u32::from(self.io.rng.next_u16()) << 16) | u32::from(self.io.rng.next_u16())
    }

    fn shared_tables(&mut self) -> Option<&mut crate::engine::shared::SharedTables> {
        Some(self.shared)
    }

    fn conncount(
        &mut self,
        st: &mut crate::engine::state::MatchState,
        key: [u32; 5],
        pkt: &PacketCtx<'_>,
    ) -> u32 {
        use crate::conntrack::{CtStatus, Dir, TcpState};
        use crate::engine::shared::{ConnLookup, SkbConn};
        /// `nf_conntrack_find_get` (the hashed, so confirmed and not dying,
        /// unexpired entry with `t` as either tuple: one probe of the
        /// table's lookup index) and `already_closed`.
        struct Lookup<'t> {
            ct: &'t ConntrackTable,
            now: Instant,
        }
        impl ConnLookup for Lookup<'_> {
            fn find_closed(&mut self, t: &crate::conntrack::Tuple) -> Option<bool> {
                let (h, _) = self.ct.lookup(t, self.now)?;
                Some(matches!(
                    self.ct.tcp_state(h),
                    Some(TcpState::TimeWait) | Some(TcpState::Close)
                ))
            }
        }
        if !st.init {
            st.init = true;
            st.a = self.shared.conncount_new();
        }
        let mut lookup = Lookup {
            ct: self.ct,
            now: self.now,
        };
        // get_ct_or_tuple_from_skb
        let skb = match self.slot.and_then(|s| s.handle()) {
            Some(h) => match self.ct.tuple(h, Dir::Original) {
                Some(tuple) => SkbConn::Tuple {
                    tuple,
                    confirmed: self
                        .ct
                        .status(h)
                        .is_some_and(|s| s.contains(CtStatus::CONFIRMED)),
                },
                None => SkbConn::NoTuple,
            },
            None => match crate::conntrack::packet_tuple(pkt.data, &pkt.meta) {
                Some(tuple) => SkbConn::Tuple {
                    tuple,
                    confirmed: lookup.find_closed(&tuple).is_some(),
                },
                None => SkbConn::NoTuple,
            },
        };
        let jiffies = self.jiffies() as u32;
        self.shared
            .conncount_count(st.a, key, skb, jiffies, &mut lookup)
    }

    /// The packet's slot in the host's conntrack table, read as each
    /// match asks. Every entry has accounting: a ruleset with `connbytes`
    /// makes the host turn `nf_conntrack_acct` on before any traffic, as
    /// `connbytes_mt_check` forces it when the rule is loaded.
    #[inline]
    fn ct(&self) -> Option<CtRef<'_>> {
        Some(CtRef::new(self.ct, *self.slot, self.now))
    }

    fn run_target(
        &mut self,
        table: TableKind,
        target: &Target,
        pkt: &mut PacketCtx<'_>,
    ) -> Option<Verdict> {
        let _ = table;
        match target {
            Target::Trace(_) => {
                // xt_TRACE: sets skb->nf_trace (nfsim traces every packet, as
                // the reference recorder does).
                pkt.nf_trace = true;
                None
            }
            Target::Reject(r) => Some(self.reject(r.with, pkt)),
            Target::Log(l) => {
                self.log(l, pkt);
                None
            }
            // set_target_v3 (xt_SET): engine/shared/ipset.rs.
            Target::Set(x) => {
                crate::engine::shared::set_tg(x, pkt, self.shared);
                None
            }
            // mark_tg (xt_mark.c): skb->mark = (skb->mark & ~mask) ^ mark.
            Target::Mark(m) => {
                pkt.mark = (pkt.mark & !m.mask) ^ m.value;
                None
            }
            Target::Connmark(c) => {
                self.connmark(c, pkt);
                None
            }
            Target::Ct(c) => {
                // xt_ct_target with XT_CT_NOTRACK: a packet without a
                // conntrack reference becomes untracked (nf_ct_set(skb, NULL,
                // IP_CT_UNTRACKED)), which the rules after this one in the
                // same walk already see (state_mt / conntrack_mt read
                // skb->_nfct each time). Recorded: generated traces
                // notrack-same-traversal, gen-00028, gen-00192.
                // Without --notrack it gets the rule's template
                // (nf_ct_set(skb, ct, IP_CT_NEW)); "previously seen"
                // packets keep theirs. Recorded: trace ct-helper-ftp.
                if self.slot.is_none() {
                    *self.slot = Some(if c.flags.contains(CtFlags::NOTRACK) {
                        CtSlot::Untracked
                    } else {
                        CtSlot::Template(CtTemplate {
                            helper: HelperKind::from_name(&c.helper),
                            // xt_ct_set_timeout checked the policy at load
                            // (Host::new); no allocation here.
                            timeout: if c.timeout.is_empty() {
                                None
                            } else {
                                self.ct.timeout_policy(&c.timeout)
                            },
                            zone: c.zone,
                            zone_mark: c.flags.contains(CtFlags::ZONE_MARK),
                            // xt_ct_flags_to_dir
                            zone_dir: match (
                                c.flags.contains(CtFlags::ZONE_DIR_ORIG),
                                c.flags.contains(CtFlags::ZONE_DIR_REPL),
                            ) {
                                (true, false) => 1,
                                (false, true) => 2,
                                _ => 0,
                            },
                        })
                    });
                }
                None
            }
            Target::Snat(s) => self.setup(&to_ct_range(&s.range)),
            Target::Dnat(d) => self.setup(&to_ct_range(&d.range)),
            Target::Masquerade(m) => {
                // nf_nat_masquerade_ipv4/ipv6: the address of the output device
                // that the route's next hop is on.
                let dst = dst_of(self.family, pkt.data)?;
                let a = match self.fib().lookup(dst) {
                    Some(RouteKind::Unicast { dev, via }) => self.select_addr(dev, via),
                    // Sent to ourselves, out of `lo`. IPv4:
                    // inet_select_addr(lo, dst, RT_SCOPE_UNIVERSE) skips
                    // lo's host-scope 127.0.0.1 and takes the first primary
                    // universe address of the devices in ifindex order.
                    // IPv6: ipv6_dev_get_saddr(lo, dst) prefers the
                    // destination itself (rule 1), among lo's addresses
                    // only (::1) for a loopback or link-local destination.
                    // Recorded: trace masquerade-to-self.
                    Some(RouteKind::Local) => match dst {
                        IpAddr::V4(_) => self
                            .fib()
                            .local
                            .iter()
                            .find(|(a, d)| *d != 0 && a.is_ipv4())
                            .map(|(a, _)| *a),
                        IpAddr::V6(d) if d.is_loopback() || d.segments()[0] & 0xffc0 == 0xfe80 => {
                            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
                        }
                        d @ IpAddr::V6(_) => Some(d),
                    },
                    _ => None,
                };
                let Some(a) = a else {
                    return Some(Verdict::Drop);
                };
                let r = CtRange::masquerade(&to_ct_range(&m.range), a);
                self.setup(&r)
            }
            Target::Redirect(r) => {
                // nf_nat_redirect_ipv4/ipv6: loopback for OUTPUT, else the
                // first address of the input device.
                let a = if self.hook == Hook::LocalOut {
                    match self.family {
                        Family::Ipv4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
                        Family::Ipv6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
                    }
                } else {
                    match self
                        .fib()
                        .source_on(self.in_dev_idx, self.family == Family::Ipv6)
                    {
                        Some(a) => a,
                        None => return Some(Verdict::Drop),
                    }
                };
                let rr = CtRange::redirect(&to_ct_range(&r.range), a);
                self.setup(&rr)
            }
            Target::Netmap(n) => {
                // netmap_tg4/6: keep the host part, take the network part.
                let addr = if matches!(self.hook, Hook::PreRouting | Hook::LocalOut) {
                    dst_of(self.family, pkt.data)?
                } else {
                    src_of(self.family, pkt.data)?
                };
                let len = self.family.addr_len();
                let mut min = [0u8; 16];
                let mut max = [0u8; 16];
                for i in 0..len {
                    min[i] = n.net.addr[i];
                    max[i] = n.net.addr[i] | !n.net.mask[i];
                }
                let bytes_to_ip = |b: &[u8; 16]| match self.family {
                    Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
                    Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(*b)),
                };
                let target = CtRange {
                    flags: NatRangeFlags::MAP_IPS,
                    min_addr: bytes_to_ip(&min),
                    max_addr: bytes_to_ip(&max),
                    ..CtRange::default()
                };
                let r = CtRange::netmap(&target, addr)?;
                self.setup(&r)
            }
            Target::Nfqueue(q) => {
                // nfqueue_tg_v3: no listener in a simulation; with
                // --queue-bypass the packet goes on, else it is dropped.
                use crate::model::targets::nfqueue::NfqFlags;
                Some(Verdict::Queue {
                    num: q.queuenum,
                    bypass: q.flags.contains(NfqFlags::BYPASS),
                })
            }
            Target::Ttl(t) => {
                // ttl_tg (xt_HL.c), incremental header checksum.
                if let Some(old) = pkt.data.get(8).copied() {
                    let new = match t.mode {
                        HlMode::Set => t.ttl,
                        HlMode::Inc => old.saturating_add(t.ttl),
                        HlMode::Dec => old.saturating_sub(t.ttl),
                    };
                    set_ipv4_byte(pkt.data, 8, new);
                }
                None
            }
            Target::Hl(h) => {
                if let Some(old) = pkt.data.get(7).copied() {
                    pkt.data[7] = match h.mode {
                        HlMode::Set => h.hop_limit,
                        HlMode::Inc => old.saturating_add(h.hop_limit),
                        HlMode::Dec => old.saturating_sub(h.hop_limit),
                    };
                }
                None
            }
            Target::Tos(t) => {
                // tos_tg (xt_DSCP.c): tos = (tos & ~mask) ^ value.
                set_tclass(self.family, pkt.data, |old| (old & !t.mask) ^ t.value);
                None
            }
            Target::Tcpmss(t) => tcpmss(self.family, t.mss, pkt),
            Target::Ecn(e) => {
                ecn_tg(e, pkt);
                None
            }
            Target::Dscp(d) => {
                // dscp_tg: replace the DSCP bits, keep ECN.
                set_tclass(self.family, pkt.data, |old| (old & 0x03) | (d.dscp << 2));
                None
            }
            Target::Checksum(_) => {
                checksum_tg(pkt);
                None
            }
            // nflog_tg (xt_NFLOG.c): nf_log_packet with NF_LOG_TYPE_ULOG,
            // which reaches a userspace listener bound to the group (none
            // is modelled: nfsim has no nfnetlink sockets), then
            // XT_CONTINUE. audit_tg (xt_AUDIT.c): an audit record, then
            // XT_CONTINUE. classify_tg (xt_CLASSIFY.c): skb->priority,
            // which only qdiscs read, then XT_CONTINUE. Trace
            // `nflog-audit-classify`.
            Target::Nflog(_) | Target::Audit(_) | Target::Classify(_) => None,
            // Not evaluable (`Target::caps`): refused when the host is
            // built, so never reached. Listed so that a new variant does not
            // compile until it is either run here or declared parse-only.
            Target::Connsecmark(_)
            | Target::Secmark(_)
            | Target::Idletimer(_)
            | Target::Led(_)
            | Target::Tee(_)
            | Target::Snpt(_)
            | Target::Dnpt(_)
            | Target::Tcpoptstrip(_)
            | Target::Synproxy(_)
            | Target::Tproxy(_)
            | Target::Hmark(_)
            | Target::Rateest(_) => Some(Verdict::Drop),
        }
    }
}

impl HostEnv<'_> {
    /// `log_tg` (net/netfilter/xt_LOG.c) with the devices and link-layer
    /// header each hook passes (see [`super::log::LogDevs`]).
    fn log(&mut self, l: &crate::model::targets::log::Log, pkt: &PacketCtx<'_>) {
        use super::log::{format_log, LogDevs, LogFlags, LogInfo, MacHeader};
        let in_dev = pkt.in_dev;
        let ethertype = if self.family == Family::Ipv4 {
            0x0800
        } else {
            0x86dd
        };
        let mac = if !self.received || in_dev.is_empty() {
            MacHeader::None
        } else if self.in_dev_idx == 0 {
            MacHeader::Loopback { ethertype }
        } else {
            let d = &self.conf.devs[self.in_dev_idx];
            match self.br {
                // A frame from a bridge port: its own header.
                Some(b) => MacHeader::Ethernet {
                    dst: b.dst_mac,
                    src: self.conf.devs[b.physin].peer_mac,
                    ethertype,
                    vlan: None,
                },
                None => MacHeader::Ethernet {
                    dst: d.mac,
                    src: d.peer_mac,
                    ethertype,
                    vlan: None,
                },
            }
        };
        // nf_log_dump_packet_common: PHYSIN= / PHYSOUT= from nf_bridge.
        let (phys_in, phys_out) = phys_names(self.conf, self.br).unwrap_or(("", ""));
        let devs = LogDevs {
            in_dev,
            out_dev: pkt.out_dev,
            mac,
            phys_in,
            phys_out,
        };
        let info = LogInfo {
            prefix: &l.prefix,
            flags: LogFlags::from_bits_truncate(l.flags.bits()),
        };
        let start = self.out.log_mark();
        let _ = format_log(
            self.out.log_writer(),
            self.family,
            &info,
            &devs,
            pkt.data,
            pkt.mark,
            pkt.sk_owner,
        );
        self.out.log_commit(start);
    }

    /// `connmark_tg_shift` (xt_connmark.c).
    fn connmark(&mut self, c: &Connmark, pkt: &mut PacketCtx<'_>) {
        let Some(h) = self.slot.and_then(|s| s.handle()) else {
            return;
        };
        let ctmark = self.ct.mark(h).unwrap_or(0);
        let shift = |v: u32| match c.shift_dir {
            ShiftDir::Left => v.checked_shl(u32::from(c.shift_bits)).unwrap_or(0),
            ShiftDir::Right => v.checked_shr(u32::from(c.shift_bits)).unwrap_or(0),
        };
        match c.mode {
            ConnmarkMode::Set => {
                let new = (ctmark & !c.ctmask) ^ c.ctmark;
                if new != ctmark {
                    // Later rules (connmark) read it through `Env::ct`.
                    self.ct.set_mark(h, new);
                }
            }
            ConnmarkMode::Save => {
                let new = (ctmark & !c.ctmask) ^ (shift(pkt.mark & c.nfmask) & c.ctmask);
                if new != ctmark {
                    self.ct.set_mark(h, new);
                }
            }
            ConnmarkMode::Restore => {
                let nf = shift(ctmark & c.ctmask) & c.nfmask;
                pkt.mark = (pkt.mark & !c.nfmask) ^ nf;
            }
        }
    }
}

/// [`Env::addr_type`] of the host (see there), from its routing state.
pub(crate) fn host_addr_type(
    fib: &Fib,
    devs: &[super::Device],
    family: Family,
    addr: &[u8],
    dev: Option<&str>,
) -> u16 {
    const UNICAST: u16 = 1; // RTN_UNICAST
    const LOCAL: u16 = 2; // RTN_LOCAL
    const BROADCAST: u16 = 3; // RTN_BROADCAST
    const MULTICAST: u16 = 5; // RTN_MULTICAST
    match family {
        Family::Ipv4 => {
            let Some(&[a, b, c, d]) = addr.get(..4) else {
                return UNICAST;
            };
            let ip = Ipv4Addr::new(a, b, c, d);
            if ip.is_unspecified() || ip.is_broadcast() {
                return BROADCAST;
            }
            if ip.is_multicast() {
                return MULTICAST;
            }
            let dev_idx = match dev {
                Some(n) => match devs.iter().position(|d| d.name == n) {
                    Some(i) => Some(i),
                    // A device not on the host owns no route.
                    None => return UNICAST,
                },
                None => None,
            };
            let ok = |route_dev: usize| dev_idx.is_none_or(|d| d == route_dev);
            let ipa = IpAddr::V4(ip);
            // Longest prefix first: the /32 routes (local addresses,
            // directed broadcasts, 127.255.255.255), then 127.0.0.0/8.
            if let Some((_, d)) = fib.local.iter().find(|(x, _)| *x == ipa) {
                return if ok(*d) { LOCAL } else { UNICAST };
            }
            if ip == Ipv4Addr::new(127, 255, 255, 255) {
                return if ok(0) { BROADCAST } else { UNICAST };
            }
            if let Some((_, d)) = fib.connected.iter().find(|(n, _)| {
                matches!(n, ipnet::IpNet::V4(n4) if n4.prefix_len() < 31 && n4.broadcast() == ip)
            }) {
                return if ok(*d) { BROADCAST } else { UNICAST };
            }
            if a == 127 {
                return if ok(0) { LOCAL } else { UNICAST };
            }
            UNICAST
        }
        Family::Ipv6 => {
            let Some(a16) = addr.get(..16).and_then(|b| <[u8; 16]>::try_from(b).ok()) else {
                return rt6::UNREACHABLE;
            };
            match dev {
                // A device the host does not have owns no address or route.
                Some(n) => match devs.iter().position(|d| d.name == n) {
                    Some(i) => match_lookup_rt6(fib, devs.len(), a16, Some(i)),
                    None => rt6::UNREACHABLE,
                },
                None => match_lookup_rt6(fib, devs.len(), a16, None),
            }
        }
    }
}

/// `XT_ADDRTYPE_*` bits `match_lookup_rt6` can answer.
mod rt6 {
    pub(super) const LOCAL: u16 = 1 << 2;
    pub(super) const ANYCAST: u16 = 1 << 4;
    pub(super) const UNREACHABLE: u16 = 1 << 7;
}

/// The route `ip6_route_output` picks, with the `rt6i_flags` and
/// destination prefix `match_lookup_rt6` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rt6 {
    /// `rt6i_dst.plen`
    pub plen: u8,
    /// `rt6i_dst.addr` (the prefix)
    pub prefix: [u8; 16],
    /// `RTF_LOCAL`
    pub local: bool,
    /// `RTF_ANYCAST`
    pub anycast: bool,
    /// `RTF_GATEWAY`
    pub gateway: bool,
    /// `RTF_NONEXTHOP` (the local table's address routes)
    pub nonexthop: bool,
}

/// `match_lookup_rt6` (net/netfilter/xt_addrtype.c, Linux 6.18) for the
/// host: which of LOCAL, ANYCAST and UNREACHABLE the address is, looked
/// up on device `dev` (an index into the host's devices, `lo` is 0) when
/// the rule has `--limit-iface-*`:
///
/// - with a device, LOCAL when the address is configured on that very
///   device (`nf_ipv6_chk_addr(net, addr, dev, true)`: strict);
/// - `nf_ip6_route(.., strict = false)` = `ip6_route_output(net, NULL,
///   {daddr, oif = dev})`, see [`ip6_route_output`]; no route (the null
///   entry's `-ENETUNREACH`) answers UNREACHABLE alone. nfsim's routes are
///   never `RTF_REJECT` (no unreachable/prohibit/blackhole routes);
/// - without a device, LOCAL when the route is `RTF_LOCAL`;
/// - ANYCAST by `ipv6_anycast_destination`: an `RTF_ANYCAST` route (a
///   joined subnet-router anycast address), or a route shorter than /127
///   that is neither `RTF_GATEWAY` nor `RTF_NONEXTHOP` whose prefix
///   address is the address itself (the subnet-router anycast address of
///   a connected prefix, even with forwarding off).
pub(crate) fn match_lookup_rt6(fib: &Fib, ndevs: usize, addr: [u8; 16], dev: Option<usize>) -> u16 {
    let ip = IpAddr::V6(Ipv6Addr::from(addr));
    let mut ret = 0;
    if let Some(d) = dev {
        if fib.local.iter().any(|(x, i)| *x == ip && *i == d) {
            ret = rt6::LOCAL;
        }
    }
    let Some(rt) = ip6_route_output(fib, ndevs, addr, dev) else {
        return rt6::UNREACHABLE;
    };
    if dev.is_none() && rt.local {
        ret |= rt6::LOCAL;
    }
    if rt.anycast || (rt.plen < 127 && !rt.gateway && !rt.nonexthop && rt.prefix == addr) {
        ret |= rt6::ANYCAST;
    }
    ret
}

/// `ip6_route_output` (net/ipv6/route.c) for a flow with only a
/// destination and an output interface, on a host without policy rules:
/// the local table, then the main table (`fib6_rule_lookup`), each
/// `fib6_table_lookup` = the longest prefix covering the address
/// (`fib6_node_lookup`, then `fib6_backtrack` through shorter prefixes)
/// among routes `rt6_select` accepts. With an interface the lookup is
/// strict (`RT6_LOOKUP_F_IFACE`: an oif and no source): only routes
/// whose next-hop device is the interface (`rt6_check_dev`); without one
/// every route qualifies (link-local, multicast and loopback addresses
/// set the strict flag too, but `rt6_check_dev` accepts any device when
/// the oif is 0).
///
/// The tables as addrconf fills them (checked with `ip -6 route show table
/// all` in a netns of the reference method): local: a /128 `local` route
/// (`RTF_LOCAL | RTF_NONEXTHOP`) per address on its device (`::1` on
/// `lo`), a /128 `anycast` route (`RTF_ANYCAST | RTF_NONEXTHOP`) per
/// joined subnet-router anycast address on the device of the prefix,
/// `multicast ff00::/8` on every device but `lo` (`addrconf_add_mroute`);
/// main: the prefix route of every address (no flags) and the configured
/// routes (`RTF_GATEWAY` with a gateway). `None`: no route (the null
/// entry).
pub(crate) fn ip6_route_output(
    fib: &Fib,
    ndevs: usize,
    addr: [u8; 16],
    dev: Option<usize>,
) -> Option<Rt6> {
    let ip = IpAddr::V6(Ipv6Addr::from(addr));
    let eligible = |d: usize| dev.is_none_or(|o| o == d);
    let host_route = |local: bool| Rt6 {
        plen: 128,
        prefix: addr,
        local,
        anycast: !local,
        gateway: false,
        nonexthop: true,
    };
    // Local table: /128 routes first (longest prefix), then ff00::/8.
    if fib
        .local
        .iter()
        .any(|(x, d)| *x == ip && x.is_ipv6() && eligible(*d))
    {
        return Some(host_route(true));
    }
    let anycast_on = fib.connected.iter().any(|(n, d)| {
        matches!(n, IpNet::V6(n6) if n6.prefix_len() < 127 && IpAddr::V6(n6.network()) == ip)
            && fib.anycast.contains(&ip)
            && eligible(*d)
    });
    if anycast_on {
        return Some(host_route(false));
    }
    if addr[0] == 0xff && (1..ndevs).any(eligible) {
        let mut prefix = [0u8; 16];
        prefix[0] = 0xff;
        return Some(Rt6 {
            plen: 8,
            prefix,
            local: false,
            anycast: false,
            gateway: false,
            nonexthop: false,
        });
    }
    // Main table.
    let r = fib
        .routes
        .iter()
        .filter(|r| r.dst.contains(&ip) && eligible(r.dev))
        .fold(None::<&super::route::Route>, |best, r| match best {
            Some(b) if b.dst.prefix_len() >= r.dst.prefix_len() => Some(b),
            _ => Some(r),
        })?;
    let IpNet::V6(n6) = r.dst else {
        return None;
    };
    Some(Rt6 {
        plen: n6.prefix_len(),
        prefix: n6.network().octets(),
        local: false,
        anycast: false,
        gateway: r.via.is_some(),
        nonexthop: false,
    })
}

/// `checksum_tg` (net/netfilter/xt_CHECKSUM.c, Linux 6.18): `if
/// (skb->ip_summed == CHECKSUM_PARTIAL && !skb_is_gso(skb))
/// skb_checksum_help(skb);` and XT_CONTINUE. `skb_checksum_help`
/// (net/core/dev.c) sums from `csum_start` (the transport header) to the
/// end, the field (which holds the folded pseudo-header sum) included, and
/// stores `csum_fold(csum) ?: CSUM_MANGLED_0` at `csum_offset`, leaving
/// the packet `CHECKSUM_NONE`. Every other packet is left alone: what
/// arrives from a device is `CHECKSUM_UNNECESSARY` (veth with RX checksum
/// offload) or `CHECKSUM_NONE`, what the host builds itself is summed in
/// full, except the IPv4 REJECT tcp-reset (`nf_reject_ip_tcphdr_put`), the
/// only `CHECKSUM_PARTIAL` packet nfsim makes that a rule can still see
/// (never GSO: one segment). (The ftp NAT helper's rewrite,
/// `__nf_nat_mangle_tcp_packet`, also leaves outgoing packets
/// `CHECKSUM_PARTIAL`, but after every POSTROUTING rule has run.)
pub(crate) fn checksum_tg(pkt: &mut PacketCtx<'_>) {
    if !pkt.csum_partial {
        return;
    }
    let thoff = pkt.meta.thoff;
    // csum_offset: offsetof(struct tcphdr, check) / offsetof(struct udphdr, check).
    let field = match pkt.meta.protocol.0 {
        6 => 16,
        17 => 6,
        _ => return,
    };
    let Some(l4) = pkt.data.get(thoff..) else {
        return;
    };
    if l4.len() < field + 2 {
        return;
    }
    let v = match !crate::wire::checksum::sum(l4) {
        0 => crate::wire::checksum::CSUM_MANGLED_0,
        v => v,
    };
    pkt.data[thoff + field..thoff + field + 2].copy_from_slice(&v.to_be_bytes());
    pkt.csum_partial = false;
}

/// Changes one byte of an IPv4 header with the checksum updated (RFC 1624).
fn set_ipv4_byte(data: &mut [u8], at: usize, new: u8) {
    let Some(&old) = data.get(at) else { return };
    if old == new || data.len() < 20 {
        return;
    }
    let word = at & !1;
    let old_w = u16::from_be_bytes([data[word], data[word + 1]]);
    data[at] = new;
    let new_w = u16::from_be_bytes([data[word], data[word + 1]]);
    let c = u16::from_be_bytes([data[10], data[11]]);
    let c = crate::wire::checksum::replace2(c, old_w, new_w);
    data[10..12].copy_from_slice(&c.to_be_bytes());
}

/// Rewrites the IPv4 TOS byte or the IPv6 traffic class.
fn set_tclass(family: Family, data: &mut [u8], f: impl Fn(u8) -> u8) {
    match family {
        Family::Ipv4 => {
            if let Some(&old) = data.get(1) {
                set_ipv4_byte(data, 1, f(old));
            }
        }
        Family::Ipv6 => {
            if data.len() >= 2 {
                let old = (data[0] << 4) | (data[1] >> 4);
                let new = f(old);
                data[0] = (data[0] & 0xf0) | (new >> 4);
                data[1] = (data[1] & 0x0f) | (new << 4);
            }
        }
    }
}

/// `tcpmss_tg4` / `tcpmss_tg6` with `tcpmss_mangle_packet`
/// (net/netfilter/xt_TCPMSS.c): lower an MSS option that is larger, or add
/// one (at most 536 / 1220) when the SYN has none and no payload.
fn tcpmss(
    family: Family,
    mss: crate::model::targets::tcpmss::TcpMss,
    pkt: &mut PacketCtx<'_>,
) -> Option<Verdict> {
    use crate::model::targets::tcpmss::TcpMss;
    if pkt.meta.fragoff != 0 {
        return None;
    }
    let thoff = pkt.meta.thoff;
    let data: &mut Vec<u8> = pkt.data;
    let len = data.len().saturating_sub(thoff);
    if thoff == 0 || len < 20 {
        return Some(Verdict::Drop);
    }
    let doff = usize::from(data[thoff + 12] >> 4) * 4;
    if len < doff || doff < 20 {
        return Some(Verdict::Drop);
    }
    // minlen: IP header + TCP header (tcpmss_tg4: sizeof(iphdr)+sizeof(tcphdr);
    // tcpmss_tg6: sizeof(ipv6hdr)+sizeof(tcphdr)); the path MTU is 1500 here.
    let minlen = if family == Family::Ipv4 { 40 } else { 60 };
    let newmss: u16 = match mss {
        TcpMss::Set(v) => v,
        TcpMss::ClampPmtu => (1500 - minlen) as u16,
    };
    let csum_at = thoff + 16;
    let get_csum = |d: &[u8]| u16::from_be_bytes([d[csum_at], d[csum_at + 1]]);
    let mut i = 20;
    while i + 4 <= doff {
        let k = data[thoff + i];
        if k == 2 && data[thoff + i + 1] == 4 {
            let old = u16::from_be_bytes([data[thoff + i + 2], data[thoff + i + 3]]);
            if old <= newmss {
                return None;
            }
            data[thoff + i + 2..thoff + i + 4].copy_from_slice(&newmss.to_be_bytes());
            let c = crate::wire::checksum::replace2(get_csum(data), old, newmss);
            data[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());
            return None;
        }
        // optlen(): EOL/NOP and broken lengths advance by one.
        i += if k < 2 || data[thoff + i + 1] == 0 {
            1
        } else {
            usize::from(data[thoff + i + 1])
        };
    }
    if len > doff || doff >= 60 {
        return None;
    }
    let newmss = newmss.min(if family == Family::Ipv4 { 536 } else { 1220 });
    // Insert the option right after the fixed header.
    let opt = [2u8, 4, (newmss >> 8) as u8, newmss as u8];
    for (k, b) in opt.iter().enumerate() {
        data.insert(thoff + 20 + k, *b);
    }
    // inet_proto_csum_replace2(len -> len+4, pseudohdr) + replace4(0 -> opt)
    // + replace2(old doff word -> new).
    let mut c = get_csum(data);
    c = crate::wire::checksum::replace2(c, len as u16, (len + 4) as u16);
    c = crate::wire::checksum::replace4(c, [0, 0, 0, 0], opt);
    let old_w = u16::from_be_bytes([data[thoff + 12], data[thoff + 13]]);
    data[thoff + 12] += 1 << 4;
    let new_w = u16::from_be_bytes([data[thoff + 12], data[thoff + 13]]);
    c = crate::wire::checksum::replace2(c, old_w, new_w);
    data[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());
    match family {
        Family::Ipv4 => {
            let old = u16::from_be_bytes([data[2], data[3]]);
            let new = old + 4;
            data[2..4].copy_from_slice(&new.to_be_bytes());
            let ic =
                crate::wire::checksum::replace2(u16::from_be_bytes([data[10], data[11]]), old, new);
            data[10..12].copy_from_slice(&ic.to_be_bytes());
        }
        Family::Ipv6 => {
            let pl = u16::from_be_bytes([data[4], data[5]]) + 4;
            data[4..6].copy_from_slice(&pl.to_be_bytes());
        }
    }
    if let Ok(m) = crate::wire::meta::PacketMeta::parse(data) {
        pkt.meta = m;
    }
    None
}

/// `ecn_tg` (net/ipv4/netfilter/ipt_ECN.c): set the IP ECT bits, clear
/// or set TCP ECE/CWR (checksums updated).
fn ecn_tg(e: &crate::model::targets::ecn::Ecn, pkt: &mut PacketCtx<'_>) {
    use crate::model::targets::ecn::EcnOp;
    if e.op.contains(EcnOp::SET_IP) {
        if let Some(&tos) = pkt.data.get(1) {
            if tos & 0x03 != e.ip_ect {
                set_ipv4_byte(pkt.data, 1, (tos & !0x03) | e.ip_ect);
            }
        }
    }
    if e.op.intersects(EcnOp::SET_ECE | EcnOp::SET_CWR)
        && pkt.meta.protocol.0 == 6
        && pkt.meta.fragoff == 0
    {
        let thoff = pkt.meta.thoff;
        let Some(&flags) = pkt.data.get(thoff + 13) else {
            return;
        };
        let mut nf = flags;
        if e.op.contains(EcnOp::SET_ECE) {
            nf = if e.ece { nf | 0x40 } else { nf & !0x40 };
        }
        if e.op.contains(EcnOp::SET_CWR) {
            nf = if e.cwr { nf | 0x80 } else { nf & !0x80 };
        }
        if nf != flags && pkt.data.len() >= thoff + 18 {
            let old = u16::from_be_bytes([pkt.data[thoff + 12], pkt.data[thoff + 13]]);
            pkt.data[thoff + 13] = nf;
            let new = u16::from_be_bytes([pkt.data[thoff + 12], pkt.data[thoff + 13]]);
            let c = crate::wire::checksum::replace2(
                u16::from_be_bytes([pkt.data[thoff + 16], pkt.data[thoff + 17]]),
                old,
                new,
            );
            pkt.data[thoff + 16..thoff + 18].copy_from_slice(&c.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod checksum_tests {
    use super::*;
    use crate::wire::reject::{tcp_reset_v4, TcpResetChecksum};

    /// checksum_tg: a CHECKSUM_PARTIAL reset gets the sum `skb_checksum_help`
    /// computes (the complete one), anything else is left alone.
    #[test]
    fn checksum_fill_only_partial() {
        let mut syn = vec![
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 20, 192, 0, 2, 1,
        ];
        syn.extend_from_slice(&[
            0x9c, 0x40, 0, 23, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xfa, 0xf0, 0, 0, 0, 0,
        ]);
        let mut a = [0u8; 80];
        let mut b = [0u8; 80];
        let n = tcp_reset_v4(&syn, 64, false, TcpResetChecksum::Partial, &mut a).unwrap();
        let m = tcp_reset_v4(&syn, 64, false, TcpResetChecksum::Complete, &mut b).unwrap();
        assert_eq!(n, m);
        assert_ne!(a[..n], b[..n]);
        let run = |bytes: &[u8], partial: bool| -> (Vec<u8>, bool) {
            let mut d = bytes.to_vec();
            let meta = crate::wire::meta::PacketMeta::parse(&d).unwrap();
            let mut pkt = PacketCtx {
                family: Family::Ipv4,
                data: &mut d,
                meta,
                hook: Hook::PostRouting,
                in_dev: "",
                out_dev: "eth0",
                mark: 0,
                now: Instant::ZERO,
                nf_trace: false,
                pkt_type: 0,
                src_mac: None,
                sk_owner: None,
                csum_partial: partial,
            };
            checksum_tg(&mut pkt);
            let p = pkt.csum_partial;
            (d, p)
        };
        assert_eq!(run(&a[..n], true), (b[..n].to_vec(), false));
        assert_eq!(run(&a[..n], false), (a[..n].to_vec(), false));
        assert_eq!(run(&b[..n], false), (b[..n].to_vec(), false));
    }
}
