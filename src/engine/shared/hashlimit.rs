//! `hashlimit` (net/netfilter/xt_hashlimit.c): token buckets per hashed
//! key, in tables named by the rules and shared by every rule naming them.

use super::SharedTables;

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
pub(super) struct HashTable {
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
        let nh = crate::wire::IpProtocol(*data.get(6)?);
        let s = crate::wire::ipv6::skip_exthdr(data, 40, nh)?;
        (s.offset, s.nexthdr.0)
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

#[cfg(test)]
mod tests {
    use super::*;

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
            // 228 bytes: UDP 192.0.2.70 (every fourth 192.0.2.71):5000 -> 192.0.2.1:137.
            let src = [192, 0, 2, if i % 4 == 3 { 71 } else { 70 }];
            let p = crate::wire::PacketBuilder::ipv4(src.into(), [192, 0, 2, 1].into())
                .udp(5000, 137)
                .payload(&[0; 200])
                .build();
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
}
