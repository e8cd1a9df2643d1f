//! Scale of the network layer: 34 sites of three hosts (client, MASQUERADE
//! gateway, server), 102 hosts on one clock, and N UDP flows from the
//! clients through their gateways to the servers' echo sockets and back
//! (100,000 by default with `--release`, 10,000 in a debug build). The
//! three rulesets are compiled once and shared by all 102 hosts
//! (`CompiledRules`). Prints packets per second and memory; with a second
//! argument S, runs S independent simulations (seeds 0..S) on the
//! machine's threads (`nfsim::net::run_seeds`); with a third argument
//! `tcp`, each flow is a TCP connection instead (handshake, a request
//! echoed by the server's listener, FIN both ways), NATed like the rest.
//!
//! ```sh
//! cargo run --release --example net_scale              # 100,000 flows
//! cargo run --release --example net_scale -- 20000     # another count
//! cargo run --release --example net_scale -- 20000 4   # 4 simulations in parallel
//! cargo run --release --example net_scale -- 100000 1 tcp  # TCP connections
//! ```

use std::net::Ipv4Addr;

use nfsim::host::{CompiledRules, Host, HostConfig, InterfaceConfig, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{HostId, LinkConfig, Network, Serve};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::{Duration, Instant};

const SITES: usize = 34;

fn rules(text: &str) -> CompiledRules {
    let v4 = parse_restore(text, &RestoreOptions::new(Family::Ipv4)).expect("rules");
    CompiledRules::new(&v4, &Ruleset::new(Family::Ipv6)).expect("rules")
}

fn host(
    itfs: Vec<InterfaceConfig>,
    gw: Option<Ipv4Addr>,
    rules: &CompiledRules,
    fwd: bool,
) -> Host {
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
    Host::with_rules(&cfg, rules).expect("host")
}

struct Run {
    events: usize,
    delivered: u64,
    lost: u64,
    entries: usize,
    ct_bytes: usize,
    replies: u64,
    secs: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flows: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None if cfg!(debug_assertions) => 10_000,
        None => 100_000,
    };
    let sims: u64 = std::env::args().nth(2).map_or(Ok(1), |s| s.parse())?;
    let tcp = std::env::args().nth(3).is_some_and(|a| a == "tcp");
    let built = std::time::Instant::now();
    let client = rules("*filter\nCOMMIT\n");
    let gateway = rules(
        "*nat\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n\
         -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         -A FORWARD -i eth0 -o eth1 -j ACCEPT\nCOMMIT\n",
    );
    let server = rules("*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n");
    println!(
        "3 rulesets compiled once in {:.3} s, shared by {} hosts",
        built.elapsed().as_secs_f64(),
        SITES * 3
    );
    if sims > 1 {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let start = std::time::Instant::now();
        let runs = nfsim::net::run_seeds(0..sims, threads, |seed| {
            simulate(seed, flows, tcp, [&client, &gateway, &server]).expect("simulation")
        });
        let secs = start.elapsed().as_secs_f64();
        let events: usize = runs.iter().map(|r| r.events).sum();
        println!(
            "{sims} simulations of {flows} flows on {threads} threads: {events} host events in {secs:.2} s = {:.0} events/s",
            events as f64 / secs
        );
        return Ok(());
    }
    let r = simulate(7, flows, tcp, [&client, &gateway, &server])?;
    let hosts = SITES * 3;
    println!(
        "{flows} flows: {} host events ({} link deliveries, {} lost) in {:.2} s = \
         {:.0} events/s; {} conntrack entries held by the gateways; {} flows answered and closed at the clients",
        r.events,
        r.delivered,
        r.lost,
        r.secs,
        r.events as f64 / r.secs,
        r.entries,
        r.replies
    );
    println!(
        "conntrack memory: {:.1} MiB in all, {:.0} KiB per host",
        r.ct_bytes as f64 / (1 << 20) as f64,
        r.ct_bytes as f64 / 1024.0 / hosts as f64
    );
    Ok(())
}

fn simulate(
    seed: u64,
    flows: usize,
    tcp: bool,
    [crules, grules, srules]: [&CompiledRules; 3],
) -> Result<Run, Box<dyn std::error::Error>> {
    let mut net = Network::new(seed);
    let mut clients: Vec<(HostId, Ipv4Addr, Ipv4Addr)> = Vec::new();
    let mut gateways = Vec::new();
    for s in 0..SITES {
        let s8 = s as u8;
        let lan = |h: u8| Ipv4Addr::new(10, s8, 0, h);
        let wan = |h: u8| Ipv4Addr::new(10, 100 + s8, 0, h);
        let c = net.add_host(host(
            vec![InterfaceConfig::new("eth0", &format!("{}/24", lan(2)))?],
            Some(lan(1)),
            crules,
            false,
        ));
        let g = net.add_host(host(
            vec![
                InterfaceConfig::new("eth0", &format!("{}/24", lan(1)))?,
                InterfaceConfig::new("eth1", &format!("{}/24", wan(1)))?,
            ],
            None,
            grules,
            true,
        ));
        let srv = net.add_host(host(
            vec![InterfaceConfig::new("eth0", &format!("{}/24", wan(2)))?],
            Some(wan(1)),
            srules,
            false,
        ));
        net.stack(srv)?
            .listen_udp(53, Serve::Echo)
            .listen_tcp(80, Serve::Echo);
        let ms = Duration::from_millis(1);
        net.connect((c, "eth0"), (g, "eth0"), LinkConfig::latency(ms))?;
        net.connect((g, "eth1"), (srv, "eth0"), LinkConfig::latency(ms))?;
        clients.push((c, lan(2), wan(2)));
        gateways.push(g);
    }
    let hosts = SITES * 3;
    // Flows spread over the clients, 1 ms apart per client: UDP from a
    // distinct source port to the server's echo socket, each NATed by its
    // gateway; the clients' sockets count the answers.
    let get = nfsim::net::TcpConnect::new(([0, 0, 0, 0], 80).into(), b"GET /");
    let start = std::time::Instant::now();
    let mut events = 0;
    for i in 0..flows {
        let (c, _, s) = clients[i % SITES];
        let at = Instant::from_millis((i / SITES) as u64);
        let dst = std::net::SocketAddr::new(s.into(), 53);
        let sport = 1024 + (i / SITES) as u16;
        if tcp {
            let mut get = get.clone();
            get.dst = std::net::SocketAddr::new(s.into(), 80);
            get.src_port = Some(sport);
            net.tcp_connect(c, &get, at)?;
        } else {
            net.udp_send(c, sport, dst, b"query", at)?;
        }
        if i % 4096 == 4095 {
            events += net.run_until(at);
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
    let replies = clients
        .iter()
        .filter_map(|(c, _, _)| net.stack_of(*c))
        .map(|s| s.stats().udp_replies + s.stats().tcp_closed)
        .sum::<u64>();
    Ok(Run {
        events,
        delivered,
        lost,
        entries,
        ct_bytes,
        replies,
        secs,
    })
}
