#!/usr/bin/env bash
# Tests the crr floor program (tests/bench/crr_floor.c) for correctness
# only: short runs print one result line with connections counted, pinned
# or not, with request and response sizes of their own; bad flags are
# refused with the usage and exit status 2. What it measures is
# tools/floor-compare --mode=crr's business.
#   crr_floor_test.sh CRR_FLOOR
set -uo pipefail

floor="$1"
tmp="${TEST_TMPDIR:?}"
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
line='^crr_floor size=([0-9]+) request=([0-9]+) response=([0-9]+) seconds=[0-9.]+ connections=([0-9]+) cps=[0-9.]+ p50_us=[0-9.]+ p99_us=[0-9.]+ .* server_cpu_s=[0-9.]+ client_cpu_s=[0-9.]+$'

cpu=$(awk '/^Cpus_allowed_list/ {split($2, a, /[-,]/); print a[1]}' \
  /proc/self/status)
for run in "64 64 64 --size=64" \
  "1024 100 5000 --size=1K --request-size=100 --response-size=5000" \
  "65536 65536 65536 --size=64K --server-cpu=$cpu --client-cpu=$cpu" \
  "64 64 64 --size=64 --fork"; do
  read -r size req resp flags <<<"$run"
  # shellcheck disable=SC2086 # the flags are words
  "$floor" $flags --seconds=0.1 --warmup=0.02 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out" "$tmp/err"
  [[ $rc -eq 0 ]] || fail "crr_floor $flags exited $rc"
  [[ $(wc -l <"$tmp/out") -eq 1 ]] || fail "crr_floor $flags: want one line"
  [[ ! -s "$tmp/err" ]] || fail "crr_floor $flags wrote to stderr"
  if [[ $(cat "$tmp/out") =~ $line ]]; then
    [[ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}" == \
      "$size $req $resp" ]] ||
      fail "crr_floor $flags reported sizes ${BASH_REMATCH[*]:1:3}"
    [[ ${BASH_REMATCH[4]} -gt 0 ]] || fail "crr_floor $flags counted nothing"
  else
    fail "crr_floor $flags printed no result line"
  fi
done
grep -q " server=process " "$tmp/out" ||
  fail "crr_floor --fork did not say its server is a process"
"$floor" --size=64 --seconds=0.05 --server-cpu="$cpu" --client-cpu="$cpu" \
  >"$tmp/out" 2>&1
grep -q " server_cpu=$cpu client_cpu=$cpu .* server=thread " "$tmp/out" ||
  fail "crr_floor pinned to CPU $cpu did not say so: $(cat "$tmp/out")"

# --help: the usage on stdout, exit 0.
out=$("$floor" --help)
rc=$?
[[ $rc -eq 0 ]] || fail "crr_floor --help exited $rc"
grep -q "^usage: crr_floor --size=BYTES" <<<"$out" ||
  fail "crr_floor --help: no usage"

# Bad flags: exit 2, the usage on stderr, nothing on stdout.
for bad in "" "--size=0" "--size=4X" "--size=65M" "--size=64 --seconds=0" \
  "--size=64 --request-size=0" "--size=64 --client-cpu=-2" \
  "--size=64 --address=localhost" "--size=64 --address=" \
  "--size=64 --bogus" "--size=64 extra"; do
  # shellcheck disable=SC2086 # the flags are words
  "$floor" $bad >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [[ $rc -eq 2 ]] || fail "crr_floor '$bad' exited $rc, want 2"
  grep -q "^usage: crr_floor" "$tmp/err" || fail "crr_floor '$bad' gave no usage"
  [[ ! -s "$tmp/out" ]] || fail "crr_floor '$bad' wrote to stdout"
done

# An impossible CPU, a namespace that is not there: a failure (exit 1), one
# line naming it.
"$floor" --size=64 --seconds=0.1 --client-cpu=4095 >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "crr_floor --client-cpu=4095 exited $rc, want 1"
grep -q "^crr_floor: client: pin to its CPU: " "$tmp/err" ||
  fail "crr_floor --client-cpu=4095 said: $(cat "$tmp/err")"
"$floor" --size=64 --seconds=0.1 --server-netns=/nonexistent >"$tmp/out" \
  2>"$tmp/err"
rc=$?
[[ $rc -eq 1 ]] || fail "crr_floor --server-netns=/nonexistent exited $rc"
grep -q "^crr_floor: /nonexistent: " "$tmp/err" ||
  fail "crr_floor --server-netns=/nonexistent said: $(cat "$tmp/err")"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "PASS"
