#include "harness/control/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace copyscope::control {

namespace {

void NonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

Channel::Channel(engine::UniqueFd fd) : fd_(std::move(fd)) {
  NonBlocking(fd_.get());
}

Channel::Channel(engine::UniqueFd in, engine::UniqueFd out)
    : fd_(std::move(in)), out_(std::move(out)), socket_(false) {
  NonBlocking(fd_.get());
  NonBlocking(out_.get());
}

absl::Status Channel::Send(const google::protobuf::MessageLite& message,
                           absl::Duration timeout) {
  const size_t size = message.ByteSizeLong();
  if (size > kMaxMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("control message of ", size, " bytes is too long"));
  }
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.WriteVarint32(static_cast<uint32_t>(size));
    message.SerializeWithCachedSizes(&coded);
  }
  const absl::Time deadline = absl::Now() + timeout;
  size_t done = 0;
  while (done < out.size()) {
    const char* at = out.data() + done;
    const size_t left_bytes = out.size() - done;
    ssize_t n = socket_ ? send(fd_.get(), at, left_bytes, MSG_NOSIGNAL)
                        : write(out_.get(), at, left_bytes);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(
          absl::StrCat("control channel: ", std::strerror(errno)));
    }
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      return absl::DeadlineExceededError(
          "control channel: the peer does not read");
    }
    pollfd p = {socket_ ? fd_.get() : out_.get(), POLLOUT, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
  }
  return absl::OkStatus();
}

void Channel::Fill() {
  char chunk[65536];
  while (!eof_) {
    ssize_t n = read(fd_.get(), chunk, sizeof(chunk));
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    eof_ = true;  // 0: closed; < 0: failed
  }
}

absl::StatusOr<bool> Channel::Next(google::protobuf::MessageLite* message) {
  if (buffer_.empty()) return false;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(buffer_.data()),
      static_cast<int>(std::min(buffer_.size(), kMaxMessageBytes + 16)));
  uint32_t size = 0;
  if (!in.ReadVarint32(&size)) {
    // An incomplete varint is at most 4 bytes with the high bit set.
    if (buffer_.size() < 5) return false;
    return absl::DataLossError("control channel: bad message length");
  }
  if (size > kMaxMessageBytes) {
    return absl::DataLossError(absl::StrCat("control channel: a message of ",
                                            size, " bytes is too long"));
  }
  const size_t header = static_cast<size_t>(in.CurrentPosition());
  if (buffer_.size() < header + size) return false;
  if (!message->ParseFromArray(buffer_.data() + header,
                               static_cast<int>(size))) {
    return absl::DataLossError("control channel: a message does not parse");
  }
  buffer_.erase(0, header + size);
  return true;
}

absl::Status Channel::Receive(google::protobuf::MessageLite* message,
                              absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<bool> got = Next(message);
    if (!got.ok()) return got.status();
    if (*got) return absl::OkStatus();
    if (eof()) return absl::UnavailableError("control channel: closed");
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      return absl::DeadlineExceededError("control channel: no answer");
    }
    pollfd p = {fd_.get(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    Fill();
  }
}

}  // namespace copyscope::control
