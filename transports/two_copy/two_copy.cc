// two_copy: the classic way to send a message made of several fields.
// The fields are gathered with memcpy into one per-endpoint buffer (copy
// one), which send() hands to the kernel (copy two, into socket buffers);
// transports/common/gather_send.h is that path. Partial writes, EINTR and
// EAGAIN are handled; every wait is bounded by the endpoint's
// io_timeout_ms. Receiving is recv() until the whole message has arrived.
#include <stddef.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/gather_send.h"
#include "transports/common/probe.h"

namespace copyscope::transports {
namespace {

struct Endpoint : EndpointBase<Endpoint> {
  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return RequireMaxMessageSize(config, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    if (!is_sender()) return 0;
    return gather.Setup(config, &max_message_len, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    return gather.Send(fd, msg, io_timeout_ms, &error);
  }

  void ListCounters(CounterList* c) const { gather.AddCounters(c); }

  GatherSend gather;
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "two_copy", "1.0",
    "memcpy the fields into one buffer, then send() it (two copies)",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
