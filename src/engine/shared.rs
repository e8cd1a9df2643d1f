//! State of stateful matches that does not fit in a rule's
//! [`MatchState`](super::state::MatchState) integers: the per-rule
//! connection lists of `connlimit` (`nf_conncount`) and the named address
//! lists of `recent` (shared by every rule naming them, IPv4 and IPv6
//! alike, as `recent_net` is per network namespace). The host owns one
//! [`SharedTables`] and reaches it through [`Env`](super::Env) methods.
//!
//! Growing these tables allocates (the kernel allocates too:
//! `kmem_cache_alloc` of a list node per counted connection); packets that
//! do not add a connection allocate nothing.

use crate::conntrack::{proto, Tuple};
use crate::model::Family;
use crate::wire::meta::PacketMeta;

/// `CONNCOUNT_GC_MAX_NODES` (net/netfilter/nf_conncount.c).
const GC_MAX_NODES: u32 = 8;

/// What `get_ct_or_tuple_from_skb` (net/netfilter/nf_conncount.c) found
/// for the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkbConn {
    /// The packet's tuple (the entry's original tuple, or the packet's own
    /// when it has no entry) and whether that entry is confirmed (an entry
    /// found by tuple lookup always is). `confirmed: false` also covers
    /// "no entry and none found by tuple".
    Tuple {
        /// `ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple` or `nf_ct_get_tuplepr`.
        tuple: Tuple,
        /// `nf_ct_is_confirmed(ct)`.
        confirmed: bool,
    },
    /// No entry and `nf_ct_get_tuplepr` failed (truncated header, non-first
    /// fragment).
    NoTuple,
}

/// The conntrack lookups `nf_conncount` makes.
pub trait ConnLookup {
    /// `nf_conntrack_find_get` of a tuple (either direction, confirmed,
    /// live entries): `None` when not found, else whether the entry is
    /// `already_closed` (TCP in TIME_WAIT or CLOSE).
    fn find_closed(&mut self, t: &Tuple) -> Option<bool>;
}

#[derive(Debug, Clone)]
struct CountList {
    /// `nf_conncount_tuple`s: tuple and `jiffies32` at insertion.
    conns: Vec<(Tuple, u32)>,
    /// `list->last_gc`.
    last_gc: u32,
}

#[derive(Debug, Clone, Default)]
struct CountData {
    /// The rbtree nodes (`nf_conncount_rb`): key and list.
    nodes: Vec<([u32; 5], CountList)>,
}

/// The host's tables for stateful matches (one `nf_conncount_data` per
/// `connlimit` rule, created on the rule's first packet).
#[derive(Debug, Clone, Default)]
pub struct SharedTables {
    conncount: Vec<CountData>,
    recent: Vec<RecentTable>,
    hashlimit: Vec<HashTable>,
}

/// `XT_HASHLIMIT_*` mode bits.
pub mod hl_mode {
    /// `dstip`
    pub const HASH_DIP: u32 = 1 << 0;
    /// `dstport`
    pub const HASH_DPT: u32 = 1 << 1;
    /// `srcip`
    pub const HASH_SIP: u32 = 1 << 2;
    /// `srcport`
    pub const HASH_SPT: u32 = 1 << 3;
    /// `--hashlimit-above`
    pub const INVERT: u32 = 1 << 4;
    /// byte-based rate
    pub const BYTES: u32 = 1 << 5;
    /// `--hashlimit-rate-match`
    pub const RATE_MATCH: u32 = 1 << 6;
    /// `XT_HASHLIMIT_ALL`
    pub const ALL: u32 = 0x7f;
}

/// `struct hashlimit_cfg3` (revision 3, what iptables 1.8 loads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashlimitCfg {
    /// Mode bits ([`hl_mode`]).
    pub mode: u32,
    /// Average interval per packet in 1/1000000 s, or in byte mode the
    /// byte cost.
    pub avg: u64,
    /// Bucket size.
    pub burst: u64,
    /// `--hashlimit-htable-size` (0: the kernel's default).
    pub size: u32,
    /// `--hashlimit-htable-max` (0: 8 × size).
    pub max: u32,
    /// `--hashlimit-htable-gcinterval` (ms).
    pub gc_interval: u32,
    /// `--hashlimit-htable-expire` (ms).
    pub expire: u32,
    /// `--hashlimit-srcmask`
    pub srcmask: u8,
    /// `--hashlimit-dstmask`
    pub dstmask: u8,
    /// `--hashlimit-rate-interval` (s).
    pub interval: u32,
}

#[derive(Debug, Clone)]
struct HashEntry {
    key: [u8; 36],
    expires: u64,
    prev: u64,
    credit: u64,
    credit_cap: u64,
    cost: u64,
    interval: u32,
    prev_window: bool,
    current_rate: u64,
    rate: u64,
    burst: i64,
}

#[derive(Debug, Clone)]
struct HashTable {
    name: crate::model::ByteStr,
    v6: bool,
    cfg: HashlimitCfg,
    entries: Vec<HashEntry>,
    next_gc: u64,
}

/// `HASHLIMIT_MAX_SIZE` (net/netfilter/xt_hashlimit.c): the kernel
/// truncates `--hashlimit-htable-size` and `--hashlimit-htable-max` to it,
/// so a table holds at most 8 × this many entries (`max` 0 is 8 × size).
/// Rules parsed by nfsim already carry truncated values (the match's
/// `finish`, which is also what `iptables-save` prints back);
/// [`SharedTables::hashlimit_register`] truncates again for callers that
/// build a [`HashlimitCfg`] themselves. nfsim allocates no buckets:
/// entries are kept as they come.
pub const HASHLIMIT_MAX_SIZE: u32 = crate::model::matches::hashlimit::MAX_SIZE;

/// `HZ * 60 * 60 * 24`-based constants of net/netfilter/xt_hashlimit.c.
fn hl_cpj(hz: u32) -> u64 {
    // CREDITS_PER_JIFFY = POW2_BELOW64(0xFFFFFFFFFFFFFFFF / (HZ*60*60*24))
    let per_day = u64::from(hz) * 86_400;
    if per_day == 0 {
        return 0;
    }
    let m = u64::MAX / per_day;
    if m == 0 {
        0
    } else {
        1 << (63 - m.leading_zeros())
    }
}

fn hl_cpj_bytes(hz: u32) -> u32 {
    // CREDITS_PER_JIFFY_BYTES = POW2_BELOW32(0xFFFFFFFF / HZ)
    if hz == 0 {
        return 0;
    }
    let m = u32::MAX / hz;
    if m == 0 {
        0
    } else {
        1 << (31 - m.leading_zeros())
    }
}

/// `user2credits` (revision 2 and 3: 64-bit, scale 1000000).
fn hl_user2credits(user: u64, hz: u32) -> u64 {
    let scale = 1_000_000u64;
    let k = u64::from(hz).wrapping_mul(hl_cpj(hz));
    if k == 0 {
        return 0;
    }
    if scale >= k {
        user / (scale / k)
    } else {
        user.wrapping_mul(k / scale)
    }
}

/// `user2credits_byte`.
fn hl_user2credits_byte(user: u32, hz: u32) -> u32 {
    let us = u64::from(user) * u64::from(hz.wrapping_mul(hl_cpj_bytes(hz)));
    (us >> 32) as u32
}

/// `msecs_to_jiffies` (rounding up).
fn msecs_to_jiffies(ms: u32, hz: u32) -> u64 {
    (u64::from(ms) * u64::from(hz)).div_ceil(1000)
}

/// `ip_list_tot` (xt_recent module parameter, default 100): entries per
/// table; the least recently updated one is evicted for a new one.
pub const RECENT_LIST_TOT: usize = 100;
/// `ip_pkt_list_tot` (net/netfilter/xt_recent.c, "retained for backwards
/// compatibility", default 0: `/sys/module/xt_recent/parameters/` on the
/// 6.18 host reads 0). When non-zero it is the least number of timestamps
/// a table keeps; 0 leaves the sizing to the rules' `--hitcount`.
pub const RECENT_PKT_LIST_TOT: u32 = 0;
/// `XT_RECENT_MAX_NSTAMPS` (xt_recent.c, 65536 since "netfilter:
/// xt_recent: Lift restrictions on max hitcount value", Linux 6.11):
/// `recent_mt_check` refuses a `--hitcount` of this or more.
pub const RECENT_MAX_NSTAMPS: u32 = 65536;

/// `nstamp_mask` of `recent_mt_check` for a rule's `--hitcount` (below
/// [`RECENT_MAX_NSTAMPS`]) and the `ip_pkt_list_tot` module parameter.
fn recent_nstamp_mask(hit_count: u32, ip_pkt_list_tot: u32) -> u32 {
    if ip_pkt_list_tot != 0 && hit_count < ip_pkt_list_tot {
        ip_pkt_list_tot.next_power_of_two() - 1
    } else if hit_count != 0 {
        hit_count.next_power_of_two() - 1
    } else {
        32 - 1
    }
}

/// What a `recent` rule does (`XT_RECENT_SET` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecentCheck {
    /// `--set`
    Set,
    /// `--rcheck`
    Rcheck,
    /// `--update`
    Update,
    /// `--remove`
    Remove,
}

/// The per-rule parameters of `recent_mt` (`struct xt_recent_mtinfo_v1`
/// without the table part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentRule {
    /// The operation.
    pub check: RecentCheck,
    /// `!`
    pub invert: bool,
    /// `--seconds` (0: any age).
    pub seconds: u32,
    /// `--reap`
    pub reap: bool,
    /// `--hitcount` (0: one is enough).
    pub hit_count: u32,
    /// `--rttl`
    pub rttl: bool,
}

#[derive(Debug, Clone)]
struct RecentEntry {
    addr: [u8; 16],
    v6: bool,
    ttl: u8,
    /// Insertion order (`iphash` bucket lists are appended to and never
    /// reordered, so a lookup returns the earliest inserted match).
    seq: u64,
    /// The slots of `stamps[]` written so far. The kernel allocates
    /// `nstamps_max_mask + 1` slots when it creates the entry
    /// (`recent_entry_init`) but reads only slots it wrote, which are
    /// filled in order by `recent_entry_update`; so this vector holds
    /// exactly those and grows as they are written, never beyond
    /// `nstamps_max_mask + 1` (up to 65536: 512 KiB per entry, only for
    /// an address that really sent that many packets).
    stamps: Vec<u64>,
    /// `index` (`u_int16_t`): where the next timestamp goes (before
    /// masking). It wraps to 0 only in a table of 65536 slots.
    index: u16,
    /// `nstamps` (`u_int16_t`): how many slots `recent_mt` reads; the
    /// largest `index` seen, so 65535 at most (the 65536th slot of such a
    /// table is written but never counted, as in the kernel).
    nstamps: u16,
}

#[derive(Debug, Clone)]
struct RecentTable {
    name: crate::model::ByteStr,
    mask: [u8; 16],
    nstamps_max_mask: u32,
    /// LRU order: the head is the least recently updated.
    lru: Vec<RecentEntry>,
    seq: u64,
}

impl SharedTables {
    /// `hashlimit_mt_check_common` (net/netfilter/xt_hashlimit.c), to be
    /// called for each `hashlimit` rule in the order the kernel checks
    /// them: validates the configuration (EINVAL/ERANGE give `None`) and
    /// finds the table of that name and family or creates it with this
    /// rule's configuration (`htable_create`: the size defaults to 8192,
    /// what a host with more than 1 GiB of RAM gets, the maximum to 8 ×
    /// size, and is at least the size).
    pub fn hashlimit_register(
        &mut self,
        name: impl AsRef<[u8]>,
        v6: bool,
        cfg: &HashlimitCfg,
        hz: u32,
    ) -> Option<u64> {
        let name = name.as_ref();
        let full = if v6 { 128 } else { 32 };
        if cfg.gc_interval == 0
            || cfg.expire == 0
            || cfg.srcmask > full
            || cfg.dstmask > full
            || cfg.mode & !hl_mode::ALL != 0
        {
            return None;
        }
        if cfg.mode & hl_mode::RATE_MATCH != 0 {
            if cfg.avg == 0 || cfg.avg > u64::from(u32::MAX) || cfg.interval == 0 {
                return None;
            }
        } else if cfg.mode & hl_mode::BYTES != 0 {
            if hl_user2credits_byte(cfg.avg as u32, hz) == 0 {
                return None;
            }
        } else if cfg.burst == 0
            || hl_user2credits(cfg.avg.wrapping_mul(cfg.burst), hz) < hl_user2credits(cfg.avg, hz)
        {
            return None;
        }
        if let Some(i) = self
            .hashlimit
            .iter()
            .position(|t| t.name == name && t.v6 == v6)
        {
            return Some(i as u64);
        }
        let mut c = *cfg;
        // hashlimit_mt_check_common: "size too large, truncated to %u",
        // "max too large, truncated to %u" (HASHLIMIT_MAX_SIZE).
        c.size = c.size.min(HASHLIMIT_MAX_SIZE);
        c.max = c.max.min(HASHLIMIT_MAX_SIZE);
        if c.size == 0 {
            c.size = 8192;
        }
        if c.max == 0 {
            c.max = c.size.saturating_mul(8);
        } else if c.max < c.size {
            c.max = c.size;
        }
        self.hashlimit.push(HashTable {
            name: name.into(),
            v6,
            cfg: c,
            entries: Vec::new(),
            next_gc: msecs_to_jiffies(c.gc_interval, hz),
        });
        Some((self.hashlimit.len() - 1) as u64)
    }

    /// `hashlimit_mt_common` (revision 3) for table `id` and the rule's
    /// own configuration `rule` (the table keeps the creating rule's
    /// configuration for hashing, masks, refill and initial credit; the
    /// rule's mode decides rate-match, byte cost and `--hashlimit-above`).
    /// `data` is the packet from its network header, `thoff`/`proto` the
    /// transport header as the engine found it (IPv4; IPv6 walks the
    /// extension headers itself as the kernel does). `None`: hotdrop (ports
    /// unreadable, or the table is full).
    ///
    /// The table's garbage collection (`htable_gc`, a delayed work every
    /// `gc_interval` ms removing entries whose `expires` has passed) is
    /// modelled as running at every multiple of `gc_interval` since jiffy
    /// 0 of the host's clock; the kernel's phase is that of the rule's
    /// load and the workqueue's delays, which nfsim cannot know. It only
    /// matters when an entry outlives `expire` without refilling fully.
    #[allow(clippy::too_many_arguments)]
    pub fn hashlimit_mt(
        &mut self,
        id: u64,
        rule: &HashlimitCfg,
        data: &[u8],
        thoff: usize,
        proto: u8,
        jiffies: u64,
        hz: u32,
    ) -> Option<bool> {
        let t = usize::try_from(id)
            .ok()
            .and_then(|i| self.hashlimit.get_mut(i))?;
        let cfg = t.cfg;
        let now = jiffies;
        // htable_gc ticks up to now.
        let gc_j = msecs_to_jiffies(cfg.gc_interval, hz).max(1);
        if now >= t.next_gc {
            let last = t.next_gc + (now - t.next_gc) / gc_j * gc_j;
            t.entries.retain(|e| e.expires > last);
            t.next_gc = last + gc_j;
        }
        let key = hl_key(&cfg, t.v6, data, thoff, proto)?;
        let expire_j = msecs_to_jiffies(cfg.expire, hz);
        let idx = match t.entries.iter().position(|e| e.key == key) {
            Some(i) => {
                let e = &mut t.entries[i];
                e.expires = now.wrapping_add(expire_j);
                hl_recalc(e, now, cfg.mode, hz);
                i
            }
            None => {
                if cfg.max != 0 && t.entries.len() >= cfg.max as usize {
                    return None;
                }
                let mut e = HashEntry {
                    key,
                    expires: now.wrapping_add(expire_j),
                    prev: now,
                    credit: 0,
                    credit_cap: 0,
                    cost: 0,
                    interval: 0,
                    prev_window: false,
                    current_rate: 0,
                    rate: 0,
                    burst: 0,
                };
                hl_init(&mut e, &cfg, hz);
                t.entries.push(e);
                t.entries.len() - 1
            }
        };
        let e = &mut t.entries[idx];
        let invert = rule.mode & hl_mode::INVERT != 0;
        if rule.mode & hl_mode::RATE_MATCH != 0 {
            let cost = if rule.mode & hl_mode::BYTES != 0 {
                data.len() as u64
            } else {
                1
            };
            e.current_rate = e.current_rate.wrapping_add(cost);
            if !e.prev_window && e.current_rate <= e.burst as u64 {
                return Some(!invert);
            }
            return Some(invert);
        }
        let cost = if rule.mode & hl_mode::BYTES != 0 {
            // hashlimit_byte_cost
            let cap = u64::from(hl_cpj_bytes(hz).wrapping_mul(hz));
            let chunks = (data.len() as u64 >> 4) + 1;
            let tmp = (chunks.wrapping_mul(e.cost)).min(cap);
            if e.credit < tmp && e.credit_cap != 0 {
                e.credit_cap -= 1;
                e.credit = cap;
            }
            tmp
        } else {
            e.cost
        };
        if e.credit >= cost {
            e.credit -= cost;
            return Some(!invert);
        }
        Some(invert)
    }
}

/// `hashlimit_init_dst`: the masked addresses and ports the table's mode
/// selects (`maskl`, `hashlimit_ipv6_mask`); ports from
/// `proto_ports_offset` (0 for TCP, UDP, DCCP, ESP, SCTP, UDP-Lite, 4 for
/// AH, none otherwise). `None` when the ports cannot be read.
fn hl_key(cfg: &HashlimitCfg, v6: bool, data: &[u8], thoff: usize, proto: u8) -> Option<[u8; 36]> {
    let mut key = [0u8; 36];
    let (src, dst) = if v6 {
        (data.get(8..24)?, data.get(24..40)?)
    } else {
        (data.get(12..16)?, data.get(16..20)?)
    };
    let put = |out: &mut [u8], a: &[u8], plen: u8| {
        for (i, (o, b)) in out.iter_mut().zip(a).enumerate() {
            let start = (i * 8) as u8;
            let m = if plen >= start + 8 {
                0xff
            } else if plen > start {
                0xffu8 << (8 - (plen - start))
            } else {
                0
            };
            *o = b & m;
        }
    };
    if cfg.mode & hl_mode::HASH_SIP != 0 {
        put(&mut key[0..16], src, cfg.srcmask);
    }
    if cfg.mode & hl_mode::HASH_DIP != 0 {
        put(&mut key[16..32], dst, cfg.dstmask);
    }
    if cfg.mode & (hl_mode::HASH_DPT | hl_mode::HASH_SPT) == 0 {
        return Some(key);
    }
    let (protoff, nexthdr) = if v6 {
        let (off, nh, _) = crate::conntrack::skip_exthdr(data, 40, *data.get(6)?)?;
        (off, nh)
    } else {
        (thoff, proto)
    };
    let poff = match nexthdr {
        6 | 17 | 33 | 50 | 132 | 136 => Some(0),
        51 => Some(4),
        _ => None,
    };
    let ports = match poff {
        Some(p) => data.get(protoff + p..protoff + p + 4)?,
        None => &[0, 0, 0, 0][..],
    };
    if cfg.mode & hl_mode::HASH_SPT != 0 {
        key[32..34].copy_from_slice(ports.get(0..2)?);
    }
    if cfg.mode & hl_mode::HASH_DPT != 0 {
        key[34..36].copy_from_slice(ports.get(2..4)?);
    }
    Some(key)
}

/// `rateinfo_init` (revision 3).
fn hl_init(e: &mut HashEntry, cfg: &HashlimitCfg, hz: u32) {
    if cfg.mode & hl_mode::RATE_MATCH != 0 {
        e.prev_window = false;
        e.current_rate = 0;
        if cfg.mode & hl_mode::BYTES != 0 {
            // user2rate_bytes
            let user = cfg.avg as u32;
            let r = u32::MAX.checked_div(user).unwrap_or(u32::MAX);
            e.rate = u64::from(r).wrapping_sub(1) << 4;
            e.burst = if cfg.burst != 0 {
                cfg.burst.wrapping_mul(e.rate) as i64
            } else {
                e.rate as i64
            };
        } else {
            // user2rate
            e.rate = 1_000_000u64.checked_div(cfg.avg).unwrap_or(0);
            e.burst = cfg.burst.wrapping_add(e.rate) as i64;
        }
        e.interval = cfg.interval;
    } else if cfg.mode & hl_mode::BYTES != 0 {
        e.credit = u64::from(hl_cpj_bytes(hz).wrapping_mul(hz));
        e.cost = u64::from(hl_user2credits_byte(cfg.avg as u32, hz));
        e.credit_cap = cfg.burst;
    } else {
        e.credit = hl_user2credits(cfg.avg.wrapping_mul(cfg.burst), hz);
        e.cost = hl_user2credits(cfg.avg, hz);
        e.credit_cap = e.credit;
    }
}

/// `rateinfo_recalc` (revision 3).
fn hl_recalc(e: &mut HashEntry, now: u64, mode: u32, hz: u32) {
    let delta = now.wrapping_sub(e.prev);
    if delta == 0 {
        return;
    }
    if mode & hl_mode::RATE_MATCH != 0 {
        let interval = u64::from(e.interval.wrapping_mul(hz));
        if delta < interval {
            return;
        }
        e.prev = now;
        e.prev_window = e.current_rate.wrapping_mul(interval) > delta.wrapping_mul(e.rate);
        e.current_rate = 0;
        return;
    }
    e.prev = now;
    let cap;
    if mode & hl_mode::BYTES != 0 {
        let tmp = e.credit;
        let cpjb = u64::from(hl_cpj_bytes(hz));
        e.credit = e.credit.wrapping_add(cpjb.wrapping_mul(delta));
        cap = u64::from(hl_cpj_bytes(hz).wrapping_mul(hz));
        if tmp >= e.credit {
            e.credit = cap;
            return;
        }
    } else {
        e.credit = e.credit.wrapping_add(delta.wrapping_mul(hl_cpj(hz)));
        cap = e.credit_cap;
    }
    if e.credit > cap {
        e.credit = cap;
    }
}

/// `time_after(a, b)` on `unsigned long` jiffies.
fn time_after(a: u64, b: u64) -> bool {
    (b.wrapping_sub(a) as i64) < 0
}

impl SharedTables {
    /// `recent_mt_check`'s table part, to be called for each `recent` rule
    /// in the order the kernel checks them (rule order, tables in load
    /// order): finds the table `name` or creates it with this rule's mask;
    /// a rule needing more timestamps than the table keeps flushes it and
    /// widens it. Returns the table id, or `None` for a `--hitcount` of
    /// `XT_RECENT_MAX_NSTAMPS` (65536) or more (EINVAL).
    ///
    /// The number of timestamps a table keeps per entry is
    /// `nstamps_max_mask + 1`, with `nstamp_mask` as `recent_mt_check`
    /// computes it: `roundup_pow_of_two(ip_pkt_list_tot) - 1` when that
    /// parameter is set and above the hit count, else
    /// `roundup_pow_of_two(hit_count) - 1`, else 31.
    pub fn recent_register(
        &mut self,
        name: impl AsRef<[u8]>,
        mask: [u8; 16],
        hit_count: u32,
    ) -> Option<u64> {
        let name = name.as_ref();
        if hit_count > RECENT_MAX_NSTAMPS - 1 {
            return None;
        }
        let nstamp_mask = recent_nstamp_mask(hit_count, RECENT_PKT_LIST_TOT);
        if let Some(i) = self.recent.iter().position(|t| t.name == name) {
            let t = &mut self.recent[i];
            if nstamp_mask > t.nstamps_max_mask {
                t.lru.clear(); // recent_table_flush
                t.nstamps_max_mask = nstamp_mask;
            }
            return Some(i as u64);
        }
        self.recent.push(RecentTable {
            name: name.into(),
            mask,
            nstamps_max_mask: nstamp_mask,
            lru: Vec::new(),
            seq: 0,
        });
        Some((self.recent.len() - 1) as u64)
    }

    /// `recent_mt` (net/netfilter/xt_recent.c) on table `id` for the
    /// packet's address (source or destination as the rule says, unmasked:
    /// the table's mask is applied here) and TTL / hop limit (already
    /// incremented by the caller when the kernel does: a packet with an
    /// output device and no socket). `jiffies` is now; `hz` the tick rate.
    ///
    /// Not found: `--set` creates the entry (evicting the least recently
    /// updated one when the table holds [`RECENT_LIST_TOT`]) and matches,
    /// the others answer `invert`. Found: `--set` matches, `--remove`
    /// removes it and matches, `--rcheck`/`--update` match when at least
    /// `--hitcount` (or one) of its timestamps are within `--seconds`;
    /// `--reap` then removes the table's oldest entry if its newest stamp
    /// is out of the window (unless it is this entry about to be updated);
    /// `--set`, and `--update` when the answer (after inversion) is true,
    /// add a timestamp and record the TTL.
    #[allow(clippy::too_many_arguments)]
    pub fn recent_mt(
        &mut self,
        id: u64,
        r: &RecentRule,
        v6: bool,
        addr: &[u8; 16],
        ttl: u8,
        jiffies: u64,
        hz: u32,
    ) -> bool {
        let Some(t) = usize::try_from(id)
            .ok()
            .and_then(|i| self.recent.get_mut(i))
        else {
            return r.invert;
        };
        let mut key = [0u8; 16];
        for (k, (a, m)) in key.iter_mut().zip(addr.iter().zip(t.mask.iter())) {
            *k = a & m;
        }
        let mut ret = r.invert;
        let want_ttl = if r.rttl { ttl } else { 0 };
        // recent_entry_lookup: earliest inserted match.
        let found = t
            .lru
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.v6 == v6 && e.addr == key && (want_ttl == e.ttl || want_ttl == 0 || e.ttl == 0)
            })
            .min_by_key(|(_, e)| e.seq)
            .map(|(i, _)| i);
        let Some(mut ei) = found else {
            if r.check != RecentCheck::Set {
                return ret;
            }
            // recent_entry_init: the evicted entry's buffer is reused.
            let mut stamps = if t.lru.len() >= RECENT_LIST_TOT {
                let mut old = t.lru.remove(0).stamps;
                old.clear();
                old
            } else {
                Vec::new()
            };
            stamps.push(jiffies);
            t.seq += 1;
            t.lru.push(RecentEntry {
                addr: key,
                v6,
                ttl,
                seq: t.seq,
                stamps,
                index: 1,
                nstamps: 1,
            });
            return !ret;
        };
        match r.check {
            RecentCheck::Set => ret = !ret,
            RecentCheck::Remove => {
                t.lru.remove(ei);
                return !ret;
            }
            RecentCheck::Rcheck | RecentCheck::Update => {
                let time = jiffies.wrapping_sub(u64::from(r.seconds.wrapping_mul(hz)));
                let e = &t.lru[ei];
                let mut hits = 0u32;
                for &stamp in e.stamps.iter().take(usize::from(e.nstamps)) {
                    if r.seconds != 0 && time_after(time, stamp) {
                        continue;
                    }
                    hits += 1;
                    if r.hit_count == 0 || hits >= r.hit_count {
                        ret = !ret;
                        break;
                    }
                }
                if r.reap {
                    // recent_entry_reap: the LRU head.
                    let update = r.check == RecentCheck::Update && ret;
                    if !(ei == 0 && update) {
                        let head = &t.lru[0];
                        let last = match head.index {
                            // e->stamps[e->index - 1] with index wrapped to
                            // 0 (a 65536-slot table after 65536 updates)
                            // reads the word before stamps[] in struct
                            // recent_entry (x86_64, little endian): family,
                            // ttl, a padding byte (taken as 0), index,
                            // nstamps (65535 here, so the word is negative
                            // as a signed long: time_after() holds and the
                            // head is reaped).
                            0 => {
                                let family: u64 = if head.v6 { 10 } else { 2 };
                                family | u64::from(head.ttl) << 16 | u64::from(head.nstamps) << 48
                            }
                            i => head.stamps.get(usize::from(i) - 1).copied().unwrap_or(0),
                        };
                        if time_after(time, last) {
                            t.lru.remove(0);
                            if ei == 0 {
                                // The working entry itself was reaped.
                                return ret;
                            }
                            ei -= 1;
                        }
                    }
                }
            }
        }
        if r.check == RecentCheck::Set || (r.check == RecentCheck::Update && ret) {
            // recent_entry_update
            let mask = t.nstamps_max_mask;
            let mut e = t.lru.remove(ei);
            e.index &= mask as u16;
            match e.stamps.get_mut(usize::from(e.index)) {
                Some(s) => *s = jiffies,
                // The next unwritten slot of the kernel's array.
                None => e.stamps.push(jiffies),
            }
            e.index = e.index.wrapping_add(1);
            if e.index > e.nstamps {
                e.nstamps = e.index;
            }
            e.ttl = ttl;
            t.lru.push(e);
        }
        ret
    }
}

/// How an add ended (`__nf_conncount_add`'s return).
enum Add {
    /// 0: added, or already present.
    Ok,
    /// -EEXIST: the packet's entry is confirmed, nothing added.
    Exists,
    /// -ENOENT: no tuple.
    NoEnt,
}

impl SharedTables {
    /// Allocates the `nf_conncount_data` of a new `connlimit` rule
    /// (`connlimit_mt_check` → `nf_conncount_init`); returns its id.
    pub fn conncount_new(&mut self) -> u64 {
        self.conncount.push(CountData::default());
        (self.conncount.len() - 1) as u64
    }

    /// `nf_conncount_count_skb` → `count_tree` / `insert_tree`
    /// (net/netfilter/nf_conncount.c, Linux 6.18.y: the sk_buff API of
    /// commit be102eb6a0e7 with the -EEXIST fix): the number of
    /// connections counted under `key` after accounting for this packet; 0
    /// means "drop the packet" to the caller (`connlimit_mt` hotdrops).
    ///
    /// Modelled as one CPU (`find_or_evict` always evicts an entry it cannot
    /// find, as the adding CPU does), and without the opportunistic garbage
    /// collection of *other* keys' lists along the rbtree path and the gc
    /// worker: which nodes lie on that path depends on `conncount_rnd`, a
    /// random hash seed. A list therefore lives as long as the rule; a key
    /// whose list was emptied keeps its node (the kernel frees it only in
    /// that gc), so a confirmed connection arriving there counts 0 and is
    /// dropped, as in the kernel when the node survives.
    pub fn conncount_count<L: ConnLookup>(
        &mut self,
        id: u64,
        key: [u32; 5],
        skb: SkbConn,
        jiffies: u32,
        ct: &mut L,
    ) -> u32 {
        let Some(data) = usize::try_from(id)
            .ok()
            .and_then(|i| self.conncount.get_mut(i))
        else {
            return 0;
        };
        if let Some((_, list)) = data.nodes.iter_mut().find(|(k, _)| *k == key) {
            if !list.conns.is_empty() {
                // count_tree: same key, non-empty list.
                return match add(list, skb, jiffies, ct) {
                    Add::NoEnt => 0,
                    Add::Exists => {
                        gc_list(list, jiffies, ct);
                        list.conns.len() as u32
                    }
                    Add::Ok => list.conns.len() as u32,
                };
            }
            // insert_tree finds the (empty) node again.
            return match add(list, skb, jiffies, ct) {
                Add::NoEnt => 0,
                Add::Exists | Add::Ok => list.conns.len() as u32,
            };
        }
        // insert_tree: a new node holding this packet's tuple.
        let SkbConn::Tuple { tuple, .. } = skb else {
            return 0;
        };
        let mut conns = Vec::with_capacity(4);
        conns.push((tuple, jiffies));
        data.nodes.push((
            key,
            CountList {
                conns,
                last_gc: jiffies,
            },
        ));
        1
    }
}

/// `nf_ct_get_tuplepr` (net/netfilter/nf_conntrack_core.c) for a packet
/// without a conntrack entry, in nfsim's tuple encoding (ports for TCP, UDP
/// and UDP-Lite; ICMP/ICMPv6 id, type and code; nothing for other
/// protocols, as nfsim's conntrack keys them). `None` for a non-first
/// fragment or a header cut short (the kernel's `get_l4proto` /
/// `skb_header_pointer` failures).
pub fn skb_tuple(family: Family, data: &[u8], meta: &PacketMeta) -> Option<Tuple> {
    if meta.fragoff != 0 || meta.thoff == 0 {
        return None;
    }
    let p = u8::from(meta.protocol);
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    match family {
        Family::Ipv4 => {
            src[..4].copy_from_slice(data.get(12..16)?);
            dst[..4].copy_from_slice(data.get(16..20)?);
        }
        Family::Ipv6 => {
            src.copy_from_slice(data.get(8..24)?);
            dst.copy_from_slice(data.get(24..40)?);
        }
    }
    let l4 = meta.l4(data);
    let be16 = |at: usize| l4.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let icmp = matches!(
        (family, p),
        (Family::Ipv4, proto::ICMP) | (Family::Ipv6, proto::ICMPV6)
    );
    let (src_u, dst_u) = match p {
        proto::TCP | proto::UDP | proto::UDPLITE => (be16(0)?, be16(2)?),
        _ if icmp => {
            if l4.len() < 8 {
                return None;
            }
            (be16(4)?, be16(0)?)
        }
        _ => (0, 0),
    };
    Some(Tuple {
        family: match family {
            Family::Ipv4 => crate::conntrack::Family::Ipv4,
            Family::Ipv6 => crate::conntrack::Family::Ipv6,
        },
        src,
        dst,
        proto: p,
        src_u,
        dst_u,
    })
}

/// `__nf_conncount_add`.
fn add<L: ConnLookup>(list: &mut CountList, skb: SkbConn, jiffies: u32, ct: &mut L) -> Add {
    let SkbConn::Tuple { tuple, confirmed } = skb else {
        return Add::NoEnt;
    };
    if confirmed {
        return Add::Exists;
    }
    if jiffies != list.last_gc {
        let mut collect = 0u32;
        let mut i = 0;
        while i < list.conns.len() {
            if collect > GC_MAX_NODES {
                break;
            }
            let t = list.conns[i].0;
            match ct.find_closed(&t) {
                None => {
                    // find_or_evict: not found, added by this CPU: evicted.
                    list.conns.remove(i);
                    collect += 1;
                    continue;
                }
                Some(_) if t == tuple => return Add::Ok, // already counted
                Some(true) => {
                    list.conns.remove(i);
                    collect += 1;
                    continue;
                }
                Some(false) => {}
            }
            i += 1;
        }
    }
    list.conns.push((tuple, jiffies));
    list.last_gc = jiffies;
    Add::Ok
}

/// `nf_conncount_gc_list`.
fn gc_list<L: ConnLookup>(list: &mut CountList, jiffies: u32, ct: &mut L) {
    if jiffies == list.last_gc {
        return;
    }
    let mut collected = 0u32;
    let mut i = 0;
    while i < list.conns.len() {
        let t = list.conns[i].0;
        match ct.find_closed(&t) {
            None | Some(true) => {
                list.conns.remove(i);
                collected += 1;
                continue;
            }
            Some(false) => {}
        }
        i += 1;
        if collected > GC_MAX_NODES {
            break;
        }
    }
    list.last_gc = jiffies;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conntrack::Family;

    struct Fake {
        live: Vec<(Tuple, bool)>,
    }
    impl ConnLookup for Fake {
        fn find_closed(&mut self, t: &Tuple) -> Option<bool> {
            self.live.iter().find(|(x, _)| x == t).map(|(_, c)| *c)
        }
    }

    fn tup(port: u16) -> Tuple {
        let mut src = [0u8; 16];
        src[..4].copy_from_slice(&[192, 0, 2, 20]);
        let mut dst = [0u8; 16];
        dst[..4].copy_from_slice(&[192, 0, 2, 1]);
        Tuple {
            family: Family::Ipv4,
            src,
            dst,
            proto: 6,
            src_u: port,
            dst_u: 22,
        }
    }

    fn rule(check: RecentCheck) -> RecentRule {
        RecentRule {
            check,
            invert: false,
            seconds: 0,
            reap: false,
            hit_count: 0,
            rttl: false,
        }
    }

    fn a4(last: u8) -> [u8; 16] {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[192, 0, 2, last]);
        a
    }

    #[test]
    fn recent_set_check_update_remove() {
        let mut t = SharedTables::default();
        let mut mask = [0u8; 16];
        mask[..4].copy_from_slice(&[255, 255, 255, 0]);
        let id = t.recent_register("x", mask, 0).unwrap();
        let hz = 250;
        let check = RecentRule {
            seconds: 60,
            hit_count: 3,
            ..rule(RecentCheck::Rcheck)
        };
        let update = RecentRule {
            check: RecentCheck::Update,
            ..check
        };
        assert!(!t.recent_mt(id, &check, false, &a4(1), 64, 0, hz));
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(1), 64, 0, hz));
        // The /24 mask of the table groups .1 and .2.
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(2), 64, 100, hz));
        assert!(!t.recent_mt(id, &check, false, &a4(3), 64, 200, hz));
        assert!(t.recent_mt(id, &rule(RecentCheck::Set), false, &a4(3), 64, 300, hz));
        assert!(t.recent_mt(id, &check, false, &a4(9), 64, 400, hz));
        // 60 s later the first stamps are out of the window.
        assert!(!t.recent_mt(id, &check, false, &a4(9), 64, 60 * 250 + 150, hz));
        // --update only refreshes when it matches (after inversion).
        let inv_update = RecentRule {
            invert: true,
            ..update
        };
        assert!(t.recent_mt(id, &inv_update, false, &a4(9), 64, 60 * 250 + 150, hz));
        assert!(!t.recent_mt(id, &check, false, &a4(9), 64, 60 * 250 + 151, hz));
        // --rttl: a different TTL is another entry.
        let rttl = RecentRule {
            rttl: true,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(!t.recent_mt(id, &rttl, false, &a4(9), 63, 16_000, hz));
        assert!(t.recent_mt(id, &rttl, false, &a4(9), 64, 16_000, hz));
        // IPv6 entries are separate.
        assert!(!t.recent_mt(id, &rule(RecentCheck::Rcheck), true, &a4(9), 64, 16_000, hz));
        assert!(t.recent_mt(
            id,
            &rule(RecentCheck::Remove),
            false,
            &a4(9),
            64,
            16_001,
            hz
        ));
        assert!(!t.recent_mt(
            id,
            &rule(RecentCheck::Remove),
            false,
            &a4(9),
            64,
            16_002,
            hz
        ));
    }

    #[test]
    fn recent_list_limits_and_reap() {
        let mut t = SharedTables::default();
        let id = t.recent_register("y", [0xff; 16], 0).unwrap();
        let set = rule(RecentCheck::Set);
        for i in 0..=RECENT_LIST_TOT as u32 {
            let mut a = [0u8; 16];
            a[..4].copy_from_slice(&i.to_be_bytes());
            assert!(t.recent_mt(id, &set, false, &a, 64, u64::from(i), 250));
        }
        // The first address was evicted, the second is still there.
        let rc = rule(RecentCheck::Rcheck);
        assert!(!t.recent_mt(id, &rc, false, &[0; 16], 64, 500, 250));
        let mut a1 = [0u8; 16];
        a1[3] = 1;
        assert!(t.recent_mt(id, &rc, false, &a1, 64, 500, 250));
        // Timestamps wrap at the table's 32 slots: 40 sets, hitcount 20
        // still counts only what is kept.
        let id2 = t.recent_register("z", [0xff; 16], 20).unwrap();
        for j in 0..40 {
            t.recent_mt(id2, &set, false, &a1, 64, j, 250);
        }
        let hc = |n| RecentRule {
            hit_count: n,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(t.recent_mt(id2, &hc(20), false, &a1, 64, 41, 250));
        // --reap removes the oldest entry when its last stamp is too old.
        let id3 = t.recent_register("r", [0xff; 16], 0).unwrap();
        let mut b = [0u8; 16];
        b[0] = 1;
        t.recent_mt(id3, &set, false, &b, 64, 0, 250);
        t.recent_mt(id3, &set, false, &a1, 64, 1000, 250);
        let reap = RecentRule {
            seconds: 1,
            reap: true,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(t.recent_mt(id3, &reap, false, &a1, 64, 1100, 250));
        assert!(!t.recent_mt(id3, &rc, false, &b, 64, 1101, 250));
        // Widening the timestamps flushes the table.
        assert_eq!(t.recent_register("r", [0; 16], 100), Some(id3));
        assert!(!t.recent_mt(id3, &rc, false, &a1, 64, 1102, 250));
    }

    /// recent_mt_check (Linux 6.18): `--hitcount` up to 65535
    /// (`XT_RECENT_MAX_NSTAMPS` 65536), slots per entry
    /// `roundup_pow_of_two(hit_count)` with `ip_pkt_list_tot` 0, else 32.
    #[test]
    fn recent_hitcount_bounds_and_slots() {
        let mut t = SharedTables::default();
        assert_eq!(t.recent_register("a", [0xff; 16], 65536), None);
        assert_eq!(t.recent_register("a", [0xff; 16], u32::MAX), None);
        let big = t.recent_register("a", [0xff; 16], 348).unwrap();
        assert_eq!(t.recent[0].nstamps_max_mask, 511);
        assert!(t.recent_register("b", [0xff; 16], 65535).is_some());
        assert_eq!(t.recent[1].nstamps_max_mask, 65535);
        // Only --hitcount 4 on a table: 4 slots, the fifth set overwrites
        // the first.
        let four = t.recent_register("c", [0xff; 16], 4).unwrap();
        assert_eq!(t.recent[2].nstamps_max_mask, 3);
        assert!(t.recent_register("d", [0xff; 16], 0).is_some());
        assert_eq!(t.recent[3].nstamps_max_mask, 31);
        let set = rule(RecentCheck::Set);
        let hc = |n, seconds| RecentRule {
            hit_count: n,
            seconds,
            ..rule(RecentCheck::Rcheck)
        };
        let a = [7u8; 16];
        for j in 0..5 {
            t.recent_mt(four, &set, false, &a, 64, 1000 + j * 250, 250);
        }
        // Stamps 1250..2000 kept (1000 overwritten): 4 within 5 s.
        assert!(t.recent_mt(four, &hc(4, 5), false, &a, 64, 2100, 250));
        // Within 3 s of 2100 only 1500, 1750, 2000 remain.
        assert!(!t.recent_mt(four, &hc(4, 3), false, &a, 64, 2100, 250));
        // 348 hits need 348 stamps; the 349th set makes the 348th hit.
        for j in 0..347 {
            t.recent_mt(big, &set, false, &a, 64, j, 250);
        }
        assert!(!t.recent_mt(big, &hc(348, 0), false, &a, 64, 400, 250));
        assert_eq!(t.recent[0].lru[0].stamps.len(), 347);
        t.recent_mt(big, &set, false, &a, 64, 401, 250);
        assert!(t.recent_mt(big, &hc(348, 0), false, &a, 64, 402, 250));
        assert!(t.recent[0].lru[0].stamps.capacity() <= 512);
    }

    #[test]
    fn recent_nstamp_mask_with_module_parameter() {
        assert_eq!(recent_nstamp_mask(0, 0), 31);
        assert_eq!(recent_nstamp_mask(5, 0), 7);
        assert_eq!(recent_nstamp_mask(256, 0), 255);
        assert_eq!(recent_nstamp_mask(257, 0), 511);
        assert_eq!(recent_nstamp_mask(65535, 0), 65535);
        // ip_pkt_list_tot=20 (the old default) rounds up to 32 slots.
        assert_eq!(recent_nstamp_mask(0, 20), 31);
        assert_eq!(recent_nstamp_mask(19, 20), 31);
        assert_eq!(recent_nstamp_mask(40, 20), 63);
    }

    /// A 65536-slot table: `index` (u16) wraps to 0 after 65536 updates and
    /// `nstamps` stays 65535, so the last slot written is never counted.
    #[test]
    fn recent_u16_index_wraps() {
        let mut t = SharedTables::default();
        let id = t.recent_register("w", [0xff; 16], 65535).unwrap();
        let set = rule(RecentCheck::Set);
        let a = [9u8; 16];
        for j in 0..65536u64 {
            t.recent_mt(id, &set, false, &a, 64, 1_000_000 + j, 250);
        }
        let e = &t.recent[0].lru[0];
        assert_eq!((e.index, e.nstamps, e.stamps.len()), (0, 65535, 65536));
        let hc = |n| RecentRule {
            hit_count: n,
            ..rule(RecentCheck::Rcheck)
        };
        assert!(t.recent_mt(id, &hc(65535), false, &a, 64, 2_000_000, 250));
        // The next update writes slot 0 again.
        t.recent_mt(id, &set, false, &a, 64, 2_000_001, 250);
        let e = &t.recent[0].lru[0];
        assert_eq!((e.index, e.nstamps, e.stamps[0]), (1, 65535, 2_000_001));
    }

    /// Linux 6.18 (HZ=250) in a netns, twelve 228-byte UDP packets 60 ms
    /// apart, every fourth from a second source: rule totals 9, 0 and 6
    /// (the values below are what iptables 1.8 loads for these rules).
    #[test]
    fn hashlimit_like_the_kernel() {
        let base = HashlimitCfg {
            mode: 0,
            avg: 0,
            burst: 0,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 1000,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        };
        // --hashlimit-upto 5/s --hashlimit-burst 3 --hashlimit-mode srcip
        let h1 = HashlimitCfg {
            mode: hl_mode::HASH_SIP,
            avg: 200_000,
            burst: 3,
            ..base
        };
        // --hashlimit-above 1kb/s --hashlimit-burst 2kb --hashlimit-mode srcip,dstport
        let h2 = HashlimitCfg {
            mode: hl_mode::HASH_SIP | hl_mode::HASH_DPT | hl_mode::INVERT | hl_mode::BYTES,
            avg: 66_076_419,
            burst: 2,
            expire: 60_000,
            ..base
        };
        // --hashlimit-upto 4/s --hashlimit-burst 2 --hashlimit-rate-match --hashlimit-rate-interval 1
        let h3 = HashlimitCfg {
            mode: hl_mode::RATE_MATCH,
            avg: 250_000,
            burst: 2,
            interval: 1,
            ..base
        };
        let mut t = SharedTables::default();
        let ids: Vec<u64> = [("h1", h1), ("h2", h2), ("h3", h3)]
            .iter()
            .map(|(n, c)| t.hashlimit_register(n, false, c, 250).unwrap())
            .collect();
        let cfgs = [h1, h2, h3];
        let mut totals = [0; 3];
        for i in 0..12u64 {
            let mut p = vec![0u8; 228];
            p[0] = 0x45;
            p[9] = 17;
            p[12..16].copy_from_slice(&[192, 0, 2, if i % 4 == 3 { 71 } else { 70 }]);
            p[16..20].copy_from_slice(&[192, 0, 2, 1]);
            p[20..24].copy_from_slice(&[0x13, 0x88, 0, 137]);
            for k in 0..3 {
                if t.hashlimit_mt(ids[k], &cfgs[k], &p, 20, 17, 10_007 + i * 15, 250) == Some(true)
                {
                    totals[k] += 1;
                }
            }
        }
        assert_eq!(totals, [9, 0, 6]);
        // Invalid configurations are refused as the kernel does.
        assert!(t
            .hashlimit_register("bad", false, &HashlimitCfg { expire: 0, ..h1 }, 250)
            .is_none());
        assert!(t
            .hashlimit_register("bad", false, &HashlimitCfg { burst: 0, ..h1 }, 250)
            .is_none());
        // A full table drops the packet.
        let tiny = HashlimitCfg {
            size: 1,
            max: 1,
            ..h1
        };
        let id = t.hashlimit_register("tiny", false, &tiny, 250).unwrap();
        let mut p = vec![0u8; 28];
        p[12] = 1;
        assert_eq!(t.hashlimit_mt(id, &tiny, &p, 20, 17, 0, 250), Some(true));
        p[12] = 2;
        assert_eq!(t.hashlimit_mt(id, &tiny, &p, 20, 17, 0, 250), None);
        // After expiry and a gc tick the entry is gone and the next source fits.
        assert_eq!(t.hashlimit_mt(id, &tiny, &p, 20, 17, 1000, 250), Some(true));
    }

    /// `--hashlimit-htable-size` / `-max` of 4294967295 are truncated to
    /// `HASHLIMIT_MAX_SIZE` (hashlimit_mt_check_common), `max` 0 becoming
    /// 8 × size (htable_create); nothing is reserved for either.
    #[test]
    fn hashlimit_huge_sizes_truncated_and_lazy() {
        let huge = HashlimitCfg {
            mode: hl_mode::HASH_SIP,
            avg: 200_000,
            burst: 3,
            size: u32::MAX,
            max: u32::MAX,
            gc_interval: 1000,
            expire: 1000,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        };
        let mut t = SharedTables::default();
        let a = t.hashlimit_register("a", false, &huge, 250).unwrap() as usize;
        let b = t
            .hashlimit_register("b", false, &HashlimitCfg { max: 0, ..huge }, 250)
            .unwrap() as usize;
        let c = t
            .hashlimit_register(
                "c",
                false,
                &HashlimitCfg {
                    size: 16,
                    max: 2_000_000,
                    ..huge
                },
                250,
            )
            .unwrap() as usize;
        assert_eq!(
            (t.hashlimit[a].cfg.size, t.hashlimit[a].cfg.max),
            (1_048_576, 1_048_576)
        );
        assert_eq!(
            (t.hashlimit[b].cfg.size, t.hashlimit[b].cfg.max),
            (1_048_576, 8_388_608)
        );
        assert_eq!(
            (t.hashlimit[c].cfg.size, t.hashlimit[c].cfg.max),
            (16, 1_048_576)
        );
        assert_eq!(t.hashlimit[a].entries.capacity(), 0);
        let mut p = vec![0u8; 28];
        for i in 0..300u32 {
            p[12..16].copy_from_slice(&(0x0a00_0000 | i).to_be_bytes());
            assert_eq!(
                t.hashlimit_mt(a as u64, &huge, &p, 20, 17, 5, 250),
                Some(true)
            );
        }
        assert_eq!(t.hashlimit[a].entries.len(), 300);
        assert!(t.hashlimit[a].entries.capacity() <= 512);
    }

    #[test]
    fn counts_evicts_and_skips_confirmed() {
        let mut t = SharedTables::default();
        let id = t.conncount_new();
        let key = [1, 0, 0, 0, 0];
        let mut ct = Fake { live: vec![] };
        let new = |p| SkbConn::Tuple {
            tuple: tup(p),
            confirmed: false,
        };
        let est = |p| SkbConn::Tuple {
            tuple: tup(p),
            confirmed: true,
        };
        assert_eq!(t.conncount_count(id, key, new(1), 10, &mut ct), 1);
        ct.live.push((tup(1), false));
        // Confirmed packets add nothing.
        assert_eq!(t.conncount_count(id, key, est(1), 11, &mut ct), 1);
        assert_eq!(t.conncount_count(id, key, new(2), 12, &mut ct), 2);
        // Connection 2 was never confirmed (dropped): evicted at the next
        // add in a later jiffy...
        assert_eq!(t.conncount_count(id, key, new(3), 13, &mut ct), 2);
        // ...but not within the same jiffy (no gc then).
        assert_eq!(t.conncount_count(id, key, new(4), 13, &mut ct), 3);
        // Closed connections are evicted by gc.
        ct.live = vec![(tup(1), true)];
        assert_eq!(t.conncount_count(id, key, est(1), 14, &mut ct), 0);
        // An empty list's node stays: a confirmed packet then counts 0.
        assert_eq!(t.conncount_count(id, key, est(1), 15, &mut ct), 0);
        assert_eq!(t.conncount_count(id, key, new(5), 16, &mut ct), 1);
        assert_eq!(t.conncount_count(id, key, SkbConn::NoTuple, 17, &mut ct), 0);
        // Another key starts its own list, confirmed or not.
        assert_eq!(
            t.conncount_count(id, [2, 0, 0, 0, 0], est(9), 17, &mut ct),
            1
        );
        assert_eq!(t.conncount_count(7, key, new(1), 17, &mut ct), 0);
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn conncount_new_example() {
        use crate::engine::shared::SharedTables;
        let mut t = SharedTables::default();
        assert_eq!(t.conncount_new(), 0);
        assert_eq!(t.conncount_new(), 1);
    }
    #[test]
    fn hashlimit_register_example() {
        use crate::engine::shared::{hl_mode, HashlimitCfg, SharedTables};
        let cfg = HashlimitCfg {
            mode: hl_mode::HASH_SIP,
            avg: 200_000,
            burst: 5,
            size: 0,
            max: 0,
            gc_interval: 1000,
            expire: 10_000,
            srcmask: 32,
            dstmask: 32,
            interval: 0,
        };
        let mut t = SharedTables::default();
        assert!(t.hashlimit_register("x", false, &cfg, 250).is_some());
    }
    #[test]
    fn recent_register_example() {
        use crate::engine::shared::SharedTables;
        let mut t = SharedTables::default();
        let a = t.recent_register("ssh", [0xff; 16], 0).unwrap();
        assert_eq!(t.recent_register("ssh", [0; 16], 4), Some(a));
        assert_eq!(t.recent_register("big", [0xff; 16], 65535), Some(a + 1));
        assert_eq!(t.recent_register("ssh", [0; 16], 65536), None);
    }
}
