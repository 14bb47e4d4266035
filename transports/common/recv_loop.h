// Receive loop: one whole message of exactly len bytes into the host's
// buffer, retrying EINTR and EAGAIN (each wait bounded, see wait.h). A peer
// that closes or resets the connection before the last byte gives -EPIPE,
// with a message saying how many bytes had arrived. CheckRecvArgs()
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
    return err->Set(-e, "recv: %s (after %zu of %zu bytes)",
                    ErrnoText(e).c_str(), got, len);
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_RECV_LOOP_H_
