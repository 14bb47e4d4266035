#include "harness/control/agent_side.h"

#include <sys/wait.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/control/agent_process.h"
#include "harness/control/wire.h"

namespace copyscope::control {

AgentSide::AgentSide(AgentConnection* agent, Prepare prepare,
                     std::string plugin, engine::Side side)
    : agent_(agent),
      prepare_(std::move(prepare)),
      plugin_(std::move(plugin)),
      side_(side) {}

std::string AgentSide::Where() const {
  return absl::StrCat(plugin_, " (", engine::SideName(side_), ")");
}

void AgentSide::Send(const ToAgent& m) {
  // A failed send means the agent is gone: NextEvent() says how it ended.
  (void)agent_->Send(m, absl::Seconds(5));
}

void AgentSide::Start(const std::string& address,
                      const std::vector<uint16_t>& ports) {
  ToAgent m;
  *m.mutable_prepare() = prepare_;
  if (!address.empty()) m.mutable_prepare()->set_server_address(address);
  for (uint16_t p : ports) m.mutable_prepare()->add_ports(p);
  Send(m);
}

void AgentSide::Command(engine::SideCommand command) {
  if (done_) return;
  ToAgent m;
  m.mutable_command()->set_kind(CommandOf(command));
  Send(m);
}

engine::SideEvent AgentSide::Ended() {
  done_ = true;
  spent_ = true;
  engine::SideEvent e(engine::SideEvent::kResult);
  e.spent = true;
  std::optional<int> status = agent_->WaitEnd(absl::Seconds(2));
  if (!status) {
    agent_->Kill();
    e.status = engine::Verdict(
        absl::StatusCode::kAborted,
        absl::StrCat("exited: ", Where(), " ended its control connection (",
                     agent_->where(), ")"));
  } else if (WIFSIGNALED(*status)) {
    e.status =
        engine::Verdict(absl::StatusCode::kAborted,
                        absl::StrCat("crashed: ", SignalName(WTERMSIG(*status)),
                                     " in ", Where()));
  } else {
    e.status = engine::Verdict(
        absl::StatusCode::kAborted,
        absl::StrCat("exited: status ",
                     WIFEXITED(*status) ? WEXITSTATUS(*status) : *status,
                     " in ", Where()));
  }
  return e;
}

std::optional<engine::SideEvent> AgentSide::NextEvent() {
  if (done_) return std::nullopt;
  FromAgent m;
  absl::StatusOr<bool> got = agent_->Next(&m);
  if (!got.ok()) {
    agent_->Kill();
    done_ = spent_ = true;
    engine::SideEvent e(engine::SideEvent::kResult);
    e.spent = true;
    e.status = engine::Verdict(
        absl::StatusCode::kDataLoss,
        absl::StrCat("exited: ", Where(), " broke the control protocol (",
                     got.status().message(), ") and was killed"));
    return e;
  }
  if (*got) {
    if (!m.has_event()) return NextEvent();  // not for a side: skipped
    engine::SideEvent e = EventFrom(m.event());
    if (e.kind == engine::SideEvent::kResult) {
      done_ = true;
      spent_ = e.spent;
    }
    return e;
  }
  if (agent_->ended()) return Ended();
  return std::nullopt;
}

engine::SideEvent AgentSide::Kill(absl::string_view why) {
  agent_->Kill();
  done_ = spent_ = true;
  engine::SideEvent e(engine::SideEvent::kResult);
  e.spent = true;
  e.status = engine::Verdict(
      absl::StatusCode::kDeadlineExceeded,
      absl::StrCat("hung: ", Where(), " ", why, "; the agent was killed"));
  return e;
}

}  // namespace copyscope::control
