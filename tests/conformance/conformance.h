// The plugin conformance suite: gtest checks every transport plugin must
// pass, parameterised by the plugin's descriptor. Linking the `conformance`
// library adds the TransportConformance tests to a test binary; its main()
// registers the descriptors to check before InitGoogleTest():
//
//   int main(int argc, char** argv) {
//     copyscope::plugins::PluginSet plugins;  // keeps the .so files loaded
//     copyscope::plugins::Plugin p = plugins.LoadFile("/path/mine.so");
//     copyscope::conformance::AddTransport(p.transport);
//     ::testing::InitGoogleTest(&argc, argv);
//     return RUN_ALL_TESTS();
//   }
//
// The checks: byte-exact integrity over sizes 1 B to 1 MiB and 1 to 64
// fields, partial writes on small socket buffers, non-blocking sockets, a
// peer closing mid-stream, buffer reuse only after release, invalid
// arguments, the descriptor, options, and counters. Every wait is bounded by
// io_timeout_ms = kIoTimeoutMs.
#ifndef COPYSCOPE_TESTS_CONFORMANCE_CONFORMANCE_H_
#define COPYSCOPE_TESTS_CONFORMANCE_CONFORMANCE_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "plugins/copyscope_transport.h"

namespace copyscope::conformance {

// Adds a descriptor to the transports the suite runs against. Call before
// ::testing::InitGoogleTest(); the descriptor must stay valid until the
// tests are done.
void AddTransport(const cs_transport* transport);

// The transports added so far.
const std::vector<const cs_transport*>& Transports();

// The fixture of every conformance check; GetParam() is the transport.
class TransportConformance
    : public ::testing::TestWithParam<const cs_transport*> {
 protected:
  const cs_transport* transport() const { return GetParam(); }
  bool can_send() const { return transport()->send != nullptr; }
  bool can_recv() const {
    return (transport()->capabilities & CS_CAP_RECV) != 0 &&
           transport()->recv != nullptr;
  }
  // A datagram transport (ABI 1.3): the stream checks do not apply, the
  // datagram ones (datagram.cc) do.
  bool datagram() const {
    return (transport()->capabilities & CS_CAP_DATAGRAM) != 0;
  }
};

// Test name suffix: the transport's name.
std::string TransportName(
    const ::testing::TestParamInfo<const cs_transport*>& info);

// True if name is non-empty lower_snake_case ([a-z0-9_]+, starting with a
// letter, no double or trailing underscore).
bool IsLowerSnakeCase(const std::string& name);

}  // namespace copyscope::conformance

#endif  // COPYSCOPE_TESTS_CONFORMANCE_CONFORMANCE_H_
