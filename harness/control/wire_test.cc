#include "harness/control/wire.h"

#include "gtest/gtest.h"

namespace copyscope::control {
namespace {

TEST(WireTest, ACellSurvivesTheTrip) {
  config::CellSpec spec;
  spec.transport = "two_copy";
  spec.recv_transport = "uring_recv";
  spec.size = 65536;
  spec.fields = 3;
  spec.threads = 4;
  spec.options = {{"a", "1"}, {"b", "x=y"}};
  spec.recv_options = {{"depth", "8"}};
  spec.mode = config::Mode::kRequestResponse;
  spec.direction = config::Direction::kClientToServer;
  spec.request_size = 100;
  spec.response_size = 2000;
  absl::StatusOr<config::CellSpec> back = SpecOf(CellOf(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->transport, spec.transport);
  EXPECT_EQ(back->recv_transport, spec.recv_transport);
  EXPECT_EQ(back->size, spec.size);
  EXPECT_EQ(back->fields, spec.fields);
  EXPECT_EQ(back->threads, spec.threads);
  EXPECT_EQ(back->options, spec.options);
  EXPECT_EQ(back->recv_options, spec.recv_options);
  EXPECT_EQ(back->mode, spec.mode);
  EXPECT_EQ(back->direction, spec.direction);
  EXPECT_EQ(back->request_size, spec.request_size);
  EXPECT_EQ(back->response_size, spec.response_size);
  EXPECT_TRUE(back->background.none());
}

TEST(WireTest, ABackgroundSurvivesTheTrip) {
  config::CellSpec spec;
  spec.mode = config::Mode::kRequestResponse;
  spec.background = {"two_copy", 3, 65536};
  spec.background_options = {{"k", "v"}};
  absl::StatusOr<config::CellSpec> back = SpecOf(CellOf(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->background, spec.background);
  EXPECT_EQ(back->background_options, spec.background_options);
  Cell c = CellOf(spec);
  c.set_background_threads(1000);
  EXPECT_FALSE(SpecOf(c).ok());
  c = CellOf(spec);
  c.set_background_size(0);
  EXPECT_FALSE(SpecOf(c).ok());
}

TEST(WireTest, TheFamilySurvivesTheTrip) {
  config::CellSpec spec;
  spec.transport = "two_copy";
  EXPECT_EQ(CellOf(spec).family(), "");  // inet: as before
  for (config::Family f :
       {config::Family::kInet, config::Family::kInet6, config::Family::kUnix}) {
    spec.family = f;
    absl::StatusOr<config::CellSpec> back = SpecOf(CellOf(spec));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->family, f);
  }
  Cell bad = CellOf(spec);
  bad.set_family("ipx");
  EXPECT_EQ(SpecOf(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WireTest, RunnerSettingsSurviveTheTrip) {
  engine::RunnerConfig config;
  config.io_timeout = absl::Seconds(3);
  config.margin = absl::Seconds(2);
  config.max_in_flight = 16;
  config.in_flight_bytes = 1 << 20;
  config.messages = 500;
  config.warmup_messages = 50;
  config.verify = true;
  config.interval = absl::Milliseconds(100);
  engine::RunnerConfig back = RunnerConfigOf(RunnerOf(config));
  EXPECT_EQ(back.io_timeout, config.io_timeout);
  EXPECT_EQ(back.margin, config.margin);
  EXPECT_EQ(back.max_in_flight, config.max_in_flight);
  EXPECT_EQ(back.in_flight_bytes, config.in_flight_bytes);
  EXPECT_EQ(back.messages, config.messages);
  EXPECT_EQ(back.warmup_messages, config.warmup_messages);
  EXPECT_TRUE(back.verify);
  EXPECT_EQ(back.interval, absl::Milliseconds(100));
  config.verify = false;
  config.interval = absl::ZeroDuration();
  back = RunnerConfigOf(RunnerOf(config));
  EXPECT_FALSE(back.verify);
  EXPECT_EQ(back.interval, absl::ZeroDuration());
}

TEST(WireTest, ABadCellIsRefused) {
  Cell c = CellOf(config::CellSpec());
  c.set_mode("sideways");
  EXPECT_FALSE(SpecOf(c).ok());
  c = CellOf(config::CellSpec());
  c.set_threads(0);
  EXPECT_FALSE(SpecOf(c).ok());
  c = CellOf(config::CellSpec());
  c.set_size(0);
  EXPECT_FALSE(SpecOf(c).ok());
}

TEST(WireTest, StatusesKeepCodeMessageAndVerdict) {
  absl::Status plain = absl::DeadlineExceededError("slow");
  EXPECT_EQ(StatusFrom(StatusOf(plain)), plain);
  absl::Status v = engine::Verdict(absl::StatusCode::kAborted,
                                   "corrupt: message 3 offset 9");
  absl::Status back = StatusFrom(StatusOf(v));
  EXPECT_TRUE(engine::IsVerdict(back));
  EXPECT_EQ(engine::SampleStatus(back), "corrupt: message 3 offset 9");
  EXPECT_TRUE(StatusFrom(StatusOf(absl::OkStatus())).ok());
  Status odd;
  odd.set_code(999);
  odd.set_message("from a newer agent");
  EXPECT_EQ(StatusFrom(odd).code(), absl::StatusCode::kUnknown);
}

TEST(WireTest, EventsAndCommandsSurviveTheTrip) {
  engine::SideEvent e(engine::SideEvent::kResult);
  e.status = absl::InternalError("boom");
  e.sample.set_status("failed: boom");
  e.spent = true;
  engine::SideEvent back = EventFrom(EventOf(e));
  EXPECT_EQ(back.kind, engine::SideEvent::kResult);
  EXPECT_EQ(back.status, e.status);
  EXPECT_EQ(back.sample.status(), "failed: boom");
  EXPECT_TRUE(back.spent);
  engine::SideEvent l(engine::SideEvent::kListening);
  l.ports = {40000, 40001};
  EXPECT_EQ(EventFrom(EventOf(l)).ports, l.ports);
  for (engine::SideCommand c :
       {engine::SideCommand::kGo, engine::SideCommand::kMeasure,
        engine::SideCommand::kCooldown, engine::SideCommand::kStop,
        engine::SideCommand::kAbort}) {
    EXPECT_EQ(CommandFrom(CommandOf(c)), c);
  }
}

}  // namespace
}  // namespace copyscope::control
