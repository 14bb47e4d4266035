#include "harness/cli/cli.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "harness/cli/commands.h"
#include "harness/cli/env_commands.h"
#include "harness/cli/plugin_list.h"
#include "harness/config/flags.h"
#include "harness/config/options.h"
#include "harness/engine/plugins.h"
#include "harness/env/build_info.h"
#include "plugins/loader.h"

namespace copyscope::cli {

int UsageError(const absl::Status& s) {
  std::fprintf(stderr, "copyscope: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
}

void PrintNotes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
}

int ListCommand(const config::RunOptions& options) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = engine::LoadPlugins(options.sources, &set, &notes);
  if (!s.ok()) return UsageError(s);
  PrintNotes(notes);
  std::fputs(FormatPluginList(engine::DescribePlugins(set)).c_str(), stdout);
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  absl::StatusOr<config::Invocation> inv = config::ParseCommandLine(args);
  if (!inv.ok()) return UsageError(inv.status());
  switch (inv->command) {
    case config::Command::kHelp:
      std::fputs(config::UsageText().c_str(), stdout);
      return kExitOk;
    case config::Command::kVersion:
      std::fputs(env::VersionText().c_str(), stdout);
      return kExitOk;
    case config::Command::kList:
      return ListCommand(inv->run);
    case config::Command::kRun:
      return RunCommand(inv->run);
    case config::Command::kShow:
      return ShowCommand(inv->show_dir);
    case config::Command::kTopo:
      return TopoCommand(inv->run.topology_xml);
    case config::Command::kNetnsCheck:
      return NetnsCheckCommand();
  }
  return kExitUsage;
}

}  // namespace copyscope::cli
