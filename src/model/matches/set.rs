//! `-m set` (net/netfilter/xt_set.c revision 4, extensions/libxt_set.c).
//!
//! iptables asks the kernel for the set's index while parsing
//! (`get_set_byname` in libxt_set.h) and fails with "Set NAME doesn't
//! exist." when there is none: the sets are the namespace's, declared with
//! [`RestoreOptions::ipset`](crate::syntax::RestoreOptions::ipset) /
//! [`HostConfig::ipset`](crate::host::HostConfig::ipset) / `--ipset FILE`;
//! without them every `--match-set` fails as it does on a fresh host
//! (checked with iptables-legacy 1.8.9 in a new namespace). Evaluation:
//! `engine/shared/ipset.rs` (`set_match_v4`) and [`crate::ipset`].

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui_end};

/// `IPSET_MAXNAMELEN`.
pub const IPSET_MAXNAMELEN: usize = 32;
/// `IPSET_DIM_MAX`: at most this many `src`/`dst` flags.
pub const IPSET_DIM_MAX: usize = 6;

/// A counter comparison (`--packets-*`, `--bytes-*`).
///
/// ```
/// use nfsim::model::matches::set::CounterOp;
/// assert_ne!(CounterOp::Eq(1), CounterOp::Ne(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterOp {
    /// `-eq`
    Eq(u64),
    /// `! -eq`
    Ne(u64),
    /// `-lt`
    Lt(u64),
    /// `-gt`
    Gt(u64),
}

/// `-m set [!] --match-set NAME src|dst[,...]` and its counter options.
///
/// ```
/// use nfsim::model::matches::set::Set;
/// let s = Set::default();
/// assert!(s.name.is_empty() && s.dirs.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Set {
    /// The set name (at most 31 bytes).
    pub name: crate::model::ByteStr,
    /// One flag per set dimension: `true` = `src`, `false` = `dst`.
    pub dirs: Vec<bool>,
    /// `! --match-set`
    pub invert: bool,
    /// `--return-nomatch`
    pub return_nomatch: bool,
    /// `! --update-counters`
    pub skip_counter_update: bool,
    /// `! --update-subcounters`
    pub skip_subcounter_update: bool,
    /// Packet counter test.
    pub packets: Option<CounterOp>,
    /// Byte counter test.
    pub bytes: Option<CounterOp>,
}

const MATCH_SET: u8 = 1;
const SET: u8 = 2;
const NOMATCH: u8 = 3;
const UPD: u8 = 4;
const PEQ: u8 = 5;
const PLT: u8 = 6;
const PGT: u8 = 7;
const BEQ: u8 = 8;
const BLT: u8 = 9;
const BGT: u8 = 10;
const UPDSUB: u8 = 11;

// An old-style (`struct option`) parser: every option may carry `!` and be
// repeated as far as the framework is concerned; `set_parse_v4` checks.
options! {
    OPTS =
    MATCH_SET "match-set" arg inv multi, SET "set" arg inv multi,
    NOMATCH "return-nomatch" flag inv multi, UPD "update-counters" flag inv multi,
    PEQ "packets-eq" arg inv multi, PLT "packets-lt" arg inv multi, PGT "packets-gt" arg inv multi,
    BEQ "bytes-eq" arg inv multi, BLT "bytes-lt" arg inv multi, BGT "bytes-gt" arg inv multi,
    UPDSUB "update-subcounters" flag inv multi,
}

fn parse_counter(s: &str) -> Result<u64, String> {
    match strtoui_end(s, 0, u64::MAX) {
        Some((v, "")) => Ok(v),
        _ => Err(format!("Cannot parse {s} as a counter value")),
    }
}

/// `parse_dirs`: `src`/`dst` words (only the first three letters count).
pub(crate) fn parse_dirs(s: &str) -> Result<Vec<bool>, String> {
    let mut out = Vec::new();
    let mut rest = Some(s);
    while out.len() < IPSET_DIM_MAX {
        let Some(cur) = rest else { break };
        let (w, next) = match cur.split_once(',') {
            Some((a, b)) => (a, Some(b)),
            None => (cur, None),
        };
        rest = next;
        if w.starts_with("src") {
            out.push(true);
        } else if w.starts_with("dst") {
            out.push(false);
        } else {
            return Err("You must specify (the comma separated list of) 'src' or 'dst'.".into());
        }
    }
    if rest.is_some() {
        return Err(format!(
            "Can't be more src/dst options than {IPSET_DIM_MAX}."
        ));
    }
    Ok(out)
}

/// libxt_set.h `get_set_byname`: the kernel's answer to
/// `IP_SET_OP_GET_FNAME` for the namespace's sets ([`ExtCtx::ipset`]): the
/// set must exist and be of the rule's family or of none.
pub(crate) fn get_set_byname(name: &[u8], ctx: &ExtCtx<'_>) -> Result<(), String> {
    use crate::ipset::SetFamily;
    match ctx.ipset.family_of(name) {
        None => Err(format!(
            "Set {} doesn't exist.",
            crate::model::bytestr::Escaped(name)
        )),
        Some(f) if !f.applies(ctx.family) => Err(format!(
            "The protocol family of set {} is {}, which is not applicable.",
            crate::model::bytestr::Escaped(name),
            if f == SetFamily::Inet { "IPv4" } else { "IPv6" }
        )),
        Some(_) => Ok(()),
    }
}

/// ` src,dst,...`: a set reference's direction flags (libxt_set.h
/// `print_match`'s loop).
pub(crate) fn write_dirs(f: &mut crate::model::ext::SaveBuf, dirs: &[bool]) -> fmt::Result {
    for (i, d) in dirs.iter().enumerate() {
        f.write_str(if i == 0 { " " } else { "," })?;
        f.write_str(if *d { "src" } else { "dst" })?;
    }
    Ok(())
}

impl Set {
    /// libxt_set.c `set_printv4`: the options, each name after `prefix`
    /// (`--` for iptables-save, nothing for `iptables -L`).
    ///
    /// ```
    /// use nfsim::model::matches::set::Set;
    /// let s = Set { name: "bl".into(), dirs: vec![true], return_nomatch: true, ..Set::default() };
    /// let mut f = nfsim::model::ext::SaveBuf::default();
    /// s.write_options(&mut f, "").unwrap();
    /// assert_eq!(f.as_bytes(), b" match-set bl src return-nomatch");
    /// ```
    pub fn write_options(&self, f: &mut crate::model::ext::SaveBuf, prefix: &str) -> fmt::Result {
        write!(
            f,
            "{} {prefix}match-set ",
            if self.invert { " !" } else { "" }
        )?;
        f.write_bytes(&self.name);
        write_dirs(f, &self.dirs)?;
        if self.return_nomatch {
            write!(f, " {prefix}return-nomatch")?;
        }
        if self.skip_counter_update {
            write!(f, " ! {prefix}update-counters")?;
        }
        if self.skip_subcounter_update {
            write!(f, " ! {prefix}update-subcounters")?;
        }
        for (what, c) in [("packets", &self.packets), ("bytes", &self.bytes)] {
            match c {
                Some(CounterOp::Eq(v)) => write!(f, " {prefix}{what}-eq {v}")?,
                Some(CounterOp::Ne(v)) => write!(f, " ! {prefix}{what}-eq {v}")?,
                Some(CounterOp::Lt(v)) => write!(f, " {prefix}{what}-lt {v}")?,
                Some(CounterOp::Gt(v)) => write!(f, " {prefix}{what}-gt {v}")?,
                None => {}
            }
        }
        Ok(())
    }
}

impl Extension for Set {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let arg = args.optarg.unwrap_or("");
        let counter = |slot: &mut Option<CounterOp>, what: &str, op: CounterOp| {
            if slot.is_some() {
                return Err(format!("only one of the --{what}-[eq|lt|gt] is allowed"));
            }
            *slot = Some(op);
            Ok(())
        };
        match args.id {
            UPDSUB => self.skip_subcounter_update |= args.invert,
            UPD => self.skip_counter_update |= args.invert,
            NOMATCH => {
                if args.invert {
                    return Err("--return-nomatch flag cannot be inverted".into());
                }
                self.return_nomatch = true;
            }
            PEQ | PLT | PGT | BEQ | BLT | BGT => {
                let bytes = args.id >= BEQ;
                let what = if bytes { "bytes" } else { "packets" };
                let slot = if bytes {
                    &mut self.bytes
                } else {
                    &mut self.packets
                };
                if slot.is_some() {
                    return Err(format!("only one of the --{what}-[eq|lt|gt] is allowed"));
                }
                let kind = (args.id - PEQ) % 3;
                if args.invert && kind != 0 {
                    let k = if kind == 1 { "lt" } else { "gt" };
                    return Err(format!("--{what}-{k} option cannot be inverted"));
                }
                let v = parse_counter(arg)?;
                let op = match (kind, args.invert) {
                    (0, false) => CounterOp::Eq(v),
                    (0, true) => CounterOp::Ne(v),
                    (1, _) => CounterOp::Lt(v),
                    _ => CounterOp::Gt(v),
                };
                counter(slot, what, op)?;
            }
            MATCH_SET | SET => {
                if !self.dirs.is_empty() {
                    return Err("--match-set can be specified only once".into());
                }
                if args.invert {
                    self.invert = true;
                }
                let dirs = args.next_word().ok_or("--match-set requires two args.")?;
                let name = args.raw.unwrap_or(b"");
                if name.len() > IPSET_MAXNAMELEN - 1 {
                    return Err(format!(
                        "setname `{}' too long, max {} characters.",
                        crate::model::bytestr::Escaped(name),
                        IPSET_MAXNAMELEN - 1
                    ));
                }
                self.name = name.into();
                self.dirs = parse_dirs(&dirs)?;
                get_set_byname(name, args.ctx)?;
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn finish(&mut self, _: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        if self.dirs.is_empty() {
            return Err("You must specify `--match-set' with proper arguments".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        self.write_options(f, "--")
    }
}

#[cfg(test)]
mod tests {
    use super::{CounterOp, Set};
    use crate::model::ext::Extension;

    #[test]
    fn prints_as_iptables() {
        let s = Set {
            name: "foo".into(),
            dirs: vec![true, false],
            invert: true,
            return_nomatch: true,
            skip_counter_update: true,
            skip_subcounter_update: false,
            packets: Some(CounterOp::Ne(3)),
            bytes: Some(CounterOp::Gt(10)),
        };
        let mut out = crate::model::ext::SaveBuf::default();
        s.save(&mut out).unwrap();
        let out = String::from_utf8(out.into_bytes()).unwrap();
        assert_eq!(out, " ! --match-set foo src,dst --return-nomatch ! --update-counters ! --packets-eq 3 --bytes-gt 10");
    }
}
