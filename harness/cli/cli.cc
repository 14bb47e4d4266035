#include "harness/cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/env_commands.h"
#include "harness/cli/interrupt.h"
#include "harness/cli/perf_report.h"
#include "harness/cli/plugin_list.h"
#include "harness/cli/table.h"
#include "harness/config/flags.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/control/run_environment.h"
#include "harness/control/sweep.h"
#include "harness/engine/plugins.h"
#include "harness/engine/runner.h"
#include "harness/env/build_info.h"
#include "harness/record/output_dir.h"
#include "harness/record/record.h"
#include "harness/record/record_io.h"
#include "plugins/loader.h"

namespace copyscope::cli {
namespace {

using config::Command;
using config::RunOptions;

int UsageError(const absl::Status& s) {
  std::fprintf(stderr, "copyscope: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
}

std::string Basename(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void PrintNotes(const std::vector<std::string>& notes) {
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
}

int ListCommand(const RunOptions& options) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = engine::LoadPlugins(options.sources, &set, &notes);
  if (!s.ok()) return UsageError(s);
  PrintNotes(notes);
  std::fputs(FormatPluginList(engine::DescribePlugins(set)).c_str(), stdout);
  return kExitOk;
}

int RunCommand(const RunOptions& options) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = engine::LoadPlugins(options.sources, &set, &notes);
  if (!s.ok()) return UsageError(s);
  const std::vector<record::PluginInfo> plugins = engine::DescribePlugins(set);
  absl::StatusOr<config::Plan> plan = config::MakePlan(options, plugins);
  if (!plan.ok()) return UsageError(plan.status());
  absl::StatusOr<std::unique_ptr<control::RunEnvironment>> env =
      control::RunEnvironment::Prepare(options, *plan);
  if (!env.ok()) return UsageError(env.status());
  if (options.dry_run) return (*env)->DryRun(*plan);
  absl::StatusOr<std::string> dir = record::ResolveOutputDir(options.out);
  if (!dir.ok()) return UsageError(dir.status());
  PrintNotes(notes);
  PrintNotes(plan->notes);
  PrintNotes(options.notes);
  // Isolation (once for the run), pinning and counters; fills the record's
  // context. Only --isolation=netns can fail, before anything is written.
  record::RunContext run_context;
  run_context.notes = options.notes;
  s = (*env)->Start(&run_context);
  if (!s.ok()) return UsageError(s);

  const std::atomic<bool>& interrupted = WatchInterrupts();
  s = record::CreateOutputDir(*dir);
  if (!s.ok()) {
    std::fprintf(stderr, "copyscope: results not saved: %s\n",
                 std::string(s.message()).c_str());
    return kExitFailed;
  }
  const std::string run_id = Basename(*dir);
  record::Run run = record::MakeRunHeader(options, *plan, plugins, run_context,
                                          run_id, absl::Now());

  engine::RunnerConfig runner;
  runner.warmup = options.warmup;
  runner.duration = options.duration;
  runner.io_timeout = options.io_timeout;
  runner.messages = options.messages;
  runner.warmup_messages = options.warmup_messages;
  runner.interrupt = &interrupted;
  control::InProcessSides sides(set, runner, (*env)->network(),
                                (*env)->hooks());
  control::SweepConfig config;
  config.reps = options.reps;
  config.max_cv = options.max_cv;
  config.progress = isatty(STDERR_FILENO) == 1;
  config.interrupt = &interrupted;
  absl::Status write_error;
  control::SweepOutcome outcome =
      control::RunSweep(*plan, config, sides, &run, [&](const record::Run& r) {
        if (write_error.ok()) write_error = record::WriteRunFiles(*dir, r);
      });
  run.set_finished_utc(record::Rfc3339(absl::Now()));
  run.set_interrupted(outcome.interrupted);
  if (write_error.ok()) write_error = record::WriteRunFiles(*dir, run);

  if (options.json) {
    std::fputs(record::SummaryJson(run).c_str(), stdout);
  } else {
    std::fputs(FormatTable(run).c_str(), stdout);
    std::fputs(FormatRunReport(run).c_str(), stdout);
  }
  std::fflush(stdout);
  if (!write_error.ok()) {
    std::fprintf(stderr, "copyscope: results not saved: %s\n",
                 std::string(write_error.message()).c_str());
    return kExitFailed;
  }
  std::fprintf(options.json ? stderr : stdout,
               "results: %s/summary.csv (record: run.pb, run.jsonl)\n",
               dir->c_str());
  if (outcome.interrupted) {
    std::fprintf(stderr, "interrupted: %d of %zu cells kept in %s\n",
                 outcome.cells_kept, plan->cells.size(), dir->c_str());
    return kExitInterrupted;
  }
  if (outcome.failed_samples > 0) {
    std::fprintf(stderr, "copyscope: %d of %d samples failed (see status)\n",
                 outcome.failed_samples, outcome.samples);
    return kExitFailed;
  }
  return kExitOk;
}

// `copyscope show DIR`: the table of a saved run.
int ShowCommand(const std::string& dir) {
  absl::StatusOr<record::Run> run = record::ReadRunFile(dir);
  if (!run.ok()) return UsageError(run.status());
  if (run->schema_version() > record::kSchemaVersion) {
    std::fprintf(stderr,
                 "note: %s was written with record schema %u; this copyscope "
                 "knows %u and shows what it understands\n",
                 dir.c_str(), run->schema_version(), record::kSchemaVersion);
  }
  const record::Plan& p = run->plan();
  std::printf("run %s  profile %s  mode %s  reps %d  started %s\n",
              run->run_id().c_str(), p.profile().c_str(), p.mode().c_str(),
              p.reps(), run->started_utc().c_str());
  std::printf("host %s, %d CPUs, %s; isolation %s (%s)\n",
              run->host().cpu_model().c_str(), run->host().cpu_count(),
              run->host().kernel().c_str(), run->isolation().mode().c_str(),
              run->isolation().reason().c_str());
  if (run->interrupted()) {
    std::printf("interrupted: %d of %u cells kept\n", run->cells_size(),
                run->cells_planned());
  }
  std::fputs(FormatTable(*run).c_str(), stdout);
  std::fputs(FormatRunReport(*run).c_str(), stdout);
  return kExitOk;
}

}  // namespace

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  absl::StatusOr<config::Invocation> inv = config::ParseCommandLine(args);
  if (!inv.ok()) return UsageError(inv.status());
  switch (inv->command) {
    case Command::kHelp:
      std::fputs(config::UsageText().c_str(), stdout);
      return kExitOk;
    case Command::kVersion:
      std::fputs(env::VersionText().c_str(), stdout);
      return kExitOk;
    case Command::kList:
      return ListCommand(inv->run);
    case Command::kRun:
      return RunCommand(inv->run);
    case Command::kShow:
      return ShowCommand(inv->show_dir);
    case Command::kTopo:
      return TopoCommand(inv->run.topology_xml);
    case Command::kNetnsCheck:
      return NetnsCheckCommand();
  }
  return kExitUsage;
}

}  // namespace copyscope::cli
