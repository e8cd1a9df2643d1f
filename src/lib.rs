//! nfsim: a packet-for-packet model of Linux netfilter.
//!
//! nfsim answers, without root and without a live machine, what a Linux host
//! with a given iptables / ip6tables ruleset does with a packet: which rules
//! it traverses (the kernel's own `TRACE` records), what `LOG` writes, which
//! packets leave the host (forwarded, NATed, `REJECT` replies, the stack's
//! own answers on `lo`), whether it is delivered locally, and the connection
//! tracking table afterwards, in `/proc/net/nf_conntrack` form. Its reference
//! is the kernel itself: the test suite replays traces recorded from a real
//! Linux 6.18 kernel (`tests/traces/`) and reports agreement per field.
//!
//! # Should I use this crate?
//!
//! Use it to explain or test a ruleset (Docker, kube-proxy, ufw, firewalld,
//! hand-written servers and routers), as the firewall of a network
//! simulator, or as a fuzzing oracle. It models one host and the legacy
//! iptables (x_tables) path; nftables and bridge netfilter are out of scope.
//! Anything it does not model is an explicit error (a rule it cannot
//! evaluate is refused when the host is built), never a silent
//! approximation.
//!
//! # Layers
//!
//! ```text
//! iptables-restore text ──syntax──▶ model::Ruleset ──engine::Program::compile──▶ flat programs
//!                                                                                   │
//! packet bytes ──wire views──▶ host::Host (hooks in kernel order, routing, conntrack, NAT)
//!                          ──▶ host::Outcome + engine::TraceSink records
//! ```
//!
//! - [`time`]: integer `Instant`/`Duration`; nothing reads a clock.
//! - [`wire`]: zero-copy views over IPv4/IPv6 (extension headers), TCP, UDP,
//!   ICMP/ICMPv6, checksums with incremental updates, the kernel's receive
//!   checks, REJECT reply builders, and [`wire::PacketBuilder`] to build
//!   packets from fields.
//! - [`model`]: the typed ruleset (`Ruleset` → `Table` → `Chain` → `Rule`),
//!   one typed struct per match and target extension.
//! - [`syntax`]: the `iptables-restore` language parsed as iptables 1.8 parses
//!   it (its tokenizer and getopt semantics) and the exact `iptables-save`
//!   output, both bytes: names, comments and prefixes are kept byte for byte
//!   ([`model::ByteStr`]), UTF-8 or not.
//! - [`engine`]: a table compiled once into a flat program and walked like
//!   `ipt_do_table`, with caller-owned state (counters, match state, jump
//!   stack) and a [`engine::TraceSink`] that costs nothing when unused.
//! - [`conntrack`]: the connection tracking table (TCP window tracking, UDP,
//!   ICMP, RELATED errors, timeouts) and NAT bindings, growing with the
//!   entries held (never sized by `nf_conntrack_max` / `_buckets`).
//! - [`host`]: devices, addresses, routes, sysctls and the hook pipeline,
//!   `LOG` text, `REJECT` replies, reassembly.
//! - [`explain`]: the sinks every user needs: [`TraceCollector`] (TRACE
//!   records) and [`Explain`] (each rule met, and which part failed).
//! - [`question`]: one packet described in one line
//!   (`in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn`), as `nfsim trace`
//!   takes it.
//! - `replay` (feature `serde`): the reference trace format (`nfsim-trace/1`) and the driver
//!   behind `nfsim replay`.
//!
//! # Example
//!
//! ```
//! use nfsim::host::{Disposition, Host, HostConfig, InterfaceConfig, Outcome};
//! use nfsim::model::{Family, Ruleset};
//! use nfsim::TraceCollector;
//! use nfsim::syntax::{parse_restore, RestoreOptions};
//! use nfsim::time::Instant;
//! use nfsim::wire::{tcp::TcpFlags, PacketBuilder};
//!
//! let rules = parse_restore(
//!     "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
//!     &RestoreOptions::new(Family::Ipv4),
//! ).unwrap();
//! let cfg = HostConfig {
//!     interfaces: vec![InterfaceConfig {
//!         name: "eth0".into(),
//!         mac: [2, 0, 0, 0, 0, 1],
//!         addrs: vec!["192.0.2.1/24".parse().unwrap()],
//!         peer_mac: [2, 0, 0, 0, 1, 1],
//!     }],
//!     ..HostConfig::default()
//! };
//! let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
//! // A TCP SYN 192.0.2.20:50000 -> 192.0.2.1:22 arriving on eth0.
//! let syn = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
//!     .tcp(50000, 22)
//!     .flags(TcpFlags::SYN)
//!     .seq(10)
//!     .build();
//! let mut out = Outcome::default();
//! let mut trace = TraceCollector::default();
//! host.receive(host.device_index("eth0").unwrap(), &syn, Instant::ZERO, &mut out, &mut trace);
//! assert_eq!(trace.records, ["filter:INPUT:rule:1"]);
//! assert!(out.local);
//! assert_eq!(out.disposition(), Disposition::Delivered { dev: 1 });
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "arbitrary")]
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
pub mod arbitrary;
pub mod conntrack;
pub mod engine;
pub mod explain;
pub mod host;
pub mod ipset;
pub mod model;
pub mod net;
pub mod nf;
pub mod question;
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
pub mod replay;
pub mod syntax;
pub mod time;
pub mod wire;

#[cfg(test)]
mod tests;

pub use explain::{Explain, TraceCollector};
pub use host::{
    Disposition, DropReason, Host, HostConfig, HostError, InterfaceConfig, Outcome, RouteConfig,
    Sysctl,
};
pub use model::{Chain, Family, Match, Rule, Ruleset, Table, Target};
pub use time::{Duration, Instant};
pub use wire::PacketBuilder;

/// What most programs need, in one import: `use nfsim::prelude::*;`.
///
/// ```
/// use nfsim::prelude::*;
/// let rules = parse_restore("*filter\n-A INPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4)).unwrap();
/// let cfg = HostConfig {
///     interfaces: vec![InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap()],
///     ..HostConfig::default()
/// };
/// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// let pkt = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .udp(40000, 53).payload(b"q").build();
/// let mut out = Outcome::default();
/// host.receive(1, &pkt, Instant::ZERO, &mut out, &mut NoTrace);
/// assert!(matches!(out.disposition(), Disposition::Delivered { .. }));
/// ```
pub mod prelude {
    pub use crate::engine::{NoTrace, TraceSink};
    pub use crate::explain::{Explain, TraceCollector};
    pub use crate::host::{
        Disposition, DropReason, Host, HostConfig, HostError, InterfaceConfig, Outcome,
        RouteConfig, Sysctl,
    };
    pub use crate::model::{Chain, Family, Match, Rule, Ruleset, Table, TableKind, Target};
    pub use crate::net::{LinkConfig, Network};
    pub use crate::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};
    pub use crate::time::{Duration, Instant};
    pub use crate::wire::PacketBuilder;
}
