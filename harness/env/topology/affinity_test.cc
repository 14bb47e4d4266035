#include "harness/env/topology/affinity.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace copyscope::topology {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<int> Allowed() {
  absl::StatusOr<std::vector<int>> allowed = CurrentThreadAllowedCpus();
  EXPECT_TRUE(allowed.ok()) << allowed.status();
  return allowed.ok() ? *allowed : std::vector<int>{};
}

// Runs `body` on a fresh thread so pins never leak into other tests.
template <typename F>
void OnOwnThread(F body) {
  std::thread t(body);
  t.join();
}

TEST(AffinityTest, PinnedThreadRunsOnItsCpu) {
  const std::vector<int> allowed = Allowed();
  ASSERT_FALSE(allowed.empty());
  for (int cpu : {allowed.front(), allowed.back()}) {
    OnOwnThread([cpu] {
      ASSERT_TRUE(PinCurrentThread(cpu).ok());
      EXPECT_EQ(CurrentCpu(), cpu);
      EXPECT_THAT(CurrentThreadAllowedCpus().value(), ElementsAre(cpu));
      EXPECT_EQ(ReadThreadLastCpu(CurrentThreadId()), cpu);
    });
  }
}

TEST(AffinityTest, UnpinnedLeavesAffinityAlone) {
  const std::vector<int> allowed = Allowed();
  OnOwnThread([&] {
    ASSERT_TRUE(PinCurrentThread(kUnpinned).ok());
    EXPECT_EQ(CurrentThreadAllowedCpus().value(), allowed);
  });
}

TEST(AffinityTest, DisallowedCpuIsInvalidArgument) {
  const std::vector<int> allowed = Allowed();
  ASSERT_FALSE(allowed.empty());
  const int absent = allowed.back() + 4096;
  OnOwnThread([&] {
    absl::Status status = PinCurrentThread(absent);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(
        status.message(),
        HasSubstr(absl::StrCat("cannot pin this thread to CPUs ", absent)));
    EXPECT_THAT(
        status.message(),
        HasSubstr(absl::StrCat("may use CPUs ", FormatCpuList(allowed))));
    EXPECT_EQ(CurrentThreadAllowedCpus().value(), allowed);
  });
}

TEST(AffinityTest, TrackerRecordsStartAndEndCpu) {
  const int cpu = Allowed().back();
  OnOwnThread([cpu] {
    absl::StatusOr<ThreadCpuTracker> t = ThreadCpuTracker::PinAndStart(cpu);
    ASSERT_TRUE(t.ok()) << t.status();
    t->Observe();
    const ThreadCpuRecord r = t->Finish();
    EXPECT_EQ(r.tid, CurrentThreadId());
    EXPECT_EQ(r.pinned_cpu, cpu);
    EXPECT_EQ(r.start_cpu, cpu);
    EXPECT_EQ(r.end_cpu, cpu);
    EXPECT_THAT(r.cpus_seen, ElementsAre(cpu));
    if (ReadThreadMigrations().has_value()) {
      // Pinned to one CPU, the thread had nowhere to migrate to.
      ASSERT_TRUE(r.migrations.has_value());
      EXPECT_EQ(*r.migrations, 0);
    } else {
      EXPECT_FALSE(r.migrations.has_value());  // Unknown, never a fake 0.
    }
    EXPECT_FALSE(r.PinnedThreadMigrated());
    EXPECT_EQ(r.AnomalyText(), "");
  });
}

TEST(AffinityTest, TrackerFlagsAPinnedThreadThatWasMoved) {
  const std::vector<int> allowed = Allowed();
  if (allowed.size() < 2) GTEST_SKIP() << "needs two allowed CPUs";
  const int first = allowed.front(), second = allowed.back();
  OnOwnThread([&] {
    absl::StatusOr<ThreadCpuTracker> t = ThreadCpuTracker::PinAndStart(first);
    ASSERT_TRUE(t.ok()) << t.status();
    // Something re-pins the thread behind the tracker's back.
    ASSERT_TRUE(PinCurrentThread(second).ok());
    const ThreadCpuRecord r = t->Finish();
    EXPECT_EQ(r.start_cpu, first);
    EXPECT_EQ(r.end_cpu, second);
    EXPECT_THAT(r.cpus_seen, ElementsAre(first, second));
    if (r.migrations.has_value()) {
      EXPECT_GE(*r.migrations, 1);
    }
    EXPECT_TRUE(r.PinnedThreadMigrated());
    EXPECT_THAT(r.AnomalyText(), HasSubstr(absl::StrCat("pinned to CPU ", first,
                                                        " ran on CPUs")));
  });
}

TEST(AffinityTest, UnpinnedTrackerNeverFlags) {
  OnOwnThread([] {
    ThreadCpuTracker t = ThreadCpuTracker::Start();
    t.Observe();
    const ThreadCpuRecord r = t.Finish();
    EXPECT_GE(r.start_cpu, 0);
    EXPECT_GE(r.end_cpu, 0);
    EXPECT_FALSE(r.cpus_seen.empty());
    EXPECT_FALSE(r.PinnedThreadMigrated());
  });
}

TEST(AffinityTest, FinishFromAnotherThreadReadsProc) {
  const int cpu = Allowed().back();
  absl::StatusOr<ThreadCpuTracker> t = absl::InternalError("not started");
  std::thread worker([&] { t = ThreadCpuTracker::PinAndStart(cpu); });
  worker.join();
  ASSERT_TRUE(t.ok()) << t.status();
  // The worker has exited: its /proc entries are gone, so the end is unknown.
  const ThreadCpuRecord r = t->Finish();
  EXPECT_EQ(r.start_cpu, cpu);
  EXPECT_EQ(r.end_cpu, -1);
  EXPECT_FALSE(r.migrations.has_value());
}

TEST(SchedMigrationsTest, ParsesTheKernelLine) {
  EXPECT_EQ(ParseSchedMigrations("se.exec_start   :   1.5\n"
                                 "se.nr_migrations                 :     42\n"
                                 "nr_switches : 7\n"),
            42);
  EXPECT_FALSE(ParseSchedMigrations("nr_switches : 7\n").has_value());
  EXPECT_FALSE(ParseSchedMigrations("se.nr_migrations : x\n").has_value());
}

TEST(ThreadCpuRecordTest, AnomalyRules) {
  ThreadCpuRecord r;
  r.pinned_cpu = 0;
  r.cpus_seen = {0};
  EXPECT_FALSE(r.PinnedThreadMigrated());
  r.migrations = 0;
  EXPECT_FALSE(r.PinnedThreadMigrated());
  r.migrations = 2;
  EXPECT_TRUE(r.PinnedThreadMigrated());
  r.migrations.reset();
  r.cpus_seen = {0, 1};
  EXPECT_TRUE(r.PinnedThreadMigrated());
  EXPECT_THAT(r.AnomalyText(), HasSubstr("migrations unknown"));
  r.pinned_cpu = kUnpinned;
  r.migrations = 5;
  EXPECT_FALSE(r.PinnedThreadMigrated());
}

}  // namespace
}  // namespace copyscope::topology
