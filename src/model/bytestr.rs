//! Byte strings: what the kernel and iptables keep as `char[]`.
//!
//! Chain names, comments, LOG/NFLOG prefixes, string-match patterns,
//! interface names and the names of sets, recent lists, hashlimit tables,
//! helpers and the like are C strings to iptables and the kernel: any bytes
//! but NUL, with no encoding. nfsim keeps them as [`ByteStr`], so that
//! bytes which are not UTF-8 survive a restore and a save unchanged
//! (`iptables-restore` + `iptables-save` print them back byte for byte).
//!
//! [`ByteStr`]'s [`Display`](fmt::Display) is for people (error messages):
//! UTF-8 text is written as is and every byte that is not part of valid
//! UTF-8 as `\xNN`. The exact bytes are [`ByteStr::as_bytes`], and
//! [`crate::syntax::save_bytes`] writes them raw.

use core::fmt;

/// An owned byte string (the kernel's `char[]`, without its NUL).
///
/// ```
/// use nfsim::model::ByteStr;
/// let s = ByteStr::from(&b"a\xffb"[..]);
/// assert_eq!(s.as_bytes(), b"a\xffb");
/// assert_eq!(s.to_str(), None);
/// assert_eq!(s.to_string(), "a\\xffb");
/// assert_eq!(ByteStr::from("drop: "), "drop: ");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteStr(Vec<u8>);

impl ByteStr {
    /// The empty string.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert!(ByteStr::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        ByteStr(Vec::new())
    }
    /// The bytes.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("ab").as_bytes(), b"ab");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The bytes as text, when they are UTF-8.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("ok").to_str(), Some("ok"));
    /// assert_eq!(ByteStr::from(&b"\xff"[..]).to_str(), None);
    /// ```
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }
    /// The owned bytes.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("x").into_vec(), b"x".to_vec());
    /// ```
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
    /// A [`Display`](fmt::Display) form of any bytes (see [`Escaped`]).
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from(&b"a\xffb"[..]).escaped().to_string(), "a\\xffb");
    /// ```
    pub fn escaped(&self) -> Escaped<'_> {
        Escaped(&self.0)
    }
}

impl core::ops::Deref for ByteStr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for ByteStr {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl core::borrow::Borrow<[u8]> for ByteStr {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for ByteStr {
    fn from(s: &str) -> Self {
        ByteStr(s.as_bytes().to_vec())
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> Self {
        ByteStr(s.into_bytes())
    }
}

impl From<&[u8]> for ByteStr {
    fn from(s: &[u8]) -> Self {
        ByteStr(s.to_vec())
    }
}

impl From<Vec<u8>> for ByteStr {
    fn from(s: Vec<u8>) -> Self {
        ByteStr(s)
    }
}

impl PartialEq<str> for ByteStr {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for ByteStr {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<[u8]> for ByteStr {
    fn eq(&self, other: &[u8]) -> bool {
        self.0 == other
    }
}

impl PartialEq<&[u8]> for ByteStr {
    fn eq(&self, other: &&[u8]) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Escaped(&self.0), f)
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.0.utf8_chunks() {
            write!(f, "{}", chunk.valid().escape_debug())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        f.write_str("\"")
    }
}

/// Bytes for people: UTF-8 text as is, every byte that is not part of
/// valid UTF-8 as `\xNN` (for messages; never an input or save format).
///
/// ```
/// use nfsim::model::bytestr::Escaped;
/// assert_eq!(Escaped(b"caf\xc3\xa9 \xc3").to_string(), "caf\u{e9} \\xc3");
/// ```
#[derive(Clone, Copy)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The bytes as text for parsing numbers, keywords and addresses: borrowed
/// when they are UTF-8, else with U+FFFD for each sequence that is not.
///
/// What iptables' parsers look at is ASCII (digits, `/`, `:`, keyword
/// letters), and this text has exactly the ASCII bytes of the input, in
/// order, with non-ASCII where the input has non-ASCII: a parser reaches
/// the same verdict on it as iptables on the bytes (`--dport 2\xff` is an
/// invalid port; `--hashlimit-upto 5\xeb/s` is 5/sec, as `atoi` reads it).
/// (An escaped form such as `\xeb` would not do: it adds ASCII letters.)
/// Messages then show U+FFFD where iptables prints the byte. The result
/// must never be stored where the kernel keeps bytes: those take the bytes.
///
/// ```
/// use nfsim::model::bytestr::text;
/// assert_eq!(text(b"22"), "22");
/// assert_eq!(text(b"2\xff/\xc3s"), "2\u{fffd}/\u{fffd}s");
/// ```
pub fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}
