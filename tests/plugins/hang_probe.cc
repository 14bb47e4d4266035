// hang_probe: a working two_copy whose probe() never returns (it blocks in
// pause() forever), so that loading it (the loader calls probe) hangs the
// loading thread until the process is killed.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

struct Endpoint : BadEndpoint<Endpoint> {};

int HangingProbe(char*, size_t) { BlockForever(); }

const cs_transport kTransport = MakeTransport<Endpoint>(
    "hang_probe", "1.0", "test plugin: two_copy whose probe() never returns",
    CS_CAP_RECV, HangingProbe);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
