// `copyscope history`: each cell's figures across the runs of one testbed;
// with --check, the regression check of the latest run (exit 1 and one
// line per regressed cell); `history import DIR...`: earlier runs added.
//
// The testbed is --testbed's (all, or a fingerprint or its prefix), else
// the latest run's: the one `history --check` checks, which in a CI job is
// the run just made. Reading never creates a history: a missing file is an
// error (exit 2) that says how one comes to be.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/cli/cli.h"
#include "harness/cli/commands.h"
#include "harness/cli/history_report.h"
#include "harness/cli/history_store.h"
#include "harness/record/files.h"
#include "harness/record/history.h"
#include "harness/record/history_check.h"

namespace copyscope::cli {
namespace {

// The history at the path the options name, for reading.
absl::StatusOr<record::History> OpenForReading(const config::HistoryOptions& h,
                                               std::string* path) {
  absl::StatusOr<std::string> p = HistoryPath(h.path);
  if (!p.ok()) return p.status();
  *path = *p;
  struct stat st;
  if (stat(path->c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "no history at ", *path,
        ": `copyscope run` adds every complete run to it, `copyscope history "
        "import DIR...` earlier ones (or give --history=PATH)"));
  }
  return record::History::Open(*path);
}

// The fingerprint the options select: "" for every testbed, else a whole
// fingerprint; the latest run's by default. `note` says which, for the
// reader.
absl::StatusOr<std::string> SelectTestbed(record::History& h,
                                          const std::string& wanted,
                                          std::string* note) {
  if (wanted == "all") {
    *note = "every testbed";
    return std::string();
  }
  record::HistoryFilter f;
  if (wanted.empty()) {
    f.last_runs = 1;
    absl::StatusOr<std::vector<record::CellHistory>> latest = h.Query(f);
    if (!latest.ok()) return latest.status();
    if (latest->empty() || (*latest)[0].points.empty()) return std::string();
    const record::HistoryPoint& p = (*latest)[0].points.back();
    *note = absl::StrCat("the latest run's, ", p.run.run_id,
                         "; --testbed=all for every testbed");
    return p.fingerprint;
  }
  absl::StatusOr<std::vector<record::CellHistory>> all = h.Query(f);
  if (!all.ok()) return all.status();
  std::set<std::string> matches;
  for (const record::CellHistory& c : *all) {
    for (const record::HistoryPoint& p : c.points) {
      if (absl::StartsWith(p.fingerprint, wanted))
        matches.insert(p.fingerprint);
    }
  }
  if (matches.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--testbed=", wanted, ": ",
        matches.empty() ? "no run of the history has such a testbed"
                        : "more than one testbed begins so",
        "; use --testbed=all to see every run's testbed"));
  }
  *note = "as asked";
  return *matches.begin();
}

int Failed(const absl::Status& s) {
  std::fprintf(stderr, "copyscope: %s\n", std::string(s.message()).c_str());
  return kExitUsage;
}

}  // namespace

int HistoryCommand(const config::Invocation& inv) {
  const config::RunOptions& o = inv.run;
  const config::HistoryOptions& opts = o.history;
  const bool threads_given = std::find(inv.given.begin(), inv.given.end(),
                                       "threads") != inv.given.end();
  if (threads_given && o.threads.size() != 1) {
    return UsageError(absl::InvalidArgumentError(
        absl::StrCat("--threads=", absl::StrJoin(o.threads, ","),
                     ": history shows the cells of one thread count; use e.g. "
                     "--threads=2")));
  }
  std::string path;
  absl::StatusOr<record::History> h = OpenForReading(opts, &path);
  if (!h.ok()) return Failed(h.status());
  std::string testbed_note;
  absl::StatusOr<std::string> testbed =
      SelectTestbed(*h, opts.testbed, &testbed_note);
  if (!testbed.ok()) return Failed(testbed.status());

  record::HistoryFilter f;
  f.fingerprint = *testbed;
  f.transport = opts.transport;
  if (opts.size > 0) f.size = opts.size;
  if (threads_given) f.threads = o.threads[0];
  f.last_runs = opts.last;
  absl::StatusOr<std::vector<record::CellHistory>> cells = h->Query(f);
  if (!cells.ok()) return Failed(cells.status());
  const std::string shown_testbed = testbed->empty() ? "all" : *testbed;

  if (!opts.check) {
    if (o.json) {
      std::fputs(HistoryJson(path, shown_testbed, *cells).c_str(), stdout);
      return kExitOk;
    }
    std::printf("history %s\n", path.c_str());
    if (!testbed->empty()) {
      std::printf("testbed %s (%s)\n", testbed->substr(0, 12).c_str(),
                  testbed_note.c_str());
    }
    if (cells->empty()) {
      std::printf("%s\n",
                  testbed_note.empty() ? "no runs yet" : "no cell matches");
      return kExitOk;
    }
    std::printf("\n%s", FormatHistory(*cells, testbed->empty()).c_str());
    return kExitOk;
  }

  std::vector<record::CellCheck> checks =
      record::CheckLatestRun(*cells, HigherIsBetter);
  // The run checked: the latest, as CheckLatestRun takes it.
  const record::RunRef* latest = nullptr;
  for (const record::CellHistory& c : *cells) {
    for (const record::HistoryPoint& p : c.points) {
      if (latest == nullptr ||
          std::tie(p.run.started_utc, p.run.run_id) >
              std::tie(latest->started_utc, latest->run_id)) {
        latest = &p.run;
      }
    }
  }
  const std::string run_id = latest != nullptr ? latest->run_id : "";
  int regressed = 0;
  int within_threshold = 0;
  std::map<std::string, int> verdicts;
  for (const record::CellCheck& c : checks) {
    ++verdicts[record::VerdictName(c.verdict)];
    if (Counts(c, opts.fail_above)) {
      ++regressed;
    } else if (c.verdict == record::Verdict::kRegressed) {
      ++within_threshold;
    }
  }
  if (o.json) {
    std::fputs(
        CheckJson(path, run_id, shown_testbed, checks, opts.fail_above).c_str(),
        stdout);
  } else {
    for (const record::CellCheck& c : checks) {
      if (Counts(c, opts.fail_above)) {
        std::printf("%s\n", RegressionLine(c).c_str());
      }
    }
  }
  // What was checked, on stderr: stdout holds only the regressions.
  std::string summary;
  if (checks.empty()) {
    summary = "nothing to check: no run has a matching cell";
  } else {
    std::vector<std::string> parts;
    for (const auto& [name, n] : verdicts) {
      parts.push_back(absl::StrCat(n, " ", name));
    }
    summary =
        absl::StrCat(checks.size(), checks.size() == 1 ? " cell" : " cells",
                     " of run ", run_id, ": ", absl::StrJoin(parts, ", "));
    if (within_threshold > 0) {
      absl::StrAppend(&summary, " (", within_threshold,
                      " of them within --fail-above)");
    }
  }
  std::fprintf(stderr, "history --check: %s\n", summary.c_str());
  return regressed > 0 ? kExitFailed : kExitOk;
}

int HistoryImportCommand(const config::Invocation& inv) {
  // Every directory is read first: one that cannot be imported refuses the
  // lot, so that nothing is half done.
  std::vector<std::pair<std::string, record::Run>> runs;
  std::vector<std::string> refused;
  for (const std::string& dir : inv.dirs) {
    absl::StatusOr<record::RunFile> file = record::ReadRunFile(dir);
    if (!file.ok()) {
      refused.push_back(std::string(file.status().message()));
    } else if (file->state != "complete") {
      refused.push_back(absl::StrCat(dir, ": the record is ", file->state,
                                     "; the history takes complete runs only (",
                                     record::CompletenessNote(*file), ")"));
    } else {
      runs.emplace_back(dir, std::move(file->run));
    }
  }
  if (!refused.empty()) {
    for (const std::string& r : refused) {
      std::fprintf(stderr, "copyscope: history import: %s\n", r.c_str());
    }
    std::fprintf(stderr,
                 "copyscope: nothing imported: %zu of %zu directories "
                 "refused; import the others without them\n",
                 refused.size(), inv.dirs.size());
    return kExitUsage;
  }
  absl::StatusOr<std::string> path = HistoryPath(inv.run.history.path);
  if (!path.ok()) return Failed(path.status());
  absl::StatusOr<record::History> h = OpenHistory(*path);
  if (!h.ok()) return Failed(h.status());
  int added = 0;
  int held = 0;
  for (const auto& [dir, run] : runs) {
    absl::Status s = AddRecord(&*h, run);
    if (s.code() == absl::StatusCode::kAlreadyExists) {
      std::printf("%s: already in the history, as %s\n", dir.c_str(),
                  HistoryRunId(run).c_str());
      ++held;
      continue;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "copyscope: history import: %s: %s\n", dir.c_str(),
                   std::string(s.message()).c_str());
      std::fprintf(stderr, "copyscope: %d of %zu runs imported before this\n",
                   added, runs.size());
      return kExitUsage;
    }
    ++added;
    if (run.host().testbed_fingerprint().empty()) {
      std::fprintf(stderr,
                   "note: %s predates the testbed fingerprint (record schema "
                   "%u): its testbed is computed from the facts it holds, so "
                   "it compares with records like it only\n",
                   dir.c_str(), run.schema_version());
    }
  }
  std::printf("imported %d run%s into %s", added, added == 1 ? "" : "s",
              path->c_str());
  if (held > 0) std::printf(" (%d already held)", held);
  std::printf("\n");
  return kExitOk;
}

}  // namespace copyscope::cli
