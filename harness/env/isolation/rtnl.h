// Route netlink (libnl-route-3) for the few link operations isolation needs:
// a veth pair whose peer is born in another namespace, addresses, link up,
// delete. Private to this package.
//
// The socket belongs to the namespace of the thread that opens it, so open
// it inside the namespace to configure:
//
//   RunInNamespace(server_ns, [&]() -> absl::Status {
//     absl::StatusOr<Rtnl> nl = Rtnl::Open();
//     if (!nl.ok()) return nl.status();
//     return nl->AddVeth("cs1f2a_0s", "cs1f2a_0c", client_ns, 0);
//   });
#ifndef COPYSCOPE_HARNESS_ENV_ISOLATION_RTNL_H_
#define COPYSCOPE_HARNESS_ENV_ISOLATION_RTNL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct nl_sock;

namespace copyscope::isolation {

class Rtnl {
 public:
  // Connects a NETLINK_ROUTE socket in the calling thread's namespace.
  static absl::StatusOr<Rtnl> Open();

  // Creates veth `name` here with its peer `peer` created directly in the
  // namespace peer_ns_fd (IFLA_NET_NS_FD inside VETH_INFO_PEER), so no end
  // ever exists anywhere else. mtu > 0 sets both ends' MTU.
  absl::Status AddVeth(const std::string& name, const std::string& peer,
                       int peer_ns_fd, int mtu);

  // Sets IFF_UP on the link.
  absl::Status SetUp(const std::string& name);

  // Adds address/prefix_len (IPv4, dotted quad) to the link.
  absl::Status AddIpv4(const std::string& name, const std::string& address,
                       int prefix_len);

  // Adds address/prefix_len (IPv6) to the link with IFA_F_NODAD: usable at
  // once, no duplicate address detection to wait for.
  absl::Status AddIpv6(const std::string& name, const std::string& address,
                       int prefix_len);

  // Deletes the link (for a veth, both ends go).
  absl::Status Delete(const std::string& name);

 private:
  absl::Status AddAddress(const std::string& name, int family,
                          const std::string& address, int prefix_len,
                          int flags);

  struct Closer {
    void operator()(nl_sock* sock) const;
  };
  explicit Rtnl(nl_sock* sock) : sock_(sock) {}
  std::unique_ptr<nl_sock, Closer> sock_;
};

}  // namespace copyscope::isolation

#endif  // COPYSCOPE_HARNESS_ENV_ISOLATION_RTNL_H_
