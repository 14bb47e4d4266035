#include "harness/record/cell_checks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "harness/record/outliers.h"
#include "harness/record/robust.h"

namespace copyscope::record {
namespace {

std::optional<double> MetricOf(const Sample& s, const std::string& name) {
  for (const Metric& m : s.metrics()) {
    if (m.name() == name) return m.value();
  }
  return std::nullopt;
}

struct Part {
  double messages = 0;
  double seconds = 0;
};

}  // namespace

std::string PrimaryMetric(const CellKey& key) {
  if (key.mode() == "rr") return "transactions_per_sec";
  if (key.mode() == "crr") return "connections_per_sec";
  return "throughput_gbps";
}

std::vector<double> PrimaryValues(const Cell& cell) {
  const std::string name = PrimaryMetric(cell.key());
  std::vector<double> out;
  for (const Sample& s : cell.samples()) {
    if (s.status() != "ok") continue;
    if (std::optional<double> v = MetricOf(s, name)) out.push_back(*v);
  }
  return out;
}

void FlagOutliers(Cell* cell) {
  const std::string name = PrimaryMetric(cell->key());
  std::vector<double> values;
  std::vector<Sample*> judged;
  for (Sample& s : *cell->mutable_samples()) {
    s.clear_outlier();
    if (s.status() != "ok") continue;
    if (std::optional<double> v = MetricOf(s, name)) {
      values.push_back(*v);
      judged.push_back(&s);
    }
  }
  cell->clear_outliers();
  if (static_cast<int>(values.size()) < kMinSamplesForFences) return;
  std::optional<Fences> f = MadFences(values, kOutlierMadK);
  if (!f) return;
  for (size_t i : f->outside) judged[i]->set_outlier(true);
  cell->set_outliers(static_cast<uint32_t>(f->outside.size()));
}

std::optional<RepCheck> JudgeConvergence(const StoppingRule& rule, Cell* cell) {
  cell->clear_convergence();
  cell->clear_converged();
  const std::vector<double> values = PrimaryValues(*cell);
  if (values.empty()) return std::nullopt;
  std::optional<RepCheck> c = CheckRepetitions(values, rule);
  if (!c) return std::nullopt;
  Convergence* out = cell->mutable_convergence();
  out->set_decision(RepDecisionName(c->decision));
  out->set_basis(CiBasisName(c->basis));
  out->set_estimate(c->estimate);
  if (c->low) out->set_low(*c->low);
  if (c->high) out->set_high(*c->high);
  if (c->relative_half_width) {
    out->set_relative_half_width(*c->relative_half_width);
  }
  cell->set_converged(c->decision == RepDecision::kConverged);
  return c;
}

Trend SliceTrend(const Sample& sample, const TrendOptions& options) {
  Trend out;
  std::vector<Part> parts;
  for (const Slice& s : sample.slices()) {
    if (s.length_s() > 0) {
      parts.push_back({static_cast<double>(s.messages()), s.length_s()});
    }
  }
  if (!parts.empty()) {
    std::vector<double> lengths;
    for (const Part& p : parts) lengths.push_back(p.seconds);
    const double half = Median(lengths).value_or(0) / 2;
    if (parts.back().seconds < half) parts.pop_back();
    if (!parts.empty() && parts.front().seconds < half) {
      parts.erase(parts.begin());
    }
  }
  while (parts.size() > static_cast<size_t>(kMaxTrendPoints)) {
    std::vector<Part> merged;
    for (size_t i = 0; i < parts.size(); i += 2) {
      Part p = parts[i];
      if (i + 1 < parts.size()) {
        p.messages += parts[i + 1].messages;
        p.seconds += parts[i + 1].seconds;
      }
      merged.push_back(p);
    }
    parts = std::move(merged);
  }
  std::vector<double> rates;
  for (const Part& p : parts) rates.push_back(p.messages / p.seconds);
  out.set_points(static_cast<int32_t>(rates.size()));
  if (rates.size() < static_cast<size_t>(kMinTrendPoints)) {
    out.set_verdict("untested");
    out.set_reason(sample.slices().empty()
                       ? "no slices"
                       : absl::StrCat(rates.size(),
                                      " whole slices, the test "
                                      "needs ",
                                      kMinTrendPoints));
    return out;
  }
  std::optional<TrendTest> t = MannKendall(rates, options);
  if (!t) {
    out.set_verdict("untested");
    out.set_reason("the slices cannot be tested");
    return out;
  }
  out.set_verdict(TrendVerdictName(t->verdict));
  out.set_tau(t->tau);
  out.set_p(t->p);
  if (t->relative_change) out.set_relative_change(*t->relative_change);
  return out;
}

}  // namespace copyscope::record
