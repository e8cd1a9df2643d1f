//! `-m string` (net/netfilter/xt_string.c, extensions/libxt_string.c,
//! revision 1): a byte pattern searched in the packet between two offsets
//! with a kernel textsearch algorithm.

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, exclusive, mandatory, uint, write_inv};

/// `XT_STRING_MAX_PATTERN_SIZE`.
pub const MAX_PATTERN: usize = 128;

/// The kernel textsearch algorithm (lib/ts_bm.c, lib/ts_kmp.c, lib/ts_fsm.c).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m string --algo kmp --string GET\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::string::Algo;
/// assert!(matches!(&r.matches[0], Match::StringMatch(s) if s.algo == Some(Algo::Kmp) && s.pattern == b"GET"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    /// `bm`: Boyer-Moore.
    Bm,
    /// `kmp`: Knuth-Morris-Pratt.
    Kmp,
    /// `fsm`: finite state machine.
    Fsm,
}

impl Algo {
    /// The name as `--algo` takes and prints it.
    ///
    /// ```
    /// use nfsim::model::matches::string::Algo;
    /// assert_eq!((Algo::Bm.name(), Algo::Kmp.name()), ("bm", "kmp"));
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Algo::Bm => "bm",
            Algo::Kmp => "kmp",
            Algo::Fsm => "fsm",
        }
    }
}

/// `-m string --algo A [--from N] [--to N] [--icase] [!] --string S | --hex-string H`.
///
/// ```
/// use nfsim::model::matches::string::StringMatch;
/// assert_eq!(StringMatch::default().to, u16::MAX);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringMatch {
    /// First offset searched.
    pub from: u16,
    /// Last offset searched.
    pub to: u16,
    /// The algorithm (`None` until `--algo`; mandatory).
    pub algo: Option<Algo>,
    /// The pattern bytes (at most 128).
    pub pattern: Vec<u8>,
    /// `!` (`XT_STRING_FLAG_INVERT`).
    pub invert: bool,
    /// `--icase` (`XT_STRING_FLAG_IGNORECASE`).
    pub icase: bool,
}

impl Default for StringMatch {
    fn default() -> Self {
        StringMatch {
            from: 0,
            to: u16::MAX,
            algo: None,
            pattern: Vec::new(),
            invert: false,
            icase: false,
        }
    }
}

ids!(FROM, TO, ALGO, ICASE, STRING, HEX);

options! {
    OPTS =
    FROM "from" arg, TO "to" arg, ALGO "algo" arg, STRING "string" arg inv,
    HEX "hex-string" arg inv, ICASE "icase" flag,
}

/// libxt_string.c `parse_hex_string`: plain characters, `\x` literals and
/// `|hh hh|` hex blocks, over the argument's bytes (plain bytes are copied
/// as they are, UTF-8 or not).
pub(crate) fn parse_hex_string(s: &[u8]) -> Result<Vec<u8>, String> {
    let b = s;
    let n = b.len();
    if n == 0 {
        return Err("STRING must contain at least one char".into());
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut out = Vec::new();
    let (mut i, mut hex, mut literal) = (0usize, false, false);
    while i < n {
        if out.len() >= MAX_PATTERN {
            return Err(format!(
                "STRING too long \"{}\"",
                crate::model::bytestr::Escaped(s)
            ));
        }
        if at(i) == b'\\' && !hex {
            literal = true;
        } else if at(i) == b'\\' {
            return Err("Cannot include literals in hex data".into());
        } else if at(i) == b'|' {
            if hex {
                hex = false;
            } else {
                hex = true;
                while at(i + 1) == b' ' {
                    i += 1;
                }
            }
            if i + 1 >= n {
                break;
            }
            i += 1;
        }
        if literal {
            if i + 1 >= n {
                return Err("Bad literal placement at end of string".into());
            }
            out.push(at(i + 1));
            i += 2;
            literal = false;
        } else if hex {
            if i + 1 >= n {
                return Err("Odd number of hex digits".into());
            }
            if i + 2 >= n {
                return Err("Invalid hex block".into());
            }
            for k in [i, i + 1] {
                if !at(k).is_ascii_hexdigit() {
                    return Err(format!("Invalid hex char '{}'", char::from(at(k))));
                }
            }
            let hexpair = [at(i), at(i + 1)];
            let v = core::str::from_utf8(&hexpair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("Invalid hex char `{}'", char::from(at(i))))?;
            out.push(v);
            i += if at(i + 2) == b' ' { 3 } else { 2 };
        } else {
            out.push(at(i));
            i += 1;
        }
    }
    Ok(out)
}

/// lib/ts_fsm.c `fsm_init`: the pattern is an array of 4-byte
/// `struct ts_fsm_token { u16 type; u8 recur; u8 value; }` in host byte
/// order (little-endian here); types up to `TS_FSM_TYPE_MAX` (13), recur up
/// to `TS_FSM_RECUR_MAX` (4), `TS_FSM_HEAD_IGNORE` only in a first token
/// that is not the last; no `--icase`.
fn check_fsm(p: &[u8], icase: bool) -> Result<(), String> {
    let err = || Err("xt_string: invalid fsm pattern".to_string());
    if icase || p.len() % 4 != 0 {
        return err();
    }
    let n = p.len() / 4;
    for (i, t) in p.chunks_exact(4).enumerate() {
        let ty = u16::from_le_bytes([t[0], t[1]]);
        let recur = t[2];
        if ty > 13 || recur > 4 || (recur == 4 && (i != 0 || i == n - 1)) {
            return err();
        }
    }
    Ok(())
}

/// libxt_string.c `is_hex_string`: a byte C's `isprint` rejects, or a
/// trailing backslash, makes iptables print the pattern as hex.
pub(crate) fn is_hex_string(p: &[u8]) -> bool {
    p.iter().any(|b| !(0x20..0x7f).contains(b)) || p.last() == Some(&b'\\')
}

impl StringMatch {
    /// Whether the engine evaluates it: the Boyer-Moore and
    /// Knuth-Morris-Pratt searches (`--algo` is mandatory in iptables; fsm
    /// needs a token program).
    pub(crate) fn evaluable(&self) -> bool {
        matches!(self.algo, Some(Algo::Bm) | Some(Algo::Kmp))
    }
}

impl Extension for StringMatch {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            FROM | TO => {
                let name = if args.id == FROM { "from" } else { "to" };
                let v = uint("string", name, args.required("string", name)?, 0, 0xffff)? as u16;
                if args.id == FROM {
                    self.from = v;
                } else {
                    self.to = v;
                }
            }
            ALGO => {
                let s = args.required_bytes("string", "algo")?;
                // XTTYPE_STRING into char algo[16]: silently truncated.
                let s = crate::model::opt::cut_c(s, 15);
                // The kernel's textsearch_find (lib/textsearch.c) knows the
                // loaded algorithms only; an unknown name fails checkentry.
                self.algo = Some(match s {
                    b"bm" => Algo::Bm,
                    b"kmp" => Algo::Kmp,
                    b"fsm" => Algo::Fsm,
                    _ => {
                        return Err(format!(
                            "xt_string: textsearch algorithm `{}' not found",
                            crate::model::bytestr::Escaped(s)
                        ))
                    }
                });
            }
            STRING => {
                let s = args.required_bytes("string", "string")?;
                if s.len() > MAX_PATTERN {
                    return Err(format!(
                        "STRING too long \"{}\"",
                        crate::model::bytestr::Escaped(s)
                    ));
                }
                self.pattern = s.to_vec();
                self.invert = args.invert;
            }
            HEX => {
                self.pattern = parse_hex_string(args.required_bytes("string", "hex-string")?)?;
                self.invert = args.invert;
            }
            ICASE => self.icase = true,
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        mandatory("string", seen, &[(ALGO, "algo")])?;
        exclusive("string", seen, (STRING, "string"), (HEX, "hex-string"))?;
        if seen & (1 << STRING | 1 << HEX) == 0 {
            return Err("STRING match: You must specify `--string' or `--hex-string'".into());
        }
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_string.c string_mt_check.
        if self.from > self.to {
            return Err("xt_string: --from is greater than --to".into());
        }
        // textsearch_prepare (lib/textsearch.c) rejects an empty pattern.
        if self.pattern.is_empty() {
            return Err("xt_string: empty pattern".into());
        }
        if self.algo == Some(Algo::Fsm) {
            check_fsm(&self.pattern, self.icase)?;
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_string.c string_save
        write_inv(f, self.invert)?;
        if is_hex_string(&self.pattern) {
            f.write_str(" --hex-string \"|")?;
            for b in &self.pattern {
                write!(f, "{b:02x}")?;
            }
            f.write_str("|\"")?;
        } else {
            f.write_str(" --string \"")?;
            for &b in &self.pattern {
                if b == b'"' || b == b'\\' {
                    f.write_char('\\')?;
                }
                f.write_bytes(&[b]);
            }
            f.write_char('"')?;
        }
        write!(f, " --algo {}", self.algo.map_or("", Algo::name))?;
        if self.from != 0 {
            write!(f, " --from {}", self.from)?;
        }
        if self.to != u16::MAX {
            write!(f, " --to {}", self.to)?;
        }
        if self.icase {
            f.write_str(" --icase")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_hex_string_example() {
        use crate::model::matches::string::parse_hex_string;
        assert_eq!(parse_hex_string(b"a|0d 0a|b\xff").unwrap(), b"a\r\nb\xff");
        assert!(parse_hex_string(b"|0|").is_err());
    }
}
