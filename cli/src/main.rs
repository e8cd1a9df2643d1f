//! The `nfsim` command.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nfsim::model::Family;
use nfsim::syntax::{parse_restore_reader, save_bytes, save_to, RestoreOptions, SaveOptions};

mod jsonpos;
mod list;
mod run;
mod scenario;
mod trace;

/// Writes one line to the error stream `$e`, ignoring failures: a closed
/// standard error (`2>&1 | head`) must not crash the command either.
macro_rules! elog {
    ($e:expr, $($t:tt)*) => {{
        let _ = writeln!($e, $($t)*);
    }};
}

/// The command line (`pub(crate)` so that the `cli` fuzz target and its
/// test twin, which include this file as a module, can drive it).
#[derive(Parser)]
#[command(
    name = "nfsim",
    version,
    about = "A packet-for-packet model of Linux netfilter"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read iptables-restore input and print what iptables-save would print after restoring it.
    ///
    /// Exit status as iptables-restore's: 0 when restored, 2 for a parameter
    /// problem (an option, argument or restore line iptables rejects while
    /// parsing), 1 for any other failure (a libiptc operation or the
    /// kernel's commit refused, unreadable input).
    #[command(after_help = SAVE_EXAMPLES)]
    Save {
        /// ip6tables instead of iptables.
        #[arg(short = '6', long = "ipv6")]
        ipv6: bool,
        /// Restore and print counters (`iptables-restore -c`, `iptables-save -c`).
        #[arg(short = 'c', long = "counters")]
        counters: bool,
        /// Read FILE as a script of iptables commands (detected from the
        /// content otherwise).
        #[arg(long, conflicts_with = "restore")]
        script: bool,
        /// Read FILE as iptables-restore input (detected otherwise).
        #[arg(long)]
        restore: bool,
        /// An nfacct object that exists (`nfacct add NAME`), for
        /// `-m nfacct --nfacct-name NAME` (repeatable).
        #[arg(long = "nfacct", value_name = "NAME")]
        nfacct: Vec<String>,
        /// A conntrack timeout policy that exists, as the words after
        /// `nfct add timeout` (`'u1 inet udp unreplied 10'`), for `-j CT
        /// --timeout NAME` (repeatable).
        #[arg(long = "cttimeout", value_name = "POLICY")]
        cttimeout: Vec<String>,
        /// The ip sets that exist: `ipset save` output (read as `ipset
        /// restore` reads it), for `-m set --match-set NAME`.
        #[arg(long = "ipset", value_name = "FILE")]
        ipset: Option<String>,
        /// Only parse and check, print nothing (`iptables-restore --test`):
        /// the exit status and errors are those of a full run.
        #[arg(short = 't', long = "test")]
        test: bool,
        /// The restore file or iptables script (standard input when absent or `-`).
        file: Option<String>,
    },
    /// Replay a reference trace file (nfsim-trace/1) and print one JSON object per packet.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay {
        /// The trace file.
        file: String,
        /// Compare with the file's `expect` fields and print agreement instead.
        #[arg(long)]
        check: bool,
        /// The host's ip sets (`ipset save` output) instead of the trace's
        /// `host.ipset`.
        #[arg(long = "ipset", value_name = "FILE")]
        ipset: Option<String>,
    },
    /// Ask what the host does with packets described in one line, and why:
    /// the rules each met, the verdict and what decided it, LOG lines,
    /// conntrack, what left the host.
    #[command(after_help = trace::EXAMPLES)]
    Trace(trace::TraceArgs),
    /// Run a scenario (the kernel recorder's TOML format) or a capture
    /// through one host: each packet answered as `trace` answers it, or
    /// checked against the kernel's recording or the scenario's `expect`.
    #[command(after_help = run::EXAMPLES)]
    Run(run::RunArgs),
    /// Print what `iptables -L -n` or `iptables -S` (same flags) prints after
    /// `iptables-restore FILE`, byte for byte.
    #[command(after_help = list::EXAMPLES)]
    List(list::ListArgs),
    /// Time the packet path: replay a trace's packets N times on one host
    /// (nothing printed per packet) and print packets per second.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench {
        /// The trace file.
        file: String,
        /// How many rounds (round r shifts packet times by r * (last at_ms + 1000)).
        #[arg(long, default_value_t = 1)]
        repeat: u32,
    },
}

const SAVE_EXAMPLES: &str = "\
Examples:
  nfsim save rules.v4                  iptables-save after iptables-restore rules.v4
  nfsim save -c rules.v4               keep the file's [packets:bytes] counters
  nfsim save -6 rules.v6               ip6tables
  nfsim save firewall.sh               a script of iptables commands (detected)
  nfsim save --script - < firewall.sh  standard input, read as a script";

const REPLAY_EXAMPLES: &str = "\
Examples:
  nfsim replay tests/traces/nat-dnat-portforward.json           one JSON object per packet
  nfsim replay --check tests/traces/nat-dnat-portforward.json   compare with the kernel's records";

const BENCH_EXAMPLES: &str = "\
Examples:
  nfsim bench tests/traces/nat-dnat-portforward.json
  nfsim bench --repeat 1000 tests/traces/nat-dnat-portforward.json";

#[derive(serde::Serialize)]
struct Line<'a> {
    i: usize,
    trace: &'a [String],
    local: bool,
    emitted: &'a [nfsim::replay::EmittedSpec],
    conntrack: &'a [nfsim::replay::CtSpec],
    log: &'a [String],
}

fn replay_cmd(
    file: &str,
    check: bool,
    ipset: Option<&str>,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            elog!(err, "nfsim: {file}: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut trace = match nfsim::replay::TraceFile::from_json(&text) {
        Ok(t) => t,
        Err(e) => {
            elog!(err, "nfsim: {}", jsonpos::json_error(file, &e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(path) = ipset {
        match read_ipset(path) {
            Ok((text, _)) => trace.host.ipset = text,
            Err(e) => {
                elog!(err, "nfsim: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let results = match nfsim::replay::replay(&trace) {
        Ok(r) => r,
        Err(e) => {
            // A rule error is told where the rule is written in the file.
            let rules = [
                ("rules.ipv4", trace.rules.ipv4.as_deref()),
                ("rules.ipv6", trace.rules.ipv6.as_deref()),
            ];
            let at = jsonpos::at_file(file, &text, rules, &e.to_string());
            elog!(err, "nfsim: {at}");
            return Ok(ExitCode::from(1));
        }
    };
    if check {
        let mut agree = 0;
        let mut expected = 0;
        for (i, (p, ours)) in trace.packets.iter().zip(&results).enumerate() {
            let Some(k) = &p.expect else { continue };
            expected += 1;
            let a = nfsim::replay::compare(k, ours);
            if a.all() {
                agree += 1;
            } else {
                writeln!(w, "packet {i}: {a:?}")?;
                writeln!(
                    w,
                    "  kernel: {}",
                    serde_json::to_string(k).unwrap_or_default()
                )?;
                writeln!(
                    w,
                    "  nfsim:  {}",
                    serde_json::to_string(ours).unwrap_or_default()
                )?;
            }
        }
        // Only packets with an `expect` can agree or not.
        let without = trace.packets.len() - expected;
        if expected == 0 {
            elog!(
                err,
                "nfsim: {file}: no packet has an `expect`: nothing to check ({without} packet{})",
                if without == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::from(1));
        }
        if without > 0 {
            writeln!(w, "{without} packets without `expect`: not compared")?;
        }
        writeln!(w, "{agree}/{expected} packets agree")?;
        return Ok(if agree == expected {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    for (i, r) in results.iter().enumerate() {
        let line = Line {
            i,
            trace: &r.trace,
            local: r.local,
            emitted: &r.emitted,
            conntrack: &r.conntrack,
            log: &r.log,
        };
        writeln!(w, "{}", serde_json::to_string(&line).unwrap_or_default())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `nfsim bench`: one host, one reused `Outcome`, `NoTrace`; packets decoded
/// before the clock starts. The wall clock is read only here, never by the library.
fn bench_cmd(
    file: &str,
    repeat: u32,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    use nfsim::engine::NoTrace;
    use nfsim::host::Outcome;
    use nfsim::time::Instant;
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            elog!(err, "nfsim: {file}: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let trace = match nfsim::replay::TraceFile::from_json(&text) {
        Ok(t) => t,
        Err(e) => {
            elog!(err, "nfsim: {}", jsonpos::json_error(file, &e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    let mut host = match trace.build_host() {
        Ok(h) => h,
        Err(e) => {
            let rules = [
                ("rules.ipv4", trace.rules.ipv4.as_deref()),
                ("rules.ipv6", trace.rules.ipv6.as_deref()),
            ];
            let at = jsonpos::at_file(file, &text, rules, &e.to_string());
            elog!(err, "nfsim: {at}");
            return Ok(ExitCode::from(1));
        }
    };
    // (device or None for sent, at_ms, bytes)
    let mut pkts: Vec<(Option<usize>, f64, Vec<u8>)> = Vec::with_capacity(trace.packets.len());
    for (i, p) in trace.packets.iter().enumerate() {
        let bytes = match nfsim::replay::from_hex(&p.hex) {
            Ok(b) => b,
            Err(e) => {
                elog!(err, "nfsim: {file}: packet {i}: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let dev = if p.out == Some(true) {
            None
        } else {
            match p.in_dev.as_deref().and_then(|d| host.device_index(d)) {
                Some(d) => Some(d),
                None => {
                    elog!(
                        err,
                        "nfsim: {file}: packet {i}: no known `in` device and not `out`"
                    );
                    return Ok(ExitCode::from(2));
                }
            }
        };
        pkts.push((dev, p.at_ms, bytes));
    }
    // The instants in nanoseconds, converted from the trace's milliseconds
    // before the clock starts (a float conversion per packet would be
    // timed too): packet `at` of round `r` is at `at + r * period`.
    let period = Instant::from_millis_f64(pkts.last().map_or(0.0, |p| p.1) + 1000.0).as_nanos();
    let pkts: Vec<(Option<usize>, u64, Vec<u8>)> = pkts
        .into_iter()
        .map(|(d, at, b)| (d, Instant::from_millis_f64(at).as_nanos(), b))
        .collect();
    let mut out = Outcome::default();
    let mut sink = NoTrace;
    let start = std::time::Instant::now();
    for r in 0..repeat {
        let base = u64::from(r).saturating_mul(period);
        for (dev, at, bytes) in &pkts {
            let now = Instant::from_nanos(at.saturating_add(base));
            match dev {
                Some(d) => host.receive(*d, bytes, now, &mut out, &mut sink),
                None => host.send(bytes, now, &mut out, &mut sink),
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = pkts.len() as f64 * f64::from(repeat);
    if n == 0.0 {
        writeln!(w, "no packets")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        w,
        "{} packets in {:.6} s: {:.0} packets/s, {:.1} ns/packet",
        n,
        secs,
        n / secs,
        secs * 1e9 / n
    )?;
    Ok(ExitCode::SUCCESS)
}

fn read_input(file: &Option<String>) -> Result<(String, Vec<u8>), String> {
    match file.as_deref() {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("-: {e}"))?;
            Ok(("-".to_string(), buf))
        }
        Some(f) => {
            let buf = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
            Ok((f.to_string(), buf))
        }
    }
}

/// What `nfsim save` reads: the whole text (a script, whose commands are
/// read as a whole), or a stream of restore input, parsed line by line so
/// that a large file is never held whole.
enum SaveInput {
    Whole(Vec<u8>),
    Stream(Box<dyn io::BufRead>),
}

/// Opens `nfsim save`'s input. Unless `--script` or `--restore` decides,
/// the text is a script when it is UTF-8 and its first line that is
/// neither blank nor a comment is no restore line
/// (`script::looks_like_script`): the lines are read up to that one (UTF-8
/// is checked line by line, as a newline never ends inside a character),
/// then restore input streams on from there and a script is read whole.
fn open_save_input(
    file: &Option<String>,
    script: bool,
    restore: bool,
) -> Result<(String, SaveInput), String> {
    const BLOCK: usize = 64 * 1024;
    let (name, mut input): (String, Box<dyn io::BufRead>) = match file.as_deref() {
        None | Some("-") => (
            "-".to_string(),
            Box::new(io::BufReader::with_capacity(BLOCK, io::stdin())),
        ),
        Some(f) => {
            let fd = std::fs::File::open(f).map_err(|e| format!("{f}: {e}"))?;
            (
                f.to_string(),
                Box::new(io::BufReader::with_capacity(BLOCK, fd)),
            )
        }
    };
    let fail = |e: io::Error| format!("{name}: {e}");
    let mut seen = Vec::new();
    let mut whole = script;
    if !script && !restore {
        loop {
            let start = seen.len();
            if input.read_until(b'\n', &mut seen).map_err(fail)? == 0 {
                break;
            }
            let Ok(line) = std::str::from_utf8(&seen[start..]) else {
                break;
            };
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') {
                whole = nfsim::syntax::script::looks_like_script(t);
                break;
            }
        }
    }
    if whole {
        input.read_to_end(&mut seen).map_err(fail)?;
        return Ok((name, SaveInput::Whole(seen)));
    }
    let input: Box<dyn io::BufRead> = if seen.is_empty() {
        input
    } else {
        Box::new(io::Cursor::new(seen).chain(input))
    };
    Ok((name, SaveInput::Stream(input)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let r = run(cli, &mut w, &mut io::stderr()).and_then(|code| w.flush().map(|()| code));
    match r {
        Ok(code) => code,
        // A reader that went away (`nfsim save big.rules | head -1`):
        // end quietly, as other Unix tools do.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            elog!(io::stderr(), "nfsim: standard output: {e}");
            ExitCode::from(1)
        }
    }
}

/// `nfsim save` of a script of iptables commands: every command applied as
/// `sh` would run it; the refused ones reported as iptables reports them,
/// at their line (exit status 1 when any was refused, as `sh -e` would
/// stop).
/// The `--nfacct NAME` objects, as `nfacct add NAME` makes them
/// (`object_name`: cut to 31 bytes, not empty; each once, -EBUSY).
pub(crate) fn nfacct_objects(names: &[String]) -> Result<Vec<nfsim::model::ByteStr>, String> {
    let mut out: Vec<nfsim::model::ByteStr> = Vec::with_capacity(names.len());
    for n in names {
        let b = nfsim::model::matches::nfacct::object_name(n.as_bytes())
            .map_err(|e| format!("--nfacct `{n}': nfacct add: {e}"))?;
        if out.contains(&b) {
            return Err(format!(
                "--nfacct `{n}': nfacct add: Device or resource busy (given twice)"
            ));
        }
        out.push(b);
    }
    Ok(out)
}

/// Reads `--ipset FILE`: `ipset save` / `ipset restore` text, and the sets
/// it creates (an error names the file and line, in ipset's words).
pub(crate) fn read_ipset(path: &str) -> Result<(String, nfsim::ipset::Ipsets), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--ipset {path}: {e}"))?;
    let sets = nfsim::ipset::Ipsets::restore(&text).map_err(|e| format!("--ipset {path}: {e}"))?;
    Ok((text, sets))
}

/// Reads a script of iptables commands (with these nfacct objects), telling
/// each skipped or failed line on `err` at `NAME:LINE:`; the script and
/// whether a line failed, or the exit code when it cannot be read at all.
pub(crate) fn read_script(
    name: &str,
    text: &[u8],
    nfacct: &[nfsim::model::ByteStr],
    ipset: &nfsim::ipset::Ipsets,
    err: &mut dyn Write,
) -> Result<(nfsim::syntax::script::Script, bool), ExitCode> {
    let Ok(text) = std::str::from_utf8(text) else {
        elog!(err, "{name}: a script must be UTF-8 text");
        return Err(ExitCode::from(1));
    };
    let s = match nfsim::syntax::script::parse_script_with_objects(text, nfacct, ipset) {
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
    Ok((s, failed))
}

fn save_script(
    name: &str,
    text: &[u8],
    family: Family,
    (nfacct, ipset): (&[nfsim::model::ByteStr], &nfsim::ipset::Ipsets),
    test: bool,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    let (s, failed) = match read_script(name, text, nfacct, ipset, err) {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let rs = match family {
        Family::Ipv4 => &s.v4,
        Family::Ipv6 => &s.v6,
    };
    if !test {
        w.write_all(&save_bytes(rs, SaveOptions::default()))?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs one command, writing its standard output to `w` and its error
/// messages to `err`.
pub(crate) fn run(cli: Cli, w: &mut impl Write, err: &mut dyn Write) -> io::Result<ExitCode> {
    match cli.cmd {
        Cmd::Replay { file, check, ipset } => replay_cmd(&file, check, ipset.as_deref(), w, err),
        Cmd::Bench { file, repeat } => bench_cmd(&file, repeat, w, err),
        Cmd::Run(a) => {
            use std::io::IsTerminal;
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && io::stdout().is_terminal();
            run::run(&a, color, w, err)
        }
        Cmd::List(a) => list::run(&a, w, err),
        Cmd::Trace(a) => {
            use std::io::IsTerminal;
            let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && io::stdout().is_terminal();
            trace::run(&a, color, w, err)
        }
        Cmd::Save {
            ipv6,
            counters,
            script,
            restore,
            nfacct,
            cttimeout,
            ipset,
            test,
            file,
        } => {
            let policies = match trace::cttimeout_objects(&cttimeout) {
                Ok(o) => o,
                Err(e) => {
                    elog!(err, "nfsim: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let objects = match nfacct_objects(&nfacct) {
                Ok(o) => o,
                Err(e) => {
                    elog!(err, "nfsim: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let sets = match ipset.as_deref().map(read_ipset).transpose() {
                Ok(s) => s.map(|x| x.1).unwrap_or_default(),
                Err(e) => {
                    elog!(err, "nfsim: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let (name, input) = match open_save_input(&file, script, restore) {
                Ok(x) => x,
                Err(e) => {
                    // iptables-restore: "Can't open FILE: ...", exit 1.
                    elog!(err, "nfsim: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            let family = if ipv6 { Family::Ipv6 } else { Family::Ipv4 };
            let input = match input {
                SaveInput::Whole(text) => {
                    if script
                        || std::str::from_utf8(&text)
                            .is_ok_and(nfsim::syntax::script::looks_like_script)
                    {
                        return save_script(&name, &text, family, (&objects, &sets), test, w, err);
                    }
                    Box::new(io::Cursor::new(text))
                }
                SaveInput::Stream(input) => input,
            };
            let opts = RestoreOptions {
                counters,
                ..RestoreOptions::new(family)
            }
            .with_nfacct(&objects)
            .with_ipset(&sets)
            .with_cttimeout(&policies);
            let parsed = match parse_restore_reader(input, &opts) {
                Ok(r) => r,
                Err(e) => {
                    elog!(err, "nfsim: {name}: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            match parsed {
                Ok(rs) => {
                    if !test {
                        save_to(&rs, SaveOptions { counters }, w)?;
                    }
                    // The process ends next: freeing every rule one by one
                    // would only cost time.
                    core::mem::forget(rs);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    elog!(err, "{name}:{}:{}: {}", e.line, e.col, e.message.trim_end());
                    // iptables-restore's status: 2 for a parameter problem,
                    // 1 for the others.
                    Ok(ExitCode::from(e.problem.exit_code()))
                }
            }
        }
    }
}
