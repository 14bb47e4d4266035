#include "perfmon/cpu_list.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace copyscope::perfmon {
namespace {

// One item, "N" or "N-M", into [lo, hi]; false when it is not one.
bool ParseItem(absl::string_view item, int* lo, int* hi) {
  auto number = [](absl::string_view s, int* out) {
    if (s.empty() || s.find_first_not_of("0123456789") != s.npos) return false;
    return absl::SimpleAtoi(s, out) && *out <= kMaxCpuNumber;
  };
  const size_t dash = item.find('-');
  if (dash == absl::string_view::npos) {
    if (!number(item, lo)) return false;
    *hi = *lo;
    return true;
  }
  return number(item.substr(0, dash), lo) && number(item.substr(dash + 1), hi);
}

}  // namespace

std::string FormatCpuList(std::vector<int> cpus) {
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return FormatCpuListInOrder(cpus);
}

std::string FormatCpuListInOrder(const std::vector<int>& cpus) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus[i])
                           : absl::StrCat(cpus[i], "-", cpus[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<std::vector<int>> ParseKernelCpuList(absl::string_view text) {
  std::vector<int> cpus;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return cpus;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    int lo = 0, hi = 0;
    if (!ParseItem(item, &lo, &hi) || hi < lo) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad CPU list \"", text, "\": \"", item, "\""));
    }
    for (int cpu = lo; cpu <= hi; ++cpu) cpus.push_back(cpu);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

absl::StatusOr<std::vector<int>> ParseUserCpuList(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("CPU list '", text, "': ", why,
                     "; write CPU numbers and ranges like 0-3,8"));
  };
  if (text.empty()) return bad("it is empty");
  std::vector<int> out;
  std::set<int> seen;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) return bad("it has an empty item");
    int lo = 0, hi = 0;
    if (!ParseItem(item, &lo, &hi)) {
      return bad(
          absl::StrCat("'", item, "' is not a CPU ",
                       item.find('-') == item.npos ? "number" : "range"));
    }
    if (hi < lo) return bad(absl::StrCat("'", item, "' is a reversed range"));
    for (int cpu = lo; cpu <= hi; ++cpu) {
      if (!seen.insert(cpu).second) {
        return bad(absl::StrCat("CPU ", cpu, " is listed twice"));
      }
      out.push_back(cpu);
    }
  }
  return out;
}

}  // namespace copyscope::perfmon
