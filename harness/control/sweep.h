// Runs a plan: every cell `reps` times, interleaved (all cells once, then
// all cells again, ...) so that slow drift of the machine spreads over
// every transport instead of favouring the ones measured first. After each
// sample the record is updated (statistics included) and handed to a
// callback, which writes the results directory: progress is on disk at
// every step, and an interrupted run keeps every finished sample.
//
//   AgentSides sides(settings);           // agent_sides.h
//   SweepConfig config;
//   config.reps = 3;
//   config.interrupt = &interrupted;      // set by the SIGINT watcher
//   SweepOutcome out = RunSweep(plan, config, sides, &run,
//       [&](const record::Run& r) { return WriteRunFiles(dir, r, ""); });
//
// Progress, when config.progress is set, is one line on stderr rewritten
// in place: "cell k/n rep r: transport size threads  ETA mm:ss".
#ifndef COPYSCOPE_HARNESS_CONTROL_SWEEP_H_
#define COPYSCOPE_HARNESS_CONTROL_SWEEP_H_

#include <atomic>
#include <functional>

#include "harness/config/plan.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

// Where the two sides of a cell run: one sample at a time.
class Sides {
 public:
  virtual ~Sides() = default;
  // One sample of `cell`; a CANCELLED status means it was cut short by the
  // interrupt and must not be recorded.
  virtual engine::CellResult RunSample(const config::CellSpec& cell) = 0;
};

struct SweepConfig {
  int reps = 3;
  double max_cv = 0.05;
  bool progress = false;
  const std::atomic<bool>* interrupt = nullptr;
};

struct SweepOutcome {
  int samples = 0;         // samples recorded
  int failed_samples = 0;  // of which failed
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

// "mm:ss" (or "h:mm:ss" from an hour), for the ETA.
std::string FormatEta(absl::Duration d);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_SWEEP_H_
