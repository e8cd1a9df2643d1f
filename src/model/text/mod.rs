//! The text extensions share with the command parser, owned here so that
//! `syntax` depends on `model` and never the reverse (libxtables holds
//! these for iptables and its extensions alike): protocol names
//! ([`proto`]), address and mask text ([`addr`]), and the [`Word`] an
//! option's arguments come in.

pub(crate) mod addr;
pub(crate) mod proto;

pub use proto::{parse_protocol, proto_name};

/// One word of a rule line with the column (1-based, in bytes) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word after quote removal: bytes, as iptables keeps them.
    pub bytes: Vec<u8>,
    /// 1-based byte column of its first character in the line.
    pub col: usize,
}
