#include "harness/cli/table.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::harness {
namespace {

TEST(FormatColumnsTest, AlignsAndTrims) {
  EXPECT_EQ(FormatColumns({"name", "n", "note"},
                          {{"a", "1", ""}, {"longer", "123", "x"}},
                          {false, true, false}),
            "name      n  note\n"
            "a         1\n"
            "longer  123  x\n");
}

CellResult Sample(const std::string& t, uint64_t size, double gbps) {
  CellResult r;
  r.transport = t;
  r.size = size;
  r.fields = 8;
  r.threads = 1;
  r.metrics = {{"throughput_gbps", gbps}, {"messages_per_sec", 641906}};
  return r;
}

TEST(FormatTableTest, StreamRowsWithIntervalsAndUnstableMarker) {
  record::Run run;
  run.mutable_plan()->set_max_cv(0.05);
  record::Cell* stable = run.add_cells();
  for (double v : {20.9, 21.0, 21.1}) {
    AddSample(Sample("alpha", 4096, v), 1, 0.05, stable);
  }
  record::Cell* noisy = run.add_cells();
  for (double v : {5.0, 10.0}) {
    AddSample(Sample("beta", 65536, v), 1, 0.05, noisy);
  }
  record::Cell* one = run.add_cells();
  AddSample(Sample("gamma", 256, 1.0), 1, 0.05, one);
  CellResult failed = Sample("delta", 256, 0);
  failed.metrics.clear();
  failed.status = absl::InternalError("delta client: recv failed: boom");
  AddSample(failed, 1, 0.05, run.add_cells());
  std::string table = FormatTable(run);
  // beta: mean 7.5, sd 3.5355, t(2) 12.706: 7.5 +- 31.765.
  EXPECT_EQ(table,
            "transport  size  threads  reps  Gbit/s           95% CI  cv %  "
            "Mmsg/s  cpu srv/cli  zc copied %  status\n"
            "alpha        4K        1     3   21.00   [20.75, 21.25]   0.5   "
            "0.642            -            -  ok\n"
            "beta        64K        1     2   7.50!  [-24.26, 39.27]  47.1   "
            "0.642            -            -  ok, unstable\n"
            "gamma       256        1     1    1.00                -     -   "
            "0.642            -            -  ok\n"
            "delta       256        1     1       -                -     -    "
            "   -            -            -  failed: delta client: recv "
            "failed: boom\n"
            "medians over the repetitions; 95% CI of the mean (Student t); "
            "latency = client round trip (rr only)\n"
            "! unstable: CV above 5% (--max-cv); rerun with more --reps or a "
            "quieter machine\n");
}

TEST(FormatTableTest, RrRowsShowPercentiles) {
  CellResult r = Sample("alpha", 64, 0.1);
  r.mode = Mode::kRequestResponse;
  r.request_size = 64;
  r.response_size = 64;
  r.metrics = {{"transactions_per_sec", 41000}, {"latency_p50_us", 23.4},
               {"latency_p90_us", 25.0},        {"latency_p99_us", 31.2},
               {"latency_p999_us", 60.0},       {"latency_max_us", 120.5}};
  record::Run run;
  AddSample(r, 1, 0.05, run.add_cells());
  std::string table = FormatTable(run);
  EXPECT_TRUE(absl::StrContains(table, "p50 us")) << table;
  EXPECT_TRUE(absl::StrContains(table, "41.00")) << table;
  EXPECT_TRUE(absl::StrContains(table, "23.4")) << table;
  EXPECT_TRUE(absl::StrContains(table, "120.5")) << table;
  EXPECT_FALSE(absl::StrContains(table, "Gbit/s")) << table;
}

TEST(FormatTableTest, ASeparateReceivePluginJoinsTheTransport) {
  record::Run run;
  AddSample(Sample("alpha", 4096, 2.0), 1, 0.05, run.add_cells());
  CellResult r = Sample("alpha", 4096, 3.0);
  r.recv_transport = "rx";
  AddSample(r, 1, 0.05, run.add_cells());
  std::string table = FormatTable(run);
  EXPECT_TRUE(absl::StrContains(table, "\nalpha     ")) << table;
  EXPECT_TRUE(absl::StrContains(table, "\nalpha/rx  ")) << table;
}

}  // namespace
}  // namespace copyscope::harness
