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
pub(crate) fn ipv6_is_unicast(addr: &[u8]) -> bool {
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
pub(crate) fn k_toupper(c: u8) -> u8 {
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

pub(crate) fn find(text: &[u8], pat: &[u8], icase: bool) -> bool {
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
