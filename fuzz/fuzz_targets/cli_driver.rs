//! Driver of the `cli` fuzz target and its test twin (`tests/fuzz_inputs.rs`):
//! every subcommand with its flags over an arbitrary file. The command's own
//! source is included as a module, so the fuzzer runs exactly what
//! `nfsim` runs, minus the process.

#![allow(dead_code)]

use std::io::Write;

#[path = "../../cli/src/main.rs"]
#[allow(dead_code, clippy::all)]
mod nfsim_cmd;

#[path = "inputs.rs"]
pub mod inputs;

use clap::Parser;
use inputs::Input;

/// A scratch file per process and thread.
fn scratch() -> std::path::PathBuf {
    let tid = format!("{:?}", std::thread::current().id());
    let tid: String = tid.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!("nfsim-fuzz-cli-{}-{tid}", std::process::id()))
}

pub fn run_cli(data: &[u8]) {
    let mut inp = Input::new(data);
    let sel = inp.u8();
    let body: Vec<u8> = match sel % 4 {
        // A trace file from pieces.
        0 => inputs::trace_json(&mut inp).into_bytes(),
        // The rest as it is: rules, JSON, anything.
        _ => inp.take(usize::MAX).to_vec(),
    };
    let path = scratch();
    let Ok(mut f) = std::fs::File::create(&path) else {
        return;
    };
    if f.write_all(&body).is_err() {
        return;
    }
    drop(f);
    let file = path.to_string_lossy().into_owned();
    let mut args: Vec<String> = vec!["nfsim".into()];
    match (sel >> 2) % 4 {
        0 | 1 => {
            args.push("save".into());
            if sel & 0x10 != 0 {
                args.push("-6".into());
            }
            if sel & 0x20 != 0 {
                args.push("-c".into());
            }
        }
        2 => {
            args.push("replay".into());
            if sel & 0x10 != 0 {
                args.push("--check".into());
            }
        }
        _ if sel & 0x80 != 0 => {
            // `trace FILE PACKET...`: the file as the ruleset (and, for a
            // trace file, as the host), packets of the grammar.
            const PACKETS: [&str; 4] = [
                "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn",
                "+1s out udp 192.0.2.1:53 > 192.0.2.2:5353 payload 00ff",
                "in eth1 icmp 198.51.100.2 > 192.0.2.1 echo-request",
                "in eth0 tcp [2001:db8::2]:1 > [2001:db8::1]:443 flags SA ack 1 mss 1400",
            ];
            args.push("trace".into());
            if sel & 0x10 != 0 {
                args.push("--json".into());
            }
            if sel & 0x20 != 0 {
                args.push("--forward".into());
            }
            if sel % 4 == 0 {
                args.push("--host".into());
                args.push(file.clone());
            }
            args.push(file);
            args.extend(PACKETS.iter().map(|p| p.to_string()));
            if let Ok(cli) = nfsim_cmd::Cli::try_parse_from(&args) {
                let mut out = Vec::new();
                let _ = nfsim_cmd::run(cli, &mut out, &mut std::io::sink());
            }
            let _ = std::fs::remove_file(&path);
            return;
        }
        _ => match (sel >> 4) % 4 {
            0 => {
                args.push("bench".into());
                args.push("--repeat".into());
                args.push(format!("{}", (sel >> 6) % 2));
            }
            // `list`: the file as rules or a script, listed as -L -n -v or -S.
            1 => {
                args.push("list".into());
                if sel & 0x40 != 0 {
                    args.extend(["-L", "-n", "-v", "--line-numbers"].map(String::from));
                } else {
                    args.push("-S".into());
                }
            }
            // `run SCENARIO`: the file as a TOML scenario (or a trace file).
            2 => {
                args.push("run".into());
                args.push(
                    if sel & 0x40 != 0 {
                        "--json"
                    } else {
                        "--summary"
                    }
                    .into(),
                );
            }
            // `run --pcap-in FILE`: the file as a capture through the
            // recorder's standard host with no rules.
            _ => {
                args.extend(
                    ["run", "--summary", "--in-dev", "eth0", "--pcap-in"].map(String::from),
                );
            }
        },
    }
    args.push(file);
    if let Ok(cli) = nfsim_cmd::Cli::try_parse_from(&args) {
        let mut out = Vec::new();
        let _ = nfsim_cmd::run(cli, &mut out, &mut std::io::sink());
    }
    let _ = std::fs::remove_file(&path);
}
