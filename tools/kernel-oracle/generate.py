#!/usr/bin/env python3
"""Seeded generator of kernel-oracle scenarios (random rulesets and traffic).

Usage::

    generate.py SEED [-o FILE.toml] [--no-check]

Prints (or writes) one scenario in the recorder's TOML format
(`README.md` beside this file). The same seed always gives the same
scenario (for one version of this file). Every generated ruleset is checked
with `iptables-legacy-restore --test` / `ip6tables-legacy-restore --test`
in a scratch network namespace (needs root; `--no-check` skips it); when
iptables refuses it, the generator draws again from the same seed's stream.

What it leaves out, and why (the kernel would not behave the same way twice):
see `GENERATOR.md` beside this file.

Standard library only (Python >= 3.11).
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import random
import subprocess
import sys
import uuid

HOOKS = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")
TABLE_CHAINS = {
    "raw": ("PREROUTING", "OUTPUT"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
}

# host interfaces: (name, mac, v4 /24 prefix, v6 /64 prefix)
IFACES = [
    ("eth0", "02:00:00:00:00:01", "192.0.2", "2001:db8:0"),
    ("eth1", "02:00:00:00:00:02", "198.51.100", "2001:db8:1"),
    ("eth2", "02:00:00:00:00:03", "203.0.113", "2001:db8:2"),
]
# off-link networks routed through eth1's peer (the default route)
FAR4 = "10.1.2"
FAR6 = "2001:db8:ff"

REJECT4 = ["icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable",
           "icmp-proto-unreachable", "icmp-net-prohibited", "icmp-host-prohibited",
           "icmp-admin-prohibited"]
REJECT6 = ["icmp6-no-route", "icmp6-adm-prohibited", "icmp6-addr-unreachable",
           "icmp6-port-unreachable", "icmp6-policy-fail", "icmp6-reject-route"]
ICMP4_TYPES = ["echo-request", "echo-reply", "destination-unreachable", "port-unreachable",
               "host-unreachable", "time-exceeded", "fragmentation-needed", "3/3", "8", "0/0", "any"]
ICMP6_TYPES = ["echo-request", "echo-reply", "destination-unreachable", "port-unreachable",
               "packet-too-big", "time-exceeded", "128", "129/0", "1/4", "parameter-problem"]
CT_STATES = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"]
CT_STATUS = ["NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"]
ADDRTYPES = ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE",
             "UNREACHABLE", "PROHIBIT"]
DSCP_CLASSES = ["BE", "EF", "AF11", "AF21", "AF41", "CS1", "CS5"]
TOS_NAMES = ["Minimize-Delay", "Maximize-Throughput", "Maximize-Reliability", "Minimize-Cost",
             "Normal-Service"]
CT_TIMEOUTS = {  # sysctl -> values (seconds) the generator may set
    "net.netfilter.nf_conntrack_udp_timeout": [2, 3, 4],
    "net.netfilter.nf_conntrack_udp_timeout_stream": [3, 5],
    "net.netfilter.nf_conntrack_icmp_timeout": [2, 3],
    "net.netfilter.nf_conntrack_icmpv6_timeout": [2, 3],
    "net.netfilter.nf_conntrack_tcp_timeout_syn_sent": [2, 4],
    "net.netfilter.nf_conntrack_tcp_timeout_syn_recv": [3],
    "net.netfilter.nf_conntrack_tcp_timeout_established": [4, 6],
    "net.netfilter.nf_conntrack_tcp_timeout_close": [2],
    "net.netfilter.nf_conntrack_generic_timeout": [3],
}
# default timeouts (s) that a scenario of < 25 s can reach: TCP CLOSE,
# hashlimit's default htable-expire (10 s)
DEFAULT_REACHABLE_TIMEOUTS = [10000.0]
MIN_SPACING_MS = 45.0  # the recorder needs ~36 ms per packet (30 ms settle)
TIMEOUT_MARGIN_MS = 1600.0
LIMIT_MARGIN_MS = 15.0


class Host:
    def __init__(self, r: random.Random):
        self.n = r.choice([2, 2, 3])
        self.ifaces = IFACES[: self.n]
        self.fwd4 = r.random() < 0.6
        self.fwd6 = r.random() < 0.5
        self.sysctl = {"net.ipv4.ip_forward": int(self.fwd4),
                       "net.ipv6.conf.all.forwarding": int(self.fwd6)}
        self.timeouts = []
        if r.random() < 0.12:
            # one short timeout for several protocols/states, TCP CLOSE (10 s by default) too
            v = r.choice([2, 3])
            for k in r.sample(sorted(CT_TIMEOUTS), r.randint(1, 3)) + ["net.netfilter.nf_conntrack_tcp_timeout_close"]:
                self.sysctl[k] = v
            self.timeouts.append(v * 1000.0)
        if r.random() < 0.2:
            self.sysctl["net.netfilter.nf_conntrack_tcp_loose"] = 0
        if r.random() < 0.2:
            self.sysctl["net.netfilter.nf_conntrack_tcp_be_liberal"] = 1
        if r.random() < 0.1:
            self.sysctl["net.netfilter.nf_conntrack_checksum"] = 0
        if r.random() < 0.85:
            # ICMP redirects (a packet forwarded out of the interface it came in on) are
            # rate limited by ip_rt_send_redirect with a backoff of 20 ms << n in jiffies:
            # which ones go out depends on the timing (see GENERATOR.md)
            self.sysctl["net.ipv4.conf.all.send_redirects"] = 0
            self.sysctl["net.ipv4.conf.default.send_redirects"] = 0

    def local4(self, i=None):
        return f"{self.ifaces[i][2]}.1" if i is not None else [f"{x[2]}.1" for x in self.ifaces]

    def local6(self, i=None):
        return f"{self.ifaces[i][3]}::1" if i is not None else [f"{x[3]}::1" for x in self.ifaces]

    def toml(self) -> dict:
        itf = []
        for name, mac, p4, p6 in self.ifaces:
            itf.append({"name": name, "mac": mac, "addrs": [f"{p4}.1/24", f"{p6}::1/64"],
                        "peer": {"mac": mac[:-5] + "01:" + mac[-2:], "addrs": [f"{p4}.2/24", f"{p6}::2/64"]}})
        routes = [{"dst": "0.0.0.0/0", "via": "198.51.100.2", "dev": "eth1"},
                  {"dst": "::/0", "via": "2001:db8:1::2", "dev": "eth1"}]
        return {"sysctl": self.sysctl, "interfaces": itf, "routes": routes}


class Rules:
    """One family's ruleset, built with knowledge of which hooks reach each chain."""

    def __init__(self, r: random.Random, fam: int, host: Host, pools: dict, budget: dict):
        self.r, self.fam, self.host, self.pools, self.budget = r, fam, host, pools, budget
        self.tables = {}
        self.intervals = []  # ms per credit of rate matches (for timing checks)
        self.timeouts = []  # ms (recent --seconds)
        self.probe_ports = []  # (proto, port, interval ms) of rate-limited probes
        self.recent_names = []
        self.hashlimit_names = 0
        self.kinds = set()

    # ---- addresses ---------------------------------------------------
    def addr(self):
        return self.r.choice(self.pools["addr4" if self.fam == 4 else "addr6"])

    def net(self):
        a = ipaddress.ip_address(self.addr())
        if self.fam == 4:
            plen = self.r.choice([32, 32, 24, 28, 16, 8, 30])
        else:
            plen = self.r.choice([128, 128, 64, 120, 48, 32, 126])
        n = ipaddress.ip_network(f"{a}/{plen}", strict=False)
        return str(n.network_address) if plen in (32, 128) and self.r.random() < 0.5 else str(n)

    def port(self):
        return self.r.choice(self.pools["ports"])

    def portspec(self):
        x = self.r.random()
        p = self.port()
        if x < 0.6:
            return str(p)
        if x < 0.8:
            return f"{p}:{min(65535, p + self.r.choice([1, 5, 100, 1000]))}"
        return f"{self.r.choice(['', '1'])}:{p}" if self.r.random() < 0.5 else f"{p}:"

    def neg(self, p=0.2):
        return "! " if self.r.random() < p else ""

    # ---- matches -----------------------------------------------------
    def proto_part(self, hooks):
        """(text, proto) for -p and its options."""
        r = self.r
        x = r.random()
        icmp = "icmp" if self.fam == 4 else r.choice(["ipv6-icmp", "icmpv6"])
        if x < 0.35:
            parts = ["-p tcp"]
            if r.random() < 0.4:
                parts.append("-m tcp")
            if r.random() < 0.5:
                parts.append(f"{self.neg()}--dport {self.portspec()}")
            if r.random() < 0.3:
                parts.append(f"{self.neg()}--sport {self.portspec()}")
            y = r.random()
            if y < 0.2:
                parts.append(f"{self.neg()}--syn")
            elif y < 0.4:
                flags = ["SYN", "ACK", "FIN", "RST", "URG", "PSH"]
                mask = r.sample(flags, r.randint(1, 4))
                comp = [f for f in mask if r.random() < 0.5] or ["NONE"]
                if r.random() < 0.1:
                    mask = ["ALL"]
                parts.append(f"{self.neg()}--tcp-flags {','.join(mask)} {','.join(comp)}")
            elif y < 0.45:
                parts.append(f"{self.neg()}--tcp-option {r.choice([2, 3, 4, 8])}")
            return " ".join(parts), "tcp"
        if x < 0.6:
            parts = ["-p udp"]
            if r.random() < 0.4:
                parts.append("-m udp")
            if r.random() < 0.6:
                parts.append(f"{self.neg()}--dport {self.portspec()}")
            if r.random() < 0.3:
                parts.append(f"{self.neg()}--sport {self.portspec()}")
            return " ".join(parts), "udp"
        if x < 0.78:
            parts = [f"-p {icmp}"]
            if r.random() < 0.7:
                if self.fam == 4:
                    parts.append(f"{self.neg()}--icmp-type {r.choice(ICMP4_TYPES)}")
                else:
                    parts.append(f"{self.neg()}--icmpv6-type {r.choice(ICMP6_TYPES)}")
            return " ".join(parts), "icmp"
        if x < 0.82:
            return f"! -p {r.choice(['tcp', 'udp', icmp])}", None
        return "", None

    def match(self, hooks, ctx, table):
        """One -m match (text) allowed in these hooks; ctx: the rule's protocol and the
        options and match kinds it uses already (iptables allows each once)."""
        r = self.r
        fam = self.fam
        proto = ctx["proto"]
        kinds = ["multiport", "iprange", "length", "ttl", "tos", "dscp", "mark", "connmark",
                 "conntrack", "state", "addrtype", "pkttype", "comment", "statistic", "recent",
                 "limit", "hashlimit", "addr", "iface"]
        w = [3 if proto in ("tcp", "udp") else 0, 2, 2, 2, 1, 1, 2, 1, 4, 3, 2, 1, 1, 1, 1, 1, 1, 5, 4]
        k = r.choices(kinds, w)[0]
        if k in ctx["used"]:
            return ""
        ctx["used"].add(k)
        self.kinds.add(k)
        if k == "addr":
            o = r.choice("sd")
            if o in ctx["used"]:
                return ""
            ctx["used"].add(o)
            return f"{self.neg()}-{o} {self.net()}"
        if k == "iface":
            ins = {"PREROUTING", "INPUT", "FORWARD"}
            outs = {"FORWARD", "OUTPUT", "POSTROUTING"}
            opts = []
            if hooks <= ins:
                opts.append("-i")
            if hooks <= outs:
                opts.append("-o")
            opts = [o for o in opts if o not in ctx["used"]]
            if not opts:
                return ""
            o = r.choice(opts)
            ctx["used"].add(o)
            name = r.choice([f[0] for f in self.host.ifaces] + ["eth+", "lo", "eth9", "e+"])
            return f"{self.neg()}{o} {name}"
        if k == "multiport":
            ports = []
            for _ in range(r.randint(1, 4)):
                p = self.port()
                ports.append(f"{p}:{p + r.choice([1, 10, 100])}" if r.random() < 0.25 else str(p))
            return f"-m multiport {self.neg()}--{r.choice(['dports', 'sports', 'ports'])} {','.join(ports)}"
        if k == "iprange":
            a = ipaddress.ip_address(self.addr())
            b = a + r.choice([0, 1, 5, 40])
            return f"-m iprange {self.neg()}--{r.choice(['src', 'dst'])}-range {a}-{b}"
        if k == "length":
            lo = r.choice([0, 20, 40, 60, 100, 500, 1000])
            hi = lo + r.choice([0, 20, 60, 500, 1500])
            return f"-m length {self.neg()}--length {lo}:{hi}" if lo != hi else f"-m length --length {lo}"
        if k == "ttl":
            v = r.choice([1, 2, 63, 64, 65, 128, 255])
            if fam == 4:
                op = r.choice(["--ttl-eq", "--ttl-lt", "--ttl-gt"])
                return f"-m ttl {self.neg() if op == '--ttl-eq' else ''}{op} {v}"
            op = r.choice(["--hl-eq", "--hl-lt", "--hl-gt"])
            return f"-m hl {self.neg() if op == '--hl-eq' else ''}{op} {v}"
        if k == "tos":
            t = r.choice(TOS_NAMES + ["0x10", "0x08/0x08", "0x04/0xfc", "0"])
            return f"-m tos {self.neg()}--tos {t}"
        if k == "dscp":
            if r.random() < 0.5:
                return f"-m dscp {self.neg()}--dscp {r.choice([0, 1, 10, 46, 63])}"
            return f"-m dscp {self.neg()}--dscp-class {r.choice(DSCP_CLASSES)}"
        if k == "mark":
            v = r.choice(["1", "2", "0x10/0xf0", "0", "3/1"])
            return f"-m mark {self.neg()}--mark {v}"
        if k == "connmark":
            v = r.choice(["1", "2", "0x10/0xf0", "0", "5/4"])
            return f"-m connmark {self.neg()}--mark {v}"
        if k == "state":
            s = r.sample(["NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED"], r.randint(1, 3))
            return f"-m state {self.neg(0.1)}--state {','.join(s)}"
        if k == "conntrack":
            parts = ["-m conntrack"]
            for _ in range(r.randint(1, 2)):
                o = r.choice(["ctstate", "ctstate", "ctproto", "ctorigsrc", "ctorigdst", "ctreplsrc",
                              "ctrepldst", "ctorigsrcport", "ctorigdstport", "ctreplsrcport",
                              "ctrepldstport", "ctstatus", "ctexpire", "ctdir"])
                if o == "ctstate":
                    v = ",".join(r.sample(CT_STATES, r.randint(1, 3)))
                elif o == "ctproto":
                    v = r.choice(["tcp", "udp", "6", "17", "icmp" if fam == 4 else "ipv6-icmp"])
                elif o in ("ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"):
                    v = self.net()
                elif o == "ctstatus":
                    v = ",".join(r.sample(CT_STATUS, r.randint(1, 2)))
                elif o == "ctexpire":
                    # boundaries far from any remaining lifetime (see GENERATOR.md)
                    v = r.choice(["0:1", "200:4000000", "0"])
                elif o == "ctdir":
                    if "--ctdir" in " ".join(parts):
                        continue
                    parts.append(f"--ctdir {r.choice(['ORIGINAL', 'REPLY'])}")
                    continue
                else:
                    v = self.portspec()
                if f"--{o} " in " ".join(parts):
                    continue
                parts.append(f"{self.neg(0.15)}--{o} {v}")
            return " ".join(parts)
        if k == "addrtype":
            parts = ["-m addrtype"]
            for o in r.sample(["src", "dst"], r.randint(1, 2)):
                # xt_addrtype's addrtype_mt_checkentry: IPv6 has no BROADCAST, BLACKHOLE, PROHIBIT
                pool = ADDRTYPES if fam == 4 else [a for a in ADDRTYPES if a not in ("BROADCAST", "BLACKHOLE", "PROHIBIT")]
                types = r.sample(pool, r.choice([1, 1, 2]))
                parts.append(f"{self.neg()}--{o}-type {','.join(types)}")
            ins = {"PREROUTING", "INPUT", "FORWARD"}
            outs = {"FORWARD", "OUTPUT", "POSTROUTING"}
            if r.random() < 0.3:
                if hooks <= ins:
                    parts.append("--limit-iface-in")
                elif hooks <= outs:
                    parts.append("--limit-iface-out")
            return " ".join(parts)
        if k == "pkttype":
            return f"-m pkttype {self.neg()}--pkt-type {r.choice(['unicast', 'broadcast', 'multicast'])}"
        if k == "comment":
            return f'-m comment --comment "{r.choice(["allow web", "x", "rule 7", "gen"])}"'
        if k == "statistic":
            if r.random() < 0.3:
                return f"-m statistic --mode random {self.neg(0.3)}--probability {r.choice(['0', '1', '1.0', '0.0'])}"
            every = r.randint(2, 4)
            q = self.guard(ctx)
            if q is None:
                return ""
            return f"{q}-m statistic --mode nth {self.neg(0.2)}--every {every} --packet {r.randint(0, every - 1)}"
        if k == "recent":
            name = r.choice(["a", "b", "LIST1"]) if r.random() < 0.7 else "DEFAULT"
            self.recent_names.append(name)
            q = self.guard(ctx)
            if q is None:
                return ""
            which = r.choice(["--rsource", "--rdest", ""])
            op = r.choice(["--set", "--rcheck", "--update", "--remove", "--set", "--rcheck"])
            parts = [f"{q}-m recent --name {name}", which, f"{self.neg(0.15) if op != '--set' else ''}{op}"]
            if op in ("--rcheck", "--update") and r.random() < 0.6:
                s = r.choice([30, 60, 120])
                self.timeouts.append(s * 1000.0)
                parts.append(f"--seconds {s}")
                if r.random() < 0.4:
                    parts.append("--reap")
            if op in ("--rcheck", "--update") and r.random() < 0.4:
                parts.append(f"--hitcount {r.randint(1, 4)}")
            if op in ("--rcheck", "--update") and r.random() < 0.15:
                parts.append("--rttl")
            if r.random() < 0.1 and fam == 4:
                parts.append("--mask 255.255.255.0")
            return " ".join(p for p in parts if p)
        if k in ("limit", "hashlimit"):
            return self.rate_match(k, ctx) or ""
        return ""

    def guard(self, ctx):
        """IPv6: a qualifier that keeps the host's own MLD reports out of counting matches
        (None: impossible, the rule has another -p)."""
        if self.fam == 6 and ctx["proto"] not in ("tcp", "udp"):
            if "p" in ctx["used"]:
                return None
            ctx["used"].add("p")
            ctx["proto"] = self.r.choice(["tcp", "udp"])
            return f"-p {ctx['proto']} "
        return ""

    def rate_match(self, k, ctx):
        """A limit/hashlimit match; either it never refills within the scenario (interval
        longer than any scenario) or it is tied to a probe port whose packets are timed
        away from refills."""
        r = self.r
        probe = r.random() < 0.5 and self.budget["probes"] > 0 and "p" not in ctx["used"]
        if probe:
            self.budget["probes"] -= 1
            unit, n = r.choice([("second", 1), ("second", 2), ("second", 3), ("second", 4),
                                ("minute", 60), ("minute", 100)])
            interval = {"second": 1000.0, "minute": 60000.0}[unit] / n
            pproto = r.choice(["tcp", "udp"])
            pport = 7000 + len(self.probe_ports) + 10 * (self.fam == 6)
            self.probe_ports.append((pproto, pport, interval))
            q = f"-p {pproto} --dport {pport} "
            ctx["used"].add("p")
            ctx["proto"] = pproto
        else:
            unit, n = r.choice([("minute", 1), ("minute", 2), ("hour", 30), ("hour", 100), ("day", 1000)])
            interval = {"minute": 60000.0, "hour": 3600000.0, "day": 86400000.0}[unit] / n
            q = self.guard(ctx)
            if q is None:
                return None
        self.intervals.append(interval)
        burst = r.choice([1, 2, 3, 5])
        if k == "limit":
            return f"{q}-m limit --limit {n}/{unit} --limit-burst {burst}"
        self.hashlimit_names += 1
        mode = ",".join(r.sample(["srcip", "dstip", "srcport", "dstport"], r.randint(1, 2)))
        parts = [f"{q}-m hashlimit --hashlimit-{r.choice(['upto', 'above'])} {n}/{unit}",
                 f"--hashlimit-burst {burst} --hashlimit-mode {mode}",
                 f"--hashlimit-name h{self.fam}x{self.hashlimit_names}",
                 # entries never expire within a scenario (see GENERATOR.md)
                 "--hashlimit-htable-expire 600000"]
        if r.random() < 0.3:
            parts.append(f"--hashlimit-srcmask {24 if self.fam == 4 else 64}")
        return " ".join(parts)

    # ---- targets -----------------------------------------------------
    def target(self, table, hooks, proto, chain_idx, users):
        r = self.r
        fam = self.fam
        opts = [("ACCEPT", 3), ("DROP", 2 if table != "nat" else 0), ("RETURN", 1), ("LOG", 3), ("", 1)]
        later = [u for u in users if u[0] > chain_idx]
        if later:
            opts += [("jump", 5), ("goto", 2)]
        if table == "filter":
            opts += [("REJECT", 3)]
        if table == "mangle":
            opts += [("MARK", 2), ("CONNMARK", 2), ("TTL", 1), ("TOS", 1), ("DSCP", 1), ("ECN", 1 if fam == 4 else 0),
                     ("TCPMSS", 1 if proto == "tcp" else 0)]
        if table == "raw":
            opts += [("NOTRACK", 2), ("CT", 2), ("MARK", 1)]
        if table == "nat":
            if hooks <= {"PREROUTING", "OUTPUT"}:
                opts += [("DNAT", 4), ("REDIRECT", 2), ("NETMAP", 1)]
            if hooks <= {"POSTROUTING", "INPUT"}:
                opts += [("SNAT", 4), ("NETMAP", 1)]
            if hooks <= {"POSTROUTING"}:
                opts += [("MASQUERADE", 3)]
        names, weights = zip(*opts)
        t = r.choices(names, weights)[0]
        if t in ("jump", "goto"):
            idx, name = r.choice(later)
            return f"-{'j' if t == 'jump' else 'g'} {name}", ("call", idx, t)
        if t == "":
            return "", None
        if t == "LOG":
            parts = ["-j LOG"]
            if r.random() < 0.85:
                parts.append(f'--log-prefix "{r.choice(["g: ", "gen ", "x", "drop: ", "[fw] "])}"')
            if r.random() < 0.3:
                parts.append(f"--log-level {r.choice(['4', '6', 'debug', 'warning'])}")
            for o in ("--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--log-uid"):
                if r.random() < 0.2:
                    parts.append(o)
            return " ".join(parts), "log"
        if t == "REJECT":
            if proto == "tcp" and r.random() < 0.3:
                return "-j REJECT --reject-with tcp-reset", None
            if r.random() < 0.15:
                return "-j REJECT", None
            return f"-j REJECT --reject-with {r.choice(REJECT4 if fam == 4 else REJECT6)}", None
        if t == "MARK":
            v = r.choice(["--set-mark 1", "--set-xmark 0x10/0xf0", "--or-mark 2", "--and-mark 0xfe",
                          "--xor-mark 1", "--set-mark 5/4"])
            return f"-j MARK {v}", None
        if t == "CONNMARK":
            v = r.choice(["--set-mark 1", "--set-xmark 0x10/0xf0", "--save-mark", "--restore-mark",
                          "--save-mark --mask 0xff", "--restore-mark --nfmask 0xf --ctmask 0xf"])
            return f"-j CONNMARK {v}", None
        if t == "TTL":
            if fam == 4:
                return f"-j TTL --ttl-{r.choice(['set', 'inc', 'dec'])} {r.choice([1, 2, 10, 64])}", None
            return f"-j HL --hl-{r.choice(['set', 'inc', 'dec'])} {r.choice([1, 2, 10, 64])}", None
        if t == "TOS":
            v = r.choice(["--set-tos 0x10", "--set-tos Minimize-Cost", "--and-tos 0x0f", "--or-tos 0x08",
                          "--xor-tos 0x04", "--set-tos 0x20/0xf0"])
            return f"-j TOS {v}", None
        if t == "DSCP":
            if r.random() < 0.5:
                return f"-j DSCP --set-dscp {r.choice([0, 10, 46, 0x3f])}", None
            return f"-j DSCP --set-dscp-class {r.choice(DSCP_CLASSES)}", None
        if t == "ECN":
            return "-j ECN --ecn-tcp-remove", None
        if t == "TCPMSS":
            if r.random() < 0.5:
                return f"-m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss {r.choice([536, 1200, 1400])}", None
            return "-m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu", None
        if t == "NOTRACK":
            return "-j NOTRACK", None
        if t == "CT":
            return "-j CT --notrack", None
        if t in ("DNAT", "SNAT", "NETMAP", "REDIRECT", "MASQUERADE"):
            return self.nat_target(t, proto), None
        return f"-j {t}", None

    def nat_target(self, t, proto):
        r = self.r
        ports = proto in ("tcp", "udp")
        if t == "MASQUERADE":
            if ports and r.random() < 0.3:
                return f"-j MASQUERADE --to-ports {self.port()}"
            return "-j MASQUERADE"
        if t == "REDIRECT":
            if ports and r.random() < 0.7:
                return f"-j REDIRECT --to-ports {self.port()}"
            return "-j REDIRECT"
        if t == "NETMAP":
            net = ipaddress.ip_network(self.net() if "/" in self.net() else self.addr() + ("/32" if self.fam == 4 else "/128"),
                                       strict=False)
            return f"-j NETMAP --to {net}"
        a = self.r.choice(self.pools["nat4" if self.fam == 4 else "nat6"])
        self.pools.setdefault("natted", []).append(a)
        if self.fam == 6:
            a = f"[{a}]" if ports and r.random() < 0.5 else a
        if ports and r.random() < 0.5:
            if self.fam == 6 and not a.startswith("["):
                a = f"[{a}]"
            a = f"{a}:{self.port()}"
        opt = "--to-destination" if t == "DNAT" else "--to-source"
        return f"-j {t} {opt} {a}"

    # ---- chains ------------------------------------------------------
    def build(self):
        r = self.r
        fam = self.fam
        tables = [t for t in ("raw", "mangle", "nat", "filter") if r.random() < {"raw": 0.3, "mangle": 0.45,
                                                                                   "nat": 0.45, "filter": 0.85}[t]]
        if not tables:
            tables = ["filter"]
        for table in tables:
            builtins = TABLE_CHAINS[table]
            nuser = r.choice([0, 0, 1, 1, 2, 3])
            users = [(i, f"{table[:1].upper()}{'CHAIN'}{i}") for i in range(nuser)]
            # hooks reaching each user chain: decided by who calls it
            rules = {c: [] for c in builtins}
            urules = {name: [] for _, name in users}
            uhooks = {name: set() for _, name in users}
            # builtin chains first: rules that call user chains
            for c in builtins:
                for _ in range(r.choice([0, 1, 2, 3, 4, 5])):
                    rules[c].append(self.rule(table, {c}, -1, users, uhooks))
            for i, name in users:
                hooks = uhooks[name]
                if not hooks:
                    continue  # never called: leave empty
                for _ in range(r.choice([1, 2, 3, 4])):
                    urules[name].append(self.rule(table, set(hooks), i, users, uhooks))
            policies = {}
            for c in builtins:
                if table == "filter":
                    policies[c] = r.choice(["ACCEPT", "ACCEPT", "DROP"])
                elif table in ("mangle", "raw"):
                    policies[c] = "ACCEPT" if r.random() < 0.95 else "DROP"
                else:
                    policies[c] = "ACCEPT"
            lines = [f"*{table}"]
            for c in builtins:
                lines.append(f":{c} {policies[c]} [0:0]")
            for _, name in users:
                lines.append(f":{name} - [0:0]")
            for c in builtins:
                lines += [f"-A {c} {x}".replace("  ", " ").rstrip() for x in rules[c]]
            for _, name in users:
                lines += [f"-A {name} {x}".replace("  ", " ").rstrip() for x in urules[name]]
            lines.append("COMMIT")
            self.tables[table] = lines

    def rule(self, table, hooks, chain_idx, users, uhooks):
        r = self.r
        ptxt, proto = self.proto_part(hooks)
        parts = [ptxt] if ptxt else []
        ctx = {"proto": proto, "used": {"p"} if ptxt else set()}
        for _ in range(r.choice([0, 1, 1, 2, 2, 3])):
            m = self.match(hooks, ctx, table)
            if m and m not in parts:
                parts.append(m)
        proto = ctx["proto"]
        t, info = self.target(table, hooks, proto, chain_idx, users)
        if info and info[0] == "call":
            name = dict(users)[info[1]]
            uhooks[name] |= hooks
        if info == "log" and self.fam == 4 and not hooks <= {"FORWARD"}:
            # the kernel's own IPv4 packets (ICMP errors, RSTs, echo replies over lo)
            # carry random IDs, and LOG prints the ID: only log what they cannot be
            if proto == "tcp":
                parts.append("-m tcp --tcp-flags RST,ACK NONE")
            elif proto == "icmp":
                parts.append("-m icmp --icmp-type echo-request")
            elif proto is None and "p" not in ctx["used"]:
                parts.insert(0, r.choice(["-p udp", "-p tcp --syn"]))
            else:
                t = "-j ACCEPT"
        if r.random() < 0.08:
            parts.append(f'-m comment --comment "c{r.randint(0, 99)}"')
        parts.append(t)
        return " ".join(p for p in parts if p)

    def text(self) -> str:
        return "\n".join(itertools.chain.from_iterable(self.tables.values())) + "\n"


def iptables_accepts(fam: int, text: str) -> tuple[bool, str]:
    """`iptables-legacy-restore --test`, then a real restore (the kernel's own checks:
    hook masks, target options), in a scratch namespace that is deleted after."""
    ns = f"nfsim-gen-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        tool = "iptables-legacy-restore" if fam == 4 else "ip6tables-legacy-restore"
        for extra in (["--test"], []):
            p = subprocess.run(["ip", "netns", "exec", ns, tool] + extra, input=text, text=True,
                               capture_output=True)
            if p.returncode != 0:
                return False, p.stderr.strip()
        return True, ""
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


class Traffic:
    def __init__(self, r: random.Random, host: Host, pools: dict, fams, rules: dict):
        self.r, self.host, self.pools, self.fams, self.rules = r, host, pools, fams, rules
        self.packets = []  # (fields dict) without times
        self.sport = r.randint(20000, 30000)
        self.icmp_id = r.randint(100, 900)
        self.kinds = set()

    def next_sport(self):
        self.sport += self.r.randint(1, 7)
        return self.sport

    def endpoints(self, fam):
        """(direction fields, src, dst): arriving on an interface or sent by the host."""
        r = self.r
        h = self.host
        p = self.pools
        locs = h.local4() if fam == 4 else h.local6()
        x = r.random()
        if x < 0.3:  # host sends
            src = r.choice(locs)
            dst = r.choice(p["remote4" if fam == 4 else "remote6"] + (locs if r.random() < 0.15 else []))
            return {"out": True}, src, dst, None
        i = r.randrange(h.n)
        name = h.ifaces[i][0]
        src = r.choice(p[f"side{i}_{fam}"])
        if x < 0.6:  # to the host
            dst = r.choice(locs + (p["nat4" if fam == 4 else "nat6"] if r.random() < 0.3 else []))
        else:  # forwarded
            others = [j for j in range(h.n) if j != i]
            j = r.choice(others)
            dst = r.choice(p[f"side{j}_{fam}"])
            if r.random() < 0.2:
                dst = r.choice(p["nat4" if fam == 4 else "nat6"])
        back = h.ifaces[[j for j in range(h.n) if dst in p[f"side{j}_{fam}"]][0]][0] \
            if any(dst in p[f"side{j}_{fam}"] for j in range(h.n)) else "eth1"
        return {"in": name}, src, dst, back

    def reply_dir(self, d, back, src):
        """Direction of a reply: from the peer behind the original destination."""
        if "out" in d:
            return {"in": back or "eth1"}
        if back is None:  # the host answers
            return {"out": True}
        return {"in": back}

    def flow(self, fam):
        r = self.r
        d, src, dst, back = self.endpoints(fam)
        if back is None and "in" in d and dst not in (self.host.local4() + self.host.local6()):
            back = "eth1"
        x = r.random()
        pk = []
        if x < 0.4:
            self.kinds.add("tcp")
            sp, dp = self.next_sport(), r.choice(self.pools["ports"])
            base = {"proto": "tcp", "src": src, "dst": dst, "sport": sp, "dport": dp}
            rd = self.reply_dir(d, back, src)
            rsrc = dst if r.random() < 0.8 else r.choice(self.pools.get("natted", [dst]) or [dst])
            if ipaddress.ip_address(rsrc).version != fam:
                rsrc = dst
            rep = {"proto": "tcp", "src": rsrc, "dst": src, "sport": dp, "dport": sp}
            iss, irs = r.randint(1, 2 ** 31), r.randint(1, 2 ** 31)
            opts = r.choice([[], ["mss=1460"], ["mss=1460", "sackok", "ts=1,0", "nop", "wscale=7"]])
            syn = {**d, **base, "flags": "S", "seq": iss, "tcp_options": opts}
            if r.random() < 0.25:  # TOS/traffic class with and without ECN bits
                self.kinds.add("tcp-tos")
                syn["tos" if fam == 4 else "tc"] = r.choice([0x10, 0x0e, 0x03, 0xb8, 0x01])
            pk.append(syn)
            if r.random() < 0.85:
                pk.append({**rd, **rep, "flags": "SA", "seq": irs, "ack": iss + 1,
                           "tcp_options": ["mss=1400"] if r.random() < 0.5 else []})
            pk.append({**d, **base, "flags": "A", "seq": iss + 1, "ack": irs + 1})
            if r.random() < 0.7:
                pk.append({**d, **base, "flags": "PA", "seq": iss + 1, "ack": irs + 1, "payload": "GET / HTTP/1.0\r\n"})
            if r.random() < 0.4:  # odd flags
                self.kinds.add("tcp-odd-flags")
                pk.append({**d, **base, "flags": r.choice(["SF", "FPU", "", "SR", "FSRPAUEC", "F", "U", "SAF"]),
                           "seq": iss + 1, "ack": irs + 1})
            if r.random() < 0.35:  # out of window
                self.kinds.add("tcp-out-of-window")
                if r.random() < 0.5:
                    pk.append({**d, **base, "flags": "A", "seq": iss + 5000000, "ack": irs + 1, "payload": "x"})
                else:
                    pk.append({**rd, **rep, "flags": "A", "seq": irs + 3000000, "ack": iss + 1, "payload": "y"})
            if r.random() < 0.5:
                pk.append({**rd, **rep, "flags": "A", "seq": irs + 1, "ack": iss + 1})
            y = r.random()
            if y < 0.3:
                pk.append({**d, **base, "flags": "FA", "seq": iss + 1, "ack": irs + 1})
                pk.append({**rd, **rep, "flags": "FA", "seq": irs + 1, "ack": iss + 2})
                pk.append({**d, **base, "flags": "A", "seq": iss + 2, "ack": irs + 2})
            elif y < 0.45:
                pk.append({**r.choice([d, rd]), **base, "flags": "R", "seq": iss + 1})
            if r.random() < 0.2 and fam == 4:
                pk.append({**d, **base, "flags": "S", "seq": iss + 7, "ttl": 1})
        elif x < 0.7:
            self.kinds.add("udp")
            sp, dp = self.next_sport(), r.choice(self.pools["ports"])
            base = {"proto": "udp", "src": src, "dst": dst, "sport": sp, "dport": dp}
            rd = self.reply_dir(d, back, src)
            rep = {"proto": "udp", "src": dst, "dst": src, "sport": dp, "dport": sp}
            for _ in range(r.randint(1, 3)):
                y = r.random()
                if y < 0.55:
                    pk.append({**d, **base, "payload": "q" * r.randint(1, 90)})
                elif y < 0.9:
                    self.kinds.add("udp-reply")
                    pk.append({**rd, **rep, "payload": "a" * r.randint(1, 90)})
                else:
                    pk.append({**d, **base, "length": r.choice([600, 1300]), "tos": r.choice([0, 0x10, 0xb8, 3]),
                               **({"hlim": 1} if fam == 6 else {"ttl": r.choice([1, 2, 64])})})
            if fam == 4 and r.random() < 0.25:  # fragments
                self.kinds.add("ipv4-fragments")
                ip_id = r.randint(1000, 60000)
                total = 1208
                cuts = r.choice([[0, 600, 1208], [0, 256, 1208], [0, 800, 1208], [0, 400, 800, 1208]])
                frs = [{**d, **base, "length": total + 20, "ip_id": ip_id,
                        "fragment": [cuts[k], cuts[k + 1] - cuts[k]]} for k in range(len(cuts) - 1)]
                if r.random() < 0.3:
                    frs.reverse()
                pk += frs
            if fam == 6 and r.random() < 0.25:
                self.kinds.add("ipv6-ext")
                ext = r.choice([[{"type": "hbh"}], [{"type": "dstopts"}], [{"type": "hbh"}, {"type": "dstopts"}],
                                [{"type": "rthdr", "rt_type": 0, "segleft": 0}],
                                [{"type": "frag", "offset": 0, "more": False, "id": 77}]])
                pk.append({**d, **base, "ext": ext, "payload": "ext"})
            if fam == 6 and r.random() < 0.15 and dst in self.host.local6():
                # only to the host: forwarded, conntrack reassembles and ip6_fragment
                # cuts again with a random fragment id
                self.kinds.add("ipv6-fragments")
                total = 1208
                frs = [{**d, **base, "length": total + 40, "frag_id": r.randint(1, 1 << 30),
                        "fragment": [0, 600]}, {**d, **base, "length": total + 40, "fragment": [600, 616]}]
                frs[1]["frag_id"] = frs[0]["frag_id"]
                pk += frs
        elif x < 0.85:
            self.kinds.add("ping")
            self.icmp_id += r.randint(1, 9)
            base = {"proto": "icmp", "src": src, "dst": dst, "id": self.icmp_id}
            rd = self.reply_dir(d, back, src)
            req = 8 if fam == 4 else 128
            for s in range(r.randint(1, 2)):
                pk.append({**d, **base, "icmp_type": req, "icmp_seq": s + 1, "payload": "ping"})
                if r.random() < 0.7:
                    pk.append({**rd, "proto": "icmp", "src": dst, "dst": src, "id": self.icmp_id,
                               "icmp_type": 0 if fam == 4 else 129, "icmp_seq": s + 1, "payload": "ping"})
            if r.random() < 0.2:
                # informational and unassigned types (__icmp_send treats 1-7, 9-12 as errors)
                self.kinds.add("icmp-odd-types")
                t = r.choice([9, 10, 13, 15, 17, 1, 6] if fam == 4 else [200, 100, 4, 139])
                pk.append({**d, "proto": "icmp", "src": src, "dst": dst, "icmp_type": t, "icmp_code": 0,
                           "rest_hex": "00000000", "payload": "odd"})
        else:
            # an ICMP error quoting an earlier flow (or an unknown one)
            self.kinds.add("icmp-error")
            earlier = [p for p in self.packets if p.get("proto") in ("tcp", "udp") and "fragment" not in p
                       and ipaddress.ip_address(p["src"]).version == fam and "ext" not in p]
            if earlier and r.random() < 0.85:
                q = r.choice(earlier)
            else:
                q = {"proto": "udp", "src": dst, "dst": src, "sport": 53, "dport": 33333, "payload": "zz"}
            inner = {k: v for k, v in q.items() if k in ("proto", "src", "dst", "sport", "dport", "flags", "seq",
                                                          "ack", "payload")}
            if fam == 4:
                t, c = r.choice([(3, 3), (3, 1), (11, 0), (3, 4), (3, 13), (12, 0)])
            else:
                t, c = r.choice([(1, 4), (1, 0), (3, 0), (2, 0), (1, 1), (4, 0)])
            err = {"proto": "icmp", "icmp_type": t, "icmp_code": c, "inner": inner}
            if (fam, t, c) in ((4, 3, 4),) or (fam, t) == (6, 2):
                err["mtu"] = 1280
            # sent toward the quoted packet's source: by the peer it went to, or the host
            qdst = q["dst"]
            locs = self.host.local4() + self.host.local6()
            if "in" in q:
                side = [j for j in range(self.host.n) if qdst in self.pools[f"side{j}_{fam}"]]
                if qdst in locs:
                    pk.append({"out": True, "src": qdst, "dst": q["src"], **err})
                else:
                    src_err = r.choice([qdst, self.pools["remote4" if fam == 4 else "remote6"][0]])
                    pk.append({"in": self.host.ifaces[side[0]][0] if side else "eth1",
                               "src": src_err, "dst": q["src"], **err})
            else:
                pk.append({"in": "eth1", "src": qdst if qdst not in locs else self.pools[
                    "remote4" if fam == 4 else "remote6"][0], "dst": q["src"], **err})
        self.packets += pk

    def probes(self, fam, proto, port, n):
        """Packets for a rate-limited probe port (timed later)."""
        src = self.r.choice(self.pools[f"side0_{fam}"])
        dst = self.host.local4(0) if fam == 4 else self.host.local6(0)
        sp = self.next_sport()
        out = []
        for k in range(n):
            p = {"in": "eth0", "proto": proto, "src": src, "dst": dst, "sport": sp, "dport": port}
            if proto == "tcp":
                p.update(flags="S", seq=1000 + k)
            else:
                p["payload"] = f"probe{k}"
            out.append(p)
        return out


def pools_for(r: random.Random, host: Host) -> dict:
    p = {"ports": sorted(set([22, 25, 53, 80, 443, 8080, 123] + [r.randint(1024, 9999) for _ in range(3)]))}
    for i, (_, _, p4, p6) in enumerate(host.ifaces):
        p[f"side{i}_4"] = [f"{p4}.{x}" for x in sorted(r.sample(range(10, 60), 3))]
        p[f"side{i}_6"] = [f"{p6}::{x:x}" for x in sorted(r.sample(range(16, 96), 3))]
    p["side1_4"] += [f"{FAR4}.{r.randint(2, 250)}"]
    p["side1_6"] += [f"{FAR6}::{r.randint(2, 250):x}"]
    p["remote4"] = p["side1_4"][-2:] + (p["side2_4"][:1] if host.n > 2 else [])
    p["remote6"] = p["side1_6"][-2:] + (p["side2_6"][:1] if host.n > 2 else [])
    p["nat4"] = [f"{host.ifaces[0][2]}.{r.randint(100, 120)}", host.local4(r.randrange(host.n)),
                 p["side0_4"][0]]
    p["nat6"] = [f"{host.ifaces[0][3]}::{r.randint(100, 120):x}", host.local6(r.randrange(host.n)),
                 p["side0_6"][0]]
    p["addr4"] = sorted(set(sum((p[f"side{i}_4"] for i in range(host.n)), []) + host.local4() + p["nat4"]))
    p["addr6"] = sorted(set(sum((p[f"side{i}_6"] for i in range(host.n)), []) + host.local6() + p["nat6"]))
    return p


def schedule(r: random.Random, n_main: int, probes: list, timeouts: list, long_gap: float | None):
    """Absolute send times (ms) for the main packets and each probe list, so that no
    pair of packets is within TIMEOUT_MARGIN_MS of a timeout (conntrack entries are
    refreshed by one packet and listed after every later one, so every pair counts)
    and no pair of probe packets of one rate is within LIMIT_MARGIN_MS of a multiple
    of its interval. With short conntrack timeouts the packets come in bursts shorter
    than (timeout - margin), separated by gaps longer than (timeout + margin)."""
    tmin = min(timeouts) if timeouts else None
    for _attempt in range(300):
        times = []
        t = 0.0
        burst_start = 0.0
        for i in range(n_main):
            if i:
                g = MIN_SPACING_MS + r.choice([0, 0, 0, 5, 10, 20])
                if long_gap is None and r.random() < 0.04:
                    g = r.choice([300.0, 700.0, 1300.0])
                if long_gap is not None and (t + g - burst_start > tmin - TIMEOUT_MARGIN_MS - 60
                                             or r.random() < 0.08):
                    g = long_gap + r.choice([1700.0, 2100.0, 2500.0])
                    burst_start = t + g
                t += g
            times.append(round(t, 1))
        ptimes = []
        ok = True
        span = times[-1] if times else 0.0
        for (_, _, interval), n in probes:
            pts = []
            for _k in range(n):
                for _try in range(100):
                    c = round(r.uniform(0, max(span, min(interval * (n + 1), 5000.0))), 1)
                    if all(_far(abs(c - x), interval) for x in pts) and all(
                            abs(c - x) >= MIN_SPACING_MS for x in times + sum(ptimes, []) + pts):
                        pts.append(c)
                        break
                else:
                    ok = False
            ptimes.append(sorted(pts))
        if not ok:
            continue
        allt = sorted(times + sum(ptimes, []))
        if allt[-1] > 25000:
            continue
        if any(abs((b - a) - T) < TIMEOUT_MARGIN_MS for a, b in itertools.combinations(allt, 2) for T in timeouts):
            continue
        return times, ptimes
    return None


def _far(d, interval):
    k = round(d / interval)
    return k == 0 and d < interval - LIMIT_MARGIN_MS or abs(d - k * interval) >= max(LIMIT_MARGIN_MS, 0.05 * interval)


def generate(seed: int, check: bool = True) -> dict:
    r = random.Random(seed)
    for attempt in range(40):
        host = Host(r)
        pools = pools_for(r, host)
        fams = r.choice([[4], [6], [4, 6], [4, 6], [4]])
        budget = {"probes": 2}
        rules = {}
        ok = True
        for fam in fams:
            for _try in range(12):
                rs = Rules(r, fam, host, pools, budget)
                rs.build()
                if not check:
                    break
                good, err = iptables_accepts(fam, rs.text())
                if good:
                    break
                print(f"seed {seed}: iptables refused (IPv{fam}): {err}", file=sys.stderr)
            else:
                ok = False
            rules[fam] = rs
        if not ok:
            continue
        tr = Traffic(r, host, pools, fams, rules)
        target = r.randint(24, 46) if not host.timeouts else r.randint(14, 26)
        while len(tr.packets) < target:
            tr.flow(r.choice(fams))
        probe_specs = []
        for fam in fams:
            for spec in rules[fam].probe_ports:
                probe_specs.append(((fam, spec[0], spec[2]), r.randint(3, 6), spec))
        timeouts = list(host.timeouts) or list(DEFAULT_REACHABLE_TIMEOUTS)
        timeouts += sum((rules[f].timeouts for f in fams), [])
        sch = schedule(r, len(tr.packets), [((s[0][1], s[2][1], s[0][2]), s[1]) for s in probe_specs], timeouts,
                       max(host.timeouts) if host.timeouts else None)
        if sch is None:
            continue
        times, ptimes = sch
        timed = [(t, p) for t, p in zip(times, tr.packets)]
        for (spec, n, (proto, port, _)), pts in zip(probe_specs, ptimes):
            fam = spec[0]
            for t, p in zip(pts, tr.probes(fam, proto, port, n)):
                timed.append((t, p))
        timed.sort(key=lambda x: x[0])
        t0 = timed[0][0]
        packets = []
        for t, p in timed:
            q = dict(p)
            q["at_ms"] = round(t - t0, 1)
            packets.append(q)
        kinds = sorted(tr.kinds | set().union(*(rules[f].kinds for f in fams)))
        scn = {
            "name": f"gen-{seed:05d}",
            "description": f"generated by tools/kernel-oracle/generate.py, seed {seed}; "
                           f"IPv{'+'.join(map(str, fams))}, tables "
                           + "; ".join(f"v{f}: {','.join(rules[f].tables)}" for f in fams)
                           + f"; matches/traffic: {', '.join(kinds)}",
            "packets": packets,
            "host": host.toml(),
            "rules": {f"ipv{f}": rules[f].text() for f in fams},
        }
        return scn
    raise RuntimeError(f"seed {seed}: no valid scenario after 40 attempts")


def _tv(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_tv(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_tv(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k)


def to_toml(scn: dict) -> str:
    out = [f"name = {_tv(scn['name'])}", f"description = {_tv(scn['description'])}", "", "packets = ["]
    out += [f"  {_tv(p)}," for p in scn["packets"]]
    out += ["]", "", "[host]"]
    for k, v in scn["host"].items():
        out.append(f"{k} = {_tv(v)}")
    out += ["", "[rules]"]
    for k, v in scn["rules"].items():
        out.append(f'{k} = """\n{v}"""')
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Generate a random kernel-oracle scenario.")
    ap.add_argument("seed", type=int)
    ap.add_argument("-o", "--output")
    ap.add_argument("--no-check", action="store_true", help="do not check rulesets with iptables-restore --test")
    a = ap.parse_args(argv)
    text = to_toml(generate(a.seed, check=not a.no_check))
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
