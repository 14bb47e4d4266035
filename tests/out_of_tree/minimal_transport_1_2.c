/* minimal_transport: a copyscope transport built outside the monorepo, with
 * nothing but the ABI header and a C compiler:
 *
 *   cc -std=c99 -O2 -shared -fPIC -fvisibility=hidden \
 *      -I/path/to/copyscope/plugins minimal_transport.c -o minimal.so
 *   copyscope list --plugin=./minimal.so
 *   copyscope run --plugin=./minimal.so --transports=minimal
 *
 * It sends each message with writev-style sendmsg() calls (partial writes
 * advance the iovec) and receives with recv() until the message is whole.
 * tests/conformance runs its full suite against this file built that way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "copyscope_transport.h"

#define MAX_IOV 64

typedef struct endpoint {
  int fd;
  int io_timeout_ms;
  uint64_t send_calls;
  uint64_t short_writes;
  char error[256];
} endpoint;

static int fail(endpoint* ep, int rc, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(endpoint* ep, int rc, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ep->error, sizeof(ep->error), fmt, ap);
  va_end(ap);
  return rc;
}

/* EAGAIN: on a blocking socket SO_SNDTIMEO/SO_RCVTIMEO ran out; on a
 * non-blocking one, poll() bounded by io_timeout_ms. 0 means try again. */
static int wait_for(endpoint* ep, short events) {
  struct pollfd pfd;
  int n;
  if ((fcntl(ep->fd, F_GETFL) & O_NONBLOCK) == 0) {
    return fail(ep, -ETIMEDOUT, "no progress within io_timeout_ms=%d",
                ep->io_timeout_ms);
  }
  pfd.fd = ep->fd;
  pfd.events = events;
  pfd.revents = 0;
  do {
    n = poll(&pfd, 1, ep->io_timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n > 0) return 0;
  if (n == 0) {
    return fail(ep, -ETIMEDOUT, "no progress within io_timeout_ms=%d",
                ep->io_timeout_ms);
  }
  return fail(ep, -errno, "poll: %s", strerror(errno));
}

static int probe(char* why, size_t why_size) {
  if (why_size > 0) why[0] = '\0';
  return 0;
}

static int open_endpoint(const cs_endpoint_config* c, cs_endpoint** out,
                         char* err, size_t err_size) {
  endpoint* ep;
  if (c == NULL || c->struct_size < CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0) {
    snprintf(err, err_size, "config missing or too small");
    return -EINVAL;
  }
  if (c->fd < 0) {
    snprintf(err, err_size, "fd %d is not a file descriptor", c->fd);
    return -EBADF;
  }
  if (c->option_count > 0) {
    const char* key = c->options ? c->options[0].key : NULL;
    snprintf(err, err_size, "unknown option '%s' (known: none)",
             key ? key : "(null)");
    return -EINVAL;
  }
  if (c->io_timeout_ms >= 0) {
    int ms = c->io_timeout_ms > 0 ? c->io_timeout_ms : 1;
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
      int e = errno;
      snprintf(err, err_size, "setsockopt(SO_SNDTIMEO/SO_RCVTIMEO): %s",
               strerror(e));
      return -e;
    }
  }
  ep = calloc(1, sizeof(*ep));
  if (ep == NULL) {
    snprintf(err, err_size, "out of memory");
    return -ENOMEM;
  }
  ep->fd = c->fd;
  ep->io_timeout_ms = c->io_timeout_ms;
  *out = (cs_endpoint*)ep;
  return 0;
}

static void close_endpoint(cs_endpoint* ep) { free(ep); }

/* Sends one message: sendmsg() over up to MAX_IOV fields at a time. */
static int send_one(endpoint* ep, const cs_message* m) {
  struct iovec iov[MAX_IOV];
  uint32_t next = 0; /* first field not yet loaded into iov */
  size_t off = 0;    /* bytes of field `next - count` already sent */
  while (next < m->field_count) {
    uint32_t count = 0;
    struct msghdr mh;
    ssize_t n;
    while (next + count < m->field_count && count < MAX_IOV) {
      iov[count] = m->fields[next + count];
      ++count;
    }
    iov[0].iov_base = (char*)iov[0].iov_base + off;
    iov[0].iov_len -= off;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = count;
    n = sendmsg(ep->fd, &mh, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        int rc = wait_for(ep, POLLOUT);
        if (rc < 0) return rc;
        continue;
      }
      return fail(ep, -errno, "sendmsg: %s", strerror(errno));
    }
    ++ep->send_calls;
    /* Advance over what was written: whole fields, then part of one. */
    {
      size_t left = (size_t)n;
      uint32_t i = 0;
      while (i < count && left >= iov[i].iov_len) {
        left -= iov[i].iov_len;
        ++i;
      }
      if (i < count) ++ep->short_writes;
      if (i == count) {
        next += count;
        off = 0;
      } else {
        off = (i == 0 ? off : 0) + left;
        next += i;
      }
    }
  }
  return 0;
}

static int send_messages(cs_endpoint* handle, const cs_message* msgs,
                         uint32_t count) {
  endpoint* ep = (endpoint*)handle;
  uint32_t i;
  if (count > 0 && msgs == NULL) return fail(ep, -EINVAL, "messages is NULL");
  for (i = 0; i < count; ++i) {
    if (msgs[i].field_count == 0 || msgs[i].fields == NULL) {
      return fail(ep, -EINVAL, "message %u has no fields", i);
    }
  }
  for (i = 0; i < count; ++i) {
    int rc = send_one(ep, &msgs[i]);
    if (rc < 0) return rc;
  }
  return 0;
}

static int reap(cs_endpoint* ep, uint64_t* tags, uint32_t max, int timeout) {
  (void)ep;
  (void)tags;
  (void)max;
  (void)timeout;
  return 0; /* buffers are free when send_messages() returns */
}

static int recv_message(cs_endpoint* handle, cs_recv_args* a) {
  endpoint* ep = (endpoint*)handle;
  size_t got = 0;
  if (a == NULL || a->struct_size < CS_RECV_ARGS_STRUCT_SIZE ||
      a->buf == NULL || a->len == 0) {
    return fail(ep, -EINVAL, "recv needs args with a buffer and len >= 1");
  }
  a->segments = NULL;
  a->segment_count = 0;
  while (got < a->len) {
    ssize_t n = recv(ep->fd, (char*)a->buf + got, a->len - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (n == 0) {
      return fail(ep, -EPIPE, "peer closed after %zu of %zu bytes", got,
                  a->len);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int rc = wait_for(ep, POLLIN);
      if (rc < 0) return rc;
    } else if (errno == ECONNRESET) {
      return fail(ep, -EPIPE, "peer reset the connection");
    } else {
      return fail(ep, -errno, "recv: %s", strerror(errno));
    }
  }
  return 0;
}

static uint32_t counters(const cs_endpoint* handle, cs_counter* out,
                         uint32_t max) {
  const endpoint* ep = (const endpoint*)handle;
  if (max >= 1) {
    out[0].name = "send_calls";
    out[0].value = ep->send_calls;
  }
  if (max >= 2) {
    out[1].name = "short_writes";
    out[1].value = ep->short_writes;
  }
  return 2;
}

static const char* last_error(const cs_endpoint* ep) {
  return ((const endpoint*)ep)->error;
}

/* A build may give its own version: cc -DMINIMAL_VERSION='"1.1"' ... */
#ifndef MINIMAL_VERSION
#define MINIMAL_VERSION "1.0"
#endif

static const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "minimal",
    MINIMAL_VERSION,
    "out-of-tree example: sendmsg() over the fields, recv() until whole",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV,
    NULL,
    0,
    probe,
    open_endpoint,
    close_endpoint,
    send_messages,
    reap,
    recv_message,
    counters,
    last_error,
};

CS_EXPORT const cs_transport* copyscope_transport_entry(const cs_host* host) {
  if (host == NULL || host->abi_major != CS_ABI_MAJOR) return NULL;
  return &kTransport;
}
