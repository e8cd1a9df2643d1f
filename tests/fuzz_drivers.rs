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

/// What the `restore` fuzz target checks for one input: no panic, and what
/// parses prints and parses back to the same text.
fn restore_roundtrip(data: &[u8]) {
    use nfsim::model::Family;
    use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};
    let text = String::from_utf8_lossy(data);
    for family in [Family::Ipv4, Family::Ipv6] {
        let opts = RestoreOptions::new(family);
        if let Ok(rs) = parse_restore(&text, &opts) {
            let printed = save_string(&rs, SaveOptions::default());
            let again = parse_restore(&printed, &opts).expect("printed text must parse");
            assert_eq!(save_string(&again, SaveOptions::default()), printed);
        }
    }
}

/// `restore` crash (fuzz/artifacts/restore/crash-bfd7af5c…): `-d` whose
/// value has a U+FFFD across byte 19 panicked in `numeric_to_ipaddr`
/// (fixed in src/syntax/addr.rs).
#[test]
fn restore_crash_address_multibyte_at_byte_19() {
    restore_roundtrip(&[
        0x2a, 0x6e, 0x61, 0x74, 0x09, 0x41, 0x09, 0xf6, 0x61, 0x0a, 0x2d, 0x64, 0x74, 0x2a, 0xef,
        0xbf, 0xbd, 0x2a, 0xff, 0x00, 0x00, 0x00, 0x50, 0x00, 0xff, 0x49, 0xef, 0xbf, 0x61, 0x09,
        0x20, 0x2d, 0x49, 0xeb, 0x2a, 0x6e, 0x61, 0x00, 0x00, 0x00, 0x00, 0xf5, 0x00, 0x00, 0x22,
        0xee, 0x20, 0xb8, 0xc5,
    ]);
}
