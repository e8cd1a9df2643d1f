//! Bridges (net/bridge/) and bridge netfilter (net/bridge/br_netfilter_hooks.c).
//!
//! A bridge is a device of the host with its own MAC and addresses (an
//! ordinary L3 device for routing) and ports: devices of the host whose
//! frames it takes (`br_handle_frame`). Modelled, as Linux 6.18 does it:
//!
//! - the forwarding database (br_fdb.c): the bridge's and its ports' own
//!   MACs are local entries; a port's peer MAC is learnt when a frame from
//!   it arrives (`br_fdb_update`) and forgotten after the ageing time
//!   (300 s, `BR_DEFAULT_AGEING_TIME`; the kernel's garbage collector runs
//!   at that deadline);
//! - `br_handle_frame_finish` (br_input.c): a frame for a local MAC goes up
//!   the stack on the bridge device (`br_pass_frame_up`); a known MAC is
//!   forwarded to its port, never back to the input port (`should_deliver`,
//!   no hairpin mode); an unknown MAC is flooded to every other port
//!   (`br_flood`, in `br->port_list` order: the port enslaved last first);
//! - br_netfilter with `net.bridge.bridge-nf-call-iptables` /
//!   `-ip6tables` (per namespace, default 1): the frame traverses
//!   PREROUTING once (`br_nf_pre_routing`: raw, conntrack, mangle, nat,
//!   with `-i` the bridge and the port as physdev in; a DNAT that changes
//!   the destination re-routes it, `br_nf_pre_routing_finish`: up the stack
//!   unless the new route is the bridge itself, then bridged to the
//!   neighbour's MAC), then per output port FORWARD (`br_nf_forward_ip`:
//!   mangle, filter, security with `-i`/`-o` the bridge and the ports as
//!   physdev in/out) and POSTROUTING (`br_nf_post_routing`: no input
//!   device, mangle, nat, confirm); a frame that goes up skips the second
//!   PREROUTING (`ip_sabotage_in`) and keeps its physdev in through INPUT,
//!   FORWARD and POSTROUTING of the IP stack; with the sysctl off nothing
//!   is called for bridged frames and no packet carries physdev
//!   information;
//! - packets the host routes out of a bridge (`br_dev_xmit`): the next
//!   hop's MAC from the bridge's permanent neighbour entries, then the FDB
//!   (a known port, or flooded); no second netfilter pass
//!   (`br_nf_post_routing` returns at once without `physoutdev`).
//!
//! Refused with an explicit [`Disposition::Unsupported`]: broadcast and
//! multicast frames (flooding plus local delivery, IGMP/MLD snooping), a
//! frame for another port's own MAC, a frame received on the bridge device
//! itself, a frame on a port whose IP header fails `ip_rcv`'s checks
//! (br_validate_ipv4 / br_validate_ipv6 check a little less; without
//! br_netfilter the bridge forwards it as it is), a next hop without a
//! neighbour entry (ARP / ND resolution), a reassembled datagram leaving a
//! bridge in fragments (`br_nf_dev_queue_xmit`, or routed out of one). Not modelled at all
//! (no configuration exists for them): VLAN filtering, STP, ebtables,
//! hairpin mode, per-bridge `nf_call_iptables`.

use std::net::IpAddr;

use ipnet::IpNet;

use super::{addrs, left_by, settle, Pkt, Step};
use crate::engine::TraceSink;
use crate::host::txq::JobKind;
use crate::host::{Disposition, DropReason, Host, HostError, Outcome};
use crate::model::{Family, Hook, TableKind};
use crate::time::{Duration, Instant};

/// A bridge device (`ip link add NAME address MAC type bridge`) with its
/// ports (`ip link set DEV master NAME`) and its permanent neighbour
/// entries (`ip neigh add ADDR lladdr MAC dev NAME nud permanent`).
///
/// ```
/// use nfsim::prelude::*;
/// use nfsim::host::BridgeConfig;
/// let cfg = HostConfig::default()
///     .interface(InterfaceConfig { addrs: vec![], ..InterfaceConfig::new("veth0", "192.0.2.9/32").unwrap() })
///     .interface(InterfaceConfig { addrs: vec![], ..InterfaceConfig::new("veth1", "192.0.2.9/32").unwrap() })
///     .bridge(BridgeConfig::new("br0", [2, 0, 0, 0, 0, 0x10], &["veth0", "veth1"]).with_addr("172.17.0.1/16").unwrap());
/// let host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// assert_eq!(host.device_index("br0"), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Name (`br0`).
    pub name: String,
    /// The bridge device's MAC.
    pub mac: [u8; 6],
    /// Its addresses (connected routes follow, on the bridge device).
    pub addrs: Vec<IpNet>,
    /// Its ports, devices of [`HostConfig::interfaces`](super::super::HostConfig::interfaces)
    /// by name, in the order they were enslaved.
    pub ports: Vec<String>,
    /// Permanent neighbour entries on the bridge: the MAC of each next hop
    /// the host sends to through it.
    pub neighbours: Vec<(IpAddr, [u8; 6])>,
}

impl BridgeConfig {
    /// A bridge with these ports, no addresses and no neighbours.
    pub fn new(name: &str, mac: [u8; 6], ports: &[&str]) -> BridgeConfig {
        BridgeConfig {
            name: name.into(),
            mac,
            addrs: Vec::new(),
            ports: ports.iter().map(|p| p.to_string()).collect(),
            neighbours: Vec::new(),
        }
    }

    /// The same bridge with one more address.
    ///
    /// # Errors
    /// An address that is not `ADDRESS/PREFIX`.
    pub fn with_addr(mut self, addr: &str) -> Result<BridgeConfig, HostError> {
        let net = addr.parse().map_err(|_| HostError::Config {
            field: format!("bridges.{}.addrs", self.name),
            message: format!("{addr:?} is not ADDRESS/PREFIX"),
        })?;
        self.addrs.push(net);
        Ok(self)
    }
}

/// `BR_DEFAULT_AGEING_TIME` (net/bridge/br_private.h): 300 s.
const AGEING: Duration = Duration::from_secs(300);

/// What br_netfilter attached to a frame received on a bridge port, and the
/// frame's Ethernet destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BrInfo {
    /// The port it came in on.
    pub(crate) physin: usize,
    /// The port it goes out of (0: none yet, or routed / delivered).
    pub(crate) physout: usize,
    /// `eth_hdr(skb)->h_dest` (LOG's `MAC=`).
    pub(crate) dst_mac: [u8; 6],
    /// `skb->nf_bridge` exists: br_netfilter called iptables on it
    /// (`-m physdev`, LOG's `PHYSIN=` / `PHYSOUT=`).
    pub(crate) nf: bool,
    /// PREROUTING ran at the bridge (`br_nf_pre_routing`): the IP stack's
    /// own PREROUTING is skipped (`ip_sabotage_in`).
    pub(crate) prerouted: bool,
}

/// One bridge as the path uses it.
#[derive(Debug, Clone)]
pub(crate) struct Bridge {
    /// Its device index.
    dev: usize,
    mac: [u8; 6],
    /// Ports by device index, in `br->port_list` order (`list_add_rcu` at
    /// the head: the port enslaved last comes first).
    ports: Vec<usize>,
    /// When each port's peer MAC was last seen (same order as `ports`).
    learnt: Vec<Option<Instant>>,
    neighbours: Vec<(IpAddr, [u8; 6])>,
}

/// The host's bridges, their forwarding databases and the br_netfilter
/// sysctls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bridges {
    list: Vec<Bridge>,
    /// By device index: the bridge (index in `list`) a port belongs to.
    port_of: Vec<Option<usize>>,
    /// By device index: the bridge a bridge device is.
    is_bridge: Vec<Option<usize>>,
    /// `net.bridge.bridge-nf-call-iptables`.
    pub(crate) call_iptables: bool,
    /// `net.bridge.bridge-nf-call-ip6tables`.
    pub(crate) call_ip6tables: bool,
    /// The Ethernet destination of the frame the caller gives next
    /// ([`Host::receive_frame`]).
    next_dst: Option<[u8; 6]>,
}

impl Bridges {
    /// Adds the bridge devices after the interfaces (`devs`, index 0 `lo`)
    /// with their addresses in the FIBs; checks their ports.
    pub(crate) fn build(
        cfg: &[BridgeConfig],
        devs: &mut Vec<super::super::Device>,
        fib4: &mut super::super::route::Fib,
        fib6: &mut super::super::route::Fib,
    ) -> Result<Bridges, HostError> {
        let mut br = Bridges {
            call_iptables: true,
            call_ip6tables: true,
            ..Bridges::default()
        };
        let n_itf = devs.len();
        br.port_of = vec![None; n_itf];
        for (i, b) in cfg.iter().enumerate() {
            let err = |field: &str, message: String| HostError::Config {
                field: format!("bridges[{i}]{field}"),
                message,
            };
            if b.name.is_empty()
                || b.name.len() >= 16
                || b.name == "."
                || b.name == ".."
                || b.name
                    .bytes()
                    .any(|c| c == b'/' || c == b':' || c.is_ascii_whitespace())
            {
                return Err(err(
                    ".name",
                    format!("{:?}: not a valid device name (dev_valid_name)", b.name),
                ));
            }
            if devs.iter().any(|d| d.name == b.name) {
                return Err(err(
                    ".name",
                    format!("{:?}: a device of that name exists already", b.name),
                ));
            }
            let dev = devs.len();
            devs.push(super::super::Device {
                name: b.name.clone(),
                mac: b.mac,
                peer_mac: [0; 6],
            });
            let mut ports = Vec::with_capacity(b.ports.len());
            for p in &b.ports {
                let Some(d) = devs[..n_itf].iter().position(|x| &x.name == p) else {
                    return Err(err(".ports", format!("no interface {p} on this host")));
                };
                if d == 0 {
                    return Err(err(".ports", "lo cannot be a bridge port".into()));
                }
                if br.port_of[d].is_some() || ports.contains(&d) {
                    return Err(err(
                        ".ports",
                        format!("{p} is a port of a bridge already (Device or resource busy)"),
                    ));
                }
                if fib4
                    .local
                    .iter()
                    .chain(fib6.local.iter())
                    .any(|(_, x)| *x == d)
                {
                    return Err(err(
                        ".ports",
                        format!("{p} has addresses of its own: addresses on a bridge port are not modelled by nfsim (give them to the bridge)"),
                    ));
                }
                ports.push(d);
            }
            for &d in &ports {
                br.port_of[d] = Some(i);
            }
            ports.reverse();
            for a in &b.addrs {
                let fib = if a.addr().is_ipv4() {
                    &mut *fib4
                } else {
                    &mut *fib6
                };
                fib.local.push((a.addr(), dev));
                fib.connected.push((a.trunc(), dev));
                fib.routes.push(super::super::route::Route {
                    dst: a.trunc(),
                    via: None,
                    dev,
                });
            }
            br.list.push(Bridge {
                dev,
                mac: b.mac,
                learnt: vec![None; ports.len()],
                ports,
                neighbours: b.neighbours.clone(),
            });
        }
        br.port_of.resize(devs.len(), None);
        br.is_bridge = vec![None; devs.len()];
        for (i, b) in br.list.iter().enumerate() {
            br.is_bridge[b.dev] = Some(i);
        }
        Ok(br)
    }

    /// The bridge device `dev` is (an index for [`Host`]'s bridge calls).
    pub(crate) fn bridge(&self, dev: usize) -> Option<usize> {
        self.is_bridge.get(dev).copied().flatten()
    }

    /// The bridge whose port `dev` is.
    pub(crate) fn port_bridge(&self, dev: usize) -> Option<usize> {
        self.port_of.get(dev).copied().flatten()
    }

    /// Whether the host has bridges at all.
    pub(crate) fn any(&self) -> bool {
        !self.list.is_empty()
    }

    /// No bridge and no Ethernet destination given for the next frame:
    /// [`Host::br_input`] has nothing to do.
    #[inline]
    pub(crate) fn idle(&self) -> bool {
        self.next_dst.is_none() && self.list.is_empty()
    }
}

/// Where a frame goes after the FDB lookup.
enum Dest {
    /// Up the stack on the bridge device.
    Up,
    /// To one port.
    Port(usize),
    /// Flooded to every port but the input one.
    Flood,
    /// Nowhere (not sent back to its input port).
    Nowhere,
}

impl Host {
    /// [`Host::receive`] of a frame whose Ethernet destination is
    /// `dst_mac` (a frame on a bridge port for another port's neighbour,
    /// for the bridge's MAC...). [`Host::receive`] addresses every frame to
    /// the receiving device's own MAC.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// use nfsim::host::BridgeConfig;
    /// let port = |n: &str| InterfaceConfig { addrs: vec![], ..InterfaceConfig::new(n, "192.0.2.9/32").unwrap() };
    /// let (a, b) = (port("veth0"), port("veth1"));
    /// let b_mac = b.peer_mac;
    /// let cfg = HostConfig::default().interface(a).interface(b)
    ///     .bridge(BridgeConfig::new("br0", [2, 0, 0, 0, 0, 0x10], &["veth0", "veth1"]));
    /// let mut host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// let pkt = PacketBuilder::ipv4([172, 17, 0, 2].into(), [172, 17, 0, 3].into()).udp(1, 53).build();
    /// let mut out = Outcome::default();
    /// host.receive_frame(1, b_mac, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
    /// let (dev, bytes) = out.emitted().next().unwrap();
    /// assert_eq!((host.device(dev), bytes), (Some("veth1"), &pkt[..]));
    /// ```
    pub fn receive_frame<S: TraceSink>(
        &mut self,
        dev: usize,
        dst_mac: [u8; 6],
        pkt: &[u8],
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.br.next_dst = Some(dst_mac);
        self.receive(dev, pkt, now, out, sink);
        self.br.next_dst = None;
    }

    /// The Ethernet destination of the caller's frame on device `dev`.
    fn frame_dst(&mut self, dev: usize, primary: bool) -> [u8; 6] {
        match self.br.next_dst.take() {
            Some(m) if primary => m,
            _ => self.stack.conf.devs[dev].mac,
        }
    }

    /// `br_handle_frame` (br_input.c) for a frame received on port `port`,
    /// with br_netfilter's PREROUTING (`br_nf_pre_routing`), then
    /// `br_handle_frame_finish`. Returns the packet when it goes up the
    /// stack on the bridge device (the caller routes it; PREROUTING already
    /// ran when [`BrInfo::prerouted`]).
    pub(super) fn br_handle_frame<'a, S: TraceSink>(
        &mut self,
        mut p: Pkt<'a>,
        port: usize,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Option<Pkt<'a>> {
        let dst_mac = self.frame_dst(port, p.primary);
        let b = self.br.port_bridge(port)?;
        // br_fdb_update: the source MAC is the port's peer.
        if let Some(k) = self.br.list[b].ports.iter().position(|&d| d == port) {
            self.br.list[b].learnt[k] = Some(now);
        }
        if dst_mac[0] & 1 != 0 {
            let why = "a broadcast or multicast frame on a bridge port (flooding with local delivery, IGMP/MLD snooping) is not modelled";
            return self.br_unsupported(&p, out, why);
        }
        let call = match p.family {
            Family::Ipv4 => self.br.call_iptables,
            Family::Ipv6 => self.br.call_ip6tables,
        };
        let bdev = self.br.list[b].dev;
        p.in_dev = bdev;
        p.br = Some(BrInfo {
            physin: port,
            physout: 0,
            dst_mac,
            nf: call,
            prerouted: call,
        });
        let mut dst_mac = dst_mac;
        if call {
            // br_nf_pre_routing: the IPv4/IPv6 PREROUTING hooks with
            // in = the bridge, physindev = the port.
            let (_, before) = addrs(p.family, p.buf);
            if let Step::Stop = self.defrag_raw_conntrack(Hook::PreRouting, &mut p, now, out, sink)
            {
                return None;
            }
            if let Step::Stop = self.mangle_nat(Hook::PreRouting, &mut p, now, out, sink) {
                return None;
            }
            // br_nf_pre_routing_finish: a changed destination is routed
            // again; unless the route is the bridge itself the frame is
            // readdressed to the bridge (up the stack), else bridged to the
            // new destination's neighbour (`bridged_dnat`).
            let (_, after) = addrs(p.family, p.buf);
            if after != before {
                let fib = self.stack.conf.fib(p.family);
                match fib.lookup(after) {
                    // ip_route_input / ip6_route_input fails: kfree_skb,
                    // no ICMP error.
                    None => {
                        self.drop_for(&p, out, DropReason::NoRoute);
                        return None;
                    }
                    Some(super::RouteKind::Unicast { dev, via }) if dev == bdev => {
                        let hop = via.unwrap_or(after);
                        match self.br_neighbour(b, hop) {
                            Some(m) => dst_mac = m,
                            None => {
                                return self.br_unsupported(&p, out, NO_NEIGHBOUR);
                            }
                        }
                    }
                    _ => dst_mac = self.br.list[b].mac,
                }
                if let Some(i) = p.br.as_mut() {
                    i.dst_mac = dst_mac;
                }
            }
        }
        // br_handle_frame_finish: the FDB.
        let own = |d: usize| self.stack.conf.devs[d].mac;
        let dest = if dst_mac == self.br.list[b].mac || dst_mac == own(port) {
            Dest::Up
        } else if self.br.list[b].ports.iter().any(|&d| own(d) == dst_mac) {
            let why = "a frame for another bridge port's own MAC (PACKET_OTHERHOST up the stack) is not modelled";
            return self.br_unsupported(&p, out, why);
        } else {
            match self.br_fdb_find(b, dst_mac, now) {
                Some(q) if q == port => Dest::Nowhere,
                Some(q) => Dest::Port(q),
                None => Dest::Flood,
            }
        };
        match dest {
            Dest::Up => return Some(p),
            Dest::Nowhere => self.drop_for(&p, out, DropReason::BridgeNotDelivered),
            Dest::Port(q) => self.br_forward(p, q, now, out, sink),
            Dest::Flood => {
                // br_flood: a clone for every port but the last, which
                // takes the frame itself.
                let n = self.br.list[b].ports.len();
                let last = (0..n).rev().find(|&k| self.br.list[b].ports[k] != port);
                let Some(last) = last else {
                    self.drop_for(&p, out, DropReason::BridgeNotDelivered);
                    return None;
                };
                for k in 0..last {
                    let q = self.br.list[b].ports[k];
                    if q == port {
                        continue;
                    }
                    self.stack.io.queue.push(p.buf, JobKind::Tx, p.slot, p.mark);
                    let Some(job) = self.stack.io.queue.pop_back() else {
                        continue;
                    };
                    let mut buf = job.buf;
                    let mut c = Pkt::new(
                        (p.family, p.f),
                        &mut buf,
                        p.meta,
                        (p.slot, p.mark),
                        (p.csum_partial, p.primary),
                    );
                    c.in_dev = p.in_dev;
                    c.received = p.received;
                    c.br = p.br;
                    c.csum_sw = p.csum_sw;
                    self.br_forward(c, q, now, out, sink);
                    self.stack.io.queue.give_buf(buf);
                }
                let q = self.br.list[b].ports[last];
                self.br_forward(p, q, now, out, sink);
            }
        }
        None
    }

    /// `br_forward` → `__br_forward` to port `q`: with br_netfilter,
    /// FORWARD (`br_nf_forward_ip`) and POSTROUTING (`br_nf_post_routing`),
    /// then out of the port.
    fn br_forward<S: TraceSink>(
        &mut self,
        mut p: Pkt<'_>,
        q: usize,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        let nf = p.br.is_some_and(|b| b.nf);
        if nf && p.frag_max_size > 0 && p.buf.len() > p.frag_max_size {
            let why = "a bridged datagram reassembled by conntrack (br_nf_dev_queue_xmit refragments it) is not modelled";
            self.br_unsupported::<()>(&p, out, why);
            return;
        }
        if nf {
            if let Some(i) = p.br.as_mut() {
                i.physout = q;
            }
            // FORWARD: in = out = the bridge.
            p.out_dev = Some(p.in_dev);
            let tables = [TableKind::Mangle, TableKind::Filter, TableKind::Security];
            if let Step::Stop = self.hook_tables(Hook::Forward, &tables, &mut p, now, out, sink) {
                return self.dropped(&p);
            }
            // POSTROUTING: no input device, no link-layer header for LOG.
            p.received = false;
            if let Step::Stop = self.mangle_nat(Hook::PostRouting, &mut p, now, out, sink) {
                return;
            }
            if let Step::Stop = self.confirm(&mut p, now, out) {
                return;
            }
            p.received = true;
        }
        settle(&p, out, Disposition::Forwarded { dev: q });
        out.push_emitted(q, p.buf);
    }

    /// `br_dev_xmit` (br_device.c): a packet the host routed out of bridge
    /// device `odev` after its POSTROUTING: the next hop's MAC from the
    /// bridge's neighbours, then the FDB.
    pub(super) fn br_dev_xmit(
        &mut self,
        p: &Pkt<'_>,
        odev: usize,
        now: Instant,
        out: &mut Outcome,
    ) {
        let Some(b) = self.br.bridge(odev) else {
            return;
        };
        if p.family == Family::Ipv4 && p.frag_max_size > 0 && p.buf.len() > p.frag_max_size {
            let why = "a reassembled datagram leaving a bridge in fragments is not modelled";
            self.br_unsupported::<()>(p, out, why);
            return;
        }
        let (_, dst) = addrs(p.family, p.buf);
        let hop = match self.stack.conf.fib(p.family).lookup(dst) {
            Some(super::RouteKind::Unicast { via: Some(g), .. }) => g,
            _ => dst,
        };
        let multicast = match dst {
            IpAddr::V4(a) => {
                a.is_multicast() || a.is_broadcast() || self.stack.conf.fib4.is_broadcast(dst)
            }
            IpAddr::V6(a) => a.is_multicast(),
        };
        if multicast {
            let why = "a broadcast or multicast packet sent through a bridge is not modelled";
            self.br_unsupported::<()>(p, out, why);
            return;
        }
        let Some(mac) = self.br_neighbour(b, hop) else {
            self.br_unsupported::<()>(p, out, NO_NEIGHBOUR);
            return;
        };
        if mac == self.br.list[b].mac {
            return self.drop_for(p, out, DropReason::BridgeNotDelivered);
        }
        match self.br_fdb_find(b, mac, now) {
            Some(q) => {
                settle(p, out, left_by(p, q));
                out.push_emitted(q, p.buf);
            }
            None => {
                for k in 0..self.br.list[b].ports.len() {
                    let q = self.br.list[b].ports[k];
                    settle(p, out, left_by(p, q));
                    out.push_emitted(q, p.buf);
                }
            }
        }
    }

    /// `br_fdb_find`: the port a learnt MAC is on, while not aged out.
    fn br_fdb_find(&self, b: usize, mac: [u8; 6], now: Instant) -> Option<usize> {
        let br = &self.br.list[b];
        br.ports
            .iter()
            .zip(&br.learnt)
            .find(|(&d, seen)| {
                self.stack.conf.devs[d].peer_mac == mac
                    && seen.is_some_and(|t| now.saturating_since(t) < AGEING)
            })
            .map(|(&d, _)| d)
    }

    /// The bridge's permanent neighbour entry for `addr`.
    fn br_neighbour(&self, b: usize, addr: IpAddr) -> Option<[u8; 6]> {
        self.br.list[b]
            .neighbours
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, m)| *m)
    }

    fn br_unsupported<T>(
        &mut self,
        p: &Pkt<'_>,
        out: &mut Outcome,
        why: &'static str,
    ) -> Option<T> {
        out.unsupported = Some(why);
        settle(p, out, Disposition::Unsupported(why));
        self.dropped(p);
        None
    }

    /// A frame on a bridge port whose IP header fails `ip_rcv`'s checks:
    /// refused (br_validate_ipv4 / br_validate_ipv6 check a little less,
    /// and a bridge without br_netfilter forwards such frames as they are).
    /// `true` when `dev` is a port and the frame was refused.
    pub(super) fn br_bad_header(&mut self, dev: usize, primary: bool, out: &mut Outcome) -> bool {
        if self.br.port_bridge(dev).is_none() {
            return false;
        }
        self.br.next_dst = None;
        if primary {
            let why =
                "a frame on a bridge port whose IP header fails ip_rcv's checks is not modelled";
            out.unsupported = Some(why);
            out.set_disposition(Disposition::Unsupported(why));
        }
        true
    }

    /// A frame received on a device: `Some(p)` when the IP stack takes it
    /// on (`p.in_dev` the bridge when it came through one), `None` when
    /// the bridge took it.
    pub(super) fn br_input<'a, S: TraceSink>(
        &mut self,
        p: Pkt<'a>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Option<Pkt<'a>> {
        if self.br.next_dst.is_none() && !self.br.any() {
            return Some(p);
        }
        if !p.received {
            // A looped-back broadcast: no frame, no bridge.
            return Some(p);
        }
        if self.br.port_bridge(p.in_dev).is_some() {
            let port = p.in_dev;
            return self.br_handle_frame(p, port, now, out, sink);
        }
        if self.br.bridge(p.in_dev).is_some() {
            let why =
                "a frame received on a bridge device itself (not through a port) is not modelled";
            return self.br_unsupported(&p, out, why);
        }
        // A frame on an ordinary device: eth_type_trans sets pkt_type from
        // its destination; ip_rcv_core drops PACKET_OTHERHOST before any
        // hook.
        let own = self.stack.conf.devs[p.in_dev].mac;
        match self.br.next_dst.take() {
            Some(m) if p.primary && m != own => {
                if m[0] & 1 != 0 {
                    let why = "a broadcast or multicast Ethernet destination is not modelled";
                    return self.br_unsupported(&p, out, why);
                }
                settle(&p, out, super::dropped_by(DropReason::OtherHost));
                self.dropped(&p);
                None
            }
            _ => Some(p),
        }
    }
}

const NO_NEIGHBOUR: &str = "a next hop on a bridge without a permanent neighbour entry (ARP / ND resolution) is not modelled";

#[cfg(test)]
mod tests {
    use super::BridgeConfig;
    use crate::engine::NoTrace;
    use crate::host::{Disposition, Host, HostConfig, HostError, InterfaceConfig, Outcome};
    use crate::model::{Family, Ruleset};
    use crate::time::Instant;
    use crate::wire::PacketBuilder;

    const BR_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x10];

    fn port(n: &str, k: u8) -> InterfaceConfig {
        InterfaceConfig {
            name: n.into(),
            mac: [2, 0, 0, 0, 0, 0x20 + k],
            addrs: vec![],
            peer_mac: [2, 0, 0, 0, 1, 0x10 + k],
        }
    }

    fn cfg() -> HostConfig {
        let mut br = BridgeConfig::new("br0", BR_MAC, &["veth0", "veth1", "veth2"])
            .with_addr("172.17.0.1/16")
            .unwrap();
        br.neighbours
            .push(("172.17.0.3".parse().unwrap(), [2, 0, 0, 0, 1, 0x11]));
        HostConfig::default()
            .interface(port("veth0", 0))
            .interface(port("veth1", 1))
            .interface(port("veth2", 2))
            .bridge(br)
    }

    fn host(cfg: &HostConfig) -> Result<Host, HostError> {
        Host::new(
            cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
    }

    fn udp(src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
        PacketBuilder::ipv4(src.into(), dst.into())
            .udp(1000, 53)
            .build()
    }

    fn devs(h: &Host, out: &Outcome) -> Vec<String> {
        let mut v: Vec<String> = out
            .emitted()
            .map(|(d, _)| h.device(d).unwrap().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn bad_bridges_are_refused() {
        let msg = |c: HostConfig| match host(&c) {
            Err(HostError::Config { field, message }) => format!("{field}: {message}"),
            other => panic!("{other:?}"),
        };
        let mut c = cfg();
        c.bridges[0].ports.push("eth9".into());
        assert!(msg(c).contains("no interface eth9"));
        let mut c = cfg();
        c.bridges[0].ports.push("veth0".into());
        assert!(msg(c).contains("a port of a bridge already"));
        let mut c = cfg();
        c.interfaces[0].addrs.push("192.0.2.1/24".parse().unwrap());
        assert!(msg(c).contains("addresses on a bridge port are not modelled"));
        let mut c = cfg();
        c.bridges[0].name = "veth1".into();
        assert!(msg(c).contains("exists already"));
        let mut c = cfg();
        c.bridges[0].name = "a/b".into();
        assert!(msg(c).contains("dev_valid_name"));
        let mut c = cfg();
        c.bridges
            .push(BridgeConfig::new("br1", [2, 0, 0, 0, 0, 0x11], &["veth2"]));
        assert!(msg(c).contains("a port of a bridge already"));
        assert!(BridgeConfig::new("br0", BR_MAC, &[])
            .with_addr("x")
            .is_err());
    }

    #[test]
    fn fdb_learns_floods_and_ages() {
        let mut h = host(&cfg()).unwrap();
        let mut out = Outcome::default();
        let to_b = [2, 0, 0, 0, 1, 0x11];
        let pkt = udp([172, 17, 0, 2], [172, 17, 0, 3]);
        // veth1's peer unknown: flooded to veth1 and veth2.
        h.receive_frame(1, to_b, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
        assert_eq!(devs(&h, &out), ["veth1", "veth2"]);
        // veth1's peer speaks: learnt.
        let back = udp([172, 17, 0, 3], [172, 17, 0, 2]);
        let t1 = Instant::from_millis(10);
        h.receive_frame(2, [2, 0, 0, 0, 1, 0x10], &back, t1, &mut out, &mut NoTrace);
        assert_eq!(devs(&h, &out), ["veth0"]);
        h.receive_frame(
            1,
            to_b,
            &pkt,
            Instant::from_millis(20),
            &mut out,
            &mut NoTrace,
        );
        assert_eq!(devs(&h, &out), ["veth1"]);
        // Not sent back to the port it came from.
        h.receive_frame(
            2,
            to_b,
            &pkt,
            Instant::from_millis(30),
            &mut out,
            &mut NoTrace,
        );
        assert_eq!(out.emitted().count(), 0);
        assert!(matches!(out.disposition(), Disposition::Dropped { .. }));
        // 300 s after veth1's peer last spoke (the frame at 30 ms): forgotten,
        // flooded again.
        let late = Instant::from_millis(30 + 300_000);
        h.receive_frame(1, to_b, &pkt, late, &mut out, &mut NoTrace);
        assert_eq!(devs(&h, &out), ["veth1", "veth2"]);
    }

    #[test]
    fn unmodelled_cases_are_refused() {
        let mut h = host(&cfg()).unwrap();
        let mut out = Outcome::default();
        let pkt = udp([172, 17, 0, 2], [172, 17, 0, 255]);
        h.receive_frame(1, [0xff; 6], &pkt, Instant::ZERO, &mut out, &mut NoTrace);
        assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
        // On the bridge device itself.
        let br0 = h.device_index("br0").unwrap();
        h.receive(
            br0,
            &udp([172, 17, 0, 2], [172, 17, 0, 1]),
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
        // A next hop without a neighbour entry.
        h.send(
            &udp([172, 17, 0, 1], [172, 17, 0, 9]),
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
        assert_eq!(out.emitted().count(), 0);
        // One with: flooded (its MAC not learnt yet).
        h.send(
            &udp([172, 17, 0, 1], [172, 17, 0, 3]),
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert_eq!(devs(&h, &out), ["veth0", "veth1", "veth2"]);
        // A frame for the receiving port's own MAC goes up (local).
        let own = [2, 0, 0, 0, 0, 0x20];
        h.receive_frame(
            1,
            own,
            &udp([172, 17, 0, 2], [172, 17, 0, 1]),
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(out.local);
    }

    #[test]
    fn bridge_sysctls() {
        let c = cfg()
            .sysctl("net.bridge.bridge-nf-call-iptables".parse().unwrap(), 0)
            .sysctl(
                "net.bridge.bridge-nf-filter-vlan-tagged".parse().unwrap(),
                1,
            );
        let h = host(&c).unwrap();
        assert!(!h.br.call_iptables && h.br.call_ip6tables);
        assert!("net.bridge.bridge-nf-call-iptablez"
            .parse::<crate::host::Sysctl>()
            .is_err());
    }
}

#[cfg(test)]
mod more_tests {
    use super::BridgeConfig;
    use crate::engine::NoTrace;
    use crate::host::{Disposition, Host, HostConfig, InterfaceConfig, Outcome};
    use crate::model::{Family, Ruleset};
    use crate::syntax::{parse_restore, RestoreOptions};
    use crate::time::Instant;
    use crate::wire::PacketBuilder;

    /// A bad IP header on a port is refused; a DNAT'd bridged frame
    /// whose new destination has no route is dropped without an ICMP
    /// error (br_nf_pre_routing_finish: kfree_skb).
    #[test]
    fn bad_headers_and_unroutable_dnat() {
        let port = |n: &str, k: u8| InterfaceConfig {
            name: n.into(),
            mac: [2, 0, 0, 0, 0, 0x20 + k],
            addrs: vec![],
            peer_mac: [2, 0, 0, 0, 1, 0x10 + k],
        };
        let cfg = HostConfig::default()
            .interface(port("veth0", 0))
            .interface(port("veth1", 1))
            .bridge(
                BridgeConfig::new("br0", [2, 0, 0, 0, 0, 0x10], &["veth0", "veth1"])
                    .with_addr("172.17.0.1/16")
                    .unwrap(),
            );
        let v4 = parse_restore(
            "*nat\n-A PREROUTING -p udp --dport 7 -j DNAT --to-destination 203.0.113.9\nCOMMIT\n",
            &RestoreOptions::new(Family::Ipv4),
        )
        .unwrap();
        let mut h = Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).unwrap();
        let mut out = Outcome::default();
        let mut bad = PacketBuilder::ipv4([172, 17, 0, 2].into(), [172, 17, 0, 3].into())
            .udp(1, 53)
            .build();
        bad[10] ^= 0xff;
        h.receive_frame(
            1,
            [2, 0, 0, 0, 1, 0x11],
            &bad,
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
        let pkt = PacketBuilder::ipv4([172, 17, 0, 2].into(), [172, 17, 0, 3].into())
            .udp(1, 7)
            .build();
        h.receive_frame(
            1,
            [2, 0, 0, 0, 1, 0x11],
            &pkt,
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(matches!(out.disposition(), Disposition::Dropped { .. }));
        assert_eq!(out.emitted().count(), 0);
    }
}

#[cfg(test)]
mod frame_tests {
    use crate::engine::NoTrace;
    use crate::host::{Disposition, DropReason, Host, HostConfig, InterfaceConfig, Outcome};
    use crate::model::{Family, Ruleset};
    use crate::time::Instant;
    use crate::wire::PacketBuilder;

    /// On a device that is not a bridge port, a frame for another MAC is
    /// dropped before PREROUTING; one for the device's own MAC is
    /// received as usual.
    #[test]
    fn other_host_frames() {
        let itf = InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap();
        let own = itf.mac;
        let cfg = HostConfig::default().interface(itf);
        let mut h = Host::new(
            &cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
        .unwrap();
        let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
            .udp(1, 53)
            .build();
        let mut out = Outcome::default();
        h.receive_frame(
            1,
            [2, 9, 9, 9, 9, 9],
            &pkt,
            Instant::ZERO,
            &mut out,
            &mut NoTrace,
        );
        assert!(matches!(
            out.disposition(),
            Disposition::Dropped {
                reason: DropReason::OtherHost,
                ..
            }
        ));
        h.receive_frame(1, own, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
        assert!(out.local);
        h.receive_frame(1, [0xff; 6], &pkt, Instant::ZERO, &mut out, &mut NoTrace);
        assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
        // The next plain receive is addressed to the device again.
        h.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
        assert!(out.local);
    }
}
