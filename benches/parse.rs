//! Parsing and printing a large generated ruleset.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};

fn big_ruleset(n: usize) -> String {
    let mut s = String::from(
        "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:USER - [0:0]\n",
    );
    for i in 0..n {
        let (a, b) = ((i >> 8) & 0xff, i & 0xff);
        s.push_str(&format!(
            "-A INPUT -s 10.{a}.{b}.0/24 -d 192.0.2.1/32 -i eth0 -p tcp -m tcp --sport 1024:65535 --dport {} --tcp-flags FIN,SYN,RST,ACK SYN -j USER\n",
            1 + i % 65000
        ));
        s.push_str(&format!(
            "-A USER -s 10.{a}.{b}.1/32 -p udp -m udp --dport 53 -j ACCEPT\n"
        ));
    }
    s.push_str("COMMIT\n");
    s
}

fn bench(c: &mut Criterion) {
    let text = big_ruleset(10_000);
    let mut g = c.benchmark_group("restore");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.sample_size(10);
    g.bench_function("parse 20k rules", |b| {
        b.iter(|| parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).expect("parses"))
    });
    let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).expect("parses");
    g.bench_function("print 20k rules", |b| {
        b.iter(|| save_bytes(&rs, SaveOptions::default()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
