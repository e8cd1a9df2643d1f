//! A client, a MASQUERADE gateway and a server on one virtual clock
//! (`nfsim::net`): a TCP handshake, data and FIN cross the gateway both
//! ways, then the gateway's conntrack table is printed.
//!
//! ```sh
//! cargo run --example nat_network
//! ```
//!
//! The server's answers are written here by hand (endpoints that answer
//! on their own are not part of nfsim yet).

use std::net::Ipv4Addr;

use nfsim::host::{Host, HostConfig, InterfaceConfig, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{LinkConfig, Network};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::{Duration, Instant};
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::PacketBuilder;

fn host(addrs: &[(&str, &str)], gw: Option<&str>, rules: &str, fwd: bool) -> Host {
    let cfg = HostConfig {
        interfaces: addrs
            .iter()
            .enumerate()
            .map(|(i, (name, a))| InterfaceConfig {
                name: (*name).into(),
                mac: [2, 0, 0, 0, 0, i as u8 + 1],
                addrs: vec![a.parse().expect("address")],
                peer_mac: [2, 0, 0, 0, 1, i as u8 + 1],
            })
            .collect(),
        routes: gw
            .map(|g| RouteConfig {
                dst: "0.0.0.0/0".parse().expect("prefix"),
                via: Some(g.parse().expect("gateway")),
                dev: None,
            })
            .into_iter()
            .collect(),
        sysctls: if fwd {
            vec![("net.ipv4.ip_forward".into(), 1)]
        } else {
            vec![]
        },
        ..HostConfig::default()
    };
    let v4 = parse_restore(rules, &RestoreOptions::new(Family::Ipv4)).expect("rules");
    Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).expect("host")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut net = Network::new(1);
    let client = net.add_host(host(
        &[("eth0", "192.0.2.2/24")],
        Some("192.0.2.1"),
        "*filter\nCOMMIT\n",
        false,
    ));
    let gateway = net.add_host(host(
        &[("eth0", "192.0.2.1/24"), ("eth1", "198.51.100.1/24")],
        None,
        "*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n\
         *filter\n:FORWARD DROP [0:0]\n-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         -A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
        true,
    ));
    let server = net.add_host(host(
        &[("eth0", "198.51.100.2/24")],
        Some("198.51.100.1"),
        "*filter\nCOMMIT\n",
        false,
    ));
    let ms = Duration::from_millis(5);
    net.connect((client, "eth0"), (gateway, "eth0"), LinkConfig::latency(ms))?;
    let wan = net.connect((gateway, "eth1"), (server, "eth0"), LinkConfig::latency(ms))?;
    let tap = net.tap(wan);

    let (c, s, g) = (
        Ipv4Addr::new(192, 0, 2, 2),
        Ipv4Addr::new(198, 51, 100, 2),
        Ipv4Addr::new(198, 51, 100, 1),
    );
    let seg = |src, dst, sp, dp, seq, ack, flags, data: &[u8]| {
        PacketBuilder::ipv4(src, dst)
            .tcp(sp, dp)
            .seq(seq)
            .ack(ack)
            .flags(flags)
            .payload(data)
            .build()
    };
    let (syn, ack, fin, psh) = (
        TcpFlags::SYN,
        TcpFlags::ACK,
        TcpFlags::FIN | TcpFlags::ACK,
        TcpFlags::PSH | TcpFlags::ACK,
    );
    let mut t = 0;
    let mut at = |step: u64| {
        t += step;
        Instant::from_millis(t)
    };
    net.send(client, &seg(c, s, 40000, 80, 1000, 0, syn, b""), at(0));
    net.run_until(at(20));
    // The port the gateway chose, as the server saw it.
    let port = u16::from_be_bytes([
        net.tap_records(tap)[0].bytes[20],
        net.tap_records(tap)[0].bytes[21],
    ]);
    println!("the server sees the SYN from {g}:{port}");
    net.send(
        server,
        &seg(s, g, 80, port, 5000, 1001, syn | ack, b""),
        at(0),
    );
    net.run_until(at(20));
    net.send(client, &seg(c, s, 40000, 80, 1001, 5001, ack, b""), at(0));
    net.send(
        client,
        &seg(c, s, 40000, 80, 1001, 5001, psh, b"GET / HTTP/1.0\r\n\r\n"),
        at(1),
    );
    net.run_until(at(20));
    net.send(
        server,
        &seg(s, g, 80, port, 5001, 1019, psh, b"HTTP/1.0 200 OK\r\n\r\n"),
        at(0),
    );
    net.send(server, &seg(s, g, 80, port, 5020, 1019, fin, b""), at(1));
    net.run_until(at(20));
    net.send(client, &seg(c, s, 40000, 80, 1019, 5021, fin, b""), at(0));
    net.run_until(at(20));
    net.send(server, &seg(s, g, 80, port, 5021, 1020, ack, b""), at(0));
    net.run_until(at(20));

    for r in net.tap_records(tap) {
        println!(
            "{:>5} ms wan: {} bytes from host {} to host {}",
            r.at.as_nanos() / 1_000_000,
            r.bytes.len(),
            r.from.0 .0,
            r.to.0 .0
        );
    }
    let gw = net.host(gateway).ok_or("no gateway")?;
    println!(
        "gateway conntrack table at {} ms:",
        net.now().as_nanos() / 1_000_000
    );
    for h in gw.conntrack().entries(net.now()) {
        if let Some(e) = gw.conntrack().proc_entry(h) {
            println!("  {e}");
        }
    }
    let (delivered, lost) = net.counters();
    println!("{delivered} packets delivered over links, {lost} lost");
    Ok(())
}
