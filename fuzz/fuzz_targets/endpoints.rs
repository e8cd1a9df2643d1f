//! Endpoints (`nfsim::net::Stack`) on two linked hosts that both answer,
//! meeting arbitrary packets, connections, datagrams and pings (see
//! `inputs::run_endpoints`): nothing panics, the clock never goes
//! backwards, and the run is the same twice.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "inputs.rs"]
mod inputs;

fuzz_target!(|data: &[u8]| {
    let a = inputs::run_endpoints(data);
    let b = inputs::run_endpoints(data);
    assert_eq!(a, b);
});
