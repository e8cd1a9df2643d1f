//! Header matches (`engine/eval/{ip,exthdr,l4}.rs`) on a whole host.
//!
//! Most expectations are `(rule counter, survived)` pairs measured on
//! Linux 6.18 (lab: two network namespaces joined by a veth pair, the
//! frame sent with an `AF_PACKET` socket from the peer; the rule under
//! test in raw PREROUTING, a catch-all counter in mangle PREROUTING:
//! `(1, 1)` matched, `(0, 1)` did not match, `(0, 0)` hot-dropped,
//! `(1, 0)` matched and hot-dropped).

use crate::host::{Host, HostConfig, InterfaceConfig, Outcome};
use crate::model::{Family, Ruleset, TableKind};
use crate::replay::TraceCollector;
use crate::syntax::{parse_restore, RestoreOptions};
use crate::time::Instant;

const SRC4: &str = "192.0.2.2";
const SRC6: &str = "2001:db8::2";

fn csum(b: &[u8]) -> u16 {
    let mut s: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while s > 0xffff {
        s = (s >> 16) + (s & 0xffff);
    }
    !(s as u16)
}

/// 192.0.2.2 -> 192.0.2.1, protocol `proto`, `l4` as given after the
/// header; `frag`: fragment offset in 8-byte units.
fn v4f(proto: u8, l4: &[u8], tos: u8, frag: u16) -> Vec<u8> {
    crate::wire::PacketBuilder::ipv4([192, 0, 2, 2].into(), [192, 0, 2, 1].into())
        .tos(tos)
        .frag_offset(frag * 8)
        .protocol(crate::wire::IpProtocol(proto))
        .payload(l4)
        .build()
}

fn v4(proto: u8, l4: &[u8]) -> Vec<u8> {
    v4f(proto, l4, 0, 0)
}

/// 2001:db8::<src_low> -> 2001:db8::1, next header `nh`, `payload` as
/// given after the fixed header.
fn v6s(nh: u8, payload: &[u8], tc: u8, src_low: [u8; 8]) -> Vec<u8> {
    let mut src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    src[8..].copy_from_slice(&src_low);
    crate::wire::PacketBuilder::ipv6(src.into(), "2001:db8::1".parse().unwrap())
        .traffic_class(tc)
        .protocol(crate::wire::IpProtocol(nh))
        .payload(payload)
        .build()
}

fn v6(nh: u8, payload: &[u8]) -> Vec<u8> {
    v6s(nh, payload, 0, [0, 0, 0, 0, 0, 0, 0, 2])
}

const SYN: [u8; 20] = [
    0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x03, 0xe8, 0, 0, 0, 0,
];

/// SYN with an MSS option of 1460.
fn syn_mss() -> Vec<u8> {
    let mut s = SYN.to_vec();
    s[12] = 0x60;
    s.extend_from_slice(&[2, 4, 0x05, 0xb4]);
    s
}

/// Builds the lab's host and rules, receives `pkt` on eth0 and returns
/// (raw rule counter, mangle counter).
fn lab_src(fam: Family, rule: &str, pkt: &[u8], src: &str) -> (u64, u64) {
    let rules = format!(
        "*raw\n-A PREROUTING -s {src} {rule}\nCOMMIT\n*mangle\n-A PREROUTING -s {src}\nCOMMIT\n"
    );
    let rs = parse_restore(&rules, &RestoreOptions::new(fam)).expect("rules parse");
    let empty = Ruleset::new(match fam {
        Family::Ipv4 => Family::Ipv6,
        Family::Ipv6 => Family::Ipv4,
    });
    let (r4, r6) = match fam {
        Family::Ipv4 => (&rs, &empty),
        Family::Ipv6 => (&empty, &rs),
    };
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec![
                "192.0.2.1/24".parse().expect("net"),
                "2001:db8::1/64".parse().expect("net"),
            ],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        ..HostConfig::default()
    };
    let mut host = Host::new(&cfg, r4, r6).expect("host");
    let mut out = Outcome::default();
    let mut sink = TraceCollector::default();
    host.receive(1, pkt, Instant::from_millis_f64(1.0), &mut out, &mut sink);
    let c = |k| host.table_state(fam, k).expect("table").counters[0].0;
    (c(TableKind::Raw), c(TableKind::Mangle))
}

fn lab(fam: Family, rule: &str, pkt: &[u8]) -> (u64, u64) {
    let src = match fam {
        Family::Ipv4 => SRC4,
        Family::Ipv6 => SRC6,
    };
    lab_src(fam, rule, pkt, src)
}

const M: (u64, u64) = (1, 1);
const N: (u64, u64) = (0, 1);
const D: (u64, u64) = (0, 0);

#[test]
fn header_fields() {
    use Family::{Ipv4 as F4, Ipv6 as F6};
    let syn = syn_mss();
    assert_eq!(lab(F4, "-m length --length 40", &v4(6, &SYN)), M);
    assert_eq!(lab(F4, "-m length ! --length 40", &v4(6, &SYN)), N);
    assert_eq!(lab(F6, "-m length --length 60:60", &v6(6, &SYN)), M);
    assert_eq!(lab(F4, "-m ttl --ttl-eq 64", &v4(6, &SYN)), M);
    assert_eq!(lab(F4, "-m ttl --ttl-lt 64", &v4(6, &SYN)), N);
    assert_eq!(lab(F4, "-m ttl ! --ttl-eq 63", &v4(6, &SYN)), M);
    assert_eq!(lab(F6, "-m hl --hl-eq 64", &v6(6, &SYN)), M);
    assert_eq!(lab(F6, "-m hl --hl-gt 64", &v6(6, &SYN)), N);
    let ect2 = v4f(6, &syn, 0x02, 0);
    assert_eq!(lab(F4, "-m ecn --ecn-ip-ect 2", &ect2), M);
    assert_eq!(lab(F4, "-m tos --tos 0x02/0x03", &ect2), M);
    assert_eq!(lab(F4, "-m dscp --dscp 0", &ect2), M);
    let ef = v6s(6, &syn, 0xb8, [0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(lab(F6, "-m dscp --dscp-class EF", &ef), M);
    let tc = v6s(6, &syn, 0xb9, [0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(lab(F6, "-m tos --tos 0xb8/0xfc", &tc), M);
    assert_eq!(lab(F6, "-m ecn --ecn-ip-ect 1", &tc), M);
    assert_eq!(lab(F6, "-m ecn ! --ecn-ip-ect 1", &tc), N);
    // ecn TCP bits on a TCP header cut short: no match, no hotdrop.
    assert_eq!(
        lab(F4, "-p tcp -m ecn --ecn-tcp-cwr", &v4(6, &syn[..10])),
        N
    );
    let mut cwr = SYN;
    cwr[13] |= 0x80;
    assert_eq!(
        lab(
            F4,
            "-p tcp -m ecn --ecn-tcp-cwr ! --ecn-tcp-ece",
            &v4(6, &cwr)
        ),
        M
    );
    assert_eq!(lab(F4, "-p tcp -m ecn --ecn-tcp-ece", &v4(6, &cwr)), N);
}

#[test]
fn link_layer_and_ranges() {
    use Family::{Ipv4 as F4, Ipv6 as F6};
    assert_eq!(lab(F4, "-m pkttype --pkt-type unicast", &v4(6, &SYN)), M);
    assert_eq!(lab(F4, "-m pkttype --pkt-type broadcast", &v4(6, &SYN)), N);
    assert_eq!(
        lab(F4, "-m mac --mac-source 02:00:00:00:01:01", &v4(6, &SYN)),
        M
    );
    assert_eq!(
        lab(F4, "-m mac ! --mac-source 02:00:00:00:01:01", &v4(6, &SYN)),
        N
    );
    assert_eq!(
        lab(F6, "-m mac --mac-source 02:00:00:00:01:02", &v6(6, &SYN)),
        N
    );
    assert_eq!(
        lab(
            F4,
            "-m iprange --src-range 192.0.2.1-192.0.2.9 ! --dst-range 192.0.2.2-192.0.2.3",
            &v4(6, &SYN)
        ),
        M
    );
    assert_eq!(
        lab(
            F4,
            "-m iprange --dst-range 192.0.2.2-192.0.2.3",
            &v4(6, &SYN)
        ),
        N
    );
    assert_eq!(
        lab(
            F6,
            "-m iprange --src-range 2001:db8::-2001:db8::ffff",
            &v6(6, &SYN)
        ),
        M
    );
    // eui64: the universal/local bit is flipped (02:.. -> 00:..).
    let e = [0, 0, 0, 0xff, 0xfe, 0, 1, 1];
    assert_eq!(
        lab_src(F6, "-m eui64", &v6s(6, &SYN, 0, e), "2001:db8::ff:fe00:101"),
        M
    );
    let e = [2, 0, 0, 0xff, 0xfe, 0, 1, 1];
    assert_eq!(
        lab_src(
            F6,
            "-m eui64",
            &v6s(6, &SYN, 0, e),
            "2001:db8::200:ff:fe00:101"
        ),
        N
    );
}

#[test]
fn ipv6_extension_headers() {
    use Family::Ipv6 as F6;
    // Destination options claiming 16 bytes, 8 present: hotdrop.
    let d = [59, 1, 1, 4, 0, 0, 0, 0];
    assert_eq!(lab(F6, "-m dst --dst-len 16", &v6(60, &d)), D);
    assert_eq!(lab(F6, "-m dst", &v6(60, &d)), D);
    // PadN of 4: the second requested option runs out: no match.
    let d = [59, 0, 1, 4, 0, 0, 0, 0];
    assert_eq!(lab(F6, "-m dst --dst-opts 1,1", &v6(60, &d)), N);
    assert_eq!(lab(F6, "-m dst --dst-opts 1:4", &v6(60, &d)), M);
    assert_eq!(lab(F6, "-m dst --dst-opts 1:3", &v6(60, &d)), N);
    assert_eq!(lab(F6, "-m dst --dst-len 8 --dst-opts 1", &v6(60, &d)), M);
    assert_eq!(lab(F6, "-m hbh", &v6(60, &d)), N);
    assert_eq!(lab(F6, "-m dst", &v6(6, &SYN)), N);
    let mut h = vec![60, 0, 1, 4, 0, 0, 0, 0];
    h.extend_from_slice(&d);
    assert_eq!(lab(F6, "-m hbh --hbh-opts 1:4", &v6(0, &h)), M);
    assert_eq!(lab(F6, "-m dst ! --dst-len 8", &v6(0, &h)), N);
    // ipv6header: a header running past the packet ends the walk.
    let mut t = vec![6, 0, 1, 4, 0, 0, 0, 0];
    assert_eq!(
        lab(
            F6,
            "-m ipv6header --header dst,protocol",
            &v6(60, &[6, 3, 1, 4, 0, 0, 0, 0])
        ),
        M
    );
    t.extend_from_slice(&SYN);
    assert_eq!(
        lab(F6, "-m ipv6header --header dst,protocol", &v6(60, &t)),
        M
    );
    assert_eq!(lab(F6, "-m ipv6header --header dst", &v6(60, &t)), N);
    assert_eq!(lab(F6, "-m ipv6header --header dst --soft", &v6(60, &t)), M);
    assert_eq!(lab(F6, "-m ipv6header ! --header dst", &v6(60, &t)), M);
    assert_eq!(
        lab(F6, "-m ipv6header ! --header dst --soft", &v6(60, &t)),
        N
    );
    assert_eq!(lab(F6, "-m ipv6header --header none", &v6(59, &[])), M);
    // Fewer than 2 bytes left for a header: false, inverted or not.
    let soft = "-m ipv6header --header dst --soft";
    assert_eq!(lab(F6, soft, &v6(60, &[])), N);
    assert_eq!(
        lab(F6, "-m ipv6header ! --header dst --soft", &v6(60, &[6])),
        N
    );
    // The walk goes on after a non-first fragment's header.
    let nf = [60, 0, 0, 0x10, 0, 0, 0, 1, 6, 0, 0, 0, 0, 0, 0, 0];
    let all = "-m ipv6header --header frag,dst,protocol";
    assert_eq!(lab(F6, all, &v6(44, &nf)), M);
    // rt
    let mut r = vec![59, 2, 0, 0];
    r.extend_from_slice(&[0; 20]);
    assert_eq!(lab(F6, "-m rt --rt-len 24", &v6(43, &r)), M);
    assert_eq!(lab(F6, "-m rt", &v6(43, &r[..16])), D);
    assert_eq!(lab(F6, "-m rt --rt-type 7", &v6(43, &r[..16])), D);
    // Type 0 with one address (2001:db8::9) and a zero reserved word.
    let mut r0 = vec![59, 2, 0, 1, 0, 0, 0, 0];
    r0.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    let rt0 = v6(43, &r0);
    assert_eq!(
        lab(
            F6,
            "-m rt --rt-type 0 --rt-segsleft 1 --rt-0-res --rt-0-addrs 2001:db8::9",
            &rt0
        ),
        M
    );
    assert_eq!(
        lab(
            F6,
            "-m rt --rt-type 0 --rt-0-addrs 2001:db8::9,2001:db8::9",
            &rt0
        ),
        N
    );
    assert_eq!(
        lab(F6, "-m rt --rt-type 0 --rt-0-addrs 2001:db8::8", &rt0),
        N
    );
    assert_eq!(
        lab(
            F6,
            "-m rt --rt-type 0 --rt-0-addrs 2001:db8::9 --rt-0-not-strict",
            &rt0
        ),
        M
    );
    // srh (type 4)
    let mut srh = vec![59, 4, 4, 1, 1, 0, 0, 0];
    srh.extend_from_slice(&[0; 32]);
    srh[8 + 16 + 15] = 7; // segment 1 = ::7
    assert_eq!(lab(F6, "-m srh", &v6(43, &srh)), M);
    assert_eq!(
        lab(
            F6,
            "-m srh --srh-segs-left-eq 1 --srh-last-entry-gt 0 --srh-next-hdr 59",
            &v6(43, &srh)
        ),
        M
    );
    assert_eq!(
        lab(
            F6,
            "-m srh --srh-lsid ::/128 ! --srh-psid ::",
            &v6(43, &srh)
        ),
        N
    );
    assert_eq!(lab(F6, "-m srh --srh-nsid ::/128", &v6(43, &srh)), M);
    assert_eq!(lab(F6, "-m srh --srh-tag 1", &v6(43, &srh)), N);
    let mut bad = srh.clone();
    bad[3] = 2;
    assert_eq!(lab(F6, "-m srh", &v6(43, &bad)), N);
    let mut long = srh.clone();
    long[1] = 6;
    assert_eq!(lab(F6, "-m srh", &v6(43, &long)), N);
    // frag
    let mut f = vec![6, 0, 0, 1, 0, 0, 0, 5];
    f.extend_from_slice(&SYN);
    assert_eq!(
        lab(F6, "-m frag --fragid 5 --fragfirst --fragmore", &v6(44, &f)),
        M
    );
    f[3] = 0x10;
    assert_eq!(lab(F6, "-m frag --fraglast ! --fragid 4", &v6(44, &f)), M);
    assert_eq!(lab(F6, "-m frag --fragfirst", &v6(44, &f)), N);
    assert_eq!(lab(F6, "-m frag --fragres", &v6(44, &f)), M);
    f[3] = 0x12;
    assert_eq!(lab(F6, "-m frag --fragres", &v6(44, &f)), N);
    assert_eq!(lab(F6, "-m frag", &v6(44, &[6, 0, 0, 0])), D);
    // ah
    let ah = [59, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    assert_eq!(lab(F6, "-m ah --ahspi 256 --ahlen 12", &v6(51, &ah)), M);
    assert_eq!(lab(F6, "-m ah ! --ahlen 12", &v6(51, &ah)), N);
    assert_eq!(lab(F6, "-m ah", &v6(51, &ah[..8])), D);
    // mh
    let mh = [59, 0, 5, 0, 0, 0, 0, 0];
    assert_eq!(lab(F6, "-p mh -m mh --mh-type bu", &v6(135, &mh)), M);
    assert_eq!(lab(F6, "-p mh -m mh ! --mh-type bu", &v6(135, &mh)), N);
    assert_eq!(
        lab(
            F6,
            "-p mh -m mh --mh-type bu",
            &v6(135, &[6, 0, 5, 0, 0, 0, 0, 0])
        ),
        D
    );
    assert_eq!(lab(F6, "-p mh -m mh --mh-type bu", &v6(135, &mh[..5])), D);
}

#[test]
fn transport_headers() {
    use Family::{Ipv4 as F4, Ipv6 as F6};
    let ah = [59, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    assert_eq!(lab(F4, "-p ah -m ah --ahspi 256", &v4(51, &ah)), M);
    assert_eq!(lab(F4, "-p ah -m ah --ahspi 256", &v4(51, &ah[..8])), D);
    assert_eq!(lab(F4, "-p esp -m esp --espspi 1", &v4(50, &[0; 6])), D);
    assert_eq!(
        lab(
            F6,
            "-p esp -m esp --espspi 7",
            &v6(50, &[0, 0, 0, 7, 0, 0, 0, 1])
        ),
        M
    );
    assert_eq!(
        lab(
            F6,
            "-p esp -m esp ! --espspi 7",
            &v6(50, &[0, 0, 0, 7, 0, 0, 0, 1])
        ),
        N
    );
    // tcpmss (no fragment check: a non-first fragment is read as TCP).
    let syn = syn_mss();
    assert_eq!(lab(F4, "-p tcp -m tcpmss --mss 1460", &v4(6, &syn)), M);
    assert_eq!(
        lab(F4, "-p tcp -m tcpmss --mss 1460", &v4f(6, &syn, 0, 2)),
        M
    );
    assert_eq!(
        lab(F4, "-p tcp -m tcpmss --mss 1460", &v4(6, &syn[..22])),
        D
    );
    assert_eq!(
        lab(F4, "-p tcp -m tcpmss ! --mss 1000:1400", &v4(6, &syn)),
        M
    );
    assert_eq!(lab(F4, "-p tcp -m tcpmss --mss 0:65535", &v4(6, &SYN)), N);
    assert_eq!(lab(F6, "-p tcp -m tcpmss --mss 1460", &v6(6, &syn)), M);
    // IPv6 non-first fragment: `thoff` stays 0, the IPv6 header is read
    // as TCP: data offset from the source address' byte 4.
    let mut f = vec![6, 0, 0, 8, 0, 0, 0, 5];
    f.extend_from_slice(&syn);
    assert_eq!(lab(F6, "-p tcp -m tcpmss --mss 1460", &v6(44, &f)), D);
    let mut p = v6(44, &f);
    p[12] = 0x60;
    let rule = "-p tcp -m tcpmss ! --mss 1460";
    assert_eq!(lab_src(F6, rule, &p, "2001:db8:6000::2"), M);
    // dccp: Request with extended sequence numbers: 16 + 4 bytes of
    // header, doff 6: 4 option bytes [0, 5, 0, 0].
    let dccp = |ty: u8, doff: u8, rest: &[u8]| {
        let mut d = vec![
            0x03,
            0xe8,
            0x07,
            0xd0,
            doff,
            0,
            0,
            0,
            (ty << 1) | 1,
            0,
            0,
            0,
        ];
        d.extend_from_slice(rest);
        d
    };
    let mut rest = vec![0; 8];
    rest.extend_from_slice(&[0, 5, 0, 0]);
    let req = v4(33, &dccp(0, 6, &rest));
    assert_eq!(
        lab(
            F4,
            "-p dccp -m dccp --dccp-types REQUEST --dccp-option 5",
            &req
        ),
        M
    );
    assert_eq!(lab(F4, "-p dccp -m dccp --dccp-option 6", &req), N);
    assert_eq!(
        lab(F4, "-p dccp -m dccp --sport 1000 --dport 2001", &req),
        N
    );
    let resp = v4(33, &dccp(1, 6, &[0; 20]));
    assert_eq!(lab(F4, "-p dccp -m dccp --dccp-option 6", &resp), D);
    assert_eq!(lab(F4, "-p dccp -m dccp --dccp-types RESPONSE", &resp), M);
    let data = v4(33, &dccp(2, 7, &[0, 0, 0, 0, 0, 0, 9, 0]));
    assert_eq!(lab(F4, "-p dccp -m dccp --dccp-option 9", &data), D);
    // sctp
    let sctp = |chunks: &[u8]| {
        let mut s = vec![0x13, 0x88, 0x17, 0x70, 0, 0, 0, 0, 0, 0, 0, 0];
        s.extend_from_slice(chunks);
        v4(132, &s)
    };
    let mut init = vec![1, 0, 0, 20];
    init.extend_from_slice(&[0; 16]);
    let mut data = vec![0, 3, 0, 17];
    data.extend_from_slice(&[0; 16]);
    let mut both = init.clone();
    both.extend_from_slice(&data);
    assert_eq!(
        lab(F4, "-p sctp -m sctp --chunk-types any INIT", &sctp(&init)),
        M
    );
    assert_eq!(
        lab(
            F4,
            "-p sctp -m sctp --chunk-types all INIT,DATA",
            &sctp(&both)
        ),
        M
    );
    assert_eq!(
        lab(
            F4,
            "-p sctp -m sctp --chunk-types all INIT,DATA",
            &sctp(&init)
        ),
        N
    );
    assert_eq!(
        lab(
            F4,
            "-p sctp -m sctp --chunk-types only DATA:BE",
            &sctp(&data)
        ),
        M
    );
    assert_eq!(
        lab(
            F4,
            "-p sctp -m sctp --chunk-types only DATA:be",
            &sctp(&data)
        ),
        N
    );
    assert_eq!(
        lab(F4, "-p sctp -m sctp --chunk-types only DATA", &sctp(&both)),
        N
    );
    assert_eq!(
        lab(
            F4,
            "-p sctp -m sctp --chunk-types any DATA",
            &sctp(&[1, 0, 0, 0])
        ),
        D
    );
    assert_eq!(
        lab(F4, "-p sctp -m sctp --chunk-types only DATA", &sctp(&[])),
        D
    );
    assert_eq!(lab(F4, "-p sctp -m sctp --dport 6000", &sctp(&[])), M);
    assert_eq!(lab(F4, "-p sctp -m sctp ! --sport 5000", &sctp(&[])), N);
}

/// `mac` on `lo` is false, inverted or not (lab: the same three rules
/// on Linux 6.18 counted 0, 0 and 2 for a UDP packet to 127.0.0.1).
#[test]
fn mac_on_loopback() {
    let rs = parse_restore(
        "*filter\n-A INPUT -i lo -m mac --mac-source 00:00:00:00:00:00\n\
         -A INPUT -i lo -m mac ! --mac-source 00:00:00:00:00:00\n-A INPUT -i lo\nCOMMIT\n",
        &RestoreOptions::new(Family::Ipv4),
    )
    .expect("parse");
    let cfg = HostConfig {
        interfaces: vec![InterfaceConfig {
            name: "eth0".into(),
            mac: [2, 0, 0, 0, 0, 1],
            addrs: vec!["192.0.2.1/24".parse().expect("net")],
            peer_mac: [2, 0, 0, 0, 1, 1],
        }],
        ..HostConfig::default()
    };
    let mut host = Host::new(&cfg, &rs, &Ruleset::new(Family::Ipv6)).expect("host");
    let mut p = v4(17, &[0, 9, 0, 9, 0, 9, 0, 0, b'x']);
    p[15] = 1; // from 192.0.2.1 to itself: out and back in through lo
    let c = csum(&[&p[..10], &p[12..20]].concat());
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let (mut out, mut sink) = (Outcome::default(), TraceCollector::default());
    host.send(&p, Instant::from_millis_f64(1.0), &mut out, &mut sink);
    let st = host
        .table_state(Family::Ipv4, TableKind::Filter)
        .expect("filter");
    let n: Vec<u64> = st.counters.iter().take(3).map(|c| c.0).collect();
    // The datagram and the port unreachable error it causes.
    assert_eq!(n, [0, 0, 2]);
}

/// The kernel answers "match, then drop the packet" for these (lab:
/// `(1, 0)`); the engine has no such answer, so the rules are refused.
#[test]
fn match_and_hotdrop_rules_are_refused() {
    for (fam, rule) in [
        (Family::Ipv4, "-p sctp -m sctp ! --chunk-types any DATA"),
        (Family::Ipv4, "-p dccp -m dccp ! --dccp-option 9"),
    ] {
        let rs = parse_restore(
            format!("*filter\n-A INPUT {rule}\nCOMMIT\n"),
            &RestoreOptions::new(fam),
        )
        .expect("parse");
        let empty = Ruleset::new(Family::Ipv6);
        assert!(
            Host::new(&HostConfig::default(), &rs, &empty).is_err(),
            "{rule}"
        );
    }
}

/// Evaluates the first match of `rule` on `bytes` with a hand-built
/// context (skb `pkt_type`, source MAC).
/// A packet received on eth0 at INPUT, at time 0.
fn input_ctx(
    fam: Family,
    data: &mut Vec<u8>,
    meta: crate::wire::meta::PacketMeta,
    pkt_type: u8,
    src_mac: Option<[u8; 6]>,
) -> crate::engine::ctx::PacketCtx<'_> {
    crate::engine::ctx::PacketCtx {
        family: fam,
        data,
        meta,
        hook: crate::model::Hook::LocalIn,
        in_dev: "eth0",
        out_dev: "",
        mark: 0,
        now: Instant::from_millis_f64(0.0),
        nf_trace: false,
        pkt_type,
        src_mac,
        sk_owner: None,
        csum_partial: false,
    }
}

fn direct(
    fam: Family,
    rule: &str,
    bytes: &[u8],
    pkt_type: u8,
    src_mac: Option<[u8; 6]>,
) -> crate::engine::ctx::MatchResult {
    use crate::wire::meta::PacketMeta;
    let rs = parse_restore(
        format!("*filter\n-A INPUT {rule}\nCOMMIT\n"),
        &RestoreOptions::new(fam),
    )
    .expect("parse");
    let m = &rs.tables[0].chains[0].rules[0].matches[0];
    let mut data = bytes.to_vec();
    let meta = PacketMeta::parse(&data).expect("meta");
    let pkt = input_ctx(fam, &mut data, meta, pkt_type, src_mac);
    let mut st = crate::engine::state::MatchState::default();
    crate::engine::eval::eval_match(m, &pkt, &mut st, &mut NoEnv)
}

#[test]
fn pkttype_loopback_and_length_wrap() {
    use crate::engine::ctx::MatchResult::{Match as Y, NoMatch as No};
    let (f4, f6) = (Family::Ipv4, Family::Ipv6);
    let uni = v4(6, &SYN);
    let mut mc = uni.clone();
    mc[16] = 224;
    let r = |t| format!("-m pkttype --pkt-type {t}");
    // PACKET_LOOPBACK (5): multicast for an IPv4 multicast destination
    // and for IPv6, broadcast otherwise.
    assert_eq!(direct(f4, &r("multicast"), &mc, 5, None), Y);
    assert_eq!(direct(f4, &r("broadcast"), &uni, 5, None), Y);
    assert_eq!(direct(f4, &r("broadcast"), &mc, 5, None), No);
    assert_eq!(direct(f6, &r("multicast"), &v6(6, &SYN), 5, None), Y);
    assert_eq!(direct(f4, &r("otherhost"), &uni, 3, None), Y);
    assert_eq!(direct(f4, "-m pkttype ! --pkt-type host", &uni, 1, None), Y);
    // length_mt6: payload_len + 40 in 16 bits.
    let mut big = v6(6, &SYN);
    big[4] = 0xff;
    big[5] = 0xff;
    assert_eq!(direct(f6, "-m length --length 39", &big, 0, None), Y);
    // mac without a MAC header (locally generated): false, even inverted.
    let mac = "-m mac ! --mac-source 02:00:00:00:01:01";
    assert_eq!(direct(f4, mac, &uni, 0, None), No);
    assert_eq!(direct(f4, mac, &uni, 0, Some([2, 0, 0, 0, 1, 2])), Y);
}

/// Truncated and odd packets never panic any of the matches.
#[test]
fn no_panics_on_truncation() {
    use crate::model::Match;
    use crate::wire::meta::PacketMeta;
    let rules4 = [
        "-p tcp -m tcpmss --mss 1",
        "-p tcp -m ecn --ecn-tcp-ece",
        "-p ah -m ah",
        "-p esp -m esp",
        "-p sctp -m sctp --chunk-types all DATA,INIT",
        "-p dccp -m dccp --dccp-option 3 --dccp-types DATA",
        "-m length --length 3",
        "-m iprange --src-range 1.2.3.4-1.2.3.5",
        "-m pkttype --pkt-type multicast",
    ];
    let rules6 = [
        "-m ipv6header --header dst --soft",
        "-m frag --fragres",
        "-m rt --rt-type 0 --rt-0-addrs ::1",
        "-m hbh --hbh-opts 1,2,3",
        "-m dst --dst-len 8",
        "-m ah --ahlen 3",
        "-m srh --srh-psid ::1",
        "-p mh -m mh",
        "-m eui64",
    ];
    let mut seeds: Vec<Vec<u8>> = vec![v4(6, &syn_mss()), v4(51, &[0; 12]), v4(132, &[0; 20])];
    let mut x = v6(60, &[43, 0, 1, 4, 0, 0, 0, 0, 44, 2, 0, 1, 0, 0, 0, 0]);
    x.extend_from_slice(&[0; 16]);
    x.extend_from_slice(&[51, 0, 0, 0, 0, 0, 0, 0, 59, 1, 0, 0, 0, 0, 0, 0]);
    let plen = (x.len() - 40) as u16;
    x[4..6].copy_from_slice(&plen.to_be_bytes());
    seeds.push(x);
    for seed in seeds {
        let fam = if seed[0] >> 4 == 4 {
            Family::Ipv4
        } else {
            Family::Ipv6
        };
        let rules: &[&str] = if fam == Family::Ipv4 {
            &rules4
        } else {
            &rules6
        };
        let text: String = rules.iter().map(|r| format!("-A INPUT {r}\n")).collect();
        let rs = parse_restore(
            format!("*filter\n{text}COMMIT\n"),
            &RestoreOptions::new(fam),
        )
        .expect("parse");
        let ms: Vec<&Match> = rs
            .tables
            .iter()
            .flat_map(|t| t.chains.iter())
            .flat_map(|c| c.rules.iter())
            .flat_map(|r| r.matches.iter())
            .collect();
        for cut in 0..=seed.len() {
            for flip in [0usize, 1, 2, 3, 5, 41, 49] {
                let mut b = seed[..cut].to_vec();
                if let Some(v) = b.get_mut(flip) {
                    *v ^= 0xff;
                }
                let Ok(meta) = PacketMeta::parse(&b) else {
                    continue;
                };
                let mut data = b.clone();
                let pkt = input_ctx(fam, &mut data, meta, 5, Some([2, 0, 0, 0, 1, 1]));
                for m in &ms {
                    let mut st = crate::engine::state::MatchState::default();
                    let _ = crate::engine::eval::eval_match(m, &pkt, &mut st, &mut NoEnv);
                }
            }
        }
    }
}

struct NoEnv;
impl crate::engine::ctx::Env for NoEnv {
    fn addr_type(&self, _: Family, _: &[u8], _: Option<&str>) -> u16 {
        0
    }
    fn conncount(
        &mut self,
        _: &mut crate::engine::state::MatchState,
        _: [u32; 5],
        _: &crate::engine::ctx::PacketCtx<'_>,
    ) -> u32 {
        0
    }
    fn run_target(
        &mut self,
        _: TableKind,
        _: &crate::model::Target,
        _: &mut crate::engine::ctx::PacketCtx<'_>,
    ) -> Option<crate::engine::ctx::Verdict> {
        None
    }
}
