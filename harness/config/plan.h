// From validated options and the loaded plugins to the list of cells a run
// measures: which transports (explicit, or every usable plugin), their
// --transport-opt values checked against the keys each plugin declares,
// the receive plugins of --recv (each usable and able to receive), and the
// cells in order (transport, then receive plugin, then size, then threads).
//
//   plugins::PluginSet set;
//   std::vector<std::string> notes;
//   absl::Status s = LoadPlugins(options.sources, &set, &notes);
//   absl::StatusOr<Plan> plan = MakePlan(options, set.plugins());
//   if (!plan.ok()) { /* one-line error, exit 2 */ }
//   for (const std::string& n : plan->notes) fprintf(stderr, "%s\n", ...);
//   for (const CellSpec& cell : plan->cells) RunCell(cell, ...);
//
// No transport is named here: the default set is whatever loaded with
// status ok; one that is not ok is skipped with a note, unless it was asked
// for by name or by --plugin, which is an error naming its reason.
#ifndef COPYSCOPE_HARNESS_CONFIG_PLAN_H_
#define COPYSCOPE_HARNESS_CONFIG_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/engine/runner.h"
#include "plugins/loader.h"

namespace copyscope::harness {

struct Plan {
  std::vector<std::string> transports;  // selected, in run order
  // --recv's plugins, in order (empty: each transport receives itself).
  std::vector<std::string> recv_transports;
  std::vector<CellSpec> cells;
  std::vector<std::string> notes;  // one line each, e.g. skipped plugins
};

// Loads the in-tree plugins of the runfiles, then --plugin-dir and --plugin.
// A missing in-tree directory adds a note; an unreadable --plugin-dir is an
// error. Plugins that fail to load are recorded in `set`, not errors here.
absl::Status LoadPlugins(const PluginSources& sources, plugins::PluginSet* set,
                         std::vector<std::string>* notes);

absl::StatusOr<Plan> MakePlan(const RunOptions& options,
                              const std::vector<plugins::Plugin>& plugins);

}  // namespace copyscope::harness

#endif  // COPYSCOPE_HARNESS_CONFIG_PLAN_H_
