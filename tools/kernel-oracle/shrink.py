#!/usr/bin/env python3
"""Shrink a scenario on which nfsim and the kernel disagree.

Usage (as root)::

    shrink.py TRACE.json --name NAME [--nfsim target/release/nfsim] [--out tests/traces]

TRACE.json is a recorded trace (e.g. `tests/traces/generated/gen-00042.json`)
that `nfsim replay --check` finds disagreeing. The shrinker removes, one
candidate at a time, the packets after the first disagreement, chunks of
packets, whole tables, rules, and match/option groups inside rules;
re-records each candidate from the kernel (record.py) and keeps it when nfsim
still disagrees in the same way (same refusal message, or the same set of
disagreeing fields on the first disagreeing packet). The smallest scenario is
recorded once more, both recordings are compared (the kernel must reproduce
it), and it is written as OUT/NAME.toml (packets by `hex`, with their times)
and OUT/NAME.json.

Standard library only; needs root (recording) and a built nfsim binary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import record  # noqa: E402
import record_generated  # noqa: E402

OPTION_STARTS = ("-m", "-p", "-s", "-d", "-i", "-o", "!", "--")


def nfsim_signature(nfsim: str, doc: dict) -> str | None:
    """None when nfsim agrees on every packet; else a string naming how it disagrees."""
    fd, path = tempfile.mkstemp(prefix="nfsim-shrink-", suffix=".json")
    os.close(fd)
    try:
        record.dump_trace(doc, path)
        p = subprocess.run([nfsim, "replay", "--check", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if p.returncode == 0:
        return None
    m = re.search(r"^packet (\d+): .*$", p.stdout, re.M)
    if m:
        bad = sorted(set(re.findall(r"(\w+): false", m.group(0))))
        return "fields:" + ",".join(bad)
    msg = p.stderr.strip().split(": ", 1)[-1]
    return "refused:" + msg


def to_scenario(name: str, doc: dict, packets: list, rules: dict) -> dict:
    t0 = packets[0]["at_ms"] if packets else 0.0
    pk = []
    for p in packets:
        q = {"bytes": bytes.fromhex(p["hex"]), "at_ms": round(p["at_ms"] - t0, 1)}
        if p.get("in"):
            q["in"] = p["in"]
        else:
            q["out"] = True
        pk.append(q)
    return {"name": name, "description": doc.get("description", ""), "host": doc["host"],
            "rules": {k: v for k, v in rules.items() if v.strip()}, "packets": pk}


def split_rule(line: str) -> tuple[str, list[list[str]], list[str]]:
    """('-A CHAIN', option groups, target words) of a rule line."""
    w = shlex.split(line)
    head = w[:2]
    rest = w[2:]
    if "-j" in rest or "-g" in rest:
        k = max(i for i, x in enumerate(rest) if x in ("-j", "-g"))
        body, target = rest[:k], rest[k:]
    else:
        body, target = rest, []
    groups: list[list[str]] = []
    for x in body:
        if x in ("-m", "-p", "-s", "-d", "-i", "-o") and not (groups and groups[-1] == ["!"]):
            groups.append([x])
        elif x == "!" and True:
            groups.append([x])
        elif groups and groups[-1] == ["!"] and x.startswith("-"):
            groups[-1].append(x)
        elif x.startswith("--") and groups and (groups[-1][0] == "-m" or groups[-1][0].startswith("+--")):
            groups.append(["+" + x])  # an option of the last match
        elif groups:
            groups[-1].append(x)
        else:
            groups.append([x])
    return " ".join(head), groups, target


def join_rule(head: str, groups: list[list[str]], target: list[str]) -> str:
    words = []
    for g in groups:
        for x in g:
            words.append(x[1:] if x.startswith("+--") else x)
    return " ".join([head] + [json.dumps(x) if (" " in x or not x) else x for x in words + target])


class Shrinker:
    def __init__(self, nfsim: str, doc: dict, name: str, verbose: bool):
        self.nfsim, self.doc, self.name, self.verbose = nfsim, doc, name, verbose
        self.packets = list(doc["packets"])
        self.rules = dict(doc["rules"])
        self.tries = 0
        self.sig = nfsim_signature(nfsim, doc)
        if self.sig is None:
            raise SystemExit("nfsim agrees with this trace: nothing to shrink")

    def test(self, packets, rules) -> dict | None:
        if not packets:
            return None
        self.tries += 1
        try:
            scn = to_scenario(self.name, self.doc, packets, rules)
            d = record_generated.record_when_free(scn)
        except (record.ScenarioError, RuntimeError, OSError, ValueError) as e:
            if self.verbose:
                print(f"  candidate not recordable: {e}", file=sys.stderr)
            return None
        s = nfsim_signature(self.nfsim, d)
        if self.verbose:
            print(f"  try {self.tries}: {len(packets)} packets, "
                  f"{sum(v.count(chr(10) + '-A') for v in rules.values())} rules: {s}", file=sys.stderr)
        return d if s == self.sig else None

    def accept(self, d):
        self.packets = d["packets"]
        self.rules = dict(d["rules"])

    def run(self):
        # 1. nothing after the first disagreeing packet matters
        m = None
        doc = self.doc
        fd, path = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        record.dump_trace(doc, path)
        out = subprocess.run([self.nfsim, "replay", "--check", path], capture_output=True, text=True).stdout
        os.unlink(path)
        m = re.search(r"^packet (\d+):", out, re.M)
        if m:
            k = int(m.group(1))
            d = self.test(self.packets[: k + 1], self.rules)
            if d:
                self.accept(d)
        # 2. chunks of packets, then single packets (keep the last: it shows the difference)
        n = 2
        while len(self.packets) > 1:
            size = max(1, (len(self.packets) - 1) // n)
            changed = False
            i = 0
            while i < len(self.packets) - 1:
                cand = self.packets[:i] + self.packets[i + size:]
                d = self.test(cand, self.rules)
                if d:
                    self.accept(d)
                    changed = True
                else:
                    i += size
            if not changed:
                if size == 1:
                    break
                n *= 2
        # 3. whole tables, then rules, then option groups
        for fam in list(self.rules):
            tables = re.split(r"(?m)^(?=\*)", self.rules[fam])
            for t in list(tables):
                if not t.strip():
                    continue
                cand = dict(self.rules)
                cand[fam] = "".join(x for x in tables if x is not t)
                d = self.test(self.packets, cand)
                if d:
                    self.accept(d)
                    tables = [x for x in tables if x is not t]
        for fam in list(self.rules):
            i = 0
            while True:
                lines = self.rules[fam].split("\n")
                idx = [j for j, x in enumerate(lines) if x.startswith("-A ")]
                if i >= len(idx):
                    break
                cand = dict(self.rules)
                cand[fam] = "\n".join(lines[: idx[i]] + lines[idx[i] + 1:])
                d = self.test(self.packets, cand)
                if d:
                    self.accept(d)
                else:
                    i += 1
        for fam in list(self.rules):
            lines = self.rules[fam].split("\n")
            for j in range(len(lines)):
                if not lines[j].startswith("-A "):
                    continue
                g = 0
                while True:
                    lines = self.rules[fam].split("\n")
                    head, groups, target = split_rule(lines[j])
                    if g >= len(groups):
                        break
                    cand_groups = groups[:g] + groups[g + 1:]
                    cand = dict(self.rules)
                    cand[fam] = "\n".join(lines[:j] + [join_rule(head, cand_groups, target)] + lines[j + 1:])
                    d = self.test(self.packets, cand)
                    if d:
                        self.accept(d)
                    else:
                        g += 1
        # 4. unused user chains
        for fam in list(self.rules):
            lines = self.rules[fam].split("\n")
            for j, x in enumerate(list(lines)):
                mm = re.match(r"^:(\S+) - ", x)
                if mm and not any(re.search(rf"(^-A {mm.group(1)} )|(-[jg] {mm.group(1)}\b)", y) for y in lines):
                    cand = dict(self.rules)
                    cand[fam] = "\n".join(y for y in lines if y != x)
                    d = self.test(self.packets, cand)
                    if d:
                        self.accept(d)
                        lines = self.rules[fam].split("\n")


def to_toml(name: str, description: str, doc: dict) -> str:
    import generate
    pk = []
    for p in doc["packets"]:
        q = {"in": p["in"]} if p.get("in") else {"out": True}
        q["hex"] = p["hex"]
        q["at_ms"] = round(p["at_ms"], 1)
        pk.append(q)
    scn = {"name": name, "description": description, "packets": pk, "host": doc["host"], "rules": doc["rules"]}
    return generate.to_toml(scn)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Shrink a disagreeing scenario.")
    ap.add_argument("trace")
    ap.add_argument("--name", required=True)
    ap.add_argument("--nfsim", default=os.path.join(HERE, "..", "..", "target", "release", "nfsim"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "traces"))
    ap.add_argument("--description", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    with open(a.trace) as f:
        doc = json.load(f)
    t0 = time.monotonic()
    s = Shrinker(a.nfsim, doc, a.name, a.verbose)
    print(f"{doc['name']}: {len(doc['packets'])} packets, nfsim disagrees as {s.sig}")
    s.run()
    final = to_scenario(a.name, doc, s.packets, s.rules)
    d1 = record_generated.record_when_free(final)
    d2 = record_generated.record_when_free(final)
    bad = record_generated.differing(d1, d2)
    if bad:
        print(f"the shrunk scenario is not reproducible ({' '.join(bad)}); not written")
        return 1
    if nfsim_signature(a.nfsim, d1) != s.sig:
        print("the final recording no longer disagrees the same way; not written")
        return 1
    desc = a.description or f"shrunk by tools/kernel-oracle/shrink.py from {doc['name']} ({s.sig})"
    d1["description"] = desc
    with open(os.path.join(a.out, a.name + ".toml"), "w") as f:
        f.write(to_toml(a.name, desc, d1))
    record.dump_trace(d1, os.path.join(a.out, a.name + ".json"))
    nrules = sum(v.count("\n-A") for v in s.rules.values())
    print(f"{a.name}: {len(d1['packets'])} packets, {nrules} rules, {s.tries} candidates recorded, "
          f"{time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
