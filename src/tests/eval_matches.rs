//! Route, metadata, rate and payload matches (`engine/eval/{route,meta,rate,payload}.rs`)
//! on a whole host, and their helpers.

use crate::engine::eval::{meta::*, payload::*, rate::*, route::*};
use crate::engine::state::MatchState;
use crate::host::{Host, HostConfig, InterfaceConfig, Outcome};
use crate::model::Family;
use crate::model::Ruleset;
use crate::replay::TraceCollector;
use crate::syntax::{parse_restore, RestoreOptions};
use crate::time::Instant;

/// UDP 192.0.2.20:50002 -> 192.0.2.1:137, one payload byte `q` (29 bytes).
fn v4_udp() -> Vec<u8> {
    crate::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
        .udp(50002, 137)
        .payload(b"q")
        .build()
}
/// UDP [2001:db8::20]:52994 -> [2001:db8::1]:9, one payload byte `q`.
fn v6_udp() -> Vec<u8> {
    v6_udp_from(core::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x20))
}
/// [`v6_udp`] from another source.
fn v6_udp_from(src: core::net::Ipv6Addr) -> Vec<u8> {
    let dst = core::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    crate::wire::PacketBuilder::ipv6(src, dst)
        .udp(52994, 9)
        .payload(b"q")
        .build()
}

fn host(v4: &str, v6: &str) -> Host {
    let r4 = if v4.is_empty() {
        Ruleset::new(Family::Ipv4)
    } else {
        parse_restore(v4, &RestoreOptions::new(Family::Ipv4)).unwrap()
    };
    let r6 = if v6.is_empty() {
        Ruleset::new(Family::Ipv6)
    } else {
        parse_restore(v6, &RestoreOptions::new(Family::Ipv6)).unwrap()
    };
    Host::new(&host_config(), &r4, &r6).unwrap()
}

/// The hosts' configuration: eth0 192.0.2.1/24 and 2001:db8::1/64, eth1
/// 198.51.100.1/24.
fn host_config() -> HostConfig {
    HostConfig {
        interfaces: vec![
            InterfaceConfig {
                name: "eth0".into(),
                mac: [2, 0, 0, 0, 0, 1],
                addrs: vec![
                    "192.0.2.1/24".parse().unwrap(),
                    "2001:db8::1/64".parse().unwrap(),
                ],
                peer_mac: [2, 0, 0, 0, 0, 2],
            },
            InterfaceConfig {
                name: "eth1".into(),
                mac: [2, 0, 0, 0, 1, 1],
                addrs: vec!["198.51.100.1/24".parse().unwrap()],
                peer_mac: [2, 0, 0, 0, 1, 2],
            },
        ],
        ..HostConfig::default()
    }
}

fn filter(rules: &[&str]) -> String {
    let mut s =
        String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for r in rules {
        s.push_str(r);
        s.push('\n');
    }
    s.push_str("COMMIT\n");
    s
}

/// `-m nfacct`: checkentry needs the object; nfacct_mt counts one
/// packet and skb->len bytes per evaluation (IPv4 and IPv6 share the
/// namespace's objects) and matches (no quota).
#[test]
fn nfacct_counts_and_matches() {
    let v4 = filter(&[
        "-A INPUT -m nfacct --nfacct-name in",
        "-A INPUT -m nfacct --nfacct-name in -j DROP",
    ]);
    let v6 = "*filter\n-A INPUT -m nfacct --nfacct-name in\nCOMMIT\n";
    let objects = [crate::model::ByteStr::from("in"), "other".into()];
    let o4 = RestoreOptions::new(Family::Ipv4).with_nfacct(&objects);
    assert_eq!(
        parse_restore(&v4, &RestoreOptions::new(Family::Ipv4))
            .unwrap_err()
            .message,
        "xt_nfacct: accounting object `in' does not exist"
    );
    let r4 = parse_restore(&v4, &o4).unwrap();
    let r6 = parse_restore(v6, &RestoreOptions::new(Family::Ipv6).with_nfacct(&objects)).unwrap();
    let base = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec![
                "192.0.2.1/24".parse().unwrap(),
                "2001:db8::1/64".parse().unwrap(),
            ],
            peer_mac: [2, 0, 0, 0, 0, 2],
        }],
        ..HostConfig::default()
    };
    // Without the objects the host refuses the rules, as the kernel does.
    assert!(Host::new(&base, &r4, &r6).is_err());
    let cfg = base.clone().nfacct("in").nfacct("other");
    let mut h = Host::new(&cfg, &r4, &r6).unwrap();
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), vec![1, 2]);
    let mut out = Outcome::default();
    let mut sink = TraceCollector::default();
    let d = h.device_index("eth0").unwrap();
    h.receive(d, &v6_udp(), Instant::from_millis(1), &mut out, &mut sink);
    // Two rules count the IPv4 packet (29 bytes), one the IPv6 one (49).
    assert_eq!(h.nfacct_counters("in"), Some((3, 29 + 29 + 49)));
    assert_eq!(h.nfacct_counters("other"), Some((0, 0)));
    assert_eq!(h.nfacct_counters("none"), None);
    assert_eq!(
        h.nfacct_list(),
        "{ pkts = 00000000000000000003, bytes = 00000000000000000107 } = in;\n\
         { pkts = 00000000000000000000, bytes = 00000000000000000000 } = other;\n"
    );
    // Declared twice, or a name the kernel refuses: an error.
    assert!(Host::new(&base.clone().nfacct("in").nfacct("in"), &r4, &r6).is_err());
    assert!(Host::new(&base.clone().nfacct("in").nfacct(""), &r4, &r6).is_err());
    // A longer name is cut to 31 bytes, as `nfacct add` cuts it: it
    // then names the same object as "in" + 29 bytes would.
    let long = format!("in{}", "x".repeat(38));
    let h = Host::new(&base.nfacct("in").nfacct(long.as_str()), &r4, &r6).unwrap();
    assert_eq!(
        h.nfacct_counters(&long[..31]),
        Some((0, 0)),
        "{}",
        h.nfacct_list()
    );
}

/// Numbers of the rules of `chain` ("table:CHAIN") that matched the
/// packet received on `dev` at `at_ms`.
fn hits(h: &mut Host, chain: &str, dev: &str, pkt: &[u8], at_ms: u64) -> Vec<u32> {
    let mut out = Outcome::default();
    let mut sink = TraceCollector::default();
    let d = h.device_index(dev).unwrap();
    h.receive(d, pkt, Instant::from_millis(at_ms), &mut out, &mut sink);
    let prefix = format!("{chain}:rule:");
    sink.records
        .iter()
        .filter_map(|r| r.strip_prefix(prefix.as_str()))
        .map(|n| n.parse().unwrap())
        .collect()
}

/// Numbers of the INPUT rules that matched, for each packet received on `dev`.
fn input_hits(h: &mut Host, dev: &str, pkt: &[u8], at_ms: u64) -> Vec<u32> {
    hits(h, "filter:INPUT", dev, pkt, at_ms)
}

fn with_dst(mut p: Vec<u8>, dst: [u8; 4]) -> Vec<u8> {
    p[16..20].copy_from_slice(&dst);
    // Recompute the IPv4 header checksum.
    p[10] = 0;
    p[11] = 0;
    let c = crate::wire::checksum::ipv4_header(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

/// Numbers of the mangle PREROUTING rules that matched.
fn prerouting_hits(h: &mut Host, dev: &str, pkt: &[u8]) -> Vec<u32> {
    hits(h, "mangle:PREROUTING", dev, pkt, 0)
}

fn with_src(mut p: Vec<u8>, src: [u8; 4]) -> Vec<u8> {
    let dst = [p[16], p[17], p[18], p[19]];
    p[12..16].copy_from_slice(&src);
    with_dst(p, dst)
}

#[test]
fn rpfilter_strict_loose_invert_accept_local() {
    let rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
                 :OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
                 -A PREROUTING -m rpfilter\n\
                 -A PREROUTING -m rpfilter --loose\n\
                 -A PREROUTING -m rpfilter --invert\n\
                 -A PREROUTING -m rpfilter --accept-local\n\
                 COMMIT\n";
    let mut h = host(rules, "");
    // 192.0.2.20 is routed through eth0 (connected); no default route.
    assert_eq!(prerouting_hits(&mut h, "eth0", &v4_udp()), [1, 2, 4]);
    assert_eq!(prerouting_hits(&mut h, "eth1", &v4_udp()), [2, 3]);
    let unrouted = with_src(v4_udp(), [203, 0, 113, 9]);
    assert_eq!(prerouting_hits(&mut h, "eth0", &unrouted), [3]);
    // The host's own address: a local route, on eth0.
    let own = with_src(v4_udp(), [192, 0, 2, 1]);
    assert_eq!(prerouting_hits(&mut h, "eth0", &own), [3, 4]);
    assert_eq!(prerouting_hits(&mut h, "eth1", &own), [3]);
    // A zero-net source to the limited broadcast always passes.
    let dhcp = with_dst(with_src(v4_udp(), [0, 0, 0, 0]), [255, 255, 255, 255]);
    assert_eq!(prerouting_hits(&mut h, "eth1", &dhcp), [1, 2, 4]);
}

#[test]
fn rpfilter_ipv6() {
    let rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
                 :OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
                 -A PREROUTING -m rpfilter\n\
                 -A PREROUTING -m rpfilter --loose\n\
                 -A PREROUTING -m rpfilter --accept-local\n\
                 COMMIT\n";
    let mut h = host("", rules);
    // 2001:db8::20 is on eth0's connected prefix.
    assert_eq!(prerouting_hits(&mut h, "eth0", &v6_udp()), [1, 2, 3]);
    assert_eq!(prerouting_hits(&mut h, "eth1", &v6_udp()), [2]);
    // Unspecified source: matches; the host's own address: accept-local only.
    let p = v6_udp_from(core::net::Ipv6Addr::UNSPECIFIED);
    assert_eq!(prerouting_hits(&mut h, "eth1", &p), [1, 2, 3]);
    let p = v6_udp_from("2001:db8::1".parse().unwrap());
    assert_eq!(prerouting_hits(&mut h, "eth1", &p), [3]);
}

#[test]
fn mark_and_inversion() {
    let mut h = host(
        &filter(&[
            "-A INPUT -m mark --mark 0",
            "-A INPUT -m mark ! --mark 0x1/0x1",
            "-A INPUT -m mark --mark 0x1",
            "-A INPUT -j MARK --set-mark 0x3",
            "-A INPUT -m mark --mark 0x1/0x1",
            "-A INPUT -m mark ! --mark 0x3",
        ]),
        "",
    );
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 4, 5]);
}

#[test]
fn connmark_needs_an_entry_and_sees_target_changes() {
    let mut h = host(
        &filter(&[
            "-A INPUT -m connmark --mark 0",
            "-A INPUT -j CONNMARK --set-mark 0x5",
            "-A INPUT -m connmark --mark 0x4/0x4",
            "-A INPUT -m connmark ! --mark 0x5",
        ]),
        "",
    );
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 3]);
    // The entry keeps its mark for the next packet of the flow.
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 10), [2, 3]);
    // Untracked: no entry, even the inverted test fails.
    let mut h = host(
        &format!(
            "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j CT --notrack\nCOMMIT\n{}",
            filter(&["-A INPUT -m connmark ! --mark 0x5", "-A INPUT -m connmark --mark 0"])
        ),
        "",
    );
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), Vec::<u32>::new());
}

#[test]
fn addrtype_v4() {
    let rules = filter(&[
        "-A INPUT -m addrtype --dst-type LOCAL",
        "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in",
        "-A INPUT -m addrtype --dst-type BROADCAST",
        "-A INPUT -m addrtype --dst-type BROADCAST --limit-iface-in",
        "-A INPUT -m addrtype --dst-type UNICAST",
        "-A INPUT -m addrtype --src-type UNICAST ! --dst-type LOCAL",
        "-A INPUT -m addrtype --dst-type MULTICAST",
        "-A INPUT -m addrtype --dst-type UNICAST --limit-iface-in",
    ]);
    let mut h = host(&rules, "");
    let p = v4_udp(); // 192.0.2.20 -> 192.0.2.1
    assert_eq!(input_hits(&mut h, "eth0", &p, 0), [1, 2]);
    // Our eth0 address arriving on eth1: LOCAL, but not for eth1.
    assert_eq!(input_hits(&mut h, "eth1", &p, 1), [1, 8]);
    let b = with_dst(v4_udp(), [192, 0, 2, 255]);
    assert_eq!(input_hits(&mut h, "eth0", &b, 2), [3, 4, 6]);
    let b = with_dst(v4_udp(), [255, 255, 255, 255]);
    assert_eq!(input_hits(&mut h, "eth0", &b, 3), [3, 4, 6]);
    // Multicast, looked at in PREROUTING (whatever the host does next).
    let mut h = host(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -m addrtype --dst-type MULTICAST\n-A PREROUTING -m addrtype --dst-type MULTICAST --limit-iface-in\n-A PREROUTING -m addrtype --dst-type UNICAST,LOCAL\nCOMMIT\n",
        "",
    );
    let m = with_dst(v4_udp(), [224, 0, 0, 1]);
    let mut out = Outcome::default();
    let mut sink = TraceCollector::default();
    h.receive(1, &m, Instant::from_millis(4), &mut out, &mut sink);
    let pre: Vec<&String> = sink
        .records
        .iter()
        .filter(|r| r.starts_with("mangle:PREROUTING:"))
        .collect();
    assert_eq!(
        pre,
        [
            "mangle:PREROUTING:rule:1",
            "mangle:PREROUTING:rule:2",
            "mangle:PREROUTING:policy:4"
        ]
    );
}

#[test]
fn addrtype_v4_env() {
    let h = host("", "");
    let env_of = |a: &[u8], dev: Option<&str>| -> u16 {
        crate::host::targets::host_addr_type(
            &h.stack.conf.fib4,
            &h.stack.conf.devs,
            Family::Ipv4,
            a,
            dev,
        )
    };
    // Every case below checked against Linux 6.18 in a netns.
    assert_eq!(env_of(&[0, 0, 0, 0], Some("eth1")), 3);
    assert_eq!(env_of(&[0, 1, 2, 3], None), 1);
    assert_eq!(env_of(&[127, 0, 0, 9], None), 2);
    assert_eq!(env_of(&[127, 0, 0, 9], Some("lo")), 2);
    assert_eq!(env_of(&[127, 0, 0, 9], Some("eth0")), 1);
    assert_eq!(env_of(&[127, 255, 255, 255], None), 3);
    assert_eq!(env_of(&[192, 0, 2, 0], None), 1);
    assert_eq!(env_of(&[198, 51, 100, 255], Some("eth1")), 3);
    assert_eq!(env_of(&[198, 51, 100, 255], Some("eth0")), 1);
    assert_eq!(env_of(&[203, 0, 113, 1], None), 1);
    assert_eq!(env_of(&[239, 1, 1, 1], Some("eth0")), 5);
    assert_eq!(env_of(&[1, 2, 3], None), 1);
}

#[test]
fn addrtype_v6() {
    let rules = filter(&[
        "-A INPUT -m addrtype --dst-type LOCAL",
        "-A INPUT -m addrtype --src-type UNICAST",
        "-A INPUT -m addrtype ! --src-type LOCAL",
        "-A INPUT -m addrtype --dst-type MULTICAST",
        "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in",
        "-A INPUT -m addrtype --dst-type UNREACHABLE",
        "-A INPUT -m addrtype --dst-type LOCAL,UNICAST",
        "-A INPUT -m addrtype --dst-type ANYCAST",
        "-A INPUT -m addrtype --src-type UNREACHABLE",
        "-A INPUT -m addrtype --src-type UNREACHABLE --limit-iface-in",
        "-A INPUT -m addrtype --src-type LOCAL,UNICAST,ANYCAST --dst-type LOCAL",
    ]);
    let mut h = host("", &rules);
    // 2001:db8::20 -> 2001:db8::1 (eth0's address) on eth0.
    assert_eq!(input_hits_v6(&mut h, &v6_udp()), [1, 2, 3, 5, 7]);
    // From outside every prefix (this host has no IPv6 default route):
    // the source is UNREACHABLE, with and without the device.
    let mut p = v6_udp();
    p[8..24].copy_from_slice(
        &"2001:db8:9::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    assert_eq!(input_hits(&mut h, "eth0", &p, 1), [1, 2, 3, 5, 7, 9, 10]);
}

/// `match_lookup_rt6` against `ip -6 route get ADDR [oif DEV]` (the same
/// `ip6_route_output(net, NULL, fl6)`) on Linux 6.18 in a netns: eth0
/// 2001:db8::1/64, eth1 2001:db8:1::1/64, default via 2001:db8:1::2,
/// forwarding off, then on (anycast routes of the local table).
#[test]
fn match_lookup_rt6_like_route_get() {
    use crate::host::targets::match_lookup_rt6;
    const L: u16 = 1 << 2;
    const A: u16 = 1 << 4;
    const U: u16 = 1 << 7;
    for fwd in [0, 1] {
        let cfg = HostConfig {
            interfaces: vec![
                InterfaceConfig {
                    name: "eth0".into(),
                    mac: [2, 0, 0, 0, 0, 1],
                    addrs: vec!["2001:db8::1/64".parse().unwrap()],
                    peer_mac: [2, 0, 0, 0, 0, 2],
                },
                InterfaceConfig {
                    name: "eth1".into(),
                    mac: [2, 0, 0, 0, 1, 1],
                    addrs: vec!["2001:db8:1::1/64".parse().unwrap()],
                    peer_mac: [2, 0, 0, 0, 1, 2],
                },
            ],
            routes: vec![crate::host::RouteConfig {
                dst: "::/0".parse().unwrap(),
                via: Some("2001:db8:1::2".parse().unwrap()),
                dev: Some("eth1".into()),
            }],
            sysctls: vec![("net.ipv6.conf.all.forwarding".into(), fwd)],
            ..HostConfig::default()
        };
        let h = Host::new(
            &cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
        .unwrap();
        let t = |a: &str, dev: Option<usize>| {
            let a = a.parse::<std::net::Ipv6Addr>().unwrap().octets();
            match_lookup_rt6(&h.stack.conf.fib6, h.stack.conf.devs.len(), a, dev)
        };
        let (lo, e0, e1) = (Some(0), Some(1), Some(2));
        // Columns: no device, eth0, eth1, lo.
        let cases: [(&str, [u16; 4]); 8] = [
            ("2001:db8::1", [L, L, 0, U]),
            ("2001:db8::", [A, A, 0, U]),
            ("2001:db8:1::", [A, U, A, U]),
            ("2001:db8::5", [0, 0, 0, U]),
            ("fe80::1", [0, U, 0, U]),
            ("ff02::1", [0, 0, 0, U]),
            ("::1", [L, U, 0, L]),
            ("2001:db8:5::1", [0, U, 0, U]),
        ];
        for (a, want) in cases {
            let got = [t(a, None), t(a, e0), t(a, e1), t(a, lo)];
            assert_eq!(got, want, "{a} forwarding={fwd}");
        }
    }
}

/// Linux 6.18.44 in a netns, mangle PREROUTING: the same hits.
#[test]
fn addrtype_v6_prerouting() {
    let mut h = host(
        "",
        "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
         -A PREROUTING -m addrtype --dst-type LOCAL\n\
         -A PREROUTING -m addrtype --src-type UNICAST\n\
         -A PREROUTING -m addrtype ! --src-type LOCAL\n\
         -A PREROUTING -m addrtype --dst-type MULTICAST\n\
         -A PREROUTING -m addrtype --src-type UNSPEC\n\
         -A PREROUTING -m addrtype --dst-type MULTICAST,LOCAL\n\
         COMMIT\n",
    );
    let a = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
    let cases: [(&str, &str, &[u32]); 5] = [
        ("2001:db8::20", "2001:db8::1", &[1, 2, 3]),
        ("2001:db8::20", "ff02::1", &[2, 3, 4]),
        ("::", "2001:db8::1", &[1, 3, 5]),
        ("::ffff:192.0.2.9", "2001:db8::1", &[1, 3]),
        ("2001:db8::1", "2001:db8::5", &[2]),
    ];
    for (i, (src, dst, want)) in cases.iter().enumerate() {
        let mut p = v6_udp();
        p[8..24].copy_from_slice(&a(src));
        p[24..40].copy_from_slice(&a(dst));
        let mut out = Outcome::default();
        let mut sink = TraceCollector::default();
        h.receive(1, &p, Instant::from_millis(i as u64), &mut out, &mut sink);
        let got: Vec<u32> = sink
            .records
            .iter()
            .filter_map(|r| r.strip_prefix("mangle:PREROUTING:rule:"))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(&got, want, "{src} -> {dst}");
    }
}

fn input_hits_v6(h: &mut Host, pkt: &[u8]) -> Vec<u32> {
    input_hits(h, "eth0", pkt, 0)
}

#[test]
fn ipv6_classes() {
    let a = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
    assert!(ipv6_is_unicast(&a("2001:db8::1")));
    assert!(ipv6_is_unicast(&a("::1")));
    assert!(ipv6_is_unicast(&a("::192.0.2.1")));
    assert!(ipv6_is_unicast(&a("fe80::1")));
    assert!(!ipv6_is_unicast(&a("::")));
    assert!(!ipv6_is_unicast(&a("::ffff:192.0.2.1")));
    assert!(!ipv6_is_unicast(&a("ff02::1")));
    assert!(!ipv6_is_unicast(&[0; 3]));
}

#[test]
fn quota_counts_down_then_closes() {
    // V4_UDP is 29 bytes: 2 packets fit in 60, the third empties it.
    let mut h = host(
        &filter(&[
            "-A INPUT -m quota --quota 60",
            "-A INPUT -m quota ! --quota 29",
        ]),
        "",
    );
    let p = v4_udp();
    assert_eq!(input_hits(&mut h, "eth0", &p, 0), [1]);
    assert_eq!(input_hits(&mut h, "eth0", &p, 1), [1, 2]);
    assert_eq!(input_hits(&mut h, "eth0", &p, 2), [2]);
    assert_eq!(input_hits(&mut h, "eth0", &p, 3), [2]);
}

#[test]
fn string_window_and_icase() {
    // V4_UDP payload is the single byte 0x71 ('q') at offset 28.
    let mut h = host(
        &filter(&[
            "-A INPUT -m string --string q --algo bm",
            "-A INPUT -m string --string Q --algo kmp --icase",
            "-A INPUT -m string --string q --algo bm --to 28",
            "-A INPUT -m string --string q --algo kmp --from 28 --to 29",
            "-A INPUT -m string ! --string Q --algo bm",
            "-A INPUT -m string --hex-string |c0000214| --algo bm --to 16",
            "-A INPUT -m string --hex-string |c0000214| --algo bm --to 15",
            "-A INPUT -m string --string q --algo bm --from 29",
        ]),
        "",
    );
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 4, 5, 6]);
    assert_eq!(k_toupper(b'a'), b'A');
    assert_eq!(k_toupper(0xe9), 0xc9);
    assert_eq!(k_toupper(0xf7), 0xf7);
    assert_eq!(k_toupper(0xdf), 0xbf);
    assert!(find(b"xx\xe9x", b"\xc9", true));
    // Linux 6.18 in a netns: text 0xdf matches |bf| with --icase, 0xff
    // does not match |df|, 0xd7 does not match |f7|.
    assert!(find(b"\xdf", b"\xbf", true));
    assert!(!find(b"\xff", b"\xdf", true));
    assert!(!find(b"\xd7", b"\xf7", true));
}

#[test]
fn string_fsm_refused() {
    let rs = parse_restore(
        filter(&["-A INPUT -m string --string q --algo fsm"]),
        &RestoreOptions::new(Family::Ipv4),
    );
    if let Ok(rs) = rs {
        assert!(Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6)).is_err());
    }
}

#[test]
fn u32_tests() {
    let mut h = host(
        &filter(&[
            // IPv4, protocol UDP.
            "-A INPUT -m u32 --u32 \"0>>28=4&&6&0xFF=17\"",
            // UDP destination port 9 through the header length.
            "-A INPUT -m u32 --u32 \"0>>22&0x3C@0>>16=0xc352\"",
            "-A INPUT -m u32 --u32 \"0>>22&0x3C@0&0xFFFF=0x89\"",
            // Reading beyond the end fails, also inverted.
            "-A INPUT -m u32 --u32 \"26=0:0xffffffff\"",
            "-A INPUT -m u32 ! --u32 \"26=0:0xffffffff\"",
            "-A INPUT -m u32 --u32 \"25=0:0xffffffff\"",
            "-A INPUT -m u32 ! --u32 \"0>>28=6\"",
            "-A INPUT -m u32 --u32 \"0<<31=0x80000000\"",
        ]),
        "",
    );
    assert_eq!(
        input_hits(&mut h, "eth0", &v4_udp(), 0),
        [1, 2, 3, 5, 6, 7, 8]
    );
}

#[test]
fn u32_wide_shift_refused() {
    let rs = parse_restore(
        filter(&["-A INPUT -m u32 --u32 \"0<<32=0\""]),
        &RestoreOptions::new(Family::Ipv4),
    );
    if let Ok(rs) = rs {
        assert!(Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6)).is_err());
    }
}

fn udp_from(sport: u16, src_last: u8) -> Vec<u8> {
    let mut p = v4_udp();
    p[15] = src_last;
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[26] = 0; // no UDP checksum
    p[27] = 0;
    let d = [p[16], p[17], p[18], p[19]];
    with_dst(p, d)
}

/// The same packets and rules in a netns on Linux 6.18.44 gave the same
/// rule hits (counters read without `-Z`: an iptables-legacy zeroing
/// replaces the table and so empties the connlimit lists).
#[test]
fn connlimit_counts_connections_per_source() {
    let mut h = host(
        &filter(&[
            "-A INPUT -m connlimit --connlimit-above 1",
            "-A INPUT -m connlimit --connlimit-upto 1 --connlimit-mask 24",
            "-A INPUT -m connlimit --connlimit-above 2 --connlimit-daddr",
        ]),
        "",
    );
    // Flow A, first packet: 1 connection everywhere.
    assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 20), 0), [2]);
    // Flow B from the same source: 2.
    assert_eq!(input_hits(&mut h, "eth0", &udp_from(1001, 20), 100), [1]);
    // Flow A again (confirmed: nothing added): still 2.
    assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 20), 200), [1]);
    // Flow C from another source in the /24: 1 for its address, 3 for
    // the /24 and for the destination.
    assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 21), 300), [3]);
    // A lone non-first fragment matches no rule (no tuple: hotdrop at
    // rule 1; the kernel holds it for reassembly instead).
    let mut f = udp_from(1002, 22);
    f[6] = 0x00;
    f[7] = 0x10;
    let d = [f[16], f[17], f[18], f[19]];
    let f = with_dst(f, d);
    assert_eq!(input_hits(&mut h, "eth0", &f, 400), Vec::<u32>::new());
}

/// Same rules and packets on Linux 6.18.44 in a netns: same hits. The
/// `connbytes` rules turn accounting on (`connbytes_mt_check`), for a
/// host built from the rulesets and for one built from them compiled
/// (`Host::with_rules`), though the host's sysctls leave it off.
#[test]
fn connbytes_counts_the_flow() {
    let text = filter(&[
        "-A INPUT -m connbytes --connbytes 2: --connbytes-dir original --connbytes-mode packets",
        "-A INPUT -m connbytes --connbytes 30:58 --connbytes-dir both --connbytes-mode bytes",
        "-A INPUT -m connbytes ! --connbytes 30:58 --connbytes-dir original --connbytes-mode bytes",
        "-A INPUT -m connbytes --connbytes 29:29 --connbytes-dir original --connbytes-mode avgpkt",
        "-A INPUT -m connbytes --connbytes 0:0 --connbytes-dir reply --connbytes-mode avgpkt",
    ]);
    let built = host(&text, "");
    let rules = crate::host::CompiledRules::new(
        &parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap(),
        &Ruleset::new(Family::Ipv6),
    )
    .unwrap();
    let compiled = Host::with_rules(&host_config(), &rules).unwrap();
    for mut h in [built, compiled] {
        assert!(h.conntrack().config().acct);
        let p = udp_from(3000, 40);
        assert_eq!(input_hits(&mut h, "eth0", &p, 0), [3, 4, 5]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 150), [1, 2, 4, 5]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 300), [1, 3, 4, 5]);
    }
}

#[test]
fn limit_arithmetic() {
    assert_eq!(limit_credits_per_jiffy(250), 128);
    assert_eq!(limit_credits_per_jiffy(1000), 32);
    assert_eq!(limit_credits_per_jiffy(100), 256);
    // 5/s: avg 2000 (1/10000 s) costs 50 jiffies of credits at HZ=250.
    assert_eq!(limit_user2credits(2000, 250), 50 * 128);
    // Division first when the product would overflow.
    assert_eq!(
        limit_user2credits(u32::MAX, 250),
        429_496u32.wrapping_mul(32_000)
    );
    assert!(limit_valid(2000, 3, 250));
    assert!(!limit_valid(2000, 0, 250));
    assert!(!limit_valid(100_000_000, 43, 250));
    // The kernel's check misses wraps that land on equal credits.
    assert!(limit_valid(u32::MAX, 2, 250));
}

/// Linux 6.18 (HZ=250), `--limit 5/s --limit-burst 3`, ten packets 60 ms
/// apart: five matched.
#[test]
fn limit_token_bucket() {
    let mut st = MatchState::default();
    let hits: Vec<usize> = (0..10u64)
        .filter(|i| limit_mt(2000, 3, 250, 1_000_000 + i * 15, &mut st))
        .map(|i| i as usize + 1)
        .collect();
    assert_eq!(hits, [1, 2, 3, 5, 8]);
    // An idle bucket refills only up to the burst.
    let mut st = MatchState::default();
    assert!(limit_mt(2000, 1, 250, 0, &mut st));
    assert!(!limit_mt(2000, 1, 250, 49, &mut st));
    assert!(limit_mt(2000, 1, 250, 1_000_000, &mut st));
    assert!(!limit_mt(2000, 1, 250, 1_000_001, &mut st));
}

#[test]
fn statistic_modes() {
    // --every 3 --packet P: count starts at every - P (every = 2).
    let run = |count, invert, n| {
        let mut st = MatchState::default();
        (0..n)
            .map(|_| statistic_nth(2, count, invert, &mut st))
            .collect::<Vec<bool>>()
    };
    assert_eq!(run(2, false, 6), [true, false, false, true, false, false]);
    assert_eq!(run(1, false, 6), [false, true, false, false, true, false]);
    assert_eq!(run(0, false, 3), [false, false, true]);
    assert_eq!(run(1, true, 3), [true, false, true]);
    assert!(statistic_random(0x4000_0000, false, 0x3fff_ffff));
    assert!(!statistic_random(0x4000_0000, false, 0xc000_0000));
    assert!(statistic_random(0x4000_0000, false, 0x8000_0001));
    assert!(!statistic_random(0x8000_0000, true, 5));
}

#[test]
fn owner_rules() {
    let sk = Some((1000, 100));
    assert!(owner_mt(Some(((1000, 1000), false)), None, None, sk));
    assert!(!owner_mt(Some(((1000, 1000), true)), None, None, sk));
    assert!(owner_mt(None, Some(((0, 200), false)), None, sk));
    assert!(!owner_mt(None, None, Some(true), sk));
    assert!(owner_mt(None, None, Some(false), sk));
    // No socket: only all-inverted rules match.
    assert!(!owner_mt(Some(((1000, 1000), false)), None, None, None));
    assert!(owner_mt(Some(((1000, 1000), true)), None, Some(true), None));
    assert!(!owner_mt(
        Some(((1000, 1000), true)),
        None,
        Some(false),
        None
    ));
}

/// Limit and hashlimit as measured on Linux 6.18 (see the shared
/// tests), recent as its netns check, statistic nth as checked.
#[test]
fn wired_limit_recent_statistic_hashlimit() {
    let mut h = host(
        &filter(&[
            "-A INPUT -m limit --limit 5/s --limit-burst 3",
            "-A INPUT -m recent --name t1 --rcheck --seconds 60 --hitcount 3",
            "-A INPUT -m recent --name t1 --set",
            "-A INPUT -m statistic --mode nth --every 3 --packet 1",
            "-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name h1",
        ]),
        "",
    );
    let mut per_rule = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for i in 0..10u64 {
        for r in input_hits(&mut h, "eth0", &udp_from(6000, 20), 1000 + i * 60) {
            per_rule[r as usize - 1].push(i + 1);
        }
    }
    assert_eq!(per_rule[0], [1, 2, 3, 5, 8]);
    assert_eq!(per_rule[1], [4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(per_rule[2].len(), 10);
    assert_eq!(per_rule[3], [2, 5, 8]);
    assert_eq!(per_rule[4], [1, 2, 3, 5, 8]);
}

#[test]
fn helper_is_its_inversion() {
    let mut h = host(
        &filter(&[
            "-A INPUT -m helper --helper ftp",
            "-A INPUT -m helper ! --helper ftp",
        ]),
        "",
    );
    assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [2]);
}
