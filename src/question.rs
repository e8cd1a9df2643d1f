//! One packet described in one line, as `nfsim trace` takes it: the
//! grammar, its parser ([`Question::parse`]), the packet it stands for
//! ([`Question::build`]) and the way back from bytes ([`Question::describe`]).
//!
//! ```text
//! in DEV  PROTO SRC[:PORT] > DST[:PORT] [OPTION...]    (arrives on device DEV)
//! out     PROTO SRC[:PORT] > DST[:PORT] [OPTION...]    (sent by the host itself)
//!
//! PROTO:   tcp | udp | icmp [TYPE [code N]] | icmp6 [TYPE [code N]] | NUMBER
//!          TYPE by iptables' names (echo-request, port-unreachable, ...;
//!          unambiguous prefixes as iptables takes them) or a number
//! SRC/DST: 192.0.2.1, 192.0.2.1:22, 2001:db8::1, [2001:db8::1]:22
//! OPTION:  flags FSRPAUEC | syn | ack | rst | fin | psh    TCP flags (added up)
//!          seq N | ack N | win N                          TCP sequence, acknowledgment
//!                                                         (sets ACK), window (64240)
//!          mss N | wscale N | sackok | ts VAL ECR | nop | eol
//!                                                         TCP options, in header order
//!          icmp-id N | icmp-seq N                         echo identifier / sequence
//!          ttl N | tos N | id N | df | flow N            IP header (TTL/hop limit 64,
//!                                                         IPv4 id 1; flow: IPv6 only)
//!          hbh | dstopts | rh TYPE SEGLEFT                IPv6 extension headers (no
//!                                                         options), in order
//!          len N                                          whole packet length (zeros added)
//!          frag OFFSET LEN                                only this fragment: bytes
//!                                                         [OFFSET, OFFSET+LEN) after the IP
//!                                                         header (IPv6: a fragment header;
//!                                                         `id N` its identification)
//!          payload HEX                                    bytes after the transport header
//!          mark N                                         the packet mark
//! ```
//!
//! Words are separated by blanks; `>` may touch its neighbours
//! (`1.2.3.4:5>6.7.8.9:1`). TCP and UDP need both ports.
//!
//! ```
//! use nfsim::question::{Direction, Question};
//! let q = Question::parse("in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn").unwrap();
//! assert_eq!(q.direction, Direction::In("eth0".into()));
//! let bytes = q.build().unwrap();
//! assert_eq!(bytes.len(), 40);
//! assert_eq!(bytes[33], 0x02); // SYN
//! // and back: the same packet, described in the grammar
//! let again = Question::describe(&bytes, q.direction.clone()).unwrap();
//! assert_eq!(again.to_string(), "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn");
//!
//! let e = Question::parse("in eth0 tpc 203.0.113.5:1 > 192.0.2.1:2").unwrap_err();
//! assert_eq!(e.to_string(),
//!     "word 3 `tpc`: expected a protocol (tcp, udp, icmp, icmp6 or a number); did you mean tcp?");
//! ```

use core::fmt;
use std::net::IpAddr;

use crate::model::matches::icmp::{parse_icmp_type, ICMPV6_NAMES, ICMP_NAMES};
use crate::wire::build::{BuildError, Ipv6Ext, PacketBuilder, Transport, TransportBuilder};
use crate::wire::tcp::TcpFlags;
use crate::wire::IpProtocol;

/// Where the packet comes from.
///
/// ```
/// use nfsim::question::Direction;
/// assert_eq!(Direction::In("eth0".into()).to_string(), "in eth0");
/// assert_eq!(Direction::Out.to_string(), "out");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direction {
    /// Arrives on this device.
    In(String),
    /// Sent by the host itself.
    Out,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Direction::In(d) => write!(f, "in {d}"),
            Direction::Out => f.write_str("out"),
        }
    }
}

/// The transport protocol and its header fields.
///
/// ```
/// use nfsim::question::{Proto, Question};
/// let q = Question::parse("out icmp 192.0.2.1 > 192.0.2.2 port-unreachable").unwrap();
/// assert_eq!(q.proto, Proto::Icmp { icmp_type: 3, code: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (IPv4) or ICMPv6 (IPv6).
    Icmp {
        /// Type.
        icmp_type: u8,
        /// Code.
        code: u8,
    },
    /// Another protocol: no transport header, the payload follows the IP
    /// header.
    Other(u8),
}

/// A TCP option (words `mss N`, `wscale N`, `sackok`, `ts VAL ECR`, `nop`,
/// `eol`, written in the order they are in the header).
///
/// ```
/// use nfsim::question::{Question, TcpOption};
/// let q = Question::parse("in eth0 tcp 192.0.2.2:1 > 192.0.2.1:22 syn mss 1460 sackok ts 7 0 nop wscale 7").unwrap();
/// assert_eq!(q.tcp_options[0], TcpOption::Mss(1460));
/// assert_eq!(q.build().unwrap().len(), 60);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption {
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift.
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// Timestamps: value and echo reply.
    Timestamps(u32, u32),
    /// No operation.
    Nop,
    /// End of the option list.
    Eol,
}

/// An IPv6 extension header without options (words `hbh`, `dstopts`,
/// `rh TYPE SEGLEFT`, in header order).
///
/// ```
/// use nfsim::question::{Question, V6Ext};
/// let q = Question::parse("in eth0 udp [2001:db8::2]:1 > [2001:db8::1]:53 hbh rh 0 1").unwrap();
/// assert_eq!(q.v6_exts, [V6Ext::HopByHop, V6Ext::Routing { routing_type: 0, segments_left: 1 }]);
/// assert_eq!(q.build().unwrap()[6], 0); // next header: hop-by-hop
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V6Ext {
    /// Hop-by-hop options (padding only).
    HopByHop,
    /// Destination options (padding only).
    DestOpts,
    /// A routing header with no addresses.
    Routing {
        /// Routing type.
        routing_type: u8,
        /// Segments left.
        segments_left: u8,
    },
}

/// A packet described in one line (see the [module](self) for the grammar).
///
/// ```
/// use nfsim::question::Question;
/// let q = Question::parse("out udp [2001:db8::1]:53 > [2001:db8::2]:5353 hlim 1").unwrap_err();
/// assert!(q.to_string().starts_with("word 6 `hlim`: expected an option"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// In on a device, or out from the host.
    pub direction: Direction,
    /// Protocol.
    pub proto: Proto,
    /// Source address.
    pub src: IpAddr,
    /// Destination address (same family as `src`).
    pub dst: IpAddr,
    /// Source port (TCP, UDP).
    pub sport: u16,
    /// Destination port (TCP, UDP).
    pub dport: u16,
    /// TCP flags.
    pub flags: TcpFlags,
    /// TCP sequence number.
    pub seq: u32,
    /// TCP acknowledgment number.
    pub ack: u32,
    /// TCP window.
    pub window: u16,
    /// TCP options, in order.
    pub tcp_options: Vec<TcpOption>,
    /// ICMP echo identifier and sequence number.
    pub icmp_echo: (u16, u16),
    /// TTL / hop limit.
    pub ttl: u8,
    /// TOS / traffic class.
    pub tos: u8,
    /// IPv4 identification.
    pub ident: u16,
    /// IPv4 don't-fragment.
    pub df: bool,
    /// IPv6 flow label.
    pub flow: u32,
    /// IPv6 extension headers, in order.
    pub v6_exts: Vec<V6Ext>,
    /// The whole packet's length, when padded with zeros.
    pub len: Option<usize>,
    /// Only this fragment of the datagram: (offset, length) in bytes of
    /// what follows the IP header (see
    /// [`TransportBuilder::fragment`]).
    pub fragment: Option<(usize, usize)>,
    /// Bytes after the transport header.
    pub payload: Vec<u8>,
    /// The packet mark (`skb->mark`), when given.
    pub mark: Option<u32>,
}

/// A word of a description that is not what the grammar expects there.
///
/// ```
/// use nfsim::question::Question;
/// let e = Question::parse("in eth0 udp 192.0.2.5 > 192.0.2.1:53").unwrap_err();
/// assert_eq!((e.word, e.text.as_str()), (4, "192.0.2.5"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuestionError {
    /// 1-based number of the word (0: the description as a whole).
    pub word: usize,
    /// The word.
    pub text: String,
    /// What was expected.
    pub message: String,
}

impl fmt::Display for QuestionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.word == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "word {} `{}`: {}", self.word, self.text, self.message)
        }
    }
}

impl std::error::Error for QuestionError {}

/// Edit distance (Levenshtein), for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The nearest of `words` to `w`, when near (at most 2 edits, and fewer
/// than the word's length).
fn near<'w>(w: &str, words: &[&'w str]) -> Option<&'w str> {
    let w = w.to_ascii_lowercase();
    words
        .iter()
        .map(|c| (distance(&w, c), *c))
        .filter(|(d, _)| *d <= 2 && *d < w.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn did_you_mean(w: &str, words: &[&str]) -> String {
    match near(w, words) {
        Some(c) => format!("; did you mean {c}?"),
        None => String::new(),
    }
}

const PROTOS: &[&str] = &["tcp", "udp", "icmp", "icmp6", "icmpv6"];
const OPTIONS: &[&str] = &[
    "flags", "syn", "ack", "rst", "fin", "psh", "seq", "win", "mss", "wscale", "sackok", "ts",
    "nop", "eol", "icmp-id", "icmp-seq", "ttl", "tos", "id", "df", "flow", "len", "payload",
    "mark", "code",
];

/// Splits into words, with `>` a word of its own.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in s.split_whitespace() {
        let mut cur = String::new();
        for c in w.chars() {
            if c == '>' {
                if !cur.is_empty() {
                    out.push(core::mem::take(&mut cur));
                }
                out.push(">".to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// A number in decimal or `0x` hexadecimal.
fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() % 2 != 0 || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// `ADDR`, `V4:PORT`, `[V6]` or `[V6]:PORT`.
fn endpoint(s: &str) -> Result<(IpAddr, Option<u16>), String> {
    let bad_port = |p: &str| format!("`{p}` is not a port (0 to 65535)");
    if let Some(rest) = s.strip_prefix('[') {
        let (a, tail) = rest
            .split_once(']')
            .ok_or("an IPv6 address in brackets needs its `]`")?;
        let addr: std::net::Ipv6Addr = a
            .parse()
            .map_err(|_| format!("`{a}` is not an IPv6 address"))?;
        let port = match tail {
            "" => None,
            t => {
                let p = t.strip_prefix(':').ok_or("expected `:PORT` after `]`")?;
                Some(p.parse().map_err(|_| bad_port(p))?)
            }
        };
        return Ok((IpAddr::V6(addr), port));
    }
    if let Ok(a) = s.parse::<IpAddr>() {
        return Ok((a, None));
    }
    if let Some((a, p)) = s.rsplit_once(':') {
        if let Ok(a) = a.parse::<std::net::Ipv4Addr>() {
            return Ok((IpAddr::V4(a), Some(p.parse().map_err(|_| bad_port(p))?)));
        }
        if a.contains(':') {
            return Err(
                "an address (an IPv6 address with a port is written [2001:db8::1]:22)".into(),
            );
        }
    }
    Err("expected an address (192.0.2.1, 192.0.2.1:22, 2001:db8::1, [2001:db8::1]:22)".into())
}

fn icmp_name(v4: bool, t: u8, code: u8) -> (String, Option<u8>) {
    let table = if v4 { ICMP_NAMES } else { ICMPV6_NAMES };
    if let Some(e) = table
        .iter()
        .find(|e| e.1 == t && e.2 == code && e.3 == code)
    {
        return (e.0.to_string(), None);
    }
    if let Some(e) = table.iter().find(|e| e.1 == t && e.2 == 0 && e.3 == 0xff) {
        return (e.0.to_string(), (code != 0).then_some(code));
    }
    (t.to_string(), (code != 0).then_some(code))
}

impl Question {
    /// A question with the grammar's defaults for everything not given
    /// (ports 0, no flags, window 64240, TTL 64, ID 1, no options).
    fn with_defaults(direction: Direction, proto: Proto, src: IpAddr, dst: IpAddr) -> Question {
        Question {
            direction,
            proto,
            src,
            dst,
            sport: 0,
            dport: 0,
            flags: TcpFlags::empty(),
            seq: 0,
            ack: 0,
            window: 64240,
            tcp_options: Vec::new(),
            icmp_echo: (0, 0),
            ttl: 64,
            tos: 0,
            ident: 1,
            df: false,
            flow: 0,
            v6_exts: Vec::new(),
            len: None,
            fragment: None,
            payload: Vec::new(),
            mark: None,
        }
    }

    /// Parses one description. Errors name the word and what was expected
    /// there.
    ///
    /// # Errors
    ///
    /// A [`QuestionError`] for a description outside the grammar.
    ///
    /// ```
    /// use nfsim::question::{Proto, Question};
    /// let q = Question::parse("in eth1 icmp 198.51.100.2 > 192.0.2.1 echo-request ttl 3").unwrap();
    /// assert_eq!((q.proto, q.ttl), (Proto::Icmp { icmp_type: 8, code: 0 }, 3));
    /// let q = Question::parse("in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:443 flags SA").unwrap();
    /// assert!(q.src.is_ipv6() && q.flags.bits() == 0x12);
    /// ```
    pub fn parse(s: &str) -> Result<Question, QuestionError> {
        let w = words(s);
        let mut i;
        let err = |i: usize, msg: String| -> QuestionError {
            match w.get(i) {
                Some(t) => QuestionError {
                    word: i + 1,
                    text: t.clone(),
                    message: msg,
                },
                None => QuestionError {
                    word: 0,
                    text: String::new(),
                    message: format!("the description ends early: {msg}"),
                },
            }
        };
        let direction = match w.first().map(String::as_str) {
            Some("in") => {
                let Some(d) = w.get(1) else {
                    return Err(err(1, "expected the device the packet arrives on".into()));
                };
                if d.len() > 15 || d.contains('/') || d == ">" {
                    return Err(err(
                        1,
                        "expected a device name (at most 15 characters)".into(),
                    ));
                }
                i = 2;
                Direction::In(d.clone())
            }
            Some("out") => {
                i = 1;
                Direction::Out
            }
            Some(other) => {
                return Err(err(
                    0,
                    format!(
                        "expected `in DEV` or `out`{}",
                        did_you_mean(other, &["in", "out"])
                    ),
                ))
            }
            None => return Err(err(0, "expected `in DEV` or `out`".into())),
        };
        // Protocol (ICMP type later, once the family is known).
        let proto_at = i;
        let pword = w.get(i).map(|s| s.to_ascii_lowercase());
        let mut icmp_type_word: Option<usize> = None;
        let mut proto = match pword.as_deref() {
            Some("tcp") => Proto::Tcp,
            Some("udp") => Proto::Udp,
            Some("icmp" | "icmp6" | "icmpv6" | "ipv6-icmp") => Proto::Icmp {
                icmp_type: 0,
                code: 0,
            },
            Some(p) => match number(p) {
                Some(6) => Proto::Tcp,
                Some(17) => Proto::Udp,
                Some(1 | 58) => Proto::Icmp {
                    icmp_type: 0,
                    code: 0,
                },
                Some(n) if n <= 255 => Proto::Other(n as u8),
                _ => {
                    return Err(err(
                        i,
                        format!(
                            "expected a protocol (tcp, udp, icmp, icmp6 or a number){}",
                            did_you_mean(p, PROTOS)
                        ),
                    ))
                }
            },
            None => return Err(err(i, "expected a protocol".into())),
        };
        i += 1;
        // An ICMP type may come right after the protocol...
        if matches!(proto, Proto::Icmp { .. })
            && w.get(i).is_some_and(|t| t != ">" && endpoint(t).is_err())
        {
            icmp_type_word = Some(i);
            i += 1;
        }
        let (src, sport) = match w.get(i) {
            Some(t) => endpoint(t).map_err(|m| err(i, m))?,
            None => return Err(err(i, "expected the source address".into())),
        };
        i += 1;
        if w.get(i).map(String::as_str) != Some(">") {
            return Err(err(i, "expected `>` between source and destination".into()));
        }
        i += 1;
        let dst_at = i;
        let (dst, dport) = match w.get(i) {
            Some(t) => endpoint(t).map_err(|m| err(i, m))?,
            None => return Err(err(i, "expected the destination address".into())),
        };
        i += 1;
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(err(
                dst_at,
                "source and destination are of different families".into(),
            ));
        }
        let v4 = src.is_ipv4();
        let ports = matches!(proto, Proto::Tcp | Proto::Udp);
        match (ports, sport, dport) {
            (true, Some(_), Some(_)) | (false, None, None) => {}
            (true, None, _) => {
                return Err(err(
                    dst_at - 2,
                    "TCP and UDP need a source port (ADDR:PORT)".into(),
                ))
            }
            (true, _, None) => {
                return Err(err(
                    dst_at,
                    "TCP and UDP need a destination port (ADDR:PORT)".into(),
                ))
            }
            (false, Some(_), _) => {
                return Err(err(dst_at - 2, "only TCP and UDP have ports".into()))
            }
            (false, _, Some(_)) => return Err(err(dst_at, "only TCP and UDP have ports".into())),
        }
        // ...or right after the destination.
        if matches!(proto, Proto::Icmp { .. }) && icmp_type_word.is_none() {
            if let Some(t) = w.get(i) {
                if !OPTIONS.contains(&t.to_ascii_lowercase().as_str()) {
                    icmp_type_word = Some(i);
                    i += 1;
                }
            }
        }
        if let Proto::Icmp {
            icmp_type, code, ..
        } = &mut proto
        {
            let pw = pword.as_deref().unwrap_or("");
            let wants_v6 = matches!(pw, "icmp6" | "icmpv6" | "ipv6-icmp" | "58");
            if wants_v6 == v4 {
                return Err(err(
                    proto_at,
                    if v4 {
                        "icmp6 is for IPv6 packets; use icmp".into()
                    } else {
                        "icmp is for IPv4 packets; use icmp6".into()
                    },
                ));
            }
            let (table, what) = if v4 {
                (ICMP_NAMES, "ICMP")
            } else {
                (ICMPV6_NAMES, "ICMPv6")
            };
            match icmp_type_word {
                Some(k) => {
                    let (t, c0, c1) = parse_icmp_type(table, what, &w[k]).map_err(|m| {
                        let names: Vec<&str> = table.iter().map(|e| e.0).collect();
                        err(k, format!("{m}{}", did_you_mean(&w[k], &names)))
                    })?;
                    if t == 0xff {
                        return Err(err(k, "expected one ICMP type, not `any`".into()));
                    }
                    *icmp_type = t;
                    *code = if c0 == c1 { c0 } else { 0 };
                }
                None => *icmp_type = if v4 { 8 } else { 128 },
            }
        }
        let mut q = Question::with_defaults(direction, proto, src, dst);
        q.sport = sport.unwrap_or(0);
        q.dport = dport.unwrap_or(0);
        let tcp = matches!(proto, Proto::Tcp);
        let icmp = matches!(proto, Proto::Icmp { .. });
        while i < w.len() {
            let word = w[i].to_ascii_lowercase();
            let at = i;
            let value = |what: &str, max: u64| -> Result<u64, QuestionError> {
                let Some(v) = w.get(at + 1) else {
                    return Err(err(at + 1, format!("`{word}` needs {what}")));
                };
                number(v)
                    .filter(|n| *n <= max)
                    .ok_or_else(|| err(at + 1, format!("expected {what} (0 to {max})")))
            };
            let need = |ok: bool, what: &str| -> Result<(), QuestionError> {
                if ok {
                    Ok(())
                } else {
                    Err(err(at, format!("`{word}` is for {what} packets")))
                }
            };
            let next_is_number = w.get(i + 1).is_some_and(|v| number(v).is_some());
            match word.as_str() {
                "syn" | "rst" | "fin" | "psh" => {
                    need(tcp, "TCP")?;
                    q.flags |= match word.as_str() {
                        "syn" => TcpFlags::SYN,
                        "rst" => TcpFlags::RST,
                        "fin" => TcpFlags::FIN,
                        _ => TcpFlags::PSH,
                    };
                    i += 1;
                }
                "ack" if !next_is_number => {
                    need(tcp, "TCP")?;
                    q.flags |= TcpFlags::ACK;
                    i += 1;
                }
                "ack" => {
                    need(tcp, "TCP")?;
                    q.ack = value("an acknowledgment number", u64::from(u32::MAX))? as u32;
                    q.flags |= TcpFlags::ACK;
                    i += 2;
                }
                "flags" => {
                    need(tcp, "TCP")?;
                    let Some(f) = w.get(i + 1) else {
                        return Err(err(i + 1, "`flags` needs letters of FSRPAUEC".into()));
                    };
                    for c in f.chars() {
                        q.flags |= match c.to_ascii_uppercase() {
                            'F' => TcpFlags::FIN,
                            'S' => TcpFlags::SYN,
                            'R' => TcpFlags::RST,
                            'P' => TcpFlags::PSH,
                            'A' => TcpFlags::ACK,
                            'U' => TcpFlags::URG,
                            'E' => TcpFlags::ECE,
                            'C' => TcpFlags::CWR,
                            '.' => TcpFlags::empty(),
                            _ => {
                                return Err(err(
                                    i + 1,
                                    format!(
                                        "`{c}` is not a flag: F(IN) S(YN) R(ST) P(SH) A(CK) U(RG) E(CE) C(WR)"
                                    ),
                                ))
                            }
                        };
                    }
                    i += 2;
                }
                "seq" => {
                    need(tcp, "TCP")?;
                    q.seq = value("a sequence number", u64::from(u32::MAX))? as u32;
                    i += 2;
                }
                "mss" => {
                    need(tcp, "TCP")?;
                    let v = value("a segment size", 65535)? as u16;
                    q.tcp_options.push(TcpOption::Mss(v));
                    i += 2;
                }
                "wscale" => {
                    need(tcp, "TCP")?;
                    let v = value("a window scale shift", 255)? as u8;
                    q.tcp_options.push(TcpOption::WindowScale(v));
                    i += 2;
                }
                "sackok" | "nop" | "eol" => {
                    need(tcp, "TCP")?;
                    q.tcp_options.push(match word.as_str() {
                        "sackok" => TcpOption::SackPermitted,
                        "nop" => TcpOption::Nop,
                        _ => TcpOption::Eol,
                    });
                    i += 1;
                }
                "ts" => {
                    need(tcp, "TCP")?;
                    let val = value("a timestamp value", u64::from(u32::MAX))? as u32;
                    let Some(e) = w.get(i + 2) else {
                        return Err(err(i + 2, "`ts` needs a value and an echo reply".into()));
                    };
                    let ecr = number(e)
                        .filter(|n| *n <= u64::from(u32::MAX))
                        .ok_or_else(|| err(i + 2, "expected a timestamp echo reply".into()))?
                        as u32;
                    q.tcp_options.push(TcpOption::Timestamps(val, ecr));
                    i += 3;
                }
                "win" => {
                    need(tcp, "TCP")?;
                    q.window = value("a window", 65535)? as u16;
                    i += 2;
                }
                "icmp-id" => {
                    need(icmp, "ICMP")?;
                    q.icmp_echo.0 = value("an identifier", 65535)? as u16;
                    i += 2;
                }
                "icmp-seq" => {
                    need(icmp, "ICMP")?;
                    q.icmp_echo.1 = value("a sequence number", 65535)? as u16;
                    i += 2;
                }
                "code" => {
                    need(icmp, "ICMP")?;
                    let c = value("a code", 255)? as u8;
                    if let Proto::Icmp { code, .. } = &mut q.proto {
                        *code = c;
                    }
                    i += 2;
                }
                "ttl" => {
                    q.ttl = value("a TTL", 255)? as u8;
                    i += 2;
                }
                "tos" => {
                    q.tos = value("a TOS / traffic class", 255)? as u8;
                    i += 2;
                }
                "id" => {
                    q.ident = value("an identification", 65535)? as u16;
                    i += 2;
                }
                "frag" => {
                    let off = value("a fragment offset in bytes", 65535)? as usize;
                    let Some(l) = w.get(i + 2) else {
                        return Err(err(i + 2, "`frag` needs an offset and a length".into()));
                    };
                    let len = number(l)
                        .filter(|n| *n <= 65535)
                        .ok_or_else(|| err(i + 2, "expected a fragment length in bytes".into()))?
                        as usize;
                    if off % 8 != 0 {
                        return Err(err(i + 1, "a fragment offset is a multiple of 8".into()));
                    }
                    q.fragment = Some((off, len));
                    i += 3;
                }
                "df" => {
                    need(v4, "IPv4")?;
                    q.df = true;
                    i += 1;
                }
                "hbh" | "dstopts" => {
                    need(!v4, "IPv6")?;
                    q.v6_exts.push(if word == "hbh" {
                        V6Ext::HopByHop
                    } else {
                        V6Ext::DestOpts
                    });
                    i += 1;
                }
                "rh" => {
                    need(!v4, "IPv6")?;
                    let t = value("a routing type", 255)? as u8;
                    let Some(l) = w.get(i + 2) else {
                        return Err(err(i + 2, "`rh` needs a type and segments left".into()));
                    };
                    let segs = number(l)
                        .filter(|n| *n <= 255)
                        .ok_or_else(|| err(i + 2, "expected segments left (0 to 255)".into()))?
                        as u8;
                    q.v6_exts.push(V6Ext::Routing {
                        routing_type: t,
                        segments_left: segs,
                    });
                    i += 3;
                }
                "flow" => {
                    need(!v4, "IPv6")?;
                    q.flow = value("a flow label", 0xf_ffff)? as u32;
                    i += 2;
                }
                "len" => {
                    q.len = Some(value("a length", 65535)? as usize);
                    i += 2;
                }
                "mark" => {
                    q.mark = Some(value("a mark", u64::from(u32::MAX))? as u32);
                    i += 2;
                }
                "payload" => {
                    let Some(h) = w.get(i + 1) else {
                        return Err(err(i + 1, "`payload` needs hex bytes".into()));
                    };
                    q.payload = hex(h)
                        .ok_or_else(|| err(i + 1, "expected hex bytes (an even number of hex digits)".into()))?;
                    i += 2;
                }
                _ => {
                    return Err(err(
                        i,
                        format!(
                            "expected an option (flags, syn, ack, rst, fin, seq, win, ttl, tos, id, df, len, payload, mark, ...){}",
                            did_you_mean(&word, OPTIONS)
                        ),
                    ))
                }
            }
        }
        if !v4 && q.fragment.is_none() && q.ident != 1 {
            return Err(QuestionError {
                word: 0,
                text: String::new(),
                message: "`id` is for IPv4 packets and IPv6 fragments (`frag OFFSET LEN`)".into(),
            });
        }
        if let Some(n) = q.len {
            if q.build().is_err() {
                return Err(QuestionError {
                    word: 0,
                    text: String::new(),
                    message: format!("len {n}: shorter than the headers and payload"),
                });
            }
        }
        Ok(q)
    }

    fn finish<T: Transport>(&self, b: TransportBuilder<'_, T>) -> Result<Vec<u8>, BuildError> {
        let mut b = b.payload(&self.payload);
        if let Some(n) = self.len {
            b = b.pad_to_len(n);
        }
        if let Some((off, len)) = self.fragment {
            b = b.fragment(off, len);
        }
        b.try_build()
    }

    /// The packet's bytes, from the IP header on.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] when the fields cannot be encoded (`len` shorter
    /// than the headers, a packet over 65535 bytes).
    ///
    /// ```
    /// use nfsim::question::Question;
    /// let p = Question::parse("out udp 192.0.2.1:53 > 192.0.2.2:5353 len 100").unwrap().build().unwrap();
    /// assert_eq!(p.len(), 100);
    /// ```
    pub fn build(&self) -> Result<Vec<u8>, BuildError> {
        macro_rules! l4 {
            ($ip:expr) => {{
                let ip = $ip;
                match self.proto {
                    Proto::Tcp => {
                        let mut b = ip
                            .tcp(self.sport, self.dport)
                            .flags(self.flags)
                            .seq(self.seq)
                            .ack(self.ack)
                            .window(self.window);
                        for o in &self.tcp_options {
                            b = match *o {
                                TcpOption::Mss(v) => b.mss(v),
                                TcpOption::WindowScale(v) => b.window_scale(v),
                                TcpOption::SackPermitted => b.sack_permitted(),
                                TcpOption::Timestamps(v, e) => b.timestamps(v, e),
                                TcpOption::Nop => b.nop(),
                                TcpOption::Eol => b.eol(),
                            };
                        }
                        self.finish(b)
                    }
                    Proto::Udp => self.finish(ip.udp(self.sport, self.dport)),
                    Proto::Icmp { icmp_type, code } => self.finish(
                        ip.icmp(icmp_type, code)
                            .rest(u32::from(self.icmp_echo.0) << 16 | u32::from(self.icmp_echo.1)),
                    ),
                    Proto::Other(p) => self.finish(ip.protocol(IpProtocol(p))),
                }
            }};
        }
        match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let mut ip = PacketBuilder::ipv4(s, d)
                    .ttl(self.ttl)
                    .tos(self.tos)
                    .ident(self.ident);
                if self.df {
                    ip = ip.dont_frag();
                }
                l4!(ip)
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let mut ip = PacketBuilder::ipv6(s, d)
                    .frag_ident(u32::from(self.ident))
                    .hop_limit(self.ttl)
                    .traffic_class(self.tos)
                    .flow_label(self.flow);
                for e in &self.v6_exts {
                    ip = ip.ext(match *e {
                        V6Ext::HopByHop => Ipv6Ext::HopByHop(&[]),
                        V6Ext::DestOpts => Ipv6Ext::DestOpts(&[]),
                        V6Ext::Routing {
                            routing_type,
                            segments_left,
                        } => Ipv6Ext::Routing {
                            routing_type,
                            segments_left,
                            data: &[],
                        },
                    });
                }
                l4!(ip)
            }
            _ => Err(BuildError::TooLong),
        }
    }

    /// The description of `bytes` (from the IP header on) in the grammar,
    /// when it can say exactly that packet: `Some` only when
    /// [`build`](Self::build) gives `bytes` back byte for byte (so not for
    /// IPv4 options, IPv6 extension headers, fragments, TCP options other
    /// than MSS, window scale, SACK permitted, timestamps, NOP and EOL, an
    /// urgent pointer, wrong checksums or lengths).
    ///
    /// ```
    /// use nfsim::question::{Direction, Question};
    /// use nfsim::wire::PacketBuilder;
    /// let p = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
    ///     .ident(7).udp(5000, 53).payload(b"hi").build();
    /// let q = Question::describe(&p, Direction::Out).unwrap();
    /// assert_eq!(q.to_string(), "out udp 192.0.2.9:5000 > 192.0.2.1:53 id 7 payload 6869");
    /// let opts = PacketBuilder::ipv4([192, 0, 2, 9].into(), [192, 0, 2, 1].into())
    ///     .tcp(5000, 22).sack(&[(1, 2)]).build();
    /// assert!(Question::describe(&opts, Direction::Out).is_none());
    /// ```
    pub fn describe(bytes: &[u8], direction: Direction) -> Option<Question> {
        let unspecified = IpAddr::V4([0, 0, 0, 0].into());
        let mut q = Question::with_defaults(direction, Proto::Other(0), unspecified, unspecified);
        let (proto, l4) = match bytes.first()? >> 4 {
            4 => {
                let ip = crate::wire::ipv4::Packet::new_checked(bytes).ok()?;
                if ip.header_len() != 20 || ip.is_fragment() {
                    return None;
                }
                q.src = IpAddr::V4(ip.src());
                q.dst = IpAddr::V4(ip.dst());
                q.ttl = ip.ttl();
                q.tos = ip.tos();
                q.ident = ip.ident();
                q.df = ip.dont_frag();
                let end = usize::from(ip.total_len()).min(bytes.len());
                (ip.protocol().0, bytes.get(20..end)?)
            }
            6 => {
                let ip = crate::wire::ipv6::Packet::new_checked(bytes).ok()?;
                let mut nh = ip.next_header().0;
                let mut at = 40;
                for h in ip.ext_headers() {
                    let h = h.ok()?;
                    q.v6_exts.push(match h.kind.0 {
                        0 => V6Ext::HopByHop,
                        60 => V6Ext::DestOpts,
                        43 if h.bytes.len() >= 4 => V6Ext::Routing {
                            routing_type: h.bytes[2],
                            segments_left: h.bytes[3],
                        },
                        // Fragment and AH headers are not described.
                        _ => return None,
                    });
                    nh = h.next.0;
                    at = h.offset + h.len;
                }
                // Other extension headers and "no next header" are not in
                // the grammar.
                if matches!(nh, 0 | 43 | 44 | 51 | 59 | 60 | 135 | 139 | 140) {
                    return None;
                }
                q.src = IpAddr::V6(ip.src());
                q.dst = IpAddr::V6(ip.dst());
                q.ttl = ip.hop_limit();
                q.tos = ip.traffic_class();
                q.flow = ip.flow_label();
                let end = (40 + usize::from(ip.payload_len())).min(bytes.len());
                (nh, bytes.get(at..end)?)
            }
            _ => return None,
        };
        let v4 = q.src.is_ipv4();
        match proto {
            6 => {
                let t = crate::wire::tcp::Packet::new_checked(l4).ok()?;
                if t.urgent_at() != 0 {
                    return None;
                }
                let opts = t.options();
                let mut k = 0;
                while k < opts.len() {
                    let o = &opts[k..];
                    let (opt, n) = match (o[0], o.get(1).copied()) {
                        // EOL: the zeros after it are padding, unless
                        // options follow.
                        (0, _) if o.iter().all(|b| *b == 0) => (TcpOption::Eol, o.len()),
                        (0, _) => (TcpOption::Eol, 1),
                        (1, _) => (TcpOption::Nop, 1),
                        (2, Some(4)) if o.len() >= 4 => {
                            (TcpOption::Mss(u16::from_be_bytes([o[2], o[3]])), 4)
                        }
                        (3, Some(3)) if o.len() >= 3 => (TcpOption::WindowScale(o[2]), 3),
                        (4, Some(2)) => (TcpOption::SackPermitted, 2),
                        (8, Some(10)) if o.len() >= 10 => (
                            TcpOption::Timestamps(
                                u32::from_be_bytes([o[2], o[3], o[4], o[5]]),
                                u32::from_be_bytes([o[6], o[7], o[8], o[9]]),
                            ),
                            10,
                        ),
                        _ => return None,
                    };
                    q.tcp_options.push(opt);
                    k += n;
                }
                q.proto = Proto::Tcp;
                q.sport = t.src_port();
                q.dport = t.dst_port();
                q.flags = t.flags();
                q.seq = t.seq_number().0;
                q.ack = t.ack_number().0;
                q.window = t.window_len();
                q.payload = t.payload().to_vec();
            }
            17 => {
                let u = crate::wire::udp::Packet::new_checked(l4).ok()?;
                q.proto = Proto::Udp;
                q.sport = u.src_port();
                q.dport = u.dst_port();
                q.payload = l4.get(8..)?.to_vec();
            }
            1 | 58 if (proto == 1) == v4 => {
                let h = l4.get(..8)?;
                q.proto = Proto::Icmp {
                    icmp_type: h[0],
                    code: h[1],
                };
                q.icmp_echo = (
                    u16::from_be_bytes([h[4], h[5]]),
                    u16::from_be_bytes([h[6], h[7]]),
                );
                q.payload = l4[8..].to_vec();
            }
            p => {
                q.proto = Proto::Other(p);
                q.payload = l4.to_vec();
            }
        }
        // Exactly expressible only if it rebuilds to the same bytes (and
        // reads back as itself).
        let text = q.to_string();
        let again = Question::parse(&text).ok()?;
        (again == q && again.build().ok()? == bytes).then_some(q)
    }
}

impl fmt::Display for Question {
    /// The description in the grammar (canonical form: fields at their
    /// defaults left out; an acknowledgment number without ACK, which the
    /// grammar cannot say, is left out too).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v4 = self.src.is_ipv4();
        write!(f, "{} ", self.direction)?;
        let icmp_word = if v4 { "icmp" } else { "icmp6" };
        let mut code_after = None;
        match self.proto {
            Proto::Tcp => f.write_str("tcp")?,
            Proto::Udp => f.write_str("udp")?,
            Proto::Icmp { .. } => f.write_str(icmp_word)?,
            Proto::Other(p) => write!(f, "{p}")?,
        }
        let ep = |a: IpAddr, port: Option<u16>| match (a, port) {
            (IpAddr::V6(a), Some(p)) => format!("[{a}]:{p}"),
            (a, Some(p)) => format!("{a}:{p}"),
            (a, None) => a.to_string(),
        };
        let ports = matches!(self.proto, Proto::Tcp | Proto::Udp);
        write!(
            f,
            " {} > {}",
            ep(self.src, ports.then_some(self.sport)),
            ep(self.dst, ports.then_some(self.dport))
        )?;
        if let Proto::Icmp { icmp_type, code } = self.proto {
            let (name, code) = icmp_name(v4, icmp_type, code);
            write!(f, " {name}")?;
            code_after = code;
        }
        if let Some(c) = code_after {
            write!(f, " code {c}")?;
        }
        if matches!(self.proto, Proto::Tcp) {
            let mut fl = self.flags;
            if self.ack != 0 && fl.contains(TcpFlags::ACK) {
                fl.remove(TcpFlags::ACK);
            }
            if fl == TcpFlags::SYN {
                f.write_str(" syn")?;
            } else if !fl.is_empty() {
                f.write_str(" flags ")?;
                for (bit, c) in [
                    (TcpFlags::FIN, 'F'),
                    (TcpFlags::SYN, 'S'),
                    (TcpFlags::RST, 'R'),
                    (TcpFlags::PSH, 'P'),
                    (TcpFlags::ACK, 'A'),
                    (TcpFlags::URG, 'U'),
                    (TcpFlags::ECE, 'E'),
                    (TcpFlags::CWR, 'C'),
                ] {
                    if fl.contains(bit) {
                        write!(f, "{c}")?;
                    }
                }
            }
            if self.seq != 0 {
                write!(f, " seq {}", self.seq)?;
            }
            // An acknowledgment number without ACK is not in the grammar
            // (`describe` gives `None` for such a packet).
            if self.ack != 0 && self.flags.contains(TcpFlags::ACK) {
                write!(f, " ack {}", self.ack)?;
            }
            if self.window != 64240 {
                write!(f, " win {}", self.window)?;
            }
            for o in &self.tcp_options {
                match o {
                    TcpOption::Mss(v) => write!(f, " mss {v}")?,
                    TcpOption::WindowScale(v) => write!(f, " wscale {v}")?,
                    TcpOption::SackPermitted => f.write_str(" sackok")?,
                    TcpOption::Timestamps(v, e) => write!(f, " ts {v} {e}")?,
                    TcpOption::Nop => f.write_str(" nop")?,
                    TcpOption::Eol => f.write_str(" eol")?,
                }
            }
        }
        if matches!(self.proto, Proto::Icmp { .. }) {
            if self.icmp_echo.0 != 0 {
                write!(f, " icmp-id {}", self.icmp_echo.0)?;
            }
            if self.icmp_echo.1 != 0 {
                write!(f, " icmp-seq {}", self.icmp_echo.1)?;
            }
        }
        if self.ttl != 64 {
            write!(f, " ttl {}", self.ttl)?;
        }
        if self.tos != 0 {
            write!(f, " tos {}", self.tos)?;
        }
        if (v4 || self.fragment.is_some()) && self.ident != 1 {
            write!(f, " id {}", self.ident)?;
        }
        if self.df {
            f.write_str(" df")?;
        }
        if self.flow != 0 {
            write!(f, " flow {}", self.flow)?;
        }
        for e in &self.v6_exts {
            match e {
                V6Ext::HopByHop => f.write_str(" hbh")?,
                V6Ext::DestOpts => f.write_str(" dstopts")?,
                V6Ext::Routing {
                    routing_type,
                    segments_left,
                } => write!(f, " rh {routing_type} {segments_left}")?,
            }
        }
        if let Some(n) = self.len {
            write!(f, " len {n}")?;
        }
        if let Some((off, len)) = self.fragment {
            write!(f, " frag {off} {len}")?;
        }
        if let Some(m) = self.mark {
            write!(f, " mark {m}")?;
        }
        if !self.payload.is_empty() {
            f.write_str(" payload ")?;
            for b in &self.payload {
                write!(f, "{b:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_of_the_issue() {
        for s in [
            "in eth0 tcp 203.0.113.5:40000 > 192.0.2.1:22 syn",
            "out udp 192.0.2.1:53 > 192.0.2.2:5353",
            "in eth1 icmp 198.51.100.2 > 192.0.2.1 echo-request",
            "in eth0 tcp [2001:db8::2]:40000 > [2001:db8::1]:22 syn",
            "in eth0 icmp6 2001:db8::2 > 2001:db8::1 echo-request",
            "in eth0 47 192.0.2.2 > 192.0.2.1",
            "in eth0 udp [2001:db8::2]:1 > [2001:db8::1]:2 hbh dstopts rh 0 0",
            "in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2 syn mss 1460 sackok ts 1 0 nop wscale 7",
            "in eth0 udp 192.0.2.2:1 > 192.0.2.1:2 id 7 len 100 frag 0 24",
            "in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2 syn ack 3 mss 536 eol",
            "in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2 syn seq 5 ack 9 win 100 ttl 3 tos 16 id 9 df",
            "in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2 flags FP ack 7",
        ] {
            let q = Question::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(q.to_string(), s);
            let b = q.build().unwrap();
            if q.fragment.is_some() {
                // A fragment is not described back (its transport header,
                // if any, covers bytes it does not hold).
                assert_eq!(Question::describe(&b, q.direction.clone()), None);
                assert_eq!(b.len(), 44);
                continue;
            }
            assert_eq!(
                Question::describe(&b, q.direction.clone()).as_ref(),
                Some(&q)
            );
        }
    }

    #[test]
    fn errors_name_the_word() {
        let e = |s: &str| Question::parse(s).unwrap_err().to_string();
        assert_eq!(
            e("in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2 sny"),
            "word 7 `sny`: expected an option (flags, syn, ack, rst, fin, seq, win, ttl, tos, id, df, len, payload, mark, ...); did you mean syn?"
        );
        assert_eq!(
            e("in eth0 tcp 192.0.2.2 > 192.0.2.1:2"),
            "word 4 `192.0.2.2`: TCP and UDP need a source port (ADDR:PORT)"
        );
        assert_eq!(
            e("in eth0 icmp 192.0.2.2 > 192.0.2.1 echo-requets"),
            "word 7 `echo-requets`: Unknown ICMP type `echo-requets'; did you mean echo-request?"
        );
        assert_eq!(
            e("in eth0 tcp 192.0.2.2:1 2001:db8::1"),
            "word 5 `2001:db8::1`: expected `>` between source and destination"
        );
        assert_eq!(
            e("inn eth0 tcp"),
            "word 1 `inn`: expected `in DEV` or `out`; did you mean in?"
        );
        assert_eq!(
            e("in eth0 icmp 2001:db8::2 > 2001:db8::1"),
            "word 3 `icmp`: icmp is for IPv4 packets; use icmp6"
        );
        assert_eq!(
            e("out udp 192.0.2.1:53 > 192.0.2.2:5353 len 10"),
            "len 10: shorter than the headers and payload"
        );
        assert_eq!(
            e("out tcp 192.0.2.1:53 > 192.0.2.2:5353 ttl"),
            "the description ends early: `ttl` needs a TTL"
        );
    }

    #[test]
    fn touching_arrow_and_icmp_type_first() {
        let q = Question::parse("in eth0 icmp port-unreachable 192.0.2.2>192.0.2.1").unwrap();
        assert_eq!(
            q.proto,
            Proto::Icmp {
                icmp_type: 3,
                code: 3
            }
        );
        assert_eq!(
            q.to_string(),
            "in eth0 icmp 192.0.2.2 > 192.0.2.1 port-unreachable"
        );
    }

    use proptest::prelude::*;

    /// Words of the grammar, and some that are not.
    const WORDS: &[&str] = &[
        "in",
        "out",
        "eth0",
        "lo",
        "tcp",
        "udp",
        "icmp",
        "icmp6",
        "47",
        "256",
        ">",
        "syn",
        "ack",
        "flags",
        "SA",
        "Z",
        "seq",
        "win",
        "mss",
        "wscale",
        "sackok",
        "ts",
        "nop",
        "eol",
        "ttl",
        "tos",
        "id",
        "df",
        "flow",
        "len",
        "payload",
        "mark",
        "code",
        "icmp-id",
        "echo-request",
        "echo",
        "port-unreachable",
        "192.0.2.1",
        "192.0.2.2:80",
        "[2001:db8::1]:22",
        "2001:db8::2",
        "[2001:db8::1",
        "1.2.3.4:99999",
        "0",
        "1",
        "65535",
        "4294967296",
        "0x10",
        "abcd",
        "abc",
        "10",
        "99",
        "",
        "é",
        ":",
        "[",
        "]",
    ];

    /// Valid beginnings, so that the random tails are often read.
    const PREFIXES: &[&str] = &[
        "in eth0 tcp 192.0.2.2:1 > 192.0.2.1:2",
        "out udp [2001:db8::1]:53 > [2001:db8::2]:5353",
        "in eth1 icmp 198.51.100.2 > 192.0.2.1",
        "out icmp6 2001:db8::1 > 2001:db8::2",
        "in lo 47 127.0.0.1 > 127.0.0.1",
    ];

    proptest! {
        /// Any sequence of words: an error or a question, never a panic;
        /// a question reads back as itself and builds or says why not.
        #[test]
        fn parse_never_panics(
            head in 0..PREFIXES.len() + 1,
            idx in proptest::collection::vec(0..WORDS.len(), 0..14),
        ) {
            let mut text: Vec<&str> = PREFIXES.get(head).map(|p| vec![*p]).unwrap_or_default();
            text.extend(idx.iter().map(|&i| WORDS[i]));
            let text = text.join(" ");
            if let Ok(q) = Question::parse(&text) {
                let shown = q.to_string();
                let again = Question::parse(&shown);
                prop_assert_eq!(again.as_ref(), Ok(&q), "{}", shown);
                // The same packet described back (padding becomes payload,
                // the mark is not in the bytes).
                // (A fragment is not described back.)
                if let Some(b) = q.build().ok().filter(|_| q.fragment.is_none()) {
                    let d = Question::describe(&b, q.direction.clone());
                    prop_assert!(d.is_some(), "{}", shown);
                    prop_assert_eq!(d.and_then(|d| d.build().ok()), Some(b));
                }
            }
        }

        /// Arbitrary bytes: `describe` never panics, and what it says
        /// builds the same bytes.
        #[test]
        fn describe_is_exact(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Some(q) = Question::describe(&bytes, Direction::Out) {
                prop_assert_eq!(q.build().ok(), Some(bytes));
            }
        }
    }
}
