// hang_recv: two_copy whose recv() never returns from message 200 on (the
// 201st, counted from 0 on the endpoint): it blocks in pause() forever,
// deaf to shutdown() of its socket, to io_timeout_ms and to EINTR.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

constexpr uint64_t kHangAt = 200;

struct Endpoint : BadEndpoint<Endpoint> {
  int Receive(cs_recv_args* args) {
    if (received == kHangAt) BlockForever();
    return BadEndpoint::Receive(args);
  }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "hang_recv", "1.0",
    "test plugin: two_copy whose recv() blocks forever at message 200, "
    "deaf to shutdown and timeouts",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
