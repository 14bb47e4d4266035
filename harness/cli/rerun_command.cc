// `copyscope rerun DIR`: the experiment of a record, run again. Its
// options come from the record's plan (every flag's effective value, see
// config/recorded_options.h); --out, --history, --no-history and --json are
// the rerun's own. Before it runs, it prints every fact of the build, the
// host and the plugins the recorded run used that differs here, and the
// new record's notes name the run it repeats and those facts.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/cli/cli.h"
#include "harness/cli/commands.h"
#include "harness/cli/environment.h"
#include "harness/config/recorded_options.h"
#include "harness/env/testbed.h"
#include "harness/record/files.h"

namespace copyscope::cli {

int RerunCommand(const config::Invocation& inv) {
  const std::string& dir = inv.dirs.front();
  absl::StatusOr<record::RunFile> file = record::ReadRunFile(dir);
  if (!file.ok()) return UsageError(file.status());
  const record::Run& recorded = file->run;
  const record::Plan& plan = recorded.plan();
  if (plan.options_size() == 0) {
    return UsageError(absl::InvalidArgumentError(absl::StrCat(
        dir, ": the record (schema ", recorded.schema_version(),
        ") does not hold its flags' values (from schema 2 on); run its "
        "command line again by hand: ",
        absl::StrJoin(recorded.command_line(), " "))));
  }
  std::vector<std::pair<std::string, std::string>> effective;
  for (const record::KeyValue& kv : plan.options()) {
    effective.emplace_back(kv.key(), kv.value());
  }
  std::vector<std::string> notes;
  absl::StatusOr<config::RunOptions> rebuilt = config::RecordedRunOptions(
      effective, {plan.transports().begin(), plan.transports().end()}, &notes);
  if (!rebuilt.ok()) {
    return UsageError(absl::InvalidArgumentError(
        absl::StrCat(dir, ": ", rebuilt.status().message())));
  }
  config::RunOptions options = *std::move(rebuilt);
  // The rerun's own flags, and its own command line for the record.
  const config::RunOptions& own = inv.run;
  options.out = own.out;
  options.json = own.json;
  options.history.path = own.history.path;
  options.history.off = own.history.off;
  for (auto& [name, value] : options.effective) {
    for (const auto& [own_name, own_value] : own.effective) {
      if (name == own_name) {
        for (const std::string& o : config::RerunOwnFlags()) {
          if (name == o) value = own_value;
        }
      }
    }
  }
  options.command_line = own.command_line;

  // What differs from the recorded environment.
  std::vector<std::string> discovery_notes;
  absl::StatusOr<std::vector<record::PluginInfo>> plugins =
      DiscoverPlugins(options.sources, &discovery_notes);
  if (!plugins.ok()) return UsageError(plugins.status());
  record::Run now;
  *now.mutable_host() = env::CollectHostProvenance("lo");
  *now.mutable_build() = env::CollectBuild();
  for (const record::PluginInfo& p : *plugins) *now.add_plugins() = p;
  const std::vector<FactChange> changes = DiffEnvironment(recorded, now);

  std::FILE* out = options.json ? stderr : stdout;
  std::fprintf(out, "rerun of %s (%s), recorded %s%s\n",
               recorded.run_id().c_str(), dir.c_str(),
               recorded.started_utc().c_str(),
               file->state == "complete"
                   ? ""
                   : absl::StrCat("; its record is ", file->state).c_str());
  if (changes.empty()) {
    std::fprintf(out,
                 "environment: as recorded (build, host, the plugins it "
                 "used)\n");
  } else {
    std::fprintf(out,
                 "environment: %zu difference%s from the recorded one "
                 "(recorded -> now):\n%s",
                 changes.size(), changes.size() == 1 ? "" : "s",
                 FormatChanges(changes).c_str());
  }
  std::fflush(out);
  options.notes.push_back(
      absl::StrCat("rerun of ", recorded.run_id(), " (", dir, ")"));
  if (!changes.empty()) {
    std::vector<std::string> names;
    names.reserve(changes.size());
    for (const FactChange& c : changes) names.push_back(c.name);
    options.notes.push_back(
        absl::StrCat("rerun: differs from the recorded environment in ",
                     absl::StrJoin(names, ", ")));
  }
  for (std::string& n : notes) options.notes.push_back(std::move(n));
  return RunCommand(options);
}

}  // namespace copyscope::cli
