#include "harness/cli/cli.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/commands.h"
#include "harness/cli/env_commands.h"
#include "harness/cli/environment.h"
#include "harness/cli/plugin_list.h"
#include "harness/config/flags.h"
#include "harness/config/options.h"
#include "harness/control/agent.h"
#include "harness/control/plugin_probe.h"
#include "harness/env/build_info.h"
#include "harness/env/testbed.h"

namespace copyscope::cli {

int UsageError(const absl::Status& s) {
  std::fprintf(stderr, "copyscope: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
}

void PrintNotes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
}

absl::StatusOr<std::vector<record::PluginInfo>> DiscoverPlugins(
    const config::PluginSources& sources, std::vector<std::string>* notes) {
  absl::StatusOr<std::vector<std::string>> files =
      control::PluginFiles(sources, notes);
  if (!files.ok()) return files.status();
  return control::ProbePlugins(*files, ProbeOptions());
}

control::ProbeOptions ProbeOptions() {
  control::ProbeOptions probe;
  probe.launch.version = env::VersionText();
  return probe;
}

int ListCommand(const config::RunOptions& options) {
  std::vector<std::string> notes;
  absl::StatusOr<std::vector<record::PluginInfo>> plugins =
      DiscoverPlugins(options.sources, &notes);
  if (!plugins.ok()) return UsageError(plugins.status());
  PrintNotes(notes);
  std::fputs(FormatPluginList(*plugins).c_str(), stdout);
  return kExitOk;
}

namespace {

// `copyscope agent --control-fd=N [--netns-fd=N] [--parent-pid=N]`: started
// by a controller (run, list), never by hand.
int AgentCommand(const std::vector<std::string>& args) {
  control::AgentArgs a;
  a.version = env::VersionText();
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    int value = -1;
    bool ok = eq != std::string::npos &&
              absl::SimpleAtoi(arg.substr(eq + 1), &value) && value >= 0;
    if (ok && name == "--control-fd") {
      a.control_fd = value;
    } else if (ok && name == "--netns-fd") {
      a.netns_fd = value;
    } else if (ok && name == "--parent-pid") {
      a.parent_pid = value;
    } else {
      return UsageError(absl::InvalidArgumentError(absl::StrCat(
          "agent: unknown or bad argument '", arg,
          "'; the agent is started by `copyscope run` and `copyscope list`, "
          "e.g. agent --control-fd=3")));
    }
  }
  if (a.control_fd < 0) {
    return UsageError(absl::InvalidArgumentError(
        "agent: --control-fd is required; the agent is started by `copyscope "
        "run` and `copyscope list`"));
  }
  return control::AgentMain(a);
}

}  // namespace

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() >= 2 && args[1] == "agent") return AgentCommand(args);
  absl::StatusOr<config::Invocation> inv = config::ParseCommandLine(args);
  if (!inv.ok()) return UsageError(inv.status());
  switch (inv->command) {
    case config::Command::kHelp:
      std::fputs(config::UsageText().c_str(), stdout);
      return kExitOk;
    case config::Command::kVersion:
      std::fputs(inv->run.json ? BuildJson(env::CollectBuild()).c_str()
                               : env::VersionText().c_str(),
                 stdout);
      return kExitOk;
    case config::Command::kList:
      return ListCommand(inv->run);
    case config::Command::kRun:
      return RunCommand(inv->run);
    case config::Command::kShow:
      return ShowCommand(inv->show_dir, inv->run.show_env);
    case config::Command::kTopo:
      return TopoCommand(inv->run.topology_xml);
    case config::Command::kNetnsCheck:
      return NetnsCheckCommand();
    case config::Command::kHistory:
      return HistoryCommand(*inv);
    case config::Command::kHistoryImport:
      return HistoryImportCommand(*inv);
    case config::Command::kRerun:
      return RerunCommand(*inv);
  }
  return kExitUsage;
}

}  // namespace copyscope::cli
