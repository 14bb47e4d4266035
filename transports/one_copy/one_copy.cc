// one_copy: sends a message's fields with one sendmsg() over an iovec, so the
// only copy is the kernel's, from the fields into socket buffers. Messages
// with more than IOV_MAX fields go out in several calls. A partial write
// advances a per-endpoint copy of the iovec (the host's array is never
// modified); EINTR and EAGAIN are handled and every wait is bounded by the
// endpoint's io_timeout_ms. Receiving is recv() until the whole message has
// arrived.
#include <errno.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/probe.h"
#include "transports/common/send_loop.h"

namespace copyscope::transports {
namespace {

struct Endpoint : EndpointBase<Endpoint> {
  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    return ReserveScratch(config, is_sender(), &scratch, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    return SendFieldsAll(fd, msg.fields, msg.field_count, 0, io_timeout_ms,
                         &scratch, &send_counters, &error);
  }

  void ListCounters(CounterList* c) const { c->AddSendCounters(send_counters); }

  IovScratch scratch;  // sender roles
  SendCounters send_counters;
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "one_copy", "1.0",
    "sendmsg() with an iovec over the fields (the kernel's copy only)",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
