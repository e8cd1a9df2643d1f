//! Packet-path speed.
//!
//! - `walk/<kind>/N`: one locally sent TCP packet walks an OUTPUT chain of N
//!   rules none of which matches, to the policy (`run_table` alone; divide
//!   the time by N for the cost per rule). `generic`: every rule fails in its
//!   generic part (`-s 10.x.y.z/32 -p tcp --dport P`, the packet's source is
//!   not 10/8); `match`: the generic part passes and the tcp match fails
//!   (`-s 192.0.2.1/32 -p tcp -m tcp --dport P`, P never the packet's port).
//!   `run_table` classifies (`engine::classify`): these chains are indexed
//!   (source, resp. protocol and port), so the walk looks up the packet's
//!   key and goes to the policy. `scan`: the `match` shape with port ranges
//!   (`--dport P:P+1`), which no index keys: every entry's compiled
//!   pre-test is scanned. `<kind>_linear`: the same chain walked by
//!   `run_table_linear`, the reference that tests every entry in turn.
//! - `walk/baseline_scan/N`: a plain Rust loop over N `(addr, mask, proto,
//!   dport)` structs with the same packet and outcome (no rule matches), the
//!   yardstick of the per-entry cost.
//! - `walk/kube/N`, `walk/kube_miss/N` (and `_linear`): a kube-proxy-shaped
//!   nat table, OUTPUT -> KUBE-SERVICES with N services (`-d X/32 -p tcp -m
//!   comment -m tcp --dport P -j KUBE-SVC-i`), each KUBE-SVC chain with two
//!   endpoints picked by `-m statistic --mode random --probability 0.5`,
//!   each KUBE-SEP chain marking for masquerade and DNATting; `kube` sends
//!   a packet to the middle service (walk ends in DNAT), `kube_miss` to no
//!   service (walks to the end of KUBE-SERVICES and the policy).
//! - `pipeline/<trace>`: the packets of a reference trace through
//!   `Host::receive` / `Host::send` on one host (time advancing per round as
//!   `nfsim bench` does): nat-gateway and ipv6-basic when
//!   `shared/spec/examples/` is present, and tests/traces/docker-bridge.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nfsim::engine::{
    run_table, run_table_linear, Env, NoTrace, PacketCtx, Program, TableProgram, Verdict,
};
use nfsim::host::Outcome;
use nfsim::model::{Family, Hook, TableKind, Target};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::meta::PacketMeta;

/// An environment with no local addresses and no extension targets.
struct NullEnv;

impl Env for NullEnv {
    fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
        0
    }
    fn conncount(
        &mut self,
        _: &mut nfsim::engine::state::MatchState,
        _: [u32; 5],
        _: &PacketCtx<'_>,
    ) -> u32 {
        0
    }
    fn run_target(&mut self, _: TableKind, t: &Target, pkt: &mut PacketCtx<'_>) -> Option<Verdict> {
        // kube: KUBE-MARK-MASQ marks and goes on, DNAT ends the walk.
        match t {
            Target::Mark(m) => {
                pkt.mark = (pkt.mark & !m.mask) ^ m.value;
                None
            }
            Target::Dnat(_) => Some(Verdict::Accept),
            _ => None,
        }
    }
}

/// 192.0.2.1:40000 -> 198.51.100.2:80, TCP SYN, seq 1.
fn pkt() -> Vec<u8> {
    pkt_to([198, 51, 100, 2], 80)
}

fn pkt_to(dst: [u8; 4], dport: u16) -> Vec<u8> {
    nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), dst.into())
        .tcp(40000, dport)
        .flags(nfsim::wire::tcp::TcpFlags::SYN)
        .seq(1)
        .build()
}

fn chain(n: usize, kind: &str) -> TableProgram {
    let mut s =
        String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for i in 0..n {
        let port = 1000 + (i % 60000);
        match kind {
            "generic" => s.push_str(&format!(
                "-A OUTPUT -s 10.{}.{}.{}/32 -p tcp -m tcp --dport {port} -j ACCEPT\n",
                (i >> 16) & 0xff,
                (i >> 8) & 0xff,
                i & 0xff
            )),
            "scan" => s.push_str(&format!(
                "-A OUTPUT -s 192.0.2.1/32 -p tcp -m tcp --dport {port}:{} -j ACCEPT\n",
                port + 1
            )),
            _ => s.push_str(&format!(
                "-A OUTPUT -s 192.0.2.1/32 -p tcp -m tcp --dport {port} -j ACCEPT\n"
            )),
        }
    }
    s.push_str("COMMIT\n");
    let rs = parse_restore(&s, &RestoreOptions::new(Family::Ipv4)).expect("ruleset parses");
    let prog = Program::compile(&rs).expect("ruleset compiles");
    prog.table(TableKind::Filter).expect("filter table").clone()
}

/// The kube-proxy-shaped nat table of `walk/kube/N`.
fn kube(n: usize) -> TableProgram {
    let mut s = String::from(
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n",
    );
    for i in 0..n {
        s += &format!(":KUBE-SVC-{i} - [0:0]\n:KUBE-SEP-{i}A - [0:0]\n:KUBE-SEP-{i}B - [0:0]\n");
    }
    s += "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n";
    s += "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n";
    for i in 0..n {
        let (a, b) = (i >> 8, i & 0xff);
        s += &format!(
            "-A KUBE-SERVICES -d 10.96.{a}.{b}/32 -p tcp -m comment --comment \"ns{i}/svc{i}:http cluster IP\" -m tcp --dport {} -j KUBE-SVC-{i}\n",
            80 + i % 3
        );
        s += &format!("-A KUBE-SVC-{i} -m comment --comment \"ns{i}/svc{i}:http\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-{i}A\n");
        s += &format!(
            "-A KUBE-SVC-{i} -m comment --comment \"ns{i}/svc{i}:http\" -j KUBE-SEP-{i}B\n"
        );
        for (sep, host) in [("A", 1), ("B", 2)] {
            s += &format!("-A KUBE-SEP-{i}{sep} -s 10.244.{a}.{b}/32 -m comment --comment \"ns{i}/svc{i}:http\" -j KUBE-MARK-MASQ\n");
            s += &format!("-A KUBE-SEP-{i}{sep} -p tcp -m comment --comment \"ns{i}/svc{i}:http\" -m tcp -j DNAT --to-destination 10.{host}.{a}.{b}:8080\n");
        }
    }
    s += "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\nCOMMIT\n";
    let rs = parse_restore(&s, &RestoreOptions::new(Family::Ipv4)).expect("ruleset parses");
    let prog = Program::compile(&rs).expect("ruleset compiles");
    prog.table(TableKind::Nat).expect("nat table").clone()
}

/// One `(addr, mask, proto, dport)` rule of `walk/baseline_scan`.
#[derive(Clone, Copy)]
struct Plain {
    addr: u32,
    mask: u32,
    proto: u8,
    dport: u16,
}

/// `walk/baseline_scan`: the packet's fields read from its bytes, then the
/// first rule whose fields all equal (none: the policy).
#[inline(never)]
fn baseline_scan(rules: &[Plain], data: &[u8]) -> Verdict {
    let src = u32::from_be_bytes([data[12], data[13], data[14], data[15]]);
    let proto = data[9];
    let ihl = usize::from(data[0] & 0xf) * 4;
    let dport = u16::from_be_bytes([data[ihl + 2], data[ihl + 3]]);
    match rules
        .iter()
        .position(|r| src & r.mask == r.addr && proto == r.proto && dport == r.dport)
    {
        Some(_) => Verdict::Drop,
        None => Verdict::Accept,
    }
}

/// Walks `prog`'s OUTPUT with one packet (`linear`: the reference walk).
fn bench_walk(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: usize,
    prog: &TableProgram,
    data: &[u8],
    linear: bool,
    want: Verdict,
) {
    let meta = PacketMeta::parse(data).expect("packet parses");
    let mut state = prog.new_state();
    let mut data = data.to_vec();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
        b.iter(|| {
            let v = walk_once(prog, &mut state, &mut data, meta, linear);
            assert_eq!(v, want);
            v
        })
    });
}

/// One walk (not inlined, so that `callgrind --toggle-collect='*walk_once*'`
/// counts the instructions of one walk; `baseline_scan` likewise).
#[inline(never)]
fn walk_once(
    prog: &TableProgram,
    state: &mut nfsim::engine::TableState,
    data: &mut Vec<u8>,
    meta: PacketMeta,
    linear: bool,
) -> Verdict {
    let mut pkt = PacketCtx {
        family: Family::Ipv4,
        data,
        meta,
        hook: Hook::LocalOut,
        in_dev: "",
        out_dev: "eth0",
        mark: 0,
        now: Instant::ZERO,
        nf_trace: false,
        pkt_type: 4,
        src_mac: None,
        sk_owner: None,
        csum_partial: false,
    };
    if linear {
        run_table_linear(
            prog,
            state,
            Hook::LocalOut,
            &mut pkt,
            &mut NullEnv,
            &mut NoTrace,
        )
    } else {
        run_table(
            prog,
            state,
            Hook::LocalOut,
            &mut pkt,
            &mut NullEnv,
            &mut NoTrace,
        )
    }
}

/// The sizes each bench runs, from `NFSIM_WALK_SIZES` (comma separated)
/// when set.
fn sizes(default: &[usize]) -> Vec<usize> {
    match std::env::var("NFSIM_WALK_SIZES") {
        Ok(v) => v
            .split(',')
            .filter_map(|x| x.trim().parse().ok())
            .filter(|x| default.contains(x))
            .collect(),
        Err(_) => default.to_vec(),
    }
}

fn walk(c: &mut Criterion) {
    let pkt = pkt();
    for kind in ["generic", "match", "scan"] {
        for linear in [false, true] {
            let name = if linear {
                format!("walk/{kind}_linear")
            } else {
                format!("walk/{kind}")
            };
            let all: &[usize] = match (kind, linear) {
                ("match", false) => &[10, 100, 1000, 10_000, 100_000],
                (_, false) => &[10, 100, 1000, 10_000],
                (_, true) => &[1000, 10_000],
            };
            let mut g = c.benchmark_group(name);
            for n in sizes(all) {
                bench_walk(&mut g, n, &chain(n, kind), &pkt, linear, Verdict::Accept);
            }
            g.finish();
        }
    }
    let mut g = c.benchmark_group("walk/baseline_scan");
    for n in sizes(&[1000, 10_000]) {
        let rules: Vec<Plain> = (0..n)
            .map(|i| Plain {
                addr: u32::from_be_bytes([192, 0, 2, 1]),
                mask: u32::MAX,
                proto: 6,
                dport: 1000 + (i % 60000) as u16,
            })
            .collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let v = baseline_scan(criterion::black_box(&rules), criterion::black_box(&pkt));
                assert_eq!(v, Verdict::Accept);
                v
            })
        });
    }
    g.finish();
    for (name, linear) in [("kube", false), ("kube_linear", true)] {
        let mut g = c.benchmark_group(format!("walk/{name}"));
        for n in sizes(&[10_000]) {
            let prog = kube(n);
            let mid = n / 2;
            let hit = pkt_to(
                [10, 96, (mid >> 8) as u8, (mid & 0xff) as u8],
                80 + (mid % 3) as u16,
            );
            bench_walk(&mut g, n, &prog, &hit, linear, Verdict::Accept);
        }
        g.finish();
        let mut g = c.benchmark_group(format!("walk/{}", name.replace("kube", "kube_miss")));
        for n in sizes(&[10_000]) {
            let prog = kube(n);
            bench_walk(
                &mut g,
                n,
                &prog,
                &pkt_to([10, 97, 0, 1], 80),
                linear,
                Verdict::Accept,
            );
        }
        g.finish();
    }
}

fn pipeline(c: &mut Criterion) {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/examples");
    let traces = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/traces");
    let mut g = c.benchmark_group("pipeline");
    for (dir, name) in [
        (examples, "nat-gateway"),
        (examples, "ipv6-basic"),
        (traces, "docker-bridge"),
    ] {
        let path = format!("{dir}/{name}.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("pipeline/{name}: skipped, {path} not present");
            continue;
        };
        let trace = nfsim::replay::TraceFile::from_json(&text).expect("trace parses");
        let mut host = trace.build_host().expect("host builds");
        let pkts: Vec<(Option<usize>, f64, Vec<u8>)> = trace
            .packets
            .iter()
            .map(|p| {
                let dev = if p.out == Some(true) {
                    None
                } else {
                    p.in_dev.as_deref().and_then(|d| host.device_index(d))
                };
                (dev, p.at_ms, nfsim::replay::from_hex(&p.hex).expect("hex"))
            })
            .collect();
        let period = pkts.last().map_or(0.0, |p| p.1) + 1000.0;
        let mut out = Outcome::default();
        let mut round = 0u32;
        g.throughput(Throughput::Elements(pkts.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let base = f64::from(round) * period;
                round += 1;
                for (dev, at, bytes) in &pkts {
                    let now = Instant::from_millis_f64(at + base);
                    match dev {
                        Some(d) => host.receive(*d, bytes, now, &mut out, &mut NoTrace),
                        None => host.send(bytes, now, &mut out, &mut NoTrace),
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, walk, pipeline);
criterion_main!(benches);
