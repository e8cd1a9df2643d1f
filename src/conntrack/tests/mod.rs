//! Tests of the table, the trackers and NAT; packets from `wire::PacketBuilder`.
//! A few packets are taken from the recorded kernel traces (noted where).

use core::net::IpAddr;

use super::table::{INITIAL_CHAINS, NIL};
use super::*;
use crate::wire::checksum::sum;
use crate::wire::tcp::TcpFlags;
use crate::wire::{IpProtocol, PacketBuilder};

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

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Runs `$e` with `$b` the builder of an IPv4 or IPv6 packet from `$src`
/// to `$dst` (`wire::PacketBuilder`: ident 1, TTL/hop limit 64, the
/// checksums right).
macro_rules! on_ip {
    ($src:expr, $dst:expr, |$b:ident| $e:expr) => {
        match (ip($src), ip($dst)) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let $b = PacketBuilder::ipv4(s, d);
                $e
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let $b = PacketBuilder::ipv6(s, d);
                $e
            }
            _ => panic!("{} and {} are of different families", $src, $dst),
        }
    };
}

/// An IPv4 or IPv6 packet of protocol `p` around the bytes `l4`, taken as
/// they are (no checksum of theirs is touched).
fn build(src: &str, dst: &str, p: u8, l4: Vec<u8>) -> Vec<u8> {
    on_ip!(src, dst, |b| b.protocol(IpProtocol(p)).payload(&l4).build())
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
    assert_eq!(opts.len() % 4, 0);
    let data = vec![0x61; payload];
    on_ip!(src, dst, |b| b
        .tcp(sport, dport)
        .seq(seq)
        .ack(ack)
        .flags(TcpFlags::from_bits_retain(flags))
        .window(win)
        .option_bytes(opts)
        .payload(&data)
        .build())
}

fn udp(src: &str, sport: u16, dst: &str, dport: u16, payload: usize) -> Vec<u8> {
    let data = vec![0x71; payload];
    on_ip!(src, dst, |b| b.udp(sport, dport).payload(&data).build())
}

/// ICMP (ICMPv6 between IPv6 addresses) of `ty`/`code` whose rest of
/// header is `id` and sequence 1, then `body`.
fn icmp(src: &str, dst: &str, ty: u8, code: u8, id: u16, body: &[u8]) -> Vec<u8> {
    on_ip!(src, dst, |b| b
        .icmp(ty, code)
        .echo(id, 1)
        .payload(body)
        .build())
}

/// An ICMP (ICMPv6) error of `ty`/`code` quoting `quoted`.
fn icmp_error(src: &str, dst: &str, ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    on_ip!(src, dst, |b| b.icmp_error(ty, code, quoted).build())
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
