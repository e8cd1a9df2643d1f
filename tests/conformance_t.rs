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

mod common;

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

/// The floor for the overall pass rate, in per cent. Raised as coverage grows.
const MIN_PASS_RATE: f64 = 100.0;

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

#[test]
fn iptables_t_conformance() {
    let Some(cases) = common::t_cases() else {
        skip_note!("SKIPPED: ../shared/corpus/iptables-t not present; conformance not measured");
        return;
    };
    let mut all = Tally::default();
    let mut report = String::new();
    let mut per_file: Vec<(String, Tally)> = Vec::new();
    for c in &cases {
        if per_file.last().is_none_or(|(f, _)| *f != c.file) {
            per_file.push((c.file.clone(), Tally::default()));
        }
        let Some((_, t)) = per_file.last_mut() else {
            continue;
        };
        t.total += 1;
        let failed = c.chains.iter().find_map(|chain| {
            run_case(c.family, &c.table, chain, &c.rule, &c.expected, &c.result)
                .err()
                .map(|e| {
                    format!(
                        "{} [{:?}] {chain}: `{}` {}: {e}",
                        c.file, c.family, c.rule, c.result
                    )
                })
        });
        match failed {
            None => t.pass += 1,
            Some(f) => t.failures.push(f),
        }
    }
    for (name, t) in per_file {
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
