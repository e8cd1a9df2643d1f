//! Rulesets of many chains, deep jumps and wide chains: shapes the 4 KB
//! restore fuzz target cannot reach.
//!
//! - a structured generator (chains declared in any order, jumps, gotos,
//!   loops, unconditional verdicts, hook-restricted targets) checked
//!   against a line-by-line transcription of the kernel's
//!   `mark_source_chains` and `check_target` hook test
//!   (net/ipv4/netfilter/ip_tables.c, net/netfilter/x_tables.c) run on the
//!   flat entry layout the kernel sees;
//! - regression tests that 100,000 chains jumping each to the next, one
//!   chain of 100,000 rules and 100,000 chains load, the deep one on a
//!   thread with a 256 KiB stack (no recursion in the parser, the commit
//!   checks, the compiler or `Host::new`).

use nfsim::host::{Host, HostConfig};
use nfsim::model::{Family, Ruleset, TableKind};
use nfsim::syntax::{parse_restore, save_string, ErrorKind, RestoreOptions, SaveOptions};
use proptest::prelude::*;

/// What a generated rule does.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `-j ACCEPT`: unconditional, ends the kernel's walk of the chain.
    Accept,
    /// `-p tcp -j ACCEPT`
    TcpAccept,
    /// `-j RETURN`: unconditional.
    Return,
    /// `-p udp -j RETURN`
    UdpReturn,
    /// `-j CHAIN`
    Jump,
    /// `-p tcp -j CHAIN`
    TcpJump,
    /// `-g CHAIN`
    Goto,
    /// `-p tcp -j DNAT --to-destination 192.0.2.1`: usable from PREROUTING
    /// and OUTPUT only (`xt_nat` registers DNAT with those hooks).
    Dnat,
    /// `-p tcp`: counts only.
    Count,
}

/// A generated rule: its kind, the user chain it jumps to (if it jumps).
#[derive(Debug, Clone, Copy)]
struct GRule {
    kind: Kind,
    target: usize,
}

/// nat's built-in chains, in hook order, with their hook numbers.
const BUILTINS: [(&str, u32); 4] = [
    ("PREROUTING", 0),
    ("INPUT", 1),
    ("OUTPUT", 3),
    ("POSTROUTING", 4),
];

#[derive(Debug, Clone)]
struct GTable {
    /// User chain names (index = chain number); all distinct.
    names: Vec<String>,
    /// Rules of the built-in chains, then of the user chains.
    rules: Vec<Vec<GRule>>,
    /// The order in which the user chains are declared.
    decl: Vec<usize>,
}

impl GTable {
    fn rule_text(&self, chain: &str, r: &GRule) -> String {
        let t = self.names.get(r.target).map_or("", |s| s.as_str());
        let tail = match r.kind {
            Kind::Accept => "-j ACCEPT".to_string(),
            Kind::TcpAccept => "-p tcp -j ACCEPT".to_string(),
            Kind::Return => "-j RETURN".to_string(),
            Kind::UdpReturn => "-p udp -j RETURN".to_string(),
            Kind::Jump => format!("-j {t}"),
            Kind::TcpJump => format!("-p tcp -j {t}"),
            Kind::Goto => format!("-g {t}"),
            Kind::Dnat => "-p tcp -j DNAT --to-destination 192.0.2.1".to_string(),
            Kind::Count => "-p tcp".to_string(),
        };
        format!("-A {chain} {tail}\n")
    }
    fn chain_name(&self, i: usize) -> &str {
        if i < BUILTINS.len() {
            BUILTINS[i].0
        } else {
            &self.names[i - BUILTINS.len()]
        }
    }
    /// The restore input: chains declared in `decl` order, rules chain by
    /// chain in the reverse of the printed order.
    fn input(&self) -> String {
        let mut s = String::from("*nat\n");
        for (n, _) in BUILTINS {
            s += &format!(":{n} ACCEPT [0:0]\n");
        }
        for &u in &self.decl {
            s += &format!(":{} - [0:0]\n", self.names[u]);
        }
        for ci in (0..self.rules.len()).rev() {
            for r in &self.rules[ci] {
                s += &self.rule_text(self.chain_name(ci), r);
            }
        }
        s + "COMMIT\n"
    }
    /// What `iptables-save` prints: user chains sorted by name bytes.
    fn saved(&self) -> String {
        let mut order: Vec<usize> = (0..BUILTINS.len()).collect();
        let mut users: Vec<usize> = (0..self.names.len()).collect();
        users.sort_by(|a, b| self.names[*a].as_bytes().cmp(self.names[*b].as_bytes()));
        order.extend(users.into_iter().map(|u| u + BUILTINS.len()));
        let mut s = String::from("*nat\n");
        for &ci in &order {
            let pol = if ci < BUILTINS.len() { "ACCEPT" } else { "-" };
            s += &format!(":{} {pol} [0:0]\n", self.chain_name(ci));
        }
        for &ci in &order {
            for r in &self.rules[ci] {
                s += &self.rule_text(self.chain_name(ci), r);
            }
        }
        s + "COMMIT\n"
    }

    /// The kernel's verdict on this table: `translate_table` after libiptc
    /// laid it out. Returns false when the commit fails.
    fn kernel_accepts(&self) -> bool {
        // The blob (libiptc's `iptcc_compile_table`): chains in saved order;
        // a user chain starts with an ERROR entry; each chain ends with its
        // tail (policy or RETURN), an unconditional standard verdict.
        #[derive(Clone, Copy)]
        enum Std {
            /// A standard verdict below zero (ACCEPT, DROP, RETURN...).
            Negative,
            /// A jump (or goto) to this entry.
            Jump(usize),
            /// No standard verdict (fall through, extension, ERROR).
            Other,
        }
        struct Entry {
            uncond: bool,
            std: Std,
            dnat: bool,
            comefrom: u32,
            pcnt: usize,
        }
        let mut order: Vec<usize> = (0..BUILTINS.len()).collect();
        let mut users: Vec<usize> = (0..self.names.len()).collect();
        users.sort_by(|a, b| self.names[*a].as_bytes().cmp(self.names[*b].as_bytes()));
        order.extend(users.into_iter().map(|u| u + BUILTINS.len()));
        // First entry of each chain (after the ERROR head of a user chain).
        let mut start = vec![0usize; self.rules.len()];
        let mut pos = 0;
        for &ci in &order {
            if ci >= BUILTINS.len() {
                pos += 1;
            }
            start[ci] = pos;
            pos += self.rules[ci].len() + 1;
        }
        let mut e: Vec<Entry> = Vec::with_capacity(pos + 1);
        let mut hook_entry = Vec::new();
        for &ci in &order {
            if ci >= BUILTINS.len() {
                e.push(Entry {
                    uncond: true,
                    std: Std::Other,
                    dnat: false,
                    comefrom: 0,
                    pcnt: 0,
                });
            } else {
                hook_entry.push((BUILTINS[ci].1, e.len()));
            }
            for r in &self.rules[ci] {
                let target = || start[BUILTINS.len() + r.target];
                let (uncond, std, dnat) = match r.kind {
                    Kind::Accept | Kind::Return => (true, Std::Negative, false),
                    Kind::TcpAccept | Kind::UdpReturn => (false, Std::Negative, false),
                    Kind::Jump | Kind::Goto => (true, Std::Jump(target()), false),
                    Kind::TcpJump => (false, Std::Jump(target()), false),
                    Kind::Dnat => (false, Std::Other, true),
                    Kind::Count => (false, Std::Other, false),
                };
                e.push(Entry {
                    uncond,
                    std,
                    dnat,
                    comefrom: 0,
                    pcnt: 0,
                });
            }
            e.push(Entry {
                uncond: true,
                std: Std::Negative,
                dnat: false,
                comefrom: 0,
                pcnt: 0,
            });
        }
        // The final ERROR entry.
        e.push(Entry {
            uncond: true,
            std: Std::Other,
            dnat: false,
            comefrom: 0,
            pcnt: 0,
        });
        let size = e.len();
        const NUMHOOKS: u32 = 5;
        // mark_source_chains, statement for statement (next_offset = 1).
        for &(hook, hpos) in &hook_entry {
            let mut pos = hpos;
            e[pos].pcnt = pos;
            'walk: loop {
                let visited = e[pos].comefrom & (1 << hook) != 0;
                if e[pos].comefrom & (1 << NUMHOOKS) != 0 {
                    return false;
                }
                e[pos].comefrom |= (1 << hook) | (1 << NUMHOOKS);
                if (e[pos].uncond && matches!(e[pos].std, Std::Negative)) || visited {
                    loop {
                        e[pos].comefrom ^= 1 << NUMHOOKS;
                        let oldpos = pos;
                        pos = e[pos].pcnt;
                        e[oldpos].pcnt = 0;
                        if pos == oldpos {
                            break 'walk;
                        }
                        if oldpos != pos + 1 {
                            break;
                        }
                    }
                    if pos + 1 >= size {
                        return false;
                    }
                    e[pos + 1].pcnt = pos;
                    pos += 1;
                } else {
                    let newpos = match e[pos].std {
                        Std::Jump(t) => t,
                        _ => {
                            if pos + 1 >= size {
                                return false;
                            }
                            pos + 1
                        }
                    };
                    e[newpos].pcnt = pos;
                    pos = newpos;
                }
            }
        }
        // find_check_entry -> xt_check_target: DNAT's hooks are
        // PREROUTING | OUTPUT; `hook_mask` is the entry's comefrom.
        e.iter()
            .all(|x| !x.dnat || x.comefrom & !((1 << 0) | (1 << 3)) == 0)
    }
}

/// A rule of chain `cur` (built-ins are below 0 in user numbering): jumps
/// mostly go to a later user chain, sometimes anywhere (loops).
fn grule(users: usize, cur: Option<usize>) -> impl Strategy<Value = GRule> {
    (0u8..20, any::<bool>(), 0usize..4, 0usize..1000).prop_map(move |(k, back, d, any)| {
        let mut kind = match k {
            0 => Kind::Accept,
            1 | 2 => Kind::TcpAccept,
            3 => Kind::Return,
            4 => Kind::UdpReturn,
            5..=8 => Kind::Jump,
            9..=11 => Kind::TcpJump,
            12..=13 => Kind::Goto,
            14..=15 => Kind::Dnat,
            _ => Kind::Count,
        };
        let next = cur.map_or(0, |c| c + 1) + d;
        let target = if back && any % 4 == 0 {
            any % users.max(1)
        } else {
            next
        };
        if matches!(kind, Kind::Jump | Kind::TcpJump | Kind::Goto) && target >= users {
            kind = Kind::Count;
        }
        GRule { kind, target }
    })
}

fn gtable() -> impl Strategy<Value = GTable> {
    (0usize..40, 0usize..6, any::<bool>())
        .prop_flat_map(|(users, per_chain, wide)| {
            let builtin = if wide { 0..300usize } else { 0..5usize };
            let chains: Vec<BoxedStrategy<Vec<GRule>>> = (0..BUILTINS.len() + users)
                .map(|ci| {
                    let cur = ci.checked_sub(BUILTINS.len());
                    let len = if ci < BUILTINS.len() {
                        builtin.clone()
                    } else {
                        0..per_chain + 1
                    };
                    proptest::collection::vec(grule(users, cur), len).boxed()
                })
                .collect();
            let names = proptest::collection::hash_set("[a-zA-Z_][a-zA-Z0-9_.-]{0,27}", users)
                .prop_map(|s| s.into_iter().collect::<Vec<_>>());
            let decl = Just((0..users).collect::<Vec<_>>()).prop_shuffle();
            (names, chains, decl)
        })
        .prop_filter(
            "no name clashes with a standard target or table chain",
            |(n, _, _)| {
                n.iter().all(|s| {
                    !matches!(s.as_str(), "ACCEPT" | "DROP" | "QUEUE" | "RETURN")
                    && BUILTINS.iter().all(|(b, _)| b != s)
                    // A chain named like a target extension is a target.
                    && s.to_ascii_uppercase() != *s
                })
            },
        )
        .prop_map(|(names, rules, decl)| GTable { names, rules, decl })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// nfsim commits exactly what the kernel's `translate_table` commits,
    /// and prints it as iptables-save does (chains sorted, rules in order).
    #[test]
    fn chain_graphs_as_the_kernel(g in gtable()) {
        let input = g.input();
        let res = parse_restore(&input, &RestoreOptions::new(Family::Ipv4));
        let kernel = g.kernel_accepts();
        match res {
            Ok(rs) => {
                prop_assert!(kernel, "nfsim accepts what the kernel refuses:\n{}", input);
                let text = save_string(&rs, SaveOptions::default()).expect("UTF-8");
                prop_assert_eq!(&text, &g.saved(), "input:\n{}", input);
                let back = parse_restore(&text, &RestoreOptions::new(Family::Ipv4))
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert_eq!(back, rs);
            }
            Err(e) => {
                prop_assert!(!kernel, "nfsim refuses what the kernel accepts: {}\n{}", e, input);
                prop_assert_eq!(e.kind, ErrorKind::Kernel, "{}", e);
            }
        }
    }
}

const FILTER_HEAD: &str =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";

/// `n` chains c0..c(n-1) declared in reverse order, INPUT -> c0 -> c1 ...
/// (and, with `close`, the last back to c0: a loop).
fn deep(n: usize, close: bool) -> String {
    let mut s = String::from(FILTER_HEAD);
    for i in (0..n).rev() {
        s += &format!(":c{i} - [0:0]\n");
    }
    s += "-A INPUT -j c0\n";
    for i in 0..n - 1 {
        s += &format!("-A c{i} -j c{}\n", i + 1);
    }
    if close {
        s += &format!("-A c{} -g c0\n", n - 1);
    }
    s + "COMMIT\n"
}

/// Runs `f` on a thread with a 256 KiB stack: anything recursing per chain
/// would overflow it long before 100,000 chains.
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no overflow, no panic")
}

#[test]
fn deep_100k_chains_load_without_recursion() {
    let text = deep(100_000, false);
    let (chains, saved_len, back_ok) = small_stack(move || {
        let rs = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).expect("accepted");
        let saved = save_string(&rs, SaveOptions::default()).expect("UTF-8");
        let back = parse_restore(&saved, &RestoreOptions::new(Family::Ipv4)).expect("again");
        let host = Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6));
        let chains = rs.table(TableKind::Filter).map_or(0, |t| t.chains.len());
        assert!(host.is_ok(), "{:?}", host.err());
        (chains, saved.lines().count(), back == rs)
    });
    assert_eq!(chains, 100_003);
    // *filter, 100,003 chain lines, 100,000 rules, COMMIT.
    assert_eq!(saved_len, 1 + 100_003 + 100_000 + 1);
    assert!(back_ok);
}

#[test]
fn deep_100k_loop_is_refused_without_recursion() {
    let text = deep(100_000, true);
    let e = small_stack(move || {
        parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).expect_err("a loop")
    });
    assert_eq!(e.kind, ErrorKind::Kernel);
    assert_eq!(e.message, "Too many levels of symbolic links");
}

#[test]
fn wide_chain_of_100k_rules_loads() {
    let mut s = String::from(FILTER_HEAD);
    for i in 0..100_000u32 {
        s += &format!(
            "-I INPUT 1 -s 10.{}.{}.{}/32 -j ACCEPT\n",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
    }
    s += "COMMIT\n";
    let rs = parse_restore(&s, &RestoreOptions::new(Family::Ipv4)).expect("accepted");
    let t = rs.table(TableKind::Filter).expect("filter");
    let input = t.chain("INPUT").expect("INPUT");
    assert_eq!(input.rules.len(), 100_000);
    // -I 1 puts the last line first.
    let first = save_string(&rs, SaveOptions::default()).expect("UTF-8");
    assert!(first.contains("\n-A INPUT -s 10.1.134.159/32 -j ACCEPT\n-A INPUT -s 10.1.134.158/32"));
}

#[test]
fn many_100k_chains_load_and_delete() {
    let mut s = String::from(FILTER_HEAD);
    for i in (0..100_000).rev() {
        s += &format!("-N m{i}\n");
    }
    for i in 0..100_000 {
        s += &format!("-A INPUT -j m{i}\n");
    }
    // Unreferenced chains can go; referenced ones cannot.
    s += "-N gone\n-X gone\nCOMMIT\n";
    let rs = parse_restore(&s, &RestoreOptions::new(Family::Ipv4)).expect("accepted");
    let t = rs.table(TableKind::Filter).expect("filter");
    assert_eq!(t.chains.len(), 100_003);
    // Sorted by name bytes: m0 m1 m10 m100 ...
    let names: Vec<&[u8]> = t.chains[3..7].iter().map(|c| c.name.as_bytes()).collect();
    assert_eq!(names, [&b"m0"[..], b"m1", b"m10", b"m100"]);
    let e = parse_restore(
        "*filter\n-N a\n-N b\n-A a -j b\n-X b\nCOMMIT\n",
        &RestoreOptions::new(Family::Ipv4),
    )
    .expect_err("b is referenced");
    assert_eq!(e.message, "Too many links");
    let ok = parse_restore(
        "*filter\n-N a\n-N b\n-A a -j b\n-F a\n-X b\n-E a c\n-X\nCOMMIT\n",
        &RestoreOptions::new(Family::Ipv4),
    )
    .expect("b unreferenced after -F a");
    assert_eq!(ok.table(TableKind::Filter).map(|t| t.chains.len()), Some(3));
}

/// `mark_source_chains` stops at an unconditional ACCEPT/DROP/RETURN: what
/// follows is reached from no hook, so neither a loop there nor a target
/// used outside its hooks fails the commit (checked with
/// iptables-legacy-restore on Linux 6.18: both files commit, exit 0).
#[test]
fn walk_stops_at_unconditional_verdicts() {
    let loop_after_accept =
        format!("{FILTER_HEAD}:X - [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j X\n-A X -j X\nCOMMIT\n");
    assert!(parse_restore(&loop_after_accept, &RestoreOptions::new(Family::Ipv4)).is_ok());
    let reachable_loop = format!("{FILTER_HEAD}:X - [0:0]\n-A INPUT -j X\n-A X -j X\nCOMMIT\n");
    assert!(parse_restore(&reachable_loop, &RestoreOptions::new(Family::Ipv4)).is_err());
    let dnat_unreached = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:X - [0:0]\n-A POSTROUTING -j ACCEPT\n-A POSTROUTING -j X\n-A X -p tcp -j DNAT --to-destination 192.0.2.1\nCOMMIT\n";
    assert!(parse_restore(dnat_unreached, &RestoreOptions::new(Family::Ipv4)).is_ok());
    // What `unconditional()` counts as no condition: an all-zero `ipt_ip`
    // (a /0 address is zero; `-i +` is not; IPv6 `-p` sets IP6T_F_PROTO;
    // a goto sets IPT_F_GOTO). Each rule comes before a reachable loop;
    // true = the kernel commits (measured on 6.18).
    let cases = [
        (Family::Ipv4, "-s 0.0.0.0/0 -j ACCEPT", true),
        (Family::Ipv4, "-d 0.0.0.0/0 -j RETURN", true),
        (Family::Ipv4, "-p all -j ACCEPT", true),
        (Family::Ipv4, "-p 0 -j DROP", true),
        (Family::Ipv4, "-j QUEUE", true),
        (Family::Ipv4, "-i + -j ACCEPT", false),
        (Family::Ipv4, "-g X", false),
        (Family::Ipv6, "-s ::/0 -j ACCEPT", true),
        (Family::Ipv6, "-p all -j ACCEPT", false),
        (Family::Ipv6, "-i + -j ACCEPT", false),
    ];
    for (family, first, commits) in cases {
        let text = format!(
            "{FILTER_HEAD}:X - [0:0]\n-A INPUT {first}\n-A INPUT -j X\n-A X -j X\nCOMMIT\n"
        );
        let got = parse_restore(&text, &RestoreOptions::new(family));
        assert_eq!(got.is_ok(), commits, "{family:?} {first}: {got:?}");
    }
    let dnat_reached = dnat_unreached.replace("-A POSTROUTING -j ACCEPT\n", "");
    let e = parse_restore(&dnat_reached, &RestoreOptions::new(Family::Ipv4)).expect_err("hooks");
    assert_eq!(e.kind, ErrorKind::Kernel);
}
