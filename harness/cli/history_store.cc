#include "harness/cli/history_store.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "harness/env/testbed.h"
#include "harness/record/run_summary.h"

namespace copyscope::cli {
namespace {

const char* Get(const GetEnv& getenv, const char* name) {
  const char* v = getenv ? getenv(name) : std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

std::string WorkingDirectory(const GetEnv& getenv) {
  if (const char* d = Get(getenv, "BUILD_WORKING_DIRECTORY")) return d;
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) != nullptr) return buf;
  return ".";
}

// Creates the directories of path's parent that are missing, mode 0700.
absl::Status MakeParents(const std::string& path) {
  std::vector<std::string> missing;
  std::string dir = path.substr(0, path.find_last_of('/'));
  struct stat st;
  while (!dir.empty() && stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "history ", path, ": cannot use ", dir, ": ", std::strerror(errno),
          "; give another place with --history=PATH"));
    }
    missing.push_back(dir);
    size_t slash = dir.find_last_of('/');
    dir = slash == std::string::npos ? "" : dir.substr(0, slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          "history ", path, ": cannot create ", *it, ": ", std::strerror(errno),
          "; give another place with --history=PATH"));
    }
  }
  return absl::OkStatus();
}

// "20250101T120000Z-3f9a2c": what record::DefaultRunName gives.
bool IsDefaultRunName(const std::string& id) {
  if (id.size() != 23 || id[8] != 'T' || id[15] != 'Z' || id[16] != '-') {
    return false;
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 15 || i == 16) continue;
    const bool ok =
        i < 15 ? absl::ascii_isdigit(id[i])
               : absl::ascii_isxdigit(id[i]) && !absl::ascii_isupper(id[i]);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> HistoryPath(const std::string& flag,
                                        const GetEnv& getenv) {
  if (!flag.empty()) {
    return absl::StartsWith(flag, "/")
               ? flag
               : absl::StrCat(WorkingDirectory(getenv), "/", flag);
  }
  std::string base;
  if (const char* xdg = Get(getenv, "XDG_DATA_HOME"); xdg && *xdg == '/') {
    base = xdg;
  } else if (const char* home = Get(getenv, "HOME")) {
    base = absl::StrCat(home, "/.local/share");
  } else if (const passwd* pw = getpwuid(getuid());
             pw != nullptr && pw->pw_dir != nullptr && *pw->pw_dir == '/') {
    base = absl::StrCat(pw->pw_dir, "/.local/share");
  } else {
    return absl::FailedPreconditionError(
        "no place for the results history: XDG_DATA_HOME and HOME are unset "
        "and the user has no home directory; give --history=PATH or "
        "--no-history");
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return absl::StrCat(base, "/copyscope/history.sqlite");
}

absl::StatusOr<record::History> OpenHistory(const std::string& path) {
  if (absl::Status s = MakeParents(path); !s.ok()) return s;
  return record::History::Open(path);
}

std::string HistoryRunId(const record::Run& run) {
  if (IsDefaultRunName(run.run_id())) return run.run_id();
  return absl::StrCat(run.run_id(), "@", run.started_utc());
}

absl::Status AddRecord(record::History* history, const record::Run& run) {
  record::RunSummary summary =
      record::SummaryOf(run, env::TestbedFingerprintOf(run));
  summary.run.run_id = HistoryRunId(run);
  return history->Append(summary);
}

}  // namespace copyscope::cli
