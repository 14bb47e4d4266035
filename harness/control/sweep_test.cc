#include "harness/control/sweep.h"

#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::control {
namespace {

// Sides that answer from a script: every sample moves `size` bytes per
// message for one second; the n-th call fails or is cut short when asked.
class FakeSides : public Sides {
 public:
  engine::CellResult RunSample(const config::CellSpec& cell) override {
    ++calls;
    order.push_back(cell.size);
    engine::CellResult r;
    if (calls == fatal_at) {
      r.status = absl::UnavailableError("could not start the server agent");
      r.fatal = true;
    } else if (calls == fail_at) {
      r.status = absl::UnavailableError("boom");
    } else if (calls == cancel_at) {
      r.status = absl::CancelledError("interrupted");
      if (interrupt != nullptr) interrupt->store(true);
    }
    r.sample.set_status(
        r.status.ok() ? "ok" : absl::StrCat("failed: ", r.status.message()));
    record::Connection* c = r.sample.add_connections();
    c->set_window_s(1.0);
    c->set_messages(1000 + calls);
    c->set_bytes(c->messages() * cell.size);
    return r;
  }
  int calls = 0;
  int fail_at = 0;
  int fatal_at = 0;
  int cancel_at = 0;
  std::atomic<bool>* interrupt = nullptr;
  std::vector<uint64_t> order;
};

config::Plan TwoCells() {
  config::Plan plan;
  for (uint64_t size : {256, 1024}) {
    config::CellSpec c;
    c.transport = "t";
    c.size = size;
    plan.cells.push_back(c);
  }
  return plan;
}

TEST(SweepTest, FormatEta) {
  EXPECT_EQ(FormatEta(absl::Seconds(0)), "00:00");
  EXPECT_EQ(FormatEta(absl::Seconds(65)), "01:05");
  EXPECT_EQ(FormatEta(absl::Seconds(3599)), "59:59");
  EXPECT_EQ(FormatEta(absl::Seconds(3661)), "1:01:01");
  EXPECT_EQ(FormatEta(absl::Seconds(-3)), "00:00");
}

TEST(SweepTest, EmptyPlanRecordsNothing) {
  FakeSides sides;
  record::Run run;
  int calls = 0;
  SweepOutcome out = RunSweep(config::Plan(), SweepConfig(), sides, &run,
                              [&](const record::Run&) {
                                ++calls;
                                return absl::OkStatus();
                              });
  EXPECT_EQ(out.samples, 0);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(sides.calls, 0);
  EXPECT_EQ(run.cells_size(), 0);
}

// Two cells, three repetitions: samples come rep-major (every cell once,
// then again) and each cell ends with three samples and statistics.
TEST(SweepTest, RepetitionsAreInterleavedAcrossCells) {
  FakeSides sides;
  SweepConfig config;
  config.reps = 3;
  record::Run run;
  std::vector<std::pair<uint64_t, int>> order;  // size, rep
  std::map<uint64_t, int> seen;                 // samples per size so far
  SweepOutcome out =
      RunSweep(TwoCells(), config, sides, &run, [&](const record::Run& r) {
        for (const record::Cell& c : r.cells()) {
          int& n = seen[c.key().size()];
          if (c.samples_size() > n) {
            n = c.samples_size();
            order.emplace_back(c.key().size(), c.samples(n - 1).rep());
          }
        }
        return absl::OkStatus();
      });
  EXPECT_EQ(out.samples, 6);
  EXPECT_EQ(out.failed_samples, 0);
  EXPECT_FALSE(out.interrupted);
  EXPECT_EQ(
      order,
      (std::vector<std::pair<uint64_t, int>>{
          {256, 1}, {1024, 1}, {256, 2}, {1024, 2}, {256, 3}, {1024, 3}}));
  ASSERT_EQ(run.cells_size(), 2);
  for (const record::Cell& c : run.cells()) {
    EXPECT_EQ(c.samples_size(), 3);
    EXPECT_EQ(c.status(), "ok");
    const record::Aggregate* a = record::FindAggregate(c, "throughput_gbps");
    ASSERT_NE(a, nullptr);  // derived from the raw sample
    EXPECT_EQ(a->n(), 3u);
    EXPECT_TRUE(a->has_ci95_low());
  }
}

TEST(SweepTest, AFailedSampleIsRecordedAndCounted) {
  FakeSides sides;
  sides.fail_at = 2;
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), SweepConfig(), sides, &run, nullptr);
  EXPECT_EQ(out.samples, 6);
  EXPECT_EQ(out.failed_samples, 1);
  EXPECT_EQ(run.cells(1).status(), "failed: boom");
  EXPECT_EQ(run.cells(0).status(), "ok");
}

TEST(SweepTest, ASampleCutShortByAnInterruptIsNotRecorded) {
  FakeSides sides;
  std::atomic<bool> stop{false};
  sides.cancel_at = 3;
  sides.interrupt = &stop;
  SweepConfig config;
  config.interrupt = &stop;
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), config, sides, &run, nullptr);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.samples, 2);
  EXPECT_EQ(out.cells_kept, 2);
  EXPECT_EQ(run.cells(0).samples_size(), 1);
}

TEST(SweepTest, AnErrorOfTheCallbackStopsTheSweepAtOnce) {
  FakeSides sides;
  record::Run run;
  int writes = 0;
  SweepOutcome out =
      RunSweep(TwoCells(), SweepConfig(), sides, &run, [&](const record::Run&) {
        return ++writes == 2 ? absl::ResourceExhaustedError("disk full")
                             : absl::OkStatus();
      });
  EXPECT_EQ(sides.calls, 2);  // no sample after the failed write
  EXPECT_EQ(out.samples, 2);
  EXPECT_EQ(out.stopped.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(out.interrupted);
}

TEST(SweepTest, ASampleThatCannotRunStopsTheSweepUnrecorded) {
  FakeSides sides;
  sides.fatal_at = 3;
  SweepConfig config;
  config.reps = 3;
  record::Run run;
  int saved = 0;
  SweepOutcome out =
      RunSweep(TwoCells(), config, sides, &run, [&](const record::Run&) {
        ++saved;
        return absl::OkStatus();
      });
  EXPECT_EQ(sides.calls, 3);  // nothing after it
  EXPECT_EQ(out.samples, 2);
  EXPECT_EQ(saved, 2);
  EXPECT_EQ(out.stopped.message(), "could not start the server agent");
  EXPECT_EQ(run.cells_size(), 2);
}

TEST(SweepTest, AnInterruptBeforeTheStartRecordsNothing) {
  FakeSides sides;
  std::atomic<bool> stop{true};
  SweepConfig config;
  config.interrupt = &stop;
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), config, sides, &run, nullptr);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.samples, 0);
  EXPECT_EQ(out.cells_kept, 0);
  EXPECT_EQ(sides.calls, 0);
}

}  // namespace
}  // namespace copyscope::control
