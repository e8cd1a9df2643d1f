//! Replays are deterministic: every kernel trace (hand-written and
//! generated) replayed twice on fresh hosts gives byte-identical answers.

mod common;

use nfsim::replay::{replay, TraceFile};

#[test]
fn replays_are_byte_identical_across_runs() {
    let files = common::trace_files(true);
    assert!(files.len() > 100, "only {} traces found", files.len());
    let mut packets = 0;
    for f in &files {
        let t = TraceFile::from_json(&std::fs::read_to_string(f).unwrap()).unwrap();
        let a = replay(&t).unwrap();
        let b = replay(&t).unwrap();
        assert_eq!(a, b, "{} differs between two replays", f.display());
        packets += a.len();
    }
    assert!(packets > 1000);
}

/// `save` ∘ `parse` is the identity on what `save` prints, for every
/// ruleset of the traces (the generated ones are random rulesets the
/// kernel accepted), table by table: the order of the tables follows their
/// creation, newest first, as in the kernel's table list, so a second
/// restore lists them the other way round.
#[test]
fn save_parse_is_a_fixed_point_on_trace_rulesets() {
    use nfsim::model::Family;
    use nfsim::syntax::{parse_restore, save_bytes, RestoreOptions, SaveOptions};
    let mut n = 0;
    for p in common::trace_files(true) {
        let t = TraceFile::from_json(&std::fs::read_to_string(&p).unwrap()).unwrap();
        // The host's nfacct objects, which its `-m nfacct` rules need.
        let objects: Vec<nfsim::model::ByteStr> =
            t.host.nfacct.iter().map(|n| n.as_str().into()).collect();
        for (text, family) in [(&t.rules.ipv4, Family::Ipv4), (&t.rules.ipv6, Family::Ipv6)] {
            let Some(text) = text else { continue };
            // ... and its ip sets, which `-m set` / `SET` rules need.
            let sets = t.ipsets().unwrap();
            // ... and its timeout policies (`-j CT --timeout`).
            let policies = t.cttimeout_objects().unwrap();
            let o = RestoreOptions::new(family)
                .with_nfacct(&objects)
                .with_ipset(&sets)
                .with_cttimeout(&policies);
            let once = save_bytes(&parse_restore(text, &o).unwrap(), SaveOptions::default());
            let twice = save_bytes(&parse_restore(&once, &o).unwrap(), SaveOptions::default());
            assert_eq!(tables(&once), tables(&twice), "{}", p.display());
            n += 1;
        }
    }
    assert!(n > 256, "only {n} rulesets");
}

/// The `*table` ... `COMMIT` blocks of a save, sorted.
fn tables(save: &[u8]) -> Vec<Vec<u8>> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for line in save.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'*') {
            blocks.push(Vec::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.extend_from_slice(line);
        }
    }
    blocks.sort();
    blocks
}
