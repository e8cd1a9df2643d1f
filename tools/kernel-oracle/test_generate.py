"""Unit tests of generate.py and shrink.py's rule splitting (no root: rulesets are not checked
by iptables here). Run: python3 -m unittest discover -s tools/kernel-oracle -p 'test_*.py'"""

import os
import sys
import tomllib
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402
import record  # noqa: E402
import shrink  # noqa: E402


class GenerateTest(unittest.TestCase):
    def test_same_seed_same_scenario(self):
        for seed in (1, 2, 3):
            a = generate.to_toml(generate.generate(seed, check=False))
            b = generate.to_toml(generate.generate(seed, check=False))
            self.assertEqual(a, b)

    def test_toml_round_trip_and_valid_scenario(self):
        for seed in range(1, 30):
            scn = generate.generate(seed, check=False)
            raw = tomllib.loads(generate.to_toml(scn))
            self.assertEqual(raw["packets"], scn["packets"])
            norm = record.normalize_scenario(raw)
            self.assertEqual(len(norm["packets"]), len(scn["packets"]))
            times = [p["at_ms"] for p in scn["packets"]]
            self.assertEqual(times, sorted(times))
            self.assertLess(times[-1], 25000)
            # every pair of packets stays away from the scenario's conntrack timeouts
            short = [int(v) * 1000 for k, v in scn["host"]["sysctl"].items() if "timeout" in k]
            for t in short or [10000]:
                for i, x in enumerate(times):
                    for y in times[i + 1:]:
                        self.assertGreaterEqual(abs((y - x) - t), generate.TIMEOUT_MARGIN_MS, (seed, x, y, t))

    def test_split_rule_round_trip(self):
        line = '-A INPUT -p tcp -m tcp ! --dport 80 -m limit --limit 1/minute --limit-burst 2 ! -s 10.0.0.0/8 -j LOG --log-prefix "g: "'
        head, groups, target = shrink.split_rule(line)
        self.assertEqual(shrink.join_rule(head, groups, target), line)
        self.assertIn(["+--limit-burst", "2"], groups)


if __name__ == "__main__":
    unittest.main()
