#include "harness/record/csv_writer.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "harness/record/record.h"

namespace copyscope::record {
namespace {

// The header is a contract with every reader of summary.csv: the first nine
// columns are the reference studies' own. Change it only on purpose.
TEST(CsvWriterTest, HeaderIsFixed) {
  EXPECT_EQ(SummaryCsvHeader(),
            "impl,size,threads,throughput_gbps,latency_us,cycles,l1_misses,"
            "llc_misses,cs,mode,direction,fields,request_size,response_size,"
            "reps,throughput_ci95_low,throughput_ci95_high,primary_cv,"
            "unstable,converged,outliers,trending,messages_per_sec,mean_us_per_"
            "msg,transactions_per_sec,connections_per_sec,"
            "latency_p90_us,latency_p99_us,latency_p999_us,latency_max_us,"
            "time_wait_sockets,listen_overflows,syn_retrans,port_use_pct,"
            "server_cpu_util,client_cpu_util,server_bytes_per_cpu_s,"
            "client_bytes_per_cpu_s,server_cs,client_cs,server_cycles,"
            "client_cycles,zc_copied_fraction,tcp_retrans,tcp_retrans_pct,"
            "tcp_rwnd_limited_pct,tcp_sndbuf_limited_pct,tcp_rtt_us,"
            "softirq_cpu_s,irq_cpu_s,steal_cpu_s,background_gbps,loss_pct,"
            "goodput_gbps,offered_gbps,reordered,duplicates,rr_timeouts,"
            "server_cpu_s_per_gb,client_cpu_s_per_gb,status,plugin_counters,"
            "background,recv,family");
}

CellKey Key(const std::string& mode = "stream", uint64_t size = 4096,
            int threads = 2) {
  CellKey k;
  k.set_transport("t");
  k.set_size(size);
  k.set_threads(threads);
  k.set_fields(8);
  k.set_mode(mode);
  k.set_direction("server-to-client");
  if (mode != "stream") {
    k.set_request_size(size);
    k.set_response_size(size);
  }
  return k;
}

void Count(const std::string& name, uint64_t value,
           google::protobuf::RepeatedPtrField<NamedCount>* out) {
  NamedCount* c = out->Add();
  c->set_name(name);
  c->set_value(value);
}

// Two connections of 1 s: gbps in all, 500 messages each; the server
// threads `cs` context switches in all, the client threads 1.
Sample Stream(double gbps, int64_t cs) {
  Sample s;
  s.set_status("ok");
  for (int i = 0; i < 2; ++i) {
    Connection* c = s.add_connections();
    c->set_index(i);
    c->set_window_s(1.0);
    c->set_messages(500);
    c->set_bytes(static_cast<uint64_t>(gbps * 1e9 / 8 / 2));
    c->mutable_server()->set_voluntary_cs(i == 0 ? cs : 0);
    c->mutable_server()->set_involuntary_cs(0);
    c->mutable_client()->set_voluntary_cs(i == 0 ? 1 : 0);
    c->mutable_client()->set_involuntary_cs(0);
  }
  Count("send_calls", 10, s.mutable_server_counters());
  Count("zerocopy_copied", 3, s.mutable_server_counters());
  Count("recv_calls", 7, s.mutable_client_counters());
  return s;
}

Cell* NewCell(Run* run, const CellKey& key) {
  Cell* cell = run->add_cells();
  *cell->mutable_key() = key;
  return cell;
}

TEST(CsvWriterTest, StreamRowHoldsMediansAndLeavesUnmeasuredEmpty) {
  record::Run run;
  Cell* cell = NewCell(&run, Key());
  AddSample(Stream(10, 4), 1, 0.05, cell);
  AddSample(Stream(12, 6), 2, 0.05, cell);
  AddSample(Stream(11, 5), 3, 0.05, cell);
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);  // header, row, ""
  // mean 11, sd 1, t(2) 4.303: CI 11 +- 2.4843; CV 1/11.
  EXPECT_EQ(lines[1],
            "t,4096,2,11.0000,,,,,6,stream,server-to-client,8,,,3,8.5157,"
            "13.4843,0.0909,1,0,0,0,1000.0,2000.0000,,,,,,,,,,,,,,,5,1,,,,,,,,,"
            ",,,,,,,,,,,,ok,"
            "server.send_calls=30;server.zerocopy_copied=9;"
            "client.recv_calls=21,,,inet");
}

TEST(CsvWriterTest, ASeparateReceivePluginIsTheLastColumn) {
  CellKey key = Key();
  key.set_recv_transport("rx");
  record::Run run;
  AddSample(Stream(10, 4), 1, 0.05, NewCell(&run, key));
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(lines[1], "t,4096,2,10.0000,")) << lines[1];
  EXPECT_TRUE(absl::EndsWith(lines[1], "client.recv_calls=7,,rx,inet"))
      << lines[1];
}

// Latency under load: the background has the column before recv, its
// throughput the background_gbps column.
TEST(CsvWriterTest, TheBackgroundAndItsThroughput) {
  CellKey key = Key("rr", 64, 1);
  key.set_background("two_copy:1:65536");
  Sample r;
  r.set_status("ok");
  Connection* c = r.add_connections();
  c->set_window_s(1.0);
  c->set_messages(1000);
  c->set_bytes(128000);
  r.set_background_connections(1);
  r.set_background_bytes(250000000);  // 2 Gbit/s over 1 s
  r.set_background_window_s(1.0);
  record::Run run;
  AddSample(r, 1, 0.05, NewCell(&run, key));
  std::vector<std::string> header = absl::StrSplit(SummaryCsvHeader(), ',');
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> row = absl::StrSplit(lines[1], ',');
  ASSERT_EQ(row.size(), header.size()) << lines[1];
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "background_gbps") {
      EXPECT_EQ(row[i], "2.0000");
    } else if (header[i] == "background") {
      EXPECT_EQ(row[i], "two_copy:1:65536");
    }
  }
}

TEST(CsvWriterTest, TheFamilyIsTheLastColumn) {
  CellKey key = Key();
  key.set_family("unix");
  record::Run run;
  AddSample(Stream(10, 4), 1, 0.05, NewCell(&run, key));
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(absl::EndsWith(lines[1], "client.recv_calls=7,,,unix"))
      << lines[1];
}

TEST(CsvWriterTest, RrRowHasLatencyAndFailedRowQuotesStatus) {
  Sample r;
  r.set_status("ok");
  Connection* c = r.add_connections();
  c->set_window_s(1.0);
  c->set_messages(50000);
  c->set_bytes(62500000);  // 0.5 Gbit/s
  Latency* l = r.mutable_latency();
  l->set_count(50000);
  l->set_p50_us(19.5);
  l->set_p90_us(30);
  l->set_p99_us(40);
  l->set_p999_us(50);
  l->set_max_us(60);
  record::Run run;
  AddSample(r, 1, 0.05, NewCell(&run, Key("rr", 64, 1)));
  Sample bad = r;
  bad.set_status("failed: t client: send failed: \"x\", y");
  AddSample(bad, 1, 0.05, NewCell(&run, Key("rr", 64, 1)));
  std::vector<std::string> lines = absl::StrSplit(SummaryCsv(run), '\n');
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1],
            "t,64,1,0.5000,19.500,,,,,rr,,8,64,64,1,,,,0,0,0,0,,,50000.0,,"
            "30.000,40.000,50.000,60.000,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,ok,,,,"
            "inet");
  EXPECT_EQ(
      lines[2],
      "t,64,1,,,,,,,rr,,8,64,64,1,,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
      ",,,,,\"failed: t client: send failed: \"\"x\"\", y\",,,,inet");
}

TEST(CsvWriterTest, CrrRowHasItsRateSizesAndSetupFigures) {
  Sample r;
  r.set_status("ok");
  Connection* c = r.add_connections();
  c->set_window_s(1.0);
  c->set_messages(20000);
  c->set_bytes(20000 * 128);
  r.mutable_latency()->set_count(20000);
  r.mutable_latency()->set_p50_us(48);
  ConnectionSetup* setup = r.add_connection_setup();
  setup->set_side("client");
  setup->set_time_wait_end(21000);
  setup->set_ephemeral_ports(28232);
  setup->set_connections_to_one_port(7058);
  NamedCount* n = setup->add_tcp_ext();
  n->set_name("TCPSynRetrans");
  n->set_value(0);
  record::Run run;
  AddSample(r, 1, 0.05, NewCell(&run, Key("crr", 64, 1)));
  std::vector<std::string> header = absl::StrSplit(SummaryCsvHeader(), ',');
  std::vector<std::string> row =
      absl::StrSplit(absl::StripSuffix(SummaryCsv(run), "\n"), '\n');
  std::vector<std::string> fields = absl::StrSplit(row[1], ',');
  ASSERT_EQ(fields.size(), header.size());
  std::map<std::string, std::string> by_name;
  for (size_t i = 0; i < header.size(); ++i) by_name[header[i]] = fields[i];
  EXPECT_EQ(by_name["mode"], "crr");
  EXPECT_EQ(by_name["direction"], "");
  EXPECT_EQ(by_name["request_size"], "64");
  EXPECT_EQ(by_name["response_size"], "64");
  EXPECT_EQ(by_name["connections_per_sec"], "20000.0");
  EXPECT_EQ(by_name["transactions_per_sec"], "");
  EXPECT_EQ(by_name["latency_us"], "48.000");
  EXPECT_EQ(by_name["time_wait_sockets"], "21000");
  EXPECT_EQ(by_name["syn_retrans"], "0");
  EXPECT_EQ(by_name["port_use_pct"], "25.0");
  EXPECT_EQ(by_name["listen_overflows"], "");  // the server read nothing
}

TEST(CsvWriterTest, ConvergedOutliersAndTrending) {
  record::Run run;
  Cell* cell = NewCell(&run, Key());
  for (int i = 0; i < 6; ++i) {
    Sample s = Stream(i == 5 ? 30 : 10 + 0.01 * i, 4);
    if (i == 2) s.mutable_trend()->set_verdict("trending");
    AddSample(s, i + 1, 0.05, cell);
  }
  cell->set_converged(true);
  std::vector<std::string> header = absl::StrSplit(SummaryCsvHeader(), ',');
  std::vector<std::string> row =
      absl::StrSplit(absl::StripSuffix(SummaryCsv(run), "\n"), '\n');
  std::vector<std::string> fields = absl::StrSplit(row[1], ',');
  std::map<std::string, std::string> by_name;
  for (size_t i = 0; i < header.size(); ++i) by_name[header[i]] = fields[i];
  EXPECT_EQ(by_name["converged"], "1");
  EXPECT_EQ(by_name["outliers"], "1");  // the 30 among the 10s
  EXPECT_EQ(by_name["trending"], "1");
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
}  // namespace copyscope::record
