//! Sinks every user needs: [`TraceCollector`] (the kernel's TRACE records
//! as text) and [`Explain`] (each rule a packet met, whether it matched,
//! and if not which part failed). Both are re-exported at the crate root.
//!
//! A sink is chosen per call ([`Host::receive`](crate::host::Host::receive)
//! takes any [`TraceSink`]); with [`NoTrace`](crate::engine::NoTrace) the
//! engine computes nothing for them, so explaining costs nothing when it
//! is not asked for.

use core::fmt::Write as _;

use crate::engine::{Mismatch, TraceKind, TraceSink};
use crate::host::ChainLabel;
use crate::model::{Rule, Ruleset, TableKind};

/// Collects TRACE records as `table:chain:kind:num` strings, as the
/// kernel's `TRACE` target logs them (one `String` per record: for
/// inspection, not for the allocation-free path).
///
/// ```
/// use nfsim::TraceCollector;
/// use nfsim::engine::{TraceKind, TraceSink};
/// use nfsim::model::TableKind;
/// let mut t = TraceCollector::default();
/// t.trace(TableKind::Filter, b"INPUT", TraceKind::Policy, 3);
/// assert_eq!(t.records, ["filter:INPUT:policy:3"]);
/// ```
#[derive(Debug, Default, Clone)]
pub struct TraceCollector {
    /// The records.
    pub records: Vec<String>,
}

impl TraceSink for TraceCollector {
    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        // The chain name as /dev/kmsg shows the kernel's TRACE line.
        let mut r = format!("{}:", table.name());
        let _ = crate::host::log::kmsg_escape(&mut r, chain);
        let _ = write!(r, ":{}:{}", kind.as_str(), num);
        self.records.push(r);
    }
}

/// Whether a rule matched (see [`Step`]).
///
/// ```
/// use nfsim::explain::StepResult;
/// use nfsim::engine::Mismatch;
/// assert_ne!(StepResult::Matched, StepResult::NoMatch(Mismatch::Src));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepResult {
    /// It matched and its target ran (the entry TRACE logs).
    Matched,
    /// It did not match: this part failed.
    NoMatch(Mismatch),
}

/// One rule (or policy) a packet met, in walk order.
///
/// ```
/// use nfsim::explain::{Step, StepResult};
/// use nfsim::engine::TraceKind;
/// use nfsim::host::ChainLabel;
/// use nfsim::model::TableKind;
/// let s = Step { table: TableKind::Filter, chain: ChainLabel::new("INPUT"),
///     kind: TraceKind::Rule, num: 1, result: StepResult::Matched };
/// assert_eq!(s.num, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The table.
    pub table: TableKind,
    /// The chain.
    pub chain: ChainLabel,
    /// How TRACE names the entry (`rule`, `policy`, `return`; a rule that
    /// did not match is always `rule`).
    pub kind: TraceKind,
    /// The rule's number in its chain, as `iptables -L --line-numbers`
    /// shows it (for a policy or a chain's end: the number of rules + 1).
    pub num: u32,
    /// Matched, or which part failed.
    pub result: StepResult,
}

impl Step {
    /// The rule in `rs` (the ruleset of the packet's family), `None` for a
    /// policy or the implicit return at a user chain's end.
    ///
    /// ```
    /// use nfsim::explain::{Step, StepResult};
    /// use nfsim::engine::TraceKind;
    /// use nfsim::host::ChainLabel;
    /// use nfsim::model::{Family, TableKind};
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let rs = parse_restore("*filter\n-A INPUT -p udp -j DROP\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let s = Step { table: TableKind::Filter, chain: ChainLabel::new("INPUT"),
    ///     kind: TraceKind::Rule, num: 1, result: StepResult::Matched };
    /// assert_eq!(s.rule(&rs).unwrap().proto, 17);
    /// ```
    pub fn rule<'r>(&self, rs: &'r Ruleset) -> Option<&'r Rule> {
        let t = rs.tables.iter().find(|t| t.kind == self.table)?;
        let c = t.chain(self.chain.as_bytes())?;
        c.rules.get((self.num as usize).checked_sub(1)?)
    }

    /// The rule's `iptables-save` line (`-A CHAIN ...`), `None` for a
    /// policy or a chain's end.
    ///
    /// ```
    /// use nfsim::explain::{Step, StepResult};
    /// use nfsim::engine::TraceKind;
    /// use nfsim::host::ChainLabel;
    /// use nfsim::model::{Family, TableKind};
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let rs = parse_restore("*filter\n-A INPUT -p udp -j DROP\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let s = Step { table: TableKind::Filter, chain: ChainLabel::new("INPUT"),
    ///     kind: TraceKind::Rule, num: 1, result: StepResult::Matched };
    /// assert_eq!(s.save_text(&rs).unwrap(), "-A INPUT -p udp -j DROP");
    /// ```
    pub fn save_text(&self, rs: &Ruleset) -> Option<String> {
        let r = self.rule(rs)?;
        let mut s = crate::model::ext::SaveBuf::default();
        crate::syntax::save::write_rule(
            &mut s,
            rs.family,
            self.chain.as_bytes(),
            r,
            crate::syntax::save::SaveOptions::default(),
        )
        .ok()?;
        // Bytes that are not UTF-8 (a chain name, a comment) are shown as
        // /dev/kmsg shows them.
        let b = s.into_bytes();
        Some(match String::from_utf8(b) {
            Ok(t) => t,
            Err(e) => {
                let mut t = String::new();
                let _ = crate::host::log::kmsg_escape(&mut t, e.as_bytes());
                t
            }
        })
    }

    /// The part that failed, as iptables names it: `-s`, `-d`, `-i`, `-o`,
    /// `-p`, `-f`, or the extension and option (`tcp --dport`,
    /// `conntrack --ctstate`; an extension given one option is named with
    /// it, `mark --mark`; the extension alone when its options are not told
    /// apart). `None` when the rule matched.
    ///
    /// ```
    /// use nfsim::explain::{Step, StepResult};
    /// use nfsim::engine::{Mismatch, TraceKind};
    /// use nfsim::host::ChainLabel;
    /// use nfsim::model::{Family, TableKind};
    /// use nfsim::syntax::{parse_restore, RestoreOptions};
    /// let rs = parse_restore("*filter\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
    ///     &RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let s = Step { table: TableKind::Filter, chain: ChainLabel::new("INPUT"),
    ///     kind: TraceKind::Rule, num: 1,
    ///     result: StepResult::NoMatch(Mismatch::Match { index: 0, option: Some("--dport") }) };
    /// assert_eq!(s.failed_part(&rs).unwrap(), "tcp --dport");
    /// ```
    pub fn failed_part(&self, rs: &Ruleset) -> Option<String> {
        let StepResult::NoMatch(m) = self.result else {
            return None;
        };
        if let Some(flag) = m.flag() {
            return Some(flag.to_string());
        }
        let Mismatch::Match { index, option } = m else {
            return None;
        };
        let Some(m) = self.rule(rs).and_then(|r| r.matches.get(index)) else {
            return Some("?".to_string());
        };
        let name = m.name();
        // An extension given a single option, and that with a value (not
        // a modifier flag such as rpfilter's --invert), failed on it.
        let option = option.map(str::to_string).or_else(|| {
            let mut buf = crate::model::ext::SaveBuf::default();
            m.save(&mut buf).ok()?;
            let text = String::from_utf8_lossy(buf.as_bytes()).into_owned();
            let words: Vec<&str> = text.split_whitespace().collect();
            let mut opts = words
                .iter()
                .enumerate()
                .filter(|(_, w)| w.starts_with("--"));
            let (i, first) = opts.next()?;
            let valued = words
                .get(i + 1)
                .is_some_and(|v| !v.starts_with("--") && *v != "!");
            (valued && opts.next().is_none()).then(|| first.to_string())
        });
        Some(match option {
            Some(o) => format!("{name} {o}"),
            None => name.to_string(),
        })
    }
}

/// An explain sink: every rule each packet of the call met, in walk order,
/// matched or not and why not. Turn it on by passing it as the sink; it
/// also turns off the walk's address pre-scan so that every rule tested is
/// reported. Steps of packets a call causes (REJECT replies, looped
/// packets) follow those of the packet given.
///
/// Recording a step allocates only when `steps` grows; reuse one `Explain`
/// (call [`clear`](Self::clear)) to keep its capacity.
///
/// ```
/// use nfsim::{Explain, explain::StepResult};
/// use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome};
/// use nfsim::model::{Family, Ruleset};
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// use nfsim::time::Instant;
/// use nfsim::wire::{tcp::TcpFlags, PacketBuilder};
///
/// let rules = parse_restore(
///     "*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\n\
///      -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
///     &RestoreOptions::new(Family::Ipv4),
/// ).unwrap();
/// let cfg = HostConfig {
///     interfaces: vec![InterfaceConfig { name: "eth0".into(), mac: [2, 0, 0, 0, 0, 1],
///         addrs: vec!["192.0.2.1/24".parse().unwrap()], peer_mac: [2, 0, 0, 0, 1, 1] }],
///     ..HostConfig::default()
/// };
/// let mut host = Host::new(&cfg, &rules, &Ruleset::new(Family::Ipv6)).unwrap();
/// let syn = PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .tcp(40000, 80).flags(TcpFlags::SYN).build();
/// let mut explain = Explain::default();
/// host.receive(1, &syn, Instant::ZERO, &mut Outcome::default(), &mut explain);
/// assert_eq!(explain.render(&rules),
///     "filter INPUT 1: -A INPUT -s 10.0.0.0/8 -j ACCEPT: no match (-s)\n\
///      filter INPUT 2: -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT: no match (tcp --dport)\n\
///      filter INPUT policy:3: matched\n");
/// ```
#[derive(Debug, Default, Clone)]
pub struct Explain {
    /// The steps, in walk order.
    pub steps: Vec<Step>,
}

impl Explain {
    /// Forgets the steps, keeping capacity.
    ///
    /// ```
    /// let mut e = nfsim::Explain::default();
    /// e.clear();
    /// assert!(e.steps.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.steps.clear();
    }

    /// One line per step: `table CHAIN N: <iptables-save line>: matched` or
    /// `...: no match (<part>)`; a policy or chain end as `table CHAIN
    /// policy:N` / `return:N`. `rs` is the ruleset of the packet's family.
    ///
    /// ```
    /// assert_eq!(nfsim::Explain::default().render(
    ///     &nfsim::model::Ruleset::new(nfsim::model::Family::Ipv4)), "");
    /// ```
    pub fn render(&self, rs: &Ruleset) -> String {
        let mut out = String::new();
        for s in &self.steps {
            let _ = match s.save_text(rs) {
                Some(text) => write!(out, "{} {} {}: {text}", s.table, s.chain, s.num),
                None => write!(out, "{} {} {}:{}", s.table, s.chain, s.kind.as_str(), s.num),
            };
            let _ = match s.failed_part(rs) {
                Some(p) => writeln!(out, ": no match ({p})"),
                None => writeln!(out, ": matched"),
            };
        }
        out
    }
}

impl TraceSink for Explain {
    const WANTS_EXPLAIN: bool = true;

    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        self.steps.push(Step {
            table,
            chain: ChainLabel::new(chain),
            kind,
            num,
            result: StepResult::Matched,
        });
    }

    fn mismatch(&mut self, table: TableKind, chain: &[u8], num: u32, part: Mismatch) {
        self.steps.push(Step {
            table,
            chain: ChainLabel::new(chain),
            kind: TraceKind::Rule,
            num,
            result: StepResult::NoMatch(part),
        });
    }
}
