#include "perfmon/fake_perf_event_api.h"

#include <cerrno>
#include <cstring>

namespace copyscope::perfmon {

void FakePerfEventApi::SetCounts(uint32_t type, uint64_t config, uint64_t raw) {
  counts_[{type, config}] = raw;
}

void FakePerfEventApi::SetTimes(uint32_t type, uint64_t config,
                                uint64_t enabled, uint64_t running) {
  times_[{type, config}] = {enabled, running};
}

std::vector<FakePerfEventApi::OpenCall> FakePerfEventApi::successful_opens()
    const {
  std::vector<OpenCall> out;
  for (const OpenCall& call : open_calls_) {
    if (call.result >= 0) out.push_back(call);
  }
  return out;
}

int FakePerfEventApi::Open(perf_event_attr* attr, pid_t pid, int cpu,
                           int group_fd, unsigned long /*flags*/) {
  int result;
  if (eintr_opens_ > 0) {
    --eintr_opens_;
    result = -EINTR;
  } else if (group_fd != -1 && fds_.count(group_fd) == 0) {
    result = -EBADF;
  } else {
    const int err = policy_ ? policy_(*attr, pid, cpu, group_fd) : 0;
    if (err != 0) {
      result = -err;
    } else {
      result = next_fd_++;
      fds_[result] = {{attr->type, attr->config},
                      group_fd,
                      static_cast<uint64_t>(result) + 1000};
    }
  }
  open_calls_.push_back({*attr, pid, cpu, group_fd, result});
  return result;
}

int FakePerfEventApi::Ioctl(int fd, unsigned long request, unsigned long arg) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  switch (request) {
    case PERF_EVENT_IOC_ID:
      // The ioctl's argument is the caller's address, as for the kernel.
      *reinterpret_cast<uint64_t*>(arg) =  // NOLINT(performance-no-int-to-ptr)
          it->second.id;
      return 0;
    case PERF_EVENT_IOC_ENABLE:
      if (arg != PERF_IOC_FLAG_GROUP) return -EINVAL;
      ++enable_calls_;
      return 0;
    case PERF_EVENT_IOC_DISABLE:
      if (arg != PERF_IOC_FLAG_GROUP) return -EINVAL;
      ++disable_calls_;
      return 0;
    default:
      return -ENOTTY;
  }
}

ssize_t FakePerfEventApi::Read(int fd, void* buf, size_t count) {
  if (eintr_reads_ > 0) {
    --eintr_reads_;
    return -EINTR;
  }
  auto it = fds_.find(fd);
  if (it == fds_.end()) return -EBADF;
  if (it->second.group_fd != -1) return -EINVAL;  // only leaders are read
  std::vector<uint64_t> data = {0, 1000, 1000};
  auto times = times_.find(it->second.key);
  if (times != times_.end()) {
    data[1] = times->second.first;
    data[2] = times->second.second;
  }
  auto add = [&](const Fd& member) {
    auto c = counts_.find(member.key);
    data.push_back(c == counts_.end() ? 0 : c->second);
    data.push_back(member.id);
    ++data[0];
  };
  add(it->second);
  for (const auto& [member_fd, member] : fds_) {
    if (member.group_fd == fd) add(member);
  }
  size_t bytes = data.size() * sizeof(uint64_t);
  if (bytes > count) return -ENOSPC;
  bytes = short_read_ < bytes ? bytes - short_read_ : 0;
  std::memcpy(buf, data.data(), bytes);
  return static_cast<ssize_t>(bytes);
}

void FakePerfEventApi::Close(int fd) {
  if (fds_.erase(fd) == 0) ++bad_closes_;
}

}  // namespace copyscope::perfmon
