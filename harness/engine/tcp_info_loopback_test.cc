// TCP_INFO on a real loopback connection: what was sent shows up as acked
// at the sender and as received at the receiver.
#include <linux/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/engine/socket.h"
#include "harness/engine/tcp_info.h"

namespace copyscope::engine {
namespace {

absl::Status WriteAll(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return absl::InternalError(absl::StrCat("write: ", n));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ReadAll(int fd, size_t bytes) {
  std::string buffer(64 * 1024, '\0');
  for (size_t done = 0; done < bytes;) {
    const ssize_t n =
        read(fd, buffer.data(), std::min(buffer.size(), bytes - done));
    if (n <= 0) return absl::InternalError(absl::StrCat("read: ", n));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

TEST(TcpInfoLoopbackTest, SentBytesAreAckedAtTheSenderAndReceivedAtThePeer) {
  CancelSignal cancel;
  absl::StatusOr<Listener> l = ListenTcp("127.0.0.1");
  ASSERT_TRUE(l.ok()) << l.status();
  absl::StatusOr<UniqueFd> sender =
      ConnectTcp("127.0.0.1", l->port, cancel, absl::Seconds(10));
  ASSERT_TRUE(sender.ok()) << sender.status();
  absl::StatusOr<UniqueFd> receiver =
      AcceptTcp(l->fd.get(), cancel, absl::Seconds(10));
  ASSERT_TRUE(receiver.ok()) << receiver.status();

  absl::StatusOr<TcpInfo> sent0 = ReadTcpInfo(sender->get());
  absl::StatusOr<TcpInfo> received0 = ReadTcpInfo(receiver->get());
  ASSERT_TRUE(sent0.ok()) << sent0.status();
  ASSERT_TRUE(received0.ok()) << received0.status();

  // The receiver reads everything, then answers one byte; that answer
  // carries the ACK of all the data, so once the sender has read it, its
  // bytes_acked covers every byte. No sleep, no polling.
  constexpr size_t kBytes = 1 << 20;
  absl::Status receiving;
  std::thread peer([&] {
    receiving = ReadAll(receiver->get(), kBytes);
    if (receiving.ok()) receiving = WriteAll(receiver->get(), "k");
  });
  absl::Status sending = WriteAll(sender->get(), std::string(kBytes, 'x'));
  if (sending.ok()) sending = ReadAll(sender->get(), 1);
  peer.join();
  ASSERT_TRUE(sending.ok()) << sending;
  ASSERT_TRUE(receiving.ok()) << receiving;

  absl::StatusOr<TcpInfo> sent1 = ReadTcpInfo(sender->get());
  absl::StatusOr<TcpInfo> received1 = ReadTcpInfo(receiver->get());
  ASSERT_TRUE(sent1.ok()) << sent1.status();
  ASSERT_TRUE(received1.ok()) << received1.status();
  ASSERT_TRUE(sent1->is_tcp);
  TcpInfoDelta sent = Delta(*sent0, *sent1);
  TcpInfoDelta received = Delta(*received0, *received1);

  // bytes_acked and bytes_received exist since Linux 4.1.
  EXPECT_EQ(sent.counters.bytes_acked, kBytes);
  EXPECT_EQ(received.counters.bytes_received, kBytes);
  EXPECT_EQ(sent.counters.bytes_received, 1u);
  EXPECT_GT(sent.counters.segs_out.value_or(0), 0u);
  EXPECT_GT(received.counters.segs_in.value_or(0), 0u);
  ASSERT_TRUE(sent.gauges.rtt_us.has_value());
  ASSERT_TRUE(sent.gauges.snd_cwnd.has_value());
  EXPECT_GT(*sent.gauges.snd_cwnd, 0u);
  if (sent.counters.bytes_sent.has_value()) {  // 4.19
    EXPECT_GE(*sent.counters.bytes_sent, kBytes);
  }
  if (sent.counters.delivered.has_value()) {  // 4.18
    EXPECT_GT(*sent.counters.delivered, 0u);
  }
  if (sent1->length >= offsetof(struct tcp_info, tcpi_snd_wnd) + 4) {  // 5.4
    EXPECT_TRUE(sent.gauges.snd_wnd.has_value());
  }
}

}  // namespace
}  // namespace copyscope::engine
