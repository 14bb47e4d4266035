#include "harness/record/record.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/env/testbed.h"
#include "harness/record/cell_checks.h"
#include "harness/record/metrics.h"
#include "harness/record/robust.h"
#include "harness/record/stats.h"

namespace copyscope::record {
namespace {

const char* BetterName(Better b) {
  static constexpr const char* kNames[] = {"higher", "lower", "neither"};
  return kNames[static_cast<size_t>(b)];
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

Run MakeRunHeader(const config::RunOptions& o, const config::Plan& plan,
                  const std::vector<PluginInfo>& plugins,
                  const RunContext& context, const std::string& run_id,
                  absl::Time started) {
  Run run;
  run.set_schema_version(kSchemaVersion);
  run.set_run_id(run_id);
  run.set_started_utc(Rfc3339(started));
  for (const std::string& a : o.command_line) run.add_command_line(a);

  Plan* p = run.mutable_plan();
  p->set_profile(o.profile);
  p->set_mode(config::ModeName(o.mode));
  p->set_direction(config::DirectionName(o.direction));
  for (const std::string& t : plan.transports) p->add_transports(t);
  for (const std::string& t : plan.recv_transports) p->add_recv_transports(t);
  for (const config::Background& b : o.backgrounds) {
    p->add_backgrounds(b.Text());
  }
  for (uint64_t s : o.sizes) p->add_sizes(s);
  for (int t : o.threads) p->add_threads(t);
  for (config::Family f : o.families) p->add_families(config::FamilyName(f));
  p->set_fields(o.fields);
  if (o.messages > 0) {
    p->set_messages(o.messages);
    p->set_warmup_messages(o.warmup_messages);
  } else {
    p->set_duration_s(absl::ToDoubleSeconds(o.duration));
    p->set_warmup_s(absl::ToDoubleSeconds(o.warmup));
  }
  p->set_reps(o.reps_auto ? 0 : o.reps);
  if (o.reps_auto) {
    p->set_reps_auto(true);
    p->set_min_reps(o.min_reps);
    p->set_max_reps(o.max_reps);
    p->set_ci_target(o.ci_target);
    p->set_time_budget_s(absl::ToDoubleSeconds(o.time_budget));
  }
  p->set_interval_s(absl::ToDoubleSeconds(o.interval));
  p->set_request_size(o.request_size);
  p->set_response_size(o.response_size);
  std::map<std::string, bool> seen;
  auto add_options = [&](const std::string& name, const auto& options) {
    if (name.empty() || seen[name]) return;
    seen[name] = true;
    for (const auto& [key, value] : options) {
      TransportOption* to = p->add_transport_options();
      to->set_transport(name);
      to->set_key(key);
      to->set_value(value);
    }
  };
  for (const config::CellSpec& c : plan.cells) {
    add_options(c.transport, c.options);
    add_options(c.recv_transport, c.recv_options);
    add_options(c.background.transport, c.background_options);
  }
  p->set_max_cv(o.max_cv);
  p->set_io_timeout_s(absl::ToDoubleSeconds(o.io_timeout));
  p->set_verify(o.verify);
  for (const auto& [name, value] : o.effective) {
    KeyValue* kv = p->add_options();
    kv->set_key(name);
    kv->set_value(value);
  }

  std::string interface = "lo";
  std::optional<int> mtu;
  for (const auto& [key, value] : context.isolation_details) {
    if (key == "interface") interface = value;
    int m = 0;
    if (key == "mtu" && absl::SimpleAtoi(value, &m)) mtu = m;
  }
  *run.mutable_host() = env::CollectHostProvenance(interface, mtu);
  *run.mutable_build() = env::CollectBuild();

  for (const PluginInfo& info : plugins) *run.add_plugins() = info;

  Isolation* iso = run.mutable_isolation();
  iso->set_mode(context.isolation_mode);
  iso->set_reason(context.isolation_reason);
  // Every cell over unix: no network path to isolate (the details stay:
  // the sides still ran where they say).
  if (!o.families.empty() &&
      std::all_of(o.families.begin(), o.families.end(), [](config::Family f) {
        return f == config::Family::kUnix;
      })) {
    iso->set_mode("none");
    iso->set_reason(
        absl::StrCat("AF_UNIX has no network path (--family=unix); the ",
                     context.isolation_mode, " set-up (",
                     context.isolation_reason, ") does not apply"));
  }
  for (const auto& [key, value] : context.isolation_details) {
    KeyValue* kv = iso->add_details();
    kv->set_key(key);
    kv->set_value(value);
  }
  if (context.peer) *run.mutable_peer() = *context.peer;
  run.mutable_host()->set_testbed_fingerprint(
      env::ComputeTestbedFingerprint(run));
  run.mutable_topology()->set_summary(context.topology_summary);
  run.mutable_topology()->set_pin_plan(context.pin_plan);
  for (const std::string& n : plan.notes) run.add_notes(n);
  for (const std::string& n : context.notes) run.add_notes(n);
  run.set_cells_planned(static_cast<uint32_t>(plan.cells.size()));
  for (const MetricDef& d : Catalogue()) {
    MetricInfo* mi = run.add_metric_catalogue();
    mi->set_name(d.name);
    mi->set_unit(d.unit);
    mi->set_description(d.description);
    mi->set_formula(d.formula);
    mi->set_better(BetterName(d.better));
    mi->set_modes(d.modes);
    if (d.csv != nullptr) mi->set_csv(d.csv);
    for (absl::string_view f :
         absl::StrSplit(d.figures, ',', absl::SkipEmpty())) {
      mi->add_figures(std::string(f));
    }
  }
  return run;
}

CellKey KeyOf(const config::CellSpec& spec) {
  CellKey k;
  k.set_transport(spec.transport);
  k.set_size(spec.size);
  k.set_threads(spec.threads);
  k.set_fields(static_cast<uint32_t>(
      std::min<uint64_t>(spec.fields, std::max<uint64_t>(spec.size, 1))));
  k.set_mode(config::ModeName(spec.mode));
  k.set_direction(config::DirectionName(spec.direction));
  if (config::Transactional(spec.mode)) {
    k.set_request_size(spec.RequestSize());
    k.set_response_size(spec.ResponseSize());
  }
  if (spec.mode == config::Mode::kStream) {
    k.set_recv_transport(spec.recv_transport);
  }
  if (!spec.background.none()) k.set_background(spec.background.Text());
  if (spec.family != config::Family::kInet) {
    k.set_family(config::FamilyName(spec.family));
  }
  return k;
}

std::string CellLabel(const CellKey& key) {
  std::string label =
      key.recv_transport().empty()
          ? key.transport()
          : absl::StrCat(key.transport(), "/", key.recv_transport());
  if (!key.family().empty()) absl::StrAppend(&label, "@", key.family());
  // Latency under load: "two_copy under two_copy:1:65536".
  if (!key.background().empty()) {
    absl::StrAppend(&label, " under ", key.background());
  }
  return label;
}

std::optional<Isolation> CellIsolation(const config::CellSpec& spec,
                                       const std::string& run_mode) {
  if (spec.family != config::Family::kUnix) return std::nullopt;
  Isolation iso;
  iso.set_mode("none");
  std::string reason =
      "AF_UNIX has no network path: the sides meet at a socket file, which "
      "no network namespace separates";
  if (!run_mode.empty() && run_mode != "none") {
    absl::StrAppend(&reason, " (the run's ", run_mode,
                    " isolation does not apply)");
  }
  iso.set_reason(reason);
  return iso;
}

void AddSample(Sample sample, int rep, double max_cv, Cell* cell) {
  sample.set_rep(rep);
  DeriveMetrics(cell->key(), &sample);
  *cell->add_samples() = std::move(sample);
  ComputeAggregates(max_cv, cell);
}

void ComputeAggregates(double max_cv, Cell* cell) {
  cell->clear_aggregates();
  cell->set_status("ok");
  std::map<std::string, std::vector<double>> values;  // sorted by name
  for (const Sample& s : cell->samples()) {
    if (s.status() != "ok") {
      if (cell->status() == "ok") cell->set_status(s.status());
      continue;
    }
    for (const Metric& m : s.metrics()) {
      values[m.name()].push_back(m.value());
    }
  }
  for (const auto& [name, v] : values) {
    Summary sum = Summarize(v);
    Aggregate* a = cell->add_aggregates();
    a->set_metric(name);
    a->set_n(static_cast<uint32_t>(sum.n));
    a->set_median(sum.median);
    a->set_min(sum.min);
    a->set_max(sum.max);
    a->set_mean(sum.mean);
    if (sum.ci95_low) a->set_ci95_low(*sum.ci95_low);
    if (sum.ci95_high) a->set_ci95_high(*sum.ci95_high);
    if (sum.cv) a->set_cv(*sum.cv);
    if (std::optional<MedianInterval> m = MedianCi(v)) {
      a->set_median_ci95_low(m->low);
      a->set_median_ci95_high(m->high);
    }
  }
  cell->set_primary_metric(PrimaryMetric(cell->key()));
  const Aggregate* primary = FindAggregate(*cell, cell->primary_metric());
  cell->set_unstable(primary != nullptr && primary->has_cv() &&
                     primary->cv() > max_cv);
  FlagOutliers(cell);
  uint32_t trending = 0;
  for (const Sample& s : cell->samples()) {
    if (s.status() == "ok" && s.trend().verdict() == "trending") ++trending;
  }
  cell->set_trending(trending);
}

const Aggregate* FindAggregate(const Cell& cell, const std::string& metric) {
  for (const Aggregate& a : cell.aggregates()) {
    if (a.metric() == metric) return &a;
  }
  return nullptr;
}

}  // namespace copyscope::record
