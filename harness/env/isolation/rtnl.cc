#include "harness/env/isolation/rtnl.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <sys/socket.h>

#include "absl/strings/str_cat.h"

namespace copyscope::isolation {
namespace {

// libnl returns negative NLE_* codes; keep its words, pick the status code a
// caller would act on.
absl::Status NlError(absl::string_view what, int nl_err) {
  int err = nl_err < 0 ? -nl_err : nl_err;
  std::string message = absl::StrCat(what, ": ", nl_geterror(err));
  switch (err) {
    case NLE_PERM:
    case NLE_NOACCESS:
      return absl::PermissionDeniedError(message);
    case NLE_OPNOTSUPP:
      return absl::UnimplementedError(message);
    case NLE_EXIST:
      return absl::AlreadyExistsError(message);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      return absl::NotFoundError(message);
    case NLE_INVAL:
    case NLE_RANGE:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

struct LinkPut {
  void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;

}  // namespace

void Rtnl::Closer::operator()(nl_sock* sock) const { nl_socket_free(sock); }

absl::StatusOr<Rtnl> Rtnl::Open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return absl::ResourceExhaustedError("nl_socket_alloc");
  Rtnl rtnl(sock);
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    return NlError("nl_connect(NETLINK_ROUTE)", err);
  }
  return rtnl;
}

absl::Status Rtnl::AddVeth(const std::string& name, const std::string& peer,
                           int peer_ns_fd, int mtu) {
  rtnl_link* link = rtnl_link_veth_alloc();
  if (link == nullptr)
    return absl::ResourceExhaustedError("rtnl_link_veth_alloc");
  rtnl_link* peer_link = rtnl_link_veth_get_peer(link);  // takes a reference
  rtnl_link_set_name(link, name.c_str());
  rtnl_link_set_name(peer_link, peer.c_str());
  rtnl_link_set_ns_fd(peer_link, peer_ns_fd);
  if (mtu > 0) {
    rtnl_link_set_mtu(link, static_cast<unsigned>(mtu));
    rtnl_link_set_mtu(peer_link, static_cast<unsigned>(mtu));
  }
  int err = rtnl_link_add(sock_.get(), link, NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(peer_link);
  rtnl_link_veth_release(link);
  if (err < 0) {
    return NlError(absl::StrCat("create veth ", name, " (peer ", peer,
                                " in namespace fd ", peer_ns_fd, ")"),
                   err);
  }
  return absl::OkStatus();
}

absl::Status Rtnl::SetUp(const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
      err < 0) {
    return NlError(absl::StrCat("find link ", name), err);
  }
  LinkPtr current(raw);
  LinkPtr change(rtnl_link_alloc());
  if (change == nullptr) return absl::ResourceExhaustedError("rtnl_link_alloc");
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock_.get(), current.get(), change.get(), 0);
      err < 0) {
    return NlError(absl::StrCat("set ", name, " up"), err);
  }
  return absl::OkStatus();
}

absl::Status Rtnl::AddAddress(const std::string& name, int family,
                              const std::string& address, int prefix_len,
                              int flags) {
  int ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (ifindex == 0) {
    return absl::NotFoundError(absl::StrCat("no interface ", name));
  }
  nl_addr* local = nullptr;
  if (int err = nl_addr_parse(address.c_str(), family, &local); err < 0) {
    return NlError(absl::StrCat("parse address ", address), err);
  }
  rtnl_addr* addr = rtnl_addr_alloc();
  if (addr == nullptr) {
    nl_addr_put(local);
    return absl::ResourceExhaustedError("rtnl_addr_alloc");
  }
  nl_addr_set_prefixlen(local, prefix_len);
  rtnl_addr_set_ifindex(addr, ifindex);
  int err = rtnl_addr_set_local(addr, local);
  if (err >= 0) {
    rtnl_addr_set_prefixlen(addr, prefix_len);
    if (flags != 0) rtnl_addr_set_flags(addr, static_cast<unsigned>(flags));
    err = rtnl_addr_add(sock_.get(), addr, 0);
  }
  rtnl_addr_put(addr);
  nl_addr_put(local);
  if (err < 0) {
    return NlError(absl::StrCat("add ", address, "/", prefix_len, " to ", name),
                   err);
  }
  return absl::OkStatus();
}

absl::Status Rtnl::AddIpv4(const std::string& name, const std::string& address,
                           int prefix_len) {
  return AddAddress(name, AF_INET, address, prefix_len, 0);
}

absl::Status Rtnl::AddIpv6(const std::string& name, const std::string& address,
                           int prefix_len) {
  return AddAddress(name, AF_INET6, address, prefix_len, IFA_F_NODAD);
}

absl::Status Rtnl::Delete(const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  if (link == nullptr) return absl::ResourceExhaustedError("rtnl_link_alloc");
  rtnl_link_set_name(link.get(), name.c_str());
  if (int err = rtnl_link_delete(sock_.get(), link.get()); err < 0) {
    return NlError(absl::StrCat("delete link ", name), err);
  }
  return absl::OkStatus();
}

}  // namespace copyscope::isolation
