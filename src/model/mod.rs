//! The typed ruleset model: [`Ruleset`] → [`Table`] → [`Chain`] → [`Rule`].
//!
//! Extensions own their option text, as libxtables' extensions do: each
//! parses, prints and checks its options ([`ext`]), and the protocol names
//! and address text they share with the command parser live here too
//! (`text`), so `syntax` depends on `model`, never the reverse.
//! [`crate::syntax`] builds a ruleset from `iptables-restore` input and
//! prints it back exactly as `iptables-save` does
//! ([`crate::syntax::save_bytes`]; the [`core::fmt::Display`] impls are the
//! same text for people, with `\xNN` for bytes that are not UTF-8). Names,
//! comments, prefixes and patterns are bytes ([`ByteStr`]), as the kernel
//! keeps them. The engine compiles it into a flat program.
//!
//! Invariants held by construction:
//! - a [`Table`] has exactly the built-in chains of its kind for its family, in
//!   hook order, followed by user-defined chains sorted as libiptc sorts them
//!   (byte order of the name, which `iptables-save` prints);
//! - a [`ChainName`] is 1 to 28 bytes, not starting with `-` or `!`, without
//!   whitespace;
//! - every jump or goto in a rule names a chain of the same table.

pub mod bytestr;
mod error;
pub mod ext;
pub mod matches;
pub mod names;
pub(crate) mod opt;
pub(crate) mod registry;
mod rule;
pub mod targets;
pub(crate) mod text;

use core::fmt;

pub use bytestr::ByteStr;
pub use error::{Error, ErrorKind};
pub use ext::{AddrMask, Iface};
pub use matches::Match;
pub use registry::{Caps, Families};
pub use rule::Matches;
pub use targets::Target;

/// The address family of a ruleset: `iptables` or `ip6tables` (one type
/// for every layer, [`crate::nf::Family`]).
pub use crate::nf::Family;
/// A netfilter hook, in the order the kernel numbers them (one type for
/// every layer, [`crate::nf::Hook`]).
pub use crate::nf::Hook;

impl Family {
    /// The program name iptables uses in messages.
    ///
    /// ```
    /// use nfsim::model::Family;
    /// assert_eq!(Family::Ipv6.restore_program(), "ip6tables-restore");
    /// ```
    pub const fn restore_program(self) -> &'static str {
        match self {
            Family::Ipv4 => "iptables-restore",
            Family::Ipv6 => "ip6tables-restore",
        }
    }
}

/// A set of hooks as a bit mask (bit n = [`Hook`] number n).
pub type HookMask = u8;

/// One of the five iptables tables.
///
/// ```
/// use nfsim::model::TableKind;
/// assert_eq!("nat".parse::<TableKind>().unwrap(), TableKind::Nat);
/// assert_eq!(TableKind::Raw.hooks().len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableKind {
    /// `raw`, priority -300.
    Raw,
    /// `mangle`, priority -150.
    Mangle,
    /// `nat`, priority -100 (DNAT) / 100 (SNAT).
    Nat,
    /// `filter`, priority 0.
    Filter,
    /// `security`, priority 50.
    Security,
}

impl TableKind {
    /// All tables.
    pub const ALL: [TableKind; 5] = [
        TableKind::Raw,
        TableKind::Mangle,
        TableKind::Nat,
        TableKind::Filter,
        TableKind::Security,
    ];
    /// The table's name.
    ///
    /// ```
    /// use nfsim::model::TableKind;
    /// assert_eq!(TableKind::Security.name(), "security");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            TableKind::Raw => "raw",
            TableKind::Mangle => "mangle",
            TableKind::Nat => "nat",
            TableKind::Filter => "filter",
            TableKind::Security => "security",
        }
    }
    /// The hooks of this table's built-in chains, in order.
    ///
    /// ```
    /// use nfsim::model::{Hook, TableKind};
    /// assert_eq!(TableKind::Filter.hooks(), [Hook::LocalIn, Hook::Forward, Hook::LocalOut]);
    /// ```
    pub const fn hooks(self) -> &'static [Hook] {
        match self {
            TableKind::Raw => &[Hook::PreRouting, Hook::LocalOut],
            TableKind::Mangle => &Hook::ALL,
            TableKind::Nat => &[
                Hook::PreRouting,
                Hook::LocalIn,
                Hook::LocalOut,
                Hook::PostRouting,
            ],
            TableKind::Filter | TableKind::Security => {
                &[Hook::LocalIn, Hook::Forward, Hook::LocalOut]
            }
        }
    }
}

impl core::str::FromStr for TableKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        TableKind::ALL.into_iter().find(|t| t.name() == s).ok_or(())
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The policy of a built-in chain.
///
/// ```
/// use nfsim::model::{Policy, Ruleset, Family, TableKind};
/// let rs = nfsim::syntax::parse_restore("*filter\n:INPUT DROP [0:0]\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// assert_eq!(rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().policy, Some(Policy::Drop));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// `ACCEPT`
    Accept,
    /// `DROP`
    Drop,
}

impl Policy {
    /// The policy's name as printed.
    ///
    /// ```
    /// use nfsim::model::Policy;
    /// assert_eq!(Policy::Accept.name(), "ACCEPT");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }
}

/// Packet and byte counters.
///
/// ```
/// use nfsim::model::{Family, TableKind};
/// use nfsim::syntax::{parse_restore, RestoreOptions};
/// let o = RestoreOptions { counters: true, ..RestoreOptions::new(Family::Ipv4) };
/// let rs = parse_restore("*filter\n[3:180] -A INPUT -j ACCEPT\nCOMMIT\n", &o).unwrap();
/// let c = rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0].counters;
/// assert_eq!((c.packets, c.bytes), (3, 180));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// A chain name: 1..=28 bytes, no whitespace, not starting with `-` or `!`.
/// Any other bytes are allowed, UTF-8 or not, as in iptables.
///
/// ```
/// use nfsim::model::ChainName;
/// assert!(ChainName::new("DOCKER-USER").is_ok());
/// assert!(ChainName::new(b"\xff\x80").is_ok());
/// assert!(ChainName::new("-bad").is_err());
/// assert!(ChainName::new("A23456789012345678901234567890").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainName(ByteStr);

/// Longest chain name iptables accepts (`XT_EXTENSION_MAXNAMELEN - 1`).
pub const CHAIN_NAME_MAX: usize = 28;

impl ChainName {
    /// Validates a chain name as `assert_valid_chain_name` (iptables/xshared.c) does,
    /// returning iptables' message on failure. (The clash-with-a-target check
    /// needs the extension registry and is done by the parser.)
    ///
    /// # Errors
    /// [`ErrorKind::ChainName`] with iptables' message.
    pub fn new(name: impl AsRef<[u8]>) -> Result<Self, Error> {
        Self::check(name.as_ref()).map_err(|m| Error::new(ErrorKind::ChainName, m))
    }
    fn check(name: &[u8]) -> Result<Self, String> {
        let shown = bytestr::Escaped(name);
        if name.len() > CHAIN_NAME_MAX {
            return Err(format!(
                "chain name `{shown}' too long (must be under {} chars)",
                CHAIN_NAME_MAX + 1
            ));
        }
        if name.is_empty() {
            return Err("Invalid chain name `'".to_string());
        }
        if let Some(c) = name.first().filter(|c| **c == b'-' || **c == b'!') {
            return Err(format!(
                "chain name not allowed to start with `{}'",
                *c as char
            ));
        }
        // isspace() in the C locale.
        if name.iter().any(|c| c.is_ascii_whitespace() || *c == 0x0b) {
            return Err(format!("Invalid chain name `{shown}'"));
        }
        Ok(ChainName(ByteStr::from(name)))
    }
    /// The name's bytes.
    ///
    /// ```
    /// use nfsim::model::ChainName;
    /// assert_eq!(ChainName::new("LOGDROP").unwrap().as_bytes(), b"LOGDROP");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    /// The name as a byte string.
    ///
    /// ```
    /// use nfsim::model::ChainName;
    /// let n = ChainName::new(b"caf\xe9").unwrap();
    /// assert_eq!(n.as_byte_str().to_string(), "caf\\xe9");
    /// ```
    pub fn as_byte_str(&self) -> &ByteStr {
        &self.0
    }
}

impl PartialEq<str> for ChainName {
    fn eq(&self, other: &str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for ChainName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == **other
    }
}

impl fmt::Display for ChainName {
    /// The name for people ([`ByteStr`]'s escaped form).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a rule does when all its matches match.
///
/// ```
/// use nfsim::model::{ChainName, Rule, Verdict};
/// assert_eq!(Rule::new().verdict, Verdict::Continue);
/// let r = Rule::new().verdict(Verdict::Jump(ChainName::new("SSH").unwrap()));
/// assert_eq!(r.to_string(), "-j SSH");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Verdict {
    /// No `-j`: only counts.
    #[default]
    Continue,
    /// `-j ACCEPT`
    Accept,
    /// `-j DROP`
    Drop,
    /// `-j RETURN`
    Return,
    /// `-j QUEUE` (queue 0, legacy standard verdict).
    Queue,
    /// `-j CHAIN`: jump to a user-defined chain.
    Jump(ChainName),
    /// `-g CHAIN`: goto a user-defined chain.
    Goto(ChainName),
    /// `-j EXT ...`: an extension target.
    Ext(Target),
}

/// A rule: the generic part, ordered matches, and the verdict.
///
/// Build one with the chained setters ([`Rule::tcp`], [`Rule::dport`],
/// [`Rule::ctstate`], [`Rule::accept`]...) or the fields; its `Display` is
/// its iptables-save text.
///
/// ```
/// use nfsim::model::{Match, Rule, Verdict};
/// use nfsim::model::matches::conntrack::CtStates;
/// let r = Rule::tcp().dport(22).ctstate(CtStates::NEW).accept();
/// assert_eq!((r.proto, r.matches.len(), &r.verdict), (6, 2, &Verdict::Accept));
/// assert!(matches!(&r.matches[0], Match::Tcp(t) if t.dports == (22, 22)));
/// assert_eq!(r.to_string(), "-p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rule {
    /// `-s` (address and mask; `None` means any).
    pub src: Option<AddrMask>,
    /// `! -s`
    pub src_inv: bool,
    /// `-d`
    pub dst: Option<AddrMask>,
    /// `! -d`
    pub dst_inv: bool,
    /// `-i`
    pub in_iface: Option<Iface>,
    /// `! -i`
    pub in_inv: bool,
    /// `-o`
    pub out_iface: Option<Iface>,
    /// `! -o`
    pub out_inv: bool,
    /// `-p`: the protocol number (0 = all / not given).
    pub proto: u8,
    /// `! -p`
    pub proto_inv: bool,
    /// IPv6: whether `-p` was given (`IP6T_F_PROTO`), which changes how 0 is matched.
    pub proto_given: bool,
    /// `-f` (IPv4 only): `Some(false)` = second and further fragments, `Some(true)` = `! -f`.
    pub fragment: Option<bool>,
    /// The `-m` matches, in order.
    pub matches: Matches,
    /// The target.
    pub verdict: Verdict,
    /// Counters (set from `[p:b]` only when restoring with counters).
    pub counters: Counters,
}

impl Rule {
    /// Whether this rule has no match at all: no addresses, interfaces,
    /// protocol, fragment flag or `-m` (the kernel's `unconditional()` in
    /// ip_tables.c, which also decides how TRACE numbers it).
    ///
    /// ```
    /// use nfsim::model::Rule;
    /// assert!(Rule::new().accept().is_unconditional());
    /// assert!(!Rule::tcp().accept().is_unconditional());
    /// ```
    pub fn is_unconditional(&self) -> bool {
        self.src.is_none()
            && self.dst.is_none()
            && !self.src_inv
            && !self.dst_inv
            && self.in_iface.is_none()
            && self.out_iface.is_none()
            && !self.in_inv
            && !self.out_inv
            && self.proto == 0
            && !self.proto_inv
            && !self.proto_given
            && self.fragment.is_none()
            && self.matches.is_empty()
    }
}

/// A chain: built-in (with a hook and a policy) or user-defined.
///
/// ```
/// use nfsim::model::{Hook, Policy, Table, TableKind, Family};
/// let t = Table::new(TableKind::Filter, Family::Ipv4);
/// let input = t.chain("INPUT").unwrap();
/// assert_eq!((input.hook, input.policy, input.rules.len()), (Some(Hook::LocalIn), Some(Policy::Accept), 0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The chain's name.
    pub name: ChainName,
    /// The hook of a built-in chain.
    pub hook: Option<Hook>,
    /// The policy of a built-in chain.
    pub policy: Option<Policy>,
    /// Policy counters (built-in) or zero.
    pub counters: Counters,
    /// The rules in order.
    pub rules: Vec<Rule>,
}

impl Chain {
    /// Whether this is a built-in chain.
    ///
    /// ```
    /// use nfsim::model::{ChainName, Table, TableKind, Family};
    /// let mut t = Table::new(TableKind::Filter, Family::Ipv4);
    /// t.add_user_chain(ChainName::new("USER").unwrap());
    /// assert!(t.chain("INPUT").unwrap().is_builtin() && !t.chain("USER").unwrap().is_builtin());
    /// ```
    pub fn is_builtin(&self) -> bool {
        self.hook.is_some()
    }
}

/// A table with its chains: built-in chains first in hook order, then
/// user-defined chains sorted by name.
///
/// ```
/// use nfsim::model::{ChainName, Family, Table, TableKind};
/// let mut t = Table::new(TableKind::Nat, Family::Ipv4);
/// t.add_user_chain(ChainName::new("DOCKER").unwrap());
/// let names: Vec<String> = t.chains.iter().map(|c| c.name.to_string()).collect();
/// assert_eq!(names, ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", "DOCKER"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Which table.
    pub kind: TableKind,
    /// The family.
    pub family: Family,
    /// The chains (see the type docs for the order).
    pub chains: Vec<Chain>,
}

impl Table {
    /// A fresh table: built-in chains with policy ACCEPT, no rules.
    ///
    /// ```
    /// use nfsim::model::{Table, TableKind, Family};
    /// let t = Table::new(TableKind::Filter, Family::Ipv4);
    /// assert_eq!(t.chains.len(), 3);
    /// ```
    pub fn new(kind: TableKind, family: Family) -> Self {
        let chains = kind
            .hooks()
            .iter()
            .map(|h| Chain {
                name: ChainName(ByteStr::from(h.chain_name())),
                hook: Some(*h),
                policy: Some(Policy::Accept),
                counters: Counters::default(),
                rules: Vec::new(),
            })
            .collect();
        Table {
            kind,
            family,
            chains,
        }
    }
    /// The chain with this name (text or bytes).
    ///
    /// ```
    /// use nfsim::model::{Family, Table, TableKind};
    /// let t = Table::new(TableKind::Raw, Family::Ipv4);
    /// assert!(t.chain("PREROUTING").is_some() && t.chain("INPUT").is_none());
    /// ```
    pub fn chain(&self, name: impl AsRef<[u8]>) -> Option<&Chain> {
        let name = name.as_ref();
        self.chains.iter().find(|c| c.name.as_bytes() == name)
    }
    /// The chain with this name, mutably.
    ///
    /// ```
    /// use nfsim::model::{Family, Policy, Rule, Table, TableKind};
    /// let mut t = Table::new(TableKind::Filter, Family::Ipv4);
    /// let input = t.chain_mut("INPUT").unwrap();
    /// input.policy = Some(Policy::Drop);
    /// input.rules.push(Rule::tcp().dport(22).accept());
    /// assert_eq!(t.to_string(), "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n");
    /// ```
    pub fn chain_mut(&mut self, name: impl AsRef<[u8]>) -> Option<&mut Chain> {
        let name = name.as_ref();
        self.chains.iter_mut().find(|c| c.name.as_bytes() == name)
    }
    /// Index of the chain with this name.
    ///
    /// ```
    /// use nfsim::model::{Family, Table, TableKind};
    /// assert_eq!(Table::new(TableKind::Filter, Family::Ipv4).chain_index("OUTPUT"), Some(2));
    /// ```
    pub fn chain_index(&self, name: impl AsRef<[u8]>) -> Option<usize> {
        let name = name.as_ref();
        self.chains.iter().position(|c| c.name.as_bytes() == name)
    }
    /// Adds a user-defined chain at its sorted place. Returns false if it exists.
    ///
    /// ```
    /// use nfsim::model::{ChainName, Family, Table, TableKind};
    /// let mut t = Table::new(TableKind::Filter, Family::Ipv4);
    /// assert!(t.add_user_chain(ChainName::new("B").unwrap()));
    /// assert!(t.add_user_chain(ChainName::new("A").unwrap()));
    /// assert!(!t.add_user_chain(ChainName::new("A").unwrap()));
    /// assert_eq!(t.chain_index("A"), Some(3));
    /// ```
    pub fn add_user_chain(&mut self, name: ChainName) -> bool {
        if self.chain(name.as_bytes()).is_some() {
            return false;
        }
        let builtins = self.kind.hooks().len();
        let pos = self.chains[builtins..]
            .iter()
            .position(|c| c.name.as_bytes() > name.as_bytes())
            .map(|p| p + builtins)
            .unwrap_or(self.chains.len());
        self.chains.insert(
            pos,
            Chain {
                name,
                hook: None,
                policy: None,
                counters: Counters::default(),
                rules: Vec::new(),
            },
        );
        true
    }
    /// Number of rules that jump or go to the named chain (its reference count).
    ///
    /// ```
    /// use nfsim::model::{ChainName, Family, Rule, Table, TableKind};
    /// let mut t = Table::new(TableKind::Filter, Family::Ipv4);
    /// let user = ChainName::new("USER").unwrap();
    /// t.add_user_chain(user.clone());
    /// t.chain_mut("INPUT").unwrap().rules.push(Rule::new().jump(user.clone()));
    /// t.chain_mut("FORWARD").unwrap().rules.push(Rule::new().goto(user));
    /// assert_eq!(t.references("USER"), 2);
    /// ```
    pub fn references(&self, name: impl AsRef<[u8]>) -> usize {
        let name = name.as_ref();
        self.chains
            .iter()
            .flat_map(|c| c.rules.iter())
            .filter(
                |r| matches!(&r.verdict, Verdict::Jump(n) | Verdict::Goto(n) if n.as_bytes() == name),
            )
            .count()
    }
}

/// A whole ruleset of one family: the tables that exist, in the order
/// `iptables-save` prints them (the most recently created first, as the
/// kernel lists `/proc/net/ip_tables_names`).
///
/// ```
/// use nfsim::model::{Family, Rule, Ruleset, TableKind};
/// let mut rs = Ruleset::new(Family::Ipv4);
/// rs.table_mut(TableKind::Filter).chain_mut("INPUT").unwrap().rules.push(Rule::tcp().dport(22).accept());
/// rs.table_mut(TableKind::Nat);
/// assert_eq!(rs.tables[0].kind, TableKind::Nat); // created last, printed first
/// nfsim::syntax::validate(&rs).unwrap();
/// assert!(rs.to_string().contains("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Ruleset {
    /// The family.
    pub family: Family,
    /// The tables.
    pub tables: Vec<Table>,
}

impl Ruleset {
    /// An empty ruleset: no table exists.
    ///
    /// ```
    /// use nfsim::model::{Family, Ruleset};
    /// assert!(Ruleset::new(Family::Ipv6).tables.is_empty());
    /// ```
    pub fn new(family: Family) -> Self {
        Ruleset {
            family,
            tables: Vec::new(),
        }
    }
    /// The table of this kind, if it exists.
    ///
    /// ```
    /// use nfsim::model::{Family, Ruleset, TableKind};
    /// let mut rs = Ruleset::new(Family::Ipv4);
    /// assert!(rs.table(TableKind::Mangle).is_none());
    /// rs.table_mut(TableKind::Mangle);
    /// assert_eq!(rs.table(TableKind::Mangle).unwrap().chains.len(), 5);
    /// ```
    pub fn table(&self, kind: TableKind) -> Option<&Table> {
        self.tables.iter().find(|t| t.kind == kind)
    }
    /// The table of this kind, created (and put first) if it did not exist.
    ///
    /// ```
    /// use nfsim::model::{Family, Rule, Ruleset, TableKind};
    /// let mut rs = Ruleset::new(Family::Ipv4);
    /// rs.table_mut(TableKind::Raw).chain_mut("PREROUTING").unwrap().rules.push(Rule::udp().dport(53).accept());
    /// assert_eq!(rs.table(TableKind::Raw).unwrap().chain("PREROUTING").unwrap().rules.len(), 1);
    /// ```
    pub fn table_mut(&mut self, kind: TableKind) -> &mut Table {
        if let Some(i) = self.tables.iter().position(|t| t.kind == kind) {
            return &mut self.tables[i];
        }
        self.tables.insert(0, Table::new(kind, self.family));
        &mut self.tables[0]
    }
}
