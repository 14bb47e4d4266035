#include "harness/cli/history_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::cli {
namespace {

using ::testing::HasSubstr;

GetEnv Env(std::map<std::string, std::string> vars) {
  auto held =
      std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [held](const char* name) -> const char* {
    auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}

std::string Tmp(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

TEST(HistoryPathTest, FollowsTheXdgBaseDirectories) {
  EXPECT_EQ(
      *HistoryPath("", Env({{"XDG_DATA_HOME", "/data"}, {"HOME", "/home/u"}})),
      "/data/copyscope/history.sqlite");
  EXPECT_EQ(*HistoryPath("", Env({{"XDG_DATA_HOME", "/data/"}})),
            "/data/copyscope/history.sqlite");
  EXPECT_EQ(*HistoryPath("", Env({{"HOME", "/home/u"}})),
            "/home/u/.local/share/copyscope/history.sqlite");
  // Empty or relative: ignored, as the specification says.
  EXPECT_EQ(*HistoryPath("", Env({{"XDG_DATA_HOME", ""}, {"HOME", "/h"}})),
            "/h/.local/share/copyscope/history.sqlite");
  EXPECT_EQ(*HistoryPath("", Env({{"XDG_DATA_HOME", "data"}, {"HOME", "/h"}})),
            "/h/.local/share/copyscope/history.sqlite");
}

TEST(HistoryPathTest, TheFlagWinsAndIsTakenFromTheUsersDirectory) {
  GetEnv env = Env(
      {{"XDG_DATA_HOME", "/data"}, {"BUILD_WORKING_DIRECTORY", "/work/me"}});
  EXPECT_EQ(*HistoryPath("/x/h.sqlite", env), "/x/h.sqlite");
  EXPECT_EQ(*HistoryPath("results/h.sqlite", env), "/work/me/results/h.sqlite");
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(*HistoryPath("h.sqlite", Env({})), absl::StrCat(cwd, "/h.sqlite"));
}

TEST(OpenHistoryTest, CreatesTheMissingDirectoriesPrivate) {
  const std::string path = Tmp("xdg/a/b/copyscope/history.sqlite");
  absl::StatusOr<record::History> h = OpenHistory(path);
  ASSERT_TRUE(h.ok()) << h.status();
  struct stat st;
  ASSERT_EQ(stat(Tmp("xdg/a/b/copyscope").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(stat(path.c_str(), &st), 0);
}

TEST(OpenHistoryTest, AForeignFileIsOneLineNamingIt) {
  const std::string path = Tmp("foreign.sqlite");
  std::ofstream(path) << "this is not a database, just text\n";
  absl::StatusOr<record::History> h = OpenHistory(path);
  ASSERT_FALSE(h.ok());
  const std::string msg(h.status().message());
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(OpenHistoryTest, ADirectoryInTheWayIsOneLine) {
  const std::string file = Tmp("plainfile");
  std::ofstream(file) << "x";
  absl::StatusOr<record::History> h = OpenHistory(file + "/sub/h.sqlite");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(std::string(h.status().message()).find('\n'), std::string::npos);
  EXPECT_THAT(h.status().message(), HasSubstr("--history"));
}

record::Run ARun(const std::string& id, const std::string& started) {
  record::Run run;
  run.set_run_id(id);
  run.set_started_utc(started);
  run.mutable_build()->set_version("0.1.0");
  run.mutable_host()->set_testbed_fingerprint(std::string(64, 'a'));
  record::Cell* c = run.add_cells();
  c->mutable_key()->set_transport("two_copy");
  c->mutable_key()->set_size(65536);
  c->mutable_key()->set_threads(1);
  c->mutable_key()->set_mode("stream");
  c->set_status("ok");
  c->set_primary_metric("throughput_gbps");
  for (int rep = 1; rep <= 3; ++rep) {
    record::Sample* s = c->add_samples();
    s->set_rep(rep);
    s->set_status("ok");
    record::Metric* m = s->add_metrics();
    m->set_name("throughput_gbps");
    m->set_value(10 + rep);
  }
  record::Aggregate* a = c->add_aggregates();
  a->set_metric("throughput_gbps");
  a->set_n(3);
  a->set_median(12);
  return run;
}

TEST(HistoryRunIdTest, ADefaultNameIsItsOwnId) {
  EXPECT_EQ(HistoryRunId(ARun("20250101T120000Z-3f9a2c", "t")),
            "20250101T120000Z-3f9a2c");
  EXPECT_EQ(HistoryRunId(ARun("ci", "2025-01-01T12:00:00.000Z")),
            "ci@2025-01-01T12:00:00.000Z");
  EXPECT_EQ(HistoryRunId(ARun("20250101T120000Z-3F9A2C", "t")),
            "20250101T120000Z-3F9A2C@t");
  EXPECT_EQ(HistoryRunId(ARun("20250101T120000Z-3f9a2", "t")),
            "20250101T120000Z-3f9a2@t");
}

TEST(AddRecordTest, TwoRunsOfOneDirectoryNameAreTwoRuns) {
  absl::StatusOr<record::History> h = OpenHistory(Tmp("add/history.sqlite"));
  ASSERT_TRUE(h.ok()) << h.status();
  record::Run first = ARun("ci", "2025-01-01T12:00:00.000Z");
  record::Run second = ARun("ci", "2025-01-02T12:00:00.000Z");
  ASSERT_TRUE(AddRecord(&*h, first).ok());
  ASSERT_TRUE(AddRecord(&*h, second).ok());
  EXPECT_EQ(AddRecord(&*h, first).code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::vector<record::CellHistory>> cells = h->Query({});
  ASSERT_TRUE(cells.ok()) << cells.status();
  ASSERT_EQ(cells->size(), 1u);
  ASSERT_EQ((*cells)[0].points.size(), 2u);
  const record::HistoryPoint& p = (*cells)[0].points[0];
  EXPECT_EQ(p.run.run_id, "ci@2025-01-01T12:00:00.000Z");
  EXPECT_EQ(p.fingerprint, std::string(64, 'a'));
  EXPECT_EQ(p.values, (std::vector<double>{11, 12, 13}));
}

}  // namespace
}  // namespace copyscope::cli
