//! Match extensions (`-m NAME`), one file each.
//!
//! To add one: write `NAME.rs` with a typed struct implementing
//! [`Extension`](crate::model::ext::Extension), declare the module below and
//! add a line to the [`Match`] list. Names iptables knows that nfsim does
//! not implement are listed in [`UNSUPPORTED`] so that the parser can say so.

pub mod addrtype;
pub mod comment;
pub mod connlimit;
pub mod connmark;
pub mod conntrack;
pub mod hashlimit;
pub mod helper;
pub mod iprange;
pub mod limit;
pub mod mark;
pub mod multiport;
pub mod owner;
pub mod physdev;
pub mod ports;
pub mod recent;
pub mod set;
pub mod state;
pub mod statistic;
pub mod tcp;
pub mod udp;
pub mod xtopt;

use crate::model::registry::extension_enum;

extension_enum! {
    /// A match extension with its options.
    pub enum Match {
        /// `-m tcp`
        "tcp", Both => Tcp(tcp::Tcp),
        /// `-m udp`
        "udp", Both => Udp(udp::Udp),
        /// `-m conntrack`
        "conntrack", Both => Conntrack(conntrack::Conntrack),
        /// `-m state`
        "state", Both => State(state::State),
        /// `-m mark`
        "mark", Both => Mark(mark::Mark),
        /// `-m connmark`
        "connmark", Both => Connmark(connmark::Connmark),
        /// `-m connlimit`
        "connlimit", Both => Connlimit(connlimit::Connlimit),
        /// `-m multiport`
        "multiport", Both => Multiport(multiport::Multiport),
        /// `-m iprange`
        "iprange", Both => Iprange(iprange::Iprange),
        /// `-m addrtype`
        "addrtype", Both => Addrtype(addrtype::Addrtype),
        /// `-m comment`
        "comment", Both => Comment(comment::Comment),
        /// `-m helper`
        "helper", Both => Helper(helper::Helper),
        /// `-m hashlimit`
        "hashlimit", Both => Hashlimit(hashlimit::Hashlimit),
        /// `-m limit`
        "limit", Both => Limit(limit::Limit),
        /// `-m recent`
        "recent", Both => Recent(recent::Recent),
        /// `-m statistic`
        "statistic", Both => Statistic(statistic::Statistic),
        /// `-m owner`
        "owner", Both => Owner(owner::Owner),
        /// `-m physdev`
        "physdev", Both => Physdev(physdev::Physdev),
        /// `-m set`
        "set", Both => Set(set::Set),
    }
}

/// Match names iptables 1.8 ships that nfsim does not implement (yet): using
/// one is an explicit error, never a silently ignored rule.
pub const UNSUPPORTED: &[&str] = &[
    "bpf",
    "cgroup",
    "cluster",
    "connbytes",
    "connlabel",
    "cpu",
    "devgroup",
    "ipvs",
    "nfacct",
    "osf",
    "policy",
    "quota",
    "rateest",
    "realm",
    "rpfilter",
    "socket",
    "string",
    "time",
    "u32",
    "ipcomp",
    "l2tp",
    "mh",
    "srh",
    "eui64",
    "dccp",
    "sctp",
    "udplite",
    "esp",
    "ah",
];
