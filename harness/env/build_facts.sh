#!/bin/sh
# Writes the C++ defines of the build facts only the build machine knows.
#   build_facts.sh STATUS_FILE   stamped build: the Bazel version from the
#                                workspace status (tools/workspace_status.sh)
#   build_facts.sh               unstamped build: the Bazel version unknown
# and, either way, the Debian package versions of the libraries that cannot
# tell their release at run time: liburing 2.3 has no version call, and
# libpfm4's pfm_get_version() gives its API version. Values are filtered to
# a safe set of characters, so the output is always valid C++.
set -eu
clean() { tr -cd 'A-Za-z0-9 .+~:_()-'; }
if [ $# -gt 0 ]; then
  bazel=$(sed -n 's/^STABLE_BAZEL_VERSION //p' "$1" | clean)
  echo "#define COPYSCOPE_BAZEL_VERSION \"${bazel:-unknown}\""
else
  echo "#define COPYSCOPE_BAZEL_VERSION \"unknown (unstamped build)\""
fi
uring=$(dpkg-query -W -f='${Version}' liburing-dev 2>/dev/null | clean || true)
pfm=$(dpkg-query -W -f='${Version}' libpfm4-dev 2>/dev/null | clean || true)
echo "#define COPYSCOPE_LIBURING_PACKAGE_VERSION \"${uring:-unknown}\""
echo "#define COPYSCOPE_LIBPFM_PACKAGE_VERSION \"${pfm:-unknown}\""
