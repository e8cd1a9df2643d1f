//! Scripts of iptables commands: the seeds' commands (the tutorials the
//! project started from) and a script using every command, applied by
//! nfsim and by the real iptables-legacy in a scratch network namespace,
//! line by line (as `sh` runs them, going on after a failure): the same
//! lines fail, and iptables-save prints the same rulesets. Needs root,
//! `ip netns` and iptables-legacy; says SKIPPED otherwise.

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture (it captures `eprintln!`).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::process::Command;

use nfsim::syntax::script::{parse_script, LineKind};
use nfsim::syntax::{save_string, SaveOptions};

fn oracle() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    root && Command::new("iptables-legacy-save")
        .arg("--version")
        .output()
        .is_ok()
        && Command::new("ip")
            .args(["netns", "list"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// The iptables commands of a seed, in order: code spans and code-block
/// lines that start with `iptables`, `ip6tables` or `sudo iptables`, minus
/// placeholders (`<chain>`), which `sh` would read as redirections.
fn seed_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let mut cands: Vec<String> = Vec::new();
        let whole = line.replace('`', "");
        let whole = whole.trim();
        let starts = |t: &str| {
            let t = t.strip_prefix("sudo ").unwrap_or(t);
            t.starts_with("iptables ") || t.starts_with("ip6tables ")
        };
        if in_block || starts(whole) {
            cands.push(whole.to_string());
        } else {
            let parts: Vec<&str> = line.split('`').collect();
            for (i, p) in parts.iter().enumerate() {
                if i % 2 == 1 {
                    cands.push(p.trim().to_string());
                }
            }
        }
        for c in cands {
            let bare = c.strip_prefix("sudo ").unwrap_or(&c);
            let mut w = bare.split_whitespace();
            let first = w.next().unwrap_or("");
            let second = w.next().unwrap_or("");
            if (first == "iptables" || first == "ip6tables")
                && second.starts_with('-')
                && !c.contains(['<', '>', '|', '$', '`'])
            {
                out.push(c.clone());
            }
        }
    }
    out
}

struct Ns(String);

impl Ns {
    fn new(tag: &str) -> Ns {
        let n = format!("nfsim-sc-{}-{tag}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &n]).output();
        assert!(Command::new("ip")
            .args(["netns", "add", &n])
            .status()
            .unwrap()
            .success());
        Ns(n)
    }
    /// Runs one command line with sh in the namespace: its exit status.
    fn run(&self, line: &str) -> bool {
        let bare = line.strip_prefix("sudo ").unwrap_or(line);
        let legacy = bare
            .replacen("ip6tables ", "ip6tables-legacy ", 1)
            .replacen("iptables ", "iptables-legacy ", 1);
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.0,
                "sh",
                "-c",
                &format!("{legacy} >/dev/null 2>&1"),
            ])
            .status()
            .unwrap()
            .success()
    }
    fn save(&self, prog: &str) -> String {
        let o = Command::new("ip")
            .args(["netns", "exec", &self.0, prog])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Applies `lines` both ways and compares; returns how many lines failed.
fn compare(tag: &str, lines: &[String]) -> usize {
    compare_in(tag, lines).2
}

/// [`compare`], also giving the script and the namespace for more checks.
fn compare_in(tag: &str, lines: &[String]) -> (nfsim::syntax::script::Script, Ns, usize) {
    let script: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let s = parse_script(&script).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let ns = Ns::new(tag);
    let mut failed = 0;
    for (i, line) in lines.iter().enumerate() {
        let kernel_ok = ns.run(line);
        // Each line is one command here.
        let (_, kind) = &s.lines[i];
        let ours_ok = !matches!(kind, LineKind::Failed(_));
        assert_eq!(
            ours_ok,
            kernel_ok,
            "{tag} line {}: `{line}': nfsim {kind:?}, iptables {}",
            i + 1,
            if kernel_ok { "accepts" } else { "refuses" }
        );
        failed += usize::from(!kernel_ok);
    }
    assert_eq!(
        save_string(&s.v4, SaveOptions::default()).unwrap(),
        ns.save("iptables-legacy-save"),
        "{tag}: IPv4 ruleset"
    );
    assert_eq!(
        save_string(&s.v6, SaveOptions::default()).unwrap(),
        ns.save("ip6tables-legacy-save"),
        "{tag}: IPv6 ruleset"
    );
    (s, ns, failed)
}

#[test]
fn seed_scripts_give_iptables_rulesets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        skip_note!("SKIPPED: ../shared/seeds not found");
        return;
    };
    if !oracle() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    files.sort();
    let (mut n, mut failed) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let cmds = seed_commands(&text);
        if cmds.is_empty() {
            continue;
        }
        let tag = f
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .chars()
            .take(3)
            .collect::<String>();
        failed += compare(&tag, &cmds);
        n += cmds.len();
    }
    eprintln!("seed scripts: {n} commands in {} seeds agree with iptables-legacy ({failed} refused by both)", files.len());
    assert!(n > 50, "only {n} seed commands found");
}

#[test]
fn every_command_agrees_with_iptables() {
    if !oracle() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    let lines: Vec<String> = [
        "iptables -N web",
        "iptables -A INPUT -p tcp --dport 80 -j web",
        "iptables -A web -s 192.0.2.0/24 -j ACCEPT",
        "iptables -I web 1 -s 198.51.100.7 -j DROP",
        "iptables -I web -m comment --comment \"first rule\" -j LOG --log-prefix 'web: '",
        "iptables -R web 2 -s 198.51.100.8 -j DROP",
        "iptables -A web -j RETURN",
        "iptables -D web -j RETURN",
        "iptables -D web 1",
        "iptables -D web 9",
        "iptables -E web www",
        "iptables -E nosuch other",
        "iptables -t nat -N dnat-in",
        "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j DNAT --to-destination 192.0.2.10:80",
        "iptables -t nat -A POSTROUTING -o eth1 -j MASQUERADE",
        "iptables -t nat -X dnat-in",
        "iptables -P INPUT DROP",
        "iptables -P www DROP",
        "iptables -Z",
        "iptables -Z INPUT",
        "iptables -w -A OUTPUT -o lo -j ACCEPT",
        "iptables --wait 5 -A OUTPUT -p udp --dport 53 -j ACCEPT",
        "iptables -t mangle -A PREROUTING -j MARK --set-mark 0x1",
        "iptables -t mangle -F",
        "iptables -X www",
        "iptables -F www",
        "iptables -X www",
        "iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT",
        "iptables -C INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT",
        "iptables -S",
        "iptables -t raw -L -n",
        "iptables -A INPUT -p tcp --dport 22 -j NOSUCHTARGET",
        "iptables -A INPUT -m nosuchmatch -j ACCEPT",
        "ip6tables -A INPUT -s 2001:db8::/32 -p ipv6-icmp -j ACCEPT",
        "ip6tables -P FORWARD DROP",
        "ip6tables -A INPUT -s 192.0.2.1 -j ACCEPT",
        "iptables -N loop1",
        "iptables -N loop2",
        "iptables -A loop1 -j loop2",
        "iptables -A loop2 -j loop1",
        "iptables -X",
        "iptables -F",
        "iptables -X",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let failed = compare("all", &lines);
    assert!(failed >= 8, "the script exercises refusals too ({failed})");
}

/// `ipset save` text compared by content: the kernel's element order
/// follows its randomly seeded hash and its `initval` is random, so both
/// are left out; header lines stay in creation order.
fn ipset_normal(text: &str) -> (Vec<String>, Vec<String>) {
    let mut heads = Vec::new();
    let mut adds = Vec::new();
    for l in text.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < w.len() {
            if w[i] == "initval" {
                i += 2;
                continue;
            }
            out.push(w[i]);
            i += 1;
        }
        let l = out.join(" ");
        if l.starts_with("add ") {
            adds.push(l);
        } else if !l.is_empty() {
            heads.push(l);
        }
    }
    adds.sort();
    (heads, adds)
}

#[test]
fn ipset_commands_agree_with_ipset() {
    if !oracle() {
        skip_note!("SKIPPED: needs root, ip netns and iptables-legacy to run the oracle");
        return;
    }
    if Command::new("ipset").arg("version").output().is_err() {
        skip_note!("SKIPPED: needs ipset (apt-get install ipset) to run the oracle");
        return;
    }
    let lines: Vec<String> = [
        "ipset create bl hash:net timeout 600 comment",
        "ipset create bl hash:net timeout 600 comment",
        "ipset -exist create bl hash:net timeout 600 comment hashsize 4096",
        "ipset -exist create bl hash:net timeout 300 comment",
        "ipset -exist create bl hash:ip timeout 600 comment",
        "ipset add bl 203.0.113.0/24 timeout 0 comment \"docs\"",
        "ipset add bl 198.51.100.7 timeout 0",
        "ipset add bl 198.51.100.7 timeout 0",
        "ipset -exist add bl 198.51.100.7 timeout 0 comment \"again\"",
        "ipset -exist add bl 203.0.113.0/24 timeout 0",
        "ipset del bl 192.0.2.1",
        "ipset -exist del bl 192.0.2.1",
        "ipset add bl 192.0.2.0/28 timeout 0",
        "ipset del bl 192.0.2.0/28",
        "ipset create ports bitmap:port range 1-1024 counters",
        "ipset add ports 22 packets 5 bytes 300",
        "ipset -exist add ports 22 bytes 77",
        "ipset add ports 80-82",
        "ipset -exist create ports bitmap:port range 1-2048 counters",
        "ipset create both list:set",
        "ipset add both bl",
        "ipset add both ports",
        "ipset destroy ports",
        "ipset create tmp hash:ip",
        "ipset add tmp 192.0.2.9",
        "ipset flush tmp",
        "ipset destroy tmp",
        "ipset destroy tmp",
        "ipset list bl",
        "ipset add nosuch 192.0.2.1",
        "iptables -A INPUT -m set --match-set bl src -j DROP",
        "iptables -A INPUT -m set --match-set nosuch src -j DROP",
        "iptables -A INPUT -p tcp -m set --match-set ports dst -j SET --add-set bl src --exist",
        "ipset flush both",
        "ipset destroy ports",
        "ipset destroy bl",
        "ipset flush nosuch",
        "ipset create late hash:ip,port",
        "iptables -A INPUT -m set ! --match-set late src,dst -j ACCEPT",
        "ipset destroy",
        "ipset create gone hash:ip",
        "ipset create l2 list:set",
        "ipset add l2 gone",
        "ipset destroy gone",
        "ipset flush l2",
        "ipset destroy gone",
        // A range that meets an element already there: the ones before it
        // stay added, the command fails.
        "ipset create part hash:ip",
        "ipset add part 192.0.2.3",
        "ipset add part 192.0.2.0-192.0.2.5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (s, ns, _) = compare_in("ipset", &lines);
    let kernel = Command::new("ip")
        .args(["netns", "exec", &ns.0, "ipset", "save"])
        .output()
        .unwrap();
    let ours = s.ipset.save_text(nfsim::time::Instant::ZERO);
    assert!(
        ours.contains("comment \"again\"") && ours.contains("packets 5 bytes 77"),
        "{ours}"
    );
    assert_eq!(
        ipset_normal(&ours),
        ipset_normal(&String::from_utf8_lossy(&kernel.stdout)),
        "ipset save after the script:\n{ours}"
    );
    // `ipset list`'s References: rules naming each set and list:sets
    // holding it, as on the kernel.
    let cfg = nfsim::host::HostConfig {
        ipset: s.ipset.clone(),
        ..Default::default()
    };
    let host = nfsim::host::Host::new(&cfg, &s.v4, &s.v6).unwrap();
    let refs = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("Name: ") || l.starts_with("References: "))
            .map(str::to_string)
            .collect()
    };
    let kernel_list = Command::new("ip")
        .args(["netns", "exec", &ns.0, "ipset", "list"])
        .output()
        .unwrap();
    let ours_list = refs(&host.ipset_list(nfsim::time::Instant::ZERO));
    assert!(
        ours_list.iter().any(|l| l == "References: 2"),
        "{ours_list:?}"
    );
    assert_eq!(
        ours_list,
        refs(&String::from_utf8_lossy(&kernel_list.stdout)),
        "ipset list References"
    );
}
