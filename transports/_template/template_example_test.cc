// Unit test of template_example: call the entry point directly and move a
// message over a socket pair. Copy and extend it with the transport.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"

extern "C" const cs_transport* copyscope_transport_entry(const cs_host* host);

namespace {

const cs_transport* Transport() {
  static const cs_host host = {CS_HOST_STRUCT_SIZE, CS_ABI_MAJOR, CS_ABI_MINOR,
                               "template test"};
  return copyscope_transport_entry(&host);
}

cs_endpoint_config Config(int fd, uint32_t role) {
  cs_endpoint_config c = {};
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  c.role = role;
  c.fd = fd;
  c.io_timeout_ms = 5000;
  c.max_fields = 8;
  c.max_batch = 1;
  c.max_message_size = 64;
  return c;
}

TEST(TemplateExample, MovesAMessageOfTwoFields) {
  const cs_transport* t = Transport();
  ASSERT_NE(t, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cs_endpoint_config send_config = Config(sv[0], CS_ROLE_SENDER);
  cs_endpoint_config recv_config = Config(sv[1], CS_ROLE_RECEIVER);
  cs_endpoint *sender = nullptr, *receiver = nullptr;
  char err[256];
  ASSERT_EQ(t->open(&send_config, &sender, err, sizeof(err)), 0) << err;
  ASSERT_EQ(t->open(&recv_config, &receiver, err, sizeof(err)), 0) << err;

  char hello[] = "hello, ", world[] = "world";
  struct iovec fields[2] = {{hello, 7}, {world, 5}};
  cs_message msg = {fields, 2, 0, 1};
  ASSERT_EQ(t->send(sender, &msg, 1), 0) << t->last_error(sender);
  char got[12];
  cs_recv_args args = {};
  args.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  args.buf = got;
  args.len = sizeof(got);
  ASSERT_EQ(t->recv(receiver, &args), 0) << t->last_error(receiver);
  EXPECT_EQ(std::string(got, sizeof(got)), "hello, world");

  close(sv[0]);  // the peer goes away: the next receive says so
  EXPECT_EQ(t->recv(receiver, &args), -EPIPE);
  EXPECT_STRNE(t->last_error(receiver), "");
  t->close(sender);
  t->close(receiver);
  close(sv[1]);
}

TEST(TemplateExample, RejectsUnknownOptions) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  cs_option option = {"batch", "4"};
  cs_endpoint_config config = Config(sv[0], CS_ROLE_SENDER);
  config.options = &option;
  config.option_count = 1;
  cs_endpoint* ep = nullptr;
  char err[256];
  EXPECT_EQ(Transport()->open(&config, &ep, err, sizeof(err)), -EINVAL);
  EXPECT_STREQ(err, "unknown option 'batch' (known: none)");
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
