#include "harness/control/sweep.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::control {
namespace {

// Sides that answer from a script: every sample moves `size` bytes per
// message for one second, 1000 + calls messages, or the Gbit/s of `gbps`
// for its cell (by size, one value per call, the last repeated); the n-th
// call fails or is cut short when asked; `ramp` gives a cell's n-th sample
// slices that climb (else flat ones). Each call advances `clock` by one
// second when set.
class FakeSides : public Sides {
 public:
  engine::CellResult RunSample(const config::CellSpec& cell,
                               const SampleRequest& request) override {
    ++calls;
    const int nth = ++calls_of[cell.size];  // 1-based, per cell
    order.push_back(cell.size);
    requests.emplace_back(cell.size, request);
    if (clock != nullptr) *clock += absl::Seconds(1);
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
    auto g = gbps.find(cell.size);
    if (g != gbps.end()) {
      const double v = g->second[std::min<size_t>(nth, g->second.size()) - 1];
      c->set_bytes(static_cast<uint64_t>(v * 1e9 / 8));
    }
    auto ramping = ramp.find(cell.size);
    const bool climbs = ramping != ramp.end() &&
                        static_cast<size_t>(nth) <= ramping->second.size() &&
                        ramping->second[nth - 1];
    for (int i = 0; i < 10; ++i) {
      record::Slice* s = r.sample.add_slices();
      s->set_start_s(0.1 * i);
      s->set_length_s(0.1);
      s->set_messages(climbs ? 100 * (i + 1) : (i % 2 == 0 ? 100 : 101));
    }
    return r;
  }
  int calls = 0;
  int fail_at = 0;
  int fatal_at = 0;
  int cancel_at = 0;
  std::atomic<bool>* interrupt = nullptr;
  absl::Time* clock = nullptr;
  std::vector<uint64_t> order;
  std::vector<std::pair<uint64_t, SampleRequest>> requests;
  std::map<uint64_t, int> calls_of;
  std::map<uint64_t, std::vector<double>> gbps;
  std::map<uint64_t, std::vector<bool>> ramp;
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

// --reps=auto.

SweepConfig Auto(int max_reps = 10) {
  SweepConfig config;
  config.reps_auto = true;
  config.rule.max_reps = max_reps;
  return config;
}

const std::vector<double> kSteady = {10.0};  // every sample the same
const std::vector<double> kNoisy = {10, 12, 9, 11, 13, 8, 10, 12, 9, 11};

std::string Decision(const record::Run& run, int cell) {
  return run.cells(cell).convergence().decision();
}

// The steady cell converges after its first three samples and leaves; the
// noisy one goes on alone, round after round, until max_reps.
TEST(SweepAutoTest, RepeatsOnlyTheCellsThatHaveNotConverged) {
  FakeSides sides;
  sides.gbps = {{256, kSteady}, {1024, kNoisy}};
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), Auto(6), sides, &run, nullptr);
  EXPECT_EQ(sides.order, (std::vector<uint64_t>{256, 1024, 256, 1024, 256, 1024,
                                                1024, 1024, 1024}));
  EXPECT_EQ(out.samples, 9);
  EXPECT_EQ(out.rounds, 6);
  EXPECT_FALSE(out.interrupted);
  ASSERT_EQ(run.cells_size(), 2);
  EXPECT_EQ(run.cells(0).samples_size(), 3);
  EXPECT_TRUE(run.cells(0).converged());
  EXPECT_EQ(Decision(run, 0), "converged");
  EXPECT_EQ(run.cells(0).convergence().relative_half_width(), 0);
  EXPECT_EQ(run.cells(1).samples_size(), 6);
  EXPECT_FALSE(run.cells(1).converged());
  EXPECT_EQ(Decision(run, 1), "gave up");
  // n = 6: the median's interval, [min, max] = [8, 13] around 10.5.
  EXPECT_EQ(run.cells(1).convergence().basis(), "median");
  EXPECT_DOUBLE_EQ(run.cells(1).convergence().low(), 8);
  EXPECT_DOUBLE_EQ(run.cells(1).convergence().high(), 13);
  // Rep numbers are the rounds.
  EXPECT_EQ(run.cells(1).samples(5).rep(), 6);
}

// Each sample takes one second of the fake clock. The first three rounds
// (6 s) always run; a fourth needs 2 s more.
TEST(SweepAutoTest, ABudgetBoundsTheRoundsAfterTheFirstThree) {
  for (const auto& [budget, samples] :
       std::vector<std::pair<int, int>>{{5, 3}, {7, 3}, {8, 4}, {10, 5}}) {
    FakeSides sides;
    absl::Time now = absl::UnixEpoch();
    sides.clock = &now;
    sides.gbps = {{256, kNoisy}, {1024, kNoisy}};
    SweepConfig config = Auto();
    config.time_budget = absl::Seconds(budget);
    config.now = [&] { return now; };
    record::Run run;
    SweepOutcome out = RunSweep(TwoCells(), config, sides, &run, nullptr);
    EXPECT_EQ(out.samples, 2 * samples) << budget;
    for (int c = 0; c < 2; ++c) {
      EXPECT_EQ(run.cells(c).samples_size(), samples) << budget;
      EXPECT_EQ(Decision(run, c), "time budget") << budget;
      EXPECT_FALSE(run.cells(c).converged()) << budget;
    }
  }
}

TEST(SweepAutoTest, AFailedSampleEndsItsCellsRepetitions) {
  FakeSides sides;
  sides.fail_at = 1;  // the first sample of the 256 cell
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), Auto(), sides, &run, nullptr);
  EXPECT_EQ(out.failed_samples, 1);
  EXPECT_EQ(run.cells(0).samples_size(), 1);
  EXPECT_EQ(Decision(run, 0), "failed");
  EXPECT_EQ(run.cells(0).status(), "failed: boom");
  EXPECT_EQ(run.cells(1).samples_size(), 3);  // 1000 + calls: within 2%
  EXPECT_EQ(Decision(run, 1), "converged");
}

TEST(SweepAutoTest, AnInterruptLeavesTheRepeatingCellsInterrupted) {
  FakeSides sides;
  std::atomic<bool> stop{false};
  sides.gbps = {{256, kSteady}, {1024, kNoisy}};
  sides.cancel_at = 8;  // the 1024 cell's fifth sample
  sides.interrupt = &stop;
  SweepConfig config = Auto();
  config.interrupt = &stop;
  record::Run run;
  SweepOutcome out = RunSweep(TwoCells(), config, sides, &run, nullptr);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(Decision(run, 0), "converged");
  EXPECT_EQ(run.cells(1).samples_size(), 4);
  EXPECT_EQ(Decision(run, 1), "interrupted");
}

TEST(SweepAutoTest, FixedRepetitionsAreJudgedByTheSameRule) {
  FakeSides sides;
  sides.gbps = {{256, kSteady}, {1024, kNoisy}};
  record::Run run;
  RunSweep(TwoCells(), SweepConfig(), sides, &run, nullptr);  // 3 reps
  EXPECT_EQ(run.cells(0).samples_size(), 3);
  EXPECT_EQ(run.cells(1).samples_size(), 3);
  EXPECT_EQ(Decision(run, 0), "fixed");
  EXPECT_EQ(Decision(run, 1), "fixed");
  EXPECT_TRUE(run.cells(0).converged());
  EXPECT_FALSE(run.cells(1).converged());
}

// The steady-state check.

config::Plan OneCell() {
  config::Plan plan = TwoCells();
  plan.cells.pop_back();
  return plan;
}

TEST(SweepSteadyTest, ATrendingSampleIsRetakenOnceWithALongerWarmup) {
  FakeSides sides;
  sides.ramp = {{256, {true, true, true}}};  // the retake climbs too
  record::Run run;
  SweepOutcome out = RunSweep(OneCell(), SweepConfig(), sides, &run, nullptr);
  EXPECT_EQ(out.retakes, 1);
  EXPECT_EQ(sides.calls, 4);  // 3 samples, one of them retaken
  // The plan's warm-up first; then its own plus one duration, for good.
  ASSERT_EQ(sides.requests.size(), 4u);
  EXPECT_EQ(sides.requests[0].second.warmup, absl::Milliseconds(100));
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(sides.requests[i].second.warmup, absl::Milliseconds(400)) << i;
  }
  const record::Cell& cell = run.cells(0);
  ASSERT_EQ(cell.samples_size(), 3);
  const record::Sample& first = cell.samples(0);
  EXPECT_EQ(first.retaken_trend().verdict(), "trending");
  EXPECT_EQ(first.trend().verdict(), "trending");  // still: marked
  EXPECT_DOUBLE_EQ(first.warmup_s(), 0.4);
  // Not retaken again: the second sample (the third call) trends and is
  // kept as it is; the third (the fourth call) is flat.
  EXPECT_FALSE(cell.samples(1).has_retaken_trend());
  EXPECT_EQ(cell.samples(1).trend().verdict(), "trending");
  EXPECT_EQ(cell.samples(2).trend().verdict(), "steady");
  EXPECT_EQ(cell.trending(), 2u);
}

TEST(SweepSteadyTest, ARetakeThatSettledIsSteady) {
  FakeSides sides;
  sides.ramp = {{256, {true}}};
  record::Run run;
  SweepOutcome out = RunSweep(OneCell(), SweepConfig(), sides, &run, nullptr);
  EXPECT_EQ(out.retakes, 1);
  const record::Cell& cell = run.cells(0);
  EXPECT_EQ(cell.samples(0).retaken_trend().verdict(), "trending");
  EXPECT_EQ(cell.samples(0).trend().verdict(), "steady");
  EXPECT_EQ(cell.trending(), 0u);
}

TEST(SweepSteadyTest, CountModeWarmsUpOneSampleMore) {
  FakeSides sides;
  sides.ramp = {{256, {true}}};
  SweepConfig config;
  config.messages = 5000;
  config.warmup_messages = 500;
  record::Run run;
  RunSweep(OneCell(), config, sides, &run, nullptr);
  ASSERT_GE(sides.requests.size(), 2u);
  EXPECT_EQ(sides.requests[0].second.warmup_messages, 500u);
  EXPECT_EQ(sides.requests[1].second.warmup_messages, 5500u);
  EXPECT_EQ(run.cells(0).samples(0).warmup_messages(), 5500u);
}

TEST(SweepSteadyTest, CanBeTurnedOff) {
  FakeSides sides;
  sides.ramp = {{256, {true}}};
  SweepConfig config;
  config.retake_trending = false;
  record::Run run;
  SweepOutcome out = RunSweep(OneCell(), config, sides, &run, nullptr);
  EXPECT_EQ(out.retakes, 0);
  EXPECT_EQ(sides.calls, 3);
  EXPECT_EQ(run.cells(0).samples(0).trend().verdict(), "trending");
}

TEST(SweepTest, EverySampleIsHandedOn) {
  FakeSides sides;
  SweepConfig config;
  std::vector<std::pair<uint64_t, int>> seen;
  config.on_sample = [&](const config::CellSpec& c, const record::Sample& s) {
    seen.emplace_back(c.size, s.rep());
  };
  record::Run run;
  RunSweep(TwoCells(), config, sides, &run, nullptr);
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen.back(), (std::pair<uint64_t, int>{1024, 3}));
}

// What the plan says up front: 2 cells, 0.1 + 0.3 + 0.1 s per sample.
TEST(RepetitionsPlanTest, FixedAutoBudgetAndCountMode) {
  SweepConfig config;
  EXPECT_EQ(RepetitionsPlan(TwoCells(), config),
            "repetitions: 3 per cell, 6 samples, about 00:03 (est. 0.50 s per "
            "sample)");
  config = Auto();
  EXPECT_EQ(RepetitionsPlan(TwoCells(), config),
            "repetitions: auto, 3 to 10 per cell until the 95% CI is within "
            "+-2%: 6 to 20 samples, about 00:03 to 00:10 (est. 0.50 s per "
            "sample)");
  config.time_budget = absl::Seconds(4);
  EXPECT_EQ(RepetitionsPlan(TwoCells(), config),
            "repetitions: auto, 3 to 10 per cell until the 95% CI is within "
            "+-2%: 6 to 20 samples, about 00:03 to 00:10 (est. 0.50 s per "
            "sample); --time-budget=4s allows about 8 samples (4 rounds of "
            "all 2 cells)");
  config.time_budget = absl::Seconds(60);  // more than 10 rounds take
  EXPECT_TRUE(absl::EndsWith(RepetitionsPlan(TwoCells(), config),
                             "; --time-budget=1m allows all of them"));
  config.time_budget = absl::Seconds(2);
  EXPECT_TRUE(absl::EndsWith(
      RepetitionsPlan(TwoCells(), config),
      "allows about 4 samples (2 rounds of all 2 cells), less than the first "
      "3 every cell gets"));
  config.messages = 5000;
  EXPECT_EQ(RepetitionsPlan(TwoCells(), config),
            "repetitions: auto, 3 to 10 per cell until the 95% CI is within "
            "+-2%: 6 to 20 samples; the time of a sample is known after the "
            "first (count mode); --time-budget=2s bounds the rounds after the "
            "first 3");
}

}  // namespace
}  // namespace copyscope::control
