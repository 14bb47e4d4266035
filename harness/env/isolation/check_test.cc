// `copyscope netns check`: capability parsing and the live report.
#include "harness/env/isolation/check.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/env/isolation/netns.h"

namespace copyscope::isolation {
namespace {

TEST(ParseCapEffTest, ReadsTheHexMask) {
  absl::StatusOr<uint64_t> mask = ParseCapEff(
      "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
      "CapEff:\t0000000000201000\nCapBnd:\t000001ffffffffff\n");
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(*mask, (uint64_t{1} << 21) | (uint64_t{1} << 12));
}

TEST(ParseCapEffTest, MissingOrMalformed) {
  EXPECT_EQ(ParseCapEff("Name:\tx\n").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseCapEff("CapEff:\tzz\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckTest, ReportsWhatItFoundAndAVerdict) {
  absl::StatusOr<int> ns = NewNamespace();
  if (ns.ok()) close(*ns);
  CheckReport report = Check();
  std::printf("%s", report.text.c_str());  // kept in the test log
  EXPECT_TRUE(absl::StartsWith(report.text, "copyscope netns check\n"));
  EXPECT_TRUE(absl::StrContains(report.text, "CONFIG_NET_NS"));
  EXPECT_TRUE(absl::StrContains(report.text, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(absl::StrContains(report.text, "verdict: "));
  if (ns.ok()) {
    EXPECT_TRUE(report.ok) << report.text;
    EXPECT_FALSE(absl::StrContains(report.text, "[missing]")) << report.text;
    EXPECT_TRUE(absl::StrContains(report.text, "bytes verified"));
    EXPECT_TRUE(absl::StrContains(report.text, "visible from here: no"));
  } else {
    EXPECT_FALSE(report.ok);
    EXPECT_TRUE(absl::StrContains(report.text, "[missing]")) << report.text;
    EXPECT_TRUE(absl::StrContains(report.text, "will use loopback"));
  }
}

}  // namespace
}  // namespace copyscope::isolation
