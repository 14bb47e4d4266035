#include "harness/env/provenance.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "harness/record/sha256.h"
#include "perfmon/cpu_list.h"

namespace copyscope::env {
namespace {

namespace fs = std::filesystem;

std::string Under(const std::string& root, absl::string_view path) {
  return absl::StrCat(absl::StripSuffix(root, "/"), "/", path);
}

// The file's contents with surrounding whitespace removed, or nullopt.
std::optional<std::string> ReadTrimmed(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  std::string s = ss.str();
  absl::StripAsciiWhitespace(&s);
  return s;
}

// The names in a directory, sorted; nullopt when it cannot be listed.
std::optional<std::set<std::string>> ListDir(const std::string& path) {
  std::error_code ec;
  fs::directory_iterator it(path, ec);
  if (ec) return std::nullopt;
  std::set<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    names.insert(it->path().filename().string());
  }
  return names;
}

// The number a name like "cpu12" ends with after prefix, or nullopt.
std::optional<int> NumberAfter(absl::string_view name,
                               absl::string_view prefix) {
  int n = 0;
  if (!absl::ConsumePrefix(&name, prefix) || name.empty() ||
      !std::all_of(name.begin(), name.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(name, &n)) {
    return std::nullopt;
  }
  return n;
}

constexpr char kCpuDir[] = "sys/devices/system/cpu";

// The online CPUs: the kernel's list, else the cpuN directories.
std::vector<int> OnlineCpus(const std::string& root) {
  std::optional<std::string> online =
      ReadTrimmed(Under(root, absl::StrCat(kCpuDir, "/online")));
  if (online) {
    absl::StatusOr<std::vector<int>> cpus =
        perfmon::ParseKernelCpuList(*online);
    if (cpus.ok()) return *cpus;
  }
  std::vector<int> cpus;
  for (const std::string& name :
       ListDir(Under(root, kCpuDir)).value_or(std::set<std::string>{})) {
    if (std::optional<int> n = NumberAfter(name, "cpu")) cpus.push_back(*n);
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::string CpuFile(const std::string& root, int cpu, absl::string_view rel) {
  return Under(root, absl::StrCat(kCpuDir, "/cpu", cpu, "/", rel));
}

std::string Escaped(absl::string_view s) {
  return absl::StrReplaceAll(
      s, {{"\\", "\\\\"}, {"\n", "\\n"}, {"\r", "\\r"}, {"=", "\\="}});
}

// One line of the canonical text: key=value, both escaped, so no key or
// value can pass for another line or another split of the same line.
void Line(std::string* out, absl::string_view key, absl::string_view value) {
  absl::StrAppend(out, Escaped(key), "=", Escaped(value), "\n");
}

}  // namespace

std::string ReadKernelCmdline(const std::string& root) {
  return ReadTrimmed(Under(root, "proc/cmdline")).value_or(kUnknown);
}

std::string ReadKernelRelease(const std::string& root) {
  std::string r =
      ReadTrimmed(Under(root, "proc/sys/kernel/osrelease")).value_or("");
  return r.empty() ? kUnknown : r;
}

std::string ReadCpuModel(const std::string& root) {
  std::ifstream in(Under(root, "proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "model name")) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    absl::StripAsciiWhitespace(&v);
    if (!v.empty()) return v;
  }
  return kUnknown;
}

CpuCounts ReadCpuCounts(const std::string& root) {
  CpuCounts c;
  std::vector<int> cpus = OnlineCpus(root);
  c.cpus = static_cast<int>(cpus.size());
  std::set<std::pair<int, int>> cores;
  for (int cpu : cpus) {
    int package = 0;
    int core = 0;
    std::optional<std::string> p =
        ReadTrimmed(CpuFile(root, cpu, "topology/physical_package_id"));
    std::optional<std::string> k =
        ReadTrimmed(CpuFile(root, cpu, "topology/core_id"));
    if (!p || !k || !absl::SimpleAtoi(*p, &package) ||
        !absl::SimpleAtoi(*k, &core)) {
      return c;  // one CPU without its topology: the cores are unknown
    }
    cores.emplace(package, core);
  }
  c.cores = static_cast<int>(cores.size());
  return c;
}

Governors ReadGovernors(const std::string& root) {
  Governors g;
  std::map<std::string, std::vector<int>> by_governor;
  bool any = false;
  for (int cpu : OnlineCpus(root)) {
    std::string v = ReadTrimmed(CpuFile(root, cpu, "cpufreq/scaling_governor"))
                        .value_or("");
    if (v.empty()) {
      v = kUnknown;
    } else {
      any = true;
    }
    g.per_cpu[cpu] = v;
    by_governor[v].push_back(cpu);
  }
  if (!any) return g;
  if (by_governor.size() == 1) {
    g.summary = by_governor.begin()->first;
    return g;
  }
  std::vector<std::string> parts;
  for (const auto& [governor, cpus] : by_governor) {
    parts.push_back(
        absl::StrCat(governor, " (cpus ", perfmon::FormatCpuList(cpus), ")"));
  }
  g.summary = absl::StrJoin(parts, ", ");
  return g;
}

Turbo ReadTurbo(const std::string& root) {
  // intel_pstate says whether turbo is off; cpufreq/boost whether it is on.
  struct Source {
    const char* path;
    const char* if_one;
    const char* if_zero;
  };
  static constexpr Source kSources[] = {
      {"sys/devices/system/cpu/intel_pstate/no_turbo", "off", "on"},
      {"sys/devices/system/cpu/cpufreq/boost", "on", "off"},
  };
  for (const Source& s : kSources) {
    std::string path = Under(root, s.path);
    std::optional<std::string> v = ReadTrimmed(path);
    if (!v) continue;
    Turbo t;
    t.source = path;
    if (*v == "1") {
      t.state = s.if_one;
    } else if (*v == "0") {
      t.state = s.if_zero;
    } else {
      absl::StrAppend(&t.source, " held \"", *v, "\"");
    }
    return t;
  }
  return Turbo{};
}

std::map<std::string, std::string> ReadMitigations(const std::string& root) {
  std::map<std::string, std::string> out;
  std::string dir = Under(root, "sys/devices/system/cpu/vulnerabilities");
  for (const std::string& name :
       ListDir(dir).value_or(std::set<std::string>{})) {
    std::string v =
        ReadTrimmed(absl::StrCat(dir, "/", name)).value_or(kUnknown);
    out[name] = v.empty() ? kUnknown : v;
  }
  return out;
}

std::string ReadThp(const std::string& name, const std::string& root) {
  std::optional<std::string> v = ReadTrimmed(
      Under(root, absl::StrCat("sys/kernel/mm/transparent_hugepage/", name)));
  if (!v) return kUnknown;
  size_t open = v->find('[');
  size_t close = v->find(']', open);
  if (open == std::string::npos || close == std::string::npos ||
      close == open + 1) {
    return kUnknown;
  }
  return v->substr(open + 1, close - open - 1);
}

std::string ReadIrqBalance(const std::string& root) {
  std::string proc = Under(root, "proc");
  bool any = false;
  for (const std::string& name :
       ListDir(proc).value_or(std::set<std::string>{})) {
    if (!NumberAfter(name, "")) continue;
    // A process may end between the listing and the read: skip it.
    std::optional<std::string> comm =
        ReadTrimmed(absl::StrCat(proc, "/", name, "/comm"));
    if (!comm) continue;
    any = true;
    if (*comm == "irqbalance") return "running";
  }
  return any ? "not running" : kUnknown;
}

MachineFacts CollectMachineFacts(const std::string& root) {
  MachineFacts m;
  m.kernel_cmdline = ReadKernelCmdline(root);
  m.kernel_release = ReadKernelRelease(root);
  m.cpu_model = ReadCpuModel(root);
  m.counts = ReadCpuCounts(root);
  m.governors = ReadGovernors(root);
  m.turbo = ReadTurbo(root);
  m.mitigations = ReadMitigations(root);
  m.thp_enabled = ReadThp("enabled", root);
  m.thp_defrag = ReadThp("defrag", root);
  m.irqbalance = ReadIrqBalance(root);
  return m;
}

absl::StatusOr<std::string> BinarySha256(const std::string& path) {
  return record::Sha256File(path);
}

TestbedFacts TestbedFactsOf(
    const MachineFacts& machine,
    std::vector<std::pair<std::string, std::string>> sysctls, std::string nic,
    std::string nic_driver) {
  TestbedFacts t;
  t.cpu_model = machine.cpu_model;
  t.cpus = machine.counts.cpus;
  t.cores = machine.counts.cores;
  t.kernel_release = machine.kernel_release;
  t.governor = machine.governors.summary;
  t.turbo = machine.turbo.state;
  t.thp_enabled = machine.thp_enabled;
  t.thp_defrag = machine.thp_defrag;
  t.mitigations = machine.mitigations;
  t.sysctls = std::move(sysctls);
  t.nic = std::move(nic);
  t.nic_driver = std::move(nic_driver);
  return t;
}

std::string TestbedCanonicalText(const TestbedFacts& f) {
  std::string out = "copyscope testbed 1\n";
  Line(&out, "cpu_model", f.cpu_model);
  Line(&out, "cpus", absl::StrCat(f.cpus));
  Line(&out, "cores", absl::StrCat(f.cores));
  Line(&out, "kernel_release", f.kernel_release);
  Line(&out, "governor", f.governor);
  Line(&out, "turbo", f.turbo);
  Line(&out, "thp_enabled", f.thp_enabled);
  Line(&out, "thp_defrag", f.thp_defrag);
  // An empty list is written as such, so "none read" differs from "none".
  if (f.mitigations.empty()) Line(&out, "mitigations", kUnknown);
  for (const auto& [name, text] : f.mitigations) {
    Line(&out, absl::StrCat("mitigation.", name), text);
  }
  std::vector<std::pair<std::string, std::string>> sysctls = f.sysctls;
  std::sort(sysctls.begin(), sysctls.end());
  for (const auto& [name, value] : sysctls) {
    Line(&out, absl::StrCat("sysctl.", name), value);
  }
  Line(&out, "nic", f.nic);
  Line(&out, "nic_driver", f.nic_driver);
  return out;
}

std::string TestbedFingerprint(const TestbedFacts& facts) {
  return record::Sha256Hex(TestbedCanonicalText(facts));
}

}  // namespace copyscope::env
