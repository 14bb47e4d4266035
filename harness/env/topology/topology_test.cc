#include "harness/env/topology/topology.h"

#include <sched.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::topology {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTestdata[] = "harness/env/topology/testdata/";

Topology Fixture(const std::string& name) {
  absl::StatusOr<Topology> t = Topology::FromXmlFile(kTestdata + name);
  EXPECT_TRUE(t.ok()) << t.status();
  return *std::move(t);
}

std::vector<int> Range(int lo, int hi) {
  std::vector<int> out;
  for (int i = lo; i <= hi; ++i) out.push_back(i);
  return out;
}

// The whitespace-separated cells of the table row for `cpu`.
std::vector<std::string> TableRow(const std::string& table, int cpu) {
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    std::vector<std::string> cells =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (!cells.empty() && cells[0] == std::to_string(cpu)) return cells;
  }
  return {};
}

TEST(TopologyTest, HybridTellsPCoresFromECores) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  EXPECT_TRUE(t.is_hybrid());
  EXPECT_FALSE(t.is_live());
  EXPECT_EQ(t.Summary(),
            "8 P-cores (16 threads) + 4 E-cores, 1 package, 1 NUMA node");
  EXPECT_THAT(t.CpusOfClass(CoreClass::kPerformance),
              ElementsAreArray(Range(0, 15)));
  EXPECT_THAT(t.CpusOfClass(CoreClass::kEfficiency),
              ElementsAreArray(Range(16, 19)));
  EXPECT_THAT(t.CpusOfClass(CoreClass::kUniform), IsEmpty());
  ASSERT_EQ(t.cpus().size(), 20u);
  EXPECT_EQ(t.cores().size(), 12u);

  const LogicalCpu* c1 = t.FindCpu(1);
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->core, 0);
  EXPECT_EQ(c1->smt_index, 1);
  EXPECT_THAT(c1->smt_siblings, ElementsAre(0));
  EXPECT_EQ(c1->package, 0);
  EXPECT_EQ(c1->numa_node, 0);

  const LogicalCpu* c17 = t.FindCpu(17);
  ASSERT_NE(c17, nullptr);
  EXPECT_EQ(c17->core_class, CoreClass::kEfficiency);
  EXPECT_THAT(c17->smt_siblings, IsEmpty());
  EXPECT_EQ(t.FindCpu(20), nullptr);

  ASSERT_EQ(t.kinds().size(), 2u);
  for (const CpuKind& k : t.kinds()) {
    if (k.core_type == "IntelCore") {
      EXPECT_EQ(k.core_class, CoreClass::kPerformance);
      EXPECT_EQ(k.frequency_max_mhz, 4900);
    } else {
      EXPECT_EQ(k.core_type, "IntelAtom");
      EXPECT_EQ(k.core_class, CoreClass::kEfficiency);
    }
  }
}

TEST(TopologyTest, HybridTableHasOneRowPerCpu) {
  Topology t = Fixture("hybrid_i7_12700.xml");
  const std::string table = t.FormatTable();
  EXPECT_THAT(table, HasSubstr("CPU  PACKAGE  NUMA  CORE  SMT SIBLINGS  KIND"));
  EXPECT_THAT(TableRow(table, 0),
              ElementsAre("0", "0", "0", "0", "1", "P-core"));
  EXPECT_THAT(TableRow(table, 15),
              ElementsAre("15", "0", "0", "7", "14", "P-core"));
  EXPECT_THAT(TableRow(table, 19),
              ElementsAre("19", "0", "0", "11", "-", "E-core"));
  EXPECT_THAT(table, HasSubstr("CoreType IntelAtom"));
  EXPECT_THAT(table, HasSubstr("told apart by hwloc CoreType"));
}

TEST(TopologyTest, NumaServerHasTwoPackagesAndUniqueCoreIds) {
  Topology t = Fixture("numa_2socket.xml");
  EXPECT_FALSE(t.is_hybrid());
  EXPECT_EQ(t.Summary(),
            "8 cores (16 threads), 2 packages, 2 NUMA nodes, no CPU kinds (all "
            "cores alike)");
  EXPECT_EQ(t.num_packages(), 2);
  EXPECT_EQ(t.num_numa_nodes(), 2);
  const LogicalCpu* c12 = t.FindCpu(12);
  ASSERT_NE(c12, nullptr);
  EXPECT_EQ(c12->package, 1);
  EXPECT_EQ(c12->numa_node, 1);
  EXPECT_EQ(c12->core, 4);
  EXPECT_EQ(c12->core_os_index, 0);  // The OS restarts core ids per package.
  EXPECT_EQ(c12->smt_index, 1);
  EXPECT_THAT(c12->smt_siblings, ElementsAre(4));
  EXPECT_EQ(c12->core_class, CoreClass::kUniform);
  EXPECT_THAT(TableRow(t.FormatTable(), 4),
              ElementsAre("4", "1", "1", "4", "12", "core"));
}

TEST(TopologyTest, PlainVmSaysAllCoresAreAlike) {
  Topology t = Fixture("vm_2core.xml");
  EXPECT_FALSE(t.is_hybrid());
  EXPECT_EQ(t.Summary(),
            "2 cores (2 threads), 1 package, 1 NUMA node, no CPU kinds (all "
            "cores alike)");
  EXPECT_THAT(t.CpusOfClass(CoreClass::kUniform), ElementsAre(0, 1));
  EXPECT_THAT(t.CpusOfClass(CoreClass::kEfficiency), IsEmpty());
  EXPECT_THAT(TableRow(t.FormatTable(), 1),
              ElementsAre("1", "0", "0", "1", "-", "core"));
}

TEST(TopologyTest, ArmBigLittleRankedByFrequency) {
  Topology t = Fixture("arm_big_little.xml");
  EXPECT_TRUE(t.is_hybrid());
  EXPECT_EQ(t.Summary(), "4 P-cores + 4 E-cores, 1 package, 1 NUMA node");
  EXPECT_THAT(t.CpusOfClass(CoreClass::kPerformance), ElementsAre(4, 5, 6, 7));
  EXPECT_THAT(t.CpusOfClass(CoreClass::kEfficiency), ElementsAre(0, 1, 2, 3));
}

TEST(TopologyTest, LiveMachineIsDiscovered) {
  absl::StatusOr<Topology> t = Topology::Load("");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->is_live());
  EXPECT_EQ(t->source(), "this machine");
  ASSERT_FALSE(t->cpus().empty());
  EXPECT_NE(t->FindCpu(sched_getcpu()), nullptr);
  EXPECT_THAT(t->Summary(), HasSubstr("package"));
  size_t threads = 0;
  for (const Core& core : t->cores()) threads += core.cpus.size();
  EXPECT_EQ(threads, t->cpus().size());
}

TEST(TopologyTest, MissingXmlIsInvalidArgumentNamingTheFile) {
  const std::string path = std::string(kTestdata) + "no_such_file.xml";
  absl::StatusOr<Topology> t = Topology::Load(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr(path));
  EXPECT_THAT(t.status().message(), HasSubstr("No such file"));
}

TEST(TopologyTest, GarbageXmlIsInvalidArgumentNamingTheFile) {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/garbage.xml";
  std::ofstream(path) << "<topology version=\"2.0\"><object type=\"nonsense";
  absl::StatusOr<Topology> t = Topology::FromXmlFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr(path));
  EXPECT_THAT(t.status().message(), HasSubstr("lstopo --of xml"));
}

TEST(TopologyTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/t.xml";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  absl::StatusOr<Topology> t = Topology::FromXmlFile(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("not a regular file"));
}

LogicalCpu Cpu(int cpu, int core) {
  LogicalCpu c;
  c.cpu = cpu;
  c.core = core;
  c.package = 0;
  c.numa_node = 0;
  return c;
}

TEST(TopologyTest, IntelCoreKindsSplitByTurboStayPCores) {
  // Favoured P-cores (higher turbo) form a kind of their own.
  std::vector<CpuKind> kinds(3);
  kinds[0] = {0, "IntelAtom", 3600, CoreClass::kUniform, {4, 5}};
  kinds[1] = {1, "IntelCore", 4700, CoreClass::kUniform, {2, 3}};
  kinds[2] = {2, "IntelCore", 4900, CoreClass::kUniform, {0, 1}};
  Topology t = Topology::FromParts(
      "parts", false,
      {Cpu(0, 0), Cpu(1, 0), Cpu(2, 1), Cpu(3, 1), Cpu(4, 2), Cpu(5, 3)}, kinds,
      -1);
  EXPECT_THAT(t.CpusOfClass(CoreClass::kPerformance), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(t.CpusOfClass(CoreClass::kEfficiency), ElementsAre(4, 5));
  EXPECT_EQ(t.Summary(),
            "2 P-cores (4 threads) + 2 E-cores, 1 package, 1 NUMA node");
}

TEST(TopologyTest, UnrankedKindsAreTreatedAlikeAndSaidSo) {
  std::vector<CpuKind> kinds(2);
  kinds[0] = {-1, "", 0, CoreClass::kUniform, {0}};
  kinds[1] = {-1, "", 0, CoreClass::kUniform, {1}};
  Topology t =
      Topology::FromParts("parts", false, {Cpu(0, 0), Cpu(1, 1)}, kinds, 1);
  EXPECT_FALSE(t.is_hybrid());
  EXPECT_EQ(t.Summary(),
            "2 cores (2 threads), 1 package, 1 NUMA node, 2 CPU kinds that "
            "hwloc could not rank (all cores treated alike)");
}

}  // namespace
}  // namespace copyscope::topology
