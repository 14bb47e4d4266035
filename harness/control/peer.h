// A run on two hosts (--peer): the agent on the peer reached once at the
// start (handshake, version check, its host's facts for the record; with
// --deploy, this build copied there first), then one connection per agent
// session the sweep asks for.
//
//   absl::StatusOr<std::unique_ptr<PeerRun>> peer =
//       PeerRun::Start(options, plugins, plan, version);
//   settings.server_factory = (*peer)->Factory();   // --peer-role=server
//   context.peer = (*peer)->facts();
#ifndef COPYSCOPE_HARNESS_CONTROL_PEER_H_
#define COPYSCOPE_HARNESS_CONTROL_PEER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/config/options.h"
#include "harness/config/plan.h"
#include "harness/control/agent_sides.h"
#include "harness/control/deploy.h"
#include "harness/control/remote_agent.h"
#include "harness/record/record.pb.h"

namespace copyscope::control {

class PeerRun {
 public:
  // Errors are one line naming the flag (--peer, --token-file, --deploy)
  // and what to do.
  static absl::StatusOr<std::unique_ptr<PeerRun>> Start(
      const config::RunOptions& options,
      const std::vector<record::PluginInfo>& plugins, const config::Plan& plan,
      const std::string& version);

  // Makes the agent sessions of the peer's side: the first connection,
  // then a new one each time.
  AgentFactory Factory();

  const record::PeerHost& facts() const { return facts_; }
  // This host's address as the peer sees it (where a local server listens
  // for a client on the peer).
  const std::string& controller_address() const { return controller_; }

 private:
  PeerRun() = default;
  PeerTarget target_;
  PeerOptions options_;
  std::unique_ptr<Deployment> deployment_;
  std::unique_ptr<RemoteAgent> first_;
  record::PeerHost facts_;
  std::string controller_;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_PEER_H_
