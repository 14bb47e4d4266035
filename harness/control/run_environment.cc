#include "harness/control/run_environment.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/env/isolation/interface.h"
#include "harness/env/topology/affinity.h"
#include "perfmon/cpu_scope.h"
#include "perfmon/summary.h"

namespace copyscope::control {
namespace {

absl::Status Bad(absl::string_view flag, absl::string_view value,
                 absl::string_view problem, absl::string_view fix) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, "=", value, ": ", problem, "; ", fix));
}

// "0,2 (P-core)" for the CPUs one role of a plan uses, in connection order.
std::string RoleCpus(const topology::PinPlan& plan, bool server,
                     const topology::Topology& topo) {
  std::vector<std::string> cpus;
  std::set<std::string> kinds;
  for (const topology::Placement& p : plan.placements) {
    int cpu = server ? p.server_cpu : p.client_cpu;
    if (cpu == topology::kUnpinned) return "unpinned";
    cpus.push_back(absl::StrCat(cpu));
    if (const topology::LogicalCpu* c = topo.FindCpu(cpu)) {
      kinds.insert(std::string(topology::CoreClassName(c->core_class)));
    }
  }
  return absl::StrCat(absl::StrJoin(cpus, ","), " (", absl::StrJoin(kinds, "+"),
                      ")");
}

std::string PinFlags(const topology::PinOptions& o) {
  return absl::StrCat("--pin-server=", o.server.ToString(),
                      " --pin-client=", o.client.ToString(),
                      " --pin-fallback=", config::PinFallbackName(o.fallback));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunEnvironment>> RunEnvironment::Prepare(
    const config::RunOptions& options, const config::Plan& plan) {
  std::unique_ptr<RunEnvironment> env(new RunEnvironment);
  env->peer_ = options.peer;
  env->isolation_request_ = options.isolation;
  env->isolation_options_.mtu = options.mtu;

  absl::StatusOr<perfmon::CounterOptions> counters =
      engine::MakeCounterOptions(options.counters);
  if (!counters.ok()) return counters.status();
  env->counter_options_ = *std::move(counters);
  env->counters_ = options.counters;
  env->cpu_scope_ = options.counters_scope == config::CountersScope::kCpu;
  env->pin_options_ = options.pin;
  env->pinned_ = options.pin.server.kind != topology::PolicyKind::kNone ||
                 options.pin.client.kind != topology::PolicyKind::kNone;

  if (!options.topology_xml.empty() && !options.dry_run) {
    return Bad("--topology-xml", options.topology_xml,
               "describes another machine, and pinning this run to its CPUs "
               "makes no sense",
               "add --dry-run to see the plan, or drop --topology-xml to run "
               "here");
  }
  absl::StatusOr<topology::Topology> topo =
      topology::Topology::Load(options.topology_xml);
  if (topo.ok()) {
    env->topology_ = *std::move(topo);
  } else if (!options.topology_xml.empty() || env->pinned_) {
    return absl::InvalidArgumentError(absl::StrCat(
        topo.status().message(),
        env->pinned_ ? " (needed by --pin-server/--pin-client)" : ""));
  } else {
    env->topology_error_ = std::string(topo.status().message());
  }

  std::set<int> counts;
  for (const config::CellSpec& cell : plan.cells) counts.insert(cell.threads);
  env->thread_counts_.assign(counts.begin(), counts.end());
  if (env->pinned_) {
    for (int n : env->thread_counts_) {
      absl::StatusOr<topology::PinPlan> p =
          topology::PlanPinning(*env->topology_, options.pin, n);
      if (p.ok()) {
        env->plans_[n] = *std::move(p);
      } else if (options.dry_run) {
        env->plan_errors_[n] = std::string(p.status().message());
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("threads=", n, ": ", p.status().message()));
      }
    }
  }
  return env;
}

const topology::PinPlan* RunEnvironment::PlanFor(int connections) const {
  auto it = plans_.find(connections);
  return it == plans_.end() ? nullptr : &it->second;
}

std::string RunEnvironment::PinPlanText() const {
  if (!pinned_) return "";
  std::string out;
  for (int n : thread_counts_) {
    absl::StrAppend(&out, "threads ", n, ": ");
    if (const topology::PinPlan* p = PlanFor(n)) {
      absl::StrAppend(&out, "server ", RoleCpus(*p, true, *topology_),
                      " | client ", RoleCpus(*p, false, *topology_), "\n");
      for (const std::string& note : p->fallback_notes) {
        absl::StrAppend(&out, "  fallback: ", note, "\n");
      }
    } else {
      auto e = plan_errors_.find(n);
      absl::StrAppend(&out, "error: ",
                      e == plan_errors_.end() ? "no plan" : e->second, "\n");
    }
  }
  return out;
}

int RunEnvironment::DryRun(const config::Plan& plan) const {
  std::set<std::string> transports;
  std::set<uint64_t> sizes;
  std::set<std::string> backgrounds;
  std::set<config::Family> families;
  for (const config::CellSpec& c : plan.cells) {
    transports.insert(c.transport);
    sizes.insert(c.size);
    backgrounds.insert(c.background.Text());
    families.insert(c.family);
  }
  std::string recv =
      plan.recv_transports.empty()
          ? ""
          : absl::StrCat(" x ", plan.recv_transports.size(), " receive sides");
  const std::string background =
      backgrounds.size() < 2 && backgrounds.count("none")
          ? ""
          : absl::StrCat(" x ", backgrounds.size(), " backgrounds");
  if (families.size() > 1) {
    absl::StrAppend(&recv, " x ", families.size(), " address families");
  }
  std::printf(
      "dry run: %zu cells (%zu transports%s x %zu sizes x %zu thread "
      "counts%s); nothing runs\n",
      plan.cells.size(), transports.size(), recv.c_str(), sizes.size(),
      thread_counts_.size(), background.c_str());
  if (topology_) {
    std::printf("topology: %s: %s\n", topology_->source().c_str(),
                topology_->Summary().c_str());
  } else {
    std::printf("topology: unknown (%s)\n", topology_error_.c_str());
  }
  std::printf(
      "isolation: --isolation=%s (no namespace is created in a dry run)\n",
      config::IsolationName(isolation_request_));
  std::printf("counters: --counters=%s, %s scope\n",
              counters_.ToString().c_str(), cpu_scope_ ? "CPU" : "thread");
  if (!pinned_) {
    std::printf(
        "pinning: none (threads go where the scheduler puts them; where they "
        "ran is recorded)\n");
    return 0;
  }
  std::printf("pinning: %s\n%s", PinFlags(pin_options_).c_str(),
              PinPlanText().c_str());
  for (int n : thread_counts_) {
    if (const topology::PinPlan* p = PlanFor(n)) {
      std::printf("\n%s", topology::FormatPlan(*p, *topology_).c_str());
    }
  }
  if (!plan_errors_.empty()) {
    std::fprintf(stderr,
                 "copyscope: %zu of %zu thread counts cannot be planned "
                 "(see the error lines above)\n",
                 plan_errors_.size(), thread_counts_.size());
    return 2;
  }
  return 0;
}

absl::Status RunEnvironment::Start(record::RunContext* context) {
  // Isolation: once for the run.
  if (!peer_.empty()) {
    // Two hosts: the peer's side is elsewhere, this host's in its own
    // namespace.
    isolation_ = isolation::Isolation::Loopback(
        absl::StrCat("two hosts (--peer=", peer_, ")"));
  } else {
    absl::StatusOr<std::unique_ptr<isolation::Isolation>> iso =
        isolation::Isolation::Setup(isolation_request_, isolation_options_);
    if (!iso.ok()) return iso.status();
    isolation_ = *std::move(iso);
  }
  network_ = std::make_unique<NetnsNetwork>(*isolation_);
  std::fprintf(stderr, "isolation: %s: %s\n",
               peer_.empty() ? network_->Describe().c_str()
                             : "this host's side runs here, unisolated",
               isolation_->reason().c_str());
  context->isolation_mode =
      peer_.empty() ? isolation::ModeName(isolation_->mode()) : "two-hosts";
  context->isolation_reason = isolation_->reason();
  context->isolation_details = IsolationDetails(*isolation_);
  if (!peer_.empty()) {
    // The data leave through the interface holding this host's address on
    // the peer's path, not through lo.
    absl::StatusOr<std::string> here =
        isolation::InterfaceWithAddress(local_data_address_);
    context->isolation_details = {{"interface", here.ok() ? *here : "unknown"},
                                  {"local_address", local_data_address_}};
    if (!here.ok()) {
      context->notes.push_back(absl::StrCat(
          "the data interface here is unknown: ", here.status().message()));
    }
  }

  // Topology and pinning; placement is recorded even when nothing is pinned.
  context->topology_summary = topology_
                                  ? topology_->Summary()
                                  : absl::StrCat("unknown: ", topology_error_);
  if (pinned_) {
    context->pin_plan =
        absl::StrCat(PinFlags(pin_options_), "\n", PinPlanText());
    std::fprintf(stderr, "pinning: %s\n%s", PinFlags(pin_options_).c_str(),
                 PinPlanText().c_str());
    for (const auto& [n, p] : plans_) {
      for (const std::string& note : p.fallback_notes) {
        context->notes.push_back(
            absl::StrCat("pinning fallback (threads ", n, "): ", note));
      }
    }
  } else {
    context->pin_plan = "none (placement tracked)";
  }
  // Counters, and the one line on what they cannot count here.
  std::vector<perfmon::Reading> missing;
  if (!counter_options_.events.empty()) {
    if (cpu_scope_) {
      absl::StatusOr<std::vector<int>> all =
          topology::CurrentThreadAllowedCpus();
      allowed_cpus_ = all.ok() ? *all : std::vector<int>{};
      if (!allowed_cpus_.empty()) {
        absl::StatusOr<perfmon::CpuScopeCounters> probe =
            perfmon::CpuScopeCounters::Open(counter_options_,
                                            {allowed_cpus_.front()});
        if (probe.ok()) missing = probe->Unsupported();
      }
      context->notes.push_back(
          "counters: CPU scope (system-wide on the CPUs the roles are pinned "
          "to, else on every CPU; recorded on connection 0)");
    } else {
      absl::StatusOr<perfmon::CounterGroup> probe =
          perfmon::CounterGroup::Open(counter_options_);
      if (probe.ok()) missing = probe->Unsupported();
    }
  }
  std::string line = perfmon::UnsupportedSummary(missing);
  if (!line.empty()) {
    std::fprintf(stderr, "note: %s\n", line.c_str());
    context->notes.push_back(line);
  }
  return absl::OkStatus();
}

AgentRunSettings RunEnvironment::AgentSettings(
    const engine::RunnerConfig& runner,
    const std::vector<record::PluginInfo>& plugins) const {
  AgentRunSettings s;
  s.server_launch.netns_fd = isolation_->server().ns_fd;
  s.client_launch.netns_fd = isolation_->client().ns_fd;
  s.server_address = isolation_->server().address;
  s.server_address6 = isolation_->server().address6;
  s.runner = runner;
  s.plugins = plugins;
  Counters& c = s.counters;
  switch (counters_.kind) {
    case config::CounterSelection::Kind::kAuto:
      c.set_selection("auto");
      break;
    case config::CounterSelection::Kind::kNone:
      c.set_selection("none");
      break;
    case config::CounterSelection::Kind::kDefault:
      c.set_selection("default");
      break;
    case config::CounterSelection::Kind::kList:
      c.set_selection("list");
      for (const std::string& e : counters_.events) c.add_events(e);
      break;
  }
  c.set_cpu_scope(cpu_scope_);
  for (int cpu : allowed_cpus_) c.add_all_cpus(cpu);
  for (const auto& [n, plan] : plans_) {
    for (const topology::Placement& p : plan.placements) {
      s.server_cpus[n].push_back(p.server_cpu);
      s.client_cpus[n].push_back(p.client_cpu);
    }
  }
  return s;
}

}  // namespace copyscope::control
