// udp_gso: UDP datagrams with the kernel's segmentation offloads
// (CS_CAP_DATAGRAM, ABI 1.3). A batch of equal-size messages leaves in one
// sendmsg() with UDP_SEGMENT (segment size = the message size, up to
// max_segments datagrams and 65507 bytes a call): the stack carries them as
// one buffer and cuts them late. The receiver turns UDP_GRO on and splits
// the coalesced buffers it reads by the gso_size the kernel reports, one
// datagram per recv(), in place. transports/common/datagram.h has the code,
// shared with udp.
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/datagram.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"

namespace copyscope::transports {
namespace {

struct Endpoint : DatagramEndpoint<Endpoint, /*kGso=*/true> {};

// UDP_SEGMENT (4.18) and UDP_GRO (5.0) are socket options of this kernel.
int ProbeGso(char* why, size_t why_size) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    FormatInto(why, why_size, "cannot create a UDP socket: %s",
               ErrnoText(e).c_str());
    return -e;
  }
  int segment = 1400, one = 1, rc = 0;
  if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof(segment)) != 0) {
    rc = -errno;
    FormatInto(why, why_size, "UDP_SEGMENT (UDP GSO) not supported: %s",
               ErrnoText(-rc).c_str());
  } else if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) != 0) {
    rc = -errno;
    FormatInto(why, why_size, "UDP_GRO not supported: %s",
               ErrnoText(-rc).c_str());
  } else {
    FormatInto(why, why_size, "%s", "");
  }
  close(fd);
  return rc;
}

const cs_transport kTransport = MakeTransport<Endpoint>(
    "udp_gso", "1.0",
    "UDP datagrams with GSO (UDP_SEGMENT) on send and GRO (UDP_GRO) on "
    "receive, received in place",
    kDatagramCapabilities, ProbeGso);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
