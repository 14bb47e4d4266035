// crash_send: two_copy that dereferences NULL in send() at message 200 (the
// 201st, counted from 0 on the endpoint): the process dies of SIGSEGV.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

constexpr uint64_t kCrashAt = 200;

struct Endpoint : BadEndpoint<Endpoint> {
  int SendMessage(const cs_message& msg) {
    if (sent == kCrashAt) Crash();
    return BadEndpoint::SendMessage(msg);
  }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "crash_send", "1.0",
    "test plugin: two_copy whose send() dereferences NULL at message 200 "
    "(SIGSEGV)",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
