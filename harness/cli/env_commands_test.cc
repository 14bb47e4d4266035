#include "harness/cli/env_commands.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::cli {
namespace {

constexpr char kHybrid[] = "harness/env/topology/testdata/hybrid_i7_12700.xml";

TEST(EnvCommandsTest, TopoPrintsTheTableAndSummary) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(TopoCommand(kHybrid), 0);
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(absl::StrContains(out, "E-core")) << out;
  EXPECT_TRUE(absl::StrContains(
      out, "hybrid_i7_12700.xml: 8 P-cores (16 threads) + 4 E-cores"))
      << out;
  testing::internal::CaptureStdout();
  EXPECT_EQ(TopoCommand(""), 0);
  EXPECT_TRUE(absl::StrContains(testing::internal::GetCapturedStdout(),
                                "this machine: "));
  testing::internal::CaptureStderr();
  EXPECT_EQ(TopoCommand("/nonexistent.xml"), 2);
  testing::internal::GetCapturedStderr();
}

}  // namespace
}  // namespace copyscope::cli
