// abort_probe: a working two_copy whose probe() calls abort() (SIGABRT), so
// that loading it (the loader calls probe) kills the loading process.
#include <stdlib.h>

#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

struct Endpoint : BadEndpoint<Endpoint> {};

int AbortingProbe(char*, size_t) { abort(); }

const cs_transport kTransport = MakeTransport<Endpoint>(
    "abort_probe", "1.0", "test plugin: two_copy whose probe() calls abort()",
    CS_CAP_RECV, AbortingProbe);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
