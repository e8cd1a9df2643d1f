//! A generated sequence of operations (packets of several protocols and
//! flags between a few addresses, NAT bindings, confirm or discard, time
//! steps) driving a small `ConntrackTable`, its invariants checked after
//! every step: every listed entry's original and reply tuples find that
//! entry, the table never holds more than its size (see
//! `drivers::run_conntrack`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "drivers.rs"]
mod drivers;

fuzz_target!(|data: &[u8]| drivers::run_conntrack(data));
