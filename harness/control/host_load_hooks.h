// ThreadHooks that measure the load of every CPU of this host over a
// side's measured interval: /proc/stat is read when the first worker's
// window opens and again each time no window is open any more (so the last
// close wins), and OnSideEnd writes the difference into the side's part of
// the sample as a record::CpuLoad (per CPU user, nice, system, idle,
// iowait, irq, softirq and steal seconds; totals over every CPU, over the
// cell's pinned CPUs and over the rest). Only the edges read anything.
//
//   HostLoadHooks load("local", pinned_cpus);          // one per side run
//   CompositeHooks hooks({&pinning, &load, &counters});
//
// One host's load is measured once per sample: on one host by the server's
// agent only, on two hosts by each host's agent.
#ifndef COPYSCOPE_HARNESS_CONTROL_HOST_LOAD_HOOKS_H_
#define COPYSCOPE_HARNESS_CONTROL_HOST_LOAD_HOOKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "harness/engine/thread_hooks.h"
#include "harness/env/cpu_load.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

class HostLoadHooks final : public engine::ThreadHooks {
 public:
  HostLoadHooks(std::string host, std::vector<int> pinned_cpus,
                std::string proc_stat = "/proc/stat")
      : host_(std::move(host)),
        pinned_(std::move(pinned_cpus)),
        proc_stat_(std::move(proc_stat)) {}

  void OnMeasureStart(const engine::ThreadContext& t) override;
  void OnMeasureStop(const engine::ThreadContext& t) override;
  void OnSideEnd(engine::Side side, record::Sample* part) override;

 private:
  const std::string host_;
  const std::vector<int> pinned_;
  const std::string proc_stat_;
  absl::Mutex mu_;
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // windows open now
  std::optional<absl::StatusOr<env::CpuSnapshot>> before_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<env::CpuSnapshot>> after_ ABSL_GUARDED_BY(mu_);
  absl::Time t0_ ABSL_GUARDED_BY(mu_);
  absl::Time t1_ ABSL_GUARDED_BY(mu_);
};

// The record's form of a load.
record::CpuLoad CpuLoadRecord(const std::string& host, const env::CpuLoad& load,
                              const std::vector<int>& pinned);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_HOST_LOAD_HOOKS_H_
