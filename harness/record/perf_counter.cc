#include "harness/record/perf_counter.h"

#include <algorithm>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace copyscope::record {

PerfCounter ToProto(const perfmon::Reading& r) {
  PerfCounter out;
  out.set_event(r.event());
  out.set_pmu(r.pmu());
  out.set_state(
      absl::StrReplaceAll(perfmon::CounterStateName(r.state()), {{"-", "_"}}));
  if (std::optional<double> v = r.value()) {
    out.set_value(*v);
    if (std::optional<uint64_t> raw = r.raw()) out.set_raw(*raw);
  }
  out.set_enabled_ns(r.time_enabled_ns().value_or(0));
  out.set_running_ns(r.time_running_ns().value_or(0));
  out.set_reason(r.reason());
  return out;
}

perfmon::Reading FromProto(const PerfCounter& p) {
  if (p.state() == "counted" && p.has_raw()) {
    // Counted: ran for all of its enabled time (a pooled hybrid total may
    // fall short of it within the pooling tolerance).
    return perfmon::Reading::FromCounts(
        p.event(), p.pmu(), p.raw(), p.enabled_ns(),
        std::max(p.enabled_ns(), p.running_ns()));
  }
  if (p.state() == "scaled" && p.has_raw() && p.running_ns() > 0) {
    return perfmon::Reading::FromCounts(p.event(), p.pmu(), p.raw(),
                                        p.enabled_ns(), p.running_ns());
  }
  if (p.state() == "not_run") {
    return perfmon::Reading::FromCounts(p.event(), p.pmu(), 0, p.enabled_ns(),
                                        0);
  }
  return perfmon::Reading::Unsupported(
      p.event(), p.pmu(),
      p.state() == "unsupported"
          ? p.reason()
          : absl::StrCat("unreadable record (state \"", p.state(), "\")"));
}

std::vector<PerfCounter> RecordsOf(
    const std::vector<perfmon::Reading>& readings) {
  std::vector<PerfCounter> out;
  for (const perfmon::Reading& r : perfmon::Totals(readings)) {
    out.push_back(ToProto(r));
  }
  for (const perfmon::Reading& r : perfmon::PerKind(readings)) {
    PerfCounter part = ToProto(r);
    part.set_event(absl::StrCat(r.pmu(), "/", r.event(), "/"));
    out.push_back(std::move(part));
  }
  return out;
}

bool IsPart(const PerfCounter& counter) {
  return absl::StrContains(counter.event(), "/");
}

}  // namespace copyscope::record
