#include "harness/env/topology/topology.h"

#include <fcntl.h>
#include <hwloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/config/text_table.h"

#if HWLOC_API_VERSION < 0x00020400
#error "copyscope needs hwloc 2.4 or later (CPU kinds)"
#endif

namespace copyscope::topology {
namespace {

// Largest CPU number a list may name; far above any real machine.

// Owns an hwloc topology handle.
class HwlocHandle {
 public:
  HwlocHandle() = default;
  HwlocHandle(const HwlocHandle&) = delete;
  HwlocHandle& operator=(const HwlocHandle&) = delete;
  ~HwlocHandle() {
    if (initialized_) hwloc_topology_destroy(topo_);
  }
  bool Init() {
    initialized_ = hwloc_topology_init(&topo_) == 0;
    return initialized_;
  }
  hwloc_topology_t get() const { return topo_; }

 private:
  hwloc_topology_t topo_ = nullptr;
  bool initialized_ = false;
};

int OsIndexOrLogical(hwloc_obj_t obj) {
  if (obj == nullptr) return -1;
  if (obj->os_index != HWLOC_UNKNOWN_INDEX)
    return static_cast<int>(obj->os_index);
  return static_cast<int>(obj->logical_index);
}

std::vector<int> BitmapToCpus(hwloc_const_bitmap_t set) {
  std::vector<int> out;
  for (int id = hwloc_bitmap_first(set); id >= 0;
       id = hwloc_bitmap_next(set, id)) {
    out.push_back(id);
  }
  return out;
}

// Reads everything copyscope needs out of a loaded hwloc topology.
absl::StatusOr<Topology> Extract(hwloc_topology_t t, std::string source,
                                 bool live) {
  const int num_pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
  if (num_pus <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("topology of ", source, " has no logical CPUs"));
  }
  const int num_nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
  std::vector<LogicalCpu> cpus;
  for (int i = 0; i < num_pus; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, i);
    if (pu->os_index == HWLOC_UNKNOWN_INDEX) {
      return absl::InvalidArgumentError(absl::StrCat(
          "topology of ", source, " has a logical CPU without a CPU number"));
    }
    LogicalCpu c;
    c.cpu = static_cast<int>(pu->os_index);
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu);
    if (core != nullptr) {
      c.core = static_cast<int>(core->logical_index);
      c.core_os_index = core->os_index == HWLOC_UNKNOWN_INDEX
                            ? -1
                            : static_cast<int>(core->os_index);
    }
    c.package = OsIndexOrLogical(
        hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu));
    for (int n = 0; n < num_nodes; ++n) {
      hwloc_obj_t node = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, n);
      if (node->cpuset != nullptr &&
          hwloc_bitmap_isset(node->cpuset, pu->os_index)) {
        c.numa_node = OsIndexOrLogical(node);
        break;
      }
    }
    cpus.push_back(std::move(c));
  }

  std::vector<CpuKind> kinds;
  const int num_kinds = hwloc_cpukinds_get_nr(t, 0);
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  for (int k = 0; k < num_kinds; ++k) {
    CpuKind kind;
    unsigned num_infos = 0;
    struct hwloc_info_s* infos = nullptr;
    if (hwloc_cpukinds_get_info(t, k, set, &kind.efficiency, &num_infos, &infos,
                                0) != 0) {
      continue;
    }
    for (unsigned i = 0; i < num_infos; ++i) {
      if (std::strcmp(infos[i].name, "CoreType") == 0) {
        kind.core_type = infos[i].value;
      } else if (std::strcmp(infos[i].name, "FrequencyMaxMHz") == 0) {
        int mhz = 0;
        if (absl::SimpleAtoi(infos[i].value, &mhz))
          kind.frequency_max_mhz = mhz;
      }
    }
    kind.cpus = BitmapToCpus(set);
    kinds.push_back(std::move(kind));
  }
  hwloc_bitmap_free(set);
  return Topology::FromParts(std::move(source), live, std::move(cpus),
                             std::move(kinds), std::max(num_nodes, 1));
}

std::string Plural(int n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

absl::string_view CoreClassName(CoreClass c) {
  static constexpr absl::string_view kNames[] = {"core", "P-core", "E-core"};
  return kNames[static_cast<size_t>(c)];
}

absl::StatusOr<Topology> Topology::Discover() {
  HwlocHandle h;
  if (!h.Init() || hwloc_topology_load(h.get()) != 0) {
    return absl::InternalError(
        absl::StrCat("hwloc could not discover this machine's topology: ",
                     std::strerror(errno), "; fix: pass --topology-xml=FILE"));
  }
  return Extract(h.get(), "this machine", /*live=*/true);
}

absl::StatusOr<Topology> Topology::FromXmlFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read topology XML '", path, "': ", std::strerror(errno),
        "; fix: pass a file written by `lstopo --of xml`"));
  }
  struct stat st;
  const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  close(fd);
  if (!regular) {
    return absl::InvalidArgumentError(absl::StrCat(
        "topology XML '", path,
        "' is not a regular file; fix: pass a file written by `lstopo --of "
        "xml`"));
  }
  HwlocHandle h;
  if (!h.Init()) {
    return absl::InternalError("hwloc_topology_init failed");
  }
  if (hwloc_topology_set_xml(h.get(), path.c_str()) != 0 ||
      hwloc_topology_load(h.get()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path, "' is not a valid hwloc XML topology",
        "; fix: pass a file written by `lstopo --of xml` (hwloc 2.x)"));
  }
  return Extract(h.get(), path, /*live=*/false);
}

absl::StatusOr<Topology> Topology::Load(const std::string& xml_path) {
  if (xml_path.empty()) return Discover();
  return FromXmlFile(xml_path);
}

Topology Topology::FromParts(std::string source, bool live,
                             std::vector<LogicalCpu> cpus,
                             std::vector<CpuKind> kinds, int num_numa_nodes) {
  Topology t;
  t.source_ = std::move(source);
  t.live_ = live;
  std::sort(
      cpus.begin(), cpus.end(),
      [](const LogicalCpu& a, const LogicalCpu& b) { return a.cpu < b.cpu; });
  // A CPU without a core is a core of its own.
  int next_core = 0;
  for (const LogicalCpu& c : cpus) next_core = std::max(next_core, c.core + 1);
  for (LogicalCpu& c : cpus) {
    if (c.core < 0) c.core = next_core++;
  }
  t.cpus_ = std::move(cpus);
  t.kinds_ = std::move(kinds);
  for (CpuKind& k : t.kinds_) std::sort(k.cpus.begin(), k.cpus.end());
  t.ClassifyKinds();

  std::map<int, Core> cores;
  std::set<int> packages, nodes;
  for (const LogicalCpu& c : t.cpus_) {
    Core& core = cores[c.core];
    if (core.cpus.empty()) {
      core.id = c.core;
      core.package = c.package;
      core.numa_node = c.numa_node;
      core.core_class = c.core_class;
    }
    core.cpus.push_back(c.cpu);  // Ascending: cpus_ is sorted.
    packages.insert(c.package);
    if (c.numa_node >= 0) nodes.insert(c.numa_node);
  }
  for (LogicalCpu& c : t.cpus_) {
    const Core& core = cores[c.core];
    c.smt_siblings.clear();
    for (size_t i = 0; i < core.cpus.size(); ++i) {
      if (core.cpus[i] == c.cpu) {
        c.smt_index = static_cast<int>(i);
      } else {
        c.smt_siblings.push_back(core.cpus[i]);
      }
    }
  }
  for (auto& [id, core] : cores) t.cores_.push_back(std::move(core));
  t.num_packages_ = static_cast<int>(packages.size());
  t.num_numa_nodes_ = num_numa_nodes >= 0
                          ? num_numa_nodes
                          : std::max(1, static_cast<int>(nodes.size()));
  return t;
}

// Decides which kinds are P-cores and which E-cores. In order:
//  1. every kind has a CoreType and one is "IntelCore": IntelCore kinds are
//     P-cores, the others E-cores. (Intel splits P-cores into several kinds
//     when some reach a higher turbo frequency; they stay P-cores.)
//  2. every kind has a known efficiency, not all equal: the most efficient
//     (= most performant in hwloc's terms) kind is P, the others E.
//  3. every kind has FrequencyMaxMHz, not all equal (ARM big.LITTLE): the
//     fastest kind is P, the others E.
// Otherwise all cores are alike, and the summary says why.
void Topology::ClassifyKinds() {
  const size_t n = kinds_.size();
  std::vector<CoreClass> classes(n, CoreClass::kUniform);
  if (n == 0) {
    kinds_note_ = "no CPU kinds (all cores alike)";
  } else if (n == 1) {
    kinds_note_ = "one CPU kind (all cores alike)";
  } else {
    bool all_types = true, any_core = false;
    bool all_eff = true, all_freq = true;
    int max_eff = -1, min_eff = -1, max_freq = 0, min_freq = 0;
    for (size_t i = 0; i < n; ++i) {
      const CpuKind& k = kinds_[i];
      all_types = all_types && !k.core_type.empty();
      any_core = any_core || k.core_type == "IntelCore";
      all_eff = all_eff && k.efficiency >= 0;
      all_freq = all_freq && k.frequency_max_mhz > 0;
      max_eff = i == 0 ? k.efficiency : std::max(max_eff, k.efficiency);
      min_eff = i == 0 ? k.efficiency : std::min(min_eff, k.efficiency);
      max_freq = i == 0 ? k.frequency_max_mhz
                        : std::max(max_freq, k.frequency_max_mhz);
      min_freq = i == 0 ? k.frequency_max_mhz
                        : std::min(min_freq, k.frequency_max_mhz);
    }
    auto assign = [&](auto is_p) {
      for (size_t i = 0; i < n; ++i) {
        classes[i] =
            is_p(kinds_[i]) ? CoreClass::kPerformance : CoreClass::kEfficiency;
      }
    };
    if (all_types && any_core) {
      assign([](const CpuKind& k) { return k.core_type == "IntelCore"; });
      kinds_note_ = "P-cores and E-cores told apart by hwloc CoreType";
    } else if (all_eff && max_eff > min_eff) {
      assign([&](const CpuKind& k) { return k.efficiency == max_eff; });
      kinds_note_ = "P-cores and E-cores told apart by hwloc efficiency rank";
    } else if (all_freq && max_freq > min_freq) {
      assign([&](const CpuKind& k) { return k.frequency_max_mhz == max_freq; });
      kinds_note_ = "P-cores and E-cores told apart by maximum frequency";
    } else {
      kinds_note_ = absl::StrCat(
          n, " CPU kinds that hwloc could not rank (all cores treated alike)");
    }
  }
  std::map<int, int> kind_of_cpu;
  for (size_t i = 0; i < n; ++i) {
    kinds_[i].core_class = classes[i];
    for (int cpu : kinds_[i].cpus) kind_of_cpu[cpu] = static_cast<int>(i);
  }
  for (LogicalCpu& c : cpus_) {
    auto it = kind_of_cpu.find(c.cpu);
    c.kind = it == kind_of_cpu.end() ? -1 : it->second;
    c.core_class = c.kind < 0 ? CoreClass::kUniform : classes[c.kind];
  }
  // Every thread of a core has the class of the core's first thread.
  std::map<int, CoreClass> core_class;
  for (const LogicalCpu& c : cpus_) core_class.emplace(c.core, c.core_class);
  for (LogicalCpu& c : cpus_) c.core_class = core_class[c.core];
}

const LogicalCpu* Topology::FindCpu(int cpu) const {
  auto it = std::lower_bound(
      cpus_.begin(), cpus_.end(), cpu,
      [](const LogicalCpu& c, int value) { return c.cpu < value; });
  if (it == cpus_.end() || it->cpu != cpu) return nullptr;
  return &*it;
}

bool Topology::is_hybrid() const {
  for (const CpuKind& k : kinds_) {
    if (k.core_class != CoreClass::kUniform) return true;
  }
  return false;
}

std::vector<int> Topology::CpusOfClass(CoreClass c) const {
  std::vector<int> out;
  for (const LogicalCpu& cpu : cpus_) {
    if (cpu.core_class == c) out.push_back(cpu.cpu);
  }
  return out;
}

std::string Topology::Summary() const {
  std::map<CoreClass, std::pair<int, int>> counts;  // cores, threads
  for (const Core& core : cores_) {
    auto& [num_cores, num_threads] = counts[core.core_class];
    ++num_cores;
    num_threads += static_cast<int>(core.cpus.size());
  }
  auto part = [&](CoreClass c, absl::string_view one, absl::string_view many,
                  bool always_threads) {
    const auto [num_cores, num_threads] = counts[c];
    std::string s = Plural(num_cores, one, many);
    if (always_threads || num_threads != num_cores) {
      absl::StrAppend(&s, " (", Plural(num_threads, "thread", "threads"), ")");
    }
    return s;
  };
  std::string out;
  if (is_hybrid()) {
    std::vector<std::string> parts;
    if (counts[CoreClass::kPerformance].first > 0) {
      parts.push_back(
          part(CoreClass::kPerformance, "P-core", "P-cores", false));
    }
    if (counts[CoreClass::kEfficiency].first > 0) {
      parts.push_back(part(CoreClass::kEfficiency, "E-core", "E-cores", false));
    }
    if (counts[CoreClass::kUniform].first > 0) {
      parts.push_back(part(CoreClass::kUniform, "core of no kind",
                           "cores of no kind", false));
    }
    out = absl::StrJoin(parts, " + ");
  } else {
    out = part(CoreClass::kUniform, "core", "cores", true);
  }
  absl::StrAppend(&out, ", ", Plural(num_packages_, "package", "packages"),
                  ", ", Plural(num_numa_nodes_, "NUMA node", "NUMA nodes"));
  if (!is_hybrid()) absl::StrAppend(&out, ", ", kinds_note_);
  return out;
}

std::string Topology::FormatTable() const {
  auto number = [](int v) {
    return v < 0 ? std::string("-") : absl::StrCat(v);
  };
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"CPU", "PACKAGE", "NUMA", "CORE", "SMT SIBLINGS", "KIND"});
  for (const LogicalCpu& c : cpus_) {
    std::string siblings = FormatCpuList(c.smt_siblings);
    rows.push_back({absl::StrCat(c.cpu), number(c.package), number(c.numa_node),
                    absl::StrCat(c.core), siblings.empty() ? "-" : siblings,
                    std::string(CoreClassName(c.core_class))});
  }
  std::string out = config::FormatRows(rows);
  for (size_t i = 0; i < kinds_.size(); ++i) {
    const CpuKind& k = kinds_[i];
    std::vector<std::string> facts;
    if (!k.core_type.empty())
      facts.push_back(absl::StrCat("CoreType ", k.core_type));
    if (k.frequency_max_mhz > 0) {
      facts.push_back(absl::StrCat("max ", k.frequency_max_mhz, " MHz"));
    }
    facts.push_back(k.efficiency >= 0
                        ? absl::StrCat("efficiency ", k.efficiency)
                        : std::string("efficiency unknown"));
    absl::StrAppend(&out, "kind ", i, ": ", CoreClassName(k.core_class), ", ",
                    absl::StrJoin(facts, ", "), ": CPUs ",
                    FormatCpuList(k.cpus), "\n");
  }
  absl::StrAppend(&out, kinds_note_, "\n");
  return out;
}

}  // namespace copyscope::topology
