// The checks open() makes on an endpoint configuration before anything
// else: struct size, role, options array, and that fd is a socket of the
// transport's kind: a stream socket, or for a datagram transport
// (CS_CAP_DATAGRAM, ABI 1.3) a datagram socket the host says is one.
// Header-only, over the ABI header.
//
//   int rc = copyscope::transports::CheckConfig(config, err, err_size);
//   if (rc < 0) return rc;  // err says what is wrong, e.g.
//                           // "open: fd 7 is not a stream socket"
//   rc = CheckConfig(config, err, err_size, /*datagram=*/true);
#ifndef COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_
#define COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"

namespace copyscope::transports {

// Checks the parts of an endpoint configuration every transport relies on:
// size, role, and that fd is a connected-type stream socket (datagram: a
// datagram socket, and socket_type says so; a stream socket offered to a
// datagram transport, or a datagram one to a stream transport, is
// -EPROTOTYPE).
inline int CheckConfig(const cs_endpoint_config* config, char* err,
                       size_t err_size, bool datagram = false) {
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
    FormatInto(err, err_size, "open: fd %d is not a usable socket: %s",
               config->fd, ErrnoText(e).c_str());
    return -e;
  }
  const uint32_t offered = CS_ENDPOINT_CONFIG_SOCKET_TYPE(config);
  if (datagram) {
    if (offered != CS_SOCKET_DATAGRAM) {
      FormatInto(err, err_size,
                 "open: a datagram transport needs a datagram socket, and "
                 "the config's socket_type is %u (the host offers %s)",
                 offered,
                 config->struct_size < CS_ENDPOINT_CONFIG_STRUCT_SIZE
                     ? "stream sockets only: it is older than ABI 1.3"
                     : "a stream socket");
      return -EPROTOTYPE;
    }
    if (type != SOCK_DGRAM) {
      FormatInto(err, err_size, "open: fd %d is not a datagram socket",
                 config->fd);
      return -EPROTOTYPE;
    }
    return 0;
  }
  if (offered != CS_SOCKET_STREAM) {
    FormatInto(err, err_size,
               "open: socket_type %u: this transport takes stream sockets "
               "only (no CS_CAP_DATAGRAM)",
               offered);
    return -EPROTOTYPE;
  }
  if (type != SOCK_STREAM) {
    FormatInto(err, err_size, "open: fd %d is not a stream socket", config->fd);
    return -EINVAL;
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_
