#include "harness/control/peer.h"

#include <poll.h>

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/control/auth.h"
#include "harness/control/control.pb.h"

namespace copyscope::control {
namespace {

// The reply to one request, within `within`.
absl::StatusOr<FromAgent> Ask(AgentConnection& a, const ToAgent& request,
                              absl::Duration within) {
  absl::Status s = a.Send(request, within);
  if (!s.ok()) return s;
  const absl::Time deadline = absl::Now() + within;
  for (;;) {
    FromAgent m;
    absl::StatusOr<bool> got = a.Next(&m);
    if (!got.ok()) return got.status();
    if (*got) return m;
    if (a.ended()) return absl::UnavailableError("the peer's agent ended");
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return absl::DeadlineExceededError("no answer");
    pollfd p = {a.fd(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PeerRun>> PeerRun::Start(
    const config::RunOptions& options,
    const std::vector<record::PluginInfo>& plugins, const config::Plan& plan,
    const std::string& version) {
  std::unique_ptr<PeerRun> p(new PeerRun);
  absl::StatusOr<PeerTarget> target = PeerTarget::Parse(options.peer);
  if (!target.ok()) return target.status();
  p->target_ = *target;
  PeerOptions& o = p->options_;
  o.version = version;
  o.allow_mismatch = options.allow_mismatch;
  o.timeout = std::max(options.io_timeout, absl::Seconds(10));
  if (!target->ssh) {
    absl::StatusOr<std::string> token = ReadToken(options.token_file);
    if (!token.ok()) return token.status();
    o.token = *std::move(token);
  } else {
    o.ssh = absl::StrSplit(options.ssh, ' ', absl::SkipWhitespace());
    o.remote_binary = options.remote_copyscope;
    if (options.deploy) {
      std::set<std::string> names(plan.transports.begin(),
                                  plan.transports.end());
      names.insert(plan.recv_transports.begin(), plan.recv_transports.end());
      for (const config::CellSpec& cell : plan.cells) {
        if (!cell.background.none()) names.insert(cell.background.transport);
      }
      std::vector<std::string> files;
      for (const record::PluginInfo& info : plugins) {
        if (info.status() == "ok" && names.count(info.name())) {
          files.push_back(info.path());
        }
      }
      absl::StatusOr<std::unique_ptr<Deployment>> d =
          Deployment::Upload(*target, o.ssh, files);
      if (!d.ok()) return d.status();
      p->deployment_ = *std::move(d);
      o.remote_binary = p->deployment_->binary();
      o.remote_args = p->deployment_->agent_args();
      p->facts_.set_deployed_to(p->deployment_->directory());
    }
  }
  if (!options.data_address.empty()) {
    // The relay offers this address for data instead of its own.
    o.remote_args.push_back("--data-address=" + options.data_address);
  }
  absl::StatusOr<std::unique_ptr<RemoteAgent>> first =
      RemoteAgent::Connect(*target, o);
  if (!first.ok()) {
    return absl::Status(
        first.status().code(),
        absl::StrCat("--peer=", options.peer, ": ", first.status().message()));
  }
  p->first_ = *std::move(first);
  p->controller_ = p->first_->controller_address();
  record::PeerHost& f = p->facts_;
  f.set_target(options.peer);
  f.set_role(config::SideName(options.peer_role));
  f.set_address(options.data_address.empty() ? p->first_->agent_address()
                                             : options.data_address);
  const std::string& v = p->first_->agent_version();
  f.set_version(v.substr(0, v.find('\n')));
  ToAgent describe;
  describe.mutable_describe()->set_address(f.address());
  absl::StatusOr<FromAgent> host = Ask(*p->first_, describe, absl::Seconds(30));
  if (host.ok() && host->has_host()) {
    *f.mutable_host() = host->host().host();
    f.set_topology(host->host().topology());
  }
  return p;
}

AgentFactory PeerRun::Factory() {
  return [this]() -> absl::StatusOr<std::unique_ptr<AgentConnection>> {
    if (first_ != nullptr)
      return std::unique_ptr<AgentConnection>(std::move(first_));
    absl::StatusOr<std::unique_ptr<RemoteAgent>> a =
        RemoteAgent::Connect(target_, options_);
    if (!a.ok()) return a.status();
    return std::unique_ptr<AgentConnection>(*std::move(a));
  };
}

}  // namespace copyscope::control
