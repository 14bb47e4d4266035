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
#include "transports/common/uring_io.h"
#include "transports/common/uring_send_endpoint.h"
#include "transports/common/uring_sender.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"queue_depth", "64",
     "io_uring entries: the most sends in flight, and the longest chain one "
     "submission carries (1..4096)"},
};

const UringOpName kOps[] = {{IORING_OP_SEND, "IORING_OP_SEND"},
                            {IORING_OP_SENDMSG, "IORING_OP_SENDMSG"}};

int Probe(char* why, size_t why_size) {
  return ProbeUring(kOps, 2, why, why_size);
}

struct Endpoint : UringSendEndpoint<Endpoint> {
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  static int Configure(const cs_endpoint_config& config, UringSenderOptions* o,
                       char* err, size_t err_size) {
    uint64_t depth = o->queue_depth;
    if (!NumberOption(&config, "queue_depth", 1, 4096, &depth, err, err_size)) {
      return -EINVAL;
    }
    o->queue_depth = (uint32_t)depth;
    return 0;
  }

  void ListCounters(CounterList* c) const { AddSenderCounters(c); }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "uring_send", "1.0",
    "io_uring SEND/SENDMSG, batched submission; buffers released at "
    "completion",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_BATCHING |
        CS_CAP_RECV,
    Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
