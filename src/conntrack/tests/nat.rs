//! NAT bindings and packet rewriting (`nat.rs`).

use super::*;

/// nat-gateway trace: DNAT port forward and MASQUERADE, bytes compared with
/// what the kernel emitted.
#[test]
fn trace_nat_gateway() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(1);
    let wan = ip("198.51.100.1");

    // Packet 0: SYN from WAN to 198.51.100.1:2222, DNAT to 192.0.2.10:22.
    let mut p =
        hex("45000028000100004006147ccb00711ec6336401c73808ae00000064000000005002faf07e530000");
    let m = meta(&p);
    let now = ms(221);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    let h = r.slot.handle().unwrap();
    assert_eq!(
        ct.nat_action(r.slot, Hook::PreRouting, &m),
        NatAction::WalkRules
    );
    let range = NatRange::to(ip("192.0.2.10"), ip("192.0.2.10"), Some((22, 22)));
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &range, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    // POSTROUTING: MASQUERADE only matches -o eth1; this goes to eth0: null binding.
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::WalkRules
    );
    assert_eq!(
        ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, now),
        CtVerdict::Accept
    );
    let m2 = meta(&p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m2),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    assert_eq!(
        to_hex(&p),
        "45000028000100003f067da6cb00711ec000020ac738001600000064000000005002faf0ef150000"
    );
    assert!(ct
        .state_bits(r.slot)
        .contains(CtStates::DNAT | CtStates::NEW));
    assert_eq!(
        ct.proc_entry(h).unwrap().to_string(),
        "ipv4 tcp SYN_SENT src=203.0.113.30 dst=198.51.100.1 sport=51000 dport=2222 [UNREPLIED] src=192.0.2.10 dst=203.0.113.30 sport=22 dport=51000 mark=0"
    );

    // Packet 1: SYN-ACK back from 192.0.2.10, de-NATed in POSTROUTING.
    let mut p =
        hex("450000280001000040067ca6c000020acb00711e0016c738000000c8000000655012faf0ee3c0000");
    let now = ms(254);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    assert_eq!(
        ct.nat_action(r.slot, Hook::PreRouting, &m),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&p),
        "45000028000100003f06157cc6336401cb00711e08aec738000000c8000000655012faf07d7a0000"
    );

    // Packet 3: UDP from the LAN, MASQUERADE to 198.51.100.1.
    let mut p = hex("4500001d0001000040117c8fc000020acb007135cb2000350009c54571");
    let now = ms(320);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    let hu = r.slot.handle().unwrap();
    assert_eq!(
        ct.alloc_null_binding(hu, Hook::PreRouting, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    let masq = NatRange::masquerade(&NatRange::default(), wan);
    assert_eq!(
        ct.setup_nat(hu, ManipType::Src, &masq, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    assert_eq!(
        to_hex(&p),
        "4500001d000100003f111565c6336401cb007135cb20003500095d1b71"
    );

    // Packet 4: the DNS answer, de-masqueraded in PREROUTING.
    let mut p = hex("4500001d0001000040111465cb007135c63364010035cb2000096d1b61");
    let now = ms(352);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    assert_eq!(r.slot.handle(), Some(hu));
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&p),
        "4500001d000100003f117d8fcb007135c000020a0035cb200009d54561"
    );
    let later = now + Duration::from_millis(30);
    assert_eq!(
        ct.proc_entry(hu).unwrap().to_string(),
        "ipv4 udp src=192.0.2.10 dst=203.0.113.53 sport=52000 dport=53 src=203.0.113.53 dst=198.51.100.1 sport=53 dport=52000 mark=0"
    );
    assert_eq!(ct.remaining_secs(hu, later), Some(29));

    // An ICMP port unreachable from 192.0.2.10 about a packet of the TCP
    // connection is RELATED_REPLY; POSTROUTING translates inner and outer.
    let inner = tcp(
        "203.0.113.30",
        51000,
        "192.0.2.10",
        22,
        100,
        0,
        SYN,
        64240,
        &[],
        0,
    );
    let mut e = icmp_error("192.0.2.10", "203.0.113.30", 3, 3, &inner[..28]);
    let hl = 20;
    let m = meta(&e);
    let r = ct.process(&e, &m, Hook::PreRouting, ms(400));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut e, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut e, &m),
        CtVerdict::Accept
    );
    assert_eq!(&e[12..16], &[198, 51, 100, 1], "outer source de-DNATed");
    assert_eq!(
        &e[hl + 8 + 16..hl + 8 + 20],
        &[198, 51, 100, 1],
        "inner destination"
    );
    assert_eq!(&e[hl + 8 + 22..hl + 8 + 24], &2222u16.to_be_bytes());
    assert_eq!(sum(&e[..20]), 0xffff, "outer IP checksum");
    assert_eq!(sum(&e[hl..]), 0xffff, "ICMP checksum");
    assert_eq!(sum(&e[hl + 8..hl + 28]), 0xffff, "inner IP checksum");
}

#[test]
fn snat_port_clash_picks_other_port() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(42);
    let pub_ip = ip("203.0.113.1");
    let range = NatRange::to(pub_ip, pub_ip, None);
    let mut handles = Vec::new();
    for (i, client) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
        let p = tcp(client, 5555, "198.51.100.9", 80, 1, 0, SYN, 1000, &[], 0);
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::PreRouting, ms(i as u64));
        let h = r.slot.handle().unwrap();
        assert_eq!(
            ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(0)),
            CtVerdict::Accept
        );
        assert_eq!(
            ct.setup_nat(h, ManipType::Src, &range, &mut rng, ms(0)),
            CtVerdict::Accept
        );
        let mut q = p.clone();
        assert_eq!(
            ct.nat_packet(r.slot, Hook::PostRouting, &mut q, &m),
            CtVerdict::Accept
        );
        assert_eq!(&q[12..16], &[203, 0, 113, 1]);
        let sport = u16::from_be_bytes([q[20], q[21]]);
        assert_eq!(sport, ct.tuple(h, Dir::Reply).unwrap().dst_u);
        let len = q.len();
        let tcp_ok = csum_ok(
            Family::Ipv4,
            &tuple::addr_bytes(ip("203.0.113.1")).1,
            &tuple::addr_bytes(ip("198.51.100.9")).1,
            6,
            &q[20..len],
        );
        assert!(tcp_ok, "TCP checksum after SNAT");
        if i == 0 {
            assert_eq!(sport, 5555, "first keeps its port");
        } else {
            assert!(sport >= 1024, "{sport}");
        }
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
        handles.push(h);
    }
    let ports: std::collections::HashSet<u16> = handles
        .iter()
        .map(|h| ct.tuple(*h, Dir::Reply).unwrap().dst_u)
        .collect();
    assert_eq!(ports.len(), 3);
    // Replies find their entries.
    for h in handles {
        let t = ct.tuple(h, Dir::Reply).unwrap();
        let p = tcp(
            "198.51.100.9",
            80,
            "203.0.113.1",
            t.dst_u,
            1,
            2,
            SYN | ACK,
            1000,
            &[],
            0,
        );
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(5));
        assert_eq!(r.slot.handle(), Some(h));
    }
}

#[test]
fn nat_setup_rules() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let p = udp(A, 1, B, 2, 0);
    let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let v6 = NatRange::to(ip("2001:db8::1"), ip("2001:db8::1"), None);
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &v6, &mut rng, ms(0)),
        CtVerdict::Drop
    );
    assert_eq!(
        ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(0)),
        CtVerdict::Accept
    );
    assert!(ct.nat_initialized(h, ManipType::Dst));
    assert!(!ct.nat_initialized(h, ManipType::Src));
    assert_eq!(
        ct.status(h).unwrap() & (CtStatus::DST_NAT | CtStatus::SRC_NAT),
        CtStatus::empty()
    );
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &NatRange::default(), &mut rng, ms(0)),
        CtVerdict::Drop,
        "second DST setup"
    );
    ct.confirm(r.slot, ms(0));
    // Confirmed: setup is a no-op.
    assert_eq!(
        ct.setup_nat(h, ManipType::Src, &NatRange::default(), &mut rng, ms(0)),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &meta(&p)),
        NatAction::WalkRules
    );
    let est = CtSlot::Entry {
        handle: h,
        info: CtInfo::Established,
    };
    assert_eq!(
        ct.nat_action(est, Hook::PostRouting, &meta(&p)),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_action(CtSlot::Invalid, Hook::PostRouting, &meta(&p)),
        NatAction::Skip
    );
}

#[test]
fn ipv6_dnat_rewrites_and_checksums() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let mut p = tcp(
        "2001:db8:1::2",
        50000,
        "2001:db8::1",
        8080,
        1,
        0,
        SYN,
        1000,
        &[],
        0,
    );
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("2001:db8::10"), ip("2001:db8::10"), Some((80, 80)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    let (s, d) = meta(&p).addrs(&p);
    assert_eq!(d, tuple::addr_bytes(ip("2001:db8::10")).1);
    assert_eq!(&p[42..44], &80u16.to_be_bytes());
    assert!(csum_ok(Family::Ipv6, &s, &d, 6, &p[40..]));
}

/// `nf_nat_used_tuple_harder`: when every port of the range is held by
/// source-NATed connections in TIME_WAIT, a new SYN evicts one of them.
#[test]
fn snat_evicts_time_wait_when_range_exhausted() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(5);
    let pub_ip = ip("203.0.113.1");
    let range = NatRange::to(pub_ip, pub_ip, Some((5555, 5556)));
    let srv = "198.51.100.9";
    let mut olds = Vec::new();
    for (i, client) in ["10.0.0.1", "10.0.0.2"].iter().enumerate() {
        let t = ms(i as u64 * 10);
        let syn = tcp(client, 4000, srv, 80, 100, 0, SYN, 1000, &[], 0);
        let m = meta(&syn);
        let r = ct.process(&syn, &m, Hook::PreRouting, t);
        let h = r.slot.handle().unwrap();
        ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, t);
        assert_eq!(
            ct.setup_nat(h, ManipType::Src, &range, &mut rng, t),
            CtVerdict::Accept
        );
        ct.confirm(r.slot, t);
        let port = ct.tuple(h, Dir::Reply).unwrap().dst_u;
        // Walk the connection to TIME_WAIT (packets as seen after NAT on
        // the reply side, before it on the original side).
        let steps: [(bool, u32, u32, u8); 4] = [
            (false, 500, 101, SYN | ACK),
            (true, 101, 501, ACK | FIN),
            (false, 501, 102, ACK | FIN),
            (true, 102, 502, ACK),
        ];
        for (k, (orig, seq, ack, fl)) in steps.into_iter().enumerate() {
            let t = t + Duration::from_millis(k as u64 + 1);
            let p = if orig {
                tcp(client, 4000, srv, 80, seq, ack, fl, 1000, &[], 0)
            } else {
                tcp(srv, 80, "203.0.113.1", port, seq, ack, fl, 1000, &[], 0)
            };
            let r = ct.process(&p, &meta(&p), Hook::PreRouting, t);
            assert_eq!(r.slot.handle(), Some(h), "step {k}");
        }
        assert_eq!(ct.tcp_state(h), Some(TcpState::TimeWait));
        olds.push(h);
    }
    // A third client: both ports taken by TIME_WAIT entries; its SYN's
    // sequence number is beyond theirs, so one of them is evicted.
    let syn = tcp("10.0.0.3", 4000, srv, 80, 100_000, 0, SYN, 1000, &[], 0);
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(100));
    let h = r.slot.handle().unwrap();
    ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(100));
    assert_eq!(
        ct.setup_nat(h, ManipType::Src, &range, &mut rng, ms(100)),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, ms(100)), CtVerdict::Accept);
    let gone = olds.iter().filter(|o| ct.status(**o).is_none()).count();
    assert_eq!(gone, 1);
    let port = ct.tuple(h, Dir::Reply).unwrap().dst_u;
    assert!(port == 5555 || port == 5556);
}

/// A locally generated flow whose reply tuple is already taken by a
/// source-NATed one gets a new source port from the null binding, as Linux
/// 6.18 does (there: `-s 192.0.2.50 -j SNAT --to-source 192.0.2.1`, then a
/// local 192.0.2.1:7000 -> 192.0.2.2:56 got port 13692, random).
#[test]
fn null_binding_resolves_port_clash() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(11);
    let (h1, p1) = {
        let p = udp("192.0.2.50", 7000, "192.0.2.2", 56, 0);
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::LocalOut, ms(0));
        let h = r.slot.handle().unwrap();
        ct.alloc_null_binding(h, Hook::LocalOut, &mut rng, ms(0));
        let one = NatRange::to(ip("192.0.2.1"), ip("192.0.2.1"), None);
        ct.setup_nat(h, ManipType::Src, &one, &mut rng, ms(0));
        ct.confirm(r.slot, ms(0));
        (h, ct.tuple(h, Dir::Reply).unwrap().dst_u)
    };
    assert_eq!(p1, 7000);
    let p = udp("192.0.2.1", 7000, "192.0.2.2", 56, 0);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::LocalOut, ms(1));
    let h2 = r.slot.handle().unwrap();
    assert_ne!(h1, h2);
    ct.alloc_null_binding(h2, Hook::LocalOut, &mut rng, ms(1));
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::WalkRules
    );
    ct.alloc_null_binding(h2, Hook::PostRouting, &mut rng, ms(1));
    let mut q = p.clone();
    ct.nat_packet(r.slot, Hook::PostRouting, &mut q, &m);
    ct.confirm(r.slot, ms(1));
    let port = u16::from_be_bytes([q[20], q[21]]);
    assert!(port >= 1024 && port != 7000, "{port}");
    assert!(ct.status(h2).unwrap().contains(CtStatus::SRC_NAT));
    // The next packet of the flow keeps the same port.
    let r = ct.process(&p, &m, Hook::LocalOut, ms(2));
    assert_eq!(r.slot.handle(), Some(h2));
    let mut q2 = p.clone();
    ct.nat_packet(r.slot, Hook::PostRouting, &mut q2, &m);
    assert_eq!(q2, q);
}

#[test]
fn masquerade_oif_change() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let p = udp("10.0.0.5", 4000, "198.51.100.9", 53, 0);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let masq = NatRange::masquerade(&NatRange::default(), ip("203.0.113.1"));
    ct.setup_nat(h, ManipType::Src, &masq, &mut rng, ms(0));
    assert!(ct.set_masq_index(h, 3));
    ct.confirm(r.slot, ms(0));
    let est = CtSlot::Entry {
        handle: h,
        info: CtInfo::New,
    };
    assert!(!ct.nat_oif_changed(est, Hook::PostRouting, 3));
    assert!(ct.nat_oif_changed(est, Hook::PostRouting, 4));
    assert!(!ct.nat_oif_changed(est, Hook::PreRouting, 4));
    let rep = CtSlot::Entry {
        handle: h,
        info: CtInfo::EstablishedReply,
    };
    assert!(!ct.nat_oif_changed(rep, Hook::PostRouting, 4));
}
