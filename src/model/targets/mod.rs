//! Target extensions (`-j NAME`), one file each. Standard verdicts
//! (ACCEPT, DROP, RETURN, QUEUE, jumps and gotos) are
//! [`Verdict`](crate::model::Verdict) variants, not extensions.

pub mod audit;
pub mod checksum;
pub mod classify;
pub mod connmark;
pub mod connsecmark;
pub mod ct;
pub mod dscp;
pub mod ecn;
pub mod hmark;
pub mod idletimer;
pub mod led;
pub mod log;
pub mod mark;
pub mod nat;
pub mod netmap;
pub mod nflog;
pub mod nfqueue;
pub mod npt;
pub mod rateest;
pub mod reject;
pub mod secmark;
pub mod set;
pub mod synproxy;
pub mod tcpmss;
pub mod tcpoptstrip;
pub mod tee;
pub mod tos;
pub mod tproxy;
pub mod trace;
pub mod ttl;

use crate::model::registry::{extension_enum, Caps};

crate::model::ext::boxed_blank!(
    nat::Snat,
    nat::Dnat,
    nat::Masquerade,
    nat::Redirect,
    netmap::Netmap,
    hmark::Hmark,
    tee::Tee,
    tproxy::Tproxy,
);

extension_enum! {
    /// A target extension with its options (`-j NAME ...`), the rule's
    /// [`Verdict::Ext`](crate::model::Verdict::Ext).
    ///
    /// ```
    /// use nfsim::model::{Rule, Target};
    /// use nfsim::model::targets::reject::{Reject, RejectWith};
    /// let r = Rule::udp().dport(53).target(Target::Reject(Reject { with: RejectWith::IcmpPortUnreachable }));
    /// assert_eq!(r.to_string(), "-p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable");
    /// ```
    pub enum Target {
        /// `-j TRACE`
        "TRACE", Both => Trace(trace::Trace),
        /// `-j LOG`
        "LOG", Both => Log(Box<log::Log>),
        /// `-j REJECT`
        "REJECT", Both => Reject(reject::Reject),
        /// `-j MARK`
        "MARK", Both => Mark(mark::Mark),
        /// `-j CONNMARK`
        "CONNMARK", Both => Connmark(connmark::Connmark),
        /// `-j CT` and its alias `-j NOTRACK`
        "CT" | "NOTRACK", Both => Ct(Box<ct::Ct>),
        /// `-j SNAT`
        "SNAT", Both => Snat(Box<nat::Snat>),
        /// `-j DNAT`
        "DNAT", Both => Dnat(Box<nat::Dnat>),
        /// `-j MASQUERADE`
        "MASQUERADE", Both => Masquerade(Box<nat::Masquerade>),
        /// `-j REDIRECT`
        "REDIRECT", Both => Redirect(Box<nat::Redirect>),
        /// `-j NETMAP`
        "NETMAP", Both => Netmap(Box<netmap::Netmap>),
        /// `-j NFQUEUE`
        "NFQUEUE", Both => Nfqueue(nfqueue::Nfqueue),
        /// `-j NFLOG`
        "NFLOG", Both => Nflog(Box<nflog::Nflog>),
        /// `-j TOS`
        "TOS", Both => Tos(tos::Tos),
        /// `-j DSCP`
        "DSCP", Both => Dscp(dscp::Dscp),
        /// `-j TTL`
        "TTL", V4 => Ttl(ttl::Ttl),
        /// `-j HL`
        "HL", V6 => Hl(ttl::Hl),
        /// `-j TCPMSS`
        "TCPMSS", Both => Tcpmss(tcpmss::Tcpmss),
        /// `-j AUDIT`
        "AUDIT", Both => Audit(audit::Audit),
        /// `-j CHECKSUM`
        "CHECKSUM", Both => Checksum(checksum::Checksum),
        /// `-j SET`
        "SET", Both => Set(Box<set::SetTarget>),
        /// `-j CLASSIFY`
        "CLASSIFY", Both => Classify(classify::Classify),
        /// `-j CONNSECMARK`
        "CONNSECMARK", Both => Connsecmark(connsecmark::Connsecmark),
        /// `-j SECMARK`
        "SECMARK", Both => Secmark(secmark::Secmark),
        /// `-j IDLETIMER`
        "IDLETIMER", Both => Idletimer(Box<idletimer::Idletimer>),
        /// `-j LED`
        "LED", Both => Led(Box<led::Led>),
        /// `-j TEE`
        "TEE", Both => Tee(Box<tee::Tee>),
        /// `-j ECN`
        "ECN", V4 => Ecn(ecn::Ecn),
        /// `-j SNPT`
        "SNPT", V6 => Snpt(Box<npt::Snpt>),
        /// `-j DNPT`
        "DNPT", V6 => Dnpt(Box<npt::Dnpt>),
        /// `-j TCPOPTSTRIP`
        "TCPOPTSTRIP", Both => Tcpoptstrip(Box<tcpoptstrip::Tcpoptstrip>),
        /// `-j SYNPROXY`
        "SYNPROXY", Both => Synproxy(synproxy::Synproxy),
        /// `-j TPROXY`
        "TPROXY", Both => Tproxy(Box<tproxy::Tproxy>),
        /// `-j HMARK`
        "HMARK", Both => Hmark(Box<hmark::Hmark>),
        /// `-j RATEEST`
        "RATEEST", Both => Rateest(Box<rateest::Rateest>),
    }
}

impl Target {
    /// What nfsim does with this target beyond parsing and printing it,
    /// declared here once per extension (see [`Caps`]). Exhaustive on
    /// purpose: a new variant must say.
    pub fn caps(&self) -> Caps {
        match self {
            Target::Trace(_)
            | Target::Log(_)
            | Target::Reject(_)
            | Target::Mark(_)
            | Target::Nfqueue(_)
            | Target::Ttl(_)
            | Target::Hl(_)
            | Target::Tos(_)
            | Target::Dscp(_)
            | Target::Tcpmss(_)
            | Target::Ecn(_)
            | Target::Checksum(_)
            | Target::Nflog(_)
            | Target::Audit(_)
            | Target::Classify(_) => Caps::EVAL,
            Target::Set(_) => Caps::EVAL,
            Target::Connmark(_)
            | Target::Snat(_)
            | Target::Dnat(_)
            | Target::Masquerade(_)
            | Target::Redirect(_)
            | Target::Netmap(_) => Caps::EVAL_CT,
            // `--notrack` (and `-j NOTRACK`) is evaluated without conntrack;
            // a template with the helpers nfsim runs (ftp, tftp) and events
            // needs it; zones and other helpers are not evaluated.
            Target::Ct(c) => {
                use ct::CtFlags;
                if c.flags.contains(CtFlags::NOTRACK) || c.flags.contains(CtFlags::NOTRACK_ALIAS) {
                    Caps::EVAL
                } else if c.evaluable() {
                    Caps::EVAL_CT
                } else {
                    Caps::PARSE_ONLY_CT
                }
            }
            Target::Connsecmark(_) | Target::Synproxy(_) => Caps::PARSE_ONLY_CT,
            Target::Secmark(_)
            | Target::Idletimer(_)
            | Target::Led(_)
            | Target::Tee(_)
            | Target::Snpt(_)
            | Target::Dnpt(_)
            | Target::Tcpoptstrip(_)
            | Target::Tproxy(_)
            | Target::Hmark(_)
            | Target::Rateest(_) => Caps::PARSE_ONLY,
        }
    }
}

/// Target names iptables 1.8 ships that have no [`Target`] variant: naming
/// one is an explicit "not supported (yet)" error. Variants nfsim cannot
/// evaluate are told apart by [`Target::caps`] when the ruleset is compiled.
pub const UNSUPPORTED: &[&str] = &["CLUSTERIP"];
