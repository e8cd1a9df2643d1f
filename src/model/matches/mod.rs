//! Match extensions (`-m NAME`), one file each.
//!
//! To add one: write `NAME.rs` with a typed struct implementing
//! [`Extension`](crate::model::ext::Extension), declare the module below and
//! add a line to the [`Match`] list. Names iptables knows that nfsim does
//! not implement are listed in [`UNSUPPORTED`] so that the parser can say so.

pub mod ah;
pub mod dccp;
pub mod dscp;
pub mod ecn;
pub mod esp;
pub mod eui64;
pub mod frag;
pub mod hbh;
pub mod hl;
pub mod icmp;
pub mod ipv6header;
pub mod length;
pub mod mac;
pub mod mh;
pub mod pkttype;
pub mod ports;
pub mod rt;
pub mod sctp;
pub mod srh;
pub mod tcp;
pub mod tcpmss;
pub mod tos;
pub mod ttl;
pub mod udp;
pub mod xtargs;

use crate::model::registry::extension_enum;

extension_enum! {
    /// A match extension with its options.
    pub enum Match {
        /// `-m tcp`
        "tcp", Both => Tcp(tcp::Tcp),
        /// `-m udp`
        "udp", Both => Udp(udp::Udp),
        /// `-m icmp`
        "icmp", V4 => Icmp(icmp::Icmp),
        /// `-m icmp6`
        "icmp6", V6 => Icmp6(icmp::Icmp6),
        /// `-m length`
        "length", Both => Length(length::Length),
        /// `-m tos`
        "tos", Both => Tos(tos::Tos),
        /// `-m dscp`
        "dscp", Both => Dscp(dscp::Dscp),
        /// `-m ttl`
        "ttl", V4 => Ttl(ttl::Ttl),
        /// `-m hl`
        "hl", V6 => Hl(hl::Hl),
        /// `-m ecn`
        "ecn", Both => Ecn(ecn::Ecn),
        /// `-m tcpmss`
        "tcpmss", Both => TcpMss(tcpmss::TcpMss),
        /// `-m pkttype`
        "pkttype", Both => PktType(pkttype::PktType),
        /// `-m mac`
        "mac", Both => Mac(mac::Mac),
        /// `-m ipv6header`
        "ipv6header", V6 => Ipv6Header(ipv6header::Ipv6Header),
        /// `-m frag`
        "frag", V6 => Frag(frag::Frag),
        /// `-m rt`
        "rt", V6 => Rt(rt::Rt),
        /// `-m hbh`
        "hbh", V6 => Hbh(hbh::Hbh),
        /// `-m dst`
        "dst", V6 => Dst(hbh::Dst),
        /// `-m ah` (IPv4 and IPv6 variants differ in options)
        "ah", Both => Ah(ah::Ah),
        /// `-m esp`
        "esp", Both => Esp(esp::Esp),
        /// `-m mh`
        "mh", V6 => Mh(mh::Mh),
        /// `-m eui64`
        "eui64", V6 => Eui64(eui64::Eui64),
        /// `-m srh`
        "srh", V6 => Srh(srh::Srh),
        /// `-m sctp`
        "sctp", Both => Sctp(sctp::Sctp),
        /// `-m dccp`
        "dccp", Both => Dccp(dccp::Dccp),
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
    "helper",
];
