// many_options: a working two_copy whose descriptor says option_count =
// 1,000,000 while its options point at an array of 2. A loader must reject
// it without reading past the array; one that walks option_count entries
// reads about 24 MB beyond it.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

const cs_option_desc kTwoOptions[2] = {
    {"first", "1", "an option that does nothing"},
    {"second", "2", "another option that does nothing"}};

struct Endpoint : BadEndpoint<Endpoint> {
  // Endpoints accept the two real keys; the descriptor claims far more.
  static constexpr transports::OptionTable kOptionTable =
      transports::OptionsOf(kTwoOptions);
};

constexpr cs_transport WithOptionCount(cs_transport t) {
  t.option_count = 1000000;
  return t;
}

const cs_transport kTransport = WithOptionCount(MakeTransport<Endpoint>(
    "many_options", "1.0",
    "test plugin: two_copy claiming 1000000 options with 2 in its array",
    CS_CAP_RECV, ProbeNothing));

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
