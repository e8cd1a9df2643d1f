//! The fast path for the common restore line, `-A CHAIN` followed by
//! `-s`/`-d`/`-p`/`-i`/`-o`, `-m NAME` with that extension's options, and
//! `-j TARGET` with its options: words borrowed from the line (no copy),
//! main options by a match on the name, extension options looked up by
//! exact name in the extensions loaded so far (as getopt_long's exact
//! match), and the extensions' own `parse`/`finish`, so the rule is the one
//! the full parser ([`super::command::parse_command_in`]) builds. Before
//! that, [`canonical`] reads the shape iptables-save prints most as a
//! whole line (fixed pieces compared as literals, no option lookup), with
//! the same extension calls, and leaves any other line to the word-by-word
//! path ([`general`]).
//!
//! Anything unusual gives `None` and the caller runs the full parser, which
//! also gives every error (message, line, column): quotes other than one
//! plain `"..."` word, `\`, `--opt=value`, abbreviated or unknown options,
//! the implicit protocol match, `!` where iptables refuses it, options that
//! read further words, several addresses, `-g`, `-c`, a chain that does not
//! exist, a failed final check. Debug builds run the full parser on every
//! line the fast path takes and compare (`restore.rs`), so every test of
//! the restore parser checks the two agree.

use smallvec::SmallVec;

use crate::model::bytestr;
use crate::model::ext::{check_options, AddrMask, Args, ExtCtx, Extension, HasArg, Iface, OptSpec};
use crate::model::matches::comment::Comment;
use crate::model::matches::tcp::Tcp;
use crate::model::matches::udp::Udp;
use crate::model::text::addr::parse_one;
use crate::model::text::parse_protocol;
use crate::model::{ChainName, Family, Match, Rule, TableKind, Target, Verdict};

/// The longest word iptables' fixed buffer holds (`struct xt_param_buf`).
const PARAM_MAX: usize = 1023;

/// A word separator of `add_param_to_argv` (space, tab, newline).
#[inline(always)]
fn sep(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n')
}

/// The words of a line read one at a time, as `add_param_to_argv` splits
/// the plain cases: words separated by space, tab or newline, a word
/// wholly in `"..."` without `\`. Anything else (a quote inside a word, a
/// `\` in quotes, a word longer than iptables' buffer, more than `left`
/// words) ends the words with `bad` set: the line goes to the full parser.
struct Words<'l> {
    line: &'l [u8],
    /// Where the next word's search starts.
    i: usize,
    /// How many more words the line may have.
    left: usize,
    /// Whether a word may be too long or too many: not on a line shorter
    /// than iptables' buffer with room for as many words as it has bytes
    /// by two (a word and its separator), rounded up.
    limits: bool,
    bad: bool,
}

impl<'l> Words<'l> {
    fn new(line: &'l [u8], room: usize) -> Self {
        Words {
            line,
            i: 0,
            left: room,
            limits: line.len() > PARAM_MAX || line.len().div_ceil(2) > room,
            bad: false,
        }
    }

    /// Ends the words as unusual.
    #[cold]
    fn fail(&mut self) -> Option<&'l [u8]> {
        self.bad = true;
        self.i = self.line.len();
        None
    }

    /// The next word; `None` at the end of the line or once `bad`.
    #[inline(always)]
    fn next(&mut self) -> Option<&'l [u8]> {
        let line = self.line;
        let mut i = self.i;
        let c = loop {
            match line.get(i) {
                None => {
                    self.i = i;
                    return None;
                }
                Some(&c) if c > b' ' || !sep(c) => break c,
                Some(_) => i += 1,
            }
        };
        let w;
        if c == b'"' {
            let start = i + 1;
            let Some(len) = quoted_len(&line[start..]) else {
                return self.fail();
            };
            if line[start + len] != b'"' {
                return self.fail();
            }
            w = &line[start..start + len];
            i = start + len + 1;
            if line.get(i).is_some_and(|&b| !sep(b)) {
                return self.fail();
            }
        } else {
            let start = i;
            i += word_len(&line[i..]);
            w = &line[start..i];
            if line.get(i) == Some(&b'"') {
                return self.fail();
            }
        }
        if self.limits {
            if w.len() > PARAM_MAX || self.left == 0 {
                return self.fail();
            }
            self.left -= 1;
        }
        // The word ended at the line's end or at a separator: past it.
        self.i = i + 1;
        Some(w)
    }
}

/// The position of the first `"` or `\\` in `s` (where a quoted word
/// ends), eight bytes at a time as [`word_len`].
#[inline(always)]
fn quoted_len(s: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut off = 0;
    while let Some(c) = s.get(off..off + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let x = u64::from_le_bytes(b);
        let hit = zero(x ^ (LO * u64::from(b'"'))) | zero(x ^ (LO * u64::from(b'\\')));
        if hit != 0 {
            return Some(off + (hit.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    s[off..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| off + p)
}

/// The length of the run of bytes up to the first space, tab, newline or
/// `"`, eight bytes at a time: one "has a byte below `"` + 1" test (its
/// lowest flagged byte is always a real one); the rare other byte below it
/// (`!`, a control byte) sends the rest to a plain scan.
#[inline(always)]
fn word_len(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let ends = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'"');
    let mut off = 0;
    while let Some(c) = s.get(off..off + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let x = u64::from_le_bytes(b);
        let hit = x.wrapping_sub(LO * u64::from(b'"' + 1)) & !x & HI;
        if hit != 0 {
            let k = (hit.trailing_zeros() / 8) as usize;
            if ends(c[k]) {
                return off + k;
            }
            return word_len_slow(s, off + k + 1);
        }
        off += 8;
    }
    word_len_slow(s, off)
}

/// [`word_len`] byte by byte from `off`.
#[inline(never)]
fn word_len_slow(s: &[u8], off: usize) -> usize {
    off + s[off..]
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'"'))
        .unwrap_or(s.len() - off)
}

/// `A.B.C.D[/N]`: each part a decimal number without sign or leading zero
/// (the forms every base of `strtoul` reads the same) up to 255, the prefix
/// length one up to 32 (32 without one), read in one pass over the bytes.
fn ipv4_prefix(s: &[u8]) -> Option<(u32, u32)> {
    let mut v = 0u32;
    // The part being read, its digits so far, the parts before it.
    let (mut p, mut digits, mut parts) = (0u32, 0u32, 0u32);
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        i += 1;
        let d = u32::from(c.wrapping_sub(b'0'));
        if d <= 9 {
            // No digit after a leading zero, at most three.
            if (digits != 0 && p == 0) || digits == 3 {
                return None;
            }
            p = p * 10 + d;
            digits += 1;
            continue;
        }
        if digits == 0 || p > 255 {
            return None;
        }
        v = v << 8 | p;
        (p, digits) = (0, 0);
        parts += 1;
        match c {
            b'.' if parts < 4 => {}
            b'/' if parts == 4 => {
                let bits = match s[i..] {
                    [a] if a.is_ascii_digit() => u32::from(a - b'0'),
                    [a @ b'1'..=b'3', b] if b.is_ascii_digit() => {
                        u32::from(a - b'0') * 10 + u32::from(b - b'0')
                    }
                    _ => return None,
                };
                return (bits <= 32).then_some((v, bits));
            }
            _ => return None,
        }
    }
    if parts != 3 || digits == 0 || p > 255 {
        return None;
    }
    Some((v << 8 | p, 32))
}

/// `-s`/`-d` as the rule keeps it: `ADDR[/MASK]` of one address,
/// dotted-quad IPv4 with a prefix length read here, anything else by
/// `parse_one` (what the full parser calls for each comma-separated item);
/// `None` inside for `0.0.0.0/0` (iptables stores it for an omitted
/// address; the model keeps `None`). `None` for a list, an error or a name.
/// Inline, so the rule's field is written in place; the rest of the forms
/// out of line.
#[inline(always)]
fn address(arg: &[u8], family: Family) -> Option<Option<AddrMask>> {
    if family == Family::Ipv4 {
        if let Some((q, bits)) = ipv4_prefix(arg) {
            if bits == 0 {
                return Some(None);
            }
            let m = u32::MAX << (32 - bits);
            let mut a = AddrMask {
                family: Family::Ipv4,
                addr: [0u8; 16],
                mask: [0u8; 16],
            };
            a.addr[..4].copy_from_slice(&(q & m).to_be_bytes());
            a.mask[..4].copy_from_slice(&m.to_be_bytes());
            return Some(Some(a));
        }
    }
    address_other(arg, family)
}

/// [`address`] for every form but dotted-quad IPv4.
#[inline(never)]
fn address_other(arg: &[u8], family: Family) -> Option<Option<AddrMask>> {
    if arg.contains(&b',') {
        return None;
    }
    let a = parse_one(core::str::from_utf8(arg).ok()?, family).ok()?;
    Some(Some(a).filter(|a| !(a.is_any() && a.addr.iter().all(|b| *b == 0))))
}

/// Options whose parser reads the words after its argument
/// (`Args::next_word`): left to the full parser.
fn reads_more_words(ext: &str, opt: &str) -> bool {
    matches!(
        (ext, opt),
        ("tcp", "tcp-flags") | ("sctp", _) | ("set", _) | ("rateest", _) | ("SET", _)
    )
}

/// Bits of the main options given (for "given twice").
const SRC: u8 = 1;
const DST: u8 = 2;
const PROTO: u8 = 4;
const IN: u8 = 8;
const OUT: u8 = 16;
const JUMP: u8 = 32;
/// `-m` (not counted in `given`: it may come any number of times).
const MATCH: u8 = 64;

/// What the fast path remembers from one line to the next within a table
/// block: the chain of the last line and whether a chain bears a standard
/// verdict's name. The restore loop resets it whenever a line goes to the
/// full parser (which may rename or delete chains, moving their indexes)
/// and at each new table.
#[derive(Default)]
pub(crate) struct Cache {
    /// The last chain's name (`len` bytes; 0: none) and index.
    chain: [u8; 32],
    len: usize,
    index: usize,
    /// Whether a chain is named `ACCEPT`, `DROP`, `RETURN` or `QUEUE`
    /// (restore refuses to create one, but a table given by the caller may
    /// have one), once asked.
    std_chain: Option<bool>,
}

impl Cache {
    /// Forgets what it knows.
    pub(crate) fn reset(&mut self) {
        *self = Cache::default();
    }
    /// The index of chain `name`, as `find` gives it.
    #[inline]
    fn chain(&mut self, name: &[u8], find: &dyn Fn(&[u8]) -> Option<usize>) -> Option<usize> {
        if self.len != 0 && self.chain[..self.len] == *name {
            return Some(self.index);
        }
        let i = find(name)?;
        if name.len() <= self.chain.len() {
            self.chain[..name.len()].copy_from_slice(name);
            self.len = name.len();
            self.index = i;
        }
        Some(i)
    }
    /// Whether `-j NAME` jumps to a chain (`standard`: `NAME` is a
    /// standard verdict's).
    #[inline]
    fn is_chain(
        &mut self,
        name: &[u8],
        standard: bool,
        find: &dyn Fn(&[u8]) -> Option<usize>,
    ) -> bool {
        const STD: [&[u8]; 4] = [b"ACCEPT", b"DROP", b"RETURN", b"QUEUE"];
        if standard {
            let any = *self
                .std_chain
                .get_or_insert_with(|| STD.iter().any(|s| find(s).is_some()));
            if !any {
                return false;
            }
        }
        find(name).is_some()
    }
}

/// The main option a word names, as its bit (`0`: none of them).
#[inline]
fn main_option(w: &[u8]) -> u8 {
    match *w {
        [b'-', c] => match c {
            b's' => SRC,
            b'd' => DST,
            b'p' => PROTO,
            b'i' => IN,
            b'o' => OUT,
            b'm' => MATCH,
            b'j' => JUMP,
            _ => 0,
        },
        [b'-', b'-', ref name @ ..] => match name {
            b"source" | b"src" => SRC,
            b"destination" | b"dst" => DST,
            b"protocol" => PROTO,
            b"in-interface" => IN,
            b"out-interface" => OUT,
            b"match" => MATCH,
            b"jump" => JUMP,
            _ => 0,
        },
        _ => 0,
    }
}

/// The most matches a line the fast path reads may load.
const MAX_MATCHES: usize = 8;

/// Who owns the options of a loaded extension: a match (its index in the
/// rule's matches) or the target.
#[derive(Clone, Copy)]
enum Owner {
    M(usize),
    T,
}

/// `Extension::finish` with libxtables' option checks first, for one
/// extension type (no dispatch over every extension).
#[inline]
fn finish_as<T: Extension>(x: &mut T, seen: u64, ctx: &ExtCtx<'_>) -> Option<()> {
    let specs = T::options(ctx.family);
    let (mand, constrained) = Masks::<T>::MASKS;
    // `check_options` has nothing to check when every mandatory option
    // was given and no given one has an `.also` or `.excl` (the masks are
    // of `T::OPTIONS`, the table unless `options` gives another one).
    if !(core::ptr::eq(specs, T::OPTIONS) && seen & mand == mand && seen & constrained == 0) {
        check_options("", specs, seen).ok()?;
    }
    x.finish(seen, ctx).ok()
}

/// The options of an extension's table that must be given, and those
/// with an `.also` or `.excl`, as bits.
struct Masks<T>(core::marker::PhantomData<T>);

impl<T: Extension> Masks<T> {
    const MASKS: (u64, u64) = {
        let specs = T::OPTIONS;
        let (mut mand, mut constrained) = (0u64, 0u64);
        let mut i = 0;
        while i < specs.len() {
            let s = &specs[i];
            if s.mand {
                mand |= 1 << s.id;
            }
            if s.also | s.excl != 0 {
                constrained |= 1 << s.id;
            }
            i += 1;
        }
        (mand, constrained)
    };
}

/// `-p NAME` as the rule keeps it: the common names directly, the rest by
/// `parse_protocol` (`None` for an upper-case name, which the full parser
/// reads as `getprotobyname` does, and for an error).
#[inline(always)]
fn protocol(arg: &[u8]) -> Option<u8> {
    Some(match arg {
        b"tcp" => 6,
        b"udp" => 17,
        b"icmp" => 1,
        _ => {
            let text = core::str::from_utf8(arg).ok()?;
            if text.bytes().any(|b| b.is_ascii_uppercase()) {
                return None;
            }
            parse_protocol(text).ok()?
        }
    })
}

/// `-j NAME` (not inverted): the standard verdict it names (1 `ACCEPT`, 2
/// `DROP`, 3 `RETURN`, 4 `QUEUE`, 0 none) and the target extension it
/// loads, if any; `None` for a name the full parser refuses.
#[inline(always)]
fn jump(arg: &[u8], ctx: &ExtCtx<'_>) -> Option<(u8, Option<Target>)> {
    let std_jump = match arg {
        b"ACCEPT" => 1,
        b"DROP" => 2,
        b"RETURN" => 3,
        b"QUEUE" => 4,
        _ => 0,
    };
    if std_jump != 0 {
        return Some((std_jump, None));
    }
    if arg.is_empty()
        || arg.len() >= 29
        || arg == b"CONTINUE"
        || arg.iter().any(|c| c.is_ascii_whitespace() || *c == 0x0b)
    {
        return None;
    }
    let t = core::str::from_utf8(arg)
        .ok()
        .and_then(|n| Target::new(n, ctx));
    Some((0, t))
}

/// The rule's verdict once every word is read: `-j` (`jumpto`, its
/// standard verdict `std_jump` and target with its options seen, as
/// [`jump`] gave them) a jump to a chain, a target extension after its
/// final check, or a standard verdict; `Continue` without `-j`.
#[inline(always)]
fn verdict(
    jumpto: Option<&[u8]>,
    std_jump: u8,
    mut target: Option<(Target, u64)>,
    cache: &mut Cache,
    find: &dyn Fn(&[u8]) -> Option<usize>,
    ctx: &ExtCtx<'_>,
) -> Option<Verdict> {
    let jump_is_chain = jumpto.is_some_and(|j| cache.is_chain(j, std_jump != 0, find));
    if let Some((t, seen)) = target.as_mut() {
        if !jump_is_chain {
            t.finish(*seen, ctx).ok()?;
        }
    }
    Some(match jumpto {
        None => Verdict::Continue,
        Some(name) if jump_is_chain => Verdict::Jump(ChainName::new(name).ok()?),
        Some(_) => match (target, std_jump) {
            (Some((t, _)), _) => Verdict::Ext(t),
            (None, 1) => Verdict::Accept,
            (None, 2) => Verdict::Drop,
            (None, 3) => Verdict::Return,
            (None, 4) => Verdict::Queue,
            _ => return None,
        },
    })
}

/// A literal at `*i` (advanced past it when there).
#[inline(always)]
fn eat(line: &[u8], i: &mut usize, lit: &[u8]) -> bool {
    match line.get(*i..*i + lit.len()) {
        Some(s) if s == lit => {
            *i += lit.len();
            true
        }
        _ => false,
    }
}

/// The unquoted word at `*i` when a space or the line's end follows it
/// (`*i` left there); `None` when it is empty or ends at a tab, newline or
/// `"`.
#[inline(always)]
fn spaced_word<'l>(line: &'l [u8], i: &mut usize) -> Option<&'l [u8]> {
    let s = *i;
    let rest = line.get(s..)?;
    let n = word_len(rest);
    if n == 0 || rest.get(n).is_some_and(|&b| b != b' ') {
        return None;
    }
    *i = s + n;
    Some(&rest[..n])
}

/// The word at `*i`, plain or wholly in `"..."` without `\\` (as
/// [`Words::next`] reads it), when a space or the line's end follows it.
#[inline(always)]
fn spaced_arg<'l>(line: &'l [u8], i: &mut usize) -> Option<&'l [u8]> {
    if line.get(*i) != Some(&b'"') {
        return spaced_word(line, i);
    }
    let start = *i + 1;
    let rest = &line[start..];
    let len = quoted_len(rest)?;
    if rest[len] != b'"' || rest.get(len + 1).is_some_and(|&b| b != b' ') {
        return None;
    }
    *i = start + len + 1;
    Some(&rest[..len])
}

/// The ids of `--sport` and `--dport` in the tables of `tcp` and `udp`
/// (held by a test).
const SPORT_ID: u8 = 0;
const DPORT_ID: u8 = 1;

/// The whole-line recogniser for the shape `iptables-save` prints most
/// (kube-proxy's services, Docker's published ports): `-A CHAIN [-s ADDR]
/// [-d ADDR] [-p PROTO] [-m comment --comment TEXT] [-m tcp|udp [--sport
/// P] [--dport P]] [-m comment --comment TEXT] -j NAME`, words separated by
/// one space, no `!`, a `-j` without options last. It reads the words in
/// that order without looking up options, and builds the rule [`append`]
/// builds from the same line, with the same extension calls (`new_as`,
/// `parse_plain`, `finish`) and helpers ([`address`], [`protocol`],
/// [`jump`], [`verdict`]). Anything else, a line within the word limits
/// of [`Words`] only, gives `None` with `rule` as it was but for its
/// matches (the caller clears them) and [`append`] reads the line.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn canonical<'l>(
    line: &'l [u8],
    family: Family,
    table: TableKind,
    find: &dyn Fn(&[u8]) -> Option<usize>,
    ipset: &crate::ipset::Ipsets,
    cache: &mut Cache,
    rule: &mut Rule,
) -> Option<(&'l [u8], usize)> {
    let mut i = 0;
    if !eat(line, &mut i, b"-A ") {
        return None;
    }
    let chain = spaced_word(line, &mut i)?;
    let ci = cache.chain(chain, find)?;
    let mut ctx = ExtCtx {
        family,
        table,
        chain,
        proto: 0,
        proto_inv: false,
        ipset,
    };
    let src = if eat(line, &mut i, b" -s ") {
        Some(spaced_word(line, &mut i)?)
    } else {
        None
    };
    let dst = if eat(line, &mut i, b" -d ") {
        Some(spaced_word(line, &mut i)?)
    } else {
        None
    };
    let proto_given = eat(line, &mut i, b" -p ");
    if proto_given {
        ctx.proto = protocol(spaced_word(line, &mut i)?)?;
    }
    // The matches: a comment, tcp or udp, a comment (each at most once).
    let (mut comment, mut ports) = (false, false);
    while eat(line, &mut i, b" -m ") {
        if !comment && eat(line, &mut i, b"comment --comment ") {
            comment = true;
            let mut c = Comment::new_as("comment", &ctx);
            if !c.parse_plain(Some(spaced_arg(line, &mut i)?)) {
                return None;
            }
            finish_as(&mut c, 1 << 0, &ctx)?;
            rule.matches.push(Match::Comment(c));
            continue;
        }
        if ports {
            return None;
        }
        ports = true;
        let tcp = if eat(line, &mut i, b"tcp") {
            true
        } else if eat(line, &mut i, b"udp") {
            false
        } else {
            return None;
        };
        let (mut sport, mut dport) = (None, None);
        if eat(line, &mut i, b" --sport ") {
            sport = Some(spaced_word(line, &mut i)?);
        }
        if eat(line, &mut i, b" --dport ") {
            dport = Some(spaced_word(line, &mut i)?);
        }
        let seen = u64::from(sport.is_some()) << SPORT_ID | u64::from(dport.is_some()) << DPORT_ID;
        let m = if tcp {
            let mut t = Tcp::new_as("tcp", &ctx);
            if (sport.is_some() && !t.parse_plain(SPORT_ID, false, sport))
                || (dport.is_some() && !t.parse_plain(DPORT_ID, false, dport))
            {
                return None;
            }
            finish_as(&mut t, seen, &ctx)?;
            Match::Tcp(t)
        } else {
            let mut u = Udp::new_as("udp", &ctx);
            if (sport.is_some() && !u.parse_plain(SPORT_ID, false, sport))
                || (dport.is_some() && !u.parse_plain(DPORT_ID, false, dport))
            {
                return None;
            }
            finish_as(&mut u, seen, &ctx)?;
            Match::Udp(u)
        };
        rule.matches.push(m);
    }
    if !eat(line, &mut i, b" -j ") {
        return None;
    }
    // The line's rest: a standard verdict's name is a plain word as it
    // stands (no scan for its end).
    let name = &line[i..];
    let (std_jump, t) = match name {
        b"ACCEPT" => (1, None),
        b"DROP" => (2, None),
        b"RETURN" => (3, None),
        b"QUEUE" => (4, None),
        _ => {
            if spaced_word(line, &mut i)?.len() != name.len() {
                return None;
            }
            jump(name, &ctx)?
        }
    };
    if table == TableKind::Nat && std_jump == 2 {
        return None;
    }
    let v = verdict(Some(name), std_jump, t.map(|t| (t, 0)), cache, find, &ctx)?;
    let src = match src {
        Some(a) => address(a, family)?,
        None => None,
    };
    let dst = match dst {
        Some(a) => address(a, family)?,
        None => None,
    };
    rule.src = src;
    rule.dst = dst;
    rule.proto = ctx.proto;
    rule.proto_given = proto_given && family == Family::Ipv6;
    rule.verdict = v;
    Some((chain, ci))
}

/// Parses `line` (one restore line without its newline and counters) when
/// it is a plain `-A CHAIN RULE` whose chain exists, into `rule` (the
/// caller's, `Rule::default()` on entry: built in place, not moved out),
/// giving the chain's name and its index (`find` gives a chain's); `None`
/// when the full parser must read it (`rule` is then left half-built).
#[allow(clippy::too_many_arguments)]
pub(crate) fn append<'l>(
    line: &'l [u8],
    family: Family,
    table: TableKind,
    find: &dyn Fn(&[u8]) -> Option<usize>,
    ipset: &crate::ipset::Ipsets,
    room: usize,
    cache: &mut Cache,
    rule: &mut Rule,
) -> Option<(&'l [u8], usize)> {
    let words = Words::new(line, room);
    if !words.limits {
        if let Some(r) = canonical(line, family, table, find, ipset, cache, rule) {
            return Some(r);
        }
        if !rule.matches.is_empty() {
            rule.matches.clear();
        }
    }
    general(words, family, table, find, ipset, cache, rule)
}

/// [`append`] without [`canonical`]: the line word by word, each option
/// looked up by name.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn general<'l>(
    mut words: Words<'l>,
    family: Family,
    table: TableKind,
    find: &dyn Fn(&[u8]) -> Option<usize>,
    ipset: &crate::ipset::Ipsets,
    cache: &mut Cache,
    rule: &mut Rule,
) -> Option<(&'l [u8], usize)> {
    if words.next()? != b"-A" {
        return None;
    }
    let chain = words.next()?;
    let ci = cache.chain(chain, find)?;
    // The extensions' view of the rule so far (`Parser::ctx`).
    let mut ctx = ExtCtx {
        family,
        table,
        chain,
        proto: 0,
        proto_inv: false,
        ipset,
    };
    // The loaded matches, in order, reserved for every `-m` word (exact
    // unless an argument reads `-m`), with the options seen of each.
    // (A fixed array: a line with more matches goes to the full parser.)
    let mut seen_of = [0u64; MAX_MATCHES];
    let mut target: Option<(Target, u64)> = None;
    // The extensions in the order their options were merged, with their
    // options (a second instance of a match is not merged again: its
    // entry moves to the new instance, which takes the options).
    let mut merged: SmallVec<[(Owner, &'static str, &'static [OptSpec]); 6]> = SmallVec::new();
    let mut jumpto: Option<&[u8]> = None;
    // The standard verdict `-j` names, once read: 1 `ACCEPT`, 2 `DROP`,
    // 3 `RETURN`, 4 `QUEUE`, 0 none.
    let mut std_jump = 0u8;
    let (mut src, mut dst): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut given = 0u8;
    let mut invert = false;
    while let Some(w) = words.next() {
        if w == b"!" {
            if invert {
                return None;
            }
            invert = true;
            continue;
        }
        let main = main_option(w);
        if main != 0 {
            let arg = words.next()?;
            if given & main != 0 {
                return None;
            }
            given |= main & !MATCH;
            match main {
                SRC => {
                    src = Some(arg);
                    rule.src_inv = invert;
                }
                DST => {
                    dst = Some(arg);
                    rule.dst_inv = invert;
                }
                PROTO => {
                    let p = protocol(arg)?;
                    if p == 0 && invert {
                        return None;
                    }
                    rule.proto = p;
                    rule.proto_inv = invert;
                    rule.proto_given = family == Family::Ipv6;
                    ctx.proto = p;
                    ctx.proto_inv = invert;
                }
                IN | OUT => {
                    let iface = Iface::new(arg).ok()?;
                    let refused: &[&[u8]] = if main == IN {
                        &[b"POSTROUTING", b"OUTPUT"]
                    } else {
                        &[b"PREROUTING", b"INPUT"]
                    };
                    if refused.contains(&chain) {
                        return None;
                    }
                    if main == IN {
                        rule.in_iface = Some(iface);
                        rule.in_inv = invert;
                    } else {
                        rule.out_iface = Some(iface);
                        rule.out_inv = invert;
                    }
                }
                MATCH => {
                    if invert {
                        return None;
                    }
                    // The common names without a UTF-8 check or the lookup
                    // through every extension's name; every other one
                    // renamed as `xtables_find_match` does.
                    let (m, name, specs) = match arg {
                        b"comment" => (
                            Match::Comment(Comment::new_as("comment", &ctx)),
                            "comment",
                            Comment::options(family),
                        ),
                        b"tcp" => (
                            Match::Tcp(Tcp::new_as("tcp", &ctx)),
                            "tcp",
                            Tcp::options(family),
                        ),
                        b"udp" => (
                            Match::Udp(Udp::new_as("udp", &ctx)),
                            "udp",
                            Udp::options(family),
                        ),
                        _ => {
                            let name = match arg {
                                b"conntrack" => "conntrack",
                                b"state" => "state",
                                b"mark" => "mark",
                                b"multiport" => "multiport",
                                _ => super::command::canonical_match_name(
                                    core::str::from_utf8(arg).ok()?,
                                ),
                            };
                            if name.len() >= 29 {
                                return None;
                            }
                            let m = Match::new(name, &ctx)?;
                            let (name, specs) = (m.name(), m.options(family));
                            (m, name, specs)
                        }
                    };
                    let k = rule.matches.len();
                    if k == MAX_MATCHES {
                        return None;
                    }
                    match merged
                        .iter_mut()
                        .find(|(_, n, _)| same(n.as_bytes(), name.as_bytes()))
                    {
                        Some((o, _, _)) => *o = Owner::M(k),
                        None => merged.push((Owner::M(k), name, specs)),
                    }
                    rule.matches.push(m);
                }
                _ => {
                    // -j
                    if invert {
                        return None;
                    }
                    let t;
                    (std_jump, t) = jump(arg, &ctx)?;
                    if let Some(t) = t {
                        merged.push((Owner::T, "", t.options(family)));
                        target = Some((t, 0));
                    }
                    jumpto = Some(arg);
                }
            }
            invert = false;
            continue;
        }
        // An extension's option, by its exact name (`--opt=value` is
        // none: no option's name has a `=`, so it goes to the full parser).
        let name = w.strip_prefix(b"--").filter(|n| !n.is_empty())?;
        let (owner, spec) = merged.iter().rev().find_map(|(o, _, specs)| {
            specs
                .iter()
                .find(|s| same(s.name.as_bytes(), name))
                .map(|s| (*o, *s))
        })?;
        let optarg = match spec.arg {
            HasArg::Required => Some(words.next()?),
            HasArg::No | HasArg::Optional => None,
        };
        let bit = 1u64 << spec.id;
        let (mut ext, seen) = match owner {
            Owner::M(k) => (Ext::M(&mut rule.matches[k]), &mut seen_of[k]),
            Owner::T => {
                let (t, seen) = target.as_mut()?;
                (Ext::T(t), seen)
            }
        };
        if (!spec.multi && *seen & bit != 0) || (invert && !spec.invert) {
            return None;
        }
        // The common options of the common extensions directly; the rest
        // through the extension's `parse`.
        let done = match &mut ext {
            Ext::M(Match::Tcp(t)) => t.parse_plain(spec.id, invert, optarg),
            Ext::M(Match::Udp(u)) => u.parse_plain(spec.id, invert, optarg),
            Ext::M(Match::Comment(c)) => c.parse_plain(optarg),
            _ => false,
        };
        if !done {
            let ext_name = match &ext {
                Ext::M(m) => m.name(),
                Ext::T(t) => t.name(),
            };
            if super::command::is_main_long_option(name) || reads_more_words(ext_name, spec.name) {
                return None;
            }
            // The text view `bytestr::text` gives, without its lossy scan
            // for the usual UTF-8 argument.
            let text = optarg.map(|a| match core::str::from_utf8(a) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => bytestr::text(a),
            });
            let mut args = Args::new(&spec, invert, &ctx, text.as_deref(), optarg, &[]);
            match ext {
                Ext::M(m) => m.parse(&mut args).ok()?,
                Ext::T(t) => t.parse(&mut args).ok()?,
            }
        }
        *seen |= bit;
        invert = false;
    }
    if words.bad || invert || (table == TableKind::Nat && std_jump == 2) {
        return None;
    }
    for (m, seen) in rule.matches.iter_mut().zip(&seen_of) {
        match m {
            Match::Tcp(x) => finish_as(x, *seen, &ctx)?,
            Match::Udp(x) => finish_as(x, *seen, &ctx)?,
            Match::Comment(x) => finish_as(x, *seen, &ctx)?,
            _ => m.finish(*seen, &ctx).ok()?,
        }
    }
    rule.verdict = verdict(jumpto, std_jump, target, cache, find, &ctx)?;
    if let Some(a) = src {
        rule.src = address(a, family)?;
    }
    if let Some(a) = dst {
        rule.dst = address(a, family)?;
    }
    Some((chain, ci))
}

/// `a == b` for the short names of extensions and options: by length and
/// first byte, then byte by byte inline (no `memcmp` call).
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The extension an option goes to.
enum Ext<'a> {
    M(&'a mut Match),
    T(&'a mut Target),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words `Words` reads, or `None` when it gives up.
    fn split(line: &[u8], room: usize) -> Option<Vec<&[u8]>> {
        let mut words = Words::new(line, room);
        let mut out = Vec::new();
        while let Some(w) = words.next() {
            out.push(w);
        }
        (!words.bad).then_some(out)
    }

    /// `split` word by word, the plain way.
    fn split_ref(line: &[u8], room: usize) -> Option<Vec<&[u8]>> {
        let mut out = Vec::new();
        let n = line.len();
        let mut i = 0;
        while i < n {
            if sep(line[i]) {
                i += 1;
                continue;
            }
            let w;
            if line[i] == b'"' {
                let len = line[i + 1..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\')?;
                if line[i + 1 + len] != b'"' {
                    return None;
                }
                w = &line[i + 1..i + 1 + len];
                i += len + 2;
                if i < n && !sep(line[i]) {
                    return None;
                }
            } else {
                let len = line[i..]
                    .iter()
                    .position(|&b| sep(b) || b == b'"')
                    .unwrap_or(n - i);
                w = &line[i..i + len];
                i += len;
                if i < n && line[i] == b'"' {
                    return None;
                }
            }
            if w.len() > PARAM_MAX || out.len() >= room {
                return None;
            }
            out.push(w);
        }
        Some(out)
    }

    #[test]
    fn split_is_the_plain_split() {
        // Random lines over the bytes that matter, of every length up to
        // a few words of eight bytes, against the byte-by-byte reading.
        let alphabet = b"ab-m! \t\n\r\"\\\x00\x80\xa2\xff";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..40_000 {
            let len = (next() % 120) as usize;
            // Every other line with few separators: long words.
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if round % 2 == 1 && r % 8 != 0 {
                        b'x'
                    } else {
                        alphabet[(r % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            assert_eq!(split(&line, 64), split_ref(&line, 64), "{line:?}");
        }
        let long = [b'a'; PARAM_MAX + 1];
        assert_eq!(split(&long, 64), None);
        assert_eq!(split(&long[1..], 64).unwrap(), [&long[1..]]);
    }

    #[test]
    fn no_option_name_has_an_equals_sign() {
        // `append` relies on it to leave `--opt=value` to the full parser.
        let ctx = ExtCtx {
            family: Family::Ipv4,
            table: TableKind::Filter,
            chain: b"INPUT",
            proto: 6,
            proto_inv: false,
            ipset: &crate::ipset::Ipsets::default(),
        };
        for family in [Family::Ipv4, Family::Ipv6] {
            let ctx = ExtCtx {
                family,
                ..ctx.clone()
            };
            for (name, _) in Match::NAMES {
                if let Some(m) = Match::new(name, &ctx) {
                    assert!(
                        m.options(family).iter().all(|s| !s.name.contains('=')),
                        "{name}"
                    );
                }
            }
            for (name, _) in Target::NAMES {
                if let Some(t) = Target::new(name, &ctx) {
                    assert!(
                        t.options(family).iter().all(|s| !s.name.contains('=')),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn port_ids_are_the_tables() {
        // `canonical` gives `--sport`/`--dport` these ids without a lookup.
        for family in [Family::Ipv4, Family::Ipv6] {
            for specs in [Tcp::options(family), Udp::options(family)] {
                let id = |name: &str| specs.iter().find(|s| s.name == name).map(|s| s.id);
                assert_eq!(id("sport"), Some(SPORT_ID));
                assert_eq!(id("dport"), Some(DPORT_ID));
            }
        }
        let c = Comment::options(Family::Ipv4);
        assert_eq!((c.len(), c[0].name, c[0].id), (1, "comment", 0));
    }

    /// What `canonical` makes of `line` in a filter table with chains
    /// `INPUT` and `X`, or `None`.
    fn recognised(line: &str, family: Family) -> Option<Rule> {
        let find = |n: &[u8]| match n {
            b"INPUT" => Some(0),
            b"X" => Some(1),
            _ => None,
        };
        let ipset = crate::ipset::Ipsets::default();
        let mut rule = Rule::default();
        let mut cache = Cache::default();
        canonical(
            line.as_bytes(),
            family,
            TableKind::Filter,
            &find,
            &ipset,
            &mut cache,
            &mut rule,
        )
        .map(|_| rule)
    }

    #[test]
    fn canonical_takes_the_plain_shapes_only() {
        let v4 = Family::Ipv4;
        for line in [
            "-A INPUT -j ACCEPT",
            "-A INPUT -s 10.0.0.1/32 -d 10.0.0.0/8 -p tcp -m comment --comment \"a b\" -m tcp --dport 80 -j X",
            "-A INPUT -p udp -m udp --sport 1:2 --dport 53 -m comment --comment x -j DROP",
            "-A X -d 0.0.0.0/0 -p tcp -m tcp -j RETURN",
            "-A X -p 6 -m comment --comment \"\" -j ACCEPT",
        ] {
            assert!(recognised(line, v4).is_some(), "{line}");
        }
        for line in [
            "-A INPUT  -j ACCEPT",
            "-A INPUT -j ACCEPT ",
            "-A INPUT -j ACCEPT\t",
            "-A NOPE -j ACCEPT",
            "-A INPUT ! -s 1.2.3.4 -j ACCEPT",
            "-A INPUT -d 1.2.3.4,5.6.7.8 -j ACCEPT",
            "-A INPUT -p tcp --dport 80 -j ACCEPT",
            "-A INPUT -p tcp -m tcp --dport 80 --dport 81 -j ACCEPT",
            "-A INPUT -p tcp -m tcp -m tcp -j ACCEPT",
            "-A INPUT -p tcp -m tcp ! --dport 80 -j ACCEPT",
            "-A INPUT -p tcp -m tcp --dport http -j ACCEPT",
            "-A INPUT -m comment --comment a -m comment --comment b -j ACCEPT",
            "-A INPUT -m comment --comment \"a\\b\" -j ACCEPT",
            "-A INPUT -m comment --comment \"a\"b -j ACCEPT",
            "-A INPUT -m comment --comment a\"b\" -j ACCEPT",
            "-A INPUT -m comment -j ACCEPT",
            "-A INPUT -j",
            "-A INPUT -j ACCEPT -m tcp",
            "-A INPUT -j CONTINUE",
            "-A INPUT -j DNAT",
        ] {
            assert!(recognised(line, v4).is_none(), "{line}");
        }
        let r = recognised("-A X -p tcp -j ACCEPT", Family::Ipv6).unwrap();
        assert!(r.proto_given);
        assert!(
            !recognised("-A X -j ACCEPT", Family::Ipv6)
                .unwrap()
                .proto_given
        );
    }

    #[test]
    fn canonical_builds_the_rule_general_builds() {
        // Lines put together from pieces of the shape and near misses:
        // whenever `canonical` takes one, the word-by-word path takes it
        // too, with the same rule and chain.
        const PIECES: [&str; 40] = [
            " -s 10.0.0.1/32",
            " -s 1.2.3.4,5.6.7.8",
            " -s 10.1.2.3/8",
            " -d 0.0.0.0/0",
            " -d ::1",
            " -d 2001:db8::/32",
            " -d 010.1.2.3",
            " -p tcp",
            " -p udp",
            " -p 0",
            " -p TCP",
            " -p icmp",
            " -p 6",
            " -m comment --comment \"a b\"",
            " -m comment --comment x",
            " -m comment --comment \"\"",
            " -m comment --comment \"a\\\"",
            " -m comment",
            " -m tcp",
            " -m udp",
            " -m mark",
            " --sport 1",
            " --dport 2:3",
            " --dport 0",
            " --dport http",
            " --dport 65536",
            " ! --dport 5",
            " --source-port 7",
            " -j ACCEPT",
            " -j DROP",
            " -j X",
            " -j INPUT",
            " -j DNAT",
            " -j MASQUERADE",
            " -j CONTINUE",
            "  ",
            "\t",
            " !",
            " -i eth0",
            "\"",
        ];
        const CHAINS: [&str; 5] = ["INPUT", "X", "NOPE", "-s", "X\""];
        let find = |n: &[u8]| match n {
            b"INPUT" => Some(0),
            b"X" => Some(1),
            _ => None,
        };
        let ipset = crate::ipset::Ipsets::default();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut taken = 0;
        for _ in 0..200_000 {
            let mut line = format!("-A {}", CHAINS[(next() % 8).saturating_sub(3) as usize]);
            if next() % 2 == 0 {
                for _ in 0..next() % 8 {
                    line.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                }
            } else {
                // The shape's order, a piece of each group or none, now
                // and then any piece.
                for (lo, hi) in [
                    (0, 3),
                    (3, 7),
                    (7, 13),
                    (13, 18),
                    (18, 21),
                    (21, 28),
                    (21, 28),
                    (13, 18),
                    (28, 35),
                ] {
                    let r = next();
                    if lo == 28 {
                        line.push_str(PIECES[lo + (r % 7) as usize]);
                        continue;
                    }
                    match r % 32 {
                        0 => line.push_str(PIECES[(r / 32 % PIECES.len() as u64) as usize]),
                        1..=12 => {}
                        _ => line.push_str(PIECES[lo + (r / 32 % (hi - lo) as u64) as usize]),
                    }
                }
            }
            let family = if next() % 4 == 0 {
                Family::Ipv6
            } else {
                Family::Ipv4
            };
            let table = if next() % 4 == 0 {
                TableKind::Nat
            } else {
                TableKind::Filter
            };
            let mut fast = Rule::default();
            let got = canonical(
                line.as_bytes(),
                family,
                table,
                &find,
                &ipset,
                &mut Cache::default(),
                &mut fast,
            );
            let Some(got) = got else { continue };
            taken += 1;
            let mut slow = Rule::default();
            let want = general(
                Words::new(line.as_bytes(), 250),
                family,
                table,
                &find,
                &ipset,
                &mut Cache::default(),
                &mut slow,
            );
            assert_eq!(Some(got), want, "{line}");
            assert!(fast == slow, "{line}: {fast:?} against {slow:?}");
        }
        assert!(taken > 2_000, "{taken}");
    }

    #[test]
    fn split_plain_and_quoted() {
        let w = split(b"-A X -m comment --comment \"a b\" -j ACCEPT", 64).unwrap();
        assert_eq!(w.len(), 8);
        assert_eq!(w[5], b"a b");
        assert!(split(b"--comment \"a\\\"b\"", 64).is_none());
        assert!(split(b"--comment \"ab\"c", 64).is_none());
        assert!(split(b"--comment a\"b\"", 64).is_none());
        assert!(split(b"a b c", 2).is_none());
        assert_eq!(split(b"\"\" x", 4).unwrap()[0], b"");
    }

    #[test]
    fn addresses() {
        // What the full parser keeps: `parse_one`, `0.0.0.0/0` as none.
        let want = |t: &str| {
            parse_one(t, Family::Ipv4)
                .ok()
                .map(|a| Some(a).filter(|a| !(a.is_any() && a.addr.iter().all(|b| *b == 0))))
        };
        for t in [
            "10.1.2.3/32",
            "10.1.2.3/8",
            "010.1.2.3",
            "0.0.0.0/0",
            "0.0.0.0",
            "1.2.3.4/0",
            "255.255.255.255/31",
            "1.2.3.4/33",
            "1.2.3.4/08",
            "1.2.3.4/",
            "1.2.3.04",
            "1.2.3.0",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4/255.255.0.0",
            "1.2.3.4/1",
            "1.2.3.4/9",
            "1.2.3.4/10",
            "1.2.3.4/29",
            "1.2.3.4/40",
            "1.2.3.4x",
            "1.2.3.4//8",
            "01.2.3.4",
            "1.2.3.256",
            "1.2.3.255",
            "999.1.1.1",
            "10.200.30.4/16",
            "1.2.3.4/32",
            "1.2.3.4/3",
            "1.2.3.4/300",
            "1.2.3.4/-1",
            "1.2.3.4 ",
            "1.2.3.4.",
            "1.2.3.0/0",
            "00.1.2.3",
            "1.00.2.3",
            "1.2.3.00",
            "1.2.3.1000",
            "1000.2.3.4",
            "199.249.250.251",
            "1.2.3.4/24/",
            "1.2.3",
            "1.2.3.4/032",
            "+1.2.3.4",
            "",
            "/8",
        ] {
            assert_eq!(address(t.as_bytes(), Family::Ipv4), want(t), "{t}");
        }
        let line = b"-A X -d 1.2.3.4/24 -m comment --comment \"a b\" -j ACCEPT\tx\ny";
        for i in 0..line.len() {
            let want = line[i..]
                .iter()
                .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'"'))
                .unwrap_or(line.len() - i);
            assert_eq!(word_len(&line[i..]), want);
        }
        assert!(address(b"1.2.3.4,5.6.7.8", Family::Ipv4).is_none());
    }
}
