#include "perfmon/pmu.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace copyscope::perfmon {
namespace {

// A fake /sys/bus/event_source/devices in a fresh temporary directory.
class FakeSysfs {
 public:
  FakeSysfs() {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(tmp, "/sysfs.XXXXXX");
    root_ = mkdtemp(pattern.data());
  }
  const std::string& root() const { return root_; }

  // Adds <root>/<pmu>/ with its type file and, if given, its cpus file.
  void AddPmu(const std::string& pmu, const std::string& type,
              const char* cpus = nullptr) {
    const std::string dir = absl::StrCat(root_, "/", pmu);
    mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/type") << type << "\n";
    if (cpus != nullptr) std::ofstream(dir + "/cpus") << cpus << "\n";
  }

 private:
  std::string root_;
};

TEST(PmuTest, HybridMachineHasCoreAndAtom) {
  FakeSysfs sysfs;
  sysfs.AddPmu("cpu_core", "4", "0-15");
  sysfs.AddPmu("cpu_atom", "8", "16-19");
  sysfs.AddPmu("software", "1");
  sysfs.AddPmu("tracepoint", "2");
  sysfs.AddPmu("uncore_imc_0", "13", "0");

  absl::StatusOr<PmuTopology> pmus = DiscoverPmus(sysfs.root());
  ASSERT_TRUE(pmus.ok()) << pmus.status();
  ASSERT_EQ(pmus->core_pmus.size(), 2u);
  EXPECT_TRUE(pmus->hybrid());

  const CorePmu& core = pmus->core_pmus[0];
  EXPECT_EQ(core.name, "cpu_core");
  EXPECT_EQ(core.kind, CoreKind::kCore);
  EXPECT_EQ(core.type, 4u);
  EXPECT_FALSE(core.all_cpus);
  ASSERT_EQ(core.cpus.size(), 16u);
  EXPECT_EQ(core.cpus.front(), 0);
  EXPECT_EQ(core.cpus.back(), 15);
  EXPECT_TRUE(core.NeedsExtendedType());

  const CorePmu& atom = pmus->core_pmus[1];
  EXPECT_EQ(atom.name, "cpu_atom");
  EXPECT_EQ(atom.kind, CoreKind::kAtom);
  EXPECT_EQ(atom.type, 8u);
  EXPECT_EQ(atom.cpus, (std::vector<int>{16, 17, 18, 19}));

  EXPECT_EQ(pmus->PmuForCpu(0)->name, "cpu_core");
  EXPECT_EQ(pmus->PmuForCpu(15)->name, "cpu_core");
  EXPECT_EQ(pmus->PmuForCpu(16)->name, "cpu_atom");
  EXPECT_EQ(pmus->PmuForCpu(19)->name, "cpu_atom");
  EXPECT_EQ(pmus->PmuForCpu(20), nullptr);
  EXPECT_EQ(pmus->PmuByType(8)->name, "cpu_atom");
  EXPECT_EQ(pmus->PmuByType(13), nullptr);  // uncore is not a core PMU
  EXPECT_EQ(pmus->Describe(),
            "cpu_core(type 4, cpus 0-15) cpu_atom(type 8, cpus 16-19)");
}

TEST(PmuTest, PlainMachineHasOneCpuPmuCoveringEveryCpu) {
  FakeSysfs sysfs;
  sysfs.AddPmu("cpu", "4");  // no cpus file, as on x86
  sysfs.AddPmu("software", "1");

  absl::StatusOr<PmuTopology> pmus = DiscoverPmus(sysfs.root());
  ASSERT_TRUE(pmus.ok()) << pmus.status();
  ASSERT_EQ(pmus->core_pmus.size(), 1u);
  EXPECT_FALSE(pmus->hybrid());
  const CorePmu& cpu = pmus->core_pmus[0];
  EXPECT_EQ(cpu.kind, CoreKind::kPlain);
  EXPECT_EQ(cpu.type, 4u);
  EXPECT_TRUE(cpu.all_cpus);
  EXPECT_FALSE(cpu.NeedsExtendedType());
  EXPECT_EQ(pmus->PmuForCpu(0), &cpu);
  EXPECT_EQ(pmus->PmuForCpu(255), &cpu);
  EXPECT_EQ(pmus->Describe(), "cpu(type 4, cpus all)");
}

TEST(PmuTest, VmWithoutCorePmuIsAnEmptyTopology) {
  FakeSysfs sysfs;
  sysfs.AddPmu("software", "1");
  sysfs.AddPmu("tracepoint", "2");
  sysfs.AddPmu("breakpoint", "5");

  absl::StatusOr<PmuTopology> pmus = DiscoverPmus(sysfs.root());
  ASSERT_TRUE(pmus.ok()) << pmus.status();
  EXPECT_TRUE(pmus->empty());
  EXPECT_FALSE(pmus->hybrid());
  EXPECT_EQ(pmus->PmuForCpu(0), nullptr);
  EXPECT_EQ(pmus->Describe(), "no core PMU");
}

TEST(PmuTest, MissingRootIsNotFound) {
  absl::StatusOr<PmuTopology> pmus = DiscoverPmus("/nonexistent/devices");
  EXPECT_EQ(pmus.status().code(), absl::StatusCode::kNotFound);
}

TEST(PmuTest, MalformedFilesAreErrors) {
  FakeSysfs bad_type;
  bad_type.AddPmu("cpu_core", "four", "0-3");
  EXPECT_EQ(DiscoverPmus(bad_type.root()).status().code(),
            absl::StatusCode::kInvalidArgument);

  FakeSysfs bad_cpus;
  bad_cpus.AddPmu("cpu_atom", "8", "3-1");
  absl::Status status = DiscoverPmus(bad_cpus.root()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("cpus"), absl::string_view::npos) << status;
}

TEST(PmuTest, CoreKindNames) {
  EXPECT_EQ(CoreKindName(CoreKind::kPlain), "cpu");
  EXPECT_EQ(CoreKindName(CoreKind::kCore), "core");
  EXPECT_EQ(CoreKindName(CoreKind::kAtom), "atom");
  EXPECT_EQ(CoreKindName(CoreKind::kLowPower), "lowpower");
}

}  // namespace
}  // namespace copyscope::perfmon
