//! The ICMP and ICMPv6 tracker (`icmp.rs`): echo, errors RELATED, ND untracked, error translation by NAT.

use super::*;

#[test]
fn icmp_rules() {
    let mut s = Sim::new(Config::with_max(8));
    // Echo reply without request: cannot create a connection.
    let p = icmp(A, B, 0, 0, 9, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Unknown type (> 18): invalid.
    let p = icmp(A, B, 40, 0, 9, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Error about nothing we know: invalid.
    let inner = udp(B, 1, A, 2, 0);
    let p = icmp(A, B, 3, 3, 0, &inner[..28]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Now with the UDP flow known: RELATED (error travels in reply direction).
    s.pass(&inner, Hook::LocalOut, ms(1));
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(2));
    assert_eq!(r.slot.info(), Some(CtInfo::RelatedReply));
    assert_eq!(r.slot.state_bits(), CtStates::RELATED);
    // Outer destination not matching the entry: invalid.
    let p2 = icmp(A, "192.0.2.99", 3, 3, 0, &inner[..28]);
    assert_eq!(
        s.ct.process(&p2, &meta(&p2), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
    // Timestamp request is new-able.
    let p = icmp(A, B, 13, 0, 5, &[0; 12]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(4))
            .slot
            .state_bits(),
        CtStates::NEW
    );
}

#[test]
fn icmpv6_nd_untracked_and_errors() {
    let mut s = Sim::new(Config::with_max(8));
    let a = "2001:db8::20";
    let b = "2001:db8::1";
    let ns = icmp(a, b, 135, 0, 0, &[0; 16]);
    assert_eq!(
        s.ct.process(&ns, &meta(&ns), Hook::PreRouting, ms(0)).slot,
        CtSlot::Untracked
    );
    assert_eq!(CtSlot::Untracked.state_bits(), CtStates::UNTRACKED);
    let inner = udp(b, 7, a, 8, 0);
    s.pass(&inner, Hook::LocalOut, ms(1));
    let err = icmp(a, b, 1, 4, 0, &inner);
    let r = s.ct.process(&err, &meta(&err), Hook::PreRouting, ms(2));
    assert_eq!(r.slot.info(), Some(CtInfo::RelatedReply));
    // Echo reply alone: invalid.
    let p = icmp(a, b, 129, 0, 1, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
}

/// ICMPv6 error about a DNATed connection, translated back (inner and outer).
#[test]
fn ipv6_icmp_error_translation() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(1);
    let client = "2001:db8:1::2";
    let mut syn = tcp(client, 50000, "2001:db8::1", 8080, 1, 0, SYN, 1000, &[], 0);
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("2001:db8::10"), ip("2001:db8::10"), Some((80, 80)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PreRouting, &mut syn, &m);
    ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, ms(0));
    ct.confirm(r.slot, ms(0));
    // 2001:db8::10 answers "port unreachable" about the (DNATed) SYN.
    let mut err = icmp_error("2001:db8::10", client, 1, 4, &syn);
    let m = meta(&err);
    let r = ct.process(&err, &m, Hook::PreRouting, ms(1));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut err, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut err, &m),
        CtVerdict::Accept
    );
    let (s, _) = meta(&err).addrs(&err);
    assert_eq!(
        s,
        tuple::addr_bytes(ip("2001:db8::1")).1,
        "outer source de-DNATed"
    );
    assert_eq!(
        &err[48 + 24..48 + 40],
        &tuple::addr_bytes(ip("2001:db8::1")).1,
        "inner destination"
    );
    assert_eq!(&err[48 + 42..48 + 44], &8080u16.to_be_bytes());
    let (_, d) = tuple::addr_bytes(ip(client));
    assert!(
        csum_ok(Family::Ipv6, &s, &d, 58, &err[40..]),
        "ICMPv6 checksum"
    );
}

/// One recorded ICMP error translation: a router DNATs `syn`'s
/// destination to `to`:22 and forwards it (`syn_out`); the server answers
/// with a port unreachable (`err`), which the router rewrites inner and
/// outer on the way back (`err_out`). Bytes as Linux 6.18 emitted them.
struct ErrorTranslation {
    to: &'static str,
    syn: &'static str,
    syn_out: &'static str,
    err: &'static str,
    err_out: &'static str,
}

/// The IPv4 and IPv6 twins: DNAT of 198.51.100.1:2222 to 192.0.2.10:22,
/// and of [2001:db8:1::1]:2222 to [2001:db8::10]:22.
const ERROR_TRANSLATIONS: [ErrorTranslation; 2] = [
    ErrorTranslation {
        to: "192.0.2.10",
        syn: "450000280001000040062665c6336402c6336401c73808ae00000064000000005002faf0903c0000",
        syn_out: "45000028000100003f068f8fc6336402c000020ac738001600000064000000005002faf000ff0000",
        err: "450000380001000040018e84c000020ac63364020303354a0000000045000028000100003f068f8fc6336402c000020ac738001600000064",
        err_out: "45000038000100003f01275ac6336401c633640203032cb20000000045000028000100003f062765c6336402c6336401c73808ae00000064",
    },
    ErrorTranslation {
        to: "2001:db8::10",
        syn: "600000000014064020010db800010000000000000000000220010db8000100000000000000000001c73808ae00000064000000005002faf089300000",
        syn_out: "600000000014063f20010db800010000000000000000000220010db8000000000000000000000010c738001600000064000000005002faf091ba0000",
        err: "6000000000443a4020010db800000000000000000000001020010db800010000000000000000000201043cbf00000000600000000014063f20010db800010000000000000000000220010db8000000000000000000000010c738001600000064000000005002faf091ba0000",
        err_out: "6000000000443a3f20010db800010000000000000000000120010db800010000000000000000000201043ccd00000000600000000014063f20010db800010000000000000000000220010db8000100000000000000000001c73808ae00000064000000005002faf089300000",
    },
];

/// What the forwarding path does between PREROUTING and POSTROUTING:
/// `ip_decrease_ttl`, or the IPv6 hop limit.
fn forward(p: &mut [u8]) {
    if p[0] >> 4 == 4 {
        fwd_ttl(p);
    } else {
        p[7] -= 1;
    }
}

/// ICMP / ICMPv6 error translation byte for byte as Linux 6.18 emitted it
/// ([`ERROR_TRANSLATIONS`]).
#[test]
fn kernel_checked_error_translation() {
    for case in &ERROR_TRANSLATIONS {
        let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
        let mut rng = SplitMix64::new(1);
        let mut syn = hex(case.syn);
        let m = meta(&syn);
        let r = ct.process(&syn, &m, Hook::PreRouting, ms(0));
        let h = r.slot.handle().unwrap();
        let range = NatRange::to(ip(case.to), ip(case.to), Some((22, 22)));
        ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
        ct.nat_packet(r.slot, Hook::PreRouting, &mut syn, &m);
        forward(&mut syn);
        ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, ms(0));
        ct.nat_packet(r.slot, Hook::PostRouting, &mut syn, &m);
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
        assert_eq!(to_hex(&syn), case.syn_out, "{}", case.to);

        let mut err = hex(case.err);
        let m = meta(&err);
        let r = ct.process(&err, &m, Hook::PreRouting, ms(500));
        assert_eq!(
            r.slot,
            CtSlot::Entry {
                handle: h,
                info: CtInfo::RelatedReply
            },
            "{}",
            case.to
        );
        assert_eq!(
            ct.nat_packet(r.slot, Hook::PreRouting, &mut err, &m),
            CtVerdict::Accept
        );
        forward(&mut err);
        assert_eq!(
            ct.nat_packet(r.slot, Hook::PostRouting, &mut err, &m),
            CtVerdict::Accept
        );
        assert_eq!(to_hex(&err), case.err_out, "{}", case.to);
    }
}
