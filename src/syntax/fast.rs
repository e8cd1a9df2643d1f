//! The fast path for the common restore line, `-A CHAIN` followed by
//! `-s`/`-d`/`-p`/`-i`/`-o`, `-m NAME` with that extension's options, and
//! `-j TARGET` with its options: words borrowed from the line (no copy),
//! main options by a match on the name, extension options looked up by
//! exact name in the extensions loaded so far (as getopt_long's exact
//! match), and the extensions' own `parse`/`finish`, so the rule is the one
//! the full parser ([`super::command::parse_command_in`]) builds.
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
use crate::model::ext::{AddrMask, Args, ExtCtx, HasArg, Iface, OptSpec};
use crate::model::text::addr::parse_one;
use crate::model::text::parse_protocol;
use crate::model::{ChainName, Family, Match, Rule, TableKind, Target, Verdict};

/// The longest word iptables' fixed buffer holds (`struct xt_param_buf`).
const PARAM_MAX: usize = 1023;

/// Splits a line as `add_param_to_argv` does for the plain cases: words
/// separated by space, tab or newline, a word wholly in `"..."` without
/// `\`. `None` for anything else, for more than `room` words or a word
/// longer than iptables' buffer.
fn split(line: &[u8], room: usize) -> Option<SmallVec<[&[u8]; 24]>> {
    let sep = |b: u8| matches!(b, b' ' | b'\t' | b'\n');
    let mut out = SmallVec::new();
    let n = line.len();
    let mut i = 0;
    while i < n {
        let c = line[i];
        if sep(c) {
            i += 1;
            continue;
        }
        let w;
        if c == b'"' {
            let start = i + 1;
            let len = line[start..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')?;
            if line[start + len] != b'"' {
                return None;
            }
            w = &line[start..start + len];
            i = start + len + 1;
            if i < n && !sep(line[i]) {
                return None;
            }
        } else {
            let len = word_len(&line[i..]);
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

/// The length of the run of bytes up to the first space, tab, newline or
/// `"`, eight bytes at a time (the "has a zero byte" test on the word XOR
/// each of the four: its lowest flagged byte is always a real one).
fn word_len(s: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = s.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let x = u64::from_le_bytes(b);
        let hit = zero(x ^ (LO * u64::from(b' ')))
            | zero(x ^ (LO * u64::from(b'\t')))
            | zero(x ^ (LO * u64::from(b'\n')))
            | zero(x ^ (LO * u64::from(b'"')));
        if hit != 0 {
            return off + (hit.trailing_zeros() / 8) as usize;
        }
        off += 8;
    }
    off + chunks
        .remainder()
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'"'))
        .unwrap_or(chunks.remainder().len())
}

/// A decimal number without sign or leading zero (the forms every base of
/// `strtoul` reads the same), at most `max`.
fn plain_decimal(s: &[u8], max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 3 || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    (v <= max).then_some(v)
}

/// `A.B.C.D`, each part a [`plain_decimal`] up to 255.
fn dotted_quad(s: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    let mut parts = 0;
    let mut start = 0;
    for i in 0..=s.len() {
        if i == s.len() || s[i] == b'.' {
            let p = plain_decimal(&s[start..i], 255)?;
            v = v << 8 | p;
            parts += 1;
            start = i + 1;
        }
    }
    (parts == 4).then_some(v)
}

/// `ADDR[/MASK]` of one address: dotted-quad IPv4 with a prefix length read
/// here, anything else by `parse_one` (what the full parser calls for each
/// comma-separated item). `None` for a list, an error or a name.
fn address(arg: &[u8], family: Family) -> Option<AddrMask> {
    if arg.contains(&b',') {
        return None;
    }
    if family == Family::Ipv4 {
        let (host, bits) = match arg.iter().position(|&b| b == b'/') {
            Some(p) => (&arg[..p], plain_decimal(&arg[p + 1..], 32)),
            None => (arg, Some(32)),
        };
        if let (Some(q), Some(bits)) = (dotted_quad(host), bits) {
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            let mut a = [0u8; 16];
            let mut mask = [0u8; 16];
            a[..4].copy_from_slice(&(q & m).to_be_bytes());
            mask[..4].copy_from_slice(&m.to_be_bytes());
            return Some(AddrMask {
                family: Family::Ipv4,
                addr: a,
                mask,
            });
        }
    }
    parse_one(core::str::from_utf8(arg).ok()?, family).ok()
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

/// Parses `line` (one restore line without its newline and counters) when
/// it is a plain `-A CHAIN RULE` whose chain exists, into the chain's name,
/// its index (`find` gives a chain's) and the rule; `None` when the full
/// parser must read it.
pub(crate) fn append<'l>(
    line: &'l [u8],
    family: Family,
    table: TableKind,
    find: &dyn Fn(&[u8]) -> Option<usize>,
    ipset: &crate::ipset::Ipsets,
    room: usize,
) -> Option<(&'l [u8], usize, Rule)> {
    let words = split(line, room)?;
    if words.len() < 2 || words[0] != b"-A" {
        return None;
    }
    let ci = find(words[1])?;
    let chain = words[1];
    let mut rule = Rule::default();
    // The extensions' view of the rule so far (`Parser::ctx`).
    let ext_ctx = move |rule: &Rule| ExtCtx {
        family,
        table,
        chain,
        proto: rule.proto,
        proto_inv: rule.proto_inv,
        ipset,
    };
    // The loaded matches with the options seen, in order.
    let mut matches: SmallVec<[(Match, u64); 4]> = SmallVec::new();
    let mut target: Option<(Target, u64)> = None;
    // Extensions in the order their options were merged (a second
    // instance of a match is not merged again): `Some(name)` a match,
    // `None` the target.
    let mut merged: SmallVec<[Option<&'static str>; 6]> = SmallVec::new();
    let mut jumpto: Option<&[u8]> = None;
    let (mut src, mut dst): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut given = 0u8;
    let mut invert = false;
    let mut i = 2;
    while i < words.len() {
        let w = words[i];
        i += 1;
        if w == b"!" {
            if invert {
                return None;
            }
            invert = true;
            continue;
        }
        let main = match w {
            b"-s" | b"--source" | b"--src" => b's',
            b"-d" | b"--destination" | b"--dst" => b'd',
            b"-p" | b"--protocol" => b'p',
            b"-i" | b"--in-interface" => b'i',
            b"-o" | b"--out-interface" => b'o',
            b"-m" | b"--match" => b'm',
            b"-j" | b"--jump" => b'j',
            _ => 0,
        };
        if main != 0 {
            let arg = *words.get(i)?;
            i += 1;
            let bit = match main {
                b's' => SRC,
                b'd' => DST,
                b'p' => PROTO,
                b'i' => IN,
                b'o' => OUT,
                b'j' => JUMP,
                _ => 0,
            };
            if given & bit != 0 {
                return None;
            }
            given |= bit;
            match main {
                b's' => {
                    src = Some(arg);
                    rule.src_inv = invert;
                }
                b'd' => {
                    dst = Some(arg);
                    rule.dst_inv = invert;
                }
                b'p' => {
                    let p = match arg {
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
                    };
                    if p == 0 && invert {
                        return None;
                    }
                    rule.proto = p;
                    rule.proto_inv = invert;
                    rule.proto_given = family == Family::Ipv6;
                }
                b'i' | b'o' => {
                    let iface = Iface::new(arg).ok()?;
                    let refused: &[&[u8]] = if main == b'i' {
                        &[b"POSTROUTING", b"OUTPUT"]
                    } else {
                        &[b"PREROUTING", b"INPUT"]
                    };
                    if refused.contains(&chain) {
                        return None;
                    }
                    if main == b'i' {
                        rule.in_iface = Some(iface);
                        rule.in_inv = invert;
                    } else {
                        rule.out_iface = Some(iface);
                        rule.out_inv = invert;
                    }
                }
                b'm' => {
                    if invert {
                        return None;
                    }
                    // The common names without a UTF-8 check; every other
                    // one renamed as `xtables_find_match` does.
                    let name = match arg {
                        b"comment" => "comment",
                        b"tcp" => "tcp",
                        b"udp" => "udp",
                        b"conntrack" => "conntrack",
                        b"state" => "state",
                        b"mark" => "mark",
                        b"multiport" => "multiport",
                        _ => super::command::canonical_match_name(core::str::from_utf8(arg).ok()?),
                    };
                    if name.len() >= 29 {
                        return None;
                    }
                    let ctx = ext_ctx(&rule);
                    let m = Match::new(name, &ctx)?;
                    if !matches.iter().any(|(x, _)| x.name() == m.name()) {
                        merged.push(Some(m.name()));
                    }
                    matches.push((m, 0));
                }
                _ => {
                    // -j
                    if invert
                        || arg.is_empty()
                        || arg.len() >= 29
                        || arg == b"CONTINUE"
                        || arg.iter().any(|c| c.is_ascii_whitespace() || *c == 0x0b)
                    {
                        return None;
                    }
                    let ctx = ext_ctx(&rule);
                    let standard = matches!(arg, b"ACCEPT" | b"DROP" | b"RETURN" | b"QUEUE");
                    if let Some(t) = core::str::from_utf8(arg)
                        .ok()
                        .filter(|_| !standard)
                        .and_then(|n| Target::new(n, &ctx))
                    {
                        target = Some((t, 0));
                        merged.push(None);
                    }
                    jumpto = Some(arg);
                }
            }
            invert = false;
            continue;
        }
        // An extension's option, by its exact name.
        let name = w.strip_prefix(b"--").filter(|n| !n.is_empty())?;
        if name.contains(&b'=') {
            return None;
        }
        if super::command::is_main_long_option(name) {
            return None;
        }
        let mut found: Option<(Option<usize>, OptSpec)> = None;
        for owner in merged.iter().rev() {
            let (idx, specs) = match owner {
                Some(ext) => {
                    let k = matches.iter().rposition(|(m, _)| m.name() == *ext)?;
                    (Some(k), matches[k].0.options(family))
                }
                None => (None, target.as_ref()?.0.options(family)),
            };
            if let Some(s) = specs.iter().find(|s| s.name.as_bytes() == name) {
                found = Some((idx, *s));
                break;
            }
        }
        let (idx, spec) = found?;
        let optarg = match spec.arg {
            HasArg::Required => {
                let a = *words.get(i)?;
                i += 1;
                Some(a)
            }
            HasArg::No | HasArg::Optional => None,
        };
        let ctx = ext_ctx(&rule);
        let (ext, seen) = match idx {
            Some(k) => {
                let (m, seen) = &mut matches[k];
                (Ext::M(m), seen)
            }
            None => {
                let (t, seen) = target.as_mut()?;
                (Ext::T(t), seen)
            }
        };
        let ext_name = match &ext {
            Ext::M(m) => m.name(),
            Ext::T(t) => t.name(),
        };
        let bit = 1u64 << spec.id;
        if (!spec.multi && *seen & bit != 0)
            || (invert && !spec.invert)
            || reads_more_words(ext_name, spec.name)
        {
            return None;
        }
        // The text view `bytestr::text` gives, without its lossy scan for
        // the usual UTF-8 argument.
        let text = optarg.map(|a| match core::str::from_utf8(a) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => bytestr::text(a),
        });
        let mut args = Args::new(&spec, invert, &ctx, text.as_deref(), optarg, &[]);
        match ext {
            Ext::M(m) => m.parse(&mut args).ok()?,
            Ext::T(t) => t.parse(&mut args).ok()?,
        }
        *seen |= bit;
        invert = false;
    }
    if invert || (table == TableKind::Nat && jumpto == Some(b"DROP")) {
        return None;
    }
    let ctx = ext_ctx(&rule);
    for (m, seen) in matches.iter_mut() {
        m.finish(*seen, &ctx).ok()?;
    }
    let jump_is_chain = jumpto.is_some_and(|j| find(j).is_some());
    if let Some((t, seen)) = target.as_mut() {
        if !jump_is_chain {
            t.finish(*seen, &ctx).ok()?;
        }
    }
    // Exactly as many as given (a `collect` here would reserve four).
    rule.matches = Vec::with_capacity(matches.len());
    rule.matches.extend(matches.into_iter().map(|(m, _)| m));
    rule.verdict = match jumpto {
        None => Verdict::Continue,
        Some(name) if jump_is_chain => Verdict::Jump(ChainName::new(name).ok()?),
        Some(name) => match (target, name) {
            (Some((t, _)), _) => Verdict::Ext(t),
            (None, b"ACCEPT") => Verdict::Accept,
            (None, b"DROP") => Verdict::Drop,
            (None, b"RETURN") => Verdict::Return,
            (None, b"QUEUE") => Verdict::Queue,
            _ => return None,
        },
    };
    // iptables stores 0.0.0.0/0 for an omitted address; the model keeps None.
    let addr = |a: Option<&[u8]>| -> Option<Option<AddrMask>> {
        match a {
            None => Some(None),
            Some(a) => {
                let a = address(a, family)?;
                Some(Some(a).filter(|a| !(a.is_any() && a.addr.iter().all(|b| *b == 0))))
            }
        }
    };
    rule.src = addr(src)?;
    rule.dst = addr(dst)?;
    Some((chain, ci, rule))
}

/// The extension an option goes to.
enum Ext<'a> {
    M(&'a mut Match),
    T(&'a mut Target),
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let a = address(b"10.1.2.3/32", Family::Ipv4).unwrap();
        assert_eq!(a, parse_one("10.1.2.3/32", Family::Ipv4).unwrap());
        let a = address(b"10.1.2.3/8", Family::Ipv4).unwrap();
        assert_eq!(a, parse_one("10.1.2.3/8", Family::Ipv4).unwrap());
        let a = address(b"010.1.2.3", Family::Ipv4).unwrap();
        assert_eq!(a, parse_one("010.1.2.3", Family::Ipv4).unwrap());
        for t in [
            "0.0.0.0/0",
            "1.2.3.4/0",
            "255.255.255.255/31",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
        ] {
            assert_eq!(
                address(t.as_bytes(), Family::Ipv4),
                parse_one(t, Family::Ipv4).ok(),
                "{t}"
            );
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
