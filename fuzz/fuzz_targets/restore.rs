//! Any bytes as iptables-restore input, both families: parsing must never
//! panic, and what parses must print and parse back to the same model.
//! (The oracle is `drivers::run_restore`, shared with
//! `tests/fuzz_drivers.rs`.)
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "drivers.rs"]
mod drivers;

fuzz_target!(|data: &[u8]| drivers::run_restore(data));
