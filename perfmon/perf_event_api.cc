#include "perfmon/perf_event_api.h"

#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace copyscope::perfmon {
namespace {

class SystemApi : public PerfEventApi {
 public:
  int Open(perf_event_attr* attr, pid_t pid, int cpu, int group_fd,
           unsigned long flags) override {
    long fd = syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }

  int Ioctl(int fd, unsigned long request, unsigned long arg) override {
    return ioctl(fd, request, arg) < 0 ? -errno : 0;
  }

  ssize_t Read(int fd, void* buf, size_t count) override {
    ssize_t n = read(fd, buf, count);
    return n < 0 ? -errno : n;
  }

  void Close(int fd) override { close(fd); }

  std::optional<int> ParanoidLevel() override {
    std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
    int level = 0;
    if (in >> level) return level;
    return std::nullopt;
  }
};

}  // namespace

PerfEventApi& SystemPerfEventApi() {
  static SystemApi* api = new SystemApi;
  return *api;
}

}  // namespace copyscope::perfmon
