// uring_send_zc: io_uring IORING_OP_SEND_ZC (one field) and
// IORING_OP_SENDMSG_ZC (several fields), batched, one ring per endpoint. The
// kernel sends from the host's pages; each send completes twice: once when
// the socket took the data (IORING_CQE_F_MORE set), and once more with a
// notification (IORING_CQE_F_NOTIF) when the kernel let go of the pages.
// Only then does reap() return the message's tag. Where the kernel can say
// so (IORING_SEND_ZC_REPORT_USAGE, Linux 6.2+), counts the notifications
// whose data was copied after all (always so over loopback).
//
// fixed_buffers=1 registers each distinct field buffer on first use and
// sends every field with IORING_RECVSEND_FIXED_BUF (see
// transports/common/uring_sender.h). Receiving is plain recv().
#include <errno.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/options.h"
#include "transports/common/uring_send_endpoint.h"
#include "transports/common/uring_sender.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    kQueueDepthOption,
    {"fixed_buffers", "0",
     "1: register each distinct field buffer with io_uring on first use "
     "(pinned until close; the host must keep it mapped) and send from the "
     "registration"},
    {"fixed_slots", "4096",
     "fixed_buffers=1: the most distinct buffers an endpoint registers "
     "(1..16384); more is an error"},
};

struct Endpoint : UringSendEndpoint<Endpoint> {
  static constexpr OptionTable kOptionTable = OptionsOf(kOptions);

  static int Configure(const cs_endpoint_config& config, UringSenderOptions* o,
                       char* err, size_t err_size) {
    int rc = UringSendEndpoint::Configure(config, o, err, err_size);
    if (rc < 0) return rc;
    o->zero_copy = true;
    uint64_t fixed = 0, slots = 4096;
    if (!NumberOption(&config, "fixed_buffers", 0, 1, &fixed, err, err_size) ||
        !NumberOption(&config, "fixed_slots", 1, 16384, &slots, err,
                      err_size)) {
      return -EINVAL;
    }
    o->fixed_buffers = fixed == 1;
    o->max_fixed_buffers = (uint32_t)slots;
    return 0;
  }

  void ListCounters(CounterList* c) const {
    AddSenderCounters(c);
    c->Add("zerocopy_completions", sender.zerocopy_completions());
    // Without IORING_SEND_ZC_REPORT_USAGE the kernel does not say whether
    // it copied: the counter is absent rather than a zero nobody measured.
    if (sender.report_usage()) {
      c->Add("zerocopy_copied", sender.zerocopy_copied());
    }
    if (sender.fixed_buffers_enabled()) {
      c->Add("fixed_buffers", sender.fixed_buffers());
    }
  }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "uring_send_zc", "1.0",
    "io_uring SEND_ZC/SENDMSG_ZC, batched; buffers released at the "
    "notification",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_ZERO_COPY_SEND |
        CS_CAP_BATCHING | CS_CAP_RECV,
    ProbeUringSender</*kZeroCopy=*/true>);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
