// The CPU topology copyscope places threads on: logical CPUs with their
// package, NUMA node, physical core, SMT siblings and kind (P-core, E-core,
// or plain core where the machine reports no kinds). Discovered with hwloc
// from the live machine or from an hwloc XML file (a machine you do not have).
// After discovery the Topology is a plain value: copyable, no hwloc handle.
//
// Usage:
//   absl::StatusOr<Topology> topo = Topology::Load(xml_path);  // "" = live
//   if (!topo.ok()) return topo.status();  // one-line InvalidArgument
//   std::cout << topo->Summary() << "\n" << topo->FormatTable();
//   // "8 P-cores (16 threads) + 4 E-cores, 1 package, 1 NUMA node"
//   for (const LogicalCpu& cpu : topo->cpus()) { ... cpu.core_class ... }
#ifndef COPYSCOPE_HARNESS_ENV_TOPOLOGY_TOPOLOGY_H_
#define COPYSCOPE_HARNESS_ENV_TOPOLOGY_TOPOLOGY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "perfmon/cpu_list.h"

namespace copyscope::topology {

// A CPU number meaning "not pinned" wherever a CPU is expected.
inline constexpr int kUnpinned = -1;

// The class of a core. kUniform: the machine does not tell kinds apart (no
// kinds, one kind, or kinds hwloc could not rank), so every core is alike.
enum class CoreClass { kUniform, kPerformance, kEfficiency };

// "core", "P-core" or "E-core".
absl::string_view CoreClassName(CoreClass c);

// One logical CPU (hwloc PU, a Linux CPU number).
struct LogicalCpu {
  int cpu = -1;            // OS index: the number sched_setaffinity takes.
  int package = -1;        // Package OS index; -1 when hwloc reports none.
  int numa_node = -1;      // First NUMA node holding this CPU; -1 if none.
  int core = -1;           // Machine-wide core number (unique across packages).
  int core_os_index = -1;  // Core id as the OS reports it (may repeat per
                           // package); -1 when unknown.
  int smt_index = 0;       // Position among the core's threads, 0 = first.
  std::vector<int> smt_siblings;  // Other CPUs of the same core, ascending.
  CoreClass core_class = CoreClass::kUniform;
  int kind = -1;  // Index into Topology::kinds(); -1 if no kinds.
};

// One physical core and its logical CPUs (ascending).
struct Core {
  int id = -1;  // Same as LogicalCpu::core.
  int package = -1;
  int numa_node = -1;
  CoreClass core_class = CoreClass::kUniform;
  std::vector<int> cpus;
};

// One hwloc CPU kind: a set of identical CPUs.
struct CpuKind {
  int efficiency = -1;        // hwloc rank, higher = faster; -1 unknown.
  std::string core_type;      // hwloc "CoreType" info ("IntelCore",
                              // "IntelAtom"); empty if not reported.
  int frequency_max_mhz = 0;  // hwloc "FrequencyMaxMHz"; 0 if not reported.
  CoreClass core_class = CoreClass::kUniform;
  std::vector<int> cpus;  // Ascending.
};

class Topology {
 public:
  // Discovers the machine this process runs on (only the CPUs its cgroup
  // allows, as hwloc reports by default).
  static absl::StatusOr<Topology> Discover();

  // Loads an hwloc XML export (lstopo --of xml, hwloc 2.x). An unreadable or
  // invalid file is InvalidArgument naming the file.
  static absl::StatusOr<Topology> FromXmlFile(const std::string& path);

  // FromXmlFile(xml_path), or Discover() when xml_path is empty: the one call
  // behind --topology-xml.
  static absl::StatusOr<Topology> Load(const std::string& xml_path);

  // "this machine" or the XML path.
  const std::string& source() const { return source_; }
  // True for Discover(): pins computed from it can be applied here.
  bool is_live() const { return live_; }

  // All logical CPUs, ascending by CPU number.
  const std::vector<LogicalCpu>& cpus() const { return cpus_; }
  // All physical cores, ascending by id.
  const std::vector<Core>& cores() const { return cores_; }
  // hwloc's CPU kinds, from least to most performant when ranked.
  const std::vector<CpuKind>& kinds() const { return kinds_; }

  // The CPU with this OS index, or nullptr if the topology has none.
  const LogicalCpu* FindCpu(int cpu) const;
  // True when P-cores and E-cores are told apart.
  bool is_hybrid() const;
  // CPUs (ascending) whose core has this class.
  std::vector<int> CpusOfClass(CoreClass c) const;
  int num_packages() const { return num_packages_; }
  int num_numa_nodes() const { return num_numa_nodes_; }

  // One line, e.g. "8 P-cores (16 threads) + 4 E-cores, 1 package, 1 NUMA
  // node" or "2 cores (2 threads), 1 package, 1 NUMA node, no CPU kinds (all
  // cores alike)".
  std::string Summary() const;

  // A table, one row per logical CPU (CPU, package, NUMA node, core, SMT
  // siblings, kind), followed by one line per CPU kind. Ends with "\n".
  std::string FormatTable() const;

  // Builds a topology from extracted parts (discovery uses it; so can tests
  // and tools). Only cpu, package, numa_node, core and core_os_index of each
  // LogicalCpu are read; siblings, classes and counts are derived. Kinds need
  // efficiency, core_type, frequency_max_mhz and cpus; classes are derived
  // (see README.md). num_numa_nodes < 0 counts the nodes holding CPUs.
  static Topology FromParts(std::string source, bool live,
                            std::vector<LogicalCpu> cpus,
                            std::vector<CpuKind> kinds, int num_numa_nodes);

 private:
  Topology() = default;
  void ClassifyKinds();

  std::string source_;
  bool live_ = false;
  std::vector<LogicalCpu> cpus_;
  std::vector<Core> cores_;
  std::vector<CpuKind> kinds_;
  std::string kinds_note_;  // e.g. "no CPU kinds (all cores alike)".
  int num_packages_ = 0;
  int num_numa_nodes_ = 0;
};

// CPU lists ("0-3,8") are read and written by perfmon/cpu_list.h.
using perfmon::FormatCpuList;

}  // namespace copyscope::topology

#endif  // COPYSCOPE_HARNESS_ENV_TOPOLOGY_TOPOLOGY_H_
