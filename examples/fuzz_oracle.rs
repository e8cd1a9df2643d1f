//! nfsim as a differential oracle: arbitrary scenarios (`nfsim::arbitrary`,
//! feature `arbitrary`) through a host, each ruleset given to a second
//! implementation in the form it would take, and the dispositions
//! compared packet by packet.
//!
//! ```sh
//! cargo run --example fuzz_oracle            # 2,000 scenarios
//! cargo run --example fuzz_oracle -- 10000
//! ```
//!
//! The "other implementation" here is nfsim itself, loaded from the
//! ruleset as iptables-save prints it (save, then restore): a firewall
//! under test would take the same text (`ArbRuleset::text`, or the saved
//! form), the same packets (`ArbPacket::bytes`, arriving on `eth0` / `eth1`
//! or sent by the host) and report its verdicts; a difference is a bug in
//! one of the two, and the scenario (its bytes) reproduces it.

use nfsim::arbitrary::{Arbitrary, Scenario, Unstructured};
use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};

fn bytes_for(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args().nth(1).map_or(Ok(2_000), |s| s.parse())?;
    let (mut packets, mut corrupted, mut differences) = (0usize, 0usize, 0usize);
    let mut dispositions = std::collections::BTreeMap::<String, usize>::new();
    for seed in 0..n {
        let data = bytes_for(seed, 4096);
        let scenario = Scenario::arbitrary(&mut Unstructured::new(&data))?;
        let reference = scenario.run()?;
        // The implementation under test: here, the saved text read back.
        let mut other = scenario.clone();
        for (rs, fam) in [
            (&mut other.v4, nfsim::model::Family::Ipv4),
            (&mut other.v6, nfsim::model::Family::Ipv6),
        ] {
            let text = save_bytes(&rs.ruleset, SaveOptions::default());
            rs.ruleset = parse_restore(&text, &RestoreOptions::new(fam))?;
        }
        let theirs = other.run()?;
        for ((p, a), b) in scenario.packets.iter().zip(&reference).zip(&theirs) {
            packets += 1;
            corrupted += usize::from(p.2.corrupted);
            let kind = format!("{}", a.0);
            let kind = kind.split([' ', '(', ':']).next().unwrap_or("").to_string();
            *dispositions.entry(kind).or_default() += 1;
            if a != b {
                differences += 1;
                println!("seed {seed}: {} vs {}", a.0, b.0);
            }
        }
    }
    println!("{n} scenarios, {packets} packets ({corrupted} corrupted on purpose), {differences} differences");
    for (k, v) in dispositions {
        println!("  {v:>6} {k}");
    }
    if differences > 0 {
        return Err(format!("{differences} differences").into());
    }
    Ok(())
}
