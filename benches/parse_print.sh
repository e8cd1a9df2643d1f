#!/bin/sh
# Parsing and printing a large kube-proxy-shaped ruleset (issue "ten times
# the kernel", item 4): times, side by side in one run,
#
#   parse: `iptables-legacy-restore --test FILE`  vs  `nfsim save --test FILE`
#   print: `iptables-legacy-save` of FILE loaded   vs  `nfsim save FILE` minus
#          `nfsim save --test FILE` (the printing part of one run)
#
# each the median of R runs, checks that both print the same text, and
# prints nfsim's time as a ratio of iptables' with the peak memory
# (maximum resident set, GNU time's %M) of each side.
#
#   benches/parse_print.sh [N] [R]     (N rules, default 100000; R runs, default 5)
#
# The generator is the issue's: `-A KUBE-SERVICES -d 10.a.b.c/32 -p tcp -m
# comment --comment "nsI/svcI:http" -m tcp --dport P -j ACCEPT`, N lines.
# Needs root (iptables runs in a scratch network namespace it creates and
# deletes) and a release build (`cargo build --release`). Files are
# written under /tmp and removed at the end.
set -eu
N=${1:-100000}
R=${2:-5}
cd "$(dirname "$0")/.."
NFSIM=${NFSIM:-target/release/nfsim}
[ -x "$NFSIM" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v iptables-legacy-restore >/dev/null || { echo "SKIPPED: no iptables-legacy-restore" >&2; exit 0; }
[ -x /usr/bin/time ] || { echo "SKIPPED: no /usr/bin/time (apt-get install time)" >&2; exit 0; }
DIR=$(mktemp -d /tmp/nfsim-pp.XXXXXX)
NS=nfsim-pp-$$
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$DIR"' EXIT

{ printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n'
  awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "-A KUBE-SERVICES -d 10.%d.%d.%d/32 -p tcp -m comment --comment \"ns%d/svc%d:http\" -m tcp --dport %d -j ACCEPT\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256, i % 97, i, 1 + i % 65535
    print "COMMIT" }'; } >"$DIR/rules"
size=$(wc -c <"$DIR/rules")

# One timed run: prints "seconds maxrss_kib" (wall time from the clock's
# nanoseconds around the run, GNU time's %e being in hundredths).
timed() {
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$DIR/t" "$@" >"$DIR/out" 2>/dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(cat "$DIR/t")" | awk '{ printf "%.6f %s\n", $1 / 1e6, $2 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# Runs "$@" R times, prints "median_seconds max_rss_kib".
runs() {
    : >"$DIR/times"
    i=0
    while [ "$i" -lt "$R" ]; do timed "$@" >>"$DIR/times"; i=$((i + 1)); done
    t=$(awk '{ print $1 }' "$DIR/times" | median)
    m=$(awk '{ print $2 }' "$DIR/times" | sort -n | tail -1)
    echo "$t $m"
}

set -- $(runs ip netns exec "$NS" iptables-legacy-restore --test "$DIR/rules"); ipt_parse=$1; ipt_parse_mem=$2
set -- $(runs "$NFSIM" save --test "$DIR/rules"); nf_parse=$1; nf_parse_mem=$2
set -- $(runs "$NFSIM" save "$DIR/rules"); nf_full=$1; nf_full_mem=$2
cp "$DIR/out" "$DIR/nfsim.save"
ip netns exec "$NS" iptables-legacy-restore "$DIR/rules"
set -- $(runs ip netns exec "$NS" iptables-legacy-save -t filter); ipt_save=$1; ipt_save_mem=$2
grep -v '^#' "$DIR/out" | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/' >"$DIR/ipt.save"
grep -v '^#' "$DIR/nfsim.save" >"$DIR/nf.save"
if cmp -s "$DIR/ipt.save" "$DIR/nf.save"; then same=yes; else same=NO; fi

awk -v n="$N" -v size="$size" -v r="$R" -v ip="$ipt_parse" -v np="$nf_parse" -v nfull="$nf_full" \
    -v is="$ipt_save" -v ipm="$ipt_parse_mem" -v npm="$nf_parse_mem" -v nfm="$nf_full_mem" \
    -v ism="$ipt_save_mem" -v same="$same" 'BEGIN {
    npr = nfull - np; if (npr < 0.0005) npr = 0.0005
    printf "file: %d rules, %.1f MB; median of %d runs each\n", n, size / 1e6, r
    printf "parse  iptables-legacy-restore --test %.4f s %6.1f MiB | nfsim save --test %.4f s %6.1f MiB | ratio %.3f (target <= 0.1)\n", ip, ipm / 1024, np, npm / 1024, np / ip
    printf "print  iptables-legacy-save           %.4f s %6.1f MiB | nfsim print      %.4f s (save %.4f s, %.1f MiB) | ratio %.3f (target <= 0.1)\n", is, ism / 1024, npr, nfull, nfm / 1024, npr / is
    printf "peak memory of nfsim save: %.2f x the file (target <= 3)\n", nfm * 1024 / size
    printf "same iptables-save text: %s\n", same
    exit (same != "yes") }'
