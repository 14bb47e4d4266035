// When to stop repeating a cell (--reps=auto): after each sample, the
// samples so far of the cell's primary figure (stream: throughput; rr:
// transactions per second) are judged against a stopping rule, and the
// answer is continue, converged or gave up. And, for an ETA or a time
// budget, how many more rounds of samples fit in the time left.
//
//   StoppingRule rule;  // ci_target 0.02, min_reps 3, max_reps 10
//   std::vector<double> gbps;
//   for (;;) {
//     gbps.push_back(RunOneSample());
//     std::optional<RepCheck> c = CheckRepetitions(gbps, rule);
//     if (!c) break;  // a NaN or infinite figure: the sample failed
//     if (c->decision != RepDecision::kContinue) {
//       // record RepDecisionName(c->decision), CiBasisName(c->basis),
//       // c->relative_half_width, c->n
//       break;
//     }
//   }
//
//   // 10 minutes left; samples took these seconds; 12 cells still running:
//   std::optional<RoundsFit> f = RoundsWithinBudget(600, seconds, 12);
//   // f->rounds whole rounds fit; an ETA is rounds_wanted * f->round_s
//
// The sweep interleaves cells (every cell once per round), so a caller
// checks each cell after its sample of the round and leaves a cell out of
// later rounds once it has converged or given up.
#ifndef COPYSCOPE_HARNESS_RECORD_CONVERGENCE_H_
#define COPYSCOPE_HARNESS_RECORD_CONVERGENCE_H_

#include <optional>
#include <vector>

namespace copyscope::record {

struct StoppingRule {
  // The largest relative half-width of the 95% interval that counts as
  // converged, a fraction: 0.02 = the interval's ends within +-2% of the
  // estimate.
  double ci_target = 0.02;
  int min_reps = 3;   // no verdict of convergence before this many samples
  int max_reps = 10;  // give up at this many samples without convergence
};

enum class RepDecision {
  kContinue,   // take another sample
  kConverged,  // n >= min_reps and relative half-width <= ci_target
  kGaveUp,     // n >= max_reps and not converged
};

// Which 95% interval was judged.
enum class CiBasis {
  kNone,  // n < 2: no interval
  // The order-statistic interval of the median (robust.h MedianCi), from
  // n = 6 (MinSamplesForMedianCi()), where it exists.
  kMedian,
  // The Student t interval of the mean (stats.h Summarize), for n = 2 .. 5,
  // where the median's interval does not exist yet.
  kMean,
};

const char* RepDecisionName(RepDecision d);  // "continue", "converged", ...
const char* CiBasisName(CiBasis b);          // "none", "median", "mean"

struct RepCheck {
  RepDecision decision = RepDecision::kContinue;
  int n = 0;
  CiBasis basis = CiBasis::kNone;
  // The median (kMedian) or the mean (kMean, and kNone with n = 1); 0 for
  // no samples.
  double estimate = 0;
  // The interval judged; empty with kNone.
  std::optional<double> low;
  std::optional<double> high;
  // max(estimate - low, high - estimate) / |estimate|: the farther end of
  // the interval, relative to the estimate (the median's interval is not
  // symmetric; its farther end is what a "+-2%" must cover). 0 when the
  // interval has no width (all samples equal, even all 0); empty with no
  // interval, or with an estimate of 0 and an interval of some width,
  // which then never converges and gives up at max_reps.
  std::optional<double> relative_half_width;
};

// Judges the samples so far (in any order) against the rule:
//   converged  when n >= min_reps and relative_half_width <= ci_target;
//   gave up    otherwise, when n >= max_reps;
//   continue   otherwise.
// Empty for a sample that is NaN or infinite, or a rule that cannot be
// met: ci_target not a finite number > 0, min_reps < 1 or max_reps <
// min_reps. With min_reps = 1 a single sample never converges (it has no
// interval), it only gives up when max_reps is 1 too.
//
// Student's interval at n = 3 is 2.48 standard deviations wide each way,
// so converging there at 2% needs a CV below 0.8%; the median's interval
// at n = 6 .. 8 is [min, max] and at n = 9, 10 [x(2), x(n-1)].
std::optional<RepCheck> CheckRepetitions(
    const std::vector<double>& samples,
    const StoppingRule& rule = StoppingRule());

struct RoundsFit {
  int rounds = 0;      // whole rounds that fit in the budget
  double round_s = 0;  // the estimated seconds of one round
};

// How many rounds of `samples_per_round` samples (the cells still
// repeating) fit in `budget_s` seconds, from the seconds each sample took
// so far: round_s = mean(sample_seconds) * samples_per_round (the mean, as
// the total time of many samples is n times it), rounds = floor(budget_s /
// round_s) within 1e-9 relative rounding, 0 for a budget of 0 or less, at
// most INT_MAX. Measure a sample from the start of one to the start of the
// next, so the gaps between samples count. Empty for no sample times, one
// that is not a finite number > 0, samples_per_round < 1 or a budget that
// is not finite.
std::optional<RoundsFit> RoundsWithinBudget(
    double budget_s, const std::vector<double>& sample_seconds,
    int samples_per_round);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_CONVERGENCE_H_
