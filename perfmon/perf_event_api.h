// The system calls perfmon makes, behind an interface tests can replace.
//
// Every call returns what the kernel returned, with errors as -errno (never
// through the global errno), so a fake can script any outcome: success,
// EOPNOTSUPP for hardware events on a VM, EACCES under perf_event_paranoid,
// EINTR, or group reads with multiplexed times.
//
// Usage:
//   PerfEventApi& api = SystemPerfEventApi();
//   int fd = api.Open(&attr, /*pid=*/0, /*cpu=*/-1, /*group_fd=*/-1,
//                     PERF_FLAG_FD_CLOEXEC);
//   if (fd < 0) { /* -fd is the errno */ }
#ifndef COPYSCOPE_PERFMON_PERF_EVENT_API_H_
#define COPYSCOPE_PERFMON_PERF_EVENT_API_H_

#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace copyscope::perfmon {

class PerfEventApi {
 public:
  virtual ~PerfEventApi() = default;

  // perf_event_open(2): a file descriptor, or -errno.
  virtual int Open(perf_event_attr* attr, pid_t pid, int cpu, int group_fd,
                   unsigned long flags) = 0;
  // ioctl(2) on a perf event fd; `arg` is the raw third argument (a flag
  // word, or a pointer cast to an integer for PERF_EVENT_IOC_ID). 0 or -errno.
  virtual int Ioctl(int fd, unsigned long request, unsigned long arg) = 0;
  // read(2): bytes read, or -errno.
  virtual ssize_t Read(int fd, void* buf, size_t count) = 0;
  virtual void Close(int fd) = 0;
  // /proc/sys/kernel/perf_event_paranoid, or nullopt if it cannot be read.
  virtual std::optional<int> ParanoidLevel() = 0;
};

// The real system calls. Lives for the whole process; thread-safe.
PerfEventApi& SystemPerfEventApi();

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_PERF_EVENT_API_H_
