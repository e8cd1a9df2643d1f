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
    write!(
        m,
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        a[0], a[1], a[2], a[3], a[4], a[5]
    )
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
            write_mac(m, dst)?;
            m.write_char(':')?;
            write_mac(m, src)?;
            let [hi, lo] = ethertype.to_be_bytes();
            write!(m, ":{hi:02x}:{lo:02x}")?;
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
    let [a, c, d, e] = rd_u32(b, at).to_be_bytes();
    write!(m, "{a}.{c}.{d}.{e}")
}

/// `%pI6`: eight groups of four lowercase hex digits, never compressed.
fn write_ipv6<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, b: &[u8], at: usize) -> fmt::Result {
    for i in 0..8 {
        if i > 0 {
            m.write_char(':')?;
        }
        write!(m, "{:04x}", rd_u16(b, at + 2 * i))?;
    }
    Ok(())
}

/// `OPT (` + `%02X` per byte + `) `, as the TCP and IPv4 option dumps do.
fn write_opt_hex<W: Write + ?Sized>(m: &mut LineBuf<'_, W>, bytes: &[u8]) -> fmt::Result {
    m.write_str("OPT (")?;
    for b in bytes {
        write!(m, "{b:02X}")?;
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
    write!(m, "SPT={} DPT={} ", rd_u16(th, 0), rd_u16(th, 2))?;
    if ctx.flags.contains(LogFlags::TCPSEQ) {
        write!(m, "SEQ={} ACK={} ", rd_u32(th, 4), rd_u32(th, 8))?;
    }
    write!(m, "WINDOW={} ", rd_u16(th, 14))?;
    // (u8)(ntohl(tcp_flag_word(th) & TCP_RESERVED_BITS) >> 22):
    // TCP_RESERVED_BITS is 0x0E000000 in host order of the flag word, i.e.
    // the three bits above AE in byte 12, shifted to 0x38 / 0x30 / ... .
    let doff_byte = rd_u8(th, 12);
    let res = ((u32::from(doff_byte) << 24) & 0x0E00_0000) >> 22;
    write!(m, "RES=0x{res:02x} ")?;
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
            m.write_str(name)?;
        }
    }
    write!(m, "URGP={} ", rd_u16(th, 18))?;
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
    write!(
        m,
        "SPT={} DPT={} LEN={} ",
        rd_u16(uh, 0),
        rd_u16(uh, 2),
        rd_u16(uh, 4)
    )?;
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
    m.write_str("SRC=")?;
    write_ipv4(m, ih, 12)?;
    m.write_str(" DST=")?;
    write_ipv4(m, ih, 16)?;
    let tos = rd_u8(ih, 1);
    // iph_totlen(): tot_len (GSO packets with tot_len 0 are not modelled).
    write!(
        m,
        " LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={} ",
        rd_u16(ih, 2),
        tos & 0x1E, // IPTOS_TOS_MASK
        tos & 0xE0, // IPTOS_PREC_MASK
        rd_u8(ih, 8),
        rd_u16(ih, 4)
    )?;
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
    write!(m, "TYPE={} CODE={} ", t.0, code)?;
    let required = icmp_required_len(t);
    // `skb->len - iphoff - ihl*4 < required_len[type]`, unsigned.
    if required != 0 && ctx.left_from(thoff) < required {
        return write!(m, "INCOMPLETE [{} bytes] ", ctx.left_from(thoff));
    }
    match t {
        IcmpType::ECHO_REPLY | IcmpType::ECHO => {
            write!(m, "ID={} SEQ={} ", rd_u16(ich, 4), rd_u16(ich, 6))?;
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
            write!(m, "UID={uid} GID={gid} ")?;
        }
    }
    if ctx.mark != 0 {
        write!(m, "MARK=0x{:x} ", ctx.mark)?;
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
    m.write_str("SRC=")?;
    write_ipv6(m, ih, 8)?;
    m.write_str(" DST=")?;
    write_ipv6(m, ih, 24)?;
    let w = rd_u32(ih, 0);
    // ipv6_payload_len() + sizeof(struct ipv6hdr), printed with %zu
    // (jumbo/BIG TCP packets with payload length 0 are not modelled).
    write!(
        m,
        " LEN={} TC={} HOPLIMIT={} FLOWLBL={} ",
        usize::from(rd_u16(ih, 4)) + 40,
        (w & 0x0ff0_0000) >> 20,
        rd_u8(ih, 7),
        w & 0x000f_ffff
    )?;

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
    //! 6.18.44 (`uname -r`: 6.18.44-fc-v657, `iptables-legacy` 1.8.9) wrote
    //! for them, read from `/dev/kmsg`. Packets were sent with an AF_PACKET
    //! socket over a veth pair between two network namespaces (the logging
    //! side's interface is `lb`, MAC 02:00:00:00:bb:02; the peer is
    //! 02:00:00:00:aa:01) and logged by `-t raw -A PREROUTING -j LOG` (or
    //! `-t mangle` after `-j MARK`), with the prefix `<name>: ` and the
    //! flags given; the `lo*`/`out*`/`post*` lines come from a UDP socket
    //! of uid 4242 / gid 4343 logged in OUTPUT / POSTROUTING / INPUT, the
    //! `fw*` lines from a packet forwarded from `lb` to a second veth `lc`.
    use super::*;

    enum Dev {
        /// Received on the veth `lb`.
        Veth,
        /// Sent to the loopback (OUTPUT, `OUT=lo`).
        LoOut,
        /// Received on the loopback (INPUT, `IN=lo`).
        LoIn,
        /// Sent out of this device (OUTPUT, POSTROUTING of a local packet).
        Out(&'static str),
        /// Forwarded from the veth `lb` to the veth `lc` (FORWARD,
        /// POSTROUTING): `IN=lb OUT=lc` and the header received on `lb`.
        Fwd,
    }

    struct Fx {
        name: &'static str,
        v6: bool,
        prefix: &'static str,
        flags: u8,
        dev: Dev,
        mark: u32,
        uid: Option<(u32, u32)>,
        pkt: &'static [u8],
        line: &'static str,
    }

    /// `spec/examples/basic-server.json`: the UDP packet with a LOG line.
    const BASIC_SERVER_UDP: &[u8] = &[
        0x45, 0x00, 0x00, 0x1d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xf6, 0xb9, 0xc0, 0x00, 0x02,
        0x14, 0xc0, 0x00, 0x02, 0x01, 0xc3, 0x52, 0x00, 0x89, 0x00, 0x09, 0x46, 0xea, 0x71,
    ];

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

    fn devs(dev: &Dev, v6: bool) -> LogDevs<'static> {
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
    fn kernel_fixtures() {
        assert!(FIXTURES.len() >= 122);
        let mut bad = 0;
        for fx in FIXTURES {
            let got = run(fx, fx.pkt);
            if got != fx.line {
                bad += 1;
                eprintln!("{}:\n  kernel: {:?}\n  ours:   {:?}", fx.name, fx.line, got);
            }
        }
        assert_eq!(bad, 0, "{bad} of {} fixtures differ", FIXTURES.len());
    }

    /// The example trace `spec/examples/basic-server.json` (recorded from
    /// 6.18): a UDP packet logged with prefix `drop: ` on `eth0`.
    #[test]
    fn reference_trace_line() {
        let pkt = BASIC_SERVER_UDP;
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
        for (name, n, line) in BIG {
            let prefix = format!("{name}: ");
            let fx = Fx {
                name,
                v6: true,
                prefix: Box::leak(prefix.into_boxed_str()),
                flags: 0x07,
                dev: Dev::Veth,
                mark: 0,
                uid: None,
                pkt: &[],
                line,
            };
            let got = run(&fx, &many_dstopts(*n));
            assert_eq!(got, *line, "{name}");
            assert!(got.len() <= LINE_MAX);
        }
        assert_eq!(BIG[1].2.len(), 1016);
        assert_eq!(BIG[2].2.len(), 1015);
    }

    /// Every prefix of every fixture packet, and every packet with one
    /// byte flipped: never a panic, never more than `LINE_MAX`.
    #[test]
    fn no_panic_on_cut_or_damaged_packets() {
        for fx in FIXTURES {
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
            let fx = Fx { name: "p", v6, prefix: "p: ", flags, dev: Dev::Veth, mark, uid: Some((1, 2)), pkt: &[], line: "" };
            let s = run(&fx, &pkt);
            proptest::prop_assert!(s.len() <= LINE_MAX);
        }
    }

    // The branches below were not recorded (the test setup cannot produce
    // them); they follow nf_log_syslog.c as written.

    fn line_with(devs: &LogDevs<'_>, flags: LogFlags) -> String {
        let pkt = BASIC_SERVER_UDP;
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
        let pkt = BASIC_SERVER_UDP;
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
                BASIC_SERVER_UDP,
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
            BASIC_SERVER_UDP,
            0,
            None,
        )
        .unwrap();
        assert!(s.starts_with("d: IN= OUT=\\xc3\\xa9\\x5c0 SRC="), "{s}");
    }

    /// Kernel lines for the `BIG` packets (`many_dstopts(n)`): name, n, line.
    const BIG: &[(&str, usize, &str)] = &[
    ("v6overflow", 131, "v6overflow: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=1096 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( )"),
    ("v6nearflow", 122, "v6nearflow: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=1024 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( )"),
    ("e1015", 100, "e1015: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=848 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=UDP SPT=1 DPT=2 LEN=8 "),
    ("ee1016", 100, "ee1016: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=848 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=UDP SPT=1 DPT=2 LEN=8 "),
    ("eee1017", 100, "eee1017: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=848 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=UDP SPT=1 DPT=2 LEN=8"),
    ("eeee1018", 100, "eeee1018: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=848 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) OPT ( ) PROTO=UDP SPT=1 DPT=2 LEN="),
    ];

    const FIXTURES: &[Fx] = &[
    Fx {
        name: "v4udp",
        v6: false,
        prefix: "v4udp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xcc, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x00, 0x35, 0x00, 0x0d, 0xca, 0xbf, 0x68, 0x65, 0x6c, 0x6c,
            0x6f,
        ],
        line: "v4udp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=33 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=40000 DPT=53 LEN=13 ",
    },
    Fx {
        name: "v4udpnp",
        v6: false,
        prefix: "",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1d, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xd0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x41, 0x00, 0x89, 0x00, 0x09, 0x96, 0x44, 0x78,
        ],
        line: "IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=29 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=40001 DPT=137 LEN=9 ",
    },
    Fx {
        name: "v4syn",
        v6: false,
        prefix: "v4syn: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x10, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xe5, 0xdf, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x07, 0x5b, 0xcd, 0x15, 0x00, 0x00, 0x00, 0x00,
            0xa0, 0x02, 0xfa, 0xf0, 0xa5, 0x39, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
            0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ],
        line: "v4syn: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=60 TOS=0x10 PREC=0x00 TTL=64 ID=0 DF PROTO=TCP SPT=40000 DPT=22 SEQ=123456789 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0001E2400000000001030307) ",
    },
    Fx {
        name: "v4synnoopt",
        v6: false,
        prefix: "v4synnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0xb8, 0x00, 0x3c, 0x00, 0x07, 0x40, 0x00, 0x40, 0x06, 0xe5, 0x30, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x07, 0x5b, 0xcd, 0x15, 0x00, 0x00, 0x00, 0x00,
            0xa0, 0x02, 0xfa, 0xf0, 0xa5, 0x39, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
            0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ],
        line: "v4synnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=60 TOS=0x18 PREC=0xA0 TTL=64 ID=7 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ",
    },
    Fx {
        name: "v4flags",
        v6: false,
        prefix: "v4flags: ",
        flags: 0x01,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0xff, 0x00, 0x2b, 0x12, 0x34, 0x00, 0x00, 0xff, 0x06, 0x53, 0xcd, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00,
            0x5f, 0xff, 0x00, 0x00, 0x01, 0xe0, 0x04, 0xd2, 0x61, 0x62, 0x63,
        ],
        line: "v4flags: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=43 TOS=0x1E PREC=0xE0 TTL=255 ID=4660 PROTO=TCP SPT=1 DPT=65535 SEQ=4294967295 ACK=2147483648 WINDOW=0 RES=0x38 AE CWR ECE URG ACK PSH RST SYN FIN URGP=1234 ",
    },
    Fx {
        name: "v4tcptrunc",
        v6: false,
        prefix: "v4tcptrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x13, 0xda, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4tcptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP INCOMPLETE [10 bytes] ",
    },
    Fx {
        name: "v4tcpopttrunc",
        v6: false,
        prefix: "v4tcpopttrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x13, 0xc8, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0xf0, 0x02, 0xfa, 0xf0, 0x1f, 0xc2, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
        ],
        line: "v4tcpopttrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP SPT=40000 DPT=22 SEQ=0 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (TRUNCATED)",
    },
    Fx {
        name: "v4ipopt",
        v6: false,
        prefix: "v4ipopt: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x47, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x7b, 0xc3, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x03, 0xe8, 0x07, 0xd0,
            0x00, 0x08, 0x9f, 0x59,
        ],
        line: "v4ipopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 OPT (9404000001010100) PROTO=UDP SPT=1000 DPT=2000 LEN=8 ",
    },
    Fx {
        name: "v4ipoptoff",
        v6: false,
        prefix: "v4ipoptoff: ",
        flags: 0x02,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x46, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x7e, 0xc8, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x94, 0x04, 0x00, 0x00, 0x03, 0xe8, 0x07, 0xd0, 0x00, 0x08, 0x9f, 0x59,
        ],
        line: "v4ipoptoff: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1000 DPT=2000 LEN=8 ",
    },
    Fx {
        name: "v4echo",
        v6: false,
        prefix: "v4echo: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xd1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x08, 0x00, 0x77, 0xe3, 0x04, 0xd2, 0x00, 0x07, 0x70, 0x69, 0x6e, 0x67,
            0x70, 0x69, 0x6e, 0x67, 0x70, 0x69, 0x6e, 0x67, 0x70, 0x69, 0x6e, 0x67,
        ],
        line: "v4echo: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=8 CODE=0 ID=1234 SEQ=7 ",
    },
    Fx {
        name: "v4echoreply",
        v6: false,
        prefix: "v4echoreply: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
        ],
        line: "v4echoreply: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=0 CODE=0 ID=65535 SEQ=65535 ",
    },
    Fx {
        name: "v4unreach",
        v6: false,
        prefix: "v4unreach: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x03, 0x0c, 0x07, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4unreach: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 PROTO=UDP SPT=33000 DPT=53 LEN=20 ] ",
    },
    Fx {
        name: "v4fragneeded",
        v6: false,
        prefix: "v4fragneeded: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x04, 0x48, 0x27, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x3c,
            0x10, 0xe1, 0x40, 0x00, 0x40, 0x06, 0xc3, 0x9f, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0xad, 0x9c, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x05,
        ],
        line: "v4fragneeded: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=4 [SRC=198.51.100.2 DST=203.0.113.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=TCP INCOMPLETE [8 bytes] ] MTU=1400 ",
    },
    Fx {
        name: "v4fragneededfull",
        v6: false,
        prefix: "v4fragneededfull: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x58, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xa5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x04, 0x5e, 0x66, 0x00, 0x00, 0x05, 0x00, 0x45, 0x00, 0x00, 0x3c,
            0x10, 0xe1, 0x40, 0x00, 0x40, 0x06, 0xc3, 0x9f, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0xad, 0x9c, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
            0x55, 0x35, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40,
            0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ],
        line: "v4fragneededfull: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=88 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=4 [SRC=198.51.100.2 DST=203.0.113.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=TCP SPT=44444 DPT=443 SEQ=5 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0001E2400000000001030307) ] MTU=1280 ",
    },
    Fx {
        name: "v4timeexc",
        v6: false,
        prefix: "v4timeexc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0b, 0x00, 0xf4, 0xff, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x20,
            0x00, 0x37, 0x00, 0x00, 0x01, 0x01, 0x53, 0x6b, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x08, 0x00, 0x32, 0xeb, 0x00, 0x4d, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64,
        ],
        line: "v4timeexc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=11 CODE=0 [SRC=198.51.100.2 DST=203.0.113.5 LEN=32 TOS=0x00 PREC=0x00 TTL=1 ID=55 PROTO=ICMP TYPE=8 CODE=0 ID=77 SEQ=1 ] ",
    },
    Fx {
        name: "v4redirect",
        v6: false,
        prefix: "v4redirect: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x05, 0x01, 0xde, 0xd6, 0xc6, 0x33, 0x64, 0xfe, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4redirect: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=5 CODE=1 GATEWAY=198.51.100.254 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 PROTO=UDP SPT=33000 DPT=53 LEN=20 ] ",
    },
    Fx {
        name: "v4paramprob",
        v6: false,
        prefix: "v4paramprob: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0c, 0x00, 0xef, 0x09, 0x14, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4paramprob: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=12 CODE=0 PARAMETER=20 ",
    },
    Fx {
        name: "v4srcquench",
        v6: false,
        prefix: "v4srcquench: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x04, 0x00, 0x0b, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4srcquench: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=4 CODE=0 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 PROTO=UDP SPT=33000 DPT=53 LEN=20 ] ",
    },
    Fx {
        name: "v4tstamp",
        v6: false,
        prefix: "v4tstamp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xdd, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0d, 0x00, 0xf2, 0xfc, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4tstamp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=13 CODE=0 INCOMPLETE [12 bytes] ",
    },
    Fx {
        name: "v4unknownicmp",
        v6: false,
        prefix: "v4unknownicmp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x2a, 0x09, 0xd5, 0xf6, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4unknownicmp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=42 CODE=9 ",
    },
    Fx {
        name: "v4icmptrunc",
        v6: false,
        prefix: "v4icmptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x18, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x08, 0x00, 0x00, 0x00,
        ],
        line: "v4icmptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP INCOMPLETE [4 bytes] ",
    },
    Fx {
        name: "v4unreachshort",
        v6: false,
        prefix: "v4unreachshort: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xcd, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x01, 0xfc, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
        ],
        line: "v4unreachshort: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=1 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 PROTO=UDP INCOMPLETE [0 bytes] ] ",
    },
    Fx {
        name: "v4unreachinneropt",
        v6: false,
        prefix: "v4unreachinneropt: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x32, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xcb, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x02, 0xfd, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x20,
            0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0xff, 0x5c, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x01, 0x01,
        ],
        line: "v4unreachinneropt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=50 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=2 [SRC=198.51.100.2 DST=203.0.113.5 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 TRUNCATED] ",
    },
    Fx {
        name: "v4unreachinneropt2",
        v6: false,
        prefix: "v4unreachinneropt2: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x32, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xcb, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x02, 0xfd, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x20,
            0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0xff, 0x5c, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x01, 0x01,
        ],
        line: "v4unreachinneropt2: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=50 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=2 [SRC=198.51.100.2 DST=203.0.113.5 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP INCOMPLETE [4294967294 bytes] ] ",
    },
    Fx {
        name: "v4nestederr",
        v6: false,
        prefix: "v4nestederr: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xa9, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0b, 0x01, 0xf4, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x38,
            0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x02, 0x56, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x03, 0x03, 0x0c, 0x07, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0x03, 0xe7, 0x00, 0x00,
            0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05, 0x80, 0xe8, 0x00, 0x35,
            0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4nestederr: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=11 CODE=1 [SRC=198.51.100.2 DST=203.0.113.5 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 ] ",
    },
    Fx {
        name: "v4innerihl",
        v6: false,
        prefix: "v4innerihl: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x03, 0x02, 0x07, 0x00, 0x00, 0x00, 0x00, 0x4f, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4innerihl: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 TRUNCATED] ",
    },
    Fx {
        name: "v4fragfirst",
        v6: false,
        prefix: "v4fragfirst: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x34, 0xbe, 0xef, 0x20, 0x00, 0x40, 0x11, 0x46, 0xfd, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x13, 0x88, 0x17, 0x70, 0x03, 0xe8, 0x00, 0x00, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4fragfirst: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=52 TOS=0x00 PREC=0x00 TTL=64 ID=48879 MF PROTO=UDP SPT=5000 DPT=6000 LEN=1000 ",
    },
    Fx {
        name: "v4fragmid",
        v6: false,
        prefix: "v4fragmid: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x34, 0xbe, 0xef, 0x20, 0x04, 0x40, 0x11, 0x46, 0xf9, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4fragmid: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=52 TOS=0x00 PREC=0x00 TTL=64 ID=48879 MF FRAG:4 PROTO=UDP ",
    },
    Fx {
        name: "v4fragtcp",
        v6: false,
        prefix: "v4fragtcp: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x34, 0xbe, 0xef, 0x00, 0xb9, 0x40, 0x06, 0x66, 0x4f, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4fragtcp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=52 TOS=0x00 PREC=0x00 TTL=64 ID=48879 FRAG:185 PROTO=TCP ",
    },
    Fx {
        name: "v4fragicmp",
        v6: false,
        prefix: "v4fragicmp: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x34, 0xbe, 0xef, 0x00, 0xb9, 0x40, 0x01, 0x66, 0x54, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4fragicmp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=52 TOS=0x00 PREC=0x00 TTL=64 ID=48879 FRAG:185 PROTO=ICMP ",
    },
    Fx {
        name: "v4ah",
        v6: false,
        prefix: "v4ah: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x33, 0x13, 0x9f, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x06, 0x04, 0x00, 0x00, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4ah: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=AH SPI=0x1234abcd ",
    },
    Fx {
        name: "v4ahfrag",
        v6: false,
        prefix: "v4ahfrag: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x03, 0x40, 0x33, 0x13, 0xa4, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4ahfrag: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:3 ",
    },
    Fx {
        name: "v4ahtrunc",
        v6: false,
        prefix: "v4ahtrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1b, 0x12, 0x34, 0x00, 0x00, 0x40, 0x33, 0x13, 0xb0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v4ahtrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=27 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=AH INCOMPLETE [7 bytes] ",
    },
    Fx {
        name: "v4esp",
        v6: false,
        prefix: "v4esp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x32, 0x13, 0xa0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01, 0x65, 0x65, 0x65, 0x65,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v4esp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ESP SPI=0xdeadbeef ",
    },
    Fx {
        name: "v4esptrunc",
        v6: false,
        prefix: "v4esptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x19, 0x12, 0x34, 0x00, 0x00, 0x40, 0x32, 0x13, 0xb3, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v4esptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=25 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ESP INCOMPLETE [5 bytes] ",
    },
    Fx {
        name: "v4espfrag",
        v6: false,
        prefix: "v4espfrag: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x03, 0x40, 0x32, 0x13, 0xa5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
            0x65, 0x65, 0x65, 0x65,
        ],
        line: "v4espfrag: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=36 TOS=0x00 PREC=0x00 TTL=64 ID=4660 FRAG:3 PROTO=ESP ",
    },
    Fx {
        name: "v4gre",
        v6: false,
        prefix: "v4gre: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x2f, 0x13, 0xb3, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4gre: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=47 ",
    },
    Fx {
        name: "v4udplite",
        v6: false,
        prefix: "v4udplite: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x88, 0x13, 0x56, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x07, 0x00, 0x09, 0x00, 0x08, 0x00, 0x00, 0x6c, 0x69, 0x74, 0x65,
        ],
        line: "v4udplite: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDPLITE SPT=7 DPT=9 LEN=8 ",
    },
    Fx {
        name: "v4udptrunc",
        v6: false,
        prefix: "v4udptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x17, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xd6, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x07, 0x00,
        ],
        line: "v4udptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=23 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP INCOMPLETE [3 bytes] ",
    },
    Fx {
        name: "v4ce",
        v6: false,
        prefix: "v4ce: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0xc0, 0x00, 0x40, 0x11, 0x53, 0xd0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xab, 0x0e,
        ],
        line: "v4ce: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 CE DF PROTO=UDP SPT=1 DPT=2 LEN=8 ",
    },
    Fx {
        name: "v4mark",
        v6: false,
        prefix: "v4mark: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0xdeadbeef,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xd1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xab, 0x0e,
        ],
        line: "v4mark: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1 DPT=2 LEN=8 MARK=0xdeadbeef ",
    },
    Fx {
        name: "v4markicmp",
        v6: false,
        prefix: "v4markicmp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x2a,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x38, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xc5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x03, 0x0c, 0x07, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
            0x03, 0xe7, 0x00, 0x00, 0x01, 0x11, 0x4f, 0xa3, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0x80, 0xe8, 0x00, 0x35, 0x00, 0x14, 0x6f, 0xc4,
        ],
        line: "v4markicmp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=1 ID=999 PROTO=UDP SPT=33000 DPT=53 LEN=20 ] MARK=0x2a ",
    },
    Fx {
        name: "v4marktrunc",
        v6: false,
        prefix: "v4marktrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x2a,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x18, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x13, 0xe0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4marktrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP INCOMPLETE [4 bytes] ",
    },
    Fx {
        name: "v4marktruncicmp",
        v6: false,
        prefix: "v4marktruncicmp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x2a,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x18, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4marktruncicmp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=24 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP INCOMPLETE [4 bytes] MARK=0x2a ",
    },
    Fx {
        name: "v4macdecode",
        v6: false,
        prefix: "v4macdecode: ",
        flags: 0x20,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xd1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xab, 0x0e,
        ],
        line: "v4macdecode: IN=lb OUT= MACSRC=02:00:00:00:aa:01 MACDST=02:00:00:00:bb:02 MACPROTO=0800 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1 DPT=2 LEN=8 ",
    },
    Fx {
        name: "v4uidnosk",
        v6: false,
        prefix: "v4uidnosk: ",
        flags: 0x08,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x13, 0xd1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xab, 0x0e,
        ],
        line: "v4uidnosk: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1 DPT=2 LEN=8 ",
    },
    Fx {
        name: "v6udp",
        v6: true,
        prefix: "v6udp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x6b, 0x8a, 0xbc, 0xde, 0x00, 0x0d, 0x11, 0x4d, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x35, 0x00, 0x0d, 0xc3, 0x7d,
            0x68, 0x65, 0x6c, 0x6c, 0x6f,
        ],
        line: "v6udp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=53 TC=184 HOPLIMIT=77 FLOWLBL=703710 PROTO=UDP SPT=40000 DPT=53 LEN=13 ",
    },
    Fx {
        name: "v6syn",
        v6: true,
        prefix: "v6syn: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x16, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x02, 0xa0, 0x02, 0xfa, 0xf0, 0x72, 0x65, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
            0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ],
        line: "v6syn: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=22 SEQ=1 ACK=2 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0001E2400000000001030307) ",
    },
    Fx {
        name: "v6echo",
        v6: true,
        prefix: "v6echo: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x4d, 0x13, 0x12, 0x34, 0x00, 0x01,
            0x61, 0x62, 0x63,
        ],
        line: "v6echo: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=51 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=4660 SEQ=1 ",
    },
    Fx {
        name: "v6echoreply",
        v6: true,
        prefix: "v6echoreply: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x81, 0x00, 0x22, 0xad, 0x00, 0x01, 0xff, 0xff,
        ],
        line: "v6echoreply: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=129 CODE=0 ID=1 SEQ=65535 ",
    },
    Fx {
        name: "v6unreach",
        v6: true,
        prefix: "v6unreach: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x40, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x04, 0x31, 0x82, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x80, 0xe8, 0x00, 0x35, 0x00, 0x10, 0x5d, 0x6f,
            0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71,
        ],
        line: "v6unreach: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=4 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=56 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=33000 DPT=53 LEN=16 ] ",
    },
    Fx {
        name: "v6toobig",
        v6: true,
        prefix: "v6toobig: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x38, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0xf1, 0x53, 0x00, 0x00, 0x05, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x80, 0xe8, 0x00, 0x35, 0x00, 0x10, 0x5d, 0x6f,
        ],
        line: "v6toobig: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=96 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=2 CODE=0 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=56 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=33000 DPT=53 LEN=16 ] MTU=1280 ",
    },
    Fx {
        name: "v6timeexc",
        v6: true,
        prefix: "v6timeexc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x34, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x52, 0xd7, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x80, 0xe8, 0x00, 0x35,
        ],
        line: "v6timeexc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=92 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=3 CODE=0 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=56 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP INCOMPLETE [4 bytes] ] ",
    },
    Fx {
        name: "v6paramprob",
        v6: true,
        prefix: "v6paramprob: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x40, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x01, 0x2e, 0x5d, 0x00, 0x00, 0x00, 0x28,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x80, 0xe8, 0x00, 0x35, 0x00, 0x10, 0x5d, 0x6f,
            0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71, 0x71,
        ],
        line: "v6paramprob: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=4 CODE=1 POINTER=00000028 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=56 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=33000 DPT=53 LEN=16 ] ",
    },
    Fx {
        name: "v6unreachshort",
        v6: true,
        prefix: "v6unreachshort: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x26, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0xd6, 0x07, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02,
        ],
        line: "v6unreachshort: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=78 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=0 [TRUNCATED] ",
    },
    Fx {
        name: "v6nestederr",
        v6: true,
        prefix: "v6nestederr: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x60, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x08, 0x4d, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x30, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0xd6, 0x8b, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        ],
        line: "v6nestederr: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=136 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=3 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=88 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=0 ] ",
    },
    Fx {
        name: "v6mldquery",
        v6: true,
        prefix: "v6mldquery: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x82, 0x00, 0x21, 0x9e, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6mldquery: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=130 CODE=0 ",
    },
    Fx {
        name: "v6ns",
        v6: true,
        prefix: "v6ns: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x87, 0x00, 0xee, 0xe1, 0x00, 0x00, 0x00, 0x00,
            0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        ],
        line: "v6ns: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0 ",
    },
    Fx {
        name: "v6icmptrunc",
        v6: true,
        prefix: "v6icmptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x06, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6icmptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=46 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 INCOMPLETE [6 bytes] ",
    },
    Fx {
        name: "v6exts",
        v6: true,
        prefix: "v6exts: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x29, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x2b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x01, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x09, 0x2b, 0xca,
            0x78,
        ],
        line: "v6exts: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=81 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) OPT ( ) OPT ( ) PROTO=UDP SPT=1 DPT=2 LEN=9 ",
    },
    Fx {
        name: "v6extsnoopt",
        v6: true,
        prefix: "v6extsnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x29, 0x00, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x2b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x01, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x09, 0x2b, 0xca,
            0x78,
        ],
        line: "v6extsnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=81 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=9 ",
    },
    Fx {
        name: "v6fragfirst",
        v6: true,
        prefix: "v6fragfirst: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0xca, 0xfe,
            0x00, 0x07, 0x00, 0x09, 0x07, 0xd0, 0x00, 0x00, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
            0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
        ],
        line: "v6fragfirst: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:0 INCOMPLETE ID:0000cafe ) PROTO=UDP SPT=7 DPT=9 LEN=2000 ",
    },
    Fx {
        name: "v6fragfirstnoopt",
        v6: true,
        prefix: "v6fragfirstnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0xca, 0xfe,
            0x00, 0x07, 0x00, 0x09, 0x07, 0xd0, 0x00, 0x00, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
            0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79, 0x79,
        ],
        line: "v6fragfirstnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:0 INCOMPLETE ID:0000cafe PROTO=UDP SPT=7 DPT=9 LEN=2000 ",
    },
    Fx {
        name: "v6fraglast",
        v6: true,
        prefix: "v6fraglast: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x06, 0x00, 0x04, 0xd0, 0x12, 0x34, 0x56, 0x78,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v6fraglast: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:1232 ID:12345678 ) PROTO=TCP ",
    },
    Fx {
        name: "v6fragthendst",
        v6: true,
        prefix: "v6fragthendst: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x04, 0xd1, 0x00, 0x00, 0x00, 0x07,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v6fragthendst: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:1232 INCOMPLETE ID:00000007 ) OPT ( )",
    },
    Fx {
        name: "v6fragthendstnoopt",
        v6: true,
        prefix: "v6fragthendstnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x04, 0xd1, 0x00, 0x00, 0x00, 0x07,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v6fragthendstnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:1232 INCOMPLETE ID:00000007 ",
    },
    Fx {
        name: "v6fragicmp",
        v6: true,
        prefix: "v6fragicmp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3a, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x07,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
            0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a, 0x7a,
        ],
        line: "v6fragicmp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:64 ID:00000007 PROTO=ICMPv6 ",
    },
    Fx {
        name: "v6ah",
        v6: true,
        prefix: "v6ah: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x33, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x03, 0x00, 0x04, 0x00, 0x08, 0xa3, 0xc8,
        ],
        line: "v6ah: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( AH SPI=0x1000 ) PROTO=UDP SPT=3 DPT=4 LEN=8 ",
    },
    Fx {
        name: "v6ahnoopt",
        v6: true,
        prefix: "v6ahnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x33, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x03, 0x00, 0x04, 0x00, 0x08, 0xa3, 0xc8,
        ],
        line: "v6ahnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=72 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=3 DPT=4 LEN=8 ",
    },
    Fx {
        name: "v6ahtrunc",
        v6: true,
        prefix: "v6ahtrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x06, 0x33, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6ahtrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=46 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( AH INCOMPLETE [6 bytes] )",
    },
    Fx {
        name: "v6esp",
        v6: true,
        prefix: "v6esp: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x32, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfe, 0xed, 0xfa, 0xce, 0x00, 0x00, 0x00, 0x01,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6esp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ESP SPI=0xfeedface )",
    },
    Fx {
        name: "v6espnoopt",
        v6: true,
        prefix: "v6espnoopt: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x32, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xfe, 0xed, 0xfa, 0xce, 0x00, 0x00, 0x00, 0x01,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6espnoopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 ",
    },
    Fx {
        name: "v6esptrunc",
        v6: true,
        prefix: "v6esptrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x05, 0x32, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6esptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=45 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ESP INCOMPLETE [5 bytes] )",
    },
    Fx {
        name: "v6fragesp",
        v6: true,
        prefix: "v6fragesp: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x32, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x07,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6fragesp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:64 ID:00000007 ) OPT ( ESP )",
    },
    Fx {
        name: "v6fragah",
        v6: true,
        prefix: "v6fragah: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x33, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x07,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6fragah: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:64 ID:00000007 ) OPT ( AH )",
    },
    Fx {
        name: "v6none",
        v6: true,
        prefix: "v6none: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3b, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        ],
        line: "v6none: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=40 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=59 ",
    },
    Fx {
        name: "v6dstnone",
        v6: true,
        prefix: "v6dstnone: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6dstnone: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) PROTO=59 ",
    },
    Fx {
        name: "v6gre",
        v6: true,
        prefix: "v6gre: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x04, 0x2f, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6gre: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=44 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=47 ",
    },
    Fx {
        name: "v6udptrunc",
        v6: true,
        prefix: "v6udptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x07, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6udptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=47 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP INCOMPLETE [7 bytes] ",
    },
    Fx {
        name: "v6tcptrunc",
        v6: true,
        prefix: "v6tcptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x13, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6tcptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=59 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP INCOMPLETE [19 bytes] ",
    },
    Fx {
        name: "v6exttrunc",
        v6: true,
        prefix: "v6exttrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x01, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11,
        ],
        line: "v6exttrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=41 TC=0 HOPLIMIT=64 FLOWLBL=0 TRUNCATED",
    },
    Fx {
        name: "v6exttrunc2",
        v6: true,
        prefix: "v6exttrunc2: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x11,
        ],
        line: "v6exttrunc2: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=49 TC=0 HOPLIMIT=64 FLOWLBL=0 TRUNCATED",
    },
    Fx {
        name: "v6fragtrunc",
        v6: true,
        prefix: "v6fragtrunc: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x05, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v6fragtrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=45 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:TRUNCATED ",
    },
    Fx {
        name: "v6udplite",
        v6: true,
        prefix: "v6udplite: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x88, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00,
        ],
        line: "v6udplite: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDPLITE SPT=5 DPT=6 LEN=8 ",
    },
    Fx {
        name: "v6mark",
        v6: true,
        prefix: "v6mark: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x1,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xa3, 0xcc,
        ],
        line: "v6mark: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=8 MARK=0x1 ",
    },
    Fx {
        name: "v6markicmptrunc",
        v6: true,
        prefix: "v6markicmptrunc: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x1,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00,
        ],
        line: "v6markicmptrunc: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=42 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 INCOMPLETE [2 bytes] ",
    },
    Fx {
        name: "v6markesp",
        v6: true,
        prefix: "v6markesp: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x1,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x32, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
            0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65, 0x65,
        ],
        line: "v6markesp: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=56 TC=0 HOPLIMIT=64 FLOWLBL=0 ",
    },
    Fx {
        name: "v6macdecode",
        v6: true,
        prefix: "v6macdecode: ",
        flags: 0x20,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xa3, 0xcc,
        ],
        line: "v6macdecode: IN=lb OUT= MACSRC=02:00:00:00:aa:01 MACDST=02:00:00:00:bb:02 MACPROTO=86dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=8 ",
    },
    Fx {
        name: "v4addrmaskshort",
        v6: false,
        prefix: "v4addrmaskshort: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x11, 0x00, 0xee, 0xff, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4addrmaskshort: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=17 CODE=0 INCOMPLETE [8 bytes] ",
    },
    Fx {
        name: "v4addrmaskreply",
        v6: false,
        prefix: "v4addrmaskreply: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xdd, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x12, 0x00, 0xee, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00,
        ],
        line: "v4addrmaskreply: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=18 CODE=0 ",
    },
    Fx {
        name: "v4tstampreplyshort",
        v6: false,
        prefix: "v4tstampreplyshort: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x27, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xd6, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0e, 0x00, 0xf1, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4tstampreplyshort: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=39 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=14 CODE=0 INCOMPLETE [19 bytes] ",
    },
    Fx {
        name: "v4tstampfull",
        v6: false,
        prefix: "v4tstampfull: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xd5, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x0d, 0x00, 0xf2, 0xf4, 0x00, 0x05, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4tstampfull: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=13 CODE=0 ",
    },
    Fx {
        name: "v4icmptype19",
        v6: false,
        prefix: "v4icmptype19: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xe1, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x13, 0x00, 0xec, 0xff, 0x00, 0x00, 0x00, 0x00,
        ],
        line: "v4icmptype19: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=19 CODE=0 ",
    },
    Fx {
        name: "v4tcpdoff4",
        v6: false,
        prefix: "v4tcpdoff4: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x13, 0xd0, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x00, 0x50, 0x00, 0x51, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x40, 0x10, 0xfa, 0xf0, 0x6f, 0x76, 0x00, 0x00,
        ],
        line: "v4tcpdoff4: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP SPT=80 DPT=81 SEQ=0 ACK=0 WINDOW=64240 RES=0x00 ACK URGP=0 ",
    },
    Fx {
        name: "v4unreachtcpopt",
        v6: false,
        prefix: "v4unreachtcpopt: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x4e, 0x12, 0x34, 0x00, 0x00, 0x40, 0x01, 0x13, 0xaf, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x03, 0x0d, 0x49, 0xa8, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c,
            0x10, 0xe1, 0x40, 0x00, 0x40, 0x06, 0xc3, 0x9f, 0xc6, 0x33, 0x64, 0x02, 0xcb, 0x00, 0x71, 0x05,
            0xad, 0x9c, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
            0x55, 0x35, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
        ],
        line: "v4unreachtcpopt: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=78 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=ICMP TYPE=3 CODE=13 [SRC=198.51.100.2 DST=203.0.113.5 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=TCP SPT=44444 DPT=443 SEQ=5 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (TRUNCATED)] ",
    },
    Fx {
        name: "v4proto0",
        v6: false,
        prefix: "v4proto0: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x14, 0x12, 0x34, 0x00, 0x00, 0x40, 0x00, 0x13, 0xea, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02,
        ],
        line: "v4proto0: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=20 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=0 ",
    },
    Fx {
        name: "v4proto255",
        v6: false,
        prefix: "v4proto255: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x45, 0x00, 0x00, 0x17, 0x12, 0x34, 0x00, 0x00, 0x40, 0xff, 0x12, 0xe8, 0xc6, 0x33, 0x64, 0x63,
            0xc6, 0x33, 0x64, 0x02, 0x61, 0x62, 0x63,
        ],
        line: "v4proto255: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=198.51.100.2 LEN=23 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=255 ",
    },
    Fx {
        name: "v6atomicfrag",
        v6: true,
        prefix: "v6atomicfrag: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x2c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
            0x00, 0x07, 0x00, 0x09, 0x00, 0x08, 0xa3, 0xbf,
        ],
        line: "v6atomicfrag: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=56 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( FRAG:0 ID:ffffffff ) PROTO=UDP SPT=7 DPT=9 LEN=8 ",
    },
    Fx {
        name: "v6unreachext",
        v6: true,
        prefix: "v6unreachext: ",
        flags: 0x07,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x60, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x0e, 0x5e, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x30, 0x3c, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
            0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40,
            0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ],
        line: "v6unreachext: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=136 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=1 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=88 TC=0 HOPLIMIT=64 FLOWLBL=0 OPT ( ) PROTO=TCP SPT=1 DPT=2 SEQ=0 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0001E2400000000001030307) ] ",
    },
    Fx {
        name: "v6timeexcecho",
        v6: true,
        prefix: "v6timeexcecho: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x38, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x01, 0x06, 0x77, 0x00, 0x00, 0x00, 0x00,
            0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x80, 0x00, 0x24, 0x2e, 0x00, 0x09, 0x00, 0x0a,
        ],
        line: "v6timeexcecho: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=96 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=3 CODE=1 [SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=48 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=9 SEQ=10 ] ",
    },
    Fx {
        name: "v6mldreport",
        v6: true,
        prefix: "v6mldreport: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x83, 0x00, 0x21, 0x97, 0x00, 0x00, 0x00, 0x00,
            0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03,
        ],
        line: "v6mldreport: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=131 CODE=0 ",
    },
    Fx {
        name: "v6markuid",
        v6: true,
        prefix: "v6markuid: ",
        flags: 0x09,
        dev: Dev::Veth,
        mark: 0xffffffff,
        uid: None,
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x50, 0x12, 0xfa, 0xf0, 0x58, 0xd0, 0x00, 0x00,
        ],
        line: "v6markuid: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0001:0000:0000:0000:0000:0002 LEN=60 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=1 DPT=2 SEQ=0 ACK=0 WINDOW=64240 RES=0x00 ACK SYN URGP=0 MARK=0xffffffff ",
    },
    Fx {
        name: "lo40",
        v6: false,
        prefix: "lo40: ",
        flags: 0x08,
        dev: Dev::LoOut,
        mark: 0x0,
        uid: Some((4242, 4343)),
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0xa7, 0x44, 0x40, 0x00, 0x40, 0x11, 0x95, 0x88, 0x7f, 0x00, 0x00, 0x01,
            0x7f, 0x00, 0x00, 0x01, 0xaf, 0xdb, 0x00, 0x09, 0x00, 0x0a, 0xe9, 0x89, 0x68, 0x69,
        ],
        line: "lo40: IN= OUT=lo SRC=127.0.0.1 DST=127.0.0.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=42820 DF PROTO=UDP SPT=45019 DPT=9 LEN=10 UID=4242 GID=4343 ",
    },
    Fx {
        name: "lo41",
        v6: false,
        prefix: "lo41: ",
        flags: 0x08,
        dev: Dev::LoIn,
        mark: 0x0,
        uid: None,
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0xa7, 0x44, 0x40, 0x00, 0x40, 0x11, 0x95, 0x88, 0x7f, 0x00, 0x00, 0x01,
            0x7f, 0x00, 0x00, 0x01, 0xaf, 0xdb, 0x00, 0x09, 0x00, 0x0a, 0xe9, 0x89, 0x68, 0x69,
        ],
        line: "lo41: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=42820 DF PROTO=UDP SPT=45019 DPT=9 LEN=10 ",
    },
    Fx {
        name: "lo42",
        v6: false,
        prefix: "lo42: ",
        flags: 0x20,
        dev: Dev::LoIn,
        mark: 0x0,
        uid: None,
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0xa7, 0x44, 0x40, 0x00, 0x40, 0x11, 0x95, 0x88, 0x7f, 0x00, 0x00, 0x01,
            0x7f, 0x00, 0x00, 0x01, 0xaf, 0xdb, 0x00, 0x09, 0x00, 0x0a, 0xe9, 0x89, 0x68, 0x69,
        ],
        line: "lo42: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=127.0.0.1 DST=127.0.0.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=42820 DF PROTO=UDP SPT=45019 DPT=9 LEN=10 ",
    },
    Fx {
        name: "out40",
        v6: false,
        prefix: "out40: ",
        flags: 0x0c,
        dev: Dev::Out("lb"),
        mark: 0x0,
        uid: Some((4242, 4343)),
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x45, 0x00, 0x00, 0x1c, 0xa2, 0x6c, 0x40, 0x00, 0x40, 0x11, 0x43, 0xfa, 0xc6, 0x33, 0x64, 0x02,
            0xc6, 0x33, 0x64, 0x01, 0xb8, 0xf7, 0x00, 0x09, 0x00, 0x08, 0xf2, 0x72,
        ],
        line: "out40: IN= OUT=lb SRC=198.51.100.2 DST=198.51.100.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=41580 DF PROTO=UDP SPT=47351 DPT=9 LEN=8 UID=4242 GID=4343 ",
    },
    Fx {
        name: "lo60",
        v6: true,
        prefix: "lo60: ",
        flags: 0x08,
        dev: Dev::LoOut,
        mark: 0x0,
        uid: Some((4242, 4343)),
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x60, 0x00, 0xec, 0x4f, 0x00, 0x0a, 0x11, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa5, 0xa2, 0x00, 0x09, 0x00, 0x0a, 0xf1, 0xc3,
            0x68, 0x69,
        ],
        line: "lo60: IN= OUT=lo SRC=0000:0000:0000:0000:0000:0000:0000:0001 DST=0000:0000:0000:0000:0000:0000:0000:0001 LEN=50 TC=0 HOPLIMIT=64 FLOWLBL=60495 PROTO=UDP SPT=42402 DPT=9 LEN=10 UID=4242 GID=4343 ",
    },
    Fx {
        name: "lo61",
        v6: true,
        prefix: "lo61: ",
        flags: 0x00,
        dev: Dev::LoIn,
        mark: 0x0,
        uid: None,
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x60, 0x00, 0xec, 0x4f, 0x00, 0x0a, 0x11, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa5, 0xa2, 0x00, 0x09, 0x00, 0x0a, 0xf1, 0xc3,
            0x68, 0x69,
        ],
        line: "lo61: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:86:dd SRC=0000:0000:0000:0000:0000:0000:0000:0001 DST=0000:0000:0000:0000:0000:0000:0000:0001 LEN=50 TC=0 HOPLIMIT=64 FLOWLBL=60495 PROTO=UDP SPT=42402 DPT=9 LEN=10 ",
    },
    Fx {
        name: "lo62",
        v6: true,
        prefix: "lo62: ",
        flags: 0x20,
        dev: Dev::LoIn,
        mark: 0x0,
        uid: None,
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x60, 0x00, 0xec, 0x4f, 0x00, 0x0a, 0x11, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xa5, 0xa2, 0x00, 0x09, 0x00, 0x0a, 0xf1, 0xc3,
            0x68, 0x69,
        ],
        line: "lo62: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:86:dd SRC=0000:0000:0000:0000:0000:0000:0000:0001 DST=0000:0000:0000:0000:0000:0000:0000:0001 LEN=50 TC=0 HOPLIMIT=64 FLOWLBL=60495 PROTO=UDP SPT=42402 DPT=9 LEN=10 ",
    },
    Fx {
        name: "out60",
        v6: true,
        prefix: "out60: ",
        flags: 0x08,
        dev: Dev::Out("lb"),
        mark: 0x0,
        uid: Some((4242, 4343)),
        // Rebuilt from the fields of the line (a socket of uid 4242 sent it).
        pkt: &[
            0x60, 0x02, 0xb7, 0x10, 0x00, 0x0b, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x99, 0x7f, 0x00, 0x09, 0x00, 0x0b, 0x46, 0x76,
            0x61, 0x62, 0x63,
        ],
        line: "out60: IN= OUT=lb SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0001:0000:0000:0000:0000:0001 LEN=51 TC=0 HOPLIMIT=64 FLOWLBL=177936 PROTO=UDP SPT=39295 DPT=9 LEN=11 UID=4242 GID=4343 ",
    },
    Fx {
        name: "fw40",
        v6: false,
        prefix: "fw40: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        // PREROUTING (raw), as received.
        pkt: &[
            0x45, 0x00, 0x00, 0x1f, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x01, 0xfe, 0xc6, 0x33, 0x64, 0x63,
            0xcb, 0x00, 0x71, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xc1, 0xbe, 0x66, 0x77, 0x64,
        ],
        line: "fw40: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=203.0.113.5 LEN=31 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw41",
        v6: false,
        prefix: "fw41: ",
        flags: 0x00,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // FORWARD (mangle), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x45, 0x00, 0x00, 0x1f, 0x12, 0x34, 0x00, 0x00, 0x3f, 0x11, 0x02, 0xfe, 0xc6, 0x33, 0x64, 0x63,
            0xcb, 0x00, 0x71, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xc1, 0xbe, 0x66, 0x77, 0x64,
        ],
        line: "fw41: IN=lb OUT=lc MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=203.0.113.5 LEN=31 TOS=0x00 PREC=0x00 TTL=63 ID=4660 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw43",
        v6: false,
        prefix: "fw43: ",
        flags: 0x20,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // FORWARD (filter), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x45, 0x00, 0x00, 0x1f, 0x12, 0x34, 0x00, 0x00, 0x3f, 0x11, 0x02, 0xfe, 0xc6, 0x33, 0x64, 0x63,
            0xcb, 0x00, 0x71, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xc1, 0xbe, 0x66, 0x77, 0x64,
        ],
        line: "fw43: IN=lb OUT=lc MACSRC=02:00:00:00:aa:01 MACDST=02:00:00:00:bb:02 MACPROTO=0800 SRC=198.51.100.99 DST=203.0.113.5 LEN=31 TOS=0x00 PREC=0x00 TTL=63 ID=4660 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw42",
        v6: false,
        prefix: "fw42: ",
        flags: 0x00,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // POSTROUTING (mangle), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x45, 0x00, 0x00, 0x1f, 0x12, 0x34, 0x00, 0x00, 0x3f, 0x11, 0x02, 0xfe, 0xc6, 0x33, 0x64, 0x63,
            0xcb, 0x00, 0x71, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xc1, 0xbe, 0x66, 0x77, 0x64,
        ],
        line: "fw42: IN=lb OUT=lc MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:08:00 SRC=198.51.100.99 DST=203.0.113.5 LEN=31 TOS=0x00 PREC=0x00 TTL=63 ID=4660 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw60",
        v6: true,
        prefix: "fw60: ",
        flags: 0x00,
        dev: Dev::Veth,
        mark: 0x0,
        uid: None,
        // PREROUTING (raw), as received.
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xcc, 0x48,
            0x66, 0x77, 0x64,
        ],
        line: "fw60: IN=lb OUT= MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=51 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw61",
        v6: true,
        prefix: "fw61: ",
        flags: 0x00,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // FORWARD (mangle), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x3f, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xcc, 0x48,
            0x66, 0x77, 0x64,
        ],
        line: "fw61: IN=lb OUT=lc MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=51 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw63",
        v6: true,
        prefix: "fw63: ",
        flags: 0x20,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // FORWARD (filter), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x3f, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xcc, 0x48,
            0x66, 0x77, 0x64,
        ],
        line: "fw63: IN=lb OUT=lc MACSRC=02:00:00:00:aa:01 MACDST=02:00:00:00:bb:02 MACPROTO=86dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=51 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "fw62",
        v6: true,
        prefix: "fw62: ",
        flags: 0x00,
        dev: Dev::Fwd,
        mark: 0x0,
        uid: None,
        // POSTROUTING (mangle), after ip_forward decremented the TTL / hop limit.
        pkt: &[
            0x60, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x11, 0x3f, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x99, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x04, 0x57, 0x08, 0xae, 0x00, 0x0b, 0xcc, 0x48,
            0x66, 0x77, 0x64,
        ],
        line: "fw62: IN=lb OUT=lc MAC=02:00:00:00:bb:02:02:00:00:00:aa:01:86:dd SRC=2001:0db8:0001:0000:0000:0000:0000:0099 DST=2001:0db8:0002:0000:0000:0000:0000:0005 LEN=51 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=UDP SPT=1111 DPT=2222 LEN=11 ",
    },
    Fx {
        name: "post40",
        v6: false,
        prefix: "post40: ",
        flags: 0x08,
        dev: Dev::Out("lb"),
        mark: 0x0,
        uid: Some((4242, 4343)),
        // POSTROUTING (mangle) of a local packet. Rebuilt from the fields of the line.
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0x90, 0x67, 0x40, 0x00, 0x40, 0x11, 0x55, 0xfd, 0xc6, 0x33, 0x64, 0x02,
            0xc6, 0x33, 0x64, 0x01, 0xcc, 0x29, 0x00, 0x09, 0x00, 0x0a, 0x76, 0xd3, 0x68, 0x69,
        ],
        line: "post40: IN= OUT=lb SRC=198.51.100.2 DST=198.51.100.1 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=36967 DF PROTO=UDP SPT=52265 DPT=9 LEN=10 UID=4242 GID=4343 ",
    },
    Fx {
        name: "post60",
        v6: true,
        prefix: "post60: ",
        flags: 0x08,
        dev: Dev::Out("lb"),
        mark: 0x0,
        uid: Some((4242, 4343)),
        // POSTROUTING (mangle) of a local packet. Rebuilt from the fields of the line.
        pkt: &[
            0x60, 0x0b, 0xa6, 0xa8, 0x00, 0x0a, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xb2, 0xd6, 0x00, 0x09, 0x00, 0x0a, 0x89, 0x1a,
            0x68, 0x69,
        ],
        line: "post60: IN= OUT=lb SRC=2001:0db8:0001:0000:0000:0000:0000:0002 DST=2001:0db8:0001:0000:0000:0000:0000:0001 LEN=50 TC=0 HOPLIMIT=64 FLOWLBL=763560 PROTO=UDP SPT=45782 DPT=9 LEN=10 UID=4242 GID=4343 ",
    },
    Fx {
        name: "lopre41",
        v6: false,
        prefix: "lopre41: ",
        flags: 0x00,
        dev: Dev::LoOut,
        mark: 0x0,
        uid: None,
        // POSTROUTING (mangle) to lo. Rebuilt from the fields of the line.
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0x26, 0x92, 0x40, 0x00, 0x40, 0x11, 0xbf, 0xd1, 0xc6, 0x33, 0x64, 0x02,
            0xc6, 0x33, 0x64, 0x02, 0xec, 0xd2, 0x00, 0x09, 0x00, 0x0a, 0x56, 0x29, 0x68, 0x69,
        ],
        line: "lopre41: IN= OUT=lo SRC=198.51.100.2 DST=198.51.100.2 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=9874 DF PROTO=UDP SPT=60626 DPT=9 LEN=10 ",
    },
    Fx {
        name: "lopre40",
        v6: false,
        prefix: "lopre40: ",
        flags: 0x00,
        dev: Dev::LoIn,
        mark: 0x0,
        uid: None,
        // PREROUTING (raw) on lo. Rebuilt from the fields of the line.
        pkt: &[
            0x45, 0x00, 0x00, 0x1e, 0x26, 0x92, 0x40, 0x00, 0x40, 0x11, 0xbf, 0xd1, 0xc6, 0x33, 0x64, 0x02,
            0xc6, 0x33, 0x64, 0x02, 0xec, 0xd2, 0x00, 0x09, 0x00, 0x0a, 0x56, 0x29, 0x68, 0x69,
        ],
        line: "lopre40: IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=198.51.100.2 DST=198.51.100.2 LEN=30 TOS=0x00 PREC=0x00 TTL=64 ID=9874 DF PROTO=UDP SPT=60626 DPT=9 LEN=10 ",
    },
    ];
}
