//! The `iptables-restore` input language (iptables/iptables-restore.c
//! `ios_restore`), applied to a [`Ruleset`] with the checks libiptc and the
//! kernel make when a table is committed.

use super::argv::{split_limited, MAX_ARGC};
use super::command::{parse_command_in, Command};
use super::error::{Error, ErrorKind};
use crate::model::bytestr::{self, Escaped};
use crate::model::ext::{CheckCtx, SaveBuf};
use std::collections::{HashMap, VecDeque};

use crate::model::{
    Chain, ChainName, Counters, Family, HookMask, Policy, Rule, Ruleset, Table, TableKind, Verdict,
};

/// How to restore.
///
/// ```
/// use nfsim::syntax::RestoreOptions;
/// use nfsim::model::Family;
/// let o = RestoreOptions { counters: true, ..RestoreOptions::new(Family::Ipv6) };
/// assert!(o.counters && !o.noflush);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RestoreOptions<'a> {
    /// `iptables-restore` (IPv4) or `ip6tables-restore` (IPv6).
    pub family: Family,
    /// `--counters`: take `[p:b]` on rules and chain lines.
    pub counters: bool,
    /// `--noflush`: do not flush tables named in the input.
    pub noflush: bool,
    /// Make the kernel's checks at each `COMMIT` (`translate_table`: jumps,
    /// loops, every extension's `checkentry` with the hooks that reach it),
    /// as iptables-restore does. With `false`, a table is taken as
    /// iptables' own parser leaves it, and [`validate`] makes the same
    /// checks later, naming the rule it refuses.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::syntax::{parse_restore, validate, RestoreOptions};
    /// let text = "*filter\n-A INPUT -m tcp --dport 22 -j ACCEPT\nCOMMIT\n";
    /// let o = RestoreOptions::new(Family::Ipv4);
    /// assert!(parse_restore(text, &o).is_err());
    /// let rs = parse_restore(text, &RestoreOptions { kernel_checks: false, ..o }).unwrap();
    /// assert_eq!(validate(&rs).unwrap_err().to_string(),
    ///     "iptables table filter, chain INPUT, rule 1: x_tables: tcp match: only valid for protocol 6");
    /// ```
    pub kernel_checks: bool,
    /// The nfacct objects that exist in the namespace (`nfacct add NAME`),
    /// which `-m nfacct --nfacct-name NAME` needs at commit
    /// (xt_nfacct.c `nfacct_mt_checkentry`); none by default, as on a
    /// fresh host.
    ///
    /// ```
    /// use nfsim::model::{ByteStr, Family};
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let text = "*filter\n-A INPUT -m nfacct --nfacct-name web\nCOMMIT\n";
    /// let o = RestoreOptions::new(Family::Ipv4);
    /// assert_eq!(parse_restore(text, &o).unwrap_err().message,
    ///     "xt_nfacct: accounting object `web' does not exist");
    /// let objects = [ByteStr::from("web")];
    /// assert!(parse_restore(text, &o.with_nfacct(&objects)).is_ok());
    /// ```
    pub nfacct: &'a [crate::model::ByteStr],
    /// The ip sets that exist in the namespace (`ipset restore`), which
    /// `-m set --match-set NAME` and `SET` need while the rule is parsed
    /// (libxt_set.h `get_set_byname`: "Set NAME doesn't exist."); none by
    /// default, as on a fresh host.
    ///
    /// ```
    /// use nfsim::ipset::Ipsets;
    /// use nfsim::model::Family;
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let text = "*filter\n-A INPUT -m set --match-set web src -j ACCEPT\nCOMMIT\n";
    /// let o = RestoreOptions::new(Family::Ipv4);
    /// assert_eq!(parse_restore(text, &o).unwrap_err().message, "Set web doesn't exist.");
    /// let sets = Ipsets::restore("create web hash:ip\n").unwrap();
    /// assert!(parse_restore(text, &o.with_ipset(&sets)).is_ok());
    /// let sets6 = Ipsets::restore("create web hash:ip family inet6\n").unwrap();
    /// assert_eq!(parse_restore(text, &o.with_ipset(&sets6)).unwrap_err().message,
    ///     "The protocol family of set web is IPv6, which is not applicable.");
    /// ```
    pub ipset: &'a crate::ipset::Ipsets,
    /// The timeout policies of the namespace (`nfct add timeout`: name,
    /// family, protocol), which `-j CT --timeout NAME` needs
    /// (`xt_ct_set_timeout`); none by default, as on a fresh host.
    pub cttimeout: &'a crate::model::targets::ct::TimeoutObjects,
}

impl RestoreOptions<'static> {
    /// Defaults: no counters, flush, the kernel's checks, no nfacct objects.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::syntax::RestoreOptions;
    /// let o = RestoreOptions::new(Family::Ipv4);
    /// assert!(!o.counters && !o.noflush && o.kernel_checks && o.nfacct.is_empty());
    /// ```
    pub fn new(family: Family) -> Self {
        RestoreOptions {
            family,
            counters: false,
            noflush: false,
            kernel_checks: true,
            nfacct: &[],
            ipset: &crate::ipset::EMPTY,
            cttimeout: &[],
        }
    }
}

impl<'a> RestoreOptions<'a> {
    /// The same options with these timeout policies existing
    /// ([`RestoreOptions::cttimeout`]).
    pub fn with_cttimeout<'b>(
        self,
        objects: &'b crate::model::targets::ct::TimeoutObjects,
    ) -> RestoreOptions<'b>
    where
        'a: 'b,
    {
        RestoreOptions {
            cttimeout: objects,
            ..self
        }
    }
    /// The same options with these nfacct objects existing.
    pub fn with_nfacct<'b>(self, objects: &'b [crate::model::ByteStr]) -> RestoreOptions<'b>
    where
        'a: 'b,
    {
        RestoreOptions {
            nfacct: objects,
            ..self
        }
    }
    /// The same options with these ip sets existing
    /// ([`RestoreOptions::ipset`]).
    pub fn with_ipset<'b>(self, sets: &'b crate::ipset::Ipsets) -> RestoreOptions<'b>
    where
        'a: 'b,
    {
        RestoreOptions {
            ipset: sets,
            ..self
        }
    }
}

/// Parses restore input into a fresh ruleset (what `iptables-save` shows
/// after `iptables-restore FILE` on a host with no tables).
///
/// The input is bytes, as iptables-restore reads it (a `&str` is taken as
/// its UTF-8 bytes): chain names, comments, prefixes, patterns and the
/// other strings the kernel keeps as `char[]` are kept byte for byte, UTF-8
/// or not, and [`crate::syntax::save_bytes`] prints them back unchanged. A
/// NUL byte ends its line, as it ends the C string iptables-restore makes
/// of each line.
///
/// # Errors
/// Everything iptables-restore rejects, with line, column and message.
///
/// ```
/// use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};
/// use nfsim::model::{Family, TableKind};
/// let o = RestoreOptions::new(Family::Ipv4);
/// let rs = parse_restore("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", &o).unwrap();
/// assert!(rs.table(TableKind::Nat).is_some());
/// assert!(parse_restore("*filter\n", &o).is_err());
/// let bytes = b"*filter\n:\xff\x80 - [0:0]\n-A INPUT -m comment --comment a\xc3 -j \xff\x80\nCOMMIT\n";
/// let rs = parse_restore(bytes, &o).unwrap();
/// let out = save_bytes(&rs, SaveOptions::default());
/// assert!(out.ends_with(b"-A INPUT -m comment --comment \"a\xc3\" -j \xff\x80\nCOMMIT\n"));
/// ```
pub fn parse_restore(input: impl AsRef<[u8]>, opts: &RestoreOptions) -> Result<Ruleset, Error> {
    let mut rs = Ruleset::new(opts.family);
    restore_into(&mut rs, input, opts)?;
    Ok(rs)
}

/// Applies restore input (bytes, as [`parse_restore`] takes them) to an
/// existing ruleset, table by table, as the kernel commits them: a table
/// whose block fails leaves the ruleset as it was before that block
/// (earlier committed tables stay).
///
/// Time and memory are linear in the input (up to the sort of chain names
/// at `COMMIT`): chains are found by name through a hash index, jump
/// references are counted as libiptc counts them, and the commit checks
/// walk the table without recursion, so any depth of jumps is accepted as
/// the kernel accepts it.
///
/// ```
/// use nfsim::model::{Family, Ruleset, TableKind};
/// use nfsim::syntax::{restore_into, RestoreOptions};
/// let mut rs = Ruleset::new(Family::Ipv4);
/// let o = RestoreOptions { noflush: true, ..RestoreOptions::new(Family::Ipv4) };
/// restore_into(&mut rs, "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n", &o).unwrap();
/// restore_into(&mut rs, "*filter\n-A INPUT -j DROP\nCOMMIT\n", &o).unwrap();
/// assert_eq!(rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules.len(), 2);
/// // A failed block leaves the ruleset as it was.
/// assert!(restore_into(&mut rs, "*filter\n-F\n-A INPUT -j NOSUCH\nCOMMIT\n", &o).is_err());
/// assert_eq!(rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules.len(), 2);
/// ```
pub fn restore_into(
    rs: &mut Ruleset,
    input: impl AsRef<[u8]>,
    opts: &RestoreOptions,
) -> Result<(), Error> {
    restore_lines(rs, &mut Lines(input.as_ref()), opts)
}

/// [`parse_restore`] reading its input from a stream, one line at a time:
/// the input is never held whole, so a large file costs only the ruleset
/// it describes (`nfsim save FILE` reads its file this way). Same rules,
/// same errors, line for line, as [`parse_restore`] on the same bytes.
///
/// # Errors
/// The outer error is the reader's (the lines read so far are dropped);
/// the inner one is everything iptables-restore rejects, as
/// [`parse_restore`] gives it.
///
/// ```
/// use nfsim::model::{Family, TableKind};
/// use nfsim::syntax::{parse_restore_reader, RestoreOptions};
/// let o = RestoreOptions::new(Family::Ipv4);
/// let input: &[u8] = b"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n";
/// let rs = parse_restore_reader(input, &o).unwrap().unwrap();
/// assert_eq!(rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules.len(), 1);
/// let err = parse_restore_reader(&b"*filter\n"[..], &o).unwrap().unwrap_err();
/// assert_eq!(err.line, 2);
/// ```
pub fn parse_restore_reader(
    input: impl std::io::BufRead,
    opts: &RestoreOptions,
) -> std::io::Result<Result<Ruleset, Error>> {
    let mut rs = Ruleset::new(opts.family);
    let mut lines = ReadLines::new(input);
    let r = restore_lines(&mut rs, &mut lines, opts);
    match lines.err {
        Some(e) => Err(e),
        None => Ok(r.map(|()| rs)),
    }
}

/// Where the restore loop takes its lines from: each line with its
/// newline, if it has one (as `split_inclusive` on `\n`), borrowed until
/// the next call.
trait LineSource {
    fn next_line(&mut self) -> Option<&[u8]>;
}

impl LineSource for Lines<'_> {
    fn next_line(&mut self) -> Option<&[u8]> {
        self.next()
    }
}

/// Lines read from a stream; a read error ends the input and is kept for
/// the caller. The stream is read in blocks into `buf` (grown for a line
/// longer than it) and each line is lent from there, found by one scan for
/// its newline or NUL (`find_newline_or_nul`), as `Lines` finds it: no
/// `fill_buf` call and no copy per line.
struct ReadLines<R> {
    input: R,
    buf: Vec<u8>,
    /// The bytes read and not yet lent: `buf[start..end]`.
    start: usize,
    end: usize,
    /// The stream has ended.
    eof: bool,
    /// The previous line was cut at a NUL byte at `start`: the rest of it,
    /// up to its newline, is skipped first.
    skip: bool,
    err: Option<std::io::Error>,
}

/// The size of a block read from the stream (over the 64 KiB of the
/// `BufReader` of `nfsim save`, which reads a request of its size or more
/// straight into the caller's buffer).
const READ_BLOCK: usize = 128 * 1024;

impl<R: std::io::Read> ReadLines<R> {
    fn new(input: R) -> Self {
        ReadLines {
            input,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            skip: false,
            err: None,
        }
    }

    /// Reads more of the stream after the unread bytes (moved to the front
    /// of the buffer first, which grows when they fill it); sets `eof` or
    /// keeps an error (then also `eof`).
    fn refill(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let len = (self.buf.len() * 2).max(READ_BLOCK);
            self.buf.resize(len, 0);
        }
        loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    self.end += n;
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.err = Some(e);
                    self.eof = true;
                    return;
                }
            }
        }
    }
}

impl<R: std::io::Read> LineSource for ReadLines<R> {
    fn next_line(&mut self) -> Option<&[u8]> {
        // The rest of a line cut at NUL, its newline included.
        while self.skip {
            match find_byte(&self.buf[self.start..self.end], b'\n') {
                Some(j) => {
                    self.start += j + 1;
                    self.skip = false;
                }
                None => {
                    self.start = self.end;
                    if self.eof {
                        self.skip = false;
                    } else {
                        self.refill();
                    }
                }
            }
        }
        // From where the last search ended, so that a long line is scanned
        // once however many reads it takes.
        let mut from = self.start;
        loop {
            if let Some(i) = find_newline_or_nul(&self.buf[from..self.end]) {
                let s = self.start;
                let at = from + i;
                if self.buf[at] == b'\n' {
                    self.start = at + 1;
                    return Some(&self.buf[s..=at]);
                }
                // Cut at a NUL byte, newline included, as `Lines` cuts a
                // line (a C string to ios_restore).
                self.start = at;
                self.skip = true;
                return Some(&self.buf[s..at]);
            }
            if self.eof {
                if self.err.is_some() || self.start == self.end {
                    return None;
                }
                // The last line, without a newline.
                let s = self.start;
                self.start = self.end;
                return Some(&self.buf[s..self.end]);
            }
            let scanned = self.end - self.start;
            self.refill();
            from = self.start + scanned;
        }
    }
}

/// The first byte of `hay` that is one of `needles`, eight bytes at a time
/// (the "has a zero byte" test on the word XOR each needle: its lowest
/// flagged byte is always a real match).
#[inline(always)]
fn find_any<const N: usize>(hay: &[u8], needles: [u8; N]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = hay.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let hit = needles
            .iter()
            .fold(0, |h, &n| h | zero(x ^ (LO * u64::from(n))));
        if hit != 0 {
            return Some(off + (hit.trailing_zeros() / 8) as usize);
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| needles.contains(b))
        .map(|p| off + p)
}

/// The first `needle` in `hay`.
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    find_any(hay, [needle])
}

/// The first newline or NUL byte in `hay`, eight bytes at a time: a byte
/// without a bit outside `0x0a` is `\0`, `\x02`, `\x08` or `\n` (one
/// "has a zero byte" test for both), and the rare `\x02` or `\x08` sends
/// the rest of its eight bytes to a plain scan.
#[inline]
fn find_newline_or_nul(hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let is = |b: u8| b == b'\n' || b == 0;
    let mut chunks = hay.chunks_exact(8);
    let mut off = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let y = u64::from_le_bytes(w) & !(LO * 0x0a);
        let hit = y.wrapping_sub(LO) & !y & HI;
        if hit != 0 {
            // The lowest flagged byte is a real zero of `y`.
            let k = (hit.trailing_zeros() / 8) as usize;
            if is(c[k]) {
                return Some(off + k);
            }
            if let Some(p) = c[k + 1..].iter().position(|&b| is(b)) {
                return Some(off + k + 1 + p);
            }
        }
        off += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is(b))
        .map(|p| off + p)
}

/// The lines of the input, each with its newline if it has one (as
/// `split_inclusive` on `\n`), cut at its first NUL byte: ios_restore
/// reads a line with fgets and then treats it as a C string, so a NUL byte
/// ends it there, newline included (measured with iptables-legacy 1.8.9:
/// `--comment a\0b -j ACCEPT` saves as `--comment a`, `COMMIT\0` is "Bad
/// argument `COMMIT'").
struct Lines<'a>(&'a [u8]);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let s = self.0;
        match find_newline_or_nul(s) {
            Some(i) if s[i] == b'\n' => {
                self.0 = &s[i + 1..];
                Some(&s[..=i])
            }
            Some(nul) => {
                self.0 = find_byte(&s[nul..], b'\n').map_or(&[][..], |j| &s[nul + j + 1..]);
                Some(&s[..nul])
            }
            None => {
                self.0 = &[];
                Some(s)
            }
        }
    }
}

/// The restore loop over lines (each with its newline, if any).
fn restore_lines(
    rs: &mut Ruleset,
    lines: &mut impl LineSource,
    opts: &RestoreOptions,
) -> Result<(), Error> {
    let family = opts.family;
    let mut current: Option<Work> = None;
    let mut lineno = 0;
    // What the fast path keeps from line to line in a table block.
    let mut fast_cache = super::fast::Cache::default();
    // The rule the fast path builds in place, reset after a line it leaves
    // to the full parser.
    let mut fast_rule = Rule::default();
    while let Some(raw) = lines.next_line() {
        lineno += 1;
        if raw.starts_with(b"\n") {
            continue;
        }
        if raw.starts_with(b"#") {
            continue;
        }
        let fail = |col: usize, kind: ErrorKind, msg: String| Error::new(lineno, col, kind, msg);
        if raw == b"COMMIT\n" && current.is_some() {
            let w = current
                .take()
                .ok_or_else(|| fail(1, ErrorKind::Syntax, "internal".into()))?;
            let t = w.finish();
            if opts.kernel_checks {
                commit_check(&t, opts.nfacct, opts.cttimeout)
                    .map_err(|m| fail(0, ErrorKind::Kernel, m))?;
            }
            // Commit: replace or create the table, keeping print order.
            if let Some(i) = rs.tables.iter().position(|x| x.kind == t.kind) {
                rs.tables[i] = t;
            } else {
                rs.tables.insert(0, t);
            }
            continue;
        }
        if raw.starts_with(b"*") && current.is_none() {
            let name = raw[1..].split(is_sep).find(|s| !s.is_empty());
            let Some(name) = name else {
                return Err(fail(
                    1,
                    ErrorKind::Syntax,
                    format!(
                        "{}: line {lineno} table name invalid",
                        family.restore_program()
                    ),
                ));
            };
            let kind: TableKind = bytestr::text(name).parse().map_err(|_| {
                fail(2, ErrorKind::Syntax, format!("can't initialize iptables table `{}': Table does not exist (do you need to insmod?)", Escaped(name)))
            })?;
            let mut t = rs
                .table(kind)
                .cloned()
                .unwrap_or_else(|| Table::new(kind, family));
            if !opts.noflush {
                for c in t.chains.iter_mut() {
                    c.rules.clear();
                }
                t.chains.retain(|c| c.is_builtin());
            }
            current = Some(Work::new(t));
            fast_cache.reset();
            continue;
        }
        let Some(table) = current.as_mut() else {
            // do_command without a table handle fails: `line N failed`, exit 1.
            return Err(fail(
                1,
                ErrorKind::Syntax,
                format!("{}: line {lineno} failed", family.restore_program()),
            )
            .other());
        };
        if let Some(rest) = raw.strip_prefix(b":") {
            chain_line(table, rest, lineno, opts)?;
            continue;
        }
        // A rule or command line.
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let (body, offset, counters) =
            if line.starts_with(b"[") {
                let close = line.iter().position(|&b| b == b']').ok_or_else(|| {
                    fail(1, ErrorKind::Syntax, format!("Bad line {lineno}: need ]"))
                })?;
                let inner = &line[1..close];
                let colon = inner.iter().position(|&b| b == b':').ok_or_else(|| {
                    fail(1, ErrorKind::Syntax, format!("Bad line {lineno}: need :"))
                })?;
                let (p, b) = (&inner[..colon], &inner[colon + 1..]);
                if b.is_empty() {
                    return Err(fail(
                        1,
                        ErrorKind::Syntax,
                        format!("Bad line {lineno}: need ]"),
                    ));
                }
                (
                    &line[close + 1..],
                    close + 1,
                    Some((p.to_vec(), b.to_vec())),
                )
            } else {
                (line, 0, None)
            };
        // iptables-restore's argv: program name, `-t`, the table, then
        // `--set-counters P B` when counters are restored, then the words. A
        // rule's own `-c P B` is kept either way, as iptables-restore passes
        // it to do_command (measured: `-A INPUT -c 2 3 -j ACCEPT` restored
        // without -c lists as 2 packets, 3 bytes).
        let prepended = if opts.counters && counters.is_some() {
            6
        } else {
            3
        };
        let room = MAX_ARGC - 1 - prepended;
        // The common `-A CHAIN RULE` line without `--counters` counters:
        // the fast path (`fast.rs`), which leaves anything unusual, every
        // error included, to the full parser below.
        if !(opts.counters && counters.is_some()) {
            let find = |name: &[u8]| table.find(name);
            let fast = super::fast::append(
                body,
                family,
                table.t.kind,
                &find,
                opts.ipset,
                room,
                &mut fast_cache,
                &mut fast_rule,
            );
            if let Some((chain, ci)) = fast {
                let rule = &fast_rule;
                let _ = chain; // read by the debug check below
                #[cfg(debug_assertions)]
                {
                    // Debug builds hold the fast path to the full parser's rule.
                    let words = split_limited(body, lineno, room).ok();
                    let exists = |name: &[u8]| table.find(name).is_some();
                    let slow = words.and_then(|w| {
                        parse_command_in(&w, family, table.t.kind, lineno, &exists, opts.ipset).ok()
                    });
                    assert_eq!(
                        slow,
                        Some(Command::Append(chain.to_vec(), vec![rule.clone()])),
                        "fast path differs from the full parser on {:?}",
                        bytestr::text(body)
                    );
                }
                // libiptc refuses a jump to a built-in chain: the full
                // parser below gives its error.
                let builtin_jump = table
                    .target_of(rule)
                    .is_some_and(|j| table.t.chains[j].is_builtin());
                if !builtin_jump {
                    table.rule_added(rule);
                    table.rules[ci].push_back(core::mem::take(&mut fast_rule));
                    continue;
                }
            }
            fast_rule = Rule::default();
        }
        // The full parser may rename or delete chains.
        fast_cache.reset();
        let mut words = split_limited(body, lineno, room)?;
        for w in words.iter_mut() {
            w.col += offset;
        }
        if opts.counters {
            if let Some((p, b)) = counters {
                words.insert(
                    0,
                    super::argv::Word {
                        bytes: b.into(),
                        col: 1,
                    },
                );
                words.insert(
                    0,
                    super::argv::Word {
                        bytes: p.into(),
                        col: 1,
                    },
                );
                words.insert(
                    0,
                    super::argv::Word {
                        bytes: b"--set-counters"[..].into(),
                        col: 1,
                    },
                );
            }
        }
        let exists = |name: &[u8]| table.find(name).is_some();
        let cmd = parse_command_in(&words, family, table.t.kind, lineno, &exists, opts.ipset)
            .map_err(|mut e| {
                // A misspelt user-defined chain: suggest the chains of the table
                // when no target was near.
                if e.message.starts_with("Couldn't load target `")
                    && !e.message.contains("; did you mean")
                {
                    let word = e.message["Couldn't load target `".len()..]
                        .split('\'')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    let names: Vec<&str> = table
                        .t
                        .chains
                        .iter()
                        .filter(|c| !c.is_builtin())
                        .filter_map(|c| core::str::from_utf8(c.name.as_bytes()).ok())
                        .collect();
                    e.message
                        .push_str(&super::suggest::did_you_mean(&word, names, ""));
                }
                e
            })?;
        // A libiptc operation refused: iptables-restore's `line N failed`, exit 1.
        apply(table, cmd).map_err(|m| {
            fail(
                words.first().map(|w| w.col).unwrap_or(1),
                ErrorKind::Parameter,
                m,
            )
            .other()
        })?;
    }
    if current.is_some() {
        return Err(Error::new(
            lineno + 1,
            0,
            ErrorKind::Syntax,
            format!(
                "{}: COMMIT expected at line {}",
                family.restore_program(),
                lineno + 1
            ),
        )
        .other());
    }
    Ok(())
}

/// A table while its block is being restored (libiptc's handle). User
/// chains are kept in the order they were created and sorted by name at
/// `COMMIT` ([`Work::finish`]), so creating a chain costs O(1) whatever the
/// order of the input; `index` finds a chain by name in O(1) and `refs`
/// counts the rules that jump or go to each chain (libiptc's
/// `chain_head.references`), so deleting a chain does not scan the table.
/// Rules are held in a deque per chain (libiptc keeps a list): inserting at
/// the head of a long chain costs O(1), as there.
/// FNV-1a over a chain name (1 to 28 bytes): a few instructions a byte
/// where the default SipHash costs hundreds a lookup, and deterministic.
#[derive(Default, Clone, Copy)]
struct NameHasher(u64);

impl core::hash::Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type NameHash = core::hash::BuildHasherDefault<NameHasher>;

struct Work {
    /// The table, its chains' `rules` left empty until [`Work::finish`].
    t: Table,
    /// Per chain (as `t.chains`): its rules.
    rules: Vec<VecDeque<Rule>>,
    /// Chain name -> position in `t.chains`.
    index: HashMap<Vec<u8>, usize, NameHash>,
    /// Per chain (as `t.chains`): rules whose verdict jumps or goes to it.
    refs: Vec<usize>,
}

impl Work {
    fn new(mut t: Table) -> Work {
        let rules: Vec<VecDeque<Rule>> = t
            .chains
            .iter_mut()
            .map(|c| core::mem::take(&mut c.rules).into())
            .collect();
        let index = t
            .chains
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_bytes().to_vec(), i))
            .collect();
        let mut w = Work {
            refs: vec![0; t.chains.len()],
            t,
            rules,
            index,
        };
        for ci in 0..w.rules.len() {
            for ri in 0..w.rules[ci].len() {
                if let Some(j) = w.target_of(&w.rules[ci][ri]) {
                    w.refs[j] += 1;
                }
            }
        }
        w
    }
    fn find(&self, name: &[u8]) -> Option<usize> {
        self.index.get(name).copied()
    }
    /// The chain a rule jumps or goes to, if any.
    fn target_of(&self, r: &Rule) -> Option<usize> {
        match &r.verdict {
            Verdict::Jump(n) | Verdict::Goto(n) => self.find(n.as_bytes()),
            _ => None,
        }
    }
    /// Counts a rule added to the table.
    fn rule_added(&mut self, r: &Rule) {
        if let Some(j) = self.target_of(r) {
            self.refs[j] += 1;
        }
    }
    /// Uncounts a rule removed from the table.
    fn rule_removed(&mut self, r: &Rule) {
        if let Some(j) = self.target_of(r) {
            self.refs[j] = self.refs[j].saturating_sub(1);
        }
    }
    fn clear_rules(&mut self, ci: usize) {
        let rules = core::mem::take(&mut self.rules[ci]);
        for r in &rules {
            self.rule_removed(r);
        }
    }
    /// Creates an empty user chain (the caller checked it does not exist).
    fn add_user_chain(&mut self, name: ChainName) {
        self.index
            .insert(name.as_bytes().to_vec(), self.t.chains.len());
        self.refs.push(0);
        self.rules.push(VecDeque::new());
        self.t.chains.push(Chain {
            name,
            hook: None,
            policy: None,
            counters: Counters::default(),
            rules: Vec::new(),
        });
    }
    /// Removes a chain by position; the last chain takes its place (the
    /// order of user chains is restored by [`Work::finish`]).
    fn remove_chain(&mut self, i: usize) {
        let c = self.t.chains.swap_remove(i);
        self.refs.swap_remove(i);
        self.rules.swap_remove(i);
        self.index.remove(c.name.as_bytes());
        if let Some(moved) = self.t.chains.get(i) {
            self.index.insert(moved.name.as_bytes().to_vec(), i);
        }
    }
    /// The table in its canonical order: built-in chains in hook order, then
    /// user chains sorted by name bytes (libiptc's order, which
    /// `iptables-save` prints).
    fn finish(self) -> Table {
        let mut t = self.t;
        for (c, rules) in t.chains.iter_mut().zip(self.rules) {
            c.rules = rules.into();
        }
        let builtins = t.kind.hooks().len().min(t.chains.len());
        t.chains[builtins..].sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        t
    }
}

/// A separator of the words of a table or chain line (`strtok(" \t\n")`).
fn is_sep(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n')
}

fn chain_line(
    w: &mut Work,
    rest: &[u8],
    lineno: usize,
    opts: &RestoreOptions,
) -> Result<(), Error> {
    let prog = opts.family.restore_program();
    let fail = |col: usize, msg: String| Error::new(lineno, col, ErrorKind::Syntax, msg);
    let mut toks = rest.split(is_sep).filter(|s| !s.is_empty());
    let Some(name_bytes) = toks.next() else {
        return Err(fail(1, format!("{prog}: line {lineno} chain name invalid")));
    };
    let name = Escaped(name_bytes);
    if name_bytes.len() >= 29 {
        return Err(fail(
            2,
            format!("Invalid chain name `{name}' (28 chars max)"),
        ));
    }
    let existing = w.find(name_bytes);
    let builtin = existing.is_some_and(|i| w.t.chains[i].is_builtin());
    if !builtin {
        match existing {
            Some(i) if opts.noflush => w.clear_rules(i),
            _ => {
                if existing.is_some()
                    || matches!(name_bytes, b"ACCEPT" | b"DROP" | b"QUEUE" | b"RETURN")
                {
                    return Err(fail(
                        2,
                        format!("error creating chain '{name}':File exists"),
                    ));
                }
                let cn = ChainName::new(name_bytes).map_err(|m| fail(2, m.into()))?;
                w.add_user_chain(cn);
            }
        }
    }
    let Some(policy) = toks.next() else {
        return Err(fail(1, format!("{prog}: line {lineno} policy invalid")));
    };
    let policy = bytestr::text(policy);
    if policy != "-" {
        let ctrs = toks.next();
        let parsed = ctrs.map(|c| parse_counters(&bytestr::text(c)));
        // Only with --counters does iptables-restore read them.
        if opts.counters && (ctrs.is_none() || matches!(parsed, Some(None))) {
            return Err(fail(
                1,
                format!("invalid policy counters for chain '{name}'"),
            ));
        }
        let pol = match &*policy {
            "ACCEPT" => Policy::Accept,
            "DROP" => Policy::Drop,
            _ => {
                // `set_policy` failed: xtables_error(OTHER_PROBLEM).
                return Err(fail(
                    1,
                    format!(
                        "Can't set policy `{policy}' on `{name}' line {lineno}: Bad policy name"
                    ),
                )
                .other());
            }
        };
        if !builtin {
            return Err(fail(1, format!("Can't set policy `{policy}' on `{name}' line {lineno}: Bad built-in chain name")).other());
        }
        if w.t.kind == TableKind::Nat && pol == Policy::Drop {
            // libiptc accepts it; the kernel's nat table refuses a DROP policy
            // (nf_nat's table check) and the commit fails.
            return Err(fail(
                1,
                format!("Can't set policy `DROP' on `{name}' line {lineno}: Invalid argument"),
            )
            .other());
        }
        if let Some(c) = existing.map(|i| &mut w.t.chains[i]) {
            c.policy = Some(pol);
            if opts.counters {
                if let Some(Some(cnt)) = parsed {
                    c.counters = cnt;
                }
            }
        }
    }
    Ok(())
}

/// `parse_counters`: `[P:B]`.
fn parse_counters(s: &str) -> Option<Counters> {
    let inner = s.strip_prefix('[')?;
    let (p, rest) = inner.split_once(':')?;
    let b = rest.split(']').next()?;
    let num = |x: &str| {
        let x = x.trim_start();
        let end = x.find(|c: char| !c.is_ascii_digit()).unwrap_or(x.len());
        x[..end].parse::<u64>().ok()
    };
    Some(Counters {
        packets: num(p)?,
        bytes: num(b)?,
    })
}

fn apply(w: &mut Work, cmd: Command) -> Result<(), String> {
    const NOCHAIN: &str = "No chain/target/match by that name.";
    // libiptc's iptcc_map_target: "Can't jump to builtins" (EINVAL), for
    // every command that maps a rule's target (-A, -I, -R, -D, -C).
    let no_builtin_jump = |w: &Work, rules: &[Rule]| -> Result<(), String> {
        if rules
            .iter()
            .any(|r| w.target_of(r).is_some_and(|j| w.t.chains[j].is_builtin()))
        {
            return Err("Invalid argument: jump to a built-in chain".into());
        }
        Ok(())
    };
    match cmd {
        Command::Ignored => {}
        Command::Append(chain, rules) => {
            let ci = w.find(&chain).ok_or(NOCHAIN)?;
            no_builtin_jump(w, &rules)?;
            for r in rules {
                w.rule_added(&r);
                w.rules[ci].push_back(r);
            }
        }
        Command::Insert(chain, n, rules) => {
            let ci = w.find(&chain).ok_or(NOCHAIN)?;
            if n - 1 > w.rules[ci].len() {
                return Err("Index of insertion too big.".into());
            }
            no_builtin_jump(w, &rules)?;
            for (k, r) in rules.into_iter().enumerate() {
                w.rule_added(&r);
                w.rules[ci].insert(n - 1 + k, r);
            }
        }
        Command::Replace(chain, n, mut rules) => {
            let ci = w.find(&chain).ok_or(NOCHAIN)?;
            if n > w.rules[ci].len() {
                return Err("Index of replacement too big.".into());
            }
            no_builtin_jump(w, &rules)?;
            let r = rules.remove(0);
            w.rule_added(&r);
            let old = core::mem::replace(&mut w.rules[ci][n - 1], r);
            w.rule_removed(&old);
        }
        Command::Delete(chain, rules) | Command::Check(chain, rules) => {
            let ci = w.find(&chain).ok_or(NOCHAIN)?;
            no_builtin_jump(w, &rules)?;
            for r in rules {
                let pos = w.rules[ci].iter().position(|x| same_rule(x, &r));
                match pos.and_then(|p| w.rules[ci].remove(p)) {
                    Some(old) => w.rule_removed(&old),
                    None => {
                        return Err("Bad rule (does a matching rule exist in that chain?).".into())
                    }
                }
            }
        }
        Command::DeleteNum(chain, n) => {
            let ci = w.find(&chain).ok_or(NOCHAIN)?;
            if let Some(old) = w.rules[ci].remove(n - 1) {
                w.rule_removed(&old);
            } else {
                return Err("Index of deletion too big.".into());
            }
        }
        Command::NewChain(name) => {
            if w.find(&name).is_some() {
                return Err("Chain already exists.".into());
            }
            w.add_user_chain(ChainName::new(&name)?);
        }
        Command::DeleteChain(None) => {
            // `for_each_chain4`: the user chains in libiptc's (name) order.
            let mut names: Vec<Vec<u8>> =
                w.t.chains
                    .iter()
                    .filter(|c| !c.is_builtin())
                    .map(|c| c.name.as_bytes().to_vec())
                    .collect();
            names.sort_unstable();
            for n in names {
                delete_chain(w, &n)?;
            }
        }
        Command::DeleteChain(Some(n)) => delete_chain(w, &n)?,
        Command::Flush(None) => {
            w.rules.iter_mut().for_each(|r| r.clear());
            w.refs.iter_mut().for_each(|r| *r = 0);
        }
        Command::Flush(Some(n)) => {
            let ci = w.find(&n).ok_or(NOCHAIN)?;
            w.clear_rules(ci);
        }
        Command::Zero(None, _) => {
            for c in w.t.chains.iter_mut() {
                c.counters = Counters::default();
            }
            for rules in w.rules.iter_mut() {
                rules
                    .iter_mut()
                    .for_each(|r| r.counters = Counters::default());
            }
        }
        Command::Zero(Some(n), num) => {
            let ci = w.find(&n).ok_or(NOCHAIN)?;
            let rules = &mut w.rules[ci];
            match num {
                None => {
                    w.t.chains[ci].counters = Counters::default();
                    rules
                        .iter_mut()
                        .for_each(|r| r.counters = Counters::default());
                }
                Some(k) => {
                    let r = rules.get_mut(k - 1).ok_or("Index of counter too big")?;
                    r.counters = Counters::default();
                }
            }
        }
        Command::Policy(chain, policy, counters) => {
            let kind = w.t.kind;
            let ci = w.find(&chain).ok_or("Bad built-in chain name.")?;
            let c = &mut w.t.chains[ci];
            if !c.is_builtin() {
                return Err("Bad built-in chain name.".into());
            }
            let p = match policy.as_str() {
                "ACCEPT" => Policy::Accept,
                "DROP" if kind != TableKind::Nat => Policy::Drop,
                _ => return Err("Bad policy name. Run `dmesg' for more information.".into()),
            };
            c.policy = Some(p);
            if let Some((pk, by)) = counters {
                c.counters = Counters {
                    packets: pk,
                    bytes: by,
                };
            }
        }
        Command::Rename(old, new) => {
            let i = w.find(&old).ok_or(NOCHAIN)?;
            if w.t.chains[i].is_builtin() {
                return Err("Bad built-in chain name.".into());
            }
            if w.find(&new).is_some()
                || matches!(&new[..], b"ACCEPT" | b"DROP" | b"QUEUE" | b"RETURN")
            {
                return Err("File exists.".into());
            }
            let newname = ChainName::new(&new)?;
            // Jumps name their chain: rename them (libiptc's jumps point at
            // the chain, so they follow it). Only when there are any.
            if w.refs[i] > 0 {
                for rules in w.rules.iter_mut() {
                    for r in rules.iter_mut() {
                        match &mut r.verdict {
                            Verdict::Jump(n) | Verdict::Goto(n) if n.as_bytes() == old => {
                                *n = newname.clone()
                            }
                            _ => {}
                        }
                    }
                }
            }
            w.index.remove(&old);
            w.index.insert(new, i);
            w.t.chains[i].name = newname;
        }
    }
    Ok(())
}

/// Rule equality as `-D`/`-C` compare entries (counters excluded).
fn same_rule(a: &Rule, b: &Rule) -> bool {
    let mut x = a.clone();
    x.counters = b.counters;
    &x == b
}

fn delete_chain(w: &mut Work, name: &[u8]) -> Result<(), String> {
    let i = w.find(name).ok_or("No chain/target/match by that name.")?;
    let c = &w.t.chains[i];
    if c.is_builtin() {
        return Err("Can't delete built-in chain".into());
    }
    if w.refs[i] > 0 {
        return Err("Too many links".into());
    }
    if !w.rules[i].is_empty() {
        return Err("Directory not empty".into());
    }
    w.remove_chain(i);
    Ok(())
}

/// The checks made when a table is committed
/// (net/ipv4/netfilter/ip_tables.c `translate_table`): every jump names a
/// user chain, `mark_source_chains` (loops, and the hooks each rule is
/// reachable from), then every extension's `checkentry` with those hooks.
fn commit_check(
    t: &Table,
    nfacct: &[crate::model::ByteStr],
    cttimeout: &crate::model::targets::ct::TimeoutObjects,
) -> Result<(), String> {
    commit_check_at(t, nfacct, cttimeout).map_err(|(_, m)| m)
}

/// [`commit_check`], with the chain and rule (indices) a refused rule is
/// at, when it is one rule's `checkentry` that refused.
fn commit_check_at(
    t: &Table,
    nfacct: &[crate::model::ByteStr],
    cttimeout: &crate::model::targets::ct::TimeoutObjects,
) -> Result<(), (Option<(usize, usize)>, String)> {
    let index: HashMap<&[u8], usize> = t
        .chains
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_bytes(), i))
        .collect();
    // Jump targets resolved once, per rule in table order ([`NO_JUMP`]: no
    // jump; four bytes a rule, as this is built while the whole table is
    // held). (A jump to a built-in chain was refused when its rule was
    // added, as libiptc refuses it; checked again here for tables built
    // otherwise.)
    let mut targets: Vec<Vec<u32>> = Vec::with_capacity(t.chains.len());
    for c in &t.chains {
        let mut v = Vec::with_capacity(c.rules.len());
        for r in &c.rules {
            let j = match &r.verdict {
                Verdict::Jump(n) | Verdict::Goto(n) => index.get(n.as_bytes()).copied(),
                _ => None,
            };
            if j.is_some_and(|j| t.chains[j].is_builtin()) {
                return Err((None, "Invalid argument: jump to a built-in chain".into()));
            }
            v.push(match j {
                None => NO_JUMP,
                // More than four billion chains: not a table any kernel holds.
                Some(j) => u32::try_from(j)
                    .ok()
                    .filter(|&j| j != NO_JUMP)
                    .ok_or((None, "Cannot allocate memory".to_string()))?,
            });
        }
        targets.push(v);
    }
    let reach = mark_source_chains(t, &targets).map_err(|m| (None, m))?;
    for (ci, c) in t.chains.iter().enumerate() {
        for (ri, r) in c.rules.iter().enumerate() {
            // Rules after the point where every walk of the chain stops have
            // `comefrom` 0: their checkentry sees no hook.
            let hooks = if ri < reach[ci].1 { reach[ci].0 } else { 0 };
            let ctx = CheckCtx {
                family: t.family,
                table: t.kind,
                hooks,
                proto: r.proto,
                proto_inv: r.proto_inv,
                tcp_syn_match: r.matches.iter().any(|m| {
                    matches!(m, crate::model::Match::Tcp(t) if t.flg_cmp & 0x02 != 0 && !t.flags_inv)
                }),
                nfacct,
                cttimeout,
            };
            for m in &r.matches {
                m.check(&ctx).map_err(|m| (Some((ci, ri)), m))?;
            }
            if let Verdict::Ext(tg) = &r.verdict {
                tg.check(&ctx).map_err(|m| (Some((ci, ri)), m))?;
            }
        }
    }
    Ok(())
}

/// Why a typed ruleset would not load: where, and iptables' message.
///
/// ```
/// use nfsim::model::{Family, Rule, Ruleset, TableKind};
/// use nfsim::syntax::validate;
/// let mut rs = Ruleset::new(Family::Ipv6);
/// rs.table_mut(TableKind::Filter).chain_mut("FORWARD").unwrap().rules.push(Rule::new().src("192.0.2.0/24".parse().unwrap()));
/// let e = validate(&rs).unwrap_err();
/// assert_eq!((e.table, e.chain.as_deref(), e.rule), (TableKind::Filter, Some(&b"FORWARD"[..]), Some(1)));
/// assert_eq!(e.to_string(), "ip6tables table filter, chain FORWARD, rule 1: host/network `192.0.2.0/24' not found (an address of the other family)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The ruleset's family.
    pub family: Family,
    /// The table.
    pub table: crate::model::TableKind,
    /// The chain, when one rule or chain is at fault.
    pub chain: Option<Vec<u8>>,
    /// The rule's 1-based number in its chain (`iptables -L --line-numbers`).
    pub rule: Option<usize>,
    /// Which check refused it.
    pub kind: ValidationErrorKind,
    /// iptables' (or the kernel's) message.
    pub message: String,
}

/// Which check of [`validate`] refused a ruleset; the message says the rest.
///
/// ```
/// use nfsim::model::{Family, Rule, Ruleset, TableKind, Verdict};
/// use nfsim::syntax::{validate, ValidationErrorKind};
/// let mut rs = Ruleset::new(Family::Ipv4);
/// let pre = rs.table_mut(TableKind::Nat).chain_mut("PREROUTING").unwrap();
/// pre.rules.push(Rule { verdict: Verdict::Drop, ..Rule::default() });
/// assert_eq!(validate(&rs).unwrap_err().kind, ValidationErrorKind::NatDrop);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValidationErrorKind {
    /// A table of the other family in the ruleset.
    TableFamily,
    /// `-s`/`-d` of the other family.
    AddressFamily,
    /// A jump or goto to a chain that does not exist.
    UnknownChain,
    /// A jump or goto to a built-in chain.
    JumpToBuiltin,
    /// `-j DROP` in the nat table (`do_parse`).
    NatDrop,
    /// `! -p all`: the rule would never match.
    NeverMatches,
    /// What iptables refuses while it reads the rule's text: an option's
    /// range, options that exclude or require each other, an extension's
    /// final check.
    RuleText,
    /// A loop of jumps (`mark_source_chains`: `ELOOP`).
    Loop,
    /// An extension's `checkentry` at commit: its protocol, table or hook.
    CheckEntry,
}

impl core::fmt::Display for ValidationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let fam = match self.family {
            Family::Ipv4 => "iptables",
            Family::Ipv6 => "ip6tables",
        };
        write!(f, "{fam} table {}", self.table.name())?;
        if let Some(c) = &self.chain {
            write!(f, ", chain {}", crate::model::bytestr::Escaped(c))?;
        }
        if let Some(r) = self.rule {
            write!(f, ", rule {r}")?;
        }
        write!(f, ": {}", self.message.trim())
    }
}

impl std::error::Error for ValidationError {}

/// Checks a ruleset built in code as iptables and the kernel check what
/// `iptables-restore` loads, so that a typed ruleset iptables would refuse
/// never loads: each table of the ruleset's family; addresses of that
/// family; jumps and gotos to user chains that exist (not to built-in
/// ones); no `DROP` in the nat table (`do_parse`); every check iptables
/// makes while it reads a rule (its iptables-save text read back by the
/// same parser: ranges, options that exclude or require each other, each
/// extension's final check); then the commit checks
/// of the kernel (`translate_table`: loops, the hooks each rule is reached
/// from, every extension's `checkentry` — a protocol match needs its `-p`,
/// targets and matches allowed in their table and hook).
/// [`Host::new`](crate::host::Host::new) runs it.
///
/// # Errors
/// The first problem, with family, table, chain, rule number and
/// iptables' wording.
///
/// ```
/// use nfsim::model::{Family, Match, Rule, Ruleset, TableKind, Verdict};
/// use nfsim::model::matches::tcp::Tcp;
/// use nfsim::syntax::validate;
/// let mut rs = Ruleset::new(Family::Ipv4);
/// let input = rs.table_mut(TableKind::Filter).chain_mut("INPUT").unwrap();
/// input.rules.push(Rule {
///     matches: vec![Match::Tcp(Tcp::default())].into(),
///     verdict: Verdict::Accept,
///     ..Rule::default()
/// });
/// assert_eq!(validate(&rs).unwrap_err().to_string(),
///     "iptables table filter, chain INPUT, rule 1: x_tables: tcp match: only valid for protocol 6");
/// ```
pub fn validate(rs: &crate::model::Ruleset) -> Result<(), ValidationError> {
    validate_with_nfacct(rs, &[])
}

/// [`validate`] in a namespace where these nfacct objects exist
/// (`-m nfacct` needs its object: xt_nfacct.c `nfacct_mt_checkentry`).
/// [`Host::new`](crate::host::Host::new) runs it with
/// [`HostConfig::nfacct`](crate::host::HostConfig::nfacct).
///
/// # Errors
/// As [`validate`].
pub fn validate_with_nfacct(
    rs: &crate::model::Ruleset,
    nfacct: &[crate::model::ByteStr],
) -> Result<(), ValidationError> {
    validate_in(rs, nfacct, &crate::ipset::EMPTY)
}

/// [`validate`] in a namespace where these nfacct objects and ip sets
/// exist ([`HostConfig::nfacct`](crate::host::HostConfig::nfacct),
/// [`HostConfig::ipset`](crate::host::HostConfig::ipset)):
/// [`Host::new`](crate::host::Host::new) runs it.
///
/// # Errors
/// As [`validate`].
pub fn validate_in(
    rs: &crate::model::Ruleset,
    nfacct: &[crate::model::ByteStr],
    ipset: &crate::ipset::Ipsets,
) -> Result<(), ValidationError> {
    validate_objects(rs, nfacct, ipset, &[])
}

/// [`validate_in`] with timeout policies too
/// ([`HostConfig::cttimeout`](crate::host::HostConfig::cttimeout), for
/// `-j CT --timeout`): [`Host::new`](crate::host::Host::new) runs it.
///
/// # Errors
/// As [`validate`].
pub fn validate_objects(
    rs: &crate::model::Ruleset,
    nfacct: &[crate::model::ByteStr],
    ipset: &crate::ipset::Ipsets,
    cttimeout: &crate::model::targets::ct::TimeoutObjects,
) -> Result<(), ValidationError> {
    for t in &rs.tables {
        use ValidationErrorKind as K;
        let err = |chain: Option<&[u8]>,
                   rule: Option<usize>,
                   kind: ValidationErrorKind,
                   message: String| ValidationError {
            family: rs.family,
            table: t.kind,
            chain: chain.map(<[u8]>::to_vec),
            rule,
            kind,
            message,
        };
        if t.family != rs.family {
            return Err(err(
                None,
                None,
                K::TableFamily,
                "a table of the other family".into(),
            ));
        }
        // Chains by name, looked up once per jump (not a walk of the table).
        let index: HashMap<&[u8], &crate::model::Chain> =
            t.chains.iter().map(|c| (c.name.as_bytes(), c)).collect();
        let exists = |n: &[u8]| index.contains_key(n);
        for c in &t.chains {
            for (k, r) in c.rules.iter().enumerate() {
                let at = |kind, m: String| err(Some(c.name.as_bytes()), Some(k + 1), kind, m);
                for a in [&r.src, &r.dst].into_iter().flatten() {
                    if a.family != rs.family {
                        return Err(at(
                            K::AddressFamily,
                            format!(
                                "host/network `{a}' not found (an address of the other family)"
                            ),
                        ));
                    }
                }
                match &r.verdict {
                    Verdict::Jump(n) | Verdict::Goto(n) => match index.get(n.as_bytes()) {
                        None => {
                            return Err(at(K::UnknownChain, format!(
                                "Couldn't load target `{}':No such file or directory",
                                crate::model::bytestr::Escaped(n.as_bytes())
                            )))
                        }
                        Some(j) if j.is_builtin() => {
                            return Err(at(
                                K::JumpToBuiltin,
                                "Invalid argument: jump to a built-in chain".into(),
                            ))
                        }
                        Some(_) => {}
                    },
                    Verdict::Drop if t.kind == crate::model::TableKind::Nat => {
                        return Err(at(
                            K::NatDrop,
                            "The \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited."
                                .into(),
                        ))
                    }
                    _ => {}
                }
                // `! -p all` (do_parse), which the printed text cannot show.
                if r.proto == 0 && r.proto_inv {
                    return Err(at(
                        K::NeverMatches,
                        "rule would never match protocol".into(),
                    ));
                }
                // Every check iptables makes while it reads a rule (option
                // ranges, options that exclude or require each other, each
                // extension's final check): the rule's iptables-save text
                // is read back as iptables reads it.
                let mut line = SaveBuf::default();
                let _ = super::save::write_rule(
                    &mut line,
                    rs.family,
                    c.name.as_bytes(),
                    r,
                    super::save::SaveOptions::default(),
                );
                let words = super::argv::split(line.as_bytes(), 1)
                    .map_err(|e| at(K::RuleText, e.message))?;
                parse_command_in(&words, rs.family, t.kind, 1, &exists, ipset)
                    .map_err(|e| at(K::RuleText, e.message))?;
            }
        }
        commit_check_at(t, nfacct, cttimeout).map_err(|(loc, m)| match loc {
            Some((ci, ri)) => err(
                Some(t.chains[ci].name.as_bytes()),
                Some(ri + 1),
                K::CheckEntry,
                m,
            ),
            // (A jump to a built-in chain was refused rule by rule above.)
            None => err(None, None, K::Loop, m),
        })?;
    }
    Ok(())
}

/// Whether the kernel's walk backtracks at this rule (`mark_source_chains`:
/// "Unconditional return/END": an `unconditional()` entry whose standard
/// verdict is negative, i.e. ACCEPT, DROP, QUEUE or RETURN).
fn ends_walk(r: &Rule) -> bool {
    r.is_unconditional()
        && matches!(
            r.verdict,
            Verdict::Accept | Verdict::Drop | Verdict::Queue | Verdict::Return
        )
}

/// `mark_source_chains` (net/ipv4/netfilter/ip_tables.c), chain by chain
/// and without recursion, as the kernel walks without recursion (it keeps
/// its back pointers in the entries' packet counters): from each hook's
/// chain, follow every jump and goto (both are a jump there) depth-first;
/// a jump to a chain on the current path is a loop (`ELOOP`), a chain
/// already visited from this hook is not walked again, and the walk of a
/// chain stops after its first unconditional ACCEPT/DROP/QUEUE/RETURN
/// (the rules after it are reached from no hook). Linear in the number of
/// rules times the number of hooks.
///
/// Returns per chain the hooks it is reachable from and how many of its
/// rules the walk reaches (a walk of a given chain always stops at the
/// same rule).
/// A rule without a jump in [`mark_source_chains`]' `targets`.
const NO_JUMP: u32 = u32::MAX;

fn mark_source_chains(t: &Table, targets: &[Vec<u32>]) -> Result<Vec<(HookMask, usize)>, String> {
    let n = t.chains.len();
    // Rules reached: up to and including the first rule that ends the walk.
    let reached: Vec<usize> = t
        .chains
        .iter()
        .map(|c| {
            c.rules
                .iter()
                .position(ends_walk)
                .map_or(c.rules.len(), |p| p + 1)
        })
        .collect();
    let mut hooks: Vec<HookMask> = vec![0; n];
    let mut on_path = vec![false; n];
    // (chain, next rule to look at)
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..n {
        let Some(h) = t.chains[start].hook else {
            continue;
        };
        let bit = h.bit();
        hooks[start] |= bit;
        on_path[start] = true;
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (ci, ri) = *top;
            if ri >= reached[ci] {
                on_path[ci] = false;
                stack.pop();
                continue;
            }
            top.1 += 1;
            let j = targets[ci][ri];
            if j == NO_JUMP {
                continue;
            }
            let j = j as usize;
            if on_path[j] {
                return Err("Too many levels of symbolic links".into());
            }
            if hooks[j] & bit != 0 {
                continue;
            }
            hooks[j] |= bit;
            on_path[j] = true;
            stack.push((j, 0));
        }
    }
    Ok(hooks.into_iter().zip(reached).collect())
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    #[test]
    fn find_byte_as_position() {
        let hay: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for n in 0..=255u8 {
            for start in 0..hay.len() {
                let h = &hay[start..];
                assert_eq!(find_byte(h, n), h.iter().position(|&b| b == n));
            }
        }
        // Every placement of the bytes the newline-or-NUL test flags
        // (0, 2, 8, 10) and their neighbours, on both sides of a chunk.
        let bytes = [0u8, 1, 2, 3, 8, 9, 10, 11, b'a', 0x8a, 0xff];
        for len in 0..20 {
            for (x, y) in (0..bytes.len()).flat_map(|x| (0..bytes.len()).map(move |y| (x, y))) {
                for at in 0..len {
                    let mut h = vec![b'a'; len];
                    h[at] = bytes[x];
                    if at + 1 < len {
                        h[at + 1] = bytes[y];
                    }
                    let want = h.iter().position(|&b| b == b'\n' || b == 0);
                    assert_eq!(find_newline_or_nul(&h), want, "{h:?}");
                }
            }
        }
        let lines: Vec<&[u8]> = Lines(b"a\n\nb").collect();
        assert_eq!(lines, [&b"a\n"[..], b"\n", b"b"]);
        assert_eq!(Lines(b"").count(), 0);
        // Cut at a NUL byte, newline included; the next line after it.
        let lines: Vec<&[u8]> = Lines(b"a\0b\nc\0\n\0\nd\0").collect();
        assert_eq!(lines, [&b"a"[..], b"c", b"", b"d"]);
        let long = b"0123456789abcdef0123\0xyz\n0123456789abcdef012\n";
        let lines: Vec<&[u8]> = Lines(long).collect();
        assert_eq!(
            lines,
            [&b"0123456789abcdef0123"[..], b"0123456789abcdef012\n"]
        );
    }
}
