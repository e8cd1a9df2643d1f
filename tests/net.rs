//! The network layer: a client, a MASQUERADE gateway and a server on one
//! virtual clock; a TCP handshake crosses the gateway both ways, the
//! gateway's conntrack entry shows the translation; seeded loss replays
//! identically.

use std::net::Ipv4Addr;

use nfsim::host::{Host, HostConfig, InterfaceConfig, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{HostId, LinkConfig, Network};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::{Duration, Instant};
use nfsim::wire::{tcp::TcpFlags, PacketBuilder};

fn itf(name: &str, addr: &str, mac: u8) -> InterfaceConfig {
    InterfaceConfig {
        name: name.into(),
        mac: [2, 0, 0, 0, 0, mac],
        addrs: vec![addr.parse().unwrap()],
        peer_mac: [2, 0, 0, 0, 1, mac],
    }
}

fn host(itfs: Vec<InterfaceConfig>, gw: Option<&str>, rules: &str, forward: bool) -> Host {
    let cfg = HostConfig {
        interfaces: itfs,
        routes: gw
            .map(|g| RouteConfig {
                dst: "0.0.0.0/0".parse().unwrap(),
                via: Some(g.parse().unwrap()),
                dev: None,
            })
            .into_iter()
            .collect(),
        sysctls: if forward {
            vec![("net.ipv4.ip_forward".into(), 1)]
        } else {
            vec![]
        },
        ..HostConfig::default()
    };
    let v4 = parse_restore(rules, &RestoreOptions::new(Family::Ipv4)).unwrap();
    Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).unwrap()
}

/// A TCP segment with correct checksums (id 1, DF, window 64240).
fn tcp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), seq: u32, ack: u32, flags: u8) -> Vec<u8> {
    PacketBuilder::ipv4(src.0, dst.0)
        .ident(1)
        .dont_frag()
        .tcp(src.1, dst.1)
        .seq(seq)
        .ack(ack)
        .flags(TcpFlags::from_bits_retain(flags))
        .window(0xfaf0)
        .build()
}

struct Topo {
    net: Network,
    client: HostId,
    gateway: HostId,
    server: HostId,
}

fn topo(seed: u64, loss_ppm: u32) -> Topo {
    let mut net = Network::new(seed);
    let client = net.add_host(host(
        vec![itf("eth0", "192.0.2.2/24", 1)],
        Some("192.0.2.1"),
        "*filter\nCOMMIT\n",
        false,
    ));
    let gateway = net.add_host(host(
        vec![
            itf("eth0", "192.0.2.1/24", 2),
            itf("eth1", "198.51.100.1/24", 3),
        ],
        None,
        "*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n\
         -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         -A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
        true,
    ));
    let server = net.add_host(host(
        vec![itf("eth0", "198.51.100.2/24", 4)],
        Some("198.51.100.1"),
        "*filter\nCOMMIT\n",
        false,
    ));
    let ms = Duration::from_millis(2);
    net.connect((client, "eth0"), (gateway, "eth0"), LinkConfig::latency(ms))
        .unwrap();
    net.connect(
        (gateway, "eth1"),
        (server, "eth0"),
        LinkConfig::latency(ms).with_loss_per_million(loss_ppm),
    )
    .unwrap();
    Topo {
        net,
        client,
        gateway,
        server,
    }
}

#[test]
fn tcp_handshake_through_a_masquerading_gateway() {
    let Topo {
        mut net,
        client,
        gateway,
        server,
    } = topo(1, 0);
    let c = Ipv4Addr::new(192, 0, 2, 2);
    let s = Ipv4Addr::new(198, 51, 100, 2);
    let g = Ipv4Addr::new(198, 51, 100, 1);
    let wan = net.tap(nfsim::net::LinkId(1));
    net.send(
        client,
        &tcp((c, 40000), (s, 80), 1000, 0, 0x02),
        Instant::ZERO,
    );
    net.run_until(Instant::from_millis(10));
    // The SYN reached the server from the gateway's address, 4 ms later.
    let seen = net.tap_records(wan);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].at, Instant::from_millis(4));
    assert_eq!(&seen[0].bytes[12..16], &g.octets());
    let port = u16::from_be_bytes([seen[0].bytes[20], seen[0].bytes[21]]);
    assert!(net.last_delivery(server).is_some_and(|d| d.local));
    // The server answers; the gateway translates back to the client.
    net.send(
        server,
        &tcp((s, 80), (g, port), 5000, 1001, 0x12),
        Instant::from_millis(10),
    );
    net.run_until(Instant::from_millis(20));
    let d = net
        .last_delivery(client)
        .expect("SYN-ACK reached the client");
    assert!(d.local);
    assert_eq!(d.at, Instant::from_millis(14));
    net.send(
        client,
        &tcp((c, 40000), (s, 80), 1001, 5001, 0x10),
        Instant::from_millis(20),
    );
    net.run_until(Instant::from_millis(30));
    assert!(net.last_delivery(server).is_some_and(|d| d.local));
    let gw = net.host(gateway).unwrap();
    let now = net.now();
    let entries: Vec<String> = gw
        .conntrack()
        .entries(now)
        .filter_map(|h| gw.conntrack().proc_entry(h).map(|e| e.to_string()))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0].contains("ESTABLISHED src=192.0.2.2 dst=198.51.100.2 sport=40000 dport=80")
            && entries[0].contains(&format!("dst=198.51.100.1 sport=80 dport={port}")),
        "{}",
        entries[0]
    );
    assert_eq!(net.counters(), (6, 0));
}

#[test]
fn seeded_loss_is_deterministic() {
    let run = |seed| {
        let mut t = topo(seed, 300_000);
        let wan = t.net.tap(nfsim::net::LinkId(1));
        let c = Ipv4Addr::new(192, 0, 2, 2);
        let s = Ipv4Addr::new(198, 51, 100, 2);
        for i in 0..200u16 {
            let at = Instant::from_millis(u64::from(i));
            t.net
                .send(t.client, &tcp((c, 40000 + i), (s, 80), 1, 0, 0x02), at);
        }
        t.net.run_until(Instant::from_millis(1000));
        let lost: Vec<bool> = t.net.tap_records(wan).iter().map(|r| r.lost).collect();
        (lost, t.net.counters())
    };
    let (a, ca) = run(42);
    let (b, cb) = run(42);
    assert_eq!(a, b);
    assert_eq!(ca, cb);
    let n = a.iter().filter(|l| **l).count();
    // 30 % of 200, within a generous band.
    assert!((30..=90).contains(&n), "{n} lost");
    let (c, _) = run(43);
    assert_ne!(a, c);
}

#[test]
fn wiring_errors_are_typed() {
    let mut t = topo(1, 0);
    let e = t
        .net
        .connect(
            (t.client, "eth0"),
            (t.server, "eth0"),
            LinkConfig::default(),
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "host 0: eth0 is already linked");
    let e = t
        .net
        .connect(
            (t.client, "eth9"),
            (t.server, "eth0"),
            LinkConfig::default(),
        )
        .unwrap_err();
    assert_eq!(e.to_string(), "host 0 has no device eth9");
    let e = t
        .net
        .connect((t.client, "lo"), (t.server, "eth0"), LinkConfig::default())
        .unwrap_err();
    assert_eq!(e.to_string(), "host 0: lo cannot be linked");
}
