// Building a run's record (record.proto): the header (plan, host, build,
// plugins, isolation, topology, the metrics catalogue), one Sample per
// repetition of a cell with its derived metrics, and the statistics over a
// cell's samples.
//
//   record::Run run = MakeRunHeader(options, plan, plugins, context,
//                                   run_id, absl::Now());
//   record::Cell cell;
//   *cell.mutable_key() = KeyOf(spec);
//   AddSample(std::move(result.sample), /*rep=*/1, max_cv, &cell);
//   const record::Aggregate* a = FindAggregate(cell, "throughput_gbps");
//
// Statistics: per metric, over the samples whose status is ok (see
// stats.h), with the median's order-statistic interval from 6 samples
// (robust.h); the cell is unstable when its primary metric (stream:
// throughput_gbps, rr: transactions_per_sec, crr: connections_per_sec) has
// a CV above max_cv; its
// outliers are flagged and its trending samples counted (cell_checks.h).
#ifndef COPYSCOPE_HARNESS_RECORD_RECORD_H_
#define COPYSCOPE_HARNESS_RECORD_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/record/record.pb.h"

namespace copyscope::record {

// Bumped whenever record.proto gains fields (its header lists revisions).
inline constexpr uint32_t kSchemaVersion = 6;
// Run.trailer: "copyscop" in ASCII.
inline constexpr uint64_t kRecordTrailer = 0x636f707973636f70ull;

// What surrounds a run, stored in the record as is: the isolation used and
// why, the CPU topology and the pinning plan, and notes (e.g. "hardware
// counters unsupported here: ..."). The defaults describe a plain loopback
// run.
struct RunContext {
  std::string isolation_mode = "loopback";
  std::string isolation_reason = "no isolation requested";
  // e.g. {"interface", "veth0"}, {"mtu", "1500"}, {"server_address", ...},
  // {"gso", "on"}; "interface" and "mtu" also name the host's MTU entry.
  std::vector<std::pair<std::string, std::string>> isolation_details;
  std::string topology_summary;
  std::string pin_plan;
  std::vector<std::string> notes;
  std::optional<PeerHost> peer;  // a run on two hosts
};

std::string Rfc3339(absl::Time t);

Run MakeRunHeader(const config::RunOptions& options, const config::Plan& plan,
                  const std::vector<PluginInfo>& plugins,
                  const RunContext& context, const std::string& run_id,
                  absl::Time started);

CellKey KeyOf(const config::CellSpec& spec);

// The transport as tables show it: "two_copy", or "two_copy/uring_recv"
// when a separate plugin receives; "@inet6" or "@unix" follows when the
// family is not inet.
std::string CellLabel(const CellKey& key);

// A cell's own isolation where the run's does not apply (Cell.isolation):
// for a unix cell mode "none" with the reason; nullopt for inet and inet6.
// `run_mode`: the run's isolation mode, named in the reason.
std::optional<Isolation> CellIsolation(const config::CellSpec& spec,
                                       const std::string& run_mode);

// Appends `sample` as repetition `rep`, with its metrics derived (see
// metrics.h), and recomputes the cell's status, aggregates and unstable flag
// with threshold max_cv. The cell's key must be set.
void AddSample(Sample sample, int rep, double max_cv, Cell* cell);

// Recomputes status, aggregates, primary metric, unstable flag, outlier
// flags and the count of trending samples. Convergence is judged apart
// (cell_checks.h JudgeConvergence), with the run's stopping rule.
void ComputeAggregates(double max_cv, Cell* cell);

// The aggregate of that metric, or nullptr.
const Aggregate* FindAggregate(const Cell& cell, const std::string& metric);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_RECORD_H_
