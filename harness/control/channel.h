// One end of a control channel (control.proto): length-delimited protobuf
// messages over a connected stream socket, as protobuf's delimited message
// I/O writes them (a varint length, then the message). Reads never block
// the caller longer than it asks: Fill() takes what the socket has, Next()
// parses a message once all of it has arrived; Receive() waits with a
// deadline. A length above kMaxMessageBytes or a message that does not
// parse is an error, never an allocation or a read out of bounds.
//
//   Channel ch(std::move(fd));
//   ch.Send(to_agent);                       // whole message, bounded
//   // after poll(ch.fd()) says readable:
//   ch.Fill();
//   FromAgent m;
//   while (ch.Next(&m).value_or(false)) Handle(m);
//   if (ch.eof()) ...                        // the peer closed or died
#ifndef COPYSCOPE_HARNESS_CONTROL_CHANNEL_H_
#define COPYSCOPE_HARNESS_CONTROL_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "harness/engine/socket.h"

namespace copyscope::control {

// The protocol a controller and an agent must share (Hello.protocol). 2:
// Runner.verify, which an agent of protocol 1 would silently ignore. 4:
// Cell.family, Cell.background_*, Runner.batch/rate_bps/rr_timeout_s and
// Prepare.server_address6, which an agent of protocol 3 would ignore and
// so run another cell than asked.
inline constexpr uint32_t kProtocolVersion = 4;
inline constexpr size_t kMaxMessageBytes = size_t{64} << 20;

class Channel {
 public:
  // A connected stream socket, both ways.
  explicit Channel(engine::UniqueFd fd);
  // Two one-way fds, e.g. stdin and stdout (`copyscope agent --stdio`).
  Channel(engine::UniqueFd in, engine::UniqueFd out);

  // Readable when Fill() may find something.
  int fd() const { return fd_.get(); }

  // Writes the whole message within `timeout`.
  absl::Status Send(const google::protobuf::MessageLite& message,
                    absl::Duration timeout = absl::Seconds(10));

  // Reads what the socket has, without blocking.
  void Fill();
  // The next complete message into *message: true if there was one, false
  // if it has not all arrived; an error if the stream is malformed.
  absl::StatusOr<bool> Next(google::protobuf::MessageLite* message);
  // Waits up to `timeout` for the next message; DeadlineExceeded, or
  // Unavailable once the peer closed.
  absl::Status Receive(google::protobuf::MessageLite* message,
                       absl::Duration timeout);

  // The peer closed its end (or the socket failed): nothing more will
  // come, though Next() may still return messages that arrived before.
  bool eof() const { return eof_; }

 private:
  engine::UniqueFd fd_;
  engine::UniqueFd out_;  // the write end, when not fd_
  bool socket_ = true;    // fd_ is a socket written with send()
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_CHANNEL_H_
