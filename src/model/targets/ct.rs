//! `-j CT` and its alias `-j NOTRACK` (extensions/libxt_CT.c revision 2;
//! kernel net/netfilter/xt_CT.c `xt_ct_tg_check_v2`).

use core::fmt;

use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, ExtCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string, require_table, strtoui};
use crate::model::{Family, TableKind};

bitflags::bitflags! {
    /// `XT_CT_*` flags (include/uapi/linux/netfilter/xt_CT.h).
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*raw\n-A PREROUTING -j CT --notrack\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Raw).unwrap().chain("PREROUTING").unwrap().rules[0];
    /// use nfsim::model::targets::ct::CtFlags;
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Ct(c)) if c.flags.contains(CtFlags::NOTRACK)));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CtFlags: u16 {
        /// Do not track (`--notrack`, `NOTRACK`).
        const NOTRACK = 0x1;
        /// Loaded as `-j NOTRACK` (printed under that name).
        const NOTRACK_ALIAS = 0x2;
        /// The zone applies to the original direction only.
        const ZONE_DIR_ORIG = 0x4;
        /// The zone applies to the reply direction only.
        const ZONE_DIR_REPL = 0x8;
        /// The zone is taken from the packet mark.
        const ZONE_MARK = 0x10;
    }
}

/// `ct_event_tbl`: event names and their `IPCT_*` bit numbers.
pub const CT_EVENTS: [(&str, u8); 10] = [
    ("new", 0),
    ("related", 1),
    ("destroy", 2),
    ("reply", 3),
    ("assured", 4),
    ("protoinfo", 5),
    ("helper", 6),
    ("mark", 7),
    ("natseqinfo", 8),
    ("secmark", 9),
];

/// `exp_event_tbl`: expectation events (`IPEXP_NEW`).
pub const EXP_EVENTS: [(&str, u8); 1] = [("new", 0)];

/// Conntrack helpers the kernel registers: name, IPv4, IPv6, L4 protocols
/// (net/netfilter/nf_conntrack_{ftp,tftp,irc,sip,amanda,pptp,sane,
/// netbios_ns,snmp,h323_main}.c, net/ipv4/netfilter/nf_nat_snmp_basic_main.c).
const HELPERS: [(&str, bool, bool, &[u8]); 11] = [
    ("ftp", true, true, &[6]),
    ("tftp", true, true, &[17]),
    ("irc", true, false, &[6]),
    ("sip", true, true, &[6, 17]),
    ("amanda", true, true, &[17]),
    ("pptp", true, false, &[6]),
    ("sane", true, true, &[6]),
    ("netbios-ns", true, false, &[17]),
    ("snmp", true, false, &[17]),
    ("snmp_trap", true, false, &[17]),
    ("RAS", true, true, &[17]),
];

/// The timeout policies of a namespace as `-j CT --timeout` checks them
/// (`nfct add timeout`): name, family (`l3num`), layer-4 protocol.
pub type TimeoutObjects = [(Vec<u8>, Family, u8)];

/// `-j CT` (`struct xt_ct_target_info_v1`).
///
/// ```
/// use nfsim::model::targets::ct::{Ct, CtFlags};
/// let c = Ct { flags: CtFlags::NOTRACK, ..Ct::default() };
/// assert!(c.flags.contains(CtFlags::NOTRACK));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ct {
    /// Flags.
    pub flags: CtFlags,
    /// Helper name (`--helper`, at most 15 bytes), empty for none.
    pub helper: crate::model::ByteStr,
    /// Timeout policy name (`--timeout`, at most 31 bytes), empty for none.
    pub timeout: crate::model::ByteStr,
    /// Conntrack event mask (bit = `IPCT_*`).
    pub ct_events: u32,
    /// Expectation event mask (bit = `IPEXP_*`).
    pub exp_events: u32,
    /// Zone id.
    pub zone: u16,
}

ids!(NOTRACK, HELPER, TIMEOUT, CTEVENTS, EXPEVENTS, ZONE, ZONE_ORIG, ZONE_REPLY);

options! {
    OPTS =
    NOTRACK "notrack" flag, HELPER "helper" arg, TIMEOUT "timeout" arg, CTEVENTS "ctevents" arg,
    EXPEVENTS "expevents" arg, ZONE_ORIG "zone-orig" arg, ZONE_REPLY "zone-reply" arg,
    ZONE "zone" arg,
}

fn parse_events(tbl: &[(&str, u8)], s: &str) -> Result<u32, String> {
    let mut mask = 0u32;
    for t in s.split(',') {
        match tbl.iter().find(|(n, _)| *n == t) {
            Some((_, bit)) => mask |= 1 << bit,
            None => return Err(format!("Unknown event type \"{t}\"")),
        }
    }
    Ok(mask)
}

/// `ct_print_events` / `ct_save_events` (libxt_CT.c).
pub(crate) fn write_events(
    f: &mut dyn fmt::Write,
    pfx: &str,
    tbl: &[(&str, u8)],
    mask: u32,
) -> fmt::Result {
    write!(f, " {pfx} ")?;
    let mut sep = "";
    for (n, bit) in tbl {
        if mask & (1 << bit) != 0 {
            write!(f, "{sep}{n}")?;
            sep = ",";
        }
    }
    Ok(())
}

impl Ct {
    /// Whether nfsim evaluates this template: always (a `--timeout`
    /// policy must exist when the rule loads, see `check`). Zones
    /// (`--zone`, `--zone-orig`, `--zone-reply`, with a number or `mark`)
    /// are modelled. Any helper the kernel registers loads (the rule's protocol is
    /// checked at load): `ftp` and `tftp` run, the others report every
    /// packet of a connection they would see as unsupported
    /// (`conntrack::HelperKind::Unmodelled`). `--ctevents` / `--expevents`
    /// have no effect on the packet path.
    pub(crate) fn evaluable(&self) -> bool {
        true
    }
}

impl Extension for Ct {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn new_as(name: &str, _: &ExtCtx<'_>) -> Self {
        // notrack_ct2_tg_init
        let mut c = Ct::default();
        if name == "NOTRACK" {
            c.flags = CtFlags::NOTRACK | CtFlags::NOTRACK_ALIAS;
        }
        c
    }
    fn save_name(&self) -> Option<&'static str> {
        self.flags
            .contains(CtFlags::NOTRACK_ALIAS)
            .then_some("NOTRACK")
    }
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        let name = args.opt;
        if self.flags.contains(CtFlags::NOTRACK_ALIAS) {
            // NOTRACK declares no options of its own.
            return Err(format!("unknown option \"--{name}\""));
        }
        match args.id {
            NOTRACK => self.flags |= CtFlags::NOTRACK,
            HELPER => self.helper = put_string(args.required_bytes("CT", name)?, 0, 0, 16)?,
            TIMEOUT => self.timeout = put_string(args.required_bytes("CT", name)?, 0, 0, 32)?,
            CTEVENTS => self.ct_events = parse_events(&CT_EVENTS, args.required("CT", name)?)?,
            EXPEVENTS => self.exp_events = parse_events(&EXP_EVENTS, args.required("CT", name)?)?,
            ZONE | ZONE_ORIG | ZONE_REPLY => {
                // ct_parse_zone_id
                let s = args.required("CT", name)?;
                if args.id == ZONE_ORIG {
                    self.flags |= CtFlags::ZONE_DIR_ORIG;
                }
                if args.id == ZONE_REPLY {
                    self.flags |= CtFlags::ZONE_DIR_REPL;
                }
                self.zone = 0;
                if s.eq_ignore_ascii_case("mark") {
                    self.flags |= CtFlags::ZONE_MARK;
                } else {
                    self.zone = strtoui(s, 0, u16::MAX as u64)
                        .ok_or_else(|| format!("Cannot parse {s} as a zone ID"))?
                        as u16;
                }
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_CT.c: .table = "raw" for CT (all revisions) and NOTRACK.
        require_table(ctx, TableKind::Raw, self.save_name().unwrap_or("CT"))?;
        // xt_ct_tg_check: with --notrack nothing else is looked at.
        if self.flags.contains(CtFlags::NOTRACK) {
            return Ok(());
        }
        let l4 = if ctx.proto_inv { 0 } else { ctx.proto };
        if !self.helper.is_empty() {
            // xt_ct_set_helper: needs an L4 protocol, then a registered helper.
            if l4 == 0 {
                return Err(
                    "CT: You must specify a L4 protocol, and not use inversions on it.".into(),
                );
            }
            let known = HELPERS.iter().any(|(n, v4, v6, protos)| {
                self.helper == *n
                    && match ctx.family {
                        Family::Ipv4 => *v4,
                        Family::Ipv6 => *v6,
                    }
                    && protos.contains(&l4)
            }) || (self.helper == "Q.931" && l4 == 6);
            if !known {
                return Err(format!("CT: No such helper \"{}\"", self.helper));
            }
        }
        if !self.timeout.is_empty() {
            // xt_ct_set_timeout (xt_CT.c): an L4 protocol, then
            // nf_ct_set_timeout (nf_conntrack_timeout.c): the policy by name,
            // its l3num equal to the rule's family, its tracker the rule
            // protocol's (nf_ct_l4proto_find; an untracked protocol is the
            // generic tracker, which nfsim has no policies for). The texts
            // are the kernel's log lines; iptables-restore itself fails with
            // "No chain/target/match by that name" (ENOENT) or EINVAL.
            if l4 == 0 {
                return Err(
                    "CT: You must specify a L4 protocol and not use inversions on it".into(),
                );
            }
            let Some((_, fam, p)) = ctx.cttimeout.iter().find(|(n, _, _)| self.timeout == n[..])
            else {
                return Err(format!("CT: No such timeout policy \"{}\"", self.timeout));
            };
            if *fam != ctx.family {
                return Err(format!(
                    "CT: Timeout policy `{}' can only be used by L3 protocol number {}",
                    self.timeout,
                    match fam {
                        Family::Ipv4 => 2,
                        Family::Ipv6 => 10,
                    }
                ));
            }
            // nf_ct_l4proto_find: udplite, dccp, sctp, gre... have their
            // own trackers; any protocol nfsim has no policy kind for is
            // refused at policy creation, so only these compare here.
            if *p != l4 {
                return Err(format!(
                    "CT: Timeout policy `{}' can only be used by L4 protocol number {}",
                    self.timeout, p
                ));
            }
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        // ct_save_v1
        if self.flags.contains(CtFlags::NOTRACK_ALIAS) {
            return Ok(());
        }
        if self.flags.contains(CtFlags::NOTRACK) {
            f.write_str(" --notrack")?;
        }
        if !self.helper.is_empty() {
            f.write_str(" --helper ")?;
            f.write_bytes(&self.helper);
        }
        if !self.timeout.is_empty() {
            f.write_str(" --timeout ")?;
            f.write_bytes(&self.timeout);
        }
        if self.ct_events != 0 {
            write_events(f, "--ctevents", &CT_EVENTS, self.ct_events)?;
        }
        if self.exp_events != 0 {
            write_events(f, "--expevents", &EXP_EVENTS, self.exp_events)?;
        }
        if self.flags.contains(CtFlags::ZONE_MARK) || self.zone != 0 {
            f.write_str(" --zone")?;
            let dir = self.flags & (CtFlags::ZONE_DIR_ORIG | CtFlags::ZONE_DIR_REPL);
            if dir == CtFlags::ZONE_DIR_ORIG {
                f.write_str("-orig")?;
            }
            if dir == CtFlags::ZONE_DIR_REPL {
                f.write_str("-reply")?;
            }
            if self.flags.contains(CtFlags::ZONE_MARK) {
                f.write_str(" mark")?;
            } else {
                write!(f, " {}", self.zone)?;
            }
        }
        Ok(())
    }
}
