//! Every subcommand's `--help` ends with examples (clap `after_help`).

use std::process::Command;

fn help(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_nfsim"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run nfsim");
    assert!(o.status.success(), "nfsim {args:?} --help failed");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_subcommand_help_has_examples() {
    let top = help(&[]);
    // The `Commands:` section of the top-level help: one per line.
    let cmds: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    for c in ["save", "replay", "trace", "list", "bench"] {
        assert!(cmds.iter().any(|x| x == c), "{c} missing from {cmds:?}");
    }
    for c in &cmds {
        let h = help(&[c]);
        let ex = h
            .split("Examples:")
            .nth(1)
            .unwrap_or_else(|| panic!("nfsim {c} --help has no examples:\n{h}"));
        assert!(
            ex.lines()
                .any(|l| l.trim_start().starts_with(&format!("nfsim {c}"))),
            "nfsim {c} --help: the examples do not show the command:\n{ex}"
        );
    }
}
