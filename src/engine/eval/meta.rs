//! Packet-metadata matches: mark, owner.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::engine::ctx::PacketCtx;
use crate::model::matches::mark::Mark;

/// `mark_mt` (net/netfilter/xt_mark.c):
/// `((skb->mark & mask) == mark) ^ invert`.
#[inline]
pub(crate) fn mark_mt(m: &Mark, pkt: &PacketCtx<'_>) -> bool {
    ((pkt.mark & m.mark.mask) == m.mark.value) ^ m.invert
}

/// `owner_mt` (net/netfilter/xt_owner.c) on the packet's socket owner
/// `sk` (uid, gid of the socket file's credentials). `uid`/`gid`: the
/// range and its `!`; `socket_exists`: `--socket-exists` with its `!`.
/// Without a socket the match holds only if every given option is inverted
/// (`(info->match ^ info->invert) == 0`); `! --socket-exists` fails on a
/// socket; a uid/gid test fails when `in range == inverted`.
/// `--suppl-groups` is not evaluated here (nfsim's sockets carry no
/// supplementary groups): the caller must refuse it.
pub fn owner_mt(
    uid: Option<((u32, u32), bool)>,
    gid: Option<((u32, u32), bool)>,
    socket_exists: Option<bool>,
    sk: Option<(u32, u32)>,
) -> bool {
    let Some((suid, sgid)) = sk else {
        let all_inverted = uid.is_none_or(|(_, i)| i)
            && gid.is_none_or(|(_, i)| i)
            && socket_exists.unwrap_or(true);
        return all_inverted;
    };
    if socket_exists == Some(true) {
        return false;
    }
    if let Some(((lo, hi), inv)) = uid {
        if (suid >= lo && suid <= hi) == inv {
            return false;
        }
    }
    if let Some(((lo, hi), inv)) = gid {
        if (sgid >= lo && sgid <= hi) == inv {
            return false;
        }
    }
    true
}
