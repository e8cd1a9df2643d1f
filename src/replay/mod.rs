//! The reference trace format `nfsim-trace/1` (see
//! `shared/spec/trace-format.md`), the replay driver behind `nfsim replay`,
//! and the comparison rules used to measure agreement with the kernel.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::host::{Host, HostConfig, HostError, InterfaceConfig, Outcome, RouteConfig};
use crate::model::{Family, Ruleset};
use crate::syntax::{parse_restore, RestoreOptions};
use crate::time::Instant;

/// `recorded_with`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordedWith {
    /// `uname -r`.
    #[serde(default)]
    pub kernel: String,
    /// `iptables --version`.
    #[serde(default)]
    pub iptables: String,
    /// `CONFIG_HZ`.
    #[serde(default = "default_hz")]
    pub hz: u32,
}

fn default_hz() -> u32 {
    250
}

impl Default for RecordedWith {
    /// No versions, and the tick rate the reference machines run at (250).
    fn default() -> Self {
        RecordedWith {
            kernel: String::new(),
            iptables: String::new(),
            hz: default_hz(),
        }
    }
}

/// The neighbour on a link.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PeerSpec {
    /// Its MAC.
    pub mac: String,
    /// Its addresses.
    #[serde(default)]
    pub addrs: Vec<String>,
}

/// A host interface.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// assert_eq!(t.host.interfaces[0].peer.addrs, ["192.0.2.9/24"]);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IfaceSpec {
    /// Name.
    pub name: String,
    /// MAC.
    pub mac: String,
    /// CIDR addresses.
    #[serde(default)]
    pub addrs: Vec<String>,
    /// The peer.
    pub peer: PeerSpec,
    /// The bridge this interface is a port of (`ip link set DEV master
    /// BRIDGE`), one of [`HostSpec::bridges`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
}

/// A bridge device (`ip link add NAME address MAC type bridge`); its
/// ports are the interfaces naming it as `master`, enslaved in interface
/// order; the addresses of their peers are its permanent neighbours.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BridgeSpec {
    /// Name.
    pub name: String,
    /// MAC.
    pub mac: String,
    /// CIDR addresses.
    #[serde(default)]
    pub addrs: Vec<String>,
}

/// A route.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RouteSpec {
    /// Destination CIDR.
    pub dst: String,
    /// Gateway.
    #[serde(default)]
    pub via: Option<String>,
    /// Device.
    #[serde(default)]
    pub dev: Option<String>,
}

/// The host section.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// assert!(t.host.routes.is_empty() && t.host.sysctl.is_empty());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct HostSpec {
    /// Interfaces besides `lo`.
    #[serde(default)]
    pub interfaces: Vec<IfaceSpec>,
    /// Routes.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Sysctls.
    #[serde(default)]
    pub sysctl: BTreeMap<String, i64>,
    /// nfacct objects created before the rules load (`nfacct add NAME`,
    /// in this order; [`HostConfig::nfacct`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nfacct: Vec<String>,
    /// Timeout policies created before the rules load, each the words
    /// after `nfct add timeout` ([`HostConfig::cttimeout`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cttimeout: Vec<String>,
    /// ip sets created before the rules load: `ipset restore` text
    /// ([`HostConfig::ipset`], [`Ipsets::restore`](crate::ipset::Ipsets::restore)).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ipset: String,
    /// Bridge devices, after the interfaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bridges: Vec<BridgeSpec>,
}

/// The rules section.
///
/// A ruleset is iptables-restore input, which is bytes: `ipv4` / `ipv6`
/// give it as text (its UTF-8 bytes), `ipv4_hex` / `ipv6_hex` as hex
/// digits, for a ruleset whose chain names, comments or prefixes hold bytes
/// that are not UTF-8 (a JSON or TOML string holds only Unicode). At most
/// one of the two per family.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// assert!(t.rules.ipv4.is_some() && t.rules.ipv6.is_none());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RulesSpec {
    /// iptables-restore text.
    #[serde(default)]
    pub ipv4: Option<String>,
    /// ip6tables-restore text.
    #[serde(default)]
    pub ipv6: Option<String>,
    /// iptables-restore input as hex digits (instead of `ipv4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_hex: Option<String>,
    /// ip6tables-restore input as hex digits (instead of `ipv6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_hex: Option<String>,
}

/// An emitted packet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct EmittedSpec {
    /// Device.
    pub dev: String,
    /// L3 bytes in hex.
    pub hex: String,
}

/// A conntrack entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CtSpec {
    /// `/proc/net/nf_conntrack` line without numbers, timeout, zone, use.
    pub entry: String,
    /// Remaining seconds.
    pub timeout: i64,
}

/// What happened to one packet (the kernel's, or nfsim's).
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// let ours = replay(&t).unwrap();
/// assert_eq!(ours[0].trace, ["filter:INPUT:rule:1"]); // every packet is traced
/// assert!(ours[0].local && ours[0].emitted.is_empty());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Expect {
    /// TRACE records.
    #[serde(default)]
    pub trace: Vec<String>,
    /// Delivered locally.
    #[serde(default)]
    pub local: bool,
    /// Packets that left.
    #[serde(default)]
    pub emitted: Vec<EmittedSpec>,
    /// The conntrack table after the packet.
    #[serde(default)]
    pub conntrack: Vec<CtSpec>,
    /// LOG lines.
    #[serde(default)]
    pub log: Vec<String>,
    /// What `nfacct list` prints after the packet, line by line (absent
    /// when the host has no nfacct objects).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nfacct: Vec<String>,
    /// The `add` lines `ipset save` prints after the packet, without their
    /// `timeout N` part, sorted (the kernel dumps a hash set in the order
    /// of a randomly seeded hash); absent when the host has no sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipset: Vec<String>,
}

/// The `add` lines of `ipset save` text as [`Expect::ipset`] keeps them:
/// without `timeout N`, sorted.
///
/// ```
/// assert_eq!(nfsim::replay::ipset_adds("create a hash:ip timeout 9\nadd a 192.0.2.2 timeout 8\nadd a 192.0.2.1 timeout 3\n"),
///     ["add a 192.0.2.1", "add a 192.0.2.2"]);
/// ```
pub fn ipset_adds(save: &str) -> Vec<String> {
    let mut v: Vec<String> = save
        .lines()
        .filter(|l| l.starts_with("add "))
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            let mut out: Vec<&str> = Vec::new();
            let mut i = 0;
            while i < w.len() {
                if w[i] == "timeout" && i >= 3 {
                    i += 2;
                    continue;
                }
                out.push(w[i]);
                i += 1;
            }
            out.join(" ")
        })
        .collect();
    v.sort();
    v
}

/// One packet of a trace.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// assert_eq!(t.packets[0].in_dev.as_deref(), Some("eth0"));
/// assert!(t.packets[0].expect.is_none());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PacketSpec {
    /// Milliseconds since the first packet.
    pub at_ms: f64,
    /// Arrives on this interface...
    #[serde(default, rename = "in")]
    pub in_dev: Option<String>,
    /// ...or is sent by the host.
    #[serde(default)]
    pub out: Option<bool>,
    /// The received frame's Ethernet destination when it is not the
    /// interface's own MAC (a frame bridged between ports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_mac: Option<String>,
    /// From the IP header on.
    pub hex: String,
    /// The kernel's answer.
    #[serde(default)]
    pub expect: Option<Expect>,
}

impl PacketSpec {
    /// The received frame's Ethernet destination (`dst_mac`), when the
    /// packet gives one ([`Host::receive_frame`]).
    ///
    /// ```
    /// use nfsim::replay::PacketSpec;
    /// let p = PacketSpec { at_ms: 0.0, in_dev: Some("veth0".into()), out: None,
    ///     dst_mac: Some("02:00:00:00:01:11".into()), hex: String::new(), expect: None };
    /// assert_eq!(p.frame_dst().unwrap(), Some([2, 0, 0, 0, 1, 0x11]));
    /// ```
    ///
    /// # Errors
    /// A `dst_mac` that is not a MAC address.
    pub fn frame_dst(&self) -> Result<Option<[u8; 6]>, ReplayError> {
        self.dst_mac.as_deref().map(parse_mac).transpose()
    }
}

/// A whole trace file.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// assert_eq!((t.packets.len(), t.host.interfaces[0].name.as_str()), (1, "eth0"));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TraceFile {
    /// `nfsim-trace/1`.
    pub format: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Versions.
    #[serde(default)]
    pub recorded_with: RecordedWith,
    /// The host.
    #[serde(default)]
    pub host: HostSpec,
    /// The rules.
    #[serde(default)]
    pub rules: RulesSpec,
    /// The packets.
    #[serde(default)]
    pub packets: Vec<PacketSpec>,
}

/// Errors of loading or replaying a trace.
///
/// ```
/// use nfsim::replay::TraceFile;
/// let e = TraceFile::from_json(r#"{"format": "nfsim-trace/9"}"#).unwrap_err();
/// assert_eq!(e.to_string(), "format: \"nfsim-trace/9\" is not nfsim-trace/1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    kind: ReplayErrorKind,
    message: String,
}

/// Which part of a trace an error is about.
///
/// ```
/// use nfsim::replay::{ReplayErrorKind, TraceFile};
/// let e = TraceFile::from_json(r#"{"format": "nfsim-trace/1", "rules": {"ipv4": "*filter\n"}}"#)
///     .unwrap().rulesets().unwrap_err();
/// assert_eq!(e.kind(), ReplayErrorKind::Rules);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayErrorKind {
    /// The file itself: JSON, the format tag, hex digits, packet times.
    File,
    /// The host it describes: devices, addresses, routes, sysctls.
    Host,
    /// Its rulesets.
    Rules,
    /// A packet that cannot be given to the host (an unknown device).
    Packet,
}

impl ReplayError {
    fn new(kind: ReplayErrorKind, message: String) -> ReplayError {
        ReplayError { kind, message }
    }
    /// Which part of the trace is at fault.
    ///
    /// ```
    /// use nfsim::replay::{ReplayErrorKind, TraceFile};
    /// let e = TraceFile::from_json("{").unwrap_err();
    /// assert_eq!(e.kind(), ReplayErrorKind::File);
    /// ```
    pub fn kind(&self) -> ReplayErrorKind {
        self.kind
    }
    /// The message, naming the field (`packets[3].hex: ...`).
    ///
    /// ```
    /// use nfsim::replay::from_hex;
    /// assert_eq!(from_hex("4g").unwrap_err().message(), "not a hex digit at offset 1");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl core::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReplayError {}

fn parse_mac(s: &str) -> Result<[u8; 6], ReplayError> {
    let bad = || {
        ReplayError::new(
            ReplayErrorKind::Host,
            format!("{s:?} is not a MAC address (six hex bytes joined by `:`)"),
        )
    };
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        let p = parts.next().ok_or_else(bad)?;
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *b = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(m)
}

/// Decodes hex (either case), byte by byte: any other character, ASCII or
/// not, is an error naming its offset.
///
/// ```
/// use nfsim::replay::from_hex;
/// assert_eq!(from_hex("45Ff").unwrap(), vec![0x45, 0xff]);
/// assert_eq!(from_hex("4").unwrap_err().to_string(), "odd hex length (1 digits)");
/// assert_eq!(from_hex("4é").unwrap_err().to_string(), "not a hex digit at offset 1");
/// ```
pub fn from_hex(s: &str) -> Result<Vec<u8>, ReplayError> {
    let b = s.as_bytes();
    let digit = |i: usize| -> Result<u8, ReplayError> {
        match b[i] {
            c @ b'0'..=b'9' => Ok(c - b'0'),
            c @ b'a'..=b'f' => Ok(c - b'a' + 10),
            c @ b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(ReplayError::new(
                ReplayErrorKind::File,
                format!("not a hex digit at offset {i}"),
            )),
        }
    };
    if let Some(i) = (0..b.len()).find(|&i| digit(i).is_err()) {
        return Err(ReplayError::new(
            ReplayErrorKind::File,
            format!("not a hex digit at offset {i}"),
        ));
    }
    if b.len() % 2 != 0 {
        return Err(ReplayError::new(
            ReplayErrorKind::File,
            format!("odd hex length ({} digits)", b.len()),
        ));
    }
    b.chunks_exact(2)
        .enumerate()
        .map(|(k, _)| Ok(digit(2 * k)? << 4 | digit(2 * k + 1)?))
        .collect()
}

/// The time of a packet: `at_ms` must be a finite, non-negative number of
/// milliseconds below [`Instant::MAX_SUPPORTED`], and no earlier than the
/// packet before it (`prev`).
fn packet_time(at_ms: f64, prev: Option<f64>) -> Result<Instant, String> {
    let max_ms = Instant::MAX_SUPPORTED.as_nanos() as f64 / 1e6;
    if !at_ms.is_finite() || at_ms < 0.0 || at_ms > max_ms {
        let shown = if at_ms.abs() < 1e15 {
            format!("{at_ms}")
        } else {
            format!("{at_ms:e}")
        };
        return Err(format!(
            "{shown}: a time is 0 to {max_ms:.0} ms (Instant::MAX_SUPPORTED)"
        ));
    }
    if let Some(p) = prev.filter(|p| at_ms < *p) {
        return Err(format!(
            "{at_ms} is earlier than the packet before ({p}): times never go backwards"
        ));
    }
    Ok(Instant::from_millis_f64(at_ms))
}

/// Encodes hex (lower case).
///
/// ```
/// use nfsim::replay::{from_hex, to_hex};
/// assert_eq!(to_hex(&[0x45, 0x00, 0xff]), "4500ff");
/// assert_eq!(from_hex(&to_hex(b"nfsim")).unwrap(), b"nfsim");
/// ```
pub fn to_hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

impl TraceFile {
    /// Parses a trace file and checks what the types alone cannot: the
    /// format tag, every packet's hex and the packet times. Errors name
    /// the field (`packets[3].hex: ...`, `host.sysctl.net.ipv4...: ...`).
    ///
    /// ```
    /// use nfsim::replay::TraceFile;
    /// let e = TraceFile::from_json(r#"{"format":"nfsim-trace/1","packets":[{"at_ms":0,"in":"eth0","hex":"4"}]}"#);
    /// assert_eq!(e.unwrap_err().to_string(), "packets[0].hex: odd hex length (1 digits)");
    /// let e = TraceFile::from_json(r#"{"format":"nfsim-trace/1","host":{"sysctl":{"a":"x"}}}"#);
    /// assert!(e.unwrap_err().to_string().starts_with("host.sysctl.a: invalid type"));
    /// ```
    pub fn from_json(text: &str) -> Result<TraceFile, ReplayError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let t: TraceFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                ReplayError::new(ReplayErrorKind::File, format!("trace file: {inner}"))
            } else {
                ReplayError::new(ReplayErrorKind::File, format!("{path}: {inner}"))
            }
        })?;
        if t.format != "nfsim-trace/1" {
            return Err(ReplayError::new(
                ReplayErrorKind::File,
                format!("format: {:?} is not nfsim-trace/1", t.format),
            ));
        }
        let mut prev = None;
        for (i, p) in t.packets.iter().enumerate() {
            from_hex(&p.hex).map_err(|e| {
                ReplayError::new(ReplayErrorKind::File, format!("packets[{i}].hex: {e}"))
            })?;
            packet_time(p.at_ms, prev).map_err(|e| {
                ReplayError::new(ReplayErrorKind::File, format!("packets[{i}].at_ms: {e}"))
            })?;
            prev = Some(p.at_ms);
            match (&p.in_dev, p.out) {
                (Some(_), None | Some(false)) | (None, Some(true)) => {}
                _ => {
                    return Err(ReplayError::new(
                        ReplayErrorKind::File,
                        format!("packets[{i}]: a packet has either `in` (a device) or `out: true`"),
                    ))
                }
            }
        }
        Ok(t)
    }

    /// The host's ip sets (`host.ipset`).
    ///
    /// # Errors
    /// The line `ipset restore` would refuse.
    pub fn ipsets(&self) -> Result<crate::ipset::Ipsets, ReplayError> {
        crate::ipset::Ipsets::restore(&self.host.ipset)
            .map_err(|e| ReplayError::new(ReplayErrorKind::Host, format!("host.ipset: {e}")))
    }

    /// The host configuration this trace describes.
    ///
    /// ```
    /// use nfsim::replay::*;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// let json = format!(r#"{{"format": "nfsim-trace/1",
    ///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
    ///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
    ///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
    ///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
    /// let t = TraceFile::from_json(&json).unwrap();
    /// let cfg = t.host_config().unwrap();
    /// assert_eq!(cfg.interfaces[0].mac, [2, 0, 0, 0, 0, 1]);
    /// ```
    pub fn host_config(&self) -> Result<HostConfig, ReplayError> {
        let mut interfaces = Vec::new();
        for (n, i) in self.host.interfaces.iter().enumerate() {
            let at = |f: &str, e: ReplayError| {
                ReplayError::new(
                    ReplayErrorKind::Host,
                    format!("host.interfaces[{n}].{f}: {e}"),
                )
            };
            let addrs = i
                .addrs
                .iter()
                .enumerate()
                .map(|(k, a)| {
                    a.parse().map_err(|_| {
                        ReplayError::new(
                            ReplayErrorKind::Host,
                            format!("host.interfaces[{n}].addrs[{k}]: {a:?} is not ADDRESS/PREFIX"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            interfaces.push(InterfaceConfig {
                name: i.name.clone(),
                mac: parse_mac(&i.mac).map_err(|e| at("mac", e))?,
                addrs,
                peer_mac: parse_mac(&i.peer.mac).map_err(|e| at("peer.mac", e))?,
            });
        }
        let mut bridges = Vec::new();
        for (n, b) in self.host.bridges.iter().enumerate() {
            let at = |f: &str, m: String| {
                ReplayError::new(ReplayErrorKind::Host, format!("host.bridges[{n}].{f}: {m}"))
            };
            let mut cfg = crate::host::BridgeConfig::new(
                &b.name,
                parse_mac(&b.mac).map_err(|e| at("mac", e.to_string()))?,
                &[],
            );
            for a in &b.addrs {
                cfg = cfg
                    .with_addr(a)
                    .map_err(|_| at("addrs", format!("{a:?} is not ADDRESS/PREFIX")))?;
            }
            for i in &self.host.interfaces {
                if i.master.as_deref() != Some(b.name.as_str()) {
                    continue;
                }
                cfg.ports.push(i.name.clone());
                let mac = parse_mac(&i.peer.mac).map_err(|e| at("ports", e.to_string()))?;
                for a in &i.peer.addrs {
                    if let Ok(net) = a.parse::<ipnet::IpNet>() {
                        cfg.neighbours.push((net.addr(), mac));
                    }
                }
            }
            bridges.push(cfg);
        }
        for (n, i) in self.host.interfaces.iter().enumerate() {
            if let Some(m) = &i.master {
                if !self.host.bridges.iter().any(|b| &b.name == m) {
                    return Err(ReplayError::new(
                        ReplayErrorKind::Host,
                        format!("host.interfaces[{n}].master: no bridge {m} in host.bridges"),
                    ));
                }
            }
        }
        let mut routes = Vec::new();
        for (n, r) in self.host.routes.iter().enumerate() {
            routes.push(RouteConfig {
                dst: r.dst.parse().map_err(|_| {
                    ReplayError::new(
                        ReplayErrorKind::Host,
                        format!("host.routes[{n}].dst: {:?} is not ADDRESS/PREFIX", r.dst),
                    )
                })?,
                via: match &r.via {
                    Some(v) => Some(v.parse::<IpAddr>().map_err(|_| {
                        ReplayError::new(
                            ReplayErrorKind::Host,
                            format!("host.routes[{n}].via: {v:?} is not an address"),
                        )
                    })?),
                    None => None,
                },
                dev: r.dev.clone(),
            });
        }
        Ok(HostConfig {
            interfaces,
            routes,
            sysctls: self
                .host
                .sysctl
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            hz: self.recorded_with.hz,
            seed: 0,
            sender_owner: Some((0, 0)),
            nfacct: self.host.nfacct.iter().map(|n| n.as_str().into()).collect(),
            ipset: self.ipsets()?,
            bridges,
            cttimeout: self.host.cttimeout.clone(),
        })
    }

    /// The timeout policies of `host.cttimeout` as `-j CT --timeout`
    /// checks them: name, family, protocol.
    ///
    /// ```
    /// use nfsim::replay::TraceFile;
    /// let mut t = TraceFile::from_json(r#"{"format": "nfsim-trace/1", "host": {"interfaces": []}, "rules": {}, "packets": []}"#).unwrap();
    /// t.host.cttimeout.push("u inet udp unreplied 5".into());
    /// assert_eq!(t.cttimeout_objects().unwrap(), vec![(b"u".to_vec(), nfsim::model::Family::Ipv4, 17)]);
    /// ```
    pub fn cttimeout_objects(&self) -> Result<Vec<(Vec<u8>, Family, u8)>, ReplayError> {
        let mut v = Vec::with_capacity(self.host.cttimeout.len());
        for (k, l) in self.host.cttimeout.iter().enumerate() {
            let p = crate::conntrack::TimeoutPolicy::parse(l, &crate::conntrack::Config::default())
                .map_err(|e| {
                    ReplayError::new(ReplayErrorKind::Host, format!("host.cttimeout[{k}]: {e}"))
                })?;
            v.push((p.name, p.family, p.proto));
        }
        Ok(v)
    }

    /// The two rulesets.
    ///
    /// ```
    /// use nfsim::replay::*;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// let json = format!(r#"{{"format": "nfsim-trace/1",
    ///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
    ///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
    ///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
    ///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
    /// let t = TraceFile::from_json(&json).unwrap();
    /// let (v4, v6) = t.rulesets().unwrap();
    /// assert_eq!((v4.tables.len(), v6.tables.len()), (1, 0));
    /// ```
    pub fn rulesets(&self) -> Result<(Ruleset, Ruleset), ReplayError> {
        let nfacct: Vec<crate::model::ByteStr> =
            self.host.nfacct.iter().map(|n| n.as_str().into()).collect();
        let ipset = self.ipsets()?;
        let cttimeout = self.cttimeout_objects()?;
        let load = |text: &Option<String>,
                    hex: &Option<String>,
                    family: Family|
         -> Result<Ruleset, ReplayError> {
            let field = match family {
                Family::Ipv4 => "rules.ipv4",
                Family::Ipv6 => "rules.ipv6",
            };
            let input = match (text, hex) {
                (None, None) => return Ok(Ruleset::new(family)),
                (Some(_), Some(_)) => {
                    return Err(ReplayError::new(
                        ReplayErrorKind::Rules,
                        format!("{field} and {field}_hex: give the ruleset once"),
                    ))
                }
                (Some(t), None) => t.as_bytes().to_vec(),
                (None, Some(h)) => from_hex(h).map_err(|e| {
                    ReplayError::new(ReplayErrorKind::Rules, format!("{field}_hex: {e}"))
                })?,
            };
            let field = if hex.is_some() {
                format!("{field}_hex")
            } else {
                field.to_string()
            };
            parse_restore(
                &input,
                &RestoreOptions::new(family)
                    .with_nfacct(&nfacct)
                    .with_ipset(&ipset)
                    .with_cttimeout(&cttimeout),
            )
            .map_err(|e| ReplayError::new(ReplayErrorKind::Rules, format!("{field}:{e}")))
        };
        Ok((
            load(&self.rules.ipv4, &self.rules.ipv4_hex, Family::Ipv4)?,
            load(&self.rules.ipv6, &self.rules.ipv6_hex, Family::Ipv6)?,
        ))
    }

    /// Builds the host.
    ///
    /// ```
    /// use nfsim::replay::*;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// let json = format!(r#"{{"format": "nfsim-trace/1",
    ///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
    ///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
    ///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
    ///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
    /// let t = TraceFile::from_json(&json).unwrap();
    /// let host = t.build_host().unwrap();
    /// assert_eq!(host.device_index("eth0"), Some(1));
    /// ```
    pub fn build_host(&self) -> Result<Host, ReplayError> {
        let (v4, v6) = self.rulesets()?;
        Host::new(&self.host_config()?, &v4, &v6).map_err(|e| {
            ReplayError::new(
                ReplayErrorKind::Host,
                match e {
                    HostError::Sysctl { name, message } => format!("host.sysctl.{name}: {message}"),
                    HostError::Config { field, message } if field == "hz" => {
                        format!("recorded_with.hz: {message}")
                    }
                    HostError::Config { field, message } if field.starts_with("rules.") => {
                        format!("{field}: {message}")
                    }
                    HostError::Config { field, message } => format!("host.{field}: {message}"),
                    other => other.to_string(),
                },
            )
        })
    }
}

/// Kept here for compatibility: [`crate::TraceCollector`].
pub use crate::explain::TraceCollector;

/// Replays a trace file's packets through a fresh host, returning nfsim's
/// answer for each packet in order.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// let ours = replay(&t).unwrap();
/// assert_eq!(ours.len(), 1);
/// assert!(ours[0].local);
/// ```
pub fn replay(t: &TraceFile) -> Result<Vec<Expect>, ReplayError> {
    let mut host = t.build_host()?;
    let mut out = Outcome::default();
    let mut results = Vec::with_capacity(t.packets.len());
    let mut prev = None;
    for (i, p) in t.packets.iter().enumerate() {
        let bytes = from_hex(&p.hex).map_err(|e| {
            ReplayError::new(ReplayErrorKind::File, format!("packets[{i}].hex: {e}"))
        })?;
        let now = packet_time(p.at_ms, prev).map_err(|e| {
            ReplayError::new(ReplayErrorKind::File, format!("packets[{i}].at_ms: {e}"))
        })?;
        prev = Some(p.at_ms);
        let mut sink = TraceCollector::default();
        if p.out == Some(true) {
            host.send(&bytes, now, &mut out, &mut sink);
        } else {
            let dev_name = p.in_dev.as_deref().ok_or_else(|| {
                ReplayError::new(
                    ReplayErrorKind::Packet,
                    format!("packets[{i}]: neither `in` nor `out`"),
                )
            })?;
            let dev = host.device_index(dev_name).ok_or_else(|| {
                ReplayError::new(
                    ReplayErrorKind::Packet,
                    format!("packets[{i}].in: no device {dev_name} on the host"),
                )
            })?;
            let dst = p.frame_dst().map_err(|e| {
                ReplayError::new(
                    ReplayErrorKind::Packet,
                    format!("packets[{i}].dst_mac: {e}"),
                )
            })?;
            match dst {
                Some(mac) => host.receive_frame(dev, mac, &bytes, now, &mut out, &mut sink),
                None => host.receive(dev, &bytes, now, &mut out, &mut sink),
            }
        }
        results.push(observe(&host, &out, now, sink.records));
    }
    Ok(results)
}

/// What the host did with the packet it just handled, in the trace
/// format: the TRACE `records` a [`TraceCollector`] saw, `local`, the
/// emitted packets, the conntrack table at `now` (sorted by entry) and the
/// LOG lines of `out`.
pub fn observe(host: &Host, out: &Outcome, now: Instant, records: Vec<String>) -> Expect {
    let emitted = out
        .emitted()
        .map(|(d, b)| EmittedSpec {
            dev: host.device(d).unwrap_or("?").to_string(),
            hex: to_hex(b),
        })
        .collect();
    let mut conntrack: Vec<CtSpec> = host
        .conntrack()
        .entries(now)
        .filter_map(|h| {
            let e = host.conntrack().proc_entry(h)?.to_string();
            let secs = host.conntrack().remaining_secs(h, now)? as i64;
            Some(CtSpec {
                entry: e,
                timeout: secs,
            })
        })
        .collect();
    conntrack.sort_by(|a, b| a.entry.cmp(&b.entry));
    Expect {
        trace: records,
        local: out.local,
        emitted,
        conntrack,
        log: out.logs().map(str::to_string).collect(),
        nfacct: host.nfacct_list().lines().map(str::to_string).collect(),
        ipset: ipset_adds(&host.ipset_save(now)),
    }
}

/// Which fields of one packet agree (the spec's comparison rules).
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// let ours = replay(&t).unwrap();
/// let a = compare(&ours[0], &ours[0]);
/// assert!(a.trace && a.local && a.emitted && a.conntrack && a.log);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Agreement {
    /// `trace` equal.
    pub trace: bool,
    /// `local` equal.
    pub local: bool,
    /// `emitted` equal as multisets, IPv4 id and checksum aside (ours must be valid).
    pub emitted: bool,
    /// Same conntrack entries, timeouts within 2 s.
    pub conntrack: bool,
    /// `log` equal.
    pub log: bool,
    /// `nfacct` equal (the `nfacct list` lines: names and counters).
    pub nfacct: bool,
    /// `ipset` equal (the sets' elements and counters).
    pub ipset: bool,
}

impl Agreement {
    /// All six fields agree.
    ///
    /// ```
    /// use nfsim::replay::*;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
    /// let json = format!(r#"{{"format": "nfsim-trace/1",
    ///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
    ///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
    ///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
    ///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
    /// let t = TraceFile::from_json(&json).unwrap();
    /// let ours = replay(&t).unwrap();
    /// let mut other = ours[0].clone();
    /// other.local = false;
    /// assert!(compare(&ours[0], &ours[0]).all() && !compare(&ours[0], &other).all());
    /// ```
    pub fn all(&self) -> bool {
        self.trace
            && self.local
            && self.emitted
            && self.conntrack
            && self.log
            && self.nfacct
            && self.ipset
    }
}

fn normalise_emitted(e: &EmittedSpec) -> (String, String, bool) {
    let Ok(mut b) = from_hex(&e.hex) else {
        return (e.dev.clone(), e.hex.clone(), false);
    };
    let mut valid = true;
    if b.first().map(|x| x >> 4) == Some(4) && b.len() >= 20 {
        let ihl = ((b[0] & 0x0f) as usize * 4).min(b.len());
        valid = crate::wire::checksum::verify(&b[..ihl]);
        b[4] = 0;
        b[5] = 0;
        b[10] = 0;
        b[11] = 0;
    }
    (e.dev.clone(), to_hex(&b), valid)
}

/// Compares nfsim's answer with the kernel's for one packet.
///
/// ```
/// use nfsim::replay::*;
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1, 53).build();
/// let json = format!(r#"{{"format": "nfsim-trace/1",
///   "host": {{"interfaces": [{{"name": "eth0", "mac": "02:00:00:00:00:01", "addrs": ["192.0.2.1/24"],
///     "peer": {{"mac": "02:00:00:00:00:02", "addrs": ["192.0.2.9/24"]}}}}]}},
///   "rules": {{"ipv4": "*filter\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n"}},
///   "packets": [{{"at_ms": 0, "in": "eth0", "hex": "{}"}}]}}"#, to_hex(&pkt));
/// let t = TraceFile::from_json(&json).unwrap();
/// let ours = replay(&t).unwrap();
/// let mut kernel = ours[0].clone();
/// kernel.log.push("extra".into());
/// let a = compare(&kernel, &ours[0]);
/// assert!(a.trace && !a.log);
/// ```
pub fn compare(kernel: &Expect, ours: &Expect) -> Agreement {
    let mut k: Vec<(String, String)> = kernel
        .emitted
        .iter()
        .map(|e| {
            let (d, h, _) = normalise_emitted(e);
            (d, h)
        })
        .collect();
    let mut o_valid = true;
    let mut o: Vec<(String, String)> = ours
        .emitted
        .iter()
        .map(|e| {
            let (d, h, v) = normalise_emitted(e);
            o_valid &= v;
            (d, h)
        })
        .collect();
    k.sort();
    o.sort();
    let conntrack = kernel.conntrack.len() == ours.conntrack.len()
        && kernel.conntrack.iter().all(|ke| {
            ours.conntrack
                .iter()
                .any(|oe| oe.entry == ke.entry && (oe.timeout - ke.timeout).abs() <= 2)
        });
    Agreement {
        trace: kernel.trace == ours.trace,
        local: kernel.local == ours.local,
        emitted: k == o && o_valid,
        conntrack,
        log: kernel.log == ours.log,
        nfacct: kernel.nfacct == ours.nfacct,
        ipset: kernel.ipset == ours.ipset,
    }
}
