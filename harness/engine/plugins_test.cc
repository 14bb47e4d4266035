#include "harness/engine/plugins.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace copyscope::engine {
namespace {

TEST(DescribePluginsTest, TheInTreePluginsAsThePlanSeesThem) {
  plugins::PluginSet set;
  std::string error;
  ASSERT_TRUE(set.LoadDirectory(plugins::DefaultPluginDirectory(), &error))
      << error;
  std::vector<record::PluginInfo> info;
  for (const plugins::Plugin& p : set.plugins()) info.push_back(Describe(p));
  ASSERT_EQ(info.size(), set.plugins().size());
  ASSERT_FALSE(info.empty());
  for (size_t i = 0; i < info.size(); ++i) {
    const plugins::Plugin& p = set.plugins()[i];
    SCOPED_TRACE(p.name);
    EXPECT_EQ(info[i].name(), p.name);
    EXPECT_EQ(info[i].path(), p.path);
    EXPECT_EQ(info[i].status(), plugins::StatusName(p.status));
    EXPECT_EQ(info[i].sha256().size(), 64u);
    if (p.transport == nullptr) continue;
    EXPECT_EQ(info[i].options_size(),
              static_cast<int>(p.transport->option_count));
    const bool recv = (p.transport->capabilities & CS_CAP_RECV) != 0;
    bool named = false;
    for (const std::string& c : info[i].capabilities()) named |= c == "recv";
    EXPECT_EQ(named, recv);
  }
}

// n bytes right before an unreadable page: a read past them faults.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = ((n + page - 1) / page + 1) * page;
    base_ = static_cast<char*>(mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(static_cast<void*>(base_), MAP_FAILED);
    EXPECT_EQ(mprotect(base_ + size_ - page, page, PROT_NONE), 0);
    data_ = base_ + size_ - page - n;
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

// Describe() reads a descriptor's strings and options within the loader's
// bounds even when the descriptor would not pass them.
TEST(DescribePluginsTest, ReadsNoStringOrOptionBeyondItsBound) {
  GuardedBytes description(plugins::kMaxTextBytes + 50);
  memset(description.data(), 'd', plugins::kMaxTextBytes + 50);
  GuardedBytes key(200);
  memset(key.data(), 'k', 200);
  const size_t n = plugins::kMaxDescriptorOptions;
  GuardedBytes array(n * sizeof(cs_option_desc));
  auto* options = reinterpret_cast<cs_option_desc*>(array.data());
  for (size_t i = 0; i < n; ++i) options[i] = {key.data(), "1", nullptr};
  cs_transport t = {};
  t.struct_size = CS_TRANSPORT_STRUCT_SIZE;
  t.abi_major = CS_ABI_MAJOR;
  t.version = "2.0";
  t.description = description.data();
  t.options = options;
  t.option_count = 100000;  // more than the array holds
  plugins::Plugin p;
  p.name = "fake";
  p.path = "/nonexistent/fake.so";
  p.status = plugins::PluginStatus::kRejected;
  p.transport = &t;
  record::PluginInfo info = Describe(p);
  EXPECT_EQ(info.version(), "2.0");
  EXPECT_EQ(info.description(), std::string(plugins::kMaxTextBytes, 'd'));
  ASSERT_EQ(info.options_size(), static_cast<int>(n));
  EXPECT_EQ(info.options(0).key(), std::string(plugins::kMaxNameBytes, 'k'));
  EXPECT_EQ(info.options(0).default_value(), "1");
  EXPECT_EQ(info.options(0).help(), "");
}

TEST(CapabilityNamesTest, KnownBitsByNameTheRestInHex) {
  EXPECT_EQ(CapabilityNames(CS_CAP_SCATTER_GATHER | CS_CAP_RECV),
            (std::vector<std::string>{"scatter_gather", "recv"}));
  EXPECT_EQ(CapabilityNames(0), std::vector<std::string>{});
  EXPECT_EQ(CapabilityNames(uint64_t{1} << 40),
            std::vector<std::string>{"0x10000000000"});
}

TEST(ResolveTest, NamesBecomeDescriptorsOrAClearError) {
  plugins::PluginSet set;
  std::string error;
  ASSERT_TRUE(set.LoadDirectory(plugins::DefaultPluginDirectory(), &error))
      << error;
  const plugins::Plugin* usable = nullptr;
  for (const plugins::Plugin& p : set.plugins()) {
    if (p.status == plugins::PluginStatus::kOk) usable = &p;
  }
  ASSERT_NE(usable, nullptr);
  config::CellSpec cell;
  cell.transport = usable->name;
  absl::StatusOr<CellPlugins> r = Resolve(set, cell);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->transport, usable->transport);
  EXPECT_EQ(r->recv_transport, nullptr);
  cell.recv_transport = "no_such_plugin";
  r = Resolve(set, cell);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "no_such_plugin"));
}

}  // namespace
}  // namespace copyscope::engine
