//! Conformance against iptables' own per-extension tests
//! (`../shared/corpus/iptables-t/*.t`, format in `../shared/corpus/README.md`).
//!
//! Each test line is run, for each chain of its chain list and each family
//! its file prefix implies, as a restore file `*TABLE` / `-A CHAIN RULE` /
//! `COMMIT` through the parser and printer:
//! - `OK`: it must load and the saved text must contain `-A CHAIN EXPECTED`;
//! - `FAIL`: it must be rejected;
//! - `NOMATCH`: it must load (the canonical form is not asserted).
//!
//! The corpus is not part of this repository (other licence): the test says
//! so and passes vacuously when the folder is absent. The pass rate is
//! printed per file and overall, and must not fall below [`MIN_PASS_RATE`].

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture (it captures `eprintln!`).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::path::{Path, PathBuf};

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

/// The floor for the overall pass rate, in per cent. Raised as coverage grows.
const MIN_PASS_RATE: f64 = 100.0;

fn corpus_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/iptables-t");
    d.is_dir().then_some(d)
}

#[derive(Default, Debug)]
struct Tally {
    pass: usize,
    total: usize,
    failures: Vec<String>,
}

fn run_case(
    family: Family,
    table: &str,
    chain: &str,
    rule: &str,
    expected: &str,
    result: &str,
) -> Result<(), String> {
    let input = format!("*{table}\n-A {chain} {rule}\nCOMMIT\n");
    let out = parse_restore(&input, &RestoreOptions::new(family));
    match result {
        "OK" => {
            let rs = out.map_err(|e| format!("rejected: {e}"))?;
            let text = save_string(&rs, SaveOptions::default()).map_err(|e| e.to_string())?;
            let want = format!(
                "\n-A {chain} {}\n",
                if expected == "=" { rule } else { expected }
            );
            if text.contains(&want) {
                Ok(())
            } else {
                let got = text
                    .lines()
                    .find(|l| l.starts_with("-A "))
                    .unwrap_or("<no rule>")
                    .to_string();
                Err(format!("printed `{got}`, want `{}`", want.trim()))
            }
        }
        "FAIL" => match out {
            Ok(_) => Err("accepted, should fail".into()),
            Err(_) => Ok(()),
        },
        _ => out.map(|_| ()).map_err(|e| format!("rejected: {e}")),
    }
}

fn run_file(path: &Path, family: Family, tally: &mut Tally) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let fname = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let mut chains: Vec<String> = Vec::new();
    let mut table = "filter".to_string();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix(':') {
            chains = c.trim_end().split(',').map(str::to_string).collect();
            continue;
        }
        if let Some(t) = line.strip_prefix('*') {
            table = t.trim_end().to_string();
            continue;
        }
        if line.starts_with('@') || line.starts_with('%') {
            continue;
        }
        let items: Vec<&str> = line.split(';').collect();
        if items.len() < 3 {
            continue;
        }
        let (rule, expected) = (items[0], items[1]);
        let mut result = items[2].trim_end().to_string();
        if let Some(variant) = items.get(3) {
            // RESULT applies to the named backend; nfsim models legacy.
            if variant.trim() != "LEGACY" {
                result = match items.get(4) {
                    Some(alt) => alt.trim().to_string(),
                    None => match result.as_str() {
                        "OK" => "FAIL".into(),
                        "FAIL" => "OK".into(),
                        _ => "OK".into(),
                    },
                };
            }
        }
        if result == "=" {
            result = "NOMATCH".into();
        }
        tally.total += 1;
        let mut failed = None;
        for chain in &chains {
            if let Err(e) = run_case(family, &table, chain, rule, expected, &result) {
                failed = Some(format!(
                    "{fname} [{family:?}] {chain}: `{rule}` {result}: {e}"
                ));
                break;
            }
        }
        match failed {
            None => tally.pass += 1,
            Some(f) => tally.failures.push(f),
        }
    }
}

#[test]
fn iptables_t_conformance() {
    let Some(dir) = corpus_dir() else {
        skip_note!("SKIPPED: ../shared/corpus/iptables-t not present; conformance not measured");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "t"))
        .collect();
    files.sort();
    let mut all = Tally::default();
    let mut report = String::new();
    for f in &files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let families: &[Family] = if name.starts_with("libebt_") || name.starts_with("libarpt_") {
            continue;
        } else if name.starts_with("libipt_") {
            &[Family::Ipv4]
        } else if name.starts_with("libip6t_") {
            &[Family::Ipv6]
        } else if name.starts_with("libxt_") {
            &[Family::Ipv4, Family::Ipv6]
        } else {
            &[Family::Ipv4]
        };
        let mut t = Tally::default();
        for fam in families {
            run_file(f, *fam, &mut t);
        }
        report.push_str(&format!("{:>4}/{:<4} {}\n", t.pass, t.total, name));
        all.pass += t.pass;
        all.total += t.total;
        all.failures.extend(t.failures);
    }
    let rate = 100.0 * all.pass as f64 / all.total.max(1) as f64;
    eprintln!("{report}");
    if std::env::var_os("NFSIM_T_FAILURES").is_some() {
        for f in &all.failures {
            eprintln!("FAIL {f}");
        }
    }
    eprintln!(
        "iptables .t conformance: {}/{} cases = {rate:.1}%",
        all.pass, all.total
    );
    assert!(
        rate >= MIN_PASS_RATE,
        "pass rate {rate:.1}% below the floor {MIN_PASS_RATE}%"
    );
}
