//! `-m sctp` (net/netfilter/xt_sctp.c, extensions/libxt_sctp.c).

use core::fmt;

use super::ports::parse_port;
use super::ports::save_given_range;
use crate::model::ext::{ids, options};
use crate::model::ext::{Args, CheckCtx, Extension, OptSpec};
use crate::model::opt::{bad_id, require_proto, write_inv};

/// `sctp_chunk_names` (libxt_sctp.c): name, chunk type, flag letters
/// (bit 7 first).
pub const CHUNK_NAMES: [(&str, u8, &str); 22] = [
    ("DATA", 0, "----IUBE"),
    ("INIT", 1, "--------"),
    ("INIT_ACK", 2, "--------"),
    ("SACK", 3, "--------"),
    ("HEARTBEAT", 4, "--------"),
    ("HEARTBEAT_ACK", 5, "--------"),
    ("ABORT", 6, "-------T"),
    ("SHUTDOWN", 7, "--------"),
    ("SHUTDOWN_ACK", 8, "--------"),
    ("ERROR", 9, "--------"),
    ("COOKIE_ECHO", 10, "--------"),
    ("COOKIE_ACK", 11, "--------"),
    ("ECN_ECNE", 12, "--------"),
    ("ECN_CWR", 13, "--------"),
    ("SHUTDOWN_COMPLETE", 14, "-------T"),
    ("I_DATA", 64, "----IUBE"),
    ("RE_CONFIG", 130, "--------"),
    ("PAD", 132, "--------"),
    ("ASCONF", 193, "--------"),
    ("ASCONF_ACK", 128, "--------"),
    ("FORWARD_TSN", 192, "--------"),
    ("I_FORWARD_TSN", 194, "--------"),
];

/// Most chunk types with flag tests (`XT_NUM_SCTP_FLAGS`).
pub const NUM_SCTP_FLAGS: usize = 4;

/// How the chunk map is applied (`SCTP_CHUNK_MATCH_*`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p sctp -m sctp --chunk-types only INIT\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// use nfsim::model::matches::sctp::ChunkMatch;
/// assert!(matches!(&r.matches[0], Match::Sctp(s) if s.chunks.as_ref().is_some_and(|c| c.match_type == ChunkMatch::Only && c.has(1))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkMatch {
    /// `any`: at least one listed chunk present.
    Any,
    /// `all`: every listed chunk present.
    All,
    /// `only`: no chunk outside the list present.
    Only,
}

/// A flag test on one chunk type (`struct xt_sctp_flag_info`).
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p sctp -m sctp --chunk-types any DATA:Be\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Sctp(s) if s.chunks.as_ref().is_some_and(|c| c.flags.len() == 1 && c.flags[0].chunktype == 0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkFlags {
    /// The chunk type the kernel compares with. NB: libxt_sctp.c stores the
    /// index into its name table here, not the chunk type; they agree for
    /// DATA, ABORT and SHUTDOWN_COMPLETE (the chunks with flags) but not for
    /// I_DATA (index 15, type 64). nfsim keeps what iptables puts in the
    /// kernel.
    pub chunktype: u8,
    /// Required flag values.
    pub flag: u8,
    /// Which flags are tested.
    pub flag_mask: u8,
}

/// `--chunk-types MATCH LIST`.
///
/// ```
/// use nfsim::model::*;
/// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p sctp -m sctp ! --chunk-types all INIT,INIT_ACK\nCOMMIT\n",
///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
/// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
/// assert!(matches!(&r.matches[0], Match::Sctp(s) if s.chunks.as_ref().is_some_and(|c| c.invert && c.has(1) && c.has(2) && !c.has(0))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunks {
    /// any / all / only.
    pub match_type: ChunkMatch,
    /// Bit per chunk type (`chunkmap`, bit `t % 32` of word `t / 32`).
    pub map: [u32; 8],
    /// Flag tests, at most [`NUM_SCTP_FLAGS`].
    pub flags: Vec<ChunkFlags>,
    /// `! --chunk-types`
    pub invert: bool,
}

impl Chunks {
    /// Whether chunk type `t` is in the map.
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -p sctp -m sctp --chunk-types any ABORT\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
    /// assert!(matches!(&r.matches[0], Match::Sctp(s) if s.chunks.as_ref().is_some_and(|c| c.has(6) && !c.has(7))));
    /// ```
    pub fn has(&self, t: u8) -> bool {
        self.map[usize::from(t / 32)] & (1 << (t % 32)) != 0
    }
}

/// `-m sctp`: ports and chunk types (`struct xt_sctp_info`). Ports given are
/// printed even when they cover everything.
///
/// ```
/// use nfsim::model::matches::sctp::Sctp;
/// assert!(Sctp::default().dports.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sctp {
    /// `--sport` range and invert flag.
    pub sports: Option<((u16, u16), bool)>,
    /// `--dport` range and invert flag.
    pub dports: Option<((u16, u16), bool)>,
    /// `--chunk-types`.
    pub chunks: Option<Chunks>,
}

ids!(O_SPORT, O_DPORT, O_CHUNKS);

options! {
    OPTS =
    O_SPORT "source-port" arg inv multi, O_SPORT "sport" arg inv multi,
    O_DPORT "destination-port" arg inv multi, O_DPORT "dport" arg inv multi,
    O_CHUNKS "chunk-types" arg inv multi,
}

/// `parse_sctp_ports`.
fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    match s.split_once(':') {
        None => {
            let p = parse_port(s, "sctp")?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let lo = if a.is_empty() {
                0
            } else {
                parse_port(a, "sctp")?
            };
            let hi = if b.is_empty() {
                0xffff
            } else {
                parse_port(b, "sctp")?
            };
            if lo > hi {
                return Err("invalid portrange (min > max)".into());
            }
            Ok((lo, hi))
        }
    }
}

/// `parse_sctp_chunks` / `parse_sctp_chunk`.
fn parse_chunks(match_type: &str, list: &str, invert: bool) -> Result<Chunks, String> {
    let match_type = if match_type.eq_ignore_ascii_case("ANY") {
        ChunkMatch::Any
    } else if match_type.eq_ignore_ascii_case("ALL") {
        ChunkMatch::All
    } else if match_type.eq_ignore_ascii_case("ONLY") {
        ChunkMatch::Only
    } else {
        return Err("Match type has to be one of \"ALL\", \"ANY\" or \"ONLY\"".into());
    };
    let mut c = Chunks {
        match_type,
        map: [0; 8],
        flags: Vec::new(),
        invert,
    };
    if list.eq_ignore_ascii_case("ALL") {
        c.map = [u32::MAX; 8];
        return Ok(c);
    }
    if list.eq_ignore_ascii_case("NONE") {
        return Ok(c);
    }
    for item in list.split(',').filter(|s| !s.is_empty()) {
        let (name, flags) = match item.split_once(':') {
            Some((n, f)) => (n, Some(f)),
            None => (item, None),
        };
        let (idx, &(_, t, valid)) = CHUNK_NAMES
            .iter()
            .enumerate()
            .find(|(_, (n, _, _))| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("Unknown sctp chunk `{name}'"))?;
        c.map[usize::from(t / 32)] |= 1 << (t % 32);
        for ch in flags.unwrap_or("").chars() {
            let up = ch.to_ascii_uppercase();
            let pos = valid
                .find(up)
                .ok_or_else(|| format!("Invalid flags for chunk type {idx}"))?;
            let bit = 1u8 << (7 - pos);
            let entry = match c.flags.iter_mut().position(|f| f.chunktype as usize == idx) {
                Some(i) => &mut c.flags[i],
                None => {
                    if c.flags.len() == NUM_SCTP_FLAGS {
                        return Err("Number of chunk types with flags exceeds currently allowed limit. Increasing this limit involves changing IPT_NUM_SCTP_FLAGS and recompiling both the kernel space and user space modules".into());
                    }
                    c.flags.push(ChunkFlags {
                        chunktype: idx as u8,
                        flag: 0,
                        flag_mask: 0,
                    });
                    let last = c.flags.len() - 1;
                    &mut c.flags[last]
                }
            };
            entry.flag_mask |= bit;
            if ch.is_ascii_uppercase() {
                entry.flag |= bit;
            }
        }
    }
    Ok(c)
}

impl Sctp {
    /// Whether the engine's `sctp_mt` models this rule exactly: with
    /// `! --chunk-types` a hot-dropping chunk walk makes the match *true*
    /// while the packet is still dropped, which the engine cannot express.
    pub(crate) fn evaluable(&self) -> bool {
        self.chunks.as_ref().is_none_or(|c| !c.invert)
    }
}

impl Extension for Sctp {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        // libxt_sctp.c sctp_parse: old-style parser with its own "only one" checks.
        match args.id {
            O_SPORT => {
                if self.sports.is_some() {
                    return Err("Only one `--source-port' allowed".into());
                }
                self.sports = Some((parse_ports(args.required("sctp", "sport")?)?, args.invert));
            }
            O_DPORT => {
                if self.dports.is_some() {
                    return Err("Only one `--destination-port' allowed".into());
                }
                self.dports = Some((parse_ports(args.required("sctp", "dport")?)?, args.invert));
            }
            O_CHUNKS => {
                if self.chunks.is_some() {
                    return Err("Only one `--chunk-types' allowed".into());
                }
                let m = args.required("sctp", "chunk-types")?;
                let list = args.next_word().ok_or("--chunk-types requires two args")?;
                self.chunks = Some(parse_chunks(m, &list, args.invert)?);
            }
            _ => return bad_id(),
        }
        Ok(())
    }
    fn check(&self, ctx: &CheckCtx) -> Result<(), String> {
        // xt_sctp.c: sctp_mt_reg has .proto = IPPROTO_SCTP.
        require_proto(ctx, 132, "sctp match")
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        save_given_range(f, "sport", self.sports)?;
        save_given_range(f, "dport", self.dports)?;
        let Some(c) = &self.chunks else {
            return Ok(());
        };
        write_inv(f, c.invert)?;
        f.write_str(" --chunk-types")?;
        f.write_str(match c.match_type {
            ChunkMatch::Any => " any",
            ChunkMatch::All => " all",
            ChunkMatch::Only => " only",
        })?;
        if c.map == [0; 8] {
            return f.write_str(" NONE");
        }
        if c.map == [u32::MAX; 8] {
            return f.write_str(" ALL");
        }
        // print_chunks
        let mut first = true;
        for t in 0..=255u8 {
            if !c.has(t) {
                continue;
            }
            f.write_str(if first { " " } else { "," })?;
            first = false;
            for (n, ct, _) in CHUNK_NAMES {
                if ct == t {
                    f.write_str(n)?;
                }
            }
            for fl in c.flags.iter().filter(|fl| fl.chunktype == t) {
                // print_chunk_flags indexes the name table with the chunk type.
                let Some((_, _, valid)) = CHUNK_NAMES.get(usize::from(t)) else {
                    continue;
                };
                if fl.flag_mask != 0 {
                    f.write_str(":")?;
                }
                for i in (0..8).rev() {
                    if fl.flag_mask & (1 << i) == 0 {
                        continue;
                    }
                    let ch = valid.as_bytes().get(7 - i).copied().unwrap_or(b'-') as char;
                    if fl.flag & (1 << i) != 0 {
                        write!(f, "{ch}")?;
                    } else {
                        write!(f, "{}", ch.to_ascii_lowercase())?;
                    }
                }
            }
        }
        Ok(())
    }
}
