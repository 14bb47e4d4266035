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
#include "harness/control/channel.h"
#include "harness/engine/socket.h"

namespace copyscope::control {

struct AgentLaunch {
  // The copyscope binary to start; "" is this one (/proc/self/exe).
  std::string binary;
  int netns_fd = -1;    // the namespace the agent enters; -1: this one
  std::string version;  // this build's, for Hello
  absl::Duration hello_timeout = absl::Seconds(10);
};

// How a process ended, from its wait status: "killed by SIGSEGV",
// "exited with status 3".
std::string WaitStatusText(int wait_status);
// "SIGSEGV" for SIGSEGV.
std::string SignalName(int signal);

class AgentProcess {
 public:
  // Starts the agent and exchanges Hello with it.
  static absl::StatusOr<std::unique_ptr<AgentProcess>> Spawn(
      const AgentLaunch& launch);
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  Channel& channel() { return *channel_; }
  int fd() const { return epoll_.get(); }

  // Reads what the agent printed (never blocks).
  void Pump();
  // The last lines it printed since the last ClearOutput(), at most `n`.
  std::vector<std::string> OutputTail(size_t n = 20) const;
  void ClearOutput();

  // After the channel ended: waits up to `timeout` for the process to end
  // and returns its wait status; empty if it is still running.
  std::optional<int> WaitEnd(absl::Duration timeout);
  // SIGKILL, then reaps it. Returns the wait status.
  int Kill();

 private:
  AgentProcess() = default;
  bool Reap(int options);

  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  std::unique_ptr<Channel> channel_;
  engine::UniqueFd output_;
  engine::UniqueFd pidfd_;
  engine::UniqueFd epoll_;
  std::string tail_;  // the last bytes printed (bounded)
  size_t dropped_lines_ = 0;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_PROCESS_H_
