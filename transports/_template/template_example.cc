// template_example: the smallest in-tree transport, to copy when writing a
// new one (see README.md). It sends each field of a message with its own
// send() and receives with recv() until the message is complete.
//
// transports/common/endpoint.h writes the C ABI around the Endpoint class
// below: open() with every check (config, role, option keys, socket
// timeouts), close(), send() (the messages checked, then SendMessage() on
// each, the endpoint broken after a failure), reap(), recv() (the arguments
// checked, then Receive()), counters() and last_error(). A transport is its
// send and receive paths, what it counts, and its descriptor; endpoint.h
// lists what else an endpoint may define (options, Setup(), OnClose(),
// ReapReleased() for buffers released after send() returns).
//
// What the code here still owes the host: a negative errno with a message
// in `error` on failure; every wait bounded by io_timeout_ms (the loops of
// send_loop.h and recv_loop.h are); MSG_NOSIGNAL, so that a closed peer is
// -EPIPE and not a SIGPIPE (SendAll passes it); no abort, exit or print.
#include <stdint.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"

namespace copyscope::transports {
namespace {

struct Endpoint : EndpointBase<Endpoint> {
  // send(): one whole message. Its fields are the host's again as soon as
  // this returns (the descriptor has no CS_CAP_ASYNC_RELEASE).
  int SendMessage(const cs_message& msg) {
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      int rc = SendAll(fd, msg.fields[f].iov_base, msg.fields[f].iov_len,
                       io_timeout_ms, &send_counters, &error);
      if (rc < 0) return rc;
    }
    return 0;
  }

  // recv(): exactly args->len bytes into args->buf, whose arguments
  // endpoint.h has checked. (This is the default; a transport that receives
  // in place points args->segments at its own memory instead.)
  int Receive(cs_recv_args* args) {
    return RecvExact(fd, args->buf, args->len, io_timeout_ms, &error);
  }

  // counters(): named totals since open, in this order.
  void ListCounters(CounterList* c) const { c->AddSendCounters(send_counters); }

  SendCounters send_counters;  // send() calls, and those that took less
};

// The descriptor: name ([a-z0-9_]+, unique among plugins), version, a
// one-line description, capabilities (CS_CAP_* bits), and probe()
// (ProbeNothing: a stream socket is all this transport needs).
const cs_transport kTransport = MakeTransport<Endpoint>(
    "template_example", "1.0",
    "example: one send() per field, recv() until the message is complete",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

// The plugin's one exported symbol.
COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
