//! The extension framework: how a match or target declares its options,
//! parses them and prints itself.
//!
//! This mirrors libxtables' `xt_option_entry` tables and `x6_parse` /
//! `x6_fcheck` / `save` callbacks (libxtables/xtoptions.c): an extension
//! lists its options as `OptSpec`s; the restore parser (a getopt_long
//! work-alike in [`crate::syntax`]) finds which loaded extension owns an
//! option and calls `Extension::parse` with the option, the `!` flag and
//! the argument; when the rule is complete it calls `Extension::finish`
//! (iptables' final check) and, at commit, `Extension::check` (the
//! kernel's `checkentry`: table, hooks, protocol).
//!
//! Printing (`Extension::save`) writes exactly what the extension's
//! `save` function in iptables writes, starting with a space.

use core::fmt;
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::bytestr::{self, ByteStr};
use super::{Family, HookMask, TableKind};
use crate::model::text::Word;

/// Declares option ids `0, 1, 2...` in the order given, as the `O_*` enums
/// of the `libxt_*.c` files do.
macro_rules! ids {
    ($($id:ident),* $(,)?) => { $crate::model::ext::ids!(@next 0u8; $($id)*); };
    (@next $n:expr; $id:ident $($rest:ident)*) => {
        const $id: u8 = $n;
        $crate::model::ext::ids!(@next $n + 1; $($rest)*);
    };
    (@next $n:expr;) => {};
}

/// Declares an option table (libxtables' `xt_option_entry` array), in
/// getopt order: entries `ID "name" arg|flag [inv] [multi] [mand]
/// [excl(IDS)] [also(IDS)]` (an id, the long name, whether it takes an
/// argument, whether `!` may precede it, whether it may be repeated,
/// whether it must be given, the options it excludes and needs), as
/// [`OptSpec`]s.
macro_rules! options {
    ($table:ident = $($id:tt $name:literal $kind:ident $($flag:ident $(($bits:expr))?)*),* $(,)?) => {
        const $table: [$crate::model::ext::OptSpec; $crate::model::ext::options!(@count $($name)*)] =
            [$($crate::model::ext::OptSpec::$kind($name, $id)$(.$flag($($bits)?))*),*];
    };
    (@count) => { 0 };
    (@count $x:literal $($r:literal)*) => { 1 + $crate::model::ext::options!(@count $($r)*) };
}

pub(crate) use {ids, options};

/// Whether an option takes an argument (getopt's `has_arg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HasArg {
    /// `no_argument`
    No,
    /// `required_argument`
    Required,
    /// `optional_argument` (only as `--opt=value`)
    Optional,
}

/// One option of an extension (libxtables' `xt_option_entry`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OptSpec {
    /// Long name without the leading `--`.
    pub name: &'static str,
    /// Extension-local id passed back to [`Extension::parse`].
    pub id: u8,
    /// Argument requirement.
    pub arg: HasArg,
    /// Whether `!` may precede it (`XTOPT_INVERT`).
    pub invert: bool,
    /// Whether it may be given more than once (`XTOPT_MULTI`).
    pub multi: bool,
    /// Whether the rule must give it (`XTOPT_MAND`).
    pub mand: bool,
    /// Ids (bits) of the options it cannot be given with (`.excl`).
    pub excl: u64,
    /// Ids (bits) of the options it needs (`.also`).
    pub also: u64,
}

impl OptSpec {
    /// An option with a required argument, not invertible, once only.
    pub const fn arg(name: &'static str, id: u8) -> Self {
        OptSpec {
            name,
            id,
            arg: HasArg::Required,
            invert: false,
            multi: false,
            mand: false,
            excl: 0,
            also: 0,
        }
    }
    /// An option without argument, not invertible, once only.
    pub const fn flag(name: &'static str, id: u8) -> Self {
        OptSpec {
            name,
            id,
            arg: HasArg::No,
            invert: false,
            multi: false,
            mand: false,
            excl: 0,
            also: 0,
        }
    }
    /// The same option, invertible.
    pub const fn inv(mut self) -> Self {
        self.invert = true;
        self
    }
    /// The same option, allowed several times.
    pub const fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    /// The same option, mandatory.
    pub const fn mand(mut self) -> Self {
        self.mand = true;
        self
    }
    /// The same option, not to be given with the options of `ids` (bits).
    pub const fn excl(mut self, ids: u64) -> Self {
        self.excl = ids;
        self
    }
    /// The same option, needing the options of `ids` (bits).
    pub const fn also(mut self, ids: u64) -> Self {
        self.also = ids;
        self
    }
}

/// What an extension knows about the rule it is part of while parsing.
#[derive(Debug, Clone)]
pub(crate) struct ExtCtx<'a> {
    /// Family of the ruleset.
    pub family: Family,
    /// Table of the rule (what libxtables' `xt_option_call` passes; no
    /// extension nfsim has reads it yet).
    #[allow(dead_code)]
    pub table: TableKind,
    /// Chain the rule is added to (its name's bytes; read by no extension yet).
    #[allow(dead_code)]
    pub chain: &'a [u8],
    /// The rule's `-p` protocol (0 if none).
    pub proto: u8,
    /// Whether `-p` is inverted.
    pub proto_inv: bool,
    /// The namespace's ip sets (libxt_set.h `get_set_byname` asks the
    /// kernel for a set while `-m set` / `SET` options are parsed).
    pub ipset: &'a crate::ipset::Ipsets,
}

/// What the kernel's `checkentry` sees at commit.
#[derive(Debug, Clone)]
pub(crate) struct CheckCtx<'a> {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: TableKind,
    /// Hooks from which the rule's chain is reachable.
    pub hooks: HookMask,
    /// The rule's `-p` protocol (0 if none).
    pub proto: u8,
    /// Whether `-p` is inverted.
    pub proto_inv: bool,
    /// Whether one of the rule's matches is `-m tcp` whose compared flags
    /// include SYN, not inverted (xt_TCPMSS.c `find_syn_match`).
    pub tcp_syn_match: bool,
    /// The nfacct objects of the namespace (`nfnl_acct_find_get` looks
    /// names up in them).
    pub nfacct: &'a [crate::model::ByteStr],
    /// The timeout policies of the namespace (`timeout_find_get`).
    pub cttimeout: &'a crate::model::targets::ct::TimeoutObjects,
}

/// The argument cursor an option's parser reads from: the option's own
/// argument and, for the few options that take several words
/// (`--tcp-flags MASK COMP`), the words that follow it.
///
/// An argument is bytes, as iptables keeps it. [`Args::optarg`] is its text
/// view for numbers, keywords and addresses (see
/// [`crate::model::bytestr::text`]);
/// whatever the kernel keeps as a string (names, comments, prefixes,
/// patterns) is taken from [`Args::raw`] / [`Args::required_bytes`].
#[derive(Debug)]
pub(crate) struct Args<'a> {
    /// The option's id ([`OptSpec::id`]).
    pub id: u8,
    /// The option's long name as given ([`OptSpec::name`]).
    pub opt: &'static str,
    /// Whether `!` preceded the option.
    pub invert: bool,
    /// The rule being parsed.
    pub ctx: &'a ExtCtx<'a>,
    /// The option's argument as text (getopt's `optarg`), for numbers and
    /// keywords: exact when the argument is UTF-8.
    pub optarg: Option<&'a str>,
    /// The option's argument, its bytes.
    pub raw: Option<&'a [u8]>,
    pub(crate) rest: &'a [Word],
    pub(crate) taken: usize,
}

impl<'a> Args<'a> {
    /// A cursor over option `spec` (`!` before it when `invert`) of a rule
    /// (`ctx`): its argument (text and bytes) and the words that follow it.
    pub fn new(
        spec: &OptSpec,
        invert: bool,
        ctx: &'a ExtCtx<'a>,
        optarg: Option<&'a str>,
        raw: Option<&'a [u8]>,
        rest: &'a [Word],
    ) -> Self {
        Args {
            id: spec.id,
            opt: spec.name,
            invert,
            ctx,
            optarg,
            raw,
            rest,
            taken: 0,
        }
    }
    /// The option's argument as text, or iptables' message for a missing one.
    pub(crate) fn required(&self, ext: &str, opt: &str) -> Result<&'a str, String> {
        self.optarg
            .ok_or_else(|| format!("{ext}: option \"--{opt}\" requires an argument."))
    }
    /// The option's argument as bytes, or iptables' message for a missing one.
    pub(crate) fn required_bytes(&self, ext: &str, opt: &str) -> Result<&'a [u8], String> {
        self.raw
            .ok_or_else(|| format!("{ext}: option \"--{opt}\" requires an argument."))
    }
    /// The next word after the option, if it does not start with `-` or `!`
    /// (iptables' `argv[optind]` idiom guarded by `xs_has_arg`), as text.
    pub fn next_word(&mut self) -> Option<Cow<'a, str>> {
        let w = self.rest.get(self.taken)?;
        if w.bytes.starts_with(b"-") || w.bytes.starts_with(b"!") {
            return None;
        }
        self.taken += 1;
        Some(bytestr::text(&w.bytes))
    }
}

/// A blank extension as its `init` leaves it, before any option: its
/// `Default`, unless it depends on the rule (family, `-p`).
pub(crate) trait Blank {
    /// The blank instance for a rule.
    fn blank(ctx: &ExtCtx<'_>) -> Self;
}

impl<T: Default> Blank for T {
    fn blank(_: &ExtCtx<'_>) -> Self {
        T::default()
    }
}

/// `Blank` for the box of an extension whose own `Blank` reads the
/// context (the blanket impl above covers boxes of `Default` types).
macro_rules! boxed_blank {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::model::ext::Blank for Box<$ty> {
            fn blank(ctx: &$crate::model::ext::ExtCtx<'_>) -> Self {
                Box::new(<$ty as $crate::model::ext::Blank>::blank(ctx))
            }
        }
    )*};
}
pub(crate) use boxed_blank;

/// libxtables' `xtables_options_fcheck` over an option table (run before
/// the extension's own final check, as `xtables_option_mfcheck` does): for
/// each option in table order, a missing `XTOPT_MAND` one, then for a
/// given one each other option of the table: a missing `.also` and a given
/// `.excl`, with libxtables' messages.
pub(crate) fn check_options(ext: &str, specs: &[OptSpec], seen: u64) -> Result<(), String> {
    let given = |id: u8| seen & (1 << id) != 0;
    // Most rules have nothing to check: no mandatory option missing and
    // no given option with an `.also` or `.excl`.
    if !specs.iter().any(|s| {
        if given(s.id) {
            s.also | s.excl != 0
        } else {
            s.mand
        }
    }) {
        return Ok(());
    }
    for s in specs {
        if s.mand && !given(s.id) {
            return Err(format!("{ext}: option \"--{}\" must be specified", s.name));
        }
        if !given(s.id) {
            continue;
        }
        for o in specs.iter().filter(|o| o.id != s.id) {
            if s.also & (1 << o.id) != 0 && !given(o.id) {
                return Err(format!(
                    "{ext}: option \"--{}\" also requires \"--{}\".",
                    s.name, o.name
                ));
            }
            if s.excl & (1 << o.id) != 0 && given(o.id) {
                return Err(format!(
                    "{ext}: option \"--{}\" cannot be used together with \"--{}\".",
                    s.name, o.name
                ));
            }
        }
    }
    Ok(())
}

/// A match or target extension.
pub(crate) trait Extension: Sized + Clone + PartialEq + fmt::Debug + Blank {
    /// The options, in the extension's declaration order, when they are the
    /// same for both families.
    const OPTIONS: &'static [OptSpec] = &[];
    /// The options for `family` ([`Extension::OPTIONS`] unless the families
    /// differ).
    fn options(family: Family) -> &'static [OptSpec] {
        let _ = family;
        Self::OPTIONS
    }
    /// A blank instance loaded under `name` (differs from [`Blank::blank`]
    /// only for aliases such as `NOTRACK` for `CT --notrack`).
    fn new_as(name: &str, ctx: &ExtCtx<'_>) -> Self {
        let _ = name;
        Self::blank(ctx)
    }
    /// The name iptables-save prints, when it is not the name the extension
    /// is registered under.
    fn save_name(&self) -> Option<&'static str> {
        None
    }
    /// Handles one option (`args.id` from [`OptSpec::id`], `args.invert`,
    /// its argument). The framework has already rejected a repeated option
    /// not marked [`OptSpec::multi`] and a `!` before an option not marked
    /// [`OptSpec::invert`].
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String>;
    /// The final check after the whole rule was read (`x6_fcheck`); `seen`
    /// has bit `id` set for every option given.
    fn finish(&mut self, seen: u64, ctx: &ExtCtx<'_>) -> Result<(), String> {
        let _ = (seen, ctx);
        Ok(())
    }
    /// The kernel's `checkentry` at commit: tables, hooks, protocol, ranges.
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        let _ = ctx;
        Ok(())
    }
    /// Writes what iptables-save prints after `-m NAME` / `-j NAME`
    /// (each option preceded by a space).
    fn save(&self, f: &mut SaveBuf) -> fmt::Result;
}

/// A boxed extension is the extension: the large ones (more than 32
/// bytes) are boxed in [`crate::model::Match`] and
/// [`crate::model::Target`], so that every rule's matches and verdict stay
/// small. A boxed extension whose blank instance depends on the family
/// (no `Default`) gets its `Blank` from [`boxed_blank!`].
impl<T: Extension> Extension for Box<T>
where
    Box<T>: Blank,
{
    fn options(family: Family) -> &'static [OptSpec] {
        T::options(family)
    }
    fn new_as(name: &str, ctx: &ExtCtx<'_>) -> Self {
        Box::new(T::new_as(name, ctx))
    }
    fn save_name(&self) -> Option<&'static str> {
        (**self).save_name()
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        (**self).parse(args)
    }
    fn finish(&mut self, seen: u64, ctx: &ExtCtx<'_>) -> Result<(), String> {
        (**self).finish(seen, ctx)
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        (**self).check(ctx)
    }
    fn save(&self, f: &mut SaveBuf) -> fmt::Result {
        (**self).save(f)
    }
}

/// An address with a mask (`-s`, `-d`, and extension addresses). The mask
/// may be non-contiguous, as the kernel allows; the address is stored
/// already masked, as iptables stores it.
///
/// ```
/// use nfsim::model::AddrMask;
/// let a = AddrMask::v4([192, 168, 1, 7].into(), 24);
/// assert_eq!(a.to_string(), "192.168.1.0/24");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrMask {
    /// Family.
    pub family: Family,
    /// Address bytes (first 4 used for IPv4), masked.
    pub addr: [u8; 16],
    /// Mask bytes.
    pub mask: [u8; 16],
}

impl AddrMask {
    /// An IPv4 address and prefix length (clamped to 32).
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// let a = AddrMask::v4([192, 0, 2, 77].into(), 24);
    /// assert_eq!(a.to_string(), "192.0.2.0/24");
    /// assert!(a.contains(&[192, 0, 2, 1]) && !a.contains(&[192, 0, 3, 1]));
    /// ```
    pub fn v4(addr: Ipv4Addr, prefix: u8) -> Self {
        let mut m = AddrMask {
            family: Family::Ipv4,
            addr: [0; 16],
            mask: prefix_mask(prefix.min(32)),
        };
        m.addr[..4].copy_from_slice(&addr.octets());
        m.apply_mask();
        m
    }
    /// An IPv6 address and prefix length (clamped to 128).
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// let a = AddrMask::v6("2001:db8::1".parse().unwrap(), 32);
    /// assert_eq!(a.to_string(), "2001:db8::/32");
    /// ```
    pub fn v6(addr: Ipv6Addr, prefix: u8) -> Self {
        let mut m = AddrMask {
            family: Family::Ipv6,
            addr: addr.octets(),
            mask: prefix_mask(prefix.min(128)),
        };
        m.apply_mask();
        m
    }
    /// Address and explicit mask bytes.
    ///
    /// ```
    /// use nfsim::model::{AddrMask, Family};
    /// let mut addr = [0u8; 16];
    /// addr[..4].copy_from_slice(&[10, 1, 2, 3]);
    /// let mut mask = [0u8; 16];
    /// mask[..4].copy_from_slice(&[255, 0, 255, 0]);
    /// let a = AddrMask::with_mask(Family::Ipv4, addr, mask);
    /// assert_eq!(a.to_string(), "10.0.2.0/255.0.255.0");
    /// assert_eq!(a.prefix_len(), None);
    /// ```
    pub fn with_mask(family: Family, addr: [u8; 16], mask: [u8; 16]) -> Self {
        let mut m = AddrMask { family, addr, mask };
        if family == Family::Ipv4 {
            m.addr[4..].fill(0);
            m.mask[4..].fill(0);
        }
        m.apply_mask();
        m
    }
    fn apply_mask(&mut self) {
        for i in 0..16 {
            self.addr[i] &= self.mask[i];
        }
    }
    /// The prefix length if the mask is contiguous.
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// assert_eq!("198.51.100.0/22".parse::<AddrMask>().unwrap().prefix_len(), Some(22));
    /// ```
    pub fn prefix_len(&self) -> Option<u8> {
        let n = self.family.addr_len();
        let mut bits = 0u8;
        let mut ended = false;
        for &b in &self.mask[..n] {
            if ended {
                if b != 0 {
                    return None;
                }
                continue;
            }
            let ones = b.leading_ones() as u8;
            if b != 0xff && b << ones != 0 {
                return None;
            }
            bits += ones;
            if b != 0xff {
                ended = true;
            }
        }
        Some(bits)
    }
    /// Whether this is `0.0.0.0/0` or `::/0`.
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// assert!("0.0.0.0/0".parse::<AddrMask>().unwrap().is_any());
    /// assert!(!"::1".parse::<AddrMask>().unwrap().is_any());
    /// ```
    pub fn is_any(&self) -> bool {
        self.mask.iter().all(|b| *b == 0)
    }
    /// Whether `addr` (of the same family) lies in this network.
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// let net: AddrMask = "2001:db8::/32".parse().unwrap();
    /// assert!(net.contains(&"2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap().octets()));
    /// assert!(!net.contains(&[192, 0, 2, 1])); // too short for IPv6
    /// ```
    #[inline]
    pub fn contains(&self, addr: &[u8]) -> bool {
        let n = self.family.addr_len();
        addr.len() >= n && (0..n).all(|i| addr[i] & self.mask[i] == self.addr[i])
    }
    /// The address as an `IpAddr`.
    ///
    /// ```
    /// use nfsim::model::AddrMask;
    /// let a: AddrMask = "192.0.2.9/32".parse().unwrap();
    /// assert_eq!(a.ip(), std::net::IpAddr::from([192, 0, 2, 9]));
    /// ```
    pub fn ip(&self) -> std::net::IpAddr {
        ip_of(self.family, &self.addr)
    }
}

impl core::str::FromStr for AddrMask {
    type Err = super::Error;
    /// `ADDRESS[/MASK]` as `-s` takes it, numeric (no name lookup): IPv6
    /// when it holds a `:`, IPv4 otherwise; the mask is a prefix length or
    /// an address.
    ///
    /// ```
    /// use nfsim::model::{AddrMask, Family};
    /// let a: AddrMask = "192.0.2.7/255.255.255.0".parse().unwrap();
    /// assert_eq!((a.family, a.to_string()), (Family::Ipv4, "192.0.2.0/24".to_string()));
    /// assert_eq!("2001:db8::1".parse::<AddrMask>().unwrap().prefix_len(), Some(128));
    /// assert_eq!("192.0.2.300".parse::<AddrMask>().unwrap_err().to_string(),
    ///     "host/network `192.0.2.300' not found");
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let family = if s.contains(':') {
            Family::Ipv6
        } else {
            Family::Ipv4
        };
        crate::model::text::addr::parse_one(s, family)
    }
}

/// Converts address bytes of a family to an `IpAddr`.
pub(crate) fn ip_of(family: Family, b: &[u8; 16]) -> std::net::IpAddr {
    match family {
        Family::Ipv4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).into(),
        Family::Ipv6 => Ipv6Addr::from(*b).into(),
    }
}

/// A mask of `prefix` leading one bits.
///
/// ```
/// use nfsim::model::ext::prefix_mask;
/// assert_eq!(prefix_mask(12)[..3], [0xff, 0xf0, 0]);
/// ```
pub fn prefix_mask(prefix: u8) -> [u8; 16] {
    let mut m = [0u8; 16];
    for (i, b) in m.iter_mut().enumerate() {
        let start = (i * 8) as u8;
        *b = if prefix >= start + 8 {
            0xff
        } else if prefix > start {
            0xffu8 << (8 - (prefix - start))
        } else {
            0
        };
    }
    m
}

impl fmt::Display for AddrMask {
    /// `ADDR/PREFIX`, or `ADDR/MASK` for a non-contiguous IPv4 mask
    /// (xtables `xtables_ipmask_to_numeric`, `xtables_ip6mask_to_numeric`).
    /// Addresses as `inet_ntop` writes them (glibc keeps `::1.2.3.4`,
    /// which Rust's `Ipv6Addr` display writes `::102:304`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::model::opt::write_addr(f, self.family, &self.addr)?;
        f.write_str("/")?;
        match self.prefix_len() {
            Some(p) => write!(f, "{p}"),
            None => crate::model::opt::write_addr(f, self.family, &self.mask),
        }
    }
}

/// An interface name as `-i`/`-o` take it: up to 15 bytes (any bytes, as
/// the kernel compares them), a trailing `+` matching any suffix.
///
/// ```
/// use nfsim::model::Iface;
/// let i = Iface::new("eth+").unwrap();
/// assert!(i.matches("eth0") && !i.matches("lo"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iface {
    /// The name's bytes, zero after `len` (so that the derived `Eq` and
    /// `Hash` are the name's): no allocation, and `Option<Iface>` is 16
    /// bytes, `len`'s unused values its `None`.
    name: [u8; IFACE_MAX],
    len: IfaceLen,
}

/// Longest interface name: `IFNAMSIZ - 1`.
const IFACE_MAX: usize = 15;

/// The length of an interface name, 0 to [`IFACE_MAX`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[rustfmt::skip]
enum IfaceLen {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15,
}

#[rustfmt::skip]
const IFACE_LENS: [IfaceLen; IFACE_MAX + 1] = [
    IfaceLen::L0, IfaceLen::L1, IfaceLen::L2, IfaceLen::L3, IfaceLen::L4,
    IfaceLen::L5, IfaceLen::L6, IfaceLen::L7, IfaceLen::L8, IfaceLen::L9,
    IfaceLen::L10, IfaceLen::L11, IfaceLen::L12, IfaceLen::L13,
    IfaceLen::L14, IfaceLen::L15,
];

impl fmt::Debug for Iface {
    /// As the struct with a [`ByteStr`] name it was: `Iface { name: "eth0" }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iface")
            .field("name", &ByteStr::from(self.as_bytes()))
            .finish()
    }
}

impl Iface {
    /// Validates like `xtables_parse_interface`.
    ///
    /// # Errors
    /// [`ErrorKind::Interface`](super::ErrorKind::Interface) for a name of
    /// 16 bytes or more, with iptables' message.
    ///
    /// ```
    /// use nfsim::model::Iface;
    /// assert!(Iface::new("wg0").is_ok());
    /// assert_eq!(Iface::new("0123456789abcdef").unwrap_err().to_string(),
    ///     "interface name `0123456789abcdef' must be shorter than IFNAMSIZ (15)");
    /// ```
    pub fn new(name: impl AsRef<[u8]>) -> Result<Self, super::Error> {
        let name = name.as_ref();
        let Some(&len) = IFACE_LENS.get(name.len()) else {
            return Err(super::Error::new(
                super::ErrorKind::Interface,
                format!(
                    "interface name `{}' must be shorter than IFNAMSIZ (15)",
                    bytestr::Escaped(name)
                ),
            ));
        };
        let mut buf = [0; IFACE_MAX];
        buf[..name.len()].copy_from_slice(name);
        Ok(Iface { name: buf, len })
    }
    /// The name as given.
    ///
    /// ```
    /// use nfsim::model::Iface;
    /// assert_eq!(Iface::new("eth0").unwrap().as_bytes(), b"eth0");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.name[..self.len as usize]
    }
    /// Whether the name is `+` (any interface) or empty.
    ///
    /// ```
    /// use nfsim::model::Iface;
    /// assert!(Iface::new("+").unwrap().is_wildcard_all());
    /// assert!(!Iface::new("eth+").unwrap().is_wildcard_all());
    /// ```
    pub fn is_wildcard_all(&self) -> bool {
        matches!(self.as_bytes(), b"" | b"+")
    }
    /// Whether a device name matches (ip_tables.c `ifname_compare_aligned`
    /// with the mask `xtables_parse_interface` builds): byte comparison.
    ///
    /// ```
    /// use nfsim::model::Iface;
    /// let i = Iface::new("veth+").unwrap();
    /// assert!(i.matches("veth12ab") && !i.matches("eth0"));
    /// assert!(Iface::new("eth0").unwrap().matches("eth0"));
    /// ```
    #[inline]
    pub fn matches(&self, dev: &str) -> bool {
        let n = self.as_bytes();
        if n.is_empty() {
            return true;
        }
        if n[n.len() - 1] == b'+' {
            dev.as_bytes().starts_with(&n[..n.len() - 1])
        } else {
            dev.as_bytes() == n
        }
    }
}

impl fmt::Display for Iface {
    /// The name for people ([`ByteStr`]'s escaped form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&bytestr::Escaped(self.as_bytes()), f)
    }
}

pub use super::opt::strtoui;

/// The byte sink `iptables-save` output is written to: text through
/// [`fmt::Write`] (`write!`), and the bytes of names, comments and
/// prefixes raw through [`SaveBuf::write_bytes`].
///
/// ```
/// use core::fmt::Write;
/// use nfsim::model::ext::SaveBuf;
/// let mut b = SaveBuf::default();
/// write!(b, "-A {}", "INPUT").unwrap();
/// b.write_bytes(b" \xff");
/// assert_eq!(b.into_bytes(), b"-A INPUT \xff");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaveBuf(Vec<u8>);

/// `v`'s decimal digits, written at the end of `d` (20 bytes hold
/// `u64::MAX`): what `{}` prints, without `core::fmt`. Shared by the
/// iptables-save printer ([`SaveBuf::write_dec`]) and the host's LOG lines.
#[inline]
pub(crate) fn dec_digits(mut v: u64, d: &mut [u8; 20]) -> &[u8] {
    let mut i = d.len();
    loop {
        i -= 1;
        d[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &d[i..]
}

impl SaveBuf {
    /// A sink appending to `bytes`.
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::from_bytes(b"-A INPUT".to_vec());
    /// b.write_str(" -j ACCEPT").unwrap();
    /// assert_eq!(b.as_bytes(), b"-A INPUT -j ACCEPT");
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        SaveBuf(bytes)
    }
    /// Writes bytes as they are.
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_bytes(b"\xff");
    /// assert_eq!(b.into_bytes(), b"\xff");
    /// ```
    #[inline]
    pub fn write_bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    /// Writes text (as [`fmt::Write::write_str`], without importing it).
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_str("x").unwrap();
    /// assert_eq!(b.as_bytes(), b"x");
    /// ```
    #[inline]
    pub fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
    /// Writes a character (as [`fmt::Write::write_char`]).
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_char('é').unwrap();
    /// assert_eq!(b.as_bytes(), "é".as_bytes());
    /// ```
    #[inline]
    pub fn write_char(&mut self, c: char) -> fmt::Result {
        self.write_str(c.encode_utf8(&mut [0; 4]))
    }
    /// The target of `write!` (as [`fmt::Write::write_fmt`]).
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// write!(b, " --dport {}", 22).unwrap();
    /// assert_eq!(b.as_bytes(), b" --dport 22");
    /// ```
    #[inline]
    pub fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        fmt::Write::write_fmt(self, args)
    }
    /// Writes `v` in decimal (what `write!(f, "{v}")` writes, without
    /// `core::fmt`).
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_dec(0);
    /// b.write_dec(65535);
    /// b.write_dec(u64::MAX);
    /// assert_eq!(b.as_bytes(), b"06553518446744073709551615");
    /// ```
    #[inline]
    pub fn write_dec(&mut self, mut v: u64) {
        if v < 100_000_000 {
            // At most 8 digits, left-aligned in a fixed-size array.
            let mut n = 1;
            let mut x = v;
            while x >= 10 {
                x /= 10;
                n += 1;
            }
            let mut e = [0u8; 8];
            for k in (0..n).rev() {
                e[k] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            self.write_head(&e, n);
            return;
        }
        let mut d = [0u8; 20];
        self.0.extend_from_slice(dec_digits(v, &mut d));
    }
    /// Writes `b[..n]` (`n` at most `N`): the whole fixed-size array is
    /// appended (a copy of known size, no call to `memcpy`) and the rest
    /// cut off again.
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_head(b"abcdefgh", 3);
    /// b.write_head(b"xy", 2);
    /// assert_eq!(b.as_bytes(), b"abcxy");
    /// ```
    #[inline]
    pub fn write_head<const N: usize>(&mut self, b: &[u8; N], n: usize) {
        let start = self.0.len();
        self.0.extend_from_slice(b);
        self.0.truncate(start + n.min(N));
    }
    /// What was written.
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// assert!(SaveBuf::default().as_bytes().is_empty());
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// What was written.
    ///
    /// ```
    /// use nfsim::model::ext::SaveBuf;
    /// let mut b = SaveBuf::default();
    /// b.write_str("COMMIT\n").unwrap();
    /// assert_eq!(b.into_bytes(), b"COMMIT\n".to_vec());
    /// ```
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Write for SaveBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `xtables_save_string` (libxtables/xtables.c): a word of letters, digits,
/// `_` and `-` is printed bare, anything else in double quotes with `"`,
/// `\\` and `'` escaped; every form starts with a space. Other bytes are
/// written as they are.
///
/// ```
/// use nfsim::model::ext::{save_string, SaveBuf};
/// let mut s = SaveBuf::default();
/// save_string(&mut s, b"a b\xff").unwrap();
/// assert_eq!(s.as_bytes(), b" \"a b\xff\"");
/// ```
pub fn save_string(f: &mut SaveBuf, value: &[u8]) -> fmt::Result {
    // One scan: the classes of all bytes or-ed together (as
    // `xtables_save_string` looks for a byte that is not a word byte, then
    // escapes while copying).
    let mut seen = 0u8;
    for &b in value {
        seen |= SAVE_CLASS[usize::from(b)];
    }
    if seen == 0 && !value.is_empty() {
        f.0.reserve(value.len() + 1);
        f.0.push(b' ');
        f.0.extend_from_slice(value);
        return Ok(());
    }
    f.0.reserve(value.len() + 3);
    f.0.extend_from_slice(b" \"");
    if seen & ESCAPE == 0 {
        f.0.extend_from_slice(value);
    } else {
        // Runs without a byte to escape are copied at once.
        let mut rest = value;
        while let Some(k) = rest.iter().position(|c| matches!(c, b'"' | b'\\' | b'\'')) {
            f.write_bytes(&rest[..k]);
            f.write_bytes(&[b'\\', rest[k]]);
            rest = &rest[k + 1..];
        }
        f.write_bytes(rest);
    }
    f.0.push(b'"');
    Ok(())
}

/// [`save_string`]'s byte classes: 0 for a word byte (letter, digit, `_`,
/// `-`), `QUOTE` for a byte that only needs the quotes, `QUOTE | ESCAPE`
/// for `"`, `\\` and `'`.
const SAVE_CLASS: [u8; 256] = {
    let mut t = [QUOTE; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            t[i] = 0;
        } else if b == b'"' || b == b'\\' || b == b'\'' {
            t[i] = QUOTE | ESCAPE;
        }
        i += 1;
    }
    t
};
const QUOTE: u8 = 1;
const ESCAPE: u8 = 2;
