#include "harness/record/record.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "harness/env/build_info.h"
#include "harness/engine/histogram.h"
#include "harness/env/host_info.h"
#include "harness/record/sha256.h"
#include "harness/record/stats.h"

namespace copyscope::harness {
namespace {

void AddCounts(const CounterMap& in,
               google::protobuf::RepeatedPtrField<record::NamedCount>* out) {
  for (const auto& [name, value] : in) {
    record::NamedCount* c = out->Add();
    c->set_name(name);
    c->set_value(value);
  }
}

void FillThread(const ThreadReport& t, record::ThreadReport* r) {
  r->set_side(SideName(t.side));
  r->set_connection(t.connection);
  r->set_pinned_cpu(t.pinned_cpu);
  if (t.start_cpu) r->set_start_cpu(*t.start_cpu);
  if (t.end_cpu) r->set_end_cpu(*t.end_cpu);
  for (int cpu : t.cpus_seen) r->add_cpus_seen(cpu);
  if (t.migrations) r->set_migrations(*t.migrations);
  r->set_migrated_while_pinned(t.migrated_while_pinned);
  if (t.user_cpu_s) r->set_user_cpu_s(*t.user_cpu_s);
  if (t.sys_cpu_s) r->set_sys_cpu_s(*t.sys_cpu_s);
  if (t.voluntary_cs) r->set_voluntary_cs(*t.voluntary_cs);
  if (t.involuntary_cs) r->set_involuntary_cs(*t.involuntary_cs);
  if (t.window_s) r->set_window_s(*t.window_s);
  for (const PerfCounterRecord& p : t.perf) {
    record::PerfCounter* c = r->add_perf();
    c->set_event(p.event);
    c->set_pmu(p.pmu);
    c->set_state(p.state);
    if (p.raw) c->set_raw(*p.raw);
    if (p.value) c->set_value(*p.value);
    c->set_enabled_ns(p.enabled_ns);
    c->set_running_ns(p.running_ns);
    c->set_reason(p.reason);
  }
}

void FillLatency(const Histogram& h, record::Latency* l) {
  l->set_count(h.count());
  l->set_p50_us(h.Percentile(50) / 1e3);
  l->set_p90_us(h.Percentile(90) / 1e3);
  l->set_p99_us(h.Percentile(99) / 1e3);
  l->set_p999_us(h.Percentile(99.9) / 1e3);
  l->set_max_us(static_cast<double>(h.max()) / 1e3);
  l->set_min_us(static_cast<double>(h.min()) / 1e3);
  l->set_mean_us(h.mean() / 1e3);
  l->set_max_relative_error(Histogram::kMaxRelativeError);
  for (const Histogram::Bucket& b : h.Buckets()) {
    record::HistogramBucket* rb = l->add_buckets();
    rb->set_lower_ns(b.lower);
    rb->set_upper_ns(b.upper);
    rb->set_count(b.count);
  }
}

std::string StatusText(const absl::Status& s) {
  return s.ok() ? "ok" : absl::StrCat("failed: ", s.message());
}

}  // namespace

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

record::Run MakeRunHeader(const RunOptions& o, const Plan& plan,
                          const std::vector<plugins::Plugin>& plugins,
                          const RunContext& context, const std::string& run_id,
                          absl::Time started) {
  record::Run run;
  run.set_schema_version(kSchemaVersion);
  run.set_run_id(run_id);
  run.set_started_utc(Rfc3339(started));
  for (const std::string& a : o.command_line) run.add_command_line(a);

  record::Plan* p = run.mutable_plan();
  p->set_profile(o.profile);
  p->set_mode(ModeName(o.mode));
  p->set_direction(DirectionName(o.direction));
  for (const std::string& t : plan.transports) p->add_transports(t);
  for (const std::string& t : plan.recv_transports) p->add_recv_transports(t);
  for (uint64_t s : o.sizes) p->add_sizes(s);
  for (int t : o.threads) p->add_threads(t);
  p->set_fields(o.fields);
  if (o.messages > 0) {
    p->set_messages(o.messages);
    p->set_warmup_messages(o.warmup_messages);
  } else {
    p->set_duration_s(absl::ToDoubleSeconds(o.duration));
    p->set_warmup_s(absl::ToDoubleSeconds(o.warmup));
  }
  p->set_reps(o.reps);
  p->set_request_size(o.request_size);
  p->set_response_size(o.response_size);
  std::map<std::string, bool> seen;
  auto add_options = [&](const std::string& name, const auto& options) {
    if (name.empty() || seen[name]) return;
    seen[name] = true;
    for (const auto& [key, value] : options) {
      record::TransportOption* to = p->add_transport_options();
      to->set_transport(name);
      to->set_key(key);
      to->set_value(value);
    }
  };
  for (const CellSpec& c : plan.cells) {
    add_options(c.transport_name, c.options);
    add_options(c.recv_transport_name, c.recv_options);
  }
  p->set_max_cv(o.max_cv);
  p->set_io_timeout_s(absl::ToDoubleSeconds(o.io_timeout));

  std::string interface = "lo";
  std::optional<int> mtu;
  for (const auto& [key, value] : context.isolation_details) {
    if (key == "interface") interface = value;
    int m = 0;
    if (key == "mtu" && absl::SimpleAtoi(value, &m)) mtu = m;
  }
  *run.mutable_host() = CollectHost(interface, mtu);

  const BuildInfo& b = GetBuildInfo();
  record::Build* rb = run.mutable_build();
  rb->set_version(b.version);
  rb->set_stamped(b.stamped);
  rb->set_git_commit(b.git_commit);
  rb->set_git_dirty(b.git_dirty);
  rb->set_compiler(b.compiler);
  rb->set_compilation_mode(b.compilation_mode);

  for (const plugins::Plugin& pl : plugins) {
    record::PluginInfo* info = run.add_plugins();
    info->set_name(pl.name);
    info->set_path(pl.path);
    info->set_status(plugins::StatusName(pl.status));
    info->set_reason(pl.reason);
    if (pl.transport != nullptr) {
      info->set_version(pl.transport->version ? pl.transport->version : "");
      info->set_abi_major(pl.transport->abi_major);
      info->set_abi_minor(pl.transport->abi_minor);
      info->set_description(
          pl.transport->description ? pl.transport->description : "");
    }
    absl::StatusOr<std::string> sha = Sha256File(pl.path);
    info->set_sha256(
        sha.ok() ? *sha : absl::StrCat("unreadable: ", sha.status().message()));
  }

  record::Isolation* iso = run.mutable_isolation();
  iso->set_mode(context.isolation_mode);
  iso->set_reason(context.isolation_reason);
  for (const auto& [key, value] : context.isolation_details) {
    record::KeyValue* kv = iso->add_details();
    kv->set_key(key);
    kv->set_value(value);
  }
  run.mutable_topology()->set_summary(context.topology_summary);
  run.mutable_topology()->set_pin_plan(context.pin_plan);
  for (const std::string& n : plan.notes) run.add_notes(n);
  for (const std::string& n : context.notes) run.add_notes(n);
  run.set_cells_planned(static_cast<uint32_t>(plan.cells.size()));
  return run;
}

record::CellKey MakeKey(const CellResult& r) {
  record::CellKey k;
  k.set_transport(r.transport);
  k.set_size(r.size);
  k.set_threads(r.threads);
  k.set_fields(r.fields);
  k.set_mode(ModeName(r.mode));
  k.set_direction(DirectionName(r.direction));
  k.set_request_size(r.request_size);
  k.set_response_size(r.response_size);
  k.set_recv_transport(r.recv_transport);
  return k;
}

std::string CellLabel(const record::CellKey& key) {
  if (key.recv_transport().empty()) return key.transport();
  return absl::StrCat(key.transport(), "/", key.recv_transport());
}

void AddSample(const CellResult& r, int rep, double max_cv,
               record::Cell* cell) {
  if (!cell->has_key()) *cell->mutable_key() = MakeKey(r);
  record::Sample* s = cell->add_samples();
  s->set_rep(rep);
  s->set_status(StatusText(r.status));
  for (const auto& [name, value] : r.metrics) {
    record::Metric* m = s->add_metrics();
    m->set_name(name);
    m->set_value(value);
  }
  if (r.latency) FillLatency(*r.latency, s->mutable_latency());
  for (size_t i = 0; i < r.connections.size(); ++i) {
    const ConnectionResult& c = r.connections[i];
    record::Connection* rc = s->add_connections();
    rc->set_index(static_cast<int32_t>(i));
    FillThread(c.server, rc->mutable_server());
    FillThread(c.client, rc->mutable_client());
    rc->set_window_s(absl::ToDoubleSeconds(c.rx_window));
    rc->set_bytes(c.rx_bytes);
    rc->set_messages(c.rx_messages);
    rc->set_tx_messages_total(c.tx_messages_total);
    rc->set_rx_messages_total(c.rx_messages_total);
    AddCounts(c.server_counters, rc->mutable_server_counters());
    AddCounts(c.client_counters, rc->mutable_client_counters());
  }
  AddCounts(r.server_counters, s->mutable_server_counters());
  AddCounts(r.client_counters, s->mutable_client_counters());
  Aggregate(max_cv, cell);
}

void Aggregate(double max_cv, record::Cell* cell) {
  cell->clear_aggregates();
  cell->set_status("ok");
  std::map<std::string, std::vector<double>> values;  // sorted by name
  for (const record::Sample& s : cell->samples()) {
    if (s.status() != "ok") {
      if (cell->status() == "ok") cell->set_status(s.status());
      continue;
    }
    for (const record::Metric& m : s.metrics()) {
      values[m.name()].push_back(m.value());
    }
  }
  for (const auto& [name, v] : values) {
    Summary sum = Summarize(v);
    record::Aggregate* a = cell->add_aggregates();
    a->set_metric(name);
    a->set_n(static_cast<uint32_t>(sum.n));
    a->set_median(sum.median);
    a->set_min(sum.min);
    a->set_max(sum.max);
    a->set_mean(sum.mean);
    if (sum.ci95_low) a->set_ci95_low(*sum.ci95_low);
    if (sum.ci95_high) a->set_ci95_high(*sum.ci95_high);
    if (sum.cv) a->set_cv(*sum.cv);
  }
  const bool rr = cell->key().mode() == ModeName(Mode::kRequestResponse);
  cell->set_primary_metric(rr ? "transactions_per_sec" : "throughput_gbps");
  const record::Aggregate* primary =
      FindAggregate(*cell, cell->primary_metric());
  cell->set_unstable(primary != nullptr && primary->has_cv() &&
                     primary->cv() > max_cv);
}

const record::Aggregate* FindAggregate(const record::Cell& cell,
                                       const std::string& metric) {
  for (const record::Aggregate& a : cell.aggregates()) {
    if (a.metric() == metric) return &a;
  }
  return nullptr;
}

}  // namespace copyscope::harness
