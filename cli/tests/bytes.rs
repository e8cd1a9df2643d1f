//! Strings the kernel keeps as bytes (chain names, comments, prefixes).
//!
//! nfsim keeps them as text (UTF-8). Where that is exact (valid UTF-8, byte
//! limits counted in bytes) the output must be iptables-save's; where it
//! cannot be (bytes that are not UTF-8, a cut inside a character) nfsim
//! must refuse explicitly, never print something else (it used to print
//! U+FFFD). Expected texts and statuses measured with
//! iptables-legacy-restore / iptables-legacy-save v1.8.9 on Linux 6.18.

use std::io::Write;
use std::process::{Command, Stdio};

use nfsim::model::Family;
use nfsim::syntax::{parse_restore_bytes, save_string, ErrorKind, RestoreOptions, SaveOptions};

const HEAD: &str = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";

fn e(n: usize) -> String {
    "\u{e9}".repeat(n)
}

fn save(input: &[u8]) -> Result<String, nfsim::syntax::Error> {
    let rs = parse_restore_bytes(input, &RestoreOptions::new(Family::Ipv4))?;
    Ok(save_string(&rs, SaveOptions::default()))
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

#[test]
fn cut_inside_a_character_is_refused_not_shortened() {
    // iptables cuts a 256-byte comment to 255 bytes and a 30-byte prefix
    // to 29, leaving half of the last U+00E9 (byte 0xc3) in the kernel,
    // which iptables-save prints. nfsim cannot hold that byte: an error,
    // not a comment one byte shorter.
    for input in [
        format!("{HEAD}-A INPUT -m comment --comment {}\nCOMMIT\n", e(128)),
        format!("{HEAD}-A INPUT -j LOG --log-prefix {}\nCOMMIT\n", e(15)),
    ] {
        let err = save(input.as_bytes()).expect_err("cut inside a character");
        assert!(err.message.contains("splits a UTF-8 character"), "{err}");
    }
    // A cut between two characters is exact: 255 x then U+00E9 keeps the
    // 255 x (iptables-save: 286 bytes, unquoted).
    let input = format!(
        "{HEAD}-A INPUT -m comment --comment {}\u{e9}\nCOMMIT\n",
        "x".repeat(255)
    );
    assert_eq!(
        save(input.as_bytes()).expect("cut between characters"),
        format!(
            "{HEAD}-A INPUT -m comment --comment {}\nCOMMIT\n",
            "x".repeat(255)
        )
    );
}

#[test]
fn bytes_that_are_not_utf8_are_refused_not_replaced() {
    // iptables-restore accepts this file and iptables-save prints the bytes
    // back unchanged (chain `bad\xff\xfename`, comment `c\xff\x80d`).
    let mut input = HEAD.as_bytes().to_vec();
    input.extend_from_slice(
        b":bad\xff\xfename - [0:0]\n-A INPUT -m comment --comment \"c\xff\x80d\"\nCOMMIT\n",
    );
    let err = save(&input).expect_err("not UTF-8");
    assert_eq!(
        (err.line, err.col, err.kind),
        (5, 5, ErrorKind::Unsupported)
    );
    assert!(err.message.contains("0xff"), "{err}");
    let (code, out, stderr) = run(&input);
    assert_eq!(code, 1, "{stderr}");
    assert!(out.is_empty(), "nothing printed");
    assert!(
        stderr.contains("-:5:5: nfsim: byte 0xff is not UTF-8"),
        "{stderr}"
    );
    // Comment lines are not read (iptables-restore skips them).
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
