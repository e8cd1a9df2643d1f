#!/usr/bin/env python3
"""Record (or re-record and verify) every scenario of the trace corpus.

Usage (as root)::

    record_all.py [--dir tests/traces] [--verify] [NAME ...]

Without --verify: records each NAME.toml of the directory to NAME.json.
With --verify: records each scenario again into a temporary file and
compares it with the committed NAME.json (compare.py's rules); exits 1 when
some packet disagrees. Prints the time taken.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import record  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Record the trace corpus.")
    ap.add_argument("names", nargs="*", help="scenario names (default: all)")
    ap.add_argument("--dir", default=os.path.join(HERE, "..", "..", "tests", "traces"))
    ap.add_argument("--verify", action="store_true", help="re-record and compare with the committed traces")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    paths = sorted(glob.glob(os.path.join(a.dir, "*.toml")))
    if a.names:
        paths = [p for p in paths if os.path.basename(p)[:-5] in a.names]
    t0 = time.monotonic()
    bad = 0
    npk = 0
    for path in paths:
        t1 = time.monotonic()
        out = path[:-5] + ".json"
        try:
            scn = record.load_scenario(path)
            doc = record.record_scenario(scn, verbose=a.verbose)
        except (record.ScenarioError, RuntimeError, OSError, ValueError) as e:
            print(f"{os.path.basename(path)}: FAILED: {e}")
            bad += 1
            continue
        npk += len(doc["packets"])
        if a.verify:
            with open(out) as f:
                ref = json.load(f)
            ok, n, per = compare.compare_docs(ref, doc, verbose=True)
            fields = " ".join(f"{k}={per[k]}/{n}" for k in compare.FIELDS)
            print(f"{scn['name']}: {ok}/{n} agree ({fields}) {time.monotonic() - t1:.1f}s")
            if ok != n:
                bad += 1
                fd, tmp = tempfile.mkstemp(prefix=scn["name"] + "-", suffix=".json")
                os.close(fd)
                record.dump_trace(doc, tmp)
                print(f"  re-recorded trace kept in {tmp}")
        else:
            record.dump_trace(doc, out)
            print(f"{scn['name']}: {len(doc['packets'])} packets {time.monotonic() - t1:.1f}s")
    print(f"{len(paths)} scenarios, {npk} packets, {time.monotonic() - t0:.1f}s" + (f", {bad} differ" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
