//! Any bytes as iptables-restore input, both families: parsing must never
//! panic, and what parses must print and parse back to the same model.
//!
//! Table order is compared aside: like the kernel, which lists the most
//! recently created table first (`xt_register_table` adds at the head of
//! the list `/proc/net/ip_tables_names` walks; checked with iptables-legacy
//! 1.8.9 on Linux 6.18: restoring `*raw` then `*nat` into a fresh namespace
//! saves `*nat` first), restoring a saved ruleset reverses its tables.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nfsim::model::{Family, Ruleset};
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

fn by_kind(rs: &Ruleset) -> String {
    let mut rs = rs.clone();
    rs.tables.sort_by_key(|t| t.kind as usize);
    save_string(&rs, SaveOptions::default())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for family in [Family::Ipv4, Family::Ipv6] {
        let opts = RestoreOptions::new(family);
        if let Ok(rs) = parse_restore(&text, &opts) {
            let printed = save_string(&rs, SaveOptions::default());
            let again = parse_restore(&printed, &opts).expect("printed text must parse");
            assert_eq!(
                by_kind(&again),
                by_kind(&rs),
                "print/parse is not a fixed point"
            );
        }
    }
});
