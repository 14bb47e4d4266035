// Where a cell's connections live. The runner asks a Network for the
// address the servers listen on, and every server and client thread calls
// SetupThread() first, before it makes a socket. Loopback needs nothing;
// an isolating network (a namespace per side joined by veth) enters the
// side's namespace there, so sockets are created inside it.
//
//   LoopbackNetwork net;
//   // on a server thread of connection i:
//   absl::Status s = net.SetupThread(Side::kServer, i);
//   absl::StatusOr<Listener> l = ListenTcp(net.ServerAddress(i));
//   // on its client thread:
//   s = net.SetupThread(Side::kClient, i);
//   ConnectTcp(net.ServerAddress(i), port, cancel, timeout);
#ifndef COPYSCOPE_HARNESS_ENGINE_NETWORK_H_
#define COPYSCOPE_HARNESS_ENGINE_NETWORK_H_

#include <string>

#include "absl/status/status.h"
#include "harness/config/types.h"

namespace copyscope::engine {

using config::Side;
using config::SideName;

class Network {
 public:
  virtual ~Network() = default;

  // What this network is, for the record, e.g. "loopback (127.0.0.1)".
  virtual std::string Describe() const = 0;

  // Runs first on every server and client thread of `connection`, before
  // any socket exists (e.g. setns() into that side's namespace). Must be
  // safe to call from many threads at once.
  virtual absl::Status SetupThread(Side side, int connection) = 0;

  // The IPv4 address the server of `connection` listens on (port 0: the
  // kernel picks) and its client connects to.
  virtual std::string ServerAddress(int connection) const = 0;

  // The IPv6 address for --family=inet6, or "" when this network has none
  // (a cell over inet6 then fails saying so).
  virtual std::string ServerAddress6(int) const { return ""; }
};

// Both sides in the current network namespace, over 127.0.0.1 (inet6:
// ::1).
class LoopbackNetwork final : public Network {
 public:
  std::string Describe() const override { return "loopback (127.0.0.1)"; }
  absl::Status SetupThread(Side, int) override { return absl::OkStatus(); }
  std::string ServerAddress(int) const override { return "127.0.0.1"; }
  std::string ServerAddress6(int) const override { return "::1"; }
};

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_NETWORK_H_
