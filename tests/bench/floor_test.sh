#!/usr/bin/env bash
# Tests the floor program (tests/bench/floor.c) for correctness only: a
# short unpinned run of each receive mode and counter placement prints one
# result line with bytes received, and bad flags are refused with the usage
# and exit status 2. What it measures is tools/floor-compare's business.
#   floor_test.sh FLOOR
set -uo pipefail

floor="$1"
tmp="${TEST_TMPDIR:?}"
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
line='^floor size=([0-9]+) seconds=[0-9.]+ bytes=([0-9]+) gbps=[0-9.]+ .* sender_cpu_s=[0-9.]+ receiver_cpu_s=[0-9.]+$'

# One line per run, bytes received, for every receive mode and counter
# placement, at a size that is a whole number of segments and one that is
# not.
for run in "4096 --size=4K --recv=stream" \
  "1000 --size=1000 --recv=message --counters=receiver" \
  "65536 --size=64K --recv=waitall --counters=both" \
  "1 --size=1 --counters=sender"; do
  want="${run%% *}"
  flags="${run#* }"
  # shellcheck disable=SC2086 # the flags are words
  "$floor" $flags --seconds=0.1 --warmup=0.02 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out" "$tmp/err"
  if [[ $rc -eq 1 ]] &&
    grep -Eq 'perf_event_open: (Permission denied|Operation not permitted)' \
      "$tmp/err"; then
    echo "SKIP: floor $flags: no perf counters for this user"
    continue
  fi
  [[ $rc -eq 0 ]] || fail "floor $flags exited $rc"
  [[ $(wc -l <"$tmp/out") -eq 1 ]] || fail "floor $flags: want one line"
  [[ ! -s "$tmp/err" ]] || fail "floor $flags wrote to stderr"
  if [[ $(cat "$tmp/out") =~ $line ]]; then
    [[ ${BASH_REMATCH[1]} == "$want" ]] ||
      fail "floor $flags reported size=${BASH_REMATCH[1]}, want $want"
    [[ ${BASH_REMATCH[2]} -gt 0 ]] || fail "floor $flags received no bytes"
  else
    fail "floor $flags printed no result line"
  fi
done

# Pinned to the first CPU this test may use, both threads.
cpu=$(awk '/^Cpus_allowed_list/ {split($2, a, /[-,]/); print a[1]}' \
  /proc/self/status)
out=$("$floor" --size=4K --seconds=0.1 --warmup=0.02 --sender-cpu="$cpu" \
  --receiver-cpu="$cpu")
rc=$?
echo "$out"
[[ $rc -eq 0 ]] || fail "floor pinned to CPU $cpu exited $rc"
grep -q " sender_cpu=$cpu receiver_cpu=$cpu " <<<"$out" ||
  fail "floor pinned to CPU $cpu did not say so"

# --help: the usage on stdout, exit 0.
out=$("$floor" --help)
rc=$?
[[ $rc -eq 0 ]] || fail "floor --help exited $rc"
grep -q "^usage: floor --size=BYTES" <<<"$out" || fail "floor --help: no usage"

# Bad flags: exit 2, the usage on stderr, nothing on stdout.
for bad in "" "--size=0" "--size=4X" "--size=65M" "--size=1.5" \
  "--size=4K --seconds=0" "--size=4K --seconds=601" "--size=4K --warmup=-1" \
  "--size=4K --sender-cpu=0.5" "--size=4K --receiver-cpu=-2" \
  "--size=4K --recv=all" "--size=4K --counters=" "--size=4K --bogus" \
  "--size=4K extra"; do
  # shellcheck disable=SC2086 # the flags are words
  "$floor" $bad >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [[ $rc -eq 2 ]] || fail "floor '$bad' exited $rc, want 2"
  grep -q "^usage: floor" "$tmp/err" || fail "floor '$bad' gave no usage"
  [[ ! -s "$tmp/out" ]] || fail "floor '$bad' wrote to stdout"
done

# An impossible CPU: a failure (exit 1), one line naming it.
"$floor" --size=4K --seconds=0.1 --sender-cpu=4095 >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "floor --sender-cpu=4095 exited $rc, want 1"
grep -q "^floor: sender: pin to its CPU: " "$tmp/err" ||
  fail "floor --sender-cpu=4095 said: $(cat "$tmp/err")"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "PASS"
