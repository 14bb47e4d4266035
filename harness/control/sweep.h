// Runs a plan in rounds: every cell once per round, interleaved (all cells
// once, then again, ...) so that slow drift of the machine spreads over
// every transport instead of favouring the ones measured first. After each
// sample the record is updated (statistics included) and handed to a
// callback, which writes the results directory: progress is on disk at
// every step, and an interrupted run keeps every finished sample.
//
//   AgentSides sides(settings);           // agent_sides.h
//   SweepConfig config;
//   config.reps_auto = true;              // or config.reps = 3
//   config.interrupt = &interrupted;      // set by the SIGINT watcher
//   SweepOutcome out = RunSweep(plan, config, sides, &run,
//       [&](const record::Run& r) { return WriteRunFiles(dir, r, ""); });
//
// Repetitions. Fixed (reps = N): N rounds. Auto (reps_auto): after each
// sample the cell's primary figure is judged by the stopping rule
// (record/convergence.h); a cell that converged or gave up (max_reps)
// leaves the later rounds, and the rounds go on while any cell repeats.
// A failed sample ends its cell's repetitions. With a time budget, every
// cell gets its first min_reps samples, and a later round starts only when
// it fits in what is left (RoundsWithinBudget over the times the samples
// took so far); the cells still repeating then end "time budget". Every
// cell's Convergence says how it ended; fixed repetitions are judged by
// the same rule at the end ("fixed").
//
// Steady state. Each sample's slices are tested for a trend
// (record/cell_checks.h SliceTrend). The first sample of a cell that
// trends is retaken at once with a longer warm-up (duration mode: the
// warm-up plus one duration; count mode: the warm-up messages plus one
// sample's messages), which the cell keeps from then on; the retake
// replaces it and keeps its test (Sample.retaken_trend). A retake that
// still trends is recorded as trending.
//
// Progress, when config.progress is set, is one line on stderr rewritten
// in place: "round r: cell k/n: transport size threads  ETA mm:ss" (with
// --reps=auto a range: every repeating cell converging at its next
// judgement .. none before max_reps or the budget).
#ifndef COPYSCOPE_HARNESS_CONTROL_SWEEP_H_
#define COPYSCOPE_HARNESS_CONTROL_SWEEP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "harness/config/plan.h"
#include "harness/engine/runner.h"
#include "harness/record/convergence.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

// What one sample asks for beyond its cell: its warm-up (the plan's, or
// longer after a sample of the cell trended).
struct SampleRequest {
  absl::Duration warmup;         // duration mode
  uint64_t warmup_messages = 0;  // count mode, per connection
};

// Where the two sides of a cell run: one sample at a time.
class Sides {
 public:
  virtual ~Sides() = default;
  // One sample of `cell`; a CANCELLED status means it was cut short by the
  // interrupt and must not be recorded.
  virtual engine::CellResult RunSample(const config::CellSpec& cell,
                                       const SampleRequest& request) = 0;
};

struct SweepConfig {
  int reps = 3;            // fixed repetitions, unless reps_auto
  bool reps_auto = false;  // repeat until the stopping rule says stop
  // The stopping rule; with fixed repetitions only its ci_target and
  // min_reps judge the cells at the end.
  record::StoppingRule rule;
  // reps_auto: the time the whole sweep may take; zero: no bound.
  absl::Duration time_budget = absl::ZeroDuration();
  double max_cv = 0.05;
  // The plan's sample: duration mode (messages == 0) or count mode.
  absl::Duration warmup = absl::Milliseconds(100);
  absl::Duration duration = absl::Milliseconds(300);
  uint64_t messages = 0;
  uint64_t warmup_messages = 0;
  // Retake a cell's first trending sample with a longer warm-up.
  bool retake_trending = true;
  bool progress = false;
  const std::atomic<bool>* interrupt = nullptr;
  // After each recorded sample (e.g. to print its slices).
  std::function<void(const config::CellSpec&, const record::Sample&)> on_sample;
  // The clock of the budget and the ETA.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

struct SweepOutcome {
  int samples = 0;         // samples recorded
  int failed_samples = 0;  // of which failed
  int retakes = 0;         // samples retaken with a longer warm-up
  int rounds = 0;          // rounds started
  bool interrupted = false;
  int cells_kept = 0;  // cells with at least one sample
  // What stopped the sweep: the callback's error (e.g. a full disk) or a
  // sample that could not run at all (e.g. the peer's agent is gone); OK
  // if nothing did.
  absl::Status stopped;
};

// Fills run->cells (plan order, cells with at least one sample). The
// callback runs after every recorded sample; an error from it stops the
// sweep at once (SweepOutcome::stopped).
SweepOutcome RunSweep(
    const config::Plan& plan, const SweepConfig& config, Sides& sides,
    record::Run* run,
    const std::function<absl::Status(const record::Run&)>& after);

// A duration-mode sample's time beyond its warm-up and measurement
// (connections, cool-down, results): an estimate for the plan.
inline constexpr absl::Duration kSampleOverheadEstimate =
    absl::Milliseconds(100);

// What the repetitions will take, for the dry run and the start of a run,
// e.g. "repetitions: auto, 3 to 10 per cell until the 95% CI is within
// +-2%: 108 to 360 samples, about 00:54 to 03:00 (est. 0.50 s per
// sample); --time-budget=1m allows about 3 rounds of 36 cells".
std::string RepetitionsPlan(const config::Plan& plan,
                            const SweepConfig& config);

// "mm:ss" (or "h:mm:ss" from an hour), for the ETA.
std::string FormatEta(absl::Duration d);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_SWEEP_H_
