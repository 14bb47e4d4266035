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
  if (mode == "rr") {
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
