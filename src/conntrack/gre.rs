//! GRE connection tracking, following `net/netfilter/nf_conntrack_proto_gre.c`
//! (Linux 6.x: `gre_pkt_to_tuple`, `nf_conntrack_gre_packet`). The PPTP
//! helper's key map is not modelled: a GREv1 tuple has the call id as its
//! destination key and 0 as its source key.

use super::{CtStatus, L4Verdict};
use crate::time::Duration;
use crate::wire::get_u16;

/// `gre_pkt_to_tuple`: (src key, dst key), `None` for a GREv1 packet that
/// is not PPP (the kernel refuses to track it).
pub(super) fn keys(l4: &[u8]) -> Option<(u16, u16)> {
    let (Some(flags), Some(protocol)) = (get_u16(l4, 0), get_u16(l4, 2)) else {
        return Some((0, 0));
    };
    if flags & 0x0007 != 1 {
        return Some((0, 0));
    }
    let Some(call_id) = get_u16(l4, 6) else {
        return Some((0, 0));
    };
    if protocol != 0x880b {
        return None;
    }
    Some((0, call_id))
}

/// `nf_conntrack_gre_packet`: the entry's stream timeout (and ASSURED)
/// once a reply was seen, its timeout before.
pub(super) fn packet(timeout: Duration, stream_timeout: Duration, status: CtStatus) -> L4Verdict {
    if !status.contains(CtStatus::SEEN_REPLY) {
        L4Verdict::Refresh(timeout)
    } else if status.contains(CtStatus::NAT_CLASH) {
        L4Verdict::Refresh(stream_timeout)
    } else {
        L4Verdict::RefreshAssured(stream_timeout)
    }
}
