#include "harness/config/profiles.h"

#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

TEST(ProfilesTest, TheReferenceDesigns) {
  EXPECT_EQ(ProfileNames(), (std::vector<std::string>{"quick", "copy-matrix",
                                                      "copy-matrix-wide"}));
  const Profile* quick = FindProfile(kDefaultProfile);
  ASSERT_NE(quick, nullptr);
  EXPECT_TRUE(quick->transports.empty());
  EXPECT_EQ(quick->reps, 3);
  const Profile* cm = FindProfile("copy-matrix");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->transports.size(), 3u);
  EXPECT_EQ(cm->sizes, (std::vector<std::string>{"256", "1K", "4K", "16K"}));
  EXPECT_EQ(cm->threads, (std::vector<std::string>{"1", "2", "4", "8"}));
  EXPECT_EQ(cm->messages, 5000u);
  EXPECT_EQ(cm->mode, "stream");
  EXPECT_EQ(cm->direction, "server-to-client");
  EXPECT_EQ(cm->fields, 8);
  const Profile* wide = FindProfile("copy-matrix-wide");
  ASSERT_NE(wide, nullptr);
  EXPECT_EQ(wide->sizes, (std::vector<std::string>{"64", "512", "4K", "64K"}));
  EXPECT_EQ(wide->mode, "rr");
  EXPECT_EQ(wide->duration, absl::Seconds(5));
  EXPECT_EQ(wide->messages, 0u);
  EXPECT_EQ(FindProfile("nope"), nullptr);
}

TEST(RecvAliasesTest, TheShortNamesOfTheReceiveSides) {
  std::vector<std::string> names;
  for (const RecvAlias& a : RecvAliases()) {
    names.push_back(a.name);
    EXPECT_EQ(ResolveRecvName(a.name), a.transport);
    EXPECT_NE(a.transport, a.name);
    EXPECT_FALSE(a.description.empty());
    EXPECT_NE(RecvAliasText().find(a.name + " (" + a.transport + ")"),
              std::string::npos);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"copy", "uring", "zerocopy"}));
  EXPECT_EQ(ResolveRecvName("any_plugin"), "any_plugin");
}

}  // namespace
}  // namespace copyscope::harness
