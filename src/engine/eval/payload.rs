//! Payload matches: string, u32.
//! Each follows the kernel function named in its comment (Linux 6.18).

use crate::engine::ctx::PacketCtx;
use crate::model::matches::string::StringMatch;
use crate::model::matches::u32::Op;
use crate::model::matches::u32::U32;
use crate::wire::rd_u32;

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
