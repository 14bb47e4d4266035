#include "harness/env/build_info.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::env {
namespace {

TEST(BuildInfoTest, DescribesThisBuild) {
  const BuildInfo& b = GetBuildInfo();
  EXPECT_FALSE(b.version.empty());
  EXPECT_TRUE(b.compilation_mode == "opt" || b.compilation_mode == "dbg" ||
              b.compilation_mode == "fastbuild")
      << b.compilation_mode;
#ifdef NDEBUG
  EXPECT_NE(b.compilation_mode, "dbg");
#endif
  EXPECT_TRUE(absl::StartsWith(b.compiler, "gcc ") ||
              absl::StartsWith(b.compiler, "clang "))
      << b.compiler;
  if (b.stamped) {
    EXPECT_FALSE(b.git_commit.empty());
  } else {
    EXPECT_TRUE(b.git_commit.empty());
    EXPECT_EQ(b.git_dirty, -1);
  }
}

TEST(BuildInfoTest, VersionTextIsHonestAboutTheStamp) {
  const BuildInfo& b = GetBuildInfo();
  std::string text = VersionText();
  EXPECT_TRUE(absl::StartsWith(text, "copyscope " + b.version + "\n"));
  EXPECT_TRUE(absl::StrContains(text, "compiler " + b.compiler));
  EXPECT_TRUE(
      absl::StrContains(text, "compilation mode " + b.compilation_mode));
  if (b.stamped) {
    EXPECT_TRUE(absl::StrContains(text, "commit " + b.git_commit));
  } else {
    EXPECT_TRUE(absl::StrContains(text, "commit unknown (unstamped build)"));
  }
}

}  // namespace
}  // namespace copyscope::env
