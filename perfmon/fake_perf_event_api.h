// A scripted PerfEventApi for tests: no system calls, every outcome chosen.
//
// Opens succeed unless the open policy returns an errno; reads of a group
// leader return the counts set with SetCounts() and the times set with
// SetTimes() (default: enabled == running == 1000 ns, i.e. exact).
//
// Usage:
//   FakePerfEventApi api;
//   api.set_open_policy([](const perf_event_attr& a, pid_t, int, int) {
//     return a.type == PERF_TYPE_HARDWARE ? EOPNOTSUPP : 0;
//   });
//   api.SetCounts(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 42);
//   CounterOptions options{.events = DefaultEvents(), .api = &api};
#ifndef COPYSCOPE_PERFMON_FAKE_PERF_EVENT_API_H_
#define COPYSCOPE_PERFMON_FAKE_PERF_EVENT_API_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "perfmon/perf_event_api.h"

namespace copyscope::perfmon {

class FakePerfEventApi : public PerfEventApi {
 public:
  // Returns 0 to let the open succeed, or the errno it fails with.
  using OpenPolicy = std::function<int(const perf_event_attr& attr, pid_t pid,
                                       int cpu, int group_fd)>;

  struct OpenCall {
    perf_event_attr attr;
    pid_t pid;
    int cpu;
    int group_fd;
    int result;  // fd or -errno
  };

  void set_open_policy(OpenPolicy policy) { policy_ = std::move(policy); }
  void set_paranoid(std::optional<int> level) { paranoid_ = level; }
  // The next `n` opens / reads fail with EINTR first.
  void set_eintr_opens(int n) { eintr_opens_ = n; }
  void set_eintr_reads(int n) { eintr_reads_ = n; }
  // Reads return this many bytes less than a full group.
  void set_short_reads(size_t missing_bytes) { short_read_ = missing_bytes; }

  // The raw count of the event (type, config); default 0.
  void SetCounts(uint32_t type, uint64_t config, uint64_t raw);
  // The times of the group whose leader is the event (type, config).
  void SetTimes(uint32_t type, uint64_t config, uint64_t enabled,
                uint64_t running);

  const std::vector<OpenCall>& open_calls() const { return open_calls_; }
  // The successful opens, in order.
  std::vector<OpenCall> successful_opens() const;
  size_t num_open_fds() const { return fds_.size(); }
  int enable_calls() const { return enable_calls_; }
  int disable_calls() const { return disable_calls_; }
  int bad_closes() const { return bad_closes_; }

  int Open(perf_event_attr* attr, pid_t pid, int cpu, int group_fd,
           unsigned long flags) override;
  int Ioctl(int fd, unsigned long request, unsigned long arg) override;
  ssize_t Read(int fd, void* buf, size_t count) override;
  void Close(int fd) override;
  std::optional<int> ParanoidLevel() override { return paranoid_; }

 private:
  using Key = std::pair<uint32_t, uint64_t>;
  struct Fd {
    Key key;
    int group_fd;
    uint64_t id;
  };

  OpenPolicy policy_;
  std::optional<int> paranoid_ = 2;
  int eintr_opens_ = 0;
  int eintr_reads_ = 0;
  size_t short_read_ = 0;
  std::map<Key, uint64_t> counts_;
  std::map<Key, std::pair<uint64_t, uint64_t>> times_;
  std::vector<OpenCall> open_calls_;
  std::map<int, Fd> fds_;
  int next_fd_ = 100;
  int enable_calls_ = 0;
  int disable_calls_ = 0;
  int bad_closes_ = 0;
};

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_FAKE_PERF_EVENT_API_H_
