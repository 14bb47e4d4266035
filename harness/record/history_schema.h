// The results history's schema (history.h): the SQL, its version, and
// bringing a file to it. A file is a copyscope history when its
// application_id is kHistoryApplicationId; its PRAGMA user_version is the
// schema version.
//
//   absl::StatusOr<SqliteDb> db = SqliteDb::Open(path, 10000);
//   absl::Status s = PrepareSchema(&*db);  // create, migrate or refuse
//
// Versions:
//   1  run (identity, testbed fingerprint, build), cell (key, primary
//      metric, estimate, CI, n), sample (cell, rep, value: the primary
//      metric only).
//   2  sample keyed by (cell, metric, rep), so other metrics' values are
//      kept too (1 -> 2 moves every value under its cell's primary
//      metric); indexes on the fingerprint and the cell key.
// A new version adds its migration to history_schema.cc and a test that
// upgrades a file of the previous one.
#ifndef COPYSCOPE_HARNESS_RECORD_HISTORY_SCHEMA_H_
#define COPYSCOPE_HARNESS_RECORD_HISTORY_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "harness/record/sqlite_db.h"

namespace copyscope::record {

// "cpHi" in ASCII.
inline constexpr int32_t kHistoryApplicationId = 0x63704869;
inline constexpr int kHistorySchemaVersion = 2;

// Makes the connection's file a history of kHistorySchemaVersion in WAL
// mode: creates the schema in an empty file, migrates an older one (in one
// transaction: all or nothing), and refuses, touching nothing, a file that
// is not SQLite, another application's database, a newer schema, or one
// of ours with tables or columns missing.
absl::Status PrepareSchema(SqliteDb* db);

}  // namespace copyscope::record

#endif  // COPYSCOPE_HARNESS_RECORD_HISTORY_SCHEMA_H_
