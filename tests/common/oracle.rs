//! What the tests that compare with the real iptables share: the corpus
//! directory, its files in a stable order, and whether the oracle can run.
//! Included by `tests/real_world.rs`, `tests/real_world_hosts.rs` and
//! `cli/tests/list.rs` (`#[path]`); also the nfacct objects a dump names.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/corpus` beside the repository, from whichever crate of the
/// workspace includes this file.
pub fn corpus() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/corpus"))
        .find(|d| d.is_dir())
}

/// Every file below `dir`, depth first, sorted by name.
pub fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Root, `ip netns` and the program `prog` (an iptables-legacy tool): what
/// the oracle needs to run in a scratch namespace.
pub fn oracle_available(prog: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let ipt = Command::new(prog)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let ip = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .is_ok_and(|o| o.status.success());
    root && ipt && ip
}

/// The names a dump gives to `--nfacct-name`, each once, in order: the
/// nfacct objects the host it came from had.
#[allow(dead_code)] // not every including test reads dumps
pub fn nfacct_names(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if w == "--nfacct-name" {
                if let Some(n) = words.next() {
                    let n = n.trim_matches('"').to_string();
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
    }
    out
}
