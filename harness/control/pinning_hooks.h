// ThreadHooks that place every worker thread per the run's pinning plans and
// record where it really ran. OnThreadStart pins the thread (server of
// connection i to placements[i].server_cpu of the plan for the cell's
// number of connections, client to client_cpu) and starts a
// topology::ThreadCpuTracker; the measure edges add the CPU seen then; and
// OnThreadEnd writes into the thread's ThreadReport: pinned_cpu, start_cpu,
// end_cpu, cpus_seen, migrations and migrated_while_pinned. Without plans
// (or for a role a plan leaves unpinned) nothing is pinned but the same
// placement is still recorded.
//
//   std::map<int, topology::PinPlan> plans;   // by connections per cell
//   plans[4] = *PlanPinning(topo, opts, 4);
//   PinningHooks pin(plans);                  // PinningHooks track({});
//   RunCell(spec_with_4_threads, config, network, &pin);
//
// One object serves a whole run, cell after cell; its state is per worker
// thread (looked up by thread id under a short lock).
#ifndef COPYSCOPE_HARNESS_CONTROL_PINNING_HOOKS_H_
#define COPYSCOPE_HARNESS_CONTROL_PINNING_HOOKS_H_

#include <map>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "harness/engine/thread_hooks.h"
#include "harness/env/topology/affinity.h"
#include "harness/env/topology/pinning.h"

namespace copyscope::control {

class PinningHooks final : public engine::ThreadHooks {
 public:
  // plans[n] is the plan for cells of n connections. Empty: track only.
  explicit PinningHooks(std::map<int, topology::PinPlan> plans);

  // Pins and starts tracking. An error fails the cell: a cell size without
  // a plan, or a CPU this thread may not use.
  absl::Status OnThreadStart(const engine::ThreadContext& t) override;
  void OnMeasureStart(const engine::ThreadContext& t) override;
  void OnMeasureStop(const engine::ThreadContext& t) override;
  // Writes the placement into *t.report (nothing if the start failed).
  void OnThreadEnd(const engine::ThreadContext& t) override;

  // The CPU the plans give this thread, or topology::kUnpinned.
  int PlannedCpu(const engine::ThreadContext& t) const;

 private:
  void Observe();

  const std::map<int, topology::PinPlan> plans_;
  absl::Mutex mu_;
  std::map<std::thread::id, topology::ThreadCpuTracker> trackers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_PINNING_HOOKS_H_
