#include "harness/record/history.h"

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/record/history_schema.h"

namespace copyscope::record {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A path under $TEST_TMPDIR named after the test, with nothing there yet.
std::string FreshPath(const std::string& name = "history.db") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return absl::StrCat(dir, "/", name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// SQL run on the file directly, as another program (or an older copyscope)
// would; the first column of the last row, as text.
std::string Sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string out;
  char* err = nullptr;
  auto keep = [](void* o, int, char** values, char**) {
    *static_cast<std::string*>(o) = values[0] ? values[0] : "NULL";
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), keep, &out, &err), SQLITE_OK)
      << (err ? err : "") << " in " << sql;
  sqlite3_free(err);
  sqlite3_close(db);
  return out;
}

CellSummary MakeCell(const std::string& transport, uint64_t size, int threads,
                     std::vector<double> values) {
  CellSummary c;
  c.key.transport = transport;
  c.key.size = size;
  c.key.threads = threads;
  c.key.mode = "stream";
  c.key.fields = 1;
  c.key.direction = "server-to-client";
  c.status = "ok";
  c.metric = "throughput_gbps";
  c.n = static_cast<int>(values.size());
  c.median = values.empty() ? std::nullopt : std::optional(values[0]);
  for (size_t i = 0; i < values.size(); ++i) {
    c.samples.push_back({static_cast<int>(i) + 1, c.metric, values[i]});
  }
  return c;
}

RunSummary Summary(const std::string& id, const std::string& started,
                   const std::string& fingerprint = "fpA") {
  RunSummary r;
  r.run = {id, started, "abc", 0, "0.1.0"};
  r.fingerprint = fingerprint;
  r.cells.push_back(MakeCell("two_copy", 4096, 1, {10, 11, 12}));
  r.cells.push_back(MakeCell("one_copy", 4096, 1, {20, 21, 22}));
  r.cells.push_back(MakeCell("two_copy", 65536, 2, {30, 31, 32}));
  return r;
}

std::string Day(int d) {
  return absl::StrCat("2026-01-", d < 10 ? "0" : "", d, "T00:00:00.000Z");
}

TEST(HistoryTest, CreatesAVersionedWalFileOfOurs) {
  const std::string path = FreshPath();
  ASSERT_TRUE(History::Open(path).ok());
  EXPECT_EQ(Sql(path, "PRAGMA application_id"),
            absl::StrCat(kHistoryApplicationId));
  EXPECT_EQ(Sql(path, "PRAGMA user_version"), "2");
  EXPECT_EQ(Sql(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(Sql(path,
                "SELECT group_concat(name) FROM (SELECT name FROM "
                "sqlite_master WHERE type = 'table' ORDER BY name)"),
            "cell,run,sample");
  // Opening again changes nothing.
  ASSERT_TRUE(History::Open(path).ok());
  EXPECT_EQ(Sql(path, "PRAGMA user_version"), "2");
}

TEST(HistoryTest, AnEmptyFileBecomesAHistory) {
  const std::string path = FreshPath();
  std::ofstream(path).close();
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(Sql(path, "PRAGMA user_version"), "2");
}

TEST(HistoryTest, AppendsAndQueriesEveryField) {
  const std::string path = FreshPath();
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_TRUE(h.ok()) << h.status();
  RunSummary r;
  r.run = {"r1", Day(1), "0123abcd", 1, "0.1.0"};
  r.fingerprint = "fpA";
  CellSummary c = MakeCell("two_copy", 4096, 2, {9.5, 10.5});
  c.key.recv_transport = "uring_recv";
  c.key.mode = "rr";
  c.key.fields = 4;
  c.key.direction = "client-to-server";
  c.key.request_size = 64;
  c.key.response_size = 32;
  c.status = "failed: x";
  c.metric = "transactions_per_sec";
  c.samples = {{1, "transactions_per_sec", 9.5},
               {2, "transactions_per_sec", 10.5},
               {1, "server_cpu_util", 0.25}};
  c.median = 10;
  c.ci95_low = 4;
  c.ci95_high = 16;
  c.unstable = true;
  r.cells = {c};
  ASSERT_TRUE(h->Append(r).ok());
  EXPECT_EQ(*h->Contains("r1"), true);
  EXPECT_EQ(*h->Contains("r2"), false);

  absl::StatusOr<std::vector<CellHistory>> q = h->Query({});
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 1u);
  const CellHistory& ch = (*q)[0];
  EXPECT_TRUE(ch.key == c.key);
  EXPECT_EQ(ch.metric, "transactions_per_sec");
  ASSERT_EQ(ch.points.size(), 1u);
  const HistoryPoint& p = ch.points[0];
  EXPECT_EQ(p.run.run_id, "r1");
  EXPECT_EQ(p.run.started_utc, Day(1));
  EXPECT_EQ(p.run.git_commit, "0123abcd");
  EXPECT_EQ(p.run.git_dirty, 1);
  EXPECT_EQ(p.run.version, "0.1.0");
  EXPECT_EQ(p.fingerprint, "fpA");
  EXPECT_EQ(p.status, "failed: x");
  EXPECT_EQ(p.median, 10);
  EXPECT_EQ(p.ci95_low, 4);
  EXPECT_EQ(p.ci95_high, 16);
  EXPECT_EQ(p.n, 2);
  EXPECT_TRUE(p.unstable);
  EXPECT_THAT(p.values, ElementsAre(9.5, 10.5));
  ASSERT_EQ(p.other_samples.size(), 1u);
  EXPECT_EQ(p.other_samples[0].metric, "server_cpu_util");
  EXPECT_EQ(p.other_samples[0].value, 0.25);
}

TEST(HistoryTest, QueryFiltersByFingerprintKeyAndLastRuns) {
  absl::StatusOr<History> h = History::Open(FreshPath());
  ASSERT_TRUE(h.ok()) << h.status();
  // Appended out of time order: queries order by start time.
  for (int d : {3, 1, 2, 5, 4}) {
    ASSERT_TRUE(h->Append(Summary(absl::StrCat("a", d), Day(d))).ok());
  }
  ASSERT_TRUE(h->Append(Summary("b1", Day(6), "fpB")).ok());

  std::vector<CellHistory> all = *h->Query({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].points.size(), 6u);

  HistoryFilter f;
  f.fingerprint = "fpA";
  std::vector<CellHistory> a = *h->Query(f);
  ASSERT_EQ(a.size(), 3u);
  std::vector<std::string> ids;
  for (const HistoryPoint& p : a[0].points) ids.push_back(p.run.run_id);
  EXPECT_THAT(ids, ElementsAre("a1", "a2", "a3", "a4", "a5"));

  f.transport = "two_copy";
  EXPECT_EQ(h->Query(f)->size(), 2u);
  f.size = 65536;
  std::vector<CellHistory> big = *h->Query(f);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0].key.threads, 2);
  f.threads = 1;
  EXPECT_THAT(*h->Query(f), IsEmpty());

  HistoryFilter last;
  last.fingerprint = "fpA";
  last.transport = "one_copy";
  last.last_runs = 2;
  std::vector<CellHistory> recent = *h->Query(last);
  ASSERT_EQ(recent.size(), 1u);
  ASSERT_EQ(recent[0].points.size(), 2u);
  EXPECT_EQ(recent[0].points[0].run.run_id, "a4");
  EXPECT_EQ(recent[0].points[1].run.run_id, "a5");
  last.fingerprint = "";
  EXPECT_EQ((*h->Query(last))[0].points[1].run.run_id, "b1");
}

TEST(HistoryTest, AppendRefusesBadRunsAndWritesNothingOfThem) {
  const std::string path = FreshPath();
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(h->Append(Summary("r1", Day(1))).ok());

  absl::Status again = h->Append(Summary("r1", Day(2)));
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(
      std::string(again.message()),
      HasSubstr(absl::StrCat("history ", path, ": already holds run r1")));

  RunSummary twice = Summary("r2", Day(2));
  twice.cells.push_back(twice.cells[0]);
  absl::Status s = h->Append(twice);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("cell two_copy 4096 B x1 stream: given twice"));

  RunSummary nan = Summary("r3", Day(3));
  nan.cells[1].samples[0].value = std::nan("");
  EXPECT_EQ(h->Append(nan).code(), absl::StatusCode::kInvalidArgument);
  RunSummary no_fp = Summary("r4", Day(4), "");
  EXPECT_EQ(h->Append(no_fp).code(), absl::StatusCode::kInvalidArgument);
  RunSummary no_id = Summary("", Day(4));
  EXPECT_EQ(h->Append(no_id).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(Sql(path, "SELECT count(*) FROM run"), "1");
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM cell"), "3");
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM sample"), "9");
}

TEST(HistoryTest, TwoThreadsCreatingAndAppendingBothLand) {
  const std::string path = FreshPath();
  constexpr int kRuns = 25;
  auto writer = [&](const std::string& prefix, absl::Status* result) {
    absl::StatusOr<History> h = History::Open(path);
    if (!h.ok()) {
      *result = h.status();
      return;
    }
    for (int i = 0; i < kRuns && result->ok(); ++i) {
      *result = h->Append(Summary(absl::StrCat(prefix, i), Day(1 + i % 28)));
    }
  };
  absl::Status a;
  absl::Status b;
  std::thread ta(writer, "a", &a);
  std::thread tb(writer, "b", &b);
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a;
  ASSERT_TRUE(b.ok()) << b;
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM run"), absl::StrCat(2 * kRuns));
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM sample"),
            absl::StrCat(2 * kRuns * 9));
}

TEST(HistoryTest, TwoProcessesAppendingBothLand) {
  const std::string path = FreshPath();
  ASSERT_TRUE(History::Open(path).ok());
  constexpr int kRuns = 25;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  const std::string prefix = child == 0 ? "child" : "parent";
  absl::StatusOr<History> h = History::Open(path);
  bool ok = h.ok();
  for (int i = 0; i < kRuns && ok; ++i) {
    ok = h->Append(Summary(absl::StrCat(prefix, i), Day(1 + i))).ok();
  }
  if (child == 0) _exit(ok ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(ok);
  EXPECT_EQ(Sql(path, "SELECT count(*) FROM run"), absl::StrCat(2 * kRuns));
}

TEST(HistoryTest, RandomBytesAreRefusedAndLeftAlone) {
  const std::string path = FreshPath();
  std::mt19937 rng(42);
  std::string junk(8192, '\0');
  for (char& c : junk) c = static_cast<char>(rng() & 0xff);
  std::ofstream(path, std::ios::binary) << junk;
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr(absl::StrCat("history ", path, ": ")));
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr("not an SQLite database"));
  EXPECT_EQ(std::string(h.status().message()).find('\n'), std::string::npos);
  EXPECT_EQ(ReadAll(path), junk);
}

TEST(HistoryTest, ForeignSqliteFilesAreRefusedAndLeftAlone) {
  const std::string path = FreshPath("notes.db");
  Sql(path, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('x')");
  const std::string before = ReadAll(path);
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(),
            absl::StrCat("history ", path,
                         ": another application's SQLite database (no "
                         "application_id, tables notes), not a copyscope "
                         "history: give the path of a copyscope history, or "
                         "of a new file"));
  EXPECT_EQ(ReadAll(path), before);
  EXPECT_EQ(Sql(path, "PRAGMA journal_mode"), "delete");

  Sql(path, "PRAGMA application_id = 1179603795");  // "FOSS"
  h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr("(application_id 0x464f5353)"));
}

TEST(HistoryTest, NewerOrDamagedHistoriesAreRefused) {
  const std::string path = FreshPath();
  ASSERT_TRUE(History::Open(path).ok());
  Sql(path, "PRAGMA user_version = 3");
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr("schema version 3 is newer than this copyscope's (2)"));

  Sql(path, "PRAGMA user_version = 2; DROP TABLE sample");
  h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr("damaged: table 'sample' is missing"));

  Sql(path, "PRAGMA user_version = 0");
  EXPECT_EQ(History::Open(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST(HistoryTest, OverwrittenPagesGiveAnErrorOrData) {
  const std::string path = FreshPath();
  {
    absl::StatusOr<History> h = History::Open(path);
    ASSERT_TRUE(h.ok());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(
          h->Append(Summary(absl::StrCat("r", i), Day(1 + i % 28))).ok());
    }
  }
  Sql(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  const std::string good = ReadAll(path);
  std::mt19937 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 30; ++trial) {
    std::string bad = good;
    size_t at = rng() % bad.size();
    for (size_t i = at; i < std::min(bad.size(), at + 512); ++i) {
      bad[i] = static_cast<char>(rng() & 0xff);
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    fs::remove(path + "-wal");
    fs::remove(path + "-shm");
    absl::StatusOr<History> h = History::Open(path);
    absl::Status s = h.ok() ? h->Query({}).status() : h.status();
    if (!s.ok()) {
      ++refused;
      EXPECT_THAT(std::string(s.message()),
                  HasSubstr(absl::StrCat("history ", path, ": ")));
      EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
    }
  }
  // Some trials hit a page in use (the fixed seed makes it the same ones).
  EXPECT_GT(refused, 0);
}

TEST(HistoryTest, AMissingDirectoryIsNotCreated) {
  const std::string path = FreshPath() + ".d/history.db";
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(h.status().message()),
              HasSubstr(absl::StrCat("history ", path,
                                     ": opening: cannot open "
                                     "the file")));
  EXPECT_FALSE(fs::exists(fs::path(path).parent_path()));
}

}  // namespace
}  // namespace copyscope::record
