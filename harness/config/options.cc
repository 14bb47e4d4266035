#include "harness/config/options.h"

#include "absl/strings/str_join.h"

namespace copyscope::config {

std::string CounterSelection::ToString() const {
  static constexpr const char* kNames[] = {"auto", "none", "default"};
  if (kind == Kind::kList) return absl::StrJoin(events, ",");
  return kNames[static_cast<size_t>(kind)];
}

}  // namespace copyscope::config
