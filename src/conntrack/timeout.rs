//! Timeout policies (`nfct add timeout NAME FAMILY PROTO STATE SECS ...`,
//! net/netfilter/nfnetlink_cttimeout.c) and the entries that use one
//! (`nf_ct_timeout_ext_add`, read back by each tracker's
//! `nf_ct_timeout_lookup`).
//!
//! A policy is kept as a whole [`Config`]: the table's own settings with
//! the policy's protocol timeouts in place (`*_timeout_nlattr_to_obj`
//! starts from the namespace's current timeouts, then sets the states the
//! command gives), so a tracker reads it exactly where it reads the
//! table's settings.

use super::{Config, CtHandle};
use crate::nf::Family;
use crate::time::Duration;

/// One timeout policy as `nfct add timeout` creates it.
///
/// ```
/// use nfsim::conntrack::{Config, TimeoutPolicy};
/// use nfsim::time::Duration;
/// let p = TimeoutPolicy::parse("short inet udp unreplied 10", &Config::default()).unwrap();
/// assert_eq!(p.name, b"short");
/// assert_eq!(p.proto, 17);
/// assert_eq!(p.cfg.udp_timeout, Duration::from_secs(10));
/// assert_eq!(p.cfg.udp_timeout_stream, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutPolicy {
    /// The name (1 to 31 bytes, `CTNL_TIMEOUT_NAME_MAX` 32 with the NUL).
    pub name: Vec<u8>,
    /// `inet` or `inet6` (the policy's `l3num`).
    pub family: Family,
    /// The layer-4 protocol number.
    pub proto: u8,
    /// The settings a connection with this policy is tracked with.
    pub cfg: Config,
}

/// nfct's state names per protocol (nfct-extensions/timeout.c and
/// libnetfilter_cttimeout's `timeout_state_name`), each with the
/// setting it writes.
fn set_state(cfg: &mut Config, proto: u8, state: &str, t: Duration) -> bool {
    let s = state.to_ascii_uppercase();
    match proto {
        // tcp_timeout_nlattr_to_obj
        6 => {
            let i = match s.as_str() {
                "SYN_SENT" => 1,
                "SYN_RECV" => 2,
                "ESTABLISHED" => 3,
                "FIN_WAIT" => 4,
                "CLOSE_WAIT" => 5,
                "LAST_ACK" => 6,
                "TIME_WAIT" => 7,
                "CLOSE" => 8,
                "SYN_SENT2" => 9,
                "RETRANS" => 10,
                "UNACKNOWLEDGED" => 11,
                _ => return false,
            };
            cfg.tcp_timeouts[i] = t;
            // timeouts[TCP_CONNTRACK_NONE] = timeouts[TCP_CONNTRACK_SYN_SENT]
            cfg.tcp_timeouts[0] = cfg.tcp_timeouts[1];
        }
        // udp_timeout_nlattr_to_obj
        17 => match s.as_str() {
            "UNREPLIED" => cfg.udp_timeout = t,
            "REPLIED" => cfg.udp_timeout_stream = t,
            _ => return false,
        },
        // icmp_timeout_nlattr_to_obj / icmpv6_timeout_nlattr_to_obj
        1 | 58 => match s.as_str() {
            "TIMEOUT" if proto == 1 => cfg.icmp_timeout = t,
            "TIMEOUT" => cfg.icmpv6_timeout = t,
            _ => return false,
        },
        _ => return false,
    }
    true
}

impl TimeoutPolicy {
    /// Reads the words after `nfct add timeout` (`NAME inet|inet6 PROTO
    /// [STATE SECS]...`) against the namespace's settings `base`. Only
    /// `tcp`, `udp`, `icmp` and `icmpv6` policies are modelled; any other
    /// protocol is an explicit error.
    pub fn parse(line: &str, base: &Config) -> Result<TimeoutPolicy, String> {
        let w: Vec<&str> = line.split_whitespace().collect();
        let [name, fam, proto, rest @ ..] = w.as_slice() else {
            return Err("nfct v1.4.7: missing parameters".into());
        };
        if name.is_empty() || name.len() > 31 {
            return Err(format!(
                "nfsim: timeout policy name `{name}' must be 1 to 31 bytes"
            ));
        }
        let family = match *fam {
            "inet" => Family::Ipv4,
            "inet6" => Family::Ipv6,
            _ => return Err(format!("nfsim: layer 3 protocol `{fam}' (inet or inet6)")),
        };
        let p = match *proto {
            "tcp" => 6,
            "udp" => 17,
            "icmp" => 1,
            "icmpv6" | "ipv6-icmp" => 58,
            _ => {
                return Err(format!(
                    "nfsim: timeout policies for protocol `{proto}' are not modelled (tcp, udp, icmp, icmpv6)"
                ))
            }
        };
        if rest.len() % 2 != 0 {
            return Err("nfct v1.4.7: missing value for this timeout".into());
        }
        if rest.is_empty() {
            // cttimeout_new_timeout: CTA_TIMEOUT_DATA is required.
            return Err("nfct v1.4.7: netlink error: Invalid argument".into());
        }
        let mut cfg = base.clone();
        for pair in rest.chunks(2) {
            let secs: u32 = pair[1]
                .parse()
                .map_err(|_| format!("nfsim: timeout `{}' is not a number of seconds", pair[1]))?;
            if !set_state(&mut cfg, p, pair[0], Duration::from_secs(u64::from(secs))) {
                return Err(format!(
                    "nfct v1.4.7: Wrong state name: `{}' for protocol `{proto}'",
                    pair[0]
                ));
            }
        }
        Ok(TimeoutPolicy {
            name: name.as_bytes().to_vec(),
            family,
            proto: p,
            cfg,
        })
    }
}

/// The table's policies and, per slot, the policy of the entry there
/// (`nf_conn_timeout` extension), as the zones are kept.
#[derive(Debug, Clone, Default)]
pub(super) struct Timeouts {
    pub(super) policies: Vec<TimeoutPolicy>,
    slots: Vec<(u32, u16)>,
}

impl Timeouts {
    /// No entry has had a policy: every entry uses the namespace's
    /// timeouts.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The policy of the entry in slot `idx` with generation `gen`.
    #[inline]
    pub(super) fn of(&self, idx: u32, gen: u32) -> Option<&Config> {
        if self.slots.is_empty() {
            return None;
        }
        match self.slots.get(idx as usize) {
            Some(&(g, k)) if g == gen => self.policies.get(usize::from(k)).map(|p| &p.cfg),
            _ => None,
        }
    }

    /// `nf_ct_timeout_ext_add`: gives a new entry its template's policy, or
    /// none (allocates only for a slot index beyond any before).
    #[inline]
    pub(super) fn set(&mut self, h: CtHandle, policy: Option<u16>) -> bool {
        let i = h.idx as usize;
        let Some(k) = policy else {
            if let Some(s) = self.slots.get_mut(i) {
                *s = (u32::MAX, 0);
            }
            return true;
        };
        self.set_policy(h, k)
    }

    /// [`Self::set`] with a policy.
    #[inline(never)]
    fn set_policy(&mut self, h: CtHandle, k: u16) -> bool {
        let i = h.idx as usize;
        if self.slots.len() <= i {
            if self.slots.try_reserve(i + 1 - self.slots.len()).is_err() {
                return false;
            }
            self.slots.resize(i + 1, (u32::MAX, 0));
        }
        self.slots[i] = (h.gen, k);
        true
    }
}
