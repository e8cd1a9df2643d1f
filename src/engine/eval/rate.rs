//! Rate and count matches, the ones with state or side effects: limit, statistic, recent, hashlimit, quota, nfacct.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::engine::ctx::Env;
use crate::engine::ctx::MatchResult;
use crate::engine::ctx::PacketCtx;
use crate::engine::state::MatchState;
use crate::model::matches::quota::Quota;
use crate::model::Family;

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
