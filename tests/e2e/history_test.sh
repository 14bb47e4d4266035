#!/usr/bin/env bash
# The results history end to end, with real short runs of one cell
# (two_copy, 64 KiB, one connection) on loopback:
#   - provenance: --version --json, show --env, the record's fingerprint;
#   - every run lands in the history (under $TEST_TMPDIR: lib.sh points
#     XDG_DATA_HOME there), --no-history and a damaged history do not cost
#     the run anything;
#   - history --check stays silent on steady runs (beyond a floor of 40%,
#     see check_steady) and flags a run slowed on purpose (where runs vary
#     by less than 30%; else it only checks that the fall is seen): busy loops on the run's CPUs (two per CPU, started before the
#     run and killed after it, each bounded by `timeout`) at a priority 5
#     above the run's, so the slowdown (about -85%) is far beyond a noisy
#     machine's run-to-run swings. The check cannot flag a fall smaller than
#     the band runs vary in, so where the test may raise priorities (root,
#     CAP_SYS_NICE) every run goes at nice -10, above the machine's other
#     work, and the busy loops at -15; else the runs at 0, the loops at 0 and
#     the slowed run at 5;
#   - history import adds run directories and refuses a damaged one;
#   - rerun repeats a run with the same options.
#   history_test.sh PATH_TO_COPYSCOPE
set -uo pipefail

bin="$1"
source "$(dirname "$0")/lib.sh"

hist="$XDG_DATA_HOME/copyscope/history.sqlite"
cell=(--isolation=loopback --counters=none --duration=0.2s --warmup=0.05s
  --transports=two_copy --sizes=64K --threads=1)
label="two_copy 65536 B x1 stream, 8 fields"

# One JSON document on stdin, checked by a Python expression over `d`.
json_ok() {
  python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}

# --- priorities ------------------------------------------------------------------
base=$(nice)
if [[ "$(nice -n -10 nice 2>/dev/null)" == "$((base - 10))" ]]; then
  run_nice=-10 busy_nice=-15 slowed_nice=-10
else
  run_nice=0 busy_nice=0 slowed_nice=5
fi
echo "runs at nice $run_nice; the slowed one at $slowed_nice, its busy loops at $busy_nice"

# A run: exit 0, or 1 when a sample failed (a loaded machine can starve
# one); either way its record is complete.
cs_run() {
  local name="$1" niceness="$2"
  shift 2
  nice -n "$niceness" "$bin" run "${cell[@]}" "${pin[@]}" --out="$tmp/$name" "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  if [[ $rc -ne 0 && ($rc -ne 1 || ! -s "$tmp/$name/run.pb") ]]; then
    fail "run $name exited $rc: $(cat "$tmp/$name.err")"
  fi
  [[ $rc -eq 0 ]] || echo "note: run $name: $(tail -1 "$tmp/$name.err")"
}

# --- where the runs go: pinned when CPUs 0 and 1 are ours ----------------------
mapfile -t cpus < <(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)), sep="\n")')
if [[ ${#cpus[@]} -lt 2 ]]; then
  echo "SKIP: needs two CPUs, has ${#cpus[@]}"
  exit 0
fi
pin=()
busy_cpus=("${cpus[@]}")
if "$bin" run "${cell[@]}" --pin-server=cpus:0 --pin-client=cpus:1 --dry-run \
  >/dev/null 2>&1; then
  pin=(--pin-server=cpus:0 --pin-client=cpus:1)
  busy_cpus=(0 1)
fi

# --- provenance ----------------------------------------------------------------
"$bin" --version --json >"$tmp/version.json" || fail "--version --json exited $?"
json_ok 'len(d["binary_sha256"]) == 64 and len(d["libraries"]) >= 8 and d["compile_flags"]' \
  <"$tmp/version.json" || fail "--version --json: $(cat "$tmp/version.json")"

# --- --no-history: nothing written ---------------------------------------------
cs_run quiet "$run_nice" --reps=1 --no-history
[[ -e "$hist" ]] && fail "--no-history wrote $hist"
grep -q '^history:' "$tmp/quiet.out" && fail "--no-history named a history"

check() { # history --check with its output in $tmp/check.{out,err}; its exit
  "$bin" history --check "$@" >"$tmp/check.out" 2>"$tmp/check.err"
}

# A run that is no regression: history --check --fail-above=$steady_floor
# silent. The default check flags about alpha (5%) of the cells that did not
# change, by design, and so would fail this test about once in three with
# its nine checks; and other work starting on a shared machine slows the
# runs after it for real. A CI job on such a machine passes a floor like
# this one; the slowed run must be flagged beyond 25%. The default check's
# verdict is printed for the log.
steady_floor=40
check_steady() {
  check
  echo "$1: $(cat "$tmp/check.out" "$tmp/check.err")"
  check --fail-above="$steady_floor"
  local rc=$?
  [[ $rc -eq 0 && ! -s "$tmp/check.out" ]] ||
    fail "$1 flagged beyond $steady_floor% (exit $rc): $(cat "$tmp/check.out" "$tmp/check.err")"
}

# --- steady runs: in the history, not flagged ------------------------------------
steady=8
steady_dirs=()
for i in $(seq 1 "$steady"); do
  steady_dirs+=("$tmp/steady$i")
  cs_run "steady$i" "$run_nice" --reps=3
  grep -qx "history: $hist" "$tmp/steady$i.out" ||
    fail "steady run $i did not name the history: $(cat "$tmp/steady$i.out")"
  check_steady "steady $i"
done
[[ -d "$XDG_DATA_HOME/copyscope" ]] || fail "no $XDG_DATA_HOME/copyscope"

"$bin" history >"$tmp/history.out" 2>&1 || fail "history exited $?"
cat "$tmp/history.out"
grep -q "^$label: throughput_gbps (Gbit/s), higher is better$" "$tmp/history.out" ||
  fail "history: no title for the cell"
[[ $(grep -c '^  steady[0-9]*@' "$tmp/history.out") -eq $steady ]] ||
  fail "history: not $steady rows"
"$bin" history --json --last=3 | json_ok \
  'len(d["cells"]) == 1 and [p["run_id"].split("@")[0] for p in d["cells"][0]["points"]] == ["steady6", "steady7", "steady8"] and all(1 <= len(p["values"]) <= 3 for p in d["cells"][0]["points"])' ||
  fail "history --json --last=3"
"$bin" history --transport=one_copy | grep -qx 'no cell matches' ||
  fail "history --transport=one_copy"
"$bin" history --threads=1,2 >/dev/null 2>"$tmp/threads.err"
rc=$?
[[ $rc -eq 2 && $(wc -l <"$tmp/threads.err") -eq 1 ]] ||
  fail "history --threads=1,2: exit $rc, $(cat "$tmp/threads.err")"

# --- a run slowed on purpose: flagged --------------------------------------------
busy=()
stop_busy() {
  [[ ${#busy[@]} -gt 0 ]] || return 0
  kill "${busy[@]}" 2>/dev/null
  wait "${busy[@]}" 2>/dev/null
  busy=()
}
trap stop_busy EXIT
mkfifo "$tmp/busy.fifo"
exec 3<>"$tmp/busy.fifo"
for cpu in "${busy_cpus[@]}"; do
  for _ in 1 2; do
    timeout 120 nice -n "$busy_nice" taskset -c "$cpu" \
      bash -c 'echo up >&3; while :; do :; done' &
    busy+=($!)
  done
done
for _ in "${busy[@]}"; do
  read -r -t 10 -u 3 _ || fail "a busy loop did not start"
done
cs_run slowed "$slowed_nice" --reps=3
stop_busy
# How far runs of this cell vary here: the check's noise floor against the
# steady runs. Where other work on the machine makes it vary by more than
# 30% (runs of 2 and of 30 Gbit/s have been seen side by side), no check can
# tell a slowed run from the others; the test then asks only that the check
# sees the fall, and says so.
check --json
cp "$tmp/check.out" "$tmp/slowed.json"
floor=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["cells"][0].get("noise_floor") or 9)' \
  <"$tmp/slowed.json")
json_ok 'd["run"].startswith("slowed@") and d["cells"][0]["latest"]["rel"] < -0.5' \
  <"$tmp/slowed.json" || fail "history --check --json: $(cat "$tmp/slowed.json")"
check
rc=$?
cat "$tmp/check.out" "$tmp/check.err"
quiet=$(python3 -c "print(1 if $floor <= 0.3 else 0)")
if [[ $quiet -eq 1 ]]; then
  [[ $rc -eq 1 ]] || fail "the slowed run is not flagged (exit $rc)"
  [[ $(wc -l <"$tmp/check.out") -eq 1 ]] || fail "not one line per regressed cell"
  grep -Eq "^regressed: $label: throughput_gbps -[0-9.]+% \[-[0-9.]+%, -[0-9.]+%\], p=[0-9.e-]+ \(.*\); build before: .* \(run steady$steady@.*\), after: .* \(run slowed@.*\)$" \
    "$tmp/check.out" || fail "regression line: $(cat "$tmp/check.out")"
  json_ok 'd["regressed"] == 1 and d["cells"][0]["verdict"] == "regressed"' \
    <"$tmp/slowed.json" || fail "history --check --json: $(cat "$tmp/slowed.json")"
  check --fail-above=25
  [[ $? -eq 1 ]] || fail "the slowed run is within --fail-above=25: $(cat "$tmp/check.err")"
else
  echo "note: runs here vary by more than 30% (noise floor $floor): the slowed run" \
    "is checked for its fall only"
fi

# A steady run after it is no regression.
cs_run after "$run_nice" --reps=3
check_steady "the run after the slowed one"

# --- a damaged history is a warning, the run keeps its record and status ----------
printf 'not a database, just text that is long enough to matter\n' >"$tmp/bad.sqlite"
cp "$tmp/bad.sqlite" "$tmp/bad.copy"
"$bin" run "${cell[@]}" "${pin[@]}" --reps=1 --history="$tmp/bad.sqlite" \
  --out="$tmp/badhist" >"$tmp/badhist.out" 2>"$tmp/badhist.err"
rc=$?
[[ $rc -eq 0 || ($rc -eq 1 && $(grep -c 'samples failed' "$tmp/badhist.err") -eq 1) ]] ||
  fail "a damaged history changed the exit status to $rc"
[[ $(grep -c 'warning' "$tmp/badhist.err") -eq 1 ]] &&
  grep -q "bad.sqlite" "$tmp/badhist.err" ||
  fail "damaged history: $(cat "$tmp/badhist.err")"
"$bin" show "$tmp/badhist" >/dev/null 2>&1 || fail "the run's record is not whole"
cmp -s "$tmp/bad.sqlite" "$tmp/bad.copy" || fail "the damaged history was changed"

# --- history import ------------------------------------------------------------
imported="$tmp/imported.sqlite"
"$bin" history import --history="$imported" "${steady_dirs[@]}" "$tmp/slowed" \
  >"$tmp/import.out" 2>&1 || fail "import: $(cat "$tmp/import.out")"
grep -q "^imported $((steady + 1)) runs into $imported$" "$tmp/import.out" ||
  fail "import: $(cat "$tmp/import.out")"
"$bin" history import --history="$imported" "$tmp/steady1" >"$tmp/import.out" 2>&1 ||
  fail "import again"
grep -q "already in the history" "$tmp/import.out" || fail "import again: $(cat "$tmp/import.out")"
"$bin" history --history="$imported" --check >/dev/null 2>&1
rc=$?
[[ $rc -eq 1 || ($quiet -eq 0 && $rc -eq 0) ]] ||
  fail "the imported history does not flag the slowed run (exit $rc)"
mkdir "$tmp/cut" && head -c 200 "$tmp/after/run.pb" >"$tmp/cut/run.pb"
"$bin" history import --history="$imported" "$tmp/after" "$tmp/cut" \
  "$tmp/missing" >"$tmp/import.out" 2>"$tmp/import.err"
rc=$?
cat "$tmp/import.err"
[[ $rc -eq 2 ]] || fail "import of a damaged record exited $rc"
grep -q 'cut/run.pb: damaged record' "$tmp/import.err" || fail "import: no damaged line"
grep -q 'missing' "$tmp/import.err" || fail "import: no missing line"
"$bin" history --history="$imported" --json | json_ok \
  "len(d['cells'][0]['points']) == $((steady + 1))" ||
  fail "a refused import added runs"
mkdir "$tmp/incomplete"
head -c "$(($(stat -c %s "$tmp/after/run.pb") - 60))" "$tmp/after/run.pb" \
  >"$tmp/incomplete/run.pb"
"$bin" history import --history="$imported" "$tmp/incomplete" >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "import of a record without its end"

# --- the environment a run recorded ----------------------------------------------
"$bin" show "$tmp/steady1" --env >"$tmp/env.out" || fail "show --env exited $?"
fp=$("$bin" history --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["testbed"])')
grep -qx "  fingerprint: $fp" "$tmp/env.out" || fail "show --env: no fingerprint $fp"
for fact in "kernel cmdline" "governor" "turbo" "thp enabled" "irqbalance" \
  "sysctl net.core.rmem_max" "binary sha256" "library SQLite" "bazel"; do
  grep -q "^  $fact: " "$tmp/env.out" || fail "show --env: no $fact"
done

# --- rerun: the same options, the environment compared -----------------------------
runs_before=$("$bin" history --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cells"][0]["points"]))')
nice -n "$run_nice" "$bin" rerun "$tmp/steady1" --out="$tmp/again" --no-history \
  >"$tmp/rerun.out" 2>&1
rc=$?
[[ $rc -eq 0 || $rc -eq 1 ]] || fail "rerun exited $rc: $(cat "$tmp/rerun.out")"
grep -q "^rerun of steady1 ($tmp/steady1)" "$tmp/rerun.out" || fail "rerun: $(head -3 "$tmp/rerun.out")"
grep -qx "environment: as recorded (build, host, the plugins it used)" "$tmp/rerun.out" ||
  fail "rerun: the environment differs: $(cat "$tmp/rerun.out")"
python3 - "$tmp/steady1/run.jsonl" "$tmp/again/run.jsonl" <<'EOF' || fail "rerun: other options"
import json, sys
def options(path):
    with open(path) as f:
        header = json.loads(f.readline())
    return {o["key"]: o.get("value", "") for o in header["plan"]["options"]}
a, b = options(sys.argv[1]), options(sys.argv[2])
differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
sys.exit(0 if differ == {"out", "no-history"} else print(differ) or 1)
EOF
runs_after=$("$bin" history --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cells"][0]["points"]))')
[[ $runs_after -eq $runs_before ]] || fail "rerun --no-history added to the history"

finish
