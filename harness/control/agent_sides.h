// The sweep's Sides (sweep.h) in agent processes: a server agent in the
// server's network namespace and a client agent in the client's, started
// when first needed and kept from sample to sample while they are healthy.
// An agent that crashed, exited, hung or left a thread inside a plugin is
// replaced by a fresh one for the next sample; the samples before keep
// their results.
//
//   AgentRunSettings settings = ...;   // RunEnvironment::AgentSettings()
//   AgentSides sides(settings);
//   RunSweep(plan, config, sides, &run, save);
#ifndef COPYSCOPE_HARNESS_CONTROL_AGENT_SIDES_H_
#define COPYSCOPE_HARNESS_CONTROL_AGENT_SIDES_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/control/agent_connection.h"
#include "harness/control/agent_process.h"
#include "harness/control/control.pb.h"
#include "harness/control/sweep.h"
#include "harness/engine/runner.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

// Starts or reaches one side's agent.
using AgentFactory =
    std::function<absl::StatusOr<std::unique_ptr<AgentConnection>>()>;

struct AgentRunSettings {
  AgentLaunch server_launch;  // netns_fd: the server's namespace
  AgentLaunch client_launch;
  // When set, instead of starting a child with the launch above (an agent
  // on another host).
  AgentFactory server_factory;
  AgentFactory client_factory;
  // The host each side runs on, as the CPU load is recorded; a host's load
  // is measured by one agent only.
  std::string server_host = "local";
  std::string client_host = "local";
  bool server_host_load = true;
  bool client_host_load = false;
  // A side on the peer: this host's CPUs mean nothing there.
  bool server_remote = false;
  bool client_remote = false;
  // A peer's plugin may differ from this host's (--allow-mismatch).
  bool allow_mismatch = false;
  std::string server_address;
  std::string server_address6;  // inet6 cells; "": none
  engine::RunnerConfig runner;
  // The run's plugins (as probed); cells name them.
  std::vector<record::PluginInfo> plugins;
  Counters counters;  // its server_cpus/client_cpus are set per cell
  // Per number of connections: the CPU of each connection's server and
  // client thread (-1: not pinned). A count that is absent: unpinned.
  std::map<int, std::vector<int>> server_cpus;
  std::map<int, std::vector<int>> client_cpus;
  // Lines of agent output kept per side and sample.
  size_t output_lines = 10;
};

class AgentSides final : public Sides {
 public:
  explicit AgentSides(AgentRunSettings settings);
  ~AgentSides() override;

  engine::CellResult RunSample(const config::CellSpec& cell,
                               const SampleRequest& request) override;

  // Agents started so far (the first two, plus one per replacement).
  int agents_started() const { return started_; }

 private:
  Prepare PrepareFor(const config::CellSpec& cell, engine::Side side,
                     const engine::RunnerConfig& runner) const;
  uint64_t Capabilities(const std::string& plugin) const;

  const AgentRunSettings settings_;
  std::unique_ptr<AgentConnection> server_;
  std::unique_ptr<AgentConnection> client_;
  int started_ = 0;
};

// A plugin's CS_CAP_* bits from its description.
uint64_t CapabilityBits(const record::PluginInfo& info);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_SIDES_H_
