//! Sysctl names as `sysctl(8)` spells them, split into their parts without
//! any slicing arithmetic.
//!
//! `sysctl(8)` (procps `sysctl.c`) takes two spellings: the dotted one
//! (`net.ipv4.conf.eth0.rp_filter`), where a `/` inside a component stands
//! for a `.` of the file name (`net.ipv4.conf.eth0/100.rp_filter` is
//! `/proc/sys/net/ipv4/conf/eth0.100/rp_filter`), and the path one
//! (`net/ipv4/conf/eth0.100/rp_filter`), chosen when the first separator
//! is a `/`. Both are read here into the same components.

/// The device part of `net.ipv{4,6}.conf.<dev>.<key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfDev {
    /// `all`.
    All,
    /// `default` (seeds devices created afterwards).
    Default,
    /// A device by name.
    Dev(String),
}

/// A parsed sysctl name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SysctlName {
    /// `net.ipv4.conf.<dev>.<key>`.
    Ipv4Conf(ConfDev, String),
    /// `net.ipv6.conf.<dev>.<key>`.
    Ipv6Conf(ConfDev, String),
    /// Any other name, in its dotted spelling (`net.ipv4.ip_forward`).
    Flat(String),
}

/// Why a name is not a sysctl name at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// Splits `name` into components as `sysctl(8)` does.
fn components(name: &str) -> Result<Vec<String>, Malformed> {
    if name.is_empty() {
        return Err(Malformed("empty name"));
    }
    let slash_form = name.find(['.', '/']).map(|i| name.as_bytes()[i]) == Some(b'/');
    let parts: Vec<String> = if slash_form {
        name.split('/').map(str::to_string).collect()
    } else {
        name.split('.').map(|c| c.replace('/', ".")).collect()
    };
    if parts.iter().any(String::is_empty) {
        return Err(Malformed("empty component"));
    }
    Ok(parts)
}

/// Parses a sysctl name.
pub(crate) fn parse(name: &str) -> Result<SysctlName, Malformed> {
    let parts = components(name)?;
    let p: Vec<&str> = parts.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["net", fam @ ("ipv4" | "ipv6"), "conf", dev, key] => {
            let dev = match *dev {
                "all" => ConfDev::All,
                "default" => ConfDev::Default,
                d => ConfDev::Dev(d.to_string()),
            };
            let key = key.to_string();
            Ok(if *fam == "ipv4" {
                SysctlName::Ipv4Conf(dev, key)
            } else {
                SysctlName::Ipv6Conf(dev, key)
            })
        }
        ["net", "ipv4" | "ipv6", "conf", ..] => Err(Malformed(
            "the per-device settings are net.ipv4.conf.<all|default|DEVICE>.<name> (and net.ipv6.conf...)",
        )),
        _ => Ok(SysctlName::Flat(p.join("."))),
    }
}

/// What a sysctl name sets, for the names the host models (one list: both
/// [`Sysctl`]'s check and [`Host::new`](super::Host::new) read it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Known {
    /// `net.ipv4.conf.<dev>.route_localnet` (not `default`).
    RouteLocalnet(ConfDev),
    /// `net.ipv4.conf.all.forwarding` (the same as `net.ipv4.ip_forward`).
    Ipv4ConfForwarding,
    /// `net.ipv4.conf.<dev>.rp_filter`.
    RpFilter(ConfDev),
    /// `net.ipv4.conf.<dev>.send_redirects`.
    SendRedirects(ConfDev),
    /// `log_martians`, `accept_redirects`, `secure_redirects`: accepted
    /// with no effect on what nfsim reports.
    NoEffect(ConfDev),
    /// `net.ipv6.conf.all.forwarding`.
    Ipv6Forwarding,
    /// `net.ipv4.icmp_ratelimit` (false) or `net.ipv6.icmp.ratelimit` (true).
    IcmpRatelimit { v6: bool },
    /// `net.ipv4.ip_forward`.
    IpForward,
    /// `net.ipv4.ipfrag_time` (false) or
    /// `net.netfilter.nf_conntrack_frag6_timeout` (true).
    FragTime { v6: bool },
    /// `net.ipv6.auto_flowlabels` (only 0 is modelled).
    AutoFlowlabels,
    /// A `net.netfilter.nf_conntrack_*` name the conntrack configuration
    /// knows, in its dotted spelling.
    Conntrack(String),
    /// `net.bridge.bridge-nf-call-iptables` (false) or `-ip6tables` (true).
    BridgeNfCall { v6: bool },
    /// `net.bridge.bridge-nf-call-arptables`, `-filter-vlan-tagged`,
    /// `-filter-pppoe-tagged`, `-pass-vlan-input-dev`: accepted with no
    /// effect (nfsim's frames are IPv4 / IPv6, never ARP, VLAN-tagged or
    /// PPPoE).
    BridgeNoEffect,
}

/// Why a name is not a sysctl the host models: the message
/// [`HostError::Sysctl`](super::HostError::Sysctl) carries.
pub(crate) fn classify(name: &str) -> Result<Known, String> {
    let name = parse(name).map_err(|m| format!("not a sysctl name: {}", m.0))?;
    let unmodelled = || Err("not modelled by nfsim".to_string());
    match name {
        SysctlName::Ipv4Conf(dev, key) => match key.as_str() {
            "route_localnet" if dev == ConfDev::Default => Err(
                "`default` of route_localnet is not modelled by nfsim (set `all` or the device's own)"
                    .into(),
            ),
            "route_localnet" => Ok(Known::RouteLocalnet(dev)),
            "forwarding" if dev == ConfDev::All => Ok(Known::Ipv4ConfForwarding),
            "rp_filter" => Ok(Known::RpFilter(dev)),
            "send_redirects" => Ok(Known::SendRedirects(dev)),
            "log_martians" | "accept_redirects" | "secure_redirects" => Ok(Known::NoEffect(dev)),
            _ => unmodelled(),
        },
        SysctlName::Ipv6Conf(ConfDev::All, key) if key == "forwarding" => Ok(Known::Ipv6Forwarding),
        SysctlName::Ipv6Conf(..) => unmodelled(),
        SysctlName::Flat(flat) => match flat.as_str() {
            "net.ipv4.icmp_ratelimit" => Ok(Known::IcmpRatelimit { v6: false }),
            "net.ipv6.icmp.ratelimit" => Ok(Known::IcmpRatelimit { v6: true }),
            "net.ipv4.ip_forward" => Ok(Known::IpForward),
            "net.ipv4.ipfrag_time" => Ok(Known::FragTime { v6: false }),
            "net.netfilter.nf_conntrack_frag6_timeout" => Ok(Known::FragTime { v6: true }),
            "net.ipv6.auto_flowlabels" => Ok(Known::AutoFlowlabels),
            "net.bridge.bridge-nf-call-iptables" => Ok(Known::BridgeNfCall { v6: false }),
            "net.bridge.bridge-nf-call-ip6tables" => Ok(Known::BridgeNfCall { v6: true }),
            "net.bridge.bridge-nf-call-arptables"
            | "net.bridge.bridge-nf-filter-vlan-tagged"
            | "net.bridge.bridge-nf-filter-pppoe-tagged"
            | "net.bridge.bridge-nf-pass-vlan-input-dev" => Ok(Known::BridgeNoEffect),
            f if f.starts_with("net.netfilter.nf_conntrack_") || f == "net.nf_conntrack_max" => {
                // Config::set knows the names; a value it refuses is checked
                // again with the real value by Host::new.
                match crate::conntrack::Config::default().set(f, 0) {
                    Err(crate::conntrack::ConfigError::Unknown) => {
                        Err(crate::conntrack::ConfigError::Unknown.to_string())
                    }
                    Ok(false) => unmodelled(),
                    _ => Ok(Known::Conntrack(flat)),
                }
            }
            _ => unmodelled(),
        },
    }
}

/// A sysctl the host models, by name: a misspelt or unmodelled name is an
/// error when the `Sysctl` is made, not later. Names are spelt as
/// `sysctl(8)` spells them (dotted, or with `/`); whether a device a name
/// mentions exists is checked by [`Host::new`](super::Host::new).
///
/// ```
/// use nfsim::host::{HostConfig, Sysctl};
/// let fwd: Sysctl = "net.ipv4.ip_forward".parse().unwrap();
/// assert_eq!(fwd, Sysctl::ip_forward());
/// let e = "net.ipv4.ip_forwarding".parse::<Sysctl>().unwrap_err();
/// assert_eq!(e.to_string(), "sysctl net.ipv4.ip_forwarding: not modelled by nfsim");
/// let cfg = HostConfig::default().sysctl(fwd, 1).sysctl(Sysctl::rp_filter("eth0"), 1);
/// assert_eq!(cfg.sysctls[1], ("net.ipv4.conf.eth0.rp_filter".to_string(), 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sysctl(String);

impl Sysctl {
    /// Checks a name (either `sysctl(8)` spelling).
    ///
    /// # Errors
    /// A name that is malformed or that nfsim does not model.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert!(Sysctl::new("net/ipv4/conf/eth0.100/rp_filter").is_ok());
    /// assert!(Sysctl::new("net.netfilter.nf_conntrack_tcp_timeout_established").is_ok());
    /// let e = Sysctl::new("net.netfilter.nf_conntrack_tcp_timeout_establised").unwrap_err();
    /// assert_eq!(e.message(), "unknown conntrack sysctl");
    /// ```
    pub fn new(name: &str) -> Result<Sysctl, SysctlError> {
        classify(name).map_err(|message| SysctlError {
            name: name.to_string(),
            message,
        })?;
        Ok(Sysctl(name.to_string()))
    }
    /// The name as given.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::ipv6_forwarding().name(), "net.ipv6.conf.all.forwarding");
    /// ```
    pub fn name(&self) -> &str {
        &self.0
    }
    /// `net.ipv4.ip_forward`.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::ip_forward().name(), "net.ipv4.ip_forward");
    /// ```
    pub fn ip_forward() -> Sysctl {
        Sysctl("net.ipv4.ip_forward".into())
    }
    /// `net.ipv6.conf.all.forwarding`.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::ipv6_forwarding(), Sysctl::new("net/ipv6/conf/all/forwarding").unwrap().canonical());
    /// ```
    pub fn ipv6_forwarding() -> Sysctl {
        Sysctl("net.ipv6.conf.all.forwarding".into())
    }
    /// `net.ipv4.conf.<dev>.rp_filter` (`dev` is `all`, `default` or a
    /// device name; a `.` in it is written `/`, as sysctl(8) does).
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::rp_filter("eth0.100").name(), "net.ipv4.conf.eth0/100.rp_filter");
    /// ```
    pub fn rp_filter(dev: &str) -> Sysctl {
        Sysctl::ipv4_conf(dev, "rp_filter")
    }
    /// `net.ipv4.conf.<dev>.route_localnet` (`all` or a device).
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::route_localnet("all").name(), "net.ipv4.conf.all.route_localnet");
    /// ```
    pub fn route_localnet(dev: &str) -> Sysctl {
        Sysctl::ipv4_conf(dev, "route_localnet")
    }
    /// `net.ipv4.conf.<dev>.send_redirects`.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::send_redirects("default").name(), "net.ipv4.conf.default.send_redirects");
    /// ```
    pub fn send_redirects(dev: &str) -> Sysctl {
        Sysctl::ipv4_conf(dev, "send_redirects")
    }
    fn ipv4_conf(dev: &str, key: &str) -> Sysctl {
        Sysctl(format!("net.ipv4.conf.{}.{key}", dev.replace('.', "/")))
    }
    /// The same sysctl in its dotted spelling.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// let s = Sysctl::new("net/ipv4/conf/eth0.100/rp_filter").unwrap();
    /// assert_eq!(s.canonical(), Sysctl::rp_filter("eth0.100"));
    /// ```
    pub fn canonical(&self) -> Sysctl {
        match parse(&self.0) {
            Ok(SysctlName::Ipv4Conf(dev, key)) => Sysctl::ipv4_conf(&dev.to_string(), &key),
            Ok(SysctlName::Ipv6Conf(dev, key)) => Sysctl(format!(
                "net.ipv6.conf.{}.{key}",
                dev.to_string().replace('.', "/")
            )),
            Ok(SysctlName::Flat(f)) => Sysctl(f),
            // A Sysctl's name always parses.
            Err(_) => self.clone(),
        }
    }
}

impl core::str::FromStr for Sysctl {
    type Err = SysctlError;
    fn from_str(s: &str) -> Result<Sysctl, SysctlError> {
        Sysctl::new(s)
    }
}

impl core::fmt::Display for Sysctl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::fmt::Display for ConfDev {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfDev::All => f.write_str("all"),
            ConfDev::Default => f.write_str("default"),
            ConfDev::Dev(d) => f.write_str(d),
        }
    }
}

/// A sysctl name nfsim does not model, or that is not a sysctl name.
///
/// ```
/// use nfsim::host::Sysctl;
/// let e = Sysctl::new("net.ipv4.conf.all.rp_filtre").unwrap_err();
/// assert_eq!(e.name(), "net.ipv4.conf.all.rp_filtre");
/// assert_eq!(e.message(), "not modelled by nfsim");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlError {
    name: String,
    message: String,
}

impl SysctlError {
    /// The name as given.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::new("net.ipv4.tcp_syncookies").unwrap_err().name(), "net.ipv4.tcp_syncookies");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
    /// What is wrong with it.
    ///
    /// ```
    /// use nfsim::host::Sysctl;
    /// assert_eq!(Sysctl::new("net..ipv4").unwrap_err().message(), "not a sysctl name: empty component");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl core::fmt::Display for SysctlError {
    /// As [`HostError::Sysctl`](super::HostError::Sysctl) prints it.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "sysctl {}: {}", self.name, self.message)
    }
}

impl std::error::Error for SysctlError {}

impl From<SysctlError> for super::HostError {
    fn from(e: SysctlError) -> super::HostError {
        super::HostError::Sysctl {
            name: e.name,
            message: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_slash_spellings() {
        assert_eq!(
            parse("net.ipv4.conf.eth0.rp_filter"),
            Ok(SysctlName::Ipv4Conf(
                ConfDev::Dev("eth0".into()),
                "rp_filter".into()
            ))
        );
        assert_eq!(
            parse("net.ipv4.conf.eth0/100.rp_filter"),
            Ok(SysctlName::Ipv4Conf(
                ConfDev::Dev("eth0.100".into()),
                "rp_filter".into()
            ))
        );
        assert_eq!(
            parse("net/ipv4/conf/eth0.100/rp_filter"),
            Ok(SysctlName::Ipv4Conf(
                ConfDev::Dev("eth0.100".into()),
                "rp_filter".into()
            ))
        );
        assert_eq!(
            parse("net.ipv6.conf.all.forwarding"),
            Ok(SysctlName::Ipv6Conf(ConfDev::All, "forwarding".into()))
        );
        assert_eq!(
            parse("net/ipv4/ip_forward"),
            Ok(SysctlName::Flat("net.ipv4.ip_forward".into()))
        );
    }

    #[test]
    fn malformed_names_are_errors_not_panics() {
        // The names that used to panic ("begin > end"): prefix and suffix overlap.
        assert!(parse("net.ipv4.conf.rp_filter").is_err());
        assert!(parse("net.ipv4.conf.send_redirects").is_err());
        assert!(parse("net.ipv4.conf.").is_err());
        assert!(parse("net.ipv4.conf.a.b.c").is_err());
        assert!(parse("").is_err());
        assert!(parse(".").is_err());
        assert!(parse("net..ipv4").is_err());
        assert!(parse("net.ipv4.conf.é.rp_filter").is_ok());
    }
}
