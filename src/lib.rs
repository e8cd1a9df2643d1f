//! nfsim: a packet-for-packet model of Linux netfilter.
//!
//! (Crate documentation is written as the layers land; see README.md.)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod conntrack;
pub mod engine;
pub mod host;
pub mod model;
pub mod replay;
pub mod syntax;
pub mod time;
pub mod wire;
