#!/bin/sh
# Replay with a large ruleset (issue 15's "replay with a 200k-rule ruleset"
# row): the nat-gateway example trace with N extra rules that its packets
# pass without matching, half at the head of filter FORWARD (fail2ban-style
# `-s 10.a.b.c/32 -p tcp -m tcp --dport P -j DROP`) and half at the head of
# nat PREROUTING (kube-style `-d 10.a.b.c/32 -p tcp -m comment --comment ..
# -m tcp --dport P -j DNAT`). `nfsim bench` replays the packets R times on
# the large ruleset and on the example's own 7 rules in the same run, and
# the script prints microseconds per packet for both and their ratio.
#
#   benches/replay_large.sh [N] [R]     (N defaults to 200000, R to 2000)
#
# Needs a release build (`cargo build --release -p nfsim-cli`) and the
# shared example ../shared/spec/examples/nat-gateway.json. Files are
# written under /tmp and removed at the end.
set -eu
N=${1:-200000}
R=${2:-2000}
cd "$(dirname "$0")/.."
NFSIM=${NFSIM:-target/release/nfsim}
[ -x "$NFSIM" ] || { echo "build first: cargo build --release -p nfsim-cli" >&2; exit 2; }
EX=${EXAMPLE:-../shared/spec/examples/nat-gateway.json}
[ -f "$EX" ] || { echo "SKIPPED: no $EX" >&2; exit 0; }
DIR=$(mktemp -d /tmp/nfsim-replay.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
python3 - "$EX" "$N" "$DIR/large.json" <<'PY'
import json, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = json.load(open(src))
rules = t["rules"]["ipv4"].split("\n")
half = n // 2
def addr(i):
    return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
fwd = ["-A FORWARD -s %s/32 -p tcp -m tcp --dport %d -j DROP" % (addr(i), 1024 + i % 60000) for i in range(half)]
pre = ["-A PREROUTING -d %s/32 -p tcp -m comment --comment \"ns%d/svc%d:http\" -m tcp --dport %d -j DNAT --to-destination 10.200.%d.%d:8080"
       % (addr(i), i, i, 1024 + i % 60000, (i >> 8) & 255, i & 255) for i in range(n - half)]
res, table = [], None
for line in rules:
    if line.startswith("*"):
        table = line[1:]
    if line.startswith("-A ") and table == "nat" and pre:
        res.extend(pre); pre = []
    if line.startswith("-A ") and table == "filter" and fwd:
        res.extend(fwd); fwd = []
    res.append(line)
t["rules"]["ipv4"] = "\n".join(res)
json.dump(t, open(out, "w"))
PY
run() { "$NFSIM" bench --repeat "$2" "$1" | sed -n 's/.* \([0-9.]*\) packets\/s.*/\1/p'; }
echo "nfsim bench: $N extra rules vs the example's own, $R rounds each"
small=$(run "$EX" "$R")
large=$(run "$DIR/large.json" "$R")
python3 - "$small" "$large" "$N" <<'PY'
import sys
s, l, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print("replay/nat-gateway            %10.3f us/packet" % (1e6 / s))
print("replay/nat-gateway+%-9d  %10.3f us/packet" % (n, 1e6 / l))
print("ratio large / small          %10.2f" % (s / l))
PY
