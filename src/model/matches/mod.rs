//! Match extensions (`-m NAME`), one file each.
//!
//! To add one: write `NAME.rs` with a typed struct implementing
//! `Extension` (crate-private), declare the module below and
//! add a line to the [`Match`] list and to [`Match::caps`]. Names iptables
//! knows that have no variant are listed in [`UNSUPPORTED`] so that the
//! parser can say so.

pub mod addrtype;
pub mod ah;
pub mod bpf;
pub mod cgroup;
pub mod cluster;
pub mod comment;
pub mod connbytes;
pub mod connlabel;
pub mod connlimit;
pub mod connmark;
pub mod conntrack;
pub mod cpu;
pub mod dccp;
pub mod devgroup;
pub mod dscp;
pub mod ecn;
pub mod esp;
pub mod eui64;
pub mod frag;
pub mod hashlimit;
pub mod hbh;
pub mod helper;
pub mod hl;
pub mod icmp;
pub mod ipcomp;
pub mod iprange;
pub mod ipv6header;
pub mod ipvs;
pub mod length;
pub mod limit;
pub mod mac;
pub mod mark;
pub mod mh;
pub mod multiport;
pub mod nfacct;
pub mod osf;
pub mod owner;
pub mod physdev;
pub mod pkttype;
pub mod policy;
pub(crate) mod ports;
pub mod quota;
pub mod rateest;
pub mod realm;
pub mod recent;
pub mod rpfilter;
pub mod rt;
pub mod sctp;
pub mod set;
pub mod socket;
pub mod srh;
pub mod state;
pub mod statistic;
pub mod string;
pub mod tcp;
pub mod tcpmss;
pub mod time;
pub mod tos;
pub mod ttl;
pub mod u32;
pub mod udp;
pub mod xtopt;

use crate::model::registry::{extension_enum, Caps};

crate::model::ext::boxed_blank!(iprange::Iprange, hashlimit::Hashlimit, recent::Recent);

extension_enum! {
    /// A match extension with its options: one typed struct per `-m`
    /// extension, in the rule's `matches` in the order they were given.
    ///
    /// ```
    /// use nfsim::model::{Match, Rule};
    /// use nfsim::model::matches::comment::Comment;
    /// use nfsim::model::matches::tcp::Tcp;
    /// let r = Rule::tcp()
    ///     .with(Match::Tcp(Tcp { dports: (22, 22), ..Tcp::default() }))
    ///     .with(Match::Comment(Comment { text: "ssh".into() }))
    ///     .accept();
    /// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT");
    /// assert_eq!(r.matches[1].name(), "comment");
    /// ```
    pub enum Match {
        /// `-m tcp`
        "tcp", Both => Tcp(tcp::Tcp),
        /// `-m udp`
        "udp", Both => Udp(udp::Udp),
        /// `-m conntrack`
        "conntrack", Both => Conntrack(Box<conntrack::Conntrack>),
        /// `-m state`
        "state", Both => State(state::State),
        /// `-m mark`
        "mark", Both => Mark(mark::Mark),
        /// `-m connmark`
        "connmark", Both => Connmark(connmark::Connmark),
        /// `-m connlimit`
        "connlimit", Both => Connlimit(connlimit::Connlimit),
        /// `-m multiport`
        "multiport", Both => Multiport(Box<multiport::Multiport>),
        /// `-m iprange`
        "iprange", Both => Iprange(Box<iprange::Iprange>),
        /// `-m addrtype`
        "addrtype", Both => Addrtype(addrtype::Addrtype),
        /// `-m comment`
        "comment", Both => Comment(comment::Comment),
        /// `-m helper`
        "helper", Both => Helper(Box<helper::Helper>),
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
        /// `-m bpf`
        "bpf", Both => Bpf(bpf::Bpf),
        /// `-m u32`
        "u32", Both => U32(u32::U32),
        /// `-m osf`
        "osf", V4 => Osf(Box<osf::Osf>),
        /// `-m rateest`
        "rateest", Both => Rateest(Box<rateest::Rateest>),
        /// `-m time`
        "time", Both => Time(time::Time),
        /// `-m policy`
        "policy", Both => Policy(Box<policy::Policy>),
        /// `-m string`
        "string", Both => StringMatch(Box<string::StringMatch>),
        /// `-m ipvs`
        "ipvs", Both => Ipvs(Box<ipvs::Ipvs>),
        /// `-m connbytes`
        "connbytes", Both => Connbytes(connbytes::Connbytes),
        /// `-m cgroup`
        "cgroup", Both => Cgroup(Box<cgroup::Cgroup>),
        /// `-m cluster`
        "cluster", Both => Cluster(cluster::Cluster),
        /// `-m connlabel`
        "connlabel", Both => Connlabel(connlabel::Connlabel),
        /// `-m cpu`
        "cpu", Both => Cpu(cpu::Cpu),
        /// `-m devgroup`
        "devgroup", Both => Devgroup(devgroup::Devgroup),
        /// `-m ipcomp`
        "ipcomp", Both => Ipcomp(ipcomp::Ipcomp),
        /// `-m nfacct`
        "nfacct", Both => Nfacct(nfacct::Nfacct),
        /// `-m quota`
        "quota", Both => Quota(quota::Quota),
        /// `-m realm`
        "realm", V4 => Realm(realm::Realm),
        /// `-m rpfilter`
        "rpfilter", Both => Rpfilter(rpfilter::Rpfilter),
        /// `-m socket`
        "socket", Both => Socket(socket::Socket),
        /// `-m ipv6header`
        "ipv6header", V6 => Ipv6Header(ipv6header::Ipv6Header),
        /// `-m frag`
        "frag", V6 => Frag(frag::Frag),
        /// `-m rt`
        "rt", V6 => Rt(Box<rt::Rt>),
        /// `-m hbh`
        "hbh", V6 => Hbh(Box<hbh::Hbh>),
        /// `-m dst`
        "dst", V6 => Dst(Box<hbh::Dst>),
        /// `-m ah` (IPv4 and IPv6 variants differ in options)
        "ah", Both => Ah(ah::Ah),
        /// `-m esp`
        "esp", Both => Esp(esp::Esp),
        /// `-m mh`
        "mh", V6 => Mh(mh::Mh),
        /// `-m eui64`
        "eui64", V6 => Eui64(eui64::Eui64),
        /// `-m srh`
        "srh", V6 => Srh(Box<srh::Srh>),
        /// `-m sctp`
        "sctp", Both => Sctp(Box<sctp::Sctp>),
        /// `-m dccp`
        "dccp", Both => Dccp(dccp::Dccp),
        /// `-m hashlimit`
        "hashlimit", Both => Hashlimit(Box<hashlimit::Hashlimit>),
        /// `-m limit`
        "limit", Both => Limit(limit::Limit),
        /// `-m recent`
        "recent", Both => Recent(Box<recent::Recent>),
        /// `-m statistic`
        "statistic", Both => Statistic(statistic::Statistic),
        /// `-m owner`
        "owner", Both => Owner(Box<owner::Owner>),
        /// `-m physdev`
        "physdev", Both => Physdev(Box<physdev::Physdev>),
        /// `-m set`
        "set", Both => Set(Box<set::Set>),
    }
}

impl Match {
    /// What nfsim does with this match beyond parsing and printing it,
    /// declared here once per extension: the engine refuses at compile what
    /// is not `evaluable`, the host runs conntrack for what
    /// `needs_conntrack`. Exhaustive on purpose: a new variant must say.
    pub fn caps(&self) -> Caps {
        match self {
            Match::Tcp(_)
            | Match::Udp(_)
            | Match::Mark(_)
            | Match::Multiport(_)
            | Match::Iprange(_)
            | Match::Addrtype(_)
            | Match::Comment(_)
            | Match::Icmp(_)
            | Match::Icmp6(_)
            | Match::Length(_)
            | Match::Tos(_)
            | Match::Dscp(_)
            | Match::Ttl(_)
            | Match::Hl(_)
            | Match::Ecn(_)
            | Match::TcpMss(_)
            | Match::PktType(_)
            | Match::Mac(_)
            | Match::Policy(_)
            | Match::Physdev(_)
            | Match::Quota(_)
            | Match::Rpfilter(_)
            | Match::Ipv6Header(_)
            | Match::Frag(_)
            | Match::Rt(_)
            | Match::Hbh(_)
            | Match::Dst(_)
            | Match::Ah(_)
            | Match::Esp(_)
            | Match::Mh(_)
            | Match::Eui64(_)
            | Match::Srh(_)
            | Match::Hashlimit(_)
            | Match::Limit(_)
            | Match::Recent(_)
            | Match::Statistic(_)
            | Match::Nfacct(_) => Caps::EVAL,
            Match::Sctp(x) => Caps::eval_if(x.evaluable()),
            Match::Dccp(x) => Caps::eval_if(x.evaluable()),
            Match::StringMatch(x) => Caps::eval_if(x.evaluable()),
            Match::U32(x) => Caps::eval_if(x.evaluable()),
            // `--suppl-groups` needs the socket's supplementary groups.
            Match::Owner(x) => Caps::eval_if(!x.suppl_groups),
            Match::Conntrack(_)
            | Match::State(_)
            | Match::Connmark(_)
            | Match::Connlimit(_)
            | Match::Connbytes(_)
            | Match::Helper(_) => Caps::EVAL_CT,
            Match::Cluster(_) | Match::Connlabel(_) => Caps::PARSE_ONLY_CT,
            Match::Bpf(_)
            | Match::Osf(_)
            | Match::Rateest(_)
            | Match::Time(_)
            | Match::Ipvs(_)
            | Match::Cgroup(_)
            | Match::Cpu(_)
            | Match::Devgroup(_)
            | Match::Ipcomp(_)
            | Match::Realm(_)
            | Match::Socket(_) => Caps::PARSE_ONLY,
            Match::Set(_) => Caps::EVAL,
        }
    }
}

/// Names that reach a match lookup but have no [`Match`] variant: `l2tp`
/// (iptables' `libxt_l2tp`) and `udplite` (what `-p udplite` loads). Using
/// one is an explicit "not supported (yet)" error, never a silently ignored
/// rule. Names with a variant that nfsim cannot evaluate are told apart by
/// [`Match::caps`] when the ruleset is compiled.
pub const UNSUPPORTED: &[&str] = &["l2tp", "udplite"];
