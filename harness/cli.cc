#include "harness/cli.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/build_info.h"
#include "harness/csv_writer.h"
#include "harness/network.h"
#include "harness/options.h"
#include "harness/output_dir.h"
#include "harness/plan.h"
#include "harness/plugin_list.h"
#include "harness/runner.h"
#include "harness/table.h"
#include "harness/units.h"
#include "plugins/loader.h"

namespace copyscope::harness {
namespace {

int UsageError(const absl::Status& s) {
  std::fprintf(stderr, "copyscope: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
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
  absl::StatusOr<std::string> dir = ResolveOutputDir(options.out);
  if (!dir.ok()) return UsageError(dir.status());
  PrintNotes(notes);
  PrintNotes(plan->notes);
  PrintNotes(context.notes);

  RunnerConfig config;
  config.warmup = options.warmup;
  config.duration = options.duration;
  config.io_timeout = options.io_timeout;
  LoopbackNetwork network;
  const bool progress = isatty(STDERR_FILENO) == 1;
  std::vector<CellResult> results;
  int failed = 0;
  for (size_t k = 0; k < plan->cells.size(); ++k) {
    const CellSpec& cell = plan->cells[k];
    if (progress) {
      std::fprintf(stderr, "cell %zu/%zu: %s %s %d\n", k + 1,
                   plan->cells.size(), cell.transport_name.c_str(),
                   FormatSize(cell.size).c_str(), cell.threads);
    }
    results.push_back(RunCell(cell, config, network, /*hooks=*/nullptr));
    if (!results.back().status.ok()) ++failed;
  }
  std::fputs(FormatTable(results).c_str(), stdout);
  std::fflush(stdout);

  s = CreateOutputDir(*dir);
  if (s.ok()) {
    s = WriteFileAtomically(absl::StrCat(*dir, "/summary.csv"),
                            SummaryCsv(results));
  }
  if (!s.ok()) {
    std::fprintf(stderr, "copyscope: results not saved: %s\n",
                 std::string(s.message()).c_str());
    return kExitFailed;
  }
  std::printf("results: %s/summary.csv\n", dir->c_str());
  if (failed > 0) {
    std::fprintf(stderr, "copyscope: %d of %zu cells failed (see status)\n",
                 failed, results.size());
    return kExitFailed;
  }
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
      return UsageError(absl::UnimplementedError("show: not available yet"));
  }
  return kExitUsage;
}

}  // namespace copyscope::harness
