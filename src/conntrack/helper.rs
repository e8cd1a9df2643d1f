//! Conntrack helpers and expectations (Linux 6.18
//! net/netfilter/nf_conntrack_helper.c, nf_conntrack_expect.c,
//! nf_conntrack_ftp.c, nf_conntrack_tftp.c).
//!
//! A helper is attached to a connection only by a template: `-j CT
//! --helper NAME` in the raw table (xt_CT.c `xt_ct_set_helper`) gives the
//! packet a template ([`CtTemplate`], [`super::CtSlot::Template`]), and
//! `init_conntrack` hands its helper to the new connection
//! (`__nf_ct_try_assign_helper`). Linux 6.18 has no automatic helper
//! assignment (the `nf_conntrack_helper` sysctl is gone since 6.0).
//!
//! The helper runs where the kernel runs it, in `nf_confirm` (the last
//! hook of INPUT and POSTROUTING), on every packet of its connection but
//! `IP_CT_RELATED_REPLY` ones ([`super::ConntrackTable::help`]). An
//! expectation it registers (`nf_ct_expect_related`) makes the matching
//! new connection `IPS_EXPECTED` (RELATED for `--ctstate`), with a master
//! whose helper `-m helper` reads.
//!
//! Per-entry helper data lives beside the table in [`Helpers`], indexed
//! by slot and stamped with the entry's generation, so that the table's
//! hot entries are unchanged and a reused slot never sees stale data.
//! Expectations are held in insertion order; a lookup walks them newest
//! first, as the kernel walks its expectation hash chain (`hlist_add_head`).
//! An expectation whose master is gone (deleted, expired, dying) is gone
//! too, as `nf_ct_remove_expectations` removes it when the master dies;
//! expired expectations are dropped when met.
//!
//! The NAT side of ftp (`nf_nat_ftp`) is in [`super::ftpnat`] (IPv4);
//! `nf_nat_tftp` (IPv4: the expectation with `nf_nat_follow_master`, no
//! payload change) in `ConntrackTable::help`.
//! Known limits: IPv6 `nf_nat_tftp`, and `nf_nat_ftp` for what
//! [`super::ftpnat`] lists, are not modelled: a packet for which the kernel
//! would call it reports [`HelpVerdict::Unsupported`]. EPRT with an IPv6 address is
//! read with the standard IPv6 text parser, not `in6_pton` (they agree on
//! well-formed addresses).

use super::{CtHandle, Dir, Family, Tuple};
use crate::time::{Duration, Instant};
use crate::wire::get_u16;

/// A conntrack helper nfsim runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelperKind {
    /// `ftp` (nf_conntrack_ftp.c).
    Ftp,
    /// `tftp` (nf_conntrack_tftp.c).
    Tftp,
    /// A helper the kernel registers and nfsim does not run (its name, from
    /// [`UNMODELLED`]): a rule attaching it loads, and every packet of a
    /// connection that has it is reported unsupported
    /// ([`HelpVerdict::Unsupported`]) where the kernel would run it.
    Unmodelled(&'static str),
}

/// The other helpers Linux 6.18 registers (nf_conntrack_{irc,sip,amanda,
/// pptp,sane,netbios_ns,snmp,h323_main}.c, nf_nat_snmp_basic_main.c), with
/// the per-packet error nfsim reports for them.
pub const UNMODELLED: [(&str, &str); 10] = [
    ("irc", "conntrack helper irc is not modelled"),
    ("sip", "conntrack helper sip is not modelled"),
    ("amanda", "conntrack helper amanda is not modelled"),
    ("pptp", "conntrack helper pptp is not modelled"),
    ("sane", "conntrack helper sane is not modelled"),
    ("netbios-ns", "conntrack helper netbios-ns is not modelled"),
    ("snmp", "conntrack helper snmp is not modelled"),
    ("snmp_trap", "conntrack helper snmp_trap is not modelled"),
    ("RAS", "conntrack helper RAS is not modelled"),
    ("Q.931", "conntrack helper Q.931 is not modelled"),
];

impl HelperKind {
    /// The helper's name (`helper->name`).
    ///
    /// ```
    /// use nfsim::conntrack::HelperKind;
    /// assert_eq!(HelperKind::Ftp.name(), "ftp");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            HelperKind::Ftp => "ftp",
            HelperKind::Tftp => "tftp",
            HelperKind::Unmodelled(n) => n,
        }
    }

    /// The helper of that name (the name `-j CT --helper` gives; the
    /// rule's protocol and family are checked when the rule is loaded).
    ///
    /// ```
    /// use nfsim::conntrack::HelperKind;
    /// assert_eq!(HelperKind::from_name(b"ftp"), Some(HelperKind::Ftp));
    /// assert_eq!(HelperKind::from_name(b"sip"), Some(HelperKind::Unmodelled("sip")));
    /// assert_eq!(HelperKind::from_name(b"nope"), None);
    /// ```
    pub fn from_name(name: &[u8]) -> Option<HelperKind> {
        match name {
            b"ftp" => Some(HelperKind::Ftp),
            b"tftp" => Some(HelperKind::Tftp),
            _ => UNMODELLED
                .iter()
                .find(|(n, _)| n.as_bytes() == name)
                .map(|(n, _)| HelperKind::Unmodelled(n)),
        }
    }

    /// The helper of that name for an L4 protocol (`nf_conntrack_helper_try_module_get`:
    /// name, family and protocol), `None` for a helper nfsim does not run.
    ///
    /// ```
    /// use nfsim::conntrack::HelperKind;
    /// assert_eq!(HelperKind::lookup(b"tftp", 17), Some(HelperKind::Tftp));
    /// assert_eq!(HelperKind::lookup(b"tftp", 6), None);
    /// ```
    pub fn lookup(name: &[u8], l4proto: u8) -> Option<HelperKind> {
        // Only the helpers nfsim runs.
        match (name, l4proto) {
            (b"ftp", 6) => Some(HelperKind::Ftp),
            (b"tftp", 17) => Some(HelperKind::Tftp),
            _ => None,
        }
    }

    /// `expect_policy`: (`max_expected`, `timeout`). Both helpers: 1 and
    /// 5 minutes (`ftp_exp_policy`, `tftp_exp_policy`).
    fn policy(self) -> (usize, Duration) {
        match self {
            HelperKind::Ftp | HelperKind::Tftp => (1, Duration::from_secs(5 * 60)),
            // Never registers an expectation in nfsim.
            HelperKind::Unmodelled(_) => (0, Duration::ZERO),
        }
    }
}

/// What `-j CT` (without `--notrack`) attaches to a packet that has no
/// conntrack yet (`nf_ct_tmpl_alloc` in `xt_ct_tg_check`): the helper to
/// give a new connection.
///
/// ```
/// use nfsim::conntrack::{CtTemplate, HelperKind};
/// let t = CtTemplate { helper: Some(HelperKind::Ftp), ..CtTemplate::default() };
/// assert_eq!(t.helper.map(|h| h.name()), Some("ftp"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CtTemplate {
    /// `--helper`.
    pub helper: Option<HelperKind>,
    /// `--zone`: the zone id of the new connection and of
    /// the lookup (`nf_ct_zone_tmpl`); with `zone_mark`, the host sets it
    /// from the packet mark when conntrack runs.
    pub zone: u16,
    /// `--zone mark`: the zone id is `skb->mark` (its low 16 bits) when
    /// `nf_conntrack_in` runs.
    pub zone_mark: bool,
    /// The directions the zone applies to: 1 original only (`--zone-orig`),
    /// 2 reply only (`--zone-reply`), 0 both (`--zone`).
    pub zone_dir: u8,
    /// `--timeout`: the table's timeout policy
    /// ([`ConntrackTable::timeout_policy`](super::ConntrackTable::timeout_policy)).
    pub timeout: Option<u16>,
}

impl CtTemplate {
    /// `nf_ct_zone_tmpl`.
    pub(super) fn zone(&self) -> Zone {
        Zone {
            id: self.zone,
            dir: self.zone_dir,
        }
    }
}

/// A conntrack zone (`struct nf_conntrack_zone`): its id and the
/// directions it applies to (`dir`: bit 0 original, bit 1 reply; 0 or 3
/// both, `NF_CT_DEFAULT_ZONE_DIR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(super) struct Zone {
    pub(super) id: u16,
    pub(super) dir: u8,
}

impl Zone {
    /// `nf_ct_zone_id(zone, dir)`: the id in direction `d` (0 original, 1
    /// reply), the default zone's 0 in a direction it does not cover.
    #[inline]
    pub(super) fn id_for(self, d: usize) -> u16 {
        if self.dir == 0 || self.dir & (1 << d) != 0 {
            self.id
        } else {
            0
        }
    }
}

/// What a helper decided for a packet ([`super::ConntrackTable::help`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelpVerdict {
    /// `NF_ACCEPT`.
    Accept,
    /// `NF_DROP` (a partial FTP command, an expectation that cannot be
    /// registered), with what `nf_ct_helper_log` writes before the packet:
    /// the helper's name and the reason.
    Drop(HelperKind, &'static str),
    /// The kernel would run a part of the helper nfsim does not model.
    Unsupported(&'static str),
}

/// `struct nf_ct_ftp_master`: sequence numbers just after a newline, per
/// direction (`NUM_SEQ_TO_REMEMBER` = 2).
#[derive(Debug, Clone, Copy, Default)]
struct FtpInfo {
    seq_aft_nl: [[u32; 2]; 2],
    num: [u8; 2],
}

/// Helper data of one slot (`nf_conn_help` and `ct->master`).
#[derive(Debug, Clone, Copy)]
struct Help {
    /// The entry's generation when this was written.
    gen: u32,
    helper: Option<HelperKind>,
    master: Option<CtHandle>,
    /// The master's helper (kept: the kernel's `ct->master` holds a
    /// reference, so the master's helper stays readable after it dies).
    master_helper: Option<HelperKind>,
    ftp: FtpInfo,
    /// `nf_conn_seqadj`, by direction (nf_conntrack_seqadj.c).
    seqadj: [super::ftpnat::SeqAdj; 2],
}

/// One expectation (`struct nf_conntrack_expect`), with the masks of
/// `nf_ct_expect_init`: addresses compared over the family's length, the
/// source port only when `src_port_mask` is set.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expect {
    pub(super) master: CtHandle,
    pub(super) helper: HelperKind,
    pub(super) tuple: Tuple,
    /// Whether the source address is compared (`saddr` given).
    pub(super) src_addr_mask: bool,
    /// `mask.src.u.all`.
    pub(super) src_port_mask: u16,
    /// `exp->timeout` in ns.
    pub(super) deadline: u64,
    /// `exp->zone`: the master's zone.
    pub(super) zone: u16,
    /// Set by `nf_nat_ftp`: `expectfn = nf_nat_follow_master`, with
    /// `exp->dir` and `exp->saved_proto` (the port the command named).
    pub(super) follow: Option<(usize, u16)>,
}

impl Expect {
    /// `nf_ct_tuple_mask_cmp(tuple, &exp->tuple, &exp->mask)` and
    /// `nf_ct_exp_zone_equal_any`.
    fn matches(&self, t: &Tuple, zone: u16) -> bool {
        let e = &self.tuple;
        let n = e.family.addr_len();
        zone == self.zone
            && t.family == e.family
            && t.proto == e.proto
            && (!self.src_addr_mask || t.src[..n] == e.src[..n])
            && (t.src_u ^ e.src_u) & self.src_port_mask == 0
            && t.dst[..n] == e.dst[..n]
            && t.dst_u == e.dst_u
    }

    /// `expect_matches`: equal tuples and masks.
    fn same(&self, o: &Expect) -> bool {
        self.zone == o.zone
            && self.tuple == o.tuple
            && self.src_addr_mask == o.src_addr_mask
            && self.src_port_mask == o.src_port_mask
    }

    /// `expect_clash`: equal under the intersection of the masks.
    fn clash(&self, o: &Expect) -> bool {
        let (a, b) = (&self.tuple, &o.tuple);
        let n = a.family.addr_len();
        let src_mask = self.src_addr_mask && o.src_addr_mask;
        let port_mask = self.src_port_mask & o.src_port_mask;
        self.zone == o.zone
            && a.family == b.family
            && a.proto == b.proto
            && (!src_mask || a.src[..n] == b.src[..n])
            && (a.src_u ^ b.src_u) & port_mask == 0
            && a.dst[..n] == b.dst[..n]
            && a.dst_u == b.dst_u
    }
}

/// Helper data by slot and the expectation list.
#[derive(Debug, Default, Clone)]
pub(super) struct Helpers {
    slots: Vec<Help>,
    pub(super) exps: Vec<Expect>,
    /// Zone id by slot, with the generation of the entry it belongs to
    /// (`ct->zone`; empty while no entry has a zone other than 0).
    zones: Vec<(u32, Zone)>,
    /// A new entry created from an expectation with
    /// `nf_nat_follow_master`: (entry, master, `exp->dir`, saved port),
    /// applied by [`super::ConntrackTable::follow_master`].
    pub(super) follow: Option<(CtHandle, CtHandle, usize, u16)>,
}

impl Helpers {
    /// Whether any entry was ever given a zone other than the default
    /// (else [`Self::zone_of`] is the default zone for every entry).
    #[inline]
    pub(super) fn has_zones(&self) -> bool {
        !self.zones.is_empty()
    }

    /// The zone of slot `idx` holding generation `gen` (the default zone
    /// unless set).
    #[inline]
    pub(super) fn zone_of(&self, idx: u32, gen: u32) -> Zone {
        match self.zones.get(idx as usize) {
            Some(&(g, z)) if g == gen => z,
            _ => Zone::default(),
        }
    }

    /// Gives a new entry its zone (allocates only for a slot index beyond
    /// any zoned one before). `false` when the allocator refuses.
    #[inline]
    pub(super) fn set_zone(&mut self, h: CtHandle, zone: Zone) -> bool {
        let i = h.idx as usize;
        if zone == Zone::default() {
            if let Some(z) = self.zones.get_mut(i) {
                *z = (u32::MAX, Zone::default());
            }
            return true;
        }
        self.set_zone_slow(h, zone)
    }

    /// [`Self::set_zone`] of a zone other than the default.
    #[inline(never)]
    fn set_zone_slow(&mut self, h: CtHandle, zone: Zone) -> bool {
        let i = h.idx as usize;
        if self.zones.len() <= i {
            if self.zones.try_reserve(i + 1 - self.zones.len()).is_err() {
                return false;
            }
            self.zones.resize(i + 1, (u32::MAX, Zone::default()));
        }
        self.zones[i] = (h.gen, zone);
        true
    }

    fn slot(&self, h: CtHandle) -> Option<&Help> {
        self.slots
            .get(h.idx as usize)
            .filter(|s| s.gen == h.gen && (s.helper.is_some() || s.master.is_some()))
    }

    fn slot_mut(&mut self, h: CtHandle) -> Option<&mut Help> {
        self.slots
            .get_mut(h.idx as usize)
            .filter(|s| s.gen == h.gen && (s.helper.is_some() || s.master.is_some()))
    }

    /// The entry's sequence adjustments (`nfct_seqadj`).
    pub(super) fn seqadj(&self, h: CtHandle) -> Option<[super::ftpnat::SeqAdj; 2]> {
        Some(self.slot(h)?.seqadj)
    }

    /// `nf_ct_seqadj_set` in direction `d`.
    pub(super) fn seqadj_set(&mut self, h: CtHandle, d: usize, seq: u32, off: i32) {
        if let Some(s) = self.slot_mut(h) {
            s.seqadj[d].set(seq, off);
        }
    }

    /// The helper attached to an entry.
    pub(super) fn helper(&self, h: CtHandle) -> Option<HelperKind> {
        self.slot(h)?.helper
    }

    /// The helper of the entry's master (`nfct_help(ct->master)->helper`).
    pub(super) fn master_helper(&self, h: CtHandle) -> Option<HelperKind> {
        self.slot(h)?.master_helper
    }

    /// Sets an entry's helper and master (a new entry: its FTP data reset).
    /// Allocates only when the slot index is beyond any seen before.
    pub(super) fn attach(
        &mut self,
        h: CtHandle,
        helper: Option<HelperKind>,
        master: Option<(CtHandle, HelperKind)>,
    ) -> bool {
        let i = h.idx as usize;
        if self.slots.len() <= i {
            let empty = Help {
                gen: u32::MAX,
                helper: None,
                master: None,
                master_helper: None,
                ftp: FtpInfo::default(),
                seqadj: Default::default(),
            };
            if self.slots.try_reserve(i + 1 - self.slots.len()).is_err() {
                return false;
            }
            self.slots.resize(i + 1, empty);
        }
        self.slots[i] = Help {
            gen: h.gen,
            helper,
            master: master.map(|m| m.0),
            master_helper: master.map(|m| m.1),
            ftp: FtpInfo::default(),
            seqadj: Default::default(),
        };
        true
    }
}

impl super::ConntrackTable {
    /// Whether `nf_confirm` (net/netfilter/nf_conntrack_proto.c) has
    /// nothing to do for a packet with this slot: no entry, or an entry
    /// with no helper (`IPS_HELPER`: `__nf_ct_try_assign_helper` sets it
    /// with the helper, the only way one is attached) and no
    /// `IPS_SEQ_ADJUST`, that is already confirmed or that the packet
    /// meets in the reply direction (`nf_ct_is_confirmed` /
    /// `CTINFO2DIR != IP_CT_DIR_ORIGINAL` in `__nf_conntrack_confirm`).
    /// Then [`help`](Self::help) and [`confirm`](Self::confirm) both accept
    /// and change nothing; the host skips them (tested against them in
    /// `conntrack/tests/nat.rs`, `lockstep`).
    ///
    /// ```
    /// use nfsim::conntrack::*;
    /// use nfsim::time::Instant;
    /// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 10].into(), [203, 0, 113, 53].into())
    ///     .udp(52000, 53)
    ///     .build();
    /// let meta = nfsim::wire::meta::PacketMeta::parse(&pkt).unwrap();
    /// let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    /// let now = Instant::from_millis(0);
    /// let r = ct.process(&pkt, &meta, Hook::PreRouting, now);
    /// // A new entry is not confirmed yet: nf_confirm inserts it.
    /// assert!(!ct.confirm_is_noop(r.slot));
    /// assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    /// // The next packet of the flow meets a confirmed entry with no helper.
    /// let r = ct.process(&pkt, &meta, Hook::PreRouting, now);
    /// assert!(ct.confirm_is_noop(r.slot));
    /// ```
    #[inline]
    pub fn confirm_is_noop(&self, slot: super::CtSlot) -> bool {
        use super::CtStatus;
        let super::CtSlot::Entry { handle, info } = slot else {
            return true;
        };
        // `get`, inline: asked for every packet at its last hook.
        self.entries
            .get(handle.idx as usize)
            .filter(|e| e.live && e.gen == handle.gen)
            .is_none_or(|e| {
                !e.status
                    .intersects(CtStatus::HELPER.union(CtStatus::SEQ_ADJUST))
                    && (e.status.contains(CtStatus::CONFIRMED) || info.dir() == Dir::Reply)
            })
    }

    /// Whether a new entry made from an expectation waits for
    /// [`follow_master`](Self::follow_master) (`exp->expectfn`,
    /// `nf_nat_follow_master`); when not, `follow_master` accepts and
    /// does nothing, and the host does not call it.
    ///
    /// ```
    /// use nfsim::conntrack::{Config, ConntrackTable};
    /// // No expectation (no ftp/tftp helper has made one): nothing waits.
    /// let ct = ConntrackTable::new(Config::default()).unwrap();
    /// assert!(!ct.follow_pending());
    /// ```
    #[inline]
    pub fn follow_pending(&self) -> bool {
        self.helpers.follow.is_some()
    }
}

/// `before(a, b)` (include/net/tcp.h).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `nf_ct_ftp`'s `find_nl_seq`.
fn find_nl_seq(seq: u32, info: &FtpInfo, dir: usize) -> bool {
    info.seq_aft_nl[dir][..info.num[dir] as usize].contains(&seq)
}

/// `update_nl_seq`: remember at most two, replacing the oldest by a newer.
fn update_nl_seq(nl_seq: u32, info: &mut FtpInfo, dir: usize) {
    let n = info.num[dir] as usize;
    if info.seq_aft_nl[dir][..n].contains(&nl_seq) {
        return;
    }
    if n < 2 {
        info.seq_aft_nl[dir][n] = nl_seq;
        info.num[dir] += 1;
    } else {
        let s = info.seq_aft_nl[dir];
        let oldest = if before(s[0], s[1]) { 0 } else { 1 };
        if before(s[oldest], nl_seq) {
            info.seq_aft_nl[dir][oldest] = nl_seq;
        }
    }
}

/// `struct nf_conntrack_man` as the FTP parsers fill it.
#[derive(Debug, Clone, Copy)]
struct Cmd {
    family: Family,
    addr: [u8; 16],
    port: u16,
}

/// `try_number`: `size` decimal numbers (each at most 255) separated by
/// `sep`, ended by `term` (or by anything when `term` is 0); the length
/// read up to the terminator, 0 on failure.
fn try_number(data: &[u8], out: &mut [u32], sep: u8, term: u8) -> usize {
    out.iter_mut().for_each(|x| *x = 0);
    let size = out.len();
    let mut i = 0;
    for (len, &c) in data.iter().enumerate() {
        if i >= size {
            break;
        }
        if c.is_ascii_digit() {
            out[i] = out[i] * 10 + u32::from(c - b'0');
            if out[i] > 255 {
                return 0;
            }
        } else if c == sep {
            i += 1;
        } else {
            if (c == term || term == 0) && i == size - 1 {
                return len;
            }
            return 0;
        }
    }
    0
}

/// `try_rfc959`: `h1,h2,h3,h4,p1,p2` (the address's first four bytes).
fn try_rfc959(data: &[u8], cmd: &mut Cmd, term: u8, _off: &mut usize) -> usize {
    let mut a = [0u32; 6];
    let len = try_number(data, &mut a, b',', term);
    if len == 0 {
        return 0;
    }
    for (b, n) in cmd.addr.iter_mut().zip(a).take(4) {
        *b = n as u8;
    }
    cmd.port = ((a[4] << 8) | a[5]) as u16;
    len
}

/// `try_rfc1123`: the 227 reply, numbers from the first digit on.
fn try_rfc1123(data: &[u8], cmd: &mut Cmd, _term: u8, off: &mut usize) -> usize {
    match data.iter().position(u8::is_ascii_digit) {
        Some(i) => {
            *off += i;
            try_rfc959(&data[i..], cmd, 0, off)
        }
        None => 0,
    }
}

/// `get_port`: a non-zero port up to `delim`, returning the index after it.
fn get_port(data: &[u8], start: usize, delim: u8, port: &mut u16) -> usize {
    let mut tmp: u32 = 0;
    for (i, &c) in data.iter().enumerate().skip(start) {
        if c == delim {
            if tmp == 0 {
                break;
            }
            *port = tmp as u16;
            return i + 1;
        } else if c.is_ascii_digit() {
            tmp = tmp * 10 + u32::from(c - b'0');
            if tmp > 65535 {
                break;
            }
        } else {
            break;
        }
    }
    0
}

/// `isdigit(delim) || delim < 33 || delim > 126` (a signed `char`: bytes
/// from 0x80 are negative, hence below 33).
fn bad_delim(d: u8) -> bool {
    d.is_ascii_digit() || !(33..=126).contains(&d)
}

/// `try_eprt`: `|1|a.b.c.d|port|` or `|2|ipv6|port|`.
fn try_eprt(data: &[u8], cmd: &mut Cmd, _term: u8, _off: &mut usize) -> usize {
    if data.len() <= 3 {
        return 0;
    }
    let delim = data[0];
    if bad_delim(delim) || data[2] != delim {
        return 0;
    }
    let proto = data[1];
    if (cmd.family == Family::Ipv4 && proto != b'1')
        || (cmd.family == Family::Ipv6 && proto != b'2')
    {
        return 0;
    }
    let rest = &data[3..];
    let length = if proto == b'1' {
        let mut a = [0u32; 4];
        let len = try_number(rest, &mut a, b'.', delim);
        if len != 0 {
            for (b, n) in cmd.addr.iter_mut().zip(a).take(4) {
                *b = n as u8;
            }
        }
        len
    } else {
        // get_ipv6_addr: in6_pton up to the delimiter.
        let Some(end) = rest.iter().position(|&c| c == delim) else {
            return 0;
        };
        match core::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|s| s.parse::<core::net::Ipv6Addr>().ok())
        {
            Some(a) => {
                cmd.addr = a.octets();
                end
            }
            None => 0,
        }
    };
    if length == 0 {
        return 0;
    }
    get_port(data, 3 + length + 1, delim, &mut cmd.port)
}

/// `try_epsv_response`: `|||port|`.
fn try_epsv_response(data: &[u8], cmd: &mut Cmd, _term: u8, _off: &mut usize) -> usize {
    if data.len() <= 3 {
        return 0;
    }
    let delim = data[0];
    if bad_delim(delim) || data[1] != delim || data[2] != delim {
        return 0;
    }
    get_port(data, 3, delim, &mut cmd.port)
}

type GetNum = fn(&[u8], &mut Cmd, u8, &mut usize) -> usize;
/// One `struct ftp_search`: pattern, skip, term, parser.
type Search = (&'static [u8], u8, u8, GetNum);

/// `search[dir][]`.
const SEARCH: [[Search; 2]; 2] = [
    [
        (b"PORT", b' ', b'\r', try_rfc959),
        (b"EPRT", b' ', b'\r', try_eprt),
    ],
    [
        (b"227 ", 0, 0, try_rfc1123),
        (b"229 ", b'(', b')', try_epsv_response),
    ],
];

/// `find_pattern`: 1 match, 0 none, -1 partial; on a match, `numoff`
/// and `numlen` (where the numbers are in `data`).
fn find_pattern(
    data: &[u8],
    pattern: &[u8],
    skip: u8,
    term: u8,
    cmd: &mut Cmd,
    f: GetNum,
    num: &mut (usize, usize),
) -> i8 {
    let (dlen, plen) = (data.len(), pattern.len());
    if dlen <= plen {
        // strncasecmp(data, pattern, dlen)
        return if data.eq_ignore_ascii_case(&pattern[..dlen]) {
            -1
        } else {
            0
        };
    }
    if !data[..plen].eq_ignore_ascii_case(pattern) {
        return 0;
    }
    let mut i = plen;
    if skip != 0 {
        while data[i] != skip {
            if i == dlen - 1 {
                return -1;
            }
            i += 1;
        }
        i += 1;
    }
    num.0 = i;
    num.1 = f(&data[i..], cmd, term, &mut num.0);
    if num.1 == 0 {
        return -1;
    }
    1
}

/// What the FTP parser asks of the table: an expectation to register.
pub(super) struct FtpExpect {
    pub(super) tuple: Tuple,
    /// `matchoff`, `matchlen` in the TCP payload and the command type
    /// (`enum nf_ct_ftp_type`: 0 PORT, 1 EPRT, 2 PASV, 3 EPSV).
    pub(super) matchoff: usize,
    pub(super) matchlen: usize,
    pub(super) ftptype: u8,
}

/// `nf_ct_helper_log`'s reason for a partial match, by direction and
/// pattern (`"partial matching of `%s'"`).
pub(super) const PARTIAL: [[&str; 2]; 2] = [
    ["partial matching of `PORT'", "partial matching of `EPRT'"],
    ["partial matching of `227 '", "partial matching of `229 '"],
];

/// `help` of nf_conntrack_ftp.c up to the expectation: `Ok(None)` to accept
/// without one, `Ok(Some)` the expectation to register, `Err(reason)` to
/// drop.
/// `tuples` are the entry's [original, reply]; `l4` the TCP segment.
pub(super) fn ftp_help(
    h: &mut Helpers,
    handle: CtHandle,
    dir: Dir,
    established: bool,
    tuples: [Tuple; 2],
    l4: &[u8],
) -> Result<Option<FtpExpect>, &'static str> {
    // Until there's been traffic both ways, don't look in packets.
    if !established {
        return Ok(None);
    }
    let Some(seq) = l4
        .get(4..8)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return Ok(None);
    };
    let Some(&off) = l4.get(12) else {
        return Ok(None);
    };
    if l4.len() < 20 {
        return Ok(None);
    }
    let dataoff = usize::from(off >> 4) * 4;
    if dataoff >= l4.len() {
        return Ok(None);
    }
    let data = &l4[dataoff..];
    let d = dir.idx();
    let Some(info) = h.slot_mut(handle).map(|s| &mut s.ftp) else {
        return Ok(None);
    };
    let ends_in_nl = data.last() == Some(&b'\n');
    let nl_seq = seq.wrapping_add(data.len() as u32);
    let mut result = Ok(None);
    if find_nl_seq(seq, info, d) {
        let t = &tuples[d];
        let mut cmd = Cmd {
            family: t.family,
            addr: t.src,
            port: 0,
        };
        let mut found = 0;
        let mut which = 0;
        let mut num = (0, 0);
        for (i, (pat, skip, term, f)) in SEARCH[d].into_iter().enumerate() {
            found = find_pattern(data, pat, skip, term, &mut cmd, f, &mut num);
            which = i;
            if found != 0 {
                break;
            }
        }
        if found == -1 {
            // "partial matching": NF_DROP, the newline is not recorded.
            return Err(PARTIAL[d][which]);
        }
        if found == 1 {
            let other = &tuples[1 - d];
            // Not the address of the connection's own end: not recorded
            // (loose = 0).
            if cmd.addr == t.src {
                let n = t.family.addr_len();
                let mut src = [0u8; 16];
                let mut dst = [0u8; 16];
                src[..n].copy_from_slice(&other.src[..n]);
                dst[..n].copy_from_slice(&other.dst[..n]);
                result = Ok(Some(FtpExpect {
                    tuple: Tuple {
                        family: t.family,
                        src,
                        dst,
                        proto: 6,
                        src_u: 0,
                        dst_u: cmd.port,
                    },
                    matchoff: num.0,
                    matchlen: num.1,
                    ftptype: (d * 2 + which) as u8,
                }));
            }
        }
    }
    if ends_in_nl {
        if let Some(s) = h.slot_mut(handle) {
            update_nl_seq(nl_seq, &mut s.ftp, d);
        }
    }
    result
}

/// `help` of nf_conntrack_tftp.c: a read or write request expects the
/// server's answer from any port to the client's port.
pub(super) fn tftp_help(tuples: [Tuple; 2], l4: &[u8]) -> Option<Tuple> {
    let opcode = get_u16(l4, 8)?;
    if opcode != 1 && opcode != 2 {
        return None;
    }
    let r = &tuples[1];
    Some(Tuple {
        family: r.family,
        src: r.src,
        dst: r.dst,
        proto: 17,
        src_u: 0,
        dst_u: r.dst_u,
    })
}

/// `nf_ct_expect_max`: `nf_ct_expect_hsize * 4`, the hash size being
/// `nf_conntrack_htable_size / 256` (at least 1).
pub(super) fn expect_max(buckets: u32) -> usize {
    (buckets as usize / 256).max(1) * 4
}

impl Helpers {
    /// Drops the expectations that are gone (`nf_ct_exp_is_expired`, or a
    /// master that `alive` says is gone).
    pub(super) fn purge(&mut self, now: Instant, alive: impl Fn(CtHandle) -> bool) {
        let t = now.as_nanos();
        self.exps.retain(|e| e.deadline > t && alive(e.master));
    }

    /// `nf_ct_expect_related` (`__nf_ct_expect_check`, then
    /// `nf_ct_expect_insert`): `Err(true)` when refused with -EBUSY (a
    /// clash), `Err(false)` otherwise (-EMFILE, -ENOMEM).
    pub(super) fn expect_related(
        &mut self,
        new: Expect,
        max: usize,
        now: Instant,
    ) -> Result<(), bool> {
        // The chain, newest first: the same master with the same tuple and
        // mask replaces it; another overlapping one refuses (-EBUSY).
        for i in (0..self.exps.len()).rev() {
            let e = &self.exps[i];
            if e.master == new.master && e.same(&new) {
                self.exps.remove(i);
                break;
            } else if e.clash(&new) {
                return Err(true);
            }
        }
        // evict_oldest_expect: over max_expected, the oldest of this master.
        let (max_expected, timeout) = new.helper.policy();
        let mine = self.exps.iter().filter(|e| e.master == new.master).count();
        if mine >= max_expected {
            if let Some(i) = self.exps.iter().position(|e| e.master == new.master) {
                self.exps.remove(i);
            }
        }
        if self.exps.len() >= max {
            // "nf_conntrack: expectation table full"
            return Err(false);
        }
        if self.exps.try_reserve(1).is_err() {
            return Err(false);
        }
        self.exps.push(Expect {
            deadline: now.as_nanos().saturating_add(timeout.as_nanos()),
            ..new
        });
        Ok(())
    }

    /// `nf_ct_find_expectation`: the newest expectation for `t` whose
    /// master is confirmed (`confirmed`), unlinked.
    pub(super) fn take(
        &mut self,
        t: &Tuple,
        zone: u16,
        confirmed: impl Fn(CtHandle) -> bool,
    ) -> Option<Expect> {
        let i = self.exps.iter().rposition(|e| e.matches(t, zone))?;
        if !confirmed(self.exps[i].master) {
            return None;
        }
        Some(self.exps.remove(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd4() -> Cmd {
        Cmd {
            family: Family::Ipv4,
            addr: [0; 16],
            port: 0,
        }
    }

    #[test]
    fn rfc959_numbers_and_limits() {
        let mut c = cmd4();
        assert_eq!(
            try_rfc959(b"192,0,2,10,195,80\r\n", &mut c, b'\r', &mut 0),
            17
        );
        assert_eq!((&c.addr[..4], c.port), (&[192, 0, 2, 10][..], 50000));
        // a number above 255, a missing number, the wrong terminator
        assert_eq!(
            try_rfc959(b"192,0,2,256,1,1\r", &mut cmd4(), b'\r', &mut 0),
            0
        );
        assert_eq!(
            try_rfc959(b"192,0,2,10,195\r", &mut cmd4(), b'\r', &mut 0),
            0
        );
        assert_eq!(
            try_rfc959(b"192,0,2,10,195,80)", &mut cmd4(), b'\r', &mut 0),
            0
        );
        // 227: from the first digit, any terminator
        let mut c = cmd4();
        assert_ne!(
            try_rfc1123(b"Entering (203,0,113,20,234,96).", &mut c, 0, &mut 0),
            0
        );
        assert_eq!(c.port, 60000);
        // the numbers must end before the data does
        assert_eq!(
            try_rfc1123(b"=203,0,113,20,234,96", &mut cmd4(), 0, &mut 0),
            0
        );
    }

    #[test]
    fn eprt_epsv() {
        let mut c = cmd4();
        assert_ne!(
            try_eprt(b"|1|192.0.2.10|50002|\r\n", &mut c, b'\r', &mut 0),
            0
        );
        assert_eq!((&c.addr[..4], c.port), (&[192, 0, 2, 10][..], 50002));
        // IPv6 address on an IPv4 connection, a digit as delimiter, port 0
        assert_eq!(
            try_eprt(b"|2|2001:db8::1|1|", &mut cmd4(), b'\r', &mut 0),
            0
        );
        assert_eq!(try_eprt(b"111192.0.2.1150", &mut cmd4(), b'\r', &mut 0), 0);
        assert_eq!(try_eprt(b"|1|192.0.2.10|0|", &mut cmd4(), b'\r', &mut 0), 0);
        let mut c6 = Cmd {
            family: Family::Ipv6,
            ..cmd4()
        };
        assert_ne!(try_eprt(b"|2|2001:db8::1|5000|", &mut c6, b'\r', &mut 0), 0);
        assert_eq!((c6.addr[0], c6.addr[15], c6.port), (0x20, 1, 5000));
        let mut c = cmd4();
        assert_ne!(try_epsv_response(b"|||60001|)", &mut c, b')', &mut 0), 0);
        assert_eq!(c.port, 60001);
        assert_eq!(
            try_epsv_response(b"||60001|)", &mut cmd4(), b')', &mut 0),
            0
        );
        assert_eq!(
            try_epsv_response(b"|||65536|)", &mut cmd4(), b')', &mut 0),
            0
        );
    }

    #[test]
    fn find_pattern_partial_and_case() {
        let [port, _] = SEARCH[0];
        let f =
            |d: &[u8]| find_pattern(d, port.0, port.1, port.2, &mut cmd4(), port.3, &mut (0, 0));
        assert_eq!(f(b"PO"), -1);
        assert_eq!(f(b"port"), -1);
        assert_eq!(f(b"NOOP\r\n"), 0);
        assert_eq!(f(b"PORT x\r\n"), -1);
        assert_eq!(f(b"PORTNOSPACE"), -1);
        assert_eq!(f(b"pOrT 1,2,3,4,5,6\r\n"), 1);
    }

    #[test]
    fn nl_seq_keeps_the_two_newest() {
        let mut i = FtpInfo::default();
        update_nl_seq(10, &mut i, 0);
        update_nl_seq(20, &mut i, 0);
        update_nl_seq(20, &mut i, 0);
        assert_eq!((i.num[0], i.seq_aft_nl[0]), (2, [10, 20]));
        update_nl_seq(30, &mut i, 0);
        assert_eq!(i.seq_aft_nl[0], [30, 20]);
        // older than both: kept out
        update_nl_seq(5, &mut i, 0);
        assert_eq!(i.seq_aft_nl[0], [30, 20]);
        assert!(find_nl_seq(20, &i, 0) && !find_nl_seq(20, &i, 1));
    }

    #[test]
    fn expectations_evict_replace_clash() {
        let h = |idx| CtHandle { idx, gen: 0 };
        let t = |port| Tuple {
            family: Family::Ipv4,
            src: [203, 0, 113, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            dst: [192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            proto: 6,
            src_u: 0,
            dst_u: port,
        };
        let e = |m, port| Expect {
            master: h(m),
            helper: HelperKind::Ftp,
            tuple: t(port),
            src_addr_mask: true,
            src_port_mask: 0,
            deadline: 0,
            zone: 0,
            follow: None,
        };
        let now = Instant::from_millis(0);
        let mut x = Helpers::default();
        assert!(x.expect_related(e(1, 50000), 4, now).is_ok());
        // max_expected 1: the second of the same master evicts the first
        assert!(x.expect_related(e(1, 50001), 4, now).is_ok());
        assert_eq!(x.exps.len(), 1);
        assert_eq!(x.exps[0].tuple.dst_u, 50001);
        // the same tuple from another master clashes (-EBUSY)
        assert!(x.expect_related(e(2, 50001), 4, now).is_err());
        // any source port matches; the expectation is used once
        let mut conn = t(50001);
        conn.src_u = 20;
        assert!(x.take(&conn, 1, |_| true).is_none());
        assert!(x.take(&conn, 0, |_| true).is_some());
        assert!(x.take(&conn, 0, |_| true).is_none());
        // expired and master-less expectations go
        assert!(x.expect_related(e(3, 1), 4, now).is_ok());
        x.purge(Instant::from_millis(300_000), |_| true);
        assert!(x.exps.is_empty());
        // the table limit
        for m in 10..14 {
            assert!(x.expect_related(e(m, m as u16), 4, now).is_ok());
        }
        assert!(x.expect_related(e(20, 20), 4, now).is_err());
    }
}
