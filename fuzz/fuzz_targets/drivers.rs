//! Drivers shared by the `pipeline` and `conntrack` fuzz targets and by the
//! stable proptest twin `tests/fuzz_drivers.rs` (which includes this file
//! with `#[path]`): each turns arbitrary bytes into a sequence of operations,
//! runs them, and panics only when an invariant is broken.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use nfsim::conntrack::{
    Config, ConntrackTable, CtSlot, CtVerdict, Dir, ManipType, NatAction, NatRange, SplitMix64,
};
use nfsim::engine::NoTrace;
use nfsim::host::{Host, HostConfig, InterfaceConfig, Outcome, RouteConfig};
use nfsim::model::{Family, Hook, Iface, Match, Ruleset, Target, Verdict};
use nfsim::syntax::{parse_restore, parse_restore_reader, save_bytes, RestoreOptions, SaveOptions};
use nfsim::time::Instant;
use nfsim::wire::meta::PacketMeta;
use nfsim::wire::{checksum, IpProtocol};

/// Reads the fuzz input front to back; past the end everything reads 0.
pub struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, at: 0 }
    }
    pub fn done(&self) -> bool {
        self.at >= self.data.len()
    }
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.at.min(self.data.len());
        let end = self.at.saturating_add(n).min(self.data.len());
        self.at = self.at.saturating_add(n);
        &self.data[start..end]
    }
}

// ---------------------------------------------------------------- packets

pub const V4: [Ipv4Addr; 6] = [
    Ipv4Addr::new(10, 0, 0, 20),
    Ipv4Addr::new(10, 0, 0, 10),
    Ipv4Addr::new(10, 0, 0, 1),
    Ipv4Addr::new(198, 51, 100, 1),
    Ipv4Addr::new(203, 0, 113, 30),
    Ipv4Addr::new(127, 0, 0, 1),
];
pub const V6: [Ipv6Addr; 6] = [
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x20),
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x10),
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0x30),
    Ipv6Addr::LOCALHOST,
];
pub const PORTS: [u16; 8] = [22, 23, 53, 80, 137, 443, 8022, 40000];

/// An IP packet around `l4` with correct lengths and checksums.
pub fn ip(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut p = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut p = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut p = vec![0x60, 0, 0, 0, 0, 0, proto, 64];
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p
        }
        _ => return Vec::new(),
    };
    p.extend_from_slice(l4);
    fixup(&mut p);
    p
}

/// Makes lengths and checksums of an IPv4/IPv6 packet right, as far as its
/// header can be read (anything else is left as is).
pub fn fixup(p: &mut [u8]) {
    let n = p.len();
    match p.first().map(|b| b >> 4) {
        Some(4) if n >= 20 => {
            let ihl = usize::from(p[0] & 0x0f) * 4;
            if ihl < 20 || ihl > n || n > 0xffff {
                return;
            }
            p[2..4].copy_from_slice(&(n as u16).to_be_bytes());
            p[10] = 0;
            p[11] = 0;
            let c = checksum::ipv4_header(&p[..ihl]);
            p[10..12].copy_from_slice(&c.to_be_bytes());
            let frag = u16::from_be_bytes([p[6], p[7]]) & 0x3fff;
            if frag != 0 {
                return;
            }
            let s = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
            let d = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
            let proto = p[9];
            let l4 = &mut p[ihl..];
            l4_fix(l4, proto, |seg, pr| match pr {
                1 => checksum::icmpv4(seg),
                17 => checksum::udp_v4(s, d, seg),
                _ => checksum::transport_v4(s, d, IpProtocol(pr), seg),
            });
        }
        Some(6) if n >= 40 => {
            if n - 40 > 0xffff {
                return;
            }
            p[4..6].copy_from_slice(&((n - 40) as u16).to_be_bytes());
            let s = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).unwrap_or([0; 16]));
            let d = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap_or([0; 16]));
            let proto = p[6];
            l4_fix(&mut p[40..], proto, |seg, pr| match pr {
                17 => checksum::udp_v6(&s, &d, seg),
                _ => checksum::transport_v6(&s, &d, IpProtocol(pr), seg),
            });
        }
        _ => {}
    }
}

fn l4_fix(l4: &mut [u8], proto: u8, sum: impl Fn(&[u8], u8) -> u16) {
    let at = match proto {
        6 => 16,
        17 => {
            if l4.len() >= 8 && l4.len() <= 0xffff {
                let n = l4.len() as u16;
                l4[4..6].copy_from_slice(&n.to_be_bytes());
            }
            6
        }
        1 | 58 => 2,
        _ => return,
    };
    if l4.len() < at + 2 {
        return;
    }
    l4[at] = 0;
    l4[at + 1] = 0;
    let c = sum(l4, proto);
    l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

fn tcp_seg(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, win: u16) -> Vec<u8> {
    let mut s = Vec::with_capacity(20);
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.extend_from_slice(&[0x50, flags]);
    s.extend_from_slice(&win.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s
}

fn udp_seg(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(8 + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&[0, 0, 0, 0]);
    s.extend_from_slice(payload);
    s
}

/// A packet described by a few input bytes: family, protocol, endpoints
/// from small pools, TCP flags and sequence numbers, ICMP errors quoting a
/// packet built the same way.
pub fn structured(inp: &mut Input<'_>) -> Vec<u8> {
    let sel = inp.u8();
    let v6 = sel & 0x80 != 0;
    let (a, b) = (inp.u8() as usize, inp.u8() as usize);
    let (src, dst): (IpAddr, IpAddr) = if v6 {
        (V6[a % V6.len()].into(), V6[b % V6.len()].into())
    } else {
        (V4[a % V4.len()].into(), V4[b % V4.len()].into())
    };
    let sport = PORTS[usize::from(inp.u8()) % PORTS.len()];
    let dport = PORTS[usize::from(inp.u8()) % PORTS.len()];
    match sel & 0x07 {
        0..=2 => {
            let flags = inp.u8();
            let seq = u32::from(inp.u16()) << 8;
            let ack = u32::from(inp.u16()) << 8;
            let win = inp.u16();
            ip(src, dst, 6, &tcp_seg(sport, dport, seq, ack, flags, win))
        }
        3 => {
            let n = usize::from(inp.u8() % 16);
            ip(src, dst, 17, &udp_seg(sport, dport, inp.take(n)))
        }
        4 => {
            // echo request / reply with a small id
            let t = inp.u8();
            let ty = match (v6, t & 1) {
                (false, 0) => 8,
                (false, _) => 0,
                (true, 0) => 128,
                (true, _) => 129,
            };
            let proto = if v6 { 58 } else { 1 };
            let id = u16::from(t >> 1);
            let mut m = vec![ty, 0, 0, 0];
            m.extend_from_slice(&id.to_be_bytes());
            m.extend_from_slice(&[0, 1]);
            ip(src, dst, proto, &m)
        }
        5 => {
            // ICMP error quoting a structured packet
            let code = inp.u8() % 16;
            let inner = structured(inp);
            let (proto, ty) = if v6 {
                (58, 1 + code % 4)
            } else {
                (1, [3, 11, 12, 5][usize::from(code % 4)])
            };
            let mut m = vec![ty, code, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(&inner[..inner.len().min(64)]);
            ip(src, dst, proto, &m)
        }
        6 => {
            // another protocol (GRE, SCTP, ESP) with a few bytes
            let proto = [47, 132, 50, 41][usize::from(inp.u8() % 4)];
            let n = usize::from(inp.u8() % 24);
            ip(src, dst, proto, inp.take(n))
        }
        _ => {
            // fragment of a UDP packet
            let n = usize::from(inp.u8() % 32);
            let mut p = ip(src, dst, 17, &udp_seg(sport, dport, inp.take(n)));
            if !v6 && p.len() >= 20 {
                let off = inp.u16() & 0x3fff;
                p[6..8].copy_from_slice(&off.to_be_bytes());
                fixup(&mut p);
            }
            p
        }
    }
}

/// A packet from the input: raw bytes, raw bytes with lengths and checksums
/// fixed, a structured packet, or a structured packet with bytes patched.
pub fn packet(inp: &mut Input<'_>) -> Vec<u8> {
    let mode = inp.u8();
    match mode % 4 {
        0 => {
            let n = usize::from(inp.u8());
            inp.take(n).to_vec()
        }
        1 => {
            let n = usize::from(inp.u8());
            let mut p = inp.take(n).to_vec();
            fixup(&mut p);
            p
        }
        2 => structured(inp),
        _ => {
            let mut p = structured(inp);
            for _ in 0..(mode >> 2) % 4 + 1 {
                let (at, v) = (usize::from(inp.u8()), inp.u8());
                if let Some(b) = p.get_mut(at) {
                    *b ^= v;
                }
            }
            if mode & 0x80 != 0 {
                fixup(&mut p);
            }
            p
        }
    }
}

/// A time step: mostly small, sometimes past conntrack timeouts.
pub fn step_ns(b: u8) -> u64 {
    let b = u64::from(b);
    match b {
        0..=199 => b * b * 1_000_000,            // up to ~40 s
        200..=249 => (b - 190) * 60_000_000_000, // minutes
        _ => (b - 240) * 86_400_000_000_000,     // days
    }
}

// ---------------------------------------------------------------- pipeline

pub const RULES_V4: &str = "\
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 137 -j CT --notrack
-A OUTPUT -p gre -j NOTRACK
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -j MARK --set-xmark 0x1/0xff
-A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --save-mark
-A PREROUTING -m conntrack --ctstate ESTABLISHED,RELATED -j CONNMARK --restore-mark
-A POSTROUTING -o eth1 -j TTL --ttl-dec 1
-A OUTPUT -p icmp -j TOS --set-tos 0x10
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth1 -p tcp -m tcp --dport 8022 -j DNAT --to-destination 10.0.0.10:22
-A PREROUTING -i eth1 -p udp -m multiport --dports 53,5353 -j DNAT --to-destination 10.0.0.10
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128
-A PREROUTING -d 203.0.113.0/24 -i eth0 -j NETMAP --to 198.51.100.0/24
-A OUTPUT -d 203.0.113.30/32 -p tcp -j DNAT --to-destination 10.0.0.10:80-90
-A POSTROUTING -s 10.0.0.10/32 -o eth1 -p udp -j SNAT --to-source 198.51.100.1:1024-2048
-A POSTROUTING -o eth1 -j MASQUERADE --random
-A INPUT -p tcp -m tcp --dport 22 -j SNAT --to-source 10.0.0.1
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:USER - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 0 -j USER
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m multiport --dports 22,80,3128 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -p udp -m udp --dport 137:138 -j REJECT --reject-with icmp-port-unreachable
-A INPUT -p udp -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -g USER
-A USER -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN --tcp-option 2 -j RETURN
-A USER -f -j DROP
-A USER -m comment --comment \"log and drop\" -j REJECT --reject-with icmp-host-unreachable
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT
-A FORWARD -i eth0 -o eth1 -j ACCEPT
-A FORWARD -p tcp -j REJECT --reject-with tcp-reset
-A FORWARD -j REJECT
-A OUTPUT -p tcp -m tcp --sport 23 -j REJECT --reject-with tcp-reset
-A OUTPUT -o eth1 -p udp -m udp --dport 9 -j REJECT --reject-with icmp-net-unreachable
-A OUTPUT -m conntrack --ctstate INVALID,UNTRACKED -j MARK --set-mark 7
COMMIT
";

pub const RULES_V6: &str = "\
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 137 -j CT --notrack
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -p tcp -j MARK --set-mark 0x2
-A POSTROUTING -o eth1 -j HL --hl-dec 1
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth1 -p tcp -m tcp --dport 8022 -j DNAT --to-destination [fd00::10]:22
-A PREROUTING -i eth0 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128
-A POSTROUTING -o eth1 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -m multiport --dports 22,3128 -m state --state NEW -j ACCEPT
-A INPUT -p udp -j REJECT --reject-with icmp6-port-unreachable
-A INPUT -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth0 -o eth1 -j ACCEPT
-A FORWARD -j REJECT --reject-with icmp6-addr-unreachable
-A OUTPUT -m conntrack --ctstate INVALID -j DROP
COMMIT
";

/// The pipeline host: eth0 inside (10.0.0.1/24, fd00::1/64), eth1 outside
/// (198.51.100.1/24, 2001:db8:1::1/64), default routes out of eth1,
/// forwarding on, a 64-entry conntrack table, the rich rulesets above.
pub fn pipeline_host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let cfg = HostConfig {
            interfaces: vec![
                InterfaceConfig {
                    name: "eth0".into(),
                    mac: [2, 0, 0, 0, 0, 1],
                    addrs: vec![
                        "10.0.0.1/24".parse().unwrap(),
                        "fd00::1/64".parse().unwrap(),
                    ],
                    peer_mac: [2, 0, 0, 0, 1, 1],
                },
                InterfaceConfig {
                    name: "eth1".into(),
                    mac: [2, 0, 0, 0, 0, 2],
                    addrs: vec![
                        "198.51.100.1/24".parse().unwrap(),
                        "2001:db8:1::1/64".parse().unwrap(),
                    ],
                    peer_mac: [2, 0, 0, 0, 1, 2],
                },
            ],
            routes: vec![
                RouteConfig {
                    dst: "0.0.0.0/0".parse().unwrap(),
                    via: Some("198.51.100.2".parse().unwrap()),
                    dev: Some("eth1".into()),
                },
                RouteConfig {
                    dst: "::/0".parse().unwrap(),
                    via: Some("2001:db8:1::2".parse().unwrap()),
                    dev: Some("eth1".into()),
                },
            ],
            sysctls: vec![
                ("net.ipv4.ip_forward".into(), 1),
                ("net.ipv6.conf.all.forwarding".into(), 1),
                ("net.netfilter.nf_conntrack_max".into(), 64),
                ("net.netfilter.nf_conntrack_buckets".into(), 16),
            ],
            ..HostConfig::default()
        };
        let v4 =
            parse_restore(RULES_V4, &RestoreOptions::new(Family::Ipv4)).expect("v4 rules parse");
        let v6 =
            parse_restore(RULES_V6, &RestoreOptions::new(Family::Ipv6)).expect("v6 rules parse");
        Host::new(&cfg, &v4, &v6).expect("pipeline host builds")
    })
}

/// Arbitrary packets arriving on lo/eth0/eth1 or sent by the host, with
/// time steps. Nothing may panic; the table never exceeds its size; every
/// emitted packet goes to a known device.
pub fn run_pipeline(data: &[u8]) {
    let mut host = pipeline_host().clone();
    let max = host.conntrack().config().max;
    let mut inp = Input::new(data);
    let mut out = Outcome::default();
    let mut now = 0u64;
    let mut ops = 0;
    while !inp.done() && ops < 256 {
        ops += 1;
        let op = inp.u8();
        now = now.saturating_add(step_ns(inp.u8()));
        let t = Instant::from_nanos(now);
        let pkt = packet(&mut inp);
        match op % 4 {
            3 => host.send(&pkt, t, &mut out, &mut NoTrace),
            d => host.receive(usize::from(d), &pkt, t, &mut out, &mut NoTrace),
        }
        for (dev, bytes) in out.emitted() {
            assert!(
                host.device(dev).is_some(),
                "emitted on unknown device {dev}"
            );
            let _ = PacketMeta::parse(bytes);
        }
        for l in out.logs() {
            let _ = l.len();
        }
        let ct = host.conntrack();
        assert!(
            ct.count() <= max,
            "conntrack count {} > max {max}",
            ct.count()
        );
        if op & 0x80 != 0 {
            for h in ct.entries(t) {
                if let Some(e) = ct.proc_entry(h) {
                    let _ = e.to_string();
                }
                let _ = ct.remaining_secs(h, t);
            }
        }
    }
}

// ---------------------------------------------------------------- conntrack

/// Checks the table's invariants at `now`.
pub fn check_table(ct: &ConntrackTable, now: Instant) {
    let max = ct.config().max;
    assert!(ct.count() <= max, "count {} > max {max}", ct.count());
    let mut listed = 0u32;
    for h in ct.entries(now) {
        listed += 1;
        let o = ct
            .tuple(h, Dir::Original)
            .expect("listed entry has an original tuple");
        let r = ct
            .tuple(h, Dir::Reply)
            .expect("listed entry has a reply tuple");
        for (t, dir) in [(o, Dir::Original), (r, Dir::Reply)] {
            let found = ct.lookup(&t, now);
            if o == r {
                assert!(
                    matches!(found, Some((fh, _)) if fh == h),
                    "{t:?} finds {found:?}, not {h:?}"
                );
            } else {
                assert_eq!(
                    found,
                    Some((h, dir)),
                    "{dir:?} tuple {t:?} does not find its entry"
                );
            }
        }
        assert!(ct.proc_entry(h).is_some());
        let _ = ct.proc_entry(h).map(|e| e.to_string());
        // Counters exactly under `nf_conntrack_acct`.
        for dir in [Dir::Original, Dir::Reply] {
            assert_eq!(ct.counters(h, dir).is_some(), ct.config().acct);
        }
        assert!(ct.remaining_secs(h, now).is_some());
    }
    assert!(
        listed <= ct.count(),
        "{listed} listed > count {}",
        ct.count()
    );
}

/// One packet's life through conntrack as the host drives it: `process` at
/// PREROUTING or OUTPUT, the nat hooks (rules "walked": a NAT range from
/// the input or the null binding), then `confirm` or (dropped) discard.
fn ct_packet(ct: &mut ConntrackTable, rng: &mut SplitMix64, inp: &mut Input<'_>, now: Instant) {
    let pkt = packet(inp);
    let Ok(meta) = PacketMeta::parse(&pkt) else {
        return;
    };
    let mut pkt = pkt;
    let how = inp.u8();
    let local = how & 1 != 0;
    let (hook, nat1, nat2) = if local {
        (Hook::LocalOut, Hook::LocalOut, Hook::PostRouting)
    } else if how & 2 != 0 {
        (Hook::PreRouting, Hook::PreRouting, Hook::LocalIn)
    } else {
        (Hook::PreRouting, Hook::PreRouting, Hook::PostRouting)
    };
    let r = ct.process(&pkt, &meta, hook, now);
    if r.verdict == CtVerdict::Drop {
        return;
    }
    let slot = r.slot;
    for (i, nh) in [nat1, nat2].into_iter().enumerate() {
        match ct.nat_action(slot, nh, &meta) {
            NatAction::Skip => {}
            NatAction::WalkRules => {
                if let Some(h) = slot.handle() {
                    let sel = (how >> (2 + 2 * i)) & 3;
                    if sel != 0 {
                        let v6 = meta.family == Family::Ipv6;
                        let a: IpAddr = if v6 {
                            V6[usize::from(inp.u8()) % V6.len()].into()
                        } else {
                            V4[usize::from(inp.u8()) % V4.len()].into()
                        };
                        let ports = match sel {
                            1 => None,
                            2 => Some((1024, 1024 + inp.u16() % 8)),
                            _ => Some((inp.u16(), inp.u16())),
                        };
                        let _ = ct.setup_nat(
                            h,
                            ManipType::of_hook(nh),
                            &NatRange::to(a, a, ports),
                            rng,
                            now,
                        );
                    }
                    if !ct.nat_initialized(h, ManipType::of_hook(nh)) {
                        let _ = ct.alloc_null_binding(h, nh, rng, now);
                    }
                }
                let _ = ct.nat_packet(slot, nh, &mut pkt, &meta);
            }
            NatAction::Apply => {
                let _ = ct.nat_packet(slot, nh, &mut pkt, &meta);
            }
        }
    }
    if how & 0x40 != 0 {
        if let CtSlot::Entry { handle, .. } = slot {
            ct.discard_unconfirmed(handle);
        }
    } else if slot.handle().is_some() {
        let _ = ct.confirm(slot, now);
    }
}

/// A sequence of packets (many protocols and flags between a few
/// addresses) and time steps driving a small `ConntrackTable`; the table's
/// invariants are checked after every step.
pub fn run_conntrack(data: &[u8]) {
    let mut inp = Input::new(data);
    let size = 1 + u32::from(inp.u8() % 16);
    let mut cfg = Config::with_max(size);
    // The bucket count from the byte's low bits, accounting from its top
    // bit (counters kept or not).
    let b = inp.u8();
    cfg.buckets = 1 + u32::from(b % 8);
    cfg.acct = b & 0x80 != 0;
    let Ok(mut ct) = ConntrackTable::new(cfg) else {
        return;
    };
    let mut rng = SplitMix64::new(u64::from(inp.u32()));
    let mut now = 0u64;
    let mut ops = 0;
    while !inp.done() && ops < 512 {
        ops += 1;
        let op = inp.u8();
        if op < 0x30 {
            now = now.saturating_add(step_ns(inp.u8()));
        } else {
            ct_packet(&mut ct, &mut rng, &mut inp, Instant::from_nanos(now));
        }
        check_table(&ct, Instant::from_nanos(now));
    }
}

// ---------------------------------------------------------------- restore

/// The tables of `rs` printed in table-kind order: like the kernel, which
/// lists the most recently created table first (`xt_register_table` adds
/// at the head of the list `/proc/net/ip_tables_names` walks; checked with
/// iptables-legacy 1.8.9 on Linux 6.18: restoring `*raw` then `*nat` into
/// a fresh namespace saves `*nat` first), restoring a saved ruleset
/// reverses its tables, so the order is compared aside.
fn by_kind(rs: &Ruleset) -> Vec<u8> {
    let mut rs = rs.clone();
    rs.tables.sort_by_key(|t| t.kind as usize);
    save_bytes(&rs, SaveOptions::default())
}

/// Whether the ruleset holds a name that iptables-save prints as it is
/// (interfaces, physdev, recent, hashlimit, rateest, osf, set, CT helper
/// and timeout, IDLETIMER label, SECMARK context, TEE oif, chain names)
/// with a byte the restore tokenizer splits or unquotes at (space, tab,
/// `"`). Such a name comes back changed or not at all, in iptables too
/// (iptables-legacy 1.8.9: `-i "drop: "` saves as `-i drop: ` and restores
/// as `drop:`; a recent name with a space saves unquoted and the rest of
/// it is read as options): print/parse promises nothing there.
pub fn name_printed_unquoted_with_separator(rs: &Ruleset) -> bool {
    let bad = |b: &[u8]| b.iter().any(|c| matches!(c, b' ' | b'\t' | b'"'));
    let iface = |i: &Option<Iface>| i.as_ref().is_some_and(|i| bad(i.as_bytes()));
    let pair = |i: &Option<(Iface, bool)>| i.as_ref().is_some_and(|i| bad(i.0.as_bytes()));
    rs.tables.iter().flat_map(|t| &t.chains).any(|c| {
        bad(c.name.as_bytes())
            || c.rules.iter().any(|r| {
                let target = match &r.verdict {
                    Verdict::Ext(Target::Ct(t)) => bad(&t.helper) || bad(&t.timeout),
                    Verdict::Ext(Target::Idletimer(t)) => bad(&t.label),
                    Verdict::Ext(Target::Secmark(t)) => bad(&t.selctx),
                    Verdict::Ext(Target::Tee(t)) => bad(&t.oif),
                    Verdict::Ext(Target::Rateest(t)) => bad(&t.name),
                    _ => false,
                };
                target
                    || iface(&r.in_iface)
                    || iface(&r.out_iface)
                    || r.matches.iter().any(|m| match m {
                        Match::Physdev(p) => pair(&p.physin) || pair(&p.physout),
                        Match::Recent(x) => bad(&x.name),
                        Match::Hashlimit(x) => bad(&x.name),
                        Match::Rateest(x) => {
                            bad(&x.name1) || x.name2.as_ref().is_some_and(|n| bad(n))
                        }
                        Match::Osf(x) => bad(&x.genre),
                        Match::Set(x) => bad(&x.name),
                        _ => false,
                    })
            })
    })
}

/// The `restore` fuzz target (and its test twin): any bytes as
/// iptables-restore input, both families; parsing never panics, and what
/// parses prints and parses back to the same tables.
pub fn run_restore(data: &[u8]) {
    // Bytes as iptables-restore reads them: names, comments and prefixes
    // that are not UTF-8 are kept and printed back unchanged.
    for family in [Family::Ipv4, Family::Ipv6] {
        let opts = RestoreOptions::new(family);
        let whole = parse_restore(data, &opts);
        // The streamed reader (`nfsim save FILE`'s path) gives the same
        // rules and the same error as the whole text, whatever the size of
        // the reader's buffer (1 to 16 bytes here: lines straddle refills).
        let cap = 1 + usize::from(data.last().copied().unwrap_or(0) % 16);
        let streamed = parse_restore_reader(std::io::BufReader::with_capacity(cap, data), &opts)
            .expect("reading a slice does not fail");
        assert_eq!(
            streamed, whole,
            "parse_restore_reader and parse_restore differ"
        );
        if let Ok(rs) = whole {
            let printed = save_bytes(&rs, SaveOptions::default());
            if name_printed_unquoted_with_separator(&rs) {
                // Printing does not panic; see the function.
                let _ = parse_restore(&printed, &opts);
                continue;
            }
            let again = match parse_restore(&printed, &opts) {
                Ok(again) => again,
                // iptables' own asymmetry (tests/fuzz_drivers.rs
                // string_pattern_of_128_bytes_printed_as_hex): the one case
                // where printed text does not parse back, in iptables too.
                Err(e) if e.message.starts_with("STRING too long \"|") => continue,
                Err(e) => panic!("printed text must parse: {e:?}"),
            };
            assert_eq!(
                by_kind(&again),
                by_kind(&rs),
                "print/parse is not a fixed point"
            );
        }
    }
}

/// `ipset save` / `ipset restore` text (`--ipset FILE`, `host.ipset`):
/// reading never panics, and what reads prints (`ipset save`, `ipset
/// list`) and reads back to the same `ipset save` text.
pub fn run_ipset(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(sets) = nfsim::ipset::Ipsets::restore(&text) else {
        return;
    };
    let saved = sets.save_text(Instant::ZERO);
    let _ = sets.list_text(Instant::ZERO, &[]);
    let again = nfsim::ipset::Ipsets::restore(&saved)
        .unwrap_or_else(|e| panic!("ipset save output does not read back: {e}\n{saved}"));
    assert_eq!(
        again.save_text(Instant::ZERO),
        saved,
        "ipset save is not a fixed point"
    );
}
