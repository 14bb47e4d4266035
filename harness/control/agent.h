// `copyscope agent`: the process that runs plugin code for a controller.
// It speaks control.proto on an inherited socket (--control-fd), enters its
// network namespace once at start (--netns-fd; every thread it makes then
// lives there), dies with its parent (PR_SET_PDEATHSIG; --parent-pid
// closes the race with a parent that died first), and serves requests one
// at a time: Probe (load one plugin file and describe it), CheckOpen (open
// one endpoint with the cell's options on a loopback pair) and Prepare (one
// side of one sample, driven by Commands, ended by one Event RESULT).
//
// Everything a plugin prints goes to the agent's stdout/stderr, which the
// controller reads apart from the control channel (agent_process.h).
//
//   AgentArgs args{.control_fd = 3, .netns_fd = 4, .parent_pid = ppid};
//   return AgentMain(args);   // 0 when the controller closed the channel
#ifndef COPYSCOPE_HARNESS_CONTROL_AGENT_H_
#define COPYSCOPE_HARNESS_CONTROL_AGENT_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace copyscope::control {

struct AgentArgs {
  int control_fd = -1;
  int netns_fd = -1;     // -1: stay in the current network namespace
  pid_t parent_pid = 0;  // 0: not checked
  std::string version;   // this build's, for Hello
  // An agent serving a controller on another host (started by `agent
  // --listen` or `--stdio`, relay.h): it loads its own plugins (the
  // in-tree ones and plugin_dirs) by name and checks each against the
  // controller's SHA-256 (--by-name); a server listens on data_address; a
  // client connects only to peer_address, its controller's.
  bool by_name = false;
  std::vector<std::string> plugin_dirs;
  std::string data_address;
  std::string peer_address;
};

// Runs the agent until the controller closes the channel. Exit status: 0,
// or 3 when it could not start (namespace, handshake; said on stderr).
int AgentMain(const AgentArgs& args);

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_H_
