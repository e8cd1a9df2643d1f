#!/usr/bin/env bash
# CI check of the kernel oracle: re-record one small scenario and compare it
# with the committed trace (tests/traces/). Needs root, ip netns, iptables-legacy
# and python3; says clearly when it skips.
set -u
cd "$(dirname "$0")/../.."
scenario=tests/traces/tutorial-conntrack-lo-block
if [ "$(id -u)" != 0 ]; then echo "kernel-oracle check: SKIPPED (not root)"; exit 0; fi
if ! ip netns list >/dev/null 2>&1; then echo "kernel-oracle check: SKIPPED (no ip netns)"; exit 0; fi
if ! command -v iptables-legacy-restore >/dev/null 2>&1; then echo "kernel-oracle check: SKIPPED (no iptables-legacy)"; exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then echo "kernel-oracle check: SKIPPED (no python3)"; exit 0; fi
out=$(mktemp /tmp/nfsim-ci-trace.XXXXXX.json)
trap 'rm -f "$out"' EXIT
# Another recording holds the lock (/run/nfsim-recorder.lock): wait for it,
# up to 5 minutes, rather than fail.
for try in $(seq 1 60); do
  if python3 tools/kernel-oracle/record.py "$scenario.toml" -o "$out" 2>/tmp/nfsim-ci-record.err; then
    break
  fi
  if grep -q "another recorder is running" /tmp/nfsim-ci-record.err && [ "$try" -lt 60 ]; then
    sleep 5; continue
  fi
  cat /tmp/nfsim-ci-record.err
  echo "kernel-oracle check: recording failed"; exit 1
done
python3 tools/kernel-oracle/compare.py "$scenario.json" "$out"
rc=$?
if [ $rc = 0 ]; then echo "kernel-oracle check: re-recorded $scenario agrees with the committed trace"; fi
# Endpoints: a fresh recording of real sockets must agree with nfsim's too.
ep=$(mktemp /tmp/nfsim-ci-endpoints.XXXXXX.txt)
trap 'rm -f "$out" "$ep"' EXIT
for try in $(seq 1 60); do
  if python3 tools/kernel-oracle/record_endpoints.py -o "$ep" 2>/tmp/nfsim-ci-record.err; then
    break
  fi
  [ "$try" -lt 60 ] || { cat /tmp/nfsim-ci-record.err; echo "kernel-oracle check: endpoint recording failed"; exit 1; }
  sleep 5
done
if NFSIM_ENDPOINT_RECORDING="$ep" cargo test -q --test endpoints >/tmp/nfsim-ci-endpoints.log 2>&1; then
  echo "kernel-oracle check: a fresh endpoint recording agrees with nfsim's endpoints"
else
  cat /tmp/nfsim-ci-endpoints.log
  echo "kernel-oracle check: a fresh endpoint recording disagrees"; rc=1
fi
exit $rc
