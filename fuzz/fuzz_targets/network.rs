//! A network of hosts on one clock (`nfsim::net`): arbitrary hosts, links,
//! loss, packets sent and injected at arbitrary times (see
//! `inputs::run_network`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "inputs.rs"]
mod inputs;

fuzz_target!(|data: &[u8]| inputs::run_network(data));
