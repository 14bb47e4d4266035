// corrupt_send: two_copy that sends message 100 (the 101st, counted from 0
// on the endpoint) with byte 7 of the message (counted from 0, across its
// fields) inverted (XOR 0xff), so a payload check reports
// `corrupt: message 100 offset 7`. The change is made in the plugin's own
// gather buffer: the host's fields are never written. Every other byte of
// every message is sent as given; a message shorter than 8 bytes is sent
// intact.
#include "tests/plugins/bad_endpoint.h"

namespace copyscope::bad_plugins {
namespace {

constexpr uint64_t kCorruptMessage = 100;
constexpr size_t kCorruptOffset = 7;

struct Endpoint : BadEndpoint<Endpoint> {
  int SendMessage(const cs_message& msg) {
    if (sent != kCorruptMessage) return BadEndpoint::SendMessage(msg);
    size_t len = Gather(msg);
    if (len > kCorruptOffset) gather[kCorruptOffset] ^= '\xff';
    return SendGathered(len);
  }
};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "corrupt_send", "1.0",
    "test plugin: two_copy that inverts byte 7 of message 100 (from 0) "
    "it sends",
    CS_CAP_RECV, ProbeNothing);

}  // namespace
}  // namespace copyscope::bad_plugins

COPYSCOPE_TRANSPORT_ENTRY(copyscope::bad_plugins::kTransport);
