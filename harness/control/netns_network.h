// A Network over an isolation::Isolation: each server thread enters the
// server namespace and each client thread the client namespace before they
// make a socket, and servers listen on the server end's address. With a
// loopback Isolation (--isolation=loopback, or auto where namespaces are not
// permitted) nothing moves and both sides use 127.0.0.1.
//
//   absl::StatusOr<std::unique_ptr<isolation::Isolation>> iso =
//       isolation::Isolation::Setup(isolation::Request::kAuto);
//   NetnsNetwork net(**iso);   // *iso must outlive net and every cell
//   RunCell(spec, config, net, hooks);
//
// setns() moves only the calling thread and may be one-way (EPERM when going
// back under a nested user namespace): the runner's workers are fresh
// threads per cell that end after it, so entering once is all they need.
// Never call SetupThread on a thread that must go on elsewhere.
#ifndef COPYSCOPE_HARNESS_CONTROL_NETNS_NETWORK_H_
#define COPYSCOPE_HARNESS_CONTROL_NETNS_NETWORK_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "harness/engine/network.h"
#include "harness/env/isolation/isolation.h"

namespace copyscope::control {

class NetnsNetwork final : public engine::Network {
 public:
  // `iso` is not owned; it must stay open while cells run.
  explicit NetnsNetwork(const isolation::Isolation& iso) : iso_(iso) {}

  // e.g. "netns+veth (cs1f2as 198.18.0.1/30 <-> cs1f2ac 198.18.0.2/30,
  // mtu 1500)" or "loopback (127.0.0.1)".
  std::string Describe() const override;

  // setns() into the side's namespace (nothing for loopback). An error
  // names the side and connection.
  absl::Status SetupThread(engine::Side side, int connection) override;

  std::string ServerAddress(int connection) const override;
  // 2001:2::1 on the veth, ::1 on loopback; "" when IPv6 could not be set.
  std::string ServerAddress6(int connection) const override;

 private:
  const isolation::Isolation& iso_;
};

// The isolation as key/value pairs for the run record (RunContext::
// isolation_details): interface, mtu, server/client interface, address and
// namespace, and each end's offloads ("tso", "gso", "gro", ... as on/off;
// unread ones are left out, never guessed), "teardown", and in netns mode
// the per-namespace sysctls the sockets saw ("netns_sysctl.net.ipv4.
// tcp_rmem", ...: a new namespace has the kernel's defaults, not the
// host's).
std::vector<std::pair<std::string, std::string>> IsolationDetails(
    const isolation::Isolation& iso);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_NETNS_NETWORK_H_
