#!/usr/bin/env python3
"""Compare two nfsim traces (`nfsim-trace/1`) packet by packet, per the spec's rules.

Usage::

    compare.py A.json B.json [-v]

A packet agrees when all its `expect` fields agree:

- `trace`, `local`, `log`, `nfacct` (the `nfacct list` lines; absent = none),
  `ipset` (the sorted `add` lines of `ipset save` without `timeout N`; absent = none): equal;
- `emitted`: equal as multisets of (dev, hex), except that in IPv4 packets the
  identification field and the header checksum are not compared (every
  emitted IPv4 header must still carry a correct checksum);
- `conntrack`: the same entries, each timeout within 2 seconds.

Both files must hold the same packets (same direction, interface and bytes).
Prints the agreement per field and overall; exits 0 when every packet agrees,
1 otherwise, 2 when the files cannot be compared. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections import Counter

FIELDS = ("trace", "local", "emitted", "conntrack", "log", "nfacct", "ipset")
TIMEOUT_SLACK = 2


def _csum_ok(hdr: bytes) -> bool:
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


def normalize_emitted(e: dict) -> tuple[str, str, bool]:
    """(dev, hex with IPv4 id and checksum blanked, header checksum valid)."""
    b = bytes.fromhex(e["hex"])
    ok = True
    if len(b) >= 20 and b[0] >> 4 == 4:
        ihl = (b[0] & 0xF) * 4
        ok = len(b) >= ihl and _csum_ok(b[:ihl])
        b = b[:4] + b"\0\0" + b[6:10] + b"\0\0" + b[12:]
    return e["dev"], b.hex(), ok


def field_agrees(field: str, a, b) -> bool:
    """Whether one `expect` field agrees (a = reference, b = candidate)."""
    if field in ("trace", "local", "log", "nfacct", "ipset"):
        return a == b
    if field == "emitted":
        na = [normalize_emitted(e) for e in a]
        nb = [normalize_emitted(e) for e in b]
        if not all(ok for _, _, ok in nb):
            return False
        return Counter((d, h) for d, h, _ in na) == Counter((d, h) for d, h, _ in nb)
    if field == "conntrack":
        if sorted(e["entry"] for e in a) != sorted(e["entry"] for e in b):
            return False
        ta = {e["entry"]: e["timeout"] for e in a}
        return all(abs(ta[e["entry"]] - e["timeout"]) <= TIMEOUT_SLACK for e in b)
    raise KeyError(field)


def compare_docs(a: dict, b: dict, verbose: bool = False, out=sys.stdout) -> tuple[int, int, dict]:
    """Compare two trace documents; return (agreeing packets, packets, per-field counts)."""
    pa, pb = a["packets"], b["packets"]
    if len(pa) != len(pb):
        raise ValueError(f"different packet counts: {len(pa)} vs {len(pb)}")
    per_field = {f: 0 for f in FIELDS}
    agree = 0
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x["hex"] != y["hex"] or x.get("in") != y.get("in") or bool(x.get("out")) != bool(y.get("out")):
            raise ValueError(f"packet {i} differs in its input (hex/in/out)")
        ok_all = True
        for f in FIELDS:
            # `nfacct` is only present when the host has nfacct objects
            ok = field_agrees(f, x["expect"].get(f, []), y["expect"].get(f, []))
            per_field[f] += ok
            if not ok:
                ok_all = False
                if verbose:
                    print(f"packet {i} {f}:\n  A: {json.dumps(x['expect'].get(f))}\n  B: {json.dumps(y['expect'].get(f))}",
                          file=out)
        agree += ok_all
    return agree, len(pa), per_field


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Compare two nfsim traces per the spec's rules.")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("-v", "--verbose", action="store_true", help="show every disagreeing field")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    args = ap.parse_args(argv)
    try:
        with open(args.a) as f:
            a = json.load(f)
        with open(args.b) as f:
            b = json.load(f)
        agree, n, per = compare_docs(a, b, verbose=args.verbose)
    except (OSError, ValueError, KeyError) as e:
        print(f"cannot compare: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        for f in FIELDS:
            print(f"{f:10} {per[f]}/{n}")
    print(f"agree      {agree}/{n} packets ({a.get('name')} vs {b.get('name')})")
    return 0 if agree == n else 1


if __name__ == "__main__":
    sys.exit(main())
