// Building blocks of the plugin conformance suite: a loopback TCP link, an
// owning endpoint wrapper, and a checked message stream that sends
// messages through a plugin on one thread, receives them on another,
// checks every byte, and honours buffer release (reap) rules. The messages
// carry the pattern of the harness's --verify (harness/engine/payload.h),
// checked with the same code, in the receive buffer or in place.
//
//   copyscope::conformance::StreamSpec spec;
//   spec.message_size = 4096;
//   spec.fields = 8;
//   spec.messages = 16;
//   std::string failure = copyscope::conformance::RunStream(transport, spec);
//   EXPECT_EQ(failure, "");
#ifndef COPYSCOPE_TESTS_CONFORMANCE_STREAM_H_
#define COPYSCOPE_TESTS_CONFORMANCE_STREAM_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "plugins/copyscope_transport.h"

namespace copyscope::conformance {

// Bound on every wait inside a plugin call made by the suite.
constexpr int kIoTimeoutMs = 5000;

// A connected loopback TCP pair (family AF_INET6: over ::1; AF_UNIX: a
// Unix stream socketpair, no TCP at all).
class TcpLink {
 public:
  struct Options {
    int send_buffer = 0;        // SO_SNDBUF of the sending end, if > 0
    int recv_buffer = 0;        // SO_RCVBUF of the receiving end, if > 0
    bool non_blocking = false;  // O_NONBLOCK on both ends
    int family = AF_INET;       // AF_INET, AF_INET6 or AF_UNIX
  };

  TcpLink() = default;
  ~TcpLink();
  TcpLink(const TcpLink&) = delete;
  TcpLink& operator=(const TcpLink&) = delete;

  // Returns "" or what failed.
  std::string Connect(const Options& options);

  int sender_fd() const { return fds_[0]; }
  int receiver_fd() const { return fds_[1]; }

  // Closes one end; reset = true sends a RST (SO_LINGER 0) instead of a FIN.
  void CloseSender(bool reset);
  void CloseReceiver(bool reset);

 private:
  static void CloseFd(int* fd, bool reset);
  int fds_[2] = {-1, -1};
};

// An endpoint owned by the test; closes itself.
class Endpoint {
 public:
  explicit Endpoint(const cs_transport* t) : t_(t) {}
  ~Endpoint() { Close(); }
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // open() with io_timeout_ms = kIoTimeoutMs; returns its result. The
  // message it wrote is open_error().
  int Open(int fd, uint32_t role, size_t max_message_size,
           uint32_t max_fields = 64, uint32_t max_batch = 4,
           const std::vector<cs_option>& options = {});
  void Close();

  cs_endpoint* get() const { return ep_; }
  const std::string& open_error() const { return open_error_; }
  std::string LastError() const;
  std::vector<std::pair<std::string, uint64_t>> Counters() const;

  // recv() of exactly len bytes into buf; fills *segments from the out
  // fields (empty when the bytes are in buf).
  int Recv(void* buf, size_t len, std::vector<struct iovec>* segments);

 private:
  const cs_transport* t_;
  cs_endpoint* ep_ = nullptr;
  std::string open_error_;
};

// The pattern key (payload::Key) of message `index` of a stream: the seed
// stands for the connection.
uint64_t MessageKey(uint64_t seed, uint64_t index);

// Uneven field sizes (each >= 1) summing to len, min(fields, len) of them.
std::vector<size_t> FieldSizes(size_t len, uint32_t fields, uint64_t seed);

struct StreamSpec {
  size_t message_size = 4096;
  uint32_t fields = 8;
  uint32_t messages = 8;
  uint32_t max_batch = 4;  // send() carries 1, 2, .. max_batch messages
  uint64_t seed = 1;
  TcpLink::Options link;
  // The receiver starts reading only after the first send() returned, its
  // released buffers were overwritten, and the rest were reaped with
  // timeout 0 (so bytes still queued in the sender's socket are exposed to
  // an early release). The first batch must fit in the socket buffers.
  bool receiver_waits_for_first_send = false;
  // Called on the sending thread after each successful send().
  std::function<std::string(const Endpoint& sender)> after_send;
};

// Streams spec.messages messages through the plugin and checks them:
// every byte as sent (payload::Check, where the bytes landed); buffers
// overwritten as soon as they are free again (at once without
// CS_CAP_ASYNC_RELEASE, when reap() returns their tag with it), so a plugin
// that releases early corrupts the stream; every tag reaped exactly once. The
// receiver uses the plugin's recv() when it has CS_CAP_RECV, else plain recv().
// A plugin whose recv() discards (CS_CAP_RECV_DISCARDS) cannot show its
// bytes: it receives every other message, never the last, and must leave
// the buffer untouched; the messages between, read with plain recv() and
// checked byte for byte, prove that it took exactly one message each time.
// Returns "" or the first failure.
std::string RunStream(const cs_transport* t, const StreamSpec& spec);

// recv() exactly len bytes from fd without any plugin, bounded by
// kIoTimeoutMs per wait. Returns 0, -EPIPE on EOF, or a negative errno.
int PlainRecvAll(int fd, void* buf, size_t len);

}  // namespace copyscope::conformance

#endif  // COPYSCOPE_TESTS_CONFORMANCE_STREAM_H_
