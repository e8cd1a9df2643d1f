//! The TCP tracker (`tcp.rs`): states, window tracking, RST validation.

use super::*;

#[test]
fn tcp_invalid_flags_and_checksum() {
    let mut s = Sim::new(Config::with_max(4));
    let p = tcp(A, 1000, B, 22, 1, 0, SYN | FIN, 1000, &[], 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    assert_eq!(s.ct.count(), 0);
    let mut p = tcp(A, 1000, B, 22, 1, 0, SYN, 1000, &[], 0);
    p[36] ^= 0xff; // break the TCP checksum
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    let r = s.ct.process(&p, &meta(&p), Hook::LocalOut, ms(0));
    assert_eq!(
        r.slot.state_bits(),
        CtStates::NEW,
        "no checksum check in OUTPUT"
    );
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_checksum", 0).unwrap();
    let mut s2 = Sim::new(cfg);
    let r = s2.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    // Truncated header.
    let p = tcp(A, 1000, B, 22, 1, 0, SYN, 1000, &[], 0);
    let short = &p[..30];
    let r = s.ct.process(short, &meta(short), Hook::LocalOut, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
}

#[test]
fn tcp_close_sequence_and_reopen() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    assert!(s.one(ms(2)).0.contains("ESTABLISHED"));
    s.inp(
        &tcp(A, 40000, B, 80, 101, 501, FIN | ACK, 64000, &[], 0),
        ms(3),
    );
    assert!(s.one(ms(3)).0.starts_with("ipv4 tcp FIN_WAIT"));
    assert_eq!(s.one(ms(3)).1, 119);
    s.pass(
        &tcp(B, 80, A, 40000, 501, 102, ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(4),
    );
    assert_eq!(s.one(ms(4)).1, 59);
    assert!(s.one(ms(4)).0.starts_with("ipv4 tcp CLOSE_WAIT"));
    s.pass(
        &tcp(B, 80, A, 40000, 501, 102, FIN | ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(5),
    );
    assert!(s.one(ms(5)).0.starts_with("ipv4 tcp LAST_ACK"));
    assert_eq!(s.one(ms(5)).1, 29);
    s.inp(&tcp(A, 40000, B, 80, 102, 502, ACK, 64000, &[], 0), ms(6));
    assert!(s.one(ms(6)).0.starts_with("ipv4 tcp TIME_WAIT"));
    assert_eq!(s.one(ms(6)).1, 119);
    // A new SYN on the same tuple in TIME_WAIT: the old entry is deleted and
    // a fresh one created (-NF_REPEAT).
    let r = s.ct.process(
        &tcp(A, 40000, B, 80, 9000, 0, SYN, 64000, &[], 0),
        &meta(&tcp(A, 40000, B, 80, 9000, 0, SYN, 64000, &[], 0)),
        Hook::PreRouting,
        ms(7),
    );
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    s.ct.confirm(r.slot, ms(7));
    let (line, t) = s.one(ms(7));
    assert!(
        line.starts_with("ipv4 tcp SYN_SENT") && line.contains("[UNREPLIED]"),
        "{line}"
    );
    assert_eq!(t, 119);
}

#[test]
fn tcp_rst_answering_syn_kills_entry() {
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40001, B, 81, 100, 0, SYN, 64000, &[], 0), ms(0));
    let rst = tcp(B, 81, A, 40001, 0, 101, RST | ACK, 0, &[], 0);
    let r = s.ct.process(&rst, &meta(&rst), Hook::LocalOut, ms(1));
    // The packet still carries the (now dying) entry.
    assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    assert!(s
        .ct
        .status(r.slot.handle().unwrap())
        .unwrap()
        .contains(CtStatus::DYING));
    assert!(s.listing(ms(1)).is_empty());
    // Reclaimed at the next packet.
    let p = udp(A, 1, B, 2, 0);
    s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(2));
    assert!(s.ct.status(r.slot.handle().unwrap()).is_none());
    assert_eq!(s.ct.count(), 1);
}

#[test]
fn tcp_rst_in_established_closes() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    s.inp(
        &tcp(A, 40000, B, 80, 101, 501, RST | ACK, 0, &[], 0),
        ms(10),
    );
    let (l, t) = s.one(ms(10));
    assert!(l.starts_with("ipv4 tcp CLOSE"), "{l}");
    assert_eq!(t, 9);
}

#[test]
fn tcp_loose_pickup() {
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40002, B, 80, 1000, 2000, ACK, 500, &[], 10), ms(0));
    let (l, t) = s.one(ms(0));
    assert!(
        l.starts_with("ipv4 tcp ESTABLISHED") && l.contains("[UNREPLIED]"),
        "{l}"
    );
    assert_eq!(
        t, 299,
        "mid-connection pickup without reply: unacknowledged timeout"
    );
    // An answer from the other side makes it ASSURED.
    // The first answer sets SEEN_REPLY only after the tracker ran: still
    // unassured with the unacknowledged timeout.
    s.pass(
        &tcp(B, 80, A, 40002, 2000, 1010, ACK, 500, &[], 0),
        Hook::LocalOut,
        ms(1),
    );
    let (l, t) = s.one(ms(1));
    assert!(!l.contains("ASSURED") && !l.contains("UNREPLIED"), "{l}");
    assert_eq!(t, 299);
    // The next valid packet makes it ASSURED.
    s.inp(&tcp(A, 40002, B, 80, 1010, 2000, ACK, 500, &[], 0), ms(2));
    let (l, t) = s.one(ms(2));
    assert!(l.ends_with("[ASSURED] mark=0"), "{l}");
    assert_eq!(t, 431_999);

    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_loose", 0).unwrap();
    let mut s = Sim::new(cfg);
    let p = tcp(A, 40002, B, 80, 1000, 2000, ACK, 500, &[], 10);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    assert_eq!(s.ct.count(), 0);
}

#[test]
fn tcp_window_checks() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    // In-window data.
    let ok = tcp(A, 40000, B, 80, 101, 501, ACK, 64000, &[], 100);
    assert_eq!(s.inp(&ok, ms(3)).state_bits(), CtStates::ESTABLISHED);
    assert_eq!(s.one(ms(3)).1, 299, "unacknowledged data: 300 s");
    // Data far beyond the receiver's window: INVALID.
    let bad = tcp(A, 40000, B, 80, 101 + 200_000, 501, ACK, 64000, &[], 100);
    let r = s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(4));
    assert_eq!(r.slot, CtSlot::Invalid);
    // ACK of data never sent: INVALID.
    let bad = tcp(B, 80, A, 40000, 501, 101 + 5000, ACK, 64000, &[], 0);
    let r = s.ct.process(&bad, &meta(&bad), Hook::LocalOut, ms(5));
    assert_eq!(r.slot, CtSlot::Invalid);
    // The receiver acknowledges: back to the established timeout.
    s.pass(
        &tcp(B, 80, A, 40000, 501, 201, ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(6),
    );
    assert_eq!(s.one(ms(6)).1, 431_999);

    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_be_liberal", 1)
        .unwrap();
    let mut s = Sim::new(cfg);
    handshake(&mut s, 0);
    let bad = tcp(A, 40000, B, 80, 101 + 200_000, 501, ACK, 64000, &[], 100);
    let r = s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(4));
    assert_eq!(r.slot.state_bits(), CtStates::ESTABLISHED, "be_liberal");
}

#[test]
fn tcp_window_scaling() {
    let mut s = Sim::new(Config::with_max(4));
    let ws = [1, 3, 3, 7]; // NOP, window scale 7
    s.inp(&tcp(A, 40003, B, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(B, 80, A, 40003, 500, 101, SYN | ACK, 1000, &ws, 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(A, 40003, B, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    // SYN windows are never scaled: until B advertises a scaled window, A
    // may send only 1000 bytes.
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
    s.pass(
        &tcp(B, 80, A, 40003, 501, 101, ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(3),
    );
    // B's scaled window is 1000 << 7 = 128000: 60000 bytes ahead is fine.
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(s.inp(&p, ms(3)).state_bits(), CtStates::ESTABLISHED);

    // Without scaling on both sides the same segment is out of window.
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40003, B, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(B, 80, A, 40003, 500, 101, SYN | ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(A, 40003, B, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    s.pass(
        &tcp(B, 80, A, 40003, 501, 101, ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(3),
    );
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(4)).slot,
        CtSlot::Invalid
    );
}

#[test]
fn tcp_retransmissions_shorten_timeout() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    // Data acknowledged so that DATA_UNACKNOWLEDGED is clear, then the same
    // pure ACK repeated: after max_retrans (3) repeats, timeout max_retrans (300 s).
    let p = tcp(B, 80, A, 40000, 501, 101, ACK, 64000, &[], 0);
    s.pass(&p, Hook::LocalOut, ms(3));
    assert_eq!(s.one(ms(3)).1, 431_999);
    for i in 0..3 {
        s.pass(&p, Hook::LocalOut, ms(4 + i));
    }
    assert_eq!(s.one(ms(10)).1, 299);
}

#[test]
fn tcp_syn_retransmit_does_not_refresh() {
    let mut s = Sim::new(Config::with_max(4));
    let syn = tcp(A, 40004, B, 80, 100, 0, SYN, 64000, &[], 0);
    s.inp(&syn, ms(0));
    s.inp(&syn, ms(50 * S));
    assert_eq!(s.one(ms(50 * S)).1, 69);
}

/// Sequence checked against Linux 6.18 in network namespaces (states,
/// timeouts, and which packets the kernel counted as INVALID).
#[test]
fn kernel_checked_window_sequence() {
    let mut s = Sim::new(Config::with_max(4));
    let ws = [1, 3, 3, 7];
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    s.inp(&tcp(p, 40022, h, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(h, 80, p, 40022, 500, 101, SYN | ACK, 1000, &ws, 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(p, 40022, h, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    // (packet, from host?, expected INVALID, expected state, expected timeout)
    let steps: Vec<(Vec<u8>, bool, bool, &str, u64)> = vec![
        (
            tcp(p, 40022, h, 80, 101 + 60_000, 501, ACK, 1000, &[], 100),
            false,
            true,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101, ACK, 1000, &[], 0),
            true,
            false,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(p, 40022, h, 80, 101 + 60_000, 501, ACK, 1000, &[], 100),
            false,
            false,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101 + 400_000, 501, ACK, 1000, &[], 100),
            false,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101 + 900_000, ACK, 1000, &[], 0),
            true,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101, 501, SYN | FIN, 1000, &[], 0),
            false,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101, 501, SYN, 1000, &[], 0),
            false,
            false,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101, RST, 1000, &[], 0),
            true,
            false,
            "CLOSE",
            9,
        ),
    ];
    for (i, (pkt, out, invalid, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(10 + i as u64);
        let r = s.ct.process(&pkt, &meta(&pkt), hook, now);
        assert_eq!(r.slot == CtSlot::Invalid, invalid, "step {i}");
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!("ipv4 tcp {state} ")),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
    }
}

/// Simultaneous open, checked against Linux 6.18.
#[test]
fn kernel_checked_simultaneous_open() {
    let mut s = Sim::new(Config::with_max(4));
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let steps: [(Vec<u8>, bool, &str, u64); 6] = [
        (
            tcp(p, 40011, h, 80, 100, 0, SYN, 64000, &[], 0),
            false,
            "SYN_SENT",
            119,
        ),
        (
            tcp(h, 80, p, 40011, 500, 0, SYN, 64000, &[], 0),
            true,
            "SYN_SENT2",
            119,
        ),
        (
            tcp(p, 40011, h, 80, 100, 501, SYN | ACK, 64000, &[], 0),
            false,
            "SYN_RECV",
            59,
        ),
        (
            tcp(h, 80, p, 40011, 500, 101, SYN | ACK, 64000, &[], 0),
            true,
            "SYN_RECV",
            59,
        ),
        (
            tcp(p, 40011, h, 80, 101, 501, ACK, 64000, &[], 0),
            false,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(h, 80, p, 40011, 501, 101, ACK, 64000, &[], 0),
            true,
            "ESTABLISHED",
            431_999,
        ),
    ];
    for (i, (pkt, out, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(i as u64);
        s.pass(&pkt, hook, now);
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!("ipv4 tcp {state} ")),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
    }
    assert!(s.one(ms(6)).0.contains("[ASSURED]"));
}

/// RST validation checked against Linux 6.18: a RST below the peer's
/// highest ACK is INVALID; an in-window but inexact one keeps the state
/// with the CLOSE timeout; an exact one closes.
#[test]
fn kernel_checked_rst_validation() {
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let setup = |s: &mut Sim, sp: u16| {
        s.inp(&tcp(p, sp, h, 80, 100, 0, SYN, 64000, &[], 0), ms(0));
        s.pass(
            &tcp(h, 80, p, sp, 500, 101, SYN | ACK, 64000, &[], 0),
            Hook::LocalOut,
            ms(1),
        );
        s.inp(&tcp(p, sp, h, 80, 101, 501, ACK, 64000, &[], 0), ms(2));
        s.pass(
            &tcp(h, 80, p, sp, 501, 101, ACK, 64000, &[], 50),
            Hook::LocalOut,
            ms(3),
        );
        assert_eq!(s.one(ms(3)).1, 299);
        s.inp(&tcp(p, sp, h, 80, 101, 551, ACK, 64000, &[], 0), ms(4));
        assert_eq!(s.one(ms(4)).1, 431_999);
    };
    let check = |s: &mut Sim, pkt: Vec<u8>, out: bool, invalid: bool, state: &str, timeout: u64| {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let r = s.ct.process(&pkt, &meta(&pkt), hook, ms(10));
        assert_eq!(r.slot == CtSlot::Invalid, invalid);
        let (l, t) = s.one(ms(10));
        assert!(l.starts_with(&format!("ipv4 tcp {state} ")), "{l}");
        assert_eq!(t, timeout, "{l}");
    };
    let mut s = Sim::new(Config::with_max(4));
    setup(&mut s, 41000);
    check(
        &mut s,
        tcp(p, 41000, h, 80, 50, 551, RST | ACK, 0, &[], 0),
        false,
        true,
        "ESTABLISHED",
        431_999,
    );
    check(
        &mut s,
        tcp(p, 41000, h, 80, 120, 551, RST | ACK, 0, &[], 0),
        false,
        false,
        "ESTABLISHED",
        9,
    );
    check(
        &mut s,
        tcp(p, 41000, h, 80, 101, 551, RST | ACK, 0, &[], 0),
        false,
        false,
        "CLOSE",
        9,
    );
    let mut s = Sim::new(Config::with_max(4));
    setup(&mut s, 41001);
    check(
        &mut s,
        tcp(h, 80, p, 41001, 530, 101, RST, 0, &[], 0),
        true,
        true,
        "ESTABLISHED",
        431_999,
    );
    check(
        &mut s,
        tcp(h, 80, p, 41001, 551, 101, RST, 0, &[], 0),
        true,
        false,
        "CLOSE",
        9,
    );
    // tcp_ignore_invalid_rst=1 lets the low RST through (inexact: keep state).
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_ignore_invalid_rst", 1)
        .unwrap();
    let mut s = Sim::new(cfg);
    setup(&mut s, 41002);
    check(
        &mut s,
        tcp(h, 80, p, 41002, 530, 101, RST, 0, &[], 0),
        true,
        false,
        "ESTABLISHED",
        9,
    );
}

/// `nf_conntrack_tcp_set_closing`: REJECT --reject-with tcp-reset moves an
/// established entry to CLOSE with the CLOSE timeout (10 s); a second call
/// keeps the deadline; an unconfirmed entry is left alone.
#[test]
fn set_closing_after_reset() {
    let mut s = Sim::new(Config::with_max(64));
    let syn = tcp(A, 50000, B, 22, 10, 0, SYN, 64240, &[], 0);
    let synack = tcp(B, 22, A, 50000, 20, 11, SYN | ACK, 64240, &[], 0);
    let ackp = tcp(A, 50000, B, 22, 11, 21, ACK, 64240, &[], 0);
    s.inp(&syn, ms(0));
    s.pass(&synack, Hook::LocalOut, ms(10));
    let slot = s.inp(&ackp, ms(20));
    let h = slot.handle().unwrap();
    assert!(s.ct.set_closing(h, ms(1000)));
    assert_eq!(s.ct.tcp_state(h), Some(TcpState::Close));
    let (e, t) = s.one(ms(1000));
    assert!(e.starts_with("ipv4 tcp CLOSE "), "{e}");
    assert_eq!(t, 9);
    assert!(s.ct.set_closing(h, ms(5000)));
    assert_eq!(s.one(ms(5000)).1, 5);

    let mut s = Sim::new(Config::with_max(64));
    let r = s.ct.process(&syn, &meta(&syn), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    assert!(s.ct.set_closing(h, ms(0)));
    assert_eq!(s.ct.tcp_state(h), Some(TcpState::SynSent));
}

/// The established TCP path (`fast_tcp.rs`) in lockstep with the general
/// path (`process_general`): random sequences of TCP packets of a few
/// flows (three IPv4, one IPv6) in both directions, every flag combination the tracker
/// tells apart (and invalid ones), sequence and acknowledgement numbers
/// in and out of the window, window sizes down to zero, the window scale,
/// SACK-permitted, SACK blocks and timestamps, payloads, bad checksums,
/// bad data offsets, truncated headers, PREROUTING and OUTPUT, time
/// jumps past every timeout, `nf_conntrack_tcp_be_liberal` and
/// `nf_conntrack_checksum` off, with a flow's tuple also in another zone
/// and with a flow under a timeout policy (`established_tcp_any`, as
/// IPv6 takes). One table takes
/// `process` (the established path, else the general path), the other
/// `process_general` alone; after every packet the results and the whole
/// tables (`Debug`) are equal, and a packet the established path declines
/// leaves its table as it was.
mod established {
    use super::*;
    use proptest::prelude::*;

    const FLOWS: [(&str, u16, &str, u16); 4] = [
        ("192.0.2.7", 40000, "198.51.100.1", 80),
        ("192.0.2.8", 40001, "198.51.100.1", 80),
        ("192.0.2.7", 40002, "198.51.100.2", 22),
        ("2001:db8::7", 40000, "2001:db8::1", 80),
    ];

    const FLAGS: [u8; 12] = [
        ACK,
        ACK | 0x08,
        ACK | 0x08,
        ACK,
        SYN,
        SYN | ACK,
        FIN | ACK,
        RST,
        RST | ACK,
        ACK | 0x20 | 0x40 | 0x80,
        SYN | FIN,
        0,
    ];

    /// One packet: flow, reply, flags (index in `FLAGS`), sequence and
    /// acknowledgement choice, window, options, payload, damage, hook,
    /// time step.
    type Pkt = (usize, bool, usize, u8, u8, u16, u8, usize, u8, bool, u8);

    fn pkt() -> impl Strategy<Value = Pkt> {
        (
            0usize..4,
            any::<bool>(),
            0usize..FLAGS.len(),
            0u8..16,
            0u8..16,
            prop_oneof![Just(0u16), Just(1), Just(512), Just(64000), any::<u16>()],
            0u8..6,
            prop_oneof![4 => Just(0usize), 2 => 1usize..40, 1 => Just(1400)],
            0u8..24,
            any::<bool>(),
            0u8..32,
        )
    }

    /// A sequence number near `next` (the flow direction's next byte):
    /// mostly exact, else a little before or after, far away, zero.
    fn near(next: u32, k: u8, salt: u32) -> u32 {
        match k {
            0..=8 => next,
            9 => next.wrapping_sub(1 + salt % 100),
            10 => next.wrapping_add(1 + salt % 100),
            11 => next.wrapping_add(70_000 + salt),
            12 => next.wrapping_sub(70_000 + salt),
            13 => 0,
            14 => salt.wrapping_mul(0x9e37_79b9),
            _ => next.wrapping_add(salt % 3),
        }
    }

    fn same(a: &ConntrackTable, b: &ConntrackTable, step: usize) -> Result<(), TestCaseError> {
        let (a, b) = (format!("{a:?}"), format!("{b:?}"));
        if a != b {
            let i = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let at = |s: &str| s[i.saturating_sub(300)..(i + 200).min(s.len())].to_string();
            return Err(TestCaseError::fail(format!(
                "packet {step}: tables differ:\n{}\n--\n{}",
                at(&a),
                at(&b)
            )));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn established_tcp_is_the_general_path(
            liberal in prop_oneof![4 => Just(false), 1 => Just(true)],
            checksum in prop_oneof![4 => Just(true), 1 => Just(false)],
            extra in prop_oneof![4 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
            pkts in proptest::collection::vec(pkt(), 1..120),
        ) {
            let mut cfg = Config::with_max(64);
            if liberal {
                cfg.set("net.netfilter.nf_conntrack_tcp_be_liberal", 1).unwrap();
            }
            if !checksum {
                cfg.set("net.netfilter.nf_conntrack_checksum", 0).unwrap();
            }
            let mut fast = ConntrackTable::new(cfg).unwrap();
            if extra == 1 {
                // Flow 1's tuple in zone 5 (`-j CT --zone 5`): its
                // default-zone packets are not that entry's.
                let (c, cp, sv, sp) = FLOWS[1];
                let p = tcp(c, cp, sv, sp, 1000, 0, SYN, 64000, &[], 0);
                let tmpl = CtTemplate { zone: 5, ..CtTemplate::default() };
                let r = fast.process_tmpl(&p, &meta(&p), Hook::PreRouting, ms(0), Some(tmpl));
                prop_assert_eq!(fast.confirm(r.slot, ms(0)), CtVerdict::Accept);
                prop_assert!(fast.helpers.has_zones());
            }
            if extra == 2 {
                // Flow 2 under a timeout policy (`-j CT --timeout`) of
                // other timeouts, liberal, no checksum.
                let mut pc = Config::with_max(64);
                pc.set("net.netfilter.nf_conntrack_tcp_timeout_established", 100).unwrap();
                pc.set("net.netfilter.nf_conntrack_tcp_be_liberal", 1).unwrap();
                pc.set("net.netfilter.nf_conntrack_checksum", 0).unwrap();
                let id = fast
                    .add_timeout_policy(TimeoutPolicy {
                        name: b"t".to_vec(),
                        family: Family::Ipv4,
                        proto: 6,
                        cfg: pc,
                    })
                    .unwrap();
                let (c, cp, sv, sp) = FLOWS[2];
                let p = tcp(c, cp, sv, sp, 999, 0, SYN, 64000, &[], 0);
                let tmpl = CtTemplate { timeout: Some(id), ..CtTemplate::default() };
                let r = fast.process_tmpl(&p, &meta(&p), Hook::PreRouting, ms(0), Some(tmpl));
                prop_assert_eq!(fast.confirm(r.slot, ms(0)), CtVerdict::Accept);
                prop_assert!(!fast.timeouts.is_empty());
            }
            let mut general = fast.clone();
            // Per flow and direction: the next sequence number.
            let mut next = [[1000u32, 5000u32]; 4];
            let mut now = 0u64;
            for (step, (f, reply, fl, ks, ka, win, opts, len, dmg, pre, dt)) in
                pkts.into_iter().enumerate()
            {
                now += match dt {
                    0 => 130 * S,
                    1 => 400 * S,
                    2 => 432_001 * S,
                    3 => 61 * S,
                    _ => u64::from(dt),
                };
                let (c, cp, sv, sp) = FLOWS[f];
                let (s, spt, d, dpt) = if reply { (sv, sp, c, cp) } else { (c, cp, sv, sp) };
                let flags = FLAGS[fl];
                let dr = usize::from(reply);
                let salt = (step as u32).wrapping_mul(2_654_435_761) ^ u32::from(win);
                let seq = near(next[f][dr], ks, salt);
                let ack = near(next[f][1 - dr], ka, salt >> 7);
                let ts = [1u8, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 0];
                let a = next[f][1 - dr].wrapping_add(salt % 50).to_be_bytes();
                let sack = [1u8, 1, 5, 10, 0, 0, 0, 0, a[0], a[1], a[2], a[3]];
                let o: &[u8] = match opts {
                    0 | 1 => &[],
                    2 => &[1, 1, 4, 2, 1, 3, 3, 7],
                    3 => &ts,
                    4 => &sack,
                    _ => &[2, 4, 5, 0xb4, 4, 2, 1, 1],
                };
                let mut p = tcp(s, spt, d, dpt, seq, ack, flags, win, o, len);
                let th = if c.contains(':') { 40 } else { 20 };
                match dmg {
                    // A bad checksum.
                    0 => p[th + 16] ^= 0x40,
                    // Data offset beyond the segment / below 20 bytes.
                    1 => p[th + 12] = 0xf0,
                    2 => p[th + 12] = 0x40,
                    _ => {}
                }
                if dmg == 3 {
                    // A header cut short, with the meta of the whole.
                    p.truncate(th + 13);
                }
                let m = meta(&p);
                let hook = if pre { Hook::PreRouting } else { Hook::LocalOut };
                let t = ms(now);
                let want = general.process_general(&p, &m, hook, t, None, false);
                // The established path alone, on a copy: declining, it
                // changes nothing.
                let mut alone = fast.clone();
                if alone.established_tcp(&p, &m, hook, t).is_err() {
                    same(&alone, &fast, step + 200_000)?;
                }
                let got = fast.process(&p, &m, hook, t);
                prop_assert_eq!(got, want, "packet {}", step);
                same(&fast, &general, step)?;
                // As the host does at the end of the packet's path.
                prop_assert_eq!(fast.confirm(got.slot, t), general.confirm(want.slot, t));
                same(&fast, &general, step + 100_000)?;
                let adv = (len as u32)
                    .wrapping_add(u32::from(flags & SYN != 0))
                    .wrapping_add(u32::from(flags & FIN != 0));
                if ks < 9 {
                    next[f][dr] = seq.wrapping_add(adv);
                }
            }
        }
    }
}

/// The packets of an established connection take the established path:
/// `established_tcp` accepts them (IPv4, no zones), in both directions,
/// with or without payload, in PREROUTING and OUTPUT.
#[test]
fn established_tcp_takes_established_packets() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    let pkts = [
        tcp(A, 40000, B, 80, 101, 501, ACK, 64000, &[], 10),
        tcp(B, 80, A, 40000, 501, 111, ACK, 64000, &[], 0),
        tcp(B, 80, A, 40000, 501, 111, ACK | 0x08, 64000, &[], 100),
        tcp(A, 40000, B, 80, 111, 601, ACK, 64000, &[], 0),
    ];
    for (i, p) in pkts.iter().enumerate() {
        let hook = if i % 2 == 0 {
            Hook::PreRouting
        } else {
            Hook::LocalOut
        };
        let r = s.ct.established_tcp(p, &meta(p), hook, ms(10 + i as u64));
        assert!(
            matches!(
                r,
                Ok(CtResult {
                    slot: CtSlot::Entry { .. },
                    ..
                })
            ),
            "packet {i}: {r:?}"
        );
    }
    assert!(s.one(ms(20)).0.contains("ESTABLISHED"));
}
