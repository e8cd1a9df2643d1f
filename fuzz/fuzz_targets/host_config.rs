//! Arbitrary host configurations (devices, routes, sysctls, tick rates)
//! built into hosts, then packets at arbitrary times, backwards included:
//! an error or an answer, never a panic (see `inputs::run_host_config`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "inputs.rs"]
mod inputs;

fuzz_target!(|data: &[u8]| inputs::run_host_config(data));
