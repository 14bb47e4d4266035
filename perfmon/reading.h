// One counter's result over a measured interval, and the honest maths on it.
//
// A perf counter gives three numbers: its raw count, the time it was enabled
// and the time it was actually running on a hardware counter. From them a
// Reading is in exactly one state:
//   kCounted      running == enabled: the raw count is exact.
//   kScaled       0 < running < enabled (multiplexed): value = raw * enabled /
//                 running, with coverage = running / enabled kept alongside.
//   kNotRun       running == 0: nothing was counted; there is no value.
//   kUnsupported  the event could not be opened; reason() says why.
// value() is empty for the last two, so a missing count can never be read as
// zero. Coverage below 50% is flagged by low_coverage().
//
// On a hybrid machine a thread's hardware event is several counters, one per
// core PMU; each is enabled for all of the thread's time but only runs while
// the thread is on its kind of core. Scaling each part by its own coverage
// would extrapolate every part to the whole interval and over-count; Totals()
// pools them instead: value = sum(raw) * enabled / sum(running), exact when
// the parts' running times add up to the enabled time. PerKind() gives each
// part rescaled by the same factor, so the parts add up to the total.
//
// Usage:
//   Reading r = Reading::FromCounts("cycles", "cpu", raw, enabled, running);
//   if (std::optional<double> v = r.value()) {
//     Print(*v, r.coverage(), r.low_coverage());
//   } else {
//     Print(CounterStateName(r.state()), r.reason());
//   }
//   std::vector<Reading> totals = Totals(group.Read().value());
#ifndef COPYSCOPE_PERFMON_READING_H_
#define COPYSCOPE_PERFMON_READING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace copyscope::perfmon {

enum class CounterState { kCounted, kScaled, kNotRun, kUnsupported };

// "counted", "scaled", "not-run", "unsupported".
absl::string_view CounterStateName(CounterState state);

// Coverage (running / enabled) below this is flagged.
inline constexpr double kLowCoverage = 0.5;

// Pooled hybrid parts whose running times add up to the enabled time within
// this fraction count as exact (the parts are enabled by separate ioctls,
// microseconds apart).
inline constexpr double kPoolTolerance = 1e-3;

// The pmu() label of pooled totals.
inline constexpr char kAllPmus[] = "all";

class Reading {
 public:
  // The standard rule applied to one counter's numbers.
  static Reading FromCounts(std::string event, std::string pmu, uint64_t raw,
                            uint64_t time_enabled_ns, uint64_t time_running_ns);
  // An event that could not be counted; `reason` is for humans, e.g. "not
  // supported by this CPU/VM" or "not permitted: perf_event_paranoid=2".
  static Reading Unsupported(std::string event, std::string pmu,
                             std::string reason);
  // The counts between two reads of the same counter (later - earlier), with
  // the standard rule applied to the differences. Meant for readings straight
  // from CounterGroup::Read(); combine with Totals() afterwards.
  static Reading Delta(const Reading& later, const Reading& earlier);

  const std::string& event() const { return event_; }
  // The PMU it counted on: "cpu", "cpu_core", "cpu_atom", "software",
  // kAllPmus for a pooled total, or a caller's label for a sum.
  const std::string& pmu() const { return pmu_; }
  CounterState state() const { return state_; }
  bool supported() const { return state_ != CounterState::kUnsupported; }

  // The count (exact or scaled); empty when not run or unsupported.
  std::optional<double> value() const;
  // The raw count and times; empty when unsupported.
  std::optional<uint64_t> raw() const;
  std::optional<uint64_t> time_enabled_ns() const;
  std::optional<uint64_t> time_running_ns() const;
  // running / enabled (for a pooled total: summed running / enabled); empty
  // when unsupported or never enabled.
  std::optional<double> coverage() const;
  // Coverage below kLowCoverage (a not-run counter is low).
  bool low_coverage() const;
  // For a PerKind() part: the fraction of the interval it was counting,
  // i.e. roughly the share of the thread's time on this kind of core.
  std::optional<double> time_share() const { return time_share_; }
  // Why unsupported or not run; for a pooled total, which parts were missing.
  const std::string& reason() const { return reason_; }

  // e.g. "cycles@cpu_core 1.2e+06 scaled coverage=43.0% LOW".
  std::string DebugString() const;

 private:
  friend std::vector<Reading> Totals(const std::vector<Reading>& readings);
  friend std::vector<Reading> PerKind(const std::vector<Reading>& readings);
  friend std::vector<Reading> SumAcross(
      const std::vector<std::vector<Reading>>& sets, absl::string_view label);

  Reading() = default;
  // Pools parts of one event (several core PMUs) into one total.
  static Reading Pool(const std::vector<const Reading*>& parts);

  std::string event_;
  std::string pmu_;
  CounterState state_ = CounterState::kUnsupported;
  uint64_t raw_ = 0;
  uint64_t enabled_ = 0;
  uint64_t running_ = 0;
  double value_ = 0;  // read only through value(), which checks state_
  std::optional<double> coverage_;
  std::optional<double> time_share_;
  std::string reason_;
};

// One reading per event, in first-seen order: an event with one reading
// passes through; an event read on several core PMUs is pooled into one
// reading labelled kAllPmus.
std::vector<Reading> Totals(const std::vector<Reading>& readings);

// The parts of events read on several core PMUs, each rescaled by its event's
// pooled factor (so they add up to the Totals() value), with time_share().
// Events read on a single PMU are not included.
std::vector<Reading> PerKind(const std::vector<Reading>& readings);

// Adds independent counters event by event (e.g. the Totals() of every CPU in
// system-wide mode): value = sum of values. Unsupported if any part is, not
// run if any part did not run (its share would be unknown). Labelled `label`.
std::vector<Reading> SumAcross(const std::vector<std::vector<Reading>>& sets,
                               absl::string_view label);

// The reading of `event` in `readings` (first match), or nullptr.
const Reading* FindReading(const std::vector<Reading>& readings,
                           absl::string_view event);

}  // namespace copyscope::perfmon

#endif  // COPYSCOPE_PERFMON_READING_H_
