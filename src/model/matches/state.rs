//! `-m state` (extensions/libxt_conntrack.c `state_*`; in the kernel the
//! `state` alias of net/netfilter/xt_conntrack.c, revision 3 with
//! `XT_CONNTRACK_STATE_ALIAS`, which iptables 1.8.9 prints back as
//! `-m state --state ...`, checked against it).

use core::fmt;

use super::conntrack::CtStates;
use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::is_prefix_nocase;

/// `-m state [!] --state LIST`.
///
/// ```
/// use nfsim::model::matches::state::State;
/// use nfsim::model::matches::conntrack::CtStates;
/// let s = State { states: CtStates::NEW, invert: false };
/// assert!(s.states.contains(CtStates::NEW));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct State {
    /// The states to match.
    pub states: CtStates,
    /// `! --state`
    pub invert: bool,
}

options!(OPTS = 0 "state" arg inv mand);

/// `state_parse_states`: only INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED
/// (case-insensitive prefixes).
fn parse_states(arg: &str) -> Result<CtStates, String> {
    const NAMES: [(&str, CtStates); 5] = [
        ("INVALID", CtStates::INVALID),
        ("NEW", CtStates::NEW),
        ("ESTABLISHED", CtStates::ESTABLISHED),
        ("RELATED", CtStates::RELATED),
        ("UNTRACKED", CtStates::UNTRACKED),
    ];
    let mut m = CtStates::default();
    let mut rest = arg;
    while let Some(i) = rest.find(',') {
        let word = &rest[..i];
        match NAMES
            .iter()
            .find(|(n, _)| !word.is_empty() && is_prefix_nocase(word, n))
        {
            Some((_, b)) => m |= *b,
            None => return Err(format!("Bad state \"{rest}\"")),
        }
        rest = &rest[i + 1..];
    }
    if rest.is_empty() {
        return Err(
            "\"--state\" requires a list of states with no spaces, e.g. ESTABLISHED,RELATED".into(),
        );
    }
    match NAMES.iter().find(|(n, _)| is_prefix_nocase(rest, n)) {
        Some((_, b)) => Ok(m | *b),
        None => Err(format!("Bad state \"{rest}\"")),
    }
}

impl Extension for State {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        self.states = parse_states(args.optarg.unwrap_or(""))?;
        self.invert = args.invert;
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if self.invert {
            f.write_str(" !")?;
        }
        f.write_str(" --state")?;
        self.states.write(f)
    }
}
