// The results history: an SQLite file holding, for every run, its identity,
// testbed fingerprint and build, and per cell the key, the primary
// metric's estimate with its interval, and every repetition's value; so a
// cell's figures can be followed across builds on one testbed and a
// regression found (history_check.h).
//
//   absl::StatusOr<History> h = History::Open("results/history.db");
//   if (!h.ok()) return h.status();            // one line: file, what, fix
//   absl::Status s = h->Append(SummaryOf(run, fingerprint));
//   HistoryFilter f;
//   f.fingerprint = fingerprint;
//   f.transport = "two_copy";
//   f.last_runs = 20;
//   absl::StatusOr<std::vector<CellHistory>> cells = h->Query(f);
//   for (const HistoryPoint& p : (*cells)[0].points) ...  // oldest first
//
// The file is created when absent (its directory is the caller's to make),
// in WAL mode with a busy timeout, so runs appending at the same time from
// several processes all land. Its schema and migrations: history_schema.h.
// A file that is not SQLite, another application's database or a damaged
// history is refused with one line naming the file and what to do; it is
// never changed. One History per thread: open one per thread or process.
#ifndef COPYSCOPE_HARNESS_RECORD_HISTORY_H_
#define COPYSCOPE_HARNESS_RECORD_HISTORY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/record/run_summary.h"

namespace copyscope::record {

class SqliteDb;

// One cell in one run.
struct HistoryPoint {
  RunRef run;
  std::string fingerprint;
  std::string status;  // the cell's: "ok" or its first failure
  std::optional<double> median;
  std::optional<double> ci95_low;  // of the mean, as the record has it
  std::optional<double> ci95_high;
  int n = 0;
  bool unstable = false;
  std::vector<double> values;              // the metric's, rep order
  std::vector<SampleValue> other_samples;  // other metrics kept, if any
};

// One cell across runs.
struct CellHistory {
  HistoryKey key;
  std::string metric;                // the primary metric
  std::vector<HistoryPoint> points;  // oldest first
};

// Which cells and runs a query returns; empty fields match everything.
struct HistoryFilter {
  std::string fingerprint;
  std::string transport;
  std::optional<uint64_t> size;
  std::optional<int> threads;
  // The most recent runs (by start time) that have a matching cell, on the
  // fingerprint if one is given; 0: all.
  int last_runs = 0;
};

class History {
 public:
  // Opens (creates when absent) the history at path; see above.
  static absl::StatusOr<History> Open(const std::string& path,
                                      int busy_timeout_ms = 30000);

  History(History&&) noexcept;
  History& operator=(History&&) noexcept;
  ~History();

  const std::string& path() const;

  // Adds a run in one transaction: all of it or, on error, nothing. A run
  // already held (same run_id) is AlreadyExists; an empty run_id or
  // fingerprint, a cell given twice, a sample given twice or a value that
  // is not finite are InvalidArgument.
  absl::Status Append(const RunSummary& run);

  // Whether a run of that id is held.
  absl::StatusOr<bool> Contains(const std::string& run_id);

  // The matching cells, ordered by key, each with its runs oldest first.
  absl::StatusOr<std::vector<CellHistory>> Query(const HistoryFilter& filter);

 private:
  explicit History(std::unique_ptr<SqliteDb> db);
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_HISTORY_H_
