//! The table (`table.rs`, `mod.rs`): expiry, eviction, growth, the generic tracker, invariants.

use super::*;

/// basic-server trace packet 3: a SYN rejected by the ruleset leaves nothing.
#[test]
fn dropped_packet_leaves_nothing() {
    let mut s = Sim::new(Config::with_max(4));
    let syn =
        hex("45000028000100004006f6b9c0000214c0000201c3510d3d00000001000000005002faf0604c0000");
    let r = s.ct.process(&syn, &meta(&syn), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    assert_eq!(s.ct.count(), 1);
    assert_eq!(
        s.ct.entries(ms(0)).count(),
        0,
        "unconfirmed entries are not listed"
    );
    s.ct.discard_unconfirmed(h);
    assert_eq!(s.ct.count(), 0);
    assert!(s.ct.status(h).is_none(), "stale handle");
    assert_eq!(s.ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(s.ct.entries(ms(0)).count(), 0);
}

#[test]
fn expiry_is_lazy_and_exact() {
    let mut s = Sim::new(Config::with_max(4));
    let p = udp(A, 5000, B, 53, 0);
    let slot = s.inp(&p, ms(0));
    let h = slot.handle().unwrap();
    assert_eq!(s.ct.remaining_secs(h, ms(29_999)), Some(0));
    assert_eq!(s.ct.entries(ms(29_999)).count(), 1);
    assert_eq!(s.ct.entries(ms(30_000)).count(), 0);
    // A packet after expiry creates a NEW entry.
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(30_000));
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    assert_ne!(r.slot.handle(), Some(h));
    assert!(s.ct.status(h).is_none());
}

/// A new connection's lookup reclaims every expired entry of its bucket
/// and walks on (`____nf_conntrack_find`): with one bucket, both nodes of
/// each entry sit side by side in the chain, newest first, and all go.
#[test]
fn lookup_reclaims_the_whole_bucket() {
    let mut cfg = Config::with_max(16);
    cfg.buckets = 1;
    let mut s = Sim::new(cfg);
    for i in 0..5 {
        s.inp(&udp(A, 5000 + i, B, 53, 0), ms(u64::from(i)));
    }
    // A reply: an entry in the middle lives on.
    s.inp(&udp(B, 53, A, 5002, 0), ms(20_000));
    assert_eq!(s.ct.count(), 5);
    let p = udp(A, 6000, B, 53, 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(40_000));
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    // Four reclaimed, one live, one new (unconfirmed).
    assert_eq!(s.ct.count(), 2);
    assert_eq!(s.ct.entries(ms(40_000)).count(), 1);
    assert_eq!(s.ct.confirm(r.slot, ms(40_000)), CtVerdict::Accept);
    assert_eq!(s.ct.entries(ms(40_000)).count(), 2);
}

#[test]
fn generic_protocols() {
    let mut s = Sim::new(Config::with_max(4));
    // GREv0: keys 0 (as Linux 6.18 prints it).
    let p = build(A, B, proto::GRE, vec![0, 0, 0x08, 0]);
    s.inp(&p, ms(0));
    assert_eq!(
        s.one(ms(0)),
        ("ipv4 gre timeout=30, stream_timeout=180 src=192.0.2.20 dst=192.0.2.1 srckey=0x0 dstkey=0x0 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 srckey=0x0 dstkey=0x0 mark=0".into(), 29)
    );
    // GREv1 (PPTP) carries the call id as destination key.
    let p = build(
        A,
        B,
        proto::GRE,
        vec![0x20, 0x01, 0x88, 0x0b, 0, 4, 0x12, 0x34],
    );
    s.inp(&p, ms(0));
    assert!(s
        .listing(ms(0))
        .iter()
        .any(|(l, _)| l.contains("srckey=0x0 dstkey=0x1234 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 srckey=0x1234 dstkey=0x0")));
    // GREv1 that is not PPP: not tracked.
    let p = build(
        A,
        B,
        proto::GRE,
        vec![0x20, 0x01, 0x08, 0x00, 0, 4, 0x12, 0x35],
    );
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // A reply makes it a stream (180 s) and ASSURED at once.
    let r = build(B, A, proto::GRE, vec![0, 0, 0x08, 0]);
    s.pass(&r, Hook::LocalOut, ms(1));
    s.inp(&build(A, B, proto::GRE, vec![0, 0, 0x08, 0]), ms(2));
    assert!(s
        .listing(ms(2))
        .iter()
        .any(|(l, t)| l.contains("dstkey=0x0 [ASSURED]") && *t == 179));
    // Unknown protocols and DCCP (no tracker in 6.18): generic, 600 s.
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&build(A, B, 253, vec![1, 2, 3]), ms(0));
    s.inp(
        &build(
            A,
            B,
            proto::DCCP,
            vec![
                0x9c, 0x40, 0, 80, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        ),
        ms(0),
    );
    let l = s.listing(ms(0));
    assert_eq!(l[0], ("ipv4 unknown src=192.0.2.20 dst=192.0.2.1 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 mark=0".into(), 599));
    assert_eq!(l.len(), 2);
}

#[test]
fn fragments_are_untracked_invalid() {
    let mut s = Sim::new(Config::with_max(4));
    let mut p = udp(A, 1, B, 2, 8);
    p[6] = 0x00;
    p[7] = 0x10; // offset 16 * 8
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
}

#[test]
fn table_full_early_drop() {
    let mut cfg = Config::with_max(2);
    cfg.buckets = 1;
    let mut s = Sim::new(cfg);
    s.inp(&udp(A, 1, B, 2, 0), ms(0));
    s.inp(&udp(A, 3, B, 4, 0), ms(0));
    // Full: the non-assured entries of the chain are evicted.
    let p = udp(A, 5, B, 6, 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(1));
    assert_eq!(r.verdict, CtVerdict::Accept);
    s.ct.confirm(r.slot, ms(1));
    assert_eq!(s.listing(ms(1)).len(), 1);

    // Two assured TCP connections: nothing to evict, the new packet is dropped.
    let mut cfg = Config::with_max(2);
    cfg.buckets = 1;
    let mut s = Sim::new(cfg);
    handshake(&mut s, 0);
    s.inp(&tcp(A, 40010, B, 80, 100, 0, SYN, 64000, &[], 0), ms(10));
    s.pass(
        &tcp(B, 80, A, 40010, 500, 101, SYN | ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(11),
    );
    s.inp(&tcp(A, 40010, B, 80, 101, 501, ACK, 64000, &[], 0), ms(12));
    let p = udp(A, 5, B, 6, 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(13));
    assert_eq!(r.verdict, CtVerdict::Drop);
    assert_eq!(s.ct.count(), 2);
}

/// A full small table (`walk_free`: the new connection's bucket left
/// unknown) evicts with the same hash as when every bucket is walked:
/// `make_room` computes it (`early_drop` scans from its bucket).
#[test]
fn full_small_slab_evicts_as_the_walk() {
    let run = |walk: bool| {
        crate::conntrack::table::ALWAYS_WALK.with(|x| x.set(walk));
        let mut cfg = Config::with_max(4);
        cfg.buckets = 16;
        let mut s = Sim::new(cfg);
        let mut log = Vec::new();
        for i in 0..40u16 {
            let p = udp(A, 1000 + i * 7, B, 53, 0);
            let r =
                s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(u64::from(i)));
            let v = s.ct.confirm(r.slot, ms(u64::from(i)));
            log.push(format!("{:?} {v:?} {}", r.verdict, s.ct.count()));
        }
        crate::conntrack::table::ALWAYS_WALK.with(|x| x.set(false));
        (log, s.ct.debug_hashed_buckets())
    };
    let (short, walked) = (run(false), run(true));
    // Full from the fourth connection on: each later one evicts.
    assert!(
        short.0.iter().filter(|l| l.ends_with(" 4")).count() > 20,
        "{:?}",
        short.0
    );
    assert_eq!(short, walked);
}

/// The new-connection fast path (`new_udp4`, and confirm's) against the
/// general path on a table past the small slab, its buckets shared and
/// its entries expiring (every walk reclaims), full at times (`make_room`,
/// `early_drop`): random UDP and TCP flows (bad lengths, header lengths
/// and checksums among them),
/// both hooks, some dropped before confirm; the same verdicts and table.
#[test]
fn new_udp4_agrees_with_the_general_path() {
    let run = |general: bool, seed: u64, max: u32, buckets: u32| {
        crate::conntrack::table::NO_NEW_FAST.with(|x| x.set(general));
        let mut cfg = Config::with_max(max);
        cfg.buckets = buckets;
        cfg.udp_timeout = crate::time::Duration::from_millis(300);
        let mut s = Sim::new(cfg);
        let mut rng = SplitMix64::new(seed);
        let mut log = Vec::new();
        let mut t = 0u64;
        for _ in 0..3000 {
            t += u64::from(rng.next_u16() % 8);
            let a = rng.next_u16();
            let sport = 1000 + a % 97;
            let (src, dst) = if a & 0x8000 == 0 { (A, B) } else { (B, A) };
            let dport = 53 + (a >> 12) % 3;
            // A reply now and then.
            let (src, sport, dst, dport) = if a & 0x1800 == 0 {
                (dst, dport, src, sport)
            } else {
                (src, sport, dst, dport)
            };
            let b = rng.next_u16();
            let mut p = if b & 0x300 == 0 {
                // TCP: SYN mostly, else SYN-ACK, ACK, RST, FIN-ACK.
                let flags = [SYN, SYN, SYN, SYN | ACK, ACK, RST, FIN | ACK, SYN | RST];
                let f = flags[usize::from(b >> 13)];
                tcp(
                    src,
                    sport,
                    dst,
                    dport,
                    u32::from(b),
                    0,
                    f,
                    1000,
                    &[],
                    usize::from(a % 3),
                )
            } else {
                udp(src, sport, dst, dport, usize::from(a % 5))
            };
            let (len_at, sum_at) = if p[9] == 6 { (32, 36) } else { (24, 26) };
            match b % 16 {
                // A bad checksum.
                0 => p[sum_at + 1] ^= 1,
                // A bad length (UDP), data offset (TCP).
                1 => p[len_at + 1] = 4,
                // No checksum.
                2 if p[9] == 17 => (p[26], p[27]) = (0, 0),
                _ => {}
            }
            let hook = if a & 0x100 == 0 {
                Hook::PreRouting
            } else {
                Hook::LocalOut
            };
            let r = s.ct.process(&p, &meta(&p), hook, ms(t));
            let v = if a & 0x600 == 0 {
                if let Some(h) = r.slot.handle() {
                    s.ct.discard_unconfirmed(h);
                }
                None
            } else {
                Some(s.ct.confirm(r.slot, ms(t)))
            };
            log.push(format!("{r:?} {v:?} {}", s.ct.count()));
        }
        crate::conntrack::table::NO_NEW_FAST.with(|x| x.set(false));
        (log, format!("{:?}", s.ct))
    };
    for (seed, max, buckets) in [
        (1, 64, 16),
        (2, 40, 7),
        (3, 1000, 64),
        (4, 24, 1),
        (5, 6, 4),
    ] {
        let (fast, general) = (
            run(false, seed, max, buckets),
            run(true, seed, max, buckets),
        );
        assert_eq!(fast.0, general.0, "seed {seed}");
        assert_eq!(fast.1, general.1, "seed {seed}");
    }
}

#[test]
fn attach_reply_slot() {
    let mut s = Sim::new(Config::with_max(4));
    let slot = s.inp(&tcp(A, 40000, B, 80, 100, 0, SYN, 64000, &[], 0), ms(0));
    let att = slot.attach_reply();
    assert_eq!(att.info(), Some(CtInfo::RelatedReply));
    assert_eq!(att.attach_reply().info(), Some(CtInfo::Related));
    assert_eq!(att.handle(), slot.handle());
}

#[test]
fn config_errors_and_table_new() {
    // nf_conntrack_max = 0 is "no limit" in the kernel: nothing to reserve.
    assert!(ConntrackTable::new(Config::with_max(0)).is_ok());
    let mut cfg = Config::with_max(4);
    cfg.buckets = 0;
    assert_eq!(ConntrackTable::new(cfg).err(), Some(ConfigError::BadValue));
    let mut cfg = Config::with_max(4);
    cfg.buckets = MAX_BUCKETS + 1;
    assert_eq!(ConntrackTable::new(cfg).err(), Some(ConfigError::NoMemory));
    let mut c = Config::default();
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_timestamp", 1),
        Err(ConfigError::Unsupported)
    );
}

#[test]
fn acct_counters_in_proc() {
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_acct", 1).unwrap();
    let mut s = Sim::new(cfg);
    s.inp(&udp(A, 1, B, 2, 0), ms(0));
    let (l, _) = s.one(ms(0));
    assert!(l.contains("dport=2 packets=1 bytes=28 [UNREPLIED]"), "{l}");
}

/// Invariants over many random flows: a reply tuple finds the same entry,
/// the table never holds more than `max`, and the slab never grows beyond
/// the next power of two of `max` (it starts empty and doubles).
#[test]
fn invariants_random_flows() {
    let max = 64;
    let mut cfg = Config::with_max(max);
    cfg.buckets = 16;
    let mut ct = ConntrackTable::new(cfg).unwrap();
    assert_eq!(ct.entries.capacity(), 0);
    let mut rng = SplitMix64::new(9);
    let mut live: Vec<CtHandle> = Vec::new();
    for i in 0..2000u64 {
        let now = ms(i * 100);
        let a = rng.next_u16();
        let sport = 1024 + (a % 200);
        let dport = [22, 53, 80][usize::from(a % 3)];
        let kind = rng.next_u16() % 3;
        let p = match kind {
            0 => tcp(A, sport, B, dport, 1, 0, SYN, 1000, &[], 0),
            1 => udp(A, sport, B, dport, 3),
            _ => icmp(A, B, 8, 0, sport, &[]),
        };
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::PreRouting, now);
        assert!(ct.count() <= max);
        if let Some(h) = r.slot.handle() {
            if rng.next_u16() % 5 == 0 {
                ct.discard_unconfirmed(h);
            } else {
                ct.confirm(r.slot, now);
                live.push(h);
            }
        }
        assert!(ct.count() <= max);
        // Every listed entry is found again through its reply tuple.
        if i % 97 == 0 {
            let hs: Vec<_> = ct.entries(now).collect();
            for h in hs {
                let rt = ct.tuple(h, Dir::Reply).unwrap();
                let (idx, dir) = ct.find(&rt, Default::default(), now).unwrap();
                assert_eq!((idx, dir), (h.idx, Dir::Reply));
                let ot = ct.tuple(h, Dir::Original).unwrap();
                assert_eq!(
                    ct.find(&ot, Default::default(), now).unwrap(),
                    (h.idx, Dir::Original)
                );
            }
        }
    }
    assert!(ct.entries.len() <= max as usize);
    assert!(ct.entries.capacity() <= max as usize);
    assert!(ct.free.capacity() >= ct.entries.len() && ct.dying.capacity() >= ct.entries.len());
    assert_eq!(ct.heads.len(), 16);
    let copy = ct.clone();
    assert!(copy.free.capacity() >= copy.entries.len());
    assert!(copy.dying.capacity() >= copy.entries.len());
}

/// The sysctl path: `nf_conntrack_buckets` rounded up to a page of heads
/// and refused above what `nf_ct_alloc_hashtable` allocates (both checked
/// on Linux 6.18); huge `nf_conntrack_max` and `nf_conntrack_buckets`
/// reserve nothing.
#[test]
fn huge_settings_cost_nothing_until_used() {
    let mut c = Config::default();
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 261_633),
        Ok(true)
    );
    assert_eq!(c.buckets, 262_144);
    assert_eq!(c.set("net.netfilter.nf_conntrack_buckets", 1), Ok(true));
    assert_eq!(c.buckets, 512);
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 2_147_483_647),
        Err(ConfigError::NoMemory)
    );
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 268_435_456),
        Err(ConfigError::NoMemory)
    );
    // INT_MAX / 8 itself rounds up past the limit.
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 268_435_455),
        Err(ConfigError::NoMemory)
    );
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", i64::from(MAX_BUCKETS)),
        Ok(true)
    );
    assert_eq!(c.buckets, MAX_BUCKETS);
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_max", 2_147_483_647),
        Ok(true)
    );
    assert!(ConfigError::NoMemory.to_string().contains("268434944"));
    let mut ct = ConntrackTable::new(c).unwrap();
    assert!(ct.heap_bytes() < 4096, "{} bytes", ct.heap_bytes());
    // Entries come one by one; memory follows them.
    for i in 0..2000u16 {
        let p = udp(A, 1000 + i, B, 53, 0);
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    }
    assert_eq!(ct.count(), 2000);
    let per_entry = ct.heap_bytes() / 2000;
    assert!(per_entry < 1024, "{per_entry} bytes per entry");
    for i in 0..2000u16 {
        let p = udp(B, 53, A, 1000 + i, 0);
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(1));
        assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    }
}

/// The chains are an implementation detail: a table whose index grows
/// with its entries behaves exactly like one with a chain per kernel
/// bucket from the start (the layout before growth existed): same
/// verdicts, slots, NAT tuples, evictions (`early_drop` over
/// `nf_conntrack_buckets`), reclaimed expired entries and listings.
#[test]
fn growing_index_behaves_like_full_buckets() {
    for (max, buckets) in [
        (3000u32, 3000u32),
        (1500, 700),
        (0, 5000),
        (300, 5000),
        (400, 100_000),
    ] {
        let mut cfg = Config::with_max(max);
        cfg.buckets = buckets;
        cfg.udp_timeout = Duration::from_secs(2);
        let mut grow = ConntrackTable::new(cfg.clone()).unwrap();
        let mut full = ConntrackTable::new(cfg).unwrap();
        full.heads = vec![NIL; full.max_chains];
        full.src_heads = vec![NIL; full.max_chains];
        let (mut rg, mut rf) = (SplitMix64::new(5), SplitMix64::new(5));
        let mut traffic = SplitMix64::new(77);
        let pool = ip("203.0.113.1");
        let snat = NatRange::to(pool, pool, None);
        let mut t = 0u64;
        for step in 0..12_000u32 {
            t += u64::from(traffic.next_u16() % 3);
            let now = ms(t);
            let a = traffic.next_u16();
            let client = format!("10.0.{}.{}", (a >> 8) % 8, a % 200);
            let sport = 1024 + traffic.next_u16() % 512;
            let p = match traffic.next_u16() % 4 {
                0 => tcp(&client, sport, B, 80, 1, 0, SYN, 1000, &[], 0),
                1 => icmp(&client, B, 8, 0, sport, &[]),
                _ => udp(&client, sport, B, 53, 1),
            };
            let nat = traffic.next_u16() % 2 == 0;
            let m = meta(&p);
            let mut outs = Vec::new();
            for (ct, rng) in [(&mut grow, &mut rg), (&mut full, &mut rf)] {
                let r = ct.process(&p, &m, Hook::LocalOut, now);
                let mut o = (r.verdict, r.slot.info(), None, CtVerdict::Accept);
                if let Some(h) = r.slot.handle() {
                    ct.alloc_null_binding(h, Hook::LocalOut, rng, now);
                    if nat {
                        ct.setup_nat(h, ManipType::Src, &snat, rng, now);
                    } else {
                        ct.alloc_null_binding(h, Hook::PostRouting, rng, now);
                    }
                    o.2 = ct.tuple(h, Dir::Reply);
                    o.3 = ct.confirm(r.slot, now);
                    // Some answers, which make entries ASSURED later.
                    if let Some(rt) = o.2.filter(|_| step % 3 == 0) {
                        let q = match rt.proto {
                            17 => udp(
                                &rt.src_addr().to_string(),
                                rt.src_u,
                                &rt.dst_addr().to_string(),
                                rt.dst_u,
                                1,
                            ),
                            _ => Vec::new(),
                        };
                        if !q.is_empty() {
                            let qr = ct.process(&q, &meta(&q), Hook::PreRouting, now);
                            assert_eq!(qr.slot.info(), Some(CtInfo::EstablishedReply));
                        }
                    }
                }
                outs.push((o, ct.count()));
            }
            assert_eq!(outs[0], outs[1], "max {max} buckets {buckets} step {step}");
            if step % 500 == 0 {
                let lg: Vec<_> = grow
                    .entries(now)
                    .map(|h| grow.proc_entry(h).unwrap().to_string())
                    .collect();
                let lf: Vec<_> = full
                    .entries(now)
                    .map(|h| full.proc_entry(h).unwrap().to_string())
                    .collect();
                assert_eq!(lg, lf, "max {max} buckets {buckets} step {step}");
            }
        }
        // The growing table did grow, and stayed within the kernel's buckets.
        assert!(grow.heads.len() > INITIAL_CHAINS, "{}", grow.heads.len());
        assert!(grow.heads.len() <= (buckets as usize).next_power_of_two());
    }
}

#[test]
fn garbage_never_panics() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(3);
    for n in 0..3000u64 {
        let len = usize::from(rng.next_u16() % 80);
        let mut p: Vec<u8> = (0..len).map(|_| rng.next_u16() as u8).collect();
        let proto = [1u8, 6, 17, 58, 47, 136, 132][usize::from(rng.next_u16() % 7)];
        let v6 = rng.next_u16() % 2 == 0;
        let l4_offset = usize::from(rng.next_u16() % 48);
        // A meta that need not agree with the bytes (addresses are read
        // from them, whatever they hold).
        let meta = PacketMeta {
            family: if v6 { Family::Ipv6 } else { Family::Ipv4 },
            l3_len: 20,
            protocol: IpProtocol(proto),
            thoff: l4_offset,
            fragoff: 0,
            is_fragment: false,
            l4_len: len.saturating_sub(l4_offset),
            find_hdr_error: None,
        };
        let nat_to = if v6 {
            ip("2001:db8::1")
        } else {
            ip("192.0.2.1")
        };
        let hook = if n % 2 == 0 {
            Hook::PreRouting
        } else {
            Hook::LocalOut
        };
        let r = ct.process(&p, &meta, hook, ms(n));
        let mut nrng = SplitMix64::new(n);
        if let Some(h) = r.slot.handle() {
            let _ = ct.alloc_null_binding(h, Hook::PreRouting, &mut nrng, ms(n));
            let range = NatRange::to(nat_to, nat_to, Some((1, 10)));
            let _ = ct.setup_nat(h, ManipType::Src, &range, &mut nrng, ms(n));
            let _ = ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &meta);
            let _ = ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &meta);
            let _ = ct.nat_packet(r.slot.attach_reply(), Hook::PostRouting, &mut p, &meta);
            let _ = ct.confirm(r.slot, ms(n));
            let _ = ct.proc_entry(h).map(|e| e.to_string());
        }
    }
}

#[test]
fn remove_and_flush() {
    let mut s = Sim::new(Config::with_max(4));
    let a = s.inp(&udp(A, 1, B, 2, 0), ms(0)).handle().unwrap();
    s.inp(&udp(A, 3, B, 4, 0), ms(0));
    assert!(s.ct.remove(a));
    assert!(!s.ct.remove(a));
    assert_eq!(s.listing(ms(0)).len(), 1);
    s.ct.flush();
    assert_eq!(s.ct.count(), 0);
    assert!(s.listing(ms(0)).is_empty());
    s.inp(&udp(A, 1, B, 2, 0), ms(1));
    assert_eq!(s.ct.count(), 1);
}

/// The hot part of an entry is two cache lines, each tuple at the head of
/// its own (issue 15: at most 128 bytes; TCP state, NAT data, counters'
/// high halves and the kernel-bucket links live beside it), the two an
/// aligned pair; the first holds all an established packet of a flow
/// without NAT reads and writes (status, deadline, tracker state), the
/// second the reply tuple and the counters (`nf_conntrack_acct`).
#[test]
fn hot_entry_is_two_cache_lines() {
    use super::super::Entry;
    assert_eq!(core::mem::size_of::<Entry>(), 128);
    assert_eq!(core::mem::align_of::<Entry>(), 128);
    // Cold: chain links, kernel buckets, lookup-index tags (session 10:
    // unhashing without hashing both tuples again), mark, NAT index; the
    // counters' high halves beside it only under `nf_conntrack_acct`.
    assert_eq!(core::mem::size_of::<super::super::Cold>(), 32);
    assert_eq!(core::mem::size_of::<super::super::AcctHi>(), 16);
    assert_eq!(core::mem::offset_of!(Entry, t0), 0);
    assert_eq!(core::mem::offset_of!(Entry, t1), 64);
    for end in [
        core::mem::offset_of!(Entry, status) + 4,
        core::mem::offset_of!(Entry, gen) + 4,
        core::mem::offset_of!(Entry, timeout) + 8,
        core::mem::offset_of!(Entry, l4k) + 1,
        core::mem::offset_of!(Entry, l4v) + 8,
    ] {
        assert!(
            end <= 64,
            "a field an established packet reads ends at {end}"
        );
    }
    assert!(core::mem::offset_of!(Entry, acct0) >= 64);
    assert!(core::mem::offset_of!(Entry, acct1) >= 64);
}

/// The counters are 64-bit (`nf_conn_counter`): the low halves kept in the
/// entry carry into the high halves beside it, exactly.
#[test]
fn counters_carry_past_32_bits() {
    use crate::conntrack::{Config, ConntrackTable, Dir, Hook};
    use crate::time::Instant;
    let pkt = |s: [u8; 4], sp: u16, d: [u8; 4], dp: u16| {
        crate::wire::PacketBuilder::ipv4(s.into(), d.into())
            .udp(sp, dp)
            .payload(b"q")
            .build()
    };
    let mut cfg = Config::with_max(16);
    cfg.acct = true;
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let now = Instant::from_millis(0);
    let p = pkt([192, 0, 2, 10], 5000, [203, 0, 113, 53], 53);
    let m = crate::wire::meta::PacketMeta::parse(&p).unwrap();
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    ct.confirm(r.slot, now);
    let h = r.slot.handle().unwrap();
    let len = p.len() as u64;
    assert_eq!(ct.counters(h, Dir::Original), Some((1, len)));
    // The high halves, one pair a slot, exist under `nf_conntrack_acct`
    // only.
    assert_eq!(ct.acct_hi.len(), ct.cold.len());
    let mut off = ConntrackTable::new(Config::with_max(16)).unwrap();
    let r = off.process(&p, &m, Hook::PreRouting, now);
    off.confirm(r.slot, now);
    assert!(off.acct_hi.is_empty() && off.acct_hi.capacity() == 0);
    assert_eq!(off.counters(r.slot.handle().unwrap(), Dir::Original), None);
    ct.entries[h.idx as usize].acct1 = [u32::MAX, u32::MAX - 5];
    let q = pkt([203, 0, 113, 53], 53, [192, 0, 2, 10], 5000);
    let qm = crate::wire::meta::PacketMeta::parse(&q).unwrap();
    for i in 1..=2u64 {
        ct.process(&q, &qm, Hook::PreRouting, now);
        assert_eq!(
            ct.counters(h, Dir::Reply),
            Some((u64::from(u32::MAX) + i, u64::from(u32::MAX - 5) + i * len))
        );
    }
    assert_eq!(ct.counters(h, Dir::Original), Some((1, len)));
}

/// The lookup index and the kernel-bucket index hold the same nodes: every
/// tuple of every listed entry is found by both (`lookup` reads the lookup
/// index, `find_kb` walks the kernel bucket), and a tuple no listed entry
/// has is found by neither, through churn, expiry and NAT.
#[test]
fn lookup_index_agrees_with_kernel_buckets() {
    let mut cfg = Config::with_max(600);
    cfg.buckets = 64;
    cfg.udp_timeout = Duration::from_secs(1);
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let mut rng = SplitMix64::new(11);
    let pool = ip("203.0.113.1");
    let snat = NatRange::to(pool, pool, None);
    for i in 0..6000u64 {
        let now = ms(i * 3);
        let a = rng.next_u16();
        let client = format!("10.0.{}.{}", (a >> 8) % 4, a % 50);
        let sport = 1024 + rng.next_u16() % 64;
        let p = match rng.next_u16() % 3 {
            0 => tcp(&client, sport, B, 80, 1, 0, SYN, 1000, &[], 0),
            _ => udp(&client, sport, B, 53, 1),
        };
        let r = ct.process(&p, &meta(&p), Hook::LocalOut, now);
        if let Some(h) = r.slot.handle() {
            if rng.next_u16() % 2 == 0 {
                ct.setup_nat(h, ManipType::Src, &snat, &mut rng, now);
            }
            ct.confirm(r.slot, now);
        }
        if i % 50 == 0 {
            let hs: Vec<_> = ct.entries(now).collect();
            for h in hs {
                for dir in [Dir::Original, Dir::Reply] {
                    let t = ct.tuple(h, dir).unwrap();
                    assert_eq!(ct.lookup(&t, now), Some((h, dir)));
                    let kb = ct.kbucket(&t, 0);
                    assert_eq!(
                        ct.clone().find_kb(&t, kb, Default::default(), now),
                        Some((h.idx, dir))
                    );
                }
            }
            let absent = Tuple::new(ip("192.0.2.99"), ip(B), 17, 9, 9).unwrap();
            assert_eq!(ct.lookup(&absent, now), None);
        }
    }
}
