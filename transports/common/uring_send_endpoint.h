// The endpoint of a transport that sends with UringSender (uring_send,
// uring_send_zc): send() submits, reap() returns the tags whose buffers the
// kernel gave back, close() cancels and waits (bounded) for sends in
// flight, recv() is plain recv(). Configure() reads the option every such
// transport has, queue_depth (kQueueDepthOption); the transport adds its
// other options (filling UringSenderOptions) and its counters.
//
//   const cs_option_desc kOptions[] = {kQueueDepthOption};
//   struct Endpoint : UringSendEndpoint<Endpoint> {
//     static constexpr OptionTable kOptionTable = OptionsOf(kOptions);
//     void ListCounters(CounterList* c) const { AddSenderCounters(c); }
//   };
#ifndef COPYSCOPE_TRANSPORTS_COMMON_URING_SEND_ENDPOINT_H_
#define COPYSCOPE_TRANSPORTS_COMMON_URING_SEND_ENDPOINT_H_

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/options.h"
#include "transports/common/uring_sender.h"

namespace copyscope::transports {

// The option a UringSendEndpoint reads; list it in the transport's options.
inline constexpr cs_option_desc kQueueDepthOption = {
    "queue_depth", "64",
    "io_uring entries: the most sends in flight, and the longest chain one "
    "submission carries (1..4096)"};

template <typename Self>
struct UringSendEndpoint : EndpointBase<Self> {
  using Options = UringSenderOptions;
  // Receives are plain recv(), bounded by SO_RCVTIMEO; sends never block in
  // the kernel (io_uring waits by polling), so SO_SNDTIMEO is left alone.
  static constexpr uint32_t kTimeoutRoles = CS_ROLE_RECEIVER;

  // Reads queue_depth. A transport with more options defines its own
  // Configure() and calls this one first.
  static int Configure(const cs_endpoint_config& config, Options* o, char* err,
                       size_t err_size) {
    uint64_t depth = o->queue_depth;
    if (!NumberOption(&config, "queue_depth", 1, 4096, &depth, err, err_size)) {
      return -EINVAL;
    }
    o->queue_depth = (uint32_t)depth;
    return 0;
  }

  int Setup(const cs_endpoint_config& config, const Options& o, char* err,
            size_t err_size) {
    if (!this->is_sender()) return 0;
    return sender.Open(config.fd, config.io_timeout_ms, o, err, err_size);
  }
  // Cancels sends in flight and waits (bounded) for their completions and
  // notifications.
  void OnClose() { sender.Close(); }

  int SendBatch(const cs_message* messages, uint32_t count) {
    return sender.Send(messages, count, &this->error);
  }
  int ReapReleased(uint64_t* tags, uint32_t max, int timeout_ms) {
    if (!this->is_sender()) return 0;
    return sender.Reap(tags, max, timeout_ms, &this->error);
  }

  // The counters of every io_uring sender.
  void AddSenderCounters(CounterList* c) const {
    c->Add("send_calls", sender.send_calls());
    c->Add("short_writes", sender.short_writes());
    c->Add("resubmits", sender.resubmits());
    c->Add("submit_calls", sender.submit_calls());
    c->Add("chain_waits", sender.chain_waits());
  }

  UringSender sender;  // sender roles; destroyed before the base's error
};

}  // namespace copyscope::transports

#endif  // COPYSCOPE_TRANSPORTS_COMMON_URING_SEND_ENDPOINT_H_
