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
///
/// Up to 23 bytes are kept inline, with no allocation of their own (an
/// interface name, most chain names and comments); a longer string is one
/// exact-size allocation. Either way a `ByteStr` is 24 bytes.
#[derive(Clone)]
pub struct ByteStr(Repr);

/// Longest string kept inline.
const INLINE: usize = 23;

#[derive(Clone)]
enum Repr {
    /// `len` bytes of `buf`; `Len`'s unused values hold the other
    /// variant's tag, so the whole is 24 bytes.
    Inline {
        buf: [u8; INLINE],
        len: Len,
    },
    Heap(Box<[u8]>),
}

/// The length of an inline string, 0 to [`INLINE`].
#[derive(Clone, Copy)]
#[repr(u8)]
#[rustfmt::skip]
enum Len {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15,
    L16, L17, L18, L19, L20, L21, L22, L23,
}

#[rustfmt::skip]
const LENS: [Len; INLINE + 1] = [
    Len::L0, Len::L1, Len::L2, Len::L3, Len::L4, Len::L5, Len::L6, Len::L7,
    Len::L8, Len::L9, Len::L10, Len::L11, Len::L12, Len::L13, Len::L14,
    Len::L15, Len::L16, Len::L17, Len::L18, Len::L19, Len::L20, Len::L21,
    Len::L22, Len::L23,
];

impl ByteStr {
    /// The empty string.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert!(ByteStr::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        ByteStr(Repr::Inline {
            buf: [0; INLINE],
            len: Len::L0,
        })
    }
    /// A copy of `b`: inline when short, else one exact allocation.
    fn copy_of(b: &[u8]) -> Self {
        match LENS.get(b.len()) {
            Some(&len) => {
                let mut buf = [0; INLINE];
                buf[..b.len()].copy_from_slice(b);
                ByteStr(Repr::Inline { buf, len })
            }
            None => ByteStr(Repr::Heap(b.into())),
        }
    }
    /// The bytes.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("ab").as_bytes(), b"ab");
    /// let long = "a comment longer than twenty-three bytes";
    /// assert_eq!(ByteStr::from(long).as_bytes(), long.as_bytes());
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { buf, len } => &buf[..*len as usize],
            Repr::Heap(b) => b,
        }
    }
    /// The bytes as text, when they are UTF-8.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("ok").to_str(), Some("ok"));
    /// assert_eq!(ByteStr::from(&b"\xff"[..]).to_str(), None);
    /// ```
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }
    /// The owned bytes.
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from("x").into_vec(), b"x".to_vec());
    /// ```
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { .. } => self.as_bytes().to_vec(),
            Repr::Heap(b) => b.into_vec(),
        }
    }
    /// A [`Display`](fmt::Display) form of any bytes (see [`Escaped`]).
    ///
    /// ```
    /// use nfsim::model::ByteStr;
    /// assert_eq!(ByteStr::from(&b"a\xffb"[..]).escaped().to_string(), "a\\xffb");
    /// ```
    pub fn escaped(&self) -> Escaped<'_> {
        Escaped(self.as_bytes())
    }
}

impl Default for ByteStr {
    /// The empty string ([`ByteStr::new`]).
    fn default() -> Self {
        ByteStr(Repr::Inline {
            buf: [0; INLINE],
            len: Len::L0,
        })
    }
}

impl PartialEq for ByteStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ByteStr {}

impl core::hash::Hash for ByteStr {
    /// As the bytes hash (`Borrow<[u8]>` needs it).
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for ByteStr {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByteStr {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl core::ops::Deref for ByteStr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for ByteStr {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl core::borrow::Borrow<[u8]> for ByteStr {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<&str> for ByteStr {
    fn from(s: &str) -> Self {
        ByteStr::copy_of(s.as_bytes())
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> Self {
        ByteStr::from(s.into_bytes())
    }
}

impl From<&[u8]> for ByteStr {
    fn from(s: &[u8]) -> Self {
        ByteStr::copy_of(s)
    }
}

impl From<Vec<u8>> for ByteStr {
    fn from(s: Vec<u8>) -> Self {
        if s.len() <= INLINE {
            ByteStr::copy_of(&s)
        } else {
            ByteStr(Repr::Heap(s.into_boxed_slice()))
        }
    }
}

impl PartialEq<str> for ByteStr {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for ByteStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<[u8]> for ByteStr {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for ByteStr {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Escaped(self.as_bytes()), f)
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for chunk in self.as_bytes().utf8_chunks() {
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

#[cfg(test)]
mod tests {
    use super::ByteStr;

    #[test]
    fn inline_and_heap_strings_are_their_bytes() {
        assert_eq!(core::mem::size_of::<ByteStr>(), 24);
        assert_eq!(core::mem::size_of::<Option<ByteStr>>(), 24);
        for n in [0, 1, 22, 23, 24, 100] {
            let v: Vec<u8> = (0..n).map(|i| i as u8 ^ 0xa5).collect();
            let a = ByteStr::from(&v[..]);
            let b = ByteStr::from(v.clone());
            assert_eq!(a.as_bytes(), &v[..]);
            assert_eq!(a, b);
            assert_eq!(a.clone().into_vec(), v);
            assert_eq!(a.cmp(&b), core::cmp::Ordering::Equal);
        }
        let (ab, abc) = (ByteStr::from("ab"), ByteStr::from("abc"));
        assert!(ab < abc);
        let (b, long) = (
            ByteStr::from("b"),
            ByteStr::from("a234567890123456789012345"),
        );
        assert!(b > long && long.len() == 25);
    }
}
