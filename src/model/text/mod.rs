//! The text extensions share with the command parser, owned here so that
//! `syntax` depends on `model` and never the reverse (libxtables holds
//! these for iptables and its extensions alike): protocol names
//! ([`proto`]), address and mask text ([`addr`]), and the [`Word`] an
//! option's arguments come in.

pub(crate) mod addr;
pub(crate) mod proto;

pub use proto::{parse_protocol, proto_name};

/// The bytes of a [`Word`].
pub type WordBytes = smallvec::SmallVec<[u8; 32]>;

/// One word of a rule line with the column (1-based, in bytes) where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word after quote removal: bytes, as iptables keeps them
    /// (inline up to 32 bytes: most words of a rule line need no
    /// allocation).
    pub bytes: WordBytes,
    /// 1-based byte column of its first character in the line.
    pub col: usize,
}
