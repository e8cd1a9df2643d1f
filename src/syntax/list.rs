//! What `iptables -L` and `iptables -S` print (iptables 1.8, legacy):
//! `list_entries`, `print_header`, `print_firewall`, `print_rule_details`,
//! `print_ifaces`, `print_ipv4_addresses` (iptables/iptables.c,
//! ip6tables.c, xshared.c), `xtables_print_num` (libxtables/xtables.c),
//! and each extension's `print` callback (`extensions/libxt_*.c`), which
//! differs from its `save`; `-S` is `list_rules` with `print_rule4`
//! (the iptables-save line, [`super::save::write_rule`]).
//!
//! Only numeric listings (`-n`) are printed: without it iptables resolves
//! addresses, ports, protocols and users through the machine's name
//! services, which a model cannot reproduce. An extension whose `print`
//! is not written here is an error ([`ListError::NoPrinter`]), never a
//! guessed line.

use core::fmt::{self, Write as _};

use super::save::{write_rule, write_verdict};
use super::SaveOptions;
use crate::model::ext::SaveBuf;
use crate::model::matches::Match;
use crate::model::targets::Target;
use crate::model::{AddrMask, Chain, Family, Rule, Table, Verdict};

/// The flags of an `-L` listing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions {
    /// `-v`: counters and interfaces.
    pub verbose: bool,
    /// `-x`: exact counters instead of K/M/G.
    pub exact: bool,
    /// `--line-numbers`.
    pub line_numbers: bool,
    /// `-L CHAIN N`: only rule N (1-based), without the chain header.
    pub rulenum: Option<usize>,
}

/// Why a listing cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// The chain named does not exist (iptables: `No chain/target/match by
    /// that name.`, exit status 1).
    NoChain,
    /// An extension of the ruleset whose `-L` text nfsim does not print.
    NoPrinter(String),
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::NoChain => f.write_str("No chain/target/match by that name."),
            ListError::NoPrinter(what) => write!(
                f,
                "nfsim cannot print {what} the way `iptables -L` does (its `print` callback is not modelled); `-S` prints it"
            ),
        }
    }
}

impl std::error::Error for ListError {}

/// `iptables -S [CHAIN [N]]` (`list_rules`): `-P`/`-N` lines, then each
/// rule as iptables-save prints it; with `counters` (`-v`) the `-c P B`
/// forms; with `rulenum` only that rule (nothing when there is no such
/// rule, as iptables).
///
/// # Errors
/// [`ListError::NoChain`] when `chain` is not in the table.
pub fn list_rules(
    t: &Table,
    chain: Option<&[u8]>,
    counters: bool,
    rulenum: Option<usize>,
) -> Result<Vec<u8>, ListError> {
    let mut f = SaveBuf::default();
    let chains = selected(t, chain)?;
    for c in chains.iter().filter(|_| rulenum.is_none()) {
        match c.policy {
            Some(p) => {
                f.write_str("-P ").ok();
                f.write_bytes(c.name.as_bytes());
                write!(f, " {}", p.name()).ok();
                if counters {
                    write!(f, " -c {} {}", c.counters.packets, c.counters.bytes).ok();
                }
                f.write_char('\n').ok();
            }
            None => {
                f.write_str("-N ").ok();
                f.write_bytes(c.name.as_bytes());
                f.write_char('\n').ok();
            }
        }
    }
    for c in &chains {
        for (n, r) in c.rules.iter().enumerate() {
            if rulenum.is_some_and(|k| k != n + 1) {
                continue;
            }
            let mut line = SaveBuf::default();
            write_rule(
                &mut line,
                t.family,
                c.name.as_bytes(),
                r,
                SaveOptions::default(),
            )
            .ok();
            let mut b = line.into_bytes();
            if counters {
                // print_rule4: " -c P B" after the matches, before the target.
                let mut tail = SaveBuf::default();
                write_verdict(&mut tail, &r.verdict).ok();
                let tail = tail.into_bytes();
                let at = b.len() - tail.len();
                let c = format!(" -c {} {}", r.counters.packets, r.counters.bytes);
                b.splice(at..at, c.bytes());
            }
            f.write_bytes(&b);
            f.write_char('\n').ok();
        }
    }
    Ok(f.into_bytes())
}

fn selected<'a>(t: &'a Table, chain: Option<&[u8]>) -> Result<Vec<&'a Chain>, ListError> {
    let v: Vec<&Chain> = t
        .chains
        .iter()
        .filter(|c| chain.is_none_or(|n| c.name.as_bytes() == n))
        .collect();
    if v.is_empty() {
        return Err(ListError::NoChain);
    }
    Ok(v)
}

/// `iptables -L -n [CHAIN]` with `opts` (`list_entries`).
///
/// ```
/// use nfsim::model::{Family, TableKind};
/// use nfsim::syntax::list::{list_numeric, list_rules, ListOptions};
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// let rs = parse_restore(
///     "*filter\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4),
/// )
/// .unwrap();
/// let t = rs.table(TableKind::Filter).unwrap();
/// let l = list_numeric(t, Some(b"INPUT"), ListOptions::default()).unwrap();
/// assert_eq!(
///     String::from_utf8(l).unwrap(),
///     "Chain INPUT (policy ACCEPT)\n\
///      target     prot opt source               destination         \n\
///      ACCEPT     6    --  0.0.0.0/0            0.0.0.0/0            tcp dpt:22\n"
/// );
/// let s = list_rules(t, Some(b"INPUT"), false, None).unwrap();
/// assert_eq!(s, b"-P INPUT ACCEPT\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
/// ```
///
/// # Errors
/// [`ListError::NoChain`] when `chain` is not in the table;
/// [`ListError::NoPrinter`] when a rule uses an extension whose `-L` text
/// is not modelled.
pub fn list_numeric(
    t: &Table,
    chain: Option<&[u8]>,
    opts: ListOptions,
) -> Result<Vec<u8>, ListError> {
    let mut f = SaveBuf::default();
    let chains = selected(t, chain)?;
    for (i, c) in chains.iter().enumerate() {
        if i > 0 {
            f.write_char('\n').ok();
        }
        if opts.rulenum.is_none() {
            header(&mut f, t, c, opts).ok();
        }
        for (n, r) in c.rules.iter().enumerate() {
            if opts.rulenum.is_some_and(|k| k != n + 1) {
                continue;
            }
            rule_line(&mut f, t.family, r, n + 1, opts)?;
        }
    }
    Ok(f.into_bytes())
}

/// `xtables_print_num`.
fn num(f: &mut SaveBuf, n: u64, opts: ListOptions) -> fmt::Result {
    if opts.exact {
        return write!(f, "{n:8} ");
    }
    if n <= 99999 {
        return write!(f, "{n:5} ");
    }
    // C unsigned arithmetic: `number + 500` wraps.
    let mut n = n.wrapping_add(500) / 1000;
    for unit in ['K', 'M', 'G'] {
        if n <= 9999 {
            return write!(f, "{n:4}{unit} ");
        }
        n = n.wrapping_add(500) / 1000;
    }
    write!(f, "{n:4}T ")
}

/// `print_header` for one chain.
fn header(f: &mut SaveBuf, t: &Table, c: &Chain, opts: ListOptions) -> fmt::Result {
    f.write_str("Chain ")?;
    f.write_bytes(c.name.as_bytes());
    match c.policy {
        Some(p) => {
            write!(f, " (policy {}", p.name())?;
            if opts.verbose {
                f.write_char(' ')?;
                // FMT_NOTABLE: no padding.
                num_notable(f, c.counters.packets, opts)?;
                f.write_str("packets, ")?;
                num_notable(f, c.counters.bytes, opts)?;
                f.write_str("bytes")?;
            }
            f.write_str(")\n")?;
        }
        None => {
            // iptc_get_references: the rules of the table that jump or go
            // to the chain.
            let refs = t
                .chains
                .iter()
                .flat_map(|c| &c.rules)
                .filter(|r| match &r.verdict {
                    Verdict::Jump(n) | Verdict::Goto(n) => n.as_bytes() == c.name.as_bytes(),
                    _ => false,
                })
                .count();
            writeln!(f, " ({refs} references)")?;
        }
    }
    if opts.line_numbers {
        write!(f, "{:<4} ", "num")?;
    }
    if opts.verbose {
        if opts.exact {
            write!(f, "{:>8} {:>10} ", "pkts", "bytes")?;
        } else {
            write!(f, "{:>5} {:>5} ", "pkts", "bytes")?;
        }
    }
    write!(f, "{:<9} ", "target")?;
    f.write_str(" prot opt")?;
    if opts.verbose {
        write!(f, " {:<6} {:<6} ", "in", "out")?;
    }
    write!(f, " {:<19} ", "source")?;
    write!(f, " {:<19} ", "destination")?;
    f.write_char('\n')
}

/// `xtables_print_num` with `FMT_NOTABLE`.
fn num_notable(f: &mut SaveBuf, n: u64, opts: ListOptions) -> fmt::Result {
    if opts.exact || n <= 99999 {
        return write!(f, "{n} ");
    }
    // C unsigned arithmetic: `number + 500` wraps.
    let mut n = n.wrapping_add(500) / 1000;
    for unit in ['K', 'M', 'G'] {
        if n <= 9999 {
            return write!(f, "{n}{unit} ");
        }
        n = n.wrapping_add(500) / 1000;
    }
    write!(f, "{n}T ")
}

/// The address column (`ipv4_addr_to_string` / `ipv6_addr_to_string`
/// with `FMT_NUMERIC`): the address and `xtables_ipmask_to_numeric`.
fn addr_text(family: Family, a: &Option<AddrMask>) -> String {
    let mut s = String::new();
    match a {
        None => s.push_str(match family {
            Family::Ipv4 => "0.0.0.0/0",
            Family::Ipv6 => "::/0",
        }),
        Some(a) => {
            let hm = crate::model::opt::HostMask {
                family,
                addr: a.addr,
                mask: a.mask,
            };
            let _ = write!(s, "{hm}");
        }
    }
    s
}

/// `print_firewall` for one rule, numeric.
fn rule_line(
    f: &mut SaveBuf,
    family: Family,
    r: &Rule,
    n: usize,
    opts: ListOptions,
) -> Result<(), ListError> {
    let mut line = SaveBuf::default();
    let l = &mut line;
    // The columns (print_rule_details, print_fragment, print_ifaces,
    // print_ipv4_addresses); writing to a SaveBuf cannot fail.
    (|| -> fmt::Result {
        if opts.line_numbers {
            write!(l, "{n:<4} ")?;
        }
        if opts.verbose {
            num(l, r.counters.packets, opts)?;
            num(l, r.counters.bytes, opts)?;
        }
        // The target column: iptc_get_target's name.
        let mut tname = SaveBuf::default();
        match &r.verdict {
            Verdict::Continue => {}
            Verdict::Accept => tname.write_str("ACCEPT")?,
            Verdict::Drop => tname.write_str("DROP")?,
            Verdict::Return => tname.write_str("RETURN")?,
            Verdict::Queue => tname.write_str("QUEUE")?,
            Verdict::Jump(c) | Verdict::Goto(c) => tname.write_bytes(c.as_bytes()),
            // The kernel's name: `-j NOTRACK` is the CT target.
            Verdict::Ext(Target::Ct(_)) => tname.write_str("CT")?,
            Verdict::Ext(t) => tname.write_str(t.name())?,
        }
        let tb = tname.into_bytes();
        l.write_bytes(&tb);
        for _ in tb.len()..9 {
            l.write_char(' ')?;
        }
        l.write_char(' ')?;
        l.write_char(if r.proto_inv { '!' } else { ' ' })?;
        // print_rule_details with FMT_NUMERIC: the protocol number.
        write!(l, "{:<4} ", r.proto)?;
        // print_fragment: ip6tables always prints "--".
        match family {
            Family::Ipv4 => {
                l.write_char(if r.fragment == Some(true) { '!' } else { '-' })?;
                l.write_char(if r.fragment.is_some() { 'f' } else { '-' })?;
            }
            Family::Ipv6 => l.write_str("--")?,
        }
        l.write_char(' ')?;
        if opts.verbose {
            for (i, iface, inv) in [(0, &r.in_iface, r.in_inv), (1, &r.out_iface, r.out_inv)] {
                let mut s = SaveBuf::default();
                if inv {
                    s.write_char('!')?;
                }
                match iface {
                    Some(x) if !x.as_bytes().is_empty() => s.write_bytes(x.as_bytes()),
                    _ => s.write_char('*')?,
                }
                let b = s.into_bytes();
                if i == 0 {
                    l.write_char(' ')?;
                }
                l.write_bytes(&b);
                for _ in b.len()..6 {
                    l.write_char(' ')?;
                }
                l.write_char(' ')?;
            }
        }
        l.write_char(if r.src_inv { '!' } else { ' ' })?;
        write!(l, "{:<19} ", addr_text(family, &r.src))?;
        l.write_char(if r.dst_inv { '!' } else { ' ' })?;
        write!(l, "{:<19} ", addr_text(family, &r.dst))?;
        if matches!(r.verdict, Verdict::Goto(_)) {
            l.write_str("[goto] ")?;
        }
        Ok(())
    })()
    .ok();
    for m in &r.matches {
        print_match(l, family, m)?;
    }
    if let Verdict::Ext(t) = &r.verdict {
        print_target(l, t)?;
    }
    l.write_char('\n').ok();
    f.write_bytes(line.as_bytes());
    Ok(())
}

fn no_printer_match(m: &Match) -> ListError {
    ListError::NoPrinter(format!("`-m {}`", m.name()))
}

fn no_printer_target(t: &Target) -> ListError {
    ListError::NoPrinter(format!("`-j {}`", t.name()))
}

fn inv(f: &mut SaveBuf, i: bool) -> fmt::Result {
    if i {
        f.write_str(" !")?;
    }
    Ok(())
}

/// `print_ports` of libxt_tcp.c / libxt_udp.c / libxt_sctp.c, numeric.
fn ports(f: &mut SaveBuf, name: &str, (lo, hi): (u16, u16), invert: bool) -> fmt::Result {
    if lo == 0 && hi == 0xffff && !invert {
        return Ok(());
    }
    let i = if invert { "!" } else { "" };
    if lo == hi {
        write!(f, " {name}:{i}{lo}")
    } else {
        write!(f, " {name}s:{i}{lo}:{hi}")
    }
}

/// One match's `print` callback with `numeric` set.
/// Writes to a SaveBuf cannot fail: the closures below return `fmt::Error`
/// only to say "no printer for this extension (or this use of it)".
fn print_match(f: &mut SaveBuf, family: Family, m: &Match) -> Result<(), ListError> {
    use crate::model::matches as mm;
    let res: fmt::Result = (|| match m {
        Match::Tcp(t) => {
            // libxt_tcp.c tcp_print
            f.write_str(" tcp")?;
            ports(f, "spt", t.sports, t.sports_inv)?;
            ports(f, "dpt", t.dports, t.dports_inv)?;
            if t.option != 0 || t.option_inv {
                write!(
                    f,
                    " option={}{}",
                    if t.option_inv { "!" } else { "" },
                    t.option
                )?;
            }
            if t.flg_mask != 0 || t.flags_inv {
                write!(
                    f,
                    " flags:{}0x{:02X}/0x{:02X}",
                    if t.flags_inv { "!" } else { "" },
                    t.flg_mask,
                    t.flg_cmp
                )?;
            }
            Ok(())
        }
        Match::Udp(u) => {
            // libxt_udp.c udp_print
            f.write_str(" udp")?;
            ports(f, "spt", u.sports, u.sports_inv)?;
            ports(f, "dpt", u.dports, u.dports_inv)
        }
        Match::Multiport(mp) => {
            // libxt_multiport.c __multiport_print_v1
            f.write_str(" multiport ")?;
            f.write_str(match mp.dir {
                mm::multiport::MultiportDir::Source => "sports ",
                mm::multiport::MultiportDir::Destination => "dports ",
                mm::multiport::MultiportDir::Either => "ports ",
            })?;
            if mp.invert {
                f.write_str(" !")?;
            }
            for (i, (lo, hi)) in mp.ports.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write!(f, "{lo}")?;
                if lo != hi {
                    write!(f, ":{hi}")?;
                }
            }
            Ok(())
        }
        Match::State(s) => {
            // libxt_conntrack.c state_print (the state match is loaded as
            // revision 0 of `state`).
            inv(f, s.invert)?;
            f.write_str(" state")?;
            s.states.write(f)
        }
        Match::Conntrack(c) => {
            // conntrack_dump with prefix "": the save text without "--".
            let mut s = SaveBuf::default();
            use crate::model::ext::Extension as _;
            c.save(&mut s)?;
            let b = s.into_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i..].starts_with(b" --") {
                    f.write_char(' ')?;
                    i += 3;
                } else {
                    f.write_bytes(&b[i..=i]);
                    i += 1;
                }
            }
            Ok(())
        }
        Match::Comment(c) => {
            // libxt_comment.c comment_print
            f.write_str(" /* ")?;
            f.write_bytes(c.text.as_bytes());
            f.write_str(" */")
        }
        Match::Icmp(i) => {
            // libipt_icmp.c icmp_print / print_icmptype, numeric.
            f.write_str(" icmp")?;
            icmp_type(f, i.icmp_type, i.codes, i.invert)
        }
        Match::Icmp6(i) => {
            f.write_str(" ipv6-icmp")?;
            icmp_type(f, i.icmp_type, i.codes, i.invert)
        }
        Match::Mac(m) => {
            // libxt_mac.c mac_print, xtables_print_mac
            f.write_str(" MAC ")?;
            if m.invert {
                f.write_str("! ")?;
            }
            let a = &m.src;
            write!(
                f,
                "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
                a[0], a[1], a[2], a[3], a[4], a[5]
            )
        }
        Match::Addrtype(a) => {
            // libxt_addrtype.c addrtype_print_v1
            f.write_str(" ADDRTYPE match")?;
            if a.src != 0 {
                f.write_str(" src-type ")?;
                if a.src_inv {
                    f.write_char('!')?;
                }
                mm::addrtype::write_types(f, a.src)?;
            }
            if a.dst != 0 {
                f.write_str(" dst-type ")?;
                if a.dst_inv {
                    f.write_char('!')?;
                }
                mm::addrtype::write_types(f, a.dst)?;
            }
            if a.limit_in {
                f.write_str(" limit-in")?;
            }
            if a.limit_out {
                f.write_str(" limit-out")?;
            }
            Ok(())
        }
        Match::Limit(l) => {
            // libxt_limit.c limit_print
            f.write_str(" limit: avg")?;
            mm::limit::Limit::write_rate(f, l.avg)?;
            write!(f, " burst {}", l.burst)
        }
        Match::Mark(m) => {
            // libxt_mark.c mark_mt_print, xtables_print_mark_mask
            f.write_str(" mark match")?;
            inv(f, m.invert)?;
            mark_mask(f, m.mark.value, m.mark.mask)
        }
        Match::PktType(p) => {
            // libxt_pkttype.c pkttype_print
            write!(
                f,
                " PKTTYPE {}= {}",
                if p.invert { "!" } else { "" },
                mm::pkttype::type_name(p.pkttype)
            )
        }
        Match::Iprange(ir) => {
            // libxt_iprange.c iprange_mt4_print / iprange_mt6_print
            for (label, x) in [("source", &ir.src), ("destination", &ir.dst)] {
                if let Some(x) = x {
                    write!(f, " {label} IP range")?;
                    inv(f, x.invert)?;
                    f.write_char(' ')?;
                    crate::model::opt::write_addr(f, ir.family, &x.value.min)?;
                    f.write_char('-')?;
                    crate::model::opt::write_addr(f, ir.family, &x.value.max)?;
                }
            }
            Ok(())
        }
        Match::Recent(rc) => {
            // libxt_recent.c recent_print
            inv(f, rc.invert)?;
            f.write_str(" recent:")?;
            f.write_str(match rc.op {
                Some(mm::recent::RecentOp::Set) => " SET",
                Some(mm::recent::RecentOp::Rcheck) => " CHECK",
                Some(mm::recent::RecentOp::Update) => " UPDATE",
                Some(mm::recent::RecentOp::Remove) => " REMOVE",
                None => "",
            })?;
            if rc.seconds != 0 {
                write!(f, " seconds: {}", rc.seconds)?;
            }
            if rc.reap {
                f.write_str(" reap")?;
            }
            if rc.hit_count != 0 {
                write!(f, " hit_count: {}", rc.hit_count)?;
            }
            if rc.rttl {
                f.write_str(" TTL-Match")?;
            }
            f.write_str(" name: ")?;
            f.write_bytes(rc.name.as_bytes());
            f.write_str(if rc.rdest {
                " side: dest"
            } else {
                " side: source"
            })?;
            f.write_str(" mask: ")?;
            crate::model::opt::write_addr(f, rc.family, &rc.mask)
        }
        Match::Hl(h) => {
            // libip6t_hl.c hl_print
            use mm::ttl::HlMode;
            let op = match h.mode {
                HlMode::Eq => "==",
                HlMode::Ne => "!=",
                HlMode::Lt => "<",
                HlMode::Gt => ">",
            };
            write!(f, " HL match HL {op} {}", h.hop_limit)
        }
        Match::Owner(o) => {
            // libxt_owner.c owner_mt_print, numeric.
            if let Some(i) = o.socket_exists {
                inv(f, i)?;
                f.write_str(" owner socket exists")?;
            }
            for (label, x) in [("owner UID match", &o.uid), ("owner GID match", &o.gid)] {
                if let Some(x) = x {
                    inv(f, x.invert)?;
                    write!(f, " {label}")?;
                    let (lo, hi) = x.value;
                    if lo != hi {
                        write!(f, " {lo}-{hi}")?;
                    } else {
                        write!(f, " {lo}")?;
                    }
                }
            }
            if o.suppl_groups {
                f.write_str(" incl. suppl. groups")?;
            }
            Ok(())
        }
        Match::Tos(t) => {
            // libxt_tos.c tos_mt_print, numeric.
            write!(
                f,
                " tos match{}0x{:02x}/0x{:02x}",
                if t.invert { "!" } else { "" },
                t.value,
                t.mask
            )
        }
        Match::Length(l) => {
            // libxt_length.c length_print
            write!(f, " length {}", if l.invert { "!" } else { "" })?;
            range_colon(f, u64::from(l.min), u64::from(l.max))
        }
        Match::TcpMss(m) => {
            // libxt_tcpmss.c tcpmss_print
            write!(f, " tcpmss match {}", if m.invert { "!" } else { "" })?;
            range_colon(f, u64::from(m.mss_min), u64::from(m.mss_max))
        }
        Match::Statistic(st) => {
            // libxt_statistic.c statistic_print, print_match(info, "").
            use mm::statistic::StatisticMode;
            let inv = if st.invert { " !" } else { "" };
            match st.mode {
                StatisticMode::Random { probability } => write!(
                    f,
                    " statistic mode random{inv} probability {:.11}",
                    f64::from(probability) / 2147483648.0
                ),
                StatisticMode::Nth { every, packet, .. } => {
                    write!(f, " statistic mode nth{inv} every {}", u64::from(every) + 1)?;
                    if packet != 0 {
                        write!(f, " packet {packet}")?;
                    }
                    Ok(())
                }
            }
        }
        Match::Quota(q) => {
            // libxt_quota.c quota_print (the invert flag is not printed).
            write!(f, " quota: {} bytes", q.quota)
        }
        Match::Helper(h) => {
            // libxt_helper.c helper_print
            write!(f, " helper match {}\"", if h.invert { "! " } else { "" })?;
            f.write_bytes(h.name.as_bytes());
            f.write_char('"')
        }
        Match::Ecn(e) => {
            // libxt_ecn.c ecn_print
            f.write_str(" ECN match")?;
            if let Some(i) = e.ece {
                write!(f, " {}ECE", if i { "!" } else { "" })?;
            }
            if let Some(i) = e.cwr {
                write!(f, " {}CWR", if i { "!" } else { "" })?;
            }
            if let Some((v, i)) = e.ip_ect {
                write!(f, " {}ECT={v}", if i { "!" } else { "" })?;
            }
            Ok(())
        }
        Match::Dscp(d) => {
            // libxt_dscp.c dscp_print
            write!(
                f,
                " DSCP match {}0x{:02x}",
                if d.invert { "!" } else { "" },
                d.dscp
            )
        }
        Match::Connmark(c) => {
            // libxt_connmark.c connmark_mt_print
            f.write_str(" connmark match ")?;
            if c.invert {
                f.write_char('!')?;
            }
            mark_mask(f, c.mark.value, c.mark.mask)
        }
        Match::Connbytes(c) => {
            // libxt_connbytes.c connbytes_print: print_from_to(""),
            // print_mode, print_direction.
            use mm::connbytes::{Direction, What};
            let (from, to) = if c.from > c.to {
                f.write_str(" !")?;
                (c.to, c.from)
            } else {
                (c.from, c.to)
            };
            write!(f, " connbytes {from}")?;
            if to != 0 && to < u64::MAX {
                write!(f, ":{to}")?;
            }
            f.write_str(" connbytes mode")?;
            f.write_str(match c.what {
                What::Packets => " packets",
                What::Bytes => " bytes",
                What::AvgPkt => " avgpkt",
            })?;
            f.write_str(" connbytes direction")?;
            f.write_str(match c.direction {
                Direction::Original => " original",
                Direction::Reply => " reply",
                Direction::Both => " both",
            })
        }
        Match::Ttl(t) => {
            // libipt_ttl.c ttl_print
            use mm::ttl::HlMode;
            let op = match t.mode {
                HlMode::Eq => "==",
                HlMode::Ne => "!=",
                HlMode::Lt => "<",
                HlMode::Gt => ">",
            };
            write!(f, " TTL match TTL {op} {}", t.ttl)
        }
        Match::Cpu(c) => {
            // libxt_cpu.c cpu_print
            write!(f, " cpu {}{}", if c.invert { "! " } else { "" }, c.cpu)
        }
        Match::Socket(so) => {
            // libxt_socket.c socket_mt_print_v3: " socket" and the save text.
            f.write_str(" socket")?;
            use crate::model::ext::Extension as _;
            so.save(f)
        }
        Match::Esp(e) => {
            // libxt_esp.c esp_print
            f.write_str(" esp")?;
            spis(f, " spi", e.spis, e.invert)
        }
        Match::Ah(a) => {
            // libipt_ah.c / libip6t_ah.c ah_print: " ah " then the SPIs
            // without a space; IPv6 adds the length (also without one).
            f.write_str(" ah ")?;
            spis(f, "spi", a.spis, a.spis_inv)?;
            if family == Family::Ipv6 {
                if a.hdrlen != 0 || a.hdrlen_inv {
                    write!(
                        f,
                        "length:{}{}",
                        if a.hdrlen_inv { "!" } else { "" },
                        a.hdrlen
                    )?;
                }
                if a.hdrres {
                    f.write_str(" reserved")?;
                }
            }
            Ok(())
        }
        Match::Ipcomp(c) => {
            // libxt_ipcomp.c comp_print
            f.write_str(" comp ")?;
            spis(f, "spi", c.spis, c.invert)?;
            if c.hdrres {
                f.write_str(" reserved")?;
            }
            Ok(())
        }
        Match::Frag(fr) => {
            // libip6t_frag.c frag_print
            f.write_str(" frag ")?;
            spis(f, "id", fr.ids, fr.ids_inv)?;
            if let Some((l, i)) = fr.hdrlen {
                write!(f, " length:{}{l}", if i { "!" } else { "" })?;
            }
            for (on, w) in [
                (fr.res, " reserved"),
                (fr.first, " first"),
                (fr.more, " more"),
                (fr.last, " last"),
            ] {
                if on {
                    f.write_str(w)?;
                }
            }
            Ok(())
        }
        Match::Rt(rt) => {
            // libip6t_rt.c rt_print
            f.write_str(" rt")?;
            if let Some((t, i)) = rt.rt_type {
                write!(f, " type:{}{t}", if i { "!" } else { "" })?;
            }
            spis(f, " segsleft", rt.segsleft, rt.segsleft_inv)?;
            if let Some((l, i)) = rt.hdrlen {
                write!(f, " length:{}{l}", if i { "!" } else { "" })?;
            }
            if rt.res {
                f.write_str(" reserved")?;
            }
            if let Some(addrs) = &rt.addrs {
                f.write_str(" 0-addrs")?;
                for (i, a) in addrs.iter().enumerate() {
                    f.write_char(if i == 0 { ' ' } else { ',' })?;
                    crate::model::opt::write_addr(f, Family::Ipv6, &a.octets())?;
                }
            }
            if rt.not_strict {
                f.write_str(" 0-not-strict")?;
            }
            Ok(())
        }
        Match::Mh(m) => {
            // libip6t_mh.c mh_print, print_types numeric.
            f.write_str(" mh")?;
            let (lo, hi) = m.types;
            if lo == 0 && hi == 0xff && !m.invert {
                return Ok(());
            }
            write!(f, " {}{lo}", if m.invert { "!" } else { "" })?;
            if lo != hi {
                write!(f, ":{hi}")?;
            }
            Ok(())
        }
        Match::Hbh(o) => ext_hdr_opts(f, "hbh", &o.hdrlen, &o.opts),
        Match::Dst(o) => ext_hdr_opts(f, "dst", &o.hdrlen, &o.opts),
        Match::Ipv6Header(h) => {
            // libip6t_ipv6header.c ipv6header_print, numeric.
            f.write_str(" ipv6header")?;
            if h.matchflags != 0 || h.invert {
                write!(
                    f,
                    " flags:{}0x{:02X}",
                    if h.invert { "!" } else { "" },
                    h.matchflags
                )?;
            }
            if h.soft {
                f.write_str(" soft")?;
            }
            Ok(())
        }
        // libip6t_eui64.c has no print callback: print_match prints the
        // name and a space.
        Match::Eui64(_) => f.write_str("eui64 "),
        Match::StringMatch(st) => {
            // libxt_string.c string_print (revision 1).
            write!(f, " STRING match {}", if st.invert { "!" } else { "" })?;
            if mm::string::is_hex_string(&st.pattern) {
                f.write_str(" \"|")?;
                for b in &st.pattern {
                    write!(f, "{b:02x}")?;
                }
                f.write_str("|\"")?;
            } else {
                f.write_str(" \"")?;
                for &b in &st.pattern {
                    if b == b'"' || b == b'\\' {
                        f.write_char('\\')?;
                    }
                    f.write_bytes(&[b]);
                }
                f.write_char('"')?;
            }
            write!(
                f,
                " ALGO name {}",
                st.algo.map_or("", mm::string::Algo::name)
            )?;
            if st.from != 0 {
                write!(f, " FROM {}", st.from)?;
            }
            if st.to != u16::MAX {
                write!(f, " TO {}", st.to)?;
            }
            if st.icase {
                f.write_str(" ICASE")?;
            }
            Ok(())
        }
        Match::Time(t) => {
            // libxt_time.c time_print
            use mm::time::{ALL_MONTHDAYS, ALL_WEEKDAYS, MAX_DAYTIME, WEEK_DAYS};
            f.write_str(" TIME")?;
            if t.daytime_start != 0 || t.daytime_stop != MAX_DAYTIME {
                for (w, v) in [("from", t.daytime_start), ("to", t.daytime_stop)] {
                    write!(f, " {w} {:02}:{:02}:{:02}", v / 3600, v / 60 % 60, v % 60)?;
                }
            }
            if t.weekdays != ALL_WEEKDAYS {
                f.write_str(" on ")?;
                let mut n = 0;
                for (i, name) in WEEK_DAYS.iter().enumerate().skip(1) {
                    if t.weekdays & (1 << i) != 0 {
                        if n > 0 {
                            f.write_char(',')?;
                        }
                        f.write_str(name)?;
                        n += 1;
                    }
                }
            }
            if t.monthdays != ALL_MONTHDAYS {
                f.write_str(" on ")?;
                let mut n = 0;
                for i in 1..=31u32 {
                    if t.monthdays & (1 << i) != 0 {
                        if n > 0 {
                            f.write_char(',')?;
                        }
                        n += 1;
                        let sfx = match i % 10 {
                            1 => "st",
                            2 => "nd",
                            3 => "rd",
                            _ => "th",
                        };
                        write!(f, "{i}{sfx}")?;
                    }
                }
            }
            // time_print_date: nothing for 0.
            let date = |f: &mut SaveBuf, d: u32| -> fmt::Result {
                if d == 0 {
                    return Ok(());
                }
                let (y, mo, da, h, mi, se) = mm::time::civil_from_secs(i64::from(d));
                write!(f, " {y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{se:02}")
            };
            if t.date_start != 0 {
                f.write_str(" starting from")?;
                date(f, t.date_start)?;
            }
            if t.date_stop != i32::MAX as u32 {
                f.write_str(" until date")?;
                date(f, t.date_stop)?;
            }
            if !t.local_tz {
                f.write_str(" UTC")?;
            }
            if t.contiguous {
                f.write_str(" contiguous")?;
            }
            Ok(())
        }
        Match::U32(u) => {
            // libxt_u32.c u32_print: u32_dump, the text save prints after
            // " --u32".
            f.write_str(" u32")?;
            inv(f, u.invert)?;
            let mut plain = u.clone();
            plain.invert = false;
            let mut b = SaveBuf::default();
            use crate::model::ext::Extension as _;
            plain.save(&mut b)?;
            let b = b.into_bytes();
            f.write_bytes(b.strip_prefix(b" --u32").ok_or(fmt::Error)?);
            Ok(())
        }
        Match::Dccp(d) => {
            // libxt_dccp.c dccp_print, numeric.
            f.write_str(" dccp")?;
            if let Some((p, i)) = d.sports {
                ports(f, "spt", p, i)?;
            }
            if let Some((p, i)) = d.dports {
                ports(f, "dpt", p, i)?;
            }
            if let Some((types, i)) = d.types {
                inv(f, i)?;
                f.write_char(' ')?;
                let mut first = true;
                for b in 0..16 {
                    if types & (1 << b) != 0 {
                        if !first {
                            f.write_char(',')?;
                        }
                        first = false;
                        write!(f, "{b}")?;
                    }
                }
            }
            if let Some((o, i)) = d.option {
                if o != 0 || i {
                    write!(f, " option={}{o}", if i { "!" } else { "" })?;
                }
            }
            Ok(())
        }
        Match::Connlabel(c) => {
            // libxt_connlabel.c connlabel_mt_print, numeric.
            f.write_str(" connlabel")?;
            inv(f, c.invert)?;
            write!(f, " {}", c.bit)?;
            if c.set {
                f.write_str(" set")?;
            }
            Ok(())
        }
        Match::Osf(o) => {
            // libxt_osf.c osf_print
            write!(
                f,
                " OS fingerprint match {}",
                if o.invert { "! " } else { "" }
            )?;
            f.write_bytes(o.genre.as_bytes());
            Ok(())
        }
        Match::Bpf(b) => {
            // libxt_bpf.c bpf_print: no leading space, and the program
            // ends with the NUL byte bpf_print_code prints as its tail.
            f.write_str("match bpf ")?;
            let n = b.program.len();
            for (i, p) in b.program.iter().enumerate() {
                write!(f, "{} {} {} {}", p.code, p.jt, p.jf, p.k)?;
                if i + 1 < n {
                    f.write_char(',')?;
                } else {
                    f.write_bytes(&[0]);
                }
            }
            Ok(())
        }
        Match::Cgroup(c) => {
            // libxt_cgroup.c cgroup_print_v2
            f.write_str(" cgroup")?;
            if let Some(p) = &c.path {
                write!(f, " {}", if c.invert_path { "! " } else { "" })?;
                f.write_bytes(p.as_bytes());
            }
            if let Some(id) = c.classid {
                write!(f, " {}{id}", if c.invert_classid { "! " } else { "" })?;
            }
            Ok(())
        }
        Match::Cluster(c) => {
            // libxt_cluster.c cluster_print
            write!(
                f,
                " cluster {}node_mask=0x{:08x} total_nodes={} hash_seed=0x{:08x}",
                if c.invert { "!" } else { "" },
                c.node_mask,
                c.total_nodes,
                c.hash_seed
            )
        }
        Match::Realm(r) => {
            // libipt_realm.c realm_print, numeric (xtables_print_val_mask).
            inv(f, r.invert)?;
            f.write_str(" realm")?;
            mark_mask(f, r.id, r.mask)
        }
        Match::Srh(sr) => {
            // libip6t_srh.c srh1_print
            let bang = |i: bool| if i { "!" } else { "" };
            f.write_str(" srh")?;
            if let Some((v, i)) = sr.next_hdr {
                write!(f, " next-hdr:{}{v}", bang(i))?;
            }
            for (name, c) in [
                ("hdr-len", &sr.hdr_len),
                ("segs-left", &sr.segs_left),
                ("last-entry", &sr.last_entry),
            ] {
                for (op, t) in [("eq", c.eq), ("gt", c.gt), ("lt", c.lt)] {
                    if let Some(i) = t {
                        write!(f, " {name}-{op}:{}{}", bang(i), c.value)?;
                    }
                }
            }
            if let Some((v, i)) = sr.tag {
                write!(f, " tag:{}{v}", bang(i))?;
            }
            for (name, t) in [("psid", &sr.psid), ("nsid", &sr.nsid), ("lsid", &sr.lsid)] {
                if let Some(t) = t {
                    write!(f, " {name} {} ", bang(t.invert))?;
                    crate::model::opt::write_addr(f, Family::Ipv6, &t.addr.octets())?;
                    write!(f, "/{}", t.plen)?;
                }
            }
            Ok(())
        }
        Match::Devgroup(d) => {
            // libxt_devgroup.c devgroup_show("", numeric)
            for (name, g) in [("src-group", &d.src), ("dst-group", &d.dst)] {
                if let Some(g) = g {
                    inv(f, g.invert)?;
                    write!(f, " {name}")?;
                    mark_mask(f, g.group, g.mask)?;
                }
            }
            Ok(())
        }
        Match::Connlimit(c) => {
            // libxt_connlimit.c connlimit_print4 / connlimit_print6
            // (count_bits of a prefix mask is its length).
            write!(
                f,
                " #conn {}/{} {} {}",
                if c.daddr { "dst" } else { "src" },
                c.mask_len,
                if c.upto { "<=" } else { ">" },
                c.limit
            )
        }
        Match::Physdev(p) => {
            // libxt_physdev.c physdev_print: the save options after a label.
            f.write_str(" PHYSDEV match")?;
            use crate::model::ext::Extension as _;
            p.save(f)
        }
        Match::Rpfilter(p) => {
            // libxt_rpfilter.c rpfilter_print, rpfilter_print_prefix("").
            f.write_str(" rpfilter")?;
            for (on, name) in [
                (p.loose, " loose"),
                (p.validmark, " validmark"),
                (p.accept_local, " accept-local"),
                (p.invert, " invert"),
            ] {
                if on {
                    f.write_str(name)?;
                }
            }
            Ok(())
        }
        Match::Sctp(s) => {
            // libxt_sctp.c sctp_print, numeric: chunk types as 0x%04X.
            f.write_str(" sctp")?;
            if let Some((p, i)) = s.sports {
                ports(f, "spt", p, i)?;
            }
            if let Some((p, i)) = s.dports {
                ports(f, "dpt", p, i)?;
            }
            if let Some(c) = &s.chunks {
                // Chunk types with flags are not yet compared with iptables.
                if !c.flags.is_empty() {
                    return Err(fmt::Error);
                }
                inv(f, c.invert)?;
                f.write_str(match c.match_type {
                    mm::sctp::ChunkMatch::Any => " any",
                    mm::sctp::ChunkMatch::All => " all",
                    mm::sctp::ChunkMatch::Only => " only",
                })?;
                if c.map == [0; 8] {
                    return f.write_str(" NONE");
                }
                if c.map == [u32::MAX; 8] {
                    return f.write_str(" ALL");
                }
                let mut first = true;
                for t in 0..=255u8 {
                    if c.has(t) {
                        f.write_str(if first { " " } else { "," })?;
                        first = false;
                        write!(f, "0x{t:04X}")?;
                    }
                }
            }
            Ok(())
        }
        Match::Hashlimit(h) => {
            // libxt_hashlimit.c hashlimit_mt_print, revision 3.
            use mm::hashlimit::{mode, Hashlimit};
            f.write_str(if h.mode & mode::INVERT != 0 {
                " limit: above"
            } else {
                " limit: up to"
            })?;
            let quantum = if h.mode & mode::BYTES != 0 {
                Hashlimit::write_bytes(f, h.avg, h.burst, "")?
            } else {
                let mut period = h.avg;
                if h.interval != 0 {
                    period = period.wrapping_mul(u64::from(h.interval));
                }
                let q = Hashlimit::write_rate(f, period)?;
                write!(f, " burst {}", h.burst)?;
                q
            };
            if h.mode & crate::model::matches::hashlimit::HASH_MODES != 0 {
                f.write_str(" mode ")?;
                Hashlimit::write_mode(f, h.mode, "-")?;
            }
            if h.size != 0 {
                write!(f, " htable-size {}", h.size)?;
            }
            if h.max != 0 {
                write!(f, " htable-max {}", h.max)?;
            }
            if h.gc_interval != mm::hashlimit::GCINTERVAL {
                write!(f, " htable-gcinterval {}", h.gc_interval)?;
            }
            if h.expire != quantum {
                write!(f, " htable-expire {}", h.expire)?;
            }
            let d = family.max_prefix();
            if h.srcmask != d {
                write!(f, " srcmask {}", h.srcmask)?;
            }
            if h.dstmask != d {
                write!(f, " dstmask {}", h.dstmask)?;
            }
            if h.mode & mode::RATE_MATCH != 0 {
                f.write_str(" rate-match")?;
                if h.interval != 1 {
                    write!(f, " rate-interval {}", h.interval)?;
                }
            }
            Ok(())
        }
        Match::Policy(p) => {
            // libxt_policy.c policy4_print / policy6_print, numeric.
            use mm::policy::Mode;
            f.write_str(" policy match")?;
            f.write_str(if p.dir_in == Some(true) {
                " dir in"
            } else {
                " dir out"
            })?;
            f.write_str(if p.none { " pol none" } else { " pol ipsec" })?;
            if p.strict {
                f.write_str(" strict")?;
            }
            for (i, e) in p.elems.iter().enumerate() {
                if p.elems.len() > 1 {
                    write!(f, " [{i}]")?;
                }
                if let Some((v, i)) = e.reqid {
                    inv(f, i)?;
                    write!(f, " reqid {v}")?;
                }
                if let Some((v, i)) = e.spi {
                    inv(f, i)?;
                    write!(f, " spi 0x{v:x}")?;
                }
                if let Some((v, i)) = e.proto {
                    inv(f, i)?;
                    write!(f, " proto {v}")?;
                }
                if let Some((m, i)) = e.mode {
                    inv(f, i)?;
                    f.write_str(match m {
                        Mode::Transport => " mode transport",
                        Mode::Tunnel => " mode tunnel",
                    })?;
                }
                for (a, name) in [(&e.daddr, "tunnel-dst"), (&e.saddr, "tunnel-src")] {
                    if let Some((h, i)) = a {
                        inv(f, *i)?;
                        write!(f, " {name} ")?;
                        mm::ipvs::write_hostmask(f, h, p.family.unwrap_or(family))?;
                    }
                }
            }
            Ok(())
        }
        // libxt_set.c set_print_v4: the save text's options without their
        // dashes (checked with iptables-legacy 1.8.9 -L -n).
        Match::Set(st) => st.write_options(f, ""),
        _ => Err(fmt::Error),
    })();
    res.map_err(|_| no_printer_match(m))
}

/// SNPT_print / DNPT_print (libip6t_SNPT.c, libip6t_DNPT.c).
fn npt(f: &mut SaveBuf, name: &str, n: &crate::model::targets::npt::Npt) -> fmt::Result {
    use crate::model::opt::write_addr;
    write!(f, " {name} src-pfx ")?;
    write_addr(f, Family::Ipv6, &n.src_pfx)?;
    write!(f, "/{} dst-pfx ", n.src_len)?;
    write_addr(f, Family::Ipv6, &n.dst_pfx)?;
    write!(f, "/{}", n.dst_len)
}

/// TTL_print / HL_print: the mode's words.
fn hl_op(m: crate::model::targets::ttl::HlMode) -> &'static str {
    use crate::model::targets::ttl::HlMode;
    match m {
        HlMode::Set => "set to",
        HlMode::Dec => "decrement by",
        HlMode::Inc => "increment by",
    }
}

/// `print_spis` / `print_ids` / `print_nums` (libxt_esp.c, libipt_ah.c,
/// libip6t_frag.c, libip6t_rt.c): nothing for the full range, else
/// `NAME:[!]N` or `NAMEs:[!]LO:HI` (the caller gives any leading space).
fn spis(f: &mut SaveBuf, name: &str, (lo, hi): (u32, u32), invert: bool) -> fmt::Result {
    if lo == 0 && hi == u32::MAX && !invert {
        return Ok(());
    }
    let i = if invert { "!" } else { "" };
    if lo == hi {
        write!(f, "{name}:{i}{lo}")
    } else {
        write!(f, "{name}s:{i}{lo}:{hi}")
    }
}

/// hbh_print / dst_print (libip6t_hbh.c, libip6t_dst.c), print_options.
fn ext_hdr_opts(
    f: &mut SaveBuf,
    name: &str,
    hdrlen: &Option<(u32, bool)>,
    opts: &Option<Vec<crate::model::matches::hbh::OptTl>>,
) -> fmt::Result {
    write!(f, " {name}")?;
    if let Some((l, i)) = hdrlen {
        write!(f, " length:{}{l}", if *i { "!" } else { "" })?;
    }
    if let Some(opts) = opts {
        f.write_str(" opts")?;
        for (i, o) in opts.iter().enumerate() {
            f.write_char(if i == 0 { ' ' } else { ',' })?;
            write!(f, "{}", o.kind)?;
            if o.len != 0xff {
                write!(f, ":{}", o.len)?;
            }
        }
    }
    Ok(())
}

/// `MIN` or `MIN:MAX` (length_print, tcpmss_print).
fn range_colon(f: &mut SaveBuf, lo: u64, hi: u64) -> fmt::Result {
    if lo == hi {
        write!(f, "{lo}")
    } else {
        write!(f, "{lo}:{hi}")
    }
}

/// `xtables_print_mark_mask`.
fn mark_mask(f: &mut SaveBuf, mark: u32, mask: u32) -> fmt::Result {
    if mask != 0xffff_ffff {
        write!(f, " 0x{mark:x}/0x{mask:x}")
    } else {
        write!(f, " 0x{mark:x}")
    }
}

/// `print_icmptype` / `print_icmpv6type` with `numeric` set.
fn icmp_type(f: &mut SaveBuf, t: u8, (lo, hi): (u8, u8), invert: bool) -> fmt::Result {
    if invert {
        f.write_str(" !")?;
    }
    write!(f, "type {t}")?;
    if lo == hi {
        write!(f, " code {lo}")
    } else if lo != 0 || hi != 0xff {
        write!(f, " codes {lo}-{hi}")
    } else {
        Ok(())
    }
}

/// One target's `print` callback with `numeric` set.
fn print_target(f: &mut SaveBuf, t: &Target) -> Result<(), ListError> {
    use crate::model::targets as tt;
    let res: fmt::Result = (|| match t {
        Target::Reject(r) => write!(f, " reject-with {}", r.with.name()),
        Target::Log(l) => {
            // libxt_LOG.c LOG_print, numeric.
            write!(f, " LOG flags {} level {}", l.flags.bits(), l.level)?;
            if !l.prefix.is_empty() {
                f.write_str(" prefix \"")?;
                f.write_bytes(l.prefix.as_bytes());
                f.write_char('"')?;
            }
            Ok(())
        }
        Target::Mark(m) => {
            // libxt_MARK.c mark_tg_print
            let (v, k) = (m.value, m.mask);
            if v == 0 {
                write!(f, " MARK and 0x{:x}", !k)
            } else if v == k {
                write!(f, " MARK or 0x{v:x}")
            } else if k == 0 {
                write!(f, " MARK xor 0x{v:x}")
            } else if k == 0xffff_ffff {
                write!(f, " MARK set 0x{v:x}")
            } else {
                write!(f, " MARK xset 0x{v:x}/0x{k:x}")
            }
        }
        Target::Connmark(c) => {
            // libxt_CONNMARK.c connmark_tg_print (revision 1; a shift
            // needs revision 2's printer).
            use tt::connmark::ConnmarkMode;
            if c.shift_bits != 0 {
                return Err(fmt::Error);
            }
            match c.mode {
                ConnmarkMode::Set => {
                    let (v, k) = (c.ctmark, c.ctmask);
                    if v == 0 {
                        write!(f, " CONNMARK and 0x{:x}", !k)
                    } else if v == k {
                        write!(f, " CONNMARK or 0x{v:x}")
                    } else if k == 0 {
                        write!(f, " CONNMARK xor 0x{v:x}")
                    } else if k == 0xffff_ffff {
                        write!(f, " CONNMARK set 0x{v:x}")
                    } else {
                        write!(f, " CONNMARK xset 0x{v:x}/0x{k:x}")
                    }
                }
                ConnmarkMode::Save => {
                    if c.nfmask == u32::MAX && c.ctmask == u32::MAX {
                        f.write_str(" CONNMARK save")
                    } else if c.nfmask == c.ctmask {
                        write!(f, " CONNMARK save mask 0x{:x}", c.nfmask)
                    } else {
                        write!(
                            f,
                            " CONNMARK save nfmask 0x{:x} ctmask ~0x{:x}",
                            c.nfmask, c.ctmask
                        )
                    }
                }
                ConnmarkMode::Restore => {
                    if c.ctmask == u32::MAX && c.nfmask == u32::MAX {
                        f.write_str(" CONNMARK restore")
                    } else if c.ctmask == c.nfmask {
                        write!(f, " CONNMARK restore mask 0x{:x}", c.ctmask)
                    } else {
                        write!(
                            f,
                            " CONNMARK restore ctmask 0x{:x} nfmask ~0x{:x}",
                            c.ctmask, c.nfmask
                        )
                    }
                }
            }
        }
        Target::Snat(s) => s.range.print(f, "to:", "", false),
        Target::Dnat(s) => s.range.print(f, "to:", "", false),
        Target::Masquerade(s) => s.range.print(f, "masq ports: ", "", true),
        Target::Redirect(s) => s.range.print(f, "redir ports ", "", true),
        Target::Ct(c) => {
            // libxt_CT.c ct_print_v1
            use tt::ct::CtFlags;
            if c.flags.contains(CtFlags::NOTRACK_ALIAS) {
                return f.write_str(" NOTRACK");
            }
            f.write_str(" CT")?;
            if c.flags.contains(CtFlags::NOTRACK) {
                f.write_str(" notrack")?;
            }
            if !c.helper.is_empty() {
                f.write_str(" helper ")?;
                f.write_bytes(c.helper.as_bytes());
            }
            if !c.timeout.is_empty() {
                f.write_str(" timeout ")?;
                f.write_bytes(c.timeout.as_bytes());
            }
            if c.ct_events != 0 {
                tt::ct::write_events(f, "ctevents", &tt::ct::CT_EVENTS, c.ct_events)?;
            }
            if c.exp_events != 0 {
                tt::ct::write_events(f, "expevents", &tt::ct::EXP_EVENTS, c.exp_events)?;
            }
            if c.flags.contains(CtFlags::ZONE_MARK) || c.zone != 0 {
                // ct_print_zone_id("zone", ...)
                f.write_str(" zone")?;
                let dir = c.flags & (CtFlags::ZONE_DIR_ORIG | CtFlags::ZONE_DIR_REPL);
                if dir == CtFlags::ZONE_DIR_ORIG {
                    f.write_str("-orig")?;
                }
                if dir == CtFlags::ZONE_DIR_REPL {
                    f.write_str("-reply")?;
                }
                if c.flags.contains(CtFlags::ZONE_MARK) {
                    f.write_str(" mark")?;
                } else {
                    write!(f, " {}", c.zone)?;
                }
            }
            Ok(())
        }
        Target::Nflog(n) => {
            // libxt_NFLOG.c nflog_print with prefix "".
            if !n.prefix.is_empty() {
                f.write_str(" nflog-prefix")?;
                crate::model::ext::save_string(f, n.prefix.as_bytes())?;
            }
            if n.group != 0 {
                write!(f, " nflog-group {}", n.group)?;
            }
            if n.copy_len {
                write!(f, " nflog-size {}", n.len)?;
            } else if n.len != 0 {
                write!(f, " nflog-range {}", n.len)?;
            }
            if n.threshold != tt::nflog::NFLOG_DEFAULT_THRESHOLD {
                write!(f, " nflog-threshold {}", n.threshold)?;
            }
            Ok(())
        }
        // libxt_TRACE.c has no print callback: nothing after the columns.
        Target::Trace(_) => Ok(()),
        Target::Nfqueue(q) => {
            // libxt_NFQUEUE.c NFQUEUE_print_v3
            let total = u32::from(q.queues_total);
            if total > 1 {
                let last = total + u32::from(q.queuenum) - 1;
                write!(f, " NFQUEUE balance {}:{last}", q.queuenum)?;
            } else {
                write!(f, " NFQUEUE num {}", q.queuenum)?;
            }
            if q.flags.contains(tt::nfqueue::NfqFlags::BYPASS) {
                f.write_str(" bypass")?;
            }
            if q.flags.contains(tt::nfqueue::NfqFlags::CPU_FANOUT) {
                f.write_str(" cpu-fanout")?;
            }
            Ok(())
        }
        Target::Tos(t) => {
            // libxt_TOS.c tos_tg_print, numeric.
            write!(f, " TOS set 0x{:02x}/0x{:02x}", t.value, t.mask)
        }
        Target::Dscp(d) => write!(f, " DSCP set 0x{:02x}", d.dscp),
        Target::Classify(c) => {
            // libxt_CLASSIFY.c CLASSIFY_print, CLASSIFY_print_class
            write!(
                f,
                " CLASSIFY set {:x}:{:x}",
                c.priority >> 16,
                c.priority & 0xffff
            )
        }
        Target::Ttl(t) => {
            // libipt_TTL.c TTL_print
            write!(f, " TTL {} {}", hl_op(t.mode), t.ttl)
        }
        Target::Hl(h) => {
            // libip6t_HL.c HL_print
            write!(f, " HL {} {}", hl_op(h.mode), h.hop_limit)
        }
        Target::Ecn(e) => {
            // libipt_ECN.c ECN_print
            use tt::ecn::EcnOp;
            f.write_str(" ECN")?;
            if e.op.contains(EcnOp::SET_ECE | EcnOp::SET_CWR)
                && !e.op.contains(EcnOp::SET_IP)
                && !e.ece
                && !e.cwr
            {
                return f.write_str(" TCP remove");
            }
            if e.op.contains(EcnOp::SET_ECE) {
                write!(f, " ECE={}", u8::from(e.ece))?;
            }
            if e.op.contains(EcnOp::SET_CWR) {
                write!(f, " CWR={}", u8::from(e.cwr))?;
            }
            if e.op.contains(EcnOp::SET_IP) {
                write!(f, " ECT codepoint={}", e.ip_ect)?;
            }
            Ok(())
        }
        Target::Audit(a) => {
            // libxt_AUDIT.c audit_print
            use tt::audit::AuditType;
            f.write_str(match a.kind {
                AuditType::Accept => " AUDIT accept",
                AuditType::Drop => " AUDIT drop",
                AuditType::Reject => " AUDIT reject",
            })
        }
        Target::Tee(t) => {
            // libxt_TEE.c tee_tg_print / tee_tg6_print, numeric.
            write!(f, " TEE gw:{}", tt::nat::ntop(&t.gateway))?;
            if !t.oif.is_empty() {
                f.write_str(" oif=")?;
                f.write_bytes(t.oif.as_bytes());
            }
            Ok(())
        }
        Target::Tcpoptstrip(t) => {
            // libxt_TCPOPTSTRIP.c tcpoptstrip_tg_print, numeric.
            if t.strip == [0; 8] {
                return Ok(());
            }
            f.write_str(" TCPOPTSTRIP options ")?;
            let mut first = true;
            for k in 0..=255u8 {
                if t.strips(k) {
                    if !first {
                        f.write_char(',')?;
                    }
                    first = false;
                    write!(f, "{k}")?;
                }
            }
            Ok(())
        }
        Target::Synproxy(sp) => {
            // libxt_SYNPROXY.c SYNPROXY_print
            use tt::synproxy::SynproxyOpts;
            f.write_str(" SYNPROXY ")?;
            if sp.options.contains(SynproxyOpts::SACK_PERM) {
                f.write_str("sack-perm ")?;
            }
            if sp.options.contains(SynproxyOpts::TIMESTAMP) {
                f.write_str("timestamp ")?;
            }
            if sp.options.contains(SynproxyOpts::WSCALE) {
                write!(f, "wscale {} ", sp.wscale)?;
            }
            if sp.options.contains(SynproxyOpts::MSS) {
                write!(f, "mss {} ", sp.mss)?;
            }
            if sp.options.contains(SynproxyOpts::ECN) {
                f.write_str("ecn ")?;
            }
            Ok(())
        }
        Target::Idletimer(i) => {
            // libxt_IDLETIMER.c idletimer_tg_print_v1
            write!(f, " timeout:{}", i.timeout)?;
            f.write_str(" label:")?;
            f.write_bytes(i.label.as_bytes());
            if i.alarm {
                f.write_str(" alarm")?;
            }
            if i.send_nl_msg {
                f.write_str(" send_nl_msg")?;
            }
            Ok(())
        }
        Target::Connsecmark(c) => {
            // libxt_CONNSECMARK.c CONNSECMARK_print
            f.write_str(if c.save {
                " CONNSECMARK save"
            } else {
                " CONNSECMARK restore"
            })
        }
        Target::Netmap(n) => {
            // libipt_NETMAP.c / libip6t_NETMAP.c NETMAP_print: the address
            // and the bits of ~(min ^ max), the prefix always written.
            let fam = n.net.family;
            f.write_str(" to:")?;
            crate::model::opt::write_addr(f, fam, &n.net.addr)?;
            match n.net.prefix_len() {
                Some(p) => write!(f, "/{p}"),
                None => {
                    f.write_char('/')?;
                    crate::model::opt::write_addr(f, fam, &n.net.mask)
                }
            }
        }
        Target::Snpt(n) => npt(f, "SNPT", &n.npt),
        Target::Dnpt(n) => npt(f, "DNPT", &n.npt),
        Target::Tproxy(t) => {
            // libxt_TPROXY.c tproxy_tg_print4 / tproxy_tg_print6
            write!(
                f,
                " TPROXY redirect {}:{} mark 0x{:x}/0x{:x}",
                tt::nat::ntop(&t.addr),
                t.port,
                t.mark_value,
                t.mark_mask
            )
        }
        Target::Rateest(r) => {
            // libxt_RATEEST.c __RATEEST_print(target, "")
            let iv = u64::from(r.interval_us());
            let ewma = u64::from((iv as u32).wrapping_mul(1u32 << (r.ewma_log % 32)));
            f.write_str(" name ")?;
            f.write_bytes(r.name.as_bytes());
            f.write_str(" interval")?;
            tt::rateest::write_time(f, iv)?;
            f.write_str(" ewmalog")?;
            tt::rateest::write_time(f, ewma)
        }
        Target::Hmark(h) => {
            // libxt_HMARK.c HMARK_ip4_print / HMARK_ip6_print, HMARK_print.
            use crate::model::opt::mask_to_cidr;
            use tt::hmark::HmarkFlags as H;
            let fl = h.flags;
            f.write_str(" HMARK ")?;
            if fl.contains(H::MODULUS) {
                write!(f, "mod {} ", h.modulus)?;
            }
            if fl.contains(H::OFFSET) {
                write!(f, "+ 0x{:x} ", h.offset)?;
            }
            if fl.contains(H::CT) {
                f.write_str("ct, ")?;
            }
            for (flag, name, m) in [
                (H::SADDR_MASK, "src-prefix", &h.src_mask),
                (H::DADDR_MASK, "dst-prefix", &h.dst_mask),
            ] {
                if fl.contains(flag) {
                    let bits = mask_to_cidr(m, h.family);
                    match (h.family, bits) {
                        (Family::Ipv4, Some(b)) => write!(f, "{name} {b} ")?,
                        // IPv4: xtables_ipmask_to_cidr's -1 as %u.
                        (Family::Ipv4, None) => write!(f, "{name} {} ", u32::MAX)?,
                        // IPv6 prints xtables_ip6mask_to_numeric + 1, which
                        // for /128 ("") reads past the string: refused.
                        (Family::Ipv6, Some(b)) if b < 128 => write!(f, "{name} {b} ")?,
                        (Family::Ipv6, _) => return Err(fmt::Error),
                    }
                }
            }
            for (flag, name, v) in [
                (H::SPORT_MASK, "sport-mask", u32::from(h.sport_mask)),
                (H::DPORT_MASK, "dport-mask", u32::from(h.dport_mask)),
                (H::SPI_MASK, "spi-mask", h.spi_mask),
                (H::SPORT, "sport", u32::from(h.sport)),
                (H::DPORT, "dport", u32::from(h.dport)),
                (H::SPI, "spi", h.spi),
                (H::PROTO_MASK, "proto-mask", u32::from(h.proto_mask)),
                (H::RND, "rnd", h.hashrnd),
            ] {
                if fl.contains(flag) {
                    write!(f, "{name} 0x{v:x} ")?;
                }
            }
            Ok(())
        }
        Target::Checksum(c) => {
            f.write_str(" CHECKSUM")?;
            if c.fill {
                f.write_str(" fill")?;
            }
            Ok(())
        }
        // libxt_SET.c set_target_print_v3 (checked with iptables-legacy
        // 1.8.9 -L -n).
        Target::Set(st) => st.write_options(f, ""),
        Target::Tcpmss(m) => match m.mss {
            tt::tcpmss::TcpMss::ClampPmtu => f.write_str(" TCPMSS clamp to PMTU"),
            tt::tcpmss::TcpMss::Set(v) => write!(f, " TCPMSS set {v}"),
        },
        _ => Err(fmt::Error),
    })();
    res.map_err(|_| no_printer_target(t))
}
