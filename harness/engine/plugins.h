// The plugins a side runs: describing a loaded one for the plan, the
// record and `copyscope list` (record::PluginInfo: status, version,
// capabilities, options, SHA-256 of the file), and resolving a cell's
// plugin names to the loaded descriptors. Loading happens in an agent
// process (harness/control/agent.h), never in the controller.
//
//   plugins::PluginSet set;
//   record::PluginInfo info = Describe(set.LoadFile(path));
//   absl::StatusOr<CellPlugins> p = Resolve(set, cell);   // for RunCell
#ifndef COPYSCOPE_HARNESS_ENGINE_PLUGINS_H_
#define COPYSCOPE_HARNESS_ENGINE_PLUGINS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/plan.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"
#include "plugins/loader.h"

namespace copyscope::engine {

// One plugin as the record and `copyscope list` show it.
record::PluginInfo Describe(const plugins::Plugin& plugin);

// The CS_CAP_* bits by name: "scatter_gather", "recv", ...; unknown bits
// as one hexadecimal entry.
std::vector<std::string> CapabilityNames(uint64_t capabilities);

// The usable plugins a cell names. A name that is not loaded or not usable
// is FailedPrecondition naming it.
absl::StatusOr<CellPlugins> Resolve(const plugins::PluginSet& set,
                                    const config::CellSpec& cell);

}  // namespace copyscope::engine

#endif  // COPYSCOPE_HARNESS_ENGINE_PLUGINS_H_
