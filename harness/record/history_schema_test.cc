#include "harness/record/history_schema.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/record/history.h"

namespace copyscope::record {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FreshPath(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", info->name());
  fs::create_directories(dir);
  std::string path = absl::StrCat(dir, "/", name);
  fs::remove(path);
  return path;
}

// Every row of a query, its columns joined by "|".
std::vector<std::string> Rows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::vector<std::string> rows;
  char* err = nullptr;
  auto keep = [](void* out, int n, char** values, char**) {
    std::string row;
    for (int i = 0; i < n; ++i) {
      absl::StrAppend(&row, i ? "|" : "", values[i] ? values[i] : "NULL");
    }
    static_cast<std::vector<std::string>*>(out)->push_back(row);
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), keep, &rows, &err), SQLITE_OK)
      << (err ? err : "") << " in " << sql;
  sqlite3_free(err);
  sqlite3_close(db);
  return rows;
}

// A history as the first schema wrote it: samples of the primary metric
// only, keyed by (cell, rep). Kept here as written then, never edited.
constexpr char kVersion1[] = R"sql(
CREATE TABLE run (
  run_pk INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  started_utc TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  git_dirty INTEGER NOT NULL,
  version TEXT NOT NULL
) STRICT;
CREATE TABLE cell (
  cell_pk INTEGER PRIMARY KEY,
  run_pk INTEGER NOT NULL REFERENCES run (run_pk) ON DELETE CASCADE,
  transport TEXT NOT NULL,
  recv_transport TEXT NOT NULL,
  size INTEGER NOT NULL,
  threads INTEGER NOT NULL,
  mode TEXT NOT NULL,
  fields INTEGER NOT NULL,
  direction TEXT NOT NULL,
  request_size INTEGER NOT NULL,
  response_size INTEGER NOT NULL,
  status TEXT NOT NULL,
  metric TEXT NOT NULL,
  median REAL,
  ci95_low REAL,
  ci95_high REAL,
  n INTEGER NOT NULL,
  unstable INTEGER NOT NULL,
  UNIQUE (run_pk, transport, recv_transport, size, threads, mode, fields,
          direction, request_size, response_size)
) STRICT;
CREATE TABLE sample (
  cell_pk INTEGER NOT NULL REFERENCES cell (cell_pk) ON DELETE CASCADE,
  rep INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (cell_pk, rep)
) STRICT, WITHOUT ROWID;
PRAGMA application_id = 1668302953;
PRAGMA user_version = 1;
INSERT INTO run VALUES (1, 'r1', '2026-01-01T00:00:00.000Z', 'fp', 'c1', 0,
                        '0.1.0');
INSERT INTO run VALUES (2, 'r2', '2026-01-02T00:00:00.000Z', 'fp', 'c2', 0,
                        '0.1.0');
INSERT INTO cell VALUES (1, 1, 'two_copy', '', 4096, 1, 'stream', 1,
                         'server-to-client', 0, 0, 'ok', 'throughput_gbps',
                         10.5, 9.0, 12.0, 3, 0);
INSERT INTO cell VALUES (2, 2, 'two_copy', '', 4096, 1, 'stream', 1,
                         'server-to-client', 0, 0, 'ok', 'throughput_gbps',
                         8.5, NULL, NULL, 2, 1);
INSERT INTO cell VALUES (3, 2, 'one_copy', '', 64, 1, 'rr', 1,
                         'server-to-client', 64, 64, 'ok',
                         'transactions_per_sec', 70000, NULL, NULL, 1, 0);
INSERT INTO sample VALUES (1, 1, 10.0), (1, 2, 10.5), (1, 3, 11.0);
INSERT INTO sample VALUES (2, 1, 8.0), (2, 2, 9.0), (3, 1, 70000);
)sql";

TEST(HistorySchemaTest, TheApplicationIdIsOurs) {
  EXPECT_EQ(kHistoryApplicationId, 1668302953);  // the v1 file above says so
}

TEST(HistorySchemaTest, Version1IsMigratedWithEverySample) {
  const std::string path = FreshPath("v1.db");
  ASSERT_THAT(Rows(path, kVersion1), ::testing::IsEmpty());
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(Rows(path, "PRAGMA user_version"), ElementsAre("2"));
  EXPECT_THAT(
      Rows(path, "SELECT * FROM sample ORDER BY cell_pk, rep"),
      ElementsAre("1|throughput_gbps|1|10.0", "1|throughput_gbps|2|10.5",
                  "1|throughput_gbps|3|11.0", "2|throughput_gbps|1|8.0",
                  "2|throughput_gbps|2|9.0",
                  "3|transactions_per_sec|1|70000.0"));

  absl::StatusOr<std::vector<CellHistory>> q = h->Query({});
  ASSERT_TRUE(q.ok()) << q.status();
  ASSERT_EQ(q->size(), 2u);
  const CellHistory& two = (*q)[1];
  EXPECT_EQ(two.key.transport, "two_copy");
  ASSERT_EQ(two.points.size(), 2u);
  EXPECT_THAT(two.points[0].values, ElementsAre(10.0, 10.5, 11.0));
  EXPECT_EQ(two.points[1].run.git_commit, "c2");
  EXPECT_TRUE(two.points[1].unstable);

  // A migrated file can take new runs like a new one.
  RunSummary r;
  r.run = {"r3", "2026-01-03T00:00:00.000Z", "c3", 0, "0.1.0"};
  r.fingerprint = "fp";
  r.cells.resize(1);
  r.cells[0].key = two.key;
  r.cells[0].metric = two.metric;
  r.cells[0].samples = {{1, two.metric, 9.0}, {1, "server_cpu_util", 0.5}};
  EXPECT_TRUE(h->Append(r).ok());
}

TEST(HistorySchemaTest, AMigratedFileHasTheSchemaOfANewOne) {
  const std::string old_path = FreshPath("v1.db");
  const std::string new_path = FreshPath("v2.db");
  Rows(old_path, kVersion1);
  ASSERT_TRUE(History::Open(old_path).ok());
  ASSERT_TRUE(History::Open(new_path).ok());
  for (const char* table : {"run", "cell", "sample"}) {
    std::string sql = absl::StrCat("PRAGMA table_xinfo(", table, ")");
    EXPECT_EQ(Rows(old_path, sql), Rows(new_path, sql)) << table;
  }
  const std::string indexes =
      "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' "
      "ORDER BY name";
  EXPECT_EQ(Rows(old_path, indexes), Rows(new_path, indexes));
  EXPECT_THAT(Rows(old_path, "PRAGMA journal_mode"), ElementsAre("wal"));
}

TEST(HistorySchemaTest, AVersion1WithoutItsTablesIsLeftAsItWas) {
  const std::string path = FreshPath("v1.db");
  Rows(path, kVersion1);
  Rows(path, "DROP TABLE sample");
  absl::StatusOr<History> h = History::Open(path);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(h.status().message(),
            absl::StrCat("history ", path,
                         ": damaged: schema 1 without its table 'sample', so "
                         "it cannot be migrated: restore it from a copy, or "
                         "start a new history"));
  EXPECT_THAT(Rows(path, "PRAGMA user_version"), ElementsAre("1"));
  EXPECT_THAT(Rows(path, "SELECT count(*) FROM cell"), ElementsAre("3"));
  EXPECT_THAT(Rows(path, "PRAGMA journal_mode"), ElementsAre("delete"));
}

}  // namespace
}  // namespace copyscope::record
