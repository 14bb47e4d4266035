// The machine facts a result depends on, beyond what host_info.h records:
// the kernel command line, the cpufreq governor of every CPU, turbo/boost,
// the CPU vulnerability mitigations, transparent huge pages, whether
// irqbalance runs; the SHA-256 of the running binary; and the testbed
// fingerprint, a SHA-256 over the facts that identify a testbed, so that a
// history compares runs of the same machine setup only.
//
//   MachineFacts m = CollectMachineFacts();          // reads / (tests: a dir)
//   m.turbo.state;                                   // "on", "off", "unknown"
//   TestbedFacts t = TestbedFactsOf(m, {{"net.core.rmem_max", "212992"}});
//   std::string fp = TestbedFingerprint(t);          // 64 hex digits
//   absl::StatusOr<std::string> exe = BinarySha256();  // /proc/self/exe
//
// Every reader takes the root directory the paths are under ("/" by
// default), so tests give a tree of their own. A fact that cannot be read is
// "unknown" (or an empty list, or 0 for a count), never a guess.
//
// In the record (schema 5; testbed.h copies them): record::Host holds
// kernel_release, kernel_cmdline, cpu_cores, governors (the summary), turbo
// and turbo_source, mitigations, thp_enabled, thp_defrag, irqbalance and
// testbed_fingerprint; record::Build the binary's SHA-256.
#ifndef COPYSCOPE_HARNESS_ENV_PROVENANCE_H_
#define COPYSCOPE_HARNESS_ENV_PROVENANCE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace copyscope::env {

// What a fact that could not be read is.
inline constexpr char kUnknown[] = "unknown";

// /proc/cmdline, trimmed.
std::string ReadKernelCmdline(const std::string& root = "/");

// /proc/sys/kernel/osrelease, e.g. "6.1.0-18-amd64".
std::string ReadKernelRelease(const std::string& root = "/");

// The first "model name" of /proc/cpuinfo.
std::string ReadCpuModel(const std::string& root = "/");

// The online CPUs (/sys/devices/system/cpu/online, else the cpuN
// directories) and the physical cores among them (distinct
// physical_package_id and core_id of their topology); 0 when unknown.
struct CpuCounts {
  int cpus = 0;
  int cores = 0;
};
CpuCounts ReadCpuCounts(const std::string& root = "/");

// The cpufreq governor of every online CPU ("unknown" for a CPU without
// cpufreq/scaling_governor), and the summary: the governor when all agree
// ("performance"), else each with its CPUs ("performance (cpus 0-5),
// powersave (cpus 6-7)"); "unknown" when no CPU has one.
struct Governors {
  std::map<int, std::string> per_cpu;
  std::string summary = kUnknown;
};
Governors ReadGovernors(const std::string& root = "/");

// Turbo (Intel) or boost (AMD, acpi-cpufreq): "on", "off" or "unknown",
// from intel_pstate/no_turbo or else cpufreq/boost; source is the file the
// state came from ("" when neither exists), and the text it held when that
// was not 0 or 1.
struct Turbo {
  std::string state = kUnknown;
  std::string source;
};
Turbo ReadTurbo(const std::string& root = "/");

// /sys/devices/system/cpu/vulnerabilities: file name -> its text (e.g.
// "spectre_v2" -> "Mitigation: Retpolines; ..."). Empty: unknown.
std::map<std::string, std::string> ReadMitigations(
    const std::string& root = "/");

// The selected value of /sys/kernel/mm/transparent_hugepage/<name>
// ("enabled" or "defrag"): the word in brackets of "always [madvise]
// never".
std::string ReadThp(const std::string& name, const std::string& root = "/");

// "running" when a process of /proc has the comm "irqbalance", "not
// running" when none has, "unknown" when /proc lists no process.
std::string ReadIrqBalance(const std::string& root = "/");

struct MachineFacts {
  std::string kernel_cmdline = kUnknown;
  std::string kernel_release = kUnknown;
  std::string cpu_model = kUnknown;
  CpuCounts counts;
  Governors governors;
  Turbo turbo;
  std::map<std::string, std::string> mitigations;
  std::string thp_enabled = kUnknown;
  std::string thp_defrag = kUnknown;
  std::string irqbalance = kUnknown;
};

// Every fact above.
MachineFacts CollectMachineFacts(const std::string& root = "/");

// Hex SHA-256 of the running binary (record::Sha256File of the path).
absl::StatusOr<std::string> BinarySha256(
    const std::string& path = "/proc/self/exe");

// The facts that identify a testbed: what makes one machine setup give
// other figures than another. Not what changes from run to run (time, pid,
// the binary), nor the kernel command line (it names boot files; the
// settings it makes that matter, mitigations and THP, are here as the
// kernel applies them), nor irqbalance (a service that comes and goes).
struct TestbedFacts {
  std::string cpu_model;
  int cpus = 0;
  int cores = 0;
  std::string kernel_release;
  std::string governor;  // the summary
  std::string turbo;     // the state
  std::string thp_enabled;
  std::string thp_defrag;
  std::map<std::string, std::string> mitigations;
  // Given by the caller: the sysctls that shape the measurement (e.g.
  // host_info.h's RecordedSysctls() with their values), and the NIC the
  // data crossed with its driver ("" when none, e.g. loopback).
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::string nic;
  std::string nic_driver;
};

TestbedFacts TestbedFactsOf(
    const MachineFacts& machine,
    std::vector<std::pair<std::string, std::string>> sysctls = {},
    std::string nic = "", std::string nic_driver = "");

// The text the fingerprint hashes: a version line, then one key=value line
// per fact in a fixed order (maps and sysctls sorted by name; "\", "=" and
// line breaks escaped), so equal facts give equal text and unequal facts
// unequal text.
std::string TestbedCanonicalText(const TestbedFacts& facts);

// Hex SHA-256 of TestbedCanonicalText.
std::string TestbedFingerprint(const TestbedFacts& facts);

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_PROVENANCE_H_
