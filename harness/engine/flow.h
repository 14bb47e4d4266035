// The two halves of moving messages over one endpoint, shared by the
// stream and request-response loops of the runner.
//
//   MessagePool pool(size, fields, async ? InFlight(size) : 1);
//   Sender tx(ep, pool, async, "two_copy server");
//   absl::Status s = tx.SendOne();   // picks a free message, sends it
//   s = tx.Drain();                  // waits until every buffer is back
//   Receiver rx(ep, size, "two_copy client");
//   int rc = rx.RecvOne();           // 0, -EPIPE at end of stream, < 0
//   if (rc < 0 && rc != -EPIPE) return rx.Error(rc);
//
// A transport with CS_CAP_ASYNC_RELEASE keeps buffers until reap() hands
// their tags back; Sender keeps the pool's messages on a free list and only
// waits in reap() when none is free.
//
// With --verify (Verify below, payload.h) the sender writes each message's
// pattern into its buffers just before sending it (after reap() gave it
// back), and the receiver checks every byte it gets, in its buffer or in
// place; the first wrong byte is "corrupt: message N offset M" (N counts
// the messages of this direction of this connection from 0).
//
// Neither trusts the plugin. reap() returning more tags than asked, or a
// tag that is not in flight (never sent, or already given back), and
// recv() returning more segments than the message has bytes, a NULL
// segment, or segments whose lengths do not add up to the message, are
// errors naming transport and side ("two_copy server: reap() returned tag
// 12345 that is not in flight"). The checks cost a compare per tag and,
// for a message returned in place, one pass over its segments.
#ifndef COPYSCOPE_HARNESS_ENGINE_FLOW_H_
#define COPYSCOPE_HARNESS_ENGINE_FLOW_H_

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/message_pool.h"

namespace copyscope::engine {

// --verify on one direction of one connection.
struct Verify {
  bool enabled = false;
  uint64_t connection = 0;  // the connection's index in its cell
  uint32_t stream = 0;      // payload::kClientToServer or kServerToClient
};

class Sender {
 public:
  // name prefixes errors that are not the plugin's own, e.g. "mine server".
  Sender(Endpoint& ep, const MessagePool& pool, bool async, std::string name,
         Verify verify = {});
  absl::Status SendOne();
  absl::Status Drain();  // async: reaps until every message is free
  // Sends on another endpoint from now on (crr: one per transaction), the
  // sequence numbers going on. Drain() the old one first.
  void Use(Endpoint& ep) { ep_ = &ep; }

 private:
  absl::Status Reap(const char* why);
  Endpoint* ep_;
  const MessagePool& pool_;
  const bool async_;
  const std::string name_;
  const Verify verify_;
  uint64_t sent_ = 0;  // messages sent: the next one's sequence number
  std::vector<uint32_t> free_;
  std::vector<uint8_t> in_flight_;  // async: 1 while the plugin holds it
  std::vector<uint64_t> tags_;
};

class Receiver {
 public:
  // What RecvOne returns when the plugin's answer was refused (see above).
  static constexpr int kRefused = INT_MIN;

  // name prefixes errors that are not the plugin's own, e.g. "mine client".
  Receiver(Endpoint& ep, size_t size, std::string name, Verify verify = {});
  bool ok() const { return buf_ != nullptr; }
  // 0: a whole message arrived (and, verifying, was intact); -EPIPE: the
  // peer closed; another negative errno, or kRefused: failed, and
  // Error(rc) says why (payload::CorruptText of it for a corrupt message).
  int RecvOne();
  absl::Status Error(int rc) const {
    return rc == kRefused ? refused_ : ep_->Error(rc, "recv");
  }
  // Receives on another endpoint from now on (crr: one per transaction),
  // the message numbers going on.
  void Use(Endpoint& ep) { ep_ = &ep; }

 private:
  bool SegmentsHoldTheMessage();
  bool Intact();
  int Refuse(absl::Status why);
  Endpoint* ep_;
  std::unique_ptr<char, decltype(&std::free)> buf_;
  cs_recv_args args_;
  const std::string name_;
  const Verify verify_;
  uint64_t received_ = 0;  // messages received: the next one's number
  absl::Status refused_;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_FLOW_H_
