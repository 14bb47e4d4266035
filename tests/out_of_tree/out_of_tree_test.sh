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

# The example as released with ABI 1.2, built against that header (a plugin
# of before datagram sockets): this host still lists it, runs it over a
# stream socket, and it passes the suite.
old="$work/old"
mkdir -p "$old/include"
cp "$r/tests/out_of_tree/copyscope_transport_1_2.h" \
  "$old/include/copyscope_transport.h"
grep -q '#define CS_ABI_MINOR 2' "$old/include/copyscope_transport.h"
cc -std=c99 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden \
  -I"$old/include" "$r/tests/out_of_tree/minimal_transport_1_2.c" \
  -o "$old/minimal.so"
"$copyscope" list --plugin="$old/minimal.so" | grep -E '^ *minimal +ok' ||
  { echo "FAIL: a 1.2 plugin is not listed ok" >&2; exit 1; }
"$copyscope" run --plugin="$old/minimal.so" --transports=minimal \
  --sizes=4K --threads=1 --reps=1 --duration=0.2s --warmup=0.05s \
  --out="$old/results" >"$old/run.txt" 2>&1 || {
  cat "$old/run.txt" >&2
  echo "FAIL: copyscope run with a plugin built for ABI 1.2 failed" >&2
  exit 1
}
grep -q '^minimal,4096,1,' "$old/results/summary.csv"
"$r/tests/conformance/conformance_test" --plugin="$old/minimal.so"
echo "PASS: out-of-tree plugin built with cc, listed, run and conformant;" \
  "the same built for ABI 1.2 too"
