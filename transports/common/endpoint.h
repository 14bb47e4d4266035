// The C ABI side of an in-tree transport, written once: a transport defines
// its endpoint as a C++ class deriving from EndpointBase<Self>, and
// TransportAbi<Self> turns it into the descriptor's open, close, send, reap,
// recv, counters and last_error, with the checks every transport makes
// (NULL handles, roles, configuration, option keys, message and receive
// arguments, a broken sending side). Header-only, over the other headers
// of transports/common.
//
//   struct Endpoint : EndpointBase<Endpoint> {
//     int SendMessage(const cs_message& msg) { ... }  // one whole message
//     void ListCounters(CounterList* c) const {
//       c->AddSendCounters(send_counters);
//     }
//     SendCounters send_counters;
//   };
//   const cs_transport kTransport = MakeTransport<Endpoint>(
//       "mine", "1.0", "what it does", CS_CAP_RECV, ProbeNothing);
//   // ... close the namespaces, then export the entry symbol:
//   COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
//
// What a transport may define to change a default (a name in the derived
// class hides the base's):
//   kOptionTable   the option keys open() accepts (default: none);
//   kDatagram      true for a datagram transport (CS_CAP_DATAGRAM): open()
//                  then takes datagram sockets only (default: stream only);
//   kTimeoutRoles  the roles whose SO_SNDTIMEO/SO_RCVTIMEO open() sets from
//                  io_timeout_ms (default: both), unless the host sets
//                  CS_ENDPOINT_HOST_UNBLOCKS;
//   Options, Configure()  reads options and readies the socket, before the
//                  socket timeouts are set and before the endpoint exists;
//   Setup()        the rest of open(), on the new endpoint (deleted when
//                  Setup fails, so the destructor frees what Setup made);
//   OnClose()      what close() waits for before the endpoint is deleted;
//   SendBatch()    a whole send(); the default checks the messages (bounded
//                  by max_message_len when > 0) and calls SendMessage() on
//                  each, marking the endpoint broken at the first failure;
//   ReapReleased() reap() (default: nothing is ever pending);
//   Receive()      recv() after its arguments were checked (default:
//                  RecvExact() into args->buf).
// ListCounters() has no default: every transport says what it counts.
#ifndef COPYSCOPE_TRANSPORTS_COMMON_ENDPOINT_H_
#define COPYSCOPE_TRANSPORTS_COMMON_ENDPOINT_H_

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <new>

#include "plugins/copyscope_transport.h"
#include "transports/common/config.h"
#include "transports/common/counters.h"
#include "transports/common/error_text.h"
#include "transports/common/options.h"
#include "transports/common/recv_loop.h"
#include "transports/common/send_loop.h"
#include "transports/common/wait.h"

namespace copyscope::transports {

// State every endpoint has, and the defaults listed at the top.
template <typename Self>
struct EndpointBase {
  struct Options {};
  static constexpr OptionTable kOptionTable = {nullptr, 0};
  static constexpr uint32_t kTimeoutRoles = CS_ROLE_SENDER | CS_ROLE_RECEIVER;
  static constexpr bool kDatagram = false;

  static int Configure(const cs_endpoint_config&, Options*, char*, size_t) {
    return 0;
  }
  int Setup(const cs_endpoint_config&, const Options&, char*, size_t) {
    return 0;
  }
  void OnClose() {}

  int SendBatch(const cs_message* messages, uint32_t count) {
    int rc = CheckMessages(messages, count, max_message_len, &error);
    if (rc < 0) return rc;
    try {
      for (uint32_t m = 0; m < count; ++m) {
        rc = static_cast<Self*>(this)->SendMessage(messages[m]);
        if (rc < 0) {
          // After a failure only close() may follow; last_error keeps its
          // cause.
          broken = rc;
          return rc;
        }
      }
    } catch (...) {
      broken = -ENOMEM;
      return error.Set(-ENOMEM, "send: out of memory");
    }
    return 0;
  }
  // Buffers are free as soon as send() returns: nothing is ever pending.
  int ReapReleased(uint64_t*, uint32_t, int) { return 0; }
  int Receive(cs_recv_args* args) {
    return RecvExact(fd, args->buf, args->len, io_timeout_ms, &error);
  }

  bool is_sender() const { return (role & CS_ROLE_SENDER) != 0; }
  bool is_receiver() const { return (role & CS_ROLE_RECEIVER) != 0; }

  int fd = -1;
  uint32_t role = 0;
  int io_timeout_ms = -1;
  size_t max_message_len = 0;  // > 0: send() refuses longer messages
  int broken = 0;              // the error that broke sending, or 0
  ErrorText error;
};

// The descriptor's endpoint functions for endpoints of type T.
template <typename T>
struct TransportAbi {
  static T* Of(cs_endpoint* ep) { return reinterpret_cast<T*>(ep); }
  static const T* Of(const cs_endpoint* ep) {
    return reinterpret_cast<const T*>(ep);
  }

  static int Open(const cs_endpoint_config* config, cs_endpoint** out,
                  char* err, size_t err_size) {
    if (out == nullptr) {
      FormatInto(err, err_size, "open: out is NULL");
      return -EINVAL;
    }
    *out = nullptr;
    int rc = CheckConfig(config, err, err_size, T::kDatagram);
    if (rc == 0) {
      rc = CheckOptionKeys(config, T::kOptionTable.options,
                           T::kOptionTable.count, err, err_size);
    }
    if (rc < 0) return rc;
    typename T::Options o;
    rc = T::Configure(*config, &o, err, err_size);
    // A host that wakes blocked calls itself (shutdown) spares the socket
    // the kernel timer SO_RCVTIMEO/SO_SNDTIMEO arm on every blocking wait.
    if (rc == 0 &&
        (CS_ENDPOINT_CONFIG_FLAGS(config) & CS_ENDPOINT_HOST_UNBLOCKS) == 0) {
      rc = ApplySocketTimeouts(config->fd, config->role & T::kTimeoutRoles,
                               config->io_timeout_ms, err, err_size);
    }
    if (rc < 0) return rc;
    T* ep = new (std::nothrow) T;
    if (ep == nullptr) {
      FormatInto(err, err_size, "open: out of memory");
      return -ENOMEM;
    }
    ep->fd = config->fd;
    ep->role = config->role;
    ep->io_timeout_ms = config->io_timeout_ms;
    rc = ep->Setup(*config, o, err, err_size);
    if (rc < 0) {
      delete ep;
      return rc;
    }
    *out = reinterpret_cast<cs_endpoint*>(ep);
    return 0;
  }

  static void Close(cs_endpoint* handle) {
    T* ep = Of(handle);
    if (ep == nullptr) return;
    ep->OnClose();
    delete ep;
  }

  static int Send(cs_endpoint* handle, const cs_message* messages,
                  uint32_t count) {
    T* ep = Of(handle);
    if (ep == nullptr) return -EINVAL;
    if (ep->broken != 0) return ep->broken;
    if (!ep->is_sender()) {
      return ep->error.Set(-EINVAL, "send: endpoint was opened as a receiver");
    }
    return ep->SendBatch(messages, count);
  }

  static int Reap(cs_endpoint* handle, uint64_t* tags, uint32_t max,
                  int timeout_ms) {
    T* ep = Of(handle);
    if (ep == nullptr) return -EINVAL;
    return ep->ReapReleased(tags, max, timeout_ms);
  }

  static int Recv(cs_endpoint* handle, cs_recv_args* args) {
    T* ep = Of(handle);
    if (ep == nullptr) return -EINVAL;
    if (!ep->is_receiver()) {
      return ep->error.Set(-EINVAL, "recv: endpoint was opened as a sender");
    }
    int rc = CheckRecvArgs(args, &ep->error);
    if (rc < 0) return rc;
    return ep->Receive(args);
  }

  static uint32_t Counters(const cs_endpoint* handle, cs_counter* out,
                           uint32_t max) {
    const T* ep = Of(handle);
    if (ep == nullptr) return 0;
    CounterList list;
    ep->ListCounters(&list);
    return CopyCounters(list.data(), list.size(), out, max);
  }

  static const char* LastError(const cs_endpoint* handle) {
    const T* ep = Of(handle);
    return ep == nullptr ? "endpoint is NULL" : ep->error.c_str();
  }
};

// For Configure(): a sender needs max_message_size >= 1 (it sizes a buffer).
inline int RequireMaxMessageSize(const cs_endpoint_config& config, char* err,
                                 size_t err_size) {
  if ((config.role & CS_ROLE_SENDER) && config.max_message_size == 0) {
    FormatInto(err, err_size,
               "open: max_message_size must be >= 1 for a sender");
    return -EINVAL;
  }
  return 0;
}

// For Setup(): reserves scratch for config.max_fields iovecs when needed
// (sender roles); -ENOMEM with "open: out of memory" when that fails.
inline int ReserveScratch(const cs_endpoint_config& config, bool needed,
                          IovScratch* scratch, char* err, size_t err_size) {
  if (!needed || scratch->Reserve(config.max_fields)) return 0;
  FormatInto(err, err_size, "open: out of memory");
  return -ENOMEM;
}

// The descriptor of a transport whose endpoints are T; its options are
// T::kOptionTable.
template <typename T>
constexpr cs_transport MakeTransport(const char* name, const char* version,
                                     const char* description,
                                     uint64_t capabilities,
                                     int (*probe)(char*, size_t)) {
  using Abi = TransportAbi<T>;
  return cs_transport{CS_TRANSPORT_STRUCT_SIZE,
                      CS_ABI_MAJOR,
                      CS_ABI_MINOR,
                      name,
                      version,
                      description,
                      capabilities,
                      T::kOptionTable.options,
                      T::kOptionTable.count,
                      probe,
                      Abi::Open,
                      Abi::Close,
                      Abi::Send,
                      Abi::Reap,
                      Abi::Recv,
                      Abi::Counters,
                      Abi::LastError};
}

// The body of copyscope_transport_entry(): the descriptor for a host that
// speaks this ABI major, else NULL.
inline const cs_transport* TransportForHost(const cs_host* host,
                                            const cs_transport* transport) {
  if (host == nullptr || host->struct_size < CS_HOST_STRUCT_SIZE ||
      host->abi_major != CS_ABI_MAJOR) {
    return nullptr;
  }
  return transport;
}

}  // namespace copyscope::transports

// Defines the plugin's one exported symbol, copyscope_transport_entry(),
// returning `transport` (a cs_transport, e.g. from MakeTransport) to a host
// of this ABI major and NULL to any other. Write it once per plugin, at
// global scope, after the descriptor:
//
//   COPYSCOPE_TRANSPORT_ENTRY(copyscope::transports::kTransport);
#define COPYSCOPE_TRANSPORT_ENTRY(transport)                              \
  extern "C" CS_EXPORT const cs_transport* copyscope_transport_entry(     \
      const cs_host* host) {                                              \
    return ::copyscope::transports::TransportForHost(host, &(transport)); \
  }                                                                       \
  static_assert(true, "COPYSCOPE_TRANSPORT_ENTRY(...) takes a semicolon")

#endif  // COPYSCOPE_TRANSPORTS_COMMON_ENDPOINT_H_
