//! The packet path allocates nothing in the steady state: a counting global
//! allocator watches `Host::receive` / `Host::send` with a reused `Outcome`
//! and the `NoTrace` sink.
//!
//! Two workloads: a NAT gateway built here (so the test runs everywhere), and
//! the reference trace `nat-gateway.json` when the shared examples are
//! present. Each is replayed for a few warm-up rounds (conntrack entries,
//! buffer pools and `Outcome` capacities settle), then for several more
//! rounds during which not one allocation may happen.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::Ipv4Addr;

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::PacketBuilder;

/// Counts allocations and reallocations made by the current thread (tests
/// run on several threads; each counts only its own).
struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: the thread-local may already be gone at thread exit.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; counting touches only a const-initialised thread-local `Cell`,
// which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// One packet of a workload: arriving on a device, or sent by the host.
struct Pkt {
    dev: Option<usize>,
    at_ms: f64,
    bytes: Vec<u8>,
}

/// Replays `pkts` `warm + rounds` times on `host` (time advancing as `nfsim
/// bench` does) and returns the allocations counted during the last
/// `rounds` rounds, with the number of packets they covered.
fn steady_state_allocs(host: &mut Host, pkts: &[Pkt], warm: u32, rounds: u32) -> (u64, u64) {
    let period = pkts.last().map_or(0.0, |p| p.at_ms) + 1000.0;
    let mut out = Outcome::default();
    let mut sink = NoTrace;
    let mut counted = 0;
    let mut packets = 0;
    for r in 0..warm + rounds {
        let before = allocs();
        for p in pkts {
            let now = Instant::from_millis_f64(p.at_ms + f64::from(r) * period);
            match p.dev {
                Some(d) => host.receive(d, &p.bytes, now, &mut out, &mut sink),
                None => host.send(&p.bytes, now, &mut out, &mut sink),
            }
        }
        if r >= warm {
            counted += allocs() - before;
            packets += pkts.len() as u64;
        }
    }
    (counted, packets)
}

fn tcp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), seq: u32, ack: u32, flags: u8) -> Vec<u8> {
    PacketBuilder::ipv4(src.0, dst.0)
        .tcp(src.1, dst.1)
        .seq(seq)
        .ack(ack)
        .flags(TcpFlags::from_bits_retain(flags))
        .build()
}

fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
    PacketBuilder::ipv4(src.0, dst.0)
        .udp(src.1, dst.1)
        .payload(payload)
        .build()
}

fn icmp_echo(src: Ipv4Addr, dst: Ipv4Addr, id: u16) -> Vec<u8> {
    PacketBuilder::ipv4(src, dst)
        .icmp_echo_request(id, 1)
        .build()
}

const GATEWAY_RULES: &str = "\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth1 -p tcp -m tcp --dport 8022 -j DNAT --to-destination 10.0.0.10:22
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p udp -m multiport --dports 137,138 -j REJECT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth0 -o eth1 -j ACCEPT
-A FORWARD -d 10.0.0.10/32 -p tcp -m conntrack --ctstate DNAT -m tcp --dport 22 -j ACCEPT
COMMIT
";

/// A two-legged NAT gateway: eth0 10.0.0.1/24 inside, eth1 198.51.100.1/24
/// outside, default route via 198.51.100.2, forwarding on.
fn gateway() -> (Host, Vec<Pkt>) {
    let cfg = HostConfig {
        interfaces: vec![
            InterfaceConfig {
                name: "eth0".into(),
                mac: [2, 0, 0, 0, 0, 1],
                addrs: vec!["10.0.0.1/24".parse().unwrap()],
                peer_mac: [2, 0, 0, 0, 1, 1],
            },
            InterfaceConfig {
                name: "eth1".into(),
                mac: [2, 0, 0, 0, 0, 2],
                addrs: vec!["198.51.100.1/24".parse().unwrap()],
                peer_mac: [2, 0, 0, 0, 1, 2],
            },
        ],
        routes: vec![RouteConfig {
            dst: "0.0.0.0/0".parse().unwrap(),
            via: Some("198.51.100.2".parse().unwrap()),
            dev: Some("eth1".into()),
        }],
        sysctls: vec![("net.ipv4.ip_forward".into(), 1)],
        ..HostConfig::default()
    };
    let v4 = parse_restore(GATEWAY_RULES, &RestoreOptions::new(Family::Ipv4)).unwrap();
    let host = Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).unwrap();
    let inside: Ipv4Addr = "10.0.0.20".parse().unwrap();
    let server: Ipv4Addr = "10.0.0.10".parse().unwrap();
    let gw_out: Ipv4Addr = "198.51.100.1".parse().unwrap();
    let gw_in: Ipv4Addr = "10.0.0.1".parse().unwrap();
    let remote: Ipv4Addr = "203.0.113.30".parse().unwrap();
    let dns: Ipv4Addr = "203.0.113.53".parse().unwrap();
    let (syn, synack, ack, psh) = (0x02, 0x12, 0x10, 0x18);
    let mut t = 0.0;
    let mut p = |dev: Option<usize>, bytes: Vec<u8>| {
        t += 30.0;
        Pkt {
            dev,
            at_ms: t,
            bytes,
        }
    };
    let pkts = vec![
        // Outbound TCP through MASQUERADE: handshake and data.
        p(Some(1), tcp((inside, 40000), (remote, 443), 100, 0, syn)),
        p(
            Some(2),
            tcp((remote, 443), (gw_out, 40000), 500, 101, synack),
        ),
        p(Some(1), tcp((inside, 40000), (remote, 443), 101, 501, ack)),
        p(Some(1), tcp((inside, 40000), (remote, 443), 101, 501, psh)),
        // Outbound DNS and its answer.
        p(Some(1), udp((inside, 52000), (dns, 53), b"q")),
        p(Some(2), udp((dns, 53), (gw_out, 52000), b"a")),
        // Port forward (DNAT) to the inside server, and its answer.
        p(Some(2), tcp((remote, 50000), (gw_out, 8022), 1, 0, syn)),
        p(Some(1), tcp((server, 22), (remote, 50000), 900, 2, synack)),
        // Ping of the gateway (local delivery), telnet (REJECT tcp-reset),
        // netbios (REJECT icmp-port-unreachable), and an unsolicited drop.
        p(Some(1), icmp_echo(inside, gw_in, 7)),
        p(Some(1), tcp((inside, 40001), (gw_in, 23), 1, 0, syn)),
        p(Some(1), udp((inside, 52001), (gw_in, 137), b"n")),
        p(Some(2), tcp((remote, 50001), (gw_out, 25), 1, 0, syn)),
        // The gateway's own traffic.
        p(None, udp((gw_out, 53000), (dns, 53), b"q")),
        p(None, tcp((gw_in, 41000), (inside, 80), 1, 0, syn)),
    ];
    (host, pkts)
}

#[test]
fn gateway_packets_do_what_the_test_assumes() {
    // Not a conformance check, only that the workload exercises the path:
    // something is forwarded, NATed, answered by REJECT and delivered.
    let (mut host, pkts) = gateway();
    let mut out = Outcome::default();
    let mut emitted = 0;
    let mut local = 0;
    for p in &pkts {
        let now = Instant::from_millis_f64(p.at_ms);
        match p.dev {
            Some(d) => host.receive(d, &p.bytes, now, &mut out, &mut NoTrace),
            None => host.send(&p.bytes, now, &mut out, &mut NoTrace),
        }
        emitted += out.emitted().count();
        local += usize::from(out.local);
    }
    assert!(emitted >= 8, "only {emitted} packets emitted");
    assert!(local >= 1, "nothing delivered locally");
    assert!(host.conntrack().count() >= 4);
}

#[test]
fn gateway_steady_state_allocates_nothing() {
    // The counter sees this thread's allocations.
    let before = allocs();
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(allocs() > before, "the counting allocator counts nothing");
    drop(probe);
    let (mut host, pkts) = gateway();
    let (n, packets) = steady_state_allocs(&mut host, &pkts, 3, 20);
    assert_eq!(n, 0, "{n} allocations over {packets} packets after warm-up");
}

/// Replays a shared example trace (when present) and counts.
fn trace_steady_state(name: &str) {
    let path = format!(
        "{}/../shared/spec/examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    trace_file_steady_state(name, &path);
}

fn trace_file_steady_state(name: &str, path: &str) {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not present (the built-in gateway workload still ran)");
        return;
    };
    let trace = nfsim::replay::TraceFile::from_json(&text).unwrap();
    let mut host = trace.build_host().unwrap();
    let pkts: Vec<Pkt> = trace
        .packets
        .iter()
        .map(|p| Pkt {
            dev: if p.out == Some(true) {
                None
            } else {
                host.device_index(p.in_dev.as_deref().unwrap())
            },
            at_ms: p.at_ms,
            bytes: nfsim::replay::from_hex(&p.hex).unwrap(),
        })
        .collect();
    let (n, packets) = steady_state_allocs(&mut host, &pkts, 3, 20);
    assert_eq!(
        n, 0,
        "{name}: {n} allocations over {packets} packets after warm-up"
    );
}

#[test]
fn nat_gateway_trace_steady_state_allocates_nothing() {
    trace_steady_state("nat-gateway");
}

#[test]
fn ipv6_basic_trace_steady_state_allocates_nothing() {
    trace_steady_state("ipv6-basic");
}

/// The ftp helper (`-j CT --helper ftp`) reading every control packet,
/// registering and replacing expectations, data connections RELATED.
#[test]
fn ct_helper_ftp_trace_steady_state_allocates_nothing() {
    let path = format!(
        "{}/tests/traces/ct-helper-ftp.json",
        env!("CARGO_MANIFEST_DIR")
    );
    trace_file_steady_state("ct-helper-ftp", &path);
}

/// `nf_nat_ftp`: commands rewritten (the packet grows), sequence numbers
/// adjusted on every later control packet, data connections NATed by
/// `nf_nat_follow_master` (a PORT grows the packet in the buffer the host
/// reuses: nothing after warm-up).
#[test]
fn ct_helper_ftp_nat_traces_steady_state_allocate_nothing() {
    for name in [
        "ct-helper-ftp-nat",
        "ct-helper-ftp-nat-pasv",
        "ct-helper-ftp-nat-local",
    ] {
        let path = format!("{}/tests/traces/{name}.json", env!("CARGO_MANIFEST_DIR"));
        trace_file_steady_state(name, &path);
    }
}

/// Timeout policies (`-j CT --timeout`): templates carrying a policy,
/// entries created with it, the trackers and the UDP fast path reading it,
/// REJECT's `set_closing`.
#[test]
fn ct_timeout_policy_traces_steady_state_allocate_nothing() {
    for name in ["ct-timeout-policy", "ct-timeout-policy-ipv6-reset"] {
        let path = format!("{}/tests/traces/{name}.json", env!("CARGO_MANIFEST_DIR"));
        trace_file_steady_state(name, &path);
    }
}

#[path = "../fuzz/fuzz_targets/drivers.rs"]
mod drivers;

/// The fuzz driver's structured packets (every protocol, REJECT, NAT,
/// ICMP errors, fragments, garbage) through the pipeline host: after one
/// pass to warm up, a second pass over the same packets allocates nothing.
#[test]
fn varied_packets_steady_state_allocates_nothing() {
    let mut host = drivers::pipeline_host().clone();
    // A fixed pseudo-random byte stream (SplitMix64) as generator input.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..40_000)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect();
    let mut inp = drivers::Input::new(&bytes);
    let mut pkts = Vec::new();
    while !inp.done() {
        let op = inp.u8();
        let p = drivers::packet(&mut inp);
        pkts.push(Pkt {
            dev: match op % 4 {
                3 => None,
                d => Some(usize::from(d)),
            },
            at_ms: pkts.len() as f64 * 10.0,
            bytes: p,
        });
    }
    let (n, packets) = steady_state_allocs(&mut host, &pkts, 2, 3);
    assert_eq!(n, 0, "{n} allocations over {packets} packets after warm-up");
}

/// The network layer: two linked hosts, UDP both ways through conntrack,
/// time advancing; after warm-up, running the events allocates nothing
/// (pooled buffers, the event queue keeps its capacity, no tap).
#[test]
fn network_steady_state_allocates_nothing() {
    use nfsim::host::{HostConfig, InterfaceConfig};
    use nfsim::net::{LinkConfig, Network};
    use nfsim::time::Duration;
    let itf = |addr: &str, mac: u8| InterfaceConfig {
        name: "eth0".into(),
        mac: [2, 0, 0, 0, 0, mac],
        addrs: vec![addr.parse().unwrap()],
        peer_mac: [2, 0, 0, 0, 1, mac],
    };
    let rules = nfsim::syntax::parse_restore(
        "*filter\n-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT\nCOMMIT\n",
        &nfsim::syntax::RestoreOptions::new(nfsim::model::Family::Ipv4),
    )
    .unwrap();
    let v6 = nfsim::model::Ruleset::new(nfsim::model::Family::Ipv6);
    let mk = |addr: &str, mac: u8| {
        let cfg = HostConfig {
            interfaces: vec![itf(addr, mac)],
            ..HostConfig::default()
        };
        Host::new(&cfg, &rules, &v6).unwrap()
    };
    let mut net = Network::new(3);
    let a = net.add_host(mk("192.0.2.1/24", 1));
    let b = net.add_host(mk("192.0.2.2/24", 2));
    net.connect(
        (a, "eth0"),
        (b, "eth0"),
        LinkConfig::latency(Duration::from_millis(1)).with_loss_per_million(100_000),
    )
    .unwrap();
    let ca = Ipv4Addr::new(192, 0, 2, 1);
    let cb = Ipv4Addr::new(192, 0, 2, 2);
    let fwd: Vec<Vec<u8>> = (0..16u16)
        .map(|i| udp((ca, 40000 + i), (cb, 53), b"q"))
        .collect();
    let back: Vec<Vec<u8>> = (0..16u16)
        .map(|i| udp((cb, 53), (ca, 40000 + i), b"r"))
        .collect();
    let mut t = 0u64;
    let mut counted = 0;
    for round in 0..30 {
        let before = allocs();
        for (f, r) in fwd.iter().zip(&back) {
            t += 3;
            net.send(a, f, Instant::from_millis(t));
            net.send(b, r, Instant::from_millis(t + 1));
        }
        net.run_until(Instant::from_millis(t + 10));
        if round >= 5 {
            counted += allocs() - before;
        }
    }
    let (delivered, lost) = net.counters();
    assert!(
        delivered > 500 && lost > 0,
        "{delivered} delivered, {lost} lost"
    );
    assert_eq!(counted, 0, "{counted} allocations after warm-up");
}

/// Endpoints (`nfsim::net::Stack`): TCP connections through their whole
/// life (handshake, data, echo, FIN, TIME-WAIT reaped after 60 s), UDP
/// request and response, a closed UDP port (port unreachable), pings;
/// after warm-up (connection slots and the connection map at their
/// working size), nothing allocates.
#[test]
fn endpoints_steady_state_allocates_nothing() {
    use nfsim::host::{HostConfig, InterfaceConfig};
    use nfsim::net::{LinkConfig, Network, Serve, TcpConnect, TcpState};
    use nfsim::time::Duration;
    let v4 = nfsim::syntax::parse_restore(
        "*filter\n-A INPUT -m conntrack --ctstate NEW,ESTABLISHED,RELATED -j ACCEPT\nCOMMIT\n",
        &nfsim::syntax::RestoreOptions::new(nfsim::model::Family::Ipv4),
    )
    .unwrap();
    let v6 = nfsim::model::Ruleset::new(nfsim::model::Family::Ipv6);
    let mk = |addr: &str| {
        let cfg = HostConfig {
            interfaces: vec![InterfaceConfig::new("eth0", addr).unwrap()],
            ..HostConfig::default()
        };
        Host::new(&cfg, &v4, &v6).unwrap()
    };
    let mut net = Network::new(5);
    let a = net.add_host(mk("192.0.2.1/24"));
    let b = net.add_host(mk("192.0.2.2/24"));
    net.connect(
        (a, "eth0"),
        (b, "eth0"),
        LinkConfig::latency(Duration::from_millis(1)),
    )
    .unwrap();
    let st = net.stack(b).unwrap();
    st.listen_tcp(80, Serve::Echo);
    st.listen_udp(53, Serve::Echo);
    let get = TcpConnect::new("192.0.2.2:80".parse().unwrap(), b"GET / HTTP/1.0\r\n\r\n");
    let dns = "192.0.2.2:53".parse().unwrap();
    let closed = "192.0.2.2:9".parse().unwrap();
    let mut counted = 0;
    let mut last = None;
    for round in 0..30u64 {
        let t0 = Instant::from_millis(round * 10_000);
        let before = allocs();
        for i in 0..16u64 {
            let at = t0 + Duration::from_millis(i * 5);
            last = Some(net.tcp_connect(a, &get, at).unwrap());
            net.udp_send(a, 5353, dns, b"query", at).unwrap();
            net.udp_send(a, 5354, closed, b"nobody", at).unwrap();
            net.ping(a, dns.ip(), 7, i as u16, b"ping", at).unwrap();
        }
        net.run_until(t0 + Duration::from_millis(9_999));
        if round >= 20 {
            counted += allocs() - before;
        }
    }
    let stats = net.stack_of(a).unwrap().stats();
    assert_eq!(stats.tcp_closed, 30 * 16);
    assert_eq!(stats.udp_replies, 30 * 16);
    assert_eq!(stats.echo_replies, 30 * 16);
    assert_eq!(
        net.tcp_info(a, last.unwrap()).unwrap().state,
        TcpState::TimeWait
    );
    assert_eq!(counted, 0, "{counted} allocations after warm-up");
}

/// `-m set` over hash, bitmap and list sets (tests, counter updates and
/// comparisons, nomatch, --return-nomatch, ports): the recorded ipset
/// traces, replayed in steady state, allocate nothing.
#[test]
fn ipset_match_steady_state_allocates_nothing() {
    for name in [
        "ipset-hash-ip",
        "ipset-hash-net-nomatch",
        "ipset-ports",
        "ipset-counters",
    ] {
        let path = format!("{}/tests/traces/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let trace = nfsim::replay::TraceFile::from_json(&text).unwrap();
        let mut host = trace.build_host().unwrap();
        let pkts: Vec<Pkt> = trace
            .packets
            .iter()
            .map(|p| Pkt {
                dev: if p.out == Some(true) {
                    None
                } else {
                    host.device_index(p.in_dev.as_deref().unwrap())
                },
                at_ms: p.at_ms,
                bytes: nfsim::replay::from_hex(&p.hex).unwrap(),
            })
            .collect();
        let (n, packets) = steady_state_allocs(&mut host, &pkts, 3, 20);
        assert!(packets > 0);
        assert_eq!(
            n, 0,
            "{name}: {n} allocations over {packets} packets after warm-up"
        );
    }
}

/// A bridge trace of tests/traces (frames with their Ethernet destination,
/// bridged, flooded, routed through the bridge, with br_netfilter's hooks
/// and LOG lines naming the ports): after warm-up, nothing allocates.
fn bridge_trace_steady_state(name: &str) {
    let path = format!("{}/tests/traces/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let trace = nfsim::replay::TraceFile::from_json(&text).unwrap();
    let mut host = trace.build_host().unwrap();
    let mac = |m: &str| -> [u8; 6] {
        let v: Vec<u8> = m
            .split(':')
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    };
    // (device, Ethernet destination, time, bytes)
    type Frame = (Option<usize>, Option<[u8; 6]>, f64, Vec<u8>);
    let pkts: Vec<Frame> = trace
        .packets
        .iter()
        .map(|p| {
            let dev = if p.out == Some(true) {
                None
            } else {
                host.device_index(p.in_dev.as_deref().unwrap())
            };
            let bytes = nfsim::replay::from_hex(&p.hex).unwrap();
            (dev, p.dst_mac.as_deref().map(mac), p.at_ms, bytes)
        })
        .collect();
    let period = pkts.last().map_or(0.0, |p| p.2) + 1000.0;
    let mut out = Outcome::default();
    let (warm, rounds) = (3, 10);
    let mut counted = 0;
    for r in 0..warm + rounds {
        let before = allocs();
        for (dev, dst, at, bytes) in &pkts {
            let now = Instant::from_millis_f64(at + f64::from(r) * period);
            match (dev, dst) {
                (Some(d), Some(m)) => {
                    host.receive_frame(*d, *m, bytes, now, &mut out, &mut NoTrace)
                }
                (Some(d), None) => host.receive(*d, bytes, now, &mut out, &mut NoTrace),
                (None, _) => host.send(bytes, now, &mut out, &mut NoTrace),
            }
        }
        if r >= warm {
            counted += allocs() - before;
        }
    }
    assert_eq!(counted, 0, "{name}: {counted} allocations after warm-up");
}

#[test]
fn bridge_traces_steady_state_allocate_nothing() {
    bridge_trace_steady_state("bridge-physdev-forward");
    bridge_trace_steady_state("bridge-dnat-reroute");
}
