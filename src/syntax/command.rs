//! One iptables command line (`-A INPUT -p tcp --dport 22 -j ACCEPT`) parsed
//! the way iptables' `do_parse` (iptables/xshared.c) parses its argv:
//! a getopt_long work-alike over the main options plus the options of every
//! extension loaded so far (newest first, as `xtables_merge_options` orders
//! them), with the implicit load of the protocol match (`load_proto`).

use super::error::{Error, ErrorKind};
use super::suggest::did_you_mean;
use crate::model::bytestr::{self, Escaped};
use crate::model::ext::{AddrMask, Args, ExtCtx, HasArg, Iface, OptSpec};
use crate::model::text::addr::parse_multiple;
use crate::model::text::{parse_protocol, proto_name, Word};
use crate::model::{matches, targets, ChainName, Family, Match, Rule, TableKind, Target, Verdict};

/// The command of a restore line. Chain names are bytes, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `-A CHAIN RULE`
    Append(Vec<u8>, Vec<Rule>),
    /// `-I CHAIN [N] RULE`
    Insert(Vec<u8>, usize, Vec<Rule>),
    /// `-R CHAIN N RULE`
    Replace(Vec<u8>, usize, Vec<Rule>),
    /// `-D CHAIN RULE`
    Delete(Vec<u8>, Vec<Rule>),
    /// `-D CHAIN N`
    DeleteNum(Vec<u8>, usize),
    /// `-C CHAIN RULE`
    Check(Vec<u8>, Vec<Rule>),
    /// `-N CHAIN`
    NewChain(Vec<u8>),
    /// `-X [CHAIN]`
    DeleteChain(Option<Vec<u8>>),
    /// `-F [CHAIN]`
    Flush(Option<Vec<u8>>),
    /// `-Z [CHAIN [N]]`
    Zero(Option<Vec<u8>>, Option<usize>),
    /// `-P CHAIN POLICY` (with `-c P B` counters when given)
    Policy(Vec<u8>, String, Option<(u64, u64)>),
    /// `-E OLD NEW`
    Rename(Vec<u8>, Vec<u8>),
    /// A line the family ignores (`-6` in iptables-restore, `-4` in ip6tables-restore).
    Ignored,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    Main(char),
    Target,
    Match(usize),
}

#[derive(Clone, Copy)]
struct OptEntry {
    name: &'static str,
    arg: HasArg,
    owner: Owner,
    id: u8,
}

const MAIN_OPTS: &[(&str, HasArg, char)] = &[
    ("append", HasArg::Required, 'A'),
    ("delete", HasArg::Required, 'D'),
    ("check", HasArg::Required, 'C'),
    ("insert", HasArg::Required, 'I'),
    ("replace", HasArg::Required, 'R'),
    ("list", HasArg::Optional, 'L'),
    ("list-rules", HasArg::Optional, 'S'),
    ("flush", HasArg::Optional, 'F'),
    ("zero", HasArg::Optional, 'Z'),
    ("new-chain", HasArg::Required, 'N'),
    ("delete-chain", HasArg::Optional, 'X'),
    ("rename-chain", HasArg::Required, 'E'),
    ("policy", HasArg::Required, 'P'),
    ("source", HasArg::Required, 's'),
    ("destination", HasArg::Required, 'd'),
    ("src", HasArg::Required, 's'),
    ("dst", HasArg::Required, 'd'),
    ("protocol", HasArg::Required, 'p'),
    ("in-interface", HasArg::Required, 'i'),
    ("jump", HasArg::Required, 'j'),
    ("table", HasArg::Required, 't'),
    ("match", HasArg::Required, 'm'),
    ("numeric", HasArg::No, 'n'),
    ("out-interface", HasArg::Required, 'o'),
    ("verbose", HasArg::No, 'v'),
    ("wait", HasArg::Optional, 'w'),
    ("wait-interval", HasArg::Optional, 'W'),
    ("exact", HasArg::No, 'x'),
    ("fragments", HasArg::No, 'f'),
    ("version", HasArg::No, 'V'),
    ("help", HasArg::Optional, 'h'),
    ("line-numbers", HasArg::No, '0'),
    ("modprobe", HasArg::Required, 'M'),
    ("set-counters", HasArg::Required, 'c'),
    ("goto", HasArg::Required, 'g'),
    ("ipv4", HasArg::No, '4'),
    ("ipv6", HasArg::No, '6'),
];

/// Whether `name` (without `--`) is one of the main long options exactly.
pub(crate) fn is_main_long_option(name: &[u8]) -> bool {
    // The names of [`MAIN_OPTS`] (a test holds the two equal), as a match.
    matches!(
        name,
        b"append"
            | b"delete"
            | b"check"
            | b"insert"
            | b"replace"
            | b"list"
            | b"list-rules"
            | b"flush"
            | b"zero"
            | b"new-chain"
            | b"delete-chain"
            | b"rename-chain"
            | b"policy"
            | b"source"
            | b"destination"
            | b"src"
            | b"dst"
            | b"protocol"
            | b"in-interface"
            | b"jump"
            | b"table"
            | b"match"
            | b"numeric"
            | b"out-interface"
            | b"verbose"
            | b"wait"
            | b"wait-interval"
            | b"exact"
            | b"fragments"
            | b"version"
            | b"help"
            | b"line-numbers"
            | b"modprobe"
            | b"set-counters"
            | b"goto"
            | b"ipv4"
            | b"ipv6"
    )
}

/// The family as people write it, for messages.
fn family_name(f: Family) -> &'static str {
    match f {
        Family::Ipv4 => "IPv4",
        Family::Ipv6 => "IPv6",
    }
}

/// `IPT_OPTSTRING`: short options and whether they take an argument
/// (`1` required, `2` optional).
const IPT_OPTSTRING: &[u8] =
    b"A:C:D:E:F::I:L::M:N:P:R:S::VX::Z::c:d:i:j:o:p:s:t:vW::46fg:h::m:nw::x";

/// [`IPT_OPTSTRING`] as a table by ASCII code: 0 not an option, else 1 +
/// the number of colons after it (read once, at compile time).
const SHORT_OPTS: [u8; 128] = {
    let b = IPT_OPTSTRING;
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < b.len() {
        let mut n = 0;
        while i + 1 + n < b.len() && b[i + 1 + n] == b':' {
            n += 1;
        }
        t[b[i] as usize] = 1 + n as u8;
        i += 1 + n;
    }
    t
};

fn short_opt(c: char) -> Option<HasArg> {
    match SHORT_OPTS.get(c as usize).copied().unwrap_or(0) {
        0 => None,
        1 => Some(HasArg::No),
        2 => Some(HasArg::Required),
        _ => Some(HasArg::Optional),
    }
}

/// The match name a protocol loads implicitly (`find_proto`), after
/// `xtables_find_match`'s renaming of the ICMPv6 spellings to `icmp6`.
fn proto_match_name(proto_arg: &str) -> Option<&'static str> {
    let name: &str = match crate::model::ext::strtoui(proto_arg, 0, 255) {
        Some(n) => proto_name(n as u8)?,
        None => proto_arg,
    };
    Some(match name {
        "tcp" => "tcp",
        "udp" => "udp",
        "udplite" => "udplite",
        "icmp" => "icmp",
        "icmpv6" | "ipv6-icmp" | "icmp6" => "icmp6",
        "sctp" => "sctp",
        "dccp" => "dccp",
        "esp" => "esp",
        "ah" => "ah",
        // Only the name `mh` finds the extension: `mobility-header` (what
        // `-p 135` turns into) and `ipv6-mh` do not (iptables 1.8.9 checked).
        "mh" => "mh",
        _ => return None,
    })
}

/// Normalises a match name as `xtables_find_match` does.
pub(super) fn canonical_match_name(name: &str) -> &str {
    match name {
        "icmpv6" | "ipv6-icmp" => "icmp6",
        n => n,
    }
}

struct Parser<'a> {
    family: Family,
    table: TableKind,
    words: &'a [Word],
    line: usize,
    pos: usize,
    /// The long options getopt knows at this point: the main ones, then
    /// each loaded extension's (inline: no allocation for a common rule).
    opts: smallvec::SmallVec<[OptEntry; 64]>,
    // state
    command: Option<char>,
    chain: Option<Vec<u8>>,
    second: Option<Vec<u8>>,
    rulenum: Option<usize>,
    options_seen: u32,
    invert: bool,
    rule: Rule,
    src: Option<String>,
    dst: Option<String>,
    protocol_arg: Option<String>,
    proto_used: bool,
    jumpto: Option<(Vec<u8>, bool)>,
    target: Option<Target>,
    target_seen: u64,
    matches: Vec<(Match, u64, bool)>,
    counters: Option<(u64, u64)>,
    err_col: usize,
    ipset: &'a crate::ipset::Ipsets,
}

const OPT_SOURCE: u32 = 1 << 1;
const OPT_DESTINATION: u32 = 1 << 2;
const OPT_PROTOCOL: u32 = 1 << 3;
const OPT_JUMP: u32 = 1 << 4;
const OPT_VERBOSE: u32 = 1 << 5;
const OPT_VIANAMEIN: u32 = 1 << 7;
const OPT_VIANAMEOUT: u32 = 1 << 8;
const OPT_COUNTERS: u32 = 1 << 10;
const OPT_FRAGMENT: u32 = 1 << 11;
const OPT_NUMERIC: u32 = 1 << 0;

fn option_name(o: u32) -> &'static str {
    match o {
        OPT_NUMERIC => "--numeric",
        OPT_SOURCE => "--source",
        OPT_DESTINATION => "--destination",
        OPT_PROTOCOL => "--protocol",
        OPT_JUMP => "--jump",
        OPT_VERBOSE => "--verbose",
        OPT_VIANAMEIN => "--in-interface",
        OPT_VIANAMEOUT => "--out-interface",
        OPT_COUNTERS => "--set-counters",
        OPT_FRAGMENT => "--fragments",
        _ => "unknown option",
    }
}

fn command_char_name(c: char) -> &'static str {
    match c {
        'A' => "--append",
        'C' => "--check",
        'D' => "--delete",
        'I' => "--insert",
        'R' => "--replace",
        'L' => "--list",
        'S' => "--list-rules",
        'F' => "--flush",
        'Z' => "--zero",
        'N' => "--new-chain",
        'X' => "--delete-chain",
        'P' => "--policy",
        'E' => "--rename-chain",
        _ => "?",
    }
}

type PResult<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        let kind = ErrorKind::Parameter;
        Error::new(self.line, self.err_col, kind, msg)
    }

    fn ctx(&self) -> ExtCtx<'_> {
        ExtCtx {
            family: self.family,
            table: self.table,
            chain: self.chain.as_deref().unwrap_or(b""),
            proto: self.rule.proto,
            proto_inv: self.rule.proto_inv,
            ipset: self.ipset,
        }
    }

    fn merge_options(&mut self, owner: Owner, specs: &'static [OptSpec]) {
        let main = MAIN_OPTS.len();
        // The extension's options go right after the main ones, before
        // those of extensions loaded earlier (as xtables_merge_options).
        self.opts.insert_many(
            main,
            specs.iter().map(|s| OptEntry {
                name: s.name,
                arg: s.arg,
                owner,
                id: s.id,
            }),
        );
    }

    /// getopt_long's long option lookup: exact match, else a unique prefix
    /// (several prefix matches are fine when they are the same option).
    fn lookup_long(&self, name: &str) -> Result<OptEntry, ()> {
        if let Some(e) = self.opts.iter().find(|e| e.name == name) {
            return Ok(*e);
        }
        let mut found: Option<OptEntry> = None;
        for e in self.opts.iter().filter(|e| e.name.starts_with(name)) {
            match found {
                None => found = Some(*e),
                Some(f) if f.owner == e.owner && f.id == e.id && f.arg == e.arg => {}
                Some(_) => return Err(()),
            }
        }
        found.ok_or(())
    }

    fn set_option(&mut self, opt: u32) -> PResult<()> {
        if self.options_seen & opt != 0 {
            return Err(format!("multiple {} options not allowed", option_name(opt)));
        }
        self.options_seen |= opt;
        if self.invert {
            match opt {
                OPT_SOURCE | OPT_DESTINATION | OPT_PROTOCOL | OPT_VIANAMEIN | OPT_VIANAMEOUT
                | OPT_FRAGMENT => {}
                _ => return Err(format!("cannot have ! before {}", option_name(opt))),
            }
        }
        Ok(())
    }

    fn add_command(&mut self, c: char) -> PResult<()> {
        if self.invert {
            return Err(format!("unexpected ! flag before {}", command_char_name(c)));
        }
        if let Some(old) = self.command {
            return Err(format!("Cannot use -{c} with -{old}"));
        }
        self.command = Some(c);
        Ok(())
    }

    /// `xs_has_arg`: the next word exists and does not start with `-` or `!`.
    fn has_arg(&self) -> bool {
        self.words
            .get(self.pos)
            .is_some_and(|w| !w.bytes.starts_with(b"-") && !w.bytes.starts_with(b"!"))
    }

    fn take_word(&mut self) -> Vec<u8> {
        let w = self.words[self.pos].bytes.to_vec();
        self.pos += 1;
        w
    }

    fn load_match(&mut self, name: &str) -> PResult<()> {
        let name = canonical_match_name(name);
        if name.len() >= 29 {
            return Err(format!("Invalid match name \"{name}\" (28 chars max)"));
        }
        let ctx = self.ctx();
        let m = match Match::new(name, &ctx) {
            Some(m) => m,
            None => {
                if matches::UNSUPPORTED.contains(&name)
                    || Match::NAMES.iter().any(|(n, _)| *n == name)
                {
                    return Err(format!(
                        "nfsim: match `{name}' is not supported (yet) for {}",
                        family_name(self.family)
                    ));
                }
                let family = self.family;
                let near = did_you_mean(
                    name,
                    Match::NAMES
                        .iter()
                        .filter(|(_, f)| f.has(family))
                        .map(|(n, _)| *n),
                    "",
                );
                return Err(format!(
                    "Couldn't load match `{name}':No such file or directory{near}"
                ));
            }
        };
        let specs = m.options(self.family);
        // A second instance of an extension already loaded is a clone: its
        // options are not merged again, and the earlier instance is completed.
        let clone = self.matches.iter().any(|(x, _, _)| x.name() == m.name());
        for e in self
            .matches
            .iter_mut()
            .filter(|(x, _, _)| x.name() == m.name())
        {
            e.2 = true;
        }
        self.matches.push((m, 0, false));
        let idx = self.matches.len() - 1;
        if clone {
            // Route the shared option entries to the newest instance.
            let owner_name = self.matches[idx].0.name();
            let ids: Vec<usize> = (0..idx)
                .filter(|i| self.matches[*i].0.name() == owner_name)
                .collect();
            for e in self.opts.iter_mut() {
                if let Owner::Match(i) = e.owner {
                    if ids.contains(&i) {
                        e.owner = Owner::Match(idx);
                    }
                }
            }
        } else {
            self.merge_options(Owner::Match(idx), specs);
        }
        Ok(())
    }

    fn jump(&mut self, name: Vec<u8>, goto: bool) -> PResult<()> {
        // xt_parse_target
        if name.is_empty() {
            return Err("Invalid target name (too short)".into());
        }
        if name.len() >= 29 {
            return Err(format!(
                "Invalid target name `{}' (28 chars max)",
                Escaped(&name)
            ));
        }
        // isspace() in the C locale.
        if name.iter().any(|c| c.is_ascii_whitespace() || *c == 0x0b) {
            return Err(format!("Invalid target name `{}'", Escaped(&name)));
        }
        // A name that is not UTF-8 is no extension's name.
        let target = match core::str::from_utf8(&name) {
            Ok(n) if !goto => Target::new(n, &self.ctx()),
            _ => None,
        };
        self.jumpto = Some((name, goto));
        if let Some(t) = target {
            let specs = t.options(self.family);
            self.target = Some(t);
            self.merge_options(Owner::Target, specs);
        }
        Ok(())
    }

    fn dispatch(&mut self, e: OptEntry, optarg: Option<Vec<u8>>) -> PResult<()> {
        let invert = core::mem::take(&mut self.invert);
        let spec_of = |specs: &'static [OptSpec]| {
            specs
                .iter()
                .find(|s| s.id == e.id && s.name == e.name)
                .copied()
        };
        let words: &'a [Word] = self.words;
        let rest = words.get(self.pos..).unwrap_or(&[]);
        let ctx = ExtCtx {
            family: self.family,
            table: self.table,
            chain: self.chain.as_deref().unwrap_or(b""),
            proto: self.rule.proto,
            proto_inv: self.rule.proto_inv,
            ipset: self.ipset,
        };
        let (ext_name, specs, seen) = match e.owner {
            Owner::Target => {
                let t = self.target.as_ref().ok_or("internal: no target")?;
                (t.name(), t.options(self.family), self.target_seen)
            }
            Owner::Match(i) => {
                let m = &self.matches[i].0;
                (m.name(), m.options(self.family), self.matches[i].1)
            }
            Owner::Main(_) => return Err("internal: main option dispatched".into()),
        };
        let spec = spec_of(specs).ok_or("internal: option not found")?;
        let bit = 1u64 << spec.id;
        if !spec.multi && seen & bit != 0 {
            return Err(format!(
                "{ext_name}: option \"--{}\" can only be used once.",
                spec.name
            ));
        }
        if invert && !spec.invert {
            return Err(format!(
                "{ext_name}: option \"--{}\" cannot be inverted.",
                spec.name
            ));
        }
        if spec.arg == HasArg::Required && optarg.is_none() {
            return Err(format!(
                "{ext_name}: option \"--{}\" requires an argument.",
                spec.name
            ));
        }
        let text = optarg.as_deref().map(bytestr::text);
        let mut args = Args::new(
            &spec,
            invert,
            &ctx,
            text.as_deref(),
            optarg.as_deref(),
            rest,
        );
        match e.owner {
            Owner::Target => {
                let t = self.target.as_mut().ok_or("internal: no target")?;
                t.parse(&mut args)?;
                self.target_seen |= bit;
            }
            Owner::Match(i) => {
                self.matches[i].0.parse(&mut args)?;
                self.matches[i].1 |= bit;
            }
            Owner::Main(_) => {}
        }
        self.pos += args.taken;
        Ok(())
    }

    fn run(&mut self) -> Result<(), Error> {
        while self.pos < self.words.len() {
            let words: &'a [Word] = self.words;
            let w = &words[self.pos];
            self.err_col = w.col;
            let text: &'a [u8] = &w.bytes;
            self.pos += 1;
            let r = if let Some(long) = text.strip_prefix(b"--").filter(|_| text.len() > 2) {
                self.long_option(long, text)
            } else if text.len() > 1 && text.starts_with(b"-") {
                self.short_options(&text[1..])
            } else {
                // non-option argument (getopt "-" mode)
                if text == b"!" {
                    if self.invert {
                        Err("multiple consecutive ! not allowed".to_string())
                    } else {
                        self.invert = true;
                        continue;
                    }
                } else {
                    Err(format!("Bad argument `{}'", Escaped(text)))
                }
            };
            r.map_err(|m| self.err(m))?;
            if self.command == Some('4') {
                return Ok(());
            }
        }
        Ok(())
    }

    fn long_option(&mut self, body: &[u8], raw: &[u8]) -> PResult<()> {
        let (name, inline) = match body.iter().position(|&b| b == b'=') {
            Some(i) => (&body[..i], Some(body[i + 1..].to_vec())),
            None => (body, None),
        };
        let name = bytestr::text(name);
        loop {
            match self.lookup_long(&name) {
                Ok(e) => {
                    let optarg = match e.arg {
                        HasArg::No => {
                            if inline.is_some() {
                                return Err(format!(
                                    "option '--{}' doesn't allow an argument",
                                    e.name
                                ));
                            }
                            None
                        }
                        HasArg::Required => match inline.clone() {
                            Some(v) => Some(v),
                            None => {
                                if self.pos < self.words.len() {
                                    Some(self.take_word())
                                } else {
                                    return Err(format!(
                                        "option \"{}\" requires an argument",
                                        Escaped(raw)
                                    ));
                                }
                            }
                        },
                        HasArg::Optional => inline.clone(),
                    };
                    return match e.owner {
                        Owner::Main(c) => self.main_option(c, optarg),
                        _ => self.dispatch(e, optarg),
                    };
                }
                Err(()) => {
                    if self.try_load_proto()? {
                        continue;
                    }
                    let near = did_you_mean(&name, self.opts.iter().map(|e| e.name), "--");
                    return Err(format!("unknown option \"{}\"{near}", Escaped(raw)));
                }
            }
        }
    }

    /// `load_proto`: once per rule, when `-p` was given, load the match named
    /// after the protocol and retry the option.
    fn try_load_proto(&mut self) -> PResult<bool> {
        if self.proto_used {
            return Ok(false);
        }
        let Some(p) = self.protocol_arg.clone() else {
            return Ok(false);
        };
        self.proto_used = true;
        let Some(name) = proto_match_name(&p) else {
            return Ok(false);
        };
        let ctx = self.ctx();
        if Match::new(name, &ctx).is_none() {
            // `mh` outside IPv6 is refused as before the variant existed
            // (then it was listed as unsupported); iptables 1.8.9 says
            // `unknown option "--mh-type"` here (checked).
            if matches::UNSUPPORTED.contains(&name) || name == "mh" {
                return Err(format!("nfsim: match `{name}' is not supported (yet)"));
            }
            return Ok(false);
        }
        self.load_match(name)?;
        Ok(true)
    }

    fn short_options(&mut self, cluster: &[u8]) -> PResult<()> {
        for (i, &b) in cluster.iter().enumerate() {
            let c = b as char;
            let Some(arg) = short_opt(c).filter(|_| b.is_ascii()) else {
                let shown = bytestr::text(&cluster[i..]);
                let shown = shown.chars().next().unwrap_or('?');
                return Err(format!("unknown option \"-{shown}\""));
            };
            let rest = &cluster[i + 1..];
            let optarg = match arg {
                HasArg::No => None,
                HasArg::Required => {
                    if !rest.is_empty() {
                        let v = rest.to_vec();
                        return self.main_option(c, Some(v));
                    } else if self.pos < self.words.len() {
                        Some(self.take_word())
                    } else {
                        return Err(format!("option \"-{c}\" requires an argument"));
                    }
                }
                HasArg::Optional => {
                    if !rest.is_empty() {
                        return self.main_option(c, Some(rest.to_vec()));
                    }
                    None
                }
            };
            self.main_option(c, optarg)?;
        }
        Ok(())
    }

    fn main_option(&mut self, c: char, optarg: Option<Vec<u8>>) -> PResult<()> {
        let given = optarg.is_some();
        let raw = optarg.unwrap_or_default();
        match c {
            'A' | 'C' | 'N' | 'E' | 'R' | 'I' | 'D' | 'P' => {
                self.add_command(c)?;
                if c == 'N' {
                    ChainName::new(&raw)?;
                    let clash = core::str::from_utf8(&raw)
                        .is_ok_and(|n| Target::new(n, &self.ctx()).is_some());
                    if clash || matches!(&raw[..], b"ACCEPT" | b"DROP" | b"QUEUE" | b"RETURN") {
                        return Err("chain name may not clash with target name".into());
                    }
                }
                self.chain = Some(raw);
                match c {
                    'D' if self.has_arg() => {
                        let n = self.take_word();
                        self.rulenum = Some(parse_rulenum(&bytestr::text(&n))?);
                    }
                    'R' => {
                        if !self.has_arg() {
                            return Err("-R requires a rule number".into());
                        }
                        let n = self.take_word();
                        self.rulenum = Some(parse_rulenum(&bytestr::text(&n))?);
                    }
                    'I' if self.has_arg() => {
                        let n = self.take_word();
                        self.rulenum = Some(parse_rulenum(&bytestr::text(&n))?);
                    }
                    'E' => {
                        if !self.has_arg() {
                            return Err("-E requires old-chain-name and new-chain-name".into());
                        }
                        let n = self.take_word();
                        ChainName::new(&n)?;
                        self.second = Some(n);
                    }
                    'P' => {
                        if !self.has_arg() {
                            return Err("-P requires a chain and a policy".into());
                        }
                        self.second = Some(self.take_word());
                    }
                    _ => {}
                }
            }
            'F' | 'X' | 'Z' | 'L' | 'S' => {
                self.add_command(c)?;
                if given {
                    self.chain = Some(raw);
                } else if self.has_arg() {
                    self.chain = Some(self.take_word());
                }
                if matches!(c, 'Z' | 'L' | 'S') && self.has_arg() {
                    let n = self.take_word();
                    self.rulenum = Some(parse_rulenum(&bytestr::text(&n))?);
                }
                if matches!(c, 'L' | 'S') {
                    return Err(format!(
                        "nfsim: {} is not supported in restore input",
                        command_char_name(c)
                    ));
                }
            }
            'p' => {
                self.set_option(OPT_PROTOCOL)?;
                let lower = bytestr::text(&raw).to_ascii_lowercase();
                let p = parse_protocol(&lower).map_err(|e| {
                    if core::str::from_utf8(&raw).is_err() {
                        format!("unknown protocol \"{}\" specified", Escaped(&raw))
                    } else {
                        e.into()
                    }
                })?;
                if p == 0 && self.invert {
                    return Err("rule would never match protocol".into());
                }
                self.rule.proto = p;
                self.rule.proto_inv = self.invert;
                self.rule.proto_given = self.family == Family::Ipv6;
                self.protocol_arg = Some(lower);
            }
            's' | 'd' => {
                let opt = if c == 's' {
                    OPT_SOURCE
                } else {
                    OPT_DESTINATION
                };
                self.set_option(opt)?;
                let arg = into_text(raw);
                if c == 's' {
                    self.src = Some(arg);
                    self.rule.src_inv = self.invert;
                } else {
                    self.dst = Some(arg);
                    self.rule.dst_inv = self.invert;
                }
            }
            'g' => {
                self.set_option(OPT_JUMP)?;
                self.jump(raw, true)?;
            }
            'j' => {
                self.set_option(OPT_JUMP)?;
                if raw != b"CONTINUE" {
                    self.jump(raw, false)?;
                }
            }
            'i' | 'o' => {
                let opt = if c == 'i' {
                    OPT_VIANAMEIN
                } else {
                    OPT_VIANAMEOUT
                };
                self.set_option(opt)?;
                let iface = Iface::new(&raw)?;
                if c == 'i' {
                    self.rule.in_iface = Some(iface);
                    self.rule.in_inv = self.invert;
                } else {
                    self.rule.out_iface = Some(iface);
                    self.rule.out_inv = self.invert;
                }
            }
            'f' => {
                if self.family == Family::Ipv6 {
                    return Err("`-f' is not supported in IPv6, use -m frag instead".into());
                }
                self.set_option(OPT_FRAGMENT)?;
                self.rule.fragment = Some(self.invert);
            }
            'v' => {
                if self.options_seen & OPT_VERBOSE == 0 {
                    self.set_option(OPT_VERBOSE)?;
                }
            }
            'm' => {
                if self.invert {
                    return Err("unexpected ! flag before --match".into());
                }
                match core::str::from_utf8(&raw) {
                    Ok(name) => self.load_match(name)?,
                    // No match is named so (xtables_find_match).
                    Err(_) if raw.len() >= 29 => {
                        return Err(format!(
                            "Invalid match name \"{}\" (28 chars max)",
                            Escaped(&raw)
                        ))
                    }
                    Err(_) => {
                        return Err(format!(
                            "Couldn't load match `{}':No such file or directory",
                            Escaped(&raw)
                        ))
                    }
                }
            }
            'n' => self.set_option(OPT_NUMERIC)?,
            't' => {
                if self.invert {
                    return Err("unexpected ! flag before --table".into());
                }
                return Err(format!(
                    "The -t option cannot be used in {}.\n",
                    self.family.restore_program()
                ));
            }
            'x' | '0' => return Err("Illegal option with this command".into()),
            'w' => {
                return Err(format!(
                    "You cannot use `-w' from {}",
                    self.family.restore_program()
                ))
            }
            'W' => {
                return Err(format!(
                    "You cannot use `-W' from {}",
                    self.family.restore_program()
                ))
            }
            'M' => {}
            'V' | 'h' => return Err("nfsim: -V and -h are not supported in restore input".into()),
            'c' => {
                self.set_option(OPT_COUNTERS)?;
                let arg = into_text(raw);
                let (p, b) = match arg.split_once(',') {
                    Some((p, b)) => (p.to_string(), b.to_string()),
                    None => {
                        if self.has_arg() {
                            (arg.clone(), into_text(self.take_word()))
                        } else {
                            return Err("--set-counters requires packet and byte counter".into());
                        }
                    }
                };
                let p = scan_u64(&p).ok_or("--set-counters packet counter not numeric")?;
                let b = scan_u64(&b).ok_or("--set-counters byte counter not numeric")?;
                self.counters = Some((p, b));
            }
            '4' => {
                if self.family == Family::Ipv6 {
                    self.command = Some('4');
                }
            }
            '6' => {
                if self.family == Family::Ipv4 {
                    self.command = Some('4');
                }
            }
            _ => return Err(format!("unknown option \"-{c}\"")),
        }
        self.invert = false;
        Ok(())
    }
}

/// A word as text without copying it when it is UTF-8 (see
/// [`bytestr::text`]: only for numbers, keywords and addresses).
fn into_text(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| bytestr::text(e.as_bytes()).into_owned())
}

/// `sscanf("%llu")`: leading digits (after optional whitespace and `+`).
fn scan_u64(s: &str) -> Option<u64> {
    let t = s.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    t[..end].parse().ok()
}

#[cfg(test)]
#[test]
fn main_long_options_listed() {
    for (n, _, _) in MAIN_OPTS {
        assert!(is_main_long_option(n.as_bytes()), "{n}");
    }
    assert!(!is_main_long_option(b"dport") && !is_main_long_option(b"sourc"));
}

fn parse_rulenum(s: &str) -> PResult<usize> {
    crate::model::ext::strtoui(s, 1, i32::MAX as u64)
        .map(|v| v as usize)
        .ok_or_else(|| format!("Invalid rule number `{s}'"))
}

/// Parses one command line (already split into words, counters removed)
/// for a table.
///
/// `chains` tells which chains exist in the table at this point (for
/// deciding whether `-j NAME` is a chain or an extension target).
///
/// `ipset`: the namespace's ip sets (`-m set`, `SET` look names up).
pub fn parse_command_in(
    words: &[Word],
    family: Family,
    table: TableKind,
    line: usize,
    chain_exists: &dyn Fn(&[u8]) -> bool,
    ipset: &crate::ipset::Ipsets,
) -> Result<Command, Error> {
    let mut p = Parser {
        ipset,
        family,
        table,
        words,
        line,
        pos: 0,
        opts: MAIN_OPTS
            .iter()
            .map(|(n, a, c)| OptEntry {
                name: n,
                arg: *a,
                owner: Owner::Main(*c),
                id: 0,
            })
            .collect(),
        command: None,
        chain: None,
        second: None,
        rulenum: None,
        options_seen: 0,
        invert: false,
        rule: Rule::default(),
        src: None,
        dst: None,
        protocol_arg: None,
        proto_used: false,
        jumpto: None,
        target: None,
        target_seen: 0,
        matches: Vec::new(),
        counters: None,
        err_col: words.first().map(|w| w.col).unwrap_or(0),
    };
    p.run()?;
    let end_col = p.err_col;
    let fail = |m: String| Error::new(line, end_col, ErrorKind::Parameter, m);
    let Some(cmd) = p.command else {
        return Err(fail("no command specified".into()));
    };
    if cmd == '4' {
        return Ok(Command::Ignored);
    }
    if p.invert {
        return Err(fail("nothing appropriate following !".into()));
    }
    // nat table and DROP (do_parse)
    if table == TableKind::Nat {
        let drop_policy = cmd == 'P' && p.second.as_deref() == Some(&b"DROP"[..]);
        let drop_jump = p.jumpto.as_ref().is_some_and(|(j, _)| j == b"DROP");
        if drop_policy || drop_jump {
            return Err(fail(
                "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n"
                    .into(),
            ));
        }
    }
    // extension final checks, in order: matches then target
    let ctx = ExtCtx {
        family,
        table,
        chain: p.chain.as_deref().unwrap_or(b""),
        proto: p.rule.proto,
        proto_inv: p.rule.proto_inv,
        ipset: p.ipset,
    };
    for (m, seen, _) in p.matches.iter_mut() {
        m.finish(*seen, &ctx).map_err(&fail)?;
    }
    // A user chain of the same name wins over the target extension
    // (do_command4: "Warning: using chain X, not extension"), and the
    // extension's final check does not run (checked against iptables 1.8.9).
    let jump_is_chain = p.jumpto.as_ref().is_some_and(|(j, _)| chain_exists(j));
    if let Some(t) = p.target.as_mut() {
        if !jump_is_chain {
            t.finish(p.target_seen, &ctx).map_err(&fail)?;
        }
    }
    // generic_opt_check
    let rule_cmd = matches!(cmd, 'A' | 'C' | 'D' | 'I' | 'R');
    let rule_opts = OPT_SOURCE
        | OPT_DESTINATION
        | OPT_PROTOCOL
        | OPT_JUMP
        | OPT_VIANAMEIN
        | OPT_VIANAMEOUT
        | OPT_FRAGMENT;
    if !rule_cmd || (cmd == 'D' && p.rulenum.is_some()) {
        let bad = p.options_seen & (rule_opts | if cmd == 'P' { 0 } else { OPT_COUNTERS });
        if bad != 0 {
            return Err(fail(format!(
                "Illegal option `{}' with this command",
                option_name(bad & bad.wrapping_neg())
            )));
        }
        if !p.matches.is_empty() {
            return Err(fail("Illegal option with this command".into()));
        }
    } else if p.options_seen & OPT_COUNTERS != 0 && matches!(cmd, 'D' | 'C') {
        return Err(fail(format!(
            "Illegal option `{}' with this command",
            option_name(OPT_COUNTERS)
        )));
    }
    if let Some(c) = &p.chain {
        if c.len() > 28 {
            return Err(fail(format!(
                "chain name `{}' too long (must be under 29 chars)",
                Escaped(c)
            )));
        }
    }
    let chain = p.chain.clone().unwrap_or_default();
    if rule_cmd {
        if matches!(&chain[..], b"PREROUTING" | b"INPUT") && p.options_seen & OPT_VIANAMEOUT != 0 {
            return Err(fail(format!("Can't use -o with {}\n", Escaped(&chain))));
        }
        if matches!(&chain[..], b"POSTROUTING" | b"OUTPUT") && p.options_seen & OPT_VIANAMEIN != 0 {
            return Err(fail(format!("Can't use -i with {}\n", Escaped(&chain))));
        }
    }
    match cmd {
        'N' => return Ok(Command::NewChain(chain)),
        'X' => return Ok(Command::DeleteChain(p.chain)),
        'F' => return Ok(Command::Flush(p.chain)),
        'Z' => return Ok(Command::Zero(p.chain, p.rulenum)),
        'E' => return Ok(Command::Rename(chain, p.second.unwrap_or_default())),
        'P' => {
            return Ok(Command::Policy(
                chain,
                into_text(p.second.unwrap_or_default()),
                p.counters,
            ))
        }
        'D' if p.rulenum.is_some() => return Ok(Command::DeleteNum(chain, p.rulenum.unwrap_or(1))),
        _ => {}
    }
    // Build the rule(s): target resolution as do_command4.
    let mut rule = core::mem::take(&mut p.rule);
    rule.matches = p.matches.drain(..).map(|(m, _, _)| m).collect();
    if let Some((p_, b)) = p.counters {
        rule.counters = crate::model::Counters {
            packets: p_,
            bytes: b,
        };
    }
    rule.verdict = match (&p.jumpto, p.target.clone()) {
        (None, _) => Verdict::Continue,
        (Some((name, goto)), target) => {
            let is_chain = chain_exists(name);
            if is_chain {
                let cn = ChainName::new(name).map_err(|e| fail(e.into()))?;
                if *goto {
                    Verdict::Goto(cn)
                } else {
                    Verdict::Jump(cn)
                }
            } else if *goto {
                return Err(fail(format!("goto '{}' is not a chain", Escaped(name))));
            } else if let Some(t) = target {
                Verdict::Ext(t)
            } else {
                match &*bytestr::text(name) {
                    "ACCEPT" => Verdict::Accept,
                    "DROP" => Verdict::Drop,
                    "RETURN" => Verdict::Return,
                    "QUEUE" => Verdict::Queue,
                    n if targets::UNSUPPORTED.contains(&n)
                        || Target::NAMES.iter().any(|(x, _)| *x == n) =>
                    {
                        return Err(fail(format!(
                            "nfsim: target `{n}' is not supported (yet) for {}",
                            family_name(family)
                        )));
                    }
                    n => {
                        let near = did_you_mean(
                            n,
                            ["ACCEPT", "DROP", "RETURN", "QUEUE"].into_iter().chain(
                                Target::NAMES
                                    .iter()
                                    .filter(|(_, f)| f.has(family))
                                    .map(|(x, _)| *x),
                            ),
                            "",
                        );
                        return Err(fail(format!(
                            "Couldn't load target `{}':No such file or directory{near}",
                            Escaped(name)
                        )));
                    }
                }
            }
        }
    };
    // Addresses: one rule per source x destination.
    let parse_addrs = |s: &Option<String>| -> Result<Vec<Option<AddrMask>>, Error> {
        match s {
            None => Ok(vec![None]),
            Some(s) => Ok(parse_multiple(s, family)
                .map_err(|e| fail(e.into()))?
                .into_iter()
                .map(Some)
                .collect()),
        }
    };
    let srcs = parse_addrs(&p.src)?;
    let dsts = parse_addrs(&p.dst)?;
    if (srcs.len() > 1 || dsts.len() > 1) && (rule.src_inv || rule.dst_inv) {
        return Err(fail(
            "! not allowed with multiple source or destination IP addresses".into(),
        ));
    }
    let mut rules = Vec::with_capacity(srcs.len() * dsts.len());
    let n = srcs.len() * dsts.len();
    for s in &srcs {
        for d in &dsts {
            // The last address pair takes the rule itself, the others a copy.
            let mut r = if rules.len() + 1 == n {
                core::mem::take(&mut rule)
            } else {
                rule.clone()
            };
            // iptables stores 0.0.0.0/0 for an omitted address; we keep None.
            r.src = s.filter(|a| !(a.is_any() && a.addr.iter().all(|b| *b == 0)));
            r.dst = d.filter(|a| !(a.is_any() && a.addr.iter().all(|b| *b == 0)));
            rules.push(r);
        }
    }
    Ok(match cmd {
        'A' => Command::Append(chain, rules),
        'I' => Command::Insert(chain, p.rulenum.unwrap_or(1), rules),
        'R' => {
            if rules.len() != 1 {
                return Err(fail(
                    "-R requires exactly one source and destination address".into(),
                ));
            }
            Command::Replace(chain, p.rulenum.unwrap_or(1), rules)
        }
        'D' => Command::Delete(chain, rules),
        'C' => Command::Check(chain, rules),
        _ => {
            return Err(fail(format!(
                "nfsim: command -{cmd} not supported in restore input"
            )))
        }
    })
}
