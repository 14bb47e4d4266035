// Send loops: every byte of a message handed to the socket, whatever the
// socket takes per call. They retry partial writes, EINTR and EAGAIN (each
// wait bounded, see wait.h), pass MSG_NOSIGNAL so that a closed peer is
// -EPIPE and never SIGPIPE, and count calls in SendCounters; SendProgress
// is that bookkeeping, for a loop over another call (sendfile, splice).
// CheckMessages() validates a whole send() before any byte goes out;
// IovScratch is the endpoint's own iovec copy that partial writes advance.
// Header-only, over the ABI header.
//
//   copyscope::transports::ErrorText err;
//   copyscope::transports::SendCounters counters;
//   int rc = copyscope::transports::SendAll(fd, data, len, /*timeout_ms=*/5000,
//                                           &counters, &err);
//   if (rc < 0) fprintf(stderr, "%s\n", err.c_str());
#ifndef COPYSCOPE_TRANSPORTS_COMMON_SEND_LOOP_H_
#define COPYSCOPE_TRANSPORTS_COMMON_SEND_LOOP_H_

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/error_text.h"
#include "transports/common/wait.h"

namespace copyscope::transports {

// What every send loop does after each system call (send, sendmsg,
// sendfile, splice), written once: count a call that moved bytes, retry
// EINTR, wait out EAGAIN (bounded, see wait.h), and turn anything else
// into the endpoint's error. done() is where the loop has got to.
//
//   SendProgress progress(fd, "send", 0, len, timeout_ms, &counters, &err);
//   while (progress.done() < len) {
//     size_t offered = len - progress.done();
//     ssize_t n = send(fd, p + progress.done(), offered, MSG_NOSIGNAL);
//     n = progress.After(n, offered);
//     if (n < 0) return (int)n;
//   }
class SendProgress {
 public:
  // `what` names the call in messages; done and total are the bytes of the
  // message already sent and in all.
  SendProgress(int fd, const char* what, size_t done, size_t total,
               int timeout_ms, SendCounters* counters, ErrorText* err,
               const IoHooks* hooks = nullptr)
      : fd_(fd),
        what_(what),
        done_(done),
        total_(total),
        timeout_ms_(timeout_ms),
        counters_(counters),
        err_(err),
        hooks_(hooks) {}

  // n is what a call that offered `offered` bytes returned (errno set when
  // n < 0). Returns n when the call moved bytes (counted, and added to
  // done()); 0 when the call is to be made again (EINTR; EAGAIN once the
  // socket has room; ENOBUFS when hooks->on_enobufs says so); else a
  // negative errno with err set: "<what>: wrote 0 bytes" (-EIO),
  // "<what>: <strerror> (after 10 of 20 bytes)", or the wait's error.
  ssize_t After(ssize_t n, size_t offered) {
    if (n > 0) {
      ++counters_->send_calls;
      if ((size_t)n < offered) ++counters_->short_writes;
      done_ += (size_t)n;
      return n;
    }
    if (n < 0 && errno == EINTR) return 0;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return WaitAfterEagain(fd_, POLLOUT, timeout_ms_, what_, done_, total_,
                             hooks_, err_);
    }
    if (n < 0 && errno == ENOBUFS && hooks_ != nullptr &&
        hooks_->on_enobufs != nullptr) {
      return hooks_->on_enobufs(hooks_->ctx, err_);
    }
    if (n == 0) return err_->Set(-EIO, "%s: wrote 0 bytes", what_);
    int e = errno;
    return err_->Set(-e, "%s: %s (after %zu of %zu bytes)", what_,
                     ErrnoText(e).c_str(), done_, total_);
  }

  size_t done() const { return done_; }

 private:
  int fd_;
  const char* what_;
  size_t done_;
  size_t total_;
  int timeout_ms_;
  SendCounters* counters_;
  ErrorText* err_;
  const IoHooks* hooks_;
};

// send() all len bytes of data, retrying partial writes, EINTR and EAGAIN.
// Uses MSG_NOSIGNAL: a closed peer gives -EPIPE, never SIGPIPE.
inline int SendAll(int fd, const void* data, size_t len, int timeout_ms,
                   SendCounters* counters, ErrorText* err) {
  const char* p = static_cast<const char*>(data);
  SendProgress progress(fd, "send", 0, len, timeout_ms, counters, err);
  while (progress.done() < len) {
    size_t offered = len - progress.done();
    ssize_t n = send(fd, p + progress.done(), offered, MSG_NOSIGNAL);
    n = progress.After(n, offered);
    if (n < 0) return (int)n;
  }
  return 0;
}

// Checks every message of a send() before any byte goes out, so that bad
// arguments leave the endpoint usable. max_len > 0 also bounds each
// message's size (-EMSGSIZE).
inline int CheckMessages(const cs_message* messages, uint32_t count,
                         size_t max_len, ErrorText* err) {
  if (count > 0 && messages == nullptr) {
    return err->Set(-EINVAL, "send: messages is NULL");
  }
  for (uint32_t m = 0; m < count; ++m) {
    const cs_message& msg = messages[m];
    if (msg.field_count == 0 || msg.fields == nullptr) {
      return err->Set(-EINVAL, "send: message %u has no fields", m);
    }
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      if (msg.fields[f].iov_base == nullptr && msg.fields[f].iov_len > 0) {
        return err->Set(-EINVAL, "send: message %u field %u is NULL", m, f);
      }
      len += msg.fields[f].iov_len;
    }
    if (max_len > 0 && len > max_len) {
      return err->Set(-EMSGSIZE,
                      "send: message %u has %zu bytes, more than "
                      "max_message_size %zu",
                      m, len, max_len);
    }
  }
  return 0;
}

// Scratch iovec array owned by an endpoint, so that partial writes can
// advance it without touching the host's array. capacity is capped at
// IOV_MAX; longer messages go out in several chunks.
class IovScratch {
 public:
  IovScratch() = default;
  ~IovScratch() { free(iov_); }
  IovScratch(const IovScratch&) = delete;
  IovScratch& operator=(const IovScratch&) = delete;

  // Returns false when out of memory.
  bool Reserve(uint32_t fields) {
    uint32_t cap = fields == 0 ? 1 : fields;
    if (cap > IOV_MAX) cap = IOV_MAX;
    iov_ = static_cast<struct iovec*>(calloc(cap, sizeof(struct iovec)));
    capacity_ = iov_ != nullptr ? cap : 0;
    return iov_ != nullptr;
  }
  struct iovec* data() {
    return iov_;
  }
  uint32_t capacity() const { return capacity_; }

  // Copies fields[*next..count) into the scratch, skipping empty ones, until
  // it is full; moves *next past what it took. Returns how many iovecs the
  // scratch holds, and in *bytes how many bytes.
  uint32_t Load(const struct iovec* fields, uint32_t count, uint32_t* next,
                size_t* bytes) {
    uint32_t n = 0;
    *bytes = 0;
    while (*next < count && n < capacity_) {
      if (fields[*next].iov_len > 0) {
        iov_[n++] = fields[*next];
        *bytes += fields[*next].iov_len;
      }
      ++*next;
    }
    return n;
  }

 private:
  struct iovec* iov_ = nullptr;
  uint32_t capacity_ = 0;
};

// After a call wrote n bytes from iov[first..count) (none of them empty):
// returns the first iovec not written in full, trimmed by what the call took
// from it.
inline uint32_t AdvanceIov(struct iovec* iov, uint32_t first, uint32_t count,
                           size_t n) {
  while (first < count && n > 0 && n >= iov[first].iov_len) {
    n -= iov[first].iov_len;
    ++first;
  }
  if (first < count && n > 0) {
    iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + n;
    iov[first].iov_len -= n;
  }
  return first;
}

// sendmsg() every byte of fields[0..count) with the given extra flags
// (MSG_NOSIGNAL is always added), in chunks of scratch->capacity() iovecs;
// a partial write advances the scratch copy. Never modifies fields.
inline int SendFieldsAll(int fd, const struct iovec* fields, uint32_t count,
                         int flags, int timeout_ms, IovScratch* scratch,
                         SendCounters* counters, ErrorText* err,
                         const IoHooks* hooks = nullptr) {
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += fields[i].iov_len;
  SendProgress progress(fd, "sendmsg", 0, total, timeout_ms, counters, err,
                        hooks);
  uint32_t next = 0;  // first field not yet loaded into the scratch
  while (next < count) {
    size_t chunk = 0;
    uint32_t n_iov = scratch->Load(fields, count, &next, &chunk);
    struct iovec* iov = scratch->data();
    uint32_t first = 0;  // first iovec of the chunk not yet fully sent
    while (chunk > 0) {
      struct msghdr msg;
      memset(&msg, 0, sizeof(msg));
      msg.msg_iov = iov + first;
      msg.msg_iovlen = n_iov - first;
      ssize_t n = sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
      n = progress.After(n, chunk);
      if (n < 0) return (int)n;
      chunk -= (size_t)n;
      first = AdvanceIov(iov, first, n_iov, (size_t)n);
    }
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_SEND_LOOP_H_
