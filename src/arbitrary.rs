//! [`Arbitrary`] inputs for fuzzers (feature `arbitrary`): rulesets that are
//! valid by construction, host configurations, packets (well formed, with
//! deliberate corruption as one choice) and whole scenarios.
//!
//! Everything here is built from what nfsim evaluates, so a fuzzer spends
//! its time in the pipeline, not in the input checks:
//!
//! * [`ArbRuleset`]: iptables-restore text from a grammar of matches and
//!   targets nfsim implements (addresses, protocols, ports, interfaces,
//!   `conntrack --ctstate`, `mark`, `multiport`; ACCEPT, DROP, RETURN,
//!   REJECT, LOG, MARK, jumps to user chains that never loop, DNAT,
//!   REDIRECT, SNAT and MASQUERADE in the hooks that take them), parsed by
//!   [`parse_restore`]: it passes [`crate::syntax::validate`] and
//!   [`Host::new`] (tested: tests/arbitrary.rs). The text is kept
//!   ([`ArbRuleset::text`]) to give another implementation the same rules.
//! * [`ArbPacket`]: IPv4 or IPv6, TCP, UDP or ICMP, between the
//!   scenario's addresses, lengths and checksums right; one in eight is
//!   corrupted on purpose (a byte changed or the packet cut), and says so.
//! * [`ArbHostConfig`]: a two-interface host (LAN `eth0` 192.0.2.1 and
//!   2001:db8:1::1, WAN `eth1` 198.51.100.1 and 2001:db8:2::1, prefix
//!   lengths, forwarding, `rp_filter`, redirects, conntrack sysctls and
//!   tick rate drawn), which [`Host::new`] accepts (tested).
//! * [`Scenario`]: such a host, its rulesets, and packets arriving on
//!   either interface or sent by the host, at increasing instants.
//!
//! # nfsim as a differential oracle
//!
//! To test another firewall implementation (an eBPF datapath, an nftables
//! translation, a hardware table) against the kernel's semantics:
//!
//! 1. Draw a [`Scenario`] from the fuzzer's bytes (`cargo fuzz` gives a
//!    `Scenario` directly: `fuzz_target!(|s: Scenario| ...)`).
//! 2. Give the implementation under test the same rules: the
//!    iptables-restore text ([`ArbRuleset::text`], or
//!    [`crate::syntax::save_bytes`] of the ruleset), translated as it
//!    needs; the same host (addresses, forwarding); the same packets, in
//!    order, each on its device ([`Entry`]) at its instant.
//! 3. Run [`Scenario::run`] and compare, packet by packet, the
//!    [`Disposition`] (accepted and delivered, forwarded, dropped,
//!    rejected...) and, where the implementation produces them, the
//!    emitted packets (NAT rewrites, REJECT replies). nfsim's answer is
//!    the kernel's (checked against recorded traces); a difference is a
//!    bug in the implementation under test, or an input nfsim reports as
//!    unsupported ([`Disposition::Unsupported`]), which the harness
//!    skips, visibly.
//!
//! The comparison must say which parts it ignores (say, LOG lines). A
//! failing scenario is its bytes: save them and replay. `examples/fuzz_oracle.rs`
//! runs the recipe with nfsim reading its own saved rules as the
//! implementation under test; `fuzz/fuzz_targets/scenario.rs` is the same
//! check as a `cargo fuzz` target.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use nfsim::arbitrary::Scenario;
//! let bytes = [7u8; 512];
//! let s = Scenario::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
//! let outcomes = s.run().unwrap();
//! assert_eq!(outcomes.len(), s.packets.len());
//! ```

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use arbitrary::{Arbitrary, Result, Unstructured};

use crate::engine::NoTrace;
use crate::host::{
    Disposition, Host, HostConfig, HostError, InterfaceConfig, Outcome, RouteConfig,
};
use crate::model::{Family, Ruleset};
use crate::syntax::{parse_restore, RestoreOptions};
use crate::time::Instant;
use crate::wire::tcp::TcpFlags;
use crate::wire::PacketBuilder;

const V4: [Ipv4Addr; 6] = [
    Ipv4Addr::new(192, 0, 2, 1),
    Ipv4Addr::new(192, 0, 2, 20),
    Ipv4Addr::new(198, 51, 100, 1),
    Ipv4Addr::new(198, 51, 100, 7),
    Ipv4Addr::new(203, 0, 113, 9),
    Ipv4Addr::new(203, 0, 113, 200),
];
const V6: [Ipv6Addr; 6] = [
    Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x20),
    Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 7),
    Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 9),
    Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, 0, 0x200),
];
const PORTS: [u16; 6] = [22, 53, 80, 443, 8080, 40000];

/// A ruleset valid by construction, with the restore text it came from.
#[derive(Debug, Clone)]
pub struct ArbRuleset {
    /// The iptables-restore (or ip6tables-restore) text.
    pub text: String,
    /// The parsed ruleset.
    pub ruleset: Ruleset,
}

impl ArbRuleset {
    /// An arbitrary ruleset of `family`.
    ///
    /// # Errors
    /// Only when `u` is exhausted in a way `arbitrary` reports.
    pub fn of(u: &mut Unstructured<'_>, family: Family) -> Result<ArbRuleset> {
        let v6 = family == Family::Ipv6;
        let mut text = String::new();
        // filter: INPUT, FORWARD, OUTPUT and up to two user chains; a rule
        // jumps only to a user chain of a higher number, so nothing loops.
        let users = u.int_in_range(0..=2u8)?;
        text.push_str("*filter\n");
        for c in ["INPUT", "FORWARD", "OUTPUT"] {
            let policy = if u.ratio(1, 4)? { "DROP" } else { "ACCEPT" };
            let _ = writeln!(text, ":{c} {policy} [0:0]");
        }
        for k in 0..users {
            let _ = writeln!(text, ":U{k} - [0:0]");
        }
        for (chain, level) in [("INPUT", 0u8), ("FORWARD", 0), ("OUTPUT", 0)]
            .into_iter()
            .chain((0..users).map(|k| (["U0", "U1"][k as usize], k + 1)))
        {
            for _ in 0..u.int_in_range(0..=4u8)? {
                let m = matches(u, v6, chain)?;
                let t = match u.int_in_range(0..=6u8)? {
                    0 => "ACCEPT".to_string(),
                    1 => "DROP".to_string(),
                    2 if chain.starts_with('U') => "RETURN".to_string(),
                    3 => "REJECT".to_string(),
                    4 => format!("LOG --log-prefix \"{chain} \""),
                    5 if level < users => format!("U{level}"),
                    _ => "ACCEPT".to_string(),
                };
                let _ = writeln!(text, "-A {chain}{m} -j {t}");
            }
        }
        text.push_str("COMMIT\n");
        if u.ratio(1, 2)? {
            text.push_str("*mangle\n");
            for chain in ["PREROUTING", "FORWARD", "POSTROUTING"] {
                for _ in 0..u.int_in_range(0..=2u8)? {
                    let m = matches(u, v6, chain)?;
                    let mark = u.int_in_range(1..=7u8)?;
                    let _ = writeln!(text, "-A {chain}{m} -j MARK --set-mark {mark}");
                }
            }
            text.push_str("COMMIT\n");
        }
        if u.ratio(1, 2)? {
            text.push_str("*nat\n");
            for chain in ["PREROUTING", "OUTPUT", "POSTROUTING"] {
                for _ in 0..u.int_in_range(0..=2u8)? {
                    let kind = u.int_in_range(0..=1u8)?;
                    let to = addr(u, v6)?;
                    let (m, t) = match (chain, kind) {
                        // MASQUERADE takes the address of the output
                        // device: one with an address of the family.
                        ("POSTROUTING", 0) => (
                            matches(u, v6, "nat-masquerade")? + " -o eth1",
                            "MASQUERADE".to_string(),
                        ),
                        ("POSTROUTING", _) => {
                            (matches(u, v6, chain)?, format!("SNAT --to-source {to}"))
                        }
                        (_, 0) => (matches(u, v6, chain)?, "REDIRECT".to_string()),
                        _ => (
                            matches(u, v6, chain)?,
                            format!("DNAT --to-destination {to}"),
                        ),
                    };
                    let _ = writeln!(text, "-A {chain}{m} -j {t}");
                }
            }
            text.push_str("COMMIT\n");
        }
        let ruleset = parse_restore(&text, &RestoreOptions::new(family))
            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
        Ok(ArbRuleset { text, ruleset })
    }
}

fn addr(u: &mut Unstructured<'_>, v6: bool) -> Result<IpAddr> {
    Ok(if v6 {
        IpAddr::V6(*u.choose(&V6)?)
    } else {
        IpAddr::V4(*u.choose(&V4)?)
    })
}

/// Matches for a rule of `chain`: each option in the hooks that take it.
fn matches(u: &mut Unstructured<'_>, v6: bool, chain: &str) -> Result<String> {
    let mut m = String::new();
    if u.ratio(1, 3)? {
        let a = addr(u, v6)?;
        let len = if v6 {
            *u.choose(&[128u8, 64, 48])?
        } else {
            *u.choose(&[32u8, 24, 16])?
        };
        let neg = if u.ratio(1, 5)? { " !" } else { "" };
        let _ = write!(
            m,
            "{neg} -{} {a}/{len}",
            if u.ratio(1, 2)? { "s" } else { "d" }
        );
    }
    let input = matches!(chain, "INPUT" | "FORWARD" | "PREROUTING");
    let output = matches!(chain, "OUTPUT" | "FORWARD" | "POSTROUTING");
    if input && u.ratio(1, 3)? {
        let _ = write!(m, " -i {}", u.choose(&["eth0", "eth1", "eth+"])?);
    }
    if output && u.ratio(1, 3)? {
        let _ = write!(m, " -o {}", u.choose(&["eth0", "eth1", "eth+"])?);
    }
    match u.int_in_range(0..=4u8)? {
        0 | 1 => {
            let p = if u.ratio(1, 2)? { "tcp" } else { "udp" };
            let _ = write!(m, " -p {p}");
            match u.int_in_range(0..=2u8)? {
                0 => {
                    let _ = write!(m, " --dport {}", u.choose(&PORTS)?);
                }
                1 => {
                    let _ = write!(
                        m,
                        " -m multiport --dports {},{}",
                        u.choose(&PORTS)?,
                        u.choose(&PORTS)?
                    );
                }
                _ => {
                    let _ = write!(m, " --sport {}", u.choose(&PORTS)?);
                }
            }
        }
        2 => m.push_str(if v6 { " -p ipv6-icmp" } else { " -p icmp" }),
        _ => {}
    }
    if u.ratio(1, 4)? {
        let s = u.choose(&[
            "NEW",
            "ESTABLISHED",
            "RELATED,ESTABLISHED",
            "INVALID",
            "NEW,DNAT",
        ])?;
        let _ = write!(m, " -m conntrack --ctstate {s}");
    }
    if u.ratio(1, 6)? {
        let _ = write!(m, " -m mark --mark {}", u.int_in_range(0..=7u8)?);
    }
    Ok(m)
}

/// A packet: well formed unless `corrupted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArbPacket {
    /// From the IP header on.
    pub bytes: Vec<u8>,
    /// A byte was changed or the packet cut on purpose.
    pub corrupted: bool,
}

impl<'a> Arbitrary<'a> for ArbPacket {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let v6 = u.ratio(1, 3)?;
        ArbPacket::of(u, v6)
    }
}

impl ArbPacket {
    /// An arbitrary IPv4 (`v6` false) or IPv6 packet.
    ///
    /// # Errors
    /// As [`Arbitrary::arbitrary`].
    pub fn of(u: &mut Unstructured<'_>, v6: bool) -> Result<ArbPacket> {
        let payload_len = u.int_in_range(0..=64usize)?;
        let payload = u.bytes(payload_len.min(u.len()))?;
        let (sp, dp) = (*u.choose(&PORTS)?, *u.choose(&PORTS)?);
        let proto = u.int_in_range(0..=2u8)?;
        let flags = *u.choose(&[
            TcpFlags::SYN,
            TcpFlags::ACK,
            TcpFlags::SYN | TcpFlags::ACK,
            TcpFlags::FIN | TcpFlags::ACK,
            TcpFlags::RST,
            TcpFlags::PSH | TcpFlags::ACK,
        ])?;
        let (seq, ack) = (u.arbitrary::<u32>()?, u.arbitrary::<u32>()?);
        let ident = u.arbitrary::<u16>()?;
        let mut bytes = if v6 {
            let b = PacketBuilder::ipv6(*u.choose(&V6)?, *u.choose(&V6)?);
            match proto {
                0 => b
                    .tcp(sp, dp)
                    .flags(flags)
                    .seq(seq)
                    .ack(ack)
                    .payload(payload)
                    .build(),
                1 => b.udp(sp, dp).payload(payload).build(),
                _ => b.icmp_echo_request(ident, 1).payload(payload).build(),
            }
        } else {
            let b = PacketBuilder::ipv4(*u.choose(&V4)?, *u.choose(&V4)?);
            match proto {
                0 => b
                    .tcp(sp, dp)
                    .flags(flags)
                    .seq(seq)
                    .ack(ack)
                    .payload(payload)
                    .build(),
                1 => b.udp(sp, dp).payload(payload).build(),
                _ => b.icmp_echo_request(ident, 1).payload(payload).build(),
            }
        };
        let corrupted = u.ratio(1, 8)?;
        if corrupted && !bytes.is_empty() {
            let at = u.choose_index(bytes.len())?;
            if u.ratio(1, 2)? {
                bytes.truncate(at);
            } else {
                bytes[at] ^= u.int_in_range(1..=255u8)?;
            }
        }
        Ok(ArbPacket { bytes, corrupted })
    }
}

/// Where a scenario's packet enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Arrives on device `dev` (1: `eth0`, 2: `eth1`).
    Receive(usize),
    /// Sent by the host through a raw socket.
    Send,
}

/// What became of one packet of a [`Scenario`]: its disposition and the
/// packets the host emitted meanwhile.
pub type Seen = (Disposition, Vec<Vec<u8>>);

/// One host, its rulesets and the packets it meets.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The host.
    pub host: HostConfig,
    /// IPv4 rules.
    pub v4: ArbRuleset,
    /// IPv6 rules.
    pub v6: ArbRuleset,
    /// Packets, in time order.
    pub packets: Vec<(Instant, Entry, ArbPacket)>,
}

/// A host configuration nfsim accepts: LAN `eth0` (192.0.2.1,
/// 2001:db8:1::1) and WAN `eth1` (198.51.100.1, 2001:db8:2::1) with
/// arbitrary prefix lengths, default routes through the WAN, and an
/// arbitrary choice of forwarding (per family), `rp_filter`,
/// `send_redirects`, conntrack sysctls (a table of as few as 4 entries,
/// loose pickup, liberal window, checksum checks) and tick rate.
#[derive(Debug, Clone)]
pub struct ArbHostConfig(pub HostConfig);

impl<'a> Arbitrary<'a> for ArbHostConfig {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let bad = |_| arbitrary::Error::IncorrectFormat;
        let p4 = *u.choose(&[16u8, 24, 28])?;
        let p6 = *u.choose(&[48u8, 64, 120])?;
        let eth0 = InterfaceConfig::new("eth0", &format!("192.0.2.1/{p4}"))
            .and_then(|i| i.with_addr(&format!("2001:db8:1::1/{p6}")))
            .map_err(bad)?;
        let eth1 = InterfaceConfig::new("eth1", &format!("198.51.100.1/{p4}"))
            .and_then(|i| i.with_addr(&format!("2001:db8:2::1/{p6}")))
            .map_err(bad)?;
        let mut sysctls: Vec<(String, i64)> = vec![
            ("net.ipv4.ip_forward".into(), i64::from(u.ratio(2, 3)?)),
            (
                "net.ipv6.conf.all.forwarding".into(),
                i64::from(u.ratio(1, 2)?),
            ),
        ];
        let mut maybe = |name: &str, values: &[i64]| -> Result<()> {
            if u.ratio(1, 4)? {
                sysctls.push((name.into(), *u.choose(values)?));
            }
            Ok(())
        };
        maybe("net.ipv4.conf.all.rp_filter", &[0, 1, 2])?;
        maybe("net.ipv4.conf.eth1.rp_filter", &[0, 1, 2])?;
        maybe("net.ipv4.conf.all.send_redirects", &[0, 1])?;
        maybe("net.netfilter.nf_conntrack_max", &[4, 64, 65536])?;
        maybe("net.netfilter.nf_conntrack_tcp_loose", &[0, 1])?;
        maybe("net.netfilter.nf_conntrack_tcp_be_liberal", &[0, 1])?;
        maybe("net.netfilter.nf_conntrack_checksum", &[0, 1])?;
        Ok(ArbHostConfig(HostConfig {
            interfaces: vec![eth0, eth1],
            routes: vec![
                RouteConfig {
                    dst: ipnet::IpNet::V4(Default::default()),
                    via: Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2))),
                    dev: None,
                },
                RouteConfig {
                    dst: ipnet::IpNet::V6(Default::default()),
                    via: Some(IpAddr::V6(Ipv6Addr::new(
                        0x2001, 0xdb8, 2, 0, 0, 0, 0, 0xfe,
                    ))),
                    dev: None,
                },
            ],
            sysctls,
            hz: *u.choose(&[100, 250, 300, 1000])?,
            ..HostConfig::default()
        }))
    }
}

impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let host = ArbHostConfig::arbitrary(u)?.0;
        let v4 = ArbRuleset::of(u, Family::Ipv4)?;
        let v6 = ArbRuleset::of(u, Family::Ipv6)?;
        let mut packets = Vec::new();
        let mut t = 0u64;
        for _ in 0..u.int_in_range(1..=16u8)? {
            t += u64::from(u.int_in_range(0..=2000u16)?);
            let entry = match u.int_in_range(0..=4u8)? {
                0 => Entry::Send,
                1 | 2 => Entry::Receive(1),
                _ => Entry::Receive(2),
            };
            let p = ArbPacket::arbitrary(u)?;
            packets.push((Instant::from_millis(t), entry, p));
        }
        Ok(Scenario {
            host,
            v4,
            v6,
            packets,
        })
    }
}

impl Scenario {
    /// Builds the host and runs the packets; returns each packet's
    /// disposition and the packets the host emitted for it.
    ///
    /// # Errors
    /// The host cannot be built (never for an arbitrary scenario: tested).
    pub fn run(&self) -> std::result::Result<Vec<Seen>, HostError> {
        let mut host = Host::new(&self.host, &self.v4.ruleset, &self.v6.ruleset)?;
        let mut out = Outcome::default();
        Ok(self
            .packets
            .iter()
            .map(|(t, e, p)| {
                match e {
                    Entry::Receive(d) => host.receive(*d, &p.bytes, *t, &mut out, &mut NoTrace),
                    Entry::Send => host.send(&p.bytes, *t, &mut out, &mut NoTrace),
                }
                (
                    out.disposition(),
                    out.emitted().map(|(_, b)| b.to_vec()).collect(),
                )
            })
            .collect())
    }
}
