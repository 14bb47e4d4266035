# Shared by the end-to-end scripts: failures are counted, not fatal, so one
# run reports every broken check; `finish` exits with the verdict.
#   source "$(dirname "$0")/lib.sh"
#   fail "what went wrong"     # counted; the script goes on
#   finish                     # exit 1 if anything failed, else PASS
tmp="${TEST_TMPDIR:?}"
failures=0
# The results history every `copyscope run` appends to: under the test's
# directory, never the user's.
export XDG_DATA_HOME="$tmp/xdg-data"

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

finish() {
  if [[ $failures -ne 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "PASS"
}
