#include "harness/cli/table.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::cli {
namespace {

using Metrics = std::map<std::string, double>;

// A cell of `run` whose samples have these metrics (or failed with a
// status), with its statistics computed as the record does.
record::Cell* AddCell(record::Run* run, const std::string& transport,
                      uint64_t size, const std::vector<Metrics>& samples,
                      const std::string& mode = "stream",
                      const std::string& recv = "",
                      const std::string& status = "ok") {
  record::Cell* cell = run->add_cells();
  record::CellKey* k = cell->mutable_key();
  k->set_transport(transport);
  k->set_size(size);
  k->set_threads(1);
  k->set_fields(8);
  k->set_mode(mode);
  k->set_recv_transport(recv);
  if (mode != "stream") {
    k->set_request_size(size);
    k->set_response_size(size);
  }
  for (const Metrics& m : samples) {
    record::Sample* s = cell->add_samples();
    s->set_status(status);
    for (const auto& [name, value] : m) {
      record::Metric* metric = s->add_metrics();
      metric->set_name(name);
      metric->set_value(value);
    }
  }
  record::ComputeAggregates(0.05, cell);
  return cell;
}

Metrics Stream(double gbps) {
  return {{"throughput_gbps", gbps}, {"messages_per_sec", 641906}};
}

TEST(FormatTableTest, StreamRowsWithIntervalsAndUnstableMarker) {
  record::Run run;
  run.mutable_plan()->set_max_cv(0.05);
  AddCell(&run, "alpha", 4096, {Stream(20.9), Stream(21.0), Stream(21.1)});
  AddCell(&run, "beta", 65536, {Stream(5.0), Stream(10.0)});
  AddCell(&run, "gamma", 256, {Stream(1.0)});
  AddCell(&run, "delta", 256, {{}}, "stream", "",
          "failed: delta client: recv failed: boom");
  std::string table = FormatTable(run);
  // beta: mean 7.5, sd 3.5355, t(2) 12.706: 7.5 +- 31.765.
  EXPECT_EQ(table,
            "transport  size  threads  reps  Gbit/s  95% CI   mean      mean "
            "95% CI  cv %  Mmsg/s  cpu srv/cli  zc copied %  status\n"
            "alpha        4K        1     3   21.00     n/a  21.00   [20.75, "
            "21.25]   0.5   0.642            -            -  ok\n"
            "beta        64K        1     2   7.50!     n/a   7.50  [-24.26, "
            "39.27]  47.1   0.642            -            -  ok, unstable\n"
            "gamma       256        1     1    1.00     n/a   1.00           "
            "     -     -   0.642            -            -  ok\n"
            "delta       256        1     1       -       -      -           "
            "     -     -       -            -            -  failed: delta "
            "client: recv failed: boom\n"
            "medians over the repetitions with their 95% CI (order "
            "statistics; n/a below 6 samples), means with theirs (Student "
            "t); latency = client round trip (rr only)\n"
            "! unstable: CV above 5% (--max-cv); rerun with more --reps or a "
            "quieter machine\n");
}

// --reps=auto: an unconverged cell is marked like an unstable one, with
// the width of its interval; outliers and trending samples are counted.
TEST(FormatTableTest, AutoRepetitionsMarkUnconvergedCells) {
  record::Run run;
  record::Plan* p = run.mutable_plan();
  p->set_max_cv(0.5);  // nothing unstable here
  p->set_reps_auto(true);
  p->set_min_reps(3);
  p->set_max_reps(10);
  p->set_ci_target(0.02);
  record::Cell* good = AddCell(&run, "alpha", 4096,
                               {Stream(20.0), Stream(20.1), Stream(19.9),
                                Stream(20.0), Stream(20.05), Stream(19.95)});
  good->set_converged(true);
  good->mutable_convergence()->set_decision("converged");
  record::Cell* bad = AddCell(&run, "beta", 4096,
                              {Stream(20.0), Stream(22.0), Stream(18.0),
                               Stream(20.5), Stream(19.5), Stream(29.0)});
  bad->mutable_convergence()->set_decision("gave up");
  bad->mutable_convergence()->set_relative_half_width(0.45);
  bad->mutable_samples(0)->mutable_trend()->set_verdict("trending");
  record::ComputeAggregates(0.5, bad);
  std::string table = FormatTable(run);
  // n = 6: the median's interval is [min, max].
  EXPECT_TRUE(absl::StrContains(
      table, "alpha        4K        1     6   20.00  [19.90, 20.10]  20.00"))
      << table;
  EXPECT_TRUE(
      absl::StrContains(table, "beta         4K        1     6  20.25!"))
      << table;
  EXPECT_TRUE(absl::StrContains(
      table, "ok, unconverged (+-45.0%), 1 outlier, 1 trending\n"))
      << table;
  EXPECT_TRUE(absl::StrContains(
      table,
      "repetitions: auto, 3 to 10 per cell until the 95% CI is within +-2% "
      "(--ci-target): 1 of 2 cells converged\n"))
      << table;
  EXPECT_TRUE(absl::StrContains(table, "! unconverged: ")) << table;
  EXPECT_TRUE(absl::StrContains(table, "outliers: samples outside")) << table;
  EXPECT_FALSE(absl::StrContains(table, "! unstable")) << table;
}

TEST(FormatSlicesTest, StreamSlicesLikeIperf) {
  record::CellKey k;
  k.set_transport("alpha");
  k.set_size(4096);
  k.set_threads(1);
  k.set_mode("stream");
  record::Sample s;
  s.set_rep(2);
  for (int i = 0; i < 2; ++i) {
    record::Slice* slice = s.add_slices();
    slice->set_start_s(0.1 * i);
    slice->set_length_s(0.1);
    slice->set_messages(30000);
    slice->set_bytes(30000 * 4096);
  }
  s.mutable_trend()->set_verdict("untested");
  s.mutable_trend()->set_reason("2 whole slices, the test needs 5");
  EXPECT_EQ(FormatSlices(k, s),
            "alpha 4K x1, sample 2:\n"
            "  interval      transfer  Gbit/s  Mmsg/s\n"
            "  0.00-0.10 s  117.2 MiB    9.83   0.300\n"
            "  0.10-0.20 s  117.2 MiB    9.83   0.300\n"
            "  untested: 2 whole slices, the test needs 5\n");
}

TEST(FormatSlicesTest, RrSlicesWithTheirRoundTrips) {
  record::CellKey k;
  k.set_transport("alpha");
  k.set_size(64);
  k.set_threads(1);
  k.set_mode("rr");
  record::Sample s;
  s.set_rep(1);
  record::Slice* slice = s.add_slices();
  slice->set_length_s(0.1);
  slice->set_messages(7000);
  slice->set_bytes(7000 * 128);
  slice->set_latency_p50_us(13.4);
  slice->set_latency_p99_us(18.25);
  slice->set_latency_max_us(40.1);
  s.mutable_trend()->set_verdict("steady");
  s.mutable_trend()->set_tau(0.07);
  s.mutable_trend()->set_p(0.86);
  s.mutable_trend()->set_relative_change(0.012);
  s.mutable_retaken_trend()->set_verdict("trending");
  EXPECT_EQ(FormatSlices(k, s),
            "alpha 64 x1, sample 1:\n"
            "  interval      transfer  ktrans/s  p50 us  p99 us  max us\n"
            "  0.00-0.10 s  875.0 KiB     70.00    13.4    18.2    40.1\n"
            "  steady (Mann-Kendall tau 0.07, p 0.86, +1% over the sample); "
            "retaken with a longer warm-up\n");
}

TEST(FormatTableTest, RrRowsShowPercentiles) {
  record::Run run;
  AddCell(&run, "alpha", 64,
          {{{"transactions_per_sec", 41000},
            {"latency_p50_us", 23.4},
            {"latency_p90_us", 25.0},
            {"latency_p99_us", 31.2},
            {"latency_p999_us", 60.0},
            {"latency_max_us", 120.5}}},
          "rr");
  std::string table = FormatTable(run);
  EXPECT_TRUE(absl::StrContains(table, "p50 us")) << table;
  EXPECT_TRUE(absl::StrContains(table, "41.00")) << table;
  EXPECT_TRUE(absl::StrContains(table, "23.4")) << table;
  EXPECT_TRUE(absl::StrContains(table, "120.5")) << table;
  EXPECT_FALSE(absl::StrContains(table, "Gbit/s")) << table;
}

// Latency under load: the background names the row and its Gbit/s has a
// column, "-" for the idle cell; a run without backgrounds has no column.
TEST(FormatTableTest, ABackgroundNamesTheRowAndShowsItsThroughput) {
  record::Run run;
  Metrics rr = {{"transactions_per_sec", 41000}, {"latency_p50_us", 23.4}};
  AddCell(&run, "alpha", 64, {rr}, "rr");
  Metrics loaded = rr;
  loaded["background_gbps"] = 7.125;
  record::Cell* c = AddCell(&run, "alpha", 64, {loaded}, "rr");
  c->mutable_key()->set_background("beta:1:65536");
  std::string table = FormatTable(run);
  EXPECT_TRUE(absl::StrContains(table, "bg Gbit/s")) << table;
  EXPECT_TRUE(absl::StrContains(table, "\nalpha under beta:1:65536 ")) << table;
  EXPECT_TRUE(absl::StrContains(table, "7.125")) << table;
  run.mutable_cells()->RemoveLast();
  EXPECT_FALSE(absl::StrContains(FormatTable(run), "bg Gbit/s"));
}

TEST(FormatTableTest, CrrRowsShowConnectionsAndTimeWait) {
  record::Run run;
  AddCell(&run, "alpha", 64, {Stream(2.0)});
  AddCell(&run, "alpha", 64,
          {{{"connections_per_sec", 21500},
            {"latency_p50_us", 44.1},
            {"latency_p90_us", 51.0},
            {"latency_p99_us", 80.2},
            {"latency_p999_us", 300.0},
            {"latency_max_us", 900.5},
            {"time_wait_sockets", 28001}}},
          "crr");
  std::string table = FormatTable(run);
  // A table of its own after the stream one, its rate in thousands.
  EXPECT_TRUE(absl::StrContains(table, "Gbit/s")) << table;
  EXPECT_TRUE(absl::StrContains(
      table,
      "\ntransport  size  threads  reps  kconn/s  95% CI   mean  mean 95% CI  "
      "cv %  p50 us  p90 us  p99 us  p99.9 us  max us  TIME_WAIT  cpu "
      "srv/cli  status\n"
      "alpha        64        1     1    21.50     n/a  21.50            -     "
      "-    44.1    51.0    80.2     300.0   900.5      28001            -  "
      "ok\n"))
      << table;
  EXPECT_TRUE(absl::StrContains(table, "crr: connections/s")) << table;
  // A sample whose client used more than half the ephemeral ports on one
  // server port says so in the status.
  record::Run crowded;
  AddCell(&crowded, "alpha", 64,
          {{{"connections_per_sec", 1500}, {"port_use_pct", 54.4}}}, "crr");
  EXPECT_TRUE(
      absl::StrContains(FormatTable(crowded), "ok, ephemeral ports 54% used"))
      << FormatTable(crowded);
  EXPECT_FALSE(absl::StrContains(table, "ktrans/s")) << table;
}

TEST(FormatSlicesTest, CrrSlicesAreConnections) {
  record::CellKey k;
  k.set_transport("alpha");
  k.set_size(64);
  k.set_threads(1);
  k.set_mode("crr");
  record::Sample s;
  s.set_rep(1);
  record::Slice* slice = s.add_slices();
  slice->set_length_s(0.1);
  slice->set_messages(2000);
  slice->set_bytes(2000 * 128);
  slice->set_latency_p50_us(45);
  slice->set_latency_p99_us(90);
  slice->set_latency_max_us(400);
  EXPECT_EQ(FormatSlices(k, s),
            "alpha 64 x1, sample 1:\n"
            "  interval      transfer  kconn/s  p50 us  p99 us  max us\n"
            "  0.00-0.10 s  250.0 KiB    20.00    45.0    90.0   400.0\n");
}

TEST(FormatTableTest, ASeparateReceivePluginJoinsTheTransport) {
  record::Run run;
  AddCell(&run, "alpha", 4096, {Stream(2.0)});
  AddCell(&run, "alpha", 4096, {Stream(3.0)}, "stream", "rx");
  std::string table = FormatTable(run);
  EXPECT_TRUE(absl::StrContains(table, "\nalpha     ")) << table;
  EXPECT_TRUE(absl::StrContains(table, "\nalpha/rx  ")) << table;
}

}  // namespace
}  // namespace copyscope::cli
