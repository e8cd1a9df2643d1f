//! The input-path fuzz targets (`host_config`, `trace_file`, `cli`) on
//! stable: proptest feeds random bytes to the same drivers
//! (`fuzz/fuzz_targets/inputs.rs`, `cli_driver.rs`), which panic only on a
//! crash of nfsim or a broken invariant.

#[path = "../../fuzz/fuzz_targets/cli_driver.rs"]
mod cli_driver;

use cli_driver::inputs;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn host_configs_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        inputs::run_host_config(&data);
    }

    #[test]
    fn trace_files_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        inputs::run_trace_file(&data);
    }

    #[test]
    fn networks_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        inputs::run_network(&data);
    }

    #[test]
    fn endpoints_never_panic_and_replay(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        assert_eq!(inputs::run_endpoints(&data), inputs::run_endpoints(&data));
    }

    #[test]
    fn command_lines_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        cli_driver::run_cli(&data);
    }
}
