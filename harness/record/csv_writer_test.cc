#include "harness/record/csv_writer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::harness {
namespace {

// The header is a contract with every reader of summary.csv: the first nine
// columns are the reference studies' own. Change it only on purpose.
TEST(CsvWriterTest, HeaderIsFixed) {
  EXPECT_EQ(SummaryCsvHeader(),
            "impl,size,threads,throughput_gbps,latency_us,cycles,l1_misses,"
            "llc_misses,cs,mode,direction,fields,request_size,response_size,"
            "reps,throughput_ci95_low,throughput_ci95_high,primary_cv,"
            "unstable,messages_per_sec,mean_us_per_msg,transactions_per_sec,"
            "latency_p90_us,latency_p99_us,latency_p999_us,latency_max_us,"
            "server_cpu_util,client_cpu_util,server_bytes_per_cpu_s,"
            "client_bytes_per_cpu_s,server_cs,client_cs,server_cycles,"
            "client_cycles,zc_copied_fraction,status,plugin_counters,recv");
}

CellResult Stream(double gbps, int64_t cs) {
  CellResult r;
  r.transport = "t";
  r.size = 4096;
  r.fields = 8;
  r.threads = 2;
  r.metrics = {
      {"throughput_gbps", gbps}, {"messages_per_sec", 1000},
      {"mean_us_per_msg", 2},    {"server_cs", static_cast<double>(cs)},
      {"client_cs", 1},          {"cs", static_cast<double>(cs + 1)}};
  r.server_counters = {{"send_calls", 10}, {"zerocopy_copied", 3}};
  r.client_counters = {{"recv_calls", 7}};
  return r;
}

TEST(CsvWriterTest, StreamRowHoldsMediansAndLeavesUnmeasuredEmpty) {
  record::Run run;
  record::Cell* cell = run.add_cells();
  AddSample(Stream(10, 4), 1, 0.05, cell);
  AddSample(Stream(12, 6), 2, 0.05, cell);
  AddSample(Stream(11, 5), 3, 0.05, cell);
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);  // header, row, ""
  // mean 11, sd 1, t(2) 4.303: CI 11 +- 2.4843; CV 1/11.
  EXPECT_EQ(lines[1],
            "t,4096,2,11.0000,,,,,6,stream,server-to-client,8,,,3,8.5157,"
            "13.4843,0.0909,1,1000.0,2.0000,,,,,,,,,,5,1,,,,ok,"
            "server.send_calls=30;server.zerocopy_copied=9;"
            "client.recv_calls=21,");
}

TEST(CsvWriterTest, ASeparateReceivePluginIsTheLastColumn) {
  CellResult r = Stream(10, 4);
  r.recv_transport = "rx";
  record::Run run;
  AddSample(r, 1, 0.05, run.add_cells());
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(lines[1], "t,4096,2,10.0000,")) << lines[1];
  EXPECT_TRUE(absl::EndsWith(lines[1], "client.recv_calls=7,rx")) << lines[1];
}

TEST(CsvWriterTest, RrRowHasLatencyAndFailedRowQuotesStatus) {
  CellResult r;
  r.transport = "t";
  r.size = 64;
  r.fields = 8;
  r.threads = 1;
  r.mode = Mode::kRequestResponse;
  r.request_size = 64;
  r.response_size = 64;
  r.metrics = {{"throughput_gbps", 0.5},
               {"transactions_per_sec", 50000},
               {"latency_p50_us", 19.5},
               {"latency_p99_us", 40}};
  record::Run run;
  AddSample(r, 1, 0.05, run.add_cells());
  CellResult bad = r;
  bad.status = absl::UnavailableError("t client: send failed: \"x\", y");
  bad.metrics.clear();
  AddSample(bad, 1, 0.05, run.add_cells());
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1],
            "t,64,1,0.5000,19.500,,,,,rr,,8,64,64,1,,,,0,,,50000.0,,40.000,"
            ",,,,,,,,,,,ok,,");
  EXPECT_EQ(lines[2],
            "t,64,1,,,,,,,rr,,8,64,64,1,,,,0,,,,,,,,,,,,,,,,,"
            "\"failed: t client: send failed: \"\"x\"\", y\",,");
}

TEST(CsvWriterTest, CsvField) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvWriterTest, NoCellsIsJustTheHeader) {
  EXPECT_EQ(SummaryCsv(record::Run()), SummaryCsvHeader() + "\n");
}

}  // namespace
}  // namespace copyscope::harness
