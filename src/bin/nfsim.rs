//! The `nfsim` command.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nfsim::model::Family;
use nfsim::syntax::{parse_restore, save_string, RestoreOptions, SaveOptions};

#[derive(Parser)]
#[command(
    name = "nfsim",
    version,
    about = "A packet-for-packet model of Linux netfilter"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Read iptables-restore input and print what iptables-save would print after restoring it.
    Save {
        /// ip6tables instead of iptables.
        #[arg(short = '6', long = "ipv6")]
        ipv6: bool,
        /// Restore and print counters (`iptables-restore -c`, `iptables-save -c`).
        #[arg(short = 'c', long = "counters")]
        counters: bool,
        /// The restore file (standard input when absent or `-`).
        file: Option<String>,
    },
    /// Replay a reference trace file (nfsim-trace/1) and print one JSON object per packet.
    Replay {
        /// The trace file.
        file: String,
        /// Compare with the file's `expect` fields and print agreement instead.
        #[arg(long)]
        check: bool,
    },
}

#[derive(serde::Serialize)]
struct Line<'a> {
    i: usize,
    trace: &'a [String],
    local: bool,
    emitted: &'a [nfsim::replay::EmittedSpec],
    conntrack: &'a [nfsim::replay::CtSpec],
    log: &'a [String],
}

fn replay_cmd(file: &str, check: bool) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nfsim: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let trace = match nfsim::replay::TraceFile::from_json(&text) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nfsim: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let results = match nfsim::replay::replay(&trace) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("nfsim: {file}: {e}");
            return ExitCode::from(1);
        }
    };
    if check {
        let mut agree = 0;
        for (i, (p, ours)) in trace.packets.iter().zip(&results).enumerate() {
            let Some(k) = &p.expect else { continue };
            let a = nfsim::replay::compare(k, ours);
            if a.all() {
                agree += 1;
            } else {
                println!("packet {i}: {a:?}");
                println!("  kernel: {}", serde_json::to_string(k).unwrap_or_default());
                println!(
                    "  nfsim:  {}",
                    serde_json::to_string(ours).unwrap_or_default()
                );
            }
        }
        println!("{agree}/{} packets agree", trace.packets.len());
        return if agree == trace.packets.len() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
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
        println!("{}", serde_json::to_string(&line).unwrap_or_default());
    }
    ExitCode::SUCCESS
}

fn read_input(file: &Option<String>) -> Result<(String, String), String> {
    match file.as_deref() {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("-: {e}"))?;
            Ok(("-".to_string(), String::from_utf8_lossy(&buf).into_owned()))
        }
        Some(f) => {
            let buf = std::fs::read(f).map_err(|e| format!("{f}: {e}"))?;
            Ok((f.to_string(), String::from_utf8_lossy(&buf).into_owned()))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Replay { file, check } => replay_cmd(&file, check),
        Cmd::Save {
            ipv6,
            counters,
            file,
        } => {
            let (name, text) = match read_input(&file) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("nfsim: {e}");
                    return ExitCode::from(2);
                }
            };
            let family = if ipv6 { Family::Ipv6 } else { Family::Ipv4 };
            let opts = RestoreOptions {
                counters,
                ..RestoreOptions::new(family)
            };
            match parse_restore(&text, &opts) {
                Ok(rs) => {
                    print!("{}", save_string(&rs, SaveOptions { counters }));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{name}:{}:{}: {}", e.line, e.col, e.message.trim_end());
                    ExitCode::from(1)
                }
            }
        }
    }
}
