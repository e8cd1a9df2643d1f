//! `parse_restore_reader` (a stream, one line at a time: what `nfsim save`
//! reads) gives what `parse_restore` gives on the same bytes, rules and
//! errors alike: on every dump of `../shared/corpus` (both families) and
//! on inputs made for the line reader (NUL bytes, no final newline, CRs,
//! errors), read through a 7-byte buffer so that lines cross refills.

use std::io::BufReader;

use nfsim::model::Family;
use nfsim::syntax::{parse_restore, parse_restore_reader, RestoreOptions};

#[path = "common/oracle.rs"]
#[allow(dead_code)]
mod oracle;

fn same(input: &[u8], what: &str) {
    for family in [Family::Ipv4, Family::Ipv6] {
        for counters in [false, true] {
            let o = RestoreOptions {
                counters,
                ..RestoreOptions::new(family)
            };
            let whole = parse_restore(input, &o);
            let streamed = parse_restore_reader(BufReader::with_capacity(7, input), &o)
                .expect("reading a slice cannot fail");
            assert_eq!(streamed, whole, "{what} ({family:?}, counters {counters})");
        }
    }
}

#[test]
fn made_inputs_read_the_same_streamed() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\n\n# only a comment\n",
        b"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n",
        b"*filter\n-A INPUT -j ACCEPT\nCOMMIT",
        b"*filter\n-A INPUT -m comment --comment a\0b -j ACCEPT\nCOMMIT\n",
        b"*filter\nCOMMIT\0\nCOMMIT\n",
        b"*filter\n-A INPUT -j ACCEPT\n\0\nCOMMIT\n",
        b"*filter\n-A INPUT -j ACCEPT\r\nCOMMIT\n",
        b"*filter\n:USER - [0:0]\n[3:180] -A USER -j RETURN\n-A INPUT -j USER\nCOMMIT\n",
        b"*filter\n-A INPUT -j NOSUCH\nCOMMIT\n",
        b"*filter\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n",
        b"*filter\n",
        b"-A INPUT -j ACCEPT\n",
        b"*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1\nCOMMIT\n*filter\n-A FORWARD -d 192.0.2.1/32 -j ACCEPT\nCOMMIT\n",
        b"*filter\n-A INPUT -m comment --comment \"\xff\xfe not UTF-8\" -j ACCEPT\nCOMMIT\n",
    ];
    for input in inputs {
        same(input, &String::from_utf8_lossy(input));
    }
}

#[test]
fn corpus_dumps_read_the_same_streamed() {
    let Some(dir) = oracle::corpus() else {
        eprintln!("SKIPPED: ../shared/corpus not present");
        return;
    };
    let mut paths = Vec::new();
    oracle::files(&dir.join("real-world"), &mut paths);
    oracle::files(&dir.join("iptables-shell"), &mut paths);
    assert!(!paths.is_empty(), "no dump under {}", dir.display());
    for p in &paths {
        let bytes = std::fs::read(p).unwrap();
        same(&bytes, &p.display().to_string());
    }
}
