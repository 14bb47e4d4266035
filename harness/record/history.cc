#include "harness/record/history.h"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/record/history_schema.h"
#include "harness/record/sqlite_db.h"

namespace copyscope::record {
namespace {

bool Finite(const std::optional<double>& v) { return !v || std::isfinite(*v); }

// What Append refuses before touching the file, or OK.
absl::Status Validate(const std::string& path, const RunSummary& r) {
  const std::string name = absl::StrCat("history ", path, ": ");
  if (r.run.run_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, "a run without a run_id: give each run its id"));
  }
  const std::string run = absl::StrCat(name, "run ", r.run.run_id, ": ");
  if (r.fingerprint.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        run, "no testbed fingerprint: give env::TestbedFingerprint()'s"));
  }
  std::set<HistoryKey> keys;
  for (const CellSummary& c : r.cells) {
    const std::string cell =
        absl::StrCat(run, "cell ", HistoryKeyLabel(c.key), ": ");
    if (!keys.insert(c.key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(cell, "given twice: give each cell once"));
    }
    if (!Finite(c.median) || !Finite(c.ci95_low) || !Finite(c.ci95_high)) {
      return absl::InvalidArgumentError(absl::StrCat(
          cell, "an estimate that is not a finite number: leave it empty"));
    }
    std::set<std::pair<std::string, int>> seen;
    for (const SampleValue& s : c.samples) {
      if (!seen.insert({s.metric, s.rep}).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(cell, "rep ", s.rep, " of ", s.metric,
                         " given twice: give each sample once"));
      }
      if (!std::isfinite(s.value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(cell, "rep ", s.rep, " of ", s.metric,
                         " is not a finite number: leave it out"));
      }
    }
  }
  return absl::OkStatus();
}

// The cells a filter selects, as SQL over `cell AS c`, parameters ?2-?4.
constexpr char kCellFilter[] =
    "(?2 = '' OR c.transport = ?2) AND (?3 < 0 OR c.size = ?3) AND "
    "(?4 < 0 OR c.threads = ?4)";

void BindFilter(const HistoryFilter& f, Statement* st) {
  st->Bind(1, f.fingerprint)
      .Bind(2, f.transport)
      .Bind(3, f.size ? static_cast<int64_t>(*f.size) : int64_t{-1})
      .Bind(4, f.threads ? int64_t{*f.threads} : int64_t{-1})
      .Bind(5, f.last_runs > 0 ? int64_t{f.last_runs} : int64_t{-1});
}

}  // namespace

History::History(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
History::History(History&&) noexcept = default;
History& History::operator=(History&&) noexcept = default;
History::~History() = default;

const std::string& History::path() const { return db_->path(); }

absl::StatusOr<History> History::Open(const std::string& path,
                                      int busy_timeout_ms) {
  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path, busy_timeout_ms);
  if (!db.ok()) return db.status();
  auto owned = std::make_unique<SqliteDb>(*std::move(db));
  if (absl::Status s = PrepareSchema(owned.get()); !s.ok()) return s;
  return History(std::move(owned));
}

absl::StatusOr<bool> History::Contains(const std::string& run_id) {
  absl::StatusOr<Statement> st =
      db_->Prepare("SELECT 1 FROM run WHERE run_id = ?1", "looking a run up");
  if (!st.ok()) return st.status();
  st->Bind(1, run_id);
  return st->Step();
}

absl::Status History::Append(const RunSummary& r) {
  if (absl::Status v = Validate(path(), r); !v.ok()) return v;
  const std::string doing = absl::StrCat("appending run ", r.run.run_id);
  absl::StatusOr<Transaction> tx = Transaction::Begin(db_.get(), true);
  if (!tx.ok()) return tx.status();
  absl::StatusOr<bool> held = Contains(r.run.run_id);
  if (!held.ok()) return held.status();
  if (*held) {
    return absl::AlreadyExistsError(
        absl::StrCat("history ", path(), ": already holds run ", r.run.run_id,
                     ": a run is appended once (skip it when importing)"));
  }
  absl::StatusOr<Statement> run = db_->Prepare(
      "INSERT INTO run (run_id, started_utc, fingerprint, git_commit, "
      "git_dirty, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      doing);
  absl::StatusOr<Statement> cell = db_->Prepare(
      "INSERT INTO cell (run_pk, transport, recv_transport, size, threads, "
      "mode, fields, direction, request_size, response_size, status, metric, "
      "median, ci95_low, ci95_high, n, unstable) VALUES (?1, ?2, ?3, ?4, ?5, "
      "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
      doing);
  absl::StatusOr<Statement> sample = db_->Prepare(
      "INSERT INTO sample (cell_pk, metric, rep, value) "
      "VALUES (?1, ?2, ?3, ?4)",
      doing);
  for (const auto* st : {&run, &cell, &sample}) {
    if (!st->ok()) return st->status();
  }
  run->Bind(1, r.run.run_id)
      .Bind(2, r.run.started_utc)
      .Bind(3, r.fingerprint)
      .Bind(4, r.run.git_commit)
      .Bind(5, int64_t{r.run.git_dirty})
      .Bind(6, r.run.version);
  if (absl::Status s = run->Run(); !s.ok()) return s;
  const int64_t run_pk = db_->last_insert_rowid();
  for (const CellSummary& c : r.cells) {
    cell->Reset();
    cell->Bind(1, run_pk)
        .Bind(2, c.key.transport)
        .Bind(3, c.key.recv_transport)
        .Bind(4, static_cast<int64_t>(c.key.size))
        .Bind(5, int64_t{c.key.threads})
        .Bind(6, c.key.mode)
        .Bind(7, int64_t{c.key.fields})
        .Bind(8, c.key.direction)
        .Bind(9, static_cast<int64_t>(c.key.request_size))
        .Bind(10, static_cast<int64_t>(c.key.response_size))
        .Bind(11, c.status)
        .Bind(12, c.metric)
        .Bind(13, c.median)
        .Bind(14, c.ci95_low)
        .Bind(15, c.ci95_high)
        .Bind(16, int64_t{c.n})
        .Bind(17, int64_t{c.unstable ? 1 : 0});
    if (absl::Status s = cell->Run(); !s.ok()) return s;
    const int64_t cell_pk = db_->last_insert_rowid();
    for (const SampleValue& v : c.samples) {
      sample->Reset();
      sample->Bind(1, cell_pk)
          .Bind(2, v.metric)
          .Bind(3, int64_t{v.rep})
          .Bind(4, v.value);
      if (absl::Status s = sample->Run(); !s.ok()) return s;
    }
  }
  return tx->Commit();
}

absl::StatusOr<std::vector<CellHistory>> History::Query(
    const HistoryFilter& f) {
  const std::string doing = "querying";
  // One snapshot for every statement below.
  absl::StatusOr<Transaction> tx = Transaction::Begin(db_.get(), false);
  if (!tx.ok()) return tx.status();
  absl::StatusOr<Statement> cells = db_->Prepare(
      absl::StrCat(
          "SELECT r.run_id, r.started_utc, r.git_commit, r.git_dirty, "
          "r.version, r.fingerprint, c.cell_pk, c.transport, "
          "c.recv_transport, c.size, c.threads, c.mode, c.fields, "
          "c.direction, c.request_size, c.response_size, c.status, c.metric, "
          "c.median, c.ci95_low, c.ci95_high, c.n, c.unstable "
          "FROM cell AS c JOIN run AS r USING (run_pk) "
          "WHERE r.run_pk IN (SELECT r.run_pk FROM run AS r "
          "  WHERE (?1 = '' OR r.fingerprint = ?1) AND EXISTS (SELECT 1 FROM "
          "  cell AS c WHERE c.run_pk = r.run_pk AND ",
          kCellFilter,
          ") ORDER BY r.started_utc DESC, r.run_pk DESC LIMIT ?5) AND ",
          kCellFilter, " ORDER BY r.started_utc, r.run_pk"),
      doing);
  if (!cells.ok()) return cells.status();
  absl::StatusOr<Statement> samples = db_->Prepare(
      "SELECT metric, rep, value FROM sample WHERE cell_pk = ?1 "
      "ORDER BY metric, rep",
      doing);
  if (!samples.ok()) return samples.status();
  BindFilter(f, &*cells);

  std::map<std::pair<HistoryKey, std::string>, CellHistory> by_key;
  for (;;) {
    absl::StatusOr<bool> row = cells->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const Statement& q = *cells;
    HistoryPoint p;
    p.run = {q.Text(0), q.Text(1), q.Text(2), static_cast<int>(q.Int(3)),
             q.Text(4)};
    p.fingerprint = q.Text(5);
    HistoryKey k;
    k.transport = q.Text(7);
    k.recv_transport = q.Text(8);
    k.size = static_cast<uint64_t>(q.Int(9));
    k.threads = static_cast<int>(q.Int(10));
    k.mode = q.Text(11);
    k.fields = static_cast<uint32_t>(q.Int(12));
    k.direction = q.Text(13);
    k.request_size = static_cast<uint64_t>(q.Int(14));
    k.response_size = static_cast<uint64_t>(q.Int(15));
    p.status = q.Text(16);
    std::string metric = q.Text(17);
    p.median = q.OptionalDouble(18);
    p.ci95_low = q.OptionalDouble(19);
    p.ci95_high = q.OptionalDouble(20);
    p.n = static_cast<int>(q.Int(21));
    p.unstable = q.Int(22) != 0;

    samples->Reset();
    samples->Bind(1, q.Int(6));
    for (;;) {
      absl::StatusOr<bool> s = samples->Step();
      if (!s.ok()) return s.status();
      if (!*s) break;
      SampleValue v{static_cast<int>(samples->Int(1)), samples->Text(0),
                    samples->Double(2)};
      if (v.metric == metric) {
        p.values.push_back(v.value);
      } else {
        p.other_samples.push_back(std::move(v));
      }
    }
    CellHistory& h = by_key[{k, metric}];
    h.key = std::move(k);
    h.metric = std::move(metric);
    h.points.push_back(std::move(p));
  }
  std::vector<CellHistory> out;
  out.reserve(by_key.size());
  for (auto& [key, h] : by_key) out.push_back(std::move(h));
  if (absl::Status s = tx->Commit(); !s.ok()) return s;
  return out;
}

}  // namespace copyscope::record
