// Building a run's record (record.proto) from what the runner measured:
// the header (plan, host, build, plugins, isolation, topology), one Sample
// per repetition of a cell, and the statistics over a cell's samples.
//
//   record::Run run = MakeRunHeader(options, plan, set.plugins(), context,
//                                   run_id, absl::Now());
//   record::Cell cell;
//   *cell.mutable_key() = MakeKey(first_result);
//   AddSample(result, /*rep=*/1, &cell);   // also recomputes the statistics
//   const record::Aggregate* a = FindAggregate(cell, "throughput_gbps");
//
// Statistics: per metric, over the samples whose status is ok (see
// stats.h); the cell is unstable when its primary metric (stream:
// throughput_gbps, rr: transactions_per_sec) has a CV above max_cv.
#ifndef COPYSCOPE_HARNESS_RECORD_RECORD_H_
#define COPYSCOPE_HARNESS_RECORD_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/record/record.pb.h"
#include "harness/engine/results.h"
#include "plugins/loader.h"

namespace copyscope::harness {

// Bumped whenever record.proto gains fields.
inline constexpr uint32_t kSchemaVersion = 1;
// Run.trailer: "copyscop" in ASCII.
inline constexpr uint64_t kRecordTrailer = 0x636f707973636f70ull;

std::string Rfc3339(absl::Time t);

record::Run MakeRunHeader(const RunOptions& options, const Plan& plan,
                          const std::vector<plugins::Plugin>& plugins,
                          const RunContext& context, const std::string& run_id,
                          absl::Time started);

record::CellKey MakeKey(const CellResult& result);

// The transport as tables show it: "two_copy", or "two_copy/uring_recv"
// when a separate plugin receives.
std::string CellLabel(const record::CellKey& key);

// Appends the sample of `result` as repetition `rep` and recomputes the
// cell's status, aggregates and unstable flag with threshold max_cv.
void AddSample(const CellResult& result, int rep, double max_cv,
               record::Cell* cell);

// Recomputes status, aggregates, primary metric and unstable flag.
void Aggregate(double max_cv, record::Cell* cell);

// The aggregate of that metric, or nullptr.
const record::Aggregate* FindAggregate(const record::Cell& cell,
                                       const std::string& metric);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_RECORD_RECORD_H_
