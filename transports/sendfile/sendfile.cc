// sendfile: the message lives in a memfd. send() writes the fields into the
// memfd with pwritev() (the kernel's copy, the transport's honest cost),
// then sendfile()s the range to the socket, handling partial writes, EINTR
// and EAGAIN. Receiving is plain recv().
//
// Each message gets fresh pages (transports/common/memfd_stage.h says why).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "plugins/copyscope_transport.h"
#include "transports/common/counters.h"
#include "transports/common/endpoint.h"
#include "transports/common/error_text.h"
#include "transports/common/memfd_stage.h"
#include "transports/common/probe.h"
#include "transports/common/send_loop.h"

namespace copyscope::transports {
namespace {

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  int fd = memfd_create("copyscope_sendfile_probe", MFD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    FormatInto(why, why_size, "memfd_create: %s (needs Linux 3.17+)",
               ErrnoText(e).c_str());
    return -e;
  }
  size_t page = PageSize();
  int rc = 0;
  if (ftruncate(fd, (off_t)page) != 0 ||
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                (off_t)page) != 0) {
    int e = errno;
    FormatInto(why, why_size, "memfd hole punching: %s (needs Linux 3.5+)",
               ErrnoText(e).c_str());
    rc = -e;
  }
  close(fd);
  return rc;
}

struct Endpoint : EndpointBase<Endpoint> {
  static int Configure(const cs_endpoint_config& config, Options*, char* err,
                       size_t err_size) {
    return RequireMaxMessageSize(config, err, err_size);
  }

  int Setup(const cs_endpoint_config& config, const Options&, char* err,
            size_t err_size) {
    int rc = ReserveScratch(config, is_sender(), &scratch, err, err_size);
    if (rc < 0 || !is_sender()) return rc;
    max_message_len = config.max_message_size;
    return stage.Open("copyscope_sendfile", max_message_len, err, err_size);
  }

  int SendMessage(const cs_message& msg) {
    size_t len = 0;
    for (uint32_t f = 0; f < msg.field_count; ++f) {
      len += msg.fields[f].iov_len;
    }
    if (len == 0) return 0;
    int rc = stage.Stage(msg, &scratch, &error);
    if (rc < 0) return rc;
    copied_bytes += len;
    return stage.SendTo(fd, len, io_timeout_ms, &send_counters, &error);
  }

  void ListCounters(CounterList* c) const {
    c->AddSendCounters(send_counters);
    c->Add("copied_bytes", copied_bytes);
    c->Add("hole_punches", stage.hole_punches());
  }

  MemfdStage stage;            // sender roles
  IovScratch scratch;          // pwritev() chunks of IOV_MAX fields
  SendCounters send_counters;  // sendfile() calls
  uint64_t copied_bytes = 0;   // bytes written into the memfd
};

// The fields were copied into the memfd: free as soon as send() returns.
const cs_transport kTransport = MakeTransport<Endpoint>(
    "sendfile", "1.0",
    "pwritev() the fields into a memfd, then sendfile() it to the socket",
    CS_CAP_RECV, Probe);

}  // namespace
}  // namespace copyscope::transports

COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
