#include "harness/engine/flow.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace copyscope::engine {

Sender::Sender(Endpoint& ep, const MessagePool& pool, bool async,
               std::string name)
    : ep_(ep),
      pool_(pool),
      async_(async),
      name_(std::move(name)),
      tags_(pool.count()) {
  if (async_) {
    for (uint32_t i = pool.count(); i > 0; --i) free_.push_back(i - 1);
  }
}

absl::Status Sender::Reap(const char* why) {
  int n = ep_.Reap(tags_.data(), static_cast<uint32_t>(tags_.size()), -1);
  if (n < 0) return ep_.Error(n, "reap");
  if (n == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        name_, ": reap returned no buffer within the I/O timeout ", why));
  }
  for (int i = 0; i < n; ++i) {
    if (tags_[i] >= pool_.count()) {
      return absl::InternalError(
          absl::StrCat(name_, ": reap returned unknown tag ", tags_[i]));
    }
    free_.push_back(static_cast<uint32_t>(tags_[i]));
  }
  return absl::OkStatus();
}

absl::Status Sender::SendOne() {
  uint32_t index = 0;
  if (async_) {
    if (free_.empty()) {
      absl::Status s = Reap("while sending");
      if (!s.ok()) return s;
    }
    index = free_.back();
    free_.pop_back();
  }
  int rc = ep_.Send(&pool_.message(index), 1);
  if (rc < 0) return ep_.Error(rc, "send");
  return absl::OkStatus();
}

absl::Status Sender::Drain() {
  while (async_ && free_.size() < pool_.count()) {
    absl::Status s = Reap("after the last send");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

Receiver::Receiver(Endpoint& ep, size_t size)
    : ep_(ep),
      buf_(static_cast<char*>(std::aligned_alloc(64, (size + 63) / 64 * 64)),
           &std::free) {
  std::memset(&args_, 0, sizeof(args_));
  args_.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args_.buf = buf_.get();
  args_.len = size;
}

int Receiver::RecvOne() {
  args_.segments = nullptr;
  args_.segment_count = 0;
  return ep_.Recv(&args_);
}

}  // namespace copyscope::engine
