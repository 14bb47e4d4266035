// `copyscope show DIR`: what the record says of itself first (complete,
// interrupted, stopped, incomplete), then the tables of `run`, or with
// --env the environment it recorded.
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "harness/cli/cli.h"
#include "harness/cli/commands.h"
#include "harness/cli/environment.h"
#include "harness/cli/perf_report.h"
#include "harness/cli/table.h"
#include "harness/record/files.h"
#include "harness/record/record.h"

namespace copyscope::cli {
namespace {

// "  data path here: eth1 (mlx5_core), 100000 Mb/s, mtu 9000, tso=on ...;
// IRQs 140:0-3 141:4", or nothing when the device was not read.
void PrintDataPath(const char* whose, const record::Host& h) {
  if (h.offloads_size() == 0) return;
  std::string line = absl::StrCat("  data path ", whose, ": ", h.interface());
  if (!h.nic_driver().empty())
    absl::StrAppend(&line, " (", h.nic_driver(), ")");
  if (h.has_link_speed_mbps()) {
    absl::StrAppend(&line, ", ", h.link_speed_mbps(), " Mb/s");
  }
  if (h.has_mtu()) absl::StrAppend(&line, ", mtu ", h.mtu());
  absl::StrAppend(&line, ",");
  for (const record::KeyValue& kv : h.offloads()) {
    absl::StrAppend(&line, " ", kv.key(), "=", kv.value());
  }
  if (h.irq_affinity_size() > 0) {
    absl::StrAppend(&line, "; IRQs");
    for (const record::KeyValue& kv : h.irq_affinity()) {
      absl::StrAppend(&line, " ", kv.key(), ":", kv.value());
    }
  } else {
    absl::StrAppend(&line, "; no IRQs");
  }
  std::printf("%s\n", line.c_str());
}

}  // namespace

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
  const std::string reps =
      p.reps_auto() ? std::string("auto") : absl::StrCat(p.reps());
  std::printf("run %s  profile %s  mode %s  reps %s  started %s\n",
              run.run_id().c_str(), p.profile().c_str(), p.mode().c_str(),
              reps.c_str(), run.started_utc().c_str());
  std::printf("host %s, %d CPUs, %s; isolation %s (%s)\n",
              run.host().cpu_model().c_str(), run.host().cpu_count(),
              run.host().kernel().c_str(), run.isolation().mode().c_str(),
              run.isolation().reason().c_str());
  PrintDataPath("here", run.host());
  if (run.has_peer()) {
    const record::PeerHost& peer = run.peer();
    std::printf("host %s, %d CPUs, %s; the peer (%s side) at %s, %s\n",
                peer.host().cpu_model().c_str(), peer.host().cpu_count(),
                peer.host().kernel().c_str(), peer.role().c_str(),
                peer.address().c_str(), peer.target().c_str());
    PrintDataPath("on the peer", peer.host());
  }
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
