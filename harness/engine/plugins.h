// The plugins a side can run: loading them (the in-tree ones of the
// runfiles, --plugin-dir, --plugin), describing them for the plan, the
// record and `copyscope list` (record::PluginInfo: status, version,
// capabilities, options, SHA-256 of the file), and resolving a cell's
// plugin names to the loaded descriptors.
//
//   plugins::PluginSet set;
//   std::vector<std::string> notes;
//   absl::Status s = LoadPlugins(sources, &set, &notes);
//   std::vector<record::PluginInfo> info = DescribePlugins(set);
//   absl::StatusOr<CellPlugins> p = Resolve(set, cell);   // for RunCell
#ifndef COPYSCOPE_HARNESS_ENGINE_PLUGINS_H_
#define COPYSCOPE_HARNESS_ENGINE_PLUGINS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"
#include "plugins/loader.h"

namespace copyscope::engine {

// Loads the in-tree plugins of the runfiles, then --plugin-dir and --plugin.
// A missing in-tree directory adds a note; an unreadable --plugin-dir is an
// error. Plugins that fail to load are recorded in `set`, not errors here.
absl::Status LoadPlugins(const config::PluginSources& sources,
                         plugins::PluginSet* set,
                         std::vector<std::string>* notes);

// One PluginInfo per plugin of the set, in load order.
std::vector<record::PluginInfo> DescribePlugins(const plugins::PluginSet& set);
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
