// Where a run ran, for its record: kernel, host name, CPU model and count,
// the cpufreq governor, the network sysctls that shape copies (socket
// buffer limits, TCP memory, congestion control, optmem for zero-copy),
// and the MTU of the interface the data crossed.
//
//   record::Host host = CollectHost("lo");   // MTU read by ioctl
//   host.governor();                         // "performance" or "unknown"
//
// A value that cannot be read is recorded as such ("unknown", or
// "unreadable: <why>" for a sysctl), never invented.
#ifndef COPYSCOPE_HARNESS_ENV_HOST_INFO_H_
#define COPYSCOPE_HARNESS_ENV_HOST_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::env {

// The sysctls recorded, by their dotted names.
const std::vector<std::string>& RecordedSysctls();

// The host of this process and the device behind `interface` (its MTU,
// driver, speed, offloads and IRQs, read in this thread's namespace). mtu,
// when given, is used instead (e.g. an interface inside a run namespace).
record::Host CollectHost(const std::string& interface,
                         std::optional<int> mtu = std::nullopt);

// MemAvailable of a /proc/meminfo file, in bytes; empty when it cannot be
// read.
std::optional<uint64_t> MemAvailableBytes(
    const std::string& meminfo = "/proc/meminfo");

}  // namespace copyscope::env

#endif  // COPYSCOPE_HARNESS_ENV_HOST_INFO_H_
