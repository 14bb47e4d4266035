// Receive loop: one whole message of exactly len bytes into the host's
// buffer, retrying EINTR and EAGAIN (each wait bounded, see wait.h). A peer
// that closes or resets the connection before the last byte gives -EPIPE,
// with a message saying how many bytes had arrived; RecvEnded() writes that
// error for a transport with a receive loop of its own. CheckRecvArgs()
// validates a recv() call's arguments first. Header-only, over the ABI
// header.
//
//   int rc = copyscope::transports::CheckRecvArgs(args, &error);
//   if (rc == 0) rc = RecvExact(fd, args->buf, args->len, io_timeout_ms,
//                               &error);
//   // -EPIPE: "recv: peer closed the connection after 10 of 20 bytes"
#ifndef COPYSCOPE_TRANSPORTS_COMMON_RECV_LOOP_H_
#define COPYSCOPE_TRANSPORTS_COMMON_RECV_LOOP_H_

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"
#include "transports/common/wait.h"

namespace copyscope::transports {

// Checks a recv() call's arguments; fills the out fields for a message
// received into args->buf.
inline int CheckRecvArgs(cs_recv_args* args, ErrorText* err) {
  if (args == nullptr) return err->Set(-EINVAL, "recv: args is NULL");
  if (args->struct_size < CS_RECV_ARGS_STRUCT_SIZE_1_0) {
    return err->Set(-EINVAL, "recv: args struct_size %u is smaller than %zu",
                    args->struct_size, (size_t)CS_RECV_ARGS_STRUCT_SIZE_1_0);
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

// The error of a receive that ended before the whole message was in; e is
// the errno that ended it, 0 when the peer closed the connection. A close
// or a reset is -EPIPE ("recv: peer closed the connection after 10 of 20
// bytes", or "reset"); anything else is -e ("recv: <strerror> (after 10 of
// 20 bytes)").
inline int RecvEnded(int e, size_t got, size_t len, ErrorText* err) {
  if (e == 0 || e == ECONNRESET) {
    return err->Set(-EPIPE,
                    "recv: peer %s the connection after %zu of %zu bytes",
                    e == 0 ? "closed" : "reset", got, len);
  }
  return err->Set(-e, "recv: %s (after %zu of %zu bytes)", ErrnoText(e).c_str(),
                  got, len);
}

// recv() exactly len bytes into buf. Returns 0; -EPIPE if the peer closed
// (or reset) the connection first; -ETIMEDOUT if a wait ran out; another
// negative errno otherwise. recv_flags go to every recv() call: MSG_TRUNC
// on a TCP socket consumes the bytes without copying them into buf.
inline int RecvExact(int fd, void* buf, size_t len, int timeout_ms,
                     ErrorText* err, const IoHooks* hooks = nullptr,
                     int recv_flags = 0) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, p + got, len - got, recv_flags);
    if (n > 0) {
      got += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int rc =
          WaitAfterEagain(fd, POLLIN, timeout_ms, "recv", got, len, hooks, err);
      if (rc == -ECONNRESET) return RecvEnded(ECONNRESET, got, len, err);
      if (rc < 0) return rc;
      continue;
    }
    return RecvEnded(n == 0 ? 0 : errno, got, len, err);
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_RECV_LOOP_H_
