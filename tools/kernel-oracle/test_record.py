#!/usr/bin/env python3
"""Unit tests of the recorder's packet builder, scenario checks and compare rules (no root needed).

    python3 -m unittest discover -s tools/kernel-oracle -p 'test_*.py'
"""

from __future__ import annotations

import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import record  # noqa: E402


def csum_ok(data: bytes) -> bool:
    return record.inet_checksum(data) == 0


class BuildPacket(unittest.TestCase):
    def test_tcp_syn_matches_example(self):
        # basic-server.json packet 0
        p = record.build_packet({"proto": "tcp", "src": "192.0.2.20", "dst": "192.0.2.1", "sport": 50000,
                                 "dport": 22, "flags": "S", "seq": 10})
        self.assertEqual(p.hex(), "45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000")

    def test_udp_matches_example(self):
        # nat-gateway.json packet 3
        p = record.build_packet({"proto": "udp", "src": "192.0.2.10", "dst": "203.0.113.53", "sport": 52000,
                                 "dport": 53, "payload": "q"})
        self.assertEqual(p.hex(), "4500001d0001000040117c8fc000020acb007135cb2000350009c54571")

    def test_icmp_echo_matches_example(self):
        # basic-server.json packet 5
        p = record.build_packet({"proto": "icmp", "src": "192.0.2.20", "dst": "192.0.2.1", "icmp_type": 8,
                                 "id": 3, "icmp_seq": 1})
        self.assertEqual(p.hex(), "4500001c000100004001f6cac0000214c00002010800f7fb00030001")

    def test_ipv6_tcp_matches_example(self):
        # ipv6-basic.json packet 0
        p = record.build_packet({"proto": "tcp", "src": "2001:db8::20", "dst": "2001:db8::1", "sport": 53000,
                                 "dport": 443, "flags": "S", "seq": 1000})
        self.assertEqual(p.hex(), "600000000014064020010db800000000000000000000002020010db8000000000000000000000001"
                                  "cf0801bb000003e8000000005002faf084b30000")

    def test_checksums_and_breaking_them(self):
        base = {"proto": "udp", "src": "2001:db8::1", "dst": "2001:db8::2", "payload": "abc"}
        p = record.build_packet(base)
        pseudo = p[8:40] + struct.pack("!IxxxB", len(p) - 40, 17)
        self.assertTrue(csum_ok(pseudo + p[40:]))
        bad = record.build_packet(dict(base, bad_csum=True))
        self.assertFalse(csum_ok(pseudo + bad[40:]))
        v4 = record.build_packet({"proto": "icmp", "src": "192.0.2.1", "dst": "192.0.2.2", "bad_ip_csum": True})
        self.assertFalse(csum_ok(v4[:20]))
        self.assertTrue(csum_ok(v4[20:]))

    def test_tcp_options_padding(self):
        p = record.build_packet({"src": "192.0.2.1", "dst": "192.0.2.2", "flags": "S",
                                 "tcp_options": ["mss=1460", "sackok", "ts=1,2", "nop", "wscale=7"]})
        self.assertEqual(p[32] >> 4, 10)  # 20 + 20 bytes of options
        self.assertEqual(p[40:44].hex(), "020405b4")

    def test_icmp_error_quotes_inner_packet(self):
        inner = {"proto": "udp", "src": "192.0.2.1", "dst": "198.51.100.9", "sport": 1, "dport": 2}
        p = record.build_packet({"proto": "icmp", "src": "198.51.100.9", "dst": "192.0.2.1", "icmp_type": 3,
                                 "icmp_code": 3, "inner": inner})
        self.assertEqual(p[28:], record.build_packet(inner))
        self.assertTrue(csum_ok(p[20:]))

    def test_ipv4_fragments_reassemble(self):
        base = {"proto": "udp", "src": "192.0.2.1", "dst": "192.0.2.2", "payload": "x" * 40, "ip_id": 9}
        whole = record.build_packet(base)
        a = record.build_packet(dict(base, fragment=[0, 24]))
        b = record.build_packet(dict(base, fragment=[24, 100]))
        self.assertEqual(struct.unpack("!H", a[6:8])[0], 0x2000)
        self.assertEqual(struct.unpack("!H", b[6:8])[0], 3)
        self.assertEqual(a[20:] + b[20:], whole[20:])
        self.assertTrue(csum_ok(a[:20]) and csum_ok(b[:20]))
        with self.assertRaises(record.ScenarioError):
            record.build_packet(dict(base, fragment=[0, 20]))

    def test_ipv6_extension_headers_and_fragment(self):
        base = {"proto": "udp", "src": "2001:db8::1", "dst": "2001:db8::2", "payload": "y" * 30,
                "ext": [{"type": "hbh"}], "frag_id": 5}
        a = record.build_packet(dict(base, fragment=[0, 16]))
        self.assertEqual(a[6], 0)       # hop-by-hop first
        self.assertEqual(a[40], 44)     # then the fragment header
        self.assertEqual(a[48], 17)     # then UDP
        self.assertEqual(struct.unpack("!HI", a[50:56]), (1, 5))

    def test_length_padding(self):
        p = record.build_packet({"proto": "udp", "src": "192.0.2.1", "dst": "192.0.2.2", "length": 300})
        self.assertEqual(len(p), 300)
        self.assertEqual(struct.unpack("!H", p[24:26])[0], 280)


class Scenario(unittest.TestCase):
    def test_flows_reply_and_direction(self):
        s = record.normalize_scenario({
            "name": "t", "defaults": {"in": "eth0", "proto": "udp"},
            "flows": {"f": {"src": "192.0.2.20", "dst": "192.0.2.1", "sport": 1000, "dport": 53}},
            "packets": [{"flow": "f"}, {"flow": "f", "reply": True, "out": True}],
        })
        a, b = s["packets"]
        self.assertEqual(a["in"], "eth0")
        self.assertTrue(b["out"] and "in" not in b)
        self.assertEqual(b["bytes"][12:20], a["bytes"][16:20] + a["bytes"][12:16])
        self.assertEqual(b["bytes"][20:24], a["bytes"][22:24] + a["bytes"][20:22])

    def test_rejects_bad_input(self):
        ok = {"name": "t", "packets": [{"in": "eth0", "src": "192.0.2.2", "dst": "192.0.2.1"}]}
        record.normalize_scenario(ok)
        for bad in (
            {"name": "t", "packets": [{"in": "eth9", "src": "192.0.2.2", "dst": "192.0.2.1"}]},
            {"name": "t", "packets": [{"src": "192.0.2.2", "dst": "192.0.2.1"}]},
            {"name": "t", "packets": [{"in": "eth0", "src": "8.8.8.8", "dst": "192.0.2.1"}]},
            {"name": "t", "packets": [{"in": "eth0", "src": "192.0.2.2", "dst": "192.0.2.1", "bogus": 1}]},
            {"name": "t", "packets": []},
            {"name": "t", "extra": 1, "packets": ok["packets"]},
        ):
            with self.assertRaises(record.ScenarioError):
                record.normalize_scenario(bad)

    def test_cttimeout_host_key(self):
        pkts = [{"in": "eth0", "src": "192.0.2.2", "dst": "192.0.2.1"}]
        n = record.normalize_scenario(
            {"name": "t", "host": {"cttimeout": ["u1 inet udp unreplied 10"]}, "packets": pkts}
        )
        self.assertEqual(n["host"]["cttimeout"], ["u1 inet udp unreplied 10"])
        self.assertNotIn("cttimeout", record.normalize_scenario({"name": "t", "packets": pkts})["host"])
        for bad in (["u1 inet"], [7]):
            with self.assertRaises(record.ScenarioError):
                record.normalize_scenario({"name": "t", "host": {"cttimeout": bad}, "packets": pkts})


class Compare(unittest.TestCase):
    def test_rules(self):
        pkt = "45000028000100004006f6b9c0000214c0000201c35000160000000a000000005002faf06d6b0000"
        hdr = bytearray.fromhex(pkt[:40])
        hdr[4:6] = b"\xab\xcd"
        hdr[10:12] = b"\0\0"
        hdr[10:12] = struct.pack("!H", record.inet_checksum(bytes(hdr)))
        other_id = hdr.hex() + pkt[40:]
        self.assertTrue(compare.field_agrees("emitted", [{"dev": "eth0", "hex": pkt}],
                                             [{"dev": "eth0", "hex": other_id}]))
        self.assertFalse(compare.field_agrees("emitted", [{"dev": "eth0", "hex": pkt}],
                                              [{"dev": "eth1", "hex": pkt}]))
        ct = [{"entry": "ipv4 udp x", "timeout": 29}]
        self.assertTrue(compare.field_agrees("conntrack", ct, [{"entry": "ipv4 udp x", "timeout": 27}]))
        self.assertFalse(compare.field_agrees("conntrack", ct, [{"entry": "ipv4 udp x", "timeout": 26}]))
        self.assertFalse(compare.field_agrees("trace", ["a"], ["a", "b"]))


if __name__ == "__main__":
    unittest.main()
