//! `-j SNPT` / `-j DNPT` (IPv6 prefix translation; extensions/
//! libip6t_SNPT.c, libip6t_DNPT.c; kernel net/ipv6/netfilter/ip6t_NPT.c
//! `ip6t_npt_checkentry`).

use core::fmt;
use std::net::Ipv6Addr;

use crate::model::ext::options;
use crate::model::ext::{prefix_mask, Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, require_table, require_target_hooks, strtoui};
use crate::model::text::addr::ipv6_ntop;
use crate::model::{Hook, TableKind};

/// The prefixes of an NPT target (`struct ip6t_npt_tginfo`); the addresses
/// are kept as given (not masked), as iptables stores them.
///
/// ```
/// use nfsim::model::targets::npt::Npt;
/// let n = Npt { src_pfx: [0; 16], src_len: 64, dst_pfx: [0; 16], dst_len: 64 };
/// assert_eq!(n.src_len, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Npt {
    /// Source prefix.
    pub src_pfx: [u8; 16],
    /// Source prefix length (255 for a non-CIDR mask).
    pub src_len: u8,
    /// Destination prefix.
    pub dst_pfx: [u8; 16],
    /// Destination prefix length.
    pub dst_len: u8,
}

const SRC: u8 = 1;
const DST: u8 = 2;

options!(OPTS = SRC "src-pfx" arg, DST "dst-pfx" arg);

/// `XTTYPE_HOSTMASK` as NPT reads it: address and prefix length.
fn parse_pfx(s: &str, ext: &str, opt: &str) -> Result<([u8; 16], u8), String> {
    let (host, mask) = match s.find('/') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let a = host
        .parse::<Ipv6Addr>()
        .map_err(|_| format!("getaddrinfo: Name or service not known (`{host}')\n"))?;
    let len = match mask {
        None => 128,
        Some(m) => match strtoui(m, 0, 128) {
            Some(v) => v as u8,
            None => match m.parse::<Ipv6Addr>() {
                // A full mask: its CIDR length, or -1 when not contiguous.
                Ok(mask) => {
                    let b = mask.octets();
                    (0..=128u8).find(|l| prefix_mask(*l) == b).unwrap_or(255)
                }
                Err(_) => {
                    return Err(format!(
                        "{ext}: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-128)."
                    ))
                }
            },
        },
    };
    Ok((a.octets(), len))
}

fn npt_parse(n: &mut Npt, ext: &str, id: u8, args: &Args<'_>) -> Result<(), String> {
    match id {
        SRC => (n.src_pfx, n.src_len) = parse_pfx(args.required(ext, "src-pfx")?, ext, "src-pfx")?,
        DST => (n.dst_pfx, n.dst_len) = parse_pfx(args.required(ext, "dst-pfx")?, ext, "dst-pfx")?,
        _ => bad_id()?,
    }
    Ok(())
}

/// ip6t_npt_checkentry: prefixes of at most 64 bits with no host bits set.
fn npt_check(n: &Npt, ext: &str) -> Result<(), String> {
    if n.src_len > 64 || n.dst_len > 64 {
        return Err(format!("x_tables: {ext}: prefix length above 64"));
    }
    for (p, l) in [(n.src_pfx, n.src_len), (n.dst_pfx, n.dst_len)] {
        let m = prefix_mask(l);
        if (0..16).any(|i| p[i] & !m[i] != 0) {
            return Err(format!("x_tables: {ext}: prefix has host bits set"));
        }
    }
    Ok(())
}

fn npt_save(n: &Npt, f: &mut dyn fmt::Write) -> fmt::Result {
    if n.src_pfx != [0; 16] || n.src_len != 0 {
        write!(f, " --src-pfx {}/{}", ipv6_ntop(&n.src_pfx), n.src_len)?;
    }
    if n.dst_pfx != [0; 16] || n.dst_len != 0 {
        write!(f, " --dst-pfx {}/{}", ipv6_ntop(&n.dst_pfx), n.dst_len)?;
    }
    Ok(())
}

macro_rules! npt_target {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $hooks:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct $ty {
            /// The prefixes.
            pub npt: Npt,
        }

        impl Extension for $ty {
            const OPTIONS: &'static [OptSpec] = &OPTS;
            fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
                npt_parse(&mut self.npt, $name, args.id, args)
            }
            fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
                fcheck($name, seen, &[(SRC, "src-pfx", 0, 0, true), (DST, "dst-pfx", 0, 0, true)])
            }
            fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
                require_table(ctx, TableKind::Mangle, $name)?;
                require_target_hooks(ctx, $hooks, $name)?;
                npt_check(&self.npt, $name)
            }
            fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
                npt_save(&self.npt, f)
            }
        }
    };
}

npt_target! {
    /// `-j SNPT --src-pfx P/L --dst-pfx P/L` (table mangle, hooks INPUT, POSTROUTING).
    ///
    /// ```
    /// use nfsim::model::targets::npt::{Npt, Snpt};
    /// let s = Snpt { npt: Npt { src_pfx: [0; 16], src_len: 0, dst_pfx: [0; 16], dst_len: 0 } };
    /// assert_eq!(s.npt.dst_len, 0);
    /// ```
    Snpt, "SNPT", Hook::LocalIn.bit() | Hook::PostRouting.bit()
}

npt_target! {
    /// `-j DNPT --src-pfx P/L --dst-pfx P/L` (table mangle, hooks PREROUTING, OUTPUT).
    ///
    /// ```
    /// use nfsim::model::targets::npt::{Dnpt, Npt};
    /// let d = Dnpt { npt: Npt { src_pfx: [0; 16], src_len: 0, dst_pfx: [0; 16], dst_len: 0 } };
    /// assert_eq!(d.npt.src_len, 0);
    /// ```
    Dnpt, "DNPT", Hook::PreRouting.bit() | Hook::LocalOut.bit()
}
