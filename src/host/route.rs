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
        let r = self
            .routes
            .iter()
            .filter(|r| r.dst.contains(&dst))
            .max_by_key(|r| r.dst.prefix_len())?;
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

/// The source (`dst` false) or destination address of an IP packet
/// (`ip_hdr(skb)->saddr` / `->daddr`, `ipv6_hdr(skb)`), `None` when the
/// header is cut short.
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
pub(crate) fn packet_addrs(family: crate::model::Family, buf: &[u8]) -> (IpAddr, IpAddr) {
    let none = match family {
        crate::model::Family::Ipv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        crate::model::Family::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    (
        addr_of(family, buf, false).unwrap_or(none),
        addr_of(family, buf, true).unwrap_or(none),
    )
}
