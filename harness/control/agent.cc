#include "harness/control/agent.h"

#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/control/channel.h"
#include "harness/control/control.pb.h"
#include "harness/control/host_load_hooks.h"
#include "harness/control/pinning_hooks.h"
#include "harness/control/wire.h"
#include "harness/engine/composite_hooks.h"
#include "harness/engine/counter_hooks.h"
#include "harness/engine/local_side.h"
#include "harness/engine/plugins.h"
#include "harness/engine/preflight.h"
#include "harness/engine/side.h"
#include "harness/env/isolation/interface.h"
#include "harness/env/testbed.h"
#include "harness/env/topology/topology.h"
#include "harness/record/sha256.h"
#include "plugins/loader.h"

namespace copyscope::control {
namespace {

using engine::Side;

// The agent entered its namespace at start: every thread is already where
// its sockets belong.
class FixedNetwork final : public engine::Network {
 public:
  FixedNetwork(std::string address, std::string address6)
      : address_(std::move(address)), address6_(std::move(address6)) {}
  std::string Describe() const override { return address_; }
  absl::Status SetupThread(Side, int) override { return absl::OkStatus(); }
  std::string ServerAddress(int) const override { return address_; }
  std::string ServerAddress6(int) const override { return address6_; }

 private:
  const std::string address_;
  const std::string address6_;  // "": none
};

// The hooks of one prepared side: pinning first (the counters then open on
// the CPU the thread runs on), then counters.
struct SideHooks {
  std::unique_ptr<PinningHooks> pinning;
  std::unique_ptr<HostLoadHooks> load;
  perfmon::CounterOptions counter_options;
  std::unique_ptr<engine::CounterHooks> counters;
  std::unique_ptr<engine::CpuScopeHooks> cpu_scope;
  std::unique_ptr<engine::CompositeHooks> all;
};

absl::StatusOr<config::CounterSelection> SelectionOf(const Counters& c) {
  config::CounterSelection s;
  if (c.selection() == "auto" || c.selection().empty()) {
    s.kind = config::CounterSelection::Kind::kAuto;
  } else if (c.selection() == "none") {
    s.kind = config::CounterSelection::Kind::kNone;
  } else if (c.selection() == "default") {
    s.kind = config::CounterSelection::Kind::kDefault;
  } else if (c.selection() == "list") {
    s.kind = config::CounterSelection::Kind::kList;
    s.events.assign(c.events().begin(), c.events().end());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad counter selection '", c.selection(), "'"));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<SideHooks>> MakeHooks(const Prepare& p,
                                                     Side side, int threads) {
  auto h = std::make_unique<SideHooks>();
  topology::PinPlan plan;
  plan.connections = threads;
  bool pinned = false;
  for (int i = 0; i < threads; ++i) {
    topology::Placement place;
    if (i < p.server_cpus_size()) place.server_cpu = p.server_cpus(i);
    if (i < p.client_cpus_size()) place.client_cpu = p.client_cpus(i);
    pinned = pinned || place.server_cpu != topology::kUnpinned ||
             place.client_cpu != topology::kUnpinned;
    plan.placements.push_back(place);
  }
  std::map<int, topology::PinPlan> plans;
  if (pinned) plans[threads] = plan;
  h->pinning = std::make_unique<PinningHooks>(std::move(plans));

  absl::StatusOr<config::CounterSelection> selection =
      SelectionOf(p.counters());
  if (!selection.ok()) return selection.status();
  absl::StatusOr<perfmon::CounterOptions> options =
      engine::MakeCounterOptions(*selection);
  if (!options.ok()) return options.status();
  h->counter_options = *std::move(options);
  engine::ThreadHooks* counting = nullptr;
  if (!h->counter_options.events.empty()) {
    if (p.counters().cpu_scope()) {
      engine::RoleCpus roles;
      roles.server.assign(p.counters().server_cpus().begin(),
                          p.counters().server_cpus().end());
      roles.client.assign(p.counters().client_cpus().begin(),
                          p.counters().client_cpus().end());
      h->cpu_scope = std::make_unique<engine::CpuScopeHooks>(
          h->counter_options, std::map<int, engine::RoleCpus>{{threads, roles}},
          std::vector<int>(p.counters().all_cpus().begin(),
                           p.counters().all_cpus().end()),
          std::vector<Side>{side});
      counting = h->cpu_scope.get();
    } else {
      h->counters = std::make_unique<engine::CounterHooks>(h->counter_options);
      counting = h->counters.get();
    }
  }
  if (p.host_load()) {
    std::vector<int> pinned;
    for (const auto* cpus : {&p.server_cpus(), &p.client_cpus()}) {
      for (int cpu : *cpus) {
        if (cpu >= 0) pinned.push_back(cpu);
      }
    }
    std::sort(pinned.begin(), pinned.end());
    pinned.erase(std::unique(pinned.begin(), pinned.end()), pinned.end());
    h->load = std::make_unique<HostLoadHooks>(p.host(), pinned);
  }
  std::vector<engine::ThreadHooks*> all = {h->pinning.get(), h->load.get()};
  if (counting != nullptr) all.push_back(counting);
  h->all = std::make_unique<engine::CompositeHooks>(std::move(all));
  return h;
}

class Agent {
 public:
  Agent(Channel& channel, const AgentArgs& args)
      : channel_(channel), args_(args) {}

  // Serves requests until the controller closes the channel.
  int Run() {
    for (;;) {
      // Messages may already wait in the channel's buffer (read along with
      // an earlier one): serve them before waiting for more.
      for (;;) {
        ToAgent m;
        absl::StatusOr<bool> got = channel_.Next(&m);
        if (!got.ok()) {
          std::fprintf(stderr, "copyscope agent: %s\n",
                       std::string(got.status().message()).c_str());
          Quit(3);
        }
        if (!*got) break;
        Handle(m);
      }
      if (side_ != nullptr) PumpSide();
      if (channel_.eof()) Quit(0);
      pollfd fds[2] = {{channel_.fd(), POLLIN, 0}, {-1, POLLIN, 0}};
      if (side_ != nullptr) fds[1].fd = side_->fd();
      // A prepared side has deadlines of its own (after stop): look again
      // every 100 ms.
      poll(fds, 2, side_ != nullptr ? 100 : -1);
      channel_.Fill();
    }
  }

 private:
  // Leaves at once: a side still running, or threads stuck in a plugin,
  // must not be waited for, nor their plugin unloaded under them.
  [[noreturn]] void Quit(int status) {
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(status);
  }

  void Send(const FromAgent& m) {
    absl::Status s = channel_.Send(m);
    if (!s.ok()) {
      std::fprintf(stderr, "copyscope agent: %s\n",
                   std::string(s.message()).c_str());
      Quit(3);
    }
  }

  void SendEvent(const engine::SideEvent& e) {
    FromAgent m;
    *m.mutable_event() = EventOf(e);
    Send(m);
  }

  void Handle(const ToAgent& m) {
    switch (m.body_case()) {
      case ToAgent::kProbe:
        return Probe(m.probe());
      case ToAgent::kCheck:
        return Check(m.check());
      case ToAgent::kPrepare:
        return Start(m.prepare());
      case ToAgent::kCommand:
        if (side_ != nullptr) side_->Command(CommandFrom(m.command().kind()));
        return;
      case ToAgent::kDescribe:
        return Describe(m.describe());
      default:
        return;  // Hello again, or a newer controller's request: ignored
    }
  }

  void Probe(const ::copyscope::control::Probe& p) {
    plugins::Plugin loaded = set_.LoadFile(p.path());
    FromAgent m;
    *m.mutable_plugin() = engine::Describe(loaded);
    Send(m);
  }

  // The plugins a cell names, each loaded from the file the controller
  // probed, which must not have changed since.
  void Describe(const DescribeHost& d) {
    FromAgent m;
    std::string interface = d.interface();
    std::string why;
    if (interface.empty() && !d.address().empty()) {
      absl::StatusOr<std::string> found =
          isolation::InterfaceWithAddress(d.address());
      if (found.ok()) {
        interface = *found;
      } else {
        why = std::string(found.status().message());
      }
    }
    *m.mutable_host()->mutable_host() = env::CollectHostProvenance(interface);
    if (!why.empty()) {
      m.mutable_host()->mutable_host()->add_nic_notes(
          absl::StrCat("data interface unknown: ", why));
    }
    absl::StatusOr<topology::Topology> topo = topology::Topology::Load("");
    m.mutable_host()->set_topology(
        topo.ok() ? topo->Summary()
                  : absl::StrCat("unknown: ", topo.status().message()));
    Send(m);
  }

  // By name, among this host's own plugins: the controller's file names
  // mean nothing here.
  absl::StatusOr<engine::CellPlugins> ResolveByName(
      const google::protobuf::RepeatedPtrField<PluginRef>& refs,
      const config::CellSpec& spec, bool allow_mismatch) {
    if (!own_loaded_) {
      own_loaded_ = true;
      const std::string in_tree = plugins::DefaultPluginDirectory();
      std::string error;
      if (!in_tree.empty()) set_.LoadDirectory(in_tree, &error);
      for (const std::string& dir : args_.plugin_dirs) {
        set_.LoadDirectory(dir, &error);
      }
    }
    for (const PluginRef& ref : refs) {
      std::optional<plugins::Plugin> p = set_.Find(ref.name());
      if (!p || p->status != plugins::PluginStatus::kOk) {
        return absl::FailedPreconditionError(absl::StrCat(
            ref.name(), " is not ",
            p ? absl::StrCat("usable on this host (", p->reason, ")")
              : "installed on this host",
            "; use --deploy, or install the same build here"));
      }
      absl::StatusOr<std::string> sha = record::Sha256File(p->path);
      if (!sha.ok()) return sha.status();
      if (*sha != ref.sha256() && !allow_mismatch) {
        return absl::FailedPreconditionError(absl::StrCat(
            ref.name(), " differs between the hosts: SHA-256 ",
            sha->substr(0, 16), "... here (", p->path, "), ",
            ref.sha256().substr(0, 16),
            "... on the controller's; use the same build on both or "
            "--allow-mismatch"));
      }
    }
    return engine::Resolve(set_, spec);
  }

  absl::StatusOr<engine::CellPlugins> Resolve(
      const google::protobuf::RepeatedPtrField<PluginRef>& refs,
      const config::CellSpec& spec, bool allow_mismatch = false) {
    if (args_.by_name) return ResolveByName(refs, spec, allow_mismatch);
    for (const PluginRef& ref : refs) {
      if (loaded_.count(ref.path()) > 0) continue;
      absl::StatusOr<std::string> sha = record::Sha256File(ref.path());
      if (!sha.ok()) return sha.status();
      if (*sha != ref.sha256()) {
        return absl::FailedPreconditionError(absl::StrCat(
            ref.name(), ": ", ref.path(),
            " changed since it was probed (its SHA-256 differs); start the "
            "run again"));
      }
      plugins::Plugin p = set_.LoadFile(ref.path());
      if (p.status != plugins::PluginStatus::kOk || p.name != ref.name()) {
        return absl::FailedPreconditionError(
            absl::StrCat(ref.name(), ": ", ref.path(), " loads as '", p.name,
                         "', ", plugins::StatusName(p.status),
                         p.reason.empty() ? "" : ": ", p.reason));
      }
      loaded_.insert(ref.path());
    }
    return engine::Resolve(set_, spec);
  }

  void Check(const CheckOpen& c) {
    FromAgent m;
    absl::Status s = [&]() -> absl::Status {
      absl::StatusOr<config::CellSpec> spec = SpecOf(c.cell());
      if (!spec.ok()) return spec.status();
      absl::StatusOr<Side> side = SideFrom(c.side());
      if (!side.ok()) return side.status();
      absl::StatusOr<engine::CellPlugins> plugins = Resolve(c.plugins(), *spec);
      if (!plugins.ok()) return plugins.status();
      return engine::TryOpen(
          engine::PlanSide(*spec, *plugins, *side, RunnerConfigOf(c.runner()))
              .endpoint);
    }();
    *m.mutable_checked() = StatusOf(s);
    Send(m);
  }

  void Start(const Prepare& p) {
    engine::SideEvent failed(engine::SideEvent::kResult);
    if (side_ != nullptr) {
      failed.status = absl::FailedPreconditionError(
          "a side is already prepared in this agent");
      return SendEvent(failed);
    }
    absl::StatusOr<config::CellSpec> spec = SpecOf(p.cell());
    absl::StatusOr<Side> side = SideFrom(p.side());
    absl::StatusOr<engine::CellPlugins> plugins =
        spec.ok() ? Resolve(p.plugins(), *spec, p.allow_mismatch())
                  : absl::StatusOr<engine::CellPlugins>(spec.status());
    // An agent for another host listens where its controller reached it,
    // and connects nowhere but to its controller.
    std::string address = p.server_address();
    std::string address6 = p.server_address6();
    absl::Status where;
    if (side.ok() && *side == Side::kServer && !args_.data_address.empty()) {
      address = args_.data_address;
      // An IPv6 data address serves inet6 cells (and fails inet ones).
      address6 = absl::StrContains(address, ':') ? address : "";
    } else if (side.ok() && *side == Side::kClient &&
               !args_.peer_address.empty() && address != args_.peer_address) {
      where = absl::PermissionDeniedError(absl::StrCat(
          "this agent opens data connections only to its controller's "
          "address ",
          args_.peer_address, ", not to ", address));
    }
    absl::StatusOr<std::unique_ptr<SideHooks>> hooks =
        spec.ok() && side.ok() ? MakeHooks(p, *side, spec->threads)
                               : absl::StatusOr<std::unique_ptr<SideHooks>>(
                                     absl::InvalidArgumentError("bad cell"));
    for (const absl::Status& s : {spec.status(), side.status(),
                                  plugins.status(), hooks.status(), where}) {
      if (!s.ok()) {
        failed.status = s;
        return SendEvent(failed);
      }
    }
    hooks_ = *std::move(hooks);
    network_ = std::make_unique<FixedNetwork>(address, address6);
    engine::SideSetup setup;
    setup.spec = *spec;
    setup.plugins = *plugins;
    setup.side = *side;
    setup.config = RunnerConfigOf(p.runner());
    setup.network = network_.get();
    setup.hooks = hooks_->all.get();
    side_ = std::make_unique<engine::LocalSide>(setup);
    std::vector<uint16_t> ports;
    for (uint32_t port : p.ports()) {
      ports.push_back(static_cast<uint16_t>(port));
    }
    // The client connects where the server said it listens (for unix: the
    // server's socket directory; for inet6: its IPv6 address).
    side_->Start(*side == Side::kClient ? address : "", ports);
  }

  void PumpSide() {
    while (std::optional<engine::SideEvent> e = side_->NextEvent()) {
      SendEvent(*e);
      if (e->kind != engine::SideEvent::kResult) continue;
      if (e->spent) Quit(0);  // threads are left inside a plugin
      side_.reset();
      network_.reset();
      hooks_.reset();
      return;
    }
  }

  Channel& channel_;
  const AgentArgs args_;
  bool own_loaded_ = false;  // by name: this host's plugins loaded
  plugins::PluginSet set_;
  std::set<std::string> loaded_;  // paths checked and loaded
  std::unique_ptr<SideHooks> hooks_;
  std::unique_ptr<FixedNetwork> network_;
  std::unique_ptr<engine::LocalSide> side_;
};

}  // namespace

int AgentMain(const AgentArgs& args) {
  // Dies with the controller, so that no agent (nor the namespace its
  // sockets hold) outlives a run however it ends.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (args.parent_pid != 0 && getppid() != args.parent_pid) return 3;
  engine::IgnoreSigpipe();
  if (args.netns_fd >= 0) {
    if (setns(args.netns_fd, CLONE_NEWNET) != 0) {
      std::fprintf(stderr,
                   "copyscope agent: cannot enter the network namespace of "
                   "fd %d: %s\n",
                   args.netns_fd, std::strerror(errno));
      return 3;
    }
    close(args.netns_fd);
  }
  Channel channel{engine::UniqueFd(args.control_fd)};
  FromAgent hello;
  hello.mutable_hello()->set_protocol(kProtocolVersion);
  hello.mutable_hello()->set_version(args.version);
  hello.mutable_hello()->set_pid(getpid());
  absl::Status s = channel.Send(hello);
  ToAgent theirs;
  if (s.ok()) s = channel.Receive(&theirs, absl::Seconds(10));
  if (s.ok() &&
      (!theirs.has_hello() || theirs.hello().protocol() != kProtocolVersion)) {
    s = absl::FailedPreconditionError(absl::StrCat(
        "the controller speaks control protocol ", theirs.hello().protocol(),
        ", this agent ", kProtocolVersion));
  }
  if (!s.ok()) {
    std::fprintf(stderr, "copyscope agent: %s\n",
                 std::string(s.message()).c_str());
    return 3;
  }
  Agent agent(channel, args);
  return agent.Run();
}

}  // namespace copyscope::control
