//! What the walk may skip without testing, for IPv4 tables: the fields rules
//! test, read once per packet ([`Fields`]); every entry's leading
//! side-effect-free predicates compiled to one compact test ([`Pre`]); and,
//! for long chains, an index from a packet's key (a source or destination
//! prefix, or a protocol and destination port) to the entries that can
//! match it ([`ChainIndex`]).
//!
//! Exactness: an entry is passed over only when a predicate the kernel
//! tests before anything with a side effect or a hotdrop is known false for
//! the packet. `ipt_do_table` (net/ipv4/netfilter/ip_tables.c) first runs
//! `ip_packet_match` (addresses, interfaces, protocol, fragment: no side
//! effect, no hotdrop for IPv4), then the matches in order; `tcp_mt` /
//! `udp_mt` (net/netfilter/xt_tcpudp.c) test the ports first and, on a first
//! fragment whose header is whole, return false without a side effect when
//! a port is out of range. So the predicates are: the addresses, a
//! non-inverted protocol, and the ports of a tcp or udp match preceded only
//! by `comment` matches (`comment_mt` always matches), the ports only when
//! the packet's header is whole and it is not a fragment. An entry passed
//! over would not have matched: its counters, its match state (no match of
//! it would have run) and TRACE (printed only for entries that match) are
//! those of the walk that tests every entry. The walk that tests every
//! entry stays (`walk::run_table_linear`, and explain mode, which wants a
//! record for every entry tested) and `tests/classify.rs` holds the two
//! equal on random rulesets.

use super::ctx::PacketCtx;
use super::program::{CRule, Generic, TableProgram};
use crate::model::Match;
use crate::wire::rd_u16;

/// The fields of an IPv4 packet the compiled predicates test, read once per
/// walk (and again after a target that lets the walk continue, which may
/// have rewritten the packet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    /// Source << 32 | destination.
    sd: u64,
    /// `iph->protocol` << 16 | the destination port `tcp_mt` / `udp_mt`
    /// would compare (0 for other protocols).
    key: u32,
    /// The packet is tcp or udp but its ports are not what `tcp_mt` /
    /// `udp_mt` compare (a fragment, or a header cut short, where those
    /// return before the ports or hotdrop): only the protocol of `key` may
    /// be used.
    no_ports: bool,
    /// `iph->protocol`.
    proto: u8,
    /// The destination port when the ports are compared, else 0.
    dport: u16,
}

impl Fields {
    /// The packet's fields; `None` when its IPv4 header is cut short (the
    /// walk then tests every entry).
    #[inline]
    pub(crate) fn read(pkt: &PacketCtx<'_>) -> Option<Fields> {
        let h = pkt.data.get(..20)?;
        let s = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
        let d = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
        let proto = h[9];
        let mut f = Fields {
            sd: u64::from(s) << 32 | u64::from(d),
            key: u32::from(proto) << 16,
            no_ports: false,
            proto,
            dport: 0,
        };
        // tcp_mt: fragoff != 0 never matches (1: hotdrop), a header shorter
        // than struct tcphdr hotdrops; udp_mt: the same with 8 bytes. Only
        // past those tests does a port mismatch mean plain "no match".
        let whole = match proto {
            6 => 20,
            17 => 8,
            _ => return Some(f),
        };
        let l4 = pkt.meta.l4(pkt.data);
        if pkt.meta.fragoff != 0 || l4.len() < whole {
            f.no_ports = true;
            return Some(f);
        }
        f.dport = rd_u16(l4, 2);
        f.key |= u32::from(f.dport);
        Some(f)
    }
}

/// An entry's leading side-effect-free predicates in one compact test: the
/// masked address compare of `ip_packet_match`, its protocol when not
/// inverted, and the destination port range of a leading tcp/udp match, as
/// one range over `protocol << 16 | port` ([`Fields::key`]). One per entry
/// of an IPv4 [`TableProgram`]; tails and entries without such predicates
/// always pass. 24 bytes, so that a scan reads little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pre {
    mask: u64,
    addr: u64,
    /// The key range: start and span (`key - lo <= span`, wrapping). Any
    /// protocol: 0 and `u32::MAX`; a protocol without ports: `proto << 16`
    /// and 0xffff; with ports: `proto << 16 | lo` and `hi - lo`.
    lo: u32,
    span: u32,
}

impl Default for Pre {
    fn default() -> Pre {
        Pre::ALWAYS
    }
}

/// The leading tcp or udp match of a rule, preceded only by `comment`
/// matches, whose protocol is the rule's non-inverted `-p`: (protocol,
/// destination port range), an inverted range given as full.
fn leading_ports(g: &Generic, matches: &[Match]) -> Option<(u8, (u16, u16))> {
    if g.proto_inv {
        return None;
    }
    let pick = |r: (u16, u16), inv: bool| if inv { (0, u16::MAX) } else { r };
    for m in matches {
        match m {
            Match::Comment(_) => {}
            Match::Tcp(t) if g.proto == 6 => return Some((6, pick(t.dports, t.dports_inv))),
            Match::Udp(u) if g.proto == 17 => return Some((17, pick(u.dports, u.dports_inv))),
            _ => return None,
        }
    }
    None
}

impl Pre {
    /// Passes every packet.
    pub(crate) const ALWAYS: Pre = Pre {
        mask: 0,
        addr: 0,
        lo: 0,
        span: u32::MAX,
    };

    pub(crate) fn of(r: &CRule) -> Pre {
        let g = &r.generic;
        let mut p = Pre::ALWAYS;
        if !g.src.1 && !g.dst.1 {
            let w = |b: &[u8; 16]| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            p.mask = w(&g.src.0.mask) << 32 | w(&g.dst.0.mask);
            p.addr = (w(&g.src.0.addr) << 32 | w(&g.dst.0.addr)) & p.mask;
        }
        if !g.proto_inv && g.proto != 0 {
            p.lo = u32::from(g.proto) << 16;
            p.span = 0xffff;
            // An empty range (lo > hi) never matches; it stays a candidate
            // and the match decides.
            if let Some((_, (lo, hi))) = leading_ports(g, &r.matches).filter(|(_, d)| d.0 <= d.1) {
                p.lo |= u32::from(lo);
                p.span = u32::from(hi - lo);
            }
        }
        p
    }

    /// False only when the entry certainly fails on these predicates, with
    /// nothing of it evaluated that has an effect.
    #[inline(always)]
    pub(crate) fn passes(&self, f: &Fields) -> bool {
        if f.no_ports {
            self.passes_proto(f)
        } else {
            self.passes_key(f)
        }
    }

    /// [`Pre::passes`] when the packet's ports are compared.
    #[inline(always)]
    fn passes_key(&self, f: &Fields) -> bool {
        (f.sd & self.mask == self.addr) & (f.key.wrapping_sub(self.lo) <= self.span)
    }

    /// [`Pre::passes`] when they are not: addresses and protocol only.
    #[inline(always)]
    fn passes_proto(&self, f: &Fields) -> bool {
        (f.sd & self.mask == self.addr)
            & ((self.span > 0xffff) | ((self.lo >> 16) as u8 == f.proto))
    }
}

/// The first entry at or after `from` whose [`Pre`] passes (`pre.len()` if
/// none): a tight scan.
#[inline]
pub(crate) fn skip(pre: &[Pre], from: u32, f: &Fields) -> u32 {
    if f.no_ports {
        scan(pre, from, f, Pre::passes_proto)
    } else {
        scan(pre, from, f, Pre::passes_key)
    }
}

#[inline(always)]
fn scan(pre: &[Pre], from: u32, f: &Fields, passes: impl Fn(&Pre, &Fields) -> bool) -> u32 {
    let Some(rest) = pre.get(from as usize..) else {
        return from;
    };
    // A plain loop whose test has no branch inside (`&`, not `&&`): the
    // compiler keeps one predictable branch per entry, which measured
    // faster than testing blocks of entries into a bit mask.
    match rest.iter().position(|p| passes(p, f)) {
        Some(p) => from + p as u32,
        None => pre.len() as u32,
    }
}

/// What a chain's index is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// Source prefixes of the listed lengths.
    Src,
    /// Destination prefixes.
    Dst,
    /// Protocol (tcp, udp) and one destination port.
    Port,
}

/// At most this many prefix lengths are looked up per packet.
const MAX_LENS: usize = 4;
/// Chains shorter than this are scanned ([`skip`]), not indexed.
const MIN_RULES: usize = 32;

/// One chain's index: for a packet's key, the positions of the entries
/// keyed on it; the entries without a key of this kind are always
/// candidates. Built when the program is compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChainIndex {
    kind: KeyKind,
    lens: [u8; MAX_LENS],
    nlens: usize,
    /// Open addressing: key, start and length in `positions` (length 0:
    /// empty slot).
    slots: Vec<(u64, u32, u32)>,
    shift: u32,
    positions: Vec<u32>,
    /// Entries of the chain (tail excluded) without a key, ascending.
    always: Vec<u32>,
    /// The chain's tail entry.
    tail: u32,
}

#[inline(always)]
fn hash(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

fn prefix_key(len: u8, addr: u32) -> u64 {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    u64::from(len) << 32 | u64::from(addr & mask)
}

/// A rule's key of `kind`: (prefix length or 0, key).
fn rule_key(kind: KeyKind, r: &CRule) -> Option<(u8, u64)> {
    let g = &r.generic;
    let net = |(a, inv): &(crate::model::ext::AddrMask, bool)| -> Option<(u8, u64)> {
        // ip_packet_match fails on either address alone, whatever the
        // other one's inversion.
        if *inv {
            return None;
        }
        let len = a.prefix_len()?;
        if len == 0 || len > 32 {
            return None;
        }
        let addr = u32::from_be_bytes([a.addr[0], a.addr[1], a.addr[2], a.addr[3]]);
        Some((len, prefix_key(len, addr)))
    };
    match kind {
        KeyKind::Src => net(&g.src),
        KeyKind::Dst => net(&g.dst),
        KeyKind::Port => {
            let (proto, d) = leading_ports(g, &r.matches)?;
            (d.0 == d.1).then(|| (0, u64::from(proto) << 16 | u64::from(d.0)))
        }
    }
}

impl ChainIndex {
    /// The best index for the entries `rules[start..tail]` (tail at
    /// `tail`), or `None` when the chain is short or no key narrows it.
    pub(crate) fn build(rules: &[CRule], start: u32, tail: u32) -> Option<ChainIndex> {
        let body = rules.get(start as usize..tail as usize)?;
        if body.len() < MIN_RULES {
            return None;
        }
        let mut best: Option<(usize, ChainIndex)> = None;
        for kind in [KeyKind::Dst, KeyKind::Src, KeyKind::Port] {
            let keys: Vec<Option<(u8, u64)>> = body.iter().map(|r| rule_key(kind, r)).collect();
            // The prefix lengths with the most rules.
            let mut lens: Vec<(usize, u8)> = Vec::new();
            for (len, _) in keys.iter().flatten() {
                match lens.iter_mut().find(|(_, l)| l == len) {
                    Some(e) => e.0 += 1,
                    None => lens.push((1, *len)),
                }
            }
            lens.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
            lens.truncate(MAX_LENS);
            let mut chosen = [0u8; MAX_LENS];
            for (i, (_, l)) in lens.iter().enumerate() {
                chosen[i] = *l;
            }
            let nlens = if kind == KeyKind::Port {
                usize::from(!lens.is_empty())
            } else {
                lens.len()
            };
            // Group positions by key, in rule order.
            let mut always = Vec::new();
            let mut by_key: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
            for (i, k) in keys.iter().enumerate() {
                let pos = start + i as u32;
                match k {
                    Some((len, key)) if chosen[..lens.len()].contains(len) => {
                        by_key.entry(*key).or_default().push(pos)
                    }
                    _ => always.push(pos),
                }
            }
            // Candidates per packet at worst: the unkeyed entries and the
            // largest bucket of each length looked up.
            let mut worst_per_len = [0usize; MAX_LENS];
            for (key, v) in &by_key {
                let len = (key >> 32) as u8;
                let i = chosen.iter().position(|l| *l == len).unwrap_or(0);
                worst_per_len[i] = worst_per_len[i].max(v.len());
            }
            let cost = always.len() + worst_per_len.iter().sum::<usize>();
            if cost * 2 > body.len() || best.as_ref().is_some_and(|(c, _)| *c <= cost) {
                continue;
            }
            let bits = (by_key.len() * 2)
                .next_power_of_two()
                .max(2)
                .trailing_zeros();
            let shift = 64 - bits;
            let mut slots = vec![(0u64, 0u32, 0u32); 1 << bits];
            let mut positions = Vec::with_capacity(body.len() - always.len());
            for (key, v) in by_key {
                let at = positions.len() as u32;
                positions.extend_from_slice(&v);
                let mut h = hash(key, shift);
                while slots[h].2 != 0 {
                    h = (h + 1) & (slots.len() - 1);
                }
                slots[h] = (key, at, v.len() as u32);
            }
            best = Some((
                cost,
                ChainIndex {
                    kind,
                    lens: chosen,
                    nlens,
                    slots,
                    shift,
                    positions,
                    always,
                    tail,
                },
            ));
        }
        best.map(|(_, i)| i)
    }

    #[inline]
    fn lookup(&self, key: u64) -> &[u32] {
        let mask = self.slots.len() - 1;
        let mut h = hash(key, self.shift);
        loop {
            let (k, at, n) = self.slots[h];
            if n == 0 {
                return &[];
            }
            if k == key {
                return self
                    .positions
                    .get(at as usize..(at + n) as usize)
                    .unwrap_or(&[]);
            }
            h = (h + 1) & mask;
        }
    }
}

/// The candidates of one chain for one packet: up to one list per looked-up
/// key and the always-candidates, each ascending, walked in order.
#[derive(Debug, Default)]
pub(crate) struct Cursor<'a> {
    lists: [&'a [u32]; MAX_LENS + 1],
    n: usize,
    tail: u32,
}

impl<'a> Cursor<'a> {
    /// The candidates of `idx` for `f`, or `None` when the index cannot
    /// be used for this packet (ports keyed, the packet tcp or udp but its
    /// ports not comparable: a fragment or a header cut short, where the
    /// tcp match would not simply fail).
    #[inline]
    pub(crate) fn new(idx: &'a ChainIndex, f: &Fields) -> Option<Cursor<'a>> {
        let mut c = Cursor {
            lists: [&[]; MAX_LENS + 1],
            n: 0,
            tail: idx.tail,
        };
        c.lists[0] = &idx.always;
        c.n = 1;
        match idx.kind {
            KeyKind::Src | KeyKind::Dst => {
                let a = if idx.kind == KeyKind::Src {
                    (f.sd >> 32) as u32
                } else {
                    f.sd as u32
                };
                for &len in &idx.lens[..idx.nlens] {
                    let l = idx.lookup(prefix_key(len, a));
                    if !l.is_empty() {
                        c.lists[c.n] = l;
                        c.n += 1;
                    }
                }
            }
            KeyKind::Port => match f.proto {
                6 | 17 => {
                    if f.no_ports {
                        return None;
                    }
                    let l = idx.lookup(u64::from(f.key));
                    if !l.is_empty() {
                        c.lists[c.n] = l;
                        c.n += 1;
                    }
                }
                // Every keyed entry says `-p tcp` or `-p udp`: it fails in
                // ip_packet_match.
                _ => {}
            },
        }
        Some(c)
    }

    /// The first candidate at or after `e` (an entry of this chain), the
    /// chain's tail when none is left. `e` never goes back while a cursor
    /// lives (the walk makes a new one when it jumps).
    #[inline]
    pub(crate) fn next(&mut self, e: u32) -> u32 {
        let mut best = self.tail;
        for l in self.lists[..self.n].iter_mut() {
            let skip = l.partition_point(|&x| x < e);
            *l = l.get(skip..).unwrap_or(&[]);
            if let Some(&x) = l.first() {
                best = best.min(x);
            }
        }
        best
    }
}

/// Builds the pre-tests and chain indexes of an IPv4 program.
pub(crate) fn build(prog: &TableProgram) -> (Vec<Pre>, Vec<Option<Box<ChainIndex>>>) {
    let pre = prog.rules.iter().map(Pre::of).collect();
    let idx = prog
        .chains
        .iter()
        .map(|c| ChainIndex::build(&prog.rules, c.start.0, c.tail.0).map(Box::new))
        .collect();
    (pre, idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Program;
    use crate::model::{Family, TableKind};
    use crate::syntax::{parse_restore, RestoreOptions};

    fn fields(src: [u8; 4], dst: [u8; 4], proto: u8, dport: u16) -> Fields {
        Fields {
            sd: u64::from(u32::from_be_bytes(src)) << 32 | u64::from(u32::from_be_bytes(dst)),
            key: u32::from(proto) << 16 | u32::from(dport),
            no_ports: false,
            proto,
            dport,
        }
    }

    #[test]
    fn skip_bounds() {
        let f = fields([192, 0, 2, 1], [198, 51, 100, 2], 6, 80);
        let a = [Pre::ALWAYS; 3];
        assert_eq!(skip(&a, 0, &f), 0);
        assert_eq!(skip(&a, 3, &f), 3);
        assert_eq!(skip(&a, 7, &f), 7);
        assert_eq!(skip(&[], 0, &f), 0);
        // Never passes: the address differs.
        let never = Pre {
            mask: u64::MAX,
            addr: 1,
            ..Pre::ALWAYS
        };
        // The first passing entry is found wherever it lies, and none
        // gives the length.
        for n in 0..20usize {
            for hit in 0..=n {
                let mut v = vec![never; n];
                if hit < n {
                    v[hit] = Pre::ALWAYS;
                }
                for from in 0..=n {
                    let want = if hit >= from && hit < n { hit } else { n };
                    assert_eq!(
                        skip(&v, from as u32, &f),
                        want as u32,
                        "n {n} hit {hit} from {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn ports_only_for_whole_first_fragments() {
        let p = Pre {
            lo: 6 << 16 | 22,
            span: 0,
            ..Pre::ALWAYS
        };
        let mut f = fields([192, 0, 2, 1], [198, 51, 100, 2], 6, 80);
        assert!(!p.passes(&f));
        let f22 = fields([192, 0, 2, 1], [198, 51, 100, 2], 6, 22);
        assert!(p.passes(&f22));
        // A fragment or a header cut short: the port is not compared.
        f.no_ports = true;
        assert!(p.passes(&f));
        // A protocol without ports, and any protocol.
        let tcp = Pre {
            lo: 6 << 16,
            span: 0xffff,
            ..Pre::ALWAYS
        };
        assert!(tcp.passes(&f) && tcp.passes(&f22) && Pre::ALWAYS.passes(&f));
        assert!(!tcp.passes(&fields([0; 4], [0; 4], 17, 80)));
        assert!(Pre::ALWAYS.passes(&fields([0; 4], [0; 4], 255, 0xffff)));
        // Another protocol fails on -p.
        let f = fields([192, 0, 2, 1], [198, 51, 100, 2], 17, 22);
        assert!(!p.passes(&f));
    }

    fn index_of(text: &str, chain: &str) -> Option<ChainIndex> {
        let rs = parse_restore(text, &RestoreOptions::new(Family::Ipv4)).unwrap();
        let prog = Program::compile(&rs).unwrap();
        let t = prog.table(TableKind::Filter).unwrap();
        let c = t.chains.iter().position(|c| c.name == chain).unwrap();
        t.index[c].as_deref().cloned()
    }

    #[test]
    fn index_kinds() {
        let mut kube = String::from("*filter\n:KUBE-SERVICES - [0:0]\n");
        let mut block = String::from("*filter\n");
        let mut ufw = String::from("*filter\n:ufw-user-input - [0:0]\n");
        let mut stateful = String::from("*filter\n");
        for i in 0..100 {
            kube += &format!("-A KUBE-SERVICES -d 10.96.0.{i}/32 -p tcp -m comment --comment \"s{i}\" -m tcp --dport 80 -j ACCEPT\n");
            block += &format!(
                "-A INPUT -s 203.0.{i}.0/24 -j DROP\n-A INPUT -s 198.51.100.{i} -j DROP\n"
            );
            ufw += &format!(
                "-A ufw-user-input -p {} --dport {} -j ACCEPT\n",
                if i % 2 == 0 { "tcp" } else { "udp" },
                1000 + i
            );
            // A stateful match before the port: the port is no key.
            stateful += &format!(
                "-A INPUT -p tcp -m limit --limit 1/s -m tcp --dport {} -j ACCEPT\n",
                1000 + i
            );
        }
        for s in [&mut kube, &mut block, &mut ufw, &mut stateful] {
            s.push_str("-A INPUT -j ACCEPT\nCOMMIT\n");
        }
        let k = index_of(&kube, "KUBE-SERVICES").unwrap();
        assert_eq!(
            (k.kind, &k.lens[..k.nlens], k.always.len()),
            (KeyKind::Dst, &[32u8][..], 0)
        );
        let b = index_of(&block, "INPUT").unwrap();
        assert_eq!(b.kind, KeyKind::Src);
        let mut lens = b.lens[..b.nlens].to_vec();
        lens.sort_unstable();
        assert_eq!((lens, b.always.len()), (vec![24, 32], 1));
        let u = index_of(&ufw, "ufw-user-input").unwrap();
        assert_eq!((u.kind, u.always.len()), (KeyKind::Port, 0));
        let start = u.tail - 100;
        assert_eq!(u.lookup(6 << 16 | 1000), &[start]);
        assert_eq!(u.lookup(17 << 16 | 1001), &[start + 1]);
        assert!(u.lookup(17 << 16 | 1000).is_empty());
        assert!(index_of(&stateful, "INPUT").is_none());
        // A packet's candidates: the bucket and the always-candidates,
        // then the tail.
        let mut c = Cursor::new(&b, &fields([198, 51, 100, 7], [0; 4], 6, 1)).unwrap();
        let mut seen = Vec::new();
        let mut e = 0;
        loop {
            e = c.next(e);
            seen.push(e);
            if e == b.tail {
                break;
            }
            e += 1;
        }
        assert_eq!(seen, [15, 200, b.tail]);
        // Ports keyed, a tcp packet whose ports cannot be compared: no
        // index for it.
        let mut f = fields([0; 4], [0; 4], 6, 1000);
        f.no_ports = true;
        assert!(Cursor::new(&u, &f).is_none());
    }
}
