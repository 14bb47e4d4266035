#include "harness/record/history_check.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/record/change_point.h"
#include "harness/record/rank_test.h"
#include "harness/record/robust.h"
#include "harness/record/stats.h"

namespace copyscope::record {
namespace {

// A shift and its interval (the Hodges-Lehmann estimate of rank_test.h).
struct Shift {
  double shift = 0;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
};

double MedianOf(const std::vector<double>& v) { return Median(v).value_or(0); }

// The median absolute deviation over |median|; empty for fewer than two
// values or a zero median.
std::optional<double> RelativeMad(const std::vector<double>& values) {
  if (values.size() < 2) return std::nullopt;
  const double med = MedianOf(values);
  if (med == 0) return std::nullopt;
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - med));
  return MedianOf(dev) / std::fabs(med);
}

// b against a at 1 - alpha: the shift and its interval.
Shift HodgesLehmann(const std::vector<double>& a, const std::vector<double>& b,
                    double alpha) {
  Shift s;
  if (std::optional<RankComparison> r = MannWhitney(a, b, 1 - alpha)) {
    s.shift = r->shift;
    s.ci_low = r->shift_low;
    s.ci_high = r->shift_high;
  }
  return s;
}

std::optional<double> Relative(std::optional<double> x, double base) {
  if (!x || base == 0) return std::nullopt;
  return *x / std::fabs(base);
}

Change MakeChange(const Shift& s, double p, const std::vector<double>& before,
                  int n_after, const RunRef& run_before,
                  const RunRef& run_after, bool higher_is_better) {
  Change c;
  c.before = run_before;
  c.after = run_after;
  c.n_before = static_cast<int>(before.size());
  c.n_after = n_after;
  c.p = p;
  c.shift = s.shift;
  c.ci_low = s.ci_low;
  c.ci_high = s.ci_high;
  const double base = MedianOf(before);
  c.rel = Relative(s.shift, base);
  c.rel_low = Relative(s.ci_low, base);
  c.rel_high = Relative(s.ci_high, base);
  c.worse = higher_is_better ? s.shift < 0 : s.shift > 0;
  return c;
}

enum class Size { kNone, kWithinNoise, kMeaningful };

Size SizeOf(const Change& c, double alpha, std::optional<double> floor) {
  if (c.p >= alpha || c.shift == 0) return Size::kNone;
  if (floor && c.rel && std::fabs(*c.rel) < *floor) return Size::kWithinNoise;
  return Size::kMeaningful;
}

std::string Percent(std::optional<double> rel) {
  return rel ? absl::StrFormat("%+.1f%%", *rel * 100) : std::string("?");
}

// "-10.2% [-12.0%, -8.1%], p=0.0004" (the unit's shift when no median).
std::string Figures(const Change& c) {
  std::string size = c.rel ? Percent(c.rel) : absl::StrFormat("%+g", c.shift);
  if (c.rel_low && c.rel_high) {
    absl::StrAppend(&size, " [", Percent(c.rel_low), ", ", Percent(c.rel_high),
                    "]");
  }
  return absl::StrCat(size, ", p=", absl::StrFormat("%.2g", c.p));
}

std::string FloorText(std::optional<double> floor) {
  return floor ? absl::StrFormat("noise floor %.1f%%", *floor * 100)
               : std::string("noise floor unknown");
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kRegressed:
      return "regressed";
    case Verdict::kImproved:
      return "improved";
    case Verdict::kWithinNoise:
      return "within noise";
    case Verdict::kNoChange:
      return "no change";
    case Verdict::kUntestable:
      return "untestable";
  }
  return "untestable";
}

CellCheck CheckCell(const CellHistory& cell, bool higher_is_better,
                    const CheckOptions& o) {
  CellCheck out;
  out.key = cell.key;
  out.metric = cell.metric;
  out.higher_is_better = higher_is_better;
  if (cell.points.empty()) {
    out.reason = "no run of this cell";
    return out;
  }
  const HistoryPoint& latest = cell.points.back();
  out.fingerprint = latest.fingerprint;
  if (!latest.median) {
    out.reason = absl::StrCat("the latest run has no estimate of ", cell.metric,
                              " (", latest.status, ")");
    return out;
  }
  // The runs of the latest's testbed with an estimate, oldest first.
  std::vector<const HistoryPoint*> runs;
  for (const HistoryPoint& p : cell.points) {
    if (p.fingerprint == latest.fingerprint && p.median) runs.push_back(&p);
  }
  const int t = static_cast<int>(runs.size());
  out.runs = t;
  if (t < 2) {
    out.reason = "only one run of this cell on this testbed";
    return out;
  }
  std::vector<double> estimates;
  std::vector<double> spreads;
  for (const HistoryPoint* p : runs) {
    estimates.push_back(*p->median);
    if (std::optional<double> s = RelativeMad(p->values)) spreads.push_back(*s);
  }

  // Two tests decide: each at alpha / 2 (Bonferroni), so a cell that did
  // not change is flagged about alpha of the time.
  const double alpha = o.alpha / 2;
  ChangePointOptions cpo;
  cpo.alpha = alpha;
  cpo.permutations = o.permutations;
  cpo.seed = o.seed;
  cpo.min_segment = o.min_segment;
  std::vector<ChangePoint> cps = FindChangePoints(estimates, cpo);
  for (const ChangePoint& cp : cps) out.change_points.push_back(cp.index);

  // The baseline: the earlier runs since their last change point, found
  // among them alone. Over every estimate, a latest run far off can pull a
  // change point to the run before it (a side of one is too short), which
  // would leave that run alone as the baseline.
  int begin = 0;
  for (const ChangePoint& cp : FindChangePoints(
           std::vector<double>(estimates.begin(), estimates.end() - 1), cpo)) {
    begin = cp.index;
  }
  std::vector<double> pooled;
  std::vector<double> baseline_estimates;
  for (int i = begin; i < t - 1; ++i) {
    pooled.insert(pooled.end(), runs[i]->values.begin(), runs[i]->values.end());
    baseline_estimates.push_back(estimates[i]);
  }
  if (!spreads.empty()) out.within_run_spread = MedianOf(spreads);
  if (std::optional<double> mad = RelativeMad(baseline_estimates)) {
    // A prediction band for one more run: t(n - 1) x sqrt(1 + 1/n) x the
    // standard deviation, estimated robustly as 1.4826 MAD.
    const double n = static_cast<double>(baseline_estimates.size());
    out.between_run_band =
        StudentQuantile(1 - alpha / 2, static_cast<int>(n) - 1) *
        std::sqrt(1 + 1 / n) * 1.4826 * *mad;
  }
  for (std::optional<double> s :
       {out.within_run_spread, out.between_run_band}) {
    if (s) out.noise_floor = std::max(out.noise_floor.value_or(0), *s);
  }

  // 1. The latest run against its baseline.
  const int m = static_cast<int>(pooled.size());
  const int n = static_cast<int>(latest.values.size());
  std::optional<RankComparison> r;
  if (RankTestable(m, n, alpha))
    r = MannWhitney(pooled, latest.values, 1 - alpha);
  Size latest_size = Size::kNone;
  if (r) {
    out.latest =
        MakeChange({r->shift, r->shift_low, r->shift_high}, r->p, pooled,
                   r->n_b, runs[t - 2]->run, latest.run, higher_is_better);
    latest_size = SizeOf(*out.latest, alpha, out.noise_floor);
  } else {
    int k = 1;
    while (!RankTestable(k, k, alpha)) ++k;
    out.latest_untestable = absl::StrCat(
        "not enough values to test (", m, " against ", n, " cannot reach p < ",
        alpha, " in a rank test; ", k, " a side can)");
  }

  // 2. The most recent change point, sized over the run estimates.
  Size step_size = Size::kNone;
  if (!cps.empty()) {
    const ChangePoint& cp = cps.back();
    const int prev = cps.size() >= 2 ? cps[cps.size() - 2].index : 0;
    std::vector<double> before(estimates.begin() + prev,
                               estimates.begin() + cp.index);
    std::vector<double> after(estimates.begin() + cp.index, estimates.end());
    out.step =
        MakeChange(HodgesLehmann(before, after, alpha), cp.p, before,
                   static_cast<int>(after.size()), runs[cp.index - 1]->run,
                   runs[cp.index]->run, higher_is_better);
    step_size = SizeOf(*out.step, alpha, out.within_run_spread);
  }

  if (latest_size == Size::kMeaningful) {
    const Change& c = *out.latest;
    out.verdict = c.worse ? Verdict::kRegressed : Verdict::kImproved;
    out.reason = absl::StrCat(
        "latest run ", c.after.run_id, " (", BuildLabel(c.after), ") against ",
        t - 1 - begin, " earlier runs since ", runs[begin]->run.run_id, ": ",
        cell.metric, " ", Figures(c), ", ", FloorText(out.noise_floor));
  } else if (step_size == Size::kMeaningful) {
    const Change& c = *out.step;
    out.verdict = c.worse ? Verdict::kRegressed : Verdict::kImproved;
    out.reason =
        absl::StrCat("since run ", c.after.run_id, " (", BuildLabel(c.after),
                     ", after ", BuildLabel(c.before), "): ", cell.metric, " ",
                     Figures(c), " over ", c.n_after, " runs against ",
                     c.n_before, ", ", FloorText(out.within_run_spread));
  } else if (latest_size == Size::kWithinNoise ||
             step_size == Size::kWithinNoise) {
    const bool of_latest = latest_size == Size::kWithinNoise;
    const Change& c = of_latest ? *out.latest : *out.step;
    out.verdict = Verdict::kWithinNoise;
    out.reason = absl::StrCat(
        of_latest ? "latest run" : "since run ",
        of_latest ? "" : c.after.run_id, ": a significant change of ",
        Percent(c.rel), " (p=", absl::StrFormat("%.2g", c.p), ") within the ",
        FloorText(of_latest ? out.noise_floor : out.within_run_spread));
  } else if (!out.latest && !out.step) {
    out.reason = absl::StrCat("latest run: ", out.latest_untestable,
                              "; no change point");
  } else {
    out.verdict = Verdict::kNoChange;
    out.reason =
        out.latest
            ? absl::StrCat("no significant change: latest run against ",
                           out.latest->n_before, " repetitions of ",
                           t - 1 - begin,
                           " earlier runs: ", Figures(*out.latest))
            : absl::StrCat("no significant change: ", out.latest_untestable);
  }
  return out;
}

std::vector<CellCheck> CheckRun(
    const std::vector<CellHistory>& cells, const std::string& run_id,
    const std::function<bool(const CellHistory&)>& higher_is_better,
    const CheckOptions& options) {
  std::vector<CellCheck> out;
  for (const CellHistory& c : cells) {
    auto at = std::find_if(
        c.points.begin(), c.points.end(),
        [&](const HistoryPoint& p) { return p.run.run_id == run_id; });
    if (at == c.points.end()) continue;
    CellHistory upto = c;
    upto.points.erase(upto.points.begin() + (at - c.points.begin()) + 1,
                      upto.points.end());
    out.push_back(CheckCell(upto, higher_is_better(upto), options));
  }
  return out;
}

std::vector<CellCheck> CheckLatestRun(
    const std::vector<CellHistory>& cells,
    const std::function<bool(const CellHistory&)>& higher_is_better,
    const CheckOptions& options) {
  const RunRef* latest = nullptr;
  for (const CellHistory& c : cells) {
    for (const HistoryPoint& p : c.points) {
      if (latest == nullptr ||
          std::tie(p.run.started_utc, p.run.run_id) >
              std::tie(latest->started_utc, latest->run_id)) {
        latest = &p.run;
      }
    }
  }
  if (latest == nullptr) return {};
  return CheckRun(cells, latest->run_id, higher_is_better, options);
}

}  // namespace copyscope::record
