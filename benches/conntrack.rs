//! Conntrack benchmarks: established-flow lookup in a table of 1M entries,
//! and new-connection setup in steady state. Before measuring, a counting
//! global allocator checks that the packet path allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use nfsim::conntrack::{
    Config, ConntrackTable, CtHook, CtVerdict, Family, L3Meta, ManipType, NatHook, NatRange,
    SplitMix64,
};
use nfsim::time::Instant;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
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

/// UDP packet 10.x.y.z:sport -> 192.0.2.1:53 (checksum 0: not verified in OUTPUT).
fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> ([u8; 28], L3Meta) {
    let mut p = [0u8; 28];
    p[..12].copy_from_slice(&[0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0]);
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[22..24].copy_from_slice(&dport.to_be_bytes());
    p[24..26].copy_from_slice(&8u16.to_be_bytes());
    let meta = L3Meta {
        family: Family::Ipv4,
        l3_header_len: 20,
        l4_proto: 17,
        l4_offset: 20,
        frag_offset: 0,
        src: src.into(),
        dst: dst.into(),
    };
    (p, meta)
}

fn flow(i: u32) -> ([u8; 4], u16) {
    let a = 0x0a00_0000 | (i >> 8);
    (a.to_be_bytes(), 1024 + (i & 0xff) as u16)
}

const SERVER: [u8; 4] = [192, 0, 2, 1];

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
        let r = ct.process(&p, &m, CtHook::LocalOut, now);
        if let Some(h) = r.slot.handle() {
            let _ = ct.alloc_null_binding(h, NatHook::LocalOut, &mut rng, now);
            let _ = ct.setup_nat(h, ManipType::Src, &snat, &mut rng, now);
            let _ = ct.nat_packet(r.slot, NatHook::PostRouting, &mut p, &m);
            let _ = ct.confirm(r.slot, now);
        }
        let (q, qm) = udp(SERVER, 53, [203, 0, 113, 1], sp);
        black_box(ct.process(&q, &qm, CtHook::PreRouting, now));
    }
    let after = ALLOCS.load(Ordering::Relaxed);
    assert_eq!(
        after - before,
        0,
        "allocations on the conntrack packet path"
    );
    println!("conntrack packet path: 0 allocations over 100000 packets after warm-up");
}

fn bench(c: &mut Criterion) {
    check_no_alloc();

    // Established lookup with 1M entries.
    let n = 1u32 << 20;
    let mut cfg = Config::with_max(n);
    cfg.buckets = n;
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let t0 = Instant::from_millis(0);
    for i in 0..n {
        let (s, sp) = flow(i);
        let (p, m) = udp(s, sp, SERVER, 53);
        let r = ct.process(&p, &m, CtHook::LocalOut, t0);
        assert_eq!(ct.confirm(r.slot, t0), CtVerdict::Accept);
    }
    assert_eq!(ct.count(), n);
    println!(
        "1M-entry table: {} heap bytes, {} per entry",
        ct.heap_bytes(),
        ct.heap_bytes() / n as usize
    );
    let replies: Vec<_> = (0..4096u32)
        .map(|k| {
            let (s, sp) = flow(k.wrapping_mul(2_654_435_761) % n);
            udp(SERVER, 53, s, sp)
        })
        .collect();
    let mut k = 0usize;
    c.bench_function("conntrack/established_lookup_1M", |b| {
        b.iter(|| {
            let (p, m) = &replies[k & 4095];
            k += 1;
            black_box(ct.process(
                black_box(p),
                m,
                CtHook::PreRouting,
                Instant::from_millis(10),
            ))
        })
    });
    drop(ct);

    // New connection setup: process + confirm of a fresh flow, entries
    // expiring after 1 s of simulated time (1 ms per connection).
    let mut cfg = Config::with_max(4096);
    cfg.udp_timeout = nfsim::time::Duration::from_secs(1);
    let mut ct = ConntrackTable::new(cfg).unwrap();
    let mut i = 0u32;
    c.bench_function("conntrack/new_connection", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let (s, sp) = flow(i & 0xff_ffff);
            let (p, m) = udp(s, sp, SERVER, 53);
            let now = Instant::from_millis(u64::from(i));
            let r = ct.process(&p, &m, CtHook::LocalOut, now);
            black_box(ct.confirm(r.slot, now))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
