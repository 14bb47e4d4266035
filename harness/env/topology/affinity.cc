#include "harness/env/topology/affinity.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace copyscope::topology {
namespace {

// A dynamically sized cpu_set_t (machines may have more than CPU_SETSIZE).
class CpuSet {
 public:
  explicit CpuSet(int num_cpus)
      : num_cpus_(num_cpus), set_(CPU_ALLOC(num_cpus), &FreeSet) {
    CPU_ZERO_S(size(), set_.get());
  }
  size_t size() const { return CPU_ALLOC_SIZE(num_cpus_); }
  int num_cpus() const { return num_cpus_; }
  cpu_set_t* get() { return set_.get(); }

 private:
  static void FreeSet(cpu_set_t* s) { CPU_FREE(s); }
  int num_cpus_;
  std::unique_ptr<cpu_set_t, void (*)(cpu_set_t*)> set_;
};

// Reads a small /proc file; false if it cannot be opened.
bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string AllowedText() {
  absl::StatusOr<std::vector<int>> allowed = CurrentThreadAllowedCpus();
  if (!allowed.ok()) return "unknown";
  return FormatCpuList(*allowed);
}

}  // namespace

absl::Status SetCurrentThreadAffinity(const std::vector<int>& cpus) {
  if (cpus.empty()) {
    return absl::InvalidArgumentError("cannot pin a thread to no CPU");
  }
  const int max_cpu = *std::max_element(cpus.begin(), cpus.end());
  if (*std::min_element(cpus.begin(), cpus.end()) < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot pin a thread to a negative CPU number"));
  }
  CpuSet set(max_cpu + 1);
  for (int cpu : cpus) CPU_SET_S(cpu, set.size(), set.get());
  const int err = pthread_setaffinity_np(pthread_self(), set.size(), set.get());
  if (err != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot pin this thread to CPUs ", FormatCpuList(cpus), ": ",
        std::strerror(err), " (this thread may use CPUs ", AllowedText(),
        "); fix: pick CPUs listed by `copyscope topo`"));
  }
  return absl::OkStatus();
}

absl::Status PinCurrentThread(int cpu) {
  if (cpu == kUnpinned) return absl::OkStatus();
  return SetCurrentThreadAffinity({cpu});
}

absl::StatusOr<std::vector<int>> CurrentThreadAllowedCpus() {
  for (int n = 1024; n <= (1 << 22); n *= 2) {
    CpuSet set(n);
    if (sched_getaffinity(0, set.size(), set.get()) != 0) {
      if (errno == EINVAL) continue;  // Kernel mask wider than the buffer.
      return absl::InternalError(
          absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
    }
    std::vector<int> out;
    for (int cpu = 0; cpu < n; ++cpu) {
      if (CPU_ISSET_S(cpu, set.size(), set.get())) out.push_back(cpu);
    }
    return out;
  }
  return absl::InternalError("sched_getaffinity: CPU mask too large");
}

int CurrentCpu() {
  const int cpu = sched_getcpu();
  return cpu < 0 ? -1 : cpu;
}

pid_t CurrentThreadId() { return static_cast<pid_t>(syscall(SYS_gettid)); }

std::optional<int64_t> ParseSchedMigrations(absl::string_view sched_text) {
  for (absl::string_view line : absl::StrSplit(sched_text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key =
        absl::StripAsciiWhitespace(line.substr(0, colon));
    if (key != "se.nr_migrations" && key != "nr_migrations") continue;
    int64_t value = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)),
                         &value) &&
        value >= 0) {
      return value;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int64_t> ReadThreadMigrations(pid_t tid) {
  std::string text;
  bool ok = false;
  if (tid == 0) {
    ok = ReadFile("/proc/thread-self/sched", &text);
    if (!ok) tid = CurrentThreadId();  // Kernels before 3.17.
  }
  if (!ok)
    ok = ReadFile(absl::StrCat("/proc/self/task/", tid, "/sched"), &text);
  if (!ok) return std::nullopt;
  return ParseSchedMigrations(text);
}

int ReadThreadLastCpu(pid_t tid) {
  std::string text;
  if (!ReadFile(absl::StrCat("/proc/self/task/", tid, "/stat"), &text))
    return -1;
  // "tid (comm) state ...": comm may hold spaces and parentheses, so fields
  // are counted from the last ')'. Field 3 (state) is the first after it.
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(text).substr(paren + 1), ' ', absl::SkipEmpty());
  constexpr size_t kProcessorField = 39 - 3;
  int cpu = -1;
  if (fields.size() <= kProcessorField ||
      !absl::SimpleAtoi(fields[kProcessorField], &cpu)) {
    return -1;
  }
  return cpu;
}

bool ThreadCpuRecord::PinnedThreadMigrated() const {
  if (pinned_cpu == kUnpinned) return false;
  for (int cpu : cpus_seen) {
    if (cpu != pinned_cpu) return true;
  }
  return migrations.has_value() && *migrations > 0;
}

std::string ThreadCpuRecord::AnomalyText() const {
  if (!PinnedThreadMigrated()) return "";
  return absl::StrCat(
      "thread ", tid, " pinned to CPU ", pinned_cpu, " ran on CPUs ",
      FormatCpuList(cpus_seen), " (start ", start_cpu, ", end ", end_cpu,
      "), migrations ",
      migrations.has_value() ? absl::StrCat(*migrations) : "unknown");
}

ThreadCpuTracker ThreadCpuTracker::Start(int pinned_cpu) {
  ThreadCpuTracker t;
  t.record_.tid = CurrentThreadId();
  t.record_.pinned_cpu = pinned_cpu;
  t.start_migrations_ = ReadThreadMigrations();
  t.record_.start_cpu = CurrentCpu();
  t.Seen(t.record_.start_cpu);
  return t;
}

absl::StatusOr<ThreadCpuTracker> ThreadCpuTracker::PinAndStart(int cpu) {
  absl::Status status = PinCurrentThread(cpu);
  if (!status.ok()) return status;
  return Start(cpu);
}

void ThreadCpuTracker::Seen(int cpu) {
  if (cpu < 0) return;
  auto it =
      std::lower_bound(record_.cpus_seen.begin(), record_.cpus_seen.end(), cpu);
  if (it == record_.cpus_seen.end() || *it != cpu) {
    record_.cpus_seen.insert(it, cpu);
  }
}

void ThreadCpuTracker::Observe() { Seen(CurrentCpu()); }

ThreadCpuRecord ThreadCpuTracker::Finish() {
  const bool same_thread = CurrentThreadId() == record_.tid;
  record_.end_cpu = same_thread ? CurrentCpu() : ReadThreadLastCpu(record_.tid);
  Seen(record_.end_cpu);
  const std::optional<int64_t> end_migrations =
      ReadThreadMigrations(same_thread ? 0 : record_.tid);
  if (start_migrations_.has_value() && end_migrations.has_value() &&
      *end_migrations >= *start_migrations_) {
    record_.migrations = *end_migrations - *start_migrations_;
  } else {
    record_.migrations = std::nullopt;
  }
  return record_;
}

}  // namespace copyscope::topology
