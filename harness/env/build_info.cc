#include "harness/env/build_info.h"

#include "absl/strings/str_cat.h"
#include "harness/env/build_stamp.inc"

// harness/env/BUILD.bazel defines one of these from --compilation_mode.
#if defined(COPYSCOPE_MODE_OPT)
#define COPYSCOPE_COMPILATION_MODE "opt"
#elif defined(COPYSCOPE_MODE_DBG)
#define COPYSCOPE_COMPILATION_MODE "dbg"
#elif defined(COPYSCOPE_MODE_FASTBUILD)
#define COPYSCOPE_COMPILATION_MODE "fastbuild"
#else
#error "the compilation mode is defined by harness/env/BUILD.bazel"
#endif

namespace copyscope::env {
namespace {

constexpr char kVersion[] = "0.1.0";

std::string CompilerName() {
#if defined(__clang__)
  return absl::StrCat("clang ", __clang_major__, ".", __clang_minor__, ".",
                      __clang_patchlevel__);
#elif defined(__GNUC__)
  return absl::StrCat("gcc ", __VERSION__);
#else
  return "unknown compiler";
#endif
}

BuildInfo Make() {
  BuildInfo b;
  b.version = kVersion;
#if COPYSCOPE_STAMPED
  b.stamped = true;
  b.git_commit = COPYSCOPE_GIT_COMMIT;
  b.git_dirty = COPYSCOPE_GIT_DIRTY;
#endif
  b.compiler = CompilerName();
  b.compilation_mode = COPYSCOPE_COMPILATION_MODE;
  return b;
}

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo* const info = new BuildInfo(Make());
  return *info;
}

std::string VersionText() {
  const BuildInfo& b = GetBuildInfo();
  std::string commit;
  if (!b.stamped) {
    commit = "commit unknown (unstamped build)";
  } else {
    const char* dirty = b.git_dirty == 1   ? " (dirty)"
                        : b.git_dirty == 0 ? " (clean)"
                                           : " (dirty flag unknown)";
    commit = absl::StrCat("commit ", b.git_commit, dirty);
  }
  return absl::StrCat("copyscope ", b.version, "\n", commit, "\ncompiler ",
                      b.compiler, "\ncompilation mode ", b.compilation_mode,
                      "\n");
}

}  // namespace copyscope::env
