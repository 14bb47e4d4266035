#include "harness/control/plugin_probe.h"

#include <poll.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/control/agent_sides.h"
#include "harness/control/control.pb.h"
#include "harness/control/wire.h"
#include "harness/engine/preflight.h"
#include "harness/record/sha256.h"
#include "plugins/loader.h"

namespace copyscope::control {
namespace {

// The agent's next message within `deadline`: Unavailable once it ended,
// DeadlineExceeded when it did not answer.
absl::StatusOr<FromAgent> Await(AgentConnection& agent, absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  for (;;) {
    FromAgent m;
    absl::StatusOr<bool> got = agent.Next(&m);
    if (!got.ok()) return got.status();
    if (*got) return m;
    if (agent.ended()) {
      return absl::UnavailableError("the agent ended");
    }
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return absl::DeadlineExceededError("no answer");
    pollfd p = {agent.fd(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
  }
}

// How an agent that stopped answering ended: "crashed (SIGABRT)",
// "exited (status 3)", or "did not answer in 5s" (it is then killed).
std::string HowItEnded(AgentConnection& agent, const absl::Status& why,
                       absl::Duration deadline) {
  if (absl::IsDeadlineExceeded(why)) {
    agent.Kill();
    return absl::StrCat("did not answer in ", absl::FormatDuration(deadline));
  }
  std::optional<int> status = agent.WaitEnd(absl::Seconds(2));
  if (!status) {
    agent.Kill();
    return absl::StrCat("broke the control protocol (", why.message(), ")");
  }
  if (WIFSIGNALED(*status)) {
    return absl::StrCat("crashed (", SignalName(WTERMSIG(*status)), ")");
  }
  return absl::StrCat("exited (status ",
                      WIFEXITED(*status) ? WEXITSTATUS(*status) : *status, ")");
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PluginFiles(
    const config::PluginSources& sources, std::vector<std::string>* notes) {
  std::vector<std::string> files;
  const std::string in_tree = plugins::DefaultPluginDirectory();
  if (in_tree.empty()) {
    notes->push_back(
        "note: no in-tree plugins (not started from Bazel runfiles); use "
        "--plugin-dir or --plugin");
  } else {
    std::string error;
    if (!plugins::ListPluginFiles(in_tree, &files, &error)) {
      notes->push_back(absl::StrCat("note: in-tree plugins: ", error));
    }
  }
  for (const std::string& dir : sources.plugin_dirs) {
    std::string error;
    if (!plugins::ListPluginFiles(dir, &files, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--plugin-dir=", dir, ": ", error,
                       "; give a readable directory of *.so plugins"));
    }
  }
  for (const std::string& file : sources.plugin_files) files.push_back(file);
  return files;
}

std::vector<record::PluginInfo> ProbePlugins(
    const std::vector<std::string>& files, const ProbeOptions& options) {
  std::vector<record::PluginInfo> out;
  std::map<std::string, std::string> taken;  // name -> path, not rejected
  std::unique_ptr<AgentProcess> agent;
  for (const std::string& file : files) {
    record::PluginInfo info;
    std::string failure;
    if (agent == nullptr) {
      absl::StatusOr<std::unique_ptr<AgentProcess>> a =
          AgentProcess::Spawn(options.launch);
      if (a.ok()) {
        agent = *std::move(a);
      } else {
        failure = absl::StrCat("could not start an agent to probe it: ",
                               a.status().message());
      }
    }
    if (agent != nullptr) {
      ToAgent probe;
      probe.mutable_probe()->set_path(file);
      absl::Status sent = agent->Send(probe);
      absl::StatusOr<FromAgent> reply = sent.ok()
                                            ? Await(*agent, options.deadline)
                                            : absl::StatusOr<FromAgent>(sent);
      if (reply.ok() && reply->has_plugin()) {
        info = reply->plugin();
      } else {
        failure = absl::StrCat(
            "probe ",
            HowItEnded(*agent,
                       reply.ok() ? absl::DataLossError("unexpected reply")
                                  : reply.status(),
                       options.deadline));
        agent.reset();
      }
    }
    if (!failure.empty()) {
      info.set_name(BaseName(file));
      info.set_path(file);
      info.set_status("rejected");
      info.set_reason(failure);
      absl::StatusOr<std::string> sha = record::Sha256File(file);
      info.set_sha256(
          sha.ok() ? *sha
                   : absl::StrCat("unreadable: ", sha.status().message()));
    } else if (info.status() != "rejected") {
      auto [it, fresh] = taken.emplace(info.name(), file);
      if (!fresh) {
        info.set_status("rejected");
        info.set_reason(absl::StrCat("duplicate name '", info.name(),
                                     "', already loaded from ", it->second));
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status CheckPlan(const config::Plan& plan,
                       const std::vector<record::PluginInfo>& plugins,
                       const engine::RunnerConfig& runner,
                       const ProbeOptions& options,
                       std::vector<std::string>* notes) {
  auto caps = [&](const std::string& name) -> uint64_t {
    for (const record::PluginInfo& p : plugins) {
      if (p.name() == name && p.status() == "ok") return CapabilityBits(p);
    }
    return 0;
  };
  std::unique_ptr<AgentProcess> agent;
  const absl::Duration within = runner.io_timeout + runner.margin;
  for (const engine::OpenCheck& c : engine::OpenChecks(plan, caps, runner)) {
    if (agent == nullptr) {
      absl::StatusOr<std::unique_ptr<AgentProcess>> a =
          AgentProcess::Spawn(options.launch);
      if (!a.ok()) return a.status();
      agent = *std::move(a);
    }
    ToAgent m;
    CheckOpen* check = m.mutable_check();
    *check->mutable_cell() = CellOf(c.cell);
    check->set_side(engine::SideName(c.side));
    *check->mutable_runner() = RunnerOf(runner);
    for (const record::PluginInfo& p : plugins) {
      if (p.status() != "ok" ||
          (p.name() != c.cell.transport && p.name() != c.cell.recv_transport)) {
        continue;
      }
      PluginRef* ref = check->add_plugins();
      ref->set_name(p.name());
      ref->set_path(p.path());
      ref->set_sha256(p.sha256());
    }
    absl::Status sent = agent->Send(m);
    absl::StatusOr<FromAgent> reply =
        sent.ok() ? Await(*agent, within) : absl::StatusOr<FromAgent>(sent);
    if (!reply.ok() || !reply->has_checked()) {
      notes->push_back(absl::StrCat(
          "note: ", c.plugin, " ",
          HowItEnded(*agent,
                     reply.ok() ? absl::DataLossError("unexpected reply")
                                : reply.status(),
                     within),
          " while it opened as ", engine::RoleName(c.role),
          "; its cells will run and be recorded as they end"));
      agent.reset();
      continue;
    }
    absl::Status s = StatusFrom(reply->checked());
    if (!s.ok()) return engine::Refusal(c, s);
  }
  return absl::OkStatus();
}

}  // namespace copyscope::control
