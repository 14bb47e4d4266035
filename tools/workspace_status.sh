#!/bin/sh
# Bazel workspace status: the git commit and dirty flag for the stamped binary.
# Dirty means the tree differs from the commit: modified, staged, or new files
# that are not ignored (a new source file changes the build as much as an edit).
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then dirty=1; else dirty=0; fi
echo "STABLE_GIT_COMMIT ${commit}"
echo "STABLE_GIT_DIRTY ${dirty}"

# The Bazel running this build. Its server, among this script's ancestors,
# names its install base, whose build-label.txt holds the release; Debian's
# bazel-bootstrap leaves that as "no_version", so then the version of the
# package that installed the base.
bazel_version=unknown
pid=$$
for _ in 1 2 3 4 5 6 7 8; do
  pid=$(sed -n 's/.*) [A-Za-z] \([0-9]*\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null)
  if [ -z "$pid" ] || [ "$pid" -le 1 ]; then break; fi
  base=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
    sed -n 's/^--install_base=//p')
  [ -n "$base" ] || continue
  label=$(cat "$base/build-label.txt" 2>/dev/null || true)
  case "$label" in
    "" | no_version | "development version")
      pkg=$(dpkg-query -S "$base/A-server.jar" 2>/dev/null | cut -d: -f1)
      version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
      [ -n "$pkg" ] && [ -n "$version" ] &&
        bazel_version="$version (Debian package $pkg)"
      ;;
    *) bazel_version="$label" ;;
  esac
  break
done
echo "STABLE_BAZEL_VERSION ${bazel_version}"
