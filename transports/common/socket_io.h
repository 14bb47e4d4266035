// Socket helpers shared by the in-tree transports: error text, option
// checking, bounded waits, and the send/recv loops every transport needs
// (partial writes, EINTR, EAGAIN on blocking and non-blocking sockets,
// MSG_NOSIGNAL). Header-only and dependent on the ABI header alone.
//
//   copyscope::transports::ErrorText err;
//   copyscope::transports::SendCounters counters;
//   int rc = copyscope::transports::SendAll(fd, data, len, /*timeout_ms=*/5000,
//                                           &counters, &err);
//   if (rc < 0) fprintf(stderr, "%s\n", err.c_str());
//
// Waits. Every wait is bounded by the endpoint's io_timeout_ms: on a
// blocking socket through SO_SNDTIMEO/SO_RCVTIMEO (set by
// ApplySocketTimeouts() at open, so the system calls block in the kernel as
// an ordinary blocking program's would), on a non-blocking socket through
// poll(). Either way a wait that runs out gives -ETIMEDOUT.
#ifndef COPYSCOPE_TRANSPORTS_COMMON_SOCKET_IO_H_
#define COPYSCOPE_TRANSPORTS_COMMON_SOCKET_IO_H_

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "plugins/copyscope_transport.h"

namespace copyscope::transports {

// Writes a printf-style message into out (NUL-terminated, truncated to
// size). Safe with out == nullptr or size == 0.
inline void FormatInto(char* out, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
inline void FormatInto(char* out, size_t size, const char* fmt, ...) {
  if (out == nullptr || size == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, size, fmt, ap);
  va_end(ap);
}

// strerror() without its thread-safety caveats.
inline const char* ErrnoName(int err, char* buf, size_t size) {
  // GNU strerror_r returns the message, which may or may not be buf.
  return strerror_r(err, buf, size);
}

// An endpoint's last error message, as last_error() returns it.
class ErrorText {
 public:
  const char* c_str() const { return text_; }

  // Stores the message and returns rc (a negative errno), so that a caller
  // can write `return err->Set(-EPIPE, "...")`.
  int Set(int rc, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text_, sizeof(text_), fmt, ap);
    va_end(ap);
    return rc;
  }

  // Stores "<what>: <strerror(err)>" and returns -err.
  int SetErrno(int err, const char* what) {
    char buf[96];
    return Set(-err, "%s: %s", what, ErrnoName(err, buf, sizeof(buf)));
  }

 private:
  char text_[256] = "";
};

// Counters every socket transport keeps about its sending system calls.
struct SendCounters {
  uint64_t send_calls = 0;    // send/sendmsg calls that accepted bytes
  uint64_t short_writes = 0;  // of those, calls that accepted fewer bytes
                              // than offered
};

// ---------------------------------------------------------------------------
// Configuration and options.

// Checks the parts of an endpoint configuration every transport relies on:
// size, role, and that fd is a connected-type stream socket.
inline int CheckConfig(const cs_endpoint_config* config, char* err,
                       size_t err_size) {
  if (config == nullptr) {
    FormatInto(err, err_size, "open: config is NULL");
    return -EINVAL;
  }
  if (config->struct_size < CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0) {
    FormatInto(err, err_size,
               "open: config struct_size %u is smaller than ABI 1.0's %zu",
               config->struct_size, (size_t)CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0);
    return -EINVAL;
  }
  if (config->role < CS_ROLE_SENDER || config->role > CS_ROLE_BOTH) {
    FormatInto(err, err_size, "open: role %u is not one of 1, 2, 3",
               config->role);
    return -EINVAL;
  }
  if (config->fd < 0) {
    FormatInto(err, err_size, "open: fd %d is not a file descriptor",
               config->fd);
    return -EBADF;
  }
  if (config->option_count > 0 && config->options == nullptr) {
    FormatInto(err, err_size, "open: option_count is %u but options is NULL",
               config->option_count);
    return -EINVAL;
  }
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(config->fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    int e = errno;
    char buf[96];
    FormatInto(err, err_size, "open: fd %d is not a usable socket: %s",
               config->fd, ErrnoName(e, buf, sizeof(buf)));
    return -e;
  }
  if (type != SOCK_STREAM) {
    FormatInto(err, err_size, "open: fd %d is not a stream socket", config->fd);
    return -EINVAL;
  }
  return 0;
}

// Rejects option keys not in known[0..known_count): -EINVAL with
// "unknown option 'k' (known: a, b)" or "(known: none)".
inline int CheckOptionKeys(const cs_endpoint_config* config,
                           const cs_option_desc* known, uint32_t known_count,
                           char* err, size_t err_size) {
  for (uint32_t i = 0; i < config->option_count; ++i) {
    const char* key = config->options[i].key;
    if (key == nullptr || config->options[i].value == nullptr) {
      FormatInto(err, err_size, "option %u has a NULL key or value", i);
      return -EINVAL;
    }
    bool found = false;
    for (uint32_t k = 0; k < known_count && !found; ++k) {
      found = strcmp(key, known[k].key) == 0;
    }
    if (found) continue;
    char names[160] = "";
    size_t used = 0;
    for (uint32_t k = 0; k < known_count; ++k) {
      int n = snprintf(names + used, sizeof(names) - used, "%s%s",
                       k == 0 ? "" : ", ", known[k].key);
      if (n < 0 || (size_t)n >= sizeof(names) - used) break;
      used += (size_t)n;
    }
    FormatInto(err, err_size, "unknown option '%s' (known: %s)", key,
               known_count == 0 ? "none" : names);
    return -EINVAL;
  }
  return 0;
}

// The value of the last option named key, or nullptr.
inline const char* FindOption(const cs_endpoint_config* config,
                              const char* key) {
  const char* value = nullptr;
  for (uint32_t i = 0; i < config->option_count; ++i) {
    if (strcmp(config->options[i].key, key) == 0) {
      value = config->options[i].value;
    }
  }
  return value;
}

// Parses a byte count: decimal digits with an optional K, M or G suffix
// (powers of 1024). Returns false on anything else.
inline bool ParseByteCount(const char* text, uint64_t* out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0) return false;
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  if (*end == 'M' || *end == 'm') shift = 20;
  if (*end == 'G' || *end == 'g') shift = 30;
  if (shift != 0) ++end;
  if (*end != '\0') return false;
  if (shift != 0 && v > (UINT64_MAX >> shift)) return false;
  *out = (uint64_t)v << shift;
  return true;
}

// Parses a decimal option value in [lo, hi]; false on anything else.
inline bool ParseUintOption(const char* text, uint64_t lo, uint64_t hi,
                            uint64_t* out) {
  uint64_t v = 0;
  if (!ParseByteCount(text, &v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Reads option `key` into *out when given; false (err set) when malformed.
inline bool NumberOption(const cs_endpoint_config* config, const char* key,
                         uint64_t lo, uint64_t hi, uint64_t* out, char* err,
                         size_t err_size) {
  const char* text = FindOption(config, key);
  if (text == nullptr || ParseUintOption(text, lo, hi, out)) return true;
  FormatInto(err, err_size, "option %s='%s' is not a number in %llu..%llu", key,
             text, (unsigned long long)lo, (unsigned long long)hi);
  return false;
}

// Writes counters[0..n) into out (at most max) and returns n, as the ABI's
// counters() does.
inline uint32_t CopyCounters(const cs_counter* counters, uint32_t n,
                             cs_counter* out, uint32_t max) {
  for (uint32_t i = 0; i < n && i < max && out != nullptr; ++i) {
    out[i] = counters[i];
  }
  return n;
}

// ---------------------------------------------------------------------------
// Waiting.

inline int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Bounds blocking system calls on fd by timeout_ms (SO_SNDTIMEO for
// senders, SO_RCVTIMEO for receivers). Does nothing when timeout_ms < 0.
inline int ApplySocketTimeouts(int fd, uint32_t role, int timeout_ms, char* err,
                               size_t err_size) {
  if (timeout_ms < 0) return 0;
  // A zero timeval means "no timeout" to the kernel; 0 ms becomes 1 ms.
  int ms = timeout_ms == 0 ? 1 : timeout_ms;
  struct timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  const struct {
    uint32_t role_bit;
    int option;
    const char* name;
  } kOptions[] = {{CS_ROLE_SENDER, SO_SNDTIMEO, "SO_SNDTIMEO"},
                  {CS_ROLE_RECEIVER, SO_RCVTIMEO, "SO_RCVTIMEO"}};
  for (const auto& o : kOptions) {
    if ((role & o.role_bit) == 0) continue;
    if (setsockopt(fd, SOL_SOCKET, o.option, &tv, sizeof(tv)) != 0) {
      int e = errno;
      char buf[96];
      FormatInto(err, err_size, "open: setsockopt(%s): %s", o.name,
                 ErrnoName(e, buf, sizeof(buf)));
      return -e;
    }
  }
  return 0;
}

// poll() for events on fd for up to timeout_ms (< 0: forever), retrying
// EINTR with the time left. Returns the revents (> 0), 0 on timeout, or a
// negative errno.
inline int PollFor(int fd, short events, int timeout_ms) {
  int64_t deadline = timeout_ms < 0 ? -1 : MonotonicMs() + timeout_ms;
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - MonotonicMs();
      wait = left > 0 ? (int)left : 0;
    }
    struct pollfd pfd = {fd, events, 0};
    int n = poll(&pfd, 1, wait);
    if (n > 0) return pfd.revents;
    if (n == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

// Hooks a transport with an error queue (MSG_ZEROCOPY) gives the loops.
struct IoHooks {
  // sendmsg() failed with ENOBUFS: return 0 to retry, or a negative errno
  // (err set) to give up. nullptr: ENOBUFS is an error.
  int (*on_enobufs)(void* ctx, ErrorText* err) = nullptr;
  // poll() reported POLLERR alone: read the error queue; return true if it
  // held anything (then the wait goes on), false if not.
  bool (*on_pollerr)(void* ctx) = nullptr;
  void* ctx = nullptr;
};

// Called after a send/recv system call failed with EAGAIN: on a blocking
// socket that means its SO_*TIMEO ran out; on a non-blocking socket waits
// with poll(). Returns 0 when the call should be retried, else a negative
// errno with err set. `what` names the operation for the message.
inline int WaitAfterEagain(int fd, short events, int timeout_ms,
                           const char* what, size_t done, size_t total,
                           const IoHooks* hooks, ErrorText* err) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return err->SetErrno(errno, "fcntl(F_GETFL)");
  if (flags & O_NONBLOCK) {
    int64_t deadline = timeout_ms < 0 ? -1 : MonotonicMs() + timeout_ms;
    for (;;) {
      int wait = -1;
      if (deadline >= 0) {
        int64_t left = deadline - MonotonicMs();
        wait = left > 0 ? (int)left : 0;
      }
      int rc = PollFor(fd, events, wait);
      if (rc < 0) return err->SetErrno(-rc, "poll");
      if (rc == 0) break;
      if ((rc & POLLERR) == 0 || (rc & (events | POLLHUP)) != 0) {
        // Readiness or a hang-up: the retried call reports which.
        return 0;
      }
      // POLLERR alone: error-queue entries or a pending socket error.
      if (hooks != nullptr && hooks->on_pollerr != nullptr &&
          hooks->on_pollerr(hooks->ctx)) {
        continue;  // the transport consumed its error-queue entries
      }
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        return err->SetErrno(errno, "getsockopt(SO_ERROR)");
      }
      if (so_error != 0) return err->SetErrno(so_error, what);
      // Someone else's error-queue entries: back off instead of spinning.
      poll(nullptr, 0, 1);
    }
  }
  return err->Set(-ETIMEDOUT,
                  "%s: peer made no progress within io_timeout_ms=%d "
                  "(%zu of %zu bytes done)",
                  what, timeout_ms, done, total);
}

// ---------------------------------------------------------------------------
// Sending.

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
    char buf[96];
    return err->Set(-e, "send: %s (after %zu of %zu bytes)",
                    ErrnoName(e, buf, sizeof(buf)), sent, len);
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
      char buf[96];
      return err->Set(-e, "sendmsg: %s (after %zu of %zu bytes)",
                      ErrnoName(e, buf, sizeof(buf)), done, total);
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Receiving.

// Checks a recv() call's arguments; fills the out fields for a message
// received into args->buf.
inline int CheckRecvArgs(cs_recv_args* args, ErrorText* err) {
  if (args == nullptr) return err->Set(-EINVAL, "recv: args is NULL");
  if (args->struct_size < CS_RECV_ARGS_STRUCT_SIZE) {
    return err->Set(-EINVAL, "recv: args struct_size %u is smaller than %zu",
                    args->struct_size, (size_t)CS_RECV_ARGS_STRUCT_SIZE);
  }
  if (args->flags != 0) {
    return err->Set(-EINVAL, "recv: unknown flags 0x%x", args->flags);
  }
  if (args->buf == nullptr || args->len == 0) {
    return err->Set(-EINVAL,
                    "recv: needs a buffer and len >= 1 (buf %s, len %zu)",
                    args->buf == nullptr ? "NULL" : "set", args->len);
  }
  args->segments = nullptr;
  args->segment_count = 0;
  return 0;
}

// recv() exactly len bytes into buf. Returns 0; -EPIPE if the peer closed
// (or reset) the connection first; -ETIMEDOUT if a wait ran out; another
// negative errno otherwise.
inline int RecvExact(int fd, void* buf, size_t len, int timeout_ms,
                     ErrorText* err, const IoHooks* hooks = nullptr) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, p + got, len - got, 0);
    if (n > 0) {
      got += (size_t)n;
      continue;
    }
    if (n == 0) {
      return err->Set(-EPIPE,
                      "recv: peer closed the connection after %zu of "
                      "%zu bytes",
                      got, len);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int rc =
          WaitAfterEagain(fd, POLLIN, timeout_ms, "recv", got, len, hooks, err);
      if (rc == -ECONNRESET) {
        return err->Set(-EPIPE,
                        "recv: peer reset the connection after %zu "
                        "of %zu bytes",
                        got, len);
      }
      if (rc < 0) return rc;
      continue;
    }
    if (errno == ECONNRESET) {
      return err->Set(-EPIPE,
                      "recv: peer reset the connection after %zu of "
                      "%zu bytes",
                      got, len);
    }
    int e = errno;
    char ebuf[96];
    return err->Set(-e, "recv: %s (after %zu of %zu bytes)",
                    ErrnoName(e, ebuf, sizeof(ebuf)), got, len);
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_SOCKET_IO_H_
