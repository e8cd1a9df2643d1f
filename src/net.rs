//! Networks of hosts on one virtual clock: hosts joined by links, device to
//! device, with latency and seeded loss; what a host emits on a linked
//! device arrives at the other end after the link's latency, in time order.
//!
//! Sans-IO and deterministic: nothing reads a clock, events at the same
//! instant run in the order they were scheduled, and loss comes from a
//! seeded generator, so the same seed and inputs give the same run. Hosts
//! share nothing but links. After warm-up no heap allocation happens per
//! packet: packet buffers come from a pool and the event queue keeps its
//! capacity (taps, which keep what they record, are the exception, and
//! only when added).
//!
//! ```
//! use nfsim::host::{Host, HostConfig, InterfaceConfig};
//! use nfsim::model::{Family, Ruleset};
//! use nfsim::net::{LinkConfig, Network};
//! use nfsim::time::{Duration, Instant};
//!
//! let itf = |name: &str, addr: &str, mac: u8| InterfaceConfig {
//!     name: name.into(),
//!     mac: [2, 0, 0, 0, 0, mac],
//!     addrs: vec![addr.parse().unwrap()],
//!     peer_mac: [2, 0, 0, 0, 1, mac],
//! };
//! let host = |itfs| {
//!     let cfg = HostConfig { interfaces: itfs, ..HostConfig::default() };
//!     Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap()
//! };
//! let mut net = Network::new(7);
//! let a = net.add_host(host(vec![itf("eth0", "192.0.2.1/24", 1)]));
//! let b = net.add_host(host(vec![itf("eth0", "192.0.2.2/24", 2)]));
//! let link = net
//!     .connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5)))
//!     .unwrap();
//! let tap = net.tap(link);
//! // 192.0.2.1 -> 192.0.2.2, UDP 40000 -> 53, sent by `a` at t = 0.
//! let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into())
//!     .udp(40000, 53)
//!     .payload(b"x")
//!     .build();
//! net.send(a, &udp, Instant::ZERO);
//! net.run_until(Instant::from_millis(10));
//! let seen = net.tap_records(tap);
//! assert_eq!(seen.len(), 1);
//! assert_eq!(seen[0].at, Instant::from_millis(5));
//! assert!(net.last_delivery(b).is_some_and(|d| d.local));
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::engine::NoTrace;
use crate::host::{Host, Outcome};
use crate::time::{Duration, Instant};

/// A host of a [`Network`] (its index, in the order hosts were added).
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// assert_eq!((a, b), (HostId(0), HostId(1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// A link of a [`Network`].
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// assert_eq!(link, LinkId(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// A tap on a link (see [`Network::tap`]).
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// let t = net.tap(link);
/// net.send(a, &udp, Instant::ZERO);
/// net.run(10);
/// assert_eq!(net.tap_records(t).len(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TapId(pub u32);

/// How a link carries packets.
///
/// ```
/// use nfsim::net::LinkConfig;
/// use nfsim::time::Duration;
/// let l = LinkConfig::latency(Duration::from_millis(20)).with_loss_per_million(10_000);
/// assert_eq!(l.loss_per_million, 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkConfig {
    /// One-way delay, the same both ways.
    pub latency: Duration,
    /// Packets lost per million, drawn from the network's seeded generator.
    pub loss_per_million: u32,
}

impl LinkConfig {
    /// A lossless link with this one-way delay.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert_eq!(LinkConfig::latency(Duration::from_millis(3)).loss_per_million, 0);
    /// ```
    pub fn latency(latency: Duration) -> Self {
        LinkConfig {
            latency,
            loss_per_million: 0,
        }
    }
    /// The same link, losing `ppm` packets per million (capped at all).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let l = LinkConfig::latency(Duration::ZERO).with_loss_per_million(1_000_000);
    /// let link = net.connect((a, "eth0"), (b, "eth0"), l);
    /// assert!(link.is_err()); // eth0 is linked already
    /// assert_eq!(LinkConfig::latency(Duration::ZERO).with_loss_per_million(5).loss_per_million, 5);
    /// ```
    pub fn with_loss_per_million(mut self, ppm: u32) -> Self {
        self.loss_per_million = ppm.min(1_000_000);
        self
    }
}

/// Why a network cannot be wired as asked.
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// let e = net.connect((a, "lo"), (b, "eth1"), LinkConfig::latency(Duration::ZERO)).unwrap_err();
/// assert!(matches!(e, NetError::Loopback(h) if h == a));
/// assert!(matches!(net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::ZERO)), Err(NetError::DeviceInUse(..))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetError {
    /// No host with this id.
    NoHost(HostId),
    /// The host has no device of that name.
    NoDevice(HostId, String),
    /// The device is the host's loopback, which no link can join.
    Loopback(HostId),
    /// The device is already an end of another link.
    DeviceInUse(HostId, String),
}

impl core::fmt::Display for NetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NetError::NoHost(h) => write!(f, "no host {}", h.0),
            NetError::NoDevice(h, d) => write!(f, "host {} has no device {d}", h.0),
            NetError::Loopback(h) => write!(f, "host {}: lo cannot be linked", h.0),
            NetError::DeviceInUse(h, d) => write!(f, "host {}: {d} is already linked", h.0),
        }
    }
}

impl std::error::Error for NetError {}

/// What a tap saw cross its link.
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// let t = net.tap(link);
/// net.send(a, &udp, Instant::ZERO);
/// net.run(10);
/// let r = &net.tap_records(t)[0];
/// assert_eq!((r.at, r.from, r.to, r.lost), (Instant::from_millis(5), (a, 1), (b, 1), false));
/// assert_eq!(r.bytes, udp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapRecord {
    /// When the packet reached the far end (sent at `at - latency`).
    pub at: Instant,
    /// The host and device it left.
    pub from: (HostId, usize),
    /// The host and device it reached (or would have, when `lost`).
    pub to: (HostId, usize),
    /// Lost on the link.
    pub lost: bool,
    /// The packet, from the IP header on.
    pub bytes: Vec<u8>,
}

/// What became of the last packet a host was given (see
/// [`Network::last_delivery`]).
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// net.send(a, &udp, Instant::ZERO);
/// net.run(10);
/// let d = net.last_delivery(b).unwrap();
/// assert_eq!((d.at, d.dev, d.local), (Instant::from_millis(5), Some(1), true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// When.
    pub at: Instant,
    /// The device it arrived on (`None`: sent by the host itself).
    pub dev: Option<usize>,
    /// Delivered to the host's own stack.
    pub local: bool,
    /// How many packets the host emitted in answer.
    pub emitted: usize,
}

#[derive(Debug, Clone, Copy)]
struct End {
    host: HostId,
    dev: usize,
}

#[derive(Debug, Clone)]
struct Link {
    ends: [End; 2],
    cfg: LinkConfig,
    taps: Vec<TapId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: Instant,
    seq: u64,
    host: u32,
    /// `usize::MAX`: sent by the host itself.
    dev: usize,
    buf: usize,
}

/// Hosts, links and one clock. See the module documentation.
///
/// ```
/// # use nfsim::prelude::*;
/// # use nfsim::net::*;
/// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
/// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// let mut net = Network::new(1);
/// let a = net.add_host(h("192.0.2.1/24"));
/// let b = net.add_host(h("192.0.2.2/24"));
/// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
/// net.send(a, &udp, Instant::ZERO);
/// assert_eq!(net.run_until(Instant::from_millis(10)), 2);
/// assert_eq!(net.counters(), (1, 0));
/// ```
#[derive(Debug)]
pub struct Network {
    hosts: Vec<Host>,
    last: Vec<Option<Delivery>>,
    links: Vec<Link>,
    /// Per host, per device: the link and side it is an end of.
    ends: Vec<Vec<Option<(LinkId, usize)>>>,
    taps: Vec<Vec<TapRecord>>,
    queue: BinaryHeap<Reverse<Event>>,
    bufs: Vec<Vec<u8>>,
    free: Vec<usize>,
    seq: u64,
    now: Instant,
    /// SplitMix64 state (link loss).
    rng: u64,
    out: Outcome,
    delivered: u64,
    lost: u64,
    unlinked: u64,
}

impl Network {
    /// An empty network; `seed` drives link loss.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert_eq!(net.now(), Instant::ZERO);
    /// ```
    pub fn new(seed: u64) -> Self {
        Network {
            hosts: Vec::new(),
            last: Vec::new(),
            links: Vec::new(),
            ends: Vec::new(),
            taps: Vec::new(),
            queue: BinaryHeap::with_capacity(64),
            bufs: Vec::new(),
            free: Vec::new(),
            seq: 0,
            now: Instant::ZERO,
            rng: seed,
            out: Outcome::default(),
            delivered: 0,
            lost: 0,
            unlinked: 0,
        }
    }

    /// Adds a host; its devices start unlinked (what it emits on them is
    /// counted as lost to nowhere, see [`Network::unlinked`]).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let c = net.add_host(h("192.0.2.3/24"));
    /// assert_eq!(c, HostId(2));
    /// ```
    pub fn add_host(&mut self, host: Host) -> HostId {
        let n = (0..).take_while(|i| host.device(*i).is_some()).count();
        self.hosts.push(host);
        self.last.push(None);
        self.ends.push(vec![None; n]);
        HostId((self.hosts.len() - 1) as u32)
    }

    /// The host `id`.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert_eq!(net.host(a).unwrap().device(1), Some("eth0"));
    /// assert!(net.host(HostId(9)).is_none());
    /// ```
    pub fn host(&self, id: HostId) -> Option<&Host> {
        self.hosts.get(id.0 as usize)
    }

    /// The host `id`, to change (or read its tables).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let host = net.host_mut(b).unwrap();
    /// assert_eq!(host.conntrack().count(), 0);
    /// ```
    pub fn host_mut(&mut self, id: HostId) -> Option<&mut Host> {
        self.hosts.get_mut(id.0 as usize)
    }

    fn end(&self, (host, dev): (HostId, &str)) -> Result<End, NetError> {
        let h = self.host(host).ok_or(NetError::NoHost(host))?;
        let d = h
            .device_index(dev)
            .ok_or_else(|| NetError::NoDevice(host, dev.into()))?;
        if d == 0 {
            return Err(NetError::Loopback(host));
        }
        if self.ends[host.0 as usize][d].is_some() {
            return Err(NetError::DeviceInUse(host, dev.into()));
        }
        Ok(End { host, dev: d })
    }

    /// Joins two devices with a link.
    ///
    /// # Errors
    /// An unknown host or device, `lo`, or a device already linked.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert!(net.connect((a, "eth9"), (b, "eth0"), LinkConfig::latency(Duration::ZERO)).is_err());
    /// ```
    pub fn connect(
        &mut self,
        a: (HostId, &str),
        b: (HostId, &str),
        cfg: LinkConfig,
    ) -> Result<LinkId, NetError> {
        let ea = self.end(a)?;
        let eb = self.end(b)?;
        if ea.host == eb.host && ea.dev == eb.dev {
            return Err(NetError::DeviceInUse(b.0, b.1.into()));
        }
        let id = LinkId(self.links.len() as u32);
        self.links.push(Link {
            ends: [ea, eb],
            cfg,
            taps: Vec::new(),
        });
        self.ends[ea.host.0 as usize][ea.dev] = Some((id, 0));
        self.ends[eb.host.0 as usize][eb.dev] = Some((id, 1));
        Ok(id)
    }

    /// Records every packet that crosses `link` from now on, both ways,
    /// lost ones included (their bytes are kept, so a tap allocates).
    ///
    /// # Panics
    /// Never: an unknown link gives a tap that records nothing.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let t = net.tap(link);
    /// net.send(b, &PacketBuilder::ipv4([192, 0, 2, 2].into(), [192, 0, 2, 1].into()).udp(53, 40000).build(), Instant::ZERO);
    /// net.run(10);
    /// assert_eq!(net.tap_records(t)[0].from, (b, 1));
    /// ```
    pub fn tap(&mut self, link: LinkId) -> TapId {
        let id = TapId(self.taps.len() as u32);
        self.taps.push(Vec::new());
        if let Some(l) = self.links.get_mut(link.0 as usize) {
            l.taps.push(id);
        }
        id
    }

    /// What a tap recorded, in time order.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let t = net.tap(link);
    /// net.send(a, &udp, Instant::ZERO);
    /// net.send(a, &udp, Instant::from_millis(1));
    /// net.run(10);
    /// let at: Vec<_> = net.tap_records(t).iter().map(|r| r.at).collect();
    /// assert_eq!(at, [Instant::from_millis(5), Instant::from_millis(6)]);
    /// ```
    pub fn tap_records(&self, tap: TapId) -> &[TapRecord] {
        self.taps.get(tap.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// The network's clock: the time of the last event run.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::ZERO);
    /// net.step();
    /// net.step();
    /// assert_eq!(net.now(), Instant::from_millis(5));
    /// ```
    pub fn now(&self) -> Instant {
        self.now
    }

    /// What became of the last packet host `id` was given.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert!(net.last_delivery(b).is_none());
    /// net.send(a, &udp, Instant::ZERO);
    /// net.run(10);
    /// assert!(net.last_delivery(b).unwrap().local);
    /// ```
    pub fn last_delivery(&self, id: HostId) -> Option<Delivery> {
        self.last.get(id.0 as usize).copied().flatten()
    }

    /// Packets delivered over links, and packets lost on them (loss, or
    /// emitted on a device no link joins).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::ZERO);
    /// net.run(10);
    /// assert_eq!(net.counters(), (1, 0));
    /// ```
    pub fn counters(&self) -> (u64, u64) {
        (self.delivered, self.lost)
    }

    fn schedule(&mut self, at: Instant, host: HostId, dev: usize, pkt: &[u8]) {
        let buf = match self.free.pop() {
            Some(i) => i,
            None => {
                self.bufs.push(Vec::with_capacity(2048));
                self.bufs.len() - 1
            }
        };
        self.bufs[buf].clear();
        self.bufs[buf].extend_from_slice(pkt);
        self.seq += 1;
        self.queue.push(Reverse(Event {
            at,
            seq: self.seq,
            host: host.0,
            dev,
            buf,
        }));
    }

    /// Host `host` sends `pkt` (from the IP header on) at `at`, as
    /// [`Host::send`]. An instant before the clock runs at the clock.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::from_millis(2));
    /// assert_eq!(net.next_at(), Some(Instant::from_millis(2)));
    /// ```
    pub fn send(&mut self, host: HostId, pkt: &[u8], at: Instant) {
        self.schedule(at.max(self.now), host, usize::MAX, pkt);
    }

    /// `pkt` arrives at `at` on device `dev` of `host` from outside the
    /// network, as [`Host::receive`].
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let from_outside = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 2].into()).udp(1, 2).build();
    /// net.inject(b, 1, &from_outside, Instant::ZERO);
    /// net.run(1);
    /// assert!(net.last_delivery(b).unwrap().local);
    /// ```
    pub fn inject(&mut self, host: HostId, dev: usize, pkt: &[u8], at: Instant) {
        self.schedule(at.max(self.now), host, dev, pkt);
    }

    /// When the next event is due, if any.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// assert_eq!(net.next_at(), None);
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.next_at(), Some(Instant::ZERO));
    /// ```
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|e| e.0.at)
    }

    /// Runs the next event: the host takes the packet; what it emits on
    /// linked devices is scheduled at the far ends. Returns its time.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.step(), Some(Instant::ZERO)); // a sends
    /// assert_eq!(net.step(), Some(Instant::from_millis(5))); // b receives
    /// assert_eq!(net.step(), None);
    /// ```
    pub fn step(&mut self) -> Option<Instant> {
        let Reverse(ev) = self.queue.pop()?;
        self.now = ev.at;
        let hi = ev.host as usize;
        let buf = std::mem::take(&mut self.bufs[ev.buf]);
        if let Some(h) = self.hosts.get_mut(hi) {
            if ev.dev == usize::MAX {
                h.send(&buf, ev.at, &mut self.out, &mut NoTrace);
            } else if h.device(ev.dev).is_some() {
                h.receive(ev.dev, &buf, ev.at, &mut self.out, &mut NoTrace);
            } else {
                self.out.clear();
            }
        }
        self.bufs[ev.buf] = buf;
        self.free.push(ev.buf);
        self.last[hi] = Some(Delivery {
            at: ev.at,
            dev: (ev.dev != usize::MAX).then_some(ev.dev),
            local: self.out.local,
            emitted: self.out.emitted().count(),
        });
        let out = std::mem::take(&mut self.out);
        for (dev, bytes) in out.emitted() {
            let Some((link, side)) = self.ends[hi].get(dev).copied().flatten() else {
                self.lost += 1;
                self.unlinked += 1;
                continue;
            };
            let l = &self.links[link.0 as usize];
            let far = l.ends[1 - side];
            let at = ev.at + l.cfg.latency;
            let lost = l.cfg.loss_per_million > 0
                && splitmix64(&mut self.rng) % 1_000_000 < u64::from(l.cfg.loss_per_million);
            for t in &l.taps {
                self.taps[t.0 as usize].push(TapRecord {
                    at,
                    from: (HostId(ev.host), dev),
                    to: (far.host, far.dev),
                    lost,
                    bytes: bytes.to_vec(),
                });
            }
            if lost {
                self.lost += 1;
            } else {
                self.delivered += 1;
                self.schedule(at, far.host, far.dev, bytes);
            }
        }
        self.out = out;
        Some(ev.at)
    }

    /// Runs every event due up to and including `t`, then sets the clock to
    /// `t`. Returns how many events ran.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.run_until(Instant::from_millis(4)), 1);
    /// assert_eq!(net.now(), Instant::from_millis(4));
    /// assert_eq!(net.run_until(Instant::from_millis(5)), 1);
    /// ```
    pub fn run_until(&mut self, t: Instant) -> usize {
        let mut n = 0;
        while self.next_at().is_some_and(|a| a <= t) {
            self.step();
            n += 1;
        }
        self.now = self.now.max(t);
        n
    }

    /// Runs until no event is left or `max_events` ran. Returns how many ran.
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.run(1), 1);
    /// assert_eq!(net.run(100), 1);
    /// ```
    pub fn run(&mut self, max_events: usize) -> usize {
        let mut n = 0;
        while n < max_events && self.step().is_some() {
            n += 1;
        }
        n
    }

    /// Packets emitted on devices no link joins, so far (part of
    /// [`Network::counters`]' lost count).
    ///
    /// ```
    /// # use nfsim::prelude::*;
    /// # use nfsim::net::*;
    /// # let h = |a: &str| Host::new(&HostConfig::default().interface(InterfaceConfig::new("eth0", a).unwrap()),
    /// #     &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// # let udp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// let mut net = Network::new(1);
    /// let a = net.add_host(h("192.0.2.1/24"));
    /// let b = net.add_host(h("192.0.2.2/24"));
    /// let link = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::latency(Duration::from_millis(5))).unwrap();
    /// let c = net.add_host(h("192.0.2.3/24"));
    /// net.send(c, &PacketBuilder::ipv4([192, 0, 2, 3].into(), [192, 0, 2, 1].into()).udp(1, 2).build(), Instant::ZERO);
    /// net.run(10);
    /// assert_eq!(net.unlinked(), 1);
    /// ```
    pub fn unlinked(&self) -> u64 {
        self.unlinked
    }
}

/// SplitMix64 (Steele, Lea and Flood): the next number of the sequence.
fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[doc(hidden)]
impl Network {
    /// For tests: the pool's size (buffers ever allocated).
    pub fn pool_len(&self) -> usize {
        self.bufs.len()
    }
}
