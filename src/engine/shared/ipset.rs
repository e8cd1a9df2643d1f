//! `-m set` (net/netfilter/xt_set.c `set_match_v4`) over the namespace's
//! ip sets ([`crate::ipset`]): the match's options become the kernel's
//! `struct ip_set_adt_opt` (`ADT_OPT`), then `match_set` inverts the
//! result of `ip_set_test` for `! --match-set`.

use super::SharedTables;
use crate::engine::ctx::{Env, PacketCtx};
use crate::engine::state::MatchState;
use crate::ipset::{AdtOpt, PktView, SetType, SkbMap};
use crate::model::matches::set::{CounterOp, Set};
use crate::model::targets::set::{SetRef, SetTarget};

/// `set_match_v1_checkentry`: the set's index (`ip_set_nfnl_get_byindex`),
/// `None` when it does not exist. A `hash:mac` set tested with `dst` is
/// refused: nfsim keeps only a received frame's source MAC address.
pub(crate) fn ipset_register(shared: &SharedTables, x: &Set) -> Option<u64> {
    let i = shared.ipset.find(x.name.as_bytes())?;
    if shared.ipset.type_of(x.name.as_bytes()) == Some(SetType::HashMac)
        && x.dirs.first() == Some(&false)
    {
        return None;
    }
    Some(i as u64)
}

fn counter(c: Option<CounterOp>) -> (u8, u64) {
    // IPSET_COUNTER_EQ 1, NE 2, LT 3, GT 4 (uapi ip_set.h).
    match c {
        None => (0, 0),
        Some(CounterOp::Eq(v)) => (1, v),
        Some(CounterOp::Ne(v)) => (2, v),
        Some(CounterOp::Lt(v)) => (3, v),
        Some(CounterOp::Gt(v)) => (4, v),
    }
}

/// `IPSET_DIM_*_SRC` flags: one `src` bit per dimension, as
/// libxt_set.h `parse_dirs` sets them.
fn src_bits(dirs: &[bool]) -> u8 {
    dirs.iter()
        .enumerate()
        .fold(0, |b, (i, &d)| if d { b | 1 << i } else { b })
}

/// The `struct ip_set_adt_opt` of a `-m set` match (`ADT_OPT` in
/// `set_match_v4`): one `src` bit per dimension, the counter flags.
pub(crate) fn match_opt(x: &Set, family: crate::nf::Family) -> AdtOpt {
    AdtOpt {
        family: Some(family),
        dim: x.dirs.len() as u8,
        src: src_bits(&x.dirs),
        return_nomatch: x.return_nomatch,
        skip_counter_update: x.skip_counter_update,
        skip_subcounter_update: x.skip_subcounter_update,
        packets: counter(x.packets),
        bytes: counter(x.bytes),
        timeout: None,
        exist: false,
    }
}

/// `set_match_v4` (xt_set.c): `match_set` = `ip_set_test` of the set
/// `checkentry` found (its index in `st.a`), inverted by `! --match-set`.
/// Allocates nothing.
pub(crate) fn set_mt<E: Env>(x: &Set, pkt: &PacketCtx<'_>, st: &MatchState, env: &mut E) -> bool {
    let Some(t) = env.shared_tables() else {
        return x.invert;
    };
    if !st.init {
        return x.invert;
    }
    let opt = match_opt(x, pkt.family);
    let view = PktView {
        data: pkt.data,
        meta: &pkt.meta,
        in_dev: pkt.in_dev,
        out_dev: pkt.out_dev,
        src_mac: pkt.src_mac,
    };
    let mut map = SkbMap::default();
    t.ipset.test(st.a as usize, &view, &opt, pkt.now, &mut map) != x.invert
}

/// The `struct ip_set_adt_opt` of one `SET` set (`ADT_OPT` in
/// `set_target_v3`).
fn target_opt(r: &SetRef, family: crate::nf::Family) -> AdtOpt {
    AdtOpt {
        family: Some(family),
        dim: r.dirs.len() as u8,
        src: src_bits(&r.dirs),
        ..AdtOpt::default()
    }
}

/// `set_target_v3` (xt_set.c): `ip_set_add` to the `--add-set` set (with
/// `--timeout` or the set's default, `--exist`), `ip_set_del` from the
/// `--del-set` set, then for `--map-set` a test whose matching element's
/// `skbinfo` sets `skb->mark = (skb->mark & ~skbmarkmask) ^ skbmark` with
/// `--map-mark`. `--map-prio` and `--map-queue` set `skb->priority` and
/// the queue mapping, which nothing nfsim reports depends on (no qdisc,
/// no match reads them). Always `XT_CONTINUE`. Sets are found by name (a
/// scan of the namespace's few sets; nothing allocated unless an element
/// is added).
pub(crate) fn set_tg(x: &SetTarget, pkt: &mut PacketCtx<'_>, shared: &mut SharedTables) {
    let mut mark = None;
    {
        let view = PktView {
            data: pkt.data,
            meta: &pkt.meta,
            in_dev: pkt.in_dev,
            out_dev: pkt.out_dev,
            src_mac: pkt.src_mac,
        };
        let sets = &mut shared.ipset;
        if let Some(a) = &x.add {
            if let Some(i) = sets.find(a.name.as_bytes()) {
                let opt = AdtOpt {
                    timeout: x.timeout,
                    exist: x.exist,
                    ..target_opt(a, pkt.family)
                };
                sets.add(i, &view, &opt, pkt.now);
            }
        }
        if let Some(d) = &x.del {
            if let Some(i) = sets.find(d.name.as_bytes()) {
                sets.del(i, &view, &target_opt(d, pkt.family), pkt.now);
            }
        }
        if let Some(m) = &x.map {
            if let Some(i) = sets.find(m.name.as_bytes()) {
                let mut map = SkbMap::default();
                if sets.test(i, &view, &target_opt(m, pkt.family), pkt.now, &mut map) && x.map_mark
                {
                    mark = map.mark;
                }
            }
        }
    }
    if let Some((value, mask)) = mark {
        pkt.mark = (pkt.mark & !mask) ^ value;
    }
}
