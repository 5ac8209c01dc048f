#!/bin/bash
# Time to first expiry and peak RSS of `disputes scheduler` on a ledger of
# 40,000 closed tickets and 3 open ones whose merchant_response is overdue
# (written by TestWriteStartupLedger), for two builds in one run: OLD (the
# scheduler that folded the whole log at start) and NEW, the latter cold
# (it projects its open-deadlines read model from position 0 first) and
# warm (the read model at the head, as `serve` keeps it). BENCHMARKS.md.
# usage: startup.sh LEDGER OLD_BINARY NEW_BINARY [ROUNDS]
set -u
ledger=$1 old=$2 new=$3 rounds=${4:-3}
dir=$(mktemp -d /tmp/sched-measure.XXXX)
measure() { # name binary db args...
  local name=$1 bin=$2 db=$3; shift 3
  local log=$dir/$name.log
  : > "$log"
  local t0=$(date +%s.%N)
  "$bin" scheduler --db "$db" --log-level info "$@" 2>"$log" >/dev/null &
  local pid=$!
  while ! grep -q '"deadline expired"' "$log"; do
    if ! kill -0 $pid 2>/dev/null; then echo "$name: exited early"; cat "$log"; return; fi
    sleep 0.01
  done
  local t1=$(date +%s.%N)
  while [ "$(grep -c '"deadline expired"' "$log")" -lt 3 ]; do sleep 0.01; done
  local hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -INT $pid; wait $pid
  printf "%-10s first expiry after %6.2f s, peak RSS %7.1f MB\n" "$name" "$(echo "$t1 - $t0" | bc)" "$(echo "$hwm / 1024" | bc -l)"
}
for r in $(seq "$rounds"); do
  for v in old cold warm; do
    cp "$ledger" "$dir/$v.db"
  done
  "$new" rebuild --db "$dir/warm.db" deadlines >/dev/null 2>&1   # the read model a serve would keep
  measure old "$old" "$dir/old.db"
  measure new-cold "$new" "$dir/cold.db"
  measure new-warm "$new" "$dir/warm.db"
  rm -f "$dir"/*.db*
done
rm -rf "$dir"
