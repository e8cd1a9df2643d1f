//! Parse errors with a place.

use core::fmt;

/// What kind of problem a restore input has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Line structure: bad table or chain line, missing `COMMIT`, stray text.
    Syntax,
    /// An option or argument iptables rejects while parsing a command.
    Parameter,
    /// Something iptables would accept but nfsim does not implement.
    Unsupported,
    /// Rejected when the table is committed: what the kernel's
    /// `translate_table` / `checkentry` refuses (loops, hooks, tables).
    Kernel,
    /// Reading the input failed (not UTF-8, I/O).
    Input,
}

/// A restore error: line and column (1-based; column 0 when the whole line
/// is at fault) and iptables' own message where it has one.
///
/// ```
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// use nfsim::model::Family;
/// let e = parse_restore("*filter\n-A INPUT -p tcp --dpt 22\nCOMMIT\n", &RestoreOptions::new(Family::Ipv4)).unwrap_err();
/// assert_eq!((e.line, e.col), (2, 17));
/// assert_eq!(e.message, "unknown option \"--dpt\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, 0 if not known.
    pub col: usize,
    /// The kind.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
}

impl Error {
    /// A new error.
    pub fn new(line: usize, col: usize, kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            line,
            col,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for Error {}
