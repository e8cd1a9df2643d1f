//! `nfsim` ends quietly when the reader of its standard output goes away
//! (`nfsim save big.rules | head -1`), as other Unix tools do.

use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn closed_stdout_ends_quietly() {
    let mut f = String::from("*filter\n");
    for i in 0..200_000 {
        f.push_str(&format!("-A INPUT -s 192.0.2.{}/32 -j ACCEPT\n", i % 250));
    }
    f.push_str("COMMIT\n");
    let path = std::env::temp_dir().join(format!("nfsim-epipe-{}.rules", std::process::id()));
    std::fs::write(&path, f).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .arg("save")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 8];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The reader is gone now (dropped): the writer meets EPIPE.
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(&first, b"*filter\n");
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
