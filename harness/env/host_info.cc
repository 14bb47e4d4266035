#include "harness/env/host_info.h"

#include <errno.h>
#include <net/if.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "harness/env/isolation/interface.h"

namespace copyscope::env {
namespace {

// The file's contents with surrounding whitespace removed, or nullopt.
std::optional<std::string> ReadTrimmed(const std::string& path,
                                       std::string* error = nullptr) {
  std::ifstream in(path);
  if (!in) {
    if (error) *error = std::strerror(errno);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  absl::StripAsciiWhitespace(&s);
  return s;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        absl::StripAsciiWhitespace(&v);
        return v;
      }
    }
  }
  return "unknown";
}

void AddNicFacts(const isolation::NicFacts& nic, record::Host* h) {
  h->set_nic_driver(nic.driver);
  if (nic.speed_mbps) h->set_link_speed_mbps(*nic.speed_mbps);
  for (const auto& [name, value] : nic.offloads.Pairs()) {
    record::KeyValue* kv = h->add_offloads();
    kv->set_key(name);
    kv->set_value(value);
  }
  for (const auto& [irq, cpus] : nic.irqs) {
    record::KeyValue* kv = h->add_irq_affinity();
    kv->set_key(absl::StrCat(irq));
    kv->set_value(cpus);
  }
  for (const std::string& note : nic.notes) h->add_nic_notes(note);
  if (!nic.offloads.error.empty()) {
    h->add_nic_notes(absl::StrCat("offloads: ", nic.offloads.error));
  }
}

}  // namespace

const std::vector<std::string>& RecordedSysctls() {
  static const std::vector<std::string>* const names =
      new std::vector<std::string>{
          "net.core.optmem_max", "net.core.rmem_max",
          "net.core.wmem_max",   "net.ipv4.tcp_rmem",
          "net.ipv4.tcp_wmem",   "net.ipv4.tcp_congestion_control",
      };
  return *names;
}

record::Host CollectHost(const std::string& interface, std::optional<int> mtu) {
  record::Host h;
  utsname u;
  if (uname(&u) == 0) {
    h.set_kernel(absl::StrCat(u.sysname, " ", u.release, " ", u.version, " ",
                              u.machine));
    h.set_hostname(u.nodename);
  } else {
    h.set_kernel("unknown");
  }
  h.set_cpu_model(CpuModel());
  h.set_cpu_count(static_cast<int32_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  h.set_governor(
      ReadTrimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
          .value_or("unknown"));
  for (const std::string& name : RecordedSysctls()) {
    std::string path =
        absl::StrCat("/proc/sys/", absl::StrReplaceAll(name, {{".", "/"}}));
    std::string error;
    std::optional<std::string> v = ReadTrimmed(path, &error);
    record::KeyValue* kv = h.add_sysctls();
    kv->set_key(name);
    // tcp_rmem is "4096\t131072\t6291456": keep it on one line.
    kv->set_value(v ? absl::StrReplaceAll(*v, {{"\t", " "}})
                    : absl::StrCat("unreadable: ", error));
  }
  h.set_interface(interface);
  // By index, not /sys/class/net: sysfs shows the namespace it was mounted
  // in, the ioctls this one.
  if (if_nametoindex(interface.c_str()) != 0) {
    AddNicFacts(isolation::ReadNicFacts(interface), &h);
  } else {
    h.add_nic_notes(absl::StrCat(
        "no interface ", interface,
        " in this host's namespace (a run namespace's own: see isolation)"));
  }
  if (mtu) {
    h.set_mtu(*mtu);
  } else if (absl::StatusOr<int> here = isolation::ReadMtu(interface);
             here.ok()) {
    h.set_mtu(*here);  // by ioctl, like the facts above
  }
  return h;
}

std::optional<uint64_t> MemAvailableBytes(const std::string& meminfo) {
  std::ifstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, "MemAvailable:")) continue;
    absl::string_view rest = absl::StripAsciiWhitespace(
        absl::string_view(line).substr(sizeof("MemAvailable:") - 1));
    uint64_t kib = 0;
    if (absl::EndsWith(rest, " kB") &&
        absl::SimpleAtoi(rest.substr(0, rest.size() - 3), &kib)) {
      return kib * 1024;
    }
  }
  return std::nullopt;
}

}  // namespace copyscope::env
