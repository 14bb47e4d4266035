#include "harness/cli/history_report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace copyscope::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

record::HistoryKey Key() {
  record::HistoryKey k;
  k.transport = "two_copy";
  k.size = 65536;
  k.threads = 1;
  k.mode = "stream";
  k.fields = 1;
  k.direction = "server-to-client";
  return k;
}

// A cell of throughput with one run per level, three repetitions each
// around it; the last level's run is the latest. Build "aaa..." before
// run `new_build_from`, "bbb..." from it.
record::CellHistory Cell(const std::vector<double>& levels,
                         size_t new_build_from = 1000) {
  record::CellHistory c;
  c.key = Key();
  c.metric = "throughput_gbps";
  for (size_t i = 0; i < levels.size(); ++i) {
    record::HistoryPoint p;
    p.run.run_id = absl::StrCat("r", i);
    p.run.started_utc =
        absl::StrCat("2025-01-01T12:00:", i < 10 ? "0" : "", i, ".000Z");
    p.run.git_commit = std::string(40, i >= new_build_from ? 'b' : 'a');
    p.run.git_dirty = 0;
    p.run.version = "0.1.0";
    p.fingerprint = std::string(64, 'f');
    p.status = "ok";
    const double l = levels[i];
    p.values = {l * 0.99, l, l * 1.01};
    p.median = l;
    p.ci95_low = l * 0.97;
    p.ci95_high = l * 1.03;
    p.n = 3;
    c.points.push_back(p);
  }
  return c;
}

// Whether text is one JSON value, read back with protobuf's parser.
bool IsJson(const std::string& text, google::protobuf::Struct* out) {
  return google::protobuf::util::JsonStringToMessage(text, out).ok();
}

TEST(CellKeyLabelTest, NamesTheWholeKey) {
  EXPECT_EQ(CellKeyLabel(Key()), "two_copy 65536 B x1 stream, 1 field");
  record::HistoryKey k = Key();
  k.fields = 8;
  k.direction = "client-to-server";
  EXPECT_EQ(CellKeyLabel(k),
            "two_copy 65536 B x1 stream, 8 fields, client-to-server");
}

TEST(FormatHistoryTest, ARowPerRunUnderTheCellsTitle) {
  record::CellHistory c = Cell({10, 10.5, 9.8});
  c.points[1].status = "failed: x";
  c.points[1].median.reset();
  c.points[1].ci95_low.reset();
  const std::string text = FormatHistory({c}, false);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "two_copy 65536 B x1 stream, 1 field: throughput_gbps (Gbit/s), "
            "higher is better");
  EXPECT_THAT(lines[1], HasSubstr("run"));
  EXPECT_THAT(lines[1], HasSubstr("median"));
  EXPECT_THAT(lines[2], HasSubstr("r0   aaaaaaaaaaaa (0.1.0)  "
                                  "2025-01-01T12:00:00Z"));
  EXPECT_THAT(lines[2], HasSubstr("10.00  [9.700, 10.30]  3  ok"));
  EXPECT_THAT(lines[3], HasSubstr("  -  "));
  EXPECT_THAT(lines[3], HasSubstr("failed: x"));
  EXPECT_THAT(text, Not(HasSubstr("ffffffffffff")));
  EXPECT_THAT(FormatHistory({c}, true), HasSubstr("ffffffffffff"));
}

TEST(HistoryJsonTest, IsJsonWithEveryPoint) {
  record::CellHistory c = Cell({10, 11});
  c.points[0].median.reset();
  c.points[1].status = "quote \" backslash \\ newline \n";
  const std::string json = HistoryJson("/h \"x\".sqlite", "all", {c});
  google::protobuf::Struct s;
  ASSERT_TRUE(IsJson(json, &s)) << json;
  EXPECT_EQ(s.fields().at("history").string_value(), "/h \"x\".sqlite");
  const auto& cells = s.fields().at("cells").list_value();
  ASSERT_EQ(cells.values_size(), 1);
  const auto& cell = cells.values(0).struct_value().fields();
  EXPECT_EQ(cell.at("metric").string_value(), "throughput_gbps");
  EXPECT_EQ(cell.at("better").string_value(), "higher");
  EXPECT_EQ(cell.at("key").struct_value().fields().at("size").number_value(),
            65536);
  const auto& points = cell.at("points").list_value();
  ASSERT_EQ(points.values_size(), 2);
  const auto& p0 = points.values(0).struct_value().fields();
  EXPECT_TRUE(p0.at("median").has_null_value());
  EXPECT_EQ(p0.at("values").list_value().values_size(), 3);
  EXPECT_EQ(
      points.values(1).struct_value().fields().at("status").string_value(),
      "quote \" backslash \\ newline \n");
}

TEST(CheckTest, ASteadyCellIsNotARegression) {
  record::CellHistory c = Cell({10, 10.2, 9.9, 10.1, 10, 9.95, 10.05});
  std::vector<record::CellCheck> checks =
      record::CheckLatestRun({c}, HigherIsBetter);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_NE(checks[0].verdict, record::Verdict::kRegressed);
  EXPECT_FALSE(Counts(checks[0], 0));
}

TEST(CheckTest, AFallIsOneLineWithSizeIntervalAndBuilds) {
  record::CellHistory c = Cell({10, 10.2, 9.9, 10.1, 10, 9.95, 5}, 6);
  std::vector<record::CellCheck> checks =
      record::CheckLatestRun({c}, HigherIsBetter);
  ASSERT_EQ(checks.size(), 1u);
  const record::CellCheck& k = checks[0];
  ASSERT_EQ(k.verdict, record::Verdict::kRegressed) << k.reason;
  ASSERT_NE(DecidingChange(k), nullptr);
  EXPECT_EQ(DecidingChange(k), &*k.latest);
  EXPECT_TRUE(Counts(k, 0));
  EXPECT_TRUE(Counts(k, 0.3));   // about -50%, its interval beyond -30%
  EXPECT_FALSE(Counts(k, 0.6));  // but not beyond -60%
  const std::string line = RegressionLine(k);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, HasSubstr("regressed: two_copy 65536 B x1 stream, 1 field: "
                              "throughput_gbps -50."));
  EXPECT_THAT(line, HasSubstr("%], p="));
  EXPECT_THAT(line, HasSubstr("build before: aaaaaaaaaaaa (0.1.0) (run r5), "
                              "after: bbbbbbbbbbbb (0.1.0) (run r6)"));
  EXPECT_THAT(line, HasSubstr("noise floor"));
}

TEST(CheckTest, ARiseOfALatencyIsARegressionToo) {
  record::CellHistory c = Cell({100, 101, 99, 100, 100.5, 99.5, 180});
  c.metric = "latency_p99_us";
  EXPECT_FALSE(HigherIsBetter(c));
  std::vector<record::CellCheck> checks =
      record::CheckLatestRun({c}, HigherIsBetter);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].verdict, record::Verdict::kRegressed);
  EXPECT_TRUE(Counts(checks[0], 0.5));
  EXPECT_FALSE(Counts(checks[0], 0.9));
}

TEST(CheckJsonTest, IsJsonWithEveryVerdict) {
  record::CellHistory fell = Cell({10, 10.2, 9.9, 10.1, 10, 9.95, 5});
  record::CellHistory steady = Cell({10, 10.2, 9.9, 10.1, 10, 9.95, 10});
  steady.key.threads = 2;
  std::vector<record::CellCheck> checks =
      record::CheckLatestRun({fell, steady}, HigherIsBetter);
  const std::string json = CheckJson("/h.sqlite", "r6", "ffff", checks, 0);
  google::protobuf::Struct s;
  ASSERT_TRUE(IsJson(json, &s)) << json;
  EXPECT_EQ(s.fields().at("regressed").number_value(), 1);
  EXPECT_EQ(s.fields().at("run").string_value(), "r6");
  const auto& cells = s.fields().at("cells").list_value();
  ASSERT_EQ(cells.values_size(), 2);
  const auto& first = cells.values(0).struct_value().fields();
  EXPECT_EQ(first.at("verdict").string_value(), "regressed");
  EXPECT_TRUE(first.at("counts").bool_value());
  EXPECT_LT(first.at("latest").struct_value().fields().at("rel").number_value(),
            -0.4);
  const auto& second = cells.values(1).struct_value().fields();
  EXPECT_FALSE(second.at("counts").bool_value());
}

}  // namespace
}  // namespace copyscope::cli
