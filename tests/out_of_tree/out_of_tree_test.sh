#!/usr/bin/env bash
# Builds plugins/examples/minimal_transport.c with a plain `cc -shared` line
# and only the ABI header, then proves the result: it exports only the entry
# symbol, the harness lists it as ok, it runs, and it passes the conformance
# suite.
set -euo pipefail
r="$TEST_SRCDIR/copyscope"
work="$TEST_TMPDIR/oot"
mkdir -p "$work/include"
# The run's results history stays under the test's directory.
export XDG_DATA_HOME="$TEST_TMPDIR/xdg-data"
cp "$r/plugins/copyscope_transport.h" "$work/include/"
cp "$r/plugins/examples/minimal_transport.c" "$work/"
cc -std=c99 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
  -I"$work/include" "$work/minimal_transport.c" -o "$work/minimal.so"

copyscope="$r/harness/copyscope"
list=$("$copyscope" list --plugin="$work/minimal.so")
echo "$list"
if ! grep -E '^ *minimal +ok' <<<"$list" >/dev/null; then
  echo "FAIL: copyscope list does not show the out-of-tree plugin as ok" >&2
  exit 1
fi

"$copyscope" run --plugin="$work/minimal.so" --transports=minimal \
  --sizes=4K --threads=1 --reps=1 --duration=0.2s --warmup=0.05s \
  --out="$work/results" >"$work/run.txt" 2>&1 || {
  cat "$work/run.txt" >&2
  echo "FAIL: copyscope run with the out-of-tree plugin failed" >&2
  exit 1
}
grep -q '^minimal,4096,1,' "$work/results/summary.csv" || {
  cat "$work/results/summary.csv" >&2
  echo "FAIL: no result row for the out-of-tree plugin" >&2
  exit 1
}

"$r/tests/conformance/conformance_test" --plugin="$work/minimal.so"
echo "PASS: out-of-tree plugin built with cc, listed, run and conformant"
