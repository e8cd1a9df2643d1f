//! Tables sized by settings use memory in proportion to what they hold,
//! proved under a bounded address space: this test re-runs itself as a
//! child under `prlimit --as` (util-linux) and, there, builds hosts with
//! the largest values the kernel accepts — `nf_conntrack_max =
//! 2147483647`, `nf_conntrack_buckets = 268434944`, `nf_conntrack_max = 0`
//! (no limit), `hashlimit` with `--hashlimit-htable-size` and `-max` of
//! 4294967295, `recent` and `connlimit` — and runs tens of thousands of
//! connections through them. Before tables grew with their entries, the
//! first of these hosts asked for a 464 GB slab and aborted. A size the
//! kernel refuses (`nf_conntrack_buckets = 2147483647`: ENOMEM) must be a
//! clear error, not an abort.
//!
//! (`ip_list_tot`, recent's table size, is a read-only module parameter:
//! nfsim takes no input for it and keeps the default 100 entries per table.)

/// Says a test skipped its work where plain `cargo test` shows it: written
/// to the process's standard error directly, which the test harness does
/// not capture (it captures `eprintln!`).
macro_rules! skip_note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use std::net::Ipv4Addr;
use std::process::Command;

use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::syntax::{parse_restore, RestoreOptions};
use nfsim::time::Instant;
use nfsim::wire::PacketBuilder;

/// The child's address-space limit: far below what the old pre-sized
/// tables asked for (16 GiB of chain heads, 464 GB of slab), well above
/// what the connections below need.
const LIMIT: u64 = 512 << 20;
const CHILD_ENV: &str = "NFSIM_MEMORY_BOUNDS_CHILD";
const TEST_NAME: &str = "huge_table_settings_under_bounded_address_space";

fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> Vec<u8> {
    PacketBuilder::ipv4(src.0, dst.0)
        .udp(src.1, dst.1)
        .payload(b"q")
        .build()
}

const RULES: &str = "\
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p udp -m hashlimit --hashlimit-upto 1000/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name big --hashlimit-htable-size 4294967295 --hashlimit-htable-max 4294967295 -j ACCEPT
-A FORWARD -m recent --name seen --set
-A FORWARD -p udp -m connlimit --connlimit-above 1000000 --connlimit-mask 16 -j DROP
COMMIT
";

fn host(sysctls: &[(&str, i64)]) -> Result<Host, String> {
    let mut s: Vec<(String, i64)> = vec![("net.ipv4.ip_forward".into(), 1)];
    s.extend(sysctls.iter().map(|(k, v)| (k.to_string(), *v)));
    let cfg = HostConfig {
        interfaces: vec![
            InterfaceConfig {
                name: "eth0".into(),
                mac: [2, 0, 0, 0, 0, 1],
                addrs: vec!["10.0.0.1/8".parse().unwrap()],
                peer_mac: [2, 0, 0, 0, 1, 1],
            },
            InterfaceConfig {
                name: "eth1".into(),
                mac: [2, 0, 0, 0, 0, 2],
                addrs: vec!["198.51.100.1/24".parse().unwrap()],
                peer_mac: [2, 0, 0, 0, 1, 2],
            },
        ],
        routes: vec![RouteConfig {
            dst: "0.0.0.0/0".parse().unwrap(),
            via: Some("198.51.100.2".parse().unwrap()),
            dev: Some("eth1".into()),
        }],
        sysctls: s,
        ..HostConfig::default()
    };
    let v4 = parse_restore(RULES, &RestoreOptions::new(Family::Ipv4)).unwrap();
    Host::new(&cfg, &v4, &Ruleset::new(Family::Ipv6)).map_err(|e| e.to_string())
}

/// Forwards `n` new UDP connections (2000 sources, many ports each) from
/// eth0, 0.1 ms apart, and returns the conntrack heap bytes per entry.
fn run(h: &mut Host, n: u32) -> usize {
    let mut out = Outcome::default();
    let dst = Ipv4Addr::new(203, 0, 113, 53);
    for i in 0..n {
        let src = Ipv4Addr::from(0x0a01_0000 | (i % 2000));
        let sport = 1024 + (i / 2000) as u16;
        let p = udp((src, sport), (dst, 53));
        let now = Instant::from_millis_f64(f64::from(i) * 0.1);
        h.receive(1, &p, now, &mut out, &mut NoTrace);
    }
    let ct = h.conntrack();
    assert_eq!(ct.count(), n, "every connection is held");
    ct.heap_bytes() / n as usize
}

fn scenarios() {
    // A hash size the kernel refuses (nf_ct_alloc_hashtable: ENOMEM).
    let Err(e) = host(&[("net.netfilter.nf_conntrack_buckets", 2_147_483_647)]) else {
        panic!("nf_conntrack_buckets = 2147483647 is accepted");
    };
    assert!(
        e.contains("nf_conntrack_buckets") && e.contains("ENOMEM"),
        "{e}"
    );

    let n = 60_000;
    for sysctls in [
        &[("net.netfilter.nf_conntrack_max", 2_147_483_647)][..],
        &[
            ("net.netfilter.nf_conntrack_max", 2_147_483_647),
            ("net.netfilter.nf_conntrack_buckets", 268_434_944),
        ][..],
        &[("net.netfilter.nf_conntrack_max", 0)][..],
    ] {
        let mut h = host(sysctls).unwrap();
        let per_entry = run(&mut h, n);
        println!("{sysctls:?}: {n} connections, {per_entry} conntrack heap bytes per entry");
        // A slab doubling leaves at most half of it unused.
        assert!(per_entry <= 600, "{per_entry} bytes per entry");
    }
}

#[test]
fn huge_table_settings_under_bounded_address_space() {
    if std::env::var_os(CHILD_ENV).is_some() {
        // The limit is in force: more than it cannot be reserved.
        assert!(
            Vec::<u8>::new().try_reserve(LIMIT as usize).is_err(),
            "the address space is not limited"
        );
        scenarios();
        println!("memory_bounds child: done");
        return;
    }
    let have_prlimit = Command::new("prlimit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_prlimit {
        skip_note!(
            "SKIPPED: prlimit (util-linux) not found: the settings ran without an \
             address-space limit, which proves no bound"
        );
        scenarios();
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("prlimit")
        .arg(format!("--as={LIMIT}"))
        .arg("--")
        .arg(exe)
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("memory_bounds child: done"),
        "child under prlimit --as={LIMIT} failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
}
