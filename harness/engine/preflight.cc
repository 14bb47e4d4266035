#include "harness/engine/preflight.h"

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/plugins.h"
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

// Opens and closes one endpoint on a fresh loopback pair.
absl::Status TryOpen(EndpointSpec spec) {
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

}  // namespace

absl::Status CheckPluginOptions(const plugins::PluginSet& set,
                                const config::Plan& plan,
                                const RunnerConfig& config) {
  std::set<std::tuple<std::string, uint32_t, std::string>> tried;
  for (const config::CellSpec& cell : plan.cells) {
    absl::StatusOr<CellPlugins> plugins = Resolve(set, cell);
    if (!plugins.ok()) return plugins.status();
    for (Side side : {Side::kServer, Side::kClient}) {
      SidePlan p = PlanSide(cell, *plugins, side, config);
      const std::string options = OptionsText(p.endpoint.options);
      if (!tried.emplace(p.endpoint.transport_name, p.endpoint.role, options)
               .second) {
        continue;
      }
      absl::Status s = TryOpen(p.endpoint);
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--transport-opt: ", p.endpoint.transport_name,
            " refuses to open as ", RoleName(p.endpoint.role),
            options.empty() ? "" : absl::StrCat(" with ", options), ": ",
            s.message(),
            "; fix the value (copyscope list shows each option and its "
            "default)"));
      }
    }
  }
  return absl::OkStatus();
}

uint64_t LargestCellMemory(const plugins::PluginSet& set,
                           const config::Plan& plan,
                           const RunnerConfig& config) {
  uint64_t largest = 0;
  for (const config::CellSpec& cell : plan.cells) {
    absl::StatusOr<CellPlugins> plugins = Resolve(set, cell);
    if (!plugins.ok()) continue;
    uint64_t per_connection = 0;
    for (Side side : {Side::kServer, Side::kClient}) {
      per_connection += SideMemory(PlanSide(cell, *plugins, side, config));
    }
    largest =
        std::max(largest, per_connection * static_cast<uint64_t>(cell.threads));
  }
  return largest;
}

}  // namespace copyscope::engine
