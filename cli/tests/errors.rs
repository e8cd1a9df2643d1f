//! Errors a person can fix: "did you mean" after iptables' own message for
//! misspelt targets, matches and options; a rule error inside a trace
//! file told at the line and column of the file where the rule is
//! written; `replay --check` counting only packets with an `expect`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `nfsim ARGS` with `input` on standard input: (status, stdout, stderr).
fn nfsim(args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nfsim");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn save_err(rule: &str) -> String {
    let (code, _, err) = nfsim(
        &["save", "-"],
        &format!("*filter\n:INPUT ACCEPT [0:0]\n{rule}\nCOMMIT\n"),
    );
    assert_ne!(code, 0, "{rule} was accepted");
    err.trim_end().to_string()
}

#[test]
fn misspelt_names_get_a_suggestion_after_iptables_message() {
    for (rule, want) in [
        (
            "-A INPUT -j ACCPET",
            "-:3:10: Couldn't load target `ACCPET':No such file or directory; did you mean ACCEPT?",
        ),
        (
            "-A INPUT -j accept",
            "-:3:10: Couldn't load target `accept':No such file or directory; did you mean ACCEPT?",
        ),
        (
            "-A INPUT -j MASQUERAD",
            "-:3:10: Couldn't load target `MASQUERAD':No such file or directory; did you mean MASQUERADE?",
        ),
        (
            "-A INPUT -m conntrak --ctstate NEW -j ACCEPT",
            "-:3:10: Couldn't load match `conntrak':No such file or directory; did you mean conntrack?",
        ),
        (
            "-A INPUT -p tcp --dprt 22 -j ACCEPT",
            "-:3:17: unknown option \"--dprt\"; did you mean --dport?",
        ),
        (
            "-A INPUT -m conntrack --cstate NEW",
            "-:3:23: unknown option \"--cstate\"; did you mean --ctstate?",
        ),
        (
            "-A INPUT -j LOG --log-prefx x",
            "-:3:17: unknown option \"--log-prefx\"; did you mean --log-prefix?",
        ),
        (
            "-A INPUT --sorce 192.0.2.1",
            "-:3:10: unknown option \"--sorce\"; did you mean --source?",
        ),
        // A user-defined chain of the table.
        (
            ":DOCKER-USER - [0:0]\n-A INPUT -j DOCKER-USR",
            "-:4:10: Couldn't load target `DOCKER-USR':No such file or directory; did you mean DOCKER-USER?",
        ),
        // Nothing near: iptables' message alone.
        (
            "-A INPUT -j FOO",
            "-:3:10: Couldn't load target `FOO':No such file or directory",
        ),
        (
            "-A INPUT --frobnicate",
            "-:3:10: unknown option \"--frobnicate\"",
        ),
    ] {
        assert_eq!(save_err(rule), want, "{rule}");
    }
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nfsim-errors-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write scratch");
    p
}

/// A one-packet trace file whose IPv4 ruleset is `rules`, with or
/// without an `expect`.
fn trace_file(rules: &str, expect: bool) -> String {
    let rules = serde_json::to_string(rules).expect("json string");
    // A UDP datagram 192.0.2.20:40000 -> 192.0.2.1:7000 on eth0.
    let hex = nfsim::replay::to_hex(
        &nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .udp(40000, 7000)
            .payload(b"at")
            .build(),
    );
    let expect = if expect {
        ",\n   \"expect\": {\"trace\": [], \"local\": true, \"emitted\": [], \"conntrack\": [], \"log\": []}"
    } else {
        ""
    };
    format!(
        "{{\n \"format\": \"nfsim-trace/1\",\n \"host\": {{\"interfaces\": [{{\"name\": \"eth0\", \"mac\": \"02:00:00:00:00:01\", \"addrs\": [\"192.0.2.1/24\"], \"peer\": {{\"mac\": \"02:00:00:00:01:01\", \"addrs\": [\"192.0.2.20/24\"]}}}}]}},\n \"rules\": {{\n  \"ipv4\": {rules}\n }},\n \"packets\": [\n  {{\"in\": \"eth0\", \"at_ms\": 0, \"hex\": \"{hex}\"{expect}}}\n ]\n}}\n"
    )
}

#[test]
fn a_bad_rule_in_a_trace_is_told_where_it_is_written() {
    let rules = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCPET\nCOMMIT\n";
    let text = trace_file(rules, false);
    let p = scratch("bad-rule.json", &text);
    let f = p.to_str().expect("utf-8 path");
    let (code, _, err) = nfsim(&["replay", f], "");
    assert_eq!(code, 1, "{err}");
    // The rules string is on line 5 of the file; the error is at `-j`.
    let line = text.lines().nth(4).expect("line 5");
    let col = line.find("-j ACCPET").expect("rule in line") + 1;
    assert_eq!(
        err.trim_end(),
        format!("nfsim: {f}:5:{col}: rules.ipv4 line 3: Couldn't load target `ACCPET':No such file or directory; did you mean ACCEPT?")
    );
    assert!(!err.contains("Ipv4"), "no Debug-formatted family: {err}");
}

#[test]
fn a_json_error_leads_with_its_position() {
    let text =
        trace_file("*filter\nCOMMIT\n", false).replace("\"at_ms\": 0", "\"at_ms\": \"soon\"");
    let p = scratch("bad-json.json", &text);
    let f = p.to_str().expect("utf-8 path");
    let (code, _, err) = nfsim(&["replay", f], "");
    assert_eq!(code, 2, "{err}");
    let line = text.lines().position(|l| l.contains("soon")).expect("line") + 1;
    assert!(
        err.starts_with(&format!("nfsim: {f}:{line}:"))
            && err.contains("packets[0].at_ms: invalid type"),
        "{err}"
    );
    // bench reads the file the same way.
    let (code, _, err2) = nfsim(&["bench", f], "");
    assert_eq!((code, err2.clone()), (2, err.clone()));
}

#[test]
fn check_counts_only_packets_with_expectations() {
    let rules = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
    let p = scratch("no-expect.json", &trace_file(rules, false));
    let f = p.to_str().expect("utf-8 path");
    let (code, out, err) = nfsim(&["replay", "--check", f], "");
    assert_eq!(code, 1);
    assert!(!out.contains("packets agree"), "{out}");
    assert_eq!(
        err.trim_end(),
        format!("nfsim: {f}: no packet has an `expect`: nothing to check (1 packet)")
    );
}
