// two_copy: the classic way to send a message made of several fields.
// The fields are gathered with memcpy into one per-endpoint buffer (copy
// one), which send() hands to the kernel (copy two, into socket buffers).
// Partial writes, EINTR and EAGAIN are handled; every wait is bounded by the
// endpoint's io_timeout_ms. Receiving is recv() until the whole message has
// arrived.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/probe.h"
#include "transports/common/send_loop.h"

namespace copyscope::transports {
namespace {

struct Endpoint : EndpointBase<Endpoint> {
  ~Endpoint() { free(gather); }

  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return RequireMaxMessageSize(config, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    if (!is_sender()) return 0;
    gather = static_cast<char*>(malloc(config.max_message_size));
    if (gather == nullptr) {
      FormatInto(err, err_size, "open: cannot allocate a %zu-byte buffer",
                 config.max_message_size);
      return -ENOMEM;
    }
    max_message_len = config.max_message_size;
    return 0;
  }

  int SendMessage(const cs_message& msg) {
    // A single field is already one buffer: there is nothing to gather, and
    // send() from it is what a one-buffer program such as iperf3 does.
    if (msg.field_count == 1) {
      ++single_field_sends;
      return SendAll(fd, static_cast<const char*>(msg.fields[0].iov_base),
                     msg.fields[0].iov_len, io_timeout_ms, &send_counters,
                     &error);
    }
    // Copy one: gather the fields.
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      size_t n = msg.fields[f].iov_len;
      if (n > 0) memcpy(gather + len, msg.fields[f].iov_base, n);
      len += n;
    }
    // Copy two: the kernel copies the buffer into the socket.
    return SendAll(fd, gather, len, io_timeout_ms, &send_counters, &error);
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("single_field_sends", single_field_sends);
  }

  char* gather = nullptr;  // max_message_size bytes (sender roles)
  SendCounters send_counters;
  uint64_t single_field_sends = 0;  // messages sent without the gather copy
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "two_copy", "1.0",
    "memcpy the fields into one buffer, then send() it (two copies)",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
