//! Matches on marks, address types, quotas and payload: mark, connmark,
//! addrtype, quota, string, u32, helper. Each follows the kernel function
//! named in its comment (Linux 6.x behaviour; where the stored kernel source
//! was older, the comment says which behaviour was followed).
//!
//! Deliberately unsupported (the rule is refused at compile time, see
//! [`misc_supported`]): `time` (needs wall-clock time, which the host has no
//! epoch for), `connbytes` (loading the rule forces conntrack accounting on
//! for the whole netns, a host side effect nfsim does not model yet),
//! `string --algo fsm` (ts_fsm takes a token program, not a string), and the
//! IPv6 `addrtype` forms that depend on IPv6 route flags nfsim's routing
//! table does not carry (see [`addrtype_supported`]).

use crate::engine::ctx::{Env, PacketCtx};
use crate::engine::state::MatchState;
use crate::model::matches::addrtype::Addrtype;
use crate::model::matches::string::{Algo, StringMatch};
use crate::model::matches::u32::{Op, U32};
use crate::model::matches::{connmark::Connmark, helper::Helper, mark::Mark, quota::Quota};
use crate::model::{Family, Match};
use crate::wire::rd_u32;

/// `XT_ADDRTYPE_*` bits (include/uapi/linux/netfilter/xt_addrtype.h),
/// `1 << RTN_*`.
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

/// The family-dependent part of `match_supported` (checked by
/// `compile_table` next to it): IPv6 `addrtype` forms, see
/// [`addrtype_supported`].
pub fn family_supported(m: &Match, family: Family) -> bool {
    match m {
        Match::Addrtype(a) => addrtype_supported(a, family),
        _ => true,
    }
}

/// `string`: the Boyer-Moore and Knuth-Morris-Pratt searches.
pub(crate) fn string_supported(s: &StringMatch) -> bool {
    // --algo is mandatory in iptables; fsm needs a token program.
    matches!(s.algo, Some(Algo::Bm) | Some(Algo::Kmp))
}

/// `addrtype`: IPv4 fully. IPv6 (`addrtype_mt6`) needs `nf_ip6_route`'s
/// `RTF_REJECT`/`RTF_ANYCAST` flags and, with `--limit-iface-*`, the strict
/// per-interface lookup; nfsim's IPv6 routing table has neither, so only the
/// forms whose answer depends solely on the address class and on whether
/// the address is one of the host's own (`RTF_LOCAL`) are accepted: no
/// interface limit, and a mask that triggers the route lookup (LOCAL) must
/// not also contain UNICAST, ANYCAST or UNREACHABLE (whose lookup bits would
/// need the route flags).
pub fn addrtype_supported(a: &Addrtype, family: Family) -> bool {
    if family == Family::Ipv4 {
        return true;
    }
    if a.limit_in || a.limit_out {
        return false;
    }
    let ok = |mask: u16| {
        let lookup = rtn::LOCAL | rtn::ANYCAST | rtn::UNREACHABLE;
        mask & lookup == 0 || mask & (rtn::UNICAST | rtn::ANYCAST | rtn::UNREACHABLE) == 0
    };
    ok(a.src) && ok(a.dst)
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
pub(crate) fn connmark_mt(m: &Connmark, pkt: &PacketCtx<'_>) -> bool {
    if !pkt.ct.has_entry {
        return false;
    }
    ((pkt.ct.mark & m.mark.mask) == m.mark.value) ^ m.invert
}

/// `addrtype_mt_v1` (net/netfilter/xt_addrtype.c). The device is the input
/// device with `--limit-iface-in`, the output device with
/// `--limit-iface-out` (none when the hook has no such device).
///
/// IPv4: `match_type` = `mask & (1 << inet_dev_addr_type(net, dev, addr))`,
/// source first, destination only if the source test passed.
/// IPv6: `match_type6`: MULTICAST / UNICAST / UNSPEC in the mask require
/// that address class (`ipv6_addr_type`); then, when the mask has LOCAL,
/// ANYCAST or UNREACHABLE, `mask & match_lookup_rt6(...)` (the host answers
/// the lookup through [`Env::addr_type`]).
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
/// inversion is applied). Shifts by 32 or more behave as on x86 (the count
/// is taken modulo 32), the architecture the reference traces come from.
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
mod tests {}
