// discard_recv: the receive side's floor. recv(MSG_TRUNC) on a TCP socket
// consumes the bytes of the receive queue without copying them to user
// space (tcp(7)), so a receiver does all of TCP's work except the copy into
// its buffer. Against two_copy's plain recv() at the same size, the
// difference in the receiving side's CPU time per byte is what that copy
// costs. The bytes never reach the host, so nothing received can be
// verified: the descriptor says so with CS_CAP_RECV_DISCARDS, and the
// host's buffer is never written. Sending is two_copy's path
// (transports/common/gather_send.h), so that a cell of this plugin with
// itself differs from two_copy's only on the receiving side.
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/gather_send.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"

namespace copyscope::transports {
namespace {

struct Endpoint : GatherSendEndpoint<Endpoint> {
  int Setup(const cs_endpoint_config& config, const Options& options, char* err,
            size_t err_size) {
    if (is_receiver()) {
      // MSG_TRUNC discards only on TCP; a Unix stream socket would copy
      // the bytes anyway, and the figures would lie.
      int protocol = 0;
      socklen_t len = sizeof(protocol);
      if (getsockopt(config.fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) !=
          0) {
        const int e = errno;
        FormatInto(err, err_size, "open: SO_PROTOCOL: %s",
                   ErrnoText(e).c_str());
        return -e;
      }
      if (protocol != IPPROTO_TCP) {
        FormatInto(err, err_size,
                   "open: discard_recv receives only on a TCP socket "
                   "(recv(MSG_TRUNC) discards only there); this socket's "
                   "protocol is %d",
                   protocol);
        return -EPROTONOSUPPORT;
      }
    }
    return GatherSendEndpoint::Setup(config, options, err, err_size);
  }

  // Exactly args->len bytes of the stream, dropped by the kernel: args->buf
  // is never written (the kernel checks its range, copies nothing).
  int Receive(cs_recv_args* args) {
    int rc = RecvExact(fd, args->buf, args->len, io_timeout_ms, &error, nullptr,
                       MSG_TRUNC);
    if (rc == 0) discarded_bytes += args->len;
    return rc;
  }

  void ListCounters(CounterList* c) const {
    GatherSendEndpoint::ListCounters(c);
    c->Add("discarded_bytes", discarded_bytes);
  }

  uint64_t discarded_bytes = 0;  // received and dropped by the kernel
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "discard_recv", "1.0",
    "TCP recv(MSG_TRUNC): the kernel drops received bytes uncopied (nothing "
    "to verify); sends as two_copy",
    CS_CAP_RECV | CS_CAP_RECV_DISCARDS, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
