//! Arbitrary bytes as packets arriving on `lo`/`eth0`/`eth1` or sent by a
//! NAT gateway with a rich ruleset (tcp, udp, icmp, conntrack, state,
//! multiport, NAT targets, REJECT, MARK, CONNMARK), with time steps: nothing
//! may panic, conntrack stays within its size (see `drivers::run_pipeline`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "drivers.rs"]
mod drivers;

fuzz_target!(|data: &[u8]| drivers::run_pipeline(data));
