//! Matches on marks, address types, connections, rates and payload:
//! mark, connmark, addrtype, connlimit, connbytes, quota, string, u32,
//! helper, and the evaluation functions of limit, statistic, owner (recent
//! and hashlimit live in [`crate::engine::shared`]). Each follows the
//! kernel function named in its comment (Linux 6.18 behaviour, checked in
//! network namespaces where a test says so).
//!
//! Deliberately unsupported (the rule is refused at compile time):
//! `time` (needs wall-clock time: the host has no epoch, and `--kerneltz`
//! would need the kernel's timezone), `string --algo fsm` (ts_fsm takes a
//! token program, not a string), `u32` shifts over 31 bits (the kernel
//! refuses them), `owner --suppl-groups` (nfsim's sockets carry no
//! supplementary groups).

use crate::engine::ctx::{Env, MatchResult, PacketCtx};
use crate::engine::state::MatchState;
use crate::model::matches::addrtype::Addrtype;
use crate::model::matches::connbytes::{Connbytes, Direction, What};
use crate::model::matches::rpfilter::Rpfilter;
use crate::model::matches::string::StringMatch;
use crate::model::matches::u32::{Op, U32};
use crate::model::matches::{
    connlimit::Connlimit, connmark::Connmark, helper::Helper, mark::Mark, quota::Quota,
};
use crate::model::Family;
use crate::wire::rd_u32;

/// `XT_ADDRTYPE_*` bits (include/uapi/linux/netfilter/xt_addrtype.h),
/// `1 << RTN_*`.
#[allow(dead_code)] // the kernel's whole set, including bits no route here has
pub mod rtn {
    /// `XT_ADDRTYPE_UNSPEC`
    pub const UNSPEC: u16 = 1 << 0;
    /// `XT_ADDRTYPE_UNICAST`
    pub const UNICAST: u16 = 1 << 1;
    /// `XT_ADDRTYPE_LOCAL`
    pub const LOCAL: u16 = 1 << 2;
    /// `XT_ADDRTYPE_BROADCAST`
    pub const BROADCAST: u16 = 1 << 3;
    /// `XT_ADDRTYPE_ANYCAST`
    pub const ANYCAST: u16 = 1 << 4;
    /// `XT_ADDRTYPE_MULTICAST`
    pub const MULTICAST: u16 = 1 << 5;
    /// `XT_ADDRTYPE_BLACKHOLE`
    pub const BLACKHOLE: u16 = 1 << 6;
    /// `XT_ADDRTYPE_UNREACHABLE`
    pub const UNREACHABLE: u16 = 1 << 7;
}

/// `rpfilter_mt` (net/ipv4/netfilter/ipt_rpfilter.c): loopback input
/// (`skb->pkt_type == PACKET_LOOPBACK` or the input device is `lo`)
/// matches; a zero-net source to the limited broadcast or a link-local
/// group (224.0.0.0/24) matches; otherwise `rpfilter_lookup_reverse`: the
/// route to the source must be unicast (or local with `--accept-local`)
/// and use the input device, or `--loose`. All of it XOR `--invert`.
/// `--validmark` only matters with policy routing, which nfsim has not.
///
/// IPv6 (`rpfilter_mt` / `rpfilter_lookup_reverse6`,
/// net/ipv6/netfilter/ip6t_rpfilter.c): loopback input matches, an
/// unspecified source matches; else the route to the source (restricted to
/// the input device for a link-local source) must not be anycast or
/// missing; a local route passes only with `--accept-local` (whatever its
/// device); a unicast route must use the input device unless `--loose`.
/// The host answers the lookup through [`Env::route_to`].
pub(crate) fn rpfilter_mt<E: Env>(r: &Rpfilter, pkt: &PacketCtx<'_>, env: &E) -> bool {
    const PACKET_LOOPBACK: u8 = 5;
    if pkt.pkt_type == PACKET_LOOPBACK || pkt.in_dev == "lo" {
        return !r.invert;
    }
    if pkt.family == Family::Ipv6 {
        let Some(src) = pkt.data.get(8..24) else {
            return false;
        };
        if src.iter().all(|b| *b == 0) {
            return !r.invert;
        }
        let ok = match env.route_to(Family::Ipv6, src, pkt.in_dev) {
            Some((1, uses_dev)) => uses_dev || r.loose,
            Some((2, _)) => r.accept_local,
            _ => false,
        };
        return ok ^ r.invert;
    }
    let (Some(src), Some(dst)) = (pkt.data.get(12..16), pkt.data.get(16..20)) else {
        return false;
    };
    if src.first() == Some(&0) {
        let lbcast = dst.iter().all(|b| *b == 0xff);
        let local_mc = dst.get(..3) == Some(&[224, 0, 0][..]);
        if lbcast || local_mc {
            return !r.invert;
        }
    }
    let ok = match env.route_to(Family::Ipv4, src, pkt.in_dev) {
        None => false,
        Some((t, uses_dev)) => {
            // RTN_UNICAST = 1, RTN_LOCAL = 2.
            (t == 1 || (t == 2 && r.accept_local)) && (uses_dev || r.loose)
        }
    };
    ok ^ r.invert
}

/// `mark_mt` (net/netfilter/xt_mark.c):
/// `((skb->mark & mask) == mark) ^ invert`.
#[inline]
pub(crate) fn mark_mt(m: &Mark, pkt: &PacketCtx<'_>) -> bool {
    ((pkt.mark & m.mark.mask) == m.mark.value) ^ m.invert
}

/// `connmark_mt` (net/netfilter/xt_connmark.c): no conntrack entry
/// (`nf_ct_get` NULL: invalid, untracked, conntrack not loaded) never
/// matches, whatever the inversion; else
/// `((ct->mark & mask) == mark) ^ invert`.
#[inline]
pub(crate) fn connmark_mt<E: Env>(m: &Connmark, env: &E) -> bool {
    let Some(e) = env.ct().and_then(|r| r.entry()) else {
        return false;
    };
    ((e.mark() & m.mark.mask) == m.mark.value) ^ m.invert
}

/// `addrtype_mt_v1` (net/netfilter/xt_addrtype.c). The device is the input
/// device with `--limit-iface-in`, the output device with
/// `--limit-iface-out` (none when the hook has no such device).
///
/// IPv4: `match_type` = `mask & (1 << inet_dev_addr_type(net, dev, addr))`,
/// source first, destination only if the source test passed.
/// IPv6 (`addrtype_mt6`, same order): `match_type6`: MULTICAST / UNICAST /
/// UNSPEC in the mask require that address class (`ipv6_addr_type`); then,
/// when the mask has LOCAL, ANYCAST or UNREACHABLE, the answer is `mask &
/// match_lookup_rt6(net, dev, addr, mask)`, whose only bits are LOCAL,
/// ANYCAST and UNREACHABLE (the host answers the lookup through
/// [`Env::addr_type`]: `crate::host::targets::match_lookup_rt6`), so in a
/// list such as `LOCAL,UNICAST` the UNICAST part only requires a unicast
/// address and LOCAL decides; otherwise the class tests decide alone.
pub(crate) fn addrtype_mt<E: Env>(a: &Addrtype, pkt: &PacketCtx<'_>, env: &E) -> bool {
    let dev = if a.limit_in {
        Some(pkt.in_dev).filter(|d| !d.is_empty())
    } else if a.limit_out {
        Some(pkt.out_dev).filter(|d| !d.is_empty())
    } else {
        None
    };
    let data: &[u8] = pkt.data;
    let (src, dst) = match pkt.family {
        Family::Ipv4 => (data.get(12..16), data.get(16..20)),
        Family::Ipv6 => (data.get(8..24), data.get(24..40)),
    };
    // The IP header was validated before the hooks; a short buffer is no
    // packet at all: never matches.
    let (Some(src), Some(dst)) = (src, dst) else {
        return false;
    };
    let test = |addr: &[u8], mask: u16| -> bool {
        match pkt.family {
            Family::Ipv4 => mask & (1u16 << env.addr_type(Family::Ipv4, addr, dev)) != 0,
            Family::Ipv6 => match_type6(addr, mask, dev, env),
        }
    };
    let mut ret = true;
    if a.src != 0 {
        ret &= test(src, a.src) ^ a.src_inv;
    }
    if ret && a.dst != 0 {
        ret &= test(dst, a.dst) ^ a.dst_inv;
    }
    ret
}

/// `match_type6` (net/netfilter/xt_addrtype.c) with `ipv6_addr_type`
/// (net/ipv6/addrconf_core.c) reduced to the three classes it tests:
/// multicast `ff00::/8`, unspecified `::`, and unicast (everything else but
/// the reserved `::/8` forms other than `::1`, v4-compatible and v4-mapped,
/// which `__ipv6_addr_type` classifies as reserved, not unicast).
fn match_type6<E: Env>(addr: &[u8], mask: u16, dev: Option<&str>, env: &E) -> bool {
    let multicast = addr.first() == Some(&0xff);
    let any = addr.iter().all(|b| *b == 0);
    let unicast = !multicast && ipv6_is_unicast(addr);
    if mask & rtn::MULTICAST != 0 && !multicast {
        return false;
    }
    if mask & rtn::UNICAST != 0 && !unicast {
        return false;
    }
    if mask & rtn::UNSPEC != 0 && !any {
        return false;
    }
    if mask & (rtn::LOCAL | rtn::ANYCAST | rtn::UNREACHABLE) != 0 {
        return mask & env.addr_type(Family::Ipv6, addr, dev) != 0;
    }
    true
}

/// `__ipv6_addr_type` (net/ipv6/addrconf_core.c): whether the type has
/// `IPV6_ADDR_UNICAST`. Every address outside `ff00::/8` is unicast except
/// `::` (`IPV6_ADDR_ANY`) and `::ffff:0:0/96` (`IPV6_ADDR_MAPPED` alone).
fn ipv6_is_unicast(addr: &[u8]) -> bool {
    let Some(a) = addr.get(..16) else {
        return false;
    };
    if a[0] == 0xff || a.iter().all(|b| *b == 0) {
        return false;
    }
    let mapped = a[..10].iter().all(|b| *b == 0) && a[10..12] == [0xff, 0xff];
    !mapped
}

/// `connlimit_mt` (net/netfilter/xt_connlimit.c, Linux 6.18.y with the
/// sk_buff conncount API): the key is the source (or with
/// `--connlimit-daddr` the destination) address masked by
/// `--connlimit-mask`, then the zone id (always 0 in nfsim); the count comes
/// from the host's `nf_conncount` lists ([`Env::conncount`]). A count of 0
/// (no tuple for the packet, or a confirmed connection meeting an emptied
/// list) drops the packet (`hotdrop`); otherwise
/// `(count > limit) ^ invert` (`--connlimit-upto` is the inversion).
///
/// State: `st.a` is the rule's `nf_conncount_data` id (set by the host).
pub(crate) fn connlimit_mt<E: Env>(
    c: &Connlimit,
    pkt: &PacketCtx<'_>,
    st: &mut MatchState,
    env: &mut E,
) -> MatchResult {
    let data: &[u8] = pkt.data;
    let mask = c.mask();
    let mut key = [0u32; 5];
    let (addr, words) = match pkt.family {
        Family::Ipv4 => (data.get(if c.daddr { 16..20 } else { 12..16 }), 1),
        Family::Ipv6 => (data.get(if c.daddr { 24..40 } else { 8..24 }), 4),
    };
    let Some(addr) = addr else {
        return MatchResult::HotDrop;
    };
    for (i, k) in key.iter_mut().take(words).enumerate() {
        let at = i * 4;
        let mut w = [0u8; 4];
        for (j, b) in w.iter_mut().enumerate() {
            *b = addr.get(at + j).copied().unwrap_or(0) & mask[at + j];
        }
        *k = u32::from_be_bytes(w);
    }
    // key[words] = zone->id = 0 (nfsim has only the default zone).
    let n = env.conncount(st, key, pkt);
    if n == 0 {
        return MatchResult::HotDrop;
    }
    ((n > c.limit) ^ c.upto).into()
}

/// `connbytes_mt` (net/netfilter/xt_connbytes.c): no entry or no
/// accounting never matches; the counter is the chosen direction's (or
/// both added) packets, bytes, or bytes / packets (0 while no packet was
/// counted); `from <= v <= to`, or when inverted (`to < from`)
/// `v < to || v > from`. The counters include the current packet (conntrack
/// accounts it in `nf_conntrack_in`, before the filter hooks).
pub(crate) fn connbytes_mt<E: Env>(c: &Connbytes, env: &E) -> bool {
    let Some([(op, ob), (rp, rb)]) = env.ct().and_then(|r| r.entry()?.counters()) else {
        return false;
    };
    let (pkts, bytes) = match c.direction {
        Direction::Original => (op, ob),
        Direction::Reply => (rp, rb),
        Direction::Both => (op.wrapping_add(rp), ob.wrapping_add(rb)),
    };
    let what = match c.what {
        What::Packets => pkts,
        What::Bytes => bytes,
        What::AvgPkt => bytes.checked_div(pkts).unwrap_or(0),
    };
    if c.to >= c.from {
        what <= c.to && what >= c.from
    } else {
        what < c.to || what > c.from
    }
}

/// `XT_LIMIT_SCALE` (include/uapi/linux/netfilter/xt_limit.h).
pub const LIMIT_SCALE: u32 = 10000;

/// `CREDITS_PER_JIFFY` of net/netfilter/xt_limit.c for a tick rate:
/// `POW2_BELOW32(0xFFFFFFFF / (HZ*60*60*24))` (128 at HZ=250, 32 at
/// HZ=1000).
pub fn limit_credits_per_jiffy(hz: u32) -> u32 {
    let per_day = u64::from(hz) * 86_400;
    if per_day == 0 {
        return 0;
    }
    let max_cpj = (u64::from(u32::MAX) / per_day) as u32;
    if max_cpj == 0 {
        0
    } else {
        1 << (31 - max_cpj.leading_zeros())
    }
}

/// `user2credits` (net/netfilter/xt_limit.c): `user * HZ *
/// CREDITS_PER_JIFFY / XT_LIMIT_SCALE`, dividing first when the product
/// would overflow 32 bits (then wrapping as the C arithmetic does).
pub fn limit_user2credits(user: u32, hz: u32) -> u32 {
    let k = hz.wrapping_mul(limit_credits_per_jiffy(hz));
    if k == 0 {
        return 0;
    }
    if user > u32::MAX / k {
        (user / LIMIT_SCALE).wrapping_mul(k)
    } else {
        user * k / LIMIT_SCALE
    }
}

/// `limit_mt_check`'s overflow test: the kernel refuses (ERANGE) a burst
/// of 0 or an `avg * burst` whose credits overflow. (The check that refuses
/// such a rule is the extension's own, `model::matches::limit`; this copy of
/// the formula is what the engine's tests hold it to.)
#[cfg(test)]
pub fn limit_valid(avg: u32, burst: u32, hz: u32) -> bool {
    burst != 0 && limit_user2credits(avg.wrapping_mul(burst), hz) >= limit_user2credits(avg, hz)
}

/// `limit_mt` (net/netfilter/xt_limit.c): a token bucket in credits. At
/// `limit_mt_check` the bucket is full (`user2credits(avg * burst)`, also
/// the cap) and a packet costs `user2credits(avg)`; each packet first adds
/// `(jiffies - prev) * CREDITS_PER_JIFFY` (a 32-bit sum, wrapping as the
/// kernel's `u32 credit_increase`), caps, and matches if a packet's cost
/// can be paid.
///
/// State: `st.a` = `prev` (jiffies), `st.b` = `credit`, `st.c` = cap << 32
/// | cost. The bucket is initialised at the rule's first packet rather than
/// at load time: the same, since it starts full, unless the rule waited
/// about 2^32 credits' worth of jiffies (37 h at HZ=250) for its first
/// packet.
pub fn limit_mt(avg: u32, burst: u32, hz: u32, jiffies: u64, st: &mut MatchState) -> bool {
    if !st.init {
        st.init = true;
        let full = limit_user2credits(avg.wrapping_mul(burst), hz);
        st.a = jiffies;
        st.b = u64::from(full);
        st.c = (u64::from(full) << 32) | u64::from(limit_user2credits(avg, hz));
    }
    let cap = (st.c >> 32) as u32;
    let cost = st.c as u32;
    let cpj = u64::from(limit_credits_per_jiffy(hz));
    let increase = jiffies.wrapping_sub(st.a).wrapping_mul(cpj) as u32;
    st.a = jiffies;
    let mut credit = (st.b as u32).wrapping_add(increase);
    if credit > cap {
        credit = cap;
    }
    let ret = credit >= cost;
    if ret {
        credit -= cost;
    }
    st.b = u64::from(credit);
    ret
}

/// `statistic_mt` nth mode (net/netfilter/xt_statistic.c): the shared
/// counter starts at `count` (iptables stores `every - packet`, `every`
/// being N - 1) and steps `0..=every`; the packet that wraps it to 0
/// matches (`^ invert`). So `--every 3 --packet 1` matches packets 2, 5,
/// 8... (checked on Linux 6.18 for `--packet` 0, 1 and 2).
///
/// State: `st.a` = the counter (`info->master->count`).
pub fn statistic_nth(every: u32, count: u32, invert: bool, st: &mut MatchState) -> bool {
    if !st.init {
        st.init = true;
        st.a = u64::from(count);
    }
    let oval = st.a as u32;
    let nval = if oval == every {
        0
    } else {
        oval.wrapping_add(1)
    };
    st.a = u64::from(nval);
    (nval == 0) ^ invert
}

/// `statistic_mt` random mode: `(get_random_u32() & 0x7FFFFFFF) <
/// probability` (`^ invert`), `random` drawn from the host's seeded
/// generator (so the choice is reproducible, not the kernel's).
pub fn statistic_random(probability: u32, invert: bool, random: u32) -> bool {
    ((random & 0x7FFF_FFFF) < probability) ^ invert
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

/// `statistic_mt` for the model's match: [`statistic_nth`] or
/// [`statistic_random`] with the host's generator.
pub(crate) fn statistic_mt<E: Env>(
    x: &crate::model::matches::statistic::Statistic,
    st: &mut MatchState,
    env: &mut E,
) -> bool {
    use crate::model::matches::statistic::StatisticMode;
    match x.mode {
        StatisticMode::Random { probability } => {
            statistic_random(probability, x.invert, env.random_u32())
        }
        StatisticMode::Nth { every, count, .. } => statistic_nth(every, count, x.invert, st),
    }
}

/// `recent_mt` (net/netfilter/xt_recent.c) for the model's match: the
/// table id is `st.a`, set when the host registered the rule
/// ([`crate::engine::shared::SharedTables::recent_register`], in rule
/// order). The TTL (hop limit) is the packet's, plus one when the packet
/// has an output device and no socket ("TTL as seen before forwarding").
pub(crate) fn recent_mt<E: Env>(
    x: &crate::model::matches::recent::Recent,
    pkt: &PacketCtx<'_>,
    st: &mut MatchState,
    env: &mut E,
) -> bool {
    use crate::engine::shared::{RecentCheck, RecentRule};
    use crate::model::matches::recent::RecentOp;
    let data: &[u8] = pkt.data;
    let v6 = pkt.family == Family::Ipv6;
    let mut addr = [0u8; 16];
    let (range, ttl_at) = match (v6, x.rdest) {
        (false, false) => (12..16, 8),
        (false, true) => (16..20, 8),
        (true, false) => (8..24, 7),
        (true, true) => (24..40, 7),
    };
    let Some(a) = data.get(range) else {
        return x.invert;
    };
    addr[..a.len()].copy_from_slice(a);
    let mut ttl = data.get(ttl_at).copied().unwrap_or(0);
    if !pkt.out_dev.is_empty() && pkt.sk_owner.is_none() {
        ttl = ttl.wrapping_add(1);
    }
    let rule = RecentRule {
        check: match x.op {
            Some(RecentOp::Set) | None => RecentCheck::Set,
            Some(RecentOp::Rcheck) => RecentCheck::Rcheck,
            Some(RecentOp::Update) => RecentCheck::Update,
            Some(RecentOp::Remove) => RecentCheck::Remove,
        },
        invert: x.invert,
        seconds: x.seconds,
        reap: x.reap,
        hit_count: x.hit_count,
        rttl: x.rttl,
    };
    let (hz, jiffies) = (env.hz(), env.jiffies());
    match env.shared_tables() {
        Some(t) if st.init => t.recent_mt(st.a, &rule, v6, &addr, ttl, jiffies, hz),
        _ => x.invert,
    }
}

/// `nfacct_mt` (net/netfilter/xt_nfacct.c): `nfnl_acct_update` counts the
/// packet (one packet, `skb->len` bytes: the L3 packet) into the object
/// `nfacct_mt_checkentry` found (its id in `st.a`, set when the host was
/// built), then `nfnl_acct_overquota` is `NFACCT_NO_QUOTA` for an object
/// without quota (the only kind nfsim models), which is not
/// `NFACCT_UNDERQUOTA`: the match is true. Without the host's tables (an
/// environment with no objects, where the rule could not have loaded)
/// nothing is counted and the match is false.
pub(crate) fn nfacct_mt<E: Env>(pkt: &PacketCtx<'_>, st: &MatchState, env: &mut E) -> bool {
    match env.shared_tables() {
        Some(t) if st.init => {
            t.nfacct.update(st.a, pkt.data.len() as u64);
            true
        }
        _ => false,
    }
}

/// The kernel's `hashlimit_cfg3` of the model's match.
pub(crate) fn hashlimit_cfg(
    x: &crate::model::matches::hashlimit::Hashlimit,
) -> crate::engine::shared::HashlimitCfg {
    crate::engine::shared::HashlimitCfg {
        mode: x.mode,
        avg: x.avg,
        burst: x.burst,
        size: x.size,
        max: x.max,
        gc_interval: x.gc_interval,
        expire: x.expire,
        srcmask: x.srcmask,
        dstmask: x.dstmask,
        interval: x.interval,
    }
}

/// `hashlimit_mt` (net/netfilter/xt_hashlimit.c, revision 3) for the
/// model's match: the table id is `st.a`, set when the host registered the
/// rule ([`crate::engine::shared::SharedTables::hashlimit_register`]).
pub(crate) fn hashlimit_mt<E: Env>(
    x: &crate::model::matches::hashlimit::Hashlimit,
    pkt: &PacketCtx<'_>,
    st: &mut MatchState,
    env: &mut E,
) -> MatchResult {
    let cfg = hashlimit_cfg(x);
    let (hz, jiffies) = (env.hz(), env.jiffies());
    let proto = u8::from(pkt.meta.protocol);
    let Some(t) = env.shared_tables() else {
        return MatchResult::HotDrop;
    };
    if !st.init {
        return MatchResult::HotDrop;
    }
    match t.hashlimit_mt(st.a, &cfg, pkt.data, pkt.meta.thoff, proto, jiffies, hz) {
        Some(b) => b.into(),
        None => MatchResult::HotDrop,
    }
}

/// `quota_mt` (net/netfilter/xt_quota.c): while `skb->len` fits in the
/// bytes left, subtract it and match (`!invert`); the first packet that does
/// not fit empties the quota for good and answers `invert`.
///
/// State: `st.a` = bytes left (`priv->quota`), set from `--quota` on first
/// use (`quota_mt_check`).
pub(crate) fn quota_mt(q: &Quota, pkt: &PacketCtx<'_>, st: &mut MatchState) -> bool {
    if !st.init {
        st.init = true;
        st.a = q.quota;
    }
    let len = pkt.data.len() as u64;
    let mut ret = q.invert;
    if st.a >= len {
        st.a -= len;
        ret = !ret;
    } else {
        st.a = 0;
    }
    ret
}

/// The kernel's `toupper` (include/linux/ctype.h with lib/ctype.c's
/// ISO-8859-1 table): `a`-`z` and the Latin-1 lower-case letters
/// 0xDF-0xFF except 0xF7 map down by 0x20.
#[inline]
fn k_toupper(c: u8) -> u8 {
    if c.is_ascii_lowercase() || (c >= 0xdf && c != 0xf7) {
        c - 0x20
    } else {
        c
    }
}

/// `string_mt` (net/netfilter/xt_string.c) with `skb_find_text`
/// (net/core/skbuff.c): the search runs over the packet from `--from`
/// (offset from the network header) and an occurrence counts only if it
/// ends at or before `--to` (`ret + patlen <= to - from`). The first
/// occurrence is what ts_bm / ts_kmp return; since any later occurrence
/// ends later, "some occurrence lies inside `[from, min(to, len))`" is the
/// same answer. Both algorithms compare with the kernel's `toupper` when
/// `--icase` is given (pattern upper-cased in `bm_init` / `kmp_init`).
/// nfsim packets are linear, so ts_bm's blindness to matches spanning
/// skb fragments does not arise.
pub(crate) fn string_mt(s: &StringMatch, pkt: &PacketCtx<'_>) -> bool {
    let data: &[u8] = pkt.data;
    let from = usize::from(s.from);
    let to = usize::from(s.to).min(data.len());
    let found = match data.get(from..to) {
        Some(text) => find(text, &s.pattern, s.icase),
        None => false,
    };
    found ^ s.invert
}

fn find(text: &[u8], pat: &[u8], icase: bool) -> bool {
    if pat.is_empty() {
        // iptables refuses an empty pattern; textsearch would answer 0.
        return true;
    }
    if pat.len() > text.len() {
        return false;
    }
    text.windows(pat.len()).any(|w| {
        if icase {
            w.iter()
                .zip(pat)
                .all(|(t, p)| k_toupper(*t) == k_toupper(*p))
        } else {
            w == pat
        }
    })
}

/// `u32_match_it` / `u32_mt` (net/netfilter/xt_u32.c): every test must
/// hold; a read outside the packet makes the whole match false (before the
/// inversion is applied). Shifts are at most 31 bits (`U32::evaluable`).
pub(crate) fn u32_mt(u: &U32, pkt: &PacketCtx<'_>) -> bool {
    u32_match_it(u, pkt.data) ^ u.invert
}

fn u32_match_it(u: &U32, data: &[u8]) -> bool {
    let len = data.len() as u64;
    for t in &u.tests {
        let Some(&(_, first)) = t.location.first() else {
            return false;
        };
        let mut at: u32 = 0;
        let pos = u64::from(first);
        if len < 4 || pos > len - 4 {
            return false;
        }
        let mut val = rd_u32(data, pos as usize);
        for &(op, number) in t.location.iter().skip(1) {
            match op {
                Some(Op::And) => val &= number,
                Some(Op::LeftShift) => val = val.wrapping_shl(number),
                Some(Op::RightShift) => val = val.wrapping_shr(number),
                Some(Op::At) => {
                    let Some(nat) = at.checked_add(val) else {
                        return false;
                    };
                    at = nat;
                    let pos = u64::from(number);
                    let at64 = u64::from(at);
                    if at.checked_add(4).is_none() || len < at64 + 4 || pos > len - at64 - 4 {
                        return false;
                    }
                    val = rd_u32(data, (at64 + pos) as usize);
                }
                // Only the first location has no operator.
                None => return false,
            }
        }
        if !t.values.iter().any(|&(min, max)| min <= val && val <= max) {
            return false;
        }
    }
    true
}

/// `helper_mt` (net/netfilter/xt_helper.c): the answer is `invert` unless
/// the packet's conntrack entry has a master whose helper is known. nfsim
/// runs no conntrack helpers, so no entry ever has a master (expectations
/// only come from helpers): the kernel's answer is exactly `invert`, with
/// or without an entry.
#[inline]
pub(crate) fn helper_mt(h: &Helper) -> bool {
    h.invert
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Host, HostConfig, InterfaceConfig, Outcome};
    use crate::model::Ruleset;
    use crate::replay::TraceCollector;
    use crate::syntax::{parse_restore, RestoreOptions};
    use crate::time::Instant;

    /// UDP 192.0.2.20:50002 -> 192.0.2.1:137, one payload byte `q` (29 bytes).
    fn v4_udp() -> Vec<u8> {
        crate::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .udp(50002, 137)
            .payload(b"q")
            .build()
    }
    /// UDP [2001:db8::20]:52994 -> [2001:db8::1]:9, one payload byte `q`.
    fn v6_udp() -> Vec<u8> {
        v6_udp_from(core::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x20))
    }
    /// [`v6_udp`] from another source.
    fn v6_udp_from(src: core::net::Ipv6Addr) -> Vec<u8> {
        let dst = core::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
        crate::wire::PacketBuilder::ipv6(src, dst)
            .udp(52994, 9)
            .payload(b"q")
            .build()
    }

    fn host(v4: &str, v6: &str) -> Host {
        let r4 = if v4.is_empty() {
            Ruleset::new(Family::Ipv4)
        } else {
            parse_restore(v4, &RestoreOptions::new(Family::Ipv4)).unwrap()
        };
        let r6 = if v6.is_empty() {
            Ruleset::new(Family::Ipv6)
        } else {
            parse_restore(v6, &RestoreOptions::new(Family::Ipv6)).unwrap()
        };
        let cfg = HostConfig {
            interfaces: vec![
                InterfaceConfig {
                    name: "eth0".into(),
                    mac: [2, 0, 0, 0, 0, 1],
                    addrs: vec![
                        "192.0.2.1/24".parse().unwrap(),
                        "2001:db8::1/64".parse().unwrap(),
                    ],
                    peer_mac: [2, 0, 0, 0, 0, 2],
                },
                InterfaceConfig {
                    name: "eth1".into(),
                    mac: [2, 0, 0, 0, 1, 1],
                    addrs: vec!["198.51.100.1/24".parse().unwrap()],
                    peer_mac: [2, 0, 0, 0, 1, 2],
                },
            ],
            ..HostConfig::default()
        };
        Host::new(&cfg, &r4, &r6).unwrap()
    }

    fn filter(rules: &[&str]) -> String {
        let mut s = String::from(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n",
        );
        for r in rules {
            s.push_str(r);
            s.push('\n');
        }
        s.push_str("COMMIT\n");
        s
    }

    /// `-m nfacct`: checkentry needs the object; nfacct_mt counts one
    /// packet and skb->len bytes per evaluation (IPv4 and IPv6 share the
    /// namespace's objects) and matches (no quota).
    #[test]
    fn nfacct_counts_and_matches() {
        let v4 = filter(&[
            "-A INPUT -m nfacct --nfacct-name in",
            "-A INPUT -m nfacct --nfacct-name in -j DROP",
        ]);
        let v6 = "*filter\n-A INPUT -m nfacct --nfacct-name in\nCOMMIT\n";
        let objects = [crate::model::ByteStr::from("in"), "other".into()];
        let o4 = RestoreOptions::new(Family::Ipv4).with_nfacct(&objects);
        assert_eq!(
            parse_restore(&v4, &RestoreOptions::new(Family::Ipv4))
                .unwrap_err()
                .message,
            "xt_nfacct: accounting object `in' does not exist"
        );
        let r4 = parse_restore(&v4, &o4).unwrap();
        let r6 =
            parse_restore(v6, &RestoreOptions::new(Family::Ipv6).with_nfacct(&objects)).unwrap();
        let base = HostConfig {
            interfaces: vec![InterfaceConfig {
                name: "eth0".into(),
                mac: [2, 0, 0, 0, 0, 1],
                addrs: vec![
                    "192.0.2.1/24".parse().unwrap(),
                    "2001:db8::1/64".parse().unwrap(),
                ],
                peer_mac: [2, 0, 0, 0, 0, 2],
            }],
            ..HostConfig::default()
        };
        // Without the objects the host refuses the rules, as the kernel does.
        assert!(Host::new(&base, &r4, &r6).is_err());
        let cfg = base.clone().nfacct("in").nfacct("other");
        let mut h = Host::new(&cfg, &r4, &r6).unwrap();
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), vec![1, 2]);
        let mut out = Outcome::default();
        let mut sink = TraceCollector::default();
        let d = h.device_index("eth0").unwrap();
        h.receive(d, &v6_udp(), Instant::from_millis(1), &mut out, &mut sink);
        // Two rules count the IPv4 packet (29 bytes), one the IPv6 one (49).
        assert_eq!(h.nfacct_counters("in"), Some((3, 29 + 29 + 49)));
        assert_eq!(h.nfacct_counters("other"), Some((0, 0)));
        assert_eq!(h.nfacct_counters("none"), None);
        assert_eq!(
            h.nfacct_list(),
            "{ pkts = 00000000000000000003, bytes = 00000000000000000107 } = in;\n\
             { pkts = 00000000000000000000, bytes = 00000000000000000000 } = other;\n"
        );
        // Declared twice, or a name the kernel refuses: an error.
        assert!(Host::new(&base.clone().nfacct("in").nfacct("in"), &r4, &r6).is_err());
        assert!(Host::new(&base.clone().nfacct("in").nfacct(""), &r4, &r6).is_err());
        // A longer name is cut to 31 bytes, as `nfacct add` cuts it: it
        // then names the same object as "in" + 29 bytes would.
        let long = format!("in{}", "x".repeat(38));
        let h = Host::new(&base.nfacct("in").nfacct(long.as_str()), &r4, &r6).unwrap();
        assert_eq!(
            h.nfacct_counters(&long[..31]),
            Some((0, 0)),
            "{}",
            h.nfacct_list()
        );
    }

    /// Numbers of the rules of `chain` ("table:CHAIN") that matched the
    /// packet received on `dev` at `at_ms`.
    fn hits(h: &mut Host, chain: &str, dev: &str, pkt: &[u8], at_ms: u64) -> Vec<u32> {
        let mut out = Outcome::default();
        let mut sink = TraceCollector::default();
        let d = h.device_index(dev).unwrap();
        h.receive(d, pkt, Instant::from_millis(at_ms), &mut out, &mut sink);
        let prefix = format!("{chain}:rule:");
        sink.records
            .iter()
            .filter_map(|r| r.strip_prefix(prefix.as_str()))
            .map(|n| n.parse().unwrap())
            .collect()
    }

    /// Numbers of the INPUT rules that matched, for each packet received on `dev`.
    fn input_hits(h: &mut Host, dev: &str, pkt: &[u8], at_ms: u64) -> Vec<u32> {
        hits(h, "filter:INPUT", dev, pkt, at_ms)
    }

    fn with_dst(mut p: Vec<u8>, dst: [u8; 4]) -> Vec<u8> {
        p[16..20].copy_from_slice(&dst);
        // Recompute the IPv4 header checksum.
        p[10] = 0;
        p[11] = 0;
        let c = crate::wire::checksum::ipv4_header(&p[..20]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p
    }

    /// Numbers of the mangle PREROUTING rules that matched.
    fn prerouting_hits(h: &mut Host, dev: &str, pkt: &[u8]) -> Vec<u32> {
        hits(h, "mangle:PREROUTING", dev, pkt, 0)
    }

    fn with_src(mut p: Vec<u8>, src: [u8; 4]) -> Vec<u8> {
        let dst = [p[16], p[17], p[18], p[19]];
        p[12..16].copy_from_slice(&src);
        with_dst(p, dst)
    }

    #[test]
    fn rpfilter_strict_loose_invert_accept_local() {
        let rules =
            "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
                     :OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
                     -A PREROUTING -m rpfilter\n\
                     -A PREROUTING -m rpfilter --loose\n\
                     -A PREROUTING -m rpfilter --invert\n\
                     -A PREROUTING -m rpfilter --accept-local\n\
                     COMMIT\n";
        let mut h = host(rules, "");
        // 192.0.2.20 is routed through eth0 (connected); no default route.
        assert_eq!(prerouting_hits(&mut h, "eth0", &v4_udp()), [1, 2, 4]);
        assert_eq!(prerouting_hits(&mut h, "eth1", &v4_udp()), [2, 3]);
        let unrouted = with_src(v4_udp(), [203, 0, 113, 9]);
        assert_eq!(prerouting_hits(&mut h, "eth0", &unrouted), [3]);
        // The host's own address: a local route, on eth0.
        let own = with_src(v4_udp(), [192, 0, 2, 1]);
        assert_eq!(prerouting_hits(&mut h, "eth0", &own), [3, 4]);
        assert_eq!(prerouting_hits(&mut h, "eth1", &own), [3]);
        // A zero-net source to the limited broadcast always passes.
        let dhcp = with_dst(with_src(v4_udp(), [0, 0, 0, 0]), [255, 255, 255, 255]);
        assert_eq!(prerouting_hits(&mut h, "eth1", &dhcp), [1, 2, 4]);
    }

    #[test]
    fn rpfilter_ipv6() {
        let rules =
            "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n\
                     :OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
                     -A PREROUTING -m rpfilter\n\
                     -A PREROUTING -m rpfilter --loose\n\
                     -A PREROUTING -m rpfilter --accept-local\n\
                     COMMIT\n";
        let mut h = host("", rules);
        // 2001:db8::20 is on eth0's connected prefix.
        assert_eq!(prerouting_hits(&mut h, "eth0", &v6_udp()), [1, 2, 3]);
        assert_eq!(prerouting_hits(&mut h, "eth1", &v6_udp()), [2]);
        // Unspecified source: matches; the host's own address: accept-local only.
        let p = v6_udp_from(core::net::Ipv6Addr::UNSPECIFIED);
        assert_eq!(prerouting_hits(&mut h, "eth1", &p), [1, 2, 3]);
        let p = v6_udp_from("2001:db8::1".parse().unwrap());
        assert_eq!(prerouting_hits(&mut h, "eth1", &p), [3]);
    }

    #[test]
    fn mark_and_inversion() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m mark --mark 0",
                "-A INPUT -m mark ! --mark 0x1/0x1",
                "-A INPUT -m mark --mark 0x1",
                "-A INPUT -j MARK --set-mark 0x3",
                "-A INPUT -m mark --mark 0x1/0x1",
                "-A INPUT -m mark ! --mark 0x3",
            ]),
            "",
        );
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 4, 5]);
    }

    #[test]
    fn connmark_needs_an_entry_and_sees_target_changes() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m connmark --mark 0",
                "-A INPUT -j CONNMARK --set-mark 0x5",
                "-A INPUT -m connmark --mark 0x4/0x4",
                "-A INPUT -m connmark ! --mark 0x5",
            ]),
            "",
        );
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 3]);
        // The entry keeps its mark for the next packet of the flow.
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 10), [2, 3]);
        // Untracked: no entry, even the inverted test fails.
        let mut h = host(
            &format!(
                "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j CT --notrack\nCOMMIT\n{}",
                filter(&["-A INPUT -m connmark ! --mark 0x5", "-A INPUT -m connmark --mark 0"])
            ),
            "",
        );
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), Vec::<u32>::new());
    }

    #[test]
    fn addrtype_v4() {
        let rules = filter(&[
            "-A INPUT -m addrtype --dst-type LOCAL",
            "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in",
            "-A INPUT -m addrtype --dst-type BROADCAST",
            "-A INPUT -m addrtype --dst-type BROADCAST --limit-iface-in",
            "-A INPUT -m addrtype --dst-type UNICAST",
            "-A INPUT -m addrtype --src-type UNICAST ! --dst-type LOCAL",
            "-A INPUT -m addrtype --dst-type MULTICAST",
            "-A INPUT -m addrtype --dst-type UNICAST --limit-iface-in",
        ]);
        let mut h = host(&rules, "");
        let p = v4_udp(); // 192.0.2.20 -> 192.0.2.1
        assert_eq!(input_hits(&mut h, "eth0", &p, 0), [1, 2]);
        // Our eth0 address arriving on eth1: LOCAL, but not for eth1.
        assert_eq!(input_hits(&mut h, "eth1", &p, 1), [1, 8]);
        let b = with_dst(v4_udp(), [192, 0, 2, 255]);
        assert_eq!(input_hits(&mut h, "eth0", &b, 2), [3, 4, 6]);
        let b = with_dst(v4_udp(), [255, 255, 255, 255]);
        assert_eq!(input_hits(&mut h, "eth0", &b, 3), [3, 4, 6]);
        // Multicast, looked at in PREROUTING (whatever the host does next).
        let mut h = host(
            "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -m addrtype --dst-type MULTICAST\n-A PREROUTING -m addrtype --dst-type MULTICAST --limit-iface-in\n-A PREROUTING -m addrtype --dst-type UNICAST,LOCAL\nCOMMIT\n",
            "",
        );
        let m = with_dst(v4_udp(), [224, 0, 0, 1]);
        let mut out = Outcome::default();
        let mut sink = TraceCollector::default();
        h.receive(1, &m, Instant::from_millis(4), &mut out, &mut sink);
        let pre: Vec<&String> = sink
            .records
            .iter()
            .filter(|r| r.starts_with("mangle:PREROUTING:"))
            .collect();
        assert_eq!(
            pre,
            [
                "mangle:PREROUTING:rule:1",
                "mangle:PREROUTING:rule:2",
                "mangle:PREROUTING:policy:4"
            ]
        );
    }

    #[test]
    fn addrtype_v4_env() {
        let h = host("", "");
        let env_of = |a: &[u8], dev: Option<&str>| -> u16 {
            crate::host::targets::host_addr_type(
                &h.stack.conf.fib4,
                &h.stack.conf.devs,
                Family::Ipv4,
                a,
                dev,
            )
        };
        // Every case below checked against Linux 6.18 in a netns.
        assert_eq!(env_of(&[0, 0, 0, 0], Some("eth1")), 3);
        assert_eq!(env_of(&[0, 1, 2, 3], None), 1);
        assert_eq!(env_of(&[127, 0, 0, 9], None), 2);
        assert_eq!(env_of(&[127, 0, 0, 9], Some("lo")), 2);
        assert_eq!(env_of(&[127, 0, 0, 9], Some("eth0")), 1);
        assert_eq!(env_of(&[127, 255, 255, 255], None), 3);
        assert_eq!(env_of(&[192, 0, 2, 0], None), 1);
        assert_eq!(env_of(&[198, 51, 100, 255], Some("eth1")), 3);
        assert_eq!(env_of(&[198, 51, 100, 255], Some("eth0")), 1);
        assert_eq!(env_of(&[203, 0, 113, 1], None), 1);
        assert_eq!(env_of(&[239, 1, 1, 1], Some("eth0")), 5);
        assert_eq!(env_of(&[1, 2, 3], None), 1);
    }

    #[test]
    fn addrtype_v6() {
        let rules = filter(&[
            "-A INPUT -m addrtype --dst-type LOCAL",
            "-A INPUT -m addrtype --src-type UNICAST",
            "-A INPUT -m addrtype ! --src-type LOCAL",
            "-A INPUT -m addrtype --dst-type MULTICAST",
            "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in",
            "-A INPUT -m addrtype --dst-type UNREACHABLE",
            "-A INPUT -m addrtype --dst-type LOCAL,UNICAST",
            "-A INPUT -m addrtype --dst-type ANYCAST",
            "-A INPUT -m addrtype --src-type UNREACHABLE",
            "-A INPUT -m addrtype --src-type UNREACHABLE --limit-iface-in",
            "-A INPUT -m addrtype --src-type LOCAL,UNICAST,ANYCAST --dst-type LOCAL",
        ]);
        let mut h = host("", &rules);
        // 2001:db8::20 -> 2001:db8::1 (eth0's address) on eth0.
        assert_eq!(input_hits_v6(&mut h, &v6_udp()), [1, 2, 3, 5, 7]);
        // From outside every prefix (this host has no IPv6 default route):
        // the source is UNREACHABLE, with and without the device.
        let mut p = v6_udp();
        p[8..24].copy_from_slice(
            &"2001:db8:9::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        assert_eq!(input_hits(&mut h, "eth0", &p, 1), [1, 2, 3, 5, 7, 9, 10]);
    }

    /// `match_lookup_rt6` against `ip -6 route get ADDR [oif DEV]` (the same
    /// `ip6_route_output(net, NULL, fl6)`) on Linux 6.18 in a netns: eth0
    /// 2001:db8::1/64, eth1 2001:db8:1::1/64, default via 2001:db8:1::2,
    /// forwarding off, then on (anycast routes of the local table).
    #[test]
    fn match_lookup_rt6_like_route_get() {
        use crate::host::targets::match_lookup_rt6;
        const L: u16 = 1 << 2;
        const A: u16 = 1 << 4;
        const U: u16 = 1 << 7;
        for fwd in [0, 1] {
            let cfg = HostConfig {
                interfaces: vec![
                    InterfaceConfig {
                        name: "eth0".into(),
                        mac: [2, 0, 0, 0, 0, 1],
                        addrs: vec!["2001:db8::1/64".parse().unwrap()],
                        peer_mac: [2, 0, 0, 0, 0, 2],
                    },
                    InterfaceConfig {
                        name: "eth1".into(),
                        mac: [2, 0, 0, 0, 1, 1],
                        addrs: vec!["2001:db8:1::1/64".parse().unwrap()],
                        peer_mac: [2, 0, 0, 0, 1, 2],
                    },
                ],
                routes: vec![crate::host::RouteConfig {
                    dst: "::/0".parse().unwrap(),
                    via: Some("2001:db8:1::2".parse().unwrap()),
                    dev: Some("eth1".into()),
                }],
                sysctls: vec![("net.ipv6.conf.all.forwarding".into(), fwd)],
                ..HostConfig::default()
            };
            let h = Host::new(
                &cfg,
                &Ruleset::new(Family::Ipv4),
                &Ruleset::new(Family::Ipv6),
            )
            .unwrap();
            let t = |a: &str, dev: Option<usize>| {
                let a = a.parse::<std::net::Ipv6Addr>().unwrap().octets();
                match_lookup_rt6(&h.stack.conf.fib6, h.stack.conf.devs.len(), a, dev)
            };
            let (lo, e0, e1) = (Some(0), Some(1), Some(2));
            // Columns: no device, eth0, eth1, lo.
            let cases: [(&str, [u16; 4]); 8] = [
                ("2001:db8::1", [L, L, 0, U]),
                ("2001:db8::", [A, A, 0, U]),
                ("2001:db8:1::", [A, U, A, U]),
                ("2001:db8::5", [0, 0, 0, U]),
                ("fe80::1", [0, U, 0, U]),
                ("ff02::1", [0, 0, 0, U]),
                ("::1", [L, U, 0, L]),
                ("2001:db8:5::1", [0, U, 0, U]),
            ];
            for (a, want) in cases {
                let got = [t(a, None), t(a, e0), t(a, e1), t(a, lo)];
                assert_eq!(got, want, "{a} forwarding={fwd}");
            }
        }
    }

    /// Linux 6.18.44 in a netns, mangle PREROUTING: the same hits.
    #[test]
    fn addrtype_v6_prerouting() {
        let mut h = host(
            "",
            "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n\
             -A PREROUTING -m addrtype --dst-type LOCAL\n\
             -A PREROUTING -m addrtype --src-type UNICAST\n\
             -A PREROUTING -m addrtype ! --src-type LOCAL\n\
             -A PREROUTING -m addrtype --dst-type MULTICAST\n\
             -A PREROUTING -m addrtype --src-type UNSPEC\n\
             -A PREROUTING -m addrtype --dst-type MULTICAST,LOCAL\n\
             COMMIT\n",
        );
        let a = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
        let cases: [(&str, &str, &[u32]); 5] = [
            ("2001:db8::20", "2001:db8::1", &[1, 2, 3]),
            ("2001:db8::20", "ff02::1", &[2, 3, 4]),
            ("::", "2001:db8::1", &[1, 3, 5]),
            ("::ffff:192.0.2.9", "2001:db8::1", &[1, 3]),
            ("2001:db8::1", "2001:db8::5", &[2]),
        ];
        for (i, (src, dst, want)) in cases.iter().enumerate() {
            let mut p = v6_udp();
            p[8..24].copy_from_slice(&a(src));
            p[24..40].copy_from_slice(&a(dst));
            let mut out = Outcome::default();
            let mut sink = TraceCollector::default();
            h.receive(1, &p, Instant::from_millis(i as u64), &mut out, &mut sink);
            let got: Vec<u32> = sink
                .records
                .iter()
                .filter_map(|r| r.strip_prefix("mangle:PREROUTING:rule:"))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(&got, want, "{src} -> {dst}");
        }
    }

    fn input_hits_v6(h: &mut Host, pkt: &[u8]) -> Vec<u32> {
        input_hits(h, "eth0", pkt, 0)
    }

    #[test]
    fn ipv6_classes() {
        let a = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
        assert!(ipv6_is_unicast(&a("2001:db8::1")));
        assert!(ipv6_is_unicast(&a("::1")));
        assert!(ipv6_is_unicast(&a("::192.0.2.1")));
        assert!(ipv6_is_unicast(&a("fe80::1")));
        assert!(!ipv6_is_unicast(&a("::")));
        assert!(!ipv6_is_unicast(&a("::ffff:192.0.2.1")));
        assert!(!ipv6_is_unicast(&a("ff02::1")));
        assert!(!ipv6_is_unicast(&[0; 3]));
    }

    #[test]
    fn quota_counts_down_then_closes() {
        // V4_UDP is 29 bytes: 2 packets fit in 60, the third empties it.
        let mut h = host(
            &filter(&[
                "-A INPUT -m quota --quota 60",
                "-A INPUT -m quota ! --quota 29",
            ]),
            "",
        );
        let p = v4_udp();
        assert_eq!(input_hits(&mut h, "eth0", &p, 0), [1]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 1), [1, 2]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 2), [2]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 3), [2]);
    }

    #[test]
    fn string_window_and_icase() {
        // V4_UDP payload is the single byte 0x71 ('q') at offset 28.
        let mut h = host(
            &filter(&[
                "-A INPUT -m string --string q --algo bm",
                "-A INPUT -m string --string Q --algo kmp --icase",
                "-A INPUT -m string --string q --algo bm --to 28",
                "-A INPUT -m string --string q --algo kmp --from 28 --to 29",
                "-A INPUT -m string ! --string Q --algo bm",
                "-A INPUT -m string --hex-string |c0000214| --algo bm --to 16",
                "-A INPUT -m string --hex-string |c0000214| --algo bm --to 15",
                "-A INPUT -m string --string q --algo bm --from 29",
            ]),
            "",
        );
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [1, 2, 4, 5, 6]);
        assert_eq!(k_toupper(b'a'), b'A');
        assert_eq!(k_toupper(0xe9), 0xc9);
        assert_eq!(k_toupper(0xf7), 0xf7);
        assert_eq!(k_toupper(0xdf), 0xbf);
        assert!(find(b"xx\xe9x", b"\xc9", true));
        // Linux 6.18 in a netns: text 0xdf matches |bf| with --icase, 0xff
        // does not match |df|, 0xd7 does not match |f7|.
        assert!(find(b"\xdf", b"\xbf", true));
        assert!(!find(b"\xff", b"\xdf", true));
        assert!(!find(b"\xd7", b"\xf7", true));
    }

    #[test]
    fn string_fsm_refused() {
        let rs = parse_restore(
            filter(&["-A INPUT -m string --string q --algo fsm"]),
            &RestoreOptions::new(Family::Ipv4),
        );
        if let Ok(rs) = rs {
            assert!(Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6)).is_err());
        }
    }

    #[test]
    fn u32_tests() {
        let mut h = host(
            &filter(&[
                // IPv4, protocol UDP.
                "-A INPUT -m u32 --u32 \"0>>28=4&&6&0xFF=17\"",
                // UDP destination port 9 through the header length.
                "-A INPUT -m u32 --u32 \"0>>22&0x3C@0>>16=0xc352\"",
                "-A INPUT -m u32 --u32 \"0>>22&0x3C@0&0xFFFF=0x89\"",
                // Reading beyond the end fails, also inverted.
                "-A INPUT -m u32 --u32 \"26=0:0xffffffff\"",
                "-A INPUT -m u32 ! --u32 \"26=0:0xffffffff\"",
                "-A INPUT -m u32 --u32 \"25=0:0xffffffff\"",
                "-A INPUT -m u32 ! --u32 \"0>>28=6\"",
                "-A INPUT -m u32 --u32 \"0<<31=0x80000000\"",
            ]),
            "",
        );
        assert_eq!(
            input_hits(&mut h, "eth0", &v4_udp(), 0),
            [1, 2, 3, 5, 6, 7, 8]
        );
    }

    #[test]
    fn u32_wide_shift_refused() {
        let rs = parse_restore(
            filter(&["-A INPUT -m u32 --u32 \"0<<32=0\""]),
            &RestoreOptions::new(Family::Ipv4),
        );
        if let Ok(rs) = rs {
            assert!(Host::new(&HostConfig::default(), &rs, &Ruleset::new(Family::Ipv6)).is_err());
        }
    }

    fn udp_from(sport: u16, src_last: u8) -> Vec<u8> {
        let mut p = v4_udp();
        p[15] = src_last;
        p[20..22].copy_from_slice(&sport.to_be_bytes());
        p[26] = 0; // no UDP checksum
        p[27] = 0;
        let d = [p[16], p[17], p[18], p[19]];
        with_dst(p, d)
    }

    /// The same packets and rules in a netns on Linux 6.18.44 gave the same
    /// rule hits (counters read without `-Z`: an iptables-legacy zeroing
    /// replaces the table and so empties the connlimit lists).
    #[test]
    fn connlimit_counts_connections_per_source() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m connlimit --connlimit-above 1",
                "-A INPUT -m connlimit --connlimit-upto 1 --connlimit-mask 24",
                "-A INPUT -m connlimit --connlimit-above 2 --connlimit-daddr",
            ]),
            "",
        );
        // Flow A, first packet: 1 connection everywhere.
        assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 20), 0), [2]);
        // Flow B from the same source: 2.
        assert_eq!(input_hits(&mut h, "eth0", &udp_from(1001, 20), 100), [1]);
        // Flow A again (confirmed: nothing added): still 2.
        assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 20), 200), [1]);
        // Flow C from another source in the /24: 1 for its address, 3 for
        // the /24 and for the destination.
        assert_eq!(input_hits(&mut h, "eth0", &udp_from(1000, 21), 300), [3]);
        // A lone non-first fragment matches no rule (no tuple: hotdrop at
        // rule 1; the kernel holds it for reassembly instead).
        let mut f = udp_from(1002, 22);
        f[6] = 0x00;
        f[7] = 0x10;
        let d = [f[16], f[17], f[18], f[19]];
        let f = with_dst(f, d);
        assert_eq!(input_hits(&mut h, "eth0", &f, 400), Vec::<u32>::new());
    }

    /// Same rules and packets on Linux 6.18.44 in a netns: same hits.
    #[test]
    fn connbytes_counts_the_flow() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m connbytes --connbytes 2: --connbytes-dir original --connbytes-mode packets",
                "-A INPUT -m connbytes --connbytes 30:58 --connbytes-dir both --connbytes-mode bytes",
                "-A INPUT -m connbytes ! --connbytes 30:58 --connbytes-dir original --connbytes-mode bytes",
                "-A INPUT -m connbytes --connbytes 29:29 --connbytes-dir original --connbytes-mode avgpkt",
                "-A INPUT -m connbytes --connbytes 0:0 --connbytes-dir reply --connbytes-mode avgpkt",
            ]),
            "",
        );
        let p = udp_from(3000, 40);
        assert_eq!(input_hits(&mut h, "eth0", &p, 0), [3, 4, 5]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 150), [1, 2, 4, 5]);
        assert_eq!(input_hits(&mut h, "eth0", &p, 300), [1, 3, 4, 5]);
    }

    #[test]
    fn limit_arithmetic() {
        assert_eq!(limit_credits_per_jiffy(250), 128);
        assert_eq!(limit_credits_per_jiffy(1000), 32);
        assert_eq!(limit_credits_per_jiffy(100), 256);
        // 5/s: avg 2000 (1/10000 s) costs 50 jiffies of credits at HZ=250.
        assert_eq!(limit_user2credits(2000, 250), 50 * 128);
        // Division first when the product would overflow.
        assert_eq!(
            limit_user2credits(u32::MAX, 250),
            429_496u32.wrapping_mul(32_000)
        );
        assert!(limit_valid(2000, 3, 250));
        assert!(!limit_valid(2000, 0, 250));
        assert!(!limit_valid(100_000_000, 43, 250));
        // The kernel's check misses wraps that land on equal credits.
        assert!(limit_valid(u32::MAX, 2, 250));
    }

    /// Linux 6.18 (HZ=250), `--limit 5/s --limit-burst 3`, ten packets 60 ms
    /// apart: five matched.
    #[test]
    fn limit_token_bucket() {
        let mut st = MatchState::default();
        let hits: Vec<usize> = (0..10u64)
            .filter(|i| limit_mt(2000, 3, 250, 1_000_000 + i * 15, &mut st))
            .map(|i| i as usize + 1)
            .collect();
        assert_eq!(hits, [1, 2, 3, 5, 8]);
        // An idle bucket refills only up to the burst.
        let mut st = MatchState::default();
        assert!(limit_mt(2000, 1, 250, 0, &mut st));
        assert!(!limit_mt(2000, 1, 250, 49, &mut st));
        assert!(limit_mt(2000, 1, 250, 1_000_000, &mut st));
        assert!(!limit_mt(2000, 1, 250, 1_000_001, &mut st));
    }

    #[test]
    fn statistic_modes() {
        // --every 3 --packet P: count starts at every - P (every = 2).
        let run = |count, invert, n| {
            let mut st = MatchState::default();
            (0..n)
                .map(|_| statistic_nth(2, count, invert, &mut st))
                .collect::<Vec<bool>>()
        };
        assert_eq!(run(2, false, 6), [true, false, false, true, false, false]);
        assert_eq!(run(1, false, 6), [false, true, false, false, true, false]);
        assert_eq!(run(0, false, 3), [false, false, true]);
        assert_eq!(run(1, true, 3), [true, false, true]);
        assert!(statistic_random(0x4000_0000, false, 0x3fff_ffff));
        assert!(!statistic_random(0x4000_0000, false, 0xc000_0000));
        assert!(statistic_random(0x4000_0000, false, 0x8000_0001));
        assert!(!statistic_random(0x8000_0000, true, 5));
    }

    #[test]
    fn owner_rules() {
        let sk = Some((1000, 100));
        assert!(owner_mt(Some(((1000, 1000), false)), None, None, sk));
        assert!(!owner_mt(Some(((1000, 1000), true)), None, None, sk));
        assert!(owner_mt(None, Some(((0, 200), false)), None, sk));
        assert!(!owner_mt(None, None, Some(true), sk));
        assert!(owner_mt(None, None, Some(false), sk));
        // No socket: only all-inverted rules match.
        assert!(!owner_mt(Some(((1000, 1000), false)), None, None, None));
        assert!(owner_mt(Some(((1000, 1000), true)), None, Some(true), None));
        assert!(!owner_mt(
            Some(((1000, 1000), true)),
            None,
            Some(false),
            None
        ));
    }

    /// Limit and hashlimit as measured on Linux 6.18 (see the shared
    /// tests), recent as its netns check, statistic nth as checked.
    #[test]
    fn wired_limit_recent_statistic_hashlimit() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m limit --limit 5/s --limit-burst 3",
                "-A INPUT -m recent --name t1 --rcheck --seconds 60 --hitcount 3",
                "-A INPUT -m recent --name t1 --set",
                "-A INPUT -m statistic --mode nth --every 3 --packet 1",
                "-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name h1",
            ]),
            "",
        );
        let mut per_rule = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for i in 0..10u64 {
            for r in input_hits(&mut h, "eth0", &udp_from(6000, 20), 1000 + i * 60) {
                per_rule[r as usize - 1].push(i + 1);
            }
        }
        assert_eq!(per_rule[0], [1, 2, 3, 5, 8]);
        assert_eq!(per_rule[1], [4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(per_rule[2].len(), 10);
        assert_eq!(per_rule[3], [2, 5, 8]);
        assert_eq!(per_rule[4], [1, 2, 3, 5, 8]);
    }

    #[test]
    fn helper_is_its_inversion() {
        let mut h = host(
            &filter(&[
                "-A INPUT -m helper --helper ftp",
                "-A INPUT -m helper ! --helper ftp",
            ]),
            "",
        );
        assert_eq!(input_hits(&mut h, "eth0", &v4_udp(), 0), [2]);
    }
}
