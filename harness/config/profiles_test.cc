#include "harness/config/profiles.h"

#include "gtest/gtest.h"

namespace copyscope::config {
namespace {

TEST(ProfilesTest, TheReferenceDesigns) {
  EXPECT_EQ(ProfileNames(),
            (std::vector<std::string>{"quick", "copy-matrix",
                                      "copy-matrix-wide", "latency-under-load",
                                      "families", "udp", "connection-rate"}));
  const Profile* families = FindProfile("families");
  ASSERT_NE(families, nullptr);
  EXPECT_EQ(families->Value("family"), "unix,inet,inet6");
  EXPECT_EQ(families->Value("sizes"), "4K,64K");
  const Profile* udp = FindProfile("udp");
  ASSERT_NE(udp, nullptr);
  EXPECT_EQ(udp->Value("transports"), "udp,udp_gso");
  EXPECT_EQ(udp->Value("sizes"), "512,1472");
  const Profile* quick = FindProfile(kDefaultProfile);
  ASSERT_NE(quick, nullptr);
  // The flags' defaults are its design, within a budget.
  EXPECT_EQ(quick->Value("time-budget"), "80s");
  EXPECT_EQ(quick->Value("interval"), "40ms");
  EXPECT_EQ(quick->Value("sizes"), "");
  const Profile* cm = FindProfile("copy-matrix");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->Value("transports"), "two_copy,one_copy,zero_copy");
  EXPECT_EQ(cm->Value("sizes"), "256,1K,4K,16K");
  EXPECT_EQ(cm->Value("threads"), "1,2,4,8");
  EXPECT_EQ(cm->Value("messages"), "5000");
  EXPECT_EQ(cm->Value("mode"), "stream");
  EXPECT_EQ(cm->Value("direction"), "server-to-client");
  EXPECT_EQ(cm->Value("fields"), "8");
  EXPECT_EQ(cm->Value("duration"), "");
  const Profile* wide = FindProfile("copy-matrix-wide");
  ASSERT_NE(wide, nullptr);
  EXPECT_EQ(wide->Value("sizes"), "64,512,4K,64K");
  EXPECT_EQ(wide->Value("mode"), "rr");
  EXPECT_EQ(wide->Value("duration"), "5s");
  EXPECT_EQ(wide->Value("messages"), "");
  const Profile* lul = FindProfile("latency-under-load");
  ASSERT_NE(lul, nullptr);
  EXPECT_EQ(lul->Value("mode"), "rr");
  EXPECT_EQ(lul->Value("sizes"), "64");
  EXPECT_EQ(lul->Value("background"), "none,two_copy:1:64K");
  const Profile* crr = FindProfile("connection-rate");
  ASSERT_NE(crr, nullptr);
  EXPECT_EQ(crr->Value("mode"), "crr");
  EXPECT_EQ(crr->Value("transports"), "two_copy,one_copy,zero_copy");
  EXPECT_EQ(crr->Value("sizes"), "64,1K");
  EXPECT_EQ(crr->Value("threads"), "1,2");
  EXPECT_EQ(crr->Value("messages"), "");
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
  EXPECT_EQ(names,
            (std::vector<std::string>{"copy", "uring", "zerocopy", "discard"}));
  EXPECT_EQ(ResolveRecvName("any_plugin"), "any_plugin");
}

}  // namespace
}  // namespace copyscope::config
