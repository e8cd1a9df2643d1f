//! The simulated host: devices, addresses, routes, sysctls, and the path a
//! packet takes through the netfilter hooks, in kernel order:
//!
//! ```text
//! received:  ip_rcv checks → PREROUTING (raw, conntrack, mangle, nat DNAT)
//!            → routing → INPUT (mangle, filter, security, nat SNAT, confirm) → local stack
//!                      → FORWARD (TTL, mangle, filter, security) → POSTROUTING (mangle, nat SNAT, confirm) → out
//! sent:      routing → OUTPUT (raw, conntrack, mangle, nat DNAT, filter, security) → re-route
//!            → POSTROUTING (mangle, nat SNAT, confirm) → out, or back in through `lo`
//! bridged:   frame on a bridge port → PREROUTING on the bridge (br_netfilter) → FDB
//!            → up on the bridge device (routing, INPUT / FORWARD as received)
//!            → per output port FORWARD and POSTROUTING on the bridge → out of the port
//! ```
//!
//! Packets netfilter generates (REJECT replies) and the host stack's own
//! answers to what it receives through `lo` take the sending path in turn.
//! Everything is driven by [`Host::receive`] and [`Host::send`], which take
//! the current time; nothing reads a clock.

pub mod frag;
pub mod log;
pub mod path;
pub mod route;
pub mod stack;
mod sysctl;
pub mod targets;
mod txq;
mod verdict;

pub use path::BridgeConfig;
pub use verdict::{ChainLabel, Disposition, DropReason, RuleRef};

use std::net::IpAddr;

use ipnet::IpNet;

use crate::conntrack::{Config as CtConfig, ConntrackTable, SplitMix64};
use crate::engine::{CompileError, Program, TableState};
use crate::model::{Family, Ruleset, TableKind, Verdict as MVerdict};
use crate::time::Instant;
use route::{Fib, Route};
use sysctl::{ConfDev, Known};
pub use sysctl::{Sysctl, SysctlError};

/// One network device of the host (besides `lo`, which always exists).
///
/// ```
/// use nfsim::host::InterfaceConfig;
/// let eth0 = InterfaceConfig {
///     name: "eth0".into(),
///     mac: [2, 0, 0, 0, 0, 1],
///     addrs: vec!["192.0.2.1/24".parse().unwrap()],
///     peer_mac: [2, 0, 0, 0, 0, 2],
/// };
/// assert_eq!(eth0.addrs[0].prefix_len(), 24);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Name (`eth0`).
    pub name: String,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Its addresses with their prefix (connected routes follow).
    pub addrs: Vec<IpNet>,
    /// The MAC of the single neighbour on the link (source of received frames).
    pub peer_mac: [u8; 6],
}

impl InterfaceConfig {
    /// A device with one address (`ADDRESS/PREFIX`, IPv4 or IPv6) and MACs
    /// derived from its name: `02:00:xx:xx:xx:01` for the device and
    /// `...:02` for its neighbour, where `xx` is a hash of the name (the
    /// locally administered range, so never a real vendor's).
    ///
    /// # Errors
    /// An address that is not `ADDRESS/PREFIX`.
    ///
    /// ```
    /// use nfsim::host::InterfaceConfig;
    /// let eth0 = InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap();
    /// assert_eq!(eth0.addrs[0].to_string(), "192.0.2.1/24");
    /// assert_ne!(eth0.mac, eth0.peer_mac);
    /// let both = eth0.with_addr("2001:db8::1/64").unwrap();
    /// assert_eq!(both.addrs.len(), 2);
    /// assert!(InterfaceConfig::new("eth0", "192.0.2.1").is_err());
    /// ```
    pub fn new(name: &str, addr: &str) -> Result<InterfaceConfig, HostError> {
        let mut h: u32 = 0x811c_9dc5;
        for b in name.bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        let [a, b, c, _] = h.to_be_bytes();
        InterfaceConfig {
            name: name.into(),
            mac: [2, 0, a, b, c, 1],
            addrs: Vec::new(),
            peer_mac: [2, 0, a, b, c, 2],
        }
        .with_addr(addr)
    }

    /// The same device with one more address.
    ///
    /// ```
    /// use nfsim::host::InterfaceConfig;
    /// let eth0 = InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap().with_addr("2001:db8::1/64").unwrap();
    /// assert_eq!(eth0.addrs.len(), 2);
    /// assert!(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap().with_addr("2001:db8::1").is_err());
    /// ```
    ///
    /// # Errors
    /// An address that is not `ADDRESS/PREFIX`.
    pub fn with_addr(mut self, addr: &str) -> Result<InterfaceConfig, HostError> {
        let net = addr.parse().map_err(|_| HostError::Config {
            field: format!("interfaces.{}.addrs", self.name),
            message: format!("{addr:?} is not ADDRESS/PREFIX"),
        })?;
        self.addrs.push(net);
        Ok(self)
    }
}

/// A static route.
///
/// ```
/// use nfsim::prelude::*;
/// let mut cfg = HostConfig::default()
///     .interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap())
///     .sysctl(Sysctl::ip_forward(), 1);
/// cfg.routes.push(RouteConfig { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: None });
/// let mut host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// let mut out = Outcome::default();
/// let pkt = PacketBuilder::ipv4([192, 0, 2, 1].into(), [203, 0, 113, 7].into()).udp(1, 2).build();
/// host.send(&pkt, Instant::ZERO, &mut out, &mut NoTrace);
/// assert_eq!(out.emitted().next().map(|(dev, _)| dev), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// Destination prefix.
    pub dst: IpNet,
    /// Gateway.
    pub via: Option<IpAddr>,
    /// Device name.
    pub dev: Option<String>,
}

/// Everything needed to build a [`Host`].
///
/// ```
/// use nfsim::host::HostConfig;
/// let cfg = HostConfig::default();
/// assert_eq!(cfg.hz, 250);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HostConfig {
    /// Devices other than `lo`.
    pub interfaces: Vec<InterfaceConfig>,
    /// Extra routes.
    pub routes: Vec<RouteConfig>,
    /// Sysctls that differ from a new namespace's, named as `sysctl(8)`
    /// spells them (`net.ipv4.conf.eth0.rp_filter`, or with `/`). Modelled:
    /// `net.ipv4.ip_forward`, `net.ipv4.conf.{all,DEV}.forwarding`,
    /// `net.ipv6.conf.all.forwarding`, `rp_filter`, `route_localnet`,
    /// `send_redirects`, `net.ipv4.icmp_ratelimit`, `net.ipv6.icmp.ratelimit`,
    /// `net.ipv4.ipfrag_time`, `net.netfilter.nf_conntrack_*` (timeouts, max,
    /// buckets, checksum, tcp_loose/be_liberal, acct, frag6_timeout...),
    /// `net.bridge.bridge-nf-call-iptables` / `-ip6tables` (default 1:
    /// br_netfilter is present, as on the reference kernel, where it is
    /// built in).
    /// Accepted with no effect on what nfsim reports: `log_martians`,
    /// `accept_redirects`, `secure_redirects` (martian logging is not LOG
    /// output; received redirects never reach the stack, silent as in the
    /// reference method), `net.ipv6.auto_flowlabels=0` (the reference
    /// setting), `rp_filter` of `default` (each device has its own value),
    /// `nf_conntrack_events`, `_log_invalid`, `_expect_max`,
    /// `_frag6_low_thresh`, `_frag6_high_thresh`, and
    /// `net.bridge.bridge-nf-call-arptables`, `-filter-vlan-tagged`,
    /// `-filter-pppoe-tagged`, `-pass-vlan-input-dev` (nfsim's frames are
    /// never ARP, VLAN-tagged or PPPoE). Any other name, a
    /// misspelling or an unknown device is an error of [`Host::new`];
    /// [`HostConfig::sysctl`] takes a [`Sysctl`], whose name is checked
    /// when it is made.
    pub sysctls: Vec<(String, i64)>,
    /// The kernel's tick rate (`CONFIG_HZ`), 1 to [`MAX_HZ`].
    pub hz: u32,
    /// Seed of the host's random generator (NAT port choice, `statistic --mode random`).
    pub seed: u64,
    /// Owner (uid, gid) of the socket that sends the packets given to
    /// [`Host::send`] (`--log-uid`, `-m owner`); the reference recorder
    /// sends as root from a raw socket.
    pub sender_owner: Option<(u32, u32)>,
    /// The namespace's nfacct objects (`nfacct add NAME`, in this order),
    /// which `-m nfacct --nfacct-name NAME` needs and counts into: each
    /// once, not empty, longer than 31 bytes cut as `nfacct add` cuts them
    /// ([`object_name`](crate::model::matches::nfacct::object_name)).
    /// Objects with a quota are not modelled.
    pub nfacct: Vec<crate::model::ByteStr>,
    /// The namespace's ip sets (`ipset restore` before the rules load:
    /// [`Ipsets::restore`](crate::ipset::Ipsets::restore)), which `-m set`
    /// tests and `SET` changes; none by default, where a rule naming a set
    /// fails as on a fresh host.
    pub ipset: crate::ipset::Ipsets,
    /// Bridge devices with their ports ([`BridgeConfig`]; devices after
    /// the interfaces, in this order). Their br_netfilter settings are the
    /// sysctls `net.bridge.bridge-nf-call-iptables` / `-ip6tables`
    /// (default 1). A host without the br_netfilter module behaves as one
    /// with both at 0 (no hook sees a bridged frame, no packet carries
    /// physdev information); a `-m physdev` rule loads the module
    /// (`physdev_mt_check`: `request_module("br_netfilter")`).
    pub bridges: Vec<BridgeConfig>,
    /// The namespace's conntrack timeout policies, each the words after
    /// `nfct add timeout` (`NAME inet|inet6 tcp|udp|icmp|icmpv6 [STATE
    /// SECS]...`, [`TimeoutPolicy::parse`](crate::conntrack::TimeoutPolicy::parse)),
    /// created in this order after the sysctls (states not given keep the
    /// namespace's timeouts then), which `-j CT --timeout NAME` attaches to
    /// the connections it creates.
    pub cttimeout: Vec<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            interfaces: Vec::new(),
            routes: Vec::new(),
            sysctls: Vec::new(),
            hz: 250,
            seed: 0,
            sender_owner: Some((0, 0)),
            nfacct: Vec::new(),
            ipset: crate::ipset::Ipsets::default(),
            bridges: Vec::new(),
            cttimeout: Vec::new(),
        }
    }
}

impl HostConfig {
    /// The same configuration with these ip sets ([`HostConfig::ipset`]).
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// use nfsim::ipset::Ipsets;
    /// let sets = Ipsets::restore("create bad hash:net\nadd bad 198.51.100.0/24\n").unwrap();
    /// let text = "*filter\n-A INPUT -m set --match-set bad src -j DROP\nCOMMIT\n";
    /// let v4 = parse_restore(text, &RestoreOptions::new(Family::Ipv4).with_ipset(&sets)).unwrap();
    /// let cfg = HostConfig::default()
    ///     .interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap())
    ///     .ipset(sets);
    /// let mut host = Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let pkt = PacketBuilder::ipv4([198, 51, 100, 7].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// let mut out = Outcome::default();
    /// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(!out.local);
    /// assert!(Host::new(&HostConfig::default(), &v4, &Ruleset::new(Family::Ipv6)).is_err());
    /// ```
    pub fn ipset(mut self, sets: crate::ipset::Ipsets) -> HostConfig {
        self.ipset = sets;
        self
    }
    /// The same configuration with one more nfacct object (`nfacct add
    /// NAME`).
    ///
    /// ```
    /// use nfsim::host::{Host, HostConfig};
    /// use nfsim::model::Family;
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let cfg = HostConfig::default().nfacct("web");
    /// let text = "*filter\n-A INPUT -m nfacct --nfacct-name web\nCOMMIT\n";
    /// let v4 = parse_restore(text, &RestoreOptions::new(Family::Ipv4).with_nfacct(&cfg.nfacct)).unwrap();
    /// let host = Host::new(&cfg, &v4, &nfsim::model::Ruleset::new(Family::Ipv6)).unwrap();
    /// assert_eq!(host.nfacct_list(),
    ///     "{ pkts = 00000000000000000000, bytes = 00000000000000000000 } = web;\n");
    /// assert!(Host::new(&HostConfig::default(), &v4, &nfsim::model::Ruleset::new(Family::Ipv6)).is_err());
    /// ```
    pub fn nfacct(mut self, name: impl Into<crate::model::ByteStr>) -> HostConfig {
        self.nfacct.push(name.into());
        self
    }
    /// The same configuration with one more sysctl (a [`Sysctl`], whose
    /// name was checked when it was made).
    ///
    /// ```
    /// use nfsim::host::{Host, HostConfig, InterfaceConfig, Sysctl};
    /// use nfsim::model::{Family, Ruleset};
    /// let cfg = HostConfig::default()
    ///     .interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap())
    ///     .sysctl(Sysctl::ip_forward(), 1)
    ///     .sysctl("net.netfilter.nf_conntrack_tcp_loose".parse().unwrap(), 0);
    /// assert_eq!(cfg.sysctls.len(), 2);
    /// Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// ```
    pub fn sysctl(mut self, name: Sysctl, value: i64) -> HostConfig {
        self.sysctls.push((name.name().to_string(), value));
        self
    }
    /// The same configuration with one more device.
    ///
    /// ```
    /// use nfsim::host::{HostConfig, InterfaceConfig};
    /// let cfg = HostConfig::default()
    ///     .interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap())
    ///     .interface(InterfaceConfig::new("eth1", "198.51.100.1/24").unwrap());
    /// assert_eq!(cfg.interfaces[1].name, "eth1");
    /// ```
    pub fn interface(mut self, itf: InterfaceConfig) -> HostConfig {
        self.interfaces.push(itf);
        self
    }
    /// The same configuration with one more bridge ([`BridgeConfig`]).
    pub fn bridge(mut self, br: BridgeConfig) -> HostConfig {
        self.bridges.push(br);
        self
    }
}

/// The largest tick rate [`Host::new`] accepts: a jiffy must last at least
/// 100 µs so that jiffy arithmetic stays exact in nanoseconds.
pub const MAX_HZ: u32 = 10_000;

/// A device of the host as the pipeline uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Name.
    pub name: String,
    /// MAC.
    pub mac: [u8; 6],
    /// Peer's MAC.
    pub peer_mac: [u8; 6],
}

/// Why a host cannot be built.
///
/// ```
/// use nfsim::prelude::*;
/// let cfg = HostConfig { hz: 0, ..HostConfig::default() };
/// let e = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap_err();
/// assert!(matches!(&e, HostError::Config { field, .. } if field == "hz"));
/// let mut rs = Ruleset::new(Family::Ipv4);
/// rs.table_mut(TableKind::Nat).chain_mut("PREROUTING").unwrap().rules.push(Rule::new().drop());
/// let e = Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6)).unwrap_err();
/// assert!(matches!(e, HostError::Ruleset(_)));
/// assert!(e.to_string().contains("the use of DROP is therefore inhibited"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostError {
    /// A rule nfsim cannot evaluate.
    Compile(CompileError),
    /// A ruleset iptables or the kernel would refuse
    /// ([`crate::syntax::validate`]).
    Ruleset(crate::syntax::ValidationError),
    /// A sysctl nfsim does not know, a malformed name, or a bad value.
    Sysctl {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A route, interface or other setting the kernel would refuse.
    Config {
        /// Where in the [`HostConfig`]: `interfaces[1].name`, `routes[0].dev`, `hz`.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl core::fmt::Display for HostError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HostError::Compile(e) => write!(f, "{e}"),
            HostError::Ruleset(e) => write!(f, "{e}"),
            HostError::Sysctl { name, message } => write!(f, "sysctl {name}: {message}"),
            HostError::Config { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

impl std::error::Error for HostError {}

/// A packet that left the host during one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    /// Device index (see [`Host::device`]).
    pub dev: usize,
    start: usize,
    end: usize,
}

/// What happened to a packet: filled by [`Host::receive`] / [`Host::send`].
///
/// * [`disposition`](Self::disposition): what became of the packet itself
///   (delivered, forwarded, sent, dropped with where and why, rejected,
///   queued, stolen, kept for reassembly).
/// * [`emitted`](Self::emitted): every packet that left the host during the
///   call (forwarded, NATed, REJECT replies, ICMP errors), with its device.
/// * [`logs`](Self::logs): the `LOG` lines written.
///
/// # Allocation and lifetime
///
/// Reuse one `Outcome` for many packets. Each call clears it first
/// ([`clear`](Self::clear)) and keeps its buffers' capacity: the bytes of
/// all emitted packets share one buffer, the LOG lines another, so once
/// they have grown to the largest call seen, the steady state allocates
/// nothing (tests/alloc.rs). The slices that [`emitted`](Self::emitted) and
/// [`logs`](Self::logs) give borrow the `Outcome`: they are valid until the
/// next call that takes it mutably; copy what you keep longer.
/// [`Disposition`] is `Copy` and holds no heap data.
///
/// ```
/// use nfsim::engine::NoTrace;
/// use nfsim::host::{Disposition, DropReason, Host, HostConfig, InterfaceConfig, Outcome};
/// use nfsim::model::{Family, Ruleset};
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// use nfsim::time::Instant;
/// use nfsim::wire::PacketBuilder;
///
/// let rules = parse_restore("*filter\n:INPUT DROP [0:0]\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// let cfg = HostConfig {
///     interfaces: vec![InterfaceConfig { name: "eth0".into(), mac: [2, 0, 0, 0, 0, 1],
///         addrs: vec!["192.0.2.1/24".parse().unwrap()], peer_mac: [2, 0, 0, 0, 1, 1] }],
///     ..HostConfig::default()
/// };
/// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// let pkt = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let mut out = Outcome::default();
/// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
/// let Disposition::Dropped { reason: DropReason::Policy, at: Some(at) } = out.disposition() else {
///     panic!("{}", out.disposition());
/// };
/// assert_eq!(at.to_string(), "filter:INPUT:policy:1");
/// assert_eq!(out.emitted().count(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Whether the packet was delivered to the host's own stack through a
    /// non-loopback device (what the reference recorder counts as `local`).
    pub local: bool,
    /// Set when the packet took a path nfsim cannot reproduce faithfully
    /// (the reason); what is reported up to that point is still the kernel's.
    pub unsupported: Option<&'static str>,
    /// Keep a copy of a packet delivered to the host's own stack through a
    /// non-loopback device ([`delivered`](Self::delivered)); off by default.
    /// [`clear`](Self::clear) leaves it as it is. The network layer turns
    /// it on for hosts whose endpoints answer (`nfsim::net::Stack`).
    pub keep_delivered: bool,
    delivered: Vec<u8>,
    pub(crate) delivered_slot: Option<crate::conntrack::CtSlot>,
    disposition: Disposition,
    emitted: Vec<Emitted>,
    bytes: Vec<u8>,
    logs: Vec<(usize, usize)>,
    log_text: String,
}

impl Outcome {
    /// Clears for the next packet, keeping capacity ([`Host::receive`] and
    /// [`Host::send`] call it first).
    ///
    /// ```
    /// use nfsim::host::{Disposition, Outcome};
    /// let mut out = Outcome::default();
    /// out.clear();
    /// assert_eq!((out.disposition(), out.emitted().count(), out.logs().count()), (Disposition::None, 0, 0));
    /// ```
    pub fn clear(&mut self) {
        self.local = false;
        self.unsupported = None;
        self.delivered.clear();
        self.delivered_slot = None;
        self.disposition = Disposition::None;
        self.emitted.clear();
        self.bytes.clear();
        self.logs.clear();
        self.log_text.clear();
    }
    /// What became of the packet given to [`Host::receive`] /
    /// [`Host::send`] (see [`Disposition`]).
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// // Not for this host, and forwarding is off.
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [198, 51, 100, 7].into()).udp(1, 2).build();
    /// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(matches!(out.disposition(), Disposition::Dropped { .. }));
    /// ```
    pub fn disposition(&self) -> Disposition {
        self.disposition
    }
    /// With [`keep_delivered`](Self::keep_delivered): the packet as the
    /// host's stack got it when [`local`](Self::local) is set (after DNAT,
    /// reassembly and the transport's checksum check), from the IP header on.
    pub fn delivered(&self) -> Option<&[u8]> {
        (self.local && !self.delivered.is_empty()).then_some(self.delivered.as_slice())
    }
    pub(crate) fn keep(&mut self, pkt: &[u8], slot: Option<crate::conntrack::CtSlot>) {
        if self.keep_delivered {
            self.delivered.clear();
            self.delivered.extend_from_slice(pkt);
            self.delivered_slot = slot;
        }
    }
    pub(crate) fn set_disposition(&mut self, d: Disposition) {
        self.disposition = d;
    }
    /// Packets that left the host: device index and L3 bytes.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let cfg = HostConfig::default()
    ///     .interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap())
    ///     .interface(InterfaceConfig::new("eth1", "198.51.100.1/24").unwrap())
    ///     .sysctl(Sysctl::ip_forward(), 1);
    /// let mut host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [198, 51, 100, 7].into()).ttl(9).udp(1, 2).build();
    /// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
    /// let (dev, bytes) = out.emitted().next().unwrap();
    /// assert_eq!((dev, bytes[8]), (2, 8)); // out of eth1, TTL decremented
    /// ```
    pub fn emitted(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.emitted
            .iter()
            .map(|e| (e.dev, &self.bytes[e.start..e.end]))
    }
    /// LOG lines, in order, as the kernel writes them (without the
    /// syslog timestamp).
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n-A INPUT -j LOG --log-prefix \"in: \"\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 2).build();
    /// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
    /// let line = out.logs().next().unwrap();
    /// assert!(line.starts_with("in: IN=eth0 OUT= MAC="), "{line}");
    /// ```
    pub fn logs(&self) -> impl Iterator<Item = &str> + '_ {
        self.logs.iter().map(|(s, e)| &self.log_text[*s..*e])
    }
    pub(crate) fn push_emitted(&mut self, dev: usize, data: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(data);
        self.emitted.push(Emitted {
            dev,
            start,
            end: self.bytes.len(),
        });
    }
    /// [`Outcome::push_emitted`] of a packet in a pooled buffer the caller
    /// is done with: when nothing was emitted yet and the outcome's byte
    /// buffer has the same capacity, the two buffers change places (no
    /// copy; `buf` comes back empty, and every buffer keeps the capacity it
    /// had, so nothing allocates more than before). The outcome's buffer
    /// grows once to the pool's size for this.
    #[inline(always)]
    pub(crate) fn push_emitted_buf(&mut self, dev: usize, buf: &mut Vec<u8>) {
        // The common case inline: nothing emitted yet, the same capacity,
        // room for the record.
        if self.bytes.is_empty()
            && self.bytes.capacity() == buf.capacity()
            && self.emitted.len() < self.emitted.capacity()
        {
            core::mem::swap(&mut self.bytes, buf);
            self.emitted.push(Emitted {
                dev,
                start: 0,
                end: self.bytes.len(),
            });
            return;
        }
        self.push_emitted_buf_slow(dev, buf);
    }

    /// [`Outcome::push_emitted_buf`] past its inline case.
    #[inline(never)]
    fn push_emitted_buf_slow(&mut self, dev: usize, buf: &mut Vec<u8>) {
        if !self.bytes.is_empty() {
            return self.push_emitted(dev, buf);
        }
        if self.bytes.capacity() < buf.capacity() {
            self.bytes.reserve_exact(buf.capacity());
        }
        if self.bytes.capacity() != buf.capacity() {
            return self.push_emitted(dev, buf);
        }
        core::mem::swap(&mut self.bytes, buf);
        self.emitted.push(Emitted {
            dev,
            start: 0,
            end: self.bytes.len(),
        });
    }
    pub(crate) fn log_writer(&mut self) -> &mut String {
        &mut self.log_text
    }
    pub(crate) fn log_mark(&self) -> usize {
        self.log_text.len()
    }
    pub(crate) fn log_commit(&mut self, start: usize) {
        let end = self.log_text.len();
        self.logs.push((start, end));
    }
}

/// The per-family part of a host: compiled rules and their state.
#[derive(Debug, Clone)]
pub(crate) struct FamilyState {
    pub(crate) prog: std::sync::Arc<Program>,
    pub(crate) states: [Option<TableState>; 5],
    /// The switches the path tests at every hook.
    pub(crate) f: FamFlags,
}

/// The per-family switches a packet's path tests at its hooks, in one
/// 8-byte word: copied into the packet when it enters the path
/// (`path::Pkt::f`), so that each test reads the packet instead of
/// selecting its family's state first. None of them changes while a
/// packet is processed (`hooked`, `nat_hooks` and `ct` come from the
/// compiled program; `forward` from the sysctls the host was built with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
pub(crate) struct FamFlags {
    /// By hook: bit `1 << kind` for each table with a chain there (is
    /// registered at that hook), from `prog`, which never changes.
    pub(crate) hooked: [u8; 5],
    /// By hook: bit `1 << hook` when the nat hook functions run there
    /// (`Host::nat`): conntrack is on and there is a nat table, and the
    /// hook is not FORWARD. From `ct` and `prog`, which never change.
    pub(crate) nat_hooks: u8,
    /// Conntrack runs for this family (something in the ruleset needs it).
    pub(crate) ct: bool,
    pub(crate) forward: bool,
}

/// Whether a ruleset makes the kernel track connections for its family:
/// some match's or target's `checkentry` calls `nf_ct_netns_get` (state,
/// conntrack, connmark, connlimit, connbytes, connlabel, helper, cluster,
/// CONNMARK, CONNSECMARK, SYNPROXY, the NAT targets, CT with options; each
/// extension declares it in its `caps`).
/// Neither a nat table by itself nor `CT --notrack` / `NOTRACK` does
/// (xt_ct_tg_check returns before `nf_ct_netns_get`; recorded: a nat table
/// with only LOG rules is never traversed and the conntrack table stays
/// empty).
///
/// ```
/// use nfsim::host::ruleset_needs_conntrack;
/// use nfsim::model::{Family, Rule, Ruleset, TableKind};
/// use nfsim::model::matches::conntrack::CtStates;
/// let mut rs = Ruleset::new(Family::Ipv4);
/// let filter = rs.table_mut(TableKind::Filter);
/// filter.chain_mut("INPUT").unwrap().rules.push(Rule::tcp().dport(22).accept());
/// assert!(!ruleset_needs_conntrack(&rs));
/// let filter = rs.table_mut(TableKind::Filter);
/// filter.chain_mut("INPUT").unwrap().rules.push(Rule::new().ctstate(CtStates::ESTABLISHED).accept());
/// assert!(ruleset_needs_conntrack(&rs));
/// ```
pub fn ruleset_needs_conntrack(rs: &Ruleset) -> bool {
    rs.tables.iter().any(|t| {
        t.chains.iter().flat_map(|c| c.rules.iter()).any(|r| {
            r.matches.iter().any(|m| m.caps().needs_conntrack)
                || matches!(&r.verdict, MVerdict::Ext(tg) if tg.caps().needs_conntrack)
        })
    })
}

/// The simulated host. See the module documentation for the path.
///
/// ```
/// use nfsim::prelude::*;
/// let rules = parse_restore("*filter\n:INPUT DROP [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
/// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// let ping = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).icmp_echo_request(1, 1).build();
/// let mut out = Outcome::default();
/// host.receive(host.device_index("eth0").unwrap(), &ping, Instant::ZERO, &mut out, &mut NoTrace);
/// assert!(out.local);
/// ```
#[derive(Debug, Clone)]
pub struct Host {
    /// Devices, routes, sysctls and the transmit queue: what targets and
    /// the stack's answers use, borrowed as one beside the rules and
    /// conntrack (smoltcp's `Interface` / `InterfaceInner` split).
    pub(crate) stack: StackCtx,
    pub(crate) v4: FamilyState,
    pub(crate) v6: FamilyState,
    pub(crate) ct: ConntrackTable,
    pub(crate) sender_owner: Option<(u32, u32)>,
    pub(crate) defrag: frag::Defrag,
    pub(crate) frag_scratch: Vec<u8>,
    pub(crate) pending_discard: Vec<crate::conntrack::CtHandle>,
    /// Tables of stateful matches (`connlimit` lists).
    pub(crate) shared: crate::engine::shared::SharedTables,
    /// The latest instant given to [`Host::receive`] or [`Host::send`]:
    /// the host's clock never goes backwards (see [`Host::receive`]).
    pub(crate) clock: Instant,
    /// Bridges, their forwarding databases, br_netfilter's sysctls.
    pub(crate) br: path::bridge::Bridges,
}

/// The host around netfilter (smoltcp's `InterfaceInner`): devices, both
/// FIBs and the sysctls the path reads (`conf`, fixed once the host is
/// built), the RNG, the ICMP error rate limits and the transmit queue
/// (`io`, changed by packets). The environment a table walk calls back
/// into (`targets::HostEnv`) borrows `conf` shared, so the packet's device
/// names can point into it, and `io` exclusively, beside the conntrack
/// table and the stateful match tables.
#[derive(Debug, Clone)]
pub(crate) struct StackCtx {
    pub(crate) conf: StackConf,
    pub(crate) io: StackIo,
}

/// What the path reads of the host: devices, routes, sysctls.
#[derive(Debug, Clone)]
pub(crate) struct StackConf {
    pub(crate) devs: Vec<Device>,
    /// Each device's name as `-i` / `-o` compare it in the rule walk's
    /// scan (`engine::program::iface_words`), index as `devs`; `None`
    /// when some name has no such form (a NUL byte in it).
    pub(crate) dev_words: Option<Vec<[u64; 2]>>,
    /// `net.ipv4.conf.<dev>.route_localnet` per device (index as `devs`),
    /// `all` folded in (`IN_DEV_NET_ROUTE_LOCALNET` is an OR of both).
    pub(crate) route_localnet: Vec<bool>,
    pub(crate) fib4: Fib,
    pub(crate) fib6: Fib,
    /// `fib4` compiled for the per-packet lookups (`route::Fib4`).
    pub(crate) route4: route::Fib4,
    /// `fib6` compiled the same way (`route::Fib6`).
    pub(crate) route6: route::Fib6,
    /// `CONFIG_HZ`.
    pub(crate) hz: u32,
    /// `net.ipv4.conf.all.rp_filter`.
    pub(crate) rp_all: u8,
    /// `IN_DEV_RPFILTER` by device index (0 is `lo`): the larger of
    /// `net.ipv4.conf.all.rp_filter` and `net.ipv4.conf.<dev>.rp_filter`,
    /// computed once (the sysctls are the host's configuration).
    pub(crate) rp_dev: Vec<u8>,
    /// `IN_DEV_TX_REDIRECTS` by device index: `conf.all.send_redirects`
    /// or the device's own value (`IN_DEV_ORCONF`,
    /// include/linux/inetdevice.h; checked on 6.18: a device set to 0
    /// still sends redirects while `all` is 1).
    pub(crate) tx_redirects: Vec<bool>,
}

/// What packets change in the host outside netfilter.
#[derive(Debug, Clone)]
pub(crate) struct StackIo {
    pub(crate) rng: SplitMix64,
    pub(crate) icmp_limit: stack::IcmpLimiter,
    /// Packets waiting for their turn through the hooks.
    pub(crate) queue: txq::TxQueue,
}

impl StackConf {
    /// The FIB of a family.
    #[inline]
    pub(crate) fn fib(&self, family: Family) -> &Fib {
        match family {
            Family::Ipv4 => &self.fib4,
            Family::Ipv6 => &self.fib6,
        }
    }

    /// The routing decision for a destination (`Fib::lookup` of its
    /// family's FIB; IPv4 through the compiled `route4`).
    #[inline]
    pub(crate) fn route(&self, dst: std::net::IpAddr) -> Option<route::RouteKind> {
        match dst {
            std::net::IpAddr::V4(d) => self.route4.lookup(d),
            std::net::IpAddr::V6(d) => self.route6.lookup(d),
        }
    }

    /// `IN_DEV_RPFILTER` of device `dev`: the larger of
    /// `net.ipv4.conf.all.rp_filter` and the device's own value.
    #[inline]
    pub(crate) fn rp_filter_of(&self, dev: usize) -> u8 {
        self.rp_dev.get(dev).copied().unwrap_or(self.rp_all)
    }
}

/// `recent_mt_check` / `hashlimit_mt_check` of every rule, in program
/// order: registers the named tables and stores each rule's table id in
/// its match state.
fn register_shared(
    fam: &mut FamilyState,
    shared: &mut crate::engine::shared::SharedTables,
    family: Family,
    hz: u32,
) -> Result<(), HostError> {
    use crate::model::Match;
    for (tp, st) in fam.prog.tables.iter().zip(fam.states.iter_mut()) {
        let (Some(tp), Some(st)) = (tp, st) else {
            continue;
        };
        for r in tp.rules.iter() {
            for (k, m) in r.matches.iter().enumerate() {
                let id = match m {
                    Match::Recent(x) => shared.recent_register(&x.name, x.mask, x.hit_count),
                    // nfacct_mt_checkentry: nfnl_acct_find_get (the
                    // name was checked by validate_with_nfacct).
                    Match::Nfacct(x) => shared.nfacct.find(x.name.as_bytes()),
                    // set_match_v1_checkentry: ip_set_nfnl_get_byindex.
                    Match::Set(x) => crate::engine::shared::ipset_register(shared, x),
                    Match::Hashlimit(x) => shared.hashlimit_register(
                        &x.name,
                        family == Family::Ipv6,
                        &crate::engine::eval::rate::hashlimit_cfg(x),
                        hz,
                    ),
                    _ => continue,
                };
                let Some(id) = id else {
                    return Err(HostError::Config {
                        field: match family {
                            Family::Ipv4 => "rules.ipv4".into(),
                            Family::Ipv6 => "rules.ipv6".into(),
                        },
                        message: format!(
                            "{}: the kernel refuses this rule's `{}' options",
                            tp.kind.name(),
                            m.name()
                        ),
                    });
                };
                if let Some(ms) = st.match_state.get_mut(r.state_base as usize + k) {
                    ms.init = true;
                    ms.a = id;
                }
            }
        }
    }
    Ok(())
}

fn compile_prog(rs: &Ruleset) -> Result<std::sync::Arc<Program>, HostError> {
    let prog = Program::compile(rs).map_err(HostError::Compile)?;
    for tp in prog.tables.iter().flatten() {
        for r in &tp.rules {
            if let crate::engine::Action::Ext(t) = &r.action {
                if !targets::target_supported(t) {
                    let chain = &tp.chains[r.chain.0 as usize].name;
                    return Err(HostError::Compile(CompileError {
                        table: tp.kind,
                        chain: chain.to_string(),
                        rule: r.num as usize,
                        message: format!(
                            "target `{}' cannot be evaluated by nfsim (yet)",
                            t.name()
                        ),
                    }));
                }
            }
        }
    }
    Ok(std::sync::Arc::new(prog))
}

fn family_state(prog: &std::sync::Arc<Program>, ct: bool, forward: bool) -> FamilyState {
    let states = core::array::from_fn(|i| prog.tables[i].as_ref().map(|t| t.new_state()));
    let hooked = core::array::from_fn(|h| {
        let mut bits = 0u8;
        for (k, t) in prog.tables.iter().enumerate() {
            if t.as_ref().is_some_and(|t| t.hook_entry[h].is_some()) {
                bits |= 1 << k;
            }
        }
        bits
    });
    let nat_hooks = if ct && prog.table(crate::model::TableKind::Nat).is_some() {
        (0..5u8)
            .filter(|&h| h != crate::model::Hook::Forward as u8)
            .fold(0u8, |m, h| m | 1 << h)
    } else {
        0
    };
    FamilyState {
        prog: prog.clone(),
        states,
        f: FamFlags {
            hooked,
            nat_hooks,
            ct,
            forward,
        },
    }
}

/// Rulesets validated and compiled once, to be shared by many hosts
/// ([`Host::with_rules`]): each host keeps its own counters and match
/// state, the compiled program is one `Arc` for all of them.
///
/// ```
/// use nfsim::host::{CompiledRules, Host, HostConfig};
/// use nfsim::model::{Family, Ruleset};
/// let rules = CompiledRules::new(&Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// let a = Host::with_rules(&HostConfig::default(), &rules).unwrap();
/// let b = Host::with_rules(&HostConfig::default(), &rules).unwrap();
/// assert!(a.shares_rules_with(&b));
/// ```
#[derive(Debug, Clone)]
pub struct CompiledRules {
    v4: std::sync::Arc<Program>,
    v6: std::sync::Arc<Program>,
    ct4: bool,
    ct6: bool,
    /// Whether either ruleset has a `connbytes` rule (which turns
    /// conntrack accounting on: [`uses_connbytes`]).
    acct: bool,
}

/// Whether a ruleset has a `-m connbytes` rule: `connbytes_mt_check`
/// (net/netfilter/xt_connbytes.c) turns conntrack accounting on for the
/// netns ("Forcing CT accounting to be enabled"; checked on Linux 6.18:
/// the sysctl reads 1 afterwards).
fn uses_connbytes(rs: &Ruleset) -> bool {
    rs.tables.iter().any(|t| {
        t.chains
            .iter()
            .flat_map(|c| c.rules.iter())
            .any(|r| r.matches.iter().any(|m| m.name() == "connbytes"))
    })
}

impl CompiledRules {
    /// Validates ([`crate::syntax::validate`]) and compiles both rulesets.
    ///
    /// # Errors
    /// As [`Host::new`] for its rulesets.
    pub fn new(v4: &Ruleset, v6: &Ruleset) -> Result<CompiledRules, HostError> {
        CompiledRules::with_nfacct(v4, v6, &[])
    }

    /// As [`CompiledRules::new`], for rulesets whose `-m nfacct` rules name
    /// the accounting objects `nfacct` (which the hosts that share these
    /// rules declare in [`HostConfig::nfacct`]).
    ///
    /// ```
    /// use nfsim::host::CompiledRules;
    /// use nfsim::model::{ByteStr, Family, Ruleset};
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let objects = [ByteStr::from("web")];
    /// let text = "*filter\n-A INPUT -m nfacct --nfacct-name web\nCOMMIT\n";
    /// let v4 = parse_restore(text, &RestoreOptions::new(Family::Ipv4).with_nfacct(&objects)).unwrap();
    /// let v6 = Ruleset::new(Family::Ipv6);
    /// assert!(CompiledRules::new(&v4, &v6).is_err());
    /// assert!(CompiledRules::with_nfacct(&v4, &v6, &objects).is_ok());
    /// ```
    ///
    /// # Errors
    /// As [`Host::new`] for its rulesets.
    pub fn with_nfacct(
        v4: &Ruleset,
        v6: &Ruleset,
        nfacct: &[crate::model::ByteStr],
    ) -> Result<CompiledRules, HostError> {
        for rs in [v4, v6] {
            crate::syntax::validate_with_nfacct(rs, nfacct).map_err(HostError::Ruleset)?;
        }
        Ok(CompiledRules {
            v4: compile_prog(v4)?,
            v6: compile_prog(v6)?,
            ct4: ruleset_needs_conntrack(v4),
            ct6: ruleset_needs_conntrack(v6),
            acct: uses_connbytes(v4) || uses_connbytes(v6),
        })
    }
}

impl Host {
    /// Builds a host with its rulesets (either may be empty: no tables).
    ///
    /// # Errors
    /// Unknown sysctls, bad routes, rules nfsim cannot evaluate.
    ///
    /// ```
    /// use nfsim::host::{Host, HostConfig};
    /// use nfsim::model::{Family, Ruleset};
    /// let h = Host::new(&HostConfig::default(), &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// assert_eq!(h.device(0), Some("lo"));
    /// ```
    pub fn new(cfg: &HostConfig, v4: &Ruleset, v6: &Ruleset) -> Result<Host, HostError> {
        Host::build(cfg, None, (v4, v6))
    }

    /// A host with rulesets compiled once ([`CompiledRules`]), shared with
    /// every other host built from them (no copy of the program).
    ///
    /// # Errors
    /// As [`Host::new`], less the rulesets' own errors (found by
    /// [`CompiledRules::new`]).
    pub fn with_rules(cfg: &HostConfig, rules: &CompiledRules) -> Result<Host, HostError> {
        let (e4, e6) = (Ruleset::new(Family::Ipv4), Ruleset::new(Family::Ipv6));
        Host::build(cfg, Some(rules), (&e4, &e6))
    }

    /// Whether both hosts run the same compiled programs (one `Arc`).
    pub fn shares_rules_with(&self, other: &Host) -> bool {
        std::sync::Arc::ptr_eq(&self.v4.prog, &other.v4.prog)
            && std::sync::Arc::ptr_eq(&self.v6.prog, &other.v6.prog)
    }

    fn build(
        cfg: &HostConfig,
        compiled: Option<&CompiledRules>,
        (v4, v6): (&Ruleset, &Ruleset),
    ) -> Result<Host, HostError> {
        if !(1..=MAX_HZ).contains(&cfg.hz) {
            return Err(HostError::Config {
                field: "hz".into(),
                message: format!(
                    "{}: the tick rate must be 1 to {MAX_HZ} (Linux's CONFIG_HZ choices are 100, 250, 300 and 1000)",
                    cfg.hz
                ),
            });
        }
        let mut devs = vec![Device {
            name: "lo".into(),
            mac: [0; 6],
            peer_mac: [0; 6],
        }];
        let mut fib4 = Fib::default();
        let mut fib6 = Fib::default();
        fib6.local.push((std::net::Ipv6Addr::LOCALHOST.into(), 0));
        for (i, itf) in cfg.interfaces.iter().enumerate() {
            let dev = i + 1;
            // dev_valid_name (net/core/dev.c): 1 to IFNAMSIZ - 1 bytes, not
            // `.` or `..`, no `/`, `:` or white space; register_netdevice
            // refuses a name in use ("File exists").
            let name = &itf.name;
            let bad = if name.is_empty() || name.len() >= 16 {
                Some("a device name is 1 to 15 bytes (IFNAMSIZ)")
            } else if name == "."
                || name == ".."
                || name
                    .bytes()
                    .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
            {
                Some("not a valid device name (dev_valid_name)")
            } else if devs.iter().any(|d| &d.name == name) {
                Some("a device of that name exists already")
            } else {
                None
            };
            if let Some(message) = bad {
                return Err(HostError::Config {
                    field: format!("interfaces[{i}].name"),
                    message: format!("{name:?}: {message}"),
                });
            }
            devs.push(Device {
                name: itf.name.clone(),
                mac: itf.mac,
                peer_mac: itf.peer_mac,
            });
            for a in &itf.addrs {
                let fib = if a.addr().is_ipv4() {
                    &mut fib4
                } else {
                    &mut fib6
                };
                fib.local.push((a.addr(), dev));
                fib.connected.push((a.trunc(), dev));
                fib.routes.push(Route {
                    dst: a.trunc(),
                    via: None,
                    dev,
                });
            }
        }
        let mut br = path::bridge::Bridges::build(&cfg.bridges, &mut devs, &mut fib4, &mut fib6)?;
        for (i, r) in cfg.routes.iter().enumerate() {
            let cerr = |field: &str, message: String| HostError::Config {
                field: format!("routes[{i}]{field}"),
                message,
            };
            if r.via.is_some_and(|v| v.is_ipv4() != r.dst.addr().is_ipv4()) {
                return Err(cerr(
                    ".via",
                    "gateway and destination of different families".into(),
                ));
            }
            let dev = match &r.dev {
                Some(n) => devs
                    .iter()
                    .position(|d| &d.name == n)
                    .ok_or_else(|| cerr(".dev", format!("no device {n} on this host")))?,
                None => {
                    let via = r
                        .via
                        .ok_or_else(|| cerr("", "a route needs a device or a gateway".into()))?;
                    let fib = if via.is_ipv4() { &fib4 } else { &fib6 };
                    fib.connected
                        .iter()
                        .find(|(n, _)| n.contains(&via))
                        .map(|(_, d)| *d)
                        .ok_or_else(|| {
                            cerr(
                                ".via",
                                format!("gateway {via} unreachable (Network is unreachable)"),
                            )
                        })?
                }
            };
            let fib = if r.dst.addr().is_ipv4() {
                &mut fib4
            } else {
                &mut fib6
            };
            fib.routes.push(Route {
                dst: r.dst,
                via: r.via,
                dev,
            });
        }
        // A typed ruleset is checked as iptables-restore checks text: one
        // that iptables would refuse never loads.
        // nfacct add (libnetfilter_acct, nfnl_acct_new): names cut to 31
        // bytes, -EINVAL for an empty one, -EBUSY for one that exists.
        let mut nfacct: Vec<crate::model::ByteStr> = Vec::with_capacity(cfg.nfacct.len());
        for (k, n) in cfg.nfacct.iter().enumerate() {
            let bad = |m: &str| HostError::Config {
                field: format!("nfacct[{k}]"),
                message: format!("`{n}': nfacct add: {m}"),
            };
            let name = crate::model::matches::nfacct::object_name(n).map_err(bad)?;
            if nfacct.contains(&name) {
                return Err(bad("Device or resource busy"));
            }
            nfacct.push(name);
        }
        // nfct add timeout (cttimeout_new_timeout): checked here, created
        // with the namespace's conntrack settings below.
        let mut cttimeout: Vec<(Vec<u8>, crate::nf::Family, u8)> = Vec::new();
        for (k, line) in cfg.cttimeout.iter().enumerate() {
            let bad = |m: String| HostError::Config {
                field: format!("cttimeout[{k}]"),
                message: format!("`{line}': {m}"),
            };
            let p =
                crate::conntrack::TimeoutPolicy::parse(line, &CtConfig::default()).map_err(bad)?;
            if cttimeout.iter().any(|(n, _, _)| *n == p.name) {
                return Err(bad(
                    "nfct v1.4.7: netlink error: Device or resource busy".into()
                ));
            }
            cttimeout.push((p.name, p.family, p.proto));
        }
        if compiled.is_none() {
            for rs in [v4, v6] {
                crate::syntax::validate_objects(rs, &nfacct, &cfg.ipset, &cttimeout)
                    .map_err(HostError::Ruleset)?;
            }
        }
        let mut ctcfg = CtConfig::default();
        let mut defrag = frag::Defrag::default();
        let mut ip_forward = false;
        let mut ip6_forward = false;
        let mut route_localnet = vec![false; devs.len()];
        let mut icmp_limit = stack::IcmpLimiter::default();
        let mut rp_all = 0u8;
        let mut rp_dev = vec![0u8; devs.len()];
        let mut redir_all = true;
        let mut redir_default: Option<bool> = None;
        let mut redir_dev: Vec<Option<bool>> = vec![None; devs.len()];
        for (k, v) in &cfg.sysctls {
            let (k, v) = (k.as_str(), *v);
            let err = |message: String| HostError::Sysctl {
                name: k.to_string(),
                message,
            };
            let known = sysctl::classify(k).map_err(err)?;
            // The device a per-device setting names (`all` and `default` aside).
            let dev_of = |d: &str| -> Result<usize, HostError> {
                devs.iter()
                    .position(|x| x.name == d)
                    .ok_or_else(|| err(format!("no device {d} on this host")))
            };
            match known {
                // IN_DEV_NET_ROUTE_LOCALNET is an OR of `all` and the device.
                Known::RouteLocalnet(dev) => match dev {
                    ConfDev::All => {
                        if v != 0 {
                            route_localnet.iter_mut().for_each(|b| *b = true);
                        }
                    }
                    ConfDev::Dev(d) => route_localnet[dev_of(&d)?] |= v != 0,
                    // sysctl::classify refuses `default`.
                    ConfDev::Default => {}
                },
                Known::Ipv4ConfForwarding | Known::IpForward => ip_forward = v != 0,
                // IN_DEV_RPFILTER = max(all, device) (include/linux/inetdevice.h).
                // `default` only seeds devices created later; the reference
                // recorder writes every device's own value (0, then the
                // scenario's) after creating it, so `default` changes nothing.
                Known::RpFilter(dev) => {
                    let v = u8::try_from(v)
                        .ok()
                        .filter(|v| *v <= 2)
                        .ok_or_else(|| err(format!("{v}: not 0, 1 or 2")))?;
                    match dev {
                        ConfDev::All => rp_all = v,
                        ConfDev::Default => {}
                        ConfDev::Dev(d) => rp_dev[dev_of(&d)?] = v,
                    }
                }
                Known::SendRedirects(dev) => match dev {
                    ConfDev::All => redir_all = v != 0,
                    // Inherited by devices created afterwards: the
                    // reference recorder writes it before creating the
                    // interfaces (lo already exists).
                    ConfDev::Default => redir_default = Some(v != 0),
                    ConfDev::Dev(d) => redir_dev[dev_of(&d)?] = Some(v != 0),
                },
                // Accepted with no effect on what nfsim reports: martian
                // logging writes kernel messages without `IN=`/`OUT=`
                // (not LOG records); received ICMP redirects never reach
                // the host stack, which answers nothing on its own (the
                // host delivers locally and stops, as under the reference
                // method).
                Known::NoEffect(dev) => {
                    if let ConfDev::Dev(d) = &dev {
                        dev_of(d)?;
                    }
                }
                Known::Ipv6Forwarding => ip6_forward = v != 0,
                Known::IcmpRatelimit { v6 } => {
                    let ms = u32::try_from(v).map_err(|_| err(format!("{v}: out of range")))?;
                    if v6 {
                        icmp_limit.v6_ms = ms;
                    } else {
                        icmp_limit.v4_ms = ms;
                    }
                }
                // Reassembly timeouts in seconds (proc_dointvec_jiffies:
                // 0 to INT_MAX / HZ).
                Known::FragTime { v6 } => {
                    let secs = u64::try_from(v)
                        .ok()
                        .filter(|s| *s <= i32::MAX as u64 / u64::from(cfg.hz))
                        .ok_or_else(|| err(format!("{v}: out of range")))?;
                    let t = crate::time::Duration::from_secs(secs);
                    if v6 {
                        defrag.timeout_v6 = t;
                    } else {
                        defrag.timeout_v4 = t;
                    }
                }
                // Accepted when it is 0, the recorder's setting: flow
                // labels then stay 0 in what the host sends.
                Known::AutoFlowlabels if v == 0 => {}
                Known::AutoFlowlabels => return Err(err("not modelled by nfsim".into())),
                Known::BridgeNfCall { v6 } => {
                    if v6 {
                        br.call_ip6tables = v != 0;
                    } else {
                        br.call_iptables = v != 0;
                    }
                }
                Known::BridgeNoEffect => {}
                Known::Conntrack(f) => match ctcfg.set(&f, v) {
                    Ok(true) => {}
                    Ok(false) => return Err(err("not modelled by nfsim".into())),
                    Err(e) => return Err(err(e.to_string())),
                },
            }
        }
        // A `connbytes` rule turns conntrack accounting on
        // (`uses_connbytes`), in the rulesets given or in the compiled ones
        // (`with_rules` passes empty rulesets).
        let acct = compiled.map_or(uses_connbytes(v4) || uses_connbytes(v6), |c| c.acct);
        if acct {
            ctcfg
                .set("net.netfilter.nf_conntrack_acct", 1)
                .map_err(|e| HostError::Sysctl {
                    name: "net.netfilter.nf_conntrack_acct".into(),
                    message: e.to_string(),
                })?;
        }
        let tx_redirects = redir_dev
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let dev = d.unwrap_or(if i == 0 {
                    true
                } else {
                    redir_default.unwrap_or(true)
                });
                redir_all || dev
            })
            .collect();
        // addrconf_join_anycast: with forwarding on, every IPv6 address
        // (prefix shorter than /127, prefix not ::) makes its device join
        // the subnet-router anycast address of its prefix.
        if ip6_forward {
            for itf in &cfg.interfaces {
                for a in &itf.addrs {
                    if let ipnet::IpNet::V6(n) = a {
                        let any = IpAddr::V6(n.network());
                        if n.prefix_len() < 127
                            && !n.network().is_unspecified()
                            && !fib6.anycast.contains(&any)
                        {
                            fib6.anycast.push(any);
                        }
                    }
                }
            }
        }
        // Only the bucket count can be refused here (0, or a table the
        // kernel cannot allocate); Config::set already checked the rest.
        let policies: Vec<crate::conntrack::TimeoutPolicy> = cfg
            .cttimeout
            .iter()
            .filter_map(|l| crate::conntrack::TimeoutPolicy::parse(l, &ctcfg).ok())
            .collect();
        let mut ct = ConntrackTable::new(ctcfg).map_err(|e| HostError::Sysctl {
            name: "net.netfilter.nf_conntrack_buckets".into(),
            message: e.to_string(),
        })?;
        for p in policies {
            // Names were checked unique above.
            let _ = ct.add_timeout_policy(p);
        }
        let mut shared = crate::engine::shared::SharedTables::default();
        for n in nfacct {
            shared.nfacct_add(n);
        }
        shared.ipset = cfg.ipset.clone();
        let own;
        let rules = match compiled {
            Some(r) => r,
            None => {
                own = CompiledRules {
                    v4: compile_prog(v4)?,
                    v6: compile_prog(v6)?,
                    ct4: ruleset_needs_conntrack(v4),
                    ct6: ruleset_needs_conntrack(v6),
                    acct: uses_connbytes(v4) || uses_connbytes(v6),
                };
                &own
            }
        };
        let mut fam4 = family_state(&rules.v4, rules.ct4, ip_forward);
        let mut fam6 = family_state(&rules.v6, rules.ct6, ip6_forward);
        register_shared(&mut fam4, &mut shared, Family::Ipv4, cfg.hz)?;
        register_shared(&mut fam6, &mut shared, Family::Ipv6, cfg.hz)?;
        Ok(Host {
            stack: StackCtx {
                conf: StackConf {
                    dev_words: devs
                        .iter()
                        .map(|d| crate::engine::program::iface_words(d.name.as_bytes()))
                        .collect(),
                    devs,
                    route_localnet,
                    route4: route::Fib4::new(&fib4),
                    route6: route::Fib6::new(&fib6),
                    fib4,
                    fib6,
                    hz: cfg.hz,
                    rp_dev: rp_dev.iter().map(|v| (*v).max(rp_all)).collect(),
                    rp_all,
                    tx_redirects,
                },
                io: StackIo {
                    rng: SplitMix64::new(cfg.seed),
                    icmp_limit,
                    queue: txq::TxQueue::default(),
                },
            },
            v4: fam4,
            v6: fam6,
            ct,
            sender_owner: cfg.sender_owner,
            defrag,
            frag_scratch: Vec::with_capacity(2048),
            pending_discard: Vec::with_capacity(8),
            shared,
            clock: Instant::ZERO,
            br,
        })
    }

    /// Name of device `i` (0 is `lo`).
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// assert_eq!((host.device(0), host.device(1), host.device(2)), (Some("lo"), Some("eth0"), None));
    /// ```
    pub fn device(&self, i: usize) -> Option<&str> {
        self.stack.conf.devs.get(i).map(|d| d.name.as_str())
    }

    /// Index of the device with this name.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
    /// assert_eq!((host.device_index("eth0"), host.device_index("eth9")), (Some(1), None));
    /// ```
    pub fn device_index(&self, name: &str) -> Option<usize> {
        self.stack.conf.devs.iter().position(|d| d.name == name)
    }
    /// What `nfacct list` would print now: one line per nfacct object
    /// ([`HostConfig::nfacct`]), in creation order, with the packets and
    /// bytes `-m nfacct` counted (`nfnl_acct_update`; names that are not
    /// UTF-8 are shown lossily). Empty without objects.
    pub fn nfacct_list(&self) -> String {
        self.shared.nfacct.list_text()
    }

    /// What `ipset save` would print at time `now`: the sets of
    /// [`HostConfig::ipset`] as `-m set` counted into them and `SET`
    /// changed them ([`Ipsets::save_text`](crate::ipset::Ipsets::save_text):
    /// elements in insertion order). Empty without sets.
    pub fn ipset_save(&self, now: crate::time::Instant) -> String {
        self.shared.ipset.save_text(now)
    }

    /// What `ipset list` would print at time `now` (without `Size in
    /// memory`; see [`Ipsets::list_text`](crate::ipset::Ipsets::list_text)),
    /// `References` counting this host's rules that name each set.
    pub fn ipset_list(&self, now: crate::time::Instant) -> String {
        use crate::engine::program::Action;
        use crate::model::{matches::Match, targets::Target};
        let sets = &self.shared.ipset;
        let names: Vec<&str> = sets.names().collect();
        let mut refs = vec![0u32; names.len()];
        let mut bump = |n: &[u8]| {
            if let Some(i) = names.iter().position(|x| x.as_bytes() == n) {
                refs[i] += 1;
            }
        };
        for prog in [&self.v4.prog, &self.v6.prog] {
            for r in prog.tables.iter().flatten().flat_map(|t| t.rules.iter()) {
                for m in r.matches.iter() {
                    if let Match::Set(x) = m {
                        bump(x.name.as_bytes());
                    }
                }
                if let Action::Ext(Target::Set(t)) = &r.action {
                    for x in [&t.add, &t.del, &t.map].into_iter().flatten() {
                        bump(x.name.as_bytes());
                    }
                }
            }
        }
        sets.list_text(now, &refs)
    }

    /// The packets and bytes counted into the nfacct object `name`
    /// (`nfacct get NAME`), or `None` if it does not exist.
    pub fn nfacct_counters(&self, name: &str) -> Option<(u64, u64)> {
        let id = self.shared.nfacct.find(name.as_bytes())?;
        let o = &self.shared.nfacct.objects[id as usize];
        Some((o.pkts, o.bytes))
    }

    /// The connection tracking table.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// use nfsim::model::matches::conntrack::CtStates;
    /// let mut rules = Ruleset::new(Family::Ipv4);
    /// rules.table_mut(TableKind::Filter).chain_mut("INPUT").unwrap()
    ///     .rules.push(Rule::new().ctstate(CtStates::NEW).accept());
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1000, 53).build();
    /// host.receive(1, &pkt, Instant::ZERO, &mut Outcome::default(), &mut NoTrace);
    /// assert_eq!(host.conntrack().count(), 1);
    /// ```
    pub fn conntrack(&self) -> &ConntrackTable {
        &self.ct
    }

    /// Counters of a table's rules (entries in program order, tails included).
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n-A INPUT -j ACCEPT\nCOMMIT\n", &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// assert!(host.table_state(Family::Ipv4, TableKind::Filter).is_some());
    /// assert!(host.table_state(Family::Ipv4, TableKind::Nat).is_none());
    /// ```
    pub fn table_state(&self, family: Family, kind: TableKind) -> Option<&TableState> {
        let f = match family {
            Family::Ipv4 => &self.v4,
            Family::Ipv6 => &self.v6,
        };
        f.states[kind as usize].as_ref()
    }

    /// Writes the host's live counters (what its packets added since it
    /// was built: they start at zero, as after `iptables-restore` without
    /// `-c`) into `rs`, the ruleset of
    /// `rs.family` the host was built from: each rule's `[packets:bytes]`
    /// and each built-in chain's policy counters, as `iptables -L -v` and
    /// `iptables-save -c` read them from the kernel (`get_counters`). Tables
    /// the host does not run are left alone; chains or rules of `rs` the
    /// host's program does not have (another ruleset) are an error.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let mut rules = parse_restore("*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1000, 53).build();
    /// host.receive(1, &pkt, Instant::ZERO, &mut Outcome::default(), &mut NoTrace);
    /// host.copy_counters(&mut rules).unwrap();
    /// let c = rules.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0].counters;
    /// assert_eq!((c.packets, c.bytes), (1, pkt.len() as u64));
    /// ```
    ///
    /// # Errors
    /// A chain or rule of `rs` that the host's program does not hold.
    pub fn copy_counters(&self, rs: &mut Ruleset) -> Result<(), String> {
        let f = match rs.family {
            Family::Ipv4 => &self.v4,
            Family::Ipv6 => &self.v6,
        };
        for table in &mut rs.tables {
            let (Some(prog), Some(state)) = (
                f.prog.table(table.kind),
                f.states[table.kind as usize].as_ref(),
            ) else {
                continue;
            };
            let name = table.kind.name();
            for c in &prog.chains {
                let chain = table
                    .chain_mut(&c.name)
                    .ok_or_else(|| format!("{name}: no chain {} in the ruleset", c.name))?;
                for id in c.start.0..=c.tail.0 {
                    let (packets, bytes) = state.counters[id as usize];
                    let counters = crate::model::Counters { packets, bytes };
                    if id == c.tail.0 {
                        if c.hook.is_some() {
                            chain.counters = counters;
                        }
                    } else {
                        let n = (id - c.start.0) as usize;
                        let rule = chain
                            .rules
                            .get_mut(n)
                            .ok_or_else(|| format!("{name}: {} has no rule {}", c.name, n + 1))?;
                        rule.counters = counters;
                    }
                }
            }
        }
        Ok(())
    }
}
