//! `-j CT --timeout` with the host's timeout policies
//! ([`HostConfig::cttimeout`]): checked when the rules load as
//! `xt_ct_set_timeout` / `nf_ct_set_timeout` check them (each refusal below
//! was refused by iptables-legacy-restore on Linux 6.18, with the log line
//! quoted), and used by the connections the template creates (trace
//! `ct-timeout-policy`).

use crate::host::{Host, HostConfig, HostError};
use crate::model::targets::ct::TimeoutObjects;
use crate::model::Family;
use crate::syntax::{parse_restore, RestoreOptions};

const POLICIES: [&str; 2] = ["tcp1 inet tcp syn_sent 7", "u6 inet6 udp unreplied 7"];

fn objects() -> Vec<(Vec<u8>, Family, u8)> {
    POLICIES
        .iter()
        .map(|l| {
            let p = crate::conntrack::TimeoutPolicy::parse(l, &Default::default()).unwrap();
            (p.name, p.family, p.proto)
        })
        .collect()
}

/// The message of the refusal, or None when the rule loads.
fn load(family: Family, rule: &str) -> Option<String> {
    let text = format!("*raw\n-A PREROUTING {rule}\nCOMMIT\n");
    let objs: &TimeoutObjects = &objects();
    let r = parse_restore(&text, &RestoreOptions::new(family).with_cttimeout(objs));
    r.err().map(|e| e.message)
}

#[test]
fn load_checks_as_xt_ct_set_timeout() {
    let v4 = Family::Ipv4;
    assert_eq!(load(v4, "-p tcp -j CT --timeout tcp1"), None);
    // [..] No such timeout policy "nope"
    assert_eq!(
        load(v4, "-p tcp -j CT --timeout nope").as_deref(),
        Some("CT: No such timeout policy \"nope\"")
    );
    // [..] Timeout policy `tcp1' can only be used by L4 protocol number 6
    assert_eq!(
        load(v4, "-p udp -j CT --timeout tcp1").as_deref(),
        Some("CT: Timeout policy `tcp1' can only be used by L4 protocol number 6")
    );
    assert!(load(v4, "-p udplite -j CT --timeout tcp1").is_some());
    // [..] xt_CT: You must specify a L4 protocol and not use inversions on it
    assert_eq!(
        load(v4, "! -p tcp -j CT --timeout tcp1").as_deref(),
        Some("CT: You must specify a L4 protocol and not use inversions on it")
    );
    assert!(load(v4, "-j CT --timeout tcp1").is_some());
    // [..] Timeout policy `u6' can only be used by L3 protocol number 10
    assert_eq!(
        load(v4, "-p udp -j CT --timeout u6").as_deref(),
        Some("CT: Timeout policy `u6' can only be used by L3 protocol number 10")
    );
    assert_eq!(load(Family::Ipv6, "-p udp -j CT --timeout u6"), None);
    assert_eq!(
        load(Family::Ipv6, "-p tcp -j CT --timeout tcp1").as_deref(),
        Some("CT: Timeout policy `tcp1' can only be used by L3 protocol number 2")
    );
    // Without policies (a fresh host), as before.
    assert!(parse_restore(
        "*raw\n-A PREROUTING -p tcp -j CT --timeout tcp1\nCOMMIT\n",
        &RestoreOptions::new(v4)
    )
    .is_err());
}

#[test]
fn host_declares_policies_as_nfct_add_timeout() {
    let text = "*raw\n-A PREROUTING -p tcp -j CT --timeout tcp1\nCOMMIT\n";
    let objs: &TimeoutObjects = &objects();
    let r4 = parse_restore(
        text,
        &RestoreOptions::new(Family::Ipv4).with_cttimeout(objs),
    )
    .unwrap();
    let r6 = crate::model::Ruleset::new(Family::Ipv6);
    let cfg = |lines: &[&str]| HostConfig {
        cttimeout: lines.iter().map(|l| l.to_string()).collect(),
        ..HostConfig::default()
    };
    assert!(Host::new(&cfg(&POLICIES), &r4, &r6).is_ok());
    // The typed ruleset is checked against the host's policies.
    match Host::new(&cfg(&[]), &r4, &r6) {
        Err(HostError::Ruleset(e)) => {
            assert_eq!(e.message, "CT: No such timeout policy \"tcp1\"")
        }
        other => panic!("{other:?}"),
    }
    // nfct's own refusals (nfct v1.4.7 on Linux 6.18).
    let refused = |lines: &[&str]| match Host::new(&cfg(lines), &r4, &r6) {
        Err(HostError::Config { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    assert!(
        refused(&["tcp1 inet tcp syn_sent 7", "tcp1 inet tcp syn_sent 8"])
            .ends_with("nfct v1.4.7: netlink error: Device or resource busy")
    );
    assert!(refused(&["x inet udp bogus 7"])
        .ends_with("nfct v1.4.7: Wrong state name: `bogus' for protocol `udp'"));
    assert!(
        refused(&["x inet udp unreplied"]).ends_with("nfct v1.4.7: missing value for this timeout")
    );
    assert!(refused(&["x inet udp"]).ends_with("nfct v1.4.7: netlink error: Invalid argument"));
    assert!(refused(&["x inet"]).ends_with("nfct v1.4.7: missing parameters"));
    // Protocols nfsim has no policy for: refused, never ignored.
    assert!(refused(&["x inet sctp established 7"]).contains("not modelled"));
}

#[test]
fn unnamed_states_keep_the_namespace_timeouts() {
    use crate::conntrack::{Config, TimeoutPolicy};
    use crate::time::Duration;
    // tcp_timeout_nlattr_to_obj: nfct list timeout printed SYN_RECV 60,
    // ESTABLISHED 100, SYN_SENT2 120, RETRANS 300, UNACKNOWLEDGED 300 for
    // `tcp inet tcp syn_sent 7 established 100`.
    let p =
        TimeoutPolicy::parse("t inet tcp syn_sent 7 established 100", &Config::default()).unwrap();
    let s = |n: u64| Duration::from_secs(n);
    assert_eq!(
        p.cfg.tcp_timeouts,
        [
            s(7),
            s(7),
            s(60),
            s(100),
            s(120),
            s(60),
            s(30),
            s(120),
            s(10),
            s(120),
            s(300),
            s(300)
        ]
    );
    let mut base = Config::default();
    assert!(base
        .set("net.netfilter.nf_conntrack_udp_timeout_stream", 50)
        .unwrap());
    let u = TimeoutPolicy::parse("u inet udp UNREPLIED 4", &base).unwrap();
    assert_eq!((u.cfg.udp_timeout, u.cfg.udp_timeout_stream), (s(4), s(50)));
}
