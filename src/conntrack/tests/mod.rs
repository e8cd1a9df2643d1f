//! Tests of the table, the trackers and NAT with byte-array packets.
//! A few packets are taken from the recorded kernel traces (noted where).

use core::net::IpAddr;

use super::table::{INITIAL_CHAINS, NIL};
use super::*;
use crate::wire::checksum::{combine, pseudo_header, sum};
use crate::wire::IpProtocol;

mod icmp;
mod nat;
mod sctp;
mod table;
mod tcp;
mod traces;
mod udp;

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

/// Decrement TTL the way `ip_decrease_ttl` does (the host's job when forwarding).
fn fwd_ttl(p: &mut [u8]) {
    let c = u16::from_be_bytes([p[10], p[11]]);
    let c = crate::wire::checksum::inet_proto_replace(c, &[p[8], p[9]], &[p[8] - 1, p[9]]);
    p[8] -= 1;
    p[10..12].copy_from_slice(&c.to_be_bytes());
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
