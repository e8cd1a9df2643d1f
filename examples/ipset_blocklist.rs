//! A blocklist kept in an ip set: a firewall script (ipset and iptables
//! commands, as a fail2ban-style host runs them) becomes a host; packets
//! from listed and unlisted sources are asked about, a `SET` rule adds
//! every new SSH client to a timed set, and `ipset list` is printed after.
//!
//! ```sh
//! cargo run --example ipset_blocklist
//! ```

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome};
use nfsim::syntax::script::parse_script;
use nfsim::time::Instant;
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::PacketBuilder;

const SCRIPT: &str = r#"#!/bin/sh
ipset -exist create blocklist hash:net comment
ipset add blocklist 203.0.113.0/24 comment "scanner range"
ipset add blocklist 198.51.100.66
ipset -exist create ssh-clients hash:ip timeout 3600 counters
iptables -P INPUT DROP
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -m set --match-set blocklist src -j DROP
iptables -A INPUT -p tcp --dport 22 -j SET --add-set ssh-clients src --exist
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let script = parse_script(SCRIPT)?;
    if let Some(e) = script.errors().next() {
        return Err(format!("line {}: {}", e.line, e.message).into());
    }
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse()?],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        ipset: script.ipset.clone(),
        ..HostConfig::default()
    };
    let mut host = Host::new(&cfg, &script.v4, &script.v6)?;
    let eth0 = host.device_index("eth0").ok_or("no eth0")?;
    let me = [192, 0, 2, 1].into();
    let mut out = Outcome::default();
    for (i, src) in [
        [192, 0, 2, 20],
        [203, 0, 113, 9],
        [198, 51, 100, 66],
        [198, 51, 100, 67],
    ]
    .into_iter()
    .enumerate()
    {
        let pkt = PacketBuilder::ipv4(src.into(), me)
            .tcp(40000 + i as u16, 22)
            .flags(TcpFlags::SYN)
            .build();
        let now = Instant::from_millis(i as u64 * 10);
        host.receive(eth0, &pkt, now, &mut out, &mut NoTrace);
        println!(
            "ssh from {}: {}",
            std::net::Ipv4Addr::from(src),
            out.disposition()
        );
    }
    print!("{}", host.ipset_list(Instant::from_millis(100)));
    Ok(())
}
