// uring_send: io_uring IORING_OP_SEND (one field) and IORING_OP_SENDMSG
// (several fields) with batched submission, one ring per endpoint. A
// message's buffers are in use until its completion, which reap() reports.
// The engine, and how it keeps TCP order across short sends, is
// transports/common/uring_sender.h. Receiving is plain recv().
#include <errno.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/options.h"
#include "transports/common/uring_send_endpoint.h"
#include "transports/common/uring_sender.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {kQueueDepthOption};

struct Endpoint : UringSendEndpoint<Endpoint> {
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  void ListCounters(CounterList* c) const { AddSenderCounters(c); }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "uring_send", "1.0",
    "io_uring SEND/SENDMSG, batched submission; buffers released at "
    "completion",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_BATCHING |
        CS_CAP_RECV,
    ProbeUringSender</*kZeroCopy=*/false>);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
