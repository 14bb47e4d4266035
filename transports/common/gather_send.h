// The send path of two_copy, for every transport that sends as it does
// (discard_recv pairs its own receive with it): gather a message's fields
// with memcpy into one endpoint buffer (copy one), then send() it (copy
// two, into the socket). A message of one field is sent from its own
// buffer without the gather. GatherSend is that path; GatherSendEndpoint
// is an endpoint (endpoint.h) that sends with it, to derive from instead of
// EndpointBase. Header-only, over the ABI header.
//
//   struct Endpoint : GatherSendEndpoint<Endpoint> {};  // two_copy
//   // or, with a receive path of its own (discard_recv):
//   struct Endpoint : GatherSendEndpoint<Endpoint> {
//     int Receive(cs_recv_args* args) { ... }
//   };
#ifndef COPYSCOPE_TRANSPORTS_COMMON_GATHER_SEND_H_
#define COPYSCOPE_TRANSPORTS_COMMON_GATHER_SEND_H_

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/send_loop.h"

namespace copyscope::transports {

class GatherSend {
 public:
  GatherSend() = default;
  ~GatherSend() { free(gather_); }
  GatherSend(const GatherSend&) = delete;
  GatherSend& operator=(const GatherSend&) = delete;

  // For a sender's Setup(): the max_message_size-byte gather buffer, and
  // that size as the endpoint's limit (*max_message_len: send() refuses
  // longer messages with -EMSGSIZE).
  int Setup(const cs_endpoint_config& config, size_t* max_message_len,
            char* err, size_t err_size) {
    gather_ = static_cast<char*>(malloc(config.max_message_size));
    if (gather_ == nullptr) {
      FormatInto(err, err_size, "open: cannot allocate a %zu-byte buffer",
                 config.max_message_size);
      return -ENOMEM;
    }
    *max_message_len = config.max_message_size;
    return 0;
  }

  // One whole message (checked by the caller against max_message_len).
  int Send(int fd, const cs_message& msg, int timeout_ms, ErrorText* error) {
    // A single field is already one buffer: there is nothing to gather, and
    // send() from it is what a one-buffer program such as iperf3 does.
    if (msg.field_count == 1) {
      ++single_field_sends_;
      return SendAll(fd, static_cast<const char*>(msg.fields[0].iov_base),
                     msg.fields[0].iov_len, timeout_ms, &send_counters_, error);
    }
    // Copy one: gather the fields.
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      size_t n = msg.fields[f].iov_len;
      if (n > 0) memcpy(gather_ + len, msg.fields[f].iov_base, n);
      len += n;
    }
    // Copy two: the kernel copies the buffer into the socket.
    return SendAll(fd, gather_, len, timeout_ms, &send_counters_, error);
  }

  // send_calls, short_writes, single_field_sends.
  void AddCounters(CounterList* c) const {
    c->AddSendCounters(send_counters_);
    c->Add("single_field_sends", single_field_sends_);
  }

 private:
  char* gather_ = nullptr;  // max_message_size bytes (sender roles)
  SendCounters send_counters_;
  uint64_t single_field_sends_ = 0;  // messages sent without the gather
};

// An endpoint that sends with GatherSend: senders need max_message_size
// (the gather buffer's size, and the largest message send() accepts).
template <typename Self>
struct GatherSendEndpoint : EndpointBase<Self> {
  using Options = typename EndpointBase<Self>::Options;

  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return RequireMaxMessageSize(config, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    if (!this->is_sender()) return 0;
    return gather.Setup(config, &this->max_message_len, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    return gather.Send(this->fd, msg, this->io_timeout_ms, &this->error);
  }

  void ListCounters(CounterList* c) const { gather.AddCounters(c); }

  GatherSend gather;
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_GATHER_SEND_H_
