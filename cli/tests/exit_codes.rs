//! `nfsim save` refuses what iptables-restore refuses, with its exit
//! status: 2 for a parameter problem (`xtables_error(PARAMETER_PROBLEM)`),
//! 1 for the other failures (`line N failed`, `COMMIT expected`,
//! `OTHER_PROBLEM`, unreadable input). Every expected status below was
//! measured with iptables-legacy-restore v1.8.9 (with and without
//! `--test`) in a scratch network namespace on Linux 6.18.

use std::io::Write;
use std::process::{Command, Stdio};

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, Problem, RestoreOptions};

const HEAD: &str = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";

/// Runs `nfsim save [args] -` with `input` on standard input: (status, stderr).
fn save(args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .arg("save")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nfsim");
    // nfsim may refuse its arguments and exit before it reads its input:
    // a closed pipe is not a failure here, the status says what happened.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write: {e}");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().expect("exited"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A rule with `n` comment matches: 4 words each, plus `-A INPUT -j ACCEPT`.
fn comments(n: usize) -> String {
    let mut s = String::from(HEAD);
    s += "-A INPUT";
    for i in 0..n {
        s += &format!(" -m comment --comment c{i}");
    }
    s + " -j ACCEPT\nCOMMIT\n"
}

#[test]
fn argument_limit_61_comments_pass_62_fail() {
    // iptables-restore's argv holds MAX_ARGC - 1 = 254 arguments: the
    // program name, -t, the table, then 4 * 61 + 4 = 248 words fit;
    // 4 * 62 + 4 = 252 do not.
    let o = RestoreOptions::new(Family::Ipv4);
    assert!(parse_restore(comments(61), &o).is_ok());
    let e = parse_restore(comments(62), &o).expect_err("too many arguments");
    assert_eq!(e.message, "Parser cannot handle more arguments");
    assert_eq!(e.problem, Problem::Parameter);
    assert_eq!(e.line, 5);
    assert!(parse_restore(comments(10_000), &o).is_err());
    assert_eq!(save(&[], &comments(61)).0, 0);
    let (code, err) = save(&[], &comments(62));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Parser cannot handle more arguments"), "{err}");
}

/// `-A INPUT` and `n` times `-4` (an option iptables accepts and ignores).
fn dash4(prefix: &str, n: usize) -> String {
    format!("{HEAD}{prefix}-A INPUT{}\nCOMMIT\n", " -4".repeat(n))
}

#[test]
fn argument_limit_counts_restored_counters() {
    // 3 + 2 + 249 = 254 arguments fit, 255 do not.
    assert_eq!(save(&[], &dash4("", 249)).0, 0);
    assert_eq!(save(&[], &dash4("", 250)).0, 2);
    // Without --counters, `[p:b]` adds nothing.
    assert_eq!(save(&[], &dash4("[1:2] ", 249)).0, 0);
    // With --counters, `--set-counters P B` takes three more.
    assert_eq!(save(&["-c"], &dash4("[1:2] ", 246)).0, 0);
    assert_eq!(save(&["-c"], &dash4("[1:2] ", 247)).0, 2);
    assert_eq!(save(&["-c"], &dash4("", 247)).0, 0);
}

#[test]
fn exit_status_by_class_as_iptables_restore() {
    let nat = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
    let long = "x".repeat(1100);
    let cases: Vec<(&str, String, i32)> = vec![
        // xtables_error(PARAMETER_PROBLEM) while parsing a rule: 2.
        (
            "unknown option",
            format!("{HEAD}-A INPUT -p tcp --dpt 22\nCOMMIT\n"),
            2,
        ),
        (
            "bad address",
            format!("{HEAD}-A INPUT -s 1.2.3.400 -j ACCEPT\nCOMMIT\n"),
            2,
        ),
        (
            "unknown target",
            format!("{HEAD}-A INPUT -j NOSUCHTARGET\nCOMMIT\n"),
            2,
        ),
        (
            "unknown match",
            format!("{HEAD}-A INPUT -m nosuchmatch\nCOMMIT\n"),
            2,
        ),
        (
            "two commands",
            format!("{HEAD}-A INPUT -D INPUT\nCOMMIT\n"),
            2,
        ),
        ("bad -N name", format!("{HEAD}-N !x\nCOMMIT\n"), 2),
        (
            "parameter too long",
            format!("{HEAD}-A INPUT -m comment --comment {long}\nCOMMIT\n"),
            2,
        ),
        // ... and in iptables-restore's own line handling: 2.
        ("need ]", format!("{HEAD}[1:2 -A INPUT\nCOMMIT\n"), 2),
        ("need :", format!("{HEAD}[12] -A INPUT\nCOMMIT\n"), 2),
        ("table name invalid", "*\nCOMMIT\n".to_string(), 2),
        ("no such table", "*foo\nCOMMIT\n".to_string(), 2),
        (
            "chain name too long",
            format!("{HEAD}:{} - [0:0]\nCOMMIT\n", "A".repeat(33)),
            2,
        ),
        (
            "chain exists",
            format!("{HEAD}:X - [0:0]\n:X - [0:0]\nCOMMIT\n"),
            2,
        ),
        ("policy missing", format!("{HEAD}:X\nCOMMIT\n"), 2),
        // Can't set policy: OTHER_PROBLEM, 1.
        (
            "bad policy",
            "*filter\n:INPUT FOO [0:0]\nCOMMIT\n".to_string(),
            1,
        ),
        (
            "policy on a user chain",
            format!("{HEAD}:X ACCEPT [0:0]\nCOMMIT\n"),
            1,
        ),
        // libiptc refuses: `line N failed`, 1.
        (
            "no chain",
            format!("{HEAD}-A NOSUCH -j ACCEPT\nCOMMIT\n"),
            1,
        ),
        (
            "delete missing rule",
            format!("{HEAD}-D INPUT -j ACCEPT\nCOMMIT\n"),
            1,
        ),
        (
            "delete number too big",
            format!("{HEAD}-D INPUT 5\nCOMMIT\n"),
            1,
        ),
        (
            "insert number too big",
            format!("{HEAD}-I INPUT 5 -j ACCEPT\nCOMMIT\n"),
            1,
        ),
        (
            "zero number too big",
            format!("{HEAD}-Z INPUT 3\nCOMMIT\n"),
            1,
        ),
        (
            "flush missing chain",
            format!("{HEAD}-F NOSUCH\nCOMMIT\n"),
            1,
        ),
        ("-X built-in", format!("{HEAD}-X INPUT\nCOMMIT\n"), 1),
        (
            "-X referenced",
            format!("{HEAD}-N a\n-A INPUT -j a\n-X a\nCOMMIT\n"),
            1,
        ),
        ("-N exists", format!("{HEAD}-N a\n-N a\nCOMMIT\n"), 1),
        (
            "-E onto existing",
            format!("{HEAD}-N a\n-N b\n-E a b\nCOMMIT\n"),
            1,
        ),
        ("-P bad policy", format!("{HEAD}-P INPUT FOO\nCOMMIT\n"), 1),
        (
            "jump to built-in",
            format!("{HEAD}:X - [0:0]\n-A X -j INPUT\nCOMMIT\n"),
            1,
        ),
        // The kernel refuses the commit: `line N failed`, 1.
        (
            "loop",
            format!("{HEAD}:X - [0:0]\n-A INPUT -j X\n-A X -j X\nCOMMIT\n"),
            1,
        ),
        (
            "target outside its hooks",
            format!("{nat}-A POSTROUTING -p tcp -j DNAT --to-destination 192.0.2.1\nCOMMIT\n"),
            1,
        ),
        // End of input inside a table: 1.
        ("COMMIT expected", format!("{HEAD}-A INPUT -j ACCEPT\n"), 1),
        // Accepted.
        (
            "policy counters ignored without -c",
            format!("{HEAD}:X - [x]\n-A INPUT -j ACCEPT\nCOMMIT\n"),
            0,
        ),
        (
            "bad built-in counters ignored without -c",
            "*filter\n:INPUT ACCEPT [x]\nCOMMIT\n".to_string(),
            0,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, input, want) in &cases {
        let (got, err) = save(&[], input);
        if got != *want {
            wrong.push(format!(
                "{what}: exit {got}, iptables-restore exits {want} ({})",
                err.trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // libiptc refuses a jump to a built-in chain when the rule is added
    // (`iptables-restore: line 6 failed`), reachable or not.
    let o = RestoreOptions::new(Family::Ipv4);
    let e = parse_restore(format!("{HEAD}:X - [0:0]\n-A X -j INPUT\nCOMMIT\n"), &o)
        .expect_err("jump to INPUT");
    assert_eq!((e.line, e.problem), (6, Problem::Other));
    // With --counters, bad policy counters are a parameter problem.
    assert_eq!(save(&["-c"], "*filter\n:INPUT ACCEPT [x]\nCOMMIT\n").0, 2);
}

#[test]
fn unreadable_file_exits_1() {
    // iptables-restore: "Can't open FILE: No such file or directory", exit 1.
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(["save", "/nonexistent/nfsim-exit-codes"])
        .output()
        .expect("run nfsim");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn nfacct_objects_declared_with_the_option() {
    // Measured: iptables-legacy-restore in a namespace without the object
    // says `line 3 failed` and exits 1 (the kernel logs "xt_nfacct:
    // accounting object `web' does not exist"); after `nfacct add web` it
    // loads.
    let rules = format!("{HEAD}-A INPUT -m nfacct --nfacct-name web\nCOMMIT\n");
    let (code, err) = save(&[], &rules);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("xt_nfacct: accounting object `web' does not exist"),
        "{err}"
    );
    let (code, err) = save(&["--nfacct", "other", "--nfacct", "web"], &rules);
    assert_eq!(code, 0, "{err}");
    // Names `nfacct add` refuses (empty: "Invalid argument"), or the same
    // object twice ("Device or resource busy").
    assert_eq!(save(&["--nfacct", ""], &rules).0, 2);
    assert_eq!(save(&["--nfacct", "web", "--nfacct", "web"], &rules).0, 2);
    // Measured: `nfacct add` and iptables both cut a name to 31 bytes, so a
    // 40-byte name declares the object a 40-byte --nfacct-name names.
    let long = "w".repeat(40);
    let rules = format!("{HEAD}-A INPUT -m nfacct --nfacct-name {long}\nCOMMIT\n");
    let (code, err) = save(&["--nfacct", &long], &rules);
    assert_eq!(code, 0, "{err}");
    // A script creates its objects with `nfacct add`, or takes --nfacct's.
    let script = "nfacct add web\niptables -A INPUT -m nfacct --nfacct-name web\n\
                  iptables -A INPUT -m nfacct --nfacct-name mail\n";
    let (code, err) = save(&["--script"], script);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("accounting object `mail' does not exist"),
        "{err}"
    );
    let (code, err) = save(&["--script", "--nfacct", "mail"], script);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn ipsets_declared_with_the_option() {
    // Measured (iptables-legacy 1.8.9, ipset 7.17, in a new namespace):
    // a missing set is a parameter problem at its line (exit 2), as is a
    // set of the other family; SET --map-set outside mangle and
    // --map-prio from PREROUTING are refused by the kernel (`line N
    // failed`, exit 1); the rest loads and saves as below.
    let dir = std::env::temp_dir().join(format!("nfsim-ipset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sets = dir.join("sets");
    std::fs::write(
        &sets,
        "create a hash:ip\ncreate six hash:ip family inet6\ncreate m hash:ip skbinfo\ncreate p hash:ip,port\n",
    )
    .unwrap();
    let s = sets.to_str().unwrap();
    let missing = format!("{HEAD}-A INPUT -m set --match-set nope src -j DROP\nCOMMIT\n");
    let (code, err) = save(&[], &missing);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Set nope doesn't exist."), "{err}");
    assert_eq!(save(&["--ipset", s], &missing).0, 2);
    let six = format!("{HEAD}-A INPUT -m set --match-set six src -j DROP\nCOMMIT\n");
    let (code, err) = save(&["--ipset", s], &six);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("The protocol family of set six is IPv6, which is not applicable."),
        "{err}"
    );
    let ok = "*mangle\n:PREROUTING ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
              -A FORWARD -j SET --map-set m src --map-mark --map-prio\n\
              -A PREROUTING -m set --match-set a src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 3 ! --bytes-eq 4\nCOMMIT\n\
              *filter\n:INPUT ACCEPT [0:0]\n\
              -A INPUT -j SET --add-set a src --exist --timeout 5 --del-set p src,dst\n\
              -A INPUT -j SET --del-set a dst\nCOMMIT\n";
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(["save", "--ipset", s, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(ok.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("-A PREROUTING -m set --match-set a src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-gt 3 ! --bytes-eq 4\n"), "{text}");
    assert!(
        text.contains("-A FORWARD -j SET --map-set m src --map-mark --map-prio\n"),
        "{text}"
    );
    assert!(
        text.contains("-A INPUT -j SET --add-set a src --exist --timeout 5 --del-set p src,dst\n"),
        "{text}"
    );
    let filter_map = format!("{HEAD}-A INPUT -j SET --map-set m src --map-mark\nCOMMIT\n");
    assert_eq!(save(&["--ipset", s], &filter_map).0, 1);
    let prio_pre = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j SET --map-set m src --map-mark --map-prio\nCOMMIT\n";
    assert_eq!(save(&["--ipset", s], prio_pre).0, 1);
    let add_missing = format!("{HEAD}-A INPUT -j SET --add-set nope src\nCOMMIT\n");
    let (code, err) = save(&["--ipset", s], &add_missing);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Set nope doesn't exist."), "{err}");
    // ipset's own refusal of the file, with its line.
    std::fs::write(&sets, "create a hash:ip\nadd a 300.1.1.1\n").unwrap();
    let rules = dir.join("rules");
    std::fs::write(&rules, &missing).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(["save", "--ipset", s, rules.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Error in line 2: Syntax error: cannot parse 300.1.1.1"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
