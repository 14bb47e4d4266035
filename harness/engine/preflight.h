// Checks a plan before any cell runs, so that a value a plugin refuses or
// a cell too big for the machine is an error up front, not an hour into a
// sweep.
//
//   // Controller: the endpoints to try, each distinct (plugin, role,
//   // options) once; an agent opens each (TryOpen) and says how it went.
//   for (const OpenCheck& c : OpenChecks(plan, caps, config)) {
//     absl::Status s = agent.Check(c.cell, c.side);
//     if (!s.ok()) return UsageError(Refusal(c, s));  // names the fix
//   }
//   uint64_t need = LargestCellMemory(plan, caps, config);
//
// `caps` gives a plugin's CS_CAP_* bits by name (0 when unknown).
#ifndef COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_
#define COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "harness/config/plan.h"
#include "harness/engine/endpoint.h"
#include "harness/engine/runner.h"

namespace copyscope::engine {

using CapabilitiesOf = std::function<uint64_t(const std::string& plugin)>;

// One endpoint of a plan to open once: the side of `cell` that opens it.
struct OpenCheck {
  config::CellSpec cell;
  Side side = Side::kServer;
  std::string plugin;   // the endpoint's plugin
  uint32_t role = 0;    // enum cs_role
  std::string options;  // "key=value,..."
};

// Every distinct (plugin, role, options) of the plan, in plan order.
std::vector<OpenCheck> OpenChecks(const config::Plan& plan,
                                  const CapabilitiesOf& caps,
                                  const RunnerConfig& config);

// Opens and closes `spec` (its fd unset) on a fresh loopback TCP pair.
absl::Status TryOpen(EndpointSpec spec);

// InvalidArgument naming the plugin, its role and options, why it refused,
// and the fix.
absl::Status Refusal(const OpenCheck& check, const absl::Status& why);

// The memory the largest cell of the plan takes for its messages (every
// connection's send pool and receive buffer, both sides), in bytes.
uint64_t LargestCellMemory(const config::Plan& plan, const CapabilitiesOf& caps,
                           const RunnerConfig& config);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_
