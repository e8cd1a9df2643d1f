//! Text in and out: the `iptables-restore` language and the canonical
//! `iptables-save` text.
//!
//! Input and output are bytes, as iptables reads and prints them: names,
//! comments, prefixes and patterns are kept byte for byte, UTF-8 or not
//! ([`crate::model::ByteStr`]).
//!
//! - `argv` (internal) splits a line into words (bytes) with iptables-restore's quoting rules;
//! - `command` (internal) parses one command line like iptables' `do_parse` (getopt_long
//!   with extension options merged as they are loaded, the implicit protocol
//!   match, `!` in the positions iptables accepts);
//! - [`restore`] applies a whole file to a [`Ruleset`](crate::model::Ruleset),
//!   table by table, with the checks made at `COMMIT`;
//! - [`list`] prints what `iptables -L -n` and `iptables -S` print;
//! - [`save`] prints exactly what `iptables-save` prints ([`save_bytes`], [`save_string`]).
//!
//! Every error carries a line, a column and iptables' own message where it
//! has one. Nothing here panics on any input (a fuzz target checks it).

pub(crate) mod argv;
pub(crate) mod command;
pub mod error;
mod fast;
pub mod list;
pub mod restore;
pub mod save;
pub mod script;
pub mod suggest;

#[cfg(test)]
mod ext_tests;

pub use crate::model::text::{parse_protocol, proto_name};
pub use error::{Error, ErrorKind, Problem};
pub use restore::{
    parse_restore, parse_restore_reader, restore_into, validate, validate_in, validate_objects,
    validate_with_nfacct, RestoreOptions, ValidationError, ValidationErrorKind,
};
pub use save::{save_bytes, save_string, save_to, SaveOptions};
