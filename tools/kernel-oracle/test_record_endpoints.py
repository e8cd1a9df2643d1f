"""Unit tests of record_endpoints.py's frame builders (no root needed)."""

import socket
import struct
import unittest

import record_endpoints as re_


def verify(l3: bytes) -> None:
    """Checks the IPv4 header checksum and the transport checksum of `l3`."""
    if l3[0] >> 4 == 4:
        assert re_.csum(l3[:20]) == 0, "IPv4 header checksum"
        proto, body, pseudo = l3[9], l3[20:], l3[12:20] + struct.pack("!BBH", 0, l3[9], len(l3) - 20)
        if proto == 1:
            assert re_.csum(body) == 0, "ICMP checksum"
            return
    else:
        proto, body = l3[6], l3[40:]
        pseudo = l3[8:40] + struct.pack("!IxxxB", len(body), proto)
    assert re_.csum(pseudo + body) == 0, f"protocol {proto} checksum"


class FrameBuilders(unittest.TestCase):
    def test_tcp_frames_have_valid_checksums_and_padded_options(self):
        for fam in (4, 6):
            for opts in re_.SYN_OPTIONS:
                f = re_.tcp_frame(fam, 46000, 7, 1000, 0, 0x02, opts)
                verify(f)
                h = 20 if fam == 4 else 40
                self.assertEqual((f[h + 12] >> 4) * 4, 20 + len(opts) + (-len(opts) % 4))
            verify(re_.bare_ack(fam, 45000, 9, 1000, 2000))

    def test_echo_requests_have_valid_checksums(self):
        for fam in (4, 6):
            f = re_.echo_request(fam, 0x4242, 1, b"nfsim")
            verify(f)
            src = socket.inet_pton(socket.AF_INET if fam == 4 else socket.AF_INET6, re_.ADDR[fam][1])
            self.assertIn(src, f)


if __name__ == "__main__":
    unittest.main()
