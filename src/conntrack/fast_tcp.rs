//! The established TCP path: `nf_conntrack_in` for a TCP packet of a
//! confirmed, unexpired entry (`resolve_normal_ct`'s lookup, then
//! `nf_conntrack_handle_packet`: `tcp_error` and
//! `nf_conntrack_tcp_packet` of net/netfilter/nf_conntrack_proto_tcp.c,
//! with `tcp_in_window`, `nf_ct_refresh_acct` or `nf_ct_kill_acct`), fused
//! on the entry's fields as `fast.rs` does for UDP: the tuple is not built,
//! the lookup index is probed with the packet's own bytes, the header and
//! the checksum are read from the packet alone. The TCP state machine and
//! window tracking are the general path's own (`tcp::track`), and so is
//! what their outcome does to the entry (`ConntrackTable::tcp_outcome`).
//! An IPv4 packet while no entry has a zone or a timeout policy takes
//! `probe_tcp4` and `established_tcp4`; any other (IPv6, zones, timeout
//! policies) `established_tcp_any`, which builds the tuple and takes the
//! entry's zone and policy as the general path does. Anything unusual
//! goes to the general path having changed nothing: a fragment, a dying
//! entry to reap, an entry of another zone, a header `tcp_error` rejects,
//! a bad checksum, an expired entry, `IPS_SEQ_ADJUST` (NAT helpers'
//! sequence adjustment), a packet that reopens a closed connection
//! (`-NF_REPEAT`).

use super::fast::Probe;
use super::tuple::{proto, Dir, Family, Tuple};
use super::{csum_ok, tcp, ConntrackTable, CtHandle, CtInfo, CtResult, CtSlot, CtStatus};
use super::{CtVerdict, Hook, L4Res, L4State};
use crate::time::Instant;
use crate::wire::meta::PacketMeta;

impl ConntrackTable {
    /// The established TCP path (see the module's text): `Ok` with the
    /// same result and the same table as the general path
    /// (`process_general`) would give; otherwise, having changed nothing,
    /// `Err(true)` when the packet is a TCP packet whose tuple the lookup
    /// index does not hold (its [`super::fast::fast_hash`] left in
    /// `miss_tag`: the general path need not probe it again, nor confirm
    /// hash it again), `Err(false)` for anything else.
    #[inline(always)]
    pub(super) fn established_tcp(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        if meta.fragoff != 0 || meta.protocol.0 != proto::TCP || !self.dying.is_empty() {
            return Err(false);
        }
        if meta.family != Family::Ipv4 || self.helpers.has_zones() || !self.timeouts.is_empty() {
            return self.established_tcp_any(pkt, meta, hook, now);
        }
        self.established_tcp4(pkt, meta.thoff, hook, now)
    }

    /// [`Self::established_tcp`] for any TCP packet that is not a
    /// fragment (IPv6, zones, timeout policies): the tuple built and
    /// looked up (`find_live`), the entry's zone and timeout policy
    /// (`nf_ct_timeout_lookup`) as the general path takes them, then the
    /// same steps as [`Self::established_tcp4`].
    #[inline(never)]
    fn established_tcp_any(
        &mut self,
        pkt: &[u8],
        meta: &PacketMeta,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        let Some(l4) = pkt.get(meta.thoff..) else {
            return Err(false);
        };
        let Some(&[p0, p1, p2, p3]) = l4.get(..4) else {
            return Err(false);
        };
        let mut t = Tuple {
            family: meta.family,
            src: [0; 16],
            dst: [0; 16],
            proto: proto::TCP,
            src_u: u16::from_be_bytes([p0, p1]),
            dst_u: u16::from_be_bytes([p2, p3]),
        };
        let (at, n) = match meta.family {
            Family::Ipv4 => (12, 4),
            Family::Ipv6 => (8, 16),
        };
        let (Some(s), Some(d)) = (pkt.get(at..at + n), pkt.get(at + n..at + 2 * n)) else {
            return Err(false);
        };
        t.src[..n].copy_from_slice(s);
        t.dst[..n].copy_from_slice(d);
        let tag = super::fast::fast_hash(&t);
        let (idx, dir) = match self.find_live(&t, tag, now) {
            Probe::Live(idx, dir) => (idx, dir),
            Probe::Expired => return Err(false),
            Probe::Absent => {
                self.miss_tag.0 = tag;
                return Err(true);
            }
        };
        let Some(gen) = self.entries.get(idx as usize).map(|e| e.gen) else {
            return Err(false);
        };
        // A packet without a template is in the default zone: an entry of
        // another zone in this direction is not its own (nf_ct_key_equal);
        // the general path looks further.
        if self.helpers.has_zones() && self.helpers.zone_of(idx, gen).id_for(dir as usize) != 0 {
            return Err(false);
        }
        // nf_ct_timeout_lookup: the entry's timeout policy, else the
        // namespace's timeouts (and checksum setting).
        let cfg = self.timeouts.of(idx, gen).unwrap_or(&self.cfg);
        let Some(h) = tcp::header(l4) else {
            return Err(false);
        };
        if hook == Hook::PreRouting
            && cfg.checksum
            && !csum_ok(t.family, &t.src, &t.dst, proto::TCP, l4)
        {
            return Err(false);
        }
        let Some(e) = self.entries.get_mut(idx as usize) else {
            return Err(false);
        };
        // The counters' high halves, under `nf_conntrack_acct`.
        let hi = self.acct_hi.get_mut(idx as usize);
        if !e.status.contains(CtStatus::CONFIRMED) || e.status.contains(CtStatus::SEQ_ADJUST) {
            return Err(false);
        }
        let L4State::Tcp(ti) = e.l4() else {
            return Err(false);
        };
        let Some(st) = self.tcp.get_mut(ti) else {
            return Err(false);
        };
        let info = CtInfo::of(e.status, dir);
        let out = tcp::track(st, &mut e.status, dir.idx(), &h, cfg, None);
        if out.verdict == tcp::TcpVerdict::Repeat {
            return Err(false);
        }
        self.epoch = self.epoch.wrapping_add(1);
        let handle = CtHandle { idx, gen: e.gen };
        let reply = dir == Dir::Reply;
        match Self::tcp_outcome(hi, e, out, now, dir, pkt.len()) {
            L4Res::Ok => {}
            L4Res::Invalid | L4Res::Repeat => {
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Invalid,
                })
            }
            L4Res::Kill => {
                if reply {
                    e.status.insert(CtStatus::SEEN_REPLY);
                }
                self.delete(idx, true);
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Entry { handle, info },
                });
            }
        }
        if reply {
            e.status.insert(CtStatus::SEEN_REPLY);
        }
        Ok(CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Entry { handle, info },
        })
    }

    /// The lookup of [`Self::established_tcp`]: the entry holding the
    /// IPv4 TCP packet's tuple, whether as its reply tuple, and the
    /// packet's address bytes (12..20); `Err(true)` when the lookup index
    /// holds no such tuple (its hash left in `miss_tag`), `Err(false)` for
    /// a packet too short for it.
    /// Inlined in [`Self::established_tcp4`] (a call between the two and
    /// the result through memory cost 25 instructions a packet).
    #[inline(always)]
    fn probe_tcp4(&mut self, pkt: &[u8], thoff: usize) -> Result<(u32, bool, [u8; 8]), bool> {
        let Some(l4) = pkt.get(thoff..) else {
            return Err(false);
        };
        let (Some(&[p0, p1, p2, p3]), Some(Ok(a))) =
            (l4.get(..4), pkt.get(12..20).map(<[u8; 8]>::try_from))
        else {
            return Err(false);
        };
        // The ports in host order, the source's in the low half.
        let ports = u32::from_be_bytes([p0, p1, p2, p3]).rotate_left(16);
        let le = u64::from_le_bytes(a);
        let k = u64::from(ports) | (u64::from(proto::TCP) << 32);
        let tag = super::fast::hash_v4(le, k);
        // The probe (`fast.rs`'s `probe4`), on the fields themselves.
        let Some((idx, reply)) = self.probe4(tag, k, le) else {
            self.miss_tag.0 = tag;
            return Err(true);
        };
        Ok((idx, reply, a))
    }

    /// [`Self::established_tcp`] for an IPv4 packet while no entry has a
    /// zone or a timeout policy: the lookup ([`Self::probe_tcp4`]: the
    /// entry `idx`, `reply` when the packet's tuple is its reply tuple,
    /// `a` the packet's address bytes 12..20), then the packet.
    #[inline(never)]
    fn established_tcp4(
        &mut self,
        pkt: &[u8],
        thoff: usize,
        hook: Hook,
        now: Instant,
    ) -> Result<CtResult, bool> {
        let (idx, reply, a) = self.probe_tcp4(pkt, thoff)?;
        let Some(l4) = pkt.get(thoff..) else {
            return Err(false);
        };
        // tcp_error from the packet alone: the header, then the checksum
        // (`nf_checksum` in PREROUTING when nf_conntrack_checksum is set),
        // the pseudo-header's addresses summed from the same word. An
        // INVALID packet takes the general path.
        let Some(h) = tcp::header(l4) else {
            return Err(false);
        };
        if hook == Hook::PreRouting && self.cfg.checksum {
            let le = u64::from_le_bytes(a);
            if !super::fast::csum_le::<16>((le >> 32) + (le & 0xffff_ffff), proto::TCP, l4) {
                return Err(false);
            }
        }
        let Some(e) = self.entries.get_mut(idx as usize) else {
            return Err(false);
        };
        // The counters' high halves, under `nf_conntrack_acct`.
        let hi = self.acct_hi.get_mut(idx as usize);
        if Self::is_expired(e, now)
            || !e.status.contains(CtStatus::CONFIRMED)
            || e.status.contains(CtStatus::SEQ_ADJUST)
        {
            return Err(false);
        }
        let L4State::Tcp(ti) = e.l4() else {
            return Err(false);
        };
        let Some(st) = self.tcp.get_mut(ti) else {
            return Err(false);
        };
        // From here on, what `process_general` and `l4_packet` do for it.
        let dir = if reply { Dir::Reply } else { Dir::Original };
        let info = CtInfo::of(e.status, dir);
        let out = tcp::track(st, &mut e.status, dir.idx(), &h, &self.cfg, None);
        if out.verdict == tcp::TcpVerdict::Repeat {
            // Reopening (decided before anything changed): the general
            // path deletes the entry and looks the packet up again.
            return Err(false);
        }
        // A confirmed entry's deadline may change.
        self.epoch = self.epoch.wrapping_add(1);
        let handle = CtHandle { idx, gen: e.gen };
        match Self::tcp_outcome(hi, e, out, now, dir, pkt.len()) {
            L4Res::Ok => {}
            L4Res::Invalid | L4Res::Repeat => {
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Invalid,
                })
            }
            L4Res::Kill => {
                // nf_ct_kill_acct (an RST before any reply).
                if reply {
                    e.status.insert(CtStatus::SEEN_REPLY);
                }
                self.delete(idx, true);
                return Ok(CtResult {
                    verdict: CtVerdict::Accept,
                    slot: CtSlot::Entry { handle, info },
                });
            }
        }
        if reply {
            e.status.insert(CtStatus::SEEN_REPLY);
        }
        Ok(CtResult {
            verdict: CtVerdict::Accept,
            slot: CtSlot::Entry { handle, info },
        })
    }
}
