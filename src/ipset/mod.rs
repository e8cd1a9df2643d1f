//! IP sets (the kernel's ipset core, net/netfilter/ipset/ in the ipset
//! repository's `kernel/` tree): typed sets read from `ipset save` /
//! `ipset restore` text ([`Ipsets::restore`], `restore.rs`), printed back
//! as `ipset save` / `ipset list` text (`save.rs`), and the kernel-side
//! operations `-m set` and `SET` use: [`Ipsets::test`] (`ip_set_test`),
//! [`Ipsets::add`] (`ip_set_add`) and [`Ipsets::del`] (`ip_set_del`),
//! each through the type's `kadt` function (`hash_ip4_kadt`...).
//!
//! Types: `hash:ip`, `hash:net`, `hash:ip,port`, `hash:net,port`,
//! `hash:ip,port,ip`, `hash:ip,port,net`, `hash:net,iface`, `hash:mac`,
//! `bitmap:ip`, `bitmap:port`, `list:set`, with the extensions `timeout`,
//! `counters`, `comment`, `skbinfo` and the `nomatch` flag. Elements live
//! in a hash map built when the sets are read, so a test costs one lookup
//! per stored prefix length (`hash:net` types: the kernel's
//! `mtype_test_cidrs` tries the prefix lengths present, longest first) and
//! allocates nothing. Not modelled, and refused by name when read:
//! `hash:net,iface` elements with `physdev:` (bridge ports) and `wildcard`,
//! `bitmap:ip,mac`, `hash:ip,mac`, `hash:net,net`, `hash:net,port,net`,
//! `hash:ip,mark`, `bitmask`, `markmask`.
//!
//! Layer: below `model` (which asks whether a set exists while it parses
//! `-m set` / `-j SET`, as libxt_set.h `get_set_byname` asks the kernel);
//! imports `nf`, `time` and `wire` only. The host keeps its sets in the
//! engine's shared tables; `engine/shared/ipset.rs` turns `-m set`
//! (`set_match_v4`) and `SET` (`set_target_v3`) into the calls below.
//! Checked against kernel 6.18 with ipset 7.17: the traces
//! `tests/traces/ipset-*.json`.

mod restore;
mod save;

use std::collections::HashMap;

use crate::nf::Family;
use crate::time::Instant;
use crate::wire::meta::PacketMeta;

pub use restore::{IpsetCommand, IpsetError};

/// `IPSET_MAXNAMELEN - 1`: the longest set name.
pub const MAX_NAME: usize = 31;

/// A set type (`ipset create NAME TYPE`).
///
/// ```
/// use nfsim::ipset::SetType;
/// assert_eq!(SetType::from_name("hash:net,port"), Some(SetType::HashNetPort));
/// assert_eq!(SetType::HashNetPort.name(), "hash:net,port");
/// assert_eq!(SetType::HashNetPort.dimension(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetType {
    /// `hash:ip` (ip_set_hash_ip.c)
    HashIp,
    /// `hash:net` (ip_set_hash_net.c)
    HashNet,
    /// `hash:ip,port` (ip_set_hash_ipport.c)
    HashIpPort,
    /// `hash:net,port` (ip_set_hash_netport.c)
    HashNetPort,
    /// `hash:ip,port,ip` (ip_set_hash_ipportip.c)
    HashIpPortIp,
    /// `hash:ip,port,net` (ip_set_hash_ipportnet.c)
    HashIpPortNet,
    /// `hash:net,iface` (ip_set_hash_netiface.c)
    HashNetIface,
    /// `hash:mac` (ip_set_hash_mac.c)
    HashMac,
    /// `bitmap:ip` (ip_set_bitmap_ip.c)
    BitmapIp,
    /// `bitmap:port` (ip_set_bitmap_port.c)
    BitmapPort,
    /// `list:set` (ip_set_list_set.c)
    ListSet,
}

/// What one dimension of an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dim {
    Ip,
    Net,
    Port,
    Ip2,
    Net2,
    Iface,
    Mac,
    Set,
}

impl SetType {
    const ALL: [SetType; 11] = [
        SetType::HashIp,
        SetType::HashNet,
        SetType::HashIpPort,
        SetType::HashNetPort,
        SetType::HashIpPortIp,
        SetType::HashIpPortNet,
        SetType::HashNetIface,
        SetType::HashMac,
        SetType::BitmapIp,
        SetType::BitmapPort,
        SetType::ListSet,
    ];
    /// The type's name as `ipset` spells it.
    pub const fn name(self) -> &'static str {
        match self {
            SetType::HashIp => "hash:ip",
            SetType::HashNet => "hash:net",
            SetType::HashIpPort => "hash:ip,port",
            SetType::HashNetPort => "hash:net,port",
            SetType::HashIpPortIp => "hash:ip,port,ip",
            SetType::HashIpPortNet => "hash:ip,port,net",
            SetType::HashNetIface => "hash:net,iface",
            SetType::HashMac => "hash:mac",
            SetType::BitmapIp => "bitmap:ip",
            SetType::BitmapPort => "bitmap:port",
            SetType::ListSet => "list:set",
        }
    }
    /// The type of this name.
    pub fn from_name(s: &str) -> Option<SetType> {
        SetType::ALL.into_iter().find(|t| t.name() == s)
    }
    fn dims(self) -> &'static [Dim] {
        match self {
            SetType::HashIp | SetType::BitmapIp => &[Dim::Ip],
            SetType::HashNet => &[Dim::Net],
            SetType::HashIpPort => &[Dim::Ip, Dim::Port],
            SetType::HashNetPort => &[Dim::Net, Dim::Port],
            SetType::HashIpPortIp => &[Dim::Ip, Dim::Port, Dim::Ip2],
            SetType::HashIpPortNet => &[Dim::Ip, Dim::Port, Dim::Net2],
            SetType::HashNetIface => &[Dim::Net, Dim::Iface],
            SetType::HashMac => &[Dim::Mac],
            SetType::BitmapPort => &[Dim::Port],
            SetType::ListSet => &[Dim::Set],
        }
    }
    /// `set->type->dimension`: how many `src`/`dst` flags a match needs at
    /// least (`ip_set_test` fails with fewer).
    pub fn dimension(self) -> usize {
        self.dims().len()
    }
    /// `IPSET_TYPE_NOMATCH` in the type's features: elements may be
    /// `nomatch`, and `--return-nomatch` applies.
    pub const fn has_nomatch(self) -> bool {
        matches!(
            self,
            SetType::HashNet
                | SetType::HashNetPort
                | SetType::HashIpPortNet
                | SetType::HashNetIface
        )
    }
    /// The kernel 6.18 revision `ipset list` prints (checked with ipset
    /// 7.17 on the reference kernel; hash:mac is not built there).
    const fn revision(self) -> u8 {
        match self {
            SetType::HashIp | SetType::HashIpPortIp => 6,
            SetType::HashNet | SetType::HashIpPort => 7,
            SetType::HashNetPort | SetType::HashIpPortNet | SetType::HashNetIface => 8,
            SetType::HashMac => 0,
            SetType::BitmapIp | SetType::BitmapPort | SetType::ListSet => 3,
        }
    }
    const fn is_hash(self) -> bool {
        !matches!(
            self,
            SetType::BitmapIp | SetType::BitmapPort | SetType::ListSet
        )
    }
}

/// A set's family: `NFPROTO_IPV4`, `NFPROTO_IPV6`, or `NFPROTO_UNSPEC`
/// (`hash:mac`, `bitmap:port`, `list:set`: every family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetFamily {
    /// `family inet`
    Inet,
    /// `family inet6`
    Inet6,
    /// No family.
    Unspec,
}

impl SetFamily {
    /// Whether rules of `f` may use the set (`opt->family == set->family
    /// || set->family == NFPROTO_UNSPEC`).
    pub fn applies(self, f: Family) -> bool {
        matches!(
            (self, f),
            (SetFamily::Unspec, _)
                | (SetFamily::Inet, Family::Ipv4)
                | (SetFamily::Inet6, Family::Ipv6)
        )
    }
    fn host_mask(self) -> u8 {
        if self == SetFamily::Inet6 {
            128
        } else {
            32
        }
    }
}

/// One element's key: every field a type may use (the others zero), with
/// addresses already masked to their prefix (`mtype_data_netmask`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Elem {
    ip: [u8; 16],
    cidr: u8,
    port: u16,
    proto: u8,
    ip2: [u8; 16],
    cidr2: u8,
    iface: [u8; 16],
    mac: [u8; 6],
}

/// The `skbinfo` extension (`struct ip_set_skbinfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SkbInfo {
    mark: u32,
    markmask: u32,
    prio: Option<u32>,
    queue: Option<u16>,
}

/// One element's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Insertion number (printing order).
    seq: u64,
    /// `None`: permanent (`IPSET_ELEM_PERMANENT`).
    expires: Option<Instant>,
    packets: u64,
    bytes: u64,
    comment: Option<String>,
    skb: Option<SkbInfo>,
    nomatch: bool,
}

impl Entry {
    /// `ip_set_timeout_expired`.
    fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|e| now > e)
    }
}

/// `create` options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CreateOpts {
    hashsize: u32,
    maxelem: u32,
    bucketsize: Option<u32>,
    initval: Option<u32>,
    netmask: Option<u8>,
    /// bitmap:ip first and last address (host order), bitmap:port ports.
    range: (u32, u32),
    size: u32,
    timeout: Option<u32>,
    counters: bool,
    comment: bool,
    skbinfo: bool,
    forceadd: bool,
}

/// One set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpSet {
    name: String,
    kind: SetType,
    family: SetFamily,
    opts: CreateOpts,
    members: HashMap<Elem, Entry>,
    /// `h->nets`: the prefix lengths stored (net dimension), longest
    /// first, with how many elements have each.
    nets: Vec<(u8, u32)>,
    /// list:set members: set index and entry, in list order.
    list: Vec<(usize, Entry)>,
    seq: u64,
}

/// The sets of a network namespace (`ip_set_net.ip_set_list`), in creation
/// order.
///
/// ```
/// use nfsim::ipset::Ipsets;
/// let sets = Ipsets::restore("create a hash:net family inet\nadd a 192.0.2.0/24\nadd a 192.0.2.7 nomatch\n").unwrap();
/// assert_eq!(sets.save_text(nfsim::time::Instant::ZERO),
///     "create a hash:net family inet hashsize 1024 maxelem 65536 bucketsize 12\nadd a 192.0.2.0/24\nadd a 192.0.2.7 nomatch\n");
/// assert_eq!(Ipsets::restore("add b 1.2.3.4\n").unwrap_err().to_string(),
///     "ipset v7.17: Error in line 1: The set with the given name does not exist");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipsets {
    sets: Vec<IpSet>,
}

/// No sets: what a fresh namespace has.
pub static EMPTY: Ipsets = Ipsets { sets: Vec::new() };

/// What `-m set` / `SET` pass to the set (`struct ip_set_adt_opt`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AdtOpt {
    /// Rule family.
    pub family: Option<Family>,
    /// Number of `src`/`dst` flags.
    pub dim: u8,
    /// Bit `i` set: dimension `i` is `src` (`IPSET_DIM_*_SRC`).
    pub src: u8,
    /// `--return-nomatch` (`IPSET_FLAG_RETURN_NOMATCH`).
    pub return_nomatch: bool,
    /// `! --update-counters` (`IPSET_FLAG_SKIP_COUNTER_UPDATE`).
    pub skip_counter_update: bool,
    /// `! --update-subcounters` (`IPSET_FLAG_SKIP_SUBCOUNTER_UPDATE`).
    pub skip_subcounter_update: bool,
    /// `--packets-*`: (op, value), op 1 EQ, 2 NE, 3 LT, 4 GT
    /// (`IPSET_COUNTER_*`), 0 none.
    pub packets: (u8, u64),
    /// `--bytes-*`, as `packets`.
    pub bytes: (u8, u64),
    /// `SET --timeout` for additions (`None`: the set's default).
    pub timeout: Option<u32>,
    /// `SET --exist` (`IPSET_FLAG_EXIST`): an add refreshes an existing
    /// element's timeout.
    pub exist: bool,
}

/// What a test found in a set with the `skbinfo` extension (`--map-set`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkbMap {
    /// `skbmark` value and mask, if the element has `skbinfo`.
    pub mark: Option<(u32, u32)>,
}

/// The packet as a set sees it (a slice of `sk_buff` and the hook's
/// devices).
#[derive(Debug, Clone, Copy)]
pub struct PktView<'a> {
    /// The L3 packet.
    pub data: &'a [u8],
    /// Its parse.
    pub meta: &'a PacketMeta,
    /// Input device (empty if none).
    pub in_dev: &'a str,
    /// Output device (empty if none).
    pub out_dev: &'a str,
    /// Ethernet source address of a received frame.
    pub src_mac: Option<[u8; 6]>,
}

impl PktView<'_> {
    /// `ip4addrptr` / `ip6addrptr`: the source or destination address.
    fn addr(&self, src: bool) -> [u8; 16] {
        let (s, d) = self.meta.addrs(self.data);
        if src {
            s
        } else {
            d
        }
    }
    /// ip_set_getport.c `ip_set_get_ip4_port` / `ip_set_get_ip6_port` and
    /// `get_port`: the port (ICMP: type << 8 | code) and protocol, `None`
    /// when the kernel returns false.
    fn port(&self, src: bool) -> Option<(u16, u8)> {
        let m = self.meta;
        let proto = m.protocol.0;
        match m.family {
            Family::Ipv4 => {
                if proto == 0 {
                    return None;
                }
                if m.fragoff != 0 {
                    return match proto {
                        6 | 132 | 17 | 136 | 1 => None,
                        _ => Some((0, proto)),
                    };
                }
            }
            Family::Ipv6 => {
                // ipv6_skip_exthdr failed, or a non-first fragment.
                if m.find_hdr_error.is_some() || m.fragoff != 0 || m.thoff == 0 {
                    return None;
                }
            }
        }
        let l4 = m.l4(self.data);
        let rd = |need: usize, off: usize| -> Option<u16> {
            (l4.len() >= need).then(|| u16::from_be_bytes([l4[off], l4[off + 1]]))
        };
        let port = match proto {
            6 => rd(20, if src { 0 } else { 2 })?,
            132 => rd(12, if src { 0 } else { 2 })?,
            17 | 136 => rd(8, if src { 0 } else { 2 })?,
            1 if m.family == Family::Ipv4 => rd(8, 0)?,
            58 if m.family == Family::Ipv6 => rd(8, 0)?,
            _ => 0,
        };
        Some((port, proto))
    }
}

/// `ip_set_get_ip_port` (ip_set_getport.c), as bitmap:port calls it: TCP
/// and UDP ports only.
fn tcp_udp_port(p: &PktView<'_>, src: bool) -> Option<u16> {
    match p.port(src)? {
        (port, 6 | 17) => Some(port),
        _ => None,
    }
}

/// Masks `a` (IPv4 in the first 4 bytes) to `cidr` bits of `host` bits.
fn mask(a: &mut [u8; 16], cidr: u8, host: u8) {
    for (i, b) in a.iter_mut().enumerate() {
        let bit = (i * 8) as u32;
        let keep = u32::from(cidr.min(host)).saturating_sub(bit).min(8);
        *b &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
    }
}

/// `ip_set_match_counter`.
fn counter_ok(v: u64, (op, want): (u8, u64)) -> bool {
    match op {
        1 => v == want,
        2 => v != want,
        3 => v < want,
        4 => v > want,
        _ => true,
    }
}

/// `ip_set_match_extensions` (ip_set_core.c): a timed-out element does not
/// match; counters are updated (unless `! --update-counters`) and then
/// compared (`IPSET_FLAG_MATCH_COUNTERS`); skbinfo is copied out.
/// What one test carries through `ip_set_match_extensions`.
struct Look<'o> {
    /// `skb->len`.
    len: u64,
    opt: &'o AdtOpt,
    /// `IPSET_FLAG_SKIP_COUNTER_UPDATE`.
    skip_update: bool,
    /// `IPSET_FLAG_MATCH_COUNTERS`.
    match_counters: bool,
    now: Instant,
}

fn match_extensions(e: &mut Entry, counters: bool, l: &Look<'_>, map: &mut SkbMap) -> bool {
    let Look {
        len,
        opt,
        skip_update,
        match_counters,
        now,
    } = *l;
    if e.expired(now) {
        return false;
    }
    if counters {
        if !skip_update {
            e.bytes = e.bytes.wrapping_add(len);
            e.packets = e.packets.wrapping_add(1);
        }
        if match_counters && !(counter_ok(e.packets, opt.packets) && counter_ok(e.bytes, opt.bytes))
        {
            return false;
        }
    }
    if let Some(s) = e.skb {
        map.mark = Some((s.mark, s.markmask));
    }
    true
}

/// The result of a type's test (`kadt(IPSET_TEST)`): 1 match, 0 none,
/// `-ENOTEMPTY` a `nomatch` element matched, `-EINVAL` no key.
const ENOTEMPTY: i32 = -39;

impl IpSet {
    fn host_mask(&self) -> u8 {
        self.family.host_mask()
    }

    /// The packet's key for this set (the type's `kadt`), `None` when
    /// the kernel returns an error (`-EINVAL`, out of a bitmap's range).
    ///
    /// `add`: for an add or a delete, a net dimension takes the longest
    /// prefix length stored (`INIT_CIDR(h->nets[0].cidr[0], HOST_MASK)` in
    /// `hash_net4_kadt` and the other net types), a test the host mask.
    fn packet_key(&self, p: &PktView<'_>, opt: &AdtOpt, add: bool) -> Option<Elem> {
        let mut e = Elem::default();
        let src = |i: usize| opt.src & (1 << i) != 0;
        let host = self.host_mask();
        let net_cidr = if add {
            self.nets.first().map_or(host, |n| n.0)
        } else {
            host
        };
        for (i, d) in self.kind.dims().iter().enumerate() {
            match d {
                Dim::Ip => {
                    e.ip = p.addr(src(i));
                    e.cidr = host;
                    if let Some(nm) = self.opts.netmask {
                        mask(&mut e.ip, nm, host);
                    }
                }
                Dim::Net => {
                    e.ip = p.addr(src(i));
                    e.cidr = net_cidr;
                    mask(&mut e.ip, net_cidr, host);
                }
                Dim::Ip2 => {
                    e.ip2 = p.addr(src(i));
                    e.cidr2 = host;
                }
                Dim::Net2 => {
                    e.ip2 = p.addr(src(i));
                    e.cidr2 = net_cidr;
                    mask(&mut e.ip2, net_cidr, host);
                }
                Dim::Port => {
                    if self.kind == SetType::BitmapPort {
                        e.port = tcp_udp_port(p, src(i))?;
                    } else {
                        let (port, proto) = p.port(src(i))?;
                        e.port = port;
                        e.proto = proto;
                    }
                }
                Dim::Iface => {
                    // hash_netiface4_kadt: the in (src) or out (dst)
                    // device; none is -EINVAL.
                    let dev = if src(i) { p.in_dev } else { p.out_dev };
                    if dev.is_empty() {
                        return None;
                    }
                    e.iface = iface_key(dev.as_bytes());
                }
                Dim::Mac => {
                    // hash_mac4_kadt: eth_hdr(skb)->h_source (dst is
                    // refused when the host is built); no MAC header or a
                    // zero address is -EINVAL.
                    let mac = p.src_mac?;
                    if mac == [0; 6] {
                        return None;
                    }
                    e.mac = mac;
                }
                Dim::Set => {}
            }
        }
        if self.kind == SetType::BitmapIp {
            // bitmap_ip_kadt: out of range is -IPSET_ERR_BITMAP_RANGE.
            let ip = u32::from_be_bytes([e.ip[0], e.ip[1], e.ip[2], e.ip[3]]);
            if ip < self.opts.range.0 || ip > self.opts.range.1 {
                return None;
            }
        }
        if self.kind == SetType::BitmapPort {
            let port = u32::from(e.port);
            if port < self.opts.range.0 || port > self.opts.range.1 {
                return None;
            }
        }
        Some(e)
    }

    /// `mtype_test` / `mtype_test_cidrs` (ip_set_hash_gen.h), bitmap
    /// `mtype_test` (ip_set_bitmap_gen.h).
    fn test_key(&mut self, mut key: Elem, l: &Look<'_>, map: &mut SkbMap) -> i32 {
        let counters = self.opts.counters;
        let netdim = self
            .kind
            .dims()
            .iter()
            .position(|d| matches!(d, Dim::Net | Dim::Net2));
        let Some(nd) = netdim else {
            return match self.members.get_mut(&key) {
                Some(e) => i32::from(match_extensions(e, counters, l, map)),
                None => 0,
            };
        };
        let host = self.host_mask();
        let orig = if self.kind.dims()[nd] == Dim::Net {
            key.ip
        } else {
            key.ip2
        };
        for k in 0..self.nets.len() {
            let cidr = self.nets[k].0;
            let mut a = orig;
            mask(&mut a, cidr, host);
            if self.kind.dims()[nd] == Dim::Net {
                key.ip = a;
                key.cidr = cidr;
            } else {
                key.ip2 = a;
                key.cidr2 = cidr;
            }
            if let Some(e) = self.members.get_mut(&key) {
                if match_extensions(e, counters, l, map) {
                    // mtype_do_data_match: nomatch elements -ENOTEMPTY.
                    return if e.nomatch { ENOTEMPTY } else { 1 };
                }
            }
        }
        0
    }
}

/// An interface name as the kernel keeps it (`IFNAMSIZ`, NUL padded).
fn iface_key(name: &[u8]) -> [u8; 16] {
    let mut k = [0u8; 16];
    let n = name.len().min(15);
    k[..n].copy_from_slice(&name[..n]);
    k
}

impl Ipsets {
    /// The index of the set `name` (`ip_set_get_byname`).
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        self.sets.iter().position(|s| s.name.as_bytes() == name)
    }

    /// The family of the set `name`, if it exists (what libxt_set.h
    /// `get_set_byname` asks with `IP_SET_OP_GET_FNAME`).
    ///
    /// ```
    /// use nfsim::ipset::{Ipsets, SetFamily};
    /// let s = Ipsets::restore("create p bitmap:port range 1-1024\n").unwrap();
    /// assert_eq!(s.family_of(b"p"), Some(SetFamily::Unspec));
    /// assert_eq!(s.family_of(b"q"), None);
    /// ```
    pub fn family_of(&self, name: &[u8]) -> Option<SetFamily> {
        self.find(name).map(|i| self.sets[i].family)
    }

    /// The type of the set `name`.
    pub fn type_of(&self, name: &[u8]) -> Option<SetType> {
        self.find(name).map(|i| self.sets[i].kind)
    }

    /// The sets' names, in creation order.
    ///
    /// ```
    /// use nfsim::ipset::Ipsets;
    /// let s = Ipsets::restore("create a hash:ip\ncreate b bitmap:port range 1-9\n").unwrap();
    /// assert_eq!(s.names().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.sets.iter().map(|s| s.name.as_str())
    }

    /// Whether there are no sets.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// `ip_set_test` (ip_set_core.c): whether the packet's key is in set
    /// `index` (after the dimension and family checks), with
    /// `--return-nomatch` inverting a matched element of a type with
    /// `nomatch`; what a matching element's `skbinfo` holds is written to
    /// `map`. Allocates nothing.
    pub fn test(
        &mut self,
        index: usize,
        p: &PktView<'_>,
        opt: &AdtOpt,
        now: Instant,
        map: &mut SkbMap,
    ) -> bool {
        let match_counters = opt.packets.0 != 0 || opt.bytes.0 != 0;
        self.test_flags(
            index,
            p,
            opt,
            opt.skip_counter_update,
            match_counters,
            now,
            map,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn test_flags(
        &mut self,
        index: usize,
        p: &PktView<'_>,
        opt: &AdtOpt,
        skip_update: bool,
        match_counters: bool,
        now: Instant,
        map: &mut SkbMap,
    ) -> bool {
        let Some(set) = self.sets.get(index) else {
            return false;
        };
        let fam_ok = opt.family.is_none_or(|f| set.family.applies(f));
        if usize::from(opt.dim) < set.kind.dimension() || !fam_ok {
            return false;
        }
        let len = p.data.len() as u64;
        if set.kind == SetType::ListSet {
            // list_set_ktest: members in order, sub-counters never
            // compared, and not updated with ! --update-subcounters
            // (IPSET_FLAG_SKIP_COUNTER_UPDATE set for the members: the
            // 2020 fix "ipset: Fix subcounter update skip").
            let n = set.list.len();
            for k in 0..n {
                let member = self.sets[index].list[k].0;
                let sub_skip = skip_update || opt.skip_subcounter_update;
                let sub = AdtOpt {
                    return_nomatch: opt.return_nomatch,
                    ..*opt
                };
                if !self.test_flags(member, p, &sub, sub_skip, false, now, map) {
                    continue;
                }
                let set = &mut self.sets[index];
                let counters = set.opts.counters;
                let e = &mut set.list[k].1;
                let l = Look {
                    len,
                    opt,
                    skip_update,
                    match_counters,
                    now,
                };
                if match_extensions(e, counters, &l, map) {
                    return true;
                }
            }
            return false;
        }
        let Some(key) = set.packet_key(p, opt, false) else {
            return false;
        };
        let set = &mut self.sets[index];
        let l = Look {
            len,
            opt,
            skip_update,
            match_counters,
            now,
        };
        let ret = set.test_key(key, &l, map);
        // --return-nomatch: invert a matched element.
        let ret = if opt.return_nomatch && set.kind.has_nomatch() && (ret > 0 || ret == ENOTEMPTY) {
            -ret
        } else {
            ret
        };
        ret > 0
    }

    /// `ip_set_add` (ip_set_core.c, the `SET --add-set` path): adds the
    /// packet's key with the set's default timeout or `opt.timeout`
    /// (`--exist` refreshes an existing element's timeout, otherwise an
    /// existing element is left alone: `IPSET_ERR_EXIST`). A full set adds
    /// nothing (`IPSET_ERR_HASH_FULL`) unless it was created `forceadd`.
    /// Adding an element allocates, as the kernel's `mtype_add` does.
    pub fn add(&mut self, index: usize, p: &PktView<'_>, opt: &AdtOpt, now: Instant) -> bool {
        self.kadt(index, p, opt, now, Adt::Add)
    }

    /// `ip_set_del` (`SET --del-set`): removes the packet's key.
    pub fn del(&mut self, index: usize, p: &PktView<'_>, opt: &AdtOpt, now: Instant) -> bool {
        self.kadt(index, p, opt, now, Adt::Del)
    }

    /// `set->variant->kadt` for `IPSET_ADD` / `IPSET_DEL`, as `ip_set_add` and
    /// `ip_set_del` call it (ip_set_core.c): the family and dimension
    /// checks, then `list_set_kadt` (the first member that takes it) or the
    /// packet's key added or deleted.
    fn kadt(
        &mut self,
        index: usize,
        p: &PktView<'_>,
        opt: &AdtOpt,
        now: Instant,
        adt: Adt,
    ) -> bool {
        let Some(set) = self.sets.get(index) else {
            return false;
        };
        let fam_ok = opt.family.is_none_or(|f| set.family.applies(f));
        if usize::from(opt.dim) < set.kind.dimension() || !fam_ok {
            return false;
        }
        if set.kind == SetType::ListSet {
            // list_set_kadd / list_set_kdel: the first member that takes it.
            for k in 0..set.list.len() {
                let (member, e) = &self.sets[index].list[k];
                if e.expired(now) {
                    continue;
                }
                let m = *member;
                if self.kadt(m, p, opt, now, adt) {
                    return true;
                }
            }
            return false;
        }
        let Some(key) = set.packet_key(p, opt, true) else {
            return false;
        };
        match adt {
            Adt::Add => self.add_key(index, key, p, opt, now),
            Adt::Del => {
                let set = &mut self.sets[index];
                match set.members.get(&key) {
                    Some(e) if !e.expired(now) => {
                        set.remove(&key);
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// `mtype_add` of the packet's key.
    fn add_key(
        &mut self,
        index: usize,
        key: Elem,
        p: &PktView<'_>,
        opt: &AdtOpt,
        now: Instant,
    ) -> bool {
        let set = &mut self.sets[index];
        // IP_SET_INIT_KEXT: an element added from a packet starts with
        // that packet counted (one packet, skb->len bytes).
        let count = set.opts.counters.then_some(p.data.len() as u64);
        let timeout = set
            .opts
            .timeout
            .map(|d| opt.timeout.unwrap_or(d).min(u32::MAX / 1000));
        let expires = timeout.and_then(|t| (t != 0).then(|| expiry(now, t)));
        if let Some(e) = set.members.get_mut(&key) {
            // mtype_add: an expired element is reused, and --exist
            // overwrites an existing one's extensions (counters, comment,
            // skbinfo, nomatch and timeout start afresh:
            // overwrite_extensions); otherwise -IPSET_ERR_EXIST.
            if e.expired(now) || opt.exist {
                *e = fresh_entry(e.seq, expires, count);
                return true;
            }
            return false;
        }
        if set.members.len() >= set.opts.maxelem as usize && !set.opts.forceadd {
            return false;
        }
        set.seq += 1;
        let seq = set.seq;
        set.insert(key, fresh_entry(seq, expires, count));
        true
    }
}

/// Which of `ip_set_add` / `ip_set_del` a `kadt` call is (`enum ipset_adt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adt {
    Add,
    Del,
}

fn expiry(now: Instant, secs: u32) -> Instant {
    Instant::from_nanos(
        now.as_nanos()
            .saturating_add(u64::from(secs).saturating_mul(1_000_000_000)),
    )
}

fn fresh_entry(seq: u64, expires: Option<Instant>, count: Option<u64>) -> Entry {
    Entry {
        seq,
        expires,
        packets: u64::from(count.is_some()),
        bytes: count.unwrap_or(0),
        comment: None,
        skb: None,
        nomatch: false,
    }
}

impl IpSet {
    /// Stores an element, keeping `nets` (`mtype_add_cidr`).
    fn insert(&mut self, key: Elem, e: Entry) {
        if self.members.insert(key, e).is_none() {
            if let Some(c) = self.net_cidr(&key) {
                match self.nets.iter().position(|(n, _)| *n <= c) {
                    Some(i) if self.nets[i].0 == c => self.nets[i].1 += 1,
                    Some(i) => self.nets.insert(i, (c, 1)),
                    None => self.nets.push((c, 1)),
                }
            }
        }
    }
    /// Removes an element, keeping `nets` (`mtype_del_cidr`).
    fn remove(&mut self, key: &Elem) {
        if self.members.remove(key).is_some() {
            if let Some(c) = self.net_cidr(key) {
                if let Some(i) = self.nets.iter().position(|(n, _)| *n == c) {
                    self.nets[i].1 -= 1;
                    if self.nets[i].1 == 0 {
                        self.nets.remove(i);
                    }
                }
            }
        }
    }
    fn net_cidr(&self, key: &Elem) -> Option<u8> {
        match self
            .kind
            .dims()
            .iter()
            .find(|d| matches!(d, Dim::Net | Dim::Net2))
        {
            Some(Dim::Net) => Some(key.cidr),
            Some(Dim::Net2) => Some(key.cidr2),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
