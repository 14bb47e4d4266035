#include "harness/control/pinning_hooks.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace copyscope::control {

PinningHooks::PinningHooks(std::map<int, topology::PinPlan> plans)
    : plans_(std::move(plans)) {}

int PinningHooks::PlannedCpu(const engine::ThreadContext& t) const {
  auto it = plans_.find(t.connections);
  if (it == plans_.end() || t.connection < 0 ||
      static_cast<size_t>(t.connection) >= it->second.placements.size()) {
    return topology::kUnpinned;
  }
  const topology::Placement& p = it->second.placements[t.connection];
  return t.side == engine::Side::kServer ? p.server_cpu : p.client_cpu;
}

absl::Status PinningHooks::OnThreadStart(const engine::ThreadContext& t) {
  if (!plans_.empty()) {
    auto it = plans_.find(t.connections);
    if (it == plans_.end() || t.connection < 0 ||
        static_cast<size_t>(t.connection) >= it->second.placements.size()) {
      return absl::InternalError(absl::StrCat(
          "pinning: no placement for ", engine::SideName(t.side), " ",
          t.connection, " of a cell with ", t.connections, " connections"));
    }
  }
  absl::StatusOr<topology::ThreadCpuTracker> tracker =
      topology::ThreadCpuTracker::PinAndStart(PlannedCpu(t));
  if (!tracker.ok()) {
    return absl::Status(
        tracker.status().code(),
        absl::StrCat("pinning ", engine::SideName(t.side), " ", t.connection,
                     ": ", tracker.status().message()));
  }
  absl::MutexLock lock(&mu_);
  trackers_.insert_or_assign(std::this_thread::get_id(), *std::move(tracker));
  return absl::OkStatus();
}

void PinningHooks::Observe() {
  absl::MutexLock lock(&mu_);
  auto it = trackers_.find(std::this_thread::get_id());
  if (it != trackers_.end()) it->second.Observe();
}

void PinningHooks::OnMeasureStart(const engine::ThreadContext&) { Observe(); }

void PinningHooks::OnMeasureStop(const engine::ThreadContext&) { Observe(); }

void PinningHooks::OnThreadEnd(const engine::ThreadContext& t) {
  std::optional<topology::ThreadCpuTracker> tracker;
  {
    absl::MutexLock lock(&mu_);
    auto it = trackers_.find(std::this_thread::get_id());
    if (it == trackers_.end()) return;
    tracker.emplace(std::move(it->second));
    trackers_.erase(it);
  }
  topology::ThreadCpuRecord r = tracker->Finish();
  if (t.report == nullptr) return;
  record::ThreadReport& out = *t.report;
  out.set_pinned_cpu(r.pinned_cpu);
  if (r.start_cpu >= 0) out.set_start_cpu(r.start_cpu);
  if (r.end_cpu >= 0) out.set_end_cpu(r.end_cpu);
  out.clear_cpus_seen();
  for (int cpu : r.cpus_seen) out.add_cpus_seen(cpu);
  if (r.migrations) out.set_migrations(*r.migrations);
  out.set_migrated_while_pinned(r.PinnedThreadMigrated());
}

}  // namespace copyscope::control
