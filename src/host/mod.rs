//! The `host` layer (under construction).

pub mod log;
