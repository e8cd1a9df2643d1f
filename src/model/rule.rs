//! Rules in code: constructors and chained setters on [`Rule`], so that a
//! common rule is one expression, and its `iptables-save` text.
//!
//! Each setter does what the iptables option of the same name does to the
//! rule (`do_parse` in iptables/xshared.c and the extension's parser): `-p`
//! sets the protocol, `--dport` on a `-p tcp` rule is the implicit
//! `-m tcp --dport`, `--ctstate` is `-m conntrack --ctstate`. Nothing here
//! checks the rule against its table: [`crate::syntax::validate`] (run by
//! [`Host::new`](crate::host::Host::new)) refuses what iptables refuses,
//! with iptables' message.

use super::matches::comment::Comment;
use super::matches::conntrack::{Conntrack, CtStates, Inv};
use super::matches::dccp::Dccp;
use super::matches::tcp::Tcp;
use super::matches::udp::Udp;
use smallvec::SmallVec;

use super::{AddrMask, ByteStr, ChainName, Iface, Match, Rule, Target, Verdict};

/// `IPPROTO_TCP`.
const TCP: u8 = 6;
/// `IPPROTO_UDP`.
const UDP: u8 = 17;
/// `IPPROTO_DCCP`.
const DCCP: u8 = 33;
/// `IPPROTO_SCTP`.
const SCTP: u8 = 132;

impl Rule {
    /// A rule that matches every packet and has no target (`-A CHAIN` alone:
    /// it only counts).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// let r = Rule::new();
    /// assert!(r.is_unconditional());
    /// assert_eq!(r.to_string(), "");
    /// assert_eq!(Rule::new().accept().to_string(), "-j ACCEPT");
    /// ```
    pub fn new() -> Rule {
        Rule::default()
    }

    /// `-p tcp`.
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::tcp().dport(22).accept().to_string(),
    ///     "-p tcp -m tcp --dport 22 -j ACCEPT");
    /// ```
    pub fn tcp() -> Rule {
        Rule::new().protocol(TCP)
    }

    /// `-p udp`.
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::udp().sport(53).drop().to_string(),
    ///     "-p udp -m udp --sport 53 -j DROP");
    /// ```
    pub fn udp() -> Rule {
        Rule::new().protocol(UDP)
    }

    /// `-p NUMBER` (printed by name when iptables knows one: `-p 1` is
    /// `-p icmp`). A protocol other than 0 also sets
    /// [`proto_given`](Rule::proto_given) (ip6tables' `IP6T_F_PROTO`, which
    /// the IPv4 walk ignores); `protocol(0)` is no `-p` at all (for
    /// ip6tables' explicit `-p all`, set `proto_given` too).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::new().protocol(1).drop().to_string(), "-p icmp -j DROP");
    /// ```
    pub fn protocol(mut self, proto: u8) -> Rule {
        self.proto = proto;
        self.proto_given = proto != 0;
        self
    }

    /// `-s ADDRESS[/MASK]`.
    ///
    /// ```
    /// use nfsim::model::{AddrMask, Rule};
    /// let r = Rule::new().src(AddrMask::v4([198, 51, 100, 0].into(), 24)).drop();
    /// assert_eq!(r.to_string(), "-s 198.51.100.0/24 -j DROP");
    /// ```
    pub fn src(mut self, addr: AddrMask) -> Rule {
        self.src = Some(addr);
        self
    }

    /// `-d ADDRESS[/MASK]`.
    ///
    /// ```
    /// use nfsim::model::{AddrMask, Rule};
    /// let r = Rule::new().dst("2001:db8::/32".parse().unwrap()).accept();
    /// assert_eq!(r.to_string(), "-d 2001:db8::/32 -j ACCEPT");
    /// ```
    pub fn dst(mut self, addr: AddrMask) -> Rule {
        self.dst = Some(addr);
        self
    }

    /// `-i NAME` (`eth+` for every name starting with `eth`).
    ///
    /// ```
    /// use nfsim::model::{Iface, Rule};
    /// let r = Rule::new().in_iface(Iface::new("eth0").unwrap()).accept();
    /// assert_eq!(r.to_string(), "-i eth0 -j ACCEPT");
    /// ```
    pub fn in_iface(mut self, iface: Iface) -> Rule {
        self.in_iface = Some(iface);
        self
    }

    /// `-o NAME`.
    ///
    /// ```
    /// use nfsim::model::{Iface, Rule};
    /// let r = Rule::new().out_iface(Iface::new("wan+").unwrap()).drop();
    /// assert_eq!(r.to_string(), "-o wan+ -j DROP");
    /// ```
    pub fn out_iface(mut self, iface: Iface) -> Rule {
        self.out_iface = Some(iface);
        self
    }

    /// `--dport PORT`: the implicit match of the rule's protocol (`-m tcp`,
    /// `-m udp`, `-m sctp`, `-m dccp`, created on first use as iptables loads
    /// it). On a rule of another protocol it adds `-m tcp`, which
    /// validation refuses as the kernel does (`tcp match: only valid for
    /// protocol 6`).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::udp().dport(53).accept().to_string(),
    ///     "-p udp -m udp --dport 53 -j ACCEPT");
    /// ```
    pub fn dport(self, port: u16) -> Rule {
        self.dports(port, port)
    }

    /// `--dport FIRST:LAST` (inclusive).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::tcp().dports(8000, 8080).accept().to_string(),
    ///     "-p tcp -m tcp --dport 8000:8080 -j ACCEPT");
    /// ```
    pub fn dports(mut self, first: u16, last: u16) -> Rule {
        self.ports_mut(false, (first, last));
        self
    }

    /// `--sport PORT`, as [`Rule::dport`].
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::tcp().sport(1024).to_string(), "-p tcp -m tcp --sport 1024");
    /// ```
    pub fn sport(self, port: u16) -> Rule {
        self.sports(port, port)
    }

    /// `--sport FIRST:LAST` (inclusive).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::udp().sports(1024, 65535).to_string(), "-p udp -m udp --sport 1024:65535");
    /// ```
    pub fn sports(mut self, first: u16, last: u16) -> Rule {
        self.ports_mut(true, (first, last));
        self
    }

    /// Sets a port range on the protocol's match, adding it after the
    /// other matches if the rule has none yet (iptables loads the implicit
    /// match when it meets its first option).
    fn ports_mut(&mut self, source: bool, range: (u16, u16)) {
        let pos = self.matches.iter().position(|m| match m {
            Match::Tcp(_) => self.proto != UDP && self.proto != SCTP && self.proto != DCCP,
            Match::Udp(_) => self.proto == UDP,
            Match::Sctp(_) => self.proto == SCTP,
            Match::Dccp(_) => self.proto == DCCP,
            _ => false,
        });
        let i = pos.unwrap_or_else(|| {
            self.matches.push(match self.proto {
                UDP => Match::Udp(Udp::default()),
                SCTP => Match::Sctp(Box::default()),
                DCCP => Match::Dccp(Dccp::default()),
                _ => Match::Tcp(Tcp::default()),
            });
            self.matches.len() - 1
        });
        match &mut self.matches[i] {
            Match::Tcp(t) if source => t.sports = range,
            Match::Tcp(t) => t.dports = range,
            Match::Udp(u) if source => u.sports = range,
            Match::Udp(u) => u.dports = range,
            Match::Sctp(s) if source => s.sports = Some((range, false)),
            Match::Sctp(s) => s.dports = Some((range, false)),
            Match::Dccp(d) if source => d.sports = Some((range, false)),
            Match::Dccp(d) => d.dports = Some((range, false)),
            _ => {}
        }
    }

    /// `-m conntrack --ctstate STATES`.
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// use nfsim::model::matches::conntrack::CtStates;
    /// let r = Rule::tcp().dport(22).ctstate(CtStates::NEW).accept();
    /// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT");
    /// let r = Rule::new().ctstate(CtStates::ESTABLISHED | CtStates::RELATED).accept();
    /// assert_eq!(r.to_string(), "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    /// ```
    pub fn ctstate(self, states: CtStates) -> Rule {
        self.with(Match::Conntrack(Box::new(Conntrack {
            state: Some(Inv {
                value: states,
                invert: false,
            }),
            ..Conntrack::default()
        })))
    }

    /// `-m comment --comment TEXT` (the kernel keeps 255 bytes;
    /// validation refuses more, as iptables does).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// let r = Rule::tcp().dport(22).comment("ssh").accept();
    /// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT");
    /// ```
    pub fn comment(self, text: impl AsRef<[u8]>) -> Rule {
        self.with(Match::Comment(Comment {
            text: ByteStr::from(text.as_ref()),
        }))
    }

    /// `-m MATCH ...`: any match extension, after those already there.
    ///
    /// ```
    /// use nfsim::model::{Match, Rule};
    /// use nfsim::model::matches::mark::Mark;
    /// use nfsim::model::matches::xtopt::MarkMask;
    /// let mark = MarkMask { value: 1, mask: 0xffffffff };
    /// let r = Rule::new().with(Match::Mark(Mark { mark, invert: false })).drop();
    /// assert_eq!(r.to_string(), "-m mark --mark 0x1 -j DROP");
    /// ```
    pub fn with(mut self, m: Match) -> Rule {
        self.matches.push(m);
        self
    }

    /// The rule with this verdict (`-j`, `-g`, or none).
    ///
    /// ```
    /// use nfsim::model::{ChainName, Rule, Verdict};
    /// let r = Rule::new().verdict(Verdict::Goto(ChainName::new("LOGDROP").unwrap()));
    /// assert_eq!(r.to_string(), "-g LOGDROP");
    /// ```
    pub fn verdict(mut self, v: Verdict) -> Rule {
        self.verdict = v;
        self
    }

    /// `-j ACCEPT`.
    ///
    /// ```
    /// use nfsim::model::{Rule, Verdict};
    /// assert_eq!(Rule::new().accept().verdict, Verdict::Accept);
    /// ```
    pub fn accept(self) -> Rule {
        self.verdict(Verdict::Accept)
    }

    /// `-j DROP`.
    ///
    /// ```
    /// use nfsim::model::{Rule, Verdict};
    /// assert_eq!(Rule::new().drop().verdict, Verdict::Drop);
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn drop(self) -> Rule {
        self.verdict(Verdict::Drop)
    }

    /// `-j RETURN`.
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert_eq!(Rule::new().return_().to_string(), "-j RETURN");
    /// ```
    pub fn return_(self) -> Rule {
        self.verdict(Verdict::Return)
    }

    /// `-j CHAIN`: jump to a user-defined chain.
    ///
    /// ```
    /// use nfsim::model::{ChainName, Rule};
    /// let r = Rule::new().jump(ChainName::new("DOCKER-USER").unwrap());
    /// assert_eq!(r.to_string(), "-j DOCKER-USER");
    /// ```
    pub fn jump(self, chain: ChainName) -> Rule {
        self.verdict(Verdict::Jump(chain))
    }

    /// `-g CHAIN`: go to a user-defined chain.
    ///
    /// ```
    /// use nfsim::model::{ChainName, Rule};
    /// let r = Rule::new().goto(ChainName::new("SSH").unwrap());
    /// assert_eq!(r.to_string(), "-g SSH");
    /// ```
    pub fn goto(self, chain: ChainName) -> Rule {
        self.verdict(Verdict::Goto(chain))
    }

    /// `-j TARGET ...`: an extension target.
    ///
    /// ```
    /// use nfsim::model::{Rule, Target};
    /// use nfsim::model::targets::reject::{Reject, RejectWith};
    /// let r = Rule::tcp().dport(113).target(Target::Reject(Reject { with: RejectWith::TcpReset }));
    /// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 113 -j REJECT --reject-with tcp-reset");
    /// ```
    pub fn target(self, t: Target) -> Rule {
        self.verdict(Verdict::Ext(t))
    }
}

/// A rule's `-m` matches, in order: a list of [`Match`] that holds up to
/// two inline (the common rule: `-m tcp --dport`, `-m comment`, `-m
/// conntrack`), so that parsing or building such a rule allocates nothing
/// for its matches. It reads as a slice (`&r.matches[0]`, `.iter()`,
/// `.len()`), grows as a `Vec` (`push`, `insert`, `remove`, `retain`,
/// `extend`) and is built from a `Vec`, an array or an iterator.
///
/// ```
/// use nfsim::model::{Match, Matches, Rule};
/// use nfsim::model::matches::comment::Comment;
/// let mut r = Rule::tcp().dport(22).accept();
/// r.matches.push(Match::Comment(Comment { text: "ssh".into() }));
/// assert_eq!(r.matches.len(), 2);
/// assert!(matches!(&r.matches[0], Match::Tcp(t) if t.dports == (22, 22)));
/// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT");
/// let m: Matches = vec![Match::Comment(Comment { text: "a".into() })].into();
/// assert_eq!(m.iter().count(), 1);
/// assert_eq!(Matches::new(), Matches::from(Vec::new()));
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Matches(SmallVec<[Match; 2]>);

impl Matches {
    /// No match.
    pub fn new() -> Matches {
        Matches(SmallVec::new())
    }
    /// Adds `m` after the others.
    #[inline]
    pub fn push(&mut self, m: Match) {
        self.0.push(m);
    }
    /// Removes and returns the last match.
    pub fn pop(&mut self) -> Option<Match> {
        self.0.pop()
    }
    /// Puts `m` at position `index`, moving those after it.
    pub fn insert(&mut self, index: usize, m: Match) {
        self.0.insert(index, m);
    }
    /// Removes and returns the match at `index`, moving those after it.
    pub fn remove(&mut self, index: usize) -> Match {
        self.0.remove(index)
    }
    /// Keeps the matches for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Match) -> bool) {
        self.0.retain(|m| keep(m));
    }
    /// Removes every match.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    /// Keeps the first `len` matches.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
    /// The matches as a slice.
    pub fn as_slice(&self) -> &[Match] {
        &self.0
    }
    /// The matches in a boxed slice.
    pub fn into_boxed_slice(self) -> Box<[Match]> {
        self.0.into_boxed_slice()
    }
    /// The matches in a `Vec`.
    pub fn into_vec(self) -> Vec<Match> {
        self.0.into_vec()
    }
}

impl core::fmt::Debug for Matches {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl core::ops::Deref for Matches {
    type Target = [Match];
    #[inline]
    fn deref(&self) -> &[Match] {
        &self.0
    }
}

impl core::ops::DerefMut for Matches {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Match] {
        &mut self.0
    }
}

impl From<Vec<Match>> for Matches {
    fn from(v: Vec<Match>) -> Matches {
        Matches(SmallVec::from_vec(v))
    }
}

impl<const N: usize> From<[Match; N]> for Matches {
    fn from(a: [Match; N]) -> Matches {
        a.into_iter().collect()
    }
}

impl From<Matches> for Vec<Match> {
    fn from(m: Matches) -> Vec<Match> {
        m.into_vec()
    }
}

impl PartialEq<Vec<Match>> for Matches {
    fn eq(&self, other: &Vec<Match>) -> bool {
        self[..] == other[..]
    }
}

impl PartialEq<[Match]> for Matches {
    fn eq(&self, other: &[Match]) -> bool {
        self[..] == *other
    }
}

impl FromIterator<Match> for Matches {
    fn from_iter<I: IntoIterator<Item = Match>>(iter: I) -> Matches {
        Matches(iter.into_iter().collect())
    }
}

impl Extend<Match> for Matches {
    fn extend<I: IntoIterator<Item = Match>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for Matches {
    type Item = Match;
    type IntoIter = smallvec::IntoIter<[Match; 2]>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Matches {
    type Item = &'a Match;
    type IntoIter = core::slice::Iter<'a, Match>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a mut Matches {
    type Item = &'a mut Match;
    type IntoIter = core::slice::IterMut<'a, Match>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Iface, Match, Rule, Target, Verdict};
    use core::mem::size_of;

    /// The sizes `nfsim save`'s peak memory rests on (issue 15 item 4:
    /// at most 3x the file): a rule with up to two matches is 232 bytes,
    /// its matches inline (`Matches`: 72 bytes; a `Vec` of 24 and a heap
    /// block of 64 + the allocator's 16 before). A match or target over 24
    /// bytes is boxed; a string up to 23 bytes and an interface name are
    /// inline.
    #[test]
    fn rule_layout_stays_small() {
        assert_eq!(size_of::<Match>(), 32);
        assert!(size_of::<Target>() <= 32);
        assert_eq!(size_of::<Verdict>(), 32);
        assert_eq!(size_of::<Option<Iface>>(), 16);
        assert_eq!(size_of::<crate::model::Matches>(), 72);
        assert_eq!(size_of::<Rule>(), 232);
    }
}
