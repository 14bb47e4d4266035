// The host end of an agent for a controller on another machine:
// `copyscope agent --listen=ADDR:PORT --token-file=FILE` (TCP, with the
// challenge-response of auth.h) and `copyscope agent --stdio` (over ssh,
// which authenticated already). Either way, per session it starts a local
// agent (agent.h, in by-name mode: this host's own plugins, each checked
// against the controller's SHA-256) and relays: requests to it, its events
// back, the lines it prints as Output messages, and how it ended as an
// Ended message before the connection closes. A controller that goes away
// makes the relay kill its agent (whose sockets close with it) and, with
// --listen, take the next controller; one run at a time: a controller
// that comes while another is served is told `busy: a run from ADDR is in
// progress`.
//
//   ListenArgs args;
//   args.listen = "198.18.0.1:7000";
//   args.token_file = "/root/copyscope.token";   // mode 600
//   return ServeListen(args);    // prints "agent: listening on ..." first
#ifndef COPYSCOPE_HARNESS_CONTROL_RELAY_H_
#define COPYSCOPE_HARNESS_CONTROL_RELAY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "harness/control/agent_process.h"
#include "harness/control/channel.h"

namespace copyscope::control {

struct RelayArgs {
  std::string version;                   // this build's
  std::vector<std::string> plugin_dirs;  // besides the in-tree ones
  // Where data connections reach this host; "": the address the control
  // connection reached (--stdio: the server address of SSH_CONNECTION).
  std::string data_address;
};

struct ListenArgs : RelayArgs {
  std::string listen;      // "ADDR:PORT"
  std::string token_file;  // its mode must be 600 or stricter
  bool once = false;       // serve one controller, then exit
};

// Exit status: 0 after --once, 2 for bad arguments (a token others can
// read, an address that cannot be listened on); otherwise runs until
// killed.
int ServeListen(const ListenArgs& args);

// One session on stdin/stdout. Exit status 0 when the controller closed
// it, 3 when it could not start.
int ServeStdio(const RelayArgs& args);

// One session on an authenticated channel: starts the agent and relays
// until it ends (an Ended message is sent) or the controller goes (the
// agent is killed). While it runs, a connection on `busy_fd` (a listening
// socket, or -1) is refused with `busy_text`.
absl::Status RelaySession(Channel& upstream, const AgentLaunch& launch,
                          int busy_fd = -1, const std::string& busy_text = "");

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_RELAY_H_
