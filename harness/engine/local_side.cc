#include "harness/engine/local_side.h"

#include <sys/eventfd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/engine/side.h"

namespace copyscope::engine {

LocalSide::LocalSide(SideSetup setup)
    : setup_(std::move(setup)),
      plugin_(PlanSide(setup_.spec, setup_.plugins, setup_.side, setup_.config)
                  .endpoint.transport_name),
      idle_(eventfd(0, EFD_CLOEXEC)) {}

LocalSide::~LocalSide() {
  if (run_ != nullptr && !sent_result_) {
    run_->Fail(absl::CancelledError("abandoned"));
    run_->Collect();
  }
}

namespace {

// The set-up network, with the server at another address.
class Elsewhere final : public Network {
 public:
  Elsewhere(Network* inner, std::string address)
      : inner_(inner), address_(std::move(address)) {}
  std::string Describe() const override { return inner_->Describe(); }
  absl::Status SetupThread(Side side, int connection) override {
    return inner_->SetupThread(side, connection);
  }
  std::string ServerAddress(int) const override { return address_; }

 private:
  Network* const inner_;
  const std::string address_;
};

}  // namespace

void LocalSide::Start(const std::string& address,
                      const std::vector<uint16_t>& ports) {
  setup_.ports = ports;
  setup_.address = address;
  if (!address.empty() && setup_.network != nullptr &&
      address != setup_.network->ServerAddress(0)) {
    elsewhere_ = std::make_unique<Elsewhere>(setup_.network, address);
    setup_.network = elsewhere_.get();
  }
  run_ = SideRun::Start(setup_);
}

void LocalSide::Command(SideCommand command) {
  if (run_ == nullptr) return;
  switch (command) {
    case SideCommand::kGo:
      run_->Go();
      return;
    case SideCommand::kMeasure:
      run_->SetPhase(kMeasure);
      return;
    case SideCommand::kCooldown:
      cooldown_ = true;
      run_->SetPhase(kCooldown);
      return;
    case SideCommand::kStop:
      run_->SetPhase(kStop);
      break;
    case SideCommand::kAbort:
      run_->Fail(absl::CancelledError("stopped: the other side failed"));
      break;
  }
  if (!stop_deadline_) {
    stop_deadline_ =
        absl::Now() + setup_.config.io_timeout + setup_.config.margin;
  }
}

int LocalSide::fd() { return run_ != nullptr ? run_->fd() : idle_.get(); }

SideEvent LocalSide::Result(SideOutcome outcome, absl::string_view why) {
  sent_result_ = true;
  SideEvent e;
  e.kind = SideEvent::kResult;
  e.status = std::move(outcome.status);
  e.sample = std::move(outcome.sample);
  if (outcome.threads_left > 0) {
    e.spent = true;
    e.status =
        Verdict(absl::StatusCode::kDeadlineExceeded,
                absl::StrCat("hung: ", plugin_, " (", SideName(setup_.side),
                             "): ", outcome.threads_left,
                             outcome.threads_left == 1 ? " thread" : " threads",
                             " stuck in the plugin ", why));
  }
  return e;
}

std::optional<SideEvent> LocalSide::NextEvent() {
  if (run_ == nullptr || sent_result_) return std::nullopt;
  run_->Acknowledge();
  absl::Status error = run_->error();
  if (!error.ok() && !sent_failed_) {
    sent_failed_ = true;
    SideEvent e;
    e.kind = SideEvent::kFailed;
    e.status = error;
    return e;
  }
  if (setup_.side == Side::kServer && !sent_listening_ && error.ok() &&
      run_->listening()) {
    sent_listening_ = true;
    SideEvent e;
    e.kind = SideEvent::kListening;
    e.ports = run_->ports();
    e.address = run_->address();
    return e;
  }
  if (!sent_ready_ && error.ok() && run_->ready()) {
    sent_ready_ = true;
    return SideEvent(SideEvent::kReady);
  }
  if (cooldown_ && !sent_windows_ && run_->windows_closed()) {
    sent_windows_ = true;
    return SideEvent(SideEvent::kWindowsClosed);
  }
  if (run_->finished()) return Result(run_->Collect(), "");
  if (stop_deadline_ && absl::Now() >= *stop_deadline_) {
    const absl::Duration waited =
        setup_.config.io_timeout + setup_.config.margin;
    if (!unblocked_) {
      // A worker may only be blocked in the kernel (a send to a peer that
      // stopped reading): shut the sockets down, and give it the margin.
      unblocked_ = true;
      run_->Fail(absl::DeadlineExceededError(
          absl::StrCat("did not finish within ", absl::FormatDuration(waited),
                       " after the cell stopped")));
      stop_deadline_ = absl::Now() + setup_.config.margin;
      return std::nullopt;
    }
    return Result(
        run_->Collect(),
        absl::StrCat("for ",
                     absl::FormatDuration(waited + setup_.config.margin),
                     " after the cell stopped"));
  }
  return std::nullopt;
}

SideEvent LocalSide::Kill(absl::string_view why) {
  if (run_ == nullptr) {
    sent_result_ = true;
    SideEvent e;
    e.kind = SideEvent::kResult;
    e.status = absl::FailedPreconditionError("never started");
    return e;
  }
  if (run_->finished()) return Result(run_->Collect(), "");
  run_->Fail(absl::CancelledError("killed"));
  SideEvent e = Result(run_->Collect(), why);
  if (e.status.ok() || !e.spent) {
    e.status = Verdict(absl::StatusCode::kDeadlineExceeded,
                       absl::StrCat("hung: ", plugin_, " (",
                                    SideName(setup_.side), ") ", why));
  }
  return e;
}

}  // namespace copyscope::engine
