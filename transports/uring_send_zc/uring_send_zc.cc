// uring_send_zc: io_uring IORING_OP_SEND_ZC (one field) and
// IORING_OP_SENDMSG_ZC (several fields), batched, one ring per endpoint. The
// kernel sends from the host's pages; each send completes twice: once when
// the socket took the data (IORING_CQE_F_MORE set), and once more with a
// notification (IORING_CQE_F_NOTIF) when the kernel let go of the pages.
// Only then does reap() return the message's tag. Where the kernel can say
// so (IORING_SEND_ZC_REPORT_USAGE, Linux 6.2+), counts the notifications
// whose data was copied after all (always so over loopback).
//
// fixed_buffers=1 registers each distinct field buffer on first use and
// sends every field with IORING_RECVSEND_FIXED_BUF (see
// transports/common/uring_sender.h). Receiving is plain recv().
#include <errno.h>

#include <new>

#include "plugins/copyscope_transport.h"
#include "transports/common/socket_io.h"
#include "transports/common/uring_io.h"
#include "transports/common/uring_sender.h"

namespace copyscope::transports {
namespace {

const cs_option_desc kOptions[] = {
    {"queue_depth", "64",
     "io_uring entries: the most sends in flight, and the longest chain one "
     "submission carries (1..4096)"},
    {"fixed_buffers", "0",
     "1: register each distinct field buffer with io_uring on first use "
     "(pinned until close; the host must keep it mapped) and send from the "
     "registration"},
    {"fixed_slots", "4096",
     "fixed_buffers=1: the most distinct buffers an endpoint registers "
     "(1..16384); more is an error"},
};
constexpr uint32_t kOptionCount = sizeof(kOptions) / sizeof(kOptions[0]);

const UringOpName kOps[] = {{IORING_OP_SEND_ZC, "IORING_OP_SEND_ZC"},
                            {IORING_OP_SENDMSG_ZC, "IORING_OP_SENDMSG_ZC"}};

struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  ErrorText error;
  UringSender sender;  // sender roles; declared after error, closed first
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

int Probe(char* why, size_t why_size) {
  return ProbeUring(kOps, 2, why, why_size);
}

// Reads option `key` into *out when given; false (err set) when malformed.
bool NumberOption(const cs_endpoint_config* config, const char* key,
                  uint64_t lo, uint64_t hi, uint64_t* out, char* err,
                  size_t err_size) {
  const char* text = FindOption(config, key);
  if (text == nullptr || ParseUintOption(text, lo, hi, out)) return true;
  FormatInto(err, err_size, "option %s='%s' is not a number in %llu..%llu", key,
             text, (unsigned long long)lo, (unsigned long long)hi);
  return false;
}

int Open(const cs_endpoint_config* config, cs_endpoint** out, char* err,
         size_t err_size) {
  if (out == nullptr) {
    FormatInto(err, err_size, "open: out is NULL");
    return -EINVAL;
  }
  *out = nullptr;
  int rc = CheckConfig(config, err, err_size);
  if (rc == 0) {
    rc = CheckOptionKeys(config, kOptions, kOptionCount, err, err_size);
  }
  if (rc < 0) return rc;
  UringSenderOptions o;
  o.zero_copy = true;
  uint64_t depth = o.queue_depth, fixed = 0, slots = 4096;
  if (!NumberOption(config, "queue_depth", 1, 4096, &depth, err, err_size) ||
      !NumberOption(config, "fixed_buffers", 0, 1, &fixed, err, err_size) ||
      !NumberOption(config, "fixed_slots", 1, 16384, &slots, err, err_size)) {
    return -EINVAL;
  }
  o.queue_depth = (uint32_t)depth;
  o.fixed_buffers = fixed == 1;
  o.max_fixed_buffers = (uint32_t)slots;
  // Receives are plain recv(), bounded by SO_RCVTIMEO; sends never block in
  // the kernel (io_uring waits by polling), so SO_SNDTIMEO is left alone.
  rc = ApplySocketTimeouts(config->fd, config->role & CS_ROLE_RECEIVER,
                           config->io_timeout_ms, err, err_size);
  if (rc < 0) return rc;

  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr) {
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  if (config->role & CS_ROLE_SENDER) {
    rc = ep->sender.Open(config->fd, config->io_timeout_ms, o, err, err_size);
    if (rc < 0) {
      delete ep;
      return rc;
    }
  }
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* handle) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return;
  // Cancels sends in flight and waits (bounded) for every notification.
  ep->sender.Close();
  delete ep;
}

int Send(cs_endpoint* handle, const cs_message* messages, uint32_t count) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if ((ep->role & CS_ROLE_SENDER) == 0) {
    return ep->error.Set(-EINVAL, "send: endpoint was opened as a receiver");
  }
  return ep->sender.Send(messages, count, &ep->error);
}

int Reap(cs_endpoint* handle, uint64_t* tags, uint32_t max, int timeout_ms) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if ((ep->role & CS_ROLE_SENDER) == 0) return 0;
  return ep->sender.Reap(tags, max, timeout_ms, &ep->error);
}

int Recv(cs_endpoint* handle, cs_recv_args* args) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  if ((ep->role & CS_ROLE_RECEIVER) == 0) {
    return ep->error.Set(-EINVAL, "recv: endpoint was opened as a sender");
  }
  int rc = CheckRecvArgs(args, &ep->error);
  if (rc < 0) return rc;
  return RecvExact(ep->fd, args->buf, args->len, ep->io_timeout_ms, &ep->error);
}

uint32_t Counters(const cs_endpoint* handle, cs_counter* out, uint32_t max) {
  const Endpoint* ep = Ep(handle);
  if (ep == nullptr) return 0;
  const UringSender& s = ep->sender;
  cs_counter counters[8] = {
      {"send_calls", s.send_calls()},
      {"short_writes", s.short_writes()},
      {"resubmits", s.resubmits()},
      {"submit_calls", s.submit_calls()},
      {"chain_waits", s.chain_waits()},
      {"zerocopy_completions", s.zerocopy_completions()},
  };
  uint32_t n = 6;
  // Without IORING_SEND_ZC_REPORT_USAGE the kernel does not say whether it
  // copied: the counter is absent rather than a zero nobody measured.
  if (s.report_usage())
    counters[n++] = {"zerocopy_copied", s.zerocopy_copied()};
  if (s.fixed_buffers_enabled()) {
    counters[n++] = {"fixed_buffers", s.fixed_buffers()};
  }
  return CopyCounters(counters, n, out, max);
}

const char* LastError(const cs_endpoint* handle) {
  const Endpoint* ep = Ep(handle);
  return ep == nullptr ? "endpoint is NULL" : ep->error.c_str();
}

const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "uring_send_zc",
    "1.0",
    "io_uring SEND_ZC/SENDMSG_ZC, batched; buffers released at the "
    "notification",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_ZERO_COPY_SEND |
        CS_CAP_BATCHING | CS_CAP_RECV,
    kOptions,
    kOptionCount,
    Probe,
    Open,
    Close,
    Send,
    Reap,
    Recv,
    Counters,
    LastError,
};

}  // namespace
}  // namespace copyscope::transports

extern "C" CS_EXPORT const cs_transport* copyscope_transport_entry(
    const cs_host* host) {
  if (host == nullptr || host->struct_size < CS_HOST_STRUCT_SIZE ||
      host->abi_major != CS_ABI_MAJOR) {
    return nullptr;
  }
  return &copyscope::transports::kTransport;
}
