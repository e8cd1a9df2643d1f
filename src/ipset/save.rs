//! `ipset save` and `ipset list` text (ipset 7.17, checked on the
//! reference kernel: header and element option order, timeouts as the
//! remaining whole seconds `ip_set_timeout_get` gives).
//!
//! Differences that are the kernel's, not a choice: the kernel dumps a
//! hash type's elements in bucket order of a randomly seeded hash
//! (`initval`), so nfsim prints elements in insertion order, and prints
//! `initval` only when the text it read gave one. `ipset list` omits the
//! `Size in memory` line (kernel allocator sizes) and prints `References`
//! as the number of rules naming the set only when told (0 otherwise).

use core::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::restore::{ICMPV6_NAMES, ICMP_NAMES, PROTOS};
use super::{Dim, Elem, Entry, IpSet, Ipsets, SetFamily, SetType};
use crate::time::Instant;

fn ip_text(a: &[u8; 16], fam: SetFamily) -> String {
    if fam == SetFamily::Inet6 {
        Ipv6Addr::from(*a).to_string()
    } else {
        Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()
    }
}

fn port_text(port: u16, proto: u8) -> String {
    let name = PROTOS
        .iter()
        .find(|(_, n)| *n == proto)
        .map(|(s, _)| (*s).to_string())
        .unwrap_or_else(|| proto.to_string());
    match proto {
        1 | 58 => {
            let (t, c) = ((port >> 8) as u8, port as u8);
            let names = if proto == 1 { ICMP_NAMES } else { ICMPV6_NAMES };
            match names.iter().find(|(_, tt, cc)| *tt == t && *cc == c) {
                Some((n, _, _)) => format!("{name}:{n}"),
                None => format!("{name}:{t}/{c}"),
            }
        }
        _ => format!("{name}:{port}"),
    }
}

/// `ip_set_timeout_get`: remaining seconds, at least 1.
fn remaining(e: &Entry, now: Instant) -> u64 {
    match e.expires {
        None => 0,
        Some(t) => (t.as_nanos().saturating_sub(now.as_nanos()) / 1_000_000_000).max(1),
    }
}

impl IpSet {
    fn elem_text(&self, e: &Elem) -> String {
        let host = self.family.host_mask();
        let mut parts = Vec::new();
        for d in self.kind.dims() {
            parts.push(match d {
                Dim::Ip => ip_text(&e.ip, self.family),
                Dim::Ip2 => ip_text(&e.ip2, self.family),
                Dim::Net | Dim::Net2 => {
                    let (a, c) = if *d == Dim::Net {
                        (&e.ip, e.cidr)
                    } else {
                        (&e.ip2, e.cidr2)
                    };
                    if c == host {
                        ip_text(a, self.family)
                    } else {
                        format!("{}/{c}", ip_text(a, self.family))
                    }
                }
                Dim::Port if self.kind == SetType::BitmapPort => e.port.to_string(),
                Dim::Port => port_text(e.port, e.proto),
                Dim::Iface => {
                    let n = e.iface.iter().position(|b| *b == 0).unwrap_or(16);
                    String::from_utf8_lossy(&e.iface[..n]).into_owned()
                }
                Dim::Mac => e
                    .mac
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                Dim::Set => String::new(),
            });
        }
        parts.join(",")
    }

    fn ext_text(&self, e: &Entry, now: Instant) -> String {
        let mut s = String::new();
        if self.opts.timeout.is_some() {
            let _ = write!(s, " timeout {}", remaining(e, now));
        }
        if e.nomatch {
            s.push_str(" nomatch");
        }
        if self.opts.counters {
            let _ = write!(s, " packets {} bytes {}", e.packets, e.bytes);
        }
        if let Some(c) = &e.comment {
            let _ = write!(s, " comment \"{c}\"");
        }
        if let Some(k) = &e.skb {
            if k.markmask == u32::MAX {
                let _ = write!(s, " skbmark 0x{:x}", k.mark);
            } else {
                let _ = write!(s, " skbmark 0x{:x}/0x{:x}", k.mark, k.markmask);
            }
            if let Some(p) = k.prio {
                let _ = write!(s, " skbprio {:x}:{:x}", p >> 16, p & 0xffff);
            }
            if let Some(q) = k.queue {
                let _ = write!(s, " skbqueue {q}");
            }
        }
        s
    }

    fn header(&self) -> String {
        let o = &self.opts;
        let mut s = String::new();
        if self.kind.is_hash() {
            if self.kind != SetType::HashMac {
                let f = if self.family == SetFamily::Inet6 {
                    "inet6"
                } else {
                    "inet"
                };
                let _ = write!(s, "family {f} ");
            }
            let _ = write!(s, "hashsize {} maxelem {}", o.hashsize, o.maxelem);
        }
        match self.kind {
            SetType::BitmapIp => {
                let (a, b) = (Ipv4Addr::from(o.range.0), Ipv4Addr::from(o.range.1));
                let _ = write!(s, "range {a}-{b}");
            }
            SetType::BitmapPort => {
                let _ = write!(s, "range {}-{}", o.range.0, o.range.1);
            }
            SetType::ListSet => {
                let _ = write!(s, "size {}", o.size);
            }
            _ => {}
        }
        if let Some(n) = o.netmask {
            let _ = write!(s, " netmask {n}");
        }
        if let Some(t) = o.timeout {
            let _ = write!(s, " timeout {t}");
        }
        for (on, w) in [
            (o.counters, "counters"),
            (o.comment, "comment"),
            (o.skbinfo, "skbinfo"),
            (o.forceadd, "forceadd"),
        ] {
            if on {
                let _ = write!(s, " {w}");
            }
        }
        if self.kind.is_hash() {
            let _ = write!(s, " bucketsize {}", o.bucketsize.unwrap_or(12));
            if let Some(i) = o.initval {
                let _ = write!(s, " initval 0x{i:08x}");
            }
        }
        s
    }

    /// The live members: (element text, extensions text), in insertion
    /// order.
    fn member_lines(&self, all: &Ipsets, now: Instant) -> Vec<String> {
        if self.kind == SetType::ListSet {
            return self
                .list
                .iter()
                .filter(|(_, e)| !e.expired(now))
                .map(|(m, e)| format!("{}{}", all.sets[*m].name, self.ext_text(e, now)))
                .collect();
        }
        let mut v: Vec<(&Elem, &Entry)> = self
            .members
            .iter()
            .filter(|(_, e)| !e.expired(now))
            .collect();
        v.sort_by_key(|(_, e)| e.seq);
        v.into_iter()
            .map(|(k, e)| format!("{}{}", self.elem_text(k), self.ext_text(e, now)))
            .collect()
    }
}

impl Ipsets {
    /// Sets in the order the kernel dumps them: list:set sets last
    /// (`ip_set_dump_start`, so that `ipset restore` can read them back).
    fn dump_order(&self) -> impl Iterator<Item = &IpSet> {
        let plain = self.sets.iter().filter(|s| s.kind != SetType::ListSet);
        plain.chain(self.sets.iter().filter(|s| s.kind == SetType::ListSet))
    }

    /// What `ipset save` prints at time `now`: a `create` line per set and
    /// an `add` line per element that has not timed out (elements in
    /// insertion order: see the module notes).
    pub fn save_text(&self, now: Instant) -> String {
        let mut s = String::new();
        for set in self.dump_order() {
            let _ = writeln!(
                s,
                "create {} {} {}",
                set.name,
                set.kind.name(),
                set.header()
            );
            for m in set.member_lines(self, now) {
                let _ = writeln!(s, "add {} {m}", set.name);
            }
        }
        s
    }

    /// What `ipset list` prints at time `now`, without the `Size in
    /// memory` line. `References` is the kernel's `set->ref`: the rules
    /// that name each set, as `refs` gives them (by set index; one per `-m
    /// set` and per set a `SET` target names), plus the list:sets that
    /// hold it (checked with ipset 7.17 on 6.18).
    ///
    /// ```
    /// use nfsim::ipset::Ipsets;
    /// let s = Ipsets::restore("create p bitmap:port range 1000-2000\nadd p 1500\n").unwrap();
    /// assert_eq!(s.list_text(nfsim::time::Instant::ZERO, &[]),
    ///     "Name: p\nType: bitmap:port\nRevision: 3\nHeader: range 1000-2000\nReferences: 0\nNumber of entries: 1\nMembers:\n1500\n");
    /// ```
    pub fn list_text(&self, now: Instant, refs: &[u32]) -> String {
        // (list_refs: list_set_uadd takes a reference on its member.)
        let mut s = String::new();
        for set in self.dump_order() {
            let i = self.find(set.name.as_bytes()).unwrap_or(0);
            let members = set.member_lines(self, now);
            let _ = write!(
                s,
                "Name: {}\nType: {}\nRevision: {}\nHeader: {}\nReferences: {}\nNumber of entries: {}\nMembers:\n",
                set.name,
                set.kind.name(),
                set.kind.revision(),
                set.header(),
                refs.get(i).copied().unwrap_or(0) + self.list_refs(i),
                members.len()
            );
            for m in members {
                let _ = writeln!(s, "{m}");
            }
        }
        s
    }

    /// How many list:sets hold set `i` (each holds a reference).
    fn list_refs(&self, i: usize) -> u32 {
        self.sets
            .iter()
            .map(|s| s.list.iter().filter(|(m, _)| *m == i).count() as u32)
            .sum()
    }
}
