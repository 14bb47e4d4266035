// Checks a plan against the plugins before any cell runs, so that a value a
// plugin refuses or a cell too big for the machine is an error up front,
// not an hour into a sweep.
//
//   absl::Status s = CheckPluginOptions(set, plan, runner_config);
//   if (!s.ok()) return UsageError(s);   // names the plugin and its options
//   uint64_t need = LargestCellMemory(plugins_by_name, plan, runner_config);
//
// CheckPluginOptions opens, on a connected loopback TCP pair, an endpoint of
// every plugin of the plan in every role it takes (sender, receiver, both),
// with the cell's options and limits, and closes it at once. Each distinct
// combination is opened once.
#ifndef COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_
#define COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "harness/config/plan.h"
#include "harness/engine/runner.h"
#include "plugins/loader.h"

namespace copyscope::engine {

// InvalidArgument naming the plugin, its options and the fix when a plugin
// refuses to open with them.
absl::Status CheckPluginOptions(const plugins::PluginSet& set,
                                const config::Plan& plan,
                                const RunnerConfig& config);

// The memory the largest cell of the plan takes for its messages (every
// connection's send pool and receive buffer, both sides), in bytes.
uint64_t LargestCellMemory(const plugins::PluginSet& set,
                           const config::Plan& plan,
                           const RunnerConfig& config);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_PREFLIGHT_H_
