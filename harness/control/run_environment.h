// What surrounds the cells of one `copyscope run`: the isolation (one
// Isolation for the whole run: --isolation, --mtu), the CPU topology and
// the pinning plan of every cell size (--pin-server, --pin-client,
// --pin-fallback, --topology-xml, --dry-run), and the counters
// (--counters, --counters-scope). It turns the flags into what the agents
// of the run's sides are started with and told per cell (AgentSettings:
// namespace, address, CPUs, counters), fills the run record's RunContext,
// and prints what a user must know once (e.g. which counters are missing).
//
//   absl::StatusOr<std::unique_ptr<RunEnvironment>> env =
//       RunEnvironment::Prepare(options, plan);   // validates; no side effect
//   if (!env.ok()) return UsageError(env.status());          // exit 2
//   if (options.dry_run) return (*env)->DryRun(plan);        // 0 or 2
//   absl::Status s = (*env)->Start(&context);  // namespaces, counters probe
//   if (!s.ok()) return UsageError(s);         // --isolation=netns refused
//   AgentSides sides((*env)->AgentSettings(runner, plugins));
//   RunSweep(plan, config, sides, ...);
//   fputs(FormatRunReport(run).c_str(), stdout);  // perf_report.h
//
// The Isolation lives as long as this object; its namespaces and veth die
// with the process however it ends (see harness/env/isolation/README.md).
#ifndef COPYSCOPE_HARNESS_CONTROL_RUN_ENVIRONMENT_H_
#define COPYSCOPE_HARNESS_CONTROL_RUN_ENVIRONMENT_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/control/agent_sides.h"
#include "harness/control/netns_network.h"
#include "harness/engine/counter_hooks.h"
#include "harness/engine/runner.h"
#include "harness/env/isolation/isolation.h"
#include "harness/env/topology/pinning.h"
#include "harness/env/topology/topology.h"
#include "harness/record/record.h"
#include "perfmon/counter_group.h"

namespace copyscope::control {

class RunEnvironment {
 public:
  // Checks every flag above and plans the pinning of each thread count of
  // `plan`, without creating anything. Errors are one-line InvalidArguments
  // naming the flag and the fix. With --dry-run a plan that cannot be made
  // is kept as that thread count's error instead.
  static absl::StatusOr<std::unique_ptr<RunEnvironment>> Prepare(
      const config::RunOptions& options, const config::Plan& plan);

  // --dry-run: prints what would run and, per thread count, the CPUs of the
  // server and client threads (or that line's error) on stdout. Returns the
  // exit code: 0, or 2 if some thread count could not be planned.
  int DryRun(const config::Plan& plan) const;

  // Creates the isolation (once for the run), the hooks, and probes the
  // counters; prints the isolation, pinning and missing-counter lines on
  // stderr and fills `context`. Fails only when --isolation=netns cannot
  // be had (FailedPrecondition, pointing at `copyscope netns check`).
  absl::Status Start(record::RunContext* context);

  // Two hosts: this host's address on the path to the peer, set before
  // Start(), so the record names the interface the data crosses here.
  void SetLocalDataAddress(const std::string& address) {
    local_data_address_ = address;
  }

  // Valid after Start(), for as long as this object lives.
  engine::Network& network() { return *network_; }
  const isolation::Isolation& isolation() const { return *isolation_; }

  // What the run's agents need, after Start(): each side's namespace (its
  // fd stays valid while this object lives), the server address, the CPUs
  // of every thread count's threads, and the counters.
  AgentRunSettings AgentSettings(
      const engine::RunnerConfig& runner,
      const std::vector<record::PluginInfo>& plugins) const;

  // The pinning plan of cells with n connections (nullptr: unpinned).
  const topology::PinPlan* PlanFor(int connections) const;

  // One line per thread count, e.g. "threads 2: server 0,2 (P-core) |
  // client 16,17 (E-core)"; "" when nothing is pinned.
  std::string PinPlanText() const;

 private:
  RunEnvironment() = default;

  // Flags, validated.
  std::string peer_;  // --peer: one side on another host, no namespaces
  std::string local_data_address_;
  isolation::Request isolation_request_ = isolation::Request::kAuto;
  isolation::Options isolation_options_;
  perfmon::CounterOptions counter_options_;
  config::CounterSelection counters_;
  bool cpu_scope_ = false;
  topology::PinOptions pin_options_;
  bool pinned_ = false;  // some role has a policy other than none
  // The topology (live, or --topology-xml), or why it could not be read.
  std::optional<topology::Topology> topology_;
  std::string topology_error_;
  // Per thread count: the plan, or (dry run) why there is none.
  std::map<int, topology::PinPlan> plans_;
  std::map<int, std::string> plan_errors_;
  std::vector<int> thread_counts_;

  // Made by Start().
  std::unique_ptr<isolation::Isolation> isolation_;
  std::unique_ptr<NetnsNetwork> network_;
  std::vector<int> allowed_cpus_;  // CPU scope: the CPUs of unpinned roles
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_RUN_ENVIRONMENT_H_
