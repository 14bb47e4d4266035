#include "harness/control/channel.h"

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "harness/control/control.pb.h"

namespace copyscope::control {
namespace {

// A channel on one end of a socketpair; the test writes raw bytes (or
// another channel's messages) into the other end.
struct Pair {
  Pair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    reader = std::make_unique<Channel>(engine::UniqueFd(sv[0]));
    peer = sv[1];
  }
  ~Pair() {
    if (peer >= 0) close(peer);
  }
  void Write(const std::string& bytes) {
    ASSERT_EQ(write(peer, bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  std::unique_ptr<Channel> reader;
  int peer = -1;
};

ToAgent ProbeOf(const std::string& path) {
  ToAgent m;
  m.mutable_probe()->set_path(path);
  return m;
}

// The delimited form: a varint length, then the message.
std::string Delimited(const ToAgent& m) {
  std::string body = m.SerializeAsString();
  std::string out;
  for (size_t n = body.size();; n >>= 7) {
    if (n < 0x80) {
      out.push_back(static_cast<char>(n));
      break;
    }
    out.push_back(static_cast<char>(0x80 | (n & 0x7f)));
  }
  return out + body;
}

TEST(ChannelTest, MessagesArriveWholeAndInOrder) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Channel a{engine::UniqueFd(sv[0])};
  Channel b{engine::UniqueFd(sv[1])};
  ASSERT_TRUE(a.Send(ProbeOf("/one.so")).ok());
  ASSERT_TRUE(a.Send(ProbeOf("/two.so")).ok());
  ToAgent m;
  ASSERT_TRUE(b.Receive(&m, absl::Seconds(5)).ok());
  EXPECT_EQ(m.probe().path(), "/one.so");
  // The second came with the first: it is served from the buffer.
  ASSERT_TRUE(b.Receive(&m, absl::Seconds(5)).ok());
  EXPECT_EQ(m.probe().path(), "/two.so");
}

TEST(ChannelTest, AMessageSplitAcrossReadsWaitsForItsLastByte) {
  Pair p;
  const std::string bytes = Delimited(ProbeOf(std::string(300, 'x')));
  ASSERT_EQ(static_cast<unsigned char>(bytes[0]) & 0x80, 0x80);  // 2-byte len
  ToAgent got;
  p.Write(bytes.substr(0, 1));  // half the length
  p.reader->Fill();
  EXPECT_FALSE(*p.reader->Next(&got));
  p.Write(bytes.substr(1, bytes.size() - 2));  // all but the last byte
  p.reader->Fill();
  EXPECT_FALSE(*p.reader->Next(&got));
  p.Write(bytes.substr(bytes.size() - 1));
  p.reader->Fill();
  EXPECT_TRUE(*p.reader->Next(&got));
  EXPECT_EQ(got.probe().path(), std::string(300, 'x'));
}

TEST(ChannelTest, AnAbsurdLengthIsAnErrorNotAnAllocation) {
  Pair p;
  p.Write(std::string("\xff\xff\xff\xff\x0f", 5));  // 2^32 - 1 bytes
  p.reader->Fill();
  ToAgent got;
  absl::StatusOr<bool> r = p.reader->Next(&got);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(ChannelTest, BytesThatDoNotParseAreAnError) {
  Pair p;
  p.Write(std::string("\x04\xff\xff\xff\xff", 5));  // 4 bytes of nonsense
  p.reader->Fill();
  ToAgent got;
  absl::StatusOr<bool> r = p.reader->Next(&got);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

TEST(ChannelTest, ThePeerClosingEndsTheChannelAfterWhatItSent) {
  Pair p;
  p.Write(Delimited(ProbeOf("/last.so")));
  close(p.peer);
  p.peer = -1;
  ToAgent got;
  ASSERT_TRUE(p.reader->Receive(&got, absl::Seconds(5)).ok());
  EXPECT_EQ(got.probe().path(), "/last.so");
  EXPECT_TRUE(p.reader->eof());
  absl::Status s = p.reader->Receive(&got, absl::Seconds(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST(ChannelTest, ReceiveGivesUpAtItsDeadline) {
  Pair p;
  ToAgent got;
  absl::Status s = p.reader->Receive(&got, absl::Milliseconds(20));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
}

TEST(ChannelTest, SendToAPeerThatNeverReadsIsBounded) {
  Pair p;
  // Fill the socket buffer: the peer reads nothing.
  ToAgent big = ProbeOf(std::string(1 << 20, 'y'));
  absl::Status s;
  for (int i = 0; i < 64 && s.ok(); ++i) {
    s = p.reader->Send(big, absl::Milliseconds(50));
  }
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
}

}  // namespace
}  // namespace copyscope::control
