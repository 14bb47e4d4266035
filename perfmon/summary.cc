#include "perfmon/summary.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace copyscope::perfmon {
namespace {

constexpr char kSoftwarePmu[] = "software";

}  // namespace

std::string UnsupportedSummary(const std::vector<Reading>& readings) {
  // Events with at least one supported reading (so a missing part is partial).
  std::set<std::string> partly_supported;
  for (const Reading& r : readings) {
    if (r.supported()) partly_supported.insert(r.event());
  }
  // reason -> names, both in first-seen order.
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<std::string>> names_by_reason;
  bool all_hardware = true;
  for (const Reading& r : readings) {
    if (r.supported()) continue;
    if (r.pmu() == kSoftwarePmu) all_hardware = false;
    const std::string name = partly_supported.count(r.event()) > 0
                                 ? absl::StrCat(r.event(), " on ", r.pmu())
                                 : r.event();
    auto [it, inserted] = names_by_reason.try_emplace(r.reason());
    if (inserted) reasons.push_back(r.reason());
    std::vector<std::string>& names = it->second;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  if (reasons.empty()) return "";
  std::vector<std::string> parts;
  for (const std::string& reason : reasons) {
    parts.push_back(absl::StrCat(absl::StrJoin(names_by_reason[reason], ", "),
                                 " (", reason, ")"));
  }
  return absl::StrCat(all_hardware ? "hardware counters" : "counters",
                      " unsupported here: ", absl::StrJoin(parts, "; "));
}

}  // namespace copyscope::perfmon
