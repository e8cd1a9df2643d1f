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
