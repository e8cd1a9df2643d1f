//! `nfsim list` against the real `iptables-legacy` (the same oracle as
//! `tests/real_world.rs`): every dump of `../shared/corpus/real-world/`
//! that the kernel accepts is restored into a scratch network namespace
//! this test creates and deletes, and each table is listed with `-S`,
//! `-S -v`, `-L -n`, `-L -n -v`, `-L -n -v -x --line-numbers`, a chain
//! argument, and once more after `iptables-restore -c` (counters from the
//! file); `nfsim list` must print the same bytes. Needs root, `ip netns`
//! and iptables-legacy, and the corpus (not part of this repository:
//! other licences); says SKIPPED otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Says a test skipped its work where plain `cargo test` shows it (the
/// harness captures `eprintln!`, not the process's standard error).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

#[path = "../../tests/common/oracle.rs"]
mod oracle;
use oracle::{corpus, files};

fn oracle_available() -> bool {
    oracle::oracle_available("iptables-legacy")
}

/// A scratch network namespace, deleted on drop.
struct Ns(String);

impl Ns {
    fn new(tag: &str) -> Option<Ns> {
        let ns = Ns(format!("nfsim-list-{tag}-{}", std::process::id()));
        ns.fresh().then_some(ns)
    }
    /// A fresh namespace: no table exists yet.
    fn fresh(&self) -> bool {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
        Command::new("ip")
            .args(["netns", "add", &self.0])
            .status()
            .is_ok_and(|s| s.success())
    }
    /// `iptables-legacy-restore [-c] < input` in a fresh namespace; whether
    /// the kernel accepted it.
    fn restore(&self, six: bool, counters: bool, input: &[u8]) -> bool {
        if !self.fresh() {
            return false;
        }
        let prog = if six {
            "ip6tables-legacy-restore"
        } else {
            "iptables-legacy-restore"
        };
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.0, prog]);
        if counters {
            cmd.arg("-c");
        }
        let Ok(mut child) = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        use std::io::Write;
        let wrote = child
            .stdin
            .take()
            .is_some_and(|mut s| s.write_all(input).is_ok());
        child.wait().is_ok_and(|s| s.success()) && wrote
    }
    /// `iptables-legacy ARGS`: (exit status, stdout, stderr).
    fn ipt(&self, six: bool, args: &[&str]) -> (i32, Vec<u8>, String) {
        let prog = if six {
            "ip6tables-legacy"
        } else {
            "iptables-legacy"
        };
        let o = Command::new("ip")
            .args(["netns", "exec", &self.0, prog])
            .args(args)
            .output()
            .expect("run iptables-legacy");
        (
            o.status.code().unwrap_or(-1),
            o.stdout,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
    /// The tables `iptables-save` prints, in its order.
    fn tables(&self, six: bool) -> Vec<String> {
        let prog = if six {
            "ip6tables-legacy-save"
        } else {
            "iptables-legacy-save"
        };
        let o = Command::new("ip")
            .args(["netns", "exec", &self.0, prog])
            .output()
            .expect("run iptables-legacy-save");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix('*').map(str::to_string))
            .collect()
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// `nfsim list ARGS`: (exit status, stdout, stderr).
fn nfsim_list(args: &[&str]) -> (i32, Vec<u8>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .arg("list")
        .args(args)
        .output()
        .expect("run nfsim");
    (
        o.status.code().unwrap_or(-1),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The first line where two listings differ, for the report.
fn first_diff(want: &[u8], got: &[u8]) -> String {
    let (w, g) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
    w.lines()
        .zip(g.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("iptables: {a:?}\n        nfsim:    {b:?}"))
        .unwrap_or_else(|| format!("{} vs {} lines", w.lines().count(), g.lines().count()))
}

/// The listing flag sets compared on every table.
const FLAGS: [&[&str]; 5] = [
    &["-S"],
    &["-S", "-v"],
    &["-L", "-n"],
    &["-L", "-n", "-v"],
    &["-L", "-n", "-v", "-x", "--line-numbers"],
];

/// Compares one listing; returns a failure line or None.
fn compare(
    ns: &Ns,
    six: bool,
    file: &Path,
    table: &str,
    flags: &[&str],
    counters: bool,
) -> Option<String> {
    let mut a: Vec<&str> = vec!["-t", table];
    a.extend_from_slice(flags);
    let (wc, want, werr) = ns.ipt(six, &a);
    let mut n: Vec<&str> = Vec::new();
    if six {
        n.push("-6");
    }
    if counters {
        n.push("-c");
    }
    n.extend_from_slice(&a);
    let f = file.to_str().expect("utf-8 path");
    n.push(f);
    let (gc, got, gerr) = nfsim_list(&n);
    let what = format!(
        "{} {}{}",
        a.join(" "),
        if counters { "(-c) " } else { "" },
        f
    );
    if wc != gc {
        return Some(format!(
            "{what}: exit status iptables {wc}, nfsim {gc}\n        iptables: {}\n        nfsim: {}",
            werr.trim(),
            gerr.trim()
        ));
    }
    if wc != 0 {
        // Both failed: the messages must agree too (the chain does not exist).
        let prog = if six { "ip6tables" } else { "iptables" };
        let werr = werr.trim();
        let gerr = gerr.trim();
        if !werr.ends_with(gerr.trim_start_matches(&format!("{prog}: "))) {
            return Some(format!("{what}: message iptables {werr:?}, nfsim {gerr:?}"));
        }
        return None;
    }
    (want != got).then(|| format!("{what}:\n        {}", first_diff(&want, &got)))
}

#[test]
fn real_world_listings_agree_with_iptables() {
    let Some(dir) = corpus() else {
        skip_note!("SKIPPED: ../shared/corpus not present");
        return;
    };
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("rw") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let mut paths = Vec::new();
    files(&dir.join("real-world"), &mut paths);
    paths.retain(|p| {
        let s = p.to_string_lossy();
        s.ends_with(".rules") || s.ends_with(".rules6")
    });
    let (mut listings, mut dumps, mut rejected) = (0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    for p in &paths {
        let six = p.to_string_lossy().ends_with(".rules6");
        let bytes = std::fs::read(p).expect("read dump");
        for counters in [false, true] {
            if !ns.restore(six, counters, &bytes) {
                if !counters {
                    rejected += 1;
                }
                break;
            }
            if !counters {
                dumps += 1;
            }
            let mut tables = ns.tables(six);
            // A table the file does not create: listed empty by both
            // (listing it creates it in the kernel, so it comes last).
            let absent = ["raw", "mangle", "nat", "filter", "security"]
                .into_iter()
                .find(|t| !tables.iter().any(|x| x == t));
            for t in &tables {
                let flags: &[&[&str]] = if counters { &FLAGS[1..] } else { &FLAGS };
                for fl in flags {
                    listings += 1;
                    failures.extend(compare(&ns, six, p, t, fl, counters));
                }
            }
            if counters {
                continue;
            }
            // A chain argument: the table's last chain (a user-defined one
            // when there is any), and a chain that does not exist.
            for t in &tables {
                let (_, s, _) = ns.ipt(six, &["-t", t, "-S"]);
                let s = String::from_utf8_lossy(&s).into_owned();
                let last = s
                    .lines()
                    .rev()
                    .filter_map(|l| l.strip_prefix("-N ").or_else(|| l.strip_prefix("-P ")))
                    .find_map(|l| l.split(' ').next())
                    .unwrap_or("INPUT")
                    .to_string();
                for chain in [last.as_str(), "NFSIM-NO-SUCH-CHAIN"] {
                    for fl in [
                        &["-S", chain][..],
                        &["-L", chain, "-n", "-v", "--line-numbers"][..],
                        // One rule: the first, the second, one past the end.
                        &["-S", chain, "1"][..],
                        &["-S", chain, "999"][..],
                        &["-L", chain, "2", "-n", "-v", "--line-numbers"][..],
                        &["-L", chain, "1", "-n"][..],
                    ] {
                        listings += 1;
                        failures.extend(compare(&ns, six, p, t, fl, false));
                    }
                }
            }
            if let Some(t) = absent {
                tables.push(t.to_string());
                for fl in [&["-L", "-n", "-v"][..], &["-S"][..]] {
                    listings += 1;
                    failures.extend(compare(&ns, six, p, t, fl, false));
                }
            }
        }
    }
    eprintln!(
        "nfsim list: {} of {listings} listings agree with iptables-legacy, {dumps} dumps ({rejected} the kernel rejects, not listed)",
        listings - failures.len()
    );
    assert!(dumps > 0, "no dump was accepted by the kernel");
    assert!(
        failures.is_empty(),
        "{} listings differ:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// Counters at every boundary of `xtables_print_num` (5 digits, then K, M,
/// G, T with rounding), on rules and policies, `-v` with and without `-x`.
#[test]
fn counters_print_as_iptables_prints_them() {
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("ctr") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let values: [u64; 14] = [
        0,
        1,
        99_999,
        100_000,
        100_499,
        100_500,
        9_999_499,
        9_999_500,
        99_999_999,
        9_999_499_999,
        9_999_500_000,
        9_999_499_999_999,
        123_456_789_012_345_678,
        u64::MAX,
    ];
    let mut text = String::from("*filter\n");
    text.push_str(&format!(":INPUT DROP [{}:{}]\n", values[3], values[13]));
    text.push_str(&format!(":FORWARD ACCEPT [{}:{}]\n", values[9], values[12]));
    text.push_str(":OUTPUT ACCEPT [0:0]\n:user - [0:0]\n");
    for (i, v) in values.iter().enumerate() {
        let b = values[values.len() - 1 - i];
        text.push_str(&format!("[{v}:{b}] -A INPUT -s 192.0.2.{i}/32 -j user\n"));
    }
    text.push_str("COMMIT\n");
    let dir = std::env::temp_dir().join(format!("nfsim-list-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("counters.rules");
    std::fs::write(&file, &text).expect("write");
    assert!(
        ns.restore(false, true, text.as_bytes()),
        "iptables-legacy-restore -c refused:\n{text}"
    );
    let mut failures = Vec::new();
    for fl in FLAGS {
        failures.extend(compare(&ns, false, &file, "filter", fl, true));
    }
    failures.extend(compare(
        &ns,
        false,
        &file,
        "filter",
        &["-L", "-n", "-v", "-x"],
        true,
    ));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What `nfsim list` refuses, and how.
#[test]
fn refusals_are_clear() {
    let dir = std::env::temp_dir().join(format!("nfsim-list-refuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("r.rules");
    std::fs::write(
        &file,
        "*filter\n-A INPUT -m ipvs --ipvs -j ACCEPT\nCOMMIT\n",
    )
    .expect("write");
    let f = file.to_str().expect("utf-8 path");
    // Without -n iptables resolves names with the machine's resolvers.
    let (code, out, err) = nfsim_list(&["-L", f]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("-L needs -n"), "{err}");
    // An extension whose -L text is not modelled (ipvs: the kernel here
    // has no module to compare with): an error, no output.
    let (code, out, err) = nfsim_list(&["-L", "-n", f]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("`-m ipvs`"), "{err}");
    // -S prints it.
    let (code, out, _) = nfsim_list(&["-S", f]);
    assert_eq!(code, 0);
    assert!(String::from_utf8_lossy(&out).contains("-A INPUT -m ipvs --ipvs -j ACCEPT"));
    // iptables' own messages for a missing chain and table.
    let (code, _, err) = nfsim_list(&["-S", "NOPE", f]);
    assert_eq!(
        (code, err.trim()),
        (1, "iptables: No chain/target/match by that name.")
    );
    let (code, _, err) = nfsim_list(&["-t", "bogus", "-S", f]);
    assert_eq!(code, 3);
    assert!(
        err.contains("can't initialize iptables table `bogus'"),
        "{err}"
    );
    // iptables' refusals (measured with iptables-legacy 1.8.9): -S takes no
    // -n, -x or --line-numbers; a rule number is positive.
    for (args, msg) in [
        (
            &["-S", "-n", f][..],
            "iptables: Illegal option `-n' with this command",
        ),
        (
            &["-S", "-x", f][..],
            "iptables: Illegal option `-x' with this command",
        ),
        (
            &["-S", "--line-numbers", f][..],
            "iptables: Illegal option `-0' with this command",
        ),
        (
            &["-S", "INPUT", "0", f][..],
            "iptables: Invalid rule number `0'",
        ),
        (
            &["-L", "INPUT", "x", "-n", f][..],
            "iptables: Invalid rule number `x'",
        ),
    ] {
        let (code, out, err) = nfsim_list(args);
        assert_eq!((code, err.trim()), (2, msg), "{args:?}");
        assert!(out.is_empty());
    }
    // -L and -S together; neither for a restore file (only a script lists
    // its own -L/-S lines).
    let (code, _, _) = nfsim_list(&["-L", "-S", "-n", f]);
    assert_eq!(code, 2);
    let (code, _, err) = nfsim_list(&["-n", f]);
    assert_eq!(code, 2);
    assert!(err.contains("give -L or -S"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The rules of one `.t` file that its test marks as loading (`OK`), by
/// table, each with the first chain of its chain list (the format is in
/// `../shared/corpus/README.md`; a result for another backend than legacy
/// is turned as `tests/conformance_t.rs` turns it).
fn t_rules(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let (mut table, mut chain) = ("filter".to_string(), "INPUT".to_string());
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix(':') {
            chain = c
                .trim_end()
                .split(',')
                .next()
                .unwrap_or("INPUT")
                .to_string();
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
        let mut result = items[2].trim().to_string();
        if let Some(v) = items.get(3) {
            if v.trim() != "LEGACY" {
                result = match items.get(4) {
                    Some(alt) => alt.trim().to_string(),
                    None if result == "OK" => "FAIL".into(),
                    None if result == "FAIL" => "OK".into(),
                    None => "OK".into(),
                };
            }
        }
        if result != "OK" && result != "=" {
            continue;
        }
        let rule = format!("-A {chain} {}", items[0]);
        match out.iter_mut().find(|(t, _)| *t == table) {
            Some((_, v)) => v.push(rule),
            None => out.push((table.clone(), vec![rule])),
        }
    }
    out
}

/// Listings known not to agree, with the reason (`cli/tests/list_xfail.txt`):
/// `FILE FAMILY TABLE FLAGS` for one listing, or `noprinter NAME` for an
/// extension whose `-L` text nfsim does not print yet.
fn xfail() -> Vec<String> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/list_xfail.txt"))
            .unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Rules for extensions that iptables' `.t` files do not test (or whose
/// tests the kernel here refuses), in the `.t` format.
const EXTRA: &str = "\
:INPUT,FORWARD
-m devgroup --src-group 1;=;OK
-m devgroup ! --src-group 0x2/0xf --dst-group 7;=;OK
-m devgroup --dst-group 0x10/0x10;=;OK
-i eth0 -o eth1 -m comment --comment \"a b\" -j LOG --log-prefix \"x: \" --log-level 6 --log-uid;=;OK
-p tcp -m tcp --tcp-flags SYN,ACK SYN --tcp-option 8 -j REJECT --reject-with tcp-reset;=;OK
! -s 192.0.2.0/255.255.0.255 -d 198.51.100.7 ! -p udp -f;=;OK
-m mark ! --mark 0x1/0xff -j MARK --set-xmark 0x2/0xffffffff;=;OK
-m limit --limit 0/sec;=;OK
-s ::1.2.3.4 -d ::ffff:1.2.3.4/120;=;OK
*mangle
:PREROUTING
-j TEE --gateway ::1.2.3.4;=;OK
-j TEE --gateway 192.0.2.1 --oif eth0;=;OK
";

/// Every rule of iptables' own extension tests (`../shared/corpus/iptables-t`)
/// that the kernel accepts, listed with `-S`, `-L -n` and `-L -n -v` as
/// iptables-legacy lists it: one ruleset per test file and table.
#[test]
fn extension_listings_agree_with_iptables() {
    let Some(dir) = corpus() else {
        skip_note!("SKIPPED: ../shared/corpus not present");
        return;
    };
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("ext") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let scratch = std::env::temp_dir().join(format!("nfsim-list-ext-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut paths = Vec::new();
    files(&dir.join("iptables-t"), &mut paths);
    paths.retain(|p| p.extension().is_some_and(|e| e == "t"));
    // Rules for extensions iptables' tests do not cover, in the same form.
    paths.push(PathBuf::from("libxt_extra.t"));
    let xfail = xfail();
    let (mut listings, mut agree, mut rules) = (0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    let mut listed_ok: Vec<String> = Vec::new();
    let mut no_printer: Vec<String> = Vec::new();
    for p in &paths {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let families: &[bool] = if name.starts_with("libebt_") || name.starts_with("libarpt_") {
            continue;
        } else if name.starts_with("libip6t_") {
            &[true]
        } else if name.starts_with("libxt_") {
            &[false, true]
        } else {
            &[false]
        };
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let text = if name == "libxt_extra.t" {
            EXTRA.to_string()
        } else {
            text
        };
        for &six in families {
            for (table, cands) in t_rules(&text) {
                // The rules the kernel accepts, each alone, then together.
                let ok: Vec<&String> = cands
                    .iter()
                    .filter(|r| {
                        ns.restore(six, false, format!("*{table}\n{r}\nCOMMIT\n").as_bytes())
                    })
                    .collect();
                if ok.is_empty() {
                    continue;
                }
                let body = ok.iter().map(|r| format!("{r}\n")).collect::<String>();
                let input = format!("*{table}\n{body}COMMIT\n");
                if !ns.restore(six, false, input.as_bytes()) {
                    failures.push(format!(
                        "{name}: the accepted rules of {table} together are refused"
                    ));
                    continue;
                }
                rules += ok.len();
                let fam = if six { "6" } else { "4" };
                let file = scratch.join(format!("{name}.{fam}.{table}.rules"));
                std::fs::write(&file, &input).expect("write");
                for fl in [&["-S"][..], &["-L", "-n"][..], &["-L", "-n", "-v"][..]] {
                    listings += 1;
                    let key = format!("{name} {fam} {table} {}", fl.join(" "));
                    let mut a: Vec<&str> = Vec::new();
                    if six {
                        a.push("-6");
                    }
                    a.extend_from_slice(&["-t", &table]);
                    a.extend_from_slice(fl);
                    let f = file.to_str().expect("utf-8 path");
                    a.push(f);
                    let (gc, _, gerr) = nfsim_list(&a);
                    if gc != 0 {
                        if let Some(ext) = gerr
                            .split("cannot print ")
                            .nth(1)
                            .and_then(|r| r.split(" the way").next())
                        {
                            let k = format!("noprinter {ext}");
                            if !no_printer.contains(&k) {
                                no_printer.push(k);
                            }
                            continue;
                        }
                    }
                    match compare(&ns, six, &file, &table, fl, false) {
                        None => {
                            agree += 1;
                            if xfail.contains(&key) {
                                listed_ok.push(key);
                            }
                        }
                        Some(_) if xfail.contains(&key) => {}
                        Some(why) => failures.push(format!("{key}: {why}")),
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "nfsim list on iptables' extension tests: {agree} of {listings} listings agree ({rules} rules the kernel accepts); {} extensions without a -L printer: {}",
        no_printer.len(),
        no_printer.join(", ")
    );
    for k in &no_printer {
        if !xfail.contains(k) {
            failures.push(format!("{k}: not in cli/tests/list_xfail.txt"));
        }
    }
    for k in xfail.iter().filter(|k| k.starts_with("noprinter ")) {
        if !no_printer.contains(k) {
            listed_ok.push(k.clone());
        }
    }
    assert!(
        listed_ok.is_empty(),
        "listed in cli/tests/list_xfail.txt but agreeing now (remove them):\n  {}",
        listed_ok.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} listings differ:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// `nfsim list SCRIPT` prints what the script's own `-L`/`-S` lines print
/// when `sh` runs it with iptables-legacy, each where it stands.
#[test]
fn script_queries_print_where_they_stand() {
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("sh") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let script = "\
#!/bin/sh
iptables-legacy -P INPUT DROP
iptables-legacy -A INPUT -i lo -j ACCEPT
iptables-legacy -L -n
iptables-legacy -A INPUT -p tcp --dport 22 -j ACCEPT
iptables-legacy -N LOGDROP
iptables-legacy -A LOGDROP -j LOG --log-prefix \"drop: \"
iptables-legacy -A INPUT -j LOGDROP
iptables-legacy -nvL INPUT --line-numbers
iptables-legacy -t nat -A POSTROUTING -o eth0 -j MASQUERADE
iptables-legacy -t nat -S
iptables-legacy -S LOGDROP
iptables-legacy -w -L LOGDROP -n -x -v
ip6tables-legacy -A INPUT -s 2001:db8::/32 -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j DROP
ip6tables-legacy -L -n -v -x
iptables-legacy -t mangle -nL
";
    let dir = std::env::temp_dir().join(format!("nfsim-list-sh-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("fw.sh");
    std::fs::write(&file, script).expect("write");
    let f = file.to_str().expect("utf-8 path");
    assert!(ns.fresh());
    let want = Command::new("ip")
        .args(["netns", "exec", &ns.0, "sh", f])
        .output()
        .expect("run sh");
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    let (code, got, err) = nfsim_list(&[f]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want.stdout),
        "{}",
        first_diff(&want.stdout, &got)
    );
}

/// Names, comments and prefixes are bytes: listed as iptables lists them,
/// UTF-8 or not.
#[test]
fn bytes_are_listed_as_they_are() {
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("bytes") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let input: &[u8] = b"*filter\n:c\xff\xfe - [0:0]\n:caf\xc3\xa9 - [0:0]\n\
-A INPUT -m comment --comment \"a \xff b\" -j c\xff\xfe\n\
-A INPUT -i \xe9th0 -j caf\xc3\xa9\n\
-A c\xff\xfe -j LOG --log-prefix \"p\xff: \"\n\
-A caf\xc3\xa9 -m comment --comment \"\xc3\xa9t\xc3\xa9\" -j NFLOG --nflog-prefix \"q\xfe\"\n\
COMMIT\n";
    let dir = std::env::temp_dir().join(format!("nfsim-list-bytes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("bytes.rules");
    std::fs::write(&file, input).expect("write");
    assert!(
        ns.restore(false, false, input),
        "iptables-legacy-restore refused the input"
    );
    let mut failures = Vec::new();
    for fl in FLAGS {
        failures.extend(compare(&ns, false, &file, "filter", fl, false));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `-m set` and `-j SET` rules listed with `--ipset FILE` (the sets the
/// namespace has) agree with iptables-legacy in a namespace where `ipset
/// restore` created the same sets.
#[test]
fn set_listings_agree_with_iptables() {
    if !oracle_available() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    if Command::new("ipset").arg("version").output().is_err() {
        skip_note!("SKIPPED: needs ipset (apt-get install ipset) to run the oracle");
        return;
    }
    let Some(ns) = Ns::new("set") else {
        skip_note!("SKIPPED: could not create a network namespace");
        return;
    };
    let sets = "create bl hash:ip\ncreate bn hash:net,port\ncreate mp hash:ip skbinfo\ncreate l6 hash:net family inet6\n";
    let rules = [
        (false, "filter", "-A INPUT -m set --match-set bl src -j DROP\n\
            -A INPUT -m set ! --match-set bn src,dst --return-nomatch ! --update-counters ! --update-subcounters --packets-eq 3 ! --bytes-eq 5\n\
            -A INPUT -m set --match-set bl dst --packets-lt 3 --bytes-gt 7\n\
            -A INPUT -j SET --add-set bl src --exist --timeout 10\n\
            -A INPUT -j SET --del-set bn dst,src\n\
            -A INPUT -j SET --add-set bl src --del-set bl dst\n"),
        (false, "mangle", "-A PREROUTING -j SET --map-set mp src,dst --map-mark\n\
            -A PREROUTING -j SET --add-set bl src --exist --timeout 5 --map-set mp src --map-mark\n"),
        (true, "filter", "-A INPUT -m set --match-set l6 src,src -j ACCEPT\n"),
    ];
    let scratch = std::env::temp_dir().join(format!("nfsim-list-set-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let set_file = scratch.join("sets");
    std::fs::write(&set_file, sets).expect("write");
    let mut failures = Vec::new();
    let mut n = 0;
    for (six, table, body) in rules {
        assert!(ns.fresh(), "namespace");
        let input = format!("*{table}\n{body}COMMIT\n");
        let run = |prog: &str, stdin: &str| {
            use std::io::Write;
            let mut child = Command::new("ip")
                .args(["netns", "exec", &ns.0, prog])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
            child.wait().is_ok_and(|s| s.success())
        };
        let restore = if six {
            "ip6tables-legacy-restore"
        } else {
            "iptables-legacy-restore"
        };
        assert!(run_ipset_restore(&ns.0, sets), "ipset restore");
        assert!(run(restore, &input), "the kernel refuses {input}");
        let file = scratch.join(format!("{table}.{six}.rules"));
        std::fs::write(&file, &input).expect("write");
        for fl in [&["-S"][..], &["-L", "-n"][..], &["-L", "-n", "-v"][..]] {
            n += 1;
            let mut a: Vec<&str> = Vec::new();
            if six {
                a.push("-6");
            }
            a.extend_from_slice(&["-t", table]);
            a.extend_from_slice(fl);
            let (wc, want, werr) = ns.ipt(six, &a);
            a.extend_from_slice(&[
                "--ipset",
                set_file.to_str().unwrap(),
                file.to_str().unwrap(),
            ]);
            let (gc, got, gerr) = nfsim_list(&a);
            if (wc, &want) != (gc, &got) {
                failures.push(format!(
                    "{table} {}: exit {wc}/{gc} {werr} {gerr}\n        {}",
                    fl.join(" "),
                    first_diff(&want, &got)
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "nfsim list of -m set / -j SET rules: {} of {n} listings agree",
        n - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n  "));
}

fn run_ipset_restore(ns: &str, sets: &str) -> bool {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "ipset", "restore"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    let _ = child.stdin.take().unwrap().write_all(sets.as_bytes());
    child.wait().is_ok_and(|s| s.success())
}
