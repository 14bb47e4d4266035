#include "harness/control/sweep.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/record/record.h"
#include "harness/config/units.h"

namespace copyscope::harness {

std::string FormatEta(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 0) s = 0;
  if (s >= 3600) {
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

SweepOutcome RunSweep(const Plan& plan, const SweepConfig& config,
                      Network& network, ThreadHooks* hooks, record::Run* run,
                      const std::function<void(const record::Run&)>& after) {
  SweepOutcome out;
  RunnerConfig rc = config.runner;
  rc.interrupt = config.interrupt;
  std::vector<record::Cell> cells(plan.cells.size());
  const size_t total = plan.cells.size() * static_cast<size_t>(config.reps);
  const absl::Time start = absl::Now();
  size_t done = 0;
  auto interrupted = [&] {
    return config.interrupt != nullptr && config.interrupt->load();
  };
  for (int rep = 1; rep <= config.reps && !interrupted(); ++rep) {
    for (size_t k = 0; k < plan.cells.size() && !interrupted(); ++k) {
      const CellSpec& spec = plan.cells[k];
      if (config.progress) {
        std::string eta = done == 0
                              ? "--:--"
                              : FormatEta((absl::Now() - start) *
                                          static_cast<double>(total - done) /
                                          static_cast<double>(done));
        const std::string label = spec.recv_transport == nullptr
                                      ? spec.transport_name
                                      : absl::StrCat(spec.transport_name, "/",
                                                     spec.recv_transport_name);
        std::fprintf(stderr, "\r\033[Kcell %zu/%zu rep %d: %s %s %d  ETA %s",
                     k + 1, plan.cells.size(), rep, label.c_str(),
                     FormatSize(spec.size).c_str(), spec.threads, eta.c_str());
        std::fflush(stderr);
      }
      CellResult r = RunCell(spec, rc, network, hooks);
      ++done;
      if (r.status.code() == absl::StatusCode::kCancelled && interrupted()) {
        break;  // the sample was cut short: not recorded
      }
      AddSample(r, rep, config.max_cv, &cells[k]);
      ++out.samples;
      if (!r.status.ok()) ++out.failed_samples;
      run->clear_cells();
      for (const record::Cell& c : cells) {
        if (c.samples_size() > 0) *run->add_cells() = c;
      }
      if (after) after(*run);
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

}  // namespace copyscope::harness
