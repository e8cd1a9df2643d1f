//! Any bytes as `ipset save` / `ipset restore` text (what `--ipset FILE`
//! and a trace's `host.ipset` read): reading never panics, and what reads
//! saves and reads back to the same text. (The oracle is
//! `drivers::run_ipset`, shared with `tests/fuzz_drivers.rs`.)
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "drivers.rs"]
mod drivers;

fuzz_target!(|data: &[u8]| drivers::run_ipset(data));
