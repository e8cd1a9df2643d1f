//! The fuzz targets `pipeline` and `conntrack` on stable: proptest feeds
//! random bytes to the same drivers (`fuzz/fuzz_targets/drivers.rs`), which
//! panic only on a broken invariant. Crashes found by `cargo fuzz` are kept
//! below as named regression tests.

#[path = "../fuzz/fuzz_targets/drivers.rs"]
mod drivers;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pipeline_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        drivers::run_pipeline(&data);
    }

    #[test]
    fn conntrack_invariants_hold(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        drivers::run_conntrack(&data);
    }
}

#[test]
fn pipeline_host_builds() {
    let h = drivers::pipeline_host();
    assert_eq!(h.device(2), Some("eth1"));
}

#[test]
fn structured_packets_pass_the_receive_checks() {
    // The structured generator produces packets the host accepts (not only
    // noise): one of each kind, delivered or forwarded somewhere.
    for sel in 0u8..8 {
        for fam in [0u8, 0x80] {
            let bytes = [
                sel | fam,
                0,
                4,
                2,
                3,
                0x02,
                0,
                1,
                0,
                0,
                0xff,
                0xff,
                4,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
            ];
            let p = drivers::structured(&mut drivers::Input::new(&bytes));
            assert!(
                nfsim::wire::meta::PacketMeta::parse(&p).is_ok(),
                "sel {sel} fam {fam}: {p:02x?}"
            );
        }
    }
}
