//! The UDP tracker (`udp.rs`).

use super::*;

#[test]
fn udp_timeouts_and_assured() {
    let mut s = Sim::new(Config::with_max(4));
    let c = "192.0.2.7";
    s.inp(&udp(c, 5000, B, 53, 4), ms(0));
    assert_eq!(s.one(ms(0)).1, 29);
    let slot = s.pass(&udp(B, 53, c, 5000, 4), Hook::LocalOut, ms(100));
    let (l, t) = s.one(ms(100));
    assert!(!l.contains("UNREPLIED") && !l.contains("ASSURED"), "{l}");
    assert_eq!(t, 29);
    // Within 2 s: still the unreplied timeout.
    s.inp(&udp(c, 5000, B, 53, 4), ms(1500));
    assert_eq!(s.one(ms(1500)).1, 29);
    // After 2 s: stream timeout, ASSURED.
    s.inp(&udp(c, 5000, B, 53, 4), ms(2500));
    let (l, t) = s.one(ms(2500));
    assert!(l.ends_with("[ASSURED] mark=0"), "{l}");
    assert_eq!(t, 119);
    assert!(s.ct.set_mark(slot.handle().unwrap(), 7));
    assert!(s.one(ms(2500)).0.ends_with("mark=7"));
    // Truncated / bad length: invalid.
    let mut p = udp(c, 5001, B, 53, 4);
    p[24..26].copy_from_slice(&100u16.to_be_bytes());
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::LocalOut, ms(3000)).slot,
        CtSlot::Invalid
    );
}

/// The established-UDP path (`fast.rs`) and the general path give the same
/// result and leave the table in the same state, for packets of confirmed
/// IPv4 and IPv6 flows in both directions, in PREROUTING (checksum
/// verified) and OUTPUT: good, bad and absent checksums, bad length
/// fields, payloads of every length mod 8, expired entries, unknown
/// tuples.
#[test]
fn established_path_is_the_general_path() {
    established_vs_general(false);
}

/// The same with an entry in a zone: IPv4 packets take
/// `established_udp_any`, not `established_udp4` (which serves only
/// tables without zones or timeout policies).
#[test]
fn established_path_is_the_general_path_with_zones() {
    established_vs_general(true);
}

fn established_vs_general(zoned: bool) {
    let mut ct = ConntrackTable::new(Config::with_max(64)).unwrap();
    if zoned {
        // A flow of zone 5 (`-j CT --zone 5`), never expiring in this test.
        let p = udp("192.0.2.9", 7000, "198.51.100.1", 53, 3);
        let tmpl = CtTemplate {
            zone: 5,
            ..CtTemplate::default()
        };
        let r = ct.process_tmpl(&p, &meta(&p), Hook::PreRouting, ms(0), Some(tmpl));
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
        assert!(ct.helpers.has_zones());
    }
    let flows = [
        ("192.0.2.7", 5000, "198.51.100.1", 53),
        ("192.0.2.8", 5001, "198.51.100.1", 53),
        ("2001:db8::7", 5000, "2001:db8::1", 53),
    ];
    for (i, &(c, cp, sv, sp)) in flows.iter().enumerate() {
        let p = udp(c, cp, sv, sp, 3);
        let now = ms(i as u64);
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, now);
        assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    }
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut fast_hits = 0;
    for step in 0..3000u64 {
        let r = next();
        let outer = &mut ct;
        let (c, cp, sv, sp) = flows[(r % 3) as usize];
        let reply = (r >> 2) & 1 == 1;
        let unknown = (r >> 3) % 16 == 0;
        let port = if unknown { cp + 1 } else { cp };
        let mut p = if reply {
            udp(sv, sp, c, port, (r >> 8) as usize % 19)
        } else {
            udp(c, port, sv, sp, (r >> 8) as usize % 19)
        };
        let th = if c.contains(':') { 40 } else { 20 };
        match (r >> 16) & 7 {
            0 => p[th + 6] ^= 1 << ((r >> 20) & 7),
            1 => p[th + 6..th + 8].fill(0),
            2 => p[th + 4..th + 6].copy_from_slice(&7u16.to_be_bytes()),
            3 => {
                let bad = (p.len() - th + 1) as u16;
                p[th + 4..th + 6].copy_from_slice(&bad.to_be_bytes());
            }
            _ => {}
        }
        let hook = if (r >> 24) & 1 == 0 {
            Hook::PreRouting
        } else {
            Hook::LocalOut
        };
        // Now and then far ahead: the entries expire.
        let now = ms(step * 10 + if (r >> 28) & 63 == 0 { 200 * S } else { 0 });
        let m = meta(&p);
        // Clones on both sides: a clone's slab and index have the same
        // capacities, hence the same index layout after growing.
        let mut general = outer.clone();
        let want = general.process_general(&p, &m, hook, now, None, false);
        let mut ct = outer.clone();
        let before = ct.clone();
        let got = match ct.established_udp(&p, &m, hook, now) {
            Ok(r) => {
                fast_hits += 1;
                r
            }
            Err(absent) => {
                same(&ct, &before, step + 100_000);
                ct.process_general(&p, &m, hook, now, None, absent)
            }
        };
        assert_eq!(got, want, "step {step}");
        same(&ct, &general, step);
        // As the host does at the end of the packet's path.
        ct.confirm(got.slot, now);
        if ct.count() < 3 + u32::from(zoned) {
            // Expired and reclaimed: the flows again.
            for (i, &(c, cp, sv, sp)) in flows.iter().enumerate() {
                let p = udp(c, cp, sv, sp, i);
                let r = ct.process(&p, &meta(&p), Hook::LocalOut, now);
                ct.confirm(r.slot, now);
            }
        }
        *outer = ct;
    }
    assert!(fast_hits > 1000, "{fast_hits}");
}

/// Two tables in the same state (their `Debug` text), or the first
/// difference.
fn same(a: &ConntrackTable, b: &ConntrackTable, step: u64) {
    let (a, b) = (format!("{a:?}"), format!("{b:?}"));
    if a != b {
        let i = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        let at = |s: &str| s[i.saturating_sub(300)..(i + 200).min(s.len())].to_string();
        panic!("step {step}: tables differ:\n{}\n--\n{}", at(&a), at(&b));
    }
}

/// `process_burst` (fast.rs) is `process` of each packet in order: the
/// same results and the same table (`Debug` text) after every burst, for
/// random bursts (longer than its 32-packet step too) of packets of
/// confirmed IPv4 and IPv6 UDP flows and of a TCP flow in both
/// directions, new flows (several packets of one new flow in one burst),
/// bad checksums and lengths, truncated packets, expiring entries (time
/// jumps between bursts), PREROUTING and OUTPUT, with and without a zoned
/// entry in the table (which turns off `established_udp4`). The results
/// are confirmed after each burst in order, on both tables alike.
mod burst {
    use super::*;
    use proptest::prelude::*;

    const FLOWS: [(&str, u16, &str, u16); 4] = [
        ("192.0.2.7", 5000, "198.51.100.1", 53),
        ("192.0.2.8", 5001, "198.51.100.1", 53),
        ("2001:db8::7", 5000, "2001:db8::1", 53),
        ("192.0.2.9", 6000, "198.51.100.1", 80),
    ];

    /// Packet `(flow, reply, kind, len)`; flow 4 and up: a new UDP flow
    /// (its port from the flow number); flow 3 is TCP.
    fn packet(flow: usize, reply: bool, kind: u8, len: usize) -> Vec<u8> {
        let (c, cp, sv, sp) = if flow < FLOWS.len() {
            FLOWS[flow]
        } else {
            ("192.0.2.10", 7000 + flow as u16, "198.51.100.1", 53)
        };
        let (s, spt, d, dpt) = if reply {
            (sv, sp, c, cp)
        } else {
            (c, cp, sv, sp)
        };
        let mut p = if flow == 3 {
            let flags = if reply { SYN | ACK } else { SYN };
            tcp(
                s,
                spt,
                d,
                dpt,
                100,
                u32::from(reply) * 101,
                flags,
                8192,
                &[],
                0,
            )
        } else {
            udp(s, spt, d, dpt, len)
        };
        let th = if c.contains(':') { 40 } else { 20 };
        if flow != 3 {
            match kind {
                0 => p[th + 6] ^= 1,
                1 => p[th + 6..th + 8].fill(0),
                2 => p[th + 4..th + 6].copy_from_slice(&7u16.to_be_bytes()),
                3 => {
                    let bad = (p.len() - th + 1) as u16;
                    p[th + 4..th + 6].copy_from_slice(&bad.to_be_bytes());
                }
                _ => {}
            }
        }
        p
    }

    fn setup(zoned: bool) -> ConntrackTable {
        let mut ct = ConntrackTable::new(Config::with_max(64)).unwrap();
        if zoned {
            let p = udp("192.0.2.99", 7000, "198.51.100.1", 53, 3);
            let tmpl = CtTemplate {
                zone: 5,
                ..CtTemplate::default()
            };
            let r = ct.process_tmpl(&p, &meta(&p), Hook::PreRouting, ms(0), Some(tmpl));
            assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
        }
        ct
    }

    type Burst = (bool, u64, Vec<(usize, bool, u8, usize)>);

    fn burst() -> impl Strategy<Value = Burst> {
        (
            any::<bool>(),
            prop_oneof![4 => 0u64..2000, 1 => 0u64..400_000],
            proptest::collection::vec((0usize..8, any::<bool>(), 0u8..10, 0usize..19), 0..40),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn process_burst_is_process_in_order(
            zoned in any::<bool>(),
            bursts in proptest::collection::vec(burst(), 1..12),
        ) {
            let mut a = setup(zoned);
            let mut b = a.clone();
            let mut now = 0;
            for (k, (pre, dt, pkts)) in bursts.into_iter().enumerate() {
                now += dt;
                let hook = if pre { Hook::PreRouting } else { Hook::LocalOut };
                let mut pkts: Vec<(Vec<u8>, PacketMeta)> = pkts
                    .into_iter()
                    .map(|(f, r, kind, len)| {
                        let p = packet(f, r, kind, len);
                        let m = meta(&p);
                        (p, m)
                    })
                    .collect();
                if k % 3 == 2 {
                    // Also a packet cut short, with the meta of the whole
                    // (the table must not read past it).
                    if let Some((p, _)) = pkts.first_mut() {
                        p.truncate(22);
                    }
                }
                let mut got = vec![
                    CtResult {
                        verdict: CtVerdict::Accept,
                        slot: CtSlot::Untracked,
                    };
                    pkts.len()
                ];
                prop_assert_eq!(a.process_burst(&pkts, hook, ms(now), &mut got), pkts.len());
                let want: Vec<CtResult> = pkts
                    .iter()
                    .map(|(p, m)| b.process(p, m, hook, ms(now)))
                    .collect();
                prop_assert_eq!(&got, &want);
                same(&a, &b, k as u64);
                for r in &got {
                    let x = a.confirm(r.slot, ms(now));
                    let y = b.confirm(r.slot, ms(now));
                    prop_assert_eq!(x, y);
                }
                same(&a, &b, 1000 + k as u64);
            }
        }
    }

    /// The shorter of the burst and the result slice decides.
    #[test]
    fn process_burst_stops_at_the_shorter() {
        let mut ct = setup(false);
        let p = packet(0, false, 9, 4);
        let m = meta(&p);
        let pkts = vec![(p, m); 3];
        let mut out = [CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Untracked,
        }; 2];
        assert_eq!(ct.process_burst(&pkts, Hook::LocalOut, ms(0), &mut out), 2);
        assert_eq!(
            ct.process_burst(&pkts[..1], Hook::LocalOut, ms(0), &mut out),
            1
        );
        assert_eq!(ct.process_burst(&pkts, Hook::LocalOut, ms(0), &mut []), 0);
    }
}
