//! `nfsim save` against the real `iptables-legacy-restore` +
//! `iptables-legacy-save` on every dump in `../shared/corpus/real-world/`
//! (and the restore/save dumps of `../shared/corpus/iptables-shell/`).
//!
//! The oracle runs in a network namespace this test creates and deletes, so
//! it needs root, `ip netns` and iptables-legacy; without them the test says
//! it skipped. Without the corpus (not part of this repository: other
//! licences) it also says so. A dump with `-m nfacct --nfacct-name NAME`
//! is restored where its objects exist, as on the host it came from: the
//! oracle's namespace gets them with `nfacct add NAME` (the `nfacct`
//! tool) and nfsim with [`RestoreOptions::with_nfacct`]. A dump naming
//! ip sets (`--match-set`, `--add-set`, `--del-set`, `--map-set`) is
//! restored where those sets exist, created empty as `hash:net` of the
//! dump's family (`ipset create` in the oracle's namespace,
//! [`RestoreOptions::with_ipset`] for nfsim). Agreement means: the same text (iptables-save's
//! `#` lines removed) when iptables accepts the file, an error when it rejects
//! it.

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture (it captures `eprintln!`).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::path::Path;
use std::process::{Command, Stdio};

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};

#[path = "common/oracle.rs"]
mod oracle;
use oracle::{corpus, files, nfacct_names};

fn oracle_available() -> bool {
    oracle::oracle_available("iptables-legacy-restore")
}

struct Netns(String);

impl Netns {
    fn new() -> Option<Self> {
        let name = format!("nfsim-rw-{}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Netns(name))
    }
    /// Restores `input` into a fresh state of the namespace's tables, with
    /// these nfacct objects created first, and returns the save output, or
    /// None if iptables rejected it.
    fn restore_save(
        &self,
        family: Family,
        input: &[u8],
        nfacct: &[String],
        ipset: &str,
    ) -> Option<Vec<u8>> {
        let (r, s) = match family {
            Family::Ipv4 => ("iptables-legacy-restore", "iptables-legacy-save"),
            Family::Ipv6 => ("ip6tables-legacy-restore", "ip6tables-legacy-save"),
        };
        // A fresh namespace per file: tables that exist are part of the output.
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        let _ = Command::new("ip").args(["netns", "add", &self.0]).status();
        for n in nfacct {
            let ok = Command::new("ip")
                .args(["netns", "exec", &self.0, "nfacct", "add", n])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "nfacct add {n} failed in the oracle's namespace");
        }
        if !ipset.is_empty() {
            let mut child = Command::new("ip")
                .args(["netns", "exec", &self.0, "ipset", "restore"])
                .stdin(Stdio::piped())
                .spawn()
                .expect("ipset restore in the oracle's namespace");
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(ipset.as_bytes())
                .expect("ipset restore input");
            assert!(
                child.wait().is_ok_and(|s| s.success()),
                "ipset restore failed in the oracle's namespace"
            );
        }
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.0, r])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        use std::io::Write;
        child.stdin.take()?.write_all(input).ok()?;
        if !child.wait().ok()?.success() {
            return None;
        }
        let out = Command::new("ip")
            .args(["netns", "exec", &self.0, s])
            .output()
            .ok()?;
        // The bytes iptables-save printed, without its comment lines.
        Some(
            out.stdout
                .split_inclusive(|&b| b == b'\n')
                .filter(|l| !l.starts_with(b"#"))
                .flatten()
                .copied()
                .collect(),
        )
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// The sets a dump names (`--match-set NAME`, `--add-set NAME`...), each
/// once, as `ipset restore` text creating them empty (`hash:net` of the
/// dump's family: one dimension, which any `src`/`dst` flags accept).
fn ipset_text(bytes: &[u8], family: Family) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if matches!(w, "--match-set" | "--add-set" | "--del-set" | "--map-set") {
                if let Some(n) = words.next() {
                    let n = n.trim_matches('"').to_string();
                    if !names.contains(&n) && n.len() <= 31 {
                        names.push(n);
                    }
                }
            }
        }
    }
    let fam = if family == Family::Ipv6 {
        "inet6"
    } else {
        "inet"
    };
    names
        .iter()
        .map(|n| format!("create {n} hash:net family {fam}\n"))
        .collect()
}

fn ipset_tool_available() -> bool {
    Command::new("ipset")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn nfacct_tool_available() -> bool {
    Command::new("nfacct")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn real_world_dumps_agree_with_iptables() {
    let Some(dir) = corpus() else {
        skip_note!("SKIPPED: ../shared/corpus not present");
        return;
    };
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Netns::new() else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let mut paths = Vec::new();
    files(&dir.join("real-world"), &mut paths);
    files(&dir.join("iptables-shell"), &mut paths);
    paths.retain(|p| {
        let s = p.to_string_lossy();
        (s.contains("/real-world/") && (s.ends_with(".rules") || s.ends_with(".rules6")))
            || (s.contains("/dumps/") && !s.ends_with(".xml"))
    });
    let xfail_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_world_xfail.txt"),
    )
    .unwrap_or_default();
    let xfail: Vec<&str> = xfail_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let nfacct_tool = nfacct_tool_available();
    let ipset_tool = ipset_tool_available();
    let mut unexpected: Vec<String> = Vec::new();
    let (mut agree, mut total) = (0, 0);
    let mut report = String::new();
    for p in &paths {
        let name = p.strip_prefix(&dir).unwrap_or(p).display().to_string();
        let family = if name.ends_with(".rules6") || name.contains("ip6tables") {
            Family::Ipv6
        } else {
            Family::Ipv4
        };
        let bytes = std::fs::read(p).unwrap_or_default();
        let mut names = nfacct_names(&bytes);
        if !names.is_empty() && !nfacct_tool {
            skip_note!(
                "SKIPPED: nfacct objects of {name} (the `nfacct` tool is missing): compared without them"
            );
            names.clear();
        }
        let objects: Vec<nfsim::model::ByteStr> = names.iter().map(|n| n.as_str().into()).collect();
        let mut ipset = ipset_text(&bytes, family);
        if !ipset.is_empty() && !ipset_tool {
            skip_note!(
                "SKIPPED: ip sets of {name} (the `ipset` tool is missing): compared without them"
            );
            ipset.clear();
        }
        let sets = nfsim::ipset::Ipsets::restore(&ipset).expect("sets created empty");
        let want = ns.restore_save(family, &bytes, &names, &ipset);
        let got = parse_restore(
            &bytes,
            &RestoreOptions::new(family)
                .with_nfacct(&objects)
                .with_ipset(&sets),
        );
        total += 1;
        let verdict = match (&want, &got) {
            (None, Err(_)) => Ok("both reject"),
            (Some(w), Ok(rs)) => {
                let g = save_bytes(rs, SaveOptions::default());
                if &g == w && !ipset.is_empty() {
                    Ok("same bytes, ip sets declared")
                } else if &g == w && !names.is_empty() {
                    Ok("same bytes, nfacct objects declared")
                } else if &g == w {
                    Ok("same bytes")
                } else {
                    let (w, g) = (String::from_utf8_lossy(w), String::from_utf8_lossy(&g));
                    let diff = w
                        .lines()
                        .zip(g.lines())
                        .find(|(a, b)| a != b)
                        .map(|(a, b)| format!("iptables: {a}\n      nfsim:    {b}"))
                        .unwrap_or_else(|| {
                            format!("{} vs {} lines", w.lines().count(), g.lines().count())
                        });
                    Err(format!("text differs\n      {diff}"))
                }
            }
            (None, Ok(_)) => Err("iptables rejects, nfsim accepts".to_string()),
            (Some(_), Err(e)) => Err(format!("iptables accepts, nfsim rejects: {e}")),
        };
        let listed = xfail.contains(&name.as_str());
        match verdict {
            Ok(why) => {
                agree += 1;
                report.push_str(&format!("  ok   {name} ({why})\n"));
                if listed {
                    unexpected.push(format!(
                        "{name} agrees now: remove it from tests/real_world_xfail.txt"
                    ));
                }
            }
            Err(why) => {
                report.push_str(&format!("  DIFF {name}: {why}\n"));
                if !listed {
                    unexpected.push(format!("{name} disagrees and is not an expected failure"));
                }
            }
        }
    }
    eprintln!("{report}real-world agreement with iptables-legacy: {agree}/{total} files");
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
