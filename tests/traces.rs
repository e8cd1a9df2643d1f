//! Replays every recorded kernel trace (`tests/traces/*.json`, the generated
//! scenarios in `tests/traces/generated/*.json`, and the examples in
//! `../shared/spec/examples/` when present) through nfsim and compares packet
//! by packet as `shared/spec/trace-format.md` says, printing per trace and per
//! field how many packets agree (generated scenarios: only the disagreeing
//! ones, and a separate summary).
//!
//! Traces whose behaviour nfsim does not implement yet are listed, by
//! name, in `tests/traces_xfail.txt`: a reviewed list that must shrink to
//! empty. The test fails when a trace not on the list disagrees anywhere, and
//! when a listed trace agrees fully (so the list only shrinks).

use std::path::{Path, PathBuf};

use nfsim::replay::{compare, replay, TraceFile};

/// (path, generated?) of every trace.
fn trace_files() -> Vec<(PathBuf, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut v = Vec::new();
    for (dir, generated) in [
        (root.join("tests/traces"), false),
        (root.join("../shared/spec/examples"), false),
        (root.join("tests/traces/generated"), true),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        v.extend(files.into_iter().map(|f| (f, generated)));
    }
    v
}

#[test]
fn kernel_traces_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let xfail_text =
        std::fs::read_to_string(root.join("tests/traces_xfail.txt")).unwrap_or_default();
    let xfail: Vec<&str> = xfail_text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let files = trace_files();
    assert!(!files.is_empty(), "no trace files found");
    // [0]: hand-written traces and examples, [1]: generated scenarios
    let mut total = [0usize; 2];
    let mut agree = [0usize; 2];
    let mut scenarios = [0usize; 2];
    let mut fully = [0usize; 2];
    let mut fields = [[0usize; 5]; 2];
    let mut unexpected = Vec::new();
    let mut report = String::new();
    for (f, generated) in &files {
        let g = *generated as usize;
        let text = std::fs::read_to_string(f).expect("read trace");
        let t = TraceFile::from_json(&text).expect("trace parses");
        let name = t.name.clone();
        let n = t.packets.len();
        total[g] += n;
        scenarios[g] += 1;
        let (ok, per_field, note) = match replay(&t) {
            Err(e) => (0, [0usize; 5], format!(" ({e})")),
            Ok(results) => {
                let mut ok = 0;
                let mut pf = [0usize; 5];
                let mut first_bad = None;
                for (i, (p, ours)) in t.packets.iter().zip(&results).enumerate() {
                    let Some(k) = &p.expect else { continue };
                    let a = compare(k, ours);
                    for (j, b) in [a.trace, a.local, a.emitted, a.conntrack, a.log]
                        .into_iter()
                        .enumerate()
                    {
                        pf[j] += b as usize;
                    }
                    if a.all() {
                        ok += 1;
                    } else if first_bad.is_none() {
                        first_bad = Some(i);
                    }
                }
                (
                    ok,
                    pf,
                    first_bad
                        .map(|i| format!(" (first difference: packet {i})"))
                        .unwrap_or_default(),
                )
            }
        };
        agree[g] += ok;
        fully[g] += (ok == n) as usize;
        for j in 0..5 {
            fields[g][j] += per_field[j];
        }
        if !generated || ok != n {
            report.push_str(&format!(
                "  {:<34} {:>3}/{:<3} trace {:>3} local {:>3} emitted {:>3} conntrack {:>3} log {:>3}{}\n",
                name, ok, n, per_field[0], per_field[1], per_field[2], per_field[3], per_field[4], note
            ));
        }
        let listed = xfail.contains(&name.as_str());
        if ok == n && listed {
            unexpected.push(format!(
                "{name} agrees fully now: remove it from tests/traces_xfail.txt"
            ));
        }
        if ok != n && !listed {
            unexpected.push(format!(
                "{name}: {ok}/{n} packets agree and it is not an expected failure"
            ));
        }
    }
    eprintln!("{report}");
    for (g, what) in [
        "hand-written traces and examples",
        "generated scenarios (tests/traces/generated)",
    ]
    .iter()
    .enumerate()
    {
        let f = fields[g];
        eprintln!(
            "kernel agreement, {what}: {} scenarios ({} fully), {}/{} packets = {:.1}% (trace {}, local {}, emitted {}, conntrack {}, log {})",
            scenarios[g],
            fully[g],
            agree[g],
            total[g],
            100.0 * agree[g] as f64 / total[g].max(1) as f64,
            f[0],
            f[1],
            f[2],
            f[3],
            f[4]
        );
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
