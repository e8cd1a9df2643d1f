//! Parse errors with a place.

use core::fmt;

/// What kind of problem a restore input has.
///
/// ```
/// use nfsim::model::Family;
/// use nfsim::syntax::{parse_restore, ErrorKind, RestoreOptions};
/// let o = RestoreOptions::new(Family::Ipv4);
/// assert_eq!(parse_restore("*filter\n", &o).unwrap_err().kind, ErrorKind::Syntax);
/// assert_eq!(parse_restore("*filter\n-A INPUT -p tcp --dport x\nCOMMIT\n", &o).unwrap_err().kind, ErrorKind::Parameter);
/// assert_eq!(parse_restore("*filter\n-A INPUT -m tcp\nCOMMIT\n", &o).unwrap_err().kind, ErrorKind::Kernel);
/// ```
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

/// Which exit status `iptables-restore` gives an error: the `enum
/// xtables_exittype` of include/xtables.h that `xtables_error` exits with,
/// or 1 where iptables-restore itself exits (`line N failed`, `COMMIT
/// expected`: a libiptc operation or the kernel's commit refused it).
///
/// ```
/// use nfsim::syntax::{parse_restore, Problem, RestoreOptions};
/// use nfsim::model::Family;
/// let o = RestoreOptions::new(Family::Ipv4);
/// let e = parse_restore("*filter\n-A INPUT --bogus\nCOMMIT\n", &o).unwrap_err();
/// assert_eq!((e.problem, e.problem.exit_code()), (Problem::Parameter, 2));
/// let e = parse_restore("*filter\n-A NOSUCH -j ACCEPT\nCOMMIT\n", &o).unwrap_err();
/// assert_eq!((e.problem, e.problem.exit_code()), (Problem::Other, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `OTHER_PROBLEM` and iptables-restore's own `exit(1)`: exit status 1.
    Other,
    /// `PARAMETER_PROBLEM`: exit status 2.
    Parameter,
}

impl Problem {
    /// The process exit status iptables-restore gives.
    ///
    /// ```
    /// use nfsim::syntax::Problem;
    /// assert_eq!((Problem::Other.exit_code(), Problem::Parameter.exit_code()), (1, 2));
    /// ```
    pub const fn exit_code(self) -> u8 {
        match self {
            Problem::Other => 1,
            Problem::Parameter => 2,
        }
    }
}

/// A restore error: line and column (1-based; column 0 when the whole line
/// is at fault) and iptables' own message where it has one.
///
/// ```
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// use nfsim::model::Family;
/// let e = parse_restore("*filter\n-A INPUT -p tcp --dpt 22\nCOMMIT\n", &RestoreOptions::new(Family::Ipv4)).unwrap_err();
/// assert_eq!((e.line, e.col), (2, 17));
/// assert_eq!(e.message, "unknown option \"--dpt\"; did you mean --dst?");
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
    /// The exit status class iptables-restore gives this error.
    pub problem: Problem,
}

impl Error {
    /// A new error. Its [`Problem`] follows from the kind: a
    /// [`ErrorKind::Parameter`] or [`ErrorKind::Syntax`] error is what
    /// iptables reports with `xtables_error(PARAMETER_PROBLEM, ...)`; the
    /// others are [`Problem::Other`]. [`Error::other`] changes it where
    /// iptables exits 1 instead.
    ///
    /// ```
    /// use nfsim::syntax::{Error, ErrorKind, Problem};
    /// let e = Error::new(3, 7, ErrorKind::Parameter, "Bad argument `x'");
    /// assert_eq!((e.problem, e.to_string()), (Problem::Parameter, "3:7: Bad argument `x'".to_string()));
    /// ```
    pub fn new(line: usize, col: usize, kind: ErrorKind, message: impl Into<String>) -> Self {
        let problem = match kind {
            ErrorKind::Parameter | ErrorKind::Syntax => Problem::Parameter,
            ErrorKind::Unsupported | ErrorKind::Kernel | ErrorKind::Input => Problem::Other,
        };
        Error {
            line,
            col,
            kind,
            message: message.into(),
            problem,
        }
    }
    /// The same error with exit status class [`Problem::Other`].
    ///
    /// ```
    /// use nfsim::syntax::{Error, ErrorKind, Problem};
    /// let e = Error::new(2, 0, ErrorKind::Parameter, "line 2 failed").other();
    /// assert_eq!(e.problem, Problem::Other);
    /// ```
    pub fn other(mut self) -> Self {
        self.problem = Problem::Other;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

impl std::error::Error for Error {}
