// The controller's end of an agent on another host (relay.h there):
// reached over TCP with a token (`--peer=ADDR:PORT --token-file=FILE`) or
// over ssh (`--peer=ssh://[user@]host[:port]`, running `copyscope agent
// --stdio` there through --ssh's command). Each connection is one agent
// session; the lines the agent prints arrive as Output messages and how it
// ended as an Ended message, both taken in here.
//
//   absl::StatusOr<PeerTarget> peer = PeerTarget::Parse("ssh://root@peer");
//   PeerOptions options;   // token, ssh command, remote binary, version
//   absl::StatusOr<std::unique_ptr<RemoteAgent>> a =
//       RemoteAgent::Connect(*peer, options);
//   (*a)->agent_address();   // where its data connections can reach it
#ifndef COPYSCOPE_HARNESS_CONTROL_REMOTE_AGENT_H_
#define COPYSCOPE_HARNESS_CONTROL_REMOTE_AGENT_H_

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/control/agent_connection.h"
#include "harness/control/channel.h"
#include "harness/engine/socket.h"

namespace copyscope::control {

struct PeerTarget {
  bool ssh = false;
  std::string user;  // ssh only; "" for ssh's default
  std::string host;
  uint16_t port = 0;  // ssh: 0 for ssh's default

  // "ADDR:PORT" (TCP) or "ssh://[user@]host[:port]"; InvalidArgument
  // naming --peer and an example otherwise.
  static absl::StatusOr<PeerTarget> Parse(const std::string& text);
  std::string ToString() const;
};

struct PeerOptions {
  std::string token;  // TCP
  // The ssh command and its arguments (--ssh, split on spaces), then the
  // remote binary (--remote-copyscope) and its extra arguments.
  std::vector<std::string> ssh = {"ssh"};
  std::string remote_binary = "copyscope";
  std::vector<std::string> remote_args;
  std::string version;          // this build's
  bool allow_mismatch = false;  // another version on the peer
  absl::Duration timeout = absl::Seconds(10);
};

class RemoteAgent final : public AgentConnection {
 public:
  static absl::StatusOr<std::unique_ptr<RemoteAgent>> Connect(
      const PeerTarget& target, const PeerOptions& options);
  ~RemoteAgent() override;

  // What the agent's host said in the handshake.
  const std::string& agent_address() const { return agent_address_; }
  const std::string& controller_address() const { return controller_address_; }
  const std::string& agent_version() const { return agent_version_; }

  std::string where() const override { return where_; }
  absl::Status Send(const ToAgent& message,
                    absl::Duration timeout = absl::Seconds(10)) override;
  absl::StatusOr<bool> Next(FromAgent* message) override;
  bool ended() const override { return channel_->eof() && kept_.empty(); }
  int fd() const override { return epoll_.get(); }
  void Poll() override;
  std::vector<std::string> OutputTail(size_t n = 20) const override;
  void ClearOutput() override { tail_.clear(); }
  std::optional<int> WaitEnd(absl::Duration timeout) override;
  void Kill() override;

 private:
  RemoteAgent() = default;
  absl::Status Handshake(const PeerTarget& target, const PeerOptions& options);
  void AddLine(std::string line);

  std::string where_;
  std::unique_ptr<Channel> channel_;
  pid_t ssh_pid_ = -1;
  engine::UniqueFd ssh_err_;  // ssh's own stderr
  std::string ssh_partial_;
  engine::UniqueFd epoll_;
  std::deque<FromAgent> kept_;  // for Next()
  absl::Status broken_;         // a malformed stream
  std::optional<int> ended_status_;
  std::vector<std::string> tail_;
  std::string agent_address_;
  std::string controller_address_;
  std::string agent_version_;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_REMOTE_AGENT_H_
