#!/usr/bin/env python3
"""Records what the Linux stack itself sends when real sockets answer.

The trace recorder (record.py) silences the host's stack on purpose (an
XFRM block policy): its traces hold what netfilter does, never a socket's
answer. This script records the other half, for nfsim's endpoints
(``nfsim::net::endpoint``): two network namespaces joined by one veth pair,

    host  nfsim-ep-<pid>-h  eth0  192.0.2.1/24  2001:db8::1/64  02:00:00:00:00:01
    peer  nfsim-ep-<pid>-p  peer0 192.0.2.2/24  2001:db8::2/64  02:00:00:00:01:01

no rules anywhere, permanent neighbour entries (no ARP / ND on the wire),
IPv6 DAD, autoconf, RA and router solicitations off, no link-local
addresses, TX checksum offload off on both ends (so the captured TCP/UDP
checksums are complete, not the CHECKSUM_PARTIAL pseudo-header sums veth
would otherwise carry), ``net.ipv6.auto_flowlabels=0`` in the host (as
nfsim's hosts and the trace recorder have it). Everything else is the kernel's default of a new
namespace (``tcp_timestamps=1``,
``tcp_sack=1``, ``tcp_window_scaling=1``, ``tcp_rmem``...).

Real sockets answer in the host namespace (Python ``socket``: a TCP echo
listener and a UDP echo socket on port 7; port 9 closed); the peer's real
sockets (and, for what a socket cannot send, hand-made frames on an
``AF_PACKET`` socket) talk to them; an ``AF_PACKET`` socket on ``peer0``
captures every frame, both ways, with its kernel timestamp.

Scenarios, for IPv4 and IPv6 each:

* ``listener``: the peer connects to the host's echo port, sends a line,
  reads the echo, shuts its side down, reads to EOF, closes.
* ``client``: the host connects to an echo listener of the peer (same
  exchange, roles swapped): the host's SYN, ACK, data and FIN.
* ``closed-tcp``: the peer connects to port 9 (SYN -> RST|ACK), then a
  hand-made bare ACK to port 9 (-> RST with the segment's ack as seq).
* ``syn-options``: hand-made SYNs offering no options, MSS 536 with
  timestamps, SACK only, window scale only (-> SYN-ACKs offering only
  those; the peer's kernel resets each), then a bare ACK to the listening
  port (-> RST).
* ``udp``: a datagram to the UDP echo port (-> the echo), one to port 9
  (-> ICMP / ICMPv6 port unreachable quoting it).
* ``ping``: an echo request (-> echo reply).

Output (``-o FILE``; stdout by default), one line per item, for
tests/endpoints.rs::

    # comments
    scenario NAME
    in  T_US HEX     a frame the peer sent (arriving at the host), L3 on
    out T_US HEX     a frame the host sent

``T_US`` is microseconds since the scenario's first frame. Needs root;
takes the recorders' lock (/run/nfsim-recorder.lock); removes its
namespaces on every exit path.
"""

import argparse
import ctypes
import fcntl
import os
import platform
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

LOCK_PATH = "/run/nfsim-recorder.lock"
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x00000017
SO_TIMESTAMPNS = 35

H_MAC = "02:00:00:00:00:01"
P_MAC = "02:00:00:00:01:01"
ADDR = {4: ("192.0.2.1", "192.0.2.2"), 6: ("2001:db8::1", "2001:db8::2")}
ECHO_PORT = 7
CLOSED_PORT = 9

_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd: int) -> None:
    """Move the calling thread into the network namespace `fd`."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tx_csum_off(ifname: str) -> None:
    """ethtool -K IFNAME tx off, through SIOCETHTOOL (no ethtool here)."""
    val = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
    ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(val)).ljust(40, b"\0")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


def tcp_frame(fam: int, sport: int, dport: int, seq: int, ack: int, flags: int, opts: bytes = b"") -> bytes:
    """A TCP segment from the peer to the host, L3 on (options padded to 4)."""
    src, dst = ADDR[fam][1], ADDR[fam][0]
    opts = opts + b"\0" * (-len(opts) % 4)
    doff = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 1024, 0, 0) + opts
    if fam == 4:
        s, d = socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst)
        c = csum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x1234, 0x4000, 64, 6, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return ip + tcp
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    c = csum(s + d + struct.pack("!IxxxB", len(tcp), 6) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    return struct.pack("!IHBB", 0x60000000, len(tcp), 6, 64) + s + d + tcp


def bare_ack(fam: int, sport: int, dport: int, seq: int, ack: int) -> bytes:
    """A TCP segment with only ACK set, from the peer to the host, L3 on."""
    return tcp_frame(fam, sport, dport, seq, ack, 0x10)


# SYNs offering less than Linux does (scenario `syn-options`): the
# SYN-ACK offers only what the SYN did, and its window follows the MSS.
SYN_OPTIONS = [
    b"",  # no options at all
    bytes.fromhex("02040218") + bytes.fromhex("0101080a") + struct.pack("!II", 12345, 0),  # MSS 536, TS
    bytes.fromhex("020405b4") + bytes.fromhex("01010402"),  # MSS 1460, SACK
    bytes.fromhex("020405b4") + bytes.fromhex("01030302"),  # MSS 1460, WS 2
]


def echo_request(fam: int, ident: int, seq: int, payload: bytes) -> bytes:
    """An ICMP / ICMPv6 echo request from the peer to the host, L3 on."""
    src, dst = ADDR[fam][1], ADDR[fam][0]
    if fam == 4:
        s, d = socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst)
        icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x4321, 0x4000, 64, 1, 0, s, d)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        return ip + icmp
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    icmp = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    c = csum(s + d + struct.pack("!IxxxB", len(icmp), 58) + icmp)
    icmp = icmp[:2] + struct.pack("!H", c) + icmp[4:]
    return struct.pack("!IHBB", 0x60000000, len(icmp), 58, 64) + s + d + icmp


class Lock:
    def __enter__(self):
        self.f = open(LOCK_PATH, "a+")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *a):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def echo_tcp_server(ls: socket.socket, stop: threading.Event) -> None:
    ls.settimeout(0.1)
    while not stop.is_set():
        try:
            c, _ = ls.accept()
        except (socket.timeout, OSError):
            continue
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)


def echo_udp_server(us: socket.socket, stop: threading.Event) -> None:
    us.settimeout(0.1)
    while not stop.is_set():
        try:
            d, a = us.recvfrom(65536)
        except (socket.timeout, OSError):
            continue
        us.sendto(d, a)


class Recorder:
    def __init__(self) -> None:
        pid = os.getpid()
        self.hn = f"nfsim-ep-{pid}-h"
        self.pn = f"nfsim-ep-{pid}-p"
        self.made: list[str] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.orig = os.open("/proc/self/ns/net", os.O_RDONLY)

    def setup(self) -> None:
        for ns in (self.hn, self.pn):
            run(["ip", "netns", "add", ns])
            self.made.append(ns)
            for k, v in [
                ("net.ipv6.conf.all.accept_dad", 0),
                ("net.ipv6.conf.default.accept_dad", 0),
                ("net.ipv6.conf.all.autoconf", 0),
                ("net.ipv6.conf.default.autoconf", 0),
                ("net.ipv6.conf.all.accept_ra", 0),
                ("net.ipv6.conf.default.accept_ra", 0),
                ("net.ipv6.conf.all.router_solicitations", 0),
                ("net.ipv6.conf.default.router_solicitations", 0),
                ("net.ipv6.conf.default.addr_gen_mode", 1),
            ]:
                run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{k}={v}"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.hn, "link", "add", "eth0", "address", H_MAC, "type", "veth",
             "peer", "name", "peer0", "address", P_MAC, "netns", self.pn])
        for ns, dev, me, peer, mac in [(self.hn, "eth0", 0, 1, P_MAC), (self.pn, "peer0", 1, 0, H_MAC)]:
            run(["ip", "-n", ns, "addr", "add", f"{ADDR[4][me]}/24", "dev", dev])
            run(["ip", "-n", ns, "-6", "addr", "add", f"{ADDR[6][me]}/64", "dev", dev, "nodad"])
            run(["ip", "-n", ns, "link", "set", dev, "up"])
            run(["ip", "-n", ns, "neigh", "replace", ADDR[4][peer], "lladdr", mac, "dev", dev, "nud", "permanent"])
            run(["ip", "-n", ns, "-6", "neigh", "replace", ADDR[6][peer], "lladdr", mac, "dev", dev, "nud", "permanent"])
        # The host's flow labels as nfsim's hosts model them (the recorder's
        # method; the kernel default, 1, hashes each flow with a random key).
        run(["ip", "netns", "exec", self.hn, "sysctl", "-q", "-w", "net.ipv6.auto_flowlabels=0"])
        self.hfd = os.open(f"/run/netns/{self.hn}", os.O_RDONLY)
        self.pfd = os.open(f"/run/netns/{self.pn}", os.O_RDONLY)
        setns(self.hfd)
        tx_csum_off("eth0")
        # The host's listeners: TCP and UDP echo on port 7 (port 9 closed).
        for fam, af in ((4, socket.AF_INET), (6, socket.AF_INET6)):
            ls = socket.socket(af, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((ADDR[fam][0], ECHO_PORT))
            ls.listen(8)
            us = socket.socket(af, socket.SOCK_DGRAM)
            us.bind((ADDR[fam][0], ECHO_PORT))
            self.spawn(echo_tcp_server, ls)
            self.spawn(echo_udp_server, us)
        # Sockets the host connects from (scenario `client`).
        self.hclient = {4: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
                        6: socket.socket(socket.AF_INET6, socket.SOCK_STREAM)}
        setns(self.pfd)
        tx_csum_off("peer0")
        for fam, af in ((4, socket.AF_INET), (6, socket.AF_INET6)):
            ls = socket.socket(af, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((ADDR[fam][1], ECHO_PORT))
            ls.listen(8)
            self.spawn(echo_tcp_server, ls)
        self.cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.cap.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.cap.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.cap.bind(("peer0", 0))
        self.cap.setblocking(False)
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind(("peer0", 0))
        # The peer's sockets are made here, in its namespace.
        self.mk = {4: socket.AF_INET, 6: socket.AF_INET6}
        self.peer_socks = {
            (fam, kind): socket.socket(af, kind)
            for fam, af in self.mk.items()
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM)
        }
        self.peer_socks[(4, "closed")] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.peer_socks[(6, "closed")] = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        setns(self.orig)
        time.sleep(0.3)
        self.drain()

    def spawn(self, f, s) -> None:
        t = threading.Thread(target=f, args=(s, self.stop), daemon=True)
        t.start()
        self.threads.append(t)

    def drain(self) -> list[tuple[float, str, bytes]]:
        out = []
        while True:
            try:
                data, anc, _, addr = self.cap.recvmsg(65536, 1024)
            except BlockingIOError:
                return out
            ethertype = struct.unpack("!H", data[12:14])[0]
            if ethertype not in (0x0800, 0x86DD):
                continue
            l3 = data[14:]
            if ethertype == 0x86DD and (l3[24] == 0xFF or (l3[6] == 58 and 130 <= l3[40] <= 143)):
                continue  # MLD / neighbour discovery of either stack
            t = time.time()
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, ns = struct.unpack("qq", val[:16])
                    t = sec + ns / 1e9
            # Outgoing on peer0 = sent by the peer = arriving at the host.
            out.append((t, "in" if addr[2] == PACKET_OUTGOING else "out", l3))

    def scenario(self, fam: int, kind: str) -> list[tuple[float, str, bytes]]:
        h, p = ADDR[fam]
        if kind == "listener":
            c = self.peer_socks[(fam, socket.SOCK_STREAM)]
            c.connect((h, ECHO_PORT))
            time.sleep(0.05)
            c.sendall(b"hello nfsim\n")
            assert c.recv(100) == b"hello nfsim\n"
            time.sleep(0.05)
            c.shutdown(socket.SHUT_WR)
            while c.recv(100):
                pass
            c.close()
        elif kind == "client":
            c = self.hclient[fam]
            c.connect((p, ECHO_PORT))
            time.sleep(0.05)
            c.sendall(b"hello nfsim\n")
            assert c.recv(100) == b"hello nfsim\n"
            time.sleep(0.05)
            c.shutdown(socket.SHUT_WR)
            while c.recv(100):
                pass
            c.close()
        elif kind == "closed-tcp":
            c = self.peer_socks[(fam, "closed")]
            try:
                c.connect((h, CLOSED_PORT))
                raise RuntimeError("port 9 answered")
            except ConnectionRefusedError:
                pass
            c.close()
            time.sleep(0.05)
            self.send_frame(fam, bare_ack(fam, 45000, CLOSED_PORT, 1000, 2000))
        elif kind == "syn-options":
            # Hand-made SYNs: the peer has no socket for them, so its
            # kernel resets each SYN-ACK (captured, fed to nfsim too).
            for k, opts in enumerate(SYN_OPTIONS):
                self.send_frame(fam, tcp_frame(fam, 46000 + k, ECHO_PORT, 7000 + 1000 * k, 0, 0x02, opts))
                time.sleep(0.05)
            # An ACK to the listening port: a reset (tcp_rcv_state_process).
            self.send_frame(fam, bare_ack(fam, 46100, ECHO_PORT, 3000, 4000))
        elif kind == "udp":
            u = self.peer_socks[(fam, socket.SOCK_DGRAM)]
            u.sendto(b"ping nfsim", (h, ECHO_PORT))
            u.settimeout(1)
            assert u.recvfrom(100)[0] == b"ping nfsim"
            time.sleep(0.05)
            u.sendto(b"nobody home", (h, CLOSED_PORT))
        elif kind == "ping":
            self.send_frame(fam, echo_request(fam, 0x4242, 1, b"nfsim echo 0123456789"))
        time.sleep(0.15)
        return self.drain()

    def send_frame(self, fam: int, l3: bytes) -> None:
        eth = bytes.fromhex(H_MAC.replace(":", "")) + bytes.fromhex(P_MAC.replace(":", ""))
        self.tx.send(eth + struct.pack("!H", 0x0800 if fam == 4 else 0x86DD) + l3)

    def cleanup(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(1)
        for ns in self.made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.made = []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    rec = Recorder()

    def on_signal(signum, frame):
        rec.cleanup()
        sys.exit(128 + signum)

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    lines = [
        "# nfsim endpoint recordings: what the Linux stack sends when real sockets answer",
        f"# kernel {platform.release()}, recorded by tools/kernel-oracle/record_endpoints.py",
        "# in = sent by the peer (arriving at the host), out = sent by the host; T_US since the first frame",
    ]
    with Lock():
        try:
            rec.setup()
            for fam in (4, 6):
                for kind in ("listener", "client", "closed-tcp", "syn-options", "udp", "ping"):
                    frames = rec.scenario(fam, kind)
                    lines.append(f"scenario {kind}-ipv{fam}")
                    t0 = frames[0][0] if frames else 0
                    for t, d, l3 in frames:
                        lines.append(f"{d:<3} {round((t - t0) * 1e6)} {l3.hex()}")
        finally:
            rec.cleanup()
    text = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
