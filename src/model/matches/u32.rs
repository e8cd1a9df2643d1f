//! `-m u32` (net/netfilter/xt_u32.c, extensions/libxt_u32.c): tests on
//! 32-bit words read at computed packet offsets.
//!
//! Evaluation not supported yet: the engine reports an error when such a
//! rule is compiled.

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{strtoumax, write_inv};

/// `XT_U32_MAXSIZE`: most tests, location steps and value ranges.
pub const MAXSIZE: usize = 10;

/// How a location step combines with the previous value (`XT_U32_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m u32 --u32 0>>22&0x3C@0=0x29\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::u32::Op;
/// assert!(matches!(&r.matches[0], Match::U32(u) if u.tests[0].location.iter().any(|(op, _)| *op == Some(Op::At))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `&`
    And,
    /// `<<`
    LeftShift,
    /// `>>`
    RightShift,
    /// `@`: read the word at this offset from the current position.
    At,
}

/// One test: `location = value[,value...]`.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m u32 --u32 6&0xFF=1:5\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::U32(u) if u.tests[0].values == [(1, 5)]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct U32Test {
    /// The first number and the following `(operator, number)` steps.
    pub location: Vec<(Option<Op>, u32)>,
    /// Accepted ranges (inclusive).
    pub values: Vec<(u32, u32)>,
}

/// `-m u32 [!] --u32 TESTS`.
///
/// ```
/// use nfsim::model::matches::u32::U32;
/// assert!(U32::default().tests.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct U32 {
    /// The tests, all of which must hold (`&&`).
    pub tests: Vec<U32Test>,
    /// `!`
    pub invert: bool,
}

options!(OPTS = 0 "u32" arg inv mand);

/// libxt_u32.c `parse_number`: a C number (base 0) up to `u32::MAX`.
fn number(s: &str, pos: usize) -> Result<(u32, &str), String> {
    match strtoumax(s) {
        Some((v, rest)) if v <= u64::from(u32::MAX) => Ok((v as u32, rest)),
        _ => Err(format!("u32: at char {pos}: not a number or out of range")),
    }
}

/// libxt_u32.c `u32_parse`.
pub(crate) fn parse_tests(arg: &str) -> Result<Vec<U32Test>, String> {
    let mut tests = Vec::new();
    let mut ct = U32Test::default();
    let mut s = arg;
    let mut looking_for_values = false;
    let pos = |s: &str| arg.len() - s.len();
    loop {
        s = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if s.is_empty() {
            if !looking_for_values {
                return Err("u32: abrupt end of input after location specifier".into());
            }
            if ct.values.is_empty() {
                return Err("u32: test ended with no value specified".into());
            }
            tests.push(ct);
            if tests.len() > MAXSIZE {
                return Err(format!("u32: at char {}: too many \"&&\"s", pos(s)));
            }
            return Ok(tests);
        }
        if !looking_for_values {
            if let Some(r) = s.strip_prefix('=') {
                if ct.location.is_empty() {
                    return Err(format!("u32: at char {}: location spec missing", pos(s)));
                }
                s = r;
                looking_for_values = true;
                continue;
            }
            let mut op = None;
            if !ct.location.is_empty() {
                let (o, r) = if let Some(r) = s.strip_prefix('&') {
                    (Op::And, r)
                } else if let Some(r) = s.strip_prefix('<') {
                    (
                        Op::LeftShift,
                        r.strip_prefix('<').ok_or_else(|| {
                            format!("u32: at char {}: a second '<' was expected", pos(r))
                        })?,
                    )
                } else if let Some(r) = s.strip_prefix('>') {
                    (
                        Op::RightShift,
                        r.strip_prefix('>').ok_or_else(|| {
                            format!("u32: at char {}: a second '>' was expected", pos(r))
                        })?,
                    )
                } else if let Some(r) = s.strip_prefix('@') {
                    (Op::At, r)
                } else {
                    return Err(format!("u32: at char {}: operator expected", pos(s)));
                };
                op = Some(o);
                s = r;
            }
            let (n, r) = number(s, pos(s))?;
            s = r;
            ct.location.push((op, n));
            if ct.location.len() > MAXSIZE {
                return Err(format!("u32: at char {}: too many operators", pos(s)));
            }
        } else if let Some(r) = s.strip_prefix('&') {
            let r = r
                .strip_prefix('&')
                .ok_or_else(|| format!("u32: at char {}: a second '&' was expected", pos(r)))?;
            if ct.values.is_empty() {
                return Err(format!("u32: at char {}: value spec missing", pos(r) - 1));
            }
            tests.push(core::mem::take(&mut ct));
            if tests.len() > MAXSIZE {
                return Err(format!("u32: at char {}: too many \"&&\"s", pos(r) - 1));
            }
            s = r;
            looking_for_values = false;
        } else {
            if !ct.values.is_empty() {
                s = s
                    .strip_prefix(',')
                    .ok_or_else(|| format!("u32: at char {}: expected \",\" or \"&&\"", pos(s)))?;
            }
            let (min, r) = number(s, pos(s))?;
            s = r.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let max = if let Some(r) = s.strip_prefix(':') {
                let (m, r) = number(r, pos(r))?;
                s = r;
                m
            } else {
                min
            };
            ct.values.push((min, max));
            if ct.values.len() > MAXSIZE {
                return Err(format!("u32: at char {}: too many \",\"s", pos(s)));
            }
        }
    }
}

impl U32 {
    /// Whether the engine evaluates it: `u32_mt_checkentry`
    /// (net/netfilter/xt_u32.c, Linux 6.18) refuses a shift by more than 31
    /// bits with EINVAL (checked in a netns), so such a rule is refused too
    /// instead of being evaluated.
    pub(crate) fn evaluable(&self) -> bool {
        self.tests.iter().all(|t| {
            t.location.iter().all(|&(op, n)| {
                !matches!(op, Some(Op::LeftShift) | Some(Op::RightShift)) || n <= 31
            })
        })
    }
}

impl Extension for U32 {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.tests = parse_tests(args.required("u32", "u32")?)?;
        self.invert = args.invert;
        Ok(())
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // xt_u32.c u32_mt_checkentry: the sizes the parser already bounds.
        if self.tests.len() > MAXSIZE
            || self
                .tests
                .iter()
                .any(|t| t.location.len() > MAXSIZE || t.values.len() > MAXSIZE)
        {
            return Err("xt_u32: too many tests, operators or values".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libxt_u32.c u32_save / u32_dump
        write_inv(f, self.invert)?;
        f.write_str(" --u32 \"")?;
        for (i, t) in self.tests.iter().enumerate() {
            if i > 0 {
                f.write_str("&&")?;
            }
            for (op, n) in &t.location {
                f.write_str(match op {
                    None => "",
                    Some(Op::And) => "&",
                    Some(Op::LeftShift) => "<<",
                    Some(Op::RightShift) => ">>",
                    Some(Op::At) => "@",
                })?;
                write!(f, "{n:#x}")?;
            }
            f.write_str("=")?;
            for (j, (lo, hi)) in t.values.iter().enumerate() {
                if j > 0 {
                    f.write_str(",")?;
                }
                if lo == hi {
                    write!(f, "{lo:#x}")?;
                } else {
                    write!(f, "{lo:#x}:{hi:#x}")?;
                }
            }
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_tests_example() {
        use crate::model::matches::u32::parse_tests;
        let t = parse_tests("0>>22&0x3C@ 12 = 5:6 ,7").unwrap();
        assert_eq!(t[0].location.len(), 4);
        assert_eq!(t[0].values, vec![(5, 6), (7, 7)]);
    }
}
