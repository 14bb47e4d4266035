// two_copy: the classic way to send a message made of several fields.
// The fields are gathered with memcpy into one per-endpoint buffer (copy
// one), which send() hands to the kernel (copy two, into socket buffers);
// transports/common/gather_send.h is that path. Partial writes, EINTR and
// EAGAIN are handled; every wait is bounded by the endpoint's
// io_timeout_ms. Receiving is recv() until the whole message has arrived.
#include "plugins/copyscope_transport.h"
#include "transports/common/endpoint.h"
#include "transports/common/gather_send.h"
#include "transports/common/probe.h"

namespace copyscope::transports {
namespace {

// Sends with GatherSend; receives with the default, RecvExact.
struct Endpoint : GatherSendEndpoint<Endpoint> {};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "two_copy", "1.0",
    "memcpy the fields into one buffer, then send() it (two copies)",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
