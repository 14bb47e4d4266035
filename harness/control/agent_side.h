// One side of a sample run by an agent process, behind the driver's
// SideHandle (engine/cell_driver.h): Start sends Prepare, Command sends
// Command, and the agent's Events come back as SideEvents. When the agent
// ends without a result, the result is the verdict of how it ended:
//   crashed: SIGSEGV in <plugin> (<side>)     killed by a signal
//   exited: status N in <plugin> (<side>)     exited on its own
//   hung: <plugin> (<side>) ...               killed by the driver (Kill)
// and it is `spent`: the controller starts a fresh agent for the next
// sample.
//
//   AgentSide server(agent.get(), prepare, "two_copy", Side::kServer);
//   AgentSide client(...);
//   CellResult r = engine::DriveCell(config, server, client);
#ifndef COPYSCOPE_HARNESS_CONTROL_AGENT_SIDE_H_
#define COPYSCOPE_HARNESS_CONTROL_AGENT_SIDE_H_

#include <optional>
#include <string>
#include <vector>

#include "harness/control/agent_connection.h"
#include "harness/control/control.pb.h"
#include "harness/engine/cell_driver.h"
#include "harness/engine/network.h"

namespace copyscope::control {

class AgentSide final : public engine::SideHandle {
 public:
  // `agent` must outlive this object. `prepare` has everything but the
  // client's ports, which Start() adds.
  AgentSide(AgentConnection* agent, Prepare prepare, std::string plugin,
            engine::Side side);

  void Start(const std::string& address,
             const std::vector<uint16_t>& ports) override;
  void Command(engine::SideCommand command) override;
  int fd() override { return agent_->fd(); }
  std::optional<engine::SideEvent> NextEvent() override;
  engine::SideEvent Kill(absl::string_view why) override;

  // The agent ended, or its result said it cannot run another sample.
  bool spent() const { return spent_; }

 private:
  void Send(const ToAgent& m);
  engine::SideEvent Ended();
  std::string Where() const;

  AgentConnection* const agent_;
  Prepare prepare_;
  const std::string plugin_;
  const engine::Side side_;
  bool done_ = false;  // a result was returned
  bool spent_ = false;
};

}  // namespace copyscope::control

#endif  // COPYSCOPE_HARNESS_CONTROL_AGENT_SIDE_H_
