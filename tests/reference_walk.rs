//! Equivalence property: the compiled program (`engine::Program`, walked
//! by `run_table` with its address pre-scan and flat jump stack) decides
//! like a plain reference walk of the rules as written, on random rulesets
//! and packets: the same verdict, the same TRACE records (chain and number
//! of every rule, policy and chain end the packet met and matched), the same
//! mark. The reference below interprets a small rule vocabulary directly,
//! independently of the parser, the model and the engine.

use nfsim::engine::{Env, NoTrace, PacketCtx, Program, TraceKind, TraceSink, Verdict};
use nfsim::model::{Family, Hook, TableKind, Target};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::meta::PacketMeta;
use nfsim::wire::{IpProtocol, PacketBuilder};
use proptest::prelude::*;

const CHAINS: [&str; 4] = ["OUTPUT", "U1", "U2", "U3"];
const NETS: [([u8; 4], u8); 5] = [
    ([10, 0, 0, 0], 8),
    ([10, 1, 2, 3], 32),
    ([192, 0, 2, 0], 24),
    ([0, 0, 0, 0], 0),
    ([198, 51, 100, 0], 25),
];
const ADDRS: [[u8; 4]; 4] = [
    [10, 1, 2, 3],
    [10, 9, 9, 9],
    [192, 0, 2, 1],
    [198, 51, 100, 7],
];
const PORTS: [u16; 3] = [22, 80, 443];

#[derive(Debug, Clone)]
enum Tgt {
    None,
    Accept,
    Drop,
    Return,
    Jump(usize),
    Goto(usize),
    Mark(u32, u32),
}

#[derive(Debug, Clone)]
struct Spec {
    chain: usize,
    src: Option<(usize, bool)>,
    dst: Option<(usize, bool)>,
    /// 6 = tcp, 17 = udp.
    proto: Option<u8>,
    dport: Option<(usize, bool)>,
    out_eth1: Option<bool>,
    mark: Option<(u32, u32, bool)>,
    tgt: Tgt,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0usize..4,
        proptest::option::of((0usize..5, any::<bool>())),
        proptest::option::of((0usize..5, any::<bool>())),
        proptest::option::of(prop_oneof![Just(6u8), Just(17u8)]),
        proptest::option::of((0usize..3, any::<bool>())),
        proptest::option::of(any::<bool>()),
        proptest::option::of((
            0u32..3,
            prop_oneof![Just(1u32), Just(3), Just(0xff)],
            any::<bool>(),
        )),
        (
            0u8..7,
            0usize..4,
            0u32..4,
            prop_oneof![Just(1u32), Just(2), Just(0xff)],
        ),
    )
        .prop_map(
            |(chain, src, dst, proto, dport, out_eth1, mark, (t, to, v, m))| {
                // Jumps and gotos only go to later chains (no loops).
                let later = (to % (4 - chain.min(3))) + chain + 1;
                let tgt = match t {
                    0 => Tgt::None,
                    1 => Tgt::Accept,
                    2 => Tgt::Drop,
                    3 => Tgt::Return,
                    4 if later < 4 => Tgt::Jump(later),
                    5 if later < 4 => Tgt::Goto(later),
                    6 => Tgt::Mark(v, m),
                    _ => Tgt::None,
                };
                Spec {
                    chain,
                    src,
                    dst,
                    // --dport needs -p tcp.
                    proto: if dport.is_some() { Some(6) } else { proto },
                    dport,
                    out_eth1,
                    mark,
                    tgt,
                }
            },
        )
}

fn net(i: usize) -> String {
    let (a, p) = NETS[i];
    format!("{}.{}.{}.{}/{p}", a[0], a[1], a[2], a[3])
}

fn render(rules: &[Spec], policy_drop: bool) -> String {
    let mut t = format!(
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT {} [0:0]\n:U1 - [0:0]\n:U2 - [0:0]\n:U3 - [0:0]\n",
        if policy_drop { "DROP" } else { "ACCEPT" }
    );
    for r in rules {
        let mut l = format!("-A {}", CHAINS[r.chain]);
        let neg = |b: bool| if b { " !" } else { "" };
        if let Some((i, inv)) = r.src {
            l += &format!("{} -s {}", neg(inv), net(i));
        }
        if let Some((i, inv)) = r.dst {
            l += &format!("{} -d {}", neg(inv), net(i));
        }
        if let Some(inv) = r.out_eth1 {
            l += &format!("{} -o eth1", neg(inv));
        }
        if let Some(p) = r.proto {
            l += if p == 6 { " -p tcp" } else { " -p udp" };
        }
        if let Some((i, inv)) = r.dport {
            l += &format!(" -m tcp{} --dport {}", neg(inv), PORTS[i]);
        }
        if let Some((v, m, inv)) = r.mark {
            l += &format!(" -m mark{} --mark 0x{v:x}/0x{m:x}", neg(inv));
        }
        l += &match r.tgt {
            Tgt::None => String::new(),
            Tgt::Accept => " -j ACCEPT".into(),
            Tgt::Drop => " -j DROP".into(),
            Tgt::Return => " -j RETURN".into(),
            Tgt::Jump(c) => format!(" -j {}", CHAINS[c]),
            Tgt::Goto(c) => format!(" -g {}", CHAINS[c]),
            Tgt::Mark(v, m) => format!(" -j MARK --set-xmark 0x{v:x}/0x{m:x}"),
        };
        t += &l;
        t.push('\n');
    }
    t + "COMMIT\n"
}

struct Pkt {
    src: usize,
    dst: usize,
    tcp: bool,
    dport: usize,
    eth1: bool,
    mark: u32,
}

fn in_net(addr: [u8; 4], i: usize) -> bool {
    let (a, p) = NETS[i];
    let m = if p == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(p))
    };
    u32::from_be_bytes(addr) & m == u32::from_be_bytes(a) & m
}

/// The reference: `ipt_do_table` as its documentation tells it, over the
/// rule descriptions. Returns (accepted, records, mark).
fn reference(rules: &[Spec], policy_drop: bool, p: &Pkt) -> (bool, Vec<(String, u32)>, u32) {
    let by_chain: Vec<Vec<&Spec>> = (0..4)
        .map(|c| rules.iter().filter(|r| r.chain == c).collect())
        .collect();
    let mut records = Vec::new();
    let mut mark = p.mark;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let (mut chain, mut i) = (0usize, 0usize);
    loop {
        let rs = &by_chain[chain];
        if i >= rs.len() {
            records.push((CHAINS[chain].to_string(), rs.len() as u32 + 1));
            if chain == 0 {
                return (!policy_drop, records, mark);
            }
            // A user chain's end returns to the caller, or to the policy.
            match stack.pop() {
                Some((c, j)) => {
                    chain = c;
                    i = j + 1;
                }
                None => {
                    chain = 0;
                    i = by_chain[0].len();
                }
            }
            continue;
        }
        let r = rs[i];
        let ok = r.src.is_none_or(|(n, inv)| in_net(ADDRS[p.src], n) != inv)
            && r.dst.is_none_or(|(n, inv)| in_net(ADDRS[p.dst], n) != inv)
            && r.out_eth1.is_none_or(|inv| p.eth1 != inv)
            && r.proto.is_none_or(|pr| (pr == 6) == p.tcp)
            && r.dport
                .is_none_or(|(d, inv)| (PORTS[d] == PORTS[p.dport]) != inv)
            && r.mark.is_none_or(|(v, m, inv)| ((mark & m) == v) != inv);
        if !ok {
            i += 1;
            continue;
        }
        records.push((CHAINS[chain].to_string(), i as u32 + 1));
        match r.tgt {
            Tgt::None => i += 1,
            Tgt::Accept => return (true, records, mark),
            Tgt::Drop => return (false, records, mark),
            Tgt::Mark(v, m) => {
                mark = (mark & !m) ^ v;
                i += 1;
            }
            Tgt::Return => match stack.pop() {
                Some((c, j)) => {
                    chain = c;
                    i = j + 1;
                }
                None => {
                    chain = 0;
                    i = by_chain[0].len();
                }
            },
            Tgt::Jump(c) => {
                stack.push((chain, i));
                chain = c;
                i = 0;
            }
            Tgt::Goto(c) => {
                chain = c;
                i = 0;
            }
        }
    }
}

struct MarkEnv;
impl Env for MarkEnv {
    fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
        0
    }
    fn run_target(&mut self, _: TableKind, t: &Target, pkt: &mut PacketCtx<'_>) -> Option<Verdict> {
        match t {
            Target::Mark(m) => {
                pkt.mark = (pkt.mark & !m.mask) ^ m.value;
                None
            }
            _ => panic!("unexpected target {t:?}"),
        }
    }
}

#[derive(Default)]
struct Records(Vec<(String, u32)>);
impl TraceSink for Records {
    fn trace(&mut self, _: TableKind, chain: &[u8], _: TraceKind, num: u32) {
        self.0
            .push((String::from_utf8_lossy(chain).into_owned(), num));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn compiled_program_walks_as_the_reference(
        rules in proptest::collection::vec(spec(), 0..30),
        policy_drop in any::<bool>(),
        src in 0usize..4, dst in 0usize..4, tcp in any::<bool>(), dport in 0usize..3,
        eth1 in any::<bool>(), mark in 0u32..3,
    ) {
        let text = render(&rules, policy_drop);
        let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(TableKind::Filter).unwrap();
        let proto = if tcp { IpProtocol::TCP } else { IpProtocol::UDP };
        let mut l4 = vec![0x9c, 0x40];
        l4.extend_from_slice(&PORTS[dport].to_be_bytes());
        l4.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2, 0xfa, 0xf0, 0, 0, 0, 0]);
        let data = PacketBuilder::ipv4(ADDRS[src].into(), ADDRS[dst].into())
            .protocol(proto).payload(&l4).build();
        let meta = PacketMeta::parse(&data).unwrap();
        let p = Pkt { src, dst, tcp, dport, eth1, mark };
        let (want_accept, want_records, want_mark) = reference(&rules, policy_drop, &p);
        for traced in [true, false] {
            let mut st = t.new_state();
            let mut d = data.clone();
            let mut pkt = PacketCtx {
                family: Family::Ipv4, data: &mut d, meta, hook: Hook::LocalOut,
                in_dev: "", out_dev: if eth1 { "eth1" } else { "eth0" }, mark,
                now: Instant::ZERO, nf_trace: traced, pkt_type: 4,
                src_mac: None, sk_owner: None, csum_partial: false,
            };
            let mut rec = Records::default();
            let v = if traced {
                nfsim::engine::run_table(t, &mut st, Hook::LocalOut, &mut pkt, &mut MarkEnv, &mut rec)
            } else {
                nfsim::engine::run_table(t, &mut st, Hook::LocalOut, &mut pkt, &mut MarkEnv, &mut NoTrace)
            };
            prop_assert_eq!(matches!(v, Verdict::Accept), want_accept, "{}", text);
            prop_assert!(matches!(v, Verdict::Accept | Verdict::Drop));
            prop_assert_eq!(pkt.mark, want_mark, "{}", text);
            if traced {
                prop_assert_eq!(&rec.0, &want_records, "{}", text);
            }
        }
    }
}
