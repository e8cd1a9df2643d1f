//! Endpoints that answer: the sockets of a host of a [`Network`](super::Network)
//! (a TCP listener that echoes or discards, a TCP client, UDP request and
//! response, ping) and, for what no socket takes, the stack's own answers
//! (TCP reset, ICMP / ICMPv6 port unreachable, echo reply).
//!
//! The packets are the ones Linux 6.18 sends, checked field by field
//! against recordings of real sockets (tools/kernel-oracle/record_endpoints.py,
//! tests/endpoints.rs):
//!
//! * IPv4: TTL 64, TOS 0, DF on TCP and UDP; IP id 0 on a SYN-ACK
//!   (`ip_build_and_send_pkt` with DF) and on resets (`ip_send_unicast_reply`
//!   from the control socket), a per-socket counter from a random start on
//!   a connection's other segments (`ip_select_ident_segs`: `inet_id`, set
//!   by `get_random_u16()` in `tcp_v4_connect` / `tcp_v4_syn_recv_sock`),
//!   hashed (`__ip_select_ident`) on UDP and ICMP. IPv6: hop limit 64,
//!   traffic class 0, flow label 0 (`net.ipv6.auto_flowlabels=0`, the only
//!   value a [`Host`](crate::host::Host) models).
//! * SYN and SYN-ACK options in `tcp_options_write` order: MSS (the device
//!   MTU less 40 / 60), SACK-permitted and timestamps (`04 02 08 0a`, or
//!   `01 01 08 0a` / `01 01 04 02` when one is off), NOP and window scale
//!   (`rcv_wscale` 10: `tcp_rmem[2]` of 32 MiB, the default here); the
//!   SYN-ACK carries only what the SYN offered. Windows:
//!   `tcp_select_initial_window` rounds 65535 down to a multiple of the MSS
//!   (less the 12 timestamp bytes on a SYN-ACK: 64240 / 65160 over IPv4,
//!   64800 / 64260 over IPv6); later segments advertise that window scaled,
//!   rounded up (`tcp_select_window`).
//! * Acknowledgements: data is acknowledged at once (`tcp_in_quickack_mode`
//!   at the start of a connection) unless the socket is in ping-pong mode
//!   (it answered data within `TCP_ATO_MIN`, 40 ms, `tcp_event_data_sent`),
//!   where the answer carries the acknowledgement. A FIN is acknowledged by
//!   the close that follows it (`tcp_fin` enters ping-pong mode; the
//!   endpoints close at once), in FIN-WAIT by an immediate ACK (TIME-WAIT).
//! * What no socket takes: `tcp_v4_send_reset` / `tcp_v6_send_reset`
//!   (RST|ACK acknowledging a SYN, RST with the segment's ack as sequence
//!   otherwise, TOS of the segment without ECN), `icmp_send` /
//!   `icmp6_send` port unreachable (whole original quoted up to 576 / 1280
//!   bytes, rate limited per destination), `icmp_echo` / `icmpv6_echo_reply`.
//!
//! Random in the kernel, taken from the stack's seeded generator here: the
//! initial sequence numbers (`secure_tcp_seq`), the timestamp offsets
//! (`secure_tcp_ts_off`), the IP id starts and hashed ids, the ephemeral
//! ports. The timestamp clock is the network's clock in milliseconds.
//!
//! Not modelled, on purpose and stated: retransmission (a lost segment
//! stalls its connection: [`TcpInfo::state`] stays where it was), the
//! congestion window (a payload is sent at once; keep it within the
//! initial window of 10 segments for kernel-like traffic), receive-buffer
//! autotuning (the advertised window stays the initial one: right while
//! little data has arrived, as recorded), SACK blocks, delayed ACKs beyond
//! the cases above, the `owner` match on socket packets (they have no
//! owner here), the global ICMP limit (`icmp_global_allow`,
//! `net.ipv4.icmp_msgs_per_sec`: 1000 a second, its credit randomized in
//! the kernel; the per-destination limit is modelled). Traffic a host sends to itself goes through `lo`, where
//! the host's own loopback stack answers (every port closed), not its
//! endpoints.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::time::{Duration, Instant};
use crate::wire::meta::PacketMeta;
use crate::wire::{checksum, IpProtocol};

/// What a listening socket does with what it receives.
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// net.stack(b).unwrap().listen_udp(7, Serve::Echo).listen_udp(9, Serve::Discard);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Serve {
    /// Sends every byte (TCP) or datagram (UDP) back.
    Echo,
    /// Keeps nothing, answers nothing (TCP still acknowledges).
    Discard,
}

/// The stack's settings (the kernel's defaults of a new namespace).
///
/// ```
/// let c = nfsim::net::StackConfig::default();
/// assert_eq!((c.mtu, c.rcv_wscale, c.ttl), (1500, 10, 64));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackConfig {
    /// The devices' MTU (the advertised MSS is this less 40 / 60).
    pub mtu: u16,
    /// The window scale offered (`tcp_select_initial_window` from
    /// `tcp_rmem[2]`: 10 for 32 MiB).
    pub rcv_wscale: u8,
    /// `net.ipv4.tcp_timestamps`.
    pub timestamps: bool,
    /// `net.ipv4.tcp_sack`.
    pub sack: bool,
    /// `net.ipv4.tcp_window_scaling`.
    pub window_scaling: bool,
    /// `net.ipv4.ip_default_ttl` / `net.ipv6.conf.all.hop_limit`.
    pub ttl: u8,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            mtu: 1500,
            rcv_wscale: 10,
            timestamps: true,
            sack: true,
            window_scaling: true,
            ttl: 64,
        }
    }
}

/// A TCP connection a host opens ([`Network::tcp_connect`](super::Network::tcp_connect)):
/// it connects, waits `think`, sends `payload`, then (when `wait_reply`)
/// waits for the first data back and `think` again, and closes (FIN).
///
/// ```
/// use nfsim::net::TcpConnect;
/// let c = TcpConnect::new("198.51.100.2:80".parse().unwrap(), b"GET / HTTP/1.0\r\n\r\n");
/// assert!(c.wait_reply);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConnect {
    /// Where to.
    pub dst: SocketAddr,
    /// The source port (`None`: an ephemeral one, 32768-60999).
    pub src_port: Option<u16>,
    /// What to send once connected (shared, never copied per connection).
    pub payload: Arc<[u8]>,
    /// The application's pause before sending and before closing.
    pub think: Duration,
    /// Wait for an answer before closing.
    pub wait_reply: bool,
}

impl TcpConnect {
    /// Connect to `dst`, send `payload` at once, close after the answer.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let c = TcpConnect::new("192.0.2.2:80".parse().unwrap(), b"x");
    /// assert_eq!((c.src_port, &c.payload[..], c.think), (None, &b"x"[..], Duration::ZERO));
    /// ```
    pub fn new(dst: SocketAddr, payload: &[u8]) -> Self {
        TcpConnect {
            dst,
            src_port: None,
            payload: payload.into(),
            think: Duration::ZERO,
            wait_reply: true,
        }
    }
}

/// A TCP connection of a [`Stack`].
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let c: ConnId = net.tcp_connect(a, &TcpConnect::new("192.0.2.2:80".parse().unwrap(), b""), Instant::ZERO).unwrap();
/// assert_eq!(c, ConnId(0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// TCP states (RFC 793 names).
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// let c = net.tcp_connect(a, &TcpConnect::new("192.0.2.2:80".parse().unwrap(), b""), Instant::from_millis(5)).unwrap();
/// assert_eq!(net.tcp_info(a, c).unwrap().state, TcpState::Idle);
/// net.run_until(Instant::from_millis(5));
/// assert_eq!(net.tcp_info(a, c).unwrap().state, TcpState::SynSent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum TcpState {
    /// Waiting for its start time.
    Idle,
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    LastAck,
    TimeWait,
    /// Closed (normally, or by a reset).
    Closed,
}

/// What a connection did.
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// net.stack(b).unwrap().listen_tcp(80, Serve::Discard);
/// let c = net.tcp_connect(a, &TcpConnect { wait_reply: false, ..TcpConnect::new("192.0.2.2:80".parse().unwrap(), b"abc") }, Instant::ZERO).unwrap();
/// net.run_until(Instant::from_millis(20));
/// let i: TcpInfo = net.tcp_info(a, c).unwrap();
/// assert_eq!((i.bytes_out, i.bytes_in, i.remote.port()), (3, 0, 80));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpInfo {
    /// Its state now.
    pub state: TcpState,
    /// Local and remote address.
    pub local: SocketAddr,
    /// Remote address.
    pub remote: SocketAddr,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes sent.
    pub bytes_out: u64,
    /// Ended by a reset.
    pub reset: bool,
}

/// Counters of a [`Stack`].
///
/// ```
/// # use nfsim::net::*;
/// # use nfsim::time::{Duration, Instant};
/// # let (mut net, a, b, link) = nfsim::net::doc_pair();
/// # let mk = nfsim::net::doc_host;
/// net.stack(b).unwrap();
/// net.ping(a, "192.0.2.2".parse().unwrap(), 1, 1, b"", Instant::ZERO).unwrap();
/// net.run_until(Instant::from_millis(10));
/// let s: StackStats = net.stack_of(b).unwrap().stats();
/// assert_eq!(s.unclaimed, 1); // the echo request, answered by the stack
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StackStats {
    /// Connections that reached ESTABLISHED.
    pub tcp_established: u64,
    /// Connections closed by FIN handshake.
    pub tcp_closed: u64,
    /// Connections ended by a reset.
    pub tcp_reset: u64,
    /// Datagrams received on a port a [`Network::udp_send`](super::Network::udp_send) bound.
    pub udp_replies: u64,
    /// Echo replies received.
    pub echo_replies: u64,
    /// Packets no socket took (answered by the stack: RST, unreachable, echo reply).
    pub unclaimed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Connect,
    Send,
    Close,
    Reap,
}

#[derive(Debug, Clone)]
struct Conn {
    local: SocketAddr,
    remote: SocketAddr,
    state: TcpState,
    client: bool,
    serve: Serve,
    iss: u32,
    snd_nxt: u32,
    rcv_nxt: u32,
    ts: bool,
    ts_off: u32,
    ts_recent: u32,
    sack: bool,
    ws: bool,
    rcv_wnd: u32,
    wscale: u8,
    mss: u16,
    ip_id: u16,
    payload: Option<Arc<[u8]>>,
    think: Duration,
    wait_reply: bool,
    got_reply: bool,
    last_data_rcv: Option<Instant>,
    pingpong: bool,
    pending: Option<(Instant, Action)>,
    bytes_in: u64,
    bytes_out: u64,
    reset: bool,
}

type Key = (SocketAddr, SocketAddr);

/// Packets and timers a [`Stack`] asks the network for.
#[derive(Debug, Default)]
pub(crate) struct Tx {
    pub(crate) bytes: Vec<u8>,
    pub(crate) pkts: Vec<(usize, usize)>,
    pub(crate) timers: Vec<(Instant, u32)>,
}

impl Tx {
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.pkts.clear();
        self.timers.clear();
    }
    pub(crate) fn packet(&self, i: usize) -> &[u8] {
        let (s, e) = self.pkts[i];
        &self.bytes[s..e]
    }
}

/// What became of a delivered packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// A socket took it (its answers are in the [`Tx`]).
    Claimed,
    /// No socket: the host's stack answers as the kernel does.
    Unclaimed,
}

/// The sockets of one host. Get it with [`Network::stack`](super::Network::stack).
///
/// ```
/// use nfsim::net::{Network, Serve};
/// # use nfsim::host::{Host, HostConfig, InterfaceConfig};
/// # use nfsim::model::{Family, Ruleset};
/// # let cfg = HostConfig { interfaces: vec![InterfaceConfig::new("eth0", "192.0.2.1/24").unwrap()], ..HostConfig::default() };
/// # let host = Host::new(&cfg, &Ruleset::new(Family::Ipv4), &Ruleset::new(Family::Ipv6)).unwrap();
/// let mut net = Network::new(1);
/// let h = net.add_host(host);
/// let st = net.stack(h).unwrap();
/// st.listen_tcp(80, Serve::Echo).listen_udp(53, Serve::Echo);
/// assert_eq!(st.stats().tcp_established, 0);
/// ```
#[derive(Debug, Clone)]
pub struct Stack {
    cfg: StackConfig,
    tcp_listen: Vec<(u16, Serve)>,
    udp_listen: Vec<(u16, Serve)>,
    /// Ports bound by client datagrams, one bit each.
    udp_bound: Box<[u64; 1024]>,
    conns: Vec<Conn>,
    free: Vec<u32>,
    map: HashMap<Key, u32>,
    rng: u64,
    next_port: u16,
    stats: StackStats,
}

const TCP_ATO_MIN: Duration = Duration::from_millis(40);
const TIME_WAIT: Duration = Duration::from_secs(60);
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

impl Stack {
    pub(crate) fn new(seed: u64, cfg: StackConfig) -> Stack {
        let mut s = Stack {
            cfg,
            tcp_listen: Vec::new(),
            udp_listen: Vec::new(),
            udp_bound: Box::new([0; 1024]),
            conns: Vec::new(),
            free: Vec::new(),
            map: HashMap::new(),
            rng: seed,
            next_port: 0,
            stats: StackStats::default(),
        };
        s.next_port = 32768 + (s.next_u32() % (61000 - 32768)) as u16;
        s
    }

    /// The settings (change them before the first packet).
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap().config_mut().timestamps = false;
    /// ```
    pub fn config_mut(&mut self) -> &mut StackConfig {
        &mut self.cfg
    }

    /// A TCP socket listening on `port` of every address of the host.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap().listen_tcp(22, Serve::Discard).listen_tcp(80, Serve::Echo);
    /// ```
    pub fn listen_tcp(&mut self, port: u16, serve: Serve) -> &mut Self {
        self.tcp_listen.retain(|(p, _)| *p != port);
        self.tcp_listen.push((port, serve));
        self
    }

    /// A UDP socket bound to `port` of every address of the host.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.stack(b).unwrap().listen_udp(53, Serve::Echo);
    /// ```
    pub fn listen_udp(&mut self, port: u16, serve: Serve) -> &mut Self {
        self.udp_listen.retain(|(p, _)| *p != port);
        self.udp_listen.push((port, serve));
        self
    }

    /// The counters.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// assert_eq!(net.stack(a).unwrap().stats().tcp_established, 0);
    /// ```
    pub fn stats(&self) -> StackStats {
        self.stats
    }

    /// What connection `id` did.
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// let c = net.tcp_connect(a, &TcpConnect::new("192.0.2.2:80".parse().unwrap(), b""), Instant::ZERO).unwrap();
    /// assert!(net.stack_of(a).unwrap().tcp_info(c).is_some());
    /// ```
    pub fn tcp_info(&self, id: ConnId) -> Option<TcpInfo> {
        self.conns.get(id.0 as usize).map(|c| TcpInfo {
            state: c.state,
            local: c.local,
            remote: c.remote,
            bytes_in: c.bytes_in,
            bytes_out: c.bytes_out,
            reset: c.reset,
        })
    }

    /// Connections, with their ids (closed ones until their slot is reused).
    ///
    /// ```
    /// # use nfsim::net::*;
    /// # use nfsim::time::{Duration, Instant};
    /// # let (mut net, a, b, link) = nfsim::net::doc_pair();
    /// # let mk = nfsim::net::doc_host;
    /// net.tcp_connect(a, &TcpConnect::new("192.0.2.2:80".parse().unwrap(), b""), Instant::ZERO).unwrap();
    /// assert_eq!(net.stack_of(a).unwrap().connections().count(), 1);
    /// ```
    pub fn connections(&self) -> impl Iterator<Item = (ConnId, TcpInfo)> + '_ {
        (0..self.conns.len() as u32).filter_map(|i| Some((ConnId(i), self.tcp_info(ConnId(i))?)))
    }

    fn next_u32(&mut self) -> u32 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }

    fn advmss(&self, v6: bool) -> u16 {
        self.cfg.mtu.saturating_sub(if v6 { 60 } else { 40 })
    }

    fn alloc(&mut self, c: Conn) -> u32 {
        let key = (c.local, c.remote);
        let i = match self.free.pop() {
            Some(i) => {
                self.conns[i as usize] = c;
                i
            }
            None => {
                self.conns.push(c);
                (self.conns.len() - 1) as u32
            }
        };
        self.map.insert(key, i);
        i
    }

    fn new_conn(&mut self, local: SocketAddr, remote: SocketAddr, client: bool) -> Conn {
        let iss = self.next_u32();
        let ts_off = self.next_u32();
        let ip_id = self.next_u32() as u16;
        Conn {
            local,
            remote,
            state: TcpState::Idle,
            client,
            serve: Serve::Discard,
            iss,
            snd_nxt: iss,
            rcv_nxt: 0,
            ts: self.cfg.timestamps,
            ts_off,
            ts_recent: 0,
            sack: self.cfg.sack,
            ws: self.cfg.window_scaling,
            rcv_wnd: 0,
            wscale: self.cfg.rcv_wscale,
            mss: 0,
            ip_id,
            payload: None,
            think: Duration::ZERO,
            wait_reply: false,
            got_reply: false,
            last_data_rcv: None,
            pingpong: false,
            pending: None,
            bytes_in: 0,
            bytes_out: 0,
            reset: false,
        }
    }

    /// A client connection from `src` (the host's address toward the
    /// destination), started at `at` (a timer in `tx`).
    pub(crate) fn connect(
        &mut self,
        src: IpAddr,
        cfg: &TcpConnect,
        at: Instant,
        tx: &mut Tx,
    ) -> ConnId {
        let port = match cfg.src_port {
            Some(p) => p,
            None => self.ephemeral(src, cfg.dst),
        };
        let local = SocketAddr::new(src, port);
        let mut c = self.new_conn(local, cfg.dst, true);
        c.payload = Some(cfg.payload.clone());
        c.think = cfg.think;
        c.wait_reply = cfg.wait_reply;
        c.pending = Some((at, Action::Connect));
        let i = self.alloc(c);
        tx.timers.push((at, i));
        ConnId(i)
    }

    /// `inet_hash_connect`: the next free port of 32768-60999 from a random start.
    fn ephemeral(&mut self, src: IpAddr, dst: SocketAddr) -> u16 {
        for _ in 0..(61000 - 32768) {
            let p = self.next_port;
            self.next_port = if p >= 60999 { 32768 } else { p + 1 };
            if !self.map.contains_key(&(SocketAddr::new(src, p), dst)) {
                return p;
            }
        }
        self.next_port
    }

    /// Binds a UDP port for a client's datagrams (their answers are counted).
    pub(crate) fn bind_udp(&mut self, port: u16) {
        self.udp_bound[usize::from(port / 64)] |= 1 << (port % 64);
    }

    /// A timer of connection `i` fired.
    pub(crate) fn timer(&mut self, i: u32, now: Instant, tx: &mut Tx) {
        let Some(c) = self.conns.get(i as usize) else {
            return;
        };
        let Some((at, action)) = c.pending else {
            return;
        };
        if at != now {
            return;
        }
        self.conns[i as usize].pending = None;
        match action {
            Action::Connect => {
                let v6 = self.conns[i as usize].local.is_ipv6();
                let mss = self.advmss(v6);
                let c = &mut self.conns[i as usize];
                c.state = TcpState::SynSent;
                c.rcv_wnd = u32::from(u16::MAX) / u32::from(mss) * u32::from(mss);
                let mut opts = [0u8; 20];
                let n = syn_options(
                    &mut opts,
                    mss,
                    c.sack,
                    c.ts.then(|| (c.tsval(now), 0)),
                    c.ws.then_some(self.cfg.rcv_wscale),
                );
                let (seq, wnd) = (c.iss, c.rcv_wnd as u16);
                c.snd_nxt = c.iss.wrapping_add(1);
                let id = c.next_id();
                let c = &self.conns[i as usize];
                segment(tx, c, self.cfg.ttl, id, SYN, seq, 0, wnd, &opts[..n], &[]);
            }
            Action::Send => self.send_payload(i, now, tx),
            Action::Close => self.close(i, now, tx),
            Action::Reap => {
                let c = &mut self.conns[i as usize];
                c.state = TcpState::Closed;
                let key = (c.local, c.remote);
                self.release(key, i);
            }
        }
    }

    fn release(&mut self, key: Key, i: u32) {
        if self.map.get(&key) == Some(&i) {
            self.map.remove(&key);
            self.free.push(i);
        }
    }

    fn send_payload(&mut self, i: u32, now: Instant, tx: &mut Tx) {
        let c = &mut self.conns[i as usize];
        if let Some(payload) = c.payload.clone() {
            send_data(c, self.cfg.ttl, &payload, now, tx);
        }
        if !c.wait_reply {
            c.pending = Some((now + c.think, Action::Close));
            tx.timers.push((now + c.think, i));
        }
    }

    fn close(&mut self, i: u32, now: Instant, tx: &mut Tx) {
        let ttl = self.cfg.ttl;
        let c = &mut self.conns[i as usize];
        let next = match c.state {
            TcpState::Established => TcpState::FinWait1,
            TcpState::CloseWait => TcpState::LastAck,
            _ => return,
        };
        let (seq, ack, wnd) = (c.snd_nxt, c.rcv_nxt, c.window());
        c.snd_nxt = c.snd_nxt.wrapping_add(1);
        c.state = next;
        let mut o = [0u8; 12];
        let n = c.ts_option(&mut o, now);
        let id = c.next_id();
        segment(tx, c, ttl, id, FIN | ACK, seq, ack, wnd, &o[..n], &[]);
    }

    /// A packet the host delivered to its own stack.
    pub(crate) fn deliver(&mut self, pkt: &[u8], now: Instant, tx: &mut Tx) -> Taken {
        let Ok(meta) = PacketMeta::parse(pkt) else {
            return Taken::Claimed;
        };
        let Some((src, dst)) = addrs(pkt) else {
            return Taken::Claimed;
        };
        let l4 = pkt.get(meta.thoff..).unwrap_or(&[]);
        let taken = match meta.protocol {
            IpProtocol::TCP if l4.len() >= 20 => self.tcp_in(src, dst, l4, now, tx),
            IpProtocol::UDP if l4.len() >= 8 => {
                let sport = u16::from_be_bytes([l4[0], l4[1]]);
                let dport = u16::from_be_bytes([l4[2], l4[3]]);
                if let Some((_, serve)) = self.udp_listen.iter().find(|(p, _)| *p == dport) {
                    if *serve == Serve::Echo {
                        let id = self.next_u32() as u16;
                        let data = l4.get(8..).unwrap_or(&[]);
                        udp(
                            tx,
                            self.cfg.ttl,
                            id,
                            SocketAddr::new(dst, dport),
                            SocketAddr::new(src, sport),
                            data,
                        );
                    }
                    Taken::Claimed
                } else if self.udp_bound[usize::from(dport / 64)] & (1 << (dport % 64)) != 0 {
                    self.stats.udp_replies += 1;
                    Taken::Claimed
                } else {
                    Taken::Unclaimed
                }
            }
            IpProtocol::ICMP if l4.first() == Some(&0) => {
                self.stats.echo_replies += 1;
                Taken::Claimed
            }
            IpProtocol::ICMPV6 if l4.first() == Some(&129) => {
                self.stats.echo_replies += 1;
                Taken::Claimed
            }
            _ => Taken::Unclaimed,
        };
        if taken == Taken::Unclaimed {
            self.stats.unclaimed += 1;
        }
        taken
    }

    fn tcp_in(&mut self, src: IpAddr, dst: IpAddr, l4: &[u8], now: Instant, tx: &mut Tx) -> Taken {
        let sport = u16::from_be_bytes([l4[0], l4[1]]);
        let dport = u16::from_be_bytes([l4[2], l4[3]]);
        let seq = u32::from_be_bytes([l4[4], l4[5], l4[6], l4[7]]);
        let ack = u32::from_be_bytes([l4[8], l4[9], l4[10], l4[11]]);
        let doff = usize::from(l4[12] >> 4) * 4;
        let flags = l4[13];
        let (Some(opts), Some(data)) = (l4.get(20..doff), l4.get(doff..)) else {
            return Taken::Claimed;
        };
        let o = parse_options(opts);
        let local = SocketAddr::new(dst, dport);
        let remote = SocketAddr::new(src, sport);
        let ttl = self.cfg.ttl;
        let Some(&i) = self.map.get(&(local, remote)) else {
            let listening = self
                .tcp_listen
                .iter()
                .find(|(p, _)| *p == dport)
                .map(|x| x.1);
            return match listening {
                // tcp_v4_rcv: a reset to a closed port or a listener is dropped.
                _ if flags & RST != 0 => Taken::Claimed,
                // tcp_rcv_state_process, TCP_LISTEN: a SYN opens a request.
                Some(serve) if flags & (SYN | ACK) == SYN => {
                    self.syn_recv(local, remote, serve, seq, &o, now, tx);
                    Taken::Claimed
                }
                // An ACK to a listener: reset; anything else: dropped.
                Some(_) if flags & ACK == 0 => Taken::Claimed,
                _ => Taken::Unclaimed,
            };
        };
        let c = &mut self.conns[i as usize];
        if flags & RST != 0 {
            c.state = TcpState::Closed;
            c.reset = true;
            c.pending = None;
            self.stats.tcp_reset += 1;
            self.release((local, remote), i);
            return Taken::Claimed;
        }
        if o.ts.is_some() && c.ts {
            c.ts_recent = o.ts.map_or(0, |t| t.0);
        }
        match c.state {
            TcpState::SynSent => {
                if flags & (SYN | ACK) == SYN | ACK && ack == c.snd_nxt {
                    c.rcv_nxt = seq.wrapping_add(1);
                    c.negotiate(&o, self.cfg.mtu);
                    c.state = TcpState::Established;
                    self.stats.tcp_established += 1;
                    c.send_ack(ttl, now, tx);
                    c.pending = Some((now + c.think, Action::Send));
                    tx.timers.push((now + c.think, i));
                }
                return Taken::Claimed;
            }
            TcpState::SynRecv => {
                if flags & (SYN | ACK) == SYN {
                    // A repeated SYN: the SYN-ACK again (inet_rtx_syn_ack).
                    self.syn_ack(i, now, tx);
                    return Taken::Claimed;
                }
                if flags & ACK == 0 || ack != c.iss.wrapping_add(1) {
                    return Taken::Claimed;
                }
                c.state = TcpState::Established;
                // tcp_v4_syn_recv_sock: the child's inet_id.
                let id = self.next_u32() as u16;
                self.conns[i as usize].ip_id = id;
                self.stats.tcp_established += 1;
            }
            TcpState::Idle | TcpState::Closed => return Taken::Claimed,
            _ => {}
        }
        let c = &mut self.conns[i as usize];
        if flags & ACK != 0 && ack == c.snd_nxt {
            match c.state {
                TcpState::FinWait1 => c.state = TcpState::FinWait2,
                TcpState::LastAck => {
                    c.state = TcpState::Closed;
                    self.stats.tcp_closed += 1;
                    self.release((local, remote), i);
                    return Taken::Claimed;
                }
                _ => {}
            }
        }
        if c.state == TcpState::TimeWait {
            return Taken::Claimed;
        }
        let fin = flags & FIN != 0;
        if (!data.is_empty() || fin) && seq != c.rcv_nxt {
            // Out of order or old: a duplicate ACK (tcp_send_dupack).
            c.send_ack(ttl, now, tx);
            return Taken::Claimed;
        }
        if !data.is_empty() {
            c.rcv_nxt = c.rcv_nxt.wrapping_add(data.len() as u32);
            c.bytes_in += data.len() as u64;
            c.last_data_rcv = Some(now);
        }
        if fin {
            c.rcv_nxt = c.rcv_nxt.wrapping_add(1);
        }
        if c.client {
            match (fin, c.state) {
                (true, TcpState::FinWait1 | TcpState::FinWait2) => {
                    c.state = TcpState::TimeWait;
                    self.stats.tcp_closed += 1;
                    c.send_ack(ttl, now, tx);
                    c.pending = Some((now + TIME_WAIT, Action::Reap));
                    tx.timers.push((now + TIME_WAIT, i));
                }
                (true, _) => {
                    // The server closed first: the application closes too.
                    c.state = TcpState::CloseWait;
                    self.close(i, now, tx);
                }
                (false, _) if !data.is_empty() => {
                    if !c.pingpong {
                        c.send_ack(ttl, now, tx);
                    }
                    if c.wait_reply && !c.got_reply && c.state == TcpState::Established {
                        c.got_reply = true;
                        c.pending = Some((now + c.think, Action::Close));
                        tx.timers.push((now + c.think, i));
                    }
                }
                _ => {}
            }
            return Taken::Claimed;
        }
        // The server's application: echo what came, close on EOF.
        if !data.is_empty() && !fin && !c.pingpong {
            c.send_ack(ttl, now, tx);
        }
        if !data.is_empty() && c.serve == Serve::Echo {
            send_data(c, ttl, data, now, tx);
        }
        if fin && c.state == TcpState::Established {
            c.state = TcpState::CloseWait;
            self.close(i, now, tx);
        }
        Taken::Claimed
    }

    #[allow(clippy::too_many_arguments)]
    fn syn_recv(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        serve: Serve,
        seq: u32,
        o: &Opts,
        now: Instant,
        tx: &mut Tx,
    ) {
        let mut c = self.new_conn(local, remote, false);
        c.serve = serve;
        c.state = TcpState::SynRecv;
        c.rcv_nxt = seq.wrapping_add(1);
        c.ts_recent = o.ts.map_or(0, |t| t.0);
        c.negotiate(o, self.cfg.mtu);
        let adv = self.advmss(local.is_ipv6());
        let m = u32::from(adv) - if c.ts { 12 } else { 0 };
        c.rcv_wnd = u32::from(u16::MAX) / m * m;
        c.snd_nxt = c.iss.wrapping_add(1);
        let i = self.alloc(c);
        self.syn_ack(i, now, tx);
    }

    fn syn_ack(&mut self, i: u32, now: Instant, tx: &mut Tx) {
        let ws = self.cfg.rcv_wscale;
        let c = &self.conns[i as usize];
        let adv = self.advmss(c.local.is_ipv6());
        let mut opts = [0u8; 20];
        let n = syn_options(
            &mut opts,
            adv,
            c.sack,
            c.ts.then(|| (c.tsval(now), c.ts_recent)),
            c.ws.then_some(ws),
        );
        // ip_build_and_send_pkt: DF, id 0.
        segment(
            tx,
            c,
            self.cfg.ttl,
            0,
            SYN | ACK,
            c.iss,
            c.rcv_nxt,
            c.rcv_wnd as u16,
            &opts[..n],
            &[],
        );
    }
}

impl Conn {
    fn tsval(&self, now: Instant) -> u32 {
        self.ts_off
            .wrapping_add((now.as_nanos() / 1_000_000) as u32)
    }

    fn ts_option(&self, o: &mut [u8; 12], now: Instant) -> usize {
        if !self.ts {
            return 0;
        }
        o[..4].copy_from_slice(&[1, 1, 8, 10]);
        o[4..8].copy_from_slice(&self.tsval(now).to_be_bytes());
        o[8..12].copy_from_slice(&self.ts_recent.to_be_bytes());
        12
    }

    /// The window field after the handshake (`tcp_select_window`: the
    /// initial window, scaled, rounded up).
    fn window(&self) -> u16 {
        if self.ws {
            (self.rcv_wnd.div_ceil(1 << self.wscale)).min(u32::from(u16::MAX)) as u16
        } else {
            self.rcv_wnd.min(u32::from(u16::MAX)) as u16
        }
    }

    fn next_id(&mut self) -> u16 {
        let id = self.ip_id;
        self.ip_id = self.ip_id.wrapping_add(1);
        id
    }

    /// What the peer's SYN or SYN-ACK offered, against our own settings.
    fn negotiate(&mut self, o: &Opts, mtu: u16) {
        self.ts &= o.ts.is_some();
        self.sack &= o.sack;
        self.ws &= o.ws.is_some();
        let adv = mtu.saturating_sub(if self.local.is_ipv6() { 60 } else { 40 });
        let peer = o
            .mss
            .unwrap_or(if self.local.is_ipv6() { 1220 } else { 536 });
        // tcp_sync_mss: never below net.ipv4.tcp_min_snd_mss (48).
        self.mss = peer
            .min(adv)
            .saturating_sub(if self.ts { 12 } else { 0 })
            .max(48);
    }

    fn send_ack(&mut self, ttl: u8, now: Instant, tx: &mut Tx) {
        let mut o = [0u8; 12];
        let n = self.ts_option(&mut o, now);
        let id = self.next_id();
        let (seq, ack, wnd) = (self.snd_nxt, self.rcv_nxt, self.window());
        segment(tx, self, ttl, id, ACK, seq, ack, wnd, &o[..n], &[]);
    }
}

/// Sends `data` in segments of at most the connection's MSS, PSH on the
/// last (`tcp_mark_push`); marks ping-pong mode (`tcp_event_data_sent`).
fn send_data(c: &mut Conn, ttl: u8, data: &[u8], now: Instant, tx: &mut Tx) {
    if data.is_empty() {
        return;
    }
    if c.last_data_rcv
        .is_some_and(|t| now.saturating_since(t) < TCP_ATO_MIN)
    {
        c.pingpong = true;
    }
    let mss = usize::from(c.mss.max(1));
    let n = data.len().div_ceil(mss);
    for (k, chunk) in data.chunks(mss).enumerate() {
        let mut o = [0u8; 12];
        let on = c.ts_option(&mut o, now);
        let id = c.next_id();
        let flags = if k + 1 == n { PSH | ACK } else { ACK };
        let (seq, ack, wnd) = (c.snd_nxt, c.rcv_nxt, c.window());
        segment(tx, c, ttl, id, flags, seq, ack, wnd, &o[..on], chunk);
        c.snd_nxt = c.snd_nxt.wrapping_add(chunk.len() as u32);
        c.bytes_out += chunk.len() as u64;
    }
}

#[derive(Debug, Default)]
struct Opts {
    mss: Option<u16>,
    ws: Option<u8>,
    sack: bool,
    ts: Option<(u32, u32)>,
}

/// `tcp_parse_options`.
fn parse_options(mut o: &[u8]) -> Opts {
    let mut r = Opts::default();
    while let Some(&kind) = o.first() {
        match kind {
            0 => break,
            1 => {
                o = &o[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = o.get(1) else { break };
        let len = usize::from(len);
        if len < 2 || len > o.len() {
            break;
        }
        let v = &o[2..len];
        match (kind, len) {
            (2, 4) => r.mss = Some(u16::from_be_bytes([v[0], v[1]])),
            (3, 3) => r.ws = Some(v[0].min(14)),
            (4, 2) => r.sack = true,
            (8, 10) => {
                r.ts = Some((
                    u32::from_be_bytes([v[0], v[1], v[2], v[3]]),
                    u32::from_be_bytes([v[4], v[5], v[6], v[7]]),
                ))
            }
            _ => {}
        }
        o = &o[len..];
    }
    r
}

/// SYN / SYN-ACK options in `tcp_options_write` order.
fn syn_options(
    o: &mut [u8; 20],
    mss: u16,
    sack: bool,
    ts: Option<(u32, u32)>,
    ws: Option<u8>,
) -> usize {
    o[..2].copy_from_slice(&[2, 4]);
    o[2..4].copy_from_slice(&mss.to_be_bytes());
    let mut n = 4;
    if let Some((val, ecr)) = ts {
        o[n..n + 4].copy_from_slice(if sack { &[4, 2, 8, 10] } else { &[1, 1, 8, 10] });
        o[n + 4..n + 8].copy_from_slice(&val.to_be_bytes());
        o[n + 8..n + 12].copy_from_slice(&ecr.to_be_bytes());
        n += 12;
    } else if sack {
        o[n..n + 4].copy_from_slice(&[1, 1, 4, 2]);
        n += 4;
    }
    if let Some(ws) = ws {
        o[n..n + 4].copy_from_slice(&[1, 3, 3, ws]);
        n += 4;
    }
    n
}

fn addrs(pkt: &[u8]) -> Option<(IpAddr, IpAddr)> {
    match pkt.first()? >> 4 {
        4 => {
            let s: [u8; 4] = pkt.get(12..16)?.try_into().ok()?;
            let d: [u8; 4] = pkt.get(16..20)?.try_into().ok()?;
            Some((Ipv4Addr::from(s).into(), Ipv4Addr::from(d).into()))
        }
        6 => {
            let s: [u8; 16] = pkt.get(8..24)?.try_into().ok()?;
            let d: [u8; 16] = pkt.get(24..40)?.try_into().ok()?;
            Some((Ipv6Addr::from(s).into(), Ipv6Addr::from(d).into()))
        }
        _ => None,
    }
}

/// Writes an IP header for `l4_len` bytes of `proto` from `src` to `dst`
/// at the end of `tx.bytes`; returns where the transport header starts.
#[allow(clippy::too_many_arguments)]
fn ip_header(
    tx: &mut Tx,
    ttl: u8,
    id: u16,
    df: bool,
    proto: IpProtocol,
    src: IpAddr,
    dst: IpAddr,
    l4_len: usize,
) -> usize {
    let b = &mut tx.bytes;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let start = b.len();
            let total = (20 + l4_len) as u16;
            b.extend_from_slice(&[0x45, 0]);
            b.extend_from_slice(&total.to_be_bytes());
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&[if df { 0x40 } else { 0 }, 0, ttl, proto.0, 0, 0]);
            b.extend_from_slice(&s.octets());
            b.extend_from_slice(&d.octets());
            let c = checksum::ipv4_header(&b[start..start + 20]);
            b[start + 10..start + 12].copy_from_slice(&c.to_be_bytes());
        }
        (s, d) => {
            let to6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a,
                IpAddr::V4(a) => a.to_ipv6_mapped(),
            };
            b.extend_from_slice(&[0x60, 0, 0, 0]);
            b.extend_from_slice(&(l4_len as u16).to_be_bytes());
            b.extend_from_slice(&[proto.0, ttl]);
            b.extend_from_slice(&to6(s).octets());
            b.extend_from_slice(&to6(d).octets());
        }
    }
    b.len()
}

fn transport_csum(
    tx: &mut Tx,
    l4: usize,
    csum_at: usize,
    proto: IpProtocol,
    src: IpAddr,
    dst: IpAddr,
) {
    let c = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => checksum::transport_v4(s, d, proto, &tx.bytes[l4..]),
        (IpAddr::V6(s), IpAddr::V6(d)) => checksum::transport_v6(&s, &d, proto, &tx.bytes[l4..]),
        _ => 0,
    };
    let c = if proto == IpProtocol::UDP && c == 0 {
        0xffff
    } else {
        c
    };
    tx.bytes[l4 + csum_at..l4 + csum_at + 2].copy_from_slice(&c.to_be_bytes());
}

#[allow(clippy::too_many_arguments)]
fn segment(
    tx: &mut Tx,
    c: &Conn,
    ttl: u8,
    id: u16,
    flags: u8,
    seq: u32,
    ack: u32,
    wnd: u16,
    opts: &[u8],
    data: &[u8],
) {
    let start = tx.bytes.len();
    let (src, dst) = (c.local.ip(), c.remote.ip());
    let hl = 20 + opts.len();
    let l4 = ip_header(
        tx,
        ttl,
        id,
        true,
        IpProtocol::TCP,
        src,
        dst,
        hl + data.len(),
    );
    let b = &mut tx.bytes;
    b.extend_from_slice(&c.local.port().to_be_bytes());
    b.extend_from_slice(&c.remote.port().to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&(if flags & ACK != 0 { ack } else { 0 }).to_be_bytes());
    b.extend_from_slice(&[((hl / 4) as u8) << 4, flags]);
    b.extend_from_slice(&wnd.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(opts);
    b.extend_from_slice(data);
    transport_csum(tx, l4, 16, IpProtocol::TCP, src, dst);
    tx.pkts.push((start, tx.bytes.len()));
}

/// A UDP datagram from an unconnected socket (`udp_sendmsg`): DF, a
/// hashed IP id (`__ip_select_ident`, here from the generator).
pub(crate) fn udp(tx: &mut Tx, ttl: u8, id: u16, from: SocketAddr, to: SocketAddr, data: &[u8]) {
    let start = tx.bytes.len();
    let l4 = ip_header(
        tx,
        ttl,
        id,
        true,
        IpProtocol::UDP,
        from.ip(),
        to.ip(),
        8 + data.len(),
    );
    let b = &mut tx.bytes;
    b.extend_from_slice(&from.port().to_be_bytes());
    b.extend_from_slice(&to.port().to_be_bytes());
    b.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(data);
    transport_csum(tx, l4, 6, IpProtocol::UDP, from.ip(), to.ip());
    tx.pkts.push((start, tx.bytes.len()));
}

/// An echo request from a ping socket: DF, a hashed IP id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn echo_request(
    tx: &mut Tx,
    ttl: u8,
    id: u16,
    from: IpAddr,
    to: IpAddr,
    ident: u16,
    seq: u16,
    data: &[u8],
) {
    let start = tx.bytes.len();
    let (proto, ty) = if from.is_ipv6() {
        (IpProtocol::ICMPV6, 128)
    } else {
        (IpProtocol::ICMP, 8)
    };
    let l4 = ip_header(tx, ttl, id, true, proto, from, to, 8 + data.len());
    let b = &mut tx.bytes;
    b.extend_from_slice(&[ty, 0, 0, 0]);
    b.extend_from_slice(&ident.to_be_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(data);
    if from.is_ipv6() {
        transport_csum(tx, l4, 2, proto, from, to);
    } else {
        let c = checksum::icmpv4(&tx.bytes[l4..]);
        tx.bytes[l4 + 2..l4 + 4].copy_from_slice(&c.to_be_bytes());
    }
    tx.pkts.push((start, tx.bytes.len()));
}

impl Stack {
    pub(crate) fn ip_id(&mut self) -> u16 {
        self.next_u32() as u16
    }
    pub(crate) fn ttl(&self) -> u8 {
        self.cfg.ttl
    }
}
