#include "harness/config/types.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

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
constexpr std::pair<const char*, CountersScope> kScopes[] = {
    {"thread", CountersScope::kThread}, {"cpu", CountersScope::kCpu}};

}  // namespace

const char* ModeName(Mode mode) { return NameIn(mode, kModes); }
const char* DirectionName(Direction d) { return NameIn(d, kDirections); }
const char* SideName(Side side) { return NameIn(side, kSides); }
const char* IsolationName(Isolation i) { return NameIn(i, kIsolations); }
const char* CountersScopeName(CountersScope s) { return NameIn(s, kScopes); }

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

}  // namespace copyscope::config
