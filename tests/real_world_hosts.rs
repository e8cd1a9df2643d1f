//! Every real-world dump nfsim reads (`../shared/corpus/real-world/`: the
//! ones iptables-legacy-restore accepts, as `tests/real_world.rs` checks
//! byte for byte) loads into a host and replays a packet, as a user with
//! that ruleset would try first: `Host::new` with the dump's rules (its
//! nfacct objects declared, as on the host it came from), then a TCP SYN
//! received on `eth0` and one sent by the host itself.
//!
//! A dump whose rules nfsim reads but cannot evaluate fails `Host::new`
//! with an explicit error (never a rule that quietly matches). Those dumps
//! are listed, with the error, in `tests/real_world_hosts_xfail.txt`: a
//! reviewed list that must shrink. The test fails when a dump not listed
//! does not load, and when a listed one loads (take it off the list).

/// Says a test skipped its work where plain `cargo test` shows it.
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::path::Path;

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{ByteStr, Family, Ruleset};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::tcp::TcpFlags;
use nfsim::wire::PacketBuilder;

#[path = "common/oracle.rs"]
#[allow(dead_code)] // oracle_available: this test needs no oracle
mod oracle;
use oracle::{corpus, files, nfacct_names};

/// A host with `eth0` (192.0.2.1/24, 2001:db8::1/64), a default route
/// through it for both families, and the dump's nfacct objects.
fn config(nfacct: &[ByteStr]) -> HostConfig {
    HostConfig {
        nfacct: nfacct.to_vec(),
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec![
                "192.0.2.1/24".parse().expect("address"),
                "2001:db8::1/64".parse().expect("address"),
            ],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        routes: vec![
            RouteConfig {
                dst: "0.0.0.0/0".parse().expect("route"),
                via: Some("192.0.2.254".parse().expect("gateway")),
                dev: None,
            },
            RouteConfig {
                dst: "::/0".parse().expect("route"),
                via: Some("2001:db8::fe".parse().expect("gateway")),
                dev: None,
            },
        ],
        ..HostConfig::default()
    }
}

/// Loads `rules` into a host and sends one packet in and one out.
fn load_and_replay(family: Family, rules: &Ruleset, nfacct: &[ByteStr]) -> Result<(), String> {
    let empty = Ruleset::new(match family {
        Family::Ipv4 => Family::Ipv6,
        Family::Ipv6 => Family::Ipv4,
    });
    let (v4, v6) = match family {
        Family::Ipv4 => (rules, &empty),
        Family::Ipv6 => (&empty, rules),
    };
    let mut host = Host::new(&config(nfacct), v4, v6).map_err(|e| e.to_string())?;
    let eth0 = host.device_index("eth0").ok_or("no eth0")?;
    let (syn_in, syn_out) = match family {
        Family::Ipv4 => {
            let (peer, me, far) = ([198, 51, 100, 7], [192, 0, 2, 1], [203, 0, 113, 9]);
            (
                PacketBuilder::ipv4(peer.into(), me.into())
                    .tcp(40000, 22)
                    .flags(TcpFlags::SYN)
                    .build(),
                PacketBuilder::ipv4(me.into(), far.into())
                    .tcp(40001, 443)
                    .flags(TcpFlags::SYN)
                    .build(),
            )
        }
        Family::Ipv6 => {
            let peer: std::net::Ipv6Addr = "2001:db8:1::7".parse().expect("address");
            let me: std::net::Ipv6Addr = "2001:db8::1".parse().expect("address");
            let far: std::net::Ipv6Addr = "2001:db8:2::9".parse().expect("address");
            (
                PacketBuilder::ipv6(peer, me)
                    .tcp(40000, 22)
                    .flags(TcpFlags::SYN)
                    .build(),
                PacketBuilder::ipv6(me, far)
                    .tcp(40001, 443)
                    .flags(TcpFlags::SYN)
                    .build(),
            )
        }
    };
    let mut out = Outcome::default();
    host.receive(
        eth0,
        &syn_in,
        Instant::from_millis(0),
        &mut out,
        &mut NoTrace,
    );
    host.send(&syn_out, Instant::from_millis(1), &mut out, &mut NoTrace);
    Ok(())
}

#[test]
fn real_world_dumps_load_into_a_host_and_replay() {
    let Some(dir) = corpus() else {
        skip_note!("SKIPPED: ../shared/corpus not present");
        return;
    };
    let mut paths = Vec::new();
    files(&dir.join("real-world"), &mut paths);
    paths.retain(|p| {
        let s = p.to_string_lossy();
        s.ends_with(".rules") || s.ends_with(".rules6")
    });
    let xfail_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_world_hosts_xfail.txt"),
    )
    .unwrap_or_default();
    let xfail: Vec<&str> = xfail_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let (mut read, mut loaded) = (0, 0);
    let mut unexpected = Vec::new();
    for p in &paths {
        let name = p.strip_prefix(&dir).unwrap_or(p).display().to_string();
        let family = if name.ends_with(".rules6") || name.contains("ip6tables") {
            Family::Ipv6
        } else {
            Family::Ipv4
        };
        let bytes = std::fs::read(p).unwrap_or_default();
        let objects: Vec<ByteStr> = nfacct_names(&bytes)
            .iter()
            .map(|n| n.as_str().into())
            .collect();
        let Ok(rs) = parse_restore(&bytes, &RestoreOptions::new(family).with_nfacct(&objects))
        else {
            // iptables rejects it too (tests/real_world.rs checks that).
            continue;
        };
        read += 1;
        let listed = xfail.contains(&name.as_str());
        match load_and_replay(family, &rs, &objects) {
            Ok(()) => {
                loaded += 1;
                if listed {
                    unexpected.push(format!("{name}: loads now, take it off the list"));
                }
            }
            Err(e) if listed => eprintln!("expected failure {name}: {e}"),
            Err(e) => unexpected.push(format!("{name}: {e}")),
        }
    }
    println!(
        "real-world hosts: {loaded}/{read} dumps nfsim reads load into a host and replay a packet"
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
