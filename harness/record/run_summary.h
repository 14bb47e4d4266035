// What the results history keeps of a run: its identity, testbed and build,
// and per cell the key, the primary metric's estimate with its interval and
// every repetition's value (and, on request, a few other metrics' values).
// SummaryOf builds it from a record, so importing old records and appending
// a run as it ends share one conversion.
//
//   record::Run run = ...;                            // e.g. read from run.pb
//   RunSummary s = SummaryOf(run, fingerprint, {"server_cpu_util"});
//   s.cells[0].key.transport;                         // "two_copy"
//   s.cells[0].median;                                // of throughput_gbps
//
// From the record: run_id, started_utc and build (git_commit, git_dirty,
// version) of record::Run; per record::Cell its CellKey, status,
// primary_metric, unstable flag, the primary metric's Aggregate (median,
// n, 95% CI of the mean) and the metrics of its ok samples by rep. The
// testbed fingerprint is the caller's (env/provenance.h).
#ifndef COPYSCOPE_HARNESS_RECORD_RUN_SUMMARY_H_
#define COPYSCOPE_HARNESS_RECORD_RUN_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "harness/record/record.pb.h"

namespace copyscope::record {

// A cell's key, as record::CellKey: the cells of two runs are the same
// cell when every field is equal.
struct HistoryKey {
  std::string transport;
  std::string recv_transport;  // "": the transport receives itself
  uint64_t size = 0;
  int threads = 0;
  std::string mode;  // "stream", "rr" or "crr"
  uint32_t fields = 0;
  std::string direction;
  uint64_t request_size = 0;  // rr, crr; 0 in stream mode
  uint64_t response_size = 0;

  auto Tie() const {
    return std::tie(transport, recv_transport, size, threads, mode, fields,
                    direction, request_size, response_size);
  }
  bool operator==(const HistoryKey& o) const { return Tie() == o.Tie(); }
  bool operator<(const HistoryKey& o) const { return Tie() < o.Tie(); }
};

// The history's key of a cell; a family other than inet and a background
// join the transport ("two_copy@unix", "two_copy under two_copy:1:65536").
HistoryKey HistoryKeyOf(const CellKey& key);

// "two_copy/uring_recv 4096 B x2 stream" (rr: "... rr 64/64 B").
std::string HistoryKeyLabel(const HistoryKey& key);

// One repetition's value of one metric.
struct SampleValue {
  int rep = 0;  // 1-based, as in the record
  std::string metric;
  double value = 0;
};

struct CellSummary {
  HistoryKey key;
  std::string status;  // "ok", or the cell's first failure
  std::string metric;  // the primary metric, e.g. "throughput_gbps"
  // The primary metric over the ok samples: absent when none is.
  std::optional<double> median;
  std::optional<double> ci95_low;  // of the mean (Student t); n >= 2
  std::optional<double> ci95_high;
  int n = 0;
  bool unstable = false;
  // The primary metric's value of every ok sample, and those of the extra
  // metrics asked for; rep order.
  std::vector<SampleValue> samples;
};

// Identity and build of a run, as the history lists it.
struct RunRef {
  std::string run_id;       // the results directory's name
  std::string started_utc;  // RFC 3339, UTC
  std::string git_commit;   // "" when the build was not stamped
  int git_dirty = -1;       // 1 dirty, 0 clean, -1 unknown
  std::string version;      // copyscope's
};

// "1a2b3c4d5e6f (0.1.0)", "1a2b3c4d5e6f-dirty (0.1.0)", "unstamped
// (0.1.0)".
std::string BuildLabel(const RunRef& run);

struct RunSummary {
  RunRef run;
  std::string fingerprint;  // of the testbed (env::TestbedFingerprint)
  std::vector<CellSummary> cells;
};

// The summary of a record, for a run on the testbed of that fingerprint.
// extra_metrics: metrics whose sample values are kept besides the primary
// one's (absent ones are skipped).
RunSummary SummaryOf(const Run& run, const std::string& fingerprint,
                     const std::vector<std::string>& extra_metrics = {});

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_RUN_SUMMARY_H_
