//! Any bytes as iptables-restore input, both families: parsing must never
//! panic, and what parses must print and parse back to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for family in [Family::Ipv4, Family::Ipv6] {
        let opts = RestoreOptions::new(family);
        if let Ok(rs) = parse_restore(&text, &opts) {
            let printed = save_string(&rs, SaveOptions::default());
            let again = parse_restore(&printed, &opts).expect("printed text must parse");
            assert_eq!(save_string(&again, SaveOptions::default()), printed, "print/parse is not a fixed point");
        }
    }
});
