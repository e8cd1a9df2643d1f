//! Scale of the network layer: 34 sites of three hosts (client, MASQUERADE
//! gateway, server), 102 hosts on one clock, and N UDP flows from the
//! clients through their gateways (100,000 by default with `--release`,
//! 10,000 in a debug build). Prints packets per second and memory.
//!
//! ```sh
//! cargo run --release --example net_scale            # 100,000 flows
//! cargo run --release --example net_scale -- 20000   # another count
//! ```

use std::net::Ipv4Addr;

use nfsim::host::{Host, HostConfig, InterfaceConfig, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{HostId, LinkConfig, Network};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::{Duration, Instant};
use nfsim::wire::PacketBuilder;

const SITES: usize = 34;

fn host(itfs: Vec<InterfaceConfig>, gw: Option<Ipv4Addr>, rules: &str, fwd: bool) -> Host {
    let cfg = HostConfig {
        interfaces: itfs,
        routes: gw
            .map(|g| RouteConfig {
                dst: "0.0.0.0/0".parse().expect("prefix"),
                via: Some(g.into()),
                dev: None,
            })
            .into_iter()
            .collect(),
        sysctls: if fwd {
            vec![
                ("net.ipv4.ip_forward".into(), 1),
                ("net.netfilter.nf_conntrack_max".into(), 1 << 20),
            ]
        } else {
            vec![]
        },
        ..HostConfig::default()
    };
    let v4 = parse_restore(rules, &RestoreOptions::new(Family::Ipv4)).expect("rules");
    Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).expect("host")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flows: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None if cfg!(debug_assertions) => 10_000,
        None => 100_000,
    };
    let mut net = Network::new(7);
    let mut clients: Vec<(HostId, Ipv4Addr, Ipv4Addr)> = Vec::new();
    let mut gateways = Vec::new();
    let built = std::time::Instant::now();
    for s in 0..SITES {
        let s8 = s as u8;
        let lan = |h: u8| Ipv4Addr::new(10, s8, 0, h);
        let wan = |h: u8| Ipv4Addr::new(10, 100 + s8, 0, h);
        let c = net.add_host(host(
            vec![InterfaceConfig::new("eth0", &format!("{}/24", lan(2)))?],
            Some(lan(1)),
            "*filter\nCOMMIT\n",
            false,
        ));
        let g = net.add_host(host(
            vec![
                InterfaceConfig::new("eth0", &format!("{}/24", lan(1)))?,
                InterfaceConfig::new("eth1", &format!("{}/24", wan(1)))?,
            ],
            None,
            "*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n\
             -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
             -A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
            true,
        ));
        let srv = net.add_host(host(
            vec![InterfaceConfig::new("eth0", &format!("{}/24", wan(2)))?],
            Some(wan(1)),
            "*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n",
            false,
        ));
        let ms = Duration::from_millis(1);
        net.connect((c, "eth0"), (g, "eth0"), LinkConfig::latency(ms))?;
        net.connect((g, "eth1"), (srv, "eth0"), LinkConfig::latency(ms))?;
        clients.push((c, lan(2), wan(2)));
        gateways.push(g);
    }
    let hosts = SITES * 3;
    println!(
        "{hosts} hosts built in {:.2} s",
        built.elapsed().as_secs_f64()
    );
    // Flows spread over the clients, 1 ms apart per client: UDP from a
    // distinct source port to the server, each NATed by its gateway.
    let pkts: Vec<Vec<u8>> = (0..flows)
        .map(|i| {
            let (_, c, s) = clients[i % SITES];
            PacketBuilder::ipv4(c, s)
                .udp(1024 + (i / SITES) as u16, 53)
                .payload(b"query")
                .build()
        })
        .collect();
    let start = std::time::Instant::now();
    let mut events = 0;
    for (i, p) in pkts.iter().enumerate() {
        let (c, _, _) = clients[i % SITES];
        net.send(c, p, Instant::from_millis((i / SITES) as u64));
        if i % 4096 == 4095 {
            events += net.run_until(Instant::from_millis((i / SITES) as u64));
        }
    }
    events += net.run(usize::MAX);
    let secs = start.elapsed().as_secs_f64();
    let (delivered, lost) = net.counters();
    let entries: usize = gateways
        .iter()
        .filter_map(|g| net.host(*g))
        .map(|h| h.conntrack().count() as usize)
        .sum();
    let ct_bytes: usize = (0..hosts as u32)
        .filter_map(|h| net.host(HostId(h)))
        .map(|h| h.conntrack().heap_bytes())
        .sum();
    println!(
        "{flows} flows: {events} host events ({delivered} link deliveries, {lost} lost) in {secs:.2} s = \
         {:.0} events/s; {entries} conntrack entries held by the gateways",
        events as f64 / secs
    );
    println!(
        "conntrack memory: {:.1} MiB in all, {:.0} KiB per host",
        ct_bytes as f64 / (1 << 20) as f64,
        ct_bytes as f64 / 1024.0 / hosts as f64
    );
    Ok(())
}
