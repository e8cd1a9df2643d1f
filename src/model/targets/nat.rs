//! `-j SNAT`, `-j DNAT`, `-j MASQUERADE`, `-j REDIRECT`
//! (extensions/libxt_NAT.c; kernel net/netfilter/xt_nat.c,
//! xt_MASQUERADE.c, xt_REDIRECT.c).
//!
//! Revisions as iptables 1.8 picks them on a current kernel: SNAT 0 (IPv4,
//! `nf_nat_ipv4_multi_range_compat`) / 1 (IPv6, `nf_nat_range`), DNAT 2
//! (`nf_nat_range2`, the only one keeping a port-shift base), MASQUERADE and
//! REDIRECT 0. A `/BASE` port shift given to SNAT or MASQUERADE is accepted
//! but its base is lost in their structs, so it prints as `/0`.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::ext::ids;
use crate::model::ext::{Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::names::SERVICES;
use crate::model::opt::{bad_id, fcheck, require_table, require_target_hooks, strtoui_end};
use crate::model::text::addr::ipv6_ntop;
use crate::model::{Family, Hook, TableKind};

bitflags::bitflags! {
    /// `NF_NAT_RANGE_*` (include/uapi/linux/netfilter/nf_nat.h).
    ///
    /// ```
    /// use nfsim::model::targets::nat::NatFlags;
    /// let f = NatFlags::MAP_IPS | NatFlags::PROTO_SPECIFIED;
    /// assert_eq!(f.bits(), 0x3);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct NatFlags: u32 {
        /// An address range is given.
        const MAP_IPS = 0x1;
        /// A port range is given.
        const PROTO_SPECIFIED = 0x2;
        /// `--random`
        const PROTO_RANDOM = 0x4;
        /// `--persistent`
        const PERSISTENT = 0x8;
        /// `--random-fully`
        const PROTO_RANDOM_FULLY = 0x10;
        /// A port-shift base (`/BASE`) is given.
        const PROTO_OFFSET = 0x20;
    }
}

/// A NAT range (`struct nf_nat_range2`), directly usable by the NAT core.
///
/// ```
/// use nfsim::model::targets::nat::{NatFlags, NatRange};
/// let r = NatRange::default();
/// assert!(r.flags.is_empty());
/// assert_eq!(r.max_port, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatRange {
    /// Flags.
    pub flags: NatFlags,
    /// First address (meaningful with [`NatFlags::MAP_IPS`]).
    pub min_addr: IpAddr,
    /// Last address.
    pub max_addr: IpAddr,
    /// First port (meaningful with [`NatFlags::PROTO_SPECIFIED`]).
    pub min_port: u16,
    /// Last port.
    pub max_port: u16,
    /// Port-shift base (with [`NatFlags::PROTO_OFFSET`]).
    pub base_port: u16,
}

impl Default for NatRange {
    fn default() -> Self {
        NatRange {
            flags: NatFlags::empty(),
            min_addr: Ipv4Addr::UNSPECIFIED.into(),
            max_addr: Ipv4Addr::UNSPECIFIED.into(),
            min_port: 0,
            max_port: 0,
            base_port: 0,
        }
    }
}

/// `xtables_service_to_port(name, NULL)`: a service of any protocol.
fn service_any(name: &str) -> Option<u16> {
    SERVICES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, p, _)| *p)
}

/// An address as `inet_ntop` writes it.
pub(crate) fn ntop(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(v) => v.to_string(),
        IpAddr::V6(v) => ipv6_ntop(&v.octets()),
    }
}

impl NatRange {
    /// `parse_ports` (libxt_NAT.c): `PORT[-PORT[/BASE]]`.
    fn parse_ports(&mut self, arg: &str, portok: bool) -> Result<(), String> {
        if !portok {
            return Err("Need TCP, UDP, SCTP or DCCP with port specification".into());
        }
        self.flags |= NatFlags::PROTO_SPECIFIED;
        let (port, end) = match strtoui_end(arg, 0, 65535) {
            Some((p, e)) => (p as u16, e),
            None => (
                service_any(arg).ok_or_else(|| format!("Port `{arg}' not valid"))?,
                "",
            ),
        };
        let rest = match end.chars().next() {
            None => {
                self.min_port = port;
                self.max_port = port;
                return Ok(());
            }
            Some('-') => &end[1..],
            Some(':') => return Err("Invalid port:port syntax - use dash".into()),
            Some(_) => return Err(format!("Garbage after port value: `{end}'")),
        };
        let (maxport, end) =
            strtoui_end(rest, 0, 65535).ok_or_else(|| format!("Port `{rest}' not valid"))?;
        let maxport = maxport as u16;
        if maxport < port {
            return Err(format!("Port range `{rest}' funky"));
        }
        self.min_port = port;
        self.max_port = maxport;
        let base = match end.chars().next() {
            None => return Ok(()),
            Some('/') => &end[1..],
            Some(_) => return Err(format!("Garbage after port range: `{end}'")),
        };
        let b = match strtoui_end(base, 1, 65535) {
            Some((b, _)) => b as u16,
            None => service_any(base).ok_or_else(|| format!("Port `{base}' not valid"))?,
        };
        self.flags |= NatFlags::PROTO_OFFSET;
        self.base_port = b;
        Ok(())
    }

    /// `parse_to` (libxt_NAT.c): `[ADDR[-ADDR]][:PORT[-PORT[/BASE]]]`, IPv6
    /// addresses in brackets when a port follows.
    fn parse_to(&mut self, arg: &str, portok: bool, family: Family) -> Result<(), String> {
        let (addr_part, port_part): (&str, Option<&str>) = match arg.find('[') {
            None => {
                let colon = arg.find(':').filter(|&c| !arg[c + 1..].contains(':'));
                match colon {
                    Some(c) => (&arg[..c], Some(&arg[c + 1..])),
                    None => (arg, None),
                }
            }
            Some(open) => {
                let start = &arg[open + 1..];
                let close = start.find(']');
                let (Some(close), Family::Ipv6) = (close, family) else {
                    return Err("Invalid address format".into());
                };
                let after = &start[close + 1..];
                let port = after.find(':').map(|c| &after[c + 1..]);
                (&start[..close], port)
            }
        };
        if let Some(p) = port_part {
            self.parse_ports(p, portok)?;
            // ":PORT" or "[]:PORT": no address.
            if addr_part.is_empty() && (arg.starts_with(':') || arg.starts_with("[]")) {
                return Ok(());
            }
        }
        self.flags |= NatFlags::MAP_IPS;
        let (lo, hi) = match addr_part.find('-') {
            Some(d) => (&addr_part[..d], Some(&addr_part[d + 1..])),
            None => (addr_part, None),
        };
        let pton = |s: &str| -> Result<IpAddr, String> {
            let r = match family {
                Family::Ipv4 => s.parse::<Ipv4Addr>().map(IpAddr::from).ok(),
                Family::Ipv6 => s.parse::<Ipv6Addr>().map(IpAddr::from).ok(),
            };
            r.ok_or_else(|| format!("Bad IP address \"{s}\""))
        };
        self.min_addr = pton(lo)?;
        self.max_addr = match hi {
            Some(h) => pton(h)?,
            None => self.min_addr,
        };
        Ok(())
    }

    /// `__NAT_print` with the save prefix.
    fn save(&self, f: &mut dyn fmt::Write, opt: &str, skip_colon: bool) -> fmt::Result {
        self.print(f, &format!("--{opt} "), "--", skip_colon)
    }

    /// `__NAT_print` (libxt_NAT.c): the range after `rangeopt`, then the
    /// flags after `flag_pfx` (`iptables -L` passes `to:` and ``,
    /// iptables-save `--to-source ` and `--`).
    pub fn print(
        &self,
        f: &mut dyn fmt::Write,
        rangeopt: &str,
        flag_pfx: &str,
        skip_colon: bool,
    ) -> fmt::Result {
        let mut buf = String::new();
        let brackets = self.min_addr.is_ipv6() && self.flags.contains(NatFlags::PROTO_SPECIFIED);
        if self.flags.contains(NatFlags::MAP_IPS) {
            if brackets {
                buf.push('[');
            }
            buf.push_str(&ntop(&self.min_addr));
            if self.min_addr != self.max_addr {
                buf.push('-');
                buf.push_str(&ntop(&self.max_addr));
            }
            if brackets {
                buf.push(']');
            }
        }
        if self.flags.contains(NatFlags::PROTO_SPECIFIED) {
            if !(skip_colon && buf.is_empty()) {
                buf.push(':');
            }
            buf.push_str(&self.min_port.to_string());
            if self.max_port != self.min_port {
                buf.push('-');
                buf.push_str(&self.max_port.to_string());
            }
            if self.flags.contains(NatFlags::PROTO_OFFSET) {
                buf.push('/');
                buf.push_str(&self.base_port.to_string());
            }
        }
        if !buf.is_empty() {
            write!(f, " {rangeopt}{buf}")?;
        }
        for (flag, name) in [
            (NatFlags::PROTO_RANDOM, "random"),
            (NatFlags::PROTO_RANDOM_FULLY, "random-fully"),
            (NatFlags::PERSISTENT, "persistent"),
        ] {
            if self.flags.contains(flag) {
                write!(f, " {flag_pfx}{name}")?;
            }
        }
        Ok(())
    }

    fn new_for(family: Family) -> Self {
        let z: IpAddr = match family {
            Family::Ipv4 => Ipv4Addr::UNSPECIFIED.into(),
            Family::Ipv6 => Ipv6Addr::UNSPECIFIED.into(),
        };
        NatRange {
            min_addr: z,
            max_addr: z,
            ..NatRange::default()
        }
    }
}

/// `__NAT_parse`'s `portok`: protocols with ports (ICMP ids count).
fn portok(ctx: &ExtCtx<'_>) -> bool {
    matches!(ctx.proto, 6 | 17 | 132 | 33 | 1)
}

ids!(TO_DEST, TO_SRC, TO_PORTS, RANDOM, RANDOM_FULLY, PERSISTENT);

fn parse_common(
    range: &mut NatRange,
    ext: &str,
    id: u8,
    args: &Args<'_>,
    ctx: &ExtCtx<'_>,
) -> Result<(), String> {
    match id {
        TO_DEST => range.parse_to(
            args.required(ext, "to-destination")?,
            portok(ctx),
            ctx.family,
        ),
        TO_SRC => range.parse_to(args.required(ext, "to-source")?, portok(ctx), ctx.family),
        TO_PORTS => range.parse_ports(args.required(ext, "to-ports")?, portok(ctx)),
        RANDOM => {
            range.flags |= NatFlags::PROTO_RANDOM;
            Ok(())
        }
        RANDOM_FULLY => {
            range.flags |= NatFlags::PROTO_RANDOM_FULLY;
            Ok(())
        }
        PERSISTENT => {
            range.flags |= NatFlags::PERSISTENT;
            Ok(())
        }
        _ => bad_id(),
    }
}

/// `DNAT_fcheck` / `DNAT_fcheck6` for the compat revisions.
fn no_shift(range: &NatRange) -> Result<(), String> {
    if range.flags.contains(NatFlags::PROTO_OFFSET) {
        return Err("Shifted portmap ranges not supported with this kernel".into());
    }
    Ok(())
}

macro_rules! nat_target {
    (
        $(#[$doc:meta])* $ty:ident, $name:literal, opts: [$($opt:expr),*],
        constraints: $cons:expr, hooks: $hooks:expr,
        opt: $optname:literal, skip_colon: $skip:literal, keep_base: $keep:literal,
        fcheck: $fc:expr, kcheck: $kc:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty {
            /// The range and flags.
            pub range: NatRange,
        }

        impl Blank for $ty {
            fn blank(ctx: &ExtCtx<'_>) -> Self {
                $ty { range: NatRange::new_for(ctx.family) }
            }
        }

        impl Extension for $ty {
            const OPTIONS: &'static [OptSpec] = &[$($opt),*];
            fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
                parse_common(&mut self.range, $name, args.id, args, args.ctx)?;
                if !$keep {
                    // The compat structs have no base port.
                    self.range.base_port = 0;
                }
                Ok(())
            }
            fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
                fcheck($name, seen, $cons)?;
                let f: fn(&NatRange) -> Result<(), String> = $fc;
                f(&self.range)
            }
            fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
                require_table(ctx, TableKind::Nat, $name)?;
                require_target_hooks(ctx, $hooks, $name)?;
                let f: fn(&NatRange) -> Result<(), String> = $kc;
                f(&self.range)
            }
            fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
                self.range.save(f, $optname, $skip)
            }
        }
    };
}

fn ok(_: &NatRange) -> Result<(), String> {
    Ok(())
}

/// masquerade_tg_check / redirect_tg4_check (xt_MASQUERADE.c,
/// xt_REDIRECT.c): no address range allowed.
fn no_map_ips(r: &NatRange) -> Result<(), String> {
    if r.flags.contains(NatFlags::MAP_IPS) {
        return Err("x_tables: bad MAP_IPS".into());
    }
    Ok(())
}

nat_target! {
    /// `-j SNAT --to-source ...` (xt_nat.c: table nat, hooks POSTROUTING, INPUT).
    ///
    /// ```
    /// use nfsim::model::targets::nat::{NatRange, Snat};
    /// let s = Snat { range: NatRange::default() };
    /// assert!(s.range.flags.is_empty());
    /// ```
    Snat, "SNAT",
    opts: [OptSpec::arg("to-source", TO_SRC), OptSpec::flag("random", RANDOM),
           OptSpec::flag("random-fully", RANDOM_FULLY), OptSpec::flag("persistent", PERSISTENT)],
    constraints: &[(TO_SRC, "to-source", 0, 0, true)],
    hooks: Hook::PostRouting.bit() | Hook::LocalIn.bit(),
    opt: "to-source", skip_colon: false, keep_base: false, fcheck: ok, kcheck: ok
}

nat_target! {
    /// `-j DNAT --to-destination ...` (xt_nat.c: table nat, hooks
    /// PREROUTING, OUTPUT; revision 2 keeps the port-shift base).
    ///
    /// ```
    /// use nfsim::model::targets::nat::{Dnat, NatRange};
    /// let d = Dnat { range: NatRange::default() };
    /// assert_eq!(d.range.base_port, 0);
    /// ```
    Dnat, "DNAT",
    opts: [OptSpec::arg("to-destination", TO_DEST), OptSpec::flag("random", RANDOM),
           OptSpec::flag("persistent", PERSISTENT)],
    constraints: &[(TO_DEST, "to-destination", 0, 0, true)],
    hooks: Hook::PreRouting.bit() | Hook::LocalOut.bit(),
    opt: "to-destination", skip_colon: false, keep_base: true, fcheck: ok, kcheck: ok
}

nat_target! {
    /// `-j MASQUERADE [--to-ports P[-P]] [--random] [--random-fully]`
    /// (xt_MASQUERADE.c: table nat, hook POSTROUTING).
    ///
    /// ```
    /// use nfsim::model::targets::nat::{Masquerade, NatRange};
    /// let m = Masquerade { range: NatRange::default() };
    /// assert!(m.range.flags.is_empty());
    /// ```
    Masquerade, "MASQUERADE",
    opts: [OptSpec::arg("to-ports", TO_PORTS), OptSpec::flag("random", RANDOM),
           OptSpec::flag("random-fully", RANDOM_FULLY)],
    constraints: &[],
    hooks: Hook::PostRouting.bit(),
    opt: "to-ports", skip_colon: true, keep_base: false, fcheck: ok, kcheck: no_map_ips
}

nat_target! {
    /// `-j REDIRECT [--to-ports P[-P]] [--random]` (xt_REDIRECT.c: table
    /// nat, hooks PREROUTING, OUTPUT).
    ///
    /// ```
    /// use nfsim::model::targets::nat::{NatRange, Redirect};
    /// let r = Redirect { range: NatRange::default() };
    /// assert!(r.range.flags.is_empty());
    /// ```
    Redirect, "REDIRECT",
    opts: [OptSpec::arg("to-ports", TO_PORTS), OptSpec::flag("random", RANDOM)],
    constraints: &[],
    hooks: Hook::PreRouting.bit() | Hook::LocalOut.bit(),
    opt: "to-ports", skip_colon: true, keep_base: false, fcheck: no_shift, kcheck: no_map_ips
}
