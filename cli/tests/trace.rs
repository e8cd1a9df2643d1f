//! `nfsim trace`: one-line questions with asserted verdicts and deciding
//! rules (IPv4 and IPv6; local, forwarded, NATed, rejected, dropped by
//! policy), and the done criterion: each packet of the project's
//! own traces (`tests/traces/*.json`) that the grammar can say exactly
//! gets the same verdict through `nfsim trace` as through the replay path
//! (`TraceFile::build_host` + `Host::receive`/`send`, `Outcome::disposition`).

use std::path::{Path, PathBuf};
use std::process::Command;

use nfsim::host::{Disposition, DropReason, Outcome};
use nfsim::question::{Direction, Question};
use nfsim::replay::{from_hex, TraceFile};
use nfsim::time::Instant;
use nfsim::TraceCollector;
use serde_json::Value;

fn scratch(name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nfsim-trace-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, text.as_ref()).expect("write scratch");
    p
}

/// A trace's ruleset as bytes: the text, or the hex form a ruleset that is
/// not UTF-8 is kept in (`rules.ipv4_hex`).
fn rules_bytes(text: &Option<String>, hex: &Option<String>) -> Vec<u8> {
    match (text, hex) {
        (Some(t), _) => t.clone().into_bytes(),
        (None, Some(h)) => nfsim::replay::from_hex(h).expect("rules hex"),
        (None, None) => Vec::new(),
    }
}

/// Runs `nfsim trace ARGS`: (status, stdout, stderr).
fn trace(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .arg("trace")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run nfsim");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `nfsim trace --json ARGS`, one object per packet.
fn trace_json(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let (code, out, err) = trace(&a);
    assert_eq!(code, 0, "nfsim trace {args:?}: {err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn decided(v: &Value) -> (String, String, String) {
    let d = &v["decided_by"];
    (
        d["table"].as_str().unwrap_or("").to_string(),
        d["chain"].as_str().unwrap_or("").to_string(),
        match &d["rule"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        },
    )
}

fn server_rules() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/server.rules")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn local_accept_and_drop_in_a_user_chain() {
    let r = trace_json(&[
        &server_rules(),
        "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn",
        "+1s",
        "in eth0 tcp 203.0.113.5:40001 > 192.0.2.1:23 syn",
        "+100ms out tcp 192.0.2.1:22 > 203.0.113.5:40000 syn ack 1",
        "+400ms in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 seq 1 ack 1",
    ]);
    assert_eq!(r.len(), 4);
    assert_eq!(r[0]["verdict"], "accept");
    assert_eq!(r[0]["delivered"], "local");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "3".into())
    );
    assert_eq!(
        r[0]["decided_by"]["text"],
        "-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT"
    );
    // The path: rules 1 and 2 failed on their part, 3 matched.
    let path = r[0]["path"].as_array().expect("path");
    assert_eq!(path.len(), 3);
    assert_eq!(path[0]["failed"], "conntrack --ctstate");
    assert_eq!(path[1]["failed"], "-i");
    assert_eq!(path[2]["matched"], true);
    assert_eq!(r[0]["conntrack"].as_array().map(Vec::len), Some(1));
    // Port 23: LOGDROP logs and drops.
    assert_eq!(r[1]["verdict"], "drop");
    assert_eq!(r[1]["at_ms"], 1000.0);
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "LOGDROP".into(), "2".into())
    );
    assert!(r[1]["log"][0]
        .as_str()
        .is_some_and(|l| l.starts_with("drop: IN=eth0 ")));
    // The host's SYN-ACK leaves by eth0 (OUTPUT policy ACCEPT)...
    assert_eq!(r[2]["verdict"], "accept");
    assert_eq!(r[2]["delivered"], "eth0");
    assert_eq!(
        decided(&r[2]),
        ("filter".into(), "OUTPUT".into(), "policy".into())
    );
    // ...and the client's ACK is ESTABLISHED: rule 1.
    assert_eq!(r[3]["at_ms"], 1500.0);
    assert_eq!(r[3]["verdict"], "accept");
    assert_eq!(
        decided(&r[3]),
        ("filter".into(), "INPUT".into(), "1".into())
    );
    assert!(r[3]["conntrack"][0]["entry"]
        .as_str()
        .is_some_and(|e| e.contains("ESTABLISHED")));
}

#[test]
fn dropped_by_policy_and_rejected() {
    let rules = scratch(
        "policy.rules",
        "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A INPUT -p tcp --dport 80 -j ACCEPT\n\
         -A INPUT -p udp --dport 53 -j REJECT\n\
         -A INPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset\nCOMMIT\n",
    );
    let rules = rules.to_str().expect("path");
    let r = trace_json(&[
        rules,
        "in eth0 tcp 198.51.100.7:1234 > 192.0.2.1:443 syn",
        "in eth0 udp 198.51.100.7:1234 > 192.0.2.1:53",
        "in eth0 tcp 198.51.100.7:1235 > 192.0.2.1:25 syn",
    ]);
    assert_eq!(r[0]["verdict"], "drop");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "policy".into())
    );
    assert_eq!(r[0]["decided_by"]["text"], "-P INPUT DROP");
    assert_eq!(r[0]["delivered"], Value::Null);
    assert_eq!(r[1]["verdict"], "reject");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
    // The ICMP port unreachable left by eth0, towards the sender.
    let e = &r[1]["emitted"][0];
    assert_eq!(e["dev"], "eth0");
    assert!(
        e["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("IP 192.0.2.1 > 198.51.100.7: ICMP port-unreachable")),
        "{e}"
    );
    assert_eq!(r[2]["verdict"], "reject");
    assert_eq!(
        decided(&r[2]),
        ("filter".into(), "INPUT".into(), "3".into())
    );
    assert!(r[2]["emitted"][0]["summary"]
        .as_str()
        .is_some_and(|s| s.contains("Flags [R.]")));
}

#[test]
fn forwarded_and_nat() {
    let rules = scratch(
        "nat.rules",
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
         -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80\n\
         -A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n\
         *filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A FORWARD -i eth0 -o eth1 -p tcp --dport 80 -j ACCEPT\n\
         -A FORWARD -i eth1 -o eth0 -j ACCEPT\nCOMMIT\n",
    );
    let rules = rules.to_str().expect("path");
    let host = [
        "--iface",
        "eth0=192.0.2.1/24",
        "--iface",
        "eth1=10.0.0.1/24",
        "--route",
        "default=192.0.2.254",
        "--forward",
    ];
    let mut args: Vec<&str> = host.to_vec();
    args.extend([
        rules,
        "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:8080 syn",
        "in eth1 tcp 10.0.0.7:5000 > 203.0.113.9:443 syn",
        "in eth0 tcp 203.0.113.5:40000 > 10.0.0.9:22 syn",
    ]);
    let r = trace_json(&args);
    // DNAT to 10.0.0.2:80, forwarded out of eth1.
    assert_eq!(r[0]["verdict"], "accept");
    assert_eq!(r[0]["delivered"], "eth1");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "FORWARD".into(), "1".into())
    );
    assert_eq!(
        r[0]["emitted"][0]["summary"],
        "IP 203.0.113.5.40000 > 10.0.0.2.80: Flags [S], seq 0, win 64240, length 0"
    );
    assert!(r[0]["conntrack"][0]["entry"]
        .as_str()
        .is_some_and(|e| e.contains("dst=192.0.2.1") && e.contains("src=10.0.0.2")));
    // Out of eth1 to the world: masqueraded behind 192.0.2.1.
    assert_eq!(r[1]["verdict"], "accept");
    assert_eq!(r[1]["delivered"], "eth0");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "FORWARD".into(), "2".into())
    );
    assert!(r[1]["emitted"][0]["summary"]
        .as_str()
        .is_some_and(|s| s.starts_with("IP 192.0.2.1.")));
    // Port 22 of the inside host: the FORWARD policy.
    assert_eq!(r[2]["verdict"], "drop");
    assert_eq!(
        decided(&r[2]),
        ("filter".into(), "FORWARD".into(), "policy".into())
    );
}

#[test]
fn assumed_forwarding_host() {
    let rules = scratch(
        "fw.rules",
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A FORWARD -p icmp -j ACCEPT\nCOMMIT\n",
    );
    let (code, out, err) = trace(&[
        "--forward",
        rules.to_str().expect("path"),
        "in eth1 icmp 198.51.100.2 > 192.0.2.9 echo-request",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("assumed host"), "{out}");
    assert!(out.contains("sysctl net.ipv4.ip_forward=1"), "{out}");
    assert!(
        out.contains("verdict: ACCEPT, left by eth0 (forwarded)"),
        "{out}"
    );
    assert!(
        out.contains("decided by: filter FORWARD rule 1: -A FORWARD -p icmp -j ACCEPT"),
        "{out}"
    );
    assert!(
        out.contains(
            "sent on eth0: IP 198.51.100.2 > 192.0.2.9: ICMP echo-request, id 0, seq 0, length 8"
        ),
        "{out}"
    );
}

#[test]
fn assumed_host_leaves_loopback_alone() {
    // Loopback is never given to a device: the packet goes over lo and is
    // delivered; 127.0.0.1 arriving on eth0 is a martian, as in the kernel.
    let r = trace_json(&[
        &server_rules(),
        "out tcp 127.0.0.1:40000 > 127.0.0.1:22 syn",
        "in eth0 tcp 203.0.113.5:40000 > 127.0.0.1:22 syn",
    ]);
    assert_eq!(r[0]["verdict"], "accept");
    assert_eq!(r[0]["delivered"], "local");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
    assert_eq!(r[1]["verdict"], "drop");
    assert_eq!(r[1]["decided_by"], Value::Null);
    assert_eq!(r[1]["reason"], "martian address");
}

#[test]
fn ipv6_local_and_rules6() {
    let r6 = scratch(
        "v6.rules",
        "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A INPUT -p ipv6-icmp -j ACCEPT\n-A INPUT -p tcp --dport 443 -j ACCEPT\nCOMMIT\n",
    );
    let r6 = r6.to_str().expect("path");
    let r = trace_json(&[
        "-6",
        r6,
        "in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:443 syn",
        "in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:22 syn",
        "in eth0 icmp6 2001:db8::2 > 2001:db8::1 echo-request",
    ]);
    assert_eq!(r[0]["verdict"], "accept");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
    assert_eq!(r[1]["verdict"], "drop");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "INPUT".into(), "policy".into())
    );
    assert_eq!(r[2]["verdict"], "accept");
    assert_eq!(
        decided(&r[2]),
        ("filter".into(), "INPUT".into(), "1".into())
    );
    // The same ruleset as --rules6 next to an IPv4 one.
    let r = trace_json(&[
        &server_rules(),
        "--rules6",
        r6,
        "in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:22 syn",
        "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn",
    ]);
    assert_eq!(r[0]["verdict"], "drop");
    assert_eq!(r[1]["verdict"], "accept");
}

#[test]
fn script_rules() {
    let s = scratch(
        "fw.sh",
        "#!/bin/sh\niptables -F\niptables -P INPUT DROP\n\
         sudo iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n\
         iptables -A INPUT -p tcp --dport 80 -j ACCEPT\n",
    );
    let r = trace_json(&[
        s.to_str().expect("path"),
        "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:80 syn",
    ]);
    assert_eq!(r[0]["verdict"], "accept");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
}

#[test]
fn errors_name_the_word_and_help_has_examples() {
    let (code, _, err) = trace(&[&server_rules(), "in eth0 tpc 203.0.113.5:1 > 192.0.2.1:2"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("word 3 `tpc`: expected a protocol") && err.contains("did you mean tcp?"),
        "{err}"
    );
    let (code, _, err) = trace(&[&server_rules(), "+5x", "in eth0 udp 1.2.3.4:1 > 5.6.7.8:2"]);
    assert_eq!(code, 2);
    assert!(err.contains("`+5x`"), "{err}");
    // In a pipe there is no colour, NO_COLOR or not.
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args([
            "trace",
            &server_rules(),
            "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn",
        ])
        .env_remove("NO_COLOR")
        .output()
        .expect("run nfsim");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("verdict: ACCEPT") && !text.contains('\x1b'),
        "{text}"
    );
    let (code, out, _) = trace(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Examples:") && out.contains("nfsim trace examples/server.rules"));
}

/// What `trace --json` calls the disposition.
fn verdict(d: &Disposition) -> &'static str {
    match d {
        Disposition::Delivered { .. }
        | Disposition::Forwarded { .. }
        | Disposition::Sent { .. } => "accept",
        Disposition::Dropped { .. } => "drop",
        Disposition::Rejected { .. } => "reject",
        Disposition::Queued { .. } => "queue",
        Disposition::Stolen { .. } => "stolen",
        Disposition::FragmentQueued => "fragment-queued",
        Disposition::Unsupported(_) => "unsupported",
        _ => "none",
    }
}

#[test]
fn trace_agrees_with_replay_on_the_project_traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/traces");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/traces")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut compared, mut total, mut traces_used) = (0usize, 0usize, 0usize);
    let mut kernel_checked = 0usize;
    let mut kernel_rules = 0usize;
    let mut disagreements = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read trace");
        let t = TraceFile::from_json(&text).expect("trace parses");
        total += t.packets.len();
        // The packets the grammar says exactly, up to the first it cannot
        // (later packets depend on the state the skipped one made).
        let mut words = Vec::new();
        for p in &t.packets {
            let bytes = from_hex(&p.hex).expect("hex");
            let dir = match (&p.in_dev, p.out) {
                (_, Some(true)) => Direction::Out,
                (Some(d), _) => Direction::In(d.clone()),
                _ => break,
            };
            // A frame's Ethernet destination (a bridged frame) is not said
            // by the grammar.
            if p.dst_mac.is_some() {
                break;
            }
            let Some(q) = Question::describe(&bytes, dir) else {
                break;
            };
            assert_eq!(q.build().expect("builds"), bytes, "describe is exact");
            words.push((p.at_ms, q.to_string(), bytes));
        }
        if words.is_empty() {
            continue;
        }
        // The replay path.
        let mut host = t.build_host().expect("host");
        let mut out = Outcome::default();
        let mut expected = Vec::new();
        let mut hotdropped = Vec::new();
        for (p, (at, _, bytes)) in t.packets.iter().zip(&words) {
            let now = Instant::from_millis_f64(*at);
            let mut sink = TraceCollector::default();
            match &p.in_dev {
                Some(d) if p.out != Some(true) => {
                    let dev = host.device_index(d).expect("device");
                    host.receive(dev, bytes, now, &mut out, &mut sink);
                }
                _ => host.send(bytes, now, &mut out, &mut sink),
            }
            let d = out.disposition();
            let delivered = match d {
                Disposition::Delivered { .. } => Some("local".to_string()),
                Disposition::Forwarded { dev } | Disposition::Sent { dev } => {
                    host.device(dev).map(str::to_string)
                }
                _ => None,
            };
            let rule = d.rule().map(|r| {
                let is_policy = matches!(
                    d,
                    Disposition::Dropped {
                        reason: DropReason::Policy,
                        ..
                    }
                );
                (
                    r.table.to_string(),
                    r.chain.to_string(),
                    if is_policy {
                        "policy".to_string()
                    } else {
                        r.num.to_string()
                    },
                )
            });
            hotdropped.push(matches!(
                d,
                Disposition::Dropped {
                    reason: DropReason::HotDrop,
                    ..
                }
            ));
            expected.push((verdict(&d), delivered, rule));
        }
        // The same packets through `nfsim trace`.
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("t");
        let r4 = scratch(
            &format!("{stem}.v4"),
            rules_bytes(&t.rules.ipv4, &t.rules.ipv4_hex),
        );
        let r6 = scratch(
            &format!("{stem}.v6"),
            rules_bytes(&t.rules.ipv6, &t.rules.ipv6_hex),
        );
        let host_arg = f.to_str().expect("path").to_string();
        let mut args: Vec<String> = vec![
            "--host".into(),
            host_arg,
            r4.to_string_lossy().into_owned(),
            "--rules6".into(),
            r6.to_string_lossy().into_owned(),
        ];
        for (at, w, _) in &words {
            args.push(format!("@{at}ms {w}"));
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = trace_json(&argv);
        assert_eq!(got.len(), words.len(), "{}", f.display());
        traces_used += 1;
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            compared += 1;
            let g_rule = g["decided_by"].is_object().then(|| decided(g));
            // The deciding entry is one the kernel's TRACE recorded, unless
            // a match of that rule hot-dropped the packet: ipt_do_table
            // calls trace_packet only for a rule whose matches all passed
            // (trace connlimit-sctp-gre: connlimit without a tuple).
            if let (Some(k), Some((table, chain, rule)), false) =
                (&t.packets[i].expect, &g_rule, hotdropped[i])
            {
                kernel_rules += 1;
                let named = |kind: &str| {
                    k.trace.iter().any(|r| {
                        let p: Vec<&str> = r.split(':').collect();
                        p.len() == 4
                            && p[0] == table
                            && p[1] == chain
                            && p[2] == kind
                            && (rule == "policy" || p[3] == rule)
                    })
                };
                let ok = if rule == "policy" {
                    named("policy")
                } else {
                    // TRACE names a rule with the shape of a chain's tail
                    // `policy` / `return` (get_chainname_rulenum).
                    named("rule") || named("policy") || named("return")
                };
                if !ok {
                    disagreements.push(format!(
                        "{} packet {i} `{}`: decided by {table}:{chain}:{rule}, kernel TRACE {:?}",
                        f.display(),
                        words[i].1,
                        k.trace
                    ));
                }
            }
            // And the kernel's `local`, where the trace has it (it is for
            // packets that arrive on a device; a packet the host sends to
            // itself over lo is not counted there).
            let arrived = t.packets[i].out != Some(true);
            if let Some(k) = t.packets[i].expect.as_ref().filter(|_| arrived) {
                kernel_checked += 1;
                if k.local != (g["delivered"] == "local") {
                    disagreements.push(format!(
                        "{} packet {i} `{}`: kernel local={}, trace delivered {}",
                        f.display(),
                        words[i].1,
                        k.local,
                        g["delivered"]
                    ));
                }
            }
            let same = g["verdict"] == e.0
                && g["delivered"].as_str().map(str::to_string) == e.1
                && (e.2.is_none() || g_rule == e.2);
            if !same {
                disagreements.push(format!(
                    "{} packet {i} `{}`: trace {} {} {:?}, replay {:?}",
                    f.display(),
                    words[i].1,
                    g["verdict"],
                    g["delivered"],
                    g_rule,
                    e
                ));
            }
        }
    }
    eprintln!(
        "trace vs replay: {compared} of {total} trace packets compared (the prefix the grammar \
         says exactly, in {traces_used} of {} traces; {kernel_checked} also against the kernel's \
         `local`, {kernel_rules} deciding entries against its TRACE records), {} disagree",
        files.len(),
        disagreements.len()
    );
    assert!(
        compared >= 200,
        "too few packets compared ({compared}): describe regressed?"
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn readme_docker_host_question() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let host = root.join("examples/docker-host.json");
    let rules = root.join("examples/docker-host.rules");
    let (code, out, err) = trace(&[
        "--host",
        host.to_str().expect("path"),
        rules.to_str().expect("path"),
        "in eth0 tcp 203.0.113.5:40000 > 198.51.100.10:8080 syn",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("decided by: filter DOCKER rule 1: -A DOCKER -d 172.17.0.2/32"));
    // The README shows this answer as it is.
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    assert!(
        readme.contains(out.trim()),
        "README's `nfsim trace` answer is not what the command prints:\n{out}"
    );
    // More questions of the same host: another port (INPUT policy), and a
    // container's DNS query masqueraded out of eth0.
    let r = trace_json(&[
        "--host",
        host.to_str().expect("path"),
        rules.to_str().expect("path"),
        "in eth0 tcp 203.0.113.5:40001 > 198.51.100.10:5432 syn",
        "in docker0 udp 172.17.0.2:5353 > 203.0.113.53:53",
    ]);
    assert_eq!(r[0]["verdict"], "drop");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "policy".into())
    );
    assert_eq!(r[1]["delivered"], "eth0");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "FORWARD".into(), "5".into())
    );
    assert_eq!(
        r[1]["emitted"][0]["summary"],
        "IP 198.51.100.10.5353 > 203.0.113.53.53: UDP, length 0"
    );
}

#[test]
fn a_rule_with_the_shape_of_a_chain_tail_is_a_rule() {
    // TRACE calls these `policy` (get_chainname_rulenum); `trace` names
    // them by number, as iptables -L --line-numbers does.
    let rules = scratch(
        "tail.rules",
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -j DROP\n\
         -A OUTPUT -j ACCEPT\nCOMMIT\n",
    );
    let r = trace_json(&[
        rules.to_str().expect("path"),
        "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:23 syn",
        "out udp 192.0.2.1:5353 > 203.0.113.53:53",
    ]);
    assert_eq!(r[0]["verdict"], "drop");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
    assert_eq!(r[0]["decided_by"]["text"], "-A INPUT -j DROP");
    assert_eq!(r[1]["verdict"], "accept");
    assert_eq!(r[1]["delivered"], "eth0");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "OUTPUT".into(), "1".into())
    );
    assert_eq!(r[1]["path"][0]["rule"], 1);
}

#[test]
fn fragments() {
    // A datagram in two fragments: the first waits for reassembly
    // (ip_local_deliver defragments before LOCAL_IN), the second completes
    // it and INPUT sees the whole datagram (so `-f` does not match).
    let rules = scratch(
        "frag.rules",
        "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
         -A INPUT -f -j ACCEPT\n-A INPUT -p udp --dport 53 -j ACCEPT\nCOMMIT\n",
    );
    let r = trace_json(&[
        rules.to_str().expect("path"),
        "in eth0 udp 203.0.113.5:4000 > 192.0.2.1:53 id 9 len 100 frag 0 24",
        "in eth0 udp 203.0.113.5:4000 > 192.0.2.1:53 id 9 len 100 frag 24 100",
    ]);
    assert_eq!(r[0]["verdict"], "fragment-queued");
    assert_eq!(r[0]["path"].as_array().map(Vec::len), Some(0));
    assert_eq!(r[1]["verdict"], "accept");
    assert_eq!(
        decided(&r[1]),
        ("filter".into(), "INPUT".into(), "2".into())
    );
    assert_eq!(r[1]["path"][0]["failed"], "-f");
}

/// `mark N`: the packet's `skb->mark` as it arrives or as a socket with
/// SO_MARK sends it; `-m mark` (xt_mark's `mark_mt`: `(skb->mark & mask)
/// == mark`) decides on it, and a mark set in mangle PREROUTING
/// (`MARK --set-mark`, `mark_tg`) is what the filter table sees.
#[test]
fn packet_mark() {
    let rules = scratch(
        "mark.rules",
        "*mangle\n-A PREROUTING -p udp --dport 7 -j MARK --set-mark 0x5\nCOMMIT\n\
         *filter\n-A INPUT -m mark --mark 0x5 -j DROP\n-A OUTPUT -m mark --mark 0x9/0xf -j DROP\nCOMMIT\n",
    );
    let rules = rules.to_str().expect("path");
    let r = trace_json(&[
        rules,
        "in eth0 tcp 198.51.100.7:1234 > 192.0.2.1:22 syn mark 5",
        "in eth0 tcp 198.51.100.7:1234 > 192.0.2.1:22 syn",
        "in eth0 tcp 198.51.100.7:1235 > 192.0.2.1:22 syn mark 6",
        "in eth0 udp 198.51.100.7:1234 > 192.0.2.1:7",
        "out udp 192.0.2.1:53 > 198.51.100.7:5353 mark 0x19",
        "out udp 192.0.2.1:53 > 198.51.100.7:5353",
    ]);
    assert_eq!(r.len(), 6);
    assert_eq!(r[0]["verdict"], "drop");
    assert_eq!(
        decided(&r[0]),
        ("filter".into(), "INPUT".into(), "1".into())
    );
    assert_eq!(r[1]["verdict"], "accept");
    assert_eq!(r[1]["delivered"], "local");
    assert_eq!(r[2]["verdict"], "accept");
    // Unmarked on arrival, marked 5 by mangle PREROUTING: filter INPUT sees it.
    assert_eq!(r[3]["verdict"], "drop");
    assert_eq!(
        decided(&r[3]),
        ("filter".into(), "INPUT".into(), "1".into())
    );
    // 0x19 & 0xf == 0x9.
    assert_eq!(r[4]["verdict"], "drop");
    assert_eq!(
        decided(&r[4]),
        ("filter".into(), "OUTPUT".into(), "1".into())
    );
    assert_eq!(r[5]["verdict"], "accept");
    assert_eq!(r[5]["delivered"], "eth0");
}

/// `--json` carries `nfacct list` after each packet (the trace format's
/// `nfacct`), as the text output prints it after the packets.
#[test]
fn json_has_nfacct_list() {
    let rules = scratch(
        "nfacct.rules",
        "*filter\n-A INPUT -p udp -m nfacct --nfacct-name web\nCOMMIT\n",
    );
    let rules = rules.to_str().expect("path");
    let r = trace_json(&[
        rules,
        "--nfacct",
        "web",
        "in eth0 udp 198.51.100.7:1234 > 192.0.2.1:53",
        "in eth0 tcp 198.51.100.7:1234 > 192.0.2.1:22 syn",
    ]);
    assert_eq!(r.len(), 2);
    // One 28-byte UDP datagram counted; the TCP SYN (40 bytes) is not.
    let line = "{ pkts = 00000000000000000001, bytes = 00000000000000000028 } = web;";
    assert_eq!(r[0]["nfacct"], serde_json::json!([line]));
    assert_eq!(r[1]["nfacct"], serde_json::json!([line]));
    // Without objects the field is absent.
    let plain = scratch("plain.rules", "*filter\nCOMMIT\n");
    let r = trace_json(&[
        plain.to_str().expect("path"),
        "in eth0 udp 198.51.100.7:1 > 192.0.2.1:53",
    ]);
    assert!(r[0].get("nfacct").is_none());
}
