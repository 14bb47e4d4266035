// Send loops: every byte of a message handed to the socket, whatever the
// socket takes per call. They retry partial writes, EINTR and EAGAIN (each
// wait bounded, see wait.h), pass MSG_NOSIGNAL so that a closed peer is
// -EPIPE and never SIGPIPE, and count calls in SendCounters. CheckMessages()
// validates a whole send() before any byte goes out; IovScratch is the
// endpoint's own iovec copy that partial writes advance. Header-only, over
// the ABI header.
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

// send() all len bytes of data, retrying partial writes, EINTR and EAGAIN.
// Uses MSG_NOSIGNAL: a closed peer gives -EPIPE, never SIGPIPE.
inline int SendAll(int fd, const void* data, size_t len, int timeout_ms,
                   SendCounters* counters, ErrorText* err) {
  const char* p = static_cast<const char*>(data);
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = send(fd, p + sent, len - sent, MSG_NOSIGNAL);
    if (n > 0) {
      ++counters->send_calls;
      if ((size_t)n < len - sent) ++counters->short_writes;
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc = WaitAfterEagain(fd, POLLOUT, timeout_ms, "send", sent, len,
                               nullptr, err);
      if (rc < 0) return rc;
      continue;
    }
    if (n == 0) return err->Set(-EIO, "send: wrote 0 bytes");
    int e = errno;
    return err->Set(-e, "send: %s (after %zu of %zu bytes)",
                    ErrnoText(e).c_str(), sent, len);
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

 private:
  struct iovec* iov_ = nullptr;
  uint32_t capacity_ = 0;
};

// sendmsg() every byte of fields[0..count) with the given extra flags
// (MSG_NOSIGNAL is always added), in chunks of scratch->capacity() iovecs;
// a partial write advances the scratch copy. Never modifies fields.
inline int SendFieldsAll(int fd, const struct iovec* fields, uint32_t count,
                         int flags, int timeout_ms, IovScratch* scratch,
                         SendCounters* counters, ErrorText* err,
                         const IoHooks* hooks = nullptr) {
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) total += fields[i].iov_len;
  size_t done = 0;
  uint32_t next = 0;  // first field not yet loaded into the scratch
  while (next < count) {
    // Load the next chunk, skipping empty fields.
    struct iovec* iov = scratch->data();
    uint32_t n_iov = 0;
    size_t chunk = 0;
    while (next < count && n_iov < scratch->capacity()) {
      if (fields[next].iov_len > 0) {
        iov[n_iov++] = fields[next];
        chunk += fields[next].iov_len;
      }
      ++next;
    }
    uint32_t first = 0;  // first iovec of the chunk not yet fully sent
    while (chunk > 0) {
      struct msghdr msg;
      memset(&msg, 0, sizeof(msg));
      msg.msg_iov = iov + first;
      msg.msg_iovlen = n_iov - first;
      ssize_t n = sendmsg(fd, &msg, flags | MSG_NOSIGNAL);
      if (n > 0) {
        ++counters->send_calls;
        if ((size_t)n < chunk) ++counters->short_writes;
        chunk -= (size_t)n;
        done += (size_t)n;
        size_t left = (size_t)n;
        while (left > 0 && left >= iov[first].iov_len) {
          left -= iov[first].iov_len;
          ++first;
        }
        if (left > 0) {
          iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
          iov[first].iov_len -= left;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int rc = WaitAfterEagain(fd, POLLOUT, timeout_ms, "sendmsg", done,
                                 total, hooks, err);
        if (rc < 0) return rc;
        continue;
      }
      if (n < 0 && errno == ENOBUFS && hooks != nullptr &&
          hooks->on_enobufs != nullptr) {
        int rc = hooks->on_enobufs(hooks->ctx, err);
        if (rc < 0) return rc;
        continue;
      }
      if (n == 0) return err->Set(-EIO, "sendmsg: wrote 0 bytes");
      int e = errno;
      return err->Set(-e, "sendmsg: %s (after %zu of %zu bytes)",
                      ErrnoText(e).c_str(), done, total);
    }
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_SEND_LOOP_H_
