// Pins the ABI: the size of every struct that crosses the plugin boundary and
// the offset and size of each field, against plugins/testdata/abi_layout.golden
// (x86-64 / LP64). A change here is an ABI change: appending a field is a
// MINOR bump, anything else a MAJOR bump (see copyscope_transport.h and
// CHANGELOG.md). After a deliberate change, regenerate the golden file with
//   bazel build //plugins:abi_layout_test &&
//   bazel-bin/plugins/abi_layout_test --print >
//       plugins/testdata/abi_layout.golden
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "plugins/copyscope_transport.h"

namespace {

std::string Layout() {
  std::ostringstream out;
#define CS_SIZE(t) out << #t << " sizeof " << sizeof(t) << "\n";
#define CS_FIELD(t, f) \
  out << #t "." #f " " << offsetof(t, f) << " " << sizeof(((t*)0)->f) << "\n";
  CS_SIZE(cs_host)
  CS_FIELD(cs_host, struct_size)
  CS_FIELD(cs_host, abi_major)
  CS_FIELD(cs_host, abi_minor)
  CS_FIELD(cs_host, host_name)
  CS_SIZE(cs_message)
  CS_FIELD(cs_message, fields)
  CS_FIELD(cs_message, field_count)
  CS_FIELD(cs_message, reserved)
  CS_FIELD(cs_message, tag)
  CS_SIZE(cs_recv_args)
  CS_FIELD(cs_recv_args, struct_size)
  CS_FIELD(cs_recv_args, flags)
  CS_FIELD(cs_recv_args, buf)
  CS_FIELD(cs_recv_args, len)
  CS_FIELD(cs_recv_args, segments)
  CS_FIELD(cs_recv_args, segment_count)
  CS_FIELD(cs_recv_args, timeout_ms)
  CS_FIELD(cs_recv_args, received)
  CS_SIZE(cs_option)
  CS_FIELD(cs_option, key)
  CS_FIELD(cs_option, value)
  CS_SIZE(cs_option_desc)
  CS_FIELD(cs_option_desc, key)
  CS_FIELD(cs_option_desc, default_value)
  CS_FIELD(cs_option_desc, help)
  CS_SIZE(cs_endpoint_config)
  CS_FIELD(cs_endpoint_config, struct_size)
  CS_FIELD(cs_endpoint_config, role)
  CS_FIELD(cs_endpoint_config, fd)
  CS_FIELD(cs_endpoint_config, io_timeout_ms)
  CS_FIELD(cs_endpoint_config, max_fields)
  CS_FIELD(cs_endpoint_config, max_batch)
  CS_FIELD(cs_endpoint_config, max_message_size)
  CS_FIELD(cs_endpoint_config, options)
  CS_FIELD(cs_endpoint_config, option_count)
  CS_FIELD(cs_endpoint_config, flags)
  CS_FIELD(cs_endpoint_config, socket_type)
  CS_SIZE(cs_counter)
  CS_FIELD(cs_counter, name)
  CS_FIELD(cs_counter, value)
  CS_SIZE(cs_transport)
  CS_FIELD(cs_transport, struct_size)
  CS_FIELD(cs_transport, abi_major)
  CS_FIELD(cs_transport, abi_minor)
  CS_FIELD(cs_transport, name)
  CS_FIELD(cs_transport, version)
  CS_FIELD(cs_transport, description)
  CS_FIELD(cs_transport, capabilities)
  CS_FIELD(cs_transport, options)
  CS_FIELD(cs_transport, option_count)
  CS_FIELD(cs_transport, probe)
  CS_FIELD(cs_transport, open)
  CS_FIELD(cs_transport, close)
  CS_FIELD(cs_transport, send)
  CS_FIELD(cs_transport, reap)
  CS_FIELD(cs_transport, recv)
  CS_FIELD(cs_transport, counters)
  CS_FIELD(cs_transport, last_error)
#undef CS_SIZE
#undef CS_FIELD
  return out.str();
}

TEST(AbiLayoutTest, MatchesTheGoldenFile) {
  std::string path = std::string(std::getenv("TEST_SRCDIR")) +
                     "/copyscope/plugins/testdata/abi_layout.golden";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(Layout(), golden.str())
      << "The ABI layout changed. If deliberate, bump CS_ABI_MINOR (append) "
         "or CS_ABI_MAJOR (anything else), add a CHANGELOG entry, and "
         "regenerate the golden file (see the top of this test).";
}

TEST(AbiLayoutTest, VersionMacros) {
  EXPECT_EQ(CS_ABI_MAJOR, 1);
  EXPECT_EQ(CS_ABI_MINOR, 3);
  EXPECT_STREQ(CS_ENTRY_SYMBOL, "copyscope_transport_entry");
  EXPECT_EQ(CS_TRANSPORT_STRUCT_SIZE, 128u);
  // 1.1 appended flags, 1.3 socket_type; 1.0 and 1.1 configs are still
  // accepted.
  EXPECT_EQ(CS_ENDPOINT_CONFIG_STRUCT_SIZE, 52u);
  EXPECT_EQ(CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1, 48u);
  EXPECT_EQ(CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0, 44u);
  // 1.3 appended timeout_ms and received; 1.0 args are still accepted.
  EXPECT_EQ(CS_RECV_ARGS_STRUCT_SIZE, 48u);
  EXPECT_EQ(CS_RECV_ARGS_STRUCT_SIZE_1_0, 36u);
  EXPECT_EQ(CS_SOCKET_STREAM, 0u);  // a zeroed field is a stream socket
  EXPECT_EQ(CS_SOCKET_DATAGRAM, 1u);
  EXPECT_EQ(CS_CAP_DATAGRAM, 1ull << 7);
}

// The accessors read a field only when the struct's size covers it.
TEST(AbiLayoutTest, AccessorsOfOlderStructSizes) {
  cs_endpoint_config c = {};
  c.flags = CS_ENDPOINT_HOST_UNBLOCKS;
  c.socket_type = CS_SOCKET_DATAGRAM;
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_0;
  EXPECT_EQ(CS_ENDPOINT_CONFIG_FLAGS(&c), 0u);
  EXPECT_EQ(CS_ENDPOINT_CONFIG_SOCKET_TYPE(&c), CS_SOCKET_STREAM);
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE_1_1;  // a 1.1/1.2 host
  EXPECT_EQ(CS_ENDPOINT_CONFIG_FLAGS(&c), CS_ENDPOINT_HOST_UNBLOCKS);
  EXPECT_EQ(CS_ENDPOINT_CONFIG_SOCKET_TYPE(&c), CS_SOCKET_STREAM);
  c.struct_size = CS_ENDPOINT_CONFIG_STRUCT_SIZE;
  EXPECT_EQ(CS_ENDPOINT_CONFIG_FLAGS(&c), CS_ENDPOINT_HOST_UNBLOCKS);
  EXPECT_EQ(CS_ENDPOINT_CONFIG_SOCKET_TYPE(&c), CS_SOCKET_DATAGRAM);

  cs_recv_args a = {};
  a.timeout_ms = 250;
  a.received = 7;
  a.struct_size = CS_RECV_ARGS_STRUCT_SIZE_1_0;
  EXPECT_EQ(CS_RECV_ARGS_TIMEOUT_MS(&a), 0);
  CS_RECV_ARGS_SET_RECEIVED(&a, 99);
  EXPECT_EQ(a.received, 7u);  // beyond the host's struct: untouched
  a.struct_size = CS_RECV_ARGS_STRUCT_SIZE;
  EXPECT_EQ(CS_RECV_ARGS_TIMEOUT_MS(&a), 250);
  CS_RECV_ARGS_SET_RECEIVED(&a, 99);
  EXPECT_EQ(a.received, 99u);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--print") == 0) {
    std::cout << Layout();
    return 0;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
