// Build provenance of the running binary: version, git commit and dirty flag
// (from the Bazel stamp), compiler, and compilation mode.
//
// The commit comes from tools/workspace_status.sh through a stamped genrule
// (see harness/env/BUILD.bazel); a build without --stamp says so instead of
// naming a commit it does not know.
//
//   const copyscope::env::BuildInfo& b = copyscope::env::GetBuildInfo();
//   if (b.stamped) printf("%s%s\n", b.git_commit.c_str(),
//                         b.git_dirty == 1 ? "-dirty" : "");
//   puts(copyscope::env::VersionText().c_str());  // for --version
#ifndef COPYSCOPE_HARNESS_ENV_BUILD_INFO_H_
#define COPYSCOPE_HARNESS_ENV_BUILD_INFO_H_

#include <string>

namespace copyscope::env {

struct BuildInfo {
  std::string version;           // copyscope's own version, e.g. "0.1.0"
  bool stamped = false;          // built with --stamp
  std::string git_commit;        // full hash; "" when not stamped
  int git_dirty = -1;            // 1 dirty, 0 clean, -1 unknown
  std::string compiler;          // e.g. "gcc 12.2.0"
  std::string compilation_mode;  // "opt", "dbg" or "fastbuild"
};

// The build information compiled into this binary.
const BuildInfo& GetBuildInfo();

// The multi-line text printed by `copyscope --version`.
std::string VersionText();

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_BUILD_INFO_H_
