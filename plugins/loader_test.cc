// Tests of the plugin loader: every way a plugin can be broken is rejected
// with its reason, and a broken plugin never stops the others.
#include "plugins/loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace copyscope::plugins {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) +
         "/copyscope/plugins/testdata/" + name;
}

Plugin LoadOne(const std::string& file) {
  PluginSet set;
  return set.LoadFile(Fixture(file));
}

TEST(LoaderTest, LoadsAValidPlugin) {
  PluginSet set;
  Plugin p = set.LoadFile(Fixture("fixture_ok.so"));
  EXPECT_EQ(p.status, PluginStatus::kOk) << p.reason;
  EXPECT_EQ(p.name, "fixture_ok");
  EXPECT_EQ(p.reason, "");
  ASSERT_NE(p.transport, nullptr);
  EXPECT_STREQ(p.transport->description, "loader test fixture");
  ASSERT_TRUE(set.Find("fixture_ok").has_value());
  EXPECT_FALSE(set.Find("nonexistent").has_value());
}

TEST(LoaderTest, RejectsAFileThatIsNotElf) {
  Plugin p = LoadOne("not_a_plugin.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "not an ELF shared library");
  EXPECT_EQ(p.transport, nullptr);
}

TEST(LoaderTest, RejectsAMissingFile) {
  PluginSet set;
  Plugin p = set.LoadFile("/nonexistent/dir/x.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "cannot open: No such file or directory");
}

TEST(LoaderTest, RejectsAPluginWithoutTheEntrySymbol) {
  Plugin p = LoadOne("fixture_no_entry.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "missing entry symbol copyscope_transport_entry");
}

TEST(LoaderTest, RejectsAPluginThatRefusesTheHostAbi) {
  Plugin p = LoadOne("fixture_refuses.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "plugin refused ABI " + std::to_string(CS_ABI_MAJOR) +
                          "." + std::to_string(CS_ABI_MINOR));
}

TEST(LoaderTest, RejectsAWrongAbiMajor) {
  Plugin p = LoadOne("fixture_wrong_major.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "built for ABI major " +
                          std::to_string(CS_ABI_MAJOR + 98) +
                          ", this host speaks " + std::to_string(CS_ABI_MAJOR));
}

TEST(LoaderTest, RejectsADescriptorSmallerThanTheAbi) {
  Plugin p = LoadOne("fixture_small_struct.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "descriptor struct_size 16 is smaller than the " +
                          std::to_string(CS_TRANSPORT_STRUCT_SIZE) +
                          " bytes of ABI " + std::to_string(CS_ABI_MAJOR) +
                          ".0");
}

TEST(LoaderTest, RejectsAMissingRequiredFunction) {
  Plugin p = LoadOne("fixture_missing_open.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "missing function open");
}

TEST(LoaderTest, RejectsABadName) {
  Plugin p = LoadOne("fixture_bad_name.so");
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "name must be non-empty [a-z0-9_]+");
}

TEST(LoaderTest, MarksAPluginWhoseProbeFailsUnavailable) {
  Plugin p = LoadOne("fixture_probe_fails.so");
  EXPECT_EQ(p.status, PluginStatus::kUnavailable);
  EXPECT_EQ(p.name, "fixture_probe_fails");
  EXPECT_EQ(p.reason, "needs kernel feature X (fixture)");
  EXPECT_NE(p.transport, nullptr);
}

TEST(LoaderTest, RejectsADuplicateName) {
  PluginSet set;
  set.LoadFile(Fixture("fixture_ok.so"));
  Plugin twin = set.LoadFile(Fixture("fixture_ok_twin.so"));
  EXPECT_EQ(twin.status, PluginStatus::kRejected);
  EXPECT_EQ(twin.reason, "duplicate name 'fixture_ok', already loaded from " +
                             Fixture("fixture_ok.so"));
  EXPECT_EQ(set.Find("fixture_ok")->status, PluginStatus::kOk);
}

TEST(LoaderTest, ADirectoryOfBrokenPluginsStillLoadsTheGoodOnes) {
  PluginSet set;
  std::string error;
  ASSERT_TRUE(set.LoadDirectory(Fixture(""), &error)) << error;
  // Every fixture, broken or not, got a record; the good ones work.
  EXPECT_EQ(set.plugins().size(), 10u);
  int ok = 0, unavailable = 0, rejected = 0;
  for (const Plugin& p : set.plugins()) {
    switch (p.status) {
      case PluginStatus::kOk:
        ++ok;
        break;
      case PluginStatus::kUnavailable:
        ++unavailable;
        break;
      case PluginStatus::kRejected:
        ++rejected;
        EXPECT_FALSE(p.reason.empty()) << p.path;
        break;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(unavailable, 1);
  EXPECT_EQ(rejected, 8);
  // Sorted by path, so the order is stable.
  for (size_t i = 1; i < set.plugins().size(); ++i) {
    EXPECT_LT(set.plugins()[i - 1].path, set.plugins()[i].path);
  }
}

TEST(LoaderTest, AFifoIsRejectedWithoutWaitingForAWriter) {
  const std::string fifo = std::string(std::getenv("TEST_TMPDIR")) + "/p.so";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  PluginSet set;
  Plugin p = set.LoadFile(fifo);  // would block in open() without O_NONBLOCK
  EXPECT_EQ(p.status, PluginStatus::kRejected);
  EXPECT_EQ(p.reason, "not a regular file");
}

TEST(LoaderTest, SymlinkLoopsAreWalkedOnce) {
  // Every directory links back to the top twice: without remembering what
  // it saw, the walk would branch 2^16 ways before its depth limit.
  const std::string top = std::string(std::getenv("TEST_TMPDIR")) + "/loop";
  ASSERT_EQ(mkdir(top.c_str(), 0755), 0);
  ASSERT_EQ(symlink(top.c_str(), (top + "/a").c_str()), 0);
  ASSERT_EQ(symlink(top.c_str(), (top + "/b").c_str()), 0);
  ASSERT_EQ(symlink(Fixture("fixture_ok.so").c_str(), (top + "/ok.so").c_str()),
            0);
  PluginSet set;
  std::string error;
  ASSERT_TRUE(set.LoadDirectory(top, &error)) << error;
  ASSERT_EQ(set.plugins().size(), 1u);
  EXPECT_EQ(set.plugins()[0].status, PluginStatus::kOk);
}

TEST(LoaderTest, AMissingDirectoryIsAnError) {
  PluginSet set;
  std::string error;
  EXPECT_FALSE(set.LoadDirectory("/nonexistent/plugins", &error));
  EXPECT_EQ(error, "plugin directory not found: /nonexistent/plugins");
  EXPECT_TRUE(set.plugins().empty());
}

TEST(LoaderTest, ValidateDescriptorChecksRecvCapability) {
  PluginSet set;
  Plugin p = set.LoadFile(Fixture("fixture_ok.so"));
  ASSERT_NE(p.transport, nullptr);
  cs_transport copy = *p.transport;
  EXPECT_EQ(ValidateDescriptor(&copy), "");
  copy.capabilities = 0;
  EXPECT_EQ(ValidateDescriptor(&copy),
            "recv function without the RECV capability");
  copy = *p.transport;
  copy.send = nullptr;
  copy.recv = nullptr;
  EXPECT_EQ(ValidateDescriptor(&copy), "neither send nor recv is implemented");
  EXPECT_EQ(ValidateDescriptor(nullptr), "descriptor is NULL");
}

TEST(LoaderTest, StatusNames) {
  EXPECT_STREQ(StatusName(PluginStatus::kOk), "ok");
  EXPECT_STREQ(StatusName(PluginStatus::kUnavailable), "unavailable");
  EXPECT_STREQ(StatusName(PluginStatus::kRejected), "rejected");
}

}  // namespace
}  // namespace copyscope::plugins
