//! `nfsim run`: the recorder's TOML scenarios read in Rust.
//!
//! - every scenario's packets, built from their fields with the library's
//!   `PacketBuilder`, are byte for byte the recorder's (the hex recorded in
//!   the `.json` beside each scenario, and `record.py --check` when python3
//!   is there);
//! - `nfsim run SCN.toml --check` against the recording gives exactly what
//!   `nfsim replay --check SCN.json` gives (same verdict per packet);
//! - TOML errors name the field and the position; `expect` in a scenario;
//!   `--json`, `repeat`, `trace --host SCN.toml`;
//! - pcap: `--pcap-out` opens in tcpdump; `--pcap-in` of a capture (pcap
//!   and pcapng, Ethernet and raw IP) reproduces the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture.
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nfsim-run-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, text.as_ref()).expect("write scratch");
    p
}

/// Runs `nfsim ARGS`: (status, stdout, stderr).
fn nfsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
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

/// The scenarios of tests/traces (and tests/traces/generated, if it holds
/// any), sorted.
fn scenarios() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["tests/traces", "tests/traces/generated"] {
        let Ok(rd) = std::fs::read_dir(root().join(d)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 100, "the scenarios of tests/traces: {}", v.len());
    v
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `record.py --check`'s lines from a recorded trace: `INDEX DEV|out HEX`.
fn recorded_lines(json: &Path) -> String {
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("read json")).expect("json");
    let mut out = String::new();
    for (i, p) in t["packets"].as_array().expect("packets").iter().enumerate() {
        let dev = p["in"].as_str().unwrap_or("out");
        out.push_str(&format!("{i} {dev} {}\n", p["hex"].as_str().expect("hex")));
    }
    out
}

#[test]
fn packets_are_the_recorders() {
    let python = Command::new("python3")
        .args(["-c", "import tomllib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        skip_note!(
            "SKIPPED (part): python3 with tomllib is absent: the packets are checked against the recorded hex only, not against record.py --check"
        );
    }
    let mut n = 0;
    for scn in scenarios() {
        let (code, out, err) = nfsim(&["run", "--dump-packets", s(&scn)]);
        assert_eq!(code, 0, "{}: {err}", scn.display());
        let json = scn.with_extension("json");
        if json.exists() {
            assert_eq!(
                out,
                recorded_lines(&json),
                "{}: packets differ from the recording",
                scn.display()
            );
        }
        if python {
            let r = Command::new("python3")
                .arg(root().join("tools/kernel-oracle/record.py"))
                .arg("--check")
                .arg(&scn)
                .output()
                .expect("record.py --check");
            assert!(r.status.success(), "record.py --check {}", scn.display());
            assert_eq!(
                out,
                String::from_utf8_lossy(&r.stdout),
                "{}: packets differ from record.py --check",
                scn.display()
            );
        }
        n += out.lines().count();
    }
    assert!(n >= 1900, "{n} packets");
}

#[test]
fn check_agrees_with_replay_check() {
    let mut n = 0;
    for scn in scenarios() {
        let json = scn.with_extension("json");
        if !json.exists() {
            continue;
        }
        let run = nfsim(&["run", "--check", s(&scn)]);
        let replay = nfsim(&["replay", "--check", s(&json)]);
        assert_eq!(
            (run.0, &run.1),
            (replay.0, &replay.1),
            "{}: run --check and replay --check differ ({})",
            scn.display(),
            run.2
        );
        assert!(
            run.2.contains("checking against the recording"),
            "{}",
            run.2
        );
        n += 1;
    }
    assert!(n >= 100, "{n} scenarios with a recording");
}

const SMALL: &str = r#"
name = "small"
defaults.proto = "udp"
flows.c = { in = "eth0", src = "192.0.2.20", dst = "192.0.2.1", sport = 5000, dport = 53 }
packets = [
  { flow = "c", payload = "q", expect = { verdict = "accept", local = true } },
  { flow = "c", dport = 54, expect = { verdict = "drop", trace = ["filter:INPUT:rule:2"] } },
  { flow = "c", dport = 55, gap_ms = 1000, repeat = 3, expect = { verdict = "reject" } },
]

[rules]
ipv4 = """
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p udp --dport 54 -j DROP
-A INPUT -p udp --dport 55 -j REJECT
COMMIT
"""
"#;

#[test]
fn expectations_in_the_scenario() {
    let p = scratch("small.toml", SMALL);
    let (code, out, err) = nfsim(&["run", "--check", s(&p)]);
    assert_eq!((code, out.as_str()), (0, "5/5 packets agree\n"), "{err}");
    let bad = scratch("small-bad.toml", SMALL.replace("\"drop\"", "\"accept\""));
    let (code, out, _) = nfsim(&["run", "--check", s(&bad)]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "packet 1: verdict drop, expected accept\n4/5 packets agree\n"
    );
}

#[test]
fn json_and_summary() {
    let p = scratch("small-json.toml", SMALL);
    let (code, out, err) = nfsim(&["run", "--json", s(&p)]);
    assert_eq!(code, 0, "{err}");
    let v: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let verdicts: Vec<&str> = v.iter().map(|o| o["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["accept", "drop", "reject", "reject", "reject"]);
    let times: Vec<f64> = v.iter().map(|o| o["at_ms"].as_f64().unwrap()).collect();
    assert_eq!(times, [0.0, 35.0, 1035.0, 2035.0, 3035.0]);
    assert_eq!(v[1]["decided_by"]["rule"], 2);
    assert_eq!(
        v[0]["packet"],
        "in eth0 udp 192.0.2.20:5000 > 192.0.2.1:53 payload 71"
    );
    let (code, out, _) = nfsim(&["run", "--summary", s(&p)]);
    assert_eq!(code, 0);
    assert_eq!(out, "5 packets\n  accept: 1\n  drop: 1\n  reject: 3\n");
    // Text: as `nfsim trace` prints it.
    let (code, out, _) = nfsim(&["run", s(&p)]);
    assert_eq!(code, 0);
    assert!(out.starts_with("packet 1: in eth0 udp 192.0.2.20:5000 > 192.0.2.1:53"));
    assert!(
        out.contains("decided by: filter INPUT rule 2: -A INPUT -p udp -m udp --dport 54 -j DROP")
    );
}

#[test]
fn rules_by_path() {
    let rules = scratch(
        "by-path.sh",
        "iptables -P INPUT DROP\niptables -A INPUT -p udp --dport 53 -j ACCEPT\n",
    );
    let text = SMALL
        .split("[rules]")
        .next()
        .unwrap()
        .replace(
            "expect = { verdict = \"drop\", trace = [\"filter:INPUT:rule:2\"] }",
            "expect = { verdict = \"drop\", trace = [\"filter:INPUT:policy:2\"] }",
        )
        .replace(
            "expect = { verdict = \"reject\" }",
            "expect = { verdict = \"drop\" }",
        );
    let scn = scratch(
        "by-path.toml",
        format!(
            "{text}\n[rules]\nipv4_file = \"{}\"\n",
            rules.file_name().unwrap().to_str().unwrap()
        ),
    );
    let (code, out, err) = nfsim(&["run", "--check", s(&scn)]);
    assert_eq!((code, out.as_str()), (0, "5/5 packets agree\n"), "{err}");
}

#[test]
fn toml_errors_name_the_field_and_the_position() {
    let cases = [
        (
            SMALL.replace("sport = 5000", "sport = 70000"),
            ":4:73: flows.c.sport: ",
        ),
        (
            SMALL.replace("payload = \"q\"", "paylod = \"q\""),
            ":6:17: packets[0].paylod: unknown field `paylod` (did you mean `payload`?)",
        ),
        (SMALL.replace("[rules]", "[rules"), ":11:7: "),
        (
            SMALL.replace("dport = 54,", "dport = 54, flags = \"SX\","),
            ":7:3: packets[1]: flags: unknown TCP flag 'X'",
        ),
        (
            SMALL.replace(
                "-A INPUT -p udp --dport 54 -j DROP",
                "-A INPUT -p udp --dport 54 -j DORP",
            ),
            ": rules.ipv4:4:",
        ),
    ];
    for (text, want) in cases {
        let p = scratch("err.toml", &text);
        let (code, _, err) = nfsim(&["run", s(&p)]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains(&format!("{}{want}", s(&p))),
            "want {want:?} in {err:?}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn trace_host_takes_a_scenario() {
    let scn = root().join("tests/traces/nat-dnat-portforward.toml");
    let json = scn.with_extension("json");
    let rules = scratch("empty.rules", "*filter\nCOMMIT\n");
    let pkt = "in eth1 udp 203.0.113.5:4000 > 198.51.100.1:53";
    let a = nfsim(&["trace", "--json", "--host", s(&scn), s(&rules), pkt]);
    let b = nfsim(&["trace", "--json", "--host", s(&json), s(&rules), pkt]);
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1);
    let v: Value = serde_json::from_str(a.1.trim()).unwrap();
    assert_eq!(v["verdict"], "accept");
}
