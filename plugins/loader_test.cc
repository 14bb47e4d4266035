// Tests of the plugin loader: every way a plugin can be broken is rejected
// with its reason, and a broken plugin never stops the others.
#include "plugins/loader.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

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
  copy.capabilities = CS_CAP_RECV | CS_CAP_RECV_DISCARDS;
  EXPECT_EQ(ValidateDescriptor(&copy), "");
  copy.capabilities |= CS_CAP_RECV_IN_PLACE;
  EXPECT_NE(ValidateDescriptor(&copy).find("RECV_DISCARDS"), std::string::npos);
  copy = *p.transport;
  copy.send = nullptr;
  copy.recv = nullptr;
  EXPECT_EQ(ValidateDescriptor(&copy), "neither send nor recv is implemented");
  EXPECT_EQ(ValidateDescriptor(nullptr), "descriptor is NULL");
}

// n bytes that end where an unreadable page begins: reading one byte past
// them faults, so a check that reads beyond its bound crashes the test.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = ((n + page - 1) / page + 1) * page;
    void* base = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(base, MAP_FAILED);
    base_ = static_cast<char*>(base);
    char* guard = base_ + size_ - page;
    EXPECT_EQ(mprotect(guard, page, PROT_NONE), 0);
    data_ = guard - n;
  }
  ~GuardedBytes() { munmap(base_, size_); }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;

  char* data() const { return data_; }

 private:
  char* base_ = nullptr;
  size_t size_ = 0;
  char* data_ = nullptr;
};

// n copies of c with no terminator, right before the guard page.
class Unterminated : public GuardedBytes {
 public:
  Unterminated(size_t n, char c) : GuardedBytes(n) { memset(data(), c, n); }
};

// A valid descriptor built in the test: no library behind it.
cs_transport FakeDescriptor() {
  cs_transport t = {};
  t.struct_size = CS_TRANSPORT_STRUCT_SIZE;
  t.abi_major = CS_ABI_MAJOR;
  t.abi_minor = CS_ABI_MINOR;
  t.name = "fake";
  t.version = "1.0";
  t.description = "a descriptor of the loader test";
  t.capabilities = CS_CAP_RECV;
  t.probe = [](char*, size_t) { return 0; };
  t.open = [](const cs_endpoint_config*, cs_endpoint**, char*, size_t) {
    return -ENOSYS;
  };
  t.close = [](cs_endpoint*) {};
  t.send = [](cs_endpoint*, const cs_message*, uint32_t) { return -ENOSYS; };
  t.reap = [](cs_endpoint*, uint64_t*, uint32_t, int) { return 0; };
  t.recv = [](cs_endpoint*, cs_recv_args*) { return -ENOSYS; };
  t.counters = [](const cs_endpoint*, cs_counter*, uint32_t) -> uint32_t {
    return 0;
  };
  t.last_error = [](const cs_endpoint*) { return ""; };
  return t;
}

TEST(LoaderTest, TheFakeDescriptorIsValid) {
  cs_transport t = FakeDescriptor();
  EXPECT_EQ(ValidateDescriptor(&t), "");
}

// CS_CAP_DATAGRAM came with ABI 1.3: a plugin built for 1.2 cannot read
// socket_type, so the bit from it is an error, not a datagram transport.
TEST(LoaderTest, TheDatagramCapabilityNeedsAbi13) {
  cs_transport t = FakeDescriptor();
  t.capabilities = CS_CAP_RECV | CS_CAP_DATAGRAM;
  EXPECT_EQ(ValidateDescriptor(&t), "");
  t.abi_minor = 2;
  EXPECT_NE(ValidateDescriptor(&t).find("capability DATAGRAM from a plugin "
                                        "built for ABI 1.2"),
            std::string::npos)
      << ValidateDescriptor(&t);
  t.capabilities = CS_CAP_RECV;  // a 1.2 stream plugin is fine
  EXPECT_EQ(ValidateDescriptor(&t), "");
}

TEST(LoaderTest, NamesAreBoundedTo64Bytes) {
  cs_transport t = FakeDescriptor();
  const std::string longest(kMaxNameBytes, 'a');
  t.name = longest.c_str();
  EXPECT_EQ(ValidateDescriptor(&t), "");
  const std::string longer(kMaxNameBytes + 1, 'a');
  t.name = longer.c_str();
  EXPECT_EQ(ValidateDescriptor(&t), "name longer than 64 bytes");
  // No terminator before unreadable memory: rejected, read within bound.
  Unterminated runaway(200, 'a');
  t.name = runaway.data();
  EXPECT_EQ(ValidateDescriptor(&t), "name longer than 64 bytes");
  t.name = nullptr;
  EXPECT_EQ(ValidateDescriptor(&t), "name must be non-empty [a-z0-9_]+");
  t.name = "";
  EXPECT_EQ(ValidateDescriptor(&t), "name must be non-empty [a-z0-9_]+");
}

TEST(LoaderTest, VersionAndDescriptionAreBounded) {
  cs_transport t = FakeDescriptor();
  const std::string version(kMaxVersionBytes + 1, '1');
  t.version = version.c_str();
  EXPECT_EQ(ValidateDescriptor(&t), "version longer than 64 bytes");
  Unterminated runaway_version(100, '1');
  t.version = runaway_version.data();
  EXPECT_EQ(ValidateDescriptor(&t), "version longer than 64 bytes");

  t = FakeDescriptor();
  const std::string longest(kMaxTextBytes, 'd');
  t.description = longest.c_str();
  EXPECT_EQ(ValidateDescriptor(&t), "");
  const std::string longer(kMaxTextBytes + 1, 'd');
  t.description = longer.c_str();
  EXPECT_EQ(ValidateDescriptor(&t), "description longer than 4096 bytes");
  Unterminated runaway(kMaxTextBytes + 100, 'd');
  t.description = runaway.data();
  EXPECT_EQ(ValidateDescriptor(&t), "description longer than 4096 bytes");
}

TEST(LoaderTest, OptionCountIsBoundedBeforeTheOptionsAreRead) {
  cs_transport t = FakeDescriptor();
  // One option, then unreadable memory: a count of 100000 must not be
  // walked.
  GuardedBytes one(sizeof(cs_option_desc));
  auto* option = reinterpret_cast<cs_option_desc*>(one.data());
  *option = {"batch", "64", "messages per call"};
  t.options = option;
  t.option_count = 1;
  EXPECT_EQ(ValidateDescriptor(&t), "");
  t.option_count = 100000;
  EXPECT_EQ(ValidateDescriptor(&t), "option_count 100000 is more than 256");
  t.option_count = UINT32_MAX;
  EXPECT_EQ(ValidateDescriptor(&t), "option_count 4294967295 is more than 256");

  std::vector<cs_option_desc> many(kMaxDescriptorOptions + 1,
                                   cs_option_desc{"k", "", "h"});
  t.options = many.data();
  t.option_count = kMaxDescriptorOptions;
  EXPECT_EQ(ValidateDescriptor(&t), "");
  t.option_count = kMaxDescriptorOptions + 1;
  EXPECT_EQ(ValidateDescriptor(&t), "option_count 257 is more than 256");
}

TEST(LoaderTest, OptionStringsAreBounded) {
  cs_transport t = FakeDescriptor();
  cs_option_desc options[2] = {{"batch", "64", "messages per call"},
                               {"size", "4K", "bytes"}};
  t.options = options;
  t.option_count = 2;
  EXPECT_EQ(ValidateDescriptor(&t), "");

  Unterminated key(300, 'k');
  options[1].key = key.data();
  EXPECT_EQ(ValidateDescriptor(&t), "option 1 key longer than 64 bytes");
  options[1].key = "size";

  const std::string text(kMaxTextBytes + 1, 'x');
  options[1].default_value = text.c_str();
  EXPECT_EQ(ValidateDescriptor(&t),
            "option 1 (size) default longer than 4096 bytes");
  options[1].default_value = nullptr;  // may be NULL
  EXPECT_EQ(ValidateDescriptor(&t), "");

  Unterminated help(kMaxTextBytes + 10, 'h');
  options[0].help = help.data();
  EXPECT_EQ(ValidateDescriptor(&t),
            "option 0 (batch) help longer than 4096 bytes");
  options[0].help = nullptr;  // may be NULL
  EXPECT_EQ(ValidateDescriptor(&t), "");

  options[0].key = "";
  EXPECT_EQ(ValidateDescriptor(&t), "option 0 has no key");
}

TEST(LoaderTest, StatusNames) {
  EXPECT_STREQ(StatusName(PluginStatus::kOk), "ok");
  EXPECT_STREQ(StatusName(PluginStatus::kUnavailable), "unavailable");
  EXPECT_STREQ(StatusName(PluginStatus::kRejected), "rejected");
}

}  // namespace
}  // namespace copyscope::plugins
