#!/usr/bin/env bash
# Runs the copyscope binary as a user would: list, a short run of every
# in-tree transport over loopback, and bad input.
#   copyscope_e2e_test.sh PATH_TO_COPYSCOPE TRANSPORT...
set -uo pipefail

bin="$1"
shift
expected=("$@")
tmp="${TEST_TMPDIR:?}"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# --- copyscope --version ----------------------------------------------------
if ! out=$("$bin" --version); then
  fail "--version exited $?"
fi
grep -q '^copyscope [0-9]' <<<"$out" || fail "--version: no version: $out"
grep -Eq '^commit (unknown \(unstamped build\)|[0-9a-f]{40} )' <<<"$out" ||
  fail "--version: no honest commit line: $out"
grep -q '^compilation mode \(opt\|dbg\|fastbuild\)$' <<<"$out" ||
  fail "--version: no compilation mode: $out"

# --- copyscope list: every in-tree transport is ok ----------------------------
if ! out=$("$bin" list); then
  fail "list exited $?"
fi
for t in "${expected[@]}"; do
  grep -Eq "^${t} +ok +" <<<"$out" || fail "list: $t is not ok: $out"
done

# --- a short run of every transport ------------------------------------------
run_dir="$tmp/r"
"$bin" run --duration=0.3s --warmup=0.1s --sizes=4096 --threads=1 \
  --out="$run_dir" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
[[ $rc -eq 0 ]] || fail "run exited $rc: $(cat "$tmp/run.err")"
csv="$run_dir/summary.csv"
if [[ ! -f "$csv" ]]; then
  fail "run wrote no $csv"
else
  header=$(head -1 "$csv")
  [[ "$header" == impl,size,threads,throughput_gbps,latency_us,cycles,l1_misses,llc_misses,cs,* ]] ||
    fail "unexpected header: $header"
  rows=$(($(wc -l <"$csv") - 1))
  [[ $rows -eq ${#expected[@]} ]] ||
    fail "expected ${#expected[@]} rows, got $rows: $(cat "$csv")"
  for t in "${expected[@]}"; do
    row=$(grep "^${t},4096,1," "$csv") || {
      fail "no row for $t"
      continue
    }
    # throughput_gbps is a positive number; unmeasured columns are empty.
    awk -F, '{ exit !($4 != "" && $4 + 0 > 0 && $5 == "" && $6 == "" &&
                       $9 == "" && $14 == "ok") }' <<<"$row" ||
      fail "bad row for $t: $row"
  done
  ls "$run_dir" | grep -q '\.tmp\.' && fail "temporary file left in $run_dir"
fi
grep -q "results: $csv" "$tmp/run.out" || fail "run did not say where results went"
grep -q "Gbit/s" "$tmp/run.out" || fail "run printed no table"

# --- bad input: one line on stderr, exit 2, nothing written -------------------
expect_usage_error() {
  local what="$1"
  shift
  local dir="$tmp/bad_$RANDOM$RANDOM"
  "$bin" "$@" --out="$dir" >"$tmp/bad.out" 2>"$tmp/bad.err"
  local rc=$?
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, want 2"
  [[ $(wc -l <"$tmp/bad.err") -eq 1 ]] ||
    fail "$what: stderr is not one line: $(cat "$tmp/bad.err")"
  [[ -s "$tmp/bad.out" ]] && fail "$what: wrote to stdout: $(cat "$tmp/bad.out")"
  [[ -e "$dir" ]] && fail "$what: created $dir"
  return 0
}
expect_usage_error "size 0" run --sizes=0
expect_usage_error "unknown transport" run --transports=no_such_transport
expect_usage_error "bad duration" run --duration=5
expect_usage_error "unknown flag" run --no-such-flag=1
expect_usage_error "unknown command" frobnicate
expect_usage_error "malformed transport-opt" run --transport-opt=novalue
expect_usage_error "unknown transport-opt key" run --transport-opt=no_such_key=1

# An existing, non-empty --out is never overwritten.
mkdir -p "$tmp/full" && echo keep >"$tmp/full/x"
"$bin" run --duration=0.1s --out="$tmp/full" >/dev/null 2>"$tmp/bad.err"
rc=$?
[[ $rc -eq 2 ]] || fail "non-empty --out: exit $rc, want 2"
[[ $(cat "$tmp/full/x") == keep && $(ls "$tmp/full" | wc -l) -eq 1 ]] ||
  fail "non-empty --out was touched"

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "PASS"
