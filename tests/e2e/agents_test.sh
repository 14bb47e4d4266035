#!/usr/bin/env bash
# A plugin that crashes, exits, hangs, corrupts or returns absurd counts
# costs only its own cell (each side of a cell runs in an agent process);
# one that aborts or hangs in probe(), or whose descriptor breaks the
# loader's bounds, is rejected while the others stay usable; a bad plugin
# that is not selected never touches a run; nothing is left running.
#   agents_test.sh PATH_TO_COPYSCOPE PATH_TO_ONE_BAD_PLUGIN
set -uo pipefail
bin="$1"
plugins="$(dirname "$2")"
source "$(dirname "$0")/lib.sh"

# The status column of summary.csv for a transport.
status_of() {
  python3 - "$1" "$2" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["impl"] == sys.argv[2]:
        print(row["status"])
PY
}

# No agent whose parent was `pid` may be left (they die with their parent;
# a bounded wait for the kernel to deliver that).
no_agents_of() {
  local pid="$1" i
  for i in $(seq 200); do
    pgrep -f -- "--parent-pid=$pid" >/dev/null || return 0
    sleep 0.05  # polling a condition, bounded
  done
  fail "agents of $pid still running: $(pgrep -af -- "--parent-pid=$pid")"
}

# --- discovery -----------------------------------------------------------------
"$bin" list --plugin-dir="$plugins" >"$tmp/list.out" 2>"$tmp/list.err" &
pid=$!
wait $pid
rc=$?
[[ $rc -eq 0 ]] || fail "list: exit $rc: $(cat "$tmp/list.err")"
grep -Eq '^two_copy +ok' "$tmp/list.out" || fail "list: two_copy not ok"
grep -Eq '^crash_send +ok' "$tmp/list.out" || fail "list: crash_send not ok"
grep -q 'reason  probe crashed (SIGABRT)' "$tmp/list.out" ||
  fail "list: abort_probe is not 'probe crashed (SIGABRT)'"
grep -q 'reason  probe did not answer in 5s' "$tmp/list.out" ||
  fail "list: hang_probe is not 'probe did not answer in 5s'"
grep -q 'reason  name longer than 64 bytes' "$tmp/list.out" ||
  fail "list: long_name not rejected for its length"
grep -q 'reason  option_count 1000000 is more than' "$tmp/list.out" ||
  fail "list: many_options not rejected for its option_count"
no_agents_of $pid

# --- a run of every endpoint fault beside two_copy -------------------------------
"$bin" run --plugin-dir="$plugins" \
  --transports=two_copy,crash_send,exit_recv,hang_recv,corrupt_send,absurd_counts \
  --sizes=4K --threads=1 --duration=0.3s --warmup=0.05s --reps=1 \
  --io-timeout=1s --isolation=loopback --counters=none --verify \
  --out="$tmp/run" >"$tmp/run.out" 2>"$tmp/run.err" &
pid=$!
wait $pid
rc=$?
[[ $rc -eq 1 ]] || fail "run: exit $rc, want 1 (samples failed): $(cat "$tmp/run.err")"
csv="$tmp/run/summary.csv"
[[ "$(status_of "$csv" two_copy)" == ok ]] ||
  fail "two_copy: $(status_of "$csv" two_copy)"
[[ "$(status_of "$csv" crash_send)" == "crashed: SIGSEGV in crash_send (server)" ]] ||
  fail "crash_send: $(status_of "$csv" crash_send)"
[[ "$(status_of "$csv" exit_recv)" == "exited: status 0 in exit_recv (client)" ]] ||
  fail "exit_recv: $(status_of "$csv" exit_recv)"
[[ "$(status_of "$csv" hang_recv)" == "hung: hang_recv (client)"* ]] ||
  fail "hang_recv: $(status_of "$csv" hang_recv)"
[[ "$(status_of "$csv" corrupt_send)" == "corrupt: message 100 offset 7" ]] ||
  fail "corrupt_send: $(status_of "$csv" corrupt_send)"
[[ "$(status_of "$csv" absurd_counts)" == "failed: "*"absurd_counts"* ]] ||
  fail "absurd_counts: $(status_of "$csv" absurd_counts)"
"$bin" show "$tmp/run" >/dev/null 2>&1 || fail "show of the run failed"
no_agents_of $pid

# --- a bad plugin that is not selected never touches a run -----------------------
"$bin" run --plugin-dir="$plugins" --transports=two_copy --sizes=4K \
  --threads=1 --duration=0.2s --warmup=0.05s --reps=1 --isolation=loopback \
  --counters=none --out="$tmp/clean" >/dev/null 2>"$tmp/clean.err" &
pid=$!
wait $pid
rc=$?
[[ $rc -eq 0 ]] || fail "a run of two_copy beside bad plugins: exit $rc: $(cat "$tmp/clean.err")"
no_agents_of $pid

finish
