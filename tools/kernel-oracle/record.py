#!/usr/bin/env python3
"""Record an nfsim reference trace (format `nfsim-trace/1`) from the running Linux kernel.

Usage (as root)::

    record.py SCENARIO.toml -o TRACE.json [--settle-ms 30] [--keep-going]

The scenario (TOML, see README.md beside this file) describes one host: its
interfaces, routes, sysctls, its iptables-restore / ip6tables-restore rulesets
and a list of packets, each arriving on an interface (``in = "eth0"``) or sent
by the host itself (``out = true``).  The recorder builds that host in network
namespaces, sends the packets one by one and writes, for each packet, what the
kernel's netfilter did with it (TRACE records, local delivery, emitted
packets, the conntrack table, LOG lines), following the recording method of
``shared/spec/trace-format.md``:

1. one namespace for the host and one per interface for its peer, joined by
   a veth pair; the host side carries the interface name and MAC, has ARP off
   (so frames leave with no neighbour resolution), IPv6 DAD, autoconf, router
   solicitations and link-local address generation off;
2. ``net.netfilter.nf_log_all_netns=1`` in the initial namespace (restored
   afterwards), so that LOG and TRACE lines of the host namespace reach the
   kernel log; ``net.core.message_cost=0`` and ``kernel.printk_ratelimit=0``
   while recording (restored afterwards);
3. ``ip xfrm policy add dir in action block`` (IPv4 and IPv6) in the host
   namespace: locally delivered packets are dropped after the INPUT hooks and
   after conntrack confirmed them, before any socket sees them; the
   ``XfrmInPolBlock`` counter of ``/proc/net/xfrm_stat`` counts them (``local``);
   loopback has ``disable_policy=1``, so packets via ``lo`` reach the host
   stack (the kernel's behaviour, kept as is);
4. the rules are loaded with ``iptables-legacy-restore`` /
   ``ip6tables-legacy-restore``, then ``-j TRACE`` is inserted as rule 1 of
   raw PREROUTING and raw OUTPUT; the raw records are renumbered (or removed
   when the scenario has no raw table);
5. arriving packets are written as Ethernet frames with ``AF_PACKET`` on the
   peer side, locally sent ones through an ``IPPROTO_RAW`` socket in the host
   namespace (header included; ``EPERM`` means a hook dropped it);
6. about 30 ms after each packet: ``TRACE:`` and LOG lines from ``/dev/kmsg``,
   frames captured on every peer side (not the injected ones, nor IPv6
   neighbour discovery / MLD the host sends on its own),
   ``/proc/net/nf_conntrack`` and the XFRM counter of the host namespace.

The recorder cleans up its namespaces and sysctls on any exit (``finally``
plus SIGTERM/SIGHUP handling), uses namespace names unique to its process
(``nfsim-<pid>-h``, ``nfsim-<pid>-p<i>``) and refuses to run twice at once
(``/run/nfsim-recorder.lock``), because ``/dev/kmsg`` is shared by the whole
machine.

Standard library only (Python >= 3.11 for ``tomllib``).
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import fcntl
import gzip
import ipaddress
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import tomllib

FORMAT = "nfsim-trace/1"
LOCK_PATH = "/run/nfsim-recorder.lock"
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
IPV6_HDRINCL = 36
DEFAULT_SETTLE_MS = 30.0
DEFAULT_GAP_MS = 35.0

#: The host used when a scenario does not list interfaces (the examples' host).
STANDARD_INTERFACES = [
    {
        "name": "eth0",
        "mac": "02:00:00:00:00:01",
        "addrs": ["192.0.2.1/24", "2001:db8::1/64"],
        "peer": {"mac": "02:00:00:00:01:01", "addrs": ["192.0.2.2/24", "2001:db8::2/64"]},
    },
    {
        "name": "eth1",
        "mac": "02:00:00:00:00:02",
        "addrs": ["198.51.100.1/24", "2001:db8:1::1/64"],
        "peer": {"mac": "02:00:00:00:01:02", "addrs": ["198.51.100.2/24", "2001:db8:1::2/64"]},
    },
]
STANDARD_ROUTES = [
    {"dst": "0.0.0.0/0", "via": "198.51.100.2", "dev": "eth1"},
    {"dst": "::/0", "via": "2001:db8:1::2", "dev": "eth1"},
]

#: Only these address ranges may appear in a scenario (documentation,
#: private, loopback, link-local, multicast/broadcast and unspecified).
ALLOWED_NETS = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "10.0.0.0/8",
        "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32", "0.0.0.0/32",
        "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8", "::1/128", "::/128",
        "::ffff:0:0/96",
    )
]

# Sysctls of the host namespace that the spec lists as defaults; a scenario's
# `host.sysctl` is applied after these.
HOST_DEFAULT_SYSCTLS = [
    ("net.ipv4.ip_forward", 0),
    ("net.ipv6.conf.all.forwarding", 0),
    ("net.ipv4.conf.all.rp_filter", 0),
    ("net.ipv4.conf.default.rp_filter", 0),
    ("net.ipv6.auto_flowlabels", 0),
    ("net.ipv6.conf.all.accept_dad", 0),
    ("net.ipv6.conf.default.accept_dad", 0),
    ("net.ipv6.conf.all.dad_transmits", 0),
    ("net.ipv6.conf.default.dad_transmits", 0),
    ("net.ipv6.conf.all.autoconf", 0),
    ("net.ipv6.conf.default.autoconf", 0),
    ("net.ipv6.conf.all.accept_ra", 0),
    ("net.ipv6.conf.default.accept_ra", 0),
    ("net.ipv6.conf.all.router_solicitations", 0),
    ("net.ipv6.conf.default.router_solicitations", 0),
    ("net.ipv6.conf.default.addr_gen_mode", 1),
    ("net.ipv6.conf.all.use_tempaddr", 0),
    # unsolicited MLD reports (joining all-nodes / solicited-node groups) are
    # sent right away and repeated after at most this many ms: let them all
    # happen during the setup instead of in the middle of the recording
    ("net.ipv6.conf.all.mldv1_unsolicited_report_interval", 1),
    ("net.ipv6.conf.default.mldv1_unsolicited_report_interval", 1),
    ("net.ipv6.conf.all.mldv2_unsolicited_report_interval", 1),
    ("net.ipv6.conf.default.mldv2_unsolicited_report_interval", 1),
    ("net.ipv6.conf.default.use_tempaddr", 0),
]

# Global sysctls of the initial namespace set while recording, then restored.
INIT_SYSCTLS = [
    ("net.netfilter.nf_log_all_netns", 1),
    ("net.core.message_cost", 0),
    ("kernel.printk_ratelimit", 0),
]


class ScenarioError(Exception):
    """A scenario file is malformed."""


class Interrupted(Exception):
    """SIGTERM / SIGHUP received."""


# --------------------------------------------------------------------------
# Packet construction
# --------------------------------------------------------------------------


def inet_checksum(data: bytes) -> int:
    """RFC 1071 Internet checksum of `data`."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


TCP_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}
PROTO_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "icmpv6": 58, "gre": 47, "esp": 50, "ah": 51, "sctp": 132}
PACKET_KEYS = {
    "in", "out", "at_ms", "gap_ms", "repeat", "hex", "comment", "expect",
    "family", "proto", "protonum", "src", "dst", "sport", "dport", "flags", "seq", "ack",
    "window", "urg", "tcp_options", "tcp_options_hex", "doff",
    "icmp_type", "icmp_code", "type", "code", "id", "icmp_id", "icmp_seq", "mtu", "rest_hex",
    "inner", "inner_len",
    "ttl", "hlim", "tos", "tc", "flowlabel", "ip_id", "df", "mf", "frag_offset", "ip_options_hex",
    "ext", "payload", "payload_hex", "length", "bad_csum", "bad_ip_csum", "udp_len", "fragment", "frag_id",
    "dst_mac",  # a received frame's Ethernet destination (default: the interface MAC)
}


def _tcp_flags(text) -> int:
    if isinstance(text, int):
        return text
    v = 0
    for ch in str(text).upper():
        if ch not in TCP_FLAG_BITS:
            raise ScenarioError(f"unknown TCP flag {ch!r} in {text!r}")
        v |= TCP_FLAG_BITS[ch]
    return v


def _tcp_options(opts) -> bytes:
    out = b""
    for o in opts:
        name, _, arg = str(o).partition("=")
        name = name.strip().lower()
        if name == "nop":
            out += b"\x01"
        elif name == "eol":
            out += b"\x00"
        elif name == "mss":
            out += struct.pack("!BBH", 2, 4, int(arg))
        elif name == "wscale":
            out += struct.pack("!BBB", 3, 3, int(arg))
        elif name == "sackok":
            out += b"\x04\x02"
        elif name == "ts":
            a, b = (int(x) for x in arg.split(","))
            out += struct.pack("!BBII", 8, 10, a, b)
        elif name == "sack":
            blocks = [int(x) for x in arg.split(",")]
            out += struct.pack("!BB", 5, 2 + 4 * len(blocks)) + b"".join(struct.pack("!I", x) for x in blocks)
        else:
            raise ScenarioError(f"unknown TCP option {o!r}")
    while len(out) % 4:
        out += b"\x00"
    return out


def _payload(p: dict) -> bytes:
    if "payload_hex" in p:
        return bytes.fromhex(p["payload_hex"])
    if "payload" in p:
        return str(p["payload"]).encode()
    return b""


def _ipv6_ext(exts, final_nh: int) -> tuple[int, bytes]:
    """Build IPv6 extension headers; return (first next-header, bytes)."""
    codes = {"hbh": 0, "dstopts": 60, "rthdr": 43, "frag": 44}
    out = []
    for i, e in enumerate(exts):
        kind = e.get("type")
        if kind not in codes:
            raise ScenarioError(f"unknown IPv6 extension header {kind!r}")
        nxt = codes[exts[i + 1]["type"]] if i + 1 < len(exts) else final_nh
        if kind == "frag":
            off = int(e.get("offset", 0))
            if off % 8:
                raise ScenarioError("IPv6 fragment offset must be a multiple of 8")
            out.append(struct.pack("!BBHI", nxt, 0, off | (1 if e.get("more") else 0), int(e.get("id", 1))))
        elif kind == "rthdr":
            data = bytes.fromhex(e.get("data_hex", "0000000000000000"))
            body = struct.pack("!BB", int(e.get("rt_type", 0)), int(e.get("segleft", 0))) + data
            body += b"\x00" * ((-(len(body) + 2)) % 8)
            out.append(struct.pack("!BB", nxt, (len(body) + 2) // 8 - 1) + body)
        else:
            opts = bytes.fromhex(e.get("data_hex", ""))
            pad = (-(len(opts) + 2)) % 8
            if pad == 1:
                opts += b"\x00"
            elif pad > 1:
                opts += bytes([1, pad - 2]) + b"\x00" * (pad - 2)
            out.append(struct.pack("!BB", nxt, (len(opts) + 2) // 8 - 1) + opts)
    first = codes[exts[0]["type"]] if exts else final_nh
    return first, b"".join(out)


def build_packet(p: dict) -> bytes:
    """Build an IPv4/IPv6 packet (from the IP header on) from scenario fields."""
    unknown = set(p) - PACKET_KEYS
    if unknown:
        raise ScenarioError(f"unknown packet field(s) {sorted(unknown)}")
    if "hex" in p:
        return bytes.fromhex(re.sub(r"\s+", "", p["hex"]))
    if "fragment" in p:
        return _fragment(p)
    try:
        src = ipaddress.ip_address(p["src"])
        dst = ipaddress.ip_address(p["dst"])
    except KeyError as e:
        raise ScenarioError(f"packet needs {e.args[0]!r} (or hex)") from None
    fam = int(p.get("family", src.version))
    if src.version != fam or dst.version != fam:
        raise ScenarioError(f"address family mismatch in {p}")
    proto = str(p.get("proto", "tcp")).lower()
    if proto == "icmp" and fam == 6:
        proto = "icmpv6"
    if proto == "other" or proto not in PROTO_NUMBERS and proto not in ("tcp", "udp", "icmp", "icmpv6"):
        protonum = int(p.get("protonum", PROTO_NUMBERS.get(proto, 255)))
    else:
        protonum = PROTO_NUMBERS[proto]
    payload = _payload(p)

    # transport header
    if proto == "tcp":
        opts = bytes.fromhex(p["tcp_options_hex"]) if "tcp_options_hex" in p else _tcp_options(p.get("tcp_options", []))
        doff = int(p.get("doff", (20 + len(opts)) // 4))
        l4 = struct.pack(
            "!HHIIBBHHH", int(p.get("sport", 40000)), int(p.get("dport", 80)),
            int(p.get("seq", 0)) & 0xFFFFFFFF, int(p.get("ack", 0)) & 0xFFFFFFFF,
            doff << 4, _tcp_flags(p.get("flags", "")), int(p.get("window", 64240)), 0,
            int(p.get("urg", 0)),
        ) + opts
        csum_off = 16
    elif proto == "udp":
        l4 = struct.pack("!HHHH", int(p.get("sport", 40000)), int(p.get("dport", 53)), 0, 0)
        csum_off = 6
    elif proto in ("icmp", "icmpv6"):
        itype = int(p.get("icmp_type", p.get("type", 8 if proto == "icmp" else 128)))
        icode = int(p.get("icmp_code", p.get("code", 0)))
        if "rest_hex" in p:
            rest = bytes.fromhex(p["rest_hex"])
        elif "mtu" in p:
            rest = struct.pack("!I", int(p["mtu"])) if proto == "icmpv6" else struct.pack("!HH", 0, int(p["mtu"]))
        elif ("id" in p or "icmp_id" in p or "icmp_seq" in p) or itype in (0, 8, 13, 14, 128, 129):
            rest = struct.pack("!HH", int(p.get("icmp_id", p.get("id", 1))), int(p.get("icmp_seq", 1)))
        else:
            rest = b"\x00\x00\x00\x00"
        l4 = struct.pack("!BBH", itype, icode, 0) + rest
        csum_off = 2
        if "inner" in p:
            inner = dict(p["inner"])
            inner.pop("in", None)
            inner.pop("out", None)
            ib = build_packet(inner)
            if "inner_len" in p:
                ib = ib[: int(p["inner_len"])]
            payload = ib + payload
    else:
        l4 = b""
        csum_off = None
    seg = l4 + payload
    if "length" in p:  # total L3 length: pad the payload with zeros
        hdr_len = (20 + len(bytes.fromhex(p.get("ip_options_hex", "")))) if fam == 4 else 40
        if fam == 6 and p.get("ext"):
            hdr_len += len(_ipv6_ext(p["ext"], protonum)[1])
        want = int(p["length"]) - hdr_len
        if want < len(seg):
            raise ScenarioError(f"length {p['length']} too small for the packet")
        seg += b"\x00" * (want - len(seg))
    if proto == "udp":
        ulen = int(p.get("udp_len", len(seg)))
        seg = seg[:4] + struct.pack("!H", ulen) + seg[6:]

    # checksum over pseudo header
    if csum_off is not None and len(seg) >= csum_off + 2:
        if fam == 4:
            pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, protonum, len(seg))
        else:
            pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(seg), protonum)
        if proto == "icmp":
            pseudo = b""
        c = inet_checksum(pseudo + seg)
        if proto == "udp" and c == 0:
            c = 0xFFFF
        if p.get("bad_csum"):
            c ^= 0x5A5A
        seg = seg[:csum_off] + struct.pack("!H", c) + seg[csum_off + 2 :]

    if fam == 4:
        opts = bytes.fromhex(p.get("ip_options_hex", ""))
        opts += b"\x00" * ((-len(opts)) % 4)
        ihl = 5 + len(opts) // 4
        frag = int(p.get("frag_offset", 0))
        if frag % 8:
            raise ScenarioError("frag_offset is in bytes and must be a multiple of 8")
        flags = (0x4000 if p.get("df") else 0) | (0x2000 if p.get("mf") else 0) | (frag // 8)
        hdr = struct.pack(
            "!BBHHHBBH4s4s", 0x40 | ihl, int(p.get("tos", 0)), 4 * ihl + len(seg), int(p.get("ip_id", 1)),
            flags, int(p.get("ttl", 64)), protonum, 0, src.packed, dst.packed,
        ) + opts
        c = inet_checksum(hdr)
        if p.get("bad_ip_csum"):
            c ^= 0x5A5A
        hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
        return hdr + seg
    first, ext = _ipv6_ext(p.get("ext", []), protonum)
    vtf = (6 << 28) | (int(p.get("tc", p.get("tos", 0))) << 20) | int(p.get("flowlabel", 0))
    hdr = struct.pack("!IHBB16s16s", vtf, len(ext) + len(seg), first, int(p.get("hlim", p.get("ttl", 64))),
                      src.packed, dst.packed)
    return hdr + ext + seg


# --------------------------------------------------------------------------
# Scenario loading
# --------------------------------------------------------------------------


def _fragment(p: dict) -> bytes:
    """One fragment of the packet `p` describes: `fragment = [offset, length]`.

    The whole packet is built first (so transport checksums cover the whole
    datagram), then bytes [offset, offset+length) of what follows the IP
    header (IPv6: of the fragmentable part, after the extension headers `ext`
    lists) are cut out. MF is set unless the fragment reaches the end.
    """
    q = dict(p)
    off, length = (int(x) for x in q.pop("fragment"))
    if off % 8:
        raise ScenarioError("fragment offset must be a multiple of 8")
    whole = build_packet(q)
    if whole[0] >> 4 == 4:
        ihl = (whole[0] & 0xF) * 4
        body = whole[ihl:]
        part = body[off : off + length]
        more = off + len(part) < len(body)
        if more and len(part) % 8:
            raise ScenarioError("a non-last fragment must carry a multiple of 8 bytes")
        hdr = bytearray(whole[:ihl])
        struct.pack_into("!H", hdr, 2, ihl + len(part))
        struct.pack_into("!H", hdr, 6, (0x4000 if p.get("df") else 0) | (0x2000 if more else 0) | off // 8)
        struct.pack_into("!H", hdr, 10, 0)
        c = inet_checksum(bytes(hdr))
        if p.get("bad_ip_csum"):
            c ^= 0x5A5A
        struct.pack_into("!H", hdr, 10, c)
        return bytes(hdr) + part
    # IPv6: the extension headers listed in `ext` stay unfragmentable
    first, ext = _ipv6_ext(p.get("ext", []), 0)
    hdr_len = 40 + len(ext)
    body = whole[hdr_len:]
    part = body[off : off + length]
    more = off + len(part) < len(body)
    if more and len(part) % 8:
        raise ScenarioError("a non-last fragment must carry a multiple of 8 bytes")
    # next header of the fragmentable part
    if p.get("ext"):
        last_nh_pos = hdr_len - len(ext) + sum(len(_ipv6_ext([e], 0)[1]) for e in p["ext"][:-1])
        inner_nh = whole[last_nh_pos]
    else:
        inner_nh = whole[6]
    frag = struct.pack("!BBHI", inner_nh, 0, off | (1 if more else 0), int(p.get("frag_id", 1)))
    out = bytearray(whole[:hdr_len])
    if p.get("ext"):
        out[last_nh_pos] = 44
    else:
        out[6] = 44
    struct.pack_into("!H", out, 4, len(out) - 40 + 8 + len(part))
    return bytes(out) + frag + part


def _check_addr(text: str, where: str) -> None:
    a = ipaddress.ip_interface(text).ip
    if not any(a in n for n in ALLOWED_NETS if n.version == a.version):
        raise ScenarioError(f"{where}: {text} is not a documentation/private address")


def normalize_scenario(raw: dict) -> dict:
    """Validate a scenario (as parsed from TOML or built by a script) and fill defaults.

    Returns a dict with name, description, host (interfaces, routes, sysctl),
    rules, and packets: a list of {"in"|"out", "bytes", "at_ms"|"gap_ms"}.
    """
    if "name" not in raw:
        raise ScenarioError("scenario needs a name")
    unknown = set(raw) - {"name", "description", "host", "rules", "defaults", "flows", "packets"}
    if unknown:
        raise ScenarioError(f"unknown top-level key(s) {sorted(unknown)}")
    if not raw.get("packets"):
        raise ScenarioError("scenario has no packets (top-level `packets` must come before any [table])")
    host = dict(raw.get("host", {}))
    interfaces = host.get("interfaces") or [json.loads(json.dumps(i)) for i in STANDARD_INTERFACES]
    routes = host.get("routes", STANDARD_ROUTES if "interfaces" not in host else [])
    sysctl = dict(host.get("sysctl", {}))
    # nfacct objects (`nfacct add NAME` before the rules load, for -m nfacct)
    nfacct = list(host.get("nfacct", []))
    for n in nfacct:
        if not isinstance(n, str) or not 1 <= len(n.encode()) <= 31 or "\0" in n:
            raise ScenarioError(f"host.nfacct: {n!r} is not an nfacct name (1 to 31 bytes)")
    if len(set(nfacct)) != len(nfacct):
        raise ScenarioError("host.nfacct: a name given twice")
    # timeout policies (`nfct add timeout` + each line's words, before the
    # rules load, for -j CT --timeout): "NAME inet|inet6 PROTO STATE SECS ..."
    cttimeout = list(host.get("cttimeout", []))
    for t in cttimeout:
        if not isinstance(t, str) or len(t.split()) < 3:
            raise ScenarioError(f"host.cttimeout: {t!r} is not `NAME FAMILY PROTO [STATE SECS]...`")
    # ip sets (`ipset restore` of this text before the rules load, for -m set / SET)
    ipset = host.get("ipset", "")
    if not isinstance(ipset, str):
        raise ScenarioError("host.ipset: `ipset save` text (a string)")
    if ipset and not ipset.endswith("\n"):
        ipset += "\n"
    sysctl.setdefault("net.ipv4.ip_forward", 0)
    sysctl.setdefault("net.ipv6.conf.all.forwarding", 0)
    names = set()
    # bridges (`ip link add NAME type bridge`): name, mac, addrs; their ports
    # are interfaces with `master = NAME`
    bridges = [dict(b) for b in host.get("bridges", [])]
    bridge_names = set()
    for i, b in enumerate(bridges):
        unknown_b = set(b) - {"name", "mac", "addrs"}
        if unknown_b or "name" not in b or "mac" not in b:
            raise ScenarioError(f"bridge {i}: keys name, mac and addrs (unknown: {sorted(unknown_b)})")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,14}", b["name"]) or b["name"] == "lo":
            raise ScenarioError(f"bad bridge name {b['name']!r}")
        b.setdefault("addrs", [])
        for a in b["addrs"]:
            _check_addr(a, f"bridge {b['name']}")
        bridge_names.add(b["name"])
    for i, itf in enumerate(interfaces):
        for k in ("name", "mac", "addrs", "peer"):
            if k not in itf:
                raise ScenarioError(f"interface {i} needs {k!r}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,14}", itf["name"]) or itf["name"] == "lo":
            raise ScenarioError(f"bad interface name {itf['name']!r}")
        names.add(itf["name"])
        for a in itf["addrs"] + itf["peer"].get("addrs", []):
            _check_addr(a, f"interface {itf['name']}")
        if "master" in itf and itf["master"] not in bridge_names:
            raise ScenarioError(f"interface {itf['name']}: master {itf['master']!r} is not a bridge")
    if names & bridge_names:
        raise ScenarioError(f"bridge and interface of the same name: {sorted(names & bridge_names)}")
    route_devs = names | bridge_names
    for r in routes:
        _check_addr(r["dst"], "route") if r["dst"] not in ("0.0.0.0/0", "::/0", "default") else None
        if "via" in r:
            _check_addr(r["via"], "route via")
        if "dev" in r and r["dev"] not in route_devs and r["dev"] != "lo":
            raise ScenarioError(f"route dev {r['dev']!r} is not an interface")
    rules = dict(raw.get("rules", {}))
    for fam in rules:
        if fam not in ("ipv4", "ipv6", "ipv4_hex", "ipv6_hex"):
            raise ScenarioError(f"rules.{fam}: only ipv4, ipv6, ipv4_hex and ipv6_hex")
        if fam.endswith("_hex"):
            # Restore input that is not UTF-8 (TOML and JSON strings hold
            # only Unicode): its bytes as hex digits.
            if fam[:4] in rules:
                raise ScenarioError(f"rules.{fam[:4]} and rules.{fam}: give the ruleset once")
            try:
                data = bytes.fromhex(rules[fam])
            except ValueError as e:
                raise ScenarioError(f"rules.{fam}: {e}") from None
            if not data.endswith(b"\n"):
                rules[fam] = (data + b"\n").hex()
        elif not rules[fam].endswith("\n"):
            rules[fam] += "\n"
    defaults = dict(raw.get("defaults", {}))
    flows = dict(raw.get("flows", {}))
    packets = []
    for i, p0 in enumerate(raw.get("packets", [])):
        p = dict(defaults)
        p0 = dict(p0)
        fname = p0.pop("flow", None)
        flow = {}
        if fname is not None:
            if fname not in flows:
                raise ScenarioError(f"packet {i}: unknown flow {fname!r}")
            flow = dict(flows[fname])
        # the direction comes from the packet, else its flow, else the defaults
        for layer in (p0, flow):
            if "in" in layer or "out" in layer:
                p.pop("in", None)
                p.pop("out", None)
                flow.pop("in", None) if layer is p0 else None
                flow.pop("out", None) if layer is p0 else None
                break
        p.update(flow)
        if p0.pop("reply", False):
            for a, b in (("src", "dst"), ("sport", "dport")):
                p[a], p[b] = p.get(b), p.get(a)
                for k in (a, b):
                    if p[k] is None:
                        del p[k]
        p.update(p0)
        if ("in" in p) == bool(p.get("out")):
            raise ScenarioError(f"packet {i}: needs exactly one of in = \"dev\" / out = true")
        if "in" in p and p["in"] not in names:
            raise ScenarioError(f"packet {i}: unknown interface {p['in']!r}")
        if "dst_mac" in p and ("in" not in p or not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", p["dst_mac"])):
            raise ScenarioError(f"packet {i}: dst_mac is a received frame's lower-case Ethernet destination")
        for k in ("src", "dst"):
            if k in p:
                _check_addr(p[k], f"packet {i} {k}")
        try:
            data = build_packet(p)
        except ScenarioError as e:
            raise ScenarioError(f"packet {i}: {e}") from None
        if not data or data[0] >> 4 not in (4, 6):
            raise ScenarioError(f"packet {i}: not an IPv4/IPv6 packet")
        for n in range(int(p.get("repeat", 1))):
            q = {"bytes": data}
            if "in" in p:
                q["in"] = p["in"]
                if "dst_mac" in p:
                    q["dst_mac"] = p["dst_mac"]
            else:
                q["out"] = True
            if n == 0 and "at_ms" in p:
                q["at_ms"] = float(p["at_ms"])
            else:
                q["gap_ms"] = float(p.get("gap_ms", DEFAULT_GAP_MS))
            packets.append(q)
    return {
        "name": raw["name"],
        "description": raw.get("description", ""),
        "host": {"interfaces": interfaces, "routes": routes, "sysctl": sysctl}
        | ({"nfacct": nfacct} if nfacct else {})
        | ({"cttimeout": cttimeout} if cttimeout else {})
        | ({"ipset": ipset} if ipset else {})
        | ({"bridges": bridges} if bridges else {}),
        "rules": rules,
        "packets": packets,
    }


def load_scenario(path: str) -> dict:
    """Read and normalize a TOML scenario file."""
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    return normalize_scenario(raw)


# --------------------------------------------------------------------------
# Kernel plumbing
# --------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    """Move this (single-threaded) process into the network namespace `fd`."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def run(cmd: list[str], input: str | bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command, raising with its stderr on failure (input: text or bytes)."""
    if isinstance(input, bytes):
        r = subprocess.run(cmd, input=input, capture_output=True)
        r.stdout = r.stdout.decode("utf-8", "replace")
        r.stderr = r.stderr.decode("utf-8", "replace")
    else:
        r = subprocess.run(cmd, input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def kmsg_escape(text: str) -> str:
    """A string's UTF-8 bytes as /dev/kmsg shows them in a record's text."""
    return "".join(chr(c) if 0x20 <= c < 0x7F and c != 0x5C else f"\\x{c:02x}" for c in text.encode())


def rules_bytes(scn: dict, fam: str) -> bytes | None:
    """The restore input of a family: `rules.FAM` as UTF-8, or `rules.FAM_hex`."""
    rules = scn["rules"]
    if fam + "_hex" in rules:
        return bytes.fromhex(rules[fam + "_hex"])
    text = rules.get(fam)
    return text.encode() if text is not None else None


def sysctl_path(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def read_sysctl(name: str) -> str:
    with open(sysctl_path(name)) as f:
        return f.read().strip()


def write_sysctl(name: str, value) -> None:
    with open(sysctl_path(name), "w") as f:
        f.write(str(value))


def kernel_hz() -> int:
    """The kernel tick rate CONFIG_HZ.

    Read from the kernel's own config (/proc/config.gz, else
    /boot/config-$(uname -r)); failing that, measured: the `jiffies:` value of
    /proc/timer_list advanced over 0.5 s, rounded to the nearest of the
    possible CONFIG_HZ values (100, 250, 300, 1000). (`getconf CLK_TCK` is
    USER_HZ, always 100, not the tick rate.)
    """
    texts = []
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            texts.append(f.read())
    except OSError:
        pass
    try:
        with open(f"/boot/config-{os.uname().release}") as f:
            texts.append(f.read())
    except OSError:
        pass
    for t in texts:
        m = re.search(r"^CONFIG_HZ=(\d+)$", t, re.M)
        if m:
            return int(m.group(1))

    def jiffies() -> tuple[int, float]:
        with open("/proc/timer_list") as f:
            for line in f:
                if line.startswith("jiffies:"):
                    return int(line.split()[1]), time.monotonic()
        raise RuntimeError("no jiffies in /proc/timer_list")

    j0, t0 = jiffies()
    time.sleep(0.5)
    j1, t1 = jiffies()
    rate = (j1 - j0) / (t1 - t0)
    return min((100, 250, 300, 1000), key=lambda hz: abs(hz - rate))


class Kmsg:
    """Non-blocking reader of /dev/kmsg, positioned at its end."""

    def __init__(self) -> None:
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def drain(self) -> list[str]:
        """Return the messages written since the last call."""
        out = []
        while True:
            try:
                rec = os.read(self.fd, 16384)
            except BlockingIOError:
                return out
            except BrokenPipeError:  # overwritten records: skip them
                continue
            text = rec.decode("utf-8", "replace")
            head, _, rest = text.partition(";")
            msg = rest.split("\n", 1)[0]
            out.append(msg)

    def close(self) -> None:
        os.close(self.fd)


TRACE_RE = re.compile(r"^TRACE: (\w+):(\S+):(rule|return|policy):(\d+) ")
LOG_RE = re.compile(r"IN=(\S*) OUT=(\S*) ")
ND_MLD_TYPES = {130, 131, 132, 133, 134, 135, 136, 137, 143}


class Recorder:
    """One recording session for one normalized scenario."""

    def __init__(self, scn: dict, settle_ms: float = DEFAULT_SETTLE_MS, verbose: bool = False) -> None:
        self.scn = scn
        self.settle = settle_ms / 1000.0
        self.verbose = verbose
        pid = os.getpid()
        self.host_ns = f"nfsim-{pid}-h"
        self.peer_ns = [f"nfsim-{pid}-p{i}" for i in range(len(scn["host"]["interfaces"]))]
        self.created: list[str] = []
        self.saved_init: list[tuple[str, str]] = []
        self.orig_ns_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        self.in_host = False
        self.socks: dict[str, socket.socket] = {}
        self.raw4 = self.raw6 = None
        self.kmsg: Kmsg | None = None
        self.has_raw = {
            fam: bool(re.search(rb"^\*raw\s*$", rules_bytes(scn, fam) or b"", re.M)) for fam in ("ipv4", "ipv6")
        }
        self.sent_out_hex: set[str] = set()
        self.cur_is_nd_mld = False

    def log(self, *a) -> None:
        if self.verbose:
            print(*a, file=sys.stderr)

    # ---- setup / teardown -------------------------------------------------

    def ns_sysctl(self, ns: str, name: str, value) -> None:
        run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{name}={value}"])

    def setup(self) -> None:
        h = self.scn["host"]
        for name, value in INIT_SYSCTLS:
            self.saved_init.append((name, read_sysctl(name)))
            write_sysctl(name, value)
        for ns in [self.host_ns] + self.peer_ns:
            run(["ip", "netns", "add", ns])
            self.created.append(ns)
        hn = self.host_ns
        ipn = ["ip", "-n", hn]
        run(ipn + ["link", "set", "lo", "up"])
        for name, value in HOST_DEFAULT_SYSCTLS:
            self.ns_sysctl(hn, name, value)
        # global scenario sysctls before the interfaces exist (forwarding
        # changes make the host join / leave multicast groups and send MLD)
        for name, value in h["sysctl"].items():
            if not self._per_interface(name):
                self.ns_sysctl(hn, name, value)
        for pn in self.peer_ns:
            self.ns_sysctl(pn, "net.ipv6.conf.all.disable_ipv6", 1)
            self.ns_sysctl(pn, "net.ipv6.conf.default.disable_ipv6", 1)
        for i, itf in enumerate(h["interfaces"]):
            dev, pn = itf["name"], self.peer_ns[i]
            run(ipn + ["link", "add", dev, "address", itf["mac"], "type", "veth", "peer", "name", "peer0",
                       "address", itf["peer"]["mac"], "netns", pn])
            run(ipn + ["link", "set", dev, "arp", "off"])
            for k in ("rp_filter",):
                self.ns_sysctl(hn, f"net.ipv4.conf.{dev}.{k}", 0)
            for a in itf["addrs"]:
                if ipaddress.ip_interface(a).version == 6:
                    run(ipn + ["-6", "addr", "add", a, "dev", dev, "nodad"])
                else:
                    run(ipn + ["addr", "add", a, "dev", dev])
            run(["ip", "-n", pn, "link", "set", "lo", "up"])
            run(["ip", "-n", pn, "link", "set", "peer0", "up"])
            run(ipn + ["link", "set", dev, "up"])
        self.ns_sysctl(hn, "net.ipv4.conf.lo.rp_filter", 0)
        self._setup_bridges()
        for r in h["routes"]:
            dst = "default" if r["dst"] in ("0.0.0.0/0", "::/0") else r["dst"]
            fam = "-6" if ":" in r["dst"] or ":" in r.get("via", "") else "-4"
            cmd = ipn + [fam, "route", "add", dst]
            if "via" in r:
                cmd += ["via", r["via"]]
            if "dev" in r:
                cmd += ["dev", r["dev"]]
            run(cmd)
        for name, value in h["sysctl"].items():
            if self._per_interface(name):
                self.ns_sysctl(hn, name, value)
        run(ipn + ["xfrm", "policy", "add", "dir", "in", "action", "block"])
        run(ipn + ["-6", "xfrm", "policy", "add", "dir", "in", "action", "block"])
        # nfacct objects, before the rules that name them
        for n in h.get("nfacct", []):
            run(["ip", "netns", "exec", hn, "nfacct", "add", n])
        # timeout policies (nfnetlink_cttimeout), before the rules that name them
        for t in h.get("cttimeout", []):
            run(["ip", "netns", "exec", hn, "nfct", "add", "timeout"] + t.split())
        # ip sets, before the rules that name them (sets are per namespace)
        if h.get("ipset"):
            run(["ip", "netns", "exec", hn, "ipset", "restore"], input=h["ipset"].encode())
        # rules
        for fam, tool in (("ipv4", "iptables-legacy"), ("ipv6", "ip6tables-legacy")):
            data = rules_bytes(self.scn, fam)
            if data:
                run(["ip", "netns", "exec", hn, tool + "-restore"], input=data)
            for chain in ("PREROUTING", "OUTPUT"):
                run(["ip", "netns", "exec", hn, tool, "-w", "-t", "raw", "-I", chain, "1", "-j", "TRACE"])
        # sockets: packet sockets in the peer namespaces, raw sockets in the host
        for i, itf in enumerate(h["interfaces"]):
            fd = os.open(f"/run/netns/{self.peer_ns[i]}", os.O_RDONLY)
            try:
                setns(fd)
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
                s.bind(("peer0", 0))
                s.setblocking(False)
                self.socks[itf["name"]] = s
            finally:
                os.close(fd)
                setns(self.orig_ns_fd)
        fd = os.open(f"/run/netns/{hn}", os.O_RDONLY)
        try:
            setns(fd)
        finally:
            os.close(fd)
        self.in_host = True
        self.raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.raw6.setsockopt(socket.IPPROTO_IPV6, IPV6_HDRINCL, 1)
        # let link-up noise (MLD reports...) pass, then start from a clean slate
        time.sleep(0.3)
        self.drain_frames()
        self.kmsg = Kmsg()

    def _per_interface(self, name: str) -> bool:
        parts = name.split(".")
        return any(p in self._dev_names() for p in parts)

    def _dev_names(self) -> set[str]:
        h = self.scn["host"]
        return {i["name"] for i in h["interfaces"]} | {b["name"] for b in h.get("bridges", [])}

    def _setup_bridges(self) -> None:
        """Bridges (`host.bridges`) with their ports (interfaces naming them
        as `master`): STP off (the default), no forward delay, multicast
        snooping off, ARP on (a NOARP bridge addresses frames to its own
        MAC, which br_dev_xmit drops), permanent neighbours for the
        addresses of the ports' peers (the peers never answer ARP / ND)."""
        h = self.scn["host"]
        ipn = ["ip", "-n", self.host_ns]
        for b in h.get("bridges", []):
            br = b["name"]
            run(ipn + ["link", "add", br, "address", b["mac"], "type", "bridge", "forward_delay", "0",
                       "mcast_snooping", "0"])
            self.ns_sysctl(self.host_ns, f"net.ipv4.conf.{br}.rp_filter", 0)
            for itf in h["interfaces"]:
                if itf.get("master") == br:
                    run(ipn + ["link", "set", itf["name"], "master", br])
            for a in b["addrs"]:
                if ipaddress.ip_interface(a).version == 6:
                    run(ipn + ["-6", "addr", "add", a, "dev", br, "nodad"])
                else:
                    run(ipn + ["addr", "add", a, "dev", br])
            run(ipn + ["link", "set", br, "up"])
            for itf in h["interfaces"]:
                if itf.get("master") == br:
                    for a in itf["peer"].get("addrs", []):
                        ip = str(ipaddress.ip_interface(a).ip)
                        run(ipn + ["neigh", "replace", ip, "lladdr", itf["peer"]["mac"], "dev", br,
                                   "nud", "permanent"])

    def cleanup(self) -> None:
        # no signal may interrupt the cleanup itself
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGINT})
        try:
            self._cleanup()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGINT})

    def _cleanup(self) -> None:
        for s in list(self.socks.values()) + [self.raw4, self.raw6]:
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if self.kmsg:
            self.kmsg.close()
        try:
            setns(self.orig_ns_fd)
        except OSError as e:
            print(f"warning: cannot return to the initial namespace: {e}", file=sys.stderr)
        for ns in reversed(self.created):
            r = run(["ip", "netns", "del", ns], check=False)
            if r.returncode != 0:
                print(f"warning: ip netns del {ns}: {r.stderr.strip()}", file=sys.stderr)
        self.created = []
        for name, value in reversed(self.saved_init):
            try:
                write_sysctl(name, value)
            except OSError as e:
                print(f"warning: cannot restore {name}={value}: {e}", file=sys.stderr)
        self.saved_init = []
        os.close(self.orig_ns_fd)

    # ---- observation ------------------------------------------------------

    def drain_frames(self) -> list[dict]:
        out = []
        for dev, s in self.socks.items():
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                if len(frame) < 14:
                    continue
                etype = struct.unpack("!H", frame[12:14])[0]
                l3 = frame[14:]
                if etype not in (0x0800, 0x86DD):
                    continue
                if etype == 0x86DD and self._host_nd_mld(l3):
                    continue
                out.append({"dev": dev, "hex": l3.hex()})
        return out

    def _host_nd_mld(self, l3: bytes, any_sender: bool = False) -> bool:
        """IPv6 ND / MLD the host stack sent on its own (not a packet of the scenario).

        With `any_sender`: whether `l3` is an ND / MLD packet at all.
        """
        if len(l3) < 40 or l3[0] >> 4 != 6 or (not any_sender and l3.hex() in self.sent_out_hex):
            return False
        nh, off = l3[6], 40
        while nh in (0, 60, 43) and off + 8 <= len(l3):
            nh, off = l3[off], off + (l3[off + 1] + 1) * 8
        if nh != 58 or off >= len(l3):
            return False
        return l3[off] in ND_MLD_TYPES and (any_sender or l3[7] in (1, 255))

    def xfrm_blocks(self) -> int:
        with open("/proc/net/xfrm_stat") as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k.strip() == "XfrmInPolBlock":
                    return int(v)
        raise RuntimeError("no XfrmInPolBlock in /proc/net/xfrm_stat")

    def ipset_adds(self) -> list[str]:
        """The `add` lines `ipset save` prints in the host namespace, without
        `timeout N` (it counts down), sorted (hash sets dump in hash order)."""
        out = run(["ip", "netns", "exec", self.host_ns, "ipset", "save"]).stdout
        adds = []
        for l in out.splitlines():
            if not l.startswith("add "):
                continue
            w = l.split(" ")
            keep, i = [], 0
            while i < len(w):
                if w[i] == "timeout" and i >= 3:
                    i += 2
                    continue
                keep.append(w[i])
                i += 1
            adds.append(" ".join(keep))
        return sorted(adds)

    def nfacct_list(self) -> list[str]:
        """The lines `nfacct list` prints in the host namespace."""
        out = run(["ip", "netns", "exec", self.host_ns, "nfacct", "list"]).stdout
        return [l for l in out.splitlines() if l]

    def conntrack(self) -> list[dict]:
        out = []
        try:
            with open("/proc/net/nf_conntrack") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            t = line.split()
            if len(t) < 5:
                continue
            rest = [x for x in t[5:] if not x.startswith("zone=") and not x.startswith("use=")]
            out.append({"entry": " ".join([t[0], t[2]] + rest), "timeout": int(t[4])})
        out.sort(key=lambda e: e["entry"])
        return out

    def fix_trace(self, fam: str, table: str, chain: str, kind: str, num: int) -> str | None:
        """Drop / renumber the records of the recorder's own TRACE rules."""
        if table == "raw" and chain in ("PREROUTING", "OUTPUT"):
            if not self.has_raw[fam] or (kind == "rule" and num == 1):
                # the recorder's own TRACE rule is traced too when a packet
                # already carrying nf_trace comes back (through lo)
                return None
            num -= 1
        elif table == "raw" and not self.has_raw[fam]:
            return None
        return f"{table}:{chain}:{kind}:{num}"

    def collect(self, kmsgs: list[str], fam: str) -> tuple[list[str], list[str]]:
        trace, log = [], []
        # /dev/kmsg shows a device name's bytes below 0x20, from 0x7f up and
        # `\` as \xNN (printk.c msg_add_ext_text).
        names = {kmsg_escape(n) for n in self._dev_names()} | {"lo", ""}
        for m in kmsgs:
            t = TRACE_RE.match(m)
            if t and self._own_nd_mld(m):
                self.log(f"  skipped (host's own ND/MLD): {m}")
                continue  # the host's own ND / MLD, not caused by this packet
            if t:
                li = LOG_RE.search(m)
                if li and (li.group(1) not in names or li.group(2) not in names):
                    continue  # another namespace's line
                rec_fam = "ipv6" if " SRC=" in m and ":" in m.split(" SRC=", 1)[1].split(" ", 1)[0] else "ipv4"
                r = self.fix_trace(rec_fam, t.group(1), t.group(2), t.group(3), int(t.group(4)))
                if r is not None:
                    trace.append(r)
                continue
            li = LOG_RE.search(m)
            if li and li.group(1) in names and li.group(2) in names:
                if self._own_nd_mld(m):
                    self.log(f"  skipped (host's own ND/MLD): {m}")
                    continue
                log.append(m)
        return trace, log

    def _own_nd_mld(self, line: str) -> bool:
        """A TRACE / LOG line of an ND / MLD packet the host sent on its own.

        Any line about ND / MLD while the scenario's packet is not ND / MLD
        itself: with ARP off the host never resolves neighbours, so those are
        its multicast listener reports (seen on OUTPUT/POSTROUTING and, looped
        back, with IN= set).
        """
        m = re.search(r" PROTO=ICMPv6 TYPE=(\d+) ", line)
        return bool(m) and int(m.group(1)) in ND_MLD_TYPES and not self.cur_is_nd_mld

    # ---- the run ----------------------------------------------------------

    def send(self, p: dict) -> None:
        data = p["bytes"]
        if "in" in p:
            itf = next(i for i in self.scn["host"]["interfaces"] if i["name"] == p["in"])
            dst_mac = p.get("dst_mac", itf["mac"])
            eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(itf["peer"]["mac"].replace(":", ""))
            eth += b"\x08\x00" if data[0] >> 4 == 4 else b"\x86\xdd"
            self.socks[p["in"]].send(eth + data)
            return
        self.sent_out_hex.add(data.hex())
        try:
            if data[0] >> 4 == 4:
                dst = socket.inet_ntop(socket.AF_INET, data[16:20])
                self.raw4.sendto(data, (dst, 0))
            else:
                dst = socket.inet_ntop(socket.AF_INET6, data[24:40])
                self.raw6.sendto(data, (dst, 0))
        except OSError as e:
            if e.errno != errno.EPERM:
                raise  # EPERM: a netfilter hook dropped it
            self.log("  sendto: EPERM (dropped by a hook)")

    def record(self) -> dict:
        packets_out = []
        t_first = None
        t_prev = None
        for i, p in enumerate(self.scn["packets"]):
            if t_first is not None:
                target = t_first + p["at_ms"] / 1000.0 if "at_ms" in p else t_prev + p["gap_ms"] / 1000.0
                delay = target - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            self.drain_frames()
            self.kmsg.drain()
            x0 = self.xfrm_blocks()
            now = time.monotonic()
            if t_first is None:
                t_first = now
            t_prev = now
            self.cur_is_nd_mld = self._host_nd_mld(p["bytes"], any_sender=True)
            self.send(p)
            time.sleep(self.settle)
            emitted = self.drain_frames()
            trace, log = self.collect(self.kmsg.drain(), "ipv4" if p["bytes"][0] >> 4 == 4 else "ipv6")
            ct = self.conntrack()
            local = self.xfrm_blocks() > x0
            rec = {}
            rec["in" if "in" in p else "out"] = p["in"] if "in" in p else True
            if "dst_mac" in p:
                rec["dst_mac"] = p["dst_mac"]
            rec["at_ms"] = round((now - t_first) * 1000.0, 3)
            rec["hex"] = p["bytes"].hex()
            rec["expect"] = {"trace": trace, "local": local, "emitted": emitted, "conntrack": ct, "log": log}
            if self.scn["host"].get("nfacct"):
                rec["expect"]["nfacct"] = self.nfacct_list()
            if self.scn["host"].get("ipset"):
                rec["expect"]["ipset"] = self.ipset_adds()
            self.log(f"[{i}] {rec['at_ms']:.1f} {trace} local={local} emitted={len(emitted)} ct={len(ct)}")
            packets_out.append(rec)
        return packets_out


def recorded_with() -> dict:
    ver = run(["iptables-legacy", "--version"]).stdout.strip()
    return {"kernel": os.uname().release, "iptables": ver, "hz": kernel_hz()}


class _Lock:
    def __enter__(self):
        self.f = open(LOCK_PATH, "a+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.f.close()
            raise SystemExit(f"another recorder is running (lock {LOCK_PATH} is held)")
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def _on_signal(signum, frame):
    raise Interrupted(f"signal {signum}")


def record_scenario(scn: dict, settle_ms: float = DEFAULT_SETTLE_MS, verbose: bool = False) -> dict:
    """Record a normalized scenario; return the trace document (a dict).

    Takes the machine-wide lock; always removes its namespaces and restores
    the sysctls it changed.
    """
    if os.geteuid() != 0:
        raise SystemExit("record.py must run as root")
    info = recorded_with()
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with _Lock():
            rec = Recorder(scn, settle_ms, verbose)
            try:
                rec.setup()
                packets = rec.record()
            finally:
                rec.cleanup()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return {
        "format": FORMAT,
        "name": scn["name"],
        "description": scn["description"],
        "recorded_with": info,
        "host": scn["host"],
        "rules": scn["rules"],
        "packets": packets,
    }


def dump_trace(doc: dict, path: str) -> None:
    """Write a trace document as JSON (one packet per block, stable layout)."""
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", help="scenario TOML file")
    ap.add_argument("-o", "--output", help="trace JSON to write (default: stdout)")
    ap.add_argument("--settle-ms", type=float, default=DEFAULT_SETTLE_MS,
                    help="wait after each packet before collecting (default %(default)s)")
    ap.add_argument("--check", action="store_true", help="only parse the scenario and print its packets")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    try:
        scn = load_scenario(a.scenario)
    except (ScenarioError, tomllib.TOMLDecodeError, ValueError, KeyError) as e:
        print(f"{a.scenario}: {e}", file=sys.stderr)
        return 2
    if a.check:
        for i, p in enumerate(scn["packets"]):
            print(i, p.get("in", "out"), p["bytes"].hex())
        return 0
    try:
        doc = record_scenario(scn, a.settle_ms, a.verbose)
    except Interrupted as e:
        print(f"interrupted ({e}); cleaned up", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    except (RuntimeError, OSError) as e:
        print(f"recording failed (cleaned up): {e}", file=sys.stderr)
        return 1
    if a.output:
        dump_trace(doc, a.output)
    else:
        json.dump(doc, sys.stdout, indent=1)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
