#include "harness/config/recorded_options.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/config/flags.h"
#include "harness/config/profiles.h"

namespace copyscope::config {
namespace {

const FlagDef* Find(const std::string& name) {
  for (const FlagDef& f : Flags()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// The values of a recorded flag: one, or a repeatable flag's several.
std::vector<std::string> Values(const FlagDef& flag, const std::string& v) {
  if (!flag.repeatable) return {v};
  return absl::StrSplit(v, ' ', absl::SkipEmpty());
}

}  // namespace

const std::vector<std::string>& RerunOwnFlags() {
  static const std::vector<std::string>* const names =
      new std::vector<std::string>{"out", "history", "no-history", "json",
                                   "dry-run"};
  return *names;
}

absl::StatusOr<RunOptions> RecordedRunOptions(
    const std::vector<std::pair<std::string, std::string>>& effective,
    const std::vector<std::string>& transports,
    std::vector<std::string>* notes) {
  // The recorded values this copyscope takes, by flag.
  std::vector<std::pair<const FlagDef*, std::string>> recorded;
  std::map<std::string, std::string> by_name;
  for (const auto& [name, value] : effective) {
    const bool own = std::find(RerunOwnFlags().begin(), RerunOwnFlags().end(),
                               name) != RerunOwnFlags().end();
    if (own || value.empty()) continue;
    const FlagDef* flag = Find(name);
    if (flag == nullptr || (flag->commands & kForRun) == 0) {
      notes->push_back(absl::StrCat("note: the record's --", name, "=", value,
                                    " is not a flag of this copyscope's run; "
                                    "left out"));
      continue;
    }
    recorded.emplace_back(flag, value);
    by_name[name] = value;
  }
  if (by_name["transports"].empty() && !transports.empty()) {
    const std::string list = absl::StrJoin(transports, ",");
    recorded.emplace_back(Find("transports"), list);
    by_name["transports"] = list;
  }
  // A sample's length is one choice: a count, or else a duration.
  const bool counted =
      !by_name["messages"].empty() && by_name["messages"] != "0";

  // The options as recorded, to see which flags would do nothing with the
  // others (their idle rule), as a profile's values may.
  RunOptions as_recorded;
  for (const FlagDef& f : Flags()) {
    if (f.default_value[0] != '\0') {
      f.set(f.default_value, &as_recorded).IgnoreError();
    }
  }
  for (const auto& [flag, value] : recorded) {
    for (const std::string& v : Values(*flag, value)) {
      flag->set(v, &as_recorded).IgnoreError();
    }
  }
  std::vector<std::string> args = {"copyscope", "run"};
  for (const auto& [flag, value] : recorded) {
    const std::string name = flag->name;
    if ((name == "messages" && !counted) || (name == "duration" && counted)) {
      continue;
    }
    if (flag->idle != nullptr && flag->idle(as_recorded) != nullptr) continue;
    for (const std::string& v : Values(*flag, value)) {
      args.push_back(absl::StrCat("--", name, "=", v));
    }
  }
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  if (!inv.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the recorded options do not parse here: ", inv.status().message()));
  }
  return inv->run;
}

}  // namespace copyscope::config
