#include "harness/config/options.h"

#include "absl/strings/str_join.h"

namespace copyscope::config {

std::string CounterSelection::ToString() const {
  switch (kind) {
    case Kind::kAuto:
      return "auto";
    case Kind::kNone:
      return "none";
    case Kind::kDefault:
      return "default";
    case Kind::kList:
      break;
  }
  return absl::StrJoin(events, ",");
}

}  // namespace copyscope::config
