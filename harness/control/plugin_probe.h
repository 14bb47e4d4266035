// Plugin discovery and the checks of a plan, with every call into plugin
// code made by a short-lived agent process (agent.h), never by the
// controller: `copyscope list` and `copyscope run` stay up whatever a
// plugin does in dlopen(), entry(), probe() or open().
//
//   std::vector<std::string> notes;
//   absl::StatusOr<std::vector<std::string>> files =
//       PluginFiles(options.sources, &notes);
//   ProbeOptions probe;                          // 5 s per plugin
//   std::vector<record::PluginInfo> plugins = ProbePlugins(*files, probe);
//   // a plugin whose probe aborts: rejected, "probe crashed (SIGABRT)";
//   // one that never returns: rejected, "probe did not answer in 5s"
//   absl::Status s = CheckPlan(plan, plugins, runner, probe, &notes);
#ifndef COPYSCOPE_HARNESS_CONTROL_PLUGIN_PROBE_H_
#define COPYSCOPE_HARNESS_CONTROL_PLUGIN_PROBE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/control/agent_process.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

// The candidate files, in load order: the in-tree plugins of the runfiles,
// then every *.so below each --plugin-dir, then each --plugin. A missing
// in-tree directory adds a note; an unreadable --plugin-dir is an error.
absl::StatusOr<std::vector<std::string>> PluginFiles(
    const config::PluginSources& sources, std::vector<std::string>* notes);

struct ProbeOptions {
  AgentLaunch launch;  // no namespace: probing happens here
  absl::Duration deadline = absl::Seconds(5);  // per plugin
};

// One PluginInfo per file, in order, as the loader describes it (status
// ok, unavailable or rejected). A file whose loading or probe kills the
// agent is rejected "probe crashed (SIGABRT)" (or "probe exited (status
// N)"), one that does not answer within the deadline "probe did not
// answer in 5s"; the agent is replaced and the next file goes on. A name
// already taken by an earlier plugin is rejected as a duplicate.
std::vector<record::PluginInfo> ProbePlugins(
    const std::vector<std::string>& files, const ProbeOptions& options);

// Opens, in an agent, every distinct (plugin, role, options) endpoint of
// the plan once with its cell's options, and closes it. A refusal is the
// InvalidArgument of engine::Refusal. A plugin that crashes or hangs while
// opening is not an error here: a note says so, and its cells will run and
// be recorded as they end.
absl::Status CheckPlan(const config::Plan& plan,
                       const std::vector<record::PluginInfo>& plugins,
                       const engine::RunnerConfig& runner,
                       const ProbeOptions& options,
                       std::vector<std::string>* notes);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_PLUGIN_PROBE_H_
