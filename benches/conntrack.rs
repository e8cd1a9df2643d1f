//! Conntrack benchmarks: established-flow lookup in a table of 1M entries,
//! and new-connection setup in steady state. Before measuring, a counting
//! global allocator checks that the packet path allocates nothing.
//!
//! Each is printed as a ratio to a baseline measured in the same run
//! (absolute times drift on shared machines; ratios hold), the timed runs
//! of each and its baseline alternating (7 each, medians):
//! `conntrack/baseline_hashmap_1M`, a std `HashMap` with a multiply-xor
//! hasher looking up the same 5-tuples (the reply direction, as conntrack
//! does), and `conntrack/baseline_hashmap_insert`, an insert plus the
//! remove of the entry 4096 connections older (the same churn).
//! `conntrack/established_lookup_1M_output` is the same lookup in OUTPUT,
//! where the kernel verifies no checksum (`udp_error` checks it only in
//! PREROUTING): the lookup and the update without it.
//!
//! nfsim advises its large tables for huge pages (`src/conntrack/pages.rs`);
//! the baselines' maps are allocated plainly. `NFSIM_BENCH_HUGE_ALL=1`
//! advises them too, to compare both on huge pages.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use nfsim::conntrack::{
    Config, ConntrackTable, CtResult, CtSlot, CtVerdict, Hook, ManipType, NatRange, SplitMix64,
};
use nfsim::time::Instant;
use nfsim::wire::meta::PacketMeta;
use nfsim::wire::{Family, IpProtocol};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

/// `NFSIM_BENCH_HUGE_ALL=1`: every allocation of 4 MiB or more (the
/// baselines' hash maps too) is advised `MADV_HUGEPAGE` as nfsim advises
/// its own tables (`src/conntrack/pages.rs`), to compare both on huge
/// pages. Read once, before the tables are built.
static HUGE_ALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        let p = unsafe { System.alloc(l) };
        #[cfg(target_os = "linux")]
        if l.size() >= 4 << 20 && !p.is_null() && HUGE_ALL.load(Ordering::Relaxed) {
            const HUGE: usize = 2 << 20;
            let (a, e) = (p as usize, p as usize + l.size());
            let (a, e) = (a.div_ceil(HUGE) * HUGE, e / HUGE * HUGE);
            // SAFETY: inside the block just allocated; the advice changes
            // no byte (see src/conntrack/pages.rs).
            unsafe { libc::madvise(a as *mut libc::c_void, e - a, libc::MADV_HUGEPAGE) };
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// UDP packet 10.x.y.z:sport -> 192.0.2.1:53.
fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> ([u8; 28], PacketMeta) {
    let mut p = [0u8; 28];
    let n = nfsim::wire::PacketBuilder::ipv4(src.into(), dst.into())
        .ident(1)
        .udp(sport, dport)
        .emit(&mut p)
        .expect("a 28-byte datagram");
    assert_eq!(n, p.len());
    // What `PacketMeta::parse` gives for it, written out so that the
    // timed loops measure conntrack, not the parser.
    let meta = PacketMeta {
        family: Family::Ipv4,
        l3_len: 20,
        protocol: IpProtocol::UDP,
        thoff: 20,
        fragoff: 0,
        is_fragment: false,
        l4_len: 8,
        find_hdr_error: None,
    };
    debug_assert_eq!(PacketMeta::parse(&p), Ok(meta));
    (p, meta)
}

fn flow(i: u32) -> ([u8; 4], u16) {
    let a = 0x0a00_0000 | (i >> 8);
    (a.to_be_bytes(), 1024 + (i & 0xff) as u16)
}

const SERVER: [u8; 4] = [192, 0, 2, 1];

/// A fast non-cryptographic hasher for the baselines (FxHash's multiply
/// and rotate, fed whole words).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A UDP 5-tuple as the baselines key it.
type Tuple = ([u8; 4], [u8; 4], u16, u16, u8);

/// Ns per call of `f` over one timed run of `iters` calls.
fn ns_once(iters: u32, mut f: impl FnMut()) -> f64 {
    let t = std::time::Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

/// The median of 7 runs.
fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn check_no_alloc() {
    let mut cfg = Config::with_max(4096);
    cfg.udp_timeout = nfsim::time::Duration::from_secs(1);
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let mut rng = SplitMix64::new(1);
    let snat = NatRange::to([203, 0, 113, 1].into(), [203, 0, 113, 1].into(), None);
    // The table grows (by doubling) to its working size during the first
    // pass; the second, identical in load, is the steady state.
    let mut before = 0;
    for i in 0..100_000u32 {
        if i == 50_000 {
            before = ALLOCS.load(Ordering::Relaxed);
        }
        let now = Instant::from_millis(u64::from(i));
        let (s, sp) = flow(i % 20_000);
        let (mut p, m) = udp(s, sp, SERVER, 53);
        let r = ct.process(&p, &m, Hook::LocalOut, now);
        if let Some(h) = r.slot.handle() {
            let _ = ct.alloc_null_binding(h, Hook::LocalOut, &mut rng, now);
            let _ = ct.setup_nat(h, ManipType::Src, &snat, &mut rng, now);
            let _ = ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m);
            let _ = ct.confirm(r.slot, now);
        }
        let (q, qm) = udp(SERVER, 53, [203, 0, 113, 1], sp);
        black_box(ct.process(&q, &qm, Hook::PreRouting, now));
    }
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(
        after - before,
        0,
        "allocations on the conntrack packet path"
    );
    println!("conntrack packet path: 0 allocations over 100000 packets after warm-up");
}

/// The timed loop of `conntrack/established_lookup_1M`, out of line so
/// that `valgrind --tool=callgrind --toggle-collect='*profile_lookup*'`
/// counts it alone (run with `NFSIM_CT_PROFILE=lookup`, or `lookup_out`
/// for the same packets in OUTPUT).
#[inline(never)]
fn profile_lookup(
    ct: &mut ConntrackTable,
    replies: &[([u8; 28], PacketMeta)],
    hook: Hook,
    iters: usize,
) {
    for j in 0..iters {
        let (p, m) = &replies[j & 4095];
        black_box(ct.process(black_box(p), m, hook, Instant::from_millis(10)));
    }
}

/// Packets per burst of `conntrack/established_lookup_1M_burst`.
const BURST: usize = 16;

/// The timed loop of `conntrack/established_lookup_1M_burst`
/// (`NFSIM_CT_PROFILE=lookup_burst`, `--toggle-collect='*profile_burst*'`):
/// the same packets in PREROUTING through `ConntrackTable::process_burst`,
/// `BURST` at a time. `iters` counts packets.
/// `NFSIM_CT_BURST=8|16|32` chooses `N` (default `BURST`).
#[inline(never)]
fn profile_burst<const N: usize>(
    ct: &mut ConntrackTable,
    replies: &[([u8; 28], PacketMeta)],
    iters: usize,
) {
    let mut out = [CtResult {
        verdict: CtVerdict::Accept,
        slot: CtSlot::Invalid,
    }; N];
    for j in (0..iters).step_by(N) {
        let b = &replies[j & 4095..(j & 4095) + N];
        ct.process_burst(
            black_box(b),
            Hook::PreRouting,
            Instant::from_millis(10),
            &mut out,
        );
        black_box(&out);
    }
}

/// The timed loop of `conntrack/baseline_hashmap_1M`
/// (`NFSIM_CT_PROFILE=baseline`, `--toggle-collect='*profile_baseline*'`).
#[inline(never)]
fn profile_baseline(map: &Map, keys: &[Tuple], iters: usize) {
    for j in 0..iters {
        black_box(map.get(black_box(&keys[j & 4095])));
    }
}

/// The baseline map: both tuples of every flow.
type Map = HashMap<Tuple, u32, BuildHasherDefault<Fx>>;

/// Fresh-flow packets for `conntrack/new_connection`: packet `i` is the
/// first of flow `i`, built once before timing so that the loop measures
/// conntrack, not the packet builder (its checksums were a third of the
/// loop's instructions). Flow `i & NEW_MASK` comes back after 2^20
/// connections, long after its entry expired (1 s = 1000 connections).
const NEW_MASK: u32 = (1 << 20) - 1;

fn new_packets() -> Vec<([u8; 28], PacketMeta)> {
    (0..=NEW_MASK)
        .map(|i| {
            let (s, sp) = flow(i);
            udp(s, sp, SERVER, 53)
        })
        .collect()
}

/// The timed loop of `conntrack/new_connection` (`NFSIM_CT_PROFILE=new`).
#[inline(never)]
fn profile_new(ct: &mut ConntrackTable, pkts: &[([u8; 28], PacketMeta)], from: u32, iters: u32) {
    for i in from..from + iters {
        let (p, m) = &pkts[(i & NEW_MASK) as usize];
        let now = Instant::from_millis(u64::from(i));
        let r = ct.process(black_box(p), m, Hook::LocalOut, now);
        black_box(ct.confirm(r.slot, now));
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var("NFSIM_BENCH_HUGE_ALL").is_ok_and(|v| v == "1") {
        HUGE_ALL.store(true, Ordering::Relaxed);
        println!("NFSIM_BENCH_HUGE_ALL=1: the baselines' large allocations are advised for huge pages too");
    }
    // Profiling mode: run one loop for callgrind and stop.
    let profile = std::env::var("NFSIM_CT_PROFILE").unwrap_or_default();
    if profile == "new" {
        let mut cfg = Config::with_max(4096);
        cfg.udp_timeout = nfsim::time::Duration::from_secs(1);
        let mut ct = ConntrackTable::new(cfg).unwrap();
        let pkts = new_packets();
        profile_new(&mut ct, &pkts, 1, 20_000); // warm-up: the steady state
        profile_new(&mut ct, &pkts, 20_001, 100_000);
        return;
    }
    check_no_alloc();

    // Established lookup with 1M entries.
    let n: u32 = std::env::var("NFSIM_CT_N").map_or(1 << 20, |v| v.parse().unwrap_or(1 << 20));
    let mut cfg = Config::with_max(n);
    cfg.buckets = n;
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let t0 = Instant::from_millis(0);
    for i in 0..n {
        let (s, sp) = flow(i);
        let (p, m) = udp(s, sp, SERVER, 53);
        let r = ct.process(&p, &m, Hook::LocalOut, t0);
        assert_eq!(ct.confirm(r.slot, t0), CtVerdict::Accept);
    }
    assert_eq!(ct.count(), n);
    println!(
        "1M-entry table: {} heap bytes, {} per entry in all (slab capacity, side slabs, both indexes, free lists), hot part {} bytes",
        ct.heap_bytes(),
        ct.heap_bytes() / n as usize,
        ConntrackTable::ENTRY_HOT_BYTES
    );
    let replies: Vec<_> = (0..4096u32)
        .map(|k| {
            let (s, sp) = flow(k.wrapping_mul(2_654_435_761) % n);
            udp(SERVER, 53, s, sp)
        })
        .collect();
    // The baseline: a plain hash map of the same 1M flows, keyed both ways
    // as conntrack is, looked up with the same reply tuples.
    let mut map: Map =
        HashMap::with_capacity_and_hasher(2 * n as usize, BuildHasherDefault::default());
    for i in 0..n {
        let (s, sp) = flow(i);
        map.insert((s, SERVER, sp, 53, 17), i);
        map.insert((SERVER, s, 53, sp, 17), i);
    }
    let keys: Vec<Tuple> = replies
        .iter()
        .map(|(p, _)| {
            let a = |o: usize| [p[o], p[o + 1], p[o + 2], p[o + 3]];
            let port = |o: usize| u16::from_be_bytes([p[o], p[o + 1]]);
            (a(12), a(16), port(20), port(22), 17)
        })
        .collect();
    if matches!(
        profile.as_str(),
        "lookup" | "lookup_out" | "lookup_burst" | "baseline"
    ) {
        let hook = if profile == "lookup_out" {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let n = std::env::var("NFSIM_CT_ITERS").map_or(100_000, |v| v.parse().unwrap_or(100_000));
        // `NFSIM_CT_REPS` timed loops (default 1): their fastest and median.
        let reps = std::env::var("NFSIM_CT_REPS").map_or(1, |v| v.parse().unwrap_or(1));
        let burst_n: usize =
            match std::env::var("NFSIM_CT_BURST").map_or(BURST, |v| v.parse().unwrap_or(BURST)) {
                n @ (8 | 32) => n,
                _ => BURST,
            };
        let mut run = |iters: usize| {
            if profile == "baseline" {
                profile_baseline(&map, &keys, iters)
            } else if profile == "lookup_burst" {
                match burst_n {
                    8 => profile_burst::<8>(&mut ct, &replies, iters),
                    32 => profile_burst::<32>(&mut ct, &replies, iters),
                    _ => profile_burst::<BURST>(&mut ct, &replies, iters),
                }
            } else {
                profile_lookup(&mut ct, &replies, hook, iters)
            }
        };
        run(4096);
        let mut ns = Vec::new();
        for _ in 0..reps.max(1) {
            let t = std::time::Instant::now();
            run(n);
            ns.push(t.elapsed().as_nanos() as f64 / n.max(1) as f64);
        }
        let min = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let med = median(ns);
        let what = if profile == "lookup_burst" {
            format!("{profile} ({burst_n} a burst)")
        } else {
            profile.clone()
        };
        println!("profile {what}: {n} lookups, {med:.1} ns each (fastest of {reps}: {min:.1})");
        return;
    }
    // Same-run ratios: conntrack's lookup against the plain hash map, in
    // PREROUTING (the kernel verifies the UDP checksum there: `udp_error`,
    // `nf_conntrack_checksum`) and in OUTPUT (it does not: the lookup, the
    // tracker and the update alone).
    // The three alternate run by run (7 runs each, medians), so that a
    // change of load on the machine falls on all of them.
    {
        let (mut jb, mut jo, mut jout, mut jbu) = (0usize, 0usize, 0usize, 0usize);
        let (mut base, mut ours, mut out, mut burst) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut res = [CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Invalid,
        }; BURST];
        for _ in 0..7 {
            base.push(ns_once(1 << 20, || {
                jb += 1;
                black_box(map.get(black_box(&keys[jb & 4095])));
            }));
            ours.push(ns_once(1 << 20, || {
                let (p, m) = &replies[jo & 4095];
                jo += 1;
                black_box(ct.process(black_box(p), m, Hook::PreRouting, Instant::from_millis(10)));
            }));
            out.push(ns_once(1 << 20, || {
                let (p, m) = &replies[jout & 4095];
                jout += 1;
                black_box(ct.process(black_box(p), m, Hook::LocalOut, Instant::from_millis(10)));
            }));
            // Per packet: `BURST` packets per call.
            burst.push(
                ns_once((1 << 20) / BURST as u32, || {
                    let b = &replies[jbu & 4095..(jbu & 4095) + BURST];
                    jbu += BURST;
                    ct.process_burst(
                        black_box(b),
                        Hook::PreRouting,
                        Instant::from_millis(10),
                        &mut res,
                    );
                    black_box(&res);
                }) / BURST as f64,
            );
        }
        let (base, ours, out, burst) = (median(base), median(ours), median(out), median(burst));
        println!(
            "conntrack/established_lookup_1M {ours:.1} ns, conntrack/baseline_hashmap_1M {base:.1} ns: ratio {:.2} (target <= 2)",
            ours / base
        );
        println!(
            "conntrack/established_lookup_1M_output {out:.1} ns (no checksum to verify), conntrack/baseline_hashmap_1M {base:.1} ns: ratio {:.2}",
            out / base
        );
        println!(
            "conntrack/established_lookup_1M_burst{BURST} {burst:.1} ns per packet (the same packets through process_burst, {BURST} a call: their misses overlap; the one-at-a-time figure is conntrack/established_lookup_1M above), conntrack/baseline_hashmap_1M {base:.1} ns: ratio {:.2}",
            burst / base
        );
    }
    drop(map);
    let mut k = 0usize;
    c.bench_function("conntrack/established_lookup_1M", |b| {
        b.iter(|| {
            let (p, m) = &replies[k & 4095];
            k += 1;
            black_box(ct.process(black_box(p), m, Hook::PreRouting, Instant::from_millis(10)))
        })
    });
    drop(ct);

    // New connection setup: process + confirm of a fresh flow, entries
    // expiring after 1 s of simulated time (1 ms per connection).
    let mut cfg = Config::with_max(4096);
    cfg.udp_timeout = nfsim::time::Duration::from_secs(1);
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let pkts = new_packets();
    // Same-run ratio: a hash map insert plus the remove of the entry 4096
    // connections older (the table holds about as many live entries).
    // Alternating run by run, as above.
    {
        let mut map: HashMap<Tuple, u32, BuildHasherDefault<Fx>> =
            HashMap::with_capacity_and_hasher(16384, BuildHasherDefault::default());
        let mut cfg = Config::with_max(4096);
        cfg.udp_timeout = nfsim::time::Duration::from_secs(1);
        let mut ct2 = ConntrackTable::new(cfg).unwrap();
        let (mut ib, mut io) = (0u32, 0u32);
        let (mut base, mut ours) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            base.push(ns_once(1 << 18, || {
                ib = ib.wrapping_add(1);
                let (s, sp) = flow(ib & 0xff_ffff);
                map.insert((s, SERVER, sp, 53, 17), ib);
                map.insert((SERVER, s, 53, sp, 17), ib);
                let (o, op) = flow(ib.wrapping_sub(4096) & 0xff_ffff);
                map.remove(&(o, SERVER, op, 53, 17));
                black_box(map.remove(&(SERVER, o, 53, op, 17)));
            }));
            ours.push(ns_once(1 << 18, || {
                io = io.wrapping_add(1);
                let (p, m) = &pkts[(io & NEW_MASK) as usize];
                let now = Instant::from_millis(u64::from(io));
                let r = ct2.process(black_box(p), m, Hook::LocalOut, now);
                black_box(ct2.confirm(r.slot, now));
            }));
        }
        let (base, ours) = (median(base), median(ours));
        println!(
            "conntrack/new_connection {ours:.1} ns, conntrack/baseline_hashmap_insert {base:.1} ns: ratio {:.2} (target <= 3)",
            ours / base
        );
    }
    let mut i = 0u32;
    c.bench_function("conntrack/new_connection", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let (p, m) = &pkts[(i & NEW_MASK) as usize];
            let now = Instant::from_millis(u64::from(i));
            let r = ct.process(black_box(p), m, Hook::LocalOut, now);
            black_box(ct.confirm(r.slot, now))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
