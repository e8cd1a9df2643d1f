//! The classified walk (`run_table`: compiled pre-tests, per-chain indexes
//! that skip entries which cannot match) against the reference walk that
//! tests every entry (`run_table_linear`), on random IPv4 rulesets long
//! enough to be indexed and random packets, several packets in a row
//! through one state: the same verdict, counters, TRACE records, mark,
//! packet bytes, end of walk, and state of every stateful match
//! (`statistic` nth and random, `limit`, `quota`), which must run exactly
//! when the reference runs it.
//!
//! Rules mix the shapes the indexes key on (`-s`/`-d` prefixes, `-p tcp|udp
//! -m tcp|udp --dport`, behind `comment` matches or not) with the ones they
//! must not skip on: inverted addresses, protocols and ports, port ranges,
//! stateful matches before the port match, interfaces, jumps, gotos,
//! RETURN, and a target that rewrites the destination address and lets the
//! walk go on (the walk must read the packet's fields again). Packets
//! include fragments and TCP/UDP headers cut short, for which the port
//! predicates must not be used.

use nfsim::engine::{
    run_table, run_table_linear, Env, PacketCtx, Program, TraceKind, TraceSink, Verdict,
};
use nfsim::model::{Family, Hook, TableKind, Target};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::meta::PacketMeta;
use nfsim::wire::{IpProtocol, PacketBuilder};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const CHAINS: [&str; 4] = ["OUTPUT", "U1", "U2", "U3"];
/// Addresses packets and rules use (rule prefixes are built around them):
/// 10.1.x.y, spread over a few /24s and /28s.
const NADDR: usize = 48;
fn addr(i: usize) -> [u8; 4] {
    [10, 1, (i / 20) as u8, (i % 20 * 3) as u8]
}
const LENS: [u8; 7] = [32, 32, 32, 28, 24, 16, 0];
/// Ports: 20, 21, ... (a range reaches a few of them).
const NPORT: usize = 40;
fn port(i: usize) -> u16 {
    20 + i as u16
}

#[derive(Debug, Clone)]
struct Spec {
    chain: usize,
    /// (address, prefix length index, inverted); mostly /32.
    src: Option<(usize, usize, bool)>,
    dst: Option<(usize, usize, bool)>,
    /// 0 none, 1 tcp, 2 udp, 3 icmp, 4 ! tcp
    proto: u8,
    comment: bool,
    /// A stateful match, and whether it comes before the port match.
    stateful: Option<(u8, bool)>,
    /// 0 none, 1 --dport P, 2 ! --dport P, 3 --dport P:P+100, 4 --sport P
    port: (u8, usize),
    out_eth1: Option<bool>,
    /// 0 none, 1 ACCEPT, 2 DROP, 3 RETURN, 4 jump, 5 goto, 6 MARK, 7 TTL (rewrites dst)
    tgt: (u8, usize, u32),
}

/// A rule: with `keyed` set (most rules), of the ruleset's shape (0: `-d
/// X/32`, 1: `-s` prefixes, 2: `-p tcp|udp --dport P`), so that the chain
/// gets an index; otherwise anything.
fn spec(shape: u8) -> impl Strategy<Value = Spec> {
    (
        prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => 2usize..4],
        proptest::option::weighted(0.5, (0usize..NADDR, 0usize..7, proptest::bool::weighted(0.1))),
        proptest::option::weighted(0.5, (0usize..NADDR, 0usize..7, proptest::bool::weighted(0.1))),
        prop_oneof![2 => Just(0u8), 4 => Just(1u8), 3 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)],
        any::<bool>(),
        proptest::option::weighted(0.2, (0u8..5, any::<bool>())),
        (prop_oneof![2 => Just(0u8), 6 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)], 0usize..NPORT),
        proptest::option::weighted(0.1, any::<bool>()),
        (prop_oneof![8 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8), 1 => Just(5u8), 1 => Just(6u8), 1 => Just(7u8)], 0usize..4, 0u32..4),
        (proptest::bool::weighted(0.85), 0usize..NADDR, 0usize..5, any::<bool>()),
    )
        .prop_map(
            move |(chain, mut src, mut dst, mut proto, comment, stateful, mut port, out_eth1, tgt, (keyed, a, l, udp))| {
                if keyed {
                    match shape {
                        0 => dst = Some((a, 0, false)),
                        1 => src = Some((a, l, false)),
                        _ => {
                            proto = if udp { 2 } else { 1 };
                            port.0 = 1;
                        }
                    }
                }
                Spec { chain, src, dst, proto, comment, stateful, port, out_eth1, tgt }
            },
        )
}

fn net((a, l, _): (usize, usize, bool)) -> String {
    let len = LENS[l];
    let m = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    let v = std::net::Ipv4Addr::from(u32::from_be_bytes(addr(a)) & m);
    format!("{v}/{len}")
}

fn render(rules: &[Spec], policy_drop: bool) -> String {
    let mut t = format!(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT {} [0:0]\n:POSTROUTING ACCEPT [0:0]\n:U1 - [0:0]\n:U2 - [0:0]\n:U3 - [0:0]\n",
        if policy_drop { "DROP" } else { "ACCEPT" }
    );
    for r in rules {
        let mut l = format!("-A {}", CHAINS[r.chain]);
        let neg = |b: bool| if b { " !" } else { "" };
        if let Some(s) = r.src {
            l += &format!("{} -s {}", neg(s.2), net(s));
        }
        if let Some(d) = r.dst {
            l += &format!("{} -d {}", neg(d.2), net(d));
        }
        if let Some(inv) = r.out_eth1 {
            l += &format!("{} -o eth1", neg(inv));
        }
        let pname = match r.proto {
            1 => Some("tcp"),
            2 => Some("udp"),
            3 => Some("icmp"),
            4 => {
                l += " ! -p tcp";
                None
            }
            _ => None,
        };
        if let Some(p) = pname {
            l += &format!(" -p {p}");
        }
        if r.comment {
            l += " -m comment --comment \"ns/svc:http\"";
        }
        let stateful = r.stateful.map(|(k, _)| match k {
            0 => " -m statistic --mode nth --every 3 --packet 1".to_string(),
            1 => " -m statistic --mode random --probability 0.5".to_string(),
            2 => " -m limit --limit 2/sec --limit-burst 2".to_string(),
            3 => " -m quota --quota 150".to_string(),
            _ => " -m statistic --mode nth --every 2 --packet 0".to_string(),
        });
        if let (Some(s), Some((_, true))) = (&stateful, r.stateful) {
            l += s;
        }
        if matches!(r.proto, 1 | 2) {
            let p = port(r.port.1);
            let m = pname.unwrap_or("tcp");
            l += &match r.port.0 {
                1 => format!(" -m {m} --dport {p}"),
                2 => format!(" -m {m} ! --dport {p}"),
                3 => format!(" -m {m} --dport {p}:{}", p + 100),
                4 => format!(" -m {m} --sport {p}"),
                _ => String::new(),
            };
        }
        if let (Some(s), Some((_, false))) = (&stateful, r.stateful) {
            l += s;
        }
        let (kind, to, v) = r.tgt;
        // Jumps and gotos only go to later chains (no loops).
        let later = (to % (4 - r.chain.min(3))) + r.chain + 1;
        l += &match kind {
            1 => " -j ACCEPT".to_string(),
            2 => " -j DROP".into(),
            3 => " -j RETURN".into(),
            4 if later < 4 => format!(" -j {}", CHAINS[later]),
            5 if later < 4 => format!(" -g {}", CHAINS[later]),
            6 => format!(" -j MARK --set-xmark 0x{v:x}/0xff"),
            7 => format!(" -j TTL --ttl-set {}", 60 + v),
            _ => String::new(),
        };
        t += &l;
        t.push('\n');
    }
    t + "COMMIT\n"
}

/// Stands in for the host: MARK sets the mark; TTL (a target that lets the
/// walk go on) here also rewrites the destination address to another of
/// the addresses, so that what rules after it see differs from what the walk
/// read at its start; `random_u32` is a fixed sequence.
struct TestEnv {
    rng: u32,
    jiffies: u64,
}
impl Env for TestEnv {
    fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
        0
    }
    fn jiffies(&self) -> u64 {
        self.jiffies
    }
    fn random_u32(&mut self) -> u32 {
        self.rng = self.rng.wrapping_mul(1_103_515_245).wrapping_add(12345);
        self.rng
    }
    fn run_target(&mut self, _: TableKind, t: &Target, pkt: &mut PacketCtx<'_>) -> Option<Verdict> {
        match t {
            Target::Mark(m) => {
                pkt.mark = (pkt.mark & !m.mask) ^ m.value;
                None
            }
            Target::Ttl(_) => {
                let i = (pkt.data[19] as usize / 3 + 1) % NADDR;
                pkt.data[16..20].copy_from_slice(&addr(i));
                None
            }
            _ => panic!("unexpected target {t:?}"),
        }
    }
}

#[derive(Default, Debug, PartialEq)]
struct Records(Vec<(String, TraceKind, u32)>);
impl TraceSink for Records {
    fn trace(&mut self, _: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        self.0
            .push((String::from_utf8_lossy(chain).into_owned(), kind, num));
    }
}

#[derive(Debug, Clone)]
struct PktSpec {
    src: usize,
    dst: usize,
    /// 0 tcp, 1 udp, 2 icmp
    proto: u8,
    sport: usize,
    dport: usize,
    /// 0 whole, 1 non-first fragment (offset 8: tcp's fragoff 1), 2 later
    /// fragment, 3 transport header cut short
    shape: u8,
    mark: u32,
    traced: bool,
}

fn pkt_spec() -> impl Strategy<Value = PktSpec> {
    (
        0usize..NADDR,
        0usize..NADDR,
        prop_oneof![4 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8)],
        0usize..NPORT,
        0usize..NPORT,
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
        0u32..3,
        any::<bool>(),
    )
        .prop_map(
            |(src, dst, proto, sport, dport, shape, mark, traced)| PktSpec {
                src,
                dst,
                proto,
                sport,
                dport,
                shape,
                mark,
                traced,
            },
        )
}

fn build(p: &PktSpec) -> Vec<u8> {
    let proto = match p.proto {
        0 => IpProtocol::TCP,
        1 => IpProtocol::UDP,
        _ => IpProtocol::ICMP,
    };
    let mut l4 = port(p.sport).to_be_bytes().to_vec();
    l4.extend_from_slice(&port(p.dport).to_be_bytes());
    l4.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xfa, 0xf0, 0, 0, 0, 0]);
    if p.shape == 3 {
        l4.truncate(if p.proto == 0 { 12 } else { 6 });
    }
    let b = PacketBuilder::ipv4(addr(p.src).into(), addr(p.dst).into());
    let b = match p.shape {
        1 => b.frag_offset(8),
        2 => b.frag_offset(64),
        _ => b,
    };
    b.protocol(proto).payload(&l4).build()
}

fn rulesets() -> impl Strategy<Value = Vec<Spec>> {
    (0u8..3).prop_flat_map(|shape| proptest::collection::vec(spec(shape), 40..160))
}

/// The property above is only worth something if the walk it checks skips
/// entries: most generated rulesets get an index for OUTPUT, and many one
/// for U1 too (entered by jumps and gotos).
#[test]
fn generated_rulesets_are_indexed() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut indexed, mut two) = (0, 0);
    for _ in 0..100 {
        let rules = rulesets().new_tree(&mut runner).unwrap().current();
        let rs = parse_restore(render(&rules, false), &RestoreOptions::new(Family::Ipv4)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let n = prog.table(TableKind::Mangle).unwrap().indexed_chains();
        indexed += usize::from(n > 0);
        two += usize::from(n > 1);
    }
    assert!(indexed >= 60, "{indexed} of 100 rulesets indexed");
    assert!(two >= 20, "{two} of 100 rulesets with two chains indexed");
}

type Outcome = (
    Verdict,
    Vec<(u64, u64)>,
    Records,
    u32,
    Vec<u8>,
    nfsim::engine::program::WalkEnd,
);

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn classified_walk_equals_linear_walk(
        rules in rulesets(),
        policy_drop in any::<bool>(),
        pkts in proptest::collection::vec(pkt_spec(), 1..8),
    ) {
        let text = render(&rules, policy_drop);
        let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(TableKind::Mangle).unwrap();
        let mut states = [t.new_state(), t.new_state()];
        let mut envs = [TestEnv { rng: 7, jiffies: 0 }, TestEnv { rng: 7, jiffies: 0 }];
        for (n, p) in pkts.iter().enumerate() {
            let data = build(p);
            let meta = PacketMeta::parse(&data).unwrap();
            let mut out: Vec<Outcome> = Vec::new();
            for (k, (st, env)) in states.iter_mut().zip(envs.iter_mut()).enumerate() {
                env.jiffies = n as u64 * 40;
                let mut d = data.clone();
                let mut pkt = PacketCtx {
                    family: Family::Ipv4, data: &mut d, meta, hook: Hook::LocalOut,
                    in_dev: "", out_dev: if p.src % 2 == 0 { "eth1" } else { "eth0" }, mark: p.mark,
                    now: Instant::from_millis(n as u64 * 160), nf_trace: p.traced,
                    pkt_type: 4, src_mac: None, sk_owner: None, csum_partial: false,
                };
                let mut rec = Records::default();
                let v = if k == 0 {
                    run_table_linear(t, st, Hook::LocalOut, &mut pkt, env, &mut rec)
                } else {
                    run_table(t, st, Hook::LocalOut, &mut pkt, env, &mut rec)
                };
                let mark = pkt.mark;
                out.push((v, st.counters.clone(), rec, mark, d, st.end));
            }
            prop_assert_eq!(&out[0], &out[1], "packet {} {:?}\n{}", n, p, text);
            prop_assert_eq!(&states[0].match_state, &states[1].match_state, "packet {} {:?}\n{}", n, p, text);
            prop_assert_eq!(envs[0].rng, envs[1].rng);
        }
    }
}

/// Source, destination, destination port.
type Probe = ([u8; 4], [u8; 4], u16);

/// The shapes the issue names are indexed: a walk through each decides
/// like the linear walk, on packets that hit and miss.
#[test]
fn named_shapes_are_indexed_and_exact() {
    let mut kube = String::from("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n");
    let mut blocklist =
        String::from("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    for i in 0..500u32 {
        kube += &format!(":KUBE-SVC-{i} - [0:0]\n");
    }
    kube += "-A OUTPUT -j KUBE-SERVICES\n";
    for i in 0..500u32 {
        kube += &format!(
            "-A KUBE-SERVICES -d 10.96.{}.{}/32 -p tcp -m comment --comment \"ns{i}/svc{i}:http\" -m tcp --dport {} -j KUBE-SVC-{i}\n",
            i >> 8, i & 0xff, 80 + (i % 3)
        );
        kube += &format!("-A KUBE-SVC-{i} -m statistic --mode nth --every 2 --packet 0 -j MARK --set-xmark 0x{i:x}/0xffff\n");
        blocklist += &format!("-A OUTPUT -s 10.{}.{}.0/24 -j DROP\n", i >> 8, i & 0xff);
        blocklist += &format!("-A OUTPUT -s 10.200.{}.{} -j DROP\n", i >> 8, i & 0xff);
    }
    kube += "-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j RETURN\nCOMMIT\n";
    blocklist += "COMMIT\n";
    let cases: [(&str, TableKind, &[Probe]); 2] = [
        (
            &kube,
            TableKind::Nat,
            &[
                ([192, 0, 2, 1], [10, 96, 1, 7], 80 + (263 % 3)),
                ([192, 0, 2, 1], [10, 96, 1, 7], 443),
                ([192, 0, 2, 1], [10, 97, 1, 7], 80),
            ],
        ),
        (
            &blocklist,
            TableKind::Filter,
            &[
                ([10, 1, 3, 9], [192, 0, 2, 1], 80),
                ([10, 200, 1, 3], [192, 0, 2, 1], 80),
                ([10, 201, 1, 3], [192, 0, 2, 1], 80),
            ],
        ),
    ];
    for (text, kind, packets) in cases {
        let rs = parse_restore(text, &RestoreOptions::new(Family::Ipv4)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(kind).unwrap();
        let mut states = [t.new_state(), t.new_state()];
        for round in 0..3 {
            for &(s, d, port) in packets {
                let data = PacketBuilder::ipv4(s.into(), d.into())
                    .tcp(40000, port)
                    .build();
                let meta = PacketMeta::parse(&data).unwrap();
                let mut out = Vec::new();
                for (k, st) in states.iter_mut().enumerate() {
                    let mut d = data.clone();
                    let mut pkt = PacketCtx {
                        family: Family::Ipv4,
                        data: &mut d,
                        meta,
                        hook: Hook::LocalOut,
                        in_dev: "",
                        out_dev: "eth0",
                        mark: 0,
                        now: Instant::ZERO,
                        nf_trace: true,
                        pkt_type: 4,
                        src_mac: None,
                        sk_owner: None,
                        csum_partial: false,
                    };
                    let mut rec = Records::default();
                    let mut env = TestEnv { rng: 1, jiffies: 0 };
                    let v = if k == 0 {
                        run_table_linear(t, st, Hook::LocalOut, &mut pkt, &mut env, &mut rec)
                    } else {
                        run_table(t, st, Hook::LocalOut, &mut pkt, &mut env, &mut rec)
                    };
                    out.push((v, pkt.mark, rec, st.end));
                }
                assert_eq!(out[0], out[1], "round {round} {s:?} -> {d:?}:{port}");
                assert!(!out[0].2 .0.is_empty());
            }
        }
        assert_eq!(states[0].counters, states[1].counters);
        assert_eq!(states[0].match_state, states[1].match_state);
    }
}
