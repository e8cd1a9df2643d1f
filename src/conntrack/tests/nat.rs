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

/// Fast paths of the NAT and confirm steps against the general ones: two
/// tables run the same packets in lockstep, one through what the host
/// calls (the fast paths), one through the general functions alone; the
/// packets, the verdicts and the whole table state (`Debug`) stay equal.
mod lockstep {
    use super::*;
    use proptest::prelude::*;

    const V4: [&str; 4] = ["192.0.2.1", "192.0.2.2", "198.51.100.1", "198.51.100.2"];
    const V6: [&str; 4] = [
        "2001:db8::1",
        "2001:db8::2",
        "2001:db8:1::1",
        "2001:db8:1::2",
    ];
    const PORTS: [u16; 4] = [21, 69, 1000, 7000];

    /// One packet of a small world of addresses and ports (so that flows
    /// meet again, clash and expire) and what the rules do with it.
    #[derive(Debug, Clone)]
    pub(super) struct Op {
        v6: bool,
        /// 0-1 TCP (SYN, ACK), 2 UDP, 3-4 ICMP echo request / reply, 5 a
        /// protocol without ports (99), 6 UDP without checksum, 7 an ICMP
        /// error about a UDP packet of the flow.
        kind: u8,
        src: usize,
        sport: usize,
        dst: usize,
        dport: usize,
        /// Received (PREROUTING, then POSTROUTING or INPUT) or sent
        /// (OUTPUT, then POSTROUTING).
        sent: bool,
        /// Delivered locally (INPUT) rather than forwarded.
        local: bool,
        /// The first nat hook: 0-1 no rule (null binding), 2 DNAT to an
        /// address, 3 DNAT to an address and port.
        first: u8,
        /// The second: 0-1 no rule, 2 SNAT to an address, 3 SNAT with a
        /// port range.
        second: u8,
        to: usize,
        /// `-j CT --helper`: 0 none, 1 ftp, 2 tftp.
        helper: u8,
        /// Dropped by the filter before confirm.
        drop: bool,
        /// Milliseconds since the previous packet.
        gap: u64,
        /// 0 a new flow, 1 the previous packet's flow again, 2 its reply
        /// (see [`flows`]).
        again: u8,
    }

    pub(super) fn op() -> impl Strategy<Value = Op> {
        (
            (
                any::<bool>(),
                0u8..8,
                0usize..4,
                0usize..4,
                0usize..4,
                0usize..4,
            ),
            (any::<bool>(), any::<bool>(), 0u8..4, 0u8..4, 0usize..4),
            (
                0u8..6,
                0u8..8,
                prop_oneof![Just(0u64), Just(1000), Just(200_000)],
                0u8..3,
            ),
        )
            .prop_map(
                |(
                    (v6, kind, src, sport, dst, dport),
                    (sent, local, first, second, to),
                    (helper, drop, gap, again),
                )| Op {
                    v6,
                    kind,
                    src,
                    sport,
                    dst,
                    dport,
                    sent,
                    local,
                    first,
                    second,
                    to,
                    helper: if helper < 3 { helper } else { 0 },
                    drop: drop == 0,
                    gap,
                    again,
                },
            )
    }

    /// A TCP ACK (or UDP datagram) carrying `data`.
    fn with_payload(s: &str, d: &str, tcp: bool, sp: u16, dp: u16, data: &[u8]) -> Vec<u8> {
        macro_rules! finish {
            ($b:expr) => {
                if tcp {
                    $b.tcp(sp, dp)
                        .seq(2)
                        .ack(2)
                        .flags(TcpFlags::from_bits_retain(ACK))
                        .window(1000)
                        .payload(data)
                        .build()
                } else {
                    $b.udp(sp, dp).payload(data).build()
                }
            };
        }
        match (ip(s), ip(d)) {
            (IpAddr::V4(s), IpAddr::V4(d)) => finish!(PacketBuilder::ipv4(s, d)),
            (IpAddr::V6(s), IpAddr::V6(d)) => finish!(PacketBuilder::ipv6(s, d)),
            _ => unreachable!(),
        }
    }

    /// Packets that continue a flow (`again`): the previous packet's flow
    /// again or its reply, with the previous packet's kind (an ICMP error
    /// stays one).
    pub(super) fn flows(mut ops: Vec<Op>) -> Vec<Op> {
        for i in 1..ops.len() {
            let prev = ops[i - 1].clone();
            let op = &mut ops[i];
            match op.again {
                0 => {}
                k => {
                    op.v6 = prev.v6;
                    if op.kind != 7 {
                        op.kind = prev.kind;
                    }
                    (op.src, op.sport, op.dst, op.dport) = if k == 1 {
                        (prev.src, prev.sport, prev.dst, prev.dport)
                    } else {
                        (prev.dst, prev.dport, prev.src, prev.sport)
                    };
                }
            }
        }
        ops
    }

    impl Op {
        fn addr(&self, i: usize) -> &'static str {
            if self.v6 {
                V6[i]
            } else {
                V4[i]
            }
        }

        fn packet(&self) -> Vec<u8> {
            let (s, d) = (self.addr(self.src), self.addr(self.dst));
            self.packet_between(s, PORTS[self.sport], d, PORTS[self.dport])
        }

        /// The packet from `s` to `d`; an ICMP error (kind 7) is about a
        /// UDP packet that went from `d` to `s`.
        fn packet_between(&self, s: &str, sp: u16, d: &str, dp: u16) -> Vec<u8> {
            match self.kind {
                0 => tcp(s, sp, d, dp, 1, 0, SYN, 1000, &[], 0),
                1 => {
                    // An ftp command naming the sender's own address
                    // (an expectation when the ftp helper runs).
                    let cmd = if self.v6 {
                        format!("EPRT |2|{s}|1025|\r\n")
                    } else {
                        format!("PORT {},4,1\r\n", s.replace('.', ","))
                    };
                    with_payload(s, d, true, sp, dp, cmd.as_bytes())
                }
                // A tftp read request.
                2 => with_payload(s, d, false, sp, dp, b"\x00\x01f\x00octet\x00"),
                3 | 4 => {
                    let ty = match (self.v6, self.kind) {
                        (false, 3) => 8,
                        (false, _) => 0,
                        (true, 3) => 128,
                        (true, _) => 129,
                    };
                    icmp(s, d, ty, 0, sp, b"ping")
                }
                5 => build(s, d, 99, vec![1, 2, 3, 4]),
                // An ICMP error about a UDP packet of the flow (RELATED).
                7 => {
                    let quoted = udp(d, dp, s, sp, 3);
                    let ty = if self.v6 { 1 } else { 3 };
                    icmp_error(s, d, ty, 3, &quoted)
                }
                _ => {
                    let mut p = udp(s, sp, d, dp, 2);
                    if !self.v6 {
                        p[26] = 0;
                        p[27] = 0;
                    }
                    p
                }
            }
        }

        fn range(&self, port: bool) -> NatRange {
            let a = ip(self.addr(self.to));
            if port {
                NatRange::to(a, a, Some((PORTS[self.to], PORTS[self.to] + 3)))
            } else {
                NatRange::to(a, a, None)
            }
        }
    }

    pub(super) struct World {
        ct: ConntrackTable,
        rng: SplitMix64,
        now: u64,
        /// Through the host's fast paths (else the general functions).
        fast: bool,
        /// The last packet as it left: source, port, destination, port
        /// (the ICMP id for both ports of an echo).
        last: Option<(String, u16, String, u16)>,
    }

    /// The endpoints of a packet without extension headers (see
    /// `World::last`); `None` for an ICMP error.
    fn endpoints(p: &[u8]) -> Option<(String, u16, String, u16)> {
        let (s, d, l4): (IpAddr, IpAddr, &[u8]) = if p[0] >> 4 == 4 {
            let s: [u8; 4] = p[12..16].try_into().unwrap();
            let d: [u8; 4] = p[16..20].try_into().unwrap();
            (s.into(), d.into(), &p[usize::from(p[0] & 15) * 4..])
        } else {
            let s: [u8; 16] = p[8..24].try_into().unwrap();
            let d: [u8; 16] = p[24..40].try_into().unwrap();
            (s.into(), d.into(), &p[40..])
        };
        let proto = if p[0] >> 4 == 4 { p[9] } else { p[6] };
        let rd = |i: usize| u16::from_be_bytes([l4[i], l4[i + 1]]);
        let (sp, dp) = match proto {
            proto::TCP | proto::UDP => (rd(0), rd(2)),
            proto::ICMP | proto::ICMPV6 if matches!(l4[0], 0 | 8 | 128 | 129) => (rd(4), rd(4)),
            proto::ICMP | proto::ICMPV6 => return None,
            _ => (0, 0),
        };
        Some((s.to_string(), sp, d.to_string(), dp))
    }

    impl World {
        pub(super) fn new(fast: bool) -> World {
            World {
                ct: ConntrackTable::new(Config::with_max(24)).unwrap(),
                rng: SplitMix64::new(7),
                now: 0,
                fast,
                last: None,
            }
        }

        fn nat_hook(
            &mut self,
            slot: CtSlot,
            hook: Hook,
            rule: u8,
            op: &Op,
            p: &mut [u8],
        ) -> CtVerdict {
            let m = meta(p);
            let action = if self.fast {
                // The host's calls (`Host::nat`, `nat_apply`,
                // `nat_general`); the general functions only after a walk.
                // `nat_step` on a copy: for an established packet it must
                // agree with `nat_fast` and the rewrite.
                let mut q = p.to_vec();
                let step = self.ct.nat_step(slot, hook, &mut q, &m, false);
                let fast = match self.ct.nat_fast(slot, hook) {
                    NatFast::Skip => Some(NatStep::Skip),
                    NatFast::Done => Some(NatStep::Applied(CtVerdict::Accept)),
                    NatFast::Rewrite(other, manip) => Some(NatStep::Applied(
                        if m.family == Family::Ipv4 && nat_rewrite_v4(other, manip, p) {
                            CtVerdict::Accept
                        } else {
                            nat_rewrite(other, manip, p, m.family, false)
                        },
                    )),
                    NatFast::Walk => Some(NatStep::Walk),
                    NatFast::NewRelated => None,
                };
                match fast {
                    Some(f) => {
                        assert_eq!(f, step);
                        assert_eq!(&q[..], &p[..]);
                    }
                    None => p.copy_from_slice(&q),
                }
                match step {
                    NatStep::Skip => NatAction::Skip,
                    NatStep::Applied(v) => return v,
                    NatStep::Walk => NatAction::WalkRules,
                }
            } else {
                self.ct.nat_action(slot, hook, &m)
            };
            match action {
                NatAction::Skip => return CtVerdict::Accept,
                NatAction::WalkRules => {
                    let h = slot.handle().unwrap();
                    let now = ms(self.now);
                    let manip = ManipType::of_hook(hook);
                    let v = match rule {
                        2 | 3 => {
                            self.ct
                                .setup_nat(h, manip, &op.range(rule == 3), &mut self.rng, now)
                        }
                        _ => CtVerdict::Accept,
                    };
                    if v == CtVerdict::Drop {
                        return v;
                    }
                    if !self.ct.nat_initialized(h, manip) {
                        let v = if self.fast {
                            self.ct.alloc_null_binding(h, hook, &mut self.rng, now)
                        } else {
                            // nf_nat_alloc_null_binding, the general way.
                            let r = self.ct.tuple(h, Dir::Reply).unwrap();
                            let a = if manip == ManipType::Src {
                                r.dst_addr()
                            } else {
                                r.src_addr()
                            };
                            let range = NatRange {
                                flags: NatRangeFlags::MAP_IPS,
                                min_addr: a,
                                max_addr: a,
                                ..NatRange::default()
                            };
                            self.ct.setup_nat(h, manip, &range, &mut self.rng, now)
                        };
                        if v == CtVerdict::Drop {
                            return v;
                        }
                    }
                }
                NatAction::Apply => {}
            }
            if self.fast {
                // The host's `nf_nat_packet` after a walk
                // (`Host::nat_walk`), against `nat_packet` on a copy.
                let mut q = p.to_vec();
                let v = self.ct.nat_packet(slot, hook, &mut q, &m);
                let fast = match self.ct.nat_packet_fast(slot, hook) {
                    NatFast::Rewrite(other, manip) => {
                        if m.family == Family::Ipv4 && nat_rewrite_v4(other, manip, p) {
                            Some(CtVerdict::Accept)
                        } else {
                            Some(nat_rewrite(other, manip, p, m.family, false))
                        }
                    }
                    NatFast::Skip | NatFast::Done => Some(CtVerdict::Accept),
                    NatFast::NewRelated | NatFast::Walk => None,
                };
                if let Some(f) = fast {
                    assert_eq!(f, v);
                    assert_eq!(&q[..], &p[..]);
                }
                p.copy_from_slice(&q);
                return v;
            }
            self.ct.nat_packet(slot, hook, p, &m)
        }

        /// One packet through conntrack, both nat hooks and confirm; the
        /// packet as it leaves and what happened, for comparison.
        pub(super) fn run(&mut self, op: &Op) -> (Vec<u8>, Vec<String>) {
            let r = self.run_one(op);
            self.last = endpoints(&r.0);
            r
        }

        fn run_one(&mut self, op: &Op) -> (Vec<u8>, Vec<String>) {
            let mut log = Vec::new();
            self.now += op.gap;
            let now = ms(self.now);
            // A reply answers the packet as it left, after NAT.
            let mut p = match (op.again, &self.last) {
                (2, Some((s, sp, d, dp))) => {
                    let mut op = op.clone();
                    op.kind = match op.kind {
                        3 => 4,
                        4 => 3,
                        k => k,
                    };
                    op.packet_between(d, *dp, s, *sp)
                }
                _ => op.packet(),
            };
            let (h1, h2) = match (op.sent, op.local) {
                (true, _) => (Hook::LocalOut, Hook::PostRouting),
                (false, true) => (Hook::PreRouting, Hook::LocalIn),
                (false, false) => (Hook::PreRouting, Hook::PostRouting),
            };
            let tmpl = (op.helper != 0).then(|| CtTemplate {
                helper: Some(if op.helper == 1 {
                    HelperKind::Ftp
                } else {
                    HelperKind::Tftp
                }),
                ..CtTemplate::default()
            });
            let r = self.ct.process_tmpl(&p, &meta(&p), h1, now, tmpl);
            log.push(format!("{r:?}"));
            let slot = r.slot;
            let v = self.nat_hook(slot, h1, op.first, op, &mut p);
            log.push(format!("{v:?}"));
            let v2 = if v == CtVerdict::Accept {
                self.nat_hook(slot, h2, op.second, op, &mut p)
            } else {
                v
            };
            log.push(format!("{v2:?}"));
            if op.drop || v2 == CtVerdict::Drop {
                if let Some(h) = slot.handle() {
                    self.ct.discard_unconfirmed(h);
                }
                return (p, log);
            }
            if self.fast && self.ct.confirm_is_noop(slot) {
                // What help and confirm would have answered.
                log.push(format!("{:?}", HelpVerdict::Accept));
                log.push(format!("{:?}", CtVerdict::Accept));
                return (p, log);
            }
            let mut m = meta(&p);
            let mut partial = false;
            let at = HelpAt {
                csum_partial: &mut partial,
                local: h2 == Hook::LocalIn,
                loopback: false,
            };
            let mut buf = p;
            let hv = self.ct.help(slot, &mut buf, &mut m, at, now);
            log.push(format!("{hv:?}"));
            if hv == HelpVerdict::Accept {
                log.push(format!("{:?}", self.ct.confirm(slot, now)));
            }
            (buf, log)
        }

        pub(super) fn state(&self) -> String {
            format!("{:?}", self.ct)
        }
    }

    /// Runs `op` in `w` with every kernel-bucket walk taken (`walk`) or
    /// the small slab's shortcut allowed (`walk_free`).
    fn run_walking(w: &mut World, op: &Op, walk: bool) -> (Vec<u8>, Vec<String>) {
        crate::conntrack::table::ALWAYS_WALK.with(|x| x.set(walk));
        let r = w.run(op);
        crate::conntrack::table::ALWAYS_WALK.with(|x| x.set(false));
        r
    }

    /// Runs `op` in `w` with new connections through the general path
    /// alone (`general`) or the new-connection fast path allowed.
    fn run_new_general(w: &mut World, op: &Op, general: bool) -> (Vec<u8>, Vec<String>) {
        crate::conntrack::table::NO_NEW_FAST.with(|x| x.set(general));
        let r = w.run(op);
        crate::conntrack::table::NO_NEW_FAST.with(|x| x.set(false));
        r
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// The new-connection fast path (`new_udp4`, and confirm's) against
        /// the general path: the same packets, verdicts and table, with
        /// NAT, helpers, expectations, expiry and a full table about.
        #[test]
        fn new_udp4_agrees_with_the_general_path(ops in proptest::collection::vec(op(), 1..40)) {
            let (mut fast, mut general) = (World::new(true), World::new(true));
            for (i, op) in flows(ops).iter().enumerate() {
                let a = run_new_general(&mut fast, op, false);
                let b = run_new_general(&mut general, op, true);
                prop_assert_eq!(a, b, "packet {} {:?}", i, op);
                prop_assert_eq!(fast.state(), general.state(), "packet {} {:?}", i, op);
            }
        }

        /// The small slab's shortcut (`walk_free`: a new connection's
        /// lookup, `nf_conntrack_tuple_taken` of the null binding and the
        /// NAT port search without the jhash, the original tuple's bucket
        /// left to confirm) against every bucket walked: the same packets,
        /// verdicts and table (but the buckets of unhashed entries).
        #[test]
        fn small_slab_agrees_with_bucket_walks(ops in proptest::collection::vec(op(), 1..40)) {
            let (mut short, mut walk) = (World::new(true), World::new(true));
            for (i, op) in flows(ops).iter().enumerate() {
                let a = run_walking(&mut short, op, false);
                let b = run_walking(&mut walk, op, true);
                prop_assert_eq!(a, b, "packet {} {:?}", i, op);
                prop_assert_eq!(
                    short.ct.debug_hashed_buckets(),
                    walk.ct.debug_hashed_buckets(),
                    "packet {} {:?}", i, op
                );
            }
        }

        #[test]
        fn fast_paths_agree_with_general(ops in proptest::collection::vec(op(), 1..40)) {
            let (mut fast, mut general) = (World::new(true), World::new(false));
            for (i, op) in flows(ops).iter().enumerate() {
                let a = fast.run(op);
                let b = general.run(op);
                prop_assert_eq!(a, b, "packet {} {:?}", i, op);
                prop_assert_eq!(fast.state(), general.state(), "packet {} {:?}", i, op);
            }
        }
    }
}

/// A flow without NAT is flagged `fast::INV` in the lookup index (its
/// reply tuple is its original swapped: the lookup compares against the
/// entry's first line); a NATed flow is not, and a packet carrying its
/// original tuple swapped (not its reply tuple) is not taken for its reply.
#[test]
fn reply_lookup_with_and_without_nat() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(7);
    let flagged = |ct: &ConntrackTable, h: CtHandle| {
        let reply = h.idx * 2 + 1;
        let s = ct.fast.slots();
        (
            s.iter().any(|&s| s as u32 == reply | fast::INV),
            s.iter().any(|&s| s as u32 == reply),
        )
    };
    // A: no NAT.
    let p = udp("192.0.2.10", 5000, "198.51.100.9", 53, 4);
    let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    let a = r.slot.handle().unwrap();
    assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(flagged(&ct, a), (true, false));
    // B: SNAT 10.0.0.1 to 203.0.113.1, the port kept.
    let p = udp("10.0.0.1", 5000, "198.51.100.9", 53, 4);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, ms(0));
    let b = r.slot.handle().unwrap();
    assert_eq!(
        ct.alloc_null_binding(b, Hook::PreRouting, &mut rng, ms(0)),
        CtVerdict::Accept
    );
    let pub_ip = ip("203.0.113.1");
    assert_eq!(
        ct.setup_nat(
            b,
            ManipType::Src,
            &NatRange::to(pub_ip, pub_ip, None),
            &mut rng,
            ms(0)
        ),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(flagged(&ct, b), (false, true));
    // Replies: A's through its first line, B's through its reply tuple.
    for (src, dst, h) in [
        ("198.51.100.9", "192.0.2.10", a),
        ("198.51.100.9", "203.0.113.1", b),
    ] {
        let q = udp(src, 53, dst, 5000, 4);
        let r = ct.process(&q, &meta(&q), Hook::PreRouting, ms(1));
        assert_eq!(r.slot.handle(), Some(h));
        assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    }
    // B's original swapped is another flow's first packet.
    let q = udp("198.51.100.9", 53, "10.0.0.1", 5000, 4);
    let r = ct.process(&q, &meta(&q), Hook::PreRouting, ms(2));
    assert_eq!(r.slot.info(), Some(CtInfo::New));
    assert_ne!(r.slot.handle(), Some(b));
    // Deleting both leaves no node behind (remove finds the flagged node).
    ct.discard_unconfirmed(r.slot.handle().unwrap());
    for h in [a, b] {
        assert!(ct.remove(h));
    }
    assert!(ct.fast.slots().iter().all(|&s| s == fast::EMPTY));
}
