// `copyscope netns check`: does netns isolation work here, and if not,
// exactly what is missing (capability, kernel option, driver).
//
// It tries the real thing: two namespaces, a veth pair inside them, a TCP
// transfer across, and the veth invisible from the caller's namespace.
//
//   CheckReport report = copyscope::isolation::Check();
//   fputs(report.text.c_str(), stdout);
//   return report.ok ? 0 : 1;
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_CHECK_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace copyscope::isolation {

struct CheckReport {
  bool ok = false;  // netns isolation works here
  // One line per finding, "[ok]", "[info]" or "[missing]" first, then a
  // "verdict:" line; ends with a newline.
  std::string text;
};

CheckReport Check();

// The CapEff mask from the text of /proc/<pid>/status.
absl::StatusOr<uint64_t> ParseCapEff(absl::string_view proc_status);

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_CHECK_H_
