#include "harness/record/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace copyscope::record {
namespace {

struct Meaning {
  absl::StatusCode code;
  const char* what;
  const char* fix;
};

Meaning Explain(int rc) {
  using C = absl::StatusCode;
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return {C::kFailedPrecondition, "not an SQLite database",
              "give the path of a copyscope history, or of a new file"};
    case SQLITE_CORRUPT:
      return {C::kDataLoss, "the database is damaged",
              "restore it from a copy, or start a new history"};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {C::kUnavailable,
              "another connection held it longer than the busy timeout",
              "retry once the other writer is done"};
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {C::kPermissionDenied, "not writable",
              "make the file and its directory writable, or give another path"};
    case SQLITE_CANTOPEN:
      return {C::kNotFound, "cannot open the file",
              "give a file in an existing, writable directory"};
    case SQLITE_FULL:
      return {C::kResourceExhausted, "the disk is full",
              "free space and retry"};
    case SQLITE_IOERR:
      return {C::kUnavailable, "an I/O error", "check the disk and retry"};
    case SQLITE_CONSTRAINT:
      return {C::kInvalidArgument, "a constraint of the schema failed",
              "give each run once, and each cell and sample once per run"};
    default:
      return {C::kInternal, "SQLite failed",
              "retry; if it persists, keep the file for a bug report"};
  }
}

}  // namespace

std::string OneLine(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

void SqliteDb::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void Statement::Finalizer::operator()(sqlite3_stmt* st) const {
  sqlite3_finalize(st);
}

SqliteDb::SqliteDb(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

absl::StatusOr<SqliteDb> SqliteDb::Open(const std::string& path,
                                        int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteDb db(path, raw);  // closes raw, even after a failed open
  if (rc != SQLITE_OK) return db.Error("opening", rc);
  sqlite3_extended_result_codes(raw, 0);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

absl::Status SqliteDb::Error(absl::string_view doing, int rc) const {
  Meaning m = Explain(rc);
  const char* msg = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  return absl::Status(
      m.code,
      absl::StrCat("history ", path_, ": ", doing, ": ", m.what,
                   " (sqlite: ", OneLine(msg ? msg : ""), "): ", m.fix));
}

absl::Status SqliteDb::Exec(const std::string& sql, absl::string_view doing) {
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(doing, rc);
  return absl::OkStatus();
}

absl::StatusOr<Statement> SqliteDb::Prepare(const std::string& sql,
                                            absl::string_view doing) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(),
                              static_cast<int>(sql.size()), &st, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return Error(doing, rc);
  }
  return Statement(this, st, doing);
}

int64_t SqliteDb::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

Statement& Statement::Bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(st_.get(), i, v);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int i, double v) {
  int rc = sqlite3_bind_double(st_.get(), i, v);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int i, const std::string& v) {
  int rc = sqlite3_bind_text(st_.get(), i, v.data(), static_cast<int>(v.size()),
                             SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(int i, std::optional<double> v) {
  if (v) return Bind(i, *v);
  int rc = sqlite3_bind_null(st_.get(), i);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return db_->Error(doing_, bind_rc_);
  int rc = sqlite3_step(st_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(doing_, rc);
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

void Statement::Reset() {
  sqlite3_reset(st_.get());
  sqlite3_clear_bindings(st_.get());
  bind_rc_ = SQLITE_OK;
}

int64_t Statement::Int(int col) const {
  return sqlite3_column_int64(st_.get(), col);
}

double Statement::Double(int col) const {
  return sqlite3_column_double(st_.get(), col);
}

std::optional<double> Statement::OptionalDouble(int col) const {
  if (sqlite3_column_type(st_.get(), col) == SQLITE_NULL) return std::nullopt;
  return Double(col);
}

std::string Statement::Text(int col) const {
  const unsigned char* t = sqlite3_column_text(st_.get(), col);
  if (t == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<size_t>(sqlite3_column_bytes(st_.get(), col)));
}

absl::StatusOr<Transaction> Transaction::Begin(SqliteDb* db, bool write) {
  absl::Status s = db->Exec(write ? "BEGIN IMMEDIATE" : "BEGIN",
                            write ? "starting to write" : "starting to read");
  if (!s.ok()) return s;
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) db_->Exec("ROLLBACK").IgnoreError();
}

absl::Status Transaction::Commit() {
  SqliteDb* db = db_;
  db_ = nullptr;
  return db->Exec("COMMIT", "committing");
}

}  // namespace copyscope::record
