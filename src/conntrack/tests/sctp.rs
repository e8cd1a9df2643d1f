//! The SCTP tracker (`sctp.rs`).

use super::*;

fn sctp_pkt(
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    vtag: u32,
    chunks: &[(u8, u8, Vec<u8>)],
) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&sp.to_be_bytes());
    s.extend_from_slice(&dp.to_be_bytes());
    s.extend_from_slice(&vtag.to_be_bytes());
    s.extend_from_slice(&[0; 4]);
    for (ty, fl, data) in chunks {
        let len = 4 + data.len();
        s.push(*ty);
        s.push(*fl);
        s.extend_from_slice(&(len as u16).to_be_bytes());
        s.extend_from_slice(data);
        s.extend(std::iter::repeat_n(0, (4 - len % 4) % 4));
    }
    let c = crate::conntrack::sctp::sctp_cksum(&s);
    s[8..12].copy_from_slice(&c);
    build(src, dst, proto::SCTP, s)
}

/// SCTP association checked against Linux 6.18 (states, timeouts, INVALID).
#[test]
fn kernel_checked_sctp_association() {
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let (x, y) = (0x1111_1111u32, 0x2222_2222u32);
    let init = |tag: u32| {
        let mut v = tag.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 10, 0, 10, 0, 0, 0, 1]);
        v
    };
    let first = sctp_pkt(p, 5000, h, 7000, 0, &[(1, 0, init(x))]);
    // Same bytes as the packet sent to the kernel (CRC32c included).
    assert_eq!(
        to_hex(&first),
        "45000034000100004084f641c0000202c000020113881b58000000001d990b8601000014111111110000ffff000a000a00000001"
    );
    let data = |tsn: u32| {
        let mut v = tsn.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(b"data");
        v
    };
    let steps: Vec<(Vec<u8>, bool, bool, &str, u64)> = vec![
        (first, false, false, "CLOSED", 9),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(2, 0, init(y))]),
            true,
            false,
            "COOKIE_WAIT",
            2,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(10, 0, b"cookie!!".to_vec())]),
            false,
            false,
            "COOKIE_ECHOED",
            2,
        ),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(11, 0, vec![])]),
            true,
            false,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(0, 3, data(1))]),
            false,
            false,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, x, &[(0, 3, data(2))]),
            false,
            true,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(7, 0, vec![0, 0, 0, 1])]),
            false,
            false,
            "SHUTDOWN_SENT",
            2,
        ),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(8, 0, vec![])]),
            true,
            false,
            "SHUTDOWN_ACK_SENT",
            2,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(14, 0, vec![])]),
            false,
            false,
            "CLOSED",
            9,
        ),
    ];
    let mut s = Sim::new(Config::with_max(4));
    for (i, (pkt, out, invalid, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(i as u64);
        let r = s.ct.process(&pkt, &meta(&pkt), hook, now);
        assert_eq!(r.slot == CtSlot::Invalid, invalid, "step {i}");
        s.ct.confirm(r.slot, now);
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!(
                "ipv4 sctp {state} src=192.0.2.2 dst=192.0.2.1 sport=5000 dport=7000 "
            )),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
        assert_eq!(l.contains("[ASSURED]"), i >= 3, "step {i}");
    }
    // A corrupted CRC in PREROUTING is INVALID.
    let mut bad = sctp_pkt(p, 5001, h, 7000, 0, &[(1, 0, init(x))]);
    bad[30] ^= 1;
    assert_eq!(
        s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(20))
            .slot,
        CtSlot::Invalid
    );
}
