//! Reading, printing and testing sets.

use super::*;
use crate::wire::PacketBuilder;

fn pkt(data: &[u8]) -> PacketMeta {
    PacketMeta::parse(data).unwrap()
}

fn test(s: &mut Ipsets, name: &str, data: &[u8], src: u8, dim: u8, opt: AdtOpt) -> bool {
    let meta = pkt(data);
    let p = PktView {
        data,
        meta: &meta,
        in_dev: "eth0",
        out_dev: "",
        src_mac: None,
    };
    let i = s.find(name.as_bytes()).unwrap();
    let o = AdtOpt {
        family: Some(meta.family),
        dim,
        src,
        ..opt
    };
    s.test(i, &p, &o, Instant::ZERO, &mut SkbMap::default())
}

#[test]
fn save_round_trips() {
    let text = "create a hash:ip family inet hashsize 1024 maxelem 65536 timeout 30 counters comment skbinfo bucketsize 12 initval 0x14396f4a
add a 192.0.2.1 timeout 30 packets 0 bytes 0 comment \"hi there\" skbmark 0x10/0xff skbprio 1:2 skbqueue 3
add a 192.0.2.2 timeout 0 packets 5 bytes 100
create n hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12
add n 2001:db8:1::1
add n 2001:db8::/32 nomatch
create p hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12
add p 192.0.2.1,gre:0
add p 192.0.2.1,udp:53
add p 192.0.2.3,icmp:echo-request
create b bitmap:ip range 192.0.2.0-192.0.2.255 netmask 30
add b 192.0.2.4
create bp bitmap:port range 1000-2000
add bp 1500
create ni hash:net,iface family inet hashsize 1024 maxelem 65536 bucketsize 12
add ni 192.0.2.0/24,eth0
create ipn hash:ip,port,net family inet hashsize 1024 maxelem 65536 bucketsize 12
add ipn 192.0.2.1,tcp:80,192.0.2.0/24 nomatch
create l list:set size 8
add l a
add l n
";
    let s = Ipsets::restore(text).unwrap();
    assert_eq!(s.save_text(Instant::ZERO), text);
    assert_eq!(Ipsets::restore(&s.save_text(Instant::ZERO)).unwrap(), s);
}

#[test]
fn errors_name_the_line() {
    let e = |t: &str| Ipsets::restore(t).unwrap_err().to_string();
    assert_eq!(e("create a hash:ip\nadd a 300.1.1.1\n"),
        "ipset v7.17: Error in line 2: Syntax error: cannot parse 300.1.1.1: resolving to IPv4 address failed");
    assert_eq!(e("create a hash:ip\ncreate a hash:ip\n"),
        "ipset v7.17: Error in line 2: Set cannot be created: set with the same name already exists");
    assert!(e("create a hash:net\nadd a 1.2.3.4/0\n").contains("CIDR"));
    assert!(e("create a hash:ip\nadd a 1.2.3.4 timeout 3\n").contains("without timeout support"));
    assert!(
        e("create b bitmap:ip range 10.0.0.0/24\nadd b 10.0.1.1\n").contains("out of the range")
    );
    assert!(e("create a hash:net,iface\nadd a 10.0.0.0/8,physdev:eth0\n").contains("not modelled"));
    assert!(e("create a hash:ip,mac\n").contains("not modelled"));
    assert!(e("swap a b\n").contains("not modelled"));
    for bad in [
        "create",
        "add",
        "create a",
        "add a",
        "create a hash:ip family",
        "create a hash:ip timeout x",
        "create a bitmap:ip",
        "create a \"b",
        "create l list:set\nadd l nope",
    ] {
        assert!(Ipsets::restore(bad).is_err(), "{bad}");
    }
}

#[test]
fn hash_net_most_specific_first_and_nomatch() {
    let mut s = Ipsets::restore(
        "create n hash:net\nadd n 192.0.2.0/24\nadd n 192.0.2.0/28 nomatch\nadd n 192.0.2.5\n",
    )
    .unwrap();
    let p = |d: [u8; 4]| {
        PacketBuilder::ipv4(d.into(), [198, 51, 100, 1].into())
            .udp(1, 2)
            .build()
    };
    let o = AdtOpt::default();
    assert!(test(&mut s, "n", &p([192, 0, 2, 100]), 1, 1, o));
    assert!(!test(&mut s, "n", &p([192, 0, 2, 6]), 1, 1, o));
    assert!(test(&mut s, "n", &p([192, 0, 2, 5]), 1, 1, o));
    assert!(!test(&mut s, "n", &p([192, 0, 3, 5]), 1, 1, o));
    // --return-nomatch: a nomatch element matches, a plain one does not.
    let rn = AdtOpt {
        return_nomatch: true,
        ..o
    };
    assert!(test(&mut s, "n", &p([192, 0, 2, 6]), 1, 1, rn));
    assert!(!test(&mut s, "n", &p([192, 0, 2, 100]), 1, 1, rn));
    // dst flag: the destination is not in the set; too few dimensions.
    assert!(!test(&mut s, "n", &p([192, 0, 2, 100]), 0, 1, o));
    assert!(!test(&mut s, "n", &p([192, 0, 2, 100]), 1, 0, o));
}

#[test]
fn ports_counters_and_lists() {
    let mut s = Ipsets::restore(
        "create p hash:ip,port counters\nadd p 192.0.2.1,udp:53\ncreate l list:set\nadd l p\n",
    )
    .unwrap();
    let dns = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
        .udp(4000, 53)
        .build();
    let tcp = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
        .tcp(4000, 53)
        .build();
    let o = AdtOpt::default();
    assert!(test(&mut s, "p", &dns, 0, 2, o));
    assert!(!test(&mut s, "p", &tcp, 0, 2, o));
    assert!(test(&mut s, "l", &dns, 0, 2, o));
    let gt = AdtOpt {
        packets: (4, 2),
        ..o
    };
    assert!(test(&mut s, "p", &dns, 0, 2, gt));
    assert!(s.save_text(Instant::ZERO).contains(&format!(
        "add p 192.0.2.1,udp:53 packets 3 bytes {}",
        3 * dns.len()
    )));
}

/// Every prefix of valid text, and every line with each word replaced by
/// odd ones, is read or refused without a panic.
#[test]
fn odd_input_never_panics() {
    let text = "create a hash:ip family inet hashsize 64 maxelem 4 timeout 30 counters comment skbinfo netmask 24
add a 192.0.2.1 timeout 30 packets 1 bytes 2 comment \"x y\" skbmark 0x10/0xff skbprio 1:2 skbqueue 3
create n hash:net family inet6 forceadd
add n 2001:db8::/32 nomatch
create p hash:ip,port,net
add p 192.0.2.1,icmp:8/0,192.0.2.0/24 nomatch
add p 192.0.2.1-192.0.2.3,udp:1-3,192.0.2.0/30
create b bitmap:ip range 192.0.2.0/24 netmask 30
add b 192.0.2.4-192.0.2.9
create bp bitmap:port range 1000-2000
add bp 1500-1502
create ni hash:net,iface
add ni 0.0.0.0/0,eth0
create m hash:mac
add m 02:00:00:00:00:01
create l list:set size 2
add l n
add l a before n
";
    let odd = [
        "",
        "-",
        "0",
        "4294967296",
        "0x",
        "/",
        ",",
        "1-",
        "-1",
        "::",
        "300.1.1.1",
        "\"",
        "a:b:c",
        "999999999999999999999999",
        "icmp:",
        "tcp:99999",
        "bitmask",
        "range",
        "physdev:x",
    ];
    for cut in 0..text.len() {
        if text.is_char_boundary(cut) {
            let _ = Ipsets::restore(&text[..cut]);
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let words: Vec<&str> = line.split(' ').collect();
        for k in 0..words.len() {
            for o in odd {
                let mut w = words.clone();
                w[k] = o;
                let mut all: Vec<String> = lines[..i].iter().map(|s| s.to_string()).collect();
                all.push(w.join(" "));
                let t = all.join("\n");
                if let Ok(s) = Ipsets::restore(&t) {
                    // What was read prints, and reads back the same.
                    let saved = s.save_text(Instant::ZERO);
                    assert_eq!(
                        Ipsets::restore(&saved).map(|r| r.save_text(Instant::ZERO)),
                        Ok(saved),
                        "{t}"
                    );
                    let _ = s.list_text(Instant::ZERO, &[]);
                }
            }
        }
    }
    if let Err(e) = Ipsets::restore(text) {
        panic!("{e}");
    }
}

/// hash:mac (not built into the reference kernel, so no trace): the
/// frame's source address (hash_mac4_kadt), none or zero is -EINVAL.
#[test]
fn hash_mac_tests_the_source_address() {
    let mut s = Ipsets::restore("create m hash:mac\nadd m 02:00:00:00:01:01\n").unwrap();
    assert_eq!(
        s.save_text(Instant::ZERO),
        "create m hash:mac hashsize 1024 maxelem 65536 bucketsize 12\nadd m 02:00:00:00:01:01\n"
    );
    let data = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
        .udp(1, 2)
        .build();
    let meta = pkt(&data);
    let o = AdtOpt {
        family: Some(meta.family),
        dim: 1,
        src: 1,
        ..AdtOpt::default()
    };
    let mut t = |mac: Option<[u8; 6]>| {
        let p = PktView {
            data: &data,
            meta: &meta,
            in_dev: "eth0",
            out_dev: "",
            src_mac: mac,
        };
        s.test(0, &p, &o, Instant::ZERO, &mut SkbMap::default())
    };
    assert!(t(Some([2, 0, 0, 0, 1, 1])));
    assert!(!t(Some([2, 0, 0, 0, 1, 2])));
    assert!(!t(None));
    assert!(Ipsets::restore("create m hash:mac\nadd m 00:00:00:00:00:00\n").is_err());
    assert!(Ipsets::restore("create m hash:mac family inet\n").is_err());
}

/// hash:net,iface: the in device for `src`, the out device for `dst`.
#[test]
fn net_iface_reads_the_devices() {
    let mut s = Ipsets::restore("create ni hash:net,iface\nadd ni 192.0.2.0/24,eth0\n").unwrap();
    let data = PacketBuilder::ipv4([192, 0, 2, 9].into(), [198, 51, 100, 1].into())
        .udp(1, 2)
        .build();
    let meta = pkt(&data);
    let mut t = |src: u8, in_dev: &str, out_dev: &str| {
        let p = PktView {
            data: &data,
            meta: &meta,
            in_dev,
            out_dev,
            src_mac: None,
        };
        let o = AdtOpt {
            family: Some(meta.family),
            dim: 2,
            src,
            ..AdtOpt::default()
        };
        s.test(0, &p, &o, Instant::ZERO, &mut SkbMap::default())
    };
    assert!(t(0b11, "eth0", ""));
    assert!(!t(0b11, "eth1", ""));
    assert!(t(0b01, "", "eth0"));
    assert!(!t(0b01, "eth0", ""));
}
