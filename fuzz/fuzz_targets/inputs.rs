//! Drivers for the input paths: host configurations (`host_config`), trace
//! files (`trace_file`) and the command line (`cli`, in `cli.rs`). Shared
//! with the stable proptest twin `tests/fuzz_inputs.rs`, which includes this
//! file with `#[path]`. Each takes arbitrary bytes, builds an input from
//! them (often valid, often just wrong), runs it, and panics only on a
//! crash of nfsim itself or a broken invariant.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::replay::TraceFile;
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;

#[path = "drivers.rs"]
mod drivers;
pub use drivers::Input;

/// Device names: valid, clashing, too long, with forbidden characters.
const NAMES: [&str; 10] = [
    "eth0",
    "eth1",
    "lo",
    "",
    "a/b",
    "a-name-too-long0",
    "eth0.100",
    "é",
    "..",
    "br:0",
];

/// Sysctl names: every spelling nfsim knows, their misspellings and the
/// malformed ones that used to panic. `{}` is replaced by a device part.
const SYSCTLS: [&str; 26] = [
    "net.ipv4.ip_forward",
    "net.ipv4.conf.{}.forwarding",
    "net.ipv6.conf.{}.forwarding",
    "net.ipv4.conf.{}.rp_filter",
    "net.ipv4.conf.{}.send_redirects",
    "net.ipv4.conf.{}.route_localnet",
    "net.ipv4.conf.{}.log_martians",
    "net.ipv4.conf.{}.accept_redirects",
    "net.ipv4.icmp_ratelimit",
    "net.ipv6.icmp.ratelimit",
    "net.ipv6.auto_flowlabels",
    "net.netfilter.nf_conntrack_max",
    "net.nf_conntrack_max",
    "net.netfilter.nf_conntrack_buckets",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_udp_timeout",
    "net.netfilter.nf_conntrack_tcp_loose",
    "net.netfilter.nf_conntrack_tcp_be_liberal",
    "net.netfilter.nf_conntrack_acct",
    "net.netfilter.nf_conntrack_helper",
    "net.netfilter.nf_conntrack_count",
    "net.ipv4.conf.rp_filter",
    "net.ipv4.conf.send_redirects",
    "net/ipv4/conf/{}/rp_filter",
    "net.ipv4.conf.{}",
    "net..ipv4",
];

const DEV_PARTS: [&str; 6] = ["all", "default", "eth0", "eth1", "eth0/100", ""];

/// Values at the edges of what the kernel accepts.
const VALUES: [i64; 12] = [
    0,
    1,
    2,
    3,
    -1,
    255,
    65536,
    2_147_483_647,
    2_147_483_648,
    i64::MAX,
    i64::MIN,
    30,
];

const HZ: [u32; 8] = [0, 1, 100, 250, 1000, 10_000, 10_001, u32::MAX];

fn pick<T: Copy>(inp: &mut Input<'_>, xs: &[T]) -> T {
    xs[usize::from(inp.u8()) % xs.len()]
}

fn text(inp: &mut Input<'_>, max: usize) -> String {
    let n = usize::from(inp.u8()) % (max + 1);
    String::from_utf8_lossy(inp.take(n)).into_owned()
}

fn name(inp: &mut Input<'_>) -> String {
    if inp.u8() < 230 {
        pick(inp, &NAMES).to_string()
    } else {
        text(inp, 20)
    }
}

fn addr(inp: &mut Input<'_>) -> IpAddr {
    match inp.u8() % 4 {
        0 => IpAddr::V4(Ipv4Addr::new(192, 0, 2, inp.u8())),
        1 => IpAddr::V4(Ipv4Addr::from(inp.u32())),
        2 => IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            0,
            u16::from(inp.u8()),
        )),
        _ => {
            let b = inp.take(16);
            let mut a = [0u8; 16];
            a[..b.len()].copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(a))
        }
    }
}

fn net(inp: &mut Input<'_>) -> IpNet {
    let a = addr(inp);
    let max = if a.is_ipv4() { 33 } else { 129 };
    let p = inp.u8() % max;
    IpNet::new(a, p).expect("prefix in range")
}

fn sysctl(inp: &mut Input<'_>) -> (String, i64) {
    let n = if inp.u8() < 240 {
        let pattern = pick(inp, &SYSCTLS);
        let dev = pick(inp, &DEV_PARTS);
        pattern.replace("{}", dev)
    } else {
        text(inp, 40)
    };
    let v = if inp.u8() < 200 {
        pick(inp, &VALUES)
    } else {
        i64::from(inp.u32() as i32)
    };
    (n, v)
}

/// An arbitrary host configuration.
pub fn host_config(inp: &mut Input<'_>) -> HostConfig {
    let mut cfg = HostConfig::default();
    for _ in 0..inp.u8() % 4 {
        let mut addrs = Vec::new();
        for _ in 0..inp.u8() % 3 {
            addrs.push(net(inp));
        }
        cfg.interfaces.push(InterfaceConfig {
            name: name(inp),
            mac: [2, 0, 0, 0, 0, inp.u8()],
            addrs,
            peer_mac: [2, 0, 0, 0, 1, inp.u8()],
        });
    }
    for _ in 0..inp.u8() % 3 {
        let flags = inp.u8();
        cfg.routes.push(RouteConfig {
            dst: net(inp),
            via: (flags & 1 != 0).then(|| addr(inp)),
            dev: (flags & 2 != 0).then(|| name(inp)),
        });
    }
    for _ in 0..inp.u8() % 6 {
        cfg.sysctls.push(sysctl(inp));
    }
    cfg.hz = if inp.u8() < 200 {
        pick(inp, &HZ)
    } else {
        inp.u32()
    };
    cfg.seed = u64::from(inp.u32());
    if inp.u8() & 1 != 0 {
        cfg.sender_owner = None;
    }
    cfg
}

fn rules(inp: &mut Input<'_>) -> (Ruleset, Ruleset) {
    let parse = |t: &str, f| parse_restore(t, &RestoreOptions::new(f)).expect("driver rules parse");
    match inp.u8() % 3 {
        0 => (Ruleset::new(Family::Ipv4), Ruleset::new(Family::Ipv6)),
        1 => (
            parse(drivers::RULES_V4, Family::Ipv4),
            parse(drivers::RULES_V6, Family::Ipv6),
        ),
        _ => (
            parse(
                "*filter\n-A INPUT -m recent --name a --set\n-A INPUT -m hashlimit --hashlimit-above 1/sec --hashlimit-name h -j DROP\n-A INPUT -m connlimit --connlimit-above 2 -j REJECT\nCOMMIT\n",
                Family::Ipv4,
            ),
            Ruleset::new(Family::Ipv6),
        ),
    }
}

/// Builds a host from an arbitrary configuration; when it builds, runs
/// packets through it on arbitrary devices at arbitrary times (backwards
/// too). Nothing may panic; an error must name a field.
pub fn run_host_config(data: &[u8]) {
    let mut inp = Input::new(data);
    let cfg = host_config(&mut inp);
    let (v4, v6) = rules(&mut inp);
    let mut host = match Host::new(&cfg, &v4, &v6) {
        Ok(h) => h,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let mut out = Outcome::default();
    let mut now = 0u64;
    for _ in 0..64 {
        if inp.done() {
            break;
        }
        let op = inp.u8();
        now = match op >> 6 {
            0 => now.saturating_sub(drivers::step_ns(inp.u8())),
            1 => u64::from(inp.u32()) << 32,
            _ => now.saturating_add(drivers::step_ns(inp.u8())),
        };
        let pkt = drivers::packet(&mut inp);
        let t = Instant::from_nanos(now);
        if op & 1 != 0 {
            host.send(&pkt, t, &mut out, &mut NoTrace);
        } else {
            let dev = usize::from(inp.u8() % 6);
            if host.device(dev).is_some() {
                host.receive(dev, &pkt, t, &mut out, &mut NoTrace);
            }
        }
        for (dev, _) in out.emitted() {
            assert!(
                host.device(dev).is_some(),
                "emitted on unknown device {dev}"
            );
        }
    }
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A trace file put together from pieces, each valid or wrong.
/// Words of `nfct add timeout` lines (`host.cttimeout`).
const TIMEOUT_WORDS: &[&str] = &[
    "t1",
    "u1",
    "inet",
    "inet6",
    "tcp",
    "udp",
    "icmp",
    "icmpv6",
    "sctp",
    "gre",
    "unreplied",
    "replied",
    "established",
    "syn_sent",
    "close",
    "time_wait",
    "timeout",
    "10",
    "0",
    "4294967295",
    "x",
];

/// Rules with `-j CT` helpers, zones and timeout policies, and the
/// matches that read them.
const CT_RULES: &str = "*raw\n\
-A PREROUTING -p udp -m udp --dport 69 -j CT --helper tftp\n\
-A PREROUTING -p tcp -m tcp --dport 21 -j CT --helper ftp --zone 3\n\
-A PREROUTING -p udp -j CT --timeout u1\n\
-A PREROUTING -p tcp -j CT --timeout t1 --zone-orig mark\n\
-A OUTPUT -p tcp -j CT --helper ftp\n\
COMMIT\n\
*nat\n\
-A POSTROUTING -j MASQUERADE\n\
COMMIT\n\
*filter\n\
-A FORWARD -m physdev --physdev-in veth+ --physdev-is-bridged -j ACCEPT\n\
-A FORWARD -m helper --helper ftp -m conntrack --ctstatus EXPECTED -j ACCEPT\n\
COMMIT\n";

pub fn trace_json(inp: &mut Input<'_>) -> String {
    let cfg = host_config(inp);
    let mut j = String::from("{\"format\":");
    j.push_str(if inp.u8() < 250 {
        "\"nfsim-trace/1\""
    } else {
        "\"x\""
    });
    j.push_str(&format!(
        ",\"recorded_with\":{{\"hz\":{}}},\"host\":{{\"interfaces\":[",
        cfg.hz
    ));
    for (i, itf) in cfg.interfaces.iter().enumerate() {
        if i > 0 {
            j.push(',');
        }
        let addrs: Vec<String> = itf.addrs.iter().map(|a| json_str(&a.to_string())).collect();
        let mac = if inp.u8() < 240 {
            "02:00:00:00:00:01".to_string()
        } else {
            text(inp, 20)
        };
        // Sometimes a port of the bridge below (or of one that is missing).
        let master = match inp.u8() % 8 {
            0 => ",\"master\":\"br0\"".to_string(),
            1 => format!(",\"master\":{}", json_str(&name(inp))),
            _ => String::new(),
        };
        j.push_str(&format!(
            "{{\"name\":{},\"mac\":{},\"addrs\":[{}],\"peer\":{{\"mac\":\"02:00:00:00:00:02\"}}{master}}}",
            json_str(&itf.name),
            json_str(&mac),
            addrs.join(",")
        ));
    }
    j.push_str("],\"routes\":[");
    for (i, r) in cfg.routes.iter().enumerate() {
        if i > 0 {
            j.push(',');
        }
        j.push_str(&format!("{{\"dst\":{}", json_str(&r.dst.to_string())));
        if let Some(v) = r.via {
            j.push_str(&format!(",\"via\":{}", json_str(&v.to_string())));
        }
        if let Some(d) = &r.dev {
            j.push_str(&format!(",\"dev\":{}", json_str(d)));
        }
        j.push('}');
    }
    j.push(']');
    if inp.u8() % 4 == 0 {
        let addr = if inp.u8() & 1 == 0 {
            "10.9.0.1/24"
        } else {
            "2001:db8:9::1/64"
        };
        j.push_str(&format!(
            ",\"bridges\":[{{\"name\":\"br0\",\"mac\":\"02:00:00:00:00:aa\",\"addrs\":[\"{addr}\"]}}]"
        ));
    }
    // `nfct add timeout` policies put together from their words.
    if inp.u8() % 4 == 0 {
        j.push_str(",\"cttimeout\":[");
        for i in 0..inp.u8() % 3 {
            if i > 0 {
                j.push(',');
            }
            let line = match inp.u8() % 4 {
                // The policies CT_RULES names, then words at random.
                0 => "u1 inet udp unreplied 10 replied 20".to_string(),
                1 => "t1 inet tcp established 100 close 5".to_string(),
                _ => {
                    let n = 1 + usize::from(inp.u8() % 7);
                    let w: Vec<&str> = (0..n)
                        .map(|_| TIMEOUT_WORDS[usize::from(inp.u8()) % TIMEOUT_WORDS.len()])
                        .collect();
                    w.join(" ")
                }
            };
            j.push_str(&json_str(&line));
        }
        j.push(']');
    }
    j.push_str(",\"sysctl\":{");
    for (i, (k, v)) in cfg.sysctls.iter().enumerate() {
        if i > 0 {
            j.push(',');
        }
        j.push_str(&format!("{}:{v}", json_str(k)));
    }
    j.push_str("}},\"rules\":{");
    match inp.u8() % 3 {
        0 => {}
        1 if inp.u8() & 1 == 0 => j.push_str(&format!("\"ipv4\":{}", json_str(CT_RULES))),
        1 => j.push_str(&format!("\"ipv4\":{}", json_str(drivers::RULES_V4))),
        _ => j.push_str(&format!("\"ipv4\":{}", json_str(&text(inp, 200)))),
    }
    j.push_str("},\"packets\":[");
    let mut at = 0.0f64;
    for i in 0..inp.u8() % 8 {
        if i > 0 {
            j.push(',');
        }
        let sel = inp.u8();
        at = match sel % 8 {
            0 => at - f64::from(inp.u8()),
            1 => f64::from(inp.u32()) * 1e9,
            _ => at + f64::from(inp.u8()),
        };
        let pkt = drivers::packet(inp);
        let mut h = hex(&pkt);
        if sel & 0x10 != 0 {
            h.push_str(&text(inp, 3));
        }
        let dir = match sel >> 6 {
            0 => "\"out\":true".to_string(),
            1 => String::new(),
            _ => format!("\"in\":{}", json_str(&name(inp))),
        };
        let sep = if dir.is_empty() { "" } else { "," };
        // A frame's destination MAC: the bridge's, a port peer's, any.
        let dst_mac = match inp.u8() % 8 {
            0 => ",\"dst_mac\":\"02:00:00:00:00:aa\"".to_string(),
            1 => ",\"dst_mac\":\"02:00:00:00:00:02\"".to_string(),
            2 => format!(",\"dst_mac\":{}", json_str(&text(inp, 20))),
            _ => String::new(),
        };
        j.push_str(&format!(
            "{{\"at_ms\":{at}{sep}{dir}{dst_mac},\"hex\":{}}}",
            json_str(&h)
        ));
    }
    j.push_str("]}");
    j
}

/// A trace file, built from pieces (first byte even) or the raw bytes as
/// text (odd), loaded and replayed. Nothing may panic.
pub fn run_trace_file(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let json = if first & 1 == 0 {
        trace_json(&mut Input::new(rest))
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    let Ok(t) = TraceFile::from_json(&json) else {
        return;
    };
    let _ = t.host_config();
    if let Ok(results) = nfsim::replay::replay(&t) {
        assert_eq!(results.len(), t.packets.len());
        for (p, r) in t.packets.iter().zip(&results) {
            if let Some(k) = &p.expect {
                let _ = nfsim::replay::compare(k, r);
            }
        }
    }
}

/// A network of two to four hosts built from arbitrary configurations,
/// linked in a chain with arbitrary latency and loss, then packets sent
/// and injected at arbitrary times and the clock run: nothing may panic,
/// time never goes backwards, and every delivery reaches a host that
/// exists.
pub fn run_network(data: &[u8]) {
    use nfsim::net::{LinkConfig, Network};
    use nfsim::time::Duration;
    let mut inp = Input::new(data);
    let mut net = Network::new(u64::from(inp.u32()));
    let n = 2 + usize::from(inp.u8() % 3);
    let mut ids = Vec::new();
    for i in 0..n {
        let itfs = vec![
            InterfaceConfig {
                name: "eth0".into(),
                mac: [2, 0, 0, 0, i as u8, 1],
                addrs: vec![net4(&mut inp, i as u8, 1)],
                peer_mac: [2, 0, 0, 0, i as u8, 2],
            },
            InterfaceConfig {
                name: "eth1".into(),
                mac: [2, 0, 0, 1, i as u8, 1],
                addrs: vec![net4(&mut inp, i as u8 + 1, 2)],
                peer_mac: [2, 0, 0, 1, i as u8, 2],
            },
        ];
        let mut cfg = HostConfig {
            interfaces: itfs,
            ..HostConfig::default()
        };
        if inp.u8() & 1 != 0 {
            cfg.sysctls.push(("net.ipv4.ip_forward".into(), 1));
        }
        let (v4, v6) = rules(&mut inp);
        match Host::new(&cfg, &v4, &v6) {
            Ok(h) => ids.push(net.add_host(h)),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                return;
            }
        }
    }
    for w in ids.windows(2) {
        let cfg = LinkConfig::latency(Duration::from_nanos(u64::from(inp.u16()) * 1000))
            .with_loss_per_million(u32::from(inp.u8()) * 4000);
        net.connect((w[0], "eth1"), (w[1], "eth0"), cfg)
            .expect("a chain of fresh devices links");
    }
    let mut last = net.now();
    for _ in 0..48 {
        if inp.done() {
            break;
        }
        let op = inp.u8();
        let h = ids[usize::from(op) % ids.len()];
        let at = Instant::from_nanos(drivers::step_ns(inp.u8()).saturating_mul(u64::from(op >> 4)));
        let pkt = drivers::packet(&mut inp);
        if op & 8 != 0 {
            net.send(h, &pkt, at);
        } else {
            net.inject(h, 1 + usize::from(op & 1), &pkt, at);
        }
        if op & 4 != 0 {
            net.run(64);
        }
        assert!(net.now() >= last, "the clock went backwards");
        last = net.now();
    }
    net.run(4096);
    let (delivered, lost) = net.counters();
    let _ = (delivered, lost, net.unlinked());
}

/// Endpoints (`nfsim::net::Stack`) on two linked hosts that both answer
/// (TCP echo and discard listeners, UDP echo; the second host with
/// arbitrary rules), meeting packets injected from outside, raw sends,
/// client connections, datagrams and pings at arbitrary times: nothing may
/// panic and the clock never goes backwards. Returns the network's
/// counters and both stacks' counters, to compare with a second run.
pub fn run_endpoints(data: &[u8]) -> ((u64, u64), String) {
    use nfsim::net::{LinkConfig, Network, Serve, TcpConnect};
    use nfsim::time::Duration;
    let mut inp = Input::new(data);
    let mut net = Network::new(u64::from(inp.u32()));
    let mk = |a: &str, b: &str, v4: &Ruleset, v6: &Ruleset| {
        let itf = InterfaceConfig::new("eth0", a)
            .and_then(|i| i.with_addr(b))
            .expect("interface");
        let cfg = HostConfig {
            interfaces: vec![itf],
            ..HostConfig::default()
        };
        Host::new(&cfg, v4, v6)
    };
    let empty = (Ruleset::new(Family::Ipv4), Ruleset::new(Family::Ipv6));
    let a = net.add_host(mk("10.0.0.10/24", "fd00::10/64", &empty.0, &empty.1).expect("host"));
    let (v4, v6) = rules(&mut inp);
    let b = match mk("10.0.0.20/24", "fd00::20/64", &v4, &v6) {
        Ok(h) => net.add_host(h),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return ((0, 0), String::new());
        }
    };
    let link = LinkConfig::latency(Duration::from_nanos(u64::from(inp.u16()) * 1000))
        .with_loss_per_million(u32::from(inp.u8() % 4) * 50_000);
    net.connect((a, "eth0"), (b, "eth0"), link)
        .expect("fresh devices link");
    for h in [a, b] {
        let st = net.stack(h).expect("host");
        st.listen_tcp(80, Serve::Echo);
        st.listen_tcp(22, Serve::Discard);
        st.listen_udp(53, Serve::Echo);
    }
    let mut last = net.now();
    let mut t = 0u64;
    for _ in 0..48 {
        if inp.done() {
            break;
        }
        let op = inp.u8();
        let (from, to) = if op & 0x10 == 0 { (a, b) } else { (b, a) };
        let v6 = op & 0x20 != 0;
        let dst: IpAddr = match (to == b, v6) {
            (true, false) => Ipv4Addr::new(10, 0, 0, 20).into(),
            (false, false) => Ipv4Addr::new(10, 0, 0, 10).into(),
            (true, true) => "fd00::20".parse().expect("address"),
            (false, true) => "fd00::10".parse().expect("address"),
        };
        t = t.saturating_add(drivers::step_ns(inp.u8()));
        let at = Instant::from_nanos(t);
        let port = drivers::PORTS[usize::from(inp.u8()) % drivers::PORTS.len()];
        match op % 5 {
            0 => {
                let n = usize::from(inp.u8());
                let mut c = TcpConnect::new(std::net::SocketAddr::new(dst, port), inp.take(n));
                c.think = Duration::from_nanos(drivers::step_ns(inp.u8()));
                c.wait_reply = op & 0x40 != 0;
                if op & 0x80 != 0 {
                    c.src_port = Some(inp.u16());
                }
                net.tcp_connect(from, &c, at).expect("a route to the peer");
            }
            1 => {
                let n = usize::from(inp.u8());
                let data = inp.take(n);
                net.udp_send(
                    from,
                    inp.u16(),
                    std::net::SocketAddr::new(dst, port),
                    data,
                    at,
                )
                .expect("a route to the peer");
            }
            2 => {
                let n = usize::from(inp.u8());
                net.ping(from, dst, inp.u16(), inp.u16(), inp.take(n), at)
                    .expect("a route to the peer");
            }
            3 => {
                let pkt = drivers::packet(&mut inp);
                net.inject(from, 1, &pkt, at);
            }
            _ => {
                let pkt = drivers::packet(&mut inp);
                net.send(from, &pkt, at);
            }
        }
        if op & 4 != 0 {
            net.run(256);
        }
        assert!(net.now() >= last, "the clock went backwards");
        last = net.now();
    }
    net.run(100_000);
    let stats = format!(
        "{:?} {:?}",
        net.stack_of(a).map(|s| s.stats()),
        net.stack_of(b).map(|s| s.stats())
    );
    (net.counters(), stats)
}

/// An IPv4 /24 for host `h`'s device `d`.
fn net4(inp: &mut Input<'_>, h: u8, d: u8) -> IpNet {
    let p = 24 + inp.u8() % 9;
    IpNet::new(IpAddr::V4(Ipv4Addr::new(10, h, 0, d)), p).expect("prefix")
}
