// Unit tests of template_example: the tests every socket transport passes
// (transports/common/socket_transport_tests.h, included below), and the
// transport's own. Copy it with the transport and test what is particular
// to yours.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "transports/common/socket_transport_tests.h"

namespace copyscope::transports::unit {
namespace {

TEST(TemplateExample, DescribesItself) {
  ExpectDescriptor("template_example", CS_CAP_RECV, {});
}

// One send() per field: a message of two fields takes two calls (a Unix
// socket pair takes a small message whole).
TEST(TemplateExample, SendsEachFieldWithItsOwnSend) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  const cs_transport* t = Transport();
  OwnedEndpoint sender(t), receiver(t);
  ASSERT_EQ(sender.Open(Config(sv[0], CS_ROLE_SENDER, 64)), 0) << sender.err;
  ASSERT_EQ(receiver.Open(Config(sv[1], CS_ROLE_RECEIVER, 64)), 0)
      << receiver.err;
  char hello[] = "hello, ", world[] = "world";
  iovec fields[2] = {{hello, 7}, {world, 5}};
  cs_message msg = {fields, 2, 0, 1};
  ASSERT_EQ(t->send(sender.ep, &msg, 1), 0) << sender.LastError();
  char got[12];
  ASSERT_EQ(receiver.Recv(got, sizeof(got)), 0) << receiver.LastError();
  EXPECT_EQ(std::string(got, sizeof(got)), "hello, world");
  EXPECT_EQ(sender.Counter("send_calls"), 2u);
  EXPECT_EQ(sender.Counter("short_writes"), 0u);

  close(sv[0]);  // the peer goes away: the next receive says so
  EXPECT_EQ(receiver.Recv(got, sizeof(got)), -EPIPE);
  EXPECT_NE(receiver.LastError().find("peer closed"), std::string::npos)
      << receiver.LastError();
  close(sv[1]);
}

}  // namespace
}  // namespace copyscope::transports::unit
