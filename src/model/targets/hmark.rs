//! `-j HMARK` (extensions/libxt_HMARK.c; kernel net/netfilter/xt_HMARK.c
//! `hmark_tg_check`).

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::ext::options;
use crate::model::ext::{prefix_mask, Args, Blank, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, fcheck, strtoui, uint, Constraint};
use crate::model::Family;

bitflags::bitflags! {
    /// `XT_HMARK_FLAG(XT_HMARK_*)`: which fields are set.
    ///
    /// ```
    /// use nfsim::model::targets::hmark::HmarkFlags;
    /// let f = HmarkFlags::SADDR_MASK | HmarkFlags::DADDR_MASK;
    /// assert!(f.contains(HmarkFlags::SADDR_MASK) && !f.contains(HmarkFlags::SPI));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct HmarkFlags: u32 {
        /// `--hmark-src-prefix`
        const SADDR_MASK = 1 << 0;
        /// `--hmark-dst-prefix`
        const DADDR_MASK = 1 << 1;
        /// `--hmark-spi`
        const SPI = 1 << 2;
        /// `--hmark-spi-mask`
        const SPI_MASK = 1 << 3;
        /// `--hmark-sport`
        const SPORT = 1 << 4;
        /// `--hmark-dport`
        const DPORT = 1 << 5;
        /// `--hmark-sport-mask`
        const SPORT_MASK = 1 << 6;
        /// `--hmark-dport-mask`
        const DPORT_MASK = 1 << 7;
        /// `--hmark-proto-mask`
        const PROTO_MASK = 1 << 8;
        /// `--hmark-rnd`
        const RND = 1 << 9;
        /// `--hmark-mod`
        const MODULUS = 1 << 10;
        /// `--hmark-offset`
        const OFFSET = 1 << 11;
        /// `--hmark-tuple ct`
        const CT = 1 << 12;
        /// L3-only method (set by the kernel ABI, never by iptables).
        const METHOD_L3 = 1 << 13;
    }
}

/// `-j HMARK` (`struct xt_hmark_info`): mark = hash % modulus + offset.
///
/// ```
/// use nfsim::model::targets::hmark::{Hmark, HmarkFlags};
/// use nfsim::model::Family;
/// let h = Hmark { flags: HmarkFlags::MODULUS, modulus: 42, ..Hmark::new_for(Family::Ipv4) };
/// assert_eq!(h.modulus, 42);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hmark {
    /// Family (decides how the prefixes print).
    pub family: Family,
    /// Which fields are set.
    pub flags: HmarkFlags,
    /// Source address mask.
    pub src_mask: [u8; 16],
    /// Destination address mask.
    pub dst_mask: [u8; 16],
    /// Source port mask (or the high half of the SPI mask).
    pub sport_mask: u16,
    /// Destination port mask.
    pub dport_mask: u16,
    /// SPI mask.
    pub spi_mask: u32,
    /// Source port value OR-ed in.
    pub sport: u16,
    /// Destination port value OR-ed in.
    pub dport: u16,
    /// SPI value OR-ed in.
    pub spi: u32,
    /// Protocol mask.
    pub proto_mask: u16,
    /// Hash seed.
    pub hashrnd: u32,
    /// Modulus.
    pub modulus: u32,
    /// Offset added.
    pub offset: u32,
}

const SADDR: u8 = 0;
const DADDR: u8 = 1;
const SPI: u8 = 2;
const SPI_MASK: u8 = 3;
const SPORT: u8 = 4;
const DPORT: u8 = 5;
const SPORT_MASK: u8 = 6;
const DPORT_MASK: u8 = 7;
const PROTO_MASK: u8 = 8;
const RND: u8 = 9;
const MODULUS: u8 = 10;
const OFFSET: u8 = 11;
const TYPE: u8 = 13;

options! {
    OPTS =
    TYPE "hmark-tuple" arg, SADDR "hmark-src-prefix" arg, DADDR "hmark-dst-prefix" arg,
    SPORT_MASK "hmark-sport-mask" arg, DPORT_MASK "hmark-dport-mask" arg,
    SPI_MASK "hmark-spi-mask" arg, SPORT "hmark-sport" arg, DPORT "hmark-dport" arg,
    SPI "hmark-spi" arg, PROTO_MASK "hmark-proto-mask" arg, RND "hmark-rnd" arg,
    MODULUS "hmark-mod" arg, OFFSET "hmark-offset" arg,
}

const CONSTRAINTS: [Constraint; 1] = [(MODULUS, "hmark-mod", 0, 0, true)];

/// `XTTYPE_PLENMASK`: a prefix length, or a full mask.
fn parse_plenmask(s: &str, family: Family, opt: &str) -> Result<[u8; 16], String> {
    let max = family.max_prefix();
    if let Some(v) = strtoui(s, 0, max as u64) {
        return Ok(prefix_mask(v as u8));
    }
    let mut m = [0u8; 16];
    let ok = match family {
        Family::Ipv4 => s
            .parse::<Ipv4Addr>()
            .map(|a| m[..4].copy_from_slice(&a.octets()))
            .is_ok(),
        Family::Ipv6 => s.parse::<Ipv6Addr>().map(|a| m = a.octets()).is_ok(),
    };
    if !ok {
        return Err(format!(
            "HMARK: bad value for option \"--{opt}\", neither a valid network mask nor valid CIDR (0-{max})."
        ));
    }
    Ok(m)
}

/// `xtables_ipmask_to_cidr` / `xtables_ip6mask_to_cidr`: -1 when not contiguous.
fn mask_to_cidr(m: &[u8; 16], family: Family) -> i32 {
    let n = family.addr_len();
    (0..=family.max_prefix())
        .find(|l| prefix_mask(*l)[..n] == m[..n])
        .map_or(-1, i32::from)
}

impl Hmark {
    /// A blank HMARK for a family.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// use nfsim::model::targets::hmark::{Hmark, HmarkFlags};
    /// let h = Hmark::new_for(Family::Ipv6);
    /// assert!(h.flags.is_empty() && h.family == Family::Ipv6);
    /// ```
    pub fn new_for(family: Family) -> Self {
        Hmark {
            family,
            flags: HmarkFlags::empty(),
            src_mask: [0; 16],
            dst_mask: [0; 16],
            sport_mask: 0,
            dport_mask: 0,
            spi_mask: 0,
            sport: 0,
            dport: 0,
            spi: 0,
            proto_mask: 0,
            hashrnd: 0,
            modulus: 0,
            offset: 0,
        }
    }
    /// `hmark_parse_type`: a comma list of `ct`, `src`, `dst`, `sport`,
    /// `dport`, `proto`, `spi` (case-insensitive prefixes).
    fn parse_type(&mut self, arg: &str) -> Result<(), String> {
        let parts: Vec<&str> = arg.split(',').collect();
        for (i, t) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            if t.is_empty() {
                if last {
                    return Err("\"--hmark-tuple\" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto".into());
                }
                return Err(format!("Bad type \"{}\"", parts[i..].join(",")));
            }
            let is = |full: &str| {
                t.len() <= full.len()
                    && full.as_bytes()[..t.len()].eq_ignore_ascii_case(t.as_bytes())
            };
            if is("ct") {
                self.flags |= HmarkFlags::CT;
            } else if is("src") {
                self.src_mask = [0xff; 16];
                self.flags |= HmarkFlags::SADDR_MASK;
            } else if is("dst") {
                self.dst_mask = [0xff; 16];
                self.flags |= HmarkFlags::DADDR_MASK;
            } else if is("sport") {
                self.sport_mask = 0xffff;
                self.flags |= HmarkFlags::SPORT_MASK;
            } else if is("dport") {
                self.dport_mask = 0xffff;
                self.flags |= HmarkFlags::DPORT_MASK;
            } else if is("proto") {
                self.proto_mask = 0xffff;
                self.flags |= HmarkFlags::PROTO_MASK;
            } else if is("spi") {
                self.spi_mask = u32::MAX;
                self.flags |= HmarkFlags::SPI_MASK;
            } else {
                return Err(format!("Bad type \"{}\"", parts[i..].join(",")));
            }
        }
        Ok(())
    }
}

impl Blank for Hmark {
    fn blank(ctx: &ExtCtx<'_>) -> Self {
        Hmark::new_for(ctx.family)
    }
}

impl Extension for Hmark {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("HMARK", name)?;
        let u16_of = |s: &str| uint("HMARK", name, s, 0, 65535).map(|v| v as u16);
        let u32_of = |s: &str, min| uint("HMARK", name, s, min, u32::MAX as u64).map(|v| v as u32);
        match args.id {
            TYPE => return self.parse_type(s),
            SADDR => self.src_mask = parse_plenmask(s, args.ctx.family, name)?,
            DADDR => self.dst_mask = parse_plenmask(s, args.ctx.family, name)?,
            SPORT_MASK => self.sport_mask = u16_of(s)?,
            DPORT_MASK => self.dport_mask = u16_of(s)?,
            SPI_MASK => self.spi_mask = u32_of(s, 0)?,
            SPORT => self.sport = u16_of(s)?,
            DPORT => self.dport = u16_of(s)?,
            SPI => self.spi = u32_of(s, 0)?,
            PROTO_MASK => self.proto_mask = u16_of(s)?,
            RND => self.hashrnd = u32_of(s, 0)?,
            MODULUS => self.modulus = u32_of(s, 1)?,
            OFFSET => self.offset = u32_of(s, 0)?,
            _ => bad_id()?,
        }
        self.flags |= HmarkFlags::from_bits_truncate(1 << args.id);
        Ok(())
    }
    fn finish(&mut self, seen: u64, _: &ExtCtx<'_>) -> Result<(), String> {
        // HMARK_check, then the option table's XTOPT_MAND.
        if seen & (1 << MODULUS) == 0 {
            return Err("--hmark-mod is mandatory".into());
        }
        if seen & (1 << RND) == 0 {
            return Err("--hmark-rnd is mandatory".into());
        }
        if self.flags.contains(HmarkFlags::SPI_MASK)
            && self
                .flags
                .intersects(HmarkFlags::SPORT_MASK | HmarkFlags::DPORT_MASK)
        {
            return Err(
                "you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time".into(),
            );
        }
        let pkt = HmarkFlags::SADDR_MASK
            | HmarkFlags::DADDR_MASK
            | HmarkFlags::SPI_MASK
            | HmarkFlags::SPORT_MASK
            | HmarkFlags::DPORT_MASK
            | HmarkFlags::PROTO_MASK
            | HmarkFlags::SPORT
            | HmarkFlags::DPORT
            | HmarkFlags::SPI;
        if !self.flags.intersects(pkt | HmarkFlags::CT) {
            return Err("you have to specify --hmark-tuple at least".into());
        }
        fcheck("HMARK", seen, &CONSTRAINTS)
    }
    fn check(&self, _: &CheckCtx) -> Result<(), String> {
        // hmark_tg_check
        if self.modulus == 0 {
            return Err("x_tables: HMARK: invalid hash modulus".into());
        }
        if self.proto_mask != 0 && self.flags.contains(HmarkFlags::METHOD_L3) {
            return Err("x_tables: HMARK: proto mask must be zero with L3 mode".into());
        }
        if self.flags.contains(HmarkFlags::SPI)
            && self.flags.intersects(HmarkFlags::SPORT | HmarkFlags::DPORT)
        {
            return Err("x_tables: HMARK: spi-set and port-set can't be combined".into());
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        let fam = self.family;
        if self.flags.contains(HmarkFlags::SADDR_MASK) {
            write!(
                f,
                " --hmark-src-prefix {}",
                mask_to_cidr(&self.src_mask, fam)
            )?;
        }
        if self.flags.contains(HmarkFlags::DADDR_MASK) {
            write!(
                f,
                " --hmark-dst-prefix {}",
                mask_to_cidr(&self.dst_mask, fam)
            )?;
        }
        let fl = self.flags;
        if fl.contains(HmarkFlags::SPORT_MASK) {
            write!(f, " --hmark-sport-mask {:#06x}", self.sport_mask)?;
        }
        if fl.contains(HmarkFlags::DPORT_MASK) {
            write!(f, " --hmark-dport-mask {:#06x}", self.dport_mask)?;
        }
        if fl.contains(HmarkFlags::SPI_MASK) {
            write!(f, " --hmark-spi-mask {:#010x}", self.spi_mask)?;
        }
        if fl.contains(HmarkFlags::SPORT) {
            write!(f, " --hmark-sport {:#06x}", self.sport)?;
        }
        if fl.contains(HmarkFlags::DPORT) {
            write!(f, " --hmark-dport {:#06x}", self.dport)?;
        }
        if fl.contains(HmarkFlags::SPI) {
            write!(f, " --hmark-spi {:#010x}", self.spi)?;
        }
        if fl.contains(HmarkFlags::PROTO_MASK) {
            write!(f, " --hmark-proto-mask {:#04x}", self.proto_mask)?;
        }
        if fl.contains(HmarkFlags::RND) {
            write!(f, " --hmark-rnd {:#010x}", self.hashrnd)?;
        }
        if fl.contains(HmarkFlags::MODULUS) {
            write!(f, " --hmark-mod {}", self.modulus)?;
        }
        if fl.contains(HmarkFlags::OFFSET) {
            write!(f, " --hmark-offset {}", self.offset)?;
        }
        if fl.contains(HmarkFlags::CT) {
            f.write_str(" --hmark-tuple ct")?;
        }
        Ok(())
    }
}
