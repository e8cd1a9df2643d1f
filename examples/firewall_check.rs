//! A firewall check: a ruleset from iptables-restore text, three packets
//! asked about, and for each what became of it and why, rule by rule.
//!
//! ```sh
//! cargo run --example firewall_check
//! ```

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::PacketBuilder;
use nfsim::Explain;

const RULES: &str = "\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 203.0.113.0/24 -p tcp --dport 22 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
COMMIT
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let v4 = parse_restore(RULES, &RestoreOptions::new(Family::Ipv4))?;
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse()?],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        routes: vec![RouteConfig {
            dst: "0.0.0.0/0".parse()?,
            via: Some("192.0.2.254".parse()?),
            dev: None,
        }],
        ..HostConfig::default()
    };
    let mut host = Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6))?;
    let eth0 = host.device_index("eth0").ok_or("no eth0")?;
    let me = [192, 0, 2, 1].into();
    let questions = [
        (
            "ssh from the LAN",
            PacketBuilder::ipv4([192, 0, 2, 20].into(), me)
                .tcp(40000, 22)
                .flags(TcpFlags::SYN)
                .build(),
        ),
        (
            "ssh from 203.0.113.5",
            PacketBuilder::ipv4([203, 0, 113, 5].into(), me)
                .tcp(40001, 22)
                .flags(TcpFlags::SYN)
                .build(),
        ),
        (
            "http from the LAN",
            PacketBuilder::ipv4([192, 0, 2, 20].into(), me)
                .tcp(40002, 80)
                .flags(TcpFlags::SYN)
                .build(),
        ),
    ];
    let mut out = Outcome::default();
    let mut explain = Explain::default();
    for (i, (what, pkt)) in questions.iter().enumerate() {
        explain.clear();
        let now = Instant::from_millis(i as u64 * 10);
        host.receive(eth0, pkt, now, &mut out, &mut explain);
        println!("{what}: {}", out.disposition());
        print!("{}", explain.render(&v4));
        for (dev, bytes) in out.emitted() {
            println!(
                "  sent back on {}: {} bytes",
                host.device(dev).unwrap_or("?"),
                bytes.len()
            );
        }
        println!();
    }
    // The same question without explanation costs nothing extra.
    host.receive(
        eth0,
        &questions[2].1,
        Instant::from_millis(100),
        &mut out,
        &mut NoTrace,
    );
    println!("again, unexplained: {}", out.disposition());
    Ok(())
}
