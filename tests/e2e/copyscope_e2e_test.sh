#!/usr/bin/env bash
# Runs the copyscope binary as a user would: list, a short run of every
# in-tree transport over loopback, and bad input.
#   copyscope_e2e_test.sh PATH_TO_COPYSCOPE TRANSPORT...
set -uo pipefail

bin="$1"
shift
expected=("$@")
source "$(dirname "$0")/lib.sh"

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
# A transport whose probe fails on this kernel (ktls without CONFIG_TLS) is
# listed as unavailable with its reason, and left out of the runs below.
usable=()
for t in "${expected[@]}"; do
  if grep -Eq "^${t} +unavailable +" <<<"$out"; then
    grep -A1 "^${t}: " <<<"$out" | grep -Eq '^  reason  .+' ||
      fail "list: $t is unavailable without a reason: $out"
    echo "note: $t unavailable here, not run"
    continue
  fi
  grep -Eq "^${t} +ok +" <<<"$out" || fail "list: $t is not ok: $out"
  usable+=("$t")
done
expected=("${usable[@]}")

# The value of column NAME (by summary.csv's header) in a CSV row.
col() {
  local csv="$1" name="$2" row="$3"
  awk -F, -v name="$name" -v row="$row" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
    $0 == row { print $c }' "$csv"
}

# --- a short run of every transport ------------------------------------------
run_dir="$tmp/r"
"$bin" run --duration=0.3s --warmup=0.1s --sizes=4096 --threads=1 --reps=2 \
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
    # throughput is a positive number; stream mode has no latency; the
    # context switches were measured; two repetitions.
    tput=$(col "$csv" throughput_gbps "$row")
    awk -v v="$tput" 'BEGIN { exit !(v != "" && v + 0 > 0) }' ||
      fail "$t: throughput '$tput'"
    [[ -z "$(col "$csv" latency_us "$row")" ]] || fail "$t: stream latency: $row"
    [[ -n "$(col "$csv" cs "$row")" ]] || fail "$t: no context switches: $row"
    [[ "$(col "$csv" reps "$row")" == 2 ]] || fail "$t: reps: $row"
    [[ "$(col "$csv" status "$row")" == ok ]] || fail "$t: status: $row"
  done
  ls "$run_dir" | grep -q '\.tmp\.' && fail "temporary file left in $run_dir"
  for f in run.pb run.jsonl; do
    [[ -s "$run_dir/$f" ]] || fail "run wrote no $f"
  done
  # run.jsonl: the header line, then one line per cell.
  lines=$(wc -l <"$run_dir/run.jsonl")
  # The header, one line per cell, the trailer.
  [[ $lines -eq $((${#expected[@]} + 2)) ]] || fail "run.jsonl has $lines lines"
  tail -1 "$run_dir/run.jsonl" | grep -q '^{"trailer":{"state":"complete",' ||
    fail "run.jsonl does not end with a complete trailer"
  head -1 "$run_dir/run.jsonl" | grep -Eq '"schema_version":[0-9]+' ||
    fail "run.jsonl header has no schema_version"
fi
grep -q "results: $csv" "$tmp/run.out" || fail "run did not say where results went"
grep -q "Gbit/s" "$tmp/run.out" || fail "run printed no table"

# --- show: the same table from run.pb -----------------------------------------
if ! "$bin" show "$run_dir" >"$tmp/show.out" 2>"$tmp/show.err"; then
  fail "show exited $?: $(cat "$tmp/show.err")"
fi
diff <(grep -A$((${#expected[@]} + 1)) '^transport' "$tmp/run.out") \
  <(grep -A$((${#expected[@]} + 1)) '^transport' "$tmp/show.out") >/dev/null ||
  fail "show's table differs from run's: $(cat "$tmp/show.out")"
# A cut-short record: one line, exit 2.
mkdir -p "$tmp/cut" && head -c 100 "$run_dir/run.pb" >"$tmp/cut/run.pb"
"$bin" show "$tmp/cut" >"$tmp/cut.out" 2>"$tmp/cut.err"
rc=$?
[[ $rc -eq 2 ]] || fail "show of a truncated run.pb: exit $rc, want 2"
[[ $(wc -l <"$tmp/cut.err") -eq 1 ]] && grep -q 'run.pb' "$tmp/cut.err" ||
  fail "show of a truncated run.pb: $(cat "$tmp/cut.err")"

# --- request-response, count mode, --json ---------------------------------------
rr_dir="$tmp/rr"
"$bin" run --mode=rr --messages=300 --sizes=64 --threads=1 --reps=1 --json \
  --transports="${expected[0]}" --out="$rr_dir" >"$tmp/rr.out" 2>"$tmp/rr.err"
rc=$?
[[ $rc -eq 0 ]] || fail "rr run exited $rc: $(cat "$tmp/rr.err")"
grep -q '"latency_p99_us"' "$tmp/rr.out" || fail "rr --json has no p99: $(cat "$tmp/rr.out")"
grep -q '"samples"' "$tmp/rr.out" && fail "--json printed raw samples"
rr_row=$(sed -n 2p "$rr_dir/summary.csv")
[[ -n "$(col "$rr_dir/summary.csv" latency_us "$rr_row")" ]] ||
  fail "rr row has no latency: $rr_row"
[[ "$(col "$rr_dir/summary.csv" mode "$rr_row")" == rr ]] || fail "rr mode: $rr_row"

# --- latency under load: rr idle and beside a background stream ----------------
lul_dir="$tmp/lul"
"$bin" run --mode=rr --sizes=64 --threads=1 --reps=1 --duration=0.3s \
  --warmup=0.1s --transports=two_copy --background=none,two_copy:1:64K \
  --out="$lul_dir" >"$tmp/lul.out" 2>"$tmp/lul.err"
rc=$?
[[ $rc -eq 0 ]] || fail "--background run exited $rc: $(cat "$tmp/lul.err")"
grep -q 'bg Gbit/s' "$tmp/lul.out" || fail "--background: no bg column: $(cat "$tmp/lul.out")"
idle_row=$(sed -n 2p "$lul_dir/summary.csv")
load_row=$(sed -n 3p "$lul_dir/summary.csv")
[[ -z "$(col "$lul_dir/summary.csv" background "$idle_row")" ]] ||
  fail "idle row names a background: $idle_row"
[[ -z "$(col "$lul_dir/summary.csv" background_gbps "$idle_row")" ]] ||
  fail "idle row has a background throughput: $idle_row"
[[ "$(col "$lul_dir/summary.csv" background "$load_row")" == two_copy:1:65536 ]] ||
  fail "loaded row: background: $load_row"
bg=$(col "$lul_dir/summary.csv" background_gbps "$load_row")
awk -v v="$bg" 'BEGIN { exit !(v != "" && v + 0 > 0) }' ||
  fail "loaded row: background_gbps '$bg'"
[[ -n "$(col "$lul_dir/summary.csv" latency_us "$load_row")" ]] ||
  fail "loaded row has no latency: $load_row"
# --- connection rate (crr): a profile, counted, verified; the show table -----
crr_dir="$tmp/crr"
"$bin" run --profile=connection-rate --transports="${expected[0]}" --sizes=64 \
  --threads=1 --messages=300 --reps=1 --verify --json --out="$crr_dir" \
  >"$tmp/crr.out" 2>"$tmp/crr.err"
rc=$?
[[ $rc -eq 0 ]] || fail "crr run exited $rc: $(cat "$tmp/crr.err")"
grep -q '"connections_per_sec"' "$tmp/crr.out" ||
  fail "crr --json has no connections_per_sec: $(cat "$tmp/crr.out")"
crr_row=$(sed -n 2p "$crr_dir/summary.csv")
[[ "$(col "$crr_dir/summary.csv" mode "$crr_row")" == crr ]] ||
  fail "crr mode: $crr_row"
[[ "$(col "$crr_dir/summary.csv" status "$crr_row")" == ok ]] ||
  fail "crr status: $crr_row"
[[ -n "$(col "$crr_dir/summary.csv" connections_per_sec "$crr_row")" ]] ||
  fail "crr row has no connection rate: $crr_row"
[[ -n "$(col "$crr_dir/summary.csv" time_wait_sockets "$crr_row")" ]] ||
  fail "crr row has no TIME_WAIT count: $crr_row"
"$bin" show "$crr_dir" >"$tmp/crr.show" 2>&1 ||
  fail "show of the crr run: $(cat "$tmp/crr.show")"
grep -q 'kconn/s' "$tmp/crr.show" || fail "crr show: $(cat "$tmp/crr.show")"

# --- --verify: every transport's bytes checked, and the plan says so ----------
verify_dir="$tmp/verify"
"$bin" run --verify --messages=500 --sizes=16K --fields=3 --threads=2 --reps=1 \
  --out="$verify_dir" >"$tmp/verify.out" 2>"$tmp/verify.err"
rc=$?
[[ $rc -eq 0 ]] || fail "--verify run exited $rc: $(cat "$tmp/verify.err")"
while IFS= read -r row; do
  [[ "$(col "$verify_dir/summary.csv" status "$row")" == ok ]] ||
    fail "--verify: $row"
done < <(tail -n +2 "$verify_dir/summary.csv")
grep -q '"verify":true' "$verify_dir/run.jsonl" ||
  fail "--verify: the plan does not record it"
grep -q '"verify":true' "$rr_dir/run.jsonl" &&
  fail "the plan records verify without --verify"

# --- --recv: the receive side as one more dimension ----------------------------
recv_dir="$tmp/recv"
"$bin" run --transports=two_copy,zero_copy --recv=copy,uring,zerocopy \
  --sizes=64K --threads=1 --reps=1 --duration=0.2s --out="$recv_dir" \
  >"$tmp/recv.out" 2>"$tmp/recv.err"
rc=$?
[[ $rc -eq 0 ]] || fail "--recv run exited $rc: $(cat "$tmp/recv.err")"
recv_csv="$recv_dir/summary.csv"
[[ "$(head -1 "$recv_csv")" == impl,size,threads,*,plugin_counters,background,recv,family ]] ||
  fail "--recv: recv is not the column before family: $(head -1 "$recv_csv")"
# copy is two_copy's own receive path: no separate receiver for two_copy.
want="two_copy/ two_copy/uring_recv two_copy/tcp_zerocopy_recv
zero_copy/two_copy zero_copy/uring_recv zero_copy/tcp_zerocopy_recv"
got=$(tail -n +2 "$recv_csv" | while IFS= read -r row; do
  echo "$(col "$recv_csv" impl "$row")/$(col "$recv_csv" recv "$row")"
done | tr '\n' ' ')
[[ "$got" == "$(tr '\n' ' ' <<<"$want")" ]] ||
  fail "--recv rows: got '$got', want '$(tr '\n' ' ' <<<"$want")'"
while IFS= read -r row; do
  impl=$(col "$recv_csv" impl "$row")
  recv=$(col "$recv_csv" recv "$row")
  [[ "$(col "$recv_csv" status "$row")" == ok ]] || fail "--recv $impl/$recv: $row"
  tput=$(col "$recv_csv" throughput_gbps "$row")
  awk -v v="$tput" 'BEGIN { exit !(v != "" && v + 0 > 0) }' ||
    fail "--recv $impl/$recv: throughput '$tput'"
  counters=$(col "$recv_csv" plugin_counters "$row")
  case "$recv" in
    uring_recv) grep -q 'client\.recv_completions=' <<<"$counters" ||
      fail "--recv $impl/$recv: no uring_recv counters: $counters" ;;
    tcp_zerocopy_recv) grep -q 'client\.mapped_bytes=' <<<"$counters" ||
      fail "--recv $impl/$recv: no tcp_zerocopy_recv counters: $counters" ;;
  esac
done < <(tail -n +2 "$recv_csv")
grep -q '^two_copy/uring_recv ' "$tmp/recv.out" ||
  fail "--recv: the table does not show the pair: $(cat "$tmp/recv.out")"
"$bin" show "$recv_dir" 2>&1 | grep -q '^zero_copy/tcp_zerocopy_recv ' ||
  fail "--recv: show does not show the pair"
grep -q '"recv_transports":\["two_copy","uring_recv","tcp_zerocopy_recv"\]' \
  "$recv_dir/run.jsonl" || fail "--recv: the plan does not record it"

# --- --recv=discard: the receive side without the copy ------------------------
# discard_recv drops the bytes in the kernel; --verify has nothing to check
# there, so a run without --transports leaves it out (with a note).
grep -q 'note: skipping discard_recv (--verify: it discards' "$tmp/verify.err" ||
  fail "--verify: no note that discard_recv was left out: $(cat "$tmp/verify.err")"
disc_dir="$tmp/discard"
"$bin" run --transports=two_copy --recv=copy,discard --sizes=64K --threads=1 \
  --reps=1 --duration=0.2s --out="$disc_dir" >"$tmp/disc.out" 2>"$tmp/disc.err"
rc=$?
[[ $rc -eq 0 ]] || fail "--recv=discard run exited $rc: $(cat "$tmp/disc.err")"
disc_row=$(grep ',discard_recv,inet$' "$disc_dir/summary.csv")
[[ "$(col "$disc_dir/summary.csv" status "$disc_row")" == ok ]] ||
  fail "--recv=discard: $disc_row"
grep -q 'client\.discarded_bytes=[1-9]' \
  <<<"$(col "$disc_dir/summary.csv" plugin_counters "$disc_row")" ||
  fail "--recv=discard: no discarded bytes: $disc_row"

# --- --family: unix and inet6 cells beside inet ---------------------------------
# zero_copy cannot run on a Unix socket: its cell fails with the plugin's own
# reason, and the other cells are measured.
fam_dir="$tmp/family"
"$bin" run --transports=two_copy,zero_copy --family=unix,inet6 --sizes=64K \
  --threads=1 --reps=1 --duration=0.2s --out="$fam_dir" \
  >"$tmp/fam.out" 2>"$tmp/fam.err"
fam_csv="$fam_dir/summary.csv"
[[ "$(head -1 "$fam_csv")" == *,recv,family ]] ||
  fail "--family: family is not the last column: $(head -1 "$fam_csv")"
fam_rows=$(tail -n +2 "$fam_csv" | while IFS= read -r row; do
  echo "$(col "$fam_csv" impl "$row")@$(col "$fam_csv" family "$row")"
done | tr '\n' ' ')
[[ "$fam_rows" == "two_copy@unix two_copy@inet6 zero_copy@unix zero_copy@inet6 " ]] ||
  fail "--family rows: $fam_rows"
while IFS= read -r row; do
  cell="$(col "$fam_csv" impl "$row")@$(col "$fam_csv" family "$row")"
  status=$(col "$fam_csv" status "$row")
  if [[ "$cell" == zero_copy@unix ]]; then
    [[ "$status" == *"SO_ZEROCOPY"* ]] || fail "--family $cell: $status"
  else
    [[ "$status" == ok ]] || fail "--family $cell: $row"
  fi
done < <(tail -n +2 "$fam_csv")
grep -q '^two_copy@unix ' "$tmp/fam.out" ||
  fail "--family: the table does not label the unix cell: $(cat "$tmp/fam.out")"
grep -q '"family":"unix"},"status":"ok".*"isolation":{"mode":"none","reason":"AF_UNIX has no network path' \
  "$fam_dir/run.jsonl" || fail "--family: the unix cell's isolation is not 'none'"
grep -q '"not_tcp":"AF_UNIX SOCK_STREAM"' "$fam_dir/run.jsonl" ||
  fail "--family: the unix connections do not say they are not TCP"
grep -q '"families":\["unix","inet6"\]' "$fam_dir/run.jsonl" ||
  fail "--family: the plan does not record it"

# --- Ctrl-C keeps the finished cells -------------------------------------------
int_dir="$tmp/int"
"$bin" run --sizes=256,512,1K,2K,4K,8K --threads=1,2 --duration=0.3s --reps=3 \
  --out="$int_dir" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
# Wait (bounded) until the first cell is on disk: the header and one cell.
for _ in $(seq 600); do
  [[ -f "$int_dir/run.jsonl" && $(wc -l <"$int_dir/run.jsonl") -ge 2 ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
[[ $rc -eq 130 ]] || fail "interrupted run: exit $rc, want 130: $(cat "$tmp/int.err")"
grep -q "^interrupted: [0-9]* of [0-9]* cells kept in $int_dir" "$tmp/int.err" ||
  fail "interrupted run did not say what it kept: $(cat "$tmp/int.err")"
kept=$(($(wc -l <"$int_dir/summary.csv") - 1))
[[ $kept -ge 1 ]] || fail "interrupted run kept no cell"
"$bin" show "$int_dir" >"$tmp/int_show.out" 2>&1 || fail "show of an interrupted run failed"
grep -q '^interrupted:' "$tmp/int_show.out" || fail "show does not say the run was interrupted"
head -1 "$tmp/int_show.out" | grep -q '^record: interrupted; [0-9]* of [0-9]* cells$' ||
  fail "show's first line does not say the record ends interrupted: $(head -1 "$tmp/int_show.out")"
tail -1 "$int_dir/run.jsonl" | grep -q '^{"trailer":{"state":"interrupted",' ||
  fail "the interrupted run's record does not end interrupted"

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
expect_usage_error "--background in stream mode" run --background=two_copy:1
expect_usage_error "--background unknown transport" run --mode=rr \
  --background=no_such_transport:1
expect_usage_error "--background bad threads" run --mode=rr --background=two_copy:x
expect_usage_error "--background bad size" run --mode=rr --background=two_copy:1:0
expect_usage_error "malformed transport-opt" run --transport-opt=novalue
expect_usage_error "unknown transport-opt key" run --transport-opt=no_such_key=1
expect_usage_error "unknown --recv" run --recv=no_such_receiver
expect_usage_error "--recv in rr mode" run --mode=rr --recv=uring
expect_usage_error "--recv in crr mode" run --mode=crr --recv=uring
expect_usage_error "--direction in crr mode" run --mode=crr \
  --direction=client-to-server
expect_usage_error "--verify with a discarding receiver" run --verify \
  --recv=discard
expect_usage_error "unknown --family" run --family=inet,ipx
expect_usage_error "--family=unix with --peer" run --family=unix --peer=ssh://h
expect_usage_error "option of no plugin in the run" run --transports=two_copy \
  --transport-opt=uring_recv.multishot=0

# An existing, non-empty --out is never overwritten.
mkdir -p "$tmp/full" && echo keep >"$tmp/full/x"
"$bin" run --duration=0.1s --out="$tmp/full" >/dev/null 2>"$tmp/bad.err"
rc=$?
[[ $rc -eq 2 ]] || fail "non-empty --out: exit $rc, want 2"
[[ $(cat "$tmp/full/x") == keep && $(ls "$tmp/full" | wc -l) -eq 1 ]] ||
  fail "non-empty --out was touched"

finish
