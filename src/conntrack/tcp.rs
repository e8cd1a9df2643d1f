//! TCP connection tracking, following `net/netfilter/nf_conntrack_proto_tcp.c`
//! (Linux 6.x: `tcp_conntracks`, `tcp_valid_flags`, `tcp_error`, `tcp_new`,
//! `tcp_in_window`, `nf_conntrack_tcp_packet`, `tcp_options`, `tcp_sack`).

use super::config::{Config, TCP_TIMEOUT_RETRANS, TCP_TIMEOUT_UNACK};
use super::tuple::{Dir, Family};
use super::{csum_ok, CtStatus};
use crate::time::Duration;
use crate::wire::get_u32;

/// TCP connection state (`enum tcp_conntrack`), as printed in
/// `/proc/net/nf_conntrack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum TcpState {
    /// NONE.
    #[default]
    None = 0,
    /// SYN_SENT.
    SynSent = 1,
    /// SYN_RECV.
    SynRecv = 2,
    /// ESTABLISHED.
    Established = 3,
    /// FIN_WAIT.
    FinWait = 4,
    /// CLOSE_WAIT.
    CloseWait = 5,
    /// LAST_ACK.
    LastAck = 6,
    /// TIME_WAIT.
    TimeWait = 7,
    /// CLOSE.
    Close = 8,
    /// SYN_SENT2.
    SynSent2 = 9,
}

impl TcpState {
    /// `tcp_conntrack_names[]`.
    pub fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait => "FIN_WAIT",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::SynSent2 => "SYN_SENT2",
        }
    }
}

// Table cell values: states 0..=9, then sIV and sIG.
const S_IV: u8 = 10; // TCP_CONNTRACK_MAX: invalid
const S_IG: u8 = 11; // TCP_CONNTRACK_IGNORE

const SS: u8 = 1;
const SR: u8 = 2;
const ES: u8 = 3;
const FW: u8 = 4;
const CW: u8 = 5;
const LA: u8 = 6;
const TW: u8 = 7;
const CL: u8 = 8;
const S2: u8 = 9;
const IV: u8 = S_IV;
const IG: u8 = S_IG;

// enum tcp_bit_set
const SYN_SET: u8 = 0;
const SYNACK_SET: u8 = 1;
const FIN_SET: u8 = 2;
const ACK_SET: u8 = 3;
const RST_SET: u8 = 4;
const NONE_SET: u8 = 5;

/// `tcp_conntracks[dir][index][state]` of Linux 6.x.
#[rustfmt::skip]
const TCP_CONNTRACKS: [[[u8; 10]; 6]; 2] = [
    [
        /* ORIGINAL  sNO sSS sSR sES sFW sCW sLA sTW sCL sS2 */
        /* syn    */ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
        /* synack */ [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        /* ack    */ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
    [
        /* REPLY     sNO sSS sSR sES sFW sCW sLA sTW sCL sS2 */
        /* syn    */ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
        /* synack */ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
        /* fin    */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
        /* ack    */ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
        /* rst    */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
        /* none   */ [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
    ],
];

fn state_from(v: u8) -> TcpState {
    match v {
        1 => TcpState::SynSent,
        2 => TcpState::SynRecv,
        3 => TcpState::Established,
        4 => TcpState::FinWait,
        5 => TcpState::CloseWait,
        6 => TcpState::LastAck,
        7 => TcpState::TimeWait,
        8 => TcpState::Close,
        9 => TcpState::SynSent2,
        _ => TcpState::None,
    }
}

// TCP header flag bits (byte 13).
const F_FIN: u8 = 0x01;
const F_SYN: u8 = 0x02;
const F_RST: u8 = 0x04;
const F_PSH: u8 = 0x08;
const F_ACK: u8 = 0x10;
const F_URG: u8 = 0x20;
const F_ECE: u8 = 0x40;
const F_CWR: u8 = 0x80;

// ip_ct_tcp_state.flags (include/uapi/linux/netfilter/nf_conntrack_tcp.h)
const FLAG_WINDOW_SCALE: u8 = 0x01;
const FLAG_SACK_PERM: u8 = 0x02;
const FLAG_CLOSE_INIT: u8 = 0x04;
const FLAG_BE_LIBERAL: u8 = 0x08;
const FLAG_DATA_UNACKNOWLEDGED: u8 = 0x10;
const FLAG_MAXACK_SET: u8 = 0x20;
const EXP_CHALLENGE_ACK: u8 = 0x40;
const SIMULTANEOUS_OPEN: u8 = 0x80;

const TCP_MAX_WSCALE: u8 = 14;
const MAXACKWINCONST: u32 = 66000;

/// `struct ip_ct_tcp_state`: what is known of one direction's sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TcpPeer {
    td_end: u32,
    td_maxend: u32,
    td_maxwin: u32,
    td_maxack: u32,
    td_scale: u8,
    flags: u8,
}

/// `struct ip_ct_tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TcpCt {
    seen: [TcpPeer; 2],
    pub(crate) state: TcpState,
    last_dir: u8,
    retrans: u8,
    last_index: u8,
    last_seq: u32,
    last_ack: u32,
    last_end: u32,
    last_win: u16,
    last_wscale: u8,
    last_flags: u8,
}

/// `before(a, b)` / `after(a, b)` on sequence numbers.
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// A checked view of the TCP header (at least 20 bytes, `doff` valid).
#[derive(Clone, Copy)]
pub(crate) struct Hdr<'a> {
    /// The L4 bytes (header and payload).
    seg: &'a [u8],
    seq: u32,
    ack_seq: u32,
    win: u16,
    flags: u8,
    doff: usize,
}

/// `get_conntrack_index` of every value of the flag bits it reads
/// (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10; the others 0): one load
/// instead of four tests.
const INDEX_OF_FLAGS: [u8; 32] = {
    let mut t = [NONE_SET; 32];
    let mut f = 0;
    while f < 32 {
        t[f] = Hdr::index_of(f as u8);
        f += 1;
    }
    t
};

impl Hdr<'_> {
    fn syn(&self) -> bool {
        self.flags & F_SYN != 0
    }
    fn ack(&self) -> bool {
        self.flags & F_ACK != 0
    }
    fn rst(&self) -> bool {
        self.flags & F_RST != 0
    }
    fn fin(&self) -> bool {
        self.flags & F_FIN != 0
    }
    /// `get_conntrack_index`: [`INDEX_OF_FLAGS`] of its FIN, SYN, RST and
    /// ACK bits.
    #[inline(always)]
    fn index(&self) -> u8 {
        INDEX_OF_FLAGS[usize::from(self.flags & (F_FIN | F_SYN | F_RST | F_ACK))]
    }
    /// `get_conntrack_index` as the kernel writes it (the table's source).
    const fn index_of(flags: u8) -> u8 {
        let (rst, syn, fin, ack) = (
            flags & F_RST != 0,
            flags & F_SYN != 0,
            flags & F_FIN != 0,
            flags & F_ACK != 0,
        );
        if rst {
            RST_SET
        } else if syn {
            if ack {
                SYNACK_SET
            } else {
                SYN_SET
            }
        } else if fin {
            FIN_SET
        } else if ack {
            ACK_SET
        } else {
            NONE_SET
        }
    }
    /// `segment_seq_plus_len`.
    fn end(&self) -> u32 {
        let payload = self.seg.len().saturating_sub(self.doff) as u32;
        self.seq
            .wrapping_add(payload)
            .wrapping_add(u32::from(self.syn()))
            .wrapping_add(u32::from(self.fin()))
    }
    fn options(&self) -> &[u8] {
        self.seg.get(20..self.doff).unwrap_or(&[])
    }
}

/// `tcp_options`: window scale and SACK-permitted (nothing to do for a
/// header without options, decided inline).
#[inline(always)]
fn tcp_options(h: &Hdr<'_>, st: &mut TcpPeer) {
    if h.doff > 20 {
        tcp_options_walk(h, st);
    }
}

/// [`tcp_options`] of a header with options.
fn tcp_options_walk(h: &Hdr<'_>, st: &mut TcpPeer) {
    let opts = h.options();
    if opts.is_empty() {
        return;
    }
    st.td_scale = 0;
    st.flags &= FLAG_BE_LIBERAL;
    let mut i = 0usize;
    while i < opts.len() {
        let opcode = opts[i];
        match opcode {
            0 => return,
            1 => {
                i += 1;
                continue;
            }
            _ => {
                let length = opts.len() - i;
                if length < 2 {
                    return;
                }
                let opsize = usize::from(opts[i + 1]);
                if opsize < 2 || opsize > length {
                    return;
                }
                if opcode == 4 && opsize == 2 {
                    st.flags |= FLAG_SACK_PERM;
                } else if opcode == 3 && opsize == 3 {
                    st.td_scale = opts[i + 2].min(TCP_MAX_WSCALE);
                    st.flags |= FLAG_WINDOW_SCALE;
                }
                i += opsize;
            }
        }
    }
}

/// `tcp_sack`: highest right edge of the SACK blocks, if above `sack`
/// (nothing to do for a header without options, decided inline).
#[inline(always)]
fn tcp_sack(h: &Hdr<'_>, sack: &mut u32) {
    if h.doff > 20 {
        tcp_sack_walk(h, sack);
    }
}

/// [`tcp_sack`] of a header with options.
fn tcp_sack_walk(h: &Hdr<'_>, sack: &mut u32) {
    let opts = h.options();
    if opts.is_empty() {
        return;
    }
    // Fast path for timestamp-only option.
    if opts.len() == 12 && opts[..4] == [1, 1, 8, 10] {
        return;
    }
    let mut i = 0usize;
    while i < opts.len() {
        match opts[i] {
            0 => return,
            1 => {
                i += 1;
                continue;
            }
            opcode => {
                let length = opts.len() - i;
                if length < 2 {
                    return;
                }
                let opsize = usize::from(opts[i + 1]);
                if opsize < 2 || opsize > length {
                    return;
                }
                if opcode == 5 && opsize >= 2 + 8 && (opsize - 2) % 8 == 0 {
                    let mut j = 0;
                    while j < opsize - 2 {
                        if let Some(tmp) = get_u32(opts, i + 2 + j + 4) {
                            if after(tmp, *sack) {
                                *sack = tmp;
                            }
                        }
                        j += 8;
                    }
                    return;
                }
                i += opsize;
            }
        }
    }
}

/// `tcp_valid_flags[]`.
fn valid_flags(f: u8) -> bool {
    let f = f & !(F_ECE | F_CWR | F_PSH);
    matches!(
        f,
        x if x == F_SYN
            || x == F_SYN | F_URG
            || x == F_SYN | F_ACK
            || x == F_RST
            || x == F_RST | F_ACK
            || x == F_FIN | F_ACK
            || x == F_FIN | F_ACK | F_URG
            || x == F_ACK
            || x == F_ACK | F_URG
    )
}

/// What `nf_conntrack_tcp_packet` decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TcpVerdict {
    /// Accept, refresh the timeout to this value.
    Refresh(Duration),
    /// Accept without touching the timeout.
    Accept,
    /// Accept, then delete the entry (`nf_ct_kill_acct`).
    Kill,
    /// INVALID (`-NF_ACCEPT`): the packet gets no conntrack.
    Invalid,
    /// Reopen: delete the entry and look the packet up again (`-NF_REPEAT`).
    Repeat,
}

/// Inputs of one TCP packet beyond its bytes.
pub(crate) struct TcpCtx<'c> {
    pub cfg: &'c Config,
    pub family: Family,
    pub src: &'c [u8; 16],
    pub dst: &'c [u8; 16],
    pub prerouting: bool,
    /// `nfct_seqadj(ct)` of an entry with `IPS_SEQ_ADJUST`.
    pub seqadj: Option<[super::ftpnat::SeqAdj; 2]>,
}

/// `tcp_error` (nf_conntrack_proto_tcp.c) + header checks. `None`: INVALID.
fn parse<'a>(seg: &'a [u8], ctx: &TcpCtx<'_>) -> Option<Hdr<'a>> {
    let h = header(seg)?;
    if ctx.cfg.checksum && ctx.prerouting && !csum_ok(ctx.family, ctx.src, ctx.dst, 6, seg) {
        return None;
    }
    Some(h)
}

/// `tcp_error` but the checksum (`nf_checksum`, which the caller verifies
/// when it applies): the header at least 20 bytes, its data offset at
/// least 20 bytes and within the segment, the flags one of
/// `tcp_valid_flags`. `None`: INVALID. Read from the bytes directly (the
/// established path's parse).
#[inline(always)]
pub(crate) fn header(seg: &[u8]) -> Option<Hdr<'_>> {
    let b: &[u8; 20] = seg.get(..20)?.try_into().ok()?;
    let doff = usize::from(b[12] >> 4) * 4;
    let flags = b[13];
    if doff < 20 || doff > seg.len() || !valid_flags(flags) {
        return None;
    }
    Some(Hdr {
        seg,
        seq: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ack_seq: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        win: u16::from_be_bytes([b[14], b[15]]),
        flags,
        doff,
    })
}

impl TcpCt {
    /// `tcp_new`: whether a new entry may be created for this first packet.
    fn new_conn(&mut self, h: &Hdr<'_>, cfg: &Config) -> bool {
        let new_state = TCP_CONNTRACKS[0][usize::from(h.index())][0];
        if new_state >= S_IV {
            return false;
        }
        *self = TcpCt::default();
        if new_state == SS {
            let s = &mut self.seen[0];
            s.td_end = h.end();
            s.td_maxwin = u32::from(h.win).max(1);
            s.td_maxend = s.td_end;
            tcp_options(h, s);
        } else if !cfg.tcp_loose {
            return false;
        } else {
            let s = &mut self.seen[0];
            s.td_end = h.end();
            s.td_maxwin = u32::from(h.win).max(1);
            s.td_maxend = s.td_end.wrapping_add(s.td_maxwin);
            self.seen[0].flags = FLAG_SACK_PERM | FLAG_BE_LIBERAL;
            self.seen[1].flags = FLAG_SACK_PERM | FLAG_BE_LIBERAL;
        }
        self.last_index = NONE_SET;
        true
    }

    /// `seen[0].td_end`, for `nf_seq_has_advanced`.
    pub(crate) fn orig_td_end(&self) -> u32 {
        self.seen[0].td_end
    }

    fn can_early_drop(&self) -> bool {
        matches!(
            self.state,
            TcpState::FinWait
                | TcpState::LastAck
                | TcpState::TimeWait
                | TcpState::Close
                | TcpState::CloseWait
        )
    }

    fn established(&self) -> bool {
        // nf_conntrack_tcp_established
        self.state == TcpState::Established
    }
}

/// `tcp_init_sender`.
fn init_sender(seen: &mut [TcpPeer; 2], dir: usize, h: &Hdr<'_>, end: u32, win: u32) {
    let (sender, receiver) = split(seen, dir);
    sender.td_end = end;
    sender.td_maxend = end;
    sender.td_maxwin = win.max(1);
    tcp_options(h, sender);
    if dir == 1
        && !(sender.flags & FLAG_WINDOW_SCALE != 0 && receiver.flags & FLAG_WINDOW_SCALE != 0)
    {
        sender.td_scale = 0;
        receiver.td_scale = 0;
    }
}

fn split(seen: &mut [TcpPeer; 2], dir: usize) -> (&mut TcpPeer, &mut TcpPeer) {
    let (a, b) = seen.split_at_mut(1);
    if dir == 0 {
        (&mut a[0], &mut b[0])
    } else {
        (&mut b[0], &mut a[0])
    }
}

#[derive(PartialEq, Eq)]
enum WinRes {
    Ignore,
    Invalid,
    Accept,
}

/// `nf_tcp_log_invalid`: liberal senders turn any failure into ACCEPT.
fn log_invalid(sender_flags: u8, cfg: &Config, ret: WinRes) -> WinRes {
    if sender_flags & FLAG_BE_LIBERAL != 0 || cfg.tcp_be_liberal {
        WinRes::Accept
    } else {
        ret
    }
}

/// `tcp_in_window`.
#[inline(always)]
fn in_window(
    st: &mut TcpCt,
    dir: usize,
    index: u8,
    h: &Hdr<'_>,
    cfg: &Config,
    seqadj: Option<[super::ftpnat::SeqAdj; 2]>,
) -> WinRes {
    let seq0 = h.seq;
    let mut seq = seq0;
    let mut ack = h.ack_seq;
    let mut sack = ack;
    let win_raw = h.win;
    let mut win = u32::from(win_raw);
    let mut end = h.end();
    let state = st.state;

    if st.seen[dir ^ 1].flags & FLAG_SACK_PERM != 0 {
        tcp_sack(h, &mut sack);
    }
    // Take into account NAT sequence number mangling:
    // receiver_offset = nf_ct_seq_offset(ct, !dir, ack - 1).
    if let Some(adj) = seqadj {
        let off = adj[dir ^ 1].offset(ack.wrapping_sub(1)) as u32;
        ack = ack.wrapping_sub(off);
        sack = sack.wrapping_sub(off);
    }

    if st.seen[dir].td_maxwin == 0 {
        if h.syn() {
            init_sender(&mut st.seen, dir, h, end, win);
            if !h.ack() {
                return WinRes::Accept;
            }
        } else {
            let (sender, receiver) = split(&mut st.seen, dir);
            sender.td_end = end;
            let swin = win << sender.td_scale;
            sender.td_maxwin = swin.max(1);
            sender.td_maxend = end.wrapping_add(sender.td_maxwin);
            if receiver.td_maxwin == 0 {
                receiver.td_end = sack;
                receiver.td_maxend = sack;
            } else if sack == receiver.td_end.wrapping_add(1) {
                receiver.td_end = receiver.td_end.wrapping_add(1);
            }
        }
    } else if h.syn()
        && after(end, st.seen[dir].td_end)
        && (state == TcpState::SynSent || state == TcpState::SynRecv)
    {
        init_sender(&mut st.seen, dir, h, end, win);
        if dir == 1 && !h.ack() {
            return WinRes::Accept;
        }
    }

    let (sender, receiver) = split(&mut st.seen, dir);
    // No ACK: pretend it was set and OK. Broken stacks send RST|ACK with
    // a zero ack: same treatment.
    if !h.ack() || (h.flags & (F_ACK | F_RST) == (F_ACK | F_RST) && ack == 0) {
        ack = receiver.td_end;
        sack = ack;
    }

    if h.rst() && seq == 0 && state == TcpState::SynSent {
        seq = sender.td_end;
        end = seq;
    }

    let maxackwindow = if sender.td_maxwin > MAXACKWINCONST {
        sender.td_maxwin
    } else {
        MAXACKWINCONST
    };

    let seq_ok = before(seq, sender.td_maxend.wrapping_add(1));
    if !seq_ok {
        let overshot = end.wrapping_sub(sender.td_maxend).wrapping_add(1);
        let ack_ok = after(
            sack,
            receiver.td_end.wrapping_sub(maxackwindow).wrapping_sub(1),
        );
        let in_recv_win = receiver.td_maxwin != 0
            && after(
                end,
                sender
                    .td_end
                    .wrapping_sub(receiver.td_maxwin)
                    .wrapping_sub(1),
            );
        if in_recv_win
            && ack_ok
            && overshot <= receiver.td_maxwin
            && before(sack, receiver.td_end.wrapping_add(1))
        {
            sender.td_end = end;
            sender.flags |= FLAG_DATA_UNACKNOWLEDGED;
            return log_invalid(sender.flags, cfg, WinRes::Ignore);
        }
        return log_invalid(sender.flags, cfg, WinRes::Invalid);
    }

    if !before(sack, receiver.td_end.wrapping_add(1)) {
        return log_invalid(sender.flags, cfg, WinRes::Invalid);
    }

    let in_recv_win = receiver.td_maxwin == 0
        || after(
            end,
            sender
                .td_end
                .wrapping_sub(receiver.td_maxwin)
                .wrapping_sub(1),
        );
    if !in_recv_win {
        return log_invalid(sender.flags, cfg, WinRes::Ignore);
    }
    if !after(
        sack,
        receiver.td_end.wrapping_sub(maxackwindow).wrapping_sub(1),
    ) {
        return log_invalid(sender.flags, cfg, WinRes::Ignore);
    }

    if !h.syn() {
        win = win.wrapping_shl(u32::from(sender.td_scale));
    }

    let swin = win.wrapping_add(sack.wrapping_sub(ack));
    if sender.td_maxwin < swin {
        sender.td_maxwin = swin;
    }
    if after(end, sender.td_end) {
        sender.td_end = end;
        sender.flags |= FLAG_DATA_UNACKNOWLEDGED;
    }
    if h.ack() {
        if sender.flags & FLAG_MAXACK_SET == 0 {
            sender.td_maxack = ack;
            sender.flags |= FLAG_MAXACK_SET;
        } else if after(ack, sender.td_maxack) {
            sender.td_maxack = ack;
        }
    }

    if receiver.td_maxwin != 0 && after(end, sender.td_maxend) {
        receiver.td_maxwin = receiver
            .td_maxwin
            .wrapping_add(end.wrapping_sub(sender.td_maxend));
    }
    if after(sack.wrapping_add(win), receiver.td_maxend.wrapping_sub(1)) {
        receiver.td_maxend = sack.wrapping_add(win);
        if win == 0 {
            receiver.td_maxend = receiver.td_maxend.wrapping_add(1);
        }
    }
    if ack == receiver.td_end {
        receiver.flags &= !FLAG_DATA_UNACKNOWLEDGED;
    }

    if index == ACK_SET {
        if usize::from(st.last_dir) == dir
            && st.last_seq == seq
            && st.last_ack == ack
            && st.last_end == end
            && st.last_win == win_raw
        {
            st.retrans = st.retrans.saturating_add(1);
        } else {
            st.last_dir = dir as u8;
            st.last_seq = seq;
            st.last_ack = ack;
            st.last_end = end;
            st.last_win = win_raw;
            st.retrans = 0;
        }
    }
    let _ = seq0;
    WinRes::Accept
}

/// `nf_tcp_handle_invalid`: shrink the timeout of an assured connection
/// that sees out-of-window FIN/RST answering a FIN/RST. Returns the new
/// absolute timeout request: `Some(unack)` when it should be lowered to
/// `unack` if the remaining time is above both 120 s and `unack`.
fn handle_invalid(
    st: &mut TcpCt,
    dir: usize,
    index: u8,
    status: CtStatus,
    cfg: &Config,
) -> Option<Duration> {
    if !status.contains(CtStatus::ASSURED) || status.contains(CtStatus::FIXED_TIMEOUT) {
        return None;
    }
    if index != RST_SET && index != FIN_SET {
        return None;
    }
    if usize::from(st.last_dir) != dir && (st.last_index == FIN_SET || st.last_index == RST_SET) {
        Some(cfg.tcp_timeouts[TCP_TIMEOUT_UNACK])
    } else {
        st.last_index = index;
        st.last_dir = dir as u8;
        None
    }
}

/// Result of [`packet`] plus a possible timeout shrink on INVALID.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TcpOutcome {
    pub verdict: TcpVerdict,
    /// On INVALID: lower the timeout to this if it is above it and above 120 s.
    pub shrink_to: Option<Duration>,
}

impl TcpOutcome {
    /// INVALID without a timeout shrink (`tcp_error` or `tcp_new` said no).
    const INVALID: TcpOutcome = TcpOutcome {
        verdict: TcpVerdict::Invalid,
        shrink_to: None,
    };
}

/// `nf_conntrack_tcp_packet` (including `tcp_error` and, for an
/// unconfirmed entry, `tcp_new`).
pub(crate) fn packet(
    st: &mut TcpCt,
    status: &mut CtStatus,
    dir: Dir,
    seg: &[u8],
    ctx: &TcpCtx<'_>,
) -> TcpOutcome {
    let cfg = ctx.cfg;
    let Some(h) = parse(seg, ctx) else {
        return TcpOutcome::INVALID;
    };
    if !status.contains(CtStatus::CONFIRMED) {
        // The first packet of a new entry, usually a plain SYN: written
        // at once (`new_syn`), else `tcp_new` then the state machine.
        if dir == Dir::Original
            && h.flags & (F_SYN | F_ACK | F_RST) == F_SYN
            && ctx.seqadj.is_none()
            && !status.contains(CtStatus::SEEN_REPLY)
        {
            if let Some(out) = new_syn(st, &h, cfg) {
                return out;
            }
        }
        if !st.new_conn(&h, cfg) {
            return TcpOutcome::INVALID;
        }
    }
    track(st, status, dir.idx(), &h, cfg, ctx.seqadj)
}

/// [`packet`] without [`new_syn`]: `tcp_new` then [`track`] for every
/// first packet (the reference `new_syn` is tested against).
#[cfg(test)]
fn packet_general(
    st: &mut TcpCt,
    status: &mut CtStatus,
    dir: Dir,
    seg: &[u8],
    ctx: &TcpCtx<'_>,
) -> TcpOutcome {
    let Some(h) = parse(seg, ctx) else {
        return TcpOutcome::INVALID;
    };
    if !status.contains(CtStatus::CONFIRMED) && !st.new_conn(&h, ctx.cfg) {
        return TcpOutcome::INVALID;
    }
    track(st, status, dir.idx(), &h, ctx.cfg, ctx.seqadj)
}

/// `tcp_new` then `nf_conntrack_tcp_packet` for the first packet of a new
/// entry that is a SYN without ACK or RST, in the original direction, of
/// an entry without sequence adjustment or `IPS_SEEN_REPLY` (the caller
/// checks these): the state both leave, written at once, and the
/// verdict. `None` (nothing written) for a segment whose end lies 2^31
/// or more past its sequence number (never, with IP's lengths), left to
/// the general path.
///
/// Derivation from `new_conn` and `track`: `tcp_new` makes
/// `seen[0]` {td_end = td_maxend = end, td_maxwin = max(win, 1), the
/// options} and the state table gives SYN_SENT from NONE. In
/// `tcp_in_window` the sender is already initialised (td_maxwin != 0)
/// and the SYN does not advance td_end; without ACK, ack = sack =
/// receiver.td_end = 0; seq is within td_maxend + 1 (the check below),
/// sack = 0 within the receiver's td_end + 1 and above td_end - 66000 - 1
/// (td_maxwin <= 65535 < MAXACKWINCONST), the receiver's td_maxwin is 0;
/// swin = win <= td_maxwin; the receiver's td_maxend becomes win (1 for a
/// zero window: after(win, -1) holds for any u16). No flag gets
/// DATA_UNACKNOWLEDGED and last_win stays 0, so the timeout is
/// min(SYN_SENT, RETRANS) whatever `tcp_max_retrans`; without
/// SEEN_REPLY, not a RST nor a retransmitted SYN (old state NONE): a
/// refresh. Tested equal to [`packet_general`] in the tests below.
#[inline(always)]
fn new_syn(st: &mut TcpCt, h: &Hdr<'_>, cfg: &Config) -> Option<TcpOutcome> {
    let end = h.end();
    if !before(h.seq, end.wrapping_add(1)) {
        return None;
    }
    let win = u32::from(h.win);
    let mut s0 = TcpPeer {
        td_end: end,
        td_maxend: end,
        td_maxwin: win.max(1),
        td_maxack: 0,
        td_scale: 0,
        flags: 0,
    };
    tcp_options(h, &mut s0);
    *st = TcpCt {
        seen: [
            s0,
            TcpPeer {
                td_maxend: win.max(1),
                ..TcpPeer::default()
            },
        ],
        state: TcpState::SynSent,
        last_index: SYN_SET,
        ..TcpCt::default()
    };
    let t = &cfg.tcp_timeouts;
    let (ss, retrans) = (t[TcpState::SynSent as usize], t[TCP_TIMEOUT_RETRANS]);
    Some(TcpOutcome {
        verdict: TcpVerdict::Refresh(if ss > retrans { retrans } else { ss }),
        shrink_to: None,
    })
}

/// The RST arm of [`track`]'s state switch (`nf_conntrack_tcp_packet`'s
/// `case TCP_CONNTRACK_CLOSE` for an RST), out of line: rare, and its
/// values are not live in the common path. `Ok((skip_window, new_state))`
/// (`None`: the table's), `Err(verdict)` to return at once.
#[inline(never)]
fn rst_in_close(
    st: &mut TcpCt,
    status: CtStatus,
    d: usize,
    h: &Hdr<'_>,
    cfg: &Config,
    old_state: TcpState,
) -> Result<(bool, Option<u8>), TcpVerdict> {
    let mut new_state = None;

    if st.can_early_drop() {
        return Ok((true, new_state));
    }
    let od = d ^ 1;
    if st.seen[od].flags & FLAG_MAXACK_SET != 0 && st.last_index != SYN_SET {
        let seq = h.seq;
        if seq == 0 && !st.established() {
            return Ok((false, new_state));
        }
        if before(seq, st.seen[od].td_maxack) && !cfg.tcp_ignore_invalid_rst {
            return Err(TcpVerdict::Invalid);
        }
        if !st.established() || seq == st.seen[od].td_maxack {
            return Ok((false, new_state));
        }
        if st.last_index == ACK_SET && usize::from(st.last_dir) == d && seq == st.last_end {
            return Ok((false, new_state));
        }
        new_state = Some(old_state as u8);
    }
    if ((status.contains(CtStatus::SEEN_REPLY) && st.last_index == SYN_SET)
        || (!status.contains(CtStatus::ASSURED) && st.last_index == ACK_SET))
        && h.ack_seq == st.last_end
    {
        return Ok((true, new_state));
    }
    if old_state == TcpState::SynSent
        && st.last_index == ACK_SET
        && st.last_dir == 1
        && h.seq == st.last_ack
    {
        return Ok((true, new_state));
    }
    Ok((false, new_state))
}

/// `nf_conntrack_tcp_packet` past `tcp_error` and `tcp_new`: the state
/// table, `tcp_in_window`, the timeout, `IPS_ASSURED`, for the packet
/// `h` in direction `d` (0 original). A [`TcpVerdict::Repeat`] is
/// returned before anything changes (the established path leaves such a
/// packet to the general path).
#[inline(always)]
pub(crate) fn track(
    st: &mut TcpCt,
    status: &mut CtStatus,
    d: usize,
    h: &Hdr<'_>,
    cfg: &Config,
    seqadj: Option<[super::ftpnat::SeqAdj; 2]>,
) -> TcpOutcome {
    let out = |v| TcpOutcome {
        verdict: v,
        shrink_to: None,
    };
    let old_state0 = st.state;
    let mut old_state = old_state0;
    let index = h.index();
    let mut new_state = TCP_CONNTRACKS[d][usize::from(index)][old_state as usize];

    let mut skip_window = false;
    match new_state {
        SS | IG => {
            let mut go_ignore = new_state == IG;
            if new_state == SS {
                if (old_state as u8) < TW {
                    go_ignore = false;
                } else if (st.seen[d].flags | st.seen[d ^ 1].flags) & FLAG_CLOSE_INIT != 0
                    || (usize::from(st.last_dir) == d && st.last_index == RST_SET)
                {
                    // Reopen a closed/aborted connection: delete and look up again.
                    return out(TcpVerdict::Repeat);
                } else {
                    go_ignore = true;
                }
            }
            if go_ignore {
                if index == SYNACK_SET
                    && st.last_index == SYN_SET
                    && usize::from(st.last_dir) != d
                    && h.ack_seq == st.last_end
                {
                    // b) SYN/ACK acknowledging a SYN we ignored: resync.
                    old_state = TcpState::SynSent;
                    new_state = SR;
                    let ld = usize::from(st.last_dir) & 1;
                    st.seen[ld].td_end = st.last_end;
                    st.seen[ld].td_maxend = st.last_end;
                    st.seen[ld].td_maxwin = u32::from(st.last_win).max(1);
                    st.seen[ld].td_scale = st.last_wscale;
                    st.last_flags &= !EXP_CHALLENGE_ACK;
                    st.seen[ld].flags = st.last_flags;
                    // nf_ct_tcp_state_reset
                    let s = &mut st.seen[d];
                    s.td_end = 0;
                    s.td_maxend = 0;
                    s.td_maxwin = 0;
                    s.td_maxack = 0;
                    s.td_scale = 0;
                    s.flags &= FLAG_BE_LIBERAL;
                } else {
                    st.last_index = index;
                    st.last_dir = d as u8;
                    st.last_seq = h.seq;
                    st.last_end = h.end();
                    st.last_win = h.win;
                    if index == SYN_SET && d == 0 {
                        let mut seen = TcpPeer::default();
                        st.last_flags = 0;
                        st.last_wscale = 0;
                        tcp_options(h, &mut seen);
                        if seen.flags & FLAG_WINDOW_SCALE != 0 {
                            st.last_flags |= FLAG_WINDOW_SCALE;
                            st.last_wscale = seen.td_scale;
                        }
                        if seen.flags & FLAG_SACK_PERM != 0 {
                            st.last_flags |= FLAG_SACK_PERM;
                        }
                        if old_state == TcpState::LastAck {
                            st.last_flags |= EXP_CHALLENGE_ACK;
                        }
                    }
                    if old_state == TcpState::SynSent && index == ACK_SET && d == 1 {
                        st.last_ack = h.ack_seq;
                    }
                    return out(TcpVerdict::Accept);
                }
            }
        }
        IV => return out(TcpVerdict::Invalid),
        TW if old_state == TcpState::LastAck
            && index == ACK_SET
            && usize::from(st.last_dir) != d
            && st.last_index == SYN_SET
            && st.last_flags & EXP_CHALLENGE_ACK != 0 =>
        {
            // RFC 5961 challenge ACK: do not take it as the last ACK.
            st.last_flags &= !EXP_CHALLENGE_ACK;
            return out(TcpVerdict::Accept);
        }
        S2 => {
            st.last_flags |= SIMULTANEOUS_OPEN;
        }
        SR if d == 1 && index == ACK_SET && st.last_flags & SIMULTANEOUS_OPEN != 0 => {
            new_state = ES;
        }
        CL if index == RST_SET => match rst_in_close(st, *status, d, h, cfg, old_state) {
            Err(v) => return out(v),
            Ok((skip, ns)) => {
                skip_window = skip;
                new_state = ns.unwrap_or(new_state);
            }
        },
        _ => {}
    }

    if !skip_window {
        match in_window(st, d, index, h, cfg, seqadj) {
            WinRes::Ignore => return out(TcpVerdict::Accept),
            WinRes::Invalid => {
                let shrink = handle_invalid(st, d, index, *status, cfg);
                return TcpOutcome {
                    verdict: TcpVerdict::Invalid,
                    shrink_to: shrink,
                };
            }
            WinRes::Accept => {}
        }
    }

    // in_window:
    st.last_index = index;
    st.last_dir = d as u8;
    let new = state_from(new_state);
    st.state = new;
    if old_state != new && new == TcpState::FinWait {
        st.seen[d].flags |= FLAG_CLOSE_INIT;
    }

    let t = &cfg.tcp_timeouts;
    let ns = new as usize;
    let mut timeout =
        if u32::from(st.retrans) >= cfg.tcp_max_retrans && t[ns] > t[TCP_TIMEOUT_RETRANS] {
            t[TCP_TIMEOUT_RETRANS]
        } else if index == RST_SET {
            t[TcpState::Close as usize]
        } else if (st.seen[0].flags | st.seen[1].flags) & FLAG_DATA_UNACKNOWLEDGED != 0
            && t[ns] > t[TCP_TIMEOUT_UNACK]
        {
            t[TCP_TIMEOUT_UNACK]
        } else if st.last_win == 0 && t[ns] > t[TCP_TIMEOUT_RETRANS] {
            t[TCP_TIMEOUT_RETRANS]
        } else {
            t[ns]
        };

    if !status.contains(CtStatus::SEEN_REPLY) {
        if h.rst() {
            return out(TcpVerdict::Kill);
        }
        if index == SYN_SET && old_state == TcpState::SynSent {
            // Do not renew the timeout on SYN retransmit.
            return out(TcpVerdict::Accept);
        }
        if new == TcpState::Established && timeout > t[TCP_TIMEOUT_UNACK] {
            timeout = t[TCP_TIMEOUT_UNACK];
        }
    } else if !status.contains(CtStatus::ASSURED)
        && (old_state == TcpState::SynRecv || old_state == TcpState::Established)
        && new == TcpState::Established
    {
        status.insert(CtStatus::ASSURED);
    }
    let _ = old_state0;
    out(TcpVerdict::Refresh(timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table of `get_conntrack_index` is the function on every byte
    /// of flags.
    #[test]
    fn index_table() {
        for f in 0..=255u8 {
            let h = Hdr {
                seg: &[],
                seq: 0,
                ack_seq: 0,
                win: 0,
                flags: f,
                doff: 20,
            };
            assert_eq!(h.index(), Hdr::index_of(f), "flags {f:#x}");
        }
        assert_eq!(Hdr::index_of(F_SYN | F_ACK | F_PSH), SYNACK_SET);
        assert_eq!(Hdr::index_of(F_RST | F_SYN), RST_SET);
        assert_eq!(Hdr::index_of(F_PSH | F_URG), NONE_SET);
    }

    #[test]
    fn flag_table() {
        assert!(valid_flags(F_SYN));
        assert!(valid_flags(F_SYN | F_ECE | F_CWR));
        assert!(valid_flags(F_ACK | F_PSH));
        assert!(!valid_flags(F_SYN | F_FIN));
        assert!(!valid_flags(0));
        assert!(!valid_flags(F_FIN));
        assert!(!valid_flags(F_SYN | F_RST));
    }

    /// [`new_syn`] (through [`packet`]) in lockstep with `tcp_new` and
    /// the state machine ([`packet_general`]): the first packet of an
    /// entry with random flags (the SYN forms and others), options,
    /// windows down to zero, sequence numbers, payloads, timeouts,
    /// `tcp_max_retrans`, `tcp_loose` and checksum checking, on whatever
    /// state the slot held; the verdicts and the states are equal.
    mod new_syn_lockstep {
        use super::*;
        use crate::conntrack::ftpnat::SeqAdj;
        use proptest::prelude::*;

        const FLAGS: [u8; 10] = [
            F_SYN,
            F_SYN | F_ECE | F_CWR,
            F_SYN | F_URG | F_PSH,
            F_SYN | F_ACK,
            F_SYN | F_FIN,
            F_SYN | F_RST,
            F_ACK,
            F_RST,
            F_FIN | F_ACK,
            0,
        ];

        fn peer() -> impl Strategy<Value = TcpPeer> {
            (any::<[u32; 4]>(), any::<u8>(), any::<u8>()).prop_map(|(w, td_scale, flags)| TcpPeer {
                td_end: w[0],
                td_maxend: w[1],
                td_maxwin: w[2],
                td_maxack: w[3],
                td_scale,
                flags,
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn new_syn_is_tcp_new_then_the_state_machine(
                flags in prop::sample::select(&FLAGS[..]),
                seq in prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()],
                win in prop_oneof![Just(0u16), Just(1), Just(65535), any::<u16>()],
                opts in prop_oneof![
                    Just(vec![]),
                    Just(vec![2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]),
                    Just(vec![1, 3, 3, 15]),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                payload in 0usize..100,
                (ss, retrans) in (1u64..400, 1u64..400),
                max_retrans in 0u32..5,
                loose in any::<bool>(),
                status_bits in prop_oneof![Just(0u32), any::<u32>()],
                reply in prop_oneof![4 => Just(false), 1 => Just(true)],
                seqadj in prop_oneof![4 => Just(false), 1 => Just(true)],
                garbage in (peer(), peer(), any::<[u8; 4]>(), any::<[u32; 3]>()),
            ) {
                let mut opts = opts;
                opts.truncate(40);
                opts.resize(opts.len().div_ceil(4) * 4, 0);
                let doff = 20 + opts.len();
                let mut seg = vec![0u8; doff + payload];
                seg[4..8].copy_from_slice(&seq.to_be_bytes());
                seg[8..12].copy_from_slice(&0x1234_5678u32.to_be_bytes());
                seg[12] = ((doff / 4) as u8) << 4;
                seg[13] = flags;
                seg[14..16].copy_from_slice(&win.to_be_bytes());
                seg[20..doff].copy_from_slice(&opts);
                let mut cfg = Config::with_max(8);
                cfg.tcp_timeouts[TcpState::SynSent as usize] = Duration::from_secs(ss);
                cfg.tcp_timeouts[TCP_TIMEOUT_RETRANS] = Duration::from_secs(retrans);
                cfg.tcp_max_retrans = max_retrans;
                cfg.tcp_loose = loose;
                cfg.checksum = false;
                let status = CtStatus::from_bits_retain(status_bits) - CtStatus::CONFIRMED;
                let (p0, p1, b, w) = garbage;
                let st = TcpCt {
                    seen: [p0, p1],
                    state: state_from(b[0] % 10),
                    last_dir: b[1] % 2,
                    retrans: b[2],
                    last_index: b[3] % 6,
                    last_seq: w[0],
                    last_ack: w[1],
                    last_end: w[2],
                    last_win: win ^ 1,
                    last_wscale: b[0],
                    last_flags: b[1],
                };
                let ctx = TcpCtx {
                    cfg: &cfg,
                    family: Family::Ipv4,
                    src: &[0; 16],
                    dst: &[0; 16],
                    prerouting: false,
                    seqadj: seqadj.then(|| [SeqAdj::default(); 2]),
                };
                let dir = if reply { Dir::Reply } else { Dir::Original };
                let (mut st_a, mut status_a) = (st, status);
                let (mut st_b, mut status_b) = (st, status);
                let a = packet(&mut st_a, &mut status_a, dir, &seg, &ctx);
                let b = packet_general(&mut st_b, &mut status_b, dir, &seg, &ctx);
                prop_assert_eq!(a, b);
                prop_assert_eq!(st_a, st_b);
                prop_assert_eq!(status_a, status_b);
            }
        }
    }

    #[test]
    fn seq_compare_wraps() {
        assert!(before(0xffff_fff0, 5));
        assert!(after(5, 0xffff_fff0));
        assert!(!before(5, 5));
    }

    #[test]
    fn options_parse() {
        // SYN with MSS, SACK_PERM, TS, NOP, WS=7
        let mut seg = vec![0u8; 40];
        seg[12] = 10 << 4;
        seg[13] = F_SYN;
        let opts = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        seg[20..40].copy_from_slice(&opts);
        let h = Hdr {
            seg: &seg,
            seq: 0,
            ack_seq: 0,
            win: 0,
            flags: F_SYN,
            doff: 40,
        };
        let mut p = TcpPeer::default();
        tcp_options(&h, &mut p);
        assert_eq!(p.td_scale, 7);
        assert_eq!(p.flags, FLAG_SACK_PERM | FLAG_WINDOW_SCALE);
        // truncated option list never panics
        let h2 = Hdr { doff: 23, ..h };
        tcp_options(&h2, &mut p);
    }
}
