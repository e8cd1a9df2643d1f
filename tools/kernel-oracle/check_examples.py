#!/usr/bin/env python3
"""Validate record.py against the spec's example traces.

Usage (as root)::

    check_examples.py [EXAMPLE.json ...] [-o DIR] [-v]

Each example (default: /work/shared/spec/examples/*.json) is turned into a
scenario with the same host, rules and packets (by `hex`, same direction,
same timing relative to the first packet), recorded from the running kernel,
and compared field by field with compare.py's rules. Exits 0 when every
packet of every example agrees.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import record  # noqa: E402

DEFAULT_GLOB = "/work/shared/spec/examples/*.json"


def scenario_of(doc: dict) -> dict:
    """The scenario (raw form, as from TOML) that reproduces a trace document."""
    t0 = doc["packets"][0]["at_ms"] if doc["packets"] else 0.0
    packets = []
    for p in doc["packets"]:
        q = {"hex": p["hex"], "at_ms": round(p["at_ms"] - t0, 3)}
        if p.get("out"):
            q["out"] = True
        else:
            q["in"] = p["in"]
        packets.append(q)
    return {
        "name": doc["name"],
        "description": doc.get("description", ""),
        "host": doc["host"],
        "rules": doc["rules"],
        "packets": packets,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Record the spec examples and compare.")
    ap.add_argument("examples", nargs="*")
    ap.add_argument("-o", "--outdir", help="also write the recorded traces here")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    files = a.examples or sorted(glob.glob(DEFAULT_GLOB))
    total_ok = total = 0
    for path in files:
        with open(path) as f:
            ref = json.load(f)
        scn = record.normalize_scenario(scenario_of(ref))
        got = record.record_scenario(scn, verbose=a.verbose)
        if a.outdir:
            record.dump_trace(got, os.path.join(a.outdir, os.path.basename(path)))
        ok, n, per = compare.compare_docs(ref, got, verbose=True)
        fields = " ".join(f"{f}={per[f]}/{n}" for f in compare.FIELDS)
        print(f"{os.path.basename(path)}: {ok}/{n} packets agree ({fields})")
        total_ok += ok
        total += n
    print(f"total: {total_ok}/{total}")
    return 0 if total_ok == total else 1


if __name__ == "__main__":
    sys.exit(main())
