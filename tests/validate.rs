//! Typed rulesets are checked as iptables checks text: what iptables or
//! the kernel would refuse never loads into a host (issue: a `Match::Tcp`
//! without `-p tcp`, an IPv6 address in an IPv4 rule, `-j DROP` in nat).

mod common;

use nfsim::host::{Host, HostConfig, HostError};
use nfsim::model::ext::AddrMask;
use nfsim::model::matches::addrtype::Addrtype;
use nfsim::model::matches::conntrack::{Conntrack, Inv};
use nfsim::model::matches::iprange::Iprange;
use nfsim::model::matches::owner::Owner;
use nfsim::model::matches::statistic::StatisticMode;
use nfsim::model::matches::tcp::Tcp;
use nfsim::model::targets::hmark::HmarkFlags;
use nfsim::model::targets::nat::NatFlags;
use nfsim::model::{ChainName, Family, Match, Rule, Ruleset, TableKind, Target, Verdict};
use nfsim::syntax::{parse_restore, validate, RestoreOptions, ValidationErrorKind};

fn host_err(v4: &Ruleset) -> String {
    match Host::new(&HostConfig::default(), v4, &Ruleset::new(Family::Ipv6)) {
        Err(e @ HostError::Ruleset(_)) => e.to_string(),
        Err(e) => panic!("not a ruleset error: {e}"),
        Ok(_) => panic!("loaded"),
    }
}

fn with_rule(table: TableKind, chain: &str, r: Rule) -> Ruleset {
    let mut rs = Ruleset::new(Family::Ipv4);
    rs.table_mut(table).chain_mut(chain).unwrap().rules.push(r);
    rs
}

#[test]
fn the_issues_three_rulesets_are_refused_with_iptables_wording() {
    let tcp = with_rule(
        TableKind::Filter,
        "INPUT",
        Rule {
            matches: vec![Match::Tcp(Tcp::default())].into(),
            verdict: Verdict::Drop,
            ..Rule::default()
        },
    );
    assert_eq!(
        host_err(&tcp),
        "iptables table filter, chain INPUT, rule 1: x_tables: tcp match: only valid for protocol 6"
    );
    let v6addr = with_rule(
        TableKind::Filter,
        "INPUT",
        Rule {
            src: Some(AddrMask::v6("2001:db8::1".parse().unwrap(), 128)),
            verdict: Verdict::Accept,
            ..Rule::default()
        },
    );
    let e = host_err(&v6addr);
    assert!(
        e.starts_with("iptables table filter, chain INPUT, rule 1: host/network `2001:db8::1"),
        "{e}"
    );
    let nat_drop = with_rule(
        TableKind::Nat,
        "PREROUTING",
        Rule {
            verdict: Verdict::Drop,
            ..Rule::default()
        },
    );
    assert_eq!(
        host_err(&nat_drop),
        "iptables table nat, chain PREROUTING, rule 1: The \"nat\" table is not intended for \
         filtering, the use of DROP is therefore inhibited."
    );
    // The same text through the parser is refused too (iptables' own rules).
    for text in [
        "*filter\n-A INPUT -m tcp --dport 22 -j DROP\nCOMMIT\n",
        "*filter\n-A INPUT -s 2001:db8::1 -j ACCEPT\nCOMMIT\n",
        "*nat\n-A PREROUTING -j DROP\nCOMMIT\n",
    ] {
        assert!(
            parse_restore(text, &RestoreOptions::new(Family::Ipv4)).is_err(),
            "{text}"
        );
    }
}

#[test]
fn jumps_loops_and_hooks_are_checked() {
    let mut rs = with_rule(
        TableKind::Filter,
        "INPUT",
        Rule {
            verdict: Verdict::Jump(ChainName::new("nosuch").unwrap()),
            ..Rule::default()
        },
    );
    assert_eq!(
        validate(&rs).unwrap_err().kind,
        ValidationErrorKind::UnknownChain
    );
    let e = validate(&rs).unwrap_err().to_string();
    assert_eq!(
        e,
        "iptables table filter, chain INPUT, rule 1: Couldn't load target `nosuch':No such file or directory"
    );
    // A loop: a -> b -> a.
    let t = rs.table_mut(TableKind::Filter);
    t.chain_mut("INPUT").unwrap().rules.clear();
    for n in ["a", "b"] {
        t.add_user_chain(ChainName::new(n).unwrap());
    }
    let jump = |to: &str| Rule {
        verdict: Verdict::Jump(ChainName::new(to).unwrap()),
        ..Rule::default()
    };
    t.chain_mut("INPUT").unwrap().rules.push(jump("a"));
    t.chain_mut("a").unwrap().rules.push(jump("b"));
    t.chain_mut("b").unwrap().rules.push(jump("a"));
    let e = validate(&rs).unwrap_err();
    assert_eq!(e.table, TableKind::Filter);
    assert_eq!(e.kind, ValidationErrorKind::Loop);
    assert!(
        e.message.contains("Too many levels of symbolic links"),
        "{e}"
    );
}

#[test]
fn what_the_parser_accepts_validates() {
    // Every ruleset of the kernel traces (hand-written and generated) was
    // accepted by iptables-restore and by nfsim's parser: validation agrees.
    let mut n = 0;
    for p in common::trace_files(true) {
        let t = nfsim::replay::TraceFile::from_json(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let (v4, v6) = t.rulesets().unwrap();
        // In the trace's namespace: with its nfacct objects.
        let objects: Vec<nfsim::model::ByteStr> =
            t.host.nfacct.iter().map(|n| n.as_str().into()).collect();
        // ... and its ip sets.
        let sets = t.ipsets().unwrap();
        // ... and its timeout policies.
        let policies = t.cttimeout_objects().unwrap();
        nfsim::syntax::validate_objects(&v4, &objects, &sets, &policies)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        nfsim::syntax::validate_objects(&v6, &objects, &sets, &policies)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        n += 1;
    }
    assert!(n > 400);
}

/// The typed twins of iptables' own `;FAIL` cases (`../shared/corpus/iptables-t`).
///
/// For each FAIL line and chain, the restore parser refuses
/// `-A CHAIN RULE` in its table with some message. Its typed twin is the
/// same rule as a value: the rule iptables' parser makes of the text
/// before the kernel's checks (`kernel_checks: false`), or, when that parse
/// refuses it in this table (`-j DROP` in nat), the rule it makes in
/// another table and chain (the typed value does not depend on where it was
/// parsed), put where the line puts it. Validation must refuse the twin with
/// the parser's message. A line the parser refuses everywhere is refused
/// while its text is read (an unknown option, a number out of range, a
/// missing argument or option, options that exclude each other): their
/// twins are built by hand where the typed value can hold the fault (a
/// range with min > max, a value inside its field but outside its option's
/// range (`--dscp 0x40`, `--ttl-inc 0`, `--strip-options 1`), a shifted
/// port map, options refused together that
/// the struct holds both of, a policy element `--strict` refuses); the rest
/// (`NFSIM_T_TWINS=1` lists their messages) have no typed value: a number
/// out of range of its field, an unknown name, a missing required option
/// whose field is not optional, an option given twice, or a typed value
/// that means another, valid rule (`--connbytes 1000:0` is `! --connbytes
/// 0:1000`, `--queue-balance 4:4` is `--queue-num 4`).
#[test]
fn typed_twins_of_the_t_fail_cases_are_refused_with_iptables_message() {
    let Some(cases) = common::t_cases() else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: ../shared/corpus/iptables-t not present; typed twins not built"
        );
        return;
    };
    let restore = |family: Family, table: &str, chain: &str, rule: &str, kernel_checks: bool| {
        parse_restore(
            format!("*{table}\n-A {chain} {rule}\nCOMMIT\n"),
            &RestoreOptions {
                kernel_checks,
                ..RestoreOptions::new(family)
            },
        )
    };
    let first_rule = |rs: &Ruleset, table: TableKind, chain: &str| {
        rs.table(table)?.chain(chain)?.rules.first().cloned()
    };
    // Typed twins of lines refused while their text is read: the typed
    // value with the same fault, built in code (or as the parser makes a
    // valid neighbour, then changed). Validation reads the rule's text back
    // as iptables reads it, so it refuses them with iptables' message.
    let parsed = |family: Family, table: &str, rule: &str| -> Rule {
        let kind: TableKind = table.parse().expect("a table name");
        let chain = kind.hooks()[0].chain_name();
        let rs = restore(family, table, chain, rule, false).expect("the valid neighbour parses");
        first_rule(&rs, kind, chain).expect("one rule")
    };
    type Build<'a> = Box<dyn Fn(Family) -> Rule + 'a>;
    // NAT ports without a protocol that has ports (`-p` taken away).
    let without_proto = |family: Family, rule: &str| {
        let mut r = parsed(family, "nat", rule);
        r.proto = 0;
        r.proto_given = false;
        r
    };
    let by_hand: Vec<(&str, &str, Build)> = vec![
        (
            "libipt_DNAT.t",
            "-j DNAT --to-destination 1.1.1.1:1025-65535",
            Box::new(|f| without_proto(f, "-p tcp -j DNAT --to-destination 1.1.1.1:1025-65535")),
        ),
        (
            "libip6t_DNAT.t",
            "-j DNAT --to-destination [dead::beef]:1025-65535",
            Box::new(|f| {
                without_proto(f, "-p tcp -j DNAT --to-destination [dead::beef]:1025-65535")
            }),
        ),
        (
            "libipt_SNAT.t",
            "-j SNAT --to-source 1.1.1.1:1025-65535",
            Box::new(|f| without_proto(f, "-p tcp -j SNAT --to-source 1.1.1.1:1025-65535")),
        ),
        (
            "libip6t_SNAT.t",
            "-j SNAT --to-source [dead::beef]:1025-65535",
            Box::new(|f| without_proto(f, "-p tcp -j SNAT --to-source [dead::beef]:1025-65535")),
        ),
        (
            "libxt_tcp.t",
            "-p tcp -m tcp --sport 4:3",
            Box::new(|_| Rule::tcp().sports(4, 3)),
        ),
        (
            "libxt_tcp.t",
            "-p tcp -m tcp --dport 4:3",
            Box::new(|_| Rule::tcp().dports(4, 3)),
        ),
        (
            "libxt_udp.t",
            "-p udp -m udp --sport 4:3",
            Box::new(|_| Rule::udp().sports(4, 3)),
        ),
        (
            "libxt_udp.t",
            "-p udp -m udp --dport 4:3",
            Box::new(|_| Rule::udp().dports(4, 3)),
        ),
        (
            "libxt_standard.t",
            "! -p 0 -j ACCEPT",
            Box::new(|_| Rule {
                proto_inv: true,
                ..Rule::new().accept()
            }),
        ),
        (
            "libxt_conntrack.t",
            "-m conntrack",
            Box::new(|_| Rule::new().with(Match::Conntrack(Box::default()))),
        ),
        (
            "libxt_conntrack.t",
            "-m conntrack --ctproto 0",
            Box::new(|_| {
                let proto = Some(Inv {
                    value: 0,
                    invert: false,
                });
                Rule::new().with(Match::Conntrack(Box::new(Conntrack {
                    proto,
                    ..Conntrack::default()
                })))
            }),
        ),
        (
            "libxt_conntrack.t",
            "-m conntrack ! --ctproto 0",
            Box::new(|_| {
                let proto = Some(Inv {
                    value: 0,
                    invert: true,
                });
                Rule::new().with(Match::Conntrack(Box::new(Conntrack {
                    proto,
                    ..Conntrack::default()
                })))
            }),
        ),
        (
            "libxt_addrtype.t",
            "-m addrtype",
            Box::new(|_| Rule::new().with(Match::Addrtype(Addrtype::default()))),
        ),
        (
            "libxt_addrtype.t",
            "-m addrtype --limit-iface-in",
            Box::new(|_| {
                Rule::new().with(Match::Addrtype(Addrtype {
                    limit_in: true,
                    ..Addrtype::default()
                }))
            }),
        ),
        (
            "libxt_addrtype.t",
            "-m addrtype --limit-iface-out",
            Box::new(|_| {
                Rule::new().with(Match::Addrtype(Addrtype {
                    limit_out: true,
                    ..Addrtype::default()
                }))
            }),
        ),
        (
            "libxt_addrtype.t",
            "-m addrtype --limit-iface-in --limit-iface-out",
            Box::new(|_| {
                let a = Addrtype {
                    limit_in: true,
                    limit_out: true,
                    ..Addrtype::default()
                };
                Rule::new().with(Match::Addrtype(a))
            }),
        ),
        (
            "libxt_addrtype.t",
            "-m addrtype --src-type LOCAL --limit-iface-in --limit-iface-out",
            Box::new(|_| {
                let a = Addrtype {
                    src: 4,
                    limit_in: true,
                    limit_out: true,
                    ..Addrtype::default()
                };
                Rule::new().with(Match::Addrtype(a))
            }),
        ),
        (
            "libxt_iprange.t",
            "-m iprange",
            Box::new(|family| {
                Rule::new().with(Match::Iprange(Box::new(Iprange {
                    family,
                    src: None,
                    dst: None,
                })))
            }),
        ),
        (
            "libxt_owner.t",
            "-m owner --suppl-groups",
            Box::new(|_| {
                Rule::new().with(Match::Owner(Box::new(Owner {
                    suppl_groups: true,
                    ..Owner::default()
                })))
            }),
        ),
        (
            "libip6t_frag.t",
            "-m frag --fraglast --fragmore",
            Box::new(|family| {
                let mut r = parsed(family, "filter", "-m frag --fraglast");
                if let Some(Match::Frag(f)) = r.matches.first_mut() {
                    f.more = true;
                }
                r
            }),
        ),
        (
            "libxt_recent.t",
            "-m recent --set --rttl",
            Box::new(|family| {
                let mut r = parsed(family, "filter", "-m recent --set");
                if let Some(Match::Recent(m)) = r.matches.first_mut() {
                    m.rttl = true;
                }
                r
            }),
        ),
        (
            "libxt_statistic.t",
            "-m statistic --mode nth ! --every 5 --packet 5",
            Box::new(|family| {
                let mut r = parsed(
                    family,
                    "filter",
                    "-m statistic --mode nth ! --every 5 --packet 4",
                );
                if let Some(Match::Statistic(s)) = r.matches.first_mut() {
                    if let StatisticMode::Nth { packet, .. } = &mut s.mode {
                        *packet = 5;
                    }
                }
                r
            }),
        ),
    ];
    // Ranges with min > max and options valid alone but refused together:
    // the valid neighbour as the parser makes it, then the one field that
    // makes the fault (the typed struct holds both ends, both options).
    let edit = |family: Family, table: &str, neighbour: &str, f: &dyn Fn(&mut Rule)| {
        let mut r = parsed(family, table, neighbour);
        f(&mut r);
        r
    };
    macro_rules! twin {
        ($file:expr, $rule:expr, $table:expr, $neighbour:expr, |$r:ident| $body:expr) => {
            (
                $file,
                $rule,
                Box::new(move |family: Family| {
                    edit(family, $table, $neighbour, &|$r: &mut Rule| $body)
                }) as Build,
            )
        };
    }
    fn each(r: &mut Rule, f: impl Fn(&mut Match)) {
        r.matches.iter_mut().for_each(f);
    }
    let ct_port = |which: usize| -> Box<dyn Fn(&mut Rule)> {
        Box::new(move |r| {
            each(r, |m| {
                if let Match::Conntrack(c) = m {
                    for (i, p) in [
                        &mut c.orig_src_port,
                        &mut c.repl_src_port,
                        &mut c.orig_dst_port,
                        &mut c.repl_dst_port,
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        if let (true, Some(p)) = (i == which, p) {
                            p.value = (4, 3);
                        }
                    }
                }
            })
        })
    };
    let ct_ports: Vec<(&str, &str, Build)> = [
        (
            "-m conntrack --ctorigsrcport 4:3",
            "-m conntrack --ctorigsrcport 3:4",
        ),
        (
            "-m conntrack --ctreplsrcport 4:3",
            "-m conntrack --ctreplsrcport 3:4",
        ),
        (
            "-m conntrack --ctorigdstport 4:3",
            "-m conntrack --ctorigdstport 3:4",
        ),
        (
            "-m conntrack --ctrepldstport 4:3",
            "-m conntrack --ctrepldstport 3:4",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (fail, ok))| {
        let set = ct_port(i);
        let build: Build = Box::new(move |family: Family| {
            let mut r = parsed(family, "filter", ok);
            set(&mut r);
            r
        });
        ("libxt_conntrack.t", fail, build)
    })
    .collect();
    let by_hand: Vec<(&str, &str, Build)> = by_hand
        .into_iter()
        .chain(ct_ports)
        .chain([
            twin!("libipt_ah.t", "-p ah -m ah --ahspi 4:3", "filter", "-p ah -m ah --ahspi 3:4", |r| each(r, |m| if let Match::Ah(a) = m { a.spis = (4, 3) })),
            twin!("libip6t_ah.t", "-m ah --ahspi 4:3", "filter", "-m ah --ahspi 3:4", |r| each(r, |m| if let Match::Ah(a) = m { a.spis = (4, 3) })),
            twin!("libxt_esp.t", "-p esp -m esp --espspi 4:3", "filter", "-p esp -m esp --espspi 3:4", |r| each(r, |m| if let Match::Esp(a) = m { a.spis = (4, 3) })),
            twin!("libxt_ipcomp.t", "-p ipcomp -m ipcomp --ipcompspi 4:3", "filter", "-p ipcomp -m ipcomp --ipcompspi 3:4", |r| each(r, |m| if let Match::Ipcomp(a) = m { a.spis = (4, 3) })),
            twin!("libip6t_frag.t", "-m frag --fragid 4:3", "filter", "-m frag --fragid 3:4", |r| each(r, |m| if let Match::Frag(a) = m { a.ids = (4, 3) })),
            twin!("libip6t_rt.t", "-m rt --rt-segsleft 4:3", "filter", "-m rt --rt-segsleft 3:4", |r| each(r, |m| if let Match::Rt(a) = m { a.segsleft = (4, 3) })),
            twin!("libip6t_mh.t", "-p mobility-header -m mh --mh-type 4:3", "filter", "-p mobility-header -m mh --mh-type 3:4", |r| each(r, |m| if let Match::Mh(a) = m { a.types = (4, 3) })),
            twin!("libxt_length.t", "-m length --length 4:3", "filter", "-m length --length 3:4", |r| each(r, |m| if let Match::Length(a) = m { (a.min, a.max) = (4, 3) })),
            twin!("libxt_conntrack.t", "-m conntrack --ctexpire 4:3", "filter", "-m conntrack --ctexpire 3:4", |r| each(r, |m| if let Some(e) = match m { Match::Conntrack(c) => c.expire.as_mut(), _ => None } { e.value = (4, 3) })),
            twin!("libxt_dccp.t", "-p dccp -m dccp --sport 4:3", "filter", "-p dccp -m dccp --sport 3:4", |r| each(r, |m| if let Match::Dccp(a) = m { a.sports = Some(((4, 3), false)) })),
            twin!("libxt_dccp.t", "-p dccp -m dccp --dport 4:3", "filter", "-p dccp -m dccp --dport 3:4", |r| each(r, |m| if let Match::Dccp(a) = m { a.dports = Some(((4, 3), false)) })),
            twin!("libxt_tcpmss.t", "-p tcp -m tcpmss --mss 65535:1000", "filter", "-p tcp -m tcpmss --mss 1000:65535", |r| each(r, |m| if let Match::TcpMss(a) = m { (a.mss_min, a.mss_max) = (65535, 1000) })),
            // Values in their field's range but outside the option's.
            twin!("libxt_dscp.t", "-m dscp --dscp 0x40", "filter", "-m dscp --dscp 0x3f", |r| each(r, |m| if let Match::Dscp(d) = m { d.dscp = 0x40 })),
            twin!("libxt_DSCP.t", "-j DSCP --set-dscp 0x40", "mangle", "-j DSCP --set-dscp 0x3f", |r| if let Verdict::Ext(Target::Dscp(d)) = &mut r.verdict { d.dscp = 0x40 }),
            twin!("libipt_TTL.t", "-j TTL --ttl-inc 0", "mangle", "-j TTL --ttl-inc 1", |r| if let Verdict::Ext(Target::Ttl(t)) = &mut r.verdict { t.ttl = 0 }),
            twin!("libipt_TTL.t", "-j TTL --ttl-dec 0", "mangle", "-j TTL --ttl-dec 1", |r| if let Verdict::Ext(Target::Ttl(t)) = &mut r.verdict { t.ttl = 0 }),
            twin!("libip6t_HL.t", "-j HL --hl-inc 0", "mangle", "-j HL --hl-inc 1", |r| if let Verdict::Ext(Target::Hl(t)) = &mut r.verdict { t.hop_limit = 0 }),
            twin!("libip6t_HL.t", "-j HL --hl-dec 0", "mangle", "-j HL --hl-dec 1", |r| if let Verdict::Ext(Target::Hl(t)) = &mut r.verdict { t.hop_limit = 0 }),
            twin!("libxt_TCPOPTSTRIP.t", "-p tcp -j TCPOPTSTRIP --strip-options 0", "mangle", "-p tcp -j TCPOPTSTRIP --strip-options 2", |r| if let Verdict::Ext(Target::Tcpoptstrip(t)) = &mut r.verdict { t.strip[0] = 1 }),
            twin!("libxt_TCPOPTSTRIP.t", "-p tcp -j TCPOPTSTRIP --strip-options 1", "mangle", "-p tcp -j TCPOPTSTRIP --strip-options 2", |r| if let Verdict::Ext(Target::Tcpoptstrip(t)) = &mut r.verdict { t.strip[0] = 1 << 1 }),
            twin!("libxt_TCPOPTSTRIP.t", "-p tcp -j TCPOPTSTRIP --strip-options 1,2", "mangle", "-p tcp -j TCPOPTSTRIP --strip-options 2", |r| if let Verdict::Ext(Target::Tcpoptstrip(t)) = &mut r.verdict { t.strip[0] |= 1 << 1 }),
            twin!("libxt_statistic.t", "-m statistic --mode random ! --probability 1.1", "filter", "-m statistic --mode random ! --probability 0.5", |r| each(r, |m| if let Match::Statistic(st) = m { st.mode = StatisticMode::Random { probability: 2_362_232_013 } })),
            twin!("libipt_osf.t", "-p tcp -m osf --genre linux --ttl 3 --log 0", "filter", "-p tcp -m osf --genre linux --ttl 2 --log 0", |r| each(r, |m| if let Match::Osf(o) = m { o.ttl = Some(3) })),
            // Not `--connbytes 1000:0`: from > to is the inverted range
            // (`connbytes_mt`), printed `! --connbytes 0:1000`, a valid rule.
            twin!("libxt_policy.t", "-m policy --dir in --pol ipsec --strict", "filter", "-m policy --dir in --pol ipsec --strict --reqid 1", |r| each(r, |m| if let Match::Policy(p) = m { p.elems[0].reqid = None })),
            twin!("libipt_policy.t", "-m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --tunnel-dst 10.0.0.0/8", "filter", "-m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --mode tunnel --tunnel-dst 10.0.0.0/8", |r| each(r, |m| if let Match::Policy(p) = m { p.elems[0].mode = None })),
            twin!("libip6t_policy.t", "-m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --tunnel-dst 2001:db8::/32", "filter", "-m policy --dir in --pol ipsec --strict --reqid 1 --spi 0x1 --proto esp --mode tunnel --tunnel-dst 2001:db8::/32", |r| each(r, |m| if let Match::Policy(p) = m { p.elems[0].mode = None })),
            twin!("libxt_HMARK.t", "-j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000004 --hmark-mod 42 --hmark-offset 1 --hmark-tuple ct --hmark-spi-mask 4", "filter", "-j HMARK --hmark-src-prefix 32 --hmark-dst-prefix 32 --hmark-sport-mask 0xffff --hmark-dport-mask 0xffff --hmark-proto-mask 0xffff --hmark-rnd 0x00000004 --hmark-mod 42 --hmark-offset 1 --hmark-tuple ct", |r| if let Verdict::Ext(Target::Hmark(h)) = &mut r.verdict { h.flags |= HmarkFlags::SPI_MASK; h.spi_mask = 4 }),
            twin!("libxt_REDIRECT.t", "-p tcp -j REDIRECT --to-ports 42-1234/567", "nat", "-p tcp -j REDIRECT --to-ports 42-1234", |r| if let Verdict::Ext(Target::Redirect(t)) = &mut r.verdict { t.range.flags |= NatFlags::PROTO_OFFSET; t.range.base_port = 567 }),
            // Not `--queue-balance 4:3`: the typed value is a count
            // (`queues_total` 0), refused by the kernel, not by the parser.
            // Nor `4:4`: one queue is `--queue-num 4`, a valid rule.
        ])
        .collect();
    let mut hand_twinned: std::collections::BTreeSet<(String, Family, String)> = Default::default();
    for (file, rule, build) in &by_hand {
        let lines: Vec<_> = cases
            .iter()
            .filter(|c| c.result == "FAIL" && c.file == *file && c.rule == *rule)
            .collect();
        assert!(!lines.is_empty(), "{file}: no FAIL line `{rule}`");
        for c in lines {
            let kind: TableKind = c.table.parse().expect("a table name");
            for chain in &c.chains {
                let want = restore(c.family, &c.table, chain, &c.rule, true).unwrap_err();
                let mut rs = Ruleset::new(c.family);
                let Some(ch) = rs.table_mut(kind).chain_mut(chain.as_str()) else {
                    panic!("{}: no chain {chain} in {}", c.file, c.table);
                };
                ch.rules.push(build(c.family));
                let Err(got) = validate(&rs) else {
                    panic!("{file} [{:?}] `{rule}`: its typed twin validates", c.family)
                };
                assert_eq!(got.message.trim(), want.message.trim(), "{file} `{rule}`");
            }
            hand_twinned.insert((c.file.clone(), c.family, c.rule.clone()));
        }
    }

    let (mut fails, mut twins, mut text_only) = (0, 0, 0);
    let mut text_messages: std::collections::BTreeMap<String, usize> = Default::default();
    for c in cases.iter().filter(|c| c.result == "FAIL") {
        fails += 1;
        let kind: TableKind = c.table.parse().expect("a table name");
        let mut twinned = false;
        for chain in &c.chains {
            let Err(want) = restore(c.family, &c.table, chain, &c.rule, true) else {
                panic!("{} `{}` in {chain}: accepted, should fail", c.file, c.rule);
            };
            let here = restore(c.family, &c.table, chain, &c.rule, false)
                .ok()
                .and_then(|rs| first_rule(&rs, kind, chain));
            let twin = here.or_else(|| {
                TableKind::ALL.iter().find_map(|t| {
                    t.hooks().iter().find_map(|h| {
                        let rs =
                            restore(c.family, t.name(), h.chain_name(), &c.rule, false).ok()?;
                        first_rule(&rs, *t, h.chain_name())
                    })
                })
            });
            let Some(rule) = twin else {
                continue;
            };
            let mut rs = Ruleset::new(c.family);
            let Some(ch) = rs.table_mut(kind).chain_mut(chain.as_str()) else {
                panic!("{}: no chain {chain} in {}", c.file, c.table);
            };
            ch.rules.push(rule);
            let Err(got) = validate(&rs) else {
                panic!(
                    "{} [{:?}] `{}` in {} {chain}: its typed twin validates, iptables says: {}",
                    c.file, c.family, c.rule, c.table, want.message
                )
            };
            assert_eq!(
                got.message.trim(),
                want.message.trim(),
                "{} [{:?}] `{}` in {} {chain}",
                c.file,
                c.family,
                c.rule,
                c.table
            );
            assert_eq!((got.rule, got.table), (Some(1), kind));
            twinned = true;
        }
        if twinned || hand_twinned.contains(&(c.file.clone(), c.family, c.rule.clone())) {
            twins += 1;
        } else {
            text_only += 1;
            let e = restore(c.family, &c.table, &c.chains[0], &c.rule, true).unwrap_err();
            *text_messages.entry(e.message.clone()).or_default() += 1;
        }
    }
    if std::env::var_os("NFSIM_T_TWINS").is_some() {
        for (m, n) in &text_messages {
            eprintln!("{n:>4} {m:?}");
        }
    }
    eprintln!(
        "typed twins of the .t FAIL cases: {fails} cases, {twins} with a typed twin refused by validate with iptables' message ({} built from text, {} by hand), {text_only} refused while their text is read, without a typed twin (most have no typed value: a number out of range, an unknown option or name, a missing argument or required option, options that exclude each other)",
        twins - hand_twinned.len(),
        hand_twinned.len()
    );
    assert_eq!(fails, twins + text_only);
    assert!(twins > 0);
}
