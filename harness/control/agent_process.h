// A `copyscope agent` child process and the controller's ends of it: the
// control channel (a socketpair, fd 3 in the child), its stdout and stderr
// (one pipe, read apart from the channel; the last lines are kept), and a
// pidfd that becomes readable when it ends. fd() is an epoll set of all
// three, for the controller's poll().
//
//   AgentLaunch launch;
//   launch.netns_fd = isolation.server().ns_fd;    // -1: stay here
//   absl::StatusOr<std::unique_ptr<AgentProcess>> a =
//   AgentProcess::Spawn(launch);
//   (*a)->channel().Send(request);
//   ... poll((*a)->fd()), (*a)->Pump(), (*a)->channel().Next(&reply) ...
//   if ((*a)->channel().eof()) std::string why = (*a)->EndText(Seconds(2));
//
// The child is killed (SIGKILL) and reaped when the object goes, and dies
// by itself with the controller (PR_SET_PDEATHSIG).
#ifndef COPYSCOPE_HARNESS_CONTROL_AGENT_PROCESS_H_
#define COPYSCOPE_HARNESS_CONTROL_AGENT_PROCESS_H_

#include <sys/types.h>

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

struct AgentLaunch {
  // The copyscope binary to start; "" is this one (/proc/self/exe).
  std::string binary;
  int netns_fd = -1;    // the namespace the agent enters; -1: this one
  std::string version;  // this build's, for Hello
  absl::Duration hello_timeout = absl::Seconds(10);
  // More arguments of `copyscope agent` (e.g. --by-name, --plugin-dir=).
  std::vector<std::string> extra_args;
};

// How a process ended, from its wait status: "killed by SIGSEGV",
// "exited with status 3".
std::string WaitStatusText(int wait_status);
// "SIGSEGV" for SIGSEGV.
std::string SignalName(int signal);

class AgentProcess final : public AgentConnection {
 public:
  // Starts the agent and exchanges Hello with it.
  static absl::StatusOr<std::unique_ptr<AgentProcess>> Spawn(
      const AgentLaunch& launch);
  ~AgentProcess() override;
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  Channel& channel() { return *channel_; }

  std::string where() const override { return "here"; }
  absl::Status Send(const ToAgent& message,
                    absl::Duration timeout = absl::Seconds(10)) override;
  absl::StatusOr<bool> Next(FromAgent* message) override;
  bool ended() const override { return channel_->eof(); }
  int fd() const override { return epoll_.get(); }
  std::vector<std::string> OutputTail(size_t n = 20) const override;
  void ClearOutput() override;
  // The whole lines printed since the last call (for relaying them).
  std::vector<std::string> TakeLines();
  // Waits up to `timeout` for the process to end; empty if it still runs.
  std::optional<int> WaitEnd(absl::Duration timeout) override;
  // SIGKILL, then reaps it.
  void Kill() override;
  // The wait status, once it ended.
  std::optional<int> wait_status() const { return wait_status_; }

  void Poll() override { Pump(); }
  // Reads what the agent printed and what arrived on the channel (never
  // blocks); Next() does it too.
  void Pump();

 private:
  AgentProcess() = default;
  bool Reap(int options);

  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  std::unique_ptr<Channel> channel_;
  engine::UniqueFd output_;
  engine::UniqueFd pidfd_;
  engine::UniqueFd epoll_;
  std::string tail_;   // the last bytes printed (bounded)
  std::string fresh_;  // printed since TakeLines() (bounded)
  size_t dropped_lines_ = 0;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_PROCESS_H_
