//! `Outcome::disposition` against what the kernel's TRACE records imply.
//!
//! Every trace in tests/traces is replayed. For each packet whose TRACE
//! records nfsim reproduces exactly, the first record whose rule ends a
//! packet's walk with a drop (a rule `-j DROP`, `-j REJECT`, or a built-in
//! chain's policy DROP, read from the trace's ruleset) is the packet's own
//! end (records after it belong to packets it caused, such as the REJECT
//! reply): nfsim's disposition must name that same table, chain and rule
//! or policy, as Dropped(Rule/Policy) or Rejected. Conversely a packet
//! whose records show no such rule must not be reported dropped by a rule.
//! And every packet gets a disposition (never `None`).

mod common;

use nfsim::engine::{NoTrace, TraceKind, TraceSink};
use nfsim::host::{Disposition, DropReason, Outcome};
use nfsim::model::{Family, Policy, Ruleset, TableKind, Verdict};
use nfsim::replay::{from_hex, TraceFile};
use nfsim::time::Instant;

#[derive(Default)]
struct Records(Vec<String>);

impl TraceSink for Records {
    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        let chain = String::from_utf8_lossy(chain);
        self.0
            .push(format!("{}:{chain}:{}:{num}", table.name(), kind.as_str()));
    }
}

#[derive(Debug, PartialEq)]
enum End {
    Drop,
    Policy,
    Reject,
}

/// What the entry a record names does, if it ends a walk with a drop.
fn ending(rs: &Ruleset, record: &str) -> Option<End> {
    let mut it = record.split(':');
    let (table, chain, kind, num) = (it.next()?, it.next()?, it.next()?, it.next()?);
    let num: usize = num.parse().ok()?;
    let t = rs.tables.iter().find(|t| t.kind.name() == table)?;
    let c = t.chain(chain)?;
    match (kind, c.rules.get(num.wrapping_sub(1))) {
        // A rule, or a rule TRACE names `policy` / `return` for its shape
        // (an unconditional standard verdict).
        ("rule" | "policy" | "return", Some(r)) => match &r.verdict {
            Verdict::Drop => Some(End::Drop),
            Verdict::Ext(nfsim::model::Target::Reject(_)) => Some(End::Reject),
            _ => None,
        },
        ("policy", None) if c.policy == Some(Policy::Drop) => Some(End::Policy),
        _ => None,
    }
}

#[test]
fn dispositions_name_the_rule_the_kernel_trace_ends_on() {
    let files = common::trace_files(false);
    let (mut checked, mut by_rule, mut skipped, mut packets) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for f in &files {
        let t = TraceFile::from_json(&std::fs::read_to_string(f).unwrap()).unwrap();
        let Ok(mut host) = t.build_host() else {
            continue;
        };
        let (rs4, rs6) = t.rulesets().unwrap();
        let mut out = Outcome::default();
        for (i, p) in t.packets.iter().enumerate() {
            let bytes = from_hex(&p.hex).unwrap();
            let now = Instant::from_millis_f64(p.at_ms);
            let mut rec = Records::default();
            if p.out == Some(true) {
                host.send(&bytes, now, &mut out, &mut rec);
            } else {
                let dev = host.device_index(p.in_dev.as_deref().unwrap()).unwrap();
                match p.frame_dst().unwrap() {
                    Some(mac) => host.receive_frame(dev, mac, &bytes, now, &mut out, &mut rec),
                    None => host.receive(dev, &bytes, now, &mut out, &mut rec),
                }
            }
            packets += 1;
            let d = out.disposition();
            let kind = match d {
                Disposition::Dropped { reason, .. } => format!("dropped: {reason}"),
                Disposition::Delivered { .. } => "delivered".into(),
                Disposition::Forwarded { .. } => "forwarded".into(),
                Disposition::Sent { .. } => "sent".into(),
                Disposition::Rejected { .. } => "rejected".into(),
                Disposition::Queued { .. } => "queued".into(),
                other => other.to_string(),
            };
            *kinds.entry(kind).or_default() += 1;
            let name = format!("{} packet {i}", t.name);
            if d == Disposition::None {
                failures.push(format!("{name}: no disposition"));
            }
            let Some(kernel) = &p.expect else { continue };
            if kernel.trace != rec.0 {
                skipped += 1;
                continue;
            }
            checked += 1;
            let rs = if bytes[0] >> 4 == 4 { &rs4 } else { &rs6 };
            let end = kernel
                .trace
                .iter()
                .find_map(|r| ending(rs, r).map(|e| (r.as_str(), e)));
            match (end, d) {
                (Some((r, End::Reject)), Disposition::Rejected { at }) if at.to_string() == r => {
                    by_rule += 1
                }
                (
                    Some((r, End::Drop)),
                    Disposition::Dropped {
                        reason: DropReason::Rule,
                        at: Some(at),
                    },
                ) if at.to_string() == r => by_rule += 1,
                (
                    Some((r, End::Policy)),
                    Disposition::Dropped {
                        reason: DropReason::Policy,
                        at: Some(at),
                    },
                ) if at.to_string() == r => by_rule += 1,
                (Some((r, e)), d) => {
                    failures.push(format!("{name}: kernel ends on {r} ({e:?}), nfsim: {d}"))
                }
                (
                    None,
                    Disposition::Dropped {
                        reason: DropReason::Rule | DropReason::Policy,
                        at: Some(at),
                    },
                ) => failures.push(format!(
                    "{name}: nfsim says dropped by {at}, kernel records {:?}",
                    kernel.trace
                )),
                (None, Disposition::Rejected { at }) => failures.push(format!(
                    "{name}: nfsim says rejected by {at}, kernel records {:?}",
                    kernel.trace
                )),
                (None, _) => {}
            }
        }
    }
    eprintln!(
        "dispositions: {packets} packets, {checked} with the kernel's TRACE records \
         ({skipped} skipped: records differ), {by_rule} ended by a DROP/REJECT rule or \
         policy and named alike; dispositions: {kinds:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(by_rule > 50, "too few packets checked: {by_rule}");
}

/// Drops outside the rules carry their reason.
#[test]
fn reasons_outside_the_rules() {
    use nfsim::host::{HostConfig, InterfaceConfig};
    use nfsim::wire::PacketBuilder;
    let rules = nfsim::syntax::parse_restore(
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
        &nfsim::syntax::RestoreOptions::new(Family::Ipv4),
    )
    .unwrap();
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse().unwrap()],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        ..HostConfig::default()
    };
    let mut host = nfsim::host::Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    let mut out = Outcome::default();
    let v4 = |s: [u8; 4], d: [u8; 4]| PacketBuilder::ipv4(s.into(), d.into());
    let mut rx = |pkt: &[u8]| {
        host.receive(1, pkt, Instant::ZERO, &mut out, &mut NoTrace);
        out.disposition()
    };
    // Delivered.
    let p = v4([192, 0, 2, 20], [192, 0, 2, 1]).udp(1, 53).build();
    assert_eq!(rx(&p), Disposition::Delivered { dev: 1 });
    // A TCP header cut short: the tcp match hot-drops (tcp_mt: no header).
    let p = v4([192, 0, 2, 20], [192, 0, 2, 1])
        .protocol(nfsim::wire::IpProtocol::TCP)
        .payload(&[0; 10])
        .build();
    let d = rx(&p);
    assert!(
        matches!(
            d,
            Disposition::Dropped {
                reason: DropReason::HotDrop,
                at: Some(at)
            } if at.to_string() == "filter:INPUT:rule:1"
        ),
        "{d}"
    );
    // Forwarding is off.
    let p = v4([192, 0, 2, 20], [192, 0, 2, 99]).udp(1, 53).build();
    // ip_route_input_slow: not ours and forwarding off (-EHOSTUNREACH).
    assert_eq!(
        rx(&p),
        Disposition::Dropped {
            reason: DropReason::NotForwarding,
            at: None
        }
    );
    // Martian source.
    let p = v4([127, 0, 0, 1], [192, 0, 2, 1]).udp(1, 53).build();
    assert_eq!(
        rx(&p),
        Disposition::Dropped {
            reason: DropReason::Martian,
            at: None
        }
    );
    // A bad IPv4 header checksum: ip_rcv_core.
    let p = v4([192, 0, 2, 20], [192, 0, 2, 1])
        .bad_ip_checksum()
        .udp(1, 53)
        .build();
    assert_eq!(
        rx(&p),
        Disposition::Dropped {
            reason: DropReason::HeaderCheck,
            at: None
        }
    );
    // A bad UDP checksum on a short datagram delivered locally.
    let p = v4([192, 0, 2, 20], [192, 0, 2, 1])
        .udp(1, 53)
        .bad_checksum()
        .build();
    assert_eq!(
        rx(&p),
        Disposition::Dropped {
            reason: DropReason::UdpChecksum,
            at: None
        }
    );
    // A first fragment waits for the rest... only with conntrack; here the
    // stack reassembles before INPUT (ip_local_deliver).
    let b = v4([192, 0, 2, 20], [192, 0, 2, 1])
        .ident(7)
        .udp(1, 53)
        .payload(&[0; 64]);
    assert_eq!(rx(&b.fragment(0, 32).build()), Disposition::FragmentQueued);
    assert_eq!(
        rx(&b.fragment(32, 100).build()),
        Disposition::Delivered { dev: 1 }
    );
}

/// REJECT (with its reply among the emitted packets), NFQUEUE without a
/// listener, and a rule's DROP in a user chain.
#[test]
fn rejected_queued_and_user_chain_drops() {
    use nfsim::host::{HostConfig, InterfaceConfig};
    use nfsim::wire::PacketBuilder;
    let rules = nfsim::syntax::parse_restore(
        "*filter\n:INPUT ACCEPT [0:0]\n:BAD - [0:0]\n\
         -A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset\n\
         -A INPUT -p udp -m udp --dport 5000 -j NFQUEUE --queue-num 3\n\
         -A INPUT -p udp -m udp --dport 5001 -j NFQUEUE --queue-num 4 --queue-bypass\n\
         -A INPUT -s 192.0.2.66/32 -j BAD\n\
         -A BAD -p udp -j DROP\n\
         COMMIT\n",
        &nfsim::syntax::RestoreOptions::new(Family::Ipv4),
    )
    .unwrap();
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse().unwrap()],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        ..HostConfig::default()
    };
    let mut host = nfsim::host::Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    let mut out = Outcome::default();
    let v4 = |s: [u8; 4]| PacketBuilder::ipv4(s.into(), [192, 0, 2, 1].into());

    let syn = v4([192, 0, 2, 20])
        .tcp(40000, 23)
        .flags(nfsim::wire::tcp::TcpFlags::SYN)
        .build();
    host.receive(1, &syn, Instant::ZERO, &mut out, &mut NoTrace);
    let d = out.disposition();
    assert!(
        matches!(d, Disposition::Rejected { at } if at.to_string() == "filter:INPUT:rule:1"),
        "{d}"
    );
    assert!(d.is_dropped());
    let (dev, rst) = out.emitted().next().expect("the RST left");
    assert_eq!((dev, rst[33] & 0x04), (1, 0x04));

    host.receive(
        1,
        &v4([192, 0, 2, 20]).udp(1, 5000).build(),
        Instant::ZERO,
        &mut out,
        &mut NoTrace,
    );
    let d = out.disposition();
    assert!(
        matches!(d, Disposition::Queued { at, num: 3 } if at.num == 2),
        "{d}"
    );
    // --queue-bypass with nobody listening: on to the next rules.
    host.receive(
        1,
        &v4([192, 0, 2, 20]).udp(1, 5001).build(),
        Instant::ZERO,
        &mut out,
        &mut NoTrace,
    );
    assert_eq!(out.disposition(), Disposition::Delivered { dev: 1 });

    host.receive(
        1,
        &v4([192, 0, 2, 66]).udp(1, 9).build(),
        Instant::ZERO,
        &mut out,
        &mut NoTrace,
    );
    let d = out.disposition();
    assert_eq!(d.to_string(), "dropped: rule at filter:BAD:rule:1");
}
