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

-L is printed only with -n: without it iptables looks names up (hosts,
services, protocols) with the machine's resolvers, which nfsim does not model.";

/// `nfsim list` arguments.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// ip6tables instead of iptables.
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// The table (`-t`), `filter` when absent.
    #[arg(short = 't', long = "table", default_value = "filter")]
    table: String,
    /// List the rules as a table (`iptables -L`); needs -n.
    #[arg(
        short = 'L',
        long = "list",
        conflicts_with = "list_rules",
        required_unless_present = "list_rules"
    )]
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
    /// `[CHAIN] FILE`: the chain to list (all when absent), then the
    /// restore file or script (`-` for standard input).
    #[arg(num_args = 1..=2, required = true, value_name = "[CHAIN] FILE")]
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
        let Ok(text) = std::str::from_utf8(&text) else {
            elog!(err, "{name}: a script must be UTF-8 text");
            return Err(ExitCode::from(1));
        };
        let s = match nfsim::syntax::script::parse_script(text) {
            Ok(s) => s,
            Err(e) => {
                elog!(err, "{name}:{}: {}", e.line, e.message.trim_end());
                return Err(ExitCode::from(1));
            }
        };
        let mut failed = false;
        for (line, kind) in &s.lines {
            match kind {
                nfsim::syntax::script::LineKind::Skipped(why) => {
                    elog!(err, "{name}:{line}: skipped: {why}")
                }
                nfsim::syntax::script::LineKind::Failed(e) => {
                    failed = true;
                    elog!(err, "{name}:{line}: {}", e.message.trim_end());
                }
                _ => {}
            }
        }
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
    };
    parse_restore(&text, &opts).map_err(|e| {
        elog!(err, "{name}:{}:{}: {}", e.line, e.col, e.message.trim_end());
        ExitCode::from(e.problem.exit_code())
    })
}

/// Runs `nfsim list`.
pub fn run(a: &ListArgs, w: &mut impl Write, err: &mut dyn Write) -> io::Result<ExitCode> {
    let family = if a.ipv6 { Family::Ipv6 } else { Family::Ipv4 };
    let prog = if a.ipv6 { "ip6tables" } else { "iptables" };
    let (chain, file) = match a.args.as_slice() {
        [f] => (None, f.as_str()),
        [c, f] => (Some(c.as_bytes()), f.as_str()),
        _ => {
            elog!(err, "nfsim list: give [CHAIN] FILE");
            return Ok(ExitCode::from(2));
        }
    };
    let Ok(kind) = a.table.parse::<TableKind>() else {
        // iptables' message (exit status 3, VERSION_PROBLEM).
        elog!(
            err,
            "{prog}: can't initialize {prog} table `{}': Table does not exist (do you need to insmod?)",
            a.table
        );
        return Ok(ExitCode::from(3));
    };
    if a.list && !a.numeric {
        elog!(
            err,
            "nfsim list: -L needs -n: without it {prog} looks up host, service and protocol names with this machine's resolvers, which nfsim does not model"
        );
        return Ok(ExitCode::from(2));
    }
    let rs = match load(a, family, file, err) {
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
        list_rules(table, chain, a.verbose)
    } else {
        list_numeric(
            table,
            chain,
            ListOptions {
                verbose: a.verbose,
                exact: a.exact,
                line_numbers: a.line_numbers,
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
