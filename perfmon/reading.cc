#include "perfmon/reading.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace copyscope::perfmon {
namespace {

// Indices of `readings` grouped by event, in first-seen order.
std::vector<std::vector<const Reading*>> GroupByEvent(
    const std::vector<Reading>& readings) {
  std::vector<std::vector<const Reading*>> groups;
  std::map<std::string, size_t> index;
  for (const Reading& r : readings) {
    auto [it, inserted] = index.emplace(r.event(), groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(&r);
  }
  return groups;
}

std::string NotRunReason(uint64_t enabled) {
  return enabled == 0 ? "did not run: the counter was never enabled"
                      : "did not run: the counter was never scheduled in "
                        "during the interval";
}

}  // namespace

absl::string_view CounterStateName(CounterState state) {
  static constexpr absl::string_view kNames[] = {"counted", "scaled", "not-run",
                                                 "unsupported"};
  return kNames[static_cast<size_t>(state)];
}

Reading Reading::FromCounts(std::string event, std::string pmu, uint64_t raw,
                            uint64_t time_enabled_ns,
                            uint64_t time_running_ns) {
  Reading r;
  r.event_ = std::move(event);
  r.pmu_ = std::move(pmu);
  r.raw_ = raw;
  r.enabled_ = time_enabled_ns;
  r.running_ = time_running_ns;
  if (time_enabled_ns > 0) {
    r.coverage_ = std::min(1.0, static_cast<double>(time_running_ns) /
                                    static_cast<double>(time_enabled_ns));
  }
  if (time_running_ns == 0) {
    r.state_ = CounterState::kNotRun;
    r.reason_ = NotRunReason(time_enabled_ns);
  } else if (time_running_ns >= time_enabled_ns) {
    r.state_ = CounterState::kCounted;
    r.value_ = static_cast<double>(raw);
  } else {
    r.state_ = CounterState::kScaled;
    r.value_ = static_cast<double>(raw) * static_cast<double>(time_enabled_ns) /
               static_cast<double>(time_running_ns);
  }
  return r;
}

Reading Reading::Unsupported(std::string event, std::string pmu,
                             std::string reason) {
  Reading r;
  r.event_ = std::move(event);
  r.pmu_ = std::move(pmu);
  r.state_ = CounterState::kUnsupported;
  r.reason_ = std::move(reason);
  return r;
}

Reading Reading::Delta(const Reading& later, const Reading& earlier) {
  if (!later.supported()) return later;
  if (!earlier.supported()) return earlier;
  if (later.raw_ < earlier.raw_ || later.enabled_ < earlier.enabled_ ||
      later.running_ < earlier.running_) {
    return Unsupported(later.event_, later.pmu_,
                       "counter went backwards between two reads (not the "
                       "same counter?)");
  }
  return FromCounts(later.event_, later.pmu_, later.raw_ - earlier.raw_,
                    later.enabled_ - earlier.enabled_,
                    later.running_ - earlier.running_);
}

std::optional<double> Reading::value() const {
  if (state_ == CounterState::kCounted || state_ == CounterState::kScaled) {
    return value_;
  }
  return std::nullopt;
}

std::optional<uint64_t> Reading::raw() const {
  if (!supported()) return std::nullopt;
  return raw_;
}

std::optional<uint64_t> Reading::time_enabled_ns() const {
  if (!supported()) return std::nullopt;
  return enabled_;
}

std::optional<uint64_t> Reading::time_running_ns() const {
  if (!supported()) return std::nullopt;
  return running_;
}

std::optional<double> Reading::coverage() const {
  if (!supported()) return std::nullopt;
  return coverage_;
}

bool Reading::low_coverage() const {
  if (state_ == CounterState::kNotRun) return true;
  return supported() && coverage_.has_value() && *coverage_ < kLowCoverage;
}

std::string Reading::DebugString() const {
  std::string out = absl::StrCat(event_, "@", pmu_, " ");
  if (std::optional<double> v = value()) {
    absl::StrAppend(&out, absl::StrFormat("%.6g ", *v));
  }
  absl::StrAppend(&out, CounterStateName(state_));
  if (std::optional<double> c = coverage()) {
    absl::StrAppend(&out, absl::StrFormat(" coverage=%.1f%%", *c * 100));
  }
  if (low_coverage()) absl::StrAppend(&out, " LOW");
  if (time_share_) {
    absl::StrAppend(&out, absl::StrFormat(" share=%.1f%%", *time_share_ * 100));
  }
  if (!reason_.empty()) absl::StrAppend(&out, " (", reason_, ")");
  return out;
}

Reading Reading::Pool(const std::vector<const Reading*>& parts) {
  Reading total;
  total.event_ = parts.front()->event_;
  total.pmu_ = kAllPmus;
  std::vector<std::string> missing;
  uint64_t running = 0;
  bool any_supported = false;
  for (const Reading* part : parts) {
    if (!part->supported()) {
      missing.push_back(absl::StrCat(part->pmu_, ": ", part->reason_));
      continue;
    }
    any_supported = true;
    total.raw_ += part->raw_;
    total.enabled_ = std::max(total.enabled_, part->enabled_);
    running += part->running_;
  }
  total.reason_ = absl::StrJoin(missing, "; ");
  if (!any_supported) {
    total.state_ = CounterState::kUnsupported;
    return total;
  }
  total.running_ = std::min(running, total.enabled_);
  if (total.enabled_ > 0) {
    total.coverage_ = static_cast<double>(total.running_) /
                      static_cast<double>(total.enabled_);
  }
  if (running == 0) {
    total.state_ = CounterState::kNotRun;
    if (total.reason_.empty()) total.reason_ = NotRunReason(total.enabled_);
  } else if (static_cast<double>(running) >=
             static_cast<double>(total.enabled_) * (1.0 - kPoolTolerance)) {
    total.state_ = CounterState::kCounted;
    total.value_ = static_cast<double>(total.raw_);
  } else {
    total.state_ = CounterState::kScaled;
    total.value_ = static_cast<double>(total.raw_) *
                   static_cast<double>(total.enabled_) /
                   static_cast<double>(running);
  }
  return total;
}

std::vector<Reading> Totals(const std::vector<Reading>& readings) {
  std::vector<Reading> totals;
  for (const std::vector<const Reading*>& parts : GroupByEvent(readings)) {
    totals.push_back(parts.size() == 1 ? *parts.front() : Reading::Pool(parts));
  }
  return totals;
}

std::vector<Reading> PerKind(const std::vector<Reading>& readings) {
  std::vector<Reading> out;
  for (const std::vector<const Reading*>& parts : GroupByEvent(readings)) {
    if (parts.size() < 2) continue;
    const Reading total = Reading::Pool(parts);
    uint64_t summed_running = 0;
    for (const Reading* part : parts) {
      if (part->supported()) summed_running += part->running_;
    }
    // The pooled scale factor, shared by every part so they add up.
    const double factor = total.state_ == CounterState::kScaled
                              ? static_cast<double>(total.enabled_) /
                                    static_cast<double>(summed_running)
                              : 1.0;
    for (const Reading* part : parts) {
      Reading r = *part;
      if (r.supported() && total.enabled_ > 0) {
        r.time_share_ = static_cast<double>(r.running_) /
                        static_cast<double>(total.enabled_);
      }
      if (r.supported() && r.running_ == 0) {
        r.state_ = CounterState::kNotRun;
        r.reason_ = absl::StrCat("did not run on ", r.pmu_,
                                 ": the thread was not on that kind of core, "
                                 "or the counter was multiplexed out");
      } else if (r.supported()) {
        r.state_ = total.state_;
        r.coverage_ = total.coverage_;
        r.value_ = static_cast<double>(r.raw_) * factor;
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<Reading> SumAcross(const std::vector<std::vector<Reading>>& sets,
                               absl::string_view label) {
  std::vector<Reading> flat;
  for (const std::vector<Reading>& set : sets) {
    flat.insert(flat.end(), set.begin(), set.end());
  }
  std::vector<Reading> out;
  for (const std::vector<const Reading*>& parts : GroupByEvent(flat)) {
    Reading sum;
    sum.event_ = parts.front()->event_;
    sum.pmu_ = std::string(label);
    sum.state_ = CounterState::kCounted;
    for (const Reading* part : parts) {
      if (!part->supported()) {
        sum =
            Reading::Unsupported(sum.event_, sum.pmu_,
                                 absl::StrCat(part->pmu_, ": ", part->reason_));
        break;
      }
      sum.raw_ += part->raw_;
      sum.enabled_ += part->enabled_;
      sum.running_ += part->running_;
      if (part->state_ == CounterState::kNotRun) {
        sum.state_ = CounterState::kNotRun;
        sum.reason_ = absl::StrCat("did not run on ", part->pmu_);
      } else if (sum.state_ != CounterState::kNotRun) {
        sum.value_ += part->value_;
        if (part->state_ == CounterState::kScaled) {
          sum.state_ = CounterState::kScaled;
        }
      }
    }
    if (sum.supported() && sum.enabled_ > 0) {
      sum.coverage_ = std::min(1.0, static_cast<double>(sum.running_) /
                                        static_cast<double>(sum.enabled_));
    }
    out.push_back(std::move(sum));
  }
  return out;
}

const Reading* FindReading(const std::vector<Reading>& readings,
                           absl::string_view event) {
  for (const Reading& r : readings) {
    if (r.event() == event) return &r;
  }
  return nullptr;
}

}  // namespace copyscope::perfmon
