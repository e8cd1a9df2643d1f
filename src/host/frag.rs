//! IP reassembly as the kernel does it before netfilter sees a datagram:
//! `ip_defrag` (net/ipv4/ip_fragment.c `ip_frag_queue`, `ip_frag_reasm`,
//! net/ipv4/inet_fragment.c `inet_frag_queue_insert`) for IPv4 — called by
//! `ip_local_deliver` before INPUT, and by nf_defrag_ipv4 at PREROUTING /
//! OUTPUT (priority -400) when conntrack is on — and `nf_ct_frag6_gather`
//! (net/ipv6/netfilter/nf_conntrack_reasm.c) for IPv6 with conntrack.
//!
//! Queues are keyed by the "user" (who gathers), addresses, identification
//! and (IPv4) protocol. An exact duplicate fragment is dropped; any other
//! overlap discards the whole queue (RFC 5722 behaviour, which Linux applies
//! to IPv4 too); an IPv4 queue expires after `net.ipv4.ipfrag_time` (30 s),
//! an IPv6 one after `net.netfilter.nf_conntrack_frag6_timeout` (60 s,
//! `IPV6_FRAG_TIMEOUT`; nfsim reassembles IPv6 only for conntrack). The
//! kernel's expiry timer sits on a timer-wheel level of 512 jiffies at
//! these lengths, so it fires up to 2 s (HZ=250) later than the timeout,
//! depending on the phase of jiffies; nfsim expires at the timeout itself
//! (recorded: trace `frag-timeouts-boundary`).
//! Not modelled: the ICMP "fragment reassembly time exceeded" sent when a
//! queue that had its first fragment expires (it is sent from a timer, not
//! in answer to a packet).

use crate::time::{Duration, Instant};
use crate::wire::rd_u8;

/// Who gathers fragments (`enum ip_defrag_users`): separate queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefragUser {
    /// `IP_DEFRAG_LOCAL_DELIVER`.
    LocalDeliver,
    /// `IP_DEFRAG_CONNTRACK_IN` (PREROUTING).
    ConntrackIn,
    /// `IP_DEFRAG_CONNTRACK_OUT` (OUTPUT).
    ConntrackOut,
}

#[derive(Debug, Clone)]
struct Queue {
    user: DefragUser,
    v6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    id: u32,
    proto: u8,
    created: Instant,
    /// The header of the first fragment (IPv4: IP header with options;
    /// IPv6: everything before the fragment header).
    head: Vec<u8>,
    /// Next-header value of the fragment header (IPv6).
    nexthdr: u8,
    have_first: bool,
    have_last: bool,
    len: usize,
    /// Received pieces: (offset, end).
    pieces: Vec<(usize, usize)>,
    data: Vec<u8>,
    max_size: usize,
    max_df_size: usize,
}

/// The result of offering a fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Gathered {
    /// Kept in a queue (the kernel steals the skb).
    Queued,
    /// Dropped (duplicate, overlap, corruption).
    Dropped,
    /// The datagram is complete: it is now in the caller's buffer.
    /// `frag_max_size` is `IPCB(skb)->frag_max_size`.
    Complete {
        /// The largest fragment seen (for refragmentation on output).
        frag_max_size: usize,
    },
}

/// The reassembly queues of one host.
#[derive(Debug, Clone)]
pub(crate) struct Defrag {
    /// `net.ipv4.ipfrag_time`.
    pub(crate) timeout_v4: Duration,
    /// `net.netfilter.nf_conntrack_frag6_timeout`.
    pub(crate) timeout_v6: Duration,
    /// The pieces, as payload `(offset, end)` in offset order, of the last
    /// IPv4 datagram reassembled: the `frag_list` that `ip_frag_reasm`
    /// keeps (it coalesces only for `IP_DEFRAG_LOCAL_DELIVER`), which
    /// `ip_do_fragment`'s fast path sends out again as it came. Valid for
    /// the packet being processed.
    pub(crate) layout: Vec<(usize, usize)>,
    queues: Vec<Queue>,
    /// Finished queues whose buffers are kept for reuse (no allocation once
    /// warmed up).
    free: Vec<Queue>,
}

impl Default for Defrag {
    /// `ipfrag_time` 30 s (`IP_FRAG_TIME`), `nf_conntrack_frag6_timeout`
    /// 60 s (`IPV6_FRAG_TIMEOUT`, nf_conntrack_reasm.c `nf_ct_net_init`).
    fn default() -> Self {
        Defrag {
            timeout_v4: Duration::from_secs(30),
            timeout_v6: Duration::from_secs(60),
            layout: Vec::with_capacity(16),
            queues: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl Defrag {
    fn expire(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.queues.len() {
            let q = &self.queues[i];
            let timeout = if q.v6 {
                self.timeout_v6
            } else {
                self.timeout_v4
            };
            if now.saturating_since(q.created) >= timeout {
                let q = self.kill(i);
                self.recycle(q);
            } else {
                i += 1;
            }
        }
    }

    /// `inet_frag_kill`: the queue goes; its buffers are kept.
    fn kill(&mut self, qi: usize) -> Queue {
        self.queues.swap_remove(qi)
    }

    fn recycle(&mut self, q: Queue) {
        if self.free.len() < 64 {
            self.free.push(q);
        }
    }

    /// Offers an IPv4 fragment (`buf` is the whole packet, trimmed to its
    /// total length). On `Complete`, `buf` holds the reassembled datagram.
    pub(crate) fn ipv4(&mut self, user: DefragUser, buf: &mut Vec<u8>, now: Instant) -> Gathered {
        self.expire(now);
        let ihl = usize::from(rd_u8(buf, 0) & 0x0f) * 4;
        if buf.len() < ihl || ihl < 20 {
            return Gathered::Dropped;
        }
        let fw = u16::from_be_bytes([buf[6], buf[7]]);
        let mf = fw & 0x2000 != 0;
        let df = fw & 0x4000 != 0;
        let offset = usize::from(fw & 0x1fff) * 8;
        let mut src = [0u8; 16];
        let mut dst = [0u8; 16];
        src[..4].copy_from_slice(&buf[12..16]);
        dst[..4].copy_from_slice(&buf[16..20]);
        let id = u32::from(u16::from_be_bytes([buf[4], buf[5]]));
        let proto = buf[9];
        let qi = self.find_or_create(user, false, src, dst, id, proto, now);
        let end = offset + (buf.len() - ihl);
        let payload_start = ihl;
        let r = self.insert(qi, offset, end, !mf, &buf[payload_start..], buf.len(), df);
        if let Some(g) = r {
            return g;
        }
        if offset == 0 {
            let q = &mut self.queues[qi];
            q.head.clear();
            q.head.extend_from_slice(&buf[..ihl]);
            q.have_first = true;
        }
        self.try_complete_v4(qi, buf)
    }

    #[allow(clippy::too_many_arguments)]
    fn find_or_create(
        &mut self,
        user: DefragUser,
        v6: bool,
        src: [u8; 16],
        dst: [u8; 16],
        id: u32,
        proto: u8,
        now: Instant,
    ) -> usize {
        if let Some(i) = self.queues.iter().position(|q| {
            q.user == user
                && q.v6 == v6
                && q.src == src
                && q.dst == dst
                && q.id == id
                && (v6 || q.proto == proto)
        }) {
            return i;
        }
        if self.queues.len() >= 64 {
            let oldest = (0..self.queues.len())
                .min_by_key(|i| self.queues[*i].created)
                .unwrap_or(0);
            let q = self.kill(oldest);
            self.recycle(q);
        }
        let mut q = self.free.pop().unwrap_or_else(|| Queue {
            user,
            v6,
            src,
            dst,
            id,
            proto,
            created: now,
            head: Vec::with_capacity(64),
            nexthdr: 0,
            have_first: false,
            have_last: false,
            len: 0,
            pieces: Vec::with_capacity(16),
            data: Vec::with_capacity(2048),
            max_size: 0,
            max_df_size: 0,
        });
        q.user = user;
        q.v6 = v6;
        q.src = src;
        q.dst = dst;
        q.id = id;
        q.proto = proto;
        q.created = now;
        q.head.clear();
        q.nexthdr = 0;
        q.have_first = false;
        q.have_last = false;
        q.len = 0;
        q.pieces.clear();
        q.data.clear();
        q.max_size = 0;
        q.max_df_size = 0;
        self.queues.push(q);
        self.queues.len() - 1
    }

    /// `ip_frag_queue` / `nf_ct_frag6_queue` from "Determine the position of
    /// this fragment" to the insertion. `None` means inserted and continue.
    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        qi: usize,
        offset: usize,
        mut end: usize,
        last: bool,
        payload: &[u8],
        fragsize: usize,
        df: bool,
    ) -> Option<Gathered> {
        let q = &mut self.queues[qi];
        if last {
            if end < q.len || (q.have_last && end != q.len) {
                let q = self.kill(qi);
                self.recycle(q);
                return Some(Gathered::Dropped);
            }
            q.have_last = true;
            q.len = end;
        } else {
            end &= !7;
            if end > q.len {
                if q.have_last {
                    self.queues.remove(qi);
                    return Some(Gathered::Dropped);
                }
                q.len = end;
            }
        }
        if end == offset {
            let q = self.kill(qi);
            self.recycle(q);
            return Some(Gathered::Dropped);
        }
        // inet_frag_queue_insert: an exact duplicate is dropped, any other
        // overlap kills the queue.
        for &(o, e) in &q.pieces {
            if o == offset && e == end {
                return Some(Gathered::Dropped);
            }
            if offset < e && o < end {
                let q = self.kill(qi);
                self.recycle(q);
                return Some(Gathered::Dropped);
            }
        }
        if end > 65535 {
            let q = self.kill(qi);
            self.recycle(q);
            return Some(Gathered::Dropped);
        }
        if q.data.len() < end {
            q.data.resize(end, 0);
        }
        let n = (end - offset).min(payload.len());
        q.data[offset..offset + n].copy_from_slice(&payload[..n]);
        q.pieces.push((offset, end));
        q.max_size = q.max_size.max(fragsize);
        if df {
            q.max_df_size = q.max_df_size.max(fragsize);
        }
        None
    }

    fn complete(q: &Queue) -> bool {
        if !(q.have_first && q.have_last) {
            return false;
        }
        let meat: usize = q.pieces.iter().map(|(o, e)| e - o).sum();
        meat == q.len
    }

    fn try_complete_v4(&mut self, qi: usize, buf: &mut Vec<u8>) -> Gathered {
        if !Self::complete(&self.queues[qi]) {
            return Gathered::Queued;
        }
        let q = self.kill(qi);
        let ihl = q.head.len();
        if q.len + ihl > 65535 {
            self.recycle(q);
            return Gathered::Dropped;
        }
        buf.clear();
        buf.extend_from_slice(&q.head);
        buf.extend_from_slice(&q.data[..q.len]);
        let tot = (q.len + ihl) as u16;
        buf[2..4].copy_from_slice(&tot.to_be_bytes());
        // ip_frag_reasm: DF when every fragment was DF-sized.
        let fw: u16 = if q.max_df_size == q.max_size {
            0x4000
        } else {
            0
        };
        buf[6..8].copy_from_slice(&fw.to_be_bytes());
        if let Ok(mut p) = crate::wire::ipv4::Packet::new_checked(buf.as_mut_slice()) {
            p.fill_checksum();
        }
        self.layout.clear();
        self.layout.extend_from_slice(&q.pieces);
        self.layout.sort_unstable();
        let frag_max_size = q.max_df_size.max(q.max_size);
        self.recycle(q);
        Gathered::Complete { frag_max_size }
    }

    /// Offers an IPv6 packet with a fragment header at `frag_at` (offset of
    /// the fragment header; `prev_nh_at` is the offset of the next-header
    /// byte that names it).
    pub(crate) fn ipv6(
        &mut self,
        user: DefragUser,
        buf: &mut Vec<u8>,
        frag_at: usize,
        prev_nh_at: usize,
        now: Instant,
    ) -> Gathered {
        self.expire(now);
        if buf.len() < frag_at + 8 || buf.len() < 40 {
            return Gathered::Dropped;
        }
        let nexthdr = buf[frag_at];
        let fw = u16::from_be_bytes([buf[frag_at + 2], buf[frag_at + 3]]);
        let offset = usize::from(fw & 0xfff8);
        let mf = fw & 1 != 0;
        let id = u32::from_be_bytes([
            buf[frag_at + 4],
            buf[frag_at + 5],
            buf[frag_at + 6],
            buf[frag_at + 7],
        ]);
        let mut src = [0u8; 16];
        let mut dst = [0u8; 16];
        src.copy_from_slice(&buf[8..24]);
        dst.copy_from_slice(&buf[24..40]);
        // An atomic fragment (offset 0, no MF) is handled without a queue.
        if offset == 0 && !mf {
            buf.drain(frag_at..frag_at + 8);
            if let Some(b) = buf.get_mut(prev_nh_at) {
                *b = nexthdr;
            }
            let pl = (buf.len() - 40) as u16;
            buf[4..6].copy_from_slice(&pl.to_be_bytes());
            return Gathered::Complete { frag_max_size: 0 };
        }
        let qi = self.find_or_create(user, true, src, dst, id, 0, now);
        let end = offset + (buf.len() - frag_at - 8);
        let fragsize = buf.len();
        if let Some(g) = self.insert(qi, offset, end, !mf, &buf[frag_at + 8..], fragsize, false) {
            return g;
        }
        if offset == 0 {
            let q = &mut self.queues[qi];
            q.head.clear();
            q.head.extend_from_slice(&buf[..frag_at]);
            q.nexthdr = nexthdr;
            q.have_first = true;
            // Remember where the next-header byte naming the fragment header is.
            q.proto = u8::try_from(prev_nh_at).unwrap_or(6);
        }
        if !Self::complete(&self.queues[qi]) {
            return Gathered::Queued;
        }
        let q = self.queues.remove(qi);
        buf.clear();
        buf.extend_from_slice(&q.head);
        buf.extend_from_slice(&q.data[..q.len]);
        if let Some(b) = buf.get_mut(usize::from(q.proto)) {
            *b = q.nexthdr;
        }
        let pl = (buf.len() - 40) as u16;
        buf[4..6].copy_from_slice(&pl.to_be_bytes());
        Gathered::Complete {
            frag_max_size: q.max_size,
        }
    }
}

/// The header of the fragments after the first: `ip_options_fragment`
/// turns the options without the copy flag into NOOPs.
fn later_header(pkt: &[u8], ihl: usize) -> [u8; 60] {
    let mut h = [0u8; 60];
    let n = ihl.min(60).min(pkt.len());
    h[..n].copy_from_slice(&pkt[..n]);
    let mut i = 20;
    while i < n {
        let k = h[i];
        if k == 0 {
            break;
        }
        if k == 1 {
            i += 1;
            continue;
        }
        let l = usize::from(h.get(i + 1).copied().unwrap_or(2)).max(2);
        if k & 0x80 == 0 {
            for b in h.iter_mut().take(n).skip(i).take(l) {
                *b = 1;
            }
        }
        i += l;
    }
    h
}

/// `ip_do_fragment`'s fast path (net/ipv4/ip_output.c): a datagram that
/// still has the `frag_list` of its reassembly leaves in those pieces
/// (`layout`, payload `(offset, end)` in order) when their geometry is
/// right: each piece no longer than the data space `mtu - ihl` and a
/// multiple of 8 but the last. Returns false (nothing emitted) when the
/// slow path must cut instead.
pub(crate) fn ipv4_fragment_fast(
    pkt: &[u8],
    mtu: usize,
    layout: &[(usize, usize)],
    frag: &mut Vec<u8>,
    mut emit: impl FnMut(&[u8]),
) -> bool {
    let ihl = usize::from(rd_u8(pkt, 0) & 0x0f) * 4;
    if ihl < 20 || pkt.len() < ihl || layout.len() < 2 {
        return false;
    }
    let payload = &pkt[ihl..];
    let space = mtu.saturating_sub(ihl);
    let mut expect = 0;
    for (k, &(o, e)) in layout.iter().enumerate() {
        let last = k + 1 == layout.len();
        let n = e.saturating_sub(o);
        if o != expect || n > space || (n % 8 != 0 && !last) || (last && e != payload.len()) {
            return false;
        }
        expect = e;
    }
    let orig_fw = u16::from_be_bytes([pkt[6], pkt[7]]);
    let later = later_header(pkt, ihl);
    for (k, &(o, e)) in layout.iter().enumerate() {
        let last = k + 1 == layout.len();
        frag.clear();
        frag.extend_from_slice(if o == 0 { &pkt[..ihl] } else { &later[..ihl] });
        frag.extend_from_slice(&payload[o..e]);
        let tot = frag.len() as u16;
        frag[2..4].copy_from_slice(&tot.to_be_bytes());
        // ip_fraglist_prepare: offset, MF but on the last, DF kept.
        let mut fw = (orig_fw & 0x4000) | ((o / 8) as u16 & 0x1fff);
        if !last {
            fw |= 0x2000;
        }
        frag[6..8].copy_from_slice(&fw.to_be_bytes());
        if let Ok(mut p) = crate::wire::ipv4::Packet::new_checked(frag.as_mut_slice()) {
            p.fill_checksum();
        }
        emit(frag);
    }
    true
}

/// `ip_do_fragment`'s slow path for a reassembled datagram leaving with
/// `frag_max_size`: each fragment carries `(mtu - ihl) & !7` payload bytes;
/// the first keeps all options, later ones only those with the copy flag
/// (`ip_options_fragment`). Calls `emit` for each fragment in order.
pub(crate) fn ipv4_fragment(
    pkt: &[u8],
    mtu: usize,
    frag: &mut Vec<u8>,
    mut emit: impl FnMut(&[u8]),
) {
    let ihl = usize::from(rd_u8(pkt, 0) & 0x0f) * 4;
    if pkt.len() <= mtu || ihl < 20 || pkt.len() < ihl {
        emit(pkt);
        return;
    }
    let chunk = (mtu.saturating_sub(ihl)) & !7;
    if chunk == 0 {
        return;
    }
    let payload = &pkt[ihl..];
    let orig_fw = u16::from_be_bytes([pkt[6], pkt[7]]);
    let base_off = usize::from(orig_fw & 0x1fff) * 8;
    let later = later_header(pkt, ihl);
    let later_header = &later[..ihl.min(60)];
    let mut off = 0;
    while off < payload.len() {
        let n = chunk.min(payload.len() - off);
        let last = off + n == payload.len();
        frag.clear();
        frag.extend_from_slice(if off == 0 { &pkt[..ihl] } else { later_header });
        frag.extend_from_slice(&payload[off..off + n]);
        let tot = frag.len() as u16;
        frag[2..4].copy_from_slice(&tot.to_be_bytes());
        let mut fw = (orig_fw & 0x4000) | (((base_off + off) / 8) as u16 & 0x1fff);
        if !last || orig_fw & 0x2000 != 0 {
            fw |= 0x2000;
        }
        frag[6..8].copy_from_slice(&fw.to_be_bytes());
        if let Ok(mut p) = crate::wire::ipv4::Packet::new_checked(frag.as_mut_slice()) {
            p.fill_checksum();
        }
        emit(frag);
        off += n;
    }
}
