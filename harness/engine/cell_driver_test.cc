#include "harness/engine/cell_driver.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/engine/socket.h"

namespace copyscope::engine {
namespace {

// A side that answers the driver from a script, with no threads at all.
class FakeSide : public SideHandle {
 public:
  explicit FakeSide(Side side) : side_(side), fd_(eventfd(0, EFD_CLOEXEC)) {}

  // The script.
  std::optional<absl::Status> fail_after_go;  // a kFailed event after Go
  std::optional<absl::Status> result_status;  // the result's (default OK)
  bool results_on_go = false;                 // count mode: ends by itself
  bool never_results = false;                 // deaf: the driver must Kill
  record::Sample part;                        // the result's sample

  // What happened.
  std::vector<SideCommand> commands;
  std::vector<uint16_t> started_with;
  std::string started_at;
  bool started = false;
  bool killed = false;

  void Start(const std::string& address,
             const std::vector<uint16_t>& ports) override {
    started = true;
    started_with = ports;
    started_at = address;
    if (side_ == Side::kServer) {
      SideEvent l(SideEvent::kListening);
      l.ports = {40001};
      l.address = "198.18.0.1";
      Push(std::move(l));
    }
    Push(SideEvent(SideEvent::kReady));
  }

  void Command(SideCommand c) override {
    commands.push_back(c);
    if (c == SideCommand::kGo) {
      if (fail_after_go) {
        SideEvent f(SideEvent::kFailed);
        f.status = *fail_after_go;
        Push(std::move(f));
      }
      if (results_on_go) Result();
    }
    if (c == SideCommand::kCooldown) Push(SideEvent(SideEvent::kWindowsClosed));
    if ((c == SideCommand::kStop || c == SideCommand::kAbort) &&
        !never_results && !results_on_go) {
      Result();
    }
  }

  int fd() override { return fd_.get(); }

  std::optional<SideEvent> NextEvent() override {
    if (queue_.empty()) return std::nullopt;
    SideEvent e = std::move(queue_.front());
    queue_.pop_front();
    return e;
  }

  SideEvent Kill(absl::string_view why) override {
    killed = true;
    SideEvent e(SideEvent::kResult);
    e.status =
        Verdict(absl::StatusCode::kDeadlineExceeded,
                absl::StrCat("hung: fake (", SideName(side_), ") ", why));
    e.spent = true;
    return e;
  }

 private:
  void Result() {
    SideEvent r(SideEvent::kResult);
    r.status = result_status.value_or(absl::OkStatus());
    r.sample = part;
    Push(std::move(r));
  }
  void Push(SideEvent e) {
    queue_.push_back(std::move(e));
    uint64_t one = 1;
    ssize_t n = write(fd_.get(), &one, sizeof(one));
    (void)n;
  }

  const Side side_;
  UniqueFd fd_;
  std::deque<SideEvent> queue_;
};

// Short phases and deadlines: the fakes answer at once.
RunnerConfig Quick() {
  RunnerConfig c;
  c.warmup = absl::Milliseconds(1);
  c.duration = absl::Milliseconds(1);
  c.io_timeout = absl::Milliseconds(100);
  c.margin = absl::Milliseconds(100);
  return c;
}

// One connection's halves: the server's report, the client's measurement.
void Parts(FakeSide& server, FakeSide& client) {
  record::Connection* s = server.part.add_connections();
  s->mutable_server()->set_side("server");
  s->mutable_server()->set_user_cpu_s(0.25);
  s->set_tx_messages_total(1000);
  record::NamedCount* sc = s->add_server_counters();
  sc->set_name("send_calls");
  sc->set_value(1000);
  record::Connection* c = client.part.add_connections();
  c->mutable_client()->set_side("client");
  c->set_window_s(0.5);
  c->set_bytes(4096 * 900);
  c->set_messages(900);
  c->set_rx_messages_total(1000);
}

TEST(DriveCellTest, DurationModeRunsThePhasesInOrderAndJoinsTheParts) {
  FakeSide server(Side::kServer), client(Side::kClient);
  Parts(server, client);
  CellResult r = DriveCell(Quick(), server, client);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.sample.status(), "ok");
  EXPECT_TRUE(server.started_with.empty());
  EXPECT_EQ(client.started_with, std::vector<uint16_t>{40001});
  EXPECT_EQ(client.started_at, "198.18.0.1");
  const std::vector<SideCommand> phases = {
      SideCommand::kGo, SideCommand::kMeasure, SideCommand::kCooldown,
      SideCommand::kStop};
  EXPECT_EQ(server.commands, phases);
  EXPECT_EQ(client.commands, phases);
  ASSERT_EQ(r.sample.connections_size(), 1);
  const record::Connection& c = r.sample.connections(0);
  EXPECT_EQ(c.server().side(), "server");
  EXPECT_EQ(c.client().side(), "client");
  EXPECT_EQ(c.messages(), 900u);
  EXPECT_EQ(c.tx_messages_total(), 1000u);
  EXPECT_EQ(c.rx_messages_total(), 1000u);
  ASSERT_EQ(r.sample.server_counters_size(), 1);
  EXPECT_EQ(r.sample.server_counters(0).value(), 1000u);
}

TEST(DriveCellTest, CountModeWaitsForTheSidesToEnd) {
  FakeSide server(Side::kServer), client(Side::kClient);
  Parts(server, client);
  server.results_on_go = client.results_on_go = true;
  RunnerConfig config = Quick();
  config.messages = 100;
  CellResult r = DriveCell(config, server, client);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(server.commands, std::vector<SideCommand>{SideCommand::kGo});
}

TEST(DriveCellTest, AFailingSideAbortsBothAndItsErrorIsTheStatus) {
  FakeSide server(Side::kServer), client(Side::kClient);
  Parts(server, client);
  client.fail_after_go = absl::InternalError("client 0: recv failed");
  client.result_status = absl::InternalError("client 0: recv failed");
  server.result_status = absl::CancelledError("stopped: the other side failed");
  CellResult r = DriveCell(Quick(), server, client);
  EXPECT_EQ(r.status.message(), "client 0: recv failed");
  EXPECT_EQ(r.sample.status(), "failed: client 0: recv failed");
  EXPECT_EQ(server.commands.back(), SideCommand::kAbort);
  EXPECT_EQ(client.commands.back(), SideCommand::kAbort);
}

TEST(DriveCellTest, ASideThatDiedOutranksItsPeersSymptom) {
  FakeSide server(Side::kServer), client(Side::kClient);
  // The client sees its stream end first; the server's agent was killed.
  client.fail_after_go = absl::AbortedError("the sender closed the connection");
  server.result_status =
      Verdict(absl::StatusCode::kAborted, "crashed: SIGSEGV in x (server)");
  CellResult r = DriveCell(Quick(), server, client);
  EXPECT_EQ(r.sample.status(), "crashed: SIGSEGV in x (server)");
}

TEST(DriveCellTest, ASideThatNeverAnswersIsKilledAndTheCellIsHung) {
  FakeSide server(Side::kServer), client(Side::kClient);
  Parts(server, client);
  client.never_results = true;
  CellResult r = DriveCell(Quick(), server, client);
  EXPECT_TRUE(client.killed);
  EXPECT_FALSE(server.killed);
  EXPECT_TRUE(absl::StartsWith(r.sample.status(), "hung: fake (client)"))
      << r.sample.status();
}

TEST(DriveCellTest, AnInterruptCancelsTheSample) {
  FakeSide server(Side::kServer), client(Side::kClient);
  Parts(server, client);
  std::atomic<bool> interrupted{true};
  RunnerConfig config = Quick();
  config.interrupt = &interrupted;
  CellResult r = DriveCell(config, server, client);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(server.commands.back(), SideCommand::kAbort);
}

TEST(MergeSidesTest, NoConnectionMeasuringIsAnError) {
  record::Sample server, client, out;
  server.add_connections();
  client.add_connections();
  absl::Status s = MergeSides(server, client, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "no connection received"));
}

TEST(MergeSidesTest, PartsOfDifferentSizesAreAnError) {
  record::Sample server, client, out;
  server.add_connections();
  EXPECT_FALSE(MergeSides(server, client, &out).ok());
}

TEST(SampleStatusTest, VerdictsStandAsTheyAre) {
  EXPECT_EQ(SampleStatus(absl::OkStatus()), "ok");
  EXPECT_EQ(SampleStatus(absl::InternalError("x")), "failed: x");
  EXPECT_EQ(SampleStatus(Verdict(absl::StatusCode::kAborted,
                                 "exited: status 3 in y (client)")),
            "exited: status 3 in y (client)");
}

}  // namespace
}  // namespace copyscope::engine

namespace copyscope::engine {
namespace {

TEST(DriveCellTest, ThePeersBrokenPipeIsASymptomNotTheCause) {
  FakeSide server(Side::kServer), client(Side::kClient);
  // The server's error comes first, but it is what the client's failure
  // did to it.
  server.fail_after_go =
      absl::FailedPreconditionError("server 0: send failed: Broken pipe");
  client.fail_after_go = absl::InternalError("client 0: recv() returned junk");
  CellResult r = DriveCell(Quick(), server, client);
  EXPECT_EQ(r.status.message(), "client 0: recv() returned junk");
}

}  // namespace
}  // namespace copyscope::engine

namespace copyscope::engine {
namespace {

TEST(DriveCellTest, AServerThatCannotStartLeavesTheClientUnstarted) {
  FakeSide client(Side::kClient);
  // The server's Start fails at once: its only event is its result.
  class RefusingServer : public FakeSide {
   public:
    RefusingServer() : FakeSide(Side::kServer) {}
    void Start(const std::string&, const std::vector<uint16_t>&) override {
      started = true;
      result_status = absl::FailedPreconditionError("x differs between hosts");
      Command(SideCommand::kAbort);
      commands.clear();
    }
  } refusing;
  CellResult r = DriveCell(Quick(), refusing, client);
  EXPECT_EQ(r.status.message(), "x differs between hosts");
  EXPECT_FALSE(client.started);
  EXPECT_FALSE(client.killed);
  EXPECT_TRUE(client.commands.empty());
}

}  // namespace
}  // namespace copyscope::engine
