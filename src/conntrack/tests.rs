//! Tests of the table, the trackers and NAT with byte-array packets.
//! A few packets are taken from the recorded kernel traces (noted where).

use core::net::IpAddr;

use super::table::{INITIAL_CHAINS, NIL};
use super::*;
use crate::wire::checksum::{combine, pseudo_header, sum};
use crate::wire::IpProtocol;

const S: u64 = 1_000;

fn ms(m: u64) -> Instant {
    Instant::from_millis(m)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The host's one parse of a packet.
fn meta(p: &[u8]) -> PacketMeta {
    PacketMeta::parse(p).unwrap()
}

/// The stored checksum over a pseudo-header and `data`.
fn pseudo_csum(fam: Family, s: &[u8; 16], d: &[u8; 16], p: u8, data: &[u8]) -> u16 {
    let n = fam.addr_len();
    !combine(&[
        pseudo_header(&s[..n], &d[..n], IpProtocol(p), data.len() as u32),
        sum(data),
    ])
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Builds an IPv4 or IPv6 packet around `l4`, fixing the L4 checksum at
/// `csum_at` (None: leave it) and the IPv4 header checksum.
fn build(src: &str, dst: &str, p: u8, mut l4: Vec<u8>, csum_at: Option<usize>) -> Vec<u8> {
    let (fam, s) = tuple::addr_bytes(ip(src));
    let (_, d) = tuple::addr_bytes(ip(dst));
    if let Some(at) = csum_at {
        l4[at] = 0;
        l4[at + 1] = 0;
        let c = if fam == Family::Ipv4 && p == proto::ICMP {
            !sum(&l4)
        } else {
            pseudo_csum(fam, &s, &d, p, &l4)
        };
        l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
    match fam {
        Family::Ipv4 => {
            let total = (20 + l4.len()) as u16;
            let mut h = vec![0x45, 0, 0, 0, 0, 1, 0, 0, 64, p, 0, 0];
            h[2..4].copy_from_slice(&total.to_be_bytes());
            h.extend_from_slice(&s[..4]);
            h.extend_from_slice(&d[..4]);
            let c = !sum(&h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            h.extend_from_slice(&l4);
            h
        }
        Family::Ipv6 => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            h.push(p);
            h.push(64);
            h.extend_from_slice(&s);
            h.extend_from_slice(&d);
            h.extend_from_slice(&l4);
            h
        }
    }
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

#[allow(clippy::too_many_arguments)]
fn tcp(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    opts: &[u8],
    payload: usize,
) -> Vec<u8> {
    let doff = 20 + opts.len();
    assert_eq!(doff % 4, 0);
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(((doff / 4) as u8) << 4);
    t.push(flags);
    t.extend_from_slice(&win.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(opts);
    t.extend(std::iter::repeat_n(0x61, payload));
    build(src, dst, proto::TCP, t, Some(16))
}

fn udp(src: &str, sport: u16, dst: &str, dport: u16, payload: usize) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend(std::iter::repeat_n(0x71, payload));
    build(src, dst, proto::UDP, u, Some(6))
}

fn icmp(src: &str, dst: &str, ty: u8, code: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let v6 = ip(src).is_ipv6();
    let mut m = vec![ty, code, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(body);
    build(
        src,
        dst,
        if v6 { proto::ICMPV6 } else { proto::ICMP },
        m,
        Some(2),
    )
}

struct Sim {
    ct: ConntrackTable,
}

impl Sim {
    fn new(cfg: Config) -> Self {
        Sim {
            ct: ConntrackTable::new(cfg).unwrap(),
        }
    }
    /// process + confirm (packet accepted by the ruleset).
    fn pass(&mut self, pkt: &[u8], hook: Hook, now: Instant) -> CtSlot {
        let r = self.ct.process(pkt, &meta(pkt), hook, now);
        assert_eq!(r.verdict, CtVerdict::Accept);
        assert_eq!(self.ct.confirm(r.slot, now), CtVerdict::Accept);
        r.slot
    }
    fn inp(&mut self, pkt: &[u8], now: Instant) -> CtSlot {
        self.pass(pkt, Hook::PreRouting, now)
    }
    /// /proc listing sorted, with timeouts as seen 30 ms after `now`.
    fn listing(&self, now: Instant) -> Vec<(String, u64)> {
        let later = now + Duration::from_millis(30);
        let mut v: Vec<_> = self
            .ct
            .entries(later)
            .map(|h| {
                (
                    self.ct.proc_entry(h).unwrap().to_string(),
                    self.ct.remaining_secs(h, later).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }
    fn one(&self, now: Instant) -> (String, u64) {
        let l = self.listing(now);
        assert_eq!(l.len(), 1, "{l:?}");
        l[0].clone()
    }
}

const A: &str = "192.0.2.20";
const B: &str = "192.0.2.1";

/// basic-server trace, packets 0, 1, 2, 5, 6 (bytes from the recorded trace).
#[test]
fn trace_basic_server_handshake_and_ping() {
    let mut s = Sim::new(Config::with_max(64));
    let syn =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000");
    let synack =
        hex("45000028000100004006f6b9c0000201c00002140016c350000000140000000b5012faf06d460000");
    let ackp =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000b000000155010faf06d470000");
    let echo = hex("4500001c000100004001f6cac0000214c00002010800f7fb00030001");
    let reply = hex("4500001c000100004001f6cac0000201c00002140000fffb00030001");
    let c = "src=192.0.2.20 dst=192.0.2.1 sport=50000 dport=22";
    let r = "src=192.0.2.1 dst=192.0.2.20 sport=22 dport=50000";

    let slot = s.inp(&syn, ms(230));
    assert_eq!(slot.state_bits(), CtStates::NEW);
    assert_eq!(
        s.one(ms(230)),
        (format!("ipv4 tcp SYN_SENT {c} [UNREPLIED] {r} mark=0"), 119)
    );

    let slot = s.pass(&synack, Hook::LocalOut, ms(263));
    assert_eq!(slot.info(), Some(CtInfo::EstablishedReply));
    assert_eq!(
        s.one(ms(263)),
        (format!("ipv4 tcp SYN_RECV {c} {r} mark=0"), 59)
    );

    let slot = s.inp(&ackp, ms(296));
    assert_eq!(slot.info(), Some(CtInfo::Established));
    assert_eq!(
        s.one(ms(296)),
        (
            format!("ipv4 tcp ESTABLISHED {c} {r} [ASSURED] mark=0"),
            431_999
        )
    );

    s.inp(&echo, ms(395));
    let l = s.listing(ms(395));
    assert_eq!(
        l[0],
        (
            "ipv4 icmp src=192.0.2.20 dst=192.0.2.1 type=8 code=0 id=3 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 type=0 code=0 id=3 mark=0".into(),
            29
        )
    );
    let slot = s.pass(&reply, Hook::LocalOut, ms(427));
    assert_eq!(slot.info(), Some(CtInfo::EstablishedReply));
    let l = s.listing(ms(427));
    assert_eq!(
        l[0],
        (
            "ipv4 icmp src=192.0.2.20 dst=192.0.2.1 type=8 code=0 id=3 src=192.0.2.1 dst=192.0.2.20 type=0 code=0 id=3 mark=0".into(),
            29
        )
    );
}

/// basic-server trace packet 3: a SYN rejected by the ruleset leaves nothing.
#[test]
fn dropped_packet_leaves_nothing() {
    let mut s = Sim::new(Config::with_max(4));
    let syn =
        hex("45000028000100004006f6b9c0000214c0000201c3510d3d00000001000000005002faf0604c0000");
    let r = s.ct.process(&syn, &meta(&syn), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    assert_eq!(s.ct.count(), 1);
    assert_eq!(
        s.ct.entries(ms(0)).count(),
        0,
        "unconfirmed entries are not listed"
    );
    s.ct.discard_unconfirmed(h);
    assert_eq!(s.ct.count(), 0);
    assert!(s.ct.status(h).is_none(), "stale handle");
    assert_eq!(s.ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(s.ct.entries(ms(0)).count(), 0);
}

/// ipv6-basic trace, packets 0-2 and 4.
#[test]
fn trace_ipv6_handshake_and_ping() {
    let mut s = Sim::new(Config::with_max(8));
    let syn = hex("600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0801bb000003e8000000005002faf084b30000");
    let synack = hex("600000000014064020010db800000000000000000000000120010db800000000000000000000002001bbcf0800001388000003e95012faf0711a0000");
    let ackp = hex("600000000014064020010db800000000000000000000002020010db8000000000000000000000001cf0801bb000003e9000013895010faf0711b0000");
    let echo = hex("6000000000083a4020010db800000000000000000000002020010db80000000000000000000000018000242500040001");
    s.inp(&syn, ms(218));
    s.pass(&synack, Hook::LocalOut, ms(250));
    s.inp(&ackp, ms(283));
    let a = "2001:0db8:0000:0000:0000:0000:0000:0020";
    let b = "2001:0db8:0000:0000:0000:0000:0000:0001";
    assert_eq!(
        s.one(ms(283)),
        (format!("ipv6 tcp ESTABLISHED src={a} dst={b} sport=53000 dport=443 src={b} dst={a} sport=443 dport=53000 [ASSURED] mark=0"), 431_999)
    );
    s.inp(&echo, ms(348));
    assert_eq!(
        s.listing(ms(348))[0],
        (format!("ipv6 icmpv6 src={a} dst={b} type=128 code=0 id=4 [UNREPLIED] src={b} dst={a} type=129 code=0 id=4 mark=0"), 29)
    );
}

/// Decrement TTL the way `ip_decrease_ttl` does (the host's job when forwarding).
fn fwd_ttl(p: &mut [u8]) {
    let c = u16::from_be_bytes([p[10], p[11]]);
    let c = crate::wire::checksum::inet_proto_replace(c, &[p[8], p[9]], &[p[8] - 1, p[9]]);
    p[8] -= 1;
    p[10..12].copy_from_slice(&c.to_be_bytes());
}

/// nat-gateway trace: DNAT port forward and MASQUERADE, bytes compared with
/// what the kernel emitted.
#[test]
fn trace_nat_gateway() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(1);
    let wan = ip("198.51.100.1");

    // Packet 0: SYN from WAN to 198.51.100.1:2222, DNAT to 192.0.2.10:22.
    let mut p =
        hex("45000028000100004006147ccb00711ec6336401c73808ae00000064000000005002faf07e530000");
    let m = meta(&p);
    let now = ms(221);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    let h = r.slot.handle().unwrap();
    assert_eq!(
        ct.nat_action(r.slot, Hook::PreRouting, &m),
        NatAction::WalkRules
    );
    let range = NatRange::to(ip("192.0.2.10"), ip("192.0.2.10"), Some((22, 22)));
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &range, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    // POSTROUTING: MASQUERADE only matches -o eth1; this goes to eth0: null binding.
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::WalkRules
    );
    assert_eq!(
        ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, now),
        CtVerdict::Accept
    );
    let m2 = meta(&p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m2),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    assert_eq!(
        to_hex(&p),
        "45000028000100003f067da6cb00711ec000020ac738001600000064000000005002faf0ef150000"
    );
    assert!(ct
        .state_bits(r.slot)
        .contains(CtStates::DNAT | CtStates::NEW));
    assert_eq!(
        ct.proc_entry(h).unwrap().to_string(),
        "ipv4 tcp SYN_SENT src=203.0.113.30 dst=198.51.100.1 sport=51000 dport=2222 [UNREPLIED] src=192.0.2.10 dst=203.0.113.30 sport=22 dport=51000 mark=0"
    );

    // Packet 1: SYN-ACK back from 192.0.2.10, de-NATed in POSTROUTING.
    let mut p =
        hex("450000280001000040067ca6c000020acb00711e0016c738000000c8000000655012faf0ee3c0000");
    let now = ms(254);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    assert_eq!(
        ct.nat_action(r.slot, Hook::PreRouting, &m),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&p),
        "45000028000100003f06157cc6336401cb00711e08aec738000000c8000000655012faf07d7a0000"
    );

    // Packet 3: UDP from the LAN, MASQUERADE to 198.51.100.1.
    let mut p = hex("4500001d0001000040117c8fc000020acb007135cb2000350009c54571");
    let now = ms(320);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    let hu = r.slot.handle().unwrap();
    assert_eq!(
        ct.alloc_null_binding(hu, Hook::PreRouting, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    let masq = NatRange::masquerade(&NatRange::default(), wan);
    assert_eq!(
        ct.setup_nat(hu, ManipType::Src, &masq, &mut rng, now),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, now), CtVerdict::Accept);
    assert_eq!(
        to_hex(&p),
        "4500001d000100003f111565c6336401cb007135cb20003500095d1b71"
    );

    // Packet 4: the DNS answer, de-masqueraded in PREROUTING.
    let mut p = hex("4500001d0001000040111465cb007135c63364010035cb2000096d1b61");
    let now = ms(352);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, now);
    assert_eq!(r.slot.handle(), Some(hu));
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut p);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&p),
        "4500001d000100003f117d8fcb007135c000020a0035cb200009d54561"
    );
    let later = now + Duration::from_millis(30);
    assert_eq!(
        ct.proc_entry(hu).unwrap().to_string(),
        "ipv4 udp src=192.0.2.10 dst=203.0.113.53 sport=52000 dport=53 src=203.0.113.53 dst=198.51.100.1 sport=53 dport=52000 mark=0"
    );
    assert_eq!(ct.remaining_secs(hu, later), Some(29));

    // An ICMP port unreachable from 192.0.2.10 about a packet of the TCP
    // connection is RELATED_REPLY; POSTROUTING translates inner and outer.
    let inner =
        hex("450000280001000040067ca6cb00711ec000020ac738001600000064000000005002faf0ef150000");
    let mut e = icmp("192.0.2.10", "203.0.113.30", 3, 3, 0, &[]);
    // icmp() wrote id/seq as bytes 4..8: zero them ("unused").
    let hl = 20;
    e[hl + 4..hl + 8].copy_from_slice(&[0, 0, 0, 0]);
    e.extend_from_slice(&inner[..28]);
    let total = e.len() as u16;
    e[2..4].copy_from_slice(&total.to_be_bytes());
    e[10..12].copy_from_slice(&[0, 0]);
    let c = !sum(&e[..20]);
    e[10..12].copy_from_slice(&c.to_be_bytes());
    e[hl + 2..hl + 4].copy_from_slice(&[0, 0]);
    let c = !sum(&e[hl..]);
    e[hl + 2..hl + 4].copy_from_slice(&c.to_be_bytes());
    let m = meta(&e);
    let r = ct.process(&e, &m, Hook::PreRouting, ms(400));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut e, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut e, &m),
        CtVerdict::Accept
    );
    assert_eq!(&e[12..16], &[198, 51, 100, 1], "outer source de-DNATed");
    assert_eq!(
        &e[hl + 8 + 16..hl + 8 + 20],
        &[198, 51, 100, 1],
        "inner destination"
    );
    assert_eq!(&e[hl + 8 + 22..hl + 8 + 24], &2222u16.to_be_bytes());
    assert_eq!(sum(&e[..20]), 0xffff, "outer IP checksum");
    assert_eq!(sum(&e[hl..]), 0xffff, "ICMP checksum");
    assert_eq!(sum(&e[hl + 8..hl + 28]), 0xffff, "inner IP checksum");
}

#[test]
fn tcp_invalid_flags_and_checksum() {
    let mut s = Sim::new(Config::with_max(4));
    let p = tcp(A, 1000, B, 22, 1, 0, SYN | FIN, 1000, &[], 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    assert_eq!(s.ct.count(), 0);
    let mut p = tcp(A, 1000, B, 22, 1, 0, SYN, 1000, &[], 0);
    p[36] ^= 0xff; // break the TCP checksum
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    let r = s.ct.process(&p, &meta(&p), Hook::LocalOut, ms(0));
    assert_eq!(
        r.slot.state_bits(),
        CtStates::NEW,
        "no checksum check in OUTPUT"
    );
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_checksum", 0).unwrap();
    let mut s2 = Sim::new(cfg);
    let r = s2.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    // Truncated header.
    let p = tcp(A, 1000, B, 22, 1, 0, SYN, 1000, &[], 0);
    let short = &p[..30];
    let r = s.ct.process(short, &meta(short), Hook::LocalOut, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
}

fn handshake(s: &mut Sim, t0: u64) {
    s.inp(&tcp(A, 40000, B, 80, 100, 0, SYN, 64000, &[], 0), ms(t0));
    s.pass(
        &tcp(B, 80, A, 40000, 500, 101, SYN | ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(t0 + 1),
    );
    s.inp(
        &tcp(A, 40000, B, 80, 101, 501, ACK, 64000, &[], 0),
        ms(t0 + 2),
    );
}

#[test]
fn tcp_close_sequence_and_reopen() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    assert!(s.one(ms(2)).0.contains("ESTABLISHED"));
    s.inp(
        &tcp(A, 40000, B, 80, 101, 501, FIN | ACK, 64000, &[], 0),
        ms(3),
    );
    assert!(s.one(ms(3)).0.starts_with("ipv4 tcp FIN_WAIT"));
    assert_eq!(s.one(ms(3)).1, 119);
    s.pass(
        &tcp(B, 80, A, 40000, 501, 102, ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(4),
    );
    assert_eq!(s.one(ms(4)).1, 59);
    assert!(s.one(ms(4)).0.starts_with("ipv4 tcp CLOSE_WAIT"));
    s.pass(
        &tcp(B, 80, A, 40000, 501, 102, FIN | ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(5),
    );
    assert!(s.one(ms(5)).0.starts_with("ipv4 tcp LAST_ACK"));
    assert_eq!(s.one(ms(5)).1, 29);
    s.inp(&tcp(A, 40000, B, 80, 102, 502, ACK, 64000, &[], 0), ms(6));
    assert!(s.one(ms(6)).0.starts_with("ipv4 tcp TIME_WAIT"));
    assert_eq!(s.one(ms(6)).1, 119);
    // A new SYN on the same tuple in TIME_WAIT: the old entry is deleted and
    // a fresh one created (-NF_REPEAT).
    let r = s.ct.process(
        &tcp(A, 40000, B, 80, 9000, 0, SYN, 64000, &[], 0),
        &meta(&tcp(A, 40000, B, 80, 9000, 0, SYN, 64000, &[], 0)),
        Hook::PreRouting,
        ms(7),
    );
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    s.ct.confirm(r.slot, ms(7));
    let (line, t) = s.one(ms(7));
    assert!(
        line.starts_with("ipv4 tcp SYN_SENT") && line.contains("[UNREPLIED]"),
        "{line}"
    );
    assert_eq!(t, 119);
}

#[test]
fn tcp_rst_answering_syn_kills_entry() {
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40001, B, 81, 100, 0, SYN, 64000, &[], 0), ms(0));
    let rst = tcp(B, 81, A, 40001, 0, 101, RST | ACK, 0, &[], 0);
    let r = s.ct.process(&rst, &meta(&rst), Hook::LocalOut, ms(1));
    // The packet still carries the (now dying) entry.
    assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    assert!(s
        .ct
        .status(r.slot.handle().unwrap())
        .unwrap()
        .contains(CtStatus::DYING));
    assert!(s.listing(ms(1)).is_empty());
    // Reclaimed at the next packet.
    let p = udp(A, 1, B, 2, 0);
    s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(2));
    assert!(s.ct.status(r.slot.handle().unwrap()).is_none());
    assert_eq!(s.ct.count(), 1);
}

#[test]
fn tcp_rst_in_established_closes() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    s.inp(
        &tcp(A, 40000, B, 80, 101, 501, RST | ACK, 0, &[], 0),
        ms(10),
    );
    let (l, t) = s.one(ms(10));
    assert!(l.starts_with("ipv4 tcp CLOSE"), "{l}");
    assert_eq!(t, 9);
}

#[test]
fn tcp_loose_pickup() {
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40002, B, 80, 1000, 2000, ACK, 500, &[], 10), ms(0));
    let (l, t) = s.one(ms(0));
    assert!(
        l.starts_with("ipv4 tcp ESTABLISHED") && l.contains("[UNREPLIED]"),
        "{l}"
    );
    assert_eq!(
        t, 299,
        "mid-connection pickup without reply: unacknowledged timeout"
    );
    // An answer from the other side makes it ASSURED.
    // The first answer sets SEEN_REPLY only after the tracker ran: still
    // unassured with the unacknowledged timeout.
    s.pass(
        &tcp(B, 80, A, 40002, 2000, 1010, ACK, 500, &[], 0),
        Hook::LocalOut,
        ms(1),
    );
    let (l, t) = s.one(ms(1));
    assert!(!l.contains("ASSURED") && !l.contains("UNREPLIED"), "{l}");
    assert_eq!(t, 299);
    // The next valid packet makes it ASSURED.
    s.inp(&tcp(A, 40002, B, 80, 1010, 2000, ACK, 500, &[], 0), ms(2));
    let (l, t) = s.one(ms(2));
    assert!(l.ends_with("[ASSURED] mark=0"), "{l}");
    assert_eq!(t, 431_999);

    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_loose", 0).unwrap();
    let mut s = Sim::new(cfg);
    let p = tcp(A, 40002, B, 80, 1000, 2000, ACK, 500, &[], 10);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
    assert_eq!(s.ct.count(), 0);
}

#[test]
fn tcp_window_checks() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    // In-window data.
    let ok = tcp(A, 40000, B, 80, 101, 501, ACK, 64000, &[], 100);
    assert_eq!(s.inp(&ok, ms(3)).state_bits(), CtStates::ESTABLISHED);
    assert_eq!(s.one(ms(3)).1, 299, "unacknowledged data: 300 s");
    // Data far beyond the receiver's window: INVALID.
    let bad = tcp(A, 40000, B, 80, 101 + 200_000, 501, ACK, 64000, &[], 100);
    let r = s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(4));
    assert_eq!(r.slot, CtSlot::Invalid);
    // ACK of data never sent: INVALID.
    let bad = tcp(B, 80, A, 40000, 501, 101 + 5000, ACK, 64000, &[], 0);
    let r = s.ct.process(&bad, &meta(&bad), Hook::LocalOut, ms(5));
    assert_eq!(r.slot, CtSlot::Invalid);
    // The receiver acknowledges: back to the established timeout.
    s.pass(
        &tcp(B, 80, A, 40000, 501, 201, ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(6),
    );
    assert_eq!(s.one(ms(6)).1, 431_999);

    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_be_liberal", 1)
        .unwrap();
    let mut s = Sim::new(cfg);
    handshake(&mut s, 0);
    let bad = tcp(A, 40000, B, 80, 101 + 200_000, 501, ACK, 64000, &[], 100);
    let r = s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(4));
    assert_eq!(r.slot.state_bits(), CtStates::ESTABLISHED, "be_liberal");
}

#[test]
fn tcp_window_scaling() {
    let mut s = Sim::new(Config::with_max(4));
    let ws = [1, 3, 3, 7]; // NOP, window scale 7
    s.inp(&tcp(A, 40003, B, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(B, 80, A, 40003, 500, 101, SYN | ACK, 1000, &ws, 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(A, 40003, B, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    // SYN windows are never scaled: until B advertises a scaled window, A
    // may send only 1000 bytes.
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
    s.pass(
        &tcp(B, 80, A, 40003, 501, 101, ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(3),
    );
    // B's scaled window is 1000 << 7 = 128000: 60000 bytes ahead is fine.
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(s.inp(&p, ms(3)).state_bits(), CtStates::ESTABLISHED);

    // Without scaling on both sides the same segment is out of window.
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&tcp(A, 40003, B, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(B, 80, A, 40003, 500, 101, SYN | ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(A, 40003, B, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    s.pass(
        &tcp(B, 80, A, 40003, 501, 101, ACK, 1000, &[], 0),
        Hook::LocalOut,
        ms(3),
    );
    let p = tcp(A, 40003, B, 80, 101 + 60_000, 501, ACK, 1000, &[], 100);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(4)).slot,
        CtSlot::Invalid
    );
}

#[test]
fn tcp_retransmissions_shorten_timeout() {
    let mut s = Sim::new(Config::with_max(4));
    handshake(&mut s, 0);
    // Data acknowledged so that DATA_UNACKNOWLEDGED is clear, then the same
    // pure ACK repeated: after max_retrans (3) repeats, timeout max_retrans (300 s).
    let p = tcp(B, 80, A, 40000, 501, 101, ACK, 64000, &[], 0);
    s.pass(&p, Hook::LocalOut, ms(3));
    assert_eq!(s.one(ms(3)).1, 431_999);
    for i in 0..3 {
        s.pass(&p, Hook::LocalOut, ms(4 + i));
    }
    assert_eq!(s.one(ms(10)).1, 299);
}

#[test]
fn tcp_syn_retransmit_does_not_refresh() {
    let mut s = Sim::new(Config::with_max(4));
    let syn = tcp(A, 40004, B, 80, 100, 0, SYN, 64000, &[], 0);
    s.inp(&syn, ms(0));
    s.inp(&syn, ms(50 * S));
    assert_eq!(s.one(ms(50 * S)).1, 69);
}

#[test]
fn udp_timeouts_and_assured() {
    let mut s = Sim::new(Config::with_max(4));
    let c = "192.0.2.7";
    s.inp(&udp(c, 5000, B, 53, 4), ms(0));
    assert_eq!(s.one(ms(0)).1, 29);
    let slot = s.pass(&udp(B, 53, c, 5000, 4), Hook::LocalOut, ms(100));
    let (l, t) = s.one(ms(100));
    assert!(!l.contains("UNREPLIED") && !l.contains("ASSURED"), "{l}");
    assert_eq!(t, 29);
    // Within 2 s: still the unreplied timeout.
    s.inp(&udp(c, 5000, B, 53, 4), ms(1500));
    assert_eq!(s.one(ms(1500)).1, 29);
    // After 2 s: stream timeout, ASSURED.
    s.inp(&udp(c, 5000, B, 53, 4), ms(2500));
    let (l, t) = s.one(ms(2500));
    assert!(l.ends_with("[ASSURED] mark=0"), "{l}");
    assert_eq!(t, 119);
    assert!(s.ct.set_mark(slot.handle().unwrap(), 7));
    assert!(s.one(ms(2500)).0.ends_with("mark=7"));
    // Truncated / bad length: invalid.
    let mut p = udp(c, 5001, B, 53, 4);
    p[24..26].copy_from_slice(&100u16.to_be_bytes());
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::LocalOut, ms(3000)).slot,
        CtSlot::Invalid
    );
}

#[test]
fn expiry_is_lazy_and_exact() {
    let mut s = Sim::new(Config::with_max(4));
    let p = udp(A, 5000, B, 53, 0);
    let slot = s.inp(&p, ms(0));
    let h = slot.handle().unwrap();
    assert_eq!(s.ct.remaining_secs(h, ms(29_999)), Some(0));
    assert_eq!(s.ct.entries(ms(29_999)).count(), 1);
    assert_eq!(s.ct.entries(ms(30_000)).count(), 0);
    // A packet after expiry creates a NEW entry.
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(30_000));
    assert_eq!(r.slot.state_bits(), CtStates::NEW);
    assert_ne!(r.slot.handle(), Some(h));
    assert!(s.ct.status(h).is_none());
}

#[test]
fn icmp_rules() {
    let mut s = Sim::new(Config::with_max(8));
    // Echo reply without request: cannot create a connection.
    let p = icmp(A, B, 0, 0, 9, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Unknown type (> 18): invalid.
    let p = icmp(A, B, 40, 0, 9, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Error about nothing we know: invalid.
    let inner = udp(B, 1, A, 2, 0);
    let p = icmp(A, B, 3, 3, 0, &inner[..28]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // Now with the UDP flow known: RELATED (error travels in reply direction).
    s.pass(&inner, Hook::LocalOut, ms(1));
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(2));
    assert_eq!(r.slot.info(), Some(CtInfo::RelatedReply));
    assert_eq!(r.slot.state_bits(), CtStates::RELATED);
    // Outer destination not matching the entry: invalid.
    let p2 = icmp(A, "192.0.2.99", 3, 3, 0, &inner[..28]);
    assert_eq!(
        s.ct.process(&p2, &meta(&p2), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
    // Timestamp request is new-able.
    let p = icmp(A, B, 13, 0, 5, &[0; 12]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(4))
            .slot
            .state_bits(),
        CtStates::NEW
    );
}

#[test]
fn icmpv6_nd_untracked_and_errors() {
    let mut s = Sim::new(Config::with_max(8));
    let a = "2001:db8::20";
    let b = "2001:db8::1";
    let ns = icmp(a, b, 135, 0, 0, &[0; 16]);
    assert_eq!(
        s.ct.process(&ns, &meta(&ns), Hook::PreRouting, ms(0)).slot,
        CtSlot::Untracked
    );
    assert_eq!(CtSlot::Untracked.state_bits(), CtStates::UNTRACKED);
    let inner = udp(b, 7, a, 8, 0);
    s.pass(&inner, Hook::LocalOut, ms(1));
    let err = icmp(a, b, 1, 4, 0, &inner);
    let r = s.ct.process(&err, &meta(&err), Hook::PreRouting, ms(2));
    assert_eq!(r.slot.info(), Some(CtInfo::RelatedReply));
    // Echo reply alone: invalid.
    let p = icmp(a, b, 129, 0, 1, &[]);
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(3)).slot,
        CtSlot::Invalid
    );
}

#[test]
fn generic_protocols() {
    let mut s = Sim::new(Config::with_max(4));
    // GREv0: keys 0 (as Linux 6.18 prints it).
    let p = build(A, B, proto::GRE, vec![0, 0, 0x08, 0], None);
    s.inp(&p, ms(0));
    assert_eq!(
        s.one(ms(0)),
        ("ipv4 gre timeout=30, stream_timeout=180 src=192.0.2.20 dst=192.0.2.1 srckey=0x0 dstkey=0x0 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 srckey=0x0 dstkey=0x0 mark=0".into(), 29)
    );
    // GREv1 (PPTP) carries the call id as destination key.
    let p = build(
        A,
        B,
        proto::GRE,
        vec![0x20, 0x01, 0x88, 0x0b, 0, 4, 0x12, 0x34],
        None,
    );
    s.inp(&p, ms(0));
    assert!(s
        .listing(ms(0))
        .iter()
        .any(|(l, _)| l.contains("srckey=0x0 dstkey=0x1234 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 srckey=0x1234 dstkey=0x0")));
    // GREv1 that is not PPP: not tracked.
    let p = build(
        A,
        B,
        proto::GRE,
        vec![0x20, 0x01, 0x08, 0x00, 0, 4, 0x12, 0x35],
        None,
    );
    assert_eq!(
        s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0)).slot,
        CtSlot::Invalid
    );
    // A reply makes it a stream (180 s) and ASSURED at once.
    let r = build(B, A, proto::GRE, vec![0, 0, 0x08, 0], None);
    s.pass(&r, Hook::LocalOut, ms(1));
    s.inp(&build(A, B, proto::GRE, vec![0, 0, 0x08, 0], None), ms(2));
    assert!(s
        .listing(ms(2))
        .iter()
        .any(|(l, t)| l.contains("dstkey=0x0 [ASSURED]") && *t == 179));
    // Unknown protocols and DCCP (no tracker in 6.18): generic, 600 s.
    let mut s = Sim::new(Config::with_max(4));
    s.inp(&build(A, B, 253, vec![1, 2, 3], None), ms(0));
    s.inp(
        &build(
            A,
            B,
            proto::DCCP,
            vec![
                0x9c, 0x40, 0, 80, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
            None,
        ),
        ms(0),
    );
    let l = s.listing(ms(0));
    assert_eq!(l[0], ("ipv4 unknown src=192.0.2.20 dst=192.0.2.1 [UNREPLIED] src=192.0.2.1 dst=192.0.2.20 mark=0".into(), 599));
    assert_eq!(l.len(), 2);
}

#[test]
fn fragments_are_untracked_invalid() {
    let mut s = Sim::new(Config::with_max(4));
    let mut p = udp(A, 1, B, 2, 8);
    p[6] = 0x00;
    p[7] = 0x10; // offset 16 * 8
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    assert_eq!(r.slot, CtSlot::Invalid);
}

#[test]
fn table_full_early_drop() {
    let mut cfg = Config::with_max(2);
    cfg.buckets = 1;
    let mut s = Sim::new(cfg);
    s.inp(&udp(A, 1, B, 2, 0), ms(0));
    s.inp(&udp(A, 3, B, 4, 0), ms(0));
    // Full: the non-assured entries of the chain are evicted.
    let p = udp(A, 5, B, 6, 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(1));
    assert_eq!(r.verdict, CtVerdict::Accept);
    s.ct.confirm(r.slot, ms(1));
    assert_eq!(s.listing(ms(1)).len(), 1);

    // Two assured TCP connections: nothing to evict, the new packet is dropped.
    let mut cfg = Config::with_max(2);
    cfg.buckets = 1;
    let mut s = Sim::new(cfg);
    handshake(&mut s, 0);
    s.inp(&tcp(A, 40010, B, 80, 100, 0, SYN, 64000, &[], 0), ms(10));
    s.pass(
        &tcp(B, 80, A, 40010, 500, 101, SYN | ACK, 64000, &[], 0),
        Hook::LocalOut,
        ms(11),
    );
    s.inp(&tcp(A, 40010, B, 80, 101, 501, ACK, 64000, &[], 0), ms(12));
    let p = udp(A, 5, B, 6, 0);
    let r = s.ct.process(&p, &meta(&p), Hook::PreRouting, ms(13));
    assert_eq!(r.verdict, CtVerdict::Drop);
    assert_eq!(s.ct.count(), 2);
}

#[test]
fn attach_reply_slot() {
    let mut s = Sim::new(Config::with_max(4));
    let slot = s.inp(&tcp(A, 40000, B, 80, 100, 0, SYN, 64000, &[], 0), ms(0));
    let att = slot.attach_reply();
    assert_eq!(att.info(), Some(CtInfo::RelatedReply));
    assert_eq!(att.attach_reply().info(), Some(CtInfo::Related));
    assert_eq!(att.handle(), slot.handle());
}

#[test]
fn snat_port_clash_picks_other_port() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(42);
    let pub_ip = ip("203.0.113.1");
    let range = NatRange::to(pub_ip, pub_ip, None);
    let mut handles = Vec::new();
    for (i, client) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
        let p = tcp(client, 5555, "198.51.100.9", 80, 1, 0, SYN, 1000, &[], 0);
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::PreRouting, ms(i as u64));
        let h = r.slot.handle().unwrap();
        assert_eq!(
            ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(0)),
            CtVerdict::Accept
        );
        assert_eq!(
            ct.setup_nat(h, ManipType::Src, &range, &mut rng, ms(0)),
            CtVerdict::Accept
        );
        let mut q = p.clone();
        assert_eq!(
            ct.nat_packet(r.slot, Hook::PostRouting, &mut q, &m),
            CtVerdict::Accept
        );
        assert_eq!(&q[12..16], &[203, 0, 113, 1]);
        let sport = u16::from_be_bytes([q[20], q[21]]);
        assert_eq!(sport, ct.tuple(h, Dir::Reply).unwrap().dst_u);
        let len = q.len();
        let tcp_ok = csum_ok(
            Family::Ipv4,
            &tuple::addr_bytes(ip("203.0.113.1")).1,
            &tuple::addr_bytes(ip("198.51.100.9")).1,
            6,
            &q[20..len],
        );
        assert!(tcp_ok, "TCP checksum after SNAT");
        if i == 0 {
            assert_eq!(sport, 5555, "first keeps its port");
        } else {
            assert!(sport >= 1024, "{sport}");
        }
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
        handles.push(h);
    }
    let ports: std::collections::HashSet<u16> = handles
        .iter()
        .map(|h| ct.tuple(*h, Dir::Reply).unwrap().dst_u)
        .collect();
    assert_eq!(ports.len(), 3);
    // Replies find their entries.
    for h in handles {
        let t = ct.tuple(h, Dir::Reply).unwrap();
        let p = tcp(
            "198.51.100.9",
            80,
            "203.0.113.1",
            t.dst_u,
            1,
            2,
            SYN | ACK,
            1000,
            &[],
            0,
        );
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(5));
        assert_eq!(r.slot.handle(), Some(h));
    }
}

#[test]
fn nat_setup_rules() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let p = udp(A, 1, B, 2, 0);
    let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let v6 = NatRange::to(ip("2001:db8::1"), ip("2001:db8::1"), None);
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &v6, &mut rng, ms(0)),
        CtVerdict::Drop
    );
    assert_eq!(
        ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(0)),
        CtVerdict::Accept
    );
    assert!(ct.nat_initialized(h, ManipType::Dst));
    assert!(!ct.nat_initialized(h, ManipType::Src));
    assert_eq!(
        ct.status(h).unwrap() & (CtStatus::DST_NAT | CtStatus::SRC_NAT),
        CtStatus::empty()
    );
    assert_eq!(
        ct.setup_nat(h, ManipType::Dst, &NatRange::default(), &mut rng, ms(0)),
        CtVerdict::Drop,
        "second DST setup"
    );
    ct.confirm(r.slot, ms(0));
    // Confirmed: setup is a no-op.
    assert_eq!(
        ct.setup_nat(h, ManipType::Src, &NatRange::default(), &mut rng, ms(0)),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &meta(&p)),
        NatAction::WalkRules
    );
    let est = CtSlot::Entry {
        handle: h,
        info: CtInfo::Established,
    };
    assert_eq!(
        ct.nat_action(est, Hook::PostRouting, &meta(&p)),
        NatAction::Apply
    );
    assert_eq!(
        ct.nat_action(CtSlot::Invalid, Hook::PostRouting, &meta(&p)),
        NatAction::Skip
    );
}

#[test]
fn ipv6_dnat_rewrites_and_checksums() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let mut p = tcp(
        "2001:db8:1::2",
        50000,
        "2001:db8::1",
        8080,
        1,
        0,
        SYN,
        1000,
        &[],
        0,
    );
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("2001:db8::10"), ip("2001:db8::10"), Some((80, 80)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &m),
        CtVerdict::Accept
    );
    let (s, d) = meta(&p).addrs(&p);
    assert_eq!(d, tuple::addr_bytes(ip("2001:db8::10")).1);
    assert_eq!(&p[42..44], &80u16.to_be_bytes());
    assert!(csum_ok(Family::Ipv6, &s, &d, 6, &p[40..]));
}

#[test]
fn config_errors_and_table_new() {
    // nf_conntrack_max = 0 is "no limit" in the kernel: nothing to reserve.
    assert!(ConntrackTable::new(Config::with_max(0)).is_ok());
    let mut cfg = Config::with_max(4);
    cfg.buckets = 0;
    assert_eq!(ConntrackTable::new(cfg).err(), Some(ConfigError::BadValue));
    let mut cfg = Config::with_max(4);
    cfg.buckets = MAX_BUCKETS + 1;
    assert_eq!(ConntrackTable::new(cfg).err(), Some(ConfigError::NoMemory));
    let mut c = Config::default();
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_timestamp", 1),
        Err(ConfigError::Unsupported)
    );
}

#[test]
fn acct_counters_in_proc() {
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_acct", 1).unwrap();
    let mut s = Sim::new(cfg);
    s.inp(&udp(A, 1, B, 2, 0), ms(0));
    let (l, _) = s.one(ms(0));
    assert!(l.contains("dport=2 packets=1 bytes=28 [UNREPLIED]"), "{l}");
}

/// Invariants over many random flows: a reply tuple finds the same entry,
/// the table never holds more than `max`, and the slab never grows beyond
/// the next power of two of `max` (it starts empty and doubles).
#[test]
fn invariants_random_flows() {
    let max = 64;
    let mut cfg = Config::with_max(max);
    cfg.buckets = 16;
    let mut ct = ConntrackTable::new(cfg).unwrap();
    assert_eq!(ct.entries.capacity(), 0);
    let mut rng = SplitMix64::new(9);
    let mut live: Vec<CtHandle> = Vec::new();
    for i in 0..2000u64 {
        let now = ms(i * 100);
        let a = rng.next_u16();
        let sport = 1024 + (a % 200);
        let dport = [22, 53, 80][usize::from(a % 3)];
        let kind = rng.next_u16() % 3;
        let p = match kind {
            0 => tcp(A, sport, B, dport, 1, 0, SYN, 1000, &[], 0),
            1 => udp(A, sport, B, dport, 3),
            _ => icmp(A, B, 8, 0, sport, &[]),
        };
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::PreRouting, now);
        assert!(ct.count() <= max);
        if let Some(h) = r.slot.handle() {
            if rng.next_u16() % 5 == 0 {
                ct.discard_unconfirmed(h);
            } else {
                ct.confirm(r.slot, now);
                live.push(h);
            }
        }
        assert!(ct.count() <= max);
        // Every listed entry is found again through its reply tuple.
        if i % 97 == 0 {
            let hs: Vec<_> = ct.entries(now).collect();
            for h in hs {
                let rt = ct.tuple(h, Dir::Reply).unwrap();
                let (idx, dir) = ct.find(&rt, now).unwrap();
                assert_eq!((idx, dir), (h.idx, Dir::Reply));
                let ot = ct.tuple(h, Dir::Original).unwrap();
                assert_eq!(ct.find(&ot, now).unwrap(), (h.idx, Dir::Original));
            }
        }
    }
    assert!(ct.entries.len() <= max as usize);
    assert!(ct.entries.capacity() <= max as usize);
    assert!(ct.free.capacity() >= ct.entries.len() && ct.dying.capacity() >= ct.entries.len());
    assert_eq!(ct.heads.len(), 16);
    let copy = ct.clone();
    assert!(copy.free.capacity() >= copy.entries.len());
    assert!(copy.dying.capacity() >= copy.entries.len());
}

/// The sysctl path: `nf_conntrack_buckets` rounded up to a page of heads
/// and refused above what `nf_ct_alloc_hashtable` allocates (both checked
/// on Linux 6.18); huge `nf_conntrack_max` and `nf_conntrack_buckets`
/// reserve nothing.
#[test]
fn huge_settings_cost_nothing_until_used() {
    let mut c = Config::default();
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 261_633),
        Ok(true)
    );
    assert_eq!(c.buckets, 262_144);
    assert_eq!(c.set("net.netfilter.nf_conntrack_buckets", 1), Ok(true));
    assert_eq!(c.buckets, 512);
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 2_147_483_647),
        Err(ConfigError::NoMemory)
    );
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 268_435_456),
        Err(ConfigError::NoMemory)
    );
    // INT_MAX / 8 itself rounds up past the limit.
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", 268_435_455),
        Err(ConfigError::NoMemory)
    );
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_buckets", i64::from(MAX_BUCKETS)),
        Ok(true)
    );
    assert_eq!(c.buckets, MAX_BUCKETS);
    assert_eq!(
        c.set("net.netfilter.nf_conntrack_max", 2_147_483_647),
        Ok(true)
    );
    assert!(ConfigError::NoMemory.to_string().contains("268434944"));
    let mut ct = ConntrackTable::new(c).unwrap();
    assert!(ct.heap_bytes() < 4096, "{} bytes", ct.heap_bytes());
    // Entries come one by one; memory follows them.
    for i in 0..2000u16 {
        let p = udp(A, 1000 + i, B, 53, 0);
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(0));
        assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    }
    assert_eq!(ct.count(), 2000);
    let per_entry = ct.heap_bytes() / 2000;
    assert!(per_entry < 1024, "{per_entry} bytes per entry");
    for i in 0..2000u16 {
        let p = udp(B, 53, A, 1000 + i, 0);
        let r = ct.process(&p, &meta(&p), Hook::PreRouting, ms(1));
        assert_eq!(r.slot.info(), Some(CtInfo::EstablishedReply));
    }
}

/// The chains are an implementation detail: a table whose index grows
/// with its entries behaves exactly like one with a chain per kernel
/// bucket from the start (the layout before growth existed): same
/// verdicts, slots, NAT tuples, evictions (`early_drop` over
/// `nf_conntrack_buckets`), reclaimed expired entries and listings.
#[test]
fn growing_index_behaves_like_full_buckets() {
    for (max, buckets) in [
        (3000u32, 3000u32),
        (1500, 700),
        (0, 5000),
        (300, 5000),
        (400, 100_000),
    ] {
        let mut cfg = Config::with_max(max);
        cfg.buckets = buckets;
        cfg.udp_timeout = Duration::from_secs(2);
        let mut grow = ConntrackTable::new(cfg.clone()).unwrap();
        let mut full = ConntrackTable::new(cfg).unwrap();
        full.heads = vec![NIL; full.max_chains];
        full.src_heads = vec![NIL; full.max_chains];
        let (mut rg, mut rf) = (SplitMix64::new(5), SplitMix64::new(5));
        let mut traffic = SplitMix64::new(77);
        let pool = ip("203.0.113.1");
        let snat = NatRange::to(pool, pool, None);
        let mut t = 0u64;
        for step in 0..12_000u32 {
            t += u64::from(traffic.next_u16() % 3);
            let now = ms(t);
            let a = traffic.next_u16();
            let client = format!("10.0.{}.{}", (a >> 8) % 8, a % 200);
            let sport = 1024 + traffic.next_u16() % 512;
            let p = match traffic.next_u16() % 4 {
                0 => tcp(&client, sport, B, 80, 1, 0, SYN, 1000, &[], 0),
                1 => icmp(&client, B, 8, 0, sport, &[]),
                _ => udp(&client, sport, B, 53, 1),
            };
            let nat = traffic.next_u16() % 2 == 0;
            let m = meta(&p);
            let mut outs = Vec::new();
            for (ct, rng) in [(&mut grow, &mut rg), (&mut full, &mut rf)] {
                let r = ct.process(&p, &m, Hook::LocalOut, now);
                let mut o = (r.verdict, r.slot.info(), None, CtVerdict::Accept);
                if let Some(h) = r.slot.handle() {
                    ct.alloc_null_binding(h, Hook::LocalOut, rng, now);
                    if nat {
                        ct.setup_nat(h, ManipType::Src, &snat, rng, now);
                    } else {
                        ct.alloc_null_binding(h, Hook::PostRouting, rng, now);
                    }
                    o.2 = ct.tuple(h, Dir::Reply);
                    o.3 = ct.confirm(r.slot, now);
                    // Some answers, which make entries ASSURED later.
                    if let Some(rt) = o.2.filter(|_| step % 3 == 0) {
                        let q = match rt.proto {
                            17 => udp(
                                &rt.src_addr().to_string(),
                                rt.src_u,
                                &rt.dst_addr().to_string(),
                                rt.dst_u,
                                1,
                            ),
                            _ => Vec::new(),
                        };
                        if !q.is_empty() {
                            let qr = ct.process(&q, &meta(&q), Hook::PreRouting, now);
                            assert_eq!(qr.slot.info(), Some(CtInfo::EstablishedReply));
                        }
                    }
                }
                outs.push((o, ct.count()));
            }
            assert_eq!(outs[0], outs[1], "max {max} buckets {buckets} step {step}");
            if step % 500 == 0 {
                let lg: Vec<_> = grow
                    .entries(now)
                    .map(|h| grow.proc_entry(h).unwrap().to_string())
                    .collect();
                let lf: Vec<_> = full
                    .entries(now)
                    .map(|h| full.proc_entry(h).unwrap().to_string())
                    .collect();
                assert_eq!(lg, lf, "max {max} buckets {buckets} step {step}");
            }
        }
        // The growing table did grow, and stayed within the kernel's buckets.
        assert!(grow.heads.len() > INITIAL_CHAINS, "{}", grow.heads.len());
        assert!(grow.heads.len() <= (buckets as usize).next_power_of_two());
    }
}

#[test]
fn garbage_never_panics() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(3);
    for n in 0..3000u64 {
        let len = usize::from(rng.next_u16() % 80);
        let mut p: Vec<u8> = (0..len).map(|_| rng.next_u16() as u8).collect();
        let proto = [1u8, 6, 17, 58, 47, 136, 132][usize::from(rng.next_u16() % 7)];
        let v6 = rng.next_u16() % 2 == 0;
        let l4_offset = usize::from(rng.next_u16() % 48);
        // A meta that need not agree with the bytes (addresses are read
        // from them, whatever they hold).
        let meta = PacketMeta {
            family: if v6 { Family::Ipv6 } else { Family::Ipv4 },
            l3_len: 20,
            protocol: IpProtocol(proto),
            thoff: l4_offset,
            fragoff: 0,
            is_fragment: false,
            l4_len: len.saturating_sub(l4_offset),
            find_hdr_error: None,
        };
        let nat_to = if v6 {
            ip("2001:db8::1")
        } else {
            ip("192.0.2.1")
        };
        let hook = if n % 2 == 0 {
            Hook::PreRouting
        } else {
            Hook::LocalOut
        };
        let r = ct.process(&p, &meta, hook, ms(n));
        let mut nrng = SplitMix64::new(n);
        if let Some(h) = r.slot.handle() {
            let _ = ct.alloc_null_binding(h, Hook::PreRouting, &mut nrng, ms(n));
            let range = NatRange::to(nat_to, nat_to, Some((1, 10)));
            let _ = ct.setup_nat(h, ManipType::Src, &range, &mut nrng, ms(n));
            let _ = ct.nat_packet(r.slot, Hook::PreRouting, &mut p, &meta);
            let _ = ct.nat_packet(r.slot, Hook::PostRouting, &mut p, &meta);
            let _ = ct.nat_packet(r.slot.attach_reply(), Hook::PostRouting, &mut p, &meta);
            let _ = ct.confirm(r.slot, ms(n));
            let _ = ct.proc_entry(h).map(|e| e.to_string());
        }
    }
}

/// `nf_nat_used_tuple_harder`: when every port of the range is held by
/// source-NATed connections in TIME_WAIT, a new SYN evicts one of them.
#[test]
fn snat_evicts_time_wait_when_range_exhausted() {
    let mut ct = ConntrackTable::new(Config::with_max(16)).unwrap();
    let mut rng = SplitMix64::new(5);
    let pub_ip = ip("203.0.113.1");
    let range = NatRange::to(pub_ip, pub_ip, Some((5555, 5556)));
    let srv = "198.51.100.9";
    let mut olds = Vec::new();
    for (i, client) in ["10.0.0.1", "10.0.0.2"].iter().enumerate() {
        let t = ms(i as u64 * 10);
        let syn = tcp(client, 4000, srv, 80, 100, 0, SYN, 1000, &[], 0);
        let m = meta(&syn);
        let r = ct.process(&syn, &m, Hook::PreRouting, t);
        let h = r.slot.handle().unwrap();
        ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, t);
        assert_eq!(
            ct.setup_nat(h, ManipType::Src, &range, &mut rng, t),
            CtVerdict::Accept
        );
        ct.confirm(r.slot, t);
        let port = ct.tuple(h, Dir::Reply).unwrap().dst_u;
        // Walk the connection to TIME_WAIT (packets as seen after NAT on
        // the reply side, before it on the original side).
        let steps: [(bool, u32, u32, u8); 4] = [
            (false, 500, 101, SYN | ACK),
            (true, 101, 501, ACK | FIN),
            (false, 501, 102, ACK | FIN),
            (true, 102, 502, ACK),
        ];
        for (k, (orig, seq, ack, fl)) in steps.into_iter().enumerate() {
            let t = t + Duration::from_millis(k as u64 + 1);
            let p = if orig {
                tcp(client, 4000, srv, 80, seq, ack, fl, 1000, &[], 0)
            } else {
                tcp(srv, 80, "203.0.113.1", port, seq, ack, fl, 1000, &[], 0)
            };
            let r = ct.process(&p, &meta(&p), Hook::PreRouting, t);
            assert_eq!(r.slot.handle(), Some(h), "step {k}");
        }
        assert_eq!(ct.tcp_state(h), Some(TcpState::TimeWait));
        olds.push(h);
    }
    // A third client: both ports taken by TIME_WAIT entries; its SYN's
    // sequence number is beyond theirs, so one of them is evicted.
    let syn = tcp("10.0.0.3", 4000, srv, 80, 100_000, 0, SYN, 1000, &[], 0);
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(100));
    let h = r.slot.handle().unwrap();
    ct.alloc_null_binding(h, Hook::PreRouting, &mut rng, ms(100));
    assert_eq!(
        ct.setup_nat(h, ManipType::Src, &range, &mut rng, ms(100)),
        CtVerdict::Accept
    );
    assert_eq!(ct.confirm(r.slot, ms(100)), CtVerdict::Accept);
    let gone = olds.iter().filter(|o| ct.status(**o).is_none()).count();
    assert_eq!(gone, 1);
    let port = ct.tuple(h, Dir::Reply).unwrap().dst_u;
    assert!(port == 5555 || port == 5556);
}

/// ICMPv6 error about a DNATed connection, translated back (inner and outer).
#[test]
fn ipv6_icmp_error_translation() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(1);
    let client = "2001:db8:1::2";
    let mut syn = tcp(client, 50000, "2001:db8::1", 8080, 1, 0, SYN, 1000, &[], 0);
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("2001:db8::10"), ip("2001:db8::10"), Some((80, 80)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PreRouting, &mut syn, &m);
    ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, ms(0));
    ct.confirm(r.slot, ms(0));
    // 2001:db8::10 answers "port unreachable" about the (DNATed) SYN.
    let mut err = icmp("2001:db8::10", client, 1, 4, 0, &syn);
    err[44..48].copy_from_slice(&[0, 0, 0, 0]);
    let (_, s) = tuple::addr_bytes(ip("2001:db8::10"));
    let (_, d) = tuple::addr_bytes(ip(client));
    err[42..44].copy_from_slice(&[0, 0]);
    let c = pseudo_csum(Family::Ipv6, &s, &d, 58, &err[40..]);
    err[42..44].copy_from_slice(&c.to_be_bytes());
    let m = meta(&err);
    let r = ct.process(&err, &m, Hook::PreRouting, ms(1));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut err, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut err, &m),
        CtVerdict::Accept
    );
    let (s, _) = meta(&err).addrs(&err);
    assert_eq!(
        s,
        tuple::addr_bytes(ip("2001:db8::1")).1,
        "outer source de-DNATed"
    );
    assert_eq!(
        &err[48 + 24..48 + 40],
        &tuple::addr_bytes(ip("2001:db8::1")).1,
        "inner destination"
    );
    assert_eq!(&err[48 + 42..48 + 44], &8080u16.to_be_bytes());
    assert!(
        csum_ok(Family::Ipv6, &s, &d, 58, &err[40..]),
        "ICMPv6 checksum"
    );
}

/// Sequence checked against Linux 6.18 in network namespaces (states,
/// timeouts, and which packets the kernel counted as INVALID).
#[test]
fn kernel_checked_window_sequence() {
    let mut s = Sim::new(Config::with_max(4));
    let ws = [1, 3, 3, 7];
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    s.inp(&tcp(p, 40022, h, 80, 100, 0, SYN, 1000, &ws, 0), ms(0));
    s.pass(
        &tcp(h, 80, p, 40022, 500, 101, SYN | ACK, 1000, &ws, 0),
        Hook::LocalOut,
        ms(1),
    );
    s.inp(&tcp(p, 40022, h, 80, 101, 501, ACK, 1000, &[], 0), ms(2));
    // (packet, from host?, expected INVALID, expected state, expected timeout)
    let steps: Vec<(Vec<u8>, bool, bool, &str, u64)> = vec![
        (
            tcp(p, 40022, h, 80, 101 + 60_000, 501, ACK, 1000, &[], 100),
            false,
            true,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101, ACK, 1000, &[], 0),
            true,
            false,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(p, 40022, h, 80, 101 + 60_000, 501, ACK, 1000, &[], 100),
            false,
            false,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101 + 400_000, 501, ACK, 1000, &[], 100),
            false,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101 + 900_000, ACK, 1000, &[], 0),
            true,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101, 501, SYN | FIN, 1000, &[], 0),
            false,
            true,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(p, 40022, h, 80, 101, 501, SYN, 1000, &[], 0),
            false,
            false,
            "ESTABLISHED",
            299,
        ),
        (
            tcp(h, 80, p, 40022, 501, 101, RST, 1000, &[], 0),
            true,
            false,
            "CLOSE",
            9,
        ),
    ];
    for (i, (pkt, out, invalid, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(10 + i as u64);
        let r = s.ct.process(&pkt, &meta(&pkt), hook, now);
        assert_eq!(r.slot == CtSlot::Invalid, invalid, "step {i}");
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!("ipv4 tcp {state} ")),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
    }
}

/// Simultaneous open, checked against Linux 6.18.
#[test]
fn kernel_checked_simultaneous_open() {
    let mut s = Sim::new(Config::with_max(4));
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let steps: [(Vec<u8>, bool, &str, u64); 6] = [
        (
            tcp(p, 40011, h, 80, 100, 0, SYN, 64000, &[], 0),
            false,
            "SYN_SENT",
            119,
        ),
        (
            tcp(h, 80, p, 40011, 500, 0, SYN, 64000, &[], 0),
            true,
            "SYN_SENT2",
            119,
        ),
        (
            tcp(p, 40011, h, 80, 100, 501, SYN | ACK, 64000, &[], 0),
            false,
            "SYN_RECV",
            59,
        ),
        (
            tcp(h, 80, p, 40011, 500, 101, SYN | ACK, 64000, &[], 0),
            true,
            "SYN_RECV",
            59,
        ),
        (
            tcp(p, 40011, h, 80, 101, 501, ACK, 64000, &[], 0),
            false,
            "ESTABLISHED",
            431_999,
        ),
        (
            tcp(h, 80, p, 40011, 501, 101, ACK, 64000, &[], 0),
            true,
            "ESTABLISHED",
            431_999,
        ),
    ];
    for (i, (pkt, out, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(i as u64);
        s.pass(&pkt, hook, now);
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!("ipv4 tcp {state} ")),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
    }
    assert!(s.one(ms(6)).0.contains("[ASSURED]"));
}

/// A locally generated flow whose reply tuple is already taken by a
/// source-NATed one gets a new source port from the null binding, as Linux
/// 6.18 does (there: `-s 192.0.2.50 -j SNAT --to-source 192.0.2.1`, then a
/// local 192.0.2.1:7000 -> 192.0.2.2:56 got port 13692, random).
#[test]
fn null_binding_resolves_port_clash() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(11);
    let (h1, p1) = {
        let p = udp("192.0.2.50", 7000, "192.0.2.2", 56, 0);
        let m = meta(&p);
        let r = ct.process(&p, &m, Hook::LocalOut, ms(0));
        let h = r.slot.handle().unwrap();
        ct.alloc_null_binding(h, Hook::LocalOut, &mut rng, ms(0));
        let one = NatRange::to(ip("192.0.2.1"), ip("192.0.2.1"), None);
        ct.setup_nat(h, ManipType::Src, &one, &mut rng, ms(0));
        ct.confirm(r.slot, ms(0));
        (h, ct.tuple(h, Dir::Reply).unwrap().dst_u)
    };
    assert_eq!(p1, 7000);
    let p = udp("192.0.2.1", 7000, "192.0.2.2", 56, 0);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::LocalOut, ms(1));
    let h2 = r.slot.handle().unwrap();
    assert_ne!(h1, h2);
    ct.alloc_null_binding(h2, Hook::LocalOut, &mut rng, ms(1));
    assert_eq!(
        ct.nat_action(r.slot, Hook::PostRouting, &m),
        NatAction::WalkRules
    );
    ct.alloc_null_binding(h2, Hook::PostRouting, &mut rng, ms(1));
    let mut q = p.clone();
    ct.nat_packet(r.slot, Hook::PostRouting, &mut q, &m);
    ct.confirm(r.slot, ms(1));
    let port = u16::from_be_bytes([q[20], q[21]]);
    assert!(port >= 1024 && port != 7000, "{port}");
    assert!(ct.status(h2).unwrap().contains(CtStatus::SRC_NAT));
    // The next packet of the flow keeps the same port.
    let r = ct.process(&p, &m, Hook::LocalOut, ms(2));
    assert_eq!(r.slot.handle(), Some(h2));
    let mut q2 = p.clone();
    ct.nat_packet(r.slot, Hook::PostRouting, &mut q2, &m);
    assert_eq!(q2, q);
}

#[test]
fn remove_and_flush() {
    let mut s = Sim::new(Config::with_max(4));
    let a = s.inp(&udp(A, 1, B, 2, 0), ms(0)).handle().unwrap();
    s.inp(&udp(A, 3, B, 4, 0), ms(0));
    assert!(s.ct.remove(a));
    assert!(!s.ct.remove(a));
    assert_eq!(s.listing(ms(0)).len(), 1);
    s.ct.flush();
    assert_eq!(s.ct.count(), 0);
    assert!(s.listing(ms(0)).is_empty());
    s.inp(&udp(A, 1, B, 2, 0), ms(1));
    assert_eq!(s.ct.count(), 1);
}

fn sctp_pkt(
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    vtag: u32,
    chunks: &[(u8, u8, Vec<u8>)],
) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(&sp.to_be_bytes());
    s.extend_from_slice(&dp.to_be_bytes());
    s.extend_from_slice(&vtag.to_be_bytes());
    s.extend_from_slice(&[0; 4]);
    for (ty, fl, data) in chunks {
        let len = 4 + data.len();
        s.push(*ty);
        s.push(*fl);
        s.extend_from_slice(&(len as u16).to_be_bytes());
        s.extend_from_slice(data);
        s.extend(std::iter::repeat_n(0, (4 - len % 4) % 4));
    }
    let c = super::sctp::sctp_cksum(&s);
    s[8..12].copy_from_slice(&c);
    build(src, dst, proto::SCTP, s, None)
}

/// SCTP association checked against Linux 6.18 (states, timeouts, INVALID).
#[test]
fn kernel_checked_sctp_association() {
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let (x, y) = (0x1111_1111u32, 0x2222_2222u32);
    let init = |tag: u32| {
        let mut v = tag.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 10, 0, 10, 0, 0, 0, 1]);
        v
    };
    let first = sctp_pkt(p, 5000, h, 7000, 0, &[(1, 0, init(x))]);
    // Same bytes as the packet sent to the kernel (CRC32c included).
    assert_eq!(
        to_hex(&first),
        "45000034000100004084f641c0000202c000020113881b58000000001d990b8601000014111111110000ffff000a000a00000001"
    );
    let data = |tsn: u32| {
        let mut v = tsn.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(b"data");
        v
    };
    let steps: Vec<(Vec<u8>, bool, bool, &str, u64)> = vec![
        (first, false, false, "CLOSED", 9),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(2, 0, init(y))]),
            true,
            false,
            "COOKIE_WAIT",
            2,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(10, 0, b"cookie!!".to_vec())]),
            false,
            false,
            "COOKIE_ECHOED",
            2,
        ),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(11, 0, vec![])]),
            true,
            false,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(0, 3, data(1))]),
            false,
            false,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, x, &[(0, 3, data(2))]),
            false,
            true,
            "ESTABLISHED",
            209,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(7, 0, vec![0, 0, 0, 1])]),
            false,
            false,
            "SHUTDOWN_SENT",
            2,
        ),
        (
            sctp_pkt(h, 7000, p, 5000, x, &[(8, 0, vec![])]),
            true,
            false,
            "SHUTDOWN_ACK_SENT",
            2,
        ),
        (
            sctp_pkt(p, 5000, h, 7000, y, &[(14, 0, vec![])]),
            false,
            false,
            "CLOSED",
            9,
        ),
    ];
    let mut s = Sim::new(Config::with_max(4));
    for (i, (pkt, out, invalid, state, timeout)) in steps.into_iter().enumerate() {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let now = ms(i as u64);
        let r = s.ct.process(&pkt, &meta(&pkt), hook, now);
        assert_eq!(r.slot == CtSlot::Invalid, invalid, "step {i}");
        s.ct.confirm(r.slot, now);
        let (l, t) = s.one(now);
        assert!(
            l.starts_with(&format!(
                "ipv4 sctp {state} src=192.0.2.2 dst=192.0.2.1 sport=5000 dport=7000 "
            )),
            "step {i}: {l}"
        );
        assert_eq!(t, timeout, "step {i}");
        assert_eq!(l.contains("[ASSURED]"), i >= 3, "step {i}");
    }
    // A corrupted CRC in PREROUTING is INVALID.
    let mut bad = sctp_pkt(p, 5001, h, 7000, 0, &[(1, 0, init(x))]);
    bad[30] ^= 1;
    assert_eq!(
        s.ct.process(&bad, &meta(&bad), Hook::PreRouting, ms(20))
            .slot,
        CtSlot::Invalid
    );
}

/// ICMP error translation byte for byte as Linux 6.18 emitted it: a router
/// DNATs 198.51.100.1:2222 to 192.0.2.10:22; 192.0.2.10 answers the
/// forwarded SYN with a port unreachable; the router rewrites inner and
/// outer headers on the way back.
#[test]
fn kernel_checked_icmp_error_translation() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(1);
    let mut syn =
        hex("450000280001000040062665c6336402c6336401c73808ae00000064000000005002faf0903c0000");
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("192.0.2.10"), ip("192.0.2.10"), Some((22, 22)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PreRouting, &mut syn, &m);
    fwd_ttl(&mut syn);
    ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PostRouting, &mut syn, &m);
    assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(
        to_hex(&syn),
        "45000028000100003f068f8fc6336402c000020ac738001600000064000000005002faf000ff0000"
    );

    let mut err = hex("450000380001000040018e84c000020ac63364020303354a0000000045000028000100003f068f8fc6336402c000020ac738001600000064");
    let m = meta(&err);
    let r = ct.process(&err, &m, Hook::PreRouting, ms(500));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut err, &m),
        CtVerdict::Accept
    );
    fwd_ttl(&mut err);
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut err, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&err),
        "45000038000100003f01275ac6336401c633640203032cb20000000045000028000100003f062765c6336402c6336401c73808ae00000064"
    );
}

/// The IPv6 version, byte for byte as Linux 6.18 emitted it (DNAT of
/// [2001:db8:1::1]:2222 to [2001:db8::10]:22, ICMPv6 port unreachable back).
#[test]
fn kernel_checked_icmpv6_error_translation() {
    let mut ct = ConntrackTable::new(Config::with_max(8)).unwrap();
    let mut rng = SplitMix64::new(1);
    let mut syn = hex("600000000014064020010db800010000000000000000000220010db8000100000000000000000001c73808ae00000064000000005002faf089300000");
    let m = meta(&syn);
    let r = ct.process(&syn, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let range = NatRange::to(ip("2001:db8::10"), ip("2001:db8::10"), Some((22, 22)));
    ct.setup_nat(h, ManipType::Dst, &range, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PreRouting, &mut syn, &m);
    syn[7] -= 1; // hop limit, decremented by the forwarding path
    ct.alloc_null_binding(h, Hook::PostRouting, &mut rng, ms(0));
    ct.nat_packet(r.slot, Hook::PostRouting, &mut syn, &m);
    assert_eq!(ct.confirm(r.slot, ms(0)), CtVerdict::Accept);
    assert_eq!(
        to_hex(&syn),
        "600000000014063f20010db800010000000000000000000220010db8000000000000000000000010c738001600000064000000005002faf091ba0000"
    );
    let mut err = hex("6000000000443a4020010db800000000000000000000001020010db800010000000000000000000201043cbf00000000600000000014063f20010db800010000000000000000000220010db8000000000000000000000010c738001600000064000000005002faf091ba0000");
    let m = meta(&err);
    let r = ct.process(&err, &m, Hook::PreRouting, ms(500));
    assert_eq!(
        r.slot,
        CtSlot::Entry {
            handle: h,
            info: CtInfo::RelatedReply
        }
    );
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PreRouting, &mut err, &m),
        CtVerdict::Accept
    );
    err[7] -= 1;
    assert_eq!(
        ct.nat_packet(r.slot, Hook::PostRouting, &mut err, &m),
        CtVerdict::Accept
    );
    assert_eq!(
        to_hex(&err),
        "6000000000443a3f20010db800010000000000000000000120010db800010000000000000000000201043ccd00000000600000000014063f20010db800010000000000000000000220010db8000100000000000000000001c73808ae00000064000000005002faf089300000"
    );
}

/// RST validation checked against Linux 6.18: a RST below the peer's
/// highest ACK is INVALID; an in-window but inexact one keeps the state
/// with the CLOSE timeout; an exact one closes.
#[test]
fn kernel_checked_rst_validation() {
    let (p, h) = ("192.0.2.2", "192.0.2.1");
    let setup = |s: &mut Sim, sp: u16| {
        s.inp(&tcp(p, sp, h, 80, 100, 0, SYN, 64000, &[], 0), ms(0));
        s.pass(
            &tcp(h, 80, p, sp, 500, 101, SYN | ACK, 64000, &[], 0),
            Hook::LocalOut,
            ms(1),
        );
        s.inp(&tcp(p, sp, h, 80, 101, 501, ACK, 64000, &[], 0), ms(2));
        s.pass(
            &tcp(h, 80, p, sp, 501, 101, ACK, 64000, &[], 50),
            Hook::LocalOut,
            ms(3),
        );
        assert_eq!(s.one(ms(3)).1, 299);
        s.inp(&tcp(p, sp, h, 80, 101, 551, ACK, 64000, &[], 0), ms(4));
        assert_eq!(s.one(ms(4)).1, 431_999);
    };
    let check = |s: &mut Sim, pkt: Vec<u8>, out: bool, invalid: bool, state: &str, timeout: u64| {
        let hook = if out {
            Hook::LocalOut
        } else {
            Hook::PreRouting
        };
        let r = s.ct.process(&pkt, &meta(&pkt), hook, ms(10));
        assert_eq!(r.slot == CtSlot::Invalid, invalid);
        let (l, t) = s.one(ms(10));
        assert!(l.starts_with(&format!("ipv4 tcp {state} ")), "{l}");
        assert_eq!(t, timeout, "{l}");
    };
    let mut s = Sim::new(Config::with_max(4));
    setup(&mut s, 41000);
    check(
        &mut s,
        tcp(p, 41000, h, 80, 50, 551, RST | ACK, 0, &[], 0),
        false,
        true,
        "ESTABLISHED",
        431_999,
    );
    check(
        &mut s,
        tcp(p, 41000, h, 80, 120, 551, RST | ACK, 0, &[], 0),
        false,
        false,
        "ESTABLISHED",
        9,
    );
    check(
        &mut s,
        tcp(p, 41000, h, 80, 101, 551, RST | ACK, 0, &[], 0),
        false,
        false,
        "CLOSE",
        9,
    );
    let mut s = Sim::new(Config::with_max(4));
    setup(&mut s, 41001);
    check(
        &mut s,
        tcp(h, 80, p, 41001, 530, 101, RST, 0, &[], 0),
        true,
        true,
        "ESTABLISHED",
        431_999,
    );
    check(
        &mut s,
        tcp(h, 80, p, 41001, 551, 101, RST, 0, &[], 0),
        true,
        false,
        "CLOSE",
        9,
    );
    // tcp_ignore_invalid_rst=1 lets the low RST through (inexact: keep state).
    let mut cfg = Config::with_max(4);
    cfg.set("net.netfilter.nf_conntrack_tcp_ignore_invalid_rst", 1)
        .unwrap();
    let mut s = Sim::new(cfg);
    setup(&mut s, 41002);
    check(
        &mut s,
        tcp(h, 80, p, 41002, 530, 101, RST, 0, &[], 0),
        true,
        false,
        "ESTABLISHED",
        9,
    );
}

#[test]
fn masquerade_oif_change() {
    let mut ct = ConntrackTable::new(Config::with_max(4)).unwrap();
    let mut rng = SplitMix64::new(1);
    let p = udp("10.0.0.5", 4000, "198.51.100.9", 53, 0);
    let m = meta(&p);
    let r = ct.process(&p, &m, Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    let masq = NatRange::masquerade(&NatRange::default(), ip("203.0.113.1"));
    ct.setup_nat(h, ManipType::Src, &masq, &mut rng, ms(0));
    assert!(ct.set_masq_index(h, 3));
    ct.confirm(r.slot, ms(0));
    let est = CtSlot::Entry {
        handle: h,
        info: CtInfo::New,
    };
    assert!(!ct.nat_oif_changed(est, Hook::PostRouting, 3));
    assert!(ct.nat_oif_changed(est, Hook::PostRouting, 4));
    assert!(!ct.nat_oif_changed(est, Hook::PreRouting, 4));
    let rep = CtSlot::Entry {
        handle: h,
        info: CtInfo::EstablishedReply,
    };
    assert!(!ct.nat_oif_changed(rep, Hook::PostRouting, 4));
}

/// `nf_conntrack_tcp_set_closing`: REJECT --reject-with tcp-reset moves an
/// established entry to CLOSE with the CLOSE timeout (10 s); a second call
/// keeps the deadline; an unconfirmed entry is left alone.
#[test]
fn set_closing_after_reset() {
    let mut s = Sim::new(Config::with_max(64));
    let syn =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000");
    let synack =
        hex("45000028000100004006f6b9c0000201c00002140016c350000000140000000b5012faf06d460000");
    let ackp =
        hex("45000028000100004006f6b9c0000214c0000201c35000160000000b000000155010faf06d470000");
    s.inp(&syn, ms(0));
    s.pass(&synack, Hook::LocalOut, ms(10));
    let slot = s.inp(&ackp, ms(20));
    let h = slot.handle().unwrap();
    assert!(s.ct.set_closing(h, ms(1000)));
    assert_eq!(s.ct.tcp_state(h), Some(TcpState::Close));
    let (e, t) = s.one(ms(1000));
    assert!(e.starts_with("ipv4 tcp CLOSE "), "{e}");
    assert_eq!(t, 9);
    assert!(s.ct.set_closing(h, ms(5000)));
    assert_eq!(s.one(ms(5000)).1, 5);

    let mut s = Sim::new(Config::with_max(64));
    let r = s.ct.process(&syn, &meta(&syn), Hook::PreRouting, ms(0));
    let h = r.slot.handle().unwrap();
    assert!(s.ct.set_closing(h, ms(0)));
    assert_eq!(s.ct.tcp_state(h), Some(TcpState::SynSent));
}
