//! Packet-path speed.
//!
//! - `walk/<kind>/N`: one locally sent TCP packet walks an OUTPUT chain of N
//!   rules none of which matches, to the policy (`run_table` alone; divide
//!   the time by N for the cost per rule). `generic`: every rule fails in its
//!   generic part (`-s 10.x.y.z/32 -p tcp --dport P`, the packet's source is
//!   not 10/8); `match`: the generic part passes and the tcp match fails
//!   (`-s 192.0.2.1/32 -p tcp -m tcp --dport P`, P never the packet's port).
//! - `pipeline/<trace>`: the packets of a reference trace through
//!   `Host::receive` / `Host::send` on one host (time advancing per round as
//!   `nfsim bench` does), when `shared/spec/examples/` is present.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use nfsim::engine::{run_table, Env, NoTrace, PacketCtx, Program, TableProgram, Verdict};
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
    fn run_target(&mut self, _: TableKind, _: &Target, _: &mut PacketCtx<'_>) -> Option<Verdict> {
        None
    }
}

/// 192.0.2.1:40000 -> 198.51.100.2:80, TCP SYN, seq 1.
fn pkt() -> Vec<u8> {
    nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 1].into(), [198, 51, 100, 2].into())
        .tcp(40000, 80)
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

fn walk(c: &mut Criterion) {
    let pkt = pkt();
    let meta = PacketMeta::parse(&pkt).expect("packet parses");
    for kind in ["generic", "match"] {
        let mut g = c.benchmark_group(format!("walk/{kind}"));
        for n in [10usize, 100, 1000, 10_000] {
            let prog = chain(n, kind);
            let mut state = prog.new_state();
            let mut data = pkt.clone();
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| {
                    let mut pkt = PacketCtx {
                        family: Family::Ipv4,
                        data: &mut data,
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
                    let v = run_table(
                        &prog,
                        &mut state,
                        Hook::LocalOut,
                        &mut pkt,
                        &mut NullEnv,
                        &mut NoTrace,
                    );
                    assert_eq!(v, Verdict::Accept);
                    v
                })
            });
        }
        g.finish();
    }
}

fn pipeline(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/spec/examples");
    let mut g = c.benchmark_group("pipeline");
    for name in ["nat-gateway", "ipv6-basic"] {
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
