//! `nfsim list`: what `iptables -t TABLE -L -n` / `-S` print after
//! `iptables-restore FILE` (or after running a script of iptables
//! commands), byte for byte (`nfsim::syntax::list`).

use std::io::{self, Write};
use std::process::ExitCode;

use nfsim::model::{Family, Ruleset, Table, TableKind};
use nfsim::syntax::list::{list_numeric, list_rules, ListError, ListOptions};
use nfsim::syntax::{parse_restore, RestoreOptions};

/// Examples shown by `nfsim list --help`.
pub const EXAMPLES: &str = "\
Examples:
  nfsim list -L -n rules.v4                    iptables -L -n after iptables-restore rules.v4
  nfsim list -t nat -L -n -v --line-numbers rules.v4
  nfsim list -L INPUT -n -v -x rules.v4        one chain, exact counters
  nfsim list -c -L -n -v rules.v4              counters from the file's [packets:bytes]
  nfsim list -S rules.v4                       iptables -S
  nfsim list -6 -S FORWARD rules.v6            ip6tables -S FORWARD
  nfsim list --script -L -n firewall.sh        a script of iptables commands
  nfsim list firewall.sh                       what the script's own `iptables -L -n`
                                               and `-S` lines print, where they stand

-L is printed only with -n: without it iptables looks names up (hosts,
services, protocols) with the machine's resolvers, which nfsim does not model.";

/// `nfsim list` arguments. Without -L and -S, FILE must be a script of
/// iptables commands: its own `iptables -L`/`-S` lines are printed, each
/// with the ruleset as it stands at that line.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// ip6tables instead of iptables.
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// The table (`-t`), `filter` when absent.
    #[arg(short = 't', long = "table", default_value = "filter")]
    table: String,
    /// List the rules as a table (`iptables -L`); needs -n.
    #[arg(short = 'L', long = "list", conflicts_with = "list_rules")]
    list: bool,
    /// List the rules as commands (`iptables -S`).
    #[arg(short = 'S', long = "list-rules")]
    list_rules: bool,
    /// Numeric output (`-n`): addresses, ports and protocols as numbers.
    #[arg(short = 'n', long = "numeric")]
    numeric: bool,
    /// Verbose (`-v`): counters and interfaces with -L, `-c` counters with -S.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Exact counters (`-x`) instead of K, M, G.
    #[arg(short = 'x', long = "exact")]
    exact: bool,
    /// Rule numbers (`--line-numbers`).
    #[arg(long = "line-numbers")]
    line_numbers: bool,
    /// Restore the file's `[packets:bytes]` counters (`iptables-restore -c`);
    /// counters are zero otherwise, as after `iptables-restore FILE`.
    #[arg(short = 'c', long = "counters")]
    counters: bool,
    /// Read FILE as a script of iptables commands (detected from the content otherwise).
    #[arg(long, conflicts_with = "restore")]
    script: bool,
    /// Read FILE as iptables-restore input (detected otherwise).
    #[arg(long)]
    restore: bool,
    /// The ip sets that exist: `ipset save` output (read as `ipset
    /// restore` reads it), for rules with `-m set` or `-j SET`.
    #[arg(long = "ipset", value_name = "FILE")]
    ipset: Option<String>,
    /// `[CHAIN [RULENUM]] FILE`: the chain to list (all when absent) and
    /// one rule of it, then the restore file or script (`-` for standard
    /// input).
    #[arg(num_args = 1..=3, required = true, value_name = "[CHAIN [RULENUM]] FILE")]
    args: Vec<String>,
}

macro_rules! elog {
    ($e:expr, $($t:tt)*) => {{
        let _ = writeln!($e, $($t)*);
    }};
}

/// Reads the ruleset of `family` from a restore file or a script; errors
/// are reported as `nfsim save` reports them.
fn load(
    a: &ListArgs,
    family: Family,
    file: &str,
    sets: &nfsim::ipset::Ipsets,
    err: &mut dyn Write,
) -> Result<Ruleset, ExitCode> {
    let (name, text) = match super::read_input(&Some(file.to_string())) {
        Ok(x) => x,
        Err(e) => {
            elog!(err, "nfsim: {e}");
            return Err(ExitCode::from(1));
        }
    };
    let as_script = a.script
        || (!a.restore
            && std::str::from_utf8(&text).is_ok_and(nfsim::syntax::script::looks_like_script));
    if as_script {
        let (s, failed) = super::read_script(&name, &text, &[], sets, err)?;
        if failed {
            return Err(ExitCode::from(1));
        }
        return Ok(match family {
            Family::Ipv4 => s.v4,
            Family::Ipv6 => s.v6,
        });
    }
    let opts = RestoreOptions {
        counters: a.counters,
        ..RestoreOptions::new(family)
    }
    .with_ipset(sets);
    parse_restore(&text, &opts).map_err(|e| {
        elog!(err, "{name}:{}:{}: {}", e.line, e.col, e.message.trim_end());
        ExitCode::from(e.problem.exit_code())
    })
}

/// Runs `nfsim list`.
pub fn run(a: &ListArgs, w: &mut impl Write, err: &mut dyn Write) -> io::Result<ExitCode> {
    let family = if a.ipv6 { Family::Ipv6 } else { Family::Ipv4 };
    let prog = if a.ipv6 { "ip6tables" } else { "iptables" };
    let (chain, num, file) = match a.args.as_slice() {
        [f] => (None, None, f.as_str()),
        [c, f] => (Some(c.as_bytes()), None, f.as_str()),
        [c, n, f] => (Some(c.as_bytes()), Some(n.as_str()), f.as_str()),
        _ => {
            elog!(err, "nfsim list: give [CHAIN [RULENUM]] FILE");
            return Ok(ExitCode::from(2));
        }
    };
    // do_parse: a rule number is a positive integer.
    let rulenum = match num.map(|n| (n, n.parse::<usize>())) {
        None => None,
        Some((_, Ok(k))) if k > 0 => Some(k),
        Some((n, _)) => {
            elog!(err, "{prog}: Invalid rule number `{n}'");
            return Ok(ExitCode::from(2));
        }
    };
    // generic_opt_check: -S takes none of -n, -x, --line-numbers (checked
    // in iptables' option order; --line-numbers is option `0').
    if a.list_rules {
        for (on, opt) in [(a.numeric, "-n"), (a.exact, "-x"), (a.line_numbers, "-0")] {
            if on {
                elog!(err, "{prog}: Illegal option `{opt}' with this command");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let Ok(kind) = a.table.parse::<TableKind>() else {
        // iptables' message (exit status 3, VERSION_PROBLEM).
        elog!(
            err,
            "{prog}: can't initialize {prog} table `{}': Table does not exist (do you need to insmod?)",
            a.table
        );
        return Ok(ExitCode::from(3));
    };
    if !a.list && !a.list_rules {
        return script_queries(a, chain, num, file, w, err);
    }
    if a.list && !a.numeric {
        elog!(
            err,
            "nfsim list: -L needs -n: without it {prog} looks up host, service and protocol names with this machine's resolvers, which nfsim does not model"
        );
        return Ok(ExitCode::from(2));
    }
    let sets = match a.ipset.as_deref().map(super::read_ipset).transpose() {
        Ok(s) => s.map(|x| x.1).unwrap_or_default(),
        Err(e) => {
            elog!(err, "nfsim: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let rs = match load(a, family, file, &sets, err) {
        Ok(rs) => rs,
        Err(code) => return Ok(code),
    };
    // A table the input did not create exists empty once listed, as the
    // kernel instantiates it on first use.
    let empty;
    let table = match rs.table(kind) {
        Some(t) => t,
        None => {
            empty = Table::new(kind, family);
            &empty
        }
    };
    let out = if a.list_rules {
        list_rules(table, chain, a.verbose, rulenum)
    } else {
        list_numeric(
            table,
            chain,
            ListOptions {
                verbose: a.verbose,
                exact: a.exact,
                line_numbers: a.line_numbers,
                rulenum,
            },
        )
    };
    match out {
        Ok(b) => {
            w.write_all(&b)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ ListError::NoChain) => {
            elog!(err, "{prog}: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            elog!(err, "nfsim list: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// A listing asked for by a script line: `iptables [-t T] -L|-S [CHAIN]
/// [-n] [-v] [-x] [--line-numbers]` (short options may be clustered, as
/// in `-nvL`).
#[derive(Debug, Default)]
struct Query {
    table: String,
    list: bool,
    rules: bool,
    chain: Option<String>,
    numeric: bool,
    verbose: bool,
    exact: bool,
    line_numbers: bool,
}

/// Reads a query's words (after the program name) as iptables' getopt
/// would for these options; anything else is refused with a reason.
fn parse_query(words: &[String]) -> Result<Query, String> {
    let mut q = Query {
        table: "filter".into(),
        ..Query::default()
    };
    let mut i = 0;
    // An optional argument of -L/-S: the next word when it is not an option.
    let chain_arg = |i: &mut usize| -> Option<String> {
        let next = words.get(*i + 1)?;
        if next.starts_with('-') || next.starts_with('!') {
            return None;
        }
        *i += 1;
        Some(next.clone())
    };
    while i < words.len() {
        let a = words[i].as_str();
        match a {
            "-t" | "--table" => {
                i += 1;
                q.table = words.get(i).cloned().ok_or("-t needs a table")?;
            }
            _ if a.starts_with("--table=") => q.table = a["--table=".len()..].to_string(),
            "-w" | "--wait" => {
                if words.get(i + 1).is_some_and(|n| n.parse::<u32>().is_ok()) {
                    i += 1;
                }
            }
            "-W" | "--wait-interval" => i += 1,
            "-L" | "--list" => {
                q.list = true;
                q.chain = chain_arg(&mut i);
            }
            "-S" | "--list-rules" => {
                q.rules = true;
                q.chain = chain_arg(&mut i);
            }
            "-n" | "--numeric" => q.numeric = true,
            "-v" | "--verbose" => q.verbose = true,
            "-x" | "--exact" => q.exact = true,
            "--line-numbers" => q.line_numbers = true,
            "-4" | "--ipv4" | "-6" | "--ipv6" => {}
            "-C" | "--check" => return Err("-C (check) prints nothing to list".into()),
            _ if a.starts_with('-') && !a.starts_with("--") && a.len() > 2 => {
                let cs: Vec<char> = a[1..].chars().collect();
                for (k, c) in cs.iter().enumerate() {
                    let last = k + 1 == cs.len();
                    match c {
                        'n' => q.numeric = true,
                        'v' => q.verbose = true,
                        'x' => q.exact = true,
                        'L' | 'S' => {
                            if *c == 'L' {
                                q.list = true;
                            } else {
                                q.rules = true;
                            }
                            if last {
                                q.chain = chain_arg(&mut i);
                            }
                        }
                        't' if last => {
                            i += 1;
                            q.table = words.get(i).cloned().ok_or("-t needs a table")?;
                        }
                        't' => {
                            q.table = cs[k + 1..].iter().collect();
                            break;
                        }
                        _ => return Err(format!("option -{c} in a listing")),
                    }
                }
            }
            _ if a.starts_with("-t") && !a.starts_with("--") => q.table = a[2..].to_string(),
            _ => return Err(format!("`{a}' in a listing")),
        }
        i += 1;
    }
    if q.list == q.rules {
        return Err("a listing needs one of -L and -S".into());
    }
    Ok(q)
}

/// `nfsim list SCRIPT` without -L/-S: each `iptables -L`/`-S` line of the
/// script printed as iptables prints it when the script runs, with the
/// ruleset as the lines before it left it.
fn script_queries(
    a: &ListArgs,
    chain: Option<&[u8]>,
    num: Option<&str>,
    file: &str,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    if chain.is_some() || num.is_some() || a.restore {
        elog!(
            err,
            "nfsim list: give -L or -S (without them FILE must be a script, and it lists what its own -L/-S lines print)"
        );
        return Ok(ExitCode::from(2));
    }
    let (name, text) = match super::read_input(&Some(file.to_string())) {
        Ok(x) => x,
        Err(e) => {
            elog!(err, "nfsim: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let Ok(text) = String::from_utf8(text) else {
        elog!(err, "{name}: a script must be UTF-8 text");
        return Ok(ExitCode::from(1));
    };
    if !a.script && !nfsim::syntax::script::looks_like_script(&text) {
        elog!(
            err,
            "nfsim list: {name} is iptables-restore input: give -L or -S (only a script lists its own -L/-S lines)"
        );
        return Ok(ExitCode::from(2));
    }
    let s = match nfsim::syntax::script::parse_script(&text) {
        Ok(s) => s,
        Err(e) => {
            elog!(err, "{name}:{}: {}", e.line, e.message.trim_end());
            return Ok(ExitCode::from(1));
        }
    };
    let mut failed = false;
    let mut queries = 0;
    for (line, kind) in &s.lines {
        let nfsim::syntax::script::LineKind::Query(family, words) = kind else {
            if let nfsim::syntax::script::LineKind::Failed(e) = kind {
                failed = true;
                elog!(err, "{name}:{line}: {}", e.message.trim_end());
            }
            continue;
        };
        queries += 1;
        let prog = match family {
            Family::Ipv4 => "iptables",
            Family::Ipv6 => "ip6tables",
        };
        let q = match parse_query(words) {
            Ok(q) => q,
            Err(why) => {
                failed = true;
                elog!(err, "{name}:{line}: nfsim list: not listed: {why}");
                continue;
            }
        };
        if q.list && !q.numeric {
            failed = true;
            elog!(
                err,
                "{name}:{line}: nfsim list: -L without -n is not listed: {prog} would look names up with this machine's resolvers"
            );
            continue;
        }
        // The ruleset the lines before this one left.
        let before: String = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .collect();
        let rs = match nfsim::syntax::script::parse_script(&before) {
            Ok(p) => match family {
                Family::Ipv4 => p.v4,
                Family::Ipv6 => p.v6,
            },
            Err(e) => {
                failed = true;
                elog!(err, "{name}:{}: {}", e.line, e.message.trim_end());
                continue;
            }
        };
        let Ok(kind) = q.table.parse::<TableKind>() else {
            failed = true;
            elog!(
                err,
                "{name}:{line}: {prog}: can't initialize {prog} table `{}': Table does not exist (do you need to insmod?)",
                q.table
            );
            continue;
        };
        let empty;
        let table = match rs.table(kind) {
            Some(t) => t,
            None => {
                empty = Table::new(kind, *family);
                &empty
            }
        };
        let chain = q.chain.as_deref().map(str::as_bytes);
        let out = if q.rules {
            list_rules(table, chain, q.verbose, None)
        } else {
            list_numeric(
                table,
                chain,
                ListOptions {
                    verbose: q.verbose,
                    exact: q.exact,
                    line_numbers: q.line_numbers,
                    rulenum: None,
                },
            )
        };
        match out {
            Ok(b) => w.write_all(&b)?,
            Err(e @ ListError::NoChain) => {
                failed = true;
                elog!(err, "{name}:{line}: {prog}: {e}");
            }
            Err(e) => {
                failed = true;
                elog!(err, "{name}:{line}: nfsim list: {e}");
            }
        }
    }
    if queries == 0 {
        elog!(
            err,
            "nfsim list: {name} has no iptables -L or -S line: give -L or -S to list its ruleset"
        );
        return Ok(ExitCode::from(2));
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
