// Compares copyscope's software counts for a fixed workload with what
// `perf stat` counts for the same workload run as a process. perf also counts
// the process's start-up and exit, so the counts agree loosely, not exactly.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "perfmon/counter_group.h"
#include "perfmon/testdata/workload.h"

namespace copyscope::perfmon {
namespace {

constexpr char kPerf[] = "/usr/bin/perf";
constexpr size_t kPages = 4096;          // 16 MiB of fresh pages
constexpr uint64_t kSpins = 30'000'000;  // tens of ms of pure CPU work
constexpr char kEvents[] = "task-clock,page-faults,context-switches";

std::string RunfilePath(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return path;
  return absl::StrCat(srcdir, "/", workspace, "/", path);
}

// Runs argv, waits, returns its exit status (or -1).
int RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Parses `perf stat -x,` output: "value,unit,event,..." per line. Values that
// are not numbers ("<not supported>", "<not counted>") are left out.
std::map<std::string, double> ParsePerfCsv(const std::string& path) {
  std::map<std::string, double> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    if (fields.size() < 3) continue;
    double value = 0;
    if (absl::SimpleAtod(fields[0], &value)) out[fields[2]] = value;
  }
  return out;
}

TEST(PerfStatCompareTest, SoftwareCountsAgreeWithPerfStat) {
  struct stat st;
  if (stat(kPerf, &st) != 0) {
    GTEST_SKIP() << kPerf << " is not installed; nothing to compare with";
  }

  // copyscope's count of the workload, in this process.
  CounterOptions options;
  for (const char* e : {"task-clock", "page-faults", "context-switches"}) {
    options.events.push_back(*ResolveEvent(e));
  }
  absl::StatusOr<CounterGroup> group = CounterGroup::Open(options);
  ASSERT_TRUE(group.ok()) << group.status();
  if (group->num_open_events() != 3) {
    GTEST_SKIP() << "software counters not permitted here: "
                 << group->Unsupported()[0].reason();
  }
  ASSERT_TRUE(group->Enable().ok());
  ASSERT_EQ(testdata::TouchFreshPages(kPages), kPages);
  const uint64_t sink = testdata::Spin(kSpins);
  ASSERT_TRUE(group->Disable().ok());
  EXPECT_NE(sink, 42u);
  absl::StatusOr<std::vector<Reading>> ours = group->Read();
  ASSERT_TRUE(ours.ok()) << ours.status();

  // perf stat's count of the same workload, as a process.
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string out = absl::StrCat(tmp, "/perf_stat.csv");
  const int rc = RunProcess({kPerf, "stat", "-x,", "-o", out, "-e", kEvents,
                             "--", RunfilePath("perfmon/page_toucher"),
                             std::to_string(kPages), std::to_string(kSpins)});
  ASSERT_EQ(rc, 0) << "perf stat failed; see " << out;
  std::map<std::string, double> perf = ParsePerfCsv(out);
  for (const auto& [event, value] : perf) {
    std::printf("perf stat: %s = %g\n", event.c_str(), value);
  }
  for (const Reading& r : *ours) {
    std::printf("copyscope: %s\n", r.DebugString().c_str());
  }
  if (perf.count("task-clock") == 0) {
    // perf falls back to user-only counting (task-clock:u) when it may not
    // count kernel work; that is not the same quantity.
    GTEST_SKIP() << "perf stat could not count kernel+user task-clock here";
  }

  const double our_faults = *FindReading(*ours, "page-faults")->value();
  const double perf_faults = perf.at("page-faults");
  // Both saw one fault per fresh page; perf also saw the exec and loader.
  EXPECT_GE(our_faults, kPages);
  EXPECT_GE(perf_faults, kPages);
  EXPECT_GE(perf_faults, our_faults * 0.5);
  EXPECT_LE(perf_faults, our_faults * 2);

  // task-clock: perf prints msec, copyscope counts ns. The same CPU work
  // dominates both, so they agree within a factor of two.
  const double our_ms = *FindReading(*ours, "task-clock")->value() / 1e6;
  const double perf_ms = perf.at("task-clock");
  EXPECT_GT(our_ms, 0);
  EXPECT_GE(perf_ms, our_ms * 0.5);
  EXPECT_LE(perf_ms, our_ms * 2);

  // context-switches: both counted (a number, not "<not supported>").
  EXPECT_EQ(perf.count("context-switches"), 1u);
  EXPECT_TRUE(FindReading(*ours, "context-switches")->value().has_value());
}

}  // namespace
}  // namespace copyscope::perfmon
