#include "harness/record/run_summary.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace copyscope::record {
namespace {

const Aggregate* AggregateOf(const Cell& cell, const std::string& metric) {
  for (const Aggregate& a : cell.aggregates()) {
    if (a.metric() == metric) return &a;
  }
  return nullptr;
}

// The primary metric as the record names it; records that predate the
// field get the rule record.cc applies (rr: transactions, crr:
// connections, else throughput).
std::string PrimaryMetric(const Cell& cell) {
  if (!cell.primary_metric().empty()) return cell.primary_metric();
  if (cell.key().mode() == "rr") return "transactions_per_sec";
  if (cell.key().mode() == "crr") return "connections_per_sec";
  return "throughput_gbps";
}

}  // namespace

HistoryKey HistoryKeyOf(const CellKey& key) {
  HistoryKey k;
  // A family other than inet and a background are part of the
  // transport's name there ("two_copy@unix", "two_copy under
  // two_copy:1:65536"): cells of their own, with no new history column,
  // never mixed with the same cell over inet or measured idle.
  k.transport = key.family().empty()
                    ? key.transport()
                    : absl::StrCat(key.transport(), "@", key.family());
  if (!key.background().empty()) {
    absl::StrAppend(&k.transport, " under ", key.background());
  }
  k.recv_transport = key.recv_transport();
  k.size = key.size();
  k.threads = key.threads();
  k.mode = key.mode();
  k.fields = key.fields();
  k.direction = key.direction();
  k.request_size = key.request_size();
  k.response_size = key.response_size();
  return k;
}

std::string HistoryKeyLabel(const HistoryKey& key) {
  std::string label = key.transport;
  if (!key.recv_transport.empty())
    absl::StrAppend(&label, "/", key.recv_transport);
  absl::StrAppend(&label, " ", key.size, " B x", key.threads, " ", key.mode);
  if (key.request_size != 0 || key.response_size != 0) {
    absl::StrAppend(&label, " ", key.request_size, "/", key.response_size,
                    " B");
  }
  return label;
}

std::string BuildLabel(const RunRef& run) {
  std::string commit = run.git_commit.empty() ? std::string("unstamped")
                                              : run.git_commit.substr(0, 12);
  if (!run.git_commit.empty() && run.git_dirty == 1) {
    absl::StrAppend(&commit, "-dirty");
  }
  return absl::StrCat(commit, " (", run.version.empty() ? "?" : run.version,
                      ")");
}

RunSummary SummaryOf(const Run& run, const std::string& fingerprint,
                     const std::vector<std::string>& extra_metrics) {
  RunSummary s;
  s.run.run_id = run.run_id();
  s.run.started_utc = run.started_utc();
  s.run.git_commit = run.build().stamped() ? run.build().git_commit() : "";
  s.run.git_dirty = run.build().stamped() ? run.build().git_dirty() : -1;
  s.run.version = run.build().version();
  s.fingerprint = fingerprint;
  for (const Cell& cell : run.cells()) {
    CellSummary c;
    c.key = HistoryKeyOf(cell.key());
    c.status = cell.status();
    c.metric = PrimaryMetric(cell);
    c.unstable = cell.unstable();
    if (const Aggregate* a = AggregateOf(cell, c.metric)) {
      c.median = a->median();
      c.n = static_cast<int>(a->n());
      if (a->has_ci95_low()) c.ci95_low = a->ci95_low();
      if (a->has_ci95_high()) c.ci95_high = a->ci95_high();
    }
    for (const Sample& sample : cell.samples()) {
      if (sample.status() != "ok") continue;
      for (const Metric& m : sample.metrics()) {
        bool wanted = m.name() == c.metric ||
                      std::find(extra_metrics.begin(), extra_metrics.end(),
                                m.name()) != extra_metrics.end();
        if (wanted && std::isfinite(m.value())) {
          c.samples.push_back({sample.rep(), m.name(), m.value()});
        }
      }
    }
    s.cells.push_back(std::move(c));
  }
  return s;
}

}  // namespace copyscope::record
