//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The kernel traces in `tests/traces/`, sorted; with `generated`, those in
/// `tests/traces/generated/` too.
pub fn trace_files(generated: bool) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let dirs = if generated {
        vec![root.clone(), root.join("generated")]
    } else {
        vec![root]
    };
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// One test line of iptables' `extensions/*.t` (`../shared/corpus/iptables-t`,
/// format in `../shared/corpus/README.md`), for one family its file
/// prefix implies.
#[derive(Debug, Clone)]
pub struct TCase {
    /// The file name.
    pub file: String,
    /// The family it runs as.
    pub family: nfsim::model::Family,
    /// The table (`filter` when the file names none).
    pub table: String,
    /// The chains it runs in (it passes only if it passes in every one).
    pub chains: Vec<String>,
    /// The rule text after `-A CHAIN`.
    pub rule: String,
    /// What iptables-save must print (`=`: the rule itself).
    pub expected: String,
    /// `OK`, `FAIL` or `NOMATCH`, for the legacy backend.
    pub result: String,
}

/// The `.t` corpus directory, if present.
pub fn t_corpus_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/iptables-t");
    d.is_dir().then_some(d)
}

/// Every test line of the `.t` files as `iptables-test.py` reads them
/// (`_run_test_file`, `variant_res`), for iptables and ip6tables (the
/// `libebt_`/`libarpt_` files are skipped); the results are those of the
/// legacy backend, which nfsim models. `None` without the corpus.
pub fn t_cases() -> Option<Vec<TCase>> {
    use nfsim::model::Family;
    let dir = t_corpus_dir()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "t"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let families: &[Family] = if file.starts_with("libebt_") || file.starts_with("libarpt_") {
            continue;
        } else if file.starts_with("libipt_") {
            &[Family::Ipv4]
        } else if file.starts_with("libip6t_") {
            &[Family::Ipv6]
        } else if file.starts_with("libxt_") {
            &[Family::Ipv4, Family::Ipv6]
        } else {
            &[Family::Ipv4]
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for family in families {
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
                out.push(TCase {
                    file: file.clone(),
                    family: *family,
                    table: table.clone(),
                    chains: chains.clone(),
                    rule: items[0].to_string(),
                    expected: items[1].to_string(),
                    result,
                });
            }
        }
    }
    Some(out)
}
