//! The extensions' parsers and printers (`model/matches/`,
//! `model/targets/`) tested through the restore parser and the save
//! printer: the round trips of one table (`testdata/extensions.tsv`), and
//! odd arguments to every option, which may be refused but never panic.

use super::{parse_restore, save_string, RestoreOptions, SaveOptions};
use crate::model::ext::{ExtCtx, HasArg};
use crate::model::{Family, Match, TableKind, Target};

/// Restores `*TABLE` / `-A CHAIN RULE` / `COMMIT` and returns what
/// iptables-save prints after `-A CHAIN `, or the error text.
fn round_trip(family: Family, table: &str, chain: &str, rule: &str) -> Result<String, String> {
    let input = format!("*{table}\n-A {chain} {rule}\nCOMMIT\n");
    let rs = parse_restore(&input, &RestoreOptions::new(family)).map_err(|e| e.to_string())?;
    let text = save_string(&rs, SaveOptions::default()).map_err(|e| e.to_string())?;
    let prefix = format!("-A {chain} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
        .ok_or_else(|| "no rule".to_string())
}

/// A column of `extensions.tsv` with `\\`, `\t` and `\n` read back.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

#[test]
fn extension_round_trips() {
    let mut file = "";
    let mut failures = Vec::new();
    for (n, line) in include_str!("testdata/extensions.tsv").lines().enumerate() {
        if let Some(f) = line.strip_prefix("# ") {
            file = f;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [ctx, rule, expected] = cols[..] else {
            panic!("extensions.tsv line {}: not three columns", n + 1);
        };
        let ctx: Vec<&str> = ctx.split(' ').collect();
        let [family, table, chain] = ctx[..] else {
            panic!("extensions.tsv line {}: not FAMILY TABLE CHAIN", n + 1);
        };
        let family = if family == "ipv6" {
            Family::Ipv6
        } else {
            Family::Ipv4
        };
        let rule = unescape(rule);
        let got = match round_trip(family, table, chain, &rule) {
            Ok(s) if s == rule => "=".to_string(),
            Ok(s) => s,
            Err(e) => format!("error: {e}"),
        };
        let expected = unescape(expected);
        if got != expected {
            failures.push(format!(
                "extensions.tsv line {} ({file}): {rule}\n  expected: {expected}\n  got:      {got}",
                n + 1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Restores every rule of `rules` in both families, in each of `places`
/// (table, chain); any result but a panic is fine.
fn never_panics(places: &[(&str, &str)], rules: impl Iterator<Item = String> + Clone) {
    for family in [Family::Ipv4, Family::Ipv6] {
        for (table, chain) in places {
            for rule in rules.clone() {
                let _ = round_trip(family, table, chain, &rule);
            }
        }
    }
}

/// Every option of the rarer matches (`-m NAME --OPT ARG`, and inverted
/// and given twice) with odd arguments.
#[test]
fn rare_matches_never_panic_on_odd_arguments() {
    let opts: &[(&str, &[&str])] = &[
        ("quota", &["quota"]),
        ("cpu", &["cpu"]),
        (
            "connbytes",
            &["connbytes", "connbytes-dir", "connbytes-mode"],
        ),
        ("connlabel", &["label"]),
        ("cgroup", &["path", "cgroup"]),
        (
            "cluster",
            &[
                "cluster-total-nodes",
                "cluster-local-node",
                "cluster-local-nodemask",
                "cluster-hash-seed",
            ],
        ),
        ("devgroup", &["src-group", "dst-group"]),
        ("realm", &["realm"]),
        ("nfacct", &["nfacct-name"]),
        ("ipcomp", &["ipcompspi"]),
        (
            "ipvs",
            &["vproto", "vaddr", "vport", "vdir", "vmethod", "vportctl"],
        ),
        ("string", &["string", "hex-string", "algo", "from", "to"]),
        (
            "policy",
            &[
                "dir",
                "pol",
                "reqid",
                "spi",
                "proto",
                "mode",
                "tunnel-src",
                "tunnel-dst",
            ],
        ),
        (
            "time",
            &[
                "datestart",
                "datestop",
                "timestart",
                "timestop",
                "weekdays",
                "monthdays",
            ],
        ),
        (
            "rateest",
            &["rateest", "rateest2", "rateest-bps", "rateest-pps1"],
        ),
        ("osf", &["genre", "ttl", "log"]),
        ("u32", &["u32"]),
        ("bpf", &["bytecode"]),
    ];
    const ODD: &[&str] = &[
        "\"\"",
        "0x",
        "-",
        ":",
        ":::",
        "|",
        "\\",
        "é",
        "éé:é",
        "1/",
        "/",
        "0/0x",
        "9999999999999999999999",
        "\"|0|\"",
        "\"a\\\\\"",
        "1,,2",
        ",",
        "2038-00-00T",
        "1:",
        "0=",
        "&&",
        "1,6 0",
        "4,",
        "1.2.3.4/ff",
        "::/",
        "1e400bit",
        "0.5KiBps",
        "x\\|",
        "\"|41 |\"",
    ];
    let rules = opts.iter().flat_map(|(m, names)| {
        names.iter().flat_map(move |o| {
            ODD.iter().flat_map(move |v| {
                [
                    format!("-p tcp -m {m} --{o} {v}"),
                    format!("-m {m} ! --{o} {v} --{o} {v}"),
                ]
            })
        })
    });
    never_panics(&[("mangle", "PREROUTING"), ("filter", "INPUT")], rules);
}

/// Every option of the header matches with odd arguments, quoted and
/// inverted.
#[test]
fn header_matches_never_panic_on_odd_arguments() {
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
    const ARGS: &[&str] = &[
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
    let rules = exts.iter().flat_map(|(head, opts)| {
        opts.iter().flat_map(move |o| {
            ARGS.iter()
                .flat_map(move |a| [format!("{head} {o} \"{a}\""), format!("{head} ! {o} {a}")])
        })
    });
    never_panics(&[("filter", "INPUT")], rules);
}

/// Every option of the common matches with odd arguments, after `-p tcp`,
/// inverted, and with a trailing word or a complete hashlimit.
#[test]
fn common_matches_never_panic_on_odd_arguments() {
    const NAMES: [&str; 17] = [
        "conntrack",
        "state",
        "connmark",
        "connlimit",
        "mark",
        "multiport",
        "iprange",
        "addrtype",
        "comment",
        "limit",
        "hashlimit",
        "recent",
        "statistic",
        "owner",
        "physdev",
        "set",
        "helper",
    ];
    const ARGS: [&str; 40] = [
        "",
        "-",
        ":",
        "::",
        ",",
        ",,",
        "/",
        "//",
        "0x",
        "0X",
        "+",
        "99999999999999999999",
        "18446744073709551616",
        "4294967296",
        "4294967295",
        "65536",
        "-1",
        "1:2:3",
        "1-2-3",
        "1.2.3.4/33",
        "1.2.3.4/",
        "::/129",
        "é",
        "ééé/é",
        "a/b",
        ".",
        "..",
        "nan",
        "inf",
        "0x1p99999",
        "1e400",
        "1/",
        "/s",
        "5kb/s",
        "0b/s",
        "99999999999mb/s",
        "src,dst,src,dst,src,dst,src",
        "NEW,",
        ",NEW",
        "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
    ];
    for family in [Family::Ipv4, Family::Ipv6] {
        let ctx = blank_ctx(family);
        for name in NAMES {
            let Some(m) = Match::new(name, &ctx) else {
                continue;
            };
            let rules = m.options(family).iter().flat_map(|spec| {
                ARGS.iter().flat_map(move |arg| {
                    ["", "! "].into_iter().flat_map(move |inv| {
                        ["", " src", " --hashlimit-name x --hashlimit-upto 1/s"]
                            .into_iter()
                            .map(move |extra| {
                                format!("-p tcp -m {name} {inv}--{} \"{arg}\"{extra}", spec.name)
                            })
                    })
                })
            });
            for rule in rules {
                let _ = round_trip(family, "filter", "OUTPUT", &rule);
            }
        }
    }
}

/// Every target option with odd arguments, in every family and table.
#[test]
fn targets_never_panic_on_odd_arguments() {
    const ODD: &[&str] = &[
        "",
        "-",
        ":",
        "::",
        "[",
        "]",
        "[]",
        "[]:",
        "[::]:",
        "0x",
        "1-",
        "-1",
        "/",
        ",",
        ",,",
        "a,",
        "99999999999999999999",
        "4294967296",
        "65536:",
        ":65536",
        "1:2:3",
        "1.2.3.4:",
        "1.2.3.4-",
        "é",
        "éé:é",
        "[é]:1",
        "1/é",
        "inf",
        "1e999s",
        "nan",
        "0.0000001us",
        "1.5",
        "mark",
    ];
    for family in [Family::Ipv4, Family::Ipv6] {
        let ctx = blank_ctx(family);
        for (name, _) in Target::NAMES {
            let Some(t) = Target::new(name, &ctx) else {
                continue;
            };
            for o in t.options(family) {
                let args: &[&str] = if o.arg == HasArg::No { &[""] } else { ODD };
                let rules = args.iter().flat_map(|a| {
                    let arg = if o.arg == HasArg::No {
                        String::new()
                    } else {
                        format!(" '{a}'")
                    };
                    [
                        format!("-p tcp -j {name} --{}{arg}", o.name),
                        format!("-j {name} --{}{arg} --{}{arg}", o.name, o.name),
                    ]
                });
                for table in ["filter", "nat", "mangle", "raw"] {
                    let chain = if table == "nat" || table == "raw" {
                        "PREROUTING"
                    } else {
                        "INPUT"
                    };
                    for rule in rules.clone() {
                        let _ = round_trip(family, table, chain, &rule);
                    }
                }
            }
        }
    }
}

/// A `filter`/`INPUT` rule with `-p tcp` of the family.
fn blank_ctx(family: Family) -> ExtCtx<'static> {
    ExtCtx {
        family,
        table: TableKind::Filter,
        chain: b"INPUT",
        proto: 6,
        proto_inv: false,
        ipset: &crate::ipset::EMPTY,
    }
}
