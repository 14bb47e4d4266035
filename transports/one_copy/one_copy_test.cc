// Unit tests of one_copy, calling copyscope_transport_entry directly.
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(OneCopy, DescribesItself) {
  ExpectDescriptor("one_copy", CS_CAP_SCATTER_GATHER | CS_CAP_RECV, {});
}

// More fields than IOV_MAX go out in chunks, partial writes advance a copy
// of the iovec, and the host's array is left as it was.
TEST(OneCopy, ChunksAtIovMaxAndNeverModifiesTheHostIovec) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(4096));
  ASSERT_TRUE(SetNonBlocking(pair.a));
  const cs_transport* t = Transport();
  const size_t fields = 2 * IOV_MAX + 17;
  std::vector<char> data = Pattern(fields * 37, 5);
  std::vector<iovec> iov;
  for (size_t i = 0; i < fields; ++i) iov.push_back({&data[i * 37], 37});
  iov[3].iov_len = 0;  // an empty field is allowed; field 4 takes its bytes
  iov[4] = {&data[3 * 37], 74};
  const std::vector<iovec> before = iov;
  cs_endpoint_config config = Config(pair.a, CS_ROLE_SENDER, data.size());
  config.max_fields = static_cast<uint32_t>(fields);
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(sender.Open(config), 0) << sender.err;
  ASSERT_EQ(receiver.Open(Config(pair.b, CS_ROLE_RECEIVER, data.size())), 0);
  std::vector<char> got(data.size());
  int recv_rc = 1;
  std::thread reader([&] { recv_rc = receiver.Recv(got.data(), got.size()); });
  cs_message msg = {iov.data(), static_cast<uint32_t>(fields), 0, 0};
  int send_rc = t->send(sender.ep, &msg, 1);
  if (send_rc != 0) shutdown(pair.a, SHUT_WR);
  reader.join();
  ASSERT_EQ(send_rc, 0) << sender.LastError();
  ASSERT_EQ(recv_rc, 0) << receiver.LastError();
  EXPECT_TRUE(got == data);
  for (size_t i = 0; i < fields; ++i) {
    EXPECT_EQ(iov[i].iov_base, before[i].iov_base) << i;
    EXPECT_EQ(iov[i].iov_len, before[i].iov_len) << i;
  }
  EXPECT_GE(sender.Counter("send_calls"), 3u);  // at least one per chunk
}

TEST(OneCopy, WorksOnAUnixSocketPair) { RoundTripOnUnixPair(300000, 9, 12); }

}  // namespace
}  // namespace copyscope::transports::unit
