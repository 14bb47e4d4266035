// long_name: a working two_copy whose descriptor name is 10,000 characters
// long ("abc...zabc...", all of [a-z], so its length is all that is wrong),
// in static storage. A loader must reject it, not crash on it.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

constexpr size_t kNameLength = 10000;

struct LongName {
  constexpr LongName() : text() {
    for (size_t i = 0; i < kNameLength; ++i) {
      text[i] = static_cast<char>('a' + i % 26);
    }
  }
  char text[kNameLength + 1];
};
constexpr LongName kName;

struct Endpoint : BadEndpoint<Endpoint> {};

const cs_transport kTransport = MakeTransport<Endpoint>(
    kName.text, "1.0", "test plugin: two_copy with a 10000-character name",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
