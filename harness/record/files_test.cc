#include "harness/record/files.h"

#include <sys/stat.h>

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
#include "harness/record/sha256.h"

namespace copyscope::record {
namespace {

using google::protobuf::util::MessageDifferencer;

// A claimed results directory under the test's temporary directory.
std::unique_ptr<OutputDir> Claim(const std::string& name) {
  absl::StatusOr<std::unique_ptr<OutputDir>> dir =
      OutputDir::Claim(absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name));
  EXPECT_TRUE(dir.ok()) << dir.status();
  return dir.ok() ? *std::move(dir) : nullptr;
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
  o.verify = true;
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

TEST(FilesTest, WriteThenReadGivesBackEveryField) {
  record::Run run = FullRun();
  ASSERT_TRUE(run.cells(1).samples(0).has_latency());
  EXPECT_GT(run.cells(1).samples(0).latency().buckets_size(), 0);
  EXPECT_EQ(run.cells(1).status(), "failed: alpha client: boom");
  std::unique_ptr<OutputDir> dir = Claim("roundtrip");
  ASSERT_TRUE(WriteRunFiles(*dir, run, "complete").ok());
  absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->state, "complete");
  EXPECT_TRUE(MessageDifferencer::Equals(run, back->run))
      << back->run.DebugString();
  EXPECT_EQ(CompletenessNote(*back), "");
  EXPECT_EQ(ReadAll(dir->path() + "/summary.csv"), SummaryCsv(run));
}

TEST(FilesTest, TheHeaderHoldsTheProvenanceOfMachineAndBuild) {
  record::Run run = FullRun();
  EXPECT_EQ(run.schema_version(), kSchemaVersion);
  EXPECT_EQ(run.host().testbed_fingerprint().size(), 64u);
  EXPECT_FALSE(run.host().kernel_release().empty());
  EXPECT_FALSE(run.host().thp_enabled().empty());
  EXPECT_FALSE(run.host().irqbalance().empty());
  // The running test binary, hashed.
  EXPECT_EQ(run.build().binary_sha256(), *Sha256File("/proc/self/exe"));
  EXPECT_EQ(run.build().libraries_size(), 8);
  EXPECT_FALSE(run.build().bazel_version().empty());
  std::unique_ptr<OutputDir> dir = Claim("provenance");
  ASSERT_TRUE(WriteRunFiles(*dir, run, "complete").ok());
  absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(MessageDifferencer::Equals(run.host(), back->run.host()));
  EXPECT_TRUE(MessageDifferencer::Equals(run.build(), back->run.build()));
}

TEST(FilesTest, EveryEndingReadsBackAsWritten) {
  record::Run run = FullRun();
  for (const char* state :
       {"complete", "interrupted", "stopped: no space left on device"}) {
    std::unique_ptr<OutputDir> dir =
        Claim(absl::StrCat("end", std::string(1, state[0])));
    ASSERT_TRUE(WriteRunFiles(*dir, run, state).ok());
    absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->state, state);
    if (std::string(state) != "complete") {
      EXPECT_EQ(CompletenessNote(*back),
                absl::StrCat("record: ", state, "; 2 of 2 cells"));
    }
  }
}

TEST(FilesTest, ARecordWithoutTrailerIsIncomplete) {
  std::unique_ptr<OutputDir> dir = Claim("going");
  record::Run run = FullRun();
  run.set_cells_planned(5);
  ASSERT_TRUE(WriteRunFiles(*dir, run, "").ok());
  absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->state, kIncomplete);
  EXPECT_EQ(CompletenessNote(*back),
            "record: incomplete (no trailer: the run was killed or is still "
            "going); 2 of 5 cells");
  EXPECT_FALSE(
      absl::StrContains(ReadAll(dir->path() + "/run.jsonl"), "\"trailer\""));
}

TEST(FilesTest, JsonLinesAreTheHeaderThenOneCellPerLineThenTheTrailer) {
  record::Run run = FullRun();
  std::unique_ptr<OutputDir> dir = Claim("jsonl");
  ASSERT_TRUE(WriteRunFiles(*dir, run, "complete").ok());
  const std::string text = ReadAll(dir->path() + "/run.jsonl");
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
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
  // The trailer checks every byte before it.
  const std::string body = text.substr(0, text.size() - lines[3].size() - 1);
  EXPECT_EQ(lines[3], absl::StrCat("{\"trailer\":{\"state\":\"complete\","
                                   "\"cells\":2,\"sha256\":\"",
                                   Sha256Hex(body), "\"}}"));
}

TEST(FilesTest, AFlippedBitOrACutIsDamagedAndSaysSo) {
  record::Run run = FullRun();
  std::unique_ptr<OutputDir> dir = Claim("damaged");
  ASSERT_TRUE(WriteRunFiles(*dir, run, "complete").ok());
  const std::string path = dir->path() + "/run.pb";
  const std::string pb = ReadAll(path);
  int damaged = 0, incomplete = 0;
  for (size_t at = 0; at < pb.size(); at += 7) {
    std::string flipped = pb;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    WriteAll(path, flipped);
    absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
    ASSERT_FALSE(back.ok() && back->state == "complete") << "flip at " << at;
    if (!back.ok()) {
      ++damaged;
      EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss);
      EXPECT_TRUE(absl::StrContains(back.status().message(), "run.pb"));
      EXPECT_EQ(std::string(back.status().message()).find('\n'),
                std::string::npos);
    } else {
      ++incomplete;  // the flip hid the trailer's tag: no trailer at all
    }
  }
  EXPECT_GT(damaged, 0);
  for (size_t cut : {size_t{1}, pb.size() / 3, pb.size() / 2, pb.size() - 1}) {
    WriteAll(path, pb.substr(0, cut));
    absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
    EXPECT_FALSE(back.ok() && back->state == "complete") << "cut at " << cut;
  }
  WriteAll(path, "this is not a protobuf \xff\xff\xff");
  absl::StatusOr<RunFile> garbage = ReadRunFile(dir->path());
  ASSERT_FALSE(garbage.ok());
  EXPECT_TRUE(absl::StrContains(garbage.status().message(), "damaged record"));
  absl::StatusOr<RunFile> missing = ReadRunFile(dir->path() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "copyscope run"));
}

TEST(FilesTest, AFifoOrADirectoryIsNotReadAsARecord) {
  const std::string base = absl::StrCat(std::getenv("TEST_TMPDIR"), "/fifo");
  ASSERT_EQ(mkdir(base.c_str(), 0755), 0);
  ASSERT_EQ(mkfifo((base + "/run.pb").c_str(), 0600), 0);
  absl::StatusOr<RunFile> fifo = ReadRunFile(base);  // must not block
  ASSERT_FALSE(fifo.ok());
  EXPECT_EQ(fifo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(fifo.status().message(), "not a regular"));
}

TEST(FilesTest, ReadsAnOlderRecordWithItsEndMarker) {
  // What an older writer produced: the end marker, no checksum.
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
  std::unique_ptr<OutputDir> dir = Claim("old");
  WriteAll(dir->path() + "/run.pb", old.SerializeAsString());
  absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->state, "complete");
  ASSERT_EQ(back->run.cells_size(), 1);
  EXPECT_EQ(FindAggregate(back->run.cells(0), "throughput_gbps")->median(),
            3.5);
  EXPECT_FALSE(back->run.has_host());
}

TEST(FilesTest, ReadsANewerRecordWithUnknownFields) {
  record::Run run = FullRun();
  // Field 500, varint 7, in the body: a newer writer's field.
  std::string body = RunPbBytes(run, "") + std::string("\xa0\x1f\x07", 3);
  record::Run end;
  RecordTrailer* t = end.mutable_end();
  t->set_state("complete");
  t->set_cells(2);
  t->set_sha256(Sha256Hex(body));
  std::unique_ptr<OutputDir> dir = Claim("newer");
  WriteAll(dir->path() + "/run.pb", body + end.SerializeAsString());
  absl::StatusOr<RunFile> back = ReadRunFile(dir->path());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->run.cells_size(), 2);
  EXPECT_EQ(back->state, "complete");
}

TEST(FilesTest, SummaryJsonHasStatisticsButNoSamples) {
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
