#!/usr/bin/env bash
# copyscope keeps what it finished and never destroys what it did not make:
# a full disk stops the sweep with a consistent record, a run killed at any
# moment leaves a record that says what it is (never a damaged one), a
# second run into a locked directory is refused, and the temporaries of a
# killed writer are removed by the next run into the same parent.
#   data_safety_test.sh PATH_TO_COPYSCOPE
set -uo pipefail
bin="$1"
source "$(dirname "$0")/lib.sh"

# A short sweep of many samples, on loopback, without counters.
short=(run --duration=0.05s --warmup=0s --isolation=loopback --counters=none)
sweep=("${short[@]}" --transports=two_copy,one_copy
  --sizes=64,128,256,512,1K,2K,4K,8K --threads=1,2 --reps=3)

# --- a full disk ---------------------------------------------------------------
# A 256 KiB tmpfs in a mount namespace of this test's own: the run, and
# `show` of its record, happen inside it (the tmpfs goes with the namespace).
full="$tmp/full"
mkdir -p "$full"
if unshare --mount --propagation private true 2>/dev/null; then
  unshare --mount --propagation private bash -c '
    dir="$1" out="$2" bin="$3"
    shift 3
    mount -t tmpfs -o size=256k tmpfs "$dir" || exit 77
    "$bin" "$@" --out="$dir/run" >/dev/null 2>"$out/full.err"
    echo "rc=$?" >"$out/full.txt"
    "$bin" show "$dir/run" >"$out/show.out" 2>&1
    echo "show=$?" >>"$out/full.txt"
    tail -1 "$dir/run/run.jsonl" >>"$out/full.txt"
    ls -a "$dir/run" >>"$out/full.txt"
  ' _ "$full" "$tmp" "$bin" "${sweep[@]}"
  if [[ $? -eq 77 ]]; then
    echo "SKIPPED full-disk check: cannot mount a tmpfs here"
  else
    grep -q '^rc=1$' "$tmp/full.txt" ||
      fail "full disk: $(head -1 "$tmp/full.txt"), want rc=1"
    grep -q 'the run stopped: .*No space left on device.*(record ended "stopped")' \
      "$tmp/full.err" || fail "full disk: no clear message: $(cat "$tmp/full.err")"
    head -1 "$tmp/show.out" |
      grep -q '^record: stopped: no space left on device; [0-9]* of 32 cells$' ||
      fail "full disk: show's first line: $(head -1 "$tmp/show.out")"
    grep -q '^show=0$' "$tmp/full.txt" || fail "full disk: show did not exit 0"
    grep -q '^{"trailer":{"state":"stopped: no space left on device",' \
      "$tmp/full.txt" || fail "full disk: run.jsonl does not end stopped"
    grep -q '\.tmp\.' "$tmp/full.txt" && fail "full disk: a temporary was left"
    grep -q 'copyscope-room' "$tmp/full.txt" && fail "full disk: the room was left"
  fi
else
  echo "SKIPPED full-disk check: no mount namespaces here (not root?)"
fi

# --- killed at random moments ----------------------------------------------------
parent="$tmp/killed"
mkdir -p "$parent"
seeds=(11 23 37 41 53 67 79 83)
for i in "${!seeds[@]}"; do
  RANDOM=${seeds[$i]}
  sig=(KILL INT TERM HUP)
  s=${sig[$((i % 4))]}
  dir="$parent/run$i"
  "$bin" "${sweep[@]}" --out="$dir" >/dev/null 2>"$tmp/kill.err" &
  pid=$!
  # Wait (bounded) for the record to exist, then a random moment later.
  for _ in $(seq 300); do
    [[ -f "$dir/run.pb" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  sleep "0.$((RANDOM % 90 + 5))"
  kill -"$s" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
  "$bin" show "$dir" >"$tmp/show.out" 2>&1
  show=$?
  first=$(head -1 "$tmp/show.out")
  case "$s" in
    KILL)
      # Killed mid-write or between writes: incomplete (or, if it had
      # just finished, complete), never damaged.
      [[ $show -eq 1 && $first == "record: incomplete"* ]] ||
        [[ $show -eq 0 && $rc -eq 0 ]] ||
        fail "SIGKILL $i: show exit $show, first line: $first"
      ;;
    *)
      [[ $rc -eq 130 || $rc -eq 0 ]] || fail "SIG$s $i: exit $rc, want 130"
      if [[ $rc -eq 130 ]]; then
        [[ $show -eq 0 && $first == "record: interrupted; "* ]] ||
          fail "SIG$s $i: show exit $show, first line: $first"
      fi
      ;;
  esac
done
# A killed writer's temporaries go with the next run into the same parent;
# a lock that is not held any more does not keep anyone out of a new dir.
touch "$parent/run0/.run.pb.tmp.99999.zzzzzz"
"$bin" "${short[@]}" --sizes=64 --threads=1 --reps=1 --transports=two_copy \
  --out="$parent/next" >/dev/null 2>"$tmp/next.err" ||
  fail "the next run failed: $(cat "$tmp/next.err")"
leftovers=$(find "$parent" -name '.*.tmp.*' | wc -l)
[[ $leftovers -eq 0 ]] || fail "temporaries left: $(find "$parent" -name '.*.tmp.*')"

# --- a second run into a directory being written --------------------------------
dir="$tmp/locked"
"$bin" "${sweep[@]}" --out="$dir" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
  [[ -f "$dir/.copyscope-run" ]] && break
  sleep 0.01
done
"$bin" "${sweep[@]}" --out="$dir" >/dev/null 2>"$tmp/second.err"
rc=$?
kill -INT "$pid" 2>/dev/null
wait "$pid"
[[ $rc -eq 2 ]] || fail "second run into a running one: exit $rc, want 2"
grep -q "a run (pid $pid) is writing into it" "$tmp/second.err" ||
  fail "second run: $(cat "$tmp/second.err")"

finish
