#include "harness/env/provenance.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/record/sha256.h"

namespace copyscope::env {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// A fake root directory under $TEST_TMPDIR, named after the test (and the
// suffix, for a second one in a test).
class FakeRoot {
 public:
  explicit FakeRoot(const std::string& suffix = "") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/root_", info->name(),
                        suffix);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  const std::string& dir() const { return dir_; }
  void Put(const std::string& rel, const std::string& text) const {
    fs::path p = fs::path(dir_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

 private:
  std::string dir_;
};

// A two-core, four-thread machine with every file present.
void FillMachine(const FakeRoot& r) {
  r.Put("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n");
  r.Put("proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  r.Put("proc/cpuinfo",
        "processor\t: 0\nmodel name\t: Test CPU @ 3.00GHz\n\n"
        "processor\t: 1\nmodel name\t: Test CPU @ 3.00GHz\n");
  r.Put("sys/devices/system/cpu/online", "0-3\n");
  for (int cpu = 0; cpu < 4; ++cpu) {
    std::string d = absl::StrCat("sys/devices/system/cpu/cpu", cpu, "/");
    r.Put(d + "topology/physical_package_id", "0\n");
    r.Put(d + "topology/core_id", absl::StrCat(cpu / 2, "\n"));
    r.Put(d + "cpufreq/scaling_governor", "performance\n");
  }
  r.Put("sys/devices/system/cpu/intel_pstate/no_turbo", "0\n");
  r.Put("sys/devices/system/cpu/vulnerabilities/meltdown", "Not affected\n");
  r.Put("sys/devices/system/cpu/vulnerabilities/spectre_v2",
        "Mitigation: Retpolines\n");
  r.Put("sys/kernel/mm/transparent_hugepage/enabled",
        "always [madvise] never\n");
  r.Put("sys/kernel/mm/transparent_hugepage/defrag",
        "always defer defer+madvise [madvise] never\n");
  r.Put("proc/1/comm", "systemd\n");
  r.Put("proc/812/comm", "irqbalance\n");
}

TEST(ProvenanceTest, ReadsEveryFactOfAFakeMachine) {
  FakeRoot r;
  FillMachine(r);
  MachineFacts m = CollectMachineFacts(r.dir());
  EXPECT_EQ(m.kernel_cmdline, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet");
  EXPECT_EQ(m.kernel_release, "6.1.0-18-amd64");
  EXPECT_EQ(m.cpu_model, "Test CPU @ 3.00GHz");
  EXPECT_EQ(m.counts.cpus, 4);
  EXPECT_EQ(m.counts.cores, 2);
  EXPECT_EQ(m.governors.summary, "performance");
  EXPECT_EQ(m.governors.per_cpu.size(), 4u);
  EXPECT_EQ(m.turbo.state, "on");
  EXPECT_EQ(m.turbo.source,
            r.dir() + "/sys/devices/system/cpu/intel_pstate/no_turbo");
  EXPECT_THAT(m.mitigations,
              ElementsAre(Pair("meltdown", "Not affected"),
                          Pair("spectre_v2", "Mitigation: Retpolines")));
  EXPECT_EQ(m.thp_enabled, "madvise");
  EXPECT_EQ(m.thp_defrag, "madvise");
  EXPECT_EQ(m.irqbalance, "running");
}

TEST(ProvenanceTest, MissingFilesAreUnknownNeverInvented) {
  FakeRoot r;  // an empty tree
  MachineFacts m = CollectMachineFacts(r.dir());
  EXPECT_EQ(m.kernel_cmdline, "unknown");
  EXPECT_EQ(m.kernel_release, "unknown");
  EXPECT_EQ(m.cpu_model, "unknown");
  EXPECT_EQ(m.counts.cpus, 0);
  EXPECT_EQ(m.counts.cores, 0);
  EXPECT_EQ(m.governors.summary, "unknown");
  EXPECT_THAT(m.governors.per_cpu, IsEmpty());
  EXPECT_EQ(m.turbo.state, "unknown");
  EXPECT_EQ(m.turbo.source, "");
  EXPECT_THAT(m.mitigations, IsEmpty());
  EXPECT_EQ(m.thp_enabled, "unknown");
  EXPECT_EQ(m.thp_defrag, "unknown");
  EXPECT_EQ(m.irqbalance, "unknown");
  // Missing root altogether: the same.
  EXPECT_EQ(CollectMachineFacts(r.dir() + "/nowhere").turbo.state, "unknown");
}

TEST(ProvenanceTest, GovernorsDifferingPerCpuAreSummarisedWithTheirCpus) {
  FakeRoot r;
  r.Put("sys/devices/system/cpu/online", "0-3,6\n");
  r.Put("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave");
  r.Put("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave");
  r.Put("sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance");
  r.Put("sys/devices/system/cpu/cpu6/cpufreq/scaling_governor", "powersave");
  Governors g = ReadGovernors(r.dir());
  EXPECT_EQ(g.summary,
            "performance (cpus 2), powersave (cpus 0-1,6), unknown (cpus 3)");
  EXPECT_EQ(g.per_cpu.at(3), "unknown");
  // Without the online list, the cpuN directories are the CPUs.
  FakeRoot bare("_bare");
  bare.Put("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "ondemand");
  bare.Put("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "ondemand");
  bare.Put("sys/devices/system/cpu/cpufreq/boost", "1");
  EXPECT_EQ(ReadGovernors(bare.dir()).summary, "ondemand");
  EXPECT_EQ(ReadCpuCounts(bare.dir()).cpus, 2);
  EXPECT_EQ(ReadCpuCounts(bare.dir()).cores, 0);  // no topology: unknown
}

TEST(ProvenanceTest, TurboFromEitherFileAndNothingElse) {
  FakeRoot r;
  r.Put("sys/devices/system/cpu/cpufreq/boost", "0\n");
  EXPECT_EQ(ReadTurbo(r.dir()).state, "off");
  r.Put("sys/devices/system/cpu/intel_pstate/no_turbo", "1\n");
  EXPECT_EQ(ReadTurbo(r.dir()).state, "off");  // intel_pstate first
  r.Put("sys/devices/system/cpu/intel_pstate/no_turbo", "maybe\n");
  Turbo t = ReadTurbo(r.dir());
  EXPECT_EQ(t.state, "unknown");
  EXPECT_THAT(t.source, ::testing::EndsWith("no_turbo held \"maybe\""));
}

TEST(ProvenanceTest, ThpWithoutASelectionIsUnknown) {
  FakeRoot r;
  r.Put("sys/kernel/mm/transparent_hugepage/enabled", "always madvise never");
  r.Put("sys/kernel/mm/transparent_hugepage/defrag", "[]");
  EXPECT_EQ(ReadThp("enabled", r.dir()), "unknown");
  EXPECT_EQ(ReadThp("defrag", r.dir()), "unknown");
  r.Put("sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never");
  EXPECT_EQ(ReadThp("enabled", r.dir()), "always");
}

TEST(ProvenanceTest, IrqBalanceNotRunningWhenNoProcessIsIt) {
  FakeRoot r;
  r.Put("proc/1/comm", "init\n");
  r.Put("proc/2/comm", "irqbalancer\n");    // a name that only starts alike
  r.Put("proc/self/comm", "irqbalance\n");  // not a pid: skipped
  r.Put("proc/sys/kernel/osrelease", "6.1\n");
  EXPECT_EQ(ReadIrqBalance(r.dir()), "not running");
}

TEST(ProvenanceTest, ReadsThisMachineWithoutCrashing) {
  MachineFacts m = CollectMachineFacts();
  EXPECT_FALSE(m.kernel_release.empty());
  EXPECT_GT(m.counts.cpus, 0);
  // This test process is running: irqbalance or not, /proc lists processes.
  EXPECT_NE(m.irqbalance, "unknown");
}

TEST(ProvenanceTest, BinarySha256IsThatOfTheRunningFile) {
  absl::StatusOr<std::string> h = BinarySha256();
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->size(), 64u);
  EXPECT_EQ(*h, *record::Sha256File("/proc/self/exe"));
  EXPECT_FALSE(BinarySha256("/nonexistent/binary").ok());
}

TestbedFacts SomeTestbed() {
  FakeRoot r("_testbed");
  FillMachine(r);
  return TestbedFactsOf(
      CollectMachineFacts(r.dir()),
      {{"net.core.wmem_max", "212992"}, {"net.core.rmem_max", "212992"}},
      "eth0", "virtio_net");
}

TEST(ProvenanceTest, CanonicalTextIsFixedAndSorted) {
  EXPECT_EQ(TestbedCanonicalText(SomeTestbed()),
            "copyscope testbed 1\n"
            "cpu_model=Test CPU @ 3.00GHz\n"
            "cpus=4\n"
            "cores=2\n"
            "kernel_release=6.1.0-18-amd64\n"
            "governor=performance\n"
            "turbo=on\n"
            "thp_enabled=madvise\n"
            "thp_defrag=madvise\n"
            "mitigation.meltdown=Not affected\n"
            "mitigation.spectre_v2=Mitigation: Retpolines\n"
            "sysctl.net.core.rmem_max=212992\n"
            "sysctl.net.core.wmem_max=212992\n"
            "nic=eth0\n"
            "nic_driver=virtio_net\n");
  TestbedFacts odd;
  odd.cpu_model = "a=b\nc\\";
  EXPECT_THAT(TestbedCanonicalText(odd),
              ::testing::HasSubstr("cpu_model=a\\=b\\nc\\\\\n"));
}

TEST(ProvenanceTest, FingerprintFollowsTheTestbedNotTheRun) {
  TestbedFacts a = SomeTestbed();
  const std::string fp = TestbedFingerprint(a);
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp, record::Sha256Hex(TestbedCanonicalText(a)));

  // The order the caller gives sysctls in does not matter.
  TestbedFacts reordered = a;
  std::swap(reordered.sysctls[0], reordered.sysctls[1]);
  EXPECT_EQ(TestbedFingerprint(reordered), fp);

  // What changes per run is not in it.
  FakeRoot r;
  FillMachine(r);
  r.Put("proc/cmdline", "BOOT_IMAGE=/vmlinuz-new quiet splash");
  r.Put("proc/812/comm", "bash");  // irqbalance stopped
  TestbedFacts same = TestbedFactsOf(CollectMachineFacts(r.dir()), a.sysctls,
                                     "eth0", "virtio_net");
  EXPECT_EQ(TestbedFingerprint(same), fp);

  // Every testbed fact is.
  auto differs = [&](auto change) {
    TestbedFacts b = a;
    change(b);
    return TestbedFingerprint(b) != fp;
  };
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.cpu_model = "Other CPU"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.cpus = 8; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.cores = 4; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.kernel_release = "6.2"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.governor = "powersave"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.turbo = "off"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.thp_enabled = "always"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.thp_defrag = "never"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.mitigations.clear(); }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.sysctls[0].second = "1"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.nic = "eth1"; }));
  EXPECT_TRUE(differs([](TestbedFacts& b) { b.nic_driver = "mlx5_core"; }));
}

}  // namespace
}  // namespace copyscope::env
