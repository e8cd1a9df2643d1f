//! Arbitrary scenarios (`nfsim::arbitrary::Scenario`: a host, rulesets
//! valid by construction, packets well formed or corrupted on purpose)
//! through a host, as a differential oracle of nfsim against itself: the
//! rulesets as iptables-save prints them, read back, must give the same
//! dispositions and the same emitted packets. Loading never fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nfsim::arbitrary::Scenario;
use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};

fuzz_target!(|s: Scenario| {
    let a = s.run().expect("an arbitrary scenario loads");
    let mut other = s.clone();
    for (rs, fam) in [(&mut other.v4, Family::Ipv4), (&mut other.v6, Family::Ipv6)] {
        let text = save_bytes(&rs.ruleset, SaveOptions::default());
        rs.ruleset = parse_restore(&text, &RestoreOptions::new(fam)).expect("saved text reads back");
    }
    let b = other.run().expect("the saved rulesets load");
    assert_eq!(a, b);
});
