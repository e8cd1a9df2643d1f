//! Conntrack matches: conntrack, state, connmark, connlimit, connbytes, helper.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::conntrack::Dir;
use crate::conntrack::Tuple;
use crate::engine::ctx::CtRef;
use crate::engine::ctx::Env;
use crate::engine::ctx::MatchResult;
use crate::engine::ctx::PacketCtx;
use crate::engine::state::MatchState;
use crate::model::matches::connbytes::Connbytes;
use crate::model::matches::connbytes::Direction;
use crate::model::matches::connbytes::What;
use crate::model::matches::connlimit::Connlimit;
use crate::model::matches::connmark::Connmark;
use crate::model::matches::conntrack::Conntrack;
use crate::model::matches::conntrack::CtDir;
use crate::model::matches::helper::Helper;
use crate::model::matches::state::State;
use crate::model::Family;
use crate::nf::CtStates;

/// `conntrack_mt` (net/netfilter/xt_conntrack.c), revision 3: the facts
/// are read from the packet's conntrack reference as each option asks
/// (`ct`: `None` without connection tracking, no state bits).
pub(crate) fn conntrack_mt(c: &Conntrack, family: Family, ct: Option<CtRef<'_>>) -> bool {
    // `--ctstate` alone (the common `RELATED,ESTABLISHED`): the state bits
    // of the slot, the entry's NAT status only when the states ask for
    // SNAT or DNAT; past the state test nothing else is tested (see
    // `conntrack_mt_general`, which this equals: `tests` below).
    if let Some((value, invert)) = state_only(c) {
        let state = ct.map_or(CtStates(0), |r| r.slot_state());
        return state_only_mt(value, invert, state);
    }
    conntrack_mt_general(c, family, ct)
}

/// A `conntrack` match whose only option is `--ctstate` without SNAT or
/// DNAT among the asked states: the states and the `!`, which
/// [`state_only_mt`] decides from the slot's bits alone (no entry read).
/// The walk's `ctstate` head (`TableProgram::ct_head`) and
/// [`conntrack_mt`] both go through these two functions.
#[inline]
pub(crate) fn state_only(c: &Conntrack) -> Option<(CtStates, bool)> {
    let s = c.state?;
    (only_state(c) && s.value.0 & 0xc0 == 0).then_some((s.value, s.invert))
}

/// [`conntrack_mt`] for a match [`state_only`] accepted, on the slot's
/// state bits ([`CtRef::slot_state`]; 0 without a conntrack reference):
/// without SNAT/DNAT in the asked states, the NAT bits the general path
/// may add to `bit` never meet `value`.
#[inline(always)]
pub(crate) fn state_only_mt(value: CtStates, invert: bool, slot_state: CtStates) -> bool {
    (value.0 & slot_state.0 & 0x10f != 0) != invert
}

/// A `conntrack` match whose only option is `--ctstate`, SNAT or DNAT
/// among the asked states or not: the states and the `!`, which
/// [`state_nat_only_mt`] decides (`CRule::ct_first`).
#[inline]
pub(crate) fn state_nat_only(c: &Conntrack) -> Option<(CtStates, bool)> {
    let s = c.state?;
    only_state(c).then_some((s.value, s.invert))
}

/// [`conntrack_mt`] for a match [`state_nat_only`] accepted (xt_conntrack.c
/// `conntrack_mt`: `statebit` from the ctinfo, `XT_CONNTRACK_STATE_SNAT` /
/// `DNAT` added from the entry's status when there is an entry; no other
/// option, so a passed state test matches). The entry is read only when
/// the states ask for SNAT or DNAT ([`CtRef::state`]); otherwise the
/// slot's bits decide, as [`state_only_mt`]. `ct`: `None` without
/// connection tracking (no state bit). Equal to `conntrack_mt_general`:
/// `bit` there is `state & 0x10f`, with `state & 0xc0` when there is an
/// entry, and `CtRef::state` has the NAT bits only for an entry.
#[inline(always)]
pub(crate) fn state_nat_only_mt(value: CtStates, invert: bool, ct: Option<CtRef<'_>>) -> bool {
    let state = match ct {
        None => CtStates(0),
        Some(r) if value.0 & 0xc0 == 0 => r.slot_state(),
        Some(r) => r.state(),
    };
    (value.0 & state.0 & 0x1cf != 0) != invert
}

/// No option of `c` but `--ctstate`.
#[inline]
fn only_state(c: &Conntrack) -> bool {
    c.dir.is_none()
        && c.proto.is_none()
        && c.orig_src.is_none()
        && c.orig_dst.is_none()
        && c.orig_src_port.is_none()
        && c.orig_dst_port.is_none()
        && c.repl_src.is_none()
        && c.repl_dst.is_none()
        && c.repl_src_port.is_none()
        && c.repl_dst_port.is_none()
        && c.status.is_none()
        && c.expire.is_none()
}

/// [`conntrack_mt`] option by option, as `conntrack_mt` in the kernel.
#[inline(never)]
fn conntrack_mt_general(c: &Conntrack, family: Family, ct: Option<CtRef<'_>>) -> bool {
    let entry = ct.and_then(|r| r.entry());
    if let Some(s) = c.state {
        let state = ct.map_or(0, |r| r.state().0);
        let mut bit = state & 0x10f;
        if entry.is_some() {
            bit |= state & 0xc0;
        }
        if (s.value.0 & bit != 0) == s.invert {
            return false;
        }
    }
    let Some(e) = entry else {
        return c.state.is_some();
    };
    if let Some(d) = c.dir {
        if (d == CtDir::Reply) != e.reply_dir() {
            return false;
        }
    }
    let wants_orig = c.proto.is_some()
        || c.orig_src.is_some()
        || c.orig_dst.is_some()
        || c.orig_src_port.is_some()
        || c.orig_dst_port.is_some();
    let wants_repl = c.repl_src.is_some()
        || c.repl_dst.is_some()
        || c.repl_src_port.is_some()
        || c.repl_dst_port.is_some();
    if (wants_orig || wants_repl) && !tuples_match(c, family, &e, wants_orig, wants_repl) {
        return false;
    }
    if let Some(s) = c.status {
        if (s.value.0 & e.status() != 0) == s.invert {
            return false;
        }
    }
    if let Some(x) = c.expire {
        let secs = e.expires_secs();
        if (secs >= x.value.0 && secs <= x.value.1) == x.invert {
            return false;
        }
    }
    true
}

/// The tuple options of [`conntrack_mt`] (`conntrack_mt_origsrc` & co.,
/// `--ctproto`, the port ranges), for an entry and the directions some
/// option reads.
fn tuples_match(
    c: &Conntrack,
    family: Family,
    e: &crate::engine::ctx::CtEntry<'_>,
    wants_orig: bool,
    wants_repl: bool,
) -> bool {
    // The tuples are read only for the options that test them (a stale
    // handle reads as zeros).
    let zero = Tuple {
        family,
        src: [0; 16],
        dst: [0; 16],
        proto: 0,
        src_u: 0,
        dst_u: 0,
    };
    let read = |dir, wanted: bool| {
        if wanted {
            e.tuple(dir).unwrap_or(zero)
        } else {
            zero
        }
    };
    let orig = read(Dir::Original, wants_orig);
    let repl = read(Dir::Reply, wants_repl);
    // conntrack_mt_origsrc & co.: masked compare over the family's length.
    let addrs = [
        (&c.orig_src, &orig.src),
        (&c.orig_dst, &orig.dst),
        (&c.repl_src, &repl.src),
        (&c.repl_dst, &repl.dst),
    ];
    let n = if family == Family::Ipv4 { 4 } else { 16 };
    for (want, have) in addrs {
        if let Some(w) = want {
            let hit =
                (0..n).all(|i| (have[i] & w.value.mask[i]) == (w.value.addr[i] & w.value.mask[i]));
            if hit == w.invert {
                return false;
            }
        }
    }
    if let Some(p) = c.proto {
        if (orig.proto == p.value) == p.invert {
            return false;
        }
    }
    let ports = [
        (c.orig_src_port, orig.src_u),
        (c.orig_dst_port, orig.dst_u),
        (c.repl_src_port, repl.src_u),
        (c.repl_dst_port, repl.dst_u),
    ];
    for (want, have) in ports {
        if let Some(w) = want {
            if (have >= w.value.0 && have <= w.value.1) == w.invert {
                return false;
            }
        }
    }
    true
}

/// `state_mt` (net/netfilter/xt_state.c): the same bits without SNAT/DNAT.
pub(crate) fn state_mt(s: &State, ct: Option<CtRef<'_>>) -> bool {
    let bit = ct.map_or(0, |r| r.state().0) & 0x10f;
    (s.states.0 & bit != 0) ^ s.invert
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

/// `connlimit_mt` (net/netfilter/xt_connlimit.c, Linux 6.18.y with the
/// sk_buff conncount API): the key is the source (or with
/// `--connlimit-daddr` the destination) address masked by
/// `--connlimit-mask`, then the packet's zone id; the count comes
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
    // key[words] = zone->id: the packet's conntrack zone (the default
    // zone, 0, without an entry).
    let zone = env.ct().and_then(|r| r.entry()).map_or(0, |e| e.zone());
    if let Some(k) = key.get_mut(words) {
        *k = u32::from(zone);
    }
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

/// `helper_mt` (net/netfilter/xt_helper.c): the answer is `invert` unless
/// the packet's conntrack entry has a master with a helper (an expected
/// connection: the data connection of an FTP control connection whose
/// helper was set by `-j CT --helper`); then an empty name matches any
/// helper, else `strncmp(helper->name, name, strlen(helper->name)) == 0`
/// (only the helper name's length is compared: `--helper ftp-21` matches
/// `ftp`). Recorded: trace ct-helper-ftp.
#[inline]
pub(crate) fn helper_mt(h: &Helper, ct: Option<CtRef<'_>>) -> bool {
    let Some(name) = ct.and_then(|r| r.entry()).and_then(|e| e.master_helper()) else {
        return h.invert;
    };
    let name = name.as_bytes();
    let want: &[u8] = &h.name;
    if want.is_empty() {
        return !h.invert;
    }
    // strncmp stops at the first NUL of either string.
    let mut equal = true;
    for (i, &c) in name.iter().enumerate() {
        let w = want.get(i).copied().unwrap_or(0);
        if w != c {
            equal = false;
            break;
        }
    }
    h.invert ^ equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conntrack::{
        Config, ConntrackTable, CtInfo, CtSlot, ManipType, NatRange, SplitMix64,
    };
    use crate::model::matches::conntrack::Inv;
    use crate::nf::{CtStates, Hook};
    use crate::time::Instant;
    use crate::wire::meta::PacketMeta;

    /// `conntrack_mt`'s `--ctstate`-only shortcut against the option by
    /// option path, for every state mask (SNAT/DNAT included, where the
    /// shortcut steps aside), both inversions, and every kind of packet
    /// slot: none, invalid, untracked, each ctinfo of a plain, a DNATed
    /// and an SNATed entry.
    #[test]
    fn state_only_shortcut_is_the_general_path() {
        let mut t = ConntrackTable::new(Config::default()).unwrap();
        let mut rng = SplitMix64::new(1);
        let mut handles = Vec::new();
        for (i, nat) in [None, Some(ManipType::Dst), Some(ManipType::Src)]
            .into_iter()
            .enumerate()
        {
            let pkt = crate::wire::PacketBuilder::ipv4(
                [192, 0, 2, 10 + i as u8].into(),
                [198, 51, 100, 1].into(),
            )
            .udp(1000, 53)
            .build();
            let meta = PacketMeta::parse(&pkt).unwrap();
            let r = t.process(&pkt, &meta, Hook::PreRouting, Instant::ZERO);
            let h = r.slot.handle().unwrap();
            if let Some(m) = nat {
                let to = NatRange::to([203, 0, 113, 7].into(), [203, 0, 113, 7].into(), None);
                assert_eq!(
                    t.setup_nat(h, m, &to, &mut rng, Instant::ZERO),
                    crate::conntrack::CtVerdict::Accept
                );
            }
            handles.push(h);
        }
        let nat_bits: Vec<u32> = handles
            .iter()
            .map(|h| {
                t.state_bits(CtSlot::Entry {
                    handle: *h,
                    info: CtInfo::New,
                })
                .0 & 0xc0
            })
            .collect();
        assert_eq!(nat_bits, [0, CtStates::DNAT.0, CtStates::SNAT.0]);
        let mut slots = vec![None, Some(CtSlot::Invalid), Some(CtSlot::Untracked)];
        for h in &handles {
            for info in [
                CtInfo::New,
                CtInfo::Established,
                CtInfo::Related,
                CtInfo::EstablishedReply,
                CtInfo::RelatedReply,
            ] {
                slots.push(Some(CtSlot::Entry { handle: *h, info }));
            }
        }
        for value in 0..0x200u32 {
            for invert in [false, true] {
                let c = Conntrack {
                    state: Some(Inv {
                        value: CtStates(value),
                        invert,
                    }),
                    ..Default::default()
                };
                for slot in &slots {
                    for with_ct in [false, true] {
                        let ct = with_ct.then(|| CtRef::new(&t, *slot, Instant::ZERO));
                        assert_eq!(
                            conntrack_mt(&c, Family::Ipv4, ct),
                            conntrack_mt_general(&c, Family::Ipv4, ct),
                            "{value:#x} {invert} {slot:?} {with_ct}"
                        );
                    }
                }
            }
        }
    }
}
