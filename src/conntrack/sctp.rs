//! SCTP connection tracking, following Linux 6.18
//! `net/netfilter/nf_conntrack_proto_sctp.c` (`sctp_conntracks`,
//! `do_basic_checks`, `sctp_new`, `sctp_error`, `nf_conntrack_sctp_packet`).

use super::config::Config;
use super::tuple::Dir;
use super::L4Verdict;
use crate::wire::get_u32;

/// SCTP conntrack state (`enum sctp_conntrack`), as `/proc` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum SctpState {
    /// NONE.
    #[default]
    None = 0,
    /// CLOSED.
    Closed = 1,
    /// COOKIE_WAIT.
    CookieWait = 2,
    /// COOKIE_ECHOED.
    CookieEchoed = 3,
    /// ESTABLISHED.
    Established = 4,
    /// SHUTDOWN_SENT.
    ShutdownSent = 5,
    /// SHUTDOWN_RECD.
    ShutdownRecd = 6,
    /// SHUTDOWN_ACK_SENT.
    ShutdownAckSent = 7,
    /// HEARTBEAT_SENT.
    HeartbeatSent = 8,
}

impl SctpState {
    /// `sctp_conntrack_names[]`.
    pub fn name(self) -> &'static str {
        match self {
            SctpState::None => "NONE",
            SctpState::Closed => "CLOSED",
            SctpState::CookieWait => "COOKIE_WAIT",
            SctpState::CookieEchoed => "COOKIE_ECHOED",
            SctpState::Established => "ESTABLISHED",
            SctpState::ShutdownSent => "SHUTDOWN_SENT",
            SctpState::ShutdownRecd => "SHUTDOWN_RECD",
            SctpState::ShutdownAckSent => "SHUTDOWN_ACK_SENT",
            SctpState::HeartbeatSent => "HEARTBEAT_SENT",
        }
    }
    fn from_u8(v: u8) -> SctpState {
        match v {
            1 => SctpState::Closed,
            2 => SctpState::CookieWait,
            3 => SctpState::CookieEchoed,
            4 => SctpState::Established,
            5 => SctpState::ShutdownSent,
            6 => SctpState::ShutdownRecd,
            7 => SctpState::ShutdownAckSent,
            8 => SctpState::HeartbeatSent,
            _ => SctpState::None,
        }
    }
}

const NO: u8 = 0;
const CL: u8 = 1;
const CW: u8 = 2;
const CE: u8 = 3;
const ES: u8 = 4;
const SS: u8 = 5;
const SR: u8 = 6;
const SA: u8 = 7;
const HS: u8 = 8;
const IV: u8 = 9; // SCTP_CONNTRACK_MAX

/// `sctp_conntracks[dir][chunk row][state]`.
#[rustfmt::skip]
const SCTP_CONNTRACKS: [[[u8; 9]; 11]; 2] = [
    [
        /*                 sNO sCL sCW sCE sES sSS sSR sSA sHS */
        /* init         */ [CL, CL, CW, CE, ES, CL, CL, SA, CW],
        /* init_ack     */ [CL, CL, CW, CE, ES, SS, SR, SA, CL],
        /* abort        */ [CL, CL, CL, CL, CL, CL, CL, CL, CL],
        /* shutdown     */ [CL, CL, CW, CE, SS, SS, SR, SA, CL],
        /* shutdown_ack */ [SA, CL, CW, CE, ES, SA, SA, SA, SA],
        /* error        */ [CL, CL, CW, CE, ES, SS, SR, SA, CL],
        /* cookie_echo  */ [CL, CL, CE, CE, ES, SS, SR, SA, CL],
        /* cookie_ack   */ [CL, CL, CW, ES, ES, SS, SR, SA, CL],
        /* shutdown_comp*/ [CL, CL, CW, CE, ES, SS, SR, CL, CL],
        /* heartbeat    */ [HS, CL, CW, CE, ES, SS, SR, SA, HS],
        /* heartbeat_ack*/ [CL, CL, CW, CE, ES, SS, SR, SA, HS],
    ],
    [
        /*                 sNO sCL sCW sCE sES sSS sSR sSA sHS */
        /* init         */ [IV, CL, CW, CE, ES, SS, SR, SA, IV],
        /* init_ack     */ [IV, CW, CW, CE, ES, SS, SR, SA, IV],
        /* abort        */ [IV, CL, CL, CL, CL, CL, CL, CL, IV],
        /* shutdown     */ [IV, CL, CW, CE, SR, SS, SR, SA, IV],
        /* shutdown_ack */ [IV, CL, CW, CE, ES, SA, SA, SA, IV],
        /* error        */ [IV, CL, CW, CL, ES, SS, SR, SA, IV],
        /* cookie_echo  */ [IV, CL, CE, CE, ES, SS, SR, SA, IV],
        /* cookie_ack   */ [IV, CL, CW, ES, ES, SS, SR, SA, IV],
        /* shutdown_comp*/ [IV, CL, CW, CE, ES, SS, SR, CL, IV],
        /* heartbeat    */ [IV, CL, CW, CE, ES, SS, SR, SA, HS],
        /* heartbeat_ack*/ [IV, CL, CW, CE, ES, SS, SR, SA, ES],
    ],
];

// Chunk types (SCTP_CID_*).
const DATA: u8 = 0;
const INIT: u8 = 1;
const INIT_ACK: u8 = 2;
const HEARTBEAT: u8 = 4;
const HEARTBEAT_ACK: u8 = 5;
const ABORT: u8 = 6;
const SHUTDOWN: u8 = 7;
const SHUTDOWN_ACK: u8 = 8;
const ERROR: u8 = 9;
const COOKIE_ECHO: u8 = 10;
const COOKIE_ACK: u8 = 11;
const SHUTDOWN_COMPLETE: u8 = 14;
const FLAG_T: u8 = 0x01;
const FLAG_HEARTBEAT_VTAG_FAILED: u8 = 1;

/// `struct ip_ct_sctp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SctpCt {
    pub(crate) state: SctpState,
    vtag: [u32; 2],
    init: [bool; 2],
    flags: u8,
    last_dir: u8,
}

/// `sctp_new_state`.
fn new_state(dir: usize, cur: u8, chunk: u8) -> u8 {
    let row = match chunk {
        INIT => 0,
        INIT_ACK => 1,
        ABORT => 2,
        SHUTDOWN => 3,
        SHUTDOWN_ACK => 4,
        ERROR => 5,
        COOKIE_ECHO => 6,
        COOKIE_ACK => 7,
        SHUTDOWN_COMPLETE => 8,
        HEARTBEAT => 9,
        HEARTBEAT_ACK => 10,
        _ => return cur,
    };
    SCTP_CONNTRACKS[dir][row][usize::from(cur.min(8))]
}

/// One chunk header: offset, type, flags, length.
#[derive(Clone, Copy)]
struct Chunk {
    off: usize,
    ty: u8,
    flags: u8,
    len: u16,
}

/// `for_each_sctp_chunk`: chunks from byte 12 while a 4-byte header fits.
fn chunks(seg: &[u8]) -> impl Iterator<Item = Chunk> + '_ {
    let mut off = 12usize;
    core::iter::from_fn(move || {
        let h = seg.get(off..off.checked_add(4)?)?;
        let c = Chunk {
            off,
            ty: h[0],
            flags: h[1],
            len: u16::from_be_bytes([h[2], h[3]]),
        };
        // A zero length stops do_basic_checks before we would loop forever.
        off = off.checked_add((usize::from(c.len) + 3) & !3)?;
        if c.len == 0 {
            off = usize::MAX - 4;
        }
        Some(c)
    })
}

/// `do_basic_checks`: the chunk type bitmap, or `None` when invalid.
fn basic_checks(seg: &[u8]) -> Option<[u64; 4]> {
    let mut map = [0u64; 4];
    let mut flag = false;
    let mut count = 0;
    for c in chunks(seg) {
        if matches!(c.ty, INIT | INIT_ACK | SHUTDOWN_COMPLETE) {
            flag = true;
        }
        if ((c.ty == COOKIE_ACK || c.ty == COOKIE_ECHO || flag) && count != 0) || c.len == 0 {
            return None;
        }
        map[usize::from(c.ty / 64)] |= 1 << (c.ty % 64);
        count += 1;
    }
    (count != 0).then_some(map)
}

fn has(map: &[u64; 4], ty: u8) -> bool {
    map[usize::from(ty / 64)] & (1 << (ty % 64)) != 0
}

/// CRC32c (Castagnoli, reflected), as `sctp_compute_cksum` over the packet
/// with its checksum field taken as zero. Returns the value as stored
/// (little-endian on the wire).
pub(crate) fn sctp_cksum(seg: &[u8]) -> [u8; 4] {
    let mut crc = !0u32;
    for (i, &b) in seg.iter().enumerate() {
        let b = if (8..12).contains(&i) { 0 } else { b };
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    (!crc).to_le_bytes()
}

/// `sctp_error`: short packet, or bad CRC32c in PREROUTING.
fn error(seg: &[u8], verify: bool) -> bool {
    if seg.len() < 12 {
        return true;
    }
    verify && seg[8..12] != sctp_cksum(seg)
}

/// `nf_conntrack_sctp_packet` (with `sctp_new` for an unconfirmed entry).
pub(crate) fn packet(
    st: &mut SctpCt,
    confirmed: bool,
    dir: Dir,
    seg: &[u8],
    cfg: &Config,
    verify: bool,
) -> L4Verdict {
    if error(seg, verify) {
        return L4Verdict::Invalid;
    }
    let Some(vtag) = get_u32(seg, 4) else {
        return L4Verdict::Invalid;
    };
    let Some(map) = basic_checks(seg) else {
        return L4Verdict::Invalid;
    };
    let d = dir.idx();
    if !confirmed {
        if has(&map, ABORT) || has(&map, SHUTDOWN_COMPLETE) || has(&map, COOKIE_ACK) {
            return L4Verdict::Invalid;
        }
        // sctp_new
        *st = SctpCt::default();
        let mut ns = IV;
        for c in chunks(seg) {
            ns = new_state(0, NO, c.ty);
            if ns == NO || ns == IV {
                return L4Verdict::Invalid;
            }
            if c.ty == INIT {
                if vtag != 0 {
                    return L4Verdict::Invalid;
                }
                let Some(tag) = get_u32(seg, c.off + 4) else {
                    return L4Verdict::Invalid;
                };
                st.vtag[1] = tag;
            } else if c.ty == HEARTBEAT {
                st.vtag[0] = vtag;
            } else if c.ty == SHUTDOWN_ACK {
                st.vtag[1] = vtag;
            }
            st.state = SctpState::None;
        }
        let _ = ns;
    }
    // Verification tag (Sec 8.5).
    if !has(&map, INIT)
        && !has(&map, SHUTDOWN_COMPLETE)
        && !has(&map, COOKIE_ECHO)
        && !has(&map, ABORT)
        && !has(&map, SHUTDOWN_ACK)
        && !has(&map, HEARTBEAT)
        && !has(&map, HEARTBEAT_ACK)
        && vtag != st.vtag[d]
    {
        return L4Verdict::Invalid;
    }
    let mut ignore = false;
    let mut new = NO;
    let mut assured = false;
    for c in chunks(seg) {
        match c.ty {
            // (A) vtag must be zero for INIT.
            INIT if vtag != 0 => return L4Verdict::Invalid,
            ABORT | SHUTDOWN_COMPLETE => {
                let want = if c.flags & FLAG_T == 0 {
                    st.vtag[d]
                } else {
                    st.vtag[1 - d]
                };
                if vtag != want {
                    return L4Verdict::Invalid;
                }
            }
            // (D) vtag must be the one from INIT_ACK.
            COOKIE_ECHO if vtag != st.vtag[d] => return L4Verdict::Invalid,
            COOKIE_ACK => {
                st.init = [false, false];
            }
            HEARTBEAT => {
                if st.vtag[d] == 0 {
                    st.vtag[d] = vtag;
                } else if vtag != st.vtag[d] {
                    if has(&map, DATA) || ignore {
                        return L4Verdict::Invalid;
                    }
                    st.flags |= FLAG_HEARTBEAT_VTAG_FAILED;
                    st.last_dir = d as u8;
                    ignore = true;
                    continue;
                } else if st.flags & FLAG_HEARTBEAT_VTAG_FAILED != 0 {
                    st.flags &= !FLAG_HEARTBEAT_VTAG_FAILED;
                }
            }
            HEARTBEAT_ACK => {
                if st.vtag[d] == 0 {
                    st.vtag[d] = vtag;
                } else if vtag != st.vtag[d] {
                    if has(&map, DATA) || ignore {
                        return L4Verdict::Invalid;
                    }
                    if st.flags & FLAG_HEARTBEAT_VTAG_FAILED == 0 || usize::from(st.last_dir) == d {
                        return L4Verdict::Invalid;
                    }
                    st.flags &= !FLAG_HEARTBEAT_VTAG_FAILED;
                    st.vtag[d] = vtag;
                    st.vtag[1 - d] = 0;
                } else if st.flags & FLAG_HEARTBEAT_VTAG_FAILED != 0 {
                    st.flags &= !FLAG_HEARTBEAT_VTAG_FAILED;
                }
            }
            _ => {}
        }
        let old = st.state as u8;
        new = new_state(d, old, c.ty);
        if new == IV {
            return L4Verdict::Invalid;
        }
        if c.ty == INIT {
            let Some(tag) = get_u32(seg, c.off + 4) else {
                return L4Verdict::Invalid;
            };
            if st.init[d] && st.init[1 - d] {
                st.init[1 - d] = false;
            }
            st.init[d] = true;
            st.vtag[1 - d] = tag;
            // Do not renew the timeout on INIT retransmit.
            if new == CL && old == CL && confirmed {
                ignore = true;
            }
        } else if c.ty == INIT_ACK {
            let Some(tag) = get_u32(seg, c.off + 4) else {
                return L4Verdict::Invalid;
            };
            let v = st.vtag[1 - d];
            if !st.init[1 - d] && v != 0 && v != tag {
                return L4Verdict::Invalid;
            }
            if st.init[d] && st.init[1 - d] && v != tag {
                return L4Verdict::Invalid;
            }
            st.vtag[1 - d] = tag;
        }
        st.state = SctpState::from_u8(new);
        if old != new && new == ES {
            assured = true;
        }
    }
    if ignore {
        return L4Verdict::Accept;
    }
    let t = cfg.sctp_timeouts[usize::from(new.min(8))];
    if assured {
        L4Verdict::RefreshAssured(t)
    } else {
        L4Verdict::Refresh(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_value() {
        // RFC 3720 B.4: 32 bytes of zeros -> 0x8a9136aa.
        let crc = {
            let mut c = !0u32;
            for _ in 0..32 {
                c ^= 0;
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        (c >> 1) ^ 0x82f6_3b78
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        };
        assert_eq!(crc, 0x8a91_36aa);
    }

    #[test]
    fn chunk_walk_stops_on_zero_length() {
        let mut seg = vec![0u8; 20];
        seg[12] = DATA; // length 0
        assert!(basic_checks(&seg).is_none());
        assert_eq!(chunks(&seg).count(), 1);
    }
}
