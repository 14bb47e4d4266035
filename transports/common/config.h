// The checks open() makes on an endpoint configuration before anything
// else: struct size, role, options array, and that fd is a stream socket.
// Header-only, over the ABI header.
//
//   int rc = copyscope::transports::CheckConfig(config, err, err_size);
//   if (rc < 0) return rc;  // err says what is wrong, e.g.
//                           // "open: fd 7 is not a stream socket"
#ifndef COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_
#define COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/error_text.h"

namespace copyscope::transports {

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
    FormatInto(err, err_size, "open: fd %d is not a usable socket: %s",
               config->fd, ErrnoText(e).c_str());
    return -e;
  }
  if (type != SOCK_STREAM) {
    FormatInto(err, err_size, "open: fd %d is not a stream socket", config->fd);
    return -EINVAL;
  }
  return 0;
}

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_CONFIG_H_
