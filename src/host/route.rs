//! Addresses and routes of the simulated host, and the routing decision
//! (`fib_lookup` with the local, broadcast and main tables, longest prefix
//! first).

use std::net::IpAddr;

use ipnet::IpNet;

/// What a destination resolves to.
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
    pub fn source_on(&self, dev: usize, v6: bool) -> Option<IpAddr> {
        self.local
            .iter()
            .find(|(a, d)| *d == dev && a.is_ipv6() == v6)
            .map(|(a, _)| *a)
    }
}
