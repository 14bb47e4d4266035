#include "harness/cli/perf_report.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "harness/engine/counter_hooks.h"
#include "harness/record/record.h"
#include "harness/cli/table.h"
#include "harness/config/units.h"

namespace copyscope::harness {
namespace {

// A record of a hybrid part ("cpu_atom/cycles/") rather than a total.
bool IsPart(const record::PerfCounter& p) {
  return absl::StrContains(p.event(), "/");
}

bool IsTaskClock(absl::string_view event) {
  return event == "task-clock" || event == "cpu-clock";
}

std::optional<RolePerf> Role(const record::Sample& sample, bool server) {
  RolePerf out;
  out.role = server ? "server" : "client";
  std::vector<std::vector<perfmon::Reading>> sets;
  double window_sum = 0;
  int windows = 0;
  uint64_t bytes = 0, messages = 0;
  for (const record::Connection& c : sample.connections()) {
    bytes += c.bytes();
    messages += c.messages();
    const record::ThreadReport& t = server ? c.server() : c.client();
    std::vector<perfmon::Reading> set;
    for (const record::PerfCounter& p : t.perf()) {
      if (IsPart(p)) continue;
      if (absl::EndsWith(p.pmu(), kBothRoles)) out.role = "both";
      set.push_back(FromRecord(FromProto(p)));
    }
    if (set.empty()) continue;
    sets.push_back(std::move(set));
    ++out.threads;
    if (t.has_window_s()) {
      window_sum += t.window_s();
      ++windows;
    } else if (c.window_s() > 0) {
      window_sum += c.window_s();
      ++windows;
    }
  }
  if (sets.empty()) return std::nullopt;
  out.totals = perfmon::SumAcross(sets, out.role);
  if (sample.status() == "ok" && messages > 0) {
    out.work.bytes = bytes;
    out.work.messages = messages;
  }
  if (windows > 0) out.work.seconds = window_sum / windows;
  out.derived = perfmon::Derive(out.totals, out.work);
  return out;
}

// Counts with 3 significant digits and a unit prefix: 532, 12.3K, 4.56M.
std::string Count(double v) {
  const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (v >= 999.5 && u < 4) {
    v /= 1000;
    ++u;
  }
  if (u == 0) return absl::StrFormat("%.0f", v);
  return absl::StrFormat(v >= 99.95   ? "%.0f%s"
                         : v >= 9.995 ? "%.1f%s"
                                      : "%.2f%s",
                         v, units[u]);
}

std::string EventText(const std::string& event, double v) {
  return IsTaskClock(event) ? absl::StrFormat("%.1f", v / 1e6) : Count(v);
}

std::string FigureText(double v) {
  if (v >= 100) return Count(v);
  if (v >= 1) return absl::StrFormat("%.2f", v);
  return absl::StrFormat("%.3g", v);
}

const char* FigureTitle(absl::string_view name) {
  if (name == "ipc") return "IPC";
  if (name == "cycles_per_byte") return "cycles/B";
  if (name == "instructions_per_message") return "instr/msg";
  if (name == "llc_misses_per_kib") return "LLC miss/KiB";
  if (name == "l1_misses_per_kib") return "L1 miss/KiB";
  if (name == "context_switches_per_second") return "cs/s";
  return "?";
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The values of one column over a cell's samples.
struct Values {
  std::vector<double> values;
  bool low = false;
  std::string Text(bool figure, const std::string& event) const {
    if (values.empty()) return "-";
    double m = Median(values);
    std::string t = figure ? FigureText(m) : EventText(event, m);
    return low ? t + "*" : t;
  }
};

// One row: a cell's role over its ok samples.
struct Row {
  const record::Cell* cell;
  std::string role;
  std::map<std::string, Values> events;
  std::map<std::string, Values> figures;
};

std::string CellName(const record::CellKey& k) {
  return absl::StrCat(CellLabel(k), " ", FormatSize(k.size()), " x",
                      k.threads());
}

}  // namespace

PerfCounterRecord FromProto(const record::PerfCounter& p) {
  PerfCounterRecord r;
  r.event = p.event();
  r.pmu = p.pmu();
  r.state = p.state();
  if (p.has_raw()) r.raw = p.raw();
  if (p.has_value()) r.value = p.value();
  r.enabled_ns = p.enabled_ns();
  r.running_ns = p.running_ns();
  r.reason = p.reason();
  return r;
}

std::vector<RolePerf> RolePerfOf(const record::Sample& sample) {
  std::vector<RolePerf> out;
  for (bool server : {true, false}) {
    if (std::optional<RolePerf> r = Role(sample, server)) {
      out.push_back(*std::move(r));
    }
  }
  return out;
}

std::string FormatPerfTable(const record::Run& run) {
  std::vector<Row> rows;
  std::vector<std::string> events;  // first-seen order
  std::vector<std::string> figures;
  std::set<std::string> events_with_value, figures_with_value;
  for (const record::Cell& cell : run.cells()) {
    std::map<std::string, size_t> by_role;  // role -> index into rows
    for (const record::Sample& sample : cell.samples()) {
      if (sample.status() != "ok") continue;
      for (const RolePerf& rp : RolePerfOf(sample)) {
        auto [it, inserted] = by_role.emplace(rp.role, rows.size());
        if (inserted) rows.push_back({&cell, rp.role, {}, {}});
        Row& row = rows[it->second];
        for (const perfmon::Reading& r : rp.totals) {
          if (std::find(events.begin(), events.end(), r.event()) ==
              events.end()) {
            events.push_back(r.event());
          }
          Values& v = row.events[r.event()];
          if (std::optional<double> value = r.value()) {
            v.values.push_back(*value);
            v.low = v.low || r.low_coverage();
            events_with_value.insert(r.event());
          }
        }
        for (const auto& [name, f] : rp.derived.Named()) {
          if (std::find(figures.begin(), figures.end(), name) ==
              figures.end()) {
            figures.push_back(name);
          }
          if (f->value) {
            Values& v = row.figures[name];
            v.values.push_back(*f->value);
            v.low = v.low || f->low_coverage;
            figures_with_value.insert(name);
          }
        }
      }
    }
  }
  if (rows.empty()) return "";

  std::vector<std::string> header = {"transport", "size", "threads", "role"};
  std::vector<bool> right = {false, true, true, false};
  std::vector<std::string> missing;
  for (const std::string& e : events) {
    if (!events_with_value.count(e)) {
      missing.push_back(e);
      continue;
    }
    header.push_back(IsTaskClock(e) ? e + " ms" : e);
    right.push_back(true);
  }
  for (const std::string& f : figures) {
    if (!figures_with_value.count(f)) continue;
    header.push_back(FigureTitle(f));
    right.push_back(true);
  }
  bool low = false;
  std::vector<std::vector<std::string>> lines;
  for (const Row& row : rows) {
    const record::CellKey& k = row.cell->key();
    std::vector<std::string> line = {CellLabel(k), FormatSize(k.size()),
                                     absl::StrCat(k.threads()), row.role};
    for (const std::string& e : events) {
      if (!events_with_value.count(e)) continue;
      auto it = row.events.find(e);
      line.push_back(it == row.events.end() ? "-" : it->second.Text(false, e));
    }
    for (const std::string& f : figures) {
      if (!figures_with_value.count(f)) continue;
      auto it = row.figures.find(f);
      line.push_back(it == row.figures.end() ? "-" : it->second.Text(true, f));
    }
    for (const std::string& c : line) low = low || absl::EndsWith(c, "*");
    lines.push_back(std::move(line));
  }
  std::string out =
      "counters per role (measured interval, summed over the role's threads; "
      "median of the ok samples):\n";
  absl::StrAppend(&out, FormatColumns(header, lines, right));
  if (low) {
    absl::StrAppend(&out,
                    "* coverage below 50%: multiplexed or not always "
                    "running; the value is scaled\n");
  }
  if (!missing.empty()) {
    absl::StrAppend(
        &out, "not counted in any cell: ", absl::StrJoin(missing, ", "), "\n");
  }
  return out;
}

std::vector<std::string> PlacementAnomalies(const record::Run& run) {
  std::vector<std::string> out;
  for (const record::Cell& cell : run.cells()) {
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          if (!t->migrated_while_pinned()) continue;
          std::string migrations =
              t->has_migrations()
                  ? absl::StrCat(t->migrations(), t->migrations() == 1
                                                      ? " migration"
                                                      : " migrations")
                  : "migrations unknown";
          out.push_back(absl::StrCat(
              "anomaly: ", CellName(cell.key()), " rep ", sample.rep(), ": ",
              t->side(), " ", t->connection(), " pinned to CPU ",
              t->pinned_cpu(), " ran on CPUs ",
              absl::StrJoin(t->cpus_seen(), ","), " (start ",
              t->has_start_cpu() ? absl::StrCat(t->start_cpu()) : "?", ", end ",
              t->has_end_cpu() ? absl::StrCat(t->end_cpu()) : "?", "), ",
              migrations));
        }
      }
    }
  }
  return out;
}

bool AnyPinned(const record::Run& run) {
  for (const record::Cell& cell : run.cells()) {
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          // A placement was recorded (proto3 reads an absent pinned_cpu
          // as 0) and says pinned.
          if (t->pinned_cpu() >= 0 &&
              (t->has_start_cpu() || !t->cpus_seen().empty())) {
            return true;
          }
        }
      }
    }
  }
  return false;
}

std::string FormatPlacementTable(const record::Run& run) {
  struct Seen {
    int pinned = -1;
    std::set<int> start, end, cpus;
    std::optional<int64_t> migrations;  // the most over the samples
    bool migrations_unknown = false;
  };
  std::vector<std::vector<std::string>> lines;
  for (const record::Cell& cell : run.cells()) {
    // (side, connection) -> what the samples saw.
    std::map<std::pair<std::string, int>, Seen> threads;
    for (const record::Sample& sample : cell.samples()) {
      for (const record::Connection& c : sample.connections()) {
        for (const record::ThreadReport* t : {&c.server(), &c.client()}) {
          if (!t->has_start_cpu() && !t->has_end_cpu() &&
              t->cpus_seen().empty()) {
            continue;
          }
          Seen& s = threads[{t->side(), t->connection()}];
          s.pinned = t->pinned_cpu();
          if (t->has_start_cpu()) s.start.insert(t->start_cpu());
          if (t->has_end_cpu()) s.end.insert(t->end_cpu());
          s.cpus.insert(t->cpus_seen().begin(), t->cpus_seen().end());
          if (t->has_migrations()) {
            s.migrations = std::max(s.migrations.value_or(0), t->migrations());
          } else {
            s.migrations_unknown = true;
          }
        }
      }
    }
    // Servers first, then clients, by connection.
    for (const char* side : {"server", "client"}) {
      for (const auto& [key, s] : threads) {
        if (key.first != side) continue;
        auto list = [](const std::set<int>& v) {
          return v.empty() ? std::string("?") : absl::StrJoin(v, ",");
        };
        lines.push_back({
            CellLabel(cell.key()),
            FormatSize(cell.key().size()),
            absl::StrCat(cell.key().threads()),
            absl::StrCat(key.first, " ", key.second),
            s.pinned >= 0 ? absl::StrCat(s.pinned) : "-",
            list(s.start),
            list(s.end),
            list(s.cpus),
            s.migrations_unknown || !s.migrations ? "?"
                                                  : absl::StrCat(*s.migrations),
        });
      }
    }
  }
  if (lines.empty()) return "";
  std::string out = "where the threads ran (over the cell's samples):\n";
  absl::StrAppend(
      &out,
      FormatColumns(
          {"transport", "size", "threads", "thread", "pinned", "start cpu",
           "end cpu", "cpus seen", "max migrations"},
          lines, {false, true, true, false, true, false, false, false, true}));
  for (const std::string& a : PlacementAnomalies(run)) {
    absl::StrAppend(&out, a, "\n");
  }
  return out;
}

void AddPerfMetrics(double max_cv, record::Run* run) {
  for (record::Cell& cell : *run->mutable_cells()) {
    bool changed = false;
    for (record::Sample& sample : *cell.mutable_samples()) {
      std::set<std::string> have;
      for (const record::Metric& m : sample.metrics()) have.insert(m.name());
      auto add = [&](const std::string& name, double value) {
        if (!have.insert(name).second) return;
        record::Metric* m = sample.add_metrics();
        m->set_name(name);
        m->set_value(value);
        changed = true;
      };
      for (const RolePerf& rp : RolePerfOf(sample)) {
        for (const perfmon::Reading& r : rp.totals) {
          std::optional<double> v = r.value();
          if (!v) continue;
          std::string name = absl::StrCat(
              rp.role, "_perf_",
              absl::StrReplaceAll(r.event(), {{"-", "_"}, {"/", "_"}}));
          if (IsTaskClock(r.event())) {
            add(name + "_s", *v / 1e9);
          } else {
            add(name, *v);
          }
        }
        for (const auto& [figure, f] : rp.derived.Named()) {
          if (f->value) add(absl::StrCat(rp.role, "_", figure), *f->value);
        }
      }
    }
    if (changed) Aggregate(max_cv, &cell);
  }
}

std::string FormatRunReport(const record::Run& run) {
  std::string out;
  std::string perf = FormatPerfTable(run);
  if (!perf.empty()) absl::StrAppend(&out, "\n", perf);
  // Unpinned threads may move freely: nothing to flag then.
  if (AnyPinned(run)) absl::StrAppend(&out, "\n", FormatPlacementTable(run));
  return out;
}

}  // namespace copyscope::harness
