//! `nfsim trace RULES [options] PACKET...`: what the host does with each
//! packet described in one line, and why.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use ipnet::IpNet;
use nfsim::engine::TraceKind;
use nfsim::explain::{Explain, Step, StepResult};
use nfsim::host::{
    ChainLabel, Disposition, DropReason, Host, HostConfig, InterfaceConfig, Outcome, RouteConfig,
    RuleRef,
};
use nfsim::model::{Family, Ruleset, TableKind};
use nfsim::question::{Direction, Question};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;

/// Examples shown by `nfsim trace --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  nfsim trace examples/server.rules 'in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn'
  nfsim trace rules.v4 'in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn' \\
        +100ms 'out tcp 192.0.2.1:22 > 203.0.113.5:40000 syn ack 1' \\
        +100ms 'in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 seq 1 ack 1'
  nfsim trace --forward router.rules 'in eth1 icmp 198.51.100.2 > 192.0.2.9 echo-request'
  nfsim trace --iface eth0=192.0.2.1/24 --route default=192.0.2.254 rules.v4 \\
        'out udp 192.0.2.1:5353 > 203.0.113.53:53'
  nfsim trace -6 rules.v6 'in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:443 syn'
  nfsim trace --json --host trace.json rules.v4 'in eth0 udp 203.0.113.5:1 > 192.0.2.1:53'
  nfsim trace rules.v4 'in eth0 udp 203.0.113.5:1 > 192.0.2.1:53 mark 0x5'

Packets (one argument each):
  in DEV PROTO SRC[:PORT] > DST[:PORT] [OPTION...]   arrives on device DEV
  out    PROTO SRC[:PORT] > DST[:PORT] [OPTION...]   sent by the host itself
  PROTO:  tcp | udp | icmp [TYPE [code N]] | icmp6 [TYPE [code N]] | NUMBER
  OPTION: flags FSRPAUEC | syn | ack | rst | fin | psh | seq N | ack N | win N
          mss N | wscale N | sackok | ts VAL ECR | nop | eol   (TCP options, in order)
          icmp-id N | icmp-seq N | ttl N | tos N | id N | df | flow N | len N
          payload HEX | frag OFFSET LEN (only that fragment of the datagram)
          mark N   (skb->mark as it arrives, or the sending socket's SO_MARK)
          hbh | dstopts | rh TYPE SEGLEFT  (IPv6 extension headers, in order)
  +500ms, +5s (a word of its own, or before a packet) move the clock on;
  @2s sets it (time since the first packet).";

/// The options of `nfsim trace`.
#[derive(clap::Args)]
pub(crate) struct TraceArgs {
    /// The ruleset: iptables-restore text or a script of iptables commands
    /// (told apart by content). IPv4 unless -6.
    pub rules: String,
    /// The packets, one argument each, answered in order on one host.
    #[arg(required = true, value_name = "PACKET")]
    pub packets: Vec<String>,
    /// RULES is the IPv6 (ip6tables) ruleset.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// The IPv6 ruleset (IPv6 packets use it).
    #[arg(long, value_name = "FILE")]
    pub rules6: Option<String>,
    /// The host: a JSON `host` object of the trace format, or a whole trace
    /// file or scenario (TOML) whose `host` is used.
    #[arg(long, value_name = "FILE")]
    pub host: Option<String>,
    /// A device and an address of it (repeatable).
    #[arg(long = "iface", value_name = "NAME=ADDR/PREFIX")]
    pub ifaces: Vec<String>,
    /// A route (repeatable): `198.51.100.0/24=192.0.2.254`,
    /// `default=192.0.2.254@eth0`, `10.0.0.0/8=@eth1`.
    #[arg(long = "route", value_name = "PREFIX=GATEWAY[@DEV]")]
    pub routes: Vec<String>,
    /// A sysctl (repeatable): `net.ipv4.ip_forward=1`.
    #[arg(long = "sysctl", value_name = "NAME=VALUE")]
    pub sysctls: Vec<String>,
    /// An nfacct object that exists (`nfacct add NAME`), for
    /// `-m nfacct --nfacct-name NAME` (repeatable; after those of --host).
    /// `nfacct list` is printed after the packets.
    #[arg(long = "nfacct", value_name = "NAME")]
    pub nfacct: Vec<String>,
    /// A conntrack timeout policy that exists, as the words after `nfct
    /// add timeout` (`'u1 inet udp unreplied 10 replied 20'`), for `-j CT
    /// --timeout NAME` (repeatable; after those of --host).
    #[arg(long = "cttimeout", value_name = "POLICY")]
    pub cttimeout: Vec<String>,
    /// The host's ip sets: `ipset save` output (instead of those of
    /// --host), for `-m set`; `ipset save` is printed after the packets.
    #[arg(long = "ipset", value_name = "FILE")]
    pub ipset: Option<String>,
    /// The packets are routed through the host (forwarding on); without
    /// it, an assumed host owns the destinations of `in` packets.
    #[arg(long)]
    pub forward: bool,
    /// One JSON object per packet.
    #[arg(long)]
    pub json: bool,
}

/// A packet of the command line, with its time.
struct Item {
    text: String,
    q: Question,
    bytes: Vec<u8>,
    at_ms: f64,
}

fn family_of(q: &Question) -> Family {
    if q.src.is_ipv4() {
        Family::Ipv4
    } else {
        Family::Ipv6
    }
}

/// `+500ms`, `+5s`, `+1.5s`, `@2s`: (absolute?, milliseconds).
fn time_word(w: &str) -> Option<Result<(bool, f64), String>> {
    let (abs, rest) = match w.as_bytes().first() {
        Some(b'+') => (false, &w[1..]),
        Some(b'@') => (true, &w[1..]),
        _ => return None,
    };
    let (num, scale) = if let Some(n) = rest.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = rest.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = rest.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        return Some(Err(format!(
            "`{w}`: a time is a number with ms, s or m (+500ms, +5s, @2s)"
        )));
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && !num.starts_with('+') => Some(Ok((abs, v * scale))),
        _ => Some(Err(format!(
            "`{w}`: a time is a non-negative number with ms, s or m (+500ms, +5s, @2s)"
        ))),
    }
}

fn parse_packets(args: &[String]) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut clock = 0.0f64;
    let mut n = 0;
    for a in args {
        let mut text = a.trim();
        // Leading time words.
        loop {
            let (first, rest) = match text.split_once(char::is_whitespace) {
                Some((f, r)) => (f, r.trim_start()),
                None => (text, ""),
            };
            match time_word(first) {
                Some(Ok((true, ms))) => {
                    if ms < clock {
                        return Err(format!(
                            "`{first}` is earlier than the clock ({clock} ms): time never goes back"
                        ));
                    }
                    clock = ms;
                }
                Some(Ok((false, ms))) => clock += ms,
                Some(Err(e)) => return Err(e),
                None => break,
            }
            text = rest;
        }
        if text.is_empty() {
            continue;
        }
        n += 1;
        let q = Question::parse(text).map_err(|e| format!("packet {n} `{text}`: {e}"))?;
        let bytes = q.build().map_err(|e| format!("packet {n} `{text}`: {e}"))?;
        items.push(Item {
            text: text.to_string(),
            q,
            bytes,
            at_ms: clock,
        });
    }
    if items.is_empty() {
        return Err("no packet given".into());
    }
    Ok(items)
}

/// The `--cttimeout` policies (`nfct add timeout` words) as `-j CT
/// --timeout` checks them: name, family, protocol.
pub(crate) fn cttimeout_objects(lines: &[String]) -> Result<Vec<(Vec<u8>, Family, u8)>, String> {
    let mut v: Vec<(Vec<u8>, Family, u8)> = Vec::with_capacity(lines.len());
    for l in lines {
        let p = nfsim::conntrack::TimeoutPolicy::parse(l, &nfsim::conntrack::Config::default())
            .map_err(|e| format!("--cttimeout `{l}': {e}"))?;
        if v.iter().any(|(n, _, _)| *n == p.name) {
            return Err(format!(
                "--cttimeout `{l}': nfct v1.4.7: netlink error: Device or resource busy"
            ));
        }
        v.push((p.name, p.family, p.proto));
    }
    Ok(v)
}

/// Reads a ruleset file: a script of iptables commands or restore text.
/// Returns (the IPv4 ruleset, the IPv6 ruleset) it gives, `None` for a
/// family it does not give.
///
/// `nfacct` holds the nfacct objects that exist; a script's `nfacct add
/// NAME` lines add theirs.
pub(crate) fn load_rules(
    path: &str,
    family: Family,
    nfacct: &mut Vec<nfsim::model::ByteStr>,
    ipset: &mut nfsim::ipset::Ipsets,
    cttimeout: &nfsim::model::targets::ct::TimeoutObjects,
) -> Result<(Option<Ruleset>, Option<Ruleset>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let text = std::str::from_utf8(&bytes).ok();
    if let Some(t) = text.filter(|t| nfsim::syntax::script::looks_like_script(t)) {
        let s = nfsim::syntax::script::parse_script_with_objects(t, nfacct, ipset)
            .map_err(|e| format!("{path}:{}: {}", e.line, e.message.trim_end()))?;
        let mut errors = Vec::new();
        for (line, kind) in &s.lines {
            if let nfsim::syntax::script::LineKind::Failed(e) = kind {
                errors.push(format!("{path}:{line}: {}", e.message.trim_end()));
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        *nfacct = s.nfacct;
        *ipset = s.ipset;
        return Ok((Some(s.v4), Some(s.v6)));
    }
    let rs = parse_restore(
        &bytes,
        &RestoreOptions::new(family)
            .with_nfacct(nfacct)
            .with_ipset(ipset)
            .with_cttimeout(cttimeout),
    )
    .map_err(|e| format!("{path}:{}:{}: {}", e.line, e.col, e.message.trim_end()))?;
    Ok(match family {
        Family::Ipv4 => (Some(rs), None),
        Family::Ipv6 => (None, Some(rs)),
    })
}

fn mac(n: u8, peer: bool) -> [u8; 6] {
    [2, 0, 0, 0, u8::from(peer), n]
}

fn add_iface(cfg: &mut HostConfig, name: &str) -> usize {
    if let Some(i) = cfg.interfaces.iter().position(|i| i.name == name) {
        return i;
    }
    let n = cfg.interfaces.len() as u8 + 1;
    cfg.interfaces.push(InterfaceConfig {
        name: name.to_string(),
        mac: mac(n, false),
        addrs: Vec::new(),
        peer_mac: mac(n, true),
    });
    cfg.interfaces.len() - 1
}

/// The host of `--host`.
pub(crate) fn host_file(path: &str) -> Result<HostConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    // A scenario (TOML) never starts with `{`; a JSON host or trace does.
    if !text.trim_start().starts_with('{') {
        let t = nfsim::replay::TraceFile {
            format: "nfsim-trace/1".into(),
            name: String::new(),
            description: String::new(),
            recorded_with: nfsim::replay::RecordedWith::default(),
            host: super::scenario::load_host(path)?,
            rules: nfsim::replay::RulesSpec::default(),
            packets: Vec::new(),
        };
        return t.host_config().map_err(|e| format!("{path}: {e}"));
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let (host, hz) = match v.get("host") {
        Some(h) => (
            h.clone(),
            v.pointer("/recorded_with/hz")
                .and_then(serde_json::Value::as_u64),
        ),
        None => (v, None),
    };
    let spec: nfsim::replay::HostSpec =
        serde_json::from_value(host).map_err(|e| format!("{path}: not a host description: {e}"))?;
    let mut rw = nfsim::replay::RecordedWith::default();
    if let Some(hz) = hz {
        rw.hz = u32::try_from(hz).map_err(|_| format!("{path}: recorded_with.hz: too big"))?;
    }
    let t = nfsim::replay::TraceFile {
        format: "nfsim-trace/1".into(),
        name: String::new(),
        description: String::new(),
        recorded_with: rw,
        host: spec,
        rules: nfsim::replay::RulesSpec::default(),
        packets: Vec::new(),
    };
    t.host_config().map_err(|e| format!("{path}: {e}"))
}

pub(crate) fn apply_options(
    cfg: &mut HostConfig,
    ifaces: &[String],
    routes: &[String],
) -> Result<(), String> {
    for s in ifaces {
        let (name, addr) = s
            .split_once('=')
            .ok_or_else(|| format!("--iface {s}: expected NAME=ADDR/PREFIX"))?;
        let net: IpNet = addr
            .parse()
            .map_err(|_| format!("--iface {s}: `{addr}` is not ADDR/PREFIX"))?;
        if name.is_empty() || name.len() > 15 {
            return Err(format!("--iface {s}: a device name is 1 to 15 characters"));
        }
        let i = add_iface(cfg, name);
        cfg.interfaces[i].addrs.push(net);
    }
    for s in routes {
        let (dst, via) = s
            .split_once('=')
            .ok_or_else(|| format!("--route {s}: expected PREFIX=GATEWAY[@DEV]"))?;
        let (gw, dev) = match via.split_once('@') {
            Some((g, d)) => (g, Some(d.to_string())),
            None => (via, None),
        };
        let gw: Option<IpAddr> = match gw {
            "" => None,
            g => Some(
                g.parse()
                    .map_err(|_| format!("--route {s}: `{g}` is not an address"))?,
            ),
        };
        if gw.is_none() && dev.is_none() {
            return Err(format!(
                "--route {s}: give a gateway, a device (@DEV) or both"
            ));
        }
        let dsts: Vec<IpNet> = if dst == "default" {
            match gw {
                Some(IpAddr::V4(_)) => vec!["0.0.0.0/0".parse().unwrap_or_default()],
                Some(IpAddr::V6(_)) => vec!["::/0".parse().unwrap_or_default()],
                None => vec![
                    "0.0.0.0/0".parse().unwrap_or_default(),
                    "::/0".parse().unwrap_or_default(),
                ],
            }
        } else {
            vec![dst
                .parse()
                .map_err(|_| format!("--route {s}: `{dst}` is not PREFIX or default"))?]
        };
        for d in dsts {
            cfg.routes.push(RouteConfig {
                dst: d,
                via: gw,
                dev: dev.clone(),
            });
        }
    }
    Ok(())
}

/// A host address in `net`, the prefix of `around`, that no packet uses
/// (`.254`, `.253`, ... / `::fffe`, ...).
fn spare_addr(around: IpAddr, used: &[IpAddr]) -> Option<IpNet> {
    let prefix = if around.is_ipv4() { 24 } else { 64 };
    let net = IpNet::new(around, prefix).ok()?.trunc();
    for k in 1..200u32 {
        let a = match net.broadcast() {
            IpAddr::V4(b) => IpAddr::V4((u32::from(b) - k).into()),
            IpAddr::V6(_) => {
                let IpAddr::V6(n) = net.network() else {
                    return None;
                };
                IpAddr::V6((u128::from(n) | u128::from(0xffffu32 - k)).into())
            }
        };
        if !used.contains(&a) {
            return IpNet::new(a, prefix).ok();
        }
    }
    None
}

/// An address a device may own: not loopback, multicast, unspecified or
/// the IPv4 broadcast (the kernel would call such a packet a martian; the
/// assumed host must not hide that).
fn assignable(a: IpAddr) -> bool {
    !a.is_loopback()
        && !a.is_multicast()
        && !a.is_unspecified()
        && a != IpAddr::from([255, 255, 255, 255])
}

fn is_local(cfg: &HostConfig, a: IpAddr) -> bool {
    cfg.interfaces
        .iter()
        .any(|i| i.addrs.iter().any(|n| n.addr() == a))
}

fn connected(cfg: &HostConfig, a: IpAddr) -> Option<usize> {
    cfg.interfaces
        .iter()
        .position(|i| i.addrs.iter().any(|n| n.contains(&a)))
}

fn has_default(cfg: &HostConfig, v4: bool) -> bool {
    cfg.routes
        .iter()
        .any(|r| r.dst.prefix_len() == 0 && r.dst.addr().is_ipv4() == v4)
}

fn routed(cfg: &HostConfig, a: IpAddr) -> bool {
    connected(cfg, a).is_some() || cfg.routes.iter().any(|r| r.dst.contains(&a))
}

/// The smallest host that makes the questions meaningful: the devices
/// the packets and the rulesets name; each `in` packet's destination an
/// address of its device (a default route back through a gateway there),
/// or with `--forward` the source's network on the `in` device and the
/// destination's on another; each `out` packet's source an address.
fn assume_host(items: &[Item], rulesets: &[&Ruleset], forward: bool) -> HostConfig {
    let mut cfg = HostConfig {
        sender_owner: Some((0, 0)),
        ..HostConfig::default()
    };
    let used: Vec<IpAddr> = items.iter().flat_map(|i| [i.q.src, i.q.dst]).collect();
    let gateway = |cfg: &mut HostConfig, dev: usize, near: IpAddr| {
        // Neither a packet's address nor one of the host's own.
        let mut taken = used.clone();
        taken.extend(
            cfg.interfaces
                .iter()
                .flat_map(|i| i.addrs.iter().map(IpNet::addr)),
        );
        if let Some(gw) = spare_addr(near, &taken) {
            let gw = gw.addr();
            if !has_default(cfg, near.is_ipv4()) {
                let dst = if near.is_ipv4() { "0.0.0.0/0" } else { "::/0" };
                cfg.routes.push(RouteConfig {
                    dst: dst.parse().unwrap_or_default(),
                    via: Some(gw),
                    dev: Some(cfg.interfaces[dev].name.clone()),
                });
            }
        }
    };
    // Devices named by the packets, then by the rules (wildcards aside).
    for it in items {
        if let Direction::In(d) = &it.q.direction {
            if d != "lo" {
                add_iface(&mut cfg, d);
            }
        }
    }
    for rs in rulesets {
        for t in &rs.tables {
            for c in &t.chains {
                for r in &c.rules {
                    for i in [&r.in_iface, &r.out_iface].into_iter().flatten() {
                        // A name that is not UTF-8 cannot be a device of
                        // an assumed host (devices are named by text).
                        let Ok(n) = std::str::from_utf8(i.as_bytes()) else {
                            continue;
                        };
                        if !n.ends_with('+') && n != "lo" && !n.is_empty() {
                            add_iface(&mut cfg, n);
                        }
                    }
                }
            }
        }
    }
    for it in items {
        let q = &it.q;
        let v4 = q.src.is_ipv4();
        let prefix = if v4 { 24 } else { 64 };
        match &q.direction {
            Direction::In(d) if d == "lo" => {}
            Direction::In(d) => {
                let dev = add_iface(&mut cfg, d);
                if !forward {
                    if !is_local(&cfg, q.dst) && assignable(q.dst) {
                        if let Ok(n) = IpNet::new(q.dst, prefix) {
                            cfg.interfaces[dev].addrs.push(n);
                        }
                    }
                    if !routed(&cfg, q.src) && assignable(q.src) && assignable(q.dst) {
                        gateway(&mut cfg, dev, q.dst);
                    }
                } else {
                    if connected(&cfg, q.src).is_none() && assignable(q.src) {
                        if let Some(n) = spare_addr(q.src, &used) {
                            cfg.interfaces[dev].addrs.push(n);
                        }
                    }
                    if !routed(&cfg, q.dst) && assignable(q.dst) {
                        let out = match (0..cfg.interfaces.len()).find(|&i| i != dev) {
                            Some(i) => i,
                            None => {
                                let mut k = 0;
                                while cfg.interfaces.iter().any(|i| i.name == format!("eth{k}")) {
                                    k += 1;
                                }
                                add_iface(&mut cfg, &format!("eth{k}"))
                            }
                        };
                        if let Some(n) = spare_addr(q.dst, &used) {
                            cfg.interfaces[out].addrs.push(n);
                        }
                    }
                }
            }
            Direction::Out => {
                if !is_local(&cfg, q.src) && assignable(q.src) {
                    let dev = match connected(&cfg, q.dst) {
                        Some(d) => d,
                        None if cfg.interfaces.is_empty() => add_iface(&mut cfg, "eth0"),
                        None => 0,
                    };
                    if let Ok(n) = IpNet::new(q.src, prefix) {
                        cfg.interfaces[dev].addrs.push(n);
                    }
                }
                if !routed(&cfg, q.dst)
                    && assignable(q.src)
                    && assignable(q.dst)
                    && !cfg.interfaces.is_empty()
                {
                    let dev = connected(&cfg, q.src).unwrap_or(0);
                    gateway(&mut cfg, dev, q.src);
                }
            }
        }
    }
    if forward {
        set_forwarding(&mut cfg);
    }
    cfg
}

/// `--sysctl NAME=VALUE` options, each replacing the host's value.
pub(crate) fn apply_sysctls(cfg: &mut HostConfig, sysctls: &[String]) -> Result<(), String> {
    for s in sysctls {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--sysctl {s}: expected NAME=VALUE"))?;
        let v = v
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("--sysctl {s}: the value is a number"))?;
        cfg.sysctls.retain(|(n, _)| n != k);
        cfg.sysctls.push((k.to_string(), v));
    }
    Ok(())
}

fn set_forwarding(cfg: &mut HostConfig) {
    for n in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] {
        cfg.sysctls.retain(|(k, _)| k != n);
        cfg.sysctls.push((n.to_string(), 1));
    }
}

fn describe_host(cfg: &HostConfig) -> String {
    let mut s = String::new();
    for i in &cfg.interfaces {
        let addrs: Vec<String> = i.addrs.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "  device {}: {}",
            i.name,
            if addrs.is_empty() {
                "no address".to_string()
            } else {
                addrs.join(", ")
            }
        );
    }
    for r in &cfg.routes {
        let dst = if r.dst.prefix_len() == 0 {
            "default".to_string()
        } else {
            r.dst.to_string()
        };
        let _ = write!(s, "  route {dst}");
        if let Some(v) = r.via {
            let _ = write!(s, " via {v}");
        }
        if let Some(d) = &r.dev {
            let _ = write!(s, " dev {d}");
        }
        s.push('\n');
    }
    for (k, v) in &cfg.sysctls {
        let _ = writeln!(s, "  sysctl {k}={v}");
    }
    s
}

pub(crate) struct Style {
    pub on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// A one-line summary of a packet, as tcpdump prints it.
pub(crate) fn summary(b: &[u8]) -> String {
    let (v4, src, dst, proto, l4): (bool, IpAddr, IpAddr, u8, &[u8]) =
        match b.first().map(|x| x >> 4) {
            Some(4) if b.len() >= 20 => {
                let ihl = usize::from(b[0] & 15) * 4;
                let end = usize::from(u16::from_be_bytes([b[2], b[3]])).min(b.len());
                let frag = u16::from_be_bytes([b[6], b[7]]) & 0x3fff;
                let s = IpAddr::from([b[12], b[13], b[14], b[15]]);
                let d = IpAddr::from([b[16], b[17], b[18], b[19]]);
                if frag != 0 {
                    return format!(
                        "IP {s} > {d}: fragment (proto {}, offset {}), length {}",
                        b[9],
                        (frag & 0x1fff) * 8,
                        end.saturating_sub(ihl)
                    );
                }
                (true, s, d, b[9], b.get(ihl..end).unwrap_or(&[]))
            }
            Some(6) if b.len() >= 40 => {
                let mut s = [0u8; 16];
                s.copy_from_slice(&b[8..24]);
                let mut d = [0u8; 16];
                d.copy_from_slice(&b[24..40]);
                let end = (40 + usize::from(u16::from_be_bytes([b[4], b[5]]))).min(b.len());
                (false, IpAddr::from(s), IpAddr::from(d), b[6], &b[40..end])
            }
            _ => return format!("{} bytes, not IP", b.len()),
        };
    let ip = if v4 { "IP" } else { "IP6" };
    match proto {
        6 if l4.len() >= 20 => {
            let port = |o: usize| u16::from_be_bytes([l4[o], l4[o + 1]]);
            let fl = l4[13];
            let mut f = String::new();
            for (bit, c) in [
                (2, 'S'),
                (1, 'F'),
                (4, 'R'),
                (8, 'P'),
                (32, 'U'),
                (64, 'E'),
                (128, 'W'),
            ] {
                if fl & bit != 0 {
                    f.push(c);
                }
            }
            if fl & 16 != 0 {
                f.push('.');
            }
            let seq = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
            let ack = u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]]);
            let doff = usize::from(l4[12] >> 4) * 4;
            let mut s = format!(
                "{ip} {src}.{} > {dst}.{}: Flags [{f}], seq {seq}",
                port(0),
                port(2)
            );
            if fl & 16 != 0 {
                let _ = write!(s, ", ack {ack}");
            }
            let _ = write!(
                s,
                ", win {}, length {}",
                port(14),
                l4.len().saturating_sub(doff)
            );
            s
        }
        17 if l4.len() >= 8 => format!(
            "{ip} {src}.{} > {dst}.{}: UDP, length {}",
            u16::from_be_bytes([l4[0], l4[1]]),
            u16::from_be_bytes([l4[2], l4[3]]),
            l4.len() - 8
        ),
        1 | 58 if l4.len() >= 8 => {
            let table = if proto == 1 {
                nfsim::model::matches::icmp::ICMP_NAMES
            } else {
                nfsim::model::matches::icmp::ICMPV6_NAMES
            };
            let (t, c) = (l4[0], l4[1]);
            let name = table
                .iter()
                .find(|e| e.1 == t && e.2 == c && e.3 == c)
                .or_else(|| table.iter().find(|e| e.1 == t))
                .map_or_else(|| format!("type {t} code {c}"), |e| e.0.to_string());
            let icmp = if proto == 1 { "ICMP" } else { "ICMP6" };
            let mut s = format!("{ip} {src} > {dst}: {icmp} {name}");
            if matches!((proto, t), (1, 0 | 8) | (58, 128 | 129)) {
                let _ = write!(
                    s,
                    ", id {}, seq {}",
                    u16::from_be_bytes([l4[4], l4[5]]),
                    u16::from_be_bytes([l4[6], l4[7]])
                );
            }
            let _ = write!(s, ", length {}", l4.len());
            s
        }
        p => format!("{ip} {src} > {dst}: ip-proto-{p} {}", l4.len()),
    }
}

fn rule_text(
    rs: &Ruleset,
    table: TableKind,
    chain: ChainLabel,
    kind: TraceKind,
    num: u32,
) -> Option<String> {
    let step = Step {
        table,
        chain,
        kind,
        num,
        result: StepResult::Matched,
    };
    if let Some(t) = step.save_text(rs) {
        return Some(t);
    }
    let t = rs.tables.iter().find(|t| t.kind == table)?;
    let c = t.chain(chain.as_bytes())?;
    c.policy.map(|p| format!("-P {} {}", chain, p.name()))
}

/// The deciding entry: for a verdict of the rules, where; for a packet
/// that went on, the last rule or policy that matched in the `filter`
/// walk of the hook it went through (INPUT, FORWARD or OUTPUT).
struct Decided {
    table: TableKind,
    chain: ChainLabel,
    /// `None`: the policy.
    rule: Option<u32>,
    kind: TraceKind,
    num: u32,
}

fn from_ref(r: &RuleRef, policy: bool) -> Decided {
    Decided {
        table: r.table,
        chain: r.chain,
        rule: (!policy).then_some(r.num),
        kind: r.kind,
        num: r.num,
    }
}

fn accepted_by(steps: &[Step], hook_chain: &str, rs: &Ruleset) -> Option<Decided> {
    let builtin = |c: &str| {
        matches!(
            c,
            "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING"
        )
    };
    let start = steps.iter().position(|s| {
        s.table == TableKind::Filter && s.chain.as_bytes() == hook_chain.as_bytes()
    })?;
    let mut best = None;
    for s in &steps[start..] {
        if s.table != TableKind::Filter
            || (builtin(s.chain.to_str().unwrap_or(""))
                && s.chain.as_bytes() != hook_chain.as_bytes())
        {
            break;
        }
        if s.result == StepResult::Matched && matches!(s.kind, TraceKind::Rule | TraceKind::Policy)
        {
            best = Some(Decided {
                table: s.table,
                chain: s.chain,
                // TRACE calls a rule with the shape of a chain's tail
                // `policy`; it is still a rule of the chain.
                rule: s.rule(rs).is_some().then_some(s.num),
                kind: s.kind,
                num: s.num,
            });
        }
    }
    best
}

fn hooks_crossed(steps: &[Step]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for s in steps {
        let c = s.chain.to_str().unwrap_or("");
        if !matches!(
            c,
            "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING"
        ) {
            continue;
        }
        let t = s.table.to_string();
        match out.last_mut() {
            Some((h, ts)) if h == c => {
                if ts.last() != Some(&t) {
                    ts.push(t);
                }
            }
            _ => out.push((c.to_string(), vec![t])),
        }
    }
    out
}

pub(crate) type CtSnap = HashMap<nfsim::conntrack::CtHandle, (String, u64)>;

pub(crate) fn ct_snapshot(host: &Host, now: Instant) -> CtSnap {
    let ct = host.conntrack();
    ct.entries(now)
        .filter_map(|h| {
            Some((
                h,
                (ct.proc_entry(h)?.to_string(), ct.remaining_secs(h, now)?),
            ))
        })
        .collect()
}

/// The `verdict` of `--json`: `accept` when the packet reached its
/// destination (delivered locally or left the host), else `drop`,
/// `reject`, `queue`, `stolen`, `fragment-queued`, `unsupported`.
pub(crate) fn verdict_of(d: &Disposition) -> &'static str {
    match d {
        Disposition::Delivered { .. }
        | Disposition::Forwarded { .. }
        | Disposition::Sent { .. } => "accept",
        Disposition::Dropped { .. } => "drop",
        Disposition::Rejected { .. } => "reject",
        Disposition::Queued { .. } => "queue",
        Disposition::Stolen { .. } => "stolen",
        Disposition::FragmentQueued => "fragment-queued",
        Disposition::Unsupported(_) => "unsupported",
        _ => "none",
    }
}

/// A packet as `report` shows it.
pub(crate) struct Shown<'a> {
    /// Its index (shown 1-based).
    pub n: usize,
    /// Its description.
    pub text: &'a str,
    /// Its time.
    pub at_ms: f64,
    /// A blank line before its block (text output).
    pub blank_before: bool,
}

/// What `report` says about one packet: the JSON object (`--json`) or the
/// text block.
pub(crate) struct Report {
    pub json: Option<serde_json::Value>,
    pub text: String,
}

/// The answer for one packet the host just handled (`out`, the `steps`
/// an `Explain` sink saw, the conntrack table `before` it), as `nfsim
/// trace` prints it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
    host: &Host,
    rs: &Ruleset,
    now: Instant,
    before: &CtSnap,
    out: &Outcome,
    steps: &[Step],
    shown: &Shown,
    json: bool,
    style: &Style,
) -> Report {
    let after = ct_snapshot(host, now);
    let disp = out.disposition();
    let dev_name = |d: usize| host.device(d).unwrap_or("?").to_string();
    let verdict = verdict_of(&disp);
    let delivered: Option<String> = match disp {
        Disposition::Delivered { .. } => Some("local".into()),
        Disposition::Forwarded { dev } | Disposition::Sent { dev } => Some(dev_name(dev)),
        _ => None,
    };
    let (decided, reason): (Option<Decided>, Option<String>) = match disp {
        Disposition::Dropped { reason, at } => match at {
            Some(r) => (Some(from_ref(&r, reason == DropReason::Policy)), None),
            None => (None, Some(reason.to_string())),
        },
        Disposition::Rejected { at }
        | Disposition::Queued { at, .. }
        | Disposition::Stolen { at } => (Some(from_ref(&at, false)), None),
        Disposition::Delivered { .. }
        | Disposition::Forwarded { .. }
        | Disposition::Sent { .. } => {
            let hook = match disp {
                Disposition::Delivered { .. } => "INPUT",
                Disposition::Forwarded { .. } => "FORWARD",
                _ => "OUTPUT",
            };
            match accepted_by(steps, hook, rs) {
                Some(d) => (Some(d), None),
                None => (
                    None,
                    Some(format!("no filter {hook} rules: nothing stopped it")),
                ),
            }
        }
        Disposition::Unsupported(why) => (
            None,
            Some(format!("nfsim cannot reproduce this path: {why}")),
        ),
        other => (None, Some(other.to_string())),
    };
    let decided_text = decided
        .as_ref()
        .and_then(|d| rule_text(rs, d.table, d.chain, d.kind, d.num));
    let logs: Vec<&str> = out.logs().collect();
    let emitted: Vec<(String, &[u8])> = out.emitted().map(|(d, b)| (dev_name(d), b)).collect();

    if json {
        let path: Vec<serde_json::Value> = steps
            .iter()
            .map(|s| {
                serde_json::json!({
                    "table": s.table.to_string(),
                    "chain": s.chain.to_string(),
                    "rule": if s.rule(rs).is_some() {
                        serde_json::json!(s.num)
                    } else {
                        serde_json::json!(s.kind.as_str())
                    },
                    "text": rule_text(rs, s.table, s.chain, s.kind, s.num),
                    "matched": s.result == StepResult::Matched,
                    "failed": s.failed_part(rs),
                })
            })
            .collect();
        let mut conntrack: Vec<nfsim::replay::CtSpec> = after
            .values()
            .map(|(e, t)| nfsim::replay::CtSpec {
                entry: e.clone(),
                timeout: *t as i64,
            })
            .collect();
        conntrack.sort_by(|a, b| a.entry.cmp(&b.entry));
        let mut obj = serde_json::json!({
            "packet": shown.text,
            "at_ms": shown.at_ms,
            "verdict": verdict,
            "delivered": delivered,
            "decided_by": decided.as_ref().map(|d| serde_json::json!({
                "table": d.table.to_string(),
                "chain": d.chain.to_string(),
                "rule": match d.rule { Some(n) => serde_json::json!(n), None => serde_json::json!("policy") },
                "text": decided_text,
            })),
            "path": path,
            "log": logs,
            "emitted": emitted.iter().map(|(d, b)| serde_json::json!({
                "dev": d, "hex": nfsim::replay::to_hex(b), "summary": summary(b),
            })).collect::<Vec<_>>(),
            "conntrack": conntrack,
        });
        if let Some(r) = &reason {
            obj["reason"] = serde_json::json!(r);
        }
        // What `nfacct list` prints after the packet, line by line, as the
        // trace format's `nfacct` (absent when the host has no objects).
        let nfacct = host.nfacct_list();
        if !nfacct.is_empty() {
            obj["nfacct"] = serde_json::json!(nfacct.lines().collect::<Vec<_>>());
        }
        return Report {
            json: Some(obj),
            text: String::new(),
        };
    }

    // For people.
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}{} {}{}",
        if shown.blank_before { "\n" } else { "" },
        style.paint("1", &format!("packet {}:", shown.n + 1)),
        shown.text,
        if shown.at_ms > 0.0 {
            format!("  (at {} ms)", shown.at_ms)
        } else {
            String::new()
        }
    );
    // A REJECT ends the packet's walk at its rule: the steps after it
    // are those of the reply it caused.
    let own_end = match (&disp, &decided) {
        (Disposition::Rejected { .. }, Some(d)) => steps
            .iter()
            .position(|st| {
                st.table == d.table
                    && st.chain == d.chain
                    && st.num == d.num
                    && st.result == StepResult::Matched
            })
            .map_or(steps.len(), |p| p + 1),
        _ => steps.len(),
    };
    let hooks = hooks_crossed(&steps[..own_end]);
    if !hooks.is_empty() {
        let h: Vec<String> = hooks
            .iter()
            .map(|(h, t)| format!("{h} ({})", t.join(" ")))
            .collect();
        let _ = writeln!(s, "  hooks: {}", h.join(" -> "));
    }
    for (k, st) in steps.iter().enumerate() {
        if k == own_end {
            let _ = writeln!(s, "  the reply it caused:");
        }
        let head = match st.save_text(rs) {
            Some(t) => format!("{} {} #{}: {t}", st.table, st.chain, st.num),
            None => format!(
                "{} {} {}",
                st.table,
                st.chain,
                match st.kind {
                    TraceKind::Policy => rule_text(rs, st.table, st.chain, st.kind, st.num)
                        .unwrap_or_else(|| "policy".into()),
                    k => format!("({} at the chain's end)", k.as_str()),
                }
            ),
        };
        let res = match st.failed_part(rs) {
            Some(p) => style.paint("2", &format!("no match ({p})")),
            None => style.paint("32", "matched"),
        };
        let _ = writeln!(s, "    {head}  -> {res}");
    }
    let vtext = match (verdict, &delivered) {
        ("accept", Some(d)) if d == "local" => "ACCEPT, delivered locally".to_string(),
        ("accept", Some(d)) => format!(
            "ACCEPT, left by {d}{}",
            if matches!(disp, Disposition::Forwarded { .. }) {
                " (forwarded)"
            } else {
                ""
            }
        ),
        (v, _) => v.to_uppercase(),
    };
    let vcol = if verdict == "accept" { "1;32" } else { "1;31" };
    let _ = writeln!(s, "  verdict: {}", style.paint(vcol, &vtext));
    match (&decided, &decided_text) {
        (Some(d), text) => {
            let which = match d.rule {
                Some(n) => format!("rule {n}"),
                None => "policy".to_string(),
            };
            let _ = writeln!(
                s,
                "  decided by: {} {} {which}{}",
                d.table,
                d.chain,
                text.as_ref().map(|t| format!(": {t}")).unwrap_or_default()
            );
        }
        (None, _) => {
            let _ = writeln!(
                s,
                "  decided by: no rule ({})",
                reason.as_deref().unwrap_or("?")
            );
        }
    }
    for l in &logs {
        let _ = writeln!(s, "  log: {l}");
    }
    let mut ct_lines = Vec::new();
    let mut after_sorted: Vec<_> = after.iter().collect();
    after_sorted.sort_by(|x, y| x.1 .0.cmp(&y.1 .0));
    let mut before_sorted: Vec<_> = before.iter().collect();
    before_sorted.sort_by(|x, y| x.1 .0.cmp(&y.1 .0));
    for (h, (e, t)) in after_sorted {
        match before.get(h) {
            None => ct_lines.push(format!("new: {e} (timeout {t}s)")),
            Some((be, bt)) if be != e || bt != t => {
                ct_lines.push(format!("before: {be} (timeout {bt}s)"));
                ct_lines.push(format!("after:  {e} (timeout {t}s)"));
            }
            Some(_) => {}
        }
    }
    for (h, (e, _)) in before_sorted {
        if !after.contains_key(h) {
            ct_lines.push(format!("removed: {e}"));
        }
    }
    if ct_lines.is_empty() {
        let _ = writeln!(s, "  conntrack: no change");
    }
    for l in ct_lines {
        let _ = writeln!(s, "  conntrack {l}");
    }
    for (d, b) in &emitted {
        let _ = writeln!(s, "  sent on {d}: {}", summary(b));
    }
    if emitted.is_empty() {
        let _ = writeln!(s, "  nothing left the host");
    }
    Report {
        json: None,
        text: s,
    }
}

/// Runs `nfsim trace`.
pub(crate) fn run(
    a: &TraceArgs,
    color: bool,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    macro_rules! fail {
        ($code:expr, $($t:tt)*) => {{
            let _ = writeln!(err, "nfsim trace: {}", format!($($t)*));
            return Ok(ExitCode::from($code));
        }};
    }
    let items = match parse_packets(&a.packets) {
        Ok(i) => i,
        Err(e) => fail!(2, "{e}"),
    };
    let fam = if a.ipv6 { Family::Ipv6 } else { Family::Ipv4 };
    let host_cfg = match a.host.as_deref().map(host_file).transpose() {
        Ok(c) => c,
        Err(e) => fail!(2, "--host {e}"),
    };
    // The namespace's nfacct objects: the host's, then --nfacct.
    let mut names: Vec<String> = host_cfg
        .iter()
        .flat_map(|c| c.nfacct.iter().map(|n| n.to_string()))
        .collect();
    names.extend(a.nfacct.iter().cloned());
    let mut nfacct = match super::nfacct_objects(&names) {
        Ok(o) => o,
        Err(e) => fail!(2, "{e}"),
    };
    // The namespace's ip sets: --ipset, else the host's.
    let mut sets = match a.ipset.as_deref().map(super::read_ipset).transpose() {
        Ok(Some((_, s))) => s,
        Ok(None) => host_cfg
            .as_ref()
            .map(|c| c.ipset.clone())
            .unwrap_or_default(),
        Err(e) => fail!(2, "{e}"),
    };
    // The namespace's timeout policies: the host's, then --cttimeout.
    let mut policies: Vec<String> = host_cfg
        .iter()
        .flat_map(|c| c.cttimeout.iter().cloned())
        .collect();
    policies.extend(a.cttimeout.iter().cloned());
    let objects = match cttimeout_objects(&policies) {
        Ok(o) => o,
        Err(e) => fail!(2, "{e}"),
    };
    let (mut v4, mut v6) = match load_rules(&a.rules, fam, &mut nfacct, &mut sets, &objects) {
        Ok(x) => x,
        Err(e) => fail!(2, "{e}"),
    };
    if let Some(r6) = &a.rules6 {
        match load_rules(r6, Family::Ipv6, &mut nfacct, &mut sets, &objects) {
            Ok((_, Some(rs))) => v6 = Some(rs),
            Ok(_) => {}
            Err(e) => fail!(2, "{e}"),
        }
    }
    for it in &items {
        let missing = match family_of(&it.q) {
            Family::Ipv4 => v4.is_none(),
            Family::Ipv6 => v6.is_none(),
        };
        if missing {
            let _ = writeln!(
                err,
                "nfsim trace: note: no {} ruleset given (packet `{}`): its tables are empty",
                if family_of(&it.q) == Family::Ipv4 {
                    "IPv4 (RULES without -6)"
                } else {
                    "IPv6 (--rules6 FILE, or -6)"
                },
                it.text
            );
        }
    }
    let v4 = v4.take().unwrap_or_else(|| Ruleset::new(Family::Ipv4));
    let v6 = v6.take().unwrap_or_else(|| Ruleset::new(Family::Ipv6));

    let explicit = a.host.is_some() || !a.ifaces.is_empty() || !a.routes.is_empty();
    let mut cfg = if let Some(c) = host_cfg {
        c
    } else if explicit {
        HostConfig {
            sender_owner: Some((0, 0)),
            ..HostConfig::default()
        }
    } else {
        assume_host(&items, &[&v4, &v6], a.forward)
    };
    if let Err(e) = apply_options(&mut cfg, &a.ifaces, &a.routes) {
        fail!(2, "{e}");
    }
    if let Err(e) = apply_sysctls(&mut cfg, &a.sysctls) {
        fail!(2, "{e}");
    }
    if a.forward && explicit {
        set_forwarding(&mut cfg);
    }
    cfg.nfacct = nfacct;
    cfg.ipset = sets;
    cfg.cttimeout = policies;
    let mut host = match Host::new(&cfg, &v4, &v6) {
        Ok(h) => h,
        Err(e) => fail!(1, "{e}"),
    };
    for it in &items {
        if let Direction::In(d) = &it.q.direction {
            if host.device_index(d).is_none() {
                fail!(2, "packet `{}`: the host has no device {d}", it.text);
            }
        }
    }
    let style = Style { on: color };
    if !explicit {
        let text = format!(
            "assumed host (give --host, --iface or --route to choose):\n{}",
            describe_host(&cfg)
        );
        if a.json {
            let _ = err.write_all(text.as_bytes());
        } else {
            w.write_all(style.paint("2", text.trim_end()).as_bytes())?;
            w.write_all(b"\n")?;
        }
    }

    let mut out = Outcome::default();
    let mut explain = Explain::default();
    for (n, it) in items.iter().enumerate() {
        let now = Instant::from_millis_f64(it.at_ms);
        let before = ct_snapshot(&host, now);
        explain.clear();
        // `mark N`: skb->mark as the packet arrives (set before PREROUTING)
        // or as a socket with SO_MARK sends it.
        let mark = it.q.mark.unwrap_or(0);
        match &it.q.direction {
            Direction::In(d) => {
                let dev = host.device_index(d).unwrap_or(0);
                host.receive_marked(dev, &it.bytes, mark, now, &mut out, &mut explain);
            }
            Direction::Out => host.send_marked(&it.bytes, mark, now, &mut out, &mut explain),
        }
        let rs = match family_of(&it.q) {
            Family::Ipv4 => &v4,
            Family::Ipv6 => &v6,
        };
        let shown = Shown {
            n,
            text: &it.text,
            at_ms: it.at_ms,
            blank_before: n > 0 || !explicit,
        };
        let r = report(
            &host,
            rs,
            now,
            &before,
            &out,
            &explain.steps,
            &shown,
            a.json,
            &style,
        );
        match r.json {
            Some(obj) => writeln!(w, "{obj}")?,
            None => w.write_all(r.text.as_bytes())?,
        }
    }
    if !a.json && !cfg.nfacct.is_empty() {
        writeln!(w, "\nnfacct list:")?;
        w.write_all(host.nfacct_list().as_bytes())?;
    }
    if !a.json && !cfg.ipset.is_empty() {
        let last = items.last().map_or(0.0, |it| it.at_ms);
        writeln!(w, "\nipset save:")?;
        w.write_all(host.ipset_save(Instant::from_millis_f64(last)).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(time_word("+500ms"), Some(Ok((false, 500.0))));
        assert_eq!(time_word("+5s"), Some(Ok((false, 5000.0))));
        assert_eq!(time_word("@1.5s"), Some(Ok((true, 1500.0))));
        assert!(matches!(time_word("+5x"), Some(Err(_))));
        assert_eq!(time_word("in"), None);
    }

    #[test]
    fn assumed_gateway_is_not_the_hosts_own_address() {
        let items = parse_packets(&[
            "in eth0 udp [2001:db8:1::5]:5000 > [2001:db8:2::9]:53".to_string(),
            "out udp 2001:db8:1::1:1 > 2001:db8:3::1:1".to_string(),
        ]);
        // (the second is refused: an IPv6 address with a port needs brackets)
        assert!(items.is_err());
        let items = parse_packets(&[
            "in eth0 udp [2001:db8:1::5]:5000 > [2001:db8:2::9]:53".to_string(),
            "out udp [2001:db8:1::1]:1 > [2001:db8:3::1]:1".to_string(),
        ])
        .unwrap();
        let cfg = assume_host(&items, &[], true);
        let own: Vec<IpAddr> = cfg
            .interfaces
            .iter()
            .flat_map(|i| i.addrs.iter().map(IpNet::addr))
            .collect();
        assert!(!cfg.routes.is_empty());
        for r in &cfg.routes {
            let gw = r.via.unwrap();
            assert!(!own.contains(&gw), "{gw} in {own:?}");
        }
    }

    #[test]
    fn summaries() {
        let q =
            Question::parse("in eth0 tcp 192.0.2.1:22 > 203.0.113.5:40000 flags SA ack 1").unwrap();
        assert_eq!(
            summary(&q.build().unwrap()),
            "IP 192.0.2.1.22 > 203.0.113.5.40000: Flags [S.], seq 0, ack 1, win 64240, length 0"
        );
        let q =
            Question::parse("out icmp6 2001:db8::1 > 2001:db8::2 echo-reply icmp-id 7 icmp-seq 1")
                .unwrap();
        assert_eq!(
            summary(&q.build().unwrap()),
            "IP6 2001:db8::1 > 2001:db8::2: ICMP6 echo-reply, id 7, seq 1, length 8"
        );
    }
}
