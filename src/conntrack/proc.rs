//! `/proc/net/nf_conntrack` lines (`ct_seq_show` of
//! `nf_conntrack_standalone.c`) in the trace format's form.

use core::fmt;

use super::tuple::proto;
use super::{CtStatus, Entry, L4State, SctpState, TcpState};
use crate::time::Duration;

/// One `/proc/net/nf_conntrack` entry, displayed in the trace format's form
/// (`ct_seq_show` of `nf_conntrack_standalone.c`), e.g.
/// `ipv4 tcp SYN_SENT src=192.0.2.2 dst=192.0.2.1 sport=40000 dport=22 [UNREPLIED] src=192.0.2.1 dst=192.0.2.2 sport=22 dport=40000 mark=0`.
#[derive(Debug, Clone, Copy)]
pub struct ProcEntry<'a> {
    pub(super) e: &'a Entry,
    /// The TCP state of a TCP entry (kept in the table's side slab).
    pub(super) tcp: Option<TcpState>,
    /// The SCTP state of an SCTP entry (side slab too).
    pub(super) sctp: Option<SctpState>,
    /// The GRE timeouts of a GRE entry (side slab too).
    pub(super) gre: Option<(Duration, Duration)>,
    /// The `ctmark` (kept beside the entry).
    pub(super) mark: u32,
    /// The counters, when `nf_conntrack_acct` is on.
    pub(super) acct: Option<[(u64, u64); 2]>,
    /// The entry's zone (`ct_show_zone`: `zone-orig=` / `zone-reply=`
    /// after the tuple of a one-direction zone; `zone=` is not part of the
    /// trace format's line).
    pub(super) zone: super::helper::Zone,
}

/// `l4proto_name` of `nf_conntrack_standalone.c`.
fn l4proto_name(p: u8) -> &'static str {
    match p {
        proto::ICMP => "icmp",
        proto::TCP => "tcp",
        proto::UDP => "udp",
        proto::GRE => "gre",
        proto::SCTP => "sctp",
        proto::UDPLITE => "udplite",
        proto::ICMPV6 => "icmpv6",
        _ => "unknown",
    }
}

impl fmt::Display for ProcEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.e;
        let t = [e.t0, e.t1];
        write!(f, "{} {} ", t[0].family.name(), l4proto_name(t[0].proto))?;
        match e.l4() {
            L4State::Tcp(_) => {
                if let Some(st) = self.tcp {
                    write!(f, "{} ", st.name())?;
                }
            }
            L4State::Sctp(_) => {
                if let Some(st) = self.sctp {
                    write!(f, "{} ", st.name())?;
                }
            }
            // gre_print_conntrack
            L4State::Gre(_) => {
                if let Some((timeout, stream_timeout)) = self.gre {
                    write!(
                        f,
                        "timeout={}, stream_timeout={} ",
                        timeout.as_secs(),
                        stream_timeout.as_secs()
                    )?;
                }
            }
            _ => {}
        }
        write!(f, "{}", t[0])?;
        if self.zone.dir == 1 {
            write!(f, " zone-orig={}", self.zone.id)?;
        }
        if let Some(a) = self.acct {
            write!(f, " packets={} bytes={}", a[0].0, a[0].1)?;
        }
        if !e.status.contains(CtStatus::SEEN_REPLY) {
            f.write_str(" [UNREPLIED]")?;
        }
        write!(f, " {}", t[1])?;
        if self.zone.dir == 2 {
            write!(f, " zone-reply={}", self.zone.id)?;
        }
        if let Some(a) = self.acct {
            write!(f, " packets={} bytes={}", a[1].0, a[1].1)?;
        }
        if e.status.contains(CtStatus::HW_OFFLOAD) {
            f.write_str(" [HW_OFFLOAD]")?;
        } else if e.status.contains(CtStatus::OFFLOAD) {
            f.write_str(" [OFFLOAD]")?;
        } else if e.status.contains(CtStatus::ASSURED) {
            f.write_str(" [ASSURED]")?;
        }
        write!(f, " mark={}", self.mark)
    }
}
