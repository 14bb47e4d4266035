#include "harness/record/run_summary.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::record {
namespace {

using ::testing::IsEmpty;

void AddMetric(Sample* s, const std::string& name, double value) {
  Metric* m = s->add_metrics();
  m->set_name(name);
  m->set_value(value);
}

// A stamped run of two cells: a stream cell of 3 samples (the second
// failed) and an rr cell whose record predates primary_metric.
Run TwoCellRun() {
  Run run;
  run.set_run_id("r1");
  run.set_started_utc("2026-01-02T03:04:05.000Z");
  run.mutable_build()->set_version("0.1.0");
  run.mutable_build()->set_stamped(true);
  run.mutable_build()->set_git_commit("0123456789abcdef0123");
  run.mutable_build()->set_git_dirty(1);

  Cell* stream = run.add_cells();
  CellKey* k = stream->mutable_key();
  k->set_transport("two_copy");
  k->set_recv_transport("uring_recv");
  k->set_size(4096);
  k->set_threads(2);
  k->set_fields(8);
  k->set_mode("stream");
  k->set_direction("server-to-client");
  stream->set_status("failed: boom");
  stream->set_primary_metric("throughput_gbps");
  stream->set_unstable(true);
  for (int rep = 1; rep <= 3; ++rep) {
    Sample* s = stream->add_samples();
    s->set_rep(rep);
    s->set_status(rep == 2 ? "failed: boom" : "ok");
    AddMetric(s, "throughput_gbps", 10.0 + rep);
    AddMetric(s, "server_cpu_util", 0.5);
    AddMetric(s, "cycles_per_byte", 2.0);
  }
  Aggregate* a = stream->add_aggregates();
  a->set_metric("throughput_gbps");
  a->set_n(2);
  a->set_median(12);
  a->set_ci95_low(0.0);
  a->set_ci95_high(24.0);

  Cell* rr = run.add_cells();
  rr->mutable_key()->set_transport("one_copy");
  rr->mutable_key()->set_size(64);
  rr->mutable_key()->set_threads(1);
  rr->mutable_key()->set_mode("rr");
  rr->mutable_key()->set_request_size(64);
  rr->mutable_key()->set_response_size(32);
  rr->set_status("ok");
  Sample* s = rr->add_samples();
  s->set_rep(1);
  s->set_status("ok");
  AddMetric(s, "transactions_per_sec", 70000);
  AddMetric(s, "latency_p50_us", std::numeric_limits<double>::quiet_NaN());
  Aggregate* b = rr->add_aggregates();
  b->set_metric("transactions_per_sec");
  b->set_n(1);
  b->set_median(70000);

  Cell* crr = run.add_cells();
  *crr->mutable_key() = rr->key();
  crr->mutable_key()->set_mode("crr");
  crr->set_status("ok");
  s = crr->add_samples();
  s->set_rep(1);
  s->set_status("ok");
  AddMetric(s, "connections_per_sec", 20000);
  return run;
}

TEST(RunSummaryTest, TakesIdentityBuildKeysEstimatesAndOkSamples) {
  RunSummary s = SummaryOf(TwoCellRun(), "fp", {"server_cpu_util"});
  EXPECT_EQ(s.run.run_id, "r1");
  EXPECT_EQ(s.run.started_utc, "2026-01-02T03:04:05.000Z");
  EXPECT_EQ(s.run.git_commit, "0123456789abcdef0123");
  EXPECT_EQ(s.run.git_dirty, 1);
  EXPECT_EQ(s.run.version, "0.1.0");
  EXPECT_EQ(s.fingerprint, "fp");
  ASSERT_EQ(s.cells.size(), 3u);

  const CellSummary& c = s.cells[0];
  EXPECT_EQ(c.key.transport, "two_copy");
  EXPECT_EQ(c.key.recv_transport, "uring_recv");
  EXPECT_EQ(c.key.size, 4096u);
  EXPECT_EQ(c.key.threads, 2);
  EXPECT_EQ(c.key.fields, 8u);
  EXPECT_EQ(c.key.mode, "stream");
  EXPECT_EQ(c.key.direction, "server-to-client");
  EXPECT_EQ(c.status, "failed: boom");
  EXPECT_EQ(c.metric, "throughput_gbps");
  EXPECT_TRUE(c.unstable);
  EXPECT_EQ(c.median, 12);
  EXPECT_EQ(c.ci95_low, 0.0);
  EXPECT_EQ(c.ci95_high, 24.0);
  EXPECT_EQ(c.n, 2);
  // Ok samples only; the primary metric and the extra asked for.
  ASSERT_EQ(c.samples.size(), 4u);
  EXPECT_EQ(c.samples[0].rep, 1);
  EXPECT_EQ(c.samples[0].metric, "throughput_gbps");
  EXPECT_EQ(c.samples[0].value, 11);
  EXPECT_EQ(c.samples[1].metric, "server_cpu_util");
  EXPECT_EQ(c.samples[2].rep, 3);
  EXPECT_EQ(c.samples[2].value, 13);

  const CellSummary& r = s.cells[1];
  EXPECT_EQ(r.metric, "transactions_per_sec");  // from the mode
  EXPECT_EQ(r.key.request_size, 64u);
  EXPECT_EQ(r.key.response_size, 32u);
  EXPECT_EQ(r.n, 1);
  EXPECT_FALSE(r.ci95_low.has_value());
  EXPECT_EQ(r.samples.size(), 1u);

  ASSERT_EQ(s.cells.size(), 3u);
  EXPECT_EQ(s.cells[2].metric, "connections_per_sec");  // from the mode
  EXPECT_EQ(s.cells[2].key.mode, "crr");
  ASSERT_EQ(s.cells[2].samples.size(), 1u);
  EXPECT_EQ(s.cells[2].samples[0].value, 20000);
}

TEST(RunSummaryTest, NonFiniteValuesAndMissingAggregatesStayOut) {
  record::Run run = TwoCellRun();
  run.mutable_cells(1)->clear_aggregates();
  RunSummary s = SummaryOf(run, "fp", {"latency_p50_us"});
  const CellSummary& r = s.cells[1];
  EXPECT_FALSE(r.median.has_value());
  EXPECT_EQ(r.n, 0);
  ASSERT_EQ(r.samples.size(), 1u);  // the NaN latency is left out
  EXPECT_EQ(r.samples[0].metric, "transactions_per_sec");
}

// A latency-under-load cell is a cell of its own in the history, never
// mixed with the same cell measured idle.
TEST(RunSummaryTest, ACellWithABackgroundIsACellOfItsOwn) {
  record::Run run = TwoCellRun();
  const int loaded = run.cells_size();
  *run.add_cells() = run.cells(1);
  run.mutable_cells(loaded)->mutable_key()->set_background("two_copy:1:65536");
  RunSummary s = SummaryOf(run, "fp");
  ASSERT_EQ(s.cells.size(), static_cast<size_t>(loaded) + 1);
  EXPECT_EQ(s.cells[1].key, HistoryKeyOf(run.cells(1).key()));
  EXPECT_FALSE(s.cells[loaded].key == s.cells[1].key);
  EXPECT_EQ(s.cells[loaded].key.transport, "one_copy under two_copy:1:65536");
}

TEST(RunSummaryTest, AnUnstampedBuildHasNoCommit) {
  record::Run run = TwoCellRun();
  run.mutable_build()->set_stamped(false);
  RunSummary s = SummaryOf(run, "fp");
  EXPECT_EQ(s.run.git_commit, "");
  EXPECT_EQ(s.run.git_dirty, -1);
  EXPECT_EQ(BuildLabel(s.run), "unstamped (0.1.0)");
  EXPECT_THAT(SummaryOf(record::Run(), "fp").cells, IsEmpty());
}

TEST(RunSummaryTest, Labels) {
  RunSummary s = SummaryOf(TwoCellRun(), "fp");
  EXPECT_EQ(BuildLabel(s.run), "0123456789ab-dirty (0.1.0)");
  EXPECT_EQ(HistoryKeyLabel(s.cells[0].key),
            "two_copy/uring_recv 4096 B x2 stream");
  EXPECT_EQ(HistoryKeyLabel(s.cells[1].key), "one_copy 64 B x1 rr 64/32 B");
}

TEST(RunSummaryTest, AFamilyOtherThanInetIsACellOfItsOwn) {
  CellKey inet;
  inet.set_transport("two_copy");
  inet.set_size(4096);
  CellKey unix_key = inet;
  unix_key.set_family("unix");
  EXPECT_EQ(HistoryKeyOf(inet).transport, "two_copy");
  EXPECT_EQ(HistoryKeyOf(unix_key).transport, "two_copy@unix");
  EXPECT_FALSE(HistoryKeyOf(inet) == HistoryKeyOf(unix_key));
}

}  // namespace
}  // namespace copyscope::record
