//! The `iptables-restore` input language (iptables/iptables-restore.c
//! `ios_restore`), applied to a [`Ruleset`] with the checks libiptc and the
//! kernel make when a table is committed.

use super::argv::split;
use super::command::{parse_command, Command};
use super::error::{Error, ErrorKind};
use crate::model::ext::CheckCtx;
use crate::model::{
    ChainName, Counters, Family, HookMask, Policy, Rule, Ruleset, Table, TableKind, Verdict,
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
pub struct RestoreOptions {
    /// `iptables-restore` (IPv4) or `ip6tables-restore` (IPv6).
    pub family: Family,
    /// `--counters`: take `[p:b]` on rules and chain lines.
    pub counters: bool,
    /// `--noflush`: do not flush tables named in the input.
    pub noflush: bool,
}

impl RestoreOptions {
    /// Defaults: no counters, flush.
    pub fn new(family: Family) -> Self {
        RestoreOptions {
            family,
            counters: false,
            noflush: false,
        }
    }
}

/// Parses restore input into a fresh ruleset (what `iptables-save` shows
/// after `iptables-restore FILE` on a host with no tables).
///
/// # Errors
/// Everything iptables-restore rejects, with line, column and message.
///
/// ```
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// use nfsim::model::{Family, TableKind};
/// let rs = parse_restore("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n", &RestoreOptions::new(Family::Ipv4)).unwrap();
/// assert!(rs.table(TableKind::Nat).is_some());
/// assert!(parse_restore("*filter\n", &RestoreOptions::new(Family::Ipv4)).is_err());
/// ```
pub fn parse_restore(input: &str, opts: &RestoreOptions) -> Result<Ruleset, Error> {
    let mut rs = Ruleset::new(opts.family);
    restore_into(&mut rs, input, opts)?;
    Ok(rs)
}

/// Applies restore input to an existing ruleset, table by table, as the
/// kernel commits them: a table whose block fails leaves the ruleset as it
/// was before that block (earlier committed tables stay).
pub fn restore_into(rs: &mut Ruleset, input: &str, opts: &RestoreOptions) -> Result<(), Error> {
    let family = opts.family;
    let mut current: Option<Table> = None;
    let mut lineno = 0;
    for raw in input.split_inclusive('\n') {
        lineno += 1;
        if raw.starts_with('\n') {
            continue;
        }
        if raw.starts_with('#') {
            continue;
        }
        let fail = |col: usize, kind: ErrorKind, msg: String| Error::new(lineno, col, kind, msg);
        if raw == "COMMIT\n" && current.is_some() {
            let mut t = current
                .take()
                .ok_or_else(|| fail(1, ErrorKind::Syntax, "internal".into()))?;
            commit_check(&mut t).map_err(|m| fail(0, ErrorKind::Kernel, m))?;
            // Commit: replace or create the table, keeping print order.
            if let Some(i) = rs.tables.iter().position(|x| x.kind == t.kind) {
                rs.tables[i] = t;
            } else {
                rs.tables.insert(0, t);
            }
            continue;
        }
        if raw.starts_with('*') && current.is_none() {
            let name = raw[1..].split([' ', '\t', '\n']).find(|s| !s.is_empty());
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
            let kind: TableKind = name.parse().map_err(|_| {
                fail(2, ErrorKind::Syntax, format!("can't initialize iptables table `{name}': Table does not exist (do you need to insmod?)"))
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
            current = Some(t);
            continue;
        }
        let Some(table) = current.as_mut() else {
            return Err(fail(
                1,
                ErrorKind::Syntax,
                format!("{}: line {lineno} failed", family.restore_program()),
            ));
        };
        if let Some(rest) = raw.strip_prefix(':') {
            chain_line(table, rest, lineno, opts)?;
            continue;
        }
        // A rule or command line.
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let (body, offset, counters) = if line.starts_with('[') {
            let close = line
                .find(']')
                .ok_or_else(|| fail(1, ErrorKind::Syntax, format!("Bad line {lineno}: need ]")))?;
            let inner = &line[1..close];
            let (p, b) = inner
                .split_once(':')
                .ok_or_else(|| fail(1, ErrorKind::Syntax, format!("Bad line {lineno}: need :")))?;
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
                Some((p.to_string(), b.to_string())),
            )
        } else {
            (line, 0, None)
        };
        let mut words = split(body, lineno)?;
        for w in words.iter_mut() {
            w.col += offset;
        }
        if opts.counters {
            if let Some((p, b)) = counters {
                words.insert(0, super::argv::Word { text: b, col: 1 });
                words.insert(0, super::argv::Word { text: p, col: 1 });
                words.insert(
                    0,
                    super::argv::Word {
                        text: "--set-counters".into(),
                        col: 1,
                    },
                );
            }
        }
        let exists = |name: &str| table.chain(name).is_some();
        let cmd = parse_command(&words, family, table.kind, lineno, &exists)?;
        apply(table, cmd, opts).map_err(|m| {
            fail(
                words.first().map(|w| w.col).unwrap_or(1),
                ErrorKind::Parameter,
                m,
            )
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
        ));
    }
    Ok(())
}

fn chain_line(
    table: &mut Table,
    rest: &str,
    lineno: usize,
    opts: &RestoreOptions,
) -> Result<(), Error> {
    let prog = opts.family.restore_program();
    let fail = |col: usize, msg: String| Error::new(lineno, col, ErrorKind::Syntax, msg);
    let mut toks = rest.split([' ', '\t', '\n']).filter(|s| !s.is_empty());
    let Some(name) = toks.next() else {
        return Err(fail(1, format!("{prog}: line {lineno} chain name invalid")));
    };
    if name.len() >= 29 {
        return Err(fail(
            2,
            format!("Invalid chain name `{name}' (28 chars max)"),
        ));
    }
    let builtin = table.chain(name).is_some_and(|c| c.is_builtin());
    if !builtin {
        if table.chain(name).is_some() && opts.noflush {
            if let Some(c) = table.chain_mut(name) {
                c.rules.clear();
            }
        } else {
            if table.chain(name).is_some() || matches!(name, "ACCEPT" | "DROP" | "QUEUE" | "RETURN")
            {
                return Err(fail(
                    2,
                    format!("error creating chain '{name}':File exists"),
                ));
            }
            let cn = ChainName::new(name).map_err(|m| fail(2, m))?;
            table.add_user_chain(cn);
        }
    }
    let Some(policy) = toks.next() else {
        return Err(fail(1, format!("{prog}: line {lineno} policy invalid")));
    };
    if policy != "-" {
        let ctrs = toks.next();
        let parsed = ctrs.map(parse_counters);
        if (ctrs.is_none() && opts.counters) || matches!(parsed, Some(None)) {
            return Err(fail(
                1,
                format!("invalid policy counters for chain '{name}'"),
            ));
        }
        let pol = match policy {
            "ACCEPT" => Policy::Accept,
            "DROP" => Policy::Drop,
            _ => {
                return Err(fail(
                    1,
                    format!(
                        "Can't set policy `{policy}' on `{name}' line {lineno}: Bad policy name"
                    ),
                ))
            }
        };
        if !builtin {
            return Err(fail(1, format!("Can't set policy `{policy}' on `{name}' line {lineno}: Bad built-in chain name")));
        }
        if table.kind == TableKind::Nat && pol == Policy::Drop {
            // libiptc accepts it; the kernel's nat table refuses a DROP policy
            // (nf_nat's table check) and the commit fails.
            return Err(fail(
                1,
                format!("Can't set policy `DROP' on `{name}' line {lineno}: Invalid argument"),
            ));
        }
        if let Some(c) = table.chain_mut(name) {
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

fn apply(t: &mut Table, cmd: Command, opts: &RestoreOptions) -> Result<(), String> {
    const NOCHAIN: &str = "No chain/target/match by that name.";
    match cmd {
        Command::Ignored => {}
        Command::Append(chain, rules) => {
            let c = t.chain_mut(&chain).ok_or(NOCHAIN)?;
            for mut r in rules {
                if !opts.counters {
                    r.counters = Counters::default();
                }
                c.rules.push(r);
            }
        }
        Command::Insert(chain, n, rules) => {
            let c = t.chain_mut(&chain).ok_or(NOCHAIN)?;
            if n - 1 > c.rules.len() {
                return Err("Index of insertion too big.".into());
            }
            for (k, mut r) in rules.into_iter().enumerate() {
                if !opts.counters {
                    r.counters = Counters::default();
                }
                c.rules.insert(n - 1 + k, r);
            }
        }
        Command::Replace(chain, n, mut rules) => {
            let c = t.chain_mut(&chain).ok_or(NOCHAIN)?;
            if n > c.rules.len() {
                return Err("Index of replacement too big.".into());
            }
            let mut r = rules.remove(0);
            if !opts.counters {
                r.counters = Counters::default();
            }
            c.rules[n - 1] = r;
        }
        Command::Delete(chain, rules) | Command::Check(chain, rules) => {
            let c = t.chain_mut(&chain).ok_or(NOCHAIN)?;
            for r in rules {
                let pos = c.rules.iter().position(|x| same_rule(x, &r));
                match pos {
                    Some(p) => {
                        c.rules.remove(p);
                    }
                    None => {
                        return Err("Bad rule (does a matching rule exist in that chain?).".into())
                    }
                }
            }
        }
        Command::DeleteNum(chain, n) => {
            let c = t.chain_mut(&chain).ok_or(NOCHAIN)?;
            if n > c.rules.len() {
                return Err("Index of deletion too big.".into());
            }
            c.rules.remove(n - 1);
        }
        Command::NewChain(name) => {
            if t.chain(&name).is_some() {
                return Err("Chain already exists.".into());
            }
            t.add_user_chain(ChainName::new(&name)?);
        }
        Command::DeleteChain(None) => {
            let names: Vec<String> = t
                .chains
                .iter()
                .filter(|c| !c.is_builtin())
                .map(|c| c.name.to_string())
                .collect();
            for n in names {
                delete_chain(t, &n)?;
            }
        }
        Command::DeleteChain(Some(n)) => delete_chain(t, &n)?,
        Command::Flush(None) => t.chains.iter_mut().for_each(|c| c.rules.clear()),
        Command::Flush(Some(n)) => t.chain_mut(&n).ok_or(NOCHAIN)?.rules.clear(),
        Command::Zero(None, _) => {
            for c in t.chains.iter_mut() {
                c.counters = Counters::default();
                c.rules
                    .iter_mut()
                    .for_each(|r| r.counters = Counters::default());
            }
        }
        Command::Zero(Some(n), num) => {
            let c = t.chain_mut(&n).ok_or(NOCHAIN)?;
            match num {
                None => {
                    c.counters = Counters::default();
                    c.rules
                        .iter_mut()
                        .for_each(|r| r.counters = Counters::default());
                }
                Some(k) => {
                    let r = c.rules.get_mut(k - 1).ok_or("Index of counter too big")?;
                    r.counters = Counters::default();
                }
            }
        }
        Command::Policy(chain, policy, counters) => {
            let kind = t.kind;
            let c = t.chain_mut(&chain).ok_or("Bad built-in chain name.")?;
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
            let c = t.chain(&old).ok_or(NOCHAIN)?;
            if c.is_builtin() {
                return Err("Bad built-in chain name.".into());
            }
            if t.chain(&new).is_some()
                || matches!(new.as_str(), "ACCEPT" | "DROP" | "QUEUE" | "RETURN")
            {
                return Err("File exists.".into());
            }
            let newname = ChainName::new(&new)?;
            let i = t.chain_index(&old).ok_or(NOCHAIN)?;
            let mut ch = t.chains.remove(i);
            ch.name = newname.clone();
            for c in t.chains.iter_mut() {
                for r in c.rules.iter_mut() {
                    match &mut r.verdict {
                        Verdict::Jump(n) | Verdict::Goto(n) if n.as_str() == old => {
                            *n = newname.clone()
                        }
                        _ => {}
                    }
                }
            }
            // Rules inside the renamed chain may jump to itself.
            for r in ch.rules.iter_mut() {
                match &mut r.verdict {
                    Verdict::Jump(n) | Verdict::Goto(n) if n.as_str() == old => {
                        *n = newname.clone()
                    }
                    _ => {}
                }
            }
            let rules = core::mem::take(&mut ch.rules);
            t.add_user_chain(newname.clone());
            if let Some(c) = t.chain_mut(newname.as_str()) {
                c.rules = rules;
            }
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

fn delete_chain(t: &mut Table, name: &str) -> Result<(), String> {
    let c = t.chain(name).ok_or("No chain/target/match by that name.")?;
    if c.is_builtin() {
        return Err("Can't delete built-in chain".into());
    }
    if t.references(name) > 0 {
        return Err("Too many links".into());
    }
    if !c.rules.is_empty() {
        return Err("Directory not empty".into());
    }
    let i = t
        .chain_index(name)
        .ok_or("No chain/target/match by that name.")?;
    t.chains.remove(i);
    Ok(())
}

/// The checks made when a table is committed: the kernel's
/// `mark_source_chains` (loops, via jumps and gotos) and every extension's
/// `checkentry` with the hooks its chain is reachable from
/// (net/ipv4/netfilter/ip_tables.c `translate_table`).
fn commit_check(t: &mut Table) -> Result<(), String> {
    let n = t.chains.len();
    let mut hooks: Vec<HookMask> = vec![0; n];
    // DFS from each built-in chain, with an on-path set for loop detection.
    for start in 0..n {
        let Some(h) = t.chains[start].hook else {
            continue;
        };
        let mut on_path = vec![false; n];
        visit(t, start, h.bit(), &mut hooks, &mut on_path)?;
    }
    for (ci, c) in t.chains.iter().enumerate() {
        for r in &c.rules {
            let ctx = CheckCtx {
                family: t.family,
                table: t.kind,
                hooks: hooks[ci],
                proto: r.proto,
                proto_inv: r.proto_inv,
            };
            for m in &r.matches {
                m.check(&ctx)?;
            }
            if let Verdict::Ext(tg) = &r.verdict {
                tg.check(&ctx)?;
            }
        }
    }
    Ok(())
}

fn visit(
    t: &Table,
    ci: usize,
    bit: HookMask,
    hooks: &mut [HookMask],
    on_path: &mut [bool],
) -> Result<(), String> {
    if on_path[ci] {
        return Err("Too many levels of symbolic links".into());
    }
    if hooks[ci] & bit != 0 {
        return Ok(());
    }
    hooks[ci] |= bit;
    on_path[ci] = true;
    for r in &t.chains[ci].rules {
        if let Verdict::Jump(name) | Verdict::Goto(name) = &r.verdict {
            let Some(j) = t.chain_index(name.as_str()) else {
                continue;
            };
            if t.chains[j].is_builtin() {
                return Err("Invalid argument: jump to a built-in chain".into());
            }
            visit(t, j, bit, hooks, on_path)?;
        }
    }
    on_path[ci] = false;
    Ok(())
}
