// uring_send: io_uring IORING_OP_SEND (one field) and IORING_OP_SENDMSG
// (several fields) with batched submission, one ring per endpoint. A
// message's buffers are in use until its completion, which reap() reports.
// The engine, and how it keeps TCP order across short sends, is
// transports/common/uring_sender.h. Receiving is plain recv().
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
};
constexpr uint32_t kOptionCount = sizeof(kOptions) / sizeof(kOptions[0]);

const UringOpName kOps[] = {{IORING_OP_SEND, "IORING_OP_SEND"},
                            {IORING_OP_SENDMSG, "IORING_OP_SENDMSG"}};

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
  const char* text = FindOption(config, "queue_depth");
  uint64_t depth = o.queue_depth;
  if (text != nullptr && !ParseUintOption(text, 1, 4096, &depth)) {
    FormatInto(err, err_size,
               "option queue_depth='%s' is not a number in 1..4096", text);
    return -EINVAL;
  }
  o.queue_depth = (uint32_t)depth;
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
  ep->sender.Close();  // cancels and waits (bounded) for sends in flight
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
  const cs_counter counters[] = {
      {"send_calls", s.send_calls()},   {"short_writes", s.short_writes()},
      {"resubmits", s.resubmits()},     {"submit_calls", s.submit_calls()},
      {"chain_waits", s.chain_waits()},
  };
  return CopyCounters(counters, sizeof(counters) / sizeof(counters[0]), out,
                      max);
}

const char* LastError(const cs_endpoint* handle) {
  const Endpoint* ep = Ep(handle);
  return ep == nullptr ? "endpoint is NULL" : ep->error.c_str();
}

const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "uring_send",
    "1.0",
    "io_uring SEND/SENDMSG, batched submission; buffers released at "
    "completion",
    CS_CAP_SCATTER_GATHER | CS_CAP_ASYNC_RELEASE | CS_CAP_BATCHING |
        CS_CAP_RECV,
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
