//! Strings the kernel keeps as bytes (chain names, comments, prefixes,
//! patterns, interface names, recent/hashlimit names).
//!
//! nfsim keeps them as bytes, end to end: whatever iptables-restore accepts
//! and iptables-save prints back, `nfsim save` prints back byte for byte,
//! UTF-8 or not, and a cut to a kernel field size keeps half a character as
//! iptables does. Expected texts and statuses measured with
//! iptables-legacy-restore / iptables-legacy-save v1.8.9 on Linux 6.18 (in
//! a scratch network namespace); [`live_iptables_agrees`] measures them
//! again when it can.

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture (it captures `eprintln!`).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::io::Write;
use std::process::{Command, Stdio};

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

const HEAD: &str = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";

fn e(n: usize) -> String {
    "\u{e9}".repeat(n)
}

fn save(input: &[u8]) -> Result<String, nfsim::syntax::Error> {
    let rs = parse_restore(input, &RestoreOptions::new(Family::Ipv4))?;
    Ok(save_string(&rs, SaveOptions::default()).expect("UTF-8 in, UTF-8 out"))
}

fn save_bytes(input: &[u8]) -> Result<Vec<u8>, nfsim::syntax::Error> {
    let rs = parse_restore(input, &RestoreOptions::new(Family::Ipv4))?;
    Ok(nfsim::syntax::save_bytes(&rs, SaveOptions::default()))
}

/// `nfsim save -` on `input`: (status, stdout, stderr).
fn run(input: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(["save", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nfsim");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().expect("exited"),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn utf8_names_comments_prefixes_count_bytes_as_iptables() {
    // 14 x U+00E9 = 28 bytes: the longest chain name (iptables-save prints it).
    let name = e(14);
    let input = format!("{HEAD}:{name} - [0:0]\nCOMMIT\n");
    assert_eq!(save(input.as_bytes()).expect("28 bytes"), input);
    let input = format!("{HEAD}-N {name}\nCOMMIT\n");
    assert_eq!(
        save(input.as_bytes()).expect("28 bytes"),
        format!("{HEAD}:{name} - [0:0]\nCOMMIT\n")
    );
    // 30 and 29 bytes: refused, with iptables' messages.
    let err = save(format!("{HEAD}:{} - [0:0]\nCOMMIT\n", e(15)).as_bytes()).expect_err("30");
    assert_eq!(
        err.message,
        format!("Invalid chain name `{}' (28 chars max)", e(15))
    );
    let err = save(format!("{HEAD}-N {name}x\nCOMMIT\n").as_bytes()).expect_err("29");
    assert_eq!(
        err.message,
        format!("chain name `{name}x' too long (must be under 29 chars)")
    );
    // A 255-byte comment and a 29-byte log prefix are kept whole.
    let comment = format!("{}x", e(127));
    let input = format!("{HEAD}-A INPUT -m comment --comment \"{comment}\"\nCOMMIT\n");
    assert_eq!(save(input.as_bytes()).expect("255 bytes"), input);
    let prefix = format!("{name}x");
    let input = format!("{HEAD}-A INPUT -j LOG --log-prefix \"{prefix}\"\nCOMMIT\n");
    assert_eq!(save(input.as_bytes()).expect("29 bytes"), input);
}

/// (name, restore input after [`HEAD`], what iptables-save printed after
/// its chain lines), measured as the module says. Bytes 0x80, 0xff, a
/// truncated sequence (0xc3, 0xe2 0x82) and valid UTF-8 mixed.
const CASES: &[(&str, &[u8], &[u8])] = &[
    (
        "chain names",
        b":\xff\x80 - [0:0]\n:a\xc3 - [0:0]\n-A INPUT -j \xff\x80\n-A \xff\x80 -g a\xc3\nCOMMIT\n",
        b":a\xc3 - [0:0]\n:\xff\x80 - [0:0]\n-A INPUT -j \xff\x80\n-A \xff\x80 -g a\xc3\nCOMMIT\n",
    ),
    (
        "-N chain",
        b"-N \xc3\xa9\xff\n-A INPUT -j \xc3\xa9\xff\nCOMMIT\n",
        b":\xc3\xa9\xff - [0:0]\n-A INPUT -j \xc3\xa9\xff\nCOMMIT\n",
    ),
    (
        "-E, -X, -I, -D with such names",
        b"-N \xff\n-N x\x80\n-A INPUT -j \xff\n-E \xff \xfe\x80\n-X x\x80\n-I INPUT 1 -j \xfe\x80\n-D INPUT 2\nCOMMIT\n",
        b":\xfe\x80 - [0:0]\n-A INPUT -j \xfe\x80\nCOMMIT\n",
    ),
    (
        "comments",
        b"-A INPUT -m comment --comment \"a\x80b\xffc\xe2\x82\"\n-A INPUT -m comment --comment \xff\nCOMMIT\n",
        b"-A INPUT -m comment --comment \"a\x80b\xffc\xe2\x82\"\n-A INPUT -m comment --comment \"\xff\"\nCOMMIT\n",
    ),
    (
        "LOG prefix",
        b"-A INPUT -j LOG --log-prefix \"p\xff \xc3\xa9 \xc3: \"\nCOMMIT\n",
        b"-A INPUT -j LOG --log-prefix \"p\xff \xc3\xa9 \xc3: \"\nCOMMIT\n",
    ),
    (
        "NFLOG prefix",
        b"-A INPUT -j NFLOG --nflog-prefix \"n\xff\"\nCOMMIT\n",
        b"-A INPUT -j NFLOG --nflog-prefix \"n\xff\"\nCOMMIT\n",
    ),
    (
        "string patterns",
        b"-A INPUT -m string --string \"a\xffb\" --algo bm\n-A INPUT -m string --string \xc3\xa9 --algo kmp\nCOMMIT\n",
        b"-A INPUT -m string --hex-string \"|61ff62|\" --algo bm\n-A INPUT -m string --hex-string \"|c3a9|\" --algo kmp\nCOMMIT\n",
    ),
    (
        "hex-string with plain bytes",
        b"-A INPUT -m string --hex-string \"a\xff|41|\xc3\" --algo bm\nCOMMIT\n",
        b"-A INPUT -m string --hex-string \"|61ff41c3|\" --algo bm\nCOMMIT\n",
    ),
    (
        "recent names",
        b"-A INPUT -m recent --set --name r\xff\x80 --rsource\n-A INPUT -m recent --rcheck --name \xc3 --rsource\nCOMMIT\n",
        b"-A INPUT -m recent --set --name r\xff\x80 --mask 255.255.255.255 --rsource\n-A INPUT -m recent --rcheck --name \xc3 --mask 255.255.255.255 --rsource\nCOMMIT\n",
    ),
    (
        "hashlimit name",
        b"-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name h\xff\nCOMMIT\n",
        b"-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name h\xff\nCOMMIT\n",
    ),
    (
        "interfaces",
        b"-A INPUT -i e\xff\x80 -j ACCEPT\n-A OUTPUT -o \xc3\xa9+ -j ACCEPT\nCOMMIT\n",
        b"-A INPUT -i e\xff\x80 -j ACCEPT\n-A OUTPUT -o \xc3\xa9+ -j ACCEPT\nCOMMIT\n",
    ),
    (
        "physdev and helper names",
        b"-A INPUT -m helper --helper f\xff -j ACCEPT\n-A FORWARD -m physdev --physdev-in e\xff --physdev-out \xc3\xa9+ -j ACCEPT\nCOMMIT\n",
        b"-A INPUT -m helper --helper \"f\xff\" -j ACCEPT\n-A FORWARD -m physdev --physdev-in e\xff --physdev-out \xc3\xa9+ -j ACCEPT\nCOMMIT\n",
    ),
    (
        // 15 x U+00E9 (30 bytes) cut to the 29 of the prefix, and 254 x
        // then U+00E9 cut to the 255 of a comment: half a character kept.
        "cuts inside a character",
        b"-A INPUT -j LOG --log-prefix \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"\n-A INPUT -m comment --comment \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9\"\nCOMMIT\n",
        b"-A INPUT -j LOG --log-prefix \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\"\n-A INPUT -m comment --comment \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\"\nCOMMIT\n",
    ),
];

fn with_head(b: &[u8]) -> Vec<u8> {
    let mut v = HEAD.as_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

/// Shows bytes for a failure message.
fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

#[test]
fn bytes_round_trip_as_iptables_save_prints_them() {
    for (name, input, want) in CASES {
        let (input, want) = (with_head(input), with_head(want));
        let got = save_bytes(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(show(&got), show(&want), "{name}: library");
        // Printed back, it parses to the same ruleset and prints the same.
        assert_eq!(save_bytes(&got).expect("printed parses"), got, "{name}");
        let (code, out, stderr) = run(&input);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(show(&out), show(&want), "{name}: nfsim save");
        // save_string does not hold these bytes: it says so.
        let rs = parse_restore(&input, &RestoreOptions::new(Family::Ipv4)).expect("parses");
        if std::str::from_utf8(&want).is_err() {
            assert!(save_string(&rs, SaveOptions::default()).is_err(), "{name}");
        }
    }
}

#[test]
fn a_byte_in_a_number_is_an_invalid_value_as_in_iptables() {
    // iptables-restore: "invalid port/service `2\xff' specified", status 2
    // (it prints the byte; nfsim's extension messages show U+FFFD, its own
    // messages about names \xff).
    let input = with_head(b"-A INPUT -p tcp --dport 2\xff -j ACCEPT\nCOMMIT\n");
    let err = save_bytes(&input).expect_err("invalid port");
    assert_eq!(err.message, "invalid port/service `2\u{fffd}' specified");
    // A rate is read with atoi: junk after the number is ignored, UTF-8
    // or not (iptables-save: `--hashlimit-upto 5/sec`; an escaped text view
    // would have read `5\xeb/s` as 5 bytes/s).
    let rate = with_head(
        b"-A INPUT -m hashlimit --hashlimit-upto 5\x8e\xeb/s --hashlimit-name h\nCOMMIT\n",
    );
    let out = save_bytes(&rate).expect("5/sec");
    let want =
        b"-A INPUT -m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name h\n";
    assert!(out.windows(want.len()).any(|w| w == want), "{}", show(&out));
    let (code, out, _) = run(&input);
    assert_eq!((code, out.is_empty()), (2, true));
    // Messages show such bytes as \xNN.
    let err = save_bytes(&with_head(b"-A INPUT -j \xff\nCOMMIT\n")).expect_err("no such target");
    assert_eq!(
        err.message,
        "Couldn't load target `\\xff':No such file or directory"
    );
    let err = save_bytes(&with_head(b"-A INPUT -m \xff\nCOMMIT\n")).expect_err("no such match");
    assert_eq!(
        err.message,
        "Couldn't load match `\\xff':No such file or directory"
    );
    let err = save_bytes(&with_head(b"-A INPUT -p \xff\nCOMMIT\n")).expect_err("no such protocol");
    assert_eq!(err.message, "unknown protocol \"\\xff\" specified");
}

/// A NUL byte ends the C string iptables-restore makes of a line (inputs
/// after [`HEAD`], measured with iptables-legacy 1.8.9: status and what
/// iptables-save printed, or its message).
#[test]
fn a_nul_byte_ends_its_line() {
    let ok: &[(&[u8], &[u8])] = &[
        (
            b"-A INPUT -m comment --comment a\0b -j ACCEPT\nCOMMIT\n",
            b"-A INPUT -m comment --comment a\nCOMMIT\n",
        ),
        (
            b"-A INPUT -j ACCEPT\0\nCOMMIT\n",
            b"-A INPUT -j ACCEPT\nCOMMIT\n",
        ),
    ];
    for (input, want) in ok {
        let got = save_bytes(&with_head(input)).expect("accepted");
        assert_eq!(show(&got), show(&with_head(want)));
    }
    let bad: &[(&[u8], &str)] = &[
        (b"COMMIT\0x\n", "Bad argument `COMMIT'"),
        (b"\0\nCOMMIT\n", "no command specified"),
        (
            b":X\0Y - [0:0]\nCOMMIT\n",
            "iptables-restore: line 5 policy invalid",
        ),
    ];
    for (input, want) in bad {
        let e = save_bytes(&with_head(input)).expect_err("refused");
        assert_eq!((e.line, e.message.as_str()), (5, *want));
        assert_eq!(e.problem.exit_code(), 2, "{want}");
    }
}

#[test]
fn comment_lines_are_not_read() {
    let mut ok = b"# saved on h\xf6st\n".to_vec();
    ok.extend_from_slice(HEAD.as_bytes());
    ok.extend_from_slice(b"COMMIT\n");
    assert_eq!(
        save(&ok).expect("comment line skipped"),
        format!("{HEAD}COMMIT\n")
    );
    let (code, out, _) = run(&ok);
    assert_eq!((code, out), (0, format!("{HEAD}COMMIT\n").into_bytes()));
}

/// `nfsim save` reads restore input as a stream and a script whole,
/// telling them apart by the first line that is neither blank nor a
/// comment, and a script must be UTF-8 throughout.
#[test]
fn save_reads_a_script_whole_and_restore_input_as_a_stream() {
    let (code, out, _) = run(b"# c\n\n  iptables -A INPUT -j ACCEPT\n");
    assert_eq!(code, 0);
    assert!(
        String::from_utf8_lossy(&out).contains("-A INPUT -j ACCEPT\n"),
        "{}",
        show(&out)
    );
    // Not UTF-8 further on: restore input, which has no table here.
    let (code, out, err) = run(b"# c\niptables -A INPUT -j ACCEPT\n\xff\n");
    assert_eq!((code, out.len()), (1, 0));
    assert!(
        err.contains("-:2:1: iptables-restore: line 2 failed"),
        "{err}"
    );
    // The stream cuts a line at a NUL byte as the whole text does.
    let input = with_head(b"-A INPUT -m comment --comment a\0b -j ACCEPT\nCOMMIT\n");
    let (code, out, _) = run(&input);
    assert_eq!(code, 0);
    assert_eq!(
        show(&out),
        show(&with_head(b"-A INPUT -m comment --comment a\nCOMMIT\n"))
    );
}

/// The cases above against the iptables-legacy of this machine, in a
/// scratch network namespace: needs root and iptables-legacy-restore, else
/// SKIPPED (said on stderr).
#[test]
fn live_iptables_agrees() {
    let have = Command::new("iptables-legacy-restore")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !have || !root {
        skip_note!("SKIPPED live_iptables_agrees: needs root and iptables-legacy-restore");
        return;
    }
    let ns = format!("nfsim-bytes-{}", std::process::id());
    let ip = |args: &[&str]| Command::new("ip").args(args).status();
    for (name, input, _) in CASES {
        let input = with_head(input);
        let _ = Command::new("ip").args(["netns", "del", &ns]).output();
        assert!(
            ip(&["netns", "add", &ns]).is_ok_and(|s| s.success()),
            "netns"
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &ns, "iptables-legacy-restore"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("iptables-legacy-restore");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&input)
            .expect("write");
        assert!(
            child.wait().expect("wait").success(),
            "{name}: iptables refuses"
        );
        let out = Command::new("ip")
            .args(["netns", "exec", &ns, "iptables-legacy-save"])
            .output()
            .expect("iptables-legacy-save");
        let _ = ip(&["netns", "del", &ns]);
        let want: Vec<u8> = out
            .stdout
            .split_inclusive(|&b| b == b'\n')
            .filter(|l| !l.starts_with(b"#"))
            .flatten()
            .copied()
            .collect();
        let got = save_bytes(&input).expect("nfsim accepts");
        assert_eq!(show(&got), show(&want), "{name}");
    }
}
