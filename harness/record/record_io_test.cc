#include "harness/record/record_io.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "harness/record/csv_writer.h"
#include "harness/record/output_dir.h"
#include "harness/record/record.h"
#include "harness/cli/table.h"

namespace copyscope::harness {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string TmpDir(const std::string& name) {
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  EXPECT_TRUE(CreateOutputDir(dir).ok());
  return dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// A run with every kind of field set: header, a stream cell with thread
// reports and perf records, an rr cell with a histogram, a failed sample.
record::Run FullRun() {
  RunOptions o;
  o.sizes = {4096};
  o.threads = {1};
  o.duration = absl::Milliseconds(300);
  o.warmup = absl::Milliseconds(100);
  o.io_timeout = absl::Seconds(10);
  o.command_line = {"copyscope", "run"};
  Plan plan;
  plan.transports = {"alpha"};
  plan.notes = {"note: skipping beta"};
  RunContext ctx;
  ctx.isolation_details = {{"interface", "lo"}, {"mtu", "65536"}};
  ctx.notes = {"hardware counters unsupported here: test"};
  record::Run run = MakeRunHeader(o, plan, {}, ctx, "r1", absl::Now());

  CellResult s;
  s.transport = "alpha";
  s.size = 4096;
  s.fields = 8;
  s.threads = 1;
  ConnectionResult c;
  c.rx_window = absl::Milliseconds(300);
  c.rx_messages = 1000;
  c.rx_bytes = 4096000;
  c.server.user_cpu_s = 0.1;
  c.server.sys_cpu_s = 0.2;
  c.server.voluntary_cs = 3;
  c.server.involuntary_cs = 4;
  c.server.window_s = 0.3;
  c.server.cpus_seen = {0, 1};
  c.server.perf.push_back({"cycles", "cpu", "unsupported", std::nullopt,
                           std::nullopt, 0, 0, "no PMU"});
  c.client.side = Side::kClient;
  c.server_counters = {{"send_calls", 1000}};
  s.connections = {c};
  Summarize(&s);
  record::Cell* stream = run.add_cells();
  AddSample(s, 1, 0.05, stream);
  AddSample(s, 2, 0.05, stream);

  CellResult rr = s;
  rr.mode = Mode::kRequestResponse;
  rr.request_size = 64;
  rr.response_size = 64;
  rr.connections[0].latency.emplace();
  for (uint64_t v = 1000; v < 50000; v += 7) {
    rr.connections[0].latency->Record(v);
  }
  Summarize(&rr);
  record::Cell* rr_cell = run.add_cells();
  AddSample(rr, 1, 0.05, rr_cell);
  CellResult bad = rr;
  bad.status = absl::UnavailableError("alpha client: boom");
  Summarize(&bad);
  AddSample(bad, 2, 0.05, rr_cell);
  run.set_finished_utc(Rfc3339(absl::Now()));
  run.set_cells_planned(2);
  return run;
}

TEST(RecordIoTest, WriteThenReadGivesBackEveryField) {
  record::Run run = FullRun();
  ASSERT_TRUE(run.cells(1).samples(0).has_latency());
  EXPECT_GT(run.cells(1).samples(0).latency().buckets_size(), 0);
  EXPECT_EQ(run.cells(1).status(), "failed: alpha client: boom");
  std::string dir = TmpDir("roundtrip");
  ASSERT_TRUE(WriteRunFiles(dir, run).ok());
  absl::StatusOr<record::Run> back = ReadRunFile(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  run.set_trailer(kRecordTrailer);
  EXPECT_TRUE(MessageDifferencer::Equals(run, *back)) << back->DebugString();
  // The table of `show` is the table of the run.
  EXPECT_EQ(FormatTable(*back), FormatTable(run));
  EXPECT_EQ(ReadAll(dir + "/summary.csv"), SummaryCsv(run));
}

TEST(RecordIoTest, JsonLinesAreTheHeaderThenOneCellPerLine) {
  record::Run run = FullRun();
  std::string dir = TmpDir("jsonl");
  ASSERT_TRUE(WriteRunFiles(dir, run).ok());
  std::vector<std::string> lines =
      absl::StrSplit(ReadAll(dir + "/run.jsonl"), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  record::Run header;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(lines[0], &header).ok());
  EXPECT_EQ(header.run_id(), "r1");
  EXPECT_EQ(header.cells_size(), 0);
  EXPECT_EQ(header.host().sysctls_size(), 6);
  for (int i = 0; i < 2; ++i) {
    record::Cell cell;
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(lines[i + 1], &cell).ok());
    EXPECT_TRUE(MessageDifferencer::Equals(cell, run.cells(i)));
  }
  EXPECT_TRUE(absl::StrContains(lines[1], "\"throughput_gbps\""));
}

TEST(RecordIoTest, CorruptOrTruncatedRecordIsAClearError) {
  record::Run run = FullRun();
  std::string dir = TmpDir("corrupt");
  ASSERT_TRUE(WriteRunFiles(dir, run).ok());
  const std::string pb = ReadAll(dir + "/run.pb");
  for (size_t cut : {size_t{0}, size_t{1}, pb.size() / 3, pb.size() / 2,
                     pb.size() - 9, pb.size() - 1}) {
    WriteAll(dir + "/run.pb", pb.substr(0, cut));
    absl::StatusOr<record::Run> back = ReadRunFile(dir);
    ASSERT_FALSE(back.ok()) << "cut at " << cut;
    std::string msg(back.status().message());
    EXPECT_TRUE(absl::StrContains(msg, "run.pb")) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  WriteAll(dir + "/run.pb", "this is not a protobuf \xff\xff\xff");
  absl::StatusOr<record::Run> garbage = ReadRunFile(dir);
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(absl::StrContains(garbage.status().message(),
                                "not a copyscope run record"));
  absl::StatusOr<record::Run> missing = ReadRunFile(dir + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "copyscope run"));
}

TEST(RecordIoTest, ReadsAnOlderRecordWithoutNewerFields) {
  // What a first, smaller writer would have produced: no host, build,
  // plugins, samples or latency; only keys and aggregates.
  record::Run old;
  old.set_schema_version(1);
  old.set_run_id("old");
  record::Cell* c = old.add_cells();
  c->mutable_key()->set_transport("alpha");
  c->mutable_key()->set_size(256);
  c->mutable_key()->set_threads(2);
  c->mutable_key()->set_mode("stream");
  c->set_status("ok");
  record::Aggregate* a = c->add_aggregates();
  a->set_metric("throughput_gbps");
  a->set_n(1);
  a->set_median(3.5);
  old.set_trailer(kRecordTrailer);
  std::string dir = TmpDir("old");
  std::string bytes;
  ASSERT_TRUE(old.SerializeToString(&bytes));
  WriteAll(dir + "/run.pb", bytes);
  absl::StatusOr<record::Run> back = ReadRunFile(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  std::string table = FormatTable(*back);
  EXPECT_TRUE(absl::StrContains(table, "alpha")) << table;
  EXPECT_TRUE(absl::StrContains(table, "3.50")) << table;
  EXPECT_FALSE(back->has_host());
}

TEST(RecordIoTest, ReadsANewerRecordWithUnknownFields) {
  record::Run run = FullRun();
  run.set_trailer(kRecordTrailer);
  std::string bytes;
  ASSERT_TRUE(run.SerializeToString(&bytes));
  // Field 500, varint 7, inserted before the trailer (the last 10 bytes:
  // tag 1000/fixed64 is two bytes, then eight).
  std::string unknown = "\xa0\x1f\x07";
  bytes.insert(bytes.size() - 10, unknown);
  std::string dir = TmpDir("newer");
  WriteAll(dir + "/run.pb", bytes);
  absl::StatusOr<record::Run> back = ReadRunFile(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cells_size(), 2);
}

TEST(RecordIoTest, SummaryJsonHasStatisticsButNoSamples) {
  record::Run run = FullRun();
  std::string json = SummaryJson(run);
  EXPECT_TRUE(absl::StrContains(json, "\"aggregates\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"ci95_low\"")) << json;
  EXPECT_FALSE(absl::StrContains(json, "\"samples\"")) << json;
  record::Run parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
}

}  // namespace
}  // namespace copyscope::harness
