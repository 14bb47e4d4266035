#include "harness/config/types.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/config/units.h"

namespace copyscope::config {
namespace {

// The value of `text` in a table of (name, value) pairs.
template <typename T, size_t N>
absl::StatusOr<T> Lookup(absl::string_view text,
                         const std::pair<const char*, T> (&table)[N]) {
  std::string choices;
  for (const auto& [name, value] : table) {
    if (text == name) return value;
    absl::StrAppend(&choices, choices.empty() ? "" : " or ", name);
  }
  return absl::InvalidArgumentError(absl::StrCat("not ", choices));
}

template <typename T, size_t N>
const char* NameIn(T value, const std::pair<const char*, T> (&table)[N]) {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return "?";
}

constexpr std::pair<const char*, Mode> kModes[] = {
    {"stream", Mode::kStream},
    {"rr", Mode::kRequestResponse},
    {"crr", Mode::kConnectRequestResponse}};
constexpr std::pair<const char*, Direction> kDirections[] = {
    {"server-to-client", Direction::kServerToClient},
    {"client-to-server", Direction::kClientToServer}};
constexpr std::pair<const char*, Side> kSides[] = {{"server", Side::kServer},
                                                   {"client", Side::kClient}};
constexpr std::pair<const char*, Isolation> kIsolations[] = {
    {"auto", Isolation::kAuto},
    {"netns", Isolation::kNetns},
    {"loopback", Isolation::kLoopback}};
constexpr std::pair<const char*, Family> kFamilies[] = {
    {"inet", Family::kInet},
    {"inet6", Family::kInet6},
    {"unix", Family::kUnix}};
constexpr std::pair<const char*, CountersScope> kScopes[] = {
    {"thread", CountersScope::kThread}, {"cpu", CountersScope::kCpu}};

}  // namespace

const char* ModeName(Mode mode) { return NameIn(mode, kModes); }
const char* DirectionName(Direction d) { return NameIn(d, kDirections); }
const char* SideName(Side side) { return NameIn(side, kSides); }
const char* IsolationName(Isolation i) { return NameIn(i, kIsolations); }
const char* CountersScopeName(CountersScope s) { return NameIn(s, kScopes); }
const char* FamilyName(Family f) { return NameIn(f, kFamilies); }

absl::StatusOr<Mode> ParseMode(absl::string_view text) {
  return Lookup(text, kModes);
}
absl::StatusOr<Direction> ParseDirection(absl::string_view text) {
  return Lookup(text, kDirections);
}
absl::StatusOr<Isolation> ParseIsolation(absl::string_view text) {
  return Lookup(text, kIsolations);
}
absl::StatusOr<CountersScope> ParseCountersScope(absl::string_view text) {
  return Lookup(text, kScopes);
}
absl::StatusOr<Family> ParseFamily(absl::string_view text) {
  return Lookup(text, kFamilies);
}

std::string Background::Text() const {
  if (none()) return "none";
  return absl::StrCat(transport, ":", threads, ":", size);
}

absl::StatusOr<Background> ParseBackground(absl::string_view text) {
  Background b;
  if (text == "none") return b;
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(
        "not TRANSPORT:THREADS[:SIZE] (e.g. two_copy:1:64K) or none");
  }
  const std::string& name = parts[0];
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is not a transport name ([a-z0-9_]+)"));
  }
  b.transport = name;
  absl::StatusOr<int64_t> n = ParseCount(parts[1]);
  if (!n.ok() || *n < 1 || *n > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "THREADS '", parts[1], "' is not a connection count in 1..64"));
  }
  b.threads = static_cast<int>(*n);
  if (parts.size() == 3) {
    absl::StatusOr<uint64_t> size = ParseSize(parts[2]);
    if (!size.ok() || *size == 0 || *size > (1ull << 30)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "SIZE '", parts[2], "' is not a message size in 1..1G (e.g. 64K)"));
    }
    b.size = *size;
  }
  return b;
}

}  // namespace copyscope::config
