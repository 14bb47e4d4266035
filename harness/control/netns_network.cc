#include "harness/control/netns_network.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "harness/env/isolation/netns.h"

namespace copyscope::control {
namespace {

// Per-namespace sysctls that shape a transfer, read inside the server
// namespace.
constexpr const char* kNamespaceSysctls[] = {
    "net/ipv4/tcp_rmem",
    "net/ipv4/tcp_wmem",
    "net/ipv4/tcp_congestion_control",
    "net/core/optmem_max",
    "net/core/rmem_max",
    "net/core/wmem_max",
    "net/ipv4/tcp_orphan_retries",
};

const isolation::Side& SideOf(const isolation::Isolation& iso,
                              engine::Side side) {
  return side == engine::Side::kServer ? iso.server() : iso.client();
}

void AddOffloads(const std::string& prefix, const isolation::Offloads& off,
                 std::vector<std::pair<std::string, std::string>>* out) {
  const std::pair<const char*, const std::optional<bool>*> fields[] = {
      {"tso", &off.tso},
      {"gso", &off.gso},
      {"gro", &off.gro},
      {"sg", &off.sg},
      {"tx_checksum", &off.tx_checksum},
      {"rx_checksum", &off.rx_checksum},
  };
  for (const auto& [name, value] : fields) {
    if (value->has_value()) {
      out->emplace_back(absl::StrCat(prefix, name), **value ? "on" : "off");
    }
  }
  if (!off.error.empty()) {
    out->emplace_back(absl::StrCat(prefix, "offloads_error"), off.error);
  }
}

}  // namespace

std::string NetnsNetwork::Describe() const {
  if (iso_.mode() == isolation::Mode::kLoopback) {
    return absl::StrCat("loopback (", iso_.server().address, ")");
  }
  return absl::StrCat("netns+veth (", iso_.server().interface, " ",
                      iso_.server().address, "/", iso_.server().prefix_len,
                      " <-> ", iso_.client().interface, " ",
                      iso_.client().address, "/", iso_.client().prefix_len,
                      ", mtu ", iso_.mtu(), ")");
}

absl::Status NetnsNetwork::SetupThread(engine::Side side, int connection) {
  const isolation::Side& s = SideOf(iso_, side);
  if (iso_.mode() == isolation::Mode::kNetns && s.ns_fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(engine::SideName(side), " ", connection,
                     ": the isolation was closed before the cell ran"));
  }
  absl::Status entered = isolation::EnterNamespace(s.ns_fd);
  if (!entered.ok()) {
    return absl::Status(
        entered.code(),
        absl::StrCat("entering the ", engine::SideName(side), " namespace (",
                     engine::SideName(side), " ", connection,
                     "): ", entered.message()));
  }
  return absl::OkStatus();
}

std::string NetnsNetwork::ServerAddress(int) const {
  return iso_.server().address;
}

std::string NetnsNetwork::ServerAddress6(int) const {
  return iso_.server().address6;
}

std::vector<std::pair<std::string, std::string>> IsolationDetails(
    const isolation::Isolation& iso) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("interface", iso.server().interface);
  out.emplace_back("mtu", iso.mtu() > 0 ? absl::StrCat(iso.mtu()) : "unknown");
  for (engine::Side side : {engine::Side::kServer, engine::Side::kClient}) {
    const isolation::Side& s = SideOf(iso, side);
    const std::string p = absl::StrCat(engine::SideName(side), "_");
    out.emplace_back(p + "interface", s.interface);
    out.emplace_back(p + "address", absl::StrCat(s.address, "/", s.prefix_len));
    if (!s.address6.empty()) {
      out.emplace_back(p + "address6",
                       absl::StrCat(s.address6, "/", s.prefix_len6));
    } else if (!s.address6_error.empty()) {
      out.emplace_back(p + "address6",
                       absl::StrCat("none: ", s.address6_error));
    }
    if (s.ns_inode != 0) {
      out.emplace_back(p + "namespace", absl::StrCat("net:[", s.ns_inode, "]"));
    }
    AddOffloads(p, s.offloads, &out);
  }
  if (!iso.teardown().empty()) out.emplace_back("teardown", iso.teardown());
  // A new namespace starts from the kernel's defaults for its per-namespace
  // sysctls, not from the host's: record what the run's sockets saw.
  if (iso.mode() == isolation::Mode::kNetns && iso.server().ns_fd >= 0) {
    for (const char* key : kNamespaceSysctls) {
      absl::StatusOr<std::string> v =
          isolation::ReadNamespaceSysctl(iso.server().ns_fd, key);
      out.emplace_back(
          absl::StrCat("netns_sysctl.", absl::StrReplaceAll(key, {{"/", "."}})),
          v.ok() ? *v : absl::StrCat("unreadable: ", v.status().message()));
    }
  }
  return out;
}

}  // namespace copyscope::control
