// --deploy: copies this build's harness binary and the run's plugins over
// ssh into a private temporary directory on the peer (mktemp -d, mode
// 700), runs the agent from there, and removes the directory at the end of
// the run, so the peer needs nothing installed but the system libraries.
//
//   absl::StatusOr<std::unique_ptr<Deployment>> d =
//       Deployment::Upload(target, ssh_command, plugin_paths);
//   options.remote_binary = (*d)->binary();          // DIR/copyscope
//   options.remote_args = (*d)->agent_args();        //
//   --plugin-dir=DIR/plugins
//   ... the run ...
//   d->reset();   // ssh ... rm -rf DIR
#ifndef COPYSCOPE_HARNESS_CONTROL_DEPLOY_H_
#define COPYSCOPE_HARNESS_CONTROL_DEPLOY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/control/remote_agent.h"

namespace copyscope::control {

class Deployment {
 public:
  // `binary`: the local copyscope to copy ("" is this one).
  static absl::StatusOr<std::unique_ptr<Deployment>> Upload(
      const PeerTarget& target, const std::vector<std::string>& ssh,
      const std::vector<std::string>& plugins, const std::string& binary = "");
  // Removes the directory on the peer.
  ~Deployment();

  const std::string& directory() const { return dir_; }
  std::string binary() const { return dir_ + "/copyscope"; }
  std::vector<std::string> agent_args() const {
    return {"--plugin-dir=" + dir_ + "/plugins"};
  }

 private:
  Deployment() = default;
  PeerTarget target_;
  std::vector<std::string> ssh_;
  std::string dir_;
};

// Runs `ssh [-p port] [user@]host command` with `input` on its stdin;
// returns its stdout, or why it failed (its stderr).
absl::StatusOr<std::string> RunSsh(const PeerTarget& target,
                                   const std::vector<std::string>& ssh,
                                   const std::string& command,
                                   const std::string& input = "",
                                   absl::Duration timeout = absl::Minutes(2));

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_DEPLOY_H_
