#include "harness/record/convergence.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "harness/record/robust.h"
#include "harness/record/stats.h"

namespace copyscope::record {
namespace {

bool ValidRule(const StoppingRule& rule) {
  return std::isfinite(rule.ci_target) && rule.ci_target > 0 &&
         rule.min_reps >= 1 && rule.max_reps >= rule.min_reps;
}

// The interval of the median where it exists, else Student's of the mean.
void SetInterval(const std::vector<double>& samples, RepCheck& c) {
  if (samples.empty()) return;
  if (std::optional<MedianInterval> m = MedianCi(samples)) {
    c.basis = CiBasis::kMedian;
    c.estimate = m->median;
    c.low = m->low;
    c.high = m->high;
    return;
  }
  Summary s = Summarize(samples);
  c.estimate = s.mean;
  if (!s.ci95_low || !s.ci95_high) return;
  c.basis = CiBasis::kMean;
  c.low = s.ci95_low;
  c.high = s.ci95_high;
}

}  // namespace

const char* RepDecisionName(RepDecision d) {
  switch (d) {
    case RepDecision::kContinue:
      return "continue";
    case RepDecision::kConverged:
      return "converged";
    case RepDecision::kGaveUp:
      return "gave up";
  }
  return "?";
}

const char* CiBasisName(CiBasis b) {
  switch (b) {
    case CiBasis::kNone:
      return "none";
    case CiBasis::kMedian:
      return "median";
    case CiBasis::kMean:
      return "mean";
  }
  return "?";
}

std::optional<RepCheck> CheckRepetitions(const std::vector<double>& samples,
                                         const StoppingRule& rule) {
  if (!ValidRule(rule) || !AllFinite(samples)) return std::nullopt;
  RepCheck c;
  c.n = static_cast<int>(samples.size());
  SetInterval(samples, c);
  if (c.low && c.high) {
    double half = std::max(c.estimate - *c.low, *c.high - c.estimate);
    if (half == 0) {
      c.relative_half_width = 0;
    } else if (c.estimate != 0) {
      c.relative_half_width = half / std::fabs(c.estimate);
    }
  }
  if (c.n >= rule.min_reps && c.relative_half_width &&
      *c.relative_half_width <= rule.ci_target) {
    c.decision = RepDecision::kConverged;
  } else if (c.n >= rule.max_reps) {
    c.decision = RepDecision::kGaveUp;
  }
  return c;
}

std::optional<RoundsFit> RoundsWithinBudget(
    double budget_s, const std::vector<double>& sample_seconds,
    int samples_per_round) {
  if (sample_seconds.empty() || samples_per_round < 1 ||
      !std::isfinite(budget_s)) {
    return std::nullopt;
  }
  double sum = 0;
  for (double s : sample_seconds) {
    if (!std::isfinite(s) || s <= 0) return std::nullopt;
    sum += s;
  }
  RoundsFit f;
  f.round_s = sum / static_cast<double>(sample_seconds.size()) *
              static_cast<double>(samples_per_round);
  if (budget_s <= 0) return f;
  double rounds = std::floor(budget_s / f.round_s * (1 + 1e-9));
  f.rounds = rounds >= static_cast<double>(INT_MAX) ? INT_MAX
                                                    : static_cast<int>(rounds);
  return f;
}

}  // namespace copyscope::record
