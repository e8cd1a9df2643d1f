//! Trace files, put together from pieces or taken as raw text, loaded and
//! replayed: an error naming a field, or an answer, never a panic (see
//! `inputs::run_trace_file`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "inputs.rs"]
mod inputs;

fuzz_target!(|data: &[u8]| inputs::run_trace_file(data));
