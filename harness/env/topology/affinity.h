// Applies a pin to the calling thread and records where the thread really
// ran: CPU at start and end, every CPU seen at Observe() points, and the
// kernel's migration count over the tracked interval. A pinned thread that
// ran anywhere else, or migrated, is flagged as an anomaly.
//
// Migrations come from the "se.nr_migrations" line of
// /proc/thread-self/sched (present when the kernel has CONFIG_SCHED_DEBUG).
// Where it is absent the count is unknown (std::nullopt), never 0.
//
// Usage, on each server or client thread:
//   absl::StatusOr<ThreadCpuTracker> t =
//       ThreadCpuTracker::PinAndStart(plan.placements[i].server_cpu);
//   if (!t.ok()) return t.status();      // kUnpinned just tracks
//   ... measured loop, optionally t->Observe() now and then ...
//   ThreadCpuRecord r = t->Finish();     // on the same thread
//   if (r.PinnedThreadMigrated()) record_anomaly(r.AnomalyText());
#ifndef COPYSCOPE_HARNESS_ENV_TOPOLOGY_AFFINITY_H_
#define COPYSCOPE_HARNESS_ENV_TOPOLOGY_AFFINITY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "harness/env/topology/topology.h"

namespace copyscope::topology {

// Restricts the calling thread to `cpu`. kUnpinned leaves it as it is.
// An absent, offline or disallowed CPU is InvalidArgument naming the CPUs
// this thread may use.
absl::Status PinCurrentThread(int cpu);

// Restricts the calling thread to `cpus` (non-empty).
absl::Status SetCurrentThreadAffinity(const std::vector<int>& cpus);

// The CPUs the calling thread may run on (sched_getaffinity), ascending.
absl::StatusOr<std::vector<int>> CurrentThreadAllowedCpus();

// The CPU the calling thread runs on now (sched_getcpu), -1 if unknown.
int CurrentCpu();

// Kernel thread id of the calling thread.
pid_t CurrentThreadId();

// Migrations of a thread of this process so far (tid 0 = calling thread);
// nullopt when the kernel does not expose them.
std::optional<int64_t> ReadThreadMigrations(pid_t tid = 0);

// The CPU a thread of this process last ran on (field 39 of
// /proc/self/task/<tid>/stat); -1 if unreadable.
int ReadThreadLastCpu(pid_t tid);

// The "se.nr_migrations" value of a /proc/.../sched text, if present.
std::optional<int64_t> ParseSchedMigrations(absl::string_view sched_text);

// Where one thread ran over the tracked interval.
struct ThreadCpuRecord {
  pid_t tid = 0;
  int pinned_cpu = kUnpinned;         // The CPU it was pinned to, or kUnpinned.
  int start_cpu = -1;                 // -1 = unknown.
  int end_cpu = -1;                   // -1 = unknown.
  std::vector<int> cpus_seen;         // Distinct CPUs observed, ascending.
  std::optional<int64_t> migrations;  // Over the interval; nullopt = unknown.

  // True when the thread was pinned and yet was seen on another CPU or the
  // kernel counted a migration: a flagged anomaly.
  bool PinnedThreadMigrated() const;
  // One line describing the anomaly; "" when there is none.
  std::string AnomalyText() const;
};

class ThreadCpuTracker {
 public:
  // Starts tracking the calling thread; call after pinning it (pinning itself
  // migrates the thread). pinned_cpu is what the anomaly check compares with.
  static ThreadCpuTracker Start(int pinned_cpu = kUnpinned);

  // PinCurrentThread(cpu), then Start(cpu).
  static absl::StatusOr<ThreadCpuTracker> PinAndStart(int cpu);

  // Adds the current CPU to the record (one sched_getcpu call). Call on the
  // tracked thread.
  void Observe();

  // Ends tracking and returns the record. Call on the tracked thread while it
  // is alive; from another thread the end CPU comes from /proc instead.
  ThreadCpuRecord Finish();

 private:
  ThreadCpuTracker() = default;
  void Seen(int cpu);

  ThreadCpuRecord record_;
  std::optional<int64_t> start_migrations_;
};

}  // namespace copyscope::topology

#endif  // COPYSCOPE_HARNESS_ENV_TOPOLOGY_AFFINITY_H_
