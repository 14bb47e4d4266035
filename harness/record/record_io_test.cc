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

namespace copyscope::record {
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
  config::RunOptions o;
  o.sizes = {4096};
  o.threads = {1};
  o.duration = absl::Milliseconds(300);
  o.warmup = absl::Milliseconds(100);
  o.io_timeout = absl::Seconds(10);
  o.command_line = {"copyscope", "run"};
  o.effective = {{"sizes", "4K"}, {"threads", "1"}};
  config::Plan plan;
  plan.transports = {"alpha"};
  plan.notes = {"note: skipping beta"};
  RunContext ctx;
  ctx.isolation_details = {{"interface", "lo"}, {"mtu", "65536"}};
  ctx.notes = {"hardware counters unsupported here: test"};
  record::Run run = MakeRunHeader(o, plan, {}, ctx, "r1", absl::Now());

  config::CellSpec spec;
  spec.transport = "alpha";
  spec.size = 4096;
  spec.threads = 1;
  Sample s;
  s.set_status("ok");
  Connection* c = s.add_connections();
  c->set_window_s(0.3);
  c->set_messages(1000);
  c->set_bytes(4096000);
  ThreadReport* server = c->mutable_server();
  server->set_side("server");
  server->set_pinned_cpu(-1);
  server->set_user_cpu_s(0.1);
  server->set_sys_cpu_s(0.2);
  server->set_voluntary_cs(3);
  server->set_involuntary_cs(4);
  server->set_window_s(0.3);
  server->add_cpus_seen(0);
  server->add_cpus_seen(1);
  PerfCounter* cycles = server->add_perf();
  cycles->set_event("cycles");
  cycles->set_pmu("cpu");
  cycles->set_state("unsupported");
  cycles->set_reason("no PMU");
  c->mutable_client()->set_side("client");
  NamedCount* sends = c->add_server_counters();
  sends->set_name("send_calls");
  sends->set_value(1000);
  *s.add_server_counters() = *sends;
  record::Cell* stream = run.add_cells();
  *stream->mutable_key() = KeyOf(spec);
  AddSample(s, 1, 0.05, stream);
  AddSample(s, 2, 0.05, stream);

  spec.mode = config::Mode::kRequestResponse;
  spec.request_size = 64;
  spec.response_size = 64;
  Sample rr = s;
  Latency* l = rr.mutable_latency();
  l->set_count(7000);
  l->set_p50_us(25);
  l->set_p99_us(49);
  for (uint64_t v : {1000, 25000, 49000}) {
    HistogramBucket* b = l->add_buckets();
    b->set_lower_ns(v);
    b->set_upper_ns(v + 100);
    b->set_count(v / 1000);
  }
  record::Cell* rr_cell = run.add_cells();
  *rr_cell->mutable_key() = KeyOf(spec);
  AddSample(rr, 1, 0.05, rr_cell);
  Sample bad = rr;
  bad.set_status("failed: alpha client: boom");
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
  EXPECT_TRUE(absl::StrContains(lines[0], "\"metric_catalogue\""));
  EXPECT_TRUE(absl::StrContains(lines[0], "\"options\""));
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
  ASSERT_EQ(back->cells_size(), 1);
  EXPECT_EQ(back->cells(0).key().transport(), "alpha");
  EXPECT_EQ(FindAggregate(back->cells(0), "throughput_gbps")->median(), 3.5);
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
}  // namespace copyscope::record
