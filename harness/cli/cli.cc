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
#include "harness/control/relay.h"
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

// `copyscope agent`: for another host's controller, `--listen=ADDR:PORT
// --token-file=FILE [--once] [--plugin-dir=DIR] [--data-address=ADDR]` or
// `--stdio` (over ssh); started by a controller on this host (run, list),
// `--control-fd=N [--netns-fd=N] [--parent-pid=N]` and, for a session of
// the former, `--by-name --peer-address=ADDR`.
int AgentCommand(const std::vector<std::string>& args) {
  control::AgentArgs a;
  a.version = env::VersionText();
  control::ListenArgs listen;
  bool stdio = false;
  auto bad = [](const std::string& arg) {
    return UsageError(absl::InvalidArgumentError(absl::StrCat(
        "agent: unknown or bad argument '", arg,
        "'; serve another host's controller with agent "
        "--listen=0.0.0.0:7000 --token-file=FILE, or agent --stdio (ssh)")));
  };
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    int number = -1;
    const bool numeric =
        absl::SimpleAtoi(value, &number) && number >= 0 && !value.empty();
    if (name == "--control-fd" && numeric) {
      a.control_fd = number;
    } else if (name == "--netns-fd" && numeric) {
      a.netns_fd = number;
    } else if (name == "--parent-pid" && numeric) {
      a.parent_pid = number;
    } else if (arg == "--by-name") {
      a.by_name = true;
    } else if (name == "--plugin-dir" && !value.empty()) {
      a.plugin_dirs.push_back(value);
      listen.plugin_dirs.push_back(value);
    } else if (name == "--data-address" && !value.empty()) {
      a.data_address = value;
      listen.data_address = value;
    } else if (name == "--peer-address" && !value.empty()) {
      a.peer_address = value;
    } else if (name == "--listen" && !value.empty()) {
      listen.listen = value;
    } else if (name == "--token-file" && !value.empty()) {
      listen.token_file = value;
    } else if (arg == "--once") {
      listen.once = true;
    } else if (arg == "--stdio") {
      stdio = true;
    } else {
      return bad(arg);
    }
  }
  listen.version = a.version;
  if (!listen.listen.empty()) {
    if (listen.token_file.empty()) {
      return UsageError(absl::InvalidArgumentError(
          "agent --listen needs --token-file=FILE, a secret only its owner "
          "can read, shared with the controllers (--token-file there too)"));
    }
    return control::ServeListen(listen);
  }
  if (stdio) return control::ServeStdio(listen);
  if (a.control_fd < 0) {
    return UsageError(absl::InvalidArgumentError(
        "agent: give --listen=ADDR:PORT --token-file=FILE (for a controller "
        "on another host) or --stdio (over ssh); --control-fd is for "
        "`copyscope run` and `copyscope list` themselves"));
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
