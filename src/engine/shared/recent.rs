//! `recent` (net/netfilter/xt_recent.c): the named address lists, shared
//! by every rule naming them, IPv4 and IPv6 alike (`recent_net` is per
//! network namespace).

use super::SharedTables;

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
pub(super) struct RecentTable {
    name: crate::model::ByteStr,
    mask: [u8; 16],
    nstamps_max_mask: u32,
    /// LRU order: the head is the least recently updated.
    lru: Vec<RecentEntry>,
    seq: u64,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
