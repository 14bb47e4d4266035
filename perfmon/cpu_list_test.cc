#include "perfmon/cpu_list.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(KernelCpuListTest, ParsesSortedAndAcceptsEmpty) {
  EXPECT_EQ(*ParseKernelCpuList("0-3,8,10-11\n"),
            (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(*ParseKernelCpuList("5"), (std::vector<int>{5}));
  EXPECT_EQ(*ParseKernelCpuList("8,0-1"), (std::vector<int>{0, 1, 8}));
  EXPECT_TRUE(ParseKernelCpuList("\n")->empty());
  EXPECT_FALSE(ParseKernelCpuList("a-b").ok());
  EXPECT_FALSE(ParseKernelCpuList("1,,2").ok());
  EXPECT_FALSE(ParseKernelCpuList("-1").ok());
  EXPECT_FALSE(ParseKernelCpuList("3-1").ok());
}

TEST(UserCpuListTest, ParsesRangesInWrittenOrder) {
  absl::StatusOr<std::vector<int>> cpus = ParseUserCpuList("0-3,8");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(0, 1, 2, 3, 8));
  cpus = ParseUserCpuList("9,2-3");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(9, 2, 3));
}

TEST(UserCpuListTest, RejectsBadSyntaxSayingWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {Case{"", "it is empty"}, Case{"1,,2", "empty item"},
                        Case{"3-1", "'3-1' is a reversed range"},
                        Case{"a", "'a' is not a CPU number"},
                        Case{"-1", "'-1' is not a CPU range"},
                        Case{"1-", "'1-' is not a CPU range"},
                        Case{"0-2,1", "CPU 1 is listed twice"},
                        Case{"99999999", "not a CPU number"}}) {
    absl::StatusOr<std::vector<int>> cpus = ParseUserCpuList(c.text);
    ASSERT_FALSE(cpus.ok()) << c.text;
    EXPECT_EQ(cpus.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cpus.status().message(), HasSubstr(c.why)) << c.text;
    EXPECT_THAT(cpus.status().message(), HasSubstr("like 0-3,8"));
  }
}

TEST(CpuListTest, FormatsSortedRanges) {
  EXPECT_EQ(FormatCpuList({8, 0, 1, 2, 3}), "0-3,8");
  EXPECT_EQ(FormatCpuList({11, 0, 1, 2, 3, 8, 10}), "0-3,8,10-11");
  EXPECT_EQ(FormatCpuList({5}), "5");
  EXPECT_EQ(FormatCpuList({1, 3, 5, 3}), "1,3,5");
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_EQ(FormatCpuListInOrder({8, 0, 1, 2, 5}), "8,0-2,5");
  EXPECT_EQ(*ParseUserCpuList(FormatCpuListInOrder({8, 0, 1, 2, 5})),
            (std::vector<int>{8, 0, 1, 2, 5}));
}

}  // namespace
}  // namespace copyscope::perfmon
