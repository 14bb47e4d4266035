#!/usr/bin/env bash
# Tests tools/compare-peers (and tools/cv-compare's self-test).
#   compare_peers_test.sh self-test SCRIPT [BAD_FLAG REASON]
#       SCRIPT --self-test passes (compare-peers: the output parsers, on
#       iperf3/sockperf/copyscope outputs captured from real runs in
#       tests/bench/testdata/; cv-compare: its arithmetic), and SCRIPT
#       BAD_FLAG (default --pairs=0) exits 2 saying REASON
#   compare_peers_test.sh quick COMPARE_PEERS COPYSCOPE
#       a real --quick run (root; iperf3 and sockperf installed or
#       installable): every case measured, the summary line printed, the
#       CSV written, and nothing left running or in the namespace list
set -uo pipefail

mode="$1"
script="$2"
# Whatever copyscope writes stays under the test's directory.
export XDG_DATA_HOME="${TEST_TMPDIR:?}/xdg-data"
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

case "$mode" in
  self-test)
    out=$("$script" --self-test 2>&1)
    rc=$?
    echo "$out"
    [[ $rc -eq 0 ]] || fail "--self-test exited $rc"
    grep -q '^self-test: passed$' <<<"$out" || fail "--self-test did not pass"
    # Bad usage: exit 2 and a one-line reason.
    bad="${3:---pairs=0}"
    reason="${4:-pairs must be within}"
    "$script" "$bad" >/dev/null 2>"${TEST_TMPDIR:?}/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "$bad exited $rc, want 2"
    grep -q "$reason" "$TEST_TMPDIR/err" ||
      fail "$bad: no reason: $(cat "$TEST_TMPDIR/err")"
    ;;
  quick)
    copyscope="$3"
    if [[ $(id -u) -ne 0 ]]; then
      echo "SKIP: needs root (apt-get, network namespaces)"
      exit 0
    fi
    csv="${TEST_TMPDIR:?}/peers.csv"
    links_before=$(ip -br link | awk '{print $1}' | sort)
    out=$("$script" --quick --copyscope="$copyscope" --out="$csv" 2>&1)
    rc=$?
    echo "$out"
    [[ $rc -eq 0 ]] || fail "--quick exited $rc"
    grep -Eq '^summary: (all ratios >= 1\.00|[0-9]+ of [0-9]+ cases fall short)' \
      <<<"$out" || fail "no summary line"
    [[ -s "$csv" ]] || fail "no CSV at $csv"
    head -1 "$csv" | grep -q '^case,mode,isolation,size,peer,' ||
      fail "unexpected CSV header: $(head -1 "$csv")"
    rows=$(($(wc -l <"$csv") - 1))
    [[ $rows -ge 5 ]] || fail "CSV has $rows rows, want at least 5"
    left=$(pgrep -x iperf3; pgrep -x sockperf)
    [[ -z "$left" ]] || fail "processes left running: $left"
    links_after=$(ip -br link | awk '{print $1}' | sort)
    [[ "$links_before" == "$links_after" ]] ||
      fail "links changed: before [$links_before] after [$links_after]"
    ;;
  *)
    fail "unknown mode $mode"
    ;;
esac

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "PASS"
