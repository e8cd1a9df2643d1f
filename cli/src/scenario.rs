//! The reference recorder's TOML scenario format
//! (`tools/kernel-oracle/README.md`, `normalize_scenario` and
//! `build_packet` in `tools/kernel-oracle/record.py`) read in Rust: the
//! host, the rules (inline, as hex, or by path relative to the scenario
//! file), and the packets by fields (built with the library's
//! `PacketBuilder`, byte for byte as the recorder builds them) or as hex,
//! with their times.
//!
//! Errors name the field (`packets[3].sport: ...`) and the position in the
//! file (`FILE:LINE:COL`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use nfsim::model::{Family, Ruleset};
use nfsim::replay::{HostSpec, IfaceSpec, PeerSpec, RouteSpec};
use nfsim::wire::build::{Ipv6Ext, PacketBuilder};
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::IpProtocol;
use serde::Deserialize;
use toml::Spanned;

/// The recorder's default time between two packets (`DEFAULT_GAP_MS`).
pub(crate) const DEFAULT_GAP_MS: f64 = 35.0;

/// TCP flags: letters (`"SA"`) or a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum FlagsToml {
    Letters(String),
    Bits(u8),
}

/// One IPv6 extension header of `ext`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtToml {
    #[serde(rename = "type")]
    kind: String,
    data_hex: Option<String>,
    rt_type: Option<u8>,
    segleft: Option<u8>,
    offset: Option<u16>,
    more: Option<bool>,
    id: Option<u32>,
}

/// What a packet's answer must be (`expect = { ... }` in a packet: only
/// the fields given are compared).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectToml {
    /// `accept`, `drop`, `reject`, `queue`, `stolen` (as `nfsim trace --json`).
    pub verdict: Option<String>,
    /// Delivered locally.
    pub local: Option<bool>,
    /// The TRACE records, as the kernel logs them.
    pub trace: Option<Vec<String>>,
    /// The LOG lines.
    pub log: Option<Vec<String>>,
    /// The packets that left (device and hex), compared as the trace
    /// format compares them.
    pub emitted: Option<Vec<nfsim::replay::EmittedSpec>>,
}

/// The fields of a packet, of `defaults` and of a flow: all optional,
/// merged as `normalize_scenario` merges them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fields {
    #[serde(rename = "in")]
    in_dev: Option<String>,
    out: Option<bool>,
    at_ms: Option<f64>,
    gap_ms: Option<f64>,
    repeat: Option<u64>,
    hex: Option<String>,
    comment: Option<toml::Value>,
    family: Option<u8>,
    proto: Option<String>,
    protonum: Option<u8>,
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    sport: Option<u16>,
    dport: Option<u16>,
    flags: Option<FlagsToml>,
    seq: Option<i64>,
    ack: Option<i64>,
    window: Option<u16>,
    urg: Option<u16>,
    tcp_options: Option<Vec<String>>,
    tcp_options_hex: Option<String>,
    doff: Option<u8>,
    icmp_type: Option<u8>,
    icmp_code: Option<u8>,
    #[serde(rename = "type")]
    type_: Option<u8>,
    code: Option<u8>,
    id: Option<u16>,
    icmp_id: Option<u16>,
    icmp_seq: Option<u16>,
    mtu: Option<u32>,
    rest_hex: Option<String>,
    inner: Option<Box<Fields>>,
    inner_len: Option<usize>,
    ttl: Option<u8>,
    hlim: Option<u8>,
    tos: Option<u8>,
    tc: Option<u8>,
    flowlabel: Option<u32>,
    ip_id: Option<u16>,
    df: Option<bool>,
    mf: Option<bool>,
    frag_offset: Option<u16>,
    ip_options_hex: Option<String>,
    ext: Option<Vec<ExtToml>>,
    payload: Option<String>,
    payload_hex: Option<String>,
    length: Option<usize>,
    bad_csum: Option<bool>,
    bad_ip_csum: Option<bool>,
    udp_len: Option<u16>,
    fragment: Option<[usize; 2]>,
    frag_id: Option<u32>,
    /// A received frame's Ethernet destination (default: the interface's MAC).
    dst_mac: Option<String>,
    // Only in a packet (not in `defaults`, a flow or `inner`).
    flow: Option<String>,
    reply: Option<bool>,
    expect: Option<ExpectToml>,
}

macro_rules! overlay {
    ($dst:expr, $src:expr; $($f:ident)*) => {
        $( if $src.$f.is_some() { $dst.$f = $src.$f.clone(); } )*
    };
}

impl Fields {
    /// `dict.update`: every field `o` gives replaces this one's.
    fn update(&mut self, o: &Fields) {
        overlay!(self, o; in_dev out at_ms gap_ms repeat hex comment family proto protonum
            src dst sport dport flags seq ack window urg tcp_options tcp_options_hex doff
            icmp_type icmp_code type_ code id icmp_id icmp_seq mtu rest_hex inner inner_len
            ttl hlim tos tc flowlabel ip_id df mf frag_offset ip_options_hex ext payload
            payload_hex length bad_csum bad_ip_csum udp_len fragment frag_id dst_mac flow reply expect);
    }

    fn has_direction(&self) -> bool {
        self.in_dev.is_some() || self.out.is_some()
    }

    /// The keys only a packet may hold, when `self` holds one.
    fn packet_only_key(&self) -> Option<&'static str> {
        if self.flow.is_some() {
            Some("flow")
        } else if self.reply.is_some() {
            Some("reply")
        } else if self.expect.is_some() {
            Some("expect")
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerToml {
    mac: String,
    #[serde(default)]
    addrs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct IfaceToml {
    name: String,
    mac: String,
    addrs: Vec<String>,
    peer: PeerToml,
    /// The bridge this interface is a port of.
    master: Option<String>,
}

/// A bridge device (`host.bridges`): its ports name it as `master`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BridgeToml {
    name: String,
    mac: String,
    #[serde(default)]
    addrs: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteToml {
    dst: String,
    via: Option<String>,
    dev: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostToml {
    interfaces: Option<Vec<IfaceToml>>,
    routes: Option<Vec<RouteToml>>,
    #[serde(default)]
    sysctl: BTreeMap<String, i64>,
    /// nfacct objects the recorder creates (`nfacct add NAME`) before the
    /// rules load.
    #[serde(default)]
    nfacct: Vec<String>,
    /// Timeout policies the recorder creates (`nfct add timeout` and each
    /// line's words) before the rules load.
    #[serde(default)]
    cttimeout: Vec<String>,
    /// ip sets the recorder creates (`ipset restore` of this text) before
    /// the rules load.
    #[serde(default)]
    ipset: String,
    /// Bridge devices.
    #[serde(default)]
    bridges: Vec<BridgeToml>,
}

/// `[rules]`: restore text, its bytes as hex, or (nfsim only) a file
/// beside the scenario (restore input or a script of iptables commands).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesToml {
    ipv4: Option<String>,
    ipv6: Option<String>,
    ipv4_hex: Option<String>,
    ipv6_hex: Option<String>,
    ipv4_file: Option<String>,
    ipv6_file: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioToml {
    // Read (an unknown key is an error) but not used.
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    #[serde(default)]
    description: String,
    #[serde(default)]
    defaults: Fields,
    #[serde(default)]
    flows: BTreeMap<String, Fields>,
    #[serde(default)]
    packets: Vec<Spanned<Fields>>,
    host: Option<HostToml>,
    #[serde(default)]
    rules: RulesToml,
}

/// Which way a packet goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Arrives on this device.
    In(String),
    /// Sent by the host.
    Out,
}

/// One packet entry of a scenario (before `repeat`).
#[derive(Debug, Clone)]
pub(crate) struct ScnPacket {
    pub dir: Dir,
    pub bytes: Vec<u8>,
    pub at_ms: Option<f64>,
    pub gap_ms: f64,
    pub repeat: u64,
    /// The packet's line in the file (1-based).
    pub line: usize,
    pub expect: Option<ExpectToml>,
    /// A received frame's Ethernet destination when it is not the
    /// interface's MAC.
    pub dst_mac: Option<[u8; 6]>,
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`.
pub(crate) fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let mut m = [0u8; 6];
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(format!(
            "{s:?} is not a MAC address (six hex bytes joined by `:`)"
        ));
    }
    for (b, p) in m.iter_mut().zip(parts) {
        *b = u8::from_str_radix(p, 16)
            .ok()
            .filter(|_| p.len() == 2)
            .ok_or_else(|| format!("{s:?} is not a MAC address (six hex bytes joined by `:`)"))?;
    }
    Ok(m)
}

/// A scenario, normalised as the recorder normalises it.
#[derive(Debug)]
pub(crate) struct Scenario {
    pub host: HostSpec,
    pub v4: Ruleset,
    pub v6: Ruleset,
    pub packets: Vec<ScnPacket>,
}

impl Scenario {
    /// How many packets the scenario sends (`repeat` counted).
    pub fn count(&self) -> u64 {
        self.packets.iter().map(|p| p.repeat).sum()
    }

    /// The packets in order with their times (ms since the first), one per
    /// copy of a `repeat`, without expanding them in memory: the recorder's
    /// schedule (the first at 0, then `at_ms` after the first, or `gap_ms`
    /// after the one before; a copy of a `repeat` after `gap_ms`; a time
    /// already past is sent at once).
    pub fn schedule(&self) -> impl Iterator<Item = (&ScnPacket, f64)> + '_ {
        let mut prev: Option<f64> = None;
        self.packets
            .iter()
            .flat_map(move |p| (0..p.repeat).map(move |k| (p, k)))
            .map(move |(p, k)| {
                let t = match prev {
                    None => 0.0,
                    Some(pr) => match p.at_ms {
                        Some(at) if k == 0 => at.max(pr),
                        _ => pr + p.gap_ms,
                    },
                };
                prev = Some(t);
                (p, t)
            })
    }
}

/// The host a scenario without `host.interfaces` has (`STANDARD_INTERFACES`
/// and `STANDARD_ROUTES` in record.py).
pub(crate) fn standard_host() -> HostSpec {
    let iface = |name: &str, n: u8, a4: &str, a6: &str, p4: &str, p6: &str| IfaceSpec {
        name: name.into(),
        mac: format!("02:00:00:00:00:0{n}"),
        addrs: vec![a4.into(), a6.into()],
        peer: PeerSpec {
            mac: format!("02:00:00:00:01:0{n}"),
            addrs: vec![p4.into(), p6.into()],
        },
        master: None,
    };
    HostSpec {
        interfaces: vec![
            iface(
                "eth0",
                1,
                "192.0.2.1/24",
                "2001:db8::1/64",
                "192.0.2.2/24",
                "2001:db8::2/64",
            ),
            iface(
                "eth1",
                2,
                "198.51.100.1/24",
                "2001:db8:1::1/64",
                "198.51.100.2/24",
                "2001:db8:1::2/64",
            ),
        ],
        routes: vec![
            RouteSpec {
                dst: "0.0.0.0/0".into(),
                via: Some("198.51.100.2".into()),
                dev: Some("eth1".into()),
            },
            RouteSpec {
                dst: "::/0".into(),
                via: Some("2001:db8:1::2".into()),
                dev: Some("eth1".into()),
            },
        ],
        sysctl: default_sysctls(BTreeMap::new()),
        nfacct: Vec::new(),
        cttimeout: Vec::new(),
        ipset: String::new(),
        bridges: Vec::new(),
    }
}

fn default_sysctls(mut s: BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    s.entry("net.ipv4.ip_forward".into()).or_insert(0);
    s.entry("net.ipv6.conf.all.forwarding".into()).or_insert(0);
    s
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn hex(s: &str, what: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    nfsim::replay::from_hex(&clean).map_err(|e| format!("{what}: {e}"))
}

/// Reads a scenario file.
pub(crate) fn load(path: &str) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse(&text, path)
}

/// The host of a scenario file (for `--host`).
pub(crate) fn load_host(path: &str) -> Result<HostSpec, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let raw = deserialize(&text, path)?;
    host_of(raw.host, path)
}

fn deserialize(text: &str, path: &str) -> Result<ScenarioToml, String> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(text, path, "", &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        toml_error(text, path, &p, e.inner())
    })
}

fn toml_error(text: &str, path: &str, field: &str, e: &toml::de::Error) -> String {
    let at = match e.span() {
        Some(s) => {
            let (l, c) = line_col(text, s.start);
            format!("{path}:{l}:{c}")
        }
        None => path.to_string(),
    };
    let field = field.replace(".$__serde_spanned_private_value", "");
    let msg = unknown_field_hint(e.message().trim_end());
    if field.is_empty() || field == "." {
        format!("{at}: {msg}")
    } else {
        format!("{at}: {field}: {msg}")
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`, ..." as
/// "unknown field `x` (did you mean `y`?)" when one is close, the whole
/// list otherwise.
fn unknown_field_hint(msg: &str) -> String {
    let Some((head, list)) = msg.split_once(", expected one of ") else {
        return msg.to_string();
    };
    let Some(x) = head
        .strip_prefix("unknown field `")
        .and_then(|r| r.strip_suffix('`'))
    else {
        return msg.to_string();
    };
    let best = list
        .split(", ")
        .map(|c| c.trim_matches('`'))
        .map(|c| (distance(x, c), c))
        .min();
    match best {
        Some((d, c)) if d <= 2 => format!("{head} (did you mean `{c}`?)"),
        _ => msg.to_string(),
    }
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn host_of(h: Option<HostToml>, path: &str) -> Result<HostSpec, String> {
    let h = h.unwrap_or_default();
    let mut spec = standard_host();
    let had_interfaces = h.interfaces.is_some();
    if let Some(ifs) = h.interfaces.filter(|i| !i.is_empty()) {
        spec.interfaces = ifs
            .into_iter()
            .map(|i| IfaceSpec {
                name: i.name,
                mac: i.mac,
                addrs: i.addrs,
                peer: PeerSpec {
                    mac: i.peer.mac,
                    addrs: i.peer.addrs,
                },
                master: i.master,
            })
            .collect();
    }
    spec.bridges = h
        .bridges
        .into_iter()
        .map(|b| nfsim::replay::BridgeSpec {
            name: b.name,
            mac: b.mac,
            addrs: b.addrs,
        })
        .collect();
    spec.routes = match h.routes {
        Some(r) => r
            .into_iter()
            .map(|r| RouteSpec {
                dst: r.dst,
                via: r.via,
                dev: r.dev,
            })
            .collect(),
        None if had_interfaces => Vec::new(),
        None => spec.routes,
    };
    spec.sysctl = default_sysctls(h.sysctl);
    super::nfacct_objects(&h.nfacct).map_err(|e| format!("{path}: host.nfacct: {e}"))?;
    spec.nfacct = h.nfacct;
    spec.cttimeout = h.cttimeout;
    nfsim::ipset::Ipsets::restore(&h.ipset).map_err(|e| format!("{path}: host.ipset: {e}"))?;
    spec.ipset = h.ipset;
    let names: Vec<&str> = spec.interfaces.iter().map(|i| i.name.as_str()).collect();
    for (k, i) in spec.interfaces.iter().enumerate() {
        if i.name == "lo" || i.name.is_empty() || i.name.len() > 15 {
            return Err(format!(
                "{path}: host.interfaces[{k}].name: {:?} is not a device name (1 to 15 characters, not lo)",
                i.name
            ));
        }
    }
    for (k, r) in spec.routes.iter().enumerate() {
        if let Some(d) = &r.dev {
            if d != "lo" && !names.contains(&d.as_str()) {
                return Err(format!(
                    "{path}: host.routes[{k}].dev: {d:?} is not an interface"
                ));
            }
        }
    }
    Ok(spec)
}

fn rules_of(
    r: &RulesToml,
    path: &str,
    nfacct: &mut Vec<nfsim::model::ByteStr>,
    ipset: &nfsim::ipset::Ipsets,
    cttimeout: &nfsim::model::targets::ct::TimeoutObjects,
) -> Result<(Ruleset, Ruleset), String> {
    let dir = Path::new(path).parent().unwrap_or(Path::new(""));
    let mut out = [Ruleset::new(Family::Ipv4), Ruleset::new(Family::Ipv6)];
    for (k, family, text, hex_text, file) in [
        (0, Family::Ipv4, &r.ipv4, &r.ipv4_hex, &r.ipv4_file),
        (1, Family::Ipv6, &r.ipv6, &r.ipv6_hex, &r.ipv6_file),
    ] {
        let field = if k == 0 { "rules.ipv4" } else { "rules.ipv6" };
        let given = [text.is_some(), hex_text.is_some(), file.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(format!(
                "{path}: {field}, {field}_hex and {field}_file: give the ruleset once"
            ));
        }
        let (what, mut bytes) = match (text, hex_text, file) {
            (Some(t), _, _) => (field.to_string(), t.as_bytes().to_vec()),
            (_, Some(h), _) => {
                let f = format!("{field}_hex");
                let b = hex(h, &format!("{path}: {f}"))?;
                (f, b)
            }
            (_, _, Some(f)) => {
                let p = dir.join(f);
                let ps = p.to_string_lossy().into_owned();
                let mut sets = ipset.clone();
                let (v4, v6) = super::trace::load_rules(&ps, family, nfacct, &mut sets, cttimeout)
                    .map_err(|e| format!("{path}: {field}_file: {e}"))?;
                if sets != *ipset {
                    // The recorder creates the sets of host.ipset only.
                    return Err(format!("{path}: {field}_file: a script's ipset commands are not recorded in a scenario; declare the sets in host.ipset"));
                }
                out[k] = match family {
                    Family::Ipv4 => v4,
                    Family::Ipv6 => v6,
                }
                .unwrap_or_else(|| Ruleset::new(family));
                continue;
            }
            _ => continue,
        };
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        out[k] = nfsim::syntax::parse_restore(
            &bytes,
            &nfsim::syntax::RestoreOptions::new(family)
                .with_nfacct(&nfacct[..])
                .with_ipset(ipset)
                .with_cttimeout(cttimeout),
        )
        .map_err(|e| {
            format!(
                "{path}: {what}:{}:{}: {}",
                e.line,
                e.col,
                e.message.trim_end()
            )
        })?;
    }
    let [v4, v6] = out;
    Ok((v4, v6))
}

/// Parses a scenario's text (`path` names it in errors and anchors
/// `rules.*_file`).
pub(crate) fn parse(text: &str, path: &str) -> Result<Scenario, String> {
    let raw = deserialize(text, path)?;
    let host = host_of(raw.host.clone(), path)?;
    let mut host = host;
    let mut nfacct =
        super::nfacct_objects(&host.nfacct).map_err(|e| format!("{path}: host.nfacct: {e}"))?;
    let sets = nfsim::ipset::Ipsets::restore(&host.ipset)
        .map_err(|e| format!("{path}: host.ipset: {e}"))?;
    let mut cttimeout = Vec::with_capacity(host.cttimeout.len());
    for (k, l) in host.cttimeout.iter().enumerate() {
        let p = nfsim::conntrack::TimeoutPolicy::parse(l, &nfsim::conntrack::Config::default())
            .map_err(|e| format!("{path}: host.cttimeout[{k}]: {e}"))?;
        cttimeout.push((p.name, p.family, p.proto));
    }
    let (v4, v6) = rules_of(&raw.rules, path, &mut nfacct, &sets, &cttimeout)?;
    // A rules file that is a script may add objects (`nfacct add NAME`).
    host.nfacct = nfacct.iter().map(|n| n.to_string()).collect();
    if let Some(k) = raw.defaults.packet_only_key() {
        return Err(format!("{path}: defaults.{k}: only a packet has `{k}`"));
    }
    for (name, f) in &raw.flows {
        if let Some(k) = f.packet_only_key() {
            return Err(format!("{path}: flows.{name}.{k}: only a packet has `{k}`"));
        }
    }
    if raw.packets.is_empty() {
        return Err(format!(
            "{path}: scenario has no packets (top-level `packets` must come before any [table])"
        ));
    }
    let names: Vec<&str> = host.interfaces.iter().map(|i| i.name.as_str()).collect();
    let mut packets = Vec::with_capacity(raw.packets.len());
    for (i, sp) in raw.packets.iter().enumerate() {
        let (line, col) = line_col(text, sp.span().start);
        let at = format!("{path}:{line}:{col}: packets[{i}]");
        let p0 = sp.get_ref();
        let mut p = raw.defaults.clone();
        let mut flow = match &p0.flow {
            Some(f) => raw
                .flows
                .get(f)
                .cloned()
                .ok_or_else(|| format!("{at}.flow: unknown flow {f:?}"))?,
            None => Fields::default(),
        };
        // The direction comes from the packet, else its flow, else the defaults.
        if p0.has_direction() {
            p.in_dev = None;
            p.out = None;
            flow.in_dev = None;
            flow.out = None;
        } else if flow.has_direction() {
            p.in_dev = None;
            p.out = None;
        }
        p.update(&flow);
        if p0.reply == Some(true) {
            std::mem::swap(&mut p.src, &mut p.dst);
            std::mem::swap(&mut p.sport, &mut p.dport);
        }
        let mut own = p0.clone();
        own.flow = None;
        own.reply = None;
        let expect = own.expect.take();
        p.update(&own);
        let dir = match (&p.in_dev, p.out.unwrap_or(false)) {
            (Some(d), false) => {
                if !names.contains(&d.as_str()) {
                    return Err(format!("{at}.in: unknown interface {d:?}"));
                }
                Dir::In(d.clone())
            }
            (None, true) => Dir::Out,
            _ => {
                return Err(format!(
                    "{at}: needs exactly one of in = \"dev\" / out = true"
                ))
            }
        };
        let bytes = build_packet(&p).map_err(|e| format!("{at}: {e}"))?;
        if !matches!(bytes.first().map(|b| b >> 4), Some(4 | 6)) {
            return Err(format!("{at}: not an IPv4/IPv6 packet"));
        }
        let gap_ms = p.gap_ms.unwrap_or(DEFAULT_GAP_MS);
        for (k, v) in [("gap_ms", Some(gap_ms)), ("at_ms", p.at_ms)] {
            if let Some(v) = v {
                if !v.is_finite() || v < 0.0 {
                    return Err(format!("{at}.{k}: a time is a non-negative number of ms"));
                }
            }
        }
        let dst_mac = match (&p.dst_mac, &dir) {
            (None, _) => None,
            (Some(m), Dir::In(_)) => Some(parse_mac(m).map_err(|e| format!("{at}.dst_mac: {e}"))?),
            (Some(_), Dir::Out) => {
                return Err(format!(
                    "{at}.dst_mac: only a received frame has a destination MAC"
                ))
            }
        };
        packets.push(ScnPacket {
            dir,
            bytes,
            at_ms: p.at_ms,
            gap_ms,
            repeat: p.repeat.unwrap_or(1),
            line,
            expect,
            dst_mac,
        });
    }
    Ok(Scenario {
        host,
        v4,
        v6,
        packets,
    })
}

fn tcp_flags(f: &FlagsToml) -> Result<TcpFlags, String> {
    match f {
        FlagsToml::Bits(b) => Ok(TcpFlags::from_bits_retain(*b)),
        FlagsToml::Letters(s) => {
            let mut v = TcpFlags::empty();
            for c in s.chars() {
                v |= match c.to_ascii_uppercase() {
                    'F' => TcpFlags::FIN,
                    'S' => TcpFlags::SYN,
                    'R' => TcpFlags::RST,
                    'P' => TcpFlags::PSH,
                    'A' => TcpFlags::ACK,
                    'U' => TcpFlags::URG,
                    'E' => TcpFlags::ECE,
                    'C' => TcpFlags::CWR,
                    _ => return Err(format!("flags: unknown TCP flag {c:?} in {s:?}")),
                };
            }
            Ok(v)
        }
    }
}

/// A TCP option of `tcp_options`, as `_tcp_options` writes it.
enum TcpOpt {
    Mss(u16),
    Wscale(u8),
    SackOk,
    Ts(u32, u32),
    Sack(Vec<u8>),
    Nop,
    Eol,
}

fn tcp_option(o: &str) -> Result<TcpOpt, String> {
    let bad = || format!("tcp_options: bad TCP option {o:?}");
    let (name, arg) = match o.split_once('=') {
        Some((n, a)) => (n, a),
        None => (o, ""),
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "nop" => TcpOpt::Nop,
        "eol" => TcpOpt::Eol,
        "mss" => TcpOpt::Mss(u16::try_from(num(arg)?).map_err(|_| bad())?),
        "wscale" => TcpOpt::Wscale(u8::try_from(num(arg)?).map_err(|_| bad())?),
        "sackok" => TcpOpt::SackOk,
        "ts" => {
            let (a, b) = arg.split_once(',').ok_or_else(bad)?;
            TcpOpt::Ts(
                u32::try_from(num(a)?).map_err(|_| bad())?,
                u32::try_from(num(b)?).map_err(|_| bad())?,
            )
        }
        "sack" => {
            let blocks = arg
                .split(',')
                .map(|x| u32::try_from(num(x)?).map_err(|_| bad()))
                .collect::<Result<Vec<u32>, String>>()?;
            let len = u8::try_from(2 + 4 * blocks.len()).map_err(|_| bad())?;
            let mut v = vec![5, len];
            for b in blocks {
                v.extend_from_slice(&b.to_be_bytes());
            }
            TcpOpt::Sack(v)
        }
        _ => return Err(format!("tcp_options: unknown TCP option {o:?}")),
    })
}

/// The protocol of `proto` / `protonum`: (name class, number).
#[derive(Clone, Copy, PartialEq, Eq)]
enum L4 {
    Tcp,
    Udp,
    Icmp,
    Raw(u8),
}

/// Builds a packet from scenario fields, as `build_packet` in record.py
/// does, with the library's `PacketBuilder`.
pub(crate) fn build_packet(p: &Fields) -> Result<Vec<u8>, String> {
    if let Some(k) = p.packet_only_key() {
        return Err(format!("{k}: not a field of an inner packet"));
    }
    if let Some(h) = &p.hex {
        return hex(h, "hex");
    }
    let src = p.src.ok_or("packet needs `src` (or hex)")?;
    let dst = p.dst.ok_or("packet needs `dst` (or hex)")?;
    let fam = p.family.unwrap_or(if src.is_ipv4() { 4 } else { 6 });
    let v = |a: IpAddr| if a.is_ipv4() { 4 } else { 6 };
    if v(src) != fam || v(dst) != fam {
        return Err(format!(
            "address family mismatch (family {fam}, src {src}, dst {dst})"
        ));
    }
    let proto = p.proto.as_deref().unwrap_or("tcp").to_ascii_lowercase();
    let l4 = match proto.as_str() {
        "tcp" => L4::Tcp,
        "udp" => L4::Udp,
        "icmp" | "icmpv6" => L4::Icmp,
        "gre" => L4::Raw(47),
        "esp" => L4::Raw(50),
        "ah" => L4::Raw(51),
        "sctp" => L4::Raw(132),
        "other" => L4::Raw(p.protonum.unwrap_or(255)),
        other => {
            return Err(format!(
                "proto: {other:?} is not tcp, udp, icmp, icmpv6, gre, esp, ah, sctp or other"
            ))
        }
    };
    if proto == "icmpv6" && fam == 4 {
        // record.py builds an ICMPv6 header with protocol 58 in IPv4.
        return Err("proto: icmpv6 in an IPv4 packet is not supported".into());
    }
    let mut payload = match (&p.payload_hex, &p.payload) {
        (Some(h), _) => hex(h, "payload_hex")?,
        (None, Some(t)) => t.as_bytes().to_vec(),
        (None, None) => Vec::new(),
    };
    // ICMP: the rest of header, and what follows it.
    let mut rest = 0u32;
    if l4 == L4::Icmp {
        let itype = p
            .icmp_type
            .or(p.type_)
            .unwrap_or(if fam == 4 { 8 } else { 128 });
        let mut after = Vec::new();
        if let Some(r) = &p.rest_hex {
            let b = hex(r, "rest_hex")?;
            if b.len() < 4 {
                return Err(
                    "rest_hex: fewer than 4 bytes (an ICMP header has 8) is not supported".into(),
                );
            }
            rest = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            after.extend_from_slice(&b[4..]);
        } else if let Some(m) = p.mtu {
            rest = if fam == 6 {
                m
            } else {
                u32::from(u16::try_from(m).map_err(|_| "mtu: more than 65535 in ICMP".to_string())?)
            };
        } else if p.id.is_some()
            || p.icmp_id.is_some()
            || p.icmp_seq.is_some()
            || matches!(itype, 0 | 8 | 13 | 14 | 128 | 129)
        {
            let id = p.icmp_id.or(p.id).unwrap_or(1);
            rest = u32::from(id) << 16 | u32::from(p.icmp_seq.unwrap_or(1));
        }
        if let Some(inner) = &p.inner {
            let mut inner = (**inner).clone();
            inner.in_dev = None;
            inner.out = None;
            let mut ib = build_packet(&inner).map_err(|e| format!("inner: {e}"))?;
            if let Some(n) = p.inner_len {
                ib.truncate(n);
            }
            after.extend_from_slice(&ib);
        }
        after.extend_from_slice(&payload);
        payload = after;
    }
    let opts_hex = match &p.tcp_options_hex {
        Some(h) => Some(hex(h, "tcp_options_hex")?),
        None => None,
    };
    let tcp_opts = p
        .tcp_options
        .iter()
        .flatten()
        .map(|o| tcp_option(o))
        .collect::<Result<Vec<_>, _>>()?;
    let ip_opts = match &p.ip_options_hex {
        Some(h) => hex(h, "ip_options_hex")?,
        None => Vec::new(),
    };
    let ext_data: Vec<Vec<u8>> = p
        .ext
        .iter()
        .flatten()
        .enumerate()
        .map(|(k, e)| {
            let default = if e.kind == "rthdr" {
                "0000000000000000"
            } else {
                ""
            };
            hex(
                e.data_hex.as_deref().unwrap_or(default),
                &format!("ext[{k}].data_hex"),
            )
        })
        .collect::<Result<_, _>>()?;
    let flags = match &p.flags {
        Some(f) => tcp_flags(f)?,
        None => TcpFlags::empty(),
    };
    let mask = |x: i64| (x as u64 & 0xffff_ffff) as u32;

    macro_rules! finish {
        ($b:expr) => {{
            let mut b = $b.payload(&payload);
            if let Some(n) = p.length {
                b = b.pad_to_len(n);
            }
            if p.bad_csum == Some(true) {
                b = b.bad_checksum();
            }
            if let Some([off, len]) = p.fragment {
                b = b.fragment(off, len);
            }
            b.try_build().map_err(|e| e.to_string())
        }};
    }
    macro_rules! transport {
        ($ip:expr) => {{
            let ip = $ip;
            match l4 {
                L4::Tcp => {
                    let mut b = ip
                        .tcp(p.sport.unwrap_or(40000), p.dport.unwrap_or(80))
                        .seq(mask(p.seq.unwrap_or(0)))
                        .ack(mask(p.ack.unwrap_or(0)))
                        .flags(flags)
                        .window(p.window.unwrap_or(64240))
                        .urgent(p.urg.unwrap_or(0));
                    if let Some(d) = p.doff {
                        b = b.data_offset(d);
                    }
                    if let Some(o) = &opts_hex {
                        b = b.option_bytes(o);
                    } else {
                        for o in &tcp_opts {
                            b = match o {
                                TcpOpt::Mss(v) => b.mss(*v),
                                TcpOpt::Wscale(v) => b.window_scale(*v),
                                TcpOpt::SackOk => b.sack_permitted(),
                                TcpOpt::Ts(a, e) => b.timestamps(*a, *e),
                                TcpOpt::Sack(bytes) => b.option_bytes(bytes),
                                TcpOpt::Nop => b.nop(),
                                TcpOpt::Eol => b.eol(),
                            };
                        }
                    }
                    finish!(b)
                }
                L4::Udp => {
                    let mut b = ip.udp(p.sport.unwrap_or(40000), p.dport.unwrap_or(53));
                    if let Some(l) = p.udp_len {
                        b = b.udp_len(l);
                    }
                    finish!(b)
                }
                L4::Icmp => {
                    let itype = p
                        .icmp_type
                        .or(p.type_)
                        .unwrap_or(if fam == 4 { 8 } else { 128 });
                    let code = p.icmp_code.or(p.code).unwrap_or(0);
                    finish!(ip.icmp(itype, code).rest(rest))
                }
                L4::Raw(n) => finish!(ip.protocol(IpProtocol(n))),
            }
        }};
    }
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let off = p.frag_offset.unwrap_or(0);
            if off % 8 != 0 {
                return Err("frag_offset is in bytes and must be a multiple of 8".into());
            }
            let mut ip = PacketBuilder::ipv4(s, d)
                .tos(p.tos.unwrap_or(0))
                .ident(p.ip_id.unwrap_or(1))
                .ttl(p.ttl.unwrap_or(64))
                .frag_offset(off)
                .options(&ip_opts);
            if p.df == Some(true) {
                ip = ip.dont_frag();
            }
            if p.mf == Some(true) {
                ip = ip.more_frags();
            }
            if p.bad_ip_csum == Some(true) {
                ip = ip.bad_ip_checksum();
            }
            transport!(ip)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut ip = PacketBuilder::ipv6(s, d)
                .traffic_class(p.tc.or(p.tos).unwrap_or(0))
                .flow_label(p.flowlabel.unwrap_or(0))
                .hop_limit(p.hlim.or(p.ttl).unwrap_or(64))
                .frag_ident(p.frag_id.unwrap_or(1));
            for (k, (e, data)) in p.ext.iter().flatten().zip(&ext_data).enumerate() {
                ip = ip.ext(match e.kind.as_str() {
                    "hbh" => Ipv6Ext::HopByHop(data),
                    "dstopts" => Ipv6Ext::DestOpts(data),
                    "rthdr" => Ipv6Ext::Routing {
                        routing_type: e.rt_type.unwrap_or(0),
                        segments_left: e.segleft.unwrap_or(0),
                        data,
                    },
                    "frag" => {
                        let offset = e.offset.unwrap_or(0);
                        if offset % 8 != 0 {
                            return Err(format!(
                                "ext[{k}].offset: an IPv6 fragment offset is a multiple of 8"
                            ));
                        }
                        Ipv6Ext::Fragment {
                            offset,
                            more: e.more.unwrap_or(false),
                            ident: e.id.unwrap_or(1),
                        }
                    }
                    other => {
                        return Err(format!(
                            "ext[{k}].type: unknown IPv6 extension header {other:?} (hbh, dstopts, rthdr, frag)"
                        ))
                    }
                });
            }
            transport!(ip)
        }
        _ => Err("address family mismatch".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn positions_and_hints() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\né", 5), (2, 2));
        // Inside a multi-byte character: the character's position.
        assert_eq!(line_col("aé", 2), (1, 2));
        assert_eq!(
            unknown_field_hint("unknown field `sprot`, expected one of `src`, `sport`"),
            "unknown field `sprot` (did you mean `sport`?)"
        );
        assert_eq!(
            unknown_field_hint("unknown field `zzzzzz`, expected `a` or `b`"),
            "unknown field `zzzzzz`, expected `a` or `b`"
        );
    }

    const FIELDS: &[&str] = &[
        "proto",
        "protonum",
        "src",
        "dst",
        "sport",
        "dport",
        "flags",
        "seq",
        "ack",
        "window",
        "urg",
        "tcp_options",
        "tcp_options_hex",
        "doff",
        "icmp_type",
        "icmp_code",
        "type",
        "code",
        "id",
        "icmp_id",
        "icmp_seq",
        "mtu",
        "rest_hex",
        "inner",
        "inner_len",
        "ttl",
        "hlim",
        "tos",
        "tc",
        "flowlabel",
        "ip_id",
        "df",
        "mf",
        "frag_offset",
        "ip_options_hex",
        "ext",
        "payload",
        "payload_hex",
        "length",
        "bad_csum",
        "bad_ip_csum",
        "udp_len",
        "fragment",
        "frag_id",
        "at_ms",
        "gap_ms",
        "repeat",
        "hex",
        "family",
        "reply",
        "flow",
        "expect",
    ];
    const VALUES: &[&str] = &[
        "0",
        "1",
        "-1",
        "7",
        "8",
        "255",
        "256",
        "65535",
        "65536",
        "4294967296",
        "1e400",
        "-0.5",
        "true",
        "\"\"",
        "\"S\"",
        "\"udp\"",
        "\"icmp\"",
        "\"other\"",
        "\"zz\"",
        "\"abc\"",
        "\"0001\"",
        "\"00010203040506\"",
        "[]",
        "[0, 8]",
        "[8, 7]",
        "[0, 100000]",
        "[\"mss=1460\", \"sack=1,2,3\", \"ts=1\"]",
        "[{ type = \"frag\", offset = 3 }]",
        "[{ type = \"rthdr\" }, { type = \"hbh\", data_hex = \"ff\" }]",
        "{ proto = \"udp\", src = \"192.0.2.1\", dst = \"192.0.2.2\" }",
        "{ flow = \"c\" }",
        "\"2001:db8::1\"",
        "\"192.0.2.9\"",
        "{}",
    ];

    proptest! {
        /// Whatever values a scenario's packet fields hold, reading it
        /// gives a scenario or an error, never a panic.
        #[test]
        fn fields_never_panic(
            picks in proptest::collection::vec((0..FIELDS.len(), 0..VALUES.len()), 1..6),
            v6 in any::<bool>(),
        ) {
            let (src, dst) = if v6 {
                ("2001:db8::20", "2001:db8::1")
            } else {
                ("192.0.2.20", "192.0.2.1")
            };
            let mut fields = vec![
                "in = \"eth0\"".to_string(),
                format!("src = \"{src}\""),
                format!("dst = \"{dst}\""),
            ];
            for (f, v) in picks {
                let f = FIELDS[f];
                fields.retain(|x| !x.starts_with(&format!("{f} =")));
                fields.push(format!("{f} = {}", VALUES[v]));
            }
            let text = format!(
                "name = \"p\"\nflows.c = {{ in = \"eth0\" }}\npackets = [ {{ {} }} ]\n",
                fields.join(", ")
            );
            let r = parse(&text, "p.toml");
            if let Ok(s) = &r {
                for (_, t) in s.schedule().take(3) {
                    prop_assert!(!t.is_nan());
                }
            }
        }
    }
}
