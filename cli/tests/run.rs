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

/// `nfsim run --summary` ends with `nfacct list` after the run: the
/// kernel's own output after the last packet of the recording.
#[test]
fn summary_prints_nfacct_list_as_the_kernel() {
    let scn = root().join("tests/traces/nfacct-count.toml");
    let json = root().join("tests/traces/nfacct-count.json");
    let (code, out, err) = nfsim(&["run", "--summary", s(&scn)]);
    assert_eq!(code, 0, "{err}");
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("trace")).expect("JSON");
    let last = t["packets"]
        .as_array()
        .expect("packets")
        .last()
        .expect("a packet");
    let kernel: Vec<&str> = last["expect"]["nfacct"]
        .as_array()
        .expect("recorded nfacct list")
        .iter()
        .map(|l| l.as_str().expect("line"))
        .collect();
    assert_eq!(kernel.len(), 7);
    let (_, list) = out
        .split_once("nfacct list:\n")
        .expect("nfacct list printed");
    assert_eq!(list.lines().collect::<Vec<_>>(), kernel);
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

const ROUTER_RULES: &str = "\
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A FORWARD -i eth0 -o eth1 -p tcp --dport 80 -j ACCEPT
-A FORWARD -p udp -j REJECT
-A INPUT -p udp --dport 9 -j DROP
COMMIT
";

const ROUTER: &str = r#"
name = "router"
flows.c = { in = "eth0", src = "192.0.2.20", dst = "203.0.113.80", sport = 40000, dport = 80 }
packets = [
  { flow = "c", flags = "S", seq = 1000, tcp_options = ["mss=1460"] },
  { in = "eth1", src = "203.0.113.80", dst = "198.51.100.1", sport = 80, dport = 40000, flags = "SA", seq = 5000, ack = 1001, gap_ms = 120 },
  { flow = "c", flags = "A", seq = 1001, ack = 5001, payload = "GET /", gap_ms = 1000 },
  { in = "eth0", proto = "udp", src = "192.0.2.20", dst = "203.0.113.53", sport = 5353, dport = 53, payload = "q" },
  { in = "eth0", proto = "udp", src = "192.0.2.20", dst = "192.0.2.1", dport = 9, at_ms = 5000 },
  { in = "eth0", proto = "icmpv6", src = "2001:db8::20", dst = "2001:db8::1", icmp_type = 128, id = 7 },
]

[host]
sysctl = { "net.ipv4.ip_forward" = 1, "net.ipv6.conf.all.forwarding" = 1 }

[rules]
ipv4_file = "router.rules"
"#;

/// (in-device, time in ms, bytes) of each packet of a scenario: its
/// `--dump-packets` and the times of its `--json` run.
fn packets_of(scn: &Path, json: &[Value]) -> Vec<(String, f64, Vec<u8>)> {
    let (code, out, err) = nfsim(&["run", "--dump-packets", s(scn)]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .zip(json)
        .map(|(l, o)| {
            let mut w = l.split(' ');
            let _i = w.next();
            let dev = w.next().unwrap().to_string();
            let hex = w.next().unwrap();
            (
                dev,
                o["at_ms"].as_f64().unwrap(),
                nfsim::replay::from_hex(hex).unwrap(),
            )
        })
        .collect()
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn pcap_in_reproduces_the_run_and_pcap_out_opens_in_tcpdump() {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::{
        InterfaceDescriptionBlock, InterfaceDescriptionOption,
    };
    use pcap_file::pcapng::{Block, PcapNgReader, PcapNgWriter};
    use pcap_file::DataLink;
    use std::time::Duration;

    let rules = scratch("router.rules", ROUTER_RULES);
    let scn = scratch("router.toml", ROUTER);
    let out_cap = scn.with_file_name("router-out.pcapng");
    let (code, out, err) = nfsim(&["run", "--json", s(&scn), "--pcap-out", s(&out_cap)]);
    assert_eq!(code, 0, "{err}");
    let run = json_lines(&out);
    let verdicts: Vec<&str> = run.iter().map(|o| o["verdict"].as_str().unwrap()).collect();
    assert_eq!(
        verdicts,
        ["accept", "accept", "accept", "reject", "drop", "accept"]
    );
    let emitted: Vec<(String, String, f64)> = run
        .iter()
        .flat_map(|o| {
            let t = o["at_ms"].as_f64().unwrap();
            o["emitted"].as_array().unwrap().iter().map(move |e| {
                (
                    e["dev"].as_str().unwrap().to_string(),
                    e["hex"].as_str().unwrap().to_string(),
                    t,
                )
            })
        })
        .collect();
    assert_eq!(emitted.len(), 4, "{emitted:?}");

    // What --pcap-out wrote: one interface per device, named; each emitted
    // packet in an Ethernet frame at its time.
    let mut r = PcapNgReader::new(std::fs::File::open(&out_cap).unwrap()).unwrap();
    let mut got = Vec::new();
    while let Some(b) = r.next_block() {
        if let Block::EnhancedPacket(p) = b.unwrap().into_owned() {
            let idb = &r.interfaces()[p.interface_id as usize];
            let name = idb
                .options
                .iter()
                .find_map(|o| match o {
                    InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
                    _ => None,
                })
                .unwrap();
            assert_eq!(idb.linktype, DataLink::ETHERNET);
            // if_tsresol 9: the count is nanoseconds.
            got.push((
                name,
                nfsim::replay::to_hex(&p.data[14..]),
                p.timestamp.as_nanos() as f64 / 1e6,
            ));
        }
    }
    let names: Vec<String> = r
        .interfaces()
        .iter()
        .filter_map(|i| {
            i.options.iter().find_map(|o| match o {
                InterfaceDescriptionOption::IfName(n) => Some(n.to_string()),
                _ => None,
            })
        })
        .collect();
    assert!(names.contains(&"eth0".to_string()) && names.contains(&"eth1".to_string()));
    assert_eq!(got, emitted);

    // tcpdump reads it.
    match Command::new("tcpdump")
        .args(["-n", "-r", s(&out_cap)])
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "tcpdump -r: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let text = String::from_utf8_lossy(&o.stdout);
            assert_eq!(text.lines().count(), emitted.len(), "{text}");
            assert!(text.contains("Flags [S]"), "{text}");
            assert!(text.contains("ICMP"), "{text}");
        }
        Err(_) => skip_note!("SKIPPED (part): tcpdump is absent: --pcap-out not opened in tcpdump"),
    }

    // --pcap-in of the run's own packets reproduces it: a pcapng with
    // raw IP on two interfaces named as the devices (default microsecond
    // resolution), and, for the packets that all arrive on eth0, a pcap
    // (Ethernet, microseconds, an ARP frame in between) with --in-dev.
    let pkts = packets_of(&scn, &run);
    let base = Duration::from_secs(1_700_000_000);
    let ng_path = scn.with_file_name("router-in.pcapng");
    {
        let f = std::fs::File::create(&ng_path).unwrap();
        let mut w = PcapNgWriter::new(f).unwrap();
        for dev in ["eth1", "eth0"] {
            w.write_pcapng_block(InterfaceDescriptionBlock {
                linktype: DataLink::RAW,
                snaplen: 0,
                options: vec![InterfaceDescriptionOption::IfName(dev.into())],
            })
            .unwrap();
        }
        for (dev, t, b) in &pkts {
            // No if_tsresol: the 64-bit count is microseconds (pcap-file
            // writes the Duration's nanoseconds as the count).
            let micros = (base + Duration::from_micros((t * 1000.0) as u64)).as_micros();
            w.write_pcapng_block(EnhancedPacketBlock {
                interface_id: u32::from(dev == "eth0"),
                timestamp: Duration::from_nanos(micros as u64),
                original_len: b.len() as u32,
                data: std::borrow::Cow::Borrowed(b),
                options: vec![],
            })
            .unwrap();
        }
    }
    // The scenario's host (its `host` via --host), its rules by --rules.
    let capture_run = |cap: &Path, extra: &[&str], host: &Path| {
        let mut args = vec!["run", "--json", "--pcap-in", s(cap), "--host", s(host)];
        args.extend_from_slice(&["--rules", s(&rules)]);
        args.extend_from_slice(extra);
        let (code, out, err) = nfsim(&args);
        assert_eq!(code, 0, "{}: {err}", cap.display());
        (json_lines(&out), err)
    };
    let (again, _) = capture_run(&ng_path, &[], &scn);
    assert_eq!(again, run, "pcapng with named interfaces");

    let eth0_only = ROUTER.replace(
        r#"  { in = "eth1", src = "203.0.113.80", dst = "198.51.100.1", sport = 80, dport = 40000, flags = "SA", seq = 5000, ack = 1001, gap_ms = 120 },
"#,
        "",
    );
    assert_ne!(eth0_only, ROUTER);
    let scn0 = scratch("router0.toml", eth0_only);
    let (code, out, err) = nfsim(&["run", "--json", s(&scn0)]);
    assert_eq!(code, 0, "{err}");
    let run0 = json_lines(&out);
    let pkts0 = packets_of(&scn0, &run0);
    let pcap_path = scn.with_file_name("router-in.pcap");
    {
        let f = std::fs::File::create(&pcap_path).unwrap();
        let mut w = PcapWriter::with_header(f, PcapHeader::default()).unwrap();
        for (k, (dev, t, b)) in pkts0.iter().enumerate() {
            assert_eq!(dev, "eth0");
            let ts = base + Duration::from_micros((t * 1000.0) as u64);
            let mut frame = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 1];
            if k == 1 {
                // An ARP request: not IP, skipped.
                let mut arp = frame.clone();
                arp.extend_from_slice(&[0x08, 0x06]);
                arp.extend_from_slice(&[0; 28]);
                w.write_packet(&PcapPacket::new(ts, arp.len() as u32, &arp))
                    .unwrap();
            }
            frame.extend_from_slice(if b[0] >> 4 == 6 {
                &[0x86, 0xdd]
            } else {
                &[0x08, 0x00]
            });
            frame.extend_from_slice(b);
            w.write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame))
                .unwrap();
        }
    }
    let (again, err) = capture_run(&pcap_path, &["--in-dev", "eth0"], &scn0);
    assert!(
        err.contains("1 frames without an IPv4/IPv6 packet skipped"),
        "{err}"
    );
    assert_eq!(again, run0, "pcap, Ethernet, --in-dev eth0");

    // The written capture read back: the emitted packets, on the devices
    // they left by (its interfaces' names).
    let (code, out, err) = nfsim(&[
        "run",
        "--summary",
        "--pcap-in",
        s(&out_cap),
        "--host",
        s(&scn),
        "--rules",
        s(&rules),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("{} packets\n", emitted.len())),
        "{out}"
    );
}

#[test]
fn pcap_in_errors() {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::DataLink;
    use std::time::Duration;

    let ip = nfsim::question::Question::parse("in eth0 udp 192.0.2.28:5000 > 192.0.2.1:53")
        .unwrap()
        .build()
        .unwrap();
    let write = |name: &str, lt: DataLink, times: &[u64]| {
        let p = scratch(name, "");
        let f = std::fs::File::create(&p).unwrap();
        let h = PcapHeader {
            datalink: lt,
            ..PcapHeader::default()
        };
        let mut w = PcapWriter::with_header(f, h).unwrap();
        for t in times {
            w.write_packet(&PcapPacket::new(
                Duration::from_millis(*t),
                ip.len() as u32,
                &ip,
            ))
            .unwrap();
        }
        p
    };
    let ok = write("ok.pcap", DataLink::RAW, &[1000, 1500]);
    let (code, out, err) = nfsim(&["run", "--summary", "--pcap-in", s(&ok), "--in-dev", "eth0"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "2 packets\n  accept: 2\n"),
        "{err}"
    );
    let cases = [
        (ok.clone(), vec![], "give --in-dev DEV"),
        (
            ok.clone(),
            vec!["--in-dev", "eth9"],
            "packet 0: the host has no device eth9",
        ),
        (
            write("back.pcap", DataLink::RAW, &[1000, 999]),
            vec!["--in-dev", "eth0"],
            "packet 1: its timestamp is earlier than the one before",
        ),
        (
            write("usb.pcap", DataLink::USB_LINUX, &[1000]),
            vec!["--in-dev", "eth0"],
            "is not read (Ethernet, raw IP, Linux cooked, BSD loopback are)",
        ),
        (
            scratch("not.pcap", "hello, world"),
            vec!["--in-dev", "eth0"],
            "not a pcap or pcapng capture",
        ),
    ];
    for (cap, extra, want) in cases {
        let mut args = vec!["run", "--pcap-in", s(&cap)];
        args.extend(extra);
        let (code, _, err) = nfsim(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(want), "{args:?}: want {want:?} in {err:?}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_trace_file_runs_as_replay_checks_it() {
    // The generated traces have no scenario: every fifth of them, and one
    // hand-written trace, run as trace files.
    let mut traces: Vec<PathBuf> = std::fs::read_dir(root().join("tests/traces/generated"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    traces.sort();
    let mut picked: Vec<PathBuf> = traces.into_iter().step_by(5).collect();
    picked.push(root().join("tests/traces/reject-ipv4.json"));
    for t in &picked {
        let run = nfsim(&["run", "--check", s(t)]);
        let replay = nfsim(&["replay", "--check", s(t)]);
        assert_eq!((run.0, &run.1), (replay.0, &replay.1), "{}", t.display());
        assert!(!run.2.contains("panicked"), "{}", run.2);
    }
    // Without --check: one answer per packet, as `trace` prints them.
    let (code, out, err) = nfsim(&[
        "run",
        "--json",
        s(&root().join("tests/traces/reject-ipv4.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 23);
}

/// `--list`: `iptables -L -n -v` after the run, with the counters it
/// produced, checked by hand against SMALL: udp/53 once with a 1-byte
/// payload (20 + 8 + 1 = 29 bytes), udp/54 once (28), udp/55 three times
/// (3 x 28 = 84); each REJECT sends a port unreachable (20 + 8 + the 28
/// bytes it quotes = 56) through OUTPUT, whose policy counts them.
#[test]
fn list_after_the_run_has_its_counters() {
    let p = scratch("small-list.toml", SMALL);
    let (code, out, err) = nfsim(&["run", "--summary", s(&p), "--list", "--line-numbers"]);
    assert_eq!(code, 0, "{err}");
    let want = "5 packets
  accept: 1
  drop: 1
  reject: 3
Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
1        1    29 ACCEPT     17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:53
2        1    28 DROP       17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:54
3        3    84 REJECT     17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:55 reject-with icmp-port-unreachable

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
num   pkts bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 3 packets, 168 bytes)
num   pkts bytes target     prot opt in     out     source               destination         
";
    assert_eq!(out, want);
    // Another table, another family: an empty nat table, no IPv6 rules.
    let (code, out, err) = nfsim(&[
        "run",
        "--summary",
        s(&p),
        "--list",
        "--list-table",
        "nat",
        "-x",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)\n"),
        "{out}"
    );
    let (code, _, err) = nfsim(&["run", s(&p), "--list", "--list-table", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("table `nope': Table does not exist"), "{err}");
}
