//! The netfilter words every layer shares, defined once at the bottom:
//! the address [`Family`] (`NFPROTO_IPV4` / `NFPROTO_IPV6`), the [`Hook`]
//! (`enum nf_inet_hooks`) and the conntrack state bits [`CtStates`]
//! (`XT_CONNTRACK_STATE_*`).
//!
//! `wire` (a packet's family), `model` (a ruleset's family, a chain's
//! hook, `--ctstate`), `conntrack` (a tuple's family, the hook it runs
//! in, a packet's state) and everything above use these types; the
//! familiar paths (`nfsim::model::Family`, `nfsim::model::Hook`,
//! `nfsim::conntrack::Family`, `nfsim::model::matches::conntrack::CtStates`)
//! are re-exports. Text belongs to the layers above (`model` adds the
//! program names and state names as inherent methods).

/// An address family: a packet's IP version, a ruleset's `iptables` or
/// `ip6tables`, a connection's `NFPROTO_*`.
///
/// ```
/// use nfsim::model::Family;
/// assert_eq!(Family::Ipv4.addr_len(), 4);
/// assert_eq!(nfsim::conntrack::Family::Ipv6, Family::Ipv6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`, `iptables`).
    Ipv4,
    /// IPv6 (`NFPROTO_IPV6`, `ip6tables`).
    Ipv6,
}

impl Family {
    /// Length of an address of this family in bytes.
    pub const fn addr_len(self) -> usize {
        match self {
            Family::Ipv4 => 4,
            Family::Ipv6 => 16,
        }
    }

    /// Full prefix length (32 or 128).
    pub const fn max_prefix(self) -> u8 {
        match self {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        }
    }

    /// The family of an IP packet by its version nibble; `None` for
    /// anything but 4 and 6.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// assert_eq!(Family::of_packet(&[0x45]), Some(Family::Ipv4));
    /// assert_eq!(Family::of_packet(&[]), None);
    /// ```
    pub fn of_packet(packet: &[u8]) -> Option<Family> {
        match packet.first().map(|b| b >> 4) {
            Some(4) => Some(Family::Ipv4),
            Some(6) => Some(Family::Ipv6),
            _ => None,
        }
    }

    /// Name as `/proc/net/nf_conntrack` prints it (`l3proto_name`).
    pub const fn name(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }
}

/// A netfilter hook, in the order the kernel numbers them
/// (`enum nf_inet_hooks`).
///
/// ```
/// use nfsim::model::Hook;
/// assert_eq!(Hook::LocalIn.chain_name(), "INPUT");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    /// `NF_INET_PRE_ROUTING`
    PreRouting,
    /// `NF_INET_LOCAL_IN`
    LocalIn,
    /// `NF_INET_FORWARD`
    Forward,
    /// `NF_INET_LOCAL_OUT`
    LocalOut,
    /// `NF_INET_POST_ROUTING`
    PostRouting,
}

impl Hook {
    /// All hooks in kernel order.
    pub const ALL: [Hook; 5] = [
        Hook::PreRouting,
        Hook::LocalIn,
        Hook::Forward,
        Hook::LocalOut,
        Hook::PostRouting,
    ];
    /// The built-in chain name of this hook.
    pub const fn chain_name(self) -> &'static str {
        match self {
            Hook::PreRouting => "PREROUTING",
            Hook::LocalIn => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::LocalOut => "OUTPUT",
            Hook::PostRouting => "POSTROUTING",
        }
    }
    /// This hook as a one-bit mask (bit = kernel hook number).
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }
    /// The hook whose built-in chain has this name.
    pub fn from_chain_name(name: &str) -> Option<Hook> {
        Hook::ALL.into_iter().find(|h| h.chain_name() == name)
    }
}

/// A set of conntrack states (`XT_CONNTRACK_STATE_*` bits of `state_mask`,
/// include/uapi/linux/netfilter/xt_conntrack.h; `XT_STATE_BIT` of
/// xt_state.h is the same numbering): bit `ctinfo % IP_CT_IS_REPLY + 1`
/// for a tracked packet, bit 0 for invalid, SNAT/DNAT for `--ctstate`.
/// What a rule asks for (`-m state --state`, `-m conntrack --ctstate`) and
/// what conntrack says a packet is.
///
/// ```
/// use nfsim::model::matches::conntrack::CtStates;
/// let s = CtStates::NEW | CtStates::ESTABLISHED;
/// assert!(s.contains(CtStates::NEW) && !s.contains(CtStates::INVALID));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CtStates(pub u32);

impl CtStates {
    /// `XT_CONNTRACK_STATE_INVALID` (1 << 0): the packet has no entry.
    pub const INVALID: CtStates = CtStates(1 << 0);
    /// `IP_CT_ESTABLISHED` bit (1 << 1), either direction.
    pub const ESTABLISHED: CtStates = CtStates(1 << 1);
    /// `IP_CT_RELATED` bit (1 << 2), either direction.
    pub const RELATED: CtStates = CtStates(1 << 2);
    /// `IP_CT_NEW` bit (1 << 3).
    pub const NEW: CtStates = CtStates(1 << 3);
    /// `XT_CONNTRACK_STATE_SNAT` (1 << (IP_CT_NUMBER + 1), IP_CT_NUMBER = 5):
    /// the entry has `IPS_SRC_NAT`.
    pub const SNAT: CtStates = CtStates(1 << 6);
    /// `XT_CONNTRACK_STATE_DNAT` (1 << 7): the entry has `IPS_DST_NAT`.
    pub const DNAT: CtStates = CtStates(1 << 7);
    /// `XT_CONNTRACK_STATE_UNTRACKED` (1 << 8).
    pub const UNTRACKED: CtStates = CtStates(1 << 8);

    /// Whether all bits of `o` are set.
    pub const fn contains(self, o: CtStates) -> bool {
        self.0 & o.0 == o.0
    }

    /// Whether any bit of `o` is set.
    pub const fn intersects(self, o: CtStates) -> bool {
        self.0 & o.0 != 0
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl core::ops::BitOr for CtStates {
    type Output = CtStates;
    fn bitor(self, o: CtStates) -> CtStates {
        CtStates(self.0 | o.0)
    }
}

impl core::ops::BitOrAssign for CtStates {
    fn bitor_assign(&mut self, o: CtStates) {
        self.0 |= o.0;
    }
}

impl core::ops::BitAnd for CtStates {
    type Output = CtStates;
    fn bitand(self, o: CtStates) -> CtStates {
        CtStates(self.0 & o.0)
    }
}
