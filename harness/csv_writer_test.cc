#include "harness/csv_writer.h"

#include "gtest/gtest.h"

namespace copyscope::harness {
namespace {

// The header is a contract with every reader of summary.csv: the first nine
// columns are the reference studies' own. Change it only on purpose.
TEST(CsvWriterTest, HeaderIsFixed) {
  EXPECT_EQ(SummaryCsvHeader(),
            "impl,size,threads,throughput_gbps,latency_us,cycles,l1_misses,"
            "llc_misses,cs,fields,messages_per_sec,mean_us_per_msg,"
            "zc_copied_fraction,status,plugin_counters");
}

TEST(CsvWriterTest, OkRowLeavesUnmeasuredColumnsEmpty) {
  CellResult c;
  c.transport = "t";
  c.size = 4096;
  c.fields = 8;
  c.threads = 2;
  c.throughput_gbps = 12.5;
  c.messages_per_sec = 381469.7265625;
  c.mean_us_per_msg = 5.24288;
  c.server_counters = {{"send_calls", 10}, {"zerocopy_copied", 3}};
  c.client_counters = {{"recv_calls", 7}};
  EXPECT_EQ(SummaryCsv({c}),
            SummaryCsvHeader() +
                "\n"
                "t,4096,2,12.5000,,,,,,8,381469.7,5.2429,,ok,"
                "server.send_calls=10;server.zerocopy_copied=3;"
                "client.recv_calls=7\n");
}

TEST(CsvWriterTest, FailedRowKeepsMeasuresEmptyAndQuotesStatus) {
  CellResult c;
  c.transport = "t";
  c.size = 1;
  c.fields = 1;
  c.threads = 1;
  c.status = absl::UnavailableError("t sender: send failed: \"x\", y");
  c.zc_copied_fraction = 0.25;
  EXPECT_EQ(SummaryCsv({c}),
            SummaryCsvHeader() +
                "\n"
                "t,1,1,,,,,,,1,,,0.2500,"
                "\"failed: t sender: send failed: \"\"x\"\", y\",\n");
}

TEST(CsvWriterTest, CsvField) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(CsvWriterTest, NoCellsIsJustTheHeader) {
  EXPECT_EQ(SummaryCsv({}), SummaryCsvHeader() + "\n");
}

}  // namespace
}  // namespace copyscope::harness
