#!/bin/bash
# Instructions per packet of `nfsim bench` on a trace, exact and repeatable:
# callgrind of `--repeat 2200` minus `--repeat 200`, divided by 2000 x packets
# (start-up, parsing and the first, cold repetitions cancel out).
#
#   benches/ipp.sh NFSIM TRACE [FIRST-LAST]
#
# FIRST-LAST (1-based, inclusive) replays only those packets of the trace,
# e.g. nat-gateway.json's steady-state names in benches/README.md:
# ng-est5 = 1-5 (established), ng-p6 = 6-6, ng-p7 = 7-7 (dropped SYNs).
set -e
B=$1; T=$2; R=$3; D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
if [ -n "$R" ]; then
  python3 - "$T" "$R" "$D/t.json" <<'P'
import json, sys
d = json.load(open(sys.argv[1])); a, b = map(int, sys.argv[2].split('-'))
d['packets'] = d['packets'][a - 1:b]; json.dump(d, open(sys.argv[3], 'w'))
P
  T=$D/t.json
fi
N=$(python3 -c "import json,sys;print(len(json.load(open(sys.argv[1]))['packets']))" "$T")
c() { valgrind --tool=callgrind --callgrind-out-file=$D/cg "$B" bench "$T" --repeat $1 >/dev/null 2>$D/err; grep -oP 'Collected : \K[0-9]+' $D/err; }
a=$(c 200); b=$(c 2200); python3 -c "print(f'{($b-$a)/2000/$N:.0f}')"
