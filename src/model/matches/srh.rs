//! `-m srh` revision 1 (net/ipv6/netfilter/ip6t_srh.c `srh1_mt6`,
//! extensions/libip6t_srh.c).

use core::fmt;
use std::net::Ipv6Addr;

use crate::model::ext::options;
use crate::model::ext::{prefix_mask, Args, Extension, OptSpec};
use crate::model::opt::{bad_id, strtoui, uint, write_inv};
use crate::model::text::addr::{ipv6_ntop, parse_ipv6};

/// A one-byte SRH field with its `-eq`/`-gt`/`-lt` tests. The kernel keeps
/// one value per field, shared by the three tests (the last option given
/// sets it); each test is `Some(invert)` when requested.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m srh --srh-segs-left-gt 1\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv6)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Srh(s) if s.segs_left.value == 1 && s.segs_left.gt == Some(false)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SrhCmp {
    /// Value compared with.
    pub value: u8,
    /// `--srh-*-eq`
    pub eq: Option<bool>,
    /// `--srh-*-gt`
    pub gt: Option<bool>,
    /// `--srh-*-lt`
    pub lt: Option<bool>,
}

/// A segment-ID test: address as given (not masked: the kernel masks the
/// packet's address only) and prefix length, with the invert flag.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -m srh --srh-psid 2001:db8::/32\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv6)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Srh(s) if s.psid.is_some_and(|t| t.plen == 32 && !t.invert)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SidTest {
    /// Address.
    pub addr: Ipv6Addr,
    /// Prefix length (0..=128).
    pub plen: u8,
    /// `!`
    pub invert: bool,
}

impl SidTest {
    /// The mask bytes.
    ///
    /// ```
    /// use nfsim::model::matches::srh::SidTest;
    /// let t = SidTest { addr: "2001:db8::".parse().unwrap(), plen: 20, invert: false };
    /// assert_eq!(t.mask()[..3], [0xff, 0xff, 0xf0]);
    /// ```
    pub fn mask(&self) -> [u8; 16] {
        prefix_mask(self.plen)
    }
}

/// `-m srh`: IPv6 segment routing header fields (`struct ip6t_srh1`).
///
/// ```
/// use nfsim::model::matches::srh::Srh;
/// assert!(Srh::default().next_hdr.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Srh {
    /// `--srh-next-hdr N` with its invert flag.
    pub next_hdr: Option<(u8, bool)>,
    /// Header length tests.
    pub hdr_len: SrhCmp,
    /// Segments-left tests.
    pub segs_left: SrhCmp,
    /// Last-entry tests.
    pub last_entry: SrhCmp,
    /// `--srh-tag N` with its invert flag.
    pub tag: Option<(u16, bool)>,
    /// `--srh-psid`: previous segment ID.
    pub psid: Option<SidTest>,
    /// `--srh-nsid`: next segment ID.
    pub nsid: Option<SidTest>,
    /// `--srh-lsid`: last segment ID.
    pub lsid: Option<SidTest>,
}

options! {
    OPTS =
    0 "srh-next-hdr" arg inv, 1 "srh-hdr-len-eq" arg inv, 2 "srh-hdr-len-gt" arg inv,
    3 "srh-hdr-len-lt" arg inv, 4 "srh-segs-left-eq" arg inv, 5 "srh-segs-left-gt" arg inv,
    6 "srh-segs-left-lt" arg inv, 7 "srh-last-entry-eq" arg inv, 8 "srh-last-entry-gt" arg inv,
    9 "srh-last-entry-lt" arg inv, 10 "srh-tag" arg inv, 11 "srh-psid" arg inv,
    12 "srh-nsid" arg inv, 13 "srh-lsid" arg inv,
}

/// `XTTYPE_HOSTMASK` for IPv6, numeric hosts only: `ADDR[/PLEN]` where
/// PLEN is 0..=128 or a contiguous mask in address form.
fn parse_sid(s: &str, invert: bool) -> Result<SidTest, String> {
    let (host, plen) = match s.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let addr = parse_ipv6(host).ok_or_else(|| {
        format!("nfsim: host name lookup is not supported: `{host}' is not a numeric IPv6 address")
    })?;
    let plen = match plen {
        None => 128,
        Some(p) => match strtoui(p, 0, 128) {
            Some(v) => v as u8,
            None => {
                let m = parse_ipv6(p).ok_or_else(|| {
                    "srh: bad value for option \"--srh-*sid\", neither a valid network mask nor valid CIDR (0-128).".to_string()
                })?;
                let bits: u32 = m.iter().map(|b| b.count_ones()).sum();
                if prefix_mask(bits as u8) != m {
                    return Err(format!("nfsim: non-contiguous mask `{p}' is not supported"));
                }
                bits as u8
            }
        },
    };
    Ok(SidTest {
        addr: Ipv6Addr::from(addr),
        plen,
        invert,
    })
}

impl Extension for Srh {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        let s = args.required("srh", name)?;
        match args.id {
            0 => self.next_hdr = Some((uint("srh", name, s, 0, 255)? as u8, args.invert)),
            1..=9 => {
                let v = uint("srh", name, s, 0, 255)? as u8;
                let field = match (args.id - 1) / 3 {
                    0 => &mut self.hdr_len,
                    1 => &mut self.segs_left,
                    _ => &mut self.last_entry,
                };
                field.value = v;
                match (args.id - 1) % 3 {
                    0 => field.eq = Some(args.invert),
                    1 => field.gt = Some(args.invert),
                    _ => field.lt = Some(args.invert),
                }
            }
            10 => self.tag = Some((uint("srh", name, s, 0, 0xffff)? as u16, args.invert)),
            11 => self.psid = Some(parse_sid(s, args.invert)?),
            12 => self.nsid = Some(parse_sid(s, args.invert)?),
            13 => self.lsid = Some(parse_sid(s, args.invert)?),
            _ => return bad_id(),
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // libip6t_srh.c srh1_save
        if let Some((v, inv)) = self.next_hdr {
            write_inv(f, inv)?;
            write!(f, " --srh-next-hdr {v}")?;
        }
        for (name, c) in [
            ("hdr-len", &self.hdr_len),
            ("segs-left", &self.segs_left),
            ("last-entry", &self.last_entry),
        ] {
            for (op, t) in [("eq", c.eq), ("gt", c.gt), ("lt", c.lt)] {
                if let Some(inv) = t {
                    write_inv(f, inv)?;
                    write!(f, " --srh-{name}-{op} {}", c.value)?;
                }
            }
        }
        if let Some((v, inv)) = self.tag {
            write_inv(f, inv)?;
            write!(f, " --srh-tag {v}")?;
        }
        for (name, t) in [
            ("psid", &self.psid),
            ("nsid", &self.nsid),
            ("lsid", &self.lsid),
        ] {
            if let Some(t) = t {
                write_inv(f, t.invert)?;
                write!(
                    f,
                    " --srh-{name} {}/{}",
                    ipv6_ntop(&t.addr.octets()),
                    t.plen
                )?;
            }
        }
        Ok(())
    }
}
