#!/usr/bin/env python3
"""Record generated scenarios (generate.py) in bulk, each twice, keeping only the
ones the kernel reproduces.

Usage (as root)::

    record_generated.py --from 1 --count 300 [--out tests/traces/generated]

For each seed: generate the scenario (rulesets checked by iptables in a scratch
namespace), record it, record it again and compare the two recordings with
compare.py's rules. When every packet agrees, the first recording is written
as `gen-SEED.json` (compact JSON, one line). Otherwise nothing is written and
the seed, the packets and the fields that differed are appended to
`OUT/nondeterministic.txt` (the reasons are reviewed in GENERATOR.md).
Seeds whose file already exists are skipped, so the command can be resumed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import generate  # noqa: E402
import record  # noqa: E402


def differing(a: dict, b: dict) -> list[str]:
    out = []
    for i, (x, y) in enumerate(zip(a["packets"], b["packets"])):
        bad = [f for f in compare.FIELDS if not compare.field_agrees(f, x["expect"][f], y["expect"][f])]
        if bad:
            out.append(f"{i}:{'+'.join(bad)}")
    return out


def record_when_free(scn: dict) -> dict:
    """record.record_scenario, waiting while another recorder holds the lock."""
    while True:
        try:
            return record.record_scenario(scn)
        except SystemExit as e:
            if "another recorder" not in str(e):
                raise
            time.sleep(0.3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Record generated scenarios twice each.")
    ap.add_argument("--from", dest="start", type=int, default=1)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "traces", "generated"))
    ap.add_argument("--until", type=float, default=None, help="stop after this many seconds")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.monotonic()
    kept = dropped = npk = 0
    for seed in range(a.start, a.start + a.count):
        if a.until and time.monotonic() - t0 > a.until:
            print("time limit reached")
            break
        path = os.path.join(a.out, f"gen-{seed:05d}.json")
        if os.path.exists(path):
            continue
        t1 = time.monotonic()
        try:
            scn = record.normalize_scenario(generate.generate(seed))
            d1 = record_when_free(scn)
            d2 = record_when_free(scn)
        except (record.ScenarioError, RuntimeError, OSError, ValueError) as e:
            print(f"seed {seed}: FAILED: {e}", flush=True)
            with open(os.path.join(a.out, "nondeterministic.txt"), "a") as f:
                f.write(f"gen-{seed:05d} failed: {e}\n")
            dropped += 1
            continue
        diff = differing(d1, d2)
        n = len(d1["packets"])
        if diff:
            dropped += 1
            with open(os.path.join(a.out, "nondeterministic.txt"), "a") as f:
                f.write(f"gen-{seed:05d} {n} packets, differ: {' '.join(diff)}\n")
            print(f"seed {seed}: {n} packets, NOT reproducible: {' '.join(diff)}", flush=True)
            continue
        text = json.dumps(d1, separators=(",", ":"), ensure_ascii=False) + "\n"
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        kept += 1
        npk += n
        print(f"seed {seed}: {n} packets ok {time.monotonic() - t1:.1f}s (kept {kept}, {npk} packets)", flush=True)
    print(f"kept {kept} scenarios ({npk} packets), dropped {dropped}, {time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
