#include "harness/cli/cli.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/env/build_info.h"
#include "harness/record/csv_writer.h"
#include "harness/cli/env_commands.h"
#include "harness/cli/interrupt.h"
#include "harness/engine/network.h"
#include "harness/config/options.h"
#include "harness/record/output_dir.h"
#include "harness/cli/perf_report.h"
#include "harness/config/plan.h"
#include "harness/cli/plugin_list.h"
#include "harness/record/record.h"
#include "harness/record/record_io.h"
#include "harness/control/run_environment.h"
#include "harness/engine/runner.h"
#include "harness/control/sweep.h"
#include "harness/cli/table.h"
#include "harness/config/units.h"
#include "plugins/loader.h"

namespace copyscope::harness {
namespace {

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
  absl::Status s = LoadPlugins(options.sources, &set, &notes);
  if (!s.ok()) return UsageError(s);
  PrintNotes(notes);
  std::fputs(FormatPluginList(set.plugins()).c_str(), stdout);
  return kExitOk;
}

// context: isolation, topology and notes for the record (see results.h).
int RunCommand(const RunOptions& options, const RunContext& context) {
  plugins::PluginSet set;
  std::vector<std::string> notes;
  absl::Status s = LoadPlugins(options.sources, &set, &notes);
  if (!s.ok()) return UsageError(s);
  absl::StatusOr<Plan> plan = MakePlan(options, set.plugins());
  if (!plan.ok()) return UsageError(plan.status());
  absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
      RunEnvironment::Prepare(options, *plan);
  if (!env.ok()) return UsageError(env.status());
  if (options.dry_run) return (*env)->DryRun(*plan);
  absl::StatusOr<std::string> dir = ResolveOutputDir(options.out);
  if (!dir.ok()) return UsageError(dir.status());
  PrintNotes(notes);
  PrintNotes(plan->notes);
  PrintNotes(context.notes);
  PrintNotes(options.notes);
  // Isolation (once for the run), pinning and counters; fills the record's
  // context. Only --isolation=netns can fail, before anything is written.
  RunContext run_context = context;
  run_context.notes.insert(run_context.notes.end(), options.notes.begin(),
                           options.notes.end());
  s = (*env)->Start(&run_context);
  if (!s.ok()) return UsageError(s);

  const std::atomic<bool>& interrupted = WatchInterrupts();
  s = CreateOutputDir(*dir);
  if (!s.ok()) {
    std::fprintf(stderr, "copyscope: results not saved: %s\n",
                 std::string(s.message()).c_str());
    return kExitFailed;
  }
  const std::string run_id = Basename(*dir);
  record::Run run = MakeRunHeader(options, *plan, set.plugins(), run_context,
                                  run_id, absl::Now());

  SweepConfig config;
  config.runner.warmup = options.warmup;
  config.runner.duration = options.duration;
  config.runner.io_timeout = options.io_timeout;
  config.runner.messages = options.messages;
  config.runner.warmup_messages = options.warmup_messages;
  config.reps = options.reps;
  config.max_cv = options.max_cv;
  config.progress = isatty(STDERR_FILENO) == 1;
  config.interrupt = &interrupted;
  absl::Status write_error;
  SweepOutcome outcome =
      RunSweep(*plan, config, (*env)->network(), (*env)->hooks(), &run,
               [&](const record::Run& r) {
                 record::Run with_perf = r;  // + per-role counter metrics
                 AddPerfMetrics(options.max_cv, &with_perf);
                 if (write_error.ok()) {
                   write_error = WriteRunFiles(*dir, with_perf);
                 }
               });
  run.set_finished_utc(Rfc3339(absl::Now()));
  run.set_interrupted(outcome.interrupted);
  AddPerfMetrics(options.max_cv, &run);
  if (write_error.ok()) write_error = WriteRunFiles(*dir, run);

  if (options.json) {
    std::fputs(SummaryJson(run).c_str(), stdout);
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
  absl::StatusOr<record::Run> run = ReadRunFile(dir);
  if (!run.ok()) return UsageError(run.status());
  if (run->schema_version() > kSchemaVersion) {
    std::fprintf(stderr,
                 "note: %s was written with record schema %u; this copyscope "
                 "knows %u and shows what it understands\n",
                 dir.c_str(), run->schema_version(), kSchemaVersion);
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
  absl::StatusOr<Invocation> inv = ParseCommandLine(args);
  if (!inv.ok()) return UsageError(inv.status());
  switch (inv->command) {
    case Command::kHelp:
      std::fputs(UsageText().c_str(), stdout);
      return kExitOk;
    case Command::kVersion:
      std::fputs(VersionText().c_str(), stdout);
      return kExitOk;
    case Command::kList:
      return ListCommand(inv->run);
    case Command::kRun:
      return RunCommand(inv->run, RunContext());
    case Command::kShow:
      return ShowCommand(inv->show_dir);
    case Command::kTopo:
      return TopoCommand(inv->run.topology_xml);
    case Command::kNetnsCheck:
      return NetnsCheckCommand();
  }
  return kExitUsage;
}

}  // namespace copyscope::harness
