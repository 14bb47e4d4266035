#include "harness/engine/results.h"

#include "absl/strings/str_cat.h"

namespace copyscope::harness {

const char* ModeName(Mode mode) {
  return mode == Mode::kStream ? "stream" : "rr";
}

const char* DirectionName(Direction direction) {
  return direction == Direction::kServerToClient ? "server-to-client"
                                                 : "client-to-server";
}

void AddCounters(const std::vector<std::pair<std::string, uint64_t>>& in,
                 CounterMap* sum) {
  for (const auto& [name, value] : in) (*sum)[name] += value;
}

std::optional<double> CopiedFraction(const CounterMap& counters) {
  auto completions = counters.find(kZeroCopyCompletions);
  auto copied = counters.find(kZeroCopyCopied);
  if (completions == counters.end() || copied == counters.end() ||
      completions->second == 0) {
    return std::nullopt;
  }
  return static_cast<double>(copied->second) /
         static_cast<double>(completions->second);
}

namespace {

// The value of a perf event on a thread, when it counted (scaled or not).
std::optional<double> PerfValue(const ThreadReport& t, const char* event) {
  for (const PerfCounterRecord& p : t.perf) {
    if (p.event == event && (p.state == "counted" || p.state == "scaled") &&
        p.value) {
      return p.value;
    }
  }
  return std::nullopt;
}

// Sums f over the threads; empty unless every thread has a value.
template <typename F>
std::optional<double> SumAll(const std::vector<const ThreadReport*>& threads,
                             F f) {
  if (threads.empty()) return std::nullopt;
  double sum = 0;
  for (const ThreadReport* t : threads) {
    std::optional<double> v = f(*t);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

void RoleMetrics(const std::string& role,
                 const std::vector<const ThreadReport*>& threads, double bytes,
                 std::map<std::string, double>* m) {
  auto cpu = [](const ThreadReport& t) -> std::optional<double> {
    if (!t.user_cpu_s || !t.sys_cpu_s) return std::nullopt;
    return *t.user_cpu_s + *t.sys_cpu_s;
  };
  std::optional<double> cpu_s = SumAll(threads, cpu);
  std::optional<double> util =
      SumAll(threads, [&](const ThreadReport& t) -> std::optional<double> {
        std::optional<double> c = cpu(t);
        if (!c || !t.window_s || *t.window_s <= 0) return std::nullopt;
        return *c / *t.window_s;
      });
  if (util) (*m)[role + "_cpu_util"] = *util;
  if (cpu_s && *cpu_s > 0) (*m)[role + "_bytes_per_cpu_s"] = bytes / *cpu_s;
  std::optional<double> cs =
      SumAll(threads, [](const ThreadReport& t) -> std::optional<double> {
        if (!t.voluntary_cs || !t.involuntary_cs) return std::nullopt;
        return static_cast<double>(*t.voluntary_cs + *t.involuntary_cs);
      });
  if (cs) (*m)[role + "_cs"] = *cs;
  const std::pair<const char*, const char*> events[] = {
      {"cycles", "cycles"},
      {"l1_misses", "L1-dcache-load-misses"},
      {"llc_misses", "cache-misses"}};
  for (const auto& [name, event] : events) {
    std::optional<double> v = SumAll(
        threads, [&](const ThreadReport& t) { return PerfValue(t, event); });
    if (v) (*m)[role + "_" + name] = *v;
  }
}

}  // namespace

void Summarize(CellResult* cell) {
  cell->server_counters.clear();
  cell->client_counters.clear();
  for (const ConnectionResult& c : cell->connections) {
    for (const auto& [k, v] : c.server_counters) cell->server_counters[k] += v;
    for (const auto& [k, v] : c.client_counters) cell->client_counters[k] += v;
  }
  cell->throughput_gbps.reset();
  cell->messages_per_sec.reset();
  cell->mean_us_per_msg.reset();
  cell->transactions_per_sec.reset();
  cell->latency.reset();
  cell->zc_copied_fraction.reset();
  cell->metrics.clear();
  if (!cell->status.ok()) return;
  if (cell->connections.empty()) {
    cell->status = absl::InternalError("no connection results");
    return;
  }
  const bool rr = cell->mode == Mode::kRequestResponse;
  double bits_per_s = 0, msgs_per_s = 0, us_per_msg = 0, bytes = 0;
  for (size_t i = 0; i < cell->connections.size(); ++i) {
    const ConnectionResult& c = cell->connections[i];
    double window_s = absl::ToDoubleSeconds(c.rx_window);
    if (window_s <= 0 || c.rx_messages == 0) {
      cell->status = absl::InternalError(absl::StrCat(
          "connection ", i, " received nothing in the measured interval"));
      return;
    }
    bits_per_s += static_cast<double>(c.rx_bytes) * 8 / window_s;
    msgs_per_s += static_cast<double>(c.rx_messages) / window_s;
    us_per_msg += window_s * 1e6 / static_cast<double>(c.rx_messages);
    bytes += static_cast<double>(c.rx_bytes);
    if (rr && c.latency) {
      if (!cell->latency) cell->latency.emplace();
      cell->latency->Merge(*c.latency);
    }
  }
  auto& m = cell->metrics;
  cell->throughput_gbps = bits_per_s / 1e9;
  m["throughput_gbps"] = *cell->throughput_gbps;
  if (rr) {
    cell->transactions_per_sec = msgs_per_s;
    m["transactions_per_sec"] = msgs_per_s;
    if (cell->latency && cell->latency->count() > 0) {
      const Histogram& h = *cell->latency;
      m["latency_p50_us"] = h.Percentile(50) / 1e3;
      m["latency_p90_us"] = h.Percentile(90) / 1e3;
      m["latency_p99_us"] = h.Percentile(99) / 1e3;
      m["latency_p999_us"] = h.Percentile(99.9) / 1e3;
      m["latency_max_us"] = static_cast<double>(h.max()) / 1e3;
      m["latency_mean_us"] = h.mean() / 1e3;
    }
  } else {
    cell->messages_per_sec = msgs_per_s;
    cell->mean_us_per_msg =
        us_per_msg / static_cast<double>(cell->connections.size());
    m["messages_per_sec"] = msgs_per_s;
    m["mean_us_per_msg"] = *cell->mean_us_per_msg;
  }
  CounterMap all = cell->server_counters;
  for (const auto& [k, v] : cell->client_counters) all[k] += v;
  cell->zc_copied_fraction = CopiedFraction(all);
  if (cell->zc_copied_fraction) {
    m["zc_copied_fraction"] = *cell->zc_copied_fraction;
  }
  std::vector<const ThreadReport*> servers, clients;
  for (const ConnectionResult& c : cell->connections) {
    servers.push_back(&c.server);
    clients.push_back(&c.client);
  }
  RoleMetrics("server", servers, bytes, &m);
  RoleMetrics("client", clients, bytes, &m);
  for (const char* name : {"cs", "cycles", "l1_misses", "llc_misses"}) {
    auto s = m.find(absl::StrCat("server_", name));
    auto c = m.find(absl::StrCat("client_", name));
    if (s != m.end() && c != m.end()) m[name] = s->second + c->second;
  }
}

}  // namespace copyscope::harness
