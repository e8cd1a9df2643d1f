//! Shared option-argument helpers for match extensions: the libxtables
//! option types (libxtables/xtoptions.c) that many extensions use
//! (`XTTYPE_UINT*`, `XTTYPE_UINT*RC`), the final-check rules
//! (`XTOPT_MAND`, `.excl`) and the kernel's hook check.

use core::fmt;

use crate::model::ext::{strtoul_prefix, CheckCtx};
use crate::model::{Hook, HookMask};

/// `xtopt_parse_int`: a whole number in `[min, max]`, with xtables' message.
pub(crate) fn uint(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, String> {
    match strtoul_prefix(s) {
        Some((v, "")) if v >= min && v <= max => Ok(v),
        _ => Err(format!(
            "{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max})."
        )),
    }
}

/// `xtopt_parse_mint` for a two-element range (`XTTYPE_UINT*RC`): `a`,
/// `a:b`, `a:`, `:b`, `:`. Returns `(lo, hi, nvals)`; `hi` is `lo` when only
/// one value was given (what every user of these types does with
/// `nvals == 1`). The second value must not be below the first.
pub(crate) fn mint(
    ext: &str,
    opt: &str,
    s: &str,
    min: u64,
    max: u64,
) -> Result<(u64, u64, usize), String> {
    let mut vals = [0u64; 2];
    let mut nvals = 0usize;
    let mut lmin = min;
    let mut arg = s;
    loop {
        if nvals == 2 {
            return Err(format!(
                "{ext}: Too many components for option \"--{opt}\" (max: 2)"
            ));
        }
        let (value, end) = if arg.is_empty() || arg.starts_with(':') {
            (if nvals == 1 { max } else { lmin }, arg)
        } else {
            let parsed = strtoul_prefix(arg).filter(|(v, _)| *v >= lmin && *v <= max);
            let Some((v, end)) = parsed else {
                return Err(format!(
                    "{ext}: bad value for option \"--{opt}\" near \"{arg}\", or out of range ({lmin}-{max})."
                ));
            };
            if !end.is_empty() && !end.starts_with(':') {
                return Err(format!(
                    "{ext}: Argument to \"--{opt}\" has unexpected characters near \"{end}\"."
                ));
            }
            lmin = v;
            (v, end)
        };
        vals[nvals] = value;
        nvals += 1;
        match end.strip_prefix(':') {
            Some(rest) => arg = rest,
            None => break,
        }
    }
    if nvals == 1 {
        vals[1] = vals[0];
    }
    Ok((vals[0], vals[1], nvals))
}

/// `XTOPT_MAND` in `xtables_options_fcheck`.
pub(crate) fn mand(seen: u64, id: u8, ext: &str, opt: &str) -> Result<(), String> {
    if seen & (1 << id) == 0 {
        return Err(format!("{ext}: option \"--{opt}\" must be specified"));
    }
    Ok(())
}

/// `.excl` in `xtables_option_fcheck2`: options `a` and `b` both given.
pub(crate) fn excl(seen: u64, a: u8, b: u8, ext: &str, an: &str, bn: &str) -> Result<(), String> {
    if seen & (1 << a) != 0 && seen & (1 << b) != 0 {
        return Err(format!(
            "{ext}: option \"--{an}\" cannot be used together with \"--{bn}\"."
        ));
    }
    Ok(())
}

/// `xt_check_match`'s hook check (net/netfilter/x_tables.c): the chain must
/// only be reachable from hooks in `allowed` (the `.hooks` of the
/// extension's `xt_match` registration).
pub(crate) fn require_hooks(ctx: &CheckCtx, allowed: HookMask, name: &str) -> Result<(), String> {
    if ctx.hooks & !allowed != 0 {
        let list = |m: HookMask| {
            Hook::ALL
                .iter()
                .filter(|h| m & h.bit() != 0)
                .map(|h| h.chain_name())
                .collect::<Vec<_>>()
                .join("/")
        };
        return Err(format!(
            "x_tables: {name} match: used from hooks {}, but only valid from {}",
            list(ctx.hooks),
            list(allowed)
        ));
    }
    Ok(())
}

/// Writes ` !` when `inv`.
pub fn write_inv(f: &mut dyn fmt::Write, inv: bool) -> fmt::Result {
    if inv {
        f.write_str(" !")?;
    }
    Ok(())
}

/// Writes `lo` or `lo:hi` (the `*_save` range idiom).
pub fn write_range(f: &mut dyn fmt::Write, lo: u64, hi: u64) -> fmt::Result {
    if lo == hi {
        write!(f, "{lo}")
    } else {
        write!(f, "{lo}:{hi}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_forms() {
        let m = |s| mint("x", "o", s, 0, 0xffff_ffff);
        assert_eq!(m(":3"), Ok((0, 3, 2)));
        assert_eq!(m("3:3"), Ok((3, 3, 2)));
        assert_eq!(m("0:4294967295"), Ok((0, 0xffff_ffff, 2)));
        assert!(m("4294967296").is_err());
        assert!(m("-1").is_err());
        assert!(m("0:invalid").is_err());
        assert!(m("1:2:3").is_err());
        assert!(m("1x").is_err());
    }
}

/// Round-trip helpers for the extension unit tests.
#[cfg(test)]
pub(crate) mod testutil {
    use crate::model::Family;

    /// Restores `*TABLE` / `-A CHAIN RULE` and returns the saved `-A` line.
    pub(crate) fn rt(
        family: Family,
        table: &str,
        chain: &str,
        rule: &str,
    ) -> Result<String, String> {
        crate::testutil::round_trip(family, table, chain, rule).map(|r| format!("-A {chain} {r}"))
    }

    /// IPv4 `filter`/`INPUT` round trip.
    pub(crate) fn rt4(rule: &str) -> Result<String, String> {
        rt(Family::Ipv4, "filter", "INPUT", rule)
    }

    /// IPv6 `filter`/`INPUT` round trip.
    pub(crate) fn rt6(rule: &str) -> Result<String, String> {
        rt(Family::Ipv6, "filter", "INPUT", rule)
    }
}

#[cfg(test)]
mod robustness {
    use super::testutil::rt;
    use crate::model::Family;

    /// Every option of this group's extensions with odd arguments: errors
    /// are fine, panics are not.
    #[test]
    fn odd_arguments_do_not_panic() {
        let exts: &[(&str, &[&str])] = &[
            ("-p icmp -m icmp", &["--icmp-type"]),
            ("-p ipv6-icmp -m icmp6", &["--icmpv6-type"]),
            ("-m length", &["--length"]),
            ("-m tos", &["--tos"]),
            ("-m dscp", &["--dscp", "--dscp-class"]),
            ("-m ttl", &["--ttl-eq", "--ttl-lt", "--ttl-gt", "--ttl"]),
            ("-m hl", &["--hl-eq", "--hl-lt", "--hl-gt", "--hl"]),
            ("-p tcp -m ecn", &["--ecn-ip-ect", "--ecn-tcp-cwr"]),
            ("-p tcp -m tcpmss", &["--mss"]),
            ("-m pkttype", &["--pkt-type"]),
            ("-m mac", &["--mac-source"]),
            ("-m ipv6header", &["--header", "--soft"]),
            ("-m frag", &["--fragid", "--fraglen", "--fragres"]),
            (
                "-m rt --rt-type 0",
                &["--rt-segsleft", "--rt-len", "--rt-0-addrs"],
            ),
            ("-m hbh", &["--hbh-len", "--hbh-opts"]),
            ("-m dst", &["--dst-len", "--dst-opts"]),
            ("-p ah -m ah", &["--ahspi", "--ahlen"]),
            ("-p esp -m esp", &["--espspi"]),
            ("-p mh -m mh", &["--mh-type"]),
            (
                "-m srh",
                &[
                    "--srh-next-hdr",
                    "--srh-tag",
                    "--srh-psid",
                    "--srh-hdr-len-lt",
                ],
            ),
            (
                "-p sctp -m sctp",
                &["--sport", "--dport", "--chunk-types any", "--chunk-types"],
            ),
            (
                "-p dccp -m dccp",
                &["--sport", "--dport", "--dccp-types", "--dccp-option"],
            ),
        ];
        let args = [
            "",
            ":",
            "::",
            "-",
            "-1",
            "0x",
            "0x:",
            "\u{e9}",
            "\u{e9}:\u{e9}",
            "1:",
            ":1",
            "99999999999999999999",
            "18446744073709551615",
            "a::/",
            "/",
            "1/",
            "/1",
            ",",
            ",,",
            "1,",
            ":,",
            "DATA:\u{e9}",
            "ALL",
            "NONE",
            "x:y:z",
            "ff:ff:ff:ff:ff:ff:ff",
            "+",
            " ",
            "255/255:0",
            "1::/ffff::1",
        ];
        for (fam, prefix) in [(Family::Ipv4, ""), (Family::Ipv6, "")] {
            for (head, opts) in exts {
                for o in *opts {
                    for a in args {
                        let rule = format!("{prefix}{head} {o} \"{a}\"");
                        let _ = rt(fam, "filter", "INPUT", &rule);
                        let rule = format!("{head} ! {o} {a}");
                        let _ = rt(fam, "filter", "INPUT", &rule);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod doc_examples {
    //! The examples of crate-private helpers, run as unit tests.
    #[test]
    fn mint_example() {
        use crate::model::matches::xtargs::mint;
        assert_eq!(mint("length", "length", "4:", 0, 65535), Ok((4, 65535, 2)));
        assert_eq!(mint("length", "length", ":", 0, 65535), Ok((0, 65535, 2)));
        assert_eq!(mint("length", "length", "7", 0, 65535), Ok((7, 7, 1)));
        assert!(mint("length", "length", "4:3", 0, 65535).is_err());
    }
    #[test]
    fn uint_example() {
        use crate::model::matches::xtargs::uint;
        assert_eq!(uint("ttl", "ttl-eq", "0x10", 0, 255), Ok(16));
        assert!(uint("ttl", "ttl-eq", "256", 0, 255).is_err());
    }
}
