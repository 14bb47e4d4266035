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
// Datagram cells (DatagramFlow below, a transport with CS_CAP_DATAGRAM):
// the sender writes each message's sequence number (little-endian, counted
// from 0 per connection and direction, warm-up included) into its first 8
// bytes, after the --verify pattern if any, and may pass `batch` messages
// per send(); the receiver reads it back from every datagram, counts what
// arrived, what is missing below the highest number seen, what came late
// and what came twice (SeqStats), and checks the pattern of the bytes after
// the number against that number's. --rate paces any stream sender
// (Pacer).
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

// A datagram cell's side of a flow: numbered messages, batches, pacing.
struct DatagramFlow {
  bool enabled = false;
  uint32_t batch = 1;   // messages per send() (a sender, sync plugins only)
  double rate_bps = 0;  // --rate (any stream sender); 0: unpaced
};

// The bytes of the sequence number at the start of a datagram cell's
// messages; messages are at least this long.
inline constexpr size_t kSeqBytes = 8;

// What the sequence numbers of one connection's datagrams tell, counted as
// they arrive: distinct ones (unique), those after a higher one (reordered),
// those seen before (duplicates; told apart within the last kWindow numbers,
// an older late one counts as reordered), and the numbers below the highest
// seen that never came (lost() = highest - unique: a late arrival takes its
// loss back).
class SeqStats {
 public:
  static constexpr uint64_t kWindow = uint64_t{1} << 16;
  SeqStats() : seen_(kWindow / 64, 0) {}
  void Note(uint64_t seq);
  uint64_t unique() const { return unique_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t highest() const { return next_; }  // the highest seen + 1
  uint64_t lost() const { return next_ - unique_; }

 private:
  bool Test(uint64_t s) const {
    return (seen_[(s % kWindow) / 64] >> (s % 64)) & 1;
  }
  void Set(uint64_t s) { seen_[(s % kWindow) / 64] |= uint64_t{1} << (s % 64); }
  void Clear(uint64_t s) {
    seen_[(s % kWindow) / 64] &= ~(uint64_t{1} << (s % 64));
  }
  std::vector<uint64_t> seen_;
  uint64_t next_ = 0;
  uint64_t unique_ = 0, reordered_ = 0, duplicates_ = 0;
};

// Paces a sender to rate_bps: before each send of `bytes`, sleeps until the
// time the bytes before it are due (CLOCK_MONOTONIC, absolute, so sleeping
// late is made up by the next sends, by at most 10 ms of backlog).
class Pacer {
 public:
  explicit Pacer(double rate_bps)
      : ns_per_byte_(rate_bps > 0 ? 8e9 / rate_bps : 0) {}
  void Before(uint64_t bytes);

 private:
  const double ns_per_byte_;
  int64_t start_ns_ = 0;
  double due_bytes_ = 0;  // bytes sent since start_ns_
};

class Sender {
 public:
  // name prefixes errors that are not the plugin's own, e.g. "mine server".
  Sender(Endpoint& ep, const MessagePool& pool, bool async, std::string name,
         Verify verify = {}, DatagramFlow datagram = {});
  absl::Status SendOne();
  // Datagram cells: `n` (1..batch) numbered messages in one send().
  absl::Status SendBatch(uint32_t n);
  // Datagram rr server: one message numbered `seq` (the request's).
  absl::Status SendNumbered(uint64_t seq);
  absl::Status Drain();  // async: reaps until every message is free
  uint32_t batch() const { return datagram_.batch; }
  uint64_t sent() const { return sent_; }
  // Sends on another endpoint from now on (crr: one per transaction), the
  // sequence numbers going on. Drain() the old one first.
  void Use(Endpoint& ep) { ep_ = &ep; }

 private:
  absl::Status Reap(const char* why);
  void Prepare(const cs_message& m, uint64_t seq);
  const DatagramFlow datagram_;
  Pacer pacer_;
  std::vector<cs_message> batch_;
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
  Receiver(Endpoint& ep, size_t size, std::string name, Verify verify = {},
           bool datagram = false);
  bool ok() const { return buf_ != nullptr; }
  // 0: a whole message arrived (and, verifying, was intact); -EPIPE: the
  // peer closed; another negative errno, or kRefused: failed, and
  // Error(rc) says why (payload::CorruptText of it for a corrupt message).
  // Datagram cells: timeout_ms > 0 bounds the wait (-ETIMEDOUT); a stray
  // hello of the set-up (socket.h) is skipped.
  int RecvOne(int timeout_ms = 0);
  // Datagram cells: the last datagram's number, and the numbers so far.
  uint64_t seq() const { return seq_; }
  const SeqStats& stats() const { return stats_; }
  absl::Status Error(int rc) const {
    return rc == kRefused ? refused_ : ep_->Error(rc, "recv");
  }
  // Receives on another endpoint from now on (crr: one per transaction),
  // the message numbers going on.
  void Use(Endpoint& ep) { ep_ = &ep; }

 private:
  bool SegmentsHoldTheMessage(size_t len);
  bool Intact();
  bool IntactDatagram();
  int Refuse(absl::Status why);
  const bool datagram_;
  uint64_t seq_ = 0;
  SeqStats stats_;
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
