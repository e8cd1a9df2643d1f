//! `ipset restore` text: `create` and `add` lines (ipset 7.17's
//! `ipset_parse_*` and the kernel's `*_uadt` checks), with ipset's own
//! error wording where nfsim knows it.

use core::fmt;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{iface_key, mask, CreateOpts, Elem, Entry, IpSet, Ipsets, SetFamily, SetType, SkbInfo};
use crate::time::Instant;

/// A line `ipset restore` refuses: its number (1-based) and ipset's
/// message.
///
/// ```
/// use nfsim::ipset::Ipsets;
/// let e = Ipsets::restore("create a hash:foo\n").unwrap_err();
/// assert_eq!((e.line, e.message.as_str()), (1, "Syntax error: typename 'hash:foo' is unknown"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsetError {
    /// Line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for IpsetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ipset v7.17: Error in line {}: {}",
            self.line, self.message
        )
    }
}

impl std::error::Error for IpsetError {}

/// What an ipset command did ([`Ipsets::command`]).
///
/// ```
/// use nfsim::ipset::{IpsetCommand, Ipsets};
/// let mut s = Ipsets::default();
/// assert_eq!(s.command(&["save"]), Ok(IpsetCommand::Query));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IpsetCommand {
    /// The sets changed (`create`, `add`, `del`, `flush`, `destroy`).
    Changed,
    /// Nothing changed: `list`, `save`, `test`, `version`, `help`.
    Query,
    /// `COMMIT` (restore input's end of a batch).
    Commit,
}

type R<T> = Result<T, String>;

/// Splits a line into words, `"..."` kept together (comments).
fn words(line: &str) -> R<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_q = !in_q;
                any = true;
                cur.push('"');
            }
            c if c.is_whitespace() && !in_q => {
                if any {
                    out.push(core::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if in_q {
        return Err("Syntax error: missing closing quote".into());
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

fn num(s: &str, what: &str, max: u64) -> R<u64> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse::<u64>().ok()
    };
    match v {
        Some(v) if v <= max => Ok(v),
        _ => Err(format!(
            "Syntax error: '{s}' is invalid as number for {what}"
        )),
    }
}

impl Ipsets {
    /// Reads `ipset save` / `ipset restore` text: `create NAME TYPE
    /// [options]` and `add NAME ELEMENT [options]` lines (blank lines and
    /// `#` comments skipped), as `ipset restore` does in a fresh
    /// namespace, at time zero.
    ///
    /// # Errors
    /// The first line ipset would refuse, with its message; also names
    /// what nfsim does not model (types, options).
    pub fn restore(text: &str) -> Result<Ipsets, IpsetError> {
        let mut s = Ipsets::default();
        for (i, line) in text.lines().enumerate() {
            let err = |message: String| IpsetError {
                line: i + 1,
                message,
            };
            let w = words(line).map_err(err)?;
            let w: Vec<&str> = w.iter().map(String::as_str).collect();
            if w.first().is_none_or(|c| c.starts_with('#')) {
                continue;
            }
            match s.command(&w).map_err(err)? {
                IpsetCommand::Changed | IpsetCommand::Commit => {}
                IpsetCommand::Query => {
                    return Err(err(format!(
                        "nfsim: the ipset command `{}' is not modelled in restore input",
                        w.iter().find(|x| !x.starts_with('-')).unwrap_or(&w[0])
                    )))
                }
            }
        }
        Ok(s)
    }

    /// One ipset command, as the words after `ipset` on a command line
    /// (or one line of `ipset restore` input): `create`, `add`, `del`,
    /// `flush`, `destroy` (with their one-letter and `-N`/`-A`/`-D`/`-F`/`-X`
    /// forms) change the sets; `list`, `save`, `test`, `version`, `help`
    /// change nothing ([`IpsetCommand::Query`]). `-exist` (or `-!`)
    /// ignores a set or element that already exists (`create`, `add`, whose
    /// element's timeout, comment and skbinfo are then overwritten, as
    /// `mtype_add`'s `overwrite_extensions`) or does not (`del`); `-q` /
    /// `-quiet` only silence ipset. `destroy` refuses a set a list:set holds;
    /// whether iptables rules hold it is the caller's question
    /// (`Set cannot be destroyed: it is in use by a kernel component`).
    ///
    /// # Errors
    /// ipset's message, without its `ipset v7.17: ` prefix; also names what
    /// nfsim does not model (`rename`, `swap`, `restore` from a file).
    ///
    /// ```
    /// use nfsim::ipset::{IpsetCommand, Ipsets};
    /// let mut s = Ipsets::default();
    /// assert_eq!(s.command(&["create", "bl", "hash:ip"]), Ok(IpsetCommand::Changed));
    /// s.command(&["add", "bl", "192.0.2.1"]).unwrap();
    /// assert_eq!(s.command(&["add", "bl", "192.0.2.1"]).unwrap_err(),
    ///     "Element cannot be added to the set: it's already added");
    /// assert!(s.command(&["-exist", "add", "bl", "192.0.2.1"]).is_ok());
    /// assert_eq!(s.command(&["list", "bl"]), Ok(IpsetCommand::Query));
    /// s.command(&["flush", "bl"]).unwrap();
    /// s.command(&["destroy", "bl"]).unwrap();
    /// assert!(s.is_empty());
    /// ```
    pub fn command(&mut self, words: &[&str]) -> Result<IpsetCommand, String> {
        self.command_with(words, &|_| false)
    }

    /// [`Ipsets::command`] on a namespace whose iptables rules hold the sets
    /// `held_by_rules` names: `destroy` refuses those as well, as the
    /// kernel's `ip_set_destroy` refuses any set whose `ref` is not zero (a
    /// rule's `-m set` or `SET` takes one, as a list:set member does).
    ///
    /// # Errors
    /// As [`Ipsets::command`].
    ///
    /// ```
    /// use nfsim::ipset::Ipsets;
    /// let mut s = Ipsets::restore("create bl hash:ip\n").unwrap();
    /// assert_eq!(s.command_with(&["destroy", "bl"], &|n| n == "bl").unwrap_err(),
    ///     "Set cannot be destroyed: it is in use by a kernel component");
    /// assert!(s.command_with(&["destroy", "bl"], &|_| false).is_ok());
    /// ```
    pub fn command_with(
        &mut self,
        words: &[&str],
        held_by_rules: &dyn Fn(&str) -> bool,
    ) -> Result<IpsetCommand, String> {
        let mut exist = false;
        let mut w: Vec<&str> = Vec::with_capacity(words.len());
        for x in words {
            match *x {
                "-exist" | "-!" => exist = true,
                "-q" | "-quiet" => {}
                _ => w.push(x),
            }
        }
        let Some(cmd) = w.first() else {
            return Err("Syntax error: no command specified".into());
        };
        let rest = &w[1..];
        match *cmd {
            "create" | "-N" | "n" | "new" | "-create" => self.create(rest, exist)?,
            "add" | "-A" | "a" | "-add" => self.add_line(rest, exist)?,
            "del" | "-D" | "d" | "-del" => self.del_line(rest, exist)?,
            "flush" | "-F" | "f" | "-flush" => self.flush(rest.first().copied())?,
            "destroy" | "-X" | "x" | "-destroy" => {
                self.destroy(rest.first().copied(), held_by_rules)?
            }
            "COMMIT" => return Ok(IpsetCommand::Commit),
            "list" | "-L" | "l" | "-list" | "save" | "-S" | "s" | "-save" | "test" | "-T" | "t"
            | "-test" | "version" | "-V" | "-v" | "help" | "-h" | "-H" => {
                return Ok(IpsetCommand::Query)
            }
            "rename" | "-E" | "e" | "swap" | "-W" | "w" | "restore" | "-R" | "r" => {
                return Err(format!("nfsim: the ipset command `{cmd}' is not modelled"))
            }
            c => return Err(format!("Syntax error: unknown command {c}")),
        }
        Ok(IpsetCommand::Changed)
    }

    /// `ipset flush [NAME]`: every element of the set (of every set) gone.
    fn flush(&mut self, name: Option<&str>) -> R<()> {
        let idx: Vec<usize> = match name {
            Some(n) => vec![self
                .find(n.as_bytes())
                .ok_or("The set with the given name does not exist")?],
            None => (0..self.sets.len()).collect(),
        };
        for i in idx {
            let set = &mut self.sets[i];
            set.members.clear();
            set.nets.clear();
            set.list.clear();
        }
        Ok(())
    }

    /// `ipset destroy [NAME]` (`ip_set_destroy`): refused while a rule or
    /// a list:set holds the set (all sets: while any is held).
    fn destroy(&mut self, name: Option<&str>, held_by_rules: &dyn Fn(&str) -> bool) -> R<()> {
        const IN_USE: &str = "Set cannot be destroyed: it is in use by a kernel component";
        let held = |i: usize| {
            held_by_rules(&self.sets[i].name)
                || self
                    .sets
                    .iter()
                    .any(|s| s.list.iter().any(|(m, _)| *m == i))
        };
        match name {
            None => {
                if (0..self.sets.len()).any(held) {
                    return Err(IN_USE.into());
                }
                self.sets.clear();
            }
            Some(n) => {
                let i = self
                    .find(n.as_bytes())
                    .ok_or("The set with the given name does not exist")?;
                if held(i) {
                    return Err(IN_USE.into());
                }
                self.sets.remove(i);
                for s in &mut self.sets {
                    for (m, _) in &mut s.list {
                        if *m > i {
                            *m -= 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// `ipset del NAME ELEMENT`.
    fn del_line(&mut self, w: &[&str], exist: bool) -> R<()> {
        const NOT_ADDED: &str = "Element cannot be deleted from the set: it's not added";
        let (Some(name), Some(elem)) = (w.first(), w.get(1)) else {
            return Err("Syntax error: missing mandatory argument".into());
        };
        let Some(idx) = self.find(name.as_bytes()) else {
            return Err("The set with the given name does not exist".into());
        };
        if let Some(extra) = w.get(2) {
            if self.sets[idx].kind != SetType::ListSet {
                return Err(format!("Syntax error: unknown argument {extra}"));
            }
            return Err("nfsim: `before'/`after' in a list:set del is not modelled".into());
        }
        if self.sets[idx].kind == SetType::ListSet {
            let Some(m) = self.find(elem.as_bytes()) else {
                return Err("Set to be added/deleted/tested as element does not exist.".into());
            };
            let set = &mut self.sets[idx];
            match set.list.iter().position(|(x, _)| *x == m) {
                Some(p) => {
                    set.list.remove(p);
                }
                None if exist => {}
                None => return Err(NOT_ADDED.into()),
            }
            return Ok(());
        }
        let keys = parse_elem(&self.sets[idx], elem)?;
        let set = &mut self.sets[idx];
        for key in keys {
            if set.members.contains_key(&key) {
                set.remove(&key);
            } else if !exist {
                return Err(NOT_ADDED.into());
            }
        }
        Ok(())
    }

    fn create(&mut self, w: &[&str], exist: bool) -> R<()> {
        let (Some(name), Some(ty)) = (w.first(), w.get(1)) else {
            return Err("Syntax error: missing mandatory argument".into());
        };
        if name.len() > super::MAX_NAME {
            return Err(format!(
                "Syntax error: setname '{name}' is longer than {} characters",
                super::MAX_NAME
            ));
        }
        let kind = match SetType::from_name(ty) {
            Some(k) => k,
            None => {
                return Err(match *ty {
                    "bitmap:ip,mac" | "hash:ip,mac" | "hash:net,net" | "hash:net,port,net"
                    | "hash:ip,mark" => format!("nfsim: set type {ty} is not modelled"),
                    _ => format!("Syntax error: typename '{ty}' is unknown"),
                })
            }
        };
        let mut o = CreateOpts {
            hashsize: 1024,
            maxelem: 65536,
            size: 8,
            ..CreateOpts::default()
        };
        let mut family =
            if (kind.is_hash() && kind != SetType::HashMac) || kind == SetType::BitmapIp {
                SetFamily::Inet
            } else {
                SetFamily::Unspec
            };
        let mut range: Option<(u32, u32)> = None;
        let mut k = 2;
        let arg = |k: usize| -> R<&str> {
            w.get(k + 1)
                .copied()
                .ok_or_else(|| format!("Syntax error: option {} requires an argument", w[k]))
        };
        while k < w.len() {
            let opt = w[k];
            let hash = kind.is_hash();
            match opt {
                "family" if hash && kind != SetType::HashMac => {
                    family = match arg(k)? {
                        "inet" | "ipv4" | "-4" => SetFamily::Inet,
                        "inet6" | "ipv6" | "-6" => SetFamily::Inet6,
                        f => return Err(format!("Syntax error: unknown family {f}")),
                    };
                    k += 1;
                }
                "-4" | "-6" if hash && kind != SetType::HashMac => {
                    family = if opt == "-4" {
                        SetFamily::Inet
                    } else {
                        SetFamily::Inet6
                    };
                }
                "hashsize" if hash => {
                    o.hashsize = num(arg(k)?, "hashsize", u32::MAX.into())? as u32;
                    k += 1;
                }
                "maxelem" if hash => {
                    o.maxelem = num(arg(k)?, "maxelem", u32::MAX.into())? as u32;
                    k += 1;
                }
                "bucketsize" if hash => {
                    o.bucketsize = Some(num(arg(k)?, "bucketsize", 255)? as u32);
                    k += 1;
                }
                "initval" if hash => {
                    o.initval = Some(num(arg(k)?, "initval", u32::MAX.into())? as u32);
                    k += 1;
                }
                "forceadd" if hash => o.forceadd = true,
                "netmask" if matches!(kind, SetType::HashIp | SetType::BitmapIp) => {
                    o.netmask = Some(num(arg(k)?, "netmask", 128)? as u8);
                    k += 1;
                }
                "range" if matches!(kind, SetType::BitmapIp | SetType::BitmapPort) => {
                    let a = arg(k)?;
                    range = Some(if kind == SetType::BitmapIp {
                        let (f, l, _) = v4_range(a)?;
                        (f, l)
                    } else {
                        let (f, l) = port_range(a)?;
                        (u32::from(f), u32::from(l))
                    });
                    k += 1;
                }
                "size" if kind == SetType::ListSet => {
                    o.size = num(arg(k)?, "size", u32::MAX.into())? as u32;
                    k += 1;
                }
                "timeout" => {
                    o.timeout = Some(num(arg(k)?, "timeout", u64::from(u32::MAX / 1000))? as u32);
                    k += 1;
                }
                "counters" => o.counters = true,
                "comment" => o.comment = true,
                "skbinfo" => o.skbinfo = true,
                "bitmask" | "markmask" | "wildcard" => {
                    return Err(format!("nfsim: the create option `{opt}' is not modelled"))
                }
                _ => return Err(format!("Syntax error: unknown argument {opt}")),
            }
            k += 1;
        }
        if matches!(kind, SetType::BitmapIp | SetType::BitmapPort) {
            let Some(r) = range else {
                return Err("Syntax error: mandatory argument range is missing".into());
            };
            o.range = r;
        }
        if let Some(nm) = o.netmask {
            let host = family.host_mask();
            if nm == 0 || nm > host {
                return Err("The value of the netmask parameter is invalid".into());
            }
            if kind == SetType::BitmapIp {
                // bitmap_ip_create: first_ip masked; hosts per element.
                let m = if nm == 32 {
                    u32::MAX
                } else {
                    !(u32::MAX >> nm)
                };
                o.range.0 &= m;
                o.range.1 |= !m;
            }
        }
        // bitmap_ip_create: at most IPSET_BITMAP_MAX_RANGE + 1 elements.
        let hosts = 1u64 << (32 - u32::from(o.netmask.unwrap_or(32).min(32)));
        if kind == SetType::BitmapIp
            && (u64::from(o.range.1) - u64::from(o.range.0) + 1) / hosts > 65536
        {
            return Err(
                "Range too large: the range of the bitmap:ip set exceeds 65536 elements".into(),
            );
        }
        if let Some(i) = self.find(name.as_bytes()) {
            // ip_set_create: with -exist, a set of the same type whose
            // `same_set` holds is kept as it is (the `mtype_same_set`s compare
            // maxelem, timeout, netmask, range, size and the extensions, not
            // hashsize, family or initval: checked with ipset 7.17).
            let old = &self.sets[i];
            let same = old.kind == kind
                && old.opts.maxelem == o.maxelem
                && old.opts.timeout == o.timeout
                && old.opts.netmask == o.netmask
                && old.opts.range == o.range
                && old.opts.size == o.size
                && old.opts.counters == o.counters
                && old.opts.comment == o.comment
                && old.opts.skbinfo == o.skbinfo;
            if exist && same {
                return Ok(());
            }
            return Err("Set cannot be created: set with the same name already exists".into());
        }
        self.sets.push(IpSet {
            name: (*name).to_string(),
            kind,
            family,
            opts: o,
            members: HashMap::new(),
            nets: Vec::new(),
            list: Vec::new(),
            seq: 0,
        });
        Ok(())
    }

    fn add_line(&mut self, w: &[&str], exist: bool) -> R<()> {
        let (Some(name), Some(elem)) = (w.first(), w.get(1)) else {
            return Err("Syntax error: missing mandatory argument".into());
        };
        let Some(idx) = self.find(name.as_bytes()) else {
            return Err("The set with the given name does not exist".into());
        };
        // Element options (the kernel's extensions, `ip_set_get_extensions`).
        let mut timeout: Option<u32> = None;
        // IP_SET_INIT_UEXT: a counter not given is ULLONG_MAX, "unset".
        let mut packets: Option<u64> = None;
        let mut bytes: Option<u64> = None;
        let mut comment = None;
        let mut skb: Option<SkbInfo> = None;
        let mut nomatch = false;
        let mut list_pos: Option<(bool, &str)> = None;
        let set = &self.sets[idx];
        let o = &set.opts;
        let mut k = 2;
        let need = |ok: bool, what: &str| -> R<()> {
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{what} cannot be used: set was created without {} support",
                    what.to_lowercase()
                ))
            }
        };
        while k < w.len() {
            let opt = w[k];
            let arg = || -> R<&str> {
                w.get(k + 1)
                    .copied()
                    .ok_or_else(|| format!("Syntax error: option {opt} requires an argument"))
            };
            match opt {
                "timeout" => {
                    need(o.timeout.is_some(), "Timeout")?;
                    timeout = Some(num(arg()?, "timeout", u64::from(u32::MAX / 1000))? as u32);
                    k += 1;
                }
                "packets" | "bytes" => {
                    need(o.counters, "Packet/byte counter")
                        .map_err(|_| "Packet/byte counter cannot be used: set was created without counter support".to_string())?;
                    let v = num(arg()?, opt, u64::MAX)?;
                    if opt == "packets" {
                        packets = Some(v);
                    } else {
                        bytes = Some(v);
                    }
                    k += 1;
                }
                "comment" => {
                    need(o.comment, "Comment")?;
                    let c = arg()?;
                    let c = c
                        .strip_prefix('"')
                        .and_then(|c| c.strip_suffix('"'))
                        .unwrap_or(c);
                    if c.len() > 255 {
                        return Err("Syntax error: comment is longer than 255 characters".into());
                    }
                    comment = Some(c.to_string());
                    k += 1;
                }
                "skbmark" | "skbprio" | "skbqueue" => {
                    need(o.skbinfo, "Skbinfo")?;
                    let s = skb.get_or_insert(SkbInfo::default());
                    let a = arg()?;
                    match opt {
                        "skbmark" => {
                            let (v, m) = a.split_once('/').unwrap_or((a, "0xffffffff"));
                            if !v.starts_with("0x") || !m.starts_with("0x") {
                                return Err("Syntax error: Invalid skbmark format, it should be:  MARK/MASK or MARK (see manpage)".into());
                            }
                            s.mark = num(v, "skbmark", u32::MAX.into())? as u32;
                            s.markmask = num(m, "skbmark", u32::MAX.into())? as u32;
                        }
                        "skbprio" => {
                            let (ma, mi) = a.split_once(':').ok_or_else(|| {
                                format!("Syntax error: cannot parse {a} as skbprio")
                            })?;
                            let ma = u32::from_str_radix(ma, 16).map_err(|_| {
                                format!("Syntax error: cannot parse {a} as skbprio")
                            })?;
                            let mi = u32::from_str_radix(mi, 16).map_err(|_| {
                                format!("Syntax error: cannot parse {a} as skbprio")
                            })?;
                            if ma > 0xffff || mi > 0xffff {
                                return Err(format!("Syntax error: cannot parse {a} as skbprio"));
                            }
                            s.prio = Some(ma << 16 | mi);
                        }
                        _ => s.queue = Some(num(a, "skbqueue", 0xffff)? as u16),
                    }
                    k += 1;
                }
                "nomatch" if set.kind.has_nomatch() => nomatch = true,
                "before" | "after" if set.kind == SetType::ListSet => {
                    list_pos = Some((opt == "before", arg()?));
                    k += 1;
                }
                _ => return Err(format!("Syntax error: unknown argument {opt}")),
            }
            k += 1;
        }
        let now = Instant::ZERO;
        let expires = match (o.timeout, timeout) {
            (None, _) => None,
            (Some(d), t) => {
                let t = t.unwrap_or(d);
                (t != 0).then(|| super::expiry(now, t))
            }
        };
        let entry = |seq: u64| Entry {
            seq,
            expires,
            packets: packets.unwrap_or(0),
            bytes: bytes.unwrap_or(0),
            comment: comment.clone(),
            skb,
            nomatch,
        };
        if set.kind == SetType::ListSet {
            let Some(m) = self.find(elem.as_bytes()) else {
                return Err("Set to be added/deleted/tested as element does not exist.".into());
            };
            if self.sets[m].kind == SetType::ListSet {
                return Err(
                    "Set cannot be added to a list:set: list:set sets cannot be nested".into(),
                );
            }
            let set = &mut self.sets[idx];
            if set.list.iter().any(|(x, _)| *x == m) {
                if exist {
                    return Err(
                        "nfsim: -exist add of a list:set member already there is not modelled"
                            .into(),
                    );
                }
                return Err("Element cannot be added to the set: it's already added".into());
            }
            if set.list.len() >= set.opts.size as usize {
                return Err("The set is full, cannot add more elements".into());
            }
            set.seq += 1;
            let e = entry(set.seq);
            let pos = match list_pos {
                None => set.list.len(),
                Some((before, other)) => {
                    let other = self
                        .find(other.as_bytes())
                        .ok_or("Set to be added/deleted/tested as element does not exist.")?;
                    let set = &self.sets[idx];
                    let i = set
                        .list
                        .iter()
                        .position(|(x, _)| *x == other)
                        .ok_or("Reference set does not exist in the set")?;
                    if before {
                        i
                    } else {
                        i + 1
                    }
                }
            };
            self.sets[idx].list.insert(pos, (m, e));
            return Ok(());
        }
        let keys = parse_elem(set, elem)?;
        let set = &mut self.sets[idx];
        for key in keys {
            if let Some(e) = set.members.get_mut(&key) {
                if !exist {
                    return Err("Element cannot be added to the set: it's already added".into());
                }
                // mtype_add, flag_exist: overwrite_extensions. The timeout
                // and comment start afresh (a comment not given is cleared),
                // counters only where given (ip_set_init_counter), skbinfo
                // and nomatch as given.
                e.expires = expires;
                if let Some(p) = packets {
                    e.packets = p;
                }
                if let Some(b) = bytes {
                    e.bytes = b;
                }
                e.comment = comment.clone();
                e.skb = skb;
                e.nomatch = nomatch;
                continue;
            }
            if set.members.len() >= set.opts.maxelem as usize {
                return Err("Hash is full, cannot add more elements".into());
            }
            set.seq += 1;
            let e = entry(set.seq);
            set.insert(key, e);
        }
        Ok(())
    }
}

/// The most elements one `add` line may make from a range (ranges are
/// expanded, as the kernel's `uadt` loops do).
const MAX_EXPAND: u64 = 65536;

fn parse_ip(s: &str, fam: SetFamily) -> R<[u8; 16]> {
    let mut a = [0u8; 16];
    match fam {
        SetFamily::Inet6 => {
            let v: Ipv6Addr = s.parse().map_err(|_| {
                format!("Syntax error: cannot parse {s}: resolving to IPv6 address failed")
            })?;
            a = v.octets();
        }
        _ => {
            let v: Ipv4Addr = s.parse().map_err(|_| {
                format!("Syntax error: cannot parse {s}: resolving to IPv4 address failed")
            })?;
            a[..4].copy_from_slice(&v.octets());
        }
    }
    Ok(a)
}

/// `A-B` or `A/cidr` or `A` (IPv4), as host-order first/last and whether
/// it was a prefix.
fn v4_range(s: &str) -> R<(u32, u32, Option<u8>)> {
    let ip = |x: &str| -> R<u32> {
        x.parse::<Ipv4Addr>().map(u32::from).map_err(|_| {
            format!("Syntax error: cannot parse {x}: resolving to IPv4 address failed")
        })
    };
    if let Some((a, b)) = s.split_once('-') {
        let (a, b) = (ip(a)?, ip(b)?);
        if a > b {
            return Err(
                "Syntax error: range is invalid (first address is larger than the last one)".into(),
            );
        }
        Ok((a, b, None))
    } else if let Some((a, c)) = s.split_once('/') {
        let c = num(c, "cidr", 32).map_err(|_| {
            "The value of the CIDR parameter of the IP address is invalid".to_string()
        })? as u8;
        let m = if c == 0 { 0 } else { !0u32 << (32 - c) };
        let a = ip(a)? & m;
        Ok((a, a | !m, Some(c)))
    } else {
        let a = ip(s)?;
        Ok((a, a, None))
    }
}

fn port_range(s: &str) -> R<(u16, u16)> {
    let p = |x: &str| -> R<u16> {
        x.parse::<u16>()
            .map_err(|_| format!("Syntax error: cannot parse '{x}' as a port number (service names are not modelled)"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (p(a)?, p(b)?);
            if a > b {
                return Err(format!("Syntax error: invalid port range {s}"));
            }
            Ok((a, b))
        }
        None => {
            let a = p(s)?;
            Ok((a, a))
        }
    }
}

/// ICMP type names ipset knows (lib/icmp.c), with their type/code.
pub(super) const ICMP_NAMES: &[(&str, u8, u8)] = &[
    ("echo-reply", 0, 0),
    ("network-unreachable", 3, 0),
    ("host-unreachable", 3, 1),
    ("protocol-unreachable", 3, 2),
    ("port-unreachable", 3, 3),
    ("fragmentation-needed", 3, 4),
    ("source-route-failed", 3, 5),
    ("network-unknown", 3, 6),
    ("host-unknown", 3, 7),
    ("network-prohibited", 3, 9),
    ("host-prohibited", 3, 10),
    ("TOS-network-unreachable", 3, 11),
    ("TOS-host-unreachable", 3, 12),
    ("communication-prohibited", 3, 13),
    ("host-precedence-violation", 3, 14),
    ("precedence-cutoff", 3, 15),
    ("source-quench", 4, 0),
    ("network-redirect", 5, 0),
    ("host-redirect", 5, 1),
    ("TOS-network-redirect", 5, 2),
    ("TOS-host-redirect", 5, 3),
    ("echo-request", 8, 0),
    ("router-advertisement", 9, 0),
    ("router-solicitation", 10, 0),
    ("ttl-zero-during-transit", 11, 0),
    ("ttl-zero-during-reassembly", 11, 1),
    ("ip-header-bad", 12, 0),
    ("required-option-missing", 12, 1),
    ("timestamp-request", 13, 0),
    ("timestamp-reply", 14, 0),
    ("address-mask-request", 17, 0),
    ("address-mask-reply", 18, 0),
];

/// ICMPv6 type names ipset knows (lib/icmpv6.c).
pub(super) const ICMPV6_NAMES: &[(&str, u8, u8)] = &[
    ("no-route", 1, 0),
    ("communication-prohibited", 1, 1),
    ("address-unreachable", 1, 3),
    ("port-unreachable", 1, 4),
    ("packet-too-big", 2, 0),
    ("ttl-zero-during-transit", 3, 0),
    ("ttl-zero-during-reassembly", 3, 1),
    ("bad-header", 4, 0),
    ("unknown-header-type", 4, 1),
    ("unknown-option", 4, 2),
    ("echo-request", 128, 0),
    ("echo-reply", 129, 0),
];

/// Protocol names ipset prints and reads (`getprotobyname`).
pub(super) const PROTOS: &[(&str, u8)] = &[
    ("tcp", 6),
    ("udp", 17),
    ("sctp", 132),
    ("udplite", 136),
    ("icmp", 1),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
];

/// `[proto:]port[-port]` (ipset `ipset_parse_proto_port`): ports of one
/// protocol, as (port, proto) pairs.
fn parse_proto_port(s: &str, fam: SetFamily) -> R<Vec<(u16, u8)>> {
    let (proto, rest) = match s.split_once(':') {
        Some((p, r)) => {
            let n = PROTOS
                .iter()
                .find(|(n, _)| *n == p)
                .map(|x| x.1)
                .or_else(|| p.parse::<u8>().ok())
                .ok_or_else(|| format!("Syntax error: cannot parse '{p}' as a protocol"))?;
            (n, r)
        }
        None => (6, s),
    };
    match proto {
        1 | 58 => {
            if (proto == 1) != (fam != SetFamily::Inet6) {
                return Err(format!(
                    "Syntax error: protocol {} can be used with {} only",
                    if proto == 1 { "ICMP" } else { "ICMPv6" },
                    if proto == 1 {
                        "family inet"
                    } else {
                        "family inet6"
                    }
                ));
            }
            let names = if proto == 1 { ICMP_NAMES } else { ICMPV6_NAMES };
            let (t, c) = if let Some(&(_, t, c)) = names.iter().find(|(n, _, _)| *n == rest) {
                (t, c)
            } else if rest == "ping" {
                if proto == 1 {
                    (8, 0)
                } else {
                    (128, 0)
                }
            } else if rest == "pong" {
                if proto == 1 {
                    (0, 0)
                } else {
                    (129, 0)
                }
            } else {
                let (t, c) = rest.split_once('/').ok_or_else(|| {
                    format!("Syntax error: cannot parse {rest} as ICMP type/code")
                })?;
                (
                    t.parse::<u8>().map_err(|_| {
                        format!("Syntax error: cannot parse {rest} as ICMP type/code")
                    })?,
                    c.parse::<u8>().map_err(|_| {
                        format!("Syntax error: cannot parse {rest} as ICMP type/code")
                    })?,
                )
            };
            Ok(vec![((u16::from(t) << 8) | u16::from(c), proto)])
        }
        6 | 17 | 132 | 136 => {
            let (a, b) = port_range(rest)?;
            Ok((a..=b).map(|p| (p, proto)).collect())
        }
        _ => {
            if rest != "0" {
                return Err(format!(
                    "Syntax error: Protocol {proto} has no port, so the value must be 0"
                ));
            }
            if proto == 0 {
                return Err("Syntax error: Protocol 0 is not allowed".into());
            }
            Ok(vec![(0, proto)])
        }
    }
}

/// Addresses of an `IP`, `IP/cidr` or `A-B` element part: `(addr, cidr)`
/// pairs. `net`: prefixes are kept (hash:net types); otherwise expanded
/// to hosts.
fn parse_addrs(s: &str, fam: SetFamily, net: bool, allow_zero: bool) -> R<Vec<([u8; 16], u8)>> {
    let host = fam.host_mask();
    if fam == SetFamily::Inet6 {
        if s.contains('-') {
            return Err("Syntax error: IPv6 ranges are not supported".into());
        }
        let (a, c) = match s.split_once('/') {
            Some((a, c)) => (
                a,
                num(c, "cidr", 128).map_err(|_| {
                    "The value of the CIDR parameter of the IP address is invalid".to_string()
                })? as u8,
            ),
            None => (s, 128),
        };
        if (c == 0 && !allow_zero) || (!net && c != 128) {
            return Err("The value of the CIDR parameter of the IP address is invalid".into());
        }
        let mut ip = parse_ip(a, fam)?;
        mask(&mut ip, c, host);
        return Ok(vec![(ip, c)]);
    }
    let (first, last, cidr) = v4_range(s)?;
    if let Some(c) = cidr {
        if c == 0 && !allow_zero {
            return Err("The value of the CIDR parameter of the IP address is invalid".into());
        }
        if net {
            let mut ip = [0u8; 16];
            ip[..4].copy_from_slice(&first.to_be_bytes());
            return Ok(vec![(ip, c)]);
        }
    }
    if u64::from(last - first) + 1 > MAX_EXPAND {
        return Err(format!(
            "nfsim: a range of more than {MAX_EXPAND} elements in one add line"
        ));
    }
    let mut out = Vec::new();
    if net {
        // ip_set_range_to_cidr: the largest prefixes covering the range.
        let mut a = u64::from(first);
        let last = u64::from(last);
        while a <= last {
            let mut c = 0u8;
            loop {
                let size = 1u64 << (32 - c);
                if a % size == 0 && a + size - 1 <= last {
                    break;
                }
                c += 1;
            }
            let mut ip = [0u8; 16];
            ip[..4].copy_from_slice(&(a as u32).to_be_bytes());
            out.push((ip, c.max(1)));
            a += 1u64 << (32 - c);
        }
    } else {
        for a in first..=last {
            let mut ip = [0u8; 16];
            ip[..4].copy_from_slice(&a.to_be_bytes());
            out.push((ip, 32));
        }
    }
    Ok(out)
}

/// One `add` line's element(s) for a set of `set`'s type (the type's
/// `uadt`).
fn parse_elem(set: &IpSet, s: &str) -> R<Vec<Elem>> {
    let fam = set.family;
    let host = fam.host_mask();
    let parts: Vec<&str> = match set.kind {
        SetType::HashMac | SetType::BitmapPort => vec![s],
        // An IPv6 address has no commas; split on them.
        _ => s.split(',').collect(),
    };
    if parts.len() != set.kind.dimension() {
        return Err(format!(
            "Syntax error: cannot parse {s}: wrong number of element parts for {}",
            set.kind.name()
        ));
    }
    let mut out = vec![Elem::default()];
    for (i, d) in set.kind.dims().iter().enumerate() {
        let p = parts[i];
        let mut next = Vec::new();
        match d {
            super::Dim::Ip | super::Dim::Net | super::Dim::Ip2 | super::Dim::Net2 => {
                let net = matches!(d, super::Dim::Net | super::Dim::Net2);
                let allow_zero = set.kind == SetType::HashNetIface;
                let addrs = parse_addrs(p, fam, net, allow_zero)?;
                for e in &out {
                    for (a, c) in &addrs {
                        let mut e = *e;
                        let mut a = *a;
                        if matches!(d, super::Dim::Ip | super::Dim::Net) {
                            if let Some(nm) = set.opts.netmask {
                                mask(&mut a, nm, host);
                            }
                            e.ip = a;
                            e.cidr = *c;
                        } else {
                            e.ip2 = a;
                            e.cidr2 = *c;
                        }
                        if set.kind == SetType::BitmapIp {
                            let v = u32::from_be_bytes([a[0], a[1], a[2], a[3]]);
                            if v < set.opts.range.0 || v > set.opts.range.1 {
                                return Err("Element is out of the range of the set".into());
                            }
                        }
                        if !next.contains(&e) {
                            next.push(e);
                        }
                    }
                }
            }
            super::Dim::Port => {
                let ports = if set.kind == SetType::BitmapPort {
                    let rest = p
                        .strip_prefix("tcp:")
                        .or_else(|| p.strip_prefix("udp:"))
                        .unwrap_or(p);
                    let (a, b) = port_range(rest)?;
                    if u32::from(a) < set.opts.range.0 || u32::from(b) > set.opts.range.1 {
                        return Err("Element is out of the range of the set".into());
                    }
                    (a..=b).map(|x| (x, 0)).collect()
                } else {
                    parse_proto_port(p, fam)?
                };
                for e in &out {
                    for (port, proto) in &ports {
                        let mut e = *e;
                        e.port = *port;
                        e.proto = *proto;
                        next.push(e);
                    }
                }
            }
            super::Dim::Iface => {
                if p.starts_with("physdev:") {
                    return Err("nfsim: physdev: elements (bridge ports) are not modelled".into());
                }
                if p.is_empty() || p.len() > 15 {
                    return Err(format!(
                        "Syntax error: cannot parse {p} as an interface name"
                    ));
                }
                for e in &out {
                    let mut e = *e;
                    e.iface = iface_key(p.as_bytes());
                    next.push(e);
                }
            }
            super::Dim::Mac => {
                let b: Vec<u8> = p
                    .split(':')
                    .map(|x| u8::from_str_radix(x, 16))
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("Syntax error: cannot parse {p} as ethernet address"))?;
                if b.len() != 6 || p.split(':').any(|x| x.is_empty() || x.len() > 2) {
                    return Err(format!(
                        "Syntax error: cannot parse {p} as ethernet address"
                    ));
                }
                if b.iter().all(|x| *x == 0) {
                    return Err("Syntax error: zero valued element is not supported".into());
                }
                for e in &out {
                    let mut e = *e;
                    e.mac.copy_from_slice(&b);
                    next.push(e);
                }
            }
            super::Dim::Set => {}
        }
        if next.len() as u64 > MAX_EXPAND {
            return Err(format!(
                "nfsim: more than {MAX_EXPAND} elements in one add line"
            ));
        }
        out = next;
    }
    Ok(out)
}
