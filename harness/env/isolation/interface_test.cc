#include "harness/env/isolation/interface.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::isolation {
namespace {

// A fake /sys and /proc under the test's temporary directory.
class FakeTree {
 public:
  explicit FakeTree(const std::string& name)
      : root_(absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name)) {}
  std::string sys() const { return root_ + "/sys"; }
  std::string proc() const { return root_ + "/proc"; }
  void Write(const std::string& path, const std::string& text) {
    const std::string full = root_ + "/" + path;
    for (size_t slash = full.find('/', 1); slash != std::string::npos;
         slash = full.find('/', slash + 1)) {
      mkdir(full.substr(0, slash).c_str(), 0755);
    }
    std::ofstream(full) << text;
  }

 private:
  std::string root_;
};

TEST(NicFilesTest, AMultiQueueNicHasItsSpeedAndEveryVectorWithItsCpus) {
  FakeTree t("mlx");
  t.Write("sys/class/net/eth1/speed", "100000\n");
  t.Write("sys/class/net/eth1/device/msi_irqs/141", "msix\n");
  t.Write("sys/class/net/eth1/device/msi_irqs/140", "msix\n");
  t.Write("proc/irq/140/smp_affinity_list", "0-3\n");
  t.Write("proc/irq/141/smp_affinity_list", "4\n");
  NicFacts f;
  ReadNicFiles("eth1", t.sys(), t.proc(), &f);
  ASSERT_TRUE(f.speed_mbps.has_value());
  EXPECT_EQ(*f.speed_mbps, 100000);
  ASSERT_EQ(f.irqs.size(), 2u);
  EXPECT_EQ(f.irqs[0], std::make_pair(140, std::string("0-3")));
  EXPECT_EQ(f.irqs[1], std::make_pair(141, std::string("4")));
  EXPECT_TRUE(f.notes.empty()) << f.notes[0];
}

TEST(NicFilesTest, ALegacyLineIsUsedWhenThereAreNoVectors) {
  FakeTree t("legacy");
  t.Write("sys/class/net/eth0/speed", "1000\n");
  t.Write("sys/class/net/eth0/device/irq", "19\n");
  NicFacts f;
  ReadNicFiles("eth0", t.sys(), t.proc(), &f);
  ASSERT_EQ(f.irqs.size(), 1u);
  EXPECT_EQ(f.irqs[0].first, 19);
  EXPECT_EQ(f.irqs[0].second, "unreadable");  // no /proc/irq/19 here
}

TEST(NicFilesTest, AVirtualInterfaceSaysSoAndHasNoSpeed) {
  FakeTree t("veth");
  t.Write("sys/class/net/veth0/speed", "-1\n");  // what a down link says
  t.Write("sys/class/net/veth0/ifindex", "7\n");
  NicFacts f;
  ReadNicFiles("veth0", t.sys(), t.proc(), &f);
  EXPECT_FALSE(f.speed_mbps.has_value());
  EXPECT_TRUE(f.irqs.empty());
  ASSERT_EQ(f.notes.size(), 2u);
  EXPECT_TRUE(absl::StrContains(f.notes[0], "link speed unknown"));
  EXPECT_TRUE(absl::StrContains(f.notes[1], "a virtual interface"));
}

TEST(NicFactsTest, LoopbackHoldsItsAddressAndReportsWhatItKnows) {
  absl::StatusOr<std::string> lo = InterfaceWithAddress("127.0.0.1");
  ASSERT_TRUE(lo.ok()) << lo.status();
  EXPECT_EQ(*lo, "lo");
  NicFacts f = ReadNicFacts(*lo);
  // lo has no driver to name and no device: each is said, not guessed.
  EXPECT_TRUE(!f.driver.empty() || absl::StrContains(f.notes[0], "driver"));
  EXPECT_TRUE(f.irqs.empty());
  EXPECT_EQ(f.offloads.Pairs().size(), 7u);
  EXPECT_TRUE(absl::StartsWith(f.offloads.ToString(), "tso="));
}

TEST(NicFactsTest, AnAddressNoInterfaceHoldsIsNotFound) {
  EXPECT_EQ(InterfaceWithAddress("198.19.255.254").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(InterfaceWithAddress("not-an-address").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace copyscope::isolation
