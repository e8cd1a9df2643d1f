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
//! Hosts are silent by default (as in the recording method: nothing
//! answers outside `lo`). [`Network::stack`] gives a host sockets that
//! answer ([`Stack`]: TCP listeners, [`Network::tcp_connect`],
//! [`Network::udp_send`], [`Network::ping`]) and the kernel's answers for
//! what no socket takes; their packets are checked against Linux 6.18
//! (see the `endpoint` module's notes on [`Stack`]). Independent
//! simulations run in parallel with [`run_seeds`], which also says how to
//! shard them across machines.
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
use std::net::{IpAddr, SocketAddr};

use crate::engine::NoTrace;
use crate::host::{Host, Outcome};
use crate::time::{Duration, Instant};

mod endpoint;
mod parallel;

pub use endpoint::{ConnId, Serve, Stack, StackConfig, StackStats, TcpConnect, TcpInfo, TcpState};
pub use parallel::run_seeds;

/// `Event::dev` of a packet the host sends through a raw socket.
const RAW: usize = usize::MAX;
/// `Event::dev` of a packet the host's stack built (a socket's).
const BUILT: usize = usize::MAX - 1;
/// `Event::dev` of a timer of the host's [`Stack`] (`buf`: the connection).
const TIMER: usize = usize::MAX - 2;

/// A host of a [`Network`] (its index, in the order hosts were added).
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// assert_eq!((a, b), (HostId(0), HostId(1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

/// A link of a [`Network`].
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// assert_eq!(link, LinkId(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

/// A tap on a link (see [`Network::tap`]).
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let tap: TapId = net.tap(link);
/// assert!(net.tap_records(tap).is_empty());
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
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let e = net.connect((a, "eth0"), (b, "eth0"), LinkConfig::default()).unwrap_err();
/// assert_eq!(e, NetError::DeviceInUse(a, "eth0".into()));
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
    /// The host has no route to the address (no source to send from).
    NoRoute(HostId, IpAddr),
}

impl core::fmt::Display for NetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NetError::NoHost(h) => write!(f, "no host {}", h.0),
            NetError::NoDevice(h, d) => write!(f, "host {} has no device {d}", h.0),
            NetError::Loopback(h) => write!(f, "host {}: lo cannot be linked", h.0),
            NetError::DeviceInUse(h, d) => write!(f, "host {}: {d} is already linked", h.0),
            NetError::NoRoute(h, a) => write!(f, "host {}: no route to {a}", h.0),
        }
    }
}

impl std::error::Error for NetError {}

/// What a tap saw cross its link.
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let tap = net.tap(link);
/// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// net.send(a, &udp, Instant::ZERO);
/// net.run_until(Instant::from_millis(5));
/// let r: &TapRecord = &net.tap_records(tap)[0];
/// assert_eq!((r.at, r.from.0, r.to.0, r.lost), (Instant::from_millis(1), a, b, false));
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
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
/// net.send(a, &udp, Instant::ZERO);
/// net.run_until(Instant::from_millis(5));
/// let d: Delivery = net.last_delivery(b).unwrap();
/// assert!(d.local && d.dev == Some(1) && d.emitted == 0);
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
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// net.stack(b).unwrap().listen_udp(53, Serve::Echo);
/// net.udp_send(a, 5353, "192.0.2.2:53".parse().unwrap(), b"q", Instant::ZERO).unwrap();
/// net.run_until(Instant::from_millis(10));
/// assert_eq!(net.stack_of(a).unwrap().stats().udp_replies, 1);
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
    seed: u64,
    stacks: Vec<Option<Box<Stack>>>,
    tx: endpoint::Tx,
    scratch: Vec<u8>,
}

impl Network {
    /// An empty network; `seed` drives link loss.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let net = Network::new(42);
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
            seed,
            stacks: Vec::new(),
            tx: endpoint::Tx::default(),
            scratch: Vec::new(),
        }
    }

    /// Adds a host; its devices start unlinked (what it emits on them is
    /// counted as lost to nowhere, see [`Network::unlinked`]).
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let c = net.add_host(mk("192.0.2.3/24"));
    /// assert_eq!(c, HostId(2));
    /// ```
    pub fn add_host(&mut self, host: Host) -> HostId {
        let n = (0..).take_while(|i| host.device(*i).is_some()).count();
        self.hosts.push(host);
        self.stacks.push(None);
        self.last.push(None);
        self.ends.push(vec![None; n]);
        HostId((self.hosts.len() - 1) as u32)
    }

    /// The host `id`.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// assert_eq!(net.host(a).unwrap().device(1), Some("eth0"));
    /// assert!(net.host(HostId(9)).is_none());
    /// ```
    pub fn host(&self, id: HostId) -> Option<&Host> {
        self.hosts.get(id.0 as usize)
    }

    /// The host `id`, to change (or read its tables).
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// assert!(net.host_mut(b).is_some());
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let c = net.add_host(mk("192.0.2.3/24"));
    /// assert_eq!(net.connect((c, "lo"), (a, "eth0"), LinkConfig::default()), Err(NetError::Loopback(c)));
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let tap = net.tap(link);
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::ZERO);
    /// net.run(10);
    /// assert_eq!(net.tap_records(tap).len(), 1);
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let tap = net.tap(link);
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::ZERO);
    /// net.run(10);
    /// assert_eq!(net.tap_records(tap)[0].bytes, udp);
    /// ```
    pub fn tap_records(&self, tap: TapId) -> &[TapRecord] {
        self.taps.get(tap.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// The network's clock: the time of the last event run.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.run_until(Instant::from_millis(3));
    /// assert_eq!(net.now(), Instant::from_millis(3));
    /// ```
    pub fn now(&self) -> Instant {
        self.now
    }

    /// What became of the last packet host `id` was given.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// assert!(net.last_delivery(b).is_none());
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::from_millis(2));
    /// assert_eq!(net.next_at(), Some(Instant::from_millis(2)));
    /// ```
    pub fn send(&mut self, host: HostId, pkt: &[u8], at: Instant) {
        self.schedule(at.max(self.now), host, RAW, pkt);
    }

    /// `pkt` arrives at `at` on device `dev` of `host` from outside the
    /// network, as [`Host::receive`].
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let from_outside = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 2].into()).udp(1, 53).build();
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// assert_eq!(net.next_at(), None);
    /// ```
    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|e| e.0.at)
    }

    /// Runs the next event: the host takes the packet; what it emits on
    /// linked devices is scheduled at the far ends; what it delivers to
    /// its own stack goes to its [`Stack`] when it has one, whose answers
    /// leave the host at once. Returns its time.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.step(), Some(Instant::ZERO));
    /// assert_eq!(net.step(), Some(Instant::from_millis(1)));
    /// assert_eq!(net.step(), None);
    /// ```
    pub fn step(&mut self) -> Option<Instant> {
        let Reverse(ev) = self.queue.pop()?;
        self.now = ev.at;
        let hi = ev.host as usize;
        if ev.dev == TIMER {
            if let Some(mut st) = self.stacks.get_mut(hi).and_then(Option::take) {
                self.tx.clear();
                st.timer(ev.buf as u32, ev.at, &mut self.tx);
                self.flush(hi, &mut st, ev.at);
                self.stacks[hi] = Some(st);
            }
            return Some(ev.at);
        }
        let buf = std::mem::take(&mut self.bufs[ev.buf]);
        let has_stack = self.stacks.get(hi).is_some_and(Option::is_some);
        self.out.keep_delivered = has_stack;
        if let Some(h) = self.hosts.get_mut(hi) {
            if ev.dev == RAW {
                h.send(&buf, ev.at, &mut self.out, &mut NoTrace);
            } else if ev.dev == BUILT {
                h.send_built(&buf, None, ev.at, &mut self.out, &mut NoTrace);
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
            dev: (ev.dev < BUILT).then_some(ev.dev),
            local: self.out.local,
            emitted: self.out.emitted().count(),
        });
        self.dispatch(hi, ev.at);
        if has_stack {
            let slot = self.out.delivered_slot;
            let mut pkt = std::mem::take(&mut self.scratch);
            pkt.clear();
            if let Some(d) = self.out.delivered() {
                pkt.extend_from_slice(d);
            }
            if !pkt.is_empty() {
                if let Some(mut st) = self.stacks[hi].take() {
                    self.tx.clear();
                    if st.deliver(&pkt, ev.at, &mut self.tx) == endpoint::Taken::Unclaimed {
                        self.hosts[hi].answer_unclaimed(
                            &pkt,
                            slot,
                            ev.at,
                            &mut self.out,
                            &mut NoTrace,
                        );
                        self.dispatch(hi, ev.at);
                    }
                    self.flush(hi, &mut st, ev.at);
                    self.stacks[hi] = Some(st);
                }
            }
            self.scratch = pkt;
        }
        Some(ev.at)
    }

    /// Sends what a stack asked for (packets at once, timers later).
    fn flush(&mut self, hi: usize, st: &mut Stack, at: Instant) {
        let _ = st;
        let tx = std::mem::take(&mut self.tx);
        for k in 0..tx.pkts.len() {
            self.hosts[hi].send_built(tx.packet(k), None, at, &mut self.out, &mut NoTrace);
            self.dispatch(hi, at);
        }
        for (t, conn) in &tx.timers {
            self.seq += 1;
            self.queue.push(Reverse(Event {
                at: *t,
                seq: self.seq,
                host: hi as u32,
                dev: TIMER,
                buf: *conn as usize,
            }));
        }
        self.tx = tx;
    }

    /// Schedules what the host emitted (in `self.out`) at the far ends of
    /// its links.
    fn dispatch(&mut self, hi: usize, at0: Instant) {
        let out = std::mem::take(&mut self.out);
        for (dev, bytes) in out.emitted() {
            let Some((link, side)) = self.ends[hi].get(dev).copied().flatten() else {
                self.lost += 1;
                self.unlinked += 1;
                continue;
            };
            let l = &self.links[link.0 as usize];
            let far = l.ends[1 - side];
            let at = at0 + l.cfg.latency;
            let lost = l.cfg.loss_per_million > 0
                && splitmix64(&mut self.rng) % 1_000_000 < u64::from(l.cfg.loss_per_million);
            for t in &l.taps {
                self.taps[t.0 as usize].push(TapRecord {
                    at,
                    from: (HostId(hi as u32), dev),
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
    }

    /// The sockets of host `id` (created on first use, seeded from the
    /// network's seed and the host). A host with a stack answers: its
    /// sockets take what is delivered to them, and what no socket takes
    /// gets the kernel's answer (reset, port unreachable, echo reply). A
    /// host without one stays silent, as in the recording method.
    ///
    /// # Errors
    /// An unknown host.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap().listen_tcp(80, Serve::Discard);
    /// assert!(net.stack_of(b).is_some() && net.stack_of(a).is_none());
    /// ```
    pub fn stack(&mut self, id: HostId) -> Result<&mut Stack, NetError> {
        let seed = self.seed;
        let slot = self
            .stacks
            .get_mut(id.0 as usize)
            .ok_or(NetError::NoHost(id))?;
        Ok(slot.get_or_insert_with(|| {
            Box::new(Stack::new(
                splitmix64(&mut (seed ^ (u64::from(id.0) << 32) ^ 0x5eed)),
                StackConfig::default(),
            ))
        }))
    }

    /// The stack of host `id`, if it has one.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap();
    /// assert_eq!(net.stack_of(b).unwrap().stats(), StackStats::default());
    /// ```
    pub fn stack_of(&self, id: HostId) -> Option<&Stack> {
        self.stacks.get(id.0 as usize)?.as_deref()
    }

    /// The host's address toward `dst` (`inet_select_addr` / the route's
    /// source).
    fn source_for(&self, id: HostId, dst: IpAddr) -> Result<IpAddr, NetError> {
        let h = self.host(id).ok_or(NetError::NoHost(id))?;
        let fib = if dst.is_ipv4() {
            &h.stack.conf.fib4
        } else {
            &h.stack.conf.fib6
        };
        let dev = match fib.lookup(dst) {
            Some(crate::host::route::RouteKind::Unicast { dev, .. }) => dev,
            Some(crate::host::route::RouteKind::Local) => return Ok(dst),
            _ => return Err(NetError::NoRoute(id, dst)),
        };
        fib.source_on(dev, dst.is_ipv6())
            .ok_or(NetError::NoRoute(id, dst))
    }

    /// Host `id` opens a TCP connection at `at` (see [`TcpConnect`]); its
    /// stack is created if needed.
    ///
    /// # Errors
    /// An unknown host, or no route to the destination.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap().listen_tcp(80, Serve::Echo);
    /// let get = TcpConnect::new("192.0.2.2:80".parse().unwrap(), b"GET /");
    /// let c = net.tcp_connect(a, &get, Instant::ZERO).unwrap();
    /// net.run_until(Instant::from_millis(50));
    /// let info = net.tcp_info(a, c).unwrap();
    /// assert_eq!((info.state, info.bytes_in), (TcpState::TimeWait, 5));
    /// ```
    pub fn tcp_connect(
        &mut self,
        id: HostId,
        cfg: &TcpConnect,
        at: Instant,
    ) -> Result<ConnId, NetError> {
        let src = self.source_for(id, cfg.dst.ip())?;
        let at = at.max(self.now);
        let mut tx = std::mem::take(&mut self.tx);
        tx.clear();
        let c = self.stack(id)?.connect(src, cfg, at, &mut tx);
        self.tx = tx;
        if let Some(mut st) = self.stacks[id.0 as usize].take() {
            self.flush(id.0 as usize, &mut st, at);
            self.stacks[id.0 as usize] = Some(st);
        }
        Ok(c)
    }

    /// What connection `conn` of host `id` did.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// // Nothing listens on port 81: the server's stack resets the SYN.
    /// let c = net.tcp_connect(a, &TcpConnect::new("192.0.2.2:81".parse().unwrap(), b""), Instant::ZERO).unwrap();
    /// net.stack(b).unwrap();
    /// net.run_until(Instant::from_millis(10));
    /// assert!(net.tcp_info(a, c).unwrap().reset);
    /// ```
    pub fn tcp_info(&self, id: HostId, conn: ConnId) -> Option<TcpInfo> {
        self.stack_of(id)?.tcp_info(conn)
    }

    /// Host `id` sends `payload` in a UDP datagram from port `sport` to
    /// `dst` at `at`; the port stays bound, so answers are counted
    /// ([`StackStats::udp_replies`]) rather than refused.
    ///
    /// # Errors
    /// An unknown host, or no route to the destination.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap();
    /// // Port 9 is closed: the answer is an ICMP port unreachable.
    /// net.udp_send(a, 5353, "192.0.2.2:9".parse().unwrap(), b"x", Instant::ZERO).unwrap();
    /// net.run_until(Instant::from_millis(10));
    /// assert_eq!(net.stack_of(b).unwrap().stats().unclaimed, 1);
    /// assert_eq!(net.counters(), (2, 0));
    /// ```
    pub fn udp_send(
        &mut self,
        id: HostId,
        sport: u16,
        dst: SocketAddr,
        payload: &[u8],
        at: Instant,
    ) -> Result<(), NetError> {
        let src = self.source_for(id, dst.ip())?;
        let st = self.stack(id)?;
        st.bind_udp(sport);
        let (ttl, ipid) = (st.ttl(), st.ip_id());
        let mut tx = std::mem::take(&mut self.tx);
        tx.clear();
        endpoint::udp(
            &mut tx,
            ttl,
            ipid,
            SocketAddr::new(src, sport),
            dst,
            payload,
        );
        self.schedule(at.max(self.now), id, BUILT, tx.packet(0));
        self.tx = tx;
        Ok(())
    }

    /// Host `id` sends an echo request (ICMP or ICMPv6 by the address) to
    /// `dst` at `at`; replies are counted ([`StackStats::echo_replies`]).
    ///
    /// # Errors
    /// An unknown host, or no route to the destination.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap();
    /// net.ping(a, "192.0.2.2".parse().unwrap(), 1, 1, b"hello", Instant::ZERO).unwrap();
    /// net.run_until(Instant::from_millis(10));
    /// assert_eq!(net.stack_of(a).unwrap().stats().echo_replies, 1);
    /// ```
    pub fn ping(
        &mut self,
        id: HostId,
        dst: IpAddr,
        ident: u16,
        seq: u16,
        payload: &[u8],
        at: Instant,
    ) -> Result<(), NetError> {
        let src = self.source_for(id, dst)?;
        let st = self.stack(id)?;
        let (ttl, ipid) = (st.ttl(), st.ip_id());
        let mut tx = std::mem::take(&mut self.tx);
        tx.clear();
        endpoint::echo_request(&mut tx, ttl, ipid, src, dst, ident, seq, payload);
        self.schedule(at.max(self.now), id, BUILT, tx.packet(0));
        self.tx = tx;
        Ok(())
    }

    /// Runs every event due up to and including `t`, then sets the clock to
    /// `t`. Returns how many events ran.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.run_until(Instant::from_millis(10)), 2);
    /// assert_eq!(net.now(), Instant::from_millis(10));
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let udp = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 2].into()).udp(40000, 53).build();
    /// net.send(a, &udp, Instant::ZERO);
    /// assert_eq!(net.run(1), 1);
    /// assert_eq!(net.run(usize::MAX), 1);
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
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let c = net.add_host(mk("192.0.2.3/24"));
    /// let out = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 3].into(), [192, 0, 2, 1].into()).udp(1, 2).build();
    /// net.send(c, &out, Instant::ZERO);
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

/// For doc examples: a host with `eth0` at `addr`, no rules.
#[doc(hidden)]
pub fn doc_host(addr: &str) -> Host {
    let cfg = crate::host::HostConfig {
        interfaces: vec![crate::host::InterfaceConfig::new("eth0", addr).expect("address")],
        ..crate::host::HostConfig::default()
    };
    let (v4, v6) = (
        crate::model::Ruleset::new(crate::model::Family::Ipv4),
        crate::model::Ruleset::new(crate::model::Family::Ipv6),
    );
    Host::new(&cfg, &v4, &v6).expect("host")
}

/// For doc examples: 192.0.2.1 and 192.0.2.2 joined by a 1 ms link.
#[doc(hidden)]
pub fn doc_pair() -> (Network, HostId, HostId, LinkId) {
    let mut net = Network::new(1);
    let a = net.add_host(doc_host("192.0.2.1/24"));
    let b = net.add_host(doc_host("192.0.2.2/24"));
    let link = net
        .connect(
            (a, "eth0"),
            (b, "eth0"),
            LinkConfig::latency(Duration::from_millis(1)),
        )
        .expect("link");
    (net, a, b, link)
}

#[doc(hidden)]
impl Network {
    /// For tests: the pool's size (buffers ever allocated).
    pub fn pool_len(&self) -> usize {
        self.bufs.len()
    }
}
