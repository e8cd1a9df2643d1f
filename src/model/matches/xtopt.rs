//! The value types of the option toolkit (`model::opt`, crate-private)
//! that typed rules hold: a 32-bit value with a mask (`--mark`) and a host
//! address with a mask (`--ctorigsrc`, `--tunnel-src`...).

pub use crate::model::opt::{HostMask, MarkMask};
