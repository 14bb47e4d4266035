// template_example: the smallest complete copyscope transport, to copy when
// writing a new one (see README.md). It sends each field of a message with
// its own send() and receives with recv(). It needs nothing but the ABI
// header, so the folder also works outside the monorepo:
//
//   c++ -std=c++17 -shared -fPIC -fvisibility=hidden -I<dir holding plugins/>
//       template_example.cc -o template_example.so
//
// Rules every transport follows (plugins/copyscope_transport.h has them all):
// - export copyscope_transport_entry only (hidden visibility elsewhere);
// - return negative errno values and keep a message for last_error();
// - never abort, exit, print or throw into the host;
// - never leave a wait unbounded: honour io_timeout_ms;
// - pass MSG_NOSIGNAL so that a closed peer is an error, not a SIGPIPE.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <new>

#include "plugins/copyscope_transport.h"

namespace {

// Everything the plugin keeps per connection. The host only ever sees an
// opaque cs_endpoint pointer.
struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  uint64_t send_calls = 0;  // a counter, reported by Counters()
  char error[256] = "";     // what last_error() returns
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

// Stores a message and returns rc, so failures read `return Fail(...)`.
int Fail(Endpoint* ep, int rc, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
int Fail(Endpoint* ep, int rc, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ep->error, sizeof(ep->error), fmt, ap);
  va_end(ap);
  return rc;
}

// A system call said EAGAIN. On a blocking socket that means the
// SO_SNDTIMEO/SO_RCVTIMEO set by Open() ran out; on a non-blocking one,
// wait for `events` with poll(), bounded by io_timeout_ms. Returns 0 to try
// again, or a negative errno.
int Wait(Endpoint* ep, short events) {
  if ((fcntl(ep->fd, F_GETFL) & O_NONBLOCK) == 0) {
    return Fail(ep, -ETIMEDOUT, "no progress within io_timeout_ms=%d",
                ep->io_timeout_ms);
  }
  struct pollfd pfd = {ep->fd, events, 0};
  int n;
  do {
    n = poll(&pfd, 1, ep->io_timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n > 0) return 0;
  if (n == 0) {
    return Fail(ep, -ETIMEDOUT, "no progress within io_timeout_ms=%d",
                ep->io_timeout_ms);
  }
  return Fail(ep, -errno, "poll: %s", strerror(errno));
}

// ---------------------------------------------------------------------------
// The ABI functions.

int Probe(char* why, size_t why_size) {
  // A transport that needs a kernel feature checks it here and explains
  // what is missing, e.g. "IORING_OP_SEND_ZC not supported by kernel 5.15".
  if (why_size > 0) why[0] = '\0';
  return 0;
}

int Open(const cs_endpoint_config* config, cs_endpoint** out, char* err,
         size_t err_size) {
  // The host may be older or newer than this plugin: check the size first.
  if (config == nullptr ||
      config->struct_size < CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0) {
    snprintf(err, err_size, "config missing or too small");
    return -EINVAL;
  }
  if (config->fd < 0) {
    snprintf(err, err_size, "fd %d is not a file descriptor", config->fd);
    return -EBADF;
  }
  // This transport has no options, so every key is unknown. A transport
  // with options lists them in cs_transport.options and names them here.
  if (config->option_count > 0) {
    const char* key = config->options ? config->options[0].key : nullptr;
    snprintf(err, err_size, "unknown option '%s' (known: none)",
             key ? key : "(null)");
    return -EINVAL;
  }
  // Bound the waits of blocking system calls (the host may reuse the
  // socket; these options stay set).
  if (config->io_timeout_ms >= 0) {
    int ms = config->io_timeout_ms > 0 ? config->io_timeout_ms : 1;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (setsockopt(config->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(config->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
      snprintf(err, err_size, "setsockopt(SO_SNDTIMEO/SO_RCVTIMEO): %s",
               strerror(errno));
      return -errno;
    }
  }
  Endpoint* ep = new (std::nothrow) Endpoint;  // no exceptions into the host
  if (ep == nullptr) {
    snprintf(err, err_size, "out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* ep) {
  // The host owns and closes the socket; we free only what we allocated.
  delete Ep(ep);
}

int Send(cs_endpoint* handle, const cs_message* messages, uint32_t count) {
  Endpoint* ep = Ep(handle);
  if (count > 0 && messages == nullptr) {
    return Fail(ep, -EINVAL, "messages is NULL");
  }
  for (uint32_t m = 0; m < count; ++m) {
    if (messages[m].field_count == 0 || messages[m].fields == nullptr) {
      return Fail(ep, -EINVAL, "message %u has no fields", m);
    }
  }
  for (uint32_t m = 0; m < count; ++m) {
    for (uint32_t f = 0; f < messages[m].field_count; ++f) {
      const char* p = static_cast<const char*>(messages[m].fields[f].iov_base);
      size_t left = messages[m].fields[f].iov_len;
      while (left > 0) {  // send() may take fewer bytes than offered
        ssize_t n = send(ep->fd, p, left, MSG_NOSIGNAL);
        if (n > 0) {
          ++ep->send_calls;
          p += n;
          left -= static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          int rc = Wait(ep, POLLOUT);
          if (rc < 0) return rc;
        } else {
          return Fail(ep, n < 0 ? -errno : -EIO, "send: %s",
                      n < 0 ? strerror(errno) : "wrote nothing");
        }
      }
    }
  }
  // Without CS_CAP_ASYNC_RELEASE every buffer is the host's again now.
  return 0;
}

int Reap(cs_endpoint* ep, uint64_t* tags, uint32_t max, int timeout_ms) {
  // Nothing is ever held after send() returns, so nothing to hand back.
  (void)ep;
  (void)tags;
  (void)max;
  (void)timeout_ms;
  return 0;
}

int Recv(cs_endpoint* handle, cs_recv_args* args) {
  Endpoint* ep = Ep(handle);
  if (args == nullptr || args->struct_size < CS_RECV_ARGS_STRUCT_SIZE ||
      args->buf == nullptr || args->len == 0) {
    return Fail(ep, -EINVAL, "recv needs args with a buffer and len >= 1");
  }
  args->segments = nullptr;  // the bytes land in args->buf
  args->segment_count = 0;
  char* p = static_cast<char*>(args->buf);
  size_t got = 0;
  while (got < args->len) {
    ssize_t n = recv(ep->fd, p + got, args->len - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return Fail(ep, -EPIPE, "peer closed after %zu of %zu bytes", got,
                  args->len);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int rc = Wait(ep, POLLIN);
      if (rc < 0) return rc;
    } else if (errno == ECONNRESET) {
      return Fail(ep, -EPIPE, "peer reset the connection");
    } else {
      return Fail(ep, -errno, "recv: %s", strerror(errno));
    }
  }
  return 0;
}

uint32_t Counters(const cs_endpoint* handle, cs_counter* out, uint32_t max) {
  // Names are static strings: they outlive every endpoint.
  if (max >= 1) out[0] = {"send_calls", Ep(handle)->send_calls};
  return 1;  // how many counters there are in all
}

const char* LastError(const cs_endpoint* ep) { return Ep(ep)->error; }

// The descriptor: what the host reads after loading the library.
const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "template_example",  // [a-z0-9_]+, unique among plugins
    "1.0",
    "example: one send() per field, recv() until the message is complete",
    CS_CAP_RECV,  // what this transport can do (CS_CAP_* bits)
    nullptr,      // accepted options (none)
    0,
    Probe,
    Open,
    Close,
    Send,
    Reap,
    Recv,
    Counters,
    LastError,
};

}  // namespace

// The one exported symbol. Refuse hosts of another ABI major version.
extern "C" CS_EXPORT const cs_transport* copyscope_transport_entry(
    const cs_host* host) {
  if (host == nullptr || host->abi_major != CS_ABI_MAJOR) return nullptr;
  return &kTransport;
}
