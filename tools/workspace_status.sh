#!/bin/sh
# Bazel workspace status: the git commit and dirty flag for the stamped binary.
# Dirty means the tree differs from the commit: modified, staged, or new files
# that are not ignored (a new source file changes the build as much as an edit).
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then dirty=1; else dirty=0; fi
echo "STABLE_GIT_COMMIT ${commit}"
echo "STABLE_GIT_DIRTY ${dirty}"
