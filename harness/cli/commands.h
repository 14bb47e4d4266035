// The subcommands behind cli.h's Main, one file each, and the helpers they
// share. Each returns the process's exit code (cli.h lists them).
//
//   return RunCommand(invocation.run);       // run_command.cc
//   return ShowCommand(invocation.show_dir); // show_command.cc
#ifndef COPYSCOPE_HARNESS_CLI_COMMANDS_H_
#define COPYSCOPE_HARNESS_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/control/plugin_probe.h"
#include "harness/record/record.pb.h"

namespace copyscope::cli {

// `copyscope run`: plan, check, claim the results directory, sweep, write.
int RunCommand(const config::RunOptions& options);

// `copyscope rerun DIR`: the recorded run's options (config/
// recorded_options.h) run again with --out, --history, --no-history and
// --json of its own, after printing what differs between the recorded
// environment and this one.
int RerunCommand(const config::Invocation& inv);

// `copyscope show DIR`: the table of a saved run (with `env`: its recorded
// environment instead), after what its record says of itself (exit 0 for a
// record that ends with its trailer, whatever ended the run; 1 for an
// incomplete one; 2 damaged or unreadable).
int ShowCommand(const std::string& dir, bool env = false);

// `copyscope history [--check]`: each cell's figures across runs, or the
// regression check of the latest run (exit 1 when a cell regressed).
int HistoryCommand(const config::Invocation& inv);

// `copyscope history import DIR...`: complete records added to the
// history; exit 2, nothing imported, when one cannot be.
int HistoryImportCommand(const config::Invocation& inv);

// `copyscope list`: the plugins found.
int ListCommand(const config::RunOptions& options);

// The plugins of the run's sources, each probed in an agent process.
absl::StatusOr<std::vector<record::PluginInfo>> DiscoverPlugins(
    const config::PluginSources& sources, std::vector<std::string>* notes);

// How agents are started and probes bounded in this build.
control::ProbeOptions ProbeOptions();

// One line on stderr, "copyscope: <message>"; returns the usage exit code.
int UsageError(const absl::Status& s);

// Each note on its own line on stderr.
void PrintNotes(const std::vector<std::string>& notes);

}  // namespace copyscope::cli

#endif  // COPYSCOPE_HARNESS_CLI_COMMANDS_H_
