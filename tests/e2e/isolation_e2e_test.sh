#!/usr/bin/env bash
# copyscope with its isolation, placement and counters, as a user runs it:
# topo, dry runs of pinning plans on a hybrid fixture, runs through a veth
# between two namespaces (where permitted), pinned runs, counters per role,
# and the one-line errors of bad values.
#   isolation_e2e_test.sh PATH_TO_COPYSCOPE HYBRID_XML TRANSPORT...
set -uo pipefail

bin="$1"
hybrid="$2"
shift 2
expected=("$@")
source "$(dirname "$0")/lib.sh"

# A transport whose probe fails on this kernel (ktls without CONFIG_TLS)
# runs nowhere here: the runs below expect the usable ones.
usable=()
list_out=$("$bin" list 2>/dev/null)
for t in "${expected[@]}"; do
  grep -Eq "^${t} +ok +" <<<"$list_out" && usable+=("$t")
done
expected=("${usable[@]}")

# Runs copyscope; leaves stdout/stderr in $tmp/out and $tmp/err, exit in $rc.
cs() {
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
}

expect_usage_error() {
  local what="$1"
  shift
  local dir="$tmp/bad_$RANDOM$RANDOM"
  cs "$@" --out="$dir"
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] ||
    fail "$what: stderr is not one line: $(cat "$tmp/err")"
  [[ -e "$dir" ]] && fail "$what: created $dir"
  return 0
}

# The status column of summary.csv for every row must be ok.
all_rows_ok() {
  local csv="$1"
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") s = i; next }
           $s != "ok" { bad = 1 } END { exit bad || !s }' "$csv"
}

# --- topo ----------------------------------------------------------------------
cs topo
[[ $rc -eq 0 ]] || fail "topo exited $rc: $(cat "$tmp/err")"
grep -q '^CPU  PACKAGE  NUMA  CORE' "$tmp/out" || fail "topo: no table"
grep -q '^this machine: .* package' "$tmp/out" || fail "topo: no summary line"
cs topo --topology-xml="$hybrid"
[[ $rc -eq 0 ]] || fail "topo --topology-xml exited $rc"
grep -q ': 8 P-cores (16 threads) + 4 E-cores, 1 package' "$tmp/out" ||
  fail "topo hybrid: $(tail -1 "$tmp/out")"
cs topo --topology-xml="$tmp/no_such.xml"
[[ $rc -eq 2 ]] || fail "topo of a missing file: exit $rc, want 2"

# --- dry runs on the hybrid fixture -------------------------------------------------
cs run --dry-run --topology-xml="$hybrid" --pin-server=pcore --pin-client=ecore \
  --threads=1,2,4,8 --out="$tmp/dry"
[[ $rc -eq 2 ]] || fail "dry run with an impossible plan: exit $rc, want 2"
grep -q '^threads 4: server 0,2,4,6 (P-core) | client 16,17,18,19 (E-core)$' \
  "$tmp/out" || fail "dry run: no plan for 4 threads: $(cat "$tmp/out")"
grep -q '^threads 8: error: --pin-client=ecore' "$tmp/out" ||
  fail "dry run: no error line for 8 threads"
[[ -e "$tmp/dry" ]] && fail "dry run wrote $tmp/dry"
cs run --dry-run --topology-xml="$hybrid" --pin-server=pcore --pin-client=ecore \
  --threads=1,2,4
[[ $rc -eq 0 ]] || fail "dry run 1,2,4: exit $rc"
grep -q '^threads 1: server 0 (P-core) | client 16 (E-core)$' "$tmp/out" ||
  fail "dry run 1: $(cat "$tmp/out")"

# --- bad values: one line, exit 2, nothing written ---------------------------------
expect_usage_error "real run on another machine's topology" \
  run --topology-xml="$hybrid" --pin-server=pcore
expect_usage_error "unknown isolation" run --isolation=veth
expect_usage_error "mtu with loopback" run --isolation=loopback --mtu=9000
expect_usage_error "unknown policy" run --pin-server=fastest
expect_usage_error "ecore without E-cores" run --pin-client=ecore
expect_usage_error "unknown event" run --counters=no-such-event
expect_usage_error "unknown scope" run --counters-scope=process
expect_usage_error "netns with a word" netns frob

# --- pinned run: the record says where each thread ran -------------------------------
allowed=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
first=${allowed%%[,-]*}
last=${allowed##*[,-]}
cs run --isolation=loopback --transports="${expected[0]}" --sizes=4096 \
  --threads=1 --reps=1 --duration=0.3s --warmup=0.1s \
  --pin-server=cpus:"$first" --pin-client=cpus:"$last" --out="$tmp/pinned"
[[ $rc -eq 0 ]] || fail "pinned run exited $rc: $(cat "$tmp/err")"
grep -q "^pinning: --pin-server=cpus:$first --pin-client=cpus:$last" "$tmp/err" ||
  fail "pinned run: no pinning line: $(cat "$tmp/err")"
grep -q '^where the threads ran' "$tmp/out" || fail "pinned run: no placement table"
jsonl="$tmp/pinned/run.jsonl"
# pinned_cpu, start_cpu, end_cpu and cpus_seen all name the CPU (proto3 JSON
# leaves out a pinned_cpu of 0; an unpinned thread has -1).
placed() {
  grep -Eq "\"side\":\"$1\",(\"pinned_cpu\":$2,)?\"start_cpu\":$2,\"end_cpu\":$2,\"cpus_seen\":\\[$2\\]" "$jsonl"
}
placed server "$first" || fail "pinned run: server placement not recorded as CPU $first"
placed client "$last" || fail "pinned run: client placement not recorded as CPU $last"
grep -q 'anomaly:' "$tmp/out" && fail "pinned run: anomaly: $(grep anomaly: "$tmp/out")"

# --- counters per role ------------------------------------------------------------
grep -q '^counters per role' "$tmp/out" || fail "no counters table"
if grep -q 'not permitted' "$tmp/err"; then
  echo "note: perf events not permitted here: $(grep '^note:' "$tmp/err")"
else
  for col in 'task-clock ms' context-switches page-faults; do
    head -2 <(grep -A1 '^counters per role' "$tmp/out") | grep -q -- "$col" ||
      fail "counters table has no $col column"
  done
  grep -Eq '^[a-z_]+ +4K +1 +server ' "$tmp/out" || fail "no server row"
  grep -Eq '^[a-z_]+ +4K +1 +client ' "$tmp/out" || fail "no client row"
  grep -q '"event":"task-clock","pmu":"software","state":"counted","raw":"' \
    "$jsonl" || fail "record: task-clock not counted"
  if grep -q '^note: hardware counters unsupported here: cycles' "$tmp/err"; then
    # No PMU here: said once, recorded as unsupported, never as 0.
    [[ $(grep -c 'hardware counters unsupported' "$tmp/err") -eq 1 ]] ||
      fail "the unsupported note is not said once"
    grep -q '"event":"cycles","pmu":"cpu","state":"unsupported","reason":"' \
      "$jsonl" || fail "record: cycles not recorded as unsupported"
    grep -q '"event":"cycles"[^}]*"value"' "$jsonl" &&
      fail "record: an unsupported event has a value"
    grep -q 'hardware counters unsupported here' "$jsonl" ||
      fail "record: the unsupported note is not in the run's notes"
    grep -q '^not counted in any cell: cycles' "$tmp/out" ||
      fail "table does not say cycles were not counted"
  fi
fi

# --- netns: every transport through a veth between two namespaces ------------------
cs netns check
check_rc=$rc
if [[ $check_rc -ne 0 ]]; then
  [[ $check_rc -eq 1 ]] || fail "netns check: exit $check_rc, want 0 or 1"
  grep -q '^  verdict:' "$tmp/out" || fail "netns check: no verdict"
  echo "SKIPPED netns runs: $(grep 'verdict:' "$tmp/out")"
else
  grep -q 'verdict: netns isolation works here' "$tmp/out" ||
    fail "netns check: $(cat "$tmp/out")"
  cs run --isolation=netns --sizes=4096 --threads=1 --reps=1 --duration=0.3s \
    --warmup=0.1s --counters=none --out="$tmp/ns"
  [[ $rc -eq 0 ]] || fail "netns run exited $rc: $(cat "$tmp/err")"
  line=$(grep '^isolation: netns+veth (' "$tmp/err") ||
    fail "netns run: no isolation line: $(cat "$tmp/err")"
  header=$(head -1 "$tmp/ns/run.jsonl")
  grep -q '"isolation":{"mode":"netns","reason":"requested --isolation=netns"' \
    <<<"$header" || fail "record does not say netns"
  grep -q '"key":"server_address","value":"198.18.0.1/30"' <<<"$header" ||
    fail "record: no server address"
  grep -q '"key":"server_gso","value":"o[nf]f*"' <<<"$header" ||
    fail "record: no GSO state"
  grep -q '"key":"mtu","value":"[0-9]' <<<"$header" || fail "record: no MTU"
  rows=$(($(wc -l <"$tmp/ns/summary.csv") - 1))
  [[ $rows -eq ${#expected[@]} ]] ||
    fail "netns run: expected ${#expected[@]} rows, got $rows"
  all_rows_ok "$tmp/ns/summary.csv" ||
    fail "netns run: a cell failed: $(cat "$tmp/ns/summary.csv")"
  # The veth never appears in our namespace, during or after.
  for veth in $(grep -o 'cs[0-9a-f]*[sc]\b' <<<"$line"); do
    [[ -e /sys/class/net/$veth ]] && fail "$veth exists after the run"
  done
  cs show "$tmp/ns"
  grep -q 'isolation netns (requested --isolation=netns)' "$tmp/out" ||
    fail "show does not say netns: $(head -3 "$tmp/out")"
  # Where the cycles and the packets went: the host's softirq time and the
  # sender's TCP_INFO over the interval, in the record and summary.csv.
  python3 - "$tmp/ns" "${expected[0]}" <<'PY' || fail "netns run: no CPU load or TCP_INFO (the assertion above)"
import csv, json, sys
d, first = sys.argv[1], sys.argv[2]
cells = [json.loads(l) for l in open(d + "/run.jsonl")][1:-1]
cell = next(c for c in cells if c["key"]["transport"] == first)
s = cell["samples"][0]
load = s["cpu_load"][0]
assert load["host"] == "local" and load["wall_s"] > 0, load
# softirq time is counted in ticks here (no CONFIG_IRQ_TIME_ACCOUNTING), so
# one 0.3 s sample on busy CPUs may see none: the run as a whole must.
loads = [l for c in cells for x in c["samples"] for l in x.get("cpu_load", [])]
assert sum(l["total"].get("softirq_s", 0) for l in loads) > 0, loads
tcp = {c["name"]: int(c.get("value", 0))
       for c in s["connections"][0]["server_tcp"]["counters"]}
assert tcp["segs_out"] > 0 and tcp["bytes_acked"] > 0, tcp
rows = list(csv.DictReader(open(d + "/summary.csv")))
assert sum(float(r["softirq_cpu_s"]) for r in rows) > 0, rows
row = next(r for r in rows if r["impl"] == first)
assert row["tcp_retrans"] != "" and row["tcp_rtt_us"] != "", row
PY

  # auto picks netns where it works, and --mtu reaches the veth.
  cs run --isolation=auto --mtu=9000 --transports="${expected[0]}" \
    --sizes=64K --threads=1 --reps=1 --duration=0.2s --warmup=0.1s \
    --counters=none --out="$tmp/auto"
  [[ $rc -eq 0 ]] || fail "auto run exited $rc: $(cat "$tmp/err")"
  header=$(head -1 "$tmp/auto/run.jsonl")
  grep -q '"isolation":{"mode":"netns","reason":"auto: ' <<<"$header" ||
    fail "auto did not pick netns"
  grep -q '"key":"mtu","value":"9000"' <<<"$header" || fail "mtu not 9000"
fi

finish
