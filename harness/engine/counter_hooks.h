// perf_event counters on the runner's worker threads, over exactly the
// measured interval (--counters, --counters-scope).
//
// Thread scope (CounterHooks): every worker opens a perfmon::CounterGroup
// for itself in OnThreadStart, enables it in OnMeasureStart, disables it in
// OnMeasureStop, and in OnThreadEnd writes one record::PerfCounter per
// event into its ThreadReport (hybrid machines: the pooled total, plus one
// record per core PMU named like perf's "cpu_atom/cycles/"). Events that cannot
// be opened become "unsupported" records with the reason; a thread that never
// reached the measured interval gets "not_run" ones. Counting never fails a
// cell.
//
// CPU scope (CpuScopeHooks): per cell, one perfmon::CpuScopeCounters per
// role over the CPUs the role is pinned to, enabled while any worker is
// inside its measured interval. The counts land on connection 0's records
// (so summing a role's threads gives the role's CPUs): per role when the
// two roles use disjoint CPUs, otherwise once, on the server, with a pmu
// label ending in "both roles" (e.g. "cpus 0-1 both roles").
//
//   absl::StatusOr<CounterOptions> opts = MakeCounterOptions(run.counters);
//   CounterHooks counters(*opts);   // one object for the whole run
//   RunCell(spec, config, network, &counters);
//   std::string line = perfmon::UnsupportedSummary(counters.Unsupported());
#ifndef COPYSCOPE_HARNESS_ENGINE_COUNTER_HOOKS_H_
#define COPYSCOPE_HARNESS_ENGINE_COUNTER_HOOKS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "harness/config/options.h"
#include "harness/engine/thread_hooks.h"
#include "harness/record/record.pb.h"
#include "perfmon/counter_group.h"
#include "perfmon/cpu_scope.h"
#include "perfmon/reading.h"

namespace copyscope::engine {

// --counters (none, default or a list) into perfmon options (events, and
// the core PMUs of this machine). An unknown event is InvalidArgument
// naming it.
absl::StatusOr<perfmon::CounterOptions> MakeCounterOptions(
    const config::CounterSelection& counters);

// The CPUs each role of a cell runs on, for CPU-scope counting: empty for a
// role that is not pinned.
struct RoleCpus {
  std::vector<int> server;
  std::vector<int> client;
};

class CounterHooks final : public ThreadHooks {
 public:
  // `options` (with its api, if any) must outlive the object. With no
  // events the hooks do nothing. One object serves a whole run; its state
  // is per worker thread.
  explicit CounterHooks(const perfmon::CounterOptions& options);

  absl::Status OnThreadStart(const ThreadContext& t) override;  // always OK
  void OnMeasureStart(const ThreadContext& t) override;
  void OnMeasureStop(const ThreadContext& t) override;
  void OnThreadEnd(const ThreadContext& t) override;

  // Everything that could not be opened on any thread so far.
  std::vector<perfmon::Reading> Unsupported() const;

 private:
  struct Slot {
    std::optional<perfmon::CounterGroup> group;
    std::string problem;  // why nothing could be counted, if so
  };
  // The calling thread's slot (nullptr before its OnThreadStart). The slot
  // itself is touched only by its thread.
  Slot* Mine();
  void Note(const std::vector<perfmon::Reading>& unsupported);

  const perfmon::CounterOptions& options_;
  mutable absl::Mutex mu_;
  std::map<std::thread::id, std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
  std::vector<perfmon::Reading> unsupported_ ABSL_GUARDED_BY(mu_);
};

class CpuScopeHooks final : public ThreadHooks {
 public:
  // cpus[n]: the CPUs of each role in cells with n connections (absent or
  // unpinned roles count all_cpus). The counters of a cell open when its
  // first worker starts, count while any worker is inside its measured
  // interval, and are read when its last worker ends.
  //
  // `here`: the sides whose workers run in this process (an agent runs
  // one): only their scopes are counted, and a shared scope ("both roles")
  // by the server's process alone, so that two agents never count the same
  // CPUs twice.
  CpuScopeHooks(const perfmon::CounterOptions& options,
                std::map<int, RoleCpus> cpus, std::vector<int> all_cpus,
                std::vector<Side> here = {Side::kServer, Side::kClient});

  absl::Status OnThreadStart(const ThreadContext& t) override;  // always OK
  void OnMeasureStart(const ThreadContext& t) override;
  void OnMeasureStop(const ThreadContext& t) override;
  void OnThreadEnd(const ThreadContext& t) override;

  // Everything that could not be opened in any cell so far.
  std::vector<perfmon::Reading> Unsupported() const;

  // The CPUs counted for a cell of n connections: {server, client} when the
  // roles are pinned to disjoint CPUs, else {every CPU counted, {}}.
  std::pair<std::vector<int>, std::vector<int>> CpusFor(int connections) const;

 private:
  struct Scope {
    bool counted_here = false;
    std::vector<int> cpus;
    std::optional<perfmon::CpuScopeCounters> counters;
    std::string problem;
  };
  void BeginCell(int connections) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndCell() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<record::PerfCounter> Records(const Scope& scope,
                                           const std::string& label) const;

  const perfmon::CounterOptions& options_;
  const std::vector<std::string> events_;
  const std::map<int, RoleCpus> cpus_;
  const std::vector<int> all_cpus_;
  const bool server_here_;
  const bool client_here_;
  mutable absl::Mutex mu_;
  // The cell in progress.
  bool in_cell_ ABSL_GUARDED_BY(mu_) = false;
  bool per_role_ ABSL_GUARDED_BY(mu_) = false;
  int expected_ ABSL_GUARDED_BY(mu_) = 0;  // workers: 2 x connections
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  int ended_ ABSL_GUARDED_BY(mu_) = 0;
  int active_ ABSL_GUARDED_BY(mu_) = 0;  // inside their measured interval
  record::ThreadReport* server0_ ABSL_GUARDED_BY(mu_) = nullptr;
  record::ThreadReport* client0_ ABSL_GUARDED_BY(mu_) = nullptr;
  Scope server_ ABSL_GUARDED_BY(mu_);  // per role: the server's CPUs; else all
  Scope client_ ABSL_GUARDED_BY(mu_);  // per role only
  std::string problem_ ABSL_GUARDED_BY(mu_);  // enable/disable failure
  std::vector<perfmon::Reading> unsupported_ ABSL_GUARDED_BY(mu_);
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_COUNTER_HOOKS_H_
