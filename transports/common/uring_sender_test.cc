// Tests of the io_uring send engine's recovery from short sends: a send
// cancelled part-way (the kernel completes it with the bytes it sent)
// resumes where it stopped, and the cancelled sends behind it follow in
// order, so the receiver sees every byte once.
#include "transports/common/uring_sender.h"

#include <sys/socket.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "transports/common/test_util.h"

namespace copyscope::transports {
namespace {

using unit::Pattern;
using unit::Split;
using unit::TcpPair;

void CancelledSendsResume(bool zero_copy, size_t fields) {
  TcpPair pair;
  ASSERT_TRUE(pair.Connect(4096, 16384));
  UringSender sender;
  UringSenderOptions o;
  o.zero_copy = zero_copy;
  char why[256];
  int rc = sender.Open(pair.a, 5000, o, why, sizeof(why));
  if (rc == -EOPNOTSUPP || rc == -EPERM || rc == -ENOSYS) GTEST_SKIP() << why;
  ASSERT_EQ(rc, 0) << why;
  // Three messages in one chain: the first cannot fit the socket, so it is
  // part-sent and waiting when it is cancelled; the others wait behind it.
  std::vector<std::vector<char>> data = {Pattern(1 << 20, 1),
                                         Pattern(100000, 2), Pattern(7, 3)};
  std::vector<std::vector<iovec>> iov;
  std::vector<cs_message> msgs;
  for (size_t i = 0; i < data.size(); ++i)
    iov.push_back(Split(data[i], fields));
  for (size_t i = 0; i < data.size(); ++i) {
    msgs.push_back(
        {iov[i].data(), static_cast<uint32_t>(iov[i].size()), 0, 100 + i});
  }
  ErrorText err;
  ASSERT_EQ(sender.Send(msgs.data(), 3, &err), 0) << err.c_str();
  sender.CancelInFlight();
  uint64_t tags[4];
  // Handles the cancellations (and resubmits); nothing is free yet.
  EXPECT_EQ(sender.Reap(tags, 4, 100, &err), 0) << err.c_str();
  EXPECT_EQ(sender.short_writes(), 1u);
  EXPECT_EQ(sender.resubmits(), 1u);

  std::vector<char> got;
  std::thread reader([&] {
    size_t want = (1 << 20) + 100000 + 7;
    std::vector<char> buf(65536);
    while (got.size() < want) {
      ssize_t n = recv(pair.b, buf.data(), buf.size(), 0);
      if (n <= 0) return;
      got.insert(got.end(), buf.begin(), buf.begin() + n);
    }
  });
  std::set<uint64_t> reaped;
  while (reaped.size() < 3) {
    int n = sender.Reap(tags, 4, -1, &err);
    if (n <= 0) {
      ADD_FAILURE() << "reap: " << n << " " << err.c_str();
      shutdown(pair.a, SHUT_WR);
      break;
    }
    reaped.insert(tags, tags + n);
  }
  reader.join();
  std::vector<char> want;
  for (const auto& d : data) want.insert(want.end(), d.begin(), d.end());
  EXPECT_TRUE(got == want) << "received " << got.size() << " bytes";
  EXPECT_EQ(reaped, (std::set<uint64_t>{100, 101, 102}));
}

TEST(UringSender, CancelledCopyingSendResumesInOrder) {
  CancelledSendsResume(false, 1);
}
TEST(UringSender, CancelledSendmsgResumesInOrder) {
  CancelledSendsResume(false, 8);
}
TEST(UringSender, CancelledZeroCopySendResumesInOrder) {
  CancelledSendsResume(true, 8);
}

}  // namespace
}  // namespace copyscope::transports
