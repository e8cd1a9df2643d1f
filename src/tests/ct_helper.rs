//! `-j CT --helper` on a whole host: what nfsim does not model is reported
//! per packet (`Disposition::Unsupported`), never run silently.

use crate::engine::NoTrace;
use crate::host::{Disposition, Host, HostConfig, InterfaceConfig, Outcome};
use crate::model::Family;
use crate::syntax::{parse_restore, RestoreOptions};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;
use crate::wire::PacketBuilder;

fn host(rules: &str) -> Host {
    let r4 = parse_restore(rules, &RestoreOptions::new(Family::Ipv4)).unwrap();
    let r6 = crate::model::Ruleset::new(Family::Ipv6);
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse().unwrap()],
            peer_mac: [2, 0, 0, 0, 0, 2],
        }],
        ..HostConfig::default()
    };
    Host::new(&cfg, &r4, &r6).unwrap()
}

fn syn(dport: u16) -> Vec<u8> {
    PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
        .tcp(40000, dport)
        .flags(TcpFlags::SYN)
        .build()
}

/// A helper the kernel has and nfsim does not run: the rule loads, a
/// connection it is attached to reports each packet unsupported, other
/// connections are untouched.
#[test]
fn unmodelled_helper_is_reported_per_packet() {
    let mut h = host("*raw\n-A PREROUTING -p tcp --dport 6667 -j CT --helper irc\nCOMMIT\n");
    let mut out = Outcome::default();
    h.receive(1, &syn(6667), Instant::ZERO, &mut out, &mut NoTrace);
    assert_eq!(
        out.unsupported,
        Some("conntrack helper irc is not modelled")
    );
    assert!(matches!(out.disposition(), Disposition::Unsupported(_)));
    let mut out = Outcome::default();
    h.receive(1, &syn(22), Instant::ZERO, &mut out, &mut NoTrace);
    assert_eq!(out.unsupported, None);
    assert!(matches!(out.disposition(), Disposition::Delivered { .. }));
}

/// `nf_nat_ftp` on a DNATed connection to the host: the client's PORT is
/// rewritten (at the same length: the client's address is unchanged) and
/// accepted, no longer reported unsupported (traces ct-helper-ftp-nat*).
#[test]
fn ftp_helper_on_nat_is_modelled() {
    let rules = "*raw\n-A PREROUTING -p tcp --dport 21 -j CT --helper ftp\nCOMMIT\n\
                 *nat\n-A PREROUTING -p tcp --dport 21 -j DNAT --to-destination 192.0.2.1:2121\nCOMMIT\n";
    let mut h = host(rules);
    let c = |flags, seq, ack, data: &[u8]| {
        PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .tcp(40000, 21)
            .flags(flags)
            .seq(seq)
            .ack(ack)
            .payload(data)
            .build()
    };
    let mut out = Outcome::default();
    let t = Instant::ZERO;
    h.receive(1, &c(TcpFlags::SYN, 1, 0, b""), t, &mut out, &mut NoTrace);
    let reply = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 20].into())
        .tcp(2121, 40000)
        .flags(TcpFlags::SYN | TcpFlags::ACK)
        .seq(100)
        .ack(2)
        .build();
    let mut out = Outcome::default();
    h.send(&reply, t, &mut out, &mut NoTrace);
    let ack = TcpFlags::ACK | TcpFlags::PSH;
    for (seq, line) in [
        (2u32, &b"USER x\r\n"[..]),
        (10, b"PORT 192,0,2,20,195,80\r\n"),
    ] {
        out = Outcome::default();
        h.receive(1, &c(ack, seq, 101, line), t, &mut out, &mut NoTrace);
    }
    assert_eq!(out.unsupported, None);
    assert!(matches!(out.disposition(), Disposition::Delivered { .. }));
    assert_eq!(h.conntrack().expectation_count(t), 1);
}

/// Zones load in every form; a timeout policy is refused.
#[test]
fn zones_load_timeouts_are_refused() {
    let load = |rule: &str| {
        let text = format!("*raw\n-A PREROUTING {rule}\nCOMMIT\n");
        let r4 = parse_restore(&text, &RestoreOptions::new(Family::Ipv4)).unwrap();
        let r6 = crate::model::Ruleset::new(Family::Ipv6);
        Host::new(&HostConfig::default(), &r4, &r6).is_ok()
    };
    assert!(load("-j CT --zone 5"));
    assert!(load("-j CT --zone mark"));
    assert!(load("-j CT --zone-orig 0"));
    assert!(load("-j CT --zone-orig 5"));
    assert!(load("-j CT --zone-reply mark"));
    // --timeout: refused while the rule is read (no timeout objects).
    let t = parse_restore(
        "*raw\n-A PREROUTING -j CT --timeout t1\nCOMMIT\n",
        &RestoreOptions::new(Family::Ipv4),
    );
    assert!(t.is_err());
}

/// `nf_nat_tftp` (IPv4): a tftp read request on a NATed connection is
/// delivered and leaves one expectation (with `nf_nat_follow_master`;
/// recorded in trace ct-helper-tftp-nat), never an unsupported report.
#[test]
fn tftp_helper_on_nat_is_modelled() {
    let rules = "*raw\n-A PREROUTING -p udp --dport 69 -j CT --helper tftp\nCOMMIT\n\
                 *nat\n-A PREROUTING -p udp --dport 69 -j DNAT --to-destination 192.0.2.1:6969\nCOMMIT\n";
    let mut h = host(rules);
    let rrq = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
        .udp(40000, 69)
        .payload(b"\x00\x01file\x00octet\x00")
        .build();
    let mut out = Outcome::default();
    h.receive(1, &rrq, Instant::ZERO, &mut out, &mut NoTrace);
    assert_eq!(out.unsupported, None);
    assert!(out.local, "{:?}", out.disposition());
    assert_eq!(h.conntrack().expectation_count(Instant::ZERO), 1);
}
