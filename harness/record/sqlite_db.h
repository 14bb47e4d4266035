// A thin layer over SQLite's C API for the results history (history.h):
// one connection, prepared statements, transactions that roll back unless
// committed, and every failure as a one-line absl::Status that names the
// file, what went wrong and what to do.
//
//   absl::StatusOr<SqliteDb> db = SqliteDb::Open("history.db");
//   absl::StatusOr<Statement> st = db->Prepare(
//       "SELECT value FROM sample WHERE rep = ?1", "reading samples");
//   st->Bind(1, int64_t{2});
//   while (true) {
//     absl::StatusOr<bool> row = st->Step();
//     if (!row.ok() || !*row) break;
//     double v = st->Double(0);
//   }
//
// A connection belongs to one thread at a time.
#ifndef COPYSCOPE_HARNESS_RECORD_SQLITE_DB_H_
#define COPYSCOPE_HARNESS_RECORD_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace copyscope::record {

class Statement;

// Text fit for a one-line message: bytes outside printable ASCII become
// "?" (a damaged file can put any byte in a name or in SQLite's message).
std::string OneLine(absl::string_view text);

class SqliteDb {
 public:
  // Opens the file read-write, creating it when absent (not its
  // directory), with a busy timeout: a writer waits up to that long for
  // another to finish.
  static absl::StatusOr<SqliteDb> Open(const std::string& path,
                                       int busy_timeout_ms);

  const std::string& path() const { return path_; }

  // Runs statements that return no rows. `doing` says what for, in the
  // error message ("appending run r1").
  absl::Status Exec(const std::string& sql,
                    absl::string_view doing = "running SQL");
  // A statement whose errors say they happened while `doing`.
  absl::StatusOr<Statement> Prepare(const std::string& sql,
                                    absl::string_view doing);

  // The status for SQLite result code rc met while `doing` something, with
  // the connection's own message: one line, "history PATH: DOING: WHAT
  // (sqlite: MESSAGE): FIX".
  absl::Status Error(absl::string_view doing, int rc) const;

  // The rowid of the last row this connection inserted.
  int64_t last_insert_rowid() const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  SqliteDb(std::string path, sqlite3* db);

  std::string path_;
  std::unique_ptr<sqlite3, Closer> db_;
};

class Statement {
 public:
  // Parameters are 1-based, as in SQL ("?1").
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, double v);
  Statement& Bind(int i, const std::string& v);
  Statement& Bind(int i, std::optional<double> v);  // NULL when empty

  // Runs to the next row: true when there is one, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();
  // Ready to run again with new bindings.
  void Reset();

  // Columns are 0-based.
  int64_t Int(int col) const;
  double Double(int col) const;
  std::optional<double> OptionalDouble(int col) const;  // NULL: empty
  std::string Text(int col) const;

 private:
  friend class SqliteDb;
  struct Finalizer {
    void operator()(sqlite3_stmt* st) const;
  };
  Statement(const SqliteDb* db, sqlite3_stmt* st, absl::string_view doing)
      : db_(db), st_(st), doing_(doing) {}

  const SqliteDb* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> st_;
  std::string doing_;
  int bind_rc_ = 0;  // the first failed bind's code, reported by Step
};

// BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy
// timeout, so two writers never deadlock upgrading a read) or a deferred
// BEGIN for reading; rolls back when destroyed uncommitted.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(SqliteDb* db, bool write);
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_SQLITE_DB_H_
