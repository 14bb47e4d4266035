#include "harness/engine/flow.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/engine/payload.h"
#include "harness/engine/socket.h"

namespace copyscope::engine {

void SeqStats::Note(uint64_t seq) {
  if (seq >= next_) {
    // The numbers entering the window are unseen so far.
    const uint64_t from =
        std::max(next_, seq + 1 > kWindow ? seq + 1 - kWindow : uint64_t{0});
    for (uint64_t s = from; s < seq; ++s) Clear(s);
    Clear(seq);
    Set(seq);
    ++unique_;
    next_ = seq + 1;
    return;
  }
  if (next_ - seq > kWindow) {  // too old to tell a duplicate from it
    ++unique_;
    ++reordered_;
    return;
  }
  if (Test(seq)) {
    ++duplicates_;
    return;
  }
  Set(seq);
  ++unique_;
  ++reordered_;
}

void Pacer::Before(uint64_t bytes) {
  if (ns_per_byte_ <= 0) return;
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  const int64_t now = int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
  if (start_ns_ == 0) start_ns_ = now;
  const double due = static_cast<double>(start_ns_) + due_bytes_ * ns_per_byte_;
  if (due > static_cast<double>(now)) {
    timespec ts;
    const int64_t at = static_cast<int64_t>(due);
    ts.tv_sec = at / 1000000000;
    ts.tv_nsec = at % 1000000000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) ==
           EINTR) {
    }
  } else if (static_cast<double>(now) - due > 10e6) {
    // Far behind (the sender could not keep up, or was descheduled): do
    // not burst to catch up more than 10 ms.
    start_ns_ = now - static_cast<int64_t>(10e6);
    due_bytes_ = 0;
  }
  due_bytes_ += static_cast<double>(bytes);
}

Sender::Sender(Endpoint& ep, const MessagePool& pool, bool async,
               std::string name, Verify verify, DatagramFlow datagram)
    : datagram_(datagram),
      pacer_(datagram.rate_bps),
      ep_(&ep),
      pool_(pool),
      async_(async),
      name_(std::move(name)),
      verify_(verify),
      tags_(pool.count()) {
  if (async_) {
    for (uint32_t i = pool.count(); i > 0; --i) free_.push_back(i - 1);
    in_flight_.assign(pool.count(), 0);
  }
  const uint32_t n =
      std::min<uint32_t>(std::max<uint32_t>(datagram_.batch, 1), pool.count());
  for (uint32_t i = 0; i < n; ++i) batch_.push_back(pool.message(i));
}

// The message's pattern (--verify), then its number (datagram cells).
void Sender::Prepare(const cs_message& m, uint64_t seq) {
  if (verify_.enabled) {
    // The message's buffers are the host's: sent synchronously, or reaped.
    payload::FillFields(payload::Key(verify_.connection, verify_.stream, seq),
                        m.fields, m.field_count);
  }
  if (!datagram_.enabled) return;
  uint8_t bytes[kSeqBytes];
  for (size_t i = 0; i < kSeqBytes; ++i) bytes[i] = (seq >> (8 * i)) & 0xff;
  size_t done = 0;
  for (uint32_t f = 0; f < m.field_count && done < kSeqBytes; ++f) {
    const size_t n = std::min(kSeqBytes - done, m.fields[f].iov_len);
    std::memcpy(m.fields[f].iov_base, bytes + done, n);
    done += n;
  }
}

absl::Status Sender::SendBatch(uint32_t n) {
  if (async_ || n <= 1) return SendOne();
  n = std::min<uint32_t>(n, static_cast<uint32_t>(batch_.size()));
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Prepare(batch_[i], sent_ + i);
    for (uint32_t f = 0; f < batch_[i].field_count; ++f) {
      bytes += batch_[i].fields[f].iov_len;
    }
  }
  pacer_.Before(bytes);
  int rc = ep_->Send(batch_.data(), n);
  if (rc < 0) return ep_->Error(rc, "send");
  sent_ += n;
  return absl::OkStatus();
}

absl::Status Sender::SendNumbered(uint64_t seq) {
  const cs_message& m = pool_.message(0);
  Prepare(m, seq);
  int rc = ep_->Send(&m, 1);
  if (rc < 0) return ep_->Error(rc, "send");
  ++sent_;
  return absl::OkStatus();
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
  Prepare(m, sent_);
  if (datagram_.rate_bps > 0) {
    uint64_t bytes = 0;
    for (uint32_t f = 0; f < m.field_count; ++f) bytes += m.fields[f].iov_len;
    pacer_.Before(bytes);
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

Receiver::Receiver(Endpoint& ep, size_t size, std::string name, Verify verify,
                   bool datagram)
    : datagram_(datagram),
      ep_(&ep),
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
bool Receiver::SegmentsHoldTheMessage(size_t len) {
  const uint32_t count = args_.segment_count;
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

// A datagram: the pattern of the bytes after its number, keyed by it.
bool Receiver::IntactDatagram() {
  const uint64_t key = payload::Key(verify_.connection, verify_.stream, seq_);
  const iovec whole = {args_.buf, args_.len};
  const iovec* segs = args_.segment_count ? args_.segments : &whole;
  const uint32_t count = args_.segment_count ? args_.segment_count : 1;
  uint64_t offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const char* p = static_cast<const char*>(segs[i].iov_base);
    size_t len = segs[i].iov_len;
    if (offset < kSeqBytes) {
      const size_t skip = std::min<size_t>(kSeqBytes - offset, len);
      p += skip;
      len -= skip;
      offset += skip;
    }
    const size_t at = payload::Check(key, offset, p, len);
    if (at != len) {
      Refuse(payload::CorruptError(seq_, offset + at));
      return false;
    }
    offset += len;
  }
  return true;
}

int Receiver::RecvOne(int timeout_ms) {
  if (!datagram_) {
    args_.segments = nullptr;
    args_.segment_count = 0;
    const int rc = ep_->Recv(&args_);
    if (rc != 0) return rc;
    if (args_.segment_count != 0 && !SegmentsHoldTheMessage(args_.len)) {
      return kRefused;
    }
    if (verify_.enabled && !Intact()) return kRefused;
    ++received_;
    return 0;
  }
  for (;;) {
    args_.segments = nullptr;
    args_.segment_count = 0;
    args_.timeout_ms = timeout_ms;
    args_.received = 0;
    const int rc = ep_->Recv(&args_);
    if (rc != 0) return rc;
    const size_t got = args_.received;
    if (got > args_.len) {
      return Refuse(absl::InternalError(
          absl::StrCat(name_, ": recv() says it received ", got,
                       " bytes into a buffer of ", args_.len)));
    }
    if (args_.segment_count != 0 && !SegmentsHoldTheMessage(got)) {
      return kRefused;
    }
    // The first bytes, wherever they are.
    uint8_t head[kHelloBytes] = {};
    size_t have = 0;
    if (args_.segment_count == 0) {
      have = std::min(got, sizeof(head));
      std::memcpy(head, args_.buf, have);
    } else {
      for (uint32_t i = 0; i < args_.segment_count && have < sizeof(head);
           ++i) {
        const size_t n =
            std::min(sizeof(head) - have, args_.segments[i].iov_len);
        std::memcpy(head + have, args_.segments[i].iov_base, n);
        have += n;
      }
    }
    if (IsHello(head, got)) continue;  // a resent hello of the set-up
    if (got != args_.len) {
      return Refuse(absl::InternalError(
          absl::StrCat(name_, ": a datagram of ", got,
                       " bytes arrived; the messages are ", args_.len)));
    }
    seq_ = 0;
    for (size_t i = 0; i < kSeqBytes; ++i) seq_ |= uint64_t{head[i]} << (8 * i);
    if (verify_.enabled && !IntactDatagram()) return kRefused;
    stats_.Note(seq_);
    ++received_;
    return 0;
  }
}

}  // namespace copyscope::engine
