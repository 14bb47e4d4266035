#include "harness/control/sweep.h"

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/config/units.h"
#include "harness/record/record.h"

namespace copyscope::control {

std::string FormatEta(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 0) s = 0;
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

SweepOutcome RunSweep(
    const config::Plan& plan, const SweepConfig& config, Sides& sides,
    record::Run* run,
    const std::function<absl::Status(const record::Run&)>& after) {
  SweepOutcome out;
  std::vector<record::Cell> cells(plan.cells.size());
  for (size_t k = 0; k < plan.cells.size(); ++k) {
    *cells[k].mutable_key() = record::KeyOf(plan.cells[k]);
  }
  const size_t total = plan.cells.size() * static_cast<size_t>(config.reps);
  const absl::Time start = absl::Now();
  size_t done = 0;
  auto interrupted = [&] {
    return config.interrupt != nullptr && config.interrupt->load();
  };
  auto going = [&] { return out.stopped.ok() && !interrupted(); };
  for (int rep = 1; rep <= config.reps && going(); ++rep) {
    for (size_t k = 0; k < plan.cells.size() && going(); ++k) {
      const config::CellSpec& spec = plan.cells[k];
      if (config.progress) {
        std::string eta = done == 0
                              ? "--:--"
                              : FormatEta((absl::Now() - start) *
                                          static_cast<double>(total - done) /
                                          static_cast<double>(done));
        const std::string label = spec.Label();
        std::fprintf(stderr, "\r\033[Kcell %zu/%zu rep %d: %s %s %d  ETA %s",
                     k + 1, plan.cells.size(), rep, label.c_str(),
                     config::FormatSize(spec.size).c_str(), spec.threads,
                     eta.c_str());
        std::fflush(stderr);
      }
      engine::CellResult r = sides.RunSample(spec);
      ++done;
      if (r.fatal) {
        out.stopped = r.status;  // nothing measured: not recorded
        break;
      }
      if (r.status.code() == absl::StatusCode::kCancelled && interrupted()) {
        break;  // the sample was cut short: not recorded
      }
      record::AddSample(std::move(r.sample), rep, config.max_cv, &cells[k]);
      ++out.samples;
      if (!r.status.ok()) ++out.failed_samples;
      run->clear_cells();
      for (const record::Cell& c : cells) {
        if (c.samples_size() > 0) *run->add_cells() = c;
      }
      if (after) out.stopped = after(*run);
    }
  }
  if (config.progress) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
  out.interrupted = interrupted() && static_cast<size_t>(out.samples) < total;
  out.cells_kept = run->cells_size();
  return out;
}

}  // namespace copyscope::control
