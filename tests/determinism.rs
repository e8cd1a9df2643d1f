//! Replays are deterministic: every kernel trace (hand-written and
//! generated) replayed twice on fresh hosts gives byte-identical answers.

use nfsim::replay::{replay, TraceFile};

#[test]
fn replays_are_byte_identical_across_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("generated")] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
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
