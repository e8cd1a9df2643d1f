//! Replays a reference trace recorded from the Linux kernel through nfsim
//! and compares every packet, field by field, as `nfsim replay --check`
//! does.
//!
//! ```sh
//! cargo run --example replay_trace -- tests/traces/nat-masquerade.json
//! ```
//!
//! Without an argument it replays `tests/traces/tutorial-conntrack-lo-block.json`.

use nfsim::replay::{compare, replay, TraceFile};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/traces/tutorial-conntrack-lo-block.json"
        )
        .to_string()
    });
    let trace = TraceFile::from_json(&std::fs::read_to_string(&path)?)?;
    let ours = replay(&trace)?;
    let mut agree = 0;
    let mut with_expect = 0;
    for (i, (p, o)) in trace.packets.iter().zip(&ours).enumerate() {
        let Some(kernel) = &p.expect else { continue };
        with_expect += 1;
        let a = compare(kernel, o);
        if a.all() {
            agree += 1;
        } else {
            println!("packet {i}: {a:?}");
        }
        println!(
            "packet {i:>3}: {} trace records, local={}, {} emitted, {} conntrack entries",
            o.trace.len(),
            o.local,
            o.emitted.len(),
            o.conntrack.len()
        );
    }
    println!(
        "{}: {agree}/{with_expect} packets agree with the kernel",
        trace.name
    );
    if agree != with_expect {
        std::process::exit(1);
    }
    Ok(())
}
