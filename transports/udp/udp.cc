// udp: datagrams over a connected UDP socket (CS_CAP_DATAGRAM, ABI 1.3). A
// batch of messages leaves in one sendmmsg() call (one datagram each); the
// receiver reads up to recv_batch datagrams per recvmmsg() and hands them
// out one per recv(), in place. transports/common/datagram.h has the code,
// shared with udp_gso.
#include "plugins/copyscope_transport.h"
#include "transports/common/datagram.h"
#include "transports/common/endpoint.h"
#include "transports/common/probe.h"

namespace copyscope::transports {
namespace {

struct Endpoint : DatagramEndpoint<Endpoint, /*kGso=*/false> {};

const cs_transport kTransport = MakeTransport<Endpoint>(
    "udp", "1.0",
    "UDP datagrams: sendmmsg batches, recvmmsg batches received in place",
    kDatagramCapabilities, ProbeNothing);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
