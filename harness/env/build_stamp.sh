#!/bin/sh
# Writes the C++ defines of the build stamp to stdout.
#   build_stamp.sh STATUS_FILE   stamped build: commit and dirty flag from the
#                                workspace status (tools/workspace_status.sh)
#   build_stamp.sh               unstamped build: says so
# Values are checked before use, so the output is always valid C++.
set -eu
if [ $# -eq 0 ]; then
  echo "#define COPYSCOPE_STAMPED 0"
  exit 0
fi
commit=$(sed -n 's/^STABLE_GIT_COMMIT //p' "$1" | tr -cd '0-9a-f')
dirty=$(sed -n 's/^STABLE_GIT_DIRTY //p' "$1" | tr -cd '01')
echo "#define COPYSCOPE_STAMPED 1"
echo "#define COPYSCOPE_GIT_COMMIT \"${commit:-unknown}\""
echo "#define COPYSCOPE_GIT_DIRTY ${dirty:--1}"
