// A C++ owner for one plugin endpoint: opens it with the ABI's config
// struct, closes it on destruction, and turns the plugin's negative errno
// plus last_error() into an absl::Status that names transport and role.
//
//   EndpointSpec spec{plugin.transport, plugin.name, CS_ROLE_SENDER, fd};
//   spec.max_fields = 8; spec.max_message_size = 4096;
//   absl::StatusOr<Endpoint> ep = Endpoint::Open(spec);
//   if (!ep.ok()) return ep.status();
//   int rc = ep->Send(&message, 1);          // hot path: raw plugin call
//   if (rc < 0) return ep->Error(rc, "send");
//   auto counters = ep->Counters();  // StatusOr: {{"send_calls", 123}, ...}
//
// The endpoint does not own the socket: close the fd after the endpoint.
#ifndef COPYSCOPE_HARNESS_ENGINE_ENDPOINT_H_
#define COPYSCOPE_HARNESS_ENGINE_ENDPOINT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugins/copyscope_transport.h"

namespace copyscope::engine {

struct EndpointSpec {
  const cs_transport* transport = nullptr;
  std::string transport_name;
  uint32_t role = CS_ROLE_SENDER;  // enum cs_role
  int fd = -1;                     // connected socket, owned by the caller
  int io_timeout_ms = 10000;
  uint32_t max_fields = 1;
  uint32_t max_batch = 1;
  size_t max_message_size = 1;
  uint32_t socket_type = CS_SOCKET_STREAM;  // CS_SOCKET_*: what fd is
  std::vector<std::pair<std::string, std::string>> options;  // key, value
};

// "sender" or "receiver" (or "sender+receiver").
const char* RoleName(uint32_t role);

class Endpoint {
 public:
  static absl::StatusOr<Endpoint> Open(const EndpointSpec& spec);

  Endpoint(Endpoint&& other) noexcept;
  Endpoint& operator=(Endpoint&& other) noexcept;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  ~Endpoint() { Close(); }

  // The plugin's functions, unchanged (0/count or negative errno).
  int Send(const cs_message* messages, uint32_t count) {
    return t_->send(ep_, messages, count);
  }
  int Reap(uint64_t* tags, uint32_t max, int timeout_ms) {
    return t_->reap(ep_, tags, max, timeout_ms);
  }
  int Recv(cs_recv_args* args) { return t_->recv(ep_, args); }

  // "<transport> <role>: <call> failed: <strerror(-rc)>: <last_error>".
  absl::Status Error(int rc, const char* call) const;

  // The most counters an endpoint may report, and the longest name.
  static constexpr uint32_t kMaxCounters = 256;
  static constexpr size_t kMaxCounterNameBytes = 64;

  // Every counter the plugin reports, in its order. The plugin's answer is
  // checked, never trusted: more than kMaxCounters, more than the host
  // asked for, a NULL or empty name, or a name that does not end within
  // kMaxCounterNameBytes is an error naming transport and role, e.g.
  // "two_copy sender: counters() returned 9999 counters, more than the 4
  // asked".
  absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> Counters()
      const;

  // Adds every counter to *totals, by name (a new name is appended), with
  // the checks of Counters(). For an endpoint per transaction (crr): once
  // the names are known and `scratch` has grown, nothing is allocated.
  absl::Status AddCountersTo(
      std::vector<std::pair<std::string, uint64_t>>* totals,
      std::vector<cs_counter>* scratch) const;

  // Closes the endpoint (waits, bounded, for buffers still in use).
  void Close();

 private:
  Endpoint(const cs_transport* t, cs_endpoint* ep, std::string name,
           uint32_t role)
      : t_(t), ep_(ep), name_(std::move(name)), role_(role) {}

  // The plugin's counters into *raw (resized to hold them), checked as
  // Counters() says: how many there are.
  absl::StatusOr<uint32_t> ReadCounters(std::vector<cs_counter>* raw) const;

  const cs_transport* t_ = nullptr;
  cs_endpoint* ep_ = nullptr;
  std::string name_;
  uint32_t role_ = 0;
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_ENDPOINT_H_
