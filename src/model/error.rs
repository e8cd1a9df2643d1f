//! The error of a model value iptables would refuse: its kind and
//! iptables' own message.

use core::fmt;

/// What kind of value was refused.
///
/// ```
/// use nfsim::model::{ChainName, ErrorKind};
/// assert_eq!(ChainName::new("").unwrap_err().kind(), ErrorKind::ChainName);
/// assert_eq!(nfsim::syntax::parse_protocol("nope").unwrap_err().kind(), ErrorKind::Protocol);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A chain name (`assert_valid_chain_name`, iptables/xshared.c).
    ChainName,
    /// An interface name (`xtables_parse_interface`).
    Interface,
    /// An address or mask (`xtables_ipparse_any`, `xtables_ip6parse_any`).
    Address,
    /// A protocol name or number (`xtables_parse_protocol`).
    Protocol,
    /// An option's argument (a state list, a port, a number).
    Value,
}

/// A model value iptables would refuse, with iptables' message.
///
/// [`Display`](fmt::Display) is the message alone, exactly as iptables
/// writes it (after its `iptables v1.8.x: ` prefix).
///
/// ```
/// use nfsim::model::{ChainName, ErrorKind};
/// let e = ChainName::new("-bad").unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::ChainName);
/// assert_eq!(e.to_string(), "chain name not allowed to start with `-'");
/// let _: &dyn std::error::Error = &e;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }
    /// What kind of value was refused.
    ///
    /// ```
    /// use nfsim::model::{ErrorKind, Iface};
    /// let e = Iface::new("a-very-long-name0").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Interface);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// iptables' message.
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// let e = "192.0.2.1/33".parse::<AddrMask>().unwrap_err();
    /// assert_eq!(e.message(), "invalid mask `33' specified");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Inside the parser, messages travel as text until they get their line
/// and column ([`crate::syntax::Error`]).
impl From<Error> for String {
    fn from(e: Error) -> String {
        e.message
    }
}
