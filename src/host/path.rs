//! The hook pipeline (net/ipv4/ip_input.c `ip_rcv`, `ip_rcv_finish`,
//! `ip_local_deliver`; ip_forward.c `ip_forward`; ip_output.c
//! `__ip_local_out`, `ip_output`; the IPv6 twins in net/ipv6/), with the
//! netfilter hook functions in priority order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::route::{packet_addrs as addrs, RouteKind};
use super::targets::HostEnv;
use super::txq::{Job, JobKind};
use super::{Disposition, DropReason, FamFlags, FamilyState, Host, Outcome};
use crate::conntrack::{CtSlot, CtVerdict, HelpVerdict, ManipType, NatFast, NatStep};
use crate::engine::walk::Scan;
use crate::engine::{PacketCtx, TraceSink, Verdict};
use crate::model::{Family, Hook, TableKind};
use crate::time::Instant;
use crate::wire::checksum::nf_checksum_ok;
use crate::wire::meta::PacketMeta;
use crate::wire::{ipv4, ipv6, IpProtocol};

// Bridges and br_netfilter: a child of the pipeline (it runs its hook
// steps), in its own file.
#[path = "bridge.rs"]
pub(crate) mod bridge;
pub use bridge::BridgeConfig;

/// Where a packet's processing stands. (`repr(C)`: the fields set from
/// the arguments first, then those every packet starts with as nothing,
/// side by side, so that `Pkt::new` writes them in a few wide stores.)
#[repr(C)]
struct Pkt<'a> {
    buf: &'a mut Vec<u8>,
    /// Its family's switches ([`FamFlags`]), read once.
    f: FamFlags,
    meta: PacketMeta,
    slot: Option<CtSlot>,
    in_dev: usize,
    mark: u32,
    family: Family,
    /// Received through a device (not locally generated): for LOG's MAC=.
    received: bool,
    /// See [`Job::csum_partial`].
    csum_partial: bool,
    /// See [`Job::primary`].
    primary: bool,
    /// `IPCB(skb)->frag_max_size` of a reassembled datagram (0: not one).
    frag_max_size: usize,
    out_dev: Option<usize>,
    /// `skb->sk` owner (uid, gid) of a packet the caller sent.
    owner: Option<(u32, u32)>,
    /// Conntrack checked this packet's UDP checksum in PREROUTING
    /// (`nf_checksum` with CHECKSUM_NONE leaves the skb CHECKSUM_COMPLETE,
    /// `csum_complete_sw`, its `csum` covering the network header as it was
    /// then): the ones'-complement sum of the first 8 bytes of the IPv6
    /// header at that moment, which TOS/DSCP/HL rewrites change without
    /// touching `skb->csum` (NAT keeps it in step; the IPv4 header sums to
    /// zero through its own checksum, so IPv4 never goes stale: 0 there).
    csum_sw: Option<u16>,
    /// The datagram still has the `frag_list` of its reassembly by
    /// conntrack (`Defrag::layout`): `ip_do_fragment` can take its fast path.
    frag_list: bool,
    /// Delivered to a multicast group the host joined.
    mcast: bool,
    /// `IPCB(skb)->opt.rr_needaddr`: a received record-route option had
    /// room (`ip_forward_options` fills it on forwarding).
    rr_needaddr: bool,
    /// A target changed the packet's headers so that `meta` no longer
    /// describes it (NAT reads it again, [`Host::nat`]).
    meta_stale: bool,
    /// Received on a bridge port: br_netfilter's information.
    br: Option<bridge::BrInfo>,
}

impl<'a> Pkt<'a> {
    /// A packet entering the path: no devices, owner or reassembly yet.
    fn new(
        (family, f): (Family, FamFlags),
        buf: &'a mut Vec<u8>,
        meta: PacketMeta,
        (slot, mark): (Option<CtSlot>, u32),
        (csum_partial, primary): (bool, bool),
    ) -> Self {
        Pkt {
            family,
            f,
            buf,
            meta,
            in_dev: 0,
            out_dev: None,
            slot,
            mark,
            received: false,
            owner: None,
            frag_max_size: 0,
            csum_sw: None,
            frag_list: false,
            mcast: false,
            csum_partial,
            rr_needaddr: false,
            primary,
            meta_stale: false,
            br: None,
        }
    }
}

/// Records what became of the caller's packet (packets it caused, such as
/// REJECT replies, do not change it).
fn settle(p: &Pkt<'_>, out: &mut Outcome, d: Disposition) {
    if p.primary {
        out.set_disposition(d);
    }
}

enum Step {
    Continue,
    Stop,
}

/// At most this many jobs per call (the caller's packet and what it
/// causes): a loop of generated packets stops there.
const QUEUE_BUDGET: u32 = 64;

impl Host {
    /// The clock the host runs on for a call at `now`: like the kernel's
    /// jiffies it never goes backwards, so an instant earlier than one
    /// already seen is taken as the latest one seen.
    #[inline]
    fn tick(&mut self, now: Instant) -> Instant {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// A packet arrives on device `dev` from its peer (`pkt` is from the IP
    /// header on). Fills `out` (cleared first) with what happened.
    ///
    /// Time: `now` is the host's clock for this call. The clock never goes
    /// backwards: an instant earlier than the latest one given to
    /// `receive` or [`Host::send`] is taken as that latest one (the
    /// kernel's jiffies are monotonic too). Instants are nanoseconds in a
    /// `u64`; keep them below [`Instant::MAX_SUPPORTED`] (292 years), so
    /// that deadlines (at most 136 years ahead, `recent --seconds`) cannot
    /// saturate.
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let eth0 = host.device_index("eth0").unwrap();
    /// let (mut out, mut trace) = (Outcome::default(), TraceCollector::default());
    /// let web = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).tcp(40000, 80).build();
    /// host.receive(eth0, &web, Instant::ZERO, &mut out, &mut trace);
    /// assert!(matches!(out.disposition(), Disposition::Dropped { reason: DropReason::Policy, .. }));
    /// assert_eq!(trace.records, ["filter:INPUT:policy:2"]);
    /// ```
    pub fn receive<S: TraceSink>(
        &mut self,
        dev: usize,
        pkt: &[u8],
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.receive_marked(dev, pkt, 0, now, out, sink);
    }

    /// [`Host::receive`] of a packet that arrives with `skb->mark` already
    /// set to `mark` (by `tc` or an ingress hook before PREROUTING): every
    /// table sees it (`-m mark`, `MARK`, `CONNMARK --save-mark`). With
    /// `mark` 0 this is [`Host::receive`].
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n-A INPUT -m mark --mark 5 -j DROP\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into()).udp(1000, 53).build();
    /// host.receive_marked(1, &pkt, 5, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(matches!(out.disposition(), Disposition::Dropped { .. }));
    /// host.receive_marked(1, &pkt, 0, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(!matches!(out.disposition(), Disposition::Dropped { .. }));
    /// ```
    pub fn receive_marked<S: TraceSink>(
        &mut self,
        dev: usize,
        pkt: &[u8],
        mark: u32,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.run_primary(pkt, (JobKind::Rx(dev), None, mark, false), now, out, sink);
    }

    /// The host sends a packet through a raw `IPPROTO_RAW` socket with the IP
    /// header included (`raw_send_hdrinc`): it is routed by its destination,
    /// then takes the OUTPUT and POSTROUTING hooks. Time as in
    /// [`Host::receive`].
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n-A OUTPUT -p udp --dport 53 -j REJECT\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// let query = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 53].into()).udp(5353, 53).build();
    /// host.send(&query, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(matches!(out.disposition(), Disposition::Rejected { .. }));
    /// let ntp = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 123].into()).udp(123, 123).build();
    /// host.send(&ntp, Instant::ZERO, &mut out, &mut NoTrace);
    /// let (dev, bytes) = out.emitted().next().unwrap();
    /// assert_eq!((host.device(dev), bytes), (Some("eth0"), &ntp[..]));
    /// ```
    pub fn send<S: TraceSink>(
        &mut self,
        pkt: &[u8],
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.send_marked(pkt, 0, now, out, sink);
    }

    /// [`Host::send`] from a socket with `SO_MARK` set to `mark`
    /// (`raw_send_hdrinc`: `skb->mark = sockc->mark`): OUTPUT and
    /// POSTROUTING see it. With `mark` 0 this is [`Host::send`].
    ///
    /// ```
    /// use nfsim::prelude::*;
    /// let rules = parse_restore("*filter\n-A OUTPUT -m mark --mark 0x7 -j DROP\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let cfg = HostConfig::default().interface(InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap());
    /// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
    /// let mut out = Outcome::default();
    /// let pkt = PacketBuilder::ipv4([192, 0, 2, 1].into(), [192, 0, 2, 9].into()).udp(53, 1000).build();
    /// host.send_marked(&pkt, 7, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert!(matches!(out.disposition(), Disposition::Dropped { .. }));
    /// host.send_marked(&pkt, 0, Instant::ZERO, &mut out, &mut NoTrace);
    /// assert_eq!(out.emitted().count(), 1);
    /// ```
    pub fn send_marked<S: TraceSink>(
        &mut self,
        pkt: &[u8],
        mark: u32,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.run_primary(pkt, (JobKind::Tx, None, mark, true), now, out, sink);
    }

    /// A packet the host's own stack built (a socket's segment, not a raw
    /// socket's): it takes OUTPUT and POSTROUTING as it is, without the raw
    /// socket's header fixes (`ip_queue_xmit` / `ip6_xmit` ->
    /// `__ip_local_out`). `slot`: the conntrack entry it is attached to
    /// (`nf_ct_attach` of an ICMP error). Used by `nfsim::net`'s endpoints.
    pub(crate) fn send_built<S: TraceSink>(
        &mut self,
        pkt: &[u8],
        slot: Option<CtSlot>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.run_primary(pkt, (JobKind::Tx, slot, 0, false), now, out, sink);
    }

    /// The stack's answer to a packet delivered through a device where no
    /// socket took it (`tcp_v4_send_reset`, `icmp_send` port unreachable
    /// under the ICMP rate limits, `icmp_echo`; the IPv6 twins), sent at
    /// once. Used by `nfsim::net`'s endpoints.
    pub(crate) fn answer_unclaimed<S: TraceSink>(
        &mut self,
        pkt: &[u8],
        slot: Option<CtSlot>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        // Outcome::clear keeps `keep_delivered`.
        out.clear();
        let now = self.tick(now);
        let Some(family) = Family::of_packet(pkt) else {
            return;
        };
        super::stack::answer(&mut self.stack, family, pkt, slot, Some(now));
        self.run_queue(QUEUE_BUDGET, now, out, sink);
    }

    /// The caller's packet (`kind`, conntrack slot, `skb->mark`, raw
    /// socket header): the outcome starts empty (`keep_delivered` stays),
    /// the clock ticks, the packet is the queue's primary job and the queue
    /// runs.
    fn run_primary<S: TraceSink>(
        &mut self,
        pkt: &[u8],
        (kind, slot, mark, hdrincl): (JobKind, Option<CtSlot>, u32, bool),
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        out.clear();
        let now = self.tick(now);
        // The queue is empty between calls (every call runs it dry): the
        // caller's packet is its first job, run at once without queueing.
        if !self.stack.io.queue.is_empty() {
            let job = self.stack.io.queue.push(pkt, kind, slot, mark);
            job.hdrincl = hdrincl;
            job.primary = true;
            return self.run_queue(QUEUE_BUDGET, now, out, sink);
        }
        match kind {
            // (run_job's Rx arm, without building the job, in the
            // primary buffer)
            JobKind::Rx(dev) => {
                let mut buf = self.stack.io.queue.take_primary(pkt);
                self.rx_in(
                    &mut buf,
                    dev,
                    (false, false, true),
                    slot,
                    mark,
                    now,
                    out,
                    sink,
                );
                self.stack.io.queue.give_primary(buf);
            }
            _ => {
                let job = Job {
                    buf: self.stack.io.queue.copy_buf(pkt),
                    kind,
                    slot,
                    mark,
                    hdrincl,
                    csum_partial: false,
                    primary: true,
                };
                self.run_job(job, now, out, sink);
            }
        }
        // (Nothing queued: no call, only the entries of dropped packets to
        // discard, as run_queue ends.)
        if !self.stack.io.queue.is_empty() {
            self.run_queue(QUEUE_BUDGET - 1, now, out, sink);
        } else {
            while let Some(h) = self.pending_discard.pop() {
                self.ct.discard_unconfirmed(h);
            }
        }
    }

    /// Runs the queued jobs, at most `budget` of them.
    fn run_queue<S: TraceSink>(
        &mut self,
        mut budget: u32,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        while let Some(job) = self.stack.io.queue.pop_front() {
            if budget <= 1 {
                // A loop of generated packets: the kernel would not do this;
                // stop rather than spin.
                // Buffers go back to the pool (clearing the queue would free
                // them and the next packets would allocate afresh).
                self.stack.io.queue.give_buf(job.buf);
                while let Some(j) = self.stack.io.queue.pop_front() {
                    self.stack.io.queue.give_buf(j.buf);
                }
                break;
            }
            budget -= 1;
            self.run_job(job, now, out, sink);
        }
        while let Some(h) = self.pending_discard.pop() {
            self.ct.discard_unconfirmed(h);
        }
    }

    /// One job through its path; its buffer goes back to the pool.
    fn run_job<S: TraceSink>(&mut self, job: Job, now: Instant, out: &mut Outcome, sink: &mut S) {
        let Job {
            mut buf,
            kind,
            slot,
            mark,
            hdrincl,
            csum_partial,
            primary,
        } = job;
        match kind {
            JobKind::Rx(dev) => self.rx(
                &mut buf,
                dev,
                (false, csum_partial, primary),
                slot,
                mark,
                now,
                out,
                sink,
            ),
            JobKind::LoopedBroadcast(dev) => self.rx(
                &mut buf,
                dev,
                (true, csum_partial, primary),
                slot,
                mark,
                now,
                out,
                sink,
            ),
            JobKind::Tx => self.tx(
                &mut buf,
                slot,
                mark,
                (hdrincl, csum_partial, primary),
                now,
                out,
                sink,
            ),
        }
        self.stack.io.queue.give_buf(buf);
    }

    fn fam(&mut self, f: Family) -> &mut FamilyState {
        fam_of(&mut self.v4, &mut self.v6, f)
    }

    /// Runs one table's chain for a hook on the packet.
    #[inline(always)]
    fn table<S: TraceSink>(
        &mut self,
        kind: TableKind,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Verdict {
        // A table without a chain at this hook (or no such table) is not
        // registered there: nothing to do (`FamFlags::hooked`).
        if p.f.hooked[hook as usize] & (1 << kind as u8) != 0 {
            self.table_hooked(kind, hook, p, now, out, sink)
        } else {
            Verdict::Accept
        }
    }

    /// [`Host::table`] of a table with a chain at the hook.
    #[inline(never)]
    fn table_hooked<S: TraceSink>(
        &mut self,
        kind: TableKind,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Verdict {
        let family = p.family;
        let Some((prog, state)) = fam_of(&mut self.v4, &mut self.v6, family).table_mut(kind) else {
            return Verdict::Accept;
        };
        // A chain that is its policy alone: no walk, no packet context
        // (counters and TRACE as the walk keeps them).
        // A chain whose first rule is `-m conntrack --ctstate ... -j
        // ACCEPT` (or DROP) and a packet it matches: the slot's state bits
        // decide, no walk, no packet context (`run_ct_head`; the walk's
        // conntrack reference is `p.slot`).
        // (A hook has a `--ctstate` head or is its policy alone, not both:
        // the head, the common case, is asked first.)
        let slot = p.slot;
        let accept = match crate::engine::walk::run_ct_head(
            prog,
            state,
            hook,
            p.buf.len(),
            || slot.map_or(crate::nf::CtStates::INVALID, |s| s.state_bits()),
            true,
            sink,
        )
        .or_else(|| {
            crate::engine::walk::run_policy_only(prog, state, hook, p.buf.len(), true, sink)
        }) {
            Some(v) => v == Verdict::Accept,
            None if crate::engine::walk::scans(prog, hook) => {
                // An IPv4 table walked entry by entry: the entries a
                // packet context is not needed for (`run_scan`:
                // generic parts, tcp, udp, `--ctstate`, standard
                // targets), then the walk where they stop.
                let pkt = crate::engine::walk::ScanPkt {
                    data: p.buf,
                    meta: &p.meta,
                    devs: dev_words(&self.stack.conf, hook, p.in_dev, p.out_dev, p.received),
                    ct: Some(crate::engine::CtRef::new(&self.ct, p.slot, now)),
                };
                match crate::engine::walk::run_scan(prog, state, hook, &pkt, true, sink) {
                    Scan::Accept => true,
                    Scan::Drop => false,
                    Scan::From(e) => {
                        let v = self.walk_table(kind, hook, p, now, out, sink, Some(e));
                        return self.disposition(kind, hook, p, out, v);
                    }
                }
            }
            None => {
                let v = self.walk_table(kind, hook, p, now, out, sink, None);
                return self.disposition(kind, hook, p, out, v);
            }
        };
        // A ready answer (the policy, the head, the scan): ACCEPT or DROP,
        // the table at hand for a drop's disposition.
        if accept {
            return Verdict::Accept;
        }
        if p.primary {
            rules_disposition(prog, state.end, hook, Verdict::Drop, out);
        }
        Verdict::Drop
    }

    /// [`Host::table_hooked`]'s end: a primary packet the rules stopped
    /// gets its disposition (`rules_disposition`).
    #[inline(always)]
    fn disposition(
        &mut self,
        kind: TableKind,
        hook: Hook,
        p: &Pkt<'_>,
        out: &mut Outcome,
        v: Verdict,
    ) -> Verdict {
        if p.primary && !matches!(v, Verdict::Accept | Verdict::Queue { bypass: true, .. }) {
            if let Some((prog, state)) =
                fam_of(&mut self.v4, &mut self.v6, p.family).table_mut(kind)
            {
                rules_disposition(prog, state.end, hook, v, out);
            }
        }
        v
    }

    /// [`Host::table`]'s walk of a hook's chain: the packet context and the
    /// host's `Env` for the walk, from the start or from where `run_scan`
    /// stopped (`from`). Out of `table_hooked`'s line: the scan (in line
    /// there, `run_scan`) and the ready answers keep a small frame.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn walk_table<S: TraceSink>(
        &mut self,
        kind: TableKind,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
        from: Option<crate::engine::program::RuleId>,
    ) -> Verdict {
        let family = p.family;
        let Some((prog, state)) = fam_of(&mut self.v4, &mut self.v6, family).table_mut(kind) else {
            return Verdict::Accept;
        };
        let devs = &self.stack.conf.devs;
        let (in_dev, out_dev) = dev_names(&self.stack.conf, hook, p.in_dev, p.out_dev, p.received);
        let mut ctx = PacketCtx {
            family,
            data: &mut *p.buf,
            meta: p.meta,
            hook,
            in_dev,
            out_dev,
            mark: p.mark,
            now,
            nf_trace: true,
            pkt_type: 0,
            src_mac: if p.received {
                Some(devs[p.br.map_or(p.in_dev, |b| b.physin)].peer_mac)
            } else {
                None
            },
            sk_owner: p.owner,
            csum_partial: p.csum_partial,
        };
        let mut env = HostEnv {
            conf: &self.stack.conf,
            io: &mut self.stack.io,
            ct: &mut self.ct,
            shared: &mut self.shared,
            slot: &mut p.slot,
            out,
            now,
            hook,
            family,
            in_dev_idx: p.in_dev,
            received: p.received,
            br: p.br,
        };
        // (table_hooked ran `run_policy_only` and `run_ct_head` already,
        // or `run_scan`, which stopped at `from`.)
        let v =
            crate::engine::walk::run_walk_from(prog, state, hook, &mut ctx, &mut env, sink, from);
        p.mark = ctx.mark;
        p.csum_partial = ctx.csum_partial;
        // A target rewrote the headers (TCPMSS, which reads the packet
        // again and finds a longer segment): `p.meta` keeps the old facts
        // until NAT reads them again. No target moves the transport header
        // or changes the protocol, so the length tells.
        p.meta_stale |= ctx.meta.l4_len != p.meta.l4_len;
        debug_assert!(p.meta_stale || ctx.meta == p.meta);
        v
    }

    /// PREROUTING / OUTPUT conntrack step (`nf_conntrack_in`). Inline in
    /// `defrag_raw_conntrack`, its one caller (one frame).
    #[inline(always)]
    fn conntrack_in(
        &mut self,
        p: &mut Pkt<'_>,
        hook: Hook,
        now: Instant,
    ) -> Result<(), DropReason> {
        if !p.f.ct {
            return Ok(());
        }
        // nf_conntrack_in: a packet already attached is not processed
        // again, but a `-j CT` template is used and replaced.
        let tmpl = match p.slot {
            None => None,
            // nf_ct_zone_tmpl: `--zone mark` reads skb->mark now.
            Some(CtSlot::Template(mut t)) => {
                if t.zone_mark {
                    t.zone = p.mark as u16;
                }
                Some(t)
            }
            Some(_) => return Ok(()),
        };
        let r = self.ct.process_tmpl(p.buf, &p.meta, hook, now, tmpl);
        p.slot = Some(r.slot);
        // init_conntrack: exp->expectfn (nf_nat_follow_master).
        if let Some(h) = r.slot.handle().filter(|_| self.ct.follow_pending()) {
            if self.ct.follow_master(h, &mut self.stack.io.rng, now) == CtVerdict::Drop {
                return Err(DropReason::Nat);
            }
        }
        // udp_error: nf_checksum in PREROUTING when nf_conntrack_checksum.
        if hook == Hook::PreRouting && self.ct.config().checksum && p.meta.protocol.0 == 17 {
            p.csum_sw = Some(match p.family {
                Family::Ipv4 => 0,
                Family::Ipv6 => crate::wire::checksum::sum(p.buf.get(..8).unwrap_or(&[])),
            });
        }
        if r.verdict == CtVerdict::Drop {
            // init_conntrack: "nf_conntrack: table full, dropping packet",
            // or another NF_DROP of nf_conntrack_in.
            return Err(if self.ct.full() {
                DropReason::ConntrackFull
            } else {
                DropReason::Conntrack
            });
        }
        Ok(())
    }

    /// The nat hook functions (`nf_nat_inet_fn`,
    /// net/netfilter/nf_nat_core.c). An established packet is decided
    /// here on one lookup of its entry (`ConntrackTable::nat_fast`:
    /// nothing to do, or `nf_nat_packet`'s rewrite in `nat_apply`), in
    /// the caller's line (no call for a hook without NAT to do); the rest
    /// out of line.
    #[inline(always)]
    fn nat<S: TraceSink>(
        &mut self,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        // Conntrack on, a nat table, not FORWARD (`FamFlags::nat_hooks`).
        if p.f.nat_hooks & (1 << hook as u8) == 0 {
            return Step::Continue;
        }
        let Some(slot) = p.slot else {
            return Step::Continue;
        };
        match self.ct.nat_fast(slot, hook) {
            NatFast::Skip => Step::Continue,
            NatFast::Done if !p.meta_stale => Step::Continue,
            NatFast::Rewrite(other, manip) => Self::nat_apply(other, manip, p, out),
            NatFast::Walk => self.nat_walk(hook, p, now, out, sink),
            NatFast::Done | NatFast::NewRelated => self.nat_general(hook, p, now, out, sink),
        }
    }

    /// `nf_nat_packet` of an established packet whose entry has NAT for
    /// this manip and direction ([`Host::nat`]): the rewrite to the inverse
    /// of `other` (`nf_nat_manip_pkt`). An IPv4 TCP/UDP packet without
    /// `CHECKSUM_PARTIAL` whose `PacketMeta` is current is rewritten here,
    /// in the caller's line (`manip_v4_l4`); the others in
    /// `nat_apply_general`.
    #[inline(always)]
    fn nat_apply(
        other: &crate::conntrack::Tuple,
        manip: ManipType,
        p: &mut Pkt<'_>,
        out: &mut Outcome,
    ) -> Step {
        if p.meta.family == Family::Ipv4
            && !p.csum_partial
            && !p.meta_stale
            && crate::conntrack::nat_rewrite_v4(other, manip, p.buf)
        {
            return Step::Continue;
        }
        Self::nat_apply_general(other, manip, p, out)
    }

    /// [`Host::nat_apply`] for the other packets: `nat_rewrite`, then the
    /// packet's `PacketMeta` read again if an earlier target left it
    /// behind.
    #[inline(never)]
    fn nat_apply_general(
        other: &crate::conntrack::Tuple,
        manip: ManipType,
        p: &mut Pkt<'_>,
        out: &mut Outcome,
    ) -> Step {
        if crate::conntrack::nat_rewrite(other, manip, p.buf, p.meta.family, p.csum_partial)
            == CtVerdict::Drop
        {
            settle(p, out, dropped_by(DropReason::Nat));
            return Step::Stop;
        }
        Self::nat_meta(p);
        Step::Continue
    }

    /// [`Host::nat`] for a NEW or RELATED packet (or a `PacketMeta` to
    /// read again): nf_nat_inet_fn's dispatch, and nf_nat_packet unless
    /// the rules are walked first.
    #[inline(never)]
    fn nat_general<S: TraceSink>(
        &mut self,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        let Some(slot) = p.slot else {
            return Step::Continue;
        };
        match self.ct.nat_step(slot, hook, p.buf, &p.meta, p.csum_partial) {
            NatStep::Skip => Step::Continue,
            NatStep::Applied(CtVerdict::Drop) => {
                settle(p, out, dropped_by(DropReason::Nat));
                Step::Stop
            }
            NatStep::Applied(CtVerdict::Accept) => {
                Self::nat_meta(p);
                Step::Continue
            }
            NatStep::Walk => self.nat_walk(hook, p, now, out, sink),
        }
    }

    /// [`Host::nat`] for a packet whose binding for this manip is not set
    /// up yet: the nat table's walk, `nf_nat_alloc_null_binding` when no
    /// rule set one up, then `nf_nat_packet`.
    #[inline(never)]
    fn nat_walk<S: TraceSink>(
        &mut self,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        if self.table(TableKind::Nat, hook, p, now, out, sink) != Verdict::Accept {
            return Step::Stop;
        }
        if let Some(h) = p.slot.and_then(|s| s.handle()) {
            if !self.ct.nat_initialized(h, ManipType::of_hook(hook))
                && self
                    .ct
                    .alloc_null_binding(h, hook, &mut self.stack.io.rng, now)
                    == CtVerdict::Drop
            {
                settle(p, out, dropped_by(DropReason::Nat));
                return Step::Stop;
            }
        }
        let Some(slot) = p.slot else {
            return Step::Continue;
        };
        // nf_nat_packet: the statusbit test here, the rewrite in
        // `nat_apply`, a RELATED packet the general way.
        match self.ct.nat_packet_fast(slot, hook) {
            NatFast::Rewrite(other, manip) => return Self::nat_apply(other, manip, p, out),
            NatFast::NewRelated | NatFast::Walk => {
                if self
                    .ct
                    .nat_packet_csum(slot, hook, p.buf, &p.meta, p.csum_partial)
                    == CtVerdict::Drop
                {
                    settle(p, out, dropped_by(DropReason::Nat));
                    return Step::Stop;
                }
            }
            NatFast::Skip | NatFast::Done => {}
        }
        Self::nat_meta(p);
        Step::Continue
    }

    /// The packet's `PacketMeta` is read again after NAT. NAT itself
    /// rewrites addresses, ports and checksums in place, which changes
    /// nothing `PacketMeta` holds (length, headers, offsets): only a target
    /// of an earlier walk that changed the packet's headers (TCPMSS) can
    /// have left `p.meta` behind the bytes (`meta_stale`).
    #[inline]
    fn nat_meta(p: &mut Pkt<'_>) {
        if p.meta_stale {
            if let Ok(meta) = PacketMeta::parse(p.buf) {
                p.meta = meta;
            }
            p.meta_stale = false;
        }
        debug_assert!(PacketMeta::parse(p.buf).map_or(true, |m| m == p.meta));
    }

    /// `nf_confirm` (net/netfilter/nf_conntrack_proto.c) and
    /// `__nf_conntrack_confirm`: an established entry without a helper
    /// has nothing to do, decided inline (`confirm_is_noop`); the rest
    /// out of line (`confirm_slow`).
    #[inline(always)]
    fn confirm(&mut self, p: &mut Pkt<'_>, now: Instant, out: &mut Outcome) -> Step {
        match p.slot {
            Some(slot) if !self.ct.confirm_is_noop(slot) => self.confirm_slow(p, now, out),
            _ => Step::Continue,
        }
    }

    /// [`Host::confirm`] of an entry with something to do: its helper,
    /// then the confirmation.
    #[inline(never)]
    fn confirm_slow(&mut self, p: &mut Pkt<'_>, now: Instant, out: &mut Outcome) -> Step {
        if let Some(slot) = p.slot {
            // nf_confirm: the entry's helper first.
            // INPUT has no output device; device 0 is the loopback.
            let local = p.out_dev.is_none();
            let at = crate::conntrack::HelpAt {
                csum_partial: &mut p.csum_partial,
                local,
                loopback: if local {
                    p.in_dev == 0
                } else {
                    p.out_dev == Some(0)
                },
            };
            match self.ct.help(slot, p.buf, &mut p.meta, at, now) {
                HelpVerdict::Accept => {}
                HelpVerdict::Drop(helper, why) => {
                    self.helper_log(p, helper.name(), why, out);
                    settle(p, out, dropped_by(DropReason::ConntrackHelper));
                    self.dropped(p);
                    return Step::Stop;
                }
                HelpVerdict::Unsupported(why) => {
                    out.unsupported = Some(why);
                    settle(p, out, Disposition::Unsupported(why));
                    self.dropped(p);
                    return Step::Stop;
                }
            }
            if self.ct.confirm(slot, now) == CtVerdict::Drop {
                settle(p, out, dropped_by(DropReason::ConntrackConfirm));
                return Step::Stop;
            }
        }
        Step::Continue
    }

    /// `nf_ct_helper_log` (net/netfilter/nf_conntrack_helper.c): the
    /// namespace's default logger (nf_log_syslog, `default_loginfo`: level
    /// 5, `NF_LOG_DEFAULT_MASK` flags) with no devices and the prefix
    /// `nf_ct_NAME: dropping packet: REASON `. Recorded: trace
    /// ct-helper-ftp-local.
    fn helper_log(&mut self, p: &Pkt<'_>, helper: &str, why: &str, out: &mut Outcome) {
        use super::log::{format_log, LogDevs, LogFlags, LogInfo, MacHeader};
        let mut prefix = [0u8; 96];
        let mut n = 0;
        for part in ["nf_ct_", helper, ": dropping packet: ", why, " "] {
            for &b in part.as_bytes() {
                if let Some(slot) = prefix.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
            }
        }
        let info = LogInfo {
            prefix: &prefix[..n],
            flags: LogFlags::TCPSEQ | LogFlags::TCPOPT | LogFlags::IPOPT | LogFlags::UID,
        };
        let devs = LogDevs {
            in_dev: "",
            out_dev: "",
            mac: MacHeader::None,
            phys_in: "",
            phys_out: "",
        };
        let start = out.log_mark();
        let _ = format_log(
            out.log_writer(),
            p.family,
            &info,
            &devs,
            p.buf,
            p.mark,
            p.owner,
        );
        out.log_commit(start);
    }

    /// [`Host::dropped`] for a drop outside the rules, with its reason.
    #[cold]
    #[inline(never)]
    fn drop_for(&mut self, p: &Pkt<'_>, out: &mut Outcome, reason: DropReason) {
        settle(p, out, dropped_by(reason));
        self.dropped(p);
    }

    fn dropped(&mut self, p: &Pkt<'_>) {
        // A packet dropped on its way leaves no unconfirmed entry behind. The
        // entry goes once the packets generated in answer (REJECT replies,
        // ICMP errors: attached to it) have been processed, as the kernel
        // frees the original skb only after sending them.
        if let Some(h) = p.slot.and_then(|s| s.handle()) {
            self.pending_discard.push(h);
        }
    }

    /// The first hook functions of PREROUTING and LOCAL_OUT alike:
    /// `nf_defrag_ipv4` / `nf_defrag_ipv6` (priority -400) when conntrack is
    /// on (packets looped back, already tracked, are left alone), the raw
    /// table (-300), `nf_conntrack_in` (-200). `Stop`: the packet ended
    /// here, its fate recorded.
    #[inline(always)]
    fn defrag_raw_conntrack<S: TraceSink>(
        &mut self,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        if p.slot.is_none() && p.f.ct {
            let user = if hook == Hook::PreRouting {
                super::frag::DefragUser::ConntrackIn
            } else {
                super::frag::DefragUser::ConntrackOut
            };
            if let Err(d) = self.gather(p, user, now) {
                settle(p, out, d);
                return Step::Stop;
            }
        }
        if let Step::Stop = self.hook_tables(hook, &[TableKind::Raw], p, now, out, sink) {
            self.dropped(p);
            return Step::Stop;
        }
        if let Err(r) = self.conntrack_in(p, hook, now) {
            self.drop_for(p, out, r);
            return Step::Stop;
        }
        Step::Continue
    }

    /// PREROUTING's and POSTROUTING's mangle table (priority -150,
    /// `NF_IP_PRI_MANGLE`) and then NAT (-100 DNAT / 100 SNAT). `Stop`: the
    /// packet was dropped.
    #[inline(always)]
    fn mangle_nat<S: TraceSink>(
        &mut self,
        hook: Hook,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        if let Step::Stop = self.hook_tables(hook, &[TableKind::Mangle], p, now, out, sink) {
            self.dropped(p);
            return Step::Stop;
        }
        if let Step::Stop = self.nat(hook, p, now, out, sink) {
            self.dropped(p);
            return Step::Stop;
        }
        Step::Continue
    }

    fn hook_tables<S: TraceSink>(
        &mut self,
        hook: Hook,
        tables: &[TableKind],
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) -> Step {
        // No table at this hook: one test.
        if p.f.hooked[hook as usize] == 0 {
            return Step::Continue;
        }
        for t in tables {
            match self.table(*t, hook, p, now, out, sink) {
                Verdict::Accept => {}
                Verdict::Queue { bypass: true, .. } => {}
                _ => return Step::Stop,
            }
        }
        Step::Continue
    }

    /// A received packet's path (`rx_in`), out of line for the queue's
    /// jobs; the caller's packet takes it in `run_primary`'s line.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn rx<S: TraceSink>(
        &mut self,
        buf: &mut Vec<u8>,
        dev: usize,
        flags: (bool, bool, bool),
        slot: Option<CtSlot>,
        mark: u32,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.rx_in(buf, dev, flags, slot, mark, now, out, sink);
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn rx_in<S: TraceSink>(
        &mut self,
        buf: &mut Vec<u8>,
        dev: usize,
        (looped, csum_partial, primary): (bool, bool, bool),
        slot: Option<CtSlot>,
        mark: u32,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        let Some(family) = Family::of_packet(buf) else {
            return self.rx_bad_header(dev, primary, out, DropReason::Malformed);
        };
        let on_lo = dev == 0;
        // ip_rcv_core / ipv6_rcv: malformed headers are dropped before any hook.
        // (IPv4: the checks and the meta data in one reading of the header.)
        let (len, meta) = match family {
            Family::Ipv4 => match PacketMeta::ipv4_received(buf) {
                Ok(r) => r,
                Err(_) => return self.rx_bad_header(dev, primary, out, DropReason::HeaderCheck),
            },
            Family::Ipv6 => {
                let Ok(len) = ipv6::rcv_check(buf, on_lo) else {
                    return self.rx_bad_header(dev, primary, out, DropReason::HeaderCheck);
                };
                let Ok(meta) = PacketMeta::parse(buf.get(..len).unwrap_or(buf)) else {
                    return self.rx_bad_header(dev, primary, out, DropReason::Malformed);
                };
                (len, meta)
            }
        };
        buf.truncate(len);
        // loopback_xmit keeps skb->ip_summed: a CHECKSUM_PARTIAL packet
        // sent to the host itself is still one when it comes back in.
        let f = self.fam(family).f;
        let mut p = Pkt::new(
            (family, f),
            buf,
            meta,
            (slot, mark),
            (csum_partial, primary),
        );
        p.in_dev = dev;
        // A looped broadcast has no hard header (LOG prints `MAC= `).
        p.received = !looped;
        // A bridge port's frame: bridged, or up on the bridge device.
        // (No bridge and no Ethernet destination given: nothing to do, the
        // packet stays where it is.)
        if p.received && !self.br.idle() {
            p = match self.br_input(p, now, out, sink) {
                Some(p) => p,
                None => return,
            };
        }
        let dev = p.in_dev;
        // PREROUTING (br_netfilter may have run it: ip_sabotage_in)
        if !p.br.is_some_and(|b| b.prerouted) {
            if let Step::Stop = self.defrag_raw_conntrack(Hook::PreRouting, &mut p, now, out, sink)
            {
                return;
            }
            if let Step::Stop = self.mangle_nat(Hook::PreRouting, &mut p, now, out, sink) {
                return;
            }
        }
        // Routing decision (ip_route_input_noref / ip6_route_input).
        let (src, dst) = addrs(family, p.buf);
        // (`route_localnet` of the input device read only when needed.)
        let conf = &self.stack.conf;
        let localnet = || conf.route_localnet.get(dev).copied().unwrap_or(false);
        if !on_lo && !looped && martian_at(family, src, dst, &conf.route4, localnet) {
            return self.drop_for(&p, out, DropReason::Martian);
        }
        let route = if on_lo {
            Some(RouteKind::Local)
        } else if looped {
            // The clone keeps its output route (RTCF_BROADCAST | RTCF_LOCAL,
            // input = ip_local_deliver): no input lookup, no martian check.
            p.mcast = true;
            Some(RouteKind::Broadcast)
        } else if let IpAddr::V6(d) = dst {
            // ip6_mc_input: the groups every interface joins: all-nodes, and
            // all-routers when forwarding. Solicited-node groups are not
            // joined on NOARP devices (addrconf_join_solict), which the
            // host's devices are, as in the reference setup.
            if d.is_multicast() {
                let all_nodes = d == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
                let all_routers = d == Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2) && p.f.forward;
                if all_nodes || all_routers {
                    p.mcast = true;
                    Some(RouteKind::Local)
                } else {
                    None
                }
            } else {
                self.stack.conf.route6.lookup(d)
            }
        } else if let IpAddr::V4(d) = dst {
            // ip_route_input_mc: only the all-hosts group is joined; no
            // multicast routing. Broadcasts are delivered locally.
            if d.is_multicast() {
                if d == Ipv4Addr::new(224, 0, 0, 1) {
                    p.mcast = true;
                    Some(RouteKind::Local)
                } else {
                    None
                }
            } else {
                let r = self.stack.conf.route4.lookup(d);
                if r == Some(RouteKind::Broadcast) {
                    p.mcast = true;
                }
                r
            }
        } else {
            self.stack.conf.route(dst)
        };
        // ip_rcv_finish_core -> ip_rcv_options: IPv4 options are compiled
        // after routing, before INPUT / FORWARD.
        // (A header longer than 20 bytes: `meta.l3_len` is `ihl * 4`, which
        // nothing on the way changes.)
        debug_assert!(family != Family::Ipv4 || p.meta.l3_len == usize::from(p.buf[0] & 0x0f) * 4);
        if family == Family::Ipv4 && !on_lo && !looped && p.meta.l3_len > 20 {
            if let Step::Stop = self.rx_options(&mut p, route, src, dst, out) {
                return;
            }
        }
        // fib_validate_source with rp_filter on (local, broadcast and
        // multicast input, and __mkroute_input for forwarding).
        if family == Family::Ipv4 && !on_lo {
            let validated = match route {
                Some(RouteKind::Local) | Some(RouteKind::Broadcast) => true,
                Some(RouteKind::Unicast { .. }) => p.f.forward,
                None => false,
            };
            let rpf = self.stack.conf.rp_filter_of(p.in_dev);
            // (rp_filter off: rp_filter_ok passes everything, not called.)
            if validated && rpf != 0 && !rp_filter_ok(rpf, src, p.in_dev, &self.stack.conf.route4) {
                return self.drop_for(&p, out, DropReason::RpFilter);
            }
        }
        match route {
            Some(RouteKind::Local) | Some(RouteKind::Broadcast) => {
                self.local_in(&mut p, now, out, sink)
            }
            Some(RouteKind::Unicast { dev: odev, .. }) if p.f.forward => {
                self.forward(&mut p, odev, now, out, sink)
            }
            // No route at all (not an unjoined multicast group, not
            // loopback): ip_error / ip6_pkt_discard answer with an ICMP
            // "no route" (IPv4 only on a forwarding device).
            None if !on_lo && !p.mcast && !dst_is_multicast(dst) => {
                if family == Family::Ipv6 || p.f.forward {
                    super::stack::no_route(&mut self.stack, family, p.buf, p.slot, now);
                }
                self.drop_for(&p, out, DropReason::NoRoute)
            }
            // ip_route_input_slow: a unicast route elsewhere while
            // forwarding is off (-EHOSTUNREACH), a multicast group not
            // joined, nothing routable on lo.
            Some(RouteKind::Unicast { .. }) => self.drop_for(&p, out, DropReason::NotForwarding),
            _ if p.mcast || dst_is_multicast(dst) => {
                self.drop_for(&p, out, DropReason::MulticastNotJoined)
            }
            _ => self.drop_for(&p, out, DropReason::NoRoute),
        }
    }

    /// [`Host::rx`]'s `ip_rcv_options` of an IPv4 header with options, out
    /// of line.
    #[cold]
    #[inline(never)]
    fn rx_options(
        &mut self,
        p: &mut Pkt<'_>,
        route: Option<RouteKind>,
        src: IpAddr,
        dst: IpAddr,
        out: &mut Outcome,
    ) -> Step {
        let spec_dst = match (route, dst) {
            (Some(RouteKind::Local), IpAddr::V4(d)) => Some(d),
            _ => match self.stack.conf.fib4.lookup(src) {
                Some(RouteKind::Unicast { dev, .. }) => {
                    match self.stack.conf.fib4.source_on(dev, false) {
                        Some(IpAddr::V4(a)) => Some(a),
                        _ => None,
                    }
                }
                _ => None,
            },
        };
        match rcv_options(p.buf, spec_dst) {
            Ok(rr) => {
                p.rr_needaddr = rr;
                Step::Continue
            }
            Err(OptionsOutcome::Drop) => {
                self.drop_for(p, out, DropReason::IpOptions);
                Step::Stop
            }
            Err(OptionsOutcome::Unsupported(why)) => {
                out.unsupported = Some(why);
                settle(p, out, Disposition::Unsupported(why));
                self.dropped(p);
                Step::Stop
            }
        }
    }

    /// A received packet whose IP header fails `ip_rcv_core`'s checks
    /// (`reason`), or a bridge port's frame that br_netfilter drops.
    #[cold]
    #[inline(never)]
    fn rx_bad_header(&mut self, dev: usize, primary: bool, out: &mut Outcome, reason: DropReason) {
        if self.br_bad_header(dev, primary, out) {
            return;
        }
        if primary {
            out.set_disposition(dropped_by(reason));
        }
    }

    #[inline(always)]
    fn local_in<S: TraceSink>(
        &mut self,
        p: &mut Pkt<'_>,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        // ip_local_deliver: IPv4 datagrams are reassembled before INPUT.
        if p.family == Family::Ipv4 {
            if let Err(d) = self.gather(p, super::frag::DefragUser::LocalDeliver, now) {
                return settle(p, out, d);
            }
        }
        let tables = [TableKind::Mangle, TableKind::Filter, TableKind::Security];
        if let Step::Stop = self.hook_tables(Hook::LocalIn, &tables, p, now, out, sink) {
            return self.dropped(p);
        }
        if let Step::Stop = self.nat(Hook::LocalIn, p, now, out, sink) {
            return self.dropped(p);
        }
        if let Step::Stop = self.confirm(p, now, out) {
            return;
        }
        // IPv6 fragments pass INPUT one by one and are reassembled by the
        // stack (ipv6_frag_rcv); the datagram reaches a transport (and the
        // XFRM check) once complete.
        if p.family == Family::Ipv6 && frag6_offsets(p.buf).is_some() {
            if let Err(d) = self.gather(p, super::frag::DefragUser::LocalDeliver, now) {
                return settle(p, out, d);
            }
        }
        // IPPROTO_NONE has a NOPOLICY handler in IPv6 (exthdrs.c
        // nodata_protocol): no XFRM check, nothing delivered.
        if p.family == Family::Ipv6 && p.meta.protocol.0 == 59 {
            return settle(p, out, dropped_by(DropReason::NoNextHeader));
        }
        // Broadcast / multicast: UDP goes to the multicast delivery, which
        // finds no socket and checks no policy; the other transports check
        // the XFRM policy as for unicast (icmp_rcv, tcp_v4_rcv, ...).
        if p.mcast {
            out.local = !matches!(p.meta.protocol.0, 17 | 136);
            let d = if out.local {
                Disposition::Delivered { dev: p.in_dev }
            } else {
                dropped_by(DropReason::NoSocket)
            };
            return settle(p, out, d);
        }
        let v4_lo = p.in_dev == 0 && p.family == Family::Ipv4;
        if !v4_lo {
            let csum_sw = p.csum_sw.filter(|_| p.in_dev != 0);
            if let Some(reason) = transport_csum_drop(
                p.family,
                p.buf,
                &p.meta,
                p.csum_partial,
                csum_sw,
                p.in_dev != 0,
            ) {
                return self.drop_for(p, out, reason);
            }
        }
        settle(p, out, Disposition::Delivered { dev: p.in_dev });
        if v4_lo {
            // IPv4 `lo` has disable_policy=1: the XFRM block does not apply and
            // the host stack answers (closed ports, echo). IPv6 has no such
            // exemption (recorded: packets to ::1 count as local).
            super::stack::answer(&mut self.stack, p.family, p.buf, p.slot, None);
        } else {
            out.local = true;
            out.keep(p.buf, p.slot);
        }
    }

    fn forward<S: TraceSink>(
        &mut self,
        p: &mut Pkt<'_>,
        odev: usize,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        // ip_forward / ip6_forward: hop limit first, then decrement before FORWARD.
        let ttl = match p.family {
            Family::Ipv4 => p.buf.get(8).copied().unwrap_or(0),
            Family::Ipv6 => p.buf.get(7).copied().unwrap_or(0),
        };
        if ttl <= 1 {
            super::stack::time_exceeded(&mut self.stack, p.family, p.buf, p.slot, now);
            return self.drop_for(p, out, DropReason::TtlExceeded);
        }
        // ip6_forward (net/ipv6/ip6_output.c), when the packet does not leave
        // by its input device (else the redirect branch): "This check is
        // security critical": an unspecified, multicast or loopback source
        // is dropped (the last two never get here: ip6_rcv_core); a
        // link-local source gets ICMPV6_NOT_NEIGHBOUR, sent only if the
        // host has a route back to that link-local address through the
        // input device, which a host without link-local addresses (the
        // reference setup: addr_gen_mode=1) never has (checked on 6.18:
        // tests/traces/route-edges-dual, packet 11).
        if p.family == Family::Ipv6 && p.in_dev != odev {
            let (src, _) = addrs(Family::Ipv6, p.buf);
            if let IpAddr::V6(s) = src {
                let link_local = s.segments()[0] & 0xffc0 == 0xfe80;
                if link_local
                    && self
                        .stack
                        .conf
                        .fib6
                        .connected
                        .iter()
                        .any(|(n, d)| *d == p.in_dev && n.contains(&src))
                {
                    let why = "ICMPv6 not-neighbour error for a link-local source";
                    out.unsupported = Some(why);
                    settle(p, out, Disposition::Unsupported(why));
                    return self.dropped(p);
                }
                if s.is_unspecified() || s.is_multicast() || s.is_loopback() || link_local {
                    return self.drop_for(p, out, DropReason::ForwardSource);
                }
            }
        }
        match p.family {
            // (ip_rcv_core checked the header: ip_decrease_ttl in place.)
            Family::Ipv4 => ipv4::decrease_ttl(p.buf),
            Family::Ipv6 => {
                if let Some(h) = p.buf.get_mut(7) {
                    *h -= 1;
                }
            }
        }
        // __mkroute_input marks a packet that leaves by the device it came in
        // on, from an on-link source, with IPSKB_DOREDIRECT; ip_forward then
        // sends an ICMP host redirect (ip_rt_send_redirect) before FORWARD;
        // only when IN_DEV_TX_REDIRECTS (send_redirects of all and device).
        if p.family == Family::Ipv4
            && p.in_dev == odev
            && odev != 0
            && self
                .stack
                .conf
                .tx_redirects
                .get(odev)
                .copied()
                .unwrap_or(true)
        {
            let (src, dst) = addrs(Family::Ipv4, p.buf);
            if self
                .stack
                .conf
                .fib4
                .connected
                .iter()
                .any(|(n, d)| *d == odev && n.contains(&src))
            {
                let gw = match self.stack.conf.fib4.lookup(dst) {
                    Some(RouteKind::Unicast {
                        via: Some(IpAddr::V4(g)),
                        ..
                    }) => g,
                    _ => Ipv4Addr::UNSPECIFIED,
                };
                let before = self.stack.io.queue.len();
                super::stack::redirect(&mut self.stack, p.buf, src, gw, odev, p.slot, now);
                // icmp_send runs inside ip_forward: the redirect takes its
                // OUTPUT path before this packet reaches FORWARD.
                if self.stack.io.queue.len() > before {
                    if let Some(Job {
                        mut buf,
                        slot,
                        mark,
                        ..
                    }) = self.stack.io.queue.pop_back()
                    {
                        self.tx(&mut buf, slot, mark, (false, false, false), now, out, sink);
                        self.stack.io.queue.give_buf(buf);
                    }
                }
            }
        }
        p.out_dev = Some(odev);
        let tables = [TableKind::Mangle, TableKind::Filter, TableKind::Security];
        if let Step::Stop = self.hook_tables(Hook::Forward, &tables, p, now, out, sink) {
            return self.dropped(p);
        }
        // ip_forward_options: only a header with options has work (the
        // output device's address only for a record-route slot to fill).
        if p.family == Family::Ipv4 && p.meta.l3_len > 20 {
            let src = match p.rr_needaddr {
                true => match self.stack.conf.fib4.source_on(odev, false) {
                    Some(IpAddr::V4(a)) => Some(a),
                    _ => None,
                },
                false => None,
            };
            forward_options(p.buf, p.rr_needaddr, src);
        }
        self.post_routing_in(p, odev, now, out, sink);
    }

    /// POSTROUTING (`post_routing_in`) of a packet the host sends, out of
    /// line; a forwarded packet takes it in `forward`'s line.
    #[inline(never)]
    fn post_routing<S: TraceSink>(
        &mut self,
        p: &mut Pkt<'_>,
        odev: usize,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        self.post_routing_in(p, odev, now, out, sink);
    }

    #[inline(always)]
    fn post_routing_in<S: TraceSink>(
        &mut self,
        p: &mut Pkt<'_>,
        odev: usize,
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        p.out_dev = Some(odev);
        if let Step::Stop = self.mangle_nat(Hook::PostRouting, p, now, out, sink) {
            return;
        }
        if let Step::Stop = self.confirm(p, now, out) {
            return;
        }
        if p.family == Family::Ipv4 && !p.received && odev != 0 {
            // ip_mc_output (net/ipv4/ip_output.c): a locally sent packet on
            // an RTCF_BROADCAST route is also cloned back to the host through
            // dev_loopback_xmit on the output device (checked on Linux 6.18:
            // an ICMP error to a subnet broadcast source reaches INPUT on
            // eth0 with `MAC= `). The clone's own POSTROUTING pass is not
            // traced separately.
            let (_, dst) = addrs(Family::Ipv4, p.buf);
            if self.stack.conf.fib4.is_broadcast(dst) {
                let job =
                    self.stack
                        .io
                        .queue
                        .push(p.buf, JobKind::LoopedBroadcast(odev), p.slot, p.mark);
                job.csum_partial = p.csum_partial;
            }
        }
        // A packet leaving whole by a device that is neither `lo` nor a
        // bridge: out at once, the other cases out of line.
        if odev != 0 && p.frag_max_size == 0 && self.br.bridge(odev).is_none() {
            settle(p, out, left_by(p, odev));
            // (The packet's last use: its buffer may become the outcome's.)
            out.push_emitted_buf(odev, p.buf);
            return;
        }
        self.post_routing_out(p, odev, now, out);
    }

    /// [`Host::post_routing`]'s end for the other packets: `lo`, a
    /// bridge, fragmentation.
    #[inline(never)]
    fn post_routing_out(&mut self, p: &mut Pkt<'_>, odev: usize, now: Instant, out: &mut Outcome) {
        if odev == 0 {
            // loopback_xmit: back in through lo, keeping conntrack, mark and
            // ip_summed.
            let job = self
                .stack
                .io
                .queue
                .push(p.buf, JobKind::Rx(0), p.slot, p.mark);
            job.csum_partial = p.csum_partial;
            job.primary = p.primary;
        } else if self.br.bridge(odev).is_some() {
            self.br_dev_xmit(p, odev, now, out);
        } else if p.family == Family::Ipv4 && p.frag_max_size > 0 && p.buf.len() > p.frag_max_size {
            settle(p, out, left_by(p, odev));
            // ip_finish_output: a reassembled datagram leaves in fragments no
            // larger than the largest one received (ip_do_fragment).
            let mut scratch = core::mem::take(&mut self.frag_scratch);
            let fast = p.frag_list
                && super::frag::ipv4_fragment_fast(
                    p.buf,
                    p.frag_max_size,
                    &self.defrag.layout,
                    &mut scratch,
                    |f| out.push_emitted(odev, f),
                );
            if !fast {
                super::frag::ipv4_fragment(p.buf, p.frag_max_size, &mut scratch, |f| {
                    out.push_emitted(odev, f)
                });
            }
            self.frag_scratch = scratch;
        } else {
            settle(p, out, left_by(p, odev));
            // (The packet's last use: its buffer may become the outcome's.)
            out.push_emitted_buf(odev, p.buf);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn tx<S: TraceSink>(
        &mut self,
        buf: &mut Vec<u8>,
        slot: Option<CtSlot>,
        mark: u32,
        (hdrincl, csum_partial, primary): (bool, bool, bool),
        now: Instant,
        out: &mut Outcome,
        sink: &mut S,
    ) {
        let no_route = |out: &mut Outcome, reason| {
            if primary {
                out.set_disposition(dropped_by(reason));
            }
        };
        let Some(family) = Family::of_packet(buf) else {
            return no_route(out, DropReason::Malformed);
        };
        if hdrincl {
            raw_hdrinc_fixup(family, buf, &mut self.stack.io.rng);
        }
        let Ok(meta) = PacketMeta::parse(buf) else {
            return no_route(out, DropReason::Malformed);
        };
        let (_, dst) = addrs(family, buf);
        let fib = self.stack.conf.fib(family);
        let odev = match self.stack.conf.route(dst) {
            Some(RouteKind::Local) => 0,
            Some(RouteKind::Unicast { dev, .. }) => dev,
            Some(RouteKind::Broadcast) => match fib
                .connected
                .iter()
                .find(|(n, _)| fib.is_broadcast(dst) && n.addr().is_ipv4())
            {
                Some((_, d)) => *d,
                None => return no_route(out, DropReason::NoRoute),
            },
            None => return no_route(out, DropReason::NoRoute),
        };
        let f = self.fam(family).f;
        let mut p = Pkt::new(
            (family, f),
            buf,
            meta,
            (slot, mark),
            (csum_partial, primary),
        );
        p.out_dev = Some(odev);
        p.owner = if hdrincl { self.sender_owner } else { None };
        if let Step::Stop = self.defrag_raw_conntrack(Hook::LocalOut, &mut p, now, out, sink) {
            return;
        }
        if let Step::Stop =
            self.hook_tables(Hook::LocalOut, &[TableKind::Mangle], &mut p, now, out, sink)
        {
            return self.dropped(&p);
        }
        if let Step::Stop = self.nat(Hook::LocalOut, &mut p, now, out, sink) {
            return self.dropped(&p);
        }
        if let Step::Stop = self.hook_tables(
            Hook::LocalOut,
            &[TableKind::Filter, TableKind::Security],
            &mut p,
            now,
            out,
            sink,
        ) {
            return self.dropped(&p);
        }
        // ip_route_me_harder: the destination may have changed (DNAT).
        let (src2, dst2) = addrs(family, p.buf);
        let mut odev = odev;
        if dst2 != dst {
            odev = match self.stack.conf.route(dst2) {
                Some(RouteKind::Local) => 0,
                Some(RouteKind::Unicast { dev, .. }) => dev,
                _ => return self.drop_for(&p, out, DropReason::NoRoute),
            };
            // __mkroute_output (net/ipv4/route.c): a loopback source may
            // only leave by a non-loopback device with route_localnet on
            // it (-EINVAL, so ip_route_me_harder drops the packet).
            if let IpAddr::V4(s) = src2 {
                if s.is_loopback()
                    && odev != 0
                    && !self
                        .stack
                        .conf
                        .route_localnet
                        .get(odev)
                        .copied()
                        .unwrap_or(false)
                {
                    return self.drop_for(&p, out, DropReason::LoopbackSource);
                }
            }
        }
        self.post_routing(&mut p, odev, now, out, sink);
    }
}

/// `raw_send_hdrinc`: the kernel fills in the total length and the header
/// checksum, and picks an ID when it is zero.
fn raw_hdrinc_fixup(family: Family, buf: &mut [u8], rng: &mut crate::conntrack::SplitMix64) {
    use crate::conntrack::NatRng;
    if family == Family::Ipv4 && buf.len() >= 20 {
        let len = buf.len() as u16;
        buf[2..4].copy_from_slice(&len.to_be_bytes());
        if buf[4] == 0 && buf[5] == 0 {
            let id = rng.next_u16();
            buf[4..6].copy_from_slice(&id.to_be_bytes());
        }
        if let Ok(mut p) = ipv4::Packet::new_checked(&mut *buf) {
            p.fill_checksum();
        }
    }
}

/// Martian sources and destinations (`ip_route_input_slow`,
/// `fib_validate_source` fast path (rp_filter=0: a source that is one of
/// the host's addresses is martian); `ip6_rcv_core`). The reverse-path
/// check proper is [`rp_filter_ok`]. Loopback addresses are martian unless
/// `route_localnet` is on for the input device (`IN_DEV_NET_ROUTE_LOCALNET`).
///
/// IPv4 (net/ipv4/route.c, `ip_route_input_slow`): multicast and limited
/// broadcast sources are martian first; a limited broadcast destination
/// (or 0.0.0.0 -> 0.0.0.0) goes to `brd_input`, where a zero-net source is
/// accepted (DHCP) without validation. A multicast destination goes through
/// `ip_mc_validate_source` (`ip_route_input_rcu`): loopback sources are
/// martian, a zero-net source is accepted for link-local groups
/// (224.0.0.0/24). Everything else: zero-net source, zero-net or loopback
/// destination, loopback source.
/// [`martian`], with its answer for two ordinary unicast IPv4 addresses
/// (first octet neither 0, 127 nor 224 and up) inline: every test but the
/// last (a source that is one of the host's addresses) passes for them.
#[inline(always)]
fn martian_at(
    family: Family,
    src: IpAddr,
    dst: IpAddr,
    fib: &super::route::Fib4,
    localnet: impl FnOnce() -> bool,
) -> bool {
    let plain = |a: Ipv4Addr| matches!(a.octets()[0], 1..=126 | 128..=223);
    match (family, src, dst) {
        (Family::Ipv4, IpAddr::V4(s), IpAddr::V4(d)) if plain(s) && plain(d) => fib.is_local(s),
        _ => martian(family, src, dst, fib, localnet()),
    }
}

#[inline(never)]
fn martian(
    family: Family,
    src: IpAddr,
    dst: IpAddr,
    fib: &super::route::Fib4,
    localnet: bool,
) -> bool {
    match (family, src, dst) {
        // ip_route_input_slow (net/ipv4/route.c): a packet to the limited
        // broadcast goes to brd_input before the zero-net and loopback
        // checks; a zero source also skips fib_validate_source (a DHCP
        // DISCOVER from 0.0.0.0 is delivered: checked on Linux 6.18).
        (Family::Ipv4, IpAddr::V4(s), IpAddr::V4(d)) if d.is_broadcast() => {
            s.is_multicast()
                || s.is_broadcast()
                || (!s.is_unspecified() && (s.is_loopback() || fib.is_local(s)))
        }
        (Family::Ipv4, IpAddr::V4(s), IpAddr::V4(d)) => {
            let zeronet = |a: Ipv4Addr| a.octets()[0] == 0;
            if s.is_multicast() || s.is_broadcast() {
                return true;
            }
            if d.is_broadcast() || (s.is_unspecified() && d.is_unspecified()) {
                return !zeronet(s) && fib.is_local(s);
            }
            if d.is_multicast() {
                if s.is_loopback() {
                    return true;
                }
                if zeronet(s) {
                    let o = d.octets();
                    return !(o[0] == 224 && o[1] == 0 && o[2] == 0);
                }
                return fib.is_local(s);
            }
            zeronet(s)
                || zeronet(d)
                || (d.is_loopback() && !localnet)
                || (s.is_loopback() && !localnet)
                // fib_validate_source's fast path (net/ipv4/fib_frontend.c):
                // a source that is one of the host's interface addresses
                // (inet_lookup_ifaddr_rcu) is martian; the rest of 127/8 is
                // not an address of lo, so it passes when route_localnet let
                // it through above. (The full check, taken when the packet
                // leaves by its input device, is not modelled for loopback
                // sources.)
                || if s.is_loopback() { s == Ipv4Addr::LOCALHOST } else { fib.is_local(s) }
        }
        // IPv6 has no fib_validate_source: ip6_rcv_core drops multicast
        // and (off lo) loopback sources before PREROUTING, and neither
        // ip6_route_input nor ip6_input checks a source that is one of the
        // host's own addresses (recorded on Linux 6.18: 2001:db8::1 ->
        // 2001:db8::1 arriving on eth0 is delivered, trace
        // addrtype-ipv6-limit-iface).
        (Family::Ipv6, IpAddr::V6(s), _) => s.is_multicast(),
        _ => true,
    }
}

/// `CHECKSUM_BREAK` (include/linux/skbuff.h): transport segments up to
/// this length are verified as soon as their checksum is initialised.
const CHECKSUM_BREAK: usize = 76;

/// Why TCP or UDP drops a locally delivered packet for its checksum before
/// the XFRM policy check (so the reference method does not see it as
/// delivered), following `__skb_checksum_validate` as `tcp_v4_rcv` /
/// `tcp_v6_rcv` (`skb_checksum_init`) and `__udp4_lib_rcv` /
/// `__udp6_lib_rcv` (`udp4_csum_init` / `udp6_csum_init`, after trimming
/// the skb to the UDP length) use it:
/// - `CHECKSUM_PARTIAL` (`csum_partial`) counts as verified;
/// - a software `CHECKSUM_COMPLETE` sum left by conntrack (`csum_sw`, UDP,
///   the ones'-complement sum of the header bytes it covered) that still
///   agrees passes; one that does not (a bad checksum, or an IPv6 header
///   rewritten since: TOS/DSCP/HL) is checked again in software up to
///   `CHECKSUM_BREAK`, and above it `udp_csum_init` refuses it
///   (`csum_complete_sw`; trace ipv6-dscp-rewrite-csum);
/// - otherwise (`CHECKSUM_NONE`, as packets arrive from the reference
///   setup's veth devices) only segments of at most `CHECKSUM_BREAK` bytes
///   are verified now (recorded on Linux 6.18: a 31-byte UDP datagram with
///   a wrong checksum to a closed port is not delivered).
///
/// A UDP length that does not fit is `short_packet` (checked for packets
/// received on a device, `short_drops`); a zero UDP checksum means none over
/// IPv4 and is an error over IPv6 (`udp6_csum_init`, RFC 2460 8.1).
fn transport_csum_drop(
    family: Family,
    buf: &[u8],
    meta: &PacketMeta,
    csum_partial: bool,
    csum_sw: Option<u16>,
    short_drops: bool,
) -> Option<DropReason> {
    let proto = meta.protocol.0;
    if !matches!(proto, 6 | 17) || meta.thoff == 0 || meta.fragoff != 0 {
        return None;
    }
    let reason = if proto == 17 {
        DropReason::UdpChecksum
    } else {
        DropReason::TransportChecksum
    };
    let mut l4 = buf.get(meta.thoff..)?;
    if proto == 17 {
        let ulen = usize::from(u16::from_be_bytes([
            l4.get(4).copied().unwrap_or(0),
            l4.get(5).copied().unwrap_or(0),
        ]));
        // UDP validates ulen (an IPv6 jumbogram's 0 means the whole packet).
        let ulen = if ulen == 0 && family == Family::Ipv6 {
            l4.len()
        } else {
            ulen
        };
        if ulen < 8 || ulen > l4.len() {
            return short_drops.then_some(reason);
        }
        l4 = &l4[..ulen];
    }
    if csum_partial {
        return None;
    }
    if proto == 17 && l4.get(6..8) == Some(&[0, 0][..]) {
        return (family == Family::Ipv6).then_some(reason);
    }
    let (src, dst) = match family {
        Family::Ipv4 => (buf.get(12..16)?, buf.get(16..20)?),
        Family::Ipv6 => (buf.get(8..24)?, buf.get(24..40)?),
    };
    let correct = nf_checksum_ok(family, src, dst, IpProtocol(proto), l4);
    let short = l4.len() <= CHECKSUM_BREAK;
    match csum_sw.filter(|_| proto == 17) {
        Some(h0) => {
            // The IPv4 header sums to zero through its own checksum, so its
            // rewrites never make the sum stale.
            let fresh = family == Family::Ipv4
                || crate::wire::checksum::sum(buf.get(..8).unwrap_or(&[])) == h0;
            if correct && fresh {
                None
            } else if short {
                (!correct).then_some(reason)
            } else {
                Some(reason)
            }
        }
        None => (short && !correct).then_some(reason),
    }
}

/// [`transport_csum_drop`] for a `CHECKSUM_NONE` / `PARTIAL` packet.
#[cfg(test)]
fn early_csum_error(family: Family, buf: &[u8], meta: &PacketMeta, csum_partial: bool) -> bool {
    transport_csum_drop(family, buf, meta, csum_partial, None, false).is_some()
}

fn dst_is_multicast(dst: IpAddr) -> bool {
    match dst {
        IpAddr::V4(d) => d.is_multicast(),
        IpAddr::V6(d) => d.is_multicast(),
    }
}

/// Reverse-path filter of an IPv4 source arriving on device `in_dev` with
/// `rpf` = `IN_DEV_RPFILTER` (the larger of `conf.all.rp_filter` and the
/// device's), as `fib_validate_source` / `__fib_validate_source`
/// (net/ipv4/fib_frontend.c) decide it for a packet the routing decision
/// delivers locally, as broadcast or multicast, or forwards (written from
/// knowledge of the 6.x source, checked against kernel 6.18 recordings:
/// tests/traces/spoof-martian-rpfilter). The route to the source: local or
/// broadcast (`accept_local` is 0) -> `-EINVAL`; no route -> `-EXDEV`
/// (`last_resort` with rp_filter on); a unicast route through `in_dev`
/// passes; through another device: strict (1) fails, loose (2) passes
/// (its second lookup, bound to the device, never fails the packet).
/// A zero-net source is never validated (`brd_input`,
/// `ip_mc_validate_source`).
fn rp_filter_ok(rpf: u8, src: IpAddr, in_dev: usize, fib: &super::route::Fib4) -> bool {
    let IpAddr::V4(s) = src else { return true };
    if rpf == 0 || s.octets()[0] == 0 {
        return true;
    }
    match fib.lookup(s) {
        Some(RouteKind::Unicast { dev, .. }) => dev == in_dev || rpf != 1,
        _ => false,
    }
}

impl Host {
    /// Offers a fragment to the reassembly queues of `user`. `Some(true)`:
    /// not a fragment, or the datagram is complete (now in the buffer);
    /// otherwise the packet was queued or dropped.
    #[inline(always)]
    fn gather(
        &mut self,
        p: &mut Pkt<'_>,
        user: super::frag::DefragUser,
        now: Instant,
    ) -> Result<(), Disposition> {
        // An IPv4 packet that is no fragment (no MF, no offset): nothing
        // to gather, decided inline on `PacketMeta::is_fragment` (those
        // bits as read at the packet's start or its reassembly; nothing
        // else on the way rewrites them).
        if p.family == Family::Ipv4 {
            debug_assert_eq!(
                p.meta.is_fragment,
                p.buf
                    .get(6..8)
                    .is_some_and(|f| u16::from_be_bytes([f[0], f[1]]) & 0x3fff != 0)
            );
            if !p.meta.is_fragment {
                return Ok(());
            }
        }
        // An IPv6 packet whose fixed header's next header is none of the
        // headers `frag6_offsets` walks (hop-by-hop, routing, fragment,
        // AH, destination options): no fragment header, as its walk
        // answers at once.
        if p.family == Family::Ipv6 && !matches!(p.buf.get(6), Some(0 | 43 | 44 | 51 | 60)) {
            return Ok(());
        }
        self.gather_slow(p, user, now)
    }

    /// [`Host::gather`] past its inline test.
    #[inline(never)]
    fn gather_slow(
        &mut self,
        p: &mut Pkt<'_>,
        user: super::frag::DefragUser,
        now: Instant,
    ) -> Result<(), Disposition> {
        use super::frag::Gathered;
        let malformed = dropped_by(DropReason::Malformed);
        let g = match p.family {
            Family::Ipv4 => {
                let (Some(&a), Some(&b)) = (p.buf.get(6), p.buf.get(7)) else {
                    return Err(malformed);
                };
                if u16::from_be_bytes([a, b]) & 0x3fff == 0 {
                    return Ok(());
                }
                self.defrag.ipv4(user, p.buf, now)
            }
            Family::Ipv6 => {
                let Some((frag_at, prev)) = frag6_offsets(p.buf) else {
                    return Ok(());
                };
                self.defrag.ipv6(user, p.buf, frag_at, prev, now)
            }
        };
        match g {
            Gathered::Complete { frag_max_size } => {
                p.frag_max_size = frag_max_size;
                p.frag_list =
                    p.family == Family::Ipv4 && user != super::frag::DefragUser::LocalDeliver;
                p.meta = PacketMeta::parse(p.buf).map_err(|_| malformed)?;
                Ok(())
            }
            Gathered::Queued => Err(Disposition::FragmentQueued),
            Gathered::Dropped => Err(dropped_by(DropReason::Fragment)),
        }
    }
}

/// The state of `f` among the host's two families, borrowing only those
/// fields (a walk also borrows the host's stack and conntrack).
#[inline]
fn fam_of<'a>(v4: &'a mut FamilyState, v6: &'a mut FamilyState, f: Family) -> &'a mut FamilyState {
    match f {
        Family::Ipv4 => v4,
        Family::Ipv6 => v6,
    }
}

impl FamilyState {
    /// Table `kind`'s program and state, when the host runs it.
    #[inline]
    fn table_mut(
        &mut self,
        kind: TableKind,
    ) -> Option<(&crate::engine::TableProgram, &mut crate::engine::TableState)> {
        let prog = self.prog.tables[kind as usize].as_ref()?;
        Some((prog, self.states[kind as usize].as_mut()?))
    }
}

/// Whether a walk at `hook` tests no input device (`-i`; `state->in` in
/// `ipt_do_table`): a locally sent packet at OUTPUT and POSTROUTING.
#[inline(always)]
fn no_in_dev(hook: Hook, received: bool) -> bool {
    matches!(hook, Hook::LocalOut | Hook::PostRouting) && !received
}

/// The names of a packet's input and output devices as a walk at `hook`
/// tests them (`-i`, `-o`): no input device as [`no_in_dev`] says, no
/// output device before routing.
#[inline(always)]
fn dev_names(
    conf: &super::StackConf,
    hook: Hook,
    in_dev: usize,
    out_dev: Option<usize>,
    received: bool,
) -> (&str, &str) {
    let devs = &conf.devs;
    let i = if no_in_dev(hook, received) {
        ""
    } else {
        devs[in_dev].name.as_str()
    };
    (i, out_dev.map(|d| devs[d].name.as_str()).unwrap_or(""))
}

/// [`dev_names`] as the rule walk's scan compares them
/// (`engine::walk::ScanPkt::devs`): the names' words, zero for no device.
#[inline(always)]
fn dev_words(
    conf: &super::StackConf,
    hook: Hook,
    in_dev: usize,
    out_dev: Option<usize>,
    received: bool,
) -> Option<[u64; 4]> {
    let w = conf.dev_words.as_deref()?;
    let i = if no_in_dev(hook, received) {
        [0; 2]
    } else {
        w[in_dev]
    };
    let o = out_dev.map_or([0; 2], |d| w[d]);
    Some([i[0], i[1], o[0], o[1]])
}

/// Where and why the rules stopped a packet: the entry the walk ended on
/// (`TableState::end`), named as its TRACE record names it; `out`'s
/// disposition (left as it is for an entry not in `prog`).
#[inline(never)]
fn rules_disposition(
    prog: &crate::engine::TableProgram,
    end: crate::engine::program::WalkEnd,
    hook: Hook,
    v: Verdict,
    out: &mut Outcome,
) {
    use crate::engine::program::{Action, EndHow};
    use crate::engine::TraceKind;
    let Some(r) = prog.rules.get(end.rule.0 as usize) else {
        return;
    };
    let Some(chain) = prog.chains.get(r.chain.0 as usize) else {
        return;
    };
    // get_chainname_rulenum: as the walk names the entry in TRACE.
    let kind = match r.trace_kind {
        TraceKind::Rule => TraceKind::Rule,
        _ if prog.hook_entry[hook as usize]
            .and_then(|e| prog.rules.get(e.0 as usize))
            .is_some_and(|e| e.chain == r.chain) =>
        {
            TraceKind::Policy
        }
        _ => TraceKind::Return,
    };
    let at = super::RuleRef {
        family: prog.family,
        hook,
        table: prog.kind,
        chain: super::ChainLabel::of_chain(chain),
        kind,
        num: r.num,
    };
    let dropped = |reason| Disposition::Dropped {
        reason,
        at: Some(at),
    };
    out.set_disposition(match (v, end.how) {
        (_, EndHow::HotDrop) => dropped(DropReason::HotDrop),
        (_, EndHow::Verdict) | (Verdict::Queue { .. } | Verdict::Stolen, _) => match v {
            Verdict::Queue { num, .. } => Disposition::Queued { at, num },
            Verdict::Stolen => Disposition::Stolen { at },
            _ => match &r.action {
                // The chain's own tail is its policy; a rule that TRACE
                // names `policy` for its shape is still a rule.
                Action::Drop if end.rule == chain.tail => dropped(DropReason::Policy),
                Action::Drop => dropped(DropReason::Rule),
                Action::Ext(crate::model::Target::Reject(_)) => Disposition::Rejected { at },
                _ => dropped(DropReason::Target),
            },
        },
        _ => dropped(DropReason::JumpStack),
    });
}

/// A drop outside the rules.
fn dropped_by(reason: DropReason) -> Disposition {
    Disposition::Dropped { reason, at: None }
}

/// The disposition of a packet leaving by `odev` (not `lo`).
fn left_by(p: &Pkt<'_>, odev: usize) -> Disposition {
    if p.received {
        Disposition::Forwarded { dev: odev }
    } else {
        Disposition::Sent { dev: odev }
    }
}

/// Offsets of an IPv6 fragment header and of the next-header byte that
/// names it (walking hop-by-hop, routing, destination options and AH).
fn frag6_offsets(buf: &[u8]) -> Option<(usize, usize)> {
    let mut nh = *buf.get(6)?;
    let mut prev = 6;
    let mut pos = 40;
    for _ in 0..16 {
        match nh {
            44 => return Some((pos, prev)),
            0 | 43 | 60 => {
                prev = pos;
                nh = *buf.get(pos)?;
                pos += (usize::from(*buf.get(pos + 1)?) + 1) * 8;
            }
            51 => {
                prev = pos;
                nh = *buf.get(pos)?;
                pos += (usize::from(*buf.get(pos + 1)?) + 2) * 4;
            }
            _ => return None,
        }
    }
    None
}

enum OptionsOutcome {
    Drop,
    Unsupported(&'static str),
}

/// `ip_rcv_options` / `ip_options_compile` with an skb (net/ipv4/ip_options.c):
/// invalid options drop the packet (the kernel also sends an ICMP parameter
/// problem, which nfsim reports as unsupported), source-routed packets are
/// dropped (`accept_source_route` is 0), a record-route option gets the
/// address `spec_dst` (`fib_compute_spec_dst`) written into it, bytes after
/// an END option become END, a full timestamp option's overflow counter is
/// incremented. Timestamps with room need the wall clock: unsupported.
fn rcv_options(buf: &mut [u8], spec_dst: Option<Ipv4Addr>) -> Result<bool, OptionsOutcome> {
    let hl = usize::from(buf.first().copied().unwrap_or(0) & 0x0f) * 4;
    let Some(header) = buf.get(..hl) else {
        return Err(OptionsOutcome::Drop);
    };
    let c = match ipv4::options_compile(header) {
        Ok(c) => c,
        Err(_) => {
            return Err(OptionsOutcome::Unsupported(
                "ICMP parameter problem for bad IPv4 options",
            ))
        }
    };
    if c.srr.is_some() {
        return Err(OptionsOutcome::Drop);
    }
    if c.ts_needtime || c.ts_needaddr {
        return Err(OptionsOutcome::Unsupported(
            "IPv4 timestamp option (needs the wall clock)",
        ));
    }
    let mut changed = false;
    if let Some(ts) = c.ts {
        // A full timestamp option: ip_options_compile bumps its overflow
        // counter (options_compile already refused overflow 15).
        if let Some(b) = buf.get_mut(usize::from(ts) + 3) {
            *b = (*b & 0x0f) | (((*b >> 4) + 1) << 4);
            changed = true;
        }
    }
    // Bytes after END are overwritten with END.
    let mut pos = 20;
    while pos < hl {
        match buf[pos] {
            0 => {
                for b in &mut buf[pos..hl] {
                    if *b != 0 {
                        *b = 0;
                        changed = true;
                    }
                }
                break;
            }
            1 => pos += 1,
            _ => pos += usize::from(buf.get(pos + 1).copied().unwrap_or(2)).max(2),
        }
    }
    if let (Some(rr), true) = (c.rr, c.rr_needaddr) {
        let Some(a) = spec_dst else {
            return Err(OptionsOutcome::Unsupported(
                "record-route without a source address",
            ));
        };
        let rr = usize::from(rr);
        let ptr = usize::from(buf[rr + 2]);
        if let Some(slot) = buf.get_mut(rr + ptr - 1..rr + ptr + 3) {
            slot.copy_from_slice(&a.octets());
            buf[rr + 2] += 4;
            changed = true;
        }
    }
    // opt->is_changed: the header checksum stays stale (ip_forward_options
    // recomputes it after FORWARD; a locally delivered packet keeps it). The
    // checksum verification of REJECT (nf_ip_checksum) sums the header too,
    // so it fails on such a packet: checked on Linux 6.18.
    let _ = changed;
    Ok(c.rr.is_some() && c.rr_needaddr)
}

/// `ip_forward_options` (net/ipv4/ip_options.c), from `ip_forward_finish`
/// after FORWARD: a record-route option that had room gets the address of
/// the outgoing route (`ip_rt_get_source`: the output device's address)
/// in the slot `ip_options_compile` filled, and a changed header gets its
/// checksum recomputed (`ip_send_check`).
fn forward_options(buf: &mut [u8], rr_needaddr: bool, src: Option<Ipv4Addr>) {
    let hl = usize::from(buf.first().copied().unwrap_or(0) & 0x0f) * 4;
    if hl <= 20 {
        return;
    }
    if rr_needaddr {
        let rr = buf
            .get(..hl)
            .and_then(|h| ipv4::options_compile(h).ok())
            .and_then(|c| c.rr);
        if let (Some(rr), Some(a)) = (rr, src) {
            let rr = usize::from(rr);
            let ptr = usize::from(buf.get(rr + 2).copied().unwrap_or(0));
            if ptr >= 5 {
                if let Some(slot) = buf.get_mut(rr + ptr - 5..rr + ptr - 1) {
                    slot.copy_from_slice(&a.octets());
                }
            }
        }
    }
    if let Ok(mut p) = ipv4::Packet::new_checked(&mut *buf) {
        if !p.verify_checksum() || rr_needaddr {
            p.fill_checksum();
        }
    }
}

#[cfg(test)]
mod heldout_tests {
    use super::*;

    fn fib4() -> super::super::route::Fib {
        let mut f = super::super::route::Fib::default();
        let a: IpAddr = Ipv4Addr::new(192, 0, 2, 1).into();
        f.local.push((a, 1));
        f.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
        f
    }

    #[test]
    fn martian_limited_broadcast() {
        let f = super::super::route::Fib4::new(&fib4());
        let v4 = |a: [u8; 4]| IpAddr::V4(Ipv4Addr::from(a));
        let bc = v4([255, 255, 255, 255]);
        // DHCP DISCOVER: delivered (brd_input skips the zero-net check).
        assert!(!martian(Family::Ipv4, v4([0, 0, 0, 0]), bc, &f, false));
        // ... but not to a unicast address.
        assert!(martian(
            Family::Ipv4,
            v4([0, 0, 0, 0]),
            v4([192, 0, 2, 1]),
            &f,
            false
        ));
        // A local or loopback source to the limited broadcast is martian.
        assert!(martian(Family::Ipv4, v4([192, 0, 2, 1]), bc, &f, false));
        assert!(martian(Family::Ipv4, v4([127, 0, 0, 1]), bc, &f, false));
        assert!(!martian(Family::Ipv4, v4([192, 0, 2, 20]), bc, &f, false));
    }

    #[test]
    fn forward_options_fills_record_route() {
        // IHL 8: record route, length 11, pointer 8 (ip_options_compile
        // already wrote spec_dst 192.0.2.1 and advanced the pointer).
        let mut b = vec![0u8; 36];
        b[0] = 0x48;
        b[2..4].copy_from_slice(&36u16.to_be_bytes());
        b[8] = 63;
        b[9] = 17;
        b[12..16].copy_from_slice(&[192, 0, 2, 30]);
        b[16..20].copy_from_slice(&[203, 0, 113, 19]);
        b[20..31].copy_from_slice(&[7, 11, 8, 192, 0, 2, 1, 0, 0, 0, 0]);
        forward_options(&mut b, true, Some(Ipv4Addr::new(198, 51, 100, 1)));
        assert_eq!(&b[20..31], &[7, 11, 8, 198, 51, 100, 1, 0, 0, 0, 0]);
        assert!(ipv4::Packet::new_checked(&b[..]).unwrap().verify_checksum());
        // Without rr_needaddr only a stale checksum is fixed.
        let mut c = b.clone();
        c[10] ^= 0xff;
        forward_options(&mut c, false, None);
        assert_eq!(c, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::route::{Fib, Route};

    /// 192.0.2.20:40000 -> 192.0.2.1:67 with `payload` bytes; the UDP
    /// checksum right, wrong (`bad`) or 0, none (`zero`).
    fn udp_v4(payload: usize, bad: bool, zero: bool) -> Vec<u8> {
        let data = vec![0x61; payload];
        let b = crate::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .ident(1)
            .udp(40000, 67)
            .payload(&data);
        let mut p = if bad {
            b.bad_checksum().build()
        } else {
            b.build()
        };
        if zero {
            p[26..28].fill(0);
        }
        p
    }

    /// `__udp4_lib_rcv` / `udp6_csum_init` / `tcp_v4_rcv`: only segments
    /// of at most CHECKSUM_BREAK bytes are dropped for a bad sum before the
    /// policy check; a zero UDP checksum is none over IPv4.
    #[test]
    fn early_checksum_errors() {
        let e = |p: &[u8], partial| {
            let m = PacketMeta::parse(p).unwrap();
            early_csum_error(Family::Ipv4, p, &m, partial)
        };
        assert!(!e(&udp_v4(10, false, false), false));
        assert!(e(&udp_v4(10, true, false), false));
        assert!(!e(&udp_v4(10, true, false), true));
        assert!(!e(&udp_v4(10, false, true), false));
        assert!(e(&udp_v4(68, true, false), false)); // 76 bytes
        assert!(!e(&udp_v4(69, true, false), false)); // 77: verified later
                                                      // IPv6: a zero UDP checksum is an error.
        let mut v6 = crate::wire::PacketBuilder::ipv6(
            "2001:db8::20".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        )
        .udp(40000, 67)
        .payload(b"aa")
        .build();
        v6[46..48].fill(0);
        let m = PacketMeta::parse(&v6).unwrap();
        assert!(early_csum_error(Family::Ipv6, &v6, &m, false));
        // TCP: a reset built with a complete sum verifies; break it.
        let mut rst = [0u8; 80];
        let syn = crate::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .ident(1)
            .tcp(40000, 23)
            .seq(1)
            .flags(crate::wire::tcp::TcpFlags::SYN)
            .window(0xfaf0)
            .build();
        let n = crate::wire::reject::tcp_reset_v4(
            &syn,
            64,
            false,
            crate::wire::reject::TcpResetChecksum::Complete,
            &mut rst,
        )
        .unwrap();
        let m = PacketMeta::parse(&rst[..n]).unwrap();
        assert!(!early_csum_error(Family::Ipv4, &rst[..n], &m, false));
        rst[36] ^= 1;
        assert!(early_csum_error(Family::Ipv4, &rst[..n], &m, false));
    }

    fn fib() -> Fib {
        let mut f = Fib::default();
        for (a, n, d) in [
            ("192.0.2.1", "192.0.2.0/24", 1),
            ("198.51.100.1", "198.51.100.0/24", 2),
        ] {
            f.local.push((a.parse().unwrap(), d));
            f.connected.push((n.parse().unwrap(), d));
            f.routes.push(Route {
                dst: n.parse().unwrap(),
                via: None,
                dev: d,
            });
        }
        f.routes.push(Route {
            dst: "10.0.0.0/8".parse().unwrap(),
            via: Some("198.51.100.2".parse().unwrap()),
            dev: 2,
        });
        f
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rp_filter_strict_loose_and_off() {
        let f = super::super::route::Fib4::new(&fib());
        // rp_filter=0: no validation here (martian() covers the fast path).
        assert!(rp_filter_ok(0, ip("203.0.113.9"), 1, &f));
        // Strict: the route back must use the input device.
        assert!(rp_filter_ok(1, ip("192.0.2.20"), 1, &f));
        assert!(!rp_filter_ok(1, ip("192.0.2.20"), 2, &f));
        assert!(rp_filter_ok(1, ip("10.1.2.3"), 2, &f));
        // Loose: any unicast route.
        assert!(rp_filter_ok(2, ip("192.0.2.20"), 2, &f));
        // No route at all, a local or broadcast source: both modes fail.
        for rpf in [1, 2] {
            assert!(!rp_filter_ok(rpf, ip("203.0.113.9"), 1, &f));
            assert!(!rp_filter_ok(rpf, ip("198.51.100.1"), 2, &f));
            assert!(!rp_filter_ok(rpf, ip("198.51.100.255"), 2, &f));
            // Zero-net sources are never validated.
            assert!(rp_filter_ok(rpf, ip("0.0.0.0"), 2, &f));
        }
    }

    /// ip6_forward drops unspecified and link-local sources before FORWARD;
    /// with forwarding on, the subnet-router anycast address is local.
    #[test]
    fn ipv6_forward_source_checks_and_anycast() {
        use crate::host::{HostConfig, InterfaceConfig, Outcome};
        use crate::model::Ruleset;
        let itf = |name: &str, m: u8, a: &str| InterfaceConfig {
            name: name.into(),
            mac: [2, 0, 0, 0, 0, m],
            addrs: vec![a.parse().unwrap()],
            peer_mac: [2, 0, 0, 0, 1, m],
        };
        let cfg = HostConfig {
            interfaces: vec![
                itf("eth0", 1, "2001:db8:a::1/64"),
                itf("eth1", 2, "2001:db8:b::1/64"),
            ],
            sysctls: vec![("net.ipv6.conf.all.forwarding".into(), 1)],
            ..HostConfig::default()
        };
        let mut h = Host::new(
            &cfg,
            &Ruleset::new(Family::Ipv4),
            &Ruleset::new(Family::Ipv6),
        )
        .unwrap();
        // UDP, hop limit 64, 4 payload bytes, a right checksum (an IPv6
        // zero checksum is refused on local delivery: udp6_csum_init).
        let udp = |src: [u16; 8], dst: [u16; 8]| {
            crate::wire::PacketBuilder::ipv6(src.into(), dst.into())
                .udp(48000, 7000)
                .payload(b"data")
                .build()
        };
        let a5 = [0x2001, 0xdb8, 0xa, 0, 0, 0, 0, 5];
        let b9 = [0x2001, 0xdb8, 0xb, 0, 0, 0, 0, 9];
        let run = |h: &mut Host, p: &[u8]| {
            let mut out = Outcome::default();
            h.receive(
                1,
                p,
                Instant::from_millis(0),
                &mut out,
                &mut crate::engine::NoTrace,
            );
            out
        };
        assert_eq!(run(&mut h, &udp(a5, b9)).emitted.len(), 1);
        for src in [[0u16; 8], [0xfe80, 0, 0, 0, 0, 0, 0, 5]] {
            let o = run(&mut h, &udp(src, b9));
            assert!(o.emitted.is_empty() && !o.local);
        }
        let o = run(&mut h, &udp(a5, [0x2001, 0xdb8, 0xb, 0, 0, 0, 0, 0]));
        assert!(o.local && o.emitted.is_empty());
    }

    #[test]
    fn rp_filter_and_send_redirects_sysctls() {
        use crate::host::{HostConfig, InterfaceConfig};
        use crate::model::Ruleset;
        let itf = |name: &str, m: u8, a: &str| InterfaceConfig {
            name: name.into(),
            mac: [2, 0, 0, 0, 0, m],
            addrs: vec![a.parse().unwrap()],
            peer_mac: [2, 0, 0, 0, 1, m],
        };
        let build = |sysctls: &[(&str, i64)]| {
            let cfg = HostConfig {
                interfaces: vec![
                    itf("eth0", 1, "192.0.2.1/24"),
                    itf("eth1", 2, "198.51.100.1/24"),
                ],
                sysctls: sysctls.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                ..HostConfig::default()
            };
            Host::new(
                &cfg,
                &Ruleset::new(Family::Ipv4),
                &Ruleset::new(Family::Ipv6),
            )
        };
        let h = build(&[
            ("net.ipv4.conf.all.rp_filter", 1),
            ("net.ipv4.conf.eth1.rp_filter", 2),
            ("net.ipv4.conf.all.send_redirects", 0),
            ("net.ipv4.conf.default.send_redirects", 0),
            ("net.ipv4.conf.eth0.send_redirects", 1),
            ("net.ipv4.conf.all.log_martians", 1),
        ])
        .unwrap();
        assert_eq!(
            (
                h.stack.conf.rp_filter_of(0),
                h.stack.conf.rp_filter_of(1),
                h.stack.conf.rp_filter_of(2)
            ),
            (1, 1, 2)
        );
        // IN_DEV_ORCONF; lo existed before `default` changed.
        assert_eq!(h.stack.conf.tx_redirects, [true, true, false]);
        assert!(build(&[("net.ipv4.conf.eth9.rp_filter", 1)]).is_err());
        assert!(build(&[("net.ipv4.conf.all.rp_filter", 3)]).is_err());
    }

    #[test]
    fn martian_zero_net_sources() {
        let f = super::super::route::Fib4::new(&fib());
        let m = |s: &str, d: &str| martian(Family::Ipv4, ip(s), ip(d), &f, false);
        assert!(!m("0.0.0.0", "255.255.255.255"));
        assert!(!m("0.0.0.0", "224.0.0.1"));
        assert!(m("0.0.0.0", "239.1.2.3"));
        assert!(m("0.0.0.0", "198.51.100.1"));
        assert!(m("127.0.0.1", "224.0.0.1"));
        assert!(m("198.51.100.1", "255.255.255.255"));
        assert!(m("224.0.0.9", "198.51.100.1"));
        assert!(!m("203.0.113.9", "198.51.100.255"));
    }

    #[test]
    fn gather_inline_ipv6_test_is_frag6_offsets() {
        // Host::gather's inline IPv6 test: a next header frag6_offsets does
        // not walk means no fragment header, whatever follows.
        for nh in 0..=255u8 {
            for fill in [0u8, 44] {
                let mut b = vec![fill; 96];
                b[0] = 0x60;
                b[6] = nh;
                if !matches!(nh, 0 | 43 | 44 | 51 | 60) {
                    assert_eq!(frag6_offsets(&b), None, "next header {nh}");
                }
            }
        }
        assert_eq!(frag6_offsets(&[0x60, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn martian_at_agrees_with_martian() {
        let f = super::super::route::Fib4::new(&fib());
        // Every first octet, with the host's addresses, broadcasts and
        // ordinary addresses behind it, both ways, with and without
        // route_localnet.
        let tails = [
            [0, 0, 0],
            [0, 0, 1],
            [0, 2, 1],
            [51, 100, 1],
            [255, 255, 255],
            [0, 2, 255],
        ];
        let mut addrs = vec![];
        for o in 0..=255u8 {
            for t in tails {
                addrs.push(IpAddr::V4(Ipv4Addr::new(o, t[0], t[1], t[2])));
            }
        }
        for s in ["192.0.2.1", "198.51.100.1", "127.0.0.1", "192.0.2.255"] {
            addrs.push(ip(s));
        }
        for &s in &addrs {
            for &d in addrs.iter().step_by(7) {
                for localnet in [false, true] {
                    assert_eq!(
                        martian_at(Family::Ipv4, s, d, &f, || localnet),
                        martian(Family::Ipv4, s, d, &f, localnet),
                        "{s} -> {d}"
                    );
                }
            }
        }
    }
}
