//! The `nfsim` command, each subcommand and its flags, over arbitrary files
//! (see `cli_driver::run_cli`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "cli_driver.rs"]
mod cli_driver;

fuzz_target!(|data: &[u8]| cli_driver::run_cli(data));
