//! `-j LOG` (extensions/libxt_LOG.c; kernel net/netfilter/xt_LOG.c).

use core::fmt;

use crate::model::ext::options;
use crate::model::ext::{Args, Extension, OptSpec};
use crate::model::opt::{bad_id, put_string, save_string, strtoui};

bitflags::bitflags! {
    /// `XT_LOG_*` flags (include/uapi/linux/netfilter/xt_LOG.h).
    ///
    /// ```
    /// use nfsim::model::*;
    /// let rs = nfsim::syntax::parse_restore("*filter\n-A INPUT -j LOG --log-tcp-sequence --log-ip-options\nCOMMIT\n",
    ///     &nfsim::syntax::RestoreOptions::new(Family::Ipv4)).unwrap();
    /// let r = &rs.table(TableKind::Filter).unwrap().chain("INPUT").unwrap().rules[0];
    /// use nfsim::model::targets::log::LogFlags;
    /// assert!(matches!(&r.verdict, Verdict::Ext(Target::Log(l)) if l.flags == LogFlags::TCPSEQ | LogFlags::IPOPT));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LogFlags: u8 {
        /// `--log-tcp-sequence`
        const TCPSEQ = 0x01;
        /// `--log-tcp-options`
        const TCPOPT = 0x02;
        /// `--log-ip-options`
        const IPOPT = 0x04;
        /// `--log-uid`
        const UID = 0x08;
        /// `--log-macdecode`
        const MACDECODE = 0x20;
    }
}

/// The syslog level LOG uses when none is given (`LOG_WARNING`).
pub const LOG_DEFAULT_LEVEL: u8 = 4;

/// Longest prefix the kernel stores (`char prefix[30]`, NUL included).
pub const LOG_PREFIX_MAX: usize = 29;

/// `-j LOG`: kernel logging of matching packets.
///
/// ```
/// use nfsim::model::targets::log::{Log, LogFlags};
/// let l = Log { level: 4, flags: LogFlags::UID, prefix: "x: ".into() };
/// assert!(l.flags.contains(LogFlags::UID));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Syslog level 0..=7.
    pub level: u8,
    /// What to log besides the headers.
    pub flags: LogFlags,
    /// Prefix (at most [`LOG_PREFIX_MAX`] bytes).
    pub prefix: crate::model::ByteStr,
}

const TCPSEQ: u8 = 0;
const TCPOPTS: u8 = 1;
const IPOPTS: u8 = 2;
const UID: u8 = 3;
const MAC: u8 = 5;
const LEVEL: u8 = 6;
const PREFIX: u8 = 7;

options! {
    OPTS =
    LEVEL "log-level" arg, PREFIX "log-prefix" arg, TCPSEQ "log-tcp-sequence" flag,
    TCPOPTS "log-tcp-options" flag, IPOPTS "log-ip-options" flag, UID "log-uid" flag,
    MAC "log-macdecode" flag,
}

/// `xtopt_parse_sysloglevel` (libxtables/xtoptions.c): 0..=7 or a name.
pub(crate) fn parse_syslog_level(s: &str) -> Result<u8, String> {
    if let Some(v) = strtoui(s, 0, 7) {
        return Ok(v as u8);
    }
    const NAMES: [(&str, u8); 9] = [
        ("alert", 1),
        ("crit", 2),
        ("debug", 7),
        ("emerg", 0),
        ("error", 3),
        ("info", 6),
        ("notice", 5),
        ("panic", 0),
        ("warning", 4),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("log level \"{s}\" unknown\n"))
}

impl Default for Log {
    fn default() -> Self {
        Log {
            level: LOG_DEFAULT_LEVEL,
            flags: LogFlags::empty(),
            prefix: crate::model::ByteStr::new(),
        }
    }
}

impl Extension for Log {
    const OPTIONS: &'static [OptSpec] = &OPTS;
    fn parse(&mut self, args: &mut Args<'_>) -> Result<(), String> {
        match args.id {
            LEVEL => self.level = parse_syslog_level(args.required("LOG", "log-level")?)?,
            PREFIX => {
                let s = args.required_bytes("LOG", "log-prefix")?;
                // XTTYPE_STRING with .min = 1, stored into char[30].
                let p = put_string(s, 1, 0, LOG_PREFIX_MAX + 1)?;
                if s.contains(&b'\n') {
                    return Err("Newlines not allowed in --log-prefix".into());
                }
                self.prefix = p;
            }
            TCPSEQ | TCPOPTS | IPOPTS | UID | MAC => {
                self.flags |= LogFlags::from_bits_truncate(1 << args.id);
            }
            _ => bad_id()?,
        }
        Ok(())
    }
    fn save(&self, f: &mut crate::model::ext::SaveBuf) -> fmt::Result {
        if !self.prefix.is_empty() {
            f.write_str(" --log-prefix")?;
            save_string(f, &self.prefix)?;
        }
        if self.level != LOG_DEFAULT_LEVEL {
            write!(f, " --log-level {}", self.level)?;
        }
        for (flag, name) in [
            (LogFlags::TCPSEQ, "tcp-sequence"),
            (LogFlags::TCPOPT, "tcp-options"),
            (LogFlags::IPOPT, "ip-options"),
            (LogFlags::UID, "uid"),
            (LogFlags::MACDECODE, "macdecode"),
        ] {
            if self.flags.contains(flag) {
                write!(f, " --log-{name}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn parse_syslog_level_example() {
        use crate::model::targets::log::parse_syslog_level;
        assert_eq!(parse_syslog_level("alert"), Ok(1));
        assert_eq!(parse_syslog_level("7"), Ok(7));
        assert!(parse_syslog_level("8").is_err());
    }
}
