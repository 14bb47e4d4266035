#include "harness/engine/flow.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/engine/payload.h"

namespace copyscope::engine {

Sender::Sender(Endpoint& ep, const MessagePool& pool, bool async,
               std::string name, Verify verify)
    : ep_(&ep),
      pool_(pool),
      async_(async),
      name_(std::move(name)),
      verify_(verify),
      tags_(pool.count()) {
  if (async_) {
    for (uint32_t i = pool.count(); i > 0; --i) free_.push_back(i - 1);
    in_flight_.assign(pool.count(), 0);
  }
}

absl::Status Sender::Reap(const char* why) {
  const uint32_t max = static_cast<uint32_t>(tags_.size());
  const int n = ep_->Reap(tags_.data(), max, -1);
  if (n < 0) return ep_->Error(n, "reap");
  if (n == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        name_, ": reap returned no buffer within the I/O timeout ", why));
  }
  if (static_cast<uint32_t>(n) > max) {
    return absl::InternalError(absl::StrCat(name_, ": reap() returned ", n,
                                            " tags, more than the ", max,
                                            " asked"));
  }
  for (int i = 0; i < n; ++i) {
    const uint64_t tag = tags_[i];
    if (tag >= in_flight_.size() || in_flight_[tag] == 0) {
      return absl::InternalError(absl::StrCat(name_, ": reap() returned tag ",
                                              tag, " that is not in flight"));
    }
    in_flight_[tag] = 0;
    free_.push_back(static_cast<uint32_t>(tag));
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
    in_flight_[index] = 1;
  }
  const cs_message& m = pool_.message(index);
  if (verify_.enabled) {
    // The message's buffers are the host's: sent synchronously, or reaped.
    payload::FillFields(payload::Key(verify_.connection, verify_.stream, sent_),
                        m.fields, m.field_count);
  }
  int rc = ep_->Send(&m, 1);
  if (rc < 0) return ep_->Error(rc, "send");
  ++sent_;
  return absl::OkStatus();
}

absl::Status Sender::Drain() {
  while (async_ && free_.size() < pool_.count()) {
    absl::Status s = Reap("after the last send");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

Receiver::Receiver(Endpoint& ep, size_t size, std::string name, Verify verify)
    : ep_(&ep),
      buf_(static_cast<char*>(std::aligned_alloc(64, (size + 63) / 64 * 64)),
           &std::free),
      name_(std::move(name)),
      verify_(verify) {
  std::memset(&args_, 0, sizeof(args_));
  args_.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args_.buf = buf_.get();
  args_.len = size;
}

int Receiver::Refuse(absl::Status why) {
  refused_ = std::move(why);
  return kRefused;
}

// A message returned in place (segment_count > 0): at most one segment per
// byte, every segment somewhere, and exactly the message's bytes in all.
bool Receiver::SegmentsHoldTheMessage() {
  const uint32_t count = args_.segment_count;
  const size_t len = args_.len;
  auto refuse = [&](auto... what) {
    Refuse(
        absl::InternalError(absl::StrCat(name_, ": recv() returned ", what...,
                                         " for a ", len, "-byte message")));
    return false;
  };
  if (count > len) return refuse(count, " segments");
  if (args_.segments == nullptr) return refuse(count, " segments at NULL");
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const struct iovec& s = args_.segments[i];
    if (s.iov_base == nullptr) return refuse("segment ", i, " at NULL");
    if (s.iov_len > len - total) {
      return refuse("segments of more than ", len, " bytes");
    }
    total += s.iov_len;
  }
  if (total != len) return refuse("segments of ", total, " bytes");
  return true;
}

// Every byte of the message, wherever it is, against its pattern.
bool Receiver::Intact() {
  const uint64_t key =
      payload::Key(verify_.connection, verify_.stream, received_);
  uint64_t bad = payload::kIntact;
  if (args_.segment_count == 0) {
    const size_t at = payload::Check(key, 0, args_.buf, args_.len);
    if (at != args_.len) bad = at;
  } else {
    bad = payload::CheckFields(key, args_.segments, args_.segment_count);
  }
  if (bad == payload::kIntact) return true;
  Refuse(payload::CorruptError(received_, bad));
  return false;
}

int Receiver::RecvOne() {
  args_.segments = nullptr;
  args_.segment_count = 0;
  const int rc = ep_->Recv(&args_);
  if (rc != 0) return rc;
  if (args_.segment_count != 0 && !SegmentsHoldTheMessage()) return kRefused;
  if (verify_.enabled && !Intact()) return kRefused;
  ++received_;
  return 0;
}

}  // namespace copyscope::engine
