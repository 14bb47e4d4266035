#include "harness/engine/preflight.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/engine/side.h"
#include "harness/engine/socket.h"

namespace copyscope::engine {
namespace {

std::string OptionsText(const config::OptionList& options) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : options) {
    parts.push_back(absl::StrCat(key, "=", value));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace

std::vector<OpenCheck> OpenChecks(const config::Plan& plan,
                                  const CapabilitiesOf& caps,
                                  const RunnerConfig& config) {
  std::vector<OpenCheck> out;
  std::set<std::tuple<std::string, uint32_t, std::string>> seen;
  for (const config::CellSpec& cell : plan.cells) {
    for (Side side : {Side::kServer, Side::kClient}) {
      SidePlan p = PlanSide(cell, caps(cell.transport), side, config);
      OpenCheck c;
      c.cell = cell;
      c.side = side;
      c.plugin = p.endpoint.transport_name;
      c.role = p.endpoint.role;
      c.options = OptionsText(p.endpoint.options);
      if (seen.emplace(c.plugin, c.role, c.options).second) {
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

absl::Status TryOpen(EndpointSpec spec) {
  if (spec.socket_type == CS_SOCKET_DATAGRAM) {
    // A datagram endpoint opens on a UDP socket connected to a bound one.
    absl::StatusOr<Listener> bound = BindUdp("127.0.0.1");
    if (!bound.ok()) return bound.status();
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(bound->port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd.valid() ||
        connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      return absl::InternalError("a loopback UDP socket for the check");
    }
    spec.fd = fd.get();
    return Endpoint::Open(spec).status();
  }
  absl::StatusOr<Listener> listener = ListenTcp("127.0.0.1");
  if (!listener.ok()) return listener.status();
  CancelSignal cancel;
  absl::StatusOr<UniqueFd> client =
      ConnectTcp("127.0.0.1", listener->port, cancel, absl::Seconds(5));
  if (!client.ok()) return client.status();
  absl::StatusOr<UniqueFd> server =
      AcceptTcp(listener->fd.get(), cancel, absl::Seconds(5));
  if (!server.ok()) return server.status();
  spec.fd = client->get();
  absl::StatusOr<Endpoint> ep = Endpoint::Open(spec);
  return ep.status();
}

absl::Status Refusal(const OpenCheck& c, const absl::Status& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "--transport-opt: ", c.plugin, " refuses to open as ", RoleName(c.role),
      c.options.empty() ? "" : absl::StrCat(" with ", c.options), ": ",
      why.message(),
      "; fix the value (copyscope list shows each option and its default)"));
}

uint64_t LargestCellMemory(const config::Plan& plan, const CapabilitiesOf& caps,
                           const RunnerConfig& config) {
  uint64_t largest = 0;
  for (const config::CellSpec& cell : plan.cells) {
    uint64_t per_connection = 0;
    for (Side side : {Side::kServer, Side::kClient}) {
      per_connection +=
          SideMemory(PlanSide(cell, caps(cell.transport), side, config));
    }
    largest =
        std::max(largest, per_connection * static_cast<uint64_t>(cell.threads));
  }
  return largest;
}

}  // namespace copyscope::engine
