#!/bin/sh
# Deep, wide and many-chain rulesets: times `iptables-legacy-restore --test`
# and `nfsim save` on the same generated files, side by side in one run,
# and prints nfsim's time as a ratio of iptables'.
#
#   benches/deep_chains.sh [N]        (N defaults to 100000)
#
# Needs root (iptables-legacy-restore runs in a scratch network namespace
# it creates and deletes) and a release build (`cargo build --release`).
# Files are written under /tmp and removed at the end.
set -eu
N=${1:-100000}
cd "$(dirname "$0")/.."
NFSIM=${NFSIM:-target/release/nfsim}
[ -x "$NFSIM" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v iptables-legacy-restore >/dev/null || { echo "SKIPPED: no iptables-legacy-restore" >&2; exit 0; }
DIR=$(mktemp -d /tmp/nfsim-deep.XXXXXX)
NS=nfsim-deep-$$
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$DIR"' EXIT

head() {
    printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n'
}
# deep: INPUT -> c0 -> c1 -> ... -> c(N-1), each chain one jump.
{ head; awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++) printf ":c%d - [0:0]\n", i
    print "-A INPUT -j c0"
    for (i = 0; i < n - 1; i++) printf "-A c%d -j c%d\n", i, i + 1
    print "COMMIT" }'; } >"$DIR/deep"
# wide: one chain with N rules.
{ head; awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++) printf "-A INPUT -s 10.%d.%d.%d/32 -j ACCEPT\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256
    print "COMMIT" }'; } >"$DIR/wide"
# many: N chains, each jumped to from INPUT (declared in reverse order).
{ head; awk -v n="$N" 'BEGIN {
    for (i = n - 1; i >= 0; i--) printf ":m%d - [0:0]\n", i
    for (i = 0; i < n; i++) printf "-A INPUT -j m%d\n", i
    for (i = 0; i < n; i++) printf "-A m%d -j RETURN\n", i
    print "COMMIT" }'; } >"$DIR/many"

now() { date +%s.%N; }
status=0
for f in deep wide many; do
    t0=$(now)
    ip netns exec "$NS" iptables-legacy-restore --test <"$DIR/$f"
    t1=$(now)
    "$NFSIM" save "$DIR/$f" >"$DIR/$f.out"
    t2=$(now)
    awk -v f="$f" -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
        ipt = b - a; nf = c - b
        printf "%-5s N=%d  iptables-legacy-restore --test %.3f s  nfsim save %.3f s  ratio %.2f\n", f, n, ipt, nf, nf / ipt
        exit (nf > 2 * ipt) }' || status=1
done
exit $status
