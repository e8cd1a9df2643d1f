//! `nfsim run SCENARIO.toml` and `nfsim run --pcap-in FILE`: a sequence of
//! packets with their times through one host, each answered as `nfsim
//! trace` answers it (or checked against the kernel's recording, or the
//! scenario's expectations), streamed: nothing grows with the number of
//! packets.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use nfsim::engine::{Mismatch, TraceKind, TraceSink};
use nfsim::explain::Explain;
use nfsim::host::{Host, HostConfig, Outcome};
use nfsim::model::{Family, Ruleset, TableKind};
use nfsim::question::{Direction, Question};
use nfsim::replay::{Expect, TraceFile};
use nfsim::time::Instant;
use nfsim::TraceCollector;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgReader, PcapNgWriter};
use pcap_file::DataLink;

use super::scenario::{self, Dir, ExpectToml, Scenario};
use super::trace::{self, Shown, Style};

/// Examples shown by `nfsim run --help`.
pub(crate) const EXAMPLES: &str = "\
Examples:
  nfsim run tests/traces/tutorial-conntrack-lo-block.toml
  nfsim run --json scenario.toml
  nfsim run --check tests/traces/reject-ipv4.toml     (against reject-ipv4.json beside it)
  nfsim run tests/traces/reject-ipv4.json              (a trace file: its packets at its times)
  nfsim run --summary big.toml                       (verdict counts only)
  nfsim run --pcap-in capture.pcapng --in-dev eth0 --rules rules.v4 --host host.toml
  nfsim run scenario.toml --pcap-out emitted.pcapng   (then: tcpdump -r emitted.pcapng)
  nfsim run --summary scenario.toml --list -x         (then iptables -L -n -v -x with the run's counters)

SCENARIO is the kernel recorder's format (tools/kernel-oracle/README.md):
host, rules (inline, as hex, or `ipv4_file`/`ipv6_file` beside it),
packets by fields or hex, `gap_ms`/`at_ms`, `repeat = N`; a packet may
hold `expect = { verdict = \"drop\", local = false, trace = [...], log = [...] }`.";

/// The options of `nfsim run`.
#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// The scenario (TOML), or a trace file (JSON: its packets at its
    /// times). Without it, `--pcap-in` gives the packets and
    /// `--rules`/`--host`/`--iface`... the host.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<String>,
    /// One JSON object per packet (as `nfsim trace --json`).
    #[arg(long, conflicts_with_all = ["check", "summary"])]
    pub json: bool,
    /// Compare with expectations and print agreement: the kernel's
    /// recording (`--against`, or SCENARIO's `.json` beside it, whose packet
    /// times are then used), else the scenario's `expect` fields.
    #[arg(long)]
    pub check: bool,
    /// The recorded trace to check against (with --check).
    #[arg(long, value_name = "TRACE.json", requires = "check")]
    pub against: Option<String>,
    /// Print only how many packets got each verdict (and `nfacct list`
    /// after the run when the host has nfacct objects).
    #[arg(long, conflicts_with = "check")]
    pub summary: bool,
    /// Read the packets from a capture (pcap or pcapng; Ethernet, raw IP,
    /// Linux cooked, BSD loopback); its timestamps are the clock. With
    /// SCENARIO, the scenario gives the host and rules (its packets are
    /// not sent).
    #[arg(long, value_name = "FILE")]
    pub pcap_in: Option<String>,
    /// The device the captured packets arrive on (default: a pcapng
    /// interface's name, when the host has that device).
    #[arg(long, value_name = "DEV", requires = "pcap_in")]
    pub in_dev: Option<String>,
    /// Write what the host emitted as pcapng, one interface per device.
    #[arg(long, value_name = "FILE")]
    pub pcap_out: Option<String>,
    /// The IPv4 ruleset (restore file or script), without SCENARIO.
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub rules: Option<String>,
    /// The IPv6 ruleset, without SCENARIO.
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub rules6: Option<String>,
    /// The host, without SCENARIO: a JSON `host`, a trace or a scenario
    /// whose `host` is used (default: the recorder's standard host).
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub host: Option<String>,
    /// A device and an address of it (repeatable), without SCENARIO.
    #[arg(
        long = "iface",
        value_name = "NAME=ADDR/PREFIX",
        conflicts_with = "scenario"
    )]
    pub ifaces: Vec<String>,
    /// A route (repeatable), without SCENARIO.
    #[arg(
        long = "route",
        value_name = "PREFIX=GATEWAY[@DEV]",
        conflicts_with = "scenario"
    )]
    pub routes: Vec<String>,
    /// A sysctl (repeatable): `net.ipv4.ip_forward=1`.
    #[arg(long = "sysctl", value_name = "NAME=VALUE")]
    pub sysctls: Vec<String>,
    /// An nfacct object that exists (`nfacct add NAME`), for
    /// `-m nfacct --nfacct-name NAME` (repeatable; after those of --host),
    /// without SCENARIO (a scenario declares them in `host.nfacct`).
    #[arg(long = "nfacct", value_name = "NAME", conflicts_with = "scenario")]
    pub nfacct: Vec<String>,
    /// The host's ip sets: `ipset save` output (instead of those of
    /// --host), for `-m set`, without SCENARIO (a scenario declares them
    /// in `host.ipset`).
    #[arg(long = "ipset", value_name = "FILE", conflicts_with = "scenario")]
    pub ipset: Option<String>,
    /// Only print the scenario's packets as `record.py --check` does
    /// (`INDEX DEV|out HEX`, one line per packet, `repeat` expanded).
    #[arg(long, conflicts_with_all = ["json", "check", "summary", "pcap_in"])]
    pub dump_packets: bool,
    /// No progress line (shown on standard error when it is a terminal
    /// and standard output is not, or with --summary).
    #[arg(long)]
    pub no_progress: bool,
    /// After the run, print `iptables -L -n -v` with the counters the run
    /// produced (as `nfsim list` prints it; with --list-table, --exact,
    /// --line-numbers, --list-ipv6).
    #[arg(long, conflicts_with_all = ["json", "dump_packets"])]
    pub list: bool,
    /// The table --list prints (`-t`), `filter` when absent.
    #[arg(
        long,
        value_name = "TABLE",
        requires = "list",
        default_value = "filter"
    )]
    pub list_table: String,
    /// --list prints the IPv6 ruleset (`ip6tables -L`).
    #[arg(long, requires = "list")]
    pub list_ipv6: bool,
    /// --list prints exact counters (`-x`) instead of K, M, G.
    #[arg(short = 'x', long, requires = "list")]
    pub exact: bool,
    /// --list prints rule numbers (`--line-numbers`).
    #[arg(long, requires = "list")]
    pub line_numbers: bool,
}

/// Both sinks at once: the explanation the printer needs and the TRACE
/// records a check compares.
#[derive(Default)]
struct Both {
    explain: Explain,
    records: TraceCollector,
}

impl TraceSink for Both {
    const WANTS_EXPLAIN: bool = true;

    fn trace(&mut self, table: TableKind, chain: &[u8], kind: TraceKind, num: u32) {
        self.explain.trace(table, chain, kind, num);
        self.records.trace(table, chain, kind, num);
    }

    fn mismatch(&mut self, table: TableKind, chain: &[u8], num: u32, part: Mismatch) {
        self.explain.mismatch(table, chain, num, part);
    }
}

/// Where the answers go.
enum Mode {
    /// As `nfsim trace` prints them (text or JSON).
    Show { json: bool, style: Style },
    /// Verdict counts.
    Summary,
    /// Agreement with the recording's packets, or with `expect` fields.
    Check,
}

/// The progress line on standard error (a terminal only).
struct Progress {
    on: bool,
    total: Option<u64>,
    last: std::time::Instant,
}

impl Progress {
    fn tick(&mut self, n: u64) {
        if !self.on || n % 256 != 0 {
            return;
        }
        let t = std::time::Instant::now();
        if t.duration_since(self.last) < Duration::from_millis(200) {
            return;
        }
        self.last = t;
        let mut e = io::stderr();
        let _ = match self.total {
            Some(tot) if tot > 0 => write!(
                e,
                "\r\x1b[Knfsim run: {n}/{tot} packets ({}%)",
                n * 100 / tot
            ),
            _ => write!(e, "\r\x1b[Knfsim run: {n} packets"),
        };
        let _ = e.flush();
    }

    fn done(&self) {
        if self.on {
            let _ = write!(io::stderr(), "\r\x1b[K");
        }
    }
}

/// A device's interface in the written capture: its pcapng interface id,
/// the device's MAC and its peer's (the frame's source and destination).
#[derive(Clone, Copy)]
struct OutIface {
    id: u32,
    mac: [u8; 6],
    peer: [u8; 6],
}

/// The capture being written (`--pcap-out`).
struct PcapOut {
    w: PcapNgWriter<BufWriter<File>>,
    /// Per host device: its pcapng interface.
    ifaces: Vec<OutIface>,
    frame: Vec<u8>,
    path: String,
}

impl PcapOut {
    fn create(path: &str, host: &Host, cfg: &HostConfig) -> Result<PcapOut, String> {
        let f = File::create(path).map_err(|e| format!("--pcap-out {path}: {e}"))?;
        let mut w =
            PcapNgWriter::new(BufWriter::new(f)).map_err(|e| format!("--pcap-out {path}: {e}"))?;
        let mut ifaces = Vec::new();
        let mut id = 0u32;
        let mut d = 0;
        while let Some(name) = host.device(d) {
            let macs = cfg
                .interfaces
                .iter()
                .find(|i| i.name == name)
                .map_or(([0; 6], [0; 6]), |i| (i.mac, i.peer_mac));
            let idb = InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: 0,
                options: vec![
                    InterfaceDescriptionOption::IfName(name.to_string().into()),
                    // Nanoseconds: the writer stores the timestamp's nanoseconds.
                    InterfaceDescriptionOption::IfTsResol(9),
                ],
            };
            w.write_pcapng_block(idb)
                .map_err(|e| format!("--pcap-out {path}: {e}"))?;
            ifaces.push(OutIface {
                id,
                mac: macs.0,
                peer: macs.1,
            });
            id += 1;
            d += 1;
        }
        Ok(PcapOut {
            w,
            ifaces,
            frame: Vec::new(),
            path: path.to_string(),
        })
    }

    /// One emitted packet as an Ethernet frame from the device to its peer.
    fn write(&mut self, dev: usize, bytes: &[u8], at_ms: f64) -> Result<(), String> {
        let Some(OutIface { id, mac, peer }) = self.ifaces.get(dev).copied() else {
            return Err(format!("--pcap-out: no interface for device {dev}"));
        };
        self.frame.clear();
        self.frame.extend_from_slice(&peer);
        self.frame.extend_from_slice(&mac);
        let et: u16 = if bytes.first().map(|b| b >> 4) == Some(6) {
            0x86dd
        } else {
            0x0800
        };
        self.frame.extend_from_slice(&et.to_be_bytes());
        self.frame.extend_from_slice(bytes);
        let epb = EnhancedPacketBlock {
            interface_id: id,
            timestamp: Duration::from_nanos((at_ms * 1e6).round() as u64),
            original_len: self.frame.len() as u32,
            data: std::borrow::Cow::Borrowed(&self.frame),
            options: Vec::new(),
        };
        self.w
            .write_pcapng_block(epb)
            .map(|_| ())
            .map_err(|e| format!("--pcap-out {}: {e}", self.path))
    }

    fn finish(mut self) -> Result<(), String> {
        self.w
            .get_mut()
            .flush()
            .map_err(|e| format!("--pcap-out {}: {e}", self.path))
    }
}

/// A packet read from a capture.
struct Captured {
    /// Capture time.
    ts: Duration,
    /// The IP packet (link header removed).
    bytes: Vec<u8>,
    /// The pcapng interface's name, when it has one.
    if_name: Option<String>,
}

/// A capture being read: pcap or pcapng.
enum PcapIn {
    Pcap(PcapReader<BufReader<File>>, DataLink),
    Ng(PcapNgReader<BufReader<File>>),
}

/// The IP packet inside a frame of link type `lt`; `None` for a frame that
/// carries no IPv4/IPv6 (ARP...), an error for a link type nfsim does not
/// read.
fn strip_link(lt: DataLink, f: &[u8]) -> Result<Option<&[u8]>, String> {
    fn ip(et: u16, rest: &[u8]) -> Option<&[u8]> {
        matches!(et, 0x0800 | 0x86dd).then_some(rest)
    }
    Ok(match lt {
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => Some(f),
        DataLink::ETHERNET => {
            let mut at = 12;
            loop {
                let Some(et) = f.get(at..at + 2) else {
                    return Ok(None);
                };
                let et = u16::from_be_bytes([et[0], et[1]]);
                // 802.1Q / 802.1ad tags.
                if matches!(et, 0x8100 | 0x88a8) {
                    at += 4;
                    continue;
                }
                break ip(et, f.get(at + 2..).unwrap_or(&[]));
            }
        }
        DataLink::LINUX_SLL => match f.get(14..16) {
            Some(e) => ip(u16::from_be_bytes([e[0], e[1]]), f.get(16..).unwrap_or(&[])),
            None => None,
        },
        DataLink::LINUX_SLL2 => match f.get(0..2) {
            Some(e) => ip(u16::from_be_bytes([e[0], e[1]]), f.get(20..).unwrap_or(&[])),
            None => None,
        },
        DataLink::NULL | DataLink::LOOP => match f.get(0..4) {
            // The address family, in the capturing machine's byte order.
            Some(h) => {
                let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
                let af = if le < 256 { le } else { be };
                match af {
                    2 | 10 | 24 | 28 | 30 => Some(&f[4..]),
                    _ => None,
                }
            }
            None => None,
        },
        other => {
            return Err(format!(
                "link type {other:?} is not read (Ethernet, raw IP, Linux cooked, BSD loopback are)"
            ))
        }
    })
}

/// The real time of a pcapng timestamp: pcap-file gives the 64-bit
/// count as nanoseconds; the interface's `if_tsresol` (default 10^-6)
/// says what it counts.
fn ng_time(raw: Duration, tsresol: Option<u8>) -> Duration {
    let n = raw.as_nanos();
    let r = tsresol.unwrap_or(6);
    let ns = if r & 0x80 != 0 {
        let p = u32::from(r & 0x7f).min(127);
        n.saturating_mul(1_000_000_000) >> p
    } else {
        let p = u32::from(r);
        if p <= 9 {
            n.saturating_mul(10u128.pow(9 - p))
        } else {
            n / 10u128.saturating_pow(p - 9)
        }
    };
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

impl PcapIn {
    fn open(path: &str) -> Result<PcapIn, String> {
        let err = |e: &dyn std::fmt::Display| format!("--pcap-in {path}: {e}");
        let mut f = File::open(path).map_err(|e| err(&e))?;
        let mut magic = [0u8; 4];
        io::Read::read_exact(&mut f, &mut magic)
            .map_err(|_| err(&"not a pcap or pcapng capture (shorter than 4 bytes)"))?;
        io::Seek::rewind(&mut f).map_err(|e| err(&e))?;
        let r = BufReader::new(f);
        let pcap_magics = [
            [0xa1, 0xb2, 0xc3, 0xd4],
            [0xd4, 0xc3, 0xb2, 0xa1],
            [0xa1, 0xb2, 0x3c, 0x4d],
            [0x4d, 0x3c, 0xb2, 0xa1],
        ];
        if magic != [0x0a, 0x0d, 0x0d, 0x0a] && !pcap_magics.contains(&magic) {
            return Err(err(
                &"not a pcap or pcapng capture (its first 4 bytes are no capture's magic number)",
            ));
        }
        if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
            Ok(PcapIn::Ng(PcapNgReader::new(r).map_err(|e| err(&e))?))
        } else {
            let r = PcapReader::new(r).map_err(|e| err(&e))?;
            let lt = r.header().datalink;
            Ok(PcapIn::Pcap(r, lt))
        }
    }

    /// The next IP packet, skipping frames without one (counted in `skipped`).
    fn next(&mut self, skipped: &mut u64) -> Option<Result<Captured, String>> {
        loop {
            match self {
                PcapIn::Pcap(r, lt) => {
                    let p = match r.next_packet()? {
                        Ok(p) => p,
                        Err(e) => return Some(Err(e.to_string())),
                    };
                    match strip_link(*lt, &p.data) {
                        Ok(Some(ip)) => {
                            return Some(Ok(Captured {
                                ts: p.timestamp,
                                bytes: ip.to_vec(),
                                if_name: None,
                            }))
                        }
                        Ok(None) => *skipped += 1,
                        Err(e) => return Some(Err(e)),
                    }
                }
                PcapIn::Ng(r) => {
                    let b = match r.next_block()? {
                        // Owned: the reader's interfaces are read below.
                        Ok(b) => b.into_owned(),
                        Err(e) => return Some(Err(e.to_string())),
                    };
                    let (iface, ts, data) = match &b {
                        Block::EnhancedPacket(p) => {
                            (p.interface_id, p.timestamp, p.data.as_ref())
                        }
                        Block::SimplePacket(_) => {
                            return Some(Err(
                                "a simple packet block has no timestamp (nfsim needs the capture's times)"
                                    .into(),
                            ))
                        }
                        Block::Packet(p) => {
                            // The obsolete packet block: a raw 64-bit count.
                            let ts = Duration::from_nanos(p.timestamp);
                            (u32::from(p.interface_id), ts, p.data.as_ref())
                        }
                        _ => continue,
                    };
                    let Some(idb) = r.interfaces().get(iface as usize) else {
                        return Some(Err(format!(
                            "a packet of interface {iface}, which is not described"
                        )));
                    };
                    let mut tsresol = None;
                    let mut name = None;
                    for o in &idb.options {
                        match o {
                            InterfaceDescriptionOption::IfTsResol(r) => tsresol = Some(*r),
                            InterfaceDescriptionOption::IfName(n) => name = Some(n.to_string()),
                            _ => {}
                        }
                    }
                    match strip_link(idb.linktype, data) {
                        Ok(Some(ip)) => {
                            return Some(Ok(Captured {
                                ts: ng_time(ts, tsresol),
                                bytes: ip.to_vec(),
                                if_name: name,
                            }))
                        }
                        Ok(None) => *skipped += 1,
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }
    }
}

/// Why a run stopped: a write to the output failed (a closed pipe ends
/// the run quietly), or a packet could not be run.
enum Stop {
    Io(io::Error),
    Msg(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Stop {
        Stop::Msg(s)
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

/// The state of one run.
struct Runner<'w, W: Write> {
    host: Host,
    v4: Ruleset,
    v6: Ruleset,
    out: Outcome,
    sink: Both,
    mode: Mode,
    w: &'w mut W,
    pcap_out: Option<PcapOut>,
    /// Packets so far.
    n: u64,
    /// (verdict, count), in order of first appearance.
    counts: Vec<(&'static str, u64)>,
    agree: u64,
    expected: u64,
    progress: Progress,
}

impl<W: Write> Runner<'_, W> {
    /// One packet: through the host, then answered as the mode says.
    /// `recorded`: the kernel's answer to compare with (--check against a
    /// recording); `expect`: the scenario's expectations.
    fn packet(
        &mut self,
        dir: &Dir,
        bytes: &[u8],
        at_ms: f64,
        recorded: Option<&Expect>,
        expect: Option<&ExpectToml>,
        dst_mac: Option<[u8; 6]>,
    ) -> Result<(), Stop> {
        let i = self.n;
        self.n += 1;
        let now = Instant::from_millis_f64(at_ms);
        let show = matches!(self.mode, Mode::Show { .. });
        let before = if show {
            trace::ct_snapshot(&self.host, now)
        } else {
            Default::default()
        };
        self.sink.explain.clear();
        self.sink.records.records.clear();
        match dir {
            Dir::In(d) => {
                let dev = self
                    .host
                    .device_index(d)
                    .ok_or_else(|| format!("packet {i}: the host has no device {d}"))?;
                match dst_mac {
                    Some(m) => {
                        self.host
                            .receive_frame(dev, m, bytes, now, &mut self.out, &mut self.sink)
                    }
                    None => self
                        .host
                        .receive(dev, bytes, now, &mut self.out, &mut self.sink),
                }
            }
            Dir::Out => self.host.send(bytes, now, &mut self.out, &mut self.sink),
        }
        if let Some(p) = &mut self.pcap_out {
            for (d, b) in self.out.emitted() {
                p.write(d, b, at_ms)?;
            }
        }
        let verdict = trace::verdict_of(&self.out.disposition());
        match &self.mode {
            Mode::Show { json, style } => {
                let rs = match bytes.first().map(|b| b >> 4) {
                    Some(6) => &self.v6,
                    _ => &self.v4,
                };
                let direction = match dir {
                    Dir::In(d) => Direction::In(d.clone()),
                    Dir::Out => Direction::Out,
                };
                let text = match Question::describe(bytes, direction) {
                    Some(q) => q.to_string(),
                    None => match dir {
                        Dir::In(d) => format!("in {d} {}", trace::summary(bytes)),
                        Dir::Out => format!("out {}", trace::summary(bytes)),
                    },
                };
                let shown = Shown {
                    n: i as usize,
                    text: &text,
                    at_ms,
                    blank_before: i > 0,
                };
                let r = trace::report(
                    &self.host,
                    rs,
                    now,
                    &before,
                    &self.out,
                    &self.sink.explain.steps,
                    &shown,
                    *json,
                    style,
                );
                let res = match r.json {
                    Some(mut obj) => {
                        obj["i"] = serde_json::json!(i);
                        writeln!(self.w, "{obj}")
                    }
                    None => self.w.write_all(r.text.as_bytes()),
                };
                res?;
            }
            Mode::Summary => match self.counts.iter_mut().find(|(v, _)| *v == verdict) {
                Some((_, c)) => *c += 1,
                None => self.counts.push((verdict, 1)),
            },
            Mode::Check => {
                let ours = nfsim::replay::observe(
                    &self.host,
                    &self.out,
                    now,
                    std::mem::take(&mut self.sink.records.records),
                );
                let mut lines = Vec::new();
                if let Some(k) = recorded {
                    self.expected += 1;
                    let a = nfsim::replay::compare(k, &ours);
                    if a.all() {
                        self.agree += 1;
                    } else {
                        lines.push(format!("packet {i}: {a:?}"));
                        lines.push(format!(
                            "  kernel: {}",
                            serde_json::to_string(k).unwrap_or_default()
                        ));
                        lines.push(format!(
                            "  nfsim:  {}",
                            serde_json::to_string(&ours).unwrap_or_default()
                        ));
                    }
                } else if let Some(e) = expect {
                    self.expected += 1;
                    let mut bad = Vec::new();
                    if let Some(v) = &e.verdict {
                        if v != verdict {
                            bad.push(format!("verdict {verdict}, expected {v}"));
                        }
                    }
                    if let Some(l) = e.local {
                        if l != ours.local {
                            bad.push(format!("local {}, expected {l}", ours.local));
                        }
                    }
                    if let Some(t) = &e.trace {
                        if *t != ours.trace {
                            bad.push(format!("trace {:?}, expected {t:?}", ours.trace));
                        }
                    }
                    if let Some(l) = &e.log {
                        if *l != ours.log {
                            bad.push(format!("log {:?}, expected {l:?}", ours.log));
                        }
                    }
                    if let Some(em) = &e.emitted {
                        let k = Expect {
                            emitted: em.clone(),
                            ..Expect::default()
                        };
                        let o = Expect {
                            emitted: ours.emitted.clone(),
                            ..Expect::default()
                        };
                        if !nfsim::replay::compare(&k, &o).emitted {
                            bad.push(format!(
                                "emitted {}, expected {}",
                                serde_json::to_string(&ours.emitted).unwrap_or_default(),
                                serde_json::to_string(em).unwrap_or_default()
                            ));
                        }
                    }
                    if bad.is_empty() {
                        self.agree += 1;
                    } else {
                        lines.push(format!("packet {i}: {}", bad.join("; ")));
                    }
                }
                for l in lines {
                    writeln!(self.w, "{l}")?;
                }
            }
        }
        self.progress.tick(self.n);
        Ok(())
    }
}

/// A recording's answers, read from its file.
struct Recording {
    path: String,
    trace: TraceFile,
}

fn load_recording(path: &str) -> Result<Recording, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let trace = TraceFile::from_json(&text).map_err(|e| format!("{path}: {e}"))?;
    Ok(Recording {
        path: path.to_string(),
        trace,
    })
}

/// Whether a file holds JSON (a trace) rather than TOML (a scenario): a
/// scenario never starts with `{`.
fn is_json(path: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{'))
}

/// A trace file's host, rules and packets as a scenario (each packet at
/// its recorded time).
fn scenario_of_trace(t: &TraceFile) -> Result<Scenario, String> {
    let (v4, v6) = t.rulesets().map_err(|e| e.to_string())?;
    let mut packets = Vec::with_capacity(t.packets.len());
    for (i, p) in t.packets.iter().enumerate() {
        let dir = match (&p.in_dev, p.out) {
            (_, Some(true)) => Dir::Out,
            (Some(d), _) => Dir::In(d.clone()),
            (None, _) => return Err(format!("packets[{i}]: neither `in` nor `out`")),
        };
        packets.push(scenario::ScnPacket {
            dir,
            bytes: nfsim::replay::from_hex(&p.hex).map_err(|e| format!("packets[{i}].hex: {e}"))?,
            at_ms: Some(p.at_ms),
            gap_ms: 0.0,
            repeat: 1,
            line: 0,
            expect: None,
            dst_mac: match &p.dst_mac {
                Some(m) => {
                    Some(scenario::parse_mac(m).map_err(|e| format!("packets[{i}].dst_mac: {e}"))?)
                }
                None => None,
            },
        });
    }
    Ok(Scenario {
        host: t.host.clone(),
        v4,
        v6,
        packets,
    })
}

/// Checks that a recording was made from this scenario: the same host,
/// rules and packets (bytes and directions).
fn same_as_recording(s: &Scenario, r: &Recording) -> Result<(), String> {
    let stale = |what: &str| {
        format!(
            "{}: the recording's {what} differ from the scenario's (re-record it with tools/kernel-oracle/record.py)",
            r.path
        )
    };
    if r.trace.host != s.host {
        return Err(stale("host"));
    }
    let (v4, v6) = r.trace.rulesets().map_err(|e| format!("{}: {e}", r.path))?;
    if v4 != s.v4 || v6 != s.v6 {
        return Err(stale("rules"));
    }
    if s.count() != r.trace.packets.len() as u64 {
        return Err(format!(
            "{}: {} packets, the scenario sends {}",
            r.path,
            r.trace.packets.len(),
            s.count()
        ));
    }
    for (i, ((p, _), k)) in s.schedule().zip(&r.trace.packets).enumerate() {
        let dir_ok = match &p.dir {
            Dir::In(d) => k.in_dev.as_deref() == Some(d.as_str()),
            Dir::Out => k.out == Some(true),
        };
        if !dir_ok || nfsim::replay::to_hex(&p.bytes) != k.hex.to_ascii_lowercase() {
            return Err(format!(
                "{}: packet {i} (scenario line {}) differs from the scenario's: {}",
                r.path,
                p.line,
                if dir_ok { "bytes" } else { "direction" }
            ));
        }
    }
    Ok(())
}

/// The host, rulesets and host configuration without a scenario.
fn host_from_options(a: &RunArgs) -> Result<(HostConfig, Ruleset, Ruleset), String> {
    let mut v4 = Ruleset::new(Family::Ipv4);
    let mut v6 = Ruleset::new(Family::Ipv6);
    let given = match &a.host {
        Some(h) => Some(trace::host_file(h).map_err(|e| format!("--host {e}"))?),
        None => None,
    };
    // The namespace's nfacct objects: the host's, then --nfacct.
    let mut names: Vec<String> = given
        .iter()
        .flat_map(|c| c.nfacct.iter().map(|n| n.to_string()))
        .collect();
    names.extend(a.nfacct.iter().cloned());
    let mut nfacct = super::nfacct_objects(&names)?;
    // The namespace's ip sets: --ipset, else the host's.
    let mut sets = match &a.ipset {
        Some(p) => super::read_ipset(p)?.1,
        None => given.as_ref().map(|c| c.ipset.clone()).unwrap_or_default(),
    };
    // The host's timeout policies (`-j CT --timeout`).
    let policies: Vec<String> = given
        .iter()
        .flat_map(|c| c.cttimeout.iter().cloned())
        .collect();
    let objects = trace::cttimeout_objects(&policies)?;
    if let Some(r) = &a.rules {
        let (a4, _) = trace::load_rules(r, Family::Ipv4, &mut nfacct, &mut sets, &objects)?;
        v4 = a4.unwrap_or(v4);
    }
    if let Some(r) = &a.rules6 {
        let (_, a6) = trace::load_rules(r, Family::Ipv6, &mut nfacct, &mut sets, &objects)?;
        v6 = a6.unwrap_or(v6);
    }
    let mut cfg = if let Some(c) = given {
        c
    } else if !a.ifaces.is_empty() || !a.routes.is_empty() {
        HostConfig {
            sender_owner: Some((0, 0)),
            ..HostConfig::default()
        }
    } else {
        host_config(&scenario::standard_host(), None)?
    };
    cfg.nfacct = nfacct;
    cfg.ipset = sets;
    trace::apply_options(&mut cfg, &a.ifaces, &a.routes)?;
    Ok((cfg, v4, v6))
}

fn host_config(h: &nfsim::replay::HostSpec, hz: Option<u32>) -> Result<HostConfig, String> {
    let mut rw = nfsim::replay::RecordedWith::default();
    if let Some(hz) = hz {
        rw.hz = hz;
    }
    TraceFile {
        format: "nfsim-trace/1".into(),
        name: String::new(),
        description: String::new(),
        recorded_with: rw,
        host: h.clone(),
        rules: nfsim::replay::RulesSpec::default(),
        packets: Vec::new(),
    }
    .host_config()
    .map_err(|e| e.to_string())
}

/// Runs `nfsim run`.
pub(crate) fn run(
    a: &RunArgs,
    color: bool,
    w: &mut impl Write,
    err: &mut dyn Write,
) -> io::Result<ExitCode> {
    macro_rules! fail {
        ($code:expr, $($t:tt)*) => {{
            let _ = writeln!(err, "nfsim run: {}", format!($($t)*));
            return Ok(ExitCode::from($code));
        }};
    }
    if a.scenario.is_none() && a.pcap_in.is_none() {
        fail!(2, "give a SCENARIO, or --pcap-in FILE");
    }
    // A trace file (JSON) instead of a scenario: its packets at its
    // times, checked against its own `expect`s.
    let mut own_recording = None;
    let scn = match &a.scenario {
        Some(p) if is_json(p) => match load_recording(p).and_then(|r| {
            let s = scenario_of_trace(&r.trace).map_err(|e| format!("{p}: {e}"))?;
            Ok((r, s))
        }) {
            Ok((r, s)) => {
                own_recording = Some(r);
                Some(s)
            }
            Err(e) => fail!(2, "{e}"),
        },
        Some(p) => match scenario::load(p) {
            Ok(s) => Some(s),
            Err(e) => fail!(2, "{e}"),
        },
        None => None,
    };
    if a.dump_packets {
        let Some(s) = &scn else {
            fail!(2, "--dump-packets prints a SCENARIO's packets");
        };
        for (i, (p, _)) in s.schedule().enumerate() {
            let dev = match &p.dir {
                Dir::In(d) => d.as_str(),
                Dir::Out => "out",
            };
            writeln!(w, "{i} {dev} {}", nfsim::replay::to_hex(&p.bytes))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    // The recording to check against.
    let recording = if let (Some(r), None) = (own_recording, &a.against) {
        Some(r)
    } else if a.check && a.pcap_in.is_none() {
        let path = a.against.clone().or_else(|| {
            let s = a.scenario.as_deref()?;
            let j = std::path::Path::new(s).with_extension("json");
            j.exists().then(|| j.to_string_lossy().into_owned())
        });
        match path {
            Some(p) => match load_recording(&p) {
                Ok(r) => Some(r),
                Err(e) => fail!(2, "{e}"),
            },
            None => None,
        }
    } else {
        if a.against.is_some() {
            fail!(
                2,
                "--against compares a scenario's packets, not a capture's"
            );
        }
        None
    };
    if let (Some(s), Some(r)) = (&scn, &recording) {
        if let Err(e) = same_as_recording(s, r) {
            fail!(2, "{e}");
        }
        if a.check && Some(r.path.as_str()) != a.scenario.as_deref() {
            let _ = writeln!(err, "nfsim run: checking against the recording {}", r.path);
        }
    }
    let hz = recording.as_ref().map(|r| r.trace.recorded_with.hz);
    let (mut cfg, v4, v6) = match &scn {
        Some(s) => match host_config(&s.host, hz) {
            Ok(c) => (c, s.v4.clone(), s.v6.clone()),
            Err(e) => fail!(2, "{}: {e}", a.scenario.as_deref().unwrap_or("")),
        },
        None => match host_from_options(a) {
            Ok(x) => x,
            Err(e) => fail!(2, "{e}"),
        },
    };
    if let Err(e) = trace::apply_sysctls(&mut cfg, &a.sysctls) {
        fail!(2, "{e}");
    }
    let host = match Host::new(&cfg, &v4, &v6) {
        Ok(h) => h,
        Err(e) => fail!(1, "{e}"),
    };
    let pcap_out = match &a.pcap_out {
        Some(p) => match PcapOut::create(p, &host, &cfg) {
            Ok(o) => Some(o),
            Err(e) => fail!(1, "{e}"),
        },
        None => None,
    };
    let mode = if a.check {
        Mode::Check
    } else if a.summary {
        Mode::Summary
    } else {
        Mode::Show {
            json: a.json,
            style: Style { on: color },
        }
    };
    let total = match (&scn, &a.pcap_in) {
        (Some(s), None) => Some(s.count()),
        _ => None,
    };
    let mut r = Runner {
        host,
        v4,
        v6,
        out: Outcome::default(),
        sink: Both::default(),
        mode,
        w,
        pcap_out,
        n: 0,
        counts: Vec::new(),
        agree: 0,
        expected: 0,
        progress: Progress {
            // On a terminal only, and never mixed with answers printed on
            // the same terminal.
            on: !a.no_progress
                && io::stderr().is_terminal()
                && (a.summary || !io::stdout().is_terminal()),
            total,
            last: std::time::Instant::now(),
        },
    };
    let res = match (&a.pcap_in, &scn) {
        (Some(p), _) => run_capture(&mut r, p, a.in_dev.as_deref(), err),
        (None, Some(s)) => match &recording {
            Some(rec) => {
                let mut res = Ok(());
                for ((p, _), k) in s.schedule().zip(&rec.trace.packets) {
                    res = r.packet(
                        &p.dir,
                        &p.bytes,
                        k.at_ms,
                        k.expect.as_ref(),
                        None,
                        p.dst_mac,
                    );
                    if res.is_err() {
                        break;
                    }
                }
                res
            }
            None => {
                let mut res = Ok(());
                for (p, t) in s.schedule() {
                    if let Err(e) = check_time(t) {
                        res = Err(Stop::Msg(format!("packet {} (line {}): {e}", r.n, p.line)));
                        break;
                    }
                    res = r.packet(&p.dir, &p.bytes, t, None, p.expect.as_ref(), p.dst_mac);
                    if res.is_err() {
                        break;
                    }
                }
                res
            }
        },
        (None, None) => Ok(()),
    };
    r.progress.done();
    match res {
        Ok(()) => {}
        Err(Stop::Io(e)) => return Err(e),
        Err(Stop::Msg(e)) => fail!(1, "{e}"),
    }
    if let Some(p) = r.pcap_out.take() {
        if let Err(e) = p.finish() {
            fail!(1, "{e}");
        }
    }
    let mut code = ExitCode::SUCCESS;
    match r.mode {
        Mode::Summary => {
            writeln!(r.w, "{} packets", r.n)?;
            for (v, c) in &r.counts {
                writeln!(r.w, "  {v}: {c}")?;
            }
            // `nfacct list` after the run, when the host has objects.
            let list = r.host.nfacct_list();
            if !list.is_empty() {
                writeln!(r.w, "nfacct list:")?;
                r.w.write_all(list.as_bytes())?;
            }
        }
        Mode::Check => {
            let without = r.n - r.expected;
            if without > 0 {
                writeln!(r.w, "{without} packets without `expect`: not compared")?;
            }
            writeln!(r.w, "{}/{} packets agree", r.agree, r.expected)?;
            if r.agree != r.expected {
                code = ExitCode::from(1);
            }
        }
        Mode::Show { .. } => {}
    }
    if a.list {
        let listing = match list_after(a, &r) {
            Ok(b) => b,
            Err(e) => fail!(1, "--list: {e}"),
        };
        r.w.write_all(&listing)?;
    }
    Ok(code)
}

/// `iptables [-t TABLE] -L -n -v [-x] [--line-numbers]` after the run: the
/// ruleset with the host's live counters (`Host::copy_counters`).
fn list_after<W: Write>(a: &RunArgs, r: &Runner<'_, W>) -> Result<Vec<u8>, String> {
    use nfsim::model::Table;
    use nfsim::syntax::list::{list_numeric, ListOptions};
    let (prog, mut rs) = if a.list_ipv6 {
        ("ip6tables", r.v6.clone())
    } else {
        ("iptables", r.v4.clone())
    };
    let Ok(kind) = a.list_table.parse::<TableKind>() else {
        return Err(format!(
            "{prog}: can't initialize {prog} table `{}': Table does not exist (do you need to insmod?)",
            a.list_table
        ));
    };
    r.host.copy_counters(&mut rs)?;
    // A table the ruleset does not hold lists empty, as the kernel
    // instantiates it on first use (as `nfsim list`).
    let empty = Table::new(kind, rs.family);
    let table = rs.table(kind).unwrap_or(&empty);
    list_numeric(
        table,
        None,
        ListOptions {
            verbose: true,
            exact: a.exact,
            line_numbers: a.line_numbers,
            rulenum: None,
        },
    )
    .map_err(|e| e.to_string())
}

/// A packet time nfsim's clock can hold.
fn check_time(ms: f64) -> Result<(), String> {
    let max_ms = Instant::MAX_SUPPORTED.as_nanos() as f64 / 1e6;
    if ms.is_finite() && (0.0..=max_ms).contains(&ms) {
        Ok(())
    } else {
        Err(format!(
            "its time {ms} ms is past what nfsim's clock holds ({max_ms:.0} ms)"
        ))
    }
}

fn run_capture<W: Write>(
    r: &mut Runner<'_, W>,
    path: &str,
    in_dev: Option<&str>,
    err: &mut dyn Write,
) -> Result<(), Stop> {
    let mut cap = PcapIn::open(path)?;
    let mut skipped = 0u64;
    let mut first: Option<Duration> = None;
    let mut prev = Duration::ZERO;
    let mut k = 0u64;
    while let Some(c) = cap.next(&mut skipped) {
        let c = c.map_err(|e| format!("--pcap-in {path}: packet {k}: {e}"))?;
        k += 1;
        let t0 = *first.get_or_insert(c.ts);
        let rel = c.ts.checked_sub(t0).unwrap_or_default();
        if c.ts < prev {
            return Err(Stop::Msg(format!(
                "--pcap-in {path}: packet {}: its timestamp is earlier than the one before (time never goes back)",
                k - 1
            )));
        }
        prev = c.ts;
        let dev = match (in_dev, &c.if_name) {
            (Some(d), _) => d.to_string(),
            (None, Some(n)) if r.host.device_index(n).is_some() => n.clone(),
            (None, Some(n)) => {
                return Err(Stop::Msg(format!(
                    "--pcap-in {path}: the capture's interface {n} is not a device of the host: give --in-dev"
                )))
            }
            (None, None) => {
                return Err(Stop::Msg(format!(
                    "--pcap-in {path}: give --in-dev DEV (the device the packets arrive on)"
                )))
            }
        };
        let at_ms = rel.as_nanos() as f64 / 1e6;
        check_time(at_ms).map_err(|e| format!("--pcap-in {path}: packet {}: {e}", k - 1))?;
        r.packet(&Dir::In(dev), &c.bytes, at_ms, None, None, None)?;
    }
    if skipped > 0 {
        let _ = writeln!(
            err,
            "nfsim run: {path}: {skipped} frames without an IPv4/IPv6 packet skipped (ARP...)"
        );
    }
    Ok(())
}
