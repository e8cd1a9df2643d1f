//! Rules built in code are the rules iptables builds from their text: for
//! each built rule, its `Display` parsed back with `iptables-restore`'s
//! parser gives the same typed rule, and the ruleset validates.

use nfsim::model::matches::conntrack::CtStates;
use nfsim::model::targets::reject::{Reject, RejectWith};
use nfsim::model::{ChainName, Family, Iface, Rule, TableKind, Target};
use nfsim::syntax::{parse_restore, validate, RestoreOptions};

fn built() -> Vec<(Family, Rule)> {
    let v4 = Family::Ipv4;
    let v6 = Family::Ipv6;
    vec![
        (v4, Rule::tcp().dport(22).ctstate(CtStates::NEW).accept()),
        (
            v4,
            Rule::new()
                .ctstate(CtStates::ESTABLISHED | CtStates::RELATED)
                .accept(),
        ),
        (v4, Rule::udp().sport(53).dports(1024, 65535).accept()),
        (v4, Rule::tcp().sports(1, 1023).dport(80).drop()),
        (v4, Rule::new().protocol(1).drop()),
        (v4, Rule::new().protocol(132).dport(9).accept()),
        (v4, Rule::new().protocol(33).sport(7).accept()),
        (
            v4,
            Rule::new()
                .src("198.51.100.0/24".parse().unwrap())
                .dst("192.0.2.1".parse().unwrap())
                .in_iface(Iface::new("eth+").unwrap())
                .comment("from the lab")
                .drop(),
        ),
        (
            v4,
            Rule::new().out_iface(Iface::new("eth1").unwrap()).return_(),
        ),
        (
            v4,
            Rule::tcp().dport(113).target(Target::Reject(Reject {
                with: RejectWith::TcpReset,
            })),
        ),
        (v4, Rule::new().jump(ChainName::new("USER").unwrap())),
        (v4, Rule::new().goto(ChainName::new("USER").unwrap())),
        (v4, Rule::new()),
        (
            v6,
            Rule::tcp()
                .dport(443)
                .src("2001:db8::/32".parse().unwrap())
                .accept(),
        ),
        (v6, Rule::new().protocol(58).accept()),
    ]
}

#[test]
fn built_rules_are_the_parsed_rules() {
    for (family, rule) in built() {
        let text = format!("*filter\n:USER - [0:0]\n-A FORWARD {rule}\nCOMMIT\n");
        let rs = parse_restore(&text, &RestoreOptions::new(family))
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let parsed = &rs
            .table(TableKind::Filter)
            .unwrap()
            .chain("FORWARD")
            .unwrap()
            .rules[0];
        // `proto_given` is ip6tables' IP6T_F_PROTO: the IPv4 parser leaves
        // it unset and the IPv4 walk (ip_packet_match) never reads it.
        let mut rule = rule;
        rule.proto_given &= family == Family::Ipv6;
        assert_eq!(parsed, &rule, "{text}");
        validate(&rs).unwrap();
    }
}

#[test]
fn a_port_without_its_protocol_is_refused_by_validation() {
    let mut rs = nfsim::model::Ruleset::new(Family::Ipv4);
    let input = rs.table_mut(TableKind::Filter).chain_mut("INPUT").unwrap();
    input.rules.push(Rule::new().protocol(1).dport(22).accept());
    let e = validate(&rs).unwrap_err();
    assert_eq!(e.rule, Some(1));
    assert!(
        e.message.contains("tcp match: only valid for protocol 6"),
        "{e}"
    );
}
