#include "harness/control/agent_sides.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/control/agent_side.h"
#include "harness/control/wire.h"
#include "harness/engine/cell_driver.h"
#include "harness/engine/plugins.h"
#include "harness/engine/side.h"

namespace copyscope::control {
namespace {

engine::CellResult Failed(absl::Status status) {
  engine::CellResult r;
  r.status = std::move(status);
  r.sample.set_status(engine::SampleStatus(r.status));
  return r;
}

}  // namespace

uint64_t CapabilityBits(const record::PluginInfo& info) {
  uint64_t bits = 0;
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    std::vector<std::string> names = engine::CapabilityNames(bit);
    if (names.size() == 1 &&
        std::find(info.capabilities().begin(), info.capabilities().end(),
                  names.front()) != info.capabilities().end()) {
      bits |= bit;
    }
  }
  return bits;
}

AgentSides::AgentSides(AgentRunSettings settings)
    : settings_(std::move(settings)) {}

AgentSides::~AgentSides() = default;

uint64_t AgentSides::Capabilities(const std::string& plugin) const {
  for (const record::PluginInfo& p : settings_.plugins) {
    if (p.name() == plugin && p.status() == "ok") return CapabilityBits(p);
  }
  return 0;
}

Prepare AgentSides::PrepareFor(const config::CellSpec& cell, engine::Side side,
                               const engine::RunnerConfig& runner) const {
  Prepare p;
  *p.mutable_cell() = CellOf(cell);
  p.set_side(engine::SideName(side));
  *p.mutable_runner() = RunnerOf(runner);
  for (const record::PluginInfo& info : settings_.plugins) {
    if (info.status() != "ok") continue;
    if (info.name() != cell.transport && info.name() != cell.recv_transport &&
        info.name() != cell.background.transport) {
      continue;
    }
    PluginRef* ref = p.add_plugins();
    ref->set_name(info.name());
    ref->set_path(info.path());
    ref->set_sha256(info.sha256());
  }
  p.set_server_address(settings_.server_address);
  p.set_server_address6(settings_.server_address6);
  auto cpus = [&](const std::map<int, std::vector<int>>& by_count,
                  google::protobuf::RepeatedField<int32_t>* out) {
    auto it = by_count.find(cell.threads);
    if (it != by_count.end()) out->Add(it->second.begin(), it->second.end());
  };
  if (!settings_.server_remote) {
    cpus(settings_.server_cpus, p.mutable_server_cpus());
  }
  if (!settings_.client_remote) {
    cpus(settings_.client_cpus, p.mutable_client_cpus());
  }
  *p.mutable_counters() = settings_.counters;
  const bool server = side == engine::Side::kServer;
  p.set_host_load(server ? settings_.server_host_load
                         : settings_.client_host_load);
  p.set_host(server ? settings_.server_host : settings_.client_host);
  p.set_allow_mismatch(settings_.allow_mismatch);
  // CPU scope counts the CPUs each role is pinned to.
  for (int cpu : p.server_cpus()) {
    if (cpu >= 0) p.mutable_counters()->add_server_cpus(cpu);
  }
  for (int cpu : p.client_cpus()) {
    if (cpu >= 0) p.mutable_counters()->add_client_cpus(cpu);
  }
  return p;
}

engine::CellResult AgentSides::RunSample(const config::CellSpec& cell,
                                         const SampleRequest& request) {
  engine::RunnerConfig runner = settings_.runner;  // this sample's warm-up
  runner.warmup = request.warmup;
  runner.warmup_messages = request.warmup_messages;
  for (auto [agent, launch, factory, side] :
       {std::make_tuple(&server_, &settings_.server_launch,
                        &settings_.server_factory, "server"),
        std::make_tuple(&client_, &settings_.client_launch,
                        &settings_.client_factory, "client")}) {
    if (*agent != nullptr) continue;
    absl::StatusOr<std::unique_ptr<AgentConnection>> a =
        *factory ? (*factory)()
                 : absl::StatusOr<std::unique_ptr<AgentConnection>>(
                       AgentProcess::Spawn(*launch));
    if (!a.ok()) {
      engine::CellResult r = Failed(absl::Status(
          a.status().code(), absl::StrCat("could not start the ", side,
                                          " agent: ", a.status().message())));
      r.fatal = true;
      return r;
    }
    *agent = *std::move(a);
    ++started_;
  }
  server_->ClearOutput();
  client_->ClearOutput();
  const uint64_t caps = Capabilities(cell.transport);
  auto plugin = [&](engine::Side side) {
    return engine::PlanSide(cell, caps, side, settings_.runner)
        .endpoint.transport_name;
  };
  AgentSide server(server_.get(),
                   PrepareFor(cell, engine::Side::kServer, runner),
                   plugin(engine::Side::kServer), engine::Side::kServer);
  AgentSide client(client_.get(),
                   PrepareFor(cell, engine::Side::kClient, runner),
                   plugin(engine::Side::kClient), engine::Side::kClient);
  engine::CellResult r = engine::DriveCell(runner, server, client);
  for (auto [agent, side] : {std::make_pair(server_.get(), "server"),
                             std::make_pair(client_.get(), "client")}) {
    agent->Poll();
    for (const std::string& line : agent->OutputTail(settings_.output_lines)) {
      r.sample.add_output(absl::StrCat(side, ": ", line));
    }
  }
  if (server.spent()) server_.reset();
  if (client.spent()) client_.reset();
  return r;
}

}  // namespace copyscope::control
