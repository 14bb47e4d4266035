#include "perfmon/pmu.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "perfmon/cpu_list.h"

namespace copyscope::perfmon {
namespace {

struct KnownPmu {
  const char* name;
  CoreKind kind;
};

// The directory names the kernel gives core PMUs, in report order.
constexpr KnownPmu kKnownPmus[] = {
    {"cpu", CoreKind::kPlain},
    {"cpu_core", CoreKind::kCore},
    {"cpu_atom", CoreKind::kAtom},
    {"cpu_lowpower", CoreKind::kLowPower},
};

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Reads a whole small file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::string_view Trim(absl::string_view s) {
  return absl::StripAsciiWhitespace(s);
}

}  // namespace

absl::string_view CoreKindName(CoreKind kind) {
  static constexpr absl::string_view kNames[] = {"cpu", "core", "atom",
                                                 "lowpower"};
  return kNames[static_cast<size_t>(kind)];
}

bool CorePmu::CoversCpu(int cpu) const {
  if (all_cpus) return cpu >= 0;
  return std::binary_search(cpus.begin(), cpus.end(), cpu);
}

const CorePmu* PmuTopology::PmuForCpu(int cpu) const {
  for (const CorePmu& pmu : core_pmus) {
    if (pmu.CoversCpu(cpu)) return &pmu;
  }
  return nullptr;
}

const CorePmu* PmuTopology::PmuByType(uint32_t type) const {
  for (const CorePmu& pmu : core_pmus) {
    if (pmu.type == type) return &pmu;
  }
  return nullptr;
}

std::string PmuTopology::Describe() const {
  if (core_pmus.empty()) return "no core PMU";
  std::vector<std::string> parts;
  for (const CorePmu& pmu : core_pmus) {
    std::string cpus = pmu.all_cpus ? "all" : FormatCpuList(pmu.cpus);
    parts.push_back(
        absl::StrCat(pmu.name, "(type ", pmu.type, ", cpus ", cpus, ")"));
  }
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<PmuTopology> DiscoverPmus(const std::string& sysfs_root) {
  if (!IsDirectory(sysfs_root)) {
    return absl::NotFoundError(
        absl::StrCat("no PMU directory at ", sysfs_root,
                     " (kernel without perf events, or sysfs not mounted)"));
  }
  PmuTopology topology;
  topology.sysfs_root = sysfs_root;
  for (const KnownPmu& known : kKnownPmus) {
    const std::string dir = absl::StrCat(sysfs_root, "/", known.name);
    if (!IsDirectory(dir)) continue;
    CorePmu pmu;
    pmu.name = known.name;
    pmu.kind = known.kind;

    absl::StatusOr<std::string> type_text = ReadSmallFile(dir + "/type");
    if (!type_text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PMU ", dir, " has no readable type file"));
    }
    if (!absl::SimpleAtoi(Trim(*type_text), &pmu.type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PMU ", dir, "/type holds \"", Trim(*type_text), "\", not a number"));
    }

    absl::StatusOr<std::string> cpus_text = ReadSmallFile(dir + "/cpus");
    if (cpus_text.ok()) {
      absl::StatusOr<std::vector<int>> cpus = ParseKernelCpuList(*cpus_text);
      if (!cpus.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("PMU ", dir, "/cpus: ", cpus.status().message()));
      }
      pmu.cpus = *std::move(cpus);
      pmu.all_cpus = false;
    }
    topology.core_pmus.push_back(std::move(pmu));
  }
  return topology;
}

}  // namespace copyscope::perfmon
