//! Addresses and routes of the simulated host, and the routing decision
//! (`fib_lookup` with the local, broadcast and main tables, longest prefix
//! first).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// What a destination resolves to.
///
/// ```
/// use nfsim::host::route::{Fib, Route, RouteKind};
/// let mut fib = Fib::default();
/// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
/// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
/// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
/// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
/// assert_eq!(fib.lookup("192.0.2.1".parse().unwrap()), Some(RouteKind::Local));
/// assert_eq!(fib.lookup("192.0.2.255".parse().unwrap()), Some(RouteKind::Broadcast));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// One of the host's own addresses (RTN_LOCAL): delivered through `lo`
    /// when sent by the host, to INPUT when received.
    Local,
    /// A broadcast address of a connected IPv4 subnet or 255.255.255.255.
    Broadcast,
    /// A unicast route out of device `dev` (index into the host's devices).
    Unicast {
        /// Output device index.
        dev: usize,
        /// Next hop (the gateway, or the destination itself when connected).
        via: Option<IpAddr>,
    },
}

/// A route of the main table.
///
/// ```
/// use nfsim::host::route::{Fib, Route, RouteKind};
/// let mut fib = Fib::default();
/// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
/// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
/// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
/// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
/// let via = fib.lookup("203.0.113.9".parse().unwrap());
/// assert_eq!(via, Some(RouteKind::Unicast { dev: 1, via: Some("192.0.2.254".parse().unwrap()) }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination prefix.
    pub dst: IpNet,
    /// Gateway.
    pub via: Option<IpAddr>,
    /// Device index.
    pub dev: usize,
}

/// The host's routing state.
///
/// ```
/// use nfsim::host::route::{Fib, Route, RouteKind};
/// let mut fib = Fib::default();
/// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
/// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
/// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
/// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
/// assert!(fib.lookup("2001:db8::1".parse().unwrap()).is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Fib {
    /// Local addresses with their device.
    pub local: Vec<(IpAddr, usize)>,
    /// Connected prefixes (for broadcast).
    pub connected: Vec<(IpNet, usize)>,
    /// The main table, connected routes first.
    pub routes: Vec<Route>,
    /// IPv6 subnet-router anycast addresses the host has joined (the
    /// prefix of each address shorter than /127, when forwarding is on:
    /// `addrconf_join_anycast`, net/ipv6/addrconf.c); routed like local
    /// addresses (their `anycast` routes of the local table).
    pub anycast: Vec<IpAddr>,
}

impl Fib {
    /// Whether `a` is one of the host's addresses (any device).
    ///
    /// ```
    /// use nfsim::host::route::{Fib, Route, RouteKind};
    /// let mut fib = Fib::default();
    /// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
    /// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
    /// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
    /// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
    /// assert!(fib.is_local("192.0.2.1".parse().unwrap()) && !fib.is_local("192.0.2.2".parse().unwrap()));
    /// ```
    pub fn is_local(&self, a: IpAddr) -> bool {
        if let IpAddr::V4(v4) = a {
            if v4.is_loopback() {
                return true;
            }
        }
        self.local.iter().any(|(x, _)| *x == a)
    }

    /// Whether `a` is a broadcast address of a connected IPv4 subnet or the
    /// limited broadcast.
    ///
    /// ```
    /// use nfsim::host::route::{Fib, Route, RouteKind};
    /// let mut fib = Fib::default();
    /// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
    /// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
    /// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
    /// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
    /// assert!(fib.is_broadcast("255.255.255.255".parse().unwrap()));
    /// assert!(fib.is_broadcast("192.0.2.255".parse().unwrap()) && !fib.is_broadcast("192.0.2.7".parse().unwrap()));
    /// ```
    pub fn is_broadcast(&self, a: IpAddr) -> bool {
        match a {
            IpAddr::V4(v4) => {
                v4.is_broadcast()
                    || self.connected.iter().any(|(n, _)| {
                        matches!(n, IpNet::V4(n4) if n4.prefix_len() < 31 && n4.broadcast() == v4)
                    })
            }
            IpAddr::V6(_) => false,
        }
    }

    /// The route for a destination: local, broadcast or the longest
    /// matching prefix of the main table.
    ///
    /// ```
    /// use nfsim::host::route::{Fib, Route, RouteKind};
    /// let mut fib = Fib::default();
    /// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
    /// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
    /// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
    /// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
    /// assert_eq!(fib.lookup("192.0.2.9".parse().unwrap()), Some(RouteKind::Unicast { dev: 1, via: Some("192.0.2.9".parse().unwrap()) }));
    /// ```
    pub fn lookup(&self, dst: IpAddr) -> Option<RouteKind> {
        if self.is_local(dst) {
            return Some(RouteKind::Local);
        }
        if self.is_broadcast(dst) {
            return Some(RouteKind::Broadcast);
        }
        if self.anycast.contains(&dst) {
            return Some(RouteKind::Local);
        }
        // The longest prefix; of equal ones the last (as `max_by_key`).
        let mut best: Option<&Route> = None;
        for r in &self.routes {
            if prefix_contains(&r.dst, dst)
                && best.is_none_or(|b| r.dst.prefix_len() >= b.dst.prefix_len())
            {
                best = Some(r);
            }
        }
        let r = best?;
        Some(RouteKind::Unicast {
            dev: r.dev,
            via: Some(r.via.unwrap_or(dst)),
        })
    }

    /// The preferred source address on a device for a family (the first
    /// address of that family; `inet_select_addr`).
    ///
    /// ```
    /// use nfsim::host::route::{Fib, Route, RouteKind};
    /// let mut fib = Fib::default();
    /// fib.local.push(("192.0.2.1".parse().unwrap(), 1));
    /// fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
    /// fib.routes.push(Route { dst: "192.0.2.0/24".parse().unwrap(), via: None, dev: 1 });
    /// fib.routes.push(Route { dst: "0.0.0.0/0".parse().unwrap(), via: Some("192.0.2.254".parse().unwrap()), dev: 1 });
    /// assert_eq!(fib.source_on(1, false), Some("192.0.2.1".parse().unwrap()));
    /// assert_eq!(fib.source_on(1, true), None);
    /// ```
    pub fn source_on(&self, dev: usize, v6: bool) -> Option<IpAddr> {
        self.local
            .iter()
            .find(|(a, d)| *d == dev && a.is_ipv6() == v6)
            .map(|(a, _)| *a)
    }
}

/// `IpNet::contains` of an address as one masked compare (a network of
/// the other family contains nothing).
#[inline]
fn prefix_contains(n: &IpNet, a: IpAddr) -> bool {
    match (n, a) {
        (IpNet::V4(n), IpAddr::V4(a)) => {
            let m = u32::MAX
                .checked_shl(32 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u32::from(n.addr()) ^ u32::from(a)) & m == 0
        }
        (IpNet::V6(n), IpAddr::V6(a)) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(n.prefix_len()))
                .unwrap_or(0);
            (u128::from(n.addr()) ^ u128::from(a)) & m == 0
        }
        _ => false,
    }
}

/// The source (`dst` false) or destination address of an IP packet
/// (`ip_hdr(skb)->saddr` / `->daddr`, `ipv6_hdr(skb)`), `None` when the
/// header is cut short.
#[inline]
pub(crate) fn addr_of(family: crate::model::Family, data: &[u8], dst: bool) -> Option<IpAddr> {
    match family {
        crate::model::Family::Ipv4 => {
            let at = if dst { 16 } else { 12 };
            let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(b)))
        }
        crate::model::Family::Ipv6 => {
            let at = if dst { 24 } else { 8 };
            let b: [u8; 16] = data.get(at..at + 16)?.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(b)))
        }
    }
}

/// The packet's source and destination (the unspecified address for a
/// header cut short).
#[inline]
pub(crate) fn packet_addrs(family: crate::model::Family, buf: &[u8]) -> (IpAddr, IpAddr) {
    use crate::model::Family;
    match family {
        Family::Ipv4 => {
            let none = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
            (
                addr_of(family, buf, false).unwrap_or(none),
                addr_of(family, buf, true).unwrap_or(none),
            )
        }
        // A whole fixed header: both addresses on one length test.
        Family::Ipv6 => match buf.first_chunk::<40>() {
            Some(h) => {
                let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
                s.copy_from_slice(&h[8..24]);
                d.copy_from_slice(&h[24..40]);
                (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)))
            }
            None => {
                let none = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
                (
                    addr_of(family, buf, false).unwrap_or(none),
                    addr_of(family, buf, true).unwrap_or(none),
                )
            }
        },
    }
}

/// [`Fib::lookup`] and [`Fib::is_local`] of IPv4 addresses, compiled once
/// from a host's finished FIB (`Host::new`; the host's FIB never changes
/// after): the entries in the order `lookup` decides (local addresses and
/// 127/8, the limited and the subnet broadcasts, anycast, then the main
/// table longest prefix first, of equal prefixes the last), each one masked
/// compare, the first that matches deciding.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fib4 {
    /// (network, mask, index into `resolved`) of the entries that can
    /// match an address of each first octet, in the order they are tried:
    /// those of octet `o` are `cand[start[o]..start[o + 1]]`.
    cand: Vec<(u32, u32, u32)>,
    start: Vec<u32>,
    /// What each entry resolves to.
    resolved: Vec<Resolved>,
    /// The host's IPv4 addresses (`is_local`, besides 127/8).
    local: Vec<u32>,
    /// Bit [`Fib4::local_bit`] of each of `local`: an address whose bit
    /// is clear is none of them, without the loop.
    local_bits: u64,
}

#[derive(Debug, Clone, Copy)]
enum Resolved {
    Local,
    Broadcast,
    Unicast { dev: usize, via: Option<IpAddr> },
}

impl Fib4 {
    pub(crate) fn new(fib: &Fib) -> Fib4 {
        let v4 = |a: &IpAddr| match a {
            IpAddr::V4(a) => Some(u32::from(*a)),
            IpAddr::V6(_) => None,
        };
        let mask = |len: u8| u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        let local: Vec<u32> = fib.local.iter().filter_map(|(a, _)| v4(a)).collect();
        let mut entries = vec![(0x7f00_0000, 0xff00_0000, Resolved::Local)];
        entries.extend(local.iter().map(|a| (*a, u32::MAX, Resolved::Local)));
        entries.push((u32::MAX, u32::MAX, Resolved::Broadcast));
        for (n, _) in &fib.connected {
            if let IpNet::V4(n4) = n {
                if n4.prefix_len() < 31 {
                    entries.push((u32::from(n4.broadcast()), u32::MAX, Resolved::Broadcast));
                }
            }
        }
        entries.extend(
            fib.anycast
                .iter()
                .filter_map(v4)
                .map(|a| (a, u32::MAX, Resolved::Local)),
        );
        let mut routes: Vec<(usize, &Route)> = fib
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.dst.addr().is_ipv4())
            .collect();
        // Longest prefix first; of equal ones the last (`max_by_key`).
        routes.sort_by_key(|(i, r)| (std::cmp::Reverse(r.dst.prefix_len()), std::cmp::Reverse(*i)));
        for (_, r) in routes {
            if let IpNet::V4(n) = r.dst {
                let m = mask(n.prefix_len());
                entries.push((
                    u32::from(n.addr()) & m,
                    m,
                    Resolved::Unicast {
                        dev: r.dev,
                        via: r.via,
                    },
                ));
            }
        }
        let mut cand = Vec::new();
        let mut start = Vec::with_capacity(257);
        for o in 0..=255u32 {
            start.push(cand.len() as u32);
            for (i, (n, m, _)) in entries.iter().enumerate() {
                if ((o << 24) ^ n) & m & 0xff00_0000 == 0 {
                    cand.push((*n, *m, i as u32));
                }
            }
        }
        start.push(cand.len() as u32);
        Fib4 {
            cand,
            start,
            resolved: entries.iter().map(|(_, _, r)| *r).collect(),
            local_bits: local.iter().fold(0, |b, &a| b | Self::local_bit(a)),
            local,
        }
    }

    /// [`Fib::lookup`] of an IPv4 address.
    #[inline(always)]
    pub(crate) fn lookup(&self, dst: Ipv4Addr) -> Option<RouteKind> {
        let d = u32::from(dst);
        let o = (d >> 24) as usize;
        let (from, to) = (*self.start.get(o)?, *self.start.get(o + 1)?);
        let cand = self.cand.get(from as usize..to as usize)?;
        let &(_, _, i) = cand.iter().find(|(n, m, _)| d & m == *n)?;
        Some(match *self.resolved.get(i as usize)? {
            Resolved::Local => RouteKind::Local,
            Resolved::Broadcast => RouteKind::Broadcast,
            Resolved::Unicast { dev, via } => RouteKind::Unicast {
                dev,
                via: Some(via.unwrap_or(IpAddr::V4(dst))),
            },
        })
    }

    /// The bit of address `v` in `local_bits` (a multiplicative hash's top
    /// six bits: equal addresses, equal bits).
    #[inline(always)]
    fn local_bit(v: u32) -> u64 {
        1 << (v.wrapping_mul(0x9e37_79b1) >> 26)
    }

    /// [`Fib::is_local`] of an IPv4 address.
    #[inline(always)]
    pub(crate) fn is_local(&self, a: Ipv4Addr) -> bool {
        if a.is_loopback() {
            return true;
        }
        // (A loop the compiler inlines; `contains` is a call.)
        let v = u32::from(a);
        if self.local_bits & Self::local_bit(v) == 0 {
            return false;
        }
        for &x in &self.local {
            if x == v {
                return true;
            }
        }
        false
    }
}

/// [`Fib::lookup`] of IPv6 addresses, compiled once as [`Fib4`] is: the
/// host's addresses, then anycast, then the main table longest prefix
/// first (of equal ones the last), each one masked compare.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fib6 {
    /// (network, mask, what it resolves to), in the order they are tried.
    entries: Vec<(u128, u128, Resolved)>,
}

impl Fib6 {
    pub(crate) fn new(fib: &Fib) -> Fib6 {
        let v6 = |a: &IpAddr| match a {
            IpAddr::V6(a) => Some(u128::from(*a)),
            IpAddr::V4(_) => None,
        };
        let mut entries: Vec<(u128, u128, Resolved)> = fib
            .local
            .iter()
            .filter_map(|(a, _)| v6(a))
            .chain(fib.anycast.iter().filter_map(v6))
            .map(|a| (a, u128::MAX, Resolved::Local))
            .collect();
        let mut routes: Vec<(usize, &Route)> = fib
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.dst.addr().is_ipv6())
            .collect();
        // Longest prefix first; of equal ones the last (`max_by_key`).
        routes.sort_by_key(|(i, r)| (std::cmp::Reverse(r.dst.prefix_len()), std::cmp::Reverse(*i)));
        for (_, r) in routes {
            if let IpNet::V6(n) = r.dst {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(n.prefix_len()))
                    .unwrap_or(0);
                entries.push((
                    u128::from(n.addr()) & m,
                    m,
                    Resolved::Unicast {
                        dev: r.dev,
                        via: r.via,
                    },
                ));
            }
        }
        Fib6 { entries }
    }

    /// [`Fib::lookup`] of an IPv6 address.
    #[inline]
    pub(crate) fn lookup(&self, dst: Ipv6Addr) -> Option<RouteKind> {
        let d = u128::from(dst);
        let (_, _, r) = self.entries.iter().find(|(n, m, _)| d & m == *n)?;
        Some(match *r {
            Resolved::Local => RouteKind::Local,
            Resolved::Broadcast => RouteKind::Broadcast,
            Resolved::Unicast { dev, via } => RouteKind::Unicast {
                dev,
                via: Some(via.unwrap_or(IpAddr::V6(dst))),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Fib4::is_local`'s bit filter never answers no for one of the
    /// host's addresses: many addresses (bits shared), every probe near
    /// them, against `Fib::is_local`.
    #[test]
    fn fib4_local_bits_agree() {
        let mut fib = Fib::default();
        for i in 0..90u32 {
            let a = Ipv4Addr::from(0x0a00_0000 + i.wrapping_mul(0x0001_0203));
            fib.local.push((IpAddr::V4(a), 1));
        }
        let f4 = Fib4::new(&fib);
        for i in 0..20_000u32 {
            let a = Ipv4Addr::from(0x0a00_0000 + i.wrapping_mul(0x0000_2081));
            assert_eq!(f4.is_local(a), fib.is_local(IpAddr::V4(a)), "{a}");
        }
        for (a, _) in &fib.local {
            let IpAddr::V4(a4) = a else { unreachable!() };
            assert!(f4.is_local(*a4), "{a}");
        }
    }

    #[test]
    fn fib4_agrees_with_lookup() {
        let mut fib = Fib::default();
        fib.local.push(("192.0.2.1".parse().unwrap(), 1));
        fib.local.push(("198.51.100.1".parse().unwrap(), 2));
        fib.local.push(("2001:db8::1".parse().unwrap(), 1));
        fib.connected.push(("192.0.2.0/24".parse().unwrap(), 1));
        fib.connected.push(("198.51.100.0/30".parse().unwrap(), 2));
        fib.connected.push(("203.0.113.8/31".parse().unwrap(), 2));
        fib.connected.push(("2001:db8::/64".parse().unwrap(), 1));
        fib.anycast.push("203.0.113.77".parse().unwrap());
        for (dst, via, dev) in [
            ("192.0.2.0/24", None, 1),
            ("198.51.100.0/30", None, 2),
            ("203.0.113.0/24", Some("198.51.100.2"), 2),
            ("203.0.113.0/24", Some("192.0.2.3"), 1),
            ("203.0.113.64/26", Some("192.0.2.4"), 1),
            ("0.0.0.0/0", Some("198.51.100.2"), 2),
            ("10.1.2.3/8", None, 1),
            ("2001:db8:1::/48", None, 2),
        ] {
            fib.routes.push(Route {
                dst: dst.parse().unwrap(),
                via: via.map(|v: &str| v.parse().unwrap()),
                dev,
            });
        }
        let f4 = Fib4::new(&fib);
        let mut probes: Vec<Ipv4Addr> = vec![
            "127.0.0.1".parse().unwrap(),
            "127.9.9.9".parse().unwrap(),
            "255.255.255.255".parse().unwrap(),
            "0.0.0.0".parse().unwrap(),
        ];
        for base in [
            [192, 0, 2],
            [198, 51, 100],
            [203, 0, 113],
            [10, 1, 2],
            [8, 8, 8],
        ] {
            for last in [0u8, 1, 2, 3, 4, 7, 8, 9, 63, 64, 77, 127, 128, 255] {
                probes.push(Ipv4Addr::new(base[0], base[1], base[2], last));
            }
        }
        for a in probes {
            assert_eq!(f4.lookup(a), fib.lookup(IpAddr::V4(a)), "{a}");
            assert_eq!(f4.is_local(a), fib.is_local(IpAddr::V4(a)), "{a}");
        }
    }

    #[test]
    fn fib6_agrees_with_lookup() {
        let mut fib = Fib::default();
        fib.local.push(("::1".parse().unwrap(), 0));
        fib.local.push(("2001:db8::1".parse().unwrap(), 1));
        fib.local.push(("192.0.2.1".parse().unwrap(), 1));
        fib.anycast.push("2001:db8::".parse().unwrap());
        for (dst, via, dev) in [
            ("2001:db8::/64", None, 1),
            ("2001:db8:1::/64", None, 2),
            ("2001:db8:2::/48", Some("2001:db8:1::2"), 2),
            ("2001:db8:2::/48", Some("2001:db8::3"), 1),
            ("2001:db8:2:5::/64", Some("2001:db8::4"), 1),
            ("::/0", Some("2001:db8:1::2"), 2),
            ("0.0.0.0/0", Some("192.0.2.2"), 1),
        ] {
            fib.routes.push(Route {
                dst: dst.parse().unwrap(),
                via: via.map(|v: &str| v.parse().unwrap()),
                dev,
            });
        }
        let f6 = Fib6::new(&fib);
        for a in [
            "::1",
            "::",
            "::2",
            "2001:db8::",
            "2001:db8::1",
            "2001:db8::9",
            "2001:db8:1::1",
            "2001:db8:1:1::1",
            "2001:db8:2::1",
            "2001:db8:2:5::1",
            "2001:db8:2:6::1",
            "2001:db8:3::1",
            "fe80::1",
            "ff02::1",
        ] {
            let a: Ipv6Addr = a.parse().unwrap();
            assert_eq!(f6.lookup(a), fib.lookup(IpAddr::V6(a)), "{a}");
        }
    }
}
