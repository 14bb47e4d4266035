#include "harness/record/history_schema.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace copyscope::record {
namespace {

// The current schema, created in an empty file.
constexpr char kCreate[] = R"sql(
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
  metric TEXT NOT NULL,
  rep INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (cell_pk, metric, rep)
) STRICT, WITHOUT ROWID;
CREATE INDEX run_by_fingerprint ON run (fingerprint, started_utc);
CREATE INDEX cell_by_key ON cell (transport, size, threads);
)sql";

// Migrations: the SQL that takes version `from` to from + 1.
struct Migration {
  int from;
  const char* sql;
};
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE sample_2 (
  cell_pk INTEGER NOT NULL REFERENCES cell (cell_pk) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  rep INTEGER NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (cell_pk, metric, rep)
) STRICT, WITHOUT ROWID;
INSERT INTO sample_2 (cell_pk, metric, rep, value)
  SELECT s.cell_pk, c.metric, s.rep, s.value
  FROM sample AS s JOIN cell AS c USING (cell_pk);
DROP TABLE sample;
ALTER TABLE sample_2 RENAME TO sample;
CREATE INDEX run_by_fingerprint ON run (fingerprint, started_utc);
CREATE INDEX cell_by_key ON cell (transport, size, threads);
)sql"},
};

// The columns every table of the current schema has, in order.
const std::map<std::string, std::vector<std::string>>& Columns() {
  static const auto* const columns =
      new std::map<std::string, std::vector<std::string>>{
          {"run",
           {"run_pk", "run_id", "started_utc", "fingerprint", "git_commit",
            "git_dirty", "version"}},
          {"cell",
           {"cell_pk", "run_pk", "transport", "recv_transport", "size",
            "threads", "mode", "fields", "direction", "request_size",
            "response_size", "status", "metric", "median", "ci95_low",
            "ci95_high", "n", "unstable"}},
          {"sample", {"cell_pk", "metric", "rep", "value"}},
      };
  return *columns;
}

constexpr char kNotOurs[] =
    "give the path of a copyscope history, or of a new file";
constexpr char kDamaged[] = "restore it from a copy, or start a new history";

struct State {
  int64_t application_id = 0;
  int64_t version = 0;
  std::vector<std::string> tables;  // ours and anyone's, not sqlite_*
};

absl::StatusOr<int64_t> Pragma(SqliteDb* db, const std::string& name) {
  absl::StatusOr<Statement> st =
      db->Prepare(absl::StrCat("PRAGMA ", name), "reading its header");
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->Int(0) : 0;
}

absl::StatusOr<State> ReadState(SqliteDb* db) {
  State s;
  absl::StatusOr<int64_t> id = Pragma(db, "application_id");
  if (!id.ok()) return id.status();
  absl::StatusOr<int64_t> version = Pragma(db, "user_version");
  if (!version.ok()) return version.status();
  s.application_id = *id;
  s.version = *version;
  absl::StatusOr<Statement> st = db->Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
      "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      "listing its tables");
  if (!st.ok()) return st.status();
  for (;;) {
    absl::StatusOr<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    s.tables.push_back(st->Text(0));
  }
  return s;
}

// The schema's tables and columns are all there.
absl::Status CheckColumns(SqliteDb* db) {
  for (const auto& [table, want] : Columns()) {
    absl::StatusOr<Statement> st = db->Prepare(
        absl::StrCat("PRAGMA table_info(", table, ")"), "reading its schema");
    if (!st.ok()) return st.status();
    std::vector<std::string> have;
    for (;;) {
      absl::StatusOr<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      have.push_back(st->Text(1));
    }
    if (have != want) {
      return absl::DataLossError(absl::StrCat(
          "history ", db->path(), ": damaged: table '", table, "' ",
          have.empty()
              ? "is missing"
              : absl::StrCat("has columns (", absl::StrJoin(have, ", "),
                             "), not those of schema ", kHistorySchemaVersion),
          ": ", kDamaged));
    }
  }
  return absl::OkStatus();
}

// "a, b, c" (at most five names, then how many more), or "none".
std::string TableList(const std::vector<std::string>& tables) {
  if (tables.empty()) return "none";
  constexpr size_t kMax = 5;
  std::vector<std::string> shown(
      tables.begin(), tables.begin() + std::min(tables.size(), kMax));
  std::string out = OneLine(absl::StrJoin(shown, ", "));
  if (tables.size() > kMax) {
    absl::StrAppend(&out, " and ", tables.size() - kMax, " more");
  }
  return out;
}

// OK when the file is ours or empty; the refusal otherwise.
absl::Status Classify(const SqliteDb& db, const State& s) {
  const std::string name = absl::StrCat("history ", db.path(), ": ");
  if (s.application_id == 0 && s.tables.empty() && s.version == 0) {
    return absl::OkStatus();  // a new file
  }
  if (s.application_id != kHistoryApplicationId) {
    std::string what =
        s.application_id != 0
            ? absl::StrFormat("application_id 0x%08x",
                              static_cast<uint32_t>(s.application_id))
            : absl::StrCat("no application_id, tables ", TableList(s.tables));
    return absl::FailedPreconditionError(
        absl::StrCat(name, "another application's SQLite database (", what,
                     "), not a copyscope history: ", kNotOurs));
  }
  if (s.version > kHistorySchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, "schema version ", s.version, " is newer than this copyscope's (",
        kHistorySchemaVersion, "): use the copyscope that wrote it, or newer"));
  }
  if (s.version < 1) {
    return absl::DataLossError(absl::StrCat(
        name,
        "damaged: a copyscope history without a schema version: ", kDamaged));
  }
  return absl::OkStatus();
}

// An older schema of ours has the tables its migrations start from.
absl::Status CheckMigratable(const SqliteDb& db, const State& s) {
  for (const char* table : {"cell", "run", "sample"}) {
    if (std::find(s.tables.begin(), s.tables.end(), table) == s.tables.end()) {
      return absl::DataLossError(
          absl::StrCat("history ", db.path(), ": damaged: schema ", s.version,
                       " without its table '", table,
                       "', so it cannot be migrated: ", kDamaged));
    }
  }
  return absl::OkStatus();
}

absl::Status UseWal(SqliteDb* db) {
  absl::StatusOr<Statement> st = db->Prepare("PRAGMA journal_mode = WAL",
                                             "turning on write-ahead logging");
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  std::string mode = *row ? st->Text(0) : "";
  if (mode != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "history ", db->path(), ": write-ahead logging is off (journal mode '",
        mode,
        "'), so concurrent runs could not both write: keep the history "
        "on a local file system"));
  }
  return absl::OkStatus();
}

// Creates or migrates, holding the write lock; another connection may have
// done it meanwhile, so the state is read again under the lock.
absl::Status CreateOrMigrate(SqliteDb* db) {
  absl::StatusOr<Transaction> tx = Transaction::Begin(db, /*write=*/true);
  if (!tx.ok()) return tx.status();
  absl::StatusOr<State> s = ReadState(db);
  if (!s.ok()) return s.status();
  if (absl::Status c = Classify(*db, *s); !c.ok()) return c;
  if (s->application_id == 0) {
    absl::Status st = db->Exec(
        absl::StrCat(kCreate, "PRAGMA application_id = ", kHistoryApplicationId,
                     "; PRAGMA user_version = ", kHistorySchemaVersion, ";"),
        "creating the schema");
    if (!st.ok()) return st;
  } else {
    if (absl::Status c = CheckMigratable(*db, *s); !c.ok()) return c;
    for (const Migration& m : kMigrations) {
      if (m.from < s->version) continue;
      absl::Status st = db->Exec(
          absl::StrCat(m.sql, "PRAGMA user_version = ", m.from + 1, ";"),
          absl::StrCat("migrating schema ", m.from, " to ", m.from + 1));
      if (!st.ok()) return st;
    }
  }
  if (absl::Status c = CheckColumns(db); !c.ok()) return c;
  return tx->Commit();
}

}  // namespace

absl::Status PrepareSchema(SqliteDb* db) {
  // One snapshot: another connection may be creating the schema meanwhile.
  absl::StatusOr<State> s;
  {
    absl::StatusOr<Transaction> tx = Transaction::Begin(db, /*write=*/false);
    if (!tx.ok()) return tx.status();
    s = ReadState(db);
    if (!s.ok()) return s.status();
    if (absl::Status c = tx->Commit(); !c.ok()) return c;
  }
  if (absl::Status c = Classify(*db, *s); !c.ok()) return c;
  // A file refused is left as it was: checked before WAL mode is set.
  if (s->application_id == kHistoryApplicationId) {
    absl::Status c = s->version == kHistorySchemaVersion
                         ? CheckColumns(db)
                         : CheckMigratable(*db, *s);
    if (!c.ok()) return c;
  }
  if (absl::Status w = UseWal(db); !w.ok()) return w;
  if (s->version != kHistorySchemaVersion) {
    if (absl::Status m = CreateOrMigrate(db); !m.ok()) return m;
  }
  return db->Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                  "setting up the connection");
}

}  // namespace copyscope::record
