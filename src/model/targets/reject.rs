//! `-j REJECT` (extensions/libipt_REJECT.c, libip6t_REJECT.c; kernel
//! net/ipv4/netfilter/ipt_REJECT.c, net/ipv6/netfilter/ip6t_REJECT.c).

use core::fmt;

use crate::model::ext::{Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::{Family, Hook, TableKind};

/// What REJECT sends back (`enum ipt_reject_with` / `enum ip6t_reject_with`;
/// the discriminant is the kernel's value for the family it belongs to).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::targets::reject::RejectWith;
/// assert!(matches!(&r.verdict, Verdict::Ext(Target::Reject(j)) if j.with == RejectWith::TcpReset));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectWith {
    /// IPv4 `icmp-net-unreachable` (ICMP 3/0).
    IcmpNetUnreachable,
    /// IPv4 `icmp-host-unreachable` (ICMP 3/1).
    IcmpHostUnreachable,
    /// IPv4 `icmp-proto-unreachable` (ICMP 3/2).
    IcmpProtoUnreachable,
    /// IPv4 `icmp-port-unreachable` (ICMP 3/3), the IPv4 default.
    IcmpPortUnreachable,
    /// IPv4 `icmp-net-prohibited` (ICMP 3/9).
    IcmpNetProhibited,
    /// IPv4 `icmp-host-prohibited` (ICMP 3/10).
    IcmpHostProhibited,
    /// IPv4 `icmp-admin-prohibited` (ICMP 3/13).
    IcmpAdminProhibited,
    /// `tcp-reset` (both families): a TCP RST.
    TcpReset,
    /// IPv6 `icmp6-no-route` (ICMPv6 1/0).
    Icmp6NoRoute,
    /// IPv6 `icmp6-adm-prohibited` (ICMPv6 1/1).
    Icmp6AdmProhibited,
    /// IPv6 `icmp6-addr-unreachable` (ICMPv6 1/3).
    Icmp6AddrUnreachable,
    /// IPv6 `icmp6-port-unreachable` (ICMPv6 1/4), the IPv6 default.
    Icmp6PortUnreachable,
    /// IPv6 `icmp6-policy-fail` (ICMPv6 1/5).
    Icmp6PolicyFail,
    /// IPv6 `icmp6-reject-route` (ICMPv6 1/6).
    Icmp6RejectRoute,
}

use crate::model::ext::options;
use crate::model::opt::{bad_id, require_table, require_target_hooks};
use RejectWith as W;

/// libipt_REJECT.c `reject_table`, in kernel enum order (name, alias).
const TABLE4: [(RejectWith, &str, &str); 8] = [
    (W::IcmpNetUnreachable, "icmp-net-unreachable", "net-unreach"),
    (
        W::IcmpHostUnreachable,
        "icmp-host-unreachable",
        "host-unreach",
    ),
    (
        W::IcmpProtoUnreachable,
        "icmp-proto-unreachable",
        "proto-unreach",
    ),
    (
        W::IcmpPortUnreachable,
        "icmp-port-unreachable",
        "port-unreach",
    ),
    (W::IcmpNetProhibited, "icmp-net-prohibited", "net-prohib"),
    (W::IcmpHostProhibited, "icmp-host-prohibited", "host-prohib"),
    (W::TcpReset, "tcp-reset", "tcp-rst"),
    (
        W::IcmpAdminProhibited,
        "icmp-admin-prohibited",
        "admin-prohib",
    ),
];

/// libip6t_REJECT.c `reject_table`, in kernel enum order.
const TABLE6: [(RejectWith, &str, &str); 7] = [
    (W::Icmp6NoRoute, "icmp6-no-route", "no-route"),
    (
        W::Icmp6AdmProhibited,
        "icmp6-adm-prohibited",
        "adm-prohibited",
    ),
    (
        W::Icmp6AddrUnreachable,
        "icmp6-addr-unreachable",
        "addr-unreach",
    ),
    (
        W::Icmp6PortUnreachable,
        "icmp6-port-unreachable",
        "port-unreach",
    ),
    (W::TcpReset, "tcp-reset", "tcp-reset"),
    (W::Icmp6PolicyFail, "icmp6-policy-fail", "policy-fail"),
    (W::Icmp6RejectRoute, "icmp6-reject-route", "reject-route"),
];

impl RejectWith {
    /// The canonical name iptables-save prints.
    ///
    /// ```
    /// use nfsim::model::targets::reject::RejectWith;
    /// assert_eq!(RejectWith::Icmp6AdmProhibited.name(), "icmp6-adm-prohibited");
    /// ```
    pub fn name(self) -> &'static str {
        TABLE4
            .iter()
            .chain(TABLE6.iter())
            .find(|(w, _, _)| *w == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("tcp-reset")
    }
    /// REJECT_parse: the first entry whose name or alias starts with `arg`
    /// (case-insensitive, so any prefix, even empty, selects an entry).
    pub(crate) fn parse(arg: &str, family: Family) -> Result<Self, String> {
        let table: &[(RejectWith, &str, &str)] = match family {
            Family::Ipv4 => &TABLE4,
            Family::Ipv6 => &TABLE6,
        };
        let is_prefix = |full: &str| {
            full.len() >= arg.len()
                && full.as_bytes()[..arg.len()].eq_ignore_ascii_case(arg.as_bytes())
        };
        table
            .iter()
            .find(|(_, n, a)| is_prefix(n) || is_prefix(a))
            .map(|(w, _, _)| *w)
            .ok_or_else(|| format!("unknown reject type \"{arg}\""))
    }
}

/// `-j REJECT [--reject-with TYPE]`.
///
/// ```
/// use nfsim::model::targets::reject::{Reject, RejectWith};
/// assert_eq!(RejectWith::TcpReset.name(), "tcp-reset");
/// let r = Reject { with: RejectWith::IcmpPortUnreachable };
/// assert_eq!(r.with.name(), "icmp-port-unreachable");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The reply to send.
    pub with: RejectWith,
}

options!(OPTS = 0 "reject-with" arg);

impl Blank for Reject {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Reject {
            with: match ctx.family {
                Family::Ipv4 => W::IcmpPortUnreachable,
                Family::Ipv6 => W::Icmp6PortUnreachable,
            },
        }
    }
}

impl Extension for Reject {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            0 => {
                self.with =
                    RejectWith::parse(args.required("REJECT", "reject-with")?, args.ctx.family)?
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // ipt_REJECT.c / ip6t_REJECT.c: .table = "filter",
        // .hooks = LOCAL_IN | FORWARD | LOCAL_OUT.
        require_table(ctx, TableKind::Filter, "REJECT")?;
        require_target_hooks(
            ctx,
            Hook::LocalIn.bit() | Hook::Forward.bit() | Hook::LocalOut.bit(),
            "REJECT",
        )?;
        // reject_tg_check / reject_tg6_check: tcp-reset needs `-p tcp`.
        if self.with == W::TcpReset && (ctx.proto != 6 || ctx.proto_inv) {
            return Err("x_tables: REJECT: TCP_RESET invalid for non-tcp".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        write!(f, " --reject-with {}", self.with.name())
    }
}
