//! The text of the `LOG` target, byte for byte as the kernel writes it.
//!
//! [`format_log`] produces one kernel log line (without the syslog / kmsg
//! header and without the trailing newline) for a packet, exactly as
//! `net/netfilter/nf_log_syslog.c` does it in Linux 6.x:
//!
//! * `nf_log_ip_packet` / `nf_log_ip6_packet`: `nf_log_dump_packet_common`
//!   (prefix, `IN=%s OUT=%s `, bridge `PHYSIN=`/`PHYSOUT=`), then
//!   `dump_mac_header` **only when there is an input device**, then the
//!   packet dump;
//! * `dump_ipv4_packet` (one level of recursion into the packet quoted by an
//!   ICMP error, between `[` and `] `), `dump_ipv6_packet` (extension header
//!   walk, one level of recursion into ICMPv6 errors);
//! * `nf_log_dump_tcp_header`, `nf_log_dump_udp_header`,
//!   `nf_log_dump_sk_uid_gid` (`UID=`/`GID=`), `MARK=0x%x`;
//! * the line limit of `nf_log_buf_add` (`S_SIZE`): a line longer than
//!   [`LINE_MAX`] bytes is cut to its first [`LINE_MAX`] bytes.
//!
//! A LOG line is the text of the record as `/dev/kmsg` gives it (what the
//! reference recorder reads): the kernel writes the prefix's bytes as they
//! are (`"%s"`), and `/dev/kmsg` writes each byte below 0x20, from 0x7f up,
//! and `\` as `\xNN` (kernel/printk/printk.c `msg_add_ext_text`). So a
//! prefix byte 0xff is `\xff` in the line and `é` (0xc3 0xa9) is
//! `\xc3\xa9` (recorded on 6.18, trace `log-prefix-bytes`); device names
//! go the same way (a device `é\0` is `IN=\xc3\xa9\x5c0`, measured on
//! 6.18). A LOG line is always ASCII, and the bytes are recoverable from
//! it. The line limit counts the
//! kernel's bytes, before this escaping. [`kmsg_escape`] writes bytes so.
//!
//! The kernel reads packet fields with `skb_header_pointer` at fixed offsets
//! and never validates the headers it prints (an inner IPv4 header with a
//! bogus IHL is followed wherever it points). This module does the same over
//! the raw bytes with bounds-checked reads, reproducing every `TRUNCATED` /
//! `INCOMPLETE [%u bytes]` branch, including the kernel's unsigned
//! wrap-around (`INCOMPLETE [4294967294 bytes]`).
//!
//! Followed: `nf_log_syslog.c` as of Linux 6.19/7.0 (`th->ae` printed as
//! `AE`, `iph_totlen`, `ipv6_payload_len`); every branch was checked against
//! lines recorded from the running kernel 6.18.44 (see the tests). The
//! header `include/net/netfilter/nf_log.h` stored in the reference index is
//! older than `NF_LOG_MACDECODE`; the flag values below are those of
//! `include/uapi/linux/netfilter/xt_LOG.h` (`XT_LOG_*`), which the kernel
//! copies unchanged into `nf_loginfo.u.log.logflags`.
//!
//! Not modelled (the caller cannot express them): GSO/BIG TCP packets whose
//! length field is 0 (`iph_totlen`/`ipv6_payload_len` then print `skb->len`),
//! `ARPHRD_SIT` devices (`TUNNEL=`), and the ARP / netdev loggers.
//!
//! Nothing here allocates (output goes to the caller's [`core::fmt::Write`]),
//! reads a clock or panics on any input.

use core::fmt::{self, Write};

use bitflags::bitflags;

use crate::model::Family;
use crate::wire::{icmp::IcmpType, icmpv6::Icmpv6Type, rd_u16, rd_u32, rd_u8, IpProtocol};

/// The longest line the kernel emits, in bytes, without the syslog header.
///
/// `nf_log_buf_add` (net/netfilter/nf_log.c) formats into a buffer of
/// `S_SIZE = 1024 - (sizeof(unsigned int) + 1) = 1019` bytes with
/// `vsnprintf`, which keeps room for its NUL; the first two bytes are
/// `KERN_SOH` and the log level. A line that does not fit is cut after
/// 1016 characters of text (measured on 6.18: lines of 1015 and 1016
/// characters are complete, lines of 1017 and 1018 end after 1016).
pub const LINE_MAX: usize = 1016;

/// Longest prefix the kernel keeps: `nf_log_packet` (net/netfilter/nf_log.c)
/// formats it into `char prefix[NF_LOG_PREFIXLEN]` (128 with the NUL).
/// `iptables` itself limits `--log-prefix` to 29 characters.
pub const PREFIX_MAX: usize = 127;

bitflags! {
    /// The `--log-*` flags of the `LOG` target (`XT_LOG_*` in
    /// include/uapi/linux/netfilter/xt_LOG.h, equal to the kernel's
    /// `NF_LOG_*`).
    ///
    /// ```
    /// use nfsim::host::log::LogFlags;
    /// let f = LogFlags::TCPSEQ | LogFlags::TCPOPT | LogFlags::IPOPT;
    /// assert_eq!(f.bits(), 7);
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LogFlags: u8 {
        /// `--log-tcp-sequence`: `SEQ=` and `ACK=`.
        const TCPSEQ = 0x01;
        /// `--log-tcp-options`: TCP options as `OPT (hex)`.
        const TCPOPT = 0x02;
        /// `--log-ip-options`: IPv4 options as `OPT (hex)`, IPv6 extension
        /// headers as `OPT ( ... )`.
        const IPOPT = 0x04;
        /// `--log-uid`: `UID=`/`GID=` of the local socket.
        const UID = 0x08;
        /// `XT_LOG_NFLOG` (unused by the syslog logger).
        const NFLOG = 0x10;
        /// `--log-macdecode`: `MACSRC= MACDST= MACPROTO=` on Ethernet devices.
        const MACDECODE = 0x20;
    }
}

/// What the `LOG` rule says: its prefix and its flags.
///
/// ```
/// use nfsim::host::log::{LogFlags, LogInfo};
/// let info = LogInfo { prefix: b"drop: ", flags: LogFlags::empty() };
/// assert_eq!(info.prefix, b"drop: ");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogInfo<'a> {
    /// `--log-prefix`: its bytes, printed before `IN=` as `/dev/kmsg`
    /// shows them ([`kmsg_escape`]), cut to [`PREFIX_MAX`] bytes.
    pub prefix: &'a [u8],
    /// `--log-*` flags.
    pub flags: LogFlags,
}

/// The link-layer header of the input device, as `dump_mac_header` sees it
/// (`skb->dev->type`, `hard_header_len`, the bytes at `skb_mac_header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacHeader<'a> {
    /// No link-layer header: a device with `hard_header_len == 0` (tun,
    /// ipip) or `mac_header == network_header`. Prints `MAC= `.
    None,
    /// An `ARPHRD_ETHER` device whose skb has no link-layer header in front
    /// of the network header (`mac_header == network_header`, e.g. the
    /// POSTROUTING of a packet that came in on a tun device and leaves on
    /// Ethernet): `MAC= `, and nothing at all with `--log-macdecode`
    /// (`skb_mac_header_len() < ETH_HLEN`).
    EthernetNoHeader,
    /// An `ARPHRD_ETHER` device (Ethernet, veth, bridge): the header as
    /// received.
    Ethernet {
        /// Destination address.
        dst: [u8; 6],
        /// Source address.
        src: [u8; 6],
        /// Ethertype (0x0800, 0x86dd).
        ethertype: u16,
        /// A VLAN tag held in the skb's metadata (hardware-accelerated,
        /// `skb_vlan_tag_present`): `(vlan_proto, vlan_tci)`. Printed only
        /// with `--log-macdecode` (`VPROTO=%04x VID=%u`, the whole TCI).
        vlan: Option<(u16, u16)>,
    },
    /// The loopback device (`ARPHRD_LOOPBACK`, 14-byte all-zero header
    /// ending in the ethertype). `--log-macdecode` does not decode it: it
    /// falls back to `MAC=` (measured).
    Loopback {
        /// Ethertype (0x0800, 0x86dd).
        ethertype: u16,
    },
    /// Any other device type with a hard header: its bytes, printed as
    /// `MAC=` (`--log-macdecode` falls back to that too).
    Raw(&'a [u8]),
}

/// Devices the packet is logged with: `in` / `out` of the hook, and the
/// input device's link-layer header.
///
/// An empty name means "no device" (the kernel prints `IN=` / `OUT=` with
/// nothing after). The `MAC` part is printed only when `in_dev` is set.
///
/// What the hooks pass (`nf_hook` `state->in` / `state->out`; all measured
/// on 6.18, see the tests):
///
/// | hook | `in_dev` | `out_dev` | `mac` |
/// |---|---|---|---|
/// | PREROUTING, INPUT | receiving device (`lo` for local traffic) | `""` | header as received (`Loopback` on `lo`) |
/// | FORWARD | receiving device | output device | header as received |
/// | OUTPUT | `""` | route's device (`lo` for local destinations) | (unused) |
/// | POSTROUTING, local packet | `""` | output device | (unused) |
/// | POSTROUTING, forwarded | receiving device (`ip_output`'s `indev`) | output device | header as received |
///
/// In POSTROUTING of a forwarded packet `dump_mac_header` looks at
/// `skb->dev`, already the *output* device: its type decides whether
/// `--log-macdecode` applies and whether anything is printed (an output
/// device without a hard header prints `MAC= `), while the bytes are those
/// of the received header. The caller encodes that in `mac`.
///
/// ```
/// use nfsim::host::log::{LogDevs, MacHeader};
/// let d = LogDevs::input("eth0", MacHeader::Loopback { ethertype: 0x0800 });
/// assert_eq!(d.out_dev, "");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogDevs<'a> {
    /// Input device name (PREROUTING, INPUT, FORWARD), or `""`.
    pub in_dev: &'a str,
    /// Output device name (FORWARD, OUTPUT, POSTROUTING), or `""`.
    pub out_dev: &'a str,
    /// The input device's link-layer header (ignored without `in_dev`).
    pub mac: MacHeader<'a>,
    /// Bridge netfilter: the bridge port the packet came in on, or `""`.
    /// Printed as `PHYSIN=` when set and different from `in_dev`.
    pub phys_in: &'a str,
    /// Bridge netfilter: the bridge port the packet goes out of, or `""`.
    /// Printed as `PHYSOUT=` when set and different from `out_dev`.
    pub phys_out: &'a str,
}

impl<'a> LogDevs<'a> {
    /// A packet received on `in_dev` (PREROUTING, INPUT).
    ///
    /// ```
    /// use nfsim::host::log::{LogDevs, MacHeader};
    /// let d = LogDevs::input("lo", MacHeader::Loopback { ethertype: 0x86dd });
    /// assert_eq!(d.in_dev, "lo");
    /// ```
    pub const fn input(in_dev: &'a str, mac: MacHeader<'a>) -> Self {
        LogDevs {
            in_dev,
            out_dev: "",
            mac,
            phys_in: "",
            phys_out: "",
        }
    }

    /// A locally generated packet leaving through `out_dev` (OUTPUT,
    /// POSTROUTING).
    ///
    /// ```
    /// use nfsim::host::log::LogDevs;
    /// assert_eq!(LogDevs::output("eth0").in_dev, "");
    /// ```
    pub const fn output(out_dev: &'a str) -> Self {
        LogDevs {
            in_dev: "",
            out_dev,
            mac: MacHeader::None,
            phys_in: "",
            phys_out: "",
        }
    }

    /// A forwarded packet (FORWARD, or POSTROUTING of a forwarded packet).
    ///
    /// ```
    /// use nfsim::host::log::{LogDevs, MacHeader};
    /// let d = LogDevs::forward("eth0", "eth1", MacHeader::None);
    /// assert_eq!((d.in_dev, d.out_dev), ("eth0", "eth1"));
    /// ```
    pub const fn forward(in_dev: &'a str, out_dev: &'a str, mac: MacHeader<'a>) -> Self {
        LogDevs {
            in_dev,
            out_dev,
            mac,
            phys_in: "",
            phys_out: "",
        }
    }
}

/// Writes the kernel's `LOG` line for `packet` into `out`.
///
/// * `family`: the table's family (`iptables` → IPv4, `ip6tables` → IPv6).
/// * `packet`: the packet from its IP header on, exactly `skb->len` bytes
///   (what the hook sees; for received packets that is the IP total length).
/// * `mark`: `skb->mark` (`MARK=0x%x` when non-zero).
/// * `uid_gid`: `(fsuid, fsgid)` of the file of the full socket attached
///   to the skb in the same network namespace, as `nf_log_dump_sk_uid_gid`
///   finds it; `None` when there is none (always for received packets).
///   Printed only with [`LogFlags::UID`].
///
/// The text has no syslog header and no newline; it usually ends with a
/// space, as the kernel's. It is at most [`LINE_MAX`] bytes long. The only
/// error is one returned by `out`.
///
/// ```
/// use nfsim::host::log::{format_log, LogDevs, LogFlags, LogInfo, MacHeader};
/// use nfsim::model::Family;
/// // UDP 192.0.2.20:50002 -> 192.0.2.1:137, one byte of data.
/// let pkt = nfsim::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
///     .udp(50002, 137)
///     .payload(b"q")
///     .build();
/// let mac = MacHeader::Ethernet {
///     dst: [2, 0, 0, 0, 0, 1],
///     src: [2, 0, 0, 0, 1, 1],
///     ethertype: 0x0800,
///     vlan: None,
/// };
/// let info = LogInfo { prefix: b"drop: ", flags: LogFlags::empty() };
/// let mut line = String::new();
/// format_log(&mut line, Family::Ipv4, &info, &LogDevs::input("eth0", mac), &pkt, 0, None)
///     .unwrap();
/// assert_eq!(
///     line,
///     "drop: IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:01:01:08:00 \
///      SRC=192.0.2.20 DST=192.0.2.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=1 \
///      PROTO=UDP SPT=50002 DPT=137 LEN=9 "
/// );
/// ```
pub fn format_log<W: Write + ?Sized>(
    out: &mut W,
    family: Family,
    info: &LogInfo<'_>,
    devs: &LogDevs<'_>,
    packet: &[u8],
    mark: u32,
    uid_gid: Option<(u32, u32)>,
) -> fmt::Result {
    let mut m = LineBuf {
        out,
        left: LINE_MAX,
    };
    let ctx = Ctx {
        pkt: packet,
        flags: info.flags,
        mark,
        uid_gid,
    };
    dump_packet_common(&mut m, info.prefix, devs)?;
    if !devs.in_dev.is_empty() {
        dump_mac_header(&mut m, info.flags, &devs.mac)?;
    }
    match family {
        Family::Ipv4 => dump_ipv4_packet(&mut m, &ctx, 0),
        Family::Ipv6 => dump_ipv6_packet(&mut m, &ctx, 0, true),
    }
}

/// `struct nf_log_buf` with its `S_SIZE` limit: passes at most `left`
/// bytes through and drops the rest, like `nf_log_buf_add` once full.
struct LineBuf<'w, W: Write + ?Sized> {
    out: &'w mut W,
    left: usize,
}

impl<W: Write + ?Sized> LineBuf<'_, W> {
    /// Bytes the kernel prints as they are (`%s` of a prefix), counted as
    /// bytes against the line limit and written as `/dev/kmsg` shows them.
    fn write_raw(&mut self, b: &[u8]) -> fmt::Result {
        let n = b.len().min(self.left);
        self.left -= n;
        kmsg_escape(self.out, &b[..n])
    }
}

/// Writes bytes as `/dev/kmsg` shows a record's text
/// (kernel/printk/printk.c `msg_add_ext_text`): a byte below 0x20, from
/// 0x7f up, or `\` as `\xNN` (lower-case hex), any other byte as it is.
///
/// ```
/// use nfsim::host::log::kmsg_escape;
/// let mut s = String::new();
/// kmsg_escape(&mut s, b"a\xff\xc3\xa9\\ \t~").unwrap();
/// assert_eq!(s, "a\\xff\\xc3\\xa9\\x5c \\x09~");
/// ```
pub fn kmsg_escape<W: Write + ?Sized>(out: &mut W, b: &[u8]) -> fmt::Result {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if !(b' '..0x7f).contains(&c) || c == b'\\' {
            // b[start..i] is printable ASCII.
            out.write_str(core::str::from_utf8(&b[start..i]).map_err(|_| fmt::Error)?)?;
            write!(out, "\\x{c:02x}")?;
            start = i + 1;
        }
    }
    out.write_str(core::str::from_utf8(&b[start..]).map_err(|_| fmt::Error)?)
}

impl<W: Write + ?Sized> Write for LineBuf<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() <= self.left {
            self.left -= s.len();
            return self.out.write_str(s);
        }
        // Cut on a character boundary (the kernel cuts bytes; everything
        // written here is ASCII: names and prefixes go through write_raw).
        let mut n = self.left;
        while n > 0 && !s.is_char_boundary(n) {
            n -= 1;
        }
        self.left = 0;
        self.out.write_str(s.get(..n).unwrap_or(""))
    }
}

/// A piece of a log line built on the stack: numbers and hex digits
/// without `core::fmt` (whose machinery was most of a line's cost), handed
/// to the line in one `write_str`. The bytes are those of the `write!`
/// calls it stands for (`{}` of an unsigned number, `{:0Nx}` / `{:0NX}`);
/// all ASCII, so the line limit cuts them alike. A piece too long for its
/// buffer is an error, never a cut line.
struct Piece {
    b: [u8; 160],
    n: usize,
    over: bool,
}

impl Piece {
    fn new() -> Piece {
        Piece {
            b: [0; 160],
            n: 0,
            over: false,
        }
    }

    fn s(&mut self, s: &str) -> &mut Piece {
        self.bytes(s.as_bytes())
    }

    fn bytes(&mut self, s: &[u8]) -> &mut Piece {
        match self.b.get_mut(self.n..self.n + s.len()) {
            Some(d) => {
                d.copy_from_slice(s);
                self.n += s.len();
            }
            None => self.over = true,
        }
        self
    }

    /// `{}` of an unsigned number.
    fn dec(&mut self, v: impl Into<u64>) -> &mut Piece {
        let mut d = [0u8; 20];
        self.bytes(crate::model::ext::dec_digits(v.into(), &mut d))
    }

    /// `{:0width$x}` (`upper`: `X`).
    fn hex(&mut self, v: impl Into<u64>, width: usize, upper: bool) -> &mut Piece {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut v: u64 = v.into();
        let mut d = [b'0'; 16];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = digits[(v & 15) as usize];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        let i = i.min(d.len().saturating_sub(width));
        self.bytes(&d[i..])
    }

    /// `%pM`: six lowercase hex bytes separated by colons.
    fn mac(&mut self, a: &[u8; 6]) -> &mut Piece {
        for (i, b) in a.iter().enumerate() {
            if i > 0 {
                self.s(":");
            }
            self.hex(*b, 2, false);
        }
        self
    }

    /// `%pI4` of the four bytes at `at` of `b`.
    fn ipv4(&mut self, b: &[u8], at: usize) -> &mut Piece {
        let [a, c, d, e] = rd_u32(b, at).to_be_bytes();
        self.dec(a).s(".").dec(c).s(".").dec(d).s(".").dec(e)
    }

    /// `%pI6` of the sixteen bytes at `at` of `b`: eight groups of four
    /// lowercase hex digits, never compressed.
    fn ipv6(&mut self, b: &[u8], at: usize) -> &mut Piece {
        for i in 0..8 {
            if i > 0 {
                self.s(":");
            }
            self.hex(rd_u16(b, at + 2 * i), 4, false);
        }
        self
    }

    fn write_to<W: Write + ?Sized>(&self, m: &mut LineBuf<'_, W>) -> fmt::Result {
        if self.over {
            return Err(fmt::Error);
        }
        m.write_str(core::str::from_utf8(&self.b[..self.n]).map_err(|_| fmt::Error)?)
    }
}

/// Per-line facts shared by the nested dumps.
struct Ctx<'p> {
    /// The skb's data from the network header on (`skb->len` bytes).
    pkt: &'p [u8],
    flags: LogFlags,
    mark: u32,
    uid_gid: Option<(u32, u32)>,
}

impl Ctx<'_> {
    /// `skb_header_pointer(skb, off, len, ..)`: the bytes, or `None` when
    /// they are not all in the packet.
    fn header(&self, off: usize, len: usize) -> Option<&[u8]> {
        self.pkt.get(off..off.checked_add(len)?)
    }

    /// `skb->len - off` computed as the kernel does, in `unsigned int`
    /// (wrapping when `off` lies beyond the end of the packet).
    fn left_from(&self, off: usize) -> u32 {
        let len = u32::try_from(self.pkt.len()).unwrap_or(u32::MAX);
        let off = u32::try_from(off).unwrap_or(u32::MAX);
        len.wrapping_sub(off)
    }
}

/// `nf_log_dump_packet_common` (nf_log_syslog.c), without the
/// `KERN_SOH` level bytes.
fn dump_packet_common<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    prefix: &[u8],
    devs: &LogDevs<'_>,
) -> fmt::Result {
    // nf_log_packet: vsnprintf into char prefix[NF_LOG_PREFIXLEN] cuts bytes.
    m.write_raw(&prefix[..prefix.len().min(PREFIX_MAX)])?;
    // Device names are bytes too (`%s`): as /dev/kmsg shows them.
    m.write_str("IN=")?;
    m.write_raw(devs.in_dev.as_bytes())?;
    m.write_str(" OUT=")?;
    m.write_raw(devs.out_dev.as_bytes())?;
    m.write_str(" ")?;
    if !devs.phys_in.is_empty() && devs.phys_in != devs.in_dev {
        m.write_str("PHYSIN=")?;
        m.write_raw(devs.phys_in.as_bytes())?;
        m.write_str(" ")?;
    }
    if !devs.phys_out.is_empty() && devs.phys_out != devs.out_dev {
        m.write_str("PHYSOUT=")?;
        m.write_raw(devs.phys_out.as_bytes())?;
        m.write_str(" ")?;
    }
    Ok(())
}

/// `%pM`: six lowercase hex bytes separated by colons.
fn write_mac<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, a: &[u8; 6]) -> fmt::Result {
    Piece::new().mac(a).write_to(m)
}

/// Hard-header bytes as `dump_mac_header`'s fallback prints them:
/// `%02x` joined by `:`.
fn write_hw_bytes<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            m.write_char(':')?;
        }
        write!(m, "{b:02x}")?;
    }
    Ok(())
}

/// `dump_mac_header` (nf_log_syslog.c).
fn dump_mac_header<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    flags: LogFlags,
    mac: &MacHeader<'_>,
) -> fmt::Result {
    if flags.contains(LogFlags::MACDECODE) {
        if let MacHeader::Ethernet {
            dst,
            src,
            ethertype,
            vlan,
        } = mac
        {
            m.write_str("MACSRC=")?;
            write_mac(m, src)?;
            m.write_str(" MACDST=")?;
            write_mac(m, dst)?;
            m.write_char(' ')?;
            // nf_log_dump_vlan
            if let Some((proto, tci)) = vlan {
                write!(m, "VPROTO={proto:04x} VID={tci} ")?;
            }
            return write!(m, "MACPROTO={ethertype:04x} ");
        }
        if let MacHeader::EthernetNoHeader = mac {
            return Ok(());
        }
        // Other device types fall back to the raw form.
    }
    m.write_str("MAC=")?;
    match mac {
        MacHeader::None | MacHeader::EthernetNoHeader => {}
        MacHeader::Ethernet {
            dst,
            src,
            ethertype,
            ..
        } => {
            let [hi, lo] = ethertype.to_be_bytes();
            Piece::new()
                .mac(dst)
                .s(":")
                .mac(src)
                .s(":")
                .hex(hi, 2, false)
                .s(":")
                .hex(lo, 2, false)
                .write_to(m)?;
        }
        MacHeader::Loopback { ethertype } => {
            let [hi, lo] = ethertype.to_be_bytes();
            write!(m, "00:00:00:00:00:00:00:00:00:00:00:00:{hi:02x}:{lo:02x}")?;
        }
        MacHeader::Raw(bytes) => write_hw_bytes(m, bytes)?,
    }
    m.write_char(' ')
}

/// `%pI4`.
fn write_ipv4<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, b: &[u8], at: usize) -> fmt::Result {
    Piece::new().ipv4(b, at).write_to(m)
}

/// `OPT (` + `%02X` per byte + `) `, as the TCP and IPv4 option dumps do.
fn write_opt_hex<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, bytes: &[u8]) -> fmt::Result {
    m.write_str("OPT (")?;
    // (in pieces: options are at most 40 bytes, 80 digits)
    for part in bytes.chunks(64) {
        let mut p = Piece::new();
        for b in part {
            p.hex(*b, 2, true);
        }
        p.write_to(m)?;
    }
    m.write_str(") ")
}

/// What a transport dump tells its caller: `Stop` is the kernel's
/// `return 1` (header incomplete: the caller returns at once, without
/// `UID=`/`MARK=`).
#[derive(PartialEq, Eq)]
enum Next {
    Go,
    Stop,
}

/// `nf_log_dump_tcp_header` (nf_log_syslog.c).
fn dump_tcp_header<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    ctx: &Ctx<'_>,
    fragment: bool,
    offset: usize,
) -> Result<Next, fmt::Error> {
    m.write_str("PROTO=TCP ")?;
    if fragment {
        return Ok(Next::Go);
    }
    let Some(th) = ctx.header(offset, 20) else {
        write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(offset))?;
        return Ok(Next::Stop);
    };
    let mut p = Piece::new();
    p.s("SPT=")
        .dec(rd_u16(th, 0))
        .s(" DPT=")
        .dec(rd_u16(th, 2))
        .s(" ");
    if ctx.flags.contains(LogFlags::TCPSEQ) {
        p.s("SEQ=")
            .dec(rd_u32(th, 4))
            .s(" ACK=")
            .dec(rd_u32(th, 8))
            .s(" ");
    }
    p.s("WINDOW=").dec(rd_u16(th, 14)).s(" ");
    // (u8)(ntohl(tcp_flag_word(th) & TCP_RESERVED_BITS) >> 22):
    // TCP_RESERVED_BITS is 0x0E000000 in host order of the flag word, i.e.
    // the three bits above AE in byte 12, shifted to 0x38 / 0x30 / ... .
    let doff_byte = rd_u8(th, 12);
    let res = ((u32::from(doff_byte) << 24) & 0x0E00_0000) >> 22;
    p.s("RES=0x").hex(res, 2, false).s(" ");
    let fl = rd_u8(th, 13);
    for (set, name) in [
        (doff_byte & 0x01 != 0, "AE "),
        (fl & 0x80 != 0, "CWR "),
        (fl & 0x40 != 0, "ECE "),
        (fl & 0x20 != 0, "URG "),
        (fl & 0x10 != 0, "ACK "),
        (fl & 0x08 != 0, "PSH "),
        (fl & 0x04 != 0, "RST "),
        (fl & 0x02 != 0, "SYN "),
        (fl & 0x01 != 0, "FIN "),
    ] {
        if set {
            p.s(name);
        }
    }
    p.s("URGP=").dec(rd_u16(th, 18)).s(" ").write_to(m)?;
    let doff = usize::from(doff_byte >> 4) * 4;
    if ctx.flags.contains(LogFlags::TCPOPT) && doff > 20 {
        let Some(op) = ctx.header(offset + 20, doff - 20) else {
            m.write_str("OPT (TRUNCATED)")?;
            return Ok(Next::Stop);
        };
        write_opt_hex(m, op)?;
    }
    Ok(Next::Go)
}

/// `nf_log_dump_udp_header` (nf_log_syslog.c), UDP and UDP-Lite.
fn dump_udp_header<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    ctx: &Ctx<'_>,
    proto: IpProtocol,
    fragment: bool,
    offset: usize,
) -> Result<Next, fmt::Error> {
    if proto == IpProtocol::UDP {
        m.write_str("PROTO=UDP ")?;
    } else {
        m.write_str("PROTO=UDPLITE ")?;
    }
    if fragment {
        return Ok(Next::Go);
    }
    let Some(uh) = ctx.header(offset, 8) else {
        write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(offset))?;
        return Ok(Next::Stop);
    };
    Piece::new()
        .s("SPT=")
        .dec(rd_u16(uh, 0))
        .s(" DPT=")
        .dec(rd_u16(uh, 2))
        .s(" LEN=")
        .dec(rd_u16(uh, 4))
        .s(" ")
        .write_to(m)?;
    Ok(Next::Go)
}

/// `required_len[]` of `dump_ipv4_packet`: bytes an ICMP message of this
/// type must have (from the ICMP header on) to be dumped; 0 = no check.
/// Indexed up to `NR_ICMP_TYPES` (18).
fn icmp_required_len(t: IcmpType) -> u32 {
    match t {
        IcmpType::ECHO_REPLY | IcmpType::ECHO => 4,
        IcmpType::DEST_UNREACH
        | IcmpType::SOURCE_QUENCH
        | IcmpType::REDIRECT
        | IcmpType::TIME_EXCEEDED
        | IcmpType::PARAMETERPROB => 8 + 20,
        IcmpType::TIMESTAMP | IcmpType(14) => 20, // ICMP_TIMESTAMPREPLY
        IcmpType(17) | IcmpType(18) => 12,        // ICMP_ADDRESS, ICMP_ADDRESSREPLY
        _ => 0,
    }
}

/// `dump_ipv4_packet` (nf_log_syslog.c). `iphoff` is 0 for the packet
/// itself and the offset of the quoted header inside an ICMP error (the
/// kernel recurses only when `iphoff == 0`).
fn dump_ipv4_packet<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    ctx: &Ctx<'_>,
    iphoff: usize,
) -> fmt::Result {
    let Some(ih) = ctx.header(iphoff, 20) else {
        return m.write_str("TRUNCATED");
    };
    let tos = rd_u8(ih, 1);
    // iph_totlen(): tot_len (GSO packets with tot_len 0 are not modelled).
    Piece::new()
        .s("SRC=")
        .ipv4(ih, 12)
        .s(" DST=")
        .ipv4(ih, 16)
        .s(" LEN=")
        .dec(rd_u16(ih, 2))
        .s(" TOS=0x")
        .hex(tos & 0x1E, 2, true) // IPTOS_TOS_MASK
        .s(" PREC=0x")
        .hex(tos & 0xE0, 2, true) // IPTOS_PREC_MASK
        .s(" TTL=")
        .dec(rd_u8(ih, 8))
        .s(" ID=")
        .dec(rd_u16(ih, 4))
        .s(" ")
        .write_to(m)?;
    let frag_off = rd_u16(ih, 6);
    if frag_off & 0x8000 != 0 {
        m.write_str("CE ")?;
    }
    if frag_off & 0x4000 != 0 {
        m.write_str("DF ")?;
    }
    if frag_off & 0x2000 != 0 {
        m.write_str("MF ")?;
    }
    let fragoff = frag_off & 0x1FFF;
    if fragoff != 0 {
        write!(m, "FRAG:{fragoff} ")?;
    }
    let fragment = fragoff != 0;
    let ihl = usize::from(rd_u8(ih, 0) & 0x0F) * 4;
    if ctx.flags.contains(LogFlags::IPOPT) && ihl > 20 {
        let Some(op) = ctx.header(iphoff + 20, ihl - 20) else {
            return m.write_str("TRUNCATED");
        };
        write_opt_hex(m, op)?;
    }

    let proto = IpProtocol(rd_u8(ih, 9));
    let thoff = iphoff + ihl;
    match proto {
        IpProtocol::TCP => {
            if dump_tcp_header(m, ctx, fragment, thoff)? == Next::Stop {
                return Ok(());
            }
        }
        IpProtocol::UDP | IpProtocol::UDPLITE => {
            if dump_udp_header(m, ctx, proto, fragment, thoff)? == Next::Stop {
                return Ok(());
            }
        }
        IpProtocol::ICMP => dump_icmp(m, ctx, fragment, iphoff, thoff)?,
        IpProtocol::AH => {
            // Note: the kernel checks the fragment offset *before* printing
            // PROTO=AH (a non-first AH fragment prints no protocol at all).
            if !fragment {
                m.write_str("PROTO=AH ")?;
                match ctx.header(thoff, 12) {
                    None => write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(thoff))?,
                    Some(ah) => write!(m, "SPI=0x{:x} ", rd_u32(ah, 4))?,
                }
            }
        }
        IpProtocol::ESP => {
            m.write_str("PROTO=ESP ")?;
            if !fragment {
                match ctx.header(thoff, 8) {
                    None => write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(thoff))?,
                    Some(eh) => write!(m, "SPI=0x{:x} ", rd_u32(eh, 0))?,
                }
            }
        }
        IpProtocol(p) => write!(m, "PROTO={p} ")?,
    }
    if iphoff == 0 {
        dump_uid_mark(m, ctx)?;
    }
    Ok(())
}

/// The `IPPROTO_ICMP` case of `dump_ipv4_packet`.
fn dump_icmp<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    ctx: &Ctx<'_>,
    fragment: bool,
    iphoff: usize,
    thoff: usize,
) -> fmt::Result {
    m.write_str("PROTO=ICMP ")?;
    if fragment {
        return Ok(());
    }
    let Some(ich) = ctx.header(thoff, 8) else {
        return write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(thoff));
    };
    let t = IcmpType(rd_u8(ich, 0));
    let code = rd_u8(ich, 1);
    Piece::new()
        .s("TYPE=")
        .dec(t.0)
        .s(" CODE=")
        .dec(code)
        .s(" ")
        .write_to(m)?;
    let required = icmp_required_len(t);
    // `skb->len - iphoff - ihl*4 < required_len[type]`, unsigned.
    if required != 0 && ctx.left_from(thoff) < required {
        return write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(thoff));
    }
    match t {
        IcmpType::ECHO_REPLY | IcmpType::ECHO => {
            Piece::new()
                .s("ID=")
                .dec(rd_u16(ich, 4))
                .s(" SEQ=")
                .dec(rd_u16(ich, 6))
                .s(" ")
                .write_to(m)?;
        }
        IcmpType::PARAMETERPROB => {
            write!(m, "PARAMETER={} ", rd_u32(ich, 4) >> 24)?;
        }
        IcmpType::REDIRECT
        | IcmpType::DEST_UNREACH
        | IcmpType::SOURCE_QUENCH
        | IcmpType::TIME_EXCEEDED => {
            if t == IcmpType::REDIRECT {
                m.write_str("GATEWAY=")?;
                write_ipv4(m, ich, 4)?;
                m.write_char(' ')?;
            }
            if iphoff == 0 {
                // Only recurse once.
                m.write_char('[')?;
                dump_ipv4_packet(m, ctx, thoff + 8)?;
                m.write_str("] ")?;
            }
            // ICMP_FRAG_NEEDED
            if t == IcmpType::DEST_UNREACH && code == 4 {
                write!(m, "MTU={} ", rd_u16(ich, 6))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `nf_log_dump_sk_uid_gid` (with `--log-uid`) and `MARK=`, printed for the
/// outer packet only.
fn dump_uid_mark<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, ctx: &Ctx<'_>) -> fmt::Result {
    if ctx.flags.contains(LogFlags::UID) {
        if let Some((uid, gid)) = ctx.uid_gid {
            Piece::new()
                .s("UID=")
                .dec(uid)
                .s(" GID=")
                .dec(gid)
                .s(" ")
                .write_to(m)?;
        }
    }
    if ctx.mark != 0 {
        Piece::new()
            .s("MARK=0x")
            .hex(ctx.mark, 0, false)
            .s(" ")
            .write_to(m)?;
    }
    Ok(())
}

/// `nf_ip6_ext_hdr()`: the headers `dump_ipv6_packet` walks (hop-by-hop,
/// routing, fragment, ESP, AH, none, destination options). Unlike
/// `ipv6_ext_hdr()` it includes ESP.
fn nf_ip6_ext_hdr(p: IpProtocol) -> bool {
    p.is_ipv6_ext_hdr() || p == IpProtocol::ESP
}

/// `dump_ipv6_packet` (nf_log_syslog.c). `recurse` is true for the packet
/// itself, false for the packet quoted by an ICMPv6 error.
fn dump_ipv6_packet<W: Write + ?Sized>(
    m: &mut LineBuf<'_, W>,
    ctx: &Ctx<'_>,
    ip6hoff: usize,
    recurse: bool,
) -> fmt::Result {
    let ipopt = ctx.flags.contains(LogFlags::IPOPT);
    let Some(ih) = ctx.header(ip6hoff, 40) else {
        return m.write_str("TRUNCATED");
    };
    let w = rd_u32(ih, 0);
    // ipv6_payload_len() + sizeof(struct ipv6hdr), printed with %zu
    // (jumbo/BIG TCP packets with payload length 0 are not modelled).
    Piece::new()
        .s("SRC=")
        .ipv6(ih, 8)
        .s(" DST=")
        .ipv6(ih, 24)
        .s(" LEN=")
        .dec(u32::from(rd_u16(ih, 4)) + 40)
        .s(" TC=")
        .dec((w & 0x0ff0_0000) >> 20)
        .s(" HOPLIMIT=")
        .dec(rd_u8(ih, 7))
        .s(" FLOWLBL=")
        .dec(w & 0x000f_ffff)
        .s(" ")
        .write_to(m)?;

    let mut fragment = false;
    let mut ptr = ip6hoff + 40;
    let mut current = IpProtocol(rd_u8(ih, 6));
    while current != IpProtocol::NONE && nf_ip6_ext_hdr(current) {
        let Some(hp) = ctx.header(ptr, 2) else {
            return m.write_str("TRUNCATED");
        };
        let (next, hdrlen_field) = (IpProtocol(rd_u8(hp, 0)), usize::from(rd_u8(hp, 1)));
        if ipopt {
            m.write_str("OPT ( ")?;
        }
        let hdrlen = match current {
            IpProtocol::FRAGMENT => {
                m.write_str("FRAG:")?;
                let Some(fh) = ctx.header(ptr, 8) else {
                    return m.write_str("TRUNCATED ");
                };
                let frag_off = rd_u16(fh, 2);
                write!(m, "{} ", frag_off & 0xFFF8)?;
                if frag_off & 0x0001 != 0 {
                    m.write_str("INCOMPLETE ")?;
                }
                write!(m, "ID:{:08x} ", rd_u32(fh, 4))?;
                if frag_off & 0xFFF8 != 0 {
                    fragment = true;
                }
                8
            }
            IpProtocol::DSTOPTS | IpProtocol::ROUTING | IpProtocol::HOPOPTS => {
                if fragment {
                    if ipopt {
                        m.write_char(')')?;
                    }
                    return Ok(());
                }
                (hdrlen_field + 1) << 3 // ipv6_optlen()
            }
            IpProtocol::AH => {
                if ipopt {
                    m.write_str("AH ")?;
                    if fragment {
                        return m.write_char(')');
                    }
                    let Some(ah) = ctx.header(ptr, 12) else {
                        return write!(m, "INCOMPLETE [{} bytes] )", ctx.left_from(ptr));
                    };
                    write!(m, "SPI=0x{:x} ", rd_u32(ah, 4))?;
                }
                (hdrlen_field + 2) << 2 // ipv6_authlen()
            }
            IpProtocol::ESP => {
                if ipopt {
                    m.write_str("ESP ")?;
                    if fragment {
                        return m.write_char(')');
                    }
                    let Some(eh) = ctx.header(ptr, 8) else {
                        return write!(m, "INCOMPLETE [{} bytes] )", ctx.left_from(ptr));
                    };
                    write!(m, "SPI=0x{:x} )", rd_u32(eh, 0))?;
                }
                // Nothing after ESP can be read: the dump ends here,
                // without PROTO=, UID= or MARK=.
                return Ok(());
            }
            IpProtocol(p) => {
                // Unreachable with nf_ip6_ext_hdr() as it is; kept as the
                // kernel has it.
                return write!(m, "Unknown Ext Hdr {p}");
            }
        };
        if ipopt {
            m.write_str(") ")?;
        }
        current = next;
        ptr += hdrlen;
    }

    match current {
        IpProtocol::TCP => {
            if dump_tcp_header(m, ctx, fragment, ptr)? == Next::Stop {
                return Ok(());
            }
        }
        IpProtocol::UDP | IpProtocol::UDPLITE => {
            if dump_udp_header(m, ctx, current, fragment, ptr)? == Next::Stop {
                return Ok(());
            }
        }
        IpProtocol::ICMPV6 => {
            m.write_str("PROTO=ICMPv6 ")?;
            if !fragment {
                let Some(ic) = ctx.header(ptr, 8) else {
                    return write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(ptr));
                };
                let t = Icmpv6Type(rd_u8(ic, 0));
                write!(m, "TYPE={} CODE={} ", t.0, rd_u8(ic, 1))?;
                match t {
                    Icmpv6Type::ECHO_REQUEST | Icmpv6Type::ECHO_REPLY => {
                        write!(m, "ID={} SEQ={} ", rd_u16(ic, 4), rd_u16(ic, 6))?;
                    }
                    Icmpv6Type::PARAMPROB
                    | Icmpv6Type::DEST_UNREACH
                    | Icmpv6Type::PKT_TOOBIG
                    | Icmpv6Type::TIME_EXCEED => {
                        if t == Icmpv6Type::PARAMPROB {
                            write!(m, "POINTER={:08x} ", rd_u32(ic, 4))?;
                        }
                        if recurse {
                            m.write_char('[')?;
                            dump_ipv6_packet(m, ctx, ptr + 8, false)?;
                            m.write_str("] ")?;
                        }
                        if t == Icmpv6Type::PKT_TOOBIG {
                            write!(m, "MTU={} ", rd_u32(ic, 4))?;
                        }
                    }
                    // MLD query/report/reduction and all others: nothing more.
                    _ => {}
                }
            }
        }
        IpProtocol(p) => write!(m, "PROTO={p} ")?,
    }
    if recurse {
        dump_uid_mark(m, ctx)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Fixtures: packets and the exact lines the `LOG` target of Linux
    //! 6.18.44 wrote for them, read from `/dev/kmsg`: the data file
    //! `src/host/testdata/log_kernel.txt` (how they were recorded and the
    //! format are in its header).
    use super::*;

    enum Dev {
        /// Received on the veth `lb`.
        Veth,
        /// Sent to the loopback (OUTPUT, `OUT=lo`).
        LoOut,
        /// Received on the loopback (INPUT, `IN=lo`).
        LoIn,
        /// Sent out of this device (OUTPUT, POSTROUTING of a local packet).
        Out(String),
        /// Forwarded from the veth `lb` to the veth `lc` (FORWARD,
        /// POSTROUTING): `IN=lb OUT=lc` and the header received on `lb`.
        Fwd,
    }

    struct Fx {
        name: String,
        v6: bool,
        prefix: String,
        flags: u8,
        dev: Dev,
        mark: u32,
        uid: Option<(u32, u32)>,
        /// The packet (for `dstopts` records: `many_dstopts(n)`).
        pkt: Vec<u8>,
        /// `dstopts = n` records (the line-limit fixtures).
        dstopts: Option<usize>,
        line: String,
    }

    /// The recorded fixtures, in file order.
    fn fixtures() -> Vec<Fx> {
        let text = include_str!("testdata/log_kernel.txt");
        let mut out: Vec<Fx> = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let at = || format!("log_kernel.txt:{}: {raw:?}", n + 1);
            let l = raw.trim_end();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                out.push(Fx {
                    name: name.to_string(),
                    v6: false,
                    prefix: String::new(),
                    flags: 0,
                    dev: Dev::Veth,
                    mark: 0,
                    uid: None,
                    pkt: Vec::new(),
                    dstopts: None,
                    line: String::new(),
                });
                continue;
            }
            let (key, value) = raw.split_once(" = ").unwrap_or_else(|| panic!("{}", at()));
            let fx = out.last_mut().unwrap_or_else(|| panic!("{}", at()));
            let quoted = || {
                value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("{}", at()))
                    .to_string()
            };
            let hex32 = |v: &str| {
                u32::from_str_radix(v.trim_start_matches("0x"), 16)
                    .unwrap_or_else(|_| panic!("{}", at()))
            };
            match key {
                "family" => fx.v6 = value == "ipv6",
                "flags" => fx.flags = u8::try_from(hex32(value)).expect("flags fit a byte"),
                "dev" => {
                    fx.dev = match value {
                        "veth" => Dev::Veth,
                        "lo-out" => Dev::LoOut,
                        "lo-in" => Dev::LoIn,
                        "fwd" => Dev::Fwd,
                        _ => Dev::Out(
                            value
                                .strip_prefix("out:")
                                .unwrap_or_else(|| panic!("{}", at()))
                                .to_string(),
                        ),
                    }
                }
                "mark" => fx.mark = hex32(value),
                "uid" => {
                    fx.uid = value
                        .split_once(',')
                        .map(|(u, g)| (u.parse().expect("uid"), g.parse().expect("gid")))
                }
                "prefix" => fx.prefix = quoted(),
                "packet" => {
                    fx.pkt = (0..value.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&value[i..i + 2], 16).expect("hex"))
                        .collect()
                }
                "dstopts" => {
                    let n = value.parse().expect("dstopts count");
                    fx.dstopts = Some(n);
                    fx.pkt = many_dstopts(n);
                }
                "line" => fx.line = quoted(),
                _ => panic!("unknown key: {}", at()),
            }
        }
        out
    }

    /// A fixture-shaped description of a packet the tests make up.
    fn made_up(v6: bool, flags: u8, mark: u32) -> Fx {
        Fx {
            name: "p".into(),
            v6,
            prefix: "p: ".into(),
            flags,
            dev: Dev::Veth,
            mark,
            uid: Some((1, 2)),
            pkt: Vec::new(),
            dstopts: None,
            line: String::new(),
        }
    }

    /// `spec/examples/basic-server.json`: the UDP packet with a LOG line
    /// (192.0.2.20:50002 -> 192.0.2.1:137, one byte `q`, ID 1, TTL 64).
    fn basic_server_udp() -> Vec<u8> {
        crate::wire::PacketBuilder::ipv4([192, 0, 2, 20].into(), [192, 0, 2, 1].into())
            .udp(50002, 137)
            .payload(b"q")
            .build()
    }

    const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0xbb, 0x02];
    const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0xaa, 0x01];

    fn family(v6: bool) -> Family {
        if v6 {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }

    fn ethertype(v6: bool) -> u16 {
        if v6 {
            0x86dd
        } else {
            0x0800
        }
    }

    fn devs(dev: &Dev, v6: bool) -> LogDevs<'_> {
        match dev {
            Dev::Veth => LogDevs::input(
                "lb",
                MacHeader::Ethernet {
                    dst: MAC_B,
                    src: MAC_A,
                    ethertype: ethertype(v6),
                    vlan: None,
                },
            ),
            Dev::LoOut => LogDevs::output("lo"),
            Dev::LoIn => LogDevs::input(
                "lo",
                MacHeader::Loopback {
                    ethertype: ethertype(v6),
                },
            ),
            Dev::Out(name) => LogDevs::output(name),
            Dev::Fwd => LogDevs::forward(
                "lb",
                "lc",
                MacHeader::Ethernet {
                    dst: MAC_B,
                    src: MAC_A,
                    ethertype: ethertype(v6),
                    vlan: None,
                },
            ),
        }
    }

    fn run(fx: &Fx, pkt: &[u8]) -> String {
        let info = LogInfo {
            prefix: fx.prefix.as_bytes(),
            flags: LogFlags::from_bits_retain(fx.flags),
        };
        let mut s = String::new();
        format_log(
            &mut s,
            family(fx.v6),
            &info,
            &devs(&fx.dev, fx.v6),
            pkt,
            fx.mark,
            fx.uid,
        )
        .expect("String never fails");
        s
    }

    #[test]
    fn piece_writes_what_format_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for k in 0..3000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = match k % 4 {
                0 => x,
                1 => x & 0xff,
                2 => x & 0xffff,
                _ => u64::from(k),
            };
            let mut p = Piece::new();
            p.dec(v)
                .s(" ")
                .hex(v, 0, false)
                .s(" ")
                .hex(v, 2, true)
                .s(" ");
            p.hex(v & 0xffff, 4, false)
                .s(" ")
                .hex(v & 0xffff_ffff, 8, false);
            let mut got = String::new();
            let mut m = LineBuf {
                out: &mut got,
                left: LINE_MAX,
            };
            p.write_to(&mut m).unwrap();
            let want = format!(
                "{v} {v:x} {v:02X} {:04x} {:08x}",
                v & 0xffff,
                v & 0xffff_ffff
            );
            assert_eq!(got, want);
        }
        let mut p = Piece::new();
        p.mac(&[2, 0, 0xab, 0, 1, 0xff])
            .s(" ")
            .ipv4(&[192, 0, 2, 1], 0)
            .s(" ");
        p.ipv6(
            &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            0,
        );
        let mut got = String::new();
        p.write_to(&mut LineBuf {
            out: &mut got,
            left: LINE_MAX,
        })
        .unwrap();
        assert_eq!(
            got,
            "02:00:ab:00:01:ff 192.0.2.1 2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        // Too long for the buffer: an error, not a cut line.
        let mut p = Piece::new();
        for _ in 0..40 {
            p.s("0123456789");
        }
        let mut s = String::new();
        assert!(p
            .write_to(&mut LineBuf {
                out: &mut s,
                left: LINE_MAX,
            })
            .is_err());
    }

    #[test]
    fn kernel_fixtures() {
        let fixtures = fixtures();
        assert_eq!(fixtures.len(), 128);
        let mut bad = 0;
        for fx in &fixtures {
            let got = run(fx, &fx.pkt);
            if got != fx.line {
                bad += 1;
                eprintln!("{}:\n  kernel: {:?}\n  ours:   {:?}", fx.name, fx.line, got);
            }
        }
        assert_eq!(bad, 0, "{bad} of {} fixtures differ", fixtures.len());
    }

    /// The example trace `spec/examples/basic-server.json` (recorded from
    /// 6.18): a UDP packet logged with prefix `drop: ` on `eth0`.
    #[test]
    fn reference_trace_line() {
        let pkt = &basic_server_udp();
        let mac = MacHeader::Ethernet {
            dst: [2, 0, 0, 0, 0, 1],
            src: [2, 0, 0, 0, 1, 1],
            ethertype: 0x0800,
            vlan: None,
        };
        let info = LogInfo {
            prefix: b"drop: ",
            flags: LogFlags::empty(),
        };
        let mut s = String::new();
        format_log(
            &mut s,
            Family::Ipv4,
            &info,
            &LogDevs::input("eth0", mac),
            pkt,
            0,
            None,
        )
        .unwrap();
        assert_eq!(
            s,
            "drop: IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:01:01:08:00 SRC=192.0.2.20 \
             DST=192.0.2.1 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=50002 DPT=137 LEN=9 "
        );
    }

    /// IPv6 packets with `n` destination-options headers (PadN only) and
    /// one more before a UDP header 1 -> 2, exactly as sent for the
    /// line-limit fixtures.
    fn many_dstopts(n: usize) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 60, 64];
        p.extend_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99,
        ]);
        p.extend_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
        ]);
        for _ in 0..n - 1 {
            p.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
        }
        p.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0xa3, 0xcc]);
        let plen = u16::try_from(p.len() - 40).unwrap().to_be_bytes();
        p[4] = plen[0];
        p[5] = plen[1];
        p
    }

    /// Lines at and beyond the `nf_log_buf` limit (1015 to 1018 characters
    /// before the cut, and two far longer ones), recorded like the others
    /// with all of `--log-tcp-sequence --log-tcp-options --log-ip-options`.
    #[test]
    fn line_limit() {
        let big: Vec<Fx> = fixtures()
            .into_iter()
            .filter(|fx| fx.dstopts.is_some())
            .collect();
        assert_eq!(big.len(), 6);
        for fx in &big {
            let got = run(fx, &fx.pkt);
            assert_eq!(got, fx.line, "{}", fx.name);
            assert!(got.len() <= LINE_MAX);
        }
        assert_eq!(big[1].line.len(), 1016);
        assert_eq!(big[2].line.len(), 1015);
    }

    /// Every prefix of every fixture packet, and every packet with one
    /// byte flipped: never a panic, never more than `LINE_MAX`.
    #[test]
    fn no_panic_on_cut_or_damaged_packets() {
        for fx in fixtures().iter().filter(|fx| fx.dstopts.is_none()) {
            for n in 0..=fx.pkt.len() {
                let s = run(fx, &fx.pkt[..n]);
                assert!(s.len() <= LINE_MAX);
            }
            let mut p = fx.pkt.to_vec();
            for i in 0..p.len() {
                for x in [0x00, 0xff, 0x0f, 0xf0] {
                    let old = p[i];
                    p[i] = x;
                    let s = run(fx, &p);
                    assert!(s.len() <= LINE_MAX);
                    p[i] = old;
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes(pkt in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
                           v6: bool, flags: u8, mark: u32) {
            let fx = made_up(v6, flags, mark);
            let s = run(&fx, &pkt);
            proptest::prop_assert!(s.len() <= LINE_MAX);
        }
    }

    // The branches below were not recorded (the test setup cannot produce
    // them); they follow nf_log_syslog.c as written.

    fn line_with(devs: &LogDevs<'_>, flags: LogFlags) -> String {
        let pkt = &basic_server_udp();
        let info = LogInfo { prefix: b"", flags };
        let mut s = String::new();
        format_log(&mut s, Family::Ipv4, &info, devs, pkt, 0, None).unwrap();
        s
    }

    #[test]
    fn mac_forms_not_recorded() {
        // nf_log_dump_vlan: VPROTO/VID between MACDST and MACPROTO.
        let mac = MacHeader::Ethernet {
            dst: MAC_B,
            src: MAC_A,
            ethertype: 0x0800,
            vlan: Some((0x8100, 0x2064)),
        };
        let s = line_with(&LogDevs::input("eth0", mac), LogFlags::MACDECODE);
        assert!(s.starts_with(
            "IN=eth0 OUT= MACSRC=02:00:00:00:aa:01 MACDST=02:00:00:00:bb:02 VPROTO=8100 VID=8292 MACPROTO=0800 SRC="
        ));
        // No hard header: "MAC= ".
        let s = line_with(
            &LogDevs::input("tun0", MacHeader::None),
            LogFlags::MACDECODE,
        );
        assert!(s.starts_with("IN=tun0 OUT= MAC= SRC="));
        // Ethernet device, no header in front of the network header.
        let s = line_with(
            &LogDevs::input("e0", MacHeader::EthernetNoHeader),
            LogFlags::MACDECODE,
        );
        assert!(s.starts_with("IN=e0 OUT= SRC="));
        let s = line_with(
            &LogDevs::input("e0", MacHeader::EthernetNoHeader),
            LogFlags::empty(),
        );
        assert!(s.starts_with("IN=e0 OUT= MAC= SRC="));
        // Another device type: raw bytes.
        let s = line_with(
            &LogDevs::input("x0", MacHeader::Raw(&[1, 0xab])),
            LogFlags::empty(),
        );
        assert!(s.starts_with("IN=x0 OUT= MAC=01:ab SRC="));
        // Forwarded: IN, OUT, MAC.
        let s = line_with(
            &LogDevs::forward("a", "b", MacHeader::Raw(&[])),
            LogFlags::empty(),
        );
        assert!(s.starts_with("IN=a OUT=b MAC= SRC="));
        // Bridge ports.
        let mut d = LogDevs::forward("br0", "br0", MacHeader::None);
        d.phys_in = "veth1";
        d.phys_out = "br0";
        let s = line_with(&d, LogFlags::empty());
        assert!(
            s.starts_with("IN=br0 OUT=br0 PHYSIN=veth1 MAC= SRC="),
            "{s}"
        );
    }

    #[test]
    fn prefix_cut_at_127_bytes() {
        let long = "x".repeat(200);
        let pkt = &basic_server_udp();
        let info = LogInfo {
            prefix: long.as_bytes(),
            flags: LogFlags::empty(),
        };
        let mut s = String::new();
        format_log(
            &mut s,
            Family::Ipv4,
            &info,
            &LogDevs::output("o"),
            pkt,
            0,
            None,
        )
        .unwrap();
        assert!(s.starts_with(&format!("{}IN= OUT=o SRC=", "x".repeat(127))));
    }

    /// A prefix's bytes as `/dev/kmsg` shows them, recorded on 6.18 (see
    /// `tests/bytes.rs`): 0xff and é (0xc3 0xa9) as `\xNN`, the cut at 127
    /// bytes counted before escaping, inside a character.
    #[test]
    fn prefix_bytes_as_kmsg_shows_them() {
        let line = |prefix: &[u8]| {
            let info = LogInfo {
                prefix,
                flags: LogFlags::empty(),
            };
            let mut s = String::new();
            format_log(
                &mut s,
                Family::Ipv4,
                &info,
                &LogDevs::output("o"),
                &basic_server_udp(),
                0,
                None,
            )
            .unwrap();
            s
        };
        assert!(line(b"a\xff\xc3\xa9\\: ").starts_with("a\\xff\\xc3\\xa9\\x5c: IN= OUT=o "));
        let mut long = vec![b'x'; 126];
        long.extend_from_slice("\u{e9}".as_bytes());
        assert!(line(&long).starts_with(&format!("{}\\xc3IN= OUT=o ", "x".repeat(126))));
        // Device names the same way: a LOG rule on a host whose device is
        // `é\0` printed `IN=\xc3\xa9\x5c0 OUT= MAC=...` (6.18, /dev/kmsg).
        let info = LogInfo {
            prefix: b"d: ",
            flags: LogFlags::empty(),
        };
        let mut s = String::new();
        format_log(
            &mut s,
            Family::Ipv4,
            &info,
            &LogDevs::output("\u{e9}\\0"),
            &basic_server_udp(),
            0,
            None,
        )
        .unwrap();
        assert!(s.starts_with("d: IN= OUT=\\xc3\\xa9\\x5c0 SRC="), "{s}");
    }
}
