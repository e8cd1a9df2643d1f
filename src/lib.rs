//! nfsim: a packet-for-packet model of Linux netfilter.
//!
//! (Crate documentation is written as the layers land; see README.md.)
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod time;
pub mod wire;
pub mod model;
pub mod syntax;
pub mod engine;
pub mod conntrack;
pub mod host;
pub mod replay;
