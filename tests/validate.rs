//! Typed rulesets are checked as iptables checks text: what iptables or
//! the kernel would refuse never loads into a host (issue: a `Match::Tcp`
//! without `-p tcp`, an IPv6 address in an IPv4 rule, `-j DROP` in nat).

mod common;

use nfsim::host::{Host, HostConfig, HostError};
use nfsim::model::ext::AddrMask;
use nfsim::model::matches::tcp::Tcp;
use nfsim::model::{ChainName, Family, Match, Rule, Ruleset, TableKind, Verdict};
use nfsim::syntax::{parse_restore, validate, RestoreOptions};

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
            matches: vec![Match::Tcp(Tcp::default())],
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
        validate(&v4).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        validate(&v6).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        n += 1;
    }
    assert!(n > 400);
}
