//! The public explain sink: which part of each rule failed, and the steps
//! that matched are exactly the kernel's TRACE records.

mod common;

use nfsim::engine::Mismatch;
use nfsim::explain::StepResult;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome};
use nfsim::model::{Family, Ruleset};
use nfsim::replay::{from_hex, TraceFile};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::{tcp::TcpFlags, PacketBuilder};
use nfsim::{Explain, TraceCollector};

/// Over every trace: the matched steps, in order, are the TRACE records;
/// every unmatched step names a rule of the ruleset and a failed part.
#[test]
fn matched_steps_are_the_kernel_trace_records() {
    let files = common::trace_files(false);
    let (mut packets, mut misses) = (0usize, 0usize);
    let mut parts = std::collections::BTreeMap::<String, usize>::new();
    for f in &files {
        let t = TraceFile::from_json(&std::fs::read_to_string(f).unwrap()).unwrap();
        let Ok(mut host) = t.build_host() else {
            continue;
        };
        let (rs4, rs6) = t.rulesets().unwrap();
        let mut out = Outcome::default();
        let mut explain = Explain::default();
        for (i, p) in t.packets.iter().enumerate() {
            let bytes = from_hex(&p.hex).unwrap();
            let now = Instant::from_millis_f64(p.at_ms);
            explain.clear();
            if p.out == Some(true) {
                host.send(&bytes, now, &mut out, &mut explain);
            } else {
                let dev = host.device_index(p.in_dev.as_deref().unwrap()).unwrap();
                match p.frame_dst().unwrap() {
                    Some(mac) => host.receive_frame(dev, mac, &bytes, now, &mut out, &mut explain),
                    None => host.receive(dev, &bytes, now, &mut out, &mut explain),
                }
            }
            packets += 1;
            let matched: Vec<String> = explain
                .steps
                .iter()
                .filter(|s| s.result == StepResult::Matched)
                .map(|s| format!("{}:{}:{}:{}", s.table, s.chain, s.kind.as_str(), s.num))
                .collect();
            let kernel = p
                .expect
                .as_ref()
                .map(|e| e.trace.clone())
                .unwrap_or_default();
            assert_eq!(matched, kernel, "{} packet {i}", t.name);
            let rs = if bytes[0] >> 4 == 4 { &rs4 } else { &rs6 };
            for s in &explain.steps {
                if let StepResult::NoMatch(_) = s.result {
                    misses += 1;
                    let text = s.save_text(rs);
                    let part = s.failed_part(rs).unwrap();
                    assert!(
                        text.is_some() && !part.starts_with('?'),
                        "{} packet {i}: {s:?} names no rule",
                        t.name
                    );
                    *parts.entry(part).or_default() += 1;
                }
            }
        }
    }
    eprintln!("explain: {packets} packets, {misses} rules not matched, by part: {parts:?}");
    assert!(misses > 1000);
}

fn host(rules: &Ruleset) -> Host {
    let itf = |name: &str, m: u8, a: &str| InterfaceConfig {
        name: name.into(),
        mac: [2, 0, 0, 0, 0, m],
        addrs: vec![a.parse().unwrap()],
        peer_mac: [2, 0, 0, 0, 1, m],
    };
    let cfg = HostConfig {
        interfaces: vec![
            itf("eth0", 1, "192.0.2.1/24"),
            itf("eth1", 2, "198.51.100.1/24"),
        ],
        ..HostConfig::default()
    };
    Host::new(&cfg, rules, &Ruleset::new(Family::Ipv6)).unwrap()
}

#[test]
fn each_part_is_named() {
    let rules = parse_restore(
        "*filter\n:INPUT DROP [0:0]\n\
         -A INPUT -s 10.0.0.0/8\n\
         -A INPUT -d 192.0.2.99/32\n\
         -A INPUT -i eth1\n\
         -A INPUT -p udp\n\
         -A INPUT -f\n\
         -A INPUT -p tcp -m tcp --sport 1:1023\n\
         -A INPUT -p tcp -m tcp --dport 22\n\
         -A INPUT -p tcp -m tcp --tcp-flags SYN,ACK ACK\n\
         -A INPUT -m conntrack --ctstate ESTABLISHED\n\
         -A INPUT -m state --state INVALID\n\
         -A INPUT -m ttl --ttl-eq 1\n\
         -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n\
         COMMIT\n",
        &RestoreOptions::new(Family::Ipv4),
    )
    .unwrap();
    let mut h = host(&rules);
    let syn = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
        .tcp(40000, 80)
        .flags(TcpFlags::SYN)
        .build();
    let mut e = Explain::default();
    let mut out = Outcome::default();
    h.receive(1, &syn, Instant::ZERO, &mut out, &mut e);
    let got: Vec<(u32, Option<String>)> = e
        .steps
        .iter()
        .map(|s| (s.num, s.failed_part(&rules)))
        .collect();
    let want: Vec<(u32, Option<&str>)> = vec![
        (1, Some("-s")),
        (2, Some("-d")),
        (3, Some("-i")),
        (4, Some("-p")),
        (5, Some("-f")),
        (6, Some("tcp --sport")),
        (7, Some("tcp --dport")),
        (8, Some("tcp --tcp-flags")),
        (9, Some("conntrack --ctstate")),
        (10, Some("state --state")),
        (11, Some("ttl --ttl-eq")),
        (12, None),
    ];
    let got: Vec<(u32, Option<&str>)> = got.iter().map(|(n, p)| (*n, p.as_deref())).collect();
    assert_eq!(got, want, "{}", e.render(&rules));
    assert!(matches!(
        e.steps[0].result,
        StepResult::NoMatch(Mismatch::Src)
    ));
    assert_eq!(
        e.steps[6].save_text(&rules).unwrap(),
        "-A INPUT -p tcp -m tcp --dport 22"
    );
    // The same walk without explaining: the same TRACE records.
    let mut h = host(&rules);
    let mut t = TraceCollector::default();
    h.receive(1, &syn, Instant::ZERO, &mut out, &mut t);
    assert_eq!(t.records, ["filter:INPUT:rule:12"]);
}
