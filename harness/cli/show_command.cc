// `copyscope show DIR`: what the record says of itself first (complete,
// interrupted, stopped, incomplete), then the tables of `run`, or with
// --env the environment it recorded.
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "harness/cli/cli.h"
#include "harness/cli/commands.h"
#include "harness/cli/environment.h"
#include "harness/cli/perf_report.h"
#include "harness/cli/table.h"
#include "harness/record/files.h"
#include "harness/record/record.h"

namespace copyscope::cli {

int ShowCommand(const std::string& dir, bool env) {
  absl::StatusOr<record::RunFile> file = record::ReadRunFile(dir);
  if (!file.ok()) return UsageError(file.status());
  const std::string note = record::CompletenessNote(*file);
  if (!note.empty()) std::printf("%s\n", note.c_str());
  const record::Run& run = file->run;
  if (run.schema_version() > record::kSchemaVersion) {
    std::fprintf(stderr,
                 "note: %s was written with record schema %u; this copyscope "
                 "knows %u and shows what it understands\n",
                 dir.c_str(), run.schema_version(), record::kSchemaVersion);
  }
  const record::Plan& p = run.plan();
  std::printf("run %s  profile %s  mode %s  reps %d  started %s\n",
              run.run_id().c_str(), p.profile().c_str(), p.mode().c_str(),
              p.reps(), run.started_utc().c_str());
  std::printf("host %s, %d CPUs, %s; isolation %s (%s)\n",
              run.host().cpu_model().c_str(), run.host().cpu_count(),
              run.host().kernel().c_str(), run.isolation().mode().c_str(),
              run.isolation().reason().c_str());
  if (run.interrupted()) {
    std::printf("interrupted: %d of %u cells kept\n", run.cells_size(),
                run.cells_planned());
  }
  if (env) {
    std::fputs(FormatEnvironment(run).c_str(), stdout);
  } else {
    std::fputs(FormatTable(run).c_str(), stdout);
    std::fputs(FormatRunReport(run).c_str(), stdout);
  }
  // A record that ends with a trailer is whole, whatever ended the run.
  return file->state == record::kIncomplete ? kExitFailed : kExitOk;
}

}  // namespace copyscope::cli
