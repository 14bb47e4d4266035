// Per-thread (or per-CPU) perf_event counter groups over a measured interval.
//
// A CounterGroup opens the requested events for one target, disabled:
//   - hardware events in one group per core PMU (on a hybrid machine every
//     generic hardware event is opened on cpu_core and on cpu_atom, so the
//     thread is counted on whichever kind of core it runs);
//   - software events in a group of their own;
//   - an event that cannot join its group is retried alone (its own group),
//     and an event that cannot be opened at all becomes an unsupported
//     Reading with the reason ("not supported by this CPU/VM", "not
//     permitted: perf_event_paranoid=2"); the other events carry on.
// Every group is read with PERF_FORMAT_GROUP | TOTAL_TIME_ENABLED |
// TOTAL_TIME_RUNNING | ID, so each value comes with the times that say
// whether it is exact, scaled or not run (see reading.h).
//
// Usage, on the thread to measure:
//   absl::StatusOr<PmuTopology> pmus = DiscoverPmus();
//   CounterOptions options;
//   options.events = ParseCounters("default").value();
//   if (pmus.ok()) options.pmus = *pmus;
//   absl::StatusOr<CounterGroup> group = CounterGroup::Open(options);
//   group->Enable();   // start of the measured interval
//   RunWorkload();
//   group->Disable();  // end of the measured interval
//   absl::StatusOr<std::vector<Reading>> readings = group->Read();
//   std::vector<Reading> totals = Totals(*readings);  // one per event
#ifndef COPYSCOPE_PERFMON_COUNTER_GROUP_H_
#define COPYSCOPE_PERFMON_COUNTER_GROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perfmon/events.h"
#include "perfmon/perf_event_api.h"
#include "perfmon/pmu.h"
#include "perfmon/reading.h"

namespace copyscope::perfmon {

// What to count: one thread wherever it runs, or one CPU whatever runs there.
struct Target {
  pid_t pid = 0;  // 0: the calling thread; -1 with cpu >= 0: every task
  int cpu = -1;   // -1: any CPU

  static Target CallingThread() { return {0, -1}; }
  static Target Thread(pid_t tid) { return {tid, -1}; }
  // System-wide on one CPU; needs CAP_PERFMON/root or perf_event_paranoid<=0.
  static Target Cpu(int cpu) { return {-1, cpu}; }
  std::string Describe() const;  // "calling thread", "thread 123", "cpu 3"
};

struct CounterOptions {
  std::vector<EventSpec> events;
  // Core PMUs from DiscoverPmus(). Empty: hardware events are opened once
  // with the generic encoding (and fail cleanly where there is no PMU).
  PmuTopology pmus;
  // The system calls to use; nullptr means SystemPerfEventApi(). Must outlive
  // the CounterGroup.
  PerfEventApi* api = nullptr;
};

// The read_format every group uses.
inline constexpr uint64_t kReadFormat =
    PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
    PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;

// perf_event_open's errno as a human reason: ENOENT, EOPNOTSUPP, EINVAL,
// ENODEV -> "not supported by this CPU/VM"; EACCES, EPERM -> "not permitted:
// perf_event_paranoid=N"; anything else names the error.
std::string OpenErrorReason(int err, PerfEventApi& api);

class CounterGroup {
 public:
  // Opens every event of `options` for `target`, all disabled. Events that
  // cannot be opened become unsupported readings; only a bad target is an
  // error.
  static absl::StatusOr<CounterGroup> Open(
      const CounterOptions& options, Target target = Target::CallingThread());

  CounterGroup(CounterGroup&& other) noexcept;
  CounterGroup& operator=(CounterGroup&& other) noexcept;
  CounterGroup(const CounterGroup&) = delete;
  CounterGroup& operator=(const CounterGroup&) = delete;
  ~CounterGroup();

  // Start / stop counting; one ioctl per group (PERF_IOC_FLAG_GROUP). Counts
  // accumulate over successive Enable/Disable pairs.
  absl::Status Enable();
  absl::Status Disable();

  // One reading per opened (event, PMU) pair in event order, plus the
  // unsupported ones. Hybrid hardware events give one reading per core PMU;
  // use Totals() / PerKind() from reading.h to combine them.
  absl::StatusOr<std::vector<Reading>> Read() const;

  // The events that could not be opened, as unsupported readings.
  std::vector<Reading> Unsupported() const;

  const Target& target() const { return target_; }
  size_t num_groups() const { return groups_.size(); }
  size_t num_open_events() const;

 private:
  struct Slot {
    std::string event;
    std::string pmu;
    int fd = -1;  // -1: unsupported
    uint64_t id = 0;
    std::string reason;  // why unsupported
  };
  struct Group {
    int leader_fd = -1;
    std::vector<size_t> slots;  // indices into slots_, leader first
  };

  CounterGroup(PerfEventApi* api, Target target) : api_(api), target_(target) {}
  // Opens slot `slot` for `attr`, joining the latest group of `key` or, if
  // that fails or there is none, as the leader of a new group.
  void OpenSlot(size_t slot, perf_event_attr attr, const std::string& key,
                std::vector<std::pair<std::string, size_t>>& latest_group);
  // One perf_event_open with EINTR retried, plus the ID lookup. fd or -errno.
  int OpenFd(perf_event_attr attr, int group_fd, uint64_t* id);
  void CloseAll();
  absl::Status IoctlGroups(unsigned long request, const char* what);

  PerfEventApi* api_ = nullptr;
  Target target_;
  std::vector<Slot> slots_;
  std::vector<Group> groups_;
};

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_COUNTER_GROUP_H_
