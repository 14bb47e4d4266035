// CPU lists in the kernel's compact form ("0-3,8"), read and written in one
// place for sysfs files (PMU cpus, online CPUs) and for what users type
// (--pin-server=cpus:0-3,8).
//
//   FormatCpuList({3, 0, 1, 2, 8});                  // "0-3,8"
//   ParseKernelCpuList("0-3,8\n");                   // {0, 1, 2, 3, 8}
//   ParseKernelCpuList("");                          // {}: no CPUs
//   ParseUserCpuList("8,0-1");                       // {8, 0, 1}: as written
//   ParseUserCpuList("0,0");                         // error: listed twice
#ifndef COPYSCOPE_PERFMON_CPU_LIST_H_
#define COPYSCOPE_PERFMON_CPU_LIST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::perfmon {

// The highest CPU number a list may name (well above the kernel's NR_CPUS).
inline constexpr int kMaxCpuNumber = 1 << 20;

// "0-3,8" for {0, 1, 2, 3, 8} (sorted and deduplicated first); "" if empty.
std::string FormatCpuList(std::vector<int> cpus);

// The list as written: runs ascending by one become ranges, the order is
// kept ({8, 0, 1, 2} -> "8,0-2"), so ParseUserCpuList reads it back.
std::string FormatCpuListInOrder(const std::vector<int>& cpus);

// A list as the kernel writes it: sorted and deduplicated result; surrounding
// white space and an empty list accepted. A malformed item is
// InvalidArgument naming it.
absl::StatusOr<std::vector<int>> ParseKernelCpuList(absl::string_view text);

// A list a user wrote: the written order is kept; an empty list or item, a
// reversed range, a number above kMaxCpuNumber and a CPU listed twice are
// InvalidArgument saying which item is wrong and how to write one.
absl::StatusOr<std::vector<int>> ParseUserCpuList(absl::string_view text);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_CPU_LIST_H_
