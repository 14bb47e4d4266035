// The working part of every misbehaving plugin in tests/plugins: a plain
// two-copy endpoint (two_copy's paths: a message's fields gathered into one
// buffer and send()t, a single field sent as it is; recv() until the message
// is whole) that counts the messages it sent and received, so that each
// plugin's fault fires at a fixed message. transports/common writes the C
// ABI around it. Header-only.
//
//   struct Endpoint : BadEndpoint<Endpoint> {
//     int SendMessage(const cs_message& msg) {
//       if (sent == 200) Crash();              // the fault
//       return BadEndpoint::SendMessage(msg);  // the working path
//     }
//   };
//   const cs_transport kTransport = MakeTransport<Endpoint>(
//       "crash_send", "1.0", "...", CS_CAP_RECV, ProbeNothing);
//   COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
//
// Messages are numbered from 0 on each endpoint: "after 200 messages" means
// the call for message 200, the 201st, is the one that misbehaves.
#ifndef COPYSCOPE_TESTS_PLUGINS_BAD_ENDPOINT_H_
#define COPYSCOPE_TESTS_PLUGINS_BAD_ENDPOINT_H_

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/probe.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"

namespace copyscope::bad_plugins {

using transports::CounterList;
using transports::MakeTransport;
using transports::ProbeNothing;

// Blocks the calling thread for good: no timeout, no file descriptor that
// shutdown() or close() could wake, signals that interrupt pause() are
// ignored. Only killing the process ends it.
[[noreturn]] inline void BlockForever() {
  for (;;) pause();
}

// Dereferences NULL (SIGSEGV). The pointer is read from a volatile so that
// the compiler can neither prove it NULL nor turn the store into a trap.
[[noreturn]] inline void Crash() {
  static int* volatile null_pointer = nullptr;
  *null_pointer = 1;
  abort();  // not reached
}

template <typename Self>
struct BadEndpoint : transports::EndpointBase<Self> {
  ~BadEndpoint() { free(gather); }

  // A plugin with options of its own calls this from its Configure().
  template <typename Options>
  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return transports::RequireMaxMessageSize(config, err, err_size);
  }

  // A plugin with options of its own calls this from its Setup().
  template <typename Options>
  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    if (!this->is_sender()) return 0;
    gather = static_cast<char*>(malloc(config.max_message_size));
    if (gather == nullptr) {
      transports::FormatInto(err, err_size,
                             "open: cannot allocate a %zu-byte buffer",
                             config.max_message_size);
      return -ENOMEM;
    }
    this->max_message_len = config.max_message_size;
    return 0;
  }

  // Copies the message's fields into the endpoint's buffer; returns the
  // length.
  size_t Gather(const cs_message& msg) {
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      size_t n = msg.fields[f].iov_len;
      if (n > 0) memcpy(gather + len, msg.fields[f].iov_base, n);
      len += n;
    }
    return len;
  }

  // send()s len bytes of the gathered buffer; counts the message.
  int SendGathered(size_t len) {
    int rc = transports::SendAll(this->fd, gather, len, this->io_timeout_ms,
                                 &send_counters, &this->error);
    if (rc == 0) ++sent;
    return rc;
  }

  int SendMessage(const cs_message& msg) {
    if (msg.field_count != 1) return SendGathered(Gather(msg));
    int rc = transports::SendAll(this->fd, msg.fields[0].iov_base,
                                 msg.fields[0].iov_len, this->io_timeout_ms,
                                 &send_counters, &this->error);
    if (rc == 0) ++sent;
    return rc;
  }

  int Receive(cs_recv_args* args) {
    int rc = transports::RecvExact(this->fd, args->buf, args->len,
                                   this->io_timeout_ms, &this->error);
    if (rc == 0) ++received;
    return rc;
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("messages_sent", sent);
    c->Add("messages_received", received);
  }

  char* gather = nullptr;  // max_message_size bytes (sender roles)
  transports::SendCounters send_counters;
  uint64_t sent = 0;      // messages sent in full
  uint64_t received = 0;  // messages received in full
};

}  // namespace copyscope::bad_plugins

#endif  // COPYSCOPE_TESTS_PLUGINS_BAD_ENDPOINT_H_
