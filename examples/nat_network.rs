//! A client, a MASQUERADE gateway and a server on one virtual clock
//! (`nfsim::net`): a TCP connection (handshake, data, echo, FIN both ways)
//! and a UDP exchange between endpoints that answer on their own
//! (`nfsim::net::Stack`), then the gateway's conntrack table.
//!
//! ```sh
//! cargo run --example nat_network
//! ```

use nfsim::host::{Host, HostConfig, InterfaceConfig, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{LinkConfig, Network, Serve, TcpConnect};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::{Duration, Instant};

/// A host: interfaces `(name, address)`, a default route, iptables-restore rules.
fn host(itfs: &[(&str, &str)], gw: Option<&str>, rules: &str) -> Host {
    let cfg = HostConfig {
        interfaces: itfs
            .iter()
            .map(|(n, a)| InterfaceConfig::new(n, a).expect("interface"))
            .collect(),
        routes: gw
            .map(|g| RouteConfig {
                dst: "0.0.0.0/0".parse().expect("prefix"),
                via: Some(g.parse().expect("gateway")),
                dev: None,
            })
            .into_iter()
            .collect(),
        sysctls: vec![("net.ipv4.ip_forward".into(), i64::from(gw.is_none()))],
        ..HostConfig::default()
    };
    let v4 = parse_restore(rules, &RestoreOptions::new(Family::Ipv4)).expect("rules");
    Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).expect("host")
}

const GATEWAY_RULES: &str = "*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n\
    *filter\n:FORWARD DROP [0:0]\n-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
    -A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The user code proper: the 25 lines from here to the table
    // printed (no reply is built by hand: the server's stack answers).
    let mut net = Network::new(1);
    let c = net.add_host(host(&[("eth0", "192.0.2.2/24")], Some("192.0.2.1"), ""));
    let itfs = [("eth0", "192.0.2.1/24"), ("eth1", "198.51.100.1/24")];
    let gw = net.add_host(host(&itfs, None, GATEWAY_RULES));
    let srv = [("eth0", "198.51.100.2/24")];
    let s = net.add_host(host(&srv, Some("198.51.100.1"), ""));
    let link = LinkConfig::latency(Duration::from_millis(5));
    net.connect((c, "eth0"), (gw, "eth0"), link)?;
    let wan = net.connect((gw, "eth1"), (s, "eth0"), link)?;
    let tap = net.tap(wan);
    let server = net.stack(s)?;
    server.listen_tcp(80, Serve::Echo);
    server.listen_udp(53, Serve::Echo);
    let get = TcpConnect::new("198.51.100.2:80".parse()?, b"GET / HTTP/1.0\r\n\r\n");
    let conn = net.tcp_connect(c, &get, Instant::ZERO)?;
    let dns = "198.51.100.2:53".parse()?;
    net.udp_send(c, 5353, dns, b"query", Instant::from_millis(1))?;
    net.run_until(Instant::from_millis(200));
    let info = net.tcp_info(c, conn).ok_or("no connection")?;
    println!("client connection: {info:?}");
    let g = net.host(gw).ok_or("no gateway")?;
    println!("gateway conntrack table:");
    for h in g.conntrack().entries(net.now()) {
        println!("  {}", g.conntrack().proc_entry(h).ok_or("entry")?);
    }

    // What crossed the gateway's WAN side.
    for r in net.tap_records(tap) {
        let p = &r.bytes;
        let what = match p[9] {
            6 => format!(
                "TCP flags {:#04x}, {} bytes of data",
                p[33],
                p.len() - 20 - usize::from(p[32] >> 4) * 4
            ),
            17 => format!("UDP {} bytes", p.len() - 28),
            n => format!("protocol {n}"),
        };
        println!(
            "{:>4} ms host {} -> host {}: {what}",
            r.at.as_nanos() / 1_000_000,
            r.from.0 .0,
            r.to.0 .0
        );
    }
    println!("client: {:?}", net.stack_of(c).map(|s| s.stats()));
    let (delivered, lost) = net.counters();
    println!("{delivered} packets delivered over links, {lost} lost");
    assert_eq!(info.state, nfsim::net::TcpState::TimeWait);
    assert_eq!(info.bytes_in, get.payload.len() as u64);
    Ok(())
}
