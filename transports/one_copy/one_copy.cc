// one_copy: sends a message's fields with one sendmsg() over an iovec, so the
// only copy is the kernel's, from the fields into socket buffers. Messages
// with more than IOV_MAX fields go out in several calls. A partial write
// advances a per-endpoint copy of the iovec (the host's array is never
// modified); EINTR and EAGAIN are handled and every wait is bounded by the
// endpoint's io_timeout_ms. Receiving is recv() until the whole message has
// arrived.
#include <errno.h>

#include <new>

#include "plugins/copyscope_transport.h"
#include "transports/common/socket_io.h"

namespace copyscope::transports {
namespace {

struct Endpoint {
  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  IovScratch scratch;  // sender roles
  int broken = 0;      // the error that broke the endpoint, or 0
  SendCounters send_counters;
  ErrorText error;
};

Endpoint* Ep(cs_endpoint* ep) { return reinterpret_cast<Endpoint*>(ep); }
const Endpoint* Ep(const cs_endpoint* ep) {
  return reinterpret_cast<const Endpoint*>(ep);
}

int Probe(char* why, size_t why_size) {
  FormatInto(why, why_size, "%s", "");
  return 0;
}

int Open(const cs_endpoint_config* config, cs_endpoint** out, char* err,
         size_t err_size) {
  if (out == nullptr) {
    FormatInto(err, err_size, "open: out is NULL");
    return -EINVAL;
  }
  *out = nullptr;
  int rc = CheckConfig(config, err, err_size);
  if (rc == 0) rc = CheckOptionKeys(config, nullptr, 0, err, err_size);
  if (rc == 0) {
    rc = ApplySocketTimeouts(config->fd, config->role, config->io_timeout_ms,
                             err, err_size);
  }
  if (rc < 0) return rc;

  Endpoint* ep = new (std::nothrow) Endpoint;
  if (ep == nullptr || ((config->role & CS_ROLE_SENDER) &&
                        !ep->scratch.Reserve(config->max_fields))) {
    delete ep;
    FormatInto(err, err_size, "open: out of memory");
    return -ENOMEM;
  }
  ep->fd = config->fd;
  ep->role = config->role;
  ep->io_timeout_ms = config->io_timeout_ms;
  *out = reinterpret_cast<cs_endpoint*>(ep);
  return 0;
}

void Close(cs_endpoint* handle) { delete Ep(handle); }

int Send(cs_endpoint* handle, const cs_message* messages, uint32_t count) {
  Endpoint* ep = Ep(handle);
  if (ep == nullptr) return -EINVAL;
  // After a failure only close() may follow; last_error keeps its cause.
  if (ep->broken != 0) return ep->broken;
  if ((ep->role & CS_ROLE_SENDER) == 0) {
    return ep->error.Set(-EINVAL, "send: endpoint was opened as a receiver");
  }
  int rc = CheckMessages(messages, count, 0, &ep->error);
  if (rc < 0) return rc;
  for (uint32_t m = 0; m < count; ++m) {
    const cs_message& msg = messages[m];
    rc =
        SendFieldsAll(ep->fd, msg.fields, msg.field_count, 0, ep->io_timeout_ms,
                      &ep->scratch, &ep->send_counters, &ep->error);
    if (rc < 0) {
      ep->broken = rc;
      return rc;
    }
  }
  return 0;
}

int Reap(cs_endpoint* handle, uint64_t* tags, uint32_t max, int timeout_ms) {
  (void)tags;
  (void)max;
  (void)timeout_ms;
  // Buffers are free as soon as send() returns: nothing is ever pending.
  return handle == nullptr ? -EINVAL : 0;
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
  const cs_counter counters[] = {
      {"send_calls", ep->send_counters.send_calls},
      {"short_writes", ep->send_counters.short_writes},
  };
  return CopyCounters(counters, 2, out, max);
}

const char* LastError(const cs_endpoint* handle) {
  const Endpoint* ep = Ep(handle);
  return ep == nullptr ? "endpoint is NULL" : ep->error.c_str();
}

const cs_transport kTransport = {
    CS_TRANSPORT_STRUCT_SIZE,
    CS_ABI_MAJOR,
    CS_ABI_MINOR,
    "one_copy",
    "1.0",
    "sendmsg() with an iovec over the fields (the kernel's copy only)",
    CS_CAP_SCATTER_GATHER | CS_CAP_RECV,
    nullptr,
    0,
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
