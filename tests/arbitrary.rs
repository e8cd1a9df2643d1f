//! `nfsim::arbitrary`: what it builds is valid by construction (rulesets
//! pass validation and load into a host; packets are well formed unless
//! marked corrupted) and runs deterministically.

use nfsim::arbitrary::{ArbPacket, ArbRuleset, Arbitrary, Scenario, Unstructured};
use nfsim::model::Family;
use nfsim::wire::meta::PacketMeta;

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

#[test]
fn rulesets_are_valid_by_construction() {
    let mut rules = 0;
    for seed in 0..1500 {
        let data = bytes_for(seed, 2048);
        for fam in [Family::Ipv4, Family::Ipv6] {
            let r = ArbRuleset::of(&mut Unstructured::new(&data), fam)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            nfsim::syntax::validate(&r.ruleset)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}", r.text));
            rules += r
                .ruleset
                .tables
                .iter()
                .flat_map(|t| &t.chains)
                .map(|c| c.rules.len())
                .sum::<usize>();
        }
    }
    assert!(rules > 10_000, "{rules} rules");
}

#[test]
fn packets_are_well_formed_unless_corrupted() {
    let (mut good, mut bad) = (0, 0);
    for seed in 0..3000 {
        let data = bytes_for(seed, 256);
        let p = ArbPacket::arbitrary(&mut Unstructured::new(&data)).unwrap();
        if p.corrupted {
            bad += 1;
            continue;
        }
        good += 1;
        let meta = PacketMeta::parse(&p.bytes).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        if p.bytes[0] >> 4 == 4 {
            assert_eq!(
                nfsim::wire::checksum::ipv4_header(&p.bytes[..20]),
                0,
                "seed {seed}"
            );
        }
        assert!(meta.thoff <= p.bytes.len());
    }
    assert!(good > 2000 && bad > 100, "{good} good, {bad} corrupted");
}

#[test]
fn scenarios_load_and_run_deterministically() {
    let mut packets = 0;
    for seed in 0..400 {
        let data = bytes_for(seed, 4096);
        let s = Scenario::arbitrary(&mut Unstructured::new(&data)).unwrap();
        let a = s
            .run()
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{}\n{}", s.v4.text, s.v6.text));
        let b = s.run().unwrap();
        assert_eq!(a, b, "seed {seed}");
        packets += a.len();
    }
    assert!(packets > 2000, "{packets}");
}

#[test]
fn host_configs_load() {
    use nfsim::arbitrary::ArbHostConfig;
    use nfsim::model::Ruleset;
    let (v4, v6) = (Ruleset::new(Family::Ipv4), Ruleset::new(Family::Ipv6));
    let mut distinct = std::collections::HashSet::new();
    for seed in 0..2000 {
        let data = bytes_for(seed, 128);
        let h = ArbHostConfig::arbitrary(&mut Unstructured::new(&data))
            .unwrap()
            .0;
        nfsim::host::Host::new(&h, &v4, &v6).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{h:?}"));
        distinct.insert(format!("{h:?}"));
    }
    assert!(
        distinct.len() > 1000,
        "{} distinct configurations",
        distinct.len()
    );
}
