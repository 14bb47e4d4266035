#include "harness/env/isolation/isolation.h"

#include <unistd.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/env/isolation/rtnl.h"

namespace copyscope::isolation {
namespace {

// Everything one side needs inside its own namespace: lo and the veth end
// up, the address on, offloads as asked, then what the kernel reports.
absl::Status ConfigureSide(Rtnl& nl, const Options& options, Side* side) {
  if (absl::Status s = nl.SetUp("lo"); !s.ok()) return s;
  if (absl::Status s = nl.SetUp(side->interface); !s.ok()) return s;
  if (absl::Status s =
          nl.AddIpv4(side->interface, side->address, side->prefix_len);
      !s.ok()) {
    return s;
  }
  // Not fatal: only inet6 cells need it, and they then fail saying why.
  if (!side->address6.empty()) {
    absl::Status s6 =
        nl.AddIpv6(side->interface, side->address6, side->prefix_len6);
    if (!s6.ok()) {
      side->address6_error = std::string(s6.message());
      side->address6.clear();
    }
  }
  const std::pair<const std::optional<bool>*, Offload> wanted[] = {
      {&options.gro, Offload::kGro},
      {&options.gso, Offload::kGso},
      {&options.tso, Offload::kTso},
  };
  for (const auto& [value, which] : wanted) {
    if (!value->has_value()) continue;
    if (absl::Status s = SetOffload(side->interface, which, **value); !s.ok()) {
      return s;
    }
  }
  side->offloads = ReadOffloads(side->interface);
  return absl::OkStatus();
}

std::string SideLine(const Side& side) {
  std::string ns = side.ns_fd >= 0 || side.ns_inode != 0
                       ? absl::StrCat("net:[", side.ns_inode, "]")
                       : std::string("caller's namespace");
  const std::string v6 =
      side.address6.empty()
          ? (side.address6_error.empty()
                 ? std::string()
                 : absl::StrCat(" (no IPv6: ", side.address6_error, ")"))
          : absl::StrCat(" ", side.address6, "/", side.prefix_len6);
  return absl::StrCat(side.interface, " ", side.address, "/", side.prefix_len,
                      v6, " in ", ns, "; ", side.offloads.ToString(),
                      side.offloads.error.empty()
                          ? ""
                          : absl::StrCat(" (", side.offloads.error, ")"));
}

}  // namespace

const char* ModeName(Mode mode) {
  return mode == Mode::kNetns ? "netns" : "loopback";
}

absl::StatusOr<Choice> Decide(Request request, const absl::Status& netns) {
  switch (request) {
    case Request::kLoopback:
      return Choice{Mode::kLoopback, "requested --isolation=loopback"};
    case Request::kNetns:
      if (netns.ok())
        return Choice{Mode::kNetns, "requested --isolation=netns"};
      return absl::FailedPreconditionError(absl::StrCat(
          "--isolation=netns: ", netns.message(),
          "; run `copyscope netns check` to see what is missing, or use "
          "--isolation=loopback"));
    case Request::kAuto:
      if (netns.ok()) {
        return Choice{Mode::kNetns, "auto: network namespaces permitted here"};
      }
      return Choice{Mode::kLoopback,
                    absl::StrCat("netns unavailable: ", netns.message())};
  }
  return absl::InvalidArgumentError("unknown isolation request");
}

absl::StatusOr<std::unique_ptr<Isolation>> Isolation::CreateNetns(
    const Options& options) {
  std::unique_ptr<Isolation> iso(new Isolation);
  iso->mode_ = Mode::kNetns;
  iso->reason_ = "netns created on request";
  iso->server_.address = kServerAddress;
  iso->client_.address = kClientAddress;
  iso->server_.prefix_len = kVethPrefixLen;
  iso->client_.prefix_len = kVethPrefixLen;
  iso->server_.address6 = kServerAddress6;
  iso->client_.address6 = kClientAddress6;
  iso->server_.prefix_len6 = kVethPrefixLen6;
  iso->client_.prefix_len6 = kVethPrefixLen6;

  // From here on, returning early closes whatever fds exist: the kernel then
  // destroys the namespaces and anything already created inside them.
  absl::StatusOr<int> fd = NewNamespace();
  if (!fd.ok()) return fd.status();
  iso->server_.ns_fd = *fd;
  fd = NewNamespace();
  if (!fd.ok()) return fd.status();
  iso->client_.ns_fd = *fd;
  for (Side* side : {&iso->server_, &iso->client_}) {
    absl::StatusOr<uint64_t> inode = NamespaceInode(side->ns_fd);
    if (!inode.ok()) return inode.status();
    side->ns_inode = *inode;
  }
  std::vector<std::string> refused;
  for (Side* side : {&iso->server_, &iso->client_}) {
    absl::Status s =
        WriteNamespaceSysctl(side->ns_fd, kOrphanRetriesSysctl, kOrphanRetries);
    if (!s.ok()) refused.push_back(std::string(s.message()));
  }
  // Not fatal: the namespaces still die with the process, only later when
  // a connection was closing at the time.
  iso->teardown_ =
      refused.empty()
          ? absl::StrCat("tcp_orphan_retries=", kOrphanRetries,
                         " in both namespaces")
          : absl::StrCat("tcp_orphan_retries left at the default (",
                         refused.front(),
                         "): after a kill the namespaces may outlive the "
                         "process by up to ~2 minutes");
  // Named after the server namespace's inode, which no other live namespace
  // on the machine shares (pids would repeat across pid namespaces):
  // "cs" + at most 8 hex digits + side = 11 characters at most.
  const std::string stem =
      absl::StrFormat("cs%x", static_cast<uint32_t>(iso->server_.ns_inode));
  iso->server_.interface = stem + "s";
  iso->client_.interface = stem + "c";

  Isolation* raw = iso.get();
  absl::Status status = RunInNamespace(raw->server_.ns_fd, [&] {
    absl::StatusOr<Rtnl> nl = Rtnl::Open();
    if (!nl.ok()) return nl.status();
    absl::Status s = nl->AddVeth(raw->server_.interface, raw->client_.interface,
                                 raw->client_.ns_fd, options.mtu);
    if (!s.ok()) return s;
    raw->veth_created_ = true;
    s = ConfigureSide(*nl, options, &raw->server_);
    if (!s.ok()) return s;
    absl::StatusOr<int> mtu = ReadMtu(raw->server_.interface);
    if (!mtu.ok()) return mtu.status();
    raw->mtu_ = *mtu;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  status = RunInNamespace(raw->client_.ns_fd, [&] {
    absl::StatusOr<Rtnl> nl = Rtnl::Open();
    if (!nl.ok()) return nl.status();
    return ConfigureSide(*nl, options, &raw->client_);
  });
  if (!status.ok()) return status;
  return iso;
}

std::unique_ptr<Isolation> Isolation::Loopback(std::string reason) {
  std::unique_ptr<Isolation> iso(new Isolation);
  iso->mode_ = Mode::kLoopback;
  iso->reason_ = std::move(reason);
  for (Side* side : {&iso->server_, &iso->client_}) {
    side->interface = "lo";
    side->address = "127.0.0.1";
    side->prefix_len = 8;
    side->address6 = "::1";
    side->prefix_len6 = 128;
    side->offloads = ReadOffloads("lo");
  }
  absl::StatusOr<int> mtu = ReadMtu("lo");
  iso->mtu_ = mtu.ok() ? *mtu : 0;
  return iso;
}

absl::StatusOr<std::unique_ptr<Isolation>> Isolation::Setup(
    Request request, const Options& options) {
  absl::StatusOr<std::unique_ptr<Isolation>> created =
      absl::UnavailableError("not attempted");
  if (request != Request::kLoopback) created = CreateNetns(options);
  absl::StatusOr<Choice> choice = Decide(request, created.status());
  if (!choice.ok()) return choice.status();
  if (choice->mode == Mode::kNetns) {
    (*created)->reason_ = std::move(choice->reason);
    return std::move(*created);
  }
  return Loopback(std::move(choice->reason));
}

Isolation::~Isolation() {
  absl::Status closed = Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "copyscope: tearing down isolation: %s\n",
                 closed.ToString().c_str());
  }
}

absl::Status Isolation::Close() {
  absl::Status status;
  if (server_.ns_fd >= 0 && veth_created_) {
    // Tidiness only: closing the fds below would take the veth with the
    // namespaces anyway.
    status = RunInNamespace(server_.ns_fd, [this]() -> absl::Status {
      absl::StatusOr<Rtnl> nl = Rtnl::Open();
      if (!nl.ok()) return nl.status();
      return nl->Delete(server_.interface);
    });
  }
  for (Side* side : {&server_, &client_}) {
    if (side->ns_fd >= 0) close(side->ns_fd);
    side->ns_fd = -1;
  }
  veth_created_ = false;
  return status;
}

absl::StatusOr<Offloads> Isolation::ReadOffloadsIn(const Side& side) const {
  if (mode_ == Mode::kNetns && side.ns_fd < 0) {
    return absl::FailedPreconditionError("isolation already closed");
  }
  Offloads out;
  absl::Status s = RunInNamespace(side.ns_fd, [&] {
    out = ReadOffloads(side.interface);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Offloads> Isolation::ReadServerOffloads() const {
  return ReadOffloadsIn(server_);
}

absl::StatusOr<Offloads> Isolation::ReadClientOffloads() const {
  return ReadOffloadsIn(client_);
}

std::string Isolation::Summary() const {
  return absl::StrCat(
      "isolation: ", ModeName(mode_), "\n", "reason: ", reason_, "\n",
      "server: ", SideLine(server_), "\n", "client: ", SideLine(client_), "\n",
      "mtu: ", mtu_, "\n",
      teardown_.empty() ? "" : absl::StrCat("teardown: ", teardown_, "\n"));
}

}  // namespace copyscope::isolation
