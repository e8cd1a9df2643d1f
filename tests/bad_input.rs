//! Bad input ends in a clear error naming where it is, never a panic:
//! regressions of issue 8 (host settings, trace files, closed pipes, time).

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, HostError, InterfaceConfig, Outcome, Sysctl};
use nfsim::model::{Family, Ruleset};
use nfsim::replay::TraceFile;
use nfsim::time::Instant;
use nfsim::wire::PacketBuilder;

fn eth0() -> InterfaceConfig {
    InterfaceConfig {
        name: "eth0".into(),
        mac: [2, 0, 0, 0, 0, 1],
        addrs: vec!["192.0.2.1/24".parse().unwrap()],
        peer_mac: [2, 0, 0, 0, 0, 2],
    }
}

fn host_with(sysctls: &[(&str, i64)]) -> Result<Host, HostError> {
    let cfg = HostConfig {
        interfaces: vec![eth0()],
        sysctls: sysctls.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..HostConfig::default()
    };
    Host::new(
        &cfg,
        &Ruleset::new(Family::Ipv4),
        &Ruleset::new(Family::Ipv6),
    )
}

fn sysctl_error(name: &str, v: i64) -> String {
    match host_with(&[(name, v)]) {
        Err(e @ HostError::Sysctl { .. }) => e.to_string(),
        Err(e) => panic!("{name}: not a sysctl error: {e}"),
        Ok(_) => panic!("{name}={v} accepted"),
    }
}

#[test]
fn sysctl_names_whose_prefix_and_suffix_overlap_are_errors() {
    // These panicked with "begin > end" before.
    for name in [
        "net.ipv4.conf.rp_filter",
        "net.ipv4.conf.send_redirects",
        "net.ipv4.conf.route_localnet",
        "net.ipv4.conf.",
        "net.ipv4.conf",
        "net.ipv4.conf..rp_filter",
        "net.ipv4.conf.a.b.rp_filter",
        "",
        ".",
        "/",
        "net.ipv4.conf.é.rp_filter",
    ] {
        let e = sysctl_error(name, 1);
        assert!(e.starts_with(&format!("sysctl {name}: ")), "{e}");
    }
}

#[test]
fn unknown_or_misspelt_sysctls_are_errors_naming_them() {
    for (name, want) in [
        ("net.ipv4.ip_forwarding", "not modelled by nfsim"),
        (
            "net.ipv4.conf.eth1.rp_filter",
            "no device eth1 on this host",
        ),
        (
            "net.ipv4.conf.eth1.route_localnet",
            "no device eth1 on this host",
        ),
        (
            "net.ipv4.conf.eth1.log_martians",
            "no device eth1 on this host",
        ),
        ("net.ipv4.conf.all.rp_filtre", "not modelled by nfsim"),
        ("net.ipv6.conf.eth0.forwarding", "not modelled by nfsim"),
        (
            "net.netfilter.nf_conntrack_tcp_timeout_establised",
            "unknown conntrack sysctl",
        ),
    ] {
        let e = sysctl_error(name, 1);
        assert_eq!(e, format!("sysctl {name}: {want}"));
    }
    assert_eq!(
        sysctl_error("net.ipv4.conf.all.rp_filter", 3),
        "sysctl net.ipv4.conf.all.rp_filter: 3: not 0, 1 or 2"
    );
}

#[test]
fn a_typed_sysctl_refuses_a_misspelt_name_when_it_is_made() {
    // The name errors of Host::new, at construction, with the same text;
    // a device that does not exist is only known to Host::new.
    for (name, want) in [
        ("net.ipv4.ip_forwarding", Some("not modelled by nfsim")),
        ("net.ipv4.conf.all.rp_filtre", Some("not modelled by nfsim")),
        ("net.ipv6.conf.eth0.forwarding", Some("not modelled by nfsim")),
        (
            "net.netfilter.nf_conntrack_tcp_timeout_establised",
            Some("unknown conntrack sysctl"),
        ),
        ("net.ipv4.conf.rp_filter", Some("not a sysctl name: the per-device settings are net.ipv4.conf.<all|default|DEVICE>.<name> (and net.ipv6.conf...)")),
        ("net.ipv4.conf.eth1.rp_filter", None),
        ("net/ipv4/conf/eth0/rp_filter", None),
        ("net.netfilter.nf_conntrack_buckets", None),
        ("net.ipv6.auto_flowlabels", None),
    ] {
        match (Sysctl::new(name), want) {
            (Err(e), Some(want)) => {
                assert_eq!(e.to_string(), format!("sysctl {name}: {want}"));
                assert_eq!(e.to_string(), sysctl_error(name, 1));
            }
            (Ok(s), None) => assert_eq!(s.name(), name),
            (got, want) => panic!("{name}: {got:?}, want {want:?}"),
        }
    }
    let cfg = HostConfig::default()
        .interface(eth0())
        .sysctl(Sysctl::rp_filter("eth0"), 2)
        .sysctl(Sysctl::ip_forward(), 1)
        .sysctl(Sysctl::send_redirects("all"), 0)
        .sysctl(Sysctl::route_localnet("eth0"), 1)
        .sysctl(Sysctl::ipv6_forwarding(), 1);
    Host::new(
        &cfg,
        &Ruleset::new(Family::Ipv4),
        &Ruleset::new(Family::Ipv6),
    )
    .unwrap();
}

#[test]
fn sysctl_spellings_of_sysctl8_are_accepted() {
    // The dotted and the path spelling of one setting; `/` in a dotted
    // component stands for a `.` of a device name.
    host_with(&[("net/ipv4/conf/eth0/rp_filter", 1)]).unwrap();
    host_with(&[("net.ipv4.conf.eth0.rp_filter", 1)]).unwrap();
    host_with(&[("net.ipv4.conf.all.send_redirects", 0)]).unwrap();
    host_with(&[("net.ipv4.conf.default.send_redirects", 0)]).unwrap();
    host_with(&[("net.ipv4.conf.eth0.log_martians", 1)]).unwrap();
}

#[test]
fn tick_rate_and_devices_are_checked() {
    let build = |cfg: HostConfig| {
        Host::new(
            &cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
        .err()
        .map(|e| e.to_string())
    };
    for hz in [0, 2_000_000_000, u32::MAX] {
        let e = build(HostConfig {
            hz,
            ..HostConfig::default()
        })
        .expect("hz refused");
        assert!(e.starts_with(&format!("hz: {hz}: ")), "{e}");
    }
    for (name, why) in [
        ("lo", "exists already"),
        ("", "1 to 15 bytes"),
        ("a-very-long-name0", "1 to 15 bytes"),
        ("a/b", "dev_valid_name"),
        ("..", "dev_valid_name"),
    ] {
        let mut itf = eth0();
        itf.name = name.into();
        let e = build(HostConfig {
            interfaces: vec![itf],
            ..HostConfig::default()
        })
        .expect("bad name refused");
        assert!(
            e.starts_with("interfaces[0].name: ") && e.contains(why),
            "{e}"
        );
    }
}

fn trace(host: &str, packets: &str) -> String {
    format!(r#"{{"format":"nfsim-trace/1","host":{host},"packets":[{packets}]}}"#)
}

const HOST: &str = r#"{"interfaces":[{"name":"eth0","mac":"02:00:00:00:00:01","addrs":["192.0.2.1/24"],"peer":{"mac":"02:00:00:00:00:02"}}],"sysctl":{"net.ipv4.conf.rp_filter":1}}"#;

#[test]
fn trace_errors_name_the_field() {
    // The sysctl that panicked, through the trace file.
    let t = TraceFile::from_json(&trace(HOST, "")).unwrap();
    let e = nfsim::replay::replay(&t).unwrap_err().to_string();
    assert_eq!(
        e,
        "host.sysctl.net.ipv4.conf.rp_filter: not a sysctl name: the per-device settings are \
         net.ipv4.conf.<all|default|DEVICE>.<name> (and net.ipv6.conf...)"
    );
    let ok_host = HOST.replace("net.ipv4.conf.rp_filter", "net.ipv4.conf.all.rp_filter");
    let p = |at: &str, hex: &str| format!(r#"{{"at_ms":{at},"in":"eth0","hex":"{hex}"}}"#);
    let cases = [
        // Non-ASCII in hex panicked (a str sliced by bytes).
        (
            format!("{},{}", p("0", "4500"), p("1", "45é0")),
            "packets[1].hex: not a hex digit at offset 2",
        ),
        (
            format!("{},{}", p("0", "4500"), p("1", "450")),
            "packets[1].hex: odd hex length (3 digits)",
        ),
        (
            format!("{},{}", p("10", "4500"), p("5", "4500")),
            "packets[1].at_ms: 5 is earlier than the packet before (10): times never go backwards",
        ),
        (p("-1", "45"), "packets[0].at_ms: -1: a time is 0 to "),
        (p("1e300", "45"), "packets[0].at_ms: 1e300: a time is 0 to "),
        (
            r#"{"at_ms":0,"hex":"45"}"#.to_string(),
            "packets[0]: a packet has either `in` (a device) or `out: true`",
        ),
        (
            r#"{"at_ms":"x","in":"eth0","hex":"45"}"#.to_string(),
            "packets[0].at_ms: invalid type: string \"x\"",
        ),
    ];
    for (packets, want) in cases {
        let e = TraceFile::from_json(&trace(&ok_host, &packets))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(want), "{e}\n  wanted {want}");
    }
    let bad_mac = ok_host.replace("02:00:00:00:00:02", "02:00:00:00:00:é2");
    let t = TraceFile::from_json(&trace(&bad_mac, "")).unwrap();
    let e = t.host_config().unwrap_err().to_string();
    assert!(e.starts_with("host.interfaces[0].peer.mac: "), "{e}");
    let bad_route = r#"{"routes":[{"dst":"198.51.100.0/24","dev":"eth9"}]}"#;
    let t = TraceFile::from_json(&trace(bad_route, "")).unwrap();
    let e = nfsim::replay::replay(&t).unwrap_err().to_string();
    assert_eq!(e, "host.routes[0].dev: no device eth9 on this host");
}

#[test]
fn rules_given_as_hex_bytes() {
    let with_rules = |rules: &str| {
        format!(r#"{{"format":"nfsim-trace/1","host":{{}},"rules":{rules},"packets":[]}}"#)
    };
    // `*filter\n:\xff - [0:0]\nCOMMIT\n`: a chain name that is not UTF-8.
    let hex = "2a66696c7465720a3aff202d205b303a305d0a434f4d4d49540a";
    let t = TraceFile::from_json(&with_rules(&format!(r#"{{"ipv4_hex":"{hex}"}}"#))).unwrap();
    let (v4, _) = t.rulesets().unwrap();
    let f = v4.table(nfsim::model::TableKind::Filter).unwrap();
    assert_eq!(f.chains[3].name.as_bytes(), b"\xff");
    let both = format!(r#"{{"ipv4":"*filter\nCOMMIT\n","ipv4_hex":"{hex}"}}"#);
    let e = TraceFile::from_json(&with_rules(&both))
        .unwrap()
        .rulesets()
        .unwrap_err()
        .to_string();
    assert_eq!(e, "rules.ipv4 and rules.ipv4_hex: give the ruleset once");
    let e = TraceFile::from_json(&with_rules(r#"{"ipv6_hex":"2a0"}"#))
        .unwrap()
        .rulesets()
        .unwrap_err()
        .to_string();
    assert_eq!(e, "rules.ipv6_hex: odd hex length (3 digits)");
    let e = TraceFile::from_json(&with_rules(r#"{"ipv6_hex":"2a0a"}"#))
        .unwrap()
        .rulesets()
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("rules.ipv6_hex:"), "{e}");
}

/// The library's clock never goes backwards: a call with an earlier
/// instant is answered at the latest instant seen, so a conntrack entry
/// created at 100 s has not expired "again" at 1 s.
#[test]
fn host_clock_is_monotonic() {
    let mut rs = Ruleset::new(Family::Ipv4);
    let text = "*filter\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n";
    rs = nfsim::syntax::parse_restore(text, &nfsim::syntax::RestoreOptions::new(Family::Ipv4))
        .unwrap_or(rs);
    let cfg = HostConfig {
        interfaces: vec![eth0()],
        ..HostConfig::default()
    };
    let mut h = Host::new(&cfg, &rs, &Ruleset::new(Family::Ipv6)).unwrap();
    // UDP 192.0.2.2:1000 -> 192.0.2.1:53.
    let pkt = PacketBuilder::ipv4([192, 0, 2, 2].into(), [192, 0, 2, 1].into())
        .udp(1000, 53)
        .build();
    let mut out = Outcome::default();
    h.receive(
        1,
        &pkt,
        Instant::from_millis(100_000),
        &mut out,
        &mut NoTrace,
    );
    assert!(out.local);
    let at = |h: &Host, t: u64| h.conntrack().entries(Instant::from_millis(t)).count();
    assert_eq!(at(&h, 100_000), 1);
    h.receive(1, &pkt, Instant::from_millis(1_000), &mut out, &mut NoTrace);
    assert!(out.local);
    // Still one entry, refreshed at 100 s (UDP timeout 30 s), not at 1 s.
    assert_eq!(at(&h, 129_000), 1);
}
