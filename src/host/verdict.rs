//! What became of a packet: [`Disposition`], read with
//! [`Outcome::disposition`](super::Outcome::disposition).
//!
//! Every value here is `Copy` and holds no heap data: a chain name is kept
//! inline ([`ChainLabel`], iptables' names are at most 28 bytes), so
//! recording a verdict allocates nothing.

use core::fmt;

use crate::engine::TraceKind;
use crate::model::{Family, Hook, TableKind};

/// A chain name kept inline (no allocation): at most
/// [`crate::model::CHAIN_NAME_MAX`] bytes, which every chain iptables
/// accepts fits.
///
/// ```
/// use nfsim::host::ChainLabel;
/// let c = ChainLabel::new("DOCKER-USER");
/// assert_eq!(c.as_bytes(), b"DOCKER-USER");
/// assert_eq!(c.to_string(), "DOCKER-USER");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainLabel {
    len: u8,
    bytes: [u8; crate::model::CHAIN_NAME_MAX],
}

impl ChainLabel {
    /// Keeps `name` (the kernel keeps chain names as bytes); a longer name
    /// (which no ruleset can hold) keeps its first 28 bytes.
    ///
    /// ```
    /// use nfsim::host::ChainLabel;
    /// assert_eq!(ChainLabel::new("INPUT").as_bytes(), b"INPUT");
    /// ```
    pub fn new(name: impl AsRef<[u8]>) -> ChainLabel {
        let name = name.as_ref();
        let n = name.len().min(crate::model::CHAIN_NAME_MAX);
        let mut bytes = [0u8; crate::model::CHAIN_NAME_MAX];
        bytes[..n].copy_from_slice(&name[..n]);
        ChainLabel {
            len: n as u8,
            bytes,
        }
    }

    /// A compiled chain's label (`CChain::label`, the name zero padded,
    /// computed once): a fixed-size copy.
    #[inline]
    pub(crate) fn of_chain(c: &crate::engine::program::CChain) -> ChainLabel {
        ChainLabel {
            len: c.label.1,
            bytes: c.label.0,
        }
    }

    /// The name's bytes.
    ///
    /// ```
    /// use nfsim::host::ChainLabel;
    /// assert_eq!(ChainLabel::new(b"f2b-\xff").as_bytes(), b"f2b-\xff");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The name as text, when it is UTF-8.
    ///
    /// ```
    /// use nfsim::host::ChainLabel;
    /// assert_eq!(ChainLabel::new("f2b-sshd").to_str(), Some("f2b-sshd"));
    /// ```
    pub fn to_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_bytes()).ok()
    }
}

impl fmt::Debug for ChainLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        crate::host::log::kmsg_escape(f, self.as_bytes())?;
        f.write_str("\"")
    }
}

/// As `/dev/kmsg` shows it in a TRACE record: bytes outside printable
/// ASCII (and `\\`) as `\xNN`.
impl fmt::Display for ChainLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::host::log::kmsg_escape(f, self.as_bytes())
    }
}

/// Where in the rules a verdict was given: the entry as the kernel's TRACE
/// names it (`table:chain:rule:N` / `policy:N`).
///
/// ```
/// use nfsim::host::{ChainLabel, RuleRef};
/// use nfsim::engine::TraceKind;
/// use nfsim::model::{Family, Hook, TableKind};
/// let r = RuleRef { family: Family::Ipv4, hook: Hook::LocalIn, table: TableKind::Filter,
///     chain: ChainLabel::new("INPUT"), kind: TraceKind::Policy, num: 3 };
/// assert_eq!(r.to_string(), "filter:INPUT:policy:3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef {
    /// iptables or ip6tables.
    pub family: Family,
    /// The hook the table was walked for.
    pub hook: Hook,
    /// The table.
    pub table: TableKind,
    /// The chain holding the entry.
    pub chain: ChainLabel,
    /// How TRACE names the entry: `rule`; `policy` for a built-in chain's
    /// policy; and, as the kernel's `get_chainname_rulenum` does, `policy`
    /// / `return` for a rule with an unconditional standard verdict that
    /// has the shape of a chain's tail (the [`DropReason`] still says
    /// [`DropReason::Rule`] for it).
    pub kind: TraceKind,
    /// The rule's number in its chain, as `iptables -L --line-numbers`
    /// shows it; for a policy, the number of rules plus one (as TRACE).
    pub num: u32,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.table,
            self.chain,
            self.kind.as_str(),
            self.num
        )
    }
}

/// Why a packet was dropped (see [`Disposition::Dropped`]). Each names the
/// kernel function that drops.
///
/// ```
/// use nfsim::host::DropReason;
/// assert_eq!(DropReason::RpFilter.to_string(), "reverse path filter (fib_validate_source)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A rule's `-j DROP`.
    Rule,
    /// A built-in chain's policy DROP.
    Policy,
    /// A match set `hotdrop` (a truncated or malformed header it needed),
    /// or IPv6 `ip6_packet_match` found no upper-layer header with `-p`.
    HotDrop,
    /// An extension target returned `NF_DROP` itself (e.g. MASQUERADE with
    /// no address on the output device, TCPMSS on a malformed segment).
    Target,
    /// A jump beyond the jump stack (`ipt_do_table`).
    JumpStack,
    /// Not an IPv4/IPv6 packet, or its headers cannot be read.
    Malformed,
    /// `ip_rcv_core` / `ip6_rcv_core` refused the header (length, version,
    /// checksum, addresses).
    HeaderCheck,
    /// `nf_conntrack_in` returned `NF_DROP` (a tracker refused the packet,
    /// e.g. a TCP reopen that repeats).
    Conntrack,
    /// The conntrack table is full (`nf_conntrack_alloc` / early drop failed:
    /// "nf_conntrack: table full, dropping packet").
    ConntrackFull,
    /// `__nf_conntrack_confirm` dropped the packet (its entry clashed or is
    /// dying).
    ConntrackConfirm,
    /// A conntrack helper returned `NF_DROP` in `nf_confirm` (a partial
    /// FTP command, an expectation that could not be registered).
    ConntrackHelper,
    /// NAT could not bind or rewrite the packet (`nf_nat_inet_fn`).
    Nat,
    /// A martian source or destination (`ip_route_input_slow`).
    Martian,
    /// Reverse path filter (`fib_validate_source` with rp_filter).
    RpFilter,
    /// IPv4 options refused (`ip_rcv_options`: source route, bad option).
    IpOptions,
    /// No route to the destination (`ip_error` / `ip6_pkt_discard`; an ICMP
    /// "unreachable" may have been sent).
    NoRoute,
    /// Routed to another host while forwarding is off.
    NotForwarding,
    /// A multicast group the host has not joined.
    MulticastNotJoined,
    /// TTL / hop limit exhausted while forwarding (an ICMP "time exceeded"
    /// may have been sent).
    TtlExceeded,
    /// `ip6_forward`'s source check (unspecified, multicast, loopback or
    /// link-local source).
    ForwardSource,
    /// A loopback source leaving by a device without `route_localnet`
    /// (`ip_route_me_harder`).
    LoopbackSource,
    /// A fragment the reassembly refused (overlap, duplicate, corruption).
    Fragment,
    /// `udp4_csum_init` / `udp6_csum_init` refused a UDP datagram delivered
    /// locally (bad checksum, bad length, IPv6 zero checksum).
    UdpChecksum,
    /// TCP refused a locally delivered segment of at most CHECKSUM_BREAK
    /// (76) bytes for its checksum before the socket lookup (`tcp_v4_rcv` /
    /// `tcp_v6_rcv`, `skb_checksum_init`).
    TransportChecksum,
    /// UDP broadcast / multicast delivery found no socket.
    NoSocket,
    /// IPv6 "no next header" (59): `dst_discard`.
    NoNextHeader,
    /// A bridged frame for a MAC the bridge learnt on the port it came in
    /// on (`br_forward`: `should_deliver` refuses the input port without
    /// hairpin mode), or for the bridge's own MAC sent back by the bridge
    /// device (`br_forward` with no port).
    BridgeNotDelivered,
    /// A frame for another MAC on a device that is not a bridge port:
    /// `ip_rcv_core` drops `PACKET_OTHERHOST` before any hook.
    OtherHost,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Rule => "rule",
            DropReason::Policy => "policy",
            DropReason::HotDrop => "match hot drop",
            DropReason::Target => "target",
            DropReason::JumpStack => "jump stack overflow",
            DropReason::Malformed => "malformed packet",
            DropReason::HeaderCheck => "header check (ip_rcv_core)",
            DropReason::Conntrack => "conntrack (nf_conntrack_in)",
            DropReason::ConntrackFull => "conntrack table full",
            DropReason::ConntrackConfirm => "conntrack confirm",
            DropReason::ConntrackHelper => "conntrack helper (nf_confirm)",
            DropReason::Nat => "NAT (nf_nat_inet_fn)",
            DropReason::Martian => "martian address",
            DropReason::RpFilter => "reverse path filter (fib_validate_source)",
            DropReason::IpOptions => "IP options (ip_rcv_options)",
            DropReason::NoRoute => "no route",
            DropReason::NotForwarding => "forwarding disabled",
            DropReason::MulticastNotJoined => "multicast group not joined",
            DropReason::TtlExceeded => "TTL / hop limit exceeded",
            DropReason::ForwardSource => "source not forwardable (ip6_forward)",
            DropReason::LoopbackSource => "loopback source (route_localnet)",
            DropReason::Fragment => "fragment refused by reassembly",
            DropReason::UdpChecksum => "UDP checksum (udp_csum_init)",
            DropReason::TransportChecksum => "transport checksum (skb_checksum_init)",
            DropReason::NoSocket => "no socket",
            DropReason::NoNextHeader => "no next header",
            DropReason::BridgeNotDelivered => "bridge: not sent back to its input port",
            DropReason::OtherHost => "frame for another host (PACKET_OTHERHOST)",
        })
    }
}

/// What became of the packet given to [`Host::receive`](super::Host::receive)
/// or [`Host::send`](super::Host::send) (not of the packets it caused: those
/// are in [`Outcome::emitted`](super::Outcome::emitted)).
///
/// ```
/// use nfsim::host::{Disposition, DropReason};
/// let d = Disposition::Dropped { reason: DropReason::NoRoute, at: None };
/// assert!(d.is_dropped());
/// assert_eq!(d.to_string(), "dropped: no route");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Disposition {
    /// No packet was processed yet (a fresh [`Outcome`](super::Outcome)).
    #[default]
    None,
    /// Delivered to the host's own stack, received on device `dev` (0: `lo`).
    Delivered {
        /// Device index.
        dev: usize,
    },
    /// Forwarded: left the host by device `dev` (possibly in fragments).
    Forwarded {
        /// Device index.
        dev: usize,
    },
    /// Sent by the host: left by device `dev` (never 0: a packet sent to
    /// `lo` comes back in and ends delivered or dropped).
    Sent {
        /// Device index.
        dev: usize,
    },
    /// Dropped: why, and for a verdict of the rules, where.
    Dropped {
        /// Why.
        reason: DropReason,
        /// The rule or policy, for reasons given by the rules
        /// ([`DropReason::Rule`], [`DropReason::Policy`],
        /// [`DropReason::HotDrop`], [`DropReason::Target`],
        /// [`DropReason::JumpStack`]); `None` otherwise.
        at: Option<RuleRef>,
    },
    /// Dropped by a `REJECT` rule; its reply (if the kernel sent one) is
    /// among [`Outcome::emitted`](super::Outcome::emitted) or delivered to
    /// the host.
    Rejected {
        /// The rule.
        at: RuleRef,
    },
    /// Given to `NFQUEUE` queue `num` (`NF_QUEUE`). Nothing listens in a
    /// simulation: the kernel then drops it (`--queue-bypass` would have let
    /// it go on instead, and then this is not the disposition).
    Queued {
        /// The rule.
        at: RuleRef,
        /// Queue number.
        num: u16,
    },
    /// A target took the packet (`NF_STOLEN`).
    Stolen {
        /// The rule.
        at: RuleRef,
    },
    /// A fragment kept by the reassembly until the rest arrives.
    FragmentQueued,
    /// The packet took a path nfsim cannot reproduce (as
    /// [`Outcome::unsupported`](super::Outcome::unsupported)).
    Unsupported(&'static str),
}

impl Disposition {
    /// Dropped, rejected or queued without a listener: the packet went no
    /// further.
    ///
    /// ```
    /// use nfsim::host::Disposition;
    /// assert!(!Disposition::Delivered { dev: 1 }.is_dropped());
    /// ```
    pub fn is_dropped(&self) -> bool {
        matches!(
            self,
            Disposition::Dropped { .. } | Disposition::Rejected { .. } | Disposition::Queued { .. }
        )
    }

    /// The rule or policy that decided, if the rules decided.
    ///
    /// ```
    /// use nfsim::host::Disposition;
    /// assert_eq!(Disposition::FragmentQueued.rule(), None);
    /// ```
    pub fn rule(&self) -> Option<&RuleRef> {
        match self {
            Disposition::Dropped { at, .. } => at.as_ref(),
            Disposition::Rejected { at }
            | Disposition::Queued { at, .. }
            | Disposition::Stolen { at } => Some(at),
            _ => None,
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disposition::None => f.write_str("no packet"),
            Disposition::Delivered { dev } => write!(f, "delivered locally (device {dev})"),
            Disposition::Forwarded { dev } => write!(f, "forwarded out of device {dev}"),
            Disposition::Sent { dev } => write!(f, "sent out of device {dev}"),
            Disposition::Dropped { reason, at: None } => write!(f, "dropped: {reason}"),
            Disposition::Dropped {
                reason,
                at: Some(at),
            } => write!(f, "dropped: {reason} at {at}"),
            Disposition::Rejected { at } => write!(f, "rejected at {at}"),
            Disposition::Queued { at, num } => write!(f, "queued to NFQUEUE {num} at {at}"),
            Disposition::Stolen { at } => write!(f, "stolen at {at}"),
            Disposition::FragmentQueued => f.write_str("fragment queued for reassembly"),
            Disposition::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ChainLabel;
    use crate::engine::Program;
    use crate::model::{Family, TableKind};

    /// The compiled chain's label is `ChainLabel::new` of its name, for
    /// short, 23-byte (inline) and 28-byte (longest) names.
    #[test]
    fn of_chain_is_new_of_the_name() {
        let long = "A".repeat(crate::model::CHAIN_NAME_MAX);
        let text = format!(
            "*filter\n:X - [0:0]\n:ABCDEFGHIJKLMNOPQRSTUVW - [0:0]\n:{long} - [0:0]\nCOMMIT\n"
        );
        let rs =
            crate::syntax::parse_restore(&text, &crate::syntax::RestoreOptions::new(Family::Ipv4))
                .unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(TableKind::Filter).unwrap();
        assert!(t.chains.len() >= 6);
        for c in &t.chains {
            assert_eq!(ChainLabel::of_chain(c), ChainLabel::new(&c.name));
            assert_eq!(ChainLabel::of_chain(c).as_bytes(), c.name.as_ref());
        }
    }
}
