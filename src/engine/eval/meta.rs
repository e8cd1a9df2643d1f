//! Packet-metadata matches: mark, owner, physdev.
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

/// `physdev_mt` (net/netfilter/xt_physdev.c) on the packet's bridge
/// netfilter information `phys` ([`Env::physdev`](crate::engine::Env::physdev):
/// `None` without `nf_bridge`, else the input and output port names, `""`
/// when not known).
///
/// Without `nf_bridge` (a routed or host-sent packet, or any packet while
/// `bridge-nf-call-iptables` is off) the match holds exactly when every
/// option given is inverted. With it: `--physdev-is-bridged` tests the
/// output port; `--physdev-is-in` / `--physdev-is-out` whether each port
/// is known; `--physdev-in` compares the input port only when there is one
/// (no input port: the test is skipped, whatever its `!`); `--physdev-out`
/// fails when there is no output port, inverted or not (trace
/// bridge-physdev-forward, packet 5).
pub(crate) fn physdev_mt(
    m: &crate::model::matches::physdev::Physdev,
    phys: Option<(&str, &str)>,
) -> bool {
    let Some((indev, outdev)) = phys else {
        return [
            m.physin.as_ref().map(|(_, inv)| *inv),
            m.physout.as_ref().map(|(_, inv)| *inv),
            m.is_in,
            m.is_out,
            m.is_bridged,
        ]
        .into_iter()
        .flatten()
        .all(|inv| inv);
    };
    let (has_in, has_out) = (!indev.is_empty(), !outdev.is_empty());
    // (!!outdev ^ !(invert & XT_PHYSDEV_OP_BRIDGED)) rejects.
    if let Some(inv) = m.is_bridged {
        if has_out == inv {
            return false;
        }
    }
    if m.is_in.is_some_and(|inv| has_in == inv) || m.is_out.is_some_and(|inv| has_out == inv) {
        return false;
    }
    if let Some((name, inv)) = &m.physin {
        if has_in && name.matches(indev) == *inv {
            return false;
        }
    }
    match &m.physout {
        // `if (!outdev) return false;`, inverted or not.
        Some((name, inv)) => has_out && name.matches(outdev) != *inv,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::physdev_mt;
    use crate::model::matches::physdev::Physdev;
    use crate::model::Iface;

    fn name(n: &str, inv: bool) -> Option<(Iface, bool)> {
        Some((Iface::new(n).unwrap(), inv))
    }

    /// xt_physdev.c physdev_mt, option by option, on the three kinds of
    /// packets: no nf_bridge, bridged (both ports), up the stack (input
    /// port only).
    #[test]
    fn physdev_mt_cases() {
        let bridged = Some(("veth0", "veth1"));
        let up = Some(("veth0", ""));
        let none = None;
        let cases: Vec<(Physdev, [bool; 3])> = vec![
            (
                Physdev {
                    physin: name("veth0", false),
                    ..Default::default()
                },
                [true, true, false],
            ),
            (
                Physdev {
                    physin: name("veth0", true),
                    ..Default::default()
                },
                [false, false, true],
            ),
            (
                Physdev {
                    physin: name("veth+", false),
                    ..Default::default()
                },
                [true, true, false],
            ),
            (
                Physdev {
                    physin: name("eth+", true),
                    ..Default::default()
                },
                [true, true, true],
            ),
            (
                Physdev {
                    physout: name("veth1", false),
                    ..Default::default()
                },
                [true, false, false],
            ),
            // No output port: fails, inverted or not.
            (
                Physdev {
                    physout: name("veth1", true),
                    ..Default::default()
                },
                [false, false, true],
            ),
            (
                Physdev {
                    physout: name("eth0", true),
                    ..Default::default()
                },
                [true, false, true],
            ),
            (
                Physdev {
                    is_in: Some(false),
                    ..Default::default()
                },
                [true, true, false],
            ),
            (
                Physdev {
                    is_in: Some(true),
                    ..Default::default()
                },
                [false, false, true],
            ),
            (
                Physdev {
                    is_out: Some(false),
                    ..Default::default()
                },
                [true, false, false],
            ),
            (
                Physdev {
                    is_out: Some(true),
                    ..Default::default()
                },
                [false, true, true],
            ),
            (
                Physdev {
                    is_bridged: Some(false),
                    ..Default::default()
                },
                [true, false, false],
            ),
            (
                Physdev {
                    is_bridged: Some(true),
                    ..Default::default()
                },
                [false, true, true],
            ),
            (
                Physdev {
                    is_in: Some(true),
                    is_out: Some(true),
                    is_bridged: Some(true),
                    ..Default::default()
                },
                [false, false, true],
            ),
        ];
        for (i, (m, want)) in cases.iter().enumerate() {
            let got = [
                physdev_mt(m, bridged),
                physdev_mt(m, up),
                physdev_mt(m, none),
            ];
            assert_eq!(&got, want, "case {i}: {m:?}");
        }
    }
}
