//! Conntrack configuration: the `net.netfilter.nf_conntrack_*` sysctls.
//!
//! Defaults are those of a Linux 6.x kernel (`nf_conntrack_tcp_init_net` in
//! `net/netfilter/nf_conntrack_proto_tcp.c`, `udp_timeouts` in
//! `nf_conntrack_proto_udp.c`, `nf_ct_icmp_timeout` in
//! `nf_conntrack_proto_icmp.c`, `nf_ct_icmpv6_timeout` in
//! `nf_conntrack_proto_icmpv6.c`, `nf_ct_generic_timeout` in
//! `nf_conntrack_proto_generic.c`, `nf_conntrack_init_start` in
//! `nf_conntrack_core.c` for the table size).

use core::fmt;

use crate::time::Duration;

/// Index of a TCP timeout in [`Config::tcp_timeouts`], as the kernel's
/// `enum tcp_conntrack` (plus `RETRANS` and `UNACK`).
pub(crate) const TCP_TIMEOUT_RETRANS: usize = 10;
pub(crate) const TCP_TIMEOUT_UNACK: usize = 11;

/// Connection tracking settings.
///
/// Build it with [`Config::default`] and adjust it with [`Config::set`], which
/// takes the sysctl names and values as a trace file lists them.
///
/// # Examples
///
/// ```
/// use nfsim::conntrack::Config;
/// use nfsim::time::Duration;
/// let mut cfg = Config::default();
/// assert!(cfg.set("net.netfilter.nf_conntrack_udp_timeout", 2).unwrap());
/// assert_eq!(cfg.udp_timeout, Duration::from_secs(2));
/// assert!(!cfg.set("net.ipv4.ip_forward", 1).unwrap()); // not a conntrack sysctl
/// assert!(cfg.set("net.netfilter.nf_conntrack_bogus", 1).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `nf_conntrack_max`: the most entries (confirmed and unconfirmed) the
    /// table holds; 0 is no limit. Nothing is reserved for it: the table
    /// grows with the entries it holds, as the kernel's slab does.
    pub max: u32,
    /// `nf_conntrack_buckets`: number of hash buckets (the kernel's
    /// `nf_conntrack_htable_size`), which define the `early_drop` scan;
    /// 1 to [`MAX_BUCKETS`]. [`Config::set`] rounds it up as the kernel
    /// does; nfsim does not allocate the buckets, only chains for the
    /// entries it holds.
    pub buckets: u32,
    /// `nf_conntrack_checksum`: verify L4 checksums in PREROUTING.
    pub checksum: bool,
    /// TCP timeouts indexed like the kernel's `tcp_timeouts[]`:
    /// 0 unused (NONE), 1 SYN_SENT, 2 SYN_RECV, 3 ESTABLISHED, 4 FIN_WAIT,
    /// 5 CLOSE_WAIT, 6 LAST_ACK, 7 TIME_WAIT, 8 CLOSE, 9 SYN_SENT2,
    /// 10 max_retrans, 11 unacknowledged.
    pub tcp_timeouts: [Duration; 12],
    /// `nf_conntrack_tcp_loose`: pick up connections in the middle.
    pub tcp_loose: bool,
    /// `nf_conntrack_tcp_be_liberal`: only out-of-window RSTs are INVALID.
    pub tcp_be_liberal: bool,
    /// `nf_conntrack_tcp_ignore_invalid_rst`: do not mark out-of-window RSTs INVALID.
    pub tcp_ignore_invalid_rst: bool,
    /// `nf_conntrack_tcp_max_retrans`.
    pub tcp_max_retrans: u32,
    /// `nf_conntrack_udp_timeout` (unreplied).
    pub udp_timeout: Duration,
    /// `nf_conntrack_udp_timeout_stream` (replied, after 2 s).
    pub udp_timeout_stream: Duration,
    /// `nf_conntrack_icmp_timeout`.
    pub icmp_timeout: Duration,
    /// `nf_conntrack_icmpv6_timeout`.
    pub icmpv6_timeout: Duration,
    /// `nf_conntrack_generic_timeout`.
    pub generic_timeout: Duration,
    /// SCTP timeouts indexed by state (`sctp_timeouts[]`): 0 unused (NONE,
    /// mirrors CLOSED), 1 CLOSED, 2 COOKIE_WAIT, 3 COOKIE_ECHOED,
    /// 4 ESTABLISHED, 5 SHUTDOWN_SENT, 6 SHUTDOWN_RECD, 7 SHUTDOWN_ACK_SENT,
    /// 8 HEARTBEAT_SENT.
    pub sctp_timeouts: [Duration; 9],
    /// `nf_conntrack_gre_timeout` (unreplied).
    pub gre_timeout: Duration,
    /// `nf_conntrack_gre_timeout_stream` (replied).
    pub gre_timeout_stream: Duration,
    /// `nf_conntrack_acct`: count packets and bytes per direction (shown
    /// as `packets=` / `bytes=` in `/proc/net/nf_conntrack`, read by
    /// [`ConntrackTable::counters`](super::ConntrackTable::counters) and
    /// `-m connbytes`). Off, nothing is counted, as the kernel's entries
    /// then have no accounting extension.
    pub acct: bool,
    /// Sysctls that are accepted and kept but change nothing the model
    /// computes (events, invalid-packet logging, the expectation limit,
    /// IPv6 reassembly limits; `nf_conntrack_helper` = 0): name and value.
    pub inert: Vec<(&'static str, i64)>,
    /// Seed of the table's hash function (the kernel seeds it at random; it
    /// only influences which entries `early_drop` considers).
    pub hash_seed: u32,
}

/// What went wrong in [`Config::set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A `net.netfilter.nf_conntrack_*` name the kernel does not have.
    Unknown,
    /// A sysctl the kernel has, but for a part nfsim does not model
    /// ( `nf_conntrack_timestamp` would add `delta-time=` to `/proc`;
    /// `nf_conntrack_helper=1` would attach helpers automatically).
    Unsupported,
    /// A value out of the range the kernel accepts (or read-only sysctl).
    BadValue,
    /// A size the kernel refuses to allocate (`-ENOMEM`): an
    /// `nf_conntrack_buckets` above [`MAX_BUCKETS`].
    NoMemory,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::Unknown => "unknown conntrack sysctl",
            ConfigError::Unsupported => "conntrack sysctl not supported by nfsim",
            ConfigError::BadValue => "invalid value for conntrack sysctl",
            ConfigError::NoMemory => {
                "hash table too large: the kernel refuses to allocate it (ENOMEM); \
                 nf_conntrack_buckets is at most 268434944"
            }
        })
    }
}

impl std::error::Error for ConfigError {}

/// The most `nf_conntrack_buckets` a kernel allocates:
/// `nf_ct_alloc_hashtable` (net/netfilter/nf_conntrack_core.c, Linux 6.18)
/// refuses more than `INT_MAX / sizeof(struct hlist_nulls_head)` buckets
/// (268435455 on 64-bit) before and after rounding the size up to a page
/// of heads (512 with 4 KiB pages): the largest size it takes is
/// 524286 pages of heads. (Checked on Linux 6.18: writing 2147483647 or
/// 268435456 to `nf_conntrack_buckets` fails with "Cannot allocate
/// memory".)
pub const MAX_BUCKETS: u32 = (i32::MAX as u32 / 8) / BUCKETS_PER_PAGE * BUCKETS_PER_PAGE;

/// `PAGE_SIZE / sizeof(struct hlist_nulls_head)` on x86-64.
const BUCKETS_PER_PAGE: u32 = 512;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // nf_conntrack_init_start: 64-bit host with more than 4 GiB of RAM.
            max: 262_144,
            buckets: 262_144,
            checksum: true,
            tcp_timeouts: [
                secs(120),        // NONE: kernel sets timeouts[0] = SYN_SENT
                secs(120),        // SYN_SENT
                secs(60),         // SYN_RECV
                secs(5 * 86_400), // ESTABLISHED
                secs(120),        // FIN_WAIT
                secs(60),         // CLOSE_WAIT
                secs(30),         // LAST_ACK
                secs(120),        // TIME_WAIT
                secs(10),         // CLOSE
                secs(120),        // SYN_SENT2
                secs(300),        // RETRANS
                secs(300),        // UNACK
            ],
            tcp_loose: true,
            tcp_be_liberal: false,
            tcp_ignore_invalid_rst: false,
            tcp_max_retrans: 3,
            udp_timeout: secs(30),
            udp_timeout_stream: secs(120),
            icmp_timeout: secs(30),
            icmpv6_timeout: secs(30),
            generic_timeout: secs(600),
            sctp_timeouts: [
                secs(10),
                secs(10),
                secs(3),
                secs(3),
                secs(210),
                secs(3),
                secs(3),
                secs(3),
                secs(30),
            ],
            gre_timeout: secs(30),
            gre_timeout_stream: secs(180),
            acct: false,
            inert: Vec::new(),
            hash_seed: 0x9e37_79b9,
        }
    }
}

/// Sysctls accepted but without effect on the model.
const INERT: &[&str] = &[
    "nf_conntrack_events",
    "nf_conntrack_log_invalid",
    "nf_conntrack_expect_max",
    "nf_conntrack_frag6_timeout",
    "nf_conntrack_frag6_low_thresh",
    "nf_conntrack_frag6_high_thresh",
];

impl Config {
    /// A small table for tests and examples: `max` entries, `max` buckets.
    pub fn with_max(max: u32) -> Self {
        Config {
            max,
            buckets: max.max(1),
            ..Config::default()
        }
    }

    /// Applies one sysctl. `name` is the full dotted name
    /// (`net.netfilter.nf_conntrack_tcp_loose`, or `net.nf_conntrack_max`),
    /// `value` the integer written to it; timeouts are in seconds as in
    /// `/proc/sys`.
    ///
    /// Returns `Ok(false)` for a name outside `net.netfilter.nf_conntrack_*`
    /// (not this layer's business), `Ok(true)` when applied.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Unknown`] for a `net.netfilter.nf_conntrack_*` name the
    /// kernel does not have, [`ConfigError::Unsupported`] for
    /// `nf_conntrack_timestamp` / `nf_conntrack_helper` set to 1, [`ConfigError::BadValue`] for a negative or
    /// out-of-range value or a read-only sysctl (`nf_conntrack_count`).
    pub fn set(&mut self, name: &str, value: i64) -> Result<bool, ConfigError> {
        let short = if name == "net.nf_conntrack_max" {
            "nf_conntrack_max"
        } else if let Some(s) = name.strip_prefix("net.netfilter.") {
            if !s.starts_with("nf_conntrack_") {
                return Ok(false);
            }
            s
        } else {
            return Ok(false);
        };
        // proc_dointvec: an int. Negative values are accepted by some
        // kernel handlers, but none is meaningful here.
        if value < 0 || value > i64::from(i32::MAX) {
            return Err(ConfigError::BadValue);
        }
        let v = value as u64;
        let as_bool = value != 0;
        let t = secs(v);
        match short {
            "nf_conntrack_max" => self.max = v as u32,
            // nf_conntrack_hash_sysctl -> nf_conntrack_hash_resize: 0 is
            // -EINVAL; nf_ct_alloc_hashtable rounds the size up to a page
            // of heads (checked on Linux 6.18: 261633 reads back 262144)
            // and refuses what exceeds MAX_BUCKETS (-ENOMEM).
            "nf_conntrack_buckets" => {
                if v == 0 {
                    return Err(ConfigError::BadValue);
                }
                let rounded = v.div_ceil(u64::from(BUCKETS_PER_PAGE)) * u64::from(BUCKETS_PER_PAGE);
                if rounded > u64::from(MAX_BUCKETS) {
                    return Err(ConfigError::NoMemory);
                }
                self.buckets = rounded as u32
            }
            "nf_conntrack_count" => return Err(ConfigError::BadValue),
            "nf_conntrack_checksum" => self.checksum = as_bool,
            "nf_conntrack_tcp_timeout_syn_sent" => {
                self.tcp_timeouts[1] = t;
                // nf_conntrack_tcp_init_net: timeouts[0] mirrors SYN_SENT.
                self.tcp_timeouts[0] = t;
            }
            "nf_conntrack_tcp_timeout_syn_recv" => self.tcp_timeouts[2] = t,
            "nf_conntrack_tcp_timeout_established" => self.tcp_timeouts[3] = t,
            "nf_conntrack_tcp_timeout_fin_wait" => self.tcp_timeouts[4] = t,
            "nf_conntrack_tcp_timeout_close_wait" => self.tcp_timeouts[5] = t,
            "nf_conntrack_tcp_timeout_last_ack" => self.tcp_timeouts[6] = t,
            "nf_conntrack_tcp_timeout_time_wait" => self.tcp_timeouts[7] = t,
            "nf_conntrack_tcp_timeout_close" => self.tcp_timeouts[8] = t,
            "nf_conntrack_tcp_timeout_max_retrans" => self.tcp_timeouts[TCP_TIMEOUT_RETRANS] = t,
            "nf_conntrack_tcp_timeout_unacknowledged" => self.tcp_timeouts[TCP_TIMEOUT_UNACK] = t,
            "nf_conntrack_tcp_loose" => self.tcp_loose = as_bool,
            "nf_conntrack_tcp_be_liberal" => self.tcp_be_liberal = as_bool,
            "nf_conntrack_tcp_ignore_invalid_rst" => self.tcp_ignore_invalid_rst = as_bool,
            "nf_conntrack_tcp_max_retrans" => self.tcp_max_retrans = v as u32,
            "nf_conntrack_udp_timeout" => self.udp_timeout = t,
            "nf_conntrack_udp_timeout_stream" => self.udp_timeout_stream = t,
            "nf_conntrack_icmp_timeout" => self.icmp_timeout = t,
            "nf_conntrack_icmpv6_timeout" => self.icmpv6_timeout = t,
            "nf_conntrack_generic_timeout" => self.generic_timeout = t,
            "nf_conntrack_sctp_timeout_closed" => {
                self.sctp_timeouts[1] = t;
                self.sctp_timeouts[0] = t;
            }
            "nf_conntrack_sctp_timeout_cookie_wait" => self.sctp_timeouts[2] = t,
            "nf_conntrack_sctp_timeout_cookie_echoed" => self.sctp_timeouts[3] = t,
            "nf_conntrack_sctp_timeout_established" => self.sctp_timeouts[4] = t,
            "nf_conntrack_sctp_timeout_shutdown_sent" => self.sctp_timeouts[5] = t,
            "nf_conntrack_sctp_timeout_shutdown_recd" => self.sctp_timeouts[6] = t,
            "nf_conntrack_sctp_timeout_shutdown_ack_sent" => self.sctp_timeouts[7] = t,
            "nf_conntrack_sctp_timeout_heartbeat_sent" => self.sctp_timeouts[8] = t,
            "nf_conntrack_gre_timeout" => self.gre_timeout = t,
            "nf_conntrack_gre_timeout_stream" => self.gre_timeout_stream = t,
            "nf_conntrack_acct" => self.acct = as_bool,
            "nf_conntrack_timestamp" | "nf_conntrack_helper" => {
                if as_bool {
                    return Err(ConfigError::Unsupported);
                }
                self.inert.retain(|(n, _)| *n != short);
                self.inert.push((
                    if short == "nf_conntrack_helper" {
                        "nf_conntrack_helper"
                    } else {
                        "nf_conntrack_timestamp"
                    },
                    0,
                ));
            }
            other => {
                if let Some(known) = INERT.iter().find(|n| **n == other) {
                    self.inert.retain(|(n, _)| n != known);
                    self.inert.push((known, value));
                } else {
                    return Err(ConfigError::Unknown);
                }
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_kernel() {
        let c = Config::default();
        assert_eq!(c.tcp_timeouts[1], secs(120));
        assert_eq!(c.tcp_timeouts[3], secs(432_000));
        assert_eq!(c.tcp_timeouts[TCP_TIMEOUT_UNACK], secs(300));
        assert!(c.tcp_loose && !c.tcp_be_liberal && c.checksum);
        assert_eq!(c.tcp_max_retrans, 3);
        assert_eq!(c.udp_timeout, secs(30));
        assert_eq!(c.udp_timeout_stream, secs(120));
        assert_eq!(c.generic_timeout, secs(600));
    }

    #[test]
    fn set_names() {
        let mut c = Config::default();
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", 7),
            Ok(true)
        );
        assert_eq!(c.tcp_timeouts[TCP_TIMEOUT_UNACK], secs(7));
        assert_eq!(c.set("net.nf_conntrack_max", 10), Ok(true));
        assert_eq!(c.max, 10);
        assert_eq!(c.set("net.netfilter.nf_conntrack_acct", 1), Ok(true));
        assert!(c.acct);
        assert_eq!(c.set("net.netfilter.nf_conntrack_log_invalid", 6), Ok(true));
        assert_eq!(c.inert, vec![("nf_conntrack_log_invalid", 6)]);
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_timestamp", 1),
            Err(ConfigError::Unsupported)
        );
        assert_eq!(c.set("net.netfilter.nf_conntrack_helper", 0), Ok(true));
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_sctp_timeout_closed", 1),
            Ok(true)
        );
        assert_eq!(c.sctp_timeouts[0], secs(1));
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_sctp_timeout_heartbeat_acked", 1),
            Err(ConfigError::Unknown)
        );
        // Linux 6.18 has no DCCP tracker (DCCP is generic there too).
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_dccp_timeout_open", 1),
            Err(ConfigError::Unknown)
        );
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_gre_timeout_stream", 60),
            Ok(true)
        );
        assert_eq!(c.gre_timeout_stream, secs(60));
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_nope", 1),
            Err(ConfigError::Unknown)
        );
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_count", 1),
            Err(ConfigError::BadValue)
        );
        assert_eq!(
            c.set("net.netfilter.nf_conntrack_udp_timeout", -1),
            Err(ConfigError::BadValue)
        );
        assert_eq!(c.set("net.netfilter.nf_log_all_netns", 1), Ok(false));
    }
}
