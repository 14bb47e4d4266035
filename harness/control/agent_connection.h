// The controller's end of one agent, wherever it runs: a child process of
// this one (AgentProcess, agent_process.h) or an agent on another host
// reached over TCP or ssh (RemoteAgent, remote_agent.h). Everything the
// controller does with an agent goes through this: requests out, replies
// and events in, what the agent printed, and how it ended.
//
//   std::unique_ptr<AgentConnection> a = ...;
//   a->Send(request);
//   // after poll(a->fd()) says readable:
//   FromAgent m;
//   while (a->Next(&m).value_or(false)) Handle(m);
//   if (a->ended()) std::optional<int> status = a->WaitEnd(Seconds(2));
#ifndef COPYSCOPE_HARNESS_CONTROL_AGENT_CONNECTION_H_
#define COPYSCOPE_HARNESS_CONTROL_AGENT_CONNECTION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "harness/control/control.pb.h"

namespace copyscope::control {

class AgentConnection {
 public:
  virtual ~AgentConnection() = default;

  // Where the agent runs, for messages: "here", "198.18.0.1:7000",
  // "ssh://peer".
  virtual std::string where() const = 0;

  // Writes the whole request within `timeout`.
  virtual absl::Status Send(const ToAgent& message,
                            absl::Duration timeout = absl::Seconds(10)) = 0;
  // Reads what arrived, without blocking, and gives the next reply or
  // event: true if there was one. What the agent printed and the notice of
  // how it ended are taken in here, never returned. An error: the stream
  // is malformed.
  virtual absl::StatusOr<bool> Next(FromAgent* message) = 0;
  // Nothing more will come: the agent ended or the connection closed.
  virtual bool ended() const = 0;
  // poll()able: readable when Next() may have something.
  virtual int fd() const = 0;
  // Reads what arrived (what the agent printed, how it ended, messages
  // kept for Next()) without blocking or returning anything.
  virtual void Poll() = 0;

  // The last lines the agent printed since ClearOutput(), at most n.
  virtual std::vector<std::string> OutputTail(size_t n = 20) const = 0;
  virtual void ClearOutput() = 0;

  // After ended(): the agent process's wait status, when it is known within
  // `timeout` (a child: waitpid; a remote agent: what its host reported).
  virtual std::optional<int> WaitEnd(absl::Duration timeout) = 0;
  // Ends the agent now (SIGKILL here; a remote agent's host kills it when
  // its controller goes).
  virtual void Kill() = 0;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_CONNECTION_H_
