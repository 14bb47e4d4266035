#include "harness/control/sweep.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/config/units.h"
#include "harness/record/cell_checks.h"
#include "harness/record/record.h"

namespace copyscope::control {
namespace {

// Where one cell stands in the sweep.
struct CellState {
  bool repeating = true;
  bool retaken = false;  // a trending sample of it was retaken
  SampleRequest request;
};

// The request after a sample trended: one more sample's worth of warm-up.
SampleRequest Longer(const SweepConfig& c, const SampleRequest& r) {
  SampleRequest out = r;
  if (c.messages > 0) {
    out.warmup_messages = r.warmup_messages + c.messages;
  } else {
    out.warmup = r.warmup + c.duration;
  }
  return out;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

class Sweep {
 public:
  Sweep(const config::Plan& plan, const SweepConfig& config, Sides& sides,
        record::Run* run,
        const std::function<absl::Status(const record::Run&)>& after)
      : plan_(plan),
        config_(config),
        sides_(sides),
        run_(run),
        after_(after),
        cells_(plan.cells.size()),
        state_(plan.cells.size()) {
    for (size_t k = 0; k < plan.cells.size(); ++k) {
      *cells_[k].mutable_key() = record::KeyOf(plan.cells[k]);
      if (std::optional<record::Isolation> iso = record::CellIsolation(
              plan.cells[k], run != nullptr ? run->isolation().mode() : "")) {
        *cells_[k].mutable_isolation() = *iso;
      }
      state_[k].request = {config.warmup, config.warmup_messages};
    }
  }

  SweepOutcome Run() {
    start_ = config_.now();
    for (int round = 1; Going() && Repeating() > 0; ++round) {
      if (!config_.reps_auto && round > config_.reps) break;
      if (!RoundFits(round)) break;
      out_.rounds = round;
      for (size_t k = 0; k < cells_.size() && Going(); ++k) {
        if (state_[k].repeating) Sample(round, k);
      }
    }
    if (config_.progress) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
    }
    // How the cells that were still repeating ended.
    const char* why = Interrupted()        ? "interrupted"
                      : !out_.stopped.ok() ? "stopped"
                                           : "time budget";
    for (size_t k = 0; k < cells_.size(); ++k) {
      if (config_.reps_auto && state_[k].repeating &&
          cells_[k].samples_size() > 0) {
        cells_[k].mutable_convergence()->set_decision(why);
      }
    }
    Publish();
    out_.interrupted = Interrupted() && Repeating() > 0;
    out_.cells_kept = run_->cells_size();
    return out_;
  }

 private:
  bool Interrupted() const {
    return config_.interrupt != nullptr && config_.interrupt->load();
  }
  bool Going() const { return out_.stopped.ok() && !Interrupted(); }

  // Cells still to be sampled: fixed, every cell until the last round.
  int Repeating() const {
    int n = 0;
    for (const CellState& s : state_) n += s.repeating ? 1 : 0;
    return n;
  }

  // With a budget, a round after the first min_reps starts only if one
  // round of the cells still repeating fits in the time left.
  bool RoundFits(int round) const {
    if (!config_.reps_auto || config_.time_budget <= absl::ZeroDuration() ||
        round <= config_.rule.min_reps) {
      return true;
    }
    const double left =
        absl::ToDoubleSeconds(config_.time_budget - (config_.now() - start_));
    std::optional<record::RoundsFit> fit =
        record::RoundsWithinBudget(left, seconds_, Repeating());
    return fit ? fit->rounds >= 1 : left > 0;
  }

  // What the progress line says is left, from the mean sample so far.
  std::string Eta(int round, size_t k) const {
    if (seconds_.empty()) return "--:--";
    const double per = Mean(seconds_);
    int after = 0;  // samples left in this round after this one
    for (size_t j = k + 1; j < state_.size(); ++j) {
      after += state_[j].repeating ? 1 : 0;
    }
    const int cells = Repeating();
    if (!config_.reps_auto) {
      const int left = after + 1 + cells * (config_.reps - round);
      return FormatEta(absl::Seconds(per * left));
    }
    const int low =
        after + 1 + cells * std::max(0, config_.rule.min_reps - round);
    double high =
        per * (after + 1 + cells * std::max(0, config_.rule.max_reps - round));
    if (config_.time_budget > absl::ZeroDuration()) {
      const double left =
          absl::ToDoubleSeconds(config_.time_budget - (config_.now() - start_));
      high = std::max(std::min(high, left), per * low);
    }
    std::string text = FormatEta(absl::Seconds(per * low));
    const std::string most = FormatEta(absl::Seconds(high));
    return most == text ? text : absl::StrCat(text, "..", most);
  }

  void Progress(int round, size_t k) const {
    if (!config_.progress) return;
    const config::CellSpec& spec = plan_.cells[k];
    const std::string label = spec.Label();
    const std::string eta = Eta(round, k);
    std::fprintf(stderr, "\r\033[Kround %d: cell %zu/%zu: %s %s %d  ETA %s",
                 round, k + 1, cells_.size(), label.c_str(),
                 config::FormatSize(spec.size).c_str(), spec.threads,
                 eta.c_str());
    std::fflush(stderr);
  }

  // Runs one sample of cell k (and its retake), records it and judges the
  // cell.
  void Sample(int round, size_t k) {
    const config::CellSpec& spec = plan_.cells[k];
    CellState& st = state_[k];
    Progress(round, k);
    const absl::Time began = config_.now();
    engine::CellResult r = sides_.RunSample(spec, st.request);
    if (r.fatal) {
      out_.stopped = r.status;  // nothing measured: not recorded
      return;
    }
    if (Cancelled(r)) return;  // cut short: not recorded
    record::Trend trend = record::SliceTrend(r.sample);
    if (config_.retake_trending && !st.retaken && r.status.ok() &&
        trend.verdict() == "trending") {
      st.retaken = true;
      st.request = Longer(config_, st.request);
      engine::CellResult again = sides_.RunSample(spec, st.request);
      if (again.fatal) {
        out_.stopped = again.status;
        return;
      }
      if (!Cancelled(again)) {
        ++out_.retakes;
        r = std::move(again);
        *r.sample.mutable_retaken_trend() = trend;
        trend = record::SliceTrend(r.sample);
      }
    }
    if (r.status.ok()) *r.sample.mutable_trend() = trend;
    if (st.request.warmup != config_.warmup) {
      r.sample.set_warmup_s(absl::ToDoubleSeconds(st.request.warmup));
    }
    if (st.request.warmup_messages != config_.warmup_messages) {
      r.sample.set_warmup_messages(st.request.warmup_messages);
    }
    record::Cell& cell = cells_[k];
    record::AddSample(std::move(r.sample), round, config_.max_cv, &cell);
    ++out_.samples;
    if (!r.status.ok()) ++out_.failed_samples;
    Judge(r.status, k);
    if (config_.on_sample) {
      config_.on_sample(spec, cell.samples(cell.samples_size() - 1));
    }
    Publish();
    if (after_) out_.stopped = after_(*run_);
    seconds_.push_back(absl::ToDoubleSeconds(config_.now() - began));
  }

  bool Cancelled(const engine::CellResult& r) const {
    return r.status.code() == absl::StatusCode::kCancelled && Interrupted();
  }

  void Judge(const absl::Status& status, size_t k) {
    record::Cell& cell = cells_[k];
    CellState& st = state_[k];
    std::optional<record::RepCheck> c =
        record::JudgeConvergence(config_.rule, &cell);
    if (!config_.reps_auto) {
      cell.mutable_convergence()->set_decision("fixed");
      if (cell.samples_size() >= config_.reps) st.repeating = false;
      return;
    }
    if (!status.ok()) {
      cell.mutable_convergence()->set_decision("failed");
      st.repeating = false;
    } else if (c && c->decision != record::RepDecision::kContinue) {
      st.repeating = false;
    } else if (cell.samples_size() >= config_.rule.max_reps) {
      cell.mutable_convergence()->set_decision(
          record::RepDecisionName(record::RepDecision::kGaveUp));
      st.repeating = false;
    }
  }

  void Publish() {
    run_->clear_cells();
    for (const record::Cell& c : cells_) {
      if (c.samples_size() > 0) *run_->add_cells() = c;
    }
  }

  const config::Plan& plan_;
  const SweepConfig& config_;
  Sides& sides_;
  record::Run* const run_;
  const std::function<absl::Status(const record::Run&)>& after_;
  std::vector<record::Cell> cells_;
  std::vector<CellState> state_;
  std::vector<double> seconds_;  // each recorded sample's, retake included
  absl::Time start_;
  SweepOutcome out_;
};

}  // namespace

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
  return Sweep(plan, config, sides, run, after).Run();
}

std::string RepetitionsPlan(const config::Plan& plan,
                            const SweepConfig& config) {
  const int cells = static_cast<int>(plan.cells.size());
  std::optional<double> per;  // seconds per sample, estimated
  if (config.messages == 0) {
    per = absl::ToDoubleSeconds(config.warmup + config.duration +
                                kSampleOverheadEstimate);
  }
  auto about = [&](int samples) {
    return FormatEta(absl::Seconds(*per * samples));
  };
  const std::string est =
      per ? absl::StrFormat(" (est. %.2f s per sample)", *per) : "";
  const std::string unknown =
      "; the time of a sample is known after the first (count mode)";
  if (!config.reps_auto) {
    const int n = cells * config.reps;
    return absl::StrCat(
        "repetitions: ", config.reps, " per cell, ", n, " samples",
        per ? absl::StrCat(", about ", about(n), est) : unknown);
  }
  const record::StoppingRule& rule = config.rule;
  std::string out = absl::StrFormat(
      "repetitions: auto, %d to %d per cell until the 95%% CI is within "
      "+-%g%%: %d to %d samples",
      rule.min_reps, rule.max_reps, rule.ci_target * 100, cells * rule.min_reps,
      cells * rule.max_reps);
  absl::StrAppend(
      &out, per ? absl::StrCat(", about ", about(cells * rule.min_reps), " to ",
                               about(cells * rule.max_reps), est)
                : unknown);
  if (config.time_budget > absl::ZeroDuration()) {
    const std::string budget = absl::FormatDuration(config.time_budget);
    std::optional<record::RoundsFit> fit;
    if (per && cells > 0) {
      fit = record::RoundsWithinBudget(
          absl::ToDoubleSeconds(config.time_budget), {*per}, cells);
    }
    if (fit && fit->rounds >= rule.max_reps) {
      absl::StrAppend(&out, "; --time-budget=", budget, " allows all of them");
    } else if (fit) {
      absl::StrAppendFormat(
          &out,
          "; --time-budget=%s allows about %d samples (%d rounds of all "
          "%d %s)%s",
          budget,
          static_cast<int>(absl::ToDoubleSeconds(config.time_budget) / *per),
          fit->rounds, cells, cells == 1 ? "cell" : "cells",
          fit->rounds < rule.min_reps
              ? absl::StrCat(", less than the first ", rule.min_reps,
                             " every cell gets")
              : "");
    } else {
      absl::StrAppend(&out, "; --time-budget=", budget,
                      " bounds the rounds after the first ", rule.min_reps);
    }
  }
  return out;
}

}  // namespace copyscope::control
