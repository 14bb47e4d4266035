#include "harness/env/cpu_load.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace copyscope::env {
namespace {

constexpr int kCounters = 8;  // user .. steal; guest and guest_nice follow

// The jiffies fields in /proc/stat's column order, with their names.
struct Column {
  const char* name;
  uint64_t CpuJiffies::*jiffies;
  double CpuTimes::*seconds;
};
constexpr std::array<Column, kCounters> kColumns = {{
    {"user", &CpuJiffies::user, &CpuTimes::user_s},
    {"nice", &CpuJiffies::nice, &CpuTimes::nice_s},
    {"system", &CpuJiffies::system, &CpuTimes::system_s},
    {"idle", &CpuJiffies::idle, &CpuTimes::idle_s},
    {"iowait", &CpuJiffies::iowait, &CpuTimes::iowait_s},
    {"irq", &CpuJiffies::irq, &CpuTimes::irq_s},
    {"softirq", &CpuJiffies::softirq, &CpuTimes::softirq_s},
    {"steal", &CpuJiffies::steal, &CpuTimes::steal_s},
}};

// The name and the first kCounters counters of a cpu line, split on blanks
// without allocating (this runs for every CPU at every interval edge).
struct Words {
  std::array<absl::string_view, kCounters + 1> at;
  size_t count = 0;  // of the words kept in `at`
};

void SplitWords(absl::string_view line, Words& words) {
  size_t i = 0;
  while (words.count < words.at.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) return;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    words.at[words.count++] = line.substr(start, i - start);
  }
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

absl::Status Malformed(absl::string_view source, int line_number,
                       absl::string_view line, absl::string_view what) {
  constexpr size_t kShown = 60;
  std::string shown(line.substr(0, kShown));
  if (line.size() > kShown) absl::StrAppend(&shown, "...");
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line_number,
                                                 ": malformed cpu line \"",
                                                 shown, "\": ", what));
}

// Sums the known CPUs of `load` for which `in_group` holds.
template <typename Pred>
CpuGroupLoad Sum(const CpuLoad& load, Pred in_group) {
  CpuGroupLoad group;
  for (const CpuDelta& d : load.cpus) {
    if (!in_group(d.cpu)) continue;
    if (d.times.has_value()) {
      group.times += *d.times;
      group.counted.push_back(d.cpu);
    } else {
      group.unknown.push_back(d.cpu);
    }
  }
  return group;
}

}  // namespace

absl::StatusOr<CpuSnapshot> ParseProcStat(absl::string_view text,
                                          int64_t user_hz,
                                          absl::string_view source) {
  CpuSnapshot snapshot;
  snapshot.user_hz = user_hz;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!absl::StartsWith(line, "cpu")) continue;
    Words words;
    SplitWords(line, words);
    absl::string_view suffix = words.at[0].substr(3);
    const bool aggregate = suffix.empty();
    if (!aggregate && !AllDigits(suffix)) {
      return Malformed(
          source, line_number, line,
          absl::StrCat("\"", words.at[0], "\" is not cpu or cpuN"));
    }
    if (words.count < kCounters + 1) {
      return Malformed(source, line_number, line,
                       absl::StrCat(words.count - 1, " counters, want ",
                                    kCounters, " or more"));
    }
    CpuJiffies jiffies;
    for (int i = 0; i < kCounters; ++i) {
      absl::string_view word = words.at[i + 1];
      uint64_t value = 0;
      if (!AllDigits(word) || !absl::SimpleAtoi(word, &value)) {
        return Malformed(
            source, line_number, line,
            absl::StrCat(kColumns[i].name, " \"", word, "\" is not a count"));
      }
      jiffies.*kColumns[i].jiffies = value;
    }
    if (aggregate) continue;  // the sum over possible CPUs: not needed
    int cpu = 0;
    if (!absl::SimpleAtoi(suffix, &cpu)) {
      return Malformed(source, line_number, line, "CPU number out of range");
    }
    if (!snapshot.cpus.emplace(cpu, jiffies).second) {
      return Malformed(source, line_number, line,
                       absl::StrCat("cpu", cpu, " appears twice"));
    }
  }
  if (snapshot.cpus.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no cpuN line (not a /proc/stat?)"));
  }
  return snapshot;
}

absl::StatusOr<CpuSnapshot> ReadCpuSnapshot(const std::string& path) {
  const int64_t user_hz = sysconf(_SC_CLK_TCK);
  if (user_hz <= 0) {
    return absl::InternalError("sysconf(_SC_CLK_TCK) gave no USER_HZ");
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return absl::Status(
        absl::ErrnoToStatusCode(error),
        absl::StrCat("cannot open ", path, ": ", std::strerror(error)));
  }
  // One read usually returns the whole file: the kernel formats it at once.
  std::string text(16384, '\0');
  size_t used = 0;
  for (;;) {
    if (used == text.size()) text.resize(text.size() * 2);
    const ssize_t n = read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return absl::Status(
          absl::ErrnoToStatusCode(error),
          absl::StrCat("cannot read ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  text.resize(used);
  return ParseProcStat(text, user_hz, path);
}

double CpuTimes::Total() const {
  double sum = 0;
  for (const Column& c : kColumns) sum += this->*c.seconds;
  return sum;
}

double CpuTimes::Busy() const { return Total() - idle_s - iowait_s; }

std::optional<double> CpuTimes::Utilisation() const {
  const double total = Total();
  if (total <= 0) return std::nullopt;
  return Busy() / total;
}

CpuTimes& CpuTimes::operator+=(const CpuTimes& o) {
  for (const Column& c : kColumns) this->*c.seconds += o.*c.seconds;
  return *this;
}

CpuLoad Delta(const CpuSnapshot& before, const CpuSnapshot& after,
              absl::Duration wall) {
  CpuLoad load;
  load.wall = wall;
  std::set<int> cpus;
  for (const auto& [cpu, unused] : before.cpus) cpus.insert(cpu);
  for (const auto& [cpu, unused] : after.cpus) cpus.insert(cpu);
  const bool same_hz = before.user_hz == after.user_hz && before.user_hz > 0;
  for (int cpu : cpus) {
    CpuDelta d;
    d.cpu = cpu;
    auto b = before.cpus.find(cpu);
    auto a = after.cpus.find(cpu);
    if (b == before.cpus.end()) {
      d.why = "online only at the end";
    } else if (a == after.cpus.end()) {
      d.why = "online only at the start";
    } else if (!same_hz) {
      d.why = absl::StrCat("USER_HZ differs: ", before.user_hz, " and ",
                           after.user_hz);
    } else {
      std::vector<const char*> backwards;
      CpuTimes times;
      for (const Column& c : kColumns) {
        const uint64_t x0 = b->second.*c.jiffies;
        const uint64_t x1 = a->second.*c.jiffies;
        if (x1 < x0) backwards.push_back(c.name);
        times.*c.seconds =
            static_cast<double>(x1 - x0) / static_cast<double>(before.user_hz);
      }
      if (backwards.empty()) {
        d.times = times;
      } else {
        d.why = absl::StrCat("counters went backwards: ",
                             absl::StrJoin(backwards, ", "));
      }
    }
    load.cpus.push_back(std::move(d));
  }
  load.total = Sum(load, [](int) { return true; });
  return load;
}

CpuGroupLoad LoadOf(const CpuLoad& load, const std::vector<int>& cpus) {
  const std::set<int> wanted(cpus.begin(), cpus.end());
  CpuGroupLoad group =
      Sum(load, [&](int cpu) { return wanted.count(cpu) > 0; });
  for (int cpu : wanted) {
    const bool seen =
        std::any_of(load.cpus.begin(), load.cpus.end(),
                    [&](const CpuDelta& d) { return d.cpu == cpu; });
    if (!seen) group.unknown.push_back(cpu);
  }
  std::sort(group.unknown.begin(), group.unknown.end());
  return group;
}

CpuGroupLoad LoadOfOthers(const CpuLoad& load, const std::vector<int>& cpus) {
  const std::set<int> excluded(cpus.begin(), cpus.end());
  return Sum(load, [&](int cpu) { return excluded.count(cpu) == 0; });
}

}  // namespace copyscope::env
