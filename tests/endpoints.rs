//! nfsim's endpoints against the Linux stack: tests/endpoints/kernel-6.18.txt
//! holds what real sockets sent (tools/kernel-oracle/record_endpoints.py:
//! a TCP echo listener and a UDP echo socket on port 7 of 192.0.2.1 /
//! 2001:db8::1, port 9 closed, a TCP client; the peer 192.0.2.2 /
//! 2001:db8::2). Each scenario is replayed: the peer's packets are injected
//! into a simulated host with the same sockets at the recorded instants,
//! and what the host sends is compared with what the kernel sent, packet
//! for packet.
//!
//! The comparison: every field must be equal, except those the kernel
//! draws at random, which nfsim draws from its seeded generator; for them
//! the structure is checked instead:
//!
//! * TCP initial sequence numbers (`secure_tcp_seq`): each packet's
//!   sequence number relative to its connection's ISN must be equal; the
//!   peer's acknowledgements of the kernel's ISN are translated to nfsim's
//!   before injection (and the checksum fixed), as a peer would have acked
//!   nfsim's.
//! * TCP timestamp values (`secure_tcp_ts_off` + a millisecond clock):
//!   each TSval relative to the connection's first must follow the time
//!   elapsed since the first at its sender within 1 ms (nfsim answers at
//!   the injection instant, the kernel when its application runs, some
//!   microseconds or, on a busy machine, milliseconds later); TSecr must
//!   be equal.
//! * IPv4 ids: 0 where the kernel sends 0 (SYN-ACK, resets); within a TCP
//!   connection the steps between packets must be equal (`inet_id`
//!   counter from a random start); hashed ids of UDP and ICMP
//!   (`__ip_select_ident`) are not compared.
//! * IPv6 flow labels: not random here (the recording sets
//!   `auto_flowlabels=0`, as nfsim's hosts model it): compared exactly.
//!
//! Checksums are compared after the random fields are put to the kernel's
//! values and nfsim's checksums recomputed; nfsim's own checksums are
//! checked to be valid first.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use nfsim::host::{Host, HostConfig, InterfaceConfig};
use nfsim::model::{Family, Ruleset};
use nfsim::net::{HostId, LinkConfig, Network, Serve, TcpConnect};
use nfsim::time::{Duration, Instant};
use nfsim::wire::{checksum, IpProtocol};

const RECORDING: &str = include_str!("endpoints/kernel-6.18.txt");

struct Scenario {
    name: String,
    /// (t_us, from the peer, bytes)
    frames: Vec<(u64, bool, Vec<u8>)>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// The committed recording, or a fresh one named by
/// `NFSIM_ENDPOINT_RECORDING` (tools/kernel-oracle/ci-check.sh re-records).
fn recording() -> String {
    match std::env::var("NFSIM_ENDPOINT_RECORDING") {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        Err(_) => RECORDING.to_string(),
    }
}

fn scenarios() -> Vec<Scenario> {
    let mut out: Vec<Scenario> = Vec::new();
    for line in recording().lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["scenario", name] => out.push(Scenario {
                name: name.to_string(),
                frames: Vec::new(),
            }),
            [dir @ ("in" | "out"), t, hex] => out.last_mut().expect("scenario").frames.push((
                t.parse().expect("time"),
                *dir == "in",
                unhex(hex),
            )),
            _ => assert!(line.starts_with('#') || line.is_empty(), "bad line {line}"),
        }
    }
    out
}

fn host(addrs: (&str, &str)) -> Host {
    let itf = InterfaceConfig::new("eth0", addrs.0)
        .and_then(|i| i.with_addr(addrs.1))
        .expect("interface");
    let cfg = HostConfig {
        interfaces: vec![itf],
        ..HostConfig::default()
    };
    Host::new(
        &cfg,
        &Ruleset::new(Family::Ipv4),
        &Ruleset::new(Family::Ipv6),
    )
    .expect("host")
}

fn l3(p: &[u8]) -> (usize, u8) {
    if p[0] >> 4 == 4 {
        (usize::from(p[0] & 15) * 4, p[9])
    } else {
        (40, p[6])
    }
}

fn addr_pair(p: &[u8]) -> (IpAddr, IpAddr) {
    if p[0] >> 4 == 4 {
        let a = |o: usize| IpAddr::V4(Ipv4Addr::new(p[o], p[o + 1], p[o + 2], p[o + 3]));
        (a(12), a(16))
    } else {
        let a = |o: usize| {
            let b: [u8; 16] = p[o..o + 16].try_into().unwrap();
            IpAddr::V6(Ipv6Addr::from(b))
        };
        (a(8), a(24))
    }
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().unwrap())
}

/// Offset of the TCP timestamp option's value in the packet, if any.
fn ts_at(p: &[u8]) -> Option<usize> {
    let (h, _) = l3(p);
    let doff = usize::from(p[h + 12] >> 4) * 4;
    let mut i = h + 20;
    while i < h + doff {
        match p[i] {
            0 => return None,
            1 => i += 1,
            8 => return Some(i + 2),
            _ => i += usize::from(p[i + 1].max(2)),
        }
    }
    None
}

fn fix_checksums(p: &mut [u8]) {
    let (h, proto) = l3(p);
    let (s, d) = addr_pair(p);
    if p[0] >> 4 == 4 {
        p[10] = 0;
        p[11] = 0;
        let c = checksum::ipv4_header(&p[..h]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
    }
    let at = match proto {
        6 => 16,
        17 => 6,
        _ => return,
    };
    p[h + at] = 0;
    p[h + at + 1] = 0;
    let c = match (s, d) {
        (IpAddr::V4(s), IpAddr::V4(d)) => checksum::transport_v4(s, d, IpProtocol(proto), &p[h..]),
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            checksum::transport_v6(&s, &d, IpProtocol(proto), &p[h..])
        }
        _ => unreachable!(),
    };
    p[h + at..h + at + 2].copy_from_slice(&c.to_be_bytes());
}

fn checksums_valid(p: &[u8]) -> bool {
    let mut q = p.to_vec();
    fix_checksums(&mut q);
    q == p
}

/// A connection's initial sequence number and first TSval.
type Isn = Option<(u32, Option<u32>)>;

/// A TCP packet's (source, destination) ports.
fn ports(p: &[u8]) -> Option<(u16, u16)> {
    let (h, proto) = l3(p);
    (proto == 6).then(|| {
        (
            u16::from_be_bytes([p[h], p[h + 1]]),
            u16::from_be_bytes([p[h + 2], p[h + 3]]),
        )
    })
}

/// The first SYN-bearing packet of connection `conn` (its ports as the
/// host sends) in `pkts`.
fn first_syn(pkts: &[Vec<u8>], conn: Option<(u16, u16)>) -> Option<usize> {
    pkts.iter().position(|p| {
        let (h, _) = l3(p);
        conn.is_some() && ports(p) == conn && p[h + 13] & 0x02 != 0
    })
}

/// Connection `conn`'s initial sequence number and first TSval in `pkts`.
fn isn_ts(pkts: &[Vec<u8>], conn: Option<(u16, u16)>) -> Isn {
    let p = &pkts[first_syn(pkts, conn)?];
    let (h, _) = l3(p);
    Some((be32(p, h + 4), ts_at(p).map(|o| be32(p, o))))
}

/// What the kernel and nfsim sent, with the instants (µs) they sent it.
struct Sent {
    kernel: Vec<Vec<u8>>,
    kt: Vec<u64>,
    sim: Vec<Vec<u8>>,
    st: Vec<u64>,
}

fn replay(sc: &Scenario) -> Sent {
    let v6 = sc.name.ends_with("ipv6");
    let mut net = Network::new(0x5eed);
    let h = net.add_host(host(("192.0.2.1/24", "2001:db8::1/64")));
    let p = net.add_host(host(("192.0.2.2/24", "2001:db8::2/64")));
    let link = net
        .connect(
            (h, "eth0"),
            (p, "eth0"),
            LinkConfig::latency(Duration::ZERO),
        )
        .unwrap();
    let tap = net.tap(link);
    net.stack(h)
        .unwrap()
        .listen_tcp(7, Serve::Echo)
        .listen_udp(7, Serve::Echo);
    let kernel: Vec<Vec<u8>> = sc
        .frames
        .iter()
        .filter(|f| !f.1)
        .map(|f| f.2.clone())
        .collect();
    if sc.name.starts_with("client") {
        let first = &kernel[0];
        let (hl, _) = l3(first);
        let dst: IpAddr = if v6 {
            "2001:db8::2".parse().unwrap()
        } else {
            "192.0.2.2".parse().unwrap()
        };
        let mut c = TcpConnect::new(SocketAddr::new(dst, 7), b"hello nfsim\n");
        c.src_port = Some(u16::from_be_bytes([first[hl], first[hl + 1]]));
        c.think = Duration::from_millis(50);
        net.tcp_connect(h, &c, Instant::ZERO).unwrap();
    }
    let sim_out = |net: &Network| -> Vec<Vec<u8>> {
        net.tap_records(tap)
            .iter()
            .filter(|r| r.from.0 == h)
            .map(|r| r.bytes.clone())
            .collect()
    };
    for (t, from_peer, bytes) in &sc.frames {
        if !from_peer {
            continue;
        }
        let at = Instant::from_micros(*t);
        net.run_until(Instant::from_nanos(at.as_nanos().saturating_sub(1)));
        let mut pkt = bytes.clone();
        // The peer acknowledges the ISN it saw: nfsim's, not the kernel's.
        let (hl, _) = l3(&pkt);
        let conn = ports(&pkt).map(|(a, b)| (b, a));
        if let (Some((kisn, kts)), Some((sisn, sts))) =
            (isn_ts(&kernel, conn), isn_ts(&sim_out(&net), conn))
        {
            if pkt[hl + 13] & 0x10 != 0 {
                let ack = be32(&pkt, hl + 8).wrapping_sub(kisn).wrapping_add(sisn);
                pkt[hl + 8..hl + 12].copy_from_slice(&ack.to_be_bytes());
            }
            if let (Some(o), Some(k), Some(s)) = (ts_at(&pkt), kts, sts) {
                let ecr = be32(&pkt, o + 4);
                if ecr != 0 {
                    let e = ecr.wrapping_sub(k).wrapping_add(s);
                    pkt[o + 4..o + 8].copy_from_slice(&e.to_be_bytes());
                }
            }
            fix_checksums(&mut pkt);
        }
        net.inject(h, 1, &pkt, at);
    }
    let end = sc.frames.last().map_or(0, |f| f.0);
    net.run_until(Instant::from_micros(end) + Duration::from_secs(1));
    let _: HostId = p;
    let st = net
        .tap_records(tap)
        .iter()
        .filter(|r| r.from.0 == h)
        .map(|r| r.at.as_nanos() / 1000)
        .collect();
    let kt = sc.frames.iter().filter(|f| !f.1).map(|f| f.0).collect();
    Sent {
        sim: sim_out(&net),
        kernel,
        kt,
        st,
    }
}

/// Microseconds since the first (SYN-bearing) packet of packet `k`'s
/// connection.
fn since_syn(pkts: &[Vec<u8>], times: &[u64], k: usize) -> i64 {
    first_syn(pkts, ports(&pkts[k])).map_or(0, |f| times[k] as i64 - times[f] as i64)
}

/// nfsim's packet with its random fields put to the kernel's values, once
/// their structure is checked; `Err` says which rule failed.
fn normalize(
    k: usize,
    sim: &[u8],
    ker: &[u8],
    isn: (Isn, Isn),
    elapsed_us: (i64, i64),
    prev_ids: &mut Option<(u16, u16)>,
) -> Result<Vec<u8>, String> {
    if !checksums_valid(sim) {
        return Err(format!("packet {k}: nfsim's checksums are wrong"));
    }
    if sim.len() != ker.len() || sim[0] >> 4 != ker[0] >> 4 {
        return Err(format!(
            "packet {k}: length/version {} vs {}",
            sim.len(),
            ker.len()
        ));
    }
    let mut n = sim.to_vec();
    let (h, proto) = l3(ker);
    if ker[0] >> 4 == 4 {
        let (sid, kid) = (
            u16::from_be_bytes([sim[4], sim[5]]),
            u16::from_be_bytes([ker[4], ker[5]]),
        );
        if kid == 0 {
            if sid != 0 {
                return Err(format!("packet {k}: IP id {sid}, the kernel's is 0"));
            }
        } else if proto == 6 {
            if let Some((ps, pk)) = *prev_ids {
                if sid.wrapping_sub(ps) != kid.wrapping_sub(pk) {
                    return Err(format!(
                        "packet {k}: IP id step {} vs the kernel's {}",
                        sid.wrapping_sub(ps),
                        kid.wrapping_sub(pk)
                    ));
                }
            }
            *prev_ids = Some((sid, kid));
        }
        n[4..6].copy_from_slice(&ker[4..6]);
    }
    if proto == 6 {
        if let (Some((sisn, sts)), Some((kisn, kts))) = isn {
            let (rs, rk) = (
                be32(sim, h + 4).wrapping_sub(sisn),
                be32(ker, h + 4).wrapping_sub(kisn),
            );
            if rs != rk {
                return Err(format!(
                    "packet {k}: relative seq {rs} vs the kernel's {rk}"
                ));
            }
            n[h + 4..h + 8].copy_from_slice(&ker[h + 4..h + 8]);
            if let (Some(so), Some(ko), Some(s0), Some(k0)) = (ts_at(sim), ts_at(ker), sts, kts) {
                // Both clocks are milliseconds plus a random offset: each
                // TSval step follows its own sender's elapsed time (the
                // kernel answers when its application runs, nfsim at once).
                let (ds, dk) = (
                    be32(sim, so).wrapping_sub(s0) as i32 as i64,
                    be32(ker, ko).wrapping_sub(k0) as i32 as i64,
                );
                let (es, ek) = (elapsed_us.0 / 1000, elapsed_us.1 / 1000);
                if (ds - es).abs() > 1 || (dk - ek).abs() > 1 {
                    return Err(format!(
                        "packet {k}: TSval steps {ds} / {dk} ms after {es} / {ek} ms (nfsim / kernel)"
                    ));
                }
                n[so..so + 4].copy_from_slice(&ker[ko..ko + 4]);
            }
        }
    }
    fix_checksums(&mut n);
    Ok(n)
}

fn field_diff(sim: &[u8], ker: &[u8]) -> String {
    let diffs: Vec<String> = (0..sim.len().max(ker.len()))
        .filter(|i| sim.get(*i) != ker.get(*i))
        .map(|i| format!("byte {i}: {:02x?} vs {:02x?}", sim.get(i), ker.get(i)))
        .collect();
    diffs.join(", ")
}

#[test]
fn endpoints_agree_with_the_kernel_recordings() {
    let all = scenarios();
    assert_eq!(all.len(), 12, "six scenarios per family");
    let mut failures = Vec::new();
    let mut compared = 0;
    for sc in &all {
        let Sent {
            kernel,
            kt,
            sim,
            st,
        } = replay(sc);
        if kernel.len() != sim.len() {
            failures.push(format!(
                "{}: the kernel sent {} packets, nfsim {}:\n  kernel {:02x?}\n  nfsim {:02x?}",
                sc.name,
                kernel.len(),
                sim.len(),
                kernel.iter().map(|p| p.len()).collect::<Vec<_>>(),
                sim.iter().map(|p| p.len()).collect::<Vec<_>>()
            ));
            continue;
        }
        let mut ids = std::collections::HashMap::new();
        for (k, (s, kp)) in sim.iter().zip(&kernel).enumerate() {
            let conn = ports(kp);
            let isn = (isn_ts(&sim, conn), isn_ts(&kernel, conn));
            let ids = ids.entry(conn).or_insert(None);
            compared += 1;
            let el = (since_syn(&sim, &st, k), since_syn(&kernel, &kt, k));
            match normalize(k, s, kp, isn, el, ids) {
                Err(e) => failures.push(format!("{}: {e}", sc.name)),
                Ok(n) if n != *kp => failures.push(format!(
                    "{}: packet {k} differs: {}\n  nfsim  {}\n  kernel {}",
                    sc.name,
                    field_diff(&n, kp),
                    n.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                    kp.iter().map(|b| format!("{b:02x}")).collect::<String>()
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(compared, 40);
}

/// The comparison is not blind: a kernel packet with one deterministic
/// field changed (the SYN-ACK's window), or a random field out of step (a
/// sequence number one further), is caught.
#[test]
fn the_comparison_catches_a_changed_field() {
    let sc = scenarios()
        .into_iter()
        .find(|s| s.name == "listener-ipv4")
        .unwrap();
    let Sent {
        kernel,
        kt,
        sim,
        st,
        ..
    } = replay(&sc);
    let isn = (
        isn_ts(&sim, ports(&sim[0])),
        isn_ts(&kernel, ports(&kernel[0])),
    );
    let mut window = kernel[0].clone();
    window[34] ^= 1;
    let n = normalize(0, &sim[0], &window, isn, (0, 0), &mut None).unwrap();
    assert_ne!(n, window);
    let el = (since_syn(&sim, &st, 1), since_syn(&kernel, &kt, 1));
    let mut seq = kernel[1].clone();
    seq[27] = seq[27].wrapping_add(1);
    assert!(normalize(1, &sim[1], &seq, isn, el, &mut None).is_err());
    let mut ts = kernel[1].clone();
    let o = ts_at(&ts).unwrap();
    ts[o] ^= 0x10;
    assert!(normalize(1, &sim[1], &ts, isn, el, &mut None).is_err());
}
